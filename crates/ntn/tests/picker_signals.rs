//! The workspace picker of `ntn login` under a real pseudo-terminal: an
//! interrupt however it comes (the Ctrl-C key, or SIGINT sent with `kill`)
//! leaves the terminal as it was (cursor shown, cooked mode) and says so.
#![cfg(unix)]

mod common;

use common::{ALICE, Sandbox, TestEnv};
use rexpect::process::Signal;
use rexpect::process::WaitStatus;

/// Stores a login to Acme (two-step, in-process), so `ntn login` on a
/// terminal shows the picker.
fn with_one_login() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let ws = sb.workspace("Acme");
    assert_eq!(env.run(&["login", "--no-browser"]).code, 0);
    let code = sb.sessions()[0]["verification_code"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = sb.approve(&code, ALICE, &ws);
    assert_eq!(status, 200, "{body}");
    let out = env.run(&["login", "poll"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (sb, env)
}

#[test]
fn sigint_in_the_picker_restores_the_terminal_and_says_interrupted() {
    let (sb, env) = with_one_login();
    for by_signal in [true, false] {
        let mut cmd = env.std_command();
        cmd.args(["login"])
            .env("TERM", "xterm")
            .env("NO_COLOR", "1");
        let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
        let shown = p.exp_string("Authenticate with new workspace").unwrap();
        if by_signal {
            p.process_mut().signal(Signal::SIGINT).unwrap();
        } else {
            p.send_control('c').unwrap();
        }
        let rest = p.exp_eof().unwrap();
        let all = format!("{shown}{rest}");
        let hidden = all
            .rfind("\u{1b}[?25l")
            .expect("the picker hides the cursor");
        assert!(
            all[hidden..].contains("\u{1b}[?25h"),
            "cursor left hidden ({by_signal}): {all:?}"
        );
        assert!(all.contains("error: interrupted"), "{all:?}");
        match p.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => assert_eq!(code, 130, "{all:?}"),
            other => panic!("unexpected status {other:?}: {all:?}"),
        }
    }
    assert_eq!(sb.sessions().len(), 1, "no new login session");
}
