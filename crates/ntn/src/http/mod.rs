//! The HTTP layer: sending requests and reading answers, for every caller
//! (the Notion layer, login, the spec cache).
//!
//! * Limits on every attempt, measured on the injected [`Clock`]: the
//!   client's deadline (a command's whole budget, retries included), a stall
//!   limit and Ctrl-C ([`watch`]); the `-v` log of requests and responses on
//!   the [`Ui`] (credentials redacted).
//! * Redirects followed by ntn's own rules ([`redirect`]): never a POST
//!   turned into a GET, never a token or a user's header to another origin,
//!   never a secret body ([`Request::secret`]) to another origin.
//! * Bodies read into memory are bounded ([`MAX_BODY`]); a longer one is an
//!   error, never cut.
//! * The rule that a secret (a token, a login session) never travels over
//!   plain HTTP except to a loopback address ([`is_loopback_url`]: an
//!   address, not a name), checked at every hop, redirects included.
//! * The network as people have it ([`network`]): proxies from the
//!   environment (and Windows' setting), the system's certificates or
//!   `SSL_CERT_FILE`'s; answers compressed with gzip when the server offers
//!   it ([`gzip`]: bodies, streamed ones too, are decompressed as they are
//!   read, and size limits count the decompressed bytes).
//! * Error answers become [`ApiError`]s (status, Notion's code and message,
//!   request id) attached to the [`Error`]; transport failures say whether
//!   the request may have reached the server ([`SendError`]). The request's
//!   own token is scrubbed from what the server sent back ([`redact`]): the
//!   errors [`Client::send`] returns, the `-v` response log.
//! * One retry policy ([`RetryPolicy`]) for everyone, waiting on the
//!   injected [`Clock`].
//!
//! It knows nothing about commands, tokens' origins or Notion's endpoints.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ExitCode, Result};
use crate::output::Ui;
use crate::secrets::Token;
use crate::support::{Clock, Interrupt, time};

pub mod error;
pub mod gzip;
pub mod network;
pub mod redact;
pub mod redirect;
pub mod retry;
pub mod upload;
pub mod watch;
pub use error::{ApiError, error_from_response};
pub use network::Network;
pub use retry::RetryPolicy;
pub use watch::Limit;
use watch::{Limits, Watch, Watched};

/// The `User-Agent` ntn sends.
pub const USER_AGENT: &str = concat!("ntn/", env!("CARGO_PKG_VERSION"));
/// Default connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time limit of a command's requests (all of them, retries
/// included, for clients with a deadline).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of a response read into memory; a longer one is an error
/// (streaming readers have no limit).
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
    /// The body or the answer carries a secret (a login session id, a
    /// code): like a request with a token, every hop (redirects included)
    /// goes only over HTTPS or plain HTTP to a loopback address, and it
    /// never follows a redirect to another origin (the body would go along).
    pub secret: bool,
}

