//! The skeleton every command shares: version, usage errors, the error format
//! and exit codes, environment resolution, colours. In-process, except what
//! belongs to the process: its exit status and the colour choice made from
//! its own environment and streams.

mod common;

use common::{ALICE, Sandbox, TestEnv, run};
use ntn::output::TestUi;

#[test]
fn version_prints_name_and_version_on_stdout() {
    let env = TestEnv::new();
    let out = env.run(&["--version"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("ntn {}\n", env!("CARGO_PKG_VERSION")),
        "stderr: {}",
        out.stderr
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    let mut env = TestEnv::new();
    let out = env.run(&["--no-such-flag"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.starts_with("error:"), "{}", out.stderr);

    let out = env.run(&["--env", "production", "whoami"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("production"), "{}", out.stderr);

    // NOTION_ENV is validated like --env.
    env.set("NOTION_ENV", "nope");
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn no_command_shows_help_and_exits_2() {
    let env = TestEnv::new();
    let out = env.run(&[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Usage: ntn"), "{}", out.stderr);
}

#[test]
fn help_lists_commands_environment_variables_and_exit_codes() {
    let env = TestEnv::new();
    let out = env.run(&["--help"]);
    assert_eq!(out.code, 0);
    for needle in [
        "login",
        "logout",
        "whoami",
        "doctor",
        "api",
        "files",
        "NOTION_API_TOKEN",
        "NOTION_WORKSPACE_ID",
        "NOTION_KEYRING",
        "NOTION_HOME",
        "Exit codes",
    ] {
        assert!(
            out.stdout.contains(needle),
            "missing {needle}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn help_is_wrapped_to_the_terminal_never_wider_than_100_columns() {
    let env = TestEnv::new();
    let widest = |ui: TestUi| {
        let out = env.run_with(&["--help"], ui);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.lines().map(|l| l.chars().count()).max().unwrap()
    };
    // Whatever terminal the tests themselves run in.
    assert_eq!(widest(TestUi::new()), 100, "not a terminal");
    assert!(
        widest(TestUi::new().terminal(60)) <= 60,
        "a narrow terminal"
    );
    assert_eq!(widest(TestUi::new().terminal(200)), 100, "a wide terminal");
}

#[test]
fn every_command_long_help_ends_with_its_environment_variables() {
    let env = TestEnv::new();
    for cmd in [
        vec!["login"],
        vec!["logout"],
        vec!["whoami"],
        vec!["auth", "token"],
        vec!["debug"],
        vec!["doctor"],
        vec!["api"],
        vec!["files"],
        vec!["completions"],
    ] {
        let out = env.run(&[&cmd[..], &["--help"]].concat());
        assert_eq!(out.code, 0, "{cmd:?}: {}", out.stderr);
        let tail = out.stdout.trim_end();
        let section = tail
            .rfind("Environment variables:")
            .unwrap_or_else(|| panic!("{cmd:?} has no environment section:\n{tail}"));
        assert!(
            tail[section..].contains("NOTION_ENV") && tail.ends_with("disable colours"),
            "{cmd:?}:\n{tail}"
        );
    }
}

#[test]
fn a_bad_url_variable_is_a_local_error_with_a_hint() {
    let mut env = TestEnv::new();
    env.set("NOTION_API_BASE_URL", "api.notion.com");
    let out = env.run(&["whoami"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: NOTION_API_BASE_URL is not an http(s) URL"),
        "{}",
        out.stderr
    );
    assert!(lines[1].starts_with("  hint: "), "{}", out.stderr);
}

#[test]
fn verbose_adds_the_cause_chain() {
    let mut env = TestEnv::new();
    let missing = env.dir.path().join("does-not-exist");
    env.set("NOTION_HOME", missing.to_str().unwrap());
    let quiet = env.run(&["auth", "token"]);
    let loud = env.run(&["-v", "auth", "token"]);
    assert_eq!(quiet.code, 1, "{}", quiet.stderr);
    assert_eq!(loud.code, 1, "{}", loud.stderr);
    assert!(quiet.stderr.contains("NOTION_HOME does not exist"));
    assert!(!quiet.stderr.contains("caused by:"), "{}", quiet.stderr);
    assert!(loud.stderr.contains("  caused by: "), "{}", loud.stderr);
}

/// A case of [`the_process_exits_with_the_commands_code`]: what, the
/// arguments, variables, the exit status.
type ExitCase<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], i32);

/// The real process exits with the code the command returned, and prints
/// where the in-process runs do (one case per kind of exit).
#[test]
fn the_process_exits_with_the_commands_code() {
    let sb = Sandbox::start();
    let env = TestEnv::new();
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let cases: [ExitCase; 6] = [
        ("ok", &["--version"], &[], 0),
        (
            "local problem",
            &["whoami"],
            &[("NOTION_API_BASE_URL", "nope")],
            1,
        ),
        ("usage", &["--no-such-flag"], &[], 2),
        ("not logged in", &["auth", "token"], &[], 4),
        (
            "rejected token",
            &["api", "v1/users/me"],
            &[
                ("NOTION_ENV", "local"),
                ("NOTION_API_BASE_URL", &sb.url),
                ("NOTION_API_TOKEN", "ntn_unknown_token"),
            ],
            4,
        ),
        (
            "API error",
            &["api", "v1/pages/00000000-0000-4000-8000-000000000000"],
            &[
                ("NOTION_ENV", "local"),
                ("NOTION_API_BASE_URL", &sb.url),
                ("NOTION_API_TOKEN", &token),
            ],
            5,
        ),
    ];
    for (what, args, vars, want) in cases {
        let mut cmd = env.ntn();
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, want, "{what}: ntn {args:?}: {}", out.stderr);
        if want == 0 {
            assert!(out.stdout.starts_with("ntn "), "{what}: {}", out.stdout);
        } else {
            assert!(out.stderr.starts_with("error:"), "{what}: {}", out.stderr);
        }
    }
}

#[test]
fn colours_only_when_forced_or_on_a_terminal_and_never_with_no_color() {
    let env = TestEnv::new();
    let bad = || {
        let mut c = env.ntn();
        c.env("NOTION_BASE_URL", "nope").arg("whoami");
        c
    };
    // Not a terminal: no escape codes.
    let plain = run(&mut bad());
    assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
    // Forced: escape codes.
    let forced = run(bad().env("CLICOLOR_FORCE", "1"));
    assert!(forced.stderr.contains('\u{1b}'), "{:?}", forced.stderr);
    // NO_COLOR wins over everything.
    let no_color = run(bad().env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1"));
    assert!(!no_color.stderr.contains('\u{1b}'), "{:?}", no_color.stderr);
}
