//! The output layer: how ntn talks to the person or program in front of it.
//!
//! [`Ui`] is the only way anything reaches stdout or stderr, reads stdin or
//! asks a question. `main` makes one from the process ([`Ui::system`]); a test
//! makes one that captures everything ([`Ui::test`], [`TestUi`]).
//!
//! * Data goes to stdout, messages (progress, notes, warnings) to stderr.
//! * `--json` prints machine-readable JSON; `--plain` prints TSV without a
//!   header for pipes; otherwise a readable table or report.
//! * Colour only when the stream is a terminal and `NO_COLOR` is unset
//!   (decided once, when the `Ui` is made); styled text written through
//!   [`Ui::out`] and [`Ui::err`] loses its styles otherwise. [`Ui::raw`]
//!   writes bytes untouched (response bodies).
//! * Text that came from a server or a file goes through [`text::clean`]
//!   before it reaches a terminal.
//! * A closed stdout (`ntn ... | head`) becomes [`Error::broken_pipe`]: the
//!   process ends quietly.
//! * JSON for a terminal goes through [`Ui::json_out`]: characters that
//!   control or reorder a terminal are `\u` escapes there ([`bounded`]),
//!   bytes untouched into a pipe or file. Nesting past
//!   [`json::MAX_PRETTY_DEPTH`] is printed compact, so the indentation of a
//!   deep document cannot grow quadratically.
//!
//! [`editor`] opens the user's editor on a text (on a terminal only).
//!
//! This layer depends on nothing in ntn but [`crate::error`] and
//! [`crate::vars`].

use std::fmt::Display;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::error::{Error, Result};

pub mod bounded;
pub mod editor;
pub mod json;
pub mod progress;
pub mod prompt;
pub mod records;
pub mod table;
pub mod text;

pub use progress::{Progress, Spinner};
pub use prompt::{Answer, Prompter};
pub use records::{Mode, RecordArgs, Records};
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

/// What stdin is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdinKind {
    /// A terminal: a person types there; never read as data.
    Terminal,
    /// Closed, or a character device such as `/dev/null`: nothing to read.
    Null,
    /// A pipe, a socket or a FIFO: read once, size unknown.
    Pipe,
    /// Redirected from a regular file (`< file`).
    File,
}

type Sink = Box<dyn Write + Send>;

struct Inner {
    out: Mutex<Sink>,
    err: Mutex<Sink>,
    stdin: Mutex<Option<Box<dyn Read + Send>>>,
    stdin_kind: StdinKind,
    stdout_tty: bool,
    stderr_tty: bool,
    out_color: bool,
    err_color: bool,
    width: Option<usize>,
    prompter: Box<dyn Prompter>,
    /// The process's own stdin, for `stdin_file` (system only).
    system: bool,
}

/// The streams, terminal facts, colour choice and prompter of one run. Cheap
/// to clone (shared).
#[derive(Clone)]
pub struct Ui {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ui")
            .field("stdin", &self.inner.stdin_kind)
            .field("stdout_tty", &self.inner.stdout_tty)
            .field("stderr_tty", &self.inner.stderr_tty)
            .field("out_color", &self.inner.out_color)
            .field("err_color", &self.inner.err_color)
            .finish()
    }
}

/// A writer on stdout or stderr; styles are stripped when colour is off.
pub struct Out<'a> {
    sink: MutexGuard<'a, Sink>,
    strip: Option<anstream::adapter::StripBytes>,
}

impl Write for Out<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.strip {
            None => self.sink.write(buf),
            Some(strip) => {
                for printable in strip.strip_next(buf) {
                    self.sink.write_all(printable)?;
                }
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }
}

