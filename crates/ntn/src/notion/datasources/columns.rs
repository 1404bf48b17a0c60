//! The columns of query output: the data source's properties (title first)
//! and the page's own `id`, `url`, `created` and `edited`; `--columns A,B`
//! chooses them (and narrows the request with `filter_properties`).

use super::schema::{Found, Property, Schema, quote_name};
use super::sort::{split_list, unquote};
use crate::error::{Error, Result};

/// One column.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Id,
    Url,
    Created,
    Edited,
    Prop(Property),
}

impl Column {
    /// Its header (the property's name, or `id`, `url`, `created`, `edited`).
    pub fn header(&self) -> &str {
        match self {
            Column::Id => "id",
            Column::Url => "url",
            Column::Created => "created",
            Column::Edited => "edited",
            Column::Prop(p) => &p.name,
        }
    }
}

/// Every property, title first; with the page id in front when `with_id`.
pub fn all(schema: &Schema, with_id: bool) -> Vec<Column> {
    let mut cols = Vec::with_capacity(schema.properties.len() + 1);
    if with_id {
        cols.push(Column::Id);
    }
    cols.extend(schema.properties.iter().cloned().map(Column::Prop));
    cols
}

/// The columns of `--columns A,B` (names quoted when they hold commas; a
/// property wins over `id`, `url`, `created` and `edited`).
pub fn parse(spec: &str, schema: &Schema) -> Result<Vec<Column>> {
    let mut cols = vec![];
    for item in split_list(spec) {
        let name = unquote(&item);
        if name.is_empty() {
            continue;
        }
        let col = match schema.find(&name) {
            Found::Yes(p) => Column::Prop(p.clone()),
            Found::No { suggestion } => match name.to_ascii_lowercase().as_str() {
                "id" => Column::Id,
                "url" => Column::Url,
                "created" | "created_time" => Column::Created,
                "edited" | "last_edited_time" => Column::Edited,
                _ => {
                    let e = Error::usage(format!("--columns: no property is called {name:?}"));
                    let all = format!("{}; and id, url, created, edited", schema.names());
                    return Err(match suggestion {
                        Some(s) => e.hint(format!("did you mean {}? ({all})", quote_name(&s))),
                        None => e.hint(format!("columns: {all}")),
                    });
                }
            },
        };
        cols.push(col);
    }
    if cols.is_empty() {
        return Err(Error::usage("--columns names no column").hint(format!(
            "columns: {}; and id, url, created, edited",
            schema.names()
        )));
    }
    Ok(cols)
}

/// The property ids to ask for (`filter_properties`): the properties among
/// `cols`, or the title alone when there are none (the smallest answer).
pub fn filter_properties(cols: &[Column], schema: &Schema) -> Vec<String> {
    let mut ids: Vec<String> = cols
        .iter()
        .filter_map(|c| match c {
            Column::Prop(p) => Some(p.id.clone()),
            _ => None,
        })
        .collect();
    ids.dedup();
    if ids.is_empty()
        && let Some(t) = schema.title_property()
    {
        ids.push(t.id.clone());
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::from_json(&json!({"id": "ds", "properties": {
            "Status": {"id": "st", "name": "Status", "type": "status"},
            "Name": {"id": "title", "name": "Name", "type": "title"},
            "a, b": {"id": "ab", "name": "a, b", "type": "number"},
            "url": {"id": "u", "name": "url", "type": "url"},
        }}))
        .unwrap()
    }

    #[test]
    fn columns_by_name_and_the_pages_own() {
        let s = schema();
        let cols = parse("id, status,\"a, b\",created, url", &s).unwrap();
        let headers: Vec<&str> = cols.iter().map(Column::header).collect();
        assert_eq!(headers, ["id", "Status", "a, b", "created", "url"]);
        // The property called url wins over the page's URL.
        assert!(matches!(&cols[4], Column::Prop(p) if p.id == "u"));
        assert_eq!(filter_properties(&cols, &s), ["st", "ab", "u"]);
        assert_eq!(
            filter_properties(&parse("id,edited", &s).unwrap(), &s),
            ["title"]
        );
        let all: Vec<String> = all(&s, true)
            .iter()
            .map(|c| c.header().to_string())
            .collect();
        assert_eq!(all, ["id", "Name", "Status", "a, b", "url"]);
    }

    #[test]
    fn unknown_columns_suggest() {
        let e = parse("Name,Stat", &schema()).unwrap_err();
        assert_eq!(e.message(), "--columns: no property is called \"Stat\"");
        assert!(e.hint_text().unwrap().starts_with("did you mean Status?"));
        assert_eq!(parse(" , ", &schema()).unwrap_err().exit_code().code(), 2);
    }
}
