//! The edit planner: from a page as it is now and what the user gave (a whole document,
//! or `--replace` pairs), what to send, after the guards.
//!
//! A changed body is sent as targeted `update_content` hunks ([`super::hunks`]): the
//! smallest search-and-replace edits whose old text is unique on the page, so blocks
//! outside the changed lines are never rewritten (their ids, comments and links stay).
//! A whole `replace_content` is the fallback when no such set exists, and says why.
//!
//! * the page changed since the copy the input came from (its `content_hash`, or this
//!   machine's record of the page when the input has none, differs from the page's
//!   now): refused as a conflict (exit 6), `--force` overrides; a dry run shows the
//!   three-way view instead;
//! * an edit would rebuild a block Markdown cannot give back (a bookmark, a table of
//!   contents, a synced block, …: [`super::lossy`]): refused naming it and its line,
//!   `--allow-lossy` overrides; edits around such blocks go through;
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

use std::ops::Range;

use super::document::Document;
use super::hunks::{self, Hunk};
use super::lossy::Lossy;
use super::props::{self, plain, same};
use super::read::{
    ChildObject, ContentHash, Read, child_objects, normalize_body, refresh_urls, signed_urls,
};
use crate::error::{Error, Result};
use crate::output::text::clean;

/// The guards' overrides.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Write even if the page changed since the input's copy, or was read incompletely.
    pub force: bool,
    /// Let the edit delete child pages and databases.
    pub allow_deleting_content: bool,
    /// Let the edit rebuild blocks Markdown cannot give back.
    pub allow_lossy: bool,
    /// Only showing what would happen: a changed page gives a three-way view, not a
    /// refusal.
    pub dry_run: bool,
}

/// What the input's copy of the page was, for the concurrency guard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// The input's own `content_hash`.
    Input(ContentHash),
    /// This machine's record of the page (the input has no hash); when it was made.
    Record(ContentHash, String),
    /// Neither: the command asked (or was forced) before planning.
    Unknown,
}

/// The most hunks one targeted edit sends (Notion takes 100 `content_updates`).
pub const MAX_HUNKS: usize = 100;

