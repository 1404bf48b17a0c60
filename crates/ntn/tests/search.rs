//! `ntn search` against the sandbox, in-process: titles, types, every output
//! mode, limits and cursors, `--all`.

mod common;

use std::collections::HashSet;

use common::{ALICE, Sandbox, TestEnv};
use ntn::output::TestUi;
use serde_json::Value;

fn setup() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start();
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    (sb, env)
}

#[test]
fn by_title_and_type_in_every_mode() {
    let (sb, env) = setup();
    let o = env.run(&["search", "road", "--plain"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let cells: Vec<&str> = o.stdout.trim_end().split('\t').collect();
    assert_eq!(
        cells,
        [
            "d2000000-0000-4000-8000-000000000002",
            "data_source",
            "Roadmap",
            "2025-01-10T00:00:00.000Z",
            "https://www.notion.so/Roadmap-d2000000000040008000000000000002"
        ]
    );
    // Several words are one query; pages only.
    let o = env.run(&["search", "engineering", "notes", "--type", "page", "--json"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["object"], "page");
    // Data sources only, newest first.
    let o = env.run(&["search", "--type", "data-source", "--csv"]);
    let mut r = csv::Reader::from_reader(o.stdout.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "type", "title", "last_edited", "url"]
    );
    let titles: Vec<String> = r.records().map(|x| x.unwrap()[2].to_string()).collect();
    assert_eq!(
        titles,
        [
            "People",
            "Companies",
            "Roadmap",
            "Glossary",
            "Reading list",
            "Tasks"
        ]
    );
    let o = env.run(&["search", "--type", "data_source", "--ids"]);
    assert_eq!(o.stdout.lines().count(), 6);
    let o = env.run(&["search", "Acme", "--ndjson"]);
    let v: Value = serde_json::from_str(o.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["id"], "a1000000-0000-4000-8000-000000000001");
    // A table for people.
    let o = env.run_with(&["search", "road"], TestUi::new().terminal(200));
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines[0].starts_with("ID "), "{}", o.stdout);
    assert!(
        lines[1].contains("data source  Roadmap  2025-01-10 00:00"),
        "{}",
        o.stdout
    );
    // The body asked for the newest first.
    let searches = sb
        .requests()
        .into_iter()
        .filter(|r| r["path"] == "/v1/search")
        .count();
    assert_eq!(searches, 6);
    let o = env.run(&["search", "nothing-matches-this"]);
    assert_eq!(o.code, 0);
    assert_eq!(o.stdout, "");
    assert!(o.stderr.contains("No results."));
}

#[test]
fn limits_cursors_and_all() {
    let (_sb, env) = setup();
    let o = env.run(&["search", "--ids"]);
    assert_eq!(o.stdout.lines().count(), 25);
    let cursor = o
        .stderr
        .split("--start-cursor ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("{}", o.stderr))
        .to_string();
    let o = env.run(&["search", "--start-cursor", &cursor, "--limit", "5", "--ids"]);
    assert_eq!(o.stdout.lines().count(), 5);
    let o = env.run(&["search", "--all", "--ids"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let ids: HashSet<&str> = o.stdout.lines().collect();
    // 9 pages (the Handbook tree: 5), 6 data sources (Glossary), 273 rows (Glossary: 3).
    assert_eq!(ids.len(), 288);
    assert!(!o.stderr.contains("--start-cursor"));
    let o = env.run(&["search", "--all", "--limit", "3"]);
    assert_eq!(o.code, 2);
    let o = env.run(&["search", "--type", "database"]);
    assert_eq!(o.code, 2);
}
