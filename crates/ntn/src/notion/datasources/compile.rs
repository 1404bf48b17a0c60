//! Compiling a `--where` expression against a data source's schema into
//! Notion's filter JSON.
//!
//! * Names are found in the schema (exactly, by case alone, else an error
//!   with "did you mean"); `created` and `edited` (or `created_time`,
//!   `last_edited_time`) are the pages' own timestamps when no property has
//!   that name.
//! * Values are typed by the property: numbers, `true`/`false`, select and
//!   status options (checked against the schema), dates (see [`super::dates`]),
//!   people as `me`, an email or a user id, relations as page ids or URLs.
//! * `not` is pushed down to the conditions (`not Estimate > 3` is
//!   `Estimate <= 3`; a row with no value matches neither); `in (a, b)` is
//!   an `or` of `=` (`not in`, an `and` of `!=`); `!=` on a date is
//!   "before or after".
//! * Notion accepts `and`/`or` nested two levels deep: nested groups of the
//!   same kind are merged, and a deeper expression is rewritten as an `or` of
//!   `and`s (or an `and` of `or`s, whichever is smaller), up to
//!   [`MAX_CONDITIONS`] conditions.

use serde_json::{Value, json};

use super::dates;
use super::expr::{self, Cond, ErrorKind, Expr, Op, Spanned, WhereError};
use super::schema::{Found, Property, Schema, find_name, quote_name};
use crate::error::Result;

/// Notion's nesting limit for compound filters.
pub const MAX_DEPTH: usize = 2;
/// The most conditions a rewritten expression may have.
pub const MAX_CONDITIONS: usize = 100;

/// Who `me` and an email are (the people of the workspace).
pub trait People {
    /// The id of the person the token belongs to.
    fn me(&self) -> Result<String>;
    /// The id of the person with this email, if there is one.
    fn by_email(&self, email: &str) -> Result<Option<String>>;
}

/// What compiling needs besides the expression.
pub struct Env<'a> {
    pub schema: &'a Schema,
    /// The date `today`, `-7d`, ... count from.
    pub today: jiff::civil::Date,
    pub people: &'a dyn People,
}

/// Compiles `src` into a Notion filter. Mistakes in the expression are usage
/// errors (exit 2) carrying a [`WhereError`]; looking people up may fail with
/// the API's own errors.
pub fn compile(src: &str, env: &Env) -> Result<Value> {
    compile_inner(src, env).map_err(|e| match e {
        Failure::Where(w) => w.to_error(src),
        Failure::Other(e) => e,
    })
}

enum Failure {
    Where(WhereError),
    Other(crate::Error),
}

impl From<WhereError> for Failure {
    fn from(e: WhereError) -> Failure {
        Failure::Where(e)
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Failure {
        Failure::Other(e)
    }
}

type Res<T> = std::result::Result<T, Failure>;

/// A filter being built: compound groups of leaves.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Leaf(Value),
}

fn compile_inner(src: &str, env: &Env) -> Res<Value> {
    let ast = expr::parse(src)?;
    let node = lower(&ast, false, env)?;
    let node = flatten(node);
    let node = if depth(&node) > MAX_DEPTH {
        fit(node).ok_or_else(|| {
            WhereError::new(
                ErrorKind::TooComplex,
                format!(
                    "this expression nests and/or more than {MAX_DEPTH} levels deep, as Notion does not \
                     allow, and rewriting it would take more than {MAX_CONDITIONS} conditions"
                ),
                0..src.len(),
            )
            .hint("split it into simpler queries, or write the filter JSON by hand with --filter")
        })?
    } else {
        node
    };
    Ok(to_json(node))
}

/// The syntax tree as filter nodes, with `not` pushed down.
fn lower(e: &Expr, negate: bool, env: &Env) -> Res<Node> {
    Ok(match (e, negate) {
        (Expr::Not(inner), n) => lower(inner, !n, env)?,
        (Expr::And(v), false) | (Expr::Or(v), true) => Node::And(
            v.iter()
                .map(|x| lower(x, negate, env))
                .collect::<Res<_>>()?,
        ),
        (Expr::Or(v), false) | (Expr::And(v), true) => Node::Or(
            v.iter()
                .map(|x| lower(x, negate, env))
                .collect::<Res<_>>()?,
        ),
        (Expr::Cond(c), n) => {
            let op = if n { c.op.negated() } else { c.op };
            condition(c, op, env)?
        }
    })
}

/// What a name refers to.
enum Target<'s> {
    Prop(&'s Property),
    /// The page's `created_time` or `last_edited_time`.
    Timestamp(&'static str),
}

fn target<'s>(name: &Spanned, schema: &'s Schema) -> Res<Target<'s>> {
    match schema.find(&name.text) {
        Found::Yes(p) => Ok(Target::Prop(p)),
        Found::No { suggestion } => {
            match name.text.to_ascii_lowercase().as_str() {
                "created" | "created_time" => return Ok(Target::Timestamp("created_time")),
                "edited" | "last_edited" | "last_edited_time" => {
                    return Ok(Target::Timestamp("last_edited_time"));
                }
                _ => {}
            }
            let mut e = WhereError::new(
                ErrorKind::UnknownProperty,
                format!("no property is called {:?}", name.text),
                name.span.clone(),
            );
            e = match suggestion {
                Some(s) => e.hint(format!(
                    "did you mean {}? (properties: {}; timestamps: created, edited)",
                    quote_name(&s),
                    schema.names()
                )),
                None => e.hint(format!(
                    "properties: {}; timestamps: created, edited",
                    schema.names()
                )),
            };
            Err(e.into())
        }
    }
}

