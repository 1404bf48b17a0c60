//! Rows from a file for `ntn datasources import`: CSV with a header as `query
//! --csv` writes it, or NDJSON of objects with frontmatter-style plain values
//! ([`read`]); columns matched to the schema ([`columns`]: `id` is the page,
//! `url`, `created` and `edited` are ignored, read-only properties skipped,
//! unknown names refused with "did you mean"); cells parsed back from what
//! [`super::values::property`] writes ([`cell_plain`]); and the plan
//! ([`plan`]): each row matched to a page of the data source (its `id`, the
//! `--key` property, or a page an interrupted create made, from the
//! [`super::journal`]), with only the cells that differ from Notion's values,
//! or created. Everything is checked before anything is sent.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::bulk::{Action, Item, machine_text};
use super::journal::{self, Journal};
use super::schema::{Found, Property, Schema};
use crate::error::{Error, Result};
use crate::notion::pages::edit::PropChange;
use crate::notion::pages::props::{self, Lookup};
use crate::output::records::unneutralize;
use crate::output::text::clean;

/// The file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

/// The format of a file: by its extension (`.csv`; `.ndjson`, `.jsonl`,
/// `.json`), else by its first character (`{`: NDJSON).
pub fn detect(name: Option<&str>, bytes: &[u8]) -> Format {
    let ext = name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => Format::Csv,
        Some("ndjson" | "jsonl" | "json") => Format::Ndjson,
        _ => {
            let first = bytes
                .iter()
                .copied()
                .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
            if first == Some(b'{') {
                Format::Ndjson
            } else {
                Format::Csv
            }
        }
    }
}

/// One row of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// 1 for the first row (after a CSV header).
    pub number: usize,
    /// The value of each column (`None`: the row has no such cell).
    pub cells: Vec<Option<Value>>,
}

/// A file's rows: CSV cells as text, NDJSON values as they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub format: Format,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// Reads the file. CSV cells a spreadsheet would run as formulas were given
/// a leading `'` by `query --csv`: it is removed unless `raw`.
pub fn read(bytes: &[u8], format: Format, raw: bool) -> Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match format {
        Format::Csv => read_csv(bytes, raw),
        Format::Ndjson => read_ndjson(bytes),
    }
}

fn read_csv(bytes: &[u8], raw: bool) -> Result<Table> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let bad = |e: csv::Error| {
        Error::local(format!(
            "the file is not valid CSV: {}",
            clean(&e.to_string())
        ))
        .hint("give a CSV with a header row, as `ntn datasources query --csv` writes it")
    };
    let columns: Vec<String> = r
        .headers()
        .map_err(bad)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(Error::local("the file has no header row")
            .hint("the first line names the columns: id,Name,Status,…"));
    }
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(bad)?;
        let cells = rec
            .iter()
            .map(|c| {
                let c = if raw { c } else { unneutralize(c) };
                Some(Value::String(c.to_string()))
            })
            .collect();
        rows.push(Row {
            number: i + 1,
            cells,
        });
    }
    Ok(Table {
        format: Format::Csv,
        columns,
        rows,
    })
}

fn read_ndjson(bytes: &[u8]) -> Result<Table> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| Error::local("the file is not UTF-8 text"))?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| {
            Error::local(format!("line {}: not valid JSON: {e}", i + 1))
                .hint("NDJSON is one JSON object per line: {\"id\": …, \"Status\": \"Done\"}")
        })?;
        let Value::Object(m) = v else {
            return Err(Error::local(format!("line {}: not a JSON object", i + 1))
                .hint("NDJSON is one JSON object per line: {\"id\": …, \"Status\": \"Done\"}"));
        };
        for k in m.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
        objects.push(m);
    }
    let rows = objects
        .into_iter()
        .enumerate()
        .map(|(i, m)| Row {
            number: i + 1,
            cells: columns.iter().map(|c| m.get(c).cloned()).collect(),
        })
        .collect();
    Ok(Table {
        format: Format::Ndjson,
        columns,
        rows,
    })
}

/// What a column of the file is.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// The page's id (or URL).
    Id,
    /// `url`, `created`, `edited`: the page's own, not written.
    Ignored,
    /// A property that can be written.
    Prop(Property),
    /// A read-only property (formula, rollup, created/edited, unique id,
    /// files, …): skipped.
    ReadOnly(Property),
}

