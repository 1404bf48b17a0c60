//! The sync folder's memory in `DIR/.ntn/`, and writing the folder's Markdown.
//!
//! ```text
//! DIR/.ntn/state.json      what was synced: State (entries by id, assets)
//! DIR/.ntn/journal.json    pages being created: Intent (begun, not yet ended)
//! DIR/.ntn/objects/ab/…    texts by sha256 (the base of each three-way merge)
//! DIR/.ntn/trash/<UTC>/…   synced files moved aside instead of deleted
//! DIR/.ntn/lock            one `ntn sync` at a time
//! ```
//!
//! Everything under `.ntn` is written atomically with the state writer of
//! [`crate::state::files`] (temp file, fsync, rename, fsync the directory; 0600):
//! a crash leaves the old file or the new one, never a torn one. `.ntn` itself
//! must be a real directory (a link is refused). The user's Markdown files are
//! written by [`write_doc`]: atomically too, but with ordinary permissions.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::files::{self, DirLock};
use crate::support::{Clock, SystemClock};

/// The folder of the sync state, at the root of a sync folder.
pub const STATE_DIR: &str = ".ntn";
/// The state file's name in [`STATE_DIR`].
pub const STATE_FILE: &str = "state.json";
/// The create journal's name in [`STATE_DIR`].
pub const JOURNAL_FILE: &str = "journal.json";
/// The lock file's name in [`STATE_DIR`].
pub const LOCK_FILE: &str = "lock";
/// The version of [`State`] this ntn writes.
pub const STATE_VERSION: u32 = 1;
/// The largest state, journal or object file read back (a 20,000-page state is
/// a few MiB; a page's text rarely more than one).
pub const MAX_SYNC_FILE: u64 = 64 * 1024 * 1024;
/// How long [`Store::lock`] waits for another `ntn sync`.
pub const LOCK_WAIT: Duration = Duration::from_secs(2);
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// What the folder remembers of the last sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The root page's id.
    pub root: String,
    pub workspace: Option<String>,
    /// The API base URL the folder syncs with.
    pub api: String,
    /// RFC 3339: when the last remote scan started (server time).
    pub watermark: Option<String>,
    /// Pages the last full scan saw.
    pub scanned: u64,
    /// By page or database id.
    pub entries: BTreeMap<String, Entry>,
    /// File URL without its query → relative path of the asset.
    pub assets: BTreeMap<String, String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            root: String::new(),
            workspace: None,
            api: String::new(),
            watermark: None,
            scanned: 0,
            entries: BTreeMap::new(),
            assets: BTreeMap::new(),
        }
    }
}

/// What an entry is in Notion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Page,
    Database,
    Row,
}

/// One synced page, database or row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Entry {
    pub kind: Kind,
    /// Relative path: the `.md` file of a page or row; the folder of a database.
    pub path: String,
    /// The id of the page or database it sits under.
    pub parent: Option<String>,
    pub title: String,
    pub last_edited_time: Option<String>,
    /// Read in a later minute than its last edit (`last_edited_time` has
    /// minute precision, so an edit in the same minute could hide).
    pub settled: bool,
    /// Object id of the base file text.
    pub base: Option<String>,
    /// ntn ContentHash string of the remote at base.
    pub remote_hash: Option<String>,
    /// sha256 hex of the file bytes as last written or accepted.
    pub local_hash: Option<String>,
    /// Object id of the remote text a conflict was left with (empty: the page was
    /// trashed in Notion while the file had changes).
    pub conflict: Option<String>,
    /// The content hash of that remote text (the base a resolved file is pushed on).
    pub conflict_hash: Option<String>,
    /// Block kinds that made a push refuse.
    pub lossy: Vec<String>,
    /// Why the page cannot be pushed (read incompletely, …).
    pub read_only: Option<String>,
    /// For a database.
    pub data_source: Option<String>,
}

