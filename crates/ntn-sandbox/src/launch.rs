//! Starting a sandbox: the options (the binary's flags), building the state from them, and
//! serving it, either as the binary does ([`run`]: the address from `--addr`, until SIGINT
//! or SIGTERM) or inside the calling process for tests ([`spawn`]: a free loopback port, on
//! a thread of its own, until the returned [`RunningSandbox`] is dropped).
//!
//! Both paths build the state with [`Options::build_state`] and serve the same router with
//! the peer address attached (the control endpoints' loopback check needs it).
//!
//! With the `tls` feature (for ntn's tests of certificates and proxies, never in the
//! binary), [`spawn_tls`] serves the same application over HTTPS with a given certificate.

use crate::fixture::{Fixture, FixtureError};
use crate::openapi::Served;
use crate::store::{AppState, Config, Shared};
use crate::uploads::Uploads;
use clap::Parser;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// A local Notion-compatible HTTP server for tests, demos and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "ntn-sandbox", version)]
pub struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    #[command(flatten)]
    pub options: Options,
}

/// What to serve: the binary's flags other than `--addr`. [`Default`] gives the flags'
/// defaults.
///
/// ```
/// let opts = ntn_sandbox::Options {
///     rate_limit: Some(5),
///     ..Default::default()
/// };
/// assert_eq!(opts.rows, 260);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Options {
    /// Load this fixture instead of the built-in one.
    #[arg(long, value_name = "FILE.json")]
    pub fixture: Option<PathBuf>,
    /// Login session lifetime in seconds.
    #[arg(long, default_value_t = Config::DEFAULT_LOGIN_TTL_SECS, value_name = "SECONDS")]
    pub login_ttl: u64,
    /// Poll interval advertised by login init, in milliseconds.
    #[arg(long, default_value_t = Config::DEFAULT_POLL_INTERVAL_MS, value_name = "MS")]
    pub poll_interval_ms: u64,
    /// At most N requests per token in any one-second span on /v1 (429 beyond).
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Serve this OpenAPI document at /openapi.json instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// Number of rows in the fixture's big data source.
    #[arg(long, default_value_t = Config::DEFAULT_ROWS, value_name = "N")]
    pub rows: usize,
    /// Generated rows created in one minute: N rows share each `created_time` (Notion rounds
    /// it to the minute, so rows made together share one).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rows_per_minute: u64,
    /// Data source queries matching more than N rows answer only the first N, with
    /// `request_status` incomplete (as Notion does past its own limit).
    #[arg(long, value_name = "N")]
    pub query_limit: Option<usize>,
    /// Blocks one Markdown read renders before the rest become `<unknown/>` (truncated).
    #[arg(long, default_value_t = crate::markdown::DEFAULT_BLOCK_LIMIT, value_name = "N")]
    pub markdown_block_limit: usize,
    /// Add N generated pages under a page "Big tree" `a2000000-0000-4000-8000-000000000000`
    /// (a child of Acme Home): page n's parent is page (n-1)/10 (see [`crate::load::big_tree`]).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub tree: usize,
}

impl Default for Options {
    fn default() -> Self {
        let cfg = Config::default();
        Self {
            fixture: None,
            login_ttl: cfg.login_ttl_secs,
            poll_interval_ms: cfg.poll_interval_ms,
            rate_limit: cfg.rate_limit,
            openapi: None,
            rows: cfg.rows,
            rows_per_minute: cfg.rows_per_minute as u64,
            query_limit: cfg.query_limit,
            markdown_block_limit: cfg.markdown_block_limit,
            tree: 0,
        }
    }
}

/// Why a sandbox could not start or stopped serving. Each message is complete (it includes
/// its cause), so it is the only line to print.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// `--fixture FILE` cannot be read.
    #[error("{}: {err}", path.display())]
    ReadFixture { path: PathBuf, err: std::io::Error },
    /// The fixture is invalid.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// `--openapi FILE` cannot be read.
    #[error("{}: {err}", path.display())]
    ReadOpenapi { path: PathBuf, err: std::io::Error },
    /// `--openapi FILE` is not JSON.
    #[error("--openapi: invalid JSON: {0}")]
    InvalidOpenapi(serde_json::Error),
    /// The upload spool directory cannot be created.
    #[error("temp dir: {0}")]
    TempDir(std::io::Error),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {err}")]
    Bind { addr: String, err: std::io::Error },
    /// The in-process server's runtime or thread cannot be started.
    #[error("cannot start the server thread: {0}")]
    Thread(std::io::Error),
    /// An I/O error while serving (the bound address, stdout, the listener).
    #[error("{0}")]
    Io(std::io::Error),
    /// The certificate or key given to [`spawn_tls`] is unusable.
    #[error("TLS: {0}")]
    Tls(String),
}

impl Options {
    /// Build the state these options describe: the fixture (built-in or `fixture`) loaded
    /// with `rows` generated rows, the OpenAPI document, the configuration and an empty
    /// upload spool.
    pub fn build_state(&self) -> Result<Shared, LaunchError> {
        self.build_state_on(None)
    }

