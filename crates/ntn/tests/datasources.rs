//! `ntn datasources` against the sandbox, in-process: `--where` returns the
//! rows of the hand-written filter JSON, every output mode (CSV read back
//! with a CSV parser), `--all` and cursors, `--explain` sends nothing,
//! `--columns` narrows the request, a database with two data sources,
//! reading past Notion's row limit (windows on created_time) and what cannot
//! (exit 3), pacing under the rate limit.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{Out, Sandbox, TestEnv};
use ntn::output::TestUi;
use ntn::support::ManualClock;
use serde_json::{Value, json};

const TASKS: &str = "d2000000-0000-4000-8000-000000000001";
const ROADMAP_DB: &str = "d1000000-0000-4000-8000-000000000002";
const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const CONTACTS_DB: &str = "d1000000-0000-4000-8000-000000000003";
const PEOPLE: &str = "d2000000-0000-4000-8000-000000000003";
const COMPANIES: &str = "d2000000-0000-4000-8000-000000000004";
const ALICE_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";

/// A sandbox and an environment with a token for Acme (TZ=UTC).
fn setup_with(args: &[&str]) -> (Sandbox, TestEnv) {
    let sb = Sandbox::start_with(args);
    let env = env_for(&sb);
    (sb, env)
}

fn env_for(sb: &Sandbox) -> TestEnv {
    common::acme_env(sb)
}

fn ok(o: &Out) -> &str {
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    &o.stdout
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

fn queries(sb: &Sandbox) -> Vec<Value> {
    sb.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with("/query"))
        })
        .collect()
}

/// Today in UTC, as the command computes it (TZ=UTC).
fn today_plus(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let d = jiff::Timestamp::from_second(now + days * 86_400)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    d.to_string()
}

