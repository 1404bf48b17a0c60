//! A login is never started that could not be stored, and a login the
//! server confirmed is never lost:
//!
//! * no usable keychain (no D-Bus session, `NOTION_KEYRING=garbage`), a
//!   config directory that cannot be written, or a corrupt state file: exit 1
//!   before any session is created (the sandbox's session list stays empty)
//!   or redeemed;
//! * an approval followed by a read-only config directory: `ntn login poll`
//!   fails without redeeming, then succeeds once the directory is writable;
//! * a keychain that locks while `ntn login poll` waits: the confirmed token
//!   is kept (0600) in the pending login, and `NOTION_KEYRING=0 ntn login
//!   poll` stores it in auth.json without asking the server again;
//! * the login requests go over plain HTTP only to loopback.
#![cfg(unix)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{ALICE, Sandbox, TestEnv, keychain_available, mode, run};
use serde_json::Value;

const INIT: &str = "/api/v3/workersCliLoginInit";
const REDEEM: &str = "/api/v3/workersCliLoginRedeem";

fn count(sb: &Sandbox, path: &str) -> usize {
    sb.requests().iter().filter(|r| r["path"] == path).count()
}

/// Polls `f` until it returns Some, or panics after 20 s.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn code_of(sb: &Sandbox, n: usize) -> String {
    wait_for("a login session", || {
        let s = sb.sessions();
        (s.len() >= n).then(|| s[n - 1]["verification_code"].as_str().unwrap().to_string())
    })
}

fn nothing_stored(env: &TestEnv) {
    for f in [
        "auth.json",
        "workspaces.json",
        "config.json",
        "pending-login.json",
    ] {
        assert!(!env.file(f).exists(), "{f} was written");
    }
}

#[test]
fn without_a_session_bus_login_fails_before_a_session_exists() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    // The keychain (the default store) without any D-Bus session: the
    // process environment is cleared, so there is no bus to find.
    env.unset("NOTION_KEYRING");
    for args in [&["login", "--no-browser"][..], &["login"]] {
        let out = run(env.ntn().args(args));
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: the OS keychain"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("hint: set NOTION_KEYRING=0 to keep tokens in auth.json"),
            "{}",
            out.stderr
        );
    }
    assert!(sb.sessions().is_empty(), "{:?}", sb.sessions());
    assert_eq!(count(&sb, INIT), 0);
    nothing_stored(&env);
}

