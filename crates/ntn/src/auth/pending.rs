//! The pending login of the two-step flow: `ntn login --no-browser` saves it,
//! `ntn login poll` redeems it.
//!
//! `<config dir>/pending-login.json`, mode 0600 (the session id redeems a
//! token, so it is a secret). One pending login at a time; it records its own
//! environment and base URL, which win over the command line when polling.
//!
//! A login the server confirmed but ntn could not store (a keychain that
//! locked meanwhile, a full disk) is kept here too ([`PendingLogin::approved`],
//! with its token), so that `ntn login poll` stores it once the problem is
//! fixed, without asking the browser again.

use serde::{Deserialize, Serialize};

use crate::env::EnvName;
use crate::error::Result;
use crate::secrets::Token;
use crate::state::{State, files};

pub const PENDING_FILE: &str = "pending-login.json";

/// A login the server confirmed, kept until it is stored.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApprovedLogin {
    /// The token: never printed.
    pub token: String,
    pub workspace_id: String,
    #[serde(default)]
    pub workspace_name: String,
    /// Unix milliseconds.
    #[serde(default)]
    pub approved_at_ms: u64,
}

impl ApprovedLogin {
    pub fn token(&self) -> Token {
        Token::new(self.token.clone())
    }
}

impl std::fmt::Debug for ApprovedLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovedLogin")
            .field("token", &"[redacted]")
            .field("workspace_id", &self.workspace_id)
            .field("workspace_name", &self.workspace_name)
            .finish()
    }
}

/// A login session started but not yet redeemed (or redeemed but not stored).
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
    /// Set when the server confirmed the login but it could not be stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<ApprovedLogin>,
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
            .field("approved", &self.approved)
            .finish()
    }
}

impl PendingLogin {
    /// Whether it expired by `now_ms` (Unix milliseconds). An approved login
    /// never expires here: its token outlives the session.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.approved.is_none() && now_ms >= self.expires_at_ms
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
/// A pending file ntn cannot read (corrupt, a link, another user's) is never
/// replaced: it may hold a login approved earlier; the error names it.
pub fn save(state: &State, pending: &PendingLogin) -> Result<()> {
    let lock = state.lock()?;
    check_replaceable(state)?;
    state.write(&lock, PENDING_FILE, pending, true)
}

/// Fails when a pending login exists that ntn cannot read (see [`save`]):
/// `ntn login` checks this before it starts a session.
pub fn check_replaceable(state: &State) -> Result<()> {
    match load(state) {
        Ok(_) => Ok(()),
        Err(e) => {
            let path = state.path(PENDING_FILE);
            Err(e.hint(format!(
                "it may hold a login approved earlier, so ntn left it untouched: look at it, \
                 move it aside (mv {} {}.bak), then run `ntn login` again",
                path.display(),
                path.display()
            )))
        }
    }
}

/// Removes the pending login. With `Some(env)`, only when it belongs to that
/// environment. Returns whether a file was removed.
pub fn clear(state: &State, env: Option<EnvName>) -> Result<bool> {
    clear_if(state, |p| env.is_none_or(|e| p.env == e.as_str()))
}

/// Removes the pending login of the session `session_id` (not one that
/// replaced it meanwhile). Returns whether a file was removed.
pub fn clear_session(state: &State, session_id: &str) -> Result<bool> {
    clear_if(state, |p| p.session_id == session_id)
}

fn clear_if(state: &State, wanted: impl Fn(&PendingLogin) -> bool) -> Result<bool> {
    let path = state.path(PENDING_FILE);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(false);
    }
    let _lock = state.lock()?;
    // A corrupt pending file is reported, not silently deleted.
    match load(state)? {
        Some(p) if wanted(&p) => files::remove(&path),
        _ => Ok(false),
    }
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
            approved: None,
        }
    }

    #[test]
    fn a_corrupt_pending_login_is_never_replaced() {
        let (_d, s) = state();
        let path = s.path(PENDING_FILE);
        std::fs::write(&path, "{\"sessionId\": ").unwrap();
        let e = save(&s, &sample("local")).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.message().contains(PENDING_FILE), "{}", e.message());
        assert!(e.hint_text().unwrap().contains(".bak"), "{e:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"sessionId\": ");
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
        // Only the session asked for is cleared.
        save(&s, &sample("local")).unwrap();
        assert!(!clear_session(&s, "another-session").unwrap());
        assert!(clear_session(&s, "secret-session").unwrap());
    }

    #[test]
    fn an_approved_login_keeps_its_token_privately_and_never_expires() {
        let (_d, s) = state();
        let mut p = sample("local");
        p.expires_at_ms = 1;
        p.approved = Some(ApprovedLogin {
            token: "ntn_kept".into(),
            workspace_id: "w1".into(),
            workspace_name: "Acme".into(),
            approved_at_ms: 2,
        });
        save(&s, &p).unwrap();
        let back = load(&s).unwrap().unwrap();
        assert!(!back.is_expired(now_ms()));
        assert_eq!(back.approved.as_ref().unwrap().token().expose(), "ntn_kept");
        assert!(!format!("{back:?}").contains("ntn_kept"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(s.path(PENDING_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(m & 0o777, 0o600);
        }
    }

    fn sample_like(p: &PendingLogin) -> PendingLogin {
        PendingLogin {
            expires_at_ms: p.expires_at_ms,
            created_at_ms: p.created_at_ms,
            ..sample("local")
        }
    }
}
