//! `ntn api` on a terminal (a real pseudo-terminal): JSON is pretty-printed and
//! coloured, `NO_COLOR` turns the colours off but keeps the layout, and the
//! key order and number text of the response are kept.

#![cfg(unix)]

mod common;

use common::{ALICE, Sandbox, TestEnv};

/// Runs `ntn` under a pty and returns everything it printed.
fn on_tty(env: &TestEnv, args: &[&str], no_color: bool) -> String {
    let mut cmd = env.std_command();
    cmd.args(args).env("TERM", "xterm-256color");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    let out = p.exp_eof().unwrap();
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, 0) => {}
        other => panic!("ntn {args:?}: {other:?}\n{out}"),
    }
    out
}

#[test]
fn json_on_a_terminal_is_pretty_coloured_and_ordered() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    env.set("NOTION_API_TOKEN", &token);

    let coloured = on_tty(&env, &["api", "v1/users/me"], false);
    assert!(
        coloured.contains('\u{1b}'),
        "colours on a terminal: {coloured:?}"
    );
    assert!(!coloured.contains(&token));

    let plain = on_tty(&env, &["api", "v1/users/me"], true);
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
    // Pretty: one key per line, indented.
    assert!(
        plain.starts_with("{\r\n  \"object\": \"user\",\r\n"),
        "{plain:?}"
    );
    // The response's key order is kept (object, id, type, name, ...), not sorted.
    let pos = |k: &str| plain.find(&format!("\"{k}\":")).unwrap();
    assert!(pos("object") < pos("id") && pos("id") < pos("type") && pos("type") < pos("name"));
    // Numbers are printed as the server wrote them.
    assert!(
        plain.contains("\"max_file_upload_size_in_bytes\": 5368709120"),
        "{plain}"
    );

    // Stripped of colour codes, the coloured output is the same document.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
