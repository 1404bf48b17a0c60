//! The store: every mutable collection of the sandbox ([`Store`]) with its queries and
//! mutations, and the application state shared by all handlers ([`AppState`]: configuration,
//! the store behind a mutex, the served OpenAPI document and the upload spool).
//!
//! The store is filled from a fixture by [`crate::load`].

use crate::model::{
    Block, Comment, CommentCaps, DataSource, Database, FaultRule, LoginSession, Page,
    RequestRecord, Role, Token, TokenKind, User, View, Workspace,
};
use crate::openapi::Served;
use crate::uploads::Uploads;
use crate::util;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Server configuration (the command line's `--login-ttl`, `--poll-interval-ms`,
/// `--rate-limit`, `--rows`, `--rows-per-minute` and `--query-limit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub login_ttl_secs: u64,
    pub poll_interval_ms: u64,
    pub rate_limit: Option<u32>,
    pub rows: usize,
    /// Generated rows created in the same minute (their `created_time` is equal).
    pub rows_per_minute: usize,
    /// Data source queries matching more rows answer the first N, `request_status` incomplete.
    pub query_limit: Option<usize>,
    /// Blocks one Markdown read renders before the rest become `<unknown/>`.
    pub markdown_block_limit: usize,
}

impl Config {
    /// Default login session lifetime.
    pub const DEFAULT_LOGIN_TTL_SECS: u64 = 600;
    /// Default `pollIntervalMs` advertised by login init.
    pub const DEFAULT_POLL_INTERVAL_MS: u64 = 2000;
    /// Default number of generated rows.
    pub const DEFAULT_ROWS: usize = 260;
}

