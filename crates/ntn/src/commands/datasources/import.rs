//! `ntn datasources import`: rows from a CSV or NDJSON file into a data
//! source. Thin: reading, matching and checking are
//! [`crate::notion::datasources::import`], the journal
//! [`crate::notion::datasources::journal`], the run and summary
//! [`crate::notion::datasources::bulk`].

use std::io::Read;
use std::path::Path;

use super::connect_within;
use super::report::{self, Runner};
use super::update::confirm_possible;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::datasources::bulk::{self, Action};
use crate::notion::datasources::import::{self, Column, Current, Options};
use crate::notion::datasources::journal::{self, Entry, Journal};
use crate::notion::datasources::{self, Query, people::Directory};
use crate::output::text::{clean, one_line};

/// The long help of `ntn datasources import`.
pub const ABOUT: &str = "Bring rows from a file into a data source: rows with an id update that \
page, rows without one are created (or matched by --key). Only the cells that differ from Notion's \
values are sent, so `query --all --csv` → edit a few cells → `import` sends exactly those cells \
(a title or text whose plain text is unchanged keeps its formatting).

FILE is CSV with a header as `ntn datasources query --csv` writes it, or NDJSON (one object per \
line: {\"id\": …, \"Status\": \"Done\", \"Tags\": [\"a\", \"b\"]}, values as `pages get` writes \
frontmatter); - reads stdin. The format comes from the extension (.csv, .ndjson, .jsonl), else \
from the content. Columns name properties; id is the page, url, created and edited are ignored. \
Cells read as `query --csv` writes them: numbers, true/false, option names, multi-select \
\"a, b\", dates start or start/end, people by name or email, relations by page id. Cells that \
`query --csv` protected from spreadsheets (a leading ') are restored, unless --raw-csv.

Unknown columns and unknown options are refused before anything is sent, with \"did you mean\"; \
--create-options lets Notion create the options instead. Read-only columns (formula, rollup, \
created/edited by and time, unique id, files) are skipped, with a note naming those whose cells \
differ. --key PROPERTY matches rows without an id by that property's value, which must be unique \
in Notion among the values the file uses (duplicates are listed, nothing is sent).

--dry-run lists each row and its changes and sends nothing. On a terminal ntn asks before \
writing; elsewhere --yes is required. Writes are paced under Notion's rate limit. A journal in \
ntn's state directory records each create before and after it is sent, so an import that was \
killed never creates a row twice: run the same command again and it picks up the pages it made. \
Once an import is done the journal goes: importing the same file again creates its rows without \
an id again (export with `query --csv` for ids, or use --key). The summary (updated, created, \
unchanged, failed) goes to stderr; --json prints one object per \
row and a summary object. Exit 3 when some rows failed; Ctrl-C stops between rows (exit 130).

Examples:
  ntn datasources query Tasks --all --csv > tasks.csv   # edit it in a spreadsheet, then:
  ntn datasources import Tasks tasks.csv --dry-run
  ntn datasources import Tasks tasks.csv --yes
  ntn datasources import Contacts people.csv --key Email --yes
  jq -c '{Name: .name, Status: \"Todo\"}' new.json | ntn datasources import Tasks - --yes";

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A data source id, a database id or URL, or a data source's title
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// A CSV or NDJSON file, or - for stdin
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Match rows without an id by this property (unique in Notion)
    #[arg(long, value_name = "PROPERTY")]
    pub key: Option<String>,
    /// List the rows and their changes; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write without asking (needed when there is no terminal to ask on)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Let Notion create select options the file names that do not exist
    #[arg(long)]
    pub create_options: bool,
    /// Keep CSV cells as they are (do not remove the ' that --csv adds before formulas)
    #[arg(long)]
    pub raw_csv: bool,
    /// One JSON object per row, then a summary object
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: ImportArgs) -> Result<()> {
    let (bytes, path) = read_input(ctx, &args.file)?;
    let format = import::detect(path.and_then(Path::to_str), &bytes);
    let table = import::read(&bytes, format, args.raw_csv)?;
    confirm_possible(ctx, args.dry_run, args.yes)?;
    // Reading the data source's rows may take long (past 10,000 rows, paced).
    let notion = connect_within(ctx, super::READ_ALL)?;
    let schema = datasources::resolve(&notion, &args.source)?;
    let cols = import::columns(&table, &schema)?;
    // Notion's rows now, with only the properties the file has (and the title).
    let mut ids: Vec<String> = schema
        .title_property()
        .map(|p| p.id.clone())
        .into_iter()
        .collect();
    for c in &cols {
        if let Column::Prop(p) | Column::ReadOnly(p) = c
            && !ids.contains(&p.id)
        {
            ids.push(p.id.clone());
        }
    }
    let query = Query {
        filter_properties: ids,
        ..Query::default()
    };
    let mut listing = query.run(&notion, &schema.id, None)?;
    let mut current = Vec::new();
    let interrupt = ctx.interrupt();
    while let Some(batch) = listing.next_batch()? {
        if interrupt.is_raised() {
            return Err(bulk::interrupted_reading(listing.read()));
        }
        for raw in batch {
            let page: serde_json::Value = serde_json::from_str(raw.get())
                .map_err(|e| Error::api("a row of the answer cannot be read").cause(&e))?;
            current.push(Current::from_page(&page));
        }
    }
    if let Some(reason) = listing.incomplete() {
        return Err(Error::incomplete(format!(
            "Notion gave only part of the data source's rows ({}): the file's rows cannot be matched safely",
            one_line(&reason.to_string())
        ))
        .hint("nothing was sent; import into a smaller data source, or give every row its id"));
    }
    let key = journal::file_key(path, &bytes);
    let state = ctx.state()?.with_host(ctx.clock.clone(), &ctx.ui);
    let mut journal = Journal::open(state, &schema.id, &key)?;
    let users = Directory::new(&notion);
    let opts = Options {
        key: args.key.clone(),
        create_options: args.create_options,
    };
    let plan = import::plan(&table, &schema, &current, &opts, Some(&journal), &users)?;
    let name = if schema.title.is_empty() {
        schema.id.clone()
    } else {
        one_line(&schema.title).into_owned()
    };
    if !plan.read_only.is_empty() {
        let list = |v: &[String]| {
            v.iter()
                .map(|n| format!("{:?}", clean(n)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let differs = if plan.read_only_differs.is_empty() {
            String::new()
        } else {
            format!(
                "; cells that differ from Notion's are not sent, in {}",
                list(&plan.read_only_differs)
            )
        };
        ctx.ui.note(format_args!(
            "skipped read-only columns {}{differs}",
            list(&plan.read_only)
        ));
    }
    if plan.adopted > 0 {
        ctx.ui.note(format_args!(
            "{} {} an interrupted import created {} matched, not created again",
            plan.adopted,
            if plan.adopted == 1 { "row" } else { "rows" },
            if plan.adopted == 1 { "is" } else { "are" }
        ));
    }
    let updates = plan
        .items
        .iter()
        .filter(|i| i.is_write() && matches!(i.action, Action::Update { .. }))
        .count();
    let creates = plan
        .items
        .iter()
        .filter(|i| matches!(i.action, Action::Create { .. }))
        .count();
    let writes = (updates + creates) as u64;
    if !args.dry_run && writes > 0 && !args.yes {
        let q = format!("Import into {name}: update {updates} and create {creates} rows?");
        if ctx.ui.prompter().confirm(&q, false)? != Some(true) {
            return Err(Error::local("cancelled: nothing was imported"));
        }
    }
    // The writes get a deadline of their own, from now.
    let notion = super::renewed(ctx, &notion, super::write_budget(writes));
    let mut runner = Runner::new(&ctx.ui, ctx.interrupt(), writes, args.json, args.dry_run);
    let mut made: Vec<(String, String)> = Vec::new();
    let now_ms = || ctx.clock.unix_ms();
    let stopped = report::run_items(&mut runner, &plan.items, &mut |item| match &item.action {
        Action::Update { changes } => {
            let id = item.id.clone().unwrap_or_default();
            bulk::patch(&notion, &id, changes)?;
            Ok(Some(id))
        }
        Action::Create { properties } => {
            let row = item.row.unwrap_or(0);
            let existing = current
                .iter()
                .filter(|c| c.title == item.title)
                .map(|c| c.id.clone())
                .chain(
                    made.iter()
                        .filter(|m| m.1 == item.title)
                        .map(|m| m.0.clone()),
                )
                .collect();
            journal.intend(
                row,
                Entry {
                    title: item.title.clone(),
                    intent_at: now_ms(),
                    existing,
                    created: None,
                },
            )?;
            match bulk::create(&notion, &schema.id, properties) {
                Ok(page) => {
                    let id = page["id"].as_str().unwrap_or("").to_string();
                    journal.created(row, &id)?;
                    made.push((id.clone(), item.title.clone()));
                    Ok(Some(id))
                }
                Err(e) => {
                    if !e.may_have_applied() {
                        journal.forget(row)?;
                    }
                    Err(e)
                }
            }
        }
    })?;
    let clean_end = !stopped && !runner.failed() && !args.dry_run;
    runner.finish(&name, stopped)?;
    if clean_end {
        journal.finish()?;
    }
    Ok(())
}

/// The file's bytes and its path (`None` for stdin).
fn read_input<'a>(ctx: &Context, file: &'a str) -> Result<(Vec<u8>, Option<&'a Path>)> {
    if file == "-" {
        let mut buf = Vec::new();
        let Some(mut stdin) = ctx.ui.take_stdin() else {
            return Err(Error::usage("FILE is - but there is no stdin to read")
                .hint("give a file path, or pipe the rows in"));
        };
        stdin
            .read_to_end(&mut buf)
            .map_err(|e| Error::local("cannot read stdin").cause(&e))?;
        return Ok((buf, None));
    }
    let path = Path::new(file);
    let bytes = std::fs::read(path).map_err(|e| {
        Error::local(format!("cannot read {}", clean(file)))
            .hint("check the path of the file to import")
            .cause(&e)
    })?;
    Ok((bytes, Some(path)))
}
