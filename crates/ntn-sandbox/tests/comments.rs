//! Comments over HTTP: the fixture's discussions on the Handbook page and its nested blocks,
//! create (page, block, reply; rich text or Markdown; attachments; display names), retrieve,
//! update, delete, and the comment capabilities.

mod common;

use common::*;
use serde_json::{Value, json};

const HANDBOOK: &str = "a1000000-0000-4000-8000-000000000020";
const TOGGLE_PARA: &str = "c8000000-0000-4000-8000-000000000005";
const COLUMN_PARA: &str = "c8000000-0000-4000-8000-000000000008";
const THREAD: &str = "e9000000-0000-4000-8000-000000000001";
const ALICE: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const BOT: &str = "ab000000-0000-4000-8000-000000000001";

fn cid(n: u32) -> String {
    format!("e8000000-0000-4000-8000-{n:012}")
}

fn list(sb: &Sandbox, t: &str, id: &str) -> Vec<Value> {
    let r = sb.api("GET", &format!("/v1/comments?block_id={id}"), t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["type"], "comment");
    v["results"].as_array().unwrap().clone()
}

fn ids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn create(sb: &Sandbox, t: &str, body: Value) -> Value {
    let r = sb.api("POST", "/v1/comments", t, Some(body));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn message(r: &Resp) -> String {
    r.assert_error(400, "validation_error")["message"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn fixture_discussions_are_listed_per_target_oldest_first_without_resolved() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let page = list(&sb, &t, HANDBOOK);
    // Not the resolved one (5), not those on nested blocks (6, 7).
    assert_eq!(ids(&page), [cid(1), cid(2), cid(3), cid(4)]);
    let first = &page[0];
    assert_eq!(first["object"], "comment");
    assert_eq!(
        first["parent"],
        json!({"type": "page_id", "page_id": HANDBOOK})
    );
    assert_eq!(first["discussion_id"], THREAD);
    assert_eq!(first["created_time"], "2025-01-06T09:00:00.000Z");
    assert_eq!(first["last_edited_time"], "2025-01-06T09:00:00.000Z");
    assert_eq!(first["created_by"], json!({"object": "user", "id": ALICE}));
    assert_eq!(
        first["display_name"],
        json!({"type": "user", "resolved_name": "Alice Example"})
    );
    assert_eq!(first["attachments"], json!([]));
    // A bold word and a link, from the fixture's Markdown.
    let rt = first["rich_text"].as_array().unwrap();
    assert!(
        rt.iter()
            .any(|r| r["plain_text"] == "handbook" && r["annotations"]["bold"] == true),
        "{rt:?}"
    );
    assert!(
        rt.iter()
            .any(|r| r["plain_text"] == "Onboarding" && r["href"] == "https://acme.test/onboarding"),
        "{rt:?}"
    );
    // One thread of three: alice's, her reply, a bot's reply.
    for c in &page[..3] {
        assert_eq!(c["discussion_id"], THREAD);
    }
    assert_eq!(page[2]["created_by"]["id"], BOT);
    assert_eq!(
        page[2]["display_name"],
        json!({"type": "integration", "resolved_name": "Handbook Bot"})
    );
    assert_ne!(page[3]["discussion_id"], THREAD);
    // Block comments: on the paragraph in the toggle and the one in a column.
    let b = list(&sb, &t, TOGGLE_PARA);
    assert_eq!(ids(&b), [cid(6)]);
    assert_eq!(
        b[0]["parent"],
        json!({"type": "block_id", "block_id": TOGGLE_PARA})
    );
    assert_eq!(ids(&list(&sb, &t, COLUMN_PARA)), [cid(7)]);
    // The toggle itself has none (its child's are not its own).
    assert!(list(&sb, &t, "c8000000-0000-4000-8000-000000000004").is_empty());
    // The resolved comment can still be read by id.
    let r = sb.api("GET", &format!("/v1/comments/{}", cid(5)), &t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    // Pagination over the page's four.
    let r = sb
        .api(
            "GET",
            &format!("/v1/comments?block_id={HANDBOOK}&page_size=3"),
            &t,
            None,
        )
        .json();
    assert_eq!(r["has_more"], true);
    assert_eq!(r["next_cursor"], cid(4));
    let r = sb
        .api(
            "GET",
            &format!("/v1/comments?block_id={HANDBOOK}&start_cursor={}", cid(4)),
            &t,
            None,
        )
        .json();
    assert_eq!(ids(r["results"].as_array().unwrap()), [cid(4)]);
    assert_eq!(r["has_more"], false);
    // Another workspace's token cannot see the page.
    let bob = sb.token("bob@globex.test", GLOBEX);
    sb.api(
        "GET",
        &format!("/v1/comments?block_id={HANDBOOK}"),
        &bob,
        None,
    )
    .assert_error(404, "object_not_found");
    sb.api("GET", &format!("/v1/comments/{}", cid(1)), &bob, None)
        .assert_error(404, "object_not_found");
    // Acme Home and Globex Home keep their comments.
    assert_eq!(list(&sb, &t, ACME_HOME).len(), 2);
    assert_eq!(list(&sb, &bob, GLOBEX_HOME).len(), 1);
}

#[test]
fn create_on_page_block_and_reply() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let me = sb.api("GET", "/v1/users/me", &t, None).json();
    let bot = me["id"].as_str().unwrap();
    let c = create(
        &sb,
        &t,
        json!({"parent": {"page_id": HANDBOOK},
               "rich_text": [{"text": {"content": "Page note"}}]}),
    );
    assert_eq!(c["object"], "comment");
    assert_eq!(c["parent"], json!({"type": "page_id", "page_id": HANDBOOK}));
    assert_eq!(c["created_by"], json!({"object": "user", "id": bot}));
    assert_eq!(
        c["display_name"],
        json!({"type": "integration", "resolved_name": "Personal access token"})
    );
    assert_eq!(c["created_time"], c["last_edited_time"]);
    let d = c["discussion_id"].as_str().unwrap();
    assert_ne!(d, THREAD);
    // A block comment starts its own discussion, Markdown body.
    let b = create(
        &sb,
        &t,
        json!({"parent": {"block_id": COLUMN_PARA},
               "markdown": "Use **bold**, *it*, ~~old~~, `code`, [link](https://x.test) and <mention-user url=\"user://aaaaaaaa-0000-4000-8000-000000000001\">Alice Example</mention-user>",
               "display_name": {"type": "custom", "custom": {"name": "Reviewer"}}}),
    );
    assert_eq!(
        b["parent"],
        json!({"type": "block_id", "block_id": COLUMN_PARA})
    );
    assert_ne!(b["discussion_id"], d);
    assert_eq!(
        b["display_name"],
        json!({"type": "custom", "resolved_name": "Reviewer"})
    );
    let rt = b["rich_text"].as_array().unwrap();
    let find = |text: &str| {
        rt.iter()
            .find(|r| r["plain_text"] == text)
            .unwrap_or_else(|| panic!("no {text}: {rt:?}"))
    };
    assert_eq!(find("bold")["annotations"]["bold"], true);
    assert_eq!(find("it")["annotations"]["italic"], true);
    assert_eq!(find("old")["annotations"]["strikethrough"], true);
    assert_eq!(find("code")["annotations"]["code"], true);
    assert_eq!(find("link")["href"], "https://x.test");
    assert!(
        rt.iter()
            .any(|r| r["type"] == "mention" && r["mention"]["user"]["id"] == ALICE),
        "{rt:?}"
    );
    // A reply joins the fixture's thread, on its parent; display name of the token's user.
    let r = create(
        &sb,
        &t,
        json!({"discussion_id": THREAD, "rich_text": [{"text": {"content": "Me too"}}],
               "display_name": {"type": "user"}}),
    );
    assert_eq!(r["discussion_id"], THREAD);
    assert_eq!(r["parent"], json!({"type": "page_id", "page_id": HANDBOOK}));
    assert_eq!(
        r["display_name"],
        json!({"type": "user", "resolved_name": "Alice Example"})
    );
    let page = list(&sb, &t, HANDBOOK);
    assert_eq!(page.len(), 6);
    assert_eq!(page[5]["id"], r["id"]);
    assert_eq!(list(&sb, &t, COLUMN_PARA).len(), 2);
    // Unknown targets and threads.
    let missing = "a1000000-0000-4000-8000-000000000999";
    sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"discussion_id": missing, "markdown": "x"})),
    )
    .assert_error(404, "object_not_found");
    sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": missing}, "markdown": "x"})),
    )
    .assert_error(404, "object_not_found");
    // A block id is no page id.
    sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": COLUMN_PARA}, "markdown": "x"})),
    )
    .assert_error(404, "object_not_found");
}

