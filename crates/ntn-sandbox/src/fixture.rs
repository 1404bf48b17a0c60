//! The fixture file format (the built-in one is `fixtures/default.json`), its parsing, and
//! [`FixtureError`], the errors of parsing and loading one ([`crate::load`] builds the store).
//!
//! A fixture is one JSON object:
//!
//! ```json
//! {
//!   "workspaces": [{"id": "<uuid>", "name": "Acme", "plan": "enterprise",
//!                   "upload_limit_bytes": 5368709120}],
//!   "users": [{"id": "<uuid>", "name": "Alice Example", "email": "alice@acme.test",
//!              "memberships": [{"workspace_id": "<uuid>", "role": "member"}]}],
//!   "pages": [{"id": "<uuid>", "workspace_id": "<uuid>",
//!              "parent": {"workspace": true} | {"page_id": "<uuid>"} | {"block_id": "<uuid>"}
//!                        | {"data_source_id": "<uuid>"},
//!              "title": "Home",
//!              "properties": {"Status": "Done", "Priority": 3, "Done": true, "Tags": ["bug"]},
//!              "created_time": "2025-01-01T00:00:00.000Z", "created_by": "<user uuid>",
//!              "icon": "🏠",
//!              "blocks": [{"id": "<uuid>", "type": "paragraph", "text": "Hello",
//!                          "checked": false, "language": "rust", "children": [ ... ]}]}],
//!   "databases": [{"id": "<uuid>", "workspace_id": "<uuid>", "parent_page_id": "<uuid>",
//!                  "title": "Tasks", "created_time": "...",
//!                  "data_sources": [{"id": "<uuid>", "name": "Tasks",
//!                                    "generate_rows": true,
//!                                    "properties": [{"name": "Name", "type": "title"},
//!                                                   {"name": "Status", "type": "select",
//!                                                    "options": [{"name": "Done", "color": "green"}]}]}],
//!                  "views": [{"id": "<uuid>", "name": "Open", "type": "table",
//!                             "data_source_id": "<uuid>",
//!                             "filter": {"property": "Status", "select": {"does_not_equal": "Done"}},
//!                             "sorts": [{"property": "Priority", "direction": "descending"}],
//!                             "properties": ["Name", "Status"], "group_by": "Status"}]}],
//!   "comments": [{"id": "<uuid>", "page_id": "<uuid>" | "block_id": "<uuid>",
//!                 "author_email": "alice@acme.test" | "bot": {"id": "<uuid>", "name": "Helper"},
//!                 "text": "Looks good" | "markdown": "**Looks** [good](https://x.test)",
//!                 "created_time": "...", "discussion_id": "<uuid>", "resolved": false}]
//! }
//! ```
//!
//! * `role` is `member`, `guest` or `restricted`.
//! * `upload_limit_bytes` is the workspace's `max_file_upload_size_in_bytes`.
//! * Page `properties` use simple values, interpreted by the parent data source's schema:
//!   a string for title/rich_text/select/status/date/url/email/phone_number, a number, a bool
//!   for checkbox, an array of strings for multi_select, of user emails for people and of
//!   page ids for relation; `null` leaves a value empty. A page's `title` fills its title
//!   property.
//! * Block `type` is any Notion block type; `text` fills its `rich_text`, `checked` is for `to_do`,
//!   `language` for `code`. `divider` takes no text. `data` is the object under the type's key
//!   as Notion returns it (`{"url": "…", "caption": []}` for a bookmark; a `caption` may be a
//!   plain string); without it a block
//!   gets `rich_text` and `color`. A block `{"type": "child_database", "id": "<database id>"}`
//!   places that database (its `parent_page_id` must be the page) there among the page's
//!   blocks; other databases come after a page's blocks and child pages. A database with
//!   `"inline": true` is shown inline.
//! * A data source with `"generate_rows": true` gets `--rows` generated rows (default 260) with
//!   ids `d3000000-0000-4000-8000-<12-digit row number>` and properties Name ("Task N"),
//!   Status (Not started / In progress / Done), Priority (1..10), Done, Tags (bug/feature/docs).
//!   Its schema should have those properties.
//! * A page whose parent is a `block_id` (a toggle, a column, … of a page listed earlier)
//!   is a `child_page` block there, after the block's own children; a page whose parent is
//!   a page comes after that page's blocks.
//! * A comment is on a page (`page_id`) or a block (`block_id`), by a user (`author_email`:
//!   `display_name` type `user`) or an integration (`bot`: type `integration`); its
//!   `discussion_id` defaults to its own id; a `resolved` one is never listed.
//! * A view's `data_source_id` defaults to the database's first data source; its `filter` and
//!   `sorts` are Notion's JSON, checked against that data source as a query checks them;
//!   `properties` names the visible properties in order (the others are listed hidden after
//!   them; all are visible when it is omitted); `group_by` (a property name) is a board's
//!   grouping, `date_property` a calendar's or timeline's date.
//! * Omitted `created_time` defaults to `2025-01-01T00:00:00.000Z`.

