//! Bulk property writes shared by `ntn datasources update` and `import`: the
//! plan ([`Item`]: a row to update with only the properties that change, or a
//! row to create), the requests ([`patch`], [`create`]), and how a row ended
//! ([`Status`]). Running a plan and reporting it (one line or JSON object per
//! row, the progress line, Ctrl-C, the summary) is the caller's part.
//!
//! Requests go through the caller's [`Notion`], paced by its pacer
//! ([`crate::notion::pace`]); nothing here retries a write: the HTTP layer
//! retries only what cannot have been done.

use serde_json::{Map, Value, json};

use super::query::Query;
use super::schema::Schema;
use super::set::Setter;
use super::values::{self, Style};
use crate::error::{Error, Result};
use crate::notion::Notion;
use crate::notion::pages::edit::PropChange;
use crate::notion::pages::props::{self, Lookup};
use crate::output::text::one_line;
use crate::support::Interrupt;

/// What to do with one row.
#[derive(Clone, Debug)]
pub enum Action {
    /// `PATCH /v1/pages/{id}` with these changes (none: unchanged).
    Update { changes: Vec<PropChange> },
    /// `POST /v1/pages` in the data source with these properties.
    Create { properties: Map<String, Value> },
}

/// One row of a plan.
#[derive(Clone, Debug)]
pub struct Item {
    /// The page (`None` for a row to create).
    pub id: Option<String>,
    pub title: String,
    pub action: Action,
    /// The row's number in the file it comes from (imports).
    pub row: Option<usize>,
    /// Why the row cannot be written (found while planning: reported as
    /// failed, nothing sent).
    pub error: Option<String>,
}

impl Item {
    /// Whether the row needs a request.
    pub fn is_write(&self) -> bool {
        match &self.action {
            Action::Update { changes } => !changes.is_empty(),
            Action::Create { .. } => true,
        }
    }
}

/// How a row ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Updated,
    Created,
    Unchanged,
    Failed,
    WouldUpdate,
    WouldCreate,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Updated => "updated",
            Status::Created => "created",
            Status::Unchanged => "unchanged",
            Status::Failed => "failed",
            Status::WouldUpdate => "would-update",
            Status::WouldCreate => "would-create",
        }
    }
}

/// The rows of `schema` that `query` matches, each with the changes the
/// setters make (rows already at the values: no changes). Also how many rows
/// were read and whether Notion said the answer was incomplete.
pub fn plan_update(
    notion: &Notion,
    schema: &Schema,
    query: &Query,
    setters: &[Setter],
    users: &dyn Lookup,
    interrupt: &Interrupt,
) -> Result<(Vec<Item>, u64, Option<String>)> {
    let mut listing = query.run(notion, &schema.id, None)?;
    let mut items = Vec::new();
    while let Some(batch) = listing.next_batch()? {
        if interrupt.is_raised() {
            return Err(interrupted_reading(listing.read()));
        }
        for raw in batch {
            let row: Value = serde_json::from_str(raw.get())
                .map_err(|e| Error::api("a row of the answer cannot be read").cause(&e))?;
            let id = row["id"].as_str().unwrap_or("").to_string();
            let title = props::title(&row);
            let mut changes = Vec::new();
            let mut failed = None;
            for s in setters {
                match s.change(&row, users) {
                    Ok(Some(c)) => changes.push(c),
                    Ok(None) => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = failed {
                // Planned as a failure: reported with the others, nothing sent.
                items.push(Item {
                    id: Some(id),
                    title,
                    action: Action::Update { changes: vec![] },
                    row: None,
                    error: Some(e.message().to_string()),
                });
                continue;
            }
            items.push(Item {
                id: Some(id),
                title,
                action: Action::Update { changes },
                row: None,
                error: None,
            });
        }
    }
    let incomplete = listing.incomplete().map(ToString::to_string);
    Ok((items, listing.read(), incomplete))
}

/// Ctrl-C while the rows were being read: nothing was written.
pub fn interrupted_reading(read: u64) -> Error {
    Error::interrupted(format!(
        "interrupted while reading the rows ({read} read): nothing was written"
    ))
    .hint("run the command again")
}

/// `PATCH /v1/pages/{id}` with the changes' properties.
pub fn patch(notion: &Notion, page_id: &str, changes: &[PropChange]) -> Result<Value> {
    let props: Map<String, Value> = changes
        .iter()
        .map(|c| (c.name.clone(), c.input.clone()))
        .collect();
    notion.patch(
        &format!("/v1/pages/{}", crate::http::encode(page_id)),
        &json!({ "properties": props }),
    )
}

/// `POST /v1/pages`: a row of the data source `data_source_id`.
pub fn create(
    notion: &Notion,
    data_source_id: &str,
    properties: &Map<String, Value>,
) -> Result<Value> {
    notion.post(
        "/v1/pages",
        &json!({
            "parent": {"type": "data_source_id", "data_source_id": data_source_id},
            "properties": properties,
        }),
    )
}

/// A plain value as one line of text (lists joined with `, `, nothing as
/// `(empty)`).
pub fn shown(v: &Value) -> String {
    let s = match v {
        Value::Null => return "(empty)".into(),
        Value::String(s) if s.is_empty() => return "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => return "(empty)".into(),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                x => x.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        v => v.to_string(),
    };
    one_line(&s).into_owned()
}

/// The text of a property value as `query --csv` writes it.
pub fn machine_text(v: &Value) -> String {
    values::property(v, Style::Machine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_on_one_line() {
        assert_eq!(shown(&Value::Null), "(empty)");
        assert_eq!(shown(&json!(["a", "b"])), "a, b");
        assert_eq!(shown(&json!(3.5)), "3.5");
        assert_eq!(shown(&json!("x\ny")), "x y");
    }
}
