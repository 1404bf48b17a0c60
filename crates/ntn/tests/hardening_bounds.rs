//! Bounds on what a user or a server can make ntn do, in-process: a
//! `--where` nested thousands deep is a usage error (not a stack overflow),
//! JSON printed on a terminal never carries C1 controls or bidirectional
//! overrides raw (a pipe gets the bytes as sent), a deeply nested answer is
//! printed in about its own size, not with quadratic indentation, and
//! `--timeout` ends printing to a slow terminal too.
#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ALICE, Sandbox, TestEnv};
use ntn::output::TestUi;
use ntn::support::ManualClock;

const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";

fn sandbox_env() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start();
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    (sb, env)
}

/// A server that answers every request with `body` as JSON (`n` requests).
fn json_server(body: Vec<u8>, n: usize) -> String {
    common::raw_json_server(n, move |_, _| body.clone())
}

fn env_for(url: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.set("NOTION_ENV", "local");
    env.set("NOTION_BASE_URL", url);
    env.set("NOTION_API_BASE_URL", url);
    env.set("NOTION_API_DOCS_BASE_URL", url);
    env.set("NOTION_API_TOKEN", "ntn_test_token");
    env
}

#[test]
fn a_where_nested_thousands_deep_is_a_usage_error() {
    let (_sb, env) = sandbox_env();
    for deep in [
        format!("{}Status = Done{}", "(".repeat(7000), ")".repeat(7000)),
        format!("{}Status = Done", "not ".repeat(50_000)),
    ] {
        let o = env.run(&["datasources", "query", ROADMAP, "--where", &deep]);
        assert_eq!(o.code, 2, "{}", &o.stderr[..o.stderr.len().min(2000)]);
        assert!(
            o.stderr.contains("more than 64 levels"),
            "{}",
            &o.stderr[..500]
        );
        assert!(o.stderr.contains("hint:"));
    }
    // Nesting Notion takes still works.
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--where",
        "((Status = Done or Status = \"In progress\") and not (Estimate > 100))",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

const HOSTILE: &str = "{\"object\":\"user\",\"name\":\"a\u{9b}31m\u{202e}evil\u{2066}x\u{85}\"}";

#[test]
fn api_json_on_a_terminal_escapes_c1_and_bidi_and_a_pipe_gets_the_bytes() {
    let url = json_server(HOSTILE.as_bytes().to_vec(), 2);
    let env = env_for(&url);
    let o = env.run_with(&["api", "v1/users/me"], TestUi::new().terminal(80));
    assert_eq!(o.code, 0, "{}", o.stderr);
    for raw in ['\u{9b}', '\u{202e}', '\u{2066}', '\u{85}'] {
        assert!(!o.stdout.contains(raw), "{raw:?} raw in {:?}", o.stdout);
    }
    assert!(
        o.stdout
            .contains(r#""name": "a\u009b31m\u202eevil\u2066x\u0085""#),
        "{}",
        o.stdout
    );
    // Still the same JSON document.
    let shown: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let sent: serde_json::Value = serde_json::from_str(HOSTILE).unwrap();
    assert_eq!(shown, sent);
    // Piped: byte for byte.
    let o = env.run(&["api", "v1/users/me"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, format!("{HOSTILE}\n"));
}

#[test]
fn json_flag_on_a_terminal_escapes_c1_and_bidi_and_a_pipe_gets_the_bytes() {
    let (_sb, env) = sandbox_env();
    let title = "Q\u{9b}2J\u{202e}drow\u{2069}";
    let body = serde_json::json!({
        "parent": {"page_id": "a1000000-0000-4000-8000-000000000001"},
        "properties": {"title": {"title": [{"text": {"content": title}}]}}
    })
    .to_string();
    let created = env.run(&["api", "v1/pages", "-X", "POST", "-d", &body]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = serde_json::from_str::<serde_json::Value>(&created.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = env.run_with(&["pages", "get", &id, "--json"], TestUi::new().terminal(80));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stdout.contains('\u{9b}') && !o.stdout.contains('\u{202e}'));
    assert!(
        o.stdout.contains(r"Q\u009b2J\u202edrow\u2069"),
        "{}",
        o.stdout
    );
    let shown: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(shown.to_string().contains(title));
    let o = env.run(&["pages", "get", &id, "--json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(title), "{}", o.stdout);
    // Records (--json of a query) likewise.
    let o = env.run_with(&["search", "drow", "--json"], TestUi::new().terminal(80));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stdout.contains('\u{9b}') && !o.stdout.contains('\u{202e}'));
}

#[test]
fn a_deeply_nested_answer_prints_in_about_its_own_size_on_a_terminal() {
    let n = 10_000; // 20 KB; pretty all the way down it would be about 200 MB
    let body = format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    let url = json_server(body.clone(), 1);
    let env = env_for(&url);
    let o = env.run_with(&["api", "v1/users/me"], TestUi::new().terminal(80));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.len() < 3 * body.len(),
        "{} bytes printed",
        o.stdout.len()
    );
    let squeezed: String = o.stdout.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(squeezed.as_bytes(), &body[..]);
}

#[test]
fn the_timeout_ends_printing_to_a_slow_terminal() {
    let mut doc = String::from("[");
    for i in 0..2000 {
        doc.push_str(&format!("{{\"n\":{i}}},"));
    }
    doc.push_str("0]");
    let url = json_server(doc.into_bytes(), 2);
    let env = env_for(&url);
    // Every write to the terminal takes 10 ms: printing would take well over 5 s.
    let clock = Arc::new(ManualClock::new());
    let ui = TestUi::new()
        .terminal(80)
        .slow_stdout(clock.clone(), Duration::from_millis(10));
    let o = env.run_full(&["api", "v1/users/me", "--timeout", "5"], ui, clock.clone());
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("timed out: the time limit of 5s passed while printing the response"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("--timeout"), "{}", o.stderr);
    assert!(
        o.stdout.len() < 20_000,
        "printing went on: {} bytes",
        o.stdout.len()
    );
    // With time enough it all arrives.
    let clock = Arc::new(ManualClock::new());
    let ui = TestUi::new()
        .terminal(80)
        .slow_stdout(clock.clone(), Duration::from_millis(10));
    let o = env.run_full(&["api", "v1/users/me", "--timeout", "3600"], ui, clock);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.trim_end().ends_with(']'),
        "{}",
        &o.stdout[o.stdout.len() - 50..]
    );
}
