//! `/v1/views`: the fixture's views listed by database and by data source (list shape,
//! pagination), one view read by id (filter, sorts, configuration, URL), and Notion's
//! errors (neither or both ids, bad page size, unknown or unshared ids, another
//! workspace).

mod common;

use common::*;
use serde_json::{Value, json};

const ROADMAP_DB: &str = "d1000000-0000-4000-8000-000000000002";
const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const CONTACTS_DB: &str = "d1000000-0000-4000-8000-000000000003";
const COMPANIES: &str = "d2000000-0000-4000-8000-000000000004";
const OPEN_ITEMS: &str = "f7000000-0000-4000-8000-000000000001";
const BY_STAGE: &str = "f7000000-0000-4000-8000-000000000002";
const BUSY: &str = "f7000000-0000-4000-8000-000000000003";
const ALL_TASKS: &str = "f7000000-0000-4000-8000-000000000004";
const OPEN_BUGS: &str = "f7000000-0000-4000-8000-000000000005";
const COMPANIES_VIEW: &str = "f7000000-0000-4000-8000-000000000006";

fn ids(v: &Value) -> Vec<&str> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["object"], "view");
            r["id"].as_str().unwrap()
        })
        .collect()
}

fn get(sb: &Sandbox, t: &str, path: &str) -> Value {
    let r = sb.api("GET", path, t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn lists_by_database_or_data_source() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let v = get(&sb, &t, &format!("/v1/views?database_id={ROADMAP_DB}"));
    assert_eq!(v["object"], "list");
    assert_eq!(v["type"], "view");
    assert_eq!(v["view"], json!({}));
    assert_eq!(v["has_more"], false);
    assert_eq!(ids(&v), [OPEN_ITEMS, BY_STAGE, BUSY]);
    // Ids without dashes, as URLs have them.
    let v = get(
        &sb,
        &t,
        &format!("/v1/views?data_source_id={}", ROADMAP.replace('-', "")),
    );
    assert_eq!(ids(&v), [OPEN_ITEMS, BY_STAGE, BUSY]);
    let v = get(&sb, &t, &format!("/v1/views?data_source_id={TASKS_DS}"));
    assert_eq!(ids(&v), [ALL_TASKS, OPEN_BUGS]);
    // A database with two data sources: by database every view, by source its own.
    let v = get(&sb, &t, &format!("/v1/views?database_id={CONTACTS_DB}"));
    assert_eq!(ids(&v), [COMPANIES_VIEW]);
    let v = get(
        &sb,
        &t,
        "/v1/views?data_source_id=d2000000-0000-4000-8000-000000000003",
    );
    assert_eq!(ids(&v), Vec::<&str>::new());
    let v = get(&sb, &t, &format!("/v1/views?data_source_id={COMPANIES}"));
    assert_eq!(ids(&v), [COMPANIES_VIEW]);
}

#[test]
fn lists_page_by_page() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let v = get(
        &sb,
        &t,
        &format!("/v1/views?database_id={ROADMAP_DB}&page_size=2"),
    );
    assert_eq!(ids(&v), [OPEN_ITEMS, BY_STAGE]);
    assert_eq!(v["has_more"], true);
    let cursor = v["next_cursor"].as_str().unwrap();
    let v = get(
        &sb,
        &t,
        &format!("/v1/views?database_id={ROADMAP_DB}&page_size=2&start_cursor={cursor}"),
    );
    assert_eq!(ids(&v), [BUSY]);
    assert_eq!(v["has_more"], false);
    assert_eq!(v["next_cursor"], Value::Null);
}

