//! `ntn datasources`: query a data source (`query`), list a database's data
//! sources (`resolve`), show a data source's properties (`schema`), list a
//! database's views (`views`), set properties of the rows a filter matches
//! (`update`), bring rows from a file (`import`).
//!
//! Thin: finding the data source, the `--where` compiler, sorts, columns and
//! values are in [`crate::notion::datasources`]; output modes in
//! [`crate::output::records`].

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::http;
use crate::notion::datasources::source::{self, SourceRef};
use crate::notion::datasources::views;
use crate::notion::{Notion, Pacer};
use crate::output::{Mode, RecordArgs, text};

pub mod import;
pub mod query;
pub mod report;
pub mod stream;
pub mod update;

/// The environment variables of `ntn datasources` and `ntn search`.
pub const ENV_HELP: &str = crate::env_help!(
    @token,
    "  NOTION_API_VERSION         Notion-Version header to send",
    "  TZ                         time zone of `today` in --where (default: the system's)",
);

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Work with data sources (the tables inside Notion databases): query their rows \
with filters you can type, list a database's data sources, show a data source's properties, \
list and query through a database's views, set properties of the rows a filter matches, bring rows \
back from a CSV or NDJSON file.\n\n\
Examples:\n  ntn datasources resolve https://www.notion.so/acme/1f2e3d4c5b6a47988a7b6c5d4e3f2a1b\n  \
ntn datasources schema Roadmap\n  ntn datasources query Roadmap --where 'Status != Done and Owner = me'\n  \
ntn datasources query Roadmap --all --csv > roadmap.csv\n  \
ntn datasources views Roadmap\n  \
ntn datasources import Roadmap roadmap.csv --dry-run\n  \
ntn datasources update Roadmap --where 'Status = Done' --set Stage=Shipped --yes",
    after_long_help = ENV_HELP
)]
pub struct Args {
    #[command(subcommand)]
    pub command: DataSourcesCommand,
}

#[derive(Debug, Subcommand)]
pub enum DataSourcesCommand {
    /// Query a data source: its rows as a table, TSV, CSV, JSON or ids
    #[command(long_about = query::ABOUT, after_long_help = ENV_HELP)]
    Query(query::QueryArgs),
    /// List the data sources of a database (id, name)
    #[command(long_about = RESOLVE_ABOUT, after_long_help = ENV_HELP)]
    Resolve(ResolveArgs),
    /// Show a data source's properties: names, types, options, ids
    #[command(long_about = SCHEMA_ABOUT, after_long_help = ENV_HELP)]
    Schema(SchemaArgs),
    /// List a database's views: id, name, type, filter and sorts
    #[command(long_about = VIEWS_ABOUT, after_long_help = ENV_HELP)]
    Views(ViewsArgs),
    /// Set properties of every row a filter matches (--set Prop=value)
    #[command(long_about = update::ABOUT, after_long_help = ENV_HELP)]
    Update(update::UpdateArgs),
    /// Bring rows from a CSV or NDJSON file: update changed cells, create new rows
    #[command(long_about = import::ABOUT, after_long_help = ENV_HELP)]
    Import(import::ImportArgs),
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        DataSourcesCommand::Query(a) => query::run(ctx, a),
        DataSourcesCommand::Resolve(a) => run_resolve(ctx, a),
        DataSourcesCommand::Schema(a) => run_schema(ctx, a),
        DataSourcesCommand::Views(a) => run_views(ctx, a),
        DataSourcesCommand::Update(a) => update::run(ctx, a),
        DataSourcesCommand::Import(a) => import::run(ctx, a),
    }
}

/// The API client of these commands: paced, so that bulk work stays under
/// Notion's rate limit (see [`crate::notion::pace`]); its work ends within a
/// minute (one page of rows, a schema, a view).
pub fn connect(ctx: &Context) -> Result<Notion> {
    connect_within(ctx, http::REQUEST_TIMEOUT)
}

/// [`connect`] for work that ends within `budget`.
pub fn connect_within(ctx: &Context, budget: Duration) -> Result<Notion> {
    let (notion, _) = ctx.notion(budget)?;
    Ok(notion.paced(Arc::new(Pacer::new(ctx.clock.clone()))))
}

/// [`connect`] for a listing: an hour ([`READ_ALL`]) when it may be long
/// (`--all`, or a `--limit` past one page), else a minute.
pub fn connect_for(ctx: &Context, paging: &crate::commands::paging::PagingArgs) -> Result<Notion> {
    if paging.long() {
        connect_within(ctx, READ_ALL)
    } else {
        connect(ctx)
    }
}

/// How long reading every row of a data source may take: an hour (at Notion's
/// three requests a second on average, 100 rows a request, a million rows).
pub const READ_ALL: Duration = Duration::from_secs(3600);

/// How long writing `rows` rows one request each may take, counted from when
/// the writing starts (after the rows were read and the question answered): a
/// minute, and two seconds a row (Notion allows three requests a second on
/// average, and a 429 asks to wait a second or more).
pub fn write_budget(rows: u64) -> Duration {
    http::REQUEST_TIMEOUT + Duration::from_secs(2).saturating_mul(rows.min(u32::MAX as u64) as u32)
}

