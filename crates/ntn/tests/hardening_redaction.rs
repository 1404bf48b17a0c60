//! Secret redaction audit: every command and subcommand, in success and in
//! failure, with and without -v/-vv, with a recognisable canary token from
//! each source (NOTION_API_TOKEN, the keychain, auth.json, a login through the
//! sandbox). The canary (or any 12-character piece of it) never appears on
//! stdout, on stderr, or in any file under the test's temporary directories,
//! except in the store it belongs to (auth.json for the file store; no file
//! at all for the keychain). `ntn auth token` is the only exception: its
//! stdout.
//!
//! The audit runs in-process (every byte ntn writes goes through its `Ui`,
//! which the test captures; waits are on a manual clock); one test runs a
//! sample through the real binary, whose streams are the process's own.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};

use common::{
    ALICE, Out, Sandbox, TestEnv, keychain_available, run, secret_tool_lookup_in,
    secret_tool_store_in, seed_login, unique_id,
};
use serde_json::Value;

const ACME_HOME: &str = "a1000000-0000-4000-8000-000000000001";

/// Every 12-character piece of the token's secret part (after `ntn_`).
fn pieces(token: &str) -> Vec<String> {
    let secret: Vec<char> = token
        .strip_prefix("ntn_")
        .unwrap_or(token)
        .chars()
        .collect();
    assert!(secret.len() >= 12, "canary too short");
    secret
        .windows(12)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

fn leaks(haystack: &[u8], token: &str) -> Option<String> {
    let text = String::from_utf8_lossy(haystack);
    if text.contains(token) {
        return Some("the whole token".into());
    }
    pieces(token)
        .into_iter()
        .find(|p| text.contains(p.as_str()))
        .map(|p| format!("a piece of it ({p})"))
}

/// Every regular file under `dir`.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                out.extend(all_files(&p));
            } else if m.is_file() {
                out.push(p);
            }
        }
    }
    out
}

fn assert_no_file_holds(env: &TestEnv, token: &str, allowed: &[PathBuf], label: &str) {
    for f in all_files(env.dir.path()) {
        if allowed.contains(&f) {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap();
        if let Some(what) = leaks(&bytes, token) {
            panic!("{label}: {} holds {what}", f.display());
        }
    }
}

/// The commands audited. `{upload}` is replaced by an upload id, `{file}` by
/// a small file to upload.
fn commands(ws: &str) -> Vec<Vec<String>> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    vec![
        v(&["whoami"]),
        v(&["whoami", "--json"]),
        v(&["auth", "token"]),
        v(&["auth", "token", "--json"]),
        v(&["auth"]),
        v(&["debug"]),
        v(&["debug", "--json"]),
        v(&["doctor"]),
        v(&["doctor", "--json"]),
        v(&["login", "--workspace", ws]),
        v(&["login", "--workspace", "no-such-workspace"]),
        v(&["login", "poll", "--timeout", "1"]),
        v(&["api", "v1/users/me"]),
        v(&["api", "v1/users/me", "--include"]),
        v(&["api", "v1/users", "--paginate"]),
        v(&["api", "v1/search", "query=Acme"]),
        v(&[
            "api",
            "-X",
            "POST",
            "v1/search",
            "--paginate",
            // Several pages (the search finds the 260 rows too), each logged.
            "page_size:=50",
        ]),
        v(&["api", "v1/pages/00000000-0000-4000-8000-000000000000"]),
        v(&[
            "api",
            "v1/pages/00000000-0000-4000-8000-000000000000",
            "--include",
        ]),
        v(&["api", "v1/nope", "X-Extra:1"]),
        v(&["api", "ls"]),
        v(&["api", "ls", "--json"]),
        v(&["api", "v1/users/me", "--spec"]),
        v(&["api", "v1/users/me", "--docs"]),
        v(&["api", "v1/pages/abc", "--help"]),
        v(&["files", "create", "{file}"]),
        v(&["files", "create", "{file}", "--json"]),
        v(&["files", "get", "{upload}"]),
        v(&["files", "get", "00000000-0000-4000-8000-000000000000"]),
        v(&["files", "list"]),
        v(&["datasources", "views", "Roadmap"]),
        v(&["datasources", "views", "Roadmap", "--json"]),
        v(&[
            "datasources",
            "query",
            "Roadmap",
            "--view",
            "f7000000-0000-4000-8000-000000000001",
        ]),
        v(&[
            "datasources",
            "query",
            "Roadmap",
            "--view",
            "f7000000-0000-4000-8000-0000000000ff",
        ]),
        v(&["files", "list", "--json", "--all"]),
        v(&["comments", "list", "a1000000-0000-4000-8000-000000000020"]),
        v(&[
            "comments",
            "list",
            "a1000000-0000-4000-8000-000000000020",
            "--blocks",
            "--json",
        ]),
        v(&[
            "comments",
            "add",
            "a1000000-0000-4000-8000-000000000020",
            "From the audit",
            "--attach",
            "{file}",
        ]),
        v(&[
            "comments",
            "reply",
            "e9000000-0000-4000-8000-000000000001",
            "Audit reply",
        ]),
        v(&[
            "comments",
            "delete",
            "00000000-0000-4000-8000-000000000000",
            "--yes",
        ]),
        v(&["sync", "status", "-C", "{file}"]),
        v(&["users", "list"]),
        v(&["users", "list", "--json"]),
        v(&["users", "get", "alice@acme.test"]),
        v(&["users", "me"]),
        v(&[
            "files",
            "attach",
            "{file}",
            "--to",
            "a1000000-0000-4000-8000-000000000020",
        ]),
        v(&[
            "files",
            "attach",
            "{upload}",
            "--to",
            "a1000000-0000-4000-8000-000000000020",
            "--after",
            "nowhere",
        ]),
        v(&["completions", "bash"]),
        v(&["--help"]),
    ]
}

