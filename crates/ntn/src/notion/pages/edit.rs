//! The edit planner: from a page as it is now and what the user gave (a whole document,
//! or `--replace` pairs), what to send, after the guards:
//!
//! * the page changed since the copy the input came from (its `content_hash` differs
//!   from the page's now): refused, `--force` overrides;
//! * child pages or databases would be deleted: refused, naming them,
//!   `--allow-deleting-content` overrides;
//! * the page could not be read completely, so a whole-body write would lose what is
//!   missing (and `--replace` matches cannot be checked): refused, `--force` overrides;
//! * each `--replace OLD` must match exactly once (or at least once with
//!   `--all-matches`), checked in order on the page's text before anything is sent, so
//!   a batch applies fully or not at all.
//!
//! Nothing here sends anything: [`super::client::PageClient::apply`] does.

use serde_json::{Map, Value};

use super::document::Document;
use super::props::{self, plain, same};
use super::read::{ChildObject, ContentHash, Read, child_objects, normalize_body, refresh_urls};
use crate::error::{Error, Result};
use crate::output::text::clean;

/// The guards' overrides.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Write even if the page changed since the input's copy, or was read incompletely.
    pub force: bool,
    /// Let the edit delete child pages and databases.
    pub allow_deleting_content: bool,
}

/// One `--replace OLD NEW`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub old: String,
    pub new: String,
    /// Replace every match (`--all-matches`).
    pub all: bool,
}

/// What happens to the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyOp {
    None,
    /// `replace_content` with this Markdown.
    Replace(String),
    /// `update_content` with these edits.
    Update(Vec<Replacement>),
}

/// A property that changes.
#[derive(Clone, Debug, PartialEq)]
pub struct PropChange {
    pub name: String,
    pub kind: String,
    pub before: Value,
    pub after: Value,
    /// The API's value (`{"select": {"name": …}}`).
    pub input: Value,
}

/// What an edit sends.
#[derive(Clone, Debug)]
pub struct Plan {
    pub page_id: String,
    pub title: String,
    /// The body now and after the edit (normalised for showing a diff).
    pub before: String,
    pub after: String,
    pub body: BodyOp,
    pub properties: Vec<PropChange>,
    pub allow_deleting: bool,
    /// Things to tell the user (a guard overridden, an empty body ignored).
    pub warnings: Vec<String>,
}

impl Plan {
    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self.body == BodyOp::None && self.properties.is_empty()
    }
}

/// Gives the schema of a data source (asked only when a select, status or multi-select
/// property changes, to check the option exists).
pub type SchemaLoader<'a> = dyn Fn(&str) -> Result<Value> + 'a;

/// Plans writing a whole document (frontmatter and body) over the page.
pub fn plan_document(
    current: &Read,
    doc: &Document,
    opts: &Options,
    schema: &SchemaLoader,
    users: &dyn props::Lookup,
) -> Result<Plan> {
    let mut warnings = Vec::new();
    let props_now = current.properties();
    let names: Vec<&str> = props_now.keys().map(String::as_str).collect();
    doc.check_keys(&names)?;
    if let Some(id) = doc.text("id")?
        && super::id::normalize(&id).as_deref() != Some(current.id())
    {
        return Err(Error::local(format!(
            "the input is page {}, not page {}",
            clean(&id),
            current.id()
        ))
        .hint("edit the page the input came from, or remove its `id:` line"));
    }
    if let Some(parent) = doc.text("parent")?
        && !parent.is_empty()
        && parent != current.parent()
    {
        return Err(Error::local(format!(
            "the input's parent ({}) is not the page's ({})",
            clean(&parent),
            current.parent()
        ))
        .hint("a page's parent does not change by editing: use `ntn pages move`"));
    }
    check_base(current, doc, opts, &mut warnings)?;
    let properties = property_changes(current, doc, &props_now, schema, users)?;

    let before = normalize_body(&current.markdown).into_owned();
    let mut after = before.clone();
    let mut body = BodyOp::None;
    if doc.body.trim().is_empty() {
        if !before.is_empty() {
            warnings.push("the input has no body: the page's content is left as it is".into());
        }
    } else {
        let input = normalize_body(&doc.body).into_owned();
        if input != before {
            if !current.is_complete() {
                if !opts.force {
                    return Err(incomplete_error(current, "writing the whole page back"));
                }
                warnings.push(format!(
                    "overwriting a page read incompletely (--force): {} missing blocks will be lost",
                    current.missing.len()
                ));
            }
            check_deletions(&current.markdown, &doc.body, opts)?;
            body = BodyOp::Replace(refresh_urls(&doc.body, &current.markdown));
            after = input;
        }
    }
    Ok(Plan {
        page_id: current.id().to_string(),
        title: current.title(),
        before,
        after,
        body,
        properties,
        allow_deleting: opts.allow_deleting_content,
        warnings,
    })
}

