//! `ntn whoami`: who the token in use belongs to.

use std::time::Duration;

use serde_json::Value;

use crate::auth::{Credential, TokenSource};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http::{ApiError, RetryPolicy};
use crate::notion::Notion;
use crate::output::text::clean;
use crate::output::{Format, FormatArgs, Table};

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Show who the token in use belongs to (GET /v1/users/me): the person or bot, \
the workspace, and where the token came from.\n\n\
--json prints the API's user object as received. --plain prints one tab-separated line \
without a header: user, workspace id, workspace name, token source (env, workspace_flag, \
workspace_env, default, only), store (keychain, auth.json; empty for NOTION_API_TOKEN).\n\n\
Examples:\n  ntn whoami\n  ntn whoami --json | jq .bot.workspace_name\n  \
ntn whoami --plain | cut -f2",
    after_long_help = crate::env_help!(@token)
)]
pub struct Args {
    #[command(flatten)]
    pub format: FormatArgs,
}

/// `GET {api}/v1/users/me` with `cred`. 401 becomes an auth error whose hint
/// names the token's source.
pub fn fetch_me(
    ctx: &Context,
    cred: &Credential,
    timeout: Duration,
    policy: &RetryPolicy,
) -> Result<Value> {
    let notion = Notion::new(
        ctx.http(timeout),
        cred.token.clone(),
        ctx.env.api_base(),
        ctx.notion_version(),
    );
    match notion.send(&notion.request("GET", "/v1/users/me"), policy) {
        Ok(resp) => resp.json(),
        Err(e) if e.data::<ApiError>().is_some_and(|a| a.status == 401) => {
            let api = e.data::<ApiError>().cloned();
            let err = rejected(ctx, cred).detail("HTTP 401");
            Err(match api {
                Some(a) => err.with_data(a),
                None => err,
            })
        }
        Err(e) => Err(e),
    }
}

/// The error for a token the API refused, naming where it came from (and,
/// for a stored login, the command that signs in to it again).
pub fn rejected(ctx: &Context, cred: &Credential) -> Error {
    match (&cred.source, &cred.workspace_id) {
        (TokenSource::EnvToken, _) | (_, None) => {
            Error::auth("NOTION_API_TOKEN was rejected by the API")
                .hint("check it, or unset it to use your stored login")
        }
        (_, Some(id)) => {
            let label = workspace_label(cred);
            Error::auth(format!(
                "the stored login for {label} was rejected by the API"
            ))
            .hint(crate::auth::rejected_hint(
                ctx.env.name,
                id,
                cred.workspace_name.as_deref(),
            ))
        }
    }
}

fn workspace_label(cred: &Credential) -> String {
    match (&cred.workspace_name, &cred.workspace_id) {
        (Some(n), _) => n.clone(),
        (None, Some(id)) => format!("workspace {id}"),
        (None, None) => "this workspace".into(),
    }
}

/// "Alice <alice@x> (through the bot "Notion CLI")", from a user object.
pub fn describe_user(me: &Value) -> String {
    let person = |u: &Value| -> String {
        let name = u["name"].as_str().unwrap_or("").trim();
        let email = u["person"]["email"].as_str().unwrap_or("").trim();
        match (name.is_empty(), email.is_empty()) {
            (false, false) => format!("{name} <{email}>"),
            (false, true) => name.to_string(),
            (true, false) => email.to_string(),
            (true, true) => u["id"].as_str().unwrap_or("unknown user").to_string(),
        }
    };
    if me["type"] == "bot" {
        let bot = me["name"].as_str().unwrap_or("a bot");
        let owner = &me["bot"]["owner"];
        if owner["type"] == "user" && owner["user"].is_object() {
            format!("{} (through the bot \"{bot}\")", person(&owner["user"]))
        } else {
            format!("the bot \"{bot}\" (owned by the workspace)")
        }
    } else {
        person(me)
    }
}

/// Where the credential came from, for people.
pub fn describe_source(cred: &Credential) -> String {
    match cred.source {
        TokenSource::EnvToken => "NOTION_API_TOKEN".to_string(),
        _ => format!(
            "stored login for {} ({}{})",
            workspace_label(cred),
            cred.source.describe(),
            cred.store
                .as_deref()
                .map(|s| format!(", in {s}"))
                .unwrap_or_default()
        ),
    }
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let cred = ctx.credential()?;
    let me = fetch_me(
        ctx,
        &cred,
        crate::http::REQUEST_TIMEOUT,
        &RetryPolicy::default(),
    )?;
    // The token works: a mark that the API once rejected it goes.
    if let Some(id) = &cred.workspace_id
        && let Err(e) = ctx
            .state()
            .and_then(|s| crate::auth::note_accepted(&s, ctx.env.name, id))
    {
        ctx.ui.warn(crate::output::text::clean(e.message()));
    }
    let ws_name = me["bot"]["workspace_name"]
        .as_str()
        .map(str::to_string)
        .or_else(|| cred.workspace_name.clone());
    let ws_id = me["bot"]["workspace_id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| cred.workspace_id.clone());
    match args.format.format() {
        Format::Json => return ctx.ui.json(&me),
        Format::Plain => {
            let mut t = Table::new(["USER", "WORKSPACE_ID", "WORKSPACE", "SOURCE", "STORE"]);
            t.row([
                describe_user(&me),
                ws_id.unwrap_or_default(),
                ws_name.unwrap_or_default(),
                super::auth::source_key(&cred.source).to_string(),
                cred.store.clone().unwrap_or_default(),
            ]);
            return t.print(&ctx.ui, Format::Plain);
        }
        Format::Human => {}
    }
    let e = crate::output::style::EMPH;
    let mut lines = vec![format!("{e}{}{e:#}", clean(&describe_user(&me)))];
    let ws_name = ws_name.map(|n| clean(&crate::state::cap_name(&n)).into_owned());
    let ws_id = ws_id.map(|n| clean(&n).into_owned());
    match (ws_name, ws_id) {
        (Some(n), Some(id)) => lines.push(format!("Workspace: {n} ({id})")),
        (Some(n), None) => lines.push(format!("Workspace: {n}")),
        (None, Some(id)) => lines.push(format!("Workspace: {id}")),
        (None, None) => {}
    }
    lines.push(format!("Token: {}", clean(&describe_source(&cred))));
    for l in lines {
        ctx.ui.line(&l)?;
    }
    Ok(())
}
