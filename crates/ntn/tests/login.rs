//! `ntn login`, `ntn login poll`, the workspace picker and `--workspace`,
//! against the real sandbox over loopback. Interactive cases run the real
//! binary under a pseudo-terminal (Unix only: those tests, and the ones of
//! file modes, a shell-script browser, signals and the Secret Service, are
//! `#[cfg(unix)]`; the rest also runs on Windows, under Wine in scripts/test).

mod common;

#[cfg(unix)]
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ntn::output::TestUi;
use ntn::support::ManualClock;

use common::{ALICE, GUEST, RESTRICTED, Sandbox, TestEnv};
#[cfg(unix)]
use common::{mode, run};
#[cfg(unix)]
use rexpect::process::WaitStatus;
#[cfg(unix)]
use rexpect::session::PtySession;
use serde_json::{Value, json};

const INIT: &str = "/api/v3/workersCliLoginInit";
const REDEEM: &str = "/api/v3/workersCliLoginRedeem";

// ---------------------------------------------------------------------------
// helpers

/// Polls `f` until it returns Some, or panics after 15 s.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The verification code of the `n`-th login session (1-based) once it exists.
fn nth_code(sb: &Sandbox, n: usize) -> String {
    wait_for("a login session", || {
        let s = sb.sessions();
        (s.len() >= n).then(|| s[n - 1]["verification_code"].as_str().unwrap().to_string())
    })
}

fn approve(sb: &Sandbox, code: &str, email: &str, ws: &str) {
    let (status, body) = sb.approve(code, email, ws);
    assert_eq!(status, 200, "{body}");
}

#[cfg(unix)]
/// A `BROWSER` script that records the URL it is given.
fn browser_script(env: &mut TestEnv) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = env.dir.path().join("browser.sh");
    let record = env.dir.path().join("browser-url.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("BROWSER", script.to_str().unwrap());
    record
}

#[cfg(unix)]
fn pty(env: &TestEnv, args: &[&str]) -> PtySession {
    let mut cmd = env.std_command();
    cmd.args(args).env("TERM", "xterm").env("NO_COLOR", "1");
    rexpect::session::spawn_command(cmd, Some(20_000)).unwrap()
}

#[cfg(unix)]
/// Waits for the process under the pty to end and returns its exit code.
fn exit_code(p: &mut PtySession) -> i32 {
    let _ = p.exp_eof();
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected status {other:?}"),
    }
}

fn default_ws(env: &TestEnv) -> Option<String> {
    if !env.file("config.json").exists() {
        return None;
    }
    env.read_json("config.json")["defaultWorkspaceIds"]["local"]
        .as_str()
        .map(str::to_string)
}

fn auth_json(env: &TestEnv) -> Value {
    if env.file("auth.json").exists() {
        env.read_json("auth.json")
    } else {
        json!({})
    }
}

/// Asserts that nothing about a login was stored.
fn assert_nothing_stored(env: &TestEnv) {
    assert_eq!(auth_json(env), json!({}), "no token may be stored");
    assert_eq!(default_ws(env), None, "no default may be set");
    if env.file("workspaces.json").exists() {
        let w = env.read_json("workspaces.json");
        assert!(
            w["environments"]["local"]
                .as_object()
                .is_none_or(|m| m.is_empty()),
            "{w}"
        );
    }
}

/// `GET /v1/users/me` with `token`: the status.
fn users_me(sb: &Sandbox, token: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(format!("{}/v1/users/me", sb.url))
        .header("Authorization", format!("Bearer {token}"))
        .header("Notion-Version", "2025-09-03")
        .call()
        .unwrap()
        .status()
        .as_u16()
}

/// Logs in with the two-step flow (file store) and returns the workspace id.
fn two_step_login(sb: &Sandbox, env: &TestEnv, name: &str, n: usize) -> String {
    let ws = sb.workspace(name);
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    approve(sb, &nth_code(sb, n), ALICE, &ws);
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    ws
}

fn count(sb: &Sandbox, path: &str) -> usize {
    sb.requests().iter().filter(|r| r["path"] == path).count()
}

fn pending_file(env: &TestEnv) -> PathBuf {
    env.file("pending-login.json")
}