use crate::props::InputError;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A fixture that cannot be parsed or loaded. Each message is complete (it includes its
/// cause), so it is the only line to print.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// Not JSON, or not the fixture format.
    #[error("invalid fixture: {0}")]
    Parse(serde_json::Error),
    /// An id that is not a UUID; `what` says whose.
    #[error("fixture: {what} id `{id}` is not a UUID")]
    NotAUuid { what: &'static str, id: String },
    #[error("fixture: unknown role `{0}`")]
    UnknownRole(String),
    #[error("fixture: unknown workspace {0}")]
    UnknownWorkspace(String),
    #[error("fixture: unknown data source {0}")]
    UnknownDataSource(String),
    /// A view whose filter, sorts or properties its data source refuses.
    #[error("fixture: view {0}: {1}")]
    View(String, String),
    #[error("fixture: unknown property {0}")]
    UnknownProperty(String),
    #[error("fixture: comment on unknown page {0}")]
    CommentOnUnknownPage(String),
    #[error("fixture: comment on unknown block {0}")]
    CommentOnUnknownBlock(String),
    /// A comment without exactly one of `page_id` and `block_id`, or of `author_email`
    /// and `bot`.
    #[error(
        "fixture: comment {0} needs exactly one of page_id and block_id, and of author_email and bot"
    )]
    CommentShape(String),
    #[error("fixture: unknown author {0}")]
    UnknownAuthor(String),
    /// A people property names an email no user has.
    #[error("fixture: unknown user {0}")]
    UnknownUser(String),
    /// A property value its schema refuses (the message is the API's validation message).
    #[error(transparent)]
    Property(#[from] InputError),
}

/// The built-in fixture.
pub const DEFAULT_FIXTURE: &str = include_str!("../fixtures/default.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub workspaces: Vec<FxWorkspace>,
    pub users: Vec<FxUser>,
    #[serde(default)]
    pub pages: Vec<FxPage>,
    #[serde(default)]
    pub databases: Vec<FxDatabase>,
    #[serde(default)]
    pub comments: Vec<FxComment>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxWorkspace {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub plan: Option<String>,
    pub upload_limit_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxUser {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub memberships: Vec<FxMembership>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxMembership {
    pub workspace_id: String,
    pub role: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FxParent {
    #[serde(default)]
    pub workspace: bool,
    #[serde(default)]
    pub page_id: Option<String>,
    #[serde(default)]
    pub data_source_id: Option<String>,
    /// A block of another page (a toggle, a column, …) the page sits in; the block must come
    /// earlier in the fixture.
    #[serde(default)]
    pub block_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxPage {
    pub id: String,
    pub workspace_id: String,
    #[serde(default)]
    pub parent: FxParent,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub created_time: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default)]
    pub blocks: Vec<FxBlock>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxBlock {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub checked: Option<bool>,
    #[serde(default)]
    pub language: Option<String>,
    /// The object under the type's key, as Notion returns it (`{"url": …, "caption": […]}`);
    /// `text`, `checked` and `language` are added to it when given.
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub children: Vec<FxBlock>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxDatabase {
    pub id: String,
    pub workspace_id: String,
    pub parent_page_id: String,
    pub title: String,
    #[serde(default)]
    pub created_time: Option<String>,
    /// Shown inline in its parent page.
    #[serde(default)]
    pub inline: bool,
    pub data_sources: Vec<FxDataSource>,
    #[serde(default)]
    pub views: Vec<FxView>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxView {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data_source_id: Option<String>,
    #[serde(default)]
    pub filter: Option<Value>,
    #[serde(default)]
    pub sorts: Vec<Value>,
    /// Visible property names, in order.
    #[serde(default)]
    pub properties: Option<Vec<String>>,
    #[serde(default)]
    pub group_by: Option<String>,
    #[serde(default)]
    pub date_property: Option<String>,
    #[serde(default)]
    pub created_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxDataSource {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub generate_rows: bool,
    pub properties: Vec<FxPropDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxPropDef {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub options: Vec<FxOption>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxOption {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxComment {
    pub id: String,
    /// The page the comment is on (page-level discussion), or
    #[serde(default)]
    pub page_id: Option<String>,
    /// the block it is on (exactly one of the two).
    #[serde(default)]
    pub block_id: Option<String>,
    /// A user's comment, or
    #[serde(default)]
    pub author_email: Option<String>,
    /// an integration's (a bot user with this id and name).
    #[serde(default)]
    pub bot: Option<FxBot>,
    /// Plain text, or
    #[serde(default)]
    pub text: Option<String>,
    /// inline Markdown (bold, italic, links, mentions) as `POST /v1/comments` takes it.
    #[serde(default)]
    pub markdown: Option<String>,
    #[serde(default)]
    pub created_time: Option<String>,
    #[serde(default)]
    pub discussion_id: Option<String>,
    /// Resolved in the app: never listed.
    #[serde(default)]
    pub resolved: bool,
}

/// The integration that wrote a fixture comment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxBot {
    pub id: String,
    pub name: String,
}

impl Fixture {
    pub fn parse(text: &str) -> Result<Self, FixtureError> {
        serde_json::from_str(text).map_err(FixtureError::Parse)
    }
    pub fn builtin() -> Self {
        Self::parse(DEFAULT_FIXTURE).expect("built-in fixture is valid")
    }
}
