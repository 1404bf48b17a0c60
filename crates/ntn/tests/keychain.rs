//! The OS keychain against a real Secret Service (scripts/test runs the suite
//! inside `dbus-run-session` with an unlocked gnome-keyring-daemon). Without a
//! session bus these tests print a note and pass, unless
//! `NTN_REQUIRE_KEYCHAIN=1`, which makes a missing bus a failure. Entries are
//! checked with the real `secret-tool`.

mod common;

use common::{
    TestEnv, keychain_available, keychain_store, prod_key, run, secret_tool_lookup,
    secret_tool_lookup_in, secret_tool_store, secret_tool_store_in, seed_login, unique_id,
};
use ntn::secrets::{Token, TokenKey};
use serde_json::Value;

#[test]
fn store_read_delete_are_visible_to_secret_tool() {
    if !keychain_available("store_read_delete_are_visible_to_secret_tool") {
        return;
    }
    let id = unique_id("crud");
    let store = keychain_store();
    let key = prod_key(&id);
    assert!(store.get(&key).unwrap().is_none());
    store.set(&key, &Token::new("secret-one")).unwrap();
    assert_eq!(secret_tool_lookup(&id).as_deref(), Some("secret-one"));
    assert_eq!(store.get(&key).unwrap().unwrap().expose(), "secret-one");
    // Replacing keeps one entry.
    store.set(&key, &Token::new("secret-two")).unwrap();
    assert_eq!(secret_tool_lookup(&id).as_deref(), Some("secret-two"));
    store.check().unwrap();
    assert!(store.delete(&key).unwrap());
    assert_eq!(secret_tool_lookup(&id), None);
    assert!(store.get(&key).unwrap().is_none());
    // Deleting what is not there is fine.
    assert!(!store.delete(&key).unwrap());
}

#[test]
fn tokens_stored_by_other_tools_are_read() {
    if !keychain_available("tokens_stored_by_other_tools_are_read") {
        return;
    }
    let id = unique_id("interop");
    secret_tool_store(&id, "from-secret-tool");
    let mut env = TestEnv::new();
    assert!(env.keychain());
    seed_login(&env, "prod", &id, "Acme", None, true);
    let out = run(env.ntn().args(["auth", "token", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["token"], "from-secret-tool");
    assert_eq!(v["store"], "keychain (Secret Service)");
    // debug looks each entry up.
    let out = run(env.ntn().args(["debug", "--json"]));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["keyring"]["backend"], "keychain");
    assert_eq!(v["workspaces"][0]["token_stored"], true);
    assert!(!out.stdout.contains("from-secret-tool"));
    // doctor reaches it.
    let out = run(env.ntn().args(["doctor", "--json"]));
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let store = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "secret store")
        .unwrap()
        .clone();
    assert_eq!(store["status"], "ok", "{store}");
    let _ = keychain_store().delete(&prod_key(&id));
}

#[test]
fn logout_removes_keychain_entries() {
    if !keychain_available("logout_removes_keychain_entries") {
        return;
    }
    let a = unique_id("logout-a");
    let b = unique_id("logout-b");
    let other = unique_id("logout-other");
    secret_tool_store(&a, "tok-a");
    secret_tool_store(&b, "tok-b");
    secret_tool_store_in("dev", &other, "tok-other");
    let mut env = TestEnv::new();
    assert!(env.keychain());
    seed_login(&env, "prod", &a, "Acme", None, true);
    seed_login(&env, "prod", &b, "Globex", None, false);
    seed_login(&env, "dev", &other, "Dev", None, true);
    let out = run(env.ntn().arg("logout"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("Logged out of Acme, Globex"),
        "{}",
        out.stderr
    );
    assert_eq!(secret_tool_lookup(&a), None);
    assert_eq!(secret_tool_lookup(&b), None);
    // Another environment's login is untouched.
    assert_eq!(
        secret_tool_lookup_in("dev", &other).as_deref(),
        Some("tok-other")
    );
    assert!(env.file("workspaces.json").exists());
    let ws = env.read_json("workspaces.json");
    assert_eq!(ws["environments"]["prod"], serde_json::json!({}));
    let out = run(env.ntn().args(["logout", "--all-environments"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(secret_tool_lookup_in("dev", &other), None);
}

#[test]
fn a_login_saved_through_the_library_lands_in_the_keychain() {
    if !keychain_available("a_login_saved_through_the_library_lands_in_the_keychain") {
        return;
    }
    let id = unique_id("save");
    let env = TestEnv::new();
    let state = ntn::state::State::with_dir(ntn::state::ConfigDir {
        path: env.notion_home(),
        rule: ntn::state::DirRule::NotionHome,
    });
    let ctx = ntn::auth::Settings::new(ntn::env::EnvName::Local, &ntn::output::Ui::test().0);
    // This process has no NOTION_KEYRING: the keychain is the default store.
    assert!(std::env::var_os("NOTION_KEYRING").is_none());
    ntn::auth::save_login(&ctx, &state, &Token::new("tok-saved"), &id, "Saved").unwrap();
    // A local login: the service names its environment; no production entry.
    assert_eq!(
        secret_tool_lookup_in("local", &id).as_deref(),
        Some("tok-saved")
    );
    assert_eq!(secret_tool_lookup(&id), None);
    assert!(!env.file("auth.json").exists(), "no plaintext copy");
    assert!(ntn::auth::token_stored(&ctx, &state, &id).unwrap());
    assert_eq!(
        ntn::auth::switch_default(&ctx, &state, &id).unwrap().name,
        "Saved"
    );
    let ws = env.read_json("workspaces.json");
    assert_eq!(ws["environments"]["local"][&id]["name"], "Saved");
    assert!(
        keychain_store()
            .delete(&TokenKey::new(ntn::env::EnvName::Local, &id))
            .unwrap()
    );
    let e = ntn::auth::switch_default(&ctx, &state, &id).unwrap_err();
    assert_eq!(e.exit_code().code(), 4);
    assert!(e.hint_text().unwrap().contains("ntn login"));
}

/// gnome-keyring-daemon aborts when a new connection's first call is handled before the
/// daemon registered the connection (gnome-keyring issues 183, 190, 194): ntn's first
/// calls on a connection must never be the ones that race. Thousands of fresh
/// connections, four at a time, each reading a token as a command does.
#[test]
fn thousands_of_fresh_connections_never_bring_the_keyring_daemon_down() {
    if !keychain_available("thousands_of_fresh_connections_never_bring_the_keyring_daemon_down") {
        return;
    }
    let id = unique_id("burst");
    let key = prod_key(&id);
    keychain_store()
        .set(&key, &Token::new("burst-token"))
        .unwrap();
    std::thread::scope(|s| {
        for lane in 0..4 {
            let key = &key;
            s.spawn(move || {
                for n in 0..750 {
                    // A store of its own: a connection of its own, as each command has.
                    let got = keychain_store().get(key);
                    match got {
                        Ok(Some(t)) => assert_eq!(t.expose(), "burst-token"),
                        other => panic!("lane {lane}, read {n}: {other:?}"),
                    }
                }
            });
        }
    });
    let _ = keychain_store().delete(&key);
}