/// `notion` (its token, version and pacer) with a fresh deadline of `budget`.
pub fn renewed(ctx: &Context, notion: &Notion, budget: Duration) -> Notion {
    notion.clone().with_http(ctx.http_within(budget))
}

/// `today` for `--where` and `--set`: the command's clock, in its `TZ`.
pub fn today(ctx: &Context) -> jiff::civil::Date {
    crate::notion::datasources::dates::local_today(
        ctx.clock.unix_ms(),
        ctx.vars.value(crate::vars::TZ),
    )
}

/// The rows `--where EXPR` selects (compiled against `schema`), else those of
/// `--filter` (`raw`, already read), else none.
pub fn rows_filter(
    expr: Option<&str>,
    raw: Option<Value>,
    schema: &crate::notion::datasources::Schema,
    today: jiff::civil::Date,
    people: &dyn crate::notion::datasources::People,
) -> Result<Option<Value>> {
    match expr {
        Some(expr) => {
            let env = crate::notion::datasources::Env {
                schema,
                today,
                people,
            };
            Ok(Some(crate::notion::datasources::compile(expr, &env)?))
        }
        None => Ok(raw),
    }
}

/// `--filter JSON|@FILE|-` of `query`, `update` and `import`: Notion's filter JSON
/// (an object). Inline JSON that does not parse is a usage error (exit 2); a
/// file or stdin that does not, a local one (exit 1).
fn read_filter(ctx: &Context, spec: &str) -> Result<Value> {
    use crate::error::ExitCode;
    use std::io::Read;
    let (bytes, what, code) = if spec == "-" {
        let mut buf = Vec::new();
        if let Some(mut stdin) = ctx.ui.take_stdin() {
            stdin
                .read_to_end(&mut buf)
                .map_err(|e| Error::local("cannot read the filter from stdin").cause(&e))?;
        }
        (
            buf,
            "the filter read from stdin".to_string(),
            ExitCode::Local,
        )
    } else if let Some(path) = spec.strip_prefix('@') {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::local(format!("cannot read {path}"))
                .hint("check the path given to --filter @FILE")
                .cause(&e)
        })?;
        (bytes, format!("the filter in {path}"), ExitCode::Local)
    } else {
        (
            spec.as_bytes().to_vec(),
            "--filter".to_string(),
            ExitCode::Usage,
        )
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(
            Error::new(code, format!("{what} is not a JSON object")).hint(
                "a filter is an object: {\"property\": ..., \"<type>\": {...}} or {\"and\": [...]}",
            ),
        ),
        Err(e) => Err(Error::new(code, format!("{what} is not valid JSON: {e}"))
            .hint("--filter takes Notion's filter JSON; --where takes expressions")),
    }
}

/// A value as a raw JSON record.
fn raw(v: &Value) -> Result<Box<RawValue>> {
    RawValue::from_string(v.to_string())
        .map_err(|e| Error::local("cannot write a record as JSON").cause(&e))
}

const RESOLVE_ABOUT: &str = "List the data sources of a database: id and name. Since Notion API \
2025-09-03 a database holds one or more data sources; queries and schemas work on a data source.\n\n\
DATABASE is a database id or its URL (Share → Copy link in Notion).\n\n\
Examples:\n  ntn datasources resolve 1f2e3d4c5b6a47988a7b6c5d4e3f2a1b\n  \
ntn datasources resolve https://www.notion.so/acme/Roadmap-1f2e3d4c5b6a47988a7b6c5d4e3f2a1b?v=9a8b7c6d5e4f40318a2b1c0d9e8f7a6b\n  \
ntn datasources resolve <id> --ids | head -n 1";

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// A database id or URL
    #[arg(value_name = "DATABASE")]
    pub database: String,
    #[command(flatten)]
    pub format: RecordArgs,
}

fn run_resolve(ctx: &Context, args: ResolveArgs) -> Result<()> {
    let id = match source::parse(&args.database)? {
        SourceRef::Id(id) => id,
        SourceRef::Title(t) => {
            return Err(Error::usage(format!(
                "{:?} is not a database id or URL",
                text::clean(&t)
            ))
            .hint("copy the database's link in Notion (Share → Copy link), or find it with `ntn search`"));
        }
    };
    let notion = connect(ctx)?;
    let (title, sources) = source::database_sources(&notion, &id)?;
    let mode = args.format.mode();
    if mode == Mode::Table && !title.is_empty() {
        let dim = crate::output::style::DIM;
        ctx.ui.message(format_args!(
            "{dim}database {} ({id}){dim:#}",
            text::one_line(&title)
        ));
    }
    let headers = match mode {
        Mode::Table => vec!["ID".into(), "NAME".into()],
        _ => vec!["id".into(), "name".into()],
    };
    let mut records = args.format.records(&ctx.ui, headers);
    for (id, name) in &sources {
        let json = raw(&serde_json::json!({"id": id, "name": name}))?;
        records.push(id, || vec![id.clone(), name.clone()], &json)?;
    }
    let n = records.count();
    records.finish()?;
    if n == 0 && mode == Mode::Table {
        ctx.ui.message("No data sources this integration can see.");
    }
    Ok(())
}

