//! `ntn api`: any request to the Notion public API, plus discovery from the
//! OpenAPI spec (`ls`, `--spec`, `--docs`, `<path> --help`).
//!
//! * The path (leading `/` optional) goes to the public API base with
//!   `Authorization: Bearer` (the token every command resolves) and
//!   `Notion-Version` (`--notion-version`, `NOTION_API_VERSION`, else the
//!   built-in default; no spec download is needed for a call). A full URL is
//!   accepted only when it is under the API base.
//! * Inline inputs: see [`inputs`]. Body from exactly one of stdin, `-d`, or
//!   inline inputs: see [`body`]. GET by default, POST with a body, `-X` wins.
//! * A JSON response is pretty and coloured on a terminal and passed through
//!   byte for byte otherwise; other bodies are printed raw.
//! * Errors: Notion's error objects become `error: <message> (<status> <code>)`;
//!   401 exits 4 with a hint naming the token in use; others exit 5.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::CommandFactory;

use crate::auth::{Credential, TokenSource};
use crate::cli::Cli;
use crate::context::Context;
use crate::error::{Error, ExitCode, Result};
use crate::http::{ApiError, Request, RetryPolicy};
use crate::notion::spec;
use crate::output::{self, Format, FormatArgs, Table, json, stdout_error};

pub mod body;
pub mod inputs;
pub mod paginate;

#[derive(Debug, clap::Args)]
#[command(
    disable_help_flag = true,
    long_about = "Make any request to the Notion public API.\n\n\
Inputs after the path, decided by their first operator:\n  \
field=text        string body field (nests: parent[page_id]=ID, a[0]=x, a[]=x)\n  \
field:=json       typed body field (done:=true, n:=3, tags:='[\"a\"]')\n  \
name==value       query parameter\n  \
Header:Value      request header\n\
A backslash makes the next character of a name literal (a\\=b=c).\n\n\
The body comes from exactly one of: stdin (when it is not a terminal), -d/--data, or inline \
fields. GET is the default, POST when there is a body; -X always wins.\n\n\
Examples:\n  \
ntn api v1/users/me\n  \
ntn api v1/search query=Roadmap page_size:=10\n  \
ntn api v1/pages parent[page_id]=ID 'properties[title][title][0][text][content]=Hi'\n  \
ntn api v1/data_sources/ID/query -X POST --paginate > rows.json\n  \
ntn api ls\n  \
ntn api v1/pages/ID --help\n\n\
With --paginate, every `results` item of every page is written as one JSON array. When a page \
fails midway, the array is left open (the output is incomplete) and ntn exits non-zero.\n\n\
Bad JSON given with -d on the command line exits 2 (usage); bad JSON read from a file or stdin \
exits 1.",
    after_long_help = crate::env_help!(
        "  NOTION_API_TOKEN           a personal access token; wins over stored logins",
        "  NOTION_WORKSPACE_ID        use this logged-in workspace",
        "  NOTION_API_VERSION         the Notion-Version header (default: built in)",
        "  XDG_CACHE_HOME             where the OpenAPI spec is cached (without NOTION_HOME)",
    )
)]
pub struct Args {
    /// Endpoint path such as v1/users/me (or a full URL under the API base); `ls` lists endpoints
    #[arg(value_name = "PATH")]
    pub path: Option<String>,

    /// Inline inputs: field=text, field:=json, name==value, Header:Value
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// HTTP method (default GET, or POST when there is a body)
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub method: Option<String>,

