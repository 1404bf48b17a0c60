//! Where tokens live: one small trait, a keychain store and a file store.
//!
//! * [`Token`] wraps a secret so it cannot be printed by accident: its `Debug`
//!   and `Display` show `[redacted]`; only [`Token::expose`] gives the value.
//! * [`SecretStore`] is the trait every store implements (modelled on cargo's
//!   credential providers: get, set, delete).
//! * [`FileStore`] keeps tokens in `auth.json` (0600, its own lock);
//!   [`KeychainStore`] uses the OS keychain (Secret Service on Linux), every
//!   call bounded by a timeout. On Linux it also reads, moves into the Secret
//!   Service, and deletes on logout, the tokens the official ntn 0.4.0 left
//!   in the kernel keyring ([`legacy`]).
//! * [`choose`] decides which one is in use: `NOTION_KEYRING` (0/false/no/off
//!   means the file, 1/true/yes/on the keychain) wins over `"keyring"` in
//!   `config.json`; the default is the keychain. [`open_store`] opens it.
//!
//! The keychain is only opened when a command needs a stored token: never at
//! start-up, never for `NOTION_API_TOKEN`.

use std::fmt;

use crate::cli::Context;
use crate::error::{Error, Result};
use crate::state::State;

pub mod file;
pub mod keychain;
#[cfg(target_os = "linux")]
pub mod legacy;

pub use file::FileStore;
pub use keychain::KeychainStore;

/// The variable that chooses the store.
pub const VAR_KEYRING: &str = "NOTION_KEYRING";
/// Service name of keychain entries (the account is the workspace id).
pub const KEYCHAIN_SERVICE: &str = "notion-cli";
/// The hint every keychain failure carries.
pub const KEYCHAIN_HINT: &str = "set NOTION_KEYRING=0 to keep tokens in auth.json";

/// A secret token. Never printed except through [`Token::expose`] (which only
/// `ntn auth token` and the HTTP layer use).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The secret value. Callers must not log or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A place that keeps one token per workspace id.
pub trait SecretStore {
    /// A short name for reports: `keychain (Secret Service)`, `auth.json`.
    fn describe(&self) -> String;
    /// The token stored for `workspace_id`, if any.
    fn get(&self, workspace_id: &str) -> Result<Option<Token>>;
    /// Stores (or replaces) the token for `workspace_id`.
    fn set(&self, workspace_id: &str, token: &Token) -> Result<()>;
    /// Deletes the token for `workspace_id`; returns whether one was there.
    fn delete(&self, workspace_id: &str) -> Result<bool>;
    /// Checks that the store can be used (for `ntn doctor`); cheap for files.
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// Which backend this is.
    fn backend(&self) -> Backend;
}

/// The kind of store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The OS keychain.
    Keychain,
    /// `auth.json`.
    File,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Keychain => "keychain",
            Backend::File => "file",
        }
    }
}

/// Why a backend was chosen (for `ntn debug` and `ntn doctor`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChoiceReason {
    /// `NOTION_KEYRING` was set (its value).
    Variable(String),
    /// `"keyring"` in `config.json` (its value).
    Config(bool),
    /// Nothing said otherwise.
    Default,
}

impl ChoiceReason {
    pub fn describe(&self) -> String {
        match self {
            ChoiceReason::Variable(v) => format!("{VAR_KEYRING}={v}"),
            ChoiceReason::Config(b) => format!("config.json \"keyring\": {b}"),
            ChoiceReason::Default => "default".to_string(),
        }
    }
}

/// The store in use and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreChoice {
    pub backend: Backend,
    pub reason: ChoiceReason,
}

/// Parses a `NOTION_KEYRING` value: `Some(true)` keychain, `Some(false)` file,
/// `None` when empty (as if unset).
pub fn parse_keyring_var(value: &str) -> Result<Option<bool>> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        _ => Err(Error::local(format!(
            "{VAR_KEYRING} has an unknown value: {:?}",
            value
        ))
        .hint(format!(
            "set {VAR_KEYRING}=0 to keep tokens in auth.json or {VAR_KEYRING}=1 for the OS keychain"
        ))),
    }
}

/// Decides the backend from the variable's value and `config.json`'s
/// `"keyring"`. `config` is only called when the variable does not decide, so
/// a corrupt `config.json` does not matter when `NOTION_KEYRING` is set.
pub fn choose_with(
    var: Option<&str>,
    config: impl FnOnce() -> Result<Option<bool>>,
) -> Result<StoreChoice> {
    if let Some(v) = var
        && let Some(on) = parse_keyring_var(v)?
    {
        return Ok(StoreChoice {
            backend: if on { Backend::Keychain } else { Backend::File },
            reason: ChoiceReason::Variable(v.trim().to_string()),
        });
    }
    Ok(match config()? {
        Some(on) => StoreChoice {
            backend: if on { Backend::Keychain } else { Backend::File },
            reason: ChoiceReason::Config(on),
        },
        None => StoreChoice {
            backend: Backend::Keychain,
            reason: ChoiceReason::Default,
        },
    })
}

/// Decides the backend from the process environment and `state`'s config.
pub fn choose(state: &State) -> Result<StoreChoice> {
    let var = std::env::var(VAR_KEYRING).ok();
    choose_with(var.as_deref(), || Ok(state.config()?.keyring))
}

/// Opens the chosen store. The keychain is connected lazily, on first use.
pub fn open_store(ctx: &Context, state: &State) -> Result<Box<dyn SecretStore>> {
    Ok(match choose(state)?.backend {
        Backend::Keychain => Box::new(KeychainStore::new().with_verbose(ctx.verbose)),
        backend => open_backend(state, backend),
    })
}

/// Opens a given backend.
pub fn open_backend(state: &State, backend: Backend) -> Box<dyn SecretStore> {
    match backend {
        Backend::File => Box::new(FileStore::new(state)),
        Backend::Keychain => Box::new(KeychainStore::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_variable_wins_over_config() {
        let never = || -> Result<Option<bool>> { panic!("config read") };
        for v in ["0", "false", "NO", " off "] {
            let c = choose_with(Some(v), never).unwrap();
            assert_eq!(c.backend, Backend::File, "{v}");
        }
        for v in ["1", "true", "yes", "On"] {
            let c = choose_with(Some(v), never).unwrap();
            assert_eq!(c.backend, Backend::Keychain, "{v}");
        }
        let c = choose_with(Some("1"), || Ok(Some(false))).unwrap();
        assert_eq!(c.backend, Backend::Keychain);
        let c = choose_with(None, || Ok(Some(false))).unwrap();
        assert_eq!(c.backend, Backend::File);
        assert_eq!(c.reason, ChoiceReason::Config(false));
        let c = choose_with(Some(""), || Ok(None)).unwrap();
        assert_eq!(c.backend, Backend::Keychain);
        assert_eq!(c.reason, ChoiceReason::Default);
        let e = choose_with(Some("maybe"), || Ok(None)).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.hint_text().unwrap().contains("NOTION_KEYRING=0"));
    }

    #[test]
    fn token_never_formats_its_value() {
        let t = Token::new("ntn_supersecret");
        assert_eq!(format!("{t}"), "[redacted]");
        assert!(!format!("{t:?}").contains("supersecret"));
        assert_eq!(t.expose(), "ntn_supersecret");
    }
}
