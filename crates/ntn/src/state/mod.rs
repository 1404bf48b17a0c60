//! ntn's state on disk, compatible with the official tool's formats:
//!
//! * `config.json`: `{"version":"1","defaultWorkspaceIds":{"<env>":"<id>"},"keyring":false?}`
//! * `workspaces.json`: `{"version":"1","environments":{"<env>":{"<id>":{"id","name"}}}}`
//! * `auth.json` (file store, see [`crate::secrets`]): `{"<id>":"<token>"}`
//!
//! Unknown fields survive a rewrite. Every read-modify-write holds the
//! directory lock ([`State::lock`]); every write is atomic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::env::EnvName;
use crate::error::Result;
use crate::vars::Vars;

pub mod files;
pub mod paths;

pub use files::DirLock;
pub use paths::{ConfigDir, DirRule};

pub const CONFIG_FILE: &str = "config.json";
pub const WORKSPACES_FILE: &str = "workspaces.json";
pub const AUTH_FILE: &str = "auth.json";
/// Lock file guarding `config.json` and `workspaces.json` (and pending logins).
pub const LOCK_FILE: &str = ".state.lock";

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

/// One cached workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceEntry {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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

    /// Adds or renames a workspace (keeping its unknown fields).
    pub fn upsert(&mut self, env: EnvName, id: &str, name: &str) {
        let m = self
            .environments
            .entry(env.as_str().to_string())
            .or_default();
        match m.get_mut(id) {
            Some(e) => e.name = name.to_string(),
            None => {
                m.insert(
                    id.to_string(),
                    WorkspaceEntry {
                        id: id.to_string(),
                        name: name.to_string(),
                        extra: Map::new(),
                    },
                );
            }
        }
    }

    pub fn remove(&mut self, env: EnvName, id: &str) -> Option<WorkspaceEntry> {
        self.environments.get_mut(env.as_str())?.remove(id)
    }
}

/// Handle on the config directory and its files.
#[derive(Clone, Debug)]
pub struct State {
    dir: ConfigDir,
}

impl State {
    /// Resolves the config directory from the variables (does not create it).
    pub fn open(vars: &Vars) -> Result<State> {
        Ok(State {
            dir: ConfigDir::resolve(vars)?,
        })
    }

    pub fn with_dir(dir: ConfigDir) -> State {
        State { dir }
    }

    pub fn dir(&self) -> &ConfigDir {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.file(name)
    }

    /// Creates the directory (0700) if it does not exist.
    pub fn ensure_dir(&self) -> Result<()> {
        files::ensure_private_dir(&self.dir.path)
    }

    /// Takes the exclusive state lock (creating the directory if needed).
    /// Hold it across every read-modify-write of `config.json` or
    /// `workspaces.json`. Not re-entrant: take it once per operation.
    pub fn lock(&self) -> Result<DirLock> {
        self.ensure_dir()?;
        DirLock::acquire(&self.dir.path, LOCK_FILE)
    }

    /// Reads `config.json` (defaults when missing).
    pub fn config(&self) -> Result<Config> {
        Ok(files::read_json(&self.path(CONFIG_FILE))?.unwrap_or_else(Config::new))
    }

    /// Reads `workspaces.json` (empty when missing).
    pub fn workspaces(&self) -> Result<Workspaces> {
        Ok(files::read_json(&self.path(WORKSPACES_FILE))?.unwrap_or_else(Workspaces::new))
    }

    /// Writes `config.json` atomically. Call with the lock held.
    pub fn save_config(&self, _lock: &DirLock, config: &Config) -> Result<()> {
        files::write_json(&self.path(CONFIG_FILE), config)
    }

    /// Writes `workspaces.json` atomically. Call with the lock held.
    pub fn save_workspaces(&self, _lock: &DirLock, ws: &Workspaces) -> Result<()> {
        files::write_json(&self.path(WORKSPACES_FILE), ws)
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
