//! Property tests: the stable-toolchain versions of the fuzz targets in
//! `crates/ntn/fuzz` (same checks, from `fuzz/src/checks.rs`), plus a replay
//! of the fuzz corpus and of any crash artifacts, so `cargo test` re-checks
//! every input the fuzzers ever kept. `scripts/fuzz` runs the real fuzzers
//! for longer.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A temp dir on tmpfs when there is one: ntn's writes fsync, which is slow
/// on a real disk and beside the point here.
fn fast_tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

/// Text made mostly of the characters the inline-input grammar cares about.
fn input_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "=", "==", ":", ":=", "[", "]", "[]", "\\", "[0]", "[12]", "a", "b", "x-y", "0",
            " ", "\"", "{", "}", "null", "true", "1.5", "é", "\n", "\r", "\0", "[a]",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Well-formed inputs, built from parts.
fn well_formed_input() -> impl Strategy<Value = String> {
    let key = "[a-z_][a-z0-9_]{0,5}";
    let seg = prop_oneof![
        key.prop_map(|k| format!("[{k}]")),
        (0usize..3).prop_map(|n| format!("[{n}]")),
        Just("[]".to_string()),
    ];
    let path = (key, prop::collection::vec(seg, 0..4)).prop_map(|(h, s)| h + &s.concat());
    let json_value = prop_oneof![
        Just("true".to_string()),
        Just("null".to_string()),
        (-5i64..5).prop_map(|n| n.to_string()),
        "[a-z]{0,4}".prop_map(|s| format!("\"{s}\"")),
        Just("[1,{\"a\":2}]".to_string()),
        Just("{\"k\":[]}".to_string()),
    ];
    prop_oneof![
        (path.clone(), "\\PC{0,8}").prop_map(|(p, v)| format!("{p}={v}")),
        (path, json_value).prop_map(|(p, v)| format!("{p}:={v}")),
        ("[a-z_]{1,6}", "\\PC{0,8}").prop_map(|(n, v)| format!("{n}=={v}")),
        ("[A-Za-z][A-Za-z-]{0,8}", "[ -~]{0,8}").prop_map(|(n, v)| format!("{n}:{v}")),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn inline_input_arbitrary_text(s in input_text()) {
        checks::check_inline_input(&s);
    }

    #[test]
    fn inline_input_any_unicode(s in "\\PC{0,40}") {
        checks::check_inline_input(&s);
    }

    #[test]
    fn inline_inputs_together(list in prop::collection::vec(
        prop_oneof![well_formed_input(), input_text()], 0..8)) {
        checks::check_inline_inputs(&list);
    }

    #[test]
    fn state_files_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let dir = fast_tempdir();
        checks::check_state_bytes(dir.path(), &bytes);
    }

    #[test]
    fn state_files_json_like(v in json_like()) {
        let dir = fast_tempdir();
        checks::check_state_bytes(dir.path(), v.to_string().as_bytes());
        // and truncated, at every UTF-8 boundary of a short prefix
        let text = v.to_string();
        let cut = text.len() / 2;
        if text.is_char_boundary(cut) {
            checks::check_state_bytes(dir.path(), &text.as_bytes()[..cut]);
        }
    }

    #[test]
    fn api_urls_any_unicode(typed in "\\PC{0,40}", other in "\\PC{0,12}") {
        checks::check_url_text(&typed, &other);
    }

    #[test]
    fn api_urls_url_like(typed in url_text(), other in "[ -~\r\n]{0,8}") {
        checks::check_url_text(&typed, &other);
    }

    #[test]
    fn spec_matcher_arbitrary_paths(path in "[a-z0-9/{}?#_.~%-]{0,40}") {
        checks::check_spec_match(checks::sample_spec(), &path);
    }

    #[test]
    fn spec_matcher_template_instances(i in 0usize..64,
                                       values in prop::collection::vec("[a-z0-9{}-]{0,6}", 0..4)) {
        checks::check_template_instance(&checks::sample_spec(), i, &values);
    }

    #[test]
    fn spec_matcher_arbitrary_specs(templates in prop::collection::vec("(/[a-z{}]{0,4}){0,4}", 0..6),
                                    path in "(/?[a-z{}]{0,4}){0,4}",
                                    i in 0usize..8,
                                    values in prop::collection::vec("[a-z]{0,3}", 0..4)) {
        let mut paths = serde_json::Map::new();
        for t in &templates {
            paths.insert(t.clone(), json!({"get": {"summary": "s", "operationId": t}}));
        }
        let doc = json!({"paths": paths});
        checks::check_spec_match(doc.clone(), &path);
        checks::check_template_instance(&doc, i, &values);
    }
}

