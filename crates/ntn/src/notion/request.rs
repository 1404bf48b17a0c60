//! Planning a request to the public API from what a person typed (`ntn
//! api`): the URL under the API base, the method, the headers and where the
//! body comes from, all decided and checked before anything is sent.
//!
//! Rules:
//! * The path (leading `/` optional) goes under the API base; a full URL is
//!   accepted only under it. Characters a URL cannot hold (non-ASCII, `"`,
//!   `{`, ...) are percent-encoded; spaces and control characters are
//!   refused. A bad URL, method or header is a usage error (exit 2).
//! * The body comes from exactly one of `-d` (`JSON`, `@FILE`, `@-`), inline
//!   fields, `--file` (multipart), or stdin. Stdin is read only when it is
//!   the body: always with `-d @-`; otherwise only when no other body is
//!   given, stdin is not a terminal, and the request takes a body (`-X` names
//!   a method with a body, or the path only accepts such methods, see
//!   [`super::operations`]). A GET never touches stdin.
//! * The method: `-X`; else, with a body, the path's one method with a body
//!   (PATCH for `v1/pages/ID`), else POST; without a body, POST for a path
//!   that only takes POST (`v1/search`, `v1/data_sources/ID/query`), else
//!   GET. A body with an explicit GET or HEAD is a usage error.
//! * JSON given on the command line that is not JSON is a usage error (2);
//!   JSON read from a file or stdin that is not JSON is a local error (1).
//!   `-d @FILE` is checked as it is read and then streamed from the file, so
//!   it costs no memory; bodies held in memory (stdin, and files that
//!   `--paginate` or `--file` must read) are limited to [`MAX_BODY_IN_MEMORY`].

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::operations::{BODY_METHODS, Endpoint, METHODS, Operations};
use crate::error::{Error, ExitCode, Result};
use crate::http::upload::Form;
use crate::http::{OpenBody, Request};
use crate::output::StdinKind;
use crate::secrets::Token;
use crate::support::size::{MIB, human_bytes};

/// The largest body read into memory.
pub const MAX_BODY_IN_MEMORY: u64 = 64 * MIB;

/// What a person asked for (plain values from the command line).
#[derive(Clone, Debug, Default)]
pub struct Ask<'a> {
    /// The path or full URL as typed.
    pub path: &'a str,
    /// `-X`.
    pub method: Option<&'a str>,
    /// `-d`: JSON, `@FILE` or `@-`.
    pub data: Option<&'a str>,
    /// Inline body fields, already built into an object.
    pub fields: Option<Map<String, Value>>,
    /// Query parameters (`name==value`).
    pub query: &'a [(String, String)],
    /// Headers (`Name:value`).
    pub headers: &'a [(String, String)],
    /// `--file`: sent as multipart/form-data.
    pub file: Option<&'a Path>,
    /// `--paginate`: the body must be an object in memory.
    pub paginate: bool,
    /// The `Notion-Version` sent unless a header gives one.
    pub version: &'a str,
}

/// Stdin, as the planner sees it: what it is, and how to read it (called at
/// most once, only when stdin is the body).
pub struct Stdin<'a> {
    pub kind: StdinKind,
    pub read: &'a mut dyn FnMut() -> Option<Box<dyn Read + Send>>,
}

/// Where the body came from (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFrom {
    Data,
    Fields,
    Stdin,
    /// `{}`, for a method the path only takes with a body.
    Default,
}

impl BodyFrom {
    pub fn describe(self) -> &'static str {
        match self {
            BodyFrom::Data => "-d/--data",
            BodyFrom::Fields => "inline inputs",
            BodyFrom::Stdin => "stdin",
            BodyFrom::Default => "an empty object",
        }
    }
}

/// The body of a planned request.
#[derive(Debug)]
pub enum Body {
    None,
    /// JSON built in memory.
    Json {
        value: Value,
        from: BodyFrom,
    },
    /// `-d @FILE`: checked JSON, streamed from the file.
    File {
        path: PathBuf,
        len: u64,
    },
    /// `--file`: a form (fields, then the file's bytes), streamed.
    Form {
        form: Form,
        path: PathBuf,
        len: u64,
    },
}

