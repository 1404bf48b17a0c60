//! Running a plan of bulk property writes (`ntn datasources update` and
//! `import`) and reporting it: one report per row (text, or one JSON object
//! per line), a progress line on a terminal, Ctrl-C between rows, and the
//! summary (updated, created, unchanged, failed) with the exit code (3 when
//! some failed, 130 when interrupted). The plan and its requests are
//! [`crate::notion::datasources::bulk`].

use std::io::Write;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::notion::datasources::bulk::{Action, Item, Status, shown};
use crate::notion::pages::props;
use crate::output::Ui;
use crate::output::text::{clean, one_line};
use crate::support::Interrupt;

/// What happened to one row.
#[derive(Debug)]
pub struct Report<'a> {
    pub item: &'a Item,
    pub status: Status,
    /// The page, when known (a created row's new id).
    pub id: Option<String>,
    pub error: Option<Error>,
}

/// Counts and the first errors.
#[derive(Debug, Default)]
struct Summary {
    updated: u64,
    created: u64,
    unchanged: u64,
    failed: u64,
    would_update: u64,
    would_create: u64,
    errors: Vec<String>,
}

/// How many failures the summary names.
const FIRST_ERRORS: usize = 3;

/// Runs rows one at a time and reports them.
pub struct Runner<'u> {
    ui: &'u Ui,
    json: bool,
    dry_run: bool,
    interrupt: Interrupt,
    /// Rows that need a request.
    total: u64,
    done: u64,
    progress: bool,
    /// The width of the progress line on screen.
    drawn: usize,
    summary: Summary,
}

impl<'u> Runner<'u> {
    /// `total` rows need a request; `json`: one object per row on stdout;
    /// `dry_run`: rows are listed, nothing is sent.
    pub fn new(ui: &'u Ui, interrupt: Interrupt, total: u64, json: bool, dry_run: bool) -> Self {
        Runner {
            ui,
            json,
            dry_run,
            interrupt,
            total,
            done: 0,
            progress: ui.stderr_is_tty() && !dry_run && total > 1,
            drawn: 0,
            summary: Summary::default(),
        }
    }

    /// Whether some row failed.
    pub fn failed(&self) -> bool {
        self.summary.failed > 0
    }

    /// Whether Ctrl-C was pressed (checked between rows).
    pub fn interrupted(&self) -> bool {
        self.interrupt.is_raised()
    }

    /// Reports a row.
    pub fn record(&mut self, r: Report<'_>) -> Result<()> {
        let s = &mut self.summary;
        match r.status {
            Status::Updated => s.updated += 1,
            Status::Created => s.created += 1,
            Status::Unchanged => s.unchanged += 1,
            Status::Failed => s.failed += 1,
            Status::WouldUpdate => s.would_update += 1,
            Status::WouldCreate => s.would_create += 1,
        }
        if r.status == Status::Failed && s.errors.len() < FIRST_ERRORS {
            let who = describe(r.item, r.id.as_deref());
            let msg = r.error.as_ref().map(Error::message).unwrap_or("failed");
            s.errors.push(format!("{who}: {}", one_line(msg)));
        }
        if r.item.is_write() && !self.dry_run {
            self.done += 1;
        }
        if self.json {
            self.clear_progress();
            let changes: Vec<Value> = match &r.item.action {
                Action::Update { changes } => changes
                    .iter()
                    .map(|c| json!({"property": c.name, "before": c.before, "after": c.after}))
                    .collect(),
                Action::Create { properties } => properties
                    .keys()
                    .map(|k| json!({"property": k, "before": Value::Null, "after": properties[k]}))
                    .collect(),
            };
            let line = json!({
                "id": r.id.as_deref().or(r.item.id.as_deref()),
                "title": r.item.title,
                "status": r.status.as_str(),
                "changes": changes,
                "error": r.error.as_ref().map(|e| e.message().to_string()),
            });
            self.json_line(&line)?;
        } else if self.dry_run && r.status != Status::Unchanged {
            self.write_dry(r.item, r.status, r.error.as_ref())?;
        }
        self.draw_progress();
        Ok(())
    }

