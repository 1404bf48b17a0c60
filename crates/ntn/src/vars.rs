//! The environment variables a command sees, read once at start.
//!
//! [`Vars`] is a snapshot: `main` takes it from the process environment, a
//! test builds its own from pairs. Nothing below the CLI layer reads
//! `std::env` directly; every `NOTION_*` variable (and `HOME`, `BROWSER`, ...)
//! is looked up here, so a test can run a command in-process with variables of
//! its own, and one command never sees two different values of a variable.
//!
//! The names ntn honours are constants here, so they are spelled once.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// A personal access token; wins over stored logins.
pub const API_TOKEN: &str = "NOTION_API_TOKEN";
/// The logged-in workspace to use for one command.
pub const WORKSPACE_ID: &str = "NOTION_WORKSPACE_ID";
/// `0` keeps tokens in `auth.json` instead of the OS keychain.
pub const KEYRING: &str = "NOTION_KEYRING";
/// The environment: local, dev, stg, prod.
pub const ENV: &str = "NOTION_ENV";
/// The config directory.
pub const HOME: &str = "NOTION_HOME";
/// Base URL for login and internal calls.
pub const BASE_URL: &str = "NOTION_BASE_URL";
/// Public API base URL.
pub const API_BASE_URL: &str = "NOTION_API_BASE_URL";
/// Docs base URL (OpenAPI spec and docs pages).
pub const DOCS_BASE_URL: &str = "NOTION_API_DOCS_BASE_URL";
/// The `Notion-Version` header.
pub const API_VERSION: &str = "NOTION_API_VERSION";
/// The time zone (`today` in `--where`); unset: the system's.
pub const TZ: &str = "TZ";
/// Keychain call timeout in milliseconds (for tests).
pub const KEYCHAIN_TIMEOUT_MS: &str = "NTN_KEYCHAIN_TIMEOUT_MS";

/// A snapshot of environment variables.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    map: BTreeMap<OsString, OsString>,
}

impl Vars {
    /// The process environment, read now.
    pub fn from_process() -> Vars {
        Vars {
            map: std::env::vars_os().collect(),
        }
    }

    /// Variables given as pairs (for tests and embedding).
    pub fn from_pairs<I, K, V>(pairs: I) -> Vars
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        Vars {
            map: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets (or replaces) a variable.
    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> &mut Vars {
        self.map.insert(name.into(), value.into());
        self
    }

    /// Removes a variable.
    pub fn remove(&mut self, name: &str) -> &mut Vars {
        self.map.remove(OsStr::new(name));
        self
    }

    /// The raw value, when set and valid UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(OsStr::new(name)).and_then(|v| v.to_str())
    }

    /// The raw value as an OS string (paths), when set.
    pub fn get_os(&self, name: &str) -> Option<&OsStr> {
        self.map.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// Whether the variable is set at all (even empty).
    pub fn is_set(&self, name: &str) -> bool {
        self.map.contains_key(OsStr::new(name))
    }

    /// The value trimmed; `None` when unset, empty or only whitespace.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A non-empty value as a path.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.get_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// Every variable, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.map.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// The variables a child process (browser opener, editor) gets: all of
    /// these but `NOTION_API_TOKEN` (a token never reaches a child).
    pub fn for_child(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.iter().filter(|(k, _)| *k != OsStr::new(API_TOKEN))
    }
}

/// Whether a variable's value is shown redacted (`ntn debug`): names with
/// TOKEN, SECRET or KEY in them (but `NOTION_KEYRING`, a switch).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n != KEYRING && (n.contains("TOKEN") || n.contains("SECRET") || n.contains("KEY"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_empty_means_unset() {
        let v = Vars::from_pairs([("A", " x "), ("B", "  "), ("C", "")]);
        assert_eq!(v.value("A"), Some("x"));
        assert_eq!(v.get("A"), Some(" x "));
        assert_eq!(v.value("B"), None);
        assert_eq!(v.value("C"), None);
        assert!(v.is_set("C"));
        assert!(!v.is_set("D"));
        assert_eq!(v.path("C"), None);
    }

    #[test]
    fn children_never_get_secrets() {
        let v = Vars::from_pairs([
            ("NOTION_API_TOKEN", "ntn_x"),
            ("PATH", "/bin"),
            ("NOTION_HOME", "/h"),
        ]);
        let names: Vec<_> = v.for_child().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(names, vec![OsString::from("NOTION_HOME"), "PATH".into()]);
        assert!(is_secret_name("NOTION_API_TOKEN") && is_secret_name("X_API_KEY"));
        assert!(!is_secret_name("NOTION_KEYRING") && !is_secret_name("NOTION_HOME"));
    }
}
