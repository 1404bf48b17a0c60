//! The context of one command: everything it needs from the outside world,
//! resolved once before any work.
//!
//! A [`Host`] is what the process (or a test) provides: the variables, the
//! [`Ui`], the clock and Ctrl-C. A [`Context`] adds what the global flags
//! resolved: the environment and its URLs, the workspace selection and the
//! verbosity. Commands receive a `&Context`; the library layers below them
//! (auth, secrets, state, http, the Notion layer) never see it: they take
//! plain inputs that commands take out of it ([`Context::auth_settings`],
//! [`Context::http`], ...).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::auth::{self, Credential};
use crate::env::{EnvName, Environment};
use crate::error::{Error, Result};
use crate::http;
use crate::notion::Notion;
use crate::output::Ui;
use crate::secrets::{self, Token};
use crate::state::State;
use crate::support::{Clock, Interrupt, SystemClock};
use crate::vars::{self, Vars};

/// The `Notion-Version` sent when `NOTION_API_VERSION` does not say.
pub const DEFAULT_NOTION_VERSION: &str = "2025-09-03";

/// Where Ctrl-C comes from.
#[derive(Clone, Debug)]
enum Signals {
    /// The process's SIGINT, handled from the first time a command asks.
    System(Arc<OnceLock<Interrupt>>),
    /// A flag the embedder raises itself.
    Manual(Interrupt),
}

/// What the process (or a test) gives a command run.
#[derive(Clone, Debug)]
pub struct Host {
    pub vars: Vars,
    pub ui: Ui,
    pub clock: Arc<dyn Clock>,
    signals: Signals,
}

impl Host {
    /// The real process: its environment, its streams, the system clock and
    /// SIGINT.
    pub fn system() -> Host {
        Host {
            vars: Vars::from_process(),
            ui: Ui::system(),
            clock: Arc::new(SystemClock),
            signals: Signals::System(Arc::new(OnceLock::new())),
        }
    }

    /// A host of given parts, whose Ctrl-C is `interrupt` (raised by hand).
    pub fn new(vars: Vars, ui: Ui, clock: Arc<dyn Clock>, interrupt: Interrupt) -> Host {
        Host {
            vars,
            ui,
            clock,
            signals: Signals::Manual(interrupt),
        }
    }
}

/// A stored login a command used: environment, workspace id and name.
type UsedLogin = (EnvName, String, Option<String>);

/// Global settings every command receives.
#[derive(Clone, Debug)]
pub struct Context {
    /// The variables, read once at start.
    pub vars: Vars,
    /// The resolved environment and its URLs.
    pub env: Environment,
    /// The `--workspace` flag, if given (wins over `NOTION_WORKSPACE_ID`).
    pub workspace_flag: Option<String>,
    /// Number of `-v` flags.
    pub verbose: u8,
    pub ui: Ui,
    pub clock: Arc<dyn Clock>,
    signals: Signals,
    /// The stored login this command used, once [`Context::credential`]
    /// resolved one (for [`Context::after_error`]).
    used_login: Arc<Mutex<Option<UsedLogin>>>,
}