/// The families of property types, by what `--where` can do with them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Text,
    Number,
    UniqueId,
    Checkbox,
    Select,
    MultiSelect,
    Date,
    Timestamp,
    People,
    Relation,
    Files,
}

fn family(kind: &str) -> Option<Family> {
    Some(match kind {
        "title" | "rich_text" | "url" | "email" | "phone_number" => Family::Text,
        "number" => Family::Number,
        "unique_id" => Family::UniqueId,
        "checkbox" => Family::Checkbox,
        "select" | "status" => Family::Select,
        "multi_select" => Family::MultiSelect,
        "date" => Family::Date,
        "created_time" | "last_edited_time" => Family::Timestamp,
        "people" | "created_by" | "last_edited_by" => Family::People,
        "relation" => Family::Relation,
        "files" => Family::Files,
        _ => return None,
    })
}

/// The operators each family takes (for messages).
fn operators(f: Family, emptiable: bool) -> &'static str {
    match (f, emptiable) {
        (Family::Text, _) => "=, !=, ~ (contains), !~, in (...), is empty, is not empty",
        (Family::Number, _) => "=, !=, <, <=, >, >=, in (...), is empty, is not empty",
        (Family::UniqueId, _) => "=, !=, <, <=, >, >=, in (...)",
        (Family::Checkbox, _) => "= true, = false, !=",
        (Family::Select, _) => "=, !=, in (...), not in (...), is empty, is not empty",
        (Family::MultiSelect | Family::Relation, _) | (Family::People, true) => {
            "= or ~ (contains), != or !~, in (...), is empty, is not empty"
        }
        (Family::People, false) => "= or ~ (contains), != or !~, in (...)",
        (Family::Date, _) => "=, !=, <, <=, >, >=, in (...), is empty, is not empty",
        (Family::Timestamp, _) => "=, !=, <, <=, >, >=, in (...)",
        (Family::Files, _) => "is empty, is not empty",
    }
}

fn condition(c: &Cond, op: Op, env: &Env) -> Res<Node> {
    let (prop, kind, name_json) = match target(&c.name, env.schema)? {
        Target::Prop(p) => (Some(p), p.kind.as_str(), p.name.clone()),
        Target::Timestamp(t) => (None, t, t.to_string()),
    };
    let fam = family(kind).ok_or_else(|| {
        WhereError::new(
            ErrorKind::Unsupported,
            format!(
                "{} is a {kind} property, which --where cannot filter",
                quote_name(&name_json)
            ),
            c.name.span.clone(),
        )
        .hint("write that filter as JSON with --filter (see `ntn datasources query --help`)")
    })?;
    // Page timestamps and timestamp properties filter on the timestamp itself.
    let timestamp = prop.is_none() || fam == Family::Timestamp;
    let ts_name = if timestamp { kind } else { "" };
    let emptiable = !matches!(kind, "created_by" | "last_edited_by");
    let wrong_op = |hint: Option<&str>| -> Failure {
        let mut e = WhereError::new(
            ErrorKind::Operator,
            format!(
                "`{}` does not apply to {}, a {kind} property",
                op.text(),
                quote_name(&name_json)
            ),
            c.op_span.clone(),
        );
        e = e.hint(match hint {
            Some(h) => format!("{h}; {kind} takes {}", operators(fam, emptiable)),
            None => format!("{kind} takes {}", operators(fam, emptiable)),
        });
        e.into()
    };
    let leaf = |cond: &str, value: Value| -> Node {
        if timestamp {
            Node::Leaf(json!({"timestamp": ts_name, ts_name: {cond: value}}))
        } else {
            Node::Leaf(json!({"property": name_json, kind: {cond: value}}))
        }
    };
    // The Notion condition of a one-value operator, per family.
    let (pos, neg): (&str, &str) = match fam {
        Family::MultiSelect | Family::People | Family::Relation => ("contains", "does_not_contain"),
        _ => ("equals", "does_not_equal"),
    };
    let empty = |is: bool| -> Res<Node> {
        if fam == Family::Checkbox {
            return Err(wrong_op(Some(&format!(
                "a checkbox is never empty: write {} = false",
                quote_name(&name_json)
            ))));
        }
        if fam == Family::UniqueId || timestamp || !emptiable {
            return Err(wrong_op(Some("it always has a value")));
        }
        Ok(leaf(
            if is { "is_empty" } else { "is_not_empty" },
            json!(true),
        ))
    };
    let one = |v: &Spanned, op: Op| -> Res<Node> {
        let value = typed(v, fam, prop, env)?;
        let date_like = matches!(fam, Family::Date | Family::Timestamp);
        Ok(match op {
            Op::Eq => leaf(pos, value),
            Op::Ne if date_like => {
                Node::Or(vec![leaf("before", value.clone()), leaf("after", value)])
            }
            Op::Ne => leaf(neg, value),
            Op::Contains if fam == Family::Text => leaf("contains", value),
            Op::NotContains if fam == Family::Text => leaf("does_not_contain", value),
            Op::Contains => leaf(pos, value),
            Op::NotContains => leaf(neg, value),
            Op::Lt if date_like => leaf("before", value),
            Op::Le if date_like => leaf("on_or_before", value),
            Op::Gt if date_like => leaf("after", value),
            Op::Ge if date_like => leaf("on_or_after", value),
            Op::Lt => leaf("less_than", value),
            Op::Le => leaf("less_than_or_equal_to", value),
            Op::Gt => leaf("greater_than", value),
            Op::Ge => leaf("greater_than_or_equal_to", value),
            // `in`, `not in` and the empties never get here (see below).
            Op::In | Op::NotIn | Op::IsEmpty | Op::IsNotEmpty => leaf(pos, value),
        })
    };
    // Which operators each family takes.
    let allowed = match fam {
        Family::Text => matches!(op, Op::Eq | Op::Ne | Op::Contains | Op::NotContains),
        Family::Number | Family::UniqueId | Family::Date | Family::Timestamp => {
            matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge)
        }
        Family::Checkbox | Family::Select => matches!(op, Op::Eq | Op::Ne),
        Family::MultiSelect | Family::People | Family::Relation => {
            matches!(op, Op::Eq | Op::Ne | Op::Contains | Op::NotContains)
        }
        Family::Files => false,
    } || matches!(op, Op::In | Op::NotIn | Op::IsEmpty | Op::IsNotEmpty);
    if !allowed || (fam == Family::Files && matches!(op, Op::In | Op::NotIn)) {
        let hint = match (fam, op) {
            (Family::Select, Op::Contains | Op::NotContains) => {
                Some("a select holds one option: use = or in (...)")
            }
            (Family::Text, Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                Some("Notion compares text for equality or containment only")
            }
            _ => None,
        };
        return Err(wrong_op(hint));
    }
    match op {
        Op::IsEmpty => empty(true),
        Op::IsNotEmpty => empty(false),
        Op::In => {
            let parts = c
                .values
                .iter()
                .map(|v| one(v, Op::Eq))
                .collect::<Res<Vec<_>>>()?;
            Ok(group(parts, false))
        }
        Op::NotIn => {
            let parts = c
                .values
                .iter()
                .map(|v| one(v, Op::Ne))
                .collect::<Res<Vec<_>>>()?;
            Ok(group(parts, true))
        }
        _ => one(&c.values[0], op),
    }
}

