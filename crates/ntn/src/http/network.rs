//! How requests reach the network: the proxy a URL goes through and the
//! certificates a TLS server is checked against, decided from the command's
//! variables ([`Vars`]), never from the process environment.
//!
//! * **Proxies**, by curl's rules: `https_proxy`/`HTTPS_PROXY` for https
//!   URLs, `http_proxy`/`HTTP_PROXY` for http URLs, `all_proxy`/`ALL_PROXY`
//!   for either when the scheme's own is unset (the lower-case name wins when
//!   both are set; an empty value is unset). Loopback is never proxied: a
//!   proxy cannot reach this machine's loopback, and a token travels over
//!   plain HTTP only to loopback, never through a proxy. A proxy URL is `http://` (plain
//!   CONNECT, the default when no scheme is given), `https://` (TLS to the
//!   proxy), `socks4://`, `socks4a://`, `socks5://` or `socks5h://`, with
//!   optional `user:password@` (percent-encoded). `NO_PROXY`/`no_proxy` lists
//!   hosts reached directly ([`NoProxy`]). On Windows, when none of the proxy
//!   variables is set, the user's system setting (Internet Options, as the
//!   registry holds it: `ProxyEnable`, `ProxyServer`, `ProxyOverride`);
//!   automatic configuration (a PAC script or WPAD) is not supported.
//! * **Trust**: the operating system's verifier (rustls-platform-verifier:
//!   the Keychain and its policies on macOS, the certificate store on
//!   Windows, the system's CA bundle on Linux), so a certificate a company
//!   installed for its TLS-inspecting proxy is trusted like any other. With
//!   `SSL_CERT_FILE`, exactly the certificates of that PEM file instead
//!   (OpenSSL's meaning). Set up only for an https request, once per
//!   [`Network`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use ureq::tls::{RootCerts, TlsConfig};

use crate::error::Error;
use crate::vars::Vars;

/// `SSL_CERT_FILE`: a PEM file of the certificates to trust instead of the
/// system's.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// `NO_PROXY` (and `no_proxy`).
pub const NO_PROXY: &str = "NO_PROXY";

/// The proxy variables for https URLs, in order of preference.
const HTTPS_VARS: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
/// The proxy variables for http URLs, in order of preference.
const HTTP_VARS: [&str; 4] = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];

/// Where requests go and whom they trust. Cheap to clone; clones share the
/// certificates once loaded.
#[derive(Clone, Debug, Default)]
pub struct Network {
    https: Option<Route>,
    http: Option<Route>,
    bypass: NoProxy,
    trust: Arc<Trust>,
}

/// A proxy to send requests through, or why the configured one is unusable.
#[derive(Clone)]
pub struct Route {
    proxy: std::result::Result<ureq::Proxy, String>,
    /// The proxy URL without credentials, for messages.
    pub shown: String,
    /// Where it was configured (`HTTPS_PROXY`, `the Windows proxy setting`).
    pub source: String,
}

impl std::fmt::Debug for Route {
    /// The proxy without its credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("shown", &self.shown)
            .field("source", &self.source)
            .field("usable", &self.proxy.is_ok())
            .finish()
    }
}

impl Route {
    fn new(value: &str, source: &str) -> Route {
        let value = value.trim();
        let shown = without_credentials(value);
        let proxy = ureq::Proxy::new(value).map_err(|_| {
            format!(
                "{source} is not a proxy URL ntn can use: {}",
                crate::output::text::clean(&shown)
            )
        });
        Route {
            proxy,
            shown,
            source: source.to_string(),
        }
    }

    /// The proxy, or an error naming the variable that holds a bad one.
    pub fn proxy(&self) -> std::result::Result<&ureq::Proxy, Error> {
        self.proxy.as_ref().map_err(|message| {
            Error::local(message.clone()).hint(
                "use http://host:port, https://host:port or socks5h://host:port \
                 (with user:password@ before the host if the proxy needs it), or unset it",
            )
        })
    }
}

