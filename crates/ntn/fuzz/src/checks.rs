//! The properties checked by the fuzz targets (`crates/ntn/fuzz/fuzz_targets`)
//! and, on stable, by the proptest versions in `crates/ntn/tests/hardening_props.rs`
//! (which include this file with `#[path]`), so both check exactly the same thing.
//!
//! Every check panics when a property does not hold; a panic inside ntn's own
//! code is a failure too. Properties:
//!
//! * inline inputs of `ntn api` (`commands::api::inputs`): parsing never
//!   panics; errors are usage errors (exit 2) that quote the input; a parsed
//!   input written back in canonical form parses to the same thing; a body
//!   built by `parse_all` holds every body input's value at its path and
//!   survives a JSON round trip;
//! * state files (`config.json`, `workspaces.json`, `auth.json`,
//!   `pending-login.json`): reading arbitrary bytes through ntn's own readers
//!   never panics, never changes the file, and either fails with exit 1 naming
//!   the file, or gives a value that survives ntn's own write and read back;
//! * the OpenAPI path matcher (`commands::api::spec::Spec`): never panics;
//!   the template it returns exists and matches the path segment by segment;
//!   a path built from a template resolves to a template at least as specific;
//! * URL and path handling of `ntn api` (`notion::request`, `http::redirect`,
//!   `notion::operations`): never panics on any text (multi-byte characters
//!   included); a URL it accepts is under the API base, parses as a URI and
//!   holds no whitespace or control character; a header it accepts cannot
//!   split a request; a resolved redirect is http(s); path completions never
//!   hold a `{placeholder}` and extend what was typed.

#![allow(dead_code)]

use std::path::Path;

use ntn::auth::pending::PendingLogin;
use ntn::commands::api::inputs::{self, Input, Seg};
use ntn::notion::spec::Spec;
use ntn::secrets::FileStore;
use ntn::state::{Config, ConfigDir, DirRule, State, Workspaces, files};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// Inline inputs

/// Escapes a name part so that `inputs::parse` reads it back literally.
fn escape_name(s: &str, out: &mut String) {
    for c in s.chars() {
        if matches!(c, '\\' | '=' | ':' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The canonical text of a body path: `a[b][0][]`, escaped.
pub fn canonical_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Key(k) if i == 0 => escape_name(k, &mut s),
            Seg::Key(k) => {
                s.push('[');
                // An all-digit key must not be read as an index.
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
                    s.push('\\');
                }
                escape_name(k, &mut s);
                s.push(']');
            }
            Seg::Index(n) => s.push_str(&format!("[{n}]")),
            Seg::Append => s.push_str("[]"),
        }
    }
    s
}

/// The canonical text of a parsed input.
pub fn canonical_input(input: &Input) -> String {
    match input {
        Input::Json { path, value } => format!("{}:={value}", canonical_path(path)),
        Input::Text { path, value } => format!("{}={value}", canonical_path(path)),
        Input::Query { name, value } => {
            let mut s = String::new();
            escape_name(name, &mut s);
            format!("{s}=={value}")
        }
        // The space keeps a value starting with `=` from reading as `:=`.
        Input::Header { name, value } => format!("{name}: {value}"),
    }
}

/// The value at a body path, if there is one.
fn get_path<'a>(root: &'a Map<String, Value>, path: &[Seg], appended: usize) -> Option<&'a Value> {
    let Some(Seg::Key(first)) = path.first() else {
        return None;
    };
    let mut cur = root.get(first)?;
    for seg in &path[1..] {
        cur = match seg {
            Seg::Key(k) => cur.as_object()?.get(k)?,
            Seg::Index(n) => cur.as_array()?.get(*n)?,
            // `a[]` appends: the value is the last element (of this input).
            Seg::Append => {
                let list = cur.as_array()?;
                list.get(list.len().checked_sub(1 + appended)?)?
            }
        };
    }
    Some(cur)
}

