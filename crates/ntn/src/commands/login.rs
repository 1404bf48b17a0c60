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
//!   (switching needs no network when its token is stored) or authenticate
//!   with a new one. `--workspace ID` switches without a prompt.
//!
//! Messages go to stderr; `--json` prints the result on stdout.

use std::time::Duration;

use serde_json::json;

use crate::auth::browser::{self, Opener};
use crate::auth::login::{self as proto, Confirmed, PollEnd, Session};
use crate::auth::pending;
use crate::context::Context;
use crate::env::{EnvName, Environment, ResolvedUrl, UrlSource};
use crate::error::{Error, Result};
use crate::output::text::clean;
use crate::output::{Spinner, style};
use crate::state::State;
use crate::support::time;

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    long_about = "Sign in to a Notion workspace from the terminal.\n\n\
With a terminal and a browser at hand, `ntn login` opens the login page, shows a \
verification code to compare with the page, and waits until you approve. Without \
one (--no-browser, SSH, no display, scripts) it prints the URL and the code and \
exits; approve on any device, then run `ntn login poll`.\n\n\
When this environment already has logged-in workspaces, `ntn login` offers them \
(switching needs no network) and \"Authenticate with new workspace\". \
`ntn login --workspace ID` switches without asking.\n\n\
A browser is opened only in an interactive terminal, never over SSH and, on Linux, \
only with a display (DISPLAY or WAYLAND_DISPLAY), also when BROWSER is set: the \
opener runs detached from the terminal.\n\n\
Examples:\n  ntn login\n  ntn login --no-browser && ntn login poll\n  \
ntn login --workspace 1f2e3d4c-...",
    after_long_help = crate::env_help!(
        "  BROWSER                    browser command(s), `:`-separated; %s is the URL",
        "  DISPLAY, WAYLAND_DISPLAY   without either, no browser is opened (Linux)",
        "  SSH_CONNECTION, SSH_TTY    over SSH no browser is opened",
        "  NOTION_KEYRING             0 keeps the token in auth.json, not the keychain",
    )
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<LoginCommand>,

    /// Do not open a browser: print the URL and code, then finish with `ntn login poll`
    #[arg(long)]
    pub no_browser: bool,

    /// Print the result as JSON on stdout (for scripts and agents)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum LoginCommand {
    /// Finish a login started with `ntn login --no-browser` (or interrupted)
    Poll(PollArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Wait for the pending login (from `ntn login --no-browser`, or an \
interrupted `ntn login`) to be approved, then store the token.\n\n\
The pending login remembers its environment and base URL; they win over --env.",
    after_long_help = crate::env_help!(
        "  NOTION_KEYRING             0 keeps the token in auth.json, not the keychain",
    )
)]
pub struct PollArgs {
    /// Give up after this many seconds (the login stays pending)
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,

    /// Print the result as JSON on stdout
    #[arg(long)]
    pub json: bool,
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
    if let Some(id) = ctx.workspace_flag.as_deref() {
        if args.no_browser {
            return Err(Error::usage(
                "--workspace switches to a stored login and --no-browser starts a new one",
            )
            .hint("use one of them"));
        }
        return switch_to(ctx, &state, id, args.json);
    }
    let interactive = ui.is_interactive();
    if interactive && !args.no_browser {
        match pick(ctx, &state)? {
            Pick::Switch(id) => return switch_to(ctx, &state, &id, args.json),
            Pick::New => {}
        }
    }
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
    let base = ctx.env.base();
    let session = proto::init(&client, base)?;
    match opener {
        None => two_step(ctx, &state, &session, args.json),
        Some(opener) => browser_flow(ctx, &state, &client, &session, &opener, args.json),
    }
}

// ---------------------------------------------------------------------------
// Picker and switching

enum Pick {
    Switch(String),
    New,
}

