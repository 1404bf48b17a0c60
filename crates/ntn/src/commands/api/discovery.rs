//! `ntn api` discovery from the OpenAPI spec: `ls`, `<path> --help`,
//! `--spec` and `--docs` (the spec is loaded and searched by
//! [`crate::notion::spec`]).

use std::io::Write;

use super::{Args, DEFAULT_TIMEOUT};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http::{Request, RetryPolicy};
use crate::notion::spec;
use crate::output::{self, Format, Table, stdout_error};

pub fn print_command_help(ctx: &Context) -> Result<()> {
    let mut cmd = crate::cli::command(&ctx.ui);
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
        &ctx.http_within(crate::http::REQUEST_TIMEOUT),
        &ctx.vars,
        ctx.env.docs_base(),
    )
}

pub fn list(ctx: &Context, args: &Args) -> Result<()> {
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

pub fn operation_help(ctx: &Context, typed: &str) -> Result<()> {
    let spec = load_spec(ctx)?;
    let p = spec_path(ctx, typed);
    let template = spec.resolve(&p).ok_or_else(|| spec::unknown_path(typed))?;
    let text = spec.help(&template, &p);
    let mut out = ctx.ui.out();
    out.write_all(output::text::clean_text(&text).as_bytes())
        .and_then(|_| out.flush())
        .map_err(stdout_error)
}

pub fn print_spec(ctx: &Context, typed: &str, args: &Args) -> Result<()> {
    let spec = load_spec(ctx)?;
    let p = spec_path(ctx, typed);
    let op = spec::pick_operation(&spec, &p, args.method.as_deref(), "--spec")?;
    let fragment = spec
        .fragment(&op.path, &op.method)
        .ok_or_else(|| spec::unknown_path(typed))?;
    ctx.ui.json(&fragment)
}

pub fn print_docs(ctx: &Context, typed: &str, args: &Args) -> Result<()> {
    let spec = load_spec(ctx)?;
    let p = spec_path(ctx, typed);
    let op = spec::pick_operation(&spec, &p, args.method.as_deref(), "--docs")?;
    let url = spec::docs_url(ctx.env.docs_base(), &op).ok_or_else(|| {
        Error::local(format!(
            "the spec gives {} {} no operation id or docs page",
            op.method, op.path
        ))
    })?;
    let client = ctx.http_within(args.timeout.unwrap_or(DEFAULT_TIMEOUT));
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
