//! A locked keychain. The test runs its own D-Bus session and
//! gnome-keyring-daemon (locking the shared one would disturb the other
//! keychain tests), locks the login collection through the Secret Service
//! API, and runs the real `ntn` there: a clear error with the
//! `NOTION_KEYRING=0` hint, exit 1, no token printed, and no silent fallback to
//! a plaintext `auth.json`.

mod common;

use std::process::Command;

use common::{TestEnv, keychain_available, seed_login};

const SCRIPT: &str = r#"
printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf 'tok-locked-canary' | secret-tool store --label=test service notion-cli username ws-locked
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
exec "$NTN" auth token
"#;

#[test]
fn a_locked_keychain_is_an_error_with_the_file_store_hint() {
    if !keychain_available("a_locked_keychain_is_an_error_with_the_file_store_hint") {
        return;
    }
    let env = TestEnv::new();
    seed_login(&env, "prod", "ws-locked", "Acme", None, true);
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.home())
        .env("NOTION_HOME", env.notion_home())
        .env("NTN", env!("CARGO_BIN_EXE_ntn"))
        // Should a prompt ever hang instead of failing, the bound still holds.
        .env("NTN_KEYCHAIN_TIMEOUT_MS", "5000")
        .output()
        .expect("run dbus-run-session");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "no token on stdout: {stdout}");
    assert!(!stderr.contains("tok-locked-canary"), "{stderr}");
    assert!(stderr.contains("error: the OS keychain"), "{stderr}");
    assert!(stderr.contains("locked"), "{stderr}");
    assert!(
        stderr.contains("hint: set NOTION_KEYRING=0 to keep tokens in auth.json"),
        "{stderr}"
    );
    assert!(
        !env.file("auth.json").exists(),
        "no silent fallback to plaintext"
    );
}
