//! `ntn files create`: parses the arguments, calls the upload engine
//! ([`crate::notion::upload`]) and prints the result.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::notion::Notion;
use crate::notion::upload::source::Input;
use crate::notion::upload::{self, Options, sniff};
use crate::output::{Format, FormatArgs};
use crate::support::size::human_bytes;

/// The long help of `ntn files create`.
pub const CREATE_ABOUT: &str = "Upload a file to Notion and print the file upload's id (with --json, the file \
upload object). Attach it to a page or block with the id afterwards.\n\n\
Where the bytes come from:\n  \
PATH                   a file (or a device, a FIFO); `-` means stdin\n  \
(nothing)              stdin, when it is not a terminal\n  \
--external-url URL     Notion imports the file from an https URL; nothing is sent\n\n\
Files up to 20 MiB are sent in one request; larger ones in 10 MiB parts, --parallel at a \
time (default 4), each read straight from the file into the connection: memory stays small \
whatever the size. A part that fails is retried (3 attempts, more for throttling); if it \
still fails the command names the part and the reason and exits 5. Ctrl-C stops the upload \
at once, says how many parts were sent and exits 130.\n\n\
Pipes: Notion needs the number of parts before the first byte is sent. A pipe of up to 20 MiB \
is read into memory. A larger pipe is copied to an unnamed temporary file first (in $TMPDIR, \
private to you, gone when ntn exits, even on Ctrl-C; a note on stderr says so), then sent in \
parallel parts. With --size BYTES (the exact size) it is streamed instead, part by part, in \
(--parallel) x 10 MiB of memory and no disk. Stdin redirected from a file (`< file`) needs \
neither: its size is known. A file that reports size 0 (such as /proc/self/status) is read to \
its end.\n\n\
The name is the path's file name (for stdin `upload.<ext>` from the content) and the type \
comes from the name's extension, else from the first bytes (PNG, JPEG, GIF, WebP, PDF, ZIP, \
GZIP, MP4, JSON, text); --filename and --content-type override both. Every local check (the \
file, --size, the workspace's upload limit) passes before the upload is created. Progress is \
shown on stderr when it is a terminal.\n\n\
--timeout bounds the whole upload (default: 10 minutes plus 4 seconds per MiB); a connection \
on which nothing moves for 30 s is given up and the part retried.\n\n\
Examples:\n  ntn files create report.pdf\n  ntn files create < video.mp4\n  \
curl -s https://example.com/a.png | ntn files create --filename a.png\n  \
pg_dump mydb | gzip | ntn files create --filename db.sql.gz\n  \
tar c dir | ntn files create --size \"$(tar c dir | wc -c)\" --filename dir.tar\n  \
ntn files create --external-url https://example.com/logo.png --json";

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The file to upload; `-` reads stdin (the default when stdin is not a terminal)
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Let Notion import the file from this https URL instead of sending bytes
    #[arg(long, value_name = "URL", conflicts_with_all = ["path", "size"])]
    pub external_url: Option<String>,
    /// Name of the file in Notion (default: the path's file name)
    #[arg(long, value_name = "NAME")]
    pub filename: Option<String>,
    /// MIME type (default: from the name's extension, else from the content)
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Exact size in bytes of a pipe: stream it instead of copying it to a temporary file
    #[arg(long, value_name = "BYTES")]
    pub size: Option<u64>,
    /// How many parts to send at once (1 to 16)
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=16))]
    pub parallel: u16,
    /// Give up after this many seconds [default: 600 + 4 per MiB]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub format: FormatArgs,
}

fn parse_seconds(s: &str) -> std::result::Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0 && v <= 7.0 * 86_400.0) {
        return Err("the timeout must be more than 0 and at most 604800 seconds (a week)".into());
    }
    Ok(Duration::from_secs_f64(v))
}