/// One inline input: see the module docs.
pub fn check_inline_input(raw: &str) {
    match inputs::parse(raw) {
        Err(e) => {
            assert_eq!(e.exit_code().code(), 2, "{raw:?}: {}", e.message());
            assert!(
                e.message().contains(&format!("{raw:?}")) || e.message().contains("nest"),
                "the error must quote the input {raw:?}: {}",
                e.message()
            );
        }
        Ok(parsed) => {
            match &parsed {
                Input::Json { path, .. } | Input::Text { path, .. } => {
                    assert!(
                        matches!(path.first(), Some(Seg::Key(k)) if !k.is_empty()),
                        "{raw:?}: a body path starts with a name: {path:?}"
                    );
                }
                Input::Header { name, value } => {
                    assert!(!name.is_empty(), "{raw:?}");
                    assert!(
                        !value.contains(['\r', '\n', '\0']),
                        "{raw:?}: header values never hold line breaks"
                    );
                }
                Input::Query { name, .. } => assert!(!name.is_empty(), "{raw:?}"),
            }
            let canon = canonical_input(&parsed);
            let again = inputs::parse(&canon).unwrap_or_else(|e| {
                panic!(
                    "{raw:?} parsed to {parsed:?} but its canonical form {canon:?} fails: {}",
                    e.message()
                )
            });
            assert_eq!(again, parsed, "{raw:?} vs canonical {canon:?}");
            // parse_all of one input agrees with parse.
            let all = inputs::parse_all(&[raw.to_string()]);
            match (&parsed, all) {
                (Input::Json { path, value }, Ok(all)) => {
                    let body = all.body.expect("a body input makes a body");
                    assert_eq!(get_path(&body, path, 0), Some(value), "{raw:?}");
                }
                (Input::Text { path, value }, Ok(all)) => {
                    let body = all.body.expect("a body input makes a body");
                    assert_eq!(
                        get_path(&body, path, 0),
                        Some(&Value::String(value.clone())),
                        "{raw:?}"
                    );
                }
                (Input::Query { name, value }, Ok(all)) => {
                    assert_eq!(all.query, vec![(name.clone(), value.clone())]);
                    assert!(all.body.is_none() && all.headers.is_empty());
                }
                (Input::Header { name, value }, Ok(all)) => {
                    assert_eq!(all.headers, vec![(name.clone(), value.clone())]);
                    assert!(all.body.is_none() && all.query.is_empty());
                }
                // A single body input can still be refused by the body
                // builder (an index that skips items: a[3]=x).
                (_, Err(e)) => assert_eq!(e.exit_code().code(), 2, "{raw:?}"),
            }
        }
    }
}

/// A list of inline inputs: never panics; a built body is valid JSON that
/// round-trips, and each body input that came last for its path is there.
pub fn check_inline_inputs(raw: &[String]) {
    for r in raw {
        check_inline_input(r);
    }
    match inputs::parse_all(raw) {
        Err(e) => assert_eq!(e.exit_code().code(), 2, "{raw:?}: {}", e.message()),
        Ok(all) => {
            let parsed: Vec<Input> = raw
                .iter()
                .map(|r| inputs::parse(r).expect("parse_all succeeded, so each input parses"))
                .collect();
            let n_query = parsed
                .iter()
                .filter(|p| matches!(p, Input::Query { .. }))
                .count();
            let n_header = parsed
                .iter()
                .filter(|p| matches!(p, Input::Header { .. }))
                .count();
            assert_eq!(all.query.len(), n_query, "{raw:?}");
            assert_eq!(all.headers.len(), n_header, "{raw:?}");
            assert_eq!(
                all.body.is_some(),
                parsed.iter().any(Input::is_body),
                "{raw:?}"
            );
            if let Some(body) = &all.body {
                let text = serde_json::to_string(body).expect("a body serialises");
                // serde_json (like most JSON readers) refuses more than 128
                // levels; the field paths are bounded so that only a deep
                // `:=` value can get near that.
                if depth(&Value::Object(body.clone())) <= 120 {
                    let back: Map<String, Value> =
                        serde_json::from_str(&text).expect("a serialised body parses");
                    assert_eq!(&back, body, "{raw:?}");
                }
                for p in &parsed {
                    if let Input::Json { path, .. } | Input::Text { path, .. } = p {
                        assert!(
                            path.len() <= 64,
                            "{raw:?}: a path {} levels deep",
                            path.len()
                        );
                    }
                }
                // A body input without `[]` is found at its path (a later
                // input cannot overwrite it: that is a conflict error).
                for p in &parsed {
                    let (path, want) = match p {
                        Input::Json { path, value } => (path, value.clone()),
                        Input::Text { path, value } => (path, Value::String(value.clone())),
                        _ => continue,
                    };
                    if path.contains(&Seg::Append) || want.is_null() {
                        continue;
                    }
                    // Containers may have been merged into: compare leaves only.
                    if want.is_object() || want.is_array() {
                        continue;
                    }
                    assert_eq!(get_path(body, path, 0), Some(&want), "{raw:?}: {p:?}");
                }
            }
        }
    }
}

/// What the `inline_inputs` fuzz target does with its bytes: one input per
/// line (lossy UTF-8), each alone and all together.
pub fn check_inline_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let list: Vec<String> = text.split('\n').map(str::to_string).collect();
    check_inline_inputs(&list);
}

