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
use crate::output::{StdinKind, stdout_error};
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
    /// Add Markdown at the end of a page (or after some text) without rewriting it
    #[command(long_about = APPEND_ABOUT, after_long_help = ENV_HELP)]
    Append(AppendArgs),
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

const EDIT_ABOUT: &str = "Change a page: the body of the input becomes the page's content, and \
frontmatter values that differ from the page's become property updates, in one command. The \
input comes from --content, a file, stdin, or your editor on a terminal (starting from the page \
as it is). `ntn pages edit page.md` edits the page named by the file's `id:`.\n\n\
Only what changed is sent: the body goes as targeted edits (Notion's update_content, each old \
text unique on the page), so blocks outside the changed lines keep their ids, comments and \
links. When no such edits exist the whole body is replaced, and --dry-run says why. After the \
write the page is read back and compared with what was intended (Notion's normalisations of \
lists and blank lines are not differences): a difference is shown and the command exits 3. A \
file the edit came from is then rewritten as the page reads, with a fresh content_hash, so it \
can be edited and pushed again.\n\n\
Guards (all on):\n\
  * the page changed since the input's copy was read (its content_hash, or, for an input \
without one, this machine's record of the last `ntn pages get`): refused, exit 6; --force. With \
neither, the edit is asked about on a terminal and refused elsewhere; --force\n\
  * the edit would rewrite a block Markdown cannot give back (a table of contents, a synced \
block, a bookmark, an embed, a link preview, a link to a page, a breadcrumb, a file hosted by \
Notion, an inline equation): refused, naming it and its line; --allow-lossy\n\
  * child pages or databases would be deleted: refused, naming them; --allow-deleting-content\n\
  * the page cannot be read completely, so writing it whole would lose blocks: refused; --force\n\
An input without a body leaves the content as it is.\n\n\
--replace OLD NEW (repeatable) edits in place instead; each OLD must be on the page exactly once \
(or at least once with --all-matches), checked in order before anything is sent.\n\n\
--dry-run prints a unified diff of the body, the property changes and the method (targeted \
edits or a whole replace, and why), and sends nothing; on a page that changed since your copy \
it shows the three-way view (what changed there, what you changed, where they meet). --json \
prints the plan (with --dry-run) or the page's new state.\n\n\
Text written in the editor is never lost: when the edit then fails (a frontmatter mistake, a \
guard, the network), it is kept in a private file under the config directory \
(recover/<page id>-<time>.md), named in the hint; --recover opens the newest one in the editor \
again, and passing the file as FILE works too. A successful edit removes it.\n\n\
Examples:\n  ntn pages get <id> > p.md && $EDITOR p.md && ntn pages edit p.md\n  \
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
    /// The page: an id (with or without dashes) or a Notion URL; or a file written by
    /// `ntn pages get`, whose `id:` names the page
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
    /// Let the edit rewrite blocks Markdown cannot give back (bookmarks, tables of
    /// contents, synced blocks, embeds, files hosted by Notion, …)
    #[arg(long)]
    pub allow_lossy: bool,
    /// Print the result as JSON (the page's new state, or the plan with --dry-run)
    #[arg(long)]
    pub json: bool,
}

const APPEND_ABOUT: &str = "Add Markdown at the end of a page, or after the text --after \
matches, without reading the page or rewriting anything on it (Notion's insert_content): every \
block already there keeps its id, comments and links. For journals, logs and agents' notes.\n\n\
The Markdown is TEXT, a file, or stdin (`-`, or a pipe). It must not start with frontmatter \
(Notion would write it as text).\n\n\
Examples:\n  ntn pages append <id> '- 09:30 deployed v2'\n  \
ntn pages append <id> notes.md\n  make test 2>&1 | tail -5 | ntn pages append <id> -\n  \
ntn pages append <id> 'Follow-up: call Bob' --after '## Today'";

