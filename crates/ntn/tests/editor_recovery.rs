//! `ntn pages edit` in the editor never loses what the user wrote: when the
//! edit fails after the editor closed (a frontmatter mistake, a server
//! error), the text is in a private recovery file named by the hint;
//! `--recover` (or the file as FILE) applies it and the file goes. Ctrl-C
//! while the editor runs is the editor's: ntn goes on, and its temporary
//! file is removed. In-process, except the Ctrl-C test (a real terminal).
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{ALICE, Out, Sandbox, TestEnv};
use ntn::output::TestUi;
use serde_json::json;

const HOME: &str = "a1000000-0000-4000-8000-000000000001";

fn setup() -> (Sandbox, TestEnv, String) {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    env.set("NOTION_API_TOKEN", &token);
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("page:{HOME}"),
        "--content",
        "---\ntitle: Draft\n---\nfirst version\n",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout.trim().to_string();
    (sb, env, page)
}

/// Sets `EDITOR` to a shell script with this body (`$1` is the file).
fn editor(env: &mut TestEnv, name: &str, body: &str) {
    let script = env.dir.path().join(name);
    std::fs::write(&script, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.set("EDITOR", script.to_str().unwrap());
}

fn on_terminal(env: &TestEnv, args: &[&str]) -> Out {
    env.run_with(args, TestUi::new().terminal(80))
}

fn body(env: &TestEnv, page: &str) -> String {
    let out = env.run(&["pages", "get", page, "--no-frontmatter"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

fn recover_dir(env: &TestEnv) -> PathBuf {
    env.notion_home().join("recover")
}

fn recovery_files(env: &TestEnv) -> Vec<PathBuf> {
    match std::fs::read_dir(recover_dir(env)) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => vec![],
    }
}

/// The path the hint names (`your text is saved in PATH; run ...`).
fn named_file(stderr: &str) -> PathBuf {
    let rest = stderr
        .split("your text is saved in ")
        .nth(1)
        .unwrap_or_else(|| panic!("no recovery hint: {stderr}"));
    PathBuf::from(rest.split("; run ").next().unwrap())
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_frontmatter_typo_keeps_the_text_and_recover_applies_it() {
    let (_sb, mut env, page) = setup();
    // The user writes, and breaks the frontmatter on the way.
    editor(
        &mut env,
        "typo.sh",
        "sed -i -e 's/first version/my precious words/' -e '2i bad: [unclosed' \"$1\"",
    );
    let out = on_terminal(&env, &["pages", "edit", &page]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    let file = named_file(&out.stderr);
    assert!(
        out.stderr
            .contains(&format!("run `ntn pages edit {page} --recover`")),
        "{}",
        out.stderr
    );
    assert_eq!(file.parent(), Some(recover_dir(&env).as_path()));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("my precious words")
    );
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&recover_dir(&env)), 0o700);
    assert_eq!(body(&env, &page), "first version\n", "nothing was sent");

    // --recover reopens it; the user fixes the typo; it is applied and gone.
    editor(&mut env, "fix.sh", "sed -i '/^bad: \\[unclosed$/d' \"$1\"");
    let out = on_terminal(&env, &["pages", "edit", &page, "--recover"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(body(&env, &page), "my precious words\n");
    assert!(
        recovery_files(&env).is_empty(),
        "{:?}",
        recovery_files(&env)
    );

    // Nothing left to recover.
    let out = on_terminal(&env, &["pages", "edit", &page, "--recover"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("no saved editor text"),
        "{}",
        out.stderr
    );
    // Without a terminal --recover cannot open the editor.
    let out = env.run(&["pages", "edit", &page, "--recover"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn a_server_failure_keeps_the_text_and_the_file_argument_applies_it() {
    let (sb, mut env, page) = setup();
    editor(
        &mut env,
        "write.sh",
        "sed -i 's/first version/written during an outage/' \"$1\"",
    );
    sb.fault(
        json!({"path_prefix": format!("/v1/pages/{page}"), "method": "PATCH",
                    "status": 500, "count": 10}),
    );
    let out = on_terminal(&env, &["pages", "edit", &page]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let file = named_file(&out.stderr);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("written during an outage")
    );
    assert_eq!(recovery_files(&env), vec![file.clone()]);

    // Once the server is back, the file itself is the input (no terminal).
    let (status, _) = {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let r = agent
            .delete(format!("{}/__sandbox/faults", sb.url))
            .call()
            .unwrap();
        (r.status().as_u16(), ())
    };
    assert!(status < 300);
    let out = env.run(&["pages", "edit", &page, file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(body(&env, &page), "written during an outage\n");
    assert!(
        !file.exists(),
        "a successful edit removes the recovery file"
    );
}

#[test]
fn a_dry_run_from_the_editor_keeps_the_text_for_the_real_edit() {
    let (_sb, mut env, page) = setup();
    editor(&mut env, "dry.sh", "sed -i 's/first version/maybe/' \"$1\"");
    let out = on_terminal(&env, &["pages", "edit", &page, "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("--recover"), "{}", out.stderr);
    assert_eq!(recovery_files(&env).len(), 1);
    // Unchanged in the editor: a recovered text is applied as it is.
    editor(&mut env, "keep.sh", "true");
    let out = on_terminal(&env, &["pages", "edit", &page, "--recover"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(body(&env, &page), "maybe\n");
    assert!(recovery_files(&env).is_empty());
}

#[test]
fn an_editor_that_fails_after_saving_has_its_text_kept() {
    let (_sb, mut env, page) = setup();
    editor(
        &mut env,
        "crash.sh",
        "sed -i 's/first version/saved then crashed/' \"$1\"\nexit 1",
    );
    let out = on_terminal(&env, &["pages", "edit", &page]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    let file = named_file(&out.stderr);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("saved then crashed")
    );
    assert_eq!(body(&env, &page), "first version\n");
    // An editor that fails without writing leaves nothing behind.
    std::fs::remove_file(&file).unwrap();
    editor(&mut env, "quit.sh", "exit 1");
    let out = on_terminal(&env, &["pages", "edit", &page]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("saved in"), "{}", out.stderr);
    assert!(recovery_files(&env).is_empty());
}

#[test]
fn ctrl_c_while_the_editor_runs_is_the_editors_and_ntn_goes_on() {
    use rexpect::process::WaitStatus;
    let (_sb, mut env, page) = setup();
    let tmp = env.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    env.set("TMPDIR", tmp.to_str().unwrap());
    let mark = env.dir.path().join("editor-got-ctrl-c");
    editor(
        &mut env,
        "slow.sh",
        &format!(
            "trap 'echo yes > {}' INT\necho EDITOR-READY\nread line\nsed -i 's/first version/after ctrl-c/' \"$1\"\nexit 0",
            mark.display()
        ),
    );
    let mut cmd = env.std_command();
    cmd.args(["pages", "edit", &page])
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("EDITOR-READY").unwrap();
    p.send_control('c').unwrap();
    // The editor saw it (its trap ran): then the user goes on and saves.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !mark.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the editor never got Ctrl-C"
        );
        std::thread::yield_now();
    }
    p.send_line("go").unwrap();
    let rest = p.exp_eof().unwrap();
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, 0) => {}
        other => panic!("ntn ended with {other:?}: {rest:?}"),
    }
    assert_eq!(body(&env, &page), "after ctrl-c\n");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    assert!(recovery_files(&env).is_empty());
}

#[test]
fn a_new_page_written_in_the_editor_is_kept_when_create_fails() {
    let (_sb, mut env, _page) = setup();
    // A property a page outside a data source cannot have: create refuses it.
    editor(
        &mut env,
        "new.sh",
        "printf -- '---\\ntitle: Ideas\\nproperties:\\n  Status: Done\\n---\\nmy new words\\n' >\"$1\"",
    );
    let parent = format!("page:{HOME}");
    let out = on_terminal(&env, &["pages", "create", "--parent", &parent]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let file = named_file(&out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "run `ntn pages create --parent {parent} {}`",
            file.display()
        )),
        "{}",
        out.stderr
    );
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("my new words")
    );
    assert_eq!(mode(&file), 0o600);
    // Fixed, the file creates the page, and is then removed.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("properties:\n  Status: Done\n", "");
    std::fs::write(&file, text).unwrap();
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &parent,
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !file.exists(),
        "a recovery file that created its page is removed"
    );
}