pub fn run(ctx: &Context, args: CreateArgs) -> Result<()> {
    if let Some(url) = args.external_url.clone() {
        return external(ctx, &args, &url);
    }
    let input = match &args.path {
        Some(p) if p.as_os_str() == "-" => stdin(ctx)?,
        Some(p) => Input::open(p)?,
        None if ctx.ui.stdin_is_tty() => {
            return Err(Error::usage("no file to upload: stdin is a terminal").hint(
                "give a PATH, pipe the data in (`... | ntn files create`), or use --external-url URL",
            ));
        }
        None => stdin(ctx)?,
    };
    // The token first: a missing login fails before a pipe is read.
    let cred = ctx.credential()?;
    let interrupt = ctx.interrupt();
    let opts = Options {
        filename: args.filename.clone(),
        content_type: args.content_type.clone(),
        size: args.size,
        parallel: usize::from(args.parallel),
    };
    let prepared = upload::prepare(input, &opts, &ctx.ui, &interrupt)?;
    let timeout = args
        .timeout
        .unwrap_or_else(|| upload::default_timeout(prepared.size));
    let notion = Notion::new(
        ctx.http_within(timeout),
        cred.token,
        ctx.env.api_base(),
        ctx.notion_version(),
    );
    let started = ctx.clock.now();
    let up = upload::upload(&notion, prepared, opts.parallel, &ctx.ui, &interrupt)?;
    let ui = &ctx.ui;
    if ui.stderr_is_tty() {
        let secs = ctx
            .clock
            .now()
            .duration_since(started)
            .as_secs_f64()
            .max(0.001);
        let ok = crate::output::style::OK;
        ui.message(format_args!(
            "{ok}✓{ok:#} Uploaded {} ({}) in {:.1}s, {}/s",
            crate::output::text::clean(&up.filename),
            human_bytes(up.size),
            secs,
            human_bytes((up.size as f64 / secs) as u64)
        ));
    }
    print_result(ui, &up.upload, &up.id, &args.format)
}

/// Stdin as an upload source: a handle of its own (read by offset when it
/// is a file), or the reader an embedding `Ui` gives.
fn stdin(ctx: &Context) -> Result<Input> {
    match ctx.ui.stdin_file() {
        Some(f) => Input::stdin(f),
        None => ctx
            .ui
            .take_stdin()
            .map(|r| Input::reader(r, "stdin"))
            .ok_or_else(|| Error::local("cannot read stdin")),
    }
}

fn print_result(
    ui: &crate::output::Ui,
    upload: &Value,
    id: &str,
    format: &FormatArgs,
) -> Result<()> {
    match format.format() {
        Format::Json => ui.json(upload),
        _ => ui.line(upload["id"].as_str().unwrap_or(id)),
    }
}

/// `--external-url`: Notion fetches the file itself.
fn external(ctx: &Context, args: &CreateArgs, url: &str) -> Result<()> {
    let url = url.trim();
    if !url.to_ascii_lowercase().starts_with("https://") || url.len() <= "https://".len() {
        return Err(Error::usage(format!(
            "--external-url must be an https:// URL, not {url:?}"
        ))
        .hint("Notion only imports files from https URLs"));
    }
    let filename = args
        .filename
        .clone()
        .filter(|f| !f.trim().is_empty())
        .or_else(|| {
            let path = url["https://".len()..]
                .split(['?', '#'])
                .next()
                .unwrap_or("");
            path.split_once('/')
                .and_then(|(_, p)| p.rsplit('/').next())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "file".to_string());
    let mut body = json!({
        "mode": "external_url",
        "external_url": url,
        "filename": filename,
    });
    let content_type = args
        .content_type
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| sniff::type_for_name(&filename).map(str::to_string));
    if let Some(t) = content_type {
        body["content_type"] = json!(t);
    }
    let api = super::notion(ctx)?;
    let upload = api.post("/v1/file_uploads", &body)?;
    let id = upload["id"].as_str().unwrap_or_default().to_string();
    print_result(&ctx.ui, &upload, &id, &args.format)
}
