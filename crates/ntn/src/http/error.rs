//! Errors as data: an error answer ([`ApiError`]) and a failed attempt
//! ([`SendError`], from [`transport`]).
//!
//! An [`ApiError`] keeps the status, Notion's `code`, `message` and
//! `request_id` (when the body is Notion's error object) and the body itself
//! (bounded), and is attached to the [`Error`] it becomes, so callers decide
//! by status and code, never by reading a message.

use std::io;

use serde::Deserialize;

use super::{Response, SendError, host_of};
use crate::error::{Error, ExitCode};

/// The most of an error body kept (error objects are small).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// An HTTP error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// Notion's error code (`object_not_found`, `validation_error`, ...).
    pub code: Option<String>,
    /// Notion's message, when the body is its error object.
    pub message: Option<String>,
    /// Notion's request id (or the `x-request-id` header).
    pub request_id: Option<String>,
    /// The body as received (at most 64 KiB).
    pub body: Vec<u8>,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

impl ApiError {
    /// Reads an error answer.
    pub fn from_response(resp: &Response) -> ApiError {
        let parsed: Option<ErrorObject> = serde_json::from_slice(&resp.body).ok();
        let (code, message, request_id) = match parsed {
            Some(o) => (o.code, o.message, o.request_id),
            None => (None, None, None),
        };
        ApiError {
            status: resp.status,
            code,
            message,
            request_id: request_id.or_else(|| resp.header("x-request-id").map(str::to_string)),
            body: resp.body[..resp.body.len().min(MAX_ERROR_BODY)].to_vec(),
        }
    }