#[test]
fn where_returns_the_rows_of_the_hand_written_filter() {
    let (_sb, env) = setup_with(&[]);
    let p =
        |name: &str, kind: &str, cond: &str, v: Value| json!({"property": name, kind: {cond: v}});
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            ROADMAP,
            "Status = \"In progress\"",
            p("Status", "status", "equals", json!("In progress")),
        ),
        (
            ROADMAP,
            "Stage != Planned and Estimate >= 5",
            json!({"and": [
            p("Stage", "select", "does_not_equal", json!("Planned")),
            p("Estimate", "number", "greater_than_or_equal_to", json!(5))]}),
        ),
        (
            ROADMAP,
            "Tags in (docs, backend)",
            json!({"or": [
            p("Tags", "multi_select", "contains", json!("docs")),
            p("Tags", "multi_select", "contains", json!("backend"))]}),
        ),
        (
            ROADMAP,
            "not Tags ~ frontend",
            p(
                "Tags",
                "multi_select",
                "does_not_contain",
                json!("frontend"),
            ),
        ),
        (
            ROADMAP,
            "Notes is empty or Contact is empty",
            json!({"or": [
            p("Notes", "rich_text", "is_empty", json!(true)),
            p("Contact", "email", "is_empty", json!(true))]}),
        ),
        (
            ROADMAP,
            "Name ~ SEARCH",
            p("Name", "title", "contains", json!("SEARCH")),
        ),
        (
            ROADMAP,
            "Done = true",
            p("Done", "checkbox", "equals", json!(true)),
        ),
        (
            ROADMAP,
            "\"Due date\" < 2025-03-01",
            p("Due date", "date", "before", json!("2025-03-01")),
        ),
        (
            ROADMAP,
            "Due date != 2025-02-01",
            json!({"or": [
            p("Due date", "date", "before", json!("2025-02-01")),
            p("Due date", "date", "after", json!("2025-02-01"))]}),
        ),
        (
            ROADMAP,
            "\"Due date\" < -7d",
            p("Due date", "date", "before", json!(today_plus(-7))),
        ),
        (
            ROADMAP,
            "Owner = me",
            p("Owner", "people", "contains", json!(ALICE_ID)),
        ),
        (
            ROADMAP,
            "Owner ~ restricted@acme.test",
            p(
                "Owner",
                "people",
                "contains",
                json!("aaaaaaaa-0000-4000-8000-000000000003"),
            ),
        ),
        (
            ROADMAP,
            "\"Blocked by\" = https://www.notion.so/Billing-API-d4000000000040008000000000000002",
            p(
                "Blocked by",
                "relation",
                "contains",
                json!("d4000000-0000-4000-8000-000000000002"),
            ),
        ),
        (
            ROADMAP,
            "created >= 2025-02-04",
            json!({"timestamp": "created_time", "created_time": {"on_or_after": "2025-02-04"}}),
        ),
        (
            ROADMAP,
            "Stage is empty or (Done = false and (Tags = docs or (Estimate > 5 and Owner is not empty)))",
            json!({"or": [
                p("Stage", "select", "is_empty", json!(true)),
                {"and": [p("Done", "checkbox", "equals", json!(false)), p("Tags", "multi_select", "contains", json!("docs"))]},
                {"and": [p("Done", "checkbox", "equals", json!(false)), p("Estimate", "number", "greater_than", json!(5)),
                         p("Owner", "people", "is_not_empty", json!(true))]}]}),
        ),
        (
            TASKS,
            "Status = Done and Priority > 5",
            json!({"and": [
            p("Status", "select", "equals", json!("Done")),
            p("Priority", "number", "greater_than", json!(5))]}),
        ),
        (
            TASKS,
            "Tags is empty or Name ~ \"task 2\"",
            json!({"or": [
            p("Tags", "multi_select", "is_empty", json!(true)),
            p("Name", "title", "contains", json!("task 2"))]}),
        ),
    ];
    for (source, expr, filter) in cases {
        let by_where = env.run(&[
            "datasources",
            "query",
            source,
            "--where",
            expr,
            "--all",
            "--ids",
        ]);
        let by_json = env.run(&[
            "datasources",
            "query",
            source,
            "--filter",
            &filter.to_string(),
            "--all",
            "--ids",
        ]);
        let (w, j) = (ok(&by_where), ok(&by_json));
        assert_eq!(w, j, "{expr}");
        assert!(!w.is_empty(), "{expr}: no rows");
        // --explain prints exactly that filter.
        let explained = env.run(&["datasources", "query", source, "--where", expr, "--explain"]);
        let body: Value = serde_json::from_str(ok(&explained)).unwrap();
        assert_eq!(body, json!({"filter": filter}), "{expr}");
    }
    // Known answers, so that equal is also right.
    let ids = |expr: &str| -> Vec<String> {
        let o = env.run(&[
            "datasources",
            "query",
            ROADMAP,
            "--where",
            expr,
            "--columns",
            "Name",
            "--plain",
        ]);
        let mut v: Vec<String> = lines(ok(&o)).into_iter().map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(
        ids("Owner = me"),
        ["Billing API", "Launch site", "Onboarding ✨"]
    );
    assert_eq!(ids("Tags is empty"), ["Mobile app"]);
}

