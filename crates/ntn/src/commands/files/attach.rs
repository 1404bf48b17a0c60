//! `ntn files attach`: a file (uploaded first, with the upload engine) or an existing
//! upload put on a page, as a block or in a files property. Thin: the place, the type
//! and the bodies are in [`crate::notion::attach`].

use std::path::Path;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::attach::{self, Place};
use crate::notion::upload::{self, Options, source::Input};
use crate::notion::{Notion, pages};
use crate::output::text::clean;
use crate::{http, vars};

/// The long help of `ntn files attach`.
pub const ATTACH_ABOUT: &str = "Put a file on a page: as a block (image, PDF, video, audio, \
else a file block, by its type), at the end of the page or right after a block, or in a \
files property of the page (a database row).\n\n\
FILE is uploaded first (as `ntn files create` does); an UPLOAD-ID (a file upload whose status \
is `uploaded`, from `ntn files create`) is used as is, and can be attached any number of \
times. PAGE is a page id or URL.\n\n\
--after TEXT puts the block right after the one top-level block of the page whose text \
contains TEXT (as written: case and spaces count); when none or several do, nothing is \
uploaded and the command says which matched. --property NAME adds the file to that files \
property, after the files it has. --caption TEXT captions the block.\n\n\
Prints the new block's id (with --property, the page's id) on stdout.\n\n\
Examples:\n  ntn files attach diagram.png --to <page-id>\n  \
ntn files attach report.pdf --to <page-id> --after \"Quarterly results\" --caption \"Q3\"\n  \
ntn files attach contract.pdf --to <row-id> --property Attachments\n  \
id=$(ntn files create logo.png) && ntn files attach \"$id\" --to <page-id>";

#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// A file to upload, or the id of a file upload
    #[arg(value_name = "FILE|UPLOAD-ID")]
    pub file: String,
    /// The page to attach it to (an id or URL)
    #[arg(long, value_name = "PAGE")]
    pub to: String,
    /// Put the block right after the top-level block whose text contains TEXT
    #[arg(long, value_name = "TEXT", conflicts_with = "property")]
    pub after: Option<String>,
    /// Add the file to this files property of the page instead of a block
    #[arg(long, value_name = "NAME")]
    pub property: Option<String>,
    /// A caption for the block
    #[arg(long, value_name = "TEXT", conflicts_with = "property")]
    pub caption: Option<String>,
}

/// Where the file comes from.
enum Source {
    File(Input),
    Upload(String),
}

fn source(given: &str) -> Result<Source> {
    let path = Path::new(given);
    if path.exists() {
        return Ok(Source::File(Input::open(path)?));
    }
    let id = given.trim();
    if upload::is_id(id) {
        return Ok(Source::Upload(id.to_string()));
    }
    Err(Error::usage(format!(
        "{:?} is neither a file nor a file upload id",
        clean(given)
    ))
    .hint("give the path of a file to upload, or the id `ntn files create` printed"))
}

/// The `Notion-Version` sent: `position` (for --after) needs 2026-03-11 or later.
fn version(ctx: &Context) -> String {
    let (version, passed_over) = pages::version(ctx.vars.value(vars::API_VERSION));
    if let Some(v) = passed_over {
        ctx.ui.warn(format_args!(
            "NOTION_API_VERSION={} is older than {}, which placing a block needs: sending {}",
            clean(&v),
            pages::MIN_VERSION,
            version
        ));
    }
    version
}

pub fn run(ctx: &Context, args: AttachArgs) -> Result<()> {
    let page_id = pages::id::parse(&args.to)?;
    let source = source(&args.file)?;
    let version = version(ctx);
    let interrupt = ctx.interrupt();
    let ui = &ctx.ui;
    let (notion, place, upload) = match source {
        Source::File(input) => {
            // Every local check first, then the page, then the upload.
            let cred = ctx.credential()?;
            let opts = Options {
                parallel: 4,
                ..Options::default()
            };
            let prepared = upload::prepare(input, &opts, ui, &interrupt)?;
            let notion = Notion::new(
                ctx.http_within(upload::default_timeout(prepared.size)),
                cred.token,
                ctx.env.api_base(),
                &version,
            );
            let place = place(&notion, &page_id, &args)?;
            let up = upload::upload(&notion, prepared, opts.parallel, ui, &interrupt)?;
            (notion, place, up.upload)
        }
        Source::Upload(id) => {
            let notion = ctx.notion(http::REQUEST_TIMEOUT)?.0.with_version(&version);
            let up = notion.get(&format!("/v1/file_uploads/{id}"))?;
            attach::check_upload(&up)?;
            let place = place(&notion, &page_id, &args)?;
            (notion, place, up)
        }
    };
    let done = attach::attach(&notion, &page_id, &place, &upload, args.caption.as_deref())?;
    let name = clean(upload["filename"].as_str().unwrap_or("the file")).into_owned();
    let ok = crate::output::style::OK;
    match &place {
        Place::Property { name: prop, .. } => ui.message(format_args!(
            "{ok}✓{ok:#} Added {name} to the property {:?} of the page",
            clean(prop)
        )),
        Place::After { .. } => ui.message(format_args!(
            "{ok}✓{ok:#} Attached {name} as {} after the matching block",
            a_block(&done.kind)
        )),
        Place::End => ui.message(format_args!(
            "{ok}✓{ok:#} Attached {name} as {} at the end of the page",
            a_block(&done.kind)
        )),
    }
    ui.line(clean(&done.id))
}

/// `an image block`, `a pdf block`.
fn a_block(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind} block")
}

fn place(notion: &Notion, page_id: &str, args: &AttachArgs) -> Result<Place> {
    attach::place(
        notion,
        page_id,
        args.after.as_deref(),
        args.property.as_deref(),
    )
}
