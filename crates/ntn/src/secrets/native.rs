//! What the stores built on keyring-rs's `keyring-core` (macOS, Windows)
//! share: reading, writing (and reading back) and deleting one entry, and the
//! mapping of `keyring_core::Error` to [`StoreErrorKind`] by its variants.
//! Each store builds its own entries; this module knows none of them.

use keyring_core::Entry;
use keyring_core::error::{Error as KeyringError, PlatformError};

use super::{StoreErrorKind, Token, not_kept, platform_name, unusable};
use crate::error::{Error, Result};

/// A store's own reading of a platform failure (its error codes), when it
/// has one.
pub type Refine = fn(&PlatformError) -> Option<(StoreErrorKind, &'static str)>;

/// What a keyring-core failure means, from its variant (and, for platform
/// failures, the store's reading of the platform's code).
pub fn classify(e: &KeyringError, refine: Refine) -> (StoreErrorKind, String) {
    const LOCKED: &str = "the keychain is locked or refused access";
    match e {
        KeyringError::NoEntry => (StoreErrorKind::NotFound, "no such entry".into()),
        KeyringError::NoStorageAccess(p) => match refine(p) {
            Some((kind, why)) => (kind, why.into()),
            None => (StoreErrorKind::Locked, LOCKED.into()),
        },
        KeyringError::PlatformFailure(p) => match refine(p) {
            Some((kind, why)) => (kind, why.into()),
            None => (
                StoreErrorKind::Other,
                format!("the {} failed", platform_name()),
            ),
        },
        // Not UTF-8 on macOS, not UTF-16 on Windows: say neither.
        KeyringError::BadEncoding(_) => {
            (StoreErrorKind::Other, "the stored token is not text".into())
        }
        KeyringError::BadDataFormat(..) | KeyringError::BadStoreFormat(_) => (
            StoreErrorKind::Other,
            "the stored entry is not in the expected format".into(),
        ),
        KeyringError::TooLong(what, limit) => (
            StoreErrorKind::Other,
            format!("the {what} is longer than the limit of {limit}"),
        ),
        KeyringError::Invalid(what, _) => (
            StoreErrorKind::Other,
            format!("the {what} of the entry is not accepted"),
        ),
        KeyringError::Ambiguous(_) => (
            StoreErrorKind::Other,
            "several entries match the token".into(),
        ),
        KeyringError::NoDefaultStore | KeyringError::NotSupportedByStore(_) => (
            StoreErrorKind::Unsupported,
            "the operation is not supported by this keychain".into(),
        ),
        _ => (
            StoreErrorKind::Other,
            format!("the {} failed", platform_name()),
        ),
    }
}

/// The error of a failed `action`, with its kind and the cause for `-v`.
pub fn error(action: &str, e: &KeyringError, refine: Refine) -> Error {
    let (kind, reason) = classify(e, refine);
    unusable(platform_name(), action, kind, reason).cause(e)
}

/// The entry's token; `None` when there is none (or it is blank).
pub fn get(entry: Result<Entry, KeyringError>, refine: Refine) -> Result<Option<Token>> {
    const ACTION: &str = "read a token";
    let entry = entry.map_err(|e| error(ACTION, &e, refine))?;
    match entry.get_password() {
        Ok(t) if t.trim().is_empty() => Ok(None),
        Ok(t) => Ok(Some(Token::new(t.trim()))),
        Err(KeyringError::NoEntry) => Ok(None),
        Err(e) => Err(error(ACTION, &e, refine)),
    }
}

/// Writes the entry's token and reads it back.
pub fn set(entry: Result<Entry, KeyringError>, token: &Token, refine: Refine) -> Result<()> {
    const ACTION: &str = "store a token";
    let entry = entry.map_err(|e| error(ACTION, &e, refine))?;
    entry
        .set_password(token.expose())
        .map_err(|e| error(ACTION, &e, refine))?;
    match entry.get_password() {
        Ok(back) if back == token.expose() => Ok(()),
        Ok(_) | Err(KeyringError::NoEntry) => Err(not_kept(platform_name())),
        Err(e) => Err(error(ACTION, &e, refine)),
    }
}

/// Deletes the entry; whether it was there.
pub fn delete(entry: Result<Entry, KeyringError>, refine: Refine) -> Result<bool> {
    const ACTION: &str = "delete a token";
    let entry = entry.map_err(|e| error(ACTION, &e, refine))?;
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(KeyringError::NoEntry) => Ok(false),
        Err(e) => Err(error(ACTION, &e, refine)),
    }
}

/// Reaches the store by reading an entry that is not expected to exist.
pub fn probe(entry: Result<Entry, KeyringError>, refine: Refine) -> Result<()> {
    const ACTION: &str = "reach the keychain";
    let entry = entry.map_err(|e| error(ACTION, &e, refine))?;
    match entry.get_password() {
        Ok(_) | Err(KeyringError::NoEntry) | Err(KeyringError::BadEncoding(_)) => Ok(()),
        Err(e) => Err(error(ACTION, &e, refine)),
    }
}
