//! The Notion layer: what commands call to work with a Notion workspace.
//!
//! * [`client`]: one client for the public API (token, base URL,
//!   `Notion-Version`, JSON requests, retries) and [`paginate`], a stream of
//!   the pages of a list endpoint;
//! * [`spec`]: the OpenAPI spec (fetched, cached, searched);
//! * [`upload`]: the file-upload engine (a plan, part sources for files and
//!   pipes, the parallel sender, progress and cancellation);
//! * [`pages`]: pages as Markdown documents (complete reads, frontmatter, guarded
//!   edits, diffs).
//!
//! It builds on [`crate::http`] and takes plain inputs (a token, URLs, a
//! version); it never resolves credentials or reads the command line.

pub mod client;
pub mod pages;
pub mod paginate;
pub mod spec;
pub mod upload;

pub use client::Notion;
pub use paginate::{PageHead, Pages};
