//! `ntn debug`: the resolved environment, files, secret store and workspaces.
//!
//! It never fails on a bad file or an unusable keychain: it reports them.

use std::path::Path;

use serde_json::{Value, json};

use crate::context::Context;
use crate::env::{ResolvedUrl, UrlSource};
use crate::error::Result;
use crate::secrets::{self, FileStore, SecretStore, TokenKey};
use crate::state::{AUTH_FILE, CONFIG_FILE, Config, State, WORKSPACES_FILE, Workspaces, files};

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Show what ntn resolved: version, environment and base URLs, the config \
directory and the rule that chose it, each state file and its state, the secret store and why, \
the logged-in workspaces (default marked, token stored or not) and the NOTION_* variables that \
are set (token values redacted). Nothing is sent over the network.\n\n\
Passwords in URLs are shown as ***.\n\n\
--plain prints tab-separated lines without a header, the first field saying what the line is:\n  \
version VERSION\n  environment ENV\n  url base|api|docs URL SOURCE (default or the variable)\n  \
config_dir PATH RULE MODE (or: config_dir - - ERROR)\n  \
file NAME ok|missing|corrupt MODE ERROR\n  \
store BACKEND STORE REASON ERROR\n  \
workspace ID NAME default|- stored|missing|unknown\n  variable NAME VALUE\n\n\
Examples:\n  ntn debug\n  ntn debug --json\n  ntn debug --plain | grep ^workspace",
    after_long_help = crate::env_help!(@token)
)]
pub struct Args {
    #[command(flatten)]
    pub format: crate::output::FormatArgs,
}

/// Variables shown by `ntn debug`; values of the secret ones are redacted.
pub const VARIABLES: &[&str] = &[
    "NOTION_ENV",
    "NOTION_HOME",
    "NOTION_BASE_URL",
    "NOTION_API_BASE_URL",
    "NOTION_API_DOCS_BASE_URL",
    "NOTION_API_TOKEN",
    "NOTION_WORKSPACE_ID",
    "NOTION_KEYRING",
];