#[test]
fn explain_sends_nothing() {
    let (sb, env) = setup_with(&[]);
    sb.clear_requests();
    let o = env.run(&[
        "datasources",
        "query",
        "Roadmap",
        "--where",
        "Status = Done",
        "--sort",
        "Due date desc",
        "--explain",
    ]);
    let body: Value = serde_json::from_str(ok(&o)).unwrap();
    assert_eq!(
        body,
        json!({"filter": {"property": "Status", "status": {"equals": "Done"}},
               "sorts": [{"property": "Due date", "direction": "descending"}]})
    );
    assert!(
        o.stderr
            .contains(&format!("POST /v1/data_sources/{ROADMAP}/query (not sent)")),
        "{}",
        o.stderr
    );
    assert!(queries(&sb).is_empty(), "{:?}", sb.requests());
    // Only reads: finding the data source by title and its schema.
    for r in sb.requests() {
        assert!(r["method"] == "GET" || r["path"] == "/v1/search", "{r}");
    }
    // A mistake sends nothing either, and points at itself.
    sb.clear_requests();
    let o = env.run(&["datasources", "query", ROADMAP, "--where", "Stauts = Done"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("    Stauts = Done\n    ^^^^^^\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("hint: did you mean Status?"),
        "{}",
        o.stderr
    );
    assert!(queries(&sb).is_empty());
}

#[test]
fn csv_reads_back_with_a_csv_parser() {
    let (_sb, env) = setup_with(&[]);
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--all",
        "--csv",
        "--sort",
        "created",
    ]);
    let mut reader = csv::Reader::from_reader(ok(&o).as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "id",
            "Name",
            "Notes",
            "Estimate",
            "Stage",
            "Status",
            "Tags",
            "Due date",
            "Done",
            "Owner",
            "Blocked by",
            "Link",
            "Contact"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("id")], "d4000000-0000-4000-8000-000000000001");
    assert_eq!(&rows[0][col("Notes")], "Public launch, v1");
    assert_eq!(&rows[1][col("Notes")], "Stripe \"webhooks\" and retries");
    assert_eq!(&rows[1][col("Owner")], "Alice Example, Gus Guest");
    assert_eq!(&rows[2][col("Estimate")], "");
    assert_eq!(&rows[3][col("Name")], "Search, faster");
    assert_eq!(&rows[3][col("Notes")], "Line one\nline two, with a comma");
    assert_eq!(&rows[3][col("Estimate")], "5.5");
    assert_eq!(
        &rows[3][col("Blocked by")],
        "d4000000-0000-4000-8000-000000000002"
    );
    assert_eq!(&rows[5][col("Name")], "Onboarding ✨");
    assert_eq!(&rows[5][col("Done")], "true");
    assert_eq!(&rows[5][col("Tags")], "frontend");
    assert!(ok(&o).contains("\r\n"), "RFC 4180 line ends");
}

#[test]
fn every_output_mode() {
    let (_sb, env) = setup_with(&[]);
    let q = |extra: &[&str]| -> Out {
        let mut args = vec!["datasources", "query", ROADMAP, "--sort", "created"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    // --plain: TSV without a header, the page id first.
    let o = q(&["--plain"]);
    let rows = lines(ok(&o));
    assert_eq!(rows.len(), 6);
    let first: Vec<&str> = rows[0].split('\t').collect();
    assert_eq!(
        first[..3],
        [
            "d4000000-0000-4000-8000-000000000001",
            "Launch site",
            "Public launch, v1"
        ]
    );
    assert_eq!(first.len(), 13);
    assert!(rows[3].contains("Line one line two, with a comma"));
    // --json: the page objects as Notion returns them.
    let o = q(&["--json"]);
    let v: Value = serde_json::from_str(ok(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);
    assert_eq!(v[0]["object"], "page");
    assert_eq!(
        v[0]["properties"]["Status"]["status"]["name"],
        "In progress"
    );
    // --ndjson: one object per line.
    let o = q(&["--ndjson"]);
    let objs: Vec<Value> = lines(ok(&o))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 6);
    assert_eq!(objs, *v.as_array().unwrap());
    // --ids.
    let o = q(&["--ids"]);
    assert_eq!(lines(ok(&o))[5], "d4000000-0000-4000-8000-000000000006");
    // A table on a terminal: the title first, fitted to the width.
    let o = env.run_with(
        &["datasources", "query", ROADMAP, "--sort", "created"],
        TestUi::new().terminal(72),
    );
    let table = ok(&o);
    let rows = lines(table);
    assert!(rows[0].starts_with("Name "), "{table}");
    assert_eq!(rows.len(), 7, "{table}");
    for line in &rows {
        assert!(
            unicode_width::UnicodeWidthStr::width(*line) <= 72,
            "{line:?}"
        );
    }
    assert!(o.stderr.contains("do not fit the terminal"), "{}", o.stderr);
    // Options conflict.
    let o = q(&["--csv", "--json"]);
    assert_eq!(o.code, 2);
    // An empty answer.
    let o = env.run(&["datasources", "query", ROADMAP, "--where", "Estimate > 100"]);
    assert_eq!(ok(&o), "");
    assert!(o.stderr.contains("No rows."));
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--where",
        "Estimate > 100",
        "--json",
    ]);
    assert_eq!(ok(&o), "[]\n");
}

