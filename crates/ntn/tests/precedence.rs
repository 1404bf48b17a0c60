//! Which token a command uses (NOTION_API_TOKEN, --workspace,
//! NOTION_WORKSPACE_ID, the default), and which secret store is in use
//! (NOTION_KEYRING vs config.json), observed through `ntn auth token --json`
//! and `ntn debug --json`. In-process, except where the keychain must be
//! unusable: the Secret Service is reached through the process's own
//! `DBUS_SESSION_BUS_ADDRESS`, so only a process of its own can be given a
//! dead one.

mod common;

use common::{Out, TestEnv, run, seed_login, write_json_file};
use serde_json::{Value, json};

/// Two logged-in workspaces in `prod`: w1 (default) and w2.
fn two_logins() -> TestEnv {
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    seed_login(&env, "prod", "w2", "Globex", Some("tok-2"), false);
    env
}

fn token_json(out: &Out) -> Value {
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn env_token_wins_over_everything() {
    let env = two_logins();
    let out = env.run_env(
        &[
            ("NOTION_API_TOKEN", "  env-token \n"),
            ("NOTION_WORKSPACE_ID", "w1"),
        ],
        &["--workspace", "w2", "auth", "token", "--json"],
    );
    let v = token_json(&out);
    assert_eq!(v["token"], "env-token");
    assert_eq!(v["source"], "env");
    assert_eq!(v["workspace_id"], Value::Null);
}

#[test]
fn flag_wins_over_workspace_variable_and_default() {
    let env = two_logins();
    let v = token_json(&env.run_env(
        &[("NOTION_WORKSPACE_ID", "w1")],
        &["--workspace", "w2", "auth", "token", "--json"],
    ));
    assert_eq!(v["token"], "tok-2");
    assert_eq!(v["source"], "workspace_flag");
    assert_eq!(v["workspace_id"], "w2");
    assert_eq!(v["workspace_name"], "Globex");
}

#[test]
fn workspace_variable_wins_over_default() {
    let env = two_logins();
    let v = token_json(&env.run_env(
        &[("NOTION_WORKSPACE_ID", "w2")],
        &["auth", "token", "--json"],
    ));
    assert_eq!(v["token"], "tok-2");
    assert_eq!(v["source"], "workspace_env");
}

#[test]
fn default_workspace_is_the_fallback_and_plain_output_is_the_token() {
    let env = two_logins();
    let v = token_json(&env.run(&["auth", "token", "--json"]));
    assert_eq!(v["token"], "tok-1");
    assert_eq!(v["source"], "default");
    assert_eq!(v["workspace_name"], "Acme");
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "tok-1\n");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn empty_or_blank_env_token_counts_as_unset() {
    let env = two_logins();
    for blank in ["", "   ", "\n"] {
        let v =
            token_json(&env.run_env(&[("NOTION_API_TOKEN", blank)], &["auth", "token", "--json"]));
        assert_eq!(v["source"], "default", "{blank:?}");
        assert_eq!(v["token"], "tok-1");
    }
    // A blank NOTION_WORKSPACE_ID is ignored too.
    let v = token_json(&env.run_env(
        &[("NOTION_WORKSPACE_ID", " ")],
        &["auth", "token", "--json"],
    ));
    assert_eq!(v["source"], "default");
}

#[test]
fn defaults_are_per_environment() {
    let env = two_logins();
    seed_login(&env, "local", "w9", "Local WS", Some("tok-9"), true);
    let v = token_json(&env.run(&["--env", "local", "auth", "token", "--json"]));
    assert_eq!(v["token"], "tok-9");
    // w1 is only logged in for prod.
    let out = env.run(&["--env", "local", "--workspace", "w1", "auth", "token"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
}

#[test]
fn not_logged_in_is_exit_4_with_a_hint() {
    let env = TestEnv::new();
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 4);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.starts_with("error: not logged in"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert!(out.stderr.contains("ntn login"), "{}", out.stderr);
    assert!(out.stderr.contains("NOTION_API_TOKEN"), "{}", out.stderr);
}

#[test]
fn unknown_workspace_is_exit_4_pointing_at_debug() {
    let env = two_logins();
    let out = env.run_env(&[("NOTION_WORKSPACE_ID", "nope")], &["auth", "token"]);
    assert_eq!(out.code, 4);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    assert!(out.stderr.contains("NOTION_WORKSPACE_ID"), "{}", out.stderr);
    assert!(out.stderr.contains("ntn debug"), "{}", out.stderr);

    let out = env.run(&["--workspace", "nope", "auth", "token"]);
    assert_eq!(out.code, 4);
    assert!(out.stderr.contains("--workspace"), "{}", out.stderr);
}

#[test]
fn known_workspace_without_token_is_exit_4_pointing_at_login() {
    let env = two_logins();
    seed_login(&env, "prod", "w3", "Initech", None, false);
    let out = env.run(&["--workspace", "w3", "auth", "token"]);
    assert_eq!(out.code, 4);
    assert!(out.stderr.contains("Initech"), "{}", out.stderr);
    assert!(out.stderr.contains("missing"), "{}", out.stderr);
    assert!(out.stderr.contains("ntn login"), "{}", out.stderr);
}

/// The `keyring` section of `ntn debug --json`, with `vars` for this run.
fn keyring_of(env: &TestEnv, vars: &[(&str, &str)]) -> Value {
    let out = env.run_env(vars, &["debug", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    v["keyring"].clone()
}

#[test]
fn store_choice_variable_wins_over_config() {
    let mut env = TestEnv::new();
    // NOTION_KEYRING=0 (and its synonyms) => file store.
    for v in ["0", "false", "no", "off", "OFF"] {
        let k = keyring_of(&env, &[("NOTION_KEYRING", v)]);
        assert_eq!(k["backend"], "file", "{v}");
        assert_eq!(k["reason"], format!("NOTION_KEYRING={v}"));
        assert_eq!(k["store"], "auth.json");
    }
    // Unset: the default is the keychain.
    env.unset("NOTION_KEYRING");
    let k = keyring_of(&env, &[]);
    assert_eq!(k["backend"], "keychain");
    assert_eq!(k["reason"], "default");
    // "keyring": false in config.json => file store.
    write_json_file(
        &env,
        "config.json",
        &json!({"version": "1", "defaultWorkspaceIds": {}, "keyring": false}),
    );
    let k = keyring_of(&env, &[]);
    assert_eq!(k["backend"], "file");
    assert_eq!(k["reason"], "config.json \"keyring\": false");
    // ... but NOTION_KEYRING=1 forces the keychain.
    let k = keyring_of(&env, &[("NOTION_KEYRING", "1")]);
    assert_eq!(k["backend"], "keychain");
    assert_eq!(k["reason"], "NOTION_KEYRING=1");
    // A value ntn does not understand is an error, not a guess.
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), true);
    let out = env.run_env(&[("NOTION_KEYRING", "maybe")], &["auth", "token"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("NOTION_KEYRING"), "{}", out.stderr);
}

#[test]
fn config_keyring_false_uses_auth_json_for_tokens() {
    let mut env = two_logins();
    env.unset("NOTION_KEYRING");
    let mut c = common::read_json_or_empty(&env, "config.json");
    c["keyring"] = json!(false);
    write_json_file(&env, "config.json", &c);
    let v = token_json(&env.run(&["auth", "token", "--json"]));
    assert_eq!(v["token"], "tok-1");
    assert_eq!(v["store"], "auth.json");
}

#[test]
fn env_token_never_opens_the_keychain() {
    // The keychain is the store, and it is unusable (a process of its own,
    // with a dead session bus): NOTION_API_TOKEN still works.
    let mut env = TestEnv::new();
    env.unset("NOTION_KEYRING");
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    env.set("NOTION_API_TOKEN", "env-token");
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "env-token\n");
}

// A dead session bus makes the Secret Service unusable: Linux only (the
// Credential Manager cannot be made unusable from outside).
#[cfg(target_os = "linux")]
#[test]
fn unusable_keychain_never_falls_back_to_auth_json() {
    // A process of its own, with a dead session bus.
    let mut env = two_logins(); // tokens are in auth.json
    env.unset("NOTION_KEYRING");
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "a token leaked: {}", out.stdout);
    assert!(
        out.stderr
            .contains("hint: set NOTION_KEYRING=0 to keep tokens in auth.json"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("tok-1"));
}

#[test]
fn a_workspace_flag_shadowed_by_the_env_token_is_warned_about() {
    let mut env = TestEnv::new();
    env.set("NOTION_API_TOKEN", "ntn_env_token");
    let out = env.run(&["auth", "token", "--workspace", "ws-1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "ntn_env_token\n");
    assert!(
        out.stderr
            .starts_with("warning: NOTION_API_TOKEN is set, so --workspace ws-1 is not used"),
        "{}",
        out.stderr
    );
    // NOTION_WORKSPACE_ID next to NOTION_API_TOKEN is the usual CI pairing: no noise.
    env.set("NOTION_WORKSPACE_ID", "ws-1");
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn without_a_default_the_only_login_is_used_and_several_are_named() {
    // One login, no default (a config.json of `{}`): it is used.
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("tok-1"), false);
    write_json_file(&env, "config.json", &json!({}));
    let v = token_json(&env.run(&["auth", "token", "--json"]));
    assert_eq!(v["token"], "tok-1");
    assert_eq!(v["source"], "only");

    // Several and no default: say which exist and how to choose.
    seed_login(&env, "prod", "w2", "Globex", Some("tok-2"), false);
    for args in [&["auth", "token"][..], &["whoami"], &["doctor"]] {
        let out = env.run(args);
        assert_eq!(out.code, 4, "{args:?}: {}", out.stderr);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains("no default workspace is set for environment prod, and 2 are logged in: Acme (w1), Globex (w2)"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("choose one with `ntn login --workspace ID`"),
            "{args:?}: {text}"
        );
    }
    // Choosing one makes it the default.
    assert_eq!(env.run(&["login", "--workspace", "w2"]).code, 0);
    assert_eq!(env.run(&["auth", "token"]).stdout, "tok-2\n");

    // After `ntn logout --workspace <the default>`, the one left is used.
    let out = env.run(&["logout", "--workspace", "w2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = token_json(&env.run(&["auth", "token", "--json"]));
    assert_eq!(v["token"], "tok-1");
    assert_eq!(v["source"], "only");
}

#[test]
fn ids_that_cannot_be_workspace_ids_are_usage_errors() {
    let mut env = two_logins();
    for id in ["../w1", "w1/x", "w\u{1b}[2J"] {
        let out = env.run(&["--workspace", id, "auth", "token"]);
        assert_eq!(out.code, 2, "{id:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("is not a workspace id"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
        env.set("NOTION_WORKSPACE_ID", id);
        let out = env.run(&["auth", "token"]);
        assert_eq!(out.code, 2, "{id:?}: {}", out.stderr);
        assert!(out.stderr.contains("NOTION_WORKSPACE_ID"), "{}", out.stderr);
        env.unset("NOTION_WORKSPACE_ID");
    }
}
