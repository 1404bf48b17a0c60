//! What this machine last knew of each page: a record written by every `ntn pages get`
//! and every successful edit, in `<config dir>/pages/<page id>.json` (0600, written
//! atomically). It guards an edit whose input carries no `content_hash` (a file from
//! `--no-frontmatter`, `--content`, a pipe, an agent): the page must still be what this
//! machine last read. It also keeps the bodies of the last few states this machine saw,
//! by content hash: the base of the three-way view of a conflict (the copy a file was
//! read from, even after later reads of the page).
//!
//! A record is a cache of the server's state, never the only copy of anything: one that
//! cannot be read is ignored (with a warning from the caller), one that cannot be
//! written is not an error of the command that read the page.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files;
use crate::error::Result;

/// The folder of the records, under the config directory.
pub const DIR: &str = "pages";

/// One page as this machine last read or wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRecord {
    /// The page id (with dashes).
    pub id: String,
    /// The content hash then (`v1:<body>:<properties>`).
    pub content_hash: String,
    /// The page's `last_edited_time` then.
    #[serde(default)]
    pub last_edited_time: Option<String>,
    /// When ntn read it (RFC 3339).
    pub recorded_at: String,
    /// The body as read (normalised), the base of a three-way comparison.
    #[serde(default)]
    pub body: String,
    /// Earlier states' bodies, newest first (at most [`KEPT_BASES`]).
    #[serde(default)]
    pub bases: Vec<Base>,
}

/// A body this machine saw, by the content hash of its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Base {
    pub content_hash: String,
    pub body: String,
}

/// How many earlier bodies a record keeps.
pub const KEPT_BASES: usize = 4;

impl PageRecord {
    /// The body of the state whose content hash is `hash` (this record's, or an earlier
    /// one's), if this machine saw it.
    pub fn body_of(&self, hash: &str) -> Option<&str> {
        if self.content_hash == hash {
            return Some(&self.body);
        }
        self.bases
            .iter()
            .find(|b| b.content_hash == hash)
            .map(|b| b.body.as_str())
    }
}

/// Where the record of page `id` lives (`id` is a page id ntn normalised: hex and
/// dashes only, so it is a safe file name).
pub fn path(config_dir: &Path, id: &str) -> Option<PathBuf> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return None;
    }
    Some(config_dir.join(DIR).join(format!("{id}.json")))
}

/// The record of page `id`, if this machine has one.
pub fn load(config_dir: &Path, id: &str) -> Result<Option<PageRecord>> {
    let Some(p) = path(config_dir, id) else {
        return Ok(None);
    };
    files::read_json(&p)
}

/// Writes (replaces) the record of a page.
pub fn save(config_dir: &Path, record: &PageRecord) -> Result<()> {
    let Some(p) = path(config_dir, &record.id) else {
        return Ok(());
    };
    files::ensure_private_dir(config_dir)?;
    files::ensure_private_dir(&config_dir.join(DIR))?;
    // The bodies seen before, newest first; state files are read up to a size, so a
    // huge page keeps its hashes, not its bodies.
    let mut record = record.clone();
    if let Ok(Some(old)) = files::read_json::<PageRecord>(&p) {
        let mut bases = vec![Base {
            content_hash: old.content_hash,
            body: old.body,
        }];
        bases.extend(old.bases);
        bases.retain(|b| b.content_hash != record.content_hash);
        bases.dedup_by(|a, b| a.content_hash == b.content_hash);
        bases.truncate(KEPT_BASES);
        record.bases = bases;
    }
    let budget = files::MAX_STATE_FILE / 2;
    let mut used = record.body.len() as u64;
    if used > budget {
        record.body.clear();
        used = 0;
    }
    record.bases.retain(|b| {
        used += b.body.len() as u64;
        used <= budget
    });
    let bytes = serde_json::to_vec(&record).unwrap_or_default();
    files::write_atomic(&p, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_ids_are_checked_as_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let id = "a1000000-0000-4000-8000-000000000001";
        assert_eq!(load(dir.path(), id).unwrap(), None);
        let r = PageRecord {
            id: id.into(),
            content_hash: "v1:000000000000:111111111111".into(),
            last_edited_time: Some("2026-01-01T00:00:00.000Z".into()),
            recorded_at: "2026-01-01T00:00:05Z".into(),
            body: "Hello".into(),
            bases: Vec::new(),
        };
        save(dir.path(), &r).unwrap();
        assert_eq!(load(dir.path(), id).unwrap(), Some(r.clone()));
        // A later state keeps the earlier body as a base.
        let later = PageRecord {
            content_hash: "v1:222222222222:111111111111".into(),
            body: "Hello, later".into(),
            ..r.clone()
        };
        save(dir.path(), &later).unwrap();
        let got = load(dir.path(), id).unwrap().unwrap();
        assert_eq!(got.body_of("v1:000000000000:111111111111"), Some("Hello"));
        assert_eq!(
            got.body_of("v1:222222222222:111111111111"),
            Some("Hello, later")
        );
        assert_eq!(got.body_of("v1:333333333333:111111111111"), None);
        assert_eq!(path(dir.path(), "../x"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(dir.path(), id).unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
