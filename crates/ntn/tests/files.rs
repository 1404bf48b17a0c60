//! `ntn files create`: single and multi-part uploads from paths, pipes and
//! redirected stdin, checked byte for byte (SHA-256) against what the real
//! sandbox received; retries, failures, deadlines, Ctrl-C, the workspace size
//! limit and external URLs. In-process (a capturing `Ui`, a manual clock)
//! except where the process matters (redirected stdin, memory).

mod common;

#[cfg(target_os = "linux")]
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ALICE, Out, Sandbox, TestEnv};
use ntn::output::TestUi;
use ntn::support::{Interrupt, ManualClock};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------
// helpers

/// A sandbox and an environment whose NOTION_API_TOKEN belongs to alice in `ws`.
fn setup_in(ws: &str) -> (Sandbox, TestEnv) {
    let sb = Sandbox::start();
    let mut env = TestEnv::new().with_sandbox(&sb);
    let token = sb.mint_token(ALICE, &sb.workspace(ws));
    env.set("NOTION_API_TOKEN", &token);
    (sb, env)
}

fn setup() -> (Sandbox, TestEnv) {
    setup_in("Acme")
}

/// Deterministic pseudo-random bytes (xorshift), different per seed.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn write_file(env: &TestEnv, name: &str, bytes: &[u8]) -> PathBuf {
    let p = env.dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// What the sandbox received for an upload.
fn inspect(sb: &Sandbox, id: &str) -> Value {
    let (status, v) = sb.get(&format!("/__sandbox/uploads/{id}"));
    assert_eq!(status, 200, "{v}");
    v
}

/// Asserts that upload `id` holds exactly `bytes`, in `parts` parts.
fn assert_received(
    sb: &Sandbox,
    id: &str,
    bytes: &[u8],
    mode: &str,
    part_sizes: &[usize],
) -> Value {
    let u = inspect(sb, id);
    assert_eq!(u["status"], "uploaded", "{u}");
    assert_eq!(u["mode"], mode, "{u}");
    assert_eq!(u["size"], bytes.len() as u64, "{u}");
    assert_eq!(u["sha256"], sha256(bytes), "content differs: {u}");
    let sizes: Vec<u64> = u["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["size"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = part_sizes.iter().map(|&s| s as u64).collect();
    assert_eq!(sizes, want, "{u}");
    u
}

/// The requests the sandbox saw under /v1/file_uploads, as "METHOD path".
fn upload_requests(sb: &Sandbox) -> Vec<(String, String, u64)> {
    sb.requests()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().starts_with("/v1/file_uploads"))
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn sends(sb: &Sandbox) -> Vec<u64> {
    upload_requests(sb)
        .into_iter()
        .filter(|(m, p, _)| m == "POST" && p.ends_with("/send"))
        .map(|(_, _, s)| s)
        .collect()
}

/// Runs ntn in-process with `bytes` on stdin as a pipe.
fn piped(env: &TestEnv, args: &[&str], bytes: Vec<u8>) -> Out {
    env.run_with(args, TestUi::new().stdin(bytes))
}

/// `ntn <args> <path>` in-process.
fn create(env: &TestEnv, args: &[&str], path: impl AsRef<Path>) -> Out {
    let path = path.as_ref().to_str().unwrap().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&path);
    env.run(&all)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn id_of(stdout: &str) -> String {
    let id = stdout.trim().to_string();
    assert!(!id.is_empty() && !id.contains('\n'), "{stdout:?}");
    id
}

fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend(data(len - 8, 7));
    b
}

// ---------------------------------------------------------------------------
// single part

