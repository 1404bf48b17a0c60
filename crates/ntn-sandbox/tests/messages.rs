//! The exact texts of validation errors (property values, rich text) and of start-up
//! failures, which clients and people read.

mod common;

use common::*;
use serde_json::{Value, json};
use std::process::{Command, Stdio};

/// The message of a 400 `validation_error`.
fn validation_message(r: &Resp) -> String {
    let v = r.assert_error(400, "validation_error");
    v["message"].as_str().expect("message").to_string()
}

#[test]
fn property_and_rich_text_input_errors() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let row = |props: Value| {
        let r = sb.api(
            "POST",
            "/v1/pages",
            &t,
            Some(json!({"parent": {"data_source_id": TASKS_DS}, "properties": props})),
        );
        validation_message(&r)
    };
    assert_eq!(
        row(json!({"Priority": {"select": {"name": "x"}}})),
        "Priority is expected to be number. Provide `{\"number\": ...}`."
    );
    assert_eq!(
        row(json!({"Priority": {"number": "x"}})),
        "Priority.number should be a number or `null`, instead was `\"x\"`."
    );
    assert_eq!(
        row(json!({"Done": {"checkbox": 1}})),
        "Done.checkbox should be a boolean, instead was `1`."
    );
    assert_eq!(
        row(json!({"Tags": {"multi_select": {"name": "x"}}})),
        "Tags.multi_select should be an array, instead was `{\"name\":\"x\"}`."
    );
    assert_eq!(
        row(json!({"Name": {"title": "x"}})),
        "Name.title should be an array, instead was `\"x\"`."
    );
    assert_eq!(
        row(json!({"Name": {"title": [{}]}})),
        "Name.title[].text.content should be defined, instead was `undefined`."
    );
    assert_eq!(
        row(json!({"Status": {"select": {"color": "red"}}})),
        "Status: select option should have a `name`, instead was `{\"color\":\"red\"}`."
    );
    assert_eq!(
        row(json!({"Status": {"select": {"name": "a,b"}}})),
        "Status: select option names cannot contain commas."
    );

    // A page under a page: only a title.
    let r = sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({"parent": {"page_id": ACME_HOME}, "properties": {"title": {"title": 5}}})),
    );
    assert_eq!(
        validation_message(&r),
        "body.properties.title.title should be an array, instead was `5`."
    );
    // Comments and blocks prefix the body path.
    let r = sb.api(
        "POST",
        "/v1/comments",
        &t,
        Some(json!({"parent": {"page_id": ACME_HOME}, "rich_text": 5})),
    );
    assert_eq!(
        validation_message(&r),
        "body failed validation: body.rich_text should be an array, instead was `5`."
    );
    let r = sb.api(
        "PATCH",
        &format!("/v1/blocks/{ACME_HOME}/children"),
        &t,
        Some(json!({"children": [{"paragraph": {"rich_text": [{"bold": true}]}}]})),
    );
    let msg = validation_message(&r);
    assert!(
        msg.starts_with("body failed validation: ")
            && msg.ends_with(
                "paragraph.rich_text[].text.content should be defined, instead was `undefined`."
            ),
        "{msg}"
    );
}

/// Run the binary expecting it to fail at start-up; its stderr.
fn start_failure(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ntn-sandbox"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ntn-sandbox");
    assert!(!out.status.success(), "{args:?} started");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    String::from_utf8(out.stderr).expect("UTF-8 stderr")
}

#[test]
fn start_up_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();

    let missing = path("missing.json");
    let err = start_failure(&["--addr", "127.0.0.1:0", "--fixture", &missing]);
    assert!(
        err.starts_with(&format!("ntn-sandbox: {missing}: ")),
        "{err}"
    );

    write("not-json.json", "{");
    let err = start_failure(&["--addr", "127.0.0.1:0", "--fixture", &path("not-json.json")]);
    assert!(err.starts_with("ntn-sandbox: invalid fixture: "), "{err}");

    let ws = |id: &str| json!({"id": id, "name": "W", "upload_limit_bytes": 1});
    let w1 = "11111111-1111-4111-8111-111111111111";
    let cases = [
        (
            json!({"workspaces": [ws("nope")], "users": []}),
            "fixture: workspace id `nope` is not a UUID",
        ),
        (
            json!({"workspaces": [ws(w1)], "users": [{"id": w1, "name": "U", "email": "u@x",
                "memberships": [{"workspace_id": w1, "role": "owner"}]}]}),
            "fixture: unknown role `owner`",
        ),
        (
            json!({"workspaces": [], "users": [{"id": w1, "name": "U", "email": "u@x",
                "memberships": [{"workspace_id": w1, "role": "member"}]}]}),
            "fixture: unknown workspace 11111111-1111-4111-8111-111111111111",
        ),
        (
            json!({"workspaces": [ws(w1)], "users": [], "comments": [{"id": w1,
                "page_id": w1, "author_email": "u@x", "text": "t"}]}),
            "fixture: comment on unknown page 11111111-1111-4111-8111-111111111111",
        ),
        (
            json!({"workspaces": [ws(w1)], "users": [], "pages": [{"id": w1, "workspace_id": w1}],
                "comments": [{"id": w1, "page_id": w1, "author_email": "nobody@x", "text": "t"}]}),
            "fixture: unknown author nobody@x",
        ),
        (
            json!({"workspaces": [ws(w1)], "users": [], "pages": [{"id": w1, "workspace_id": w1,
                "parent": {"data_source_id": w1}}]}),
            "fixture: unknown data source 11111111-1111-4111-8111-111111111111",
        ),
        (
            json!({"workspaces": [ws(w1)], "users": [],
                "databases": [{"id": w1, "workspace_id": w1, "parent_page_id": w1, "title": "D",
                    "data_sources": [{"id": w1, "name": "D",
                        "properties": [{"name": "S", "type": "select"}]}]}],
                "pages": [{"id": w1, "workspace_id": w1, "parent": {"data_source_id": w1},
                    "properties": {"S": 5}}]}),
            "S.select should be an object or `null`, instead was `5`.",
        ),
        (
            json!({"workspaces": [ws(w1)], "users": [],
                "databases": [{"id": w1, "workspace_id": w1, "parent_page_id": w1, "title": "D",
                    "data_sources": [{"id": w1, "name": "D", "properties": []}]}],
                "pages": [{"id": w1, "workspace_id": w1, "parent": {"data_source_id": w1},
                    "properties": {"S": 5}}]}),
            "fixture: unknown property S",
        ),
    ];
    for (fixture, expected) in cases {
        write("f.json", &fixture.to_string());
        let err = start_failure(&["--addr", "127.0.0.1:0", "--fixture", &path("f.json")]);
        assert_eq!(err, format!("ntn-sandbox: {expected}\n"), "{fixture}");
    }

    let spec = path("missing-spec.json");
    let err = start_failure(&["--addr", "127.0.0.1:0", "--openapi", &spec]);
    assert!(err.starts_with(&format!("ntn-sandbox: {spec}: ")), "{err}");
    write("spec.json", "openapi: 3.1.0");
    let err = start_failure(&["--addr", "127.0.0.1:0", "--openapi", &path("spec.json")]);
    assert!(
        err.starts_with("ntn-sandbox: --openapi: invalid JSON: "),
        "{err}"
    );

    let err = start_failure(&["--addr", "256.0.0.1:0"]);
    assert!(
        err.starts_with("ntn-sandbox: cannot listen on 256.0.0.1:0: "),
        "{err}"
    );
}
