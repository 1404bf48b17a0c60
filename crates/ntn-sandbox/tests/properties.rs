//! `PATCH /v1/pages/{id}` with `properties` on data source rows: Notion's 400
//! `validation_error`s (an unknown property, a row of another data source, a value of the
//! wrong type or shape, a status option that does not exist, a computed property, text over
//! 2,000 characters), all or nothing (nothing changes when one value is refused, not even a
//! new select option), and what is accepted (new select options, by name or id).

mod common;

use common::*;
use serde_json::{Value, json};

const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const ROW1: &str = "d4000000-0000-4000-8000-000000000001";
const ADA: &str = "d5000000-0000-4000-8000-000000000001";

fn patch(sb: &Sandbox, t: &str, page: &str, props: Value) -> Resp {
    sb.api(
        "PATCH",
        &format!("/v1/pages/{page}"),
        t,
        Some(json!({ "properties": props })),
    )
}

fn page(sb: &Sandbox, t: &str, id: &str) -> Value {
    let r = sb.api("GET", &format!("/v1/pages/{id}"), t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn options(sb: &Sandbox, t: &str, prop: &str) -> Vec<String> {
    let r = sb.api("GET", &format!("/v1/data_sources/{ROADMAP}"), t, None);
    let v = r.json();
    let kind = v["properties"][prop]["type"].as_str().unwrap().to_string();
    v["properties"][prop][&kind]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect()
}

fn refused(r: &Resp, message: &str) {
    let v = r.assert_error(400, "validation_error");
    assert_eq!(v["message"], message, "{v}");
}

#[test]
fn invalid_property_values_are_refused_as_notion_refuses_them() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let before = page(&sb, &t, ROW1)["properties"].clone();
    let cases = [
        (
            json!({"Stauts": {"status": {"name": "Done"}}}),
            "Stauts is not a property that exists.",
        ),
        (
            json!({"Estimate": {"rich_text": [{"text": {"content": "8"}}]}}),
            "Estimate is expected to be number. Provide `{\"number\": ...}`.",
        ),
        (
            json!({"Estimate": {"number": "8"}}),
            "Estimate.number should be a number or `null`, instead was `\"8\"`.",
        ),
        (
            json!({"Status": {"status": {"name": "Shipped!"}}}),
            "Invalid status option. Status option \"Shipped!\" does not exist for property Status.",
        ),
        (
            json!({"Owner": {"people": ["alice@acme.test"]}}),
            "Owner.people should be an array of objects with an `id`, instead was `[\"alice@acme.test\"]`.",
        ),
        (
            json!({"Notes": {"rich_text": [{"text": {"content": "x".repeat(2001)}}]}}),
            "Notes.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`.",
        ),
        // All or nothing: a new option with a refused value makes no option.
        (
            json!({"Stage": {"select": {"name": "Someday"}}, "Bogus": {"number": 1}}),
            "Bogus is not a property that exists.",
        ),
    ];
    for (props, message) in cases {
        refused(&patch(&sb, &t, ROW1, props), message);
    }
    assert_eq!(page(&sb, &t, ROW1)["properties"], before);
    assert!(!options(&sb, &t, "Stage").contains(&"Someday".to_string()));
    assert_eq!(
        options(&sb, &t, "Status"),
        ["Not started", "In progress", "Done"]
    );
}

#[test]
fn a_row_of_another_data_source_has_none_of_these_properties() {
    let sb = Sandbox::start();
    let t = sb.alice();
    refused(
        &patch(
            &sb,
            &t,
            ADA,
            json!({"Stage": {"select": {"name": "Planned"}}}),
        ),
        "Stage is not a property that exists.",
    );
}

#[test]
fn valid_values_are_applied_and_new_select_options_created() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = patch(
        &sb,
        &t,
        ROW1,
        json!({"Stage": {"select": {"name": "Someday"}}, "Status": {"status": {"name": "Done"}},
               "Tags": {"multi_select": [{"name": "docs"}, {"name": "new tag"}]},
               "Owner": {"people": [{"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000001"}]},
               "Estimate": {"number": null}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = page(&sb, &t, ROW1)["properties"].clone();
    assert_eq!(p["Stage"]["select"]["name"], "Someday");
    assert_eq!(p["Status"]["status"]["name"], "Done");
    assert_eq!(p["Estimate"]["number"], Value::Null);
    assert!(options(&sb, &t, "Stage").contains(&"Someday".to_string()));
    assert!(options(&sb, &t, "Tags").contains(&"new tag".to_string()));
}

#[test]
fn computed_properties_cannot_be_set() {
    let mut fixture: Value =
        serde_json::from_str(include_str!("../fixtures/default.json")).unwrap();
    let ds = fixture["databases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|d| d["data_sources"].as_array_mut().unwrap().iter_mut())
        .find(|d| d["id"] == ROADMAP)
        .unwrap();
    ds["properties"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Score", "type": "formula"}));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.json");
    std::fs::write(&path, fixture.to_string()).unwrap();
    let sb = Sandbox::start_with(&["--fixture", path.to_str().unwrap()]);
    let t = sb.alice();
    refused(
        &patch(&sb, &t, ROW1, json!({"Score": {"formula": {"number": 3}}})),
        "Score is a formula property and cannot be updated.",
    );
}