/// Offers the cached workspaces of this environment (sorted by name, the
/// default marked) and "Authenticate with new workspace". A workspace whose
/// token is missing starts a new login.
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
    let mut stored = Vec::new();
    for w in &list {
        let has = crate::auth::token_stored(&settings, state, &w.id)?;
        let name = if w.name.is_empty() { &w.id } else { &w.name };
        let mut label = format!("{} ({})", clean(name), clean(&w.id));
        if default.as_deref() == Some(w.id.as_str()) {
            label.push_str("  [default]");
        }
        if !has {
            label.push_str("  (signed out: sign in again)");
        }
        items.push(label);
        stored.push(has);
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
        .map_err(|e| Error::local("the workspace picker failed").cause(&e))?;
    match chosen {
        Some(i) if i < list.len() && stored[i] => Ok(Pick::Switch(list[i].id.clone())),
        Some(i) if i < list.len() => {
            ctx.ui.message(format_args!(
                "No token is stored for {}: starting a new login.",
                clean(&list[i].name)
            ));
            Ok(Pick::New)
        }
        Some(_) => Ok(Pick::New),
        None => Err(Error::interrupted("login cancelled")),
    }
}

/// Makes a stored login the default (no network).
fn switch_to(ctx: &Context, state: &State, id: &str, json: bool) -> Result<()> {
    let env = ctx.env.name;
    let known = state.workspaces()?.get(env, id).cloned();
    let Some(entry) = known else {
        return Err(
            Error::auth(format!("workspace {id} is not logged in ({env})")).hint(format!(
                "run `ntn login` to sign in to it{}; `ntn debug` lists the logged-in workspaces",
                env_flag(env)
            )),
        );
    };
    let settings = ctx.auth_settings();
    if !crate::auth::token_stored(&settings, state, id)? {
        return Err(Error::auth(format!(
            "no token is stored for {} ({id})",
            clean(&entry.name)
        ))
        .hint(format!(
            "run `ntn login{}` and choose it to sign in again",
            env_flag(env)
        )));
    }
    let entry = crate::auth::switch_default(&settings, state, id)?;
    let ok = style::OK;
    ctx.ui.message(format_args!(
        "{ok}Switched to{ok:#} {} ({})",
        clean(&entry.name),
        clean(&entry.id)
    ));
    if json {
        print_result(ctx, env, &entry.id, &entry.name)?;
    }
    Ok(())
}

fn env_flag(env: EnvName) -> String {
    if env == EnvName::Prod {
        String::new()
    } else {
        format!(" --env {env}")
    }
}

// ---------------------------------------------------------------------------
// The two flows

fn two_step(ctx: &Context, state: &State, session: &Session, json: bool) -> Result<()> {
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
    if json {
        ui.json(&json!({
            "browser_url": session.browser_url,
            "verification_code": session.verification_code,
            "expires_at": time::format_rfc3339(session.expires_at_ms),
            "next_command": next,
        }))?;
    }
    Ok(())
}

fn browser_flow(
    ctx: &Context,
    state: &State,
    client: &crate::http::Client,
    session: &Session,
    opener: &Opener,
    json: bool,
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
        &mut |p| {
            spinner.tick(
                "Waiting for approval in the browser...",
                p.remaining,
                p.retrying
                    .as_deref()
                    .map(|w| format!("retrying: {w}"))
                    .as_deref(),
            )
        },
    );
    spinner.clear();
    match end? {
        PollEnd::Interrupted => {
            let env = ctx.env.name;
            let now = ctx.clock.unix_ms();
            pending::save(
                state,
                &session.to_pending(env.as_str(), ctx.env.base(), now),
            )?;
            Err(
                Error::interrupted("Login interrupted; the session is kept as a pending login")
                    .hint(format!(
                        "run `{}` to finish it (within {})",
                        poll_command_text(env),
                        time::long(session.remaining(now))
                    )),
            )
        }
        other => finish(ctx, state, other, json, None),
    }
}

