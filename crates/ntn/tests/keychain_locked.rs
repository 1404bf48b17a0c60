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
set -e
printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
# The daemon claims its bus name after it returns: wait for it (bounded), so
# that D-Bus does not start a second, locked daemon on the first call.
i=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
  i=$((i + 1)); [ "$i" -lt 500 ] || { echo "no Secret Service" >&2; exit 90; }
  sleep 0.01
done
printf 'tok-locked-canary' | secret-tool store --label=test service notion-cli username ws-locked
[ "$(secret-tool lookup service notion-cli username ws-locked)" = tok-locked-canary ] || exit 91
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
set +e
"$NTN" auth token >"$OUT" 2>"$ERR"
echo $? >"$CODE"
"#;

#[test]
fn a_locked_keychain_is_an_error_with_the_file_store_hint() {
    if !keychain_available("a_locked_keychain_is_an_error_with_the_file_store_hint") {
        return;
    }
    let env = TestEnv::new();
    seed_login(&env, "prod", "ws-locked", "Acme", None, true);
    let dir = env.dir.path();
    let (out_file, err_file, code_file) = (dir.join("out"), dir.join("err"), dir.join("code"));
    let session = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.home())
        .env("NOTION_HOME", env.notion_home())
        .env("NTN", env!("CARGO_BIN_EXE_ntn"))
        .env("OUT", &out_file)
        .env("ERR", &err_file)
        .env("CODE", &code_file)
        // Should a prompt ever hang instead of failing, the bound still holds.
        .env("NTN_KEYCHAIN_TIMEOUT_MS", "5000")
        .output()
        .expect("run dbus-run-session");
    // The session's own output (daemons, D-Bus) is only for diagnosis.
    let diag = format!(
        "{}{}",
        String::from_utf8_lossy(&session.stdout),
        String::from_utf8_lossy(&session.stderr)
    );
    assert!(
        session.status.success(),
        "the locked keyring was not set up: {diag}"
    );
    let stdout = std::fs::read_to_string(&out_file).unwrap();
    let stderr = std::fs::read_to_string(&err_file).unwrap();
    let code = std::fs::read_to_string(&code_file).unwrap();
    assert_eq!(code.trim(), "1", "{stdout}{stderr}\n{diag}");
    assert!(stdout.is_empty(), "no token on stdout: {stdout}");
    assert!(!stderr.contains("tok-locked-canary"), "{stderr}");
    assert!(stderr.starts_with("error: the OS keychain"), "{stderr}");
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
