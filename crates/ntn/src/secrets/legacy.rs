//! Tokens the official ntn 0.4.0 left in the Linux kernel keyring (Linux only).
//!
//! ntn 0.4.0 stored tokens with keyring-rs v3's keyutils store: a key of type
//! `user` described `keyring-rs:<workspace id>@notion-cli`, added to the
//! session keyring and linked into the user's persistent keyring (which the
//! kernel keeps for a few days after the last session ends; see
//! persistent-keyring(7)). We store in the Secret Service instead, so users
//! upgrading from 0.4.0 would lose their logins without this module.
//!
//! [`find`] looks where keyring-rs v3 looked, with the same calls in the same
//! order: the session keyring (`KEYCTL_GET_KEYRING_ID`, no create), then the
//! persistent keyring linked into it (`KEYCTL_GET_PERSISTENT`, which also
//! resets its expiry, as 0.4.0 did on every use), then searches the session
//! keyring recursively and, should that miss, the persistent and user keyrings
//! directly. A new login session therefore still finds a token that 0.4.0
//! stored in an earlier one, through the persistent keyring.
//!
//! The keychain store (`super::keychain`) calls [`find`] only when the Secret
//! Service has no token for a workspace; it then copies the token into the
//! Secret Service, reads it back, and only after that verified copy calls
//! [`remove`], so a token keeps one home and a later `ntn logout` cannot
//! leave a copy behind (downgrading to 0.4.0 means logging in again). Its
//! `set` (a new login supersedes the old token) and `delete` (so `ntn logout`
//! really logs out) call [`remove`] too.
//!
//! A kernel keyring that refuses access (EACCES/EPERM in containers, ENOSYS
//! under a seccomp profile) means "nothing there" ([`Lookup::Unavailable`]
//! carries the reason for `-v`): never an error that blocks the normal path.
//! Every call runs on a helper thread bounded by the keychain's timeout.

use std::time::Duration;

use linux_keyutils::{Key, KeyError, KeyRing, KeyRingIdentifier};

use super::keychain::bounded;
use super::{KEYCHAIN_SERVICE, Token};

/// The kernel key description keyring-rs v3 used for a workspace's token:
/// `keyring-rs:<user>@<service>`, user = workspace id, service = `notion-cli`.
pub fn description(workspace_id: &str) -> String {
    format!("keyring-rs:{workspace_id}@{KEYCHAIN_SERVICE}")
}

/// What a look-up in the kernel keyring found.
#[derive(Debug)]
pub enum Lookup {
    /// A 0.4.0 token.
    Found(Token),
    /// No key with that description (or an empty one).
    Missing,
    /// The kernel keyring could not be searched; the reason (never a secret).
    Unavailable(String),
}

/// Looks for the token 0.4.0 stored for `workspace_id`, giving up after
/// `timeout`. Never fails: a refusing keyring is [`Lookup::Unavailable`].
pub fn find(workspace_id: &str, timeout: Duration) -> Lookup {
    let desc = description(workspace_id);
    match bounded("ntn-kernel-keyring", timeout, move || find_now(&desc)) {
        Ok(found) => found,
        Err(why) => Lookup::Unavailable(why.to_string()),
    }
}

/// Invalidates every kernel key holding the 0.4.0 token of `workspace_id`.
/// `Ok(true)` when one was there; `Err` carries the reason (never a secret)
/// when the keyring could not be searched or the key could not be removed.
pub fn remove(workspace_id: &str, timeout: Duration) -> Result<bool, String> {
    let desc = description(workspace_id);
    match bounded("ntn-kernel-keyring", timeout, move || remove_now(&desc)) {
        Ok(result) => result,
        Err(why) => Err(why.to_string()),
    }
}

/// Errors that mean "no such key" rather than "cannot look".
fn absent(e: KeyError) -> bool {
    matches!(
        e,
        KeyError::KeyDoesNotExist
            | KeyError::KeyExpired
            | KeyError::KeyRevoked
            | KeyError::KeyringDoesNotExist
            | KeyError::InvalidDescription
    )
}

fn explain(e: KeyError) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_is_keyring_rs_v3s() {
        assert_eq!(description("ws-1"), "keyring-rs:ws-1@notion-cli");
    }

    #[test]
    fn refusals_are_reasons_not_secrets() {
        assert!(explain(KeyError::AccessDenied).contains("access denied"));
        assert!(explain(KeyError::Unknown(38)).contains("does not offer"));
        assert!(absent(KeyError::KeyDoesNotExist));
        assert!(!absent(KeyError::AccessDenied));
    }

    #[test]
    fn a_missing_key_is_missing() {
        // Either the keyring is there (Missing) or it refuses (Unavailable):
        // never Found, never a panic.
        match find("ntn-unit-test-no-such-workspace", Duration::from_secs(5)) {
            Lookup::Found(_) => panic!("found a token that was never stored"),
            Lookup::Missing | Lookup::Unavailable(_) => {}
        }
        assert!(
            !remove("ntn-unit-test-no-such-workspace", Duration::from_secs(5)).unwrap_or(false)
        );
    }
}
