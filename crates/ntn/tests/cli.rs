//! The skeleton every command shares: version, usage errors, the error format
//! and exit codes, environment resolution, colours.

mod common;

use common::{TestEnv, run};

#[test]
fn version_prints_name_and_version_on_stdout() {
    let env = TestEnv::new();
    let out = run(env.ntn().arg("--version"));
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
    let env = TestEnv::new();
    let out = run(env.ntn().arg("--no-such-flag"));
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.starts_with("error:"), "{}", out.stderr);

    let out = run(env.ntn().args(["--env", "production", "whoami"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("production"), "{}", out.stderr);

    // NOTION_ENV is validated like --env.
    let out = run(env.ntn().env("NOTION_ENV", "nope").arg("whoami"));
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn no_command_shows_help_and_exits_2() {
    let env = TestEnv::new();
    let out = run(&mut env.ntn());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("Usage: ntn"), "{}", out.stderr);
}

#[test]
fn help_lists_commands_environment_variables_and_exit_codes() {
    let env = TestEnv::new();
    let out = run(env.ntn().arg("--help"));
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
        let out = run(env.ntn().args(&cmd).arg("--help"));
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
    let env = TestEnv::new();
    let out = run(env
        .ntn()
        .env("NOTION_API_BASE_URL", "api.notion.com")
        .arg("whoami"));
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
    let env = TestEnv::new();
    let missing = env.dir.path().join("does-not-exist");
    let quiet = run(env
        .ntn()
        .env("NOTION_HOME", &missing)
        .args(["auth", "token"]));
    let loud = run(env
        .ntn()
        .env("NOTION_HOME", &missing)
        .args(["-v", "auth", "token"]));
    assert_eq!(quiet.code, 1, "{}", quiet.stderr);
    assert_eq!(loud.code, 1, "{}", loud.stderr);
    assert!(quiet.stderr.contains("NOTION_HOME does not exist"));
    assert!(!quiet.stderr.contains("caused by:"), "{}", quiet.stderr);
    assert!(loud.stderr.contains("  caused by: "), "{}", loud.stderr);
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