/// A page being created: recorded before the create request, removed once the
/// page's id is in the file and the state ([`Store::begin`], [`Store::end`]).
/// An intent left over means a create may have happened: look for the page
/// under `parent` titled `title`, created at or after `started`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Intent {
    /// Relative path of the file being created as a page.
    pub path: String,
    /// The parent page's id.
    pub parent: String,
    pub title: String,
    /// RFC 3339 server time before the request.
    pub started: String,
}

/// The `.ntn` folder of a sync root.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
    dir: PathBuf,
    clock: Arc<dyn Clock>,
}

impl Store {
    /// Opens the store of the sync folder `root` (which must exist), creating
    /// `.ntn` (0700) when missing. A `.ntn` that is a link or not a directory
    /// is refused.
    pub fn open(root: &Path) -> Result<Store> {
        Store::open_with_clock(root, Arc::new(SystemClock))
    }

    /// [`Store::open`] with the clock used for lock waits and trash folder names.
    pub fn open_with_clock(root: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::local(format!("{} is not a folder", root.display()))
                    .hint("give the folder to sync"));
            }
            Err(e) => {
                return Err(
                    Error::local(format!("cannot use the folder {}", root.display()))
                        .hint("check that it exists (ntn sync init creates it)")
                        .cause(&e),
                );
            }
        }
        let dir = root.join(STATE_DIR);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::local(format!(
                    "{} is a symbolic link; ntn keeps a sync folder's state only in a real folder",
                    dir.display()
                ))
                .hint(format!(
                    "replace the link with the folder it points to (or remove it to start afresh): rm {}",
                    dir.display()
                )));
            }
            Ok(m) if !m.is_dir() => {
                return Err(Error::local(format!(
                    "{} is not a folder; ntn keeps the sync state there",
                    dir.display()
                ))
                .hint("move the file out of the way"));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                make_private_dir(&dir)?;
            }
            Err(e) => {
                return Err(Error::local(format!("cannot use {}", dir.display())).cause(&e));
            }
        }
        Ok(Store {
            root: root.to_path_buf(),
            dir,
            clock,
        })
    }

    /// The sync folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Its `.ntn` folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn journal_path(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    /// Whether the folder has been set up (`ntn sync init` saved a state).
    pub fn is_initialised(&self) -> bool {
        std::fs::symlink_metadata(self.state_path()).is_ok_and(|m| m.is_file())
    }

    /// Takes the folder's lock (waiting [`LOCK_WAIT`] at most), and clears
    /// the temp files a killed writer left. Hold it for the whole sync.
    pub fn lock(&self) -> Result<DirLock> {
        let start = self.clock.now();
        loop {
            if let Some(lock) = DirLock::try_acquire(&self.dir, LOCK_FILE)? {
                files::remove_stale_temps(&self.dir, STATE_FILE);
                files::remove_stale_temps(&self.dir, JOURNAL_FILE);
                return Ok(lock);
            }
            if self.clock.now().saturating_duration_since(start) >= LOCK_WAIT {
                return Err(Error::local(format!(
                    "another ntn sync is running in {}",
                    self.root.display()
                ))
                .hint("let it finish (or stop it), then try again"));
            }
            self.clock.sleep(LOCK_RETRY);
        }
    }

    /// The saved state. Missing or damaged: an error that says what to do.
    pub fn load(&self) -> Result<State> {
        let path = self.state_path();
        let Some(text) = read_limited_text(&path)? else {
            return Err(Error::local(format!(
                "{} is not a sync folder yet (no {})",
                self.root.display(),
                path.display()
            ))
            .hint("set it up with `ntn sync init`"));
        };
        let state: State = serde_json::from_str(&text).map_err(|e| {
            Error::local(format!(
                "the sync state {} is damaged: {}",
                path.display(),
                files::describe_json_error(&e)
            ))
            .hint(format!(
                "ntn left it untouched; move it aside (mv {p} {p}.bak) and run `ntn sync init` again",
                p = path.display()
            ))
        })?;
        if state.version > STATE_VERSION {
            return Err(Error::local(format!(
                "the sync state {} was written by a newer ntn (version {})",
                path.display(),
                state.version
            ))
            .hint("update ntn to sync this folder"));
        }
        Ok(state)
    }

    /// Saves the state atomically (hold [`Store::lock`]).
    pub fn save(&self, s: &State) -> Result<()> {
        write_json_capped(&self.state_path(), s)
    }

    /// Stores `text` as an object (skipped when present) and returns its id:
    /// the sha256 of its bytes, 64 lowercase hex digits.
    pub fn put(&self, text: &str) -> Result<String> {
        let id = super::local::hash(text.as_bytes());
        let path = self.object_path(&id);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Ok(id);
        }
        if let Some(dir) = path.parent() {
            make_private_dir(dir)?;
        }
        files::write_atomic(&path, text.as_bytes())?;
        Ok(id)
    }

    /// The text of object `id`; `None` when there is none. An id that is not
    /// 64 hex digits, or an object whose bytes no longer hash to its id, is an
    /// error.
    pub fn get(&self, id: &str) -> Result<Option<String>> {
        if !is_object_id(id) {
            return Err(Error::local(format!(
                "{:?} is not an object id (64 hex digits)",
                crate::output::text::clean(id)
            ))
            .hint("the sync state is damaged: run `ntn sync init` again"));
        }
        let path = self.object_path(id);
        let Some(bytes) = files::read_bytes_limited(&path, MAX_SYNC_FILE)? else {
            return Ok(None);
        };
        if super::local::hash(&bytes) != id {
            return Err(files::corrupt(&path, "does not match its name (damaged)"));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| files::corrupt(&path, "is not UTF-8 text"))
    }

    fn object_path(&self, id: &str) -> PathBuf {
        self.dir.join("objects").join(&id[..2]).join(&id[2..])
    }

    /// Removes every object not in `keep` (and anything else in the objects
    /// folder that is not an object, such as a killed writer's temp file);
    /// returns how many objects went. Hold [`Store::lock`].
    pub fn gc(&self, keep: &BTreeSet<String>) -> Result<usize> {
        let objects = self.dir.join("objects");
        let Some(dirs) = read_dir_opt(&objects)? else {
            return Ok(0);
        };
        let mut removed = 0;
        for d in dirs {
            let d = d.map_err(|e| cannot_list(&objects, &e))?;
            let prefix = d.file_name().to_string_lossy().into_owned();
            let path = d.path();
            let ty = d.file_type().map_err(|e| cannot_list(&objects, &e))?;
            if !ty.is_dir() {
                files::remove(&path)?;
                continue;
            }
            let Some(inner) = read_dir_opt(&path)? else {
                continue;
            };
            for f in inner {
                let f = f.map_err(|e| cannot_list(&path, &e))?;
                let id = format!("{prefix}{}", f.file_name().to_string_lossy());
                let ty = f.file_type().map_err(|e| cannot_list(&path, &e))?;
                if ty.is_dir() {
                    continue;
                }
                if is_object_id(&id) && keep.contains(&id) {
                    continue;
                }
                files::remove(&f.path())?;
                if is_object_id(&id) {
                    removed += 1;
                }
            }
            // Only an empty folder goes; an error means it is not empty.
            let _ = std::fs::remove_dir(&path);
        }
        Ok(removed)
    }

    /// The creates begun and not ended.
    pub fn intents(&self) -> Result<Vec<Intent>> {
        let path = self.journal_path();
        let Some(text) = read_limited_text(&path)? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&text).map_err(|e| {
            Error::local(format!(
                "the create journal {} is damaged: {}",
                path.display(),
                files::describe_json_error(&e)
            ))
            .hint(format!(
                "it lists pages being created when a sync stopped; look for duplicates in Notion, then remove it (rm {})",
                path.display()
            ))
        })
    }

    /// Records `i` before its create request; on disk when this returns.
    pub fn begin(&self, i: &Intent) -> Result<()> {
        let mut all = self.intents()?;
        all.push(i.clone());
        write_json_capped(&self.journal_path(), &all)
    }

    /// Forgets the intents for `path` (the page's id is safely recorded).
    pub fn end(&self, path: &str) -> Result<()> {
        let mut all = self.intents()?;
        let before = all.len();
        all.retain(|i| i.path != path);
        if all.len() == before {
            return Ok(());
        }
        if all.is_empty() {
            files::remove(&self.journal_path())?;
            return Ok(());
        }
        write_json_capped(&self.journal_path(), &all)
    }

    /// Moves the synced file `rel` into `.ntn/trash/<UTC time>/<rel>` and
    /// returns its new relative path. Never overwrites: a name already there
    /// gets ` (2)`, ` (3)`, … before its extension. Only regular files move.
    pub fn to_trash(&self, rel: &str) -> Result<String> {
        if rel.split('/').next() == Some(STATE_DIR) {
            return Err(
                Error::local(format!("{rel:?} is ntn's own state, not a synced file"))
                    .hint("this is a bug in ntn: nothing was moved"),
            );
        }
        let from = resolve(&self.root, rel)?;
        match std::fs::symlink_metadata(&from) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::local(format!(
                    "{} is not a regular file; ntn only moves its own files to the trash",
                    from.display()
                ))
                .hint("move it yourself"));
            }
            Err(e) => {
                return Err(
                    Error::local(format!("cannot move {} to the trash", from.display())).cause(&e),
                );
            }
        }
        let stamp = trash_stamp(self.clock.unix_ms());
        let base = format!("{STATE_DIR}/trash/{stamp}/{rel}");
        let mut n = 1u32;
        let (dest_rel, dest) = loop {
            let candidate = if n == 1 {
                base.clone()
            } else {
                numbered(&base, n)
            };
            let Some(path) = super::layout::abs(&self.root, &candidate) else {
                return Err(Error::local(format!("cannot move {rel} to the trash")));
            };
            if std::fs::symlink_metadata(&path).is_err() {
                break (candidate, path);
            }
            n += 1;
        };
        if let Some(parent) = dest.parent() {
            make_private_dir(parent)?;
        }
        std::fs::rename(&from, &dest).map_err(|e| {
            Error::local(format!(
                "cannot move {} to {}",
                from.display(),
                dest.display()
            ))
            .cause(&e)
        })?;
        if let Some(p) = from.parent() {
            files::sync_dir(p);
        }
        if let Some(p) = dest.parent() {
            files::sync_dir(p);
        }
        Ok(dest_rel)
    }
}