#[test]
fn an_unusable_store_or_state_stops_the_login_before_it_starts() {
    let sb = Sandbox::start();
    // NOTION_KEYRING with a value that means nothing.
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_KEYRING", "garbage");
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("NOTION_KEYRING=0"), "{}", out.stderr);
    nothing_stored(&env);
    // A corrupt state file ntn would have to rewrite.
    for (file, bytes) in [
        ("workspaces.json", "{"),
        ("auth.json", r#"{"w": 1}"#),
        ("config.json", "[]"),
    ] {
        let env = TestEnv::new().with_sandbox(&sb);
        std::fs::write(env.file(file), bytes).unwrap();
        let out = env.run(&["login", "--no-browser"]);
        assert_eq!(out.code, 1, "{file}: {}", out.stderr);
        assert!(out.stderr.contains(file), "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(env.file(file)).unwrap(), bytes);
        assert!(!env.file("pending-login.json").exists());
    }
    assert!(sb.sessions().is_empty(), "{:?}", sb.sessions());
}

/// Runs ntn with `env`; as root, as the user `nobody` (root ignores
/// directory modes), with the test directory handed to nobody first.
fn run_unprivileged(env: &TestEnv, args: &[&str]) -> common::Out {
    if !is_root() {
        return run(env.ntn().args(args));
    }
    let mut cmd = assert_cmd::Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_ntn"))
        .args(args)
        .env_clear()
        .current_dir("/");
    for k in [
        "HOME",
        "NOTION_HOME",
        "NOTION_KEYRING",
        "NOTION_ENV",
        "NOTION_BASE_URL",
        "NOTION_API_BASE_URL",
    ] {
        if let Some(v) = env.var(k) {
            cmd.env(k, v);
        }
    }
    run(&mut cmd)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn chown_nobody(path: &std::path::Path) {
    if is_root() {
        let st = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(path)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

fn set_mode(path: &std::path::Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
}

#[test]
fn an_approval_then_a_read_only_config_dir_then_poll_once_it_is_writable() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    let (s, v) = sb.approve(&code_of(&sb, 1), ALICE, &acme);
    assert_eq!(s, 200, "{v}");

    set_mode(env.dir.path(), 0o755);
    set_mode(&env.home(), 0o755);
    chown_nobody(&env.notion_home());
    set_mode(&env.notion_home(), 0o500);
    let out = run_unprivileged(&env, &["login", "poll"]);
    set_mode(&env.notion_home(), 0o700);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("is not writable"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    // The session was not redeemed: the approval is still there to collect.
    assert_eq!(count(&sb, REDEEM), 0);
    assert!(env.file("pending-login.json").exists());

    let out = run_unprivileged(&env, &["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged in to Acme"), "{}", out.stderr);
    let auth: Value =
        serde_json::from_slice(&std::fs::read(env.file("auth.json")).unwrap()).unwrap();
    assert!(
        auth[&common::auth_key("local", &acme)].is_string(),
        "{auth}"
    );
    assert!(!env.file("pending-login.json").exists());
}

/// In a private D-Bus session with its own keyring: `ntn login poll` (the
/// keychain) starts while the keyring is unlocked; the test locks it while
/// ntn waits, then approves. The token cannot be stored: it must be kept.
/// Then `NOTION_KEYRING=0 ntn login poll` stores it in auth.json.
const LOCK_WHILE_POLLING: &str = r#"
set -e
printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
i=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
  i=$((i + 1)); [ "$i" -lt 500 ] || { echo "no Secret Service" >&2; exit 90; }
  sleep 0.01
done
# The login collection exists once something was stored in it.
printf 'canary' | secret-tool store --label=test service ntn-test username canary
set +e
"$NTN" login poll >"$DIR/out1" 2>"$DIR/err1" &
pid=$!
# The test says when ntn is polling (the check before it passed).
i=0
until [ -e "$DIR/go-lock" ]; do
  i=$((i + 1)); [ "$i" -lt 2000 ] || { echo "never told to lock" >&2; kill $pid; exit 92; }
  sleep 0.01
done
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
touch "$DIR/locked"
wait $pid
echo $? >"$DIR/code1"
NOTION_KEYRING=0 "$NTN" login poll >"$DIR/out2" 2>"$DIR/err2"
echo $? >"$DIR/code2"
"#;

#[test]
fn a_keychain_that_locks_while_waiting_keeps_the_approved_login_for_poll() {
    if !keychain_available("a_keychain_that_locks_while_waiting_keeps_the_approved_login_for_poll")
    {
        return;
    }
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    // Started with the file store; finished with the keychain.
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    let code = code_of(&sb, 1);
    let dir = env.dir.path().to_path_buf();
    let mut session = Command::new("dbus-run-session");
    session
        .args(["--", "sh", "-c", LOCK_WHILE_POLLING])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.home())
        .env("NOTION_HOME", env.notion_home())
        .env("NOTION_ENV", "local")
        .env("NOTION_BASE_URL", &sb.url)
        .env("NOTION_API_BASE_URL", &sb.url)
        .env("NTN", env!("CARGO_BIN_EXE_ntn"))
        .env("DIR", &dir)
        .env("NTN_KEYCHAIN_TIMEOUT_MS", "5000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = session.spawn().unwrap();
    // ntn is polling: its checks passed with the keyring unlocked.
    wait_for("ntn polling", || (count(&sb, REDEEM) >= 1).then_some(()));
    std::fs::write(dir.join("go-lock"), "").unwrap();
    wait_for("the keyring locked", || {
        dir.join("locked").exists().then_some(())
    });
    let (s, v) = sb.approve(&code, ALICE, &acme);
    assert_eq!(s, 200, "{v}");
    let done = child.wait_with_output().unwrap();
    let diag = format!(
        "{}{}",
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(done.status.success(), "the session failed: {diag}");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();

    // The first poll redeemed the session but could not store the token.
    let err1 = read("err1");
    assert_eq!(read("code1").trim(), "1", "{err1}\n{diag}");
    assert!(
        err1.contains("the login to Acme") && err1.contains("was approved"),
        "{err1}"
    );
    assert!(
        err1.contains("NOTION_KEYRING=0 ntn login poll --env local"),
        "{err1}"
    );
    assert!(!err1.contains("ntn_"), "no token in messages: {err1}");
    // ...and kept it, privately.
    let redeems_after_first = count(&sb, REDEEM);

    // The second poll (file store) stored it without asking the server.
    let err2 = read("err2");
    assert_eq!(read("code2").trim(), "0", "{err2}");
    assert!(err2.contains("Logged in to Acme"), "{err2}");
    assert_eq!(count(&sb, REDEEM), redeems_after_first, "no new redeem");
    let auth = env.read_json("auth.json");
    let token = auth[&common::auth_key("local", &acme)]
        .as_str()
        .expect("the token is in auth.json");
    assert!(token.starts_with("ntn_"), "{auth}");
    assert_eq!(mode(&env.file("auth.json")), 0o600);
    assert!(!env.file("pending-login.json").exists());
    assert_eq!(
        env.read_json("config.json")["defaultWorkspaceIds"]["local"],
        acme.as_str()
    );
}

#[test]
fn a_kept_approval_is_stored_by_the_next_poll_or_login() {
    // The state a failed store leaves: the pending login holds the approval.
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let pending = serde_json::json!({
        "version": "1", "sessionId": "s-gone", "verificationCode": "ABCD",
        "env": "local", "baseUrl": sb.url, "expiresAtMs": now - 60_000,
        "approved": {"token": token, "workspaceId": acme, "workspaceName": "Acme"}
    });
    common::write_json_file(&env, "pending-login.json", &pending);
    // doctor says so (and never prints the token).
    let out = env.run(&["doctor", "--json"]);
    assert!(
        out.stdout.contains("approved but is not stored"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(&token));
    // `ntn login` stores it before anything else (no new session).
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged in to Acme"), "{}", out.stderr);
    assert!(sb.sessions().is_empty());
    assert_eq!(
        env.read_json("auth.json")[&common::auth_key("local", &acme)],
        token.as_str()
    );
    assert!(!env.file("pending-login.json").exists());
    assert!(sb.requests().is_empty(), "{:?}", sb.requests());
}

#[test]
fn login_requests_go_over_plain_http_only_to_loopback() {
    let mut env = TestEnv::new();
    env.set("NOTION_BASE_URL", "http://evil.example:18097");
    for args in [&["login", "--no-browser"][..], &["--env", "local", "login"]] {
        let out = env.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .starts_with("error: refusing to log in over plain HTTP to evil.example:18097"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("hint: use an https:// URL"),
            "{}",
            out.stderr
        );
    }
    assert!(!env.file("pending-login.json").exists());
    // A pending login that names such a base URL is not polled either.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    common::write_json_file(
        &env,
        "pending-login.json",
        &serde_json::json!({"version": "1", "sessionId": "s", "verificationCode": "ABCD",
                "env": "prod", "baseUrl": "http://user:hunter2@evil.example:18097",
                "expiresAtMs": now + 60_000}),
    );
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("plain HTTP"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    assert!(env.file("pending-login.json").exists());
}
