//! State files: official formats in and out, unknown fields kept, private
//! modes whatever the umask, no lost update under 30 parallel processes, and a
//! clear exit 1 naming the file for every kind of broken file (left untouched).
//! Unix: modes, umasks and links are what most of these tests are about.
#![cfg(unix)]
// File modes and umasks: Unix only.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command as StdCommand;

use common::{TestEnv, mode, read_json_or_empty, run, seed_login, write_json_file};
use serde_json::{Value, json};

const CHILD_VAR: &str = "NTN_TEST_CHILD_WS";

/// In a child process (re-invoked test binary): store one login through the
/// library, file store, in the NOTION_HOME / HOME it was given. Returns true
/// when this process is such a child.
fn child_save_login() -> bool {
    let Ok(ws) = std::env::var(CHILD_VAR) else {
        return false;
    };
    let vars = ntn::vars::Vars::from_process();
    let mut ctx = ntn::auth::Settings::new(ntn::env::EnvName::Local, &ntn::output::Ui::test().0);
    ctx.store.keyring_var = vars.get("NOTION_KEYRING").map(str::to_string);
    let state = ntn::state::State::open(&vars).unwrap();
    let token = ntn::secrets::Token::new(format!("tok-{ws}"));
    ntn::auth::save_login(&ctx, &state, &token, &ws, &format!("Name {ws}")).unwrap();
    true
}

/// Re-invokes this test binary for `test` with a child workspace id.
fn child(test: &str, ws: &str) -> StdCommand {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = StdCommand::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env_clear()
        .env(CHILD_VAR, ws)
        .env("NOTION_KEYRING", "0")
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

#[test]
fn thirty_parallel_logins_are_all_kept() {
    if child_save_login() {
        return;
    }
    let env = TestEnv::new();
    let mut children = Vec::new();
    for i in 0..30 {
        let mut cmd = child("thirty_parallel_logins_are_all_kept", &format!("ws-{i:02}"));
        cmd.env("NOTION_HOME", env.notion_home())
            .env("HOME", env.home())
            .stdout(std::process::Stdio::null());
        children.push(cmd.spawn().unwrap());
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let ws = env.read_json("workspaces.json");
    let local = ws["environments"]["local"].as_object().unwrap();
    assert_eq!(local.len(), 30, "{ws}");
    let auth = env.read_json("auth.json");
    assert_eq!(auth.as_object().unwrap().len(), 30, "{auth}");
    for i in 0..30 {
        let id = format!("ws-{i:02}");
        assert_eq!(local[&id], json!({"id": id, "name": format!("Name {id}")}));
        assert_eq!(auth[&format!("local:{id}")], json!(format!("tok-{id}")));
    }
    // The default is one of them; the files have the official shapes.
    let config = env.read_json("config.json");
    let default = config["defaultWorkspaceIds"]["local"].as_str().unwrap();
    assert!(local.contains_key(default));
    assert_eq!(config.as_object().unwrap().len(), 2, "{config}");
    assert_eq!(config["version"], "1");
    assert_eq!(ws["version"], "1");
    for f in ["config.json", "workspaces.json", "auth.json"] {
        assert_eq!(mode(&env.file(f)), 0o600, "{f}");
    }
    // No temp files left behind.
    for e in std::fs::read_dir(env.notion_home()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".tmp"), "{name}");
    }
}

fn umask_case(test: &str, umask: &str) {
    let env = TestEnv::new();
    // No NOTION_HOME: ntn creates ~/.config/notion itself.
    let exe = std::env::current_exe().unwrap();
    let status = StdCommand::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env_clear()
        .env(CHILD_VAR, "ws-umask")
        .env("NOTION_KEYRING", "0")
        .env("HOME", env.home())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let dir = env.home().join(".config/notion");
    assert_eq!(mode(&dir), 0o700, "umask {umask}");
    for f in ["config.json", "workspaces.json", "auth.json"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f} under umask {umask}");
    }
    // And a rewrite by the real binary keeps it private: logout of a
    // world-readable auth.json written by another tool.
    std::fs::write(
        dir.join("auth.json"),
        r#"{"local:ws-umask":"tok-ws-umask","x":"y"}"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("auth.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let ntn = env!("CARGO_BIN_EXE_ntn");
    let status = StdCommand::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" --env local logout"))
        .arg(ntn)
        .env_clear()
        .env("NOTION_KEYRING", "0")
        .env("HOME", env.home())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&dir.join("auth.json")), 0o600);
    let auth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("auth.json")).unwrap()).unwrap();
    assert_eq!(auth, json!({"x": "y"}));
}

