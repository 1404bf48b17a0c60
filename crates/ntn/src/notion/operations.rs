//! The public API's operations: which methods each path template takes.
//!
//! `ntn api` uses this to decide, before anything is sent, whether a request
//! takes a body (so stdin is read only when it is the body) and which method
//! to use when `-X` is not given. The facts come from Notion's API reference:
//! [`BUILT_IN`] is the OpenAPI spec's operations (version 2025-09-03), the
//! views endpoints of `@notionhq/client` 5.26, plus
//! the file-upload endpoints of the reference. When the spec is cached (after
//! `ntn api ls` or `--help`), [`spec`](super::spec) also caches its operations
//! next to it, and they win over the built-in table for the paths they list.
//!
//! Matching a concrete path to a template ([`match_template`]): segments in
//! braces match any non-empty segment, literal segments win over parameters
//! (`v1/users/me` is `/v1/users/me`, not `/v1/users/{user_id}`), and a path
//! without `v1/` is tried with it too.

use std::path::Path;

/// Methods whose requests carry a body.
pub const BODY_METHODS: &[&str] = &["POST", "PATCH", "PUT"];

/// Methods `ntn api` sends.
pub const METHODS: &[&str] = &["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"];

/// The built-in table: (method, path template).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("GET", "/v1/users/{user_id}"),
    ("GET", "/v1/users"),
    ("GET", "/v1/users/me"),
    ("POST", "/v1/search"),
    ("GET", "/v1/blocks/{block_id}/children"),
    ("PATCH", "/v1/blocks/{block_id}/children"),
    ("GET", "/v1/blocks/{block_id}"),
    ("PATCH", "/v1/blocks/{block_id}"),
    ("DELETE", "/v1/blocks/{block_id}"),
    ("GET", "/v1/pages/{page_id}"),
    ("PATCH", "/v1/pages/{page_id}"),
    ("POST", "/v1/pages"),
    ("GET", "/v1/pages/{page_id}/properties/{property_id}"),
    ("GET", "/v1/comments"),
    ("POST", "/v1/comments"),
    ("POST", "/v1/data_sources/{data_source_id}/query"),
    ("GET", "/v1/data_sources/{data_source_id}"),
    ("PATCH", "/v1/data_sources/{data_source_id}"),
    ("POST", "/v1/data_sources"),
    ("GET", "/v1/data_sources/{data_source_id}/templates"),
    ("GET", "/v1/databases/{database_id}"),
    ("POST", "/v1/pages/{page_id}/move"),
    ("GET", "/v1/pages/{page_id}/markdown"),
    ("PATCH", "/v1/pages/{page_id}/markdown"),
    // Views (`@notionhq/client` 5.26, `views.d.ts`).
    ("GET", "/v1/views"),
    ("POST", "/v1/views"),
    ("GET", "/v1/views/{view_id}"),
    ("PATCH", "/v1/views/{view_id}"),
    ("DELETE", "/v1/views/{view_id}"),
    ("POST", "/v1/views/{view_id}/queries"),
    ("GET", "/v1/views/{view_id}/queries/{query_id}"),
    ("DELETE", "/v1/views/{view_id}/queries/{query_id}"),
    // File uploads (API reference, "File uploads").
    ("POST", "/v1/file_uploads"),
    ("GET", "/v1/file_uploads"),
    ("GET", "/v1/file_uploads/{file_upload_id}"),
    ("POST", "/v1/file_uploads/{file_upload_id}/send"),
    ("POST", "/v1/file_uploads/{file_upload_id}/complete"),
];

/// The operations ntn knows: (method, template), upper-case methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operations {
    ops: Vec<(String, String)>,
}

/// The methods of one template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub template: String,
    pub methods: Vec<String>,
}

impl Endpoint {
    /// Whether every method of the endpoint takes a body (a search, a query).
    pub fn only_body_methods(&self) -> bool {
        !self.methods.is_empty()
            && self
                .methods
                .iter()
                .all(|m| BODY_METHODS.contains(&m.as_str()))
    }

    /// The one method with a body, when there is exactly one.
    pub fn body_method(&self) -> Option<&str> {
        let mut with_body = self
            .methods
            .iter()
            .filter(|m| BODY_METHODS.contains(&m.as_str()));
        match (with_body.next(), with_body.next()) {
            (Some(m), None) => Some(m),
            _ => None,
        }
    }