/// `a/b.md` → `a/b (2).md`.
fn numbered(rel: &str, n: u32) -> String {
    let (dir, name) = match rel.rsplit_once('/') {
        Some((d, f)) => (format!("{d}/"), f),
        None => (String::new(), rel),
    };
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem} ({n}).{ext}"),
        _ => format!("{dir}{name} ({n})"),
    }
}

/// `20250102T030405Z`: a UTC time usable as a folder name everywhere.
fn trash_stamp(ms: u64) -> String {
    crate::support::time::format_rfc3339(ms).replace(['-', ':'], "")
}

fn is_object_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn cannot_list(dir: &Path, e: &std::io::Error) -> Error {
    Error::local(format!("cannot list {}", dir.display())).cause(e)
}

fn read_dir_opt(dir: &Path) -> Result<Option<std::fs::ReadDir>> {
    match std::fs::read_dir(dir) {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(cannot_list(dir, &e)),
    }
}

/// Creates `dir` and its parents (0700 on Unix), refusing a link in its place.
fn make_private_dir(dir: &Path) -> Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(dir) {
        if m.is_dir() {
            return Ok(());
        }
        return Err(Error::local(format!(
            "{} is not a folder (a link or a file)",
            dir.display()
        ))
        .hint("move it out of the way"));
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        Error::local(format!("cannot create the folder {}", dir.display()))
            .hint("check the permissions of its parent")
            .cause(&e)
    })
}

