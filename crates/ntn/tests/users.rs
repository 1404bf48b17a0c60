//! `ntn users list`, `get` and `me` against the sandbox, in-process: the shapes of every
//! output mode, bots marked, lookups by id, email and name, and a list Notion refuses.

mod common;

use common::pages::{ok, setup};
use serde_json::{Value, json};

const ALICE_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const GUEST_ID: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const RESTRICTED_ID: &str = "aaaaaaaa-0000-4000-8000-000000000003";

#[test]
fn list_in_every_shape() {
    let (_sb, env, _) = setup();

    let out = env.run(&["users", "list", "--json"]);
    ok(&out);
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    let all = all.as_array().expect("one JSON array");
    let ids: Vec<&str> = all.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&ALICE_ID) && ids.contains(&RESTRICTED_ID),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&GUEST_ID),
        "Notion leaves guests out: {ids:?}"
    );
    let alice = all.iter().find(|u| u["id"] == ALICE_ID).unwrap();
    // Notion's user object as received.
    assert_eq!(alice["object"], "user");
    assert_eq!(alice["type"], "person");
    assert_eq!(alice["person"]["email"], "alice@acme.test");

    let out = env.run(&["users", "list", "--plain"]);
    ok(&out);
    assert!(
        out.stdout
            .lines()
            .any(|l| l == format!("Alice Example\talice@acme.test\t{ALICE_ID}\tperson")),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("NAME"), "no header with --plain");
    assert_eq!(out.stdout.lines().count(), all.len());

    let out = env.run(&["users", "list"]);
    ok(&out);
    let mut lines = out.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "EMAIL", "ID", "TYPE"]);
    assert!(out.stdout.contains("Rita Restricted"), "{}", out.stdout);

    let out = env.run(&["users", "list", "--ids"]);
    ok(&out);
    assert!(out.stdout.lines().any(|l| l == ALICE_ID));
}

#[test]
fn get_by_id_email_and_name() {
    let (_sb, env, _) = setup();

    let out = env.run(&["users", "get", "ALICE@acme.test", "--plain"]);
    ok(&out);
    assert_eq!(
        out.stdout,
        format!("Alice Example\talice@acme.test\t{ALICE_ID}\tperson\n")
    );

    let out = env.run(&["users", "get", "rita restricted", "--json"]);
    ok(&out);
    let u: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(u["id"], RESTRICTED_ID);
    assert_eq!(u["person"]["email"], "restricted@acme.test");

    // A guest is not in the list but is read by id (the id without dashes too).
    let out = env.run(&["users", "get", &GUEST_ID.replace('-', "")]);
    ok(&out);
    assert!(out.stdout.contains("guest@acme.test"), "{}", out.stdout);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("Type") && l.ends_with("person"))
    );

    let out = env.run(&["users", "get", "Alice Exampel"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "nobody in this workspace is named \"Alice Exampel\" (did you mean \"Alice Example\"?)"
        ),
        "{}",
        out.stderr
    );
    let out = env.run(&["users", "get", "nobody@acme.test"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("nobody in this workspace has the email")
    );

    let out = env.run(&["users", "get", "aaaaaaaa-0000-4000-8000-000000000099"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no user aaaaaaaa-0000-4000-8000-000000000099")
    );
}

#[test]
fn me_is_the_tokens_bot_with_its_owner() {
    let (_sb, env, _) = setup();

    let out = env.run(&["users", "me", "--json"]);
    ok(&out);
    let me: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(me["type"], "bot");
    let bot_id = me["id"].as_str().unwrap().to_string();

    let out = env.run(&["users", "me"]);
    ok(&out);
    let report: Vec<&str> = out.stdout.lines().collect();
    assert!(report.contains(&"Type       bot"), "{report:?}");
    assert!(
        report.contains(&"Owner      Alice Example <alice@acme.test>"),
        "{report:?}"
    );
    assert!(report.contains(&"Workspace  Acme"), "{report:?}");

    let out = env.run(&["users", "me", "--plain"]);
    ok(&out);
    let cells: Vec<&str> = out.stdout.trim_end_matches('\n').split('\t').collect();
    assert_eq!(
        cells,
        [
            me["name"].as_str().unwrap(),
            "",
            &bot_id,
            "bot",
            "Alice Example <alice@acme.test>"
        ]
    );

    // A bot read by id is marked as one.
    let out = env.run(&["users", "get", &bot_id, "--plain"]);
    ok(&out);
    assert!(out.stdout.ends_with("\tbot\n"), "{}", out.stdout);
}

#[test]
fn a_refused_list_says_so_and_what_still_works() {
    let (sb, env, _) = setup();
    sb.fault(json!({"path_prefix": "/v1/users", "method": "GET", "status": 403, "count": 1}));
    let out = env.run(&["users", "list"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: Notion refused to list the workspace's users"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`ntn users get ID`"), "{}", out.stderr);
    assert_eq!(out.stdout, "");

    sb.fault(json!({"path_prefix": "/v1/users", "method": "GET", "status": 403, "count": 1}));
    let out = env.run(&["users", "get", "alice@acme.test"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("\"alice@acme.test\" cannot be looked up by email or name"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("reads one user by id"),
        "{}",
        out.stderr
    );
}
