mod common;

use common::*;
use serde_json::json;
use std::io::Read;

#[test]
fn prints_one_line_and_exits_zero_on_sigterm() {
    let mut sb = Sandbox::start();
    assert!(sb.base.starts_with("http://127.0.0.1:"));
    assert_ne!(sb.base, "http://127.0.0.1:0");
    assert_eq!(sb.get("/__sandbox/workspaces").status, 200);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &sb.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut rest = String::new();
    sb.stdout.take().unwrap().read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "nothing else on stdout");
    let code = sb.child.wait().expect("wait");
    assert_eq!(code.code(), Some(0));
}

#[test]
fn error_shapes_and_checks() {
    let sb = Sandbox::start();
    let t = sb.alice();
    // missing version (checked before auth)
    sb.raw("GET", "/v1/users/me", &[], None)
        .assert_error(400, "missing_version");
    let auth = format!("Bearer {t}");
    sb.raw("GET", "/v1/users/me", &[("Authorization", &auth)], None)
        .assert_error(400, "missing_version");
    // unauthorized
    sb.raw("GET", "/v1/users/me", &[("Notion-Version", VERSION)], None)
        .assert_error(401, "unauthorized");
    sb.api("GET", "/v1/users/me", "ntn_nope", None)
        .assert_error(401, "unauthorized");
    // old versions accepted
    let r = sb.raw(
        "GET",
        "/v1/users/me",
        &[("Authorization", &auth), ("Notion-Version", "2022-06-28")],
        None,
    );
    assert_eq!(r.status, 200);
    // unknown route and wrong method
    sb.api("GET", "/v1/nope", &t, None)
        .assert_error(400, "invalid_request_url");
    sb.raw("GET", "/v1/nope", &[], None)
        .assert_error(400, "invalid_request_url");
    sb.api("PUT", "/v1/users/me", &t, None)
        .assert_error(400, "invalid_request_url");
    // bad JSON
    let r = sb.raw(
        "POST",
        "/v1/search",
        &[("Authorization", &auth), ("Notion-Version", VERSION)],
        Some(b"{not json"),
    );
    r.assert_error(400, "invalid_json");
    // wrong types
    sb.api("POST", "/v1/search", &t, Some(json!({"query": 5})))
        .assert_error(400, "validation_error");
    sb.api("POST", "/v1/search", &t, Some(json!([1, 2])))
        .assert_error(400, "validation_error");
    sb.api("GET", "/v1/pages/not-a-uuid", &t, None)
        .assert_error(400, "validation_error");
    // not found
    sb.api(
        "GET",
        "/v1/pages/99999999-9999-4999-8999-999999999999",
        &t,
        None,
    )
    .assert_error(404, "object_not_found");
    // unknown non-/v1 route
    sb.get("/nothing/here")
        .assert_error(404, "object_not_found");
    // bad control bodies
    sb.post("/__sandbox/tokens", json!({"email": 1}))
        .assert_error(400, "validation_error");
}

#[test]
fn token_scoping_and_revocation() {
    let sb = Sandbox::start();
    let alice_acme = sb.alice();
    let alice_globex = sb.token("alice@acme.test", GLOBEX);
    let r = sb.api("GET", &format!("/v1/pages/{ACME_HOME}"), &alice_acme, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["object"], "page");
    sb.api(
        "GET",
        &format!("/v1/pages/{ACME_HOME}"),
        &alice_globex,
        None,
    )
    .assert_error(404, "object_not_found");
    sb.api(
        "GET",
        &format!("/v1/pages/{GLOBEX_HOME}"),
        &alice_acme,
        None,
    )
    .assert_error(404, "object_not_found");
    sb.api(
        "GET",
        &format!("/v1/data_sources/{TASKS_DS}"),
        &alice_globex,
        None,
    )
    .assert_error(404, "object_not_found");
    let me = sb.api("GET", "/v1/users/me", &alice_globex, None).json();
    assert_eq!(me["type"], "bot");
    assert_eq!(me["bot"]["workspace_id"], GLOBEX);
    assert_eq!(me["bot"]["workspace_name"], "Globex");
    assert_eq!(
        me["bot"]["workspace_limits"]["max_file_upload_size_in_bytes"],
        5242880
    );
    assert_eq!(me["bot"]["token_type"], "personal_access_token");
    assert_eq!(
        me["bot"]["owner"]["user"]["person"]["email"],
        "alice@acme.test"
    );
    // guests cannot get tokens
    sb.post(
        "/__sandbox/tokens",
        json!({"email": "guest@acme.test", "workspace_id": ACME}),
    )
    .assert_error(403, "restricted_resource");
    // revoke
    let r = sb.post("/__sandbox/tokens/revoke", json!({"token": alice_acme}));
    assert_eq!(r.json(), json!({"ok": true}));
    sb.api("GET", "/v1/users/me", &alice_acme, None)
        .assert_error(401, "unauthorized");
    // workspaces listing
    let ws = sb.get("/__sandbox/workspaces").json();
    assert_eq!(ws[0]["id"], ACME);
    assert!(
        ws[0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "guest@acme.test" && m["role"] == "guest")
    );
}

