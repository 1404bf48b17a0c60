//! `ntn`: a command-line tool for Notion.
//!
//! The binary is a thin shell around this library so that tests can run
//! every command in-process. The layers, top to bottom (each depends only on
//! the ones below it):
//!
//! * [`cli`] and [`commands`]: argument definitions, dispatch, and one thin
//!   module per command (parse, call the layers below, render), with the
//!   [`context`] every command receives;
//! * [`notion`]: the Notion layer (the API client, pagination, uploads, the
//!   OpenAPI spec);
//! * [`auth`]: which token a command uses, the login protocol, pending logins;
//! * [`secrets`]: the secret-store trait, one store per backend (each
//!   desktop's keychain, `auth.json`), tokens named per environment;
//! * [`state`]: the config directory, state files, locking, atomic writes;
//! * [`http`]: sending requests, retries, errors as data;
//! * [`output`]: the [`output::Ui`] (streams, terminals, colours, prompts,
//!   progress), tables and JSON;
//! * foundations: [`error`] (the error type and exit codes), [`env`]
//!   (environments and URLs), [`vars`] (the variables, read once) and
//!   [`support`] (clock, time and size formats, Ctrl-C).

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

pub mod auth;
pub mod cli;
pub mod commands;
pub mod context;
pub mod env;
pub mod error;
pub mod http;
pub mod notion;
pub mod output;
pub mod secrets;
pub mod state;
pub mod support;
pub mod sync;
pub mod vars;

pub use error::{Error, ExitCode, Result};