/// `NOTION_*` variables that are set, secret values redacted.
pub fn variables(vars: &crate::vars::Vars) -> Vec<(String, String)> {
    let mut names: Vec<String> = vars
        .iter()
        .filter_map(|(k, _)| k.to_str().map(str::to_string))
        .filter(|k| k.starts_with("NOTION_"))
        .collect();
    for v in VARIABLES {
        if vars.is_set(v) && !names.iter().any(|n| n == v) {
            names.push(v.to_string());
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|k| {
            let raw = vars.get_os(&k).unwrap_or_default().to_os_string();
            let value = if crate::vars::is_secret_name(&k) {
                let n = raw.to_string_lossy().trim().chars().count();
                if n == 0 {
                    "<set, empty>".to_string()
                } else {
                    format!("<set, {n} chars>")
                }
            } else {
                crate::output::text::redact_url(&raw.to_string_lossy()).into_owned()
            };
            (k, value)
        })
        .collect()
}

fn url_json(u: &ResolvedUrl) -> Value {
    let url = crate::output::text::redact_url(&u.url);
    match &u.source {
        UrlSource::Default => json!({"url": url, "overridden": false, "variable": null}),
        UrlSource::Variable(v) => json!({"url": url, "overridden": true, "variable": v}),
    }
}

/// Octal mode of a path, e.g. "0600".
pub fn mode_of(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .ok()
            .map(|m| format!("{:04o}", m.permissions().mode() & 0o7777))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The state of one file: "missing", "ok" or "corrupt" (with the message).
fn file_json<T: serde::de::DeserializeOwned>(
    state: &State,
    name: &str,
    check: impl Fn(&T) -> std::result::Result<(), String>,
) -> (Value, Option<T>) {
    let path = state.path(name);
    let mode = mode_of(&path);
    let (status, error, value) = if std::fs::symlink_metadata(&path).is_err() {
        ("missing", None, None)
    } else {
        match files::read_json::<T>(&path) {
            Ok(Some(v)) => match check(&v) {
                Ok(()) => ("ok", None, Some(v)),
                Err(e) => ("corrupt", Some(e), None),
            },
            Ok(None) => ("missing", None, None),
            Err(e) => ("corrupt", Some(e.message().to_string()), None),
        }
    };
    (
        json!({
            "name": name,
            "path": path.display().to_string(),
            "state": status,
            "error": error,
            "mode": mode,
        }),
        value,
    )
}

/// Builds the report (never fails).
pub fn report(ctx: &Context) -> Value {
    let env = &ctx.env;
    let mut out = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "environment": env.name.as_str(),
        "urls": {
            "base": url_json(&env.base_url),
            "api": url_json(&env.api_base_url),
            "docs": url_json(&env.docs_base_url),
        },
    });
    let vars: serde_json::Map<String, Value> = variables(&ctx.vars)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let state = match ctx.state() {
        Ok(s) => s,
        Err(e) => {
            out["config_dir"] = json!({
                "path": null, "rule": null, "exists": false, "mode": null,
                "error": e.message(), "hint": e.hint_text(),
            });
            out["files"] = json!([]);
            out["keyring"] = json!(null);
            out["workspaces"] = json!([]);
            out["default_workspace"] = json!(null);
            out["variables"] = Value::Object(vars);
            return out;
        }
    };
    let dir = state.dir();
    out["config_dir"] = json!({
        "path": dir.path.display().to_string(),
        "rule": dir.rule.describe(),
        "exists": dir.path.is_dir(),
        "mode": mode_of(&dir.path),
        "error": null,
        "hint": null,
    });
    let (config_file, config) = file_json::<Config>(&state, CONFIG_FILE, |_| Ok(()));
    let (ws_file, workspaces) = file_json::<Workspaces>(&state, WORKSPACES_FILE, |_| Ok(()));
    let (mut auth_file, _) = file_json::<Value>(&state, AUTH_FILE, |_| Ok(()));
    if auth_file["state"] == "ok"
        && let Err(e) = FileStore::new(&state).validate()
    {
        auth_file["state"] = json!("corrupt");
        auth_file["error"] = json!(e.message());
    }
    let (pending_file, _) = file_json::<crate::auth::pending::PendingLogin>(
        &state,
        crate::auth::pending::PENDING_FILE,
        |_| Ok(()),
    );
    let config_ok = config_file["state"] != "corrupt";
    out["files"] = json!([config_file, ws_file, auth_file, pending_file]);

    // Secret store: the variable wins; a corrupt config.json cannot be read.
    let settings = ctx.store_settings();
    let choice = secrets::choose_with(settings.keyring_var.as_deref(), || {
        if config_ok {
            Ok(config.as_ref().and_then(|c| c.keyring))
        } else {
            Err(crate::Error::local("config.json is corrupt"))
        }
    });
    let store: Option<Box<dyn SecretStore>> = match &choice {
        Ok(c) => {
            let store = secrets::open_backend(&state, c.backend, &settings);
            out["keyring"] = json!({
                "backend": c.backend.as_str(),
                "store": store.describe(),
                "reason": c.reason.describe(),
                "error": null,
            });
            Some(store)
        }
        Err(e) => {
            out["keyring"] = json!({
                "backend": null, "store": null, "reason": null, "error": e.message(),
            });
            None
        }
    };

    let default = config
        .as_ref()
        .and_then(|c| c.default_workspace(env.name).map(str::to_string));
    let mut list = Vec::new();
    let mut store_error: Option<String> = None;
    if let Some(ws) = &workspaces {
        for w in ws.list(env.name) {
            let (stored, err) = match (&store, &store_error) {
                (_, Some(prev)) => (Value::Null, Some(prev.clone())),
                (None, None) => (Value::Null, Some("no usable secret store".to_string())),
                (Some(s), None) => match s.get(&TokenKey::new(env.name, &w.id)) {
                    Ok(t) => (Value::Bool(t.is_some()), None),
                    Err(e) => {
                        store_error = Some(e.message().to_string());
                        (Value::Null, Some(e.message().to_string()))
                    }
                },
            };
            list.push(json!({
                "id": w.id,
                "name": w.name,
                "default": default.as_deref() == Some(w.id.as_str()),
                "token_stored": stored,
                "token_error": err,
                "token_rejected_at": w.rejected_at(),
            }));
        }
    }
    if let Some(e) = store_error {
        out["keyring"]["error"] = Value::String(e);
    }
    out["workspaces"] = Value::Array(list);
    out["default_workspace"] = json!(default);
    out["variables"] = Value::Object(vars);
    out
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    use crate::output::Format;
    let r = report(ctx);
    match args.format.format() {
        Format::Json => ctx.ui.json(&r),
        Format::Plain => print_plain(ctx, &r),
        Format::Human => print_human(ctx, &r),
    }
}