/// A changed page met in a dry run: what the three-way view needs.
#[derive(Clone, Debug)]
pub struct Conflict {
    /// What changed (`its content`, `its properties`, …).
    pub what: String,
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
    /// How the body is written and why (for `--dry-run` and `--json`).
    pub method: String,
    /// The server's Markdown the edit is planned on, and what it should read after the
    /// edit (for verifying; `None` when it cannot be predicted).
    pub planned_on: String,
    pub expected: Option<String>,
    pub properties: Vec<PropChange>,
    pub allow_deleting: bool,
    /// The page changed since the input's copy (only in a dry run; otherwise an error).
    pub conflict: Option<Conflict>,
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

/// Finds the lossy blocks of a page, given the Markdown an edit is planned on (asked
/// only when the body changes).
pub type LossyLoader<'a> = dyn Fn(&str) -> Result<Lossy> + 'a;

/// The base of an input: its `content_hash`, else this machine's record of the page.
pub fn base_of(doc: &Document, record: Option<(&str, &str)>) -> Result<Base> {
    if let Some(h) = doc.text("content_hash")? {
        let parsed = ContentHash::parse(&h).ok_or_else(|| {
            Error::local(format!(
                "the input's content_hash ({}) is not one ntn wrote",
                clean(&h)
            ))
            .hint("leave the content_hash line as `ntn pages get` wrote it, or remove it")
        })?;
        return Ok(Base::Input(parsed));
    }
    Ok(
        match record.and_then(|(h, at)| Some((ContentHash::parse(h)?, at))) {
            Some((h, at)) => Base::Record(h, at.to_string()),
            None => Base::Unknown,
        },
    )
}

/// Plans writing a whole document (frontmatter and body) over the page.
pub fn plan_document(
    current: &Read,
    doc: &Document,
    base: &Base,
    opts: &Options,
    schema: &SchemaLoader,
    lossy: &LossyLoader,
    users: &dyn props::Lookup,
) -> Result<Plan> {
    let mut warnings = Vec::new();
    let props_now = current.properties();
    let names: Vec<&str> = props_now.keys().map(String::as_str).collect();
    doc.check_keys(&names)?;
    if let Some(id) = doc.text("id")?.or(doc.text("notion_id")?)
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
    let conflict = check_base(current, base, opts, &mut warnings)?;
    let properties = property_changes(current, doc, &props_now, schema, users)?;

    let before = normalize_body(&current.markdown).into_owned();
    let mut after = before.clone();
    let mut body = BodyOp::None;
    let mut method = "none: the body is unchanged".to_string();
    let mut expected = None;
    let planned_on = planning_text(current).to_string();
    if doc.body.trim().is_empty() {
        if !before.is_empty() {
            warnings.push("the input has no body: the page's content is left as it is".into());
        }
    } else {
        let input = normalize_body(&doc.body).into_owned();
        if canonical(&input) != canonical(&before) {
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
            let target = target_text(&doc.body, &planned_on);
            let lossy = lossy(&planned_on)?;
            let (op, how, exp) =
                plan_body(current, &planned_on, &target, &lossy, opts, &mut warnings)?;
            body = op;
            method = how;
            expected = exp;
            after = input;
        }
    }
    Ok(Plan {
        page_id: current.id().to_string(),
        title: current.title(),
        before,
        after,
        body,
        method,
        planned_on,
        expected,
        properties,
        allow_deleting: opts.allow_deleting_content,
        conflict,
        warnings,
    })
}

/// The text hunks are planned on: the server's Markdown, or (when blocks were fetched
/// back and spliced in) the spliced text, whose hunks are checked on the server's.
fn planning_text(current: &Read) -> &str {
    if current.spliced > 0 {
        &current.markdown
    } else {
        current.raw()
    }
}

/// What the page's Markdown should be: the input with the page's fresh file URLs, its
/// line endings and final line break as the server writes them.
fn target_text(body: &str, page: &str) -> String {
    let body = body.replace("\r\n", "\n");
    let mut t = refresh_urls(body.trim_end(), page);
    if page.ends_with('\n') {
        t.push('\n');
    }
    t
}

/// The body's write: targeted hunks when they exist (and touch no lossy block, unless
/// allowed), else a whole replace (guarded the same way).
fn plan_body(
    current: &Read,
    page: &str,
    target: &str,
    lossy: &Lossy,
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Result<(BodyOp, String, Option<String>)> {
    // Signed file URLs change on every read: the server's text will not hold these.
    let urls = signed_urls(page);
    // First try: hunks that neither enter nor touch a lossy block (a byte either side).
    let mut shielded = urls.clone();
    shielded.extend(
        lossy
            .spans
            .iter()
            .filter_map(|(_, s)| s.clone())
            .map(|s| s.start.saturating_sub(1)..(s.end + 1).min(page.len())),
    );
    let planned = hunks::plan(page, target, &shielded, MAX_HUNKS)
        .or_else(|_| hunks::plan(page, target, &urls, MAX_HUNKS));
    let spliced_ok = |h: &[Hunk]| current.spliced == 0 || hunks::apply(current.raw(), h).is_ok();
    match planned {
        Ok(h) if !h.is_empty() && h.iter().all(|x| !x.old.is_empty()) && spliced_ok(&h) => {
            let touched: Vec<(&super::lossy::LossyBlock, Option<usize>)> = h
                .iter()
                .flat_map(|x| lossy.touched_by(&x.range))
                .map(|b| (b, lossy.line_of(b, page)))
                .collect();
            guard_lossy(&touched, opts, warnings)?;
            let n = h.len();
            let expected = hunks::apply(page, &h).ok().filter(|_| current.spliced == 0);
            let edits = h
                .into_iter()
                .map(|x| Replacement {
                    old: x.old,
                    new: x.new,
                    all: false,
                })
                .collect();
            Ok((
                BodyOp::Update(edits),
                format!(
                    "update_content: {n} targeted edit{}; blocks outside {} keep their ids",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "it" } else { "them" }
                ),
                expected,
            ))
        }
        other => {
            let why = match other {
                Err(e) => e.to_string(),
                Ok(_) => "the targeted edits do not match the server's text once each".into(),
            };
            let touched: Vec<(&super::lossy::LossyBlock, Option<usize>)> = lossy
                .blocks
                .iter()
                .map(|b| (b, lossy.line_of(b, page)))
                .collect();
            guard_lossy(&touched, opts, warnings)?;
            let expected = (current.spliced == 0).then(|| target.to_string());
            Ok((
                BodyOp::Replace(target.to_string()),
                format!(
                    "replace_content: the whole page is rewritten ({why}); every block gets a new id"
                ),
                expected,
            ))
        }
    }
}

/// The lossy-block guard: refused naming each block and its line, unless allowed.
fn guard_lossy(
    touched: &[(&super::lossy::LossyBlock, Option<usize>)],
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Result<()> {
    if touched.is_empty() {
        return Ok(());
    }
    let mut seen: Vec<&str> = Vec::new();
    let names: Vec<String> = touched
        .iter()
        .filter(|(b, _)| {
            let new = !seen.contains(&b.id.as_str());
            seen.push(&b.id);
            new
        })
        .map(|(b, line)| match line {
            Some(l) => format!("the {} block on line {l} ({})", b.kind, b.why),
            None => format!("the {} block {} ({})", b.kind, b.id, b.why),
        })
        .collect();
    if opts.allow_lossy {
        warnings.push(format!("rebuilding (--allow-lossy) {}", names.join("; ")));
        return Ok(());
    }
    let mut kinds: Vec<String> = Vec::new();
    for (b, _) in touched {
        if !kinds.contains(&b.kind) {
            kinds.push(b.kind.clone());
        }
    }
    Err(Error::local(format!(
        "this edit would rewrite {}",
        names.join("; ")
    ))
    .hint("leave those lines as they are (edits around them keep them), or pass --allow-lossy to rewrite them anyway")
    .with_data(LossyRefused { kinds }))
}

/// Attached to the error of an edit refused by the lossy-block guard: the kinds of the
/// blocks it would have rewritten (`bookmark`, `table_of_contents`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossyRefused {
    pub kinds: Vec<String>,
}

impl std::fmt::Display for LossyRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "would rewrite {}", self.kinds.join(", "))
    }
}

