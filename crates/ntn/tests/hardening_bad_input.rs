//! Bad input never crashes ntn and never loses data: every state file
//! corrupted in every way gives exit 1 naming the file and leaves it exactly as
//! it was (bytes, symlink, directory), for every command that reads it;
//! `debug` names the file and `doctor` fails. Hostile command-line input
//! (inline inputs nested thousands deep, huge or binary bodies) is refused
//! with a usage error, not a crash. In-process: a panic would fail the test
//! itself.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};

use common::{ALICE, Sandbox, TestEnv, seed_login};

/// A way to spoil a state file.
#[derive(Clone)]
enum Spoil {
    Bytes(&'static str, Vec<u8>),
    Directory,
    /// A symbolic link to a valid copy of the file elsewhere.
    Symlink,
}

impl std::fmt::Debug for Spoil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spoil::Bytes(label, b) => write!(f, "{label} ({} bytes)", b.len()),
            Spoil::Directory => f.write_str("a directory"),
            Spoil::Symlink => f.write_str("a symlink"),
        }
    }
}

fn spoilers(name: &str, valid: &[u8]) -> Vec<Spoil> {
    let wrong_types: &[u8] = match name {
        "config.json" => br#"{"version":"1","defaultWorkspaceIds":["local"]}"#,
        "workspaces.json" => br#"{"version":"1","environments":{"local":3}}"#,
        "auth.json" => br#"["not", "a", "map"]"#,
        _ => br#"{"version":"1","sessionId":3,"verificationCode":[],"env":"local"}"#,
    };
    let mut huge = b"{\"version\":\"1\",\"padding\":\"".to_vec();
    huge.resize(10 * 1024 * 1024, b'a');
    huge.extend_from_slice(b"\"}");
    vec![
        Spoil::Bytes("empty", Vec::new()),
        Spoil::Bytes("whitespace", b" \n\t\n".to_vec()),
        Spoil::Bytes("truncated", valid[..valid.len() / 2].to_vec()),
        Spoil::Bytes("wrong types", wrong_types.to_vec()),
        Spoil::Bytes("huge", huge),
        Spoil::Bytes("not UTF-8", b"{\"version\":\"\xff\xfe\"}".to_vec()),
        Spoil::Bytes("binary", vec![0, 159, 146, 150, 0, 1, 2, 3]),
        Spoil::Directory,
        Spoil::Symlink,
    ]
}

/// What is at a path, to compare before and after.
#[derive(Debug, PartialEq)]
enum Snapshot {
    File(Vec<u8>),
    Dir(Vec<String>),
    Link(PathBuf, Vec<u8>),
    Missing,
}

fn snapshot(p: &Path) -> Snapshot {
    match std::fs::symlink_metadata(p) {
        Err(_) => Snapshot::Missing,
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::read_link(p).unwrap();
            Snapshot::Link(target.clone(), std::fs::read(&target).unwrap())
        }
        Ok(m) if m.is_dir() => {
            let mut names: Vec<String> = std::fs::read_dir(p)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            Snapshot::Dir(names)
        }
        Ok(_) => Snapshot::File(std::fs::read(p).unwrap()),
    }
}

fn apply(env: &TestEnv, name: &str, valid: &[u8], spoil: &Spoil) {
    let p = env.file(name);
    clear(&p);
    match spoil {
        Spoil::Bytes(_, b) => std::fs::write(&p, b).unwrap(),
        Spoil::Directory => {
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("inside"), b"x").unwrap();
        }
        Spoil::Symlink => {
            let elsewhere = env.dir.path().join("elsewhere");
            std::fs::create_dir_all(&elsewhere).unwrap();
            let target = elsewhere.join(name);
            std::fs::write(&target, valid).unwrap();
            std::os::unix::fs::symlink(&target, &p).unwrap();
        }
    }
}

fn clear(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).unwrap(),
        Ok(_) => std::fs::remove_file(p).unwrap(),
        Err(_) => {}
    }
}

fn restore(env: &TestEnv, name: &str, valid: &[u8]) {
    let p = env.file(name);
    clear(&p);
    std::fs::write(&p, valid).unwrap();
}

/// A logged-in environment (file store) whose token the sandbox accepts, and
/// a valid pending login. Returns (env, workspace id).
fn logged_in(sb: &Sandbox) -> (TestEnv, String) {
    let env = TestEnv::new().with_sandbox(sb);
    let acme = sb.workspace("Acme");
    let token = sb.mint_token(ALICE, &acme);
    seed_login(&env, "local", &acme, "Acme", Some(&token), true);
    (env, acme)
}

fn valid_pending() -> Vec<u8> {
    let far = 4_000_000_000_000u64;
    format!(
        r#"{{"version":"1","sessionId":"s-1","verificationCode":"ABCD-EFGH","env":"local","baseUrl":"http://127.0.0.1:9","browserUrl":"","expiresAtMs":{far},"pollIntervalMs":50,"createdAtMs":0}}"#
    )
    .into_bytes()
}