fn lock(m: &Mutex<Sink>) -> MutexGuard<'_, Sink> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ui {
    /// The process's own streams. Colour follows anstream's rules (a
    /// terminal, `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb`).
    pub fn system() -> Ui {
        let stdout = io::stdout();
        let stderr = io::stderr();
        let out_color = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
        let err_color = anstream::AutoStream::choice(&stderr) != anstream::ColorChoice::Never;
        let stdout_tty = stdout.is_terminal();
        let stderr_tty = stderr.is_terminal();
        let width = terminal_size::terminal_size_of(&stdout)
            .map(|(w, _)| usize::from(w.0))
            .filter(|w| *w > 0);
        let stdin_kind = system_stdin_kind();
        Ui {
            inner: Arc::new(Inner {
                out: Mutex::new(Box::new(stdout)),
                err: Mutex::new(Box::new(stderr)),
                stdin: Mutex::new(Some(Box::new(io::stdin()))),
                stdin_kind,
                stdout_tty,
                stderr_tty,
                out_color,
                err_color,
                width,
                prompter: Box::new(prompt::TerminalPrompter),
                system: true,
            }),
        }
    }

    /// A `Ui` that captures stdout and stderr, with no terminal, no colour,
    /// stdin closed and no answers; see [`TestUi`] for more.
    pub fn test() -> (Ui, Captured) {
        TestUi::default().build()
    }

    /// Styled text on stdout (styles dropped when colour is off).
    pub fn out(&self) -> Out<'_> {
        Out {
            sink: lock(&self.inner.out),
            strip: (!self.inner.out_color).then(anstream::adapter::StripBytes::default),
        }
    }

    /// Bytes on stdout, untouched (response bodies, file contents).
    pub fn raw(&self) -> Out<'_> {
        Out {
            sink: lock(&self.inner.out),
            strip: None,
        }
    }

    /// Styled text on stderr (styles dropped when colour is off).
    pub fn err(&self) -> Out<'_> {
        Out {
            sink: lock(&self.inner.err),
            strip: (!self.inner.err_color).then(anstream::adapter::StripBytes::default),
        }
    }

    /// Writes a line of data to stdout.
    pub fn line(&self, line: impl Display) -> Result<()> {
        let mut out = self.out();
        writeln!(out, "{line}").map_err(stdout_error)
    }

    /// JSON text on stdout: on a terminal, the characters that control or
    /// reorder it are written as `\u009b`-style escapes (the same JSON
    /// document); into a pipe or a file, the bytes untouched.
    pub fn json_out(&self) -> bounded::JsonEscape<Out<'_>> {
        bounded::JsonEscape::new(self.raw(), self.stdout_is_tty())
    }

    /// Writes a value as pretty JSON plus a newline to stdout (escaped for
    /// a terminal: [`Ui::json_out`]).
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let mut out = self.json_out();
        serde_json::to_writer_pretty(&mut out, value).map_err(|e| {
            stdout_error(match e.io_error_kind() {
                Some(kind) => io::Error::from(kind),
                None => io::Error::other(e),
            })
        })?;
        writeln!(out).map_err(stdout_error)?;
        out.flush().map_err(stdout_error)
    }

    /// A message line on stderr (styled text allowed). Failures to write to
    /// stderr are ignored: there is nowhere left to report them.
    pub fn message(&self, text: impl Display) {
        let mut err = self.err();
        let _ = writeln!(err, "{text}");
    }

    /// `warning: ...` on stderr.
    pub fn warn(&self, text: impl Display) {
        let w = style::WARN;
        self.message(format_args!("{w}warning:{w:#} {text}"));
    }

    /// A dimmed `note: ...` on stderr.
    pub fn note(&self, text: impl Display) {
        let d = style::DIM;
        self.message(format_args!("{d}note: {text}{d:#}"));
    }

    /// Writes an error as the user sees it (`-v` adds causes and details).
    /// Its texts may hold names, ids and messages from servers and files:
    /// they are made safe first ([`text::for_terminal`]).
    pub fn error(&self, e: &Error, verbose: bool) {
        let mut err = self.err();
        let _ = e.write_filtered(&mut err, verbose, &text::for_terminal);
    }

    /// Flushes stdout (and stderr).
    pub fn flush(&self) -> Result<()> {
        let _ = lock(&self.inner.err).flush();
        lock(&self.inner.out).flush().map_err(stdout_error)
    }

    pub fn stdin_kind(&self) -> StdinKind {
        self.inner.stdin_kind
    }

    pub fn stdin_is_tty(&self) -> bool {
        self.inner.stdin_kind == StdinKind::Terminal
    }

    pub fn stdout_is_tty(&self) -> bool {
        self.inner.stdout_tty
    }

    pub fn stderr_is_tty(&self) -> bool {
        self.inner.stderr_tty
    }

    /// A person can answer: stdin and stderr are terminals.
    pub fn is_interactive(&self) -> bool {
        self.stdin_is_tty() && self.stderr_is_tty()
    }

    /// Whether styles on stdout are shown.
    pub fn out_color(&self) -> bool {
        self.inner.out_color
    }

    /// Whether styles on stderr are shown.
    pub fn err_color(&self) -> bool {
        self.inner.err_color
    }

    /// The terminal's width in columns, when stdout is a terminal.
    pub fn width(&self) -> Option<usize> {
        self.inner.width
    }

    /// Whether these are the process's own streams ([`Ui::system`]).
    pub fn is_system(&self) -> bool {
        self.inner.system
    }

    /// Takes stdin for reading (once; later calls get `None`). Callers decide
    /// first, from [`Ui::stdin_kind`], that stdin is their input.
    pub fn take_stdin(&self) -> Option<Box<dyn Read + Send>> {
        self.inner
            .stdin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Stdin as a file handle of its own (a duplicate), so that a file
    /// redirected to stdin can be read by offset. `None` for a test `Ui`.
    pub fn stdin_file(&self) -> Option<std::fs::File> {
        if !self.inner.system {
            return None;
        }
        dup_stdin()
    }

    pub fn prompter(&self) -> &dyn Prompter {
        self.inner.prompter.as_ref()
    }
}