#[derive(Debug, Default)]
struct Trust {
    /// `SSL_CERT_FILE`, when set.
    file: Option<PathBuf>,
    /// The TLS settings, made on the first https request.
    config: OnceLock<std::result::Result<TlsConfig, String>>,
}

impl Network {
    /// The network as the variables describe it (and, on Windows, the
    /// system's proxy setting when no proxy variable is set).
    pub fn from_vars(vars: &Vars) -> Network {
        let pick = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| vars.value(n).map(|v| Route::new(v, n)))
        };
        let https = pick(&HTTPS_VARS);
        let http = pick(&HTTP_VARS);
        let bypass = NoProxy::parse(
            vars.value("no_proxy")
                .or_else(|| vars.value(NO_PROXY))
                .unwrap_or(""),
        );
        let trust = Arc::new(Trust {
            file: vars.path(SSL_CERT_FILE),
            config: OnceLock::new(),
        });
        let any_var = HTTPS_VARS
            .iter()
            .chain(&HTTP_VARS)
            .any(|n| vars.value(n).is_some());
        if !any_var && let Some(system) = system_proxy() {
            return Network {
                https: system.https,
                http: system.http,
                bypass: system.bypass,
                trust,
            };
        }
        Network {
            https,
            http,
            bypass,
            trust,
        }
    }

    /// The proxy a request to `url` goes through (None: directly).
    pub fn route(&self, url: &str) -> Option<&Route> {
        if super::names_loopback(url) {
            return None;
        }
        let (scheme, _) = url.split_once("://")?;
        let route = if scheme.eq_ignore_ascii_case("https") {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        }?;
        match host_of_url(url) {
            Some(host) if self.bypass.matches(&host) => None,
            _ => Some(route),
        }
    }

    /// The `SSL_CERT_FILE` in use, if any.
    pub fn cert_file(&self) -> Option<&std::path::Path> {
        self.trust.file.as_deref()
    }

    /// The TLS settings of an https request: the system's verifier, or the
    /// certificates of `SSL_CERT_FILE` (read once, on the first call).
    pub fn tls(&self) -> std::result::Result<TlsConfig, Error> {
        let made = self.trust.config.get_or_init(|| match &self.trust.file {
            None => Ok(TlsConfig::builder()
                .root_certs(RootCerts::PlatformVerifier)
                .build()),
            Some(path) => load_cert_file(path).map(|certs| {
                TlsConfig::builder()
                    .root_certs(RootCerts::new_with_certs(&certs))
                    .build()
            }),
        });
        made.clone().map_err(|message| {
            Error::local(message).hint(
                "point SSL_CERT_FILE at a PEM file of the certificates to trust, \
                 or unset it to trust the system's",
            )
        })
    }
}

/// The certificates of a PEM file.
fn load_cert_file(
    path: &std::path::Path,
) -> std::result::Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let shown = path.display().to_string();
    let shown = crate::output::text::clean(&shown);
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read SSL_CERT_FILE ({shown}): {e}"))?;
    let certs: Vec<_> = ureq::tls::parse_pem(&bytes)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!("SSL_CERT_FILE ({shown}) holds no PEM certificate"));
    }
    Ok(certs)
}

/// The URL of a proxy without `user:password@`.
fn without_credentials(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("[credentials]@{host}"),
        None => authority.to_string(),
    };
    match scheme {
        Some(s) => format!("{s}://{authority}{path}"),
        None => format!("{authority}{path}"),
    }
}

/// The host of a URL, lower-cased, without brackets or a trailing dot.
fn host_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    Some(normalize_host(host))
}

