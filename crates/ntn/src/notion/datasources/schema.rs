//! A data source's schema (`GET /v1/data_sources/{id}`): its properties with
//! their ids, types and options, found by name the way people type them.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::output::text::clean;

/// One property of a data source.
#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    /// Notion's property id (short, URL-encoded: `title`, `%3AUPp`).
    pub id: String,
    pub name: String,
    /// Notion's property type (`title`, `rich_text`, `status`, ...).
    pub kind: String,
    /// The option names of a select, multi-select or status property.
    pub options: Vec<String>,
}

/// A data source: id, title, database, properties (title first, then the
/// order the server listed them in).
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub id: String,
    pub title: String,
    /// The database holding the data source, when the answer says.
    pub database_id: Option<String>,
    pub properties: Vec<Property>,
    /// The data source object as the server sent it.
    pub raw: Value,
}

/// How a name given by a person matched a property or an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found<T> {
    /// Exactly, or by case alone (a unique match).
    Yes(T),
    /// Not found; the closest candidate, if one is close enough.
    No { suggestion: Option<String> },
}

impl Schema {
    /// Reads a data source object.
    pub fn from_json(v: &Value) -> Result<Schema> {
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let props = v["properties"].as_object().ok_or_else(|| {
            Error::api("the data source has no properties in the answer")
                .hint("check that the id is a data source's (`ntn datasources resolve`)")
        })?;
        let mut properties: Vec<Property> = props
            .iter()
            .map(|(key, p)| {
                let kind = p["type"].as_str().unwrap_or("").to_string();
                let options = p[kind.as_str()]["options"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|o| o["name"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                Property {
                    id: p["id"].as_str().unwrap_or(key).to_string(),
                    name: p["name"].as_str().unwrap_or(key).to_string(),
                    kind,
                    options,
                }
            })
            .collect();
        // Title first; the rest as listed (a stable sort).
        properties.sort_by_key(|p| p.kind != "title");
        Ok(Schema {
            id,
            title: plain_text(&v["title"]),
            database_id: v["parent"]["database_id"]
                .as_str()
                .or(v["database_parent"]["database_id"].as_str())
                .map(str::to_string),
            properties,
            raw: v.clone(),
        })
    }

    /// The title property.
    pub fn title_property(&self) -> Option<&Property> {
        self.properties.iter().find(|p| p.kind == "title")
    }

    /// The property called `name`: exactly, else by case alone when that is
    /// unique, else the closest name as a suggestion.
    pub fn find(&self, name: &str) -> Found<&Property> {
        match find_name(name, self.properties.iter().map(|p| p.name.as_str())) {
            Found::Yes(i) => Found::Yes(&self.properties[i]),
            Found::No { suggestion } => Found::No { suggestion },
        }
    }

    /// The property names, for messages (cleaned, quoted when needed).
    pub fn names(&self) -> String {
        self.properties
            .iter()
            .map(|p| quote_name(&p.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which of `candidates` is `name`: exactly, else by case alone when that is
/// unique; otherwise the closest candidate (Jaro-Winkler, as clap suggests
/// subcommands) as a suggestion.
pub fn find_name<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str> + Clone,
) -> Found<usize> {
    if let Some(i) = candidates.clone().position(|c| c == name) {
        return Found::Yes(i);
    }
    let folded: Vec<usize> = candidates
        .clone()
        .enumerate()
        .filter(|(_, c)| c.to_lowercase() == name.to_lowercase())
        .map(|(i, _)| i)
        .collect();
    if folded.len() == 1 {
        return Found::Yes(folded[0]);
    }
    let lower = name.to_lowercase();
    let best = candidates
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Found::No {
        suggestion: best.map(|(_, c)| c.to_string()),
    }
}

/// A name as a person would type it in `--where` or `--columns`: bare when
/// it is one plain word, else in double quotes. Control characters dropped.
pub fn quote_name(name: &str) -> String {
    let name = clean(name);
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if bare {
        name.into_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The plain text of a rich text array.
pub fn plain_text(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    t["plain_text"]
                        .as_str()
                        .or_else(|| t["text"]["content"].as_str())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn roadmap() -> Schema {
        Schema::from_json(&json!({
            "object": "data_source", "id": "ds1",
            "title": [{"plain_text": "Roadmap"}],
            "parent": {"type": "database_id", "database_id": "db1"},
            "properties": {
                "Status": {"id": "st", "name": "Status", "type": "status",
                           "status": {"options": [{"name": "Not started"}, {"name": "Done"}]}},
                "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
                "Due date": {"id": "Du%3Ae", "name": "Due date", "type": "date", "date": {}}
            }
        }))
        .unwrap()
    }

    #[test]
    fn title_first_then_the_servers_order() {
        let s = roadmap();
        let names: Vec<&str> = s.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Name", "Status", "Due date"]);
        assert_eq!(s.title, "Roadmap");
        assert_eq!(s.database_id.as_deref(), Some("db1"));
        assert_eq!(s.properties[1].options, ["Not started", "Done"]);
        assert_eq!(s.names(), "Name, Status, \"Due date\"");
    }

    #[test]
    fn names_are_found_exactly_by_case_or_suggested() {
        let s = roadmap();
        assert!(matches!(s.find("Status"), Found::Yes(p) if p.id == "st"));
        assert!(matches!(s.find("due DATE"), Found::Yes(p) if p.id == "Du%3Ae"));
        assert_eq!(
            s.find("Stauts"),
            Found::No {
                suggestion: Some("Status".into())
            }
        );
        assert_eq!(s.find("zzz"), Found::No { suggestion: None });
        // Two names that differ by case alone: only the exact one matches.
        let c = ["Tag", "tag"];
        assert_eq!(find_name("tag", c.iter().copied()), Found::Yes(1));
        assert!(matches!(
            find_name("TAG", c.iter().copied()),
            Found::No { .. }
        ));
    }

    #[test]
    fn names_are_quoted_when_they_need_it() {
        assert_eq!(quote_name("Status"), "Status");
        assert_eq!(quote_name("Due date"), "\"Due date\"");
        assert_eq!(quote_name("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote_name("x\x1b[2J"), "\"x\\\\x1b[2J\"");
    }
}