#[test]
fn columns_choose_and_narrow_the_request() {
    let (sb, env) = setup_with(&[]);
    sb.clear_requests();
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--columns",
        "id,Name,\"Due date\"",
        "--json",
        "--sort",
        "created",
    ]);
    let v: Value = serde_json::from_str(ok(&o)).unwrap();
    for row in v.as_array().unwrap() {
        let mut keys: Vec<&String> = row["properties"].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["Due date", "Name"], "{row}");
    }
    let q = &queries(&sb)[0];
    assert_eq!(
        q["query"], "filter_properties=title&filter_properties=Du%253Ae",
        "{q}"
    );
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--columns",
        "Name,due date,edited",
        "--csv",
        "--sort",
        "created",
    ]);
    assert_eq!(
        lines(ok(&o))[..2],
        [
            "Name,Due date,edited",
            "Launch site,2025-03-10,2025-02-01T09:00:00.000Z"
        ]
    );
    let o = env.run(&["datasources", "query", ROADMAP, "--columns", "Name,Stat"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("did you mean Status?"), "{}", o.stderr);
}

#[test]
fn sorts_limits_and_cursors() {
    let (_sb, env) = setup_with(&[]);
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--sort",
        "Due date desc",
        "-s",
        "Name",
        "--columns",
        "Name",
        "--plain",
    ]);
    assert_eq!(
        lines(ok(&o)),
        [
            "Mobile app",
            "Launch site",
            "Search, faster",
            "Billing API",
            "Onboarding ✨",
            "Docs revamp"
        ]
    );
    // 25 rows by default; the cursor to continue from on stderr.
    let o = env.run(&["datasources", "query", TASKS, "--ids"]);
    assert_eq!(lines(ok(&o)).len(), 25);
    assert!(
        o.stderr
            .contains("--start-cursor d3000000-0000-4000-8000-000000000026"),
        "{}",
        o.stderr
    );
    // --limit 150 asks for 100 then 50; --start-cursor continues right after.
    let o = env.run(&["datasources", "query", TASKS, "--limit", "150", "--ids"]);
    let first: Vec<String> = lines(ok(&o)).into_iter().map(String::from).collect();
    assert_eq!(first.len(), 150);
    let cursor = o
        .stderr
        .split("--start-cursor ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no cursor: {}", o.stderr))
        .to_string();
    let o = env.run(&[
        "datasources",
        "query",
        TASKS,
        "--start-cursor",
        &cursor,
        "--all",
        "--ids",
    ]);
    let rest: Vec<String> = lines(ok(&o)).into_iter().map(String::from).collect();
    assert_eq!(rest.len(), 110);
    assert!(!o.stderr.contains("--start-cursor"), "{}", o.stderr);
    let all: HashSet<&String> = first.iter().chain(&rest).collect();
    assert_eq!(all.len(), 260);
}