    /// Request body: JSON, @FILE, or @- for stdin
    #[arg(
        short = 'd',
        long,
        value_name = "JSON|@FILE|@-",
        allow_hyphen_values = true
    )]
    pub data: Option<String>,

    /// Send this file as multipart/form-data (part `file`; body fields become form fields)
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Print the response status line and headers before the body
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Do not print the response body
    #[arg(long)]
    pub silent: bool,

    /// Follow next_cursor and print every `results` item as one JSON array
    #[arg(long)]
    pub paginate: bool,

    /// With --paginate: stop after N items
    #[arg(long, value_name = "N", requires = "paginate")]
    pub max_items: Option<u64>,

    /// Give up on a request after this many seconds
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Notion-Version header to send
    #[arg(
        long,
        env = "NOTION_API_VERSION",
        value_name = "VERSION",
        hide_env_values = true
    )]
    pub notion_version: Option<String>,

    /// Print the OpenAPI fragment of the operation instead of calling it
    #[arg(long, conflicts_with = "docs")]
    pub spec: bool,

    /// Print the operation's documentation (markdown) instead of calling it
    #[arg(long)]
    pub docs: bool,

    #[command(flatten)]
    pub format: FormatArgs,

    /// Print help (with a path: the operation's methods and parameters)
    #[arg(short = 'h', long)]
    pub help: bool,
}

fn parse_seconds(s: &str) -> std::result::Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
        return Err("the timeout must be between 0 and 86400 seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let path = args.path.clone();
    match path.as_deref() {
        _ if args.help && matches!(path.as_deref(), None | Some("ls")) => print_command_help(ctx),
        None => Err(Error::usage("missing the endpoint path")
            .hint("for example `ntn api v1/users/me`; `ntn api ls` lists the endpoints")),
        Some("ls") => list(ctx, &args),
        Some(p) if args.help => operation_help(ctx, p),
        Some(p) if args.spec => print_spec(ctx, p, &args),
        Some(p) if args.docs => print_docs(ctx, p, &args),
        Some(p) => request(ctx, p, &args),
    }
}

fn print_command_help(ctx: &Context) -> Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let Some(api) = cmd.find_subcommand_mut("api") else {
        return Ok(());
    };
    let help = api.render_long_help();
    let mut out = ctx.ui.out();
    write!(out, "{}", help.ansi()).map_err(stdout_error)
}

/// The OpenAPI spec of this environment (cached; see [`spec::load`]).
fn load_spec(ctx: &Context) -> Result<spec::Spec> {
    spec::load(
        &ctx.http(crate::http::REQUEST_TIMEOUT),
        &ctx.vars,
        ctx.env.docs_base(),
    )
}

fn list(ctx: &Context, args: &Args) -> Result<()> {
    if let Some(extra) = args.inputs.first() {
        return Err(Error::usage(format!(
            "`ntn api ls` takes no inputs (got {extra:?})"
        )));
    }
    let spec = load_spec(ctx)?;
    let ops = spec.operations();
    match args.format.format() {
        Format::Json => ctx.ui.json(&spec::ls_json(&ops)),
        format => {
            let mut t = Table::new(["METHOD", "PATH", "SUMMARY"]);
            for o in &ops {
                t.row([o.method.clone(), o.path.clone(), o.summary.clone()]);
            }
            t.print(&ctx.ui, format)
        }
    }
}

/// The part of a typed path or URL used to find the operation.
fn spec_path(ctx: &Context, typed: &str) -> String {
    let base = ctx.env.api_base();
    typed
        .strip_prefix(base)
        .unwrap_or(typed)
        .trim_start_matches('/')
        .to_string()
}

fn operation_help(ctx: &Context, typed: &str) -> Result<()> {
    let spec = load_spec(ctx)?;
    let p = spec_path(ctx, typed);
    let template = spec.resolve(&p).ok_or_else(|| spec::unknown_path(typed))?;
    let text = spec.help(&template, &p);
    let mut out = ctx.ui.out();
    out.write_all(output::text::clean_text(&text).as_bytes())
        .and_then(|_| out.flush())
        .map_err(stdout_error)
}

fn print_spec(ctx: &Context, typed: &str, args: &Args) -> Result<()> {
    let spec = load_spec(ctx)?;
    let p = spec_path(ctx, typed);
    let op = spec::pick_operation(&spec, &p, args.method.as_deref(), "--spec")?;
    let fragment = spec
        .fragment(&op.path, &op.method)
        .ok_or_else(|| spec::unknown_path(typed))?;
    ctx.ui.json(&fragment)
}

