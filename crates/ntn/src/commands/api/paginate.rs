//! `--paginate`: follows `next_cursor` and writes every `results` item of
//! every page as one JSON array, incrementally (at most one page in memory).
//!
//! The cursor goes in the query (`start_cursor`) for GET and in the JSON body
//! for other methods. `--max-items N` stops after N items and asks for no
//! further page. When a page fails after output has started, the array is
//! left unclosed (so no consumer mistakes it for the whole list), a note says
//! so on stderr, and the command exits with the error's code.

use std::io::Write;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::json;
use crate::error::{Error, Result};
use crate::http::{Client, Request, RetryPolicy};

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    results: Vec<&'a RawValue>,
    #[serde(default)]
    next_cursor: Option<String>,
    #[serde(default)]
    has_more: Option<bool>,
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` with its `start_cursor` query parameter replaced.
pub fn with_query_cursor(url: &str, cursor: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("start_cursor=") && *p != "start_cursor")
        .map(str::to_string)
        .collect();
    parts.push(format!("start_cursor={}", encode(cursor)));
    format!("{base}?{}", parts.join("&"))
}

pub struct Options {
    pub max_items: Option<u64>,
    pub pretty: bool,
    pub color: bool,
}

/// Runs the pagination; `body` is the JSON body of a non-GET request.
pub fn run(
    client: &Client,
    mut req: Request,
    body: Option<Value>,
    opts: &Options,
    policy: &RetryPolicy,
    map_err: &dyn Fn(Error) -> Error,
) -> Result<()> {
    let in_query = req.method == "GET" || req.method == "HEAD";
    let mut body = body;
    if !in_query {
        match &body {
            None => body = Some(Value::Object(Default::default())),
            Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(Error::usage(
                    "--paginate needs a JSON object body to put start_cursor in",
                ));
            }
        }
        req.body = body
            .as_ref()
            .map(|b| serde_json::to_vec(b).unwrap_or_default());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut written: u64 = 0;
    let mut started = false;
    let mut pages = 0u64;
    let mut seen = std::collections::HashSet::new();
    let incomplete = |e: Error, started: bool| -> Error {
        if started {
            crate::output::warn(
                "the output is incomplete: pagination stopped early and the JSON array was left open",
            );
        }
        map_err(e)
    };
    if opts.max_items == Some(0) {
        out.write_all(b"[]\n")
            .map_err(crate::output::stdout_error)?;
        return Ok(());
    }
    loop {
        let resp = match client.send(&req, policy) {
            Ok(r) => r,
            Err(e) => {
                out.flush().map_err(crate::output::stdout_error)?;
                return Err(incomplete(e, started));
            }
        };
        pages += 1;
        let page: Page = match serde_json::from_slice(&resp.body) {
            Ok(p) => p,
            Err(e) => {
                out.flush().map_err(crate::output::stdout_error)?;
                let err = Error::api(format!(
                    "page {pages} is not a paginated list (no `results`), so --paginate cannot follow it"
                ))
                .hint("use --paginate with list endpoints such as v1/users or v1/data_sources/ID/query")
                .cause(&e);
                return Err(incomplete(err, started));
            }
        };
        for item in &page.results {
            if opts.max_items.is_some_and(|m| written >= m) {
                break;
            }
            let sep: &[u8] = if started { b",\n" } else { b"[\n" };
            started = true;
            out.write_all(sep).map_err(crate::output::stdout_error)?;
            if opts.pretty {
                out.write_all(b"  ").map_err(crate::output::stdout_error)?;
                json::pretty(item.get().as_bytes(), &mut out, opts.color, 1)
                    .map_err(crate::output::stdout_error)?;
            } else {
                out.write_all(item.get().as_bytes())
                    .map_err(crate::output::stdout_error)?;
            }
            written += 1;
        }
        out.flush().map_err(crate::output::stdout_error)?;
        if opts.max_items.is_some_and(|m| written >= m) {
            break;
        }
        let next = match (page.has_more, page.next_cursor) {
            (Some(false), _) | (_, None) => break,
            (_, Some(c)) if c.is_empty() => break,
            (_, Some(c)) => c,
        };
        if !seen.insert(next.clone()) {
            let err = Error::api(format!(
                "the server sent the cursor {next:?} twice; stopping to avoid a loop"
            ));
            return Err(incomplete(err, started));
        }
        if in_query {
            req.url = with_query_cursor(&req.url, &next);
        } else if let Some(Value::Object(map)) = &mut body {
            map.insert("start_cursor".into(), Value::String(next));
            req.body = Some(serde_json::to_vec(&Value::Object(map.clone())).unwrap_or_default());
        }
    }
    let end: &[u8] = if started { b"\n]\n" } else { b"[]\n" };
    out.write_all(end).map_err(crate::output::stdout_error)?;
    out.flush().map_err(crate::output::stdout_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_replaces_the_query_parameter() {
        assert_eq!(
            with_query_cursor("http://x/v1/users", "a b"),
            "http://x/v1/users?start_cursor=a%20b"
        );
        assert_eq!(
            with_query_cursor("http://x/v1/users?page_size=2&start_cursor=old", "new"),
            "http://x/v1/users?page_size=2&start_cursor=new"
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("a=b&c/d é"), "a%3Db%26c%2Fd%20%C3%A9");
    }
}