    fn json_line(&self, v: &Value) -> Result<()> {
        let mut out = self.ui.json_out();
        serde_json::to_writer(&mut out, v)
            .map_err(|e| crate::output::stdout_error(std::io::Error::other(e)))?;
        writeln!(out).map_err(crate::output::stdout_error)?;
        out.flush().map_err(crate::output::stdout_error)
    }

    fn write_dry(&self, item: &Item, status: Status, error: Option<&Error>) -> Result<()> {
        let head = match (&item.id, status) {
            (Some(id), _) => id.clone(),
            (None, _) => "(new)".to_string(),
        };
        let origin = item
            .row
            .filter(|_| item.id.is_none())
            .map(|n| format!(" (row {n})"))
            .unwrap_or_default();
        self.ui
            .line(format_args!("{head}  {}{origin}", one_line(&item.title)))?;
        if let Some(e) = error {
            self.ui
                .line(format_args!("    error: {}", one_line(e.message())))?;
        }
        match &item.action {
            Action::Update { changes } => {
                for c in changes {
                    self.ui.line(format_args!(
                        "    {}: {} → {}",
                        clean(&c.name),
                        shown(&c.before),
                        shown(&c.after)
                    ))?;
                }
            }
            Action::Create { properties } => {
                for (k, v) in properties {
                    self.ui
                        .line(format_args!("    {}: {}", clean(k), shown(&input_plain(v))))?;
                }
            }
        }
        Ok(())
    }

    /// `N of M rows written`, redrawn in place (spaces, not escapes, erase it:
    /// styles are stripped when colours are off).
    fn draw_progress(&mut self) {
        if self.progress {
            let line = format!("{} of {} rows written", self.done, self.total);
            let pad = self.drawn.saturating_sub(line.len());
            let mut err = self.ui.err();
            let _ = write!(err, "\r{line}{:pad$}", "");
            let _ = err.flush();
            self.drawn = line.len();
        }
    }

    fn clear_progress(&mut self) {
        if self.progress && self.drawn > 0 {
            let mut err = self.ui.err();
            let _ = write!(err, "\r{:w$}\r", "", w = self.drawn);
            let _ = err.flush();
            self.drawn = 0;
        }
    }

    /// The summary on stderr (and as a last JSON object with `--json`), then
    /// the command's result: interrupted (130), some failed (3), or fine.
    /// `of` names the data source; `stopped` is true when Ctrl-C ended the run.
    pub fn finish(mut self, of: &str, stopped: bool) -> Result<()> {
        self.clear_progress();
        let s = &self.summary;
        if self.json {
            self.json_line(&json!({"summary": {
                "updated": s.updated, "created": s.created, "unchanged": s.unchanged,
                "failed": s.failed, "would_update": s.would_update,
                "would_create": s.would_create, "interrupted": stopped,
            }}))?;
        }
        let mut parts = Vec::new();
        if self.dry_run {
            parts.push(format!("would update {}", rows(s.would_update)));
            if s.would_create > 0 {
                parts.push(format!("would create {}", rows(s.would_create)));
            }
        } else {
            parts.push(format!("updated {}", rows(s.updated)));
            if s.created > 0 {
                parts.push(format!("created {}", rows(s.created)));
            }
        }
        parts.push(format!("{} unchanged", s.unchanged));
        if s.failed > 0 {
            parts.push(format!("{} failed", s.failed));
        }
        let mut text = parts.join(", ");
        if let Some(first) = text.get(..1) {
            text = first.to_uppercase() + &text[1..];
        }
        let dry = if self.dry_run {
            " (dry run: nothing sent)"
        } else {
            ""
        };
        self.ui
            .message(format_args!("{text} in {}{dry}.", one_line(of)));
        for e in &s.errors {
            self.ui.message(format_args!("  failed: {e}"));
        }
        if stopped {
            return Err(Error::interrupted(format!(
                "interrupted after {} of {} rows",
                self.done, self.total
            ))
            .hint("run the same command again to finish: rows already written now have their values and are not sent again"));
        }
        if s.failed > 0 {
            return Err(Error::incomplete(format!(
                "{} of {} failed",
                s.failed,
                rows(self.total.max(s.failed))
            ))
            .hint(
                "run the same command again to retry them: rows already written are not sent again",
            ));
        }
        Ok(())
    }
}

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// `id (title)` or `row 3 (title)` for messages.
fn describe(item: &Item, id: Option<&str>) -> String {
    let who = id
        .or(item.id.as_deref())
        .map(str::to_string)
        .or_else(|| item.row.map(|n| format!("row {n}")))
        .unwrap_or_else(|| "a new row".into());
    if item.title.is_empty() {
        who
    } else {
        format!("{who} ({})", one_line(&item.title))
    }
}

