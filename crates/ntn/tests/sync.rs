//! `ntn sync` against the sandbox as strict as Notion: a folder and a page tree kept in
//! step by content, never by clock, with nothing lost. Each test is one of the issue's
//! cases: conflicts left with Notion untouched, clean merges on both sides, a colleague's
//! edit landing between the read and the write, two edits in one minute, creates that
//! survive a crash without duplicates, renames and moves, deletes that need --delete
//! (and --yes for many), lossy pages, and a no-op sync that reads no page.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::pages::{api, setup};
use common::{Out, Sandbox, TestEnv};
use serde_json::json;

/// The fixture's page tree (see the sandbox's README).
const HANDBOOK: &str = "a1000000-0000-4000-8000-000000000020";
const ONBOARDING: &str = "a1000000-0000-4000-8000-000000000021";
const FIRST_WEEK: &str = "a1000000-0000-4000-8000-000000000022";
const TOOLS: &str = "a1000000-0000-4000-8000-000000000023";
const STYLE: &str = "a1000000-0000-4000-8000-000000000024";
const LOSSY: &str = "a1000000-0000-4000-8000-000000000010";

fn ok(out: &Out) {
    assert_eq!(
        out.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
}

/// `ntn sync init` of the Handbook into the test's folder `hb`.
fn init(env: &TestEnv) -> PathBuf {
    let dir = env.home().join("hb");
    let out = env.run(&["sync", "init", dir.to_str().unwrap(), "--page", HANDBOOK]);
    ok(&out);
    dir
}

fn sync(env: &TestEnv, dir: &Path, verb: &[&str]) -> Out {
    let mut args = vec!["sync"];
    args.extend_from_slice(verb);
    args.extend_from_slice(&["-C", dir.to_str().unwrap()]);
    env.run(&args)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn markdown(sb: &Sandbox, token: &str, id: &str) -> String {
    api(sb, token, "GET", &format!("/v1/pages/{id}/markdown"), None)["markdown"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A colleague's edit: one search-and-replace on the page.
fn remote_edit(sb: &Sandbox, token: &str, id: &str, old: &str, new: &str) {
    api(
        sb,
        token,
        "PATCH",
        &format!("/v1/pages/{id}/markdown"),
        Some(json!({"type": "update_content", "update_content": {
            "content_updates": [{"old_str": old, "new_str": new}]}})),
    );
}

/// The requests of the run, as `METHOD path`.
fn requests(sb: &Sandbox) -> Vec<String> {
    sb.requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect()
}

fn page_reads(sb: &Sandbox) -> Vec<String> {
    requests(sb)
        .into_iter()
        .filter(|r| r.starts_with("GET") && r.ends_with("/markdown"))
        .collect()
}

/// Every file of the folder (relative, sorted), without `.ntn/`.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel.starts_with(".ntn") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn edit_file(p: &Path, old: &str, new: &str) {
    let text = read(p);
    assert!(text.contains(old), "{} has {old:?}:\n{text}", p.display());
    std::fs::write(p, text.replacen(old, new, 1)).unwrap();
}

/// The children pages of a page, by title, as Notion has them.
fn children(sb: &Sandbox, token: &str, id: &str) -> Vec<(String, String)> {
    let md = markdown(sb, token, id);
    let mut out = Vec::new();
    for part in md.split("<page url=\"").skip(1) {
        let url = part.split('"').next().unwrap();
        let title = part
            .split('>')
            .nth(1)
            .unwrap()
            .split("</page")
            .next()
            .unwrap();
        let hex: String = url
            .chars()
            .rev()
            .take(32)
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        out.push((title.to_string(), hex));
    }
    out
}

#[test]
fn init_pulls_the_tree_with_pages_in_toggles_and_columns_and_the_database_rows() {
    let (_sb, env, _token) = setup();
    let dir = init(&env);
    let got = files(&dir);
    for want in [
        "Handbook.md",
        "Onboarding/Onboarding.md",
        "Onboarding/First week.md",
        "Tools.md",
        "Style guide.md",
    ] {
        assert!(got.iter().any(|f| f == want), "{want} in {got:?}");
    }
    let rows: Vec<&String> = got.iter().filter(|f| f.starts_with("Glossary/")).collect();
    assert_eq!(rows.len(), 3, "{got:?}");
    let row = read(&dir.join(rows[0]));
    assert!(row.contains("notion_id: d6000000-"), "{row}");
    assert!(row.contains("properties:"), "{row}");
    let tools = read(&dir.join("Tools.md"));
    assert!(
        tools.starts_with(&format!("---\nnotion_id: {TOOLS}\n")),
        "{tools}"
    );
    for id in [ONBOARDING, FIRST_WEEK, STYLE] {
        assert!(
            got.iter().any(|f| read(&dir.join(f)).contains(id)),
            "{id} pulled"
        );
    }
    // Frontmatter is never in the page: the body is what Notion has.
    let out = env.run(&["sync", "status", "-C", dir.to_str().unwrap()]);
    ok(&out);
}

#[test]
fn a_no_op_sync_reads_no_page_and_says_it_is_in_step() {
    let (sb, env, _token) = setup();
    let dir = init(&env);
    sb.clear_requests();
    let out = sync(&env, &dir, &[]);
    ok(&out);
    assert_eq!(page_reads(&sb), Vec::<String>::new(), "{:?}", requests(&sb));
    let writes: Vec<String> = requests(&sb)
        .into_iter()
        .filter(|r| !r.starts_with("GET") && r != "POST /v1/search")
        .collect();
    assert_eq!(writes, Vec::<String>::new());
    assert!(out.stderr.contains("In step"), "{}", out.stderr);
}

#[test]
fn the_same_line_changed_on_both_sides_is_a_conflict_and_notion_is_untouched() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    let file = dir.join("Tools.md");
    let line = first_text_line(&read(&file));
    edit_file(&file, &line, "Local version of the line.");
    remote_edit(&sb, &token, TOOLS, &line, "Remote version of the line.");
    let remote_before = markdown(&sb, &token, TOOLS);
    sb.clear_requests();
    let out = sync(&env, &dir, &[]);
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    let text = read(&file);
    assert!(
        text.contains("<<<<<<<") && text.contains(">>>>>>>"),
        "{text}"
    );
    assert!(
        text.contains("Local version") && text.contains("Remote version"),
        "{text}"
    );
    assert_eq!(markdown(&sb, &token, TOOLS), remote_before);
    let md_writes: Vec<String> = requests(&sb)
        .into_iter()
        .filter(|r| r.starts_with("PATCH"))
        .collect();
    assert_eq!(md_writes, Vec::<String>::new());
    // Fixed by hand and resolved, the next sync sends it.
    std::fs::write(&file, text_without_markers(&text, "Resolved line.")).unwrap();
    let res = env.run(&[
        "sync",
        "resolve",
        file.to_str().unwrap(),
        "-C",
        dir.to_str().unwrap(),
    ]);
    ok(&res);
    let out = sync(&env, &dir, &[]);
    ok(&out);
    let md = markdown(&sb, &token, TOOLS);
    assert!(
        md.contains("Resolved line.") && !md.contains("Remote version"),
        "{md}\n{}\n{}\n{}\n{}",
        res.stderr,
        out.stdout,
        out.stderr,
        read(&file)
    );
}

#[test]
fn different_lines_changed_on_both_sides_are_merged_on_both_sides() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    let file = dir.join("Handbook.md");
    let text = read(&file);
    let lines = text_lines(&text);
    assert!(lines.len() >= 2, "{text}");
    edit_file(&file, &lines[0], &format!("{} (local)", lines[0]));
    remote_edit(
        &sb,
        &token,
        HANDBOOK,
        &lines[1],
        &format!("{} (remote)", lines[1]),
    );
    let out = sync(&env, &dir, &[]);
    ok(&out);
    let md = markdown(&sb, &token, HANDBOOK);
    let text = read(&file);
    for side in [&md, &text] {
        assert!(side.contains(&format!("{} (local)", lines[0])), "{side}");
        assert!(side.contains(&format!("{} (remote)", lines[1])), "{side}");
    }
    // Child pages in toggles and columns are still there.
    let kids: Vec<String> = children(&sb, &token, HANDBOOK)
        .into_iter()
        .map(|c| c.0)
        .collect();
    for t in ["Onboarding", "Tools", "Style guide"] {
        assert!(kids.iter().any(|k| k == t), "{t} in {kids:?}");
    }
    let again = sync(&env, &dir, &[]);
    ok(&again);
    assert!(again.stderr.contains("In step"), "{}", again.stderr);
}

#[test]
fn two_edits_in_the_same_minute_are_both_seen() {
    let clock = Arc::new(ntn::support::ManualClock::new());
    // Early in a minute, so the steps below stay in it.
    use ntn::support::Clock;
    let into = clock.unix_ms() % 60_000;
    clock.advance(Duration::from_millis(60_000 - into + 1_000));
    let sb = Sandbox::start_on_clock(&[], clock.clone());
    let mut env = TestEnv::new().with_sandbox(&sb);
    let token = sb.mint_token(common::ALICE, &sb.workspace("Acme"));
    env.set("NOTION_API_TOKEN", &token);
    let run = |args: &[&str]| env.run_full(args, ntn::output::TestUi::new(), clock.clone());
    let dir = env.home().join("hb");
    ok(&run(&[
        "sync",
        "init",
        dir.to_str().unwrap(),
        "--page",
        HANDBOOK,
    ]));
    let file = dir.join("Tools.md");
    let line = first_text_line(&read(&file));
    clock.advance(Duration::from_secs(5));
    remote_edit(&sb, &token, TOOLS, &line, "First edit.");
    ok(&run(&["sync", "-C", dir.to_str().unwrap()]));
    assert!(read(&file).contains("First edit."));
    // Same minute: Notion's last_edited_time does not move.
    clock.advance(Duration::from_secs(5));
    remote_edit(&sb, &token, TOOLS, "First edit.", "Second edit.");
    ok(&run(&["sync", "-C", dir.to_str().unwrap()]));
    assert!(read(&file).contains("Second edit."), "{}", read(&file));
    // A minute later the page settles; after that it costs no read.
    clock.advance(Duration::from_secs(70));
    ok(&run(&["sync", "-C", dir.to_str().unwrap()]));
    sb.clear_requests();
    ok(&run(&["sync", "-C", dir.to_str().unwrap()]));
    assert_eq!(page_reads(&sb), Vec::<String>::new());
}

#[test]
fn a_colleagues_edit_between_the_read_and_the_write_is_refused_and_nothing_is_lost() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    let file = dir.join("Tools.md");
    let line = first_text_line(&read(&file));
    edit_file(&file, &line, "Mine.");
    let client = page_client(&sb, &token);
    let ui = ntn::output::Ui::test().0;
    let colleague = |id: &str| {
        if id == TOOLS {
            remote_edit(&sb, &token, TOOLS, &line, "Colleague's.");
        }
    };
    let mut events = Vec::new();
    let mut sink = |e: &ntn::sync::engine::Event| events.push(e.clone());
    let summary = ntn::sync::engine::Sync::open(
        &client,
        &dir,
        ntn::sync::engine::Verb::Push,
        Default::default(),
        &ui,
        &mut sink,
    )
    .unwrap()
    .with_hook(&colleague)
    .run()
    .unwrap();
    assert_eq!(summary.pushed, 0, "{events:?}");
    assert!(summary.refused >= 1, "{events:?}");
    let md = markdown(&sb, &token, TOOLS);
    assert!(md.contains("Colleague's.") && !md.contains("Mine."), "{md}");
    assert!(read(&file).contains("Mine."));
    // The next sync sees both sides and leaves a conflict, still losing nothing.
    let out = sync(&env, &dir, &[]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let text = read(&file);
    assert!(
        text.contains("Mine.") && text.contains("Colleague's."),
        "{text}"
    );
}

#[test]
fn renamed_and_moved_files_are_the_same_pages_renamed_and_moved() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    std::fs::rename(dir.join("Tools.md"), dir.join("Toolbox.md")).unwrap();
    std::fs::rename(
        dir.join("Style guide.md"),
        dir.join("Onboarding/Style guide.md"),
    )
    .unwrap();
    let before: usize = search_count(&sb, &token);
    let out = sync(&env, &dir, &[]);
    ok(&out);
    let tools = api(&sb, &token, "GET", &format!("/v1/pages/{TOOLS}"), None);
    assert_eq!(ntn::notion::pages::props::title(&tools), "Toolbox");
    let style = api(&sb, &token, "GET", &format!("/v1/pages/{STYLE}"), None);
    assert_eq!(style["parent"]["page_id"], ONBOARDING);
    assert_eq!(search_count(&sb, &token), before, "no page made or lost");
    assert!(read(&dir.join("Toolbox.md")).contains("title: Toolbox"));
    let again = sync(&env, &dir, &[]);
    ok(&again);
    assert!(
        again.stderr.contains("In step"),
        "{}\n{}",
        again.stdout,
        again.stderr
    );
}

