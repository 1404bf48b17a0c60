//! Rows of a [`Listing`] written as they come (shared by `datasources query`
//! and `search`): a page at a time, flushed after each; the cursor to
//! continue with on stderr; an incomplete answer reported (exit 3); Ctrl-C
//! stops between pages with the cursor to resume from (exit 130).

use serde_json::Value;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::listing::Listing;
use crate::output::{Mode, Records, text};

/// Writes every row of `listing` through `records`; `cells` gives a row's
/// text cells, `noun` names the rows in messages ("rows", "results").
pub fn run(
    ctx: &Context,
    mut listing: Listing,
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
    if let Some(reason) = listing.incomplete() {
        ctx.ui.warn(format_args!(
            "Notion says this answer is incomplete ({reason}): the {n} {noun} printed are not all that match"
        ));
        return Err(Error::incomplete(format!(
            "incomplete result: more {noun} match than Notion returned"
        ))
        .hint("narrow the query (--where, --filter) so that fewer rows match"));
    }
    Ok(())
}
