//! Faults on every endpoint ntn uses: refused connections, 429 with and
//! without Retry-After, 500, 503, stalls, connections cut mid-body. Each
//! command either succeeds within its retry budget or fails with a clear
//! message and exit 5; nothing is sent or stored twice when that would be
//! unsafe (a POST that may have run, after a 500, a 503 or a cut, is never
//! replayed; a login stores exactly one workspace).
//!
//! In-process (a capturing `Ui`, a manual clock): `Retry-After`, backoff,
//! deadlines and stalls are measured on the clock, so no test waits real
//! seconds; a stall is driven by holding the request in the sandbox and then
//! moving the clock past the deadline.
#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ALICE, Out, Sandbox, TestEnv, seed_login};
use ntn::output::TestUi;
use ntn::support::ManualClock;
use serde_json::{Value, json};

const ACME_HOME: &str = "a1000000-0000-4000-8000-000000000001";
const TASKS_DS: &str = "d2000000-0000-4000-8000-000000000001";

/// A logged-in environment (file store) with a token the sandbox accepts.
fn logged_in(sb: &Sandbox) -> TestEnv {
    let env = TestEnv::new().with_sandbox(sb);
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    env
}

fn count(sb: &Sandbox, method: &str, path: &str) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r["method"] == method && r["path"] == path)
        .count()
}

/// A failure is clear: one `error: ...` line (after any retry notes), no
/// panic, and no token-looking text.
fn assert_clear_failure(out: &Out, what: &str) {
    assert_eq!(out.code, 5, "{what}: {}", out.stderr);
    let errors = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .count();
    assert_eq!(errors, 1, "{what}: {}", out.stderr);
    for line in out.stderr.lines() {
        assert!(
            line.starts_with("error: ") || line.starts_with("warning: ") || line.starts_with("  "),
            "{what}: unexpected line {line:?}"
        );
    }
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    assert!(!out.stderr.contains("ntn_"), "{what}: {}", out.stderr);
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    method: &'static str,
    path: String,
    /// Replaying it is safe (GET, or a POST that only reads).
    idempotent: bool,
}

fn cases() -> Vec<Case> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        Case {
            name: "whoami",
            args: s(&["whoami"]),
            method: "GET",
            path: "/v1/users/me".into(),
            idempotent: true,
        },
        Case {
            name: "api GET",
            args: s(&["api", "v1/users/me"]),
            method: "GET",
            path: "/v1/users/me".into(),
            idempotent: true,
        },
        Case {
            name: "api POST (creates a page)",
            args: vec![
                "api".into(),
                "v1/pages".into(),
                format!("parent[page_id]={ACME_HOME}"),
                "properties[title][title][0][text][content]=Fault test".into(),
            ],
            method: "POST",
            path: "/v1/pages".into(),
            idempotent: false,
        },
        Case {
            name: "api --paginate",
            args: vec![
                "api".into(),
                format!("v1/data_sources/{TASKS_DS}/query"),
                "--paginate".into(),
                "-X".into(),
                "POST".into(),
            ],
            method: "POST",
            path: format!("/v1/data_sources/{TASKS_DS}/query"),
            // A query only reads.
            idempotent: true,
        },
        Case {
            name: "files list",
            args: s(&["files", "list"]),
            method: "GET",
            path: "/v1/file_uploads".into(),
            idempotent: true,
        },
        Case {
            name: "api ls (spec)",
            args: s(&["api", "ls", "--plain"]),
            method: "GET",
            path: "/openapi.json".into(),
            idempotent: true,
        },
    ]
}

#[test]
fn transient_throttling_is_retried_and_succeeds() {
    let sb = Sandbox::start();
    for case in cases() {
        for status in [429u16, 503] {
            // A fresh env each time: the spec cache must not hide the fault.
            let env = logged_in(&sb);
            sb.clear_requests();
            sb.fault(json!({"path_prefix": case.path, "method": case.method, "status": status, "count": 1}));
            let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
            let out = env.run(&args);
            let what = format!("{} with one {status}", case.name);
            if status == 503 && !case.idempotent {
                // A 503 may come after the work (Notion's status codes): a
                // write is not sent again, and the error says it may have
                // been applied (hardening_replay.rs has the whole table).
                assert_clear_failure(&out, &what);
                assert!(
                    out.stderr.contains("may have applied"),
                    "{what}: {}",
                    out.stderr
                );
                assert_eq!(count(&sb, case.method, &case.path), 1, "{what}");
                continue;
            }
            assert_eq!(out.code, 0, "{what}: {}", out.stderr);
            // The refused attempt and the one that worked (a 429 is a refusal
            // before processing, safe to replay even for a POST; a 503 is
            // replayed only when the request only reads).
            assert_eq!(
                count(&sb, case.method, &case.path),
                2 + extra_pages(&case, &sb),
                "{what}"
            );
            assert!(
                out.stderr.to_lowercase().contains("retry"),
                "{what}: a retry is announced: {}",
                out.stderr
            );
        }
    }
}