fn normalize_host(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Hosts that are reached directly, never through the proxy.
///
/// `NO_PROXY` is a comma-separated list (curl's rules): `*` alone means every
/// host; a name matches itself and its subdomains (a leading `.` or `*.` is
/// ignored, so `.example.com` and `example.com` both match
/// `api.example.com` and `example.com`); an IP address matches itself; a
/// CIDR range (`10.0.0.0/8`, `fd00::/8`) matches the addresses in it. A port
/// after a name is ignored. Matching ignores case. The Windows proxy setting
/// adds `*` wildcards anywhere in an entry and `<local>` (names without a
/// dot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<Bypass>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Bypass {
    All,
    Domain(String),
    Ip(IpAddr),
    Net(IpAddr, u8),
    /// A Windows `ProxyOverride` entry with `*` wildcards.
    Glob(String),
    /// Windows' `<local>`: a name without a dot.
    Local,
}

impl NoProxy {
    /// Parses a `NO_PROXY` value.
    pub fn parse(list: &str) -> NoProxy {
        NoProxy {
            entries: list.split(',').filter_map(Bypass::parse).collect(),
        }
    }

    /// Whether `host` (a name or an IP address, IPv6 without brackets) is
    /// reached directly.
    pub fn matches(&self, host: &str) -> bool {
        let host = normalize_host(host.trim_start_matches('[').trim_end_matches(']'));
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|e| match e {
            Bypass::All => true,
            Bypass::Domain(d) => {
                host == *d
                    || host
                        .strip_suffix(d.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            Bypass::Ip(want) => ip == Some(*want),
            Bypass::Net(net, bits) => ip.is_some_and(|ip| in_net(ip, *net, *bits)),
            Bypass::Glob(pattern) => glob(pattern, &host),
            Bypass::Local => ip.is_none() && !host.contains('.'),
        })
    }
}

impl Bypass {
    fn parse(entry: &str) -> Option<Bypass> {
        let e = entry.trim();
        if e.is_empty() {
            return None;
        }
        if e == "*" {
            return Some(Bypass::All);
        }
        if let Some((addr, bits)) = e.split_once('/') {
            let addr: IpAddr = addr.trim_matches(['[', ']']).parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(Bypass::Net(addr, bits));
        }
        if let Ok(ip) = e.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Some(Bypass::Ip(ip));
        }
        let name = e
            .strip_prefix("*.")
            .or_else(|| e.strip_prefix('.'))
            .unwrap_or(e);
        // `host:port`: the port is ignored.
        let name = match name.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => name,
        };
        let name = normalize_host(name);
        (!name.is_empty()).then_some(Bypass::Domain(name))
    }
}

/// Whether `ip` is in `net/bits`.
fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The proxies of the Windows proxy setting.
#[cfg_attr(not(windows), allow(dead_code))]
struct SystemProxy {
    https: Option<Route>,
    http: Option<Route>,
    bypass: NoProxy,
}

/// The user's proxy setting (Internet Options), when one is enabled.
#[cfg(windows)]
fn system_proxy() -> Option<SystemProxy> {
    use winreg::RegKey;
    use winreg::enums::{HKEY_CURRENT_USER, KEY_READ};
    let key = RegKey::predef(HKEY_CURRENT_USER)
        .open_subkey_with_flags(
            r"Software\Microsoft\Windows\CurrentVersion\Internet Settings",
            KEY_READ,
        )
        .ok()?;
    let enabled = key.get_value::<u32, _>("ProxyEnable").ok()? == 1;
    if !enabled {
        return None;
    }
    let server: String = key.get_value("ProxyServer").ok()?;
    let bypass: String = key.get_value("ProxyOverride").unwrap_or_default();
    windows_setting(&server, &bypass)
}

#[cfg(not(windows))]
fn system_proxy() -> Option<SystemProxy> {
    None
}