#[test]
fn a_small_file_is_one_single_part_upload_with_name_and_type_from_the_path() {
    let (sb, env) = setup();
    let bytes = data(MIB + 123, 1);
    let path = write_file(&env, "report.pdf", &bytes);
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // No progress, no chatter when stderr is not a terminal.
    assert_eq!(out.stderr, "");
    let id = id_of(&out.stdout);
    let u = assert_received(&sb, &id, &bytes, "single_part", &[bytes.len()]);
    assert_eq!(u["filename"], "report.pdf");
    assert_eq!(u["content_type"], "application/pdf");
    assert_eq!(
        upload_requests(&sb)
            .iter()
            .map(|(m, p, _)| format!("{m} {}", p.replace(&id, "ID")))
            .collect::<Vec<_>>(),
        ["POST /v1/file_uploads", "POST /v1/file_uploads/ID/send"]
    );
}

#[test]
fn exactly_20_mib_is_still_single_part() {
    let (sb, env) = setup();
    let bytes = data(20 * MIB, 2);
    let path = write_file(&env, "twenty.bin", &bytes);
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[20 * MIB]);
}

#[test]
fn name_and_type_can_be_overridden_and_json_prints_the_upload_object() {
    let (sb, env) = setup();
    let bytes = b"a,b\n1,2\n".to_vec();
    let path = write_file(&env, "data.txt", &bytes);
    let out = create(
        &env,
        &[
            "files",
            "create",
            "--filename",
            "numbers.csv",
            "--content-type",
            "text/csv",
            "--json",
        ],
        &path,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["object"], "file_upload");
    assert_eq!(v["status"], "uploaded");
    assert_eq!(v["filename"], "numbers.csv");
    assert_eq!(v["content_length"], bytes.len() as u64);
    let u = assert_received(&sb, v["id"].as_str().unwrap(), &bytes, "single_part", &[8]);
    assert_eq!(u["content_type"], "text/csv");
}

// ---------------------------------------------------------------------------
// multi part

#[test]
fn one_byte_over_20_mib_is_three_parts_10_10_and_1() {
    let (sb, env) = setup();
    let bytes = data(20 * MIB + 1, 3);
    let path = write_file(&env, "big.bin", &bytes);
    let out = create(&env, &["files", "create", "--json"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["status"], "uploaded", "{v}");
    let u = assert_received(
        &sb,
        v["id"].as_str().unwrap(),
        &bytes,
        "multi_part",
        &[10 * MIB, 10 * MIB, 1],
    );
    assert_eq!(u["number_of_parts"], 3);
    assert_eq!(u["content_type"], "application/octet-stream");
    // create, 3 sends, complete; nothing else.
    let reqs = upload_requests(&sb);
    assert_eq!(reqs.len(), 5, "{reqs:?}");
    assert!(reqs[4].1.ends_with("/complete"), "{reqs:?}");
}

#[test]
fn a_multiple_of_10_mib_has_only_full_parts_whatever_the_parallelism() {
    let (sb, env) = setup();
    let bytes = data(30 * MIB, 4);
    let path = write_file(&env, "thirty.bin", &bytes);
    for parallel in ["1", "3"] {
        let out = create(&env, &["files", "create", "--parallel", parallel], &path);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_received(
            &sb,
            &id_of(&out.stdout),
            &bytes,
            "multi_part",
            &[10 * MIB, 10 * MIB, 10 * MIB],
        );
    }
}

// ---------------------------------------------------------------------------
// stdin: pipes and redirected files

#[test]
fn a_small_pipe_is_sniffed_and_named() {
    let (sb, env) = setup();
    let bytes = png(3 * MIB);
    let out = piped(&env, &["files", "create"], bytes.clone());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let u = assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[3 * MIB]);
    assert_eq!(u["filename"], "upload.png");
    assert_eq!(u["content_type"], "image/png");
}

#[test]
fn dash_reads_stdin_and_json_text_is_recognised() {
    let (sb, env) = setup();
    let bytes = br#"{"hello": ["world"]}"#.to_vec();
    let out = piped(&env, &["files", "create", "-"], bytes.clone());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let u = assert_received(
        &sb,
        &id_of(&out.stdout),
        &bytes,
        "single_part",
        &[bytes.len()],
    );
    assert_eq!(u["filename"], "upload.json");
    assert_eq!(u["content_type"], "application/json");
}