/// How the method was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodFrom {
    /// `-X`.
    Flag,
    /// From the operations table.
    Table,
    /// POST because there is a body.
    Body,
    /// GET, the default.
    Default,
}

/// A request ready to send.
#[derive(Debug)]
pub struct Plan {
    pub method: String,
    pub method_from: MethodFrom,
    pub url: String,
    /// The operation the path belongs to, when ntn knows it.
    pub endpoint: Option<Endpoint>,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// The person gave an `Authorization` header: no token is added.
    pub user_authorization: bool,
    /// Stdin was read as the body.
    pub read_stdin: bool,
}

impl Plan {
    /// The request, with `token` as its bearer (unless the person gave an
    /// `Authorization` header). A JSON body is in it; a streamed body comes
    /// from [`Plan::open_body`].
    pub fn request(&self, token: Option<&Token>) -> Request {
        let mut req = Request::new(&self.method, &self.url);
        req.headers = self.headers.clone();
        if let Body::Json { value, .. } = &self.body {
            req.body = Some(serde_json::to_vec(value).unwrap_or_default());
        }
        if let (Some(t), false) = (token, self.user_authorization) {
            req = req.bearer(t);
        }
        req
    }

    /// The body as a JSON value in memory (for pagination).
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            Body::Json { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Opens a streamed body (again for each attempt), if it is one.
    pub fn open_body(&self) -> Option<Box<OpenBody<'_>>> {
        match &self.body {
            Body::File { path, len } => {
                let len = *len;
                Some(Box::new(move || {
                    let f = File::open(path)?;
                    Ok((Box::new(f.take(len)) as Box<dyn Read + Send>, Some(len)))
                }))
            }
            Body::Form { form, path, len } => {
                let len = *len;
                Some(Box::new(move || {
                    let f = File::open(path)?;
                    let body = form.body(f.take(len));
                    Ok((
                        Box::new(body) as Box<dyn Read + Send>,
                        Some(form.content_length(len)),
                    ))
                }))
            }
            Body::None | Body::Json { .. } => None,
        }
    }

    /// Whether a header named `name` was given by the person.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }
}

/// Plans the request `ask` to the API at `api_base`; see the module docs.
pub fn plan(api_base: &str, ask: Ask<'_>, ops: &Operations, stdin: Stdin<'_>) -> Result<Plan> {
    let url = add_query(&build_url(api_base, ask.path)?, ask.query);
    let method_flag = ask.method.map(check_method).transpose()?;
    for (k, v) in ask.headers {
        check_header(k, v)?;
    }
    let endpoint = ops.endpoint(api_path(api_base, &url));
    let has_other_body = ask.data.is_some() || ask.fields.is_some() || ask.file.is_some();
    let takes_body = match &method_flag {
        Some(m) => BODY_METHODS.contains(&m.as_str()),
        None => endpoint.as_ref().is_some_and(Endpoint::only_body_methods),
    };
    let reads_stdin = ask.data == Some("@-")
        || (!has_other_body
            && takes_body
            && matches!(stdin.kind, StdinKind::Pipe | StdinKind::File));
    let needs_value = ask.paginate || ask.file.is_some();

    let mut found: Vec<Body> = Vec::new();
    if let Some(d) = ask.data {
        found.push(data_body(d, &mut *stdin.read, needs_value)?);
    }
    if let Some(map) = ask.fields {
        found.push(Body::Json {
            value: Value::Object(map),
            from: BodyFrom::Fields,
        });
    }
    if found.len() > 1 {
        return Err(conflict(BodyFrom::Data, BodyFrom::Fields));
    }
    if reads_stdin
        && ask.data != Some("@-")
        && let Some(bytes) = read_stdin(&mut *stdin.read)?
        && !bytes.iter().all(u8::is_ascii_whitespace)
    {
        found.push(Body::Json {
            value: parse_json(&bytes, "the body read from stdin", false)?,
            from: BodyFrom::Stdin,
        });
    }
    let mut body = found.pop().unwrap_or(Body::None);
    if let Some(path) = ask.file {
        body = form_body(path, body)?;
    }

    let (method, method_from) = match method_flag {
        Some(m) => {
            if matches!(m.as_str(), "GET" | "HEAD") && !matches!(body, Body::None) {
                return Err(Error::usage(format!(
                    "a {m} request takes no body, but one was given ({})",
                    describe(&body)
                ))
                .hint(format!(
                    "leave out -X {m} to send the body (ntn then picks the method), or leave out the body"
                )));
            }
            (m, MethodFrom::Flag)
        }
        None if !matches!(body, Body::None) => {
            match endpoint.as_ref().and_then(Endpoint::body_method) {
                Some(m) => (m.to_string(), MethodFrom::Table),
                None => ("POST".to_string(), MethodFrom::Body),
            }
        }
        None => match endpoint.as_ref() {
            Some(e) if e.only_body_methods() => {
                let m = e.body_method().unwrap_or("POST").to_string();
                body = Body::Json {
                    value: Value::Object(Map::new()),
                    from: BodyFrom::Default,
                };
                (m, MethodFrom::Table)
            }
            _ => ("GET".to_string(), MethodFrom::Default),
        },
    };

    let user_has = |name: &str| {
        ask.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    if !user_has("notion-version") {
        headers.push(("Notion-Version".into(), ask.version.to_string()));
    }
    if !user_has("accept") {
        headers.push(("Accept".into(), "application/json".into()));
    }
    match &body {
        Body::Form { form, .. } => headers.push(("Content-Type".into(), form.content_type())),
        Body::Json { .. } | Body::File { .. } if !user_has("content-type") => {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        _ => {}
    }
    headers.extend(ask.headers.iter().cloned());
    Ok(Plan {
        method,
        method_from,
        url,
        endpoint,
        headers,
        body,
        user_authorization: user_has("authorization"),
        read_stdin: reads_stdin,
    })
}

fn describe(body: &Body) -> &'static str {
    match body {
        Body::None => "none",
        Body::Json { from, .. } => from.describe(),
        Body::File { .. } => "-d/--data",
        Body::Form { .. } => "--file",
    }
}

/// The part of `url` after the API base (for matching it to an operation).
fn api_path<'u>(api_base: &str, url: &'u str) -> &'u str {
    url.get(api_base.len()..)
        .filter(|_| url.len() >= api_base.len())
        .unwrap_or(url)
}