/// A state or journal file as text (at most [`MAX_SYNC_FILE`]); `None` when missing.
fn read_limited_text(path: &Path) -> Result<Option<String>> {
    let Some(bytes) = files::read_bytes_limited(path, MAX_SYNC_FILE)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| files::corrupt(path, "is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(files::corrupt(path, "is empty"));
    }
    Ok(Some(text))
}

/// Writes `value` as pretty JSON atomically, refusing more than ntn reads back.
fn write_json_capped<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::local(format!("cannot encode {}", path.display())).cause(&e))?;
    bytes.push(b'\n');
    if bytes.len() as u64 > MAX_SYNC_FILE {
        return Err(Error::local(format!(
            "not writing {}: it would be {} bytes, more than the {MAX_SYNC_FILE} ntn reads back",
            path.display(),
            bytes.len()
        ))
        .hint("the file was left as it was; sync a smaller page tree"));
    }
    files::write_atomic(path, &bytes)
}

/// The path on disk of `rel` under `root`, refusing a relative path that
/// could leave the root ([`super::layout::abs`]) and any folder on the way
/// that is a symbolic link (which could lead out of it).
pub fn resolve(root: &Path, rel: &str) -> Result<PathBuf> {
    let Some(path) = super::layout::abs(root, rel) else {
        return Err(Error::local(format!(
            "{:?} is not a path inside the sync folder",
            crate::output::text::clean(rel)
        ))
        .hint("the sync state is damaged: run `ntn sync init` again"));
    };
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::local(format!(
                "{} is a symbolic link; ntn does not follow links in a sync folder",
                at.display()
            ))
            .hint("replace the link with a real folder"));
        }
    }
    Ok(path)
}

