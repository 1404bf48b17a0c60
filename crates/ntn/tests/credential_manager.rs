//! The Windows Credential Manager, for real: scripts/test runs this suite
//! under Wine (`scripts/test windows`), whose Credential Manager keeps
//! generic credentials in the test prefix's registry through the same Win32
//! calls (`CredWriteW`, `CredReadW`, `CredDeleteW`) Windows has. Entries are
//! checked by their target names, read and written as another program would
//! (Notion's own CLI, `cmdkey`): through the keyring store crate with an
//! explicit target, not through ntn's naming.

// The Credential Manager exists on Windows only.
#![cfg(windows)]

mod common;

use std::collections::HashMap;

use common::{ALICE, Sandbox, TestEnv, seed_login, unique_id};
use keyring_core::api::CredentialStoreApi;
use keyring_core::{Entry, Error as KeyringError};
use ntn::env::EnvName;
use ntn::secrets::{SecretStore, StoreError, StoreErrorKind, Token, TokenKey};
use serde_json::Value;

const HINT: &str = "hint: set NOTION_KEYRING=0 to keep tokens in auth.json";

/// The generic credential with this target name, as another program opens
/// it (`user` is the user name it writes).
fn credential(target: &str, user: &str) -> Entry {
    windows_native_keyring_store::Store::new()
        .unwrap()
        .build(
            "notion-cli",
            user,
            Some(&HashMap::from([("target", target)])),
        )
        .unwrap()
}

/// The token under `target`, if any, with the credential's user name.
fn read(target: &str) -> Option<(String, String)> {
    let c = credential(target, "reader");
    match c.get_password() {
        Ok(token) => {
            let attrs = c.get_attributes().unwrap();
            Some((token, attrs["username"].clone()))
        }
        Err(KeyringError::NoEntry) => None,
        Err(e) => panic!("reading {target}: {e:?}"),
    }
}

fn keychain_store() -> Box<dyn SecretStore> {
    ntn::secrets::open_keychain(&ntn::secrets::Settings::new(&ntn::output::Ui::test().0))
}

/// A test environment whose store is the keychain (the default: no
/// `NOTION_KEYRING`).
fn keychain_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.unset("NOTION_KEYRING");
    env
}

fn json(out: &common::Out) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn store_read_delete_under_the_target_names_of_each_environment() {
    let id = unique_id("crud");
    let store = keychain_store();
    assert_eq!(store.describe(), "keychain (Windows Credential Manager)");
    store.check().unwrap();
    let envs = [
        (EnvName::Prod, format!("{id}.notion-cli")),
        (EnvName::Dev, format!("{id}.notion-cli:dev")),
        (EnvName::Stg, format!("{id}.notion-cli:stg")),
        (EnvName::Local, format!("{id}.notion-cli:local")),
    ];
    for (env, target) in &envs {
        let key = TokenKey::new(*env, &id);
        assert!(store.get(&key).unwrap().is_none(), "{target}");
        store
            .set(&key, &Token::new(format!("tok-{}", env.as_str())))
            .unwrap();
        assert_eq!(
            read(target),
            Some((format!("tok-{}", env.as_str()), id.clone())),
            "{target}"
        );
    }
    // Each environment reads its own token; replacing one keeps one entry.
    let dev = TokenKey::new(EnvName::Dev, &id);
    store.set(&dev, &Token::new("tok-dev-2")).unwrap();
    for (env, target) in &envs {
        let want = if *env == EnvName::Dev {
            "tok-dev-2".to_string()
        } else {
            format!("tok-{}", env.as_str())
        };
        let key = TokenKey::new(*env, &id);
        assert_eq!(store.get(&key).unwrap().unwrap().expose(), want);
        assert_eq!(read(target).unwrap().0, want);
    }
    // Deleting one environment's token leaves the others.
    assert!(store.delete(&dev).unwrap());
    assert_eq!(read(&envs[1].1), None);
    assert!(store.get(&dev).unwrap().is_none());
    assert!(!store.delete(&dev).unwrap(), "nothing left to delete");
    assert_eq!(read(&envs[0].1).unwrap().0, "tok-prod");
    for (env, target) in &envs {
        store.delete(&TokenKey::new(*env, &id)).unwrap();
        assert_eq!(read(target), None);
    }
}

