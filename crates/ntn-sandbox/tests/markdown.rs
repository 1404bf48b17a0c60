//! Pages as Markdown over HTTP: reading (unknown blocks, not shared content, the block
//! limit), both edit operations with their 400s, new block ids after a replace, child page
//! deletion, `POST /v1/pages` with `markdown`, moving pages, and `last_edited_time`
//! rounded to the minute.

mod common;

use common::*;
use serde_json::{Value, json};

const ENGINEERING: &str = "a1000000-0000-4000-8000-000000000002";

fn child_ids(sb: &Sandbox, t: &str, id: &str) -> Vec<String> {
    let r = sb.api("GET", &format!("/v1/blocks/{id}/children"), t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

fn new_page(sb: &Sandbox, t: &str, parent: &str, markdown: &str) -> String {
    let r = md(
        sb,
        "POST",
        "/v1/pages",
        t,
        Some(json!({"parent": {"page_id": parent}, "markdown": markdown})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

#[test]
fn a_page_reads_as_markdown_with_its_child_pages_and_databases() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let v = read(&sb, &t, ACME_HOME);
    assert_eq!(v["object"], "page_markdown");
    assert_eq!(v["id"], ACME_HOME);
    assert_eq!(v["truncated"], false);
    assert_eq!(v["unknown_block_ids"], json!([]));
    let text = v["markdown"].as_str().unwrap();
    assert!(
        text.starts_with("# Welcome to Acme\n\nThis is the Acme home page.\n\n## Checklist\n\n- [x] Set up the CLI\n- [ ] Invite the team\n- Projects\n  - Rocket skates\n  - Giant magnet\n\n---\n\n```shell\nntn pages get\n```\n"),
        "{text}"
    );
    assert!(text.contains("<page url=\"https://www.notion.so/Engineering-Notes-a1000000000040008000000000000002\">Engineering Notes</page>"), "{text}");
    assert!(text.contains("<database url=\"https://www.notion.so/Tasks-d1000000000040008000000000000001\">Tasks</database>"), "{text}");

    // Older versions are refused, as Notion does.
    let r = sb.api("GET", &format!("/v1/pages/{ACME_HOME}/markdown"), &t, None);
    let e = r.assert_error(400, "validation_error");
    assert!(e["message"].as_str().unwrap().contains("2026-03-11"), "{e}");
}

#[test]
fn unsupported_and_unshared_blocks_are_unknown_and_fetched_by_id() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = sb.api(
        "POST",
        "/v1/pages",
        &t,
        Some(json!({
            "parent": {"page_id": ACME_HOME},
            "properties": {"title": [{"text": {"content": "Partial"}}]},
            "children": [
                {"paragraph": {"rich_text": [{"text": {"content": "Before"}}]}},
                {"paragraph": {"rich_text": [{"text": {"content": "Parent"}}],
                               "children": [{"paragraph": {"rich_text": [{"text": {"content": "nested"}}]}}]}},
                {"toggle": {"rich_text": [{"text": {"content": "Secret"}}],
                            "children": [{"paragraph": {"rich_text": [{"text": {"content": "hidden"}}]}}]}},
                {"paragraph": {"rich_text": [{"text": {"content": "After"}}]}},
            ]
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let page = r.json()["id"].as_str().unwrap().to_string();
    let ids = child_ids(&sb, &t, &page);
    // A paragraph with children has no syntax in the format (`bookmark` below: any such block).
    let (bookmark, toggle) = (ids[1].clone(), ids[2].clone());
    let r = sb.post("/__sandbox/share", json!({"id": toggle, "shared": false}));
    assert_eq!(r.status, 200, "{}", r.body);

    let v = read(&sb, &t, &page);
    assert_eq!(v["unknown_block_ids"], json!([bookmark, toggle]));
    assert_eq!(v["truncated"], false);
    let hex = |id: &str| id.replace('-', "");
    assert_eq!(
        v["markdown"],
        format!(
            "Before\n\n<unknown url=\"https://www.notion.so/{p}#{b}\" alt=\"paragraph\"/>\n\n<unknown url=\"https://www.notion.so/{p}#{t}\" alt=\"toggle\"/>\n\nAfter\n",
            p = hex(&page),
            b = hex(&bookmark),
            t = hex(&toggle)
        )
    );
    // An unsupported block stays unknown when read by its id; unshared content is a 404.
    let b = read(&sb, &t, &bookmark);
    assert_eq!(b["unknown_block_ids"], json!([bookmark]));
    md(
        &sb,
        "GET",
        &format!("/v1/pages/{toggle}/markdown"),
        &t,
        None,
    )
    .assert_error(404, "object_not_found");
    // Shared again, it reads by id as its own subtree.
    sb.post("/__sandbox/share", json!({"id": toggle, "shared": true}));
    let v = read(&sb, &t, &toggle);
    assert_eq!(
        v["markdown"],
        "<details>\n<summary>Secret</summary>\n\nhidden\n\n</details>\n"
    );
}

#[test]
fn past_the_block_limit_the_rest_is_truncated_and_readable_by_id() {
    let sb = Sandbox::start_with(&["--markdown-block-limit", "3"]);
    let t = sb.alice();
    let page = new_page(
        &sb,
        &t,
        ACME_HOME,
        "one\n\ntwo\n\n- three\n  - four\n\nfive\n",
    );
    let v = read(&sb, &t, &page);
    assert_eq!(v["truncated"], true);
    let unknown: Vec<String> = v["unknown_block_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(unknown.len(), 2, "{v}");
    let text = v["markdown"].as_str().unwrap();
    assert!(
        text.starts_with("one\n\ntwo\n\n- three\n  <unknown "),
        "{text}"
    );
    let four = read(&sb, &t, &unknown[0]);
    assert_eq!(four["markdown"], "- four\n");
    assert_eq!(four["truncated"], false);
    let five = read(&sb, &t, &unknown[1]);
    assert_eq!(five["markdown"], "five\n");
}

#[test]
fn a_replace_makes_every_block_new() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let page = new_page(
        &sb,
        &t,
        ACME_HOME,
        "# Title\n\nKeep me\n\nChange me\n\n- item\n  - sub\n",
    );
    let before = child_ids(&sb, &t, &page);
    assert_eq!(before.len(), 3, "the H1 became the title");
    let item_children = child_ids(&sb, &t, &before[2]);

    let r = md(
        &sb,
        "PATCH",
        &format!("/v1/pages/{page}/markdown"),
        &t,
        Some(json!({"type": "replace_content",
                    "replace_content": {"new_str": "Keep me\n\nChanged\n\n- item\n  - sub\n  - new sub\n"}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["markdown"],
        "Keep me\n\nChanged\n\n- item\n  - sub\n  - new sub\n"
    );
    // As with Notion, even the blocks whose text is kept are new.
    let after = child_ids(&sb, &t, &page);
    assert_eq!(after.len(), 3);
    for (a, b) in after.iter().zip(&before) {
        assert_ne!(a, b);
    }
    let sub = child_ids(&sb, &t, &after[2]);
    assert_eq!(sub.len(), 2);
    assert_ne!(sub[0], item_children[0]);
    for id in &before {
        let old = sb.api("GET", &format!("/v1/blocks/{id}"), &t, None).json();
        assert_eq!(old["in_trash"], true, "{id}");
    }
}

#[test]
fn targeted_edits_must_match_once_unless_told_otherwise() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let page = new_page(&sb, &t, ACME_HOME, "alpha beta\n\nalpha gamma\n");
    let path = format!("/v1/pages/{page}/markdown");
    let edit = |updates: Value| {
        md(
            &sb,
            "PATCH",
            &path,
            &t,
            Some(json!({"type": "update_content", "update_content": {"content_updates": updates}})),
        )
    };
    let e =
        edit(json!([{"old_str": "delta", "new_str": "x"}])).assert_error(400, "validation_error");
    assert!(e["message"].as_str().unwrap().contains("not found"), "{e}");
    let e =
        edit(json!([{"old_str": "alpha", "new_str": "x"}])).assert_error(400, "validation_error");
    assert!(
        e["message"].as_str().unwrap().contains("matches 2 times"),
        "{e}"
    );
    // A batch with one bad edit changes nothing.
    let e =
        edit(json!([{"old_str": "beta", "new_str": "B"}, {"old_str": "delta", "new_str": "x"}]));
    e.assert_error(400, "validation_error");
    assert_eq!(
        read(&sb, &t, &page)["markdown"],
        "alpha beta\n\nalpha gamma\n"
    );
    let first = child_ids(&sb, &t, &page)[0].clone();
    let r = edit(
        json!([{"old_str": "alpha", "new_str": "omega", "replace_all_matches": true},
                        {"old_str": "gamma", "new_str": "**gamma**"}]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["markdown"], "omega beta\n\nomega **gamma**\n");
    assert_ne!(child_ids(&sb, &t, &page)[0], first);
}

#[test]
fn removing_a_child_page_is_refused_unless_allowed() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let parent = new_page(&sb, &t, ACME_HOME, "Intro\n");
    let child = new_page(&sb, &t, &parent, "Inside\n");
    let text = read(&sb, &t, &parent)["markdown"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("<page url="), "{text}");
    let path = format!("/v1/pages/{parent}/markdown");
    let replace = |allow: bool| {
        md(
            &sb,
            "PATCH",
            &path,
            &t,
            Some(json!({"type": "replace_content",
                        "replace_content": {"new_str": "Intro only\n", "allow_deleting_content": allow}})),
        )
    };
    let e = replace(false).assert_error(400, "validation_error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("would delete 1 child page(s) or database(s)"),
        "{e}"
    );
    assert_eq!(read(&sb, &t, &parent)["markdown"], text.as_str());
    let r = replace(true);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["markdown"], "Intro only\n");
    let p = sb
        .api("GET", &format!("/v1/pages/{child}"), &t, None)
        .json();
    assert_eq!(p["in_trash"], true);
    // Keeping the tag keeps the page, wherever it goes.
    let again = new_page(&sb, &t, &parent, "Second\n");
    let text = read(&sb, &t, &parent)["markdown"]
        .as_str()
        .unwrap()
        .to_string();
    let tag = text
        .lines()
        .find(|l| l.starts_with("<page"))
        .unwrap()
        .to_string();
    let r = md(
        &sb,
        "PATCH",
        &path,
        &t,
        Some(json!({"type": "replace_content",
        "replace_content": {"new_str": format!("{tag}\n\nIntro moved below\n")}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(child_ids(&sb, &t, &parent)[0], again);
}

#[test]
fn pages_are_created_from_markdown() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = md(
        &sb,
        "POST",
        "/v1/pages",
        &t,
        Some(
            json!({"parent": {"page_id": ACME_HOME}, "markdown": "# From Markdown\n\nBody **text**\n"}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    assert_eq!(
        p["properties"]["title"]["title"][0]["plain_text"],
        "From Markdown"
    );
    let id = p["id"].as_str().unwrap();
    assert_eq!(read(&sb, &t, id)["markdown"], "Body **text**\n");
    // Under a data source: a title property given keeps the H1 in the content.
    let r = md(
        &sb,
        "POST",
        "/v1/pages",
        &t,
        Some(json!({"parent": {"data_source_id": TASKS_DS},
                    "properties": {"Name": {"title": [{"text": {"content": "Row"}}]}},
                    "markdown": "# Heading\n"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(read(&sb, &t, &id)["markdown"], "# Heading\n");
    // Not both.
    md(
        &sb,
        "POST",
        "/v1/pages",
        &t,
        Some(json!({"parent": {"page_id": ACME_HOME}, "markdown": "x",
                    "children": [{"paragraph": {"rich_text": []}}]})),
    )
    .assert_error(400, "validation_error");
}

#[test]
fn pages_move_between_pages_and_data_sources() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let page = new_page(&sb, &t, ACME_HOME, "# Mover\n\nhello\n");
    let path = format!("/v1/pages/{page}/move");
    let r = sb.api(
        "POST",
        &path,
        &t,
        Some(json!({"parent": {"type": "page_id", "page_id": ENGINEERING}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["parent"]["page_id"], ENGINEERING);
    assert!(
        read(&sb, &t, ENGINEERING)["markdown"]
            .as_str()
            .unwrap()
            .contains(">Mover</page>")
    );
    assert!(
        !read(&sb, &t, ACME_HOME)["markdown"]
            .as_str()
            .unwrap()
            .contains(">Mover</page>")
    );
    let r = sb.api(
        "POST",
        &path,
        &t,
        Some(json!({"parent": {"type": "database_id", "database_id": TASKS_DB}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    assert_eq!(p["parent"]["data_source_id"], TASKS_DS);
    assert_eq!(p["properties"]["Name"]["title"][0]["plain_text"], "Mover");
    // Not into itself.
    let child = new_page(&sb, &t, ENGINEERING, "x\n");
    let r = sb.api(
        "POST",
        &format!("/v1/pages/{ENGINEERING}/move"),
        &t,
        Some(json!({"parent": {"type": "page_id", "page_id": child}})),
    );
    r.assert_error(400, "validation_error");
}

#[test]
fn last_edited_time_is_rounded_to_the_minute() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let page = new_page(&sb, &t, ACME_HOME, "x\n");
    let p = sb.api("GET", &format!("/v1/pages/{page}"), &t, None).json();
    let lt = p["last_edited_time"].as_str().unwrap();
    assert!(lt.ends_with(":00.000Z"), "{lt}");
}
