//! `ntn login`: sign in from the terminal.
//!
//! * Browser flow (interactive, a browser can be opened): start a session,
//!   show the verification code and URL, open the browser, poll until the
//!   login is approved, denied or expired. Ctrl-C keeps the session as a
//!   pending login that `ntn login poll` resumes.
//! * Two-step flow (`--no-browser`, no terminal, no display, SSH): start a
//!   session, save it as a pending login, print the URL, the code and the
//!   command to run next (`ntn login poll`), exit 0.
//! * Picker: with cached workspaces and a terminal, choose one of them
//!   (switching needs no network when its token is stored and was not
//!   rejected) or authenticate with a new one. `--workspace ID` switches
//!   without a prompt; `--fresh` signs in again in the browser.
//!
//! Before a session is started (or a pending one redeemed), the result must
//! be storable ([`crate::auth::check_ready`]) and the base URL must be HTTPS
//! or loopback. A login the server confirmed but that could not be stored is
//! kept in the pending login (0600) and stored by the next `ntn login poll`.
//! Polls of one pending login run one at a time (`.login.lock`); one that
//! waited for another reports how the other ended.
//!
//! Messages go to stderr; `--json` / `--plain` print the result on stdout.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::browser::{self, Opener};
use crate::auth::login::{self as proto, Confirmed, PollEnd, Session};
use crate::auth::login_command;
use crate::auth::pending::{self, ApprovedLogin, PendingLogin};
use crate::context::Context;
use crate::env::{EnvName, Environment, ResolvedUrl, UrlSource};
use crate::error::{Error, ExitCode, Result};
use crate::output::text::clean;
use crate::output::{Format, FormatArgs, Spinner, Table, style};
use crate::secrets::StoreError;
use crate::state::{DirLock, LOGIN_LOCK_FILE, State};
use crate::support::time;

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    long_about = "Sign in to a Notion workspace from the terminal.\n\n\
With a terminal and a browser at hand, `ntn login` opens the login page, shows a \
verification code to compare with the page, and waits until you approve. Without \
one (--no-browser, SSH, no display, scripts) it prints the URL and the code and \
exits; approve on any device, then run `ntn login poll`.\n\n\
Before it starts, ntn checks that the login could be stored: the config directory must be \
writable and the secret store (the OS keychain, or auth.json with NOTION_KEYRING=0) usable. \
A login approved but not stored (say the keychain locked meanwhile) is kept, private, until \
`ntn login poll` stores it. The login URL must be https://, or http:// to localhost.\n\n\
Tokens are kept per environment: a login to the same workspace in another environment \
(--env) is another token, and each is only sent to its own environment's API.\n\n\
When this environment already has logged-in workspaces, `ntn login` offers them \
(switching needs no network) and \"Authenticate with new workspace\"; one whose token the \
API rejected is marked, and choosing it signs in again. \
`ntn login --workspace ID` switches without asking; `--fresh` signs in again in the \
browser (for that workspace with --workspace ID).\n\n\
A browser is opened only in an interactive terminal, never over SSH and, on Linux, \
only with a display (DISPLAY or WAYLAND_DISPLAY), also when BROWSER is set: the \
opener (BROWSER, else open on macOS, start on Windows, xdg-open elsewhere) runs detached \
from the terminal, without NOTION_API_TOKEN.\n\n\
--json prints the result: {\"workspace_id\",\"workspace_name\",\"env\"}, or for the two-step \
flow {\"browser_url\",\"verification_code\",\"expires_at\",\"next_command\"}. --plain prints \
the same values as one tab-separated line, in that order, without a header.\n\n\
Examples:\n  ntn login\n  ntn login --no-browser && ntn login poll\n  \
ntn login --workspace 1f2e3d4c-...\n  ntn login --workspace 1f2e3d4c-... --fresh",
    after_long_help = crate::env_help!(
        @token,
        "  BROWSER                    browser command(s), `:`-separated (`;` on Windows); %s is the URL",
        "  DISPLAY, WAYLAND_DISPLAY   without either, no browser is opened (Linux)",
        "  SSH_CONNECTION, SSH_TTY    over SSH no browser is opened",
        "  XDG_CONFIG_HOME, HOME      where the config directory is, without NOTION_HOME",
    )
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<LoginCommand>,

    /// Do not open a browser: print the URL and code, then finish with `ntn login poll`
    #[arg(long)]
    pub no_browser: bool,

    /// Sign in again in the browser even when a token is stored (with --workspace ID: for that workspace)
    #[arg(long)]
    pub fresh: bool,

    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum LoginCommand {
    /// Finish a login started with `ntn login --no-browser` (or interrupted)
    Poll(PollArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Wait for the pending login (from `ntn login --no-browser`, or an \
interrupted `ntn login`) to be approved, then store the token. A login that was approved \
but could not be stored is stored now, without asking the server again.\n\n\
The pending login remembers its environment and base URL; they win over --env. One poll \
runs at a time: a second one waits for the first and reports how it ended.\n\n\
--json prints {\"workspace_id\",\"workspace_name\",\"env\"}; --plain prints the same three \
values as one tab-separated line without a header.",
    after_long_help = crate::env_help!(
        @token,
        "  XDG_CONFIG_HOME, HOME      where the config directory is, without NOTION_HOME",
    )
)]
pub struct PollArgs {
    /// Give up after this many seconds (the login stays pending)
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,

    #[command(flatten)]
    pub format: FormatArgs,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        Some(LoginCommand::Poll(p)) => poll_command(ctx, p),
        None => login(ctx, &args),
    }
}

