//! The account commands against the sandbox: whoami, doctor, logout, debug,
//! auth token.

// File modes and Unix permissions throughout: Unix only.
#![cfg(unix)]

mod common;

use common::{ALICE, Sandbox, TestEnv, read_json_or_empty, run, seed_login, write_json_file};
use serde_json::{Value, json};

fn json_out(out: &common::Out) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?} / {}", out.stdout, out.stderr))
}

// ---- whoami ----

#[test]
fn whoami_with_an_env_token_names_the_person_and_workspace() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("Alice Example <alice@acme.test>"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("Acme ({acme})")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Token: NOTION_API_TOKEN"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(&token));
    let reqs = sb.requests();
    let me = reqs
        .iter()
        .find(|r| r["path"] == "/v1/users/me")
        .expect("a request to /v1/users/me");
    assert_eq!(me["has_authorization"], true);
    assert_eq!(me["method"], "GET");
}

#[test]
fn whoami_json_is_the_api_user_object() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    let out = env.run(&["whoami", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json_out(&out);
    assert_eq!(v["object"], "user");
    assert_eq!(v["type"], "bot");
    assert_eq!(v["bot"]["workspace_id"], acme.as_str());
    assert_eq!(v["bot"]["owner"]["user"]["person"]["email"], ALICE);
}

#[test]
fn whoami_with_a_stored_login_says_where_the_token_came_from() {
    let sb = Sandbox::start();
    let globex = sb.workspace("Globex");
    let token = sb.mint_token(ALICE, &globex);
    let env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &globex, "Globex", Some(&token), true);
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Globex"), "{}", out.stdout);
    assert!(
        out.stdout.contains("stored login for Globex"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("auth.json"), "{}", out.stdout);
}

#[test]
fn whoami_401_names_the_token_source() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", "ntn_not_a_real_token");
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("NOTION_API_TOKEN was rejected"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("unset it"), "{}", out.stderr);
    assert!(!out.stderr.contains("ntn_not_a_real_token"));

    env.unset("NOTION_API_TOKEN");
    seed_login(&env, "local", &acme, "Acme", Some("ntn_revoked"), true);
    let out = env.run(&["-v", "whoami"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("stored login for Acme was rejected"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ntn login"), "{}", out.stderr);
    assert!(!out.stderr.contains("ntn_revoked"), "{}", out.stderr);
}

#[test]
fn whoami_api_failure_is_exit_5() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    sb.fault(json!({"path_prefix": "/v1/users/me", "status": 500, "count": 10}));
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

// ---- doctor ----

fn doctor(env: &TestEnv) -> (i32, Value) {
    let out = env.run(&["doctor", "--json"]);
    (out.code, json_out(&out))
}

fn check<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {v}"))
}

#[test]
fn doctor_passes_with_a_good_stored_login() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    let (code, v) = doctor(&env);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ok"], true);
    for c in v["checks"].as_array().unwrap() {
        assert_ne!(c["status"], "fail", "{c}");
        for k in ["name", "status", "detail", "hint"] {
            assert!(c.get(k).is_some(), "{k} missing in {c}");
        }
    }
    assert_eq!(check(&v, "API")["status"], "ok");
    assert!(
        check(&v, "API")["detail"]
            .as_str()
            .unwrap()
            .contains("Acme")
    );
    let human = env.run(&["doctor"]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains("✓ API"), "{}", human.stdout);
    assert!(!human.stdout.contains(&token));
}

#[cfg(unix)]
#[test]
fn doctor_warns_when_the_env_token_shadows_a_login_and_on_loose_modes() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let mut env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    std::fs::set_permissions(
        env.file("auth.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    env.set("NOTION_API_TOKEN", &token);
    let (code, v) = doctor(&env);
    assert_eq!(code, 0, "{v}");
    assert_eq!(check(&v, "token source")["status"], "warn");
    assert!(
        check(&v, "token source")["hint"]
            .as_str()
            .unwrap()
            .contains("unset NOTION_API_TOKEN")
    );
    assert_eq!(check(&v, "auth.json")["status"], "warn");
    assert!(
        check(&v, "auth.json")["hint"]
            .as_str()
            .unwrap()
            .contains("chmod 600")
    );
    let human = env.run(&["doctor"]);
    assert!(human.stdout.contains("! token source"), "{}", human.stdout);
}

#[test]
fn doctor_fails_with_exit_4_for_a_rejected_token() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some("ntn_bad"), true);
    let (code, v) = doctor(&env);
    assert_eq!(code, 4, "{v}");
    assert_eq!(v["ok"], false);
    let api = check(&v, "API");
    assert_eq!(api["status"], "fail");
    assert!(api["hint"].as_str().unwrap().contains("ntn login"));
    let human = env.run(&["doctor"]);
    assert_eq!(human.code, 4);
    assert!(human.stdout.contains("✗ API"), "{}", human.stdout);
    assert!(human.stdout.contains("hint:"), "{}", human.stdout);
}

