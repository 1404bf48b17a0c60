//! Tokens are scoped to their environment. Two sandboxes play two
//! environments (`prod` and `local`, each with NOTION_*_BASE_URL pointing at
//! its own sandbox) sharing one config directory; the same workspace id is
//! logged in to in both, with different tokens:
//!
//! * both tokens survive, each under its environment's name (auth.json:
//!   `<id>` and `local:<id>`; the Secret Service: services `notion-cli` and
//!   `notion-cli:local`), and `ntn auth token` in each returns its own;
//! * a capture server sees every request of an environment carry that
//!   environment's token, never the other's;
//! * logging out of one leaves the other.
//!
//! Once with auth.json, once with the OS keychain: on Linux the real Secret
//! Service (scripts/test's private D-Bus session; without a session bus that
//! half prints a note and passes, unless `NTN_REQUIRE_KEYCHAIN=1`), on Windows
//! the Credential Manager (targets `<id>.notion-cli` and
//! `<id>.notion-cli:local`; under Wine in scripts/test).

mod common;

#[cfg(any(target_os = "linux", windows))]
use common::keychain_store;
use common::{ALICE, Sandbox, TestEnv, seed_login};
#[cfg(target_os = "linux")]
use common::{keychain_available, secret_tool_lookup, secret_tool_lookup_in};
#[cfg(any(target_os = "linux", windows))]
use ntn::env::EnvName;
#[cfg(any(target_os = "linux", windows))]
use ntn::secrets::TokenKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Points the environment's variables at `name`, served by `url` (the API
/// at `api`).
fn point(env: &mut TestEnv, name: &str, url: &str, api: &str) {
    env.set("NOTION_ENV", name);
    env.set("NOTION_BASE_URL", url);
    env.set("NOTION_API_BASE_URL", api);
    env.set("NOTION_API_DOCS_BASE_URL", url);
}