impl std::error::Error for LossyRefused {}

/// Attached to the error of an edit refused because the page was read incompletely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadIncompletely {
    pub missing: usize,
}

impl std::fmt::Display for ReadIncompletely {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} blocks could not be read", self.missing)
    }
}

impl std::error::Error for ReadIncompletely {}

/// A page read back, as compared with what an edit meant it to be: [`canonical`], and
/// code fences compared without their language (Notion rewrites aliases: `js` is read
/// back as `javascript`) or their marker (`~~~`).
pub fn canonical_written(body: &str) -> String {
    canonical(body)
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if t.starts_with("```") || t.starts_with("~~~") {
                format!("{}```\n", &l[..l.len() - t.len()])
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// A body as compared for "did it change": what Notion normalises (list markers and
/// numbers, blank lines, trailing spaces) does not count.
pub fn canonical(body: &str) -> String {
    let body = normalize_body(body);
    let mut out = String::with_capacity(body.len());
    let mut blank = false;
    for line in body.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        if blank && !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        let (marker, text) = list_marker(rest);
        out.push_str(&" ".repeat(indent));
        out.push_str(marker);
        out.push_str(text);
        out.push('\n');
    }
    out
}

/// A list item's marker made canonical (`*`/`+` → `-`, any number → `1.`).
fn list_marker(line: &str) -> (&'static str, &str) {
    for m in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(m) {
            return ("- ", rest);
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && digits < 10
        && let Some(rest) = line[digits..].strip_prefix(". ")
    {
        return ("1. ", rest);
    }
    ("", line)
}

/// Plans targeted edits, each checked on the page's text in order.
pub fn plan_replacements(
    current: &Read,
    edits: Vec<Replacement>,
    opts: &Options,
    lossy: &LossyLoader,
) -> Result<Plan> {
    let mut warnings = Vec::new();
    if edits.len() > MAX_HUNKS {
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
    let planned_on = planning_text(current).to_string();
    let mut text = planned_on.clone();
    // Where each edit lands, in the text as the edits before it left it, widened by how
    // far earlier edits can have moved text (the guard may see more, never less).
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut moved: usize = 0;
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
        for (at, _) in text.match_indices(e.old.as_str()) {
            ranges.push(at.saturating_sub(moved)..at + e.old.len() + moved);
        }
        let before_len = text.len();
        text = if e.all {
            text.replace(&e.old, &e.new)
        } else {
            text.replacen(&e.old, &e.new, 1)
        };
        moved += text.len().abs_diff(before_len);
    }
    check_deletions(&current.markdown, &text, opts)?;
    let lossy = lossy(&planned_on)?;
    let touched: Vec<(&super::lossy::LossyBlock, Option<usize>)> = ranges
        .iter()
        .flat_map(|r| lossy.touched_by(r))
        .map(|b| (b, lossy.line_of(b, &planned_on)))
        .collect();
    guard_lossy(&touched, opts, &mut warnings)?;
    let n = edits.len();
    Ok(Plan {
        page_id: current.id().to_string(),
        title: current.title(),
        before: normalize_body(&current.markdown).into_owned(),
        after: normalize_body(&text).into_owned(),
        body: BodyOp::Update(edits),
        method: format!(
            "update_content: {n} --replace edit{}; blocks outside {} keep their ids",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        ),
        expected: (current.spliced == 0).then_some(text),
        planned_on,
        properties: Vec::new(),
        allow_deleting: opts.allow_deleting_content,
        conflict: None,
        warnings,
    })
}

/// The concurrency guard: the input's base against the page's now. A mismatch is an
/// error (a conflict), a warning with `--force`, and the three-way view in a dry run.
fn check_base(
    current: &Read,
    base: &Base,
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Result<Option<Conflict>> {
    let (base, from) = match base {
        Base::Input(h) => (h, "this copy".to_string()),
        Base::Record(h, at) => (h, format!("this machine read it ({})", clean(at))),
        Base::Unknown => return Ok(None),
    };
    let now = ContentHash::parse(&current.content_hash()).unwrap_or(ContentHash {
        body: String::new(),
        properties: String::new(),
    });
    if *base == now {
        return Ok(None);
    }
    let what = match (base.body != now.body, base.properties != now.properties) {
        (true, true) => "its content and its properties",
        (true, false) => "its content",
        _ => "its properties",
    };
    if opts.force {
        warnings.push(format!(
            "the page changed since {from} ({what}); overwriting (--force)"
        ));
        return Ok(None);
    }
    if opts.dry_run {
        return Ok(Some(Conflict {
            what: what.to_string(),
        }));
    }
    let when = current.page["last_edited_time"]
        .as_str()
        .map(|t| format!(" (last edited {})", clean(t)))
        .unwrap_or_default();
    let since = match base {
        _ if from == "this copy" => "since this copy of it was read".to_string(),
        _ => format!("since {from}"),
    };
    Err(Error::conflict(format!(
        "the page changed {since}: {what} changed{when}"
    ))
    .hint(format!(
        "see both sides with --dry-run; read it again (`ntn pages get {}`) and redo your change there, or pass --force to overwrite",
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
    .with_data(ReadIncompletely { missing: n })
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
    use crate::notion::pages::lossy::Lossy;
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
            raw: None,
            truncated: false,
            spliced: 0,
            missing: Vec::new(),
        }
    }

    fn no_lossy(_: &str) -> Result<Lossy> {
        Ok(Lossy::default())
    }

    fn plan_doc(r: &Read, d: &Document, o: &Options) -> Result<Plan> {
        let base = base_of(d, None)?;
        plan_document(r, d, &base, o, &schema, &no_lossy, &Offline)
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
        let plan = plan_doc(&r, &d, &Options::default()).unwrap();
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
        let plan = plan_doc(&r, &d, &Options::default()).unwrap();
        assert_eq!(plan.body, BodyOp::None);
        let names: Vec<&str> = plan.properties.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Status"]);
        assert_eq!(
            plan.properties[1].input,
            json!({"select": {"name": "In progress"}})
        );
        let d = doc_of(&r, |f| f["properties"]["Status"] = json!("Dnoe"), "Hello\n");
        let e = plan_doc(&r, &d, &Options::default()).unwrap_err();
        assert!(
            e.message().contains("did you mean \"Done\""),
            "{}",
            e.message()
        );
        let d = doc_of(&r, |f| f["properties"]["Stauts"] = json!("Done"), "Hello\n");
        let e = plan_doc(&r, &d, &Options::default()).unwrap_err();
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
        let e = plan_doc(&now, &d, &Options::default()).unwrap_err();
        assert!(
            e.message().contains("its content changed"),
            "{}",
            e.message()
        );
        let forced = Options {
            force: true,
            ..Options::default()
        };
        let plan = plan_doc(&now, &d, &forced).unwrap();
        assert_eq!(
            plan.body,
            BodyOp::Update(vec![Replacement {
                old: "changed elsewhere".into(),
                new: "edited".into(),
                all: false
            }])
        );
        assert_eq!(plan.expected.as_deref(), Some("Hello, edited\n"));
        assert_eq!(plan.warnings.len(), 1);
        // A dry run shows the conflict instead of refusing it; a real run is exit 6.
        let dry = Options {
            dry_run: true,
            ..Options::default()
        };
        let plan = plan_doc(&now, &d, &dry).unwrap();
        assert!(plan.conflict.is_some());
        let e = plan_doc(&now, &d, &Options::default()).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::ExitCode::Conflict);
    }

    #[test]
    fn an_input_without_a_hash_is_guarded_by_this_machines_record() {
        let then = page("Hello\n");
        let now = page("Hello, changed elsewhere\n");
        let d = Document {
            front: None,
            body: "Hello, mine\n".into(),
        };
        let hash = then.content_hash();
        let base = base_of(&d, Some((&hash, "2026-01-01T00:00:00Z"))).unwrap();
        assert!(matches!(base, Base::Record(..)));
        let e = plan_document(
            &now,
            &d,
            &base,
            &Options::default(),
            &schema,
            &no_lossy,
            &Offline,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), crate::error::ExitCode::Conflict);
        assert!(
            e.message().contains("since this machine read it"),
            "{}",
            e.message()
        );
        // The same record against the page as it was: the edit goes through.
        let plan = plan_document(
            &then,
            &d,
            &base,
            &Options::default(),
            &schema,
            &no_lossy,
            &Offline,
        )
        .unwrap();
        assert!(matches!(plan.body, BodyOp::Update(_)));
        assert_eq!(base_of(&d, None).unwrap(), Base::Unknown);
    }

    #[test]
    fn a_code_fence_read_back_with_another_language_name_is_as_written() {
        let sent = "```js\nlet a = 1;\n```\n";
        let back = "```javascript\nlet a = 1;\n```\n";
        assert_ne!(
            canonical(sent),
            canonical(back),
            "a changed language is a change"
        );
        assert_eq!(canonical_written(sent), canonical_written(back));
        assert_eq!(
            canonical_written("~~~\nx\n~~~\n"),
            canonical_written(back.replace("let a = 1;", "x").as_str())
        );
    }

    #[test]
    fn notions_normalisations_are_not_changes() {
        let r = page("- one\n- two\n\n1. a\n2. b\n");
        let d = doc_of(&r, |_| {}, "* one\n* two\n\n\n\n1. a\n1. b   \n");
        let plan = plan_doc(&r, &d, &Options::default()).unwrap();
        assert_eq!(plan.body, BodyOp::None);
        assert_ne!(canonical("- one"), canonical("- two"));
    }

    #[test]
    fn edits_around_lossy_blocks_go_through_and_edits_of_them_are_refused() {
        let body = "Intro\n\n[TOC]\n\nOutro\n";
        let r = page(body);
        let toc = body.find("[TOC]").unwrap();
        let lossy = move |_: &str| {
            Ok(Lossy {
                blocks: vec![crate::notion::pages::lossy::LossyBlock {
                    id: "c7000000-0000-4000-8000-000000000003".into(),
                    kind: "table_of_contents".into(),
                    why: "comes back as a \"[TOC]\" paragraph",
                    top: "c7000000-0000-4000-8000-000000000003".into(),
                }],
                spans: vec![(
                    "c7000000-0000-4000-8000-000000000003".into(),
                    Some(toc..toc + 5),
                )],
            })
        };
        let plan_with = |text: &str, o: &Options| {
            let d = doc_of(&r, |_| {}, text);
            let base = base_of(&d, None)?;
            plan_document(&r, &d, &base, o, &schema, &lossy, &Offline)
        };
        let plan = plan_with("Intro\n\n[TOC]\n\nOutro, longer\n", &Options::default()).unwrap();
        assert!(matches!(plan.body, BodyOp::Update(_)), "{:?}", plan.body);
        let e = plan_with("Intro\n\n[TOC] and more\n\nOutro\n", &Options::default()).unwrap_err();
        assert!(
            e.message().contains("table_of_contents block on line 3"),
            "{}",
            e.message()
        );
        let allow = Options {
            allow_lossy: true,
            ..Options::default()
        };
        let plan = plan_with("Intro\n\n[TOC] and more\n\nOutro\n", &allow).unwrap();
        assert!(plan.warnings.iter().any(|w| w.contains("--allow-lossy")));
        // --replace is guarded the same way.
        let rep = |old: &str| Replacement {
            old: old.into(),
            new: "x".into(),
            all: false,
        };
        assert!(plan_replacements(&r, vec![rep("Outro")], &Options::default(), &lossy).is_ok());
        let e = plan_replacements(&r, vec![rep("TOC")], &Options::default(), &lossy).unwrap_err();
        assert!(e.message().contains("table_of_contents"), "{}", e.message());
    }

    #[test]
    fn deleting_child_pages_and_writing_incomplete_pages_are_refused() {
        let child = "<page url=\"https://www.notion.so/Child-a1000000000040008000000000000009\">Child</page>\n";
        let r = page(&format!("Intro\n\n{child}"));
        let d = doc_of(&r, |_| {}, "Intro only\n");
        let e = plan_doc(&r, &d, &Options::default()).unwrap_err();
        assert!(
            e.message().contains("child page \"Child\""),
            "{}",
            e.message()
        );
        let allow = Options {
            allow_deleting_content: true,
            ..Options::default()
        };
        assert!(plan_doc(&r, &d, &allow).unwrap().allow_deleting);
        let mut partial = page("Intro\n\n<unknown url=\"x\" alt=\"y\"/>\n");
        partial.missing.push(Missing {
            id: "c1000000-0000-4000-8000-000000000001".into(),
            reason: Reason::NotShared,
        });
        let d = doc_of(&partial, |_| {}, "Intro changed\n");
        let e = plan_doc(&partial, &d, &Options::default()).unwrap_err();
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
        let e = plan_replacements(&r, vec![rep("delta", "x", false)], &o, &no_lossy).unwrap_err();
        assert!(e.message().contains("is not on the page"));
        let e = plan_replacements(&r, vec![rep("alpha", "x", false)], &o, &no_lossy).unwrap_err();
        assert!(e.message().contains("2 times"));
        let plan = plan_replacements(
            &r,
            vec![rep("beta", "B", false), rep("alpha B", "one", false)],
            &o,
            &no_lossy,
        )
        .unwrap();
        assert_eq!(plan.after, "one\n\nalpha gamma");
        let plan = plan_replacements(&r, vec![rep("alpha", "x", true)], &o, &no_lossy).unwrap();
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
