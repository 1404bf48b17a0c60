//! `ntn pages`: read and write pages as Markdown with YAML frontmatter.
//!
//! The work is in [`crate::notion::pages`] (reading completely, the frontmatter, the
//! edit planner and its guards, diffs); this module takes the arguments, finds the
//! content (`--content`, a file, stdin when it is the input, or the editor on a
//! terminal) and prints.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::commands::pages_recover;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http;
use crate::notion::pages::client::Parent;
use crate::notion::pages::edit::{self, Options, Replacement};
use crate::notion::pages::id::{self, ParentSpec};
use crate::notion::pages::{self, Document, PageClient, Read, diff, document};
use crate::output::text::{clean, clean_text};
use crate::output::{StdinKind, editor, stdout_error};
use crate::vars;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Read and write Notion pages as Markdown, with the page's properties as YAML \
frontmatter.\n\n\
A page is given as an id (with or without dashes) or a Notion URL. `get` reads a page \
completely: blocks Notion leaves out of its Markdown are fetched one by one and put back in \
place; what still cannot be read is listed, and the command exits 3. `edit` refuses to \
overwrite a page that changed since the copy it is given was read, to delete child pages or \
databases, or to write back a page read incompletely, unless told to.\n\n\
Examples:\n  ntn pages get https://www.notion.so/Notes-2f1c6a4e8b5d4c1e9a7b3d2e1f0a9b8c > notes.md\n  \
ntn pages edit 2f1c6a4e8b5d4c1e9a7b3d2e1f0a9b8c notes.md --dry-run\n  \
ntn pages edit <id> --replace 'Status: draft' 'Status: final'\n  \
ntn pages create --parent data-source:<id> task.md\n  ntn pages trash <id> --yes",
    after_long_help = ENV_HELP
)]
pub struct Args {
    #[command(subcommand)]
    pub command: PagesCommand,
}

#[derive(Debug, Subcommand)]
pub enum PagesCommand {
    /// Print a page as Markdown, its properties as YAML frontmatter
    #[command(long_about = GET_ABOUT, after_long_help = ENV_HELP)]
    Get(GetArgs),
    /// Create a page from Markdown (the frontmatter sets its title and properties)
    #[command(long_about = CREATE_ABOUT, after_long_help = ENV_HELP)]
    Create(CreateArgs),
    /// Change a page from a document, in your editor, or with --replace
    #[command(long_about = EDIT_ABOUT, after_long_help = ENV_HELP)]
    Edit(EditArgs),
    /// Move a page to the trash
    #[command(after_long_help = ENV_HELP)]
    Trash(TrashArgs),
    /// Take a page out of the trash
    #[command(after_long_help = ENV_HELP)]
    Restore(PageArg),
    /// Move a page under another page, a data source or the workspace
    #[command(after_long_help = ENV_HELP)]
    Move(MoveArgs),
}

const ENV_HELP: &str = crate::env_help!(
    @token,
    "  NOTION_API_VERSION         Notion-Version to send; pages send 2026-03-11 when it is older",
    "  VISUAL, EDITOR             the editor for create and edit on a terminal (default vi)",
);

const GET_ABOUT: &str = "Print a page as Markdown, preceded by YAML frontmatter: id, url, title, \
parent, last_edited_time, every property as a plain value, and content_hash (what the page was \
when read, which `edit` checks).\n\n\
Blocks Notion leaves out of its Markdown (written as <unknown …/> tags, for instance past its \
block limit) are fetched by their ids and spliced in. What still cannot be read (not shared with the \
integration, no Markdown for its type) is listed on stderr with its id, and the command exits \
3, unless --allow-partial.\n\n\
Examples:\n  ntn pages get <id> > page.md\n  ntn pages get <url> --no-frontmatter | less\n  \
ntn pages get <id> --json";

const CREATE_ABOUT: &str = "Create a page from Markdown read from --content, a file, stdin, or \
your editor on a terminal. Frontmatter may set the title and, under a data source, the \
properties; they are checked against the data source's schema (an unknown property or option is \
an error, not a new option). Without a title, a leading `# Heading` becomes it.\n\n\
--parent is page:ID, data-source:ID, database:ID (one with a single data source), workspace, \
or a page or database URL; without it the frontmatter's `parent:` is used.\n\n\
Prints the new page's id (its URL on stderr); --json prints the page.\n\n\
Examples:\n  ntn pages create --parent page:<id> notes.md\n  \
echo '# Hello' | ntn pages create --parent <page url>\n  \
ntn pages create --parent data-source:<id> --content $'---\\ntitle: Fix it\\nproperties:\\n  Status: Done\\n---\\n'";

