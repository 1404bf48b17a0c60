//! `ntn sync`: a folder of Markdown files kept in step with a Notion page tree.
//!
//! Thin: the engine is [`crate::sync`]; this module parses the verbs and renders the
//! events (a line per file for people, NDJSON with `--json`) and the summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use crate::context::Context;
use crate::error::{Error, ExitCode, Result};
use crate::notion::Pacer;
use crate::notion::pages::{self, PageClient, id};
use crate::output::text::clean;
use crate::sync::engine::{self, Event, Options, Summary, Sync, Verb};
use crate::vars;

/// The longest a sync runs (a 1,000-page tree at Notion's 3 requests a second takes
/// about six minutes).
pub const DEADLINE: Duration = Duration::from_secs(3 * 3600);

const ABOUT: &str = "Keep a folder of Markdown files and a Notion page tree in step.\n\n\
`ntn sync init DIR --page PAGE` pulls a page and everything under it into DIR: one Markdown \
file per page (frontmatter with its `notion_id` and title, then its content), a page with \
children as a folder holding its own file and its children, a database as a folder of row \
files with their properties. Then, inside DIR (or with -C DIR): `ntn sync` pulls and pushes, \
`status` says what changed where, `plan` what a sync would do, `pull` and `push` go one way, \
`resolve FILE` marks a conflict fixed.\n\n\
Changes are decided by content, never by clock: each page's last agreed state (its base) is \
kept in DIR/.ntn/, and a page changed on both sides is merged line by line; lines changed on \
both sides differently are a conflict, written into the file with <<<<<<< markers while \
Notion is left untouched. A push re-reads the page right before writing and sends targeted \
edits, so blocks outside the changed lines keep their ids, comments and links; blocks \
Markdown cannot give back (bookmarks, tables of contents, synced blocks, …) are never \
rewritten, and a page Notion gives only partly is never pushed. New files become pages \
under their folder's page; renaming or moving a file renames or moves its page. A file \
deleted locally trashes its page only with --delete (and more than 10 pages, or 10% of \
the tree, only with --yes); a page trashed in Notion moves its file to DIR/.ntn/trash/.\n\n\
Exit codes: 0 in step, 6 when a conflict was left, 3 when a page was refused (lossy or \
incomplete) or failed.\n\n\
Examples:\n  ntn sync init handbook --page https://www.notion.so/acme/Handbook-1f2e3d4c5b6a47988a7b6c5d4e3f2a1b\n  \
cd handbook && ntn sync status\n  ntn sync plan\n  ntn sync\n  ntn sync resolve Onboarding/Onboarding.md";

/// The environment variables of `ntn sync`.
pub const ENV_HELP: &str = crate::env_help!(
    @token,
    "  NOTION_API_VERSION         Notion-Version header to send",
);

#[derive(Debug, clap::Args)]
#[command(long_about = ABOUT, after_long_help = ENV_HELP, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The switches of the verbs that run a sync.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// The sync folder (or a folder inside it); default: the current one
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Say what would be done, write nothing on either side
    #[arg(long)]
    pub dry_run: bool,
    /// Trash the pages of files deleted locally (restorable with `ntn pages restore`)
    #[arg(long)]
    pub delete: bool,
    /// Allow trashing more than 10 pages (or 10% of the tree) at once
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// List every page in Notion, not only those edited since the last run
    #[arg(long)]
    pub full: bool,
    /// An NDJSON event per file, then a summary
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Pull a page and everything under it into a new or empty folder
    Init(InitArgs),
    /// What changed where, per file (reads only pages whose edit time moved)
    Status(RunArgs),
    /// What `ntn sync` would do, sending no write
    Plan(RunArgs),
    /// Bring Notion's changes into the folder
    Pull(RunArgs),
    /// Send the folder's changes to Notion
    Push(RunArgs),
    /// Mark a conflict fixed by hand: the file is what the next push sends
    Resolve(ResolveArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The folder to create (or an empty one)
    pub dir: PathBuf,
    /// The page to sync (id or URL), with everything under it
    #[arg(long, value_name = "PAGE")]
    pub page: String,
    /// Say what would be pulled, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// An NDJSON event per file, then a summary
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// The file whose conflict markers were removed
    pub file: PathBuf,
    /// The sync folder (or a folder inside it); default: the current one
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        None => sync(ctx, Verb::Sync, args.run),
        Some(SyncCommand::Status(a)) => sync(ctx, Verb::Status, a),
        Some(SyncCommand::Plan(a)) => sync(ctx, Verb::Plan, a),
        Some(SyncCommand::Pull(a)) => sync(ctx, Verb::Pull, a),
        Some(SyncCommand::Push(a)) => sync(ctx, Verb::Push, a),
        Some(SyncCommand::Init(a)) => init(ctx, a),
        Some(SyncCommand::Resolve(a)) => {
            let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from("."));
            let said = engine::resolve(&dir, &a.file)?;
            ctx.ui.message(clean(&said));
            Ok(())
        }
    }
}

/// A page client for the whole run: paced under the rate limit, within the deadline.
fn connect(ctx: &Context) -> Result<(PageClient, Option<String>)> {
    let (notion, cred) = ctx.notion(DEADLINE)?;
    let (version, passed_over) = pages::version(ctx.vars.value(vars::API_VERSION));
    if let Some(v) = passed_over {
        ctx.ui.warn(format_args!(
            "NOTION_API_VERSION={} is older than {}, which page Markdown needs: sending {}",
            clean(&v),
            pages::MIN_VERSION,
            version
        ));
    }
    let notion = notion
        .with_version(&version)
        .paced(Arc::new(Pacer::new(ctx.clock.clone())));
    Ok((PageClient::new(notion), cred.workspace_id))
}

