//! The OS keychain: service `notion-cli`, account = workspace id.
//!
//! On Linux this is the Secret Service over D-Bus (pure Rust, through the
//! `secret-service` crate, with a `plain` session: see `imp`); items carry the
//! attributes `service=notion-cli` and `username=<workspace id>`, so
//! `secret-tool lookup service notion-cli username <id>` finds them.
//!
//! Every call runs on a helper thread and is abandoned after a timeout (5 s;
//! `NTN_KEYCHAIN_TIMEOUT_MS` changes it, for tests: see
//! [`super::Settings`]): a slow or hung daemon
//! gives a clear error instead of a stuck command. After one timeout the store
//! fails fast for the rest of the process. Nothing falls back to plaintext:
//! every failure says `set NOTION_KEYRING=0 to keep tokens in auth.json`.
//! The connection is made on first use, never at start-up.
//!
//! When the Secret Service has no token for a workspace, `get` also looks in
//! the kernel keyring where the official ntn 0.4.0 kept tokens, and moves a
//! token found there into the Secret Service; `set` and `delete` remove it
//! there too (see `super::legacy`). `-v` says what happened on stderr.

use std::time::Duration;

use super::{Backend, SecretStore, Settings, StoreError, StoreErrorKind, Token};
use crate::error::{Error, Result};
use crate::output::Ui;

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

/// Why a call run by [`bounded`] gave no answer.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[derive(Debug)]
pub(crate) enum Unanswered {
    /// It did not finish in time (its thread is abandoned).
    TimedOut(Duration),
    /// No helper thread could be started.
    NoThread(std::io::Error),
    /// The helper thread ended without an answer (it panicked).
    Died,
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unanswered::TimedOut(t) => write!(f, "no answer within {} ms", t.as_millis()),
            Unanswered::NoThread(e) => write!(f, "cannot start a thread: {e}"),
            Unanswered::Died => f.write_str("the call failed unexpectedly"),
        }
    }
}

/// Runs `f` on a helper thread named `name` and gives up after `timeout`:
/// the bound every keychain call (and the kernel keyring look-up) has.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn bounded<T: Send + 'static>(
    name: &str,
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, Unanswered> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(Unanswered::NoThread)?;
    match rx.recv_timeout(timeout) {
        Ok(v) => Ok(v),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Unanswered::TimedOut(timeout)),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Unanswered::Died),
    }
}

fn unusable(what: &str, kind: StoreErrorKind, reason: impl std::fmt::Display) -> Error {
    Error::from(StoreError {
        kind,
        store: platform_name().to_string(),
        action: what.to_string(),
        reason: reason.to_string(),
    })
}

#[cfg(target_os = "linux")]
mod imp {
    //! The Secret Service through the `secret-service` crate's blocking API.
    //!
    //! Items are exactly those keyring-rs (`zbus-secret-service-keyring-store`,
    //! which ntn used before) writes, so entries written by either are found by
    //! the other: label `keyring:<workspace id>@notion-cli`, attributes
    //! `service=notion-cli` and `username=<workspace id>`, content type
    //! `application/octet-stream`, in the collection with the `default` alias.
    //!
    //! The session uses the `plain` algorithm, not
    //! `dh-ietf1024-sha256-aes128-cbc-pkcs7`: the session bus is a per-user
    //! local socket, and transport encryption on it would only hide the token
    //! from processes of the same user, which can read the unlocked keyring
    //! directly anyway (the same reasoning as sending a token over plain HTTP
    //! to loopback only). The encrypted session cost two 1024-bit modular
    //! exponentiations on every command (about 4 ms of the 10 ms
    //! `ntn api v1/users/me` took; see BENCHMARKS.md).

    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use secret_service::blocking::{Item, SecretService};
    use secret_service::{EncryptionType, Error as SsError};

    use super::{Unanswered, bounded, unusable};
    use crate::error::{Error, Result};
    use crate::secrets::{KEYCHAIN_SERVICE, StoreErrorKind};

    /// The content type keyring-rs gives the secrets it writes.
    const CONTENT_TYPE: &str = "application/octet-stream";

    /// Why a Secret Service call failed.
    #[derive(Debug)]
    pub enum Failure {
        Service(SsError),
        /// The stored secret is not UTF-8 text.
        NotText,
    }

    impl From<SsError> for Failure {
        fn from(e: SsError) -> Failure {
            Failure::Service(e)
        }
    }

