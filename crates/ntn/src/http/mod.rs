//! The HTTP layer: sending requests and reading answers, for every caller
//! (the Notion layer, login, the spec cache).
//!
//! * Timeouts on every request; the `-v` log of requests and responses on
//!   the [`Ui`] (credentials redacted).
//! * The rule that a token never travels over plain HTTP except to loopback.
//! * Error answers become [`ApiError`]s (status, Notion's code and message,
//!   request id) attached to the [`Error`]; transport failures say whether
//!   the request may have reached the server ([`SendError`]).
//! * One retry policy ([`RetryPolicy`]) for everyone, waiting on the
//!   injected [`Clock`].
//!
//! It knows nothing about commands, tokens' origins or Notion's endpoints.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::output::Ui;
use crate::secrets::Token;
use crate::support::Clock;

pub mod error;
pub mod retry;
pub mod upload;
pub use error::{ApiError, error_from_response};
pub use retry::RetryPolicy;

/// The `User-Agent` ntn sends.
pub const USER_AGENT: &str = concat!("ntn/", env!("CARGO_PKG_VERSION"));
/// Default connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default whole-request timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Responses read into memory are capped (streaming readers are not).
pub const MAX_BODY: u64 = 256 * 1024 * 1024;

/// A request to send.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Sent as `Authorization: Bearer`; never logged.
    pub token: Option<Token>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: &str, url: impl Into<String>) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.into(),
            headers: Vec::new(),
            token: None,
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn bearer(mut self, token: &Token) -> Request {
        self.token = Some(token.clone());
        self
    }

    pub fn json(mut self, value: &serde_json::Value) -> Request {
        self.body = Some(serde_json::to_vec(value).unwrap_or_default());
        self.headers
            .push(("Content-Type".into(), "application/json".into()));
        self
    }

    pub fn body(mut self, bytes: Vec<u8>, content_type: &str) -> Request {
        self.body = Some(bytes);
        self.headers
            .push(("Content-Type".into(), content_type.to_string()));
        self
    }

    /// GET, HEAD, OPTIONS, PUT and DELETE may be replayed after a failure.
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.method.as_str(),
            "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE"
        )
    }
}

/// A response read into memory.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::api(format!(
                "the server sent a response ntn cannot read (HTTP {})",
                self.status
            ))
            .cause(&e)
        })
    }

    /// `Retry-After` in seconds, when present and sane.
    pub fn retry_after(&self) -> Option<Duration> {
        let v = self.header("retry-after")?.trim();
        let secs: f64 = v.parse().ok()?;
        (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
    }
}

/// Whether `url`'s host is a loopback address (`localhost`, 127.0.0.0/8, ::1).
pub fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let host = if let Some(stripped) = authority.strip_prefix('[') {
        stripped.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Refuses to send a token over plain HTTP to anything but loopback.
pub fn check_token_transport(url: &str) -> Result<()> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || (lower.starts_with("http://") && is_loopback_url(url)) {
        return Ok(());
    }
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("");
    Err(Error::local(format!(
        "refusing to send a token over plain HTTP to {host}"
    ))
    .hint("use an https:// URL (plain http:// is only allowed for localhost and 127.0.0.1)"))
}

/// How a client behaves.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Each request's own time limit.
    pub timeout: Duration,
    /// `-v`: log requests and responses on stderr.
    pub verbose: u8,
    /// Where the log and retry notes go.
    pub ui: Ui,
    /// What retries wait on.
    pub clock: Arc<dyn Clock>,
}

/// The shared client.
#[derive(Clone, Debug)]
pub struct Client {
    agent: ureq::Agent,
    verbose: u8,
    timeout: Duration,
    ui: Ui,
    clock: Arc<dyn Clock>,
}

impl Client {
    /// A client whose requests each finish within `settings.timeout`.
    pub fn new(settings: Settings) -> Client {
        let Settings {
            timeout,
            verbose,
            ui,
            clock,
        } = settings;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .max_redirects(5)
            // Never forward Authorization to where a redirect points.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .build()
            .into();
        Client {
            agent,
            verbose,
            timeout,
            ui,
            clock,
        }
    }