fn init(ctx: &Context, a: InitArgs) -> Result<()> {
    let page = id::parse(&a.page)?;
    let (client, workspace) = connect(ctx)?;
    let json = a.json;
    // A first pull lists only what did not simply arrive (with --json: everything).
    let mut sink = |e: &Event| {
        if json || e.action != "pull" {
            show(ctx, e, json, Verb::Pull)
        }
    };
    let opts = Options {
        dry_run: a.dry_run,
        ..Default::default()
    };
    let summary = engine::init(
        &client,
        &a.dir,
        &page,
        workspace.as_deref(),
        opts,
        &ctx.ui,
        &mut sink,
    )?;
    finish(ctx, &summary, json)
}

fn sync(ctx: &Context, verb: Verb, a: RunArgs) -> Result<()> {
    let dir = a.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let (client, workspace) = connect(ctx)?;
    let json = a.json;
    let statuses =
        std::cell::RefCell::new(std::collections::BTreeMap::<&'static str, usize>::new());
    let mut sink = |e: &Event| {
        if e.status != "clean" {
            *statuses.borrow_mut().entry(e.status).or_default() += 1;
        }
        show(ctx, e, json, verb)
    };
    let opts = Options {
        dry_run: a.dry_run,
        delete: a.delete,
        yes: a.yes,
        full: a.full,
    };
    let summary = Sync::open(&client, &dir, verb, opts, &ctx.ui, &mut sink)?
        .for_workspace(workspace.as_deref())?
        .run()?;
    if verb == Verb::Status && !json {
        let statuses = statuses.borrow();
        let n: usize = statuses.values().sum();
        if n == 0 {
            ctx.ui.message(format_args!(
                "In step ({} pages read, {} search requests)",
                summary.pages_read, summary.scan_requests
            ));
        } else {
            let parts: Vec<String> = statuses.iter().map(|(s, c)| format!("{c} {s}")).collect();
            ctx.ui.message(format_args!(
                "{n} file{} not in step: {} (`ntn sync plan` says what a sync would do)",
                if n == 1 { "" } else { "s" },
                parts.join(", ")
            ));
        }
        return Ok(());
    }
    finish(ctx, &summary, json)
}

/// One event: NDJSON, or a line for people (clean files only with `status -v`... never:
/// a status lists what is not in step).
fn show(ctx: &Context, e: &Event, json: bool, verb: Verb) {
    if json {
        let _ = ctx.ui.json(e);
        return;
    }
    if e.action == "none" && e.status == "clean" {
        return;
    }
    let (mark, word) = match (verb, e.action) {
        (Verb::Status, _) => {
            let _ = ctx
                .ui
                .line(format_args!("  {:<14} {}", e.status, clean(&e.path)));
            return;
        }
        (_, "pull") => ("↓", "pull"),
        (_, "push") => ("↑", "push"),
        (_, "merge") => ("⇅", "merge"),
        (_, "create") => ("+", "create"),
        (_, "trash") => ("-", "trash"),
        (_, "move") => ("→", "move"),
        (_, "conflict") => ("!", "conflict"),
        (_, "refused") => ("✗", "refused"),
        (_, "failed") => ("✗", "failed"),
        (_, "kept") => (" ", e.status),
        (_, other) => (" ", other),
    };
    let detail = e
        .detail
        .as_deref()
        .map(|d| format!("  ({})", clean(d)))
        .unwrap_or_default();
    let _ = ctx
        .ui
        .line(format_args!("{mark} {word:<10} {}{detail}", clean(&e.path)));
}

fn finish(ctx: &Context, s: &Summary, json: bool) -> Result<()> {
    if json {
        ctx.ui.json(&serde_json::json!({ "summary": s }))?;
    } else {
        let mut parts = Vec::new();
        for (n, what) in [
            (s.pulled, "pulled"),
            (s.pushed, "pushed"),
            (s.merged, "merged"),
            (s.created, "created"),
            (s.moved, "moved"),
            (s.trashed, "trashed"),
            (s.refused, "refused"),
            (s.failed, "failed"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if s.conflicts > 0 {
            parts.push(format!(
                "{} conflict{}",
                s.conflicts,
                if s.conflicts == 1 { "" } else { "s" }
            ));
        }
        if s.kept > 0 {
            parts.push(format!("{} left as they are (see above)", s.kept));
        }
        let read = format!(
            "{} page{} read, {} search request{}",
            s.pages_read,
            if s.pages_read == 1 { "" } else { "s" },
            s.scan_requests,
            if s.scan_requests == 1 { "" } else { "s" }
        );
        if parts.is_empty() {
            ctx.ui.message(format_args!(
                "In step: {} pages unchanged ({read})",
                s.unchanged
            ));
        } else if s.dry_run {
            ctx.ui
                .message(format_args!("Would be: {} ({read})", parts.join(", ")));
        } else {
            ctx.ui
                .message(format_args!("{} ({read})", parts.join(", ")));
        }
    }
    match s.exit() {
        Some(ExitCode::Conflict) => Err(Error::conflict(format!(
            "{} conflict{} left: the files have <<<<<<< markers, Notion is untouched",
            s.conflicts,
            if s.conflicts == 1 { "" } else { "s" }
        ))
        .hint("fix each file, then `ntn sync resolve FILE` and `ntn sync`")),
        Some(_) => Err(Error::incomplete(format!(
            "{} page{} not synced",
            s.refused + s.failed,
            if s.refused + s.failed == 1 { "" } else { "s" }
        ))
        .hint("the lines above say why for each")),
        None => Ok(()),
    }
}
