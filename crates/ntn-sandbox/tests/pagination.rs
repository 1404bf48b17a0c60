mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::HashSet;

fn query_all(sb: &Sandbox, t: &str, extra: Value, page_size: u64) -> Vec<Value> {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let mut body = extra.clone();
        body["page_size"] = json!(page_size);
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let r = sb.api(
            "POST",
            &format!("/v1/data_sources/{TASKS_DS}/query"),
            t,
            Some(body),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        assert_eq!(v["object"], "list");
        assert_eq!(v["type"], "page_or_data_source");
        assert!(v["page_or_data_source"].is_object());
        let results = v["results"].as_array().unwrap();
        assert!(results.len() as u64 <= page_size);
        out.extend(results.iter().cloned());
        if v["has_more"] == true {
            assert_eq!(results.len() as u64, page_size);
            cursor = Some(v["next_cursor"].as_str().expect("cursor").to_string());
        } else {
            assert!(v["next_cursor"].is_null());
            break;
        }
    }
    out
}

#[test]
fn paginates_all_rows_without_gaps() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let rows = query_all(&sb, &t, json!({}), 100);
    assert_eq!(rows.len(), 260);
    let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 260);
    for i in 1..=260 {
        assert!(ids.contains(format!("d3000000-0000-4000-8000-{i:012}").as_str()));
    }
    let rows7 = query_all(&sb, &t, json!({}), 7);
    assert_eq!(rows7.len(), 260);
    assert_eq!(rows7, rows);
}

#[test]
fn page_size_bounds_and_cursors() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let path = format!("/v1/data_sources/{TASKS_DS}/query");
    for bad in [json!(0), json!(101), json!(-1), json!("ten"), json!(1.5)] {
        sb.api("POST", &path, &t, Some(json!({"page_size": bad})))
            .assert_error(400, "validation_error");
    }
    let r = sb
        .api("POST", &path, &t, Some(json!({"page_size": 100})))
        .json();
    assert_eq!(r["results"].as_array().unwrap().len(), 100);
    sb.api("POST", &path, &t, Some(json!({"start_cursor": "bogus"})))
        .assert_error(400, "validation_error");
    sb.api("GET", "/v1/users?page_size=0", &t, None)
        .assert_error(400, "validation_error");
    sb.api("GET", "/v1/users?page_size=abc", &t, None)
        .assert_error(400, "validation_error");
    sb.api("GET", "/v1/users?start_cursor=nope", &t, None)
        .assert_error(400, "validation_error");
    // Acme's members: alice and restricted (guests are not listed, as with Notion).
    let u = sb.api("GET", "/v1/users?page_size=1", &t, None).json();
    assert_eq!(u["type"], "user");
    assert_eq!(u["has_more"], true);
    let c = u["next_cursor"].as_str().unwrap();
    let u2 = sb
        .api(
            "GET",
            &format!("/v1/users?page_size=1&start_cursor={c}"),
            &t,
            None,
        )
        .json();
    assert_eq!(u2["results"].as_array().unwrap().len(), 1);
    assert_eq!(u2["has_more"], false);
    let emails: Vec<&str> = u["results"]
        .as_array()
        .unwrap()
        .iter()
        .chain(u2["results"].as_array().unwrap())
        .map(|x| x["person"]["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"restricted@acme.test"));
    assert!(!emails.contains(&"guest@acme.test"));
    // block children pagination
    let k = sb
        .api(
            "GET",
            &format!("/v1/blocks/{ACME_HOME}/children?page_size=3"),
            &t,
            None,
        )
        .json();
    assert_eq!(k["type"], "block");
    assert_eq!(k["results"].as_array().unwrap().len(), 3);
    assert_eq!(k["has_more"], true);
}

#[test]
fn filters_and_sorts() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let done = query_all(
        &sb,
        &t,
        json!({"filter": {"property": "Status", "select": {"equals": "Done"}}}),
        100,
    );
    assert_eq!(done.len(), 87);
    assert!(
        done.iter()
            .all(|r| r["properties"]["Done"]["checkbox"] == true)
    );
    let f = json!({"filter": {"and": [
        {"property": "Tags", "multi_select": {"contains": "bug"}},
        {"property": "Priority", "number": {"greater_than": 5}}]},
        "sorts": [{"property": "Priority", "direction": "descending"}, {"timestamp": "created_time", "direction": "ascending"}]});
    let rows = query_all(&sb, &t, f, 10);
    assert!(!rows.is_empty());
    let pr: Vec<f64> = rows
        .iter()
        .map(|r| r["properties"]["Priority"]["number"].as_f64().unwrap())
        .collect();
    assert!(pr.windows(2).all(|w| w[0] >= w[1]));
    assert!(pr.iter().all(|p| *p > 5.0));
    let or = query_all(
        &sb,
        &t,
        json!({"filter": {"or": [
        {"property": "Name", "title": {"equals": "Task 1"}},
        {"property": "Name", "title": {"equals": "Task 2"}}]}}),
        100,
    );
    assert_eq!(or.len(), 2);
    let c = query_all(
        &sb,
        &t,
        json!({"filter": {"property": "Name", "rich_text": {"contains": "task 25"}}}),
        100,
    );
    assert_eq!(c.len(), 11); // 25, 250..259
    let path = format!("/v1/data_sources/{TASKS_DS}/query");
    sb.api(
        "POST",
        &path,
        &t,
        Some(json!({"filter": {"property": "Priority", "select": {"equals": "x"}}})),
    )
    .assert_error(400, "validation_error");
    sb.api(
        "POST",
        &path,
        &t,
        Some(json!({"filter": {"property": "Nope", "number": {"equals": 1}}})),
    )
    .assert_error(400, "validation_error");
    sb.api(
        "POST",
        &path,
        &t,
        Some(json!({"sorts": [{"property": "Priority", "direction": "up"}]})),
    )
    .assert_error(400, "validation_error");
}

#[test]
fn search() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = sb
        .api(
            "POST",
            "/v1/search",
            &t,
            Some(json!({"query": "engineering"})),
        )
        .json();
    assert_eq!(r["results"].as_array().unwrap().len(), 1);
    assert_eq!(r["results"][0]["object"], "page");
    let r = sb
        .api(
            "POST",
            "/v1/search",
            &t,
            Some(json!({"filter": {"property": "object", "value": "data_source"}})),
        )
        .json();
    // Tasks, Roadmap, the two data sources of Contacts, Reading list (in Lossy blocks) and
    // Glossary (in Handbook).
    let ids: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert!(ids.contains(&TASKS_DS));
    // everything, paginated: 4 pages + 260 rows + 5 data sources and their 10 rows, and
    // the Handbook tree (5 pages, the Glossary data source and its 3 rows)
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut b = json!({"page_size": 100});
        if let Some(c) = &cursor {
            b["start_cursor"] = json!(c);
        }
        let r = sb.api("POST", "/v1/search", &t, Some(b)).json();
        n += r["results"].as_array().unwrap().len();
        match r["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(n, 279 + 9);
    let g = sb.token("bob@globex.test", GLOBEX);
    let r = sb
        .api("POST", "/v1/search", &g, Some(json!({"query": "acme"})))
        .json();
    assert_eq!(r["results"].as_array().unwrap().len(), 0);
}
