//! Fault kinds that stall, dribble or redirect, and the capture route.

mod common;

use common::*;
use serde_json::json;
use std::io::Read;
use std::time::Duration;

#[test]
fn a_stalled_request_is_held_and_counted() {
    let sb = Sandbox::start();
    let t = sb.alice();
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/users/me", "stall": true, "count": 1}),
    );
    assert_eq!(sb.get("/__sandbox/held?min=0").json()["held"], 0);
    let url = sb.url("/v1/users/me");
    let client = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        agent
            .get(&url)
            .header("Authorization", format!("Bearer {t}"))
            .header("Notion-Version", VERSION)
            .call()
    });
    // The wait returns once the request is held: no sleeping.
    let v = sb.get("/__sandbox/held?min=1").json();
    assert_eq!(v, json!({"held": 1, "reached": true}));
    // A request that is not held yet: the wait gives up and says so.
    let v = sb.get("/__sandbox/held?min=2&timeout_ms=50").json();
    assert_eq!(v["reached"], false);
    drop(sb);
    assert!(client.join().unwrap().is_err());
}

#[test]
fn a_dribbled_body_comes_a_byte_at_a_time() {
    let sb = Sandbox::start();
    let t = sb.alice();
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/users/me", "dribble_ms": 5, "count": 1}),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let mut resp = agent
        .get(sb.url("/v1/users/me"))
        .header("Authorization", format!("Bearer {t}"))
        .header("Notion-Version", VERSION)
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut r = resp.body_mut().as_reader();
    let mut buf = [0u8; 20];
    r.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"{\"dribble\":\"xxxxxxxx");
    assert_eq!(sb.get("/__sandbox/held?min=1").json()["held"], 1);
}

#[test]
fn redirects_point_to_the_capture_route_which_records_what_arrives() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let to = sb.url("/__capture/landing?x=1");
    sb.post(
        "/__sandbox/faults",
        json!({"path_prefix": "/v1/search", "redirect": to, "redirect_status": 307, "count": 1}),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .post(sb.url("/v1/search"))
        .header("Authorization", format!("Bearer {t}"))
        .header("Notion-Version", VERSION)
        .send_json(json!({"query": "x"}))
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(to.as_str())
    );
    let r = sb.raw(
        "PUT",
        "/__capture/landing?x=1",
        &[("Authorization", "Bearer secret"), ("X-Api-Token", "abc")],
        Some(b"12345"),
    );
    assert_eq!(r.json(), json!({"object": "captured"}));
    let list = sb.get("/__sandbox/captured").json();
    assert_eq!(list[0]["method"], "PUT");
    assert_eq!(list[0]["path"], "/__capture/landing");
    assert_eq!(list[0]["query"], "x=1");
    assert_eq!(list[0]["body_size"], 5);
    assert_eq!(list[0]["headers"]["authorization"], "[redacted]");
    assert_eq!(list[0]["headers"]["x-api-token"], "abc");
    assert!(!list.to_string().contains("secret"));
    // Which token came can be told from the header's digest.
    use sha2::{Digest, Sha256};
    let want: String = Sha256::digest(b"Bearer secret")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(list[0]["authorization_sha256"], want.as_str());
    let r = sb.raw("GET", "/__capture/none", &[], None);
    assert_eq!(r.json(), json!({"object": "captured"}));
    let list = sb.get("/__sandbox/captured").json();
    assert_eq!(list[1]["authorization_sha256"], serde_json::Value::Null);
}
