//! `ntn datasources` and views, against the sandbox in-process: a view's
//! filter, sorts and visible columns applied (rows out match the filter, as
//! many as the sandbox's own answer to it), combined with `--where`, named by
//! `?v=` in a database URL or by `--view` (id or URL), shown by `--explain`;
//! `ntn datasources views` lists them; a view that is unknown, of another data
//! source, or too deep to combine is a clear error.

mod common;

use common::{Out, Sandbox, TestEnv};
use serde_json::{Value, json};

const TASKS: &str = "d2000000-0000-4000-8000-000000000001";
const ROADMAP_DB: &str = "d1000000-0000-4000-8000-000000000002";
const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const CONTACTS_DB: &str = "d1000000-0000-4000-8000-000000000003";
const PEOPLE: &str = "d2000000-0000-4000-8000-000000000003";
const COMPANIES: &str = "d2000000-0000-4000-8000-000000000004";
const OPEN_ITEMS: &str = "f7000000-0000-4000-8000-000000000001";
const BY_STAGE: &str = "f7000000-0000-4000-8000-000000000002";
const BUSY: &str = "f7000000-0000-4000-8000-000000000003";
const OPEN_BUGS: &str = "f7000000-0000-4000-8000-000000000005";
const COMPANIES_VIEW: &str = "f7000000-0000-4000-8000-000000000006";
const OPEN_ITEMS_URL: &str = "https://www.notion.so/acme/Roadmap-d1000000000040008000000000000002?v=f7000000000040008000000000000001&pm=s";

/// Roadmap rows, by number.
fn row(n: u32) -> String {
    format!("d4000000-0000-4000-8000-00000000000{n}")
}

fn setup() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start_with(&[]);
    let env = common::acme_env(&sb);
    (sb, env)
}

fn ok(o: &Out) -> &str {
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    &o.stdout
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// The bodies and paths of the data source queries sent.
fn queries(sb: &Sandbox) -> Vec<Value> {
    sb.requests()
        .into_iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with("/query"))
        })
        .collect()
}

fn the_open_items_filter() -> Value {
    json!({"property": "Status", "status": {"does_not_equal": "Done"}})
}

#[test]
fn a_views_filter_sorts_and_columns_are_applied() {
    let (sb, env) = setup();
    sb.clear_requests();
    // Status != Done, by due date (empty last).
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        OPEN_ITEMS,
        "--ids",
    ]);
    assert_eq!(lines(ok(&o)), [row(4), row(1), row(5), row(3)]);
    let sent = queries(&sb);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["body"]["filter"], the_open_items_filter());
    assert_eq!(
        sent[0]["body"]["sorts"],
        json!([{"property": "Due date", "direction": "ascending"}])
    );
    // Only the visible properties are asked for.
    assert_eq!(
        sent[0]["query"],
        "filter_properties=title&filter_properties=p4&filter_properties=Du%253Ae"
    );

    // The visible columns, in the view's order, are the CSV's (after the id).
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        OPEN_ITEMS,
        "--csv",
    ]);
    let mut reader = csv::Reader::from_reader(ok(&o).as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers, ["id", "Name", "Status", "Due date"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][1], "Search, faster");
    assert_eq!(&rows[0][3], "2025-03-01");
    // On a terminal-style table, the same columns without the id.
    let o = env.run(&["datasources", "query", ROADMAP, "--view", OPEN_ITEMS]);
    let head = ok(&o).lines().next().unwrap().to_string();
    assert!(head.starts_with("Name"), "{head}");
    assert!(
        head.contains("Status") && head.ends_with("Due date"),
        "{head}"
    );
    assert!(!head.contains("Estimate"), "{head}");

    // --sort and --columns replace the view's.
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        OPEN_ITEMS,
        "--sort",
        "Name desc",
        "--columns",
        "Name,Estimate",
        "--csv",
    ]);
    let out = ok(&o);
    assert_eq!(out.lines().next(), Some("Name,Estimate"));
    let names: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["\"Search", "Mobile app", "Launch site", "Docs revamp"]
    );
}