/// Further pages of a paginated query (they are requests to the same path).
fn extra_pages(case: &Case, _sb: &Sandbox) -> usize {
    if case.name == "api --paginate" {
        // 260 rows at 100 per page: 3 pages, one more request than the first.
        2
    } else {
        0
    }
}

#[test]
fn retry_after_is_honoured() {
    let sb = Sandbox::start();
    let env = logged_in(&sb);
    sb.fault(json!({"path_prefix": "/v1/users/me", "status": 429, "retry_after": 1, "count": 1}));
    let clock = Arc::new(ManualClock::new());
    let out = env.run_full(&["whoami"], TestUi::new(), clock.clone());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(1)],
        "Retry-After: 1 is waited for, once"
    );
    assert_eq!(count(&sb, "GET", "/v1/users/me"), 2);
}

#[test]
fn persistent_throttling_gives_up_with_exit_5() {
    let sb = Sandbox::start();
    let env = logged_in(&sb);
    // More refusals than the retry budget allows.
    sb.fault(json!({"path_prefix": "/v1/users/me", "status": 503, "retry_after": 0, "count": 50}));
    let clock = Arc::new(ManualClock::new());
    let out = env.run_full(&["api", "v1/users/me"], TestUi::new(), clock.clone());
    assert_clear_failure(&out, "persistent 503");
    let n = count(&sb, "GET", "/v1/users/me");
    assert!((2..=10).contains(&n), "{n} attempts");
    assert!(
        clock.slept() < Duration::from_secs(30),
        "{:?}",
        clock.sleeps()
    );
}

#[test]
fn server_errors_and_cut_connections_never_replay_a_post() {
    let sb = Sandbox::start();
    for case in cases() {
        for fault in [
            json!({"status": 500, "count": 1}),
            json!({"cut": true, "count": 1}),
        ] {
            let env = logged_in(&sb);
            sb.clear_requests();
            let mut rule = fault.clone();
            rule["path_prefix"] = json!(case.path);
            rule["method"] = json!(case.method);
            sb.fault(rule);
            let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
            let out = env.run(&args);
            let what = format!("{} with {fault}", case.name);
            let n = count(&sb, case.method, &case.path);
            if case.method == "POST" && !case.idempotent {
                // It may have run: never sent again.
                assert_clear_failure(&out, &what);
                assert_eq!(n, 1, "{what}: a POST was replayed");
            } else if out.code == 0 {
                // A GET may be retried (a cut) and then succeed.
                assert!(n >= 2, "{what}: success without a retry?");
            } else {
                assert_clear_failure(&out, &what);
            }
            if fault["status"] == 500 && out.code != 0 {
                assert!(
                    out.stderr.contains("500") || out.stderr.to_lowercase().contains("internal"),
                    "{what}: the status is shown: {}",
                    out.stderr
                );
            }
        }
    }
}

/// Runs `args` in-process on a thread of its own, waits until the sandbox
/// holds its request (a stall fault), then moves `clock` by `by`: a deadline
/// or stall limit passes without waiting.
fn stalled(sb: &Sandbox, env: &TestEnv, args: &[&str], clock: &Arc<ManualClock>, by: u64) -> Out {
    std::thread::scope(|s| {
        let c = clock.clone();
        let ntn = s.spawn(move || env.run_full(args, TestUi::new(), c));
        sb.wait_held(1);
        clock.advance(Duration::from_secs(by));
        ntn.join().unwrap()
    })
}

#[test]
fn stalls_hit_the_timeout_and_fail_clearly() {
    let sb = Sandbox::start();
    let env = logged_in(&sb);
    // A stalled POST: not replayed, exit 5 once --timeout has passed.
    sb.fault(json!({"path_prefix": "/v1/pages", "method": "POST", "stall": true, "count": 1}));
    let parent = format!("parent[page_id]={ACME_HOME}");
    let args = [
        "api",
        "v1/pages",
        "--timeout",
        "10",
        &parent,
        "properties[title][title][0][text][content]=Stalled",
    ];
    let clock = Arc::new(ManualClock::new());
    let real = Instant::now();
    let out = stalled(&sb, &env, &args, &clock, 11);
    assert_clear_failure(&out, "stalled POST");
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "{:?}",
        real.elapsed()
    );
    // The sandbox logs a request when it answers: the stalled one (dropped
    // when ntn hung up) is not in the log, while a replay (not stalled: the
    // fault had count 1) would be.
    assert_eq!(
        count(&sb, "POST", "/v1/pages"),
        0,
        "the stalled POST was sent again"
    );
    assert!(
        out.stderr.contains("timed out") && out.stderr.contains("10s"),
        "the timeout is named: {}",
        out.stderr
    );
    // A stalled GET past its deadline: no time is left to retry it.
    sb.fault(json!({"path_prefix": "/v1/users/me", "stall": true, "count": 1}));
    let clock = Arc::new(ManualClock::new());
    let out = stalled(
        &sb,
        &env,
        &["api", "v1/users/me", "--timeout", "10"],
        &clock,
        11,
    );
    assert_clear_failure(&out, "stalled GET");
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert_eq!(count(&sb, "GET", "/v1/users/me"), 0, "no time for a retry");
}

