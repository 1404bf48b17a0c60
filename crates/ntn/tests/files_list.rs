//! `ntn files list` and `ntn files get` against the real sandbox
//! (in-process), and the terminal behaviour of `ntn files create` (progress,
//! no-input refusal, Ctrl-C) under a pseudo-terminal (the real binary).

// Pseudo-terminals (rexpect): Unix only.
#![cfg(unix)]

mod common;

use common::{ALICE, Sandbox, TestEnv};
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;
use serde_json::{Value, json};

fn setup() -> (Sandbox, TestEnv, String) {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    env.set("NOTION_API_TOKEN", &token);
    (sb, env, token)
}

/// Creates `n` pending uploads straight through the API; returns their ids.
fn create_uploads(sb: &Sandbox, token: &str, n: usize) -> Vec<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    (0..n)
        .map(|i| {
            let body = json!({"mode": "single_part", "filename": format!("f{i:03}.txt"),
                              "content_type": "text/plain"});
            let mut r = agent
                .post(format!("{}/v1/file_uploads", sb.url))
                .header("Authorization", format!("Bearer {token}"))
                .header("Notion-Version", "2025-09-03")
                .header("Content-Type", "application/json")
                .send(body.to_string())
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn list_requests(sb: &Sandbox) -> Vec<Value> {
    sb.requests()
        .into_iter()
        .filter(|r| r["method"] == "GET" && r["path"] == "/v1/file_uploads")
        .collect()
}

#[test]
fn list_all_follows_the_pagination() {
    let (sb, env, token) = setup();
    let ids = create_uploads(&sb, &token, 105);

    let out = env.run(&["files", "list", "--all", "--plain"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 105, "{}", out.stdout);
    let got: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let first: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(first[1..4], ["pending", "f000.txt", "text/plain"]);
    assert_eq!(list_requests(&sb).len(), 2, "two pages of at most 100");

    // Without --all: the first 25 (every list command's default), and a note on stderr
    // about the rest.
    let out = env.run(&["files", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 26, "a header and 25 rows");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("CONTENT TYPE"),
        "{}",
        lines[0]
    );
    assert!(out.stderr.contains("--all"), "{}", out.stderr);

    // --limit, --json and continuing from the cursor.
    let out = env.run(&["files", "list", "--limit", "3", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The one JSON shape of every list command: an array of Notion's objects; the
    // cursor to continue from on stderr.
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["object"], "file_upload");
    let cursor = out
        .stderr
        .split("--start-cursor ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("a cursor on stderr: {}", out.stderr))
        .to_string();
    let out = env.run(&[
        "files",
        "list",
        "--plain",
        "--limit",
        "2",
        "--start-cursor",
        &cursor,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let got: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(got, [ids[3].as_str(), ids[4].as_str()]);

    // --status filters on the server.
    let out = env.run(&["files", "list", "--status", "uploaded", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v, json!([]));
    assert!(!out.stderr.contains("--start-cursor"), "{}", out.stderr);
}

#[test]
fn an_empty_list_says_so() {
    let (_sb, env, _) = setup();
    let out = env.run(&["files", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("No uploads"), "{}", out.stderr);
    let out = env.run(&["files", "list", "--plain"]);
    assert_eq!(out.stdout, "");
}

#[test]
fn get_shows_one_upload_in_every_format() {
    let (_sb, env, _) = setup();
    let path = env.dir.path().join("notes.md");
    std::fs::write(&path, "# hello\n").unwrap();
    let out = env.run(&["files", "create", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = out.stdout.trim().to_string();

    let out = env.run(&["files", "get", &id, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["status"], "uploaded");
    assert_eq!(v["filename"], "notes.md");
    assert_eq!(v["content_type"], "text/markdown");
    assert_eq!(v["content_length"], 8);

    let out = env.run(&["files", "get", &id]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Status"), "{}", out.stdout);
    assert!(out.stdout.contains("uploaded"), "{}", out.stdout);
    assert!(out.stdout.contains("8 B (8 bytes)"), "{}", out.stdout);

    let out = env.run(&["files", "get", &id, "--plain"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let cells: Vec<&str> = out.stdout.trim_end().split('\t').collect();
    assert_eq!(
        cells[..5],
        [id.as_str(), "uploaded", "notes.md", "text/markdown", "8"]
    );

    // Unknown and malformed ids.
    let out = env.run(&["files", "get", "00000000-0000-4000-8000-000000000000"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
    let out = env.run(&["files", "get", "../users/me"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// under a terminal

fn pty(env: &TestEnv, args: &[&str]) -> PtySession {
    let mut cmd = env.std_command();
    cmd.args(args).env("TERM", "xterm").env("NO_COLOR", "1");
    rexpect::session::spawn_command(cmd, Some(20_000)).unwrap()
}

fn exit_code(p: &mut PtySession) -> i32 {
    let _ = p.exp_eof();
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected status {other:?}"),
    }
}

#[test]
fn no_path_with_stdin_a_terminal_is_a_usage_error_with_a_hint() {
    let (sb, env, _) = setup();
    let mut p = pty(&env, &["files", "create"]);
    p.exp_string("error: no file to upload").unwrap();
    p.exp_string("hint:").unwrap();
    assert_eq!(exit_code(&mut p), 2);
    assert!(sb.requests().is_empty());
}

#[test]
fn progress_and_a_summary_are_shown_on_a_terminal() {
    let (_sb, env, _) = setup();
    let path = env.dir.path().join("big.bin");
    std::fs::write(&path, vec![7u8; 25 * 1024 * 1024]).unwrap();
    let mut p = pty(&env, &["files", "create", path.to_str().unwrap()]);
    p.exp_string("Uploading big.bin").unwrap();
    p.exp_string("/ 25.0 MiB").unwrap();
    p.exp_string("Uploaded big.bin (25.0 MiB)").unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn ctrl_c_stops_an_upload_and_says_what_was_left_undone() {
    let (sb, env, _) = setup();
    // Every send is held by the server: the upload is in flight.
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "stall": true,
                    "count": 10}),
    );
    let path = env.dir.path().join("slow.bin");
    std::fs::write(&path, vec![1u8; 21 * 1024 * 1024]).unwrap();
    let started = std::time::Instant::now();
    let mut p = pty(&env, &["files", "create", path.to_str().unwrap()]);
    p.exp_string("Uploading slow.bin").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("error: interrupted: upload").unwrap();
    p.exp_string("(0 of 3 parts sent)").unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert!(
        !sb.requests()
            .iter()
            .any(|r| r["path"].as_str().unwrap().ends_with("/complete"))
    );
}

#[test]
fn create_help_explains_pipes_and_lists_its_environment() {
    let env = TestEnv::new();
    let out = env.run(&["files", "create", "--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("--size BYTES"), "{}", out.stdout);
    assert!(out.stdout.contains("Pipes:"), "{}", out.stdout);
    let tail = out.stdout.trim_end();
    assert!(
        tail.contains("Environment variables:\n  NOTION_API_TOKEN"),
        "{tail}"
    );
    assert!(
        tail.ends_with("NO_COLOR                   disable colours"),
        "{tail}"
    );
}