/// A string of the report, cleaned for the terminal (it may hold names and
/// ids from the server or from state files, paths and variables).
fn s(v: &Value) -> std::borrow::Cow<'_, str> {
    crate::output::text::clean(v.as_str().unwrap_or(""))
}

/// A string of the report for a `--plain` cell ("-" when absent).
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn print_plain(ctx: &Context, r: &Value) -> Result<()> {
    use crate::output::{Format, Table};
    let mut t = Table::new(["KIND", "A", "B", "C", "D"]);
    t.row(["version".to_string(), cell(&r["version"])]);
    t.row(["environment".to_string(), cell(&r["environment"])]);
    for k in ["base", "api", "docs"] {
        let u = &r["urls"][k];
        let source = u["variable"].as_str().unwrap_or("default").to_string();
        t.row(["url".to_string(), k.to_string(), cell(&u["url"]), source]);
    }
    let cd = &r["config_dir"];
    match cd["error"].as_str() {
        Some(e) => t.row(["config_dir", "-", "-", e]),
        None => t.row([
            "config_dir".to_string(),
            cell(&cd["path"]),
            cell(&cd["rule"]),
            cell(&cd["mode"]),
        ]),
    }
    for f in r["files"].as_array().into_iter().flatten() {
        t.row([
            "file".to_string(),
            cell(&f["name"]),
            cell(&f["state"]),
            cell(&f["mode"]),
            cell(&f["error"]),
        ]);
    }
    let k = &r["keyring"];
    if k.is_object() {
        t.row([
            "store".to_string(),
            cell(&k["backend"]),
            cell(&k["store"]),
            cell(&k["reason"]),
            cell(&k["error"]),
        ]);
    }
    for w in r["workspaces"].as_array().into_iter().flatten() {
        let token = match &w["token_stored"] {
            Value::Bool(true) => "stored",
            Value::Bool(false) => "missing",
            _ => "unknown",
        };
        t.row([
            "workspace".to_string(),
            cell(&w["id"]),
            cell(&w["name"]),
            if w["default"] == true { "default" } else { "-" }.to_string(),
            token.to_string(),
        ]);
    }
    for (name, v) in r["variables"].as_object().into_iter().flatten() {
        t.row(["variable".to_string(), name.clone(), cell(v)]);
    }
    t.print(&ctx.ui, Format::Plain)
}

