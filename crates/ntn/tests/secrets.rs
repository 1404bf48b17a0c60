//! Secret-store faults: no session bus, a daemon that never answers. Each is
//! exit 1 with the NOTION_KEYRING=0 hint, quickly, and never a silent
//! fallback to plaintext.

// A fake bus on a Unix socket: Unix only.
#![cfg(unix)]

mod common;

use common::{TestEnv, run, seed_login};

const HINT: &str = "hint: set NOTION_KEYRING=0 to keep tokens in auth.json";

fn keychain_env(bus: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.unset("NOTION_KEYRING");
    env.set("DBUS_SESSION_BUS_ADDRESS", bus);
    seed_login(&env, "prod", "w1", "Acme", None, true);
    env
}

#[test]
fn no_session_bus_is_exit_1_with_the_hint() {
    let env = keychain_env("unix:path=/nonexistent/ntn-test-bus");
    for args in [&["auth", "token"][..], &["whoami"], &["logout"]] {
        let out = run(env.ntn().args(args));
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("keychain"), "{}", out.stderr);
        if args == ["logout"] {
            // NOTION_KEYRING=0 would leave the keychain's tokens behind: a
            // logout says how to reach the keychain instead.
            assert!(!out.stderr.contains("NOTION_KEYRING"), "{}", out.stderr);
            assert!(out.stderr.contains("`ntn logout`"), "{}", out.stderr);
        } else {
            assert!(out.stderr.contains(HINT), "{}", out.stderr);
        }
    }
    // logout failed before touching anything.
    assert!(env.read_json("workspaces.json")["environments"]["prod"]["w1"].is_object());
    assert!(!env.file("auth.json").exists());
}

#[cfg(unix)]
#[test]
fn a_hung_keychain_daemon_times_out() {
    use std::time::{Duration, Instant};
    // A socket that accepts connections and never says a word.
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("bus");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let mut env = keychain_env(&format!("unix:path={}", sock.display()));
    env.set("NTN_KEYCHAIN_TIMEOUT_MS", "700");
    let started = Instant::now();
    let out = run(env.ntn().args(["auth", "token"]));
    let took = started.elapsed();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("did not answer within 700 ms"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(HINT), "{}", out.stderr);
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // debug reports it and still succeeds.
    let out = run(env.ntn().args(["debug", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("did not answer"), "{}", out.stdout);
}