#[test]
fn a_pipe_over_20_mib_without_size_is_spooled_and_sent_in_parallel_parts() {
    let (sb, env) = setup();
    let bytes = data(21 * MIB + 3, 5);
    let out = piped(
        &env,
        &["files", "create", "--filename", "big.bin"],
        bytes.clone(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("note: stdin is larger than 20 MiB")
            && out.stderr.contains("temporary file"),
        "{}",
        out.stderr
    );
    assert_received(
        &sb,
        &id_of(&out.stdout),
        &bytes,
        "multi_part",
        &[10 * MIB, 10 * MIB, MIB + 3],
    );
}

#[test]
fn a_large_pipe_with_its_size_is_sent_in_parts() {
    let (sb, env) = setup();
    let len = 25 * MIB + 5;
    let bytes = data(len, 6);
    let size = len.to_string();
    let out = piped(
        &env,
        &["files", "create", "--size", &size, "--filename", "dump.tar"],
        bytes.clone(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let u = assert_received(
        &sb,
        &id_of(&out.stdout),
        &bytes,
        "multi_part",
        &[10 * MIB, 10 * MIB, 5 * MIB + 5],
    );
    assert_eq!(u["filename"], "dump.tar");
    assert_eq!(u["content_type"], "application/x-tar");
}

#[test]
fn a_pipe_shorter_or_longer_than_its_size_is_an_error() {
    let (sb, env) = setup();
    // Shorter, multi-part: the upload is left incomplete and said so.
    let size = (25 * MIB).to_string();
    let out = piped(
        &env,
        &["files", "create", "--size", &size],
        data(22 * MIB, 8),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = out.stderr.clone();
    assert!(
        err.contains(&format!("stdin ended after {} bytes", 22 * MIB)),
        "{err}"
    );
    assert!(err.contains("not completed"), "{err}");
    assert!(
        !upload_requests(&sb)
            .iter()
            .any(|(_, p, _)| p.ends_with("/complete"))
    );
    // Longer, single-part: refused before anything is created.
    sb.clear_requests();
    let out = piped(
        &env,
        &["files", "create", "--size", "10"],
        b"0123456789AB".to_vec(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("stdin has more than the 10 bytes"),
        "{}",
        out.stderr
    );
    assert!(upload_requests(&sb).is_empty());
}

#[test]
fn stdin_redirected_from_a_file_is_read_by_offset_without_size() {
    let (sb, env) = setup();
    let bytes = data(21 * MIB, 9);
    let path = write_file(&env, "in.bin", &bytes);
    let out = env
        .std_command()
        .args(["files", "create"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let u = assert_received(
        &sb,
        &id_of(&text(&out.stdout)),
        &bytes,
        "multi_part",
        &[10 * MIB, 10 * MIB, MIB],
    );
    assert_eq!(u["filename"], "upload.bin");
}

#[test]
fn size_that_disagrees_with_a_file_is_a_usage_error() {
    let (sb, env) = setup();
    let path = write_file(&env, "a.txt", b"hello");
    let out = create(&env, &["files", "create", "--size", "6"], &path);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--size 6"), "{}", out.stderr);
    assert!(upload_requests(&sb).is_empty());
}

// ---------------------------------------------------------------------------
// failures

#[test]
fn a_part_failing_once_is_sent_again() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "status": 500, "count": 1}),
    );
    let bytes = data(20 * MIB + 7, 10);
    let path = write_file(&env, "retry.bin", &bytes);
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning:") && out.stderr.contains("retrying"),
        "{}",
        out.stderr
    );
    assert_received(
        &sb,
        &id_of(&out.stdout),
        &bytes,
        "multi_part",
        &[10 * MIB, 10 * MIB, 7],
    );
    let mut s = sends(&sb);
    s.sort();
    assert_eq!(s, [200, 200, 200, 500]);
}

#[test]
fn a_throttled_single_part_honours_retry_after() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "status": 429,
                    "retry_after": 9, "count": 1}),
    );
    let bytes = data(MIB, 11);
    let path = write_file(&env, "t.bin", &bytes);
    let clock = Arc::new(ManualClock::new());
    let real = Instant::now();
    let args = ["files", "create", path.to_str().unwrap()];
    let out = env.run_full(&args, TestUi::new(), clock.clone());
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Waited on the clock (9 s in 50 ms steps), not in real time.
    assert_eq!(clock.slept(), Duration::from_secs(9));
    assert!(real.elapsed() < Duration::from_secs(5));
    assert!(out.stderr.contains("retrying in 9s"), "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[MIB]);
    assert_eq!(sends(&sb), [429, 200]);
}