/// Nesting depth of a JSON value (a scalar is 0).
pub fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

// ---------------------------------------------------------------------------
// State files

/// The state files and how ntn reads them.
pub const STATE_FILES: &[&str] = &[
    "config.json",
    "workspaces.json",
    "auth.json",
    "pending-login.json",
];

fn state_in(dir: &Path) -> State {
    State::with_dir(ConfigDir {
        path: dir.to_path_buf(),
        rule: DirRule::NotionHome,
    })
}

fn assert_named_local(e: &ntn::Error, path: &Path) {
    assert_eq!(e.exit_code().code(), 1, "{}", e.message());
    assert!(
        e.message().contains(&path.display().to_string()),
        "the error must name {}: {}",
        path.display(),
        e.message()
    );
}

/// Reads `path` as `T` with ntn's reader; when it parses, writes it back with
/// ntn's writer to a second file and reads that back: the same value.
fn read_round_trip<T>(path: &Path, scratch: &Path)
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    match files::read_json::<T>(path) {
        Err(e) => assert_named_local(&e, path),
        Ok(None) => panic!("{} exists, yet was read as missing", path.display()),
        Ok(Some(v)) => {
            files::write_json(scratch, &v).expect("write back");
            let back: T = files::read_json(scratch)
                .expect("ntn reads what it wrote")
                .expect("the file was written");
            assert_eq!(back, v, "{} does not survive a rewrite", path.display());
        }
    }
}

/// Arbitrary bytes as each state file, read with ntn's own readers, in `dir`
/// (a fresh, empty directory).
pub fn check_state_bytes(dir: &Path, bytes: &[u8]) {
    let state = state_in(dir);
    let scratch = dir.join("scratch.json");
    for name in STATE_FILES {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        match *name {
            "config.json" => {
                read_round_trip::<Config>(&path, &scratch);
                // The accessor commands use agrees with the reader.
                match state.config() {
                    Ok(_) => assert!(files::read_json::<Config>(&path).is_ok()),
                    Err(e) => assert_named_local(&e, &path),
                }
            }
            "workspaces.json" => {
                read_round_trip::<Workspaces>(&path, &scratch);
                match state.workspaces() {
                    Ok(w) => {
                        // Every listed entry can be looked up.
                        use ntn::env::EnvName;
                        for env in [EnvName::Local, EnvName::Dev, EnvName::Stg, EnvName::Prod] {
                            for entry in w.list(env) {
                                // Listed under its key, which may differ from its "id".
                                let _ = w.get(env, &entry.id);
                            }
                        }
                    }
                    Err(e) => assert_named_local(&e, &path),
                }
            }
            "auth.json" => {
                read_round_trip::<Value>(&path, &scratch);
                let store = FileStore::new(&state);
                match store.read_all() {
                    Ok(map) => {
                        let valid = store.validate();
                        for (id, v) in &map {
                            use ntn::secrets::SecretStore;
                            // A production key is the map's key as it is.
                            match store.get(&ntn::secrets::TokenKey::prod(id)) {
                                Ok(Some(t)) => {
                                    assert_eq!(Some(t.expose()), v.as_str().map(str::trim));
                                    // Never printable by accident.
                                    assert!(
                                        t.expose().is_empty()
                                            || !format!("{t:?}{t}").contains(t.expose())
                                            || "[redacted]Token()".contains(t.expose())
                                    );
                                }
                                Ok(None) => {
                                    assert!(v.as_str().is_some_and(|s| s.trim().is_empty()))
                                }
                                Err(e) => {
                                    assert_named_local(&e, &path);
                                    // A null token is corrupt for the one
                                    // asked for only (others keep theirs).
                                    assert!(
                                        valid.is_err() || v.is_null(),
                                        "get fails but validate passes"
                                    );
                                }
                            }
                        }
                    }
                    Err(e) => assert_named_local(&e, &path),
                }
            }
            "pending-login.json" => {
                match files::read_json::<PendingLogin>(&path) {
                    Err(e) => assert_named_local(&e, &path),
                    Ok(None) => panic!("exists, yet missing"),
                    Ok(Some(p)) => {
                        // Debug output never shows the session id.
                        if p.session_id.len() >= 4 {
                            assert!(
                                !format!("{p:?}")
                                    .contains(&format!("\"{}\"", p.session_id.escape_debug()))
                            );
                        }
                        let _ = (p.is_expired(0), p.remaining_ms(u64::MAX), p.env_name());
                        files::write_json(&scratch, &p).expect("write back");
                        let back: PendingLogin = files::read_json(&scratch).unwrap().unwrap();
                        assert!(back == p, "pending-login.json does not survive a rewrite");
                    }
                }
                match ntn::auth::pending::load(&state) {
                    Ok(_) => {}
                    Err(e) => assert_named_local(&e, &path),
                }
            }
            _ => unreachable!(),
        }
        // Reading never changes the file.
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{name} changed by a read"
        );
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_file(&scratch);
    }
}