#[test]
fn the_login_story_keeps_the_token_in_the_credential_manager_until_logout() {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.unset("NOTION_KEYRING");
    let acme = sb.workspace("Acme");
    let target = format!("{acme}.notion-cli:local");
    assert_eq!(read(&target), None);

    let out = env.run(&["login", "--no-browser", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let code = json(&out)["verification_code"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = sb.approve(&code, ALICE, &acme);
    assert_eq!(status, 200, "{body}");
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The token is in the Credential Manager under the local environment's
    // name, not in auth.json, nor under the production name.
    let (token, user) = read(&target).expect("a credential for the login");
    assert_eq!(user, acme);
    assert!(!env.file("auth.json").exists(), "no plaintext copy");
    assert_eq!(read(&format!("{acme}.notion-cli")), None);

    let out = env.run(&["auth", "token", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["token"], token.as_str());
    assert_eq!(v["store"], "keychain (Windows Credential Manager)");

    // The token is used: the API answers with the person it belongs to.
    let out = env.run(&["whoami", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(ALICE), "{}", out.stdout);
    assert!(!out.stdout.contains(&token));

    let out = env.run(&["debug", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["keyring"]["backend"], "keychain");
    assert_eq!(
        v["keyring"]["store"],
        "keychain (Windows Credential Manager)"
    );
    assert_eq!(v["workspaces"][0]["token_stored"], true, "{v}");
    assert!(!out.stdout.contains(&token));

    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(read(&target), None, "logout deletes the credential");
    let out = env.run(&["auth", "token"]);
    assert_ne!(out.code, 0);
}

#[test]
fn a_token_written_by_another_program_under_the_official_name_is_read() {
    // Notion's own CLI keeps a production token as target `<id>.notion-cli`,
    // user name = workspace id: ntn reads it where it is, and logout removes it.
    let id = unique_id("official");
    let target = format!("{id}.notion-cli");
    credential(&target, &id)
        .set_password("from-the-official-cli")
        .unwrap();
    let env = keychain_env();
    seed_login(&env, "prod", &id, "Acme", None, true);
    let out = env.run(&["auth", "token", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out)["token"], "from-the-official-cli");
    // Another environment never reads it.
    let out = env.run_env(&[("NOTION_ENV", "dev")], &["auth", "token"]);
    assert_ne!(out.code, 0);
    assert!(!out.stdout.contains("from-the-official-cli"));
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(read(&target), None);
}

#[test]
fn a_credential_that_is_not_text_is_an_error_with_the_file_store_hint() {
    // An odd number of bytes is no UTF-16 text: another program's secret.
    let id = unique_id("binary");
    let target = format!("{id}.notion-cli");
    credential(&target, &id).set_secret(&[0x41]).unwrap();
    let env = keychain_env();
    seed_login(&env, "prod", &id, "Acme", None, true);
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: the OS keychain (Windows Credential Manager) is not usable: \
             cannot read a token: the stored token is not text"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(HINT), "{}", out.stderr);
    // Nothing was overwritten.
    assert_eq!(credential(&target, &id).get_secret().unwrap(), vec![0x41u8]);
    credential(&target, &id).delete_credential().unwrap();
}

#[test]
fn a_token_longer_than_a_credential_holds_is_refused_not_cut() {
    // A generic credential holds 2560 bytes: 1280 UTF-16 units.
    let key = TokenKey::new(EnvName::Local, unique_id("long"));
    let store = keychain_store();
    let e = store.set(&key, &Token::new("x".repeat(1281))).unwrap_err();
    let store_error = e.data::<StoreError>().expect("a store error");
    assert_eq!(store_error.kind, StoreErrorKind::Other);
    assert!(
        e.message().contains("longer than the limit"),
        "{}",
        e.message()
    );
    assert!(e.hint_text().unwrap().contains("NOTION_KEYRING=0"));
    assert!(store.get(&key).unwrap().is_none());
    // The longest that fits is kept whole.
    let longest = "y".repeat(1280);
    store.set(&key, &Token::new(longest.clone())).unwrap();
    assert_eq!(store.get(&key).unwrap().unwrap().expose(), longest);
    assert!(store.delete(&key).unwrap());
}
