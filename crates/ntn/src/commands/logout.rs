//! `ntn logout`: forget stored logins (no network).

use crate::auth::{self, LogoutScope};
use crate::context::Context;
use crate::error::Result;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Forget the stored logins of this environment: each workspace's token is \
deleted from the keychain (or auth.json), the workspaces are removed from workspaces.json and \
the default from config.json, and a pending login is dropped. Nothing is sent over the network; \
the files stay in place.\n\n\
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
        ui.warn(w);
    }
    let names = report.names();
    if names.is_empty() {
        match &scope {
            LogoutScope::Workspace(id) => ui.message(format_args!(
                "Already logged out of workspace {}",
                crate::output::text::clean(id)
            )),
            _ => ui.message("Already logged out"),
        }
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
