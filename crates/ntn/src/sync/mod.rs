//! `ntn sync`: a folder of Markdown files and a Notion page tree kept in step, by
//! content, never by clock, with nothing lost.
//!
//! The layer between the commands and the Notion layer:
//! * [`layout`]: file and folder names from page titles (safe on every OS, unique
//!   among siblings) and paths relative to the folder;
//! * [`store`]: the folder's memory in `DIR/.ntn/`: the state (each page's path, base
//!   and what was last seen of it), content-addressed bases, the create journal, the
//!   trash; written atomically under a lock;
//! * [`local`]: what the folder holds now (files, their `notion_id`s, hashes);
//! * [`remote`]: what changed in Notion since the last run, without reading pages;
//! * [`assets`]: files Notion hosts as files of the folder, and local files uploaded;
//! * [`engine`]: the decisions and the guarded writes.

pub mod assets;
pub mod engine;
pub mod layout;
pub mod local;
pub mod remote;
pub mod store;