#[test]
fn all_returns_every_row() {
    let (sb, env) = setup_with(&["--rows", "1234"]);
    sb.clear_requests();
    let o = env.run(&["datasources", "query", "Tasks", "--all", "--ids"]);
    let ids: HashSet<&str> = lines(ok(&o)).into_iter().collect();
    assert_eq!(ids.len(), 1234);
    assert_eq!(queries(&sb).len(), 13);
    let o = env.run(&["datasources", "query", TASKS, "--all", "--json"]);
    let v: Value = serde_json::from_str(ok(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1234);
    let o = env.run(&["datasources", "query", TASKS, "--all", "--csv"]);
    assert_eq!(
        csv::Reader::from_reader(ok(&o).as_bytes())
            .records()
            .count(),
        1234
    );
}

#[test]
fn a_database_with_two_data_sources() {
    let (_sb, env) = setup_with(&[]);
    // Querying the database: an error naming both, with the commands to run.
    let o = env.run(&["datasources", "query", CONTACTS_DB]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("has 2 data sources"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains(&format!("ntn datasources query {PEOPLE}   # People")),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains(&format!("ntn datasources query {COMPANIES}   # Companies")),
        "{}",
        o.stderr
    );
    // resolve lists them, in every mode.
    let o = env.run(&["datasources", "resolve", CONTACTS_DB, "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(ok(&o)).unwrap(),
        json!([{"id": PEOPLE, "name": "People"}, {"id": COMPANIES, "name": "Companies"}])
    );
    let o = env.run(&[
        "datasources",
        "resolve",
        &format!(
            "https://www.notion.so/acme/{}?v=1",
            CONTACTS_DB.replace('-', "")
        ),
        "--plain",
    ]);
    assert_eq!(
        ok(&o),
        format!("{PEOPLE}\tPeople\n{COMPANIES}\tCompanies\n")
    );
    // Each data source, by id or by title.
    let o = env.run(&[
        "datasources",
        "query",
        PEOPLE,
        "--columns",
        "Name",
        "--plain",
        "--sort",
        "Name",
    ]);
    assert_eq!(ok(&o), "Ada Lovelace\nGrace Hopper\n");
    let o = env.run(&[
        "datasources",
        "query",
        "companies",
        "--columns",
        "Website",
        "--plain",
        "--sort",
        "Name",
    ]);
    assert_eq!(ok(&o), "https://analytical.test\nhttps://cobol.test\n");
    // A database with one data source is that data source.
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP_DB,
        "--ids",
        "--limit",
        "1",
        "--sort",
        "created",
    ]);
    assert_eq!(ok(&o), "d4000000-0000-4000-8000-000000000001\n");
    // Nothing by that id, or by that title.
    let o = env.run(&[
        "datasources",
        "query",
        "ffffffff-0000-4000-8000-000000000000",
    ]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains("no data source, no database"),
        "{}",
        o.stderr
    );
    let o = env.run(&["datasources", "query", "Road"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("no data source is called \"Road\""),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(ROADMAP), "{}", o.stderr);
}

#[test]
fn schema_in_every_mode() {
    let (_sb, env) = setup_with(&[]);
    let o = env.run(&["datasources", "schema", "Roadmap", "--plain"]);
    let rows = lines(ok(&o));
    assert_eq!(rows[0], "Name\ttitle\t\ttitle");
    assert!(
        rows.contains(&"Status\tstatus\tNot started, In progress, Done\tp4"),
        "{rows:?}"
    );
    assert!(rows.contains(&"Due date\tdate\t\tDu%3Ae"), "{rows:?}");
    let o = env.run(&["datasources", "schema", ROADMAP, "--json"]);
    let v: Value = serde_json::from_str(ok(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 12);
    assert_eq!(v[0]["type"], "title");
    let o = env.run(&["datasources", "schema", ROADMAP, "--ids"]);
    assert_eq!(lines(ok(&o))[0], "title");
    let o = env.run(&["datasources", "schema", ROADMAP]);
    assert!(ok(&o).starts_with("NAME "), "{}", o.stdout);
    assert!(o.stderr.contains("data source Roadmap"), "{}", o.stderr);
}

#[test]
fn filters_from_json_a_file_or_stdin_only_when_named() {
    let (_sb, env) = setup_with(&[]);
    let filter = r#"{"property": "Done", "checkbox": {"equals": true}}"#;
    let want = "d4000000-0000-4000-8000-000000000002\nd4000000-0000-4000-8000-000000000006\n";
    let o = env.run(&["datasources", "query", ROADMAP, "--filter", filter, "--ids"]);
    assert_eq!(ok(&o), want);
    let f = env.dir.path().join("filter.json");
    std::fs::write(&f, filter).unwrap();
    let at = format!("@{}", f.display());
    let o = env.run(&["datasources", "query", ROADMAP, "--filter", &at, "--ids"]);
    assert_eq!(ok(&o), want);
    let o = env.run_with(
        &["datasources", "query", ROADMAP, "--filter", "-", "--ids"],
        TestUi::new().stdin(filter),
    );
    assert_eq!(ok(&o), want);
    // As the official CLI spells it.
    let path = f.display().to_string();
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--filter-file",
        &path,
        "--ids",
    ]);
    assert_eq!(ok(&o), want);
    let o = env.run_with(
        &[
            "datasources",
            "query",
            ROADMAP,
            "--filter-file",
            "-",
            "--ids",
        ],
        TestUi::new().stdin(filter),
    );
    assert_eq!(ok(&o), want);
    // Stdin that is not named is not read (it would not parse).
    let o = env.run_with(
        &[
            "datasources",
            "query",
            ROADMAP,
            "--where",
            "Done = true",
            "--ids",
        ],
        TestUi::new().stdin("not json at all"),
    );
    assert_eq!(ok(&o), want);
    // Bad JSON: inline is usage (2), a file is local input (1).
    let o = env.run(&["datasources", "query", ROADMAP, "--filter", "{nope"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    std::fs::write(&f, "[1]").unwrap();
    let o = env.run(&["datasources", "query", ROADMAP, "--filter", &at]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("not a JSON object"), "{}", o.stderr);
    // Notion's own validation error for a wrong filter comes through (exit 5).
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--filter",
        r#"{"property": "Done", "checkbox": {"equals": "yes"}}"#,
    ]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(o.stderr.contains("should be a boolean"), "{}", o.stderr);
    // --where and --filter together: usage.
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--filter",
        filter,
        "--where",
        "Done = true",
    ]);
    assert_eq!(o.code, 2);
}

