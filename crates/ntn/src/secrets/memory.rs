//! An in-memory store, for unit tests of the logic around stores (the
//! wrappers, the choice). It never tests a store: the keychain and file
//! stores are tested against the real thing.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Backend, SecretStore, StoreErrorKind, Token, TokenKey, unusable};
use crate::error::Result;

/// Tokens in a map; `refuse_writes` makes `set` fail (a locked store).
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<HashMap<TokenKey, Token>>,
    refuse_writes: bool,
}

impl MemoryStore {
    /// A store whose writes fail (as a locked keychain's do).
    pub fn refusing_writes() -> MemoryStore {
        MemoryStore {
            refuse_writes: true,
            ..MemoryStore::default()
        }
    }

    /// A store holding `tokens`.
    pub fn with(tokens: &[(TokenKey, &str)]) -> MemoryStore {
        let store = MemoryStore::default();
        for (k, t) in tokens {
            store.put(k, t);
        }
        store
    }

    /// Puts a token in directly (even when writes are refused).
    pub fn put(&self, key: &TokenKey, token: &str) {
        self.map().insert(key.clone(), Token::new(token));
    }

    /// The token held for `key`, as text.
    pub fn peek(&self, key: &TokenKey) -> Option<String> {
        self.map().get(key).map(|t| t.expose().to_string())
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<TokenKey, Token>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".to_string()
    }

    fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
        Ok(self.map().get(key).cloned())
    }

    fn set(&self, key: &TokenKey, token: &Token) -> Result<()> {
        if self.refuse_writes {
            return Err(unusable(
                "Memory",
                "store a token",
                StoreErrorKind::Locked,
                "writes are refused",
            ));
        }
        self.map().insert(key.clone(), token.clone());
        Ok(())
    }

    fn delete(&self, key: &TokenKey) -> Result<bool> {
        Ok(self.map().remove(key).is_some())
    }

    fn backend(&self) -> Backend {
        Backend::Keychain
    }
}
