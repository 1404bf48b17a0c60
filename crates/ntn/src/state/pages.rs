//! What this machine last knew of each page: a record written by every `ntn pages get`
//! and every successful edit, in `<config dir>/pages/<page id>.json` (0600, written
//! atomically). It guards an edit whose input carries no `content_hash` (a file from
//! `--no-frontmatter`, `--content`, a pipe, an agent): the page must still be what this
//! machine last read. Its `body` is the base of the three-way view of a conflict.
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
    // State files are read up to a size: a huge page keeps its hash, not its body.
    let mut record = record.clone();
    if record.body.len() as u64 > files::MAX_STATE_FILE / 2 {
        record.body.clear();
    }
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
        };
        save(dir.path(), &r).unwrap();
        assert_eq!(load(dir.path(), id).unwrap(), Some(r));
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