#[test]
fn a_local_delete_trashes_nothing_without_delete_and_a_mass_delete_needs_yes() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    std::fs::remove_file(dir.join("Tools.md")).unwrap();
    sb.clear_requests();
    let out = sync(&env, &dir, &[]);
    ok(&out);
    assert!(out.stdout.contains("Tools.md"), "{}", out.stdout);
    assert!(
        requests(&sb).iter().all(|r| !r.starts_with("PATCH")),
        "{:?}",
        requests(&sb)
    );
    let tools = api(&sb, &token, "GET", &format!("/v1/pages/{TOOLS}"), None);
    assert_eq!(tools["in_trash"], false);
    // With --delete it goes to the trash (restorable).
    ok(&sync(&env, &dir, &["--delete"]));
    let tools = api(&sb, &token, "GET", &format!("/v1/pages/{TOOLS}"), None);
    assert_eq!(tools["in_trash"], true);
    // Most of the tree gone: refused without --yes, nothing trashed.
    std::fs::remove_dir_all(dir.join("Glossary")).unwrap();
    std::fs::remove_dir_all(dir.join("Onboarding")).unwrap();
    sb.clear_requests();
    let out = sync(&env, &dir, &["--delete"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(
        requests(&sb).iter().all(|r| !r.starts_with("PATCH")),
        "{:?}",
        requests(&sb)
    );
}

#[test]
fn a_new_file_becomes_one_page_even_when_the_run_is_repeated() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    std::fs::write(
        dir.join("Onboarding/Checklist.md"),
        "# Steps\n\nBring a laptop.\n",
    )
    .unwrap();
    ok(&sync(&env, &dir, &[]));
    let text = read(&dir.join("Onboarding/Checklist.md"));
    assert!(text.starts_with("---\nnotion_id: "), "{text}");
    ok(&sync(&env, &dir, &[]));
    let kids = children(&sb, &token, ONBOARDING);
    assert_eq!(
        kids.iter().filter(|k| k.0 == "Checklist").count(),
        1,
        "{kids:?}"
    );
}