/// Logs in to workspace `ws` of `sb` through the two-step flow.
fn login(env: &TestEnv, sb: &Sandbox, ws: &str) {
    let out = env.run(&["login", "--no-browser", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let code = v["verification_code"].as_str().unwrap();
    let (s, v) = sb.approve(code, ALICE, ws);
    assert_eq!(s, 200, "{v}");
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// `ntn auth token` in the environment the variables point at.
fn token(env: &TestEnv) -> String {
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.trim().to_string()
}

fn digest_of_bearer(token: &str) -> String {
    Sha256::digest(format!("Bearer {token}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the test finds what was stored.
#[derive(Clone, Copy, PartialEq)]
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
enum Store {
    File,
    Keychain,
}

/// The token stored for `id` in `environment`, read the way another program
/// would (auth.json itself; secret-tool on Linux; on Windows the generic
/// credential by its target name, `<id>.notion-cli` or `<id>.notion-cli:<env>`).
fn stored(env: &TestEnv, store: Store, environment: &str, id: &str) -> Option<String> {
    match store {
        Store::File => common::read_json_or_empty(env, "auth.json")
            [common::auth_key(environment, id)]
        .as_str()
        .map(str::to_string),
        #[cfg(target_os = "linux")]
        Store::Keychain => secret_tool_lookup_in(environment, id),
        #[cfg(windows)]
        Store::Keychain => credential(&format!("{id}.{}", common::keychain_service(environment))),
        #[cfg(not(any(target_os = "linux", windows)))]
        Store::Keychain => unreachable!("no keychain test on this platform"),
    }
}

/// The token of the generic credential `target`, read as another program
/// would.
#[cfg(windows)]
fn credential(target: &str) -> Option<String> {
    use keyring_core::api::CredentialStoreApi;
    let entry = windows_native_keyring_store::Store::new()
        .unwrap()
        .build(
            "notion-cli",
            "reader",
            Some(&std::collections::HashMap::from([("target", target)])),
        )
        .unwrap();
    match entry.get_password() {
        Ok(token) => Some(token),
        Err(keyring_core::Error::NoEntry) => None,
        Err(e) => panic!("reading {target}: {e:?}"),
    }
}

fn same_id_in_two_environments(mut env: TestEnv, store: Store) {
    let prod_sb = Sandbox::start();
    let local_sb = Sandbox::start();
    let capture = Sandbox::start();
    let acme = prod_sb.workspace("Acme");
    assert_eq!(local_sb.workspace("Acme"), acme, "the same workspace id");
    let (prod_url, local_url) = (prod_sb.url.clone(), local_sb.url.clone());

    point(&mut env, "prod", &prod_url, &prod_url);
    login(&env, &prod_sb, &acme);
    point(&mut env, "local", &local_url, &local_url);
    login(&env, &local_sb, &acme);

    // Both survive, each under its environment's name.
    let local_token = token(&env);
    point(&mut env, "prod", &prod_url, &prod_url);
    let prod_token = token(&env);
    assert_ne!(prod_token, local_token);
    assert!(prod_token.starts_with("ntn_") && local_token.starts_with("ntn_"));
    assert_eq!(
        stored(&env, store, "prod", &acme).as_deref(),
        Some(prod_token.as_str())
    );
    assert_eq!(
        stored(&env, store, "local", &acme).as_deref(),
        Some(local_token.as_str())
    );
    match store {
        Store::File => {
            let mut want = serde_json::Map::new();
            want.insert(acme.clone(), json!(prod_token));
            want.insert(format!("local:{acme}"), json!(local_token));
            assert_eq!(env.read_json("auth.json"), Value::Object(want));
        }
        Store::Keychain => assert!(!env.file("auth.json").exists(), "no plaintext copy"),
    }
    // Each works against its own environment's API.
    point(&mut env, "local", &local_url, &local_url);
    let out = env.run(&["whoami", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // One capture server for both environments' APIs (a path each): every
    // request carries the token of its own environment.
    let capture_api = |name: &str| format!("{}/__capture/{name}", capture.url);
    for name in ["prod", "local"] {
        let url = if name == "prod" {
            &prod_url
        } else {
            &local_url
        };
        point(&mut env, name, url, &capture_api(name));
        for args in [
            &["api", "v1/users/me"][..],
            &["api", "v1/search", "-d", "{}"],
        ] {
            let out = env.run(args);
            assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        }
    }
    let captured = capture.captured();
    assert_eq!(captured.len(), 4, "{captured:?}");
    for c in &captured {
        let path = c["path"].as_str().unwrap();
        let want = if path.starts_with("/__capture/prod/") {
            &prod_token
        } else {
            assert!(path.starts_with("/__capture/local/"), "{path}");
            &local_token
        };
        assert_eq!(
            c["authorization_sha256"],
            digest_of_bearer(want).as_str(),
            "{path} carried the other environment's token"
        );
    }

    // Logging out of local leaves prod.
    point(&mut env, "local", &local_url, &local_url);
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Logged out of Acme"), "{}", out.stderr);
    assert_eq!(stored(&env, store, "local", &acme), None);
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    point(&mut env, "prod", &prod_url, &prod_url);
    assert_eq!(token(&env), prod_token);
    assert_eq!(
        stored(&env, store, "prod", &acme).as_deref(),
        Some(prod_token.as_str())
    );
    let out = env.run(&["whoami", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // And logging out of prod leaves nothing.
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(stored(&env, store, "prod", &acme), None);
}

#[test]
fn the_same_workspace_in_two_environments_keeps_two_tokens_in_auth_json() {
    same_id_in_two_environments(TestEnv::new(), Store::File);
}

// The Secret Service: Linux.
#[cfg(target_os = "linux")]
#[test]
fn the_same_workspace_in_two_environments_keeps_two_tokens_in_the_secret_service() {
    if !keychain_available(
        "the_same_workspace_in_two_environments_keeps_two_tokens_in_the_secret_service",
    ) {
        return;
    }
    let mut env = TestEnv::new();
    assert!(env.keychain());
    // The fixture's workspace id is shared by every sandbox: clear what an
    // earlier, failed run may have left in this keyring.
    let acme = Sandbox::start().workspace("Acme");
    for e in [EnvName::Prod, EnvName::Local] {
        let _ = keychain_store().delete(&TokenKey::new(e, &acme));
    }
    same_id_in_two_environments(env, Store::Keychain);
    assert_eq!(secret_tool_lookup(&acme), None);
}

// The Credential Manager (under Wine in scripts/test): Windows.
#[cfg(windows)]
#[test]
fn the_same_workspace_in_two_environments_keeps_two_tokens_in_the_credential_manager() {
    let mut env = TestEnv::new();
    env.unset("NOTION_KEYRING");
    // The fixture's workspace id is shared by every sandbox: clear what an
    // earlier, failed run may have left.
    let acme = Sandbox::start().workspace("Acme");
    for e in [EnvName::Prod, EnvName::Local] {
        let _ = keychain_store().delete(&TokenKey::new(e, &acme));
    }
    same_id_in_two_environments(env, Store::Keychain);
}

#[test]
fn a_token_stored_before_scoping_is_a_production_token() {
    // ntn kept every environment's token under the bare workspace id: such
    // an entry is production's, and a local login of that id has no token.
    let local_sb = Sandbox::start();
    let acme = local_sb.workspace("Acme");
    let mut env = TestEnv::new().with_sandbox(&local_sb);
    seed_login(&env, "local", &acme, "Acme", None, true);
    seed_login(&env, "prod", &acme, "Acme", Some("tok-from-before"), true);
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("is missing from auth.json"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("ntn login --workspace {acme} --fresh --env local")),
        "{}",
        out.stderr
    );
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        local_sb
            .requests()
            .iter()
            .all(|r| r["path"] != "/v1/users/me"),
        "nothing was sent"
    );
    env.set("NOTION_ENV", "prod");
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "tok-from-before\n");
}
