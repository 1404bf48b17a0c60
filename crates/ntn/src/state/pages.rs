//! What this machine last knew of each page: a record written by every `ntn pages get`
//! and every successful edit, in `<config dir>/pages/<page id>.json` (0600, written
//! atomically). It guards an edit whose input carries no `content_hash` (a file from
//! `--no-frontmatter`, `--content`, a pipe, an agent): the page must still be what this
//! machine last read.
//!
//! The bodies of the last few states this machine saw are kept beside it, by content
//! hash (`<config dir>/pages/<page id>/<hash>.md`): the base of the three-way view of a
//! conflict (the copy a file was read from, even after later reads of the page). A body
//! is written straight from the page as read, so recording a page costs no copy of it.
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

/// How many bodies a page keeps (its latest state's and earlier ones).
pub const KEPT_BODIES: usize = 5;

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
    /// The content hashes whose bodies are kept, newest first.
    #[serde(default)]
    pub bodies: Vec<String>,
}

/// Where the record of page `id` lives (`id` is a page id ntn normalised: hex and
/// dashes only, so it is a safe file name).
pub fn path(config_dir: &Path, id: &str) -> Option<PathBuf> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return None;
    }
    Some(config_dir.join(DIR).join(format!("{id}.json")))
}

/// Where the body of page `id` in the state `hash` is kept (`:` is not a file name
/// character everywhere).
fn body_path(config_dir: &Path, id: &str, hash: &str) -> Option<PathBuf> {
    let dir = path(config_dir, id)?.with_extension("");
    let name: String = hash
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Some(dir.join(format!("{name}.md")))
}

/// The record of page `id`, if this machine has one.
pub fn load(config_dir: &Path, id: &str) -> Result<Option<PageRecord>> {
    let Some(p) = path(config_dir, id) else {
        return Ok(None);
    };
    files::read_json(&p)
}

/// The body of page `id` in the state `hash`, if this machine kept it.
pub fn body_of(config_dir: &Path, id: &str, hash: &str) -> Option<String> {
    let record = load(config_dir, id).ok()??;
    if !record.bodies.iter().any(|h| h == hash) {
        return None;
    }
    files::read_text(&body_path(config_dir, id, hash)?)
        .ok()
        .flatten()
}

/// Records a page's state (replacing the record) and keeps its body; the bodies of
/// states older than the last [`KEPT_BODIES`] go.
pub fn save(config_dir: &Path, record: &PageRecord, body: &str) -> Result<()> {
    let (Some(p), Some(bp)) = (
        path(config_dir, &record.id),
        body_path(config_dir, &record.id, &record.content_hash),
    ) else {
        return Ok(());
    };
    files::ensure_private_dir(config_dir)?;
    files::ensure_private_dir(&config_dir.join(DIR))?;
    let mut record = record.clone();
    let mut bodies = vec![record.content_hash.clone()];
    if let Ok(Some(old)) = files::read_json::<PageRecord>(&p) {
        bodies.extend(old.bodies.into_iter().filter(|h| *h != record.content_hash));
    }
    // State files are read up to a size: a body past it is not kept.
    let keep_body = (body.len() as u64) < files::MAX_STATE_FILE;
    if keep_body {
        if let Some(dir) = bp.parent() {
            files::ensure_private_dir(dir)?;
        }
        files::write_atomic(&bp, body.as_bytes())?;
    } else {
        bodies.remove(0);
    }
    for gone in bodies.iter().skip(KEPT_BODIES) {
        if let Some(old) = body_path(config_dir, &record.id, gone) {
            let _ = files::remove(&old);
        }
    }
    bodies.truncate(KEPT_BODIES);
    record.bodies = bodies;
    let bytes = serde_json::to_vec(&record).unwrap_or_default();
    files::write_atomic(&p, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(hash: &str) -> PageRecord {
        PageRecord {
            id: "a1000000-0000-4000-8000-000000000001".into(),
            content_hash: hash.into(),
            last_edited_time: Some("2026-01-01T00:00:00.000Z".into()),
            recorded_at: "2026-01-01T00:00:05Z".into(),
            bodies: Vec::new(),
        }
    }

    #[test]
    fn records_keep_the_last_bodies_by_hash_privately() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let id = "a1000000-0000-4000-8000-000000000001";
        assert_eq!(load(d, id).unwrap(), None);
        let hash = |n: usize| format!("v1:{n:012}:111111111111");
        for n in 0..7 {
            save(d, &record(&hash(n)), &format!("Body {n}")).unwrap();
        }
        let got = load(d, id).unwrap().unwrap();
        assert_eq!(got.content_hash, hash(6));
        assert_eq!(got.bodies.len(), KEPT_BODIES);
        assert_eq!(body_of(d, id, &hash(6)).as_deref(), Some("Body 6"));
        assert_eq!(body_of(d, id, &hash(2)).as_deref(), Some("Body 2"));
        assert_eq!(body_of(d, id, &hash(1)), None, "older than the last five");
        assert!(
            !body_path(d, id, &hash(1)).unwrap().exists(),
            "its file is gone"
        );
        // Saving the same state again keeps one copy.
        save(d, &record(&hash(2)), "Body 2").unwrap();
        let got = load(d, id).unwrap().unwrap();
        assert_eq!(got.bodies[0], hash(2));
        assert_eq!(got.bodies.iter().filter(|h| **h == hash(2)).count(), 1);
        assert_eq!(path(d, "../x"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path(d, id).unwrap()), 0o600);
            assert_eq!(mode(&body_path(d, id, &hash(2)).unwrap()), 0o600);
            assert_eq!(
                mode(body_path(d, id, &hash(2)).unwrap().parent().unwrap()),
                0o700
            );
        }
    }
}
