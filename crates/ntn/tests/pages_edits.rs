//! `ntn pages edit` never destroys what it did not change, against the sandbox as strict
//! as Notion (lossy blocks rebuilt by writes that cover them, new ids for rewritten
//! blocks): targeted edits keep every other block and its id, an edit of a lossy block is
//! refused by name, file URLs that rotate cause no conflict, the page is checked after the
//! write, inputs without a hash are guarded by this machine's record, a file can be pushed
//! again and again, and `append` adds without rewriting.

mod common;

use common::pages::{HOME, api, ok, page_with, setup, write, writes};
use common::{Sandbox, TestEnv};
use ntn::output::{Answer, TestUi};
use serde_json::{Value, json};

/// The fixture page holding one block of each lossy kind (see the sandbox's README).
const LOSSY: &str = "a1000000-0000-4000-8000-000000000010";

/// Every block of a page, depth first: (id, type, the block).
fn blocks(sb: &Sandbox, token: &str, id: &str) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/v1/blocks/{id}/children?page_size=100"),
            Some(c) => format!("/v1/blocks/{id}/children?page_size=100&start_cursor={c}"),
        };
        let page = api(sb, token, "GET", &path, None);
        for b in page["results"].as_array().unwrap() {
            let bid = b["id"].as_str().unwrap().to_string();
            let kind = b["type"].as_str().unwrap().to_string();
            out.push((bid.clone(), kind.clone(), b.clone()));
            if b["has_children"] == true && kind != "child_page" && kind != "child_database" {
                out.extend(blocks(sb, token, &bid));
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) if page["has_more"] == true => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    out
}

/// The request bodies of the writes a command sent to the Markdown endpoint.
fn markdown_writes(sb: &Sandbox) -> Vec<String> {
    writes(sb)
        .into_iter()
        .filter(|w| w.ends_with("/markdown"))
        .collect()
}

#[test]
fn one_paragraph_edited_keeps_every_other_block_and_its_id() {
    let (sb, env, token) = setup();
    let before = blocks(&sb, &token, LOSSY);
    let kinds: Vec<&str> = before.iter().map(|b| b.1.as_str()).collect();
    for k in [
        "table_of_contents",
        "synced_block",
        "bookmark",
        "embed",
        "link_to_page",
        "child_database",
        "image",
    ] {
        assert!(kinds.contains(&k), "the fixture has a {k}: {kinds:?}");
    }
    let got = env.run(&["pages", "get", LOSSY]);
    ok(&got);
    assert!(
        got.stdout.contains("Unrelated paragraph."),
        "{}",
        got.stdout
    );
    let file = write(
        &env,
        "lossy.md",
        &got.stdout
            .replace("Unrelated paragraph.", "Unrelated paragraph, edited."),
    );
    sb.clear_requests();
    let out = env.run(&["pages", "edit", LOSSY, &file]);
    ok(&out);
    assert!(out.stderr.contains("1 targeted edit"), "{}", out.stderr);
    assert_eq!(
        markdown_writes(&sb),
        [format!("PATCH /v1/pages/{LOSSY}/markdown")]
    );
    let after = blocks(&sb, &token, LOSSY);
    assert_eq!(after.len(), before.len());
    let mut changed = Vec::new();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.1, a.1, "a {} became a {}", b.1, a.1);
        if b.0 != a.0 {
            changed.push(b.1.clone());
        }
    }
    assert_eq!(changed, ["paragraph"], "only the edited paragraph is new");
    // The same edit forced through replace_content (what ntn used to send) destroys them:
    // the sandbox is as strict as Notion.
    let md = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/pages/{LOSSY}/markdown"),
        None,
    );
    let text = md["markdown"]
        .as_str()
        .unwrap()
        .replace("edited", "edited twice");
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{LOSSY}/markdown"),
        Some(json!({"type": "replace_content", "replace_content": {"new_str": text}})),
    );
    let kinds: Vec<String> = blocks(&sb, &token, LOSSY)
        .into_iter()
        .map(|b| b.1)
        .collect();
    for k in ["table_of_contents", "bookmark", "embed", "synced_block"] {
        assert!(
            !kinds.contains(&k.to_string()),
            "{k} survived a replace: {kinds:?}"
        );
    }
}

