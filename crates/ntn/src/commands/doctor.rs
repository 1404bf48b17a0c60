//! `ntn doctor`: check the setup and say what to fix.
//!
//! Checks run from the foundations up (directory, files, secret store, token,
//! API, pending login). The exit code is that of the first failure, which is
//! the root cause of the ones after it: local 1, auth 4, API 5. Warnings do
//! not fail.

use std::time::Duration;

use serde::Serialize;

use crate::auth::{self, TokenSource};
use crate::context::Context;
use crate::error::{Error, ExitCode, Result};
use crate::http::RetryPolicy;
use crate::secrets::{self, Backend, FileStore};
use crate::state::{AUTH_FILE, CONFIG_FILE, Config, WORKSPACES_FILE, Workspaces, files};

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Check the setup and say what to fix: the config directory and its \
permissions, each state file, the keychain, which token source wins, the workspace override, \
the token, the API (GET /v1/users/me) and a pending login.\n\n\
Exit 0 when every check passes (warnings allowed); otherwise the code of the first failure \
(1 local, 4 authentication, 5 API or network).\n\n\
--json prints {\"ok\", \"checks\": [{\"name\",\"status\",\"detail\",\"hint\"}]}. --plain prints \
one tab-separated line per check, without a header: name, status (ok, warn, fail), detail, \
hint (empty when there is none).\n\n\
Examples:\n  ntn doctor\n  ntn doctor --json\n  ntn doctor --plain | cut -f1,2",
    after_long_help = crate::env_help!(@token)
)]
pub struct Args {
    #[command(flatten)]
    pub format: crate::output::FormatArgs,
}

/// The API check's timeout.
pub const API_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One check's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    pub hint: Option<String>,
    #[serde(skip)]
    pub code: Option<ExitCode>,
}

impl Check {
    fn ok(name: &str, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Ok,
            detail: redacted(detail.into()),
            hint: None,
            code: None,
        }
    }

    fn warn(name: &str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Warn,
            detail: redacted(detail.into()),
            hint: Some(redacted(hint.into())),
            code: None,
        }
    }

    fn fail(name: &str, detail: impl Into<String>, hint: Option<String>, code: ExitCode) -> Check {
        Check {
            name: name.into(),
            status: Status::Fail,
            detail: redacted(detail.into()),
            hint: hint.map(redacted),
            code: Some(code),
        }
    }

    fn from_error(name: &str, e: &Error) -> Check {
        Check::fail(
            name,
            e.message(),
            e.hint_text().map(str::to_string),
            e.exit_code(),
        )
    }
}