#[test]
fn files_are_private_under_umask_000() {
    if child_save_login() {
        return;
    }
    umask_case("files_are_private_under_umask_000", "000");
}

#[test]
fn files_are_private_under_umask_077() {
    if child_save_login() {
        return;
    }
    umask_case("files_are_private_under_umask_077", "077");
}

#[test]
fn official_files_are_read_and_unknown_fields_survive() {
    let env = TestEnv::new();
    let config = json!({"version": "1", "defaultWorkspaceIds": {"prod": "w1", "dev": "d1"},
                        "telemetry": {"enabled": false}});
    let workspaces = json!({"version": "1", "environments": {
        "prod": {"w1": {"id": "w1", "name": "Acme", "icon": "🚀"},
                 "w2": {"id": "w2", "name": "Globex"}},
        "dev": {"d1": {"id": "d1", "name": "Dev"}}},
        "cachedAt": 12345});
    let auth = json!({"w1": "tok-1", "w2": "tok-2", "d1": "tok-d", "note": "kept"});
    write_json_file(&env, "config.json", &config);
    write_json_file(&env, "workspaces.json", &workspaces);
    write_json_file(&env, "auth.json", &auth);

    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "tok-1\n");

    // Forgetting w1 rewrites all three files; everything else is unchanged.
    let out = run(env.ntn().args(["--workspace", "w1", "logout"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged out of Acme"), "{}", out.stderr);
    let mut want_config = config.clone();
    want_config["defaultWorkspaceIds"]
        .as_object_mut()
        .unwrap()
        .remove("prod");
    assert_eq!(env.read_json("config.json"), want_config);
    let mut want_ws = workspaces.clone();
    want_ws["environments"]["prod"]
        .as_object_mut()
        .unwrap()
        .remove("w1");
    assert_eq!(env.read_json("workspaces.json"), want_ws);
    let mut want_auth = auth.clone();
    want_auth.as_object_mut().unwrap().remove("w1");
    assert_eq!(env.read_json("auth.json"), want_auth);
}

#[test]
fn state_left_by_the_official_tool_in_dot_notion_is_found() {
    let mut env = TestEnv::new();
    env.unset("NOTION_HOME");
    // Whatever XDG_CONFIG_HOME says: $XDG_CONFIG_HOME/notion does not exist.
    let xdg = env.dir.path().join("xdg");
    std::fs::create_dir(&xdg).unwrap();
    env.set("XDG_CONFIG_HOME", xdg.to_str().unwrap());
    let dot = env.home().join(".notion");
    std::fs::create_dir(&dot).unwrap();
    std::fs::write(
        dot.join("config.json"),
        r#"{"version":"1","defaultWorkspaceIds":{"prod":"w1"}}"#,
    )
    .unwrap();
    std::fs::write(
        dot.join("workspaces.json"),
        r#"{"version":"1","environments":{"prod":{"w1":{"id":"w1","name":"Acme"}}}}"#,
    )
    .unwrap();
    std::fs::write(dot.join("auth.json"), r#"{"w1":"tok-1"}"#).unwrap();
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "tok-1\n");
    let out = env.run(&["debug", "--json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["config_dir"]["rule"], "~/.notion");
    assert_eq!(v["config_dir"]["path"], dot.to_str().unwrap());
    assert!(!xdg.join("notion").exists());
}

#[test]
fn without_any_config_directory_the_first_of_the_order_is_created_private() {
    let sb = common::Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.unset("NOTION_HOME");
    let xdg = env.dir.path().join("xdg");
    env.set("XDG_CONFIG_HOME", xdg.to_str().unwrap());
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&xdg.join("notion")), 0o700);
    assert!(xdg.join("notion/pending-login.json").exists());
    assert!(!env.home().join(".config").exists());
    assert!(!env.home().join(".notion").exists());
}

#[test]
fn a_config_directory_others_may_write_to_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    for m in [0o777, 0o770, 0o1777] {
        std::fs::set_permissions(env.notion_home(), std::fs::Permissions::from_mode(m)).unwrap();
        for args in [
            &["auth", "token"][..],
            &["logout"],
            &["login", "--workspace", "w1"],
        ] {
            let out = env.run(args);
            assert_eq!(out.code, 1, "{m:o} {args:?}: {}", out.stderr);
            assert!(
                out.stderr.contains("is writable by other users"),
                "{}",
                out.stderr
            );
            assert!(
                out.stderr.contains("hint: make it private with `chmod 700"),
                "{}",
                out.stderr
            );
            assert!(!out.stdout.contains("tok-1"));
        }
        // debug says why instead of failing.
        let out = env.run(&["debug"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.contains("writable by other users"),
            "{}",
            out.stdout
        );
    }
    std::fs::set_permissions(env.notion_home(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(env.run(&["auth", "token"]).stdout, "tok-1\n");
}

#[test]
fn planted_links_for_lock_and_temp_files_are_never_followed() {
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    seed_login(&env, "prod", "w2", "Globex", Some("tok-2"), false);
    let outside = env.dir.path().join("outside");
    // A link where the state lock goes: refused, nothing created elsewhere.
    std::os::unix::fs::symlink(&outside, env.file(".state.lock")).unwrap();
    let out = env.run(&["login", "--workspace", "w2"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(".state.lock"), "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert!(!outside.exists(), "the planted link was followed");
    std::fs::remove_file(env.file(".state.lock")).unwrap();
    // The same for the lock of auth.json.
    std::os::unix::fs::symlink(&outside, env.file(".auth.lock")).unwrap();
    let out = env.run(&["logout", "--workspace", "w2"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(".auth.lock"), "{}", out.stderr);
    assert!(!outside.exists(), "the planted link was followed");
    std::fs::remove_file(env.file(".auth.lock")).unwrap();

    // Temp names: a link among them is removed (not followed) with the
    // litter of a killed writer, which may hold tokens.
    std::fs::write(&outside, "precious").unwrap();
    std::os::unix::fs::symlink(&outside, env.file(".auth.json.Ab12Cd.tmp")).unwrap();
    std::fs::write(env.file(".auth.json.Zz99Yy.tmp"), r#"{"w9":"tok-litter"}"#).unwrap();
    std::fs::write(env.file(".config.json.Qq11Ww.tmp"), "{}").unwrap();
    let out = env.run(&["logout", "--workspace", "w2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    let left: Vec<String> = std::fs::read_dir(env.notion_home())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    // auth.json was rewritten: its stale temp files are gone; config.json
    // was not (w2 was not the default), so its own stays for now.
    assert_eq!(left, [".config.json.Qq11Ww.tmp"]);
}

#[test]
fn secret_files_found_readable_by_others_are_tightened_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    seed_login(&env, "prod", "w2", "Globex", Some("tok-2"), false);
    std::fs::set_permissions(
        env.file("auth.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = env.run(&["logout", "--workspace", "w2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&env.file("auth.json")), 0o600);
    assert!(
        out.stderr.contains(
            "auth.json was readable by other users (mode 0644); it is now private (0600)"
        ),
        "{}",
        out.stderr
    );
    // Once private, no more warnings.
    let out = env.run(&["logout", "--workspace", "w1"]);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn waiting_for_a_held_lock_says_so_and_gives_up_after_a_bound() {
    use std::sync::Arc;
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    seed_login(&env, "prod", "w2", "Globex", Some("tok-2"), false);
    // Another process holds the state lock (here: this test, on its own
    // open file, which conflicts with ntn's as another process's would).
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.file(".state.lock"))
        .unwrap();
    held.lock().unwrap();
    let clock = Arc::new(ntn::support::ManualClock::new());
    let real = std::time::Instant::now();
    let out = env.run_full(
        &["login", "--workspace", "w2"],
        ntn::output::TestUi::new(),
        clock.clone(),
    );
    // Measured on the command's clock: no real time passed.
    assert!(real.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Waiting for another ntn process to finish with"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("error: gave up after 30 s"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert!(clock.slept() >= std::time::Duration::from_secs(30));
    assert_eq!(
        env.read_json("config.json")["defaultWorkspaceIds"]["prod"],
        "w1"
    );
    // Released: it works at once, and says nothing about waiting.
    held.unlock().unwrap();
    drop(held);
    let out = env.run(&["login", "--workspace", "w2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
}

/// Broken contents for each file: (file, bytes, words the error must contain).
fn broken_cases() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v = Vec::new();
    for f in ["config.json", "workspaces.json", "auth.json"] {
        v.push((f, "", "empty"));
        v.push((f, "   \n", "empty"));
        v.push((f, "{\"version\": \"1\", \"de", "truncated"));
        v.push((f, "{,}", "syntax"));
        v.push((f, "[1, 2]", "not valid"));
    }
    v.push((
        "config.json",
        r#"{"version":"1","defaultWorkspaceIds":[]}"#,
        "not valid",
    ));
    v.push((
        "workspaces.json",
        r#"{"version":"1","environments":{"prod":3}}"#,
        "not valid",
    ));
    v.push(("auth.json", r#"{"w1": 5}"#, "not valid"));
    // A wrong value type for another workspace makes the file corrupt too
    // (it used to read as "missing from auth.json", or pass unnoticed).
    v.push(("auth.json", r#"{"w2": 5}"#, "not valid"));
    v.push((
        "auth.json",
        r#"{"w1": "tok-1", "w2": {"a": 1}}"#,
        "not valid",
    ));
    v
}

fn assert_untouched(path: &Path, bytes: &str) {
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        bytes,
        "{}",
        path.display()
    );
}

#[test]
fn broken_files_are_named_left_untouched_and_exit_1() {
    for (file, bytes, needle) in broken_cases() {
        let env = TestEnv::new();
        seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
        std::fs::write(env.file(file), bytes).unwrap();
        for args in [&["auth", "token"][..], &["logout"][..], &["whoami"][..]] {
            let out = env.run(args);
            assert_eq!(out.code, 1, "{file} {bytes:?} {args:?}: {}", out.stderr);
            assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
            assert!(
                out.stderr.contains(file),
                "{file} {bytes:?}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains(needle),
                "{file} {bytes:?}: {}",
                out.stderr
            );
            assert!(out.stderr.contains("hint:"), "{}", out.stderr);
            assert!(!out.stderr.contains("tok-1"));
            assert!(!out.stderr.contains("panicked"));
            assert_untouched(&env.file(file), bytes);
        }
        // debug reports the broken file instead of failing.
        let out = env.run(&["debug", "--json"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v: Value = serde_json::from_str(&out.stdout).unwrap();
        let f = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == file)
            .unwrap()
            .clone();
        assert_eq!(f["state"], "corrupt", "{file} {bytes:?}: {v}");
        assert!(f["error"].as_str().unwrap().contains(file));
        let human = env.run(&["debug"]);
        assert_eq!(human.code, 0);
        assert!(human.stdout.contains("corrupt"), "{}", human.stdout);
        assert_untouched(&env.file(file), bytes);
    }
}

#[test]
fn a_broken_pending_login_does_not_block_logout() {
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    std::fs::write(env.file("pending-login.json"), "{oops").unwrap();
    let out = run(env.ntn().arg("logout"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning:"), "{}", out.stderr);
    assert!(out.stderr.contains("pending-login.json"), "{}", out.stderr);
    assert_untouched(&env.file("pending-login.json"), "{oops");
    assert_eq!(read_json_or_empty(&env, "auth.json"), json!({}));
}

#[test]
fn notion_home_must_be_an_existing_directory() {
    let mut env = TestEnv::new();
    let missing = env.dir.path().join("missing");
    env.set("NOTION_HOME", missing.to_str().unwrap());
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("NOTION_HOME does not exist"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: create it first"),
        "{}",
        out.stderr
    );
    assert!(!missing.exists(), "ntn must not create NOTION_HOME");

    let file = env.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    env.set("NOTION_HOME", file.to_str().unwrap());
    let out = run(env.ntn().arg("logout"));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not a directory"), "{}", out.stderr);
    assert_untouched(&file, "x");
}

#[test]
fn home_unset_is_a_clear_error() {
    let mut env = TestEnv::new();
    env.unset("HOME");
    env.unset("NOTION_HOME");
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("HOME is not set"), "{}", out.stderr);
    assert!(out.stderr.contains("NOTION_HOME"), "{}", out.stderr);
}

#[test]
fn read_only_config_directory_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    let before: Vec<(String, String)> = ["config.json", "workspaces.json", "auth.json"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(env.file(f)).unwrap()))
        .collect();
    for f in ["config.json", "workspaces.json", "auth.json"] {
        std::fs::set_permissions(env.file(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(env.notion_home(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = env.ntn();
    // Root ignores modes: run as nobody when the tests run as root.
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = assert_cmd::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_ntn"))
            .env_clear()
            .env("NOTION_HOME", env.notion_home())
            .env("NOTION_KEYRING", "0")
            .env("HOME", env.home())
            .current_dir("/");
        c
    } else {
        std::mem::replace(&mut cmd, assert_cmd::Command::new("true"))
    };
    let out = run(cmd.arg("logout"));
    eprintln!("{}", out.stderr);
    std::fs::set_permissions(env.notion_home(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    for (f, bytes) in before {
        assert_untouched(&env.file(&f), &bytes);
    }
}
