//! One module per command. Commands are thin: they parse their arguments,
//! call into the layers below (the Notion layer, `auth`, `state`, `secrets`)
//! and render the result through the context's `Ui`.

use crate::cli::Command;
use crate::context::Context;
use crate::error::Result;

pub mod api;
pub mod auth;
pub mod comments;
pub mod completions;
pub mod datasources;
pub mod debug;
pub mod doctor;
pub mod files;
pub mod login;
pub mod logout;
pub mod pages;
pub mod pages_recover;
pub mod paging;
pub mod search;
pub mod sync;
pub mod users;
pub mod whoami;

/// Runs one command.
pub fn dispatch(ctx: &Context, command: Command) -> Result<()> {
    match command {
        Command::Login(args) => login::run(ctx, args),
        Command::Logout(args) => logout::run(ctx, args),
        Command::Whoami(args) => whoami::run(ctx, args),
        Command::Auth(args) => auth::run(ctx, args),
        Command::Debug(args) => debug::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Api(args) => api::run(ctx, args),
        Command::Files(args) => files::run(ctx, args),
        Command::Datasources(args) => datasources::run(ctx, args),
        Command::Search(args) => search::run(ctx, args),
        Command::Pages(args) => pages::run(ctx, args),
        Command::Sync(args) => sync::run(ctx, args),
        Command::Comments(args) => comments::run(ctx, args),
        Command::Users(args) => users::run(ctx, args),
        Command::Completions(args) => completions::run(ctx, args),
    }
}
