//! ntn's state on disk, compatible with the official tool's formats:
//!
//! * `config.json`: `{"version":"1","defaultWorkspaceIds":{"<env>":"<id>"},"keyring":false?}`
//! * `workspaces.json`: `{"version":"1","environments":{"<env>":{"<id>":{"id","name"}}}}`
//! * `auth.json` (file store, see [`crate::secrets`]): `{"<id>":"<token>"}`
//! * `recover/<page id>-<unix ms>.md`: editor text not applied yet ([`recover`])
//!
//! Unknown fields survive a rewrite. Every read-modify-write holds the
//! directory lock ([`State::lock`]); every write is atomic, and never larger
//! than what ntn reads back.
//!
//! Workspace ids are checked ([`check_workspace_id`]) before they are stored
//! or used as a key, and on reading: a file holding another kind of id is
//! reported as corrupt. Names are capped at [`MAX_NAME_CHARS`] characters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::env::EnvName;
use crate::error::{Error, Result};
use crate::output::Ui;
use crate::support::Clock;
use crate::vars::Vars;

pub mod files;
pub mod pages;
pub mod paths;
pub mod recover;

pub use files::{DirLock, LockWait};
pub use paths::{ConfigDir, DirRule};

pub const CONFIG_FILE: &str = "config.json";
pub const WORKSPACES_FILE: &str = "workspaces.json";
pub const AUTH_FILE: &str = "auth.json";
/// Lock file guarding `config.json` and `workspaces.json` (and pending logins).
pub const LOCK_FILE: &str = ".state.lock";

/// The longest workspace name kept, in characters (longer ones are cut).
pub const MAX_NAME_CHARS: usize = 256;
/// The longest workspace id accepted.
pub const MAX_ID_CHARS: usize = 128;

/// Checks that `id` can be a workspace id: 1 to 128 ASCII letters, digits,
/// `-` or `_` (Notion's are UUIDs). Nothing else is stored or used as a key.
pub fn check_workspace_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("it is empty".into());
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(format!("it is longer than {MAX_ID_CHARS} characters"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "it holds {:?}; only letters, digits, - and _ are allowed",
            c
        ));
    }
    Ok(())
}

/// A workspace name as it is kept: at most [`MAX_NAME_CHARS`] characters.
pub fn cap_name(name: &str) -> String {
    crate::output::text::truncate(name.trim(), MAX_NAME_CHARS).into_owned()
}

fn default_version() -> String {
    "1".to_string()
}