const EDIT_ABOUT: &str = "Change a page: the body of the input replaces the content, and \
frontmatter values that differ from the page's become property updates, in one command. The \
input comes from --content, a file, stdin, or your editor on a terminal (starting from the page \
as it is).\n\n\
Guards (all on):\n\
  * the page changed since the input's copy was read (its content_hash): refused; --force\n\
  * child pages or databases would be deleted: refused, naming them; --allow-deleting-content\n\
  * the page cannot be read completely, so writing it whole would lose blocks: refused; --force\n\
An input without a body leaves the content as it is.\n\n\
--replace OLD NEW (repeatable) edits in place instead; each OLD must be on the page exactly once \
(or at least once with --all-matches), checked in order before anything is sent, so the edits \
apply together or not at all.\n\n\
--dry-run prints a unified diff of the body and the property changes, and sends nothing.\n\n\
Text written in the editor is never lost: when the edit then fails (a frontmatter mistake, a \
guard, the network), it is kept in a private file under the config directory \
(recover/<page id>-<time>.md), named in the hint; --recover opens the newest one in the editor \
again, and passing the file as FILE works too. A successful edit removes it.\n\n\
Examples:\n  ntn pages get <id> > p.md && $EDITOR p.md && ntn pages edit <id> p.md\n  \
ntn pages edit <id>                      # in your editor\n  \
ntn pages edit <id> --replace 'teh' 'the' --all-matches --dry-run";

#[derive(Debug, clap::Args)]
pub struct PageArg {
    /// The page: an id (with or without dashes) or a Notion URL
    pub page: String,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The page: an id (with or without dashes) or a Notion URL
    pub page: String,
    /// Print only the Markdown body
    #[arg(long)]
    pub no_frontmatter: bool,
    /// Exit 0 even when some blocks could not be read (they stay <unknown …/>)
    #[arg(long)]
    pub allow_partial: bool,
    /// Print JSON: the page object, the Markdown object and what is missing
    #[arg(long)]
    pub json: bool,
}

/// Where content comes from (stdin only when it is the input; the editor only on a
/// terminal).
#[derive(Debug, clap::Args)]
pub struct ContentArgs {
    /// The Markdown itself
    #[arg(
        long,
        value_name = "MARKDOWN",
        conflicts_with = "file",
        allow_hyphen_values = true
    )]
    pub content: Option<String>,
    /// A file with the Markdown (`-` for stdin)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Where the page goes: page:ID, data-source:ID, database:ID, workspace, or a URL
    #[arg(long, value_name = "PARENT")]
    pub parent: Option<String>,
    #[command(flatten)]
    pub input: ContentArgs,
    /// Print the new page as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The page: an id (with or without dashes) or a Notion URL
    pub page: String,
    #[command(flatten)]
    pub input: ContentArgs,
    /// Replace OLD by NEW in the page's Markdown (repeatable; each must match once)
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], action = clap::ArgAction::Append,
          conflicts_with_all = ["content", "file"], allow_hyphen_values = true)]
    pub replace: Vec<String>,
    /// With --replace: replace every match, and require at least one
    #[arg(long, requires = "replace")]
    pub all_matches: bool,
    /// Show the diff and the property changes; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write even if the page changed since the input was read, or cannot be read completely
    #[arg(long)]
    pub force: bool,
    /// Let the edit delete child pages and databases
    #[arg(long)]
    pub allow_deleting_content: bool,
    /// Reopen the text of this page's last failed edit in the editor
    #[arg(long, conflicts_with_all = ["content", "file", "replace"])]
    pub recover: bool,
}

#[derive(Debug, clap::Args)]
pub struct TrashArgs {
    /// The page: an id (with or without dashes) or a Notion URL
    pub page: String,
    /// Do not ask (required without a terminal)
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct MoveArgs {
    /// The page: an id (with or without dashes) or a Notion URL
    pub page: String,
    /// The new parent: page:ID, data-source:ID, database:ID, workspace, or a URL
    #[arg(long, value_name = "PARENT")]
    pub to: String,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        PagesCommand::Get(a) => get(ctx, a),
        PagesCommand::Create(a) => create(ctx, a),
        PagesCommand::Edit(a) => edit_page(ctx, a),
        PagesCommand::Trash(a) => trash(ctx, a),
        PagesCommand::Restore(a) => restore(ctx, a),
        PagesCommand::Move(a) => move_page(ctx, a),
    }
}