impl Request {
    pub fn new(method: &str, url: impl Into<String>) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.into(),
            headers: Vec::new(),
            token: None,
            body: None,
            secret: false,
        }
    }

    /// Marks the request as carrying a secret (see [`Request::secret`]).
    pub fn secret(mut self) -> Request {
        self.secret = true;
        self
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

    /// GET, HEAD, OPTIONS and PUT may be replayed after a failure. DELETE is
    /// not: Notion's DELETE archives, and a replay after one that was
    /// applied answers an error for what succeeded.
    pub fn is_idempotent(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "PUT")
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

/// The host of `url` (without brackets, lower-cased), and its port.
fn host_port(url: &str) -> Option<(String, Option<u16>)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let (h, after) = stripped.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None if scheme.eq_ignore_ascii_case("https") => Some(443),
        None => Some(80),
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Whether `url` names a loopback host (`localhost`, `*.localhost`,
/// 127.0.0.0/8, ::1), by its name alone: for choosing not to use a proxy,
/// never for trusting the host with a secret (see [`is_loopback_url`]).
pub fn names_loopback(url: &str) -> bool {
    let Some((host, _)) = host_port(url) else {
        return false;
    };
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `url`'s host is a loopback address: an IP literal in 127.0.0.0/8
/// or `::1`, or the name `localhost` when every address it resolves to is
/// one. A loopback address, not a name: `*.localhost` or a `localhost` that
/// a hosts file points elsewhere is not loopback.
pub fn is_loopback_url(url: &str) -> bool {
    let Some((host, port)) = host_port(url) else {
        return false;
    };
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    host == "localhost" && resolves_to_loopback(&host, port.unwrap_or(80))
}

/// Whether `host` resolves, and only to loopback addresses.
fn resolves_to_loopback(host: &str, port: u16) -> bool {
    use std::net::ToSocketAddrs;
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// Refuses to send a secret (a token, a login session) over plain HTTP to
/// anything but a loopback address ([`is_loopback_url`]).
pub fn check_token_transport(url: &str) -> Result<()> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || (lower.starts_with("http://") && is_loopback_url(url)) {
        return Ok(());
    }
    Err(Error::local(format!(
        "refusing to send a token over plain HTTP to {}",
        crate::output::text::clean(host_of(url))
    ))
    .hint(
        "use an https:// URL (plain http:// is only allowed to a loopback address: \
         127.0.0.1, [::1], or localhost when it resolves only to loopback)",
    ))
}

/// How a client behaves.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Each attempt's own time limit.
    pub timeout: Duration,
    /// The whole budget of everything sent through the client (retries and
    /// waits included), counted from [`Client::new`] on the clock; `None`
    /// for a client whose caller bounds the work itself (a login poll).
    pub deadline: Option<Duration>,
    /// An attempt on which no byte moves for this long is given up.
    pub stall: Option<Duration>,
    /// Ctrl-C ends an attempt at once (`None`: the signal's default).
    pub interrupt: Option<Interrupt>,
    /// `-v`: log requests and responses on stderr.
    pub verbose: u8,
    /// Where the log and retry notes go.
    pub ui: Ui,
    /// What retries wait on, and what the limits are measured with.
    pub clock: Arc<dyn Clock>,
    /// Proxies and trusted certificates.
    pub network: Network,
}

/// Default stall limit: no byte either way for this long ends an attempt.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The agent of a client, renewed after a [`Watch`] shut it down.
#[derive(Clone, Debug)]
struct AgentSlot(Arc<Mutex<ureq::Agent>>);

impl AgentSlot {
    fn new() -> AgentSlot {
        AgentSlot(Arc::new(Mutex::new(new_agent())))
    }

    fn get(&self) -> ureq::Agent {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn renew(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = new_agent();
    }
}

fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(USER_AGENT)
        // Each request says its own (see `network`), read from the command's
        // variables rather than the process environment.
        .proxy(None)
        // ntn follows redirects itself (see `redirect`).
        .max_redirects(0)
        .timeout_await_100(Some(Duration::from_secs(2)))
        .build()
        .into()
}

/// The shared client. Clones share their connections; [`Client::fork`] makes
/// one with its own (for a worker thread).
#[derive(Clone, Debug)]
pub struct Client {
    agent: AgentSlot,
    verbose: u8,
    timeout: Duration,
    ui: Ui,
    limits: Limits,
    network: Network,
}

impl Client {
    /// A client whose attempts each finish within `settings.timeout`, and
    /// whose work ends by `settings.deadline` (from now, on the clock).
    pub fn new(settings: Settings) -> Client {
        let Settings {
            timeout,
            deadline,
            stall,
            interrupt,
            verbose,
            ui,
            clock,
            network,
        } = settings;
        let deadline = deadline.map(|d| (clock.now() + d, d));
        Client {
            agent: AgentSlot::new(),
            verbose,
            timeout,
            ui,
            limits: Limits {
                clock,
                deadline,
                stall,
                interrupt,
            },
            network,
        }
    }

    /// The same client with another per-attempt time limit (the deadline
    /// stays).
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client {
            timeout,
            ..self.clone()
        }
    }

    /// The same client whose attempts end at Ctrl-C.
    pub fn with_interrupt(&self, interrupt: Interrupt) -> Client {
        let mut c = self.clone();
        c.limits.interrupt = Some(interrupt);
        c
    }

    /// The same settings and deadline, with connections of its own (so a
    /// stalled attempt on one is shut down without touching the others).
    pub fn fork(&self) -> Client {
        Client {
            agent: AgentSlot::new(),
            ..self.clone()
        }
    }

    pub fn ui(&self) -> &Ui {
        &self.ui
    }

    pub fn clock(&self) -> &dyn Clock {
        self.limits.clock.as_ref()
    }

    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// When the client's work must end, if it has a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.limits.deadline.map(|(end, _)| end)
    }

    /// The limits each attempt runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sends once and reads the whole response. Transport failures become
    /// [`SendError`]s that say whether the request may have reached the server.
    pub fn send_once(&self, req: &Request) -> std::result::Result<Response, SendError> {
        self.start(req)?.read_all(MAX_BODY)
    }

    /// Sends and returns the response with its body unread (for streaming).
    pub fn start(&self, req: &Request) -> std::result::Result<Streamed, SendError> {
        self.start_with_body(req, None)
    }

    /// Like [`Client::start`], with the body streamed from a reader that
    /// `body` opens (it is called once per attempt and per redirect, so a
    /// retry re-opens it). `req.body` is ignored when `body` is given.
    /// Redirects are followed by the rules of [`redirect`].
    pub fn start_with_body<'f>(
        &self,
        req: &Request,
        mut body: Option<&mut OpenBody<'f>>,
    ) -> std::result::Result<Streamed, SendError> {
        let mut url = req.url.clone();
        let mut token = req.token.as_ref();
        let mut headers = req.headers.clone();
        let mut hops = 0;
        loop {
            let resp =
                self.attempt(&req.method, &url, &headers, token, req, body.as_deref_mut())?;
            if !redirect::is_redirect(resp.status) {
                return Ok(resp);
            }
            let Some(location) = resp.header("location").map(str::to_string) else {
                return Ok(resp);
            };
            let Some(next) = redirect::resolve(&url, &location) else {
                return Err(SendError {
                    reached_server: true,
                    error: Error::api(format!(
                        "{} redirected to a location ntn cannot follow: {}",
                        host_of(&url),
                        crate::output::text::clean(&location)
                    ))
                    .with_data(redirect::Refused),
                });
            };
            if !redirect::may_follow(&req.method, resp.status) {
                return Err(SendError {
                    reached_server: true,
                    error: redirect::refused(&req.method, resp.status, &url, &next),
                });
            }
            hops += 1;
            if hops > redirect::MAX_REDIRECTS {
                return Err(SendError {
                    reached_server: true,
                    error: Error::api(format!("too many redirects from {}", host_of(&req.url)))
                        .hint("check the URL")
                        .with_data(redirect::Refused),
                });
            }
            if req.secret && !redirect::same_origin(&url, &next) {
                return Err(SendError {
                    reached_server: true,
                    error: redirect::secret_elsewhere(&url, &next),
                });
            }
            resp.drain();
            if !redirect::same_origin(&url, &next) {
                token = None;
                headers.retain(|(k, _)| redirect::crosses_origin(k));
            }
            if self.verbose > 0 {
                let dim = crate::output::style::DIM;
                self.ui.message(format_args!(
                    "{dim}* following the redirect to {}{dim:#}",
                    crate::output::text::clean(&next)
                ));
            }
            url = next;
        }
    }

    /// One request and its answer's head, under the client's limits.
    fn attempt<'f>(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        token: Option<&Token>,
        req: &Request,
        body: Option<&mut OpenBody<'f>>,
    ) -> std::result::Result<Streamed, SendError> {
        // Every hop, redirects included.
        if token.is_some() {
            check_token_transport(url).map_err(|error| SendError {
                reached_server: false,
                error,
            })?;
        } else if req.secret && check_token_transport(url).is_err() {
            return Err(SendError {
                reached_server: false,
                error: Error::local(format!(
                    "refusing to send a login request over plain HTTP to {}: its answer carries a secret",
                    crate::output::text::clean(host_of(url))
                ))
                .hint("use an https:// URL (plain http:// is only allowed to a loopback address)")
                .with_data(redirect::Refused),
            });
        }
        if let Some(limit) = self.limits.check() {
            return Err(limit_error(limit, url, false));
        }
        let local = |error| SendError {
            reached_server: false,
            error,
        };
        let route = self.network.route(url);
        let via = match route {
            Some(r) => Some(Via {
                proxy: r.proxy().map_err(local)?.clone(),
                route: r,
            }),
            None => None,
        };
        let https = url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
        let tls = if https {
            Some(self.network.tls().map_err(local)?)
        } else {
            None
        };
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(t) = token {
            builder = builder.header("Authorization", format!("Bearer {}", t.expose()));
        }
        if !gzip::asks_encoding(headers) {
            builder = builder.header("Accept-Encoding", gzip::ACCEPT);
        }
        if self.verbose > 0 {
            log_request(&self.ui, method, url, headers, token.is_some());
            let dim = crate::output::style::DIM;
            if let Some(v) = &via {
                self.ui.message(format_args!(
                    "{dim}* through the proxy {} (from {}){dim:#}",
                    crate::output::text::clean(&v.route.shown),
                    v.route.source
                ));
            }
            if let (true, Some(file)) = (https, self.network.cert_file()) {
                self.ui.message(format_args!(
                    "{dim}* trusting only the certificates in SSL_CERT_FILE ({}){dim:#}",
                    crate::output::text::clean(&file.display().to_string())
                ));
            }
        }
        let conn = Conn {
            proxy: via.as_ref().map(|v| v.proxy.clone()),
            tls,
        };
        let limit = match self.limits.remaining() {
            Some(left) => self.timeout.min(left),
            None => self.timeout,
        }
        .max(Duration::from_millis(1));
        let agent = self.agent.get();
        let watch = Watch::start(&self.limits, &agent);
        let run = match body {
            Some(open) => {
                let (reader, len) = open().map_err(|e| SendError {
                    reached_server: false,
                    error: Error::local("cannot read the request body").cause(&e),
                })?;
                if let Some(len) = len {
                    builder = builder.header("Content-Length", len.to_string());
                }
                let mut reader = Watched {
                    inner: reader,
                    pulse: watch.pulse(),
                    interrupt: self.limits.interrupt.clone(),
                };
                self.run(
                    &agent,
                    (url, via.as_ref()),
                    &watch,
                    (limit, &conn),
                    builder.body(ureq::SendBody::from_reader(&mut reader)),
                )
            }
            None => match &req.body {
                Some(b) => {
                    let mut bytes: &[u8] = b;
                    builder = builder.header("Content-Length", b.len().to_string());
                    let r = builder.body(ureq::SendBody::from_reader(&mut bytes));
                    self.run(&agent, (url, via.as_ref()), &watch, (limit, &conn), r)
                }
                None => {
                    let r = builder.body(ureq::SendBody::none());
                    self.run(&agent, (url, via.as_ref()), &watch, (limit, &conn), r)
                }
            },
        };
        let resp = run?;
        watch.progress();
        let status = resp.status().as_u16();
        let headers = header_pairs(resp.headers());
        let compressed = gzip::is_gzip(method, status, &headers);
        if self.verbose > 0 {
            match token {
                // A server may echo the token in a header.
                Some(t) => {
                    let shown: Vec<(String, String)> = headers
                        .iter()
                        .map(|(k, v)| (k.clone(), redact::scrub(v, t.expose()).into_owned()))
                        .collect();
                    log_response(&self.ui, status, &shown);
                }
                None => log_response(&self.ui, status, &headers),
            }
            if compressed {
                let dim = crate::output::style::DIM;
                self.ui.message(format_args!(
                    "{dim}* the body is gzip-compressed; ntn decompresses it as it reads{dim:#}"
                ));
            }
        }
        Ok(Streamed {
            status,
            headers,
            url: url.to_string(),
            reader: gzip::Body::new(resp.into_body().into_reader(), compressed),
            watch,
            agent: self.agent.clone(),
            limits: self.limits.clone(),
        })
    }

    fn run(
        &self,
        agent: &ureq::Agent,
        (url, via): (&str, Option<&Via<'_>>),
        watch: &Watch,
        (limit, conn): (Duration, &Conn),
        r: std::result::Result<ureq::http::Request<ureq::SendBody<'_>>, ureq::http::Error>,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, SendError> {
        let r = r.map_err(|e| bad_request(url, &e))?;
        agent
            .run(configure(agent, r, limit, conn))
            .map_err(|e| self.failed(url, via, e, watch))
    }

    /// Classifies a failed attempt, saying which limit ended it if one did.
    fn failed(&self, url: &str, via: Option<&Via<'_>>, e: ureq::Error, watch: &Watch) -> SendError {
        let fired = watch.fired().or_else(|| {
            // The library's own timer (real time) may beat the watch by a tick.
            matches!(e, ureq::Error::Timeout(_))
                .then(|| self.limits.remaining())
                .flatten()
                .filter(|left| left.is_zero())
                .and(
                    self.limits
                        .deadline
                        .map(|(_, after)| Limit::Deadline { after }),
                )
        });
        if watch.fired().is_some() {
            self.agent.renew();
        }
        if let ureq::Error::Io(io) = &e
            && let Some(limit) = io.get_ref().and_then(|r| r.downcast_ref::<Limit>())
        {
            return limit_error(*limit, url, true);
        }
        match fired {
            Some(limit) => limit_error(limit, url, true),
            None => match via {
                Some(v) => error::through_proxy(url, &v.route.shown, &v.route.source, e),
                None => error::transport(url, e),
            },
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
    ) -> Result<Streamed> {
        retry::run_streaming(self, req, policy, body)
    }
}

/// The proxy an attempt goes through.
struct Via<'n> {
    route: &'n network::Route,
    proxy: ureq::Proxy,
}

