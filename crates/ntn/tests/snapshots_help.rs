//! Snapshots of what people read: every command's `--help`, and the
//! `ntn api ls` table of the sandbox's spec. A change to any of them shows up
//! in review as a diff of `tests/snapshots/`. In-process (clap's help is the
//! same text whichever process prints it; not a terminal, so not wrapped to
//! one).
//!
//! Update after an intended change: `INSTA_UPDATE=always cargo test -p ntn --test snapshots_help`
//! (or `cargo insta review`).

mod common;

use common::{Sandbox, TestEnv};

fn help(args: &[&str]) -> String {
    let env = TestEnv::new();
    let out = env.run(&[args, &["--help"]].concat());
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    assert!(out.stderr.is_empty(), "{args:?}: {}", out.stderr);
    out.stdout
}

#[test]
fn help_texts() {
    let commands: &[&[&str]] = &[
        &[],
        &["login"],
        &["login", "poll"],
        &["logout"],
        &["whoami"],
        &["auth"],
        &["auth", "token"],
        &["debug"],
        &["doctor"],
        &["api"],
        &["files"],
        &["files", "create"],
        &["files", "get"],
        &["files", "list"],
        &["files", "attach"],
        &["datasources"],
        &["datasources", "query"],
        &["datasources", "resolve"],
        &["datasources", "schema"],
        &["datasources", "views"],
        &["datasources", "update"],
        &["datasources", "import"],
        &["search"],
        &["pages"],
        &["pages", "get"],
        &["pages", "create"],
        &["pages", "edit"],
        &["pages", "append"],
        &["pages", "trash"],
        &["pages", "restore"],
        &["pages", "move"],
        &["sync"],
        &["sync", "init"],
        &["sync", "status"],
        &["sync", "resolve"],
        &["comments"],
        &["comments", "list"],
        &["comments", "add"],
        &["comments", "delete"],
        &["users"],
        &["users", "list"],
        &["users", "get"],
        &["users", "me"],
        &["completions"],
    ];
    for args in commands {
        let name = if args.is_empty() {
            "ntn".to_string()
        } else {
            format!("ntn {}", args.join(" "))
        };
        insta::assert_snapshot!(name.replace(' ', "_"), help(args), &name);
    }
}

#[test]
fn api_ls_of_the_sandbox_spec() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let out = env.run(&["api", "ls"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("api_ls", out.stdout);
}
