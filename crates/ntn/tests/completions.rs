//! `ntn completions`: the scripts complete commands, flags and (from the
//! cached spec, without network) endpoint paths.

mod common;

use std::process::Command;

use common::{Sandbox, TestEnv};

/// Runs the bash completion function for `words` (the last one is being
/// completed) and returns COMPREPLY.
fn bash_complete(env: &TestEnv, script: &str, words: &[&str]) -> Vec<String> {
    let dir = env.dir.path();
    let script_path = dir.join("ntn.bash");
    std::fs::write(&script_path, script).unwrap();
    let bin_dir = env.bin_dir();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _ntn_with_api_paths ntn '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script_path.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(program).env_clear();
    for (k, v) in [
        ("HOME", env.home().to_str().unwrap().to_string()),
        (
            "NOTION_HOME",
            env.notion_home().to_str().unwrap().to_string(),
        ),
        (
            "NOTION_ENV",
            env.var("NOTION_ENV").unwrap_or("prod").to_string(),
        ),
        (
            "NOTION_API_DOCS_BASE_URL",
            env.var("NOTION_API_DOCS_BASE_URL")
                .unwrap_or("")
                .to_string(),
        ),
        ("PATH", format!("{}:/usr/bin:/bin", bin_dir.display())),
    ] {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_shell_gets_a_script() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = env.run(&["completions", shell]);
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(
            o.stdout.contains("login") && o.stdout.contains("--paginate"),
            "{shell}"
        );
    }
    let o = env.run(&["completions", "tcsh"]);
    assert_eq!(o.code, 2);
}

#[test]
fn bash_completes_commands_flags_and_api_paths_without_placeholders() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let script = env.run(&["completions", "bash"]).stdout;

    // Commands and flags come from clap.
    let subs = bash_complete(&env, &script, &["ntn", "log"]);
    assert!(
        subs.contains(&"login".to_string()) && subs.contains(&"logout".to_string()),
        "{subs:?}"
    );
    let flags = bash_complete(&env, &script, &["ntn", "api", "--pag"]);
    assert_eq!(flags, vec!["--paginate"]);

    // Paths come from the built-in table before any spec is cached, a
    // segment at a time, and never with a {placeholder}; no network access.
    let paths = bash_complete(&env, &script, &["ntn", "api", "v1/us"]);
    assert_eq!(paths, ["v1/users", "v1/users/"]);
    let paths = bash_complete(&env, &script, &["ntn", "api", "v1/users/"]);
    assert_eq!(paths, ["v1/users/me"]);
    let pages = bash_complete(&env, &script, &["ntn", "api", "v1/pages/"]);
    assert!(pages.is_empty(), "{pages:?}");
    let after_id = bash_complete(&env, &script, &["ntn", "api", "v1/pages/abc/m"]);
    assert_eq!(after_id, ["v1/pages/abc/markdown", "v1/pages/abc/move"]);
    assert!(
        sb.requests().is_empty(),
        "completion must not fetch the spec"
    );

    // After the path, no more path completion.
    let after = bash_complete(&env, &script, &["ntn", "api", "v1/users/me", "v1/us"]);
    assert!(!after.contains(&"v1/users/me".to_string()), "{after:?}");
    let o = env.run(&["completions", "--paths", "v1/se"]);
    assert_eq!(o.stdout, "v1/search\n");

    // A cached spec adds its paths.
    let spec = env.dir.path().join("spec.json");
    std::fs::write(
        &spec,
        r#"{"openapi":"3.1.0","paths":{"/v1/widgets/{widget_id}/rows":{"get":{}}}}"#,
    )
    .unwrap();
    let sb2 = Sandbox::start_with(&["--openapi", spec.to_str().unwrap()]);
    let env2 = TestEnv::new().with_sandbox(&sb2);
    assert_eq!(env2.run(&["api", "ls"]).code, 0);
    let o = env2.run(&["completions", "--paths", "v1/widgets/v1/"]);
    assert_eq!(o.stdout, "v1/widgets/v1/rows\n");
}

#[test]
fn bash_completes_workspace_ids_by_id_or_name_and_never_file_names() {
    let env = TestEnv::new();
    common::seed_login(&env, "prod", "w-acme-1", "Acme Corp", None, true);
    common::seed_login(&env, "prod", "w-globex-2", "Globex", None, false);
    common::seed_login(&env, "local", "w-local-3", "Local", None, false);
    let script = env.run(&["completions", "bash"]).stdout;
    let all = bash_complete(&env, &script, &["ntn", "--workspace", ""]);
    assert_eq!(all, ["w-acme-1", "w-globex-2"]);
    let by_name = bash_complete(&env, &script, &["ntn", "whoami", "--workspace", "glo"]);
    assert_eq!(by_name, ["w-globex-2"]);
    let by_id = bash_complete(&env, &script, &["ntn", "--workspace", "w-a"]);
    assert_eq!(by_id, ["w-acme-1"]);
    let o = env.run(&["completions", "--workspaces"]);
    assert_eq!(o.stdout, "w-acme-1\tAcme Corp\nw-globex-2\tGlobex\n");
    // Nothing cached: nothing offered (not the files of the directory).
    let empty = TestEnv::new();
    std::fs::write(empty.dir.path().join("a-file.txt"), "x").unwrap();
    let none = bash_complete(&empty, &script, &["ntn", "--workspace", ""]);
    assert!(none.is_empty(), "{none:?}");
}