/// Passwords in URLs never reach the report.
fn redacted(s: String) -> String {
    crate::output::text::redact_urls(&s).into_owned()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode(_path: &std::path::Path) -> Option<u32> {
    None
}

/// Runs every check.
pub fn checks(ctx: &Context) -> Vec<Check> {
    let mut out = Vec::new();

    // 1. Config directory.
    let state = match ctx.state() {
        Ok(s) => s,
        Err(e) => {
            out.push(Check::from_error("config directory", &e));
            return out;
        }
    };
    let dir = &state.dir().path;
    let rule = state.dir().rule.describe();
    if !dir.exists() {
        out.push(Check::ok(
            "config directory",
            format!("{} ({rule}; not created yet)", dir.display()),
        ));
    } else {
        match mode(dir) {
            Some(m) if m & 0o077 != 0 => out.push(Check::warn(
                "config directory",
                format!(
                    "{} ({rule}) is readable by others (mode {m:04o})",
                    dir.display()
                ),
                format!("chmod 700 {}", dir.display()),
            )),
            m => out.push(Check::ok(
                "config directory",
                format!(
                    "{} ({rule}{})",
                    dir.display(),
                    m.map(|m| format!(", mode {m:04o}")).unwrap_or_default()
                ),
            )),
        }
    }

    // 2. Files.
    let mut config: Option<Config> = None;
    let mut workspaces: Option<Workspaces> = None;
    let mut files_ok = true;
    for (name, secret) in [
        (CONFIG_FILE, false),
        (WORKSPACES_FILE, false),
        (AUTH_FILE, true),
        (auth::pending::PENDING_FILE, true),
    ] {
        let path = state.path(name);
        if std::fs::symlink_metadata(&path).is_err() {
            out.push(Check::ok(name, "not present"));
            continue;
        }
        let parsed: Result<()> = match name {
            CONFIG_FILE => files::read_json::<Config>(&path).map(|c| config = c),
            WORKSPACES_FILE => files::read_json::<Workspaces>(&path).map(|w| workspaces = w),
            AUTH_FILE => FileStore::new(&state).validate(),
            _ => auth::pending::load(&state).map(|_| ()),
        };
        match parsed {
            Err(e) => {
                files_ok = false;
                out.push(Check::from_error(name, &e));
            }
            Ok(()) => match mode(&path) {
                Some(m) if m & 0o077 != 0 && (secret || m & 0o002 != 0) => out.push(Check::warn(
                    name,
                    format!("valid, but readable by others (mode {m:04o})"),
                    format!("chmod 600 {}", path.display()),
                )),
                m => out.push(Check::ok(
                    name,
                    format!(
                        "valid{}",
                        m.map(|m| format!(" (mode {m:04o})")).unwrap_or_default()
                    ),
                )),
            },
        }
    }

    // 3. Secret store.
    let settings = ctx.auth_settings();
    let env_token = settings.api_token.clone();
    let env = ctx.env.name;
    let cached: Vec<String> = workspaces
        .as_ref()
        .map(|w| w.list(env).iter().map(|e| e.id.clone()).collect())
        .unwrap_or_default();
    let default = config
        .as_ref()
        .and_then(|c| c.default_workspace(env).map(str::to_string));
    let choice = secrets::choose_with(settings.store.keyring_var.as_deref(), || {
        Ok(config.as_ref().and_then(|c| c.keyring))
    });
    let mut store_ok = false;
    match &choice {
        Err(e) => out.push(Check::from_error("secret store", e)),
        Ok(c) => {
            let store = secrets::open_backend(&state, c.backend, &settings.store);
            let what = format!("{} ({})", store.describe(), c.reason.describe());
            if c.backend == Backend::File {
                store_ok = true;
                out.push(Check::ok("secret store", what));
            } else {
                match store.check() {
                    Ok(()) => {
                        store_ok = true;
                        out.push(Check::ok("secret store", format!("{what}, reachable")));
                    }
                    Err(e) if cached.is_empty() && default.is_none() => out.push(Check::warn(
                        "secret store",
                        format!("{what}: {} (not needed until you log in)", e.message()),
                        secrets::KEYCHAIN_HINT,
                    )),
                    Err(e) => out.push(Check::from_error("secret store", &e)),
                }
            }
        }
    }

    // 4. Token source and workspace override.
    let selected = auth::selected_workspace(&settings, &state);
    match (&env_token, &selected) {
        (Some(_), Ok(Some((id, _)))) => out.push(Check::warn(
            "token source",
            format!("NOTION_API_TOKEN wins over the stored login for workspace {id}"),
            "unset NOTION_API_TOKEN to use your stored login",
        )),
        (Some(_), _) => out.push(Check::ok("token source", "NOTION_API_TOKEN")),
        (None, Ok(Some((id, src)))) => {
            if *src != TokenSource::DefaultWorkspace && files_ok && !cached.contains(id) {
                out.push(Check::fail(
                    "workspace override",
                    format!(
                        "{} names workspace {id}, which is not logged in for environment {env}",
                        src.describe()
                    ),
                    Some(format!(
                        "`{}` lists the logged-in workspaces; `{}` adds one",
                        auth::debug_command(env),
                        auth::login_command(env, "")
                    )),
                    ExitCode::Auth,
                ));
            } else {
                out.push(Check::ok(
                    "token source",
                    format!("stored login for workspace {id} ({})", src.describe()),
                ));
            }
        }
        (None, Ok(None)) => out.push(Check::fail(
            "token source",
            format!("not logged in (environment {env})"),
            Some(format!(
                "run `{}`, or set NOTION_API_TOKEN to a personal access token",
                auth::login_command(env, "")
            )),
            ExitCode::Auth,
        )),
        // A corrupt config.json or workspaces.json was reported above.
        (None, Err(_)) if !files_ok => {}
        (None, Err(e)) => out.push(Check::from_error("token source", e)),
    }

    // 5. Token present, API reachable and token accepted.
    let cred = if env_token.is_some() || (files_ok && store_ok) {
        match ctx.credential() {
            Ok(c) => {
                out.push(Check::ok(
                    "token",
                    match &c.store {
                        Some(s) => format!("found in {s}"),
                        None => "from NOTION_API_TOKEN".to_string(),
                    },
                ));
                Some(c)
            }
            Err(e) => {
                // "not logged in" was reported above.
                if !out
                    .iter()
                    .any(|c| c.status == Status::Fail && c.code == Some(ExitCode::Auth))
                {
                    out.push(Check::from_error("token", &e));
                }
                None
            }
        }
    } else {
        None
    };
    if let Some(cred) = &cred {
        let policy = RetryPolicy {
            max_attempts: 2,
            max_wait: Duration::from_secs(5),
            announce: false,
            ..RetryPolicy::default()
        };
        match super::whoami::fetch_me(ctx, cred, API_TIMEOUT, &policy) {
            Ok(me) => {
                let ws = me["bot"]["workspace_name"]
                    .as_str()
                    .map(|w| format!(" in {w}"))
                    .unwrap_or_default();
                out.push(Check::ok(
                    "API",
                    format!(
                        "{} accepted the token: {}{ws}",
                        crate::http::host_of(ctx.env.api_base()),
                        super::whoami::describe_user(&me)
                    ),
                ));
            }
            Err(e) => out.push(Check::from_error("API", &ctx.after_error(e))),
        }
        // What the server said (names, messages) never shows the token.
        let t = cred.token.expose();
        for c in &mut out {
            c.detail = crate::http::redact::scrub(&c.detail, t).into_owned();
            c.hint = c
                .hint
                .take()
                .map(|h| crate::http::redact::scrub(&h, t).into_owned());
        }
    }

    // 6. Pending login.
    if let Ok(Some(p)) = auth::pending::load(&state) {
        let now = ctx.clock.unix_ms();
        let poll = match p.env_name() {
            Some(e) if e != crate::env::EnvName::Prod => format!("ntn login poll --env {e}"),
            _ => "ntn login poll".to_string(),
        };
        if let Some(a) = &p.approved {
            out.push(Check::warn(
                "pending login",
                format!(
                    "the login to {} ({}) was approved but is not stored yet",
                    a.workspace_name, a.workspace_id
                ),
                format!("run `{poll}` to store it"),
            ));
        } else if p.is_expired(now) {
            out.push(Check::warn(
                "pending login",
                format!("the login session started for {} has expired", p.env),
                "run `ntn login` to start a new one",
            ));
        } else {
            out.push(Check::ok(
                "pending login",
                format!(
                    "waiting for approval in {} (code {}, {} s left)",
                    p.env,
                    p.verification_code,
                    p.remaining_ms(now) / 1000
                ),
            ));
        }
    }
    out
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let checks = checks(ctx);
    let first_fail = checks.iter().find(|c| c.status == Status::Fail);
    let ok = first_fail.is_none();
    let ui = &ctx.ui;
    let format = args.format.format();
    if format == crate::output::Format::Json {
        ui.json(&serde_json::json!({"ok": ok, "checks": checks}))?;
    } else if format == crate::output::Format::Plain {
        let mut t = crate::output::Table::new(["NAME", "STATUS", "DETAIL", "HINT"]);
        for c in &checks {
            let status = match c.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "fail",
            };
            t.row([
                c.name.clone(),
                status.to_string(),
                c.detail.clone(),
                c.hint.clone().unwrap_or_default(),
            ]);
        }
        t.print(ui, crate::output::Format::Plain)?;
    } else {
        use crate::output::style::{BAD, DIM, OK, WARN};
        for c in &checks {
            let mark = match c.status {
                Status::Ok => format!("{OK}✓{OK:#}"),
                Status::Warn => format!("{WARN}!{WARN:#}"),
                Status::Fail => format!("{BAD}✗{BAD:#}"),
            };
            ui.line(format_args!(
                "{mark} {}: {}",
                c.name,
                crate::output::text::clean(&c.detail)
            ))?;
            if let Some(h) = &c.hint
                && c.status != Status::Ok
            {
                ui.line(format_args!(
                    "    {DIM}hint:{DIM:#} {}",
                    crate::output::text::clean(h)
                ))?;
            }
        }
    }
    match first_fail {
        None => Ok(()),
        Some(c) => {
            let n = checks.iter().filter(|c| c.status == Status::Fail).count();
            Err(Error::new(
                c.code.unwrap_or(ExitCode::Local),
                format!(
                    "{n} check{} failed; the first: {}",
                    if n == 1 { "" } else { "s" },
                    c.name
                ),
            ))
        }
    }
}