/// Writes one of the folder's Markdown files atomically (temp file in the same
/// folder, fsync, rename, fsync the folder), creating its folders. A new file
/// gets ordinary permissions (0644 less the umask); a replaced file keeps its
/// mode. A link or anything but a regular file at `path` is refused, never
/// followed or replaced.
pub fn write_doc(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let fail = |e: &std::io::Error| {
        Error::local(format!("cannot write {}", path.display()))
            .hint(format!(
                "check that {} is writable and the disk is not full",
                dir.display()
            ))
            .cause(e)
    };
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() || !m.is_file() => {
            return Err(Error::local(format!(
                "{} is not a regular file (a link or a folder); ntn will not replace it",
                path.display()
            ))
            .hint("move it out of the way"));
        }
        Ok(m) => Some(m),
        Err(_) => None,
    };
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::local(format!(
                "{} is not a folder (a link or a file); ntn will not write through it",
                dir.display()
            ))
            .hint("move it out of the way"));
        }
        Err(_) => std::fs::create_dir_all(dir).map_err(|e| fail(&e))?,
    }
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode given at creation is filtered by the umask, as any new file's.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| fail(&e))?;
    tmp.write_all(bytes).map_err(|e| fail(&e))?;
    if let Some(m) = &existing {
        tmp.as_file()
            .set_permissions(m.permissions())
            .map_err(|e| fail(&e))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    files::sync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::ManualClock;

    fn entry(path: &str) -> Entry {
        Entry {
            kind: Kind::Page,
            path: path.into(),
            parent: Some("p".into()),
            title: "T".into(),
            last_edited_time: Some("2025-01-02T03:04:00.000Z".into()),
            settled: true,
            base: Some("a".repeat(64)),
            remote_hash: Some("v1:abc:def".into()),
            local_hash: Some("b".repeat(64)),
            lossy: vec!["synced_block".into()],
            ..Entry::default()
        }
    }

    #[test]
    fn state_round_trips_and_missing_or_damaged_is_explained() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert!(!store.is_initialised());
        let e = store.load().unwrap_err();
        assert!(e.hint_text().unwrap().contains("ntn sync init"));
        let mut s = State {
            root: "r".into(),
            api: "https://api.notion.com".into(),
            watermark: Some("2025-01-02T03:04:05Z".into()),
            scanned: 3,
            ..State::default()
        };
        s.entries.insert("id1".into(), entry("A.md"));
        s.entries.insert(
            "db".into(),
            Entry {
                kind: Kind::Database,
                data_source: Some("ds".into()),
                ..entry("DB")
            },
        );
        s.assets
            .insert("https://x/y.png".into(), "assets/y.png".into());
        store.save(&s).unwrap();
        assert!(store.is_initialised());
        assert_eq!(store.load().unwrap(), s);
        let text = std::fs::read_to_string(tmp.path().join(".ntn/state.json")).unwrap();
        assert!(text.contains("\"kind\": \"database\""), "{text}");
        // Unknown keys and missing ones are fine (forward compatibility).
        std::fs::write(
            tmp.path().join(".ntn/state.json"),
            r#"{"version":1,"root":"r","future":1,"entries":{"x":{"path":"x.md","new":2}}}"#,
        )
        .unwrap();
        let s = store.load().unwrap();
        assert_eq!(s.entries["x"].kind, Kind::Page);
        std::fs::write(tmp.path().join(".ntn/state.json"), "{\"version\": 1, ").unwrap();
        let e = store.load().unwrap_err();
        assert!(e.message().contains("state.json"), "{}", e.message());
        assert!(e.message().contains("damaged"), "{}", e.message());
        assert!(e.hint_text().unwrap().contains("ntn sync init"));
        std::fs::write(tmp.path().join(".ntn/state.json"), "{\"version\": 9}").unwrap();
        assert!(store.load().unwrap_err().message().contains("newer ntn"));
    }

    #[test]
    fn a_large_state_is_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let mut s = State::default();
        for i in 0..20_000 {
            s.entries.insert(
                format!("{i:08x}-0000-4000-8000-000000000000"),
                entry(&format!("Folder {i}/Some page title {i}.md")),
            );
        }
        store.save(&s).unwrap();
        let len = std::fs::metadata(tmp.path().join(".ntn/state.json"))
            .unwrap()
            .len();
        assert!(len > files::MAX_STATE_FILE, "{len}");
        assert_eq!(store.load().unwrap().entries.len(), 20_000);
    }

    #[test]
    fn a_link_for_the_state_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".ntn"), "x").unwrap();
        assert!(Store::open(tmp.path()).is_err());
        assert!(Store::open(&tmp.path().join("missing")).is_err());
        #[cfg(unix)]
        {
            let tmp = tempfile::tempdir().unwrap();
            let elsewhere = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(elsewhere.path(), tmp.path().join(".ntn")).unwrap();
            let e = Store::open(tmp.path()).unwrap_err();
            assert!(e.message().contains("symbolic link"), "{}", e.message());
            assert!(e.hint_text().is_some());
        }
    }

    #[test]
    fn a_second_sync_is_told_who_holds_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new());
        let store = Store::open_with_clock(tmp.path(), clock.clone()).unwrap();
        let held = store.lock().unwrap();
        let e = store.lock().unwrap_err();
        assert_eq!(
            e.message(),
            format!("another ntn sync is running in {}", tmp.path().display())
        );
        assert!(clock.slept() >= LOCK_WAIT);
        drop(held);
        store.lock().unwrap();
    }

    #[test]
    fn a_killed_save_leaves_the_old_state_and_its_temp_is_cleared() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let old = State {
            root: "old".into(),
            ..State::default()
        };
        store.save(&old).unwrap();
        // A writer killed before its rename leaves a torn temp file beside it.
        let torn = tmp.path().join(".ntn/.state.json.abc123.tmp");
        std::fs::write(&torn, "{\"root\": \"ne").unwrap();
        assert_eq!(store.load().unwrap(), old);
        let _lock = store.lock().unwrap();
        assert!(!torn.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_save_leaves_the_old_state() {
        use std::os::unix::fs::PermissionsExt;
        if files::current_uid() == 0 {
            // Root writes into read-only folders; nothing to test there.
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let old = State {
            root: "old".into(),
            ..State::default()
        };
        store.save(&old).unwrap();
        let dir = tmp.path().join(".ntn");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        let new = State {
            root: "new".into(),
            ..State::default()
        };
        let r = store.save(&new);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(r.is_err());
        assert_eq!(store.load().unwrap(), old);
    }

    #[test]
    fn objects_are_put_got_and_collected() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        let a = store.put("alpha\n").unwrap();
        let b = store.put("beta\n").unwrap();
        let empty = store.put("").unwrap();
        assert_eq!(store.put("alpha\n").unwrap(), a);
        assert_eq!(a.len(), 64);
        assert!(
            tmp.path()
                .join(".ntn/objects")
                .join(&a[..2])
                .join(&a[2..])
                .is_file()
        );
        assert_eq!(store.get(&a).unwrap().as_deref(), Some("alpha\n"));
        assert_eq!(store.get(&empty).unwrap().as_deref(), Some(""));
        assert_eq!(store.get(&"0".repeat(64)).unwrap(), None);
        for bad in ["../../state.json", "ABC", &"A".repeat(64), &"g".repeat(64)] {
            assert!(store.get(bad).is_err(), "{bad}");
        }
        // A damaged object is not taken for the text.
        let pb = tmp.path().join(".ntn/objects").join(&b[..2]).join(&b[2..]);
        std::fs::write(&pb, "gamma\n").unwrap();
        assert!(store.get(&b).unwrap_err().message().contains("damaged"));
        std::fs::write(
            tmp.path().join(".ntn/objects").join(&a[..2]).join(".x.tmp"),
            "",
        )
        .unwrap();
        let keep: BTreeSet<String> = [a.clone()].into();
        assert_eq!(store.gc(&keep).unwrap(), 2);
        assert_eq!(store.get(&a).unwrap().as_deref(), Some("alpha\n"));
        assert_eq!(store.get(&b).unwrap(), None);
        assert_eq!(store.get(&empty).unwrap(), None);
        let left: Vec<_> = std::fs::read_dir(tmp.path().join(".ntn/objects"))
            .unwrap()
            .collect();
        assert_eq!(left.len(), 1, "empty folders go");
        assert_eq!(store.gc(&BTreeSet::new()).unwrap(), 1);
    }

    #[test]
    fn the_journal_survives_reopening() {
        let tmp = tempfile::tempdir().unwrap();
        let i1 = Intent {
            path: "A.md".into(),
            parent: "p".into(),
            title: "A".into(),
            started: "2025-01-02T03:04:05Z".into(),
        };
        let i2 = Intent {
            path: "B/B.md".into(),
            ..i1.clone()
        };
        {
            let store = Store::open(tmp.path()).unwrap();
            assert!(store.intents().unwrap().is_empty());
            store.begin(&i1).unwrap();
            store.begin(&i2).unwrap();
        }
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(store.intents().unwrap(), vec![i1.clone(), i2.clone()]);
        store.end("A.md").unwrap();
        store.end("nothing.md").unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(store.intents().unwrap(), vec![i2]);
        store.end("B/B.md").unwrap();
        assert!(store.intents().unwrap().is_empty());
        std::fs::write(tmp.path().join(".ntn/journal.json"), "[{").unwrap();
        let e = store.intents().unwrap_err();
        assert!(e.message().contains("journal.json"), "{}", e.message());
    }

    #[test]
    fn files_go_to_the_trash_without_overwriting() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new());
        let store = Store::open_with_clock(tmp.path(), clock.clone()).unwrap();
        std::fs::create_dir_all(tmp.path().join("Dir")).unwrap();
        std::fs::write(tmp.path().join("Dir/A.md"), "one").unwrap();
        let r1 = store.to_trash("Dir/A.md").unwrap();
        assert!(r1.starts_with(".ntn/trash/"), "{r1}");
        assert!(r1.ends_with("Z/Dir/A.md"), "{r1}");
        assert!(!r1.contains(':'));
        assert!(!tmp.path().join("Dir/A.md").exists());
        std::fs::write(tmp.path().join("Dir/A.md"), "two").unwrap();
        let r2 = store.to_trash("Dir/A.md").unwrap();
        assert_eq!(r2, r1.replace("A.md", "A (2).md"));
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(&r1)).unwrap(),
            "one"
        );
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(&r2)).unwrap(),
            "two"
        );
        clock.advance(Duration::from_secs(5));
        std::fs::write(tmp.path().join("Dir/A.md"), "three").unwrap();
        let r3 = store.to_trash("Dir/A.md").unwrap();
        assert!(r3.ends_with("/Dir/A.md") && r3 != r1, "{r3}");
        assert!(store.to_trash("../x.md").is_err());
        assert!(store.to_trash("Dir").is_err());
        assert!(store.to_trash("missing.md").is_err());
        std::fs::write(tmp.path().join(".ntn/state.json"), "{}").unwrap();
        assert!(store.to_trash(".ntn/state.json").is_err());
        assert!(tmp.path().join(".ntn/state.json").is_file());
    }

    #[cfg(unix)]
    #[test]
    fn links_on_the_way_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("L")).unwrap();
        assert!(resolve(tmp.path(), "L/x.md").is_err());
        assert!(resolve(tmp.path(), "M/x.md").is_ok());
        std::fs::write(outside.path().join("t.md"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("t.md"), tmp.path().join("t.md")).unwrap();
        assert!(write_doc(&tmp.path().join("t.md"), b"y").is_err());
        assert!(write_doc(&tmp.path().join("L/new.md"), b"y").is_err());
        assert_eq!(
            std::fs::read_to_string(outside.path().join("t.md")).unwrap(),
            "x"
        );
        assert!(!outside.path().join("new.md").exists());
    }

    #[test]
    fn write_doc_writes_creates_folders_and_refuses_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a/b/c.md");
        write_doc(&p, b"one").unwrap();
        write_doc(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(tmp.path().join("a/b")).unwrap().count(),
            1
        );
        assert!(write_doc(&tmp.path().join("a"), b"x").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            write_doc(&p, b"three").unwrap();
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "a replaced file keeps its mode");
        }
    }

    /// Run in a child process (the umask is the whole process's) started by a
    /// shell that set its umask: writes the file `NTN_TEST_DOC`.
    #[cfg(unix)]
    #[test]
    #[ignore = "run by write_doc_modes_follow_the_umask in a child process"]
    fn write_doc_under_umask_child() {
        let Ok(path) = std::env::var("NTN_TEST_DOC") else {
            return;
        };
        write_doc(Path::new(&path), b"hello").unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn write_doc_modes_follow_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        for (mask, want) in [("077", 0o600), ("022", 0o644), ("002", 0o644)] {
            let path = tmp.path().join(format!("u{mask}.md"));
            let status = std::process::Command::new("sh")
                .args(["-c", "umask \"$1\" && shift && exec \"$@\"", "sh", mask])
                .arg(std::env::current_exe().unwrap())
                .args([
                    "sync::store::tests::write_doc_under_umask_child",
                    "--exact",
                    "--ignored",
                    "--quiet",
                ])
                .env("NTN_TEST_DOC", &path)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            assert_eq!(std::fs::read(&path).unwrap(), b"hello");
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, want, "umask {mask}");
        }
    }
}