#[test]
fn create_validation() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let post = |b: Value| sb.api("POST", "/v1/comments", &t, Some(b));
    let m = message(&post(json!({"markdown": "x"})));
    assert!(
        m.contains("body.parent should be defined") && m.contains("body.discussion_id"),
        "{m}"
    );
    let m = message(&post(
        json!({"parent": {"page_id": HANDBOOK}, "discussion_id": THREAD, "markdown": "x"}),
    ));
    assert!(
        m.contains("only one of body.parent and body.discussion_id"),
        "{m}"
    );
    let m = message(&post(
        json!({"parent": {"page_id": HANDBOOK, "block_id": TOGGLE_PARA}, "markdown": "x"}),
    ));
    assert!(m.contains("body.parent.page_id"), "{m}");
    let m = message(&post(json!({"parent": {"page_id": HANDBOOK}})));
    assert!(
        m.contains("body.rich_text should be defined") && m.contains("body.markdown"),
        "{m}"
    );
    let m = message(&post(
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "x",
        "rich_text": [{"text": {"content": "y"}}]}),
    ));
    assert!(m.contains("should not both be present"), "{m}");
    let m = message(&post(
        json!({"parent": {"page_id": HANDBOOK}, "markdown": 5}),
    ));
    assert!(m.contains("body.markdown should be a string"), "{m}");
    let m = message(&post(
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "x", "display_name": {"type": "custom"}}),
    ));
    assert!(m.contains("body.display_name"), "{m}");
    let m = message(&post(
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "x", "display_name": {"type": "bot"}}),
    ));
    assert!(m.contains("body.display_name"), "{m}");
    // Nothing was created.
    assert_eq!(list(&sb, &t, HANDBOOK).len(), 4);
}

