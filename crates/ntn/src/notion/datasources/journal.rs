//! The journal of an import: the creates it intended and the pages they made,
//! so that an import killed mid-way never creates a row twice.
//!
//! One file per data source and input file, in the state directory:
//! `imports/<key>.json`, where `<key>` is the first 32 hex digits of the
//! SHA-256 of `<data source id>\n<file>` (the file's canonical path, or
//! `stdin:<SHA-256 of its bytes>`), held under the lock `imports/<key>.lock`
//! for the whole import (a second import of the same file waits its turn).
//! Written atomically (0600) before each create (the intent) and after it
//! (the new page's id); removed when an import ends without failures.
//!
//! ```json
//! {"version": 1, "data_source": "…", "file": "/home/me/tasks.csv",
//!  "rows": {"3": {"title": "Ship it", "intent_at": 1733580000000,
//!                 "existing": ["<ids of pages with that title then>"],
//!                 "created": null}}}
//! ```
//!
//! A re-run adopts, for a row with an intent and no id, a page of the data
//! source with the same title that did not exist at the intent (not among
//! `existing`) instead of creating another.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::state::{DirLock, State, files};

const DIR: &str = "imports";

/// A create intended for one row of the file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub title: String,
    /// When the create was about to be sent (Unix ms).
    pub intent_at: u64,
    /// The pages of the data source that had this title before the create.
    #[serde(default)]
    pub existing: Vec<String>,
    /// The page made, once its id is known.
    #[serde(default)]
    pub created: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Data {
    version: u32,
    data_source: String,
    file: String,
    /// By row number in the file (1 = the first row after a CSV header).
    rows: BTreeMap<String, Entry>,
}

/// An open journal (its lock held until dropped).
pub struct Journal {
    state: State,
    lock: DirLock,
    name: String,
    data: Data,
}

/// What identifies an input: a file's canonical path, or stdin by content.
pub fn file_key(path: Option<&std::path::Path>, bytes: &[u8]) -> String {
    match path.and_then(|p| std::fs::canonicalize(p).ok()) {
        Some(p) => p.display().to_string(),
        None => format!("stdin:{}", hex(&Sha256::digest(bytes))),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Journal {
    /// Opens (or starts) the journal of importing `file` into `data_source`.
    pub fn open(state: State, data_source: &str, file: &str) -> Result<Journal> {
        let key =
            hex(&Sha256::digest(format!("{data_source}\n{file}").as_bytes()))[..32].to_string();
        files::ensure_private_dir(&state.path(DIR))?;
        let lock = state.lock_named(&format!("{DIR}/{key}.lock"))?;
        let name = format!("{DIR}/{key}.json");
        let data = match files::read_json::<Data>(&state.path(&name))? {
            Some(d) if d.data_source == data_source && d.file == file => d,
            Some(_) | None => Data {
                version: 1,
                data_source: data_source.to_string(),
                file: file.to_string(),
                rows: BTreeMap::new(),
            },
        };
        Ok(Journal {
            state,
            lock,
            name,
            data,
        })
    }

    /// Where the journal is.
    pub fn path(&self) -> PathBuf {
        self.state.path(&self.name)
    }

    /// The entry of row `row`, if an earlier run intended to create it.
    pub fn entry(&self, row: usize) -> Option<&Entry> {
        self.data.rows.get(&row.to_string())
    }

    /// Records the intent to create row `row` (before the request).
    pub fn intend(&mut self, row: usize, entry: Entry) -> Result<()> {
        self.data.rows.insert(row.to_string(), entry);
        self.save()
    }

    /// Records the page that row `row` made (after the request).
    pub fn created(&mut self, row: usize, id: &str) -> Result<()> {
        if let Some(e) = self.data.rows.get_mut(&row.to_string()) {
            e.created = Some(id.to_string());
        }
        self.save()
    }

    /// Forgets row `row` (its create surely made nothing).
    pub fn forget(&mut self, row: usize) -> Result<()> {
        if self.data.rows.remove(&row.to_string()).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&self) -> Result<()> {
        self.state.write(&self.lock, &self.name, &self.data, false)
    }

    /// The import is done: the journal goes.
    pub fn finish(self) -> Result<()> {
        files::remove(&self.path()).map(|_| ())
    }
}

/// Which page an interrupted create of `entry` made, among the data source's
/// rows now (`(id, title)`), if one: the same title, not there before the
/// create, not `taken` by another row.
pub fn adopt<'a>(
    entry: &Entry,
    rows: impl Iterator<Item = (&'a str, &'a str)>,
    taken: &dyn Fn(&str) -> bool,
) -> Option<String> {
    if let Some(id) = &entry.created {
        return Some(id.clone());
    }
    rows.filter(|(id, title)| {
        *title == entry.title && !entry.existing.iter().any(|e| e == id) && !taken(id)
    })
    .map(|(id, _)| id.to_string())
    .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_create_is_adopted_once() {
        let e = Entry {
            title: "Ship".into(),
            intent_at: 1,
            existing: vec!["old".into()],
            created: None,
        };
        let rows = [("old", "Ship"), ("other", "Else"), ("new", "Ship")];
        let none = |_: &str| false;
        assert_eq!(adopt(&e, rows.iter().copied(), &none), Some("new".into()));
        let taken = |id: &str| id == "new";
        assert_eq!(adopt(&e, rows.iter().copied(), &taken), None);
        let done = Entry {
            created: Some("x".into()),
            ..e
        };
        assert_eq!(adopt(&done, rows.iter().copied(), &none), Some("x".into()));
    }
}
