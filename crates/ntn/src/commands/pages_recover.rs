//! The editor flows of `ntn pages edit PAGE` (and `--recover`) and `ntn pages create`:
//! text the user saved in the editor is never lost.
//!
//! As soon as the editor closes with a change, the text is kept in a recovery file
//! ([`crate::state::recover`], 0600) before anything can fail: a parse error in the
//! frontmatter, a guard's refusal, a network failure, even the process being killed. A
//! failure's hint names the file and `ntn pages edit PAGE --recover`, which opens the
//! newest saved text of the page in the editor again (then goes on as a normal edit);
//! `ntn pages edit PAGE FILE` with the file works too. A successful edit removes it. An
//! editor that fails after saving (killed, `:cq` after `:w`) has its text kept too.

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::editor;
use crate::output::text::clean;
use crate::state::recover::Recovery;

/// What the editor starts from.
pub enum Start {
    /// The page as read (Markdown with frontmatter): unchanged text means no edit.
    Page(String),
    /// A recovery file and its text (`--recover`): applied even if left as it is.
    Recovered(PathBuf, String),
    /// A new page's template: left as it is (blank lines aside), nothing is created.
    Template(String),
}

/// How the edit ended, as `apply` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Done (written, or nothing left to change): the saved text is no longer needed.
    Done,
    /// Not sent (a dry run): the saved text is kept for a real edit.
    NotSent,
}

fn recovery(ctx: &Context) -> Result<Recovery> {
    Ok(Recovery::new(ctx.state()?.dir()))
}

/// The newest saved text of `page` (for `--recover`).
pub fn newest(ctx: &Context, page: &str) -> Result<Start> {
    let r = recovery(ctx)?;
    let Some(path) = r.newest(page)? else {
        return Err(Error::local(format!(
            "no saved editor text for page {}",
            clean(page)
        ))
        .hint(format!(
            "texts are kept in {} when an edit in the editor fails; run `ntn pages edit {}` to start from the page",
            r.dir().display(),
            clean(page)
        )));
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::local(format!("cannot read {}", path.display()))
            .hint("check that the file is UTF-8 text, or pass it as the FILE argument after fixing it")
            .cause(&e)
    })?;
    Ok(Start::Recovered(path, text))
}

/// Opens the editor on `start` (SIGINT is the editor's while it runs), keeps the text the
/// user saved in a recovery file, then calls `apply` with it (parse, guards, sending:
/// everything that may fail). On success ([`Applied::Done`]) the recovery file goes
/// (and the one `start` came from); on failure the error's hint names it.
pub fn edit_and_apply(
    ctx: &Context,
    page: &str,
    start: Start,
    apply: impl FnOnce(&str) -> Result<Applied>,
) -> Result<()> {
    let retry = |_: &Path| format!("ntn pages edit {} --recover", clean(page));
    run(ctx, page, &retry, start, apply)
}

/// The editor flow of `ntn pages create` on a terminal: the same keeping of the text,
/// under `key` (the parent's id), with a hint to create the page from the kept file.
pub fn create_and_apply(
    ctx: &Context,
    key: &str,
    parent: &str,
    template: String,
    apply: impl FnOnce(&str) -> Result<Applied>,
) -> Result<()> {
    let retry = |path: &Path| {
        format!(
            "ntn pages create --parent {} {}",
            clean(parent),
            path.display()
        )
    };
    run(ctx, key, &retry, Start::Template(template), apply)
}

fn run(
    ctx: &Context,
    page: &str,
    retry: &dyn Fn(&Path) -> String,
    start: Start,
    apply: impl FnOnce(&str) -> Result<Applied>,
) -> Result<()> {
    let (initial, from, template) = match start {
        Start::Page(t) => (t, None, false),
        Start::Recovered(p, t) => (t, Some(p), false),
        Start::Template(t) => (t, None, true),
    };
    let text = match editor::edit(&initial, &ctx.vars, ".md") {
        Ok(t) => t,
        Err(e) => {
            // An editor that failed after saving: keep what it saved.
            let Some(editor::Unapplied(text)) = e.data::<editor::Unapplied>().cloned() else {
                return Err(e);
            };
            let saved = recovery(ctx)
                .and_then(|r| r.save(page, ctx.clock.unix_ms(), &text))
                .ok();
            return Err(with_recovery_hint(ctx, e, retry, saved.as_deref(), &text));
        }
    };
    if template && text.trim() == initial.trim() {
        return Err(Error::local(
            "the page was left as it started: nothing was created",
        ));
    }
    if from.is_none() && text == initial {
        ctx.ui.message("No changes.");
        return Ok(());
    }
    // Kept before anything can fail (or the process be killed).
    let kept = recovery(ctx).and_then(|r| {
        let path = r.save(page, ctx.clock.unix_ms(), &text)?;
        Ok((r, path))
    });
    let (r, saved) = match kept {
        Ok((r, path)) => {
            if let Some(old) = &from
                && old != &path
            {
                let _ = r.remove(old);
            }
            (Some(r), Some(path))
        }
        Err(e) => {
            ctx.ui.warn(format_args!(
                "your text could not be kept in a recovery file: {}",
                e.message()
            ));
            (None, None)
        }
    };
    match apply(&text) {
        Ok(Applied::Done) => {
            if let (Some(r), Some(path)) = (&r, &saved) {
                let _ = r.remove(path);
            }
            Ok(())
        }
        Ok(Applied::NotSent) => {
            if let Some(path) = &saved {
                ctx.ui.message(format_args!(
                    "Your text is kept in {}: run `{}` to apply it.",
                    path.display(),
                    retry(path)
                ));
            }
            Ok(())
        }
        Err(e) => Err(with_recovery_hint(ctx, e, retry, saved.as_deref(), &text)),
    }
}

/// The failure of an edit, saying where the text is (or printing it when it could not
/// be kept).
fn with_recovery_hint(
    ctx: &Context,
    e: Error,
    retry: &dyn Fn(&Path) -> String,
    saved: Option<&Path>,
    text: &str,
) -> Error {
    let keep = match saved {
        Some(path) => format!(
            "your text is saved in {}; run `{}`",
            path.display(),
            retry(path)
        ),
        None => {
            use std::io::Write as _;
            let mut out = ctx.ui.raw();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            "your text is printed above".to_string()
        }
    };
    let hint = match e.hint_text() {
        Some(h) => format!("{h}\n        {keep}"),
        None => keep,
    };
    e.hint(hint)
}

/// After a successful edit from `file`: removes it when it is a recovery file.
pub fn forget(ctx: &Context, file: &Path) {
    if let Ok(r) = recovery(ctx)
        && r.holds(file)
    {
        let _ = r.remove(file);
    }
}