// ---------------------------------------------------------------------------
// OpenAPI path matcher

/// A small spec in the shape of Notion's.
pub fn sample_spec() -> Value {
    let op = |id: &str| json!({"summary": id, "operationId": id});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/users": {"get": op("list-users")},
            "/v1/users/me": {"get": op("get-self")},
            "/v1/users/{user_id}": {"get": op("get-user")},
            "/v1/pages": {"post": op("post-page")},
            "/v1/pages/{page_id}": {
                "parameters": [{"$ref": "#/components/parameters/page_id"}],
                "get": op("retrieve-a-page"),
                "patch": {"operationId": "patch-page",
                          "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}
            },
            "/v1/pages/{page_id}/properties/{property_id}": {"get": op("retrieve-a-page-property")},
            "/v1/blocks/{block_id}/children": {"get": op("get-block-children"), "patch": op("patch-block-children")},
            "/v1/data_sources/{data_source_id}/query": {"post": op("query-a-data-source")},
            "/v1/file_uploads/{file_upload_id}/send": {"post": op("send-a-file-upload")},
            "/v1/search": {"post": op("post-search")}
        },
        "components": {
            "parameters": {"page_id": {"name": "page_id", "in": "path", "required": true, "schema": {"type": "string"}}},
            "schemas": {"Page": {"type": "object", "properties": {"parent": {"$ref": "#/components/schemas/Page"}}}}
        }
    })
}