/// The command that finishes a pending login of `env`.
fn poll_command_text(env: EnvName) -> String {
    if env == EnvName::Prod {
        "ntn login poll".into()
    } else {
        format!("ntn login poll --env {env}")
    }
}

fn login(ctx: &Context, args: &Args) -> Result<()> {
    let state = ctx.state()?;
    let ui = &ctx.ui;
    let format = args.format.format();
    // A login approved earlier but not stored comes first: never lose it.
    if let Ok(Some(p)) = pending::load(&state)
        && let Some(a) = p.approved.clone()
    {
        ui.message(format_args!(
            "A login to {} ({}) was approved earlier but not stored yet; storing it now.",
            clean(&a.workspace_name),
            clean(&a.workspace_id)
        ));
        let pctx = pending_context(ctx, &state, &p)?;
        return store_kept(&pctx, &state, &p, &a, format);
    }
    let mut expected: Option<String> = None;
    if let Some(id) = ctx.workspace_flag.as_deref() {
        crate::state::checked_id(id, "--workspace")?;
        if !args.fresh {
            if args.no_browser {
                return Err(Error::usage(
                    "--workspace switches to a stored login and --no-browser starts a new one",
                )
                .hint("add --fresh to sign in to that workspace again, or use one of them"));
            }
            return switch_to(ctx, &state, id, format);
        }
        expected = Some(id.to_string());
    }
    let interactive = ui.is_interactive();
    if interactive && !args.no_browser && !args.fresh {
        // Ctrl-C in the picker must end it cleanly ("login cancelled"), not
        // kill the process with the cursor hidden.
        let _ = ctx.interrupt();
        match pick(ctx, &state)? {
            Pick::Switch(id) => return switch_to(ctx, &state, &id, format),
            Pick::Again(id) => expected = Some(id),
            Pick::New => {}
        }
    }
    let base = ctx.env.base();
    proto::check_transport(base)?;
    // Never start a login over a pending one ntn cannot read.
    pending::check_replaceable(&state)?;
    crate::auth::check_ready(&ctx.auth_settings(), &state)?;
    let opener = if args.no_browser {
        None
    } else {
        match browser::decide(interactive, &ctx.vars) {
            Ok(o) => Some(o),
            Err(skip) => {
                ui.message(format_args!("Not opening a browser: {}.", skip.describe()));
                None
            }
        }
    };
    let client = ctx.http(proto::REQUEST_TIMEOUT);
    let session = proto::init(&client, base)?;
    match opener {
        None => two_step(ctx, &state, &session, format),
        Some(opener) => browser_flow(
            ctx,
            &state,
            &client,
            &session,
            &opener,
            format,
            expected.as_deref(),
        ),
    }
}

