//! Nothing is replayed that the server may have applied (issue 21, item 2).
//!
//! The sandbox applies the request and then answers 500, 502, 503, 504, 529
//! or cuts the connection (`"after": true`), as Notion may: its status-code
//! page says a 503 can come after 60 s of work. A POST or a PATCH is then
//! sent once, applied once, and its error says it may have been applied; a
//! 429 (a refusal before any work) is still waited out and sent again; a
//! GET keeps its retries.
//!
//! In-process, on a manual clock: no real waiting.

mod common;

use std::sync::Arc;

use common::{ALICE, Out, Sandbox, TestEnv};
use ntn::output::TestUi;
use ntn::support::ManualClock;
use serde_json::{Value, json};

const ACME_HOME: &str = "a1000000-0000-4000-8000-000000000001";

fn setup() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start();
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    // Page Markdown needs a recent Notion-Version.
    env.set("NOTION_API_VERSION", "2026-03-11");
    (sb, env)
}

fn run(env: &TestEnv, args: &[&str]) -> Out {
    env.run_full(args, TestUi::new(), Arc::new(ManualClock::new()))
}

fn attempts(sb: &Sandbox, method: &str, path: &str) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r["method"] == method && r["path"] == path)
        .count()
}

fn json_out(o: &Out) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", o.stdout))
}

