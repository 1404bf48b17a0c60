//! `ntn datasources query`: arguments, the filter from `--where` or
//! `--filter`, and the rows streamed in the chosen output mode.

use serde_json::Value;

use super::{connect_for, read_filter, stream};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::datasources::{
    self, Column, Query, Style, columns, compile, people::Directory, sort, source, values, views,
};
use crate::output::{Mode, RecordArgs};

/// The long help of `ntn datasources query`.
pub const ABOUT: &str = "Query a data source and print its rows: a table on a terminal (the title \
first, every property as text, fitted to the width), or TSV (--plain), CSV (--csv), a JSON array \
(--json), one JSON object per line (--ndjson), or ids (--ids). --plain and --csv start with the \
page id.

SOURCE is a data source id, a database id or URL (its data source; when a database has several, \
the error lists them), or a data source's title.

A database URL with ?v= (a view's link) or --view ID|URL queries through that view: its filter \
(and --where or --filter, both applied), its sorts unless --sort is given, its visible columns in \
its order unless --columns is given (--plain and --csv still start with the page id). --view wins \
over the URL's ?v=. The view must show SOURCE's data source (for a database with several, the \
view chooses one); a view of another data source is an error, never a silent switch. \
`ntn datasources views SOURCE` lists the views.

--where filters with a small language, checked against the data source's schema before anything \
is sent; --explain prints the filter JSON it compiles to and sends no query. By property type:

  text (title, rich text, url, email, phone)
      Name = \"Launch site\"    Notes ~ invoice    Notes !~ draft    Link is empty
  number
      Estimate > 8    Estimate <= 2.5    Estimate in (1, 2, 3)    Estimate is not empty
  checkbox
      Done = true    Done = false
  select, status (the options are checked)
      Stage = Planned    Status != Done    Status in (Idea, \"In progress\")    Stage is empty
  multi-select (= and ~ both mean contains)
      Tags = backend    Tags !~ docs    Tags not in (backend, frontend)    Tags is empty
  date: ISO dates and date-times, today, yesterday, tomorrow, -7d, +2w, -1m, +1y
      \"Due date\" < today    \"Due date\" >= -7d    \"Due date\" = 2025-03-01    \"Due date\" is empty
  people: me, an email, a user id
      Owner = me    Owner ~ alice@example.com    Owner is empty
  relation: a page id or URL
      \"Blocked by\" = 1f2e3d4c5b6a47988a7b6c5d4e3f2a1b    \"Blocked by\" is not empty
  files
      Attachments is not empty
  the page's own timestamps: created, edited
      created >= -30d    edited < 2025-01-01

Operators: = != < <= > >= ~ (contains) !~ in (a, b) not in (a, b) is empty, is not empty. \
Combine with and, or, not and parentheses:
      Status = \"In progress\" and (Owner = me or Tags in (bug, urgent))
Quote names and values that hold spaces, symbols or keywords; unquoted words run up to the \
operator (a name) or to and/or (a value). Notion takes and/or two levels deep: deeper \
expressions are rewritten to fit.

--filter takes Notion's filter JSON instead: inline, @FILE, or - for stdin (read only then); \
--filter-file PATH|- as the official CLI has it.

--sort 'Due date desc, Name' (or -s, repeatable) sorts by properties and created/edited. \
--limit N shows N rows (default 25); --all every row, streamed in flat memory and paced under \
Notion's rate limit. When more rows exist, the cursor to continue from is printed on stderr \
(--start-cursor).

Past 10,000 rows: Notion answers one query with at most 10,000 rows. Without --sort, a reading \
of more than one page comes in created order, and past the limit ntn continues with windows on \
created_time (each a new query from the last row's minute, rows already printed skipped), so \
--all prints every row exactly once. It stops (exit 3) only when more than 10,000 matching rows \
were created in one minute. With --sort, rows past the limit cannot be sorted in flat memory: \
they are printed up to it and ntn exits 3 (drop --sort, or give --sort created, and sort the \
output instead). --columns Name,Status,\"Due date\" chooses the columns and asks Notion for \
those properties only; id, url, created and edited are the page's own.

When Notion marks the answer incomplete, the rows are printed, a warning follows and ntn exits 3.

Examples:
  ntn datasources query Roadmap
  ntn datasources query Roadmap --where 'Status != Done and Owner = me' --sort 'Due date'
  ntn datasources query https://www.notion.so/acme/1f2e3d4c5b6a47988a7b6c5d4e3f2a1b?v=9a8b7c6d5e4f40318a2b1c0d9e8f7a6b \\
      --where '\"Due date\" < today and Done = false'
  ntn datasources query Roadmap --all --csv > roadmap.csv
  ntn datasources query Roadmap --where 'Tags in (bug, docs)' --explain
  ntn datasources query Roadmap --view 1a2b3c4d5e6f47988a7b6c5d4e3f2a1b --where 'Owner = me'
  ntn datasources query Roadmap --all --ndjson | jq -r .url";

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// A data source id, a database id or URL, or a data source's title
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Only rows matching EXPR, e.g. 'Status != Done and "Due date" < today'
    #[arg(long = "where", value_name = "EXPR", conflicts_with = "filter")]
    pub where_: Option<String>,
    /// Only rows matching Notion's filter JSON: inline, @FILE, or - (stdin)
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub filter: Option<String>,
    /// Notion's filter JSON from a file, or - for stdin (as the official CLI)
    #[arg(long, value_name = "PATH|-", conflicts_with_all = ["filter", "where_"])]
    pub filter_file: Option<String>,
    /// Sort, e.g. 'Due date desc, Name' (repeatable; created and edited too;
    /// replaces a view's sorts)
    #[arg(long, short = 's', value_name = "SPEC")]
    pub sort: Vec<String>,
    /// Query through a view (its id or link): its filter, sorts and columns
    #[arg(long, value_name = "ID|URL")]
    pub view: Option<String>,
    #[command(flatten)]
    pub paging: crate::commands::paging::PagingArgs,
    /// Only these columns, e.g. Name,Status,"Due date" (and id, url, created, edited;
    /// replaces a view's)
    #[arg(long, value_name = "A,B")]
    pub columns: Option<String>,
    /// Print the request body (filter, sorts) and send no query
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub format: RecordArgs,
}

pub fn run(ctx: &Context, args: QueryArgs) -> Result<()> {
    // Local input first: a bad file fails before any request.
    let from_file = args.filter_file.as_deref().map(|f| match f {
        "-" => "-".to_string(),
        path => format!("@{path}"),
    });
    let raw_filter = args
        .filter
        .as_deref()
        .or(from_file.as_deref())
        .map(|f| read_filter(ctx, f))
        .transpose()?;
    let view_id = match &args.view {
        Some(v) => Some(views::parse_ref(v)?),
        None => source::view_in(&args.source)?,
    };
    let notion = connect_for(ctx, &args.paging)?;
    let view = view_id.map(|id| views::get(&notion, &id)).transpose()?;
    let schema = match &view {
        Some(v) => source::resolve_for_view(&notion, &args.source, v)?,
        None => datasources::resolve(&notion, &args.source)?,
    };
    let people = Directory::new(&notion);
    let user_filter = super::rows_filter(
        args.where_.as_deref(),
        raw_filter,
        &schema,
        super::today(ctx),
        &people,
    )?;
    let view_filter = view.as_ref().and_then(|v| v.filter.clone());
    let filter = match (view_filter, user_filter) {
        (Some(vf), Some(uf)) => Some(compile::conjoin(&[vf, uf]).ok_or_else(|| {
            Error::usage(
                "the view's filter and yours together nest and/or deeper than Notion's two levels",
            )
            .hint("simplify the filter, or drop --view and give the whole filter yourself (`ntn datasources views SOURCE --json` shows the view's)")
        })?),
        (vf, uf) => uf.or(vf),
    };
    let sorts = match &view {
        Some(v) if args.sort.is_empty() => v.sorts.clone(),
        _ => sort::parse(&args.sort, &schema)?,
    };
    let mode = args.format.mode();
    let view_cols = view
        .as_ref()
        .map(|v| view_columns(v, &schema, mode != Mode::Table))
        .filter(|c| c.iter().any(|c| matches!(c, Column::Prop(_))));
    let (cols, filter_properties) = match (&args.columns, view_cols) {
        (Some(spec), _) => {
            let cols = columns::parse(spec, &schema)?;
            let ids = columns::filter_properties(&cols, &schema);
            (cols, ids)
        }
        (None, Some(cols)) => {
            // Every property shown: no need to narrow the request.
            let shown = cols.iter().filter(|c| matches!(c, Column::Prop(_))).count();
            let ids = if shown >= schema.properties.len() {
                vec![]
            } else {
                columns::filter_properties(&cols, &schema)
            };
            (cols, ids)
        }
        (None, None) => (columns::all(&schema, mode != Mode::Table), vec![]),
    };
    let query = Query {
        filter,
        sorts,
        filter_properties,
        start_cursor: args.paging.cursor().map(str::to_string),
    };
    if args.explain {
        if let Some(v) = &view {
            ctx.ui.note(format_args!("view {}", v.describe()));
        }
        // What is sent: a reading of several pages without sorts is in created order.
        let sent = query.for_reading(args.paging.limit());
        ctx.ui
            .note(format_args!("POST {} (not sent)", sent.path(&schema.id)));
        return ctx.ui.json(&sent.body());
    }
    let limit = args.paging.limit();
    let listing = query.run(&notion, &schema.id, limit)?;
    let style = if mode == Mode::Table {
        Style::Human
    } else {
        Style::Machine
    };
    let headers = cols.iter().map(|c| c.header().to_string()).collect();
    let records = args.format.records(&ctx.ui, headers);
    let cells = |row: &Value| -> Vec<String> {
        cols.iter()
            .map(|c: &Column| values::cell(row, c, style))
            .collect()
    };
    stream::run(ctx, listing, records, &cells, "rows", args.paging.long())
}

/// A view's visible properties as columns, in its order (properties the
/// schema no longer has are left out), after the page id when `with_id`.
fn view_columns(view: &views::View, schema: &datasources::Schema, with_id: bool) -> Vec<Column> {
    let mut cols = vec![];
    if with_id {
        cols.push(Column::Id);
    }
    cols.extend(
        view.visible
            .iter()
            .filter_map(|id| schema.properties.iter().find(|p| &p.id == id))
            .cloned()
            .map(Column::Prop),
    );
    cols
}
