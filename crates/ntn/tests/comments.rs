//! `ntn comments` against the sandbox's comments (as Notion has them: unresolved only,
//! oldest first, per page or block, discussions, up to three attachments, capabilities):
//! threads grouped and ordered, `--blocks` finding comments on nested blocks, adding with
//! Markdown, mentions and attachments, a fourth attachment refused before any request,
//! replies by comment id, deletes that need a confirmation, the hints of 403 and 404, and
//! the output shapes.

mod common;

use common::pages::{api, setup, write};
use common::{Out, Sandbox};
use serde_json::{Value, json};

const HANDBOOK: &str = "a1000000-0000-4000-8000-000000000020";
const FIRST: &str = "e8000000-0000-4000-8000-000000000001";
const REPLY_ALICE: &str = "e8000000-0000-4000-8000-000000000002";
const REPLY_BOT: &str = "e8000000-0000-4000-8000-000000000003";
const SECOND: &str = "e8000000-0000-4000-8000-000000000004";
const RESOLVED: &str = "e8000000-0000-4000-8000-000000000005";
const IN_TOGGLE: &str = "e8000000-0000-4000-8000-000000000006";
const IN_COLUMN: &str = "e8000000-0000-4000-8000-000000000007";
const DISCUSSION: &str = "e9000000-0000-4000-8000-000000000001";
const TOGGLE_PARAGRAPH: &str = "c8000000-0000-4000-8000-000000000005";

fn ok(out: &Out) {
    assert_eq!(
        out.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
}

fn posts(sb: &Sandbox) -> Vec<Value> {
    sb.requests()
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .collect()
}

fn ids(plain: &str) -> Vec<String> {
    plain
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap_or("").to_string())
        .collect()
}

#[test]
fn threads_are_grouped_oldest_first_and_resolved_ones_are_never_listed() {
    let (_sb, env, _token) = setup();
    let out = env.run(&["comments", "list", HANDBOOK, "--plain"]);
    ok(&out);
    assert_eq!(ids(&out.stdout), [FIRST, REPLY_ALICE, REPLY_BOT, SECOND]);
    let first: Vec<&str> = out.stdout.lines().next().unwrap().split('\t').collect();
    assert_eq!(first[0], DISCUSSION);
    assert_eq!(first[4], "page");
    assert!(first[5].contains("**"), "bold kept as Markdown: {first:?}");
    assert!(!out.stdout.contains(RESOLVED));
    assert!(out.stderr.contains("resolved comments"), "{}", out.stderr);
    // JSON: Notion's comment objects, thread by thread.
    let out = env.run(&["comments", "list", HANDBOOK, "--json"]);
    ok(&out);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let got: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [FIRST, REPLY_ALICE, REPLY_BOT, SECOND]);
    assert_eq!(v[0]["object"], "comment");
    // A table on a terminal: replies marked under their discussion.
    let out = env.run_with(
        &["comments", "list", HANDBOOK],
        ntn::output::TestUi::new().terminal(200),
    );
    ok(&out);
    assert!(out.stdout.contains("↳"), "{}", out.stdout);
}

#[test]
fn blocks_finds_comments_on_nested_blocks() {
    let (_sb, env, _token) = setup();
    let out = env.run(&["comments", "list", HANDBOOK, "--blocks", "--plain"]);
    ok(&out);
    let got = ids(&out.stdout);
    for want in [FIRST, SECOND, IN_TOGGLE, IN_COLUMN] {
        assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
    }
    let toggle = out.stdout.lines().find(|l| l.contains(IN_TOGGLE)).unwrap();
    assert!(toggle.contains(TOGGLE_PARAGRAPH), "{toggle}");
}

