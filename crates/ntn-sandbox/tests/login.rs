mod common;

use common::*;
use serde_json::{Value, json};

fn init(sb: &Sandbox) -> Value {
    let r = sb.post("/api/v3/workersCliLoginInit", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn redeem(sb: &Sandbox, sid: &str) -> (u16, Value) {
    let r = sb.post("/api/v3/workersCliLoginRedeem", json!({"sessionId": sid}));
    (r.status, r.json())
}

fn form(sb: &Sandbox, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('@', "%40")))
        .collect::<Vec<_>>()
        .join("&");
    let r = sb.raw(
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    );
    (r.status, r.body)
}

#[test]
fn init_shape() {
    let sb = Sandbox::start_with(&["--poll-interval-ms", "50"]);
    let v = init(&sb);
    let sid = v["sessionId"].as_str().unwrap();
    assert!(sid.len() >= 32);
    let url = v["browserUrl"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/cli-login/", sb.base)), "{url}");
    assert!(!url.contains(sid));
    let code = v["verificationCode"].as_str().unwrap();
    assert_eq!(code.len(), 14);
    assert!(
        code.chars()
            .all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"0O1IL".contains(c)))
    );
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert!(v["expiresAtMs"].as_i64().unwrap() > 0);
    assert_eq!(v["pollIntervalMs"], 50);
    // the browser URL follows the Host header
    let port = sb.base.rsplit(':').next().unwrap();
    let host = format!("localhost:{port}");
    let r = sb.raw(
        "POST",
        "/api/v3/workersCliLoginInit",
        &[("Host", &host)],
        Some(b""),
    );
    assert!(
        r.json()["browserUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://localhost:{port}/cli-login/"))
    );
    // bad redeem bodies
    sb.post("/api/v3/workersCliLoginRedeem", json!({}))
        .assert_error(400, "validation_error");
    sb.raw("POST", "/api/v3/workersCliLoginRedeem", &[], Some(b"{x"))
        .assert_error(400, "invalid_json");
    sb.post(
        "/api/v3/workersCliLoginRedeem",
        json!({"sessionId": "nope"}),
    )
    .assert_error(404, "object_not_found");
}

#[test]
fn approve_redeem_once() {
    let sb = Sandbox::start();
    let v = init(&sb);
    let sid = v["sessionId"].as_str().unwrap();
    let code = v["verificationCode"].as_str().unwrap();
    assert_eq!(redeem(&sb, sid), (200, json!({"status": "pending"})));
    let s = sb.get("/__sandbox/login/sessions").json();
    assert_eq!(s[0]["status"], "pending");
    assert_eq!(s[0]["verification_code"], code);
    sb.post("/__sandbox/login/approve", json!({"verification_code": "AAAA-BBBB-CCCC", "email": "alice@acme.test", "workspace_id": ACME}))
        .assert_error(404, "object_not_found");
    sb.post(
        "/__sandbox/login/approve",
        json!({"verification_code": code, "email": "nobody@x.test", "workspace_id": ACME}),
    )
    .assert_error(404, "object_not_found");
    sb.post(
        "/__sandbox/login/approve",
        json!({"verification_code": code, "email": "bob@globex.test", "workspace_id": ACME}),
    )
    .assert_error(404, "object_not_found");
    let r = sb.post(
        "/__sandbox/login/approve",
        json!({"verification_code": code, "email": "alice@acme.test", "workspace_id": GLOBEX}),
    );
    assert_eq!(r.json(), json!({"ok": true}));
    assert_eq!(
        sb.get("/__sandbox/login/sessions").json()[0]["status"],
        "confirmed"
    );
    let (st, v) = redeem(&sb, sid);
    assert_eq!(st, 200);
    assert_eq!(v["status"], "confirmed");
    assert_eq!(v["spaceId"], GLOBEX);
    assert_eq!(v["spaceName"], "Globex");
    assert_eq!(v["userEmail"], "alice@acme.test");
    assert_eq!(v["userId"], "aaaaaaaa-0000-4000-8000-000000000001");
    let token = v["token"].as_str().unwrap();
    assert!(token.starts_with("ntn_"));
    let me = sb.api("GET", "/v1/users/me", token, None).json();
    assert_eq!(me["bot"]["workspace_id"], GLOBEX);
    assert_eq!(me["bot"]["token_type"], "cli_login");
    assert_eq!(me["name"], "Notion CLI");
    // single redeem
    let r = sb.post("/api/v3/workersCliLoginRedeem", json!({"sessionId": sid}));
    r.assert_error(404, "object_not_found");
    assert_eq!(
        sb.get("/__sandbox/login/sessions").json()[0]["status"],
        "redeemed"
    );
}