#[test]
fn doctor_not_logged_in_is_exit_4() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let (code, v) = doctor(&env);
    assert_eq!(code, 4, "{v}");
    let c = check(&v, "token source");
    assert_eq!(c["status"], "fail");
    assert!(c["hint"].as_str().unwrap().contains("ntn login"));
}

#[test]
fn doctor_api_failure_is_exit_5() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    sb.fault(json!({"path_prefix": "/v1/users/me", "status": 500, "count": 10}));
    let (code, v) = doctor(&env);
    assert_eq!(code, 5, "{v}");
    assert_eq!(check(&v, "API")["status"], "fail");
}

#[test]
fn doctor_broken_config_is_exit_1_and_names_it() {
    let env = TestEnv::new();
    seed_login(&env, "prod", "w1", "Acme", Some("t"), true);
    std::fs::write(env.file("config.json"), "{").unwrap();
    let (code, v) = doctor(&env);
    assert_eq!(code, 1, "{v}");
    let c = check(&v, "config.json");
    assert_eq!(c["status"], "fail");
    assert!(c["detail"].as_str().unwrap().contains("config.json"));
    assert_eq!(
        std::fs::read_to_string(env.file("config.json")).unwrap(),
        "{"
    );
}

#[test]
fn doctor_reports_the_workspace_override_and_pending_login() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let mut env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    write_json_file(
        &env,
        "pending-login.json",
        &json!({"version": "1", "sessionId": "s", "verificationCode": "ABCD",
                "env": "local", "baseUrl": sb.url, "expiresAtMs": now - 1000}),
    );
    let (code, v) = doctor(&env);
    assert_eq!(code, 0, "{v}");
    assert_eq!(check(&v, "pending login")["status"], "warn");

    env.set("NOTION_WORKSPACE_ID", "not-cached");
    let (code, v) = doctor(&env);
    assert_eq!(code, 4, "{v}");
    let c = check(&v, "workspace override");
    assert_eq!(c["status"], "fail");
    assert!(c["detail"].as_str().unwrap().contains("not-cached"));
}

// ---- logout ----

fn three_logins(env: &TestEnv) {
    seed_login(env, "local", "a1", "Acme", Some("tok-a"), true);
    seed_login(env, "local", "g1", "Globex", Some("tok-g"), false);
    seed_login(env, "prod", "p1", "Prod WS", Some("tok-p"), true);
}

/// A base URL nothing listens on: logout must not use the network.
fn offline(env: &mut TestEnv) {
    env.set("NOTION_ENV", "local");
    env.set("NOTION_BASE_URL", "http://127.0.0.1:9");
    env.set("NOTION_API_BASE_URL", "http://127.0.0.1:9");
}

#[test]
fn logout_forgets_the_environment_and_keeps_the_files() {
    let mut env = TestEnv::new();
    offline(&mut env);
    three_logins(&env);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    write_json_file(
        &env,
        "pending-login.json",
        &json!({"version": "1", "sessionId": "s", "verificationCode": "ABCD",
                "env": "local", "baseUrl": "http://127.0.0.1:9", "expiresAtMs": now + 60_000}),
    );
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("Logged out of Acme, Globex"),
        "{}",
        out.stderr
    );
    assert_eq!(
        env.read_json("workspaces.json"),
        json!({"version": "1", "environments": {
            "local": {}, "prod": {"p1": {"id": "p1", "name": "Prod WS"}}}})
    );
    assert_eq!(env.read_json("auth.json"), json!({"p1": "tok-p"}));
    assert_eq!(
        env.read_json("config.json"),
        json!({"version": "1", "defaultWorkspaceIds": {"prod": "p1"}})
    );
    assert!(!env.file("pending-login.json").exists());

    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("Already logged out"), "{}", out.stderr);
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 4);
}