#[cfg(unix)]
fn keychain_env(sb: &Sandbox) -> Option<TestEnv> {
    let mut env = TestEnv::new().with_sandbox(sb);
    if env.keychain() {
        return Some(env);
    }
    assert!(
        std::env::var_os("NTN_REQUIRE_KEYCHAIN").is_none(),
        "NTN_REQUIRE_KEYCHAIN is set but there is no D-Bus session"
    );
    eprintln!("skipped: no D-Bus session (run under scripts/test)");
    None
}

#[cfg(unix)]
fn secret_tool(args: &[&str], env: &TestEnv) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(args)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            env.var("DBUS_SESSION_BUS_ADDRESS").unwrap(),
        )
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

// ---------------------------------------------------------------------------
// two-step flow and `ntn login poll`

#[test]
fn two_step_then_poll_stores_the_login_in_auth_json() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");

    let out = env.run(&["login", "--no-browser", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let code = nth_code(&sb, 1);
    assert_eq!(v["verification_code"], code.as_str());
    let url = v["browser_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/cli-login/", sb.url)), "{url}");
    assert_eq!(v["next_command"], "ntn login poll --env local");
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'));
    // The instructions for people are on stderr.
    for needle in [
        url,
        code.as_str(),
        "ntn login poll --env local",
        "valid for",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    // The pending login is private and holds no token.
    #[cfg(unix)]
    assert_eq!(mode(&pending_file(&env)), 0o600);
    assert!(!env.file("auth.json").exists());

    approve(&sb, &code, ALICE, &acme);
    let out = env.run(&["login", "poll", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout).unwrap(),
        json!({"workspace_id": acme, "workspace_name": "Acme", "env": "local"})
    );
    assert!(
        out.stderr
            .contains(&format!("Logged in to Acme ({acme})\n")),
        "{}",
        out.stderr
    );
    assert!(!pending_file(&env).exists());
    assert_eq!(default_ws(&env).as_deref(), Some(acme.as_str()));
    assert_eq!(
        env.read_json("workspaces.json")["environments"]["local"][&acme]["name"],
        "Acme"
    );
    #[cfg(unix)]
    assert_eq!(mode(&env.file("auth.json")), 0o600);
    let token = auth_json(&env)[&common::auth_key("local", &acme)]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(users_me(&sb, &token), 200);
    // The token never shows up in what ntn printed.
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));
    // No spinner when stderr is not a terminal.
    assert!(!out.stderr.contains('\r'), "{:?}", out.stderr);

    // Nothing pending any more; the hint names the commands whole.
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 4);
    assert!(
        out.stderr.contains(
            "hint: run `ntn login --env local` (or `ntn login --no-browser --env local`) to start one"
        ),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn without_a_terminal_login_falls_back_to_the_two_step_flow() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let out = env.run(&["login"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("Not opening a browser"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("ntn login poll --env local"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(pending_file(&env).exists());
    assert!(!record.exists(), "the browser must not be opened");
}

#[test]
fn an_expired_session_is_reported_and_forgotten() {
    let sb = Sandbox::start_with(&["--login-ttl", "1"]);
    let env = TestEnv::new().with_sandbox(&sb);
    // Polling runs into the expiry.
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Login session expired. Run `ntn login --env local` to start over."),
        "{}",
        out.stderr
    );
    assert!(!pending_file(&env).exists());
    assert_nothing_stored(&env);

    // A pending login that expired while nobody polled.
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    wait_for("expiry", || {
        (sb.sessions().last().unwrap()["status"] == "expired").then_some(())
    });
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("Login session expired"),
        "{}",
        out.stderr
    );
    assert!(!pending_file(&env).exists());
    assert_nothing_stored(&env);
}

#[test]
fn guests_and_restricted_members_are_refused_with_alternatives() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    for (n, email) in [(1, GUEST), (2, RESTRICTED)] {
        let out = env.run(&["login", "--no-browser"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        // The sandbox refuses the approval and denies the session.
        let (status, _) = sb.approve(&nth_code(&sb, n), email, &acme);
        assert_ne!(status, 200);
        let out = env.run(&["login", "poll"]);
        assert_eq!(out.code, 4, "{email}: {}", out.stderr);
        for needle in ["full workspace membership", "admin", "NOTION_API_TOKEN"] {
            assert!(
                out.stderr.contains(needle),
                "{email} {needle}: {}",
                out.stderr
            );
        }
        assert!(!pending_file(&env).exists());
        assert_nothing_stored(&env);
    }
}

#[test]
fn a_login_denied_in_the_browser_exits_4() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (status, body) = sb.deny(&nth_code(&sb, 1));
    assert_eq!(status, 200, "{body}");
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("Login was denied in the browser"),
        "{}",
        out.stderr
    );
    assert!(!pending_file(&env).exists());
    assert_nothing_stored(&env);
}

#[test]
fn poll_timeout_keeps_the_pending_login() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    // The bound is measured on the command's clock (a manual one here).
    let clock = Arc::new(ManualClock::new());
    let out = env.run_full(
        &["login", "poll", "--timeout", "1"],
        TestUi::new(),
        clock.clone(),
    );
    assert_eq!(out.code, 4, "{}", out.stderr);
    let slept = clock.slept();
    assert!(
        slept >= Duration::from_secs(1) && slept < Duration::from_secs(2),
        "{slept:?}"
    );
    assert!(out.stderr.contains("still pending"), "{}", out.stderr);
    assert!(pending_file(&env).exists());
    // ...and a later poll finishes it.
    approve(&sb, &nth_code(&sb, 1), ALICE, &sb.workspace("Globex"));
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged in to Globex"), "{}", out.stderr);
}

