//! Tokens the official ntn 0.4.0 left in the Linux kernel keyring: found when
//! the Secret Service has none, moved into it, and forgotten by `ntn logout`.
//!
//! Tokens are seeded with keyring-rs v3 itself (what 0.4.0 used: session
//! keyring + persistent keyring, description `keyring-rs:<id>@notion-cli`)
//! and checked with `secret-tool`. These tests print a note and pass when
//! there is no session bus (see tests/keychain.rs; `NTN_REQUIRE_KEYCHAIN=1`
//! makes that a failure) or when the kernel keyring refuses access (containers
//! with a seccomp profile): a missing kernel feature never fails CI.
#![cfg(target_os = "linux")]

mod common;

use std::process::Command as StdCommand;

use common::{
    TestEnv, keychain_available, keychain_store, prod_key, run, secret_tool_lookup, seed_login,
    unique_id,
};
use ntn::secrets::Token;
use serde_json::Value;

/// What ntn 0.4.0 did on login: keyring-rs v3, service `notion-cli`,
/// user = workspace id.
fn entry(id: &str) -> keyring::Entry {
    keyring::Entry::new("notion-cli", id).expect("keyring v3 entry")
}

/// Gives the calling test thread a session keyring of its own when it has
/// none (as `keyctl session -` or a login's `pam_keyinit` would): a process
/// without one falls back to the user-session keyring, which containers often
/// refuse to link from. The ntn processes the test spawns inherit it.
fn join_session_keyring() {
    let _ =
        linux_keyutils::KeyRing::from_special_id(linux_keyutils::KeyRingIdentifier::Session, true);
}

/// Stores a token as 0.4.0 did; false (with a note) when the kernel keyring
/// refuses access here.
fn seed_legacy(test: &str, id: &str, token: &str) -> bool {
    join_session_keyring();
    match entry(id).set_password(token) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("note: skipping {test}: the kernel keyring is not usable here: {e}");
            false
        }
    }
}

/// The token 0.4.0 would read now (None once it is gone).
fn legacy_token(id: &str) -> Option<String> {
    match entry(id).get_password() {
        Ok(t) => Some(t),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("kernel keyring read failed: {e}"),
    }
}

/// Removes what a test stored, even when it fails (the persistent keyring
/// and the Secret Service are shared).
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for id in &self.0 {
            let _ = entry(id).delete_credential();
            let _ = keychain_store().delete(&prod_key(id));
        }
    }
}

fn keychain_env(id: &str) -> TestEnv {
    let mut env = TestEnv::new();
    assert!(env.keychain());
    seed_login(&env, "prod", id, "Acme", None, true);
    env
}

