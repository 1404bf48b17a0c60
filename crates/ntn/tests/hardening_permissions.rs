//! Permissions whatever the umask: every file ntn writes in its config
//! directory (auth.json and pending-login.json hold secrets; the others are
//! kept private too) is 0600, and a config directory ntn creates is 0700
//! (NOTION_HOME unset, so ntn creates ~/.config/notion itself). The OpenAPI
//! spec cache holds nothing secret; it must still never be group- or
//! world-writable (ntn makes it private as well).
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ALICE, Out, Sandbox, TestEnv, mode, seed_login};

/// Runs ntn with `env` under `umask`, through `sh -c 'umask ...; exec ntn'`.
fn ntn_umask(env: &TestEnv, umask: &str, args: &[&str]) -> Out {
    let base = env.std_command();
    let mut cmd = Command::new("/bin/sh");
    cmd.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.current_dir(env.dir.path());
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(base.get_program())
        .args(args);
    let o = cmd.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn wait_for_code(sb: &Sandbox, n: usize) -> String {
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let s = sb.sessions();
        if s.len() >= n {
            return s[n - 1]["verification_code"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < end, "no login session appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every file under `dir` (recursively), with its mode.
fn files_under(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        if m.is_dir() {
            out.push((p.clone(), m.permissions().mode() & 0o777));
            out.extend(files_under(&p));
        } else {
            out.push((p, m.permissions().mode() & 0o777));
        }
    }
    out
}

fn assert_private_tree(dir: &Path, what: &str) {
    assert_eq!(mode(dir), 0o700, "{what}: {}", dir.display());
    for (p, m) in files_under(dir) {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(m, want, "{what}: {} is {m:o}", p.display());
    }
}

#[test]
fn files_and_directories_ntn_creates_are_private_under_any_umask() {
    let sb = Sandbox::start();
    let acme = sb.workspace("Acme");
    for (n, umask) in ["000", "077", "022", "027"].iter().enumerate() {
        let mut env = TestEnv::new().with_sandbox(&sb);
        env.unset("NOTION_HOME");
        let config = env.home().join(".config").join("notion");
        let cache = env.home().join(".cache").join("notion");

        // Two-step login: the pending login is written first.
        let out = ntn_umask(&env, umask, &["login", "--no-browser"]);
        assert_eq!(out.code, 0, "umask {umask}: {}", out.stderr);
        let pending = config.join("pending-login.json");
        assert!(pending.exists(), "umask {umask}");
        assert_private_tree(&config, &format!("umask {umask} after login --no-browser"));
        // ~/.config, created on the way, is not writable by others either.
        assert_eq!(
            mode(&env.home().join(".config")) & 0o022,
            0,
            "umask {umask}"
        );

        let (s, v) = sb.approve(&wait_for_code(&sb, n + 1), ALICE, &acme);
        assert_eq!(s, 200, "{v}");
        let out = ntn_umask(&env, umask, &["login", "poll"]);
        assert_eq!(out.code, 0, "umask {umask}: {}", out.stderr);
        assert!(config.join("auth.json").exists(), "umask {umask}");
        assert!(
            !pending.exists(),
            "umask {umask}: the pending login is gone"
        );
        assert_private_tree(&config, &format!("umask {umask} after login poll"));

        // A switch and a logout rewrite the files: still private.
        let out = ntn_umask(&env, umask, &["login", "--workspace", &acme]);
        assert_eq!(out.code, 0, "umask {umask}: {}", out.stderr);
        assert_private_tree(&config, &format!("umask {umask} after a switch"));

        // The spec cache (public data) is not writable by others.
        let out = ntn_umask(&env, umask, &["api", "ls", "--plain"]);
        assert_eq!(out.code, 0, "umask {umask}: {}", out.stderr);
        assert!(
            cache.is_dir(),
            "umask {umask}: the spec cache was not created"
        );
        for (p, m) in files_under(&cache) {
            assert_eq!(m & 0o022, 0, "umask {umask}: {} is {m:o}", p.display());
        }
        assert_eq!(mode(&cache) & 0o022, 0, "umask {umask}");

        let out = ntn_umask(&env, umask, &["logout"]);
        assert_eq!(out.code, 0, "umask {umask}: {}", out.stderr);
        assert_private_tree(&config, &format!("umask {umask} after logout"));
    }
}

#[test]
fn files_rewritten_in_an_existing_open_directory_become_private() {
    // A directory the user made (0755) is theirs: ntn does not chmod it, but
    // every secret file it writes there is 0600, even replacing a 0666 one.
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let dir = env.notion_home();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let acme = sb.workspace("Acme");
    let globex = sb.workspace("Globex");
    seed_login(&env, "local", &acme, "Acme", Some("ntn_perm_a"), true);
    seed_login(&env, "local", &globex, "Globex", Some("ntn_perm_b"), false);
    for f in ["auth.json", "config.json", "workspaces.json"] {
        std::fs::set_permissions(env.file(f), std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let out = ntn_umask(&env, "000", &["login", "--workspace", &globex]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&env.file("config.json")), 0o600);
    let out = ntn_umask(&env, "000", &["logout", "--workspace", &acme]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for f in ["auth.json", "config.json", "workspaces.json"] {
        assert_eq!(mode(&env.file(f)), 0o600, "{f}");
    }
    let out = ntn_umask(&env, "000", &["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&env.file("pending-login.json")), 0o600);
    for (p, m) in files_under(&dir) {
        assert_eq!(m & 0o077, 0, "{} is {m:o}", p.display());
    }
    assert_eq!(
        mode(&dir),
        0o755,
        "ntn leaves the user's own directory alone"
    );
    // doctor points it out.
    let out = ntn_umask(&env, "000", &["doctor"]);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("chmod 700"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}
