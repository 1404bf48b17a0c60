//! Pages as Markdown documents: read completely, written safely.
//!
//! * [`id`]: page ids and URLs, parents (`page:ID`, `data-source:ID`, …);
//! * [`props`]: property values as plain values and back, checked against a schema;
//! * [`people`]: people entries completed from the workspace's users (shown by email);
//! * [`document`]: the YAML frontmatter and the body of a page document;
//! * [`read`]: a page as read (unknown blocks spliced in, what is missing, the content
//!   hash, signed URLs normalised);
//! * [`client`]: the requests (read, create, apply an edit, trash, move, parents);
//! * [`edit`]: the edit planner and its guards;
//! * [`lossy`]: blocks a Markdown write would not give back, found with the block API;
//! * [`hunks`]: the smallest targeted search-and-replace edits from one text to another;
//! * [`threeway`]: a three-way comparison (base, mine, theirs), merged or shown;
//! * [`diff`]: an edit shown as a unified diff and property changes.
//!
//! The Markdown endpoints need `Notion-Version` 2026-03-11 or later: [`version`] says
//! which to send.

pub mod client;
pub mod diff;
pub mod document;
pub mod edit;
pub mod hunks;
pub mod id;
pub mod lossy;
pub mod people;
pub mod props;
pub mod read;
pub mod threeway;

pub use client::{PageClient, Parent};
pub use document::Document;
pub use read::Read;

/// The oldest `Notion-Version` the Markdown endpoints take.
pub const MIN_VERSION: &str = "2026-03-11";

/// The `Notion-Version` page commands send: `configured` (NOTION_API_VERSION) when it
/// is 2026-03-11 or later, else 2026-03-11; the second value says the configured one was
/// passed over.
pub fn version(configured: Option<&str>) -> (String, Option<String>) {
    match configured {
        Some(v) if v >= MIN_VERSION => (v.to_string(), None),
        Some(v) => (MIN_VERSION.to_string(), Some(v.to_string())),
        None => (MIN_VERSION.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_send_a_version_the_markdown_endpoints_take() {
        assert_eq!(version(None), ("2026-03-11".into(), None));
        assert_eq!(version(Some("2026-05-01")), ("2026-05-01".into(), None));
        assert_eq!(
            version(Some("2025-09-03")),
            ("2026-03-11".into(), Some("2025-09-03".into()))
        );
    }
}