#[test]
fn a_create_interrupted_before_its_id_is_written_back_is_adopted_not_made_twice() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    std::fs::write(dir.join("Onboarding/Checklist.md"), "Bring a laptop.\n").unwrap();
    // The create is done on the server, then its answer never comes: the process is
    // killed while waiting, before it could write the id back.
    sb.fault(json!({"path_prefix": "/v1/pages", "method": "POST", "count": 1, "after": true, "stall": true}));
    let mut child = env
        .std_command()
        .args(["sync", "push", "-C", dir.to_str().unwrap()])
        .spawn()
        .unwrap();
    sb.wait_held(1);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!read(&dir.join("Onboarding/Checklist.md")).contains("notion_id"));
    assert_eq!(
        children(&sb, &token, ONBOARDING)
            .iter()
            .filter(|k| k.0 == "Checklist")
            .count(),
        1
    );
    let out = sync(&env, &dir, &[]);
    ok(&out);
    assert!(read(&dir.join("Onboarding/Checklist.md")).contains("notion_id"));
    assert_eq!(
        children(&sb, &token, ONBOARDING)
            .iter()
            .filter(|k| k.0 == "Checklist")
            .count(),
        1,
        "{}",
        out.stderr
    );
}

#[test]
fn a_lossy_page_pulls_refuses_a_push_that_rewrites_its_blocks_and_allows_edits_elsewhere() {
    let (sb, env, token) = setup();
    let dir = env.home().join("lossy");
    ok(&env.run(&["sync", "init", dir.to_str().unwrap(), "--page", LOSSY]));
    let file = dir.join("Lossy blocks.md");
    let text = read(&file);
    assert!(text.contains("Unrelated paragraph."), "{text}");
    // An edit elsewhere goes through.
    edit_file(
        &file,
        "Unrelated paragraph.",
        "Unrelated paragraph, edited.",
    );
    ok(&sync(&env, &dir, &[]));
    assert!(markdown(&sb, &token, LOSSY).contains("Unrelated paragraph, edited."));
    // An edit of the table of contents' line is refused, naming the block.
    edit_file(&file, "[TOC]", "[TOC] and more");
    let before = markdown(&sb, &token, LOSSY);
    let out = sync(&env, &dir, &[]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("table_of_contents"), "{}", out.stdout);
    assert_eq!(unsigned(&markdown(&sb, &token, LOSSY)), unsigned(&before));
}