/// A page client sending a Notion-Version the Markdown endpoints take.
fn connect(ctx: &Context) -> Result<PageClient> {
    let (notion, _) = ctx.notion(http::REQUEST_TIMEOUT)?;
    let (version, passed_over) = pages::version(ctx.vars.value(vars::API_VERSION));
    if let Some(v) = passed_over {
        ctx.ui.warn(format_args!(
            "NOTION_API_VERSION={} is older than {}, which page Markdown needs: sending {}",
            clean(&v),
            pages::MIN_VERSION,
            version
        ));
    }
    Ok(PageClient::new(notion.with_version(&version)))
}

/// Writes text from Notion to stdout: as is into a pipe, without control characters on
/// a terminal.
fn write_out(ctx: &Context, text: &str) -> Result<()> {
    let mut out = ctx.ui.raw();
    if ctx.ui.stdout_is_tty() {
        out.write_all(clean_text(text).as_bytes())
    } else {
        out.write_all(text.as_bytes())
    }
    .map_err(stdout_error)
}

fn get(ctx: &Context, a: GetArgs) -> Result<()> {
    let id = id::parse(&a.page)?;
    let client = connect(ctx)?;
    let read = client.read(&id, &ctx.ui)?;
    if a.json {
        let missing: Vec<Value> = read
            .missing
            .iter()
            .map(|m| json!({"id": m.id, "reason": m.reason.to_string()}))
            .collect();
        ctx.ui.json(&json!({
            "page": read.page,
            "markdown": {
                "object": "page_markdown",
                "id": read.id(),
                "markdown": read.markdown,
                "truncated": read.truncated,
                "unknown_block_ids": read.missing.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            },
            "missing": missing,
        }))?;
    } else {
        if !a.no_frontmatter {
            let head = document::write(&read.frontmatter(), "")?;
            write_out(ctx, &head)?;
            if !read.markdown.is_empty() {
                write_out(ctx, "\n")?;
            }
        }
        write_out(ctx, &read.markdown)?;
    }
    report_missing(ctx, &read, a.allow_partial)
}

/// Lists what could not be read; exit 3 unless a partial page is acceptable.
fn report_missing(ctx: &Context, read: &Read, allow_partial: bool) -> Result<()> {
    if read.is_complete() {
        return Ok(());
    }
    let n = read.missing.len();
    ctx.ui.warn(format_args!(
        "{n} block{} of the page could not be read (left as <unknown …/>):",
        if n == 1 { "" } else { "s" }
    ));
    for m in &read.missing {
        ctx.ui
            .message(format_args!("  {}  {}", clean(&m.id), m.reason));
    }
    if allow_partial {
        return Ok(());
    }
    Err(Error::incomplete(format!(
        "the page was read incompletely: {n} block{} missing",
        if n == 1 { " is" } else { "s are" }
    ))
    .hint("share the missing content with the integration, or pass --allow-partial to accept the page as it is"))
}

/// Where the content comes from, decided before anything is read.
enum Source {
    Text(String),
    File(PathBuf),
    Stdin,
    Editor,
}

fn source(ctx: &Context, input: &ContentArgs) -> Result<Source> {
    if let Some(c) = &input.content {
        return Ok(Source::Text(c.clone()));
    }
    if let Some(f) = &input.file {
        if f.as_os_str() == "-" {
            return Ok(Source::Stdin);
        }
        return Ok(Source::File(f.clone()));
    }
    match ctx.ui.stdin_kind() {
        StdinKind::Pipe | StdinKind::File => Ok(Source::Stdin),
        _ if ctx.ui.is_interactive() && ctx.ui.stdout_is_tty() => Ok(Source::Editor),
        _ => Err(
            Error::usage("no content: nothing on stdin and no terminal for an editor")
                .hint("pass --content MARKDOWN or a file, or pipe the Markdown in"),
        ),
    }
}

/// Reads a non-editor source.
fn read_source(ctx: &Context, source: Source) -> Result<String> {
    match source {
        Source::Text(t) => Ok(t),
        Source::File(p) => std::fs::read_to_string(&p).map_err(|e| {
            Error::local(format!("cannot read {}", p.display()))
                .hint("check the path and that the file is UTF-8 text")
                .cause(&e)
        }),
        Source::Stdin => {
            let mut s = String::new();
            if let Some(mut r) = ctx.ui.take_stdin() {
                r.read_to_string(&mut s).map_err(|e| {
                    Error::local("cannot read the Markdown from stdin")
                        .hint("stdin must be UTF-8 text")
                        .cause(&e)
                })?;
            }
            Ok(s)
        }
        Source::Editor => Err(Error::local("the editor is opened by the command itself")),
    }
}