/// The generated row ids `d3000000-…-<i>` for these `i`, in order.
fn task_ids(i: impl Iterator<Item = usize>) -> Vec<String> {
    i.map(|i| format!("d3000000-0000-4000-8000-{i:012}"))
        .collect()
}

#[test]
fn all_reads_past_notions_row_limit_every_row_once_in_created_order() {
    let (sb, env) = setup_with(&["--rows", "25000", "--query-limit", "10000"]);
    sb.clear_requests();
    let o = env.run(&["datasources", "query", TASKS, "--all", "--ids"]);
    assert_eq!(lines(ok(&o)), task_ids(1..=25_000));
    assert!(!o.stderr.contains("incomplete"), "{}", o.stderr);
    // Three windows: each restarts at the minute of the last row seen (one row a
    // minute here, read again and skipped), with the created_time bound.
    let qs = queries(&sb);
    assert!(qs.len() <= 253, "{} queries", qs.len());
    let bounds: Vec<&Value> = qs
        .iter()
        .filter_map(|q| q["body"]["filter"].get("created_time"))
        .collect();
    assert!(!bounds.is_empty());
    assert!(
        qs.iter().all(|q| q["body"]["sorts"]
            == json!([{"timestamp": "created_time", "direction": "ascending"}])),
        "every query in created order"
    );
    // With --where: the filter and the window's bound together, within two levels.
    sb.clear_requests();
    let o = env.run(&[
        "datasources",
        "query",
        TASKS,
        "--where",
        "Status = Done or Tags = bug",
        "--all",
        "--ids",
    ]);
    // Status is "Done" for i % 3 == 2; Tags hold "bug" for i % 4 == 1, and for
    // i % 4 == 3 when (i / 4) % 3 == 0 (the sandbox's generated rows).
    let bug = |i: usize| i % 4 == 1 || (i % 4 == 3 && (i / 4).is_multiple_of(3));
    let want = task_ids((1..=25_000).filter(|&i| i % 3 == 2 || bug(i)));
    assert!(want.len() > 10_000);
    assert_eq!(lines(ok(&o)), want);
    let last = queries(&sb).pop().unwrap();
    assert_eq!(
        last["body"]["filter"]["and"][1]["timestamp"], "created_time",
        "{}",
        last["body"]
    );
}

#[test]
fn windows_skip_the_rows_of_their_first_minute_already_read() {
    // Seven rows share each created_time: a window starts inside a minute's rows.
    let (_sb, env) = setup_with(&[
        "--rows",
        "2500",
        "--query-limit",
        "1000",
        "--rows-per-minute",
        "7",
    ]);
    let o = env.run(&["datasources", "query", TASKS, "--all", "--ids"]);
    assert_eq!(lines(ok(&o)), task_ids(1..=2500));
    // --limit past the first window stops there.
    let o = env.run(&["datasources", "query", TASKS, "--limit", "1500", "--ids"]);
    assert_eq!(lines(ok(&o)), task_ids(1..=1500));
}

