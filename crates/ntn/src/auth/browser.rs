//! Opening the login page in a browser, without ever blocking on it.
//!
//! The rules ([`decide`]):
//!
//! * never when the session is not interactive (stdin or stderr not a terminal);
//! * never over SSH (`SSH_CONNECTION`, `SSH_CLIENT` or `SSH_TTY` set): the browser
//!   would open on the remote machine, or not at all;
//! * never on Linux and the BSDs without a display (`DISPLAY` and
//!   `WAYLAND_DISPLAY` unset). This applies to `BROWSER` too: the opener runs
//!   detached with its input and output on `/dev/null`, so a text browser
//!   (lynx, w3m) could not use the terminal anyway; the two-step flow prints
//!   the URL instead, to open on any device;
//! * otherwise `BROWSER` when set (a `:`-separated list of commands, tried in
//!   order; `%s` in a command is replaced by the URL, else the URL is appended
//!   as the last argument; no shell is involved), else the platform opener
//!   (`xdg-open`, `open`, `rundll32 url.dll,FileProtocolHandler`).
//!
//! [`open`] spawns the opener in its own process group (so Ctrl-C in the
//! terminal does not reach it), with stdio on `/dev/null` and the command's
//! variables minus `NOTION_API_TOKEN`, waits at most a moment to see whether
//! it failed straight away, and never waits for the browser itself.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::vars::Vars;

/// How long [`open`] watches an opener for an immediate failure.
const GRACE: Duration = Duration::from_millis(250);

/// How the browser would be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opener {
    /// The `BROWSER` variable's value.
    Browser(String),
    /// The platform's opener (`xdg-open`, `open`, ...).
    Platform,
}

/// Why no browser is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    NotInteractive,
    Ssh,
    NoDisplay,
}

impl Skip {
    /// Text for "not opening a browser: ...".
    pub fn describe(self) -> &'static str {
        match self {
            Skip::NotInteractive => "this is not an interactive terminal",
            Skip::Ssh => "this is an SSH session",
            Skip::NoDisplay => "there is no display (DISPLAY and WAYLAND_DISPLAY are unset)",
        }
    }
}

/// Decides whether and how to open a browser from the variables.
pub fn decide(interactive: bool, vars: &Vars) -> Result<Opener, Skip> {
    let set = |k: &str| vars.value(k).is_some();
    if !interactive {
        return Err(Skip::NotInteractive);
    }
    if set("SSH_CONNECTION") || set("SSH_CLIENT") || set("SSH_TTY") {
        return Err(Skip::Ssh);
    }
    if needs_display() && !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Err(Skip::NoDisplay);
    }
    match vars.get("BROWSER").filter(|b| !b.trim().is_empty()) {
        Some(b) => Ok(Opener::Browser(b.to_string())),
        None => Ok(Opener::Platform),
    }
}

/// Whether graphical programs need `DISPLAY`/`WAYLAND_DISPLAY` here.
fn needs_display() -> bool {
    cfg!(all(
        unix,
        not(target_os = "macos"),
        not(target_os = "ios"),
        not(target_os = "android")
    ))
}

/// Whether `url` is safe to hand to an opener: http(s), no spaces or controls.
pub fn is_openable_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The commands to try, in order: program and arguments.
pub fn commands(opener: &Opener, url: &str) -> Vec<Vec<String>> {
    match opener {
        Opener::Browser(list) => list
            .split(if cfg!(windows) { ';' } else { ':' })
            .filter_map(|entry| {
                let words: Vec<&str> = entry.split_whitespace().collect();
                if words.is_empty() {
                    return None;
                }
                let mut argv: Vec<String> = words.iter().map(|w| w.replace("%s", url)).collect();
                if !words.iter().any(|w| w.contains("%s")) {
                    argv.push(url.to_string());
                }
                Some(argv)
            })
            .collect(),
        Opener::Platform => {
            let argv: Vec<&str> = if cfg!(target_os = "macos") {
                vec!["open", url]
            } else if cfg!(windows) {
                vec!["rundll32", "url.dll,FileProtocolHandler", url]
            } else {
                vec!["xdg-open", url]
            };
            vec![argv.into_iter().map(str::to_string).collect()]
        }
    }
}

/// Opens `url`. `Ok(())` when an opener started (and did not fail at once);
/// `Err(why)` otherwise. Never waits for the browser. The opener gets `vars`
/// as its environment, without `NOTION_API_TOKEN`.
pub fn open(opener: &Opener, url: &str, vars: &Vars) -> Result<(), String> {
    if !is_openable_url(url) {
        return Err("the login URL is not a plain http(s) URL".into());
    }
    let mut last = String::from("no browser command to run");
    for argv in commands(opener, url) {
        match spawn_detached(&argv, vars) {
            Ok(()) => return Ok(()),
            Err(e) => last = format!("{}: {e}", argv[0]),
        }
    }
    Err(last)
}

fn spawn_detached(argv: &[String], vars: &Vars) -> Result<(), String> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .envs(vars.for_child())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let end = Instant::now() + GRACE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if Instant::now() >= end => {
                // Still running (a browser itself, or a slow opener): let it be,
                // and reap it in the background so it leaves no zombie.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn never_without_a_terminal_or_over_ssh() {
        let v = vars(&[("DISPLAY", ":0"), ("BROWSER", "firefox")]);
        assert_eq!(decide(false, &v), Err(Skip::NotInteractive));
        let v = vars(&[("DISPLAY", ":0"), ("SSH_CONNECTION", "1 2 3 4")]);
        assert_eq!(decide(true, &v), Err(Skip::Ssh));
        let v = vars(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")]);
        assert_eq!(decide(true, &v), Err(Skip::Ssh));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_needs_a_display_even_with_browser_set() {
        let v = vars(&[("BROWSER", "firefox")]);
        assert_eq!(decide(true, &v), Err(Skip::NoDisplay));
        let v = vars(&[("BROWSER", "firefox"), ("DISPLAY", " ")]);
        assert_eq!(decide(true, &v), Err(Skip::NoDisplay));
        let v = vars(&[("WAYLAND_DISPLAY", "wayland-0")]);
        assert_eq!(decide(true, &v), Ok(Opener::Platform));
        let v = vars(&[("DISPLAY", ":0"), ("BROWSER", "firefox")]);
        assert_eq!(decide(true, &v), Ok(Opener::Browser("firefox".into())));
    }

    #[test]
    fn browser_commands_substitute_or_append_the_url() {
        let url = "http://127.0.0.1:9/cli-login/x";
        let c = commands(&Opener::Browser("firefox --new-window:w3m %s".into()), url);
        assert_eq!(
            c,
            vec![
                vec!["firefox".to_string(), "--new-window".into(), url.into()],
                vec!["w3m".to_string(), url.into()],
            ]
        );
        assert!(commands(&Opener::Browser(" : ".into()), url).is_empty());
    }

    #[test]
    fn only_plain_http_urls_are_opened() {
        assert!(is_openable_url("https://www.notion.so/x?y=1"));
        assert!(!is_openable_url("file:///etc/passwd"));
        assert!(!is_openable_url("https://x/ y"));
        assert!(open(&Opener::Platform, "javascript:alert(1)", &Vars::default()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_opener_is_reported_and_the_next_one_tried() {
        let url = "http://127.0.0.1:9/";
        let v = Vars::from_process();
        assert!(open(&Opener::Browser("false".into()), url, &v).is_err());
        assert!(open(&Opener::Browser("/nonexistent/browser".into()), url, &v).is_err());
        assert!(open(&Opener::Browser("false:true".into()), url, &v).is_ok());
    }
}
