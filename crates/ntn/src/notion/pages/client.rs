//! The page requests: reading a page completely, creating, editing, trashing and moving,
//! and finding out what a parent is.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read as _;

use serde_json::{Map, Value, json};

use super::edit::{BodyOp, Plan};
use super::id::ParentSpec;
use super::read::{Missing, PageMarkdown, Read, Reason, splice};
use crate::error::{Error, Result};
use crate::http::{ApiError, MAX_BODY, RetryPolicy};
use crate::notion::Notion;
use crate::output::Ui;
use crate::output::text::clean;

/// Where a new page goes, once known.
#[derive(Clone, Debug)]
pub enum Parent {
    Page(String),
    /// A data source and its schema (`GET /v1/data_sources/{id}`).
    DataSource {
        id: String,
        schema: Value,
    },
    Workspace,
}

impl Parent {
    /// The `parent` object of `POST /v1/pages`.
    pub fn to_json(&self) -> Value {
        match self {
            Parent::Page(id) => json!({"page_id": id}),
            Parent::DataSource { id, .. } => json!({"data_source_id": id}),
            Parent::Workspace => json!({"workspace": true}),
        }
    }
}

/// What an edit changed.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub content: bool,
    pub properties: Vec<String>,
    /// The page read back after the write (when the content was written).
    pub after: Option<Read>,
    /// What the read-back shows: `None` when nothing was expected (no content written, or
    /// no prediction), else whether it reads as intended.
    pub verified: Option<Verdict>,
    /// Things to tell the user (an error answer after which the edit was found applied).
    pub notes: Vec<String>,
}

/// The read-back compared with what the edit should have given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    AsIntended,
    /// It reads otherwise: what was expected and what is there (canonical forms), and
    /// for targeted edits which of them show in the result.
    Differs {
        expected: String,
        got: String,
        hunks: Vec<bool>,
    },
}

/// Page requests on a client that sends a Notion-Version the Markdown endpoints take.
pub struct PageClient {
    notion: Notion,
    users: crate::notion::users::Directory,
}

fn is_status(e: &Error, status: u16) -> bool {
    e.data::<ApiError>().is_some_and(|a| a.status == status)
}

impl PageClient {
    pub fn new(notion: Notion) -> PageClient {
        let users = crate::notion::users::Directory::new(&notion);
        PageClient { notion, users }
    }

    /// The workspace's users (read once, when first needed).
    pub fn users(&self) -> &crate::notion::users::Directory {
        &self.users
    }

    pub fn notion(&self) -> &Notion {
        &self.notion
    }

    /// `GET /v1/pages/{id}`.
    pub fn page(&self, id: &str) -> Result<Value> {
        self.notion
            .get(&format!("/v1/pages/{id}"))
            .map_err(|e| not_found_hint(e, "page", id))
    }

    /// `GET /v1/data_sources/{id}`.
    pub fn data_source(&self, id: &str) -> Result<Value> {
        self.notion
            .get(&format!("/v1/data_sources/{id}"))
            .map_err(|e| not_found_hint(e, "data source", id))
    }

    /// `GET /v1/databases/{id}`.
    pub fn database(&self, id: &str) -> Result<Value> {
        self.notion
            .get(&format!("/v1/databases/{id}"))
            .map_err(|e| not_found_hint(e, "database", id))
    }

    /// `GET /v1/pages/{id}/markdown`, the body parsed as it streams in (the page's
    /// Markdown is in memory once).
    pub fn markdown(&self, id: &str) -> Result<PageMarkdown> {
        let req = self
            .notion
            .request("GET", &format!("/v1/pages/{id}/markdown"));
        let mut resp = self.notion.http().send_streaming(
            &req,
            &self.notion.with_gate(&RetryPolicy::default()),
            None,
        )?;
        let reader = std::io::BufReader::with_capacity(64 * 1024, (&mut resp).take(MAX_BODY));
        serde_json::from_reader(reader).map_err(|e| {
            Error::api("the server sent a page's Markdown in a form ntn cannot read").cause(&e)
        })
    }

    /// Reads a page: its object and its Markdown (at the same time), then each block
    /// Notion left out, by its id, spliced in where it was. What still cannot be read is
    /// listed in [`Read::missing`].
    pub fn read(&self, id: &str, ui: &Ui) -> Result<Read> {
        self.read_with(id, None, ui)
    }

