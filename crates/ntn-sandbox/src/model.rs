//! The sandbox's data model: workspaces and their members, users, pages, blocks, databases,
//! data sources with their property schemas, comments, tokens, login sessions, the request
//! log and fault rules.
//!
//! Plain data with the small methods that read it. The collections live in
//! [`crate::store::Store`]; property values (their shapes, validation and defaults) are
//! [`crate::props`]'s business.

use crate::util;
use serde_json::{Map, Value, json};

/// A user's role in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Guest,
    Restricted,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "guest" => Some(Self::Guest),
            "restricted" => Some(Self::Restricted),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Guest => "guest",
            Self::Restricted => "restricted",
        }
    }
}

/// A workspace: its plan, upload limit and members (user id, role).
#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub upload_limit: u64,
    pub members: Vec<(String, Role)>,
}

/// A person who can log in.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// Where a page, block or database lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    Workspace,
    Page(String),
    DataSource { ds: String, db: String },
    Block(String),
    Database(String),
}

impl Parent {
    pub fn to_json(&self) -> Value {
        match self {
            Parent::Workspace => json!({"type": "workspace", "workspace": true}),
            Parent::Page(id) => json!({"type": "page_id", "page_id": id}),
            Parent::DataSource { ds, db } => {
                json!({"type": "data_source_id", "data_source_id": ds, "database_id": db})
            }
            Parent::Block(id) => json!({"type": "block_id", "block_id": id}),
            Parent::Database(id) => json!({"type": "database_id", "database_id": id}),
        }
    }
}

/// A page: a plain page (a title only) or a data source row (typed properties).
/// `props` holds Notion's full property values keyed by property name.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub ws: String,
    pub parent: Parent,
    pub props: Map<String, Value>,
    pub created_time: String,
    pub last_edited_time: String,
    pub created_by: String,
    pub last_edited_by: String,
    pub in_trash: bool,
    pub icon: Option<String>,
}

impl Page {
    pub fn title(&self) -> String {
        self.props
            .values()
            .find(|v| v.get("type").and_then(Value::as_str) == Some("title"))
            .map(|v| util::plain_text(&v["title"]))
            .unwrap_or_default()
    }
}

/// A block; `data` is the object under its type's key (`{"rich_text": [...], ...}`).
/// Its children are listed in [`crate::store::Store::children`].
#[derive(Debug, Clone)]
pub struct Block {
    pub id: String,
    pub ws: String,
    pub parent: Parent,
    pub kind: String,
    pub data: Value,
    pub created_time: String,
    pub last_edited_time: String,
    pub created_by: String,
    pub in_trash: bool,
}

/// A database: a container of data sources, placed under a page.
#[derive(Debug, Clone)]
pub struct Database {
    pub id: String,
    pub ws: String,
    pub parent_page: String,
    pub title: String,
    pub created_time: String,
    pub last_edited_time: String,
    pub data_sources: Vec<String>,
    pub in_trash: bool,
    /// Shown inline in its parent page (`is_inline`; `inline="true"` in the page's Markdown).
    pub inline: bool,
}

/// An option of a select, status or multi-select property.
#[derive(Debug, Clone)]
pub struct SelOpt {
    pub id: String,
    pub name: String,
    pub color: String,
}

/// A property in a data source's schema; `kind` is Notion's property type.
#[derive(Debug, Clone)]
pub struct PropDef {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub options: Vec<SelOpt>,
}

/// A data source: its schema and its rows (page ids, in order).
#[derive(Debug, Clone)]
pub struct DataSource {
    pub id: String,
    pub ws: String,
    pub database_id: String,
    pub name: String,
    pub schema: Vec<PropDef>,
    pub created_time: String,
    pub last_edited_time: String,
    pub rows: Vec<String>,
}

/// A view of a database: which rows (its `filter` and `sorts`, Notion's JSON, already
/// checked against the data source), which columns (`configuration`), as
/// `GET /v1/views/{id}` answers it.
#[derive(Debug, Clone)]
pub struct View {
    pub id: String,
    pub database_id: String,
    pub data_source_id: String,
    pub name: String,
    /// `table`, `board`, `list`, `calendar`, `timeline`, `gallery`, …
    pub kind: String,
    pub created_time: String,
    pub created_by: String,
    pub filter: Option<Value>,
    pub sorts: Vec<Value>,
    /// `{type, properties: [{property_id, property_name, visible}], …}`.
    pub configuration: Value,
}