// ---------------------------------------------------------------------------
// Picker and switching

enum Pick {
    Switch(String),
    /// Sign in again to this workspace (its token is missing or was rejected).
    Again(String),
    New,
}

/// Offers the cached workspaces of this environment (sorted by name, the
/// default marked) and "Authenticate with new workspace". A workspace whose
/// token is missing, or was rejected by the API, is marked, and choosing it
/// starts a new login.
fn pick(ctx: &Context, state: &State) -> Result<Pick> {
    let env = ctx.env.name;
    let workspaces = state.workspaces()?;
    let list = workspaces.list(env);
    if list.is_empty() {
        return Ok(Pick::New);
    }
    let settings = ctx.auth_settings();
    let default = state.config()?.default_workspace(env).map(str::to_string);
    let mut items = Vec::new();
    let mut usable = Vec::new();
    for w in &list {
        let has = crate::auth::token_stored(&settings, state, &w.id)?;
        let name = if w.name.is_empty() { &w.id } else { &w.name };
        let mut label = format!("{} ({})", clean(name), clean(&w.id));
        if default.as_deref() == Some(w.id.as_str()) {
            label.push_str("  [default]");
        }
        if !has {
            label.push_str("  (signed out: sign in again)");
        } else if w.rejected_at().is_some() {
            label.push_str("  (token rejected by the API: sign in again)");
        }
        items.push(label);
        usable.push(has && w.rejected_at().is_none());
    }
    items.push("Authenticate with new workspace".to_string());
    let start = default
        .as_deref()
        .and_then(|d| list.iter().position(|w| w.id == d))
        .unwrap_or(0);
    let chosen = ctx
        .ui
        .prompter()
        .select(&format!("Choose a workspace ({env})"), &items, start)
        .map_err(|e| match e.exit_code() {
            // Ctrl-C or SIGINT: the picker restored the terminal.
            crate::error::ExitCode::Interrupted => {
                Error::interrupted("interrupted: login cancelled")
            }
            _ => Error::local("the workspace picker failed").cause(&e),
        })?;
    match chosen {
        Some(i) if i < list.len() && usable[i] => Ok(Pick::Switch(list[i].id.clone())),
        Some(i) if i < list.len() => {
            let w = list[i];
            let why = if w.rejected_at().is_some() {
                "The API rejected the token of"
            } else {
                "No token is stored for"
            };
            ctx.ui.message(format_args!(
                "{why} {}: starting a new login.",
                clean(if w.name.is_empty() { &w.id } else { &w.name })
            ));
            Ok(Pick::Again(w.id.clone()))
        }
        Some(_) => Ok(Pick::New),
        None => Err(Error::interrupted("login cancelled")),
    }
}

/// Makes a stored login the default (no network).
fn switch_to(ctx: &Context, state: &State, id: &str, format: Format) -> Result<()> {
    let env = ctx.env.name;
    let known = state.workspaces()?.get(env, id).cloned();
    let Some(entry) = known else {
        return Err(
            Error::auth(format!("workspace {id} is not logged in ({env})")).hint(format!(
                "run `{}` to sign in to it; `{}` lists the logged-in workspaces",
                login_command(env, ""),
                crate::auth::debug_command(env)
            )),
        );
    };
    let settings = ctx.auth_settings();
    if !crate::auth::token_stored(&settings, state, id)? {
        return Err(
            Error::auth(format!("no token is stored for {} ({id})", entry.name)).hint(format!(
                "run `{}` to sign in again",
                login_command(env, &format!("--workspace {id} --fresh"))
            )),
        );
    }
    let entry = crate::auth::switch_default(&settings, state, id)?;
    let ok = style::OK;
    ctx.ui.message(format_args!(
        "{ok}Switched to{ok:#} {} ({})",
        clean(&entry.name),
        clean(&entry.id)
    ));
    if let Some(when) = entry.rejected_at() {
        ctx.ui.warn(format_args!(
            "the API rejected this workspace's token on {}; if it still fails, run `{}`",
            clean(when),
            login_command(env, &format!("--workspace {id} --fresh"))
        ));
    }
    print_result(ctx, format, env, &entry.id, &entry.name)
}

