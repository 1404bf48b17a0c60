//! `ntn api`: any request to the Notion public API, plus discovery from the
//! OpenAPI spec (`ls`, `--spec`, `--docs`, `<path> --help`).
//!
//! This module parses the arguments and renders; the request itself is
//! planned by [`crate::notion::request`] (URL, method, headers, where the
//! body comes from, when stdin is read) and sent by the HTTP layer (retries,
//! the `--timeout` deadline, redirects).
//!
//! Rendering: a JSON response is pretty and coloured on a terminal (streamed,
//! whatever its size) and passed through otherwise; a text body that does not
//! end with a newline gets one. An error answer's body is printed on stdout
//! too (as `gh api` does), its summary on stderr: `error: <message> (<status>
//! <code>)`; 401 exits 4 with a hint naming the token in use, other API
//! errors exit 5. ntn's own token is scrubbed (`[REDACTED]`) from an error
//! answer, on stderr and in the error body on stdout (a diagnostic); a
//! success body is data and is passed on byte for byte.

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::{Credential, TokenSource};
use crate::context::Context;
use crate::error::{Error, ExitCode, Result};
use crate::http::retry::{self, Replay};
use crate::http::{ApiError, Limit, RetryPolicy};
use crate::notion::operations::Operations;
use crate::notion::request::{self, Ask, MethodFrom, Plan, Stdin};
use crate::notion::spec;
use crate::output::FormatArgs;

mod discovery;
pub mod inputs;
pub mod paginate;
mod render;

/// Time limit of a request (retries included) unless --timeout says.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time limit of a --paginate run unless --timeout says.
const DEFAULT_PAGINATE_TIMEOUT: Duration = Duration::from_secs(600);

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
The body comes from exactly one of: -d/--data (JSON, @FILE or @- for stdin), inline fields, \
--file, or stdin. Stdin is read only when it is the body: with -d @-, or when no other body \
is given, stdin is not a terminal and the request takes a body (-X POST, PATCH or PUT, or a \
path that only accepts those, such as v1/search). A GET never reads stdin, so \
`... | while read id; do ntn api v1/pages/$id; done` works.\n\n\
The method: -X; else, with a body, the path's method with a body (PATCH for v1/pages/ID), \
else POST; without a body, POST for a path that only takes POST (v1/search, \
v1/data_sources/ID/query), else GET. A body with -X GET is an error. An invalid method, \
header or URL is a usage error (exit 2) and is never sent.\n\n\
Examples:\n  \
ntn api v1/users/me\n  \
ntn api v1/search query=Roadmap page_size:=10\n  \
ntn api v1/pages parent[page_id]=ID 'properties[title][title][0][text][content]=Hi'\n  \
ntn api v1/data_sources/ID/query --paginate > rows.json\n  \
ntn api ls\n  \
ntn api v1/pages/ID --help\n\n\
Output: the response body on stdout, pretty and coloured on a terminal; a text body always \
ends with a newline. On an error answer the body (Notion's error object) is printed on stdout \
too, the summary on stderr, and ntn exits 4 for 401 and 5 for other errors. -i adds the \
status line and headers. --json is accepted (responses are JSON already); --plain applies to \
`ntn api ls`.\n\n\
With --paginate, every `results` item of every page is written as one JSON array. When a page \
fails midway, the array is left open (the output is incomplete) and ntn exits non-zero. When \
Notion says its answer is incomplete (a data source query past its 10,000-row limit), the array \
is closed, a warning says so and ntn exits 3: `ntn datasources query --all` reads past the limit.\n\n\
--timeout bounds the whole command, retries and waits included (default 60 s, 10 minutes with \
--paginate); a connection on which nothing moves for 30 s is given up as well. Redirects are \
followed (a 307 or 308 keeps the method and the body); one that would turn a POST into a GET is \
an error; the token and your headers never go to another host.\n\n\
A 429 is waited out and the request sent again. A POST, PATCH or DELETE that fails after it \
was sent (5xx, a timeout, a cut connection) is not sent again: the server may have applied \
it, and the error says so. GETs, searches, queries and --paginate are retried. Your token is \
shown as [REDACTED] wherever a server echoes it in an error.\n\n\
Bad JSON given with -d on the command line exits 2 (usage); bad JSON read from a file or stdin \
exits 1. -d @FILE is streamed from the file; bodies held in memory (stdin, or a file with \
--paginate or --file) may be up to 64 MiB.",
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

    /// HTTP method: GET, POST, PATCH, PUT, DELETE, HEAD or OPTIONS (default: from the path and the body)
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

    /// Give up after this many seconds, retries included [default: 60, 600 with --paginate]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

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
        return Err("the timeout must be more than 0 and at most 86400 seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let path = args.path.clone();
    match path.as_deref() {
        _ if args.help && matches!(path.as_deref(), None | Some("ls")) => {
            discovery::print_command_help(ctx)
        }
        None => Err(Error::usage("missing the endpoint path")
            .hint("for example `ntn api v1/users/me`; `ntn api ls` lists the endpoints")),
        Some("ls") => discovery::list(ctx, &args),
        Some(p) if args.help => discovery::operation_help(ctx, p),
        Some(p) if args.spec => discovery::print_spec(ctx, p, &args),
        Some(p) if args.docs => discovery::print_docs(ctx, p, &args),
        Some(p) => request(ctx, p, &args),
    }
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
    if args.format.plain {
        return Err(Error::usage("--plain applies to `ntn api ls`")
            .hint("API responses are JSON; pipe them to jq, or use --json (the default)"));
    }
    if args.paginate && args.include {
        return Err(Error::usage("--include cannot be combined with --paginate"));
    }
    if args.paginate && args.file.is_some() {
        return Err(Error::usage("--file cannot be combined with --paginate"));
    }
    let parsed = inputs::parse_all(&args.inputs)?;
    let ops = Operations::load(spec::operations_file(&ctx.vars, ctx.env.docs_base()).as_deref());
    let version = args
        .notion_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(ctx.notion_version());
    let ui = &ctx.ui;
    let mut read_stdin = || ui.take_stdin();
    let plan = request::plan(
        ctx.env.api_base(),
        Ask {
            path: typed,
            method: args.method.as_deref(),
            data: args.data.as_deref(),
            fields: parsed.body,
            query: &parsed.query,
            headers: &parsed.headers,
            file: args.file.as_deref(),
            paginate: args.paginate,
            version,
        },
        &ops,
        Stdin {
            kind: ui.stdin_kind(),
            read: &mut read_stdin,
        },
    )?;
    let cred = if plan.user_authorization {
        None
    } else {
        crate::http::check_token_transport(&plan.url)?;
        Some(ctx.credential()?)
    };
    let req = plan.request(cred.as_ref().map(|c| &c.token));
    let hints = Hints {
        unauthorized: unauthorized_hint(cred.as_ref()),
        method: method_hint(&plan, typed),
    };
    // A search or a query only reads: sending it again is safe. Any other
    // POST, PATCH or DELETE is replayed only after a 429 (see http::retry).
    let replay = if reads_only(&plan) || args.paginate {
        Replay::Safe
    } else {
        Replay::ByMethod
    };
    let policy = RetryPolicy {
        return_errors: true,
        replay,
        ..RetryPolicy::default()
    };
    let map_err = |e: Error| hints.apply(retry::check_applied(&req, &policy, e));
    let timeout = args.timeout.unwrap_or(if args.paginate {
        DEFAULT_PAGINATE_TIMEOUT
    } else {
        DEFAULT_TIMEOUT
    });
    let client = ctx.http_within(timeout);
    if args.paginate {
        let opts = paginate::Options {
            max_items: args.max_items,
            pretty: ui.stdout_is_tty(),
            color: ui.out_color(),
        };
        // Paced like `datasources query`: learn the rate limit from the first
        // 429 and space the pages, instead of hitting a wall of 429s.
        let paced = RetryPolicy {
            replay,
            gate: Some(std::sync::Arc::new(crate::notion::pace::Pacer::new(
                ctx.clock.clone(),
            ))),
            ..RetryPolicy::default()
        };
        let pages = crate::notion::Pages::new(client, req.clone(), plan.json().cloned(), paced)?;
        return paginate::run(ui, pages, &opts, &map_err);
    }
    let mut open = plan.open_body();
    let resp = client
        .send_streaming(&req, &policy, open.as_deref_mut())
        .map_err(&map_err)?;
    let token = cred.as_ref().map(|c| c.token.expose());
    render::render(ctx, args, resp, token, &map_err)
}

