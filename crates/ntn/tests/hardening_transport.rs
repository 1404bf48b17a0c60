//! Secrets travel only over HTTPS or plain HTTP to a loopback *address*, at
//! every hop (issue 21, items 1, 4 and 6):
//!
//! * a login server that redirects (307, 308) the login requests to another
//!   origin never gets them followed: the session id, which redeems the
//!   token, stays home, and nothing is stored;
//! * a `*.localhost` name is not loopback: plain HTTP to it gets no token
//!   and no login;
//! * a token from the login reply holding escapes, CR/LF, RLO, whitespace
//!   or absurd length is refused (exit 5) and nothing is stored.
//!
//! In-process against the sandbox (and a small rogue login server).
#![cfg(unix)]

mod common;

use common::{ALICE, Sandbox, TestEnv, seed_login};
use serde_json::{Value, json};

const INIT: &str = "/api/v3/workersCliLoginInit";
const REDEEM: &str = "/api/v3/workersCliLoginRedeem";

fn code_of(sb: &Sandbox) -> String {
    sb.sessions().last().unwrap()["verification_code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn port_of(sb: &Sandbox) -> String {
    sb.url.rsplit(':').next().unwrap().to_string()
}

fn assert_nothing_stored(env: &TestEnv, what: &str) {
    for f in ["auth.json", "workspaces.json", "config.json"] {
        assert!(!env.file(f).exists(), "{what}: {f} was written");
    }
}

#[test]
fn a_login_redirected_to_another_origin_is_not_followed() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let port = port_of(&sb);
    for status in [307, 308] {
        for to in [
            // Another origin on loopback, and plain HTTP to a name.
            format!("http://localhost:{port}/__capture/redeem"),
            format!("http://evil.localhost:{port}/__capture/redeem"),
        ] {
            let what = format!("{status} to {to}");
            let env = TestEnv::new().with_sandbox(&sb);
            let out = env.run(&["login", "--no-browser"]);
            assert_eq!(out.code, 0, "{}", out.stderr);
            let (s, v) = sb.approve(&code_of(&sb), ALICE, &acme);
            assert_eq!(s, 200, "{v}");
            sb.fault(json!({"path_prefix": REDEEM, "redirect": to, "redirect_status": status, "count": 1}));
            let out = env.run(&["login", "poll", "--timeout", "20"]);
            assert_eq!(out.code, 5, "{what}: {}", out.stderr);
            assert!(
                out.stderr.contains("redirected the login request"),
                "{what}: {}",
                out.stderr
            );
            assert!(sb.captured().is_empty(), "{what}: {:?}", sb.captured());
            assert_nothing_stored(&env, &what);
            // The pending login is kept: once the server behaves, poll works.
            let out = env.run(&["login", "poll", "--timeout", "20"]);
            assert_eq!(out.code, 0, "{what}: {}", out.stderr);
            sb.delete("/__sandbox/faults");
        }
    }
}

#[test]
fn a_login_start_redirected_elsewhere_is_not_followed() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let to = format!("http://localhost:{}/__capture/init", port_of(&sb));
    sb.fault(json!({"path_prefix": INIT, "redirect": to, "redirect_status": 307, "count": 1}));
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(sb.captured().is_empty(), "{:?}", sb.captured());
    assert!(!env.file("pending-login.json").exists());
}