#[test]
fn a_token_of_ntn_0_4_0_is_used_and_moved_to_the_secret_service() {
    let test = "a_token_of_ntn_0_4_0_is_used_and_moved_to_the_secret_service";
    if !keychain_available(test) {
        return;
    }
    let id = unique_id("legacy-move");
    let _cleanup_id = Cleanup(vec![id.clone()]);
    let token = format!("ntn_legacy_{}", std::process::id());
    if !seed_legacy(test, &id, &token) {
        return;
    }
    assert_eq!(legacy_token(&id).as_deref(), Some(token.as_str()));
    assert_eq!(secret_tool_lookup(&id), None);
    let env = keychain_env(&id);

    let out = run(env.ntn().args(["-v", "auth", "token", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["token"], token.as_str());
    assert_eq!(v["workspace_id"], id.as_str());
    assert!(
        out.stderr.contains("moved the token of workspace"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(&token), "token on stderr");

    // Moved: in the Secret Service, gone from the kernel keyring.
    assert_eq!(secret_tool_lookup(&id).as_deref(), Some(token.as_str()));
    assert_eq!(legacy_token(&id), None);

    // Later runs read the Secret Service, quietly.
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), token);
    assert_eq!(out.stderr, "");
}

#[test]
fn logout_also_forgets_a_token_of_ntn_0_4_0() {
    let test = "logout_also_forgets_a_token_of_ntn_0_4_0";
    if !keychain_available(test) {
        return;
    }
    let id = unique_id("legacy-logout");
    let _cleanup_id = Cleanup(vec![id.clone()]);
    if !seed_legacy(test, &id, "tok-legacy-logout") {
        return;
    }
    let env = keychain_env(&id);
    let out = run(env.ntn().arg("logout"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged out of Acme"), "{}", out.stderr);
    assert_eq!(legacy_token(&id), None, "the kernel key survived logout");
    assert_eq!(secret_tool_lookup(&id), None);
    // Nothing brings it back.
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn the_secret_service_wins_over_the_kernel_keyring() {
    let test = "the_secret_service_wins_over_the_kernel_keyring";
    if !keychain_available(test) {
        return;
    }
    let id = unique_id("legacy-both");
    let _cleanup_id = Cleanup(vec![id.clone()]);
    if !seed_legacy(test, &id, "tok-old") {
        return;
    }
    common::secret_tool_store(&id, "tok-new");
    let env = keychain_env(&id);
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "tok-new");
    // Not looked at, so not touched.
    assert_eq!(legacy_token(&id).as_deref(), Some("tok-old"));
}

#[test]
fn a_new_login_supersedes_a_token_of_ntn_0_4_0() {
    let test = "a_new_login_supersedes_a_token_of_ntn_0_4_0";
    if !keychain_available(test) {
        return;
    }
    let id = unique_id("legacy-relogin");
    let _cleanup_id = Cleanup(vec![id.clone()]);
    if !seed_legacy(test, &id, "tok-before") {
        return;
    }
    // What `ntn login` does with the new token.
    keychain_store()
        .set(&prod_key(&id), &Token::new("tok-after"))
        .unwrap();
    assert_eq!(secret_tool_lookup(&id).as_deref(), Some("tok-after"));
    assert_eq!(legacy_token(&id), None);
}

#[test]
fn the_file_store_ignores_the_kernel_keyring() {
    let test = "the_file_store_ignores_the_kernel_keyring";
    let id = unique_id("legacy-file");
    let _cleanup_id = Cleanup(vec![id.clone()]);
    if !seed_legacy(test, &id, "tok-file-store") {
        return;
    }
    // NOTION_KEYRING=0: auth.json only.
    let env = TestEnv::new();
    seed_login(&env, "prod", &id, "Acme", None, true);
    let out = run(env.ntn().args(["auth", "token"]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("auth.json"), "{}", out.stderr);
    assert!(!out.stdout.contains("tok-file-store"));
    let out = run(env.ntn().arg("logout"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(legacy_token(&id).as_deref(), Some("tok-file-store"));
}

/// A new login session (a fresh session keyring, as `pam_keyinit` gives each
/// login) still finds the token through the persistent keyring. Needs
/// `keyctl` (Debian's keyutils; scripts/test installs it).
#[test]
fn a_new_login_session_finds_it_through_the_persistent_keyring() {
    let test = "a_new_login_session_finds_it_through_the_persistent_keyring";
    if !keychain_available(test) {
        return;
    }
    let fresh = StdCommand::new("keyctl")
        .args(["session", "-", "true"])
        .output();
    match fresh {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "note: skipping {test}: `keyctl session -` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("note: skipping {test}: no keyctl ({e}); install keyutils");
            return;
        }
    }
    let id = unique_id("legacy-session");
    let _cleanup_id = Cleanup(vec![id.clone()]);
    if !seed_legacy(test, &id, "tok-other-session") {
        return;
    }
    let env = keychain_env(&id);
    // `keyctl session - ntn ...`: ntn in a session keyring of its own.
    let in_new_session = |args: &[&str]| {
        let mut cmd = StdCommand::new("keyctl");
        cmd.args(["session", "-", env!("CARGO_BIN_EXE_ntn")])
            .args(args)
            .env_clear()
            .current_dir(env.dir.path());
        for k in ["HOME", "NOTION_HOME", "PATH", "DBUS_SESSION_BUS_ADDRESS"] {
            if let Some(v) = env.var(k) {
                cmd.env(k, v);
            }
        }
        cmd.output().expect("run keyctl session")
    };
    let out = in_new_session(&["auth", "token", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["token"], "tok-other-session");
    assert_eq!(
        secret_tool_lookup(&id).as_deref(),
        Some("tok-other-session")
    );
    assert_eq!(legacy_token(&id), None);

    // And logout from another new session removes a 0.4.0 key too.
    let id2 = unique_id("legacy-session-logout");
    let _cleanup_id2 = Cleanup(vec![id2.clone()]);
    assert!(seed_legacy(test, &id2, "tok-other-session-2"));
    seed_login(&env, "prod", &id2, "Globex", None, false);
    let out = in_new_session(&["logout"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(legacy_token(&id2), None);
}
