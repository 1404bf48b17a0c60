//! The Windows Credential Manager: a generic credential per token, through
//! keyring-rs's `windows-native-keyring-store`, in the layout the keyring
//! crate family uses (and so Notion's own CLI): target name
//! `<account>.<service>`, user name = account, the secret stored as UTF-16.
//! For production that is target `<workspace id>.notion-cli`, user name =
//! workspace id; other environments use the service `notion-cli:<env>`, so
//! `<workspace id>.notion-cli:dev`. A workspace id holds no `.` or `:`, so no
//! two tokens share a target.
//!
//! The store is configured with the layout's delimiters explicitly
//! ([`TARGET_PREFIX`], [`TARGET_DIVIDER`], [`TARGET_SUFFIX`]) rather than
//! relying on the crate's defaults; [`target_name`] is the name that layout
//! gives.
//!
//! Errors are mapped by keyring-core's variants (the crate keeps the Windows
//! error codes to itself): no such credential, no access to the store
//! (`ERROR_NO_SUCH_LOGON_SESSION`, as in some service or remote sessions),
//! a platform failure.
//!
//! The naming is compiled (and tested) on every platform; the store only on
//! Windows. Calls block; [`super::bounded::Bounded`] bounds them.

use super::TokenKey;

/// What comes before the account in a target name.
pub const TARGET_PREFIX: &str = "";
/// What separates the account from the service.
pub const TARGET_DIVIDER: &str = ".";
/// What comes after the service.
pub const TARGET_SUFFIX: &str = "";

/// The target name of `key`'s credential.
pub fn target_name(key: &TokenKey) -> String {
    format!(
        "{TARGET_PREFIX}{}{TARGET_DIVIDER}{}{TARGET_SUFFIX}",
        key.account(),
        key.service()
    )
}

/// The user name of `key`'s credential.
pub fn user_name(key: &TokenKey) -> &str {
    key.account()
}

#[cfg(windows)]
pub use imp::CredentialManagerStore;

#[cfg(windows)]
mod imp {
    use std::collections::HashMap;

    use keyring_core::api::CredentialStoreApi;
    use keyring_core::error::PlatformError;
    use keyring_core::{Entry, Error as KeyringError};
    use windows_native_keyring_store::Store;

    use super::{TARGET_DIVIDER, TARGET_PREFIX, TARGET_SUFFIX, user_name};
    use crate::error::Result;
    use crate::secrets::native;
    use crate::secrets::{
        Backend, KEYCHAIN_SERVICE, SecretStore, StoreErrorKind, Token, TokenKey, platform_name,
    };

    /// The crate does not expose Windows error codes: nothing to refine.
    fn refine(_e: &PlatformError) -> Option<(StoreErrorKind, &'static str)> {
        None
    }

    /// Tokens in the Windows Credential Manager.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct CredentialManagerStore;

    fn entry_for(service: &str, user: &str) -> std::result::Result<Entry, KeyringError> {
        let layout = HashMap::from([
            ("prefix", TARGET_PREFIX),
            ("divider", TARGET_DIVIDER),
            ("suffix", TARGET_SUFFIX),
        ]);
        Store::new_with_configuration(&layout)?.build(service, user, None)
    }

    fn entry(key: &TokenKey) -> std::result::Result<Entry, KeyringError> {
        entry_for(&key.service(), user_name(key))
    }

    impl SecretStore for CredentialManagerStore {
        fn describe(&self) -> String {
            format!("keychain ({})", platform_name())
        }

        fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
            native::get(entry(key), refine)
        }

        fn set(&self, key: &TokenKey, token: &Token) -> Result<()> {
            native::set(entry(key), token, refine)
        }

        fn delete(&self, key: &TokenKey) -> Result<bool> {
            native::delete(entry(key), refine)
        }

        fn check(&self) -> Result<()> {
            native::probe(entry_for(KEYCHAIN_SERVICE, "ntn-check"), refine)
        }

        fn backend(&self) -> Backend {
            Backend::Keychain
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvName;

    #[test]
    fn production_is_the_keyring_layout_of_the_official_cli_and_others_name_their_environment() {
        let prod = TokenKey::prod("ws-1");
        assert_eq!(target_name(&prod), "ws-1.notion-cli");
        assert_eq!(user_name(&prod), "ws-1");
        let dev = TokenKey::new(EnvName::Dev, "ws-1");
        assert_eq!(target_name(&dev), "ws-1.notion-cli:dev");
        assert_eq!(user_name(&dev), "ws-1");
        assert_eq!(
            target_name(&TokenKey::new(EnvName::Local, "ws-1")),
            "ws-1.notion-cli:local"
        );
    }
}
