//! The Secret Service (Linux): the OS keychain over D-Bus.
//!
//! Pure Rust, through the `secret-service` crate's blocking API, with a
//! `plain` session (see below). Items are exactly those keyring-rs
//! (`zbus-secret-service-keyring-store`, which ntn used before) writes, so
//! entries written by either are found by the other: label
//! `keyring:<account>@<service>`, attributes `service=<service>` and
//! `username=<account>`, content type `application/octet-stream`, in the
//! collection with the `default` alias. Service and account come from the
//! [`TokenKey`]: `notion-cli` and the workspace id for production, so
//! `secret-tool lookup service notion-cli username <id>` finds them;
//! `notion-cli:<env>` for the other environments.
//!
//! The session uses the `plain` algorithm, not
//! `dh-ietf1024-sha256-aes128-cbc-pkcs7`: the session bus is a per-user local
//! socket, and transport encryption on it would only hide the token from
//! processes of the same user, which can read the unlocked keyring directly
//! anyway (the same reasoning as sending a token over plain HTTP to loopback
//! only). The encrypted session cost two 1024-bit modular exponentiations on
//! every command (about 4 ms of the 10 ms `ntn api v1/users/me` took; see
//! BENCHMARKS.md).
//!
//! Calls block; [`super::bounded::Bounded`] bounds them. The connection is
//! made on first use, never at start-up. Nothing falls back to plaintext:
//! every failure is a [`super::StoreError`] with the `NOTION_KEYRING=0` hint.
//!
//! The naming functions are compiled (and tested) on every platform.

use super::TokenKey;

/// The content type keyring-rs gives the secrets it writes.
pub const CONTENT_TYPE: &str = "application/octet-stream";