    /// [`Options::build_state`] with every time the sandbox reads (timestamps it makes, the
    /// rate limit, relative date filters, signed file URLs, `Date` headers) taken from `clock`
    /// when given, instead of the system clock.
    pub fn build_state_on(&self, clock: Option<crate::store::Now>) -> Result<Shared, LaunchError> {
        let fixture = match &self.fixture {
            Some(p) => Fixture::parse(&std::fs::read_to_string(p).map_err(|err| {
                LaunchError::ReadFixture {
                    path: p.clone(),
                    err,
                }
            })?)?,
            None => Fixture::builtin(),
        };
        let openapi = match &self.openapi {
            Some(p) => {
                Some(
                    std::fs::read_to_string(p).map_err(|err| LaunchError::ReadOpenapi {
                        path: p.clone(),
                        err,
                    })?,
                )
            }
            None => None,
        };
        let cfg = Config {
            login_ttl_secs: self.login_ttl,
            poll_interval_ms: self.poll_interval_ms,
            rate_limit: self.rate_limit,
            rows: self.rows,
            rows_per_minute: self.rows_per_minute as usize,
            query_limit: self.query_limit,
            markdown_block_limit: self.markdown_block_limit,
        };
        let mut store = crate::load::from_fixture(&fixture, cfg.rows, cfg.rows_per_minute)?;
        store.clock = clock.clone();
        crate::load::big_tree(&mut store, self.tree);
        let openapi = Served::new(openapi.as_deref()).map_err(LaunchError::InvalidOpenapi)?;
        let uploads = Uploads::new().map_err(LaunchError::TempDir)?;
        let st = AppState::new(cfg, store, openapi, uploads);
        if let Some(now) = clock {
            let _ = st.clock.set(now);
        }
        Ok(st)
    }
}

/// Serve the application on `listener` until `shutdown` resolves, then finish the requests
/// in flight.
async fn serve<L>(
    listener: L,
    st: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use axum::serve::ListenerExt;
    let app = crate::server::router(st).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener.tap_io(|_| {}), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Run the server until SIGINT/SIGTERM, after printing `listening on http://HOST:PORT`
/// (the only line ever printed on stdout).
pub async fn run(cli: Cli) -> Result<(), LaunchError> {
    let st = cli.options.build_state()?;
    let listener = tokio::net::TcpListener::bind(&cli.addr)
        .await
        .map_err(|err| LaunchError::Bind {
            addr: cli.addr.clone(),
            err,
        })?;
    let local = listener.local_addr().map_err(LaunchError::Io)?;
    let _ = st.local_addr.set(local.to_string());
    st.store().base_url = Some(format!("http://{local}"));
    // The handlers are installed before the line is printed: whoever reads it may signal at
    // once, and a SIGTERM that arrives first must still stop the server cleanly.
    let shutdown = shutdown_signal().map_err(LaunchError::Io)?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{local}").map_err(LaunchError::Io)?;
        out.flush().map_err(LaunchError::Io)?;
    }
    serve(listener, st, shutdown).await.map_err(LaunchError::Io)
}