#[test]
fn a_view_with_its_filter_sorts_and_columns() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let v = get(&sb, &t, &format!("/v1/views/{OPEN_ITEMS}"));
    assert_eq!(v["object"], "view");
    assert_eq!(v["id"], OPEN_ITEMS);
    assert_eq!(
        v["parent"],
        json!({"type": "database_id", "database_id": ROADMAP_DB})
    );
    assert_eq!(v["name"], "Open items");
    assert_eq!(v["type"], "table");
    assert_eq!(v["data_source_id"], ROADMAP);
    assert_eq!(
        v["url"],
        "https://www.notion.so/d1000000000040008000000000000002?v=f7000000000040008000000000000001"
    );
    assert_eq!(
        v["filter"],
        json!({"property": "Status", "status": {"does_not_equal": "Done"}})
    );
    assert_eq!(
        v["sorts"],
        json!([{"property": "Due date", "direction": "ascending"}])
    );
    let cfg = &v["configuration"];
    assert_eq!(cfg["type"], "table");
    let props = cfg["properties"].as_array().unwrap();
    let shown: Vec<(&str, &str)> = props
        .iter()
        .filter(|p| p["visible"] == true)
        .map(|p| {
            (
                p["property_id"].as_str().unwrap(),
                p["property_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [("title", "Name"), ("p4", "Status"), ("Du%3Ae", "Due date")]
    );
    // The other properties are there, hidden.
    assert_eq!(props.len(), 12);
    for key in ["created_time", "last_edited_time"] {
        assert!(v[key].as_str().is_some_and(|s| s.ends_with('Z')), "{key}");
    }

    // A board: grouped, no filter, no sorts.
    let v = get(&sb, &t, &format!("/v1/views/{}", BY_STAGE.replace('-', "")));
    assert_eq!(v["type"], "board");
    assert_eq!(v["filter"], Value::Null);
    assert_eq!(v["sorts"], json!([]));
    assert_eq!(v["configuration"]["group_by"]["property_name"], "Stage");
    assert_eq!(v["configuration"]["group_by"]["type"], "select");

    // The view's filter is one a query takes, and gives the rows it should.
    let q = sb.api(
        "POST",
        &format!("/v1/data_sources/{ROADMAP}/query"),
        &t,
        Some(json!({"filter": get(&sb, &t, &format!("/v1/views/{OPEN_ITEMS}"))["filter"]})),
    );
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.json()["results"].as_array().unwrap().len(), 4);
}

#[test]
fn notions_errors() {
    let sb = Sandbox::start();
    let t = sb.alice();
    // Neither id, or both.
    sb.api("GET", "/v1/views", &t, None)
        .assert_error(400, "validation_error");
    sb.api(
        "GET",
        &format!("/v1/views?database_id={ROADMAP_DB}&data_source_id={ROADMAP}"),
        &t,
        None,
    )
    .assert_error(400, "validation_error");
    sb.api("GET", "/v1/views?database_id=nope", &t, None)
        .assert_error(400, "validation_error");
    for size in ["0", "101", "x"] {
        sb.api(
            "GET",
            &format!("/v1/views?database_id={ROADMAP_DB}&page_size={size}"),
            &t,
            None,
        )
        .assert_error(400, "validation_error");
    }
    // Unknown ids.
    let unknown = "f7000000-0000-4000-8000-0000000000ff";
    sb.api("GET", &format!("/v1/views/{unknown}"), &t, None)
        .assert_error(404, "object_not_found");
    sb.api("GET", "/v1/views/not-an-id", &t, None)
        .assert_error(400, "validation_error");
    sb.api("GET", &format!("/v1/views?database_id={unknown}"), &t, None)
        .assert_error(404, "object_not_found");
    sb.api(
        "GET",
        &format!("/v1/views?data_source_id={unknown}"),
        &t,
        None,
    )
    .assert_error(404, "object_not_found");
    // Another workspace's token sees none of Acme's views.
    let bob = sb.token("bob@globex.test", GLOBEX);
    sb.api("GET", &format!("/v1/views/{OPEN_ITEMS}"), &bob, None)
        .assert_error(404, "object_not_found");
    sb.api(
        "GET",
        &format!("/v1/views?database_id={ROADMAP_DB}"),
        &bob,
        None,
    )
    .assert_error(404, "object_not_found");
    // A database no longer shared: its views are not found.
    let r = sb.post(
        "/__sandbox/share",
        json!({"id": ROADMAP_DB, "shared": false}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    sb.api("GET", &format!("/v1/views/{OPEN_ITEMS}"), &t, None)
        .assert_error(404, "object_not_found");
    sb.api(
        "GET",
        &format!("/v1/views?data_source_id={ROADMAP}"),
        &t,
        None,
    )
    .assert_error(404, "object_not_found");
    // Other databases are unaffected.
    get(&sb, &t, &format!("/v1/views/{ALL_TASKS}"));
}
