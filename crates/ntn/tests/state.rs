//! State files: official formats in and out, unknown fields kept, private
//! modes whatever the umask, no lost update under 30 parallel processes, and a
//! clear exit 1 naming the file for every kind of broken file (left untouched).

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
        assert_eq!(auth[&id], json!(format!("tok-{id}")));
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
        r#"{"ws-umask":"tok-ws-umask","x":"y"}"#,
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
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "tok-1\n");
    let out = run(env.ntn().args(["debug", "--json"]));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["config_dir"]["rule"], "~/.notion");
    assert_eq!(v["config_dir"]["path"], dot.to_str().unwrap());
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
            if bytes == r#"{"w1": 5}"# && args == ["logout"] {
                // Logging out of w1 removes its malformed entry: asked for.
                continue;
            }
            let out = run(env.ntn().args(args));
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
        let out = run(env.ntn().args(["debug", "--json"]));
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
        let human = run(env.ntn().arg("debug"));
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
