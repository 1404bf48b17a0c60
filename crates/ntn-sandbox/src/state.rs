//! In-memory state: the workspace data, tokens, login sessions, request log and faults.

use crate::fixture::{Fixture, FxBlock};
use crate::util::{self, normalize_id, rich_text};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Fixture timestamps default to this.
pub const DEFAULT_TIME: &str = "2025-01-01T00:00:00.000Z";
/// 2025-01-01T00:00:00Z in unix ms (generated rows count minutes from it).
pub const BASE_MS: i64 = 1_735_689_600_000;

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

pub struct AppState {
    pub cfg: Config,
    store: Mutex<Store>,
    pub openapi: crate::openapi::Served,
    pub uploads: crate::uploads::Uploads,
    /// The bound address (`HOST:PORT`), set once listening.
    pub local_addr: std::sync::OnceLock<String>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(cfg: Config, fixture: &Fixture) -> Result<Shared, String> {
        let store = Store::from_fixture(fixture, cfg.rows)?;
        let openapi = crate::openapi::Served::new(cfg.openapi.as_deref())?;
        let uploads = crate::uploads::Uploads::new().map_err(|e| format!("temp dir: {e}"))?;
        Ok(Arc::new(Self {
            cfg,
            store: Mutex::new(store),
            openapi,
            uploads,
            local_addr: std::sync::OnceLock::new(),
        }))
    }
    /// Lock the store (never hold the guard across an `.await`).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

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

#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub upload_limit: u64,
    pub members: Vec<(String, Role)>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

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
}

#[derive(Debug, Clone)]
pub struct SelOpt {
    pub id: String,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone)]
pub struct PropDef {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub options: Vec<SelOpt>,
}

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

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub ws: String,
    pub page_id: String,
    pub discussion_id: String,
    pub created_time: String,
    pub author_id: String,
    pub rich_text: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Login,
    PersonalAccessToken,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub user_id: String,
    pub ws: String,
    pub kind: TokenKind,
    pub revoked: bool,
    pub bot_id: String,
}

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

#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub workspace_id: Option<String>,
    pub status: u16,
    pub has_authorization: bool,
}

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

fn norm(id: &str, what: &str) -> Result<String, String> {
    normalize_id(id).ok_or_else(|| format!("fixture: {what} id `{id}` is not a UUID"))
}