/// A completed single-part upload; its id.
fn upload(sb: &Sandbox, t: &str, filename: &str, content_type: &str, bytes: &[u8]) -> String {
    let r = sb.api(
        "POST",
        "/v1/file_uploads",
        t,
        Some(json!({"filename": filename, "content_type": content_type})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let (ct, body) = multipart(&[("file", Some(filename), bytes)]);
    let auth = format!("Bearer {t}");
    let r = sb.raw(
        "POST",
        &format!("/v1/file_uploads/{id}/send"),
        &[
            ("Authorization", &auth),
            ("Notion-Version", VERSION),
            ("Content-Type", &ct),
        ],
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "uploaded");
    id
}

#[test]
fn attachments_up_to_three_completed_uploads() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let png = upload(&sb, &t, "shot.png", "image/png", b"not really a png");
    let pdf = upload(&sb, &t, "spec.pdf", "application/pdf", b"%PDF-1.4");
    let doc = upload(&sb, &t, "notes.txt", "text/plain", b"hello notes");
    let att = |ids: &[&str]| -> Value {
        ids.iter()
            .map(|i| json!({"file_upload_id": i, "type": "file_upload"}))
            .collect()
    };
    let c = create(
        &sb,
        &t,
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "files",
               "attachments": att(&[&png, &pdf, &doc])}),
    );
    let a = c["attachments"].as_array().unwrap();
    let cats: Vec<&str> = a.iter().map(|x| x["category"].as_str().unwrap()).collect();
    assert_eq!(cats, ["image", "pdf", "productivity"]);
    // The URL is signed, on this sandbox's /__files, and serves the bytes.
    let url = a[2]["file"]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/__files/", sb.base)), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(a[2]["file"]["expiry_time"].is_string());
    let path = url.strip_prefix(&sb.base).unwrap();
    let r = sb.get(path);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello notes");
    // Read again: the same attachments, freshly signed.
    let again = sb
        .api(
            "GET",
            &format!("/v1/comments/{}", c["id"].as_str().unwrap()),
            &t,
            None,
        )
        .json();
    assert_eq!(again["attachments"][0]["category"], "image");
    // A fourth is refused, and so is an unknown or pending upload, or another workspace's.
    let more = upload(&sb, &t, "more.txt", "text/plain", b"x");
    let r = sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": HANDBOOK}, "markdown": "x",
                    "attachments": att(&[&png, &pdf, &doc, &more])})),
    );
    assert!(message(&r).contains("attachments"), "{}", r.body);
    let pending = sb
        .api(
            "POST",
            "/v1/file_uploads",
            &t,
            Some(json!({"filename": "p.txt"})),
        )
        .json();
    let pending = pending["id"].as_str().unwrap();
    for bad in [pending, "a1000000-0000-4000-8000-000000000999"] {
        let r = sb.api(
            "POST",
            "/v1/comments",
            &t,
            Some(json!({"parent": {"page_id": HANDBOOK}, "markdown": "x",
                        "attachments": att(&[bad])})),
        );
        r.assert_error(400, "validation_error");
    }
    let bob = sb.token("bob@globex.test", GLOBEX);
    let theirs = upload(&sb, &bob, "g.txt", "text/plain", b"g");
    sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": HANDBOOK}, "markdown": "x",
                    "attachments": att(&[&theirs])})),
    )
    .assert_error(400, "validation_error");
    // Only the one comment was made.
    assert_eq!(list(&sb, &t, HANDBOOK).len(), 5);
}

