//! The pages of a list endpoint, one response at a time (at most one page in
//! memory): follows `next_cursor` until `has_more` is false.
//!
//! The cursor goes in the query (`start_cursor`) for GET and HEAD, and in the
//! JSON body for other methods. A cursor seen twice stops the stream (a
//! server loop would otherwise never end). Each response is checked to be a
//! list (`results` is an array) before it is handed out.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::{self, Request, Response, RetryPolicy};

/// What a list answer says about itself (its `results` are left to the
/// caller, who parses them once).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageHead {
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub has_more: Option<bool>,
    /// `{"type": "incomplete", ...}` when the answer is not the whole result.
    #[serde(default)]
    pub request_status: Option<Value>,
}

impl PageHead {
    /// Whether `request_status` says the answer is incomplete.
    pub fn incomplete(&self) -> bool {
        self.request_status
            .as_ref()
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            == Some("incomplete")
    }

    /// Why the answer is incomplete: `incomplete_reason` (Notion's field), or a
    /// `reason` of its own; cleaned for a terminal.
    pub fn reason(&self) -> String {
        let Some(s) = &self.request_status else {
            return "no reason given".into();
        };
        [
            s.get("incomplete_reason"),
            s.pointer("/incomplete/reason"),
            s.get("reason"),
        ]
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .map(|r| crate::output::text::clean(r).into_owned())
        .unwrap_or_else(|| "no reason given".into())
    }
}

#[derive(Deserialize)]
struct ListShape {
    #[allow(dead_code)]
    results: Vec<serde::de::IgnoredAny>,
    #[serde(flatten)]
    head: PageHead,
}

/// A stream of pages; see the module docs.
pub struct Pages {
    http: http::Client,
    req: Request,
    body: Option<serde_json::Map<String, Value>>,
    in_query: bool,
    policy: RetryPolicy,
    seen: HashSet<String>,
    done: bool,
    read: u64,
    last: PageHead,
}

impl Pages {
    /// Starts at the request as given (with its own `start_cursor`, if any).
    /// A non-GET request needs a JSON object body (none means `{}`).
    pub fn new(
        http: http::Client,
        mut req: Request,
        body: Option<Value>,
        policy: RetryPolicy,
    ) -> Result<Pages> {
        let in_query = req.method == "GET" || req.method == "HEAD";
        let body = if in_query {
            None
        } else {
            match body {
                None => Some(serde_json::Map::new()),
                Some(Value::Object(m)) => Some(m),
                Some(_) => {
                    return Err(Error::usage(
                        "--paginate needs a JSON object body to put start_cursor in",
                    ));
                }
            }
        };
        if let Some(b) = &body {
            req.body = Some(serde_json::to_vec(b).unwrap_or_default());
        }
        Ok(Pages {
            http,
            req,
            body,
            in_query,
            policy,
            seen: HashSet::new(),
            done: false,
            read: 0,
            last: PageHead::default(),
        })
    }

    /// Pages read so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// What the last page said about itself.
    pub fn last(&self) -> &PageHead {
        &self.last
    }

    /// The next page, or `None` after the last one.
    pub fn next_page(&mut self) -> Result<Option<Response>> {
        if self.done {
            return Ok(None);
        }
        let resp = self.http.send(&self.req, &self.policy)?;
        self.read += 1;
        let shape: ListShape = serde_json::from_slice(&resp.body).map_err(|e| {
            self.done = true;
            Error::api(format!(
                "page {} is not a paginated list (no `results`), so --paginate cannot follow it",
                self.read
            ))
            .hint("use --paginate with list endpoints such as v1/users or v1/data_sources/ID/query")
            .cause(&e)
        })?;
        self.last = shape.head.clone();
        let next = match (shape.head.has_more, shape.head.next_cursor) {
            (Some(false), _) | (_, None) => None,
            (_, Some(c)) if c.is_empty() => None,
            (_, Some(c)) => Some(c),
        };
        match next {
            None => self.done = true,
            Some(next) => {
                if !self.seen.insert(next.clone()) {
                    self.done = true;
                    return Err(Error::api(format!(
                        "the server sent the cursor {:?} twice; stopping to avoid a loop",
                        crate::output::text::clean(&next)
                    )));
                }
                self.set_cursor(next);
            }
        }
        Ok(Some(resp))
    }

    /// Asks the next pages for `n` items each (`page_size`, in the body or
    /// the query like the cursor): a caller that needs only a few more items
    /// asks for just those, so the next cursor points right after them.
    pub fn set_page_size(&mut self, n: u64) {
        if self.in_query {
            let (base, query) = self.req.url.split_once('?').unwrap_or((&self.req.url, ""));
            let mut parts: Vec<String> = query
                .split('&')
                .filter(|p| !p.is_empty() && !p.starts_with("page_size="))
                .map(str::to_string)
                .collect();
            parts.push(format!("page_size={n}"));
            self.req.url = format!("{base}?{}", parts.join("&"));
        } else if let Some(map) = &mut self.body {
            map.insert("page_size".into(), Value::from(n));
            self.req.body = Some(serde_json::to_vec(&*map).unwrap_or_default());
        }
    }

    fn set_cursor(&mut self, cursor: String) {
        if self.in_query {
            self.req.url = with_query_cursor(&self.req.url, &cursor);
        } else if let Some(map) = &mut self.body {
            map.insert("start_cursor".into(), Value::String(cursor));
            self.req.body = Some(serde_json::to_vec(&*map).unwrap_or_default());
        }
    }
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
    parts.push(format!("start_cursor={}", http::encode(cursor)));
    format!("{base}?{}", parts.join("&"))
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
    fn incomplete_answers_say_so() {
        let h: PageHead =
            serde_json::from_str(r#"{"request_status":{"type":"incomplete"}}"#).unwrap();
        assert!(h.incomplete());
        assert!(!PageHead::default().incomplete());
        let r = |v: &str| serde_json::from_str::<PageHead>(v).unwrap().reason();
        assert_eq!(
            r(
                r#"{"request_status":{"type":"incomplete","incomplete_reason":"query_result_limit_reached"}}"#
            ),
            "query_result_limit_reached"
        );
        assert_eq!(
            r(r#"{"request_status":{"type":"incomplete","incomplete":{"reason":"x"}}}"#),
            "x"
        );
        assert_eq!(
            r(r#"{"request_status":{"type":"incomplete"}}"#),
            "no reason given"
        );
        assert_eq!(PageHead::default().reason(), "no reason given");
    }
}
