mod common;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn send(sb: &Sandbox, t: &str, id: &str, fields: &[(&str, Option<&str>, &[u8])]) -> Resp {
    let (ct, body) = multipart(fields);
    let auth = format!("Bearer {t}");
    sb.raw(
        "POST",
        &format!("/v1/file_uploads/{id}/send"),
        &[
            ("Authorization", &auth),
            ("Notion-Version", VERSION),
            ("Content-Type", &ct),
        ],
        Some(&body),
    )
}

fn create(sb: &Sandbox, t: &str, body: Value) -> Value {
    let r = sb.api("POST", "/v1/file_uploads", t, Some(body));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn single_part() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let u = create(
        &sb,
        &t,
        json!({"filename": "a.txt", "content_type": "text/plain"}),
    );
    assert_eq!(u["object"], "file_upload");
    assert_eq!(u["status"], "pending");
    let id = u["id"].as_str().unwrap();
    assert_eq!(
        u["upload_url"],
        format!("{}/v1/file_uploads/{id}/send", sb.base)
    );
    assert!(u["content_length"].is_null());
    let bytes = data(100_000, 1);
    // missing file part
    send(&sb, &t, id, &[("other", None, b"x")]).assert_error(400, "validation_error");
    let r = send(&sb, &t, id, &[("file", Some("a.txt"), &bytes)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "uploaded");
    assert_eq!(r.json()["content_length"], 100_000);
    let i = sb.get(&format!("/__sandbox/uploads/{id}")).json();
    assert_eq!(i["size"], 100_000);
    assert_eq!(i["sha256"], hex(Sha256::digest(&bytes)));
    assert_eq!(i["mode"], "single_part");
    // no re-send once uploaded
    send(&sb, &t, id, &[("file", Some("a.txt"), b"x")]).assert_error(400, "validation_error");
    let g = sb
        .api("GET", &format!("/v1/file_uploads/{id}"), &t, None)
        .json();
    assert_eq!(g["status"], "uploaded");
    // too large
    let u = create(&sb, &t, json!({}));
    let big = vec![7u8; 20 * MIB + 1];
    send(
        &sb,
        &t,
        u["id"].as_str().unwrap(),
        &[("file", Some("b"), &big)],
    )
    .assert_error(400, "validation_error");
    // bad multipart
    let auth = format!("Bearer {t}");
    sb.raw(
        "POST",
        &format!("/v1/file_uploads/{}/send", u["id"].as_str().unwrap()),
        &[
            ("Authorization", &auth),
            ("Notion-Version", VERSION),
            ("Content-Type", "application/json"),
        ],
        Some(b"{}"),
    )
    .assert_error(400, "validation_error");
    sb.raw(
        "POST",
        &format!("/v1/file_uploads/{}/send", u["id"].as_str().unwrap()),
        &[
            ("Authorization", &auth),
            ("Notion-Version", VERSION),
            ("Content-Type", "multipart/form-data; boundary=zz"),
        ],
        Some(b"garbage"),
    )
    .assert_error(400, "validation_error");
    // list with status filter
    let l = sb
        .api("GET", "/v1/file_uploads?status=uploaded", &t, None)
        .json();
    assert_eq!(l["results"].as_array().unwrap().len(), 1);
    assert_eq!(l["type"], "file_upload");
    sb.api("GET", "/v1/file_uploads?status=nope", &t, None)
        .assert_error(400, "validation_error");
}

#[test]
fn workspace_limit_and_modes() {
    let sb = Sandbox::start();
    let g = sb.token("bob@globex.test", GLOBEX);
    let u = create(&sb, &g, json!({"filename": "big.bin"}));
    let over = vec![1u8; 5 * MIB + 1];
    send(
        &sb,
        &g,
        u["id"].as_str().unwrap(),
        &[("file", Some("big.bin"), &over)],
    )
    .assert_error(400, "validation_error");
    let ok = vec![1u8; 5 * MIB];
    assert_eq!(
        send(
            &sb,
            &g,
            u["id"].as_str().unwrap(),
            &[("file", Some("big.bin"), &ok)]
        )
        .status,
        200
    );
    // multi_part over the limit in total
    let m = create(
        &sb,
        &g,
        json!({"mode": "multi_part", "filename": "m.bin", "number_of_parts": 2}),
    );
    let id = m["id"].as_str().unwrap();
    assert_eq!(
        send(
            &sb,
            &g,
            id,
            &[("part_number", None, b"1"), ("file", Some("m"), &ok)]
        )
        .status,
        200
    );
    send(
        &sb,
        &g,
        id,
        &[("part_number", None, b"2"), ("file", Some("m"), b"x")],
    )
    .assert_error(400, "validation_error");
    // create validation
    for bad in [
        json!({"mode": "multi_part", "filename": "x", "number_of_parts": 0}),
        json!({"mode": "multi_part", "filename": "x", "number_of_parts": 1001}),
        json!({"mode": "multi_part", "filename": "x"}),
        json!({"mode": "external_url", "external_url": "http://example.com/a.png"}),
        json!({"mode": "weird"}),
    ] {
        sb.api("POST", "/v1/file_uploads", &g, Some(bad))
            .assert_error(400, "validation_error");
    }
    let e = create(
        &sb,
        &g,
        json!({"mode": "external_url", "external_url": "https://example.com/a.png"}),
    );
    assert_eq!(e["status"], "uploaded");
    assert_eq!(e["filename"], "a.png");
}

#[test]
fn multi_part_rules_and_integrity() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let m = create(
        &sb,
        &t,
        json!({"mode": "multi_part", "filename": "m.bin", "content_type": "application/octet-stream", "number_of_parts": 3}),
    );
    assert_eq!(m["number_of_parts"], json!({"total": 3, "sent": 0}));
    let id = m["id"].as_str().unwrap();
    let p1 = data(5 * MIB, 1);
    let p2 = data(5 * MIB + 123, 2);
    let p3 = data(1000, 3);
    // too small (not last), too large, bad part numbers, missing part number
    send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"1"), ("file", Some("m"), &p3)],
    )
    .assert_error(400, "validation_error");
    let big = vec![0u8; 20 * MIB + 1];
    send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"1"), ("file", Some("m"), &big)],
    )
    .assert_error(400, "validation_error");
    send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"4"), ("file", Some("m"), &p3)],
    )
    .assert_error(400, "validation_error");
    send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"0"), ("file", Some("m"), &p3)],
    )
    .assert_error(400, "validation_error");
    send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"x"), ("file", Some("m"), &p3)],
    )
    .assert_error(400, "validation_error");
    send(&sb, &t, id, &[("file", Some("m"), &p3)]).assert_error(400, "validation_error");
    send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"3"), ("file", Some("m"), b"")],
    )
    .assert_error(400, "validation_error");
    // out of order: 3, then 2 (part_number after the file), then 1
    let r = send(
        &sb,
        &t,
        id,
        &[("part_number", None, b"3"), ("file", Some("m"), &p3)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["number_of_parts"]["sent"], 1);
    assert_eq!(r.json()["status"], "pending");
    let r = send(
        &sb,
        &t,
        id,
        &[("file", Some("m"), &p2), ("part_number", None, b"2")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // incomplete
    sb.api(
        "POST",
        &format!("/v1/file_uploads/{id}/complete"),
        &t,
        Some(json!({})),
    )
    .assert_error(400, "validation_error");
    // part 1 sent with wrong content, then re-sent
    let wrong = data(5 * MIB, 9);
    assert_eq!(
        send(
            &sb,
            &t,
            id,
            &[("part_number", None, b"1"), ("file", Some("m"), &wrong)]
        )
        .status,
        200
    );
    assert_eq!(
        send(
            &sb,
            &t,
            id,
            &[("part_number", None, b"1"), ("file", Some("m"), &p1)]
        )
        .status,
        200
    );
    let r = sb.api(
        "POST",
        &format!("/v1/file_uploads/{id}/complete"),
        &t,
        Some(json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let total = p1.len() + p2.len() + p3.len();
    assert_eq!(r.json()["status"], "uploaded");
    assert_eq!(r.json()["content_length"], total);
    let mut h = Sha256::new();
    h.update(&p1);
    h.update(&p2);
    h.update(&p3);
    let i = sb.get(&format!("/__sandbox/uploads/{id}")).json();
    assert_eq!(i["sha256"], hex(h.finalize()));
    assert_eq!(i["size"], total);
    assert_eq!(i["number_of_parts"], 3);
    assert_eq!(i["parts"][1]["sha256"], hex(Sha256::digest(&p2)));
    assert_eq!(i["parts"][2]["size"], 1000);
    sb.api(
        "POST",
        &format!("/v1/file_uploads/{id}/complete"),
        &t,
        Some(json!({})),
    )
    .assert_error(400, "validation_error");
}

#[test]
fn parallel_parts() {
    let sb = Sandbox::start();
    let t = sb.alice();
    let m = create(
        &sb,
        &t,
        json!({"mode": "multi_part", "filename": "p.bin", "number_of_parts": 3}),
    );
    let id = m["id"].as_str().unwrap().to_string();
    let parts: Vec<Vec<u8>> = vec![data(5 * MIB, 4), data(5 * MIB, 5), data(77, 6)];
    std::thread::scope(|s| {
        for (i, p) in parts.iter().enumerate().rev() {
            let (sb, t, id) = (&sb, &t, &id);
            s.spawn(move || {
                let n = (i + 1).to_string();
                let r = send(
                    sb,
                    t,
                    id,
                    &[("part_number", None, n.as_bytes()), ("file", Some("p"), p)],
                );
                assert_eq!(r.status, 200, "{}", r.body);
            });
        }
    });
    assert_eq!(
        sb.api("POST", &format!("/v1/file_uploads/{id}/complete"), &t, None)
            .status,
        200
    );
    let mut h = Sha256::new();
    for p in &parts {
        h.update(p);
    }
    assert_eq!(
        sb.get(&format!("/__sandbox/uploads/{id}")).json()["sha256"],
        hex(h.finalize())
    );
}
