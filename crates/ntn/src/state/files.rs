//! Reading and writing state files safely.
//!
//! * Reads refuse symlinks, directories, huge files, non-UTF-8 and bad JSON with
//!   an error that names the file; the file is never touched. Files are opened
//!   without following a symbolic link.
//! * Writes are atomic: a temp file in the same directory (created new, 0600,
//!   so a planted link is never followed), write, fsync, rename, fsync the
//!   directory. [`write_state`] (for files guarded by a [`DirLock`]) also
//!   refuses to write more than ntn would read back ([`MAX_STATE_FILE`]),
//!   removes temp files a killed writer left, and says when it replaced a
//!   file others could read.
//! * [`DirLock`] is an exclusive advisory lock on a lock file in the directory
//!   (opened without following a link; it must be a regular file); hold it
//!   around every read-modify-write. Waiting for it says so after a moment
//!   and gives up after a bound ([`LockWait`], measured on its clock).
//! * [`check_writable`] proves that a file can be created in a directory.
//!
//! Modes (0600 files, 0700 directories) are Unix's. On Windows files and
//! directories take the access control list of the directory they are made
//! in, which in the user's profile (where the config directory is, unless
//! `NOTION_HOME` says otherwise) lets in only the user, SYSTEM and
//! Administrators; ntn sets no ACL itself and reports no mode there. Locks are
//! Windows' own file locks (`LockFileEx`); a lock file is opened normally
//! (Windows links need privileges to create, and reads still refuse them).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::output::Ui;
use crate::support::{Clock, SystemClock};

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

/// Opens `path` for reading without following a symbolic link.
fn open_nofollow(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    opts.open(path)
}

fn is_symlink_error(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return true;
    }
    let _ = e;
    false
}

fn symlink_error(path: &Path) -> Error {
    Error::local(format!(
        "{} is a symbolic link; ntn only uses regular files for its state",
        path.display()
    ))
    .hint("replace the link with a copy of the file it points to")
}

/// Reads a state file as UTF-8 text. `Ok(None)` when it does not exist.
pub fn read_text(path: &Path) -> Result<Option<String>> {
    let Some(bytes) = read_bytes_limited(path, MAX_STATE_FILE)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| corrupt(path, "is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(corrupt(path, "is empty"));
    }
    Ok(Some(text))
}

/// Reads a state file's bytes, at most `limit` of them (a larger file is an
/// error). `Ok(None)` when it does not exist. Refuses links, directories and
/// files owned by another user, as [`read_text`] does; an empty file is
/// returned as it is.
pub fn read_bytes_limited(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let cannot = |e: &std::io::Error| {
        Error::local(format!("cannot read {}", path.display()))
            .hint("check the file's permissions")
            .cause(e)
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(&e)),
    };
    if meta.file_type().is_symlink() {
        return Err(symlink_error(path));
    }
    if meta.is_dir() {
        return Err(
            Error::local(format!("{} is a directory, not a file", path.display()))
                .hint("move the directory out of the way"),
        );
    }
    let file = match open_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if is_symlink_error(&e) => return Err(symlink_error(path)),
        Err(e) => return Err(cannot(&e)),
    };
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(corrupt(path, "is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = current_uid();
        if owned_by_another(meta.uid(), me) {
            return Err(foreign_owner(path, meta.uid(), me, false));
        }
    }
    if meta.len() > limit {
        return Err(corrupt(
            path,
            &format!("is too large ({} bytes)", meta.len()),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > limit {
        return Err(corrupt(path, "is too large"));
    }
    Ok(Some(bytes))
}

/// The effective uid of this process.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether a file or directory owned by `owner` is another user's, for the
/// user `me`: ntn trusts only its user's own state (and root's, as ssh does).
pub fn owned_by_another(owner: u32, me: u32) -> bool {
    owner != me && owner != 0
}

/// The error for state (a directory when `dir`) that belongs to another user.
pub fn foreign_owner(path: &Path, owner: u32, me: u32, dir: bool) -> Error {
    let what = if dir {
        "the config directory"
    } else {
        "the state file"
    };
    Error::local(format!(
        "{what} {} belongs to another user (uid {owner}, not {me}); ntn will not keep or trust logins there",
        path.display()
    ))
    .hint(format!(
        "if it is yours, take it back with `sudo chown -R {me} {}`; otherwise set NOTION_HOME to a directory of your own",
        super::paths::shell_quote(path)
    ))
}

/// A JSON error in words (truncation, syntax with its line, unexpected content).
pub fn describe_json_error(e: &serde_json::Error) -> String {
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

fn encode<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::local(format!("cannot encode {}", path.display())).cause(&e))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Serialises `value` as pretty JSON and writes it atomically with mode 0600.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, &encode(path, value)?)
}

/// What [`write_state`] found while writing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The mode of the file it replaced, when others could read or write it
    /// (the new file is 0600).
    pub tightened_from: Option<u32>,
}

