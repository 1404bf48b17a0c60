//! The one set of paging flags every list command takes (`search`, `datasources query`,
//! `files list`, `comments list`): `--limit N` (default [`DEFAULT_LIMIT`]), `--all`,
//! `--start-cursor CURSOR`. The pager is [`crate::notion::listing::Listing`] (GET and
//! POST list endpoints); a listing that stops before the end prints the cursor to
//! continue from on stderr.

/// How many items a list command shows without `--limit` or `--all`.
pub const DEFAULT_LIMIT: u64 = 25;

/// `--limit`, `--all`, `--start-cursor`.
#[derive(Debug, Clone, clap::Args)]
pub struct PagingArgs {
    /// Show at most N (default 25)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT, conflicts_with = "all",
          value_parser = parse_limit, hide_default_value = true)]
    pub limit: u64,
    /// Show every one (streamed, paced under the rate limit)
    #[arg(long)]
    pub all: bool,
    /// Continue from the cursor an earlier run printed
    #[arg(long, value_name = "CURSOR")]
    pub start_cursor: Option<String>,
}

impl PagingArgs {
    /// The most items to read (`None`: every one).
    pub fn limit(&self) -> Option<u64> {
        (!self.all).then_some(self.limit)
    }

    /// The cursor to start from, if one was given.
    pub fn cursor(&self) -> Option<&str> {
        self.start_cursor.as_deref().filter(|c| !c.is_empty())
    }

    /// Whether the listing may be long (worth watching for Ctrl-C between pages).
    pub fn long(&self) -> bool {
        self.all || self.limit > 100
    }
}

fn parse_limit(s: &str) -> std::result::Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("the limit must be at least 1".into()),
        Err(_) => Err(format!("{s:?} is not a whole number (1 or more)")),
    }
}
