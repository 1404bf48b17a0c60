//! `ntn users`: the workspace's members and bots (`list`), one user (`get`), the
//! token's own user (`me`). Thin: the requests and how a user reads are in
//! [`crate::notion::users`].

use clap::Subcommand;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::http;
use crate::notion::Notion;
use crate::notion::users;
use crate::output::text::one_line;
use crate::output::{Format, FormatArgs, Mode, RecordArgs};

/// The environment variables every `ntn users` command honours.
const ENV_HELP: &str = crate::env_help!(
    "  NOTION_API_TOKEN           a personal access token; wins over stored logins",
    "  NOTION_WORKSPACE_ID        use this logged-in workspace for one command",
    "  NOTION_API_VERSION         Notion-Version header to send",
);

#[derive(Debug, clap::Args)]
#[command(
    long_about = "The people and bots of the workspace: list them, read one, or show the \
token's own user.\n\n\
Examples:\n  ntn users list\n  ntn users get alice@acme.test\n  ntn users me --json",
    after_long_help = ENV_HELP
)]
pub struct Args {
    #[command(subcommand)]
    pub command: UsersCommand,
}

/// The long help of `ntn users list`.
pub const LIST_ABOUT: &str = "List the workspace's members and bots the token may list: name, \
email, id, type (person or bot). Notion leaves guests out of the list (read one by id with \
`ntn users get`).\n\n\
--plain prints tab-separated name, email, id, type without a header; --json one JSON array of \
Notion's user objects as received.\n\n\
Notion does not let personal access tokens (nor integrations without the user information \
capability) list users: the command then says so; `ntn users get ID` still works.\n\n\
Examples:\n  ntn users list\n  ntn users list --plain | cut -f2\n  \
ntn users list --json | jq -r '.[] | select(.type == \"bot\") | .name'";

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub format: RecordArgs,
}

/// The long help of `ntn users get`.
pub const GET_ABOUT: &str = "Show one user: name, email, id, type (person or bot; a bot's owner \
when Notion says).\n\n\
USER is a user id (guests and bots too), an email, or a name nobody else has (those two are \
looked up in the list of users, which personal access tokens cannot read: give the id then).\n\n\
--plain prints one tab-separated line: name, email, id, type; --json the user object as \
received.\n\n\
Examples:\n  ntn users get alice@acme.test\n  ntn users get \"Alice Example\" --plain | cut -f3\n  \
ntn users get 2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c --json";

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// A user id, an email or a unique name
    #[arg(value_name = "USER")]
    pub user: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// The long help of `ntn users me`.
pub const ME_ABOUT: &str = "Show the token's own user (GET /v1/users/me): for an integration's \
token a bot, with its owner when Notion says (a person, or the workspace).\n\n\
--plain prints one tab-separated line: name, email, id, type, owner; --json the user object \
as received.\n\n\
Examples:\n  ntn users me\n  ntn users me --json | jq .bot.owner";

#[derive(Debug, clap::Args)]
pub struct MeArgs {
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List the workspace's members and bots
    #[command(long_about = LIST_ABOUT, after_long_help = ENV_HELP)]
    List(ListArgs),
    /// Show one user, by id, email or name
    #[command(long_about = GET_ABOUT, after_long_help = ENV_HELP)]
    Get(GetArgs),
    /// Show the token's own user (a bot, and its owner)
    #[command(long_about = ME_ABOUT, after_long_help = ENV_HELP)]
    Me(MeArgs),
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        UsersCommand::List(a) => list(ctx, a),
        UsersCommand::Get(a) => get(ctx, a),
        UsersCommand::Me(a) => me(ctx, a),
    }
}

fn notion(ctx: &Context) -> Result<Notion> {
    Ok(ctx.notion(http::REQUEST_TIMEOUT)?.0)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// A user's cells: name, email, id, type.
fn cells(u: &Value) -> Vec<String> {
    vec![
        text(&u["name"]),
        text(&u["person"]["email"]),
        text(&u["id"]),
        users::kind(u).to_string(),
    ]
}

fn list(ctx: &Context, args: ListArgs) -> Result<()> {
    let all = users::list_all(&notion(ctx)?)?;
    let mode = args.format.mode();
    let headers = match mode {
        Mode::Table => ["NAME", "EMAIL", "ID", "TYPE"],
        _ => ["name", "email", "id", "type"],
    };
    let mut records = args
        .format
        .records(&ctx.ui, headers.map(String::from).to_vec());
    for u in &all {
        let raw = RawValue::from_string(u.to_string())
            .map_err(|e| Error::local("cannot write a user as JSON").cause(&e))?;
        records.push(u["id"].as_str().unwrap_or(""), || cells(u), &raw)?;
    }
    records.finish()?;
    if all.is_empty() && mode == Mode::Table {
        ctx.ui.message("No users.");
    }
    Ok(())
}

fn get(ctx: &Context, args: GetArgs) -> Result<()> {
    let user = users::lookup(&notion(ctx)?, &args.user)?;
    show(ctx, &user, &args.format, false)
}

fn me(ctx: &Context, args: MeArgs) -> Result<()> {
    let user = users::me(&notion(ctx)?)?;
    show(ctx, &user, &args.format, true)
}

/// One user in the chosen format; `with_owner` adds the owner column to `--plain`.
fn show(ctx: &Context, u: &Value, format: &FormatArgs, with_owner: bool) -> Result<()> {
    match format.format() {
        Format::Json => ctx.ui.json(u),
        Format::Plain => {
            let mut cells = cells(u);
            if with_owner {
                cells.push(users::owner(u).unwrap_or_default());
            }
            let line: Vec<String> = cells.iter().map(|c| one_line(c).into_owned()).collect();
            ctx.ui.line(line.join("\t"))
        }
        Format::Human => report(ctx, u),
    }
}

fn report(ctx: &Context, u: &Value) -> Result<()> {
    let kind = users::kind(u);
    let mut lines: Vec<(&str, String)> = vec![("Name", text(&u["name"]))];
    if let Some(e) = u["person"]["email"].as_str() {
        lines.push(("Email", e.to_string()));
    }
    lines.push(("ID", text(&u["id"])));
    lines.push((
        "Type",
        if kind.is_empty() {
            "unknown".into()
        } else {
            kind.to_string()
        },
    ));
    if kind == "bot" {
        if let Some(o) = users::owner(u) {
            lines.push(("Owner", o));
        }
        if let Some(w) = u["bot"]["workspace_name"].as_str() {
            lines.push(("Workspace", w.to_string()));
        }
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let bold = crate::output::style::EMPH;
    for (k, v) in lines {
        let v = one_line(&v);
        ctx.ui
            .line(format_args!("{bold}{k:<width$}{bold:#}  {v}"))?;
    }
    Ok(())
}
