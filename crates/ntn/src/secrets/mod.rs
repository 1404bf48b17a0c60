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
//! * A keychain that cannot be used fails with a [`StoreError`] attached to
//!   the error: its [`StoreErrorKind`] says why (locked, no service, timed
//!   out, ...), for callers to match on.
//!
//! The keychain is only opened when a command needs a stored token: never at
//! start-up, never for `NOTION_API_TOKEN`.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::output::Ui;
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
/// How long one keychain call may take.
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the stores need to know about this run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The raw value of `NOTION_KEYRING`, if set.
    pub keyring_var: Option<String>,
    /// How long one keychain call may take.
    pub keychain_timeout: Duration,
    /// `-v`: notes about migrations on stderr.
    pub verbose: u8,
    /// Where such notes go.
    pub ui: Ui,
}

impl Settings {
    /// Defaults: no `NOTION_KEYRING`, the standard timeout, quiet.
    pub fn new(ui: &Ui) -> Settings {
        Settings {
            keyring_var: None,
            keychain_timeout: KEYCHAIN_TIMEOUT,
            verbose: 0,
            ui: ui.clone(),
        }
    }
}

/// Why a secret store could not do what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The store has no such entry where one was required.
    NotFound,
    /// This build or platform cannot use the store.
    Unsupported,
    /// The store is locked, or refused access.
    Locked,
    /// No keychain service is running (or no session bus to reach it).
    NoService,
    /// The store did not answer in time.
    TimedOut,
    /// Anything else.
    Other,
}

/// A secret store's failure: which store, what it was asked, why.
#[derive(Clone, Debug)]
pub struct StoreError {
    pub kind: StoreErrorKind,
    /// The store, e.g. `Secret Service`.
    pub store: String,
    /// What was asked, e.g. `read a token`.
    pub action: String,
    /// Why it failed, for people (never a secret).
    pub reason: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the OS keychain ({}) is not usable: cannot {}: {}",
            self.store, self.action, self.reason
        )
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::local(e.to_string()).hint(KEYCHAIN_HINT).with_data(e)
    }
}

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
    /// Checks that the store could keep a new token now (before a login asks
    /// the browser): for the keychain, that it is reachable and unlocked.
    fn check_can_store(&self) -> Result<()> {
        self.check()
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

/// Decides the backend from `NOTION_KEYRING` and `state`'s config.
pub fn choose(state: &State, settings: &Settings) -> Result<StoreChoice> {
    choose_with(settings.keyring_var.as_deref(), || {
        Ok(state.config()?.keyring)
    })
}

/// Opens the chosen store. The keychain is connected lazily, on first use.
pub fn open_store(state: &State, settings: &Settings) -> Result<Box<dyn SecretStore>> {
    Ok(open_backend(
        state,
        choose(state, settings)?.backend,
        settings,
    ))
}

/// Opens a given backend.
pub fn open_backend(state: &State, backend: Backend, settings: &Settings) -> Box<dyn SecretStore> {
    match backend {
        Backend::File => Box::new(FileStore::new(state)),
        Backend::Keychain => Box::new(KeychainStore::new(settings)),
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