fn create(ctx: &Context, a: CreateArgs) -> Result<()> {
    let flag = a.parent.as_deref().map(ParentSpec::parse).transpose()?;
    let source = source(ctx, &a.input)?;
    let client = connect(ctx)?;
    let (text, mut parent) = match source {
        Source::Editor => {
            let Some(spec) = &flag else {
                return Err(no_parent());
            };
            let parent = client.resolve_parent(spec)?;
            let template = template(&parent)?;
            let text = editor::edit(&template, &ctx.vars, ".md")?;
            if text.trim() == template.trim() {
                return Err(Error::local(
                    "the page was left as it started: nothing was created",
                ));
            }
            (text, Some(parent))
        }
        other => (read_source(ctx, other)?, None),
    };
    let doc = Document::parse(&text)?;
    if parent.is_none() {
        let spec = match (&flag, doc.text("parent")?) {
            (Some(s), _) => s.clone(),
            (None, Some(p)) if !p.is_empty() => ParentSpec::parse(&p)?,
            _ => return Err(no_parent()),
        };
        parent = Some(client.resolve_parent(&spec)?);
    }
    let parent = parent.ok_or_else(no_parent)?;
    let schema = match &parent {
        Parent::DataSource { schema, .. } => Some(schema),
        _ => None,
    };
    let props = edit::new_page_properties(&doc, schema)?;
    let page = client.create(&parent, props, &doc.body)?;
    if a.json {
        return ctx.ui.json(&page);
    }
    let pid = page["id"].as_str().unwrap_or("");
    ctx.ui.line(clean(pid))?;
    ctx.ui.message(format_args!(
        "Created {:?}: {}",
        clean(&pages::props::title(&page)),
        clean(page["url"].as_str().unwrap_or(""))
    ));
    Ok(())
}

fn no_parent() -> Error {
    Error::usage("where should the page go? no --parent and no `parent:` in the frontmatter")
        .hint("pass --parent page:ID, data-source:ID, database:ID, workspace or a Notion URL")
}

/// What the editor starts from for a new page: a title and, under a data source, its
/// settable properties.
fn template(parent: &Parent) -> Result<String> {
    let mut front = serde_json::Map::new();
    front.insert("title".into(), Value::String(String::new()));
    if let Parent::DataSource { schema, .. } = parent {
        let mut props = serde_json::Map::new();
        if let Some(defs) = schema["properties"].as_object() {
            for (name, def) in defs {
                let kind = def["type"].as_str().unwrap_or("");
                if kind != "title" && pages::props::writable(kind) {
                    props.insert(name.clone(), Value::Null);
                }
            }
        }
        if !props.is_empty() {
            front.insert("properties".into(), Value::Object(props));
        }
    }
    document::write(&front, "\n")
}

fn edit_page(ctx: &Context, a: EditArgs) -> Result<()> {
    let id = id::parse(&a.page)?;
    let opts = Options {
        force: a.force,
        allow_deleting_content: a.allow_deleting_content,
    };
    if !a.replace.is_empty() {
        let edits: Vec<Replacement> = a
            .replace
            .chunks(2)
            .map(|p| Replacement {
                old: p[0].clone(),
                new: p.get(1).cloned().unwrap_or_default(),
                all: a.all_matches,
            })
            .collect();
        let client = connect(ctx)?;
        let current = client.read(&id, &ctx.ui)?;
        let plan = edit::plan_replacements(&current, edits, &opts)?;
        return finish(ctx, &client, plan, a.dry_run);
    }
    let source = if a.recover {
        recover_source(ctx)?
    } else {
        source(ctx, &a.input)?
    };
    let client = connect(ctx)?;
    let apply = |text: &str| -> Result<pages_recover::Applied> {
        let doc = Document::parse(text)?;
        // The page as it is now (after the editor, too): what the guards compare with.
        let current = client.read(&id, &ctx.ui)?;
        let plan = edit::plan_document(&current, &doc, &opts, &|ds| client.data_source(ds))?;
        finish(ctx, &client, plan, a.dry_run)?;
        Ok(if a.dry_run {
            pages_recover::Applied::NotSent
        } else {
            pages_recover::Applied::Done
        })
    };
    match source {
        Source::Editor => {
            let start = if a.recover {
                pages_recover::newest(ctx, &id)?
            } else {
                let before = client.read(&id, &ctx.ui)?;
                edit::check_complete(&before, &opts, "writing it back from the editor")?;
                pages_recover::Start::Page(document::write(
                    &before.frontmatter(),
                    &before.markdown,
                )?)
            };
            pages_recover::edit_and_apply(ctx, &id, start, apply)
        }
        other => {
            let file = match &other {
                Source::File(p) => Some(p.clone()),
                _ => None,
            };
            let text = read_source(ctx, other)?;
            if apply(&text)? == pages_recover::Applied::Done
                && let Some(f) = file
            {
                pages_recover::forget(ctx, &f);
            }
            Ok(())
        }
    }
}

