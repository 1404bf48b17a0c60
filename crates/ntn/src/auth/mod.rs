//! Which token a command uses, and storing the result of a login.
//!
//! [`resolve_token`] is the one function every command calls:
//!
//! 1. `NOTION_API_TOKEN` when set and non-empty;
//! 2. else the stored token of the `--workspace` flag, else of `NOTION_WORKSPACE_ID`;
//! 3. else the stored token of this environment's default workspace;
//! 4. else, when this environment has exactly one logged-in workspace, its
//!    token; with several and no default, an error that lists them and says
//!    how to choose (`ntn login --workspace ID`).
//!
//! [`check_ready`] is what a login checks before it asks the server or the
//! browser anything: that its result could be stored. A token the API
//! rejected marks its workspace ([`mark_rejected`]) so that `ntn login` offers
//! a fresh sign-in for it.
//!
//! [`save_login`], [`switch_default`], [`token_stored`] and [`logout`] keep
//! the state files and the secret store in step: a token is written (and read
//! back) before the workspace that needs it is recorded, and deleted before the
//! workspace is forgotten.
//!
//! Tokens are kept per environment ([`TokenKey`]: the environment and the
//! workspace id): a login to the same workspace id in another environment
//! is another token, resolution only ever reads the token of the command's
//! environment (so a token only goes to its own environment's API host), and
//! a logout deletes only the tokens of what it forgets.
//!
//! Everything here takes plain inputs ([`Settings`], a [`State`]); nothing
//! here knows about the command line.

pub mod browser;
pub mod login;
pub mod pending;

use crate::env::EnvName;
use crate::error::{Error, Result};
use crate::secrets::{
    self, Backend, FileStore, SecretStore, StoreError, StoreErrorKind, Token, TokenKey, open_store,
};
use crate::state::{self as st, State, WorkspaceEntry};

/// The variable holding a token that wins over stored logins.
pub const VAR_API_TOKEN: &str = crate::vars::API_TOKEN;
/// The variable naming the logged-in workspace to use.
pub const VAR_WORKSPACE_ID: &str = crate::vars::WORKSPACE_ID;

/// What token resolution needs to know about this run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The environment whose logins count.
    pub env: EnvName,
    /// `NOTION_API_TOKEN`, when set and not empty.
    pub api_token: Option<Token>,
    /// The `--workspace` flag.
    pub workspace_flag: Option<String>,
    /// `NOTION_WORKSPACE_ID`, when set and not empty.
    pub workspace_var: Option<String>,
    /// The secret stores' settings (and the `Ui` for warnings).
    pub store: secrets::Settings,
}

impl Settings {
    /// No token variable, no workspace selection, default stores.
    pub fn new(env: EnvName, ui: &crate::output::Ui) -> Settings {
        Settings {
            env,
            api_token: None,
            workspace_flag: None,
            workspace_var: None,
            store: secrets::Settings::new(ui),
        }
    }
}

/// Where the token in use came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `NOTION_API_TOKEN`.
    EnvToken,
    /// The `--workspace` flag.
    WorkspaceFlag,
    /// `NOTION_WORKSPACE_ID`.
    WorkspaceEnv,
    /// The environment's default workspace in `config.json`.
    DefaultWorkspace,
    /// The only logged-in workspace of the environment (no default is set).
    OnlyLogin,
}

impl TokenSource {
    /// Human text for messages and hints, e.g. "NOTION_API_TOKEN".
    pub fn describe(&self) -> &'static str {
        match self {
            TokenSource::EnvToken => "NOTION_API_TOKEN",
            TokenSource::WorkspaceFlag => "the --workspace flag",
            TokenSource::WorkspaceEnv => "NOTION_WORKSPACE_ID",
            TokenSource::DefaultWorkspace => "the default workspace",
            TokenSource::OnlyLogin => "the only logged-in workspace",
        }
    }
}

/// A resolved credential.
#[derive(Clone, Debug)]
pub struct Credential {
    pub token: Token,
    pub source: TokenSource,
    /// The workspace of a stored login (None for `NOTION_API_TOKEN`).
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    /// Where a stored token was read from (`keychain`, `auth.json`).
    pub store: Option<String>,
}

/// Resolves the token a command uses. See the module docs. `state` opens the
/// config directory, only when a stored login is needed.
pub fn resolve_token(s: &Settings, state: &dyn Fn() -> Result<State>) -> Result<Credential> {
    if let Some(token) = &s.api_token {
        if let Some(id) = &s.workspace_flag {
            // An explicit flag that changes nothing deserves a word.
            s.store.ui.warn(format_args!(
                "{VAR_API_TOKEN} is set, so --workspace {id} is not used; unset it to use your login"
            ));
        }
        return Ok(Credential {
            token: token.clone(),
            source: TokenSource::EnvToken,
            workspace_id: None,
            workspace_name: None,
            store: None,
        });
    }
    resolve_stored(s, &state()?)
}

