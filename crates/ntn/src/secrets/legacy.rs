//! Tokens the official ntn 0.4.0 left in the Linux kernel keyring: a legacy
//! source for [`super::migrate::Migrating`] (the store itself is Linux only;
//! its naming is compiled and tested everywhere).
//!
//! ntn 0.4.0 stored tokens with keyring-rs v3's keyutils store: a key of type
//! `user` described `keyring-rs:<workspace id>@notion-cli`, added to the
//! session keyring and linked into the user's persistent keyring (which the
//! kernel keeps for a few days after the last session ends; see
//! persistent-keyring(7)). We store in the Secret Service instead, so users
//! upgrading from 0.4.0 would lose their logins without this module. 0.4.0
//! knew one environment: its tokens are production tokens, and other
//! environments have nothing here ([`description`] is `None` for them).
//!
//! [`KernelKeyring::get`] looks where keyring-rs v3 looked, with the same
//! calls in the same order: the session keyring (`KEYCTL_GET_KEYRING_ID`, no
//! create), then the persistent keyring linked into it
//! (`KEYCTL_GET_PERSISTENT`, which also resets its expiry, as 0.4.0 did on
//! every use), then searches the session keyring recursively and, should that
//! miss, the persistent and user keyrings directly. A new login session
//! therefore still finds a token that 0.4.0 stored in an earlier one, through
//! the persistent keyring. [`KernelKeyring::delete`] invalidates every key
//! holding it. ntn never writes here: `set` is refused.
//!
//! A kernel keyring that refuses access (EACCES/EPERM in containers, ENOSYS
//! under a seccomp profile) is an error whose reason says so; the migrating
//! wrapper turns it into a note (`-v`), never an error that blocks the
//! normal path.

use super::{KEYCHAIN_SERVICE, TokenKey};
use crate::env::EnvName;

/// The source's name in notes.
pub const NAME: &str = "kernel keyring (ntn 0.4.0)";

/// The kernel key description keyring-rs v3 used for a production token:
/// `keyring-rs:<user>@<service>`, user = workspace id, service =
/// `notion-cli`. `None` for other environments (0.4.0 had none).
pub fn description(key: &TokenKey) -> Option<String> {
    (key.env == EnvName::Prod).then(|| format!("keyring-rs:{}@{KEYCHAIN_SERVICE}", key.account()))
}

#[cfg(target_os = "linux")]
pub use imp::KernelKeyring;

#[cfg(target_os = "linux")]
mod imp {
    use linux_keyutils::{Key, KeyError, KeyRing, KeyRingIdentifier};

    use super::{NAME, description};
    use crate::error::{Error, Result};
    use crate::secrets::{Backend, SecretStore, StoreErrorKind, Token, TokenKey, unusable};

    /// What a look-up in the kernel keyring found.
    #[derive(Debug)]
    enum Lookup {
        /// A 0.4.0 token.
        Found(Token),
        /// No key with that description (or an empty one).
        Missing,
        /// The kernel keyring could not be searched; the reason (never a secret).
        Unavailable(String),
    }

    /// The kernel keyring of ntn 0.4.0, read and cleaned, never written.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct KernelKeyring;

    fn failed(action: &str, why: String) -> Error {
        unusable("kernel keyring", action, StoreErrorKind::Other, why)
    }

    impl SecretStore for KernelKeyring {
        fn describe(&self) -> String {
            NAME.to_string()
        }

        fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
            let Some(desc) = description(key) else {
                return Ok(None);
            };
            match find_now(&desc) {
                Lookup::Found(token) => Ok(Some(token)),
                Lookup::Missing => Ok(None),
                Lookup::Unavailable(why) => Err(failed("read a token", why)),
            }
        }

        fn set(&self, _key: &TokenKey, _token: &Token) -> Result<()> {
            Err(unusable(
                "kernel keyring",
                "store a token",
                StoreErrorKind::Unsupported,
                "ntn only reads the kernel keyring of ntn 0.4.0",
            ))
        }

        fn delete(&self, key: &TokenKey) -> Result<bool> {
            let Some(desc) = description(key) else {
                return Ok(false);
            };
            remove_now(&desc).map_err(|why| failed("delete a token", why))
        }