#[test]
fn an_image_pulled_twice_is_one_asset_and_no_change() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    let file = dir.join("Onboarding/Onboarding.md");
    let text = read(&file);
    let assets: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("assets/"))
        .collect();
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert!(assets[0].ends_with(".png"), "{assets:?}");
    assert!(
        text.contains(&format!("![The office](../{})", assets[0])),
        "{text}"
    );
    let bytes = std::fs::read(dir.join(&assets[0])).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "the image's bytes were downloaded"
    );
    // Edited and edited back in Notion: read again (its image URL signed afresh), and
    // nothing changed.
    remote_edit(
        &sb,
        &token,
        ONBOARDING,
        "Welcome aboard.",
        "Welcome aboard!",
    );
    remote_edit(
        &sb,
        &token,
        ONBOARDING,
        "Welcome aboard!",
        "Welcome aboard.",
    );
    sb.clear_requests();
    let out = sync(&env, &dir, &[]);
    ok(&out);
    assert!(
        page_reads(&sb).iter().any(|r| r.contains(ONBOARDING)),
        "{:?}",
        requests(&sb)
    );
    assert!(
        out.stderr.contains("In step"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(read(&file), text);
    let again: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("assets/"))
        .collect();
    assert_eq!(again, assets);
}

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

#[test]
fn a_local_image_pushed_becomes_an_image_block_in_its_place() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    std::fs::write(dir.join("diagram.png"), PNG).unwrap();
    let file = dir.join("Tools.md");
    let line = first_text_line(&read(&file));
    edit_file(
        &file,
        &line,
        &format!("Before the diagram.\n\n![Our diagram](diagram.png)\n\n{line}"),
    );
    let out = sync(&env, &dir, &[]);
    ok(&out);
    let blocks = api(
        &sb,
        &token,
        "GET",
        &format!("/v1/blocks/{TOOLS}/children"),
        None,
    );
    let list = blocks["results"].as_array().unwrap();
    let kinds: Vec<&str> = list.iter().map(|b| b["type"].as_str().unwrap()).collect();
    let at = list
        .iter()
        .position(|b| b["type"] == "paragraph" && b.to_string().contains("Before the diagram."))
        .unwrap_or_else(|| panic!("{kinds:?}"));
    let image = &list[at + 1];
    assert_eq!(image["type"], "image", "{kinds:?}");
    assert_eq!(image["image"]["type"], "file", "{image}");
    assert!(image.to_string().contains("Our diagram"), "{image}");
    assert!(
        list.iter().all(|b| !b.to_string().contains("ntn-upload-")),
        "no placeholder left: {kinds:?}"
    );
    // The file now links the image as an asset; the next sync has nothing to do.
    let text = read(&file);
    assert!(text.contains("![Our diagram](assets/"), "{text}");
    let again = sync(&env, &dir, &[]);
    ok(&again);
    assert!(
        again.stderr.contains("In step"),
        "{}\n{}",
        again.stdout,
        again.stderr
    );
}

