mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn status_faults_count_and_clear() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let r = sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/users", "status": 429, "count": 2, "retry_after": 7}),
    );
    assert_eq!(r.json(), json!({"ok": true}));
    for _ in 0..2 {
        let r = sb.api("GET", "/v1/users/me", &t, None);
        r.assert_error(429, "rate_limited");
        assert_eq!(r.header("retry-after"), Some("7"));
    }
    assert_eq!(sb.api("GET", "/v1/users/me", &t, None).status, 200);
    // method filter and several statuses
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/search", "status": 500, "count": 1, "method": "POST"}),
    );
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/search", "status": 503, "count": 1}),
    );
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/", "status": 502, "count": 1, "method": "GET"}),
    );
    sb.api("POST", "/v1/search", &t, Some(json!({})))
        .assert_error(500, "internal_server_error");
    sb.api("POST", "/v1/search", &t, Some(json!({})))
        .assert_error(503, "service_unavailable");
    sb.api("GET", "/v1/users", &t, None)
        .assert_error(502, "bad_gateway");
    assert_eq!(
        sb.api("POST", "/v1/search", &t, Some(json!({}))).status,
        200
    );
    // login endpoints too, never control ones
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/", "status": 504, "count": 5}),
    );
    assert_eq!(sb.get("/__sandbox/workspaces").status, 200);
    sb.post("/api/v3/workersCliLoginInit", json!({}))
        .assert_error(504, "gateway_timeout");
    let r = sb.raw("DELETE", "/__sandbox/faults", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(
        sb.post("/api/v3/workersCliLoginInit", json!({})).status,
        200
    );
    sb.post("/__sandbox/faults", json!({"path_prefix": "/v1"}))
        .assert_error(400, "validation_error");
}

#[test]
fn delay_and_cut() {
    let sb = Sandbox::start();
    let t = sb.alice();
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/users/me", "delay_ms": 300, "count": 1}),
    );
    let start = Instant::now();
    assert_eq!(sb.api("GET", "/v1/users/me", &t, None).status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/users/me", "cut": true, "count": 1}),
    );
    let auth = format!("Bearer {t}");
    let res = sb.try_raw(
        "GET",
        "/v1/users/me",
        &[("Authorization", &auth), ("Notion-Version", VERSION)],
        None,
    );
    let failed = match res {
        Err(_) => true,
        Ok(mut r) => r.body_mut().read_to_string().is_err(),
    };
    assert!(failed, "a cut response must not read completely");
    assert_eq!(sb.api("GET", "/v1/users/me", &t, None).status, 200);
    let log = sb.get("/__sandbox/requests").json();
    let paths: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/v1/users/me")
        .collect();
    assert_eq!(paths.len(), 3);
}

#[test]
fn request_log() {
    let sb = Sandbox::start();
    let t = sb.alice();
    sb.api("GET", "/v1/users?page_size=1", &t, None);
    sb.raw("GET", "/v1/users/me", &[("Notion-Version", VERSION)], None);
    let log = sb.get("/__sandbox/requests").json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2, "control requests are not logged: {log:?}");
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], "/v1/users");
    assert_eq!(log[0]["query"], "page_size=1");
    assert_eq!(log[0]["workspace_id"], ACME);
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["has_authorization"], true);
    assert_eq!(log[1]["status"], 401);
    assert_eq!(log[1]["has_authorization"], false);
    assert!(log[1]["workspace_id"].is_null());
    assert!(!sb.get("/__sandbox/requests").body.contains(&t));
    sb.raw("DELETE", "/__sandbox/requests", &[], None);
    assert_eq!(sb.get("/__sandbox/requests").json(), json!([]));
}

#[test]
fn rate_limit() {
    let sb = Sandbox::start_with(&["--rate-limit", "3"]);
    let other = sb.token("alice@acme.test", GLOBEX);
    // Within one second at most 3 succeed (checked within one wall-clock second, so that
    // a slow machine does not spread the four over more than a second).
    let got = poll_until(10, || {
        let t = sb.alice();
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let statuses: Vec<_> = (0..4)
            .map(|_| sb.api("GET", "/v1/users/me", &t, None))
            .collect();
        let end = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        (start == end).then_some(statuses)
    });
    assert!(got[..3].iter().all(|r| r.status == 200));
    got[3].assert_error(429, "rate_limited");
    assert_eq!(got[3].header("retry-after"), Some("1"));
    // per token
    assert_eq!(sb.api("GET", "/v1/users/me", &other, None).status, 200);
}

#[test]
fn after_faults_apply_the_request_then_fail_and_echo_auth_quotes_the_header() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let page = "a1000000-0000-4000-8000-000000000001";
    let path = format!("/v1/pages/{page}");
    let title = |s: &str| json!({"properties": {"title": {"title": [{"text": {"content": s}}]}}});
    // (A cut after the work is shown by ntn's hardening_replay tests.)
    for fault in [json!({"status": 503}), json!({"status": 500})] {
        let mut rule = fault.clone();
        rule["path_prefix"] = json!(path);
        rule["method"] = json!("PATCH");
        rule["count"] = json!(1);
        rule["after"] = json!(true);
        sb.post("/__sandbox/faults", rule);
        let name = format!("Changed under {fault}");
        let r = sb.api("PATCH", &path, &t, Some(title(&name)));
        assert_ne!(r.status, 200, "{fault}");
        // The work was done all the same.
        let v = sb.api("GET", &path, &t, None).json();
        assert_eq!(
            v["properties"]["title"]["title"][0]["plain_text"], name,
            "{fault}: {v}"
        );
    }
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/users/me", "status": 400, "count": 1, "echo_auth": true}),
    );
    let r = sb.api("GET", "/v1/users/me", &t, None);
    let e = r.assert_error(400, "invalid_request");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains(&format!("Bearer {t}")), "{msg}");
    assert!(msg.contains(&format!("Bearer%20{t}")), "{msg}");
}
