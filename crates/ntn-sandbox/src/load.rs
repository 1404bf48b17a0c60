//! Loading a fixture: building a [`Store`] from a [`Fixture`] (ids normalised, properties
//! typed by their data source's schema, blocks nested, comments attached) and generating the
//! big data source's rows.

use crate::fixture::{Fixture, FixtureError, FxBlock, FxView};
use crate::model::{
    Block, Comment, DataSource, Database, Page, Parent, PropDef, Role, SelOpt, User, View,
    Workspace,
};
use crate::props::{fill_missing_props, input_value, simple_to_input, title_props};
use crate::store::Store;
use crate::util::{self, normalize_id, rich_text};
use serde_json::{Map, Value, json};

/// Fixture timestamps default to this.
pub const DEFAULT_TIME: &str = "2025-01-01T00:00:00.000Z";
/// 2025-01-01T00:00:00Z in unix ms (generated rows count minutes from it).
pub const BASE_MS: i64 = 1_735_689_600_000;

fn norm(id: &str, what: &'static str) -> Result<String, FixtureError> {
    normalize_id(id).ok_or_else(|| FixtureError::NotAUuid {
        what,
        id: id.into(),
    })
}

/// Build the store for a fixture, with `rows` rows in each data source marked
/// `generate_rows`, `per_minute` of them created in each minute.
pub fn from_fixture(fx: &Fixture, rows: usize, per_minute: usize) -> Result<Store, FixtureError> {
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
            let role =
                Role::parse(&m.role).ok_or_else(|| FixtureError::UnknownRole(m.role.clone()))?;
            let ws = s
                .workspaces
                .iter_mut()
                .find(|w| w.id == wid)
                .ok_or_else(|| FixtureError::UnknownWorkspace(wid.clone()))?;
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
                inline: d.inline,
            },
        );
        s.database_order.push(id.clone());
        for v in &d.views {
            let view = load_view(&s, &id, v, &default_author)?;
            s.views.push(view);
        }
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
                .ok_or_else(|| FixtureError::UnknownDataSource(dsid.clone()))?;
            if let (Some(t), Some(def)) = (&p.title, ds.schema.iter().find(|d| d.kind == "title")) {
                simple.insert(def.name.clone(), Value::String(t.clone()));
            }
            Parent::DataSource {
                ds: dsid,
                db: ds.database_id.clone(),
            }
        } else if let Some(pid) = &p.parent.page_id {
            Parent::Page(norm(pid, "page")?)
        } else if let Some(bid) = &p.parent.block_id {
            Parent::Block(norm(bid, "block")?)
        } else {
            Parent::Workspace
        };
        let props = match &parent {
            Parent::DataSource { ds, .. } => {
                let mut inputs = vec![];
                for (k, v) in &simple {
                    let def = s.data_sources[ds]
                        .schema
                        .iter()
                        .find(|d| &d.name == k)
                        .ok_or_else(|| FixtureError::UnknownProperty(k.clone()))?;
                    let input = if def.kind == "people" {
                        people_input(&s, v)?
                    } else {
                        simple_to_input(def, v)
                    };
                    inputs.push((k.clone(), input));
                }
                let ds = s.data_sources.get_mut(ds).expect("checked");
                let mut props = Map::new();
                for (k, input) in inputs {
                    let def = ds.schema.iter_mut().find(|d| d.name == k).expect("checked");
                    props.insert(k, input_value(def, &input)?);
                }
                fill_missing_props(ds, &mut props);
                ds.rows.push(id.clone());
                props
            }
            _ => title_props(p.title.as_deref().unwrap_or("")),
        };
        if let Parent::Page(parent_id) | Parent::Block(parent_id) = &parent {
            s.children
                .entry(parent_id.clone())
                .or_default()
                .push(id.clone());
        }
        insert_fx_blocks(
            &mut s,
            &ws,
            &Parent::Page(id.clone()),
            &p.blocks,
            &created,
            &author,
        );
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
        let list = s.children.entry(parent).or_default();
        // Unless a `child_database` block placed it among the page's blocks.
        if !list.contains(&dbid) {
            list.push(dbid);
        }
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
        generate_rows(&mut s, &dsid, rows, per_minute, &default_author)?;
    }
    for c in &fx.comments {
        load_comment(&mut s, c)?;
    }
    Ok(s)
}

