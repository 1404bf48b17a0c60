//! `ntn search`: pages and data sources whose title matches, most recently
//! edited first, in every output mode. Thin: the request and what a result
//! is are in [`crate::notion::search`].

use serde_json::Value;

use super::datasources::{ENV_HELP, connect_for, stream};
use crate::context::Context;
use crate::error::Result;
use crate::notion::datasources::values::{Style, timestamp};
use crate::notion::search::{self, Kind, Search};
use crate::output::{Mode, RecordArgs};

/// The long help of `ntn search`.
pub const ABOUT: &str = "Search the pages and data sources shared with the integration by title, \
most recently edited first. Without QUERY, everything it can see. Columns: id, type, title, last \
edited, URL.

--limit N shows N results (default 25); --all every one (streamed, paced under the rate limit); \
when more exist, the cursor to continue from is printed on stderr (--start-cursor).

Examples:
  ntn search roadmap
  ntn search --type data-source
  ntn search meeting notes --type page --all --plain | cut -f1
  ntn search --all --json | jq -r '.[] | select(.object == \"data_source\") | .id'";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Page,
    #[value(name = "data-source", alias = "data_source")]
    DataSource,
}

#[derive(Debug, clap::Args)]
#[command(long_about = ABOUT, after_long_help = ENV_HELP)]
pub struct Args {
    /// Words to find in titles (none: everything)
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    /// Only pages, or only data sources
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<KindArg>,
    #[command(flatten)]
    pub paging: super::paging::PagingArgs,
    #[command(flatten)]
    pub format: RecordArgs,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let notion = connect_for(ctx, &args.paging)?;
    let query = args.query.join(" ");
    let search = Search {
        query: (!query.trim().is_empty()).then(|| query.trim().to_string()),
        kind: args.kind.map(|k| match k {
            KindArg::Page => Kind::Page,
            KindArg::DataSource => Kind::DataSource,
        }),
        start_cursor: args.paging.cursor().map(str::to_string),
    };
    let listing = search.run(&notion, args.paging.limit())?;
    let mode = args.format.mode();
    let headers = match mode {
        Mode::Table => ["ID", "TYPE", "TITLE", "LAST EDITED", "URL"],
        _ => ["id", "type", "title", "last_edited", "url"],
    };
    let style = if mode == Mode::Table {
        Style::Human
    } else {
        Style::Machine
    };
    let records = args
        .format
        .records(&ctx.ui, headers.map(String::from).to_vec());
    let cells = |r: &Value| -> Vec<String> {
        let kind = search::kind(r);
        vec![
            r["id"].as_str().unwrap_or("").to_string(),
            if style == Style::Human {
                kind.replace('_', " ")
            } else {
                kind.to_string()
            },
            search::title(r),
            timestamp(r["last_edited_time"].as_str().unwrap_or(""), style),
            r["url"].as_str().unwrap_or("").to_string(),
        ]
    };
    stream::run(ctx, listing, records, &cells, "results", args.paging.long())
}