/// Plans targeted edits, each checked on the page's text in order.
pub fn plan_replacements(current: &Read, edits: Vec<Replacement>, opts: &Options) -> Result<Plan> {
    let mut warnings = Vec::new();
    if edits.len() > 100 {
        return Err(Error::usage(format!(
            "{} --replace pairs: Notion takes at most 100 in one edit",
            edits.len()
        )));
    }
    if !current.is_complete() {
        if !opts.force {
            return Err(incomplete_error(current, "checking --replace against it"));
        }
        warnings.push(
            "the page was read incompletely (--force): a match in a missing block was not counted"
                .into(),
        );
    }
    let mut text = current.markdown.clone();
    for (i, e) in edits.iter().enumerate() {
        let n = i + 1;
        if e.old.is_empty() {
            return Err(Error::usage(format!("--replace {n}: OLD is empty")));
        }
        let count = text.matches(e.old.as_str()).count();
        let shown = clean(&e.old);
        if count == 0 {
            return Err(Error::local(format!(
                "--replace {n}: {shown:?} is not on the page; nothing was changed"
            ))
            .hint("--replace matches the page's Markdown exactly (`ntn pages get` shows it), after the replacements before it"));
        }
        if count > 1 && !e.all {
            return Err(Error::local(format!(
                "--replace {n}: {shown:?} is on the page {count} times; nothing was changed"
            ))
            .hint(
                "make OLD longer so it matches once, or pass --all-matches to change every match",
            ));
        }
        text = if e.all {
            text.replace(&e.old, &e.new)
        } else {
            text.replacen(&e.old, &e.new, 1)
        };
    }
    check_deletions(&current.markdown, &text, opts)?;
    Ok(Plan {
        page_id: current.id().to_string(),
        title: current.title(),
        before: normalize_body(&current.markdown).into_owned(),
        after: normalize_body(&text).into_owned(),
        body: BodyOp::Update(edits),
        properties: Vec::new(),
        allow_deleting: opts.allow_deleting_content,
        warnings,
    })
}

/// The concurrency guard: the input's `content_hash` against the page's now.
fn check_base(
    current: &Read,
    doc: &Document,
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let Some(base) = doc.text("content_hash")? else {
        return Ok(());
    };
    let base = ContentHash::parse(&base).ok_or_else(|| {
        Error::local(format!(
            "the input's content_hash ({}) is not one ntn wrote",
            clean(&base)
        ))
        .hint("leave the content_hash line as `ntn pages get` wrote it, or remove it")
    })?;
    let now = ContentHash::parse(&current.content_hash()).unwrap_or(ContentHash {
        body: String::new(),
        properties: String::new(),
    });
    if base == now {
        return Ok(());
    }
    let what = match (base.body != now.body, base.properties != now.properties) {
        (true, true) => "its content and its properties",
        (true, false) => "its content",
        _ => "its properties",
    };
    if opts.force {
        warnings.push(format!(
            "the page changed since this copy was read ({what}); overwriting (--force)"
        ));
        return Ok(());
    }
    let when = current.page["last_edited_time"]
        .as_str()
        .map(|t| format!(" (last edited {})", clean(t)))
        .unwrap_or_default();
    Err(Error::local(format!(
        "the page changed since this copy of it was read: {what} changed{when}"
    ))
    .hint(format!(
        "read it again (`ntn pages get {}`) and redo your change there, or pass --force to overwrite",
        current.id()
    )))
}

/// The incomplete-page guard on its own (before opening an editor on the page).
pub fn check_complete(current: &Read, opts: &Options, doing: &str) -> Result<()> {
    if current.is_complete() || opts.force {
        return Ok(());
    }
    Err(incomplete_error(current, doing))
}

