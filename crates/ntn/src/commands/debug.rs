//! `ntn debug` (being built).

use crate::cli::Context;
use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_ctx: &Context, _args: Args) -> Result<()> {
    Err(super::not_yet("debug"))
}
