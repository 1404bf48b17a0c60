//! `ntn files create`: single and multi-part uploads from paths, pipes and
//! redirected stdin, checked byte for byte (SHA-256) against what the real
//! sandbox received; retries, failures, the workspace size limit and
//! external URLs.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use common::{ALICE, Sandbox, TestEnv, run};
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

/// Runs ntn with `bytes` written to its stdin through a pipe (from a thread,
/// ignoring a broken pipe when ntn stops reading early).
fn run_piped(env: &TestEnv, args: &[&str], bytes: Vec<u8>) -> Output {
    let mut child = env
        .std_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
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
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
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
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[20 * MIB]);
}

#[test]
fn name_and_type_can_be_overridden_and_json_prints_the_upload_object() {
    let (sb, env) = setup();
    let bytes = b"a,b\n1,2\n".to_vec();
    let path = write_file(&env, "data.txt", &bytes);
    let out = run(env
        .ntn()
        .args([
            "files",
            "create",
            "--filename",
            "numbers.csv",
            "--content-type",
            "text/csv",
            "--json",
        ])
        .arg(&path));
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
    let out = run(env.ntn().args(["files", "create", "--json"]).arg(&path));
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
        let out = run(env
            .ntn()
            .args(["files", "create", "--parallel", parallel])
            .arg(&path));
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
    let out = run_piped(&env, &["files", "create"], bytes.clone());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let u = assert_received(
        &sb,
        &id_of(&text(&out.stdout)),
        &bytes,
        "single_part",
        &[3 * MIB],
    );
    assert_eq!(u["filename"], "upload.png");
    assert_eq!(u["content_type"], "image/png");
}

#[test]
fn dash_reads_stdin_and_json_text_is_recognised() {
    let (sb, env) = setup();
    let bytes = br#"{"hello": ["world"]}"#.to_vec();
    let out = run_piped(&env, &["files", "create", "-"], bytes.clone());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let u = assert_received(
        &sb,
        &id_of(&text(&out.stdout)),
        &bytes,
        "single_part",
        &[bytes.len()],
    );
    assert_eq!(u["filename"], "upload.json");
    assert_eq!(u["content_type"], "application/json");
}

#[test]
fn a_pipe_over_20_mib_without_size_is_a_usage_error_before_any_upload() {
    let (sb, env) = setup();
    let out = run_piped(&env, &["files", "create"], data(21 * MIB, 5));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("larger than 20 MiB"), "{err}");
    assert!(err.contains("hint:") && err.contains("--size"), "{err}");
    assert_eq!(text(&out.stdout), "");
    assert!(
        upload_requests(&sb).is_empty(),
        "{:?}",
        upload_requests(&sb)
    );
}