impl Store {
    pub fn from_fixture(fx: &Fixture, rows: usize) -> Result<Self, String> {
        let mut s = Store::default();
        for w in &fx.workspaces {
            s.workspaces.push(Workspace {
                id: norm(&w.id, "workspace")?,
                name: w.name.clone(),
                plan: w.plan.clone().unwrap_or_else(|| "plus".into()),
                upload_limit: w.upload_limit_bytes,
                members: vec![],
            });
        }
        for u in &fx.users {
            let id = norm(&u.id, "user")?;
            for m in &u.memberships {
                let wid = norm(&m.workspace_id, "workspace")?;
                let role = Role::parse(&m.role)
                    .ok_or_else(|| format!("fixture: unknown role `{}`", m.role))?;
                let ws = s
                    .workspaces
                    .iter_mut()
                    .find(|w| w.id == wid)
                    .ok_or_else(|| format!("fixture: unknown workspace {wid}"))?;
                ws.members.push((id.clone(), role));
            }
            s.users.push(User {
                id,
                name: u.name.clone(),
                email: u.email.clone(),
            });
        }
        let default_author = s.users.first().map(|u| u.id.clone()).unwrap_or_default();
        // Databases and data sources first, so rows can be typed.
        for d in &fx.databases {
            let id = norm(&d.id, "database")?;
            let created = d
                .created_time
                .clone()
                .unwrap_or_else(|| DEFAULT_TIME.into());
            let mut ds_ids = vec![];
            for ds in &d.data_sources {
                let dsid = norm(&ds.id, "data source")?;
                let mut schema = vec![];
                for (i, p) in ds.properties.iter().enumerate() {
                    let pid = p.id.clone().unwrap_or_else(|| {
                        if p.kind == "title" {
                            "title".into()
                        } else {
                            format!("p{i}")
                        }
                    });
                    let options = p
                        .options
                        .iter()
                        .enumerate()
                        .map(|(j, o)| SelOpt {
                            id: format!("{pid}-o{j}"),
                            name: o.name.clone(),
                            color: o.color.clone().unwrap_or_else(|| "default".into()),
                        })
                        .collect();
                    schema.push(PropDef {
                        id: pid,
                        name: p.name.clone(),
                        kind: p.kind.clone(),
                        options,
                    });
                }
                s.data_sources.insert(
                    dsid.clone(),
                    DataSource {
                        id: dsid.clone(),
                        ws: norm(&d.workspace_id, "workspace")?,
                        database_id: id.clone(),
                        name: ds.name.clone(),
                        schema,
                        created_time: created.clone(),
                        last_edited_time: created.clone(),
                        rows: vec![],
                    },
                );
                ds_ids.push(dsid);
            }
            s.databases.insert(
                id.clone(),
                Database {
                    id: id.clone(),
                    ws: norm(&d.workspace_id, "workspace")?,
                    parent_page: norm(&d.parent_page_id, "page")?,
                    title: d.title.clone(),
                    created_time: created.clone(),
                    last_edited_time: created,
                    data_sources: ds_ids,
                    in_trash: false,
                },
            );
            s.database_order.push(id);
        }
        for p in &fx.pages {
            let id = norm(&p.id, "page")?;
            let ws = norm(&p.workspace_id, "workspace")?;
            let created = p
                .created_time
                .clone()
                .unwrap_or_else(|| DEFAULT_TIME.into());
            let author = match &p.created_by {
                Some(a) => norm(a, "user")?,
                None => default_author.clone(),
            };
            let mut simple = p.properties.clone();
            let parent = if let Some(dsid) = &p.parent.data_source_id {
                let dsid = norm(dsid, "data source")?;
                let ds = s
                    .data_sources
                    .get(&dsid)
                    .ok_or_else(|| format!("fixture: unknown data source {dsid}"))?;
                if let (Some(t), Some(def)) =
                    (&p.title, ds.schema.iter().find(|d| d.kind == "title"))
                {
                    simple.insert(def.name.clone(), Value::String(t.clone()));
                }
                Parent::DataSource {
                    ds: dsid,
                    db: ds.database_id.clone(),
                }
            } else if let Some(pid) = &p.parent.page_id {
                Parent::Page(norm(pid, "page")?)
            } else {
                Parent::Workspace
            };
            let props = match &parent {
                Parent::DataSource { ds, .. } => {
                    let ds = s.data_sources.get_mut(ds).expect("checked");
                    let mut props = Map::new();
                    for (k, v) in &simple {
                        let def = ds
                            .schema
                            .iter_mut()
                            .find(|d| &d.name == k)
                            .ok_or_else(|| format!("fixture: unknown property {k}"))?;
                        props.insert(k.clone(), input_value(def, &simple_to_input(def, v))?);
                    }
                    fill_missing_props(ds, &mut props);
                    ds.rows.push(id.clone());
                    props
                }
                _ => title_props(p.title.as_deref().unwrap_or("")),
            };
            if let Parent::Page(parent_id) = &parent {
                s.children
                    .entry(parent_id.clone())
                    .or_default()
                    .push(id.clone());
            }
            s.insert_fx_blocks(&ws, &Parent::Page(id.clone()), &p.blocks, &created, &author);
            s.pages.insert(
                id.clone(),
                Page {
                    id: id.clone(),
                    ws,
                    parent,
                    props,
                    created_time: created.clone(),
                    last_edited_time: created,
                    created_by: author.clone(),
                    last_edited_by: author,
                    in_trash: false,
                    icon: p.icon.clone(),
                },
            );
            s.page_order.push(id);
        }
        for dbid in s.database_order.clone() {
            let parent = s.databases[&dbid].parent_page.clone();
            s.children.entry(parent).or_default().push(dbid);
        }
        // Generated rows.
        let gen_ds: Vec<String> = fx
            .databases
            .iter()
            .flat_map(|d| d.data_sources.iter())
            .filter(|d| d.generate_rows)
            .filter_map(|d| normalize_id(&d.id))
            .collect();
        for dsid in gen_ds {
            s.generate_rows(&dsid, rows, &default_author)?;
        }
        for c in &fx.comments {
            let page_id = norm(&c.page_id, "page")?;
            let ws = s
                .pages
                .get(&page_id)
                .map(|p| p.ws.clone())
                .ok_or_else(|| format!("fixture: comment on unknown page {page_id}"))?;
            let author = s
                .users
                .iter()
                .find(|u| u.email == c.author_email)
                .map(|u| u.id.clone())
                .ok_or_else(|| format!("fixture: unknown author {}", c.author_email))?;
            let id = norm(&c.id, "comment")?;
            s.comments.push(Comment {
                discussion_id: match &c.discussion_id {
                    Some(d) => norm(d, "discussion")?,
                    None => id.clone(),
                },
                id,
                ws,
                page_id,
                created_time: c
                    .created_time
                    .clone()
                    .unwrap_or_else(|| DEFAULT_TIME.into()),
                author_id: author,
                rich_text: json!([rich_text(&c.text)]),
            });
        }
        Ok(s)
    }