/// `ntn login` with `args` for `env`: the command a hint names, whole
/// (`--env` included when it is not prod).
pub fn login_command(env: EnvName, args: &str) -> String {
    command_for(env, "login", args)
}

/// `ntn debug` for `env` (it lists the logged-in workspaces).
pub fn debug_command(env: EnvName) -> String {
    command_for(env, "debug", "")
}

fn command_for(env: EnvName, command: &str, args: &str) -> String {
    let mut c = format!("ntn {command}");
    if !args.is_empty() {
        c.push(' ');
        c.push_str(args);
    }
    if env != EnvName::Prod {
        c.push_str(" --env ");
        c.push_str(env.as_str());
    }
    c
}

/// Which stored login a command would use, without reading the secret store:
/// the `--workspace` flag, else `NOTION_WORKSPACE_ID`, else the environment's
/// default, else its only logged-in workspace. `Ok(None)` when nothing is
/// logged in; an error naming the choices when several are and none is the
/// default, or when a given id cannot be a workspace id (exit 2).
pub fn selected_workspace(s: &Settings, state: &State) -> Result<Option<(String, TokenSource)>> {
    if let Some(id) = s
        .workspace_flag
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        st::checked_id(id, "--workspace")?;
        return Ok(Some((id.to_string(), TokenSource::WorkspaceFlag)));
    }
    if let Some(id) = &s.workspace_var {
        st::checked_id(id, VAR_WORKSPACE_ID)?;
        return Ok(Some((id.clone(), TokenSource::WorkspaceEnv)));
    }
    let config = state.config()?;
    if let Some(id) = config.default_workspace(s.env) {
        return Ok(Some((id.to_string(), TokenSource::DefaultWorkspace)));
    }
    let workspaces = state.workspaces()?;
    match workspaces.list(s.env).as_slice() {
        [] => Ok(None),
        [only] => Ok(Some((only.id.clone(), TokenSource::OnlyLogin))),
        several => Err(choose_one(s.env, several)),
    }
}

