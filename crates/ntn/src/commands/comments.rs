//! `ntn comments`: a page's discussions from the terminal: list them (grouped by
//! thread, oldest first, the page's blocks too with `--blocks`), add one (Markdown,
//! mentions, attachments), reply, edit, delete.
//!
//! Thin: requests, grouping and wording of refusals are in [`crate::notion::comments`];
//! output modes in [`crate::output::records`].

use std::sync::Arc;

use clap::Subcommand;
use serde_json::Value;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::comments::{self, Author, Target};
use crate::notion::pages::id;
use crate::notion::{Notion, Pacer};
use crate::output::{Mode, RecordArgs, text::clean};

const ABOUT: &str = "Read and write a page's comments.\n\n\
`list` shows the unresolved comments of a page (or block) grouped by discussion, oldest first; \
`--blocks` also reads the comments on each of its blocks (Notion lists comments per block). \
Resolved comments and suggested edits are not visible through Notion's public API, and a new \
inline discussion (anchored to selected text) cannot be started through it.\n\n\
`add` writes a page-level comment, or a comment on a block; `reply` answers in a discussion \
(given its id or the id of any comment in it); `edit` and `delete` change a comment this \
integration wrote. Text is inline Markdown (bold, italic, code, links); `@email` and `@me` \
mention people. The connection needs Notion's comment capabilities (Read comments, Insert \
comments).\n\n\
Examples:\n  ntn comments list https://www.notion.so/acme/Handbook-a1000000000040008000000000000020\n  \
ntn comments list PAGE --blocks --plain\n  ntn comments add PAGE 'Looks good to **me**, @alice@acme.test'\n  \
ntn comments add PAGE 'Screenshots attached' --attach before.png --attach after.png\n  \
ntn comments reply DISCUSSION-OR-COMMENT 'Done.'\n  ntn comments delete COMMENT --yes";

const LIST_ABOUT: &str = "The unresolved comments of a page or block, grouped by discussion (thread), \
oldest first: a table on a terminal (a discussion's id on its first comment, ↳ on its replies), \
--plain (discussion, id, created, author, on, text), CSV, JSON or NDJSON (Notion's comment \
objects, thread by thread). --blocks also reads the comments on each block of the page \
(Notion lists comments per block id), following nested blocks, paced under the rate limit.\n\n\
Resolved comments and suggested edits are not visible through Notion's public API.\n\n\
Examples:\n  ntn comments list PAGE\n  ntn comments list PAGE --blocks --plain | cut -f2,6";