/// A people value from a fixture's list of user emails: the users as the API shows them.
fn people_input(s: &Store, v: &Value) -> Result<Value, FixtureError> {
    let mut people = vec![];
    for email in v.as_array().into_iter().flatten() {
        let email = email.as_str().unwrap_or_default();
        let user = s
            .user_by_email(email)
            .ok_or_else(|| FixtureError::UnknownUser(email.into()))?;
        people.push(crate::render::person_json(s, &user.id));
    }
    Ok(json!({ "people": people }))
}

/// Insert fixture blocks (and their children, depth first) under a page or block.
fn insert_fx_blocks(
    s: &mut Store,
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
        if b.kind == "child_database" {
            // A database placed here (it is stored as a database, not a block).
            s.children.entry(container.clone()).or_default().push(id);
            continue;
        }
        let mut data = json!({});
        if let Some(d) = &b.data {
            data = d.clone();
            if let Some(t) = &b.text {
                data["rich_text"] = json!([rich_text(t)]);
            }
            if let Some(c) = data.get("caption").and_then(Value::as_str) {
                data["caption"] = json!([rich_text(c)]);
            }
        } else if b.kind != "divider" {
            data["rich_text"] = json!([rich_text(b.text.as_deref().unwrap_or(""))]);
            data["color"] = json!("default");
        }
        if b.kind == "to_do" && (b.data.is_none() || b.checked.is_some()) {
            data["checked"] = json!(b.checked.unwrap_or(false));
        }
        if b.kind == "code" && b.data.is_none() {
            data["language"] = json!(b.language.clone().unwrap_or_else(|| "plain text".into()));
            data["caption"] = json!([]);
            data.as_object_mut().map(|o| o.remove("color"));
        }
        s.blocks.insert(
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
        s.children
            .entry(container.clone())
            .or_default()
            .push(id.clone());
        insert_fx_blocks(s, ws, &Parent::Block(id), &b.children, created, author);
    }
}