        fn backend(&self) -> Backend {
            Backend::Keychain
        }
    }

    /// Errors that mean "no such key" rather than "cannot look".
    pub(super) fn absent(e: KeyError) -> bool {
        matches!(
            e,
            KeyError::KeyDoesNotExist
                | KeyError::KeyExpired
                | KeyError::KeyRevoked
                | KeyError::KeyringDoesNotExist
                | KeyError::InvalidDescription
        )
    }

    pub(super) fn explain(e: KeyError) -> String {
        match e {
            KeyError::AccessDenied | KeyError::PermissionDenied => {
                "access denied (containers and seccomp profiles often block the kernel keyring)"
                    .to_string()
            }
            KeyError::Unknown(38) | KeyError::OperationNotSupported => {
                "this kernel or sandbox does not offer the kernel keyring".to_string()
            }
            other => format!("the kernel keyring failed ({other:?})"),
        }
    }

    /// The keyrings to search, in keyring-rs v3's order. `Err` when none is
    /// reachable.
    fn rings() -> Result<Vec<KeyRing>, String> {
        let mut out: Vec<KeyRing> = Vec::new();
        let mut first_error: Option<String> = None;
        // Opened in this order, as keyring-rs v3 did (the session keyring must
        // be there before the persistent keyring is linked into it).
        let attempts = [
            (
                "session keyring",
                KeyRing::from_special_id(KeyRingIdentifier::Session, false),
            ),
            (
                "persistent keyring",
                KeyRing::get_persistent(KeyRingIdentifier::Session),
            ),
            (
                "user keyring",
                KeyRing::from_special_id(KeyRingIdentifier::User, false),
            ),
        ];
        for (name, opened) in attempts {
            match opened {
                Ok(ring) if !out.contains(&ring) => out.push(ring),
                Ok(_) => {}
                Err(e) => {
                    first_error.get_or_insert_with(|| format!("{name}: {}", explain(e)));
                }
            }
        }
        if out.is_empty() {
            Err(first_error.unwrap_or_else(|| "no keyring".to_string()))
        } else {
            Ok(out)
        }
    }

    /// The first key found with `desc`; `Err` only when no keyring could be
    /// searched at all.
    fn search(rings: &[KeyRing], desc: &str) -> Result<Option<Key>, String> {
        let mut error: Option<String> = None;
        let mut searched = false;
        for ring in rings {
            match ring.search(desc) {
                Ok(key) => return Ok(Some(key)),
                Err(e) if absent(e) => searched = true,
                Err(e) => {
                    error.get_or_insert_with(|| explain(e));
                }
            }
        }
        match error {
            Some(why) if !searched => Err(why),
            _ => Ok(None),
        }
    }

    fn find_now(desc: &str) -> Lookup {
        let key = match rings().and_then(|rings| search(&rings, desc)) {
            Ok(Some(key)) => key,
            Ok(None) => return Lookup::Missing,
            Err(why) => return Lookup::Unavailable(why),
        };
        match key.read_to_vec() {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) if text.trim().is_empty() => Lookup::Missing,
                Ok(text) => Lookup::Found(Token::new(text.trim())),
                Err(_) => Lookup::Unavailable("the kernel key is not UTF-8 text".to_string()),
            },
            Err(e) if absent(e) => Lookup::Missing,
            Err(e) => Lookup::Unavailable(explain(e)),
        }
    }

    fn remove_now(desc: &str) -> Result<bool, String> {
        let rings = rings()?;
        let mut removed: Vec<Key> = Vec::new();
        // One key per description and keyring; a few rounds cover a key added
        // to several keyrings separately. An invalidated key can still be found
        // for a moment: seeing it again ends the loop.
        for _ in 0..8 {
            let Some(key) = search(&rings, desc)? else {
                break;
            };
            if removed.contains(&key) {
                break;
            }
            match key.invalidate() {
                Ok(()) => removed.push(key),
                Err(e) if absent(e) => {}
                Err(e) => return Err(format!("cannot remove the kernel key: {}", explain(e))),
            }
        }
        Ok(!removed.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_keys_are_keyring_rs_v3s_and_other_environments_have_none() {
        assert_eq!(
            description(&TokenKey::prod("ws-1")).as_deref(),
            Some("keyring-rs:ws-1@notion-cli")
        );
        for env in [EnvName::Dev, EnvName::Stg, EnvName::Local] {
            assert_eq!(description(&TokenKey::new(env, "ws-1")), None);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refusals_are_reasons_not_secrets() {
        use linux_keyutils::KeyError;
        assert!(imp::explain(KeyError::AccessDenied).contains("access denied"));
        assert!(imp::explain(KeyError::Unknown(38)).contains("does not offer"));
        assert!(imp::absent(KeyError::KeyDoesNotExist));
        assert!(!imp::absent(KeyError::AccessDenied));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_missing_key_is_missing() {
        use crate::secrets::SecretStore;
        // Either the keyring is there (None) or it refuses (an error): never
        // a token, never a panic.
        let key = TokenKey::prod("ntn-unit-test-no-such-workspace");
        assert!(
            !matches!(KernelKeyring.get(&key), Ok(Some(_))),
            "found a token that was never stored"
        );
        assert!(!KernelKeyring.delete(&key).unwrap_or(false));
        // Other environments are never looked up.
        let dev = TokenKey::new(EnvName::Dev, "ntn-unit-test-no-such-workspace");
        assert!(KernelKeyring.get(&dev).unwrap().is_none());
        assert!(!KernelKeyring.delete(&dev).unwrap());
    }
}
