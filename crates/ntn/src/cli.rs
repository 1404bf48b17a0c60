//! The CLI layer's entry: argument definitions (clap), the global flags
//! resolved into a [`Context`], dispatch, and the exit code.
//!
//! [`main_entry`] is what `main` calls with the process's [`Host`]; tests
//! call it in-process with a host of their own (variables, a capturing
//! `Ui`, a manual clock). It never exits the process: it returns the code.

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands;
use crate::context::{Context, Host};
use crate::env::EnvName;
use crate::error::{Error, ExitCode, Result};

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
        "\n\nExit codes: 0 ok, 1 local problem, 2 usage, 3 done but incomplete, 4 authentication, \
         5 API or network, 6 conflict (the page changed since your copy), 130 interrupted."
    ),
    propagate_version = true,
    max_term_width = HELP_WIDTH
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
    #[command(about = "Upload files, inspect uploads, attach files to pages")]
    Files(commands::files::Args),
    #[command(about = "Query data sources: tables, CSV and JSON, with filters you can type")]
    Datasources(commands::datasources::Args),
    #[command(about = "Search pages and data sources by title")]
    Search(commands::search::Args),
    #[command(about = "Read and write pages as Markdown")]
    Pages(commands::pages::Args),
    #[command(about = "Keep a folder of Markdown files and a Notion page tree in step")]
    Sync(commands::sync::Args),
    #[command(about = "Read and write a page's comments")]
    Comments(commands::comments::Args),
    #[command(about = "List and read the workspace's people and bots")]
    Users(commands::users::Args),
    #[command(about = "Print shell completions")]
    Completions(commands::completions::Args),
}

/// The widest help and usage text, whatever the terminal.
const HELP_WIDTH: usize = 100;

/// The clap command, its help wrapped for `ui`: on the process's own streams
/// clap measures the terminal; on another `Ui` (an in-process run) the width
/// is that `Ui`'s terminal, or what clap uses without one, never the width
/// of whatever terminal the test runs in.
pub fn command(ui: &crate::output::Ui) -> clap::Command {
    let cmd = Cli::command();
    if ui.is_system() {
        return cmd;
    }
    cmd.term_width(ui.width().unwrap_or(HELP_WIDTH).min(HELP_WIDTH))
}

/// Parses `args`, runs the command and returns the process exit code.
/// Errors (clap's included) are written to the host's `Ui`; a closed stdout
/// ends quietly with 0.
pub fn main_entry<I, T>(args: I, host: Host) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let ui = host.ui.clone();
    let matches = match command(&ui).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return clap_error(&ui, &e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return clap_error(&ui, &e),
    };
    let verbose = cli.verbose > 0;
    let code = match run(cli, &matches, host) {
        Ok(()) => ExitCode::Ok,
        Err(e) if e.is_broken_pipe() => ExitCode::Ok,
        Err(e) => {
            ui.error(&e, verbose);
            e.exit_code()
        }
    };
    match ui.flush() {
        Err(e) if !e.is_broken_pipe() && code == ExitCode::Ok => {
            ui.error(&e, verbose);
            e.exit_code().code()
        }
        _ => code.code(),
    }
}

/// Writes clap's message (help and version go to stdout) and returns its code.
fn clap_error(ui: &crate::output::Ui, e: &clap::Error) -> i32 {
    let text = e.render().ansi().to_string();
    if e.use_stderr() {
        let _ = write!(ui.err(), "{text}");
    } else {
        let _ = write!(ui.out(), "{text}");
        let _ = ui.flush();
    }
    e.exit_code()
}

/// `--env` from the command line, else `NOTION_ENV` from the host's
/// variables, else prod. (clap's own `env` reading covers the process
/// environment; in-process runs bring their own variables.)
fn env_name(cli: &Cli, matches: &clap::ArgMatches, host: &Host) -> Result<EnvName> {
    if matches.value_source("env") == Some(clap::parser::ValueSource::CommandLine) {
        return Ok(cli.env);
    }
    match host.vars.value(crate::vars::ENV) {
        None => Ok(EnvName::Prod),
        Some(v) => <EnvName as clap::ValueEnum>::from_str(v, false).map_err(|_| {
            Error::usage(format!(
                "invalid value '{v}' for '--env <ENV>' (from NOTION_ENV)"
            ))
            .hint("[possible values: local, dev, stg, prod]")
        }),
    }
}

fn run(cli: Cli, matches: &clap::ArgMatches, host: Host) -> Result<()> {
    let env = env_name(&cli, matches, &host)?;
    let ctx = Context::new(host, env, cli.workspace, cli.verbose)?;
    commands::dispatch(&ctx, cli.command).map_err(|e| ctx.after_error(e))
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