/// Text made mostly of URL pieces, multi-byte characters and delimiters.
fn url_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "https://", "http://", "api.notion.com", "api.notion.co", "127.0.0.1", ":3000",
            "localhost", "/", "//", "v1/", "pages", "{page_id}", "?", "#", "%", "%zz", "é", "ü",
            "日本", "\u{1F600}", " ", "\t", "\r\n", "\0", "..", "@", "[", "]", "=", "&", "\"",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,3}",
    ];
    prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
}

/// JSON values shaped like the state files, with wrong types mixed in.
fn json_like() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        prop::sample::select(vec!["1", "local", "prod", "w1", "", "ntn_x", "\u{0}"])
            .prop_map(|s| json!(s)),
    ];
    let keys = prop::sample::select(vec![
        "version",
        "defaultWorkspaceIds",
        "keyring",
        "environments",
        "local",
        "prod",
        "w1",
        "id",
        "name",
        "sessionId",
        "verificationCode",
        "env",
        "baseUrl",
        "expiresAtMs",
        "pollIntervalMs",
        "createdAtMs",
        "browserUrl",
    ]);
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

// ---------------------------------------------------------------------------
// Known shapes, and the corpus replay

#[test]
fn known_inputs_hold_the_properties() {
    for s in [
        "a=b",
        "a\\=b=c",
        "a\\[b]=c",
        "a[\\0]=x",
        "a[007]=x",
        "q==a:b",
        "X-Test: v",
        "X\\-Test:v",
        "\\",
        "a\\",
        "=x",
        ":=1",
        "a[]]=x",
        "a[b[c]]=x",
        "a[99999999999999999999]=x",
        "a[10001]=x",
        "h:\r\n",
        "a:=1e400",
        "a:=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
    ] {
        checks::check_inline_input(s);
    }
    let list: Vec<String> = [
        "a[0]=x",
        "a[1]=y",
        "a[]=z",
        "b[c][d]:=1",
        "b[c][e]=2",
        "q==1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    checks::check_inline_inputs(&list);
    let body = ntn::commands::api::inputs::parse_all(&list)
        .unwrap()
        .body
        .unwrap();
    assert_eq!(
        Value::Object(body),
        json!({"a": ["x", "y", "z"], "b": {"c": {"d": 1, "e": "2"}}})
    );
}

#[test]
fn deeply_nested_inputs_are_refused_or_built_without_crashing() {
    // A field nested thousands of levels deep must not overflow the stack
    // (building, serialising or dropping the body).
    for depth in [200usize, 5_000] {
        let raw = format!("a{}=x", "[]".repeat(depth));
        checks::check_inline_inputs(&[raw]);
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The fuzz inputs of `target` to replay: the seeds kept in git
/// (`corpus/<target>/seed-*`, including past crashes) and any crash in
/// `artifacts/<target>`; with `NTN_FUZZ_REPLAY_ALL=1`, the whole local corpus
/// libFuzzer grew too (`scripts/fuzz` does that).
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let all = std::env::var("NTN_FUZZ_REPLAY_ALL").as_deref() == Ok("1");
    let mut out = Vec::new();
    for sub in ["corpus", "artifacts"] {
        let dir = fuzz_dir().join(sub).join(target);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_file() && (all || sub == "artifacts" || name.starts_with("seed-")) {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fuzz_corpus_replays() {
    let inputs = corpus("inline_inputs");
    let state = corpus("state_files");
    let spec = corpus("openapi_match");
    let urls = corpus("api_urls");
    assert!(
        !inputs.is_empty() && !state.is_empty() && !spec.is_empty() && !urls.is_empty(),
        "the seed corpus under {} is missing",
        fuzz_dir().display()
    );
    eprintln!(
        "replaying {} + {} + {} + {} fuzz inputs",
        inputs.len(),
        state.len(),
        spec.len(),
        urls.len()
    );
    for (p, data) in &inputs {
        eprintln!("replay {}", p.display());
        checks::check_inline_bytes(data);
    }
    let dir = fast_tempdir();
    for (p, data) in &state {
        eprintln!("replay {}", p.display());
        checks::check_state_bytes(dir.path(), data);
    }
    for (p, data) in &spec {
        eprintln!("replay {}", p.display());
        checks::check_spec_bytes(data);
    }
    for (p, data) in &urls {
        eprintln!("replay {}", p.display());
        checks::check_url_bytes(data);
    }
}