#[test]
fn the_pending_login_keeps_its_environment_and_base_url() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    approve(&sb, &nth_code(&sb, 1), ALICE, &sb.workspace("Acme"));
    // Another environment and a dead base URL on the command line: the
    // pending login's own (local, the sandbox) win.
    let mut env = env;
    env.set("NOTION_BASE_URL", "http://127.0.0.1:9");
    let out = env.run(&["--env", "prod", "login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("local"), "{}", out.stderr);
    assert_eq!(default_ws(&env), Some(sb.workspace("Acme")));
}

// ---------------------------------------------------------------------------
// faults

#[test]
fn faults_on_init_and_redeem_are_retried() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    sb.fault(json!({"path_prefix": INIT, "status": 503, "count": 1}));
    sb.fault(json!({"path_prefix": INIT, "cut": true, "count": 1}));
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(count(&sb, INIT), 3);

    approve(&sb, &nth_code(&sb, 1), ALICE, &acme);
    sb.fault(json!({"path_prefix": REDEEM, "status": 429, "retry_after": 1, "count": 1}));
    sb.fault(json!({"path_prefix": REDEEM, "status": 500, "count": 1}));
    sb.fault(json!({"path_prefix": REDEEM, "status": 503, "count": 1}));
    sb.fault(json!({"path_prefix": REDEEM, "cut": true, "count": 1}));
    let clock = Arc::new(ManualClock::new());
    let out = env.run_full(&["login", "poll"], TestUi::new(), clock.clone());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged in to Acme"), "{}", out.stderr);
    // Retry-After: 1 was honoured (on the command's clock).
    assert!(
        clock.slept() >= Duration::from_secs(1),
        "{:?}",
        clock.sleeps()
    );
    let redeems: Vec<u64> = sb
        .requests()
        .iter()
        .filter(|r| r["path"] == REDEEM)
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(redeems, [429, 500, 503, 0, 200], "{redeems:?}");
    // Login requests never carry a token.
    assert!(
        sb.requests()
            .iter()
            .all(|r| r["has_authorization"] == false)
    );
    assert!(auth_json(&env)[&common::auth_key("local", &acme)].is_string());
}

#[test]
fn init_gives_up_with_exit_5_when_the_server_keeps_refusing() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    // Retry-After beyond the retry budget: ntn stops instead of waiting.
    sb.fault(json!({"path_prefix": INIT, "status": 429, "retry_after": 120, "count": 5}));
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr.contains("could not start a login session"),
        "{}",
        out.stderr
    );
    assert!(!pending_file(&env).exists());
    assert_eq!(count(&sb, INIT), 1);
}

#[test]
fn client_errors_on_redeem_stop_polling() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    // A 400 is not retried: the server's message, exit 5, the login stays pending.
    sb.fault(json!({"path_prefix": REDEEM, "status": 400, "count": 1}));
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(count(&sb, REDEEM), 1);
    assert!(pending_file(&env).exists());
    // A 404 means the session is gone.
    sb.fault(json!({"path_prefix": REDEEM, "status": 404, "count": 1}));
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("gone"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("hint: run `ntn login --env local` to start over"),
        "{}",
        out.stderr
    );
    assert!(!pending_file(&env).exists());
    assert_nothing_stored(&env);
}

