//! `--paginate`: writes every `results` item of every page (from the Notion
//! layer's page stream) as one JSON array, incrementally (at most one page in
//! memory). `--max-items N` stops after N items and asks for no further page.
//! When a page fails after output has started, the array is left unclosed
//! (so no consumer mistakes it for the whole list), a warning says so on
//! stderr, and the command exits with the error's code. When the first page
//! fails, its error object is the output (as for a single request). When a page
//! says the answer is incomplete (`request_status`, as a data source query past
//! Notion's 10,000-row limit does), the array is closed, a warning says so and
//! the command exits 3: nothing silent.

use std::io::Write;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::http::ApiError;
use crate::notion::Pages;
use crate::output::{Ui, json, stdout_error};

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    results: Vec<&'a RawValue>,
}

pub struct Options {
    pub max_items: Option<u64>,
    pub pretty: bool,
    pub color: bool,
}

/// Writes the items of every page of `pages` as one JSON array.
pub fn run(
    ui: &Ui,
    mut pages: Pages,
    opts: &Options,
    map_err: &dyn Fn(Error) -> Error,
) -> Result<()> {
    let mut written: u64 = 0;
    let mut started = false;
    let mut incomplete_reason: Option<String> = None;
    let incomplete = |e: Error, started: bool| -> Error {
        if started {
            ui.warn(
                "the output is incomplete: pagination stopped early and the JSON array was left open",
            );
        } else if let Some(api) = e.data::<ApiError>().filter(|a| !a.body.is_empty()) {
            // Nothing printed yet: the error object is the output.
            let mut out = ui.raw();
            let _ = out.write_all(&api.body);
            if !api.body.ends_with(b"\n") {
                let _ = out.write_all(b"\n");
            }
            let _ = out.flush();
        }
        map_err(e)
    };
    if opts.max_items == Some(0) {
        let mut out = ui.raw();
        out.write_all(b"[]\n").map_err(stdout_error)?;
        return Ok(());
    }
    loop {
        let resp = match pages.next_page() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(incomplete(e, started)),
        };
        let page: Page = match serde_json::from_slice(&resp.body) {
            Ok(p) => p,
            Err(e) => {
                let err = Error::api("a page of the list cannot be read").cause(&e);
                return Err(incomplete(err, started));
            }
        };
        if incomplete_reason.is_none() && pages.last().incomplete() {
            incomplete_reason = Some(pages.last().reason());
        }
        let mut out = ui.json_out();
        for item in &page.results {
            if opts.max_items.is_some_and(|m| written >= m) {
                break;
            }
            let sep: &[u8] = if started { b",\n" } else { b"[\n" };
            started = true;
            out.write_all(sep).map_err(stdout_error)?;
            if opts.pretty {
                out.write_all(b"  ").map_err(stdout_error)?;
                json::pretty(item.get().as_bytes(), &mut out, opts.color, 1)
                    .map_err(stdout_error)?;
            } else {
                out.write_all(item.get().as_bytes()).map_err(stdout_error)?;
            }
            written += 1;
        }
        out.flush().map_err(stdout_error)?;
        if opts.max_items.is_some_and(|m| written >= m) {
            break;
        }
    }
    let end: &[u8] = if started { b"\n]\n" } else { b"[]\n" };
    let mut out = ui.raw();
    out.write_all(end).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    if let Some(reason) = incomplete_reason {
        ui.warn(format_args!(
            "Notion says this answer is incomplete ({reason}): the {written} items printed are not all there are"
        ));
        return Err(Error::incomplete("incomplete result: Notion returned only part of the list")
            .hint("for a data source's rows, `ntn datasources query SOURCE --all` reads past Notion's 10,000-row limit"));
    }
    Ok(())
}