fn print_docs(ctx: &Context, typed: &str, args: &Args) -> Result<()> {
    let spec = load_spec(ctx)?;
    let p = spec_path(ctx, typed);
    let op = spec::pick_operation(&spec, &p, args.method.as_deref(), "--docs")?;
    let url = spec::docs_url(ctx.env.docs_base(), &op).ok_or_else(|| {
        Error::local(format!(
            "the spec gives {} {} no operation id or docs page",
            op.method, op.path
        ))
    })?;
    let client = ctx.http(args.timeout);
    let req = Request::new("GET", &url).header("Accept", "text/markdown, text/plain, */*");
    let policy = RetryPolicy {
        return_errors: true,
        ..RetryPolicy::default()
    };
    let resp = client.send(&req, &policy)?;
    if !resp.is_success() {
        return Err(Error::api(format!(
            "no documentation page at {url} (HTTP {})",
            resp.status
        ))
        .hint(format!(
            "see the OpenAPI fragment instead: ntn api {} --spec -X {}",
            p, op.method
        )));
    }
    let mut out = ctx.ui.raw();
    out.write_all(&resp.body).map_err(stdout_error)?;
    if !resp.body.ends_with(b"\n") {
        out.write_all(b"\n").map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

/// The full URL of a typed path: under the API base, or refused.
pub fn build_url(api_base: &str, typed: &str) -> Result<String> {
    let lower = typed.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let under = typed.len() > api_base.len()
            && typed[..api_base.len()].eq_ignore_ascii_case(api_base)
            && matches!(typed.as_bytes()[api_base.len()], b'/' | b'?');
        if !under && !typed.eq_ignore_ascii_case(api_base) {
            return Err(Error::usage(format!(
                "refusing to send a request to {typed}: it is not under the API base {api_base}"
            ))
            .hint(
                "pass a path such as v1/users/me; to use another server set NOTION_API_BASE_URL",
            ));
        }
        return Ok(typed.to_string());
    }
    if typed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::usage(format!(
            "the path {typed:?} contains spaces or control characters"
        ))
        .hint("percent-encode them (%20), or pass query values as name==value"));
    }
    Ok(format!("{api_base}/{}", typed.trim_start_matches('/')))
}

fn add_query(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", crate::http::encode(k), crate::http::encode(v)))
        .collect();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", pairs.join("&"))
}

/// The hint for a 401, naming the token in use.
pub fn unauthorized_hint(cred: Option<&Credential>) -> String {
    match cred {
        Some(Credential {
            source: TokenSource::EnvToken,
            ..
        }) => "the token in NOTION_API_TOKEN was refused: check NOTION_API_TOKEN, or unset it \
               to use your stored login"
            .to_string(),
        Some(c) => {
            let which = match (&c.workspace_name, &c.workspace_id) {
                (Some(n), Some(id)) if n != id => format!("{n} ({id})"),
                (_, Some(id)) => id.clone(),
                (Some(n), None) => n.clone(),
                (None, None) => "this workspace".into(),
            };
            format!(
                "the stored login for {which} (chosen by {}) was refused: run `ntn login` to \
                 sign in again",
                c.source.describe()
            )
        }
        None => "the Authorization header you gave was refused".to_string(),
    }
}

