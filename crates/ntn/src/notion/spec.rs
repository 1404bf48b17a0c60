//! The OpenAPI spec behind `ntn api ls`, `--spec`, `--docs` and `<path> --help`.
//!
//! Fetched from `{docs base}/openapi.json` (no token) and cached for an hour
//! in `NOTION_HOME/cache`, else `$XDG_CACHE_HOME/notion`, else
//! `~/.cache/notion` (`~` is `USERPROFILE` on Windows), one file per docs base URL (`openapi-<hash>.json`) plus
//! a small `.meta.json` with the URL, the fetch time and the ETag. A stale
//! cache is revalidated with `If-None-Match`; when the fetch fails a stale
//! cache is used with a warning. Plain API calls never need the spec.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{Error, ExitCode, Result};
use crate::http::{Client, Request, RetryPolicy};
use crate::support::time;
use crate::vars::Vars;

/// How long a fetched spec is used without asking the server again.
pub const FRESH_FOR: Duration = Duration::from_secs(3600);

#[derive(Debug, Serialize, Deserialize)]
pub struct Meta {
    pub url: String,
    /// Unix seconds of the last successful fetch or revalidation.
    pub fetched_at: u64,
    #[serde(default)]
    pub etag: Option<String>,
}

/// The loaded spec.
#[derive(Debug)]
pub struct Spec {
    pub doc: Value,
}

/// One operation.
#[derive(Clone, Debug, Serialize)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: String,
    #[serde(rename = "operationId")]
    pub operation_id: Option<String>,
    #[serde(rename = "docsRef")]
    pub docs_ref: Option<String>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The cache directory (it may not exist yet).
pub fn cache_dir(vars: &Vars) -> Option<PathBuf> {
    cache_dir_on(vars, cfg!(windows))
}

/// [`cache_dir`] on Windows (`windows`) or elsewhere: `~` is the home the
/// config directory uses, `USERPROFILE` on Windows (which sets no `HOME`).
fn cache_dir_on(vars: &Vars, windows: bool) -> Option<PathBuf> {
    let var = |k: &str| vars.path(k);
    if let Some(home) = var("NOTION_HOME") {
        return Some(home.join("cache"));
    }
    if let Some(xdg) = var("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("notion"));
    }
    crate::state::paths::home_dir(vars, windows).map(|h| h.join(".cache").join("notion"))
}

/// FNV-1a, for a stable file name per docs base URL.
fn fnv64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// (spec file, meta file) for a docs base.
pub fn cache_files(vars: &Vars, docs_base: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = cache_dir(vars)?;
    let stem = format!("openapi-{:016x}", fnv64(docs_base));
    Some((
        dir.join(format!("{stem}.json")),
        dir.join(format!("{stem}.meta.json")),
    ))
}

/// Where the operations of the cached spec are kept (see
/// [`super::operations`]): a small file read by every `ntn api` call.
pub fn operations_file(vars: &Vars, docs_base: &str) -> Option<PathBuf> {
    let dir = cache_dir(vars)?;
    Some(dir.join(format!("openapi-{:016x}.ops.json", fnv64(docs_base))))
}

/// A cached spec, whatever its age, and its meta.
fn read_cache(spec_path: &Path, meta_path: &Path) -> Option<(Value, Option<Meta>)> {
    let bytes = std::fs::read(spec_path).ok()?;
    let doc: Value = serde_json::from_slice(&bytes).ok()?;
    doc.get("paths")?.as_object()?;
    let meta = std::fs::read(meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Meta>(&b).ok());
    Some((doc, meta))
}

/// The cached spec without any network access (for shell completion).
pub fn load_cached(vars: &Vars, docs_base: &str) -> Option<Spec> {
    let (spec_path, meta_path) = cache_files(vars, docs_base)?;
    read_cache(&spec_path, &meta_path).map(|(doc, _)| Spec { doc })
}

