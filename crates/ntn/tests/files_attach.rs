//! `ntn files attach` against the sandbox, in-process: a file uploaded then put at the
//! end of a page or right after a block (by its text), an upload id used as is (and
//! again), targets refused before anything is uploaded, files properties checked.
//!
//! Not here: adding to a files property successfully. The built-in fixture has no
//! files property, and the sandbox stores a files property value as it is given
//! (Notion turns a `file_upload` into a hosted file), so a test of it would prove
//! nothing about Notion; the body is type-checked in `request_types.rs` instead.

mod common;

use common::TestEnv;
use common::pages::{api, ok, page_with, setup, writes};
use serde_json::Value;

const ROADMAP_ROW: &str = "d4000000-0000-4000-8000-000000000001";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn file(env: &TestEnv, name: &str, bytes: &[u8]) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

fn children(sb: &common::Sandbox, token: &str, page: &str) -> Vec<Value> {
    api(
        sb,
        token,
        "GET",
        &format!("/v1/blocks/{page}/children"),
        None,
    )["results"]
        .as_array()
        .unwrap()
        .clone()
}

fn uploads_created(sb: &common::Sandbox) -> usize {
    writes(sb)
        .iter()
        .filter(|w| *w == "POST /v1/file_uploads")
        .count()
}

#[test]
fn an_image_goes_at_the_end_or_right_after_a_paragraph() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "First paragraph.\n\nSecond paragraph.\n");
    let png = file(&env, "diagram.png", PNG);

    let out = env.run(&["files", "attach", &png, "--to", &page]);
    ok(&out);
    let end_id = out.stdout.trim().to_string();
    assert!(
        out.stderr
            .contains("diagram.png as an image block at the end"),
        "{}",
        out.stderr
    );
    let blocks = children(&sb, &token, &page);
    let last = blocks.last().unwrap();
    assert_eq!(last["id"], end_id.as_str());
    assert_eq!(last["type"], "image");
    assert_eq!(last["image"]["type"], "file");
    assert_eq!(blocks.len(), 3);

    let out = env.run(&[
        "files",
        "attach",
        &png,
        "--to",
        &page,
        "--after",
        "First para",
        "--caption",
        "The plan",
    ]);
    ok(&out);
    let after_id = out.stdout.trim().to_string();
    let blocks = children(&sb, &token, &page);
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["paragraph", "image", "paragraph", "image"]);
    assert_eq!(blocks[1]["id"], after_id.as_str());
    assert_eq!(blocks[1]["image"]["caption"][0]["plain_text"], "The plan");
    assert_eq!(blocks[3]["id"], end_id.as_str());

    // Another type: a text file is a file block.
    let txt = file(&env, "notes.txt", b"some notes\n");
    let out = env.run(&["files", "attach", &txt, "--to", &page]);
    ok(&out);
    let blocks = children(&sb, &token, &page);
    assert_eq!(blocks.last().unwrap()["type"], "file");
    assert_eq!(blocks.last().unwrap()["id"], out.stdout.trim());
}

#[test]
fn an_unknown_or_ambiguous_after_is_refused_before_any_upload() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "First paragraph.\n\nSecond paragraph.\n");
    let png = file(&env, "diagram.png", PNG);
    sb.clear_requests();

    let out = env.run(&["files", "attach", &png, "--to", &page, "--after", "Third"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: no top-level block of the page contains \"Third\""),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");

    let out = env.run(&[
        "files",
        "attach",
        &png,
        "--to",
        &page,
        "--after",
        "paragraph",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("2 top-level blocks contain \"paragraph\": "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("\"First paragraph.\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("\"Second paragraph.\""),
        "{}",
        out.stderr
    );

    assert_eq!(uploads_created(&sb), 0, "{:?}", writes(&sb));
    assert!(writes(&sb).is_empty(), "{:?}", writes(&sb));
    assert_eq!(children(&sb, &token, &page).len(), 2);
}

#[test]
fn an_upload_id_is_used_as_is_and_again() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "Only paragraph.\n");
    let png = file(&env, "logo.png", PNG);
    let created = env.run(&["files", "create", &png]);
    ok(&created);
    let upload = created.stdout.trim().to_string();
    sb.clear_requests();

    let first = env.run(&["files", "attach", &upload, "--to", &page]);
    ok(&first);
    let second = env.run(&["files", "attach", &upload, "--to", &page, "--after", "Only"]);
    ok(&second);
    assert_eq!(uploads_created(&sb), 0, "nothing uploaded again");
    let blocks = children(&sb, &token, &page);
    let ids: Vec<&str> = blocks.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids[1], second.stdout.trim());
    assert_eq!(ids[2], first.stdout.trim());
    assert!(blocks[1..].iter().all(|b| b["type"] == "image"));

    // An upload whose bytes never came cannot be attached.
    let pending = api(
        &sb,
        &token,
        "POST",
        "/v1/file_uploads",
        Some(serde_json::json!({"filename": "later.png", "content_type": "image/png"})),
    );
    let out = env.run(&[
        "files",
        "attach",
        pending["id"].as_str().unwrap(),
        "--to",
        &page,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is pending"), "{}", out.stderr);
    assert_eq!(children(&sb, &token, &page).len(), 3);

    let out = env.run(&["files", "attach", "no-such-file.png", "--to", &page]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("\"no-such-file.png\" is neither a file nor a file upload id"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_property_must_be_a_files_property_of_the_page() {
    let (sb, env, _token) = setup();
    let png = file(&env, "contract.png", PNG);
    sb.clear_requests();

    let out = env.run(&[
        "files",
        "attach",
        &png,
        "--to",
        ROADMAP_ROW,
        "--property",
        "Note",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the page has no property \"Note\" (did you mean \"Notes\"?)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("this page has no files property"),
        "{}",
        out.stderr
    );

    let out = env.run(&[
        "files",
        "attach",
        &png,
        "--to",
        ROADMAP_ROW,
        "--property",
        "Notes",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("\"Notes\" is a rich_text property, not a files property"),
        "{}",
        out.stderr
    );
    assert!(writes(&sb).is_empty(), "{:?}", writes(&sb));

    // --caption and --after are for blocks.
    let out = env.run(&[
        "files",
        "attach",
        &png,
        "--to",
        ROADMAP_ROW,
        "--property",
        "Notes",
        "--after",
        "x",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}
