//! Secret Service items stay interchangeable with those ntn wrote before it
//! opened `plain` sessions itself (through keyring-rs's
//! `zbus-secret-service-keyring-store`): label `keyring:<id>@notion-cli`,
//! attributes `service=notion-cli` and `username=<id>`, nothing else. Runs
//! against the real Secret Service (scripts/test: `dbus-run-session` with an
//! unlocked gnome-keyring-daemon); without a session bus the tests print a
//! note and pass, unless `NTN_REQUIRE_KEYCHAIN=1`.

mod common;

use std::io::Write;
use std::process::{Command as StdCommand, Stdio};

use common::{
    TestEnv, keychain_available, keychain_store, prod_key, run, secret_tool_lookup, seed_login,
    unique_id,
};
use ntn::secrets::Token;
use serde_json::Value;

/// `secret-tool store --label=<label> <attributes...>` with `secret` on stdin.
fn secret_tool_store_as(label: &str, attributes: &[&str], secret: &str) {
    let mut child = StdCommand::new("secret-tool")
        .arg("store")
        .arg(format!("--label={label}"))
        .args(attributes)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run secret-tool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store failed");
}

/// One item as `secret-tool search --all` prints it.
#[derive(Debug, Default, PartialEq)]
struct Listed {
    label: String,
    secret: String,
    /// `name=value`, sorted.
    attributes: Vec<String>,
}

/// Every item with `service=notion-cli` and `username=<id>` (with its
/// attributes when there is only one).
fn items_of(id: &str) -> Vec<Listed> {
    let out = StdCommand::new("secret-tool")
        .args([
            "search",
            "--all",
            "--unlock",
            "service",
            "notion-cli",
            "username",
            id,
        ])
        .output()
        .expect("run secret-tool");
    // secret-tool prints each item's path, label and secret on stdout and its
    // attributes on stderr: attributes are only told apart for a single item.
    let mut items: Vec<Listed> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.starts_with('[') {
            items.push(Listed::default());
            continue;
        }
        let (Some(item), Some((key, value))) = (items.last_mut(), line.split_once(" = ")) else {
            continue;
        };
        match key {
            "label" => item.label = value.to_string(),
            "secret" => item.secret = value.to_string(),
            _ => {}
        }
    }
    if let [item] = items.as_mut_slice() {
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            if let Some((name, value)) = line
                .strip_prefix("attribute.")
                .and_then(|l| l.split_once(" = "))
            {
                item.attributes.push(format!("{name}={value}"));
            }
        }
    }
    for item in &mut items {
        item.attributes.sort();
    }
    items
}

fn expected(id: &str, secret: &str) -> Listed {
    Listed {
        label: format!("keyring:{id}@notion-cli"),
        secret: secret.to_string(),
        attributes: vec!["service=notion-cli".to_string(), format!("username={id}")],
    }
}

#[test]
fn an_item_written_by_the_previous_version_is_used_and_replaced_in_place() {
    if !keychain_available("an_item_written_by_the_previous_version_is_used_and_replaced_in_place")
    {
        return;
    }
    let id = unique_id("previous");
    // What ntn wrote through zbus-secret-service-keyring-store.
    let label = format!("keyring:{id}@notion-cli");
    secret_tool_store_as(
        &label,
        &["service", "notion-cli", "username", &id],
        "tok-previous",
    );
    assert_eq!(items_of(&id), vec![expected(&id, "tok-previous")]);

    // The binary finds it.
    let mut env = TestEnv::new();
    assert!(env.keychain());
    seed_login(&env, "prod", &id, "Acme", None, true);
    let out = run(env.ntn().args(["auth", "token", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["token"], "tok-previous");
    assert_eq!(v["store"], "keychain (Secret Service)");

    // A new token replaces the secret of that same item.
    let store = keychain_store();
    store.set(&prod_key(&id), &Token::new("tok-new")).unwrap();
    assert_eq!(items_of(&id), vec![expected(&id, "tok-new")]);
    assert_eq!(
        store.get(&prod_key(&id)).unwrap().unwrap().expose(),
        "tok-new"
    );

    // And logout removes it.
    let out = run(env.ntn().arg("logout"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(items_of(&id), vec![]);
    assert_eq!(secret_tool_lookup(&id), None);
}

#[test]
fn ntn_writes_items_the_way_the_previous_version_did() {
    if !keychain_available("ntn_writes_items_the_way_the_previous_version_did") {
        return;
    }
    let id = unique_id("format");
    let store = keychain_store();
    store.set(&prod_key(&id), &Token::new("tok-one")).unwrap();
    assert_eq!(items_of(&id), vec![expected(&id, "tok-one")]);
    assert_eq!(secret_tool_lookup(&id).as_deref(), Some("tok-one"));
    assert!(store.delete(&prod_key(&id)).unwrap());
    assert_eq!(items_of(&id), vec![]);
}

#[test]
fn several_matching_items_are_read_and_then_replaced_by_one() {
    if !keychain_available("several_matching_items_are_read_and_then_replaced_by_one") {
        return;
    }
    let id = unique_id("several");
    // Two items match service + username (another tool added an attribute).
    secret_tool_store_as(
        "first",
        &["service", "notion-cli", "username", &id],
        "tok-a",
    );
    secret_tool_store_as(
        "second",
        &["service", "notion-cli", "username", &id, "note", "other"],
        "tok-b",
    );
    assert_eq!(items_of(&id).len(), 2);
    let store = keychain_store();
    let got = store.get(&prod_key(&id)).unwrap().unwrap();
    assert!(
        ["tok-a", "tok-b"].contains(&got.expose()),
        "one of the two secrets"
    );
    store.set(&prod_key(&id), &Token::new("tok-one")).unwrap();
    assert_eq!(items_of(&id), vec![expected(&id, "tok-one")]);
    assert!(store.delete(&prod_key(&id)).unwrap());
    assert_eq!(items_of(&id), vec![]);
    assert!(!store.delete(&prod_key(&id)).unwrap());
}
