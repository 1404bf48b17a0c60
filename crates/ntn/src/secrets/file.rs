//! The file store: `auth.json` in the config directory, a flat map
//! `{"<workspace id>": "<token>"}` for production tokens (the official
//! tool's format), and `"<env>:<workspace id>"` keys for the other
//! environments (`"dev:<id>"`, `"local:<id>"`: see [`json_key`]; a workspace
//! id never holds `:`). Mode 0600 whatever the umask on Unix (a file found
//! readable by others is made private at the next write, with a warning);
//! on Windows the file inherits the ACL of the user's profile directory.
//! Atomic writes, unknown keys kept, and its own lock (`.auth.lock`) around
//! every read-modify-write so that it can be used while the state lock is
//! held elsewhere in the same operation.
//!
//! Every value must be a string (a token) or null: a file holding anything
//! else is corrupt, whichever workspace is asked for, and is left untouched.
//! A null is kept for workspaces nobody asks for, but the token asked for
//! being null is a corrupt file (exit 1), not a missing login.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{Backend, SecretStore, Token, TokenKey};
use crate::env::EnvName;
use crate::error::{Error, Result};
use crate::state::{AUTH_FILE, DirLock, State, files};

/// The key of `key`'s token in `auth.json`: the workspace id for production,
/// `<env>:<workspace id>` for the other environments.
pub fn json_key(key: &TokenKey) -> String {
    match key.env {
        EnvName::Prod => key.workspace_id.clone(),
        other => format!("{}:{}", other.as_str(), key.workspace_id),
    }
}

/// Lock file guarding `auth.json`.
pub const AUTH_LOCK_FILE: &str = ".auth.lock";

/// Tokens in `auth.json`.
#[derive(Clone, Debug)]
pub struct FileStore {
    state: State,
}

impl FileStore {
    pub fn new(state: &State) -> FileStore {
        FileStore {
            state: state.clone(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.state.path(AUTH_FILE)
    }

    fn lock(&self) -> Result<DirLock> {
        self.state.lock_named(AUTH_LOCK_FILE)
    }

    /// Reads the whole map (empty when the file is missing). Every value must
    /// be a string or null; anything else makes the file corrupt.
    pub fn read_all(&self) -> Result<Map<String, Value>> {
        let path = self.path();
        let value: Option<Value> = files::read_json(&path)?;
        let map = match value {
            None => return Ok(Map::new()),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(files::corrupt(
                    &path,
                    "is not valid: expected an object mapping workspace ids to tokens",
                ));
            }
        };
        match map.iter().find(|(_, v)| !v.is_string() && !v.is_null()) {
            Some((id, _)) => Err(files::corrupt(
                &path,
                &format!(
                    "is not valid: the entry for workspace {:?} is not a string",
                    crate::output::text::truncate(id, 60)
                ),
            )),
            None => Ok(map),
        }
    }

    /// Checks the whole file: an object whose values are all token strings.
    pub fn validate(&self) -> Result<()> {
        self.read_all().map(drop)
    }

    fn token_in(&self, map: &Map<String, Value>, key: &TokenKey) -> Result<Option<Token>> {
        match map.get(&json_key(key)) {
            None => Ok(None),
            // Written by no tool as "logged out": the entry is there, broken.
            Some(Value::Null) => Err(files::corrupt(
                &self.path(),
                &format!(
                    "is not valid: the token of workspace {:?} is null",
                    crate::output::text::truncate(&key.workspace_id, 60)
                ),
            )
            .hint(format!(
                "remove the entry (or the file) and run `ntn login` again; for example: mv {} {}.bak",
                self.path().display(),
                self.path().display()
            ))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(Token::new(s.trim()))),
            Some(_) => Err(files::corrupt(
                &self.path(),
                "is not valid: an entry is not a string",
            )),
        }
    }
}

impl SecretStore for FileStore {
    fn describe(&self) -> String {
        AUTH_FILE.to_string()
    }

    fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
        let map = self.read_all()?;
        self.token_in(&map, key)
    }

    fn set(&self, key: &TokenKey, token: &Token) -> Result<()> {
        let lock = self.lock()?;
        let mut map = self.read_all()?;
        map.insert(json_key(key), Value::String(token.expose().to_string()));
        self.state.write(&lock, AUTH_FILE, &map, true)?;
        // Read back: the token must be there before the login is recorded.
        let back = self.read_all()?;
        match self.token_in(&back, key)? {
            Some(t) if t == *token => Ok(()),
            _ => Err(Error::local(format!(
                "{} did not keep the token after writing it",
                self.path().display()
            ))
            .hint("check the disk and the file's permissions, then run `ntn login` again")),
        }
    }