#[derive(Debug, clap::Args)]
#[command(long_about = ABOUT, after_long_help = super::datasources::ENV_HELP)]
pub struct Args {
    #[command(subcommand)]
    pub command: CommentsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CommentsCommand {
    /// The unresolved comments of a page or block, grouped by discussion
    #[command(long_about = LIST_ABOUT)]
    List(ListArgs),
    /// Add a comment to a page or a block
    Add(AddArgs),
    /// Reply in a discussion (its id, or the id of a comment in it)
    Reply(ReplyArgs),
    /// Change the text of a comment this integration wrote
    Edit(EditArgs),
    /// Delete a comment this integration wrote
    Delete(DeleteArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The page or block (id or URL)
    pub target: String,
    /// Also read the comments on each of the page's blocks (one request per block, paced)
    #[arg(long)]
    pub blocks: bool,
    #[command(flatten)]
    pub paging: super::paging::PagingArgs,
    #[command(flatten)]
    pub format: RecordArgs,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The page or block (id or URL)
    pub target: String,
    /// The text (inline Markdown); `-` or nothing reads it from stdin
    pub text: Option<String>,
    /// The target is a block (found out otherwise, with one request)
    #[arg(long)]
    pub block: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReplyArgs {
    /// A discussion id, or the id of a comment in it
    pub discussion: String,
    /// The text (inline Markdown); `-` or nothing reads it from stdin
    pub text: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// What `add` and `reply` share: attachments, the author's name, JSON output.
#[derive(Debug, clap::Args)]
pub struct WriteArgs {
    /// Attach a file (up to 3; uploaded first)
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<std::path::PathBuf>,
    /// Show this name as the author instead of the integration's
    #[arg(long = "as", value_name = "NAME")]
    pub display_name: Option<String>,
    /// Print the comment as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The comment's id
    pub comment: String,
    /// The new text (inline Markdown); `-` or nothing reads it from stdin
    pub text: Option<String>,
    /// Print the comment as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The comment's id
    pub comment: String,
    /// Do not ask (needed without a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        CommentsCommand::List(a) => list(ctx, a),
        CommentsCommand::Add(a) => add(ctx, a),
        CommentsCommand::Reply(a) => reply(ctx, a),
        CommentsCommand::Edit(a) => edit(ctx, a),
        CommentsCommand::Delete(a) => delete(ctx, a),
    }
}

fn connect(ctx: &Context) -> Result<Notion> {
    let (notion, _) = ctx.notion(std::time::Duration::from_secs(3600))?;
    Ok(notion.paced(Arc::new(Pacer::new(ctx.clock.clone()))))
}

fn list(ctx: &Context, a: ListArgs) -> Result<()> {
    let target = id::parse(&a.target)?;
    let notion = connect(ctx)?;
    if a.blocks && a.paging.cursor().is_some() {
        return Err(Error::usage(
            "--start-cursor continues one listing: it does not go with --blocks",
        ));
    }
    let limit = a.paging.limit();
    let mut all = Vec::new();
    let mut cursor = None;
    // With --blocks there is no one cursor: a listing cut at --limit says so.
    let mut cut = false;
    if a.blocks {
        let ids = std::iter::once(target.clone())
            .chain(
                comments::blocks(&notion, &target, 10_000)
                    .map_err(|e| comments::explain(e, &target, "read"))?,
            )
            .collect::<Vec<_>>();
        for bid in ids {
            all.extend(comments::all_on(&notion, &bid)?);
            if limit.is_some_and(|l| all.len() as u64 >= l) {
                cut = true;
                break;
            }
        }
    } else {
        let mut listing = comments::list(&notion, &target, a.paging.cursor(), limit)?;
        while let Some(batch) = listing
            .next_batch()
            .map_err(|e| comments::explain(e, &target, "read"))?
        {
            for raw in batch {
                all.push(
                    serde_json::from_str::<Value>(raw.get()).map_err(|e| {
                        Error::api("a comment of the answer cannot be read").cause(&e)
                    })?,
                );
            }
        }
        cursor = listing.next_cursor().map(str::to_string);
    }
    if let Some(l) = limit
        && all.len() as u64 > l
    {
        all.truncate(l as usize);
        cut = true;
    }
    let threads = comments::group(all);
    let mode = a.format.mode();
    let headers = match mode {
        Mode::Table => ["DISCUSSION", "ID", "CREATED", "AUTHOR", "ON", "TEXT"],
        _ => [
            "discussion_id",
            "id",
            "created_time",
            "author",
            "on",
            "text",
        ],
    };
    let users = crate::notion::users::Directory::new(&notion);
    let author = |c: &Value| -> String {
        if let Some(n) = c["display_name"]["resolved_name"]
            .as_str()
            .filter(|n| !n.is_empty())
        {
            return n.to_string();
        }
        let uid = c["created_by"]["id"].as_str().unwrap_or("");
        match users.user(uid) {
            Ok(Some(u)) => u.label().to_string(),
            _ => uid.to_string(),
        }
    };
    let mut records = a
        .format
        .records(&ctx.ui, headers.map(String::from).to_vec());
    let mut n = 0;
    for t in &threads {
        for (i, c) in t.comments.iter().enumerate() {
            let raw = serde_json::value::to_raw_value(c)
                .map_err(|e| Error::local("a comment cannot be written").cause(&e))?;
            let shown_discussion = if mode == Mode::Table && i > 0 {
                "↳".to_string()
            } else {
                t.discussion_id.clone()
            };
            let on = if t.on == target {
                "page".to_string()
            } else {
                t.on.clone()
            };
            let cells = || {
                vec![
                    shown_discussion.clone(),
                    c["id"].as_str().unwrap_or("").to_string(),
                    c["created_time"].as_str().unwrap_or("").to_string(),
                    author(c),
                    on.clone(),
                    comments::text(c).replace('\n', " "),
                ]
            };
            records.push(c["id"].as_str().unwrap_or(""), cells, &raw)?;
            n += 1;
        }
    }
    records.finish()?;
    if mode == Mode::Table && n == 0 {
        ctx.ui.message("No comments.");
    }
    if cut && cursor.is_none() {
        ctx.ui.message(format_args!(
            "more comments may exist: --limit {} stopped the listing; --all shows every one",
            a.paging.limit
        ));
    }
    if let Some(c) = cursor {
        ctx.ui.message(format_args!(
            "more comments: --start-cursor {} continues, --all shows every one",
            clean(&c)
        ));
    }
    ctx.ui.note(format_args!("{}", comments::INVISIBLE));
    Ok(())
}

/// The text of a comment: the argument, or stdin (`-`, or nothing with stdin piped).
fn text_of(ctx: &Context, given: Option<String>) -> Result<String> {
    let text = match given.as_deref() {
        Some("-") | None => {
            if given.is_none() && ctx.ui.stdin_is_tty() {
                return Err(
                    Error::usage("no text: give it as an argument, or pipe it in")
                        .hint("ntn comments add PAGE 'the text'"),
                );
            }
            let mut s = String::new();
            let Some(mut r) = ctx.ui.take_stdin() else {
                return Err(Error::usage(
                    "no text: give it as an argument, or pipe it in",
                ));
            };
            std::io::Read::read_to_string(&mut r, &mut s)
                .map_err(|e| Error::local("cannot read the text from stdin").cause(&e))?;
            s
        }
        Some(t) => t.to_string(),
    };
    if text.trim().is_empty() {
        return Err(Error::usage("the comment's text is empty").hint("write something to say"));
    }
    Ok(text.trim_end().to_string())
}

/// `@email` and `@me` become mentions of those people.
fn mentions(text: &str, notion: &Notion) -> Result<String> {
    let users = crate::notion::users::Directory::new(notion);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('@') {
        let before_ok = i == 0 || rest[..i].ends_with(|c: char| c.is_whitespace() || c == '(');
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let end = tail
            .find(|c: char| !(c.is_alphanumeric() || "._-+@".contains(c)))
            .unwrap_or(tail.len());
        let word = tail[..end].trim_end_matches('.');
        let id = if !before_ok || word.is_empty() {
            None
        } else if word == "me" {
            Some(users.me()?)
        } else if word.contains('@') {
            match crate::notion::users::find(word, users.users()?)? {
                Some(id) => Some(id),
                None => {
                    return Err(Error::usage(format!(
                        "no one in the workspace has the email {}",
                        clean(word)
                    ))
                    .hint("mention people by an email `ntn users list` shows, or @me"));
                }
            }
        } else {
            None
        };
        match id {
            Some(id) => {
                let name = users
                    .user(&id)?
                    .map(|u| u.label().to_string())
                    .unwrap_or_else(|| id.clone());
                // Notion's enhanced Markdown: `<mention-user url="user://ID">Name</mention-user>`.
                out.push_str(&format!(
                    "<mention-user url=\"user://{id}\">{}</mention-user>",
                    name.replace(['<', '>'], "")
                ));
                rest = &tail[word.len()..];
            }
            None => {
                out.push('@');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Uploads the files to attach (the limit checked before anything is sent).
fn uploads(ctx: &Context, notion: &Notion, files: &[std::path::PathBuf]) -> Result<Vec<String>> {
    if files.len() > comments::MAX_ATTACHMENTS {
        return Err(Error::usage(format!(
            "{} files to attach: a comment takes at most {}",
            files.len(),
            comments::MAX_ATTACHMENTS
        ))
        .hint("attach the others to a reply, or to the page (`ntn files attach`)"));
    }
    for f in files {
        if !f.is_file() {
            return Err(Error::usage(format!("{} is not a file", f.display()))
                .hint("attach files by their paths; nothing was sent"));
        }
    }
    let mut ids = Vec::new();
    for f in files {
        let interrupt = ctx.interrupt();
        let input = crate::notion::upload::source::Input::open(f)?;
        let prepared =
            crate::notion::upload::prepare(input, &Default::default(), &ctx.ui, &interrupt)?;
        let up = crate::notion::upload::upload(notion, prepared, 2, &ctx.ui, &interrupt)?;
        ids.push(up.id);
    }
    Ok(ids)
}

fn author(name: Option<String>) -> Author {
    match name {
        Some(n) if !n.trim().is_empty() => Author::Custom(n),
        _ => Author::Integration,
    }
}

fn show(ctx: &Context, c: &Value, json: bool, what: &str) -> Result<()> {
    if json {
        return ctx.ui.json(c);
    }
    ctx.ui.line(clean(c["id"].as_str().unwrap_or("")))?;
    ctx.ui.message(format_args!(
        "{what} (discussion {})",
        clean(c["discussion_id"].as_str().unwrap_or(""))
    ));
    Ok(())
}

fn add(ctx: &Context, a: AddArgs) -> Result<()> {
    let target = id::parse(&a.target)?;
    if a.write.attach.len() > comments::MAX_ATTACHMENTS {
        return uploads(ctx, &connect(ctx)?, &a.write.attach).map(|_| ());
    }
    let text = text_of(ctx, a.text)?;
    let notion = connect(ctx)?;
    let markdown = mentions(&text, &notion)?;
    let files = uploads(ctx, &notion, &a.write.attach)?;
    let t = if a.block {
        Target::Block(target.clone())
    } else {
        comments::target_of(&notion, &target)?
    };
    let body = comments::create_body(&t, &markdown, &files, &author(a.write.display_name));
    let c = comments::create(&notion, &body, &target)?;
    show(ctx, &c, a.write.json, "Comment added")
}

fn reply(ctx: &Context, a: ReplyArgs) -> Result<()> {
    let given = id::parse(&a.discussion)?;
    if a.write.attach.len() > comments::MAX_ATTACHMENTS {
        return uploads(ctx, &connect(ctx)?, &a.write.attach).map(|_| ());
    }
    let text = text_of(ctx, a.text)?;
    let notion = connect(ctx)?;
    let discussion = comments::discussion_of(&notion, &given)?;
    let markdown = mentions(&text, &notion)?;
    let files = uploads(ctx, &notion, &a.write.attach)?;
    let body = comments::create_body(
        &Target::Discussion(discussion.clone()),
        &markdown,
        &files,
        &author(a.write.display_name),
    );
    let c = comments::create(&notion, &body, &discussion)?;
    show(ctx, &c, a.write.json, "Reply added")
}

fn edit(ctx: &Context, a: EditArgs) -> Result<()> {
    let cid = id::parse(&a.comment)?;
    let text = text_of(ctx, a.text)?;
    let notion = connect(ctx)?;
    let markdown = mentions(&text, &notion)?;
    let c = comments::update(&notion, &cid, &markdown)?;
    show(ctx, &c, a.json, "Comment changed")
}

fn delete(ctx: &Context, a: DeleteArgs) -> Result<()> {
    let cid = id::parse(&a.comment)?;
    if !a.yes && !ctx.ui.is_interactive() {
        return Err(Error::usage(
            "deleting a comment needs a confirmation, and there is no terminal to ask on",
        )
        .hint("pass --yes to confirm"));
    }
    let notion = connect(ctx)?;
    if !a.yes {
        let c = comments::get(&notion, &cid)?;
        let q = format!("Delete the comment {:?}?", clean(&comments::text(&c)));
        if ctx.ui.prompter().confirm(&q, false)? != Some(true) {
            return Err(Error::local("cancelled: the comment was not deleted"));
        }
    }
    comments::delete(&notion, &cid)?;
    ctx.ui.message(format_args!("Deleted the comment {cid}."));
    Ok(())
}