#[test]
fn deny_guest_restricted() {
    let sb = Sandbox::start();
    let a = init(&sb);
    let code = a["verificationCode"].as_str().unwrap();
    assert_eq!(
        sb.post("/__sandbox/login/deny", json!({"verification_code": code}))
            .json(),
        json!({"ok": true})
    );
    let (_, v) = redeem(&sb, a["sessionId"].as_str().unwrap());
    assert_eq!(v["status"], "denied");
    assert_eq!(v["reason"], "user_denied");
    assert!(v["message"].as_str().is_some());

    for (email, reason) in [
        ("guest@acme.test", "guest"),
        ("restricted@acme.test", "restricted"),
    ] {
        let s = init(&sb);
        let code = s["verificationCode"].as_str().unwrap();
        sb.post(
            "/__sandbox/login/approve",
            json!({"verification_code": code, "email": email, "workspace_id": ACME}),
        )
        .assert_error(403, "restricted_resource");
        let (_, v) = redeem(&sb, s["sessionId"].as_str().unwrap());
        assert_eq!(v["status"], "denied");
        assert_eq!(v["reason"], reason);
        assert!(v["message"].as_str().unwrap().contains("membership"));
    }
}

#[test]
fn expiry() {
    let sb = Sandbox::start_with(&["--login-ttl", "1"]);
    let s = init(&sb);
    let sid = s["sessionId"].as_str().unwrap();
    let v = poll_until(10, || {
        let (_, v) = redeem(&sb, sid);
        (v["status"] != "pending").then_some(v)
    });
    assert_eq!(v, json!({"status": "expired"}));
    assert_eq!(
        sb.get("/__sandbox/login/sessions").json()[0]["status"],
        "expired"
    );
    let code = s["verificationCode"].as_str().unwrap();
    sb.post(
        "/__sandbox/login/approve",
        json!({"verification_code": code, "email": "alice@acme.test", "workspace_id": ACME}),
    )
    .assert_error(409, "conflict_error");
    let url = s["browserUrl"].as_str().unwrap();
    let path = &url[sb.base.len()..];
    assert!(sb.get(path).body.contains("expired"));
}

#[test]
fn html_approval_page() {
    let sb = Sandbox::start();
    let s = init(&sb);
    let url = s["browserUrl"].as_str().unwrap();
    let path = &url[sb.base.len()..];
    let code = s["verificationCode"].as_str().unwrap();
    let page = sb.get(path);
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("name=\"email\""));
    assert!(page.body.contains("alice@acme.test"));
    assert!(!page.body.contains(code), "code only after sign-in");
    let (st, body) = form(&sb, path, &[("step", "email"), ("email", "nobody@x.test")]);
    assert_eq!(st, 200);
    assert!(body.contains("No sandbox account"));
    let (_, body) = form(
        &sb,
        path,
        &[("step", "email"), ("email", "alice@acme.test")],
    );
    assert!(body.contains(code));
    assert!(body.contains("terminal"));
    assert!(body.contains(ACME) && body.contains(GLOBEX));
    assert!(body.contains("Approve") && body.contains("Deny"));
    let (_, body) = form(
        &sb,
        path,
        &[
            ("step", "approve"),
            ("email", "alice@acme.test"),
            ("workspace_id", ACME),
        ],
    );
    assert!(body.contains("approved"), "{body}");
    let (_, v) = redeem(&sb, s["sessionId"].as_str().unwrap());
    assert_eq!(v["status"], "confirmed");
    assert_eq!(v["spaceId"], ACME);
    // the page is closed afterwards
    assert!(sb.get(path).body.contains("already"));

    // deny through the page
    let s = init(&sb);
    let path = s["browserUrl"].as_str().unwrap()[sb.base.len()..].to_string();
    let (_, body) = form(
        &sb,
        &path,
        &[("step", "deny"), ("email", "alice@acme.test")],
    );
    assert!(body.contains("denied"));
    assert_eq!(
        redeem(&sb, s["sessionId"].as_str().unwrap()).1["reason"],
        "user_denied"
    );

    // guest: refused right after sign-in
    let s = init(&sb);
    let path = s["browserUrl"].as_str().unwrap()[sb.base.len()..].to_string();
    let (_, body) = form(
        &sb,
        &path,
        &[("step", "email"), ("email", "guest@acme.test")],
    );
    assert!(body.contains("full workspace membership"), "{body}");
    assert_eq!(
        redeem(&sb, s["sessionId"].as_str().unwrap()).1["reason"],
        "guest"
    );

    // escaping
    let s = init(&sb);
    let path = s["browserUrl"].as_str().unwrap()[sb.base.len()..].to_string();
    let (_, body) = form(&sb, &path, &[("step", "email"), ("email", "<script>x")]);
    assert!(!body.contains("<script>x"));
    assert!(body.contains("&lt;script&gt;x"));

    assert_eq!(sb.get("/cli-login/unknown").status, 404);
}