/// The attributes of the item holding `key`'s token.
pub fn attributes(key: &TokenKey) -> [(&'static str, String); 2] {
    [
        ("service", key.service()),
        ("username", key.account().to_string()),
    ]
}

/// The label of the item holding `key`'s token (keyring-rs's).
pub fn label(key: &TokenKey) -> String {
    format!("keyring:{}@{}", key.account(), key.service())
}

#[cfg(target_os = "linux")]
pub use imp::SecretServiceStore;

#[cfg(target_os = "linux")]
mod imp {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use secret_service::blocking::{Item, SecretService};
    use secret_service::{EncryptionType, Error as SsError};
    use zbus::zvariant::OwnedObjectPath;

    use super::{CONTENT_TYPE, attributes, label};
    use crate::error::{Error, Result};
    use crate::secrets::{
        Backend, KEYCHAIN_SERVICE, SecretStore, StoreErrorKind, Token, TokenKey, not_kept,
        platform_name, unusable,
    };

    /// Why a Secret Service call failed.
    #[derive(Debug)]
    enum Failure {
        Service(SsError),
        /// The stored secret is not UTF-8 text.
        NotText,
    }

    impl From<SsError> for Failure {
        fn from(e: SsError) -> Failure {
            Failure::Service(e)
        }
    }

    type Outcome<T> = std::result::Result<T, Failure>;

    /// Tokens in the Secret Service. One call at a time on one session,
    /// opened on first use.
    #[derive(Default)]
    pub struct SecretServiceStore {
        session: Mutex<Option<SecretService<'static>>>,
    }

    impl SecretServiceStore {
        /// A store that connects on first use. Does no I/O.
        pub fn new() -> SecretServiceStore {
            SecretServiceStore::default()
        }

        /// Runs `f` on the session (opened first if need be).
        fn with<T>(
            &self,
            action: &str,
            f: impl FnOnce(&SecretService<'static>) -> Outcome<T>,
        ) -> Result<T> {
            let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
            let outcome = match guard.as_ref() {
                Some(ss) => f(ss),
                None => match connect() {
                    Ok(ss) => f(guard.insert(ss)),
                    Err(e) => Err(e),
                },
            };
            outcome.map_err(|e| describe(action, &e))
        }
    }

    impl SecretStore for SecretServiceStore {
        fn describe(&self) -> String {
            format!("keychain ({})", platform_name())
        }

        fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
            let mut guard = self.session.lock().unwrap_or_else(|p| p.into_inner());
            let got = match guard.as_ref() {
                Some(ss) => get(ss, key),
                // The first call of a command: the search, then the session.
                None => connect_and_search(key).and_then(|(ss, found)| {
                    let ss = guard.insert(ss);
                    let items = found.into_items(ss)?;
                    get_from(&items)
                }),
            }
            .map_err(|e| describe("read a token", &e))?;
            Ok(got
                .filter(|t| !t.trim().is_empty())
                .map(|t| Token::new(t.trim())))
        }

        fn set(&self, key: &TokenKey, token: &Token) -> Result<()> {
            let value = token.expose();
            let kept = self.with("store a token", |ss| {
                set(ss, key, value)?;
                // Read back: the keychain must really hold it.
                Ok(get(ss, key)?.as_deref() == Some(value))
            })?;
            if kept {
                Ok(())
            } else {
                Err(not_kept(platform_name()))
            }
        }

        fn delete(&self, key: &TokenKey) -> Result<bool> {
            self.with("delete a token", |ss| delete(ss, key))
        }

        fn check(&self) -> Result<()> {
            self.with("reach the keychain", |ss| {
                search(ss, HashMap::from([("service", KEYCHAIN_SERVICE)])).map(drop)
            })
        }

        fn check_can_store(&self) -> Result<()> {
            self.with("store a token", can_store)
        }

        fn backend(&self) -> Backend {
            Backend::Keychain
        }
    }

    fn describe(action: &str, e: &Failure) -> Error {
        let e = match e {
            Failure::NotText => {
                return unusable(
                    platform_name(),
                    action,
                    StoreErrorKind::Other,
                    "the stored token is not UTF-8 text",
                );
            }
            Failure::Service(e) => e,
        };
        let (kind, reason) = classify(e);
        unusable(platform_name(), action, kind, reason).cause(e)
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

    /// The items matching `attributes`, unlocked ones first; locked ones are
    /// unlocked first (through the service's prompt, when it has one).
    fn search<'a>(
        ss: &'a SecretService<'_>,
        attributes: HashMap<&str, &str>,
    ) -> Outcome<Vec<Item<'a>>> {
        let found = ss.search_items(attributes)?;
        unlocked_first(ss, found.unlocked, found.locked)
    }

    /// `unlocked` then `locked`, once the locked ones are unlocked.
    fn unlocked_first<'a>(
        ss: &SecretService<'_>,
        unlocked: Vec<Item<'a>>,
        locked: Vec<Item<'a>>,
    ) -> Outcome<Vec<Item<'a>>> {
        if !locked.is_empty() {
            ss.unlock_all(&locked.iter().collect::<Vec<_>>())?;
        }
        Ok(unlocked.into_iter().chain(locked).collect())
    }

    /// The items of `key`.
    fn items<'a>(ss: &'a SecretService<'_>, key: &TokenKey) -> Outcome<Vec<Item<'a>>> {
        let attrs = attributes(key);
        search(ss, attrs.iter().map(|(k, v)| (*k, v.as_str())).collect())
    }

    fn secret_text(item: &Item) -> Outcome<String> {
        String::from_utf8(item.get_secret()?).map_err(|_| Failure::NotText)
    }

    /// The item paths a search found, before they become items of a session.
    struct Found {
        unlocked: Vec<OwnedObjectPath>,
        locked: Vec<OwnedObjectPath>,
    }

    impl Found {
        /// The items, as [`search`] gives them.
        fn into_items<'a>(self, ss: &'a SecretService<'_>) -> Outcome<Vec<Item<'a>>> {
            let items = |paths: Vec<OwnedObjectPath>| -> Outcome<Vec<Item<'a>>> {
                let item = |path| ss.get_item_by_path(path).map_err(Failure::from);
                paths.into_iter().map(item).collect()
            };
            unlocked_first(ss, items(self.unlocked)?, items(self.locked)?)
        }
    }

    /// Connects, searches for `key`'s items, then opens the session, each answered before
    /// the next goes out, after a `Ping` that only registers the connection with the
    /// daemon. gnome-keyring-daemon keeps a record of each client, made by an idle
    /// callback when its first message arrives, and method calls handled before that
    /// callback ran fail: `OpenSession` aborts the daemon (every client then loses the
    /// keyring), `SearchItems` answers an error. Here, with the session and the search
    /// sent at once as a new connection's first calls, that was about one command in
    /// 1,000. Upstream: gnome-keyring issues 183, 190 and 194, Ubuntu bug 2162595.
    fn connect_and_search(key: &TokenKey) -> Outcome<(SecretService<'static>, Found)> {
        let conn = registered_connection()?;
        let attrs = attributes(key);
        let query: HashMap<&str, &str> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = conn
            .call_method(
                Some(SERVICE_NAME),
                SERVICE_PATH,
                Some(SERVICE_INTERFACE),
                "SearchItems",
                &(query,),
            )
            .map_err(SsError::from)?;
        let (unlocked, locked) = reply.body().deserialize().map_err(SsError::from)?;
        let session = SecretService::connect_with_existing(EncryptionType::Plain, conn)?;
        Ok((session, Found { unlocked, locked }))
    }

    /// Connects and opens a session on a registered connection.
    fn connect() -> Outcome<SecretService<'static>> {
        let conn = registered_connection()?;
        Ok(SecretService::connect_with_existing(
            EncryptionType::Plain,
            conn,
        )?)
    }

    /// A connection to the session bus on which the daemon has seen a first message (a
    /// `Ping` of `org.freedesktop.DBus.Peer`, which needs no client record and is answered
    /// whatever the daemon), so its client record exists before any Secret Service call
    /// (see [`connect_and_search`]).
    fn registered_connection() -> Outcome<zbus::blocking::Connection> {
        let conn = zbus::blocking::Connection::session().map_err(connection_error)?;
        conn.call_method(
            Some(SERVICE_NAME),
            SERVICE_PATH,
            Some("org.freedesktop.DBus.Peer"),
            "Ping",
            &(),
        )
        .map_err(SsError::from)?;
        Ok(conn)
    }

    /// The bus name, object and interface of the Secret Service.
    const SERVICE_NAME: &str = "org.freedesktop.secrets";
    const SERVICE_PATH: &str = "/org/freedesktop/secrets";
    const SERVICE_INTERFACE: &str = "org.freedesktop.Secret.Service";

    /// A failed connection to the session bus, as `SecretService::connect` reports it.
    fn connection_error(e: zbus::Error) -> Failure {
        Failure::Service(match e {
            zbus::Error::InterfaceNotFound | zbus::Error::Address(_) => SsError::Unavailable,
            zbus::Error::InputOutput(io) if io.kind() == std::io::ErrorKind::NotFound => {
                SsError::Unavailable
            }
            other => SsError::Zbus(other),
        })
    }

    fn get(ss: &SecretService<'_>, key: &TokenKey) -> Outcome<Option<String>> {
        get_from(&items(ss, key)?)
    }

    /// The secret of the first of `items`.
    fn get_from(items: &[Item<'_>]) -> Outcome<Option<String>> {
        match items {
            [] => Ok(None),
            [item] => secret_text(item).map(Some),
            [first, ..] => {
                // Several items match: the first one's secret.
                first.ensure_unlocked()?;
                secret_text(first).map(Some)
            }
        }
    }

    fn set(ss: &SecretService<'_>, key: &TokenKey, token: &str) -> Outcome<()> {
        let found = items(ss, key)?;
        if let [item] = found.as_slice() {
            item.set_secret(token.as_bytes(), CONTENT_TYPE)?;
            return Ok(());
        }
        // Several items match: replace them with one.
        for item in &found {
            item.delete()?;
        }
        let collection = ss.get_default_collection()?;
        if collection.is_locked()? {
            collection.unlock()?;
        }
        let attrs = attributes(key);
        collection.create_item(
            &label(key),
            attrs.iter().map(|(k, v)| (*k, v.as_str())).collect(),
            token.as_bytes(),
            true, // replace
            CONTENT_TYPE,
        )?;
        Ok(())
    }

    fn delete(ss: &SecretService<'_>, key: &TokenKey) -> Outcome<bool> {
        let found = items(ss, key)?;
        for item in &found {
            item.delete()?;
        }
        Ok(!found.is_empty())
    }

    /// Whether a new item could be stored: the default collection exists and
    /// is unlocked (unlocked first, through the service's prompt when it has
    /// one).
    fn can_store(ss: &SecretService<'_>) -> Outcome<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvName;

    #[test]
    fn production_items_are_the_official_clis_and_others_name_their_environment() {
        let prod = TokenKey::prod("ws-1");
        assert_eq!(
            attributes(&prod),
            [
                ("service", "notion-cli".to_string()),
                ("username", "ws-1".to_string())
            ]
        );
        assert_eq!(label(&prod), "keyring:ws-1@notion-cli");
        let local = TokenKey::new(EnvName::Local, "ws-1");
        assert_eq!(
            attributes(&local),
            [
                ("service", "notion-cli:local".to_string()),
                ("username", "ws-1".to_string())
            ]
        );
        assert_eq!(label(&local), "keyring:ws-1@notion-cli:local");
        assert_eq!(
            attributes(&TokenKey::new(EnvName::Stg, "ws-1"))[0].1,
            "notion-cli:stg"
        );
    }
}