    pub type Outcome<T> = std::result::Result<T, Failure>;

    /// The open session; `None` until the first call.
    type Session = Option<SecretService<'static>>;

    #[derive(Default)]
    struct Inner {
        /// Held for the whole of a call: one call at a time on the session.
        ss: Mutex<Session>,
        /// Set once a call timed out: later calls fail at once.
        broken: Mutex<Option<String>>,
    }

    /// The Secret Service connection, made lazily on a helper thread.
    #[derive(Clone, Default)]
    pub struct Conn {
        inner: Arc<Inner>,
    }

    impl Conn {
        /// Runs `f` on a helper thread, giving up after `timeout`.
        pub fn run<T: Send + 'static>(
            &self,
            what: &str,
            timeout: Duration,
            f: impl FnOnce(&SecretService<'_>) -> Outcome<T> + Send + 'static,
        ) -> Result<T> {
            if let Some(reason) = self
                .inner
                .broken
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
            {
                return Err(unusable(what, StoreErrorKind::TimedOut, reason));
            }
            let inner = self.inner.clone();
            match bounded("ntn-keychain", timeout, move || {
                let mut guard = inner.ss.lock().unwrap_or_else(|p| p.into_inner());
                if guard.is_none() {
                    *guard = Some(SecretService::connect(EncryptionType::Plain)?);
                }
                match guard.as_ref() {
                    Some(ss) => f(ss),
                    None => unreachable!("the session was just opened"),
                }
            }) {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(describe(what, &e)),
                Err(Unanswered::NoThread(e)) => {
                    Err(unusable(what, StoreErrorKind::Other, "cannot start a thread").cause(&e))
                }
                Err(Unanswered::TimedOut(_)) => {
                    let reason = format!(
                        "the keychain daemon did not answer within {} ms",
                        timeout.as_millis()
                    );
                    *self.inner.broken.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(reason.clone());
                    Err(unusable(what, StoreErrorKind::TimedOut, reason))
                }
                Err(Unanswered::Died) => Err(unusable(
                    what,
                    StoreErrorKind::Other,
                    "the keychain call failed unexpectedly",
                )),
            }
        }
    }

    fn describe(what: &str, e: &Failure) -> Error {
        let e = match e {
            Failure::NotText => {
                return unusable(
                    what,
                    StoreErrorKind::Other,
                    "the stored token is not UTF-8 text",
                );
            }
            Failure::Service(e) => e,
        };
        let (kind, reason) = classify(e);
        unusable(what, kind, reason).cause(e)
    }