#[test]
fn add_with_markdown_a_mention_and_two_attachments() {
    let (sb, env, _token) = setup();
    let a = write(&env, "a.png", "not really a png, but bytes");
    let b = write(&env, "b.txt", "notes");
    let out = env.run(&[
        "comments",
        "add",
        HANDBOOK,
        "Looks **good**, @alice@acme.test",
        "--attach",
        &a,
        "--attach",
        &b,
        "--json",
    ]);
    ok(&out);
    let c: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(c["parent"]["page_id"], HANDBOOK);
    assert_eq!(c["attachments"].as_array().unwrap().len(), 2);
    let rt = c["rich_text"].as_array().unwrap();
    assert!(rt.iter().any(|t| t["annotations"]["bold"] == true));
    assert!(rt.iter().any(|t| t["type"] == "mention"), "{rt:?}");
    let sent = posts(&sb)
        .into_iter()
        .find(|r| r["path"] == "/v1/comments")
        .unwrap();
    assert!(
        sent["body"]["markdown"]
            .as_str()
            .unwrap()
            .contains("<mention-user"),
        "{sent}"
    );
    // On a block, found out as a block.
    let out = env.run(&[
        "comments",
        "add",
        TOGGLE_PARAGRAPH,
        "On the block",
        "--json",
    ]);
    ok(&out);
    let c: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(c["parent"]["block_id"], TOGGLE_PARAGRAPH);
}

#[test]
fn a_fourth_attachment_is_refused_before_any_request() {
    let (sb, env, _token) = setup();
    let files: Vec<String> = (0..4)
        .map(|i| write(&env, &format!("f{i}.txt"), "x"))
        .collect();
    sb.clear_requests();
    let mut args = vec!["comments", "add", HANDBOOK, "Four files"];
    for f in &files {
        args.extend(["--attach", f.as_str()]);
    }
    let out = env.run(&args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("at most 3"), "{}", out.stderr);
    assert_eq!(sb.requests().len(), 0, "{:?}", sb.requests());
}

#[test]
fn a_reply_by_comment_id_joins_its_discussion_and_edit_and_delete_work() {
    let (_sb, env, _token) = setup();
    let out = env.run(&["comments", "reply", REPLY_BOT, "Agreed.", "--json"]);
    ok(&out);
    let c: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(c["discussion_id"], DISCUSSION);
    let id = c["id"].as_str().unwrap().to_string();
    ok(&env.run(&["comments", "edit", &id, "Agreed, *strongly*."]));
    let list = env.run(&["comments", "list", HANDBOOK, "--plain"]);
    assert!(
        list.stdout.contains("Agreed, *strongly*."),
        "{}",
        list.stdout
    );
    // Without a terminal, a delete needs --yes.
    let out = env.run(&["comments", "delete", &id]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    ok(&env.run(&["comments", "delete", &id, "--yes"]));
    // Someone else's comment: Notion answers 404, and ntn says why.
    let out = env.run(&["comments", "edit", FIRST, "Not mine"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("only its own"), "{}", out.stderr);
    let list = env.run(&["comments", "list", HANDBOOK, "--plain"]);
    assert!(!list.stdout.contains(&id));
}

#[test]
fn a_403_names_the_capability_and_a_404_says_share_the_page() {
    let (sb, env, _token) = setup();
    let (status, _) = sb.post(
        "/__sandbox/capabilities",
        &json!({"read_comments": false, "insert_comments": false}),
    );
    assert_eq!(status, 200);
    let out = env.run(&["comments", "list", HANDBOOK]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("Read comments"), "{}", out.stderr);
    assert!(out.stderr.contains("Capabilities"), "{}", out.stderr);
    sb.post("/__sandbox/capabilities", &json!({"read_comments": true}));
    let out = env.run(&["comments", "reply", DISCUSSION, "hi"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("Insert comments"), "{}", out.stderr);
    sb.post(
        "/__sandbox/capabilities",
        &json!({"read_comments": true, "insert_comments": true}),
    );
    let out = env.run(&["comments", "list", "a1000000-0000-4000-8000-0000000000ff"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr.contains("not shared with the connection"),
        "{}",
        out.stderr
    );
}

#[test]
fn comments_of_the_api_are_the_same_objects_ntn_lists() {
    let (sb, env, token) = setup();
    let direct = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/comments?block_id={HANDBOOK}"),
        None,
    );
    let out = env.run(&["comments", "list", HANDBOOK, "--ndjson"]);
    ok(&out);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), direct["results"].as_array().unwrap().len());
    assert_eq!(lines[0], direct["results"][0]);
}