fn incomplete_error(current: &Read, doing: &str) -> Error {
    let n = current.missing.len();
    let ids: Vec<String> = current
        .missing
        .iter()
        .take(5)
        .map(|m| format!("{} ({})", clean(&m.id), m.reason))
        .collect();
    Error::local(format!(
        "the page could not be read completely ({n} block{} missing: {}{}), so {doing} could lose them",
        if n == 1 { "" } else { "s" },
        ids.join(", "),
        if n > 5 { ", …" } else { "" }
    ))
    .hint("share the missing content with the integration, or pass --force to write anyway")
}

fn describe(o: &ChildObject) -> String {
    format!("child {} {:?} ({})", o.kind, clean(&o.title), o.id)
}

/// The deletion guard: child pages and databases in `before` that `after` drops.
fn check_deletions(before: &str, after: &str, opts: &Options) -> Result<()> {
    let kept: Vec<String> = child_objects(after).into_iter().map(|o| o.id).collect();
    let gone: Vec<ChildObject> = child_objects(before)
        .into_iter()
        .filter(|o| !kept.contains(&o.id))
        .collect();
    if gone.is_empty() || opts.allow_deleting_content {
        return Ok(());
    }
    let names: Vec<String> = gone.iter().map(describe).collect();
    Err(Error::local(format!(
        "this edit would delete the {}",
        names.join(" and the ")
    ))
    .hint(
        "keep their <page …>/<database …> lines, or pass --allow-deleting-content to delete them",
    ))
}

/// The property changes a document asks for, as API values. A value that reads the
/// same as now, or that would send what is there already (the same people named
/// another way), is no change.
fn property_changes(
    current: &Read,
    doc: &Document,
    props_now: &Map<String, Value>,
    schema: &SchemaLoader,
    users: &dyn props::Lookup,
) -> Result<Vec<PropChange>> {
    let mut wanted: Vec<(String, Value)> = Vec::new();
    if let Some(t) = doc.get("title") {
        let t = match t {
            Value::Null => Value::String(String::new()),
            Value::String(_) => t.clone(),
            Value::Number(n) => Value::String(n.to_string()),
            _ => return Err(Error::local("frontmatter `title` must be text")),
        };
        if let Some((name, _)) = props::title_property(props_now) {
            wanted.push((name.to_string(), t));
        }
    }
    for (k, v) in doc.properties()? {
        wanted.push((k, v));
    }
    let ds = current.page["parent"]["data_source_id"].as_str();
    let mut loaded: Option<Value> = None;
    let mut out: Vec<PropChange> = Vec::new();
    for (name, value) in wanted {
        let Some(now) = props_now.get(&name) else {
            return Err(props::unknown_property(
                &name,
                props_now.keys().map(String::as_str),
            ));
        };
        let kind = now["type"].as_str().unwrap_or("").to_string();
        let before = plain(now);
        if same(&before, &value) {
            continue;
        }
        let options = match (kind.as_str(), ds) {
            ("select" | "status" | "multi_select", Some(ds)) => {
                if loaded.is_none() {
                    loaded = Some(schema(ds)?);
                }
                loaded
                    .as_ref()
                    .and_then(|s| props::options(&s["properties"][&name]))
            }
            _ => None,
        };
        let input = props::input(&name, &kind, &value, options.as_deref(), Some(now), users)?;
        out.retain(|c| c.name != name);
        if props::unchanged(now, &input) {
            continue;
        }
        if props::may_be_truncated(now) {
            let what = if kind == "people" { "people" } else { "pages" };
            return Err(Error::local(format!(
                "property {:?} may have more than the {} {what} Notion shows in a page: \
                 ntn does not change it, so as not to drop the others",
                clean(&name),
                props::MAX_REFERENCES
            ))
            .hint("change it in Notion (or leave it as `get` wrote it)"));
        }
        let after = if kind == "people" {
            props::people_shown(&input, Some(now), users)
        } else {
            value
        };
        out.push(PropChange {
            name,
            kind,
            before,
            after,
            input,
        });
    }
    Ok(out)
}