#[test]
fn a_refused_connection_is_exit_5_for_every_network_command() {
    // A port nothing listens on: bind, note the port, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let sb = Sandbox::start();
    let mut env = logged_in(&sb);
    for k in [
        "NOTION_BASE_URL",
        "NOTION_API_BASE_URL",
        "NOTION_API_DOCS_BASE_URL",
    ] {
        env.set(k, &url);
    }
    // Refused connections are retried (the request never reached a server)
    // a few times with a short backoff, then the command gives up: a person is
    // waiting.
    let all: Vec<Vec<&str>> = vec![
        vec!["whoami"],
        vec!["api", "v1/users/me"],
        vec!["api", "v1/pages", "-X", "POST", "a=b"],
        vec!["api", "v1/search", "--paginate", "-X", "POST"],
        vec!["api", "ls"],
        vec!["files", "list"],
        vec!["files", "get", "abc"],
        vec!["doctor"],
    ];
    for args in &all {
        let clock = Arc::new(ManualClock::new());
        let out = env.run_full(args, TestUi::new(), clock.clone());
        let what = args.join(" ");
        if args[0] == "doctor" {
            assert_eq!(out.code, 5, "{}{}", out.stdout, out.stderr);
        } else {
            assert_clear_failure(&out, &what);
            assert!(
                out.stderr.contains("refused") || out.stderr.contains("connect"),
                "{what}: the cause is named: {}",
                out.stderr
            );
        }
        assert!(
            clock.slept() < Duration::from_secs(8),
            "{what} waited {:?}",
            clock.sleeps()
        );
    }
}

#[test]
fn a_refused_connection_fails_login_with_exit_5() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut env = TestEnv::new();
    env.set("NOTION_ENV", "local");
    env.set("NOTION_BASE_URL", &format!("http://127.0.0.1:{port}"));
    let clock = Arc::new(ManualClock::new());
    let out = env.run_full(&["login", "--no-browser"], TestUi::new(), clock.clone());
    assert_clear_failure(&out, "login --no-browser");
    assert!(
        clock.slept() < Duration::from_secs(8),
        "{:?}",
        clock.sleeps()
    );
    assert!(!env.file("pending-login.json").exists());
}

#[test]
fn login_start_survives_a_cut_and_a_500() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    sb.fault(json!({"path_prefix": "/api/v3/workersCliLoginInit", "cut": true, "count": 1}));
    sb.fault(json!({"path_prefix": "/api/v3/workersCliLoginInit", "status": 500, "count": 1}));
    let out = env.run(&["login", "--no-browser", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A session is harmless to start twice, but ntn keeps only the last one.
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let sessions = sb.sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["verification_code"], v["verification_code"]);
    assert!(env.file("pending-login.json").exists());
}

#[test]
fn a_login_through_faults_stores_exactly_one_workspace() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    sb.fault(json!({"path_prefix": "/api/v3/workersCliLoginInit", "status": 503, "count": 1}));
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let code = sb.sessions()[0]["verification_code"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = sb.approve(&code, ALICE, &acme);
    assert_eq!(s, 200, "{v}");
    // The redeem endpoint throttles, fails and cuts before it answers.
    for rule in [
        json!({"path_prefix": "/api/v3/workersCliLoginRedeem", "status": 429, "count": 1}),
        json!({"path_prefix": "/api/v3/workersCliLoginRedeem", "status": 503, "retry_after": 0, "count": 1}),
        json!({"path_prefix": "/api/v3/workersCliLoginRedeem", "cut": true, "count": 1}),
        json!({"path_prefix": "/api/v3/workersCliLoginRedeem", "status": 500, "count": 1}),
    ] {
        sb.fault(rule);
    }
    let out = env.run(&["login", "poll", "--timeout", "20"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let w = env.read_json("workspaces.json");
    let local = w["environments"]["local"].as_object().unwrap();
    assert_eq!(local.len(), 1, "{w}");
    assert!(local.contains_key(&acme));
    let auth = env.read_json("auth.json");
    assert_eq!(auth.as_object().unwrap().len(), 1, "exactly one token");
    assert_eq!(
        env.read_json("config.json")["defaultWorkspaceIds"]["local"],
        acme.as_str()
    );
    assert!(!env.file("pending-login.json").exists());
    // The stored token works.
    let out = env.run(&["whoami", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let me: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(me["bot"]["workspace_id"], acme.as_str());
}