#[test]
fn an_edit_of_a_lossy_line_is_refused_by_name_then_allowed() {
    let (sb, env, token) = setup();
    let got = env.run(&["pages", "get", LOSSY]);
    ok(&got);
    let line = got
        .stdout
        .lines()
        .find(|l| l.contains("https://example.com/bookmark"))
        .expect("the bookmark's line")
        .to_string();
    let edited = got.stdout.replace(
        &line,
        &line.replace("https://example.com/bookmark", "https://example.com/moved"),
    );
    let file = write(&env, "lossy.md", &edited);
    sb.clear_requests();
    let out = env.run(&["pages", "edit", LOSSY, &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("the bookmark block on line"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--allow-lossy"), "{}", out.stderr);
    assert!(markdown_writes(&sb).is_empty());
    // --dry-run says how it would be written.
    let dry = env.run(&["pages", "edit", LOSSY, &file, "--dry-run", "--allow-lossy"]);
    ok(&dry);
    assert!(
        dry.stderr.contains("Method: update_content"),
        "{}",
        dry.stderr
    );
    let out = env.run(&["pages", "edit", LOSSY, &file, "--allow-lossy"]);
    ok(&out);
    let kinds: Vec<String> = blocks(&sb, &token, LOSSY)
        .into_iter()
        .map(|b| b.1)
        .collect();
    assert!(!kinds.contains(&"bookmark".to_string()), "{kinds:?}");
    assert!(
        kinds.contains(&"table_of_contents".to_string()),
        "{kinds:?}"
    );
}

#[test]
fn a_replace_elsewhere_on_a_page_of_lossy_blocks_goes_through() {
    let (sb, env, token) = setup();
    let before = blocks(&sb, &token, LOSSY);
    ok(&env.run(&[
        "pages",
        "edit",
        LOSSY,
        "--replace",
        "Outro.",
        "Outro, replaced.",
    ]));
    let after = blocks(&sb, &token, LOSSY);
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.0 != b.0)
        .map(|(a, _)| a.1.as_str())
        .collect();
    assert_eq!(changed, ["paragraph"]);
    let out = env.run(&["pages", "edit", LOSSY, "--replace", "[TOC]", "[Contents]"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("table_of_contents"), "{}", out.stderr);
}

#[test]
fn hosted_files_whose_urls_rotated_cause_no_conflict_and_no_change() {
    let (sb, env, token) = setup();
    let got = env.run(&["pages", "get", LOSSY]);
    ok(&got);
    let again = env.run(&["pages", "get", LOSSY]).stdout;
    assert_ne!(
        got.stdout, again,
        "hosted URLs are signed afresh on every read"
    );
    let image = |bs: &[(String, String, Value)]| {
        bs.iter()
            .find(|b| b.1 == "image" && b.2["image"]["type"] == "file")
            .map(|b| b.0.clone())
            .expect("a hosted image")
    };
    let before = image(&blocks(&sb, &token, LOSSY));
    let file = write(
        &env,
        "p.md",
        &got.stdout.replace("Outro.", "Outro, edited."),
    );
    let out = env.run(&["pages", "edit", LOSSY, &file]);
    ok(&out);
    assert_eq!(image(&blocks(&sb, &token, LOSSY)), before);
}

#[test]
fn repeated_text_grows_each_hunk_until_it_is_unique() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "Item\n\nItem\n\nItem two\n\nItem\n");
    let got = env.run(&["pages", "get", &page]).stdout;
    let ids = blocks(&sb, &token, &page);
    let file = write(&env, "p.md", &got.replace("Item two", "Item 2"));
    ok(&env.run(&["pages", "edit", &page, &file]));
    let after = blocks(&sb, &token, &page);
    let kept: Vec<bool> = ids.iter().zip(&after).map(|(a, b)| a.0 == b.0).collect();
    assert_eq!(kept, [true, true, false, true]);
    let md = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/pages/{page}/markdown"),
        None,
    );
    assert_eq!(md["markdown"], "Item\n\nItem\n\nItem 2\n\nItem\n");
}