    fn delete(&self, key: &TokenKey) -> Result<bool> {
        if !self.path().exists() {
            return Ok(false);
        }
        let lock = self.lock()?;
        let mut map = self.read_all()?;
        if map.remove(&json_key(key)).is_none() {
            return Ok(false);
        }
        self.state.write(&lock, AUTH_FILE, &map, true)?;
        Ok(true)
    }

    fn check(&self) -> Result<()> {
        self.validate()
    }

    fn backend(&self) -> Backend {
        Backend::File
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ConfigDir, DirRule};

    fn store() -> (tempfile::TempDir, FileStore) {
        let d = tempfile::tempdir().unwrap();
        let s = State::with_dir(ConfigDir {
            path: d.path().join("cfg"),
            rule: DirRule::NotionHome,
        });
        (d, FileStore::new(&s))
    }

    fn w(id: &str) -> TokenKey {
        TokenKey::prod(id)
    }

    #[test]
    fn production_keys_are_the_official_flat_map_and_others_name_their_environment() {
        assert_eq!(json_key(&TokenKey::prod("ws-1")), "ws-1");
        assert_eq!(json_key(&TokenKey::new(EnvName::Dev, "ws-1")), "dev:ws-1");
        assert_eq!(json_key(&TokenKey::new(EnvName::Stg, "ws-1")), "stg:ws-1");
        assert_eq!(
            json_key(&TokenKey::new(EnvName::Local, "ws-1")),
            "local:ws-1"
        );
        // A workspace id cannot hold ':', so no production key looks scoped.
        assert!(crate::state::check_workspace_id("dev:ws-1").is_err());
    }

    #[test]
    fn environments_keep_their_own_tokens() {
        let (_d, fs) = store();
        let local = TokenKey::new(EnvName::Local, "w1");
        fs.set(&w("w1"), &Token::new("prod-token")).unwrap();
        fs.set(&local, &Token::new("local-token")).unwrap();
        assert_eq!(fs.get(&w("w1")).unwrap().unwrap().expose(), "prod-token");
        assert_eq!(fs.get(&local).unwrap().unwrap().expose(), "local-token");
        assert!(
            fs.get(&TokenKey::new(EnvName::Dev, "w1"))
                .unwrap()
                .is_none()
        );
        let v: Value = serde_json::from_slice(&std::fs::read(fs.path()).unwrap()).unwrap();
        assert_eq!(v["w1"], "prod-token");
        assert_eq!(v["local:w1"], "local-token");
        assert!(fs.delete(&local).unwrap());
        assert_eq!(fs.get(&w("w1")).unwrap().unwrap().expose(), "prod-token");
        assert!(fs.get(&local).unwrap().is_none());
    }

    #[test]
    fn set_get_delete_keep_unknown_keys() {
        let (_d, fs) = store();
        assert!(fs.get(&w("w1")).unwrap().is_none());
        assert!(!fs.delete(&w("w1")).unwrap());
        fs.set(&w("w1"), &Token::new("secret-1")).unwrap();
        std::fs::write(fs.path(), r#"{"w1":"secret-1","other":"x","gone":null}"#).unwrap();
        fs.set(&w("w2"), &Token::new("secret-2")).unwrap();
        assert_eq!(fs.get(&w("w1")).unwrap().unwrap().expose(), "secret-1");
        assert_eq!(fs.get(&w("w2")).unwrap().unwrap().expose(), "secret-2");
        assert!(fs.delete(&w("w1")).unwrap());
        assert!(fs.get(&w("w1")).unwrap().is_none());
        let v: Value = serde_json::from_slice(&std::fs::read(fs.path()).unwrap()).unwrap();
        assert_eq!(v["gone"], Value::Null);
        assert_eq!(v["other"], "x");
        // The token asked for being null is a corrupt file, not a missing one.
        let e = fs.get(&w("gone")).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.message().contains("auth.json"), "{}", e.message());
        assert!(e.message().contains("is null"), "{}", e.message());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(fs.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, 0o600);
        }
    }

    #[test]
    fn wrong_shapes_are_errors_and_untouched() {
        let (_d, fs) = store();
        std::fs::create_dir_all(fs.path().parent().unwrap()).unwrap();
        // A wrong value anywhere makes the whole file corrupt, whichever
        // workspace is asked for.
        for bad in [
            "[]",
            "\"x\"",
            "{\"w1\": 3}",
            "{\"w1\":",
            "{\"w2\": {\"t\": \"x\"}}",
            "{\"w1\": \"t\", \"w2\": [1]}",
        ] {
            std::fs::write(fs.path(), bad).unwrap();
            let e = fs.get(&w("w1")).unwrap_err();
            assert!(e.message().contains("auth.json"), "{bad}: {}", e.message());
            assert_eq!(e.exit_code().code(), 1);
            assert!(fs.set(&w("w1"), &Token::new("t")).is_err());
            assert!(fs.delete(&w("w1")).is_err());
            assert_eq!(std::fs::read_to_string(fs.path()).unwrap(), bad);
        }
    }
}