/// The columns matched to the schema. Unknown names are refused with a
/// suggestion; so is a name given twice.
pub fn columns(table: &Table, schema: &Schema) -> Result<Vec<Column>> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for name in &table.columns {
        let exact = schema.properties.iter().find(|p| &p.name == name);
        let col = match (exact, name.to_ascii_lowercase().as_str()) {
            (Some(p), _) => prop_column(p),
            (None, "id") => Column::Id,
            (None, "url" | "created" | "edited") => Column::Ignored,
            (None, _) => match schema.find(name) {
                Found::Yes(p) => prop_column(p),
                Found::No { .. } => {
                    let names: Vec<&str> =
                        schema.properties.iter().map(|p| p.name.as_str()).collect();
                    let e = props::unknown_property(name, names.iter().copied());
                    return Err(Error::local(format!("column {}", e.message()))
                        .hint(format!(
                            "{}; id, url, created and edited are the page's own; rename or remove the column",
                            e.hint_text().unwrap_or("")
                        )));
                }
            },
        };
        let key = match &col {
            Column::Prop(p) | Column::ReadOnly(p) => p.name.clone(),
            Column::Id => "id".into(),
            Column::Ignored => format!("\0{name}"),
        };
        if seen.contains(&key) {
            return Err(
                Error::local(format!("the file has the column {:?} twice", clean(&key)))
                    .hint("keep one of them"),
            );
        }
        seen.push(key);
        out.push(col);
    }
    Ok(out)
}

fn prop_column(p: &Property) -> Column {
    if props::writable(&p.kind) {
        Column::Prop(p.clone())
    } else {
        Column::ReadOnly(p.clone())
    }
}

/// A CSV cell as a plain value of `prop` (the inverse of what `query --csv`
/// writes): empty clears; numbers, `true`/`false` parsed; multi-select names
/// split on commas (joined back when an option's name holds a comma); people
/// and relations split on commas.
pub fn cell_plain(text: &str, prop: &Property) -> std::result::Result<Value, String> {
    let t = text.trim();
    let list = |s: &str| -> Value {
        Value::Array(
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| json!(x))
                .collect(),
        )
    };
    Ok(match prop.kind.as_str() {
        "title" | "rich_text" => json!(text),
        "number" if t.is_empty() => Value::Null,
        "number" => match t.parse::<i64>() {
            Ok(i) => json!(i),
            Err(_) => t
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("{:?} is not a number", clean(t)))?,
        },
        "checkbox" => match t.to_ascii_lowercase().as_str() {
            "true" => json!(true),
            "false" | "" => json!(false),
            _ => return Err(format!("{:?} is not true or false", clean(t))),
        },
        "multi_select" => Value::Array(
            split_options(t, &prop.options)
                .into_iter()
                .map(Value::String)
                .collect(),
        ),
        "people" | "relation" => list(t),
        _ if t.is_empty() => Value::Null,
        _ => json!(t),
    })
}

/// `a, b` as option names: the comma-separated parts, joined back where the
/// joined text is an option (names may hold commas).
fn split_options(text: &str, options: &[String]) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let parts: Vec<&str> = text.split(',').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let mut took = None;
        for j in (i + 1..=parts.len()).rev() {
            let joined = parts[i..j].join(",");
            let joined = joined.trim();
            if options.iter().any(|o| o == joined) {
                took = Some((j, joined.to_string()));
                break;
            }
        }
        let (j, name) = took.unwrap_or_else(|| (i + 1, parts[i].trim().to_string()));
        if !name.is_empty() {
            out.push(name);
        }
        i = j;
    }
    out
}

/// A row of the data source now: its id, title, created time, properties.
#[derive(Clone, Debug)]
pub struct Current {
    pub id: String,
    pub title: String,
    pub properties: Map<String, Value>,
}

impl Current {
    pub fn from_page(page: &Value) -> Current {
        Current {
            id: page["id"].as_str().unwrap_or("").to_string(),
            title: props::title(page),
            properties: page["properties"].as_object().cloned().unwrap_or_default(),
        }
    }
}

/// How rows are matched and written.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Rows without an id are matched by this property's value.
    pub key: Option<String>,
    /// Options that do not exist are sent anyway (Notion creates them).
    pub create_options: bool,
}

/// The plan of an import.
#[derive(Debug, Default)]
pub struct Plan {
    /// One per file row, in order (`row` is the file's row number).
    pub items: Vec<Item>,
    /// Read-only columns skipped, and those of them whose cells differ from
    /// Notion's values.
    pub read_only: Vec<String>,
    pub read_only_differs: Vec<String>,
    /// Rows matched to pages an interrupted import created.
    pub adopted: usize,
}

