//! The in-process server (`ntn_sandbox::spawn`): served over a real loopback socket from a
//! thread of the test process, independent per handle, gone when the handle drops.

use ntn_sandbox::{LaunchError, Options, RunningSandbox, spawn};
use serde_json::{Value, json};
use std::net::TcpStream;

const ACME: &str = "11111111-1111-4111-8111-111111111111";
const TASKS_DS: &str = "d2000000-0000-4000-8000-000000000001";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// `(status, JSON body)` of a request; `token` adds the `/v1` headers.
fn call(
    sb: &RunningSandbox,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(sb.url(path))
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        req = req
            .header("Authorization", format!("Bearer {t}"))
            .header("Notion-Version", "2025-09-03");
    }
    let req = req
        .body(body.map(|b| b.to_string()).unwrap_or_default())
        .expect("request");
    let mut resp = agent().run(req).expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// A token for alice in Acme, minted through the (loopback-only) control endpoint.
fn alice(sb: &RunningSandbox) -> String {
    let (status, v) = call(
        sb,
        "POST",
        "/__sandbox/tokens",
        None,
        Some(json!({"email": "alice@acme.test", "workspace_id": ACME})),
    );
    assert_eq!(status, 200, "{v}");
    v["token"].as_str().expect("token").to_string()
}

#[test]
fn two_servers_in_one_process_are_independent_and_close_their_ports_on_drop() {
    let a = spawn(&Options::default()).expect("first sandbox");
    let b = spawn(&Options::default()).expect("second sandbox");
    assert_ne!(a.addr(), b.addr());
    for sb in [&a, &b] {
        assert!(sb.addr().ip().is_loopback());
        assert_eq!(sb.base_url(), format!("http://{}", sb.addr()));
    }

    let ta = alice(&a);
    let tb = alice(&b);
    for (sb, token) in [(&a, &ta), (&b, &tb)] {
        let (status, me) = call(sb, "GET", "/v1/users/me", Some(token), None);
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["type"], "bot");
        assert_eq!(me["bot"]["workspace_id"], ACME);
        // The request log is per server, and reached over loopback.
        let (status, log) = call(sb, "GET", "/__sandbox/requests", None, None);
        assert_eq!(status, 200, "{log}");
        let paths: Vec<&str> = log
            .as_array()
            .expect("requests")
            .iter()
            .filter_map(|r| r["path"].as_str())
            .collect();
        assert_eq!(paths, ["/v1/users/me"], "{log}");
    }
    // Each server has its own tokens.
    let (status, err) = call(&b, "GET", "/v1/users/me", Some(&ta), None);
    assert_eq!((status, err["code"].as_str()), (401, Some("unauthorized")));

    let (addr_a, addr_b) = (a.addr(), b.addr());
    drop(a);
    assert!(
        TcpStream::connect(addr_a).is_err(),
        "{addr_a} still accepts"
    );
    // The other server is unaffected.
    let (status, _) = call(&b, "GET", "/v1/users/me", Some(&tb), None);
    assert_eq!(status, 200);
    b.stop().expect("served without error");
    assert!(
        TcpStream::connect(addr_b).is_err(),
        "{addr_b} still accepts"
    );
}

#[test]
fn options_are_applied_as_the_binary_applies_its_flags() {
    let sb = spawn(&Options {
        rows: 3,
        poll_interval_ms: 50,
        rate_limit: Some(100),
        ..Default::default()
    })
    .expect("sandbox");
    let (status, init) = call(
        &sb,
        "POST",
        "/api/v3/workersCliLoginInit",
        None,
        Some(json!({})),
    );
    assert_eq!(status, 200, "{init}");
    assert_eq!(init["pollIntervalMs"], 50);
    let token = alice(&sb);
    let (status, rows) = call(
        &sb,
        "POST",
        &format!("/v1/data_sources/{TASKS_DS}/query"),
        Some(&token),
        Some(json!({})),
    );
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows["results"].as_array().map(Vec::len), Some(3), "{rows}");
    assert_eq!(rows["has_more"], false);
}

#[test]
fn bad_options_fail_to_start_with_the_binarys_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.json");
    let err = spawn(&Options {
        fixture: Some(missing.clone()),
        ..Default::default()
    })
    .expect_err("missing fixture");
    assert!(matches!(err, LaunchError::ReadFixture { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", missing.display())),
        "{err}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"workspaces": [{"id": "nope", "name": "X", "upload_limit_bytes": 1}], "users": []}"#,
    )
    .expect("write fixture");
    let err = spawn(&Options {
        fixture: Some(bad),
        ..Default::default()
    })
    .expect_err("bad fixture");
    assert_eq!(
        err.to_string(),
        "fixture: workspace id `nope` is not a UUID"
    );

    let spec = dir.path().join("spec.json");
    std::fs::write(&spec, "not json").expect("write spec");
    let err = spawn(&Options {
        openapi: Some(spec),
        ..Default::default()
    })
    .expect_err("bad spec");
    assert!(
        err.to_string().starts_with("--openapi: invalid JSON: "),
        "{err}"
    );
}

#[test]
fn the_rate_limit_is_a_one_second_sliding_window_on_an_injected_clock() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    let now = Arc::new(AtomicI64::new(1_800_000_000_000));
    let clock = now.clone();
    let sb = ntn_sandbox::spawn_with_clock(
        &Options {
            rate_limit: Some(2),
            ..Options::default()
        },
        Arc::new(move || clock.load(Ordering::SeqCst)),
    )
    .expect("sandbox");
    let t = alice(&sb);
    let me = |sb: &RunningSandbox| call(sb, "GET", "/v1/users/me", Some(&t), None).0;
    // However long the requests really take, time is the injected clock's.
    now.fetch_add(900, Ordering::SeqCst);
    assert_eq!([me(&sb), me(&sb), me(&sb)], [200, 200, 429]);
    // Any one-second span, not the calendar second: still full 200 ms later...
    now.fetch_add(200, Ordering::SeqCst);
    assert_eq!(me(&sb), 429);
    now.fetch_add(799, Ordering::SeqCst);
    assert_eq!(me(&sb), 429);
    // ...free again a second after the first two.
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!([me(&sb), me(&sb), me(&sb)], [200, 200, 429]);
}

#[test]
fn stopping_ends_the_stalls_whose_clients_went_away() {
    use std::io::Write;
    let sb = spawn(&Options::default()).expect("sandbox");
    let (status, v) = call(
        &sb,
        "POST",
        "/__sandbox/faults",
        None,
        Some(json!({"path_prefix": "/v1/pages", "stall": true, "count": 1})),
    );
    assert_eq!(status, 200, "{v}");
    // A large body the stalled server never reads: when the client goes
    // away, nothing tells the server.
    let mut client = TcpStream::connect(sb.addr()).expect("connect");
    write!(
        client,
        "POST /v1/pages HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000000\r\n\r\n",
        sb.addr()
    )
    .expect("send the head");
    client
        .write_all(&[b' '; 64 * 1024])
        .expect("send some body");
    let (_, held) = call(&sb, "GET", "/__sandbox/held?min=1", None, None);
    assert_eq!(held["reached"], true, "{held}");
    drop(client);
    // The held request ends at once instead of keeping the server for its
    // grace period (two seconds).
    let started = std::time::Instant::now();
    sb.stop().expect("served without error");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "stopping took {:?}",
        started.elapsed()
    );
}