#[test]
fn a_views_rows_are_the_sandboxs_answer_to_its_filter() {
    let (_sb, env) = setup();
    let ndjson = |args: &[&str]| -> Vec<Value> {
        let o = env.run(args);
        ok(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // "Open bugs" on the 260 generated tasks: Tags contains bug, Status != Done,
    // Priority descending, columns Name, Priority, Status.
    let rows = ndjson(&[
        "datasources",
        "query",
        TASKS,
        "--view",
        OPEN_BUGS,
        "--all",
        "--ndjson",
    ]);
    assert!(rows.len() > 10, "{}", rows.len());
    let mut last = f64::INFINITY;
    for r in &rows {
        let p = &r["properties"];
        let prio = p["Priority"]["number"].as_f64().unwrap();
        assert!(
            prio <= last,
            "not by priority descending: {prio} after {last}"
        );
        last = prio;
        // Narrowed to the view's visible properties.
        let mut names: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["Name", "Priority", "Status"]);
    }
    // The very rows the sandbox answers to the same filter given by hand, each of
    // which matches it.
    let filter = json!({"and": [{"property": "Tags", "multi_select": {"contains": "bug"}},
                                {"property": "Status", "select": {"does_not_equal": "Done"}}]});
    let by_hand = ndjson(&[
        "datasources",
        "query",
        TASKS,
        "--filter",
        &filter.to_string(),
        "--all",
        "--ndjson",
    ]);
    for r in &by_hand {
        let p = &r["properties"];
        let tags: Vec<&str> = p["Tags"]["multi_select"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(tags.contains(&"bug"), "{r}");
        assert_ne!(p["Status"]["select"]["name"], "Done", "{r}");
    }
    let ids = |rows: &[Value]| -> std::collections::BTreeSet<String> {
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&rows), ids(&by_hand));
    assert_eq!(rows.len(), by_hand.len());
}

#[test]
fn a_view_and_where_both_apply() {
    let (sb, env) = setup();
    sb.clear_requests();
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        OPEN_ITEMS,
        "--where",
        "Estimate > 6",
        "--ids",
    ]);
    // Open items (4, 1, 5, 3) whose estimate is over 6: 1 (8) and 5 (21).
    assert_eq!(lines(ok(&o)), [row(1), row(5)]);
    let sent = queries(&sb);
    assert_eq!(
        sent[0]["body"]["filter"],
        json!({"and": [the_open_items_filter(),
                       {"property": "Estimate", "number": {"greater_than": 6}}]})
    );
    // --filter JSON too.
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        OPEN_ITEMS,
        "--filter",
        r#"{"property": "Done", "checkbox": {"equals": false}}"#,
        "--ids",
    ]);
    assert_eq!(lines(ok(&o)), [row(4), row(1), row(5), row(3)]);
}

#[test]
fn a_view_from_the_url_or_by_id() {
    let (_sb, env) = setup();
    let want = [row(4), row(1), row(5), row(3)];
    // ?v= in the database URL given as SOURCE.
    let o = env.run(&["datasources", "query", OPEN_ITEMS_URL, "--ids"]);
    assert_eq!(lines(ok(&o)), want);
    // --view by URL (with any SOURCE naming the data source: its title here), and by
    // an id without dashes.
    let o = env.run(&[
        "datasources",
        "query",
        "Roadmap",
        "--view",
        OPEN_ITEMS_URL,
        "--ids",
    ]);
    assert_eq!(lines(ok(&o)), want);
    let dashless = OPEN_ITEMS.replace('-', "");
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP_DB,
        "--view",
        &dashless,
        "--ids",
    ]);
    assert_eq!(lines(ok(&o)), want);
    // --view wins over the URL's ?v=: "By stage" has no filter (all six rows).
    let o = env.run(&[
        "datasources",
        "query",
        OPEN_ITEMS_URL,
        "--view",
        BY_STAGE,
        "--ids",
    ]);
    assert_eq!(ok(&o).lines().count(), 6);
    // A database with two data sources: the view says which.
    let url = format!(
        "https://www.notion.so/{}?v={}",
        CONTACTS_DB.replace('-', ""),
        COMPANIES_VIEW.replace('-', "")
    );
    let o = env.run(&["datasources", "query", &url, "--csv"]);
    let out = ok(&o);
    assert_eq!(out.lines().next(), Some("id,Name,Website"));
    assert_eq!(out.lines().count(), 3);
    assert!(out.contains("d5000000-"), "{out}");
}

#[test]
fn explain_names_the_view_and_prints_the_combined_body() {
    let (sb, env) = setup();
    sb.clear_requests();
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        OPEN_ITEMS,
        "--where",
        "Tags = docs",
        "--explain",
    ]);
    let body: Value = serde_json::from_str(ok(&o)).unwrap();
    assert_eq!(
        body,
        json!({"filter": {"and": [the_open_items_filter(),
                                  {"property": "Tags", "multi_select": {"contains": "docs"}}]},
               "sorts": [{"property": "Due date", "direction": "ascending"}]})
    );
    assert!(
        o.stderr
            .contains(&format!("view \"Open items\" ({OPEN_ITEMS})")),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("(not sent)"), "{}", o.stderr);
    assert!(queries(&sb).is_empty());
}