/// `--recover` opens the editor: only on a terminal.
fn recover_source(ctx: &Context) -> Result<Source> {
    if ctx.ui.is_interactive() && ctx.ui.stdout_is_tty() {
        return Ok(Source::Editor);
    }
    Err(
        Error::usage("--recover opens your editor, and there is no terminal for it").hint(
            "pass the saved file instead: ntn pages edit PAGE FILE (the failure's hint names it)",
        ),
    )
}

fn finish(ctx: &Context, client: &PageClient, plan: edit::Plan, dry_run: bool) -> Result<()> {
    for w in &plan.warnings {
        ctx.ui.warn(w);
    }
    if plan.is_empty() {
        ctx.ui
            .message("No changes: the page already reads like that.");
        return Ok(());
    }
    if dry_run {
        let text = diff::render(&plan);
        ctx.ui
            .out()
            .write_all(text.as_bytes())
            .map_err(stdout_error)?;
        ctx.ui.message("Dry run: nothing was sent.");
        return Ok(());
    }
    let applied = client.apply(&plan)?;
    let mut parts = Vec::new();
    if applied.content {
        parts.push("the content".to_string());
    }
    if !applied.properties.is_empty() {
        let names: Vec<String> = applied
            .properties
            .iter()
            .map(|n| format!("{:?}", clean(n)))
            .collect();
        parts.push(format!(
            "{} ({})",
            if names.len() == 1 {
                "1 property".to_string()
            } else {
                format!("{} properties", names.len())
            },
            names.join(", ")
        ));
    }
    let title = plan
        .properties
        .iter()
        .find(|c| c.kind == "title")
        .and_then(|c| c.after.as_str())
        .unwrap_or(&plan.title);
    ctx.ui.message(format_args!(
        "Updated {:?}: {}.",
        clean(title),
        parts.join(" and ")
    ));
    Ok(())
}

fn trash(ctx: &Context, a: TrashArgs) -> Result<()> {
    let id = id::parse(&a.page)?;
    if !a.yes && !ctx.ui.is_interactive() {
        return Err(Error::usage(
            "moving a page to the trash needs a confirmation, and there is no terminal to ask on",
        )
        .hint("pass --yes to confirm"));
    }
    let client = connect(ctx)?;
    if !a.yes {
        let title = pages::props::title(&client.page(&id)?);
        let q = format!("Move {:?} to the trash?", clean(&title));
        if ctx.ui.prompter().confirm(&q, false)? != Some(true) {
            return Err(Error::local(
                "cancelled: the page was not moved to the trash",
            ));
        }
    }
    let page = client.set_trash(&id, true)?;
    ctx.ui.message(format_args!(
        "Moved {:?} to the trash (`ntn pages restore {id}` brings it back).",
        clean(&pages::props::title(&page))
    ));
    Ok(())
}

fn restore(ctx: &Context, a: PageArg) -> Result<()> {
    let id = id::parse(&a.page)?;
    let page = connect(ctx)?.set_trash(&id, false)?;
    ctx.ui.message(format_args!(
        "Restored {:?}.",
        clean(&pages::props::title(&page))
    ));
    Ok(())
}

fn move_page(ctx: &Context, a: MoveArgs) -> Result<()> {
    let id = id::parse(&a.page)?;
    let to = ParentSpec::parse(&a.to)?;
    let page = connect(ctx)?.move_to(&id, &to)?;
    ctx.ui.message(format_args!(
        "Moved {:?} to {}.",
        clean(&pages::props::title(&page)),
        clean(&ParentSpec::describe(&page["parent"]))
    ));
    Ok(())
}
