//! One error type for the whole CLI, and the printer that shows it.
//!
//! Every failure a user can see is an [`Error`]: a one-line message, an optional
//! hint that says what to do, a cause chain shown with `-v`, and the exit code
//! that scripts rely on:
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success |
//! | 1    | local problem (config files, bad local input, keychain) |
//! | 2    | usage (bad flags or arguments) |
//! | 3    | done, but the result is incomplete |
//! | 4    | authentication (no token, unknown workspace, login refused or expired, HTTP 401) |
//! | 5    | API or network error |
//! | 6    | conflict: the page changed since the copy an edit is based on (re-read, redo, retry) |
//! | 130  | interrupted (Ctrl-C) |
//!
//! Errors are data underneath: the layer that failed attaches its own typed
//! error (an HTTP API error with its status and code, a secret-store error
//! with its kind, a transport failure) with [`Error::with_data`], and callers
//! look at it with [`Error::data`] instead of reading the message. The
//! message, hint and exit code are the presentation; a command refines them
//! (for instance a better hint for a 401) by matching on the data.
//!
//! Messages must never contain a token. Build them from ids, names and paths only.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

/// Process exit codes. See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Local = 1,
    Usage = 2,
    Incomplete = 3,
    Auth = 4,
    Api = 5,
    /// The target changed since the copy an edit was based on: nothing was written.
    Conflict = 6,
    Interrupted = 130,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// The crate-wide result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A user-facing error: message, optional hint, cause chain and exit code.
pub struct Error(Box<Inner>);

struct Inner {
    code: ExitCode,
    message: String,
    hint: Option<String>,
    causes: Vec<String>,
    /// Extra lines shown only with `-v` (for instance a request id).
    details: Vec<String>,
    /// The typed error of the layer that failed, for callers to match on.
    data: Option<Arc<dyn std::error::Error + Send + Sync>>,
    /// A write reached the server and failed there (5xx, timeout, cut
    /// connection): it may have been applied.
    may_have_applied: bool,
}

/// Attached to an error when stdout was closed under us (`ntn ... | head`):
/// the process ends quietly with success.
#[derive(Clone, Copy, Debug)]
pub struct BrokenPipe;

impl fmt::Display for BrokenPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for BrokenPipe {}

