//! `ntn datasources update`: set properties of every row a filter matches.
//! Thin: the `--set` language is [`crate::notion::datasources::set`], the
//! plan, requests and summary [`crate::notion::datasources::bulk`].

use super::connect_within;
use super::read_filter;
use super::report::{self, Runner};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::datasources::bulk::{self, Action};
use crate::notion::datasources::set::{self, Setter};
use crate::notion::datasources::{self, Query, people::Directory};
use crate::output::text::one_line;

/// The long help of `ntn datasources update`.
pub const ABOUT: &str = "Set properties of every row of a data source that a filter matches: one \
property update per row, with only the properties that change (rows that already have the values \
are left alone: no request).

SOURCE is a data source id, a database id or URL, or a data source's title. --where takes the \
language of `ntn datasources query` (see its help); --filter Notion's filter JSON. To update \
every row, say so with --all-rows.

--set (repeatable):
  Name=value          set (options, numbers, true/false, dates, text, people, page ids)
  Name=               clear
  Tags+=bug,docs      add to a multi-select, people or relation property
  Tags-=docs          remove from it
  '\"Due date\"=+7d'    quote names with spaces; dates also as today, -1w, +1m, start/end

Values are checked against the schema before anything is sent, as `pages edit` checks \
frontmatter: unknown properties and options are refused (\"did you mean\"), never created; \
read-only properties (formula, rollup, created/edited, unique id, files) cannot be set.

--dry-run lists each row and its changes (old → new) and sends nothing. Otherwise, on a terminal \
ntn asks before writing (\"Update N rows of ...?\"); elsewhere --yes is required. Writes are paced \
under Notion's rate limit. The summary (updated, unchanged, failed) goes to stderr; --json prints \
one object per row (id, title, status, changes, error) and then {\"summary\": ...}. Exit 3 when \
some rows failed; Ctrl-C stops between rows (exit 130) and the same command finishes the job \
(rows already done are unchanged now).

Examples:
  ntn datasources update Tasks --where 'Status = Done and edited < -14d' --set Stage=Old --dry-run
  ntn datasources update Tasks --where 'Tags ~ triage' --set Tags-=triage --set Owner=me --yes
  ntn datasources update Roadmap --where 'Stage = Planned' --set '\"Due date\"=+7d' --json";

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// A data source id, a database id or URL, or a data source's title
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Only rows matching EXPR (as `query --where`)
    #[arg(long = "where", value_name = "EXPR", conflicts_with = "filter")]
    pub where_: Option<String>,
    /// Only rows matching Notion's filter JSON: inline, @FILE, or - (stdin)
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub filter: Option<String>,
    /// Every row of the data source (no filter)
    #[arg(long, conflicts_with_all = ["where_", "filter"])]
    pub all_rows: bool,
    /// A property to set: Name=value, Name= (clear), Name+=a,b, Name-=a (repeatable)
    #[arg(long = "set", value_name = "PROP=VALUE", required = true)]
    pub set: Vec<String>,
    /// List the rows and their changes; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write without asking (needed when there is no terminal to ask on)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// One JSON object per row, then a summary object
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: UpdateArgs) -> Result<()> {
    let assignments = args
        .set
        .iter()
        .map(|s| set::parse(s))
        .collect::<Result<Vec<_>>>()?;
    if args.where_.is_none() && args.filter.is_none() && !args.all_rows {
        return Err(Error::usage(
            "update needs the rows to change: --where, --filter or --all-rows",
        )
        .hint("e.g. --where 'Status = Done'; --all-rows updates every row of the data source"));
    }
    confirm_possible(ctx, args.dry_run, args.yes)?;
    let raw_filter = args
        .filter
        .as_deref()
        .map(|f| read_filter(ctx, f))
        .transpose()?;
    // Reading every matching row may take long (past 10,000 rows, paced).
    let notion = connect_within(ctx, super::READ_ALL)?;
    let schema = datasources::resolve(&notion, &args.source)?;
    let today = super::today(ctx);
    let users = Directory::new(&notion);
    let setters = assignments
        .iter()
        .map(|a| Setter::new(a, &schema, today, &users))
        .collect::<Result<Vec<_>>>()?;
    let filter = super::rows_filter(args.where_.as_deref(), raw_filter, &schema, today, &users)?;
    let query = Query {
        filter,
        ..Query::default()
    };
    let (items, read, incomplete) =
        bulk::plan_update(&notion, &schema, &query, &setters, &users, &ctx.interrupt())?;
    let writes = items.iter().filter(|i| i.is_write()).count() as u64;
    let name = if schema.title.is_empty() {
        schema.id.clone()
    } else {
        one_line(&schema.title).into_owned()
    };
    if !args.dry_run && writes > 0 && !args.yes {
        let q = format!(
            "Update {writes} {} of {name}? ({read} matched)",
            if writes == 1 { "row" } else { "rows" }
        );
        if ctx.ui.prompter().confirm(&q, false)? != Some(true) {
            return Err(Error::local("cancelled: no row was updated"));
        }
    }
    // The writes get a deadline of their own, from now.
    let notion = super::renewed(ctx, &notion, super::write_budget(writes));
    let mut runner = Runner::new(&ctx.ui, ctx.interrupt(), writes, args.json, args.dry_run);
    let stopped = report::run_items(&mut runner, &items, &mut |item| {
        let (Some(id), Action::Update { changes }) = (&item.id, &item.action) else {
            return Ok(None);
        };
        bulk::patch(&notion, id, changes)?;
        Ok(Some(id.clone()))
    })?;
    if let Some(reason) = &incomplete {
        ctx.ui.warn(format_args!(
            "Notion says the query's answer is incomplete ({}): only the {read} rows read were considered",
            one_line(reason)
        ));
    }
    runner.finish(&name, stopped)?;
    if incomplete.is_some() && !stopped {
        return Err(Error::incomplete(
            "more rows match than Notion returned: not every matching row was updated",
        )
        .hint("narrow the filter (--where) and run again"));
    }
    Ok(())
}

/// Writing needs `--yes` or a terminal to ask on (not for a dry run).
pub fn confirm_possible(ctx: &Context, dry_run: bool, yes: bool) -> Result<()> {
    if !dry_run && !yes && !ctx.ui.is_interactive() {
        return Err(Error::usage(
            "writing to the data source needs a confirmation, and there is no terminal to ask on",
        )
        .hint("pass --yes to confirm (or --dry-run to see what would change)"));
    }
    Ok(())
}