/// Installs the SIGINT and SIGTERM handlers now, and returns what resolves on either.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut int, mut term) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// How long a stopping in-process server waits for requests in flight (a delayed fault,
/// say) before it closes their connections.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A sandbox served inside this process (see [`spawn`]). Dropping it stops the server:
/// new connections are refused, stalls, dribbles and delays end at once, other requests
/// in flight get two seconds to finish, then the thread is joined and the port closed.
pub struct RunningSandbox {
    addr: SocketAddr,
    base_url: String,
    state: Shared,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Start a sandbox inside this process, as the binary would with these options and
/// `--addr 127.0.0.1:0`: it serves on a free loopback port from a thread of its own (with a
/// single-threaded tokio runtime) until the returned handle is dropped. Nothing is printed.
///
/// ```
/// let sandbox = ntn_sandbox::spawn(&ntn_sandbox::Options::default())?;
/// assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
/// let url = sandbox.url("/v1/users/me"); // what a client under test talks to
/// drop(sandbox); // stops the server and closes the port
/// # Ok::<(), ntn_sandbox::LaunchError>(())
/// ```
pub fn spawn(options: &Options) -> Result<RunningSandbox, LaunchError> {
    serve_in_process(options.build_state()?, None)
}

/// Like [`spawn`], with every time the sandbox reads taken from `now` (Unix milliseconds)
/// instead of the system clock: the timestamps it makes (pages, blocks, comments, uploads),
/// the rate limit, relative date filters, login sessions, signed file URLs and the `Date`
/// header of every answer. A test that runs its client on a manual clock shares that clock
/// with the server, so pacing is checked without real waits.
pub fn spawn_with_clock(
    options: &Options,
    now: crate::store::Now,
) -> Result<RunningSandbox, LaunchError> {
    serve_in_process(options.build_state_on(Some(now))?, None)
}

/// Like [`spawn`], over HTTPS with the certificate chain and private key given in PEM:
/// [`RunningSandbox::base_url`] is `https://localhost:PORT` (the certificate should name
/// `localhost`). A client that refuses the certificate only ends its own connection.
#[cfg(feature = "tls")]
pub fn spawn_tls(
    options: &Options,
    cert_pem: &str,
    key_pem: &str,
) -> Result<RunningSandbox, LaunchError> {
    serve_in_process(
        options.build_state()?,
        Some(tls::acceptor(cert_pem, key_pem)?),
    )
}

#[cfg(not(feature = "tls"))]
type Acceptor = std::convert::Infallible;
#[cfg(feature = "tls")]
type Acceptor = tokio_rustls::TlsAcceptor;

fn serve_in_process(st: Shared, tls: Option<Acceptor>) -> Result<RunningSandbox, LaunchError> {
    let state = st.clone();
    let bind = |err| LaunchError::Bind {
        addr: "127.0.0.1:0".into(),
        err,
    };
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let addr = listener.local_addr().map_err(LaunchError::Io)?;
    let _ = st.local_addr.set(addr.to_string());
    let tls_wanted = tls.is_some();
    let base_url = match tls_wanted {
        true => format!("https://localhost:{}", addr.port()),
        false => format!("http://{addr}"),
    };
    st.store().base_url = Some(base_url.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LaunchError::Thread)?;
    let (stop, stopped) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name(format!("ntn-sandbox {addr}"))
        .spawn(move || {
            let served = rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let stop = stop_requested(stopped.clone());
                let graceful = async {
                    match tls {
                        None => serve(listener, st, stop).await,
                        #[cfg(feature = "tls")]
                        Some(acceptor) => {
                            serve(tls::Listener::new(listener, acceptor), st, stop).await
                        }
                        #[cfg(not(feature = "tls"))]
                        Some(never) => match never {},
                    }
                };
                let deadline = async {
                    stop_requested(stopped).await;
                    tokio::time::sleep(STOP_GRACE).await;
                };
                tokio::select! {
                    r = graceful => r,
                    () = deadline => Ok(()),
                }
            });
            // Close the connections still open and let go of the spool's blocking tasks.
            rt.shutdown_timeout(STOP_GRACE);
            served
        })
        .map_err(LaunchError::Thread)?;
    Ok(RunningSandbox {
        addr,
        state,
        base_url,
        stop,
        thread: Some(thread),
    })
}

/// Resolves once a stop is requested or the handle is gone.
async fn stop_requested(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

impl RunningSandbox {
    /// The socket address served (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// The URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
    /// Stop the server as dropping does, and report whether it served without error.
    pub fn stop(mut self) -> Result<(), LaunchError> {
        self.state.traps.release();
        let _ = self.stop.send(true);
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            Some(Ok(served)) => served.map_err(LaunchError::Io),
            None => Ok(()),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.state.traps.release();
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread was already reported by the panic hook;
            // re-raising it here could abort a test that is already unwinding.
            let _ = thread.join();
        }
    }
}

/// HTTPS for [`spawn_tls`]: the acceptor and a listener that completes each handshake
/// before handing the connection to the server.
#[cfg(feature = "tls")]
mod tls {
    use super::LaunchError;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

    pub fn acceptor(
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<tokio_rustls::TlsAcceptor, LaunchError> {
        let bad = |e: &dyn std::fmt::Display| LaunchError::Tls(e.to_string());
        let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| bad(&e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(&e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| bad(&e))?;
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }

    pub struct Listener {
        tcp: tokio::net::TcpListener,
        acceptor: tokio_rustls::TlsAcceptor,
    }

    impl Listener {
        pub fn new(tcp: tokio::net::TcpListener, acceptor: tokio_rustls::TlsAcceptor) -> Self {
            Self { tcp, acceptor }
        }
    }

    impl axum::serve::Listener for Listener {
        type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
        type Addr = SocketAddr;

        async fn accept(&mut self) -> (Self::Io, Self::Addr) {
            loop {
                let (tcp, peer) = axum::serve::Listener::accept(&mut self.tcp).await;
                // A client that refuses the certificate ends the handshake: next one.
                let handshake = self.acceptor.accept(tcp);
                if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), handshake).await
                {
                    return (tls, peer);
                }
            }
        }

        fn local_addr(&self) -> std::io::Result<Self::Addr> {
            self.tcp.local_addr()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_are_the_flags_defaults() {
        let cli = Cli::parse_from(["ntn-sandbox"]);
        assert_eq!(cli.options, Options::default());
        let cli = Cli::parse_from(["ntn-sandbox", "--rows", "3", "--rate-limit", "5"]);
        assert_eq!(
            cli.options,
            Options {
                rows: 3,
                rate_limit: Some(5),
                ..Options::default()
            }
        );
    }
}
