//! What ntn trusts on disk, and small leaks (issue 21, items 3 and 7):
//!
//! * state owned by another user (the config directory, auth.json,
//!   config.json, workspaces.json, pending-login.json) is refused with a
//!   hint, as ssh refuses such files (root's are accepted, as ssh does);
//! * a `null` token in auth.json is a corrupt file (exit 1), not a missing
//!   login (exit 4);
//! * `ntn login` never starts over a pending login it cannot read;
//! * `ntn api --paginate` is paced under a rate limit.
//!
//! The ownership cases need to give a file away (chown), which only root
//! can: they say so and skip when the tests do not run as root (the unit
//! test `state::paths::tests::a_directory_of_another_user_is_refused`
//! covers the rule for any user).
#![cfg(unix)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::Duration;

use common::{ALICE, Sandbox, TestEnv, seed_login};
use ntn::output::TestUi;
use ntn::support::ManualClock;
use serde_json::{Value, json};

/// Another user's uid, for files given away.
const OTHER: u32 = 4242;

fn running_as_root(test: &str) -> bool {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
        || tempfile::tempfile()
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.uid() == 0);
    if !root {
        eprintln!("{test}: skipped: giving a file to another user needs root");
    }
    root
}

#[test]
fn a_config_directory_of_another_user_is_refused() {
    if !running_as_root("a_config_directory_of_another_user_is_refused") {
        return;
    }
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    let dir = env.notion_home();
    std::os::unix::fs::chown(&dir, Some(OTHER), Some(OTHER)).unwrap();
    for args in [
        &["auth", "token"][..],
        &["whoami"],
        &["login", "--no-browser"],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("belongs to another user"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("chown"), "{}", out.stderr);
        assert!(out.stderr.contains("NOTION_HOME"), "{}", out.stderr);
        assert!(!out.stdout.contains("tok-1"), "{}", out.stdout);
    }
}

#[test]
fn state_files_of_another_user_are_refused() {
    if !running_as_root("state_files_of_another_user_are_refused") {
        return;
    }
    for name in [
        "auth.json",
        "config.json",
        "workspaces.json",
        "pending-login.json",
    ] {
        let env = TestEnv::new();
        seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
        let path = env.file(name);
        if !path.exists() {
            std::fs::write(
                &path,
                json!({"version": "1", "sessionId": "s", "verificationCode": "c", "env": "prod",
                       "baseUrl": "https://www.notion.so", "browserUrl": "https://x",
                       "expiresAtMs": 1, "createdAtMs": 1})
                .to_string(),
            )
            .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        std::os::unix::fs::chown(&path, Some(OTHER), Some(OTHER)).unwrap();
        let args: &[&str] = if name == "pending-login.json" {
            &["login", "poll"]
        } else {
            &["auth", "token"]
        };
        let out = env.run(args);
        assert_eq!(out.code, 1, "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains("belongs to another user") && out.stderr.contains(name),
            "{name}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("tok-1"), "{name}: {}", out.stdout);
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name} untouched");
    }
}

#[test]
fn a_null_token_is_a_corrupt_auth_json() {
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    std::fs::write(env.file("auth.json"), r#"{"w1": null}"#).unwrap();
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("auth.json"), "{}", out.stderr);
    assert!(out.stderr.contains("is null"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[test]
fn login_never_starts_over_a_pending_login_it_cannot_read() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    std::fs::write(env.file("pending-login.json"), "{\"sessionId\": \"s-1\", ").unwrap();
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("pending-login.json"), "{}", out.stderr);
    assert!(out.stderr.contains(".bak"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(env.file("pending-login.json")).unwrap(),
        "{\"sessionId\": \"s-1\", "
    );
    // No session was started for nothing.
    assert!(sb.sessions().is_empty(), "{:?}", sb.sessions());
}

#[test]
fn api_paginate_paces_itself_under_the_rate_limit() {
    // 5 requests a second on the test's clock; 2000 rows are 20 pages.
    let clock = Arc::new(ManualClock::new());
    let sb = Sandbox::start_on_clock(&["--rate-limit", "5", "--rows", "2000"], clock.clone());
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    let path = "v1/data_sources/d2000000-0000-4000-8000-000000000001/query";
    sb.clear_requests();
    let o = env.run_full(&["api", path, "--paginate"], TestUi::new(), clock.clone());
    assert_eq!(o.code, 0, "{}", o.stderr);
    let rows: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2000);
    let throttled = sb.requests().iter().filter(|r| r["status"] == 429).count();
    // Without pacing, every page after the fifth of each second is a 429.
    assert!(throttled <= 1, "{throttled} answers were 429");
    let sleeps = clock.sleeps();
    assert!(
        sleeps[1..].iter().all(|s| *s <= Duration::from_millis(210)),
        "{sleeps:?}"
    );
}

#[test]
fn a_stored_token_with_control_characters_is_never_printed() {
    for bad in ["ntn_a\u{1b}[2Jb", "ntn_a\r\nb", "ntn_\u{202e}abc"] {
        let env = TestEnv::new();
        seed_login(&env, "prod", "w1", "Acme", Some(bad), true);
        for args in [
            &["auth", "token"][..],
            &["auth", "token", "--plain"],
            &["auth", "token", "--json"],
        ] {
            let out = env.run(args);
            assert_eq!(out.code, 1, "{bad:?} {args:?}: {}", out.stderr);
            assert!(!out.stdout.contains("ntn_"), "{bad:?}: {:?}", out.stdout);
            assert!(out.stderr.contains("not printable ASCII"), "{}", out.stderr);
            assert!(out.stderr.contains("ntn login"), "{}", out.stderr);
        }
    }
}