#[test]
fn a_server_that_applies_an_edit_differently_is_caught_after_the_write() {
    let (sb, env, _token) = setup();
    let page = page_with(&sb, &_token, "One\n\nTwo\n\nThree\n");
    let got = env.run(&["pages", "get", &page]).stdout;
    let file = write(&env, "p.md", &got.replace("Two", "Deux"));
    let (s, v) = sb.post("/__sandbox/markdown/skew", &json!({"page_id": page}));
    assert_eq!(s, 200, "{v}");
    let out = env.run(&["pages", "edit", &page, &file]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not read as intended"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("(intended)"), "{}", out.stdout);
}

#[test]
fn an_input_without_a_hash_is_guarded_by_the_record_of_the_last_get() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "Shared text\n\nMore\n");
    let body = env.run(&["pages", "get", &page, "--no-frontmatter"]).stdout;
    // A colleague edits the page.
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{page}/markdown"),
        Some(
            json!({"type": "update_content", "update_content": {"content_updates": [
            {"old_str": "More", "new_str": "Their change"}]}}),
        ),
    );
    let file = write(&env, "mine.md", &body.replace("Shared text", "My text"));
    sb.clear_requests();
    let out = env.run(&["pages", "edit", &page, &file]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(
        out.stderr.contains("since this machine read it"),
        "{}",
        out.stderr
    );
    assert!(markdown_writes(&sb).is_empty());
    // The dry run shows where the two sides are instead of refusing.
    let dry = env.run(&["pages", "edit", &page, &file, "--dry-run"]);
    ok(&dry);
    assert!(
        dry.stdout.contains("changed since your copy"),
        "{}",
        dry.stdout
    );
    // With no record at all (another machine), it is refused off a terminal.
    let other = TestEnv::new().with_sandbox(&sb);
    let mut other = other;
    other.set("NOTION_API_TOKEN", &token);
    let out = other.run(&["pages", "edit", &page, &file]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no content_hash"), "{}", out.stderr);
    assert!(markdown_writes(&sb).is_empty());
    // On a terminal it is asked: no leaves the page alone, yes writes.
    let no = other.run_with(
        &["pages", "edit", &page, &file],
        TestUi::new().terminal(80).answers([Answer::Confirm(false)]),
    );
    assert_eq!(no.code, 1, "{}", no.stderr);
    assert!(markdown_writes(&sb).is_empty());
    let yes = other.run_with(
        &["pages", "edit", &page, &file],
        TestUi::new().terminal(80).answers([Answer::Confirm(true)]),
    );
    ok(&yes);
    assert_eq!(markdown_writes(&sb).len(), 1);
    // --force overrides without asking (here: nothing left to change).
    ok(&other.run(&["pages", "edit", &page, &file, "--force"]));
}

#[test]
fn the_same_file_is_edited_and_pushed_three_times_in_a_row() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "Log\n\n- first\n");
    let got = env.run(&["pages", "get", &page]);
    ok(&got);
    let file = write(&env, "log.md", &got.stdout);
    for n in 2..=4 {
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{}\n- entry {n}\n", text.trim_end())).unwrap();
        let out = env.run(&["pages", "edit", &file]);
        ok(&out);
        let now = std::fs::read_to_string(&file).unwrap();
        assert!(now.contains(&format!("- entry {n}")), "{now}");
    }
    let md = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/pages/{page}/markdown"),
        None,
    );
    assert_eq!(
        md["markdown"],
        "Log\n\n- first\n- entry 2\n- entry 3\n- entry 4\n"
    );
}