#[cfg(unix)]
fn dup_stdin() -> Option<std::fs::File> {
    use std::os::fd::AsFd;
    io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .map(std::fs::File::from)
}

#[cfg(windows)]
fn dup_stdin() -> Option<std::fs::File> {
    use std::os::windows::io::AsHandle;
    io::stdin()
        .as_handle()
        .try_clone_to_owned()
        .ok()
        .map(std::fs::File::from)
}

fn system_stdin_kind() -> StdinKind {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return StdinKind::Terminal;
    }
    let Some(file) = dup_stdin() else {
        return StdinKind::Null;
    };
    match file.metadata() {
        Ok(m) if m.is_file() => StdinKind::File,
        Ok(m) if is_char_device(&m) => StdinKind::Null,
        Ok(_) => StdinKind::Pipe,
        Err(_) => StdinKind::Null,
    }
}

#[cfg(unix)]
fn is_char_device(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_char_device(_m: &std::fs::Metadata) -> bool {
    false
}

/// Maps a failed write to stdout. A closed pipe (`ntn ... | head`) is not an
/// error worth a message: see [`Error::broken_pipe`].
pub fn stdout_error(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Error::broken_pipe();
    }
    if let Some(up) = e
        .get_ref()
        .and_then(|r| r.downcast_ref::<bounded::TimeUp>())
    {
        return Error::api(format!("timed out: {up} while printing the response"))
            .hint("allow more time with --timeout, or send the output to a file or a pipe")
            .with_data(*up);
    }
    Error::local("could not write to stdout").cause(&e)
}

/// A shared byte buffer that a test `Ui` writes into.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A test's stdout on a slow terminal: every write moves a manual clock on.
struct Slow {
    inner: Buffer,
    clock: Arc<crate::support::ManualClock>,
    per_write: std::time::Duration,
}

impl Write for Slow {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.clock.advance(self.per_write);
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a test `Ui` captured.
#[derive(Clone, Default)]
pub struct Captured {
    out: Buffer,
    err: Buffer,
}

impl Captured {
    pub fn stdout_bytes(&self) -> Vec<u8> {
        self.out.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout_bytes()).into_owned()
    }

    pub fn stderr(&self) -> String {
        let b = self.err.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&b).into_owned()
    }
}

/// A `Ui` for tests: choose terminals, colour, stdin and the answers to
/// prompts, then [`TestUi::build`].
#[derive(Default)]
pub struct TestUi {
    stdin: Option<(StdinKind, Vec<u8>)>,
    stdin_tty: bool,
    stdout_tty: bool,
    stderr_tty: bool,
    color: bool,
    width: Option<usize>,
    answers: Vec<Answer>,
    slow: Option<(Arc<crate::support::ManualClock>, std::time::Duration)>,
}