const SCHEMA_ABOUT: &str = "Show a data source's properties: name, type, options (of selects, \
multi-selects and statuses) and id. Names and options are what --where, --sort and --columns \
take; ids are what filter_properties takes.\n\n\
SOURCE is a data source id, a database id or URL (its data source), or a data source's title.\n\n\
With --json, each property object as Notion returns it.\n\n\
Examples:\n  ntn datasources schema Roadmap\n  ntn datasources schema <id> --plain | cut -f1,2\n  \
ntn datasources schema <id> --json | jq -r '.[] | select(.type == \"status\") | .status.options[].name'";

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// A data source id, a database id or URL, or a data source's title
    #[arg(value_name = "SOURCE")]
    pub source: String,
    #[command(flatten)]
    pub format: RecordArgs,
}

fn run_schema(ctx: &Context, args: SchemaArgs) -> Result<()> {
    let notion = connect(ctx)?;
    let schema = crate::notion::datasources::resolve(&notion, &args.source)?;
    let mode = args.format.mode();
    if mode == Mode::Table {
        let dim = crate::output::style::DIM;
        ctx.ui.message(format_args!(
            "{dim}data source {} ({}){dim:#}",
            text::one_line(&schema.title),
            schema.id
        ));
    }
    let headers = match mode {
        Mode::Table => vec!["NAME".into(), "TYPE".into(), "OPTIONS".into(), "ID".into()],
        _ => vec!["name".into(), "type".into(), "options".into(), "id".into()],
    };
    let mut records = args.format.records(&ctx.ui, headers);
    for p in &schema.properties {
        let json = schema.raw["properties"]
            .as_object()
            .and_then(|m| m.values().find(|v| v["id"] == p.id.as_str()))
            .cloned()
            .unwrap_or(Value::Null);
        let cells = || {
            vec![
                p.name.clone(),
                p.kind.clone(),
                p.options.join(", "),
                p.id.clone(),
            ]
        };
        records.push(&p.id, cells, &raw(&json)?)?;
    }
    records.finish()
}

const VIEWS_ABOUT: &str = "List the views of a database (or of one of its data sources): id, name, \
type (table, board, list, calendar, timeline, gallery, ...), the data source it shows, and what its \
filter tests and how it sorts. `ntn datasources query SOURCE --view ID` (or the view's link, \
with ?v=) queries through a view: its filter, sorts and visible columns.\n\n\
SOURCE is a database id or URL (every view of the database), a data source id or a data source's \
title (the views showing that data source).\n\n\
With --json, each view object as Notion returns it (filter, sorts, configuration).\n\n\
Examples:\n  ntn datasources views Roadmap\n  \
ntn datasources views https://www.notion.so/acme/Roadmap-1f2e3d4c5b6a47988a7b6c5d4e3f2a1b\n  \
ntn datasources views Roadmap --json | jq '.[] | {name, filter}'\n  \
ntn datasources query Roadmap --view \"$(ntn datasources views Roadmap --ids | head -n 1)\"";

#[derive(Debug, clap::Args)]
pub struct ViewsArgs {
    /// A database id or URL, a data source id, or a data source's title
    #[arg(value_name = "SOURCE")]
    pub source: String,
    #[command(flatten)]
    pub format: RecordArgs,
}

fn run_views(ctx: &Context, args: ViewsArgs) -> Result<()> {
    let notion = connect(ctx)?;
    let (scope, label) = source::views_scope(&notion, &args.source)?;
    let list = views::list(&notion, &scope)?;
    let mode = args.format.mode();
    if mode == Mode::Table {
        let dim = crate::output::style::DIM;
        ctx.ui.message(format_args!(
            "{dim}views of {}{dim:#}",
            text::one_line(&label)
        ));
    }
    let headers = match mode {
        Mode::Table => vec![
            "ID".into(),
            "NAME".into(),
            "TYPE".into(),
            "DATA SOURCE".into(),
            "FILTER AND SORT".into(),
        ],
        _ => vec![
            "id".into(),
            "name".into(),
            "type".into(),
            "data_source".into(),
            "filter_and_sort".into(),
        ],
    };
    let mut records = args.format.records(&ctx.ui, headers);
    for v in &list {
        let cells = || {
            vec![
                v.id.clone(),
                v.name.clone(),
                v.kind.clone(),
                v.data_source_id.clone().unwrap_or_default(),
                v.summary(),
            ]
        };
        records.push(&v.id, cells, &raw(&v.raw)?)?;
    }
    let n = records.count();
    records.finish()?;
    if n == 0 && mode == Mode::Table {
        ctx.ui.message("No views this integration can see.");
    }
    Ok(())
}