/// Checks one run's outputs: no panic, the token nowhere but on the stdout
/// of `ntn auth token`.
fn check_outputs(args: &[String], out: &Out, token: &str, what: &str) {
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    if let Some(l) = leaks(out.stderr.as_bytes(), token) {
        panic!("{what}: stderr holds {l}:\n{}", out.stderr);
    }
    let is_auth_token = args[0] == "auth" && args.get(1).is_some_and(|a| a == "token");
    if is_auth_token {
        if out.code == 0 {
            assert!(out.stdout.contains(token), "{what}: {}", out.stdout);
        }
    } else if let Some(l) = leaks(out.stdout.as_bytes(), token) {
        panic!("{what}: stdout holds {l}:\n{}", out.stdout);
    }
}

/// Runs every command in-process with and without -v (and some with -vv)
/// and checks the outputs. Returns the exit code of `whoami` (to prove
/// which path ran).
fn audit_commands(env: &TestEnv, token: &str, ws: &str, label: &str) -> i32 {
    let file = env.dir.path().join("upload.txt");
    std::fs::write(&file, b"hello from the redaction audit\n").unwrap();
    let mut upload = "00000000-0000-4000-8000-000000000001".to_string();
    let mut whoami = -1;
    for args in commands(ws) {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("{file}", file.to_str().unwrap())
                    .replace("{upload}", &upload)
            })
            .collect();
        for verbosity in ["", "-v", "-vv"] {
            if verbosity == "-vv"
                && !matches!(
                    args[0].as_str(),
                    "api" | "whoami" | "files" | "comments" | "users"
                )
            {
                continue;
            }
            let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
            if !verbosity.is_empty() {
                argv.push(verbosity);
            }
            let out = env.run(&argv);
            let what = format!(
                "{label}: ntn {} {verbosity} (exit {})",
                args.join(" "),
                out.code
            );
            check_outputs(&args, &out, token, &what);
            if args[0] == "whoami" && args.len() == 1 && verbosity.is_empty() {
                whoami = out.code;
            }
            if args[0] == "files" && args[1] == "create" && out.code == 0 {
                if let Ok(v) = serde_json::from_str::<Value>(&out.stdout) {
                    if let Some(id) = v["id"].as_str() {
                        upload = id.to_string();
                    }
                } else if !out.stdout.trim().is_empty() {
                    upload = out.stdout.trim().to_string();
                }
            }
        }
    }
    whoami
}

/// Runs `audit(token, exit code of whoami)` for a token the sandbox does not
/// know (4) and a valid one (0), side by side (each on its own directory).
fn for_both(unknown: &str, valid: &str, audit: impl Fn(&str, i32) + Sync) {
    std::thread::scope(|s| {
        for (token, want_whoami) in [(unknown, 4), (valid, 0)] {
            let audit = &audit;
            s.spawn(move || audit(token, want_whoami));
        }
    });
}

