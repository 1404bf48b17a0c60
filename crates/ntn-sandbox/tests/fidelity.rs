//! The sandbox is as strict as Notion where Markdown loses data: every block type of the
//! "Lossy blocks" fixture page renders as Notion renders it, `replace_content` rebuilds
//! everything (degrading what the format cannot keep), `update_content` rebuilds only the
//! top-level blocks a match touches, and the skew control makes a write differ from what
//! was asked.

mod common;

use common::*;
use serde_json::{Value, json};

const LOSSY: &str = "a1000000-0000-4000-8000-000000000010";

fn children(sb: &Sandbox, t: &str, id: &str) -> Vec<Value> {
    let r = sb.api("GET", &format!("/v1/blocks/{id}/children"), t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["results"].as_array().unwrap().clone()
}

fn ids_and_types(blocks: &[Value]) -> Vec<(String, String)> {
    blocks
        .iter()
        .map(|b| {
            (
                b["id"].as_str().unwrap().to_string(),
                b["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn patch(sb: &Sandbox, t: &str, page: &str, body: Value) -> Resp {
    md(
        sb,
        "PATCH",
        &format!("/v1/pages/{page}/markdown"),
        t,
        Some(body),
    )
}

fn update(sb: &Sandbox, t: &str, page: &str, updates: Value) -> Resp {
    patch(
        sb,
        t,
        page,
        json!({"type": "update_content", "update_content": {"content_updates": updates}}),
    )
}

fn block(n: u32) -> String {
    format!("c7000000-0000-4000-8000-{n:012}")
}

/// The signature of hosted file URLs (new on every read) cut off.
fn unsigned(md: &str) -> String {
    let mut out = String::new();
    let mut rest = md;
    while let Some(i) = rest.find("?X-Amz-") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find([')', '"']).map_or(rest.len(), |e| i + e);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The path of the fixture's hosted image: reads show it on the sandbox's own origin.
const HOSTED_PATH: &str =
    "11111111-1111-4111-8111-111111111111/c7000000-0000-4000-8000-000000000013/diagram.png";

/// The fixture's hosted image URL as reads show it, unsigned.
fn hosted(sb: &Sandbox) -> String {
    format!("{}/__files/{HOSTED_PATH}", sb.base)
}

/// A block's data with the signature of a hosted file cut off (it is new on every read).
fn stable(data: &Value) -> Value {
    let mut d = data.clone();
    if let Some(url) = d["file"]["url"].as_str() {
        d["file"]["url"] = json!(url.split('?').next().unwrap());
        d["file"]["expiry_time"] = Value::Null;
    }
    d
}

/// The Markdown of the fixture page (hosted URL unsigned).
fn lossy_markdown(sb: &Sandbox) -> String {
    let hosted = hosted(sb);
    format!(
        "## Blocks Markdown cannot keep\n\n\
         Intro paragraph.\n\n\
         [TOC]\n\n\
         Synced text.\n\n\
         [A bookmark](https://example.com/bookmark)\n\n\
         [https://example.com/embed](https://example.com/embed)\n\n\
         [https://github.com/acme/rocket/pull/1](https://github.com/acme/rocket/pull/1)\n\n\
         <mention-page url=\"https://www.notion.so/Engineering-Notes-a1000000000040008000000000000002\">Engineering Notes</mention-page>\n\n\
         Acme Home / Lossy blocks\n\n\
         <database url=\"https://www.notion.so/Reading-list-d1000000000040008000000000000010\" inline=\"true\">Reading list</database>\n\n\
         $$\nE = mc^2\n$$\n\n\
         ![A cat](https://example.com/cat.png)\n\n\
         ![]({hosted})\n\n\
         - [ ] Red task {{color=\"red\"}}\n\n\
         Unrelated paragraph.\n\n\
         <columns>\n<column>\n\nLeft column.\n\n</column>\n<column>\n\nRight column.\n\n</column>\n</columns>\n\n\
         Outro.\n"
    )
}

#[test]
fn every_block_type_renders_as_notion_renders_it() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let v = read(&sb, &t, LOSSY);
    assert_eq!(v["unknown_block_ids"], json!([]));
    assert_eq!(v["truncated"], false);
    let text = v["markdown"].as_str().unwrap();
    assert_eq!(unsigned(text), lossy_markdown(&sb));
    assert!(
        text.contains("diagram.png?X-Amz-"),
        "hosted URLs are signed"
    );
    assert_ne!(
        read(&sb, &t, LOSSY)["markdown"],
        v["markdown"],
        "afresh each read"
    );

    // Any block id reads as that block and its subtree.
    for (n, want) in [
        (3, "[TOC]\n"),
        (4, "Synced text.\n"),
        (6, "[A bookmark](https://example.com/bookmark)\n"),
        (10, "Acme Home / Lossy blocks\n"),
        (11, "$$\nE = mc^2\n$$\n"),
        (14, "- [ ] Red task {color=\"red\"}\n"),
        (17, "<column>\n\nLeft column.\n\n</column>\n"),
    ] {
        let v = read(&sb, &t, &block(n));
        assert_eq!(v["markdown"], want, "block {n}");
        assert_eq!(v["unknown_block_ids"], json!([]));
    }
    let cols = read(&sb, &t, &block(16));
    assert!(
        cols["markdown"]
            .as_str()
            .unwrap()
            .starts_with("<columns>\n<column>\n\nLeft column."),
        "{cols}"
    );

    // A synced block that refers to the original shows the original's content; other
    // media are tags.
    let r = sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({
            "parent": {"page_id": LOSSY},
            "properties": {"title": [{"text": {"content": "More"}}]},
            "children": [
                {"synced_block": {"synced_from": {"type": "block_id", "block_id": block(4)}}},
                {"video": {"type": "external", "external": {"url": "https://example.com/v.mp4"},
                           "caption": [{"text": {"content": "A clip"}}]}},
                {"pdf": {"type": "external", "external": {"url": "https://example.com/d.pdf"}}},
                {"link_to_page": {"type": "page_id", "page_id": LOSSY}},
            ]
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let more = r.json()["id"].as_str().unwrap().to_string();
    let reference = children(&sb, &t, &more)[0].clone();
    assert_eq!(reference["has_children"], true, "{reference}");
    assert_eq!(
        reference["synced_block"]["synced_from"]["block_id"],
        block(4)
    );
    let shown = children(&sb, &t, reference["id"].as_str().unwrap());
    assert_eq!(shown[0]["id"], block(5), "the original's children");
    let v = read(&sb, &t, &more);
    assert_eq!(
        v["markdown"],
        "Synced text.\n\n<video src=\"https://example.com/v.mp4\">A clip</video>\n\n<pdf src=\"https://example.com/d.pdf\"></pdf>\n\n<mention-page url=\"https://www.notion.so/Lossy-blocks-a1000000000040008000000000000010\">Lossy blocks</mention-page>\n"
    );
}

#[test]
fn the_blocks_api_gives_every_block_with_notions_shapes() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let blocks = children(&sb, &t, LOSSY);
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "heading_2",
            "paragraph",
            "table_of_contents",
            "synced_block",
            "bookmark",
            "embed",
            "link_preview",
            "link_to_page",
            "breadcrumb",
            "child_database",
            "equation",
            "image",
            "image",
            "to_do",
            "paragraph",
            "column_list",
            "paragraph",
        ]
    );
    let by = |ty: &str| blocks.iter().find(|b| b["type"] == ty).unwrap().clone();
    let synced = by("synced_block");
    assert_eq!(synced["has_children"], true);
    assert_eq!(synced["synced_block"]["synced_from"], Value::Null);
    assert_eq!(
        children(&sb, &t, &block(4))[0]["paragraph"]["rich_text"][0]["plain_text"],
        "Synced text."
    );
    let bm = by("bookmark");
    assert_eq!(bm["bookmark"]["url"], "https://example.com/bookmark");
    assert_eq!(bm["bookmark"]["caption"][0]["plain_text"], "A bookmark");
    assert_eq!(bm["has_children"], false);
    assert_eq!(by("embed")["embed"]["url"], "https://example.com/embed");
    assert!(by("link_preview")["link_preview"]["url"].is_string());
    assert_eq!(
        by("link_to_page")["link_to_page"],
        json!({"type": "page_id", "page_id": "a1000000-0000-4000-8000-000000000002"})
    );
    assert_eq!(
        by("child_database")["child_database"]["title"],
        "Reading list"
    );
    assert_eq!(by("equation")["equation"]["expression"], "E = mc^2");
    assert_eq!(blocks[11]["image"]["type"], "external");
    assert_eq!(blocks[11]["image"]["caption"][0]["plain_text"], "A cat");
    assert_eq!(blocks[12]["image"]["type"], "file");
    assert_eq!(by("to_do")["to_do"]["color"], "red");
    let cols = by("column_list");
    assert_eq!(cols["has_children"], true);
    let columns = children(&sb, &t, &block(16));
    assert_eq!(columns.len(), 2);
    assert!(
        columns
            .iter()
            .all(|c| c["type"] == "column" && c["has_children"] == true)
    );
    let db = sb.api(
        "GET",
        "/v1/databases/d1000000-0000-4000-8000-000000000010",
        &t,
        None,
    );
    assert_eq!(db.json()["is_inline"], true, "{}", db.body);
}

#[test]
fn an_update_keeps_untouched_blocks_and_a_replace_degrades_them() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let before = children(&sb, &t, LOSSY);
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "Unrelated paragraph.", "new_str": "Edited paragraph."}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = children(&sb, &t, LOSSY);
    assert_eq!(after.len(), before.len());
    for (i, (a, b)) in after.iter().zip(&before).enumerate() {
        if i == 14 {
            assert_ne!(a["id"], b["id"], "the edited block is new");
            assert_eq!(
                a["paragraph"]["rich_text"][0]["plain_text"],
                "Edited paragraph."
            );
        } else {
            assert_eq!(a["id"], b["id"], "block {i} kept");
            assert_eq!(a["type"], b["type"]);
            assert_eq!(
                stable(&a[a["type"].as_str().unwrap()]),
                stable(&b[b["type"].as_str().unwrap()])
            );
        }
    }
    assert_eq!(
        unsigned(r.json()["markdown"].as_str().unwrap()),
        lossy_markdown(&sb).replace("Unrelated paragraph.", "Edited paragraph.")
    );

    // The same edit as a whole replace: every block new, the lossy ones degraded.
    let sb = Sandbox::start();
    let text = unsigned(read(&sb, &t_of(&sb), LOSSY)["markdown"].as_str().unwrap());
    let t = t_of(&sb);
    let r = patch(
        &sb,
        &t,
        LOSSY,
        json!({"type": "replace_content", "replace_content": {
            "new_str": text.replace("Unrelated paragraph.", "Edited paragraph.")}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = children(&sb, &t, LOSSY);
    let old: Vec<String> = before
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    let kinds: Vec<(String, String)> = ids_and_types(&after);
    for (id, ty) in &kinds {
        if ty != "child_database" {
            assert!(!old.contains(id), "{ty} {id} is new");
        }
    }
    let types: Vec<&str> = kinds.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "heading_2",
            "paragraph",
            "paragraph", // [TOC]
            "paragraph", // the synced block's text, no longer synced
            "paragraph", // bookmark
            "paragraph", // embed
            "paragraph", // link_preview
            "paragraph", // link_to_page: a mention
            "paragraph", // breadcrumb
            "child_database",
            "equation",
            "image",
            "image",
            "to_do",
            "paragraph",
            "column_list",
            "paragraph",
        ]
    );
    assert_eq!(
        after[9]["id"], "d1000000-0000-4000-8000-000000000010",
        "databases named are kept"
    );
    assert_eq!(after[2]["paragraph"]["rich_text"][0]["plain_text"], "[TOC]");
    assert_eq!(
        after[4]["paragraph"]["rich_text"][0]["href"],
        "https://example.com/bookmark"
    );
    assert_eq!(after[7]["paragraph"]["rich_text"][0]["type"], "mention");
    assert_eq!(
        after[12]["image"],
        json!({"type": "external", "external": {"url": ""}, "caption": []}),
        "a hosted file written back loses its URL"
    );
    assert_eq!(
        after[11]["image"]["external"]["url"],
        "https://example.com/cat.png"
    );
    assert_eq!(after[13]["to_do"]["color"], "red");
    let text = unsigned(read(&sb, &t, LOSSY)["markdown"].as_str().unwrap());
    assert!(text.contains("\n\n\\[TOC\\]\n\n"), "{text}");
    assert!(text.contains("\n\n![]()\n\n"), "{text}");
}

fn t_of(sb: &Sandbox) -> String {
    sb.alice()
}

#[test]
fn a_match_on_a_lossy_block_degrades_that_block_only() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let before = ids_and_types(&children(&sb, &t, LOSSY));
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "[A bookmark]", "new_str": "[A good bookmark]"}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = children(&sb, &t, LOSSY);
    let now = ids_and_types(&after);
    for (i, (a, b)) in now.iter().zip(&before).enumerate() {
        if i == 4 {
            assert_eq!(b.1, "bookmark");
            assert_eq!(a.1, "paragraph", "the bookmark became a link paragraph");
            assert_ne!(a.0, b.0);
        } else {
            assert_eq!(a, b, "block {i}");
        }
    }
    assert_eq!(
        after[4]["paragraph"]["rich_text"][0]["plain_text"],
        "A good bookmark"
    );
    // "\n\n" inside a block's span (the columns) touches it: only the columns are rebuilt.
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "\n\n", "new_str": "\n\n", "replace_all_matches": true}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let again = ids_and_types(&children(&sb, &t, LOSSY));
    for (i, (a, b)) in again.iter().zip(&now).enumerate() {
        assert_eq!(a.1, b.1);
        assert_eq!(a.0 == b.0, i != 15, "block {i}");
    }
}