/// A comment on a page or a block: one of a discussion's (a thread's) comments.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub ws: String,
    /// [`Parent::Page`] or [`Parent::Block`]: what the discussion is on.
    pub parent: Parent,
    pub discussion_id: String,
    pub created_time: String,
    pub last_edited_time: String,
    /// A user's id, or a bot's (an integration's comments).
    pub author_id: String,
    pub rich_text: Value,
    /// `display_name.type` (`integration`, `user` or `custom`) and its `resolved_name`.
    pub display_name: (String, Option<String>),
    pub attachments: Vec<CommentAttachment>,
    /// Resolved in the app: never listed (Notion's list answers un-resolved comments only).
    pub resolved: bool,
    /// Deleted through `DELETE /v1/comments/{id}`: gone from every read.
    pub in_trash: bool,
}

impl Comment {
    /// The id of the page or block the comment is on.
    pub fn target(&self) -> &str {
        match &self.parent {
            Parent::Page(id) | Parent::Block(id) => id,
            _ => "",
        }
    }
}

/// A file attached to a comment: its category (`image`, `pdf`, `audio`, `video`,
/// `productivity`) and its stored hosted URL (signed on every read, see [`crate::files`]).
#[derive(Debug, Clone)]
pub struct CommentAttachment {
    pub category: String,
    pub url: String,
}

/// What an integration may do with comments (Notion's "Read comments" and "Insert
/// comments" capabilities); the sandbox grants both unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentCaps {
    pub read: bool,
    pub insert: bool,
}

impl Default for CommentCaps {
    fn default() -> Self {
        Self {
            read: true,
            insert: true,
        }
    }
}

/// How a token was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Login,
    PersonalAccessToken,
}

/// An API token: whose, for which workspace, and its bot user.
#[derive(Debug, Clone)]
pub struct Token {
    pub user_id: String,
    pub ws: String,
    pub kind: TokenKind,
    pub revoked: bool,
    pub bot_id: String,
}

/// Where a login session stands.
#[derive(Debug, Clone)]
pub enum SessionState {
    Pending,
    Confirmed {
        token: String,
        ws: String,
        user_id: String,
    },
    Redeemed,
    Denied {
        reason: String,
        message: String,
    },
}

/// A CLI login session (`workersCliLoginInit` → approval → redeem).
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub session_id: String,
    pub browser_id: String,
    pub code: String,
    pub expires_ms: i64,
    pub state: SessionState,
}

impl LoginSession {
    pub fn expired(&self, now: i64) -> bool {
        matches!(
            self.state,
            SessionState::Pending | SessionState::Confirmed { .. }
        ) && now >= self.expires_ms
    }
    pub fn status(&self, now: i64) -> &'static str {
        if self.expired(now) {
            return "expired";
        }
        match self.state {
            SessionState::Pending => "pending",
            SessionState::Confirmed { .. } => "confirmed",
            SessionState::Redeemed => "redeemed",
            SessionState::Denied { .. } => "denied",
        }
    }
}

/// One entry of the request log (status 0 for a cut connection).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub workspace_id: Option<String>,
    pub status: u16,
    pub has_authorization: bool,
    /// The JSON body of a write, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// The answer's `Content-Encoding` (`gzip` when the client asked for it
    /// and the body was worth compressing), none when sent as is.
    pub encoding: Option<String>,
}

/// A fault to inject on the next `count` requests matching a path prefix (and method).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub path_prefix: String,
    #[serde(default)]
    pub status: Option<u16>,
    pub count: u32,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub cut: bool,
    /// Hold the request without answering (see [`crate::traps`]).
    #[serde(default)]
    pub stall: bool,
    /// Answer 200 with a body dribbled one byte every this many ms.
    #[serde(default)]
    pub dribble_ms: Option<u64>,
    /// How long a stall or a dribble lasts (default ten minutes).
    #[serde(default)]
    pub hold_ms: Option<u64>,
    /// Answer with a redirect to this URL.
    #[serde(default)]
    pub redirect: Option<String>,
    /// The redirect's status (default 302).
    #[serde(default)]
    pub redirect_status: Option<u16>,
    /// Apply the request first, then answer `status` (or cut the connection):
    /// a server that did the work and failed afterwards, as Notion's 5xx can
    /// (a 503 may come after up to 60 s of work).
    #[serde(default)]
    pub after: bool,
    /// A hostile server: the error answer's message quotes the request's
    /// `Authorization` header (raw and percent-encoded), and so does its
    /// `x-you-sent` header.
    #[serde(default)]
    pub echo_auth: bool,
}