/// `and` (or `or`) of `parts`, or the one part alone.
fn group(mut parts: Vec<Node>, and: bool) -> Node {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    if and {
        Node::And(parts)
    } else {
        Node::Or(parts)
    }
}

fn bad_value(v: &Spanned, message: String, hint: Option<String>) -> Failure {
    let mut e = WhereError::new(ErrorKind::Value, message, v.span.clone());
    if let Some(h) = hint {
        e = e.hint(h);
    }
    e.into()
}

/// A value typed by the family: the JSON Notion's condition takes.
fn typed(v: &Spanned, fam: Family, prop: Option<&Property>, env: &Env) -> Res<Value> {
    let text = v.text.trim();
    match fam {
        Family::Text => Ok(json!(v.text)),
        Family::Number | Family::UniqueId => {
            // A unique id may be written with its prefix: TASK-12.
            let digits = if fam == Family::UniqueId {
                text.rsplit('-').next().unwrap_or(text)
            } else {
                text
            };
            number(digits).ok_or_else(|| {
                bad_value(
                    v,
                    format!("{:?} is not a number", v.text),
                    Some("numbers look like 3, -2.5 or 1e6".into()),
                )
            })
        }
        Family::Checkbox => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "checked" => Ok(json!(true)),
            "false" | "no" | "unchecked" => Ok(json!(false)),
            _ => Err(bad_value(
                v,
                format!("{:?} is not true or false", v.text),
                Some("a checkbox is true or false".into()),
            )),
        },
        Family::Select | Family::MultiSelect => {
            let Some(p) = prop.filter(|p| !p.options.is_empty()) else {
                return Ok(json!(v.text));
            };
            match find_name(text, p.options.iter().map(String::as_str)) {
                Found::Yes(i) => Ok(json!(p.options[i])),
                Found::No { suggestion } => {
                    let all = p
                        .options
                        .iter()
                        .map(|o| quote_name(o))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let hint = match suggestion {
                        Some(s) => format!("did you mean {}? (options: {all})", quote_name(&s)),
                        None => format!("options: {all}"),
                    };
                    Err(bad_value(
                        v,
                        format!("{} has no option {:?}", quote_name(&p.name), v.text),
                        Some(hint),
                    ))
                }
            }
        }
        Family::Date | Family::Timestamp => dates::parse(text, env.today)
            .map(Value::String)
            .map_err(|why| {
                bad_value(
                    v,
                    why,
                    Some(
                        "dates look like 2025-03-01, 2025-03-01T09:30:00Z, today, yesterday, \
                         tomorrow, -7d, +2w, -1m, +1y"
                            .into(),
                    ),
                )
            }),
        Family::People => {
            if text.eq_ignore_ascii_case("me") && !v.quoted {
                return Ok(json!(env.people.me()?));
            }
            if let Some(id) = uuid(text) {
                return Ok(json!(id));
            }
            if text.contains('@') {
                return match env.people.by_email(text)? {
                    Some(id) => Ok(json!(id)),
                    None => Err(bad_value(
                        v,
                        format!("nobody in this workspace has the email {:?}", v.text),
                        Some(
                            "`ntn api v1/users --paginate` lists the people of the workspace"
                                .into(),
                        ),
                    )),
                };
            }
            Err(bad_value(
                v,
                format!("{:?} is not a person", v.text),
                Some("people are `me`, an email, or a user id".into()),
            ))
        }
        Family::Relation => uuid(text).map(|id| json!(id)).ok_or_else(|| {
            bad_value(
                v,
                format!("{:?} is not a page id", v.text),
                Some("relations are matched by the related page's id or URL".into()),
            )
        }),
        Family::Files => Ok(json!(v.text)),
    }
}