/// Add `n` generated task rows to a data source (see the fixture format): row `i` (from 1)
/// was created in minute `(i - 1) / per_minute + 1` after [`BASE_MS`].
fn generate_rows(
    s: &mut Store,
    dsid: &str,
    n: usize,
    per_minute: usize,
    author: &str,
) -> Result<(), FixtureError> {
    const STATUS: [&str; 3] = ["Not started", "In progress", "Done"];
    const TAGS: [&str; 3] = ["bug", "feature", "docs"];
    let (ws, db) = {
        let ds = &s.data_sources[dsid];
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
        let ds = s.data_sources.get_mut(dsid).expect("exists");
        let mut props = Map::new();
        for (k, v) in simple.as_object().expect("object") {
            if let Some(def) = ds.schema.iter_mut().find(|d| &d.name == k) {
                props.insert(k.clone(), input_value(def, &simple_to_input(def, v))?);
            }
        }
        fill_missing_props(ds, &mut props);
        ds.rows.push(id.clone());
        let minute = (i - 1) / per_minute.max(1) + 1;
        let t = util::rfc3339(BASE_MS + minute as i64 * 60_000);
        s.pages.insert(
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
        s.page_order.push(id);
    }
    Ok(())
}

/// The root page of `--tree N` ("Big tree", a child of Acme Home).
pub const TREE_ROOT: &str = "a2000000-0000-4000-8000-000000000000";
/// Where the big tree hangs (Acme Home; the first workspace's top level without it).
const TREE_PARENT: &str = "a1000000-0000-4000-8000-000000000001";

/// The id of page `n` of the big tree (0 is the root).
pub fn tree_page_id(n: usize) -> String {
    format!("a2000000-0000-4000-8000-{n:012}")
}

/// Add `n` pages under a root page "Big tree" ([`TREE_ROOT`]): page `n`'s parent is page
/// `(n-1)/10` (fan-out 10, 0 being the root), titled "Page n"; each page holds a heading,
/// three paragraphs (block ids `a3000000-0000-4000-8000-<4n+k>`) and then its child pages.
/// Page `n` was last edited `(7n mod 600) + 1` minutes before the store's clock (rounded to
/// the minute; the root at that minute): times spread over ten hours, several pages a
/// minute. Linear in `n`.
pub fn big_tree(s: &mut Store, n: usize) {
    if n == 0 {
        return;
    }
    let (top, ws) = match s.pages.get(TREE_PARENT) {
        Some(p) => (Parent::Page(p.id.clone()), p.ws.clone()),
        None => match s.workspaces.first() {
            Some(w) => (Parent::Workspace, w.id.clone()),
            None => return,
        },
    };
    let author = s.users.first().map(|u| u.id.clone()).unwrap_or_default();
    let minute = s.now_ms().div_euclid(60_000) * 60_000;
    s.pages.reserve(n + 1);
    s.blocks.reserve(4 * (n + 1));
    s.children.reserve(2 * (n + 1));
    s.page_order.reserve(n + 1);
    let text = |kind: &str, t: String| {
        let mut data = json!({"rich_text": [rich_text(&t)], "color": "default"});
        if kind == "heading_2" {
            data["is_toggleable"] = json!(false);
        }
        data
    };
    for i in 0..=n {
        let id = tree_page_id(i);
        let parent = if i == 0 {
            top.clone()
        } else {
            Parent::Page(tree_page_id((i - 1) / 10))
        };
        let ago = if i == 0 { 0 } else { (i as i64 * 7) % 600 + 1 };
        let t = util::rfc3339(minute - ago * 60_000);
        let title = if i == 0 {
            "Big tree".to_string()
        } else {
            format!("Page {i}")
        };
        let mut kids = Vec::with_capacity(4 + 10);
        for k in 0..4 {
            let bid = format!("a3000000-0000-4000-8000-{:012}", i * 4 + k);
            let (kind, data) = if k == 0 {
                ("heading_2", text("heading_2", title.clone()))
            } else {
                (
                    "paragraph",
                    text("paragraph", format!("Paragraph {k} of {title}.")),
                )
            };
            s.blocks.insert(
                bid.clone(),
                Block {
                    id: bid.clone(),
                    ws: ws.clone(),
                    parent: Parent::Page(id.clone()),
                    kind: kind.into(),
                    data,
                    created_time: t.clone(),
                    last_edited_time: t.clone(),
                    created_by: author.clone(),
                    in_trash: false,
                },
            );
            kids.push(bid);
        }
        s.children.insert(id.clone(), kids);
        if let Parent::Page(p) = &parent {
            s.children.entry(p.clone()).or_default().push(id.clone());
        }
        s.pages.insert(
            id.clone(),
            Page {
                id: id.clone(),
                ws: ws.clone(),
                parent,
                props: title_props(&title),
                created_time: t.clone(),
                last_edited_time: t,
                created_by: author.clone(),
                last_edited_by: author.clone(),
                in_trash: false,
                icon: None,
            },
        );
        s.page_order.push(id);
    }
}

/// A fixture view of database `dbid`: its data source, filter and sorts checked as a query
/// checks them, its configuration built from the property names.
fn load_view(s: &Store, dbid: &str, v: &FxView, author: &str) -> Result<View, FixtureError> {
    let id = norm(&v.id, "view")?;
    let bad = |m: String| FixtureError::View(id.clone(), m);
    let db = &s.databases[dbid];
    let dsid = match &v.data_source_id {
        Some(d) => norm(d, "data source")?,
        None => db
            .data_sources
            .first()
            .cloned()
            .ok_or_else(|| bad("the database has no data source".into()))?,
    };
    if !db.data_sources.contains(&dsid) {
        return Err(FixtureError::UnknownDataSource(dsid));
    }
    let ds = &s.data_sources[&dsid];
    if let Some(f) = &v.filter {
        crate::filter::compile(f, ds).map_err(|e| bad(e.message))?;
    }
    if !v.sorts.is_empty() {
        crate::sort::compile(&Value::Array(v.sorts.clone()), ds).map_err(|e| bad(e.message))?;
    }
    let find = |name: &str| {
        ds.schema
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| FixtureError::UnknownProperty(name.to_string()))
    };
    let visible: Vec<&PropDef> = match &v.properties {
        Some(names) => names.iter().map(|n| find(n)).collect::<Result<_, _>>()?,
        None => ds.schema.iter().collect(),
    };
    let entry = |p: &PropDef, shown: bool| json!({"property_id": p.id, "property_name": p.name, "visible": shown});
    let mut props: Vec<Value> = visible.iter().map(|p| entry(p, true)).collect();
    props.extend(
        ds.schema
            .iter()
            .filter(|p| !visible.iter().any(|q| q.id == p.id))
            .map(|p| entry(p, false)),
    );
    let mut config = json!({"type": v.kind, "properties": props});
    if let Some(g) = &v.group_by {
        let p = find(g)?;
        let kind = match p.kind.as_str() {
            "multi_select" => "select",
            "rich_text" => "text",
            "people" => "person",
            k => k,
        };
        let mut group = json!({"type": kind, "property_id": p.id, "property_name": p.name,
                               "sort": {"type": "manual"}});
        if kind == "status" {
            group["group_by"] = json!("option");
        }
        config["group_by"] = group;
    }
    if let Some(d) = &v.date_property {
        let p = find(d)?;
        config["date_property_id"] = json!(p.id);
        config["date_property_name"] = json!(p.name);
    }
    Ok(View {
        id: id.clone(),
        database_id: dbid.to_string(),
        data_source_id: dsid,
        name: v.name.clone(),
        kind: v.kind.clone(),
        created_time: v
            .created_time
            .clone()
            .unwrap_or_else(|| db.created_time.clone()),
        created_by: author.to_string(),
        filter: v.filter.clone(),
        sorts: v.sorts.clone(),
        configuration: config,
    })
}

