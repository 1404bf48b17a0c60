//! `ntn files`: upload files of any size (streamed, in parallel parts, in
//! constant memory), list and inspect file uploads.
//!
//! * [`create`]: `ntn files create`;
//! * [`attach`]: `ntn files attach`;
//! * [`list`]: `ntn files list` and `ntn files get`.
//!
//! The upload engine is in [`crate::notion::upload`].

use clap::Subcommand;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::http;
use crate::notion::Notion;

pub mod attach;
pub mod create;
pub mod list;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Upload files to Notion and inspect file uploads.\n\n\
Examples:\n  ntn files create report.pdf\n  pg_dump mydb | gzip | ntn files create --filename db.sql.gz\n  \
ntn files create --external-url https://example.com/logo.png\n  ntn files list --all --plain\n  \
ntn files get <id> --json\n  ntn files attach diagram.png --to <page-id>",
    after_long_help = ENV_HELP
)]
pub struct Args {
    #[command(subcommand)]
    pub command: FilesCommand,
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Upload a file from a path, stdin or a URL and print its upload id
    #[command(long_about = create::CREATE_ABOUT, after_long_help = ENV_HELP)]
    Create(create::CreateArgs),
    /// Show one file upload
    #[command(long_about = list::GET_ABOUT, after_long_help = ENV_HELP)]
    Get(list::GetArgs),
    /// List the workspace's file uploads
    #[command(long_about = list::LIST_ABOUT, after_long_help = ENV_HELP)]
    List(list::ListArgs),
    /// Put a file (or an upload) on a page: a block, or a files property
    #[command(long_about = attach::ATTACH_ABOUT, after_long_help = ENV_HELP)]
    Attach(attach::AttachArgs),
}

/// The environment variables every `ntn files` command honours.
const ENV_HELP: &str = crate::env_help!(
    "  NOTION_API_TOKEN           a personal access token; wins over stored logins",
    "  NOTION_WORKSPACE_ID        use this logged-in workspace for one command",
    "  NOTION_API_VERSION         Notion-Version header to send",
);

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        FilesCommand::Create(a) => create::run(ctx, a),
        FilesCommand::Get(a) => list::run_get(ctx, a),
        FilesCommand::List(a) => list::run_list(ctx, a),
        FilesCommand::Attach(a) => attach::run(ctx, a),
    }
}

/// The public API with the resolved token, for commands whose work ends
/// within the default time limit.
pub fn notion(ctx: &Context) -> Result<Notion> {
    Ok(ctx.notion(http::REQUEST_TIMEOUT)?.0)
}

/// Checks a file upload id given on the command line before it goes into a URL.
pub fn check_id(id: &str) -> Result<&str> {
    let id = id.trim();
    if !crate::notion::upload::is_id(id) {
        return Err(Error::usage(format!("{id:?} is not a file upload id"))
            .hint("ids look like 2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c; see `ntn files list`"));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_before_they_reach_a_url() {
        assert!(check_id("2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c").is_ok());
        assert!(check_id("2f1c6a4e8b5d4c1e9a7b3d2e1f0a9b8c").is_ok());
        for bad in ["", "../users/me", "a?b", "a b"] {
            assert_eq!(check_id(bad).unwrap_err().exit_code().code(), 2, "{bad}");
        }
    }
}
