//! Data source queries: every filter condition of every common property type, compound
//! filters to Notion's depth limit, timestamp filters, sorts, `filter_properties` and
//! `request_status` past the `--query-limit` cap, on the fixture's Roadmap data source
//! (every common property type, some values empty).

mod common;

use common::*;
use serde_json::{Value, json};

const ROADMAP_DB: &str = "d1000000-0000-4000-8000-000000000002";
const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const CONTACTS_DB: &str = "d1000000-0000-4000-8000-000000000003";
const ALICE_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const GUEST_ID: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const ROW2: &str = "d4000000-0000-4000-8000-000000000002";

fn query(sb: &Sandbox, t: &str, body: Value) -> Value {
    let r = sb.api(
        "POST",
        &format!("/v1/data_sources/{ROADMAP}/query"),
        t,
        Some(body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn titles(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["properties"]["Name"]["title"][0]["plain_text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn matching(sb: &Sandbox, t: &str, filter: Value) -> Vec<String> {
    let mut got = titles(&query(sb, t, json!({ "filter": filter })));
    got.sort();
    got
}

#[test]
fn every_condition_of_every_common_type() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let p = |name: &str, kind: &str, op: &str, v: Value| json!({"property": name, kind: {op: v}});
    let cases: Vec<(Value, &[&str])> = vec![
        (
            p("Name", "title", "equals", json!("Billing API")),
            &["Billing API"],
        ),
        (
            p("Name", "title", "does_not_equal", json!("Billing API")).clone(),
            &[
                "Docs revamp",
                "Launch site",
                "Mobile app",
                "Onboarding ✨",
                "Search, faster",
            ],
        ),
        (
            p("Name", "rich_text", "contains", json!("SEARCH")),
            &["Search, faster"],
        ),
        (
            p("Name", "title", "starts_with", json!("mo")),
            &["Mobile app"],
        ),
        (
            p("Name", "title", "ends_with", json!("site")),
            &["Launch site"],
        ),
        (
            p("Notes", "rich_text", "does_not_contain", json!("one")),
            &["Billing API", "Docs revamp", "Launch site", "Onboarding ✨"],
        ),
        (
            p("Notes", "rich_text", "is_empty", json!(true)),
            &["Docs revamp", "Onboarding ✨"],
        ),
        (
            p("Notes", "rich_text", "is_not_empty", json!(true)),
            &["Billing API", "Launch site", "Mobile app", "Search, faster"],
        ),
        (
            p("Estimate", "number", "greater_than", json!(8)),
            &["Billing API", "Mobile app"],
        ),
        (
            p("Estimate", "number", "greater_than_or_equal_to", json!(8)),
            &["Billing API", "Launch site", "Mobile app"],
        ),
        (
            p("Estimate", "number", "less_than", json!(5.5)),
            &["Onboarding ✨"],
        ),
        (
            p("Estimate", "number", "less_than_or_equal_to", json!(5.5)),
            &["Onboarding ✨", "Search, faster"],
        ),
        (
            p("Estimate", "number", "equals", json!(5.5)),
            &["Search, faster"],
        ),
        (
            p("Estimate", "number", "is_empty", json!(true)),
            &["Docs revamp"],
        ),
        (
            p("Stage", "select", "equals", json!("Planned")),
            &["Launch site", "Search, faster"],
        ),
        (
            p("Stage", "select", "does_not_equal", json!("Planned")),
            &["Billing API", "Docs revamp", "Mobile app", "Onboarding ✨"],
        ),
        (
            p("Stage", "select", "is_empty", json!(true)),
            &["Mobile app"],
        ),
        (
            p("Status", "status", "equals", json!("Done")),
            &["Billing API", "Onboarding ✨"],
        ),
        (
            p("Status", "status", "does_not_equal", json!("Done")),
            &["Docs revamp", "Launch site", "Mobile app", "Search, faster"],
        ),
        (
            p("Tags", "multi_select", "contains", json!("frontend")),
            &["Launch site", "Onboarding ✨", "Search, faster"],
        ),
        (
            p(
                "Tags",
                "multi_select",
                "does_not_contain",
                json!("frontend"),
            ),
            &["Billing API", "Docs revamp", "Mobile app"],
        ),
        (
            p("Tags", "multi_select", "is_empty", json!(true)),
            &["Mobile app"],
        ),
        (
            p("Due date", "date", "before", json!("2025-03-01")),
            &["Billing API", "Onboarding ✨"],
        ),
        (
            p("Due date", "date", "on_or_before", json!("2025-03-01")),
            &["Billing API", "Onboarding ✨", "Search, faster"],
        ),
        (
            p("Due date", "date", "after", json!("2025-03-01")),
            &["Launch site", "Mobile app"],
        ),
        (
            p(
                "Due date",
                "date",
                "on_or_after",
                json!("2025-03-01T00:00:00Z"),
            ),
            &["Launch site", "Mobile app", "Search, faster"],
        ),
        (
            p("Due date", "date", "equals", json!("2025-02-01")),
            &["Billing API"],
        ),
        (
            p("Due date", "date", "is_empty", json!(true)),
            &["Docs revamp"],
        ),
        (
            p("Done", "checkbox", "equals", json!(true)),
            &["Billing API", "Onboarding ✨"],
        ),
        (
            p("Done", "checkbox", "does_not_equal", json!(true)),
            &["Docs revamp", "Launch site", "Mobile app", "Search, faster"],
        ),
        (
            p("Owner", "people", "contains", json!(ALICE_ID)),
            &["Billing API", "Launch site", "Onboarding ✨"],
        ),
        (
            p("Owner", "people", "does_not_contain", json!(GUEST_ID)),
            &[
                "Docs revamp",
                "Launch site",
                "Onboarding ✨",
                "Search, faster",
            ],
        ),
        (
            p("Owner", "people", "is_empty", json!(true)),
            &["Docs revamp"],
        ),
        (
            p(
                "Blocked by",
                "relation",
                "contains",
                json!(ROW2.replace('-', "")),
            ),
            &["Search, faster"],
        ),
        (
            p("Blocked by", "relation", "is_not_empty", json!(true)),
            &["Mobile app", "Search, faster"],
        ),
        (
            p("Link", "url", "contains", json!("acme.test/b")),
            &["Billing API"],
        ),
        (
            p("Contact", "email", "is_empty", json!(true)),
            &["Docs revamp", "Mobile app", "Onboarding ✨"],
        ),
        (
            json!({"timestamp": "created_time", "created_time": {"on_or_after": "2025-02-05"}}),
            &["Mobile app", "Onboarding ✨"],
        ),
        (
            json!({"timestamp": "last_edited_time", "last_edited_time": {"before": "2025-02-02T00:00:00Z"}}),
            &["Launch site"],
        ),
        (
            json!({"and": [p("Status", "status", "equals", json!("In progress")), {"or": [
            p("Tags", "multi_select", "contains", json!("docs")),
            p("Estimate", "number", "less_than", json!(6))]}]}),
            &["Launch site", "Search, faster"],
        ),
        (
            json!({"or": [p("Done", "checkbox", "equals", json!(true)), p("Stage", "select", "is_empty", json!(true))]}),
            &["Billing API", "Mobile app", "Onboarding ✨"],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(matching(&sb, &t, filter.clone()), want, "{filter}");
    }
}

#[test]
fn wrong_filters_are_notions_validation_errors() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let path = format!("/v1/data_sources/{ROADMAP}/query");
    let leaf = json!({"property": "Done", "checkbox": {"equals": true}});
    let cases = [
        (
            json!({"property": "Nope", "checkbox": {"equals": true}}),
            "Could not find property",
        ),
        (
            json!({"property": "Estimate", "number": {"contains": 1}}),
            "not a valid condition",
        ),
        (
            json!({"property": "Estimate", "number": {"equals": "1"}}),
            "should be a number",
        ),
        (
            json!({"property": "Estimate", "select": {"equals": "1"}}),
            "does not match the type",
        ),
        (
            json!({"property": "Notes", "rich_text": {"is_empty": false}}),
            "should be `true`",
        ),
        (
            json!({"property": "Done", "checkbox": {"equals": "yes"}}),
            "should be a boolean",
        ),
        (
            json!({"property": "Due date", "date": {"after": "soon"}}),
            "ISO 8601 date",
        ),
        (
            json!({"property": "Due date", "date": {"past_week": true}}),
            "empty object",
        ),
        (
            json!({"property": "Owner", "people": {"contains": "alice@acme.test"}}),
            "UUID",
        ),
        (
            json!({"property": "Tags", "multi_select": {"equals": "docs"}}),
            "not a valid condition",
        ),
        (
            json!({"property": "Stage", "select": {"equals": "x", "is_empty": true}}),
            "exactly one condition",
        ),
        (
            json!({"timestamp": "updated_time", "updated_time": {"after": "2025-01-01"}}),
            "created_time",
        ),
        (
            json!({"and": [{"or": [{"and": [leaf]}]}]}),
            "nested too deeply",
        ),
        (json!({"and": leaf}), "should be an array"),
        (json!({"Done": true}), "should have `property`"),
    ];
    for (filter, text) in cases {
        let v = sb
            .api("POST", &path, &t, Some(json!({ "filter": filter })))
            .assert_error(400, "validation_error");
        let m = v["message"].as_str().unwrap();
        assert!(m.contains(text), "{filter}: {m}");
    }
    // Two levels are fine.
    query(
        &sb,
        &t,
        json!({"filter": {"or": [{"and": [leaf.clone(), leaf.clone()]}, leaf]}}),
    );
}

#[test]
fn sorts_by_property_and_timestamp_with_empty_values_last() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let sorted = |sorts: Value| titles(&query(&sb, &t, json!({ "sorts": sorts })));
    assert_eq!(
        sorted(json!([{"property": "Due date", "direction": "ascending"}])),
        [
            "Onboarding ✨",
            "Billing API",
            "Search, faster",
            "Launch site",
            "Mobile app",
            "Docs revamp"
        ]
    );
    assert_eq!(
        sorted(json!([{"property": "Estimate", "direction": "descending"}])),
        [
            "Mobile app",
            "Billing API",
            "Launch site",
            "Search, faster",
            "Onboarding ✨",
            "Docs revamp"
        ]
    );
    assert_eq!(
        sorted(json!([{"property": "Status", "direction": "ascending"},
                      {"timestamp": "created_time", "direction": "descending"}])),
        [
            "Onboarding ✨",
            "Billing API",
            "Search, faster",
            "Launch site",
            "Mobile app",
            "Docs revamp"
        ]
    );
    assert_eq!(
        sorted(json!([{"timestamp": "last_edited_time", "direction": "descending"}]))[0],
        "Onboarding ✨"
    );
    sb.api(
        "POST",
        &format!("/v1/data_sources/{ROADMAP}/query"),
        &t,
        Some(json!({"sorts": [{"property": "Nope"}]})),
    )
    .assert_error(400, "validation_error");
}

#[test]
fn filter_properties_narrow_the_answer() {
    let sb = Sandbox::start();
    let t = sb.alice();
    // By id (the date's id holds a percent sign, encoded once more in the query) and name.
    let r = sb.api(
        "POST",
        &format!("/v1/data_sources/{ROADMAP}/query?filter_properties=title&filter_properties=Du%253Ae&filter_properties=Owner"),
        &t,
        Some(json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for row in r.json()["results"].as_array().unwrap() {
        let mut keys: Vec<&String> = row["properties"].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["Due date", "Name", "Owner"], "{row}");
    }
    sb.api(
        "POST",
        &format!("/v1/data_sources/{ROADMAP}/query?filter_properties=nope"),
        &t,
        Some(json!({})),
    )
    .assert_error(400, "validation_error");
}

#[test]
fn answers_past_the_query_limit_are_incomplete() {
    let sb = Sandbox::start_with(&["--query-limit", "150"]);
    let t = sb.alice();
    let path = format!("/v1/data_sources/{TASKS_DS}/query");
    let first = sb.api("POST", &path, &t, Some(json!({}))).json();
    assert_eq!(first["request_status"]["type"], "incomplete");
    // The SDK's RequestStatusResponse: {type, incomplete_reason}.
    assert_eq!(
        first["request_status"]["incomplete_reason"],
        "query_result_limit_reached"
    );
    let c = first["next_cursor"].as_str().unwrap();
    let second = sb
        .api("POST", &path, &t, Some(json!({"start_cursor": c})))
        .json();
    assert_eq!(second["results"].as_array().unwrap().len(), 50);
    assert_eq!(second["has_more"], false);
    // A query that matches fewer rows than the cap is complete.
    let small = sb
        .api(
            "POST",
            &path,
            &t,
            Some(json!({"filter": {"property": "Priority", "number": {"equals": 3}}})),
        )
        .json();
    assert_eq!(small["request_status"]["type"], "complete");
}

#[test]
fn a_database_with_two_data_sources() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let db = sb
        .api("GET", &format!("/v1/databases/{CONTACTS_DB}"), &t, None)
        .json();
    let names: Vec<&str> = db["data_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["People", "Companies"]);
    let roadmap = sb
        .api("GET", &format!("/v1/databases/{ROADMAP_DB}"), &t, None)
        .json();
    assert_eq!(roadmap["data_sources"][0]["id"], ROADMAP);
    let schema = sb
        .api("GET", &format!("/v1/data_sources/{ROADMAP}"), &t, None)
        .json();
    let status = &schema["properties"]["Status"];
    assert_eq!(status["type"], "status");
    assert_eq!(status["status"]["options"][2]["name"], "Done");
    // People values are full user objects.
    let rows = query(&sb, &t, json!({}));
    let owner = &rows["results"][1]["properties"]["Owner"]["people"];
    assert_eq!(owner[1]["person"]["email"], "guest@acme.test");
    assert_eq!(owner[0]["name"], "Alice Example");
}