    fn insert_fx_blocks(
        &mut self,
        ws: &str,
        parent: &Parent,
        blocks: &[FxBlock],
        created: &str,
        author: &str,
    ) {
        let container = match parent {
            Parent::Page(id) | Parent::Block(id) => id.clone(),
            _ => return,
        };
        for b in blocks {
            let id = normalize_id(&b.id).unwrap_or_else(|| b.id.clone());
            let mut data = json!({});
            if b.kind != "divider" {
                data["rich_text"] = json!([rich_text(b.text.as_deref().unwrap_or(""))]);
                data["color"] = json!("default");
            }
            if b.kind == "to_do" {
                data["checked"] = json!(b.checked.unwrap_or(false));
            }
            if b.kind == "code" {
                data["language"] = json!(b.language.clone().unwrap_or_else(|| "plain text".into()));
                data["caption"] = json!([]);
                data.as_object_mut().map(|o| o.remove("color"));
            }
            self.blocks.insert(
                id.clone(),
                Block {
                    id: id.clone(),
                    ws: ws.into(),
                    parent: parent.clone(),
                    kind: b.kind.clone(),
                    data,
                    created_time: created.into(),
                    last_edited_time: created.into(),
                    created_by: author.into(),
                    in_trash: false,
                },
            );
            self.children
                .entry(container.clone())
                .or_default()
                .push(id.clone());
            self.insert_fx_blocks(ws, &Parent::Block(id), &b.children, created, author);
        }
    }

    fn generate_rows(&mut self, dsid: &str, n: usize, author: &str) -> Result<(), String> {
        const STATUS: [&str; 3] = ["Not started", "In progress", "Done"];
        const TAGS: [&str; 3] = ["bug", "feature", "docs"];
        let (ws, db) = {
            let ds = &self.data_sources[dsid];
            (ds.ws.clone(), ds.database_id.clone())
        };
        for i in 1..=n {
            let id = format!("d3000000-0000-4000-8000-{i:012}");
            let status = STATUS[i % 3];
            let tags: Vec<&str> = match i % 4 {
                0 => vec![],
                1 => vec![TAGS[0]],
                2 => vec![TAGS[1], TAGS[2]],
                _ => vec![TAGS[(i / 4) % 3]],
            };
            let simple = json!({
                "Name": format!("Task {i}"),
                "Status": status,
                "Priority": ((i * 7) % 10) + 1,
                "Done": status == "Done",
                "Tags": tags,
            });
            let ds = self.data_sources.get_mut(dsid).expect("exists");
            let mut props = Map::new();
            for (k, v) in simple.as_object().expect("object") {
                if let Some(def) = ds.schema.iter_mut().find(|d| &d.name == k) {
                    props.insert(k.clone(), input_value(def, &simple_to_input(def, v))?);
                }
            }
            fill_missing_props(ds, &mut props);
            ds.rows.push(id.clone());
            let t = util::rfc3339(BASE_MS + i as i64 * 60_000);
            self.pages.insert(
                id.clone(),
                Page {
                    id: id.clone(),
                    ws: ws.clone(),
                    parent: Parent::DataSource {
                        ds: dsid.into(),
                        db: db.clone(),
                    },
                    props,
                    created_time: t.clone(),
                    last_edited_time: t,
                    created_by: author.into(),
                    last_edited_by: author.into(),
                    in_trash: false,
                    icon: None,
                },
            );
            self.page_order.push(id);
        }
        Ok(())
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
    /// A valid (known, unrevoked) token.
    pub fn valid_token(&self, token: &str) -> Option<&Token> {
        self.tokens.get(token).filter(|t| !t.revoked)
    }
}

/// Properties of a page outside a data source.
pub fn title_props(title: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "title".into(),
        json!({"id": "title", "type": "title", "title": [rich_text(title)]}),
    );
    m
}