#[test]
fn views_lists_them() {
    let (_sb, env) = setup();
    let o = env.run(&["datasources", "views", "Roadmap", "--plain"]);
    let out = ok(&o);
    assert_eq!(
        lines(out),
        [
            format!(
                "{OPEN_ITEMS}\tOpen items\ttable\t{ROADMAP}\tfilter: Status; sort: Due date asc"
            ),
            format!("{BY_STAGE}\tBy stage\tboard\t{ROADMAP}\t"),
            format!(
                "{BUSY}\tBusy or blocked\tlist\t{ROADMAP}\tfilter: Status, Estimate, Blocked by; sort: created desc"
            ),
        ]
    );
    // The table names what it lists.
    let o = env.run(&["datasources", "views", ROADMAP_DB]);
    assert!(ok(&o).starts_with("ID "), "{}", o.stdout);
    assert!(
        o.stderr
            .contains(&format!("database \"Roadmap\" ({ROADMAP_DB})")),
        "{}",
        o.stderr
    );
    // --json: the view objects.
    let o = env.run(&["datasources", "views", ROADMAP, "--json"]);
    let v: Value = serde_json::from_str(ok(&o)).unwrap();
    let views = v.as_array().unwrap();
    assert_eq!(views.len(), 3);
    assert_eq!(views[0]["object"], "view");
    assert_eq!(views[0]["filter"], the_open_items_filter());
    assert_eq!(views[1]["configuration"]["type"], "board");
    // By database: every view; by data source: its own.
    let o = env.run(&["datasources", "views", CONTACTS_DB, "--ids"]);
    assert_eq!(lines(ok(&o)), [COMPANIES_VIEW]);
    let o = env.run(&["datasources", "views", COMPANIES, "--ids"]);
    assert_eq!(lines(ok(&o)), [COMPANIES_VIEW]);
    let o = env.run(&["datasources", "views", PEOPLE, "--ids"]);
    assert_eq!(ok(&o), "");
    let o = env.run(&["datasources", "views", PEOPLE]);
    assert!(
        o.stderr.contains("No views this integration can see."),
        "{}",
        o.stderr
    );
}

#[test]
fn a_view_that_cannot_be_used_is_a_clear_error() {
    let (sb, env) = setup();
    // Unknown: exit 5 with a hint, and no query sent.
    sb.clear_requests();
    let unknown = "f7000000-0000-4000-8000-0000000000ff";
    let o = env.run(&["datasources", "query", ROADMAP, "--view", unknown]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "error: no view {unknown} is shared with this integration"
        )),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("hint: "), "{}", o.stderr);
    assert!(o.stderr.contains("ntn datasources views"), "{}", o.stderr);
    assert!(queries(&sb).is_empty());
    // Not a view reference at all: a usage error before any request.
    sb.clear_requests();
    let o = env.run(&["datasources", "query", ROADMAP, "--view", "Open items"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = env.run(&[
        "datasources",
        "query",
        "https://www.notion.so/d1000000000040008000000000000002?v=nope",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("is not a view id"), "{}", o.stderr);
    assert!(sb.requests().is_empty(), "{:?}", sb.requests());
    // A view of another data source than SOURCE's.
    let o = env.run(&["datasources", "query", TASKS, "--view", OPEN_ITEMS]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "the view \"Open items\" ({OPEN_ITEMS}) is of the data source {ROADMAP}"
        )),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!(
            "ntn datasources query {ROADMAP} --view {OPEN_ITEMS}"
        )),
        "{}",
        o.stderr
    );
    assert!(queries(&sb).is_empty());
    // A view filter already two levels deep and a --where whose normal forms are
    // both too large: no combination fits Notion's nesting limit.
    let pairs: Vec<String> = (1..=16)
        .map(|n| format!("(Estimate = {n} and Done = true)"))
        .collect();
    let o = env.run(&[
        "datasources",
        "query",
        ROADMAP,
        "--view",
        BUSY,
        "--where",
        &pairs.join(" or "),
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("two levels"), "{}", o.stderr);
    assert!(o.stderr.contains("hint: "), "{}", o.stderr);
    assert!(queries(&sb).is_empty());
}