/// The Secret Service is one daemon for the whole test run: the tests of
/// this binary that use it take turns. (Two of them writing at once made
/// gnome-keyring ask for a prompt it cannot show; a command then failed with
/// "prompt dismissed", or, in-process, waited out its keychain timeouts.)
fn keychain_turn() -> std::sync::MutexGuard<'static, ()> {
    static KEYCHAIN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    KEYCHAIN.lock().unwrap_or_else(|p| p.into_inner())
}

/// The verification code of the `n`th login session (ntn started it: a
/// two-step login returns once the session exists).
fn session_code(sb: &Sandbox, n: usize) -> String {
    let s = sb.sessions();
    assert!(s.len() >= n, "no login session {n}: {s:?}");
    s[n - 1]["verification_code"].as_str().unwrap().to_string()
}

fn canary() -> String {
    // Recognisable, and shaped like a real token.
    let id = unique_id("x").replace(['-', '_'], "");
    let tail: String = id.chars().rev().take(20).collect();
    format!("ntn_CANARYredactionAudit{tail}")
}

#[test]
fn env_token_never_leaks() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    // A token the sandbox does not know: every API call fails with 401.
    let unknown = canary();
    // A valid token: the success paths.
    let valid = sb.mint_token(ALICE, &acme);
    for_both(&unknown, &valid, |token, want_whoami| {
        let mut env = TestEnv::new().with_sandbox(&sb);
        env.set("NOTION_API_TOKEN", token);
        // A stored login too, so that login --workspace and logout have
        // something to do (its own token is a different one).
        seed_login(
            &env,
            "local",
            &acme,
            "Acme",
            Some("ntn_other_stored_token_0000"),
            true,
        );
        let label = format!(
            "NOTION_API_TOKEN ({})",
            if want_whoami == 0 { "valid" } else { "unknown" }
        );
        let whoami = audit_commands(&env, token, &acme, &label);
        assert_eq!(whoami, want_whoami, "{label}: whoami");
        let out = env.run(&["logout", "-v"]);
        assert!(!out.stderr.contains(token));
        assert_no_file_holds(&env, token, &[], &label);
    });
}

#[test]
fn auth_json_token_never_leaks() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let unknown = canary();
    let valid = sb.mint_token(ALICE, &acme);
    for_both(&unknown, &valid, |token, want_whoami| {
        let env = TestEnv::new().with_sandbox(&sb);
        seed_login(&env, "local", &acme, "Acme", Some(token), true);
        let label = format!(
            "auth.json ({})",
            if want_whoami == 0 { "valid" } else { "unknown" }
        );
        let whoami = audit_commands(&env, token, &acme, &label);
        assert_eq!(whoami, want_whoami, "{label}: whoami");
        assert_no_file_holds(&env, token, &[env.file("auth.json")], &label);
        let out = env.run(&["logout", "-v"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stderr.contains(token));
        // After logout no file holds it at all.
        assert_no_file_holds(&env, token, &[], &format!("{label} after logout"));
    });
}

