//! The macOS login keychain: a generic password per token, through
//! keyring-rs's `apple-native-keyring-store` (its `keychain` module, the
//! user's login keychain), the item Notion's own CLI uses: service
//! `notion-cli` and account = workspace id for production tokens, so people
//! switching keep their login; service `notion-cli:<env>` for the others.
//!
//! Errors are mapped by keyring-core's variants, refined by the Security
//! framework's status codes (`errSecInteractionNotAllowed`: the keychain is
//! locked and cannot ask to be unlocked, as over SSH; a cancelled prompt; no
//! login keychain), never by their text.
//!
//! The naming is compiled (and tested) on every platform; the store only on
//! macOS. Calls block; [`super::bounded::Bounded`] bounds them.

use super::TokenKey;

/// The generic password of `key`'s token: (service, account).
pub fn service_and_account(key: &TokenKey) -> (String, String) {
    (key.service(), key.account().to_string())
}

#[cfg(target_os = "macos")]
pub use imp::MacKeychainStore;

#[cfg(target_os = "macos")]
mod imp {
    use apple_native_keyring_store::keychain::Store;
    use keyring_core::api::CredentialStoreApi;
    use keyring_core::error::PlatformError;
    use keyring_core::{Entry, Error as KeyringError};

    use super::service_and_account;
    use crate::error::Result;
    use crate::secrets::native;
    use crate::secrets::{
        Backend, KEYCHAIN_SERVICE, SecretStore, StoreErrorKind, Token, TokenKey, platform_name,
    };

    // Security framework status codes (SecBase.h, MacErrors.h).
    const ERR_SEC_INTERACTION_NOT_ALLOWED: i32 = -25308;
    const ERR_SEC_USER_CANCELED: i32 = -128;
    const ERR_SEC_AUTH_FAILED: i32 = -25293;
    const ERR_SEC_NO_SUCH_KEYCHAIN: i32 = -25294;
    const ERR_SEC_NOT_AVAILABLE: i32 = -25291;
    const WR_PERM_ERR: i32 = -61;
    const ERR_SEC_INVALID_OWNER_EDIT: i32 = -25244;

    /// The Security framework's reading of a failure, by its status code.
    fn refine(e: &PlatformError) -> Option<(StoreErrorKind, &'static str)> {
        let code = e.downcast_ref::<security_framework::base::Error>()?.code();
        match code {
            ERR_SEC_INTERACTION_NOT_ALLOWED => Some((
                StoreErrorKind::Locked,
                "the login keychain is locked and cannot ask to be unlocked here",
            )),
            ERR_SEC_USER_CANCELED | ERR_SEC_AUTH_FAILED => Some((
                StoreErrorKind::Locked,
                "access to the login keychain was refused",
            )),
            WR_PERM_ERR | ERR_SEC_INVALID_OWNER_EDIT => Some((
                StoreErrorKind::Locked,
                "the keychain item belongs to another application, which refused access",
            )),
            ERR_SEC_NO_SUCH_KEYCHAIN | ERR_SEC_NOT_AVAILABLE => Some((
                StoreErrorKind::NoService,
                "there is no login keychain to use",
            )),
            _ => None,
        }
    }

    /// Tokens in the user's login keychain.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct MacKeychainStore;

    fn entry(key: &TokenKey) -> std::result::Result<Entry, KeyringError> {
        let (service, account) = service_and_account(key);
        Store::new()?.build(&service, &account, None)
    }

    impl SecretStore for MacKeychainStore {
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
            let probe = Store::new().and_then(|s| s.build(KEYCHAIN_SERVICE, "ntn-check", None));
            native::probe(probe, refine)
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
    fn production_is_the_official_clis_item_and_others_name_their_environment() {
        assert_eq!(
            service_and_account(&TokenKey::prod("ws-1")),
            ("notion-cli".to_string(), "ws-1".to_string())
        );
        assert_eq!(
            service_and_account(&TokenKey::new(EnvName::Dev, "ws-1")),
            ("notion-cli:dev".to_string(), "ws-1".to_string())
        );
        assert_eq!(
            service_and_account(&TokenKey::new(EnvName::Local, "ws-1")),
            ("notion-cli:local".to_string(), "ws-1".to_string())
        );
    }
}
