//! Which token a command uses, and storing the result of a login.
//!
//! [`resolve_token`] is the one function every command calls:
//!
//! 1. `NOTION_API_TOKEN` when set and non-empty;
//! 2. else the stored token of the `--workspace` flag, else of `NOTION_WORKSPACE_ID`;
//! 3. else the stored token of this environment's default workspace.

pub mod pending;

use crate::cli::Context;
use crate::error::{Error, Result};
use crate::secrets::Token;
use crate::state::State;

/// Where the token in use came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `NOTION_API_TOKEN`.
    EnvToken,
    /// The `--workspace` flag.
    WorkspaceFlag,
    /// `NOTION_WORKSPACE_ID`.
    WorkspaceEnv,
    /// The environment's default workspace in `config.json`.
    DefaultWorkspace,
}

impl TokenSource {
    /// Human text for messages and hints, e.g. "NOTION_API_TOKEN".
    pub fn describe(&self) -> &'static str {
        match self {
            TokenSource::EnvToken => "NOTION_API_TOKEN",
            TokenSource::WorkspaceFlag => "the --workspace flag",
            TokenSource::WorkspaceEnv => "NOTION_WORKSPACE_ID",
            TokenSource::DefaultWorkspace => "the default workspace",
        }
    }
}

/// A resolved credential.
#[derive(Clone, Debug)]
pub struct Credential {
    pub token: Token,
    pub source: TokenSource,
    /// The workspace of a stored login (None for `NOTION_API_TOKEN`).
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    /// Where a stored token was read from (`keychain`, `auth.json`).
    pub store: Option<String>,
}

/// Resolves the token a command uses. See the module docs.
pub fn resolve_token(_ctx: &Context) -> Result<Credential> {
    Err(Error::auth(
        "token resolution is not available in this build yet",
    ))
}

/// Stores a confirmed login: the token in the secret store, the workspace in
/// `workspaces.json`, and makes it this environment's default.
pub fn save_login(
    _ctx: &Context,
    _state: &State,
    _token: &Token,
    _workspace_id: &str,
    _workspace_name: &str,
) -> Result<()> {
    Err(Error::local(
        "storing logins is not available in this build yet",
    ))
}
