//! Command-line definitions and dispatch.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::env::{EnvName, Environment};
use crate::error::Result;

/// The long-help section listing the environment variables a command honours:
/// the command's own lines first, then the ones every command honours.
///
/// ```text
/// #[command(after_long_help = env_help!(
///     "  BROWSER                    browser command(s)",
/// ))]
/// // Commands that use a token start with the token variables:
/// #[command(after_long_help = env_help!(@token))]
/// ```
#[macro_export]
macro_rules! env_help {
    // The variables of every command that uses a token, then `$line`s.
    (@token $(, $line:literal)* $(,)?) => {
        $crate::env_help!(
            "  NOTION_API_TOKEN           a personal access token; wins over stored logins",
            "  NOTION_WORKSPACE_ID        use this logged-in workspace for one command",
            "  NOTION_KEYRING             0 keeps tokens in auth.json instead of the OS keychain",
            $($line),*
        )
    };
    ($($line:literal),* $(,)?) => {
        concat!(
            "Environment variables:\n",
            $($line, "\n",)*
            "  NOTION_ENV                 environment: local, dev, stg, prod (default prod)\n",
            "  NOTION_HOME                config directory (must exist)\n",
            "  NOTION_BASE_URL            base URL for login and internal calls\n",
            "  NOTION_API_BASE_URL        public API base URL\n",
            "  NOTION_API_DOCS_BASE_URL   docs base URL (OpenAPI spec and docs pages)\n",
            "  NO_COLOR                   disable colours"
        )
    };
}

/// A command-line tool for Notion.
#[derive(Debug, Parser)]
#[command(
    name = "ntn",
    version,
    about = "A command-line tool for Notion",
    long_about = "A command-line tool for Notion: sign in once from the terminal, then work \
with your workspace from the shell and from scripts.",
    after_long_help = concat!(
        env_help!(@token),
        "\n\nExit codes: 0 ok, 1 local problem, 2 usage, 4 authentication, 5 API or network, \
         130 interrupted."
    ),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Show more detail: the cause chain of errors, request and response headers (token redacted)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Notion environment to use
    #[arg(
        long,
        value_enum,
        env = "NOTION_ENV",
        default_value = "prod",
        global = true,
        hide_env_values = true,
        hide_possible_values = false
    )]
    pub env: EnvName,

    /// Use this logged-in workspace (wins over NOTION_WORKSPACE_ID)
    #[arg(long, global = true, value_name = "ID")]
    pub workspace: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(about = "Sign in to a Notion workspace from the terminal")]
    Login(commands::login::Args),
    #[command(about = "Forget stored logins (no network)")]
    Logout(commands::logout::Args),
    #[command(about = "Show who the current token belongs to")]
    Whoami(commands::whoami::Args),
    #[command(about = "Work with the stored credentials")]
    Auth(commands::auth::Args),
    #[command(about = "Show the resolved environment, files and workspaces")]
    Debug(commands::debug::Args),
    #[command(about = "Check the setup and say what to fix")]
    Doctor(commands::doctor::Args),
    #[command(about = "Make any request to the Notion public API")]
    Api(commands::api::Args),
    #[command(about = "Upload and inspect files")]
    Files(commands::files::Args),
    #[command(about = "Print shell completions")]
    Completions(commands::completions::Args),
}

/// Global settings every command receives.
#[derive(Debug)]
pub struct Context {
    /// Number of `-v` flags.
    pub verbose: u8,
    /// The resolved environment and its URLs.
    pub env: Environment,
    /// The `--workspace` flag, if given (wins over `NOTION_WORKSPACE_ID`).
    pub workspace_flag: Option<String>,
}

impl Context {
    pub fn verbose(&self) -> bool {
        self.verbose > 0
    }
}

/// Parses `args`, runs the command and returns the process exit code.
pub fn main_entry<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let verbose = cli.verbose > 0;
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            e.print(verbose);
            e.exit_code().code()
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let ctx = Context {
        verbose: cli.verbose,
        env: Environment::resolve(cli.env)?,
        workspace_flag: cli.workspace.filter(|w| !w.trim().is_empty()),
    };
    commands::dispatch(&ctx, cli.command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