/// Runs every reader of `name` against every spoiled version of it.
fn audit(name: &str) {
    let sb = Sandbox::start();
    let (env, acme) = logged_in(&sb);
    let path = env.file(name);
    let path_text = path.display().to_string();
    if name == "pending-login.json" {
        std::fs::write(&path, valid_pending()).unwrap();
    }
    let valid = std::fs::read(&path).unwrap();

    // Which commands read the file, and the exit code when it is bad.
    let mut readers: Vec<(Vec<&str>, i32)> = Vec::new();
    if name == "pending-login.json" {
        readers.push((vec!["login", "poll", "--timeout", "1"], 1));
        // logout still forgets the logins; it warns about the pending file.
        readers.push((vec!["logout"], 0));
    } else {
        for args in [
            vec!["auth", "token"],
            vec!["whoami"],
            vec!["api", "v1/users/me"],
            vec!["login", "--workspace", acme.as_str()],
            vec!["logout"],
            vec!["logout", "--workspace", acme.as_str()],
            vec!["files", "list"],
        ] {
            readers.push((args, 1));
        }
    }

    // With the file valid, the readers work (so a failure below is the file's).
    if name != "pending-login.json" {
        let ok = env.run(&["whoami"]);
        assert_eq!(ok.code, 0, "control run: {}", ok.stderr);
    }

    for spoil in spoilers(name, &valid) {
        for (i, (args, want)) in readers.iter().enumerate() {
            // -v adds the cause chain: checked with the first reader.
            for verbose in [false, true] {
                if verbose && i > 0 {
                    continue;
                }
                apply(&env, name, &valid, &spoil);
                let before = snapshot(&path);
                let mut argv = args.clone();
                if verbose {
                    argv.push("-v");
                }
                let out = env.run(&argv);
                let what = format!("{name} {spoil:?} / ntn {} (-v {verbose})", args.join(" "));
                assert_eq!(out.code, *want, "{what}: {}", out.stderr);
                assert!(
                    out.stderr.contains(&path_text),
                    "{what}: the error must name {path_text}: {}",
                    out.stderr
                );
                assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
                assert_eq!(snapshot(&path), before, "{what}: the file was changed");
                if *want != 0 {
                    assert!(out.stderr.contains("hint:"), "{what}: {}", out.stderr);
                }
            }
        }
        // debug names the file (any exit but a crash); doctor fails.
        apply(&env, name, &valid, &spoil);
        let before = snapshot(&path);
        for json in [false, true] {
            let flags: &[&str] = if json { &["--json"] } else { &[] };
            let out = env.run(&[&["debug"], flags].concat());
            assert!(
                out.code == 0 || out.code == 1,
                "debug {spoil:?}: {}",
                out.stderr
            );
            assert!(
                format!("{}{}", out.stdout, out.stderr).contains(name),
                "debug must name {name} ({spoil:?}): {}{}",
                out.stdout,
                out.stderr
            );
            let out = env.run(&[&["doctor"], flags].concat());
            assert_ne!(out.code, 0, "doctor with {name} {spoil:?}: {}", out.stdout);
            assert!(
                format!("{}{}", out.stdout, out.stderr).contains(name),
                "doctor must name {name} ({spoil:?})"
            );
        }
        assert_eq!(snapshot(&path), before, "debug/doctor changed {name}");
        restore(&env, name, &valid);
    }
    // With the file restored, everything works again.
    if name != "pending-login.json" {
        let ok = env.run(&["auth", "token"]);
        assert_eq!(ok.code, 0, "{}", ok.stderr);
    }
}

#[test]
fn corrupt_config_json() {
    audit("config.json");
}

#[test]
fn corrupt_workspaces_json() {
    audit("workspaces.json");
}

#[test]
fn corrupt_auth_json() {
    audit("auth.json");
}

#[test]
fn corrupt_pending_login_json() {
    audit("pending-login.json");
}

