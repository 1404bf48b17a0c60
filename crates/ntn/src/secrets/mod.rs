//! Where tokens live: one small trait, a keychain store and a file store.
//!
//! * [`Token`] wraps a secret so it cannot be printed by accident: its `Debug`
//!   and `Display` show `[redacted]`; only [`Token::expose`] gives the value.
//! * [`SecretStore`] is the trait every store implements (modelled on cargo's
//!   credential providers: get, set, delete).

use std::fmt;

use crate::error::Result;

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

/// A place that keeps one token per workspace id.
pub trait SecretStore {
    /// A short name for reports: `keychain (Secret Service)`, `auth.json`.
    fn describe(&self) -> String;
    /// The token stored for `workspace_id`, if any.
    fn get(&self, workspace_id: &str) -> Result<Option<Token>>;
    /// Stores (or replaces) the token for `workspace_id`.
    fn set(&self, workspace_id: &str, token: &Token) -> Result<()>;
    /// Deletes the token for `workspace_id`; returns whether one was there.
    fn delete(&self, workspace_id: &str) -> Result<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_formats_its_value() {
        let t = Token::new("ntn_supersecret");
        assert_eq!(format!("{t}"), "[redacted]");
        assert!(!format!("{t:?}").contains("supersecret"));
        assert_eq!(t.expose(), "ntn_supersecret");
    }
}
