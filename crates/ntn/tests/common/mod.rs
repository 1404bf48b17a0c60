//! Shared helpers for ntn's integration tests: a real sandbox server on
//! loopback (served in-process from its library router, on a thread of its
//! own; or the `ntn-sandbox` binary when a test needs a process), and an
//! isolated environment to run `ntn` in: in-process through
//! `ntn::cli::main_entry` with its own variables, a capturing `Ui` and a
//! manual clock ([`TestEnv::run`]), or as the real binary ([`TestEnv::ntn`])
//! where the process matters (terminals, signals, umask, the keychain): only
//! in the tests listed in `tests/binary-level.txt`.
//!
//! Every test gets its own temporary HOME and NOTION_HOME, a clean
//! environment (no variables leak in from the developer's shell), and its own
//! sandbox on a free port.

#![allow(dead_code)]

pub mod pages;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::Arc;

use serde_json::{Value, json};

/// Path of the `ntn-sandbox` binary: `NTN_SANDBOX_BIN`, else next to `ntn`.
pub fn sandbox_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("NTN_SANDBOX_BIN") {
        return PathBuf::from(p);
    }
    let ntn = PathBuf::from(env!("CARGO_BIN_EXE_ntn"));
    let p = ntn.with_file_name(format!("ntn-sandbox{}", std::env::consts::EXE_SUFFIX));
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p ntn-sandbox` (scripts/test and `cargo test --workspace` build it)",
        p.display()
    );
    p
}

/// How a sandbox runs.
enum Server {
    /// In this process, on a thread of its own; stopped on drop.
    InProcess(ntn_sandbox::RunningSandbox),
    /// The `ntn-sandbox` binary; killed on drop.
    Process(Child),
}

/// A running sandbox.
pub struct Sandbox {
    server: Server,
    pub url: String,
    agent: ureq::Agent,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

impl Sandbox {
    /// A sandbox served in-process (poll interval 50 ms).
    pub fn start() -> Sandbox {
        Sandbox::start_with(&[])
    }

    /// An in-process sandbox with extra flags (`--login-ttl 1`,
    /// `--rate-limit 5`, ...), parsed as the binary parses them.
    pub fn start_with(args: &[&str]) -> Sandbox {
        use clap::Parser;
        let cli = ntn_sandbox::Cli::try_parse_from(
            ["ntn-sandbox", "--poll-interval-ms", "50"]
                .iter()
                .chain(args.iter()),
        )
        .unwrap_or_else(|e| panic!("sandbox flags {args:?}: {e}"));
        let running = ntn_sandbox::spawn(&cli.options).expect("start the in-process sandbox");
        Sandbox {
            url: running.base_url().to_string(),
            server: Server::InProcess(running),
            agent: agent(),
        }
    }

    /// An in-process sandbox whose built-in fixture has its workspaces
    /// renamed (`(old name, new name)`): names a hostile server could send.
    /// The fixture file is written into `dir`.
    pub fn start_renamed(dir: &Path, renames: &[(&str, &str)]) -> Sandbox {
        let mut fx: Value = serde_json::from_str(ntn_sandbox::fixture::DEFAULT_FIXTURE).unwrap();
        for w in fx["workspaces"].as_array_mut().unwrap() {
            if let Some((_, new)) = renames.iter().find(|(old, _)| w["name"] == *old) {
                w["name"] = json!(new);
            }
        }
        let path = dir.join("fixture.json");
        std::fs::write(&path, serde_json::to_vec(&fx).unwrap()).unwrap();
        Sandbox::start_with(&["--fixture", path.to_str().unwrap()])
    }

    /// An in-process sandbox whose rate limit (and relative date filters)
    /// read the time from `clock`: run ntn on the same clock
    /// ([`TestEnv::run_full`]) and pacing is tested without real waits.
    pub fn start_on_clock(args: &[&str], clock: Arc<ntn::support::ManualClock>) -> Sandbox {
        use clap::Parser;
        use ntn::support::Clock;
        let cli = ntn_sandbox::Cli::try_parse_from(
            ["ntn-sandbox", "--poll-interval-ms", "50"]
                .iter()
                .chain(args.iter()),
        )
        .unwrap_or_else(|e| panic!("sandbox flags {args:?}: {e}"));
        let now = Arc::new(move || clock.unix_ms() as i64);
        let running =
            ntn_sandbox::spawn_with_clock(&cli.options, now).expect("start the in-process sandbox");
        Sandbox {
            url: running.base_url().to_string(),
            server: Server::InProcess(running),
            agent: agent(),
        }
    }

    /// The sandbox as its own process (for tests of the binary itself).
    pub fn start_process(args: &[&str]) -> Sandbox {
        let mut child = StdCommand::new(sandbox_bin())
            .args(["--addr", "127.0.0.1:0", "--poll-interval-ms", "50"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ntn-sandbox");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the sandbox's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected sandbox output: {line:?}"))
            .to_string();
        Sandbox {
            server: Server::Process(child),
            url,
            agent: agent(),
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut r = self
            .agent
            .get(format!("{}{path}", self.url))
            .call()
            .unwrap();
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.url))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    pub fn delete(&self, path: &str) -> u16 {
        self.agent
            .delete(format!("{}{path}", self.url))
            .call()
            .unwrap()
            .status()
            .as_u16()
    }

    /// What a person does in the browser: approve the session with this code.
    pub fn approve(&self, code: &str, email: &str, workspace_id: &str) -> (u16, Value) {
        self.post(
            "/__sandbox/login/approve",
            &json!({"verification_code": code, "email": email, "workspace_id": workspace_id}),
        )
    }

    pub fn deny(&self, code: &str) -> (u16, Value) {
        self.post(
            "/__sandbox/login/deny",
            &json!({ "verification_code": code }),
        )
    }

    /// The login sessions the sandbox knows.
    pub fn sessions(&self) -> Vec<Value> {
        self.get("/__sandbox/login/sessions")
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Mints a personal access token.
    pub fn mint_token(&self, email: &str, workspace_id: &str) -> String {
        let (s, v) = self.post(
            "/__sandbox/tokens",
            &json!({"email": email, "workspace_id": workspace_id}),
        );
        assert_eq!(s, 200, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    pub fn requests(&self) -> Vec<Value> {
        self.get("/__sandbox/requests")
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        self.delete("/__sandbox/requests");
    }

    pub fn fault(&self, rule: Value) {
        let (s, v) = self.post("/__sandbox/faults", &rule);
        assert_eq!(s, 200, "{v}");
    }

    /// Waits until the sandbox holds at least `n` requests in a stall or a
    /// dribble fault (it answers when they are, at most 10 s later).
    pub fn wait_held(&self, n: usize) {
        let (_, v) = self.get(&format!("/__sandbox/held?min={n}"));
        assert_eq!(
            v["reached"], true,
            "the sandbox never held {n} requests: {v}"
        );
    }

    /// What arrived at the sandbox's `/__capture/...` route.
    pub fn captured(&self) -> Vec<Value> {
        self.get("/__sandbox/captured")
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Revokes a token: the API answers 401 to it from now on.
    pub fn revoke(&self, token: &str) {
        let (s, v) = self.post("/__sandbox/tokens/revoke", &json!({ "token": token }));
        assert_eq!(s, 200, "{v}");
    }

    /// The workspaces of the fixture: (id, name).
    pub fn workspace(&self, name: &str) -> String {
        let (_, v) = self.get("/__sandbox/workspaces");
        v.as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("no workspace {name}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Server::Process(child) = &mut self.server {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An isolated place to run `ntn`: temporary HOME and NOTION_HOME, clean env.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl TestEnv {
    /// File store (`NOTION_KEYRING=0`) by default; see [`TestEnv::keychain`].
    pub fn new() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let notion = dir.path().join("notion");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&notion).unwrap();
        // ntn refuses a config directory others may write to; whatever the
        // umask of the test run, this one is private.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&notion, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut env = TestEnv {
            dir,
            vars: Vec::new(),
        };
        env.set("HOME", home.to_str().unwrap());
        env.set("NOTION_HOME", notion.to_str().unwrap());
        env.set("NOTION_KEYRING", "0");
        env.set("PATH", &std::env::var("PATH").unwrap_or_default());
        env
    }

    /// Points `--env local` at a sandbox.
    pub fn with_sandbox(mut self, sb: &Sandbox) -> TestEnv {
        self.set("NOTION_ENV", "local");
        self.set("NOTION_BASE_URL", &sb.url);
        self.set("NOTION_API_BASE_URL", &sb.url);
        self.set("NOTION_API_DOCS_BASE_URL", &sb.url);
        self
    }

    /// Uses the real Secret Service of the test session (scripts/test starts
    /// one); returns false when there is no session bus.
    pub fn keychain(&mut self) -> bool {
        self.unset("NOTION_KEYRING");
        match std::env::var("DBUS_SESSION_BUS_ADDRESS") {
            Ok(addr) => {
                self.set("DBUS_SESSION_BUS_ADDRESS", &addr);
                true
            }
            Err(_) => false,
        }
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut TestEnv {
        self.unset(k);
        self.vars.push((k.to_string(), v.to_string()));
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut TestEnv {
        self.vars.retain(|(n, _)| n != k);
        self
    }

    pub fn var(&self, k: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The config directory (NOTION_HOME).
    pub fn notion_home(&self) -> PathBuf {
        self.dir.path().join("notion")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.notion_home().join(name)
    }

    pub fn read_json(&self, name: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.file(name)).unwrap()).unwrap()
    }

    /// The variables of this environment, as `ntn` receives them.
    pub fn vars(&self) -> ntn::vars::Vars {
        ntn::vars::Vars::from_pairs(self.vars.iter().cloned())
    }

    /// Runs `ntn args...` in-process: this environment's variables, no
    /// terminal, stdin closed, a manual clock (waits take no time).
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, ntn::output::TestUi::new())
    }

    /// Like [`TestEnv::run`], with a `Ui` of the test's choosing (stdin,
    /// terminals, colour, answers to prompts).
    pub fn run_with(&self, args: &[&str], ui: ntn::output::TestUi) -> Out {
        self.run_full(args, ui, Arc::new(ntn::support::ManualClock::new()))
    }

    /// Like [`TestEnv::run_with`], on a given clock (to read what it slept).
    pub fn run_full(
        &self,
        args: &[&str],
        ui: ntn::output::TestUi,
        clock: Arc<ntn::support::ManualClock>,
    ) -> Out {
        self.run_interruptible(args, ui, clock, ntn::support::Interrupt::manual())
    }

    /// Like [`TestEnv::run`], with `vars` set for this run only.
    pub fn run_env(&self, vars: &[(&str, &str)], args: &[&str]) -> Out {
        let mut pairs = self.vars.clone();
        for (k, v) in vars {
            pairs.retain(|(n, _)| n != k);
            pairs.push((k.to_string(), v.to_string()));
        }
        self.run_on(
            ntn::vars::Vars::from_pairs(pairs),
            args,
            ntn::output::TestUi::new(),
            Arc::new(ntn::support::ManualClock::new()),
            ntn::support::Interrupt::manual(),
        )
    }

    /// Like [`TestEnv::run_full`], with a Ctrl-C flag the test raises.
    pub fn run_interruptible(
        &self,
        args: &[&str],
        ui: ntn::output::TestUi,
        clock: Arc<ntn::support::ManualClock>,
        interrupt: ntn::support::Interrupt,
    ) -> Out {
        self.run_on(self.vars(), args, ui, clock, interrupt)
    }

    fn run_on(
        &self,
        vars: ntn::vars::Vars,
        args: &[&str],
        ui: ntn::output::TestUi,
        clock: Arc<ntn::support::ManualClock>,
        interrupt: ntn::support::Interrupt,
    ) -> Out {
        let (ui, captured) = ui.build();
        let host = ntn::context::Host::new(vars, ui, clock, interrupt);
        let argv = std::iter::once("ntn").chain(args.iter().copied());
        let code = ntn::cli::main_entry(argv, host);
        Out {
            code,
            stdout: captured.stdout(),
            stderr: captured.stderr(),
        }
    }

    /// `ntn` with this environment and nothing else (for a test listed in
    /// `tests/binary-level.txt`).
    pub fn ntn(&self) -> assert_cmd::Command {
        assert_binary_level();
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ntn"));
        cmd.env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// `bash -c script` with this environment, where `$NTN` is the ntn binary
    /// (for tests of how ntn behaves in a shell pipeline; listed in
    /// `tests/binary-level.txt`).
    pub fn shell(&self, script: &str) -> StdCommand {
        assert_binary_level();
        let mut cmd = StdCommand::new("bash");
        cmd.env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd.env("NTN", env!("CARGO_BIN_EXE_ntn"));
        cmd.args(["-c", script]);
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// The directory of the ntn binary, for a `PATH` through which a script
    /// runs it (listed in `tests/binary-level.txt`).
    pub fn bin_dir(&self) -> PathBuf {
        assert_binary_level();
        let ntn = Path::new(env!("CARGO_BIN_EXE_ntn"));
        ntn.parent().expect("the binary's directory").to_path_buf()
    }

    /// A plain `std::process::Command` with this environment (for pty tests
    /// and background processes; listed in `tests/binary-level.txt`).
    pub fn std_command(&self) -> StdCommand {
        assert_binary_level();
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_ntn"));
        cmd.env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd.current_dir(self.dir.path());
        cmd
    }
}

/// The tests that may run the real binary, with the reason for each.
const BINARY_LEVEL: &str = include_str!("../binary-level.txt");

/// Panics unless the running test is listed in `tests/binary-level.txt`
/// (as `<test binary>::<test name>`): a test runs ntn in-process unless the
/// process matters. The test is known by its thread's name (libtest names
/// each test's thread after it); a thread the test spawned has no name and
/// is not checked.
fn assert_binary_level() {
    let thread = std::thread::current();
    let Some(test) = thread.name().filter(|n| *n != "main") else {
        return;
    };
    let key = format!("{}::{test}", env!("CARGO_CRATE_NAME"));
    let listed = BINARY_LEVEL
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .any(|k| k == key);
    assert!(
        listed,
        "{key} runs the ntn binary. Run it in-process instead (TestEnv::run, \
         run_with, run_full: variables, a Ui and a clock of the test's own); if the \
         process itself matters (a terminal, a signal, its exit status, the session \
         bus, umask, memory, a shell, racing processes), add `{key}  <why>` to \
         crates/ntn/tests/binary-level.txt"
    );
}

impl Default for TestEnv {
    fn default() -> Self {
        TestEnv::new()
    }
}

/// Output of a finished command as text.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// An environment with alice's token for Acme in `sb`, and `TZ=UTC` (so that `today`
/// in `--where` and `--set` is the test's).
pub fn acme_env(sb: &Sandbox) -> TestEnv {
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let mut env = TestEnv::new().with_sandbox(sb);
    env.set("NOTION_API_TOKEN", &token);
    env.set("TZ", "UTC");
    env
}

/// Runs a command and captures everything.
pub fn run(cmd: &mut assert_cmd::Command) -> Out {
    let o = cmd.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Mode bits of a path (Unix).
#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Ids of the built-in fixture.
pub const ALICE: &str = "alice@acme.test";
pub const GUEST: &str = "guest@acme.test";
pub const RESTRICTED: &str = "restricted@acme.test";

// ---- Account and credential helpers (issue 3) ----

/// Reads a JSON file of the config directory, or `{}` when it is missing.
pub fn read_json_or_empty(env: &TestEnv, name: &str) -> Value {
    match std::fs::read(env.file(name)) {
        Ok(b) => serde_json::from_slice(&b).unwrap(),
        Err(_) => json!({}),
    }
}

/// The key of a token in `auth.json`: the workspace id for production,
/// `<env>:<id>` for the other environments.
pub fn auth_key(environment: &str, id: &str) -> String {
    if environment == "prod" {
        id.to_string()
    } else {
        format!("{environment}:{id}")
    }
}

/// The keychain service of an environment's tokens: `notion-cli` for
/// production, `notion-cli:<env>` for the others.
pub fn keychain_service(environment: &str) -> String {
    if environment == "prod" {
        "notion-cli".to_string()
    } else {
        format!("notion-cli:{environment}")
    }
}

/// Records a stored login by hand, in the official formats: the workspace in
/// `workspaces.json`, the token (if any) in `auth.json` (under the
/// environment's key: see [`auth_key`]), and optionally the default in
/// `config.json`. Merges with what is there.
pub fn seed_login(
    env: &TestEnv,
    environment: &str,
    id: &str,
    name: &str,
    token: Option<&str>,
    make_default: bool,
) {
    let mut ws = read_json_or_empty(env, "workspaces.json");
    ws["version"] = json!("1");
    if !ws["environments"].is_object() {
        ws["environments"] = json!({});
    }
    if !ws["environments"][environment].is_object() {
        ws["environments"][environment] = json!({});
    }
    ws["environments"][environment][id] = json!({"id": id, "name": name});
    write_json_file(env, "workspaces.json", &ws);
    if let Some(t) = token {
        let mut auth = read_json_or_empty(env, "auth.json");
        auth[auth_key(environment, id)] = json!(t);
        write_json_file(env, "auth.json", &auth);
    }
    if make_default {
        let mut c = read_json_or_empty(env, "config.json");
        c["version"] = json!("1");
        if !c["defaultWorkspaceIds"].is_object() {
            c["defaultWorkspaceIds"] = json!({});
        }
        c["defaultWorkspaceIds"][environment] = json!(id);
        write_json_file(env, "config.json", &c);
    }
}

/// Writes a JSON file into the config directory (mode 0600 on Unix).
pub fn write_json_file(env: &TestEnv, name: &str, v: &Value) {
    let p = env.file(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Whether tests must use the real Secret Service: true when a session bus is
/// there; false (with a note) when it is not, unless `NTN_REQUIRE_KEYCHAIN=1`,
/// which turns a missing bus into a failure.
pub fn keychain_available(test: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    if std::env::var("NTN_REQUIRE_KEYCHAIN").as_deref() == Ok("1") {
        panic!("{test}: NTN_REQUIRE_KEYCHAIN=1 but DBUS_SESSION_BUS_ADDRESS is unset");
    }
    eprintln!("note: skipping {test}: no D-Bus session bus (run under scripts/test)");
    false
}

/// `secret-tool lookup service notion-cli username <id>`: the stored
/// production token.
pub fn secret_tool_lookup(id: &str) -> Option<String> {
    secret_tool_lookup_in("prod", id)
}

/// `secret-tool lookup service <service> username <id>`: the token stored for
/// `environment` (see [`keychain_service`]).
pub fn secret_tool_lookup_in(environment: &str, id: &str) -> Option<String> {
    let out = StdCommand::new("secret-tool")
        .args([
            "lookup",
            "service",
            &keychain_service(environment),
            "username",
            id,
        ])
        .output()
        .expect("run secret-tool");
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// `secret-tool store` a production token as another program would.
pub fn secret_tool_store(id: &str, token: &str) {
    secret_tool_store_in("prod", id, token)
}

/// `secret-tool store` a token of `environment` as another program would.
pub fn secret_tool_store_in(environment: &str, id: &str, token: &str) {
    use std::io::Write;
    let mut child = StdCommand::new("secret-tool")
        .args([
            "store",
            "--label",
            "test",
            "service",
            &keychain_service(environment),
            "username",
            id,
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("run secret-tool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// The OS keychain store, as ntn opens it (quiet, default timeout).
pub fn keychain_store() -> Box<dyn ntn::secrets::SecretStore> {
    ntn::secrets::open_keychain(&ntn::secrets::Settings::new(&ntn::output::Ui::test().0))
}

/// The key of a production token.
pub fn prod_key(id: &str) -> ntn::secrets::TokenKey {
    ntn::secrets::TokenKey::prod(id)
}

/// A workspace id nobody else uses (tests share one keyring).
pub fn unique_id(tag: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test-{tag}-{}-{n}", std::process::id())
}

/// A bare HTTP/1.1 server on loopback for answers the sandbox would never give (hostile
/// ones): it serves `n` requests on a thread, one connection each, reads the request
/// line, headers and body, and answers 200 with the JSON `reply` makes from the request
/// line and the server's base URL. Returns the base URL.
pub fn raw_json_server(n: usize, reply: impl Fn(&str, &str) -> Vec<u8> + Send + 'static) -> String {
    use std::io::{BufRead, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let base = url.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let answer = reply(&first, &base);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(&answer);
        }
    });
    url
}
