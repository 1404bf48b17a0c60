//! What a server (or a state file) says is data, never terminal control:
//! a workspace name holding escape sequences is shown escaped by every
//! account command on a real terminal; a 5 MiB name is capped and never
//! makes a state file ntn cannot read back; workspace ids that are not ids
//! (`../`, escapes) are refused before anything is stored.
#![cfg(unix)]

mod common;

use common::{ALICE, GUEST, Sandbox, TestEnv};
use rexpect::session::PtySession;
use serde_json::{Value, json};

const ACME_ID: &str = "11111111-1111-4111-8111-111111111111";
const GLOBEX_ID: &str = "22222222-2222-4222-8222-222222222222";
/// Sets the window title, clears the screen, reverses the text that follows.
const EVIL: &str = "Evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}Corp";
/// How it must be shown.
const EVIL_SHOWN: &str = "Evil\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}Corp";

fn code_of(sb: &Sandbox, n: usize) -> String {
    let s = sb.sessions();
    assert!(s.len() >= n, "{s:?}");
    s[n - 1]["verification_code"].as_str().unwrap().to_string()
}

/// A two-step login in-process, approved for `ws` by `email`.
fn login(sb: &Sandbox, env: &TestEnv, n: usize, email: &str, ws: &str) -> common::Out {
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let _ = sb.approve(&code_of(sb, n), email, ws);
    env.run(&["login", "poll"])
}

/// Runs `ntn args` on a pseudo-terminal and returns everything it printed.
fn on_terminal(env: &TestEnv, args: &[&str]) -> String {
    let mut cmd = env.std_command();
    cmd.args(args).env("TERM", "xterm").env("NO_COLOR", "1");
    let mut p: PtySession = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_eof().unwrap()
}

fn assert_no_raw_control(what: &str, out: &str) {
    for bad in ["\u{1b}]", "\u{1b}[2J", "\u{7}", "\u{202e}"] {
        assert!(!out.contains(bad), "{what} printed {bad:?} raw: {out:?}");
    }
}

#[test]
fn escape_sequences_in_a_workspace_name_are_shown_not_obeyed_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = Sandbox::start_renamed(tmp.path(), &[("Acme", EVIL)]);
    let env = TestEnv::new().with_sandbox(&sb);

    // The login, finished on a terminal.
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    let (s, v) = sb.approve(&code_of(&sb, 1), ALICE, ACME_ID);
    assert_eq!(s, 200, "{v}");
    let out = on_terminal(&env, &["login", "poll"]);
    assert_no_raw_control("login poll", &out);
    assert!(
        out.contains(&format!("Logged in to {EVIL_SHOWN}")),
        "{out:?}"
    );
    // Stored as received (it is data), shown escaped.
    assert_eq!(
        env.read_json("workspaces.json")["environments"]["local"][ACME_ID]["name"],
        EVIL
    );

    for args in [
        &["whoami"][..],
        &["debug"],
        &["doctor"],
        &["login", "--workspace", ACME_ID],
        &["debug", "--plain"],
        &["doctor", "--plain"],
        &["whoami", "--plain"],
    ] {
        let out = on_terminal(&env, args);
        assert_no_raw_control(&args.join(" "), &out);
        assert!(out.contains(EVIL_SHOWN), "{args:?}: {out:?}");
    }

    // The picker lists it escaped (Esc leaves it).
    let mut cmd = env.std_command();
    cmd.arg("login").env("TERM", "xterm").env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    let listed = p.exp_string("Authenticate with new workspace").unwrap();
    p.send("\u{1b}").unwrap();
    p.flush().unwrap();
    let rest = p.exp_eof().unwrap();
    assert_no_raw_control("the picker", &format!("{listed}{rest}"));
    assert!(listed.contains(EVIL_SHOWN), "{listed:?}");
    assert!(rest.contains("login cancelled"), "{rest:?}");

    // The server's refusal message (it names the workspace) with -v.
    let out = {
        let o = env.run(&["login", "--no-browser"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let _ = sb.approve(&code_of(&sb, 2), GUEST, ACME_ID);
        on_terminal(&env, &["-v", "login", "poll"])
    };
    assert_no_raw_control("a refused login", &out);
    assert!(out.contains("the server said"), "{out:?}");

    // And logout.
    let out = on_terminal(&env, &["logout"]);
    assert_no_raw_control("logout", &out);
    assert!(
        out.contains(&format!("Logged out of {EVIL_SHOWN}")),
        "{out:?}"
    );
}

#[test]
fn a_five_mib_name_is_capped_and_every_command_keeps_working() {
    let tmp = tempfile::tempdir().unwrap();
    let huge = "W".repeat(5 * 1024 * 1024);
    let sb = Sandbox::start_renamed(tmp.path(), &[("Globex", &huge)]);
    let env = TestEnv::new().with_sandbox(&sb);
    let out = login(&sb, &env, 1, ALICE, GLOBEX_ID);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.len() < 4096,
        "{} bytes of stderr",
        out.stderr.len()
    );
    let size = std::fs::metadata(env.file("workspaces.json"))
        .unwrap()
        .len();
    assert!(size < 4096, "workspaces.json is {size} bytes");
    let name = env.read_json("workspaces.json")["environments"]["local"][GLOBEX_ID]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(name.chars().count(), 256);
    assert!(name.ends_with('…'), "{name}");
    for args in [&["auth", "token"][..], &["debug"], &["whoami"], &["logout"]] {
        let out = env.run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
}

/// A server that answers the login protocol with `confirmed` for the
/// workspace `id` (and name `name`): what a hostile or broken server could
/// send. Serves `n` requests on a thread; returns its base URL.
fn rogue_login_server(id: &'static str, name: &'static str, n: usize) -> String {
    common::raw_json_server(n, move |first, base| {
        let reply: Value = if first.contains("LoginInit") {
            json!({"sessionId": "s-1", "browserUrl": format!("{base}/cli-login/x"),
                   "verificationCode": "ABCD-EFGH", "pollIntervalMs": 50})
        } else {
            json!({"status": "confirmed", "token": "ntn_rogue_token",
                   "spaceId": id, "spaceName": name})
        };
        reply.to_string().into_bytes()
    })
}

#[test]
fn workspace_ids_that_are_not_ids_are_never_stored() {
    for (id, name) in [
        ("../../../tmp/x", "Traversal"),
        ("w1/../../x", "Slashes"),
        ("w\u{1b}[2J", "Escapes"),
    ] {
        let url = rogue_login_server(id, name, 2);
        let mut env = TestEnv::new();
        env.set("NOTION_ENV", "local");
        env.set("NOTION_BASE_URL", &url);
        let out = env.run(&["login", "--no-browser"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let out = env.run(&["login", "poll"]);
        assert_eq!(out.code, 5, "{id:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("workspace id ntn will not use"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
        assert!(!out.stderr.contains("ntn_rogue_token"));
        for f in ["auth.json", "workspaces.json", "config.json"] {
            assert!(!env.file(f).exists(), "{id:?}: {f} was written");
        }
    }
    // Ids planted in a state file are refused too, named, file untouched.
    let env = TestEnv::new();
    common::seed_login(&env, "prod", "../x", "Acme", Some("t"), true);
    let before = std::fs::read(env.file("workspaces.json")).unwrap();
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("config.json"), "{}", out.stderr);
    let out = env.run(&["--workspace", "../x", "auth", "token"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read(env.file("workspaces.json")).unwrap(), before);
}
