//! Output conventions shared by every command.
//!
//! * Data goes to stdout, messages (progress, notes, warnings) to stderr.
//! * `--json` prints machine-readable JSON; `--plain` prints TSV without a header
//!   for pipes; otherwise a readable table or report.
//! * Colour only when the stream is a terminal and `NO_COLOR` is unset
//!   (`anstream` decides; `CLICOLOR_FORCE` forces it).

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::error::{Error, Result};

pub mod table;
pub use table::Table;

/// How a command prints its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Plain,
}

/// `--json` / `--plain`, flattened into every command that prints data.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct FormatArgs {
    /// Print JSON (for scripts and agents)
    #[arg(long, conflicts_with = "plain")]
    pub json: bool,
    /// Print tab-separated values without a header (for pipes)
    #[arg(long)]
    pub plain: bool,
}

impl FormatArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.plain {
            Format::Plain
        } else {
            Format::Human
        }
    }
}

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

pub fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

/// True when styled output on stderr would be shown (TTY, no `NO_COLOR`).
pub fn stderr_color() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// True when styled output on stdout would be shown (TTY, no `NO_COLOR`).
pub fn stdout_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Maps a failed write to stdout. A closed pipe (`ntn ... | head`) is not an
/// error worth a message: the process exits quietly with success.
pub fn stdout_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    Error::local("could not write to stdout").cause(&e)
}

/// Writes a value as pretty JSON plus a newline to stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| {
        stdout_error(match e.io_error_kind() {
            Some(kind) => std::io::Error::from(kind),
            None => std::io::Error::other(e),
        })
    })?;
    writeln!(out).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// Writes a line of data to stdout.
pub fn print_line(line: &str) -> Result<()> {
    let mut out = anstream::stdout().lock();
    writeln!(out, "{line}").map_err(stdout_error)
}

/// Styles for messages. Pass them through `anstream` streams; they vanish when
/// colour is off.
pub mod style {
    use anstyle::{AnsiColor, Style};
    pub const OK: Style = Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
    pub const BAD: Style = Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
    pub const WARN: Style = Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
    pub const EMPH: Style = Style::new().bold();
    pub const DIM: Style = Style::new().dimmed();
    pub const CODE: Style = Style::new()
        .bold()
        .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
}

/// Prints a message line on stderr (styled text allowed).
#[macro_export]
macro_rules! message {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let mut err = ::anstream::stderr().lock();
        let _ = writeln!(err, $($arg)*);
    }};
}

/// Prints `warning: ...` on stderr.
pub fn warn(text: &str) {
    let w = style::WARN;
    message!("{w}warning:{w:#} {text}");
}