#[test]
fn colour_and_caption_survive_an_edit_of_their_own_block() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "Red task", "new_str": "Red task, done"},
               {"old_str": "![A cat]", "new_str": "![A black cat]"}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = children(&sb, &t, LOSSY);
    assert_ne!(after[13]["id"], block(14));
    assert_eq!(after[13]["to_do"]["color"], "red");
    assert_eq!(
        after[13]["to_do"]["rich_text"][0]["plain_text"],
        "Red task, done"
    );
    assert_ne!(after[11]["id"], block(12));
    assert_eq!(
        after[11]["image"]["caption"][0]["plain_text"],
        "A black cat"
    );
    assert_eq!(
        after[11]["image"]["external"]["url"],
        "https://example.com/cat.png"
    );
    // The hosted image between them was not touched.
    assert_eq!(after[12]["id"], block(13));
    assert_eq!(stable(&after[12]["image"])["file"]["url"], hosted(&sb));
}

#[test]
fn missing_and_repeated_matches_are_400_and_change_nothing() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let before = ids_and_types(&children(&sb, &t, LOSSY));
    let text = unsigned(read(&sb, &t, LOSSY)["markdown"].as_str().unwrap());
    let e = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "Outro.", "new_str": "End."},
                                           {"old_str": "nowhere", "new_str": "x"}]),
    )
    .assert_error(400, "validation_error");
    assert!(e["message"].as_str().unwrap().contains("not found"), "{e}");
    let e = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "Outro.", "new_str": "End."},
                                           {"old_str": "paragraph.", "new_str": "x"}]),
    )
    .assert_error(400, "validation_error");
    assert!(
        e["message"].as_str().unwrap().contains("matches 2 times"),
        "{e}"
    );
    assert_eq!(ids_and_types(&children(&sb, &t, LOSSY)), before);
    assert_eq!(
        unsigned(read(&sb, &t, LOSSY)["markdown"].as_str().unwrap()),
        text
    );
}