    /// [`PageClient::read`] with the page object already at hand (from a search or a
    /// query): only the Markdown is requested.
    pub fn read_with(&self, id: &str, page: Option<Value>, ui: &Ui) -> Result<Read> {
        let (page, md) = match page {
            Some(p) => (Ok(p), self.markdown(id)),
            None => std::thread::scope(|s| {
                let page = s.spawn(|| self.page(id));
                let md = self.markdown(id);
                let page = page
                    .join()
                    .unwrap_or_else(|_| Err(Error::local("reading the page failed")));
                (page, md)
            }),
        };
        let mut page = page?;
        super::people::fill(&mut page, &self.users)?;
        let md = md.map_err(|e| not_found_hint(e, "page", id))?;
        let truncated = md.truncated;
        // The server's text is kept apart only when blocks are spliced into it.
        let (raw, (markdown, spliced, missing)) = if md.unknown_block_ids.is_empty() {
            (None, (md.markdown, 0, Vec::new()))
        } else {
            let raw = md.markdown.clone();
            (Some(raw), self.complete(md, ui)?)
        };
        Ok(Read {
            page,
            markdown,
            raw,
            truncated,
            spliced,
            missing,
        })
    }

    /// Fetches the unknown blocks of a Markdown answer and splices them in.
    fn complete(&self, md: PageMarkdown, ui: &Ui) -> Result<(String, usize, Vec<Missing>)> {
        let mut queue: VecDeque<String> = md.unknown_block_ids.iter().cloned().collect();
        let mut seen: HashSet<String> = queue.iter().cloned().collect();
        if queue.len() > 10 {
            ui.note(format_args!(
                "reading {} blocks Notion left out of the page, one by one",
                queue.len()
            ));
        }
        let mut fetched: HashMap<String, String> = HashMap::new();
        let mut missing = Vec::new();
        while let Some(bid) = queue.pop_front() {
            if fetched.len() + missing.len() >= super::read::MAX_FETCHED {
                missing.push(Missing {
                    id: bid,
                    reason: Reason::Limit,
                });
                continue;
            }
            match self.markdown(&bid) {
                Ok(sub) if sub.unknown_block_ids.contains(&bid) => missing.push(Missing {
                    id: bid,
                    reason: Reason::Unsupported,
                }),
                Ok(sub) => {
                    for more in sub.unknown_block_ids {
                        if seen.insert(more.clone()) {
                            queue.push_back(more);
                        }
                    }
                    fetched.insert(bid, sub.markdown);
                }
                Err(e) if is_status(&e, 404) || is_status(&e, 403) => missing.push(Missing {
                    id: bid,
                    reason: Reason::NotShared,
                }),
                Err(e) => {
                    return Err(e.hint(format!(
                        "the page is there but block {} could not be read; try again",
                        clean(&bid)
                    )));
                }
            }
        }
        let spliced = fetched.len();
        // What the splice would grow to, before anything is built: pieces holding tags of
        // other pieces (several times, or in a loop) must not make the read explode.
        let grown = expanded_size(&md.markdown, &fetched);
        if grown > super::read::MAX_EXPANDED {
            return Err(Error::api(format!(
                "the blocks the server sent back for this page would make it {} MiB or more \
                 (the limit is {} MiB): refusing to splice them in",
                grown >> 20,
                super::read::MAX_EXPANDED >> 20
            ))
            .hint("the page's blocks refer to each other in a loop, or the server is not Notion; read it with `ntn api v1/pages/ID/markdown`"));
        }
        // Fetched pieces may hold tags of other fetched pieces: expand them first.
        let mut done: HashMap<String, String> = HashMap::new();
        let ids: Vec<String> = fetched.keys().cloned().collect();
        for bid in ids {
            expand(&bid, &fetched, &mut done, &mut HashSet::new());
        }
        let markdown = splice(&md.markdown, &done);
        // Keep the order in which the blocks appear.
        let order: Vec<String> = super::read::unknown_tags(&markdown)
            .into_iter()
            .filter_map(|t| t.2)
            .collect();
        missing.sort_by_key(|m| order.iter().position(|o| *o == m.id).unwrap_or(usize::MAX));
        Ok((markdown, spliced, missing))
    }