impl TestUi {
    pub fn new() -> TestUi {
        TestUi::default()
    }

    /// Stdin is a pipe holding `bytes`.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> TestUi {
        self.stdin = Some((StdinKind::Pipe, bytes.into()));
        self
    }

    /// All three streams are terminals (and `width` columns wide).
    pub fn terminal(mut self, width: usize) -> TestUi {
        self.stdin_tty = true;
        self.stdout_tty = true;
        self.stderr_tty = true;
        self.width = Some(width);
        self
    }

    /// Only stderr (and stdin) are terminals: output is piped.
    pub fn stderr_terminal(mut self) -> TestUi {
        self.stdin_tty = true;
        self.stderr_tty = true;
        self
    }

    /// Styles are kept (as on a colour terminal).
    pub fn color(mut self) -> TestUi {
        self.color = true;
        self
    }

    /// Stdout is slow: each write takes `per_write` on `clock`.
    pub fn slow_stdout(
        mut self,
        clock: Arc<crate::support::ManualClock>,
        per_write: std::time::Duration,
    ) -> TestUi {
        self.slow = Some((clock, per_write));
        self
    }

    /// Answers to prompts, in order.
    pub fn answers(mut self, answers: impl IntoIterator<Item = Answer>) -> TestUi {
        self.answers.extend(answers);
        self
    }

    pub fn build(self) -> (Ui, Captured) {
        let captured = Captured::default();
        let (kind, bytes) = match self.stdin {
            Some(s) => s,
            None if self.stdin_tty => (StdinKind::Terminal, Vec::new()),
            None => (StdinKind::Null, Vec::new()),
        };
        let out: Sink = match self.slow {
            Some((clock, per_write)) => Box::new(Slow {
                inner: captured.out.clone(),
                clock,
                per_write,
            }),
            None => Box::new(captured.out.clone()),
        };
        let ui = Ui {
            inner: Arc::new(Inner {
                out: Mutex::new(out),
                err: Mutex::new(Box::new(captured.err.clone())),
                stdin: Mutex::new(Some(Box::new(io::Cursor::new(bytes)))),
                stdin_kind: kind,
                stdout_tty: self.stdout_tty,
                stderr_tty: self.stderr_tty,
                out_color: self.color,
                err_color: self.color,
                width: self.width,
                prompter: Box::new(prompt::Scripted::new(self.answers)),
                system: false,
            }),
        };
        (ui, captured)
    }
}

/// Styles for messages. Write them through [`Ui::out`] or [`Ui::err`]; they
/// vanish when colour is off.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_dropped_without_colour_and_kept_with_it() {
        let ok = style::OK;
        let (ui, cap) = Ui::test();
        ui.line(format_args!("{ok}done{ok:#}")).unwrap();
        ui.message(format_args!("{ok}msg{ok:#}"));
        assert_eq!(cap.stdout(), "done\n");
        assert_eq!(cap.stderr(), "msg\n");
        let (ui, cap) = TestUi::new().color().build();
        ui.line(format_args!("{ok}done{ok:#}")).unwrap();
        assert!(cap.stdout().contains("\x1b["), "{:?}", cap.stdout());
    }

    #[test]
    fn raw_bytes_pass_untouched() {
        let (ui, cap) = Ui::test();
        ui.raw().write_all(b"a\x1b[2Jb").unwrap();
        assert_eq!(cap.stdout_bytes(), b"a\x1b[2Jb");
    }

    #[test]
    fn stdin_is_given_once() {
        let (ui, _) = TestUi::new().stdin("{}").build();
        assert_eq!(ui.stdin_kind(), StdinKind::Pipe);
        let mut s = String::new();
        ui.take_stdin().unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "{}");
        assert!(ui.take_stdin().is_none());
        let (ui, _) = Ui::test();
        assert_eq!(ui.stdin_kind(), StdinKind::Null);
        assert!(!ui.is_interactive());
    }

    #[test]
    fn a_closed_stdout_is_a_quiet_broken_pipe() {
        let e = stdout_error(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(e.is_broken_pipe());
        let e = stdout_error(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!e.is_broken_pipe());
        assert_eq!(e.exit_code().code(), 1);
    }
}
