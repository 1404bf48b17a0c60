//! `ntn completions`: the scripts complete commands, flags and (from the
//! cached spec, without network) endpoint paths.

mod common;

use std::process::Command;

use common::{Sandbox, TestEnv, run};

/// Runs the bash completion function for `words` (the last one is being
/// completed) and returns COMPREPLY.
fn bash_complete(env: &TestEnv, script: &str, words: &[&str]) -> Vec<String> {
    let dir = env.dir.path();
    let script_path = dir.join("ntn.bash");
    std::fs::write(&script_path, script).unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_ntn"))
        .parent()
        .unwrap();
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
        let o = run(env.ntn().args(["completions", shell]));
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(
            o.stdout.contains("login") && o.stdout.contains("--paginate"),
            "{shell}"
        );
    }
    let o = run(env.ntn().args(["completions", "tcsh"]));
    assert_eq!(o.code, 2);
}

#[test]
fn bash_completes_commands_flags_and_cached_api_paths() {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let script = run(env.ntn().args(["completions", "bash"])).stdout;

    // Commands and flags come from clap.
    let subs = bash_complete(&env, &script, &["ntn", "log"]);
    assert!(
        subs.contains(&"login".to_string()) && subs.contains(&"logout".to_string()),
        "{subs:?}"
    );
    let flags = bash_complete(&env, &script, &["ntn", "api", "--pag"]);
    assert_eq!(flags, vec!["--paginate"]);

    // No cached spec yet: only `ls`, and no network access.
    let none = bash_complete(&env, &script, &["ntn", "api", "v1/us"]);
    assert!(none.is_empty(), "{none:?}");
    assert!(
        sb.requests().is_empty(),
        "completion must not fetch the spec"
    );

    // Cache the spec, then paths complete.
    assert_eq!(run(env.ntn().args(["api", "ls"])).code, 0);
    let paths = bash_complete(&env, &script, &["ntn", "api", "v1/us"]);
    assert!(paths.contains(&"v1/users/me".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"v1/users/{user_id}".to_string()),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| p.starts_with("v1/us")), "{paths:?}");
    // After the path, no more path completion.
    let after = bash_complete(&env, &script, &["ntn", "api", "v1/users/me", "v1/us"]);
    assert!(!after.contains(&"v1/users/me".to_string()), "{after:?}");
    let o = run(env.ntn().args(["completions", "--paths"]));
    assert!(o.stdout.lines().any(|l| l == "v1/search"), "{}", o.stdout);
}
