//! `ntn logout`: forget stored logins (no network).

use crate::auth::{self, LogoutScope};
use crate::context::Context;
use crate::error::Result;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Forget the stored logins of this environment: each workspace's token for this \
environment is deleted from the keychain (or auth.json), the workspaces are removed from \
workspaces.json and the default from config.json, and a pending login is dropped. Nothing is \
sent over the network; the files stay in place.\n\n\
--workspace ID forgets one logged-in workspace; an id that is not logged in is an error \
(exit 4) that lists the logged-in ones. When the tokens are in the keychain, the keychain must \
be reachable: a logout never leaves them behind. The same workspace logged in to in another \
environment keeps its own token.\n\n\
Examples:\n  ntn logout                       forget every workspace of this environment\n  \
ntn logout --workspace ID        forget one workspace\n  \
ntn logout --all-environments    forget everything",
    after_long_help = crate::env_help!(
        "  NOTION_KEYRING             0 keeps tokens in auth.json instead of the OS keychain",
    )
)]
pub struct Args {
    /// Forget the logins of every environment, not only this one
    #[arg(long)]
    pub all_environments: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let state = ctx.state()?;
    let scope = match (&ctx.workspace_flag, args.all_environments) {
        (_, true) => LogoutScope::AllEnvironments,
        (Some(id), false) => LogoutScope::Workspace(id.trim().to_string()),
        (None, false) => LogoutScope::Environment,
    };
    let report = auth::logout(&ctx.auth_settings(), &state, &scope)?;
    let ui = &ctx.ui;
    for w in &report.warnings {
        ui.warn(crate::output::text::clean(w));
    }
    let names = report.names();
    if names.is_empty() {
        ui.message("Already logged out");
        if report.pending_cleared {
            ui.message("Dropped the pending login");
        }
    } else {
        let e = crate::output::style::EMPH;
        ui.message(format_args!(
            "Logged out of {e}{}{e:#}",
            crate::output::text::clean(&names.join(", "))
        ));
    }
    Ok(())
}