#[test]
fn append_adds_at_the_end_without_rewriting_anything() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "# Journal\n\nMonday\n");
    let ids = blocks(&sb, &token, &page);
    sb.clear_requests();
    ok(&env.run(&["pages", "append", &page, "Tuesday: shipped"]));
    let out = env.run(&["pages", "append", &page, "- note", "--after", "Monday"]);
    ok(&out);
    assert_eq!(
        markdown_writes(&sb),
        [
            format!("PATCH /v1/pages/{page}/markdown"),
            format!("PATCH /v1/pages/{page}/markdown")
        ]
    );
    assert!(
        !sb.requests().iter().any(|r| r["method"] == "GET"),
        "append reads nothing"
    );
    let after = blocks(&sb, &token, &page);
    for (a, b) in ids.iter().zip(&after) {
        assert_eq!(a.0, b.0, "an existing block kept its id");
    }
    let md = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/pages/{page}/markdown"),
        None,
    );
    assert_eq!(md["markdown"], "Monday\n\n- note\n\nTuesday: shipped\n");
    let e = env.run(&["pages", "append", &page, "---\ntitle: x\n---\nbody"]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    let _ = HOME;
}

#[test]
fn on_a_thousand_block_page_an_edit_of_one_paragraph_keeps_every_other_id() {
    let (sb, env, token) = setup();
    let body: String = (1..=1000)
        .map(|n| format!("Paragraph number {n}.\n\n"))
        .collect();
    let page = page_with(&sb, &token, &body);
    let before = blocks(&sb, &token, &page);
    assert_eq!(before.len(), 1000);
    let got = env.run(&["pages", "get", &page]).stdout;
    let file = write(
        &env,
        "big.md",
        &got.replace("Paragraph number 500.", "Paragraph number 500, edited."),
    );
    sb.clear_requests();
    ok(&env.run(&["pages", "edit", &page, &file]));
    let sent = sb.requests();
    let after = blocks(&sb, &token, &page);
    let kept = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.0 == b.0)
        .count();
    assert_eq!(kept, 999, "all but the edited paragraph keep their ids");
    // The edit: the page and its Markdown, the block walk (10 pages of children), one
    // write, and the read-back.
    let writes: Vec<&Value> = sent.iter().filter(|r| r["method"] != "GET").collect();
    assert_eq!(writes.len(), 1, "{sent:?}");
    assert!(sent.len() <= 16, "{} requests: {sent:?}", sent.len());
}

#[test]
fn a_write_answered_with_an_error_after_the_work_is_looked_at_not_replayed() {
    let (sb, env, token) = setup();
    // An edit applied, then answered 503: sent once, read back, reported as applied.
    let page = page_with(&sb, &token, "ab\n");
    sb.fault(
        json!({"path_prefix": format!("/v1/pages/{page}/markdown"), "method": "PATCH",
        "status": 503, "count": 1, "after": true}),
    );
    let out = env.run(&[
        "pages",
        "edit",
        &page,
        "--replace",
        "a",
        "aa",
        "--all-matches",
    ]);
    ok(&out);
    assert!(
        out.stderr.contains("read back with the edit applied"),
        "{}",
        out.stderr
    );
    let md = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/pages/{page}/markdown"),
        None,
    );
    assert_eq!(md["markdown"], "aab\n", "applied once, never replayed");
    // Refused before any work: read back unchanged, safe to try again (exit 5).
    sb.fault(
        json!({"path_prefix": format!("/v1/pages/{page}/markdown"), "method": "PATCH",
        "status": 500, "count": 1}),
    );
    let out = env.run(&["pages", "edit", &page, "--replace", "aab", "abc"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("nothing was applied"), "{}", out.stderr);
    // A create applied, then answered 529: the page is found by its title, not made twice.
    sb.fault(
        json!({"path_prefix": "/v1/pages", "method": "POST", "status": 529,
        "count": 1, "after": true}),
    );
    sb.clear_requests();
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("page:{HOME}"),
        "--content",
        "---\ntitle: Made once\n---\nBody\n",
    ]);
    ok(&out);
    assert!(
        out.stderr.contains("the page was created"),
        "{}",
        out.stderr
    );
    let made: Vec<Value> = sb
        .requests()
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/v1/pages")
        .collect();
    assert_eq!(made.len(), 1, "sent once");
    let found = api(
        &sb,
        &token,
        "POST",
        "/v1/search",
        Some(json!({"query": "Made once"})),
    );
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        out.stdout.trim(),
        found["results"][0]["id"].as_str().unwrap()
    );
}