/// One fixture comment into the store.
fn load_comment(s: &mut Store, c: &crate::fixture::FxComment) -> Result<(), FixtureError> {
    let id = norm(&c.id, "comment")?;
    let (parent, ws) = match (&c.page_id, &c.block_id) {
        (Some(p), None) => {
            let pid = norm(p, "page")?;
            let ws = s
                .pages
                .get(&pid)
                .map(|p| p.ws.clone())
                .ok_or_else(|| FixtureError::CommentOnUnknownPage(pid.clone()))?;
            (Parent::Page(pid), ws)
        }
        (None, Some(b)) => {
            let bid = norm(b, "block")?;
            let ws = s
                .blocks
                .get(&bid)
                .map(|b| b.ws.clone())
                .ok_or_else(|| FixtureError::CommentOnUnknownBlock(bid.clone()))?;
            (Parent::Block(bid), ws)
        }
        _ => return Err(FixtureError::CommentShape(c.id.clone())),
    };
    let (author, display) = match (&c.author_email, &c.bot) {
        (Some(email), None) => {
            let u = s
                .users
                .iter()
                .find(|u| &u.email == email)
                .ok_or_else(|| FixtureError::UnknownAuthor(email.clone()))?;
            (u.id.clone(), ("user".to_string(), Some(u.name.clone())))
        }
        (None, Some(bot)) => (
            norm(&bot.id, "bot")?,
            ("integration".to_string(), Some(bot.name.clone())),
        ),
        _ => return Err(FixtureError::CommentShape(c.id.clone())),
    };
    let rich = match (&c.markdown, &c.text) {
        (Some(md), _) => Value::Array(crate::markdown::inline_rich_text(md)),
        (None, text) => json!([rich_text(text.as_deref().unwrap_or(""))]),
    };
    let created = c
        .created_time
        .clone()
        .unwrap_or_else(|| DEFAULT_TIME.into());
    s.comments.push(Comment {
        discussion_id: match &c.discussion_id {
            Some(d) => norm(d, "discussion")?,
            None => id.clone(),
        },
        id,
        ws,
        parent,
        last_edited_time: created.clone(),
        created_time: created,
        author_id: author,
        rich_text: rich,
        display_name: display,
        attachments: vec![],
        resolved: c.resolved,
        in_trash: false,
    });
    Ok(())
}
