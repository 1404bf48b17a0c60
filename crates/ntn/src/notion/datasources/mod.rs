//! Data sources (API 2025-09-03: a database holds one or more data sources):
//! finding one, its schema, and querying it with filters people can type.
//!
//! * [`source`]: what a SOURCE names (data source id, database id or URL,
//!   title) and [`source::resolve`] to a [`schema::Schema`];
//! * [`schema`]: properties, types, options, names found "did you mean"-style;
//! * [`expr`] and [`compile`]: the `--where` language and its compiler to
//!   Notion's filter JSON (types checked against the schema, Notion's nesting
//!   limit met), with [`dates`] (relative to a given today) and [`people`]
//!   (`me`, emails);
//! * [`sort`]: `--sort` into Notion's `sorts`;
//! * [`columns`] and [`values`]: the output columns and property values
//!   flattened to text;
//! * [`query`]: the request and its rows, a page at a time;
//! * [`views`]: a database's views (`?v=` in a URL, `--view`): their
//!   filter, sorts and visible columns;
//! * [`set`] (the `--set` language), [`bulk`] (plans of property updates and
//!   creates, their requests and summary), [`import`] (CSV and NDJSON rows
//!   matched to Notion's) and [`journal`] (creates an interrupted import
//!   made): `update` and `import`.

pub mod bulk;
pub mod columns;
pub mod compile;
pub mod dates;
pub mod expr;
pub mod import;
pub mod journal;
pub mod people;
pub mod query;
pub mod schema;
pub mod set;
pub mod sort;
pub mod source;
pub mod values;
pub mod views;

pub use columns::Column;
pub use compile::{Env, People, compile};
pub use expr::WhereError;
pub use query::Query;
pub use schema::{Property, Schema};
pub use source::resolve;
pub use values::Style;