#[derive(Debug, clap::Args)]
pub struct AppendArgs {
    /// The page: an id (with or without dashes) or a Notion URL
    pub page: String,
    /// The Markdown: text, a file, or `-` for stdin (stdin is read when it is a pipe)
    #[arg(value_name = "TEXT|FILE|-", allow_hyphen_values = true)]
    pub input: Option<String>,
    /// Insert after the text this matches instead of at the end
    #[arg(long, value_name = "TEXT")]
    pub after: Option<String>,
    /// Print Notion's answer as JSON
    #[arg(long)]
    pub json: bool,
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
        PagesCommand::Append(a) => append(ctx, a),
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
    save_record(ctx, &read);
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
    if let Source::Editor = source {
        let Some(spec) = &flag else {
            return Err(no_parent());
        };
        let parent = client.resolve_parent(spec)?;
        let template = template(&parent)?;
        // The text is kept under the parent's id while the page does not exist.
        let key = match &parent {
            Parent::Page(id) | Parent::DataSource { id, .. } => id.clone(),
            Parent::Workspace => "workspace".to_string(),
        };
        let spec_arg = a.parent.clone().unwrap_or_default();
        return pages_recover::create_and_apply(ctx, &key, &spec_arg, template, |text| {
            create_from(ctx, &client, &a, &flag, text, Some(parent))
                .map(|()| pages_recover::Applied::Done)
        });
    }
    let text = read_source(ctx, source)?;
    let done = create_from(ctx, &client, &a, &flag, &text, None);
    if done.is_ok()
        && let Some(f) = &a.input.file
    {
        pages_recover::forget(ctx, f);
    }
    done
}