#[test]
fn more_rows_in_one_minute_than_a_query_returns_exit_3_with_the_reason() {
    let (_sb, env) = setup_with(&[
        "--rows",
        "10001",
        "--rows-per-minute",
        "20000",
        "--query-limit",
        "10000",
    ]);
    let o = env.run(&["datasources", "query", TASKS, "--all", "--ids"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(lines(&o.stdout).len(), 10_000);
    assert!(
        o.stderr
            .contains("share the created_time 2025-01-01T00:01:00.000Z"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("the 10000 rows printed"), "{}", o.stderr);
    assert!(o.stderr.contains("created in that minute"), "{}", o.stderr);
}

#[test]
fn a_sorted_query_past_the_limit_is_printed_then_exits_3() {
    let (_sb, env) = setup_with(&["--query-limit", "150"]);
    let o = env.run(&[
        "datasources",
        "query",
        TASKS,
        "--all",
        "--sort",
        "Priority",
        "--ids",
    ]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert_eq!(lines(&o.stdout).len(), 150);
    assert!(
        o.stderr.contains(
            "warning: Notion says this answer is incomplete (query_result_limit_reached)"
        ),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("the 150 rows printed"), "{}", o.stderr);
    assert!(o.stderr.contains("drop --sort"), "{}", o.stderr);
    // JSON stays a whole array.
    let o = env.run(&[
        "datasources",
        "query",
        TASKS,
        "--all",
        "--sort",
        "Priority",
        "--json",
    ]);
    assert_eq!(o.code, 3);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 150);
    // Without --sort, or sorted by creation alone, every row.
    let o = env.run(&["datasources", "query", TASKS, "--all", "--ids"]);
    assert_eq!(lines(ok(&o)).len(), 260);
    let o = env.run(&[
        "datasources",
        "query",
        TASKS,
        "--all",
        "--sort",
        "created",
        "--ids",
    ]);
    assert_eq!(lines(ok(&o)), task_ids(1..=260));
}

#[test]
fn all_reads_for_longer_than_a_minute() {
    // One request a second on the test's own clock: 100 pages take 100 s of it, past
    // the one-minute budget of a single request.
    let clock = Arc::new(ManualClock::new());
    let sb = Sandbox::start_on_clock(&["--rate-limit", "1", "--rows", "10000"], clock.clone());
    let env = env_for(&sb);
    let o = env.run_full(
        &["datasources", "query", TASKS, "--all", "--ids"],
        TestUi::new(),
        clock.clone(),
    );
    assert_eq!(lines(ok(&o)).len(), 10_000);
}

#[test]
fn all_paces_itself_under_the_rate_limit() {
    // The sandbox limits 5 requests a second on the test's own clock, so
    // the client's waits (on that clock) are what the server sees.
    let clock = Arc::new(ManualClock::new());
    let sb = Sandbox::start_on_clock(&["--rate-limit", "5", "--rows", "2000"], clock.clone());
    let env = env_for(&sb);
    sb.clear_requests();
    let start = std::time::Instant::now();
    let t0 = ntn::support::Clock::now(clock.as_ref());
    let o = env.run_full(
        &["datasources", "query", TASKS, "--all", "--ids"],
        TestUi::new(),
        clock.clone(),
    );
    assert_eq!(lines(ok(&o)).len(), 2000);
    let log = sb.requests();
    let throttled = log.iter().filter(|r| r["status"] == 429).count();
    assert_eq!(throttled, 1, "{log:?}");
    assert_eq!(
        queries(&sb).iter().filter(|r| r["status"] == 200).count(),
        20
    );
    // One Retry-After wait, then requests 210 ms apart (5 a second, 5% slower).
    let sleeps = clock.sleeps();
    assert_eq!(sleeps[0], Duration::from_secs(1), "{sleeps:?}");
    let spacing: Vec<&Duration> = sleeps[1..].iter().collect();
    assert!(!spacing.is_empty());
    for s in &spacing {
        assert!(**s <= Duration::from_millis(210), "{sleeps:?}");
    }
    // 21 requests at 5 a second: about 4 seconds of (manual) time.
    let elapsed = ntn::support::Clock::now(clock.as_ref()) - t0;
    assert!(
        elapsed >= Duration::from_millis(3900) && elapsed <= Duration::from_millis(4600),
        "{elapsed:?} {sleeps:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(o.stderr.contains("HTTP 429"), "{}", o.stderr);
}