/// The plan: every row matched and checked; the first problem is an error
/// (naming the row) before anything is sent.
pub fn plan(
    table: &Table,
    schema: &Schema,
    current: &[Current],
    opts: &Options,
    journal: Option<&Journal>,
    users: &dyn Lookup,
) -> Result<Plan> {
    let cols = columns(table, schema)?;
    let schema_prop = |p: &Property| -> Option<Vec<String>> {
        if opts.create_options {
            return None;
        }
        schema.raw["properties"]
            .as_object()
            .and_then(|m| m.values().find(|v| v["id"] == p.id.as_str()))
            .and_then(props::options)
    };
    let by_id: HashMap<String, usize> = current
        .iter()
        .enumerate()
        .filter_map(|(i, c)| crate::notion::pages::id::normalize(&c.id).map(|id| (id, i)))
        .collect();
    let id_col = cols.iter().position(|c| *c == Column::Id);
    let key = key_index(table, schema, &cols, current, opts)?;
    let mut out = Plan::default();
    for c in &cols {
        if let Column::ReadOnly(p) = c {
            out.read_only.push(p.name.clone());
        }
    }
    let mut claimed: Vec<String> = Vec::new();
    let at = |row: &Row, e: String| Error::local(format!("row {}: {e}", row.number));
    for row in &table.rows {
        let cell = |i: usize| row.cells.get(i).cloned().flatten();
        // The page: the id column, else the key, else a create an earlier run made.
        let mut page: Option<&Current> = None;
        if let Some(i) = id_col
            && let Some(v) = cell(i)
        {
            let text = v.as_str().map(str::trim).unwrap_or("");
            if !text.is_empty() {
                let id = crate::notion::pages::id::parse(text)
                    .map_err(|_| at(row, format!("{:?} is not a page id", clean(text))))?;
                let Some(&k) = by_id.get(&id) else {
                    return Err(at(
                        row,
                        format!("the page {id} is not a row of this data source"),
                    )
                    .hint("check the id column (rows of another data source, or deleted, cannot be imported here)"));
                };
                page = Some(&current[k]);
            }
        }
        if page.is_none()
            && let Some((col, index)) = &key
            && let Some(text) = cell(*col).map(|v| key_text(&v)).filter(|t| !t.is_empty())
            && let Some(ids) = index.get(&text)
        {
            page = ids.first().map(|&k| &current[k]);
        }
        let title_in_file = cols
            .iter()
            .enumerate()
            .find(|(_, c)| matches!(c, Column::Prop(p) if p.kind == "title"))
            .and_then(|(i, _)| cell(i))
            .map(|v| match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                v => v.to_string(),
            });
        if page.is_none()
            && let Some(j) = journal
            && let Some(entry) = j.entry(row.number)
            && title_in_file.as_deref().unwrap_or("") == entry.title
        {
            let taken = |id: &str| claimed.iter().any(|c| c == id);
            if let Some(id) = journal::adopt(
                entry,
                current.iter().map(|c| (c.id.as_str(), c.title.as_str())),
                &taken,
            ) && let Some(id) = crate::notion::pages::id::normalize(&id)
                && let Some(&k) = by_id.get(&id)
            {
                page = Some(&current[k]);
                out.adopted += 1;
            }
        }
        if let Some(p) = page {
            claimed.push(p.id.clone());
        }
        let mut changes = Vec::new();
        let mut create = Map::new();
        let mut row_error = None;
        for (i, col) in cols.iter().enumerate() {
            let Some(v) = cell(i) else { continue };
            match col {
                Column::Id | Column::Ignored => {}
                Column::ReadOnly(p) => {
                    if let Some(page) = page
                        && !out.read_only_differs.contains(&p.name)
                    {
                        let null = json!({"type": p.kind, (p.kind.clone()): Value::Null});
                        let now = page.properties.get(&p.name).unwrap_or(&null);
                        let differs = match (&v, table.format) {
                            (Value::String(s), Format::Csv) => *s != machine_text(now),
                            _ => !props::same(&props::plain(now), &v),
                        };
                        if differs {
                            out.read_only_differs.push(p.name.clone());
                        }
                    }
                }
                Column::Prop(p) => {
                    let value = match (&v, table.format) {
                        (Value::String(s), Format::Csv) => cell_plain(s, p)
                            .map_err(|e| at(row, format!("{:?}: {e}", clean(&p.name))))?,
                        _ => v.clone(),
                    };
                    let options = schema_prop(p);
                    match page {
                        Some(page) => {
                            let null = json!({"type": p.kind, (p.kind.clone()): Value::Null});
                            let now = page.properties.get(&p.name).unwrap_or(&null);
                            // What `query --csv` wrote, unedited.
                            if let (Value::String(s), Format::Csv) = (&v, table.format)
                                && *s == machine_text(now)
                            {
                                continue;
                            }
                            let before = props::plain(now);
                            if props::same(&before, &value) {
                                continue;
                            }
                            let input = props::input(
                                &p.name,
                                &p.kind,
                                &value,
                                options.as_deref(),
                                Some(now),
                                users,
                            )
                            .map_err(|e| prefix(e, row.number))?;
                            if props::unchanged(now, &input) {
                                continue;
                            }
                            if props::may_be_truncated(now) {
                                row_error = Some(format!(
                                    "property {:?} may have more than the {} entries Notion shows in a page: ntn does not change it",
                                    clean(&p.name),
                                    props::MAX_REFERENCES
                                ));
                                continue;
                            }
                            let after = if p.kind == "people" {
                                props::people_shown(&input, Some(now), users)
                            } else {
                                value
                            };
                            changes.push(PropChange {
                                name: p.name.clone(),
                                kind: p.kind.clone(),
                                before,
                                after,
                                input,
                            });
                        }
                        None => {
                            let empty = match &value {
                                Value::Null => true,
                                Value::String(s) => s.is_empty(),
                                Value::Array(a) => a.is_empty(),
                                Value::Bool(b) => !b,
                                _ => false,
                            };
                            if empty {
                                continue;
                            }
                            let input = props::input(
                                &p.name,
                                &p.kind,
                                &value,
                                options.as_deref(),
                                None,
                                users,
                            )
                            .map_err(|e| prefix(e, row.number))?;
                            create.insert(p.name.clone(), input);
                        }
                    }
                }
            }
        }
        let title = title_in_file
            .clone()
            .or_else(|| page.map(|p| p.title.clone()))
            .unwrap_or_default();
        let action = match page {
            Some(_) => Action::Update { changes },
            None => Action::Create { properties: create },
        };
        out.items.push(Item {
            id: page.map(|p| p.id.clone()),
            title,
            action,
            row: Some(row.number),
            error: row_error,
        });
    }
    Ok(out)
}