/// Creates a page from a document (its parent resolved here unless given).
fn create_from(
    ctx: &Context,
    client: &PageClient,
    a: &CreateArgs,
    flag: &Option<ParentSpec>,
    text: &str,
    parent: Option<Parent>,
) -> Result<()> {
    let doc = Document::parse(text)?;
    let parent = match parent {
        Some(p) => p,
        None => {
            let spec = match (flag, doc.text("parent")?) {
                (Some(s), _) => s.clone(),
                (None, Some(p)) if !p.is_empty() => ParentSpec::parse(&p)?,
                _ => return Err(no_parent()),
            };
            client.resolve_parent(&spec)?
        }
    };
    let schema = match &parent {
        Parent::DataSource { schema, .. } => Some(schema),
        _ => None,
    };
    let props = edit::new_page_properties(&doc, schema, client.users())?;
    let (page, note) = client.create(&parent, props, &doc.body)?;
    if let Some(n) = note {
        ctx.ui.warn(n);
    }
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

fn edit_page(ctx: &Context, mut a: EditArgs) -> Result<()> {
    // `ntn pages edit page.md`: the page is the file's `id:`.
    let id = match id::parse(&a.page) {
        Ok(id) => id,
        Err(e) => {
            let path = PathBuf::from(&a.page);
            if a.input.file.is_some() || a.input.content.is_some() || !path.is_file() {
                return Err(e);
            }
            let text = read_source(ctx, Source::File(path.clone()))?;
            let doc = Document::parse(&text)?;
            let Some(from_file) = doc.text("id")?.or(doc.text("notion_id")?) else {
                return Err(Error::usage(format!(
                    "{} has no `id:` in its frontmatter, so it does not say which page it is",
                    path.display()
                ))
                .hint("name the page: ntn pages edit PAGE FILE"));
            };
            a.input.file = Some(path);
            id::parse(&from_file)?
        }
    };
    let opts = Options {
        force: a.force,
        allow_deleting_content: a.allow_deleting_content,
        allow_lossy: a.allow_lossy,
        dry_run: a.dry_run,
    };
    let client = connect(ctx)?;
    let lossy = |text: &str| client.lossy_blocks(&id, text);
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
        let current = client.read(&id, &ctx.ui)?;
        let plan = edit::plan_replacements(&current, edits, &opts, &lossy)?;
        return finish(ctx, &client, plan, &a, None);
    }
    let source = if a.recover {
        recover_source(ctx)?
    } else {
        source(ctx, &a.input)?
    };
    let file = match &source {
        Source::File(p) => Some(p.clone()),
        _ => None,
    };
    let apply = |text: &str| -> Result<pages_recover::Applied> {
        let doc = Document::parse(text)?;
        let record = load_record(ctx, &id);
        let base = edit::base_of(
            &doc,
            record
                .as_ref()
                .map(|r| (r.content_hash.as_str(), r.recorded_at.as_str())),
        )?;
        // The page as it is now (after the editor, too): what the guards compare with.
        let current = client.read(&id, &ctx.ui)?;
        let plan = client.plan_document(&current, &doc, &base, &opts)?;
        if base == edit::Base::Unknown && !plan.is_empty() && !a.force && !a.dry_run {
            confirm_unguarded(ctx, &current)?;
        }
        let three = plan.conflict.as_ref().map(|_| {
            let dir = ctx.state().ok().map(|st| st.dir().path.clone());
            let base_body = match (&base, &dir) {
                (edit::Base::Input(h), Some(d)) => {
                    crate::state::pages::body_of(d, &id, &h.to_string())
                }
                (edit::Base::Record(h, _), Some(d)) => {
                    crate::state::pages::body_of(d, &id, &h.to_string())
                }
                _ => None,
            };
            (
                base_body,
                pages::read::normalize_body(&doc.body).into_owned(),
            )
        });
        finish(ctx, &client, plan, &a, Some((file.clone(), doc, three)))?;
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
            let text = read_source(ctx, other)?;
            if apply(&text)? == pages_recover::Applied::Done
                && let Some(f) = &file
            {
                pages_recover::forget(ctx, f);
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

/// The record this machine keeps of a page (a broken one is ignored, with a warning).
fn load_record(ctx: &Context, id: &str) -> Option<crate::state::pages::PageRecord> {
    let dir = ctx.state().ok()?.dir().path.clone();
    match crate::state::pages::load(&dir, id) {
        Ok(r) => r,
        Err(e) => {
            ctx.ui.warn(format_args!(
                "ignoring this machine's record of the page: {}",
                e.message()
            ));
            None
        }
    }
}

/// Records what this machine saw of a page (a failure to write it is only a warning).
fn save_record(ctx: &Context, read: &Read) {
    let Ok(state) = ctx.state() else { return };
    let record = crate::state::pages::PageRecord {
        id: read.id().to_string(),
        content_hash: read.content_hash(),
        last_edited_time: read.page["last_edited_time"].as_str().map(str::to_string),
        recorded_at: crate::support::time::format_rfc3339(ctx.clock.unix_ms()),
        bodies: Vec::new(),
    };
    let body = pages::read::normalize_body(&read.markdown);
    if let Err(e) = crate::state::pages::save(&state.dir().path, &record, &body) {
        ctx.ui.warn(format_args!(
            "could not record the page's state on this machine: {}",
            e.message()
        ));
    }
}

/// An input with neither a content_hash nor a record of the page cannot be checked for
/// a colleague's edit: asked on a terminal, refused otherwise.
fn confirm_unguarded(ctx: &Context, current: &Read) -> Result<()> {
    let why = "the input has no content_hash and this machine has no record of reading the page, so a change made there since cannot be detected";
    if ctx.ui.is_interactive() {
        let q = format!(
            "{why}. Write over {:?} as it is now?",
            clean(&current.title())
        );
        if ctx.ui.prompter().confirm(&q, false)? == Some(true) {
            return Ok(());
        }
        return Err(Error::local("cancelled: nothing was changed"));
    }
    Err(Error::usage(format!("refusing to edit: {why}"))
        .hint(format!("read the page first (`ntn pages get {}` records it, and its frontmatter keeps a content_hash), or pass --force", current.id())))
}

type FromDoc = (Option<PathBuf>, Document, Option<(Option<String>, String)>);

fn finish(
    ctx: &Context,
    client: &PageClient,
    plan: edit::Plan,
    a: &EditArgs,
    from: Option<FromDoc>,
) -> Result<()> {
    for w in &plan.warnings {
        ctx.ui.warn(w);
    }
    if plan.is_empty() && plan.conflict.is_none() {
        if a.json {
            return ctx
                .ui
                .json(&json!({"id": plan.page_id, "changed": false, "method": "none"}));
        }
        ctx.ui
            .message("No changes: the page already reads like that.");
        return Ok(());
    }
    if a.dry_run {
        if a.json {
            return ctx.ui.json(&plan_json(&plan));
        }
        let mut text = String::new();
        if let Some(c) = &plan.conflict {
            let three = from.as_ref().and_then(|f| f.2.clone());
            text.push_str(&conflict_view(&plan, c, three));
        } else {
            text.push_str(&diff::render(&plan));
        }
        ctx.ui
            .out()
            .write_all(text.as_bytes())
            .map_err(stdout_error)?;
        if plan.body != edit::BodyOp::None && plan.conflict.is_none() {
            ctx.ui.message(format_args!("Method: {}.", plan.method));
        }
        ctx.ui.message("Dry run: nothing was sent.");
        return Ok(());
    }
    let applied = client.apply(&plan, &ctx.ui)?;
    for n in &applied.notes {
        ctx.ui.warn(n);
    }
    if let Some(after) = &applied.after {
        save_record(ctx, after);
    }
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
    if let Some(pages::client::Verdict::Differs {
        expected,
        got,
        hunks,
    }) = &applied.verified
    {
        let mut shown = diff::render(&edit::Plan {
            before: expected.clone(),
            after: got.clone(),
            properties: Vec::new(),
            ..plan.clone()
        });
        shown = shown
            .replace("(Notion now)", "(intended)")
            .replace("(after the edit)", "(read back)");
        ctx.ui
            .out()
            .write_all(shown.as_bytes())
            .map_err(stdout_error)?;
        let applied_n = hunks.iter().filter(|h| **h).count();
        let which = if hunks.is_empty() {
            String::new()
        } else {
            format!(
                " ({applied_n} of {} edits show in it{})",
                hunks.len(),
                if applied_n == hunks.len() {
                    String::new()
                } else {
                    let missing: Vec<String> = hunks
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| !**h)
                        .map(|(i, _)| (i + 1).to_string())
                        .collect();
                    format!("; not: {}", missing.join(", "))
                }
            )
        };
        return Err(Error::incomplete(format!(
            "the page was updated, but it does not read as intended{which}"
        ))
        .hint("the diff above shows what was intended and what Notion has; check the page and edit again"));
    }
    // A file the edit came from is brought up to date, so the next edit of it works; only
    // when the page was checked to read as the file meant (else the file keeps the text).
    let checked = !applied.content || applied.verified == Some(pages::client::Verdict::AsIntended);
    if let (Some((Some(path), doc, _)), Some(after)) = (&from, &applied.after)
        && doc.front.is_some()
    {
        if checked {
            refresh_file(ctx, path, doc, after)?;
        } else {
            ctx.ui.note(format_args!(
                "{} was left as it is: the page could not be checked against it (run `ntn pages get` to refresh it)",
                path.display()
            ));
        }
    }
    if a.json {
        let state = applied.after.as_ref().map(|r| {
            json!({
                "content_hash": r.content_hash(),
                "last_edited_time": r.page["last_edited_time"],
            })
        });
        return ctx.ui.json(&json!({
            "id": plan.page_id,
            "changed": true,
            "method": method_name(&plan),
            "content": applied.content,
            "properties": applied.properties,
            "verified": applied.verified.is_some(),
            "state": state,
        }));
    }
    ctx.ui.message(format_args!(
        "Updated {:?}: {}{}.",
        clean(title),
        parts.join(" and "),
        match &plan.body {
            edit::BodyOp::Update(e) => format!(
                " ({} targeted edit{}, checked after)",
                e.len(),
                if e.len() == 1 { "" } else { "s" }
            ),
            edit::BodyOp::Replace(_) => " (whole page rewritten, checked after)".to_string(),
            edit::BodyOp::None => String::new(),
        }
    ));
    Ok(())
}

fn method_name(plan: &edit::Plan) -> &'static str {
    match plan.body {
        edit::BodyOp::None => "none",
        edit::BodyOp::Replace(_) => "replace_content",
        edit::BodyOp::Update(_) => "update_content",
    }
}

/// A dry run's plan as JSON.
fn plan_json(plan: &edit::Plan) -> Value {
    let edits: Vec<Value> = match &plan.body {
        edit::BodyOp::Update(e) => e
            .iter()
            .map(|e| json!({"old_str": e.old, "new_str": e.new, "replace_all_matches": e.all}))
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "id": plan.page_id,
        "method": method_name(plan),
        "why": plan.method,
        "content_updates": edits,
        "properties": plan.properties.iter().map(|c| json!({"name": c.name, "before": c.before, "after": c.after})).collect::<Vec<_>>(),
        "conflict": plan.conflict.as_ref().map(|c| c.what.clone()),
        "warnings": plan.warnings,
    })
}