// ---------------------------------------------------------------------------
// The two flows

fn two_step(ctx: &Context, state: &State, session: &Session, format: Format) -> Result<()> {
    let env = ctx.env.name;
    let now = ctx.clock.unix_ms();
    pending::save(
        state,
        &session.to_pending(env.as_str(), ctx.env.base(), now),
    )?;
    let next = poll_command_text(env);
    let code = style::CODE;
    let emph = style::EMPH;
    let ui = &ctx.ui;
    ui.message("To sign in, open this URL in a browser (on any device):");
    ui.message("");
    ui.message(format_args!(
        "  {emph}{}{emph:#}",
        clean(&session.browser_url)
    ));
    ui.message("");
    ui.message(format_args!(
        "Check that the page shows this code: {code}{}{code:#}",
        clean(&session.verification_code)
    ));
    ui.message(format_args!(
        "The login is valid for {}. After approving it, run:",
        time::long(session.remaining(now))
    ));
    ui.message("");
    ui.message(format_args!("  {emph}{next}{emph:#}"));
    let expires_at = time::format_rfc3339(session.expires_at_ms);
    match format {
        Format::Json => ui.json(&json!({
            "browser_url": session.browser_url,
            "verification_code": session.verification_code,
            "expires_at": expires_at,
            "next_command": next,
        })),
        Format::Plain => {
            let mut t = Table::new(["URL", "CODE", "EXPIRES", "NEXT"]);
            t.row([
                session.browser_url.clone(),
                session.verification_code.clone(),
                expires_at,
                next,
            ]);
            t.print(ui, Format::Plain)
        }
        Format::Human => Ok(()),
    }
}

fn spinner_tick(spinner: &mut Spinner, p: &proto::Progress) {
    spinner.tick(
        "Waiting for approval in the browser...",
        p.remaining,
        p.retrying
            .as_deref()
            .map(|w| format!("retrying: {}", clean(w)))
            .as_deref(),
    )
}

fn browser_flow(
    ctx: &Context,
    state: &State,
    client: &crate::http::Client,
    session: &Session,
    opener: &Opener,
    format: Format,
    expected: Option<&str>,
) -> Result<()> {
    let code = style::CODE;
    let emph = style::EMPH;
    let ui = &ctx.ui;
    ui.message(format_args!(
        "Your verification code: {code}{}{code:#}",
        clean(&session.verification_code)
    ));
    match browser::open(opener, &session.browser_url, &ctx.vars) {
        Ok(()) => ui.message("Opened the login page in your browser. If it did not open, go to:"),
        Err(why) => ui.message(format_args!(
            "Could not open a browser ({}). Open this URL:",
            clean(&why)
        )),
    }
    ui.message(format_args!(
        "  {emph}{}{emph:#}",
        clean(&session.browser_url)
    ));
    ui.message("Check that the page shows the same code, then approve.");

    let interrupt = ctx.interrupt();
    let mut spinner = Spinner::new(ui);
    let end = proto::poll(
        client,
        ctx.env.base(),
        session,
        None,
        Some(&interrupt),
        &mut |p| spinner_tick(&mut spinner, p),
    );
    spinner.clear();
    let env = ctx.env.name;
    let now = ctx.clock.unix_ms();
    let pending = session.to_pending(env.as_str(), ctx.env.base(), now);
    match end? {
        PollEnd::Interrupted => {
            pending::save(state, &pending)?;
            Err(
                Error::interrupted("Login interrupted; the session is kept as a pending login")
                    .hint(format!(
                        "run `{}` to finish it (within {})",
                        poll_command_text(env),
                        time::long(session.remaining(now))
                    )),
            )
        }
        other => finish(
            ctx,
            state,
            other,
            format,
            &Finishing {
                pending: &pending,
                from_file: false,
                expected,
                lock: None,
            },
        ),
    }
}

/// What [`finish`] needs to know about the login being finished.
struct Finishing<'a> {
    /// The session, as a pending login (kept when storing fails).
    pending: &'a PendingLogin,
    /// Whether it is the pending login file being redeemed (cleared at the end).
    from_file: bool,
    /// The workspace the user meant to sign in to again, if any.
    expected: Option<&'a str>,
    /// The login lock, whose record tells a waiting poll how this ended.
    lock: Option<&'a DirLock>,
}

