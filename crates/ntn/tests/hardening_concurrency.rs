//! State under concurrency and crashes.
//!
//! * Fifty ntn processes switching workspaces, logging out and (a few) really
//!   logging in, all at once, leave files that parse and agree: the default
//!   points at a cached workspace whose token is stored (or there is none),
//!   every token in auth.json belongs to a cached workspace, and no temp file
//!   is left behind.
//! * A writer killed with SIGKILL at random moments never leaves a partial or
//!   empty state file, and the temp files it may leave are never read as state.
//!
//! Randomness comes from a seeded PRNG (`NTN_HARDENING_SEED` overrides the
//! seed; it is printed so that a failure can be replayed).
#![cfg(unix)]

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{ALICE, Sandbox, TestEnv, run, seed_login};
use serde_json::Value;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    /// The seed: `NTN_HARDENING_SEED`, else `default` (printed for a replay).
    fn seed_from_env(default: u64) -> u64 {
        let seed = std::env::var("NTN_HARDENING_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        eprintln!("seed: {seed} (set NTN_HARDENING_SEED to replay)");
        seed
    }

    /// The generator of lane `lane` (lanes run side by side).
    fn lane(seed: u64, lane: u64) -> Rng {
        Rng(seed.wrapping_add(lane).max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const IDS: [&str; 5] = ["ws-0", "ws-1", "ws-2", "ws-3", "ws-4"];

fn seed_all(env: &TestEnv) {
    for (i, id) in IDS.iter().enumerate() {
        seed_login(
            env,
            "local",
            id,
            &format!("Workspace {i}"),
            Some(&format!("ntn_fake_{i}")),
            i == 0,
        );
    }
}

fn read(env: &TestEnv, name: &str) -> Option<Value> {
    let p = env.file(name);
    if !p.exists() {
        return None;
    }
    let bytes = std::fs::read(&p).unwrap();
    assert!(!bytes.is_empty(), "{name} is empty");
    Some(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{name} does not parse ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    }))
}

/// The files parse and agree with each other. Returns the cached ids of `local`.
fn assert_consistent(env: &TestEnv, when: &str) -> BTreeSet<String> {
    let config = read(env, "config.json");
    let workspaces = read(env, "workspaces.json");
    let auth = read(env, "auth.json").unwrap_or(Value::Object(Default::default()));
    let _pending = read(env, "pending-login.json");
    let cached: BTreeSet<String> = workspaces
        .as_ref()
        .and_then(|w| w["environments"].as_object())
        .map(|envs| {
            envs.values()
                .filter_map(Value::as_object)
                .flat_map(|m| m.keys().cloned())
                .collect()
        })
        .unwrap_or_default();
    let local: BTreeSet<String> = workspaces
        .as_ref()
        .and_then(|w| w["environments"]["local"].as_object())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let auth = auth.as_object().expect("auth.json is an object").clone();
    for (key, token) in &auth {
        assert!(
            token.is_string(),
            "{when}: auth.json entry {key} is {token}"
        );
        // `<env>:<id>` outside production.
        let id = key.split_once(':').map_or(key.as_str(), |(_, id)| id);
        assert!(
            cached.contains(id),
            "{when}: auth.json holds a token for {key}, which is not a cached workspace ({cached:?})"
        );
    }
    if let Some(default) = config
        .as_ref()
        .and_then(|c| c["defaultWorkspaceIds"]["local"].as_str())
    {
        assert!(
            local.contains(default),
            "{when}: the default {default} is not a cached workspace ({local:?})"
        );
        assert!(
            auth.get(&format!("local:{default}"))
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty()),
            "{when}: the default {default} has no token"
        );
    }
    // No temp files left behind by processes that finished normally.
    let litter: Vec<String> = std::fs::read_dir(env.notion_home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(litter.is_empty(), "{when}: temp files left: {litter:?}");
    local
}

fn wait_for_sessions(sb: &Sandbox, n: usize) -> Option<String> {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        let s = sb.sessions();
        if s.len() >= n {
            return s[n - 1]["verification_code"].as_str().map(str::to_string);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn fifty_processes_switching_logging_in_and_out_leave_consistent_files() {
    let seed = Rng::seed_from_env(0x5eed_0001);
    // Three rounds side by side, each with a sandbox and a config directory
    // of its own: the processes of a round mostly wait for each other's
    // locks, so rounds overlap without crowding each other.
    std::thread::scope(|s| {
        for round in 0..3 {
            s.spawn(move || storm(round, Rng::lane(seed, round as u64)));
        }
    });
}

/// One round of fifty processes and three real logins on a fresh directory.
fn storm(round: usize, mut rng: Rng) {
    let sb = Sandbox::start();
    let env = TestEnv::new().with_sandbox(&sb);
    let acme = sb.workspace("Acme");
    let globex = sb.workspace("Globex");
    {
        seed_all(&env);
        assert_consistent(&env, "seeded");
        // Real logins (two-step: start, approve, poll), one after another,
        // while the storm runs. A storm logout may drop the pending login:
        // then that poll fails, which is fine; the files must still agree.
        let logins = std::thread::scope(|s| {
            let env = &env;
            let sb = &sb;
            let (acme, globex) = (&acme, &globex);
            let logins = s.spawn(move || {
                let mut ok = 0;
                for (k, ws) in [acme, globex, acme].into_iter().enumerate() {
                    let out = run(env.ntn().args(["login", "--no-browser"]));
                    assert_eq!(out.code, 0, "{}", out.stderr);
                    let n = k + 1;
                    let code = wait_for_sessions(sb, n).expect("a login session");
                    let (st, _) = sb.approve(&code, ALICE, ws);
                    assert_eq!(st, 200);
                    let out = run(env.ntn().args(["login", "poll", "--timeout", "10"]));
                    assert!(
                        out.code == 0 || out.code == 1 || out.code == 4,
                        "login poll: {}",
                        out.stderr
                    );
                    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
                    ok += usize::from(out.code == 0);
                }
                ok
            });
            let mut children: Vec<(String, Child)> = Vec::new();
            for _ in 0..50 {
                let id = IDS[rng.below(IDS.len() as u64) as usize];
                let args: Vec<&str> = match rng.below(20) {
                    0..=11 => vec!["login", "--workspace", id],
                    12..=17 => vec!["logout", "--workspace", id],
                    18 => vec!["logout"],
                    _ => vec!["auth", "token"],
                };
                let child = env
                    .std_command()
                    .args(&args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                children.push((args.join(" "), child));
            }
            for (what, child) in children {
                let out = child.wait_with_output().unwrap();
                let code = out.status.code().expect("no process may crash");
                let stderr = String::from_utf8_lossy(&out.stderr);
                // Exit 4: switching to a workspace that was just logged out.
                assert!(code == 0 || code == 4, "ntn {what} exited {code}: {stderr}");
                assert!(!stderr.contains("panicked"), "{stderr}");
                assert!(
                    !stderr.contains("is not valid"),
                    "ntn {what} read a partial file: {stderr}"
                );
            }
            logins.join().unwrap()
        });
        let local = assert_consistent(&env, &format!("round {round}"));
        eprintln!("round {round}: {logins} logins stored; cached now {local:?}");
        // What the files say is what ntn uses.
        let out = env.run(&["auth", "token", "--json"]);
        let default = read(&env, "config.json").and_then(|c| {
            c["defaultWorkspaceIds"]["local"]
                .as_str()
                .map(str::to_string)
        });
        match default {
            Some(id) => {
                assert_eq!(out.code, 0, "{}", out.stderr);
                let v: Value = serde_json::from_str(&out.stdout).unwrap();
                assert_eq!(v["workspace_id"], id.as_str());
            }
            None => assert_eq!(out.code, 4, "{}", out.stderr),
        }
    }
}

#[test]
fn a_writer_killed_at_random_moments_never_leaves_a_partial_file() {
    let seed = Rng::seed_from_env(0x5eed_0002);
    let sb = Sandbox::start();
    // 120 kills in three lanes side by side, each on a config directory of
    // its own.
    let (killed, finished) = std::thread::scope(|s| {
        let lanes: Vec<_> = (0..3)
            .map(|lane| {
                let sb = &sb;
                s.spawn(move || killed_writers(sb, Rng::lane(seed, lane), 40))
            })
            .collect();
        lanes
            .into_iter()
            .map(|l| l.join().unwrap())
            .fold((0, 0), |(k, f), (k2, f2)| (k + k2, f + f2))
    });
    eprintln!("{killed} killed, {finished} finished before the kill");
    assert!(
        killed >= 20,
        "too few kills landed ({killed}); the test proves little"
    );
}

/// Spawns `iterations` writers on a fresh directory, killing each at a
/// random moment, and checks the files after each; returns how many were
/// killed and how many had finished.
fn killed_writers(sb: &Sandbox, mut rng: Rng, iterations: usize) -> (usize, usize) {
    let env = TestEnv::new().with_sandbox(sb);
    seed_all(&env);
    let mut killed = 0;
    let mut finished = 0;
    for i in 0..iterations {
        let id = IDS[rng.below(IDS.len() as u64) as usize];
        let args: Vec<&str> = match rng.below(4) {
            0 | 1 => vec!["login", "--workspace", id],
            2 => vec!["logout", "--workspace", id],
            _ => vec!["login", "--no-browser"],
        };
        let mut child = env
            .std_command()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The delay is the point of the test (where the kill lands), not
        // synchronisation.
        std::thread::sleep(Duration::from_micros(rng.below(12_000)));
        match child.try_wait().unwrap() {
            Some(_) => finished += 1,
            None => {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
        }
        child.wait().unwrap();
        // Every state file is whole: it parses, and is never empty.
        for name in [
            "config.json",
            "workspaces.json",
            "auth.json",
            "pending-login.json",
        ] {
            let _ = read(&env, name);
        }
        // Temp files a killed writer left are not state: ntn ignores them.
        let out = env.run(&["debug", "--json"]);
        assert_eq!(out.code, 0, "iteration {i}: {}", out.stderr);
        let v: Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(!v.to_string().contains("corrupt"), "iteration {i}: {v}");
        // Put back what a logout removed, so later kills hit real writes.
        if i % 10 == 9 {
            seed_all(&env);
        }
    }
    // Litter is only ever ntn's own temp names.
    for e in std::fs::read_dir(env.notion_home()).unwrap().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let known = [
            "config.json",
            "workspaces.json",
            "auth.json",
            "pending-login.json",
            ".state.lock",
            ".auth.lock",
        ];
        assert!(
            known.contains(&n.as_str()) || (n.starts_with('.') && n.ends_with(".tmp")),
            "unexpected file {n}"
        );
    }
    // And the state still works.
    seed_all(&env);
    let out = env.run(&["login", "--workspace", "ws-3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&["auth", "token"]);
    assert_eq!(out.stdout.trim(), "ntn_fake_3");
    // The next write of each file removes what killed writers left (temp
    // files may hold tokens): a logout rewrites the three files, a new
    // two-step login the pending one.
    let out = env.run(&["logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = env.run(&["login", "--no-browser"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let litter: Vec<String> = std::fs::read_dir(env.notion_home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(litter.is_empty(), "temp files left: {litter:?}");
    (killed, finished)
}

#[test]
fn switching_to_a_workspace_while_it_is_logged_out_never_leaves_a_dangling_default() {
    // The narrowest race: `login --workspace B` checks that B is cached and
    // has a token, then sets the default; `logout --workspace B` deletes the
    // token, forgets B and clears a default that points at it.
    // 25 rounds in five lanes side by side, each lane with a config
    // directory of its own (a round mostly waits on locks, not the CPU).
    std::thread::scope(|s| {
        for lane in 0..5 {
            s.spawn(move || switch_and_logout_rounds(lane, 5));
        }
    });
}

fn switch_and_logout_rounds(lane: usize, rounds: usize) {
    let mut env = TestEnv::new();
    env.set("NOTION_ENV", "local");
    for round in 0..rounds {
        let round = format!("lane {lane}, round {round}");
        seed_all(&env);
        let mut children: Vec<(String, Child)> = Vec::new();
        for k in 0..12 {
            let args: Vec<&str> = if k % 2 == 0 {
                vec!["login", "--workspace", "ws-1"]
            } else {
                vec!["logout", "--workspace", "ws-1"]
            };
            let child = env
                .std_command()
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            children.push((args.join(" "), child));
        }
        for (what, child) in children {
            let out = child.wait_with_output().unwrap();
            let code = out.status.code().expect("no process may crash");
            assert!(
                code == 0 || code == 4,
                "ntn {what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_consistent(&env, &round);
    }
}