#[cfg(unix)]
#[test]
fn sigint_during_poll_keeps_the_pending_login() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    let child = env
        .std_command()
        .args(["login", "poll"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("polling", || (count(&sb, REDEEM) >= 2).then_some(()));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("ntn login poll"), "{stderr}");
    assert!(pending_file(&env).exists());
    approve(&sb, &nth_code(&sb, 1), ALICE, &sb.workspace("Acme"));
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// --workspace

#[test]
fn workspace_flag_switches_without_network() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = two_step_login(&sb, &env, "Acme", 1);
    let globex = two_step_login(&sb, &env, "Globex", 2);
    assert_eq!(default_ws(&env).as_deref(), Some(globex.as_str()));

    sb.clear_requests();
    let out = env.run(&["login", "--workspace", &acme, "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!("Switched to Acme ({acme})\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout).unwrap(),
        json!({"workspace_id": acme, "workspace_name": "Acme", "env": "local"})
    );
    assert_eq!(default_ws(&env).as_deref(), Some(acme.as_str()));
    assert!(sb.requests().is_empty(), "{:?}", sb.requests());

    // Unknown id: exit 4 with a hint, nothing changed.
    let out = env.run(&["login", "--workspace", "nope"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert_eq!(default_ws(&env).as_deref(), Some(acme.as_str()));
    assert!(sb.requests().is_empty());
}

// ---------------------------------------------------------------------------
// interactive: browser flow, picker, Ctrl-C, no opener over SSH or without display

/// Runs the browser flow under a pty and approves it for `ws`.
#[cfg(unix)]
fn browser_login(sb: &Sandbox, env: &TestEnv, record: &Path, n: usize, ws: &str) -> String {
    let mut p = pty(env, &["login"]);
    p.exp_string("Your verification code").unwrap();
    let url = wait_for("the browser script", || {
        std::fs::read_to_string(record)
            .ok()
            .and_then(|t| t.lines().nth(n - 1).map(str::to_string))
    });
    assert!(url.starts_with(&format!("{}/cli-login/", sb.url)), "{url}");
    let code = nth_code(sb, n);
    approve(sb, &code, ALICE, ws);
    let out = p.exp_string("Logged in to").unwrap();
    assert!(out.contains(&code), "{out}");
    assert_eq!(exit_code(&mut p), 0);
    url
}

#[cfg(unix)]
#[test]
fn browser_flow_opens_browser_and_stores_in_auth_json() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let acme = sb.workspace("Acme");
    browser_login(&sb, &env, &record, 1, &acme);
    assert_eq!(default_ws(&env).as_deref(), Some(acme.as_str()));
    let token = auth_json(&env)[&common::auth_key("local", &acme)]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(users_me(&sb, &token), 200);
    assert!(!pending_file(&env).exists());
}

#[cfg(unix)]
#[test]
fn whole_flow_with_the_keychain() {
    let sb = Sandbox::start();
    let Some(mut env) = keychain_env(&sb) else {
        return;
    };
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let acme = sb.workspace("Acme");
    let globex = sb.workspace("Globex");
    // Browser flow, then the two-step flow, both into the Secret Service.
    browser_login(&sb, &env, &record, 1, &acme);
    let out = run(env.ntn().args(["login", "--no-browser"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    approve(&sb, &nth_code(&sb, 2), ALICE, &globex);
    let out = run(env.ntn().args(["login", "poll"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !env.file("auth.json").exists(),
        "tokens belong in the keychain"
    );
    assert_eq!(default_ws(&env).as_deref(), Some(globex.as_str()));
    // The token is in the Secret Service, under the local environment's
    // service, and works.
    let token = secret_tool(
        &["lookup", "service", "notion-cli:local", "username", &acme],
        &env,
    )
    .filter(|t| !t.is_empty())
    .expect("the token is in the Secret Service");
    assert_eq!(users_me(&sb, token.trim()), 200);
    assert_eq!(
        secret_tool(
            &["lookup", "service", "notion-cli", "username", &acme],
            &env
        )
        .as_deref(),
        Some(""),
        "no production entry"
    );
    // Switching finds the stored token without network.
    sb.clear_requests();
    let out = run(env.ntn().args(["login", "--workspace", &acme]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(default_ws(&env).as_deref(), Some(acme.as_str()));
    assert!(sb.requests().is_empty());
    for id in [&acme, &globex] {
        secret_tool(
            &["clear", "service", "notion-cli:local", "username", id],
            &env,
        );
    }
}

#[cfg(unix)]
#[test]
fn no_browser_is_opened_over_ssh_or_without_a_display() {
    let sb = Sandbox::start();
    for (n, ssh) in [(1, true), (2, false)] {
        let mut env = TestEnv::new().with_sandbox(&sb);
        let record = browser_script(&mut env);
        if ssh {
            env.set("DISPLAY", ":0");
            env.set("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22");
        }
        let mut p = pty(&env, &["login"]);
        p.exp_string(if ssh { "SSH session" } else { "no display" })
            .unwrap();
        p.exp_string("ntn login poll --env local").unwrap();
        assert_eq!(exit_code(&mut p), 0);
        assert_eq!(sb.sessions().len(), n);
        assert!(pending_file(&env).exists());
        assert!(!record.exists(), "the opener ran (ssh: {ssh})");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_leaves_a_resumable_login() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let mut p = pty(&env, &["login"]);
    p.exp_string("Your verification code").unwrap();
    wait_for("the browser script", || record.exists().then_some(()));
    wait_for("polling", || (count(&sb, REDEEM) >= 1).then_some(()));
    // On a terminal a spinner shows the time left.
    p.exp_regex(r"Waiting for approval in the browser\.\.\. \d+:\d\d left")
        .unwrap();
    p.send_control('c').unwrap();
    p.exp_string("ntn login poll --env local").unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert!(pending_file(&env).exists());
    assert_nothing_stored(&env);

    approve(&sb, &nth_code(&sb, 1), ALICE, &sb.workspace("Acme"));
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged in to Acme"), "{}", out.stderr);
    assert!(!pending_file(&env).exists());
}

#[cfg(unix)]
const DOWN: &str = "\x1b[B";
#[cfg(unix)]
const UP: &str = "\x1b[A";

#[cfg(unix)]
#[test]
fn picker_switches_to_a_stored_workspace_without_network() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let acme = two_step_login(&sb, &env, "Acme", 1);
    let globex = two_step_login(&sb, &env, "Globex", 2);
    sb.clear_requests();

    let mut p = pty(&env, &["login"]);
    p.exp_string("Choose a workspace").unwrap();
    let listed = p.exp_string("Authenticate with new workspace").unwrap();
    // Sorted by name, the default marked.
    let (a, g) = (listed.find("Acme").unwrap(), listed.find("Globex").unwrap());
    assert!(a < g, "{listed}");
    assert!(
        listed.contains(&format!("Globex ({globex})  [default]")),
        "{listed}"
    );
    // The cursor starts on the default (Globex): one up is Acme.
    p.send(UP).unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_string(&format!("Switched to Acme ({acme})")).unwrap();
    assert_eq!(exit_code(&mut p), 0);
    assert_eq!(default_ws(&env).as_deref(), Some(acme.as_str()));
    assert!(sb.requests().is_empty(), "{:?}", sb.requests());
    assert!(!record.exists());
}

#[cfg(unix)]
#[test]
fn picker_can_authenticate_a_new_workspace() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    two_step_login(&sb, &env, "Acme", 1);
    let globex = sb.workspace("Globex");

    let mut p = pty(&env, &["login"]);
    p.exp_string("Authenticate with new workspace").unwrap();
    // The cursor starts on Acme (the only one): one down is the new login.
    p.send(DOWN).unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_string("Your verification code").unwrap();
    wait_for("the browser script", || record.exists().then_some(()));
    approve(&sb, &nth_code(&sb, 2), ALICE, &globex);
    p.exp_string(&format!("Logged in to Globex ({globex})"))
        .unwrap();
    assert_eq!(exit_code(&mut p), 0);
    assert_eq!(default_ws(&env).as_deref(), Some(globex.as_str()));
}

#[cfg(unix)]
#[test]
fn picking_a_workspace_without_a_token_starts_the_browser_flow() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let acme = two_step_login(&sb, &env, "Acme", 1);
    // The token went missing (e.g. removed from the keychain by hand).
    std::fs::write(env.file("auth.json"), "{}\n").unwrap();

    let mut p = pty(&env, &["login"]);
    p.exp_string("Authenticate with new workspace").unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_string("No token is stored for Acme").unwrap();
    p.exp_string("Your verification code").unwrap();
    wait_for("the browser script", || record.exists().then_some(()));
    approve(&sb, &nth_code(&sb, 2), ALICE, &acme);
    p.exp_string("Logged in to Acme").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    assert!(auth_json(&env)[&common::auth_key("local", &acme)].is_string());
}

#[cfg(unix)]
#[test]
fn no_browser_skips_the_picker() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    two_step_login(&sb, &env, "Acme", 1);
    let mut p = pty(&env, &["login", "--no-browser"]);
    let out = p.exp_string("ntn login poll --env local").unwrap();
    assert!(!out.contains("Choose a workspace"), "{out}");
    assert_eq!(exit_code(&mut p), 0);
    assert_eq!(sb.sessions().len(), 2);
}

// ---------------------------------------------------------------------------
// always a way back

#[cfg(unix)]
#[test]
fn ctrl_c_in_the_picker_restores_the_cursor_and_says_login_cancelled() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    two_step_login(&sb, &env, "Acme", 1);
    let mut p = pty(&env, &["login"]);
    let shown = p.exp_string("Authenticate with new workspace").unwrap();
    p.send_control('c').unwrap();
    let rest = p.exp_eof().unwrap();
    let all = format!("{shown}{rest}");
    assert!(all.contains("login cancelled"), "{all:?}");
    // The picker hid the cursor; it is shown again after the last hiding.
    let hidden = all
        .rfind("\u{1b}[?25l")
        .expect("the picker hides the cursor");
    assert!(all[hidden..].contains("\u{1b}[?25h"), "{all:?}");
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 130),
        other => panic!("unexpected status {other:?}"),
    }
    assert!(!record.exists(), "no browser");
    assert_eq!(sb.sessions().len(), 1, "no new session");
}

#[cfg(unix)]
#[test]
fn a_token_the_api_rejected_is_marked_and_choosing_it_signs_in_again() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let record = browser_script(&mut env);
    env.set("DISPLAY", ":0");
    let acme = two_step_login(&sb, &env, "Acme", 1);
    let dead = auth_json(&env)[&common::auth_key("local", &acme)]
        .as_str()
        .unwrap()
        .to_string();
    sb.revoke(&dead);

    // The rejection says how to sign in again, and marks the workspace.
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    let again = format!("`ntn login --workspace {acme} --fresh --env local`");
    assert!(out.stderr.contains(&again), "{}", out.stderr);
    assert!(
        env.read_json("workspaces.json")["environments"]["local"][&acme]["tokenRejectedAt"]
            .is_string()
    );
    // So does any command that meets the 401.
    let out = env.run(&["api", "v1/users/me"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains(&again), "{}", out.stderr);
    // `ntn login --workspace` still switches to it (no network), with a word.
    let out = env.run(&["login", "--workspace", &acme]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the API rejected this workspace's token"),
        "{}",
        out.stderr
    );

    // The picker marks it; choosing it (the default, preselected) starts a
    // fresh browser login instead of switching to the dead token.
    sb.clear_requests();
    let mut p = pty(&env, &["login"]);
    let listed = p.exp_string("Authenticate with new workspace").unwrap();
    assert!(
        listed.contains(&format!(
            "Acme ({acme})  [default]  (token rejected by the API: sign in again)"
        )),
        "{listed}"
    );
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_string("The API rejected the token of Acme: starting a new login.")
        .unwrap();
    p.exp_string("Your verification code").unwrap();
    wait_for("the browser script", || record.exists().then_some(()));
    approve(&sb, &nth_code(&sb, 2), ALICE, &acme);
    p.exp_string(&format!("Logged in to Acme ({acme})"))
        .unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let fresh = auth_json(&env)[&common::auth_key("local", &acme)]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fresh, dead);
    assert_eq!(users_me(&sb, &fresh), 200);
    assert!(
        env.read_json("workspaces.json")["environments"]["local"][&acme]
            .get("tokenRejectedAt")
            .is_none()
    );
    let out = env.run(&["debug", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout).unwrap()["workspaces"][0]["token_rejected_at"],
        Value::Null
    );
}

#[test]
fn a_token_accepted_again_loses_its_rejected_mark() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = two_step_login(&sb, &env, "Acme", 1);
    // A 401 from a passing fault: the token itself is fine.
    sb.fault(json!({"path_prefix": "/v1/users/me", "status": 401, "count": 1}));
    assert_eq!(env.run(&["whoami"]).code, 4);
    let entry = || env.read_json("workspaces.json")["environments"]["local"][&acme].clone();
    assert!(entry()["tokenRejectedAt"].is_string(), "{}", entry());
    let out = env.run(&["debug"]);
    assert!(
        out.stdout.contains("rejected by the API at"),
        "{}",
        out.stdout
    );
    assert_eq!(env.run(&["whoami"]).code, 0);
    assert!(entry().get("tokenRejectedAt").is_none(), "{}", entry());
}