    pub fn has(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
    }
}

impl Operations {
    /// The built-in table.
    pub fn built_in() -> Operations {
        Operations {
            ops: BUILT_IN
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string()))
                .collect(),
        }
    }

    /// The built-in table refreshed from operations cached with the spec
    /// (`index`, see [`Operations::to_index`]): the cached methods of a
    /// template replace the built-in ones; new templates are added.
    pub fn refreshed(index: &[(String, String)]) -> Operations {
        let mut ops = Operations::built_in().ops;
        ops.retain(|(_, t)| !index.iter().any(|(_, it)| it == t));
        for (m, t) in index {
            let m = m.to_ascii_uppercase();
            if METHODS.contains(&m.as_str()) && t.starts_with('/') {
                ops.push((m, t.clone()));
            }
        }
        Operations { ops }
    }

    /// The built-in table, refreshed from the index cached at `path` when it
    /// can be read.
    pub fn load(path: Option<&Path>) -> Operations {
        let index = path
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<Vec<(String, String)>>(&b).ok());
        match index {
            Some(index) if !index.is_empty() => Operations::refreshed(&index),
            _ => Operations::built_in(),
        }
    }

    /// The (method, template) pairs, for caching.
    pub fn to_index(&self) -> Vec<(String, String)> {
        self.ops.clone()
    }

    /// The endpoint a concrete path (no query) belongs to.
    pub fn endpoint(&self, path: &str) -> Option<Endpoint> {
        let mut templates: Vec<&str> = Vec::new();
        for (_, t) in &self.ops {
            if !templates.contains(&t.as_str()) {
                templates.push(t);
            }
        }
        let template = match_template(templates.iter().copied(), path)?;
        let methods = self
            .ops
            .iter()
            .filter(|(_, t)| *t == template)
            .map(|(m, _)| m.clone())
            .collect();
        Some(Endpoint { template, methods })
    }
}

/// The template a concrete path resolves to: `v1/pages/abc` →
/// `/v1/pages/{page_id}`. Literal segments win over parameters; a path
/// without `v1/` is tried with it too. Query and fragment are ignored.
pub fn match_template<'a>(
    templates: impl Iterator<Item = &'a str> + Clone,
    path: &str,
) -> Option<String> {
    let clean = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_matches('/')
        .to_string();
    let best = |p: &str| -> Option<String> {
        let segs: Vec<&str> = p.split('/').collect();
        let mut best: Option<(Vec<bool>, &str)> = None;
        for t in templates.clone() {
            let tsegs: Vec<&str> = t.trim_matches('/').split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut score = Vec::with_capacity(segs.len());
            let mut ok = true;
            for (ts, s) in tsegs.iter().zip(&segs) {
                if ts.starts_with('{') && ts.ends_with('}') {
                    if s.is_empty() {
                        ok = false;
                        break;
                    }
                    score.push(false);
                } else if ts == s {
                    score.push(true);
                } else {
                    ok = false;
                    break;
                }
            }
            if ok && best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, t));
            }
        }
        best.map(|(_, t)| t.to_string())
    };
    best(&clean).or_else(|| {
        (!clean.starts_with("v1/") && !clean.is_empty())
            .then(|| best(&format!("v1/{clean}")))
            .flatten()
    })
}

