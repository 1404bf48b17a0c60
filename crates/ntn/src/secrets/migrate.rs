//! A wrapper that migrates tokens from a legacy source into a store.
//!
//! [`Migrating`] puts a legacy source (on Linux, the kernel keyring where the
//! official ntn 0.4.0 kept tokens: see [`super::legacy`]) behind a store:
//!
//! * `get`: the store's token when it has one (the legacy source is then not
//!   looked at). Otherwise the legacy token, moved: written to the store (which
//!   reads it back), and only after that verified copy removed from the legacy
//!   source, so a token keeps one home and a later logout cannot leave a copy
//!   behind. When the copy fails the token is still used and stays where it
//!   was.
//! * `set` (a new login supersedes the old token) and `delete` (a logout
//!   really logs out) remove the legacy token too.
//!
//! The legacy source never blocks the normal path: when it cannot be
//! searched or cleaned, that is a note (shown with `-v`), not an error.
//! Everything else (`check`, `describe`, the backend) is the store's.

use super::{Backend, SecretStore, StoreError, Token, TokenKey};
use crate::error::{Error, Result};
use crate::output::Ui;

/// A store that moves in what a legacy source still holds.
pub struct Migrating<P, L> {
    primary: P,
    legacy: L,
    /// Where notes about the legacy source go (`-v`); none: quiet.
    notes: Option<Ui>,
}

impl<P: SecretStore, L: SecretStore> Migrating<P, L> {
    pub fn new(primary: P, legacy: L, notes: Option<Ui>) -> Migrating<P, L> {
        Migrating {
            primary,
            legacy,
            notes,
        }
    }

    fn note(&self, text: &str) {
        if let Some(ui) = &self.notes {
            ui.note(text);
        }
    }

    /// The legacy source's token for `key`, moved into the store.
    fn migrate(&self, key: &TokenKey) -> Option<Token> {
        let from = self.legacy.describe();
        let to = self.primary.describe();
        let token = match self.legacy.get(key) {
            Ok(Some(token)) => token,
            Ok(None) => return None,
            Err(e) => {
                self.note(&format!("{from} not searched for {key}: {}", reason(&e)));
                return None;
            }
        };
        match self.primary.set(key, &token) {
            Ok(()) => match self.legacy.delete(key) {
                Ok(_) => self.note(&format!(
                    "moved the token of {key} from the {from} to the {to}"
                )),
                Err(e) => self.note(&format!(
                    "copied the token of {key} from the {from} to the {to}; the old copy stays: {}",
                    reason(&e)
                )),
            },
            Err(e) => self.note(&format!(
                "using the token of {key} from the {from}; it could not be copied: {}",
                e.message()
            )),
        }
        Some(token)
    }

    /// Removes the legacy token of `key`; whether one was there.
    fn clean(&self, key: &TokenKey) -> bool {
        match self.legacy.delete(key) {
            Ok(had) => had,
            Err(e) => {
                self.note(&format!(
                    "{} not cleaned: {}",
                    self.legacy.describe(),
                    reason(&e)
                ));
                false
            }
        }
    }
}

/// Why a legacy source failed: the store error's reason, else the message.
fn reason(e: &Error) -> String {
    e.data::<StoreError>()
        .map(|d| d.reason.clone())
        .unwrap_or_else(|| e.message().to_string())
}

impl<P: SecretStore, L: SecretStore> SecretStore for Migrating<P, L> {
    fn describe(&self) -> String {
        self.primary.describe()
    }

    fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
        match self.primary.get(key)? {
            Some(token) => Ok(Some(token)),
            None => Ok(self.migrate(key)),
        }
    }

    fn set(&self, key: &TokenKey, token: &Token) -> Result<()> {
        self.primary.set(key, token)?;
        self.clean(key);
        Ok(())
    }

    fn delete(&self, key: &TokenKey) -> Result<bool> {
        let had = self.primary.delete(key)?;
        let had_legacy = self.clean(key);
        Ok(had || had_legacy)
    }

    fn check(&self) -> Result<()> {
        self.primary.check()
    }

    fn check_can_store(&self) -> Result<()> {
        self.primary.check_can_store()
    }

    fn backend(&self) -> Backend {
        self.primary.backend()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::memory::MemoryStore;

    fn key() -> TokenKey {
        TokenKey::prod("w1")
    }

    fn stores(
        primary: MemoryStore,
        legacy: MemoryStore,
    ) -> (Migrating<MemoryStore, MemoryStore>, crate::output::Captured) {
        let (ui, captured) = Ui::test();
        (Migrating::new(primary, legacy, Some(ui)), captured)
    }

    #[test]
    fn a_legacy_token_is_moved_once() {
        let (m, notes) = stores(MemoryStore::default(), MemoryStore::with(&[(key(), "old")]));
        assert_eq!(m.get(&key()).unwrap().unwrap().expose(), "old");
        assert_eq!(m.primary.peek(&key()).as_deref(), Some("old"));
        assert_eq!(m.legacy.peek(&key()), None);
        assert!(
            notes
                .stderr()
                .contains("moved the token of workspace w1 from the memory to the memory"),
            "{}",
            notes.stderr()
        );
        // Other keys are not touched.
        let dev = TokenKey::new(crate::env::EnvName::Dev, "w1");
        assert!(m.get(&dev).unwrap().is_none());
    }

    #[test]
    fn the_store_wins_and_the_legacy_source_is_then_not_read() {
        let (m, _) = stores(
            MemoryStore::with(&[(key(), "new")]),
            MemoryStore::with(&[(key(), "old")]),
        );
        assert_eq!(m.get(&key()).unwrap().unwrap().expose(), "new");
        assert_eq!(m.legacy.peek(&key()).as_deref(), Some("old"));
    }

    #[test]
    fn a_failed_copy_keeps_the_legacy_token() {
        let (m, notes) = stores(
            MemoryStore::refusing_writes(),
            MemoryStore::with(&[(key(), "old")]),
        );
        assert_eq!(m.get(&key()).unwrap().unwrap().expose(), "old");
        assert_eq!(m.legacy.peek(&key()).as_deref(), Some("old"));
        assert!(
            notes.stderr().contains("could not be copied"),
            "{}",
            notes.stderr()
        );
    }

    #[test]
    fn set_and_delete_remove_the_legacy_token() {
        let (m, _) = stores(MemoryStore::default(), MemoryStore::with(&[(key(), "old")]));
        m.set(&key(), &Token::new("new")).unwrap();
        assert_eq!(m.legacy.peek(&key()), None);
        assert_eq!(m.primary.peek(&key()).as_deref(), Some("new"));
        m.legacy.put(&key(), "old-again");
        assert!(m.delete(&key()).unwrap());
        assert_eq!(m.primary.peek(&key()), None);
        assert_eq!(m.legacy.peek(&key()), None);
        // Only a legacy token: still "there was one".
        m.legacy.put(&key(), "old");
        assert!(m.delete(&key()).unwrap());
        assert!(!m.delete(&key()).unwrap());
    }
}
