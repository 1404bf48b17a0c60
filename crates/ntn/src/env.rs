//! Environments (`--env` / `NOTION_ENV`) and the three base URLs they resolve to.
//!
//! * base URL (login and internal calls): `NOTION_BASE_URL`
//! * public API base: `NOTION_API_BASE_URL`
//! * docs base (OpenAPI spec and docs pages): `NOTION_API_DOCS_BASE_URL`
//!
//! `prod` uses Notion's hosts; `local` uses the bundled sandbox on
//! `http://localhost:3000` for all three. Each variable overrides its URL in any
//! environment.

use crate::error::{Error, Result};
use crate::vars::{self, Vars};

/// The Notion environment a command talks to. State (default workspace, cached
/// workspaces) is kept per environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum EnvName {
    Local,
    Dev,
    Stg,
    Prod,
}

impl EnvName {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvName::Local => "local",
            EnvName::Dev => "dev",
            EnvName::Stg => "stg",
            EnvName::Prod => "prod",
        }
    }

    pub fn parse(s: &str) -> Option<EnvName> {
        match s {
            "local" => Some(EnvName::Local),
            "dev" => Some(EnvName::Dev),
            "stg" => Some(EnvName::Stg),
            "prod" => Some(EnvName::Prod),
            _ => None,
        }
    }

    /// The built-in URLs: (base, api, docs).
    fn defaults(self) -> (&'static str, &'static str, &'static str) {
        match self {
            EnvName::Prod => (
                "https://www.notion.so",
                "https://api.notion.com",
                "https://developers.notion.com",
            ),
            EnvName::Stg => (
                "https://stg.notion.so",
                "https://api.stg.notion.com",
                "https://developers.notion.com",
            ),
            EnvName::Dev => (
                "https://dev.notion.so",
                "https://api.dev.notion.com",
                "https://developers.notion.com",
            ),
            EnvName::Local => (
                "http://localhost:3000",
                "http://localhost:3000",
                "http://localhost:3000",
            ),
        }
    }
}

impl std::fmt::Display for EnvName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a URL came from, for `ntn debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlSource {
    /// The environment's built-in value.
    Default,
    /// Overridden by the named variable.
    Variable(&'static str),
}

/// One resolved URL.
#[derive(Clone, Debug)]
pub struct ResolvedUrl {
    pub url: String,
    pub source: UrlSource,
}

/// A resolved environment: its name and its three base URLs (no trailing slash).
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: EnvName,
    pub base_url: ResolvedUrl,
    pub api_base_url: ResolvedUrl,
    pub docs_base_url: ResolvedUrl,
}

pub const VAR_BASE_URL: &str = vars::BASE_URL;
pub const VAR_API_BASE_URL: &str = vars::API_BASE_URL;
pub const VAR_DOCS_BASE_URL: &str = vars::DOCS_BASE_URL;

impl Environment {
    /// Resolves the URLs of `name`, applying the override variables.
    pub fn resolve(name: EnvName, vars: &Vars) -> Result<Environment> {
        let (base, api, docs) = name.defaults();
        let pick = |key: &'static str, default: &str| -> Result<ResolvedUrl> {
            match vars.value(key) {
                Some(v) => Ok(ResolvedUrl {
                    url: normalize_url(key, v)?,
                    source: UrlSource::Variable(key),
                }),
                None => Ok(ResolvedUrl {
                    url: default.to_string(),
                    source: UrlSource::Default,
                }),
            }
        };
        Ok(Environment {
            name,
            base_url: pick(VAR_BASE_URL, base)?,
            api_base_url: pick(VAR_API_BASE_URL, api)?,
            docs_base_url: pick(VAR_DOCS_BASE_URL, docs)?,
        })
    }

    pub fn base(&self) -> &str {
        &self.base_url.url
    }

    pub fn api_base(&self) -> &str {
        &self.api_base_url.url
    }

    pub fn docs_base(&self) -> &str {
        &self.docs_base_url.url
    }
}

/// Checks that `value` is an absolute http(s) URL and strips trailing slashes.
fn normalize_url(var: &str, value: &str) -> Result<String> {
    let v = value.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => {
            Ok(v.trim_end_matches('/').to_string())
        }
        _ => Err(
            Error::local(format!("{var} is not an http(s) URL: {value:?}")).hint(format!(
                "set {var} to a URL such as http://localhost:3000, or unset it"
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn prod_uses_notion_hosts() {
        let e = Environment::resolve(EnvName::Prod, &vars(&[])).unwrap();
        assert_eq!(e.base(), "https://www.notion.so");
        assert_eq!(e.api_base(), "https://api.notion.com");
        assert_eq!(e.docs_base(), "https://developers.notion.com");
        assert_eq!(e.base_url.source, UrlSource::Default);
    }

    #[test]
    fn local_uses_the_sandbox_for_everything() {
        let e = Environment::resolve(EnvName::Local, &vars(&[])).unwrap();
        for u in [e.base(), e.api_base(), e.docs_base()] {
            assert_eq!(u, "http://localhost:3000");
        }
    }

    #[test]
    fn variables_override_and_are_normalised() {
        let e = Environment::resolve(
            EnvName::Prod,
            &vars(&[
                ("NOTION_BASE_URL", "http://127.0.0.1:9/"),
                ("NOTION_API_BASE_URL", " https://api.example.test// "),
                ("NOTION_API_DOCS_BASE_URL", ""),
            ]),
        )
        .unwrap();
        assert_eq!(e.base(), "http://127.0.0.1:9");
        assert_eq!(e.api_base(), "https://api.example.test");
        assert_eq!(e.docs_base(), "https://developers.notion.com");
        assert_eq!(e.base_url.source, UrlSource::Variable("NOTION_BASE_URL"));
    }

    #[test]
    fn bad_urls_are_local_errors_naming_the_variable() {
        for bad in ["localhost:3000", "ftp://x", "http://", "https:///x"] {
            let err = Environment::resolve(EnvName::Prod, &vars(&[("NOTION_BASE_URL", bad)]))
                .unwrap_err();
            assert_eq!(err.exit_code().code(), 1);
            assert!(err.message().contains("NOTION_BASE_URL"), "{bad}");
        }
    }

    #[test]
    fn names_round_trip() {
        for n in [EnvName::Local, EnvName::Dev, EnvName::Stg, EnvName::Prod] {
            assert_eq!(EnvName::parse(n.as_str()), Some(n));
        }
        assert_eq!(EnvName::parse("production"), None);
    }
}
