//! `ntn datasources update` and `import` against the sandbox, in-process: dry runs send
//! nothing, writing off a terminal needs --yes, only what changes is sent, a stopped or
//! failed run finishes on a re-run without writing a row twice, `query --all --csv` →
//! two edited cells → `import` sends exactly those two, formula-looking cells round-trip,
//! unknown options and columns are refused before any write, `--key` refuses duplicates,
//! an import whose create may have happened never creates the row twice, NDJSON.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::{Out, Sandbox, TestEnv};
use ntn::output::TestUi;
use ntn::output::prompt::Answer;
use ntn::support::{Interrupt, ManualClock};
use serde_json::{Value, json};

const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const ROW1: &str = "d4000000-0000-4000-8000-000000000001";
const ROW2: &str = "d4000000-0000-4000-8000-000000000002";

fn setup() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start_with(&[]);
    let env = common::acme_env(&sb);
    (sb, env)
}

fn ok(o: &Out) -> &str {
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    &o.stdout
}

/// The writes the sandbox received: (method, path, body).
fn writes(sb: &Sandbox) -> Vec<(String, String, Value)> {
    sb.requests()
        .into_iter()
        .filter(|r| r["method"] == "PATCH" || r["method"] == "POST")
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/v1/pages"))
        })
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
                r["body"].clone(),
            )
        })
        .collect()
}