/// How a `ntn login poll` ended, left in the login lock for a poll that waited.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    verification_code: String,
    /// Whether the login was stored.
    stored: bool,
    #[serde(default)]
    workspace_id: String,
    #[serde(default)]
    workspace_name: String,
    #[serde(default)]
    env: String,
    /// Why it was not, when it was not.
    #[serde(default)]
    message: String,
    #[serde(default)]
    exit: i32,
}

impl Finishing<'_> {
    fn record(&self, outcome: &Outcome) {
        if let Some(lock) = self.lock
            && let Ok(bytes) = serde_json::to_vec(outcome)
        {
            let _ = lock.set_record(&bytes);
        }
    }
}

/// Handles how polling ended: stores a confirmed login (or keeps it when it
/// cannot be stored), or explains why not.
fn finish(
    ctx: &Context,
    state: &State,
    end: PollEnd,
    format: Format,
    f: &Finishing<'_>,
) -> Result<()> {
    let env = ctx.env.name;
    let drop_pending = || -> Result<()> {
        if f.from_file {
            pending::clear_session(state, &f.pending.session_id)?;
        }
        Ok(())
    };
    let ended = |e: Error| -> Error {
        f.record(&Outcome {
            verification_code: f.pending.verification_code.clone(),
            message: e.message().to_string(),
            exit: e.exit_code().code(),
            ..Outcome::default()
        });
        e
    };
    match end {
        PollEnd::Confirmed(c) => {
            if let Err(e) = store(ctx, state, &c) {
                return Err(keep_approved(ctx, state, f.pending, &c, e));
            }
            drop_pending()?;
            f.record(&Outcome {
                verification_code: f.pending.verification_code.clone(),
                stored: true,
                workspace_id: c.workspace_id.clone(),
                workspace_name: c.workspace_name.clone(),
                env: env.as_str().to_string(),
                ..Outcome::default()
            });
            logged_in(
                ctx,
                format,
                &c.workspace_id,
                &c.workspace_name,
                f.expected,
                "",
            )
        }
        PollEnd::Expired => {
            drop_pending()?;
            Err(ended(Error::auth(format!(
                "Login session expired. Run `{}` to start over.",
                login_command(env, "")
            ))))
        }
        PollEnd::Denied { reason, message } => {
            drop_pending()?;
            Err(ended(denied_error(
                env,
                reason.as_deref(),
                message.as_deref(),
            )))
        }
        PollEnd::Gone => {
            drop_pending()?;
            Err(ended(
                Error::auth(
                    "The login session is gone: the server no longer knows it (already used, or unknown)",
                )
                .hint(format!("run `{}` to start over", login_command(env, ""))),
            ))
        }
        PollEnd::TimedOut => Err(Error::auth(
            "Gave up waiting: the login is not approved yet and is still pending",
        )
        .hint(format!(
            "approve it in the browser, then run `{}` again",
            poll_command_text(env)
        ))),
        PollEnd::Interrupted => Err(Error::interrupted(
            "Stopped waiting; the login is still pending",
        )
        .hint(format!("run `{}` to resume", poll_command_text(env)))),
    }
}

/// Says that the login is stored and prints the result.
fn logged_in(
    ctx: &Context,
    format: Format,
    id: &str,
    name: &str,
    expected: Option<&str>,
    note: &str,
) -> Result<()> {
    let ok = style::OK;
    let env = ctx.env.name;
    ctx.ui.message(format_args!(
        "{ok}Logged in to{ok:#} {} ({}){note}",
        clean(name),
        clean(id)
    ));
    if let Some(want) = expected.filter(|w| *w != id) {
        ctx.ui.warn(format_args!(
            "you signed in to {} ({}), not to workspace {}",
            clean(name),
            clean(id),
            clean(want)
        ));
    }
    if ctx.vars.value(crate::vars::API_TOKEN).is_some() {
        ctx.ui.warn(format_args!(
            "NOTION_API_TOKEN is set and wins over this login; unset it to use the login"
        ));
    }
    print_result(ctx, format, env, id, name)
}

