//! Where tokens live: the secret-store trait, its error kinds, the names
//! tokens are kept under, and the choice of store. Shaped like cargo's
//! credential providers: one module per backend, and wrappers that add one
//! thing each; no backend knows about another.
//!
//! * [`Token`] wraps a secret so it cannot be printed by accident: its `Debug`
//!   and `Display` show `[redacted]`; only [`Token::expose`] gives the value.
//! * [`TokenKey`] says which token: the environment it belongs to and the
//!   workspace id. Production tokens keep the names Notion's own CLI uses
//!   (keychain service `notion-cli`, account = workspace id; a flat
//!   `auth.json` map); every other environment has names of its own
//!   ([`TokenKey::service`], [`file::json_key`]), so a token of one
//!   environment is never read, overwritten or sent by another.
//! * [`SecretStore`] is the trait every store implements: get, set, delete,
//!   check.
//! * Backends: [`secret_service`] (Linux), [`macos`] (the login keychain),
//!   [`windows`] (Credential Manager), [`file`] (`auth.json`), and for unit
//!   tests `memory`. [`legacy`] is a read-and-remove source: the Linux
//!   kernel keyring where the official ntn 0.4.0 kept tokens.
//! * Wrappers: [`bounded::Bounded`] runs every call of a store on a helper
//!   thread and gives up after a timeout; [`migrate::Migrating`] reads from a
//!   legacy source what the store lacks, moves it in, and removes it there.
//! * [`choose`] decides which store is in use: `NOTION_KEYRING` (0/false/no/off
//!   means the file, 1/true/yes/on the keychain) wins over `"keyring"` in
//!   `config.json`; the default is the keychain. [`open_store`] opens it.
//! * A keychain that cannot be used fails with a [`StoreError`] attached to
//!   the error: its [`StoreErrorKind`] says why (locked, no service, timed
//!   out, ...), for callers to match on. Each backend maps its own errors to
//!   kinds by their variants or codes, never by their text.
//!
//! The keychain is only opened when a command needs a stored token: never at
//! start-up, never for `NOTION_API_TOKEN`.

use std::fmt;
use std::time::Duration;

use crate::env::EnvName;
use crate::error::{Error, Result};
use crate::output::Ui;
use crate::state::State;

pub mod bounded;
pub mod file;
pub mod legacy;
pub mod macos;
#[cfg(test)]
pub mod memory;
pub mod migrate;
#[cfg(any(target_os = "macos", windows))]
mod native;
pub mod secret_service;
pub mod windows;

pub use file::FileStore;

/// The variable that chooses the store.
pub const VAR_KEYRING: &str = "NOTION_KEYRING";
/// Keychain service of production tokens (the account is the workspace id);
/// other environments add `:<env>` (see [`TokenKey::service`]).
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

/// Which token: the environment it belongs to and the workspace id. Every
/// store names its entries from this alone (see each backend's naming
/// functions), so that a token is only ever found for its own environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub env: EnvName,
    pub workspace_id: String,
}

impl TokenKey {
    pub fn new(env: EnvName, workspace_id: impl Into<String>) -> TokenKey {
        TokenKey {
            env,
            workspace_id: workspace_id.into(),
        }
    }

    /// The key of a production token.
    pub fn prod(workspace_id: impl Into<String>) -> TokenKey {
        TokenKey::new(EnvName::Prod, workspace_id)
    }

    /// The keychain service: `notion-cli` for production (what Notion's own
    /// CLI uses), `notion-cli:<env>` for the others (`notion-cli:dev`, ...).
    pub fn service(&self) -> String {
        match self.env {
            EnvName::Prod => KEYCHAIN_SERVICE.to_string(),
            other => format!("{KEYCHAIN_SERVICE}:{}", other.as_str()),
        }
    }

    /// The keychain account: the workspace id, in every environment.
    pub fn account(&self) -> &str {
        &self.workspace_id
    }
}

impl fmt::Display for TokenKey {
    /// `workspace <id>`, plus `(environment <env>)` when not production.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workspace {}", self.workspace_id)?;
        if self.env != EnvName::Prod {
            write!(f, " (environment {})", self.env)?;
        }
        Ok(())
    }
}

/// A place that keeps one token per [`TokenKey`].
pub trait SecretStore {
    /// A short name for reports: `keychain (Secret Service)`, `auth.json`.
    fn describe(&self) -> String;
    /// The token stored for `key`, if any.
    fn get(&self, key: &TokenKey) -> Result<Option<Token>>;
    /// Stores (or replaces) the token for `key`, and reads it back.
    fn set(&self, key: &TokenKey, token: &Token) -> Result<()>;
    /// Deletes the token for `key`; returns whether one was there.
    fn delete(&self, key: &TokenKey) -> Result<bool>;
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
        Backend::Keychain => open_keychain(settings),
    }
}