fn write_file(env: &TestEnv, name: &str, text: &str) -> String {
    let path = env.home().join(name);
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The rows of the data source: id → row object.
fn rows(env: &TestEnv) -> Vec<Value> {
    let out = env.run(&["datasources", "query", ROADMAP, "--all", "--ndjson"]);
    ok(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn title(row: &Value) -> String {
    row["properties"]["Name"]["title"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["plain_text"].as_str().unwrap())
        .collect()
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const SET_DONE: [&str; 9] = [
    "datasources",
    "update",
    ROADMAP,
    "--where",
    "Status != Done",
    "--set",
    "Status=Done",
    "--set",
    "Tags+=docs",
];

#[test]
fn a_dry_run_lists_rows_and_changes_and_sends_nothing() {
    let (sb, env) = setup();
    let mut args = SET_DONE.to_vec();
    args.push("--dry-run");
    let out = env.run(&args);
    let text = ok(&out);
    assert!(text.contains(&format!("{ROW1}  Launch site")), "{text}");
    assert!(text.contains("    Status: In progress → Done"), "{text}");
    // Launch site has docs already: only its status changes.
    assert!(!text.contains("    Tags: frontend, docs →"), "{text}");
    assert!(
        out.stderr.contains("dry run: nothing sent"),
        "{}",
        out.stderr
    );
    args.push("--json");
    let out = env.run(&args);
    let lines = json_lines(ok(&out));
    let would: Vec<&Value> = lines
        .iter()
        .filter(|l| l["status"] == "would-update")
        .collect();
    assert!(would.len() >= 2, "{lines:?}");
    let first = would.iter().find(|l| l["id"] == ROW1).unwrap();
    assert_eq!(
        first["changes"],
        json!([{"property": "Status", "before": "In progress", "after": "Done"}])
    );
    assert_eq!(
        lines.last().unwrap()["summary"]["would_update"],
        would.len()
    );
    // Notion's filter JSON instead of --where.
    let out = env.run(&[
        "datasources",
        "update",
        ROADMAP,
        "--filter",
        r#"{"property": "Stage", "select": {"equals": "Shipped"}}"#,
        "--set",
        "Estimate=1",
        "--dry-run",
    ]);
    assert!(
        ok(&out).contains(&format!("{ROW2}  Billing API\n    Estimate: 13 → 1")),
        "{}",
        out.stdout
    );
    assert!(writes(&sb).is_empty(), "{:?}", writes(&sb));
}

#[test]
fn writing_off_a_terminal_needs_yes_and_a_terminal_asks_with_the_count() {
    let (sb, env) = setup();
    let out = env.run(&SET_DONE);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no terminal to ask on"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(sb.requests().is_empty());
    // The question (the scripted prompter names it when it has no answer).
    let asked = env.run_with(&SET_DONE, TestUi::new().terminal(100));
    assert!(
        asked
            .stderr
            .contains("Update 4 rows of Roadmap? (4 matched)"),
        "{}",
        asked.stderr
    );
    let no = env.run_with(
        &SET_DONE,
        TestUi::new()
            .terminal(100)
            .answers([Answer::Confirm(false)]),
    );
    assert_eq!(no.code, 1, "{}", no.stderr);
    assert!(
        no.stderr.contains("cancelled: no row was updated"),
        "{}",
        no.stderr
    );
    assert!(writes(&sb).is_empty());
    let yes = env.run_with(
        &SET_DONE,
        TestUi::new().terminal(100).answers([Answer::Confirm(true)]),
    );
    ok(&yes);
    assert_eq!(writes(&sb).len(), 4);
    // A progress line on the terminal, cleared before the summary.
    assert!(
        yes.stderr.contains(&format!(
            "\r4 of 4 rows written\r{}\rUpdated 4 rows",
            " ".repeat(19)
        )),
        "{:?}",
        yes.stderr
    );
}

#[test]
fn only_what_changes_is_sent_and_a_second_run_sends_nothing() {
    let (sb, env) = setup();
    let out = env.run(&[
        "datasources",
        "update",
        ROADMAP,
        "--where",
        "Stage = Planned",
        "--set",
        "Tags+=docs",
        "--set",
        "\"Due date\"=2025-03-10",
        "--yes",
    ]);
    ok(&out);
    // Launch site has docs and that date already; the search row gets docs.
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        w[0].2,
        json!({"properties": {
            "Tags": {"multi_select": [{"name": "backend"}, {"name": "frontend"}, {"name": "docs"}]},
            "Due date": {"date": {"start": "2025-03-10", "end": null}}}})
    );
    assert!(
        out.stderr
            .contains("Updated 1 row, 1 unchanged in Roadmap."),
        "{}",
        out.stderr
    );
    sb.clear_requests();
    let again = env.run(&[
        "datasources",
        "update",
        ROADMAP,
        "--where",
        "Stage = Planned",
        "--set",
        "Tags+=docs",
        "--set",
        "\"Due date\"=2025-03-10",
        "--yes",
    ]);
    ok(&again);
    assert!(writes(&sb).is_empty());
    assert!(
        again.stderr.contains("Updated 0 rows, 2 unchanged"),
        "{}",
        again.stderr
    );
}

#[test]
fn bad_assignments_are_refused_before_anything_is_read() {
    let (sb, env) = setup();
    for (set, code, says) in [
        ("Stauts=Done", 1, "did you mean \"Status\""),
        ("Stage=Shiped", 1, "did you mean \"Shipped\""),
        ("Stage+=Idea", 2, "+= and -= add to"),
        ("Estimate=lots", 2, "takes a number"),
        ("Status", 2, "no `=`"),
    ] {
        let out = env.run(&[
            "datasources",
            "update",
            ROADMAP,
            "--all-rows",
            "--set",
            set,
            "--yes",
        ]);
        assert_eq!(out.code, code, "{set}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{set}: {}", out.stderr);
    }
    let out = env.run(&[
        "datasources",
        "update",
        ROADMAP,
        "--set",
        "Done=true",
        "--yes",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--all-rows"), "{}", out.stderr);
    assert!(writes(&sb).is_empty());
}

/// The PATCHes the sandbox applied (answered 200), per page.
fn applied_per_page(sb: &Sandbox) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for r in sb.requests() {
        if r["method"] == "PATCH" && r["status"] == 200 {
            *n.entry(r["path"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    n
}

#[test]
fn a_stopped_update_is_finished_by_the_same_command_without_writing_a_row_twice() {
    let (sb, env) = setup();
    let mut dry = SET_DONE.to_vec();
    dry.extend(["--dry-run", "--json"]);
    let order: Vec<String> = json_lines(ok(&env.run(&dry)))
        .iter()
        .filter(|l| l["status"] == "would-update")
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order.len(), 4);
    let mut args = SET_DONE.to_vec();
    args.push("--yes");
    // Ctrl-C while the rows are read: nothing is written.
    let interrupt = Interrupt::manual();
    interrupt.raise();
    let out = env.run_interruptible(
        &args,
        TestUi::new(),
        Arc::new(ManualClock::new()),
        interrupt,
    );
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert!(writes(&sb).is_empty());
    // The second row's write hangs; Ctrl-C is pressed meanwhile and the request times
    // out (the sandbox never applied it): the run stops there.
    sb.fault(
        json!({"path_prefix": format!("/v1/pages/{}", order[1]), "method": "PATCH",
                    "stall": true, "count": 1}),
    );
    let clock = Arc::new(ManualClock::new());
    let interrupt = Interrupt::manual();
    let out = std::thread::scope(|s| {
        let (c, i) = (clock.clone(), interrupt.clone());
        let run = s.spawn(|| env.run_interruptible(&args, TestUi::new(), c, i));
        sb.wait_held(1);
        interrupt.raise();
        clock.advance(Duration::from_secs(61));
        run.join().unwrap()
    });
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(
        out.stderr.contains("interrupted after 2 of 4 rows"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Updated 1 row, 0 unchanged, 1 failed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("run the same command again"),
        "{}",
        out.stderr
    );
    assert_eq!(applied_per_page(&sb).len(), 1);
    // A row fails on the way (Notion answers 503): exit 3, the others go through.
    let failing = format!("/v1/pages/{}", order[3]);
    sb.fault(json!({"path_prefix": failing, "method": "PATCH", "status": 503, "count": 9}));
    let out = env.run(&args);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("Updated 2 rows, 0 unchanged, 1 failed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("failed: {}", order[3])),
        "{}",
        out.stderr
    );
    sb.delete("/__sandbox/faults");
    let out = env.run(&args);
    ok(&out);
    assert!(
        out.stderr.contains("Updated 1 row, 0 unchanged"),
        "{}",
        out.stderr
    );
    // Each of the 4 rows was written once (the attempts that failed changed nothing).
    let applied = applied_per_page(&sb);
    assert_eq!(applied.len(), 4, "{applied:?}");
    assert!(applied.values().all(|n| *n == 1), "{applied:?}");
    for r in rows(&env) {
        assert_eq!(
            r["properties"]["Status"]["status"]["name"],
            "Done",
            "{}",
            title(&r)
        );
    }
}

/// `query --all --csv` of the Roadmap, as records.
fn export(env: &TestEnv) -> (Vec<String>, Vec<Vec<String>>) {
    let out = env.run(&["datasources", "query", ROADMAP, "--all", "--csv"]);
    let mut r = csv::Reader::from_reader(ok(&out).as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let records = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (headers, records)
}

fn to_csv(headers: &[String], records: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers).unwrap();
    for r in records {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn set_cell(h: &[String], recs: &mut [Vec<String>], id: &str, col: &str, v: &str) {
    let c = h.iter().position(|x| x == col).unwrap();
    let r = recs.iter_mut().find(|r| r[0] == id).unwrap();
    r[c] = v.to_string();
}

#[test]
fn export_edit_two_cells_import_sends_exactly_those_two() {
    let (sb, env) = setup();
    // A title a spreadsheet would run as a formula.
    ok(&env.run(&[
        "datasources",
        "update",
        ROADMAP,
        "--where",
        "Name = \"Billing API\"",
        "--set",
        "Name==1+1",
        "--yes",
    ]));
    let (h, mut recs) = export(&env);
    let name = h.iter().position(|x| x == "Name").unwrap();
    let row2 = recs.iter().find(|r| r[0] == ROW2).unwrap();
    assert_eq!(row2[name], "'=1+1", "neutralised on export");
    set_cell(&h, &mut recs, ROW1, "Estimate", "9");
    set_cell(&h, &mut recs, ROW2, "Stage", "Idea");
    let file = write_file(&env, "roadmap.csv", &to_csv(&h, &recs));
    sb.clear_requests();
    let out = env.run(&["datasources", "import", ROADMAP, &file, "--yes"]);
    ok(&out);
    let w = writes(&sb);
    assert_eq!(
        w,
        vec![
            (
                "PATCH".to_string(),
                format!("/v1/pages/{ROW1}"),
                json!({"properties": {"Estimate": {"number": 9}}})
            ),
            (
                "PATCH".to_string(),
                format!("/v1/pages/{ROW2}"),
                json!({"properties": {"Stage": {"select": {"name": "Idea"}}}})
            ),
        ]
    );
    assert!(out.stderr.contains("Updated 2 rows"), "{}", out.stderr);
    // The title came back as it was: `=1+1`, not `'=1+1`, and nothing was sent for it.
    let r2 = rows(&env).into_iter().find(|r| r["id"] == ROW2).unwrap();
    assert_eq!(title(&r2), "=1+1");
    // --raw-csv keeps the quote: then the title differs and would be sent.
    let dry = env.run(&[
        "datasources",
        "import",
        ROADMAP,
        &file,
        "--raw-csv",
        "--dry-run",
    ]);
    assert!(ok(&dry).contains("Name: =1+1 → '=1+1"), "{}", dry.stdout);
}

#[test]
fn unknown_options_and_columns_are_refused_before_any_write() {
    let (sb, env) = setup();
    let file = write_file(
        &env,
        "bad.csv",
        &format!("id,Name,Stage\n{ROW1},Launch site,Shiped\n,New row,Idea\n"),
    );
    let out = env.run(&["datasources", "import", ROADMAP, &file, "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("row 1: \"Stage\" has no option \"Shiped\" (did you mean \"Shipped\"?)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--create-options"), "{}", out.stderr);
    let file2 = write_file(&env, "bad2.csv", &format!("id,Stauts\n{ROW1},Done\n"));
    let out = env.run(&["datasources", "import", ROADMAP, &file2, "--yes"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean \"Status\""),
        "{}",
        out.stderr
    );
    assert!(writes(&sb).is_empty(), "{:?}", writes(&sb));
    // With --create-options, Notion makes the option.
    let out = env.run(&[
        "datasources",
        "import",
        ROADMAP,
        &file,
        "--yes",
        "--create-options",
    ]);
    ok(&out);
    assert!(
        out.stderr.contains("Updated 1 row, created 1 row"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_key_with_duplicates_in_notion_is_refused_listing_them() {
    let (sb, env) = setup();
    let two = write_file(
        &env,
        "two.ndjson",
        "{\"Name\": \"Dup\"}\n{\"Name\": \"Dup\"}\n",
    );
    ok(&env.run(&["datasources", "import", ROADMAP, &two, "--yes"]));
    let ids: Vec<String> = rows(&env)
        .iter()
        .filter(|r| title(r) == "Dup")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    sb.clear_requests();
    let file = write_file(&env, "k.csv", "Name,Estimate\nDup,3\nLaunch site,4\n");
    let out = env.run(&[
        "datasources",
        "import",
        ROADMAP,
        &file,
        "--key",
        "Name",
        "--yes",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("--key \"Name\" is not unique"),
        "{}",
        out.stderr
    );
    for id in &ids {
        assert!(out.stderr.contains(id.as_str()), "{}", out.stderr);
    }
    assert!(writes(&sb).is_empty());
    // A unique key matches: Launch site is updated, not created again.
    let file = write_file(&env, "k2.csv", "Name,Estimate\nLaunch site,4\n");
    ok(&env.run(&[
        "datasources",
        "import",
        ROADMAP,
        &file,
        "--key",
        "Name",
        "--yes",
    ]));
    assert_eq!(
        writes(&sb),
        vec![(
            "PATCH".to_string(),
            format!("/v1/pages/{ROW1}"),
            json!({"properties": {"Estimate": {"number": 4}}})
        )]
    );
}

#[test]
fn an_import_whose_create_may_have_happened_never_creates_the_row_twice() {
    let (sb, env) = setup();
    let file = write_file(
        &env,
        "new.csv",
        "Name,Stage\nFirst new,Idea\nSecond new,Planned\n",
    );
    // The first create is done on the server, then its answer is lost.
    sb.fault(json!({"path_prefix": "/v1/pages", "method": "POST", "count": 1, "after": true, "status": 502}));
    let out = env.run(&["datasources", "import", ROADMAP, &file, "--yes"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("may have been applied"),
        "{}",
        out.stderr
    );
    let journals = std::fs::read_dir(env.notion_home().join("imports"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count();
    assert_eq!(journals, 1, "the journal stays");
    let out = env.run(&["datasources", "import", ROADMAP, &file, "--yes"]);
    ok(&out);
    assert!(
        out.stderr
            .contains("2 rows an interrupted import created are matched, not created again"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Updated 0 rows, 2 unchanged"),
        "{}",
        out.stderr
    );
    let titles: Vec<String> = rows(&env).iter().map(title).collect();
    assert_eq!(
        titles.iter().filter(|t| *t == "First new").count(),
        1,
        "{titles:?}"
    );
    assert_eq!(
        titles.iter().filter(|t| *t == "Second new").count(),
        1,
        "{titles:?}"
    );
    let posts = writes(&sb).iter().filter(|w| w.0 == "POST").count();
    assert_eq!(posts, 2, "one create each");
    let left = std::fs::read_dir(env.notion_home().join("imports"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count();
    assert_eq!(left, 0, "the journal goes once the import is done");
}

#[test]
fn ndjson_rows_update_by_id_and_create_from_stdin() {
    let (sb, env) = setup();
    let input = format!(
        "{{\"id\": \"{ROW1}\", \"Estimate\": 42, \"Tags\": [\"frontend\", \"docs\"]}}\n\
         {{\"Name\": \"From NDJSON\", \"Tags\": [\"docs\"], \"Stage\": \"Idea\", \"Done\": true}}\n"
    );
    let out = env.run_with(
        &["datasources", "import", ROADMAP, "-", "--yes", "--json"],
        TestUi::new().stdin(input),
    );
    let lines = json_lines(ok(&out));
    assert_eq!(lines[0]["status"], "updated");
    assert_eq!(lines[1]["status"], "created");
    assert_eq!(lines[2]["summary"]["created"], 1);
    let w = writes(&sb);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].2, json!({"properties": {"Estimate": {"number": 42}}}));
    assert_eq!(
        w[1].2,
        json!({"parent": {"type": "data_source_id", "data_source_id": ROADMAP},
               "properties": {
                   "Name": {"title": [{"type": "text", "text": {"content": "From NDJSON"}}]},
                   "Tags": {"multi_select": [{"name": "docs"}]},
                   "Stage": {"select": {"name": "Idea"}},
                   "Done": {"checkbox": true}}})
    );
}

#[test]
fn bulk_work_longer_than_a_minute_is_not_cut_by_the_deadline() {
    // Two requests a second on the test's own clock: 300 row updates take two and a
    // half minutes of that clock, past the one-minute budget of a single request.
    let clock = Arc::new(ManualClock::new());
    let sb = Sandbox::start_on_clock(&["--rate-limit", "2", "--rows", "300"], clock.clone());
    let env = common::acme_env(&sb);
    let t0 = ntn::support::Clock::now(clock.as_ref());
    let o = env.run_full(
        &[
            "datasources",
            "update",
            "d2000000-0000-4000-8000-000000000001",
            "--all-rows",
            "--set",
            "Notes=paced",
            "--yes",
        ],
        TestUi::new(),
        clock.clone(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("Updated 300 rows"), "{}", o.stderr);
    let elapsed = ntn::support::Clock::now(clock.as_ref()) - t0;
    assert!(elapsed > Duration::from_secs(140), "{elapsed:?}");
    let patched = sb
        .requests()
        .iter()
        .filter(|r| r["method"] == "PATCH" && r["status"] == 200)
        .count();
    assert_eq!(patched, 300);
}