    /// Whether Notion's code is `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

impl std::fmt::Display for ApiError {
    /// `<message> (<status> <code>)`, or `the server answered HTTP <status>`;
    /// text from the server is cleaned of control characters.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::output::text::clean;
        match (&self.message, &self.code) {
            (Some(m), Some(c)) => write!(f, "{} ({} {})", clean(m), self.status, clean(c)),
            (Some(m), None) => write!(f, "{} ({})", clean(m), self.status),
            (None, _) => write!(f, "the server answered HTTP {}", self.status),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Error {
    /// 401 exits 4, everything else 5; the request id is a `-v` detail.
    fn from(e: ApiError) -> Error {
        let code = if e.status == 401 {
            ExitCode::Auth
        } else {
            ExitCode::Api
        };
        let mut err = Error::new(code, e.to_string());
        if let Some(id) = &e.request_id {
            err = err.detail(format!("request id: {}", crate::output::text::clean(id)));
        }
        err.with_data(e)
    }
}

/// Turns a non-2xx response into an [`Error`] carrying its [`ApiError`].
pub fn error_from_response(resp: &Response) -> Error {
    Error::from(ApiError::from_response(resp))
}

/// An error of the request body's source (a file being uploaded, not the
/// network), carried through the HTTP client inside an `io::Error` so that it
/// is reported as local.
#[derive(Debug)]
pub struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

impl SourceError {
    /// Wraps the message as an `io::Error` to return from a `Read`.
    pub fn io(message: impl Into<String>) -> io::Error {
        io::Error::other(SourceError(message.into()))
    }
}

/// Classifies a failed attempt to `url`: whether it may have reached the
/// server, and what to tell the user. A failure of the body's own source
/// ([`SourceError`]) is a local error.
pub fn transport(url: &str, e: ureq::Error) -> SendError {
    use ureq::Error as E;
    use ureq::Timeout as T;
    if let E::Io(io) = &e
        && let Some(local) = io.get_ref().and_then(|r| r.downcast_ref::<SourceError>())
    {
        return SendError {
            reached_server: false,
            error: Error::local(local.0.clone()),
        };
    }
    let host = host_of(url);
    let (reached_server, message, hint) = match &e {
        E::HostNotFound => (
            false,
            format!("cannot resolve {host}"),
            "check the URL and your network connection",
        ),
        E::ConnectionFailed => (
            false,
            format!("cannot connect to {host}"),
            "check your network connection and that the server is running",
        ),
        E::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => (
            false,
            format!("connection refused by {host}"),
            "check that the server is running and the URL is right",
        ),
        E::Timeout(T::Resolve | T::Connect) => (
            false,
            format!("timed out connecting to {host}"),
            "check your network connection, or raise --timeout",
        ),
        E::Timeout(_) => (
            true,
            format!("timed out waiting for {host}"),
            "the server is slow; try again, or raise --timeout",
        ),
        E::BadUri(_) => (false, format!("invalid URL: {url}"), "check the URL"),
        E::Tls(_) | E::Rustls(_) => return tls_failure(host, &e),
        E::Io(io) if io.get_ref().is_some_and(|r| r.is::<rustls::Error>()) => {
            return tls_failure(host, &e);
        }
        E::TooManyRedirects | E::RedirectFailed => (
            true,
            format!("too many or invalid redirects from {host}"),
            "check the URL",
        ),
        E::Io(io)
            if matches!(
                io.kind(),
                io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
            ) =>
        {
            (
                true,
                format!("the connection to {host} broke"),
                "check your network connection and try again",
            )
        }
        _ => (
            true,
            format!("request to {host} failed"),
            "check your network connection and try again",
        ),
    };
    SendError {
        reached_server,
        error: Error::api(message).hint(hint).cause(&e),
    }
}

/// Attached to the error of a failed TLS handshake (an untrusted or invalid
/// certificate, a protocol the server refuses): another attempt would fail
/// the same way, so none is made.
#[derive(Clone, Copy, Debug)]
pub struct TlsFailure;

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the TLS handshake failed")
    }
}

impl std::error::Error for TlsFailure {}

fn tls_failure(host: &str, e: &ureq::Error) -> SendError {
    SendError {
        reached_server: false,
        error: Error::api(format!("TLS handshake with {host} failed"))
            .hint(
                "check the URL and the system clock; on a network that inspects TLS (a \
                 company proxy), its certificate must be in the system's store, or in a PEM \
                 file named by SSL_CERT_FILE",
            )
            .cause(e)
            .with_data(TlsFailure),
    }
}

/// Like [`transport`], for an attempt through the proxy `proxy` (configured
/// by `source`): not reaching the proxy, or the proxy refusing to connect to
/// the server, is said as such.
pub fn through_proxy(url: &str, proxy: &str, source: &str, e: ureq::Error) -> SendError {
    use ureq::Error as E;
    use ureq::Timeout as T;
    let proxy = crate::output::text::clean(proxy);
    let host = host_of(url);
    let unreachable = format!("check {source} and that the proxy is running");
    let (message, hint) = match &e {
        E::ConnectProxyFailed(_) => (
            format!("the proxy {proxy} (from {source}) did not connect ntn to {host}"),
            format!(
                "check that the proxy lets you reach {host}, or list {host} in NO_PROXY to \
                 reach it directly"
            ),
        ),
        E::HostNotFound => (
            format!("cannot resolve the proxy {proxy} (from {source})"),
            unreachable,
        ),
        E::ConnectionFailed | E::Timeout(T::Resolve | T::Connect) => (
            format!("cannot connect to the proxy {proxy} (from {source})"),
            unreachable,
        ),
        E::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => (
            format!("connection refused by the proxy {proxy} (from {source})"),
            unreachable,
        ),
        _ => return transport(url, e),
    };
    SendError {
        reached_server: false,
        error: Error::api(message).hint(hint).cause(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notion_errors_become_data_and_messages() {
        let resp = Response {
            status: 404,
            headers: vec![],
            body: br#"{"object":"error","status":404,"code":"object_not_found","message":"Could not find page.","request_id":"r-1"}"#.to_vec(),
        };
        let e = error_from_response(&resp);
        assert_eq!(e.message(), "Could not find page. (404 object_not_found)");
        assert_eq!(e.exit_code(), ExitCode::Api);
        let api = e.data::<ApiError>().unwrap();
        assert_eq!(api.status, 404);
        assert!(api.is("object_not_found"));
        assert_eq!(api.request_id.as_deref(), Some("r-1"));
        let resp = Response {
            status: 401,
            headers: vec![("x-request-id".into(), "h-1".into())],
            body: b"nope".to_vec(),
        };
        let e = error_from_response(&resp);
        assert_eq!(e.exit_code(), ExitCode::Auth);
        assert_eq!(e.message(), "the server answered HTTP 401");
        assert_eq!(
            e.data::<ApiError>().unwrap().request_id.as_deref(),
            Some("h-1")
        );
    }

    #[test]
    fn server_text_is_cleaned() {
        let resp = Response {
            status: 400,
            headers: vec![],
            body: br#"{"code":"x\u001b[2J","message":"bad\u001b]0;t\u0007"}"#.to_vec(),
        };
        assert_eq!(
            error_from_response(&resp).message(),
            "bad\\x1b]0;t\\x07 (400 x\\x1b[2J)"
        );
    }
}