#[test]
fn keychain_token_never_leaks() {
    if !keychain_available("keychain_token_never_leaks") {
        return;
    }
    let _turn = keychain_turn();
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let unknown = canary();
    let valid = sb.mint_token(ALICE, &acme);
    for (token, want_whoami) in [(unknown.as_str(), 4), (valid.as_str(), 0)] {
        // Keyed by a unique id: the keychain is shared with other tests.
        let id = unique_id(&format!("redact{want_whoami}"));
        secret_tool_store_in("local", &id, token);
        let mut env = TestEnv::new().with_sandbox(&sb);
        assert!(env.keychain());
        seed_login(&env, "local", &id, "Acme", None, true);
        let label = format!(
            "keychain ({})",
            if want_whoami == 0 { "valid" } else { "unknown" }
        );
        let whoami = audit_commands(&env, token, &id, &label);
        assert_eq!(whoami, want_whoami, "{label}: whoami");
        assert_no_file_holds(&env, token, &[], &label);
        let out = env.run(&["logout", "-v"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stderr.contains(token));
        assert_eq!(
            secret_tool_lookup_in("local", &id),
            None,
            "{label}: logout removed it"
        );
        assert_no_file_holds(&env, token, &[], &label);
    }
}

#[test]
fn login_token_never_leaks_file_store() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    // The login itself, audited too: its outputs never hold the token.
    let mut outs = Vec::new();
    outs.push(env.run(&["login", "--no-browser", "-v"]));
    let (s, v) = sb.approve(&session_code(&sb, 1), ALICE, &acme);
    assert_eq!(s, 200, "{v}");
    let out = env.run(&["login", "poll", "-vv", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    outs.push(out);
    let token = env.read_json("auth.json")[&common::auth_key("local", &acme)]
        .as_str()
        .expect("the login stored a token")
        .to_string();
    assert!(token.len() > 20);
    for o in &outs {
        assert!(leaks(o.stdout.as_bytes(), &token).is_none(), "{}", o.stdout);
        assert!(leaks(o.stderr.as_bytes(), &token).is_none(), "{}", o.stderr);
    }
    let whoami = audit_commands(&env, &token, &acme, "login (auth.json)");
    assert_eq!(whoami, 0);
    assert_no_file_holds(&env, &token, &[env.file("auth.json")], "login (auth.json)");
}

#[test]
fn login_token_never_leaks_keychain() {
    if !keychain_available("login_token_never_leaks_keychain") {
        return;
    }
    let _turn = keychain_turn();
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    assert!(env.keychain());
    let globex = sb.workspace("Globex");
    let mut outs = Vec::new();
    outs.push(env.run(&["login", "--no-browser"]));
    let (s, v) = sb.approve(&session_code(&sb, 1), ALICE, &globex);
    assert_eq!(s, 200, "{v}");
    let out = env.run(&["login", "poll", "-vv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    outs.push(out);
    let token = secret_tool_lookup_in("local", &globex)
        .expect("the login stored the token in the keychain");
    for o in &outs {
        assert!(leaks(o.stdout.as_bytes(), &token).is_none(), "{}", o.stdout);
        assert!(leaks(o.stderr.as_bytes(), &token).is_none(), "{}", o.stderr);
    }
    assert!(
        !env.file("auth.json").exists(),
        "a keychain login writes no auth.json"
    );
    let whoami = audit_commands(&env, &token, &globex, "login (keychain)");
    assert_eq!(whoami, 0);
    assert_no_file_holds(&env, &token, &[], "login (keychain)");
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(secret_tool_lookup_in("local", &globex), None);
}

#[test]
fn a_page_created_with_a_token_in_its_body_is_not_a_leak_of_ours() {
    // Control for the audit: the check really finds a token when one is
    // printed (here the user asks for it: auth token), so a pass above means
    // something.
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    let out = env.run(&["auth", "token"]);
    assert!(leaks(out.stdout.as_bytes(), &token).is_some());
    let prefix: String = token.chars().take(20).collect();
    assert!(
        leaks(prefix.as_bytes(), &token).is_some(),
        "pieces are found too"
    );
    let out = env.run(&[
        "api",
        "v1/pages",
        &format!("parent[page_id]={ACME_HOME}"),
        "properties[title][title][0][text][content]=audit",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(leaks(out.stdout.as_bytes(), &token).is_none());
}

/// The real process: its streams are its own (not a captured `Ui`), and an
/// error is printed on its way out. A sample of success and error paths,
/// most verbose, with a token from the environment (unknown and valid) and
/// from auth.json.
#[test]
fn the_real_process_never_prints_the_token() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let unknown = canary();
    let valid = sb.mint_token(ALICE, &acme);
    let sources = [
        ("env", &unknown, 4),
        ("env", &valid, 0),
        ("auth.json", &valid, 0),
    ];
    for (source, token, want_whoami) in sources {
        let mut env = TestEnv::new().with_sandbox(&sb);
        let label = format!("binary, {source} ({want_whoami})");
        if source == "env" {
            env.set("NOTION_API_TOKEN", token);
        } else {
            seed_login(&env, "local", &acme, "Acme", Some(token), true);
        }
        let file = env.dir.path().join("upload.txt");
        std::fs::write(&file, b"hello from the redaction audit\n").unwrap();
        let file = file.to_str().unwrap();
        let sample: [&[&str]; 10] = [
            &["whoami", "-vv"],
            &["api", "v1/users/me", "--include", "-vv"],
            &["api", "v1/nope", "X-Extra:1", "-vv"],
            &["files", "create", file, "-vv"],
            &["files", "list", "--json", "-v"],
            &["login", "poll", "--timeout", "1", "-v"],
            &["doctor", "-v"],
            &["debug", "--json"],
            &["auth", "token"],
            &["logout", "-v"],
        ];
        for args in sample {
            let out = run(env.ntn().args(args));
            let what = format!("{label}: ntn {} (exit {})", args.join(" "), out.code);
            let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            check_outputs(&owned, &out, token, &what);
            if args[0] == "whoami" {
                assert_eq!(out.code, want_whoami, "{what}: {}", out.stderr);
            }
        }
        assert_no_file_holds(&env, token, &[], &label);
    }
}