fn is_param(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

/// Whether `template` matches the cleaned concrete path `p` (with or without `v1/`).
fn template_matches(template: &str, p: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let s: Vec<&str> = p.split('/').collect();
    t.len() == s.len()
        && t.iter()
            .zip(&s)
            .all(|(t, s)| if is_param(t) { !s.is_empty() } else { t == s })
}

fn clean(path: &str) -> String {
    path.split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_matches('/')
        .to_string()
}

/// `path` against `doc`: see the module docs.
pub fn check_spec_match(doc: Value, path: &str) {
    let spec = Spec { doc };
    let templates = spec.templates();
    let ops = spec.operations();
    for op in &ops {
        assert!(templates.contains(&op.path));
    }
    match spec.resolve(path) {
        None => {
            // Nothing matches, with or without `v1/`.
            let c = clean(path);
            for t in &templates {
                assert!(
                    !template_matches(t, &c),
                    "{path:?} matches {t:?} but resolve found nothing"
                );
            }
        }
        Some(t) => {
            assert!(templates.contains(&t), "{t:?} is not in the spec");
            let c = clean(path);
            let direct = template_matches(&t, &c);
            assert!(
                direct || template_matches(&t, &format!("v1/{c}")),
                "{path:?} resolved to {t:?}, which does not match it"
            );
            // Literal segments win: no other matching template has a literal
            // where the chosen one has a parameter, at the first difference.
            let target = if direct { c.clone() } else { format!("v1/{c}") };
            let score = |tpl: &str| -> Vec<bool> {
                tpl.trim_matches('/')
                    .split('/')
                    .map(|s| !is_param(s))
                    .collect()
            };
            for other in &templates {
                if template_matches(other, &target) {
                    assert!(
                        score(other) <= score(&t),
                        "{path:?}: {other:?} is more specific than the chosen {t:?}"
                    );
                }
            }
            for op in spec.operations_of(&t) {
                let frag = spec.fragment(&t, &op.method).expect("the operation exists");
                assert!(frag["paths"][t.as_str()].is_object());
                let _ = ntn::notion::spec::docs_url("http://x", &op);
            }
            let help = spec.help(&t, path);
            assert!(help.starts_with(t.as_str()));
            let _ = ntn::notion::spec::pick_operation(&spec, path, None, "--spec");
            let _ = ntn::notion::spec::pick_operation(&spec, path, Some("GET"), "--spec");
        }
    }
    let _ = ntn::notion::spec::ls_json(&ops);
}

/// Builds a concrete path from a template of `doc` by putting `values` in
/// its parameters; it must resolve to a template at least as specific.
pub fn check_template_instance(doc: &Value, template_index: usize, values: &[String]) {
    let spec = Spec { doc: doc.clone() };
    let templates = spec.templates();
    if templates.is_empty() {
        return;
    }
    let t = &templates[template_index % templates.len()];
    let mut vi = 0;
    let concrete: Vec<String> = t
        .trim_matches('/')
        .split('/')
        .map(|s| {
            if is_param(s) {
                let v = values
                    .get(vi)
                    .cloned()
                    .filter(|v| !v.is_empty() && !v.contains(['/', '?', '#']))
                    .unwrap_or_else(|| "x".into());
                vi += 1;
                v
            } else {
                s.to_string()
            }
        })
        .collect();
    let path = concrete.join("/");
    if !template_matches(t, &clean(&path)) {
        return; // a template with empty segments (`/v1//x`) cannot be reached
    }
    let got = spec
        .resolve(&path)
        .unwrap_or_else(|| panic!("{path:?} (from {t:?}) resolves to nothing"));
    assert!(template_matches(&got, &clean(&path)), "{path:?} -> {got:?}");
    check_spec_match(doc.clone(), &path);
    check_spec_match(doc.clone(), &format!("/{path}?a=b#c"));
}

/// Splits fuzz bytes into (path, spec): the first line is the path; the rest
/// is the spec when it is JSON, else the sample spec.
pub fn check_spec_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (path, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let doc = serde_json::from_str::<Value>(rest).unwrap_or_else(|_| sample_spec());
    check_spec_match(doc, path);
}

// ---------------------------------------------------------------------------
// URLs and paths of `ntn api`

const BASES: &[&str] = &[
    "https://api.notion.com",
    "http://127.0.0.1:3000",
    "http://localhost:8080/base",
];

/// Every property of URL and path handling for one typed text.
pub fn check_url_text(typed: &str, other: &str) {
    use ntn::http::redirect;
    use ntn::notion::operations::{self, Operations};
    use ntn::notion::request;
    for base in BASES {
        match request::build_url(base, typed) {
            Ok(url) => {
                assert!(url.starts_with(base), "{url:?} is not under {base}");
                let rest = &url[base.len()..];
                assert!(
                    rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'),
                    "{url:?}: {rest:?} does not continue the base"
                );
                assert!(
                    !url.chars().any(|c| c.is_whitespace() || c.is_control()),
                    "{url:?} holds whitespace or a control character"
                );
                assert!(url.is_ascii(), "{url:?} is not ASCII");
                assert!(
                    ntn::http::is_loopback_url(&url) == ntn::http::is_loopback_url(base),
                    "{url:?} changed host"
                );
            }
            Err(e) => assert_eq!(e.exit_code().code(), 2, "{typed:?}: {}", e.message()),
        }
        let _ = request::add_query(base, &[(typed.to_string(), other.to_string())]);
        // Redirect targets: always http(s), and the origin rule is symmetric.
        if let Some(next) = redirect::resolve(&format!("{base}/v1/x"), typed) {
            let lower = next.to_ascii_lowercase();
            assert!(
                lower.starts_with("http://") || lower.starts_with("https://"),
                "{next:?}"
            );
        }
        assert_eq!(
            redirect::same_origin(base, typed),
            redirect::same_origin(typed, base)
        );
    }
    let _ = redirect::origin(typed);
    match request::check_header(typed, other) {
        Ok(()) => assert!(
            !other.contains('\r') && !other.contains('\n') && !typed.contains(':'),
            "{typed:?}: {other:?} accepted"
        ),
        Err(e) => assert_eq!(e.exit_code().code(), 2),
    }
    if let Ok(m) = request::check_method(typed) {
        assert!(operations::METHODS.contains(&m.as_str()), "{m}");
    }
    let ops = Operations::built_in();
    if let Some(e) = ops.endpoint(typed) {
        assert!(!e.methods.is_empty());
        assert!(e.template.starts_with('/'));
    }
    let templates: Vec<String> = ops.to_index().into_iter().map(|(_, t)| t).collect();
    let typed_clean = typed.trim_start_matches('/');
    let done = typed_clean.rfind('/').map_or("", |i| &typed_clean[..=i]);
    for c in operations::complete_path(templates.iter().map(String::as_str), typed) {
        assert!(!c.contains('{'), "{c:?} holds a placeholder");
        assert!(
            c.trim_start_matches('/').starts_with(done),
            "{c:?} does not extend {typed:?}"
        );
    }
}

/// Fuzz bytes as two texts: the typed text (first line) and another (the
/// rest: a header value, a query value).
pub fn check_url_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (typed, other) = text.split_once('\n').unwrap_or((&text, ""));
    check_url_text(typed, other);
}
