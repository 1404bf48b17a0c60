//! A page as a text document: a YAML frontmatter block, then the Markdown body.
//!
//! ```text
//! ---
//! id: 2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c
//! url: https://www.notion.so/Notes-2f1c6a4e8b5d4c1e9a7b3d2e1f0a9b8c
//! title: Notes
//! parent: page:…
//! last_edited_time: "2025-01-02T03:04:00.000Z"
//! properties:
//!   Status: Done
//! content_hash: v1:…:…
//! ---
//!
//! The body.
//! ```
//!
//! The YAML is read with serde-saphyr (YAML 1.2, strict booleans: `yes` stays text,
//! duplicate keys refused) and written with it (strings quoted when they would read as
//! something else).

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The frontmatter keys ntn writes and reads; anything else is a mistake worth saying.
pub const KEYS: &[&str] = &[
    "id",
    "url",
    "title",
    "parent",
    "last_edited_time",
    "properties",
    "content_hash",
    // The page of a file `ntn sync` keeps (the same as `id`).
    "notion_id",
];

/// A document: its frontmatter (when it has one) and its body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub front: Option<Map<String, Value>>,
    pub body: String,
}

impl Document {
    /// Reads a document: a frontmatter block when the text starts with a `---` line.
    pub fn parse(text: &str) -> Result<Document> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let normalized;
        let text = if text.contains('\r') {
            normalized = text.replace("\r\n", "\n");
            normalized.as_str()
        } else {
            text
        };
        let Some((yaml, body)) = split(text)? else {
            return Ok(Document {
                front: None,
                body: text.to_string(),
            });
        };
        let front = parse_yaml(yaml)?;
        Ok(Document {
            front: Some(front),
            body: body.to_string(),
        })
    }

    /// A frontmatter value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.front.as_ref().and_then(|f| f.get(key))
    }

    /// A frontmatter value that must be text (or absent).
    pub fn text(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(Error::local(format!("frontmatter `{key}` must be text"))),
        }
    }

    /// The `properties` mapping (empty when absent).
    pub fn properties(&self) -> Result<Map<String, Value>> {
        match self.get("properties") {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(Error::local(
                "frontmatter `properties` must be a mapping of property names to values",
            )
            .hint("for example:\n  properties:\n    Status: Done")),
        }
    }

    /// Keys that ntn does not know, each with a suggestion when one is close.
    pub fn check_keys(&self, property_names: &[&str]) -> Result<()> {
        let Some(front) = &self.front else {
            return Ok(());
        };
        for key in front.keys() {
            if KEYS.contains(&key.as_str()) {
                continue;
            }
            let shown = crate::output::text::clean(key);
            let mut e = Error::local(format!("unknown frontmatter key {shown:?}"));
            if let Some(p) = super::props::suggest(key, property_names.iter().copied()) {
                e = e.hint(format!("{p:?} is a property: put it under `properties:`"));
            } else if let Some(k) = super::props::suggest(key, KEYS.iter().copied()) {
                e = e.hint(format!("did you mean `{k}`?"));
            } else {
                e = e.hint(format!(
                    "the frontmatter knows {}; properties go under `properties:`",
                    KEYS.join(", ")
                ));
            }
            return Err(e);
        }
        Ok(())
    }
}

/// The YAML and the body of a text that starts with a `---` line; `None` without one.
/// The blank line after the closing fence belongs to the frontmatter.
fn split(text: &str) -> Result<Option<(&str, &str)>> {
    let Some(first_end) = text.find('\n') else {
        return Ok(None);
    };
    if text[..first_end].trim_end() != "---" {
        return Ok(None);
    }
    let rest = &text[first_end + 1..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            let yaml = &rest[..offset];
            let mut body = &rest[offset + line.len()..];
            if let Some(b) = body.strip_prefix('\n') {
                body = b;
            }
            return Ok(Some((yaml, body)));
        }
        offset += line.len();
    }
    Err(Error::local("the frontmatter is not closed")
        .hint("end it with a line of three dashes (---) before the Markdown"))
}

fn parse_yaml(yaml: &str) -> Result<Map<String, Value>> {
    if yaml.trim().is_empty() {
        return Ok(Map::new());
    }
    let options = serde_saphyr::options! { strict_booleans: true };
    let v: Value = serde_saphyr::from_str_with_options(yaml, options).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or("").to_string();
        Error::local("the frontmatter is not valid YAML")
            .hint(crate::output::text::clean(&first).into_owned())
            .cause_text(text)
    })?;
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::local(
            "the frontmatter must be a mapping (key: value lines)",
        )),
    }
}

/// Writes `front` as a frontmatter block and then `body`.
pub fn write(front: &Map<String, Value>, body: &str) -> Result<String> {
    let yaml = serde_saphyr::to_string(front)
        .map_err(|e| Error::local("could not write the frontmatter").cause(&e))?;
    let mut out = String::with_capacity(yaml.len() + body.len() + 16);
    out.push_str("---\n");
    out.push_str(&yaml);
    if !yaml.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("---\n");
    if !body.is_empty() {
        out.push('\n');
        out.push_str(body);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frontmatter_round_trips_with_awkward_values() {
        let front = json!({
            "id": "a1000000-0000-4000-8000-000000000002",
            "title": "Notes: \"quoted\" #1",
            "properties": {"Answer": "yes", "Code": "0123", "N": 3, "Done": true,
                           "Tags": ["bug", "y"], "Empty": null, "Multi": "a\nb"},
        });
        let front = front.as_object().unwrap().clone();
        let text = write(&front, "Body\n").unwrap();
        assert!(
            text.starts_with("---\n") && text.ends_with("---\n\nBody\n"),
            "{text}"
        );
        let doc = Document::parse(&text).unwrap();
        assert_eq!(doc.front.as_ref(), Some(&front));
        assert_eq!(doc.body, "Body\n");
    }

    #[test]
    fn documents_without_frontmatter_are_all_body() {
        let doc = Document::parse("# Title\n\ntext\n").unwrap();
        assert_eq!(doc.front, None);
        assert_eq!(doc.body, "# Title\n\ntext\n");
        let doc = Document::parse("---\ntitle: x\r\n---\r\nbody\r\n").unwrap();
        assert_eq!(doc.get("title"), Some(&json!("x")));
        assert_eq!(doc.body, "body\n");
    }

    #[test]
    fn bad_frontmatter_is_an_error_not_a_panic() {
        for bad in [
            "---\ntitle: [\n---\n",
            "---\na: 1\na: 2\n---\n",
            "---\n- a list\n---\n",
            "---\ntitle: x\n",
            "---\na: *nope\n---\n",
        ] {
            let e = Document::parse(bad).unwrap_err();
            assert_eq!(e.exit_code().code(), 1, "{bad}");
        }
        let doc = Document::parse("---\ntitle: t\nstatus: x\n---\n").unwrap();
        let e = doc.check_keys(&["Status"]).unwrap_err();
        assert!(e.message().contains("unknown frontmatter key \"status\""));
        assert!(e.hint_text().unwrap().contains("\"Status\" is a property"));
        let doc = Document::parse("---\ntitel: t\n---\n").unwrap();
        assert_eq!(
            doc.check_keys(&[]).unwrap_err().hint_text(),
            Some("did you mean `title`?")
        );
    }
}
