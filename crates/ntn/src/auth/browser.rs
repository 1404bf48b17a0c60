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
//! * otherwise `BROWSER` when set, on every platform (a list of commands
//!   separated by `:`, on Windows by `;`, tried in order; `%s` in a command is
//!   replaced by the URL, else the URL is appended as the last argument; no
//!   shell is involved), else the platform opener: `open URL` on macOS, the
//!   shell's `start` on Windows (`cmd /d /v:off /c start "" URL`, the URL
//!   escaped for `cmd`: see [`cmd_escape`]), `xdg-open URL` elsewhere.
//!
//! Only plain http(s) URLs without spaces, controls or quotes are opened
//! ([`is_openable_url`]). [`open`] spawns the opener in its own process group
//! (so Ctrl-C in the terminal does not reach it; on Windows a new process
//! group without a console window), with stdio on the null device and the
//! command's variables minus `NOTION_API_TOKEN`, waits at most a moment to
//! see whether it failed straight away, and never waits for the browser
//! itself.

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

/// Whether `url` is safe to hand to an opener: http(s), no spaces, controls
/// or double quotes (none of which a URL holds unescaped).
pub fn is_openable_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
}

/// The platforms whose openers differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    MacOs,
    Windows,
    /// Linux, the BSDs and other Unix systems (`xdg-open`).
    Unix,
}

impl Os {
    /// The platform this build runs on.
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Unix
        }
    }
}

/// How a command's arguments are passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// Separate arguments, quoted by the platform as needed.
    List(Vec<String>),
    /// A command line passed as it is (Windows only): `cmd` parses its own
    /// command line with rules of its own, so ntn escapes it itself.
    Raw(String),
}

/// One opener command: the program and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    pub program: String,
    pub args: Args,
}

/// `url` escaped for `cmd`'s command line (outside quotes): every character
/// `cmd` treats specially (`^ & | < > ( ) % !`) is preceded by `^`. A URL's
/// `&` then stays in the URL instead of ending the command, and `%NAME%` is
/// never expanded: `^` splits the name during expansion (`%NAME^%` names no
/// variable, and `cmd` leaves it as it is) and is removed afterwards. URLs
/// holding `"` are never opened ([`is_openable_url`]).
pub fn cmd_escape(url: &str) -> String {
    let mut out = String::with_capacity(url.len() * 2);
    for c in url.chars() {
        if "^&|<>()%!".contains(c) {
            out.push('^');
        }
        out.push(c);
    }
    out
}

/// The commands to try on this platform, in order.
pub fn commands(opener: &Opener, url: &str) -> Vec<Launch> {
    commands_for(Os::current(), opener, url)
}

/// The commands to try on `os`, in order.
pub fn commands_for(os: Os, opener: &Opener, url: &str) -> Vec<Launch> {
    let list = |program: &str, args: &[&str]| Launch {
        program: program.to_string(),
        args: Args::List(args.iter().map(|a| a.to_string()).collect()),
    };
    match opener {
        Opener::Browser(commands) => commands
            .split(if os == Os::Windows { ';' } else { ':' })
            .filter_map(|entry| {
                let words: Vec<&str> = entry.split_whitespace().collect();
                let (program, rest) = words.split_first()?;
                let mut args: Vec<String> = rest.iter().map(|w| w.replace("%s", url)).collect();
                if !words.iter().any(|w| w.contains("%s")) {
                    args.push(url.to_string());
                }
                Some(Launch {
                    program: program.replace("%s", url),
                    args: Args::List(args),
                })
            })
            .collect(),
        Opener::Platform => vec![match os {
            Os::MacOs => list("open", &[url]),
            // `start`'s first quoted argument is the window title: an empty
            // one, so that the URL is never taken for it.
            Os::Windows => Launch {
                program: "cmd".to_string(),
                args: Args::Raw(format!("/d /v:off /c start \"\" {}", cmd_escape(url))),
            },
            Os::Unix => list("xdg-open", &[url]),
        }],
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
    for launch in commands(opener, url) {
        match spawn_detached(&launch, vars) {
            Ok(()) => return Ok(()),
            Err(e) => last = format!("{}: {e}", launch.program),
        }
    }
    Err(last)
}

fn spawn_detached(launch: &Launch, vars: &Vars) -> Result<(), String> {
    let mut cmd = Command::new(&launch.program);
    match &launch.args {
        Args::List(args) => {
            cmd.args(args);
        }
        #[cfg(windows)]
        Args::Raw(line) => {
            use std::os::windows::process::CommandExt;
            cmd.raw_arg(line);
        }
        #[cfg(not(windows))]
        Args::Raw(_) => return Err("a raw command line is for Windows only".into()),
    }
    cmd.env_clear()
        .envs(vars.for_child())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        // CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW: Ctrl-C in the
        // console does not reach it, and `cmd` flashes no window.
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        cmd.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
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

    fn list(program: &str, args: &[&str]) -> Launch {
        Launch {
            program: program.to_string(),
            args: Args::List(args.iter().map(|a| a.to_string()).collect()),
        }
    }

    #[test]
    fn browser_commands_substitute_or_append_the_url() {
        let url = "http://127.0.0.1:9/cli-login/x";
        for os in [Os::Unix, Os::MacOs] {
            let c = commands_for(
                os,
                &Opener::Browser("firefox --new-window:w3m %s".into()),
                url,
            );
            assert_eq!(
                c,
                vec![list("firefox", &["--new-window", url]), list("w3m", &[url])]
            );
            assert!(commands_for(os, &Opener::Browser(" : ".into()), url).is_empty());
        }
        // Windows paths hold ':'; its lists are separated by ';'.
        let c = commands_for(
            Os::Windows,
            &Opener::Browser(r"C:\Tools\firefox.exe --new-window;chrome %s".into()),
            url,
        );
        assert_eq!(
            c,
            vec![
                list(r"C:\Tools\firefox.exe", &["--new-window", url]),
                list("chrome", &[url]),
            ]
        );
    }

    #[test]
    fn each_platform_has_its_opener() {
        let url = "https://www.notion.so/cli-login/ab?x=1";
        assert_eq!(
            commands_for(Os::MacOs, &Opener::Platform, url),
            vec![list("open", &[url])]
        );
        assert_eq!(
            commands_for(Os::Unix, &Opener::Platform, url),
            vec![list("xdg-open", &[url])]
        );
        assert_eq!(
            commands_for(Os::Windows, &Opener::Platform, url),
            vec![Launch {
                program: "cmd".into(),
                args: Args::Raw(
                    r#"/d /v:off /c start "" https://www.notion.so/cli-login/ab?x=1"#.into()
                ),
            }]
        );
    }

    #[test]
    fn cmd_cannot_split_or_expand_a_url() {
        assert_eq!(
            cmd_escape("https://x/a?b=1&c=2|3"),
            "https://x/a?b=1^&c=2^|3"
        );
        assert_eq!(
            cmd_escape("https://x/%PATH%/(1)<2>^!"),
            "https://x/^%PATH^%/^(1^)^<2^>^^^!"
        );
        let url = "https://x/?a=1&b=%41";
        let c = commands_for(Os::Windows, &Opener::Platform, url);
        assert_eq!(
            c[0].args,
            Args::Raw(r#"/d /v:off /c start "" https://x/?a=1^&b=^%41"#.into())
        );
    }

    #[test]
    fn only_plain_http_urls_are_opened() {
        assert!(is_openable_url("https://www.notion.so/x?y=1"));
        assert!(!is_openable_url("file:///etc/passwd"));
        assert!(!is_openable_url("https://x/ y"));
        assert!(!is_openable_url("https://x/\"&calc"));
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
