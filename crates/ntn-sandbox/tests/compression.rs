//! Answers compressed with gzip for clients that accept it, as Notion's API does, and the
//! request log saying which answers were.

use ntn_sandbox::{Options, RunningSandbox, spawn};
use serde_json::{Value, json};

const ACME: &str = "11111111-1111-4111-8111-111111111111";
const TASKS_DS: &str = "d2000000-0000-4000-8000-000000000001";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

fn token(sb: &RunningSandbox) -> String {
    let mut r = agent()
        .post(sb.url("/__sandbox/tokens"))
        .send_json(json!({"email": "alice@acme.test", "workspace_id": ACME}))
        .unwrap();
    let v: Value = r.body_mut().read_json().unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// The raw answer to a query of the tasks, with `Accept-Encoding` when given.
fn query(sb: &RunningSandbox, token: &str, accept: Option<&str>) -> (Option<String>, Vec<u8>) {
    let mut req = ureq::http::Request::builder()
        .method("POST")
        .uri(sb.url(&format!("/v1/data_sources/{TASKS_DS}/query")))
        .header("Authorization", format!("Bearer {token}"))
        .header("Notion-Version", "2025-09-03")
        .header("Content-Type", "application/json");
    if let Some(a) = accept {
        req = req.header("Accept-Encoding", a);
    }
    let mut resp = agent().run(req.body("{}".to_string()).unwrap()).unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let encoding = resp
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_string());
    (encoding, resp.body_mut().read_to_vec().unwrap())
}

#[test]
fn answers_are_gzip_compressed_only_for_clients_that_accept_it_and_the_log_says_so() {
    let sb = spawn(&Options::default()).unwrap();
    let token = token(&sb);
    let (enc, plain) = query(&sb, &token, None);
    assert_eq!(enc, None);
    let v: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 100);
    let (enc, gz) = query(&sb, &token, Some("gzip, br"));
    assert_eq!(enc.as_deref(), Some("gzip"));
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "the gzip magic number");
    assert!(
        gz.len() * 4 < plain.len(),
        "{} vs {}",
        gz.len(),
        plain.len()
    );
    let (enc, _) = query(&sb, &token, Some("identity"));
    assert_eq!(enc, None);

    let mut r = agent().get(sb.url("/__sandbox/requests")).call().unwrap();
    let log: Value = r.body_mut().read_json().unwrap();
    let encodings: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["encoding"])
        .collect();
    assert_eq!(encodings, [&Value::Null, &json!("gzip"), &Value::Null]);
}
