//! `ntn`: a command-line tool for Notion.
//!
//! The binary is a thin shell around this library so that tests can reach the
//! logic. Layout:
//!
//! * [`cli`]: argument definitions (clap) and dispatch;
//! * [`commands`]: one module per command, thin;
//! * [`auth`]: which token a command uses, the login flow;
//! * [`state`]: config directory, state files, locking, atomic writes;
//! * [`secrets`]: the secret-store trait with keychain and file stores;
//! * [`http`]: the HTTP client, retries and Notion errors;
//! * [`output`]: stdout/stderr conventions, tables, JSON, colours;
//! * [`error`]: the error type and exit codes; [`env`]: environments and URLs.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod env;
pub mod error;
pub mod http;
pub mod output;
pub mod secrets;
pub mod state;

pub use error::{Error, ExitCode, Result};

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main_entry() -> i32 {
    cli::main_entry(std::env::args_os())
}