/// Writes a state file guarded by `_lock` (the [`DirLock`] that guards it,
/// held by the caller) as pretty JSON: refuses to write more than
/// [`MAX_STATE_FILE`] (ntn would refuse to read it back), removes temp files
/// of this name that a killed writer left (under the lock nobody else is
/// writing it), then writes atomically, 0600.
pub fn write_state<T: Serialize>(path: &Path, value: &T, _lock: &DirLock) -> Result<Written> {
    let bytes = encode(path, value)?;
    if bytes.len() as u64 > MAX_STATE_FILE {
        return Err(Error::local(format!(
            "not writing {}: it would be {} bytes, more than the {} ntn reads back",
            path.display(),
            bytes.len(),
            MAX_STATE_FILE
        ))
        .hint("this is a bug in ntn or a hostile server reply; the file was left as it was"));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        remove_stale_temps(dir, name);
    }
    let tightened_from = loose_mode(path);
    write_atomic(path, &bytes)?;
    Ok(Written { tightened_from })
}

/// The mode of `path` when others may read or write it (Unix).
fn loose_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions().mode() & 0o777)
            .filter(|m| m & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The prefix and suffix of the temp files [`write_atomic`] makes for `name`.
fn temp_affixes(name: &str) -> (String, &'static str) {
    (format!(".{name}."), ".tmp")
}

/// Removes the temp files of `name` in `dir` (left by a writer that was
/// killed between creating and renaming one). Links are removed, never
/// followed. Only call it while holding the lock that guards `name`.
pub fn remove_stale_temps(dir: &Path, name: &str) {
    let (prefix, suffix) = temp_affixes(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        if n.starts_with(&prefix) && n.ends_with(suffix) && n.len() > prefix.len() + suffix.len() {
            // `remove_file` removes a link itself, not what it points to.
            let _ = std::fs::remove_file(e.path());
        }
    }
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
        && (meta.file_type().is_symlink() || !meta.is_file())
    {
        return Err(Error::local(format!(
            "{} is not a regular file; ntn will not replace it",
            path.display()
        ))
        .hint("move it out of the way"));
    }
    let (prefix, suffix) = temp_affixes(name);
    // tempfile creates the file with O_CREAT|O_EXCL: an existing name (a
    // planted link included) is never opened, another name is tried.
    let mut tmp = private_temp(&prefix, suffix)
        .tempfile_in(dir)
        .map_err(|e| fail(&e))?;
    tmp.write_all(bytes).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    // The mode is set explicitly: some umasks could widen or narrow it.
    set_private_file(tmp.as_file()).map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    sync_dir(dir);
    Ok(())
}

/// Proves that a file can be created in `dir` (creates and removes one).
pub fn check_writable(dir: &Path) -> Result<()> {
    const PROBE: &str = "ntn-write-check";
    remove_stale_temps(dir, PROBE);
    let (prefix, suffix) = temp_affixes(PROBE);
    private_temp(&prefix, suffix)
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| {
            Error::local(format!(
                "the config directory {} is not writable, so a login could not be stored",
                dir.display()
            ))
            .hint(format!(
                "make it writable (chmod u+w {}), or set NOTION_HOME to a writable directory",
                dir.display()
            ))
            .cause(&e)
        })
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

/// Temp files only the user may read: created 0600 on Unix. Windows has no
/// modes: a new file takes the access control list its directory passes on
/// (in the user's profile, the user, SYSTEM and Administrators), and its
/// attributes are left alone (no read-only flag borrowed from anywhere).
fn private_temp<'a>(prefix: &'a str, suffix: &'a str) -> tempfile::Builder<'a, 'a> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    builder
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

/// Sets mode 0600 on an open file (no-op off Unix).
fn set_private_file(file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = file;
    Ok(())
}

/// Flushes a directory's entries to disk (best effort; Unix only).
pub fn sync_dir(dir: &Path) {
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

/// How long to wait for a lock, on which clock, and where to say so.
#[derive(Clone)]
pub struct LockWait {
    pub clock: Arc<dyn Clock>,
    /// After this long, a note on stderr says that ntn is waiting.
    pub notice_after: Duration,
    /// After this long, give up with an error.
    pub give_up_after: Duration,
    /// Where the note goes (none: no note).
    pub ui: Option<Ui>,
}

impl std::fmt::Debug for LockWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockWait")
            .field("notice_after", &self.notice_after)
            .field("give_up_after", &self.give_up_after)
            .finish()
    }
}

