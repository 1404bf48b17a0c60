//! `ntn pages` against the sandbox, in-process: reading completely (unknown blocks
//! spliced, what is missing exits 3), writing safely (no write when nothing changed,
//! frontmatter to properties, the concurrency, deletion and partial-page guards,
//! `--dry-run`, `--replace` checked before any write), creating under pages and data
//! sources, the editor, trash with and without a terminal, restore and move.

mod common;

use common::pages::{api, ok, page_with, setup, setup_with, write, writes};
use ntn::output::{Answer, TestUi};
use serde_json::{Value, json};

const HOME: &str = "a1000000-0000-4000-8000-000000000001";
const NOTES: &str = "a1000000-0000-4000-8000-000000000002";
const TASKS_DB: &str = "d1000000-0000-4000-8000-000000000001";
const TASKS_DS: &str = "d2000000-0000-4000-8000-000000000001";
const TASK_5: &str = "d3000000-0000-4000-8000-000000000005";

#[test]
fn get_prints_frontmatter_and_markdown_for_ids_and_urls() {
    let (_sb, env, _) = setup();
    let out = env.run(&["pages", "get", HOME]);
    ok(&out);
    assert!(out.stdout.starts_with(&format!(
        "---\nid: {HOME}\nurl: https://www.notion.so/Acme-Home-a1000000000040008000000000000001\ntitle: Acme Home\nparent: workspace\nlast_edited_time: \"2025-01-01T00:00:00.000Z\"\ncontent_hash: v1:"
    )), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("---\n\n# Welcome to Acme\n\nThis is the Acme home page.\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(">Engineering Notes</page>"));
    for form in [
        "a1000000000040008000000000000001",
        "https://www.notion.so/Acme-Home-a1000000000040008000000000000001",
        "https://www.notion.so/acme/a1000000000040008000000000000001?pvs=4",
    ] {
        let again = env.run(&["pages", "get", form]);
        ok(&again);
        assert_eq!(again.stdout, out.stdout, "{form}");
    }
    // A data source row: its properties as plain values.
    let out = env.run(&["pages", "get", TASK_5]);
    ok(&out);
    assert!(
        out.stdout
            .contains(&format!("title: Task 5\nparent: data-source:{TASKS_DS}\n")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("properties:\n  Status: Done\n  Priority: 6\n  Done: true\n  Tags:\n  - bug\n  Notes: \"\"\n"),
        "{}",
        out.stdout
    );
    let body = env.run(&["pages", "get", HOME, "--no-frontmatter"]);
    ok(&body);
    assert!(body.stdout.starts_with("# Welcome to Acme\n"));
    let j = env.run(&["pages", "get", HOME, "--json"]);
    ok(&j);
    let v: Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["page"]["id"], HOME);
    assert_eq!(v["markdown"]["object"], "page_markdown");
    assert!(
        v["markdown"]["markdown"]
            .as_str()
            .unwrap()
            .starts_with("# Welcome")
    );
    assert_eq!(v["missing"], json!([]));
    let bad = env.run(&["pages", "get", "not-an-id"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn get_then_edit_with_the_same_input_writes_nothing_and_reads_the_same() {
    let (sb, env, token) = setup();
    // With a hosted image: its URL is signed afresh on every read.
    let page = api(
        &sb,
        &token,
        "POST",
        "/v1/pages",
        Some(json!({"parent": {"page_id": HOME},
            "properties": {"title": [{"text": {"content": "Pictures"}}]},
            "children": [
                {"paragraph": {"rich_text": [{"text": {"content": "A cat:"}}]}},
                {"image": {"type": "file", "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/acme/cat.png"}, "caption": []}},
            ]})),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = env.run(&["pages", "get", &page]);
    ok(&first);
    assert!(
        first.stdout.contains("X-Amz-Signature="),
        "{}",
        first.stdout
    );
    let file = write(&env, "page.md", &first.stdout);
    sb.clear_requests();
    let out = env.run(&["pages", "edit", &page, &file]);
    ok(&out);
    assert!(out.stderr.contains("No changes"), "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());
    let second = env.run(&["pages", "get", &page]);
    ok(&second);
    let strip = |s: &str| s.split("X-Amz-").next().unwrap().to_string();
    assert_eq!(strip(&second.stdout), strip(&first.stdout));
    let hash = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("content_hash:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(hash(&second.stdout), hash(&first.stdout));
    // Same for a data source row (every property in the frontmatter).
    let row = env.run(&["pages", "get", TASK_5]);
    let file = write(&env, "row.md", &row.stdout);
    sb.clear_requests();
    ok(&env.run(&["pages", "edit", TASK_5, &file]));
    assert_eq!(writes(&sb), Vec::<String>::new());
    assert_eq!(env.run(&["pages", "get", TASK_5]).stdout, row.stdout);
}

#[test]
fn a_frontmatter_change_updates_the_property_and_the_body_in_one_command() {
    let (sb, env, token) = setup();
    let row = env.run(&["pages", "get", TASK_5]);
    let edited = row
        .stdout
        .replace("Status: Done", "Status: In progress")
        .replace("title: Task 5", "title: Task five")
        + "\nA new paragraph.\n";
    let file = write(&env, "row.md", &edited);
    sb.clear_requests();
    let out = env.run(&["pages", "edit", TASK_5, &file]);
    ok(&out);
    assert!(out.stderr.contains("Updated"), "{}", out.stderr);
    assert_eq!(
        writes(&sb),
        [
            format!("PATCH /v1/pages/{TASK_5}/markdown"),
            format!("PATCH /v1/pages/{TASK_5}")
        ]
    );
    let p = api(&sb, &token, "GET", &format!("/v1/pages/{TASK_5}"), None);
    assert_eq!(p["properties"]["Status"]["select"]["name"], "In progress");
    assert_eq!(
        p["properties"]["Name"]["title"][0]["plain_text"],
        "Task five"
    );
    let after = env.run(&["pages", "get", TASK_5, "--no-frontmatter"]);
    assert_eq!(after.stdout, "A new paragraph.\n");

    // An option that does not exist is an error with a suggestion; nothing is sent.
    let now = env.run(&["pages", "get", TASK_5]).stdout;
    let file = write(
        &env,
        "bad.md",
        &now.replace("Status: In progress", "Status: Dnoe"),
    );
    sb.clear_requests();
    let out = env.run(&["pages", "edit", TASK_5, &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean \"Done\""),
        "{}",
        out.stderr
    );
    assert_eq!(writes(&sb), Vec::<String>::new());
    let file = write(&env, "bad2.md", &now.replace("  Priority:", "  Priorty:"));
    let out = env.run(&["pages", "edit", TASK_5, &file]);
    assert!(
        out.stderr
            .contains("unknown property \"Priorty\" (did you mean \"Priority\"?)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_change_made_since_the_read_is_refused_unless_forced() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "# Shared\n\nOriginal text\n");
    let mine = env.run(&["pages", "get", &page]).stdout;
    // Someone else edits the page: last_edited_time cannot tell (rounded to the minute).
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{page}/markdown"),
        Some(json!({
        "type": "update_content",
        "update_content": {"content_updates": [{"old_str": "Original", "new_str": "Their"}]}})),
    );
    let file = write(&env, "mine.md", &mine.replace("Original text", "My text"));
    sb.clear_requests();
    let out = env.run(&["pages", "edit", &page, &file]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the page changed since this copy of it was read: its content changed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());
    let now = env.run(&["pages", "get", &page, "--no-frontmatter"]).stdout;
    assert_eq!(now, "Their text\n");
    let out = env.run(&["pages", "edit", &page, &file, "--force"]);
    ok(&out);
    assert!(
        out.stderr.contains("warning: the page changed"),
        "{}",
        out.stderr
    );
    assert_eq!(
        env.run(&["pages", "get", &page, "--no-frontmatter"]).stdout,
        "My text\n"
    );
}

#[test]
fn dry_run_prints_the_diff_and_sends_no_write() {
    let (sb, env, _) = setup();
    let row = env.run(&["pages", "get", TASK_5]).stdout;
    let file = write(
        &env,
        "row.md",
        &(row.replace("Priority: 6", "Priority: 9") + "\nHello\n"),
    );
    sb.clear_requests();
    let out = env.run(&["pages", "edit", TASK_5, &file, "--dry-run"]);
    ok(&out);
    assert_eq!(
        out.stdout,
        format!(
            "--- {TASK_5} (Notion now)\n+++ {TASK_5} (after the edit)\n@@ -0,0 +1 @@\n+Hello\n\nProperties:\n  Priority: 6 → 9\n"
        )
    );
    assert!(out.stderr.contains("Dry run: nothing was sent."));
    assert_eq!(writes(&sb), Vec::<String>::new());
    assert!(!sb.requests().is_empty(), "the page was read");
    let out = env.run(&[
        "pages",
        "edit",
        NOTES,
        "--replace",
        "layered",
        "stacked",
        "--dry-run",
    ]);
    ok(&out);
    assert!(
        out.stdout
            .contains("-We use a layered design.\n+We use a stacked design.\n"),
        "{}",
        out.stdout
    );
    assert_eq!(writes(&sb), Vec::<String>::new());
}

#[test]
fn a_partial_page_exits_3_and_its_edit_is_refused() {
    let (sb, env, token) = setup();
    let page = api(
        &sb,
        &token,
        "POST",
        "/v1/pages",
        Some(json!({"parent": {"page_id": HOME},
        "properties": {"title": [{"text": {"content": "Partial"}}]},
        "children": [
            {"paragraph": {"rich_text": [{"text": {"content": "Visible"}}]}},
            // A paragraph with children has no Markdown: Notion leaves it out.
            {"paragraph": {"rich_text": [{"text": {"content": "Parent"}}],
                "children": [{"paragraph": {"rich_text": [{"text": {"content": "Child"}}]}}]}},
            {"paragraph": {"rich_text": [{"text": {"content": "Secret"}}]}},
        ]})),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kids = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/blocks/{page}/children"),
        None,
    );
    let bookmark = kids["results"][1]["id"].as_str().unwrap().to_string();
    let secret = kids["results"][2]["id"].as_str().unwrap().to_string();
    sb.post("/__sandbox/share", &json!({"id": secret, "shared": false}));

    let out = env.run(&["pages", "get", &page]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stdout.contains("Visible"), "the page is still printed");
    assert!(out.stdout.contains("<unknown"), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!(
            "{bookmark}  a block Notion cannot write as Markdown"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("{secret}  not shared with the integration")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--allow-partial"), "{}", out.stderr);
    let partial = env.run(&["pages", "get", &page, "--allow-partial"]);
    ok(&partial);
    assert_eq!(partial.stdout, out.stdout);
    let j = env.run(&["pages", "get", &page, "--json"]);
    assert_eq!(j.code, 3);
    let v: Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["missing"].as_array().unwrap().len(), 2);

    let file = write(
        &env,
        "partial.md",
        &partial.stdout.replace("Visible", "Changed"),
    );
    sb.clear_requests();
    let out = env.run(&["pages", "edit", &page, &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("could not be read completely"),
        "{}",
        out.stderr
    );
    assert_eq!(writes(&sb), Vec::<String>::new());
    let out = env.run(&["pages", "edit", &page, "--replace", "Visible", "Seen"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());
}

#[test]
fn blocks_past_the_limit_are_read_back_and_spliced_in() {
    let (sb, env, token) = setup_with(&["--markdown-block-limit", "3"]);
    let md = "# T\n\none\n\n- two\n  - three\n  - four\n\nfive\n\n> six\n";
    let page = page_with(&sb, &token, md);
    let out = env.run(&["pages", "get", &page, "--no-frontmatter"]);
    ok(&out);
    assert_eq!(
        out.stdout,
        "one\n\n- two\n  - three\n  - four\n\nfive\n\n> six\n"
    );
    let reads = sb
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/markdown"))
        .count();
    assert!(reads > 1, "the left-out blocks were read by id");
}

#[test]
fn left_out_blocks_that_leave_out_blocks_are_read_too() {
    // A limit of one block: every subtree read by id leaves out its own children.
    let (sb, env, token) = setup_with(&["--markdown-block-limit", "1"]);
    let md = "one\n\n- two\n  - three\n    - four\n  - five\n\n> six\n>\n> seven\n";
    let page = page_with(&sb, &token, md);
    let out = env.run(&["pages", "get", &page, "--no-frontmatter"]);
    ok(&out);
    assert_eq!(out.stdout, md);
}

#[test]
fn deleting_a_child_page_is_refused_and_allowed_on_request() {
    let (sb, env, token) = setup();
    let parent = page_with(&sb, &token, "# Parent\n\nIntro\n");
    let child = page_with(&sb, &token, "# Child\n\nInside\n");
    api(
        &sb,
        &token,
        "POST",
        &format!("/v1/pages/{child}/move"),
        Some(json!({"parent": {"type": "page_id", "page_id": parent}})),
    );
    let text = env.run(&["pages", "get", &parent]).stdout;
    assert!(text.contains(">Child</page>"), "{text}");
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("<page"))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = write(&env, "p.md", &without);
    sb.clear_requests();
    let out = env.run(&["pages", "edit", &parent, &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("would delete the child page \"Child\" ({child})")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--allow-deleting-content"));
    assert_eq!(writes(&sb), Vec::<String>::new());
    let out = env.run(&["pages", "edit", &parent, &file, "--allow-deleting-content"]);
    ok(&out);
    let c = api(&sb, &token, "GET", &format!("/v1/pages/{child}"), None);
    assert_eq!(c["in_trash"], true);
}

#[test]
fn replace_with_zero_or_two_matches_is_refused_before_any_write() {
    let (sb, env, _) = setup();
    sb.clear_requests();
    let out = env.run(&[
        "pages",
        "edit",
        NOTES,
        "--replace",
        "layered",
        "clean",
        "--replace",
        "nowhere",
        "x",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--replace 2: \"nowhere\" is not on the page"),
        "{}",
        out.stderr
    );
    let out = env.run(&["pages", "edit", NOTES, "--replace", "e", "E"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("times"), "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());
    let out = env.run(&[
        "pages",
        "edit",
        NOTES,
        "--replace",
        "Write tests",
        "Write more tests",
        "--replace",
        "Ship",
        "Release",
    ]);
    ok(&out);
    assert_eq!(writes(&sb), [format!("PATCH /v1/pages/{NOTES}/markdown")]);
    let body = env.run(&["pages", "get", NOTES, "--no-frontmatter"]).stdout;
    assert!(
        body.contains("1. Write more tests\n1. Release it\n"),
        "{body}"
    );
    let out = env.run(&[
        "pages",
        "edit",
        NOTES,
        "--replace",
        "tests",
        "checks",
        "--all-matches",
    ]);
    ok(&out);
    // OLD and NEW may look like flags (Markdown list items do).
    let out = env.run(&[
        "pages",
        "edit",
        NOTES,
        "--replace",
        "1. Release it",
        "- Release it",
    ]);
    ok(&out);
    let body = env.run(&["pages", "get", NOTES, "--no-frontmatter"]).stdout;
    assert!(
        body.ends_with("1. Write more checks\n- Release it\n"),
        "{body}"
    );
}

#[test]
fn trash_needs_a_terminal_or_yes_and_restore_brings_it_back() {
    let (sb, env, token) = setup();
    let page = page_with(&sb, &token, "# Doomed\n");
    sb.clear_requests();
    let out = env.run(&["pages", "trash", &page]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(sb.requests().is_empty(), "nothing was sent");
    // On a terminal it asks; no keeps the page.
    let out = env.run_with(
        &["pages", "trash", &page],
        TestUi::new().terminal(80).answers([Answer::Confirm(false)]),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(writes(&sb), Vec::<String>::new());
    let out = env.run_with(
        &["pages", "trash", &page],
        TestUi::new().terminal(80).answers([Answer::Confirm(true)]),
    );
    ok(&out);
    assert_eq!(
        api(&sb, &token, "GET", &format!("/v1/pages/{page}"), None)["in_trash"],
        true
    );
    ok(&env.run(&["pages", "restore", &page]));
    assert_eq!(
        api(&sb, &token, "GET", &format!("/v1/pages/{page}"), None)["in_trash"],
        false
    );
    let out = env.run(&["pages", "trash", &page, "--yes"]);
    ok(&out);
    assert!(
        out.stderr.contains("Moved \"Doomed\" to the trash"),
        "{}",
        out.stderr
    );
}

#[test]
fn create_takes_content_from_a_file_stdin_or_the_flag() {
    let (sb, env, token) = setup();
    let file = write(
        &env,
        "new.md",
        "---\ntitle: From a file\n---\n\nHello **there**\n",
    );
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("page:{HOME}"),
        &file,
    ]);
    ok(&out);
    let id = out.stdout.trim().to_string();
    assert!(
        out.stderr.contains("Created \"From a file\""),
        "{}",
        out.stderr
    );
    let got = env.run(&["pages", "get", &id, "--no-frontmatter"]);
    assert_eq!(got.stdout, "Hello **there**\n");
    // stdin, when it is the input; the H1 is the title.
    let out = env.run_with(
        &[
            "pages",
            "create",
            "--parent",
            "https://www.notion.so/Acme-Home-a1000000000040008000000000000001",
        ],
        TestUi::new().stdin("# Piped\n\nbody\n"),
    );
    ok(&out);
    let p = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/pages/{}", out.stdout.trim()),
        None,
    );
    assert_eq!(p["properties"]["title"]["title"][0]["plain_text"], "Piped");
    assert_eq!(p["parent"]["page_id"], HOME);
    // Neither content nor a terminal: a usage error, stdin untouched.
    let out = env.run(&["pages", "create", "--parent", &format!("page:{HOME}")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // The parent can come from the frontmatter.
    let out = env.run(&[
        "pages",
        "create",
        "--content",
        &format!("---\ntitle: Framed\nparent: page:{HOME}\n---\n"),
    ]);
    ok(&out);
    let out = env.run(&["pages", "create", "--content", "# No parent"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn create_under_a_data_source_checks_the_schema() {
    let (sb, env, token) = setup();
    let doc = "---\ntitle: Write docs\nproperties:\n  Status: In progress\n  Tags: [docs]\n  Priority: 2\n---\n\nDetails\n";
    for parent in [
        format!("data-source:{TASKS_DS}"),
        format!("database:{TASKS_DB}"),
        "https://www.notion.so/Tasks-d1000000000040008000000000000001?v=abc".to_string(),
    ] {
        let out = env.run(&[
            "pages",
            "create",
            "--parent",
            &parent,
            "--content",
            doc,
            "--json",
        ]);
        ok(&out);
        let p: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(p["parent"]["data_source_id"], TASKS_DS, "{parent}");
        assert_eq!(
            p["properties"]["Name"]["title"][0]["plain_text"],
            "Write docs"
        );
        assert_eq!(p["properties"]["Status"]["select"]["name"], "In progress");
        assert_eq!(p["properties"]["Tags"]["multi_select"][0]["name"], "docs");
    }
    sb.clear_requests();
    let bad = doc.replace("Tags: [docs]", "Tags: [doc]");
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("data-source:{TASKS_DS}"),
        "--content",
        &bad,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("\"Tags\" has no option \"doc\" (did you mean \"docs\"?)"),
        "{}",
        out.stderr
    );
    assert!(writes(&sb).is_empty(), "{:?}", writes(&sb));
    let bad = doc.replace("Priority: 2", "Priorty: 2");
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("data-source:{TASKS_DS}"),
        "--content",
        &bad,
    ]);
    assert!(
        out.stderr.contains("did you mean \"Priority\""),
        "{}",
        out.stderr
    );
    let _ = token;
}

#[test]
fn a_database_with_several_data_sources_is_an_error_that_lists_them() {
    let mut fx: Value = serde_json::from_str(ntn_sandbox::fixture::DEFAULT_FIXTURE).unwrap();
    fx["databases"][0]["data_sources"]
        .as_array_mut()
        .unwrap()
        .push(json!({
        "id": "d2000000-0000-4000-8000-0000000000a2", "name": "Archive",
        "properties": [{"name": "Name", "type": "title"}]}));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.json");
    std::fs::write(&path, fx.to_string()).unwrap();
    let (_sb, env, _) = setup_with(&["--fixture", path.to_str().unwrap()]);
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("database:{TASKS_DB}"),
        "--content",
        "x",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("has 2 data sources"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("data-source:{TASKS_DS} (Tasks)")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("data-source:d2000000-0000-4000-8000-0000000000a2 (Archive)"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn edit_opens_the_editor_on_a_terminal_without_the_token() {
    use std::os::unix::fs::PermissionsExt;
    let (sb, mut env, token) = setup();
    let page = page_with(&sb, &token, "# Draft\n\nfirst version\n");
    let seen = env.dir.path().join("seen-env");
    let script = env.dir.path().join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nenv > {}\nsed -i 's/first version/second version/' \"$1\"\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("EDITOR", script.to_str().unwrap());
    let out = env.run_with(&["pages", "edit", &page], TestUi::new().terminal(80));
    ok(&out);
    assert_eq!(
        env.run(&["pages", "get", &page, "--no-frontmatter"]).stdout,
        "second version\n"
    );
    let child_env = std::fs::read_to_string(&seen).unwrap();
    assert!(!child_env.contains("NOTION_API_TOKEN"), "{child_env}");
    assert!(!child_env.contains(&token));
    // Without a terminal the editor is never opened.
    std::fs::remove_file(&seen).unwrap();
    let out = env.run(&["pages", "edit", &page]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!seen.exists());
}

#[test]
fn pages_move_and_old_versions_are_raised() {
    let (sb, mut env, token) = setup();
    let page = page_with(&sb, &token, "# Mover\n");
    let out = env.run(&["pages", "move", &page, "--to", &format!("page:{NOTES}")]);
    ok(&out);
    assert!(
        out.stderr.contains(&format!("to page:{NOTES}")),
        "{}",
        out.stderr
    );
    let p = api(&sb, &token, "GET", &format!("/v1/pages/{page}"), None);
    assert_eq!(p["parent"]["page_id"], NOTES);
    // An older NOTION_API_VERSION is raised to what page Markdown needs, with a warning.
    env.set("NOTION_API_VERSION", "2025-09-03");
    let out = env.run(&["pages", "get", &page]);
    ok(&out);
    assert!(
        out.stderr
            .contains("NOTION_API_VERSION=2025-09-03 is older than 2026-03-11"),
        "{}",
        out.stderr
    );
}
