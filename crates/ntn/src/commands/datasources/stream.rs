//! Rows of a [`Listing`] or of a data source query's [`Rows`] written as they
//! come (shared by `datasources query` and `search`): a page at a time, flushed
//! after each; the cursor to continue with on stderr; an incomplete answer
//! reported, with what to do about it (exit 3); Ctrl-C stops between pages with
//! the cursor to resume from (exit 130).

use serde_json::Value;
use serde_json::value::RawValue;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::datasources::query::{Incomplete, Rows};
use crate::notion::listing::Listing;
use crate::output::{Mode, Records, text};

/// A reading, a page of raw rows at a time.
pub trait Batches {
    fn next_batch(&mut self) -> Result<Option<Vec<Box<RawValue>>>>;
    /// Where to continue from, when the reading stopped before the end.
    fn next_cursor(&self) -> Option<&str>;
    /// Why the rows are not all that match, and what to do about it.
    fn incomplete(&self) -> Option<(String, String)>;
}

const NARROW: &str = "narrow the query (--where, --filter) so that fewer rows match";

impl Batches for Listing {
    fn next_batch(&mut self) -> Result<Option<Vec<Box<RawValue>>>> {
        Listing::next_batch(self)
    }
    fn next_cursor(&self) -> Option<&str> {
        Listing::next_cursor(self)
    }
    fn incomplete(&self) -> Option<(String, String)> {
        Listing::incomplete(self).map(|r| (r.to_string(), NARROW.to_string()))
    }
}

impl Batches for Rows {
    fn next_batch(&mut self) -> Result<Option<Vec<Box<RawValue>>>> {
        Rows::next_batch(self)
    }
    fn next_cursor(&self) -> Option<&str> {
        Rows::next_cursor(self)
    }
    fn incomplete(&self) -> Option<(String, String)> {
        let why = Rows::incomplete(self)?;
        let hint = match why {
            Incomplete::Server { sorted: true, .. } => {
                "Notion returns at most 10,000 rows a query, and reading past that keeps rows in \
                 created order: drop --sort (or give --sort created, which also replaces a view's \
                 sorts) to get every row, then sort them (sort, jq, a spreadsheet)"
            }
            Incomplete::SameTime(_) => {
                "narrow the query (--where, --filter) so that fewer of the rows created in that minute match"
            }
            Incomplete::FilterTooComplex => {
                "simplify the filter (fewer and/or groups), or split the query into several"
            }
            Incomplete::Server { .. } | Incomplete::NoCreatedTime => NARROW,
        };
        Some((why.to_string(), hint.to_string()))
    }
}

/// Writes every row of `listing` through `records`; `cells` gives a row's
/// text cells, `noun` names the rows in messages ("rows", "results").
pub fn run(
    ctx: &Context,
    mut listing: impl Batches,
    mut records: Records<'_>,
    cells: &dyn Fn(&Value) -> Vec<String>,
    noun: &str,
    watch_interrupt: bool,
) -> Result<()> {
    let interrupt = watch_interrupt.then(|| ctx.interrupt());
    let parse = records.mode().needs_cells() || records.mode() == Mode::Ids;
    loop {
        let batch = match listing.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                records.abandon();
                return Err(e);
            }
        };
        for raw in &batch {
            let row: Value = if parse {
                serde_json::from_str(raw.get())
                    .map_err(|e| Error::api("a row of the answer cannot be read").cause(&e))?
            } else {
                Value::Null
            };
            let id = row["id"].as_str().unwrap_or("");
            records.push(id, || cells(&row), raw)?;
        }
        records.flush()?;
        if interrupt.as_ref().is_some_and(|i| i.is_raised()) {
            let n = records.count();
            records.abandon();
            let e = Error::interrupted(format!("interrupted after {n} {noun}"));
            return Err(match listing.next_cursor() {
                Some(c) => e.hint(format!(
                    "--start-cursor {} continues from there",
                    text::clean(c)
                )),
                None => e,
            });
        }
    }
    let (n, mode) = (records.count(), records.mode());
    records.finish()?;
    if n == 0 && mode == Mode::Table {
        ctx.ui.message(format_args!("No {noun}."));
    }
    if let Some(c) = listing.next_cursor() {
        let dim = crate::output::style::DIM;
        ctx.ui.message(format_args!(
            "{dim}more {noun}: --start-cursor {} continues, --all shows every one{dim:#}",
            text::clean(c)
        ));
    }
    if let Some((reason, hint)) = listing.incomplete() {
        ctx.ui.warn(format_args!(
            "Notion says this answer is incomplete ({reason}): the {n} {noun} printed are not all that match"
        ));
        return Err(Error::incomplete(format!(
            "incomplete result: more {noun} match than Notion returned"
        ))
        .hint(hint));
    }
    Ok(())
}