#[test]
fn a_large_pipe_with_its_size_is_sent_in_parts() {
    let (sb, env) = setup();
    let len = 25 * MIB + 5;
    let bytes = data(len, 6);
    let size = len.to_string();
    let out = run_piped(
        &env,
        &["files", "create", "--size", &size, "--filename", "dump.tar"],
        bytes.clone(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let u = assert_received(
        &sb,
        &id_of(&text(&out.stdout)),
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
    let out = run_piped(
        &env,
        &["files", "create", "--size", &size],
        data(22 * MIB, 8),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
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
    let out = run_piped(
        &env,
        &["files", "create", "--size", "10"],
        b"0123456789AB".to_vec(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("more than the 10 bytes"),
        "{}",
        text(&out.stderr)
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
    let out = run(env
        .ntn()
        .args(["files", "create", "--size", "6"])
        .arg(&path));
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
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
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
                    "retry_after": 1, "count": 1}),
    );
    let bytes = data(MIB, 11);
    let path = write_file(&env, "t.bin", &bytes);
    let started = std::time::Instant::now();
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(out.stderr.contains("retrying in 1s"), "{}", out.stderr);
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
    let out = run(env
        .ntn()
        .args(["files", "create", "--parallel", "1"])
        .arg(&path));
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
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
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
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &bytes, "single_part", &[2 * MIB]);
}

// ---------------------------------------------------------------------------
// limits, sources, external URLs

#[test]
fn a_file_over_the_workspace_limit_is_refused_before_any_upload() {
    let (sb, env) = setup_in("Globex");
    let path = write_file(&env, "six.bin", &data(6 * MIB, 14));
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
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
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_received(&sb, &id_of(&out.stdout), &small, "single_part", &[4 * MIB]);
}

#[test]
fn local_problems_exit_1_and_name_the_path() {
    let (sb, env) = setup();
    let out = run(env.ntn().args(["files", "create", "/nonexistent/file.bin"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("/nonexistent/file.bin"),
        "{}",
        out.stderr
    );
    let out = run(env.ntn().args(["files", "create"]).arg(env.dir.path()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("is a directory"), "{}", out.stderr);
    assert!(sb.requests().is_empty());
}

#[test]
fn external_urls_create_an_import_and_need_https() {
    let (sb, env) = setup();
    let out = run(env.ntn().args([
        "files",
        "create",
        "--external-url",
        "https://example.com/img/logo.png?v=2",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = id_of(&out.stdout);
    let u = inspect(&sb, &id);
    assert_eq!(u["mode"], "external_url");
    assert_eq!(u["filename"], "logo.png");
    assert_eq!(u["content_type"], "image/png");
    assert!(sends(&sb).is_empty());

    let out = run(env.ntn().args([
        "files",
        "create",
        "--external-url",
        "http://example.com/a.png",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("https"), "{}", out.stderr);

    let out = run(env.ntn().args([
        "files",
        "create",
        "--external-url",
        "https://x.test/a",
        "a.png",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn a_bad_token_exits_4() {
    let (sb, mut env) = setup();
    env.set("NOTION_API_TOKEN", "ntn_not_a_real_token");
    let path = write_file(&env, "a.txt", b"hello");
    let out = run(env.ntn().args(["files", "create"]).arg(&path));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(!out.stderr.contains("ntn_not_a_real_token"));
    assert!(sends(&sb).is_empty());
}

#[test]
fn a_failed_complete_is_retried() {
    let (sb, env) = setup();
    // Slow sends give the test time to learn the upload's id and break its
    // /complete once.
    sb.fault(
        json!({"path_prefix": "/v1/file_uploads/", "method": "POST", "delay_ms": 1500,
                    "count": 3}),
    );
    let bytes = data(20 * MIB + 3, 16);
    let path = write_file(&env, "c.bin", &bytes);
    let child = env
        .std_command()
        .args(["files", "create"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let id = loop {
        let created = sb
            .requests()
            .iter()
            .any(|r| r["method"] == "POST" && r["path"] == "/v1/file_uploads");
        if created {
            break latest_upload_id(&sb, &env);
        }
        assert!(std::time::Instant::now() < deadline, "no upload created");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    sb.fault(
        json!({"path_prefix": format!("/v1/file_uploads/{id}/complete"), "status": 500,
                    "count": 1}),
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("completing upload"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(id_of(&text(&out.stdout)), id);
    assert_received(&sb, &id, &bytes, "multi_part", &[10 * MIB, 10 * MIB, 3]);
    let completes: Vec<u64> = upload_requests(&sb)
        .into_iter()
        .filter(|(_, p, _)| p.ends_with("/complete"))
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(completes, [500, 200]);
}

/// The id of the newest upload of the test's token, through the public API.
fn latest_upload_id(sb: &Sandbox, env: &TestEnv) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(format!("{}/v1/file_uploads", sb.url))
        .header(
            "Authorization",
            format!("Bearer {}", env.var("NOTION_API_TOKEN").unwrap()),
        )
        .header("Notion-Version", "2025-09-03")
        .call()
        .unwrap();
    let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    v["results"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}