/// How an attempt connects: its proxy and, for https, its TLS settings.
struct Conn {
    proxy: Option<ureq::Proxy>,
    tls: Option<ureq::tls::TlsConfig>,
}

/// The request with this attempt's time limits, proxy and TLS settings.
fn configure<B: ureq::AsSendBody>(
    agent: &ureq::Agent,
    r: ureq::http::Request<B>,
    limit: Duration,
    conn: &Conn,
) -> ureq::http::Request<B> {
    let mut c = agent
        .configure_request(r)
        .timeout_global(Some(limit))
        .timeout_connect(Some(CONNECT_TIMEOUT.min(limit)))
        .proxy(conn.proxy.clone());
    if let Some(tls) = &conn.tls {
        c = c.tls_config(tls.clone());
    }
    c.build()
}

/// The error of an attempt a limit ended.
fn limit_error(limit: Limit, url: &str, reached_server: bool) -> SendError {
    let host = host_of(url);
    let error = match limit {
        Limit::Deadline { after } => Error::api(format!(
            "timed out: no complete answer from {host} within {}",
            time::short(after)
        ))
        .hint("the server is slow or unreachable; try again, or allow more time with --timeout"),
        Limit::Stall { after } => Error::api(format!(
            "timed out: the connection to {host} stalled (no data for {})",
            time::short(after)
        ))
        .hint("the server or the network is stuck; try again"),
        Limit::Interrupted => Error::interrupted("interrupted"),
    };
    SendError {
        reached_server,
        error: error.with_data(limit),
    }
}