/// How many pages under the home page carry `title`.
fn pages_titled(env: &TestEnv, title: &str) -> usize {
    let o = run(env, &["api", &format!("v1/blocks/{ACME_HOME}/children")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    json_out(&o)["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "child_page" && b["child_page"]["title"] == title)
        .count()
}

fn create_args(title: &str) -> Vec<String> {
    vec![
        "api".into(),
        "v1/pages".into(),
        format!("parent[page_id]={ACME_HOME}"),
        format!("properties[title][title][0][text][content]={title}"),
        "markdown=ab".into(),
    ]
}

fn create(env: &TestEnv, title: &str) -> Out {
    let args = create_args(title);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(env, &args)
}

fn edit(env: &TestEnv, id: &str) -> Out {
    run(
        env,
        &[
            "api",
            &format!("v1/pages/{id}/markdown"),
            "-X",
            "PATCH",
            "type=update_content",
            "update_content[content_updates][0][old_str]=a",
            "update_content[content_updates][0][new_str]=aa",
            "update_content[content_updates][0][replace_all_matches]:=true",
        ],
    )
}

fn markdown(env: &TestEnv, id: &str) -> String {
    let o = run(env, &["api", &format!("v1/pages/{id}/markdown")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    json_out(&o)["markdown"]
        .as_str()
        .unwrap()
        .trim()
        .to_string()
}

/// The fault of a cell: a status or a cut, applied first when `after`.
fn fault(path: &str, method: &str, what: &str, after: bool) -> Value {
    let mut f = json!({"path_prefix": path, "method": method, "count": 1, "retry_after": 0});
    if what == "cut" {
        f["cut"] = json!(true);
    } else {
        f["status"] = json!(what.parse::<u16>().unwrap());
    }
    if after {
        f["after"] = json!(true);
    }
    f
}

fn assert_may_have_applied(o: &Out, what: &str) {
    assert_eq!(o.code, 5, "{what}: {}", o.stderr);
    assert!(
        o.stderr.contains("may have applied the"),
        "{what}: the error says the write may have been applied: {}",
        o.stderr
    );
    assert!(
        !o.stderr.contains("retrying in"),
        "{what}: nothing is sent again: {}",
        o.stderr
    );
}

#[test]
fn a_post_applied_then_failed_is_sent_once_and_may_have_been_applied() {
    let (sb, env) = setup();
    for what in ["503", "529", "500", "502", "504", "cut"] {
        let title = format!("Created under a {what}");
        sb.clear_requests();
        sb.fault(fault("/v1/pages", "POST", what, true));
        let o = create(&env, &title);
        assert_may_have_applied(&o, what);
        assert_eq!(attempts(&sb, "POST", "/v1/pages"), 1, "{what}");
        // Exactly one page: the one the server made before failing.
        assert_eq!(pages_titled(&env, &title), 1, "{what}");
    }
}

#[test]
fn a_patch_applied_then_failed_is_applied_once() {
    let (sb, env) = setup();
    for what in ["503", "529", "500", "502", "504", "cut"] {
        let o = create(&env, &format!("Edited under a {what}"));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let id = json_out(&o)["id"].as_str().unwrap().to_string();
        let path = format!("/v1/pages/{id}/markdown");
        sb.clear_requests();
        sb.fault(fault(&path, "PATCH", what, true));
        let o = edit(&env, &id);
        assert_may_have_applied(&o, what);
        assert_eq!(attempts(&sb, "PATCH", &path), 1, "{what}");
        // "ab" with every "a" made "aa" once: "aab", never "aaaab".
        assert_eq!(markdown(&env, &id), "aab", "{what}");
    }
}

#[test]
fn a_429_before_any_work_is_still_retried_and_applied_once() {
    let (sb, env) = setup();
    let title = "Created after a 429";
    sb.fault(fault("/v1/pages", "POST", "429", false));
    let o = create(&env, title);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("retrying in"), "{}", o.stderr);
    assert_eq!(attempts(&sb, "POST", "/v1/pages"), 2);
    assert_eq!(pages_titled(&env, title), 1);
}

#[test]
fn a_get_keeps_its_retries() {
    let (sb, env) = setup();
    for what in ["503", "529", "502", "504", "cut", "429"] {
        sb.clear_requests();
        sb.fault(fault("/v1/users/me", "GET", what, false));
        let o = run(&env, &["api", "v1/users/me"]);
        assert_eq!(o.code, 0, "{what}: {}", o.stderr);
        assert_eq!(attempts(&sb, "GET", "/v1/users/me"), 2, "{what}");
    }
}

#[test]
fn a_search_only_reads_so_it_is_retried_after_a_503() {
    let (sb, env) = setup();
    sb.fault(fault("/v1/search", "POST", "503", false));
    let o = run(&env, &["api", "v1/search", "query=x"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(attempts(&sb, "POST", "/v1/search"), 2);
}

/// The whole table, status × method: how many attempts went out, whether
/// the command succeeded, and how many times the write was applied. Printed
/// (`--nocapture`) as the measure of the closing note.
#[test]
fn the_replay_table() {
    let (sb, env) = setup();
    let statuses = ["429", "500", "502", "503", "504", "529", "cut"];
    let mut table = vec![
        "status  | GET (sent, exit) | POST (sent, exit, pages) | PATCH (sent, exit, edits)"
            .to_string(),
    ];
    for what in statuses {
        // A 429 is a refusal before any work; everything else is applied
        // first, then fails.
        let after = what != "429";
        sb.clear_requests();
        sb.fault(fault("/v1/users/me", "GET", what, false));
        let get = run(&env, &["api", "v1/users/me"]);
        let get_sent = attempts(&sb, "GET", "/v1/users/me");
        let want_get = if what == "500" { (1, 5) } else { (2, 0) };
        assert_eq!((get_sent, get.code), want_get, "GET {what}: {}", get.stderr);

        let title = format!("Table {what}");
        sb.clear_requests();
        sb.fault(fault("/v1/pages", "POST", what, after));
        let post = create(&env, &title);
        let post_sent = attempts(&sb, "POST", "/v1/pages");
        let pages = pages_titled(&env, &title);
        if after {
            assert_may_have_applied(&post, &format!("POST {what}"));
            assert_eq!(post_sent, 1, "POST {what}");
        } else {
            assert_eq!(
                (post_sent, post.code),
                (2, 0),
                "POST {what}: {}",
                post.stderr
            );
        }
        assert_eq!(pages, 1, "POST {what}");

        let o = create(&env, &format!("Table edit {what}"));
        let id = json_out(&o)["id"].as_str().unwrap().to_string();
        let path = format!("/v1/pages/{id}/markdown");
        sb.clear_requests();
        sb.fault(fault(&path, "PATCH", what, after));
        let patch = edit(&env, &id);
        let patch_sent = attempts(&sb, "PATCH", &path);
        let text = markdown(&env, &id);
        if after {
            assert_may_have_applied(&patch, &format!("PATCH {what}"));
            assert_eq!(patch_sent, 1, "PATCH {what}");
        } else {
            assert_eq!(
                (patch_sent, patch.code),
                (2, 0),
                "PATCH {what}: {}",
                patch.stderr
            );
        }
        assert_eq!(text, "aab", "PATCH {what}");
        table.push(format!(
            "{what:7} | {get_sent}, {} | {post_sent}, {}, {pages} | {patch_sent}, {}, {}",
            get.code,
            post.code,
            patch.code,
            usize::from(text == "aab")
        ));
    }
    println!("{}", table.join("\n"));
}

/// A POST whose answer never comes within `--timeout` may have been applied
/// too: its error says so (not "try again").
#[test]
fn a_write_that_timed_out_may_have_been_applied() {
    let (sb, env) = setup();
    sb.fault(json!({"path_prefix": "/v1/pages", "method": "POST", "stall": true, "count": 1}));
    let args = create_args("Timed out");
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--timeout", "10"]);
    let clock = Arc::new(ManualClock::new());
    let out = std::thread::scope(|s| {
        let c = clock.clone();
        let env = &env;
        let args = &args;
        let ntn = s.spawn(move || env.run_full(args, TestUi::new(), c));
        sb.wait_held(1);
        clock.advance(std::time::Duration::from_secs(11));
        ntn.join().unwrap()
    });
    assert_may_have_applied(&out, "a stalled POST");
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(!out.stderr.contains("try again"), "{}", out.stderr);
}

/// Creating a file upload is safe to replay (a spare upload object expires
/// unattached): a 503 on it is waited out, the upload succeeds.
#[test]
fn creating_a_file_upload_is_retried_after_a_503() {
    let (sb, env) = setup();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.txt");
    std::fs::write(&path, "hello").unwrap();
    sb.fault(fault("/v1/file_uploads", "POST", "503", true));
    let out = run(&env, &["files", "create", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(attempts(&sb, "POST", "/v1/file_uploads"), 2);
}