/// What `ProxyServer` and `ProxyOverride` say: either one `host:port` for
/// every scheme, or `scheme=host:port` pairs separated by `;` (`http=` and
/// `https=` are used; `ftp=` and `socks=` are not). `ProxyOverride` is a
/// `;`-separated list of hosts with `*` wildcards and `<local>`.
#[cfg_attr(not(windows), allow(dead_code))]
fn windows_setting(server: &str, bypass: &str) -> Option<SystemProxy> {
    const SOURCE: &str = "the Windows proxy setting";
    let url = |v: &str| {
        let v = v.trim();
        if v.contains("://") {
            v.to_string()
        } else {
            format!("http://{v}")
        }
    };
    let (mut http, mut https) = (None, None);
    if server.contains('=') {
        for pair in server.split(';') {
            match pair.split_once('=') {
                Some((scheme, v)) if scheme.trim().eq_ignore_ascii_case("http") => {
                    http = Some(Route::new(&url(v), SOURCE));
                }
                Some((scheme, v)) if scheme.trim().eq_ignore_ascii_case("https") => {
                    https = Some(Route::new(&url(v), SOURCE));
                }
                _ => {}
            }
        }
    } else if !server.trim().is_empty() {
        let route = Route::new(&url(server), SOURCE);
        http = Some(route.clone());
        https = Some(route);
    }
    if http.is_none() && https.is_none() {
        return None;
    }
    let entries = bypass
        .split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            if e.eq_ignore_ascii_case("<local>") {
                Bypass::Local
            } else if e.contains('*') {
                Bypass::Glob(normalize_host(e))
            } else {
                Bypass::parse(e).unwrap_or(Bypass::Glob(normalize_host(e)))
            }
        })
        .collect();
    Some(SystemProxy {
        https,
        http,
        bypass: NoProxy { entries },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(pairs: &[(&str, &str)]) -> Network {
        Network::from_vars(&Vars::from_pairs(pairs.iter().copied()))
    }

    fn via(n: &Network, url: &str) -> Option<String> {
        n.route(url).map(|r| format!("{} {}", r.shown, r.source))
    }

    #[test]
    fn the_schemes_own_variable_then_all_proxy_lower_case_first() {
        let n = net(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("ALL_PROXY", "socks5h://all:3"),
        ]);
        assert_eq!(
            via(&n, "https://api.notion.com/v1").as_deref(),
            Some("http://lower:2 https_proxy")
        );
        assert_eq!(
            via(&n, "http://example.com/").as_deref(),
            Some("socks5h://all:3 ALL_PROXY")
        );
        let n = net(&[("HTTP_PROXY", "proxy:8080"), ("HTTPS_PROXY", " ")]);
        assert_eq!(via(&n, "https://api.notion.com/v1"), None);
        assert_eq!(
            via(&n, "http://docs.example/v1").as_deref(),
            Some("proxy:8080 HTTP_PROXY")
        );
        assert_eq!(via(&net(&[]), "https://api.notion.com"), None);
    }

    #[test]
    fn loopback_is_never_proxied() {
        let n = net(&[("ALL_PROXY", "http://proxy:1")]);
        for url in [
            "http://127.0.0.1:3000/v1",
            "https://localhost:8443/",
            "http://[::1]/",
            "http://127.9.9.9/",
            "http://api.localhost/",
        ] {
            assert_eq!(via(&n, url), None, "{url}");
        }
        assert!(via(&n, "http://127.0.0.1.example/").is_some());
    }

    #[test]
    fn no_proxy_by_curls_rules() {
        let np = NoProxy::parse(
            " example.com, .corp.test,*.svc, 10.0.0.0/8 ,::1, fd00::/8,localhost:3000,192.168.1.7",
        );
        for host in [
            "example.com",
            "API.Example.com.",
            "corp.test",
            "a.b.corp.test",
            "x.svc",
            "svc",
            "10.1.2.3",
            "::1",
            "[::1]",
            "fd00::5",
            "localhost",
            "192.168.1.7",
        ] {
            assert!(np.matches(host), "{host}");
        }
        for host in [
            "notexample.com",
            "example.com.evil",
            "11.0.0.1",
            "192.168.1.8",
            "fe80::1",
            "xsvc",
            "api.notion.com",
        ] {
            assert!(!np.matches(host), "{host}");
        }
        assert!(NoProxy::parse("*").matches("anything"));
        assert!(!NoProxy::parse("").matches("anything"));
        assert!(!NoProxy::parse("10.0.0.0/99,/8,*x").matches("10.0.0.1"));
        let n = net(&[
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "api.notion.com"),
        ]);
        assert_eq!(via(&n, "https://API.notion.com:443/v1/users"), None);
        assert!(via(&n, "https://files.notion.com/x").is_some());
        // Lower case wins here too.
        let n = net(&[
            ("HTTPS_PROXY", "http://p:1"),
            ("no_proxy", "a.test"),
            ("NO_PROXY", "b.test"),
        ]);
        assert_eq!(via(&n, "https://a.test/"), None);
        assert!(via(&n, "https://b.test/").is_some());
    }

    #[test]
    fn credentials_never_show_and_bad_urls_are_errors_naming_the_variable() {
        let n = net(&[("HTTPS_PROXY", "http://me:s3cret@proxy.corp:3128")]);
        let r = n.route("https://api.notion.com").unwrap();
        assert_eq!(r.shown, "http://[credentials]@proxy.corp:3128");
        let p = r.proxy().unwrap();
        assert_eq!(p.username(), Some("me"));
        assert_eq!(p.password(), Some("s3cret"));
        let n = net(&[("HTTPS_PROXY", "ftp://user:pw@proxy:21")]);
        let e = n.route("https://x.test").unwrap().proxy().unwrap_err();
        assert_eq!(
            e.message(),
            "HTTPS_PROXY is not a proxy URL ntn can use: ftp://[credentials]@proxy:21"
        );
        assert!(!format!("{e:?}").contains("pw"));
    }

    #[test]
    fn socks_proxies_are_understood() {
        for url in [
            "socks5h://p:1080",
            "socks5://p",
            "socks4a://p:9",
            "socks4://p",
        ] {
            let n = net(&[("ALL_PROXY", url)]);
            assert!(n.route("https://x.test").unwrap().proxy().is_ok(), "{url}");
        }
    }

    #[test]
    fn the_cert_file_is_read_on_first_use_and_must_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let n = net(&[("SSL_CERT_FILE", missing.to_str().unwrap())]);
        assert_eq!(n.cert_file(), Some(missing.as_path()));
        let e = n.tls().unwrap_err();
        assert!(
            e.message().starts_with("cannot read SSL_CERT_FILE ("),
            "{}",
            e.message()
        );
        assert!(e.hint_text().unwrap().contains("SSL_CERT_FILE"));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let n = net(&[("SSL_CERT_FILE", empty.to_str().unwrap())]);
        assert!(
            n.tls()
                .unwrap_err()
                .message()
                .contains("holds no PEM certificate")
        );
        // Without it, the system's verifier.
        let tls = net(&[]).tls().unwrap();
        assert!(matches!(tls.root_certs(), RootCerts::PlatformVerifier));
    }

    #[test]
    fn the_windows_setting_is_read_like_windows_does() {
        let s = windows_setting("proxy.corp:8080", "<local>;*.corp.example;10.*").unwrap();
        let n = Network {
            https: s.https,
            http: s.http,
            bypass: s.bypass,
            trust: Arc::default(),
        };
        assert_eq!(
            via(&n, "https://api.notion.com").as_deref(),
            Some("http://proxy.corp:8080 the Windows proxy setting")
        );
        for direct in [
            "https://intranet/",
            "https://a.corp.example/",
            "http://10.2.3.4/",
        ] {
            assert_eq!(via(&n, direct), None, "{direct}");
        }
        let s = windows_setting("http=h:1;https=s:2;socks=k:3", "").unwrap();
        assert_eq!(s.https.unwrap().shown, "http://s:2");
        assert_eq!(s.http.unwrap().shown, "http://h:1");
        assert!(windows_setting("socks=k:3", "").is_none());
        assert!(windows_setting("", "").is_none());
    }

    #[test]
    fn globs() {
        assert!(glob("*.corp", "a.corp"));
        assert!(glob("10.*", "10.1.2.3"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(!glob("*.corp", "corp"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
    }
}