/// Handles how polling ended: stores a confirmed login, or explains why not.
/// `pending_env` is set when a pending login file is being redeemed.
fn finish(
    ctx: &Context,
    state: &State,
    end: PollEnd,
    json: bool,
    pending_env: Option<EnvName>,
) -> Result<()> {
    let drop_pending = || -> Result<()> {
        if let Some(env) = pending_env {
            pending::clear(state, Some(env))?;
        }
        Ok(())
    };
    match end {
        PollEnd::Confirmed(c) => {
            store(ctx, state, &c)?;
            drop_pending()?;
            let ok = style::OK;
            ctx.ui.message(format_args!(
                "{ok}Logged in to{ok:#} {} ({})",
                clean(&c.workspace_name),
                clean(&c.workspace_id)
            ));
            if json {
                print_result(ctx, ctx.env.name, &c.workspace_id, &c.workspace_name)?;
            }
            Ok(())
        }
        PollEnd::Expired => {
            drop_pending()?;
            Err(Error::auth(
                "Login session expired. Run `ntn login` to start over.",
            ))
        }
        PollEnd::Denied { reason, message } => {
            drop_pending()?;
            Err(denied_error(reason.as_deref(), message.as_deref()))
        }
        PollEnd::Gone => {
            drop_pending()?;
            Err(Error::auth(
                "The login session is gone: the server no longer knows it (already used, or unknown)",
            )
            .hint("run `ntn login` to start over"))
        }
        PollEnd::TimedOut => Err(Error::auth(
            "Gave up waiting: the login is not approved yet and is still pending",
        )
        .hint(format!(
            "approve it in the browser, then run `{}` again",
            poll_command_text(ctx.env.name)
        ))),
        PollEnd::Interrupted => Err(Error::interrupted(
            "Stopped waiting; the login is still pending",
        )
        .hint(format!(
            "run `{}` to resume",
            poll_command_text(ctx.env.name)
        ))),
    }
}

/// The error for a refused login.
pub fn denied_error(reason: Option<&str>, message: Option<&str>) -> Error {
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
        None => Error::auth("Login was denied in the browser")
            .hint("run `ntn login` to try again, and approve the request"),
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

fn print_result(ctx: &Context, env: EnvName, id: &str, name: &str) -> Result<()> {
    ctx.ui.json(&json!({
        "workspace_id": id,
        "workspace_name": name,
        "env": env.as_str(),
    }))
}

// ---------------------------------------------------------------------------
// `ntn login poll`

fn poll_command(ctx: &Context, args: PollArgs) -> Result<()> {
    let state = ctx.state()?;
    let ui = &ctx.ui;
    let Some(p) = pending::load(&state)? else {
        return Err(Error::auth("there is no pending login to finish")
            .hint("run `ntn login` (or `ntn login --no-browser`) to start one"));
    };
    let Some(env_name) = p.env_name() else {
        return Err(Error::local(format!(
            "the pending login in {} names an unknown environment {:?}",
            state.path(pending::PENDING_FILE).display(),
            p.env
        ))
        .hint("run `ntn login` to start over"));
    };
    // The pending login's environment and base URL win.
    let env = pending_environment(ctx, env_name, &p.base_url)?;
    if env_name != ctx.env.name {
        ui.message(format_args!(
            "Finishing the pending login for the {env_name} environment."
        ));
    }
    let mut pctx = ctx.clone();
    pctx.env = env;
    pctx.workspace_flag = None;
    let session = proto::Session::from_pending(&p);
    let now = ctx.clock.unix_ms();
    if p.is_expired(now) {
        pending::clear(&state, Some(env_name))?;
        return Err(Error::auth(
            "Login session expired. Run `ntn login` to start over.",
        ));
    }
    let code = style::CODE;
    ui.message(format_args!(
        "Waiting for the login with code {code}{}{code:#} to be approved ({} left)...",
        clean(&session.verification_code),
        time::long(session.remaining(now))
    ));
    let deadline = args
        .timeout
        .map(|s| ctx.clock.now() + Duration::from_secs(s));
    let client = ctx.http(proto::REQUEST_TIMEOUT);
    let interrupt = ctx.interrupt();
    let mut spinner = Spinner::new(ui);
    let end = proto::poll(
        &client,
        pctx.env.base(),
        &session,
        deadline,
        Some(&interrupt),
        &mut |pr| {
            spinner.tick(
                "Waiting for approval in the browser...",
                pr.remaining,
                pr.retrying
                    .as_deref()
                    .map(|w| format!("retrying: {w}"))
                    .as_deref(),
            )
        },
    );
    spinner.clear();
    finish(&pctx, &state, end?, args.json, Some(env_name))
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
            let e = denied_error(Some(reason), Some("you are a guest in Acme"));
            assert_eq!(e.exit_code().code(), 4);
            assert!(e.message().contains("full workspace membership"));
            let hint = e.hint_text().unwrap();
            assert!(hint.contains("admin") && hint.contains("NOTION_API_TOKEN"));
        }
        let e = denied_error(Some("user_denied"), None);
        assert_eq!(e.message(), "Login was denied in the browser");
        assert_eq!(e.exit_code().code(), 4);
    }
}
