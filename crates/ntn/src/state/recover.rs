//! Recovery files: text the user wrote in the editor that ntn has not
//! applied yet (`ntn pages edit` failed, or was killed, after the editor
//! closed). Each is `<config dir>/recover/<page id>-<unix ms>.md`, private
//! (0600 in a 0700 directory, written atomically), and is removed once an
//! edit from it succeeds. The newest file of a page is what
//! `ntn pages edit PAGE --recover` reopens.

use std::path::{Path, PathBuf};

use super::files;
use super::paths::ConfigDir;
use crate::error::{Error, Result};

/// The directory under the config directory.
pub const DIR: &str = "recover";

/// The recovery files of one config directory.
#[derive(Clone, Debug)]
pub struct Recovery {
    dir: PathBuf,
}

/// A page id as a file name part: ids are hex digits and dashes; anything
/// else is replaced, so no id can name a path elsewhere.
fn stem(page: &str) -> String {
    page.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The time in a recovery file's name, when `name` is one for `page`.
fn time_of(name: &str, page: &str) -> Option<u64> {
    let rest = name.strip_prefix(&stem(page))?.strip_prefix('-')?;
    let digits = rest.strip_suffix(".md")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Recovery {
    pub fn new(config: &ConfigDir) -> Recovery {
        Recovery::in_dir(config.path.join(DIR))
    }

    /// Recovery files in `dir` itself (tests).
    pub fn in_dir(dir: PathBuf) -> Recovery {
        Recovery { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps `text` for `page`, written at `unix_ms`; returns its path.
    pub fn save(&self, page: &str, unix_ms: u64, text: &str) -> Result<PathBuf> {
        files::ensure_private_dir(&self.dir)?;
        let path = self.dir.join(format!("{}-{unix_ms:013}.md", stem(page)));
        files::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }

    /// The newest recovery file of `page`, if any.
    pub fn newest(&self, page: &str) -> Result<Option<PathBuf>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::local(format!("cannot read {}", self.dir.display())).cause(&e));
            }
        };
        let newest = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                time_of(&name, page).map(|t| (t, e.path()))
            })
            .max_by_key(|(t, _)| *t);
        Ok(newest.map(|(_, p)| p))
    }

    /// Whether `path` is one of the recovery files here (of any page).
    pub fn holds(&self, path: &Path) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let same_dir = match (parent.canonicalize(), self.dir.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        same_dir
            && name.to_str().is_some_and(|n| {
                n.split_once('-').is_some() && n.ends_with(".md") && {
                    let digits = n.trim_end_matches(".md").rsplit('-').next().unwrap_or("");
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                }
            })
    }

    /// Removes a recovery file (`Ok(false)`: it was gone).
    pub fn remove(&self, path: &Path) -> Result<bool> {
        files::remove(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "a1000000-0000-4000-8000-000000000001";

    #[test]
    fn saved_privately_newest_first_per_page() {
        let tmp = tempfile::tempdir().unwrap();
        let r = Recovery::in_dir(tmp.path().join("recover"));
        assert_eq!(r.newest(PAGE).unwrap(), None);
        let old = r.save(PAGE, 1_000, "old").unwrap();
        let new = r.save(PAGE, 2_000, "new").unwrap();
        let other = r
            .save("b1000000-0000-4000-8000-000000000001", 3_000, "x")
            .unwrap();
        assert_eq!(r.newest(PAGE).unwrap().as_deref(), Some(new.as_path()));
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "new");
        assert!(r.holds(&old) && r.holds(&other));
        assert!(!r.holds(&tmp.path().join("recover.md")));
        assert!(!r.holds(Path::new("page.md")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&new), 0o600);
            assert_eq!(mode(r.dir()), 0o700);
        }
        assert!(r.remove(&new).unwrap());
        assert!(!r.remove(&new).unwrap());
        assert_eq!(r.newest(PAGE).unwrap().as_deref(), Some(old.as_path()));
        // An id cannot lead outside the directory.
        let odd = r.save("../x", 1, "t").unwrap();
        assert_eq!(odd.parent(), Some(r.dir()));
    }
}
