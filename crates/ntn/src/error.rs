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
//! | 4    | authentication (no token, unknown workspace, login refused or expired, HTTP 401) |
//! | 5    | API or network error |
//! | 130  | interrupted (Ctrl-C) |
//!
//! Messages must never contain a token. Build them from ids, names and paths only.

use std::fmt;
use std::io::Write;

/// Process exit codes. See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Local = 1,
    Usage = 2,
    Auth = 4,
    Api = 5,
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
}

impl Error {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            hint: None,
            causes: Vec::new(),
            details: Vec::new(),
        }))
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

    /// Writes the error as the user sees it:
    ///
    /// ```text
    /// error: <message>
    ///   hint: <hint>
    ///   caused by: <cause>      (with -v)
    /// ```
    pub fn print(&self, verbose: bool) {
        let mut err = anstream::stderr().lock();
        let _ = self.write_to(&mut err, verbose);
    }

    /// Writes the error to any writer (styled; anstream strips styles when needed).
    pub fn write_to(&self, w: &mut dyn Write, verbose: bool) -> std::io::Result<()> {
        let red = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Red.into()));
        let cyan = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Cyan.into()));
        let dim = anstyle::Style::new().dimmed();
        writeln!(w, "{red}error:{red:#} {}", self.0.message)?;
        if let Some(hint) = &self.0.hint {
            writeln!(w, "  {cyan}hint:{cyan:#} {hint}")?;
        }
        if verbose {
            for cause in &self.0.causes {
                writeln!(w, "  {dim}caused by:{dim:#} {cause}")?;
            }
            for detail in &self.0.details {
                writeln!(w, "  {dim}{detail}{dim:#}")?;
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
        assert_eq!(Error::auth("x").exit_code().code(), 4);
        assert_eq!(Error::api("x").exit_code().code(), 5);
        assert_eq!(Error::interrupted("x").exit_code().code(), 130);
    }
}