/// What a dry run shows for a page that changed since the input's copy: the three-way
/// view when this machine has the base, else the two sides.
fn conflict_view(
    plan: &edit::Plan,
    c: &edit::Conflict,
    three: Option<(Option<String>, String)>,
) -> String {
    let mut out = format!(
        "The page changed since your copy was read ({}); a real edit would be refused (exit 6).\n\n",
        c.what
    );
    match three {
        Some((Some(base), mine)) => {
            let m = pages::threeway::merge(&base, &mine, &plan.before);
            out.push_str(&pages::threeway::render(&m, ("your copy", "Notion")));
            if m.conflicts == 0 {
                out.push_str("\nThe two sets of changes do not overlap: read the page again and redo your change, or pass --force to write yours over theirs.\n");
            }
        }
        _ => {
            out.push_str("This machine has no copy of the page as your input started from, so only the two sides can be shown:\n\n");
            out.push_str(&diff::render(plan));
        }
    }
    out
}

/// Rewrites the file an edit came from as the page now reads: the frontmatter it had,
/// with the new `content_hash` and `last_edited_time`, and Notion's Markdown.
fn refresh_file(ctx: &Context, path: &std::path::Path, doc: &Document, after: &Read) -> Result<()> {
    let mut front = doc.front.clone().unwrap_or_default();
    let now = after.frontmatter();
    for key in ["content_hash", "last_edited_time"] {
        if let Some(v) = now.get(key) {
            front.insert(key.to_string(), v.clone());
        }
    }
    let text = document::write(&front, &after.markdown)?;
    crate::state::files::write_atomic(path, text.as_bytes()).map_err(|e| {
        e.hint("the page was updated; only its copy in the file is stale (run `ntn pages get` to refresh it)")
    })?;
    ctx.ui.note(format_args!(
        "{} now holds the page as Notion has it (content_hash refreshed)",
        path.display()
    ));
    Ok(())
}