#[test]
fn a_part_failing_for_good_exits_5_naming_the_part_and_the_reason() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "status": 500, "count": 1000}),
    );
    let bytes = data(20 * MIB + 1, 12);
    let path = write_file(&env, "doomed.bin", &bytes);
    let out = create(&env, &["files", "create", "--parallel", "1"], &path);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("part 1 of 3 after 3 attempts"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(500 internal_server_error)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    // Three attempts at part 1, nothing more, never completed.
    assert_eq!(sends(&sb), [500, 500, 500]);
    assert!(
        !upload_requests(&sb)
            .iter()
            .any(|(_, p, _)| p.ends_with("/complete"))
    );
}

#[test]
fn a_rejected_part_is_not_retried() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "status": 400, "count": 1}),
    );
    let path = write_file(&env, "x.txt", b"hello");
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("sending x.txt"), "{}", out.stderr);
    assert!(!out.stderr.contains("attempts"), "{}", out.stderr);
    assert_eq!(sends(&sb), [400]);
}

#[test]
fn a_cut_connection_is_retried() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "cut": true, "count": 1}),
    );
    let bytes = data(2 * MIB, 13);
    let path = write_file(&env, "cut.bin", &bytes);
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[2 * MIB]);
}

// ---------------------------------------------------------------------------
// limits, sources, external URLs

#[test]
fn a_file_over_the_workspace_limit_is_refused_before_any_upload() {
    let (sb, env) = setup_in("Globex");
    let path = write_file(&env, "six.bin", &data(6 * MIB, 14));
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("upload limit"), "{}", out.stderr);
    assert!(out.stderr.contains("5.0 MiB"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert!(
        upload_requests(&sb).is_empty(),
        "{:?}",
        upload_requests(&sb)
    );
    // Within the limit it goes through.
    let small = data(4 * MIB, 15);
    let path = write_file(&env, "four.bin", &small);
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &small, "single_part", &[4 * MIB]);
}

