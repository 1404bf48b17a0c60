//! The pending login of the two-step flow: `ntn login --no-browser` saves it,
//! `ntn login poll` redeems it.
//!
//! `<config dir>/pending-login.json`, mode 0600 (the session id redeems a
//! token, so it is a secret). One pending login at a time; it records its own
//! environment and base URL, which win over the command line when polling.

use serde::{Deserialize, Serialize};

use crate::env::EnvName;
use crate::error::Result;
use crate::state::{State, files};

pub const PENDING_FILE: &str = "pending-login.json";

/// A login session started but not yet redeemed.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingLogin {
    #[serde(default = "one")]
    pub version: String,
    /// Redeems the token: never printed.
    pub session_id: String,
    pub verification_code: String,
    /// Environment name (`prod`, `local`, ...).
    pub env: String,
    /// Base URL the session was started against.
    pub base_url: String,
    #[serde(default)]
    pub browser_url: String,
    /// Unix milliseconds.
    pub expires_at_ms: u64,
    #[serde(default)]
    pub poll_interval_ms: Option<u64>,
    #[serde(default)]
    pub created_at_ms: u64,
}

fn one() -> String {
    "1".into()
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("session_id", &"[redacted]")
            .field("verification_code", &self.verification_code)
            .field("env", &self.env)
            .field("base_url", &self.base_url)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

impl PendingLogin {
    /// Whether it expired by `now_ms` (Unix milliseconds).
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// Milliseconds left before expiry at `now_ms` (0 when expired).
    pub fn remaining_ms(&self, now_ms: u64) -> u64 {
        self.expires_at_ms.saturating_sub(now_ms)
    }

    pub fn env_name(&self) -> Option<EnvName> {
        EnvName::parse(&self.env)
    }
}

/// Reads the pending login, if any. A corrupt file is an error naming it.
pub fn load(state: &State) -> Result<Option<PendingLogin>> {
    files::read_json(&state.path(PENDING_FILE))
}

/// Saves (replaces) the pending login, 0600, atomically, under the state lock.
pub fn save(state: &State, pending: &PendingLogin) -> Result<()> {
    let _lock = state.lock()?;
    files::write_json(&state.path(PENDING_FILE), pending)
}

/// Removes the pending login. With `Some(env)`, only when it belongs to that
/// environment. Returns whether a file was removed.
pub fn clear(state: &State, env: Option<EnvName>) -> Result<bool> {
    let path = state.path(PENDING_FILE);
    if !path.exists() {
        return Ok(false);
    }
    if let Some(env) = env {
        // A corrupt pending file is reported, not silently deleted.
        match load(state)? {
            Some(p) if p.env == env.as_str() => {}
            _ => return Ok(false),
        }
    }
    let _lock = state.lock()?;
    files::remove(&path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ConfigDir, DirRule};
    use crate::support::{Clock, SystemClock};

    fn now_ms() -> u64 {
        SystemClock.unix_ms()
    }

    fn state() -> (tempfile::TempDir, State) {
        let d = tempfile::tempdir().unwrap();
        let s = State::with_dir(ConfigDir {
            path: d.path().to_path_buf(),
            rule: DirRule::NotionHome,
        });
        (d, s)
    }

    fn sample(env: &str) -> PendingLogin {
        PendingLogin {
            version: one(),
            session_id: "secret-session".into(),
            verification_code: "ABCD-EFGH-JKLM".into(),
            env: env.into(),
            base_url: "http://127.0.0.1:1".into(),
            browser_url: "http://127.0.0.1:1/cli-login/x".into(),
            expires_at_ms: now_ms() + 60_000,
            poll_interval_ms: Some(2000),
            created_at_ms: now_ms(),
        }
    }

    #[test]
    fn save_load_clear() {
        let (_d, s) = state();
        assert!(load(&s).unwrap().is_none());
        save(&s, &sample("local")).unwrap();
        let p = load(&s).unwrap().unwrap();
        assert_eq!(p, sample_like(&p));
        assert!(!p.is_expired(now_ms()));
        assert!(!format!("{p:?}").contains("secret-session"));
        assert!(!clear(&s, Some(EnvName::Prod)).unwrap());
        assert!(clear(&s, Some(EnvName::Local)).unwrap());
        assert!(load(&s).unwrap().is_none());
    }

    fn sample_like(p: &PendingLogin) -> PendingLogin {
        PendingLogin {
            expires_at_ms: p.expires_at_ms,
            created_at_ms: p.created_at_ms,
            ..sample("local")
        }
    }
}