impl Error {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            hint: None,
            causes: Vec::new(),
            details: Vec::new(),
            data: None,
            may_have_applied: false,
        }))
    }

    /// The error for a closed stdout: no message, exit 0 (see [`BrokenPipe`]).
    pub fn broken_pipe() -> Self {
        Self::new(ExitCode::Ok, "stdout was closed").with_data(BrokenPipe)
    }

    /// Whether this is [`Error::broken_pipe`].
    pub fn is_broken_pipe(&self) -> bool {
        self.data::<BrokenPipe>().is_some()
    }

    /// Attaches the typed error of the layer that failed (replacing any).
    pub fn with_data(mut self, data: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.data = Some(Arc::new(data));
        self
    }

    /// The attached typed error, when it is a `T`.
    pub fn data<T: std::error::Error + 'static>(&self) -> Option<&T> {
        let data: &(dyn std::error::Error + 'static) = self.0.data.as_deref()?;
        data.downcast_ref::<T>()
    }

    /// Marks a write that reached the server and failed there (an error
    /// answer from 500 up, a timeout, a connection cut after the request was
    /// sent): the server may have applied it, so it must be checked, not
    /// blindly sent again. The HTTP layer marks these (and says so in the
    /// hint); see [`Error::may_have_applied`].
    pub fn with_may_have_applied(mut self) -> Self {
        self.0.may_have_applied = true;
        self
    }

    /// Whether this is the failure of a write that may have been applied all
    /// the same (see [`Error::with_may_have_applied`]): a caller that can
    /// look (is the page there? does it read as edited?) should look before
    /// it reports or retries.
    pub fn may_have_applied(&self) -> bool {
        self.0.may_have_applied
    }

    /// Done, but the result is incomplete (exit 3).
    pub fn incomplete(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Incomplete, message)
    }

    /// A conflict: what the edit was based on is no longer what is there (exit 6).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Conflict, message)
    }

    /// A local problem: config files, local input, keychain (exit 1).
    pub fn local(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Local, message)
    }

    /// Bad usage (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    /// Authentication problem (exit 4).
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Auth, message)
    }

    /// API or network problem (exit 5).
    pub fn api(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Api, message)
    }

    /// Interrupted by the user (exit 130).
    pub fn interrupted(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Interrupted, message)
    }

    /// Adds (or replaces) the hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Appends an underlying cause and its own source chain (shown with `-v`).
    pub fn cause(mut self, cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(cause);
        while let Some(err) = next {
            let text = err.to_string();
            if self.0.causes.last() != Some(&text) {
                self.0.causes.push(text);
            }
            next = err.source();
        }
        self
    }

    /// Appends a cause given as text (shown with `-v`).
    pub fn cause_text(mut self, cause: impl Into<String>) -> Self {
        self.0.causes.push(cause.into());
        self
    }

    /// Appends a detail line shown only with `-v` (for instance `request id: ...`).
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.details.push(detail.into());
        self
    }

    /// Every text (message, hint, causes, details) passed through `f`,
    /// keeping the rest (for scrubbing a secret out of server text).
    pub fn map_texts(mut self, f: &dyn Fn(&str) -> String) -> Self {
        let inner = &mut *self.0;
        inner.message = f(&inner.message);
        inner.hint = inner.hint.as_deref().map(f);
        for t in inner.causes.iter_mut().chain(inner.details.iter_mut()) {
            *t = f(t);
        }
        self
    }

    /// Changes the exit code, keeping everything else.
    pub fn with_code(mut self, code: ExitCode) -> Self {
        self.0.code = code;
        self
    }

    pub fn exit_code(&self) -> ExitCode {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn hint_text(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    pub fn causes(&self) -> &[String] {
        &self.0.causes
    }

    /// The detail lines shown with `-v`.
    pub fn details(&self) -> &[String] {
        &self.0.details
    }

    /// Writes the error as the user sees it (styled; the output layer strips
    /// styles when colour is off):
    ///
    /// ```text
    /// error: <message>
    ///   hint: <hint>
    ///   caused by: <cause>      (with -v)
    /// ```
    pub fn write_to(&self, w: &mut dyn Write, verbose: bool) -> std::io::Result<()> {
        self.write_filtered(w, verbose, &|s| std::borrow::Cow::Borrowed(s))
    }

    /// Like [`Error::write_to`], with every text (message, hint, causes,
    /// details) passed through `filter` first: the output layer makes text
    /// from servers and files safe for a terminal this way.
    pub fn write_filtered(
        &self,
        w: &mut dyn Write,
        verbose: bool,
        filter: &dyn for<'a> Fn(&'a str) -> std::borrow::Cow<'a, str>,
    ) -> std::io::Result<()> {
        let red = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Red.into()));
        let cyan = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Cyan.into()));
        let dim = anstyle::Style::new().dimmed();
        writeln!(w, "{red}error:{red:#} {}", filter(&self.0.message))?;
        if let Some(hint) = &self.0.hint {
            writeln!(w, "  {cyan}hint:{cyan:#} {}", filter(hint))?;
        }
        if verbose {
            for cause in &self.0.causes {
                writeln!(w, "  {dim}caused by:{dim:#} {}", filter(cause))?;
            }
            for detail in &self.0.details {
                writeln!(w, "  {dim}{}{dim:#}", filter(detail))?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.0.code)
            .field("message", &self.0.message)
            .field("hint", &self.0.hint)
            .field("causes", &self.0.causes)
            .field("data", &self.0.data)
            .field("may_have_applied", &self.0.may_have_applied)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(e: &Error, verbose: bool) -> String {
        let mut buf = Vec::new();
        e.write_to(&mut anstream::StripStream::new(&mut buf), verbose)
            .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn prints_message_hint_and_causes_only_when_verbose() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = Error::local("could not read config.json")
            .hint("check the permissions")
            .cause(&io)
            .detail("request id: abc");
        assert_eq!(
            render(&e, false),
            "error: could not read config.json\n  hint: check the permissions\n"
        );
        assert_eq!(
            render(&e, true),
            "error: could not read config.json\n  hint: check the permissions\n  caused by: denied\n  request id: abc\n"
        );
        assert_eq!(e.exit_code().code(), 1);
    }

    #[test]
    fn exit_codes_are_stable() {
        assert_eq!(Error::usage("x").exit_code().code(), 2);
        assert_eq!(Error::incomplete("x").exit_code().code(), 3);
        assert_eq!(Error::auth("x").exit_code().code(), 4);
        assert_eq!(Error::api("x").exit_code().code(), 5);
        assert_eq!(Error::interrupted("x").exit_code().code(), 130);
    }
}

#[cfg(test)]
mod data_tests {
    use super::*;

    #[derive(Debug)]
    struct Mine(u16);
    impl fmt::Display for Mine {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "mine {}", self.0)
        }
    }
    impl std::error::Error for Mine {}

    #[test]
    fn typed_data_is_found_by_type_not_text() {
        let e = Error::api("something").with_data(Mine(405));
        assert_eq!(e.data::<Mine>().map(|m| m.0), Some(405));
        assert!(e.data::<BrokenPipe>().is_none());
        assert!(!e.is_broken_pipe());
        let b = Error::broken_pipe();
        assert!(b.is_broken_pipe());
        assert_eq!(b.exit_code(), ExitCode::Ok);
    }
}