#[test]
fn pages_blocks_comments() {
    let sb = Sandbox::start();
    let t = sb.alice();
    // create a page under a page with children
    let r = sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({
            "parent": {"page_id": ACME_HOME},
            "properties": {"title": {"title": [{"text": {"content": "New page"}}]}},
            "children": [{"object": "block", "type": "paragraph",
                          "paragraph": {"rich_text": [{"type": "text", "text": {"content": "hi"}}]}}]
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let page = r.json();
    let pid = page["id"].as_str().unwrap().to_string();
    assert_eq!(
        page["properties"]["title"]["title"][0]["plain_text"],
        "New page"
    );
    let auth = format!("Bearer {t}");
    let md = sb
        .raw(
            "GET",
            &format!("/v1/pages/{pid}/markdown"),
            &[("Authorization", &auth), ("Notion-Version", "2026-03-11")],
            None,
        )
        .json();
    assert_eq!(md["markdown"], "hi\n");
    // append, update, delete a block
    let r = sb.api(
        "PATCH",
        &format!("/v1/blocks/{pid}/children"),
        &t,
        Some(json!({"children": [{"to_do": {"rich_text": [{"text": {"content": "task"}}]}}]})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let bid = r.json()["results"][0]["id"].as_str().unwrap().to_string();
    let r = sb.api(
        "PATCH",
        &format!("/v1/blocks/{bid}"),
        &t,
        Some(json!({"to_do": {"checked": true}})),
    );
    assert_eq!(r.json()["to_do"]["checked"], true);
    let kids = sb
        .api("GET", &format!("/v1/blocks/{pid}/children"), &t, None)
        .json();
    assert_eq!(kids["results"].as_array().unwrap().len(), 2);
    let r = sb.api("DELETE", &format!("/v1/blocks/{bid}"), &t, None);
    assert_eq!(r.json()["in_trash"], true);
    let kids = sb
        .api("GET", &format!("/v1/blocks/{pid}/children"), &t, None)
        .json();
    assert_eq!(kids["results"].as_array().unwrap().len(), 1);
    let too_many: Vec<_> = (0..101).map(|_| json!({"divider": {}})).collect();
    sb.api(
        "PATCH",
        &format!("/v1/blocks/{pid}/children"),
        &t,
        Some(json!({"children": too_many})),
    )
    .assert_error(400, "validation_error");
    // a row in the data source
    let r = sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({"parent": {"data_source_id": TASKS_DS},
                    "properties": {"Name": {"title": [{"text": {"content": "Row"}}]},
                                   "Status": {"select": {"name": "Done"}},
                                   "Priority": {"number": 3}}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let row = r.json();
    assert_eq!(row["properties"]["Status"]["select"]["name"], "Done");
    sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({"parent": {"data_source_id": TASKS_DS},
        "properties": {"Nope": {"number": 1}}})),
    )
    .assert_error(400, "validation_error");
    sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({"parent": {"data_source_id": TASKS_DS},
        "properties": {"Priority": {"number": "x"}}})),
    )
    .assert_error(400, "validation_error");
    let rid = row["id"].as_str().unwrap();
    let r = sb.api(
        "PATCH",
        &format!("/v1/pages/{rid}"),
        &t,
        Some(json!({"properties": {"Done": {"checkbox": true}}, "in_trash": true})),
    );
    assert_eq!(r.json()["properties"]["Done"]["checkbox"], true);
    assert_eq!(r.json()["in_trash"], true);
    // database / data source
    let db = sb
        .api("GET", &format!("/v1/databases/{TASKS_DB}"), &t, None)
        .json();
    assert_eq!(db["data_sources"][0]["id"], TASKS_DS);
    let ds = sb
        .api("GET", &format!("/v1/data_sources/{TASKS_DS}"), &t, None)
        .json();
    assert_eq!(ds["properties"]["Status"]["type"], "select");
    // comments
    let c = sb
        .api(
            "GET",
            &format!("/v1/comments?block_id={ACME_HOME}"),
            &t,
            None,
        )
        .json();
    assert_eq!(c["results"].as_array().unwrap().len(), 2);
    assert_eq!(c["type"], "comment");
    let r = sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": ACME_HOME},
        "rich_text": [{"text": {"content": "new comment"}}]})),
    );
    assert_eq!(r.json()["rich_text"][0]["plain_text"], "new comment");
    let c = sb
        .api(
            "GET",
            &format!("/v1/comments?block_id={ACME_HOME}&page_size=2"),
            &t,
            None,
        )
        .json();
    assert_eq!(c["has_more"], true);
    let next = c["next_cursor"].as_str().unwrap();
    let c2 = sb
        .api(
            "GET",
            &format!("/v1/comments?block_id={ACME_HOME}&start_cursor={next}"),
            &t,
            None,
        )
        .json();
    assert_eq!(
        c2["results"][0]["rich_text"][0]["plain_text"],
        "new comment"
    );
    sb.api("GET", "/v1/comments", &t, None)
        .assert_error(400, "validation_error");
}