    /// The same client with another per-request time limit.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client::new(Settings {
            timeout,
            verbose: self.verbose,
            ui: self.ui.clone(),
            clock: self.clock.clone(),
        })
    }

    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends once and reads the whole response. Transport failures become
    /// [`SendError`]s that say whether the request may have reached the server.
    pub fn send_once(&self, req: &Request) -> std::result::Result<Response, SendError> {
        let resp = self.start(req)?;
        buffer_response(self, &req.url, resp)
    }

    /// Sends and returns the response with its body unread (for streaming).
    pub fn start(
        &self,
        req: &Request,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, SendError> {
        self.start_with_body(req, None)
    }

    /// Like [`Client::start`], with the body streamed from a reader that
    /// `body` opens (it is called once per attempt, so a retry re-opens it).
    /// `req.body` is ignored when `body` is given.
    pub fn start_with_body<'f>(
        &self,
        req: &Request,
        body: Option<&mut OpenBody<'f>>,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, SendError> {
        if req.token.is_some() {
            check_token_transport(&req.url).map_err(|error| SendError {
                reached_server: false,
                error,
            })?;
        }
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(t) = &req.token {
            builder = builder.header("Authorization", format!("Bearer {}", t.expose()));
        }
        if self.verbose > 0 {
            log_request(&self.ui, req);
        }
        if let Some(make) = body {
            let (reader, len) = make().map_err(|e| SendError {
                reached_server: false,
                error: Error::local("cannot read the request body").cause(&e),
            })?;
            if let Some(len) = len {
                builder = builder.header("Content-Length", len.to_string());
            }
            return builder
                .body(ureq::SendBody::from_owned_reader(reader))
                .map_err(|e| bad_request(req, &e))
                .and_then(|r| self.agent.run(r).map_err(|e| error::transport(&req.url, e)));
        }
        match &req.body {
            Some(b) => builder
                .body(b.clone())
                .map_err(|e| bad_request(req, &e))
                .and_then(|r| self.agent.run(r).map_err(|e| error::transport(&req.url, e))),
            None => builder
                .body(())
                .map_err(|e| bad_request(req, &e))
                .and_then(|r| self.agent.run(r).map_err(|e| error::transport(&req.url, e))),
        }
    }

    /// Sends with retries according to `policy`; see [`RetryPolicy`].
    pub fn send(&self, req: &Request, policy: &RetryPolicy) -> Result<Response> {
        retry::run(self, req, policy)
    }

    /// Sends with retries according to `policy` and returns the final
    /// response with its body unread, for streaming it. With
    /// `policy.return_errors` a non-2xx final response is returned too (its
    /// body unread); otherwise it becomes an error. `body`, when given, opens
    /// a streamed request body for each attempt.
    pub fn send_streaming<'f>(
        &self,
        req: &Request,
        policy: &RetryPolicy,
        body: Option<&mut OpenBody<'f>>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        retry::run_streaming(self, req, policy, body)
    }
}

/// Opens a streamed request body: a reader and its length when known.
pub type OpenBody<'f> =
    dyn FnMut() -> std::io::Result<(Box<dyn Read + Send + Sync>, Option<u64>)> + 'f;

/// Reads the rest of a streaming response into a [`Response`] (capped at
/// [`MAX_BODY`]), logging it under `-v`.
pub fn buffer_response(
    client: &Client,
    url: &str,
    resp: ureq::http::Response<ureq::Body>,
) -> std::result::Result<Response, SendError> {
    let full = buffer_response_quiet(url, resp)?;
    if client.verbose > 0 {
        log_response(&client.ui, full.status, &full.headers);
    }
    Ok(full)
}