/// Opens a streamed request body: a reader and its length when known.
pub type OpenBody<'f> =
    dyn FnMut() -> std::io::Result<(Box<dyn Read + Send + 'f>, Option<u64>)> + 'f;

/// An answer whose body is still on the wire. Reading it reports progress
/// to the attempt's watch; dropping it ends the attempt.
pub struct Streamed {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The URL that answered (after redirects).
    pub url: String,
    reader: gzip::Body<ureq::BodyReader<'static>>,
    watch: Watch,
    agent: AgentSlot,
    limits: Limits,
}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streamed")
            .field("status", &self.status)
            .field("url", &self.url)
            .finish()
    }
}

impl Streamed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// When the client's deadline ends and how long the whole budget was
    /// (work after the body, such as printing it, ends by it too).
    pub fn deadline(&self) -> Option<(Instant, Duration)> {
        self.limits.deadline
    }

    /// The status and headers, as a body-less [`Response`].
    pub fn head(&self) -> Response {
        Response {
            status: self.status,
            headers: self.headers.clone(),
            body: Vec::new(),
        }
    }

    /// The error for a failed read of the body: the limit that ended the
    /// attempt, or the broken connection.
    pub fn read_error(&self, e: &std::io::Error) -> Error {
        if let Some(limit) = self.watch.fired() {
            return limit_error(limit, &self.url, true).error;
        }
        if let Some(limit) = e.get_ref().and_then(|r| r.downcast_ref::<Limit>()) {
            return limit_error(*limit, &self.url, true).error;
        }
        if let Some(bad) = e.get_ref().and_then(|r| r.downcast_ref::<gzip::BadGzip>()) {
            return Error::api(format!(
                "the response from {} is compressed data ntn cannot read",
                host_of(&self.url)
            ))
            .hint("the server or something on the way damaged it; try again")
            .cause(bad);
        }
        Error::api(format!(
            "the connection broke while reading the response from {}",
            host_of(&self.url)
        ))
        .hint("check your network and try again")
        .cause(e)
    }

    /// Reads the whole body (at most `limit` bytes: a longer body is an
    /// error, never cut).
    pub fn read_all(mut self, limit: u64) -> std::result::Result<Response, SendError> {
        let mut body = Vec::new();
        let read = (&mut self)
            .take(limit.saturating_add(1))
            .read_to_end(&mut body);
        if let Err(e) = read {
            return Err(SendError {
                reached_server: true,
                error: self.read_error(&e),
            });
        }
        if body.len() as u64 > limit {
            return Err(SendError {
                reached_server: true,
                error: Error::api(format!(
                    "the response from {} is larger than {}, more than ntn reads into memory",
                    host_of(&self.url),
                    crate::support::size::human_bytes(limit)
                ))
                .hint("ask for less at a time (a smaller page_size), or stream it with `ntn api`"),
            });
        }
        Ok(Response {
            status: self.status,
            headers: std::mem::take(&mut self.headers),
            body,
        })
    }

    /// Reads and drops a (small) rest of the body so the connection can be
    /// reused; a large one is simply dropped.
    pub fn drain(mut self) {
        let _ = std::io::copy(&mut (&mut self).take(64 * 1024), &mut std::io::sink());
    }
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self
            .limits
            .interrupt
            .as_ref()
            .is_some_and(Interrupt::is_raised)
        {
            return Err(std::io::Error::other(Limit::Interrupted));
        }
        match self.reader.read(buf) {
            // A connection shut down by the watch can end like a short body.
            Ok(0) if !buf.is_empty() => match self.watch.fired() {
                Some(limit) => Err(std::io::Error::other(limit)),
                None => Ok(0),
            },
            Ok(n) => {
                self.watch.progress();
                Ok(n)
            }
            Err(e) => match self.watch.fired() {
                Some(limit) => Err(std::io::Error::other(limit)),
                None => Err(e),
            },
        }
    }
}