/// An HTTP method ntn sends, upper-cased; anything else is a usage error.
pub fn check_method(m: &str) -> Result<String> {
    let up = m.trim().to_ascii_uppercase();
    if METHODS.contains(&up.as_str()) {
        return Ok(up);
    }
    Err(Error::usage(format!(
        "{:?} is not an HTTP method ntn sends",
        crate::output::text::clean(m)
    ))
    .hint(format!("use one of {}", METHODS.join(", "))))
}

/// Checks a header a person gave: a token for a name, printable ASCII for a
/// value (no CR or LF, which would split the request).
pub fn check_header(name: &str, value: &str) -> Result<()> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(tchar) {
        return Err(Error::usage(format!(
            "{:?} is not a valid header name",
            crate::output::text::clean(name)
        ))
        .hint("header names are letters, digits and - (for example X-Request-Id:abc)"));
    }
    if !value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return Err(Error::usage(format!(
            "the value of the header {name} holds characters a header cannot carry \
             (line breaks, control characters or non-ASCII text)"
        ))
        .hint("header values are printable ASCII on one line"));
    }
    Ok(())
}

/// The full URL of a typed path: under the API base, or refused.
pub fn build_url(api_base: &str, typed: &str) -> Result<String> {
    let base = api_base.trim_end_matches('/');
    let bytes = typed.as_bytes();
    let has_scheme =
        |s: &str| bytes.len() >= s.len() && bytes[..s.len()].eq_ignore_ascii_case(s.as_bytes());
    let rest = if has_scheme("http://") || has_scheme("https://") {
        let under = bytes.len() >= base.len()
            && bytes[..base.len()].eq_ignore_ascii_case(base.as_bytes())
            && matches!(bytes.get(base.len()), None | Some(b'/' | b'?'));
        if !under {
            return Err(Error::usage(format!(
                "refusing to send a request to {}: it is not under the API base {base}",
                crate::output::text::clean(typed)
            ))
            .hint(
                "pass a path such as v1/users/me; to use another server set NOTION_API_BASE_URL",
            ));
        }
        // The first base.len() bytes matched ASCII bytes: a char boundary.
        typed.get(base.len()..).unwrap_or("").to_string()
    } else {
        format!("/{}", typed.trim_start_matches('/'))
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::usage(format!(
            "the path {:?} contains spaces or control characters",
            crate::output::text::clean(typed)
        ))
        .hint("percent-encode them (%20), or pass query values as name==value"));
    }
    let url = format!("{base}{}", encode_url_text(&rest));
    if ureq::http::Uri::try_from(url.as_str()).is_err() {
        return Err(Error::usage(format!(
            "{} is not a valid URL",
            crate::output::text::clean(&url)
        ))
        .hint("check the path; percent-encode unusual characters"));
    }
    Ok(url)
}