/// How long [`LockWait`] waits before it says so, by default.
pub const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);
/// How long [`LockWait`] waits before it gives up, by default. Locks are held
/// for the few milliseconds of a read-modify-write (a keychain call at most),
/// so this is far beyond any healthy wait.
pub const LOCK_GIVE_UP_AFTER: Duration = Duration::from_secs(30);
/// How often a waiting lock is tried again.
const LOCK_RETRY: Duration = Duration::from_millis(50);

impl Default for LockWait {
    fn default() -> Self {
        LockWait {
            clock: Arc::new(SystemClock),
            notice_after: LOCK_NOTICE_AFTER,
            give_up_after: LOCK_GIVE_UP_AFTER,
            ui: None,
        }
    }
}

/// An exclusive lock on `<dir>/<name>`, released on drop. The lock file may
/// hold a small record for the next holder ([`DirLock::record`]).
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

/// Opens (creating, 0600) a lock file without following a link; it must be
/// a regular file.
fn open_lock_file(dir: &Path, name: &str) -> Result<(File, PathBuf)> {
    let path = dir.join(name);
    let mut opts = OpenOptions::new();
    opts.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = opts.open(&path).map_err(|e| {
        if is_symlink_error(&e) {
            return Error::local(format!(
                "the lock file {} is a symbolic link; ntn does not follow links in its config directory",
                path.display()
            ))
            .hint(format!("remove it (rm {}); ntn makes a new one", path.display()));
        }
        Error::local(format!("cannot open the lock file {}", path.display()))
            .hint(format!("check that {} is writable", dir.display()))
            .cause(&e)
    })?;
    match file.metadata() {
        Ok(m) if m.is_file() => Ok((file, path)),
        _ => Err(Error::local(format!(
            "the lock file {} is not a regular file",
            path.display()
        ))
        .hint("remove it; ntn makes a new one")),
    }
}