impl Drop for Streamed {
    fn drop(&mut self) {
        self.watch.finish();
        if self.watch.fired().is_some() {
            self.agent.renew();
        }
    }
}

/// Reads the rest of a streaming response into a [`Response`] (capped at
/// [`MAX_BODY`]: a longer body is an error).
pub fn buffer_response(resp: Streamed) -> std::result::Result<Response, SendError> {
    resp.read_all(MAX_BODY)
}

/// A failed attempt, and whether the server may have processed it.
#[derive(Debug)]
pub struct SendError {
    pub reached_server: bool,
    pub error: Error,
}

impl SendError {
    /// Whether no retry can help: a usage or local problem, Ctrl-C, the
    /// deadline, a failed TLS handshake, or a redirect ntn refuses.
    pub fn is_final(&self) -> bool {
        matches!(
            self.error.exit_code(),
            ExitCode::Usage | ExitCode::Local | ExitCode::Interrupted
        ) || matches!(self.error.data::<Limit>(), Some(Limit::Deadline { .. }))
            || self.error.data::<error::TlsFailure>().is_some()
            || self.error.data::<redirect::Refused>().is_some()
    }
}

fn bad_request(url: &str, e: &(dyn std::error::Error + 'static)) -> SendError {
    SendError {
        reached_server: false,
        error: Error::usage(format!(
            "invalid request to {}",
            crate::output::text::clean(url)
        ))
        .cause(e),
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

/// `-v` request log on stderr; the token is never shown.
fn log_request(ui: &Ui, method: &str, url: &str, headers: &[(String, String)], token: bool) {
    let dim = crate::output::style::DIM;
    ui.message(format_args!(
        "{dim}> {method} {}{dim:#}",
        crate::output::text::for_terminal(url)
    ));
    for (k, v) in headers {
        ui.message(format_args!(
            "{dim}> {k}: {}{dim:#}",
            crate::output::text::clean(redact_header(k, v))
        ));
    }
    if token {
        ui.message(format_args!(
            "{dim}> authorization: Bearer [redacted]{dim:#}"
        ));
    }
    if !gzip::asks_encoding(headers) {
        ui.message(format_args!(
            "{dim}> accept-encoding: {}{dim:#}",
            gzip::ACCEPT
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
            // A name is not an address: a hosts entry may point it anywhere.
            "http://api.localhost/",
            "http://evil.localhost:3000/",
            "http://localhost.evil.test/",
            "http://[::ffff:10.0.0.1]/",
            "http://0.0.0.0/",
        ] {
            assert!(!is_loopback_url(u), "{u}");
        }
        // For choosing not to use a proxy, the name is enough.
        assert!(names_loopback("http://api.localhost/"));
        assert!(!names_loopback("http://example.com/"));
    }

    #[test]
    fn localhost_is_loopback_only_when_it_resolves_only_to_loopback() {
        // This machine's localhost resolves to loopback addresses.
        assert!(resolves_to_loopback("localhost", 80));
        assert!(!resolves_to_loopback("no-such-host.invalid", 80));
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

    /// A server on loopback that answers one request with `response`.
    fn serve_once(response: Vec<u8>) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut w = stream;
            let _ = w.write_all(&response);
        });
        url
    }

    fn client() -> Client {
        Client::new(Settings {
            timeout: Duration::from_secs(10),
            deadline: None,
            stall: None,
            interrupt: None,
            verbose: 0,
            ui: Ui::test().0,
            clock: Arc::new(crate::support::ManualClock::new()),
            network: Network::default(),
        })
    }

    #[test]
    fn a_body_over_the_limit_is_an_error_not_cut() {
        let body = vec![b'x'; 5000];
        let mut resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        resp.extend_from_slice(&body);
        let url = serve_once(resp.clone());
        let r = client()
            .start(&Request::new("GET", format!("{url}/x")))
            .unwrap();
        let e = r.read_all(4999).unwrap_err();
        assert!(
            e.error.message().contains("larger than"),
            "{}",
            e.error.message()
        );
        assert_eq!(e.error.exit_code(), ExitCode::Api);
        let url = serve_once(resp);
        let r = client()
            .start(&Request::new("GET", format!("{url}/x")))
            .unwrap();
        assert_eq!(r.read_all(5000).unwrap().body.len(), 5000);
    }

    #[test]
    fn gzip_is_asked_for_and_a_damaged_gzip_body_is_an_error_of_its_own() {
        use std::io::Write;
        let mut good = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        good.write_all(&[b'x'; 5000]).unwrap();
        let good = good.finish().unwrap();
        let answer = |body: &[u8]| {
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(body);
            r
        };
        let url = serve_once(answer(&good));
        let r = client()
            .start(&Request::new("GET", format!("{url}/x")))
            .unwrap();
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        // The limit counts the bytes as decompressed.
        assert!(r.read_all(4999).is_err());
        let url = serve_once(answer(&good));
        let r = client()
            .start(&Request::new("GET", format!("{url}/x")))
            .unwrap();
        assert_eq!(r.read_all(5000).unwrap().body, vec![b'x'; 5000]);
        let url = serve_once(answer(b"this is not gzip"));
        let r = client()
            .start(&Request::new("GET", format!("{url}/x")))
            .unwrap();
        let e = r.read_all(MAX_BODY).unwrap_err();
        assert!(
            e.error
                .message()
                .ends_with("is compressed data ntn cannot read"),
            "{}",
            e.error.message()
        );
    }

    #[test]
    fn a_passed_deadline_sends_nothing() {
        let clock = Arc::new(crate::support::ManualClock::new());
        let c = Client::new(Settings {
            timeout: Duration::from_secs(10),
            deadline: Some(Duration::from_secs(1)),
            stall: None,
            interrupt: None,
            verbose: 0,
            ui: Ui::test().0,
            clock: clock.clone(),
            network: Network::default(),
        });
        clock.advance(Duration::from_secs(2));
        // Nothing listens here: a request that went out would be refused.
        let e = c
            .start(&Request::new("GET", "http://127.0.0.1:9/x"))
            .unwrap_err();
        assert!(
            e.error.message().contains("timed out"),
            "{}",
            e.error.message()
        );
        assert!(e.is_final());
        assert!(!e.reached_server);
    }
}
