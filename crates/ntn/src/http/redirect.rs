//! Redirects, followed by ntn itself rather than by the HTTP library, so
//! that the rules are ours:
//!
//! * GET and HEAD follow 301, 302, 303, 307 and 308 (at most
//!   [`MAX_REDIRECTS`]);
//! * any other method follows only 307 and 308 (same method, same body);
//!   301, 302 and 303 would turn it into a GET, so they are an error;
//! * to another origin (scheme, host or port), neither the token nor any
//!   header but `Accept` and `Content-Type` goes along; a request whose
//!   body is a secret ([`super::Request::secret`]) does not follow at all;
//! * every hop of a request with a secret (a token, a secret body) is
//!   checked like the first: plain HTTP only to a loopback address.
//!
//! A refused redirect carries [`Refused`]: it is final, never retried.

use crate::error::Error;

/// Attached to the error of a redirect ntn refuses to follow.
#[derive(Clone, Copy, Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a redirect ntn refuses to follow")
    }
}

impl std::error::Error for Refused {}

/// The error for a redirect of a request whose body is a secret to another
/// origin.
pub fn secret_elsewhere(from: &str, to: &str) -> Error {
    Error::api(format!(
        "{} redirected the login request to another server ({}); ntn does not send it there",
        super::host_of(from),
        crate::output::text::clean(super::host_of(to))
    ))
    .hint("check NOTION_BASE_URL: it should be the Notion server itself")
    .with_data(Refused)
}

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: u32 = 5;

/// Whether `status` is a redirect ntn may follow.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Headers that may follow a redirect to another origin.
pub fn crosses_origin(name: &str) -> bool {
    name.eq_ignore_ascii_case("accept") || name.eq_ignore_ascii_case("content-type")
}

/// Whether a request with `method` may follow `status`.
pub fn may_follow(method: &str, status: u16) -> bool {
    matches!(method, "GET" | "HEAD") || matches!(status, 307 | 308)
}

/// The error for a redirect that would change the method.
pub fn refused(method: &str, status: u16, from: &str, to: &str) -> Error {
    Error::api(format!(
        "the server answered the {method} to {} with HTTP {status}, a redirect to {}; \
         following it would send a GET instead, so ntn stops here",
        super::host_of(from),
        crate::output::text::clean(to)
    ))
    .hint("send the request to the URL it redirects to, if you trust it")
    .with_data(Refused)
}

/// `scheme://host:port` of a URL, lower-cased, with the default port spelt
/// out (so `https://a` and `https://A:443` are one origin).
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (format!("[{h}]"), after.strip_prefix(':').unwrap_or(""))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (authority.to_string(), ""),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match (port, scheme.as_str()) {
        ("", "https") => "443",
        ("", "http") => "80",
        (p, _) => p,
    };
    Some(format!("{scheme}://{}:{port}", host.to_ascii_lowercase()))
}

/// Whether two URLs share an origin.
pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// Resolves a `Location` against the URL that answered with it.
pub fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if location.is_empty() || location.chars().any(char::is_control) {
        return None;
    }
    let (scheme, rest) = base.split_once("://")?;
    if let Some((s, _)) = location.split_once("://")
        && !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        let s = s.to_ascii_lowercase();
        return (s == "http" || s == "https").then(|| location.to_string());
    }
    if let Some(net) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{net}"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let root = format!("{scheme}://{authority}");
    if location.starts_with('/') {
        return Some(format!("{root}{location}"));
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    if location.starts_with('?') {
        return Some(format!("{root}{path}{location}"));
    }
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    Some(format!("{root}{dir}{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_answering_url() {
        let base = "https://api.notion.com/v1/users/me?x=1";
        for (loc, want) in [
            ("https://other.test/a", "https://other.test/a"),
            ("//cdn.test/b", "https://cdn.test/b"),
            ("/v2/me", "https://api.notion.com/v2/me"),
            ("them", "https://api.notion.com/v1/users/them"),
            ("?y=2", "https://api.notion.com/v1/users/me?y=2"),
        ] {
            assert_eq!(resolve(base, loc).as_deref(), Some(want), "{loc}");
        }
        assert_eq!(resolve(base, "ftp://x/y"), None);
        assert_eq!(
            resolve(base, "javascript:alert(1)").as_deref(),
            Some("https://api.notion.com/v1/users/javascript:alert(1)")
        );
        assert_eq!(resolve(base, "a\r\nb"), None);
        assert_eq!(resolve(base, ""), None);
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin("https://a.test/x", "https://A.test:443/y"));
        assert!(same_origin("http://127.0.0.1:8/x", "http://127.0.0.1:8"));
        assert!(!same_origin("http://127.0.0.1:8/x", "http://localhost:8/x"));
        assert!(!same_origin("https://a.test/x", "http://a.test/x"));
        assert!(!same_origin("https://a.test/x", "https://a.test:8443/x"));
        assert!(!same_origin("https://a.test@b.test/", "https://a.test/"));
        assert!(same_origin("http://[::1]:3/a", "http://[::1]:3/b"));
        assert!(!same_origin("nonsense", "nonsense"));
    }

    #[test]
    fn only_safe_methods_follow_every_redirect() {
        assert!(may_follow("GET", 302));
        assert!(may_follow("POST", 307));
        assert!(may_follow("PATCH", 308));
        assert!(!may_follow("POST", 302));
        assert!(!may_follow("DELETE", 301));
        assert!(!may_follow("POST", 303));
    }
}