    /// Finds out what a parent is: a data source comes with its schema; a database must
    /// have exactly one data source; a bare id or URL is tried as a page, a database and
    /// a data source.
    pub fn resolve_parent(&self, spec: &ParentSpec) -> Result<Parent> {
        match spec {
            ParentSpec::Page(id) => Ok(Parent::Page(id.clone())),
            ParentSpec::Workspace => Ok(Parent::Workspace),
            ParentSpec::DataSource(id) => Ok(Parent::DataSource {
                id: id.clone(),
                schema: self.data_source(id)?,
            }),
            ParentSpec::Database(id) => {
                let ds = self.only_data_source(&self.database(id)?, id)?;
                Ok(Parent::DataSource {
                    schema: self.data_source(&ds)?,
                    id: ds,
                })
            }
            ParentSpec::Either(id) => {
                match self.page(id) {
                    Ok(_) => return Ok(Parent::Page(id.clone())),
                    Err(e) if is_status(&e, 404) || is_status(&e, 400) => {}
                    Err(e) => return Err(e),
                }
                match self.database(id) {
                    Ok(db) => {
                        let ds = self.only_data_source(&db, id)?;
                        return Ok(Parent::DataSource {
                            schema: self.data_source(&ds)?,
                            id: ds,
                        });
                    }
                    Err(e) if is_status(&e, 404) || is_status(&e, 400) => {}
                    Err(e) => return Err(e),
                }
                match self.data_source(id) {
                    Ok(schema) => Ok(Parent::DataSource {
                        id: id.clone(),
                        schema,
                    }),
                    Err(e) if is_status(&e, 404) || is_status(&e, 400) => Err(Error::api(format!(
                        "{id} is not a page, database or data source the integration can see"
                    ))
                    .hint("check the id and that it is shared with the integration")),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// The one data source of a database; several is an error that lists them.
    fn only_data_source(&self, db: &Value, id: &str) -> Result<String> {
        let sources = db["data_sources"].as_array().cloned().unwrap_or_default();
        match sources.as_slice() {
            [one] => one["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::api("the database's data source has no id")),
            [] => Err(Error::api(format!("database {id} has no data source"))),
            many => {
                let list: Vec<String> = many
                    .iter()
                    .map(|d| {
                        format!(
                            "data-source:{} ({})",
                            clean(d["id"].as_str().unwrap_or("")),
                            clean(d["name"].as_str().unwrap_or(""))
                        )
                    })
                    .collect();
                Err(Error::usage(format!(
                    "database {id} has {} data sources; say which one",
                    many.len()
                ))
                .hint(format!("use one of: {}", list.join(", "))))
            }
        }
    }

    /// `POST /v1/pages` with Markdown content.
    pub fn create(
        &self,
        parent: &Parent,
        properties: Map<String, Value>,
        markdown: &str,
    ) -> Result<(Value, Option<String>)> {
        let mut body = json!({"parent": parent.to_json(), "properties": properties});
        if !markdown.trim().is_empty() {
            body["markdown"] = Value::String(markdown.to_string());
        }
        match self.notion.post("/v1/pages", &body) {
            Ok(page) => Ok((page, None)),
            Err(e) if e.may_have_applied() => self.find_created(parent, &body, markdown, e),
            Err(e) => Err(e.hint("no page was created")),
        }
    }

    /// After a create answered with an error that may come after the work: looks for the
    /// page it would have made (same parent and title, created in the last two minutes
    /// by the server's clock: its `Date` header) before saying anything. One found is the page (with a warning); none
    /// means it is safe to try again; several are listed.
    fn find_created(
        &self,
        parent: &Parent,
        body: &Value,
        markdown: &str,
        e: Error,
    ) -> Result<(Value, Option<String>)> {
        // The title as sent: the property holding a `title` array.
        let title = body["properties"]
            .as_object()
            .and_then(|p| p.values().find_map(|v| v["title"].as_array()))
            .map(|items| {
                items
                    .iter()
                    .filter_map(|t| t["text"]["content"].as_str())
                    .collect::<String>()
            })
            .filter(|t| !t.is_empty())
            .or_else(|| {
                markdown
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .and_then(|l| l.strip_prefix("# "))
                    .map(|t| t.trim().to_string())
            })
            .unwrap_or_default();
        let unknown = |e: Error| {
            e.hint("the page may or may not have been created, and ntn could not find out: look for it in Notion before trying again")
        };
        if title.is_empty() {
            return Err(unknown(e));
        }
        let req = self.notion.request("POST", "/v1/search").json(&json!({
            "query": title,
            "filter": {"property": "object", "value": "page"},
            "sort": {"timestamp": "last_edited_time", "direction": "descending"},
            "page_size": 100,
        }));
        let Ok(resp) = self.notion.send(&req, &RetryPolicy::default()) else {
            return Err(unknown(e));
        };
        let server_now = resp
            .header("date")
            .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
            .map(|z| z.timestamp().as_millisecond());
        let (Some(now), Ok(found)) = (server_now, resp.json::<Value>()) else {
            return Err(unknown(e));
        };
        // Notion rounds created_time down to the minute; a create that failed after
        // doing its work did it moments ago.
        let since = u64::try_from(now - 120_000).unwrap_or(0);
        let since = since - since % 60_000;
        let want_parent = parent.to_json();
        let matches: Vec<Value> = found["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| super::props::title(p) == title)
            .filter(|p| {
                let par = &p["parent"];
                match (&want_parent["page_id"], &want_parent["data_source_id"]) {
                    (Value::String(id), _) => par["page_id"].as_str() == Some(id),
                    (_, Value::String(id)) => par["data_source_id"].as_str() == Some(id),
                    _ => par["type"] == "workspace",
                }
            })
            .filter(|p| {
                p["created_time"]
                    .as_str()
                    .and_then(crate::support::time::parse_rfc3339_ms)
                    .is_some_and(|t| t >= since)
            })
            .cloned()
            .collect();
        match matches.as_slice() {
            [] => Err(e.hint("the server answered with an error after the request was sent, but no page with this title was created since the command started: it is safe to try again")),
            [one] => Ok((
                one.clone(),
                Some(format!(
                    "the server answered with an error ({}), but the page was created: it was found by its title",
                    e.message()
                )),
            )),
            many => {
                let ids: Vec<String> = many
                    .iter()
                    .map(|p| clean(p["id"].as_str().unwrap_or("")).into_owned())
                    .collect();
                Err(e.hint(format!(
                    "the page may have been created: pages with this title created since the command started: {}",
                    ids.join(", ")
                )))
            }
        }
    }

    /// Plans writing `doc` over the page as read (`current`), with this client's loaders:
    /// data source schemas, the page's lossy blocks, the workspace's people.
    pub fn plan_document(
        &self,
        current: &Read,
        doc: &super::Document,
        base: &super::edit::Base,
        opts: &super::edit::Options,
    ) -> Result<Plan> {
        let id = current.id().to_string();
        let lossy = |text: &str| self.lossy_blocks(&id, text);
        super::edit::plan_document(
            current,
            doc,
            base,
            opts,
            &|ds| self.data_source(ds),
            &lossy,
            self.users(),
        )
    }

    /// Sends an edit plan: the content first (then reads the page back and compares it
    /// with what was intended), then the properties.
    pub fn apply(&self, plan: &Plan, ui: &Ui) -> Result<Applied> {
        let id = &plan.page_id;
        let mut applied = Applied::default();
        let op = match &plan.body {
            BodyOp::None => None,
            BodyOp::Replace(new) => Some(json!({
                "type": "replace_content",
                "replace_content": {"new_str": new, "allow_deleting_content": plan.allow_deleting},
            })),
            BodyOp::Update(edits) => Some(json!({
                "type": "update_content",
                "update_content": {
                    "content_updates": edits.iter().map(|e| json!({
                        "old_str": e.old, "new_str": e.new, "replace_all_matches": e.all,
                    })).collect::<Vec<_>>(),
                    "allow_deleting_content": plan.allow_deleting,
                },
            })),
        };
        if let Some(op) = op {
            let sent = self.notion.patch(&format!("/v1/pages/{id}/markdown"), &op);
            if let Err(e) = sent {
                if !e.may_have_applied() {
                    return Err(e.hint("nothing was changed"));
                }
                // The server may have done it: look before saying anything.
                let now = self.read(id, ui).map_err(|_| {
                    Error::api("the edit may or may not have been applied: the server failed, and the page could not be read back")
                        .hint(format!("check the page (`ntn pages get {id}`) before trying again"))
                })?;
                let verdict = verify(plan, &now);
                let unchanged = super::edit::canonical_written(&now.markdown)
                    == super::edit::canonical_written(&plan.planned_on);
                if unchanged && verdict != Some(Verdict::AsIntended) {
                    return Err(e.hint("the page was read back unchanged: nothing was applied; it is safe to try again"));
                }
                applied.notes.push(format!(
                    "the server answered with an error ({}), but the page was read back with the edit applied",
                    e.message()
                ));
                applied.content = true;
                applied.verified = verdict;
                applied.after = Some(now);
            } else {
                applied.content = true;
                let now = self.read(id, ui).map_err(|e| {
                    e.hint("the edit was sent, but the page could not be read back to check it")
                })?;
                applied.verified = verify(plan, &now);
                applied.after = Some(now);
            }
        }
        if !plan.properties.is_empty() {
            let props: Map<String, Value> = plan
                .properties
                .iter()
                .map(|c| (c.name.clone(), c.input.clone()))
                .collect();
            let sent = self
                .notion
                .patch(&format!("/v1/pages/{id}"), &json!({"properties": props}));
            if let Err(e) = sent {
                let maybe = e.may_have_applied();
                return Err(match (applied.content, maybe) {
                    (true, true) => e.hint("the content was updated; the properties may or may not have been: check with `ntn pages get` before trying again"),
                    (true, false) => e.hint("the content was updated, but the properties were not"),
                    (false, true) => e.hint("the properties may or may not have been updated: check with `ntn pages get` before trying again"),
                    (false, false) => e.hint("nothing was changed"),
                });
            }
            applied.properties = plan.properties.iter().map(|c| c.name.clone()).collect();
            // The page object changed: read it again for the new state.
            if let Some(after) = applied.after.as_mut()
                && let Ok(page) = self.page(id)
            {
                after.page = page;
            }
        }
        Ok(applied)
    }

    /// Adds Markdown at the end of a page, or after the text `after` matches, without
    /// reading or rewriting what is there (`insert_content`: no existing block changes).
    pub fn append(&self, id: &str, markdown: &str, after: Option<&str>) -> Result<PageMarkdown> {
        let mut insert = json!({ "content": markdown });
        if let Some(a) = after {
            insert["after"] = Value::String(a.to_string());
        }
        let body = json!({"type": "insert_content", "insert_content": insert});
        let v = self
            .notion
            .patch(&format!("/v1/pages/{id}/markdown"), &body)
            .map_err(|e| {
                if e.may_have_applied() {
                    e.hint(format!("the text may or may not have been added: check the page (`ntn pages get {id}`) before trying again"))
                } else {
                    not_found_hint(e, "page", id).hint("nothing was added")
                }
            })?;
        serde_json::from_value(v).map_err(|e| {
            Error::api("the server answered an append in a form ntn cannot read").cause(&e)
        })
    }

    /// Moves a page to the trash (`true`) or out of it.
    pub fn set_trash(&self, id: &str, in_trash: bool) -> Result<Value> {
        self.notion
            .patch(&format!("/v1/pages/{id}"), &json!({"in_trash": in_trash}))
            .map_err(|e| not_found_hint(e, "page", id))
    }

    /// `POST /v1/pages/{id}/move`.
    pub fn move_to(&self, id: &str, to: &ParentSpec) -> Result<Value> {
        let parent = match to {
            ParentSpec::Page(p) => json!({"type": "page_id", "page_id": p}),
            ParentSpec::DataSource(d) => json!({"type": "data_source_id", "data_source_id": d}),
            ParentSpec::Database(d) => json!({"type": "database_id", "database_id": d}),
            ParentSpec::Workspace => json!({"type": "workspace"}),
            ParentSpec::Either(_) => match self.resolve_parent(to)? {
                Parent::Page(p) => json!({"type": "page_id", "page_id": p}),
                Parent::DataSource { id, .. } => {
                    json!({"type": "data_source_id", "data_source_id": id})
                }
                Parent::Workspace => json!({"type": "workspace"}),
            },
        };
        self.notion.post(
            &format!("/v1/pages/{id}/move"),
            &json!({ "parent": parent }),
        )
    }
}

/// Compares a page read back after an edit with what the plan meant it to be.
pub fn verify(plan: &Plan, now: &Read) -> Option<Verdict> {
    let expected = plan.expected.as_ref()?;
    let canon = |t: &str| super::edit::canonical_written(&super::read::normalize_urls(t));
    let (want, got) = (canon(expected), canon(&now.markdown));
    if want == got {
        return Some(Verdict::AsIntended);
    }
    let hunks = match &plan.body {
        BodyOp::Update(edits) => edits
            .iter()
            .map(|e| {
                let new_there =
                    e.new.is_empty() || got.contains(&canon(&e.new).trim_end().to_string());
                let old_gone = e.new.contains(&e.old) || !got.contains(canon(&e.old).trim_end());
                new_there && old_gone
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(Verdict::Differs {
        expected: want,
        got,
        hunks,
    })
}

/// The size of `text` once every fetched piece is spliced in, counted without building
/// it (saturating; a piece inside itself counts as its tag).
fn expanded_size(text: &str, fetched: &HashMap<String, String>) -> u64 {
    /// (bytes, lines) of `text` expanded.
    fn size_of(
        text: &str,
        fetched: &HashMap<String, String>,
        memo: &mut HashMap<String, (u64, u64)>,
        visiting: &mut HashSet<String>,
    ) -> (u64, u64) {
        let mut bytes = text.len() as u64;
        let mut lines = text.matches('\n').count() as u64;
        for (start, end, id) in super::read::unknown_tags(text) {
            let Some(id) = id else { continue };
            let Some(piece) = fetched.get(&id) else {
                continue;
            };
            let (b, l) = if let Some(n) = memo.get(&id) {
                *n
            } else if visiting.insert(id.clone()) {
                let n = size_of(piece, fetched, memo, visiting);
                visiting.remove(&id);
                memo.insert(id.clone(), n);
                n
            } else {
                ((end - start) as u64, 0)
            };
            // Each line after the first is indented like the tag.
            let indent = (start - text[..start].rfind('\n').map_or(0, |i| i + 1)) as u64;
            bytes = bytes
                .saturating_sub((end - start) as u64)
                .saturating_add(b)
                .saturating_add(l.saturating_mul(indent));
            lines = lines.saturating_add(l);
        }
        (bytes, lines)
    }
    size_of(text, fetched, &mut HashMap::new(), &mut HashSet::new()).0
}

/// Expands a fetched piece: the tags of other fetched pieces inside it replaced first.
fn expand(
    id: &str,
    fetched: &HashMap<String, String>,
    done: &mut HashMap<String, String>,
    visiting: &mut HashSet<String>,
) {
    if done.contains_key(id) || !visiting.insert(id.to_string()) {
        return;
    }
    let Some(text) = fetched.get(id) else {
        return;
    };
    let inner: Vec<String> = super::read::unknown_tags(text)
        .into_iter()
        .filter_map(|t| t.2)
        .filter(|i| fetched.contains_key(i))
        .collect();
    for i in &inner {
        expand(i, fetched, done, visiting);
    }
    let text = if inner.is_empty() {
        text.clone()
    } else {
        splice(text, done)
    };
    done.insert(id.to_string(), text);
}

/// A 404 says what to check.
fn not_found_hint(e: Error, what: &str, id: &str) -> Error {
    if is_status(&e, 404) {
        let msg = format!("no {what} {id} (or it is not shared with the integration)");
        e.hint(format!(
            "{msg}: check the id, and share the {what} with the integration in Notion"
        ))
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(n: usize) -> String {
        format!(
            "<unknown url=\"https://www.notion.so/p#c10000000000400080000000{n:08}\" alt=\"x\"/>"
        )
    }

    fn id(n: usize) -> String {
        format!("c1000000-0000-4000-8000-000000{n:06}")
    }

    #[test]
    fn pieces_that_double_each_round_are_bounded_before_anything_is_built() {
        // 42 tiny answers, each holding the next one's tag twice: 2^42 copies if spliced.
        let mut fetched = HashMap::new();
        for n in 0..42 {
            fetched.insert(id(n), format!("a {}\n{}\n", tag(n + 1), tag(n + 1)));
        }
        let size = expanded_size(&format!("{}\n", tag(0)), &fetched);
        assert!(size > super::super::read::MAX_EXPANDED, "{size}");
        // An ordinary nesting is counted as it is.
        let mut fetched = HashMap::new();
        fetched.insert(id(0), "- item\n  child\n".to_string());
        let text = format!("top\n  {}\n", tag(0));
        let size = expanded_size(&text, &fetched);
        let mut done = HashMap::new();
        done.insert(id(0), fetched[&id(0)].clone());
        let built = splice(&text, &done);
        assert!(
            size >= built.len() as u64 && size < 2 * built.len() as u64,
            "{size} vs {}",
            built.len()
        );
    }
}