fn prefix(e: Error, row: usize) -> Error {
    let hint = e.hint_text().map(str::to_string);
    let mut out = Error::new(e.exit_code(), format!("row {row}: {}", e.message()));
    if let Some(h) = hint {
        out = out.hint(h.replace(
            "ntn does not create options",
            "ntn does not create options unless --create-options is given",
        ));
    }
    out
}

/// A key cell as text (CSV text as is; NDJSON strings as they are, other
/// values as JSON).
fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

type KeyIndex = (usize, HashMap<String, Vec<usize>>);

/// `--key`: the column and the data source's rows by their key text. Keys
/// the file uses that name several rows in Notion, or several rows of the
/// file, are an error listing them.
fn key_index(
    table: &Table,
    schema: &Schema,
    cols: &[Column],
    current: &[Current],
    opts: &Options,
) -> Result<Option<KeyIndex>> {
    let Some(name) = &opts.key else {
        return Ok(None);
    };
    let prop = match schema.find(name) {
        Found::Yes(p) => p,
        Found::No { .. } => {
            let e =
                props::unknown_property(name, schema.properties.iter().map(|p| p.name.as_str()));
            return Err(Error::usage(format!("--key: {}", e.message()))
                .hint(e.hint_text().unwrap_or("").to_string()));
        }
    };
    let col = cols
        .iter()
        .position(|c| matches!(c, Column::Prop(p) | Column::ReadOnly(p) if p.name == prop.name))
        .ok_or_else(|| {
            Error::usage(format!(
                "--key {:?}: the file has no column {:?}",
                clean(&prop.name),
                clean(&prop.name)
            ))
            .hint("the key must be one of the file's columns")
        })?;
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in current.iter().enumerate() {
        let text = c
            .properties
            .get(&prop.name)
            .map(|v| match table.format {
                Format::Csv => machine_text(v),
                Format::Ndjson => key_text(&props::plain(v)),
            })
            .unwrap_or_default();
        let text = text.trim().to_string();
        if !text.is_empty() {
            index.entry(text).or_default().push(i);
        }
    }
    let mut in_file: HashMap<String, Vec<usize>> = HashMap::new();
    for row in &table.rows {
        if let Some(v) = row.cells.get(col).cloned().flatten() {
            let t = key_text(&v);
            if !t.is_empty() {
                in_file.entry(t).or_default().push(row.number);
            }
        }
    }
    let mut dups: Vec<String> = in_file
        .keys()
        .filter_map(|k| {
            let ids = index.get(k).filter(|ids| ids.len() > 1)?;
            Some(placed(k, "", ids.iter().map(|&i| current[i].id.clone())))
        })
        .collect();
    dups.sort();
    if !dups.is_empty() {
        return Err(Error::local(format!(
            "--key {:?} is not unique in Notion: {} name more than one row: {}",
            clean(&prop.name),
            if dups.len() == 1 { "this value" } else { "these values" },
            dups.join("; ")
        ))
        .hint("make the values unique in Notion, or add an id column to the file (`query --csv` writes one)"));
    }
    let mut twice: Vec<String> = in_file
        .iter()
        .filter(|(_, rows)| rows.len() > 1)
        .map(|(k, rows)| placed(k, "rows ", rows.iter().map(usize::to_string)))
        .collect();
    twice.sort();
    if !twice.is_empty() {
        return Err(Error::local(format!(
            "--key {:?}: the file has the same value in several rows: {}",
            clean(&prop.name),
            twice.join("; ")
        ))
        .hint("keep one row per key value"));
    }
    Ok(Some((col, index)))
}

