//! The store: every mutable collection of the sandbox ([`Store`]) with its queries and
//! mutations, and the application state shared by all handlers ([`AppState`]: configuration,
//! the store behind a mutex, the served OpenAPI document and the upload spool).
//!
//! The store is filled from a fixture by [`crate::load`].

use crate::fixture::Fixture;
use crate::model::{
    Block, Comment, DataSource, Database, FaultRule, LoginSession, Page, RequestRecord, Role,
    Token, TokenKind, User, Workspace,
};
use crate::openapi::Served;
use crate::uploads::Uploads;
use crate::util;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Server configuration (from the command line).
#[derive(Debug, Clone)]
pub struct Config {
    pub login_ttl_secs: u64,
    pub poll_interval_ms: u64,
    pub rate_limit: Option<u32>,
    pub openapi: Option<String>,
    pub rows: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            login_ttl_secs: 600,
            poll_interval_ms: 2000,
            rate_limit: None,
            openapi: None,
            rows: 260,
        }
    }
}

/// Everything the handlers share.
pub struct AppState {
    pub cfg: Config,
    store: Mutex<Store>,
    pub openapi: Served,
    pub uploads: Uploads,
    /// The bound address (`HOST:PORT`), set once listening.
    pub local_addr: OnceLock<String>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(cfg: Config, fixture: &Fixture) -> Result<Shared, String> {
        let store = crate::load::from_fixture(fixture, cfg.rows).map_err(|e| e.to_string())?;
        let openapi = Served::new(cfg.openapi.as_deref())?;
        let uploads = Uploads::new().map_err(|e| format!("temp dir: {e}"))?;
        Ok(Arc::new(Self {
            cfg,
            store: Mutex::new(store),
            openapi,
            uploads,
            local_addr: OnceLock::new(),
        }))
    }
    /// Lock the store (never hold the guard across an `.await`).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// All mutable sandbox data.
#[derive(Default)]
pub struct Store {
    pub workspaces: Vec<Workspace>,
    pub users: Vec<User>,
    pub pages: HashMap<String, Page>,
    /// Page ids in creation order.
    pub page_order: Vec<String>,
    pub blocks: HashMap<String, Block>,
    /// Container (page or block) id → ordered child ids (blocks, pages, databases).
    pub children: HashMap<String, Vec<String>>,
    pub databases: HashMap<String, Database>,
    pub database_order: Vec<String>,
    pub data_sources: HashMap<String, DataSource>,
    pub comments: Vec<Comment>,
    pub tokens: HashMap<String, Token>,
    pub sessions: Vec<LoginSession>,
    pub requests: Vec<RequestRecord>,
    pub faults: Vec<FaultRule>,
    /// token → (unix second, requests in that second)
    pub rate: HashMap<String, (i64, u32)>,
}

impl Store {
    pub fn workspace(&self, id: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|w| w.id == id)
    }
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        let e = email.trim();
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(e))
    }
    pub fn role(&self, user_id: &str, ws: &str) -> Option<Role> {
        self.workspace(ws)?
            .members
            .iter()
            .find(|(u, _)| u == user_id)
            .map(|(_, r)| *r)
    }
    /// Workspaces a user belongs to, with their role.
    pub fn memberships(&self, user_id: &str) -> Vec<(String, String, Role)> {
        self.workspaces
            .iter()
            .filter_map(|w| {
                w.members
                    .iter()
                    .find(|(u, _)| u == user_id)
                    .map(|(_, r)| (w.id.clone(), w.name.clone(), *r))
            })
            .collect()
    }
    /// Mint a token; the caller checks membership.
    pub fn mint_token(&mut self, user_id: &str, ws: &str, kind: TokenKind) -> String {
        let token = util::new_token();
        self.tokens.insert(
            token.clone(),
            Token {
                user_id: user_id.into(),
                ws: ws.into(),
                kind,
                revoked: false,
                bot_id: util::new_id(),
            },
        );
        token
    }
    /// A valid (known, unrevoked) token.
    pub fn valid_token(&self, token: &str) -> Option<&Token> {
        self.tokens.get(token).filter(|t| !t.revoked)
    }
}