fn print_human(ctx: &Context, r: &Value) -> Result<()> {
    use crate::output::style::{BAD, DIM, EMPH, OK, WARN};
    let mut lines: Vec<String> = Vec::new();
    let h = |t: &str| format!("{EMPH}{t}{EMPH:#}");
    lines.push(format!("{} {}", h("ntn"), s(&r["version"])));
    lines.push(format!("{}  {}", h("environment:"), s(&r["environment"])));
    lines.push(h("URLs:"));
    for (k, label) in [("base", "base"), ("api", "api "), ("docs", "docs")] {
        let u = &r["urls"][k];
        let note = match u["variable"].as_str() {
            Some(v) => format!("  {DIM}(from {v}){DIM:#}"),
            None => format!("  {DIM}(default){DIM:#}"),
        };
        lines.push(format!("  {label}  {}{note}", s(&u["url"])));
    }
    let cd = &r["config_dir"];
    if cd["error"].is_string() {
        lines.push(format!(
            "{}  {BAD}{}{BAD:#}",
            h("config directory:"),
            s(&cd["error"])
        ));
        if cd["hint"].is_string() {
            lines.push(format!("  hint: {}", s(&cd["hint"])));
        }
    } else {
        let exists = if cd["exists"] == true {
            format!("mode {}", s(&cd["mode"]))
        } else {
            "not created yet".to_string()
        };
        lines.push(format!(
            "{}  {}  {DIM}({}; {exists}){DIM:#}",
            h("config directory:"),
            s(&cd["path"]),
            s(&cd["rule"])
        ));
    }
    if let Some(files) = r["files"].as_array().filter(|f| !f.is_empty()) {
        lines.push(h("files:"));
        for f in files {
            let st = match s(&f["state"]).as_ref() {
                "ok" => format!("{OK}ok{OK:#}"),
                "missing" => format!("{DIM}missing{DIM:#}"),
                _ => format!("{BAD}corrupt: {}{BAD:#}", s(&f["error"])),
            };
            let mode = f["mode"]
                .as_str()
                .map(|m| format!("  {DIM}mode {m}{DIM:#}"))
                .unwrap_or_default();
            lines.push(format!("  {:<20} {st}{mode}", s(&f["name"])));
        }
    }
    let k = &r["keyring"];
    if k.is_object() {
        let line = if k["store"].is_string() {
            format!(
                "{}  {}  {DIM}({}){DIM:#}",
                h("secret store:"),
                s(&k["store"]),
                s(&k["reason"])
            )
        } else {
            format!("{}  {BAD}unknown{BAD:#}", h("secret store:"))
        };
        lines.push(line);
        if k["error"].is_string() {
            lines.push(format!("  {WARN}{}{WARN:#}", s(&k["error"])));
        }
    }
    let ws = r["workspaces"].as_array().cloned().unwrap_or_default();
    if ws.is_empty() {
        lines.push(format!("{}  {DIM}none{DIM:#}", h("workspaces:")));
    } else {
        lines.push(h("workspaces:"));
        for w in &ws {
            let mark = if w["default"] == true { "*" } else { " " };
            let mut token = match &w["token_stored"] {
                Value::Bool(true) => format!("{OK}token stored{OK:#}"),
                Value::Bool(false) => format!("{BAD}token missing{BAD:#}"),
                _ => format!("{WARN}token unknown{WARN:#}"),
            };
            if w["token_rejected_at"].is_string() {
                token.push_str(&format!(
                    "  {WARN}rejected by the API at {}{WARN:#}",
                    s(&w["token_rejected_at"])
                ));
            }
            lines.push(format!(
                "  {mark} {}  {}  {token}",
                s(&w["id"]),
                s(&w["name"])
            ));
        }
        lines.push(format!("  {DIM}(* = default){DIM:#}"));
    }
    if let Some(d) = r["default_workspace"].as_str()
        && !ws.iter().any(|w| w["id"] == d)
    {
        lines.push(format!(
            "  {WARN}default workspace {} is not in workspaces.json{WARN:#}",
            crate::output::text::clean(d)
        ));
    }
    let vars = r["variables"].as_object().cloned().unwrap_or_default();
    if vars.is_empty() {
        lines.push(format!("{}  {DIM}none set{DIM:#}", h("variables:")));
    } else {
        lines.push(h("variables:"));
        for (k, v) in vars {
            lines.push(format!("  {}={}", crate::output::text::clean(&k), s(&v)));
        }
    }
    for l in lines {
        ctx.ui.line(&l)?;
    }
    Ok(())
}