#[test]
fn a_rename_or_a_move_in_notion_moves_the_file_and_a_trashed_page_goes_to_the_trash_folder() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{TOOLS}"),
        Some(json!({"properties": {"title": {"title": [{"text": {"content": "Toolbox"}}]}}})),
    );
    api(
        &sb,
        &token,
        "POST",
        &format!("/v1/pages/{STYLE}/move"),
        Some(json!({"parent": {"type": "page_id", "page_id": ONBOARDING}})),
    );
    let out = sync(&env, &dir, &[]);
    ok(&out);
    let got = files(&dir);
    assert!(got.contains(&"Toolbox.md".to_string()), "{got:?}");
    assert!(!got.contains(&"Tools.md".to_string()), "{got:?}");
    assert!(
        got.contains(&"Onboarding/Style guide.md".to_string()),
        "{got:?} {} {}",
        out.stdout,
        out.stderr
    );
    assert!(read(&dir.join("Toolbox.md")).contains(&format!("notion_id: {TOOLS}")));
    // Trashed in Notion: the file goes to .ntn/trash/, unless it changed locally.
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{TOOLS}"),
        Some(json!({"in_trash": true})),
    );
    edit_file(
        &dir.join("Onboarding/Style guide.md"),
        "title: Style guide",
        "title: Style guide",
    );
    let out = sync(&env, &dir, &[]);
    ok(&out);
    assert!(!dir.join("Toolbox.md").exists());
    let trashed: Vec<String> = walk_all(&dir.join(".ntn/trash"));
    assert!(
        trashed.iter().any(|f| f.ends_with("Toolbox.md")),
        "{trashed:?}"
    );
    let style = dir.join("Onboarding/Style guide.md");
    let text = read(&style);
    std::fs::write(&style, text.replace("\n---\n", "\n---\n\nA local note.\n")).unwrap();
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{STYLE}"),
        Some(json!({"in_trash": true})),
    );
    let out = sync(&env, &dir, &[]);
    assert_eq!(out.code, 6, "{}\n{}", out.stdout, out.stderr);
    assert!(style.exists() && read(&style).contains("A local note."));
    assert!(out.stdout.contains("trashed in Notion"), "{}", out.stdout);
}