/// Like [`buffer_response`] without the `-v` log (for responses whose head
/// was logged already).
pub(crate) fn buffer_response_quiet(
    url: &str,
    mut resp: ureq::http::Response<ureq::Body>,
) -> std::result::Result<Response, SendError> {
    let status = resp.status().as_u16();
    let headers = header_pairs(resp.headers());
    let body = read_body(resp.body_mut().as_reader()).map_err(|e| SendError {
        reached_server: true,
        error: Error::api(format!(
            "the connection broke while reading the response from {}",
            host_of(url)
        ))
        .hint("check your network and try again")
        .cause(&e),
    })?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The status and headers of a streaming response, as a body-less [`Response`].
pub fn response_head(resp: &ureq::http::Response<ureq::Body>) -> Response {
    Response {
        status: resp.status().as_u16(),
        headers: header_pairs(resp.headers()),
        body: Vec::new(),
    }
}

/// A failed attempt, and whether the server may have processed it.
#[derive(Debug)]
pub struct SendError {
    pub reached_server: bool,
    pub error: Error,
}

fn bad_request(req: &Request, e: &(dyn std::error::Error + 'static)) -> SendError {
    SendError {
        reached_server: false,
        error: Error::usage(format!("invalid request to {}", req.url)).cause(e),
    }
}

/// Percent-encodes a URL query or path component (RFC 3986 unreserved
/// characters stay).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `host[:port]` of a URL, for messages.
pub fn host_of(url: &str) -> &str {
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    // Never the user information (`user:password@`): it is not the host.
    authority.rsplit('@').next().unwrap_or(authority)
}

fn header_pairs(h: &ureq::http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn read_body(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader.take(MAX_BODY).read_to_end(&mut buf)?;
    Ok(buf)
}

/// `-v` request log on stderr; the token is never shown.
fn log_request(ui: &Ui, req: &Request) {
    let dim = crate::output::style::DIM;
    ui.message(format_args!(
        "{dim}> {} {}{dim:#}",
        req.method,
        crate::output::text::for_terminal(&req.url)
    ));
    for (k, v) in &req.headers {
        ui.message(format_args!("{dim}> {k}: {}{dim:#}", redact_header(k, v)));
    }
    if req.token.is_some() {
        ui.message(format_args!(
            "{dim}> authorization: Bearer [redacted]{dim:#}"
        ));
    }
}

/// `-v` response log on stderr (credential headers hidden).
pub fn log_response(ui: &Ui, status: u16, headers: &[(String, String)]) {
    let dim = crate::output::style::DIM;
    ui.message(format_args!("{dim}< HTTP {status}{dim:#}"));
    for (k, v) in headers {
        ui.message(format_args!(
            "{dim}< {k}: {}{dim:#}",
            crate::output::text::clean(redact_header(k, v))
        ));
    }
}

/// Hides the value of headers that carry credentials.
pub fn redact_header<'a>(name: &str, value: &'a str) -> &'a str {
    let n = name.to_ascii_lowercase();
    if n == "authorization" || n == "cookie" || n == "set-cookie" || n.contains("token") {
        "[redacted]"
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for u in [
            "http://localhost:3000/x",
            "http://127.0.0.1/",
            "http://127.1.2.3:9",
            "http://[::1]:80/v1",
            "http://LOCALHOST",
            "http://user@127.0.0.1:5/",
        ] {
            assert!(is_loopback_url(u), "{u}");
        }
        for u in [
            "http://example.com",
            "http://127.0.0.1.evil.com/",
            "http://10.0.0.1",
            "http://localhost@evil.com/",
            "notaurl",
        ] {
            assert!(!is_loopback_url(u), "{u}");
        }
    }

    #[test]
    fn token_transport_rules() {
        assert!(check_token_transport("https://api.notion.com/v1").is_ok());
        assert!(check_token_transport("http://127.0.0.1:3000/v1").is_ok());
        let e = check_token_transport("http://api.example.com/v1").unwrap_err();
        assert!(e.message().contains("api.example.com"));
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("a=b&c/d é"), "a%3Db%26c%2Fd%20%C3%A9");
    }

    #[test]
    fn redaction() {
        assert_eq!(redact_header("Authorization", "Bearer x"), "[redacted]");
        assert_eq!(redact_header("Notion-Version", "2025"), "2025");
    }
}