#[test]
fn local_problems_exit_1_and_name_the_path() {
    let (sb, env) = setup();
    let out = env.run(&["files", "create", "/nonexistent/file.bin"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("/nonexistent/file.bin"),
        "{}",
        out.stderr
    );
    let out = create(&env, &["files", "create"], env.dir.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("is a directory"), "{}", out.stderr);
    assert!(sb.requests().is_empty());
}

#[test]
fn external_urls_create_an_import_and_need_https() {
    let (sb, env) = setup();
    let out = env.run(&[
        "files",
        "create",
        "--external-url",
        "https://example.com/img/logo.png?v=2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = id_of(&out.stdout);
    let u = inspect(&sb, &id);
    assert_eq!(u["mode"], "external_url");
    assert_eq!(u["filename"], "logo.png");
    assert_eq!(u["content_type"], "image/png");
    assert!(sends(&sb).is_empty());

    let out = env.run(&[
        "files",
        "create",
        "--external-url",
        "http://example.com/a.png",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("https"), "{}", out.stderr);

    let out = env.run(&[
        "files",
        "create",
        "--external-url",
        "https://x.test/a",
        "a.png",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn a_bad_token_exits_4() {
    let (sb, mut env) = setup();
    env.set("NOTION_API_TOKEN", "ntn_not_a_real_token");
    let path = write_file(&env, "a.txt", b"hello");
    let out = create(&env, &["files", "create"], &path);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(!out.stderr.contains("ntn_not_a_real_token"));
    assert!(sends(&sb).is_empty());
}

#[test]
fn a_failed_complete_is_retried() {
    let (sb, env) = setup();
    // The three sends pass (the first rule), the complete fails once.
    sb.fault(json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "count": 3}));
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "status": 500, "count": 1}),
    );
    let bytes = data(20 * MIB + 3, 16);
    let path = write_file(&env, "c.bin", &bytes);
    let out = create(&env, &["files", "create", "--parallel", "1"], &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("completing upload"), "{}", out.stderr);
    let id = id_of(&out.stdout);
    assert_received(&sb, &id, &bytes, "multi_part", &[10 * MIB, 10 * MIB, 3]);
    let completes: Vec<u64> = upload_requests(&sb)
        .into_iter()
        .filter(|(_, p, _)| p.ends_with("/complete"))
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(completes, [500, 200]);
}

// ---------------------------------------------------------------------------
// sources that are not plain files

#[test]
fn a_file_that_reports_size_0_is_read_to_its_end() {
    let (sb, env) = setup();
    let out = env.run(&["files", "create", "/proc/self/status", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let u = inspect(&sb, v["id"].as_str().unwrap());
    assert_eq!(u["filename"], "status");
    assert!(u["size"].as_u64().unwrap() > 100, "{u}");
}

// /dev/zero and /dev/null: Unix only.
#[cfg(unix)]
#[test]
fn messages_about_a_device_name_it_and_nothing_is_created_first() {
    let (sb, env) = setup();
    let out = env.run(&["files", "create", "/dev/zero", "--size", "10"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("/dev/zero has more than the 10 bytes --size says"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("stdin"), "{}", out.stderr);
    assert!(
        upload_requests(&sb).is_empty(),
        "{:?}",
        upload_requests(&sb)
    );
    // A multi-part size: the first part is checked before the upload exists.
    let out = env.run(&["files", "create", "/dev/null", "--size", "30000000"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("/dev/null ended after 0 bytes"),
        "{}",
        out.stderr
    );
    assert!(
        upload_requests(&sb).is_empty(),
        "{:?}",
        upload_requests(&sb)
    );
}

// ---------------------------------------------------------------------------
// deadlines and Ctrl-C

#[test]
fn a_stalled_part_is_given_up_and_sent_again() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "stall": true, "count": 1}),
    );
    let bytes = data(2 * MIB, 17);
    let path = write_file(&env, "s.bin", &bytes);
    let clock = Arc::new(ManualClock::new());
    let args = ["files", "create", path.to_str().unwrap()];
    let out = std::thread::scope(|s| {
        let c = clock.clone();
        let ntn = s.spawn(|| env.run_full(&args, TestUi::new(), c));
        sb.wait_held(1);
        clock.advance(Duration::from_secs(31));
        ntn.join().unwrap()
    });
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("stalled"), "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[2 * MIB]);
}

#[test]
fn the_timeout_bounds_an_upload() {
    let (sb, env) = setup();
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "stall": true, "count": 5}),
    );
    let path = write_file(&env, "d.bin", &data(MIB, 18));
    let clock = Arc::new(ManualClock::new());
    let args = ["files", "create", "--timeout", "20", path.to_str().unwrap()];
    let out = std::thread::scope(|s| {
        let c = clock.clone();
        let ntn = s.spawn(|| env.run_full(&args, TestUi::new(), c));
        sb.wait_held(1);
        clock.advance(Duration::from_secs(21));
        ntn.join().unwrap()
    });
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(out.stderr.contains("was not completed"), "{}", out.stderr);
}