fn append(ctx: &Context, a: AppendArgs) -> Result<()> {
    let id = id::parse(&a.page)?;
    let source = match a.input.as_deref() {
        Some("-") => Source::Stdin,
        Some(arg) if std::path::Path::new(arg).is_file() => Source::File(PathBuf::from(arg)),
        Some(text) => Source::Text(text.to_string()),
        None => match ctx.ui.stdin_kind() {
            StdinKind::Pipe | StdinKind::File => Source::Stdin,
            _ => {
                return Err(Error::usage(
                    "nothing to append: no TEXT, no file and nothing on stdin",
                )
                .hint("ntn pages append PAGE 'text', a file, or pipe the Markdown in"));
            }
        },
    };
    let text = read_source(ctx, source)?;
    if text.trim().is_empty() {
        return Err(Error::usage("nothing to append: the text is empty")
            .hint("give the Markdown to add as TEXT, a file, or on stdin"));
    }
    if text.starts_with("---\n") || text.starts_with("---\r\n") {
        return Err(Error::usage(
            "the text starts with frontmatter, which Notion would write as text",
        )
        .hint("remove the frontmatter block; `ntn pages edit` changes properties"));
    }
    let client = connect(ctx)?;
    let answer = client.append(&id, &text, a.after.as_deref())?;
    if a.json {
        return ctx.ui.json(&answer);
    }
    ctx.ui.message(format_args!(
        "Appended {} line{} to the page{}.",
        text.trim_end().lines().count(),
        if text.trim_end().lines().count() == 1 {
            ""
        } else {
            "s"
        },
        match &a.after {
            Some(t) => format!(" after {:?}", clean(t)),
            None => String::new(),
        }
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