/// Keeps a confirmed login that could not be stored in the pending login
/// (0600), for `ntn login poll` to store later; the error says so.
fn keep_approved(
    ctx: &Context,
    state: &State,
    pending: &PendingLogin,
    c: &Confirmed,
    err: Error,
) -> Error {
    let env = ctx.env.name;
    let label = format!("{} ({})", c.workspace_name, c.workspace_id);
    let mut kept = pending.clone();
    kept.approved = Some(ApprovedLogin {
        token: c.token.expose().to_string(),
        workspace_id: c.workspace_id.clone(),
        workspace_name: c.workspace_name.clone(),
        approved_at_ms: ctx.clock.unix_ms(),
    });
    let poll = poll_command_text(env);
    let store_error = err.data::<StoreError>().cloned();
    let out = match pending::save(state, &kept) {
        Ok(()) => {
            let mut hint = format!(
                "the approved login is kept, private, in {}: fix the problem, then run `{poll}` to store it",
                state.path(pending::PENDING_FILE).display()
            );
            if store_error.is_some() {
                hint.push_str(&format!(
                    " (or `NOTION_KEYRING=0 {poll}` to keep the token in auth.json)"
                ));
            }
            Error::new(
                err.exit_code(),
                format!(
                    "the login to {label} was approved, but storing it failed: {}",
                    err.message()
                ),
            )
            .hint(hint)
        }
        Err(e2) => Error::new(
            err.exit_code(),
            format!(
                "the login to {label} was approved, but storing it failed ({}) and it could not be kept for later ({})",
                err.message(),
                e2.message()
            ),
        )
        .hint(format!(
            "fix the problem, then run `{}` to sign in again",
            login_command(env, "")
        )),
    };
    let out = out.cause(&err);
    match store_error {
        Some(d) => out.with_data(d),
        None => out,
    }
}

/// Stores a login that was approved earlier but not stored (no network).
fn store_kept(
    ctx: &Context,
    state: &State,
    p: &PendingLogin,
    a: &ApprovedLogin,
    format: Format,
) -> Result<()> {
    let c = Confirmed {
        token: a.token(),
        workspace_id: a.workspace_id.clone(),
        workspace_name: a.workspace_name.clone(),
    };
    if let Err(e) = store(ctx, state, &c) {
        let poll = poll_command_text(ctx.env.name);
        let mut hint = format!("fix the problem, then run `{poll}` again");
        if e.data::<StoreError>().is_some() {
            hint.push_str(&format!(
                " (or `NOTION_KEYRING=0 {poll}` to keep the token in auth.json)"
            ));
        }
        return Err(Error::new(
            e.exit_code(),
            format!(
                "the approved login to {} ({}) is still not stored: {}",
                a.workspace_name,
                a.workspace_id,
                e.message()
            ),
        )
        .hint(hint)
        .cause(&e));
    }
    pending::clear_session(state, &p.session_id)?;
    logged_in(ctx, format, &c.workspace_id, &c.workspace_name, None, "")
}

/// The error for a refused login.
pub fn denied_error(env: EnvName, reason: Option<&str>, message: Option<&str>) -> Error {
    let role = match reason {
        Some("guest") => Some("you are a guest in this workspace"),
        Some("restricted") => Some("your membership in this workspace is restricted"),
        _ => None,
    };
    let err = match role {
        Some(role) => Error::auth(format!(
            "Login refused: `ntn login` requires full workspace membership, and {role}"
        ))
        .hint(
            "a workspace admin can upgrade your role to member; or use a personal access \
             token instead: set NOTION_API_TOKEN (see `ntn login --help`)",
        ),
        None => Error::auth("Login was denied in the browser").hint(format!(
            "run `{}` to try again, and approve the request",
            login_command(env, "")
        )),
    };
    match message {
        Some(m) => err.cause_text(format!("the server said: {}", clean(m))),
        None => err,
    }
}

