//! `ntn auth`: work with the stored credentials.

use clap::Subcommand;

use crate::context::Context;
use crate::error::{Error, Result};

#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::env_help!(@token))]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<AuthCommand>,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Print the token a command would use (the only command that prints one)
    #[command(
        long_about = "Print the token a command would use, on stdout followed by a newline. \
This is the only command that prints a token: keep its output out of logs.\n\n\
The token is NOTION_API_TOKEN when set, else this environment's stored token of \
--workspace, else of NOTION_WORKSPACE_ID, else of its default workspace, else of its only \
logged-in workspace.\n\n\
--json prints {\"token\",\"source\",\"workspace_id\",\"workspace_name\",\"store\"}. --plain \
prints one tab-separated line without a header: token, source (env, workspace_flag, \
workspace_env, default, only), workspace id, workspace name, store (the last three empty \
for NOTION_API_TOKEN).\n\n\
Examples:\n  curl -H \"Authorization: Bearer $(ntn auth token)\" ...\n  ntn auth token --json\n  \
ntn auth token --plain | cut -f2",
        after_long_help = crate::env_help!(@token)
    )]
    Token(TokenArgs),
}

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub format: crate::output::FormatArgs,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        Some(AuthCommand::Token(a)) => token(ctx, a),
        None => {
            let mut cmd = crate::cli::command(&ctx.ui);
            let help = match cmd.find_subcommand_mut("auth") {
                Some(sub) => sub.render_long_help().to_string(),
                None => cmd.render_long_help().to_string(),
            };
            ctx.ui.line(help.trim_end())
        }
    }
}

fn token(ctx: &Context, args: TokenArgs) -> Result<()> {
    use crate::output::{Format, Table};
    let cred = ctx.credential()?;
    // A token holding an escape, CR/LF, whitespace or RLO (stored by an older
    // ntn from a hostile server) is not printed raw: it would be obeyed by
    // the terminal, and no server would accept it anyway.
    if cred.token.expose().chars().any(|c| !c.is_ascii_graphic()) {
        let again = match cred.source {
            crate::auth::TokenSource::EnvToken => "set NOTION_API_TOKEN to a valid token",
            _ => "run `ntn login` to sign in again",
        };
        return Err(Error::local(format!(
            "the token from {} holds characters that are not printable ASCII \
             (a control character, whitespace or a direction mark); ntn does not print it",
            cred.source.describe()
        ))
        .hint(again));
    }
    match args.format.format() {
        Format::Json => ctx.ui.json(&serde_json::json!({
            "token": cred.token.expose(),
            "source": source_key(&cred.source),
            "workspace_id": cred.workspace_id,
            "workspace_name": cred.workspace_name,
            "store": cred.store,
        })),
        Format::Plain => {
            let mut t = Table::new(["TOKEN", "SOURCE", "WORKSPACE_ID", "WORKSPACE", "STORE"]);
            t.row([
                cred.token.expose().to_string(),
                source_key(&cred.source).to_string(),
                cred.workspace_id.clone().unwrap_or_default(),
                cred.workspace_name.clone().unwrap_or_default(),
                cred.store.clone().unwrap_or_default(),
            ]);
            t.print(&ctx.ui, Format::Plain)
        }
        Format::Human => ctx.ui.line(cred.token.expose()),
    }
}

/// A stable key for a token source, for JSON output.
pub fn source_key(s: &crate::auth::TokenSource) -> &'static str {
    use crate::auth::TokenSource as T;
    match s {
        T::EnvToken => "env",
        T::WorkspaceFlag => "workspace_flag",
        T::WorkspaceEnv => "workspace_env",
        T::DefaultWorkspace => "default",
        T::OnlyLogin => "only",
    }
}