    /// What a Secret Service failure means, from its variant and the D-Bus
    /// error name (a protocol identifier, not a message).
    fn classify(e: &SsError) -> (StoreErrorKind, String) {
        const LOCKED: &str = "the keychain is locked or refused access";
        const NO_SERVICE: &str = "no Secret Service daemon is running on the session bus";
        const NO_BUS: &str = "no D-Bus session bus";
        match e {
            SsError::Locked | SsError::NoResult | SsError::Prompt => {
                (StoreErrorKind::Locked, LOCKED.to_string())
            }
            SsError::Zbus(z) => match z {
                zbus::Error::MethodError(name, _, _)
                    if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                        || name.as_str() == "org.freedesktop.DBus.Error.NameHasNoOwner" =>
                {
                    (StoreErrorKind::NoService, NO_SERVICE.to_string())
                }
                zbus::Error::FDO(f)
                    if matches!(
                        **f,
                        zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_)
                    ) =>
                {
                    (StoreErrorKind::NoService, NO_SERVICE.to_string())
                }
                zbus::Error::Address(_) => (StoreErrorKind::NoService, NO_BUS.to_string()),
                zbus::Error::InputOutput(io)
                    if matches!(
                        io.kind(),
                        std::io::ErrorKind::NotFound
                            | std::io::ErrorKind::ConnectionRefused
                            | std::io::ErrorKind::PermissionDenied
                    ) =>
                {
                    (StoreErrorKind::NoService, NO_BUS.to_string())
                }
                other => (
                    StoreErrorKind::Other,
                    format!("the Secret Service failed ({other})"),
                ),
            },
            other => (
                StoreErrorKind::Other,
                format!("the Secret Service failed ({other})"),
            ),
        }
    }

    /// The attributes of a workspace's item.
    fn attributes(id: &str) -> HashMap<&str, &str> {
        HashMap::from([("service", KEYCHAIN_SERVICE), ("username", id)])
    }

    /// The items matching `attributes`, unlocked ones first; locked ones are
    /// unlocked first (through the service's prompt, when it has one).
    fn search<'a>(
        ss: &'a SecretService<'_>,
        attributes: HashMap<&str, &str>,
    ) -> Outcome<Vec<Item<'a>>> {
        let found = ss.search_items(attributes)?;
        if !found.locked.is_empty() {
            let locked: Vec<&Item> = found.locked.iter().collect();
            ss.unlock_all(&locked)?;
        }
        Ok(found.unlocked.into_iter().chain(found.locked).collect())
    }

    fn secret_text(item: &Item) -> Outcome<String> {
        String::from_utf8(item.get_secret()?).map_err(|_| Failure::NotText)
    }

    pub fn get(ss: &SecretService<'_>, id: &str) -> Outcome<Option<String>> {
        let items = search(ss, attributes(id))?;
        match items.as_slice() {
            [] => Ok(None),
            [item] => secret_text(item).map(Some),
            [first, ..] => {
                // Several items match: the first one's secret.
                first.ensure_unlocked()?;
                secret_text(first).map(Some)
            }
        }
    }

    pub fn set(ss: &SecretService<'_>, id: &str, token: &str) -> Outcome<()> {
        let items = search(ss, attributes(id))?;
        if let [item] = items.as_slice() {
            item.set_secret(token.as_bytes(), CONTENT_TYPE)?;
            return Ok(());
        }
        // Several items match: replace them with one.
        for item in &items {
            item.delete()?;
        }
        let collection = ss.get_default_collection()?;
        if collection.is_locked()? {
            collection.unlock()?;
        }
        collection.create_item(
            &format!("keyring:{id}@{KEYCHAIN_SERVICE}"),
            attributes(id),
            token.as_bytes(),
            true, // replace
            CONTENT_TYPE,
        )?;
        Ok(())
    }

    pub fn delete(ss: &SecretService<'_>, id: &str) -> Outcome<bool> {
        let items = search(ss, attributes(id))?;
        for item in &items {
            item.delete()?;
        }
        Ok(!items.is_empty())
    }

    pub fn check(ss: &SecretService<'_>) -> Outcome<()> {
        search(ss, HashMap::from([("service", KEYCHAIN_SERVICE)])).map(|_| ())
    }

    /// Whether a new item could be stored: the default collection exists and
    /// is unlocked (unlocked first, through the service's prompt when it has
    /// one).
    pub fn can_store(ss: &SecretService<'_>) -> Outcome<()> {
        let collection = ss.get_default_collection()?;
        if collection.is_locked()? {
            collection.unlock()?;
            if collection.is_locked()? {
                return Err(Failure::Service(SsError::Locked));
            }
        }
        Ok(())
    }
}

/// Tokens in the OS keychain.
#[derive(Clone)]
pub struct KeychainStore {
    #[cfg(target_os = "linux")]
    conn: imp::Conn,
    timeout: Duration,
    /// `-v`: notes about the kernel keyring of ntn 0.4.0 on stderr.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    verbose: u8,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    ui: Ui,
}

impl std::fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainStore")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl KeychainStore {
    /// A store that connects on first use. Does no I/O. With `-v` it says on
    /// stderr what the look-up of ntn 0.4.0's kernel keyring found.
    pub fn new(settings: &Settings) -> KeychainStore {
        KeychainStore {
            #[cfg(target_os = "linux")]
            conn: imp::Conn::default(),
            timeout: settings.keychain_timeout,
            verbose: settings.verbose,
            ui: settings.ui.clone(),
        }
    }
}

#[cfg(target_os = "linux")]
impl SecretStore for KeychainStore {
    fn describe(&self) -> String {
        format!("keychain ({})", platform_name())
    }

    fn get(&self, workspace_id: &str) -> Result<Option<Token>> {
        let id = workspace_id.to_string();
        let got = self
            .conn
            .run("read a token", self.timeout, move |s| imp::get(s, &id))?;
        match got.filter(|t| !t.trim().is_empty()) {
            Some(t) => Ok(Some(Token::new(t.trim()))),
            None => Ok(self.legacy_get(workspace_id)),
        }
    }