#[test]
fn the_skew_control_makes_the_next_write_differ_from_what_was_asked() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = sb.post("/__sandbox/markdown/skew", json!({"page_id": LOSSY}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "Outro.", "new_str": "The end."}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let text = read(&sb, &t, LOSSY)["markdown"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.ends_with("\n\nThe end!\n"), "{text}");
    // Only the next write.
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "The end!", "new_str": "The end."}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        read(&sb, &t, LOSSY)["markdown"]
            .as_str()
            .unwrap()
            .ends_with("\n\nThe end.\n")
    );

    // Dropping the last hunk: every hunk is checked, the last one is not applied.
    sb.post(
        "/__sandbox/markdown/skew",
        json!({"page_id": LOSSY, "mode": "drop_last_hunk"}),
    );
    let r = update(
        &sb,
        &t,
        LOSSY,
        json!([{"old_str": "Intro paragraph.", "new_str": "Intro."},
                                           {"old_str": "The end.", "new_str": "Fin."}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let text = read(&sb, &t, LOSSY)["markdown"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("\n\nIntro.\n\n") && text.ends_with("\n\nThe end.\n"),
        "{text}"
    );

    // A replace is skewed too.
    sb.post("/__sandbox/markdown/skew", json!({"page_id": LOSSY}));
    let r = patch(
        &sb,
        &t,
        LOSSY,
        json!({"type": "replace_content", "replace_content": {
        "new_str": "Only this.\n\n<database url=\"https://www.notion.so/d1000000000040008000000000000010\">Reading list</database>\n",
        "allow_deleting_content": true}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        read(&sb, &t, LOSSY)["markdown"]
            .as_str()
            .unwrap()
            .starts_with("Only this!\n\n")
    );
    sb.post(
        "/__sandbox/markdown/skew",
        json!({"page_id": LOSSY, "mode": "sometimes"}),
    )
    .assert_error(400, "validation_error");
}

#[test]
fn an_insertion_between_blocks_rebuilds_none() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = md(
        &sb,
        "POST",
        "/v1/pages",
        &t,
        Some(
            json!({"parent": {"page_id": LOSSY}, "properties": {"title": [{"text": {"content": "Two"}}]},
                    "markdown": "[TOC]\n\nsecond\n"}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let page = r.json()["id"].as_str().unwrap().to_string();
    let before = ids_and_types(&children(&sb, &t, &page));
    // The only "\n\n" lies between the two blocks: it belongs to neither.
    let r = update(
        &sb,
        &t,
        &page,
        json!([{"old_str": "\n\n", "new_str": "\n\n- inserted\n\n"}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = ids_and_types(&children(&sb, &t, &page));
    assert_eq!(after.len(), 3);
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1].1, "bulleted_list_item");
    assert_eq!(after[2], before[1]);
}