/// Percent-encodes what a URL cannot hold as it is (non-ASCII, `"`, `<`,
/// `{`, `|`, ...); `%` and the URL's own delimiters stay.
fn encode_url_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let keep = c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c);
        if keep {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// `url` with `query` appended (percent-encoded).
pub fn add_query(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", crate::http::encode(k), crate::http::encode(v)))
        .collect();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", pairs.join("&"))
}

fn parse_json(bytes: &[u8], what: &str, usage: bool) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| not_json(what, &e, usage))
}

fn not_json(what: &str, e: &serde_json::Error, usage: bool) -> Error {
    let err = Error::local(format!("{what} is not valid JSON: {e}"));
    let err = if usage {
        err.with_code(ExitCode::Usage)
    } else {
        err
    };
    err.hint("the body must be one JSON document, e.g. '{\"query\": \"x\"}'")
}

/// Reads stdin, at most [`MAX_BODY_IN_MEMORY`]; `None` when it is closed.
fn read_stdin(read: &mut dyn FnMut() -> Option<Box<dyn Read + Send>>) -> Result<Option<Vec<u8>>> {
    let Some(stdin) = read() else {
        return Ok(None);
    };
    read_limited(stdin, "stdin").map(Some)
}

fn read_limited(r: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_BODY_IN_MEMORY + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::local(format!("cannot read {what}")).cause(&e))?;
    if buf.len() as u64 > MAX_BODY_IN_MEMORY {
        return Err(Error::local(format!(
            "the body in {what} is larger than {}, the most ntn holds in memory",
            human_bytes(MAX_BODY_IN_MEMORY)
        ))
        .hint("put it in a file and pass -d @FILE (streamed), without --paginate or --file"));
    }
    Ok(buf)
}

/// The body of `-d`: JSON, `@FILE` or `@-`.
fn data_body(
    d: &str,
    read: &mut dyn FnMut() -> Option<Box<dyn Read + Send>>,
    needs_value: bool,
) -> Result<Body> {
    if d == "@-" {
        let bytes = read_stdin(read)?.unwrap_or_default();
        let value = parse_json(&bytes, "the body read from stdin (-d @-)", false)?;
        return Ok(Body::Json {
            value,
            from: BodyFrom::Data,
        });
    }
    let Some(path) = d.strip_prefix('@') else {
        return Ok(Body::Json {
            value: parse_json(d.as_bytes(), "the -d/--data value", true)?,
            from: BodyFrom::Data,
        });
    };
    let cannot = |e: &std::io::Error| {
        Error::local(format!("cannot read {path}"))
            .hint("check the path given to -d @FILE")
            .cause(e)
    };
    let file = File::open(path).map_err(|e| cannot(&e))?;
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    if meta.is_dir() {
        return Err(Error::local(format!("{path} is a directory"))
            .hint("-d @FILE takes a file holding one JSON document"));
    }
    if needs_value || !meta.is_file() {
        let bytes = read_limited(file, path)?;
        return Ok(Body::Json {
            value: parse_json(&bytes, path, false)?,
            from: BodyFrom::Data,
        });
    }
    // Checked as it is read, in constant memory, then streamed from disk.
    let depth = DepthLimit {
        inner: BufReader::new(file),
        depth: 0,
        in_string: false,
        escaped: false,
    };
    let mut de = serde_json::Deserializer::from_reader(depth);
    serde::Deserialize::deserialize(&mut de)
        .and_then(|IgnoredAny| de.end())
        .map_err(|e| not_json(path, &e, false))?;
    Ok(Body::File {
        path: PathBuf::from(path),
        len: meta.len(),
    })
}

