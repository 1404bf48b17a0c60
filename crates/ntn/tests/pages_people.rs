//! People properties through `ntn pages`, in-process against the sandbox: shown by email
//! (completed from the workspace's users, read once per command and only when needed),
//! set by email, `me`, name or id, and every property of the Roadmap rows read and
//! written back unchanged sends nothing.

mod common;

use common::pages::{api, ok, setup, write, writes};
use common::{ALICE, Out, Sandbox, TestEnv};
use serde_json::{Value, json};

const ROADMAP_DS: &str = "d2000000-0000-4000-8000-000000000002";
const ROWS: [&str; 6] = [
    "d4000000-0000-4000-8000-000000000001",
    "d4000000-0000-4000-8000-000000000002",
    "d4000000-0000-4000-8000-000000000003",
    "d4000000-0000-4000-8000-000000000004",
    "d4000000-0000-4000-8000-000000000005",
    "d4000000-0000-4000-8000-000000000006",
];
const DOCS_REVAMP: &str = "d4000000-0000-4000-8000-000000000003";
const ALICE_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const GUS_ID: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const RITA_ID: &str = "aaaaaaaa-0000-4000-8000-000000000003";

/// The user ids of a page's Owner, as the API has them.
fn owner_ids(sb: &Sandbox, token: &str, page: &str) -> Vec<String> {
    let p = api(sb, token, "GET", &format!("/v1/pages/{page}"), None);
    p["properties"]["Owner"]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// How many requests went to this exact path.
fn count(sb: &Sandbox, path: &str) -> usize {
    sb.requests().iter().filter(|r| r["path"] == path).count()
}

/// The frontmatter lines of a `get` output (`key: value`) for `key`, with its list items.
fn field(out: &str, key: &str) -> String {
    let mut lines = out
        .lines()
        .skip_while(|l| !l.starts_with(&format!("  {key}:")));
    let mut s = lines.next().unwrap_or("").to_string();
    for l in lines.take_while(|l| l.starts_with("  - ")) {
        s.push('\n');
        s.push_str(l);
    }
    s
}

/// `get`, then the output set in `key` to `value`, then `edit` of it.
fn edit_owner(env: &TestEnv, page: &str, value: &str, extra: &[&str]) -> Out {
    let got = env.run(&["pages", "get", page]);
    ok(&got);
    let old = field(&got.stdout, "Owner");
    assert!(!old.is_empty(), "{}", got.stdout);
    let text = got.stdout.replacen(&old, &format!("  Owner: {value}"), 1);
    let file = write(env, "owner.md", &text);
    let mut args = vec!["pages", "edit", page, file.as_str()];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn every_roadmap_row_read_and_written_back_unchanged_sends_nothing() {
    let (sb, env, _) = setup();
    for row in ROWS {
        sb.clear_requests();
        let got = env.run(&["pages", "get", row]);
        ok(&got);
        // The fixture's rows carry their people's emails: no users are read.
        assert_eq!(count(&sb, "/v1/users"), 0, "{row}");
        let file = write(&env, "row.md", &got.stdout);
        sb.clear_requests();
        let dry = env.run(&["pages", "edit", row, &file, "--dry-run"]);
        ok(&dry);
        assert!(dry.stderr.contains("No changes"), "{row}: {}", dry.stderr);
        assert_eq!(dry.stdout, "", "{row}");
        let out = env.run(&["pages", "edit", row, &file]);
        ok(&out);
        assert!(out.stderr.contains("No changes"), "{row}: {}", out.stderr);
        assert_eq!(writes(&sb), Vec::<String>::new(), "{row}");
        assert_eq!(env.run(&["pages", "get", row]).stdout, got.stdout, "{row}");
    }
    let billing = env.run(&["pages", "get", ROWS[1]]);
    assert_eq!(
        field(&billing.stdout, "Owner"),
        "  Owner:\n  - alice@acme.test\n  - guest@acme.test",
        "{}",
        billing.stdout
    );
    for (key, line) in [
        ("Notes", "  Notes: Stripe \"webhooks\" and retries"),
        ("Estimate", "  Estimate: 13"),
        ("Status", "  Status: Done"),
        ("Due date", "  Due date: \"2025-02-01\""),
        ("Done", "  Done: true"),
    ] {
        assert_eq!(field(&billing.stdout, key), line, "{}", billing.stdout);
    }
}

#[test]
fn owner_is_set_by_email_me_and_name_and_then_reads_back_unchanged() {
    let (sb, env, token) = setup();
    let row = ROWS[0];
    let out = edit_owner(&env, row, "restricted@acme.test", &[]);
    ok(&out);
    assert_eq!(owner_ids(&sb, &token, row), [RITA_ID]);

    // A guest is not in the workspace's list: by id, or by name once on the page.
    let out = edit_owner(&env, row, "[me, Gus Guest]", &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("name a guest by user id"),
        "{}",
        out.stderr
    );
    ok(&edit_owner(&env, row, &format!("[me, {GUS_ID}]"), &[]));
    assert_eq!(owner_ids(&sb, &token, row), [ALICE_ID, GUS_ID]);
    ok(&edit_owner(&env, row, "[Gus Guest, Rita Restricted]", &[]));
    assert_eq!(owner_ids(&sb, &token, row), [GUS_ID, RITA_ID]);
    ok(&edit_owner(&env, row, "[me, guest@acme.test]", &[]));
    assert_eq!(owner_ids(&sb, &token, row), [ALICE_ID, GUS_ID]);

    // The API now gives only ids: they are shown by email, the users read once.
    sb.clear_requests();
    let got = env.run(&["pages", "get", row]);
    ok(&got);
    assert_eq!(
        field(&got.stdout, "Owner"),
        "  Owner:\n  - alice@acme.test\n  - guest@acme.test",
        "{}",
        got.stdout
    );
    assert_eq!(count(&sb, "/v1/users"), 1);
    let again = env.run(&["pages", "get", row]);
    assert_eq!(again.stdout, got.stdout, "the same text and content hash");
    let file = write(&env, "row.md", &got.stdout);
    sb.clear_requests();
    let out = env.run(&["pages", "edit", row, &file]);
    ok(&out);
    assert!(out.stderr.contains("No changes"), "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());

    // The same people named another way is no change either.
    sb.clear_requests();
    let out = edit_owner(
        &env,
        row,
        &format!("[Alice Example, {}]", GUS_ID.replace('-', "")),
        &[],
    );
    ok(&out);
    assert!(out.stderr.contains("No changes"), "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());

    // One person, given as a single value; a dry run shows who.
    let out = edit_owner(&env, row, "me", &["--dry-run"]);
    ok(&out);
    assert!(
        out.stdout
            .contains("Owner: [\"alice@acme.test\",\"guest@acme.test\"] → [\"alice@acme.test\"]"),
        "{}",
        out.stdout
    );
    assert_eq!(writes(&sb), Vec::<String>::new());
    ok(&edit_owner(&env, row, "ALICE@acme.test", &[]));
    assert_eq!(owner_ids(&sb, &token, row), [ALICE_ID]);
}

#[test]
fn people_who_are_not_there_are_errors_that_say_what_people_are() {
    let (sb, env, _) = setup();
    sb.clear_requests();
    for (value, says) in [
        (
            "nobody@acme.test",
            "nobody in this workspace has the email \"nobody@acme.test\"",
        ),
        (
            "Alice Exampel",
            "nobody in this workspace is named \"Alice Exampel\" (did you mean \"Alice Example\"?)",
        ),
    ] {
        let out = edit_owner(&env, DOCS_REVAMP, value, &[]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("error: property \"Owner\": {says}")),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("people are emails, names, `me` or user ids"),
            "{}",
            out.stderr
        );
    }
    let out = edit_owner(&env, DOCS_REVAMP, "{who: alice}", &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("property \"Owner\" (people) takes people (one, or a list), not a mapping"),
        "{}",
        out.stderr
    );
    assert_eq!(writes(&sb), Vec::<String>::new());
}

#[test]
fn a_token_that_cannot_list_users_still_shows_people_by_email() {
    let (sb, env, token) = setup();
    let row = ROWS[4];
    ok(&edit_owner(
        &env,
        row,
        "[guest@acme.test, restricted@acme.test]",
        &[],
    ));
    // Personal access tokens (and integrations without user capabilities) are refused
    // the list; each user is then read by id.
    sb.clear_requests();
    sb.fault(json!({"path_prefix": "/v1/users", "method": "GET", "status": 403, "count": 1}));
    let got = env.run(&["pages", "get", row]);
    ok(&got);
    assert_eq!(
        field(&got.stdout, "Owner"),
        "  Owner:\n  - guest@acme.test\n  - restricted@acme.test",
        "{}",
        got.stdout
    );
    assert_eq!(count(&sb, &format!("/v1/users/{GUS_ID}")), 1);
    // Naming someone new needs the list: the error says what works instead.
    sb.fault(json!({"path_prefix": "/v1/users", "method": "GET", "status": 403, "count": 1}));
    let text = got
        .stdout
        .replacen(&field(&got.stdout, "Owner"), "  Owner: alice@acme.test", 1);
    let file = write(&env, "row.md", &text);
    let out = env.run(&["pages", "edit", row, &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot list the workspace's people"),
        "{}",
        out.stderr
    );
    assert_eq!(owner_ids(&sb, &token, row), [GUS_ID, RITA_ID]);
}

#[test]
fn create_names_people_the_same_ways() {
    let (sb, env, token) = setup();
    let text = "---\ntitle: Hiring\nproperties:\n  Owner: [me, restricted@acme.test]\n---\nPlan.\n";
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("data-source:{ROADMAP_DS}"),
        "--content",
        text,
    ]);
    ok(&out);
    let id = out.stdout.trim().to_string();
    assert_eq!(owner_ids(&sb, &token, &id), [ALICE_ID, RITA_ID]);
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("data-source:{ROADMAP_DS}"),
        "--content",
        "---\ntitle: Nobody's\nproperties:\n  Owner: Nobody\n---\n",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("property \"Owner\": nobody in this workspace is named \"Nobody\""),
        "{}",
        out.stderr
    );
}

#[test]
fn bots_read_by_name_and_by_id_when_another_has_their_name() {
    let (sb, env, token) = setup();
    let row = DOCS_REVAMP;
    let bot_of = |t: &str| {
        api(&sb, t, "GET", "/v1/users/me", None)["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let bot = bot_of(&token);
    let other = bot_of(&sb.mint_token(ALICE, &sb.workspace("Acme")));
    let set = |ids: &[&str]| {
        let people: Vec<Value> = ids
            .iter()
            .map(|id| json!({"object": "user", "id": id}))
            .collect();
        api(
            &sb,
            &token,
            "PATCH",
            &format!("/v1/pages/{row}"),
            Some(json!({"properties": {"Owner": {"people": people}}})),
        );
    };
    let round_trip = |shown: &str| {
        let got = env.run(&["pages", "get", row]);
        ok(&got);
        assert_eq!(field(&got.stdout, "Owner"), shown, "{}", got.stdout);
        let file = write(&env, "row.md", &got.stdout);
        sb.clear_requests();
        let out = env.run(&["pages", "edit", row, &file]);
        ok(&out);
        assert!(out.stderr.contains("No changes"), "{}", out.stderr);
        assert_eq!(writes(&sb), Vec::<String>::new());
    };
    set(&[&bot, ALICE_ID]);
    round_trip("  Owner:\n  - Personal access token\n  - alice@acme.test");
    // Two bots of the same name: each is shown by its id.
    set(&[&bot, &other]);
    round_trip(&format!("  Owner:\n  - {bot}\n  - {other}"));
    // An id nobody knows is shown as it is.
    let ghost = "aaaaaaaa-0000-4000-8000-0000000000ff";
    set(&[ghost]);
    round_trip(&format!("  Owner:\n  - {ghost}"));
}