fn request(ctx: &Context, typed: &str, args: &Args) -> Result<()> {
    if args.format.json || args.format.plain {
        return Err(Error::usage("--json and --plain apply to `ntn api ls`")
            .hint("API responses are JSON already; pipe them to a file or to jq"));
    }
    if args.paginate && args.include {
        return Err(Error::usage("--include cannot be combined with --paginate"));
    }
    if args.paginate && args.file.is_some() {
        return Err(Error::usage("--file cannot be combined with --paginate"));
    }
    let parsed = inputs::parse_all(&args.inputs)?;
    let url = add_query(&build_url(ctx.env.api_base(), typed)?, &parsed.query);
    let body = body::choose(&ctx.ui, args.data.as_deref(), parsed.body, || {
        body::read_stdin_body(&ctx.ui)
    })?;
    let multipart = match &args.file {
        Some(p) => Some(body::Multipart::new(p, body.as_ref().map(|b| &b.value))?),
        None => None,
    };
    let method = match &args.method {
        Some(m) => {
            let m = m.trim().to_ascii_uppercase();
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(Error::usage(format!(
                    "{:?} is not an HTTP method",
                    args.method
                )));
            }
            m
        }
        None if body.is_some() || multipart.is_some() => "POST".into(),
        None => "GET".into(),
    };
    let mut req = Request::new(&method, &url);
    let user_has = |name: &str| {
        parsed
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !user_has("notion-version") {
        let version = args
            .notion_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(ctx.notion_version());
        req = req.header("Notion-Version", version);
    }
    if !user_has("accept") {
        req = req.header("Accept", "application/json");
    }
    if let Some(m) = &multipart {
        req = req.header("Content-Type", &m.content_type());
    } else if let Some(b) = &body
        && !user_has("content-type")
    {
        req = req.body(
            serde_json::to_vec(&b.value).unwrap_or_default(),
            "application/json",
        );
    } else if let Some(b) = &body {
        req.body = Some(serde_json::to_vec(&b.value).unwrap_or_default());
    }
    for (k, v) in &parsed.headers {
        req = req.header(k, v);
    }
    let cred = if user_has("authorization") {
        None
    } else {
        crate::http::check_token_transport(&url)?;
        let c = ctx.credential()?;
        req = req.bearer(&c.token);
        Some(c)
    };
    let hint = unauthorized_hint(cred.as_ref());
    // A GET chosen by default to an endpoint that only takes POST (a query,
    // search) is answered `invalid_request_url`: say how to fix it.
    let method_hint = (args.method.is_none() && method == "GET").then(|| {
        format!(
            "GET was used because there is no body; if this endpoint takes POST, add -X POST \
             (`ntn api {} --help` lists its methods)",
            typed.trim_start_matches('/')
        )
    });
    let map_err = move |e: Error| -> Error {
        if e.exit_code() == ExitCode::Auth {
            e.hint(hint.clone())
        } else if let Some(h) = method_hint.as_ref().filter(|_| {
            e.data::<ApiError>().is_some_and(|a| {
                a.status == 405 || (a.status == 400 && a.is("invalid_request_url"))
            })
        }) {
            e.hint(h.clone())
        } else {
            e
        }
    };
    let client = ctx.http(args.timeout);
    let ui = &ctx.ui;
    let tty = ui.stdout_is_tty();
    let color = ui.out_color();

    if args.paginate {
        let opts = paginate::Options {
            max_items: args.max_items,
            pretty: tty,
            color,
        };
        let pages =
            crate::notion::Pages::new(client, req, body.map(|b| b.value), RetryPolicy::default())?;
        return paginate::run(ui, pages, &opts, &map_err);
    }

    let policy = RetryPolicy {
        return_errors: true,
        ..RetryPolicy::default()
    };
    let mut open = multipart.as_ref().map(|m| move || m.open());
    let resp = client
        .send_streaming(
            &req,
            &policy,
            open.as_mut().map(|f| f as &mut crate::http::OpenBody<'_>),
        )
        .map_err(&map_err)?;
    let head = crate::http::response_head(&resp);
    let mut out = ui.raw();
    if args.include {
        write_head(&mut out, &resp).map_err(stdout_error)?;
    }
    if !head.is_success() {
        out.flush().map_err(stdout_error)?;
        drop(out);
        let full = crate::http::buffer_response(&client, &url, resp).map_err(|e| e.error)?;
        if ctx.verbose() && !full.body.is_empty() {
            ui.message(output::text::clean_text(&String::from_utf8_lossy(
                &full.body,
            )));
        }
        return Err(map_err(crate::http::error_from_response(&full)));
    }
    if args.silent {
        drop(out);
        let mut sink = std::io::sink();
        let mut resp = resp;
        let _ = std::io::copy(&mut resp.body_mut().as_reader(), &mut sink);
        return Ok(());
    }
    let is_json = json::is_json_type(head.header("content-type"));
    let mut resp = resp;
    let read_err = |e: std::io::Error| {
        Error::api(format!(
            "the connection broke while reading the response from {}",
            crate::http::host_of(&url)
        ))
        .hint("check your network and try again")
        .cause(&e)
    };
    let written: u64 = if tty && is_json {
        let mut buf = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(crate::http::MAX_BODY)
            .read_to_end(&mut buf)
            .map_err(read_err)?;
        if !buf.is_empty() && json::is_json(&buf) {
            json::pretty(&buf, &mut out, color, 0).map_err(stdout_error)?;
            out.write_all(b"\n").map_err(stdout_error)?;
        } else {
            out.write_all(&buf).map_err(stdout_error)?;
        }
        buf.len() as u64
    } else {
        copy_body(&mut resp.body_mut().as_reader(), &mut out).map_err(|e| match e {
            CopyError::Read(e) => read_err(e),
            CopyError::Write(e) => stdout_error(e),
        })?
    };
    out.flush().map_err(stdout_error)?;
    drop(out);
    if written == 0 {
        ui.note(format_args!("empty response (HTTP {})", head.status));
    }
    Ok(())
}

enum CopyError {
    Read(std::io::Error),
    Write(std::io::Error),
}

fn copy_body(r: &mut dyn Read, w: &mut dyn Write) -> std::result::Result<u64, CopyError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        w.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

fn write_head(out: &mut dyn Write, resp: &ureq::http::Response<ureq::Body>) -> std::io::Result<()> {
    let status = resp.status();
    writeln!(
        out,
        "HTTP/1.1 {} {}\r",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )?;
    for (k, v) in resp.headers() {
        let v = String::from_utf8_lossy(v.as_bytes());
        writeln!(
            out,
            "{}: {}\r",
            k.as_str(),
            crate::http::redact_header(k.as_str(), &v)
        )?;
    }
    out.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stay_under_the_api_base() {
        let base = "https://api.notion.com";
        assert_eq!(
            build_url(base, "v1/users/me").unwrap(),
            "https://api.notion.com/v1/users/me"
        );
        assert_eq!(
            build_url(base, "/v1/users/me").unwrap(),
            "https://api.notion.com/v1/users/me"
        );
        assert_eq!(
            build_url(base, "https://api.notion.com/v1/users").unwrap(),
            "https://api.notion.com/v1/users"
        );
        for bad in [
            "https://evil.com/v1/users",
            "https://api.notion.com.evil.com/v1",
            "http://api.notion.com/v1/users",
        ] {
            assert_eq!(
                build_url(base, bad).unwrap_err().exit_code().code(),
                2,
                "{bad}"
            );
        }
        assert!(build_url(base, "v1/a b").is_err());
    }

    #[test]
    fn query_inputs_are_encoded() {
        assert_eq!(
            add_query("http://x/v1/users", &[("a b".into(), "c&d".into())]),
            "http://x/v1/users?a%20b=c%26d"
        );
        assert_eq!(
            add_query("http://x/v1?x=1", &[("y".into(), "2".into())]),
            "http://x/v1?x=1&y=2"
        );
    }

    #[test]
    fn unauthorized_hints_name_the_source() {
        let mut c = Credential {
            token: crate::secrets::Token::new("t"),
            source: TokenSource::EnvToken,
            workspace_id: None,
            workspace_name: None,
            store: None,
        };
        assert!(unauthorized_hint(Some(&c)).contains("NOTION_API_TOKEN"));
        c.source = TokenSource::DefaultWorkspace;
        c.workspace_id = Some("w1".into());
        c.workspace_name = Some("Acme".into());
        let h = unauthorized_hint(Some(&c));
        assert!(h.contains("Acme (w1)") && h.contains("ntn login"), "{h}");
    }
}