/// The platform's name for its keychain.
pub fn platform_name() -> &'static str {
    if cfg!(target_os = "linux") {
        "Secret Service"
    } else if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "OS keychain"
    }
}

/// The OS keychain of this platform, every call bounded by the timeout.
/// Does no I/O: it connects on first use. On Linux it also moves in the
/// tokens ntn 0.4.0 left in the kernel keyring (with `-v`, it says so).
pub fn open_keychain(settings: &Settings) -> Box<dyn SecretStore> {
    let timeout = settings.keychain_timeout;
    #[cfg(target_os = "linux")]
    {
        let primary = bounded::Bounded::new(
            secret_service::SecretServiceStore::new(),
            platform_name(),
            "the keychain daemon",
            timeout,
        );
        let legacy = bounded::Bounded::new(
            legacy::KernelKeyring,
            legacy::NAME,
            "the kernel keyring",
            timeout,
        );
        let notes = (settings.verbose > 0).then(|| settings.ui.clone());
        Box::new(migrate::Migrating::new(primary, legacy, notes))
    }
    #[cfg(target_os = "macos")]
    {
        Box::new(bounded::Bounded::new(
            macos::MacKeychainStore,
            platform_name(),
            "the keychain",
            timeout,
        ))
    }
    #[cfg(windows)]
    {
        Box::new(bounded::Bounded::new(
            windows::CredentialManagerStore,
            platform_name(),
            "the Credential Manager",
            timeout,
        ))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        let _ = timeout;
        Box::new(Unsupported)
    }
}

/// The keychain of a platform this build cannot use.
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
struct Unsupported;

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
impl Unsupported {
    fn error(&self) -> Error {
        Error::from(StoreError {
            kind: StoreErrorKind::Unsupported,
            store: platform_name().to_string(),
            action: "use it".to_string(),
            reason: "this build of ntn cannot use the keychain of this system".to_string(),
        })
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
impl SecretStore for Unsupported {
    fn describe(&self) -> String {
        format!("keychain ({})", platform_name())
    }
    fn get(&self, _key: &TokenKey) -> Result<Option<Token>> {
        Err(self.error())
    }
    fn set(&self, _key: &TokenKey, _token: &Token) -> Result<()> {
        Err(self.error())
    }
    fn delete(&self, _key: &TokenKey) -> Result<bool> {
        Err(self.error())
    }
    fn check(&self) -> Result<()> {
        Err(self.error())
    }
    fn backend(&self) -> Backend {
        Backend::Keychain
    }
}

/// The error of a keychain that could not do `action`, with its kind.
pub fn unusable(
    store: &str,
    action: &str,
    kind: StoreErrorKind,
    reason: impl fmt::Display,
) -> Error {
    Error::from(StoreError {
        kind,
        store: store.to_string(),
        action: action.to_string(),
        reason: reason.to_string(),
    })
}

/// The error of a store that wrote a token and read back something else.
pub fn not_kept(store: &str) -> Error {
    unusable(
        store,
        "store a token",
        StoreErrorKind::Other,
        "the token read back differs from the one written",
    )
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
    fn production_keeps_the_official_names_and_other_environments_add_theirs() {
        let prod = TokenKey::prod("ws-1");
        assert_eq!(prod.service(), "notion-cli");
        assert_eq!(prod.account(), "ws-1");
        assert_eq!(prod.to_string(), "workspace ws-1");
        for (env, service) in [
            (EnvName::Dev, "notion-cli:dev"),
            (EnvName::Stg, "notion-cli:stg"),
            (EnvName::Local, "notion-cli:local"),
        ] {
            let k = TokenKey::new(env, "ws-1");
            assert_eq!(k.service(), service);
            assert_eq!(k.account(), "ws-1");
            assert_ne!(k, prod);
            assert_eq!(
                k.to_string(),
                format!("workspace ws-1 (environment {})", env.as_str())
            );
        }
    }

    #[test]
    fn token_never_formats_its_value() {
        let t = Token::new("ntn_supersecret");
        assert_eq!(format!("{t}"), "[redacted]");
        assert!(!format!("{t:?}").contains("supersecret"));
        assert_eq!(t.expose(), "ntn_supersecret");
    }
}