/// A JSON number: an integer when it is one, else a float.
fn number(s: &str) -> Option<Value> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(json!(i));
    }
    let f: f64 = s.parse().ok().filter(|f: &f64| f.is_finite())?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// A Notion id from an id (with or without dashes) or a URL ending in one.
pub fn uuid(s: &str) -> Option<String> {
    let s = s.trim();
    let path = s.split(['?', '#']).next().unwrap_or(s);
    let hex: String = path.chars().filter(|c| *c != '-').collect();
    let tail: String = if hex.len() >= 32 {
        hex[hex.len() - 32..].to_string()
    } else {
        return None;
    };
    if !tail.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    // A bare id is only hex and dashes; a URL ends in one.
    let bare = path.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !bare && !path.contains('/') {
        return None;
    }
    let t = tail.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &t[0..8],
        &t[8..12],
        &t[12..16],
        &t[16..20],
        &t[20..32]
    ))
}

/// Notion filter JSON (as the API takes it) as filter nodes: `and`/`or` objects are
/// groups, anything else a condition.
fn from_json(v: &Value) -> Node {
    let only = |key: &str| {
        v.as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get(key))
            .and_then(Value::as_array)
    };
    if let Some(items) = only("and") {
        Node::And(items.iter().map(from_json).collect())
    } else if let Some(items) = only("or") {
        Node::Or(items.iter().map(from_json).collect())
    } else {
        Node::Leaf(v.clone())
    }
}

/// The filter that matches what every one of `filters` matches (Notion filter JSON),
/// within Notion's nesting limit: nested groups merged, and a deeper result rewritten as
/// `--where` rewrites (see the module docs). `None` when it cannot be written within
/// [`MAX_DEPTH`] levels and [`MAX_CONDITIONS`] conditions, or when `filters` is empty.
pub fn conjoin(filters: &[Value]) -> Option<Value> {
    if filters.is_empty() {
        return None;
    }
    let node = flatten(Node::And(filters.iter().map(from_json).collect()));
    let node = if depth(&node) > MAX_DEPTH {
        fit(node)?
    } else {
        node
    };
    Some(to_json(node))
}

