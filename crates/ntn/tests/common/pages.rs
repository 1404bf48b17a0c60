//! Helpers of the `ntn pages` tests: requests to the sandbox's API to set pages up, the
//! writes a command sent, and files in the test's directory.

use serde_json::{Value, json};

use super::{ALICE, Out, Sandbox, TestEnv};

/// Acme Home, the parent of the pages the tests make.
pub const HOME: &str = "a1000000-0000-4000-8000-000000000001";

/// A sandbox started with `args`, an environment with alice's token for Acme in it, and
/// the token.
pub fn setup_with(args: &[&str]) -> (Sandbox, TestEnv, String) {
    let sb = Sandbox::start_with(args);
    let mut env = TestEnv::new().with_sandbox(&sb);
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    env.set("NOTION_API_TOKEN", &token);
    (sb, env, token)
}

pub fn setup() -> (Sandbox, TestEnv, String) {
    setup_with(&[])
}

/// A request to the sandbox's API with a token (for setting pages up).
pub fn api(sb: &Sandbox, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let req = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", sb.url))
        .header("Authorization", format!("Bearer {token}"))
        .header("Notion-Version", "2026-03-11")
        .header("Content-Type", "application/json")
        .body(body.map(|b| b.to_string()).unwrap_or_default())
        .unwrap();
    let mut r = agent.run(req).unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    assert_eq!(status, 200, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// A page under Acme Home with this Markdown; its id.
pub fn page_with(sb: &Sandbox, token: &str, markdown: &str) -> String {
    let p = api(
        sb,
        token,
        "POST",
        "/v1/pages",
        Some(json!({"parent": {"page_id": HOME}, "markdown": markdown})),
    );
    p["id"].as_str().unwrap().to_string()
}

/// The requests that may change something (not GET).
pub fn writes(sb: &Sandbox) -> Vec<String> {
    sb.requests()
        .iter()
        .filter(|r| r["method"] != "GET")
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect()
}

pub fn ok(out: &Out) {
    assert_eq!(
        out.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
}

pub fn write(env: &TestEnv, name: &str, text: &str) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}