fn walk_all(d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_all(&p));
            } else {
                out.push(p.to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn a_rows_properties_go_both_ways_and_an_unknown_option_is_refused() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    let row = "d6000000-0000-4000-8000-000000000001";
    let file = files(&dir)
        .into_iter()
        .find(|f| f.starts_with("Glossary/") && read(&dir.join(f)).contains(row))
        .unwrap();
    let file = dir.join(file);
    let text = read(&file);
    assert!(text.contains("Tag: Acronym"), "{text}");
    edit_file(&file, "Tag: Acronym", "Tag: Term");
    ok(&sync(&env, &dir, &[]));
    let page = api(&sb, &token, "GET", &format!("/v1/pages/{row}"), None);
    assert_eq!(page["properties"]["Tag"]["select"]["name"], "Term");
    // A change in Notion comes back as the typed value.
    api(
        &sb,
        &token,
        "PATCH",
        &format!("/v1/pages/{row}"),
        Some(
            json!({"properties": {"Notes": {"rich_text": [{"text": {"content": "Changed in Notion"}}]}}}),
        ),
    );
    ok(&sync(&env, &dir, &[]));
    assert!(
        read(&file).contains("Notes: Changed in Notion"),
        "{}",
        read(&file)
    );
    // An option the schema does not have is refused, never created.
    edit_file(&file, "Tag: Term", "Tag: Terms");
    let out = sync(&env, &dir, &[]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Terms"), "{}", out.stdout);
    let page = api(&sb, &token, "GET", &format!("/v1/pages/{row}"), None);
    assert_eq!(page["properties"]["Tag"]["select"]["name"], "Term");
}

#[test]
fn a_page_made_in_notion_never_replaces_a_new_local_file_of_the_same_name() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    std::fs::write(
        dir.join("Onboarding/Checklist.md"),
        "Mine: bring a laptop.\n",
    )
    .unwrap();
    api(
        &sb,
        &token,
        "POST",
        "/v1/pages",
        Some(
            json!({"parent": {"page_id": ONBOARDING}, "markdown": "# Checklist\n\nTheirs: bring a badge.\n"}),
        ),
    );
    ok(&sync(&env, &dir, &[]));
    let mine = read(&dir.join("Onboarding/Checklist.md"));
    assert!(mine.contains("Mine: bring a laptop."), "{mine}");
    let theirs: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("Onboarding/Checklist (") && f.ends_with(".md"))
        .collect();
    assert_eq!(theirs.len(), 1, "{:?}", files(&dir));
    assert!(read(&dir.join(&theirs[0])).contains("Theirs: bring a badge."));
}