impl Default for Config {
    fn default() -> Self {
        Self {
            login_ttl_secs: Self::DEFAULT_LOGIN_TTL_SECS,
            poll_interval_ms: Self::DEFAULT_POLL_INTERVAL_MS,
            rate_limit: None,
            rows: Self::DEFAULT_ROWS,
            rows_per_minute: 1,
            query_limit: None,
            markdown_block_limit: crate::markdown::DEFAULT_BLOCK_LIMIT,
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
    /// Stalls, dribbles and captured requests (see [`crate::traps`]).
    pub traps: crate::traps::Traps,
    /// Where the rate limit and relative date filters read the time, when not the system
    /// clock (tests share their manual clock with the sandbox: see [`crate::spawn_with_clock`]).
    /// The store holds the same clock ([`Store::now_ms`]) for every timestamp it makes.
    pub clock: OnceLock<Now>,
    /// Bumped after every request that may have changed the store (anything but a `GET`,
    /// a search or a data source query): what the search index is checked against.
    pub generation: AtomicU64,
}

pub type Shared = Arc<AppState>;

/// A source of the current time in Unix milliseconds.
pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

impl AppState {
    /// Assemble the state from its parts (see [`crate::launch::Options::build_state`]).
    pub fn new(cfg: Config, mut store: Store, openapi: Served, uploads: Uploads) -> Shared {
        if store.file_secret.is_empty() {
            store.file_secret = util::random_hex(32);
        }
        Arc::new(Self {
            cfg,
            store: Mutex::new(store),
            openapi,
            uploads,
            local_addr: OnceLock::new(),
            traps: crate::traps::Traps::default(),
            clock: OnceLock::new(),
            generation: AtomicU64::new(0),
        })
    }
    /// Note that the store may have changed (see [`AppState::generation`]).
    pub fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
    /// The current [`AppState::generation`].
    pub fn current_generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
    /// The current time in Unix milliseconds: the injected clock, else the system's.
    pub fn now_ms(&self) -> i64 {
        match self.clock.get() {
            Some(now) => now(),
            None => util::now_ms(),
        }
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
    /// Database views, in the order they are listed.
    pub views: Vec<View>,
    pub comments: Vec<Comment>,
    /// The comment capabilities of every workspace's integrations, unless overridden for one
    /// (`POST /__sandbox/capabilities`).
    pub comment_caps: CommentCaps,
    /// Per-workspace overrides of [`Store::comment_caps`].
    pub comment_caps_ws: HashMap<String, CommentCaps>,
    pub tokens: HashMap<String, Token>,
    pub sessions: Vec<LoginSession>,
    pub requests: Vec<RequestRecord>,
    pub faults: Vec<FaultRule>,
    /// token → when (unix ms) its accepted requests of the last second arrived
    pub rate: HashMap<String, VecDeque<i64>>,
    /// Pages, blocks and databases not shared with the integration (the Markdown
    /// endpoints cannot read them).
    pub unshared: HashSet<String>,
    /// Pages whose next Markdown write is applied differently from what was asked (page
    /// id → mode, `POST /__sandbox/markdown/skew`).
    pub skew: HashMap<String, String>,
    /// The time source of every timestamp the store makes ([`Store::now_ms`]); the system
    /// clock when `None`.
    pub clock: Option<Now>,
    /// `http://HOST:PORT` once the server is bound: hosted files are served from
    /// `{base_url}/__files/` ([`crate::files`]).
    pub base_url: Option<String>,
    /// The secret hosted file URLs are signed with (random per store).
    pub file_secret: String,
    /// Sorted search results by (workspace, query, object filter, ascending), with the
    /// [`AppState::generation`] they were computed at (see [`crate::api::data::search`]).
    pub search_cache: HashMap<SearchKey, SearchIndex>,
    /// The matching rows of data source queries in order, by (workspace, data source,
    /// filter, sorts, in_trash, minute of the clock), like `search_cache`.
    pub query_cache: HashMap<QueryKey, SearchIndex>,
}

/// What a data source query's rows depend on besides the store: workspace, data source,
/// the filter and sorts as JSON text, `in_trash`, and the minute (relative date filters).
pub type QueryKey = (String, String, String, String, bool, i64);

/// What a search result list depends on besides the store: workspace, lower-cased query,
/// object filter, ascending.
pub type SearchKey = (String, String, Option<String>, bool);

/// A search's results in order, with each id's position (cursors are found in O(1)).
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    pub generation: u64,
    pub ids: Arc<Vec<String>>,
    pub position: Arc<HashMap<String, usize>>,
}

impl SearchIndex {
    /// The index of `ids` in this order, computed at `generation`.
    pub fn new(generation: u64, ids: Vec<String>) -> SearchIndex {
        let position = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        SearchIndex {
            generation,
            ids: Arc::new(ids),
            position: Arc::new(position),
        }
    }
}

/// Keeps `index` under `key` in a cache of at most 32 entries (emptied when full).
pub fn remember<K: std::hash::Hash + Eq>(
    cache: &mut HashMap<K, SearchIndex>,
    key: K,
    index: &SearchIndex,
) {
    if cache.len() >= 32 {
        cache.clear();
    }
    cache.insert(key, index.clone());
}

impl Store {
    /// The current time in Unix milliseconds: the injected clock, else the system's.
    pub fn now_ms(&self) -> i64 {
        match &self.clock {
            Some(now) => now(),
            None => util::now_ms(),
        }
    }
    /// [`Store::now_ms`] as an RFC 3339 timestamp (milliseconds, UTC).
    pub fn now(&self) -> String {
        util::rfc3339(self.now_ms())
    }
    /// `http://HOST:PORT/__files/` once bound: where hosted files are served.
    pub fn files_base(&self) -> Option<String> {
        self.base_url.as_ref().map(|b| format!("{b}/__files/"))
    }
    /// Bump the `last_edited_time` of the page that holds `container` (a page, or a block
    /// somewhere inside a page): its content changed.
    pub fn touch_page_of(&mut self, container: &str, at: &str) {
        if let Some(page) = crate::markdown::page_of(self, container)
            && let Some(p) = self.pages.get_mut(&page)
        {
            p.last_edited_time = at.to_string();
        }
    }
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
    /// The comment capabilities of workspace `ws`'s integrations.
    pub fn caps(&self, ws: &str) -> CommentCaps {
        self.comment_caps_ws
            .get(ws)
            .copied()
            .unwrap_or(self.comment_caps)
    }
    /// A valid (known, unrevoked) token.
    pub fn valid_token(&self, token: &str) -> Option<&Token> {
        self.tokens.get(token).filter(|t| !t.revoked)
    }
}