/// `config.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(rename = "defaultWorkspaceIds", default)]
    pub default_workspace_ids: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring: Option<bool>,
    /// Fields ntn does not know; written back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Config {
    pub fn new() -> Config {
        Config {
            version: default_version(),
            ..Config::default()
        }
    }

    pub fn default_workspace(&self, env: EnvName) -> Option<&str> {
        self.default_workspace_ids
            .get(env.as_str())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Checks the default workspace ids.
    fn validate(&self, path: &Path) -> Result<()> {
        for (env, id) in &self.default_workspace_ids {
            if id.is_empty() {
                continue;
            }
            if let Err(why) = check_workspace_id(id) {
                return Err(files::corrupt(
                    path,
                    &format!(
                        "is not valid: the default workspace {:?} of environment {:?} is not an id ({why})",
                        crate::output::text::truncate(id, 40),
                        crate::output::text::truncate(env, 40),
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn set_default_workspace(&mut self, env: EnvName, id: Option<&str>) {
        match id {
            Some(id) => {
                self.default_workspace_ids
                    .insert(env.as_str().to_string(), id.to_string());
            }
            None => {
                self.default_workspace_ids.remove(env.as_str());
            }
        }
    }
}

/// The field of a cached workspace that says when the API rejected its token.
pub const REJECTED_FIELD: &str = "tokenRejectedAt";

/// One cached workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceEntry {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WorkspaceEntry {
    /// When the API rejected this workspace's token (RFC 3339), if it did
    /// since the last login.
    pub fn rejected_at(&self) -> Option<&str> {
        self.extra.get(REJECTED_FIELD).and_then(Value::as_str)
    }
}

/// `workspaces.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Workspaces {
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default)]
    pub environments: BTreeMap<String, BTreeMap<String, WorkspaceEntry>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Workspaces {
    pub fn new() -> Workspaces {
        Workspaces {
            version: default_version(),
            ..Workspaces::default()
        }
    }

    /// The workspaces of `env`, sorted by name (then id).
    pub fn list(&self, env: EnvName) -> Vec<&WorkspaceEntry> {
        let mut v: Vec<&WorkspaceEntry> = self
            .environments
            .get(env.as_str())
            .map(|m| m.values().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        v
    }

    pub fn get(&self, env: EnvName, id: &str) -> Option<&WorkspaceEntry> {
        self.environments.get(env.as_str())?.get(id)
    }

    /// Adds or renames a workspace (keeping its unknown fields; the name is
    /// capped, a mark that its token was rejected is cleared).
    pub fn upsert(&mut self, env: EnvName, id: &str, name: &str) {
        let name = cap_name(name);
        let m = self
            .environments
            .entry(env.as_str().to_string())
            .or_default();
        match m.get_mut(id) {
            Some(e) => {
                e.name = name;
                e.extra.remove(REJECTED_FIELD);
            }
            None => {
                m.insert(
                    id.to_string(),
                    WorkspaceEntry {
                        id: id.to_string(),
                        name,
                        extra: Map::new(),
                    },
                );
            }
        }
    }

    /// Marks the token of a cached workspace as rejected by the API (at
    /// `when`, RFC 3339). Returns whether the workspace is cached.
    pub fn mark_rejected(&mut self, env: EnvName, id: &str, when: &str) -> bool {
        match self
            .environments
            .get_mut(env.as_str())
            .and_then(|m| m.get_mut(id))
        {
            Some(e) => {
                e.extra
                    .insert(REJECTED_FIELD.to_string(), Value::String(when.to_string()));
                true
            }
            None => false,
        }
    }

    /// Removes the rejected-token mark of a cached workspace. Returns whether
    /// there was one.
    pub fn clear_rejected(&mut self, env: EnvName, id: &str) -> bool {
        self.environments
            .get_mut(env.as_str())
            .and_then(|m| m.get_mut(id))
            .is_some_and(|e| e.extra.remove(REJECTED_FIELD).is_some())
    }

    /// Checks every id (keys and `id` fields) of the file.
    fn validate(&self, path: &Path) -> Result<()> {
        for (env, m) in &self.environments {
            for (key, entry) in m {
                for id in [key, &entry.id] {
                    if let Err(why) = check_workspace_id(id) {
                        return Err(files::corrupt(
                            path,
                            &format!(
                                "is not valid: the workspace id {:?} of environment {:?} is not an id ({why})",
                                crate::output::text::truncate(id, 40),
                                crate::output::text::truncate(env, 40),
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn remove(&mut self, env: EnvName, id: &str) -> Option<WorkspaceEntry> {
        self.environments.get_mut(env.as_str())?.remove(id)
    }
}

/// Handle on the config directory and its files.
#[derive(Clone, Debug)]
pub struct State {
    dir: ConfigDir,
    wait: LockWait,
}

/// The lock held while a login is being redeemed and stored (`ntn login
/// poll`): one at a time. Its record says how the last one ended.
pub const LOGIN_LOCK_FILE: &str = ".login.lock";

impl State {
    /// Resolves the config directory from the variables (does not create it;
    /// refuses one that other users may write to). Lock waits use the system
    /// clock and say nothing; see [`State::with_host`].
    pub fn open(vars: &Vars) -> Result<State> {
        Ok(State::with_dir(ConfigDir::resolve(vars)?))
    }

    pub fn with_dir(dir: ConfigDir) -> State {
        State {
            dir,
            wait: LockWait::default(),
        }
    }

    /// Waits for locks on `clock`, with notes and warnings (a lock wait, a
    /// secret file found readable by others) on `ui`.
    pub fn with_host(mut self, clock: Arc<dyn Clock>, ui: &Ui) -> State {
        self.wait.clock = clock;
        self.wait.ui = Some(ui.clone());
        self
    }

    /// Changes how long a lock is waited for (tests).
    pub fn with_lock_wait(mut self, wait: LockWait) -> State {
        self.wait = wait;
        self
    }

    pub fn dir(&self) -> &ConfigDir {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.file(name)
    }

    /// The clock lock waits are measured on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.wait.clock
    }

    /// Creates the directory (0700) if it does not exist.
    pub fn ensure_dir(&self) -> Result<()> {
        files::ensure_private_dir(&self.dir.path)
    }

    /// Creates the directory if needed and proves a file can be written there.
    pub fn check_writable(&self) -> Result<()> {
        self.ensure_dir()?;
        files::check_writable(&self.dir.path)
    }

    /// Takes the exclusive state lock (creating the directory if needed).
    /// Hold it across every read-modify-write of `config.json` or
    /// `workspaces.json`. Not re-entrant: take it once per operation.
    pub fn lock(&self) -> Result<DirLock> {
        self.lock_named(LOCK_FILE)
    }

    /// Takes the lock file `name` of the directory (creating it if needed),
    /// waiting as [`LockWait`] says.
    pub fn lock_named(&self, name: &str) -> Result<DirLock> {
        self.ensure_dir()?;
        DirLock::acquire(&self.dir.path, name, &self.wait)
    }

    /// Takes the lock file `name` if nobody holds it.
    pub fn try_lock_named(&self, name: &str) -> Result<Option<DirLock>> {
        self.ensure_dir()?;
        DirLock::try_acquire(&self.dir.path, name)
    }

    /// Reads `config.json` (defaults when missing).
    pub fn config(&self) -> Result<Config> {
        let path = self.path(CONFIG_FILE);
        let c: Config = files::read_json(&path)?.unwrap_or_else(Config::new);
        c.validate(&path)?;
        Ok(c)
    }

    /// Reads `workspaces.json` (empty when missing).
    pub fn workspaces(&self) -> Result<Workspaces> {
        let path = self.path(WORKSPACES_FILE);
        let w: Workspaces = files::read_json(&path)?.unwrap_or_else(Workspaces::new);
        w.validate(&path)?;
        Ok(w)
    }

    /// Writes `config.json` atomically. Call with the lock held.
    pub fn save_config(&self, lock: &DirLock, config: &Config) -> Result<()> {
        self.write(lock, CONFIG_FILE, config, false)
    }

    /// Writes `workspaces.json` atomically. Call with the lock held.
    pub fn save_workspaces(&self, lock: &DirLock, ws: &Workspaces) -> Result<()> {
        self.write(lock, WORKSPACES_FILE, ws, false)
    }

    /// Writes the state file `name` (0600, atomically) with `lock`, the lock
    /// that guards it, held. A `secret` file that others could read before
    /// is reported with a warning (it is 0600 now).
    pub fn write<T: Serialize>(
        &self,
        lock: &DirLock,
        name: &str,
        value: &T,
        secret: bool,
    ) -> Result<()> {
        let path = self.path(name);
        let written = files::write_state(&path, value, lock)?;
        if let (true, Some(mode), Some(ui)) = (secret, written.tightened_from, &self.wait.ui) {
            ui.warn(format_args!(
                "{} was readable by other users (mode {mode:04o}); it is now private (0600)",
                path.display()
            ));
        }
        Ok(())
    }

    /// Locked read-modify-write of `config.json`.
    pub fn update_config<T>(&self, f: impl FnOnce(&mut Config) -> Result<T>) -> Result<T> {
        let lock = self.lock()?;
        let mut c = self.config()?;
        let out = f(&mut c)?;
        self.save_config(&lock, &c)?;
        Ok(out)
    }

    /// Locked read-modify-write of `workspaces.json`.
    pub fn update_workspaces<T>(&self, f: impl FnOnce(&mut Workspaces) -> Result<T>) -> Result<T> {
        let lock = self.lock()?;
        let mut w = self.workspaces()?;
        let out = f(&mut w)?;
        self.save_workspaces(&lock, &w)?;
        Ok(out)
    }
}

/// Checks a workspace id given on the command line or in a variable (`what`
/// names it): a usage error (exit 2) when it cannot be an id.
pub fn checked_id<'a>(id: &'a str, what: &str) -> Result<&'a str> {
    check_workspace_id(id).map(|()| id).map_err(|why| {
        Error::usage(format!(
            "{what} {:?} is not a workspace id: {why}",
            crate::output::text::truncate(id, 60)
        ))
        .hint("`ntn debug` lists the logged-in workspaces and their ids")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_formats_round_trip_with_unknown_fields() {
        let config = r#"{"version":"1","defaultWorkspaceIds":{"prod":"w1"},"keyring":false,"future":{"x":1}}"#;
        let c: Config = serde_json::from_str(config).unwrap();
        assert_eq!(c.default_workspace(EnvName::Prod), Some("w1"));
        assert_eq!(c.keyring, Some(false));
        let back: Value = serde_json::to_value(&c).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(config).unwrap());

        let ws = r#"{"version":"1","environments":{"prod":{"w1":{"id":"w1","name":"Acme","icon":"a"}}},"other":true}"#;
        let w: Workspaces = serde_json::from_str(ws).unwrap();
        assert_eq!(w.get(EnvName::Prod, "w1").unwrap().name, "Acme");
        let back: Value = serde_json::to_value(&w).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(ws).unwrap());
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(serde_json::from_str::<Config>(r#"{"defaultWorkspaceIds":[]}"#).is_err());
        assert!(serde_json::from_str::<Workspaces>(r#"{"environments":{"prod":3}}"#).is_err());
        assert!(serde_json::from_str::<Config>("[]").is_err());
    }

    #[test]
    fn ids_are_checked_and_names_capped() {
        for ok in ["w1", "ws-0", "1f2e3d4c-0000-4000-8000-0123456789ab", "a_b"] {
            assert!(check_workspace_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "a/b", "a b", "x\x1b[2J", "é", &"a".repeat(129)] {
            assert!(check_workspace_id(bad).is_err(), "{bad:?}");
        }
        let mut w = Workspaces::new();
        w.upsert(EnvName::Prod, "w1", &"n".repeat(5000));
        assert_eq!(
            w.get(EnvName::Prod, "w1").unwrap().name.chars().count(),
            MAX_NAME_CHARS
        );
        assert!(w.mark_rejected(EnvName::Prod, "w1", "2025-01-01T00:00:00Z"));
        assert!(w.get(EnvName::Prod, "w1").unwrap().rejected_at().is_some());
        w.upsert(EnvName::Prod, "w1", "Acme");
        assert!(w.get(EnvName::Prod, "w1").unwrap().rejected_at().is_none());
        assert!(!w.mark_rejected(EnvName::Prod, "nope", "x"));
    }

    #[test]
    fn files_with_bad_ids_are_corrupt() {
        let d = tempfile::tempdir().unwrap();
        let s = State::with_dir(ConfigDir {
            path: d.path().to_path_buf(),
            rule: DirRule::NotionHome,
        });
        std::fs::write(
            s.path(WORKSPACES_FILE),
            r#"{"environments":{"prod":{"../x":{"id":"../x","name":"A"}}}}"#,
        )
        .unwrap();
        let e = s.workspaces().unwrap_err();
        assert!(e.message().contains("workspaces.json"), "{}", e.message());
        std::fs::write(
            s.path(CONFIG_FILE),
            r#"{"defaultWorkspaceIds":{"prod":"a/b"}}"#,
        )
        .unwrap();
        let e = s.config().unwrap_err();
        assert!(e.message().contains("config.json"), "{}", e.message());
        assert_eq!(e.exit_code().code(), 1);
    }

    #[test]
    fn list_is_sorted_by_name() {
        let mut w = Workspaces::new();
        w.upsert(EnvName::Prod, "2", "globex");
        w.upsert(EnvName::Prod, "1", "Acme");
        w.upsert(EnvName::Local, "3", "Zeta");
        let names: Vec<_> = w
            .list(EnvName::Prod)
            .iter()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names, ["Acme", "globex"]);
    }
}