#[test]
fn retrieve_update_delete_own_comments_only() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let c = create(
        &sb,
        &t,
        json!({"parent": {"block_id": TOGGLE_PARA}, "markdown": "draft"}),
    );
    let id = c["id"].as_str().unwrap();
    let got = sb
        .api("GET", &format!("/v1/comments/{id}"), &t, None)
        .json();
    assert_eq!(got, c);
    // Edit: Markdown or rich text, exactly one; last_edited_time moves on the store's clock.
    let r = sb.api(
        "PATCH",
        &format!("/v1/comments/{id}"),
        &t,
        Some(json!({"markdown": "final **text**"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let e = r.json();
    assert_eq!(e["rich_text"][1]["plain_text"], "text");
    assert_eq!(e["rich_text"][1]["annotations"]["bold"], true);
    assert_eq!(e["created_time"], c["created_time"]);
    assert_eq!(e["discussion_id"], c["discussion_id"]);
    let r = sb.api(
        "PATCH",
        &format!("/v1/comments/{id}"),
        &t,
        Some(json!({"rich_text": [{"text": {"content": "plain"}}]})),
    );
    assert_eq!(r.json()["rich_text"][0]["plain_text"], "plain");
    message(&sb.api("PATCH", &format!("/v1/comments/{id}"), &t, Some(json!({}))));
    // Another integration's comment (another token's bot, or a fixture user's) is not
    // found for update or delete (reference/update-a-comment, delete-a-comment).
    let other = sb.alice();
    for (who, target) in [(&other, id.to_string()), (&t, cid(1))] {
        sb.api(
            "PATCH",
            &format!("/v1/comments/{target}"),
            who,
            Some(json!({"markdown": "hijack"})),
        )
        .assert_error(404, "object_not_found");
        sb.api("DELETE", &format!("/v1/comments/{target}"), who, None)
            .assert_error(404, "object_not_found");
    }
    // Yet it reads it.
    assert_eq!(
        sb.api("GET", &format!("/v1/comments/{id}"), &other, None)
            .status,
        200
    );
    // Delete answers the comment, then it is gone from reads and lists.
    let r = sb.api("DELETE", &format!("/v1/comments/{id}"), &t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["id"], id);
    assert_eq!(r.json()["object"], "comment");
    sb.api("GET", &format!("/v1/comments/{id}"), &t, None)
        .assert_error(404, "object_not_found");
    sb.api("DELETE", &format!("/v1/comments/{id}"), &t, None)
        .assert_error(404, "object_not_found");
    assert_eq!(ids(&list(&sb, &t, TOGGLE_PARA)), [cid(6)]);
    sb.api("GET", "/v1/comments/not-a-uuid", &t, None)
        .assert_error(400, "validation_error");
}

#[test]
fn capabilities_gate_reads_and_writes() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let bob = sb.token("bob@globex.test", GLOBEX);
    let mine = create(
        &sb,
        &t,
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "x"}),
    );
    let mine = mine["id"].as_str().unwrap();
    let r = sb.post(
        "/__sandbox/capabilities",
        json!({"workspace_id": ACME, "read_comments": false}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"read_comments": false, "insert_comments": true})
    );
    let denied = |r: Resp| {
        let v = r.assert_error(403, "restricted_resource");
        assert_eq!(v["message"], "Insufficient permissions for this endpoint.");
    };
    denied(sb.api(
        "GET",
        &format!("/v1/comments?block_id={HANDBOOK}"),
        &t,
        None,
    ));
    denied(sb.api("GET", &format!("/v1/comments/{mine}"), &t, None));
    // Inserting still works; the other workspace is untouched.
    create(
        &sb,
        &t,
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "y"}),
    );
    assert_eq!(list(&sb, &bob, GLOBEX_HOME).len(), 1);
    sb.post(
        "/__sandbox/capabilities",
        json!({"workspace_id": ACME, "read_comments": true, "insert_comments": false}),
    );
    denied(sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": HANDBOOK}, "markdown": "z"})),
    ));
    denied(sb.api(
        "PATCH",
        &format!("/v1/comments/{mine}"),
        &t,
        Some(json!({"markdown": "z"})),
    ));
    denied(sb.api("DELETE", &format!("/v1/comments/{mine}"), &t, None));
    assert_eq!(list(&sb, &t, HANDBOOK).len(), 6);
    // Without a workspace: every workspace, overrides dropped.
    sb.post(
        "/__sandbox/capabilities",
        json!({"read_comments": false, "insert_comments": false}),
    );
    denied(sb.api(
        "GET",
        &format!("/v1/comments?block_id={GLOBEX_HOME}"),
        &bob,
        None,
    ));
    denied(sb.api(
        "GET",
        &format!("/v1/comments?block_id={HANDBOOK}"),
        &t,
        None,
    ));
    let r = sb.post(
        "/__sandbox/capabilities",
        json!({"read_comments": true, "insert_comments": true}),
    );
    assert_eq!(
        r.json(),
        json!({"read_comments": true, "insert_comments": true})
    );
    assert_eq!(list(&sb, &t, HANDBOOK).len(), 6);
    // Bad control requests.
    assert_eq!(
        sb.post("/__sandbox/capabilities", json!({"workspace_id": "nope"}))
            .status,
        404
    );
    assert_eq!(
        sb.post("/__sandbox/capabilities", json!({"read": true}))
            .status,
        400
    );
}

