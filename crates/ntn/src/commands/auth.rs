//! `ntn auth`: work with the stored credentials.

use clap::Subcommand;

use crate::context::Context;
use crate::error::Result;

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
The token is NOTION_API_TOKEN when set, else the stored token of --workspace, else of \
NOTION_WORKSPACE_ID, else of this environment's default workspace.\n\n\
Examples:\n  curl -H \"Authorization: Bearer $(ntn auth token)\" ...\n  ntn auth token --json",
        after_long_help = crate::env_help!(@token)
    )]
    Token(TokenArgs),
}

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Print JSON: {"token","source","workspace_id","workspace_name"}
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        Some(AuthCommand::Token(a)) => token(ctx, a),
        None => {
            use clap::CommandFactory;
            let mut cmd = crate::cli::Cli::command();
            let help = match cmd.find_subcommand_mut("auth") {
                Some(sub) => sub.render_long_help().to_string(),
                None => cmd.render_long_help().to_string(),
            };
            ctx.ui.line(help.trim_end())
        }
    }
}

fn token(ctx: &Context, args: TokenArgs) -> Result<()> {
    let cred = ctx.credential()?;
    if args.json {
        ctx.ui.json(&serde_json::json!({
            "token": cred.token.expose(),
            "source": source_key(&cred.source),
            "workspace_id": cred.workspace_id,
            "workspace_name": cred.workspace_name,
            "store": cred.store,
        }))
    } else {
        ctx.ui.line(cred.token.expose())
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
    }
}