/// Whether the request is a POST that only reads (a search, a query of a
/// data source or database), by the endpoint it belongs to.
fn reads_only(plan: &Plan) -> bool {
    let Some(endpoint) = &plan.endpoint else {
        return false;
    };
    let template = endpoint.template.trim_start_matches('/');
    plan.method == "POST" && (template == "v1/search" || template.ends_with("/query"))
}

/// Hints that make an error say what to do in `ntn api`'s terms.
struct Hints {
    unauthorized: String,
    method: Option<String>,
}

impl Hints {
    fn apply(&self, e: Error) -> Error {
        if e.exit_code() == ExitCode::Auth {
            return e.hint(self.unauthorized.clone());
        }
        if e.may_have_applied() {
            // Its hint says to check before trying again: keep it.
            return e;
        }
        if let Some(Limit::Deadline { .. }) = e.data::<Limit>() {
            return e.hint("the server is slow or unreachable; try again, or raise --timeout");
        }
        let wrong_method = e
            .data::<ApiError>()
            .is_some_and(|a| a.status == 405 || (a.status == 400 && a.is("invalid_request_url")));
        match &self.method {
            Some(h) if wrong_method => e.hint(h.clone()),
            _ => e,
        }
    }
}

/// A GET chosen by default for a path ntn does not know, answered as a
/// wrong method: say how to fix it.
fn method_hint(plan: &Plan, typed: &str) -> Option<String> {
    (plan.method_from == MethodFrom::Default).then(|| {
        format!(
            "GET was used because there is no body; if this endpoint takes POST, add -X POST \
             (`ntn api {} --help` lists its methods)",
            crate::output::text::clean(typed.trim_start_matches('/'))
        )
    })
}

/// Writes the answer: `-i` head, then the body (for an error too), then the
/// error itself (its summary goes to stderr).
#[cfg(test)]
mod tests {
    use super::*;

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