fn store(ctx: &Context, state: &State, c: &Confirmed) -> Result<()> {
    crate::auth::save_login(
        &ctx.auth_settings(),
        state,
        &c.token,
        &c.workspace_id,
        &c.workspace_name,
    )
}

fn print_result(ctx: &Context, format: Format, env: EnvName, id: &str, name: &str) -> Result<()> {
    match format {
        Format::Json => ctx.ui.json(&json!({
            "workspace_id": id,
            "workspace_name": name,
            "env": env.as_str(),
        })),
        Format::Plain => {
            let mut t = Table::new(["ID", "NAME", "ENV"]);
            t.row([id, name, env.as_str()]);
            t.print(&ctx.ui, Format::Plain)
        }
        Format::Human => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// `ntn login poll`

/// The context of a pending login: its own environment and base URL win.
fn pending_context(ctx: &Context, state: &State, p: &PendingLogin) -> Result<Context> {
    let Some(env_name) = p.env_name() else {
        return Err(Error::local(format!(
            "the pending login in {} names an unknown environment {:?}",
            state.path(pending::PENDING_FILE).display(),
            p.env
        ))
        .hint(format!(
            "run `{}` to start over",
            login_command(ctx.env.name, "")
        )));
    };
    let env = pending_environment(ctx, env_name, &p.base_url)?;
    if env_name != ctx.env.name {
        ctx.ui.message(format_args!(
            "Finishing the pending login for the {env_name} environment."
        ));
    }
    let mut pctx = ctx.clone();
    pctx.env = env;
    pctx.workspace_flag = None;
    Ok(pctx)
}

fn poll_command(ctx: &Context, args: PollArgs) -> Result<()> {
    let state = ctx.state()?;
    let format = args.format.format();
    let Some(p) = pending::load(&state)? else {
        return Err(no_pending(ctx.env.name));
    };
    let pctx = pending_context(ctx, &state, &p)?;
    if let Some(a) = &p.approved {
        return store_kept(&pctx, &state, &p, a, format);
    }
    let env_name = pctx.env.name;
    let now = ctx.clock.unix_ms();
    if p.is_expired(now) {
        pending::clear_session(&state, &p.session_id)?;
        return Err(Error::auth(format!(
            "Login session expired. Run `{}` to start over.",
            login_command(env_name, "")
        )));
    }
    proto::check_transport(pctx.env.base())?;
    crate::auth::check_ready(&pctx.auth_settings(), &state)?;
    let deadline = args
        .timeout
        .map(|s| ctx.clock.now() + Duration::from_secs(s));
    let interrupt = ctx.interrupt();

    // One poll at a time: a second one waits, then reports how the first ended.
    let lock = match state.try_lock_named(LOGIN_LOCK_FILE)? {
        Some(l) => l,
        None => {
            let lock = wait_for_other_poll(ctx, &state, &p, deadline, &interrupt)?;
            match pending::load(&state)? {
                Some(now_p) if now_p.session_id == p.session_id => {
                    if let Some(a) = &now_p.approved {
                        return store_kept(&pctx, &state, &now_p, a, format);
                    }
                    lock
                }
                _ => return other_poll_outcome(&pctx, &lock, &p, format),
            }
        }
    };

    let session = proto::Session::from_pending(&p);
    let code = style::CODE;
    ctx.ui.message(format_args!(
        "Waiting for the login with code {code}{}{code:#} to be approved ({} left)...",
        clean(&session.verification_code),
        time::long(session.remaining(now))
    ));
    let client = ctx.http(proto::REQUEST_TIMEOUT);
    let mut spinner = Spinner::new(&ctx.ui);
    let end = proto::poll(
        &client,
        pctx.env.base(),
        &session,
        deadline,
        Some(&interrupt),
        &mut |pr| spinner_tick(&mut spinner, pr),
    );
    spinner.clear();
    finish(
        &pctx,
        &state,
        end?,
        format,
        &Finishing {
            pending: &p,
            from_file: true,
            expected: None,
            lock: Some(&lock),
        },
    )
}

fn no_pending(env: EnvName) -> Error {
    Error::auth("there is no pending login to finish").hint(format!(
        "run `{}` (or `{}`) to start one",
        login_command(env, ""),
        login_command(env, "--no-browser")
    ))
}

/// Waits (on the clock, Ctrl-C and `deadline` honoured) until the poll that
/// holds the login lock is done, and takes the lock.
fn wait_for_other_poll(
    ctx: &Context,
    state: &State,
    p: &PendingLogin,
    deadline: Option<std::time::Instant>,
    interrupt: &crate::support::Interrupt,
) -> Result<DirLock> {
    ctx.ui.message(
        "Another `ntn login poll` is already waiting for this login; waiting for it to finish...",
    );
    let clock = &ctx.clock;
    // The other poll stops at the session's expiry; a little grace after it.
    let expiry = clock.now()
        + Duration::from_millis(p.remaining_ms(clock.unix_ms()))
        + Duration::from_secs(30);
    loop {
        if let Some(l) = state.try_lock_named(LOGIN_LOCK_FILE)? {
            return Ok(l);
        }
        if interrupt.is_raised() {
            return Err(
                Error::interrupted("Stopped waiting; the login is still pending").hint(format!(
                    "run `{}` to resume",
                    poll_command_text(ctx.env.name)
                )),
            );
        }
        let now = clock.now();
        if deadline.is_some_and(|d| now >= d) || now >= expiry {
            return Err(Error::auth(
                "Gave up waiting for the other `ntn login poll`; the login is still pending",
            )
            .hint(format!(
                "run `{}` again once the other one has finished",
                poll_command_text(ctx.env.name)
            )));
        }
        clock.sleep(Duration::from_millis(100));
    }
}

/// Reports how the poll this one waited for ended (from the lock's record).
fn other_poll_outcome(
    ctx: &Context,
    lock: &DirLock,
    p: &PendingLogin,
    format: Format,
) -> Result<()> {
    let outcome: Option<Outcome> = serde_json::from_slice(&lock.record()).ok();
    match outcome.filter(|o| o.verification_code == p.verification_code) {
        Some(o) if o.stored => logged_in(
            ctx,
            format,
            &o.workspace_id,
            &o.workspace_name,
            None,
            " (by the other `ntn login poll`)",
        ),
        Some(o) => {
            let code = match o.exit {
                1 => ExitCode::Local,
                5 => ExitCode::Api,
                130 => ExitCode::Interrupted,
                _ => ExitCode::Auth,
            };
            Err(Error::new(
                code,
                format!("the other `ntn login poll` ended: {}", o.message),
            )
            .hint(format!(
                "run `{}` to start over",
                login_command(ctx.env.name, "")
            )))
        }
        None => Err(no_pending(ctx.env.name)),
    }
}

fn pending_environment(ctx: &Context, name: EnvName, base_url: &str) -> Result<Environment> {
    let mut env = if name == ctx.env.name {
        ctx.env.clone()
    } else {
        Environment::resolve(name, &ctx.vars)?
    };
    if !base_url.trim().is_empty() && base_url != env.base() {
        env.base_url = ResolvedUrl {
            url: base_url.trim_end_matches('/').to_string(),
            source: UrlSource::Variable("pending login"),
        };
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_command_names_the_environment_unless_prod() {
        assert_eq!(poll_command_text(EnvName::Prod), "ntn login poll");
        assert_eq!(
            poll_command_text(EnvName::Local),
            "ntn login poll --env local"
        );
    }

    #[test]
    fn refusals_explain_what_to_do() {
        for reason in ["guest", "restricted"] {
            let e = denied_error(EnvName::Prod, Some(reason), Some("you are a guest in Acme"));
            assert_eq!(e.exit_code().code(), 4);
            assert!(e.message().contains("full workspace membership"));
            let hint = e.hint_text().unwrap();
            assert!(hint.contains("admin") && hint.contains("NOTION_API_TOKEN"));
        }
        let e = denied_error(EnvName::Local, Some("user_denied"), None);
        assert_eq!(e.message(), "Login was denied in the browser");
        assert_eq!(e.exit_code().code(), 4);
        // A hint names the command whole, flags included.
        assert_eq!(
            e.hint_text().unwrap(),
            "run `ntn login --env local` to try again, and approve the request"
        );
    }
}