fn write_cache(
    client: &Client,
    spec_path: &Path,
    meta_path: &Path,
    body: Option<(&[u8], &Spec)>,
    meta: &Meta,
) {
    let write = || -> Result<()> {
        if let Some(dir) = spec_path.parent() {
            crate::state::files::ensure_private_dir(dir)?;
        }
        if let Some((body, spec)) = body {
            crate::state::files::write_atomic(spec_path, body)?;
            let ops = spec_path.with_extension("ops.json");
            crate::state::files::write_json(&ops, &spec.index())?;
        }
        crate::state::files::write_json(meta_path, meta)
    };
    if let Err(e) = write() {
        client.ui().warn(format_args!(
            "cannot cache the OpenAPI spec: {}",
            e.message()
        ));
    }
}

/// Loads the spec of `docs` (the docs base URL): the fresh cache, else the
/// server (through `client`), else a stale cache with a warning.
pub fn load(client: &Client, vars: &Vars, docs: &str) -> Result<Spec> {
    let url = format!("{docs}/openapi.json");
    let files = cache_files(vars, docs);
    let cached = files.as_ref().and_then(|(s, m)| read_cache(s, m));
    let now = client.clock().unix_ms() / 1000;
    if let Some((doc, Some(meta))) = &cached
        && meta.url == url
        && meta.fetched_at <= now + 60
        && now.saturating_sub(meta.fetched_at) < FRESH_FOR.as_secs()
    {
        return Ok(Spec { doc: doc.clone() });
    }
    let etag = cached
        .as_ref()
        .and_then(|(_, m)| m.as_ref())
        .filter(|m| m.url == url)
        .and_then(|m| m.etag.clone());
    let mut req = Request::new("GET", &url).header("Accept", "application/json");
    if let Some(tag) = &etag {
        req = req.header("If-None-Match", tag);
    }
    let client = client.with_timeout(Duration::from_secs(30));
    let policy = RetryPolicy {
        max_attempts: 2,
        max_wait: Duration::from_secs(5),
        return_errors: true,
        ..RetryPolicy::default()
    };
    let fetched = client.send(&req, &policy).and_then(|resp| {
        if resp.status == 304 && cached.is_some() {
            return Ok(None);
        }
        if !resp.is_success() {
            return Err(Error::api(format!(
                "the server answered HTTP {}",
                resp.status
            )));
        }
        let doc: Value = serde_json::from_slice(&resp.body)
            .map_err(|e| Error::api("the spec is not valid JSON").cause(&e))?;
        if !doc.get("paths").is_some_and(Value::is_object) {
            return Err(Error::api(
                "the document has no `paths`: it is not an OpenAPI spec",
            ));
        }
        let etag = resp.header("etag").map(str::to_string);
        Ok(Some((doc, resp.body, etag)))
    });
    match fetched {
        Ok(Some((doc, body, etag))) => {
            if let Some((s, m)) = &files {
                let meta = Meta {
                    url,
                    fetched_at: now,
                    etag,
                };
                let spec = Spec { doc };
                write_cache(&client, s, m, Some((&body, &spec)), &meta);
                return Ok(spec);
            }
            Ok(Spec { doc })
        }
        Ok(None) => {
            let Some((doc, _)) = cached else {
                return Err(Error::api(
                    "the server answered 304 for a spec ntn has not cached",
                ));
            };
            if let Some((s, m)) = &files {
                let meta = Meta {
                    url,
                    fetched_at: now,
                    etag,
                };
                write_cache(&client, s, m, None, &meta);
            }
            Ok(Spec { doc })
        }
        Err(e) => match cached {
            Some((doc, meta)) => {
                let age = meta
                    .map(|m| format!(" from {} ago", time::ago(now.saturating_sub(m.fetched_at))))
                    .unwrap_or_default();
                client.ui().warn(format_args!(
                    "cannot fetch the OpenAPI spec from {url} ({}); using the cached copy{age}",
                    e.message()
                ));
                Ok(Spec { doc })
            }
            None => Err(Error::new(
                ExitCode::Api,
                format!("cannot fetch the OpenAPI spec from {url}: {}", e.message()),
            )
            .hint(
                "check your network connection (or NOTION_API_DOCS_BASE_URL); \
                 plain `ntn api <path>` calls do not need the spec",
            )
            .cause(&e)),
        },
    }
}