#[test]
fn a_localhost_subdomain_is_not_loopback() {
    let sb = Sandbox::start();
    let port = port_of(&sb);
    // Login: refused before anything is sent.
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_BASE_URL", &format!("http://evil.localhost:{port}"));
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("plain HTTP"), "{}", out.stderr);
    // The API: no token over plain HTTP to a name that is not localhost.
    let mut env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    env.set(
        "NOTION_API_BASE_URL",
        &format!("http://api.localhost:{port}"),
    );
    for args in [&["whoami"][..], &["api", "v1/users/me"]] {
        let out = env.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("refusing to send a token over plain HTTP"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(sb.requests().is_empty(), "{:?}", sb.requests());
    // `localhost` itself (resolving to loopback here) and 127.0.0.1 are fine.
    env.set("NOTION_API_BASE_URL", &format!("http://localhost:{port}"));
    assert_eq!(env.run(&["whoami"]).code, 0);
    env.set("NOTION_API_BASE_URL", &format!("http://127.0.0.1:{port}"));
    assert_eq!(env.run(&["whoami"]).code, 0);
}

/// A login server answering `confirmed` with `token`; serves `n` requests.
fn rogue_login_server(token: String, n: usize) -> String {
    common::raw_json_server(n, move |first, base| {
        let reply: Value = if first.contains("LoginInit") {
            json!({"sessionId": "s-1", "browserUrl": format!("{base}/cli-login/x"),
                   "verificationCode": "ABCD-EFGH", "pollIntervalMs": 50})
        } else {
            json!({"status": "confirmed", "token": token,
                   "spaceId": "11111111-1111-4111-8111-111111111111", "spaceName": "Rogue"})
        };
        reply.to_string().into_bytes()
    })
}

#[test]
fn a_token_that_is_not_printable_ascii_is_never_stored() {
    let long = format!("ntn_{}", "x".repeat(2000));
    for token in [
        "ntn_a\u{1b}[2Jb",
        "ntn_a\r\nX-Evil: 1",
        "ntn_\u{202e}abc",
        "ntn_a b",
        "ntn_tab\there",
        &long,
    ] {
        let url = rogue_login_server(token.to_string(), 2);
        let mut env = TestEnv::new();
        env.set("NOTION_ENV", "local");
        env.set("NOTION_BASE_URL", &url);
        let out = env.run(&["login", "--no-browser"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let out = env.run(&["login", "poll"]);
        let what = format!("{token:?}");
        assert_eq!(out.code, 5, "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains("the server sent an invalid token"),
            "{what}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains('\u{1b}'), "{what}: {:?}", out.stderr);
        assert!(!out.stderr.contains("ntn_"), "{what}: {:?}", out.stderr);
        assert_nothing_stored(&env, &what);
    }
}

/// A server that quotes the `Authorization` header (as is and
/// percent-encoded) in its error messages and a header never gets ntn to
/// print the token: not on stderr (with or without `-v`), not in `doctor`,
/// not in `ntn api`'s error body or `-i` head on stdout.
#[test]
fn a_server_echoing_the_token_never_gets_it_reprinted() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    assert!(token.len() >= 8, "{token}");
    let env = TestEnv::new().with_sandbox(&sb);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    let encoded: String = token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    for status in [400, 401, 403, 500, 503] {
        for args in [
            &["whoami"][..],
            &["-v", "whoami"],
            &["doctor"],
            &["doctor", "--json"],
            &["api", "v1/users/me"],
            &["-v", "api", "v1/users/me"],
            &["api", "-i", "v1/users/me"],
        ] {
            sb.delete("/__sandbox/faults");
            sb.fault(json!({"path_prefix": "/v1/users/me", "status": status,
                            "echo_auth": true, "retry_after": 0, "count": 10}));
            let out = env.run(args);
            let what = format!("{args:?} with {status}");
            assert_ne!(out.code, 0, "{what}: the fault answered");
            for text in [&out.stdout, &out.stderr] {
                assert!(!text.contains(&token), "{what}: the token shows: {text}");
                assert!(!text.contains(&encoded), "{what}: the token shows: {text}");
            }
            if args.contains(&"api") && !args.contains(&"-v") {
                assert!(
                    out.stderr.contains("[REDACTED]") || out.stdout.contains("[REDACTED]"),
                    "{what}: {}{}",
                    out.stdout,
                    out.stderr
                );
            }
        }
    }
    sb.delete("/__sandbox/faults");
}