/// Fill absent schema properties with empty values.
pub fn fill_missing_props(ds: &DataSource, props: &mut Map<String, Value>) {
    for def in &ds.schema {
        if !props.contains_key(&def.name) {
            props.insert(def.name.clone(), empty_value(def));
        }
    }
}

pub fn empty_value(def: &PropDef) -> Value {
    let inner = match def.kind.as_str() {
        "title" | "rich_text" | "multi_select" | "people" | "files" | "relation" => json!([]),
        "checkbox" => json!(false),
        _ => Value::Null,
    };
    json!({"id": def.id, "type": def.kind, def.kind.clone(): inner})
}

/// Turn a fixture's simple value into an API input value.
fn simple_to_input(def: &PropDef, v: &Value) -> Value {
    match (def.kind.as_str(), v) {
        ("title" | "rich_text", Value::String(s)) => {
            json!({def.kind.clone(): [{"text": {"content": s}}]})
        }
        ("select", Value::String(s)) => json!({"select": {"name": s}}),
        ("multi_select", Value::Array(a)) => {
            let opts: Vec<Value> = a.iter().map(|n| json!({"name": n})).collect();
            json!({"multi_select": opts})
        }
        ("date", Value::String(s)) => json!({"date": {"start": s}}),
        (k, v) => json!({k: v}),
    }
}

/// Normalise an API property value (`{"select": {"name": "Done"}}`, …) into Notion's full
/// property value shape, adding new select options to the schema as Notion does.
pub fn input_value(def: &mut PropDef, v: &Value) -> Result<Value, String> {
    let kind = def.kind.clone();
    let name = def.name.clone();
    let inner = match v.get(&kind) {
        Some(x) => x,
        None if kind == "title" && v.is_array() => v,
        None => {
            return Err(format!(
                "{name} is expected to be {kind}. Provide `{{\"{kind}\": ...}}`."
            ));
        }
    };
    let bad = |what: &str| {
        Err(format!(
            "{name}.{kind} should be {what}, instead was `{inner}`."
        ))
    };
    let out = match kind.as_str() {
        "title" | "rich_text" => util::normalize_rich_text(inner, &format!("{name}.{kind}"))?,
        "number" => match inner {
            Value::Number(_) | Value::Null => inner.clone(),
            _ => return bad("a number or `null`"),
        },
        "checkbox" => match inner {
            Value::Bool(_) => inner.clone(),
            _ => return bad("a boolean"),
        },
        "select" | "status" => match inner {
            Value::Null => Value::Null,
            Value::Object(_) => {
                let o = select_option(def, inner)?;
                json!({"id": o.id, "name": o.name, "color": o.color})
            }
            _ => return bad("an object or `null`"),
        },
        "multi_select" => match inner {
            Value::Array(items) => {
                let mut out = vec![];
                for it in items {
                    let o = select_option(def, it)?;
                    out.push(json!({"id": o.id, "name": o.name, "color": o.color}));
                }
                Value::Array(out)
            }
            _ => return bad("an array"),
        },
        "date" => match inner {
            Value::Null => Value::Null,
            Value::Object(o) if o.get("start").is_some_and(Value::is_string) => json!({
                "start": o["start"],
                "end": o.get("end").cloned().unwrap_or(Value::Null),
                "time_zone": o.get("time_zone").cloned().unwrap_or(Value::Null),
            }),
            _ => return bad("an object with a `start` string, or `null`"),
        },
        "url" | "email" | "phone_number" => match inner {
            Value::String(_) | Value::Null => inner.clone(),
            _ => return bad("a string or `null`"),
        },
        _ => inner.clone(),
    };
    Ok(json!({"id": def.id, "type": kind, kind.clone(): out}))
}

fn select_option(def: &mut PropDef, v: &Value) -> Result<SelOpt, String> {
    let name = v.get("name").and_then(Value::as_str);
    let id = v.get("id").and_then(Value::as_str);
    if let Some(o) = def
        .options
        .iter()
        .find(|o| Some(o.name.as_str()) == name || Some(o.id.as_str()) == id)
    {
        return Ok(o.clone());
    }
    let Some(name) = name else {
        return Err(format!(
            "{}: select option should have a `name`, instead was `{v}`.",
            def.name
        ));
    };
    if name.contains(',') {
        return Err(format!(
            "{}: select option names cannot contain commas.",
            def.name
        ));
    }
    let o = SelOpt {
        id: format!("{}-o{}", def.id, def.options.len()),
        name: name.into(),
        color: v
            .get("color")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .into(),
    };
    def.options.push(o.clone());
    Ok(o)
}