/// "Acme (id), Globex (id)".
fn listing(list: &[&WorkspaceEntry]) -> String {
    list.iter()
        .map(|w| display_name(&w.name, &w.id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn choose_one(env: EnvName, several: &[&WorkspaceEntry]) -> Error {
    Error::auth(format!(
        "no default workspace is set for environment {env}, and {} are logged in: {}",
        several.len(),
        listing(several)
    ))
    .hint(format!(
        "choose one with `{}` (or pass --workspace ID to a single command)",
        login_command(env, "--workspace ID")
    ))
}

fn not_logged_in(env: EnvName) -> Error {
    let env_note = if env == EnvName::Prod {
        String::new()
    } else {
        format!(" (environment {env})")
    };
    Error::auth(format!("not logged in{env_note}")).hint(format!(
        "run `{}`, or set {VAR_API_TOKEN} to a personal access token",
        login_command(env, "")
    ))
}

fn unknown_workspace(env: EnvName, id: &str, source: &TokenSource) -> Error {
    Error::auth(format!(
        "workspace {id} (from {}) is not logged in for environment {env}",
        source.describe()
    ))
    .hint(format!(
        "`{}` lists the logged-in workspaces; `{}` adds one",
        debug_command(env),
        login_command(env, "")
    ))
}

fn missing_token(env: EnvName, entry_name: &str, id: &str, store: &str) -> Error {
    let label = display_name(entry_name, id);
    Error::auth(format!(
        "the token for workspace {label} is missing from {store}"
    ))
    .hint(format!(
        "run `{}` to sign in to it again",
        login_command(env, &format!("--workspace {id} --fresh"))
    ))
}

fn display_name(name: &str, id: &str) -> String {
    if name.is_empty() || name == id {
        id.to_string()
    } else {
        format!("{name} ({id})")
    }
}

/// Resolves a stored login (steps 2 and 3 of the module docs), ignoring
/// `NOTION_API_TOKEN`.
pub fn resolve_stored(s: &Settings, state: &State) -> Result<Credential> {
    let env = s.env;
    let Some((id, source)) = selected_workspace(s, state)? else {
        return Err(not_logged_in(env));
    };
    let workspaces = state.workspaces()?;
    let entry = workspaces.get(env, &id).cloned();
    if entry.is_none()
        && matches!(
            source,
            TokenSource::WorkspaceFlag | TokenSource::WorkspaceEnv
        )
    {
        return Err(unknown_workspace(env, &id, &source));
    }
    let name = entry.as_ref().map(|e| e.name.clone()).unwrap_or_default();
    let store = open_store(state, &s.store)?;
    match store.get(&TokenKey::new(env, &id))? {
        Some(token) => Ok(Credential {
            token,
            source,
            workspace_id: Some(id),
            workspace_name: Some(name).filter(|n| !n.is_empty()),
            store: Some(store.describe()),
        }),
        None if entry.is_none() => Err(not_logged_in(env)),
        None => Err(missing_token(env, &name, &id, &store.describe())),
    }
}

/// Checks, before a login asks anything of the server or the browser, that
/// what it gets could be stored: the config directory can be written, its
/// files read, and the chosen secret store can keep a token now (for the
/// keychain: reachable and unlocked). Errors are those of the failing part
/// (a keychain error carries the `NOTION_KEYRING=0` hint).
pub fn check_ready(s: &Settings, state: &State) -> Result<()> {
    state.check_writable()?;
    state.config()?;
    state.workspaces()?;
    open_store(state, &s.store)?.check_can_store()
}

/// Records that the API rejected the token of workspace `id` of `env` (at
/// `when`, RFC 3339), so that `ntn login` offers to sign in to it again.
/// Nothing is written when the workspace is not cached.
pub fn mark_rejected(state: &State, env: EnvName, id: &str, when: &str) -> Result<()> {
    if state.workspaces()?.get(env, id).is_none() {
        return Ok(());
    }
    let lock = state.lock()?;
    let mut w = state.workspaces()?;
    if w.mark_rejected(env, id, when) {
        state.save_workspaces(&lock, &w)?;
    }
    Ok(())
}

/// Records that the API accepted the token of workspace `id` of `env`
/// again: the mark [`mark_rejected`] left goes. Nothing is written otherwise.
pub fn note_accepted(state: &State, env: EnvName, id: &str) -> Result<()> {
    if state
        .workspaces()?
        .get(env, id)
        .is_none_or(|e| e.rejected_at().is_none())
    {
        return Ok(());
    }
    let lock = state.lock()?;
    let mut w = state.workspaces()?;
    if w.clear_rejected(env, id) {
        state.save_workspaces(&lock, &w)?;
    }
    Ok(())
}

/// The hint for a stored token the API rejected (`name`: the workspace's
/// name, when known).
pub fn rejected_hint(env: EnvName, id: &str, name: Option<&str>) -> String {
    let which = match name.filter(|n| !n.is_empty() && *n != id) {
        Some(n) => format!("{n} ({id})"),
        None => format!("workspace {id}"),
    };
    format!(
        "the API rejected the stored login for {which}: run `{}` to sign in to it again",
        login_command(env, &format!("--workspace {id} --fresh"))
    )
}

/// Stores a confirmed login: the token in the secret store (read back), the
/// workspace in `workspaces.json`, and makes it this environment's default.
pub fn save_login(
    s: &Settings,
    state: &State,
    token: &Token,
    workspace_id: &str,
    workspace_name: &str,
) -> Result<()> {
    let id = workspace_id.trim();
    if id.is_empty() {
        return Err(Error::auth("the login did not name a workspace"));
    }
    if let Err(why) = st::check_workspace_id(id) {
        return Err(Error::api(format!(
            "the login named a workspace id ntn will not store: {why}"
        )));
    }
    if token.expose().trim().is_empty() {
        return Err(Error::auth("the login returned an empty token"));
    }
    state.ensure_dir()?;
    let store = open_store(state, &s.store)?;
    // One state lock around the three writes, so that a concurrent logout
    // (which forgets workspaces and defaults under the same lock, after
    // deleting the token) sees all of them or none.
    let lock = state.lock()?;
    // The token first: a cached workspace never points at a missing token.
    let env = s.env;
    store.set(&TokenKey::new(env, id), token)?;
    let mut w = state.workspaces()?;
    w.upsert(env, id, workspace_name);
    state.save_workspaces(&lock, &w)?;
    let mut c = state.config()?;
    c.set_default_workspace(env, Some(id));
    state.save_config(&lock, &c)
}

/// Whether the chosen secret store holds a token for `workspace_id` in this
/// environment.
pub fn token_stored(s: &Settings, state: &State, workspace_id: &str) -> Result<bool> {
    Ok(open_store(state, &s.store)?
        .get(&TokenKey::new(s.env, workspace_id))?
        .is_some())
}

/// Makes a cached workspace with a stored token this environment's default
/// (no network). Exit 4 when it is not cached or its token is missing.
pub fn switch_default(s: &Settings, state: &State, workspace_id: &str) -> Result<WorkspaceEntry> {
    let env = s.env;
    // Checked and written under the state lock: a logout running at the same
    // time cannot forget the workspace between the check and the write.
    st::checked_id(workspace_id, "--workspace")?;
    let lock = state.lock()?;
    let Some(entry) = state.workspaces()?.get(env, workspace_id).cloned() else {
        return Err(Error::auth(format!(
            "workspace {workspace_id} is not logged in for environment {env}"
        ))
        .hint(format!(
            "`{}` lists the logged-in workspaces; `{}` adds one",
            debug_command(env),
            login_command(env, "")
        )));
    };
    let store = open_store(state, &s.store)?;
    if store.get(&TokenKey::new(env, workspace_id))?.is_none() {
        return Err(missing_token(
            env,
            &entry.name,
            workspace_id,
            &store.describe(),
        ));
    }
    let mut c = state.config()?;
    c.set_default_workspace(env, Some(workspace_id));
    state.save_config(&lock, &c)?;
    Ok(entry)
}

/// `ntn logout` with the flags of `scope`, for `env`.
pub fn logout_command(env: EnvName, scope: &LogoutScope) -> String {
    let mut c = String::from("ntn logout");
    match scope {
        LogoutScope::Environment => {}
        LogoutScope::Workspace(id) => {
            c.push_str(" --workspace ");
            c.push_str(id);
        }
        LogoutScope::AllEnvironments => c.push_str(" --all-environments"),
    }
    if env != EnvName::Prod && *scope != LogoutScope::AllEnvironments {
        c.push_str(" --env ");
        c.push_str(env.as_str());
    }
    c
}

fn unknown_for_logout(env: EnvName, id: &str, known: &[&WorkspaceEntry]) -> Error {
    let e = Error::auth(format!(
        "workspace {id} is not logged in for environment {env}"
    ));
    if known.is_empty() {
        e.hint(format!("no workspace is logged in for environment {env}"))
    } else {
        e.hint(format!(
            "the logged-in workspaces are: {}; `{}` forgets them all",
            listing(known),
            logout_command(env, &LogoutScope::Environment)
        ))
    }
}

/// A keychain failure during a logout: the hint says how to reach the
/// keychain, never to set `NOTION_KEYRING=0` (its tokens would stay behind).
fn logout_store_error(e: Error, env: EnvName, scope: &LogoutScope) -> Error {
    let Some(kind) = e.data::<StoreError>().map(|d| d.kind) else {
        return e;
    };
    let fix = match kind {
        StoreErrorKind::Locked => {
            "unlock the keychain (for example by logging in to the desktop session)"
        }
        StoreErrorKind::NoService => {
            "start the keychain service (a D-Bus session with a Secret Service such as gnome-keyring)"
        }
        StoreErrorKind::TimedOut => "wait until the keychain answers again",
        StoreErrorKind::Unsupported => "use a build of ntn that supports this keychain",
        StoreErrorKind::NotFound | StoreErrorKind::Other => "make the keychain usable",
    };
    e.hint(format!(
        "{fix}, then run `{}` again: the tokens are in the keychain, so it must be reachable to delete them",
        logout_command(env, scope)
    ))
}

/// What `ntn logout` forgets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogoutScope {
    /// Every workspace of the current environment.
    Environment,
    /// One workspace of the current environment.
    Workspace(String),
    /// Every workspace of every environment.
    AllEnvironments,
}

/// What `ntn logout` did.
#[derive(Clone, Debug, Default)]
pub struct LogoutReport {
    /// (environment, id, name) of each workspace forgotten.
    pub removed: Vec<(String, String, String)>,
    /// Whether a pending login session was dropped.
    pub pending_cleared: bool,
    /// Problems that did not stop the logout.
    pub warnings: Vec<String>,
}

impl LogoutReport {
    /// Names for the "Logged out of ..." message, without repeats.
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, id, name) in &self.removed {
            let n = if name.is_empty() {
                id.clone()
            } else {
                name.clone()
            };
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

/// Forgets stored logins (no network): deletes each token from the store
/// (a token already missing is fine), then removes the workspaces from
/// `workspaces.json` and the defaults they held from `config.json`, and drops
/// a pending login. The files themselves stay.
pub fn logout(s: &Settings, state: &State, scope: &LogoutScope) -> Result<LogoutReport> {
    let env = s.env.as_str().to_string();
    if let LogoutScope::Workspace(id) = scope {
        st::checked_id(id, "--workspace")?;
    }
    // The state lock is held until the files are updated, so that a login or
    // a switch running at the same time happens wholly before or after this
    // logout (never a token or default left for a forgotten workspace). Not
    // taken when there is no config directory (nothing to forget; do not
    // create it).
    let held = if state.dir().path.is_dir() {
        Some(state.lock()?)
    } else {
        None
    };
    let workspaces = state.workspaces()?;
    let config = state.config()?;
    // (env, id, name) to forget.
    let mut targets: Vec<(String, String, String)> = Vec::new();
    let mut add = |e: &str, id: &str, name: &str| {
        if !targets.iter().any(|(te, ti, _)| te == e && ti == id) {
            targets.push((e.to_string(), id.to_string(), name.to_string()));
        }
    };
    match scope {
        LogoutScope::Environment | LogoutScope::AllEnvironments => {
            for (e, map) in &workspaces.environments {
                if *scope == LogoutScope::Environment && *e != env {
                    continue;
                }
                for (id, entry) in map {
                    add(e, id, &entry.name);
                }
            }
            for (e, id) in &config.default_workspace_ids {
                if (*scope == LogoutScope::AllEnvironments || *e == env) && !id.is_empty() {
                    add(e, id, "");
                }
            }
        }
        LogoutScope::Workspace(id) => {
            let entry = workspaces.get(s.env, id);
            if entry.is_none() && config.default_workspace(s.env) != Some(id.as_str()) {
                return Err(unknown_for_logout(s.env, id, &workspaces.list(s.env)));
            }
            let name = entry.map(|w| w.name.clone()).unwrap_or_default();
            add(&env, id, &name);
        }
    }
    let mut report = LogoutReport::default();
    if !targets.is_empty() {
        let store = open_store(state, &s.store)?;
        let also_file = (store.backend() == Backend::Keychain)
            .then(|| FileStore::new(state))
            .filter(|f| f.path().exists());
        // (env, id) of each token deleted. Tokens are kept per environment,
        // so each target has its own (an environment name ntn does not know
        // has none to delete).
        let mut deleted: Vec<(String, String)> = Vec::new();
        for (e, id, _) in &targets {
            let Some(env_name) = EnvName::parse(e) else {
                continue;
            };
            let key = TokenKey::new(env_name, id);
            let had_token = store
                .delete(&key)
                .map_err(|err| logout_store_error(err, s.env, scope))?;
            let mut had_file_token = false;
            if let Some(f) = &also_file {
                match f.delete(&key) {
                    Ok(b) => had_file_token = b,
                    Err(err) => report.warnings.push(err.message().to_string()),
                }
            }
            if had_token || had_file_token {
                deleted.push((e.clone(), id.clone()));
            }
        }
        let is_target = |e: &str, id: &str| targets.iter().any(|(te, ti, _)| te == e && ti == id);
        let cached = |e: &str, id: &str| {
            workspaces
                .environments
                .get(e)
                .is_some_and(|m| m.contains_key(id))
        };
        let is_default =
            |e: &str, id: &str| config.default_workspace_ids.get(e).is_some_and(|d| d == id);
        {
            let taken;
            let lock = match &held {
                Some(l) => l,
                None => {
                    taken = state.lock()?;
                    &taken
                }
            };
            let mut w = state.workspaces()?;
            let mut forgot = false;
            for (e, id, _) in &targets {
                if let Some(m) = w.environments.get_mut(e) {
                    forgot |= m.remove(id).is_some();
                }
            }
            if forgot {
                state.save_workspaces(lock, &w)?;
            }
            let mut c = state.config()?;
            let before = c.default_workspace_ids.len();
            c.default_workspace_ids.retain(|e, id| !is_target(e, id));
            if c.default_workspace_ids.len() != before {
                state.save_config(lock, &c)?;
            }
        }
        for (e, id, name) in &targets {
            let had_token = deleted.iter().any(|(de, di)| de == e && di == id);
            if cached(e, id) || is_default(e, id) || had_token {
                report.removed.push((e.clone(), id.clone(), name.clone()));
            }
        }
    }
    drop(held); // pending::clear takes the lock itself
    let pending_env = match scope {
        LogoutScope::AllEnvironments => None,
        _ => Some(s.env),
    };
    match pending::clear(state, pending_env) {
        Ok(b) => report.pending_cleared = b,
        Err(e) => report.warnings.push(format!(
            "{} (the pending login was left in place)",
            e.message()
        )),
    }
    Ok(report)
}