#[test]
fn the_config_directory_itself_being_a_file_or_missing_is_a_clear_error() {
    let mut env = TestEnv::new();
    let file = env.dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    for value in [file.clone(), env.dir.path().join("missing")] {
        env.set("NOTION_HOME", value.to_str().unwrap());
        for args in [vec!["auth", "token"], vec!["logout"], vec!["debug"]] {
            let out = env.run(&args);
            if args[0] == "debug" {
                assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
                continue;
            }
            assert_eq!(out.code, 1, "{args:?} {}: {}", value.display(), out.stderr);
            assert!(out.stderr.contains("NOTION_HOME"), "{}", out.stderr);
        }
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    assert!(!env.dir.path().join("missing").exists());
}

#[test]
fn hostile_api_inputs_are_usage_errors_not_crashes() {
    let mut env = TestEnv::new();
    env.set("NOTION_API_TOKEN", "ntn_hostile_input_token");
    env.set("NOTION_API_BASE_URL", "http://127.0.0.1:9");
    let deep_append = format!("a{}=x", "[]".repeat(60_000));
    let deep_index = format!("a{}=x", "[0]".repeat(40_000));
    let deep_json = format!("a:={}{}", "[".repeat(50_000), "]".repeat(50_000));
    let huge_index = "a[99999999999999999999999]=x".to_string();
    let not_json = "a:={nope".to_string();
    for input in [deep_append, deep_index, deep_json, huge_index, not_json] {
        let out = env.run(&["api", "v1/pages", &input]);
        let short: String = input.chars().take(30).collect();
        assert_eq!(out.code, 2, "{short}...: {}", out.stderr);
        assert!(out.stderr.starts_with("error: "), "{short}: {}", out.stderr);
        assert!(!out.stderr.contains("overflow"), "{}", out.stderr);
    }
    // Bad JSON bodies: usage from the command line, local from a file.
    let bad = env.dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"a\":\xff}").unwrap();
    let deep = env.dir.path().join("deep.json");
    std::fs::write(
        &deep,
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    for (data, want) in [
        ("{nope".to_string(), 2),
        (format!("@{}", bad.display()), 1),
        (format!("@{}", deep.display()), 1),
        (format!("@{}", env.dir.path().join("missing").display()), 1),
    ] {
        let out = env.run(&["api", "v1/pages", "-d", &data]);
        assert_eq!(out.code, want, "-d {data}: {}", out.stderr);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    }
}

#[test]
fn hostile_arguments_to_comments_users_attach_and_sync_are_clear_errors_not_crashes() {
    let mut env = TestEnv::new();
    env.set("NOTION_API_TOKEN", "ntn_hostile_input_token");
    env.set("NOTION_API_BASE_URL", "http://127.0.0.1:9");
    let long = "a".repeat(100_000);
    let hostile = [
        "not-an-id",
        "../../etc/passwd",
        "\u{1b}[31mred\u{202e}",
        "",
        long.as_str(),
        "https://www.notion.so/x?v=1#frag",
    ];
    let dir = env.dir.path().join("nowhere");
    let dir = dir.to_str().unwrap();
    for h in hostile {
        for args in [
            vec!["comments", "list", h],
            vec!["comments", "list", h, "--blocks"],
            vec!["comments", "add", h, "text"],
            vec!["comments", "add", "a1000000-0000-4000-8000-000000000020", h],
            vec!["comments", "reply", h, "text"],
            vec!["comments", "edit", h, "text"],
            vec!["comments", "delete", h, "--yes"],
            vec![
                "comments",
                "list",
                "a1000000-0000-4000-8000-000000000020",
                "--start-cursor",
                h,
            ],
            vec!["sync", "init", dir, "--page", h],
            vec!["sync", "status", "-C", h],
            vec!["sync", "resolve", h, "-C", dir],
            vec!["users", "get", h],
            vec![
                "files",
                "attach",
                h,
                "--to",
                "a1000000-0000-4000-8000-000000000020",
            ],
            vec!["files", "attach", dir, "--to", h],
        ] {
            let out = env.run(&args);
            let what = format!(
                "ntn {}",
                args.join(" ").chars().take(80).collect::<String>()
            );
            assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
            assert!(
                [1, 2, 5].contains(&out.code),
                "{what}: exit {}: {}",
                out.code,
                out.stderr
            );
            assert!(out.stderr.contains("error: "), "{what}: {}", out.stderr);
            assert!(
                !out.stderr.contains('\u{1b}'),
                "{what}: escape reached the terminal: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn a_hostile_openapi_spec_or_cache_is_an_error_not_a_crash() {
    // A path item without operations (the fuzzer found that `--spec` on it
    // indexed an empty list), a wrong-typed `paths`, and a cache full of junk.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("openapi.json");
    std::fs::write(
        &spec,
        r##"{"openapi":"3.1.0","paths":{"/v1/empty/{id}":{"parameters":[]},
            "/v1/users/me":{"get":{"operationId":"get-self","summary":"me"}},
            "/v1/loop":{"get":{"requestBody":{"$ref":"#/components/schemas/A"}}}},
            "components":{"schemas":{"A":{"$ref":"#/components/schemas/A"}}}}"##,
    )
    .unwrap();
    let sb = Sandbox::start_with(&["--openapi", spec.to_str().unwrap()]);
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", "ntn_spec_test_token_0000");
    for args in [
        vec!["api", "v1/empty/x", "--spec"],
        vec!["api", "v1/empty/x", "--docs"],
        vec!["api", "v1/empty/x", "--help"],
        vec!["api", "v1/loop", "--spec"],
        vec!["api", "v1/loop", "--help"],
        vec!["api", "ls"],
    ] {
        let out = env.run(&args);
        assert!(
            out.code == 0 || out.code == 2 || out.code == 5,
            "{args:?}: exit {}: {}",
            out.code,
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        if out.code != 0 {
            assert!(out.stderr.contains("error: "), "{args:?}: {}", out.stderr);
        }
    }
    let out = env.run(&["api", "v1/empty/x", "--spec"]);
    assert_eq!(out.code, 2, "{}", out.stderr);

    // Junk in the spec cache is not trusted: ntn fetches the spec again.
    let cache = env.notion_home().join("cache");
    for f in std::fs::read_dir(&cache).unwrap().flatten() {
        std::fs::write(f.path(), b"\xff\x00 not json").unwrap();
    }
    let out = env.run(&["api", "ls", "--plain"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("/v1/users/me"), "{}", out.stdout);
}