impl Drop for DirLock {
    /// Unlocks explicitly: closing the file alone would keep the lock while a
    /// copy of the descriptor lives on (a child process between its fork and
    /// its exec).
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

impl DirLock {
    /// Takes the lock, waiting for another holder as `wait` says: a note
    /// after `notice_after`, an error after `give_up_after`.
    pub fn acquire(dir: &Path, name: &str, wait: &LockWait) -> Result<DirLock> {
        let (file, path) = open_lock_file(dir, name)?;
        let start = wait.clock.now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(DirLock { file, path }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::local(format!("cannot lock {}", path.display())).cause(&e));
                }
            }
            let waited = wait.clock.now().saturating_duration_since(start);
            if waited >= wait.give_up_after {
                return Err(Error::local(format!(
                    "gave up after {} s waiting for another ntn process to finish with {} (it holds {})",
                    waited.as_secs(),
                    dir.display(),
                    path.display()
                ))
                .hint("another ntn command is still running or stuck: let it finish or stop it, then try again"));
            }
            if !told && waited >= wait.notice_after {
                told = true;
                if let Some(ui) = &wait.ui {
                    ui.message(format_args!(
                        "Waiting for another ntn process to finish with {}...",
                        dir.display()
                    ));
                }
            }
            wait.clock.sleep(LOCK_RETRY);
        }
    }

    /// Takes the lock if nobody holds it; `Ok(None)` when somebody does.
    pub fn try_acquire(dir: &Path, name: &str) -> Result<Option<DirLock>> {
        let (file, path) = open_lock_file(dir, name)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DirLock { file, path })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::local(format!("cannot lock {}", path.display())).cause(&e))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The record the previous holder left in the lock file (at most 64 KiB).
    pub fn record(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut f = &self.file;
        if f.rewind().is_ok() {
            let _ = f.take(64 * 1024).read_to_end(&mut out);
        }
        out
    }

    /// Replaces the record in the lock file (for the next holder).
    pub fn set_record(&self, bytes: &[u8]) -> Result<()> {
        let mut f = &self.file;
        f.set_len(0)
            .and_then(|()| f.rewind())
            .and_then(|()| f.write_all(bytes))
            .map_err(|e| Error::local(format!("cannot write {}", self.path.display())).cause(&e))
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

    #[cfg(unix)]
    #[test]
    fn a_planted_lock_link_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::os::unix::fs::symlink(&outside, tmp.path().join(".x.lock")).unwrap();
        let e = DirLock::acquire(tmp.path(), ".x.lock", &LockWait::default()).unwrap_err();
        assert!(e.message().contains("symbolic link"), "{}", e.message());
        assert!(!outside.exists(), "the link was followed");
        // A directory (or any non-file) in its place is refused too.
        std::fs::create_dir(tmp.path().join(".y.lock")).unwrap();
        assert!(DirLock::acquire(tmp.path(), ".y.lock", &LockWait::default()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn stale_temps_are_removed_and_links_among_them_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("auth.json");
        let target = tmp.path().join("precious");
        std::fs::write(&target, "keep").unwrap();
        std::fs::write(tmp.path().join(".auth.json.abc123.tmp"), "{\"w\":\"tok\"}").unwrap();
        std::os::unix::fs::symlink(&target, tmp.path().join(".auth.json.zzz.tmp")).unwrap();
        std::fs::write(tmp.path().join(".config.json.abc.tmp"), "other").unwrap();
        let lock = DirLock::acquire(tmp.path(), ".lock", &LockWait::default()).unwrap();
        write_state(&p, &serde_json::json!({"a": 1}), &lock).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".config.json.abc.tmp", ".lock", "auth.json", "precious"]
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }

    #[cfg(unix)]
    #[test]
    fn loose_modes_are_reported_and_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("auth.json");
        std::fs::write(&p, "{}").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let lock = DirLock::acquire(tmp.path(), ".lock", &LockWait::default()).unwrap();
        let w = write_state(&p, &serde_json::json!({}), &lock).unwrap();
        assert_eq!(w.tightened_from, Some(0o644));
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let w = write_state(&p, &serde_json::json!({}), &lock).unwrap();
        assert_eq!(w.tightened_from, None);
    }

    #[test]
    fn nothing_is_written_that_could_not_be_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("workspaces.json");
        std::fs::write(&p, "{\"old\":true}").unwrap();
        let lock = DirLock::acquire(tmp.path(), ".lock", &LockWait::default()).unwrap();
        let big = "x".repeat(MAX_STATE_FILE as usize);
        let e = write_state(&p, &serde_json::json!({ "name": big }), &lock).unwrap_err();
        assert!(e.message().contains("more than"), "{}", e.message());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"old\":true}");
    }

    #[test]
    fn a_held_lock_is_waited_for_then_given_up_on_the_clock() {
        use crate::support::ManualClock;
        let tmp = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(tmp.path(), ".lock", &LockWait::default()).unwrap();
        held.set_record(b"hello").unwrap();
        let clock = Arc::new(ManualClock::new());
        let (ui, cap) = Ui::test();
        let wait = LockWait {
            clock: clock.clone(),
            notice_after: Duration::from_secs(1),
            give_up_after: Duration::from_secs(30),
            ui: Some(ui),
        };
        let real = std::time::Instant::now();
        let e = DirLock::acquire(tmp.path(), ".lock", &wait).unwrap_err();
        assert!(real.elapsed() < Duration::from_secs(5));
        assert!(
            e.message().contains("gave up after 30 s"),
            "{}",
            e.message()
        );
        assert!(clock.slept() >= Duration::from_secs(30));
        assert_eq!(
            cap.stderr()
                .matches("Waiting for another ntn process")
                .count(),
            1,
            "{}",
            cap.stderr()
        );
        assert!(DirLock::try_acquire(tmp.path(), ".lock").unwrap().is_none());
        drop(held);
        let next = DirLock::try_acquire(tmp.path(), ".lock").unwrap().unwrap();
        assert_eq!(next.record(), b"hello");
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
