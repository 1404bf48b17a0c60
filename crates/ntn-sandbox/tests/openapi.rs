mod common;

use common::*;

#[test]
fn builtin_spec_and_docs() {
    let sb = Sandbox::start();
    let r = sb.get("/openapi.json");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["openapi"], "3.1.0");
    assert_eq!(v["servers"][0]["url"], sb.base);
    let op = &v["paths"]["/v1/pages/{page_id}"]["get"];
    assert_eq!(op["operationId"], "retrieve-a-page");
    assert_eq!(op["x-notion-docs-ref"], "reference/retrieve-a-page");
    let paths = v["paths"].as_object().unwrap();
    for (_, item) in paths {
        for (_, op) in item.as_object().unwrap() {
            let docs_ref = op["x-notion-docs-ref"].as_str().expect("docs ref");
            let page = sb.get(&format!("/{docs_ref}.md"));
            assert_eq!(page.status, 200, "{docs_ref}");
            assert!(page.body.starts_with("# "));
            let id = op["operationId"].as_str().unwrap();
            assert_eq!(sb.get(&format!("/reference/{id}.md")).status, 200, "{id}");
        }
    }
    sb.get("/reference/nope.md")
        .assert_error(404, "object_not_found");
}

#[test]
fn custom_spec_served_verbatim() {
    let path = "/work/shared/data/notion-openapi.json";
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("note: {path} is absent; skipping");
        return;
    };
    let sb = Sandbox::start_with(&["--openapi", path]);
    let r = sb.get("/openapi.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (_, item) in v["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(|x| x.as_str()) {
                let page = sb.get(&format!("/reference/{id}.md"));
                assert_eq!(page.status, 200, "{id}");
                assert!(page.body.contains(id));
            }
        }
    }
}
