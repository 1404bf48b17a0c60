//! `ntn sync`: a local folder of Markdown files kept in step with a Notion page tree.

pub mod layout;
pub mod local;
pub mod store;