#[test]
fn fresh_signs_in_again_even_with_a_stored_token() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = two_step_login(&sb, &env, "Acme", 1);
    let globex = sb.workspace("Globex");
    // --workspace ID --fresh: a new login (here the two-step one), not a switch.
    let out = env.run(&["login", "--workspace", &acme, "--fresh", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(sb.sessions().len(), 2);
    approve(&sb, &nth_code(&sb, 2), ALICE, &globex);
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged in to Globex"), "{}", out.stderr);
    // Without --fresh, --workspace and --no-browser still conflict.
    let out = env.run(&["login", "--workspace", &acme, "--no-browser"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--fresh"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn the_loser_of_two_concurrent_polls_reports_the_success() {
    use std::io::{BufRead, BufReader};
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    let spawn = || {
        env.std_command()
            .args(["login", "poll"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    wait_for("the first poll", || (count(&sb, REDEEM) >= 1).then_some(()));
    let mut second = spawn();
    // The second one sees the first and waits for it.
    let mut err2 = BufReader::new(second.stderr.take().unwrap());
    let mut waiting = String::new();
    while !waiting.contains("Another `ntn login poll` is already waiting") {
        let mut line = String::new();
        assert!(err2.read_line(&mut line).unwrap() > 0, "{waiting}");
        waiting.push_str(&line);
    }
    approve(&sb, &nth_code(&sb, 1), ALICE, &acme);
    let out1 = first.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err2, &mut rest).unwrap();
    let out2 = second.wait_with_output().unwrap();
    let err1 = String::from_utf8_lossy(&out1.stderr);
    assert_eq!(out1.status.code(), Some(0), "{err1}");
    assert!(
        err1.contains(&format!("Logged in to Acme ({acme})")),
        "{err1}"
    );
    assert_eq!(out2.status.code(), Some(0), "{waiting}{rest}");
    assert!(
        rest.contains(&format!(
            "Logged in to Acme ({acme}) (by the other `ntn login poll`)"
        )),
        "{rest}"
    );
    // One redeem answered "confirmed"; nobody was told the session is gone.
    assert!(!rest.contains("gone"), "{rest}");
    assert!(!pending_file(&env).exists());
}

#[test]
fn plain_output_of_login_and_poll() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let out = env.run(&["login", "--no-browser", "--plain"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fields: Vec<&str> = out.stdout.trim_end_matches('\n').split('\t').collect();
    assert_eq!(fields.len(), 4, "{:?}", out.stdout);
    assert!(fields[0].starts_with(&format!("{}/cli-login/", sb.url)));
    assert_eq!(fields[1], nth_code(&sb, 1));
    assert!(fields[2].ends_with('Z'));
    assert_eq!(fields[3], "ntn login poll --env local");
    let acme = sb.workspace("Acme");
    approve(&sb, fields[1], ALICE, &acme);
    let out = env.run(&["login", "poll", "--plain"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{acme}\tAcme\tlocal\n"));
}

#[cfg(unix)]
#[test]
fn the_browser_opener_never_sees_the_token_variable() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let script = env.dir.path().join("browser-env.sh");
    let dump = env.dir.path().join("browser-env.txt");
    std::fs::write(&script, format!("#!/bin/sh\nenv > '{}'\n", dump.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("BROWSER", script.to_str().unwrap());
    env.set("DISPLAY", ":0");
    env.set("NOTION_API_TOKEN", "ntn_env_secret_value");
    let mut p = pty(&env, &["login"]);
    p.exp_string("Your verification code").unwrap();
    wait_for("the browser script", || {
        std::fs::read_to_string(&dump)
            .ok()
            .filter(|t| t.contains("DISPLAY"))
    });
    approve(&sb, &nth_code(&sb, 1), ALICE, &sb.workspace("Acme"));
    p.exp_string("Logged in to Acme").unwrap();
    // The login is shadowed by the variable: say so.
    p.exp_string("NOTION_API_TOKEN is set and wins over this login")
        .unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let seen = std::fs::read_to_string(&dump).unwrap();
    assert!(!seen.contains("NOTION_API_TOKEN"), "{seen}");
    assert!(!seen.contains("ntn_env_secret_value"), "{seen}");
}
