//! `ntn completions <shell>`: shell completion scripts.

use clap::CommandFactory;

use crate::cli::{Cli, Context};
use crate::error::Result;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Print a completion script for your shell.\n\n\
Examples:\n  ntn completions bash > ~/.local/share/bash-completion/completions/ntn\n  \
ntn completions zsh > ~/.zfunc/_ntn\n  ntn completions fish > ~/.config/fish/completions/ntn.fish",
    after_long_help = crate::env_help!()
)]
pub struct Args {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(_ctx: &Context, args: Args) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "ntn", &mut out);
    Ok(())
}