#[test]
fn pull_merges_into_the_file_and_the_next_push_sends_the_local_side() {
    let (sb, env, token) = setup();
    let dir = init(&env);
    let file = dir.join("Handbook.md");
    let lines = text_lines(&read(&file));
    edit_file(&file, &lines[0], &format!("{} (local)", lines[0]));
    remote_edit(
        &sb,
        &token,
        HANDBOOK,
        &lines[1],
        &format!("{} (remote)", lines[1]),
    );
    ok(&sync(&env, &dir, &["pull"]));
    let text = read(&file);
    assert!(
        text.contains("(local)") && text.contains("(remote)"),
        "{text}"
    );
    assert!(!markdown(&sb, &token, HANDBOOK).contains("(local)"));
    ok(&sync(&env, &dir, &["push"]));
    let md = markdown(&sb, &token, HANDBOOK);
    assert!(md.contains("(local)") && md.contains("(remote)"), "{md}");
}

#[test]
fn a_token_that_sees_none_of_the_pages_moves_no_file() {
    let (sb, env, _token) = setup();
    let dir = init(&env);
    let before = files(&dir);
    let other = sb.mint_token("bob@globex.test", &sb.workspace("Globex"));
    let out = env.run_env(
        &[("NOTION_API_TOKEN", other.as_str())],
        &["sync", "-C", dir.to_str().unwrap()],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("not visible in Notion"),
        "{}",
        out.stderr
    );
    assert_eq!(files(&dir), before);
}

// --- helpers --------------------------------------------------------------------

/// The first line of a file's body with words in it (not frontmatter, a tag or a
/// heading mark).
fn first_text_line(text: &str) -> String {
    text_lines(text).into_iter().next().expect("a line of text")
}

fn text_lines(text: &str) -> Vec<String> {
    let body = text.splitn(3, "---\n").nth(2).unwrap_or(text);
    body.lines()
        .map(str::trim)
        .filter(|l| {
            l.len() > 8
                && l.chars().next().is_some_and(|c| c.is_alphabetic())
                && !l.contains('<')
                && !l.contains('[')
        })
        .map(str::to_string)
        .collect()
}

/// Markdown with the signatures of hosted file URLs (new on every read) taken out.
fn unsigned(md: &str) -> String {
    md.split("?X-Amz-")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                part[part.find(')').unwrap_or(part.len())..].to_string()
            }
        })
        .collect()
}

fn text_without_markers(text: &str, keep: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for l in text.lines() {
        if l.starts_with("<<<<<<<") {
            inside = true;
            out.push_str(keep);
            out.push('\n');
            continue;
        }
        if l.starts_with(">>>>>>>") {
            inside = false;
            continue;
        }
        if !inside {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn search_count(sb: &Sandbox, token: &str) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"filter": {"property": "object", "value": "page"}, "page_size": 100});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let r = api(sb, token, "POST", "/v1/search", Some(body));
        n += r["results"].as_array().unwrap().len();
        match r["next_cursor"].as_str() {
            Some(c) if r["has_more"] == true => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    n
}

/// A page client on the sandbox (for the test that hooks between read and write).
fn page_client(sb: &Sandbox, token: &str) -> ntn::notion::pages::PageClient {
    let settings = ntn::http::Settings {
        timeout: Duration::from_secs(30),
        deadline: None,
        stall: None,
        interrupt: None,
        verbose: 0,
        ui: ntn::output::Ui::test().0,
        clock: Arc::new(ntn::support::SystemClock),
        network: ntn::http::Network::from_vars(&ntn::vars::Vars::default()),
    };
    let notion = ntn::notion::Notion::new(
        ntn::http::Client::new(settings),
        ntn::secrets::Token::new(token),
        &format!("{}/", sb.url),
        "2026-03-11",
    );
    ntn::notion::pages::PageClient::new(notion)
}
