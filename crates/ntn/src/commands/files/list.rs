//! `ntn files list` and `ntn files get`.

use serde_json::Value;
#[cfg(test)]
use serde_json::json;

use super::{check_id, notion};
use crate::context::Context;
use crate::error::Result;
use crate::notion::listing::Listing;
use crate::output::{Format, FormatArgs, Mode, RecordArgs, Table};
use crate::support::size::human_bytes;

/// The long help of `ntn files list`.
pub const LIST_ABOUT: &str = "List the file uploads of the workspace, newest last, as the API returns them.\n\n\
By default the first 25 are shown; --limit N shows up to N, --all follows the pagination \
to the end. When more exist than are shown, a line on stderr says so and gives the cursor to \
continue from (--start-cursor). The listing gives up after 60 seconds (10 minutes with --all), \
retries included. --json prints a JSON array of the upload objects, as every list command \
does; --plain, --csv, --ndjson and --ids as for search and data sources.\n\n\
Examples:\n  ntn files list\n  ntn files list --status pending --plain | cut -f1\n  \
ntn files list --all --json";

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub paging: crate::commands::paging::PagingArgs,
    /// Only uploads with this status
    #[arg(long, value_parser = ["pending", "uploaded", "expired", "failed"])]
    pub status: Option<String>,
    #[command(flatten)]
    pub format: RecordArgs,
}

/// The long help of `ntn files get`.
pub const GET_ABOUT: &str = "Show one file upload: status, name, type, size, parts sent.\n\n\
Examples:\n  ntn files get 2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c\n  ntn files get <id> --json";

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The file upload id
    pub id: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

pub fn run_get(ctx: &Context, args: GetArgs) -> Result<()> {
    let id = check_id(&args.id)?;
    let api = notion(ctx)?;
    let upload = api.get(&format!("/v1/file_uploads/{id}"))?;
    match args.format.format() {
        Format::Json => ctx.ui.json(&upload),
        Format::Plain => {
            let mut t = table();
            t.row(row(&upload, true));
            t.print(&ctx.ui, Format::Plain)
        }
        Format::Human => print_report(ctx, &upload),
    }
}

pub fn run_list(ctx: &Context, args: ListArgs) -> Result<()> {
    // --all may take many pages: a longer time limit for the whole listing.
    let api = if args.paging.all {
        ctx.notion(std::time::Duration::from_secs(600))?.0
    } else {
        notion(ctx)?
    };
    let mut path = "/v1/file_uploads".to_string();
    if let Some(s) = &args.status {
        path.push_str(&format!("?status={s}"));
    }
    if let Some(c) = args.paging.cursor() {
        path = crate::notion::paginate::with_query_cursor(&path, c);
    }
    let listing = Listing::get(&api, &path, args.paging.limit())?;
    let mode = args.format.mode();
    let headers = match mode {
        Mode::Table => [
            "ID",
            "STATUS",
            "FILENAME",
            "CONTENT TYPE",
            "SIZE",
            "CREATED",
        ],
        _ => [
            "id",
            "status",
            "filename",
            "content_type",
            "size",
            "created_time",
        ],
    };
    let plain = mode != Mode::Table;
    let records = args
        .format
        .records(&ctx.ui, headers.map(String::from).to_vec());
    crate::commands::datasources::stream::run(
        ctx,
        listing,
        records,
        &|u: &Value| row(u, plain),
        "uploads",
        args.paging.long(),
    )
}

fn table() -> Table {
    Table::new([
        "ID",
        "STATUS",
        "FILENAME",
        "CONTENT TYPE",
        "SIZE",
        "CREATED",
    ])
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// One row; `plain` keeps exact bytes and full timestamps for scripts.
fn row(u: &Value, plain: bool) -> Vec<String> {
    let size = match u["content_length"].as_u64() {
        Some(n) if plain => n.to_string(),
        Some(n) => human_bytes(n),
        None if plain => String::new(),
        None => "-".into(),
    };
    let created = text(&u["created_time"]);
    let created = if plain { created } else { short_time(&created) };
    vec![
        text(&u["id"]),
        text(&u["status"]),
        text(&u["filename"]),
        text(&u["content_type"]),
        size,
        created,
    ]
}

/// `2025-01-02T03:04:05.000Z` → `2025-01-02 03:04 UTC`.
fn short_time(t: &str) -> String {
    if t.len() >= 16 && t.as_bytes().get(10) == Some(&b'T') && t.ends_with('Z') {
        format!("{} {} UTC", &t[..10], &t[11..16])
    } else {
        t.to_string()
    }
}

fn print_report(ctx: &Context, u: &Value) -> Result<()> {
    let mut lines: Vec<(&str, String)> = vec![
        ("ID", text(&u["id"])),
        ("Status", text(&u["status"])),
        ("Filename", text(&u["filename"])),
        ("Content type", text(&u["content_type"])),
    ];
    if let Some(n) = u["content_length"].as_u64() {
        lines.push(("Size", format!("{} ({n} bytes)", human_bytes(n))));
    }
    if let Some(total) = u["number_of_parts"]["total"].as_u64() {
        let sent = u["number_of_parts"]["sent"].as_u64().unwrap_or(0);
        lines.push(("Parts", format!("{sent} of {total} sent")));
    }
    if let Some(url) = u["external_url"].as_str() {
        lines.push(("External URL", url.to_string()));
    }
    lines.push(("Created", text(&u["created_time"])));
    if u["status"] == "pending" {
        lines.push(("Expires", text(&u["expiry_time"])));
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let bold = crate::output::style::EMPH;
    for (k, v) in lines {
        let v = crate::output::text::one_line(&v);
        ctx.ui
            .line(format_args!("{bold}{k:<width$}{bold:#}  {v}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_for_people_and_for_pipes() {
        let u = json!({"id":"abc","status":"uploaded","filename":"a.png","content_type":"image/png",
                       "content_length": 2048, "created_time":"2025-01-02T03:04:05.000Z"});
        assert_eq!(
            row(&u, false),
            [
                "abc",
                "uploaded",
                "a.png",
                "image/png",
                "2.0 KiB",
                "2025-01-02 03:04 UTC"
            ]
        );
        assert_eq!(
            row(&u, true),
            [
                "abc",
                "uploaded",
                "a.png",
                "image/png",
                "2048",
                "2025-01-02T03:04:05.000Z"
            ]
        );
        let pending = json!({"id":"p","status":"pending","content_length":null});
        assert_eq!(row(&pending, false)[4], "-");
        assert_eq!(row(&pending, true)[4], "");
    }
}