#[test]
fn logout_one_workspace_clears_the_default_only_if_it_was_that_one() {
    let mut env = TestEnv::new();
    offline(&mut env);
    three_logins(&env);
    // A workspace that is not logged in is an error listing the ones that are.
    let before = std::fs::read(env.file("workspaces.json")).unwrap();
    let out = env.run(&["--workspace", "zzz", "logout"]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: workspace zzz is not logged in for environment local\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Acme (a1)") && out.stderr.contains("`ntn logout --env local`"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(env.file("workspaces.json")).unwrap(), before);

    let out = env.run(&["--workspace", "g1", "logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("Logged out of Globex"),
        "{}",
        out.stderr
    );
    assert_eq!(
        env.read_json("config.json")["defaultWorkspaceIds"]["local"],
        "a1"
    );
    assert!(env.read_json("auth.json").get("local:g1").is_none());
    assert_eq!(env.read_json("auth.json")["local:a1"], "tok-a");

    let out = env.run(&["--workspace", "a1", "logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        env.read_json("config.json")["defaultWorkspaceIds"]
            .get("local")
            .is_none()
    );
}

#[test]
fn logout_all_environments_forgets_everything() {
    let mut env = TestEnv::new();
    offline(&mut env);
    three_logins(&env);
    let out = env.run(&["logout", "--all-environments"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for n in ["Acme", "Globex", "Prod WS"] {
        assert!(out.stderr.contains(n), "{}", out.stderr);
    }
    assert_eq!(env.read_json("auth.json"), json!({}));
    assert_eq!(
        env.read_json("config.json"),
        json!({"version": "1", "defaultWorkspaceIds": {}})
    );
    let ws = env.read_json("workspaces.json");
    for e in ["local", "prod"] {
        assert_eq!(ws["environments"][e], json!({}), "{ws}");
    }
}

#[test]
fn logout_forgets_only_the_token_of_its_own_environment() {
    let mut env = TestEnv::new();
    offline(&mut env);
    // The same workspace id in two environments: two tokens.
    seed_login(&env, "local", "shared", "Acme", Some("tok-local"), true);
    seed_login(&env, "prod", "shared", "Acme", Some("tok-prod"), true);
    assert_eq!(
        read_json_or_empty(&env, "auth.json"),
        json!({"local:shared": "tok-local", "shared": "tok-prod"})
    );
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        read_json_or_empty(&env, "auth.json"),
        json!({"shared": "tok-prod"})
    );
    let out = env.run(&["--env", "prod", "auth", "token"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "tok-prod\n");
}

// ---- debug ----

#[test]
fn debug_reports_everything_and_redacts_tokens() {
    let mut env = TestEnv::new();
    env.set("NOTION_ENV", "local");
    env.set("NOTION_API_BASE_URL", "http://127.0.0.1:9/");
    seed_login(&env, "local", "a1", "Acme", Some("tok-a"), true);
    seed_login(&env, "local", "g1", "Globex", None, false);
    let secret = "ntn_0123456789abcdefghij0123456789abcdefghij01234567";
    env.set("NOTION_API_TOKEN", secret);
    env.set("NOTION_WORKSPACE_ID", "a1");
    let out = env.run(&["debug", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains(secret));
    assert!(!out.stdout.contains("tok-a"));
    let v = json_out(&out);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["environment"], "local");
    assert_eq!(v["urls"]["api"]["url"], "http://127.0.0.1:9");
    assert_eq!(v["urls"]["api"]["overridden"], true);
    assert_eq!(v["urls"]["api"]["variable"], "NOTION_API_BASE_URL");
    assert_eq!(v["urls"]["base"]["overridden"], false);
    assert_eq!(v["config_dir"]["rule"], "NOTION_HOME");
    #[cfg(unix)]
    assert_eq!(
        v["config_dir"]["mode"],
        format!("{:04o}", common::mode(&env.notion_home()))
    );
    let files = v["files"].as_array().unwrap();
    let state_of = |n: &str| files.iter().find(|f| f["name"] == n).unwrap()["state"].clone();
    assert_eq!(state_of("config.json"), "ok");
    assert_eq!(state_of("auth.json"), "ok");
    assert_eq!(state_of("pending-login.json"), "missing");
    assert_eq!(v["keyring"]["backend"], "file");
    assert_eq!(
        v["workspaces"],
        json!([
            {"id": "a1", "name": "Acme", "default": true, "token_stored": true, "token_error": null,
             "token_rejected_at": null},
            {"id": "g1", "name": "Globex", "default": false, "token_stored": false, "token_error": null,
             "token_rejected_at": null},
        ])
    );
    assert_eq!(
        v["variables"]["NOTION_API_TOKEN"],
        format!("<set, {} chars>", secret.len())
    );
    assert_eq!(v["variables"]["NOTION_WORKSPACE_ID"], "a1");

    let human = env.run(&["debug"]);
    assert_eq!(human.code, 0);
    assert!(!human.stdout.contains(secret));
    let redacted = format!("NOTION_API_TOKEN=<set, {} chars>", secret.len());
    for needle in [
        "environment:",
        "local",
        "NOTION_HOME",
        "auth.json",
        "Acme",
        "token missing",
        redacted.as_str(),
    ] {
        assert!(human.stdout.contains(needle), "{needle}: {}", human.stdout);
    }
}

#[test]
fn debug_reports_an_unusable_keychain_instead_of_failing() {
    let mut env = TestEnv::new();
    env.unset("NOTION_KEYRING");
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    seed_login(&env, "prod", "w1", "Acme", None, true);
    let out = run(env.ntn().args(["debug", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json_out(&out);
    assert_eq!(v["keyring"]["backend"], "keychain");
    assert!(
        v["keyring"]["error"]
            .as_str()
            .unwrap()
            .contains("not usable"),
        "{v}"
    );
    assert_eq!(v["workspaces"][0]["token_stored"], Value::Null);
}

#[test]
fn debug_reports_a_missing_notion_home() {
    let mut env = TestEnv::new();
    env.set("NOTION_HOME", "/nonexistent/notion-home");
    let out = env.run(&["debug", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json_out(&out);
    assert!(
        v["config_dir"]["error"]
            .as_str()
            .unwrap()
            .contains("NOTION_HOME")
    );
}

// ---- auth ----

#[test]
fn auth_without_subcommand_shows_help() {
    let env = TestEnv::new();
    let out = env.run(&["auth"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("token"), "{}", out.stdout);
    assert!(out.stdout.contains("Usage"), "{}", out.stdout);
}

#[test]
fn help_of_account_commands_lists_their_variables() {
    let env = TestEnv::new();
    for cmd in [
        &["logout"][..],
        &["whoami"],
        &["debug"],
        &["doctor"],
        &["auth", "token"],
        &["login"],
        &["login", "poll"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = env.run(&args);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("Environment variables:"), "{cmd:?}");
        assert!(out.stdout.contains("NOTION_KEYRING"), "{cmd:?}");
    }
    // `ntn login --help` lists every variable that changes what login does.
    let out = env.run(&["login", "--help"]);
    for var in [
        "NOTION_API_TOKEN",
        "NOTION_WORKSPACE_ID",
        "NOTION_KEYRING",
        "NOTION_HOME",
        "NOTION_ENV",
        "NOTION_BASE_URL",
        "NOTION_API_BASE_URL",
        "BROWSER",
        "DISPLAY",
        "SSH_CONNECTION",
        "XDG_CONFIG_HOME",
    ] {
        assert!(out.stdout.contains(var), "{var}: {}", out.stdout);
    }
    // --json and --plain on every account command that prints data.
    for cmd in [
        &["whoami"][..],
        &["debug"],
        &["doctor"],
        &["auth", "token"],
        &["login"],
        &["login", "poll"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = env.run(&args);
        for flag in ["--json", "--plain"] {
            assert!(out.stdout.contains(flag), "{cmd:?} {flag}");
        }
        args.pop();
        args.extend(["--json", "--plain"]);
        assert_eq!(
            env.run(&args).code,
            2,
            "{cmd:?}: --json and --plain conflict"
        );
    }
}

// ---- --plain, redaction, logout hints ----

#[test]
fn plain_output_of_the_account_commands_is_one_tsv_record_per_line() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    let env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    let fields = |out: &common::Out| -> Vec<Vec<String>> {
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect()
    };

    let rows = fields(&env.run(&["whoami", "--plain"]));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0][1..],
        [acme.as_str(), "Acme", "default", "auth.json"]
    );
    assert!(rows[0][0].contains(ALICE), "{rows:?}");

    let rows = fields(&env.run(&["auth", "token", "--plain"]));
    assert_eq!(
        rows,
        [[
            token.as_str(),
            "default",
            acme.as_str(),
            "Acme",
            "auth.json"
        ]]
    );

    let rows = fields(&env.run(&["doctor", "--plain"]));
    assert!(rows.iter().all(|r| r.len() == 4), "{rows:?}");
    let api = rows.iter().find(|r| r[0] == "API").expect("an API row");
    assert_eq!(api[1], "ok");
    assert!(api[2].contains("Acme"), "{api:?}");

    let rows = fields(&env.run(&["debug", "--plain"]));
    assert!(rows.contains(&vec!["environment".to_string(), "local".to_string()]));
    assert!(
        rows.contains(&vec![
            "workspace".to_string(),
            acme.clone(),
            "Acme".into(),
            "default".into(),
            "stored".into()
        ]),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "file" && r[1] == "auth.json" && r[2] == "ok")
    );
    assert!(!format!("{rows:?}").contains(&token));

    let rows = fields(&env.run(&["login", "--workspace", &acme, "--plain"]));
    assert_eq!(rows, [[acme.as_str(), "Acme", "local"]]);
}

#[test]
fn passwords_in_base_urls_are_never_printed() {
    let pw = "hunter2-secret";
    let mut env = TestEnv::new();
    env.set("NOTION_ENV", "local");
    env.set("NOTION_BASE_URL", &format!("http://me:{pw}@127.0.0.1:9"));
    env.set(
        "NOTION_API_BASE_URL",
        &format!("http://me:{pw}@127.0.0.1:9/"),
    );
    env.set("NOTION_API_TOKEN", "ntn_some_token");
    let mut printed = String::new();
    for args in [
        &["debug"][..],
        &["debug", "--json"],
        &["debug", "--plain"],
        &["doctor"],
        &["doctor", "--json"],
        &["-v", "whoami"],
        &["-v", "api", "v1/users/me"],
    ] {
        let out = env.run(args);
        printed.push_str(&out.stdout);
        printed.push_str(&out.stderr);
        assert!(
            !out.stdout.contains(pw) && !out.stderr.contains(pw),
            "{args:?}: {}{}",
            out.stdout,
            out.stderr
        );
    }
    assert!(printed.contains("http://***@127.0.0.1:9"), "{printed}");
}

#[test]
fn logout_with_an_unreachable_keychain_never_suggests_leaving_tokens_behind() {
    // The D-Bus address is read by the keychain library from the process
    // environment: this needs a process of its own.
    let mut env = TestEnv::new();
    env.unset("NOTION_KEYRING");
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    seed_login(&env, "prod", "w1", "Acme", None, true);
    for (args, cmd) in [
        (&["logout"][..], "`ntn logout`"),
        (
            &["logout", "--workspace", "w1"],
            "`ntn logout --workspace w1`",
        ),
        (
            &["logout", "--all-environments"],
            "`ntn logout --all-environments`",
        ),
    ] {
        let out = run(env.ntn().args(args));
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("keychain"), "{}", out.stderr);
        assert!(!out.stderr.contains("NOTION_KEYRING"), "{}", out.stderr);
        assert!(out.stderr.contains(cmd), "{cmd}: {}", out.stderr);
        // Nothing was forgotten: the login is still there to log out of.
        assert!(
            env.read_json("workspaces.json")["environments"]["prod"]
                .get("w1")
                .is_some()
        );
    }
}