/// A request to an in-process sandbox: `(status, JSON)`.
fn call(
    sb: &ntn_sandbox::RunningSandbox,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(sb.url(path))
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        req = req
            .header("Authorization", format!("Bearer {t}"))
            .header("Notion-Version", VERSION);
    }
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut resp = agent.run(req.body(body).expect("request")).expect("sent");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    (status, serde_json::from_str(&text).expect("JSON"))
}

#[test]
fn times_follow_the_store_clock() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    // 2026-12-07T12:00:00.000Z
    let now = Arc::new(AtomicI64::new(1_796_644_800_000));
    let clock = now.clone();
    let sb = ntn_sandbox::spawn_with_clock(
        &ntn_sandbox::Options::default(),
        Arc::new(move || clock.load(Ordering::SeqCst)),
    )
    .unwrap();
    let (_, t) = call(
        &sb,
        "POST",
        "/__sandbox/tokens",
        None,
        json!({"email": "alice@acme.test", "workspace_id": ACME}),
    );
    let t = t["token"].as_str().unwrap().to_string();
    let (st, c) = call(
        &sb,
        "POST",
        "/v1/comments",
        Some(&t),
        json!({"parent": {"page_id": HANDBOOK}, "markdown": "first"}),
    );
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["created_time"], "2026-12-07T12:00:00.000Z");
    assert_eq!(c["last_edited_time"], "2026-12-07T12:00:00.000Z");
    now.fetch_add(90_500, Ordering::SeqCst);
    let id = c["id"].as_str().unwrap();
    let (st, e) = call(
        &sb,
        "PATCH",
        &format!("/v1/comments/{id}"),
        Some(&t),
        json!({"markdown": "second"}),
    );
    assert_eq!(st, 200, "{e}");
    assert_eq!(e["created_time"], "2026-12-07T12:00:00.000Z");
    assert_eq!(e["last_edited_time"], "2026-12-07T12:01:30.500Z");
}