#[test]
fn ctrl_c_stops_the_upload_and_says_what_was_sent() {
    let (sb, env) = setup();
    // Every send is held: the workers are stuck in the middle of their parts.
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "stall": true, "count": 10}),
    );
    let path = write_file(&env, "i.bin", &data(25 * MIB, 19));
    let interrupt = Interrupt::manual();
    let args = ["files", "create", "--parallel", "2", path.to_str().unwrap()];
    let real = Instant::now();
    let out = std::thread::scope(|s| {
        let i = interrupt.clone();
        let ntn = s
            .spawn(|| env.run_interruptible(&args, TestUi::new(), Arc::new(ManualClock::new()), i));
        sb.wait_held(2);
        interrupt.raise();
        ntn.join().unwrap()
    });
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(
        out.stderr.contains("interrupted: upload")
            && out.stderr.contains("was not completed (0 of 3 parts sent)"),
        "{}",
        out.stderr
    );
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "{:?}",
        real.elapsed()
    );
    assert!(
        !upload_requests(&sb)
            .iter()
            .any(|(_, p, _)| p.ends_with("/complete"))
    );
}

/// 200 MiB through a pipe without --size: spooled, sent in parallel parts,
/// intact, in flat memory (the real binary: its peak RSS is the measure).
// The peak RSS from /proc: Linux only.
#[cfg(target_os = "linux")]
#[test]
fn a_200_mib_pipe_arrives_intact_in_flat_memory() {
    let (sb, env) = setup();
    let len = 200 * MIB;
    let mut child = env
        .std_command()
        .args(["files", "create", "--filename", "big.bin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    // The bytes are generated as they are written and hashed on the way.
    let writer = std::thread::spawn(move || {
        let mut h = Sha256::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut buf = vec![0u8; MIB];
        for _ in 0..len / MIB {
            for chunk in buf.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            h.update(&buf);
            stdin.write_all(&buf).unwrap();
        }
        h.finalize()
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    });
    let mut peak_kb = 0u64;
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            peak_kb = peak_kb.max(kb);
        }
        assert!(
            Instant::now() < deadline,
            "the upload did not finish in time"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let sha = writer.join().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{err}");
    assert!(err.contains("temporary file"), "{err}");
    let u = inspect(&sb, &id_of(&out));
    assert_eq!(u["status"], "uploaded", "{u}");
    assert_eq!(u["size"], len as u64);
    assert_eq!(u["sha256"], sha, "content differs");
    assert_eq!(u["parts"].as_array().unwrap().len(), 20);
    eprintln!("peak RSS {peak_kb} kB for a {len}-byte pipe");
    assert!(peak_kb > 0, "could not read VmHWM");
    // 20 MiB are read to decide (and then written out); parts are read
    // from the temporary file by offset. Far below the 200 MiB it carries.
    assert!(
        peak_kb < 48 * 1024,
        "peak RSS {peak_kb} kB: memory is not flat"
    );
}

// ---------------------------------------------------------------------------
// list

#[test]
fn list_plain_says_on_stderr_when_more_rows_exist() {
    let (_sb, env) = setup();
    for i in 0..3 {
        let path = write_file(&env, &format!("l{i}.txt"), b"x");
        assert_eq!(create(&env, &["files", "create"], &path).code, 0);
    }
    let out = env.run(&["files", "list", "--plain", "--limit", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(out.stderr.contains("more uploads"), "{}", out.stderr);
    let out = env.run(&["files", "list", "--plain", "--limit", "3"]);
    assert!(!out.stderr.contains("more uploads"), "{}", out.stderr);
    let out = env.run(&["files", "list", "--limit", "0"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("at least 1"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("18446744073709551615"),
        "{}",
        out.stderr
    );
}