/// Merges nested groups of the same kind and drops one-child groups.
fn flatten(n: Node) -> Node {
    match n {
        Node::Leaf(_) => n,
        Node::And(v) | Node::Or(v) if v.len() == 1 => {
            flatten(v.into_iter().next().unwrap_or(Node::And(vec![])))
        }
        Node::And(v) => {
            let mut out = vec![];
            for c in v.into_iter().map(flatten) {
                match c {
                    Node::And(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            Node::And(out)
        }
        Node::Or(v) => {
            let mut out = vec![];
            for c in v.into_iter().map(flatten) {
                match c {
                    Node::Or(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            Node::Or(out)
        }
    }
}

/// Levels of compound nesting (a leaf is 0).
fn depth(n: &Node) -> usize {
    match n {
        Node::Leaf(_) => 0,
        Node::And(v) | Node::Or(v) => 1 + v.iter().map(depth).max().unwrap_or(0),
    }
}

/// The expression as an `or` of `and`s or an `and` of `or`s (the smaller),
/// when it has at most [`MAX_CONDITIONS`] conditions.
fn fit(n: Node) -> Option<Node> {
    let dnf = normal(&n, true);
    let cnf = normal(&n, false);
    let size = |c: &Option<Vec<Vec<Value>>>| {
        c.as_ref()
            .map_or(usize::MAX, |c| c.iter().map(Vec::len).sum())
    };
    let (clauses, or_of_ands) = if size(&dnf) <= size(&cnf) {
        (dnf?, true)
    } else {
        (cnf?, false)
    };
    let groups: Vec<Node> = clauses
        .into_iter()
        .map(|c| group(c.into_iter().map(Node::Leaf).collect(), or_of_ands))
        .collect();
    Some(flatten(group(groups, !or_of_ands)))
}

/// Clauses of the disjunctive (`or` of `and`s, `dnf`) or conjunctive normal
/// form; `None` beyond [`MAX_CONDITIONS`] conditions.
fn normal(n: &Node, dnf: bool) -> Option<Vec<Vec<Value>>> {
    let total = |c: &Vec<Vec<Value>>| c.iter().map(Vec::len).sum::<usize>();
    let out = match n {
        Node::Leaf(v) => vec![vec![v.clone()]],
        // The side that concatenates clauses.
        Node::Or(v) if dnf => concat(v, dnf)?,
        Node::And(v) if !dnf => concat(v, dnf)?,
        // The side that distributes.
        Node::And(v) | Node::Or(v) => {
            let mut acc: Vec<Vec<Value>> = vec![vec![]];
            for child in v {
                let c = normal(child, dnf)?;
                let mut next = Vec::with_capacity(acc.len() * c.len());
                for a in &acc {
                    for b in &c {
                        let mut clause = a.clone();
                        clause.extend(b.iter().cloned());
                        next.push(clause);
                    }
                }
                if total(&next) > MAX_CONDITIONS {
                    return None;
                }
                acc = next;
            }
            acc
        }
    };
    (total(&out) <= MAX_CONDITIONS).then_some(out)
}

fn concat(v: &[Node], dnf: bool) -> Option<Vec<Vec<Value>>> {
    let mut out = vec![];
    for child in v {
        out.extend(normal(child, dnf)?);
    }
    Some(out)
}

fn to_json(n: Node) -> Value {
    match n {
        Node::Leaf(v) => v,
        Node::And(v) => json!({"and": v.into_iter().map(to_json).collect::<Vec<_>>()}),
        Node::Or(v) => json!({"or": v.into_iter().map(to_json).collect::<Vec<_>>()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// The Roadmap data source of the sandbox's fixture, as a schema.
    fn schema() -> Schema {
        let mut props = serde_json::Map::new();
        let mut add = |name: &str, kind: &str, options: &[&str]| {
            let opts: Vec<Value> = options.iter().map(|o| json!({"name": o})).collect();
            props.insert(
                name.into(),
                json!({"id": format!("id-{name}"), "name": name, "type": kind, kind: {"options": opts}}),
            );
        };
        add("Name", "title", &[]);
        add("Notes", "rich_text", &[]);
        add("Estimate", "number", &[]);
        add("Stage", "select", &["Idea", "Planned", "Shipped"]);
        add("Status", "status", &["Not started", "In progress", "Done"]);
        add("Tags", "multi_select", &["backend", "frontend", "docs"]);
        add("Due date", "date", &[]);
        add("Done", "checkbox", &[]);
        add("Owner", "people", &[]);
        add("Blocked by", "relation", &[]);
        add("Link", "url", &[]);
        add("Contact", "email", &[]);
        add("Files", "files", &[]);
        add("Task id", "unique_id", &[]);
        add("Created by", "created_by", &[]);
        add("Made", "created_time", &[]);
        add("Score", "formula", &[]);
        Schema::from_json(&json!({"id": "ds", "title": [], "properties": props})).unwrap()
    }

    struct Directory;

    impl People for Directory {
        fn me(&self) -> Result<String> {
            Ok("aaaaaaaa-0000-4000-8000-000000000001".into())
        }
        fn by_email(&self, email: &str) -> Result<Option<String>> {
            Ok((email == "gus@acme.test").then(|| "aaaaaaaa-0000-4000-8000-000000000002".into()))
        }
    }

    fn run(src: &str) -> Result<Value> {
        let s = schema();
        compile(
            src,
            &Env {
                schema: &s,
                today: jiff::civil::Date::constant(2025, 3, 15),
                people: &Directory,
            },
        )
    }

    fn p(name: &str, kind: &str, cond: &str, v: Value) -> Value {
        json!({"property": name, kind: {cond: v}})
    }

    const ALICE: &str = "aaaaaaaa-0000-4000-8000-000000000001";
    const GUS: &str = "aaaaaaaa-0000-4000-8000-000000000002";
    const PAGE: &str = "d4000000-0000-4000-8000-000000000002";

    #[test]
    fn expressions_compile_to_notion_filters() {
        let cases: Vec<(&str, Value)> = vec![
            // Text: title, rich text, url, email.
            (
                "Name = \"Billing API\"",
                p("Name", "title", "equals", json!("Billing API")),
            ),
            (
                "name != x",
                p("Name", "title", "does_not_equal", json!("x")),
            ),
            (
                "Notes ~ launch",
                p("Notes", "rich_text", "contains", json!("launch")),
            ),
            (
                "Notes !~ 'big one'",
                p("Notes", "rich_text", "does_not_contain", json!("big one")),
            ),
            (
                "Notes is empty",
                p("Notes", "rich_text", "is_empty", json!(true)),
            ),
            (
                "Link is not empty",
                p("Link", "url", "is_not_empty", json!(true)),
            ),
            (
                "Contact = a@b.test",
                p("Contact", "email", "equals", json!("a@b.test")),
            ),
            (
                "Name in (a, b)",
                json!({"or": [p("Name", "title", "equals", json!("a")), p("Name", "title", "equals", json!("b"))]}),
            ),
            // Numbers.
            (
                "Estimate > 8",
                p("Estimate", "number", "greater_than", json!(8)),
            ),
            (
                "Estimate >= 5.5",
                p("Estimate", "number", "greater_than_or_equal_to", json!(5.5)),
            ),
            (
                "Estimate < -1e3",
                p("Estimate", "number", "less_than", json!(-1000.0)),
            ),
            (
                "Estimate <= 3",
                p("Estimate", "number", "less_than_or_equal_to", json!(3)),
            ),
            (
                "Estimate = 13",
                p("Estimate", "number", "equals", json!(13)),
            ),
            (
                "Estimate != 13",
                p("Estimate", "number", "does_not_equal", json!(13)),
            ),
            (
                "Estimate is empty",
                p("Estimate", "number", "is_empty", json!(true)),
            ),
            (
                "\"Task id\" = TASK-12",
                p("Task id", "unique_id", "equals", json!(12)),
            ),
            // Checkbox.
            ("Done = true", p("Done", "checkbox", "equals", json!(true))),
            ("Done = No", p("Done", "checkbox", "equals", json!(false))),
            (
                "Done != false",
                p("Done", "checkbox", "does_not_equal", json!(false)),
            ),
            // Select and status: options checked, case folded to the option's.
            (
                "Stage = planned",
                p("Stage", "select", "equals", json!("Planned")),
            ),
            (
                "Stage != Idea",
                p("Stage", "select", "does_not_equal", json!("Idea")),
            ),
            (
                "Stage is empty",
                p("Stage", "select", "is_empty", json!(true)),
            ),
            (
                "Status = In progress",
                p("Status", "status", "equals", json!("In progress")),
            ),
            (
                "Status = \"Not started\"",
                p("Status", "status", "equals", json!("Not started")),
            ),
            (
                "Status not in (Done, 'Not started')",
                json!({"and": [
                p("Status", "status", "does_not_equal", json!("Done")),
                p("Status", "status", "does_not_equal", json!("Not started"))]}),
            ),
            // Multi-select.
            (
                "Tags = docs",
                p("Tags", "multi_select", "contains", json!("docs")),
            ),
            (
                "Tags ~ docs",
                p("Tags", "multi_select", "contains", json!("docs")),
            ),
            (
                "Tags !~ docs",
                p("Tags", "multi_select", "does_not_contain", json!("docs")),
            ),
            (
                "Tags != docs",
                p("Tags", "multi_select", "does_not_contain", json!("docs")),
            ),
            (
                "Tags in (docs)",
                p("Tags", "multi_select", "contains", json!("docs")),
            ),
            (
                "Tags is not empty",
                p("Tags", "multi_select", "is_not_empty", json!(true)),
            ),
            // Dates, absolute and relative to 2025-03-15.
            (
                "\"Due date\" < today",
                p("Due date", "date", "before", json!("2025-03-15")),
            ),
            (
                "Due date <= yesterday",
                p("Due date", "date", "on_or_before", json!("2025-03-14")),
            ),
            (
                "Due date > tomorrow",
                p("Due date", "date", "after", json!("2025-03-16")),
            ),
            (
                "Due date >= -7d",
                p("Due date", "date", "on_or_after", json!("2025-03-08")),
            ),
            (
                "Due date = +2w",
                p("Due date", "date", "equals", json!("2025-03-29")),
            ),
            (
                "Due date = 2025-02-01",
                p("Due date", "date", "equals", json!("2025-02-01")),
            ),
            (
                "Due date != 2025-02-01",
                json!({"or": [
                p("Due date", "date", "before", json!("2025-02-01")),
                p("Due date", "date", "after", json!("2025-02-01"))]}),
            ),
            (
                "Due date is empty",
                p("Due date", "date", "is_empty", json!(true)),
            ),
            // Timestamps: the page's own, and a created_time property.
            (
                "created >= -1m",
                json!({"timestamp": "created_time", "created_time": {"on_or_after": "2025-02-15"}}),
            ),
            (
                "edited < 2025-03-01T09:30:00+01:00",
                json!({"timestamp": "last_edited_time", "last_edited_time": {"before": "2025-03-01T08:30:00Z"}}),
            ),
            (
                "Made > 2025-01-01",
                json!({"timestamp": "created_time", "created_time": {"after": "2025-01-01"}}),
            ),
            // People: me, an email, an id.
            ("Owner = me", p("Owner", "people", "contains", json!(ALICE))),
            (
                "Owner ~ gus@acme.test",
                p("Owner", "people", "contains", json!(GUS)),
            ),
            (
                "Owner != aaaaaaaa000040008000000000000002",
                p("Owner", "people", "does_not_contain", json!(GUS)),
            ),
            (
                "Owner is empty",
                p("Owner", "people", "is_empty", json!(true)),
            ),
            (
                "\"Created by\" = me",
                p("Created by", "created_by", "contains", json!(ALICE)),
            ),
            // Relations: ids or URLs.
            (
                "\"Blocked by\" = d4000000000040008000000000000002",
                p("Blocked by", "relation", "contains", json!(PAGE)),
            ),
            (
                "\"Blocked by\" ~ 'https://www.notion.so/Billing-API-d4000000000040008000000000000002?pvs=4'",
                p("Blocked by", "relation", "contains", json!(PAGE)),
            ),
            (
                "Blocked by is not empty",
                p("Blocked by", "relation", "is_not_empty", json!(true)),
            ),
            // Files.
            (
                "Files is empty",
                p("Files", "files", "is_empty", json!(true)),
            ),
        ];
        for (src, want) in cases {
            match run(src) {
                Ok(got) => assert_eq!(got, want, "{src}"),
                Err(e) => panic!("{src}: {}", e.message()),
            }
        }
    }

    #[test]
    fn filters_conjoined_stay_within_two_levels() {
        let a = json!({"property": "A", "checkbox": {"equals": true}});
        let b = json!({"property": "B", "checkbox": {"equals": true}});
        let c = json!({"property": "C", "checkbox": {"equals": true}});
        let t = json!({"timestamp": "created_time", "created_time": {"on_or_after": "2025-01-01T00:00:00.000Z"}});
        // A condition joins a top-level and.
        assert_eq!(
            conjoin(&[json!({"and": [a, b]}), t.clone()]).unwrap(),
            json!({"and": [a, b, t]})
        );
        // An or of conditions goes one level down.
        assert_eq!(
            conjoin(&[json!({"or": [a, b]}), t.clone()]).unwrap(),
            json!({"and": [{"or": [a, b]}, t]})
        );
        // An or of ands (two levels) is rewritten: the condition goes into each and.
        let got = conjoin(&[json!({"or": [{"and": [a, b]}, c]}), t.clone()]).unwrap();
        assert_eq!(got, json!({"or": [{"and": [a, b, t]}, {"and": [c, t]}]}));
        assert!(depth_of(&got) <= 2);
        // One filter is itself; none is nothing.
        assert_eq!(conjoin(std::slice::from_ref(&a)).unwrap(), a);
        assert_eq!(conjoin(&[]), None);
        // Too big to rewrite: None.
        let wide = |n: usize, p: &str| {
            json!({"or": (0..n).map(|i| json!({"and": [
                {"property": format!("{p}{i}"), "checkbox": {"equals": true}},
                {"property": format!("{p}{i}x"), "checkbox": {"equals": true}}]})).collect::<Vec<_>>()})
        };
        assert_eq!(conjoin(&[wide(12, "P"), wide(12, "Q")]), None);
    }

    #[test]
    fn and_or_not_fit_notions_nesting_limit() {
        let done = p("Done", "checkbox", "equals", json!(true));
        let not_done = p("Done", "checkbox", "does_not_equal", json!(true));
        let docs = p("Tags", "multi_select", "contains", json!("docs"));
        let no_docs = p("Tags", "multi_select", "does_not_contain", json!("docs"));
        let big = p("Estimate", "number", "greater_than", json!(8));
        let small = p("Estimate", "number", "less_than_or_equal_to", json!(8));
        let idea = p("Stage", "select", "equals", json!("Idea"));
        let cases: Vec<(&str, Value)> = vec![
            ("Done = true and Tags = docs", json!({"and": [done, docs]})),
            (
                "Done = true or Tags = docs or Estimate > 8",
                json!({"or": [done, docs, big]}),
            ),
            // Groups of the same kind merge.
            (
                "Done = true and (Tags = docs and (Estimate > 8))",
                json!({"and": [done, docs, big]}),
            ),
            ("(Done = true)", done.clone()),
            // not: pushed down with De Morgan, operators negated.
            ("not Done = true", not_done.clone()),
            ("not not Done = true", done.clone()),
            (
                "not (Done = true or Estimate > 8)",
                json!({"and": [not_done, small]}),
            ),
            (
                "not (Done = true and Tags = docs)",
                json!({"or": [not_done, no_docs]}),
            ),
            (
                "not Tags in (docs, backend)",
                json!({"and": [no_docs, p("Tags", "multi_select", "does_not_contain", json!("backend"))]}),
            ),
            (
                "not Notes is empty",
                p("Notes", "rich_text", "is_not_empty", json!(true)),
            ),
            // Two levels: as written.
            (
                "Done = true and (Tags = docs or Estimate > 8)",
                json!({"and": [done, {"or": [docs, big]}]}),
            ),
        ];
        for (src, want) in &cases {
            assert_eq!(run(src).unwrap(), *want, "{src}");
        }
        // Three levels: rewritten as an or of ands (smaller here).
        let got = run("Done = true and (Tags = docs or (Estimate > 8 and Stage = Idea))").unwrap();
        assert_eq!(
            got,
            json!({"or": [{"and": [done, docs]}, {"and": [done, big, idea]}]})
        );
        // ...or an and of ors when that is smaller.
        let empty = p("Notes", "rich_text", "is_empty", json!(true));
        let got = run(
            "Done = true or (Tags = docs and (Estimate > 8 or Stage = Idea or Notes is empty))",
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"and": [{"or": [done, docs]}, {"or": [done, big, idea, empty]}]})
        );
        // A date != inside a three-level expression stays within two levels.
        let got = run("Done = true and (Tags = docs or (Due date != 2025-01-01 and Estimate > 8))")
            .unwrap();
        assert!(depth_of(&got) <= 2, "{got}");
    }

    fn depth_of(v: &Value) -> usize {
        for k in ["and", "or"] {
            if let Some(a) = v.get(k).and_then(Value::as_array) {
                return 1 + a.iter().map(depth_of).max().unwrap_or(0);
            }
        }
        0
    }

    fn err(src: &str) -> (Error, WhereError) {
        let e = run(src).expect_err(src);
        let w = e
            .data::<WhereError>()
            .cloned()
            .unwrap_or_else(|| panic!("{src}: {}", e.message()));
        (e, w)
    }

    #[test]
    fn every_error_points_at_its_part_and_says_what_to_do() {
        let cases: &[(&str, ErrorKind, std::ops::Range<usize>, &str, &str)] = &[
            (
                "Stauts = Done",
                ErrorKind::UnknownProperty,
                0..6,
                "no property is called \"Stauts\"",
                "did you mean Status?",
            ),
            (
                "Xyzzy = 1",
                ErrorKind::UnknownProperty,
                0..5,
                "no property is called",
                "properties: Name, Notes",
            ),
            (
                "\"Due dat\" < today",
                ErrorKind::UnknownProperty,
                0..9,
                "\"Due dat\"",
                "did you mean \"Due date\"?",
            ),
            (
                "Status = Don",
                ErrorKind::Value,
                9..12,
                "Status has no option \"Don\"",
                "did you mean Done?",
            ),
            (
                "Stage = Launched",
                ErrorKind::Value,
                8..16,
                "Stage has no option",
                "options: Idea, Planned, Shipped",
            ),
            (
                "Tags in (docs, bugs)",
                ErrorKind::Value,
                15..19,
                "Tags has no option \"bugs\"",
                "options: backend",
            ),
            (
                "Estimate > lots",
                ErrorKind::Value,
                11..15,
                "\"lots\" is not a number",
                "numbers look like",
            ),
            (
                "Done = maybe",
                ErrorKind::Value,
                7..12,
                "not true or false",
                "true or false",
            ),
            (
                "Due date < soon",
                ErrorKind::Value,
                11..15,
                "\"soon\" is not a date",
                "-7d",
            ),
            (
                "Due date < 2025-03-01T10:00",
                ErrorKind::Value,
                11..27,
                "no time zone",
                "dates look like",
            ),
            (
                "Owner = nobody@acme.test",
                ErrorKind::Value,
                8..24,
                "nobody in this workspace has the email",
                "v1/users",
            ),
            (
                "Owner = Alice",
                ErrorKind::Value,
                8..13,
                "\"Alice\" is not a person",
                "`me`, an email",
            ),
            (
                "Owner = \"me\"",
                ErrorKind::Value,
                8..12,
                "\"me\" is not a person",
                "`me`",
            ),
            (
                "Blocked by = Billing",
                ErrorKind::Value,
                13..20,
                "not a page id",
                "page's id or URL",
            ),
            (
                "Estimate ~ 3",
                ErrorKind::Operator,
                9..10,
                "`~` does not apply to Estimate, a number property",
                "number takes =, !=, <",
            ),
            (
                "Name > b",
                ErrorKind::Operator,
                5..6,
                "`>` does not apply to Name, a title property",
                "equality or containment",
            ),
            (
                "Stage ~ Idea",
                ErrorKind::Operator,
                6..7,
                "`~` does not apply",
                "a select holds one option",
            ),
            (
                "Done is empty",
                ErrorKind::Operator,
                5..13,
                "`is empty` does not apply",
                "write Done = false",
            ),
            (
                "Done > true",
                ErrorKind::Operator,
                5..6,
                "`>` does not apply",
                "checkbox takes",
            ),
            (
                "created is empty",
                ErrorKind::Operator,
                8..16,
                "`is empty` does not apply to created_time",
                "always has a value",
            ),
            (
                "Files = x",
                ErrorKind::Operator,
                6..7,
                "`=` does not apply to Files",
                "is empty, is not empty",
            ),
            (
                "Tags < docs",
                ErrorKind::Operator,
                5..6,
                "`<` does not apply",
                "multi_select takes",
            ),
            (
                "\"Created by\" is empty",
                ErrorKind::Operator,
                13..21,
                "does not apply",
                "always has a value",
            ),
            (
                "Score > 3",
                ErrorKind::Unsupported,
                0..5,
                "Score is a formula property, which --where cannot filter",
                "--filter",
            ),
            (
                "Status = Done and",
                ErrorKind::Syntax,
                17..17,
                "expected a condition",
                "",
            ),
        ];
        for (src, kind, span, message, hint) in cases {
            let (e, w) = err(src);
            assert_eq!(w.kind, *kind, "{src}: {}", w.message);
            assert_eq!(&w.span, span, "{src}: {}", w.message);
            assert!(w.message.contains(message), "{src}: {}", w.message);
            let h = e.hint_text().unwrap_or("");
            assert!(h.contains(hint), "{src}: {h}");
            assert_eq!(e.exit_code().code(), 2);
            assert!(e.message().starts_with("--where: "), "{}", e.message());
        }
        let (e, _) = err("Stauts = Done");
        assert_eq!(
            e.message(),
            "--where: no property is called \"Stauts\"\n    Stauts = Done\n    ^^^^^^"
        );
    }

    #[test]
    fn expressions_too_deep_to_rewrite_are_refused() {
        // Eleven groups of ten alternatives: 10^11 clauses either way.
        let groups: Vec<String> = (0..11)
            .map(|g| {
                let alts: Vec<String> = (0..10)
                    .map(|i| format!("Estimate = {}", g * 10 + i))
                    .collect();
                format!("(Done = true or ({}))", alts.join(" and "))
            })
            .collect();
        let src = format!("Name = x or ({})", groups.join(" and "));
        let (e, w) = err(&src);
        assert_eq!(w.kind, ErrorKind::TooComplex);
        assert_eq!(w.span, 0..src.len());
        assert!(e.hint_text().unwrap().contains("--filter"));
    }

    #[test]
    fn people_lookups_fail_with_their_own_errors() {
        struct Offline;
        impl People for Offline {
            fn me(&self) -> Result<String> {
                Err(Error::api("the network is down"))
            }
            fn by_email(&self, _: &str) -> Result<Option<String>> {
                Err(Error::api("the network is down"))
            }
        }
        let s = schema();
        let env = Env {
            schema: &s,
            today: jiff::civil::Date::constant(2025, 3, 15),
            people: &Offline,
        };
        let e = compile("Owner = me", &env).unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
        assert!(e.data::<WhereError>().is_none());
        // No lookup when none is needed.
        assert!(compile("Owner = aaaaaaaa-0000-4000-8000-000000000002", &env).is_ok());
    }

    #[test]
    fn ids_from_ids_and_urls() {
        for s in [
            PAGE,
            "d4000000000040008000000000000002",
            "D4000000000040008000000000000002",
            "https://www.notion.so/acme/Billing-API-d4000000000040008000000000000002?pvs=4",
        ] {
            assert_eq!(uuid(s).as_deref(), Some(PAGE), "{s}");
        }
        for s in [
            "",
            "Billing",
            "d400",
            "zz000000000040008000000000000002",
            "Billing-d4000000000040008000000000000002",
        ] {
            assert_eq!(uuid(s), None, "{s}");
        }
    }
}