    fn set(&self, workspace_id: &str, token: &Token) -> Result<()> {
        self.set_verified(workspace_id, token)?;
        // A token ntn 0.4.0 left in the kernel keyring is superseded.
        if let Err(why) = super::legacy::remove(workspace_id, self.timeout) {
            self.note(&format!("kernel keyring (ntn 0.4.0) not cleaned: {why}"));
        }
        Ok(())
    }

    fn delete(&self, workspace_id: &str) -> Result<bool> {
        let id = workspace_id.to_string();
        let had = self
            .conn
            .run("delete a token", self.timeout, move |s| imp::delete(s, &id))?;
        // A token ntn 0.4.0 left in the kernel keyring goes too.
        let had_legacy = match super::legacy::remove(workspace_id, self.timeout) {
            Ok(b) => b,
            Err(why) => {
                self.note(&format!("kernel keyring (ntn 0.4.0) not cleaned: {why}"));
                false
            }
        };
        Ok(had || had_legacy)
    }

    fn check(&self) -> Result<()> {
        self.conn
            .run("reach the keychain", self.timeout, imp::check)
    }

    fn check_can_store(&self) -> Result<()> {
        self.conn.run("store a token", self.timeout, imp::can_store)
    }

    fn backend(&self) -> Backend {
        Backend::Keychain
    }
}

#[cfg(target_os = "linux")]
impl KeychainStore {
    /// Writes the token to the Secret Service and reads it back.
    fn set_verified(&self, workspace_id: &str, token: &Token) -> Result<()> {
        let id = workspace_id.to_string();
        let value = token.expose().to_string();
        let kept = self.conn.run("store a token", self.timeout, move |s| {
            imp::set(s, &id, &value)?;
            // Read back: the keychain must really hold it.
            Ok(imp::get(s, &id)?.as_deref() == Some(value.as_str()))
        })?;
        if kept {
            Ok(())
        } else {
            Err(unusable(
                "store a token",
                StoreErrorKind::Other,
                "the token read back differs from the one written",
            ))
        }
    }

    fn note(&self, text: &str) {
        if self.verbose > 0 {
            self.ui.note(text);
        }
    }

    /// The token ntn 0.4.0 left in the kernel keyring for `workspace_id`,
    /// moved into the Secret Service: written, read back, and only then
    /// removed from the kernel keyring. When the copy fails the token is
    /// still used and the kernel key stays. See `super::legacy`.
    fn legacy_get(&self, workspace_id: &str) -> Option<Token> {
        use super::legacy::{self, Lookup};
        match legacy::find(workspace_id, self.timeout) {
            Lookup::Missing => None,
            Lookup::Unavailable(why) => {
                self.note(&format!(
                    "kernel keyring (ntn 0.4.0) not searched for workspace {workspace_id}: {why}"
                ));
                None
            }
            Lookup::Found(token) => {
                match self.set_verified(workspace_id, &token) {
                    Ok(()) => match legacy::remove(workspace_id, self.timeout) {
                        Ok(_) => self.note(&format!(
                            "moved the token of workspace {workspace_id} from the kernel keyring (ntn 0.4.0) to the {}",
                            platform_name()
                        )),
                        Err(why) => self.note(&format!(
                            "copied the token of workspace {workspace_id} from the kernel keyring (ntn 0.4.0) to the {}; the kernel key stays: {why}",
                            platform_name()
                        )),
                    },
                    Err(e) => self.note(&format!(
                        "using the token of workspace {workspace_id} from the kernel keyring (ntn 0.4.0); it could not be copied: {}",
                        e.message()
                    )),
                }
                Some(token)
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl SecretStore for KeychainStore {
    fn describe(&self) -> String {
        format!("keychain ({})", platform_name())
    }

    fn get(&self, _workspace_id: &str) -> Result<Option<Token>> {
        Err(unsupported())
    }

    fn set(&self, _workspace_id: &str, _token: &Token) -> Result<()> {
        Err(unsupported())
    }

    fn delete(&self, _workspace_id: &str) -> Result<bool> {
        Err(unsupported())
    }

    fn check(&self) -> Result<()> {
        Err(unsupported())
    }

    fn backend(&self) -> Backend {
        Backend::Keychain
    }
}

#[cfg(not(target_os = "linux"))]
fn unsupported() -> Error {
    unusable(
        "use it",
        StoreErrorKind::Unsupported,
        format!("this build of ntn cannot use the {} yet", platform_name()),
    )
}