/// The `properties` of a new page from a document's frontmatter, checked against the
/// parent: a data source's schema (names, types, options), or only a title elsewhere;
/// `users` names the people of people properties.
pub fn new_page_properties(
    doc: &Document,
    schema: Option<&Value>,
    users: &dyn props::Lookup,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let title = doc.text("title")?;
    let given = doc.properties()?;
    match schema {
        None => {
            doc.check_keys(&[])?;
            if let Some(k) = given.keys().next() {
                return Err(Error::local(format!(
                    "property {:?}: a page outside a data source has only a title",
                    clean(k)
                ))
                .hint(
                    "create it in a data source (--parent data-source:ID) to give it properties",
                ));
            }
            if let Some(t) = title {
                out.insert(
                    "title".into(),
                    props::input("title", "title", &Value::String(t), None, None, users)?,
                );
            }
        }
        Some(schema) => {
            let defs = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let names: Vec<&str> = defs.keys().map(String::as_str).collect();
            doc.check_keys(&names)?;
            if let Some(t) = title
                && let Some((name, _)) = defs.iter().find(|(_, d)| d["type"] == "title")
            {
                out.insert(
                    name.clone(),
                    props::input(name, "title", &Value::String(t), None, None, users)?,
                );
            }
            for (name, value) in given {
                let Some(def) = defs.get(&name) else {
                    return Err(props::unknown_property(
                        &name,
                        defs.keys().map(String::as_str),
                    ));
                };
                if value.is_null() {
                    continue;
                }
                let kind = def["type"].as_str().unwrap_or("");
                let options = props::options(def);
                out.insert(
                    name.clone(),
                    props::input(&name, kind, &value, options.as_deref(), None, users)?,
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::pages::read::{Missing, Reason};
    use crate::notion::users::Offline;
    use serde_json::json;

    fn page(body: &str) -> Read {
        Read {
            page: json!({
                "id": "a1000000-0000-4000-8000-000000000002",
                "parent": {"type": "data_source_id", "data_source_id": "d2000000-0000-4000-8000-000000000001"},
                "last_edited_time": "2025-01-02T00:00:00.000Z",
                "properties": {
                    "Name": {"id": "title", "type": "title", "title": [{"plain_text": "Task"}]},
                    "Status": {"id": "p1", "type": "select", "select": {"name": "Done"}},
                    "Priority": {"id": "p2", "type": "number", "number": 3},
                },
            }),
            markdown: body.to_string(),
            truncated: false,
            spliced: 0,
            missing: Vec::new(),
        }
    }

    fn schema(_: &str) -> Result<Value> {
        Ok(
            json!({"properties": {"Status": {"type": "select", "select": {"options": [
            {"name": "Not started"}, {"name": "In progress"}, {"name": "Done"}]}}}}),
        )
    }

    fn doc_of(read: &Read, edit: impl FnOnce(&mut Map<String, Value>), body: &str) -> Document {
        let mut front = read.frontmatter();
        edit(&mut front);
        Document {
            front: Some(front),
            body: body.to_string(),
        }
    }

    #[test]
    fn the_same_document_plans_nothing() {
        let r = page("Hello\n");
        let d = doc_of(&r, |_| {}, "Hello\n");
        let plan = plan_document(&r, &d, &Options::default(), &schema, &Offline).unwrap();
        assert!(plan.is_empty(), "{plan:?}");
    }

    #[test]
    fn frontmatter_changes_become_property_updates() {
        let r = page("Hello\n");
        let d = doc_of(
            &r,
            |f| {
                f["properties"]["Status"] = json!("In progress");
                f["title"] = json!("Renamed");
            },
            "Hello\n",
        );
        let plan = plan_document(&r, &d, &Options::default(), &schema, &Offline).unwrap();
        assert_eq!(plan.body, BodyOp::None);
        let names: Vec<&str> = plan.properties.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Status"]);
        assert_eq!(
            plan.properties[1].input,
            json!({"select": {"name": "In progress"}})
        );
        let d = doc_of(&r, |f| f["properties"]["Status"] = json!("Dnoe"), "Hello\n");
        let e = plan_document(&r, &d, &Options::default(), &schema, &Offline).unwrap_err();
        assert!(
            e.message().contains("did you mean \"Done\""),
            "{}",
            e.message()
        );
        let d = doc_of(&r, |f| f["properties"]["Stauts"] = json!("Done"), "Hello\n");
        let e = plan_document(&r, &d, &Options::default(), &schema, &Offline).unwrap_err();
        assert!(
            e.message().contains("did you mean \"Status\""),
            "{}",
            e.message()
        );
    }

    #[test]
    fn a_changed_page_is_refused_unless_forced() {
        let old = page("Hello\n");
        let d = doc_of(&old, |_| {}, "Hello, edited\n");
        let now = page("Hello, changed elsewhere\n");
        let e = plan_document(&now, &d, &Options::default(), &schema, &Offline).unwrap_err();
        assert!(
            e.message().contains("its content changed"),
            "{}",
            e.message()
        );
        let forced = Options {
            force: true,
            ..Options::default()
        };
        let plan = plan_document(&now, &d, &forced, &schema, &Offline).unwrap();
        assert_eq!(plan.body, BodyOp::Replace("Hello, edited\n".into()));
        assert_eq!(plan.warnings.len(), 1);
    }

    #[test]
    fn deleting_child_pages_and_writing_incomplete_pages_are_refused() {
        let child = "<page url=\"https://www.notion.so/Child-a1000000000040008000000000000009\">Child</page>\n";
        let r = page(&format!("Intro\n\n{child}"));
        let d = doc_of(&r, |_| {}, "Intro only\n");
        let e = plan_document(&r, &d, &Options::default(), &schema, &Offline).unwrap_err();
        assert!(
            e.message().contains("child page \"Child\""),
            "{}",
            e.message()
        );
        let allow = Options {
            allow_deleting_content: true,
            ..Options::default()
        };
        assert!(
            plan_document(&r, &d, &allow, &schema, &Offline)
                .unwrap()
                .allow_deleting
        );
        let mut partial = page("Intro\n\n<unknown url=\"x\" alt=\"y\"/>\n");
        partial.missing.push(Missing {
            id: "c1000000-0000-4000-8000-000000000001".into(),
            reason: Reason::NotShared,
        });
        let d = doc_of(&partial, |_| {}, "Intro changed\n");
        let e = plan_document(&partial, &d, &Options::default(), &schema, &Offline).unwrap_err();
        assert!(
            e.message().contains("could not be read completely"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn replacements_are_checked_in_order_before_anything_is_sent() {
        let r = page("alpha beta\n\nalpha gamma\n");
        let rep = |old: &str, new: &str, all| Replacement {
            old: old.into(),
            new: new.into(),
            all,
        };
        let o = Options::default();
        let e = plan_replacements(&r, vec![rep("delta", "x", false)], &o).unwrap_err();
        assert!(e.message().contains("is not on the page"));
        let e = plan_replacements(&r, vec![rep("alpha", "x", false)], &o).unwrap_err();
        assert!(e.message().contains("2 times"));
        let plan = plan_replacements(
            &r,
            vec![rep("beta", "B", false), rep("alpha B", "one", false)],
            &o,
        )
        .unwrap();
        assert_eq!(plan.after, "one\n\nalpha gamma");
        let plan = plan_replacements(&r, vec![rep("alpha", "x", true)], &o).unwrap();
        assert_eq!(plan.after, "x beta\n\nx gamma");
    }

    #[test]
    fn new_pages_are_checked_against_the_schema() {
        let d =
            Document::parse("---\ntitle: New\nproperties:\n  Status: Done\n---\nbody\n").unwrap();
        let s = schema("").unwrap();
        let mut s = s.clone();
        s["properties"]["Name"] = json!({"type": "title", "title": {}});
        let p = new_page_properties(&d, Some(&s), &Offline).unwrap();
        assert_eq!(p["Name"]["title"][0]["text"]["content"], "New");
        assert_eq!(p["Status"], json!({"select": {"name": "Done"}}));
        let d = Document::parse("---\nproperties:\n  Status: Finished\n---\n").unwrap();
        assert!(new_page_properties(&d, Some(&s), &Offline).is_err());
        let d = Document::parse("---\nproperties:\n  Status: Done\n---\n").unwrap();
        assert!(new_page_properties(&d, None, &Offline).is_err());
    }
}