/// Completions of a partly typed path (for shell completion): the next
/// segment of every template the typed segments match, ending with `/` when
/// the template goes on. A `{parameter}` is never offered: the person types
/// the id, and the segments after it complete once it is there.
pub fn complete_path<'a>(templates: impl Iterator<Item = &'a str>, word: &str) -> Vec<String> {
    let lead = if word.starts_with('/') { "/" } else { "" };
    let typed = word.trim_start_matches('/');
    let (done, partial) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let done_segs: Vec<&str> = done.split('/').filter(|s| !s.is_empty()).collect();
    let is_param = |s: &str| s.starts_with('{') && s.ends_with('}');
    let mut out: Vec<String> = Vec::new();
    for t in templates {
        let tsegs: Vec<&str> = t.trim_matches('/').split('/').collect();
        if tsegs.len() <= done_segs.len() || done.contains("//") {
            continue;
        }
        let matches = tsegs
            .iter()
            .zip(&done_segs)
            .all(|(ts, s)| if is_param(ts) { !s.is_empty() } else { ts == s });
        let next = tsegs[done_segs.len()];
        if !matches || is_param(next) || !next.starts_with(partial) {
            continue;
        }
        let more = if tsegs.len() > done_segs.len() + 1 {
            "/"
        } else {
            ""
        };
        let candidate = format!("{lead}{done}{next}{more}");
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_know_their_methods() {
        let ops = Operations::built_in();
        let q = ops.endpoint("v1/data_sources/abc/query").unwrap();
        assert_eq!(q.template, "/v1/data_sources/{data_source_id}/query");
        assert!(q.only_body_methods());
        assert_eq!(q.body_method(), Some("POST"));
        let me = ops.endpoint("/v1/users/me").unwrap();
        assert_eq!(me.template, "/v1/users/me");
        assert_eq!(me.methods, ["GET"]);
        let page = ops.endpoint("pages/p1").unwrap();
        assert_eq!(page.methods, ["GET", "PATCH"]);
        assert!(!page.only_body_methods());
        assert_eq!(page.body_method(), Some("PATCH"));
        let comments = ops.endpoint("v1/comments").unwrap();
        assert_eq!(comments.body_method(), Some("POST"));
        assert!(ops.endpoint("v1/nothing/here").is_none());
        assert!(ops.endpoint("v1/pages//move").is_none());
    }

    fn complete(word: &str) -> Vec<String> {
        let ops = Operations::built_in();
        let templates: Vec<String> = ops.to_index().into_iter().map(|(_, t)| t).collect();
        complete_path(templates.iter().map(String::as_str), word)
    }

    #[test]
    fn paths_complete_segment_by_segment_without_placeholders() {
        assert_eq!(complete(""), ["v1/"]);
        assert_eq!(complete("v1/us"), ["v1/users", "v1/users/"]);
        assert_eq!(complete("v1/users/"), ["v1/users/me"]);
        assert_eq!(complete("v1/pages/"), Vec::<String>::new());
        assert_eq!(
            complete("v1/pages/abc/"),
            [
                "v1/pages/abc/markdown",
                "v1/pages/abc/move",
                "v1/pages/abc/properties/"
            ]
        );
        assert_eq!(complete("/v1/sea"), ["/v1/search"]);
        assert!(complete("v1/pages//").is_empty());
        for w in ["v1/", "v1/pages/x/", "v1/data_sources/y/", "v1/blocks/"] {
            assert!(complete(w).iter().all(|c| !c.contains('{')), "{w}");
        }
    }

    #[test]
    fn the_cached_operations_win() {
        let ops = Operations::refreshed(&[
            ("get".into(), "/v1/search".into()),
            ("post".into(), "/v1/search".into()),
            ("POST".into(), "/v1/views".into()),
            ("BREW".into(), "/v1/coffee".into()),
        ]);
        assert_eq!(ops.endpoint("v1/search").unwrap().methods, ["GET", "POST"]);
        assert!(ops.endpoint("v1/views").unwrap().only_body_methods());
        assert!(ops.endpoint("v1/coffee").is_none());
        assert_eq!(ops.endpoint("v1/users/me").unwrap().methods, ["GET"]);
    }

    /// The table holds exactly the operations of Notion's spec (where the
    /// spec is on this machine), plus the file-upload endpoints.
    #[test]
    fn the_table_matches_notions_spec() {
        let file = "/work/shared/data/notion-openapi.json";
        let Ok(bytes) = std::fs::read(file) else {
            eprintln!("skipping: {file} is not on this machine");
            return;
        };
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut from_spec: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let m = method.to_ascii_uppercase();
                if METHODS.contains(&m.as_str()) {
                    from_spec.push((m, path.clone()));
                }
            }
        }
        let table: Vec<(String, String)> = BUILT_IN
            .iter()
            // Not in the spec: the reference's file uploads, the SDK's views.
            .filter(|(_, p)| !p.starts_with("/v1/file_uploads") && !p.starts_with("/v1/views"))
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        let mut a = from_spec.clone();
        let mut b = table.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}
