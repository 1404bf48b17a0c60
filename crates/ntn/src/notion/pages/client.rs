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
        let mut resp = self
            .notion
            .http()
            .send_streaming(&req, &RetryPolicy::default(), None)?;
        let reader = std::io::BufReader::with_capacity(64 * 1024, (&mut resp).take(MAX_BODY));
        serde_json::from_reader(reader).map_err(|e| {
            Error::api("the server sent a page's Markdown in a form ntn cannot read").cause(&e)
        })
    }

    /// Reads a page: its object and its Markdown (at the same time), then each block
    /// Notion left out, by its id, spliced in where it was. What still cannot be read is
    /// listed in [`Read::missing`].
    pub fn read(&self, id: &str, ui: &Ui) -> Result<Read> {
        let (page, md) = std::thread::scope(|s| {
            let page = s.spawn(|| self.page(id));
            let md = self.markdown(id);
            let page = page
                .join()
                .unwrap_or_else(|_| Err(Error::local("reading the page failed")));
            (page, md)
        });
        let mut page = page?;
        super::people::fill(&mut page, &self.users)?;
        let md = md.map_err(|e| not_found_hint(e, "page", id))?;
        let truncated = md.truncated;
        let (markdown, spliced, missing) = if md.unknown_block_ids.is_empty() {
            (md.markdown, 0, Vec::new())
        } else {
            self.complete(md, ui)?
        };
        Ok(Read {
            page,
            markdown,
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
    ) -> Result<Value> {
        let mut body = json!({"parent": parent.to_json(), "properties": properties});
        if !markdown.trim().is_empty() {
            body["markdown"] = Value::String(markdown.to_string());
        }
        self.notion.post("/v1/pages", &body)
    }

    /// Sends an edit plan: the content first, then the properties.
    pub fn apply(&self, plan: &Plan) -> Result<Applied> {
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
            self.notion
                .patch(&format!("/v1/pages/{id}/markdown"), &op)
                .map_err(|e| e.hint("nothing was changed"))?;
            applied.content = true;
        }
        if !plan.properties.is_empty() {
            let props: Map<String, Value> = plan
                .properties
                .iter()
                .map(|c| (c.name.clone(), c.input.clone()))
                .collect();
            self.notion
                .patch(&format!("/v1/pages/{id}"), &json!({"properties": props}))
                .map_err(|e| {
                    if applied.content {
                        e.hint("the content was updated, but the properties were not")
                    } else {
                        e.hint("nothing was changed")
                    }
                })?;
            applied.properties = plan.properties.iter().map(|c| c.name.clone()).collect();
        }
        Ok(applied)
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