impl Spec {
    fn paths(&self) -> impl Iterator<Item = (&String, &Map<String, Value>)> {
        self.doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(p, item)| item.as_object().map(|o| (p, o)))
    }

    /// Every operation, in the spec's order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        for (path, item) in self.paths() {
            for (method, op) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                out.push(operation(path, method, op));
            }
        }
        out
    }

    /// The path templates, in the spec's order.
    pub fn templates(&self) -> Vec<String> {
        self.paths().map(|(p, _)| p.clone()).collect()
    }

    /// The operations of one template.
    pub fn operations_of(&self, template: &str) -> Vec<Operation> {
        self.operations()
            .into_iter()
            .filter(|o| o.path == template)
            .collect()
    }

    fn op_value(&self, template: &str, method: &str) -> Option<&Value> {
        self.doc
            .get("paths")?
            .get(template)?
            .get(method.to_ascii_lowercase())
    }

    /// The template a concrete path resolves to: `v1/pages/abc` →
    /// `/v1/pages/{page_id}` (see [`super::operations::match_template`]).
    pub fn resolve(&self, path: &str) -> Option<String> {
        let templates = self.templates();
        super::operations::match_template(templates.iter().map(String::as_str), path)
    }

    /// The (method, template) pairs of the spec, as cached for
    /// [`super::operations::Operations::load`].
    pub fn index(&self) -> Vec<(String, String)> {
        self.operations()
            .into_iter()
            .map(|o| (o.method, o.path))
            .collect()
    }

    /// The reduced spec for one operation: the operation under its path,
    /// path-level parameters, and every component it references
    /// (transitively).
    pub fn fragment(&self, template: &str, method: &str) -> Option<Value> {
        let method = method.to_ascii_lowercase();
        let item = self.doc.get("paths")?.get(template)?;
        let op = item.get(&method)?.clone();
        let mut path_item = Map::new();
        if let Some(p) = item.get("parameters") {
            path_item.insert("parameters".into(), p.clone());
        }
        path_item.insert(method.clone(), op);
        let path_item = Value::Object(path_item);
        let mut components: Map<String, Value> = Map::new();
        let mut todo: Vec<String> = Vec::new();
        collect_refs(&path_item, &mut todo);
        let mut seen = std::collections::HashSet::new();
        while let Some(r) = todo.pop() {
            if !seen.insert(r.clone()) {
                continue;
            }
            let Some(pointer) = r.strip_prefix('#') else {
                continue;
            };
            let parts: Vec<String> = pointer
                .trim_start_matches('/')
                .split('/')
                .map(|p| p.replace("~1", "/").replace("~0", "~"))
                .collect();
            if parts.len() != 3 || parts[0] != "components" {
                continue;
            }
            let Some(v) = self.doc.pointer(pointer) else {
                continue;
            };
            collect_refs(v, &mut todo);
            let kind = components
                .entry(parts[1].clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(k) = kind {
                k.insert(parts[2].clone(), v.clone());
            }
        }
        let mut out = Map::new();
        for key in ["openapi", "info", "servers", "security"] {
            if let Some(v) = self.doc.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
        let mut paths = Map::new();
        paths.insert(template.to_string(), path_item);
        out.insert("paths".into(), Value::Object(paths));
        if !components.is_empty() {
            out.insert("components".into(), Value::Object(components));
        }
        Some(Value::Object(out))
    }

    /// Follows one `$ref` inside this document.
    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        let mut v = v;
        for _ in 0..8 {
            match v
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.doc.pointer(p))
            {
                Some(next) => v = next,
                None => break,
            }
        }
        v
    }

    /// The help text for a template: each method with its summary,
    /// parameters and body fields.
    pub fn help(&self, template: &str, typed: &str) -> String {
        let mut s = String::new();
        let ops = self.operations_of(template);
        s.push_str(template);
        if typed.trim_matches('/') != template.trim_matches('/') {
            s.push_str(&format!("  (matched from {typed})"));
        }
        s.push('\n');
        for op in &ops {
            s.push('\n');
            s.push_str(&format!("{} {}", op.method, op.path));
            if !op.summary.is_empty() {
                s.push_str(&format!("  {}", op.summary));
            }
            s.push('\n');
            if let Some(id) = &op.operation_id {
                s.push_str(&format!("  operation id: {id}\n"));
            }
            let Some(v) = self.op_value(template, &op.method) else {
                continue;
            };
            let mut params: Vec<&Value> = Vec::new();
            if let Some(list) = self
                .doc
                .get("paths")
                .and_then(|p| p.get(template))
                .and_then(|i| i.get("parameters"))
                .and_then(Value::as_array)
            {
                params.extend(list.iter().map(|p| self.deref(p)));
            }
            if let Some(list) = v.get("parameters").and_then(Value::as_array) {
                params.extend(list.iter().map(|p| self.deref(p)));
            }
            for (place, title, how) in [
                ("path", "path parameters", ""),
                ("query", "query parameters", "  (name==value)"),
                ("header", "headers", "  (Name:value)"),
            ] {
                let these: Vec<&&Value> = params
                    .iter()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some(place))
                    .collect();
                if these.is_empty() {
                    continue;
                }
                s.push_str(&format!("  {title}:{how}\n"));
                for p in these {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
                    let ty = p
                        .get("schema")
                        .map(|sc| self.deref(sc))
                        .and_then(|sc| sc.get("type"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let req = p.get("required").and_then(Value::as_bool) == Some(true);
                    let mut line = format!("    {name}");
                    let mut tags: Vec<&str> = Vec::new();
                    if !ty.is_empty() {
                        tags.push(ty);
                    }
                    if req {
                        tags.push("required");
                    }
                    if name.eq_ignore_ascii_case("notion-version") {
                        tags.push("ntn sends it");
                    }
                    if !tags.is_empty() {
                        line.push_str(&format!(" ({})", tags.join(", ")));
                    }
                    if let Some(d) = p.get("description").and_then(Value::as_str) {
                        line.push_str(&format!("  {}", first_line(d)));
                    }
                    s.push_str(&line);
                    s.push('\n');
                }
            }
            if let Some(content) = v
                .get("requestBody")
                .map(|b| self.deref(b))
                .and_then(|b| b.get("content"))
                .and_then(Value::as_object)
            {
                for (ctype, media) in content {
                    let schema = media.get("schema").map(|sc| self.deref(sc));
                    let required: Vec<&str> = schema
                        .and_then(|sc| sc.get("required"))
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let how = if ctype.starts_with("multipart/") {
                        "  (--file PATH, field=value)"
                    } else {
                        "  (field=value, field:=json, -d JSON)"
                    };
                    s.push_str(&format!("  body ({ctype}):{how}\n"));
                    if let Some(props) = schema
                        .and_then(|sc| sc.get("properties"))
                        .and_then(Value::as_object)
                    {
                        for (name, prop) in props {
                            let prop = self.deref(prop);
                            let ty = prop.get("type").and_then(Value::as_str).unwrap_or("");
                            let mut tags: Vec<&str> = Vec::new();
                            if !ty.is_empty() {
                                tags.push(ty);
                            }
                            if required.contains(&name.as_str()) {
                                tags.push("required");
                            }
                            let mut line = format!("    {name}");
                            if !tags.is_empty() {
                                line.push_str(&format!(" ({})", tags.join(", ")));
                            }
                            if let Some(d) = prop.get("description").and_then(Value::as_str) {
                                line.push_str(&format!("  {}", first_line(d)));
                            }
                            s.push_str(&line);
                            s.push('\n');
                        }
                    }
                }
            }
        }
        let multi = ops.len() > 1;
        s.push_str(&format!(
            "\nMore: ntn api {} --spec{} (OpenAPI), --docs (documentation)\n",
            template.trim_start_matches('/'),
            if multi { " -X METHOD" } else { "" }
        ));
        s
    }
}

fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > 100 {
        let cut: String = line.chars().take(97).collect();
        format!("{cut}...")
    } else {
        line.to_string()
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(r) = x.as_str()
                {
                    out.push(r.to_string());
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

fn operation(path: &str, method: &str, op: &Value) -> Operation {
    let s = |k: &str| op.get(k).and_then(Value::as_str).map(str::to_string);
    Operation {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: s("summary").unwrap_or_default(),
        operation_id: s("operationId"),
        docs_ref: s("x-notion-docs-ref"),
    }
}

/// The operation for a path and an optional `-X`: several methods and no
/// `-X` is a usage error listing them.
pub fn pick_operation(
    spec: &Spec,
    typed: &str,
    method: Option<&str>,
    flag: &str,
) -> Result<Operation> {
    let template = spec.resolve(typed).ok_or_else(|| unknown_path(typed))?;
    let ops = spec.operations_of(&template);
    match method {
        Some(m) => ops
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(m))
            .cloned()
            .ok_or_else(|| {
                Error::usage(format!(
                    "{template} has no {} operation",
                    m.to_ascii_uppercase()
                ))
                .hint(format!("its methods: {}", methods(&ops)))
            }),
        // A path item without operations (found by fuzzing: it used to panic).
        None if ops.is_empty() => Err(unknown_path(typed)),
        None if ops.len() == 1 => Ok(ops[0].clone()),
        None => Err(Error::usage(format!(
            "{template} has several operations: {}",
            methods(&ops)
        ))
        .hint(format!(
            "pick one with -X, e.g. ntn api {} {flag} -X {}",
            typed.trim_start_matches('/'),
            ops[0].method
        ))),
    }
}

fn methods(ops: &[Operation]) -> String {
    ops.iter()
        .map(|o| o.method.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn unknown_path(typed: &str) -> Error {
    Error::usage(format!("no operation in the OpenAPI spec matches {typed}"))
        .hint("list the endpoints with `ntn api ls`")
}

/// The markdown docs URL of an operation.
pub fn docs_url(docs_base: &str, op: &Operation) -> Option<String> {
    if let Some(r) = &op.docs_ref {
        return Some(format!("{docs_base}/{}.md", r.trim_start_matches('/')));
    }
    op.operation_id
        .as_ref()
        .map(|id| format!("{docs_base}/reference/{id}.md"))
}

/// `ntn api ls --json` rows.
pub fn ls_json(ops: &[Operation]) -> Value {
    Value::Array(
        ops.iter()
            .map(|o| {
                json!({"method": o.method, "path": o.path, "summary": o.summary,
                       "operationId": o.operation_id})
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_under_the_home_the_config_directory_uses() {
        let profile = Vars::from_pairs([("USERPROFILE", "/profile")]);
        // Windows sets USERPROFILE and no HOME (this build's own platform
        // first: under Wine in scripts/test).
        if cfg!(windows) {
            assert_eq!(
                cache_dir(&profile),
                Some(PathBuf::from("/profile/.cache/notion"))
            );
        }
        assert_eq!(
            cache_dir_on(&profile, true),
            Some(PathBuf::from("/profile/.cache/notion"))
        );
        assert_eq!(cache_dir_on(&profile, false), None);
        let both = Vars::from_pairs([("USERPROFILE", "/profile"), ("HOME", "/home/ada")]);
        assert_eq!(
            cache_dir_on(&both, false),
            Some(PathBuf::from("/home/ada/.cache/notion"))
        );
        assert_eq!(
            cache_dir_on(&both, true),
            Some(PathBuf::from("/profile/.cache/notion"))
        );
        let notion = Vars::from_pairs([("NOTION_HOME", "/n"), ("HOME", "/home/ada")]);
        assert_eq!(cache_dir_on(&notion, true), Some(PathBuf::from("/n/cache")));
    }

    fn spec() -> Spec {
        Spec {
            doc: json!({
                "openapi": "3.1.0",
                "paths": {
                    "/v1/users/{user_id}": {"get": {"operationId": "get-user", "summary": "Retrieve a user"}},
                    "/v1/users/me": {"get": {"operationId": "get-self", "summary": "Me"}},
                    "/v1/pages/{page_id}": {
                        "get": {"operationId": "retrieve-a-page", "parameters": [{"$ref": "#/components/parameters/v"}]},
                        "patch": {"operationId": "patch-page", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/a"}}}}}
                    },
                    "/v1/pages/{page_id}/properties/{property_id}": {"get": {"operationId": "prop"}},
                },
                "components": {
                    "parameters": {"v": {"name": "Notion-Version", "in": "header"}},
                    "schemas": {"a": {"properties": {"b": {"$ref": "#/components/schemas/b"}}}, "b": {"type": "string"}, "unused": {}}
                }
            }),
        }
    }

    #[test]
    fn concrete_paths_resolve_to_templates_preferring_literals() {
        let s = spec();
        assert_eq!(s.resolve("v1/users/me").as_deref(), Some("/v1/users/me"));
        assert_eq!(
            s.resolve("/v1/users/abc").as_deref(),
            Some("/v1/users/{user_id}")
        );
        assert_eq!(
            s.resolve("v1/pages/abc?x=1").as_deref(),
            Some("/v1/pages/{page_id}")
        );
        assert_eq!(
            s.resolve("pages/abc").as_deref(),
            Some("/v1/pages/{page_id}")
        );
        assert_eq!(
            s.resolve("v1/pages/a/properties/b").as_deref(),
            Some("/v1/pages/{page_id}/properties/{property_id}")
        );
        assert_eq!(s.resolve("v1/nothing"), None);
        assert_eq!(
            s.resolve("v1/pages/{page_id}").as_deref(),
            Some("/v1/pages/{page_id}")
        );
    }

    #[test]
    fn fragments_include_referenced_components_only() {
        let s = spec();
        let f = s.fragment("/v1/pages/{page_id}", "PATCH").unwrap();
        assert!(f["paths"]["/v1/pages/{page_id}"]["patch"].is_object());
        assert!(f["paths"]["/v1/pages/{page_id}"].get("get").is_none());
        assert!(f["components"]["schemas"]["a"].is_object());
        assert!(f["components"]["schemas"]["b"].is_object());
        assert!(f["components"]["schemas"].get("unused").is_none());
        assert!(f["components"].get("parameters").is_none());
    }

    #[test]
    fn several_methods_need_x() {
        let s = spec();
        let e = pick_operation(&s, "v1/pages/x", None, "--spec").unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert!(e.message().contains("GET, PATCH"), "{}", e.message());
        assert_eq!(
            pick_operation(&s, "v1/pages/x", Some("patch"), "--spec")
                .unwrap()
                .operation_id
                .as_deref(),
            Some("patch-page")
        );
        assert_eq!(
            pick_operation(&s, "v1/pages/x", Some("DELETE"), "--spec")
                .unwrap_err()
                .exit_code()
                .code(),
            2
        );
    }

    #[test]
    fn docs_urls() {
        let mut op = operation("/v1/x", "get", &json!({"operationId": "get-x"}));
        assert_eq!(
            docs_url("http://d", &op).unwrap(),
            "http://d/reference/get-x.md"
        );
        op.docs_ref = Some("reference/x".into());
        assert_eq!(
            docs_url("http://d", &op).unwrap(),
            "http://d/reference/x.md"
        );
    }
}