impl Context {
    /// Resolves the environment's URLs from the variables.
    pub fn new(
        host: Host,
        env: EnvName,
        workspace_flag: Option<String>,
        verbose: u8,
    ) -> Result<Context> {
        let environment = Environment::resolve(env, &host.vars)?;
        Ok(Context {
            env: environment,
            workspace_flag: workspace_flag
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty()),
            verbose,
            vars: host.vars,
            ui: host.ui,
            clock: host.clock,
            signals: host.signals,
            used_login: Arc::default(),
        })
    }

    pub fn verbose(&self) -> bool {
        self.verbose > 0
    }

    /// Ctrl-C for a command that waits: installs the handler the first time.
    pub fn interrupt(&self) -> Interrupt {
        match &self.signals {
            Signals::System(once) => once.get_or_init(Interrupt::install).clone(),
            Signals::Manual(i) => i.clone(),
        }
    }

    /// The `Notion-Version` to send: `NOTION_API_VERSION`, else the default.
    pub fn notion_version(&self) -> &str {
        self.vars
            .value(vars::API_VERSION)
            .unwrap_or(DEFAULT_NOTION_VERSION)
    }

    /// The state directory (not created). Lock waits are measured on this
    /// command's clock and announced on its `Ui`.
    pub fn state(&self) -> Result<State> {
        Ok(State::open(&self.vars)?.with_host(self.clock.clone(), &self.ui))
    }

    /// What the secret stores need to know.
    pub fn store_settings(&self) -> secrets::Settings {
        secrets::Settings {
            keyring_var: self.vars.get(vars::KEYRING).map(str::to_string),
            keychain_timeout: self
                .vars
                .value(vars::KEYCHAIN_TIMEOUT_MS)
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .unwrap_or(secrets::KEYCHAIN_TIMEOUT),
            verbose: self.verbose,
            ui: self.ui.clone(),
        }
    }

    /// What token resolution needs to know.
    pub fn auth_settings(&self) -> auth::Settings {
        auth::Settings {
            env: self.env.name,
            api_token: self.vars.value(vars::API_TOKEN).map(Token::new),
            workspace_flag: self.workspace_flag.clone(),
            workspace_var: self.vars.value(vars::WORKSPACE_ID).map(str::to_string),
            store: self.store_settings(),
        }
    }

    /// The token this command uses (see [`auth::resolve_token`]).
    pub fn credential(&self) -> Result<Credential> {
        let cred = auth::resolve_token(&self.auth_settings(), &|| self.state())?;
        if let Some(id) = &cred.workspace_id {
            *self.used_login.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((self.env.name, id.clone(), cred.workspace_name.clone()));
        }
        Ok(cred)
    }

    /// What a command's error becomes: when the API rejected (HTTP 401) the
    /// token of a stored login, its workspace is marked (so that `ntn login`
    /// offers a fresh sign-in) and the hint names the command that signs in
    /// to it again.
    pub fn after_error(&self, e: Error) -> Error {
        let rejected = e.data::<http::ApiError>().is_some_and(|a| a.status == 401);
        let used = self
            .used_login
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match (rejected, used) {
            (true, Some((env, id, name))) => {
                if let Ok(state) = self.state() {
                    let when = crate::support::time::format_rfc3339(self.clock.unix_ms());
                    if let Err(why) = auth::mark_rejected(&state, env, &id, &when) {
                        self.ui.warn(format_args!(
                            "could not note that the token was rejected: {}",
                            why.message()
                        ));
                    }
                }
                e.hint(auth::rejected_hint(env, &id, name.as_deref()))
            }
            _ => e,
        }
    }

    /// A client of the public API with the resolved token, whose work (every
    /// request, retries included) ends within `timeout`.
    pub fn notion(&self, timeout: Duration) -> Result<(Notion, Credential)> {
        let cred = self.credential()?;
        let notion = Notion::new(
            self.http_within(timeout),
            cred.token.clone(),
            self.env.api_base(),
            self.notion_version(),
        );
        Ok((notion, cred))
    }

    /// An HTTP client whose requests each finish within `timeout` (for work
    /// that bounds itself, such as a login poll).
    pub fn http(&self, timeout: Duration) -> http::Client {
        self.http_client(timeout, None)
    }

    /// An HTTP client whose work, every request and retry included, ends
    /// within `total` (measured on the clock from now).
    pub fn http_within(&self, total: Duration) -> http::Client {
        self.http_client(total, Some(total))
    }

    fn http_client(&self, timeout: Duration, deadline: Option<Duration>) -> http::Client {
        http::Client::new(http::Settings {
            timeout,
            deadline,
            stall: Some(http::STALL_TIMEOUT),
            interrupt: None,
            verbose: self.verbose,
            ui: self.ui.clone(),
            clock: self.clock.clone(),
            network: http::Network::from_vars(&self.vars),
        })
    }
}
