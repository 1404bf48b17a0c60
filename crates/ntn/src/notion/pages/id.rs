//! Page ids as people give them: 32 hex digits with or without dashes, or a Notion URL
//! (`https://www.notion.so/Title-<id>`, `…/workspace/<id>?pvs=4`, `…?p=<id>` for a page
//! opened as a peek, `https://x.notion.site/…`); and parents as `page:ID`,
//! `data-source:ID`, `database:ID`, `workspace` or an id or URL of either kind.

use crate::error::{Error, Result};

/// The dashed, lowercase form of a 32-hex-digit id (dashes anywhere are ignored).
pub fn normalize(raw: &str) -> Option<String> {
    let hex: String = raw.trim().chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// The id in a Notion URL: a `p=` query parameter (peek view), else the last 32 hex
/// digits of the path's last segment.
fn from_url(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host_path, query) = match rest.split_once('?') {
        Some((hp, q)) => (hp, q.split('#').next().unwrap_or("")),
        None => (rest.split('#').next().unwrap_or(rest), ""),
    };
    let host = host_path
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let notion_host = host == "notion.so"
        || host.ends_with(".notion.so")
        || host.ends_with(".notion.site")
        || host == "notion.site";
    if !notion_host {
        return None;
    }
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("p=")
            && let Some(id) = normalize(v)
        {
            return Some(id);
        }
    }
    let last = host_path.trim_end_matches('/').rsplit('/').next()?;
    if let Some(id) = normalize(last) {
        return Some(id);
    }
    let tail = last.rsplit('-').next()?;
    normalize(tail)
}

/// A page (or block) id from an id or a URL; a usage error otherwise.
pub fn parse(input: &str) -> Result<String> {
    let s = input.trim();
    let found = if s.contains("://") || s.starts_with("notion.so") || s.starts_with("www.notion.so")
    {
        from_url(s)
    } else {
        normalize(s)
    };
    found.ok_or_else(|| {
        Error::usage(format!(
            "{:?} is not a page id or a Notion page URL",
            crate::output::text::clean(s)
        ))
        .hint("ids are 32 hex digits (with or without dashes); URLs look like https://www.notion.so/Title-<id>")
    })
}

/// Where a page goes (`--parent`, `--to`, a frontmatter `parent:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParentSpec {
    Page(String),
    DataSource(String),
    Database(String),
    Workspace,
    /// An id or URL that could be a page or a database: resolved by asking.
    Either(String),
}

impl ParentSpec {
    /// `page:ID`, `data-source:ID` (also `data_source:` and `ds:`), `database:ID` (also
    /// `db:`), `workspace`, or an id or URL.
    pub fn parse(input: &str) -> Result<ParentSpec> {
        let s = input.trim();
        if s.eq_ignore_ascii_case("workspace") {
            return Ok(ParentSpec::Workspace);
        }
        if let Some((kind, rest)) = s.split_once(':')
            && !rest.starts_with("//")
        {
            let id = parse(rest).map_err(|_| bad_parent(s))?;
            return match kind.to_ascii_lowercase().as_str() {
                "page" => Ok(ParentSpec::Page(id)),
                "data-source" | "data_source" | "datasource" | "ds" => {
                    Ok(ParentSpec::DataSource(id))
                }
                "database" | "db" => Ok(ParentSpec::Database(id)),
                _ => Err(bad_parent(s)),
            };
        }
        parse(s).map(ParentSpec::Either).map_err(|_| bad_parent(s))
    }

    /// The way `get` writes a parent (`page:ID`, `data-source:ID`, …), from the page
    /// object's `parent`.
    pub fn describe(parent: &serde_json::Value) -> String {
        let field = |k: &str| parent[k].as_str().unwrap_or("").to_string();
        match parent["type"].as_str() {
            Some("page_id") => format!("page:{}", field("page_id")),
            Some("data_source_id") => format!("data-source:{}", field("data_source_id")),
            Some("database_id") => format!("database:{}", field("database_id")),
            Some("block_id") => format!("block:{}", field("block_id")),
            Some("workspace") => "workspace".into(),
            _ => String::new(),
        }
    }
}

fn bad_parent(s: &str) -> Error {
    Error::usage(format!(
        "{:?} is not a parent",
        crate::output::text::clean(s)
    ))
    .hint("use page:ID, data-source:ID, database:ID, workspace, or a Notion URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "a1000000-0000-4000-8000-000000000002";

    #[test]
    fn ids_come_with_or_without_dashes_or_in_urls() {
        for input in [
            ID,
            "a1000000000040008000000000000002",
            "A1000000000040008000000000000002",
            " a1000000-0000-4000-8000-000000000002 ",
            "https://www.notion.so/Engineering-Notes-a1000000000040008000000000000002",
            "https://www.notion.so/acme/Engineering-Notes-a1000000000040008000000000000002?pvs=4",
            "https://www.notion.so/a1000000000040008000000000000002",
            "https://acme.notion.site/Notes-a1000000000040008000000000000002#section",
            "https://www.notion.so/acme/ffffffff000040008000000000000009?p=a1000000000040008000000000000002&pm=s",
            "notion.so/a1000000000040008000000000000002",
        ] {
            assert_eq!(parse(input).unwrap(), ID, "{input}");
        }
        for bad in [
            "",
            "nope",
            "a100000000004000800000000000000",
            "https://example.com/a1000000000040008000000000000002",
            "../a1000000000040008000000000000002",
        ] {
            assert_eq!(parse(bad).unwrap_err().exit_code().code(), 2, "{bad}");
        }
    }

    #[test]
    fn parents_name_their_kind_or_leave_it_to_be_found() {
        assert_eq!(
            ParentSpec::parse(&format!("page:{ID}")).unwrap(),
            ParentSpec::Page(ID.into())
        );
        assert_eq!(
            ParentSpec::parse("data-source:a1000000000040008000000000000002").unwrap(),
            ParentSpec::DataSource(ID.into())
        );
        assert_eq!(
            ParentSpec::parse(&format!("database:{ID}")).unwrap(),
            ParentSpec::Database(ID.into())
        );
        assert_eq!(
            ParentSpec::parse("workspace").unwrap(),
            ParentSpec::Workspace
        );
        assert_eq!(
            ParentSpec::parse("https://www.notion.so/Tasks-a1000000000040008000000000000002?v=1")
                .unwrap(),
            ParentSpec::Either(ID.into())
        );
        assert!(ParentSpec::parse("folder:x").is_err());
        let p =
            serde_json::json!({"type": "data_source_id", "data_source_id": ID, "database_id": "x"});
        assert_eq!(ParentSpec::describe(&p), format!("data-source:{ID}"));
    }
}
