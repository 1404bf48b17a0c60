//! The Notion layer: what commands call to work with a Notion workspace.
//!
//! * [`client`]: one client for the public API (token, base URL,
//!   `Notion-Version`, JSON requests, retries) and [`paginate`], a stream of
//!   the pages of a list endpoint;
//! * [`operations`]: the public API's operations (method and path
//!   template), and [`request`]: planning a request from what a person typed
//!   (URL, method, headers, where the body comes from);
//! * [`spec`]: the OpenAPI spec (fetched, cached, searched);
//! * [`upload`]: the file-upload engine (a plan, part sources for files and
//!   pipes, the parallel sender, progress and cancellation);
//! * [`datasources`]: finding a data source, its schema, the `--where`
//!   compiler, queries and their values as text; [`search`];
//! * [`listing`]: a list read a page at a time up to a limit (flat memory);
//!   [`pace`]: spacing bulk work under the rate limit it learns.
//! * [`pages`]: pages as Markdown documents (complete reads, frontmatter, guarded
//!   edits, diffs).
//! * [`users`]: the workspace's users, shown by email (or name) and named by email,
//!   name, `me` or id (people properties, `--where`).
//! * [`attach`]: a file upload attached to a page (a media block, or a files property).
//!
//! It builds on [`crate::http`] and takes plain inputs (a token, URLs, a
//! version); it never resolves credentials or reads the command line.

pub mod attach;
pub mod client;
pub mod comments;
pub mod datasources;
pub mod listing;
pub mod operations;
pub mod pace;
pub mod pages;
pub mod paginate;
pub mod request;
pub mod search;
pub mod spec;
pub mod upload;
pub mod users;

pub use client::Notion;
pub use pace::Pacer;
pub use paginate::{PageHead, Pages};
