//! Reading and writing state files safely.
//!
//! * Reads refuse symlinks, directories, huge files, non-UTF-8 and bad JSON with
//!   an error that names the file; the file is never touched.
//! * Writes are atomic: a temp file in the same directory (created 0600), write,
//!   fsync, rename, fsync the directory.
//! * [`DirLock`] is an exclusive advisory lock on a lock file in the directory;
//!   hold it around every read-modify-write.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// State files are small; anything larger is not ours.
pub const MAX_STATE_FILE: u64 = 4 * 1024 * 1024;

/// Reads and parses a JSON state file. `Ok(None)` when it does not exist.
/// An empty file (or one holding only whitespace) is treated as corrupt.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| corrupt(path, &format!("is not valid: {}", describe_json_error(&e))))
}

/// Reads a state file as UTF-8 text. `Ok(None)` when it does not exist.
pub fn read_text(path: &Path) -> Result<Option<String>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::local(format!("cannot read {}", path.display()))
                .hint("check the file's permissions")
                .cause(&e));
        }
    };
    if meta.file_type().is_symlink() {
        return Err(Error::local(format!(
            "{} is a symbolic link; ntn only uses regular files for its state",
            path.display()
        ))
        .hint("replace the link with a copy of the file it points to"));
    }
    if meta.is_dir() {
        return Err(
            Error::local(format!("{} is a directory, not a file", path.display()))
                .hint("move the directory out of the way"),
        );
    }
    if meta.len() > MAX_STATE_FILE {
        return Err(corrupt(
            path,
            &format!("is too large ({} bytes)", meta.len()),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(MAX_STATE_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            Error::local(format!("cannot read {}", path.display()))
                .hint("check the file's permissions")
                .cause(&e)
        })?;
    let text = String::from_utf8(bytes).map_err(|_| corrupt(path, "is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(corrupt(path, "is empty"));
    }
    Ok(Some(text))
}

fn describe_json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => "it ends too early (truncated?)".into(),
        serde_json::error::Category::Syntax => format!("JSON syntax error at line {}", e.line()),
        serde_json::error::Category::Data => format!("unexpected content ({e})"),
        serde_json::error::Category::Io => e.to_string(),
    }
}

/// The error for a state file ntn cannot use. The file is left as it is.
pub fn corrupt(path: &Path, what: &str) -> Error {
    Error::local(format!("{} {what}", path.display())).hint(format!(
        "fix or remove the file (ntn left it untouched); for example: mv {} {}.bak",
        path.display(),
        path.display()
    ))
}

/// Serialises `value` as pretty JSON and writes it atomically with mode 0600.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::local(format!("cannot encode {}", path.display())).cause(&e))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically: temp file (0600) in the same directory,
/// fsync, rename over `path`, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let fail = |e: &std::io::Error| {
        Error::local(format!("cannot write {}", path.display()))
            .hint(format!(
                "check that {} is writable and the disk is not full",
                dir.display()
            ))
            .cause(e)
    };
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && (meta.file_type().is_symlink() || meta.is_dir())
    {
        return Err(Error::local(format!(
            "{} is not a regular file; ntn will not replace it",
            path.display()
        ))
        .hint("move it out of the way"));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(private_file_permissions())
        .tempfile_in(dir)
        .map_err(|e| fail(&e))?;
    tmp.write_all(bytes).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    // The mode is set explicitly: some umasks could widen or narrow it.
    set_private(tmp.path()).map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    sync_dir(dir);
    Ok(())
}

/// Removes a file; `Ok(false)` when it did not exist.
pub fn remove(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            sync_dir(path.parent().unwrap_or(Path::new(".")));
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::local(format!("cannot remove {}", path.display())).cause(&e)),
    }
}

#[cfg(unix)]
fn private_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o600)
}

#[cfg(not(unix))]
fn private_file_permissions() -> std::fs::Permissions {
    std::fs::metadata(".")
        .map(|m| m.permissions())
        .unwrap_or_else(|_| unreachable!())
}

/// Sets mode 0600 on a file (no-op off Unix).
pub fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    let _ = dir;
}

/// Creates `dir` (and parents) if needed; a directory ntn creates is 0700.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        Error::local(format!(
            "cannot create the config directory {}",
            dir.display()
        ))
        .hint("check the permissions of its parent, or set NOTION_HOME to a writable directory")
        .cause(&e)
    })?;
    #[cfg(unix)]
    {
        // DirBuilder's mode is filtered by the umask; make sure it is exactly 0700.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// An exclusive lock on `<dir>/<name>`, released on drop.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    path: PathBuf,
}

impl DirLock {
    /// Blocks until the lock is held.
    pub fn acquire(dir: &Path, name: &str) -> Result<DirLock> {
        let path = dir.join(name);
        let mut opts = OpenOptions::new();
        opts.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(|e| {
            Error::local(format!("cannot open the lock file {}", path.display()))
                .hint(format!("check that {} is writable", dir.display()))
                .cause(&e)
        })?;
        file.lock()
            .map_err(|e| Error::local(format!("cannot lock {}", path.display())).cause(&e))?;
        Ok(DirLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_is_private_and_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.json");
        write_json(&p, &serde_json::json!({"a": 1})).unwrap();
        write_json(&p, &serde_json::json!({"a": 2})).unwrap();
        let v: serde_json::Value = read_json(&p).unwrap().unwrap();
        assert_eq!(v["a"], 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn bad_files_are_named_and_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let cases: &[(&str, &[u8], &str)] = &[
            ("empty.json", b"", "is empty"),
            ("trunc.json", b"{\"version\": \"1\", \"def", "truncated"),
            ("bin.json", b"\xff\xfe{}", "not UTF-8"),
            ("syntax.json", b"{,}", "syntax"),
        ];
        for (name, bytes, needle) in cases {
            let p = tmp.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let e = read_json::<serde_json::Value>(&p).unwrap_err();
            assert!(e.message().contains(name), "{}", e.message());
            assert!(e.message().contains(needle), "{}", e.message());
            assert_eq!(std::fs::read(&p).unwrap(), *bytes);
        }
        let d = tmp.path().join("dir.json");
        std::fs::create_dir(&d).unwrap();
        assert!(
            read_json::<serde_json::Value>(&d)
                .unwrap_err()
                .message()
                .contains("directory")
        );
        #[cfg(unix)]
        {
            let l = tmp.path().join("link.json");
            std::os::unix::fs::symlink("/etc/hostname", &l).unwrap();
            let e = read_json::<serde_json::Value>(&l).unwrap_err();
            assert!(e.message().contains("symbolic link"));
            assert!(write_json(&l, &1).is_err());
            assert!(
                std::fs::symlink_metadata(&l)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
    }

    #[test]
    fn missing_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(
            read_json::<serde_json::Value>(&tmp.path().join("x"))
                .unwrap()
                .is_none()
        );
    }
}