/// A property input read back as a plain value, for showing a row to create.
fn input_plain(input: &Value) -> Value {
    let Some((kind, _)) = input.as_object().and_then(|m| m.iter().next()) else {
        return Value::Null;
    };
    let mut v = input.clone();
    v["type"] = json!(kind);
    if matches!(kind.as_str(), "title" | "rich_text") {
        let text: String = input[kind]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["text"]["content"].as_str())
            .collect();
        return json!(text);
    }
    match kind.as_str() {
        "people" => Value::Array(
            input["people"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| u["id"].clone())
                .collect(),
        ),
        _ => props::plain(&v),
    }
}

/// Runs a plan of updates and creates: `exec` sends one row's request and
/// says the page's id (a created row's new id); rows without a request are
/// reported unchanged. Stops between rows on Ctrl-C (the row being written
/// is finished first): true when it stopped with rows left.
pub fn run_items(
    runner: &mut Runner<'_>,
    items: &[Item],
    exec: &mut dyn FnMut(&Item) -> Result<Option<String>>,
) -> Result<bool> {
    for item in items {
        if let Some(e) = &item.error {
            runner.record(Report {
                item,
                status: Status::Failed,
                id: None,
                error: Some(Error::local(e.clone())),
            })?;
            continue;
        }
        if !item.is_write() {
            runner.record(Report {
                item,
                status: Status::Unchanged,
                id: None,
                error: None,
            })?;
            continue;
        }
        if runner.dry_run {
            let status = match item.action {
                Action::Update { .. } => Status::WouldUpdate,
                Action::Create { .. } => Status::WouldCreate,
            };
            runner.record(Report {
                item,
                status,
                id: None,
                error: None,
            })?;
            continue;
        }
        // Ctrl-C: the request under way was finished; no new one starts.
        if runner.interrupted() {
            return Ok(true);
        }
        let status = match item.action {
            Action::Update { .. } => Status::Updated,
            Action::Create { .. } => Status::Created,
        };
        match exec(item) {
            Ok(id) => runner.record(Report {
                item,
                status,
                id,
                error: None,
            })?,
            Err(e) => {
                let e = if e.may_have_applied() {
                    let m = format!("{} (it may have been applied)", e.message());
                    Error::new(e.exit_code(), m)
                } else {
                    e
                };
                runner.record(Report {
                    item,
                    status: Status::Failed,
                    id: None,
                    error: Some(e),
                })?
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_back_for_a_row_to_create() {
        assert_eq!(
            input_plain(&json!({"title": [{"type": "text", "text": {"content": "Hi"}}]})),
            json!("Hi")
        );
        assert_eq!(
            input_plain(&json!({"multi_select": [{"name": "a"}]})),
            json!(["a"])
        );
        assert_eq!(input_plain(&json!({"number": 3})), json!(3));
    }
}