/// `"value" (where, where)`: a key value and where it stands, for messages.
fn placed(key: &str, prefix: &str, places: impl Iterator<Item = String>) -> String {
    format!(
        "{:?} ({prefix}{})",
        clean(key),
        places.collect::<Vec<_>>().join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(kind: &str, options: &[&str]) -> Property {
        Property {
            id: "x".into(),
            name: "P".into(),
            kind: kind.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn formats_are_told_by_name_then_content() {
        assert_eq!(detect(Some("a.csv"), b"{"), Format::Csv);
        assert_eq!(detect(Some("a.ndjson"), b"id"), Format::Ndjson);
        assert_eq!(detect(None, b"  {\"id\": 1}"), Format::Ndjson);
        assert_eq!(detect(None, b"id,Name"), Format::Csv);
    }

    #[test]
    fn csv_cells_parse_back() {
        assert_eq!(cell_plain("5.5", &prop("number", &[])), Ok(json!(5.5)));
        assert_eq!(cell_plain("8", &prop("number", &[])), Ok(json!(8)));
        assert_eq!(cell_plain("", &prop("number", &[])), Ok(Value::Null));
        assert!(cell_plain("x", &prop("number", &[])).is_err());
        assert_eq!(cell_plain("true", &prop("checkbox", &[])), Ok(json!(true)));
        assert_eq!(
            cell_plain("a, b, c", &prop("multi_select", &["a, b", "c"])),
            Ok(json!(["a, b", "c"]))
        );
        assert_eq!(
            cell_plain("x, y", &prop("multi_select", &[])),
            Ok(json!(["x", "y"]))
        );
        assert_eq!(cell_plain("", &prop("select", &[])), Ok(Value::Null));
        assert_eq!(cell_plain(" =1+1", &prop("title", &[])), Ok(json!(" =1+1")));
    }

    #[test]
    fn csv_and_ndjson_read() {
        let t = read(b"id,Name\n,'=1+1\n", Format::Csv, false).unwrap();
        assert_eq!(t.columns, ["id", "Name"]);
        assert_eq!(t.rows[0].cells[1], Some(json!("=1+1")));
        let t = read(b"id,Name\n,'=1+1\n", Format::Csv, true).unwrap();
        assert_eq!(t.rows[0].cells[1], Some(json!("'=1+1")));
        let t = read(
            b"{\"Name\": \"a\"}\n\n{\"Tags\": [\"x\"]}\n",
            Format::Ndjson,
            false,
        )
        .unwrap();
        assert_eq!(t.columns, ["Name", "Tags"]);
        assert_eq!(t.rows[1].cells, vec![None, Some(json!(["x"]))]);
        assert!(read(b"[1]\n", Format::Ndjson, false).is_err());
    }
}