/// The deepest nesting accepted in a streamed body (as for bodies parsed in
/// memory: serde_json's own limit).
const MAX_DEPTH: u32 = 128;

/// A reader that refuses JSON nested deeper than [`MAX_DEPTH`] (the
/// streaming check skips values without a depth limit of its own).
struct DepthLimit<R> {
    inner: R,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl<R: Read> Read for DepthLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(std::io::Error::other(format!(
                            "nested more than {MAX_DEPTH} levels deep"
                        )));
                    }
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(n)
    }
}

/// `--file`: the body's fields (an object) become form fields.
fn form_body(path: &Path, fields: Body) -> Result<Body> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::local(format!("cannot read {}", path.display()))
            .hint("check the path given to --file")
            .cause(&e)
    })?;
    if !meta.is_file() {
        return Err(
            Error::local(format!("{} is not a regular file", path.display()))
                .hint("--file sends one file from disk"),
        );
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    match fields {
        Body::None => {}
        Body::Json {
            value: Value::Object(map),
            ..
        } => {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                pairs.push((k, text));
            }
        }
        _ => {
            return Err(Error::usage(
                "with --file, the body must be a JSON object (its fields become form fields)",
            ));
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let content_type =
        super::upload::sniff::type_for_name(&name).unwrap_or(super::upload::sniff::OCTET_STREAM);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Ok(Body::Form {
        form: Form::new(&refs, &name, content_type),
        path: path.to_path_buf(),
        len: meta.len(),
    })
}

fn conflict(a: BodyFrom, b: BodyFrom) -> Error {
    let e = Error::usage(format!(
        "the request body was given twice: by {} and by {}",
        a.describe(),
        b.describe()
    ));
    if a == BodyFrom::Stdin || b == BodyFrom::Stdin {
        e.hint(
            "give the body one way only; when stdin is not meant as the body, \
             redirect it: ntn api ... < /dev/null",
        )
    } else {
        e.hint("give the body one way only: stdin, -d/--data, or inline inputs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BASE: &str = "https://api.notion.com";

    fn plan_with(ask: Ask<'_>, kind: StdinKind, stdin: &str) -> (Result<Plan>, bool) {
        let mut touched = false;
        let bytes = stdin.as_bytes().to_vec();
        let mut read = || -> Option<Box<dyn Read + Send>> {
            touched = true;
            Some(Box::new(std::io::Cursor::new(bytes.clone())))
        };
        let p = plan(
            BASE,
            ask,
            &Operations::built_in(),
            Stdin {
                kind,
                read: &mut read,
            },
        );
        (p, touched)
    }

    fn ask(path: &str) -> Ask<'_> {
        Ask {
            path,
            version: "2025-09-03",
            ..Ask::default()
        }
    }

    #[test]
    fn urls_stay_under_the_api_base() {
        assert_eq!(
            build_url(BASE, "v1/users/me").unwrap(),
            "https://api.notion.com/v1/users/me"
        );
        assert_eq!(
            build_url(BASE, "/v1/users/me").unwrap(),
            "https://api.notion.com/v1/users/me"
        );
        assert_eq!(
            build_url(BASE, "https://api.notion.com/v1/users").unwrap(),
            "https://api.notion.com/v1/users"
        );
        assert_eq!(
            build_url(BASE, "HTTPS://API.notion.com/v1/users?x=1").unwrap(),
            "https://api.notion.com/v1/users?x=1"
        );
        for bad in [
            "https://evil.com/v1/users",
            "https://api.notion.com.evil.com/v1",
            "http://api.notion.com/v1/users",
            "https://api.notion.coé/x",
            "https://api.notion.co\u{e9}",
            "https://",
            "v1/a b",
            "v1/a\u{0}b",
            "v1/a\u{85}b",
        ] {
            assert_eq!(
                build_url(BASE, bad).unwrap_err().exit_code().code(),
                2,
                "{bad}"
            );
        }
    }

    #[test]
    fn characters_a_url_cannot_hold_are_encoded() {
        assert_eq!(
            build_url(BASE, "v1/pages/é{x}").unwrap(),
            "https://api.notion.com/v1/pages/%C3%A9%7Bx%7D"
        );
        assert_eq!(
            build_url(BASE, "v1/search?q=a%20b").unwrap(),
            "https://api.notion.com/v1/search?q=a%20b"
        );
    }

    #[test]
    fn query_inputs_are_encoded() {
        assert_eq!(
            add_query("http://x/v1/users", &[("a b".into(), "c&d".into())]),
            "http://x/v1/users?a%20b=c%26d"
        );
        assert_eq!(
            add_query("http://x/v1?x=1", &[("y".into(), "2".into())]),
            "http://x/v1?x=1&y=2"
        );
    }

    #[test]
    fn methods_and_headers_are_checked() {
        assert_eq!(check_method(" patch ").unwrap(), "PATCH");
        for bad in ["FOO", "", "G ET", "TRACE", "CONNECT"] {
            assert_eq!(
                check_method(bad).unwrap_err().exit_code().code(),
                2,
                "{bad}"
            );
        }
        assert!(check_header("X-Test", "a b\tc").is_ok());
        for (k, v) in [
            ("X-Test", "a\r\nX-Evil: 1"),
            ("X Test", "v"),
            ("", "v"),
            ("X", "é"),
        ] {
            assert_eq!(
                check_header(k, v).unwrap_err().exit_code().code(),
                2,
                "{k:?}"
            );
        }
    }

    #[test]
    fn a_get_never_touches_stdin() {
        let (p, touched) = plan_with(ask("v1/pages/abc"), StdinKind::Pipe, "{\"x\":1}");
        let p = p.unwrap();
        assert!(!touched);
        assert_eq!(p.method, "GET");
        assert!(matches!(p.body, Body::None));
        // An unknown path: GET, stdin untouched.
        let (p, touched) = plan_with(ask("v1/unknown"), StdinKind::Pipe, "{}");
        assert_eq!(p.unwrap().method, "GET");
        assert!(!touched);
    }

    #[test]
    fn stdin_is_the_body_of_a_post_only_path() {
        let (p, touched) = plan_with(ask("v1/search"), StdinKind::Pipe, r#"{"query":"x"}"#);
        let p = p.unwrap();
        assert!(touched);
        assert_eq!(p.method, "POST");
        assert_eq!(p.json(), Some(&json!({"query": "x"})));
        // A terminal is never read; the path still posts {}.
        let (p, touched) = plan_with(ask("v1/search"), StdinKind::Terminal, "");
        let p = p.unwrap();
        assert!(!touched);
        assert_eq!((p.method.as_str(), p.json()), ("POST", Some(&json!({}))));
        // -X with a body method reads it.
        let a = Ask {
            method: Some("patch"),
            ..ask("v1/pages/abc")
        };
        let (p, touched) = plan_with(a, StdinKind::File, r#"{"archived":true}"#);
        assert!(touched);
        assert_eq!(p.unwrap().method, "PATCH");
        // Inline fields: stdin is not looked at.
        let mut m = Map::new();
        m.insert("query".into(), json!("y"));
        let a = Ask {
            fields: Some(m),
            ..ask("v1/search")
        };
        let (p, touched) = plan_with(a, StdinKind::Pipe, "garbage");
        assert!(!touched);
        assert_eq!(p.unwrap().json(), Some(&json!({"query": "y"})));
    }

    #[test]
    fn the_method_follows_the_table() {
        let mut m = Map::new();
        m.insert("archived".into(), json!(true));
        let a = Ask {
            fields: Some(m.clone()),
            ..ask("v1/pages/abc")
        };
        let (p, _) = plan_with(a, StdinKind::Null, "");
        let p = p.unwrap();
        assert_eq!(
            (p.method.as_str(), p.method_from),
            ("PATCH", MethodFrom::Table)
        );
        let a = Ask {
            fields: Some(m.clone()),
            ..ask("v1/unknown")
        };
        let (p, _) = plan_with(a, StdinKind::Null, "");
        assert_eq!(p.unwrap().method, "POST");
        let a = Ask {
            paginate: true,
            ..ask("v1/data_sources/ds/query")
        };
        let (p, _) = plan_with(a, StdinKind::Null, "");
        assert_eq!(p.unwrap().method, "POST");
        // A body with an explicit GET is refused.
        let a = Ask {
            method: Some("GET"),
            fields: Some(m),
            ..ask("v1/users/me")
        };
        let (p, _) = plan_with(a, StdinKind::Null, "");
        let e = p.unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert!(e.message().contains("takes no body"), "{}", e.message());
    }

    #[test]
    fn two_bodies_and_bad_json() {
        let mut m = Map::new();
        m.insert("x".into(), json!("y"));
        let a = Ask {
            data: Some("{}"),
            fields: Some(m),
            ..ask("v1/search")
        };
        assert_eq!(
            plan_with(a, StdinKind::Null, "")
                .0
                .unwrap_err()
                .exit_code()
                .code(),
            2
        );
        let a = Ask {
            data: Some("{nope"),
            ..ask("v1/search")
        };
        assert_eq!(
            plan_with(a, StdinKind::Null, "")
                .0
                .unwrap_err()
                .exit_code()
                .code(),
            2
        );
        let (p, _) = plan_with(ask("v1/search"), StdinKind::Pipe, "{nope");
        assert_eq!(p.unwrap_err().exit_code().code(), 1);
        // Blank stdin is no body.
        let (p, touched) = plan_with(ask("v1/search"), StdinKind::Pipe, " \n");
        assert!(touched);
        assert_eq!(p.unwrap().json(), Some(&json!({})));
    }

    #[test]
    fn data_files_are_checked_then_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.json");
        std::fs::write(&f, r#"{"query": "x"}"#).unwrap();
        let arg = format!("@{}", f.display());
        let a = Ask {
            data: Some(&arg),
            ..ask("v1/search")
        };
        let (p, _) = plan_with(a, StdinKind::Null, "");
        let p = p.unwrap();
        assert!(matches!(p.body, Body::File { len: 14, .. }), "{:?}", p.body);
        let mut open = p.open_body().unwrap();
        let (mut r, len) = open().unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!((s.as_str(), len), (r#"{"query": "x"}"#, Some(14)));
        // With --paginate it is read into memory.
        let a = Ask {
            data: Some(&arg),
            paginate: true,
            ..ask("v1/search")
        };
        assert!(
            plan_with(a, StdinKind::Null, "")
                .0
                .unwrap()
                .json()
                .is_some()
        );
        std::fs::write(&f, format!("{}{}", "[".repeat(200), "]".repeat(200))).unwrap();
        let a = Ask {
            data: Some(&arg),
            ..ask("v1/search")
        };
        let e = plan_with(a, StdinKind::Null, "").0.unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.message().contains("levels deep"), "{}", e.message());
        std::fs::write(&f, r#"{"s": "[[[\"]]]"}"#).unwrap();
        let a = Ask {
            data: Some(&arg),
            ..ask("v1/search")
        };
        assert!(
            plan_with(a, StdinKind::Null, "").0.is_ok(),
            "brackets in strings"
        );
        std::fs::write(&f, "{\"a\": 1} trailing").unwrap();
        let a = Ask {
            data: Some(&arg),
            ..ask("v1/search")
        };
        assert_eq!(
            plan_with(a, StdinKind::Null, "")
                .0
                .unwrap_err()
                .exit_code()
                .code(),
            1
        );
    }

    #[test]
    fn multipart_streams_the_file_between_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hello").unwrap();
        let mut m = Map::new();
        m.insert("part_number".into(), json!("1"));
        m.insert("n".into(), json!(2));
        let a = Ask {
            fields: Some(m),
            file: Some(&p),
            ..ask("v1/file_uploads/abc/send")
        };
        let plan = plan_with(a, StdinKind::Null, "").0.unwrap();
        assert_eq!(plan.method, "POST");
        let mut open = plan.open_body().unwrap();
        let (mut r, len) = open().unwrap();
        let mut body = String::new();
        r.read_to_string(&mut body).unwrap();
        assert_eq!(len, Some(body.len() as u64));
        assert!(body.contains("name=\"part_number\"\r\n\r\n1\r\n"));
        assert!(body.contains("name=\"n\"\r\n\r\n2\r\n"));
        assert!(body.contains("filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"));
        let ct = plan
            .headers
            .iter()
            .find(|(k, _)| k == "Content-Type")
            .unwrap();
        assert!(ct.1.starts_with("multipart/form-data; boundary="));
    }
}