#[test]
fn a_dry_run_on_a_changed_page_shows_the_three_way_view() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "Alpha\n\nBeta\n\nGamma\n");
    let got = env.run(&["pages", "get", &page]).stdout;
    let file = write(&env, "mine.md", &got.replace("Gamma", "Gamma, mine"));
    // A colleague's edit, through ntn too (so this machine's record moves on).
    ok(&env.run(&[
        "pages",
        "edit",
        &page,
        "--replace",
        "Alpha",
        "Alpha, theirs",
    ]));
    sb.clear_requests();
    let out = env.run(&["pages", "edit", &page, &file]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let dry = env.run(&["pages", "edit", &page, &file, "--dry-run"]);
    ok(&dry);
    assert!(dry.stdout.contains("Alpha, theirs"), "{}", dry.stdout);
    assert!(dry.stdout.contains("Gamma, mine"), "{}", dry.stdout);
    assert!(dry.stdout.contains("Notion"), "{}", dry.stdout);
    assert!(
        !dry.stdout.contains("no copy of the page"),
        "the base is this machine's record of the copy: {}",
        dry.stdout
    );
    assert!(dry.stdout.contains("do not overlap"), "{}", dry.stdout);
    assert!(writes(&sb).is_empty(), "a dry run sends nothing");
}

/// A server whose every left-out block holds the next one's tag twice: spliced naively,
/// 42 tiny answers make 2^42 copies. It answers `n` requests, then stops.
fn doubling_server(n: usize) -> String {
    let page = "f0000000-0000-4000-8000-000000000000";
    let block = |k: usize| format!("f1000000-0000-4000-8000-{k:012}");
    let tag = move |k: usize| {
        format!(
            "<unknown url=\"https://www.notion.so/p#{}\" alt=\"x\"/>",
            block(k).replace('-', "")
        )
    };
    common::raw_json_server(n, move |first, _| {
        let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
        let reply = if path == format!("/v1/pages/{page}") {
            json!({"object": "page", "id": page, "parent": {"type": "workspace", "workspace": true},
                   "properties": {"title": {"id": "title", "type": "title", "title": []}}})
        } else if path == format!("/v1/pages/{page}/markdown") {
            json!({"object": "page_markdown", "id": page, "markdown": format!("{}\n", tag(0)),
                   "truncated": false, "unknown_block_ids": [block(0)]})
        } else {
            let k: usize = path
                .trim_end_matches("/markdown")
                .rsplit('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(99);
            let next = k + 1;
            let (md, ids) = if next < 42 {
                (
                    format!("a {}\n{}\n", tag(next), tag(next)),
                    vec![block(next)],
                )
            } else {
                ("leaf\n".to_string(), Vec::new())
            };
            json!({"object": "page_markdown", "id": block(k), "markdown": md,
                   "truncated": false, "unknown_block_ids": ids})
        };
        reply.to_string().into_bytes()
    })
}

#[test]
fn blocks_a_server_doubles_at_every_round_are_refused_before_they_are_built() {
    let url = doubling_server(60);
    let mut env = TestEnv::new();
    env.set("NOTION_ENV", "local");
    env.set("NOTION_API_BASE_URL", &url);
    env.set("NOTION_BASE_URL", &url);
    env.set("NOTION_API_TOKEN", "ntn_test_token_for_a_hostile_server");
    let out = env.run(&["pages", "get", "f0000000-0000-4000-8000-000000000000"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(
        out.stderr.contains("refusing to splice them in"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}
