//! What `ntn sync` relies on: one clock for every timestamp and `Date` header, a parent
//! page's content changing when a child page appears or leaves, the block API's `position`,
//! file uploads attached as hosted file blocks whose signed URLs download from the sandbox,
//! the Handbook page tree of the built-in fixture, `--tree N` and search at scale.

use ntn_sandbox::{Options, RunningSandbox, spawn, spawn_with_clock};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const ACME: &str = "11111111-1111-4111-8111-111111111111";
const HOME: &str = "a1000000-0000-4000-8000-000000000001";
const ENG_NOTES: &str = "a1000000-0000-4000-8000-000000000002";
const HANDBOOK: &str = "a1000000-0000-4000-8000-000000000020";
const ONBOARDING: &str = "a1000000-0000-4000-8000-000000000021";
const TOOLS: &str = "a1000000-0000-4000-8000-000000000023";
const STYLE: &str = "a1000000-0000-4000-8000-000000000024";
const TOGGLE: &str = "c8000000-0000-4000-8000-000000000004";
const NEW: &str = "2026-03-11";
const OLD: &str = "2025-09-03";
/// 2026-12-07T12:00:30.500Z
const T0: i64 = 1_796_644_830_500;

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    bytes: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn send(
    sb: &RunningSandbox,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Resp {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = if url.starts_with("http") {
        url.to_string()
    } else {
        sb.url(url)
    };
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let mut resp = agent.run(req.body(body).expect("request")).expect("sent");
    Resp {
        status: resp.status().as_u16(),
        headers: resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        bytes: resp.body_mut().read_to_vec().expect("body"),
    }
}

fn api(sb: &RunningSandbox, t: &str, version: &str, method: &str, path: &str, body: Value) -> Resp {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    send(
        sb,
        method,
        path,
        &[
            ("Authorization", format!("Bearer {t}")),
            ("Notion-Version", version.to_string()),
            ("Content-Type", "application/json".into()),
        ],
        body,
    )
}

fn ok(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn alice(sb: &RunningSandbox) -> String {
    let r = send(
        sb,
        "POST",
        "/__sandbox/tokens",
        &[("Content-Type", "application/json".into())],
        json!({"email": "alice@acme.test", "workspace_id": ACME})
            .to_string()
            .into_bytes(),
    );
    ok(r)["token"].as_str().unwrap().to_string()
}

/// A sandbox on a manual clock (Unix ms), with the clock's handle.
fn on_clock(options: &Options) -> (RunningSandbox, Arc<AtomicI64>) {
    let now = Arc::new(AtomicI64::new(T0));
    let clock = now.clone();
    let sb = spawn_with_clock(options, Arc::new(move || clock.load(Ordering::SeqCst))).unwrap();
    (sb, now)
}

fn page(sb: &RunningSandbox, t: &str, id: &str) -> Value {
    ok(api(
        sb,
        t,
        OLD,
        "GET",
        &format!("/v1/pages/{id}"),
        Value::Null,
    ))
}

fn markdown(sb: &RunningSandbox, t: &str, id: &str) -> String {
    let v = ok(api(
        sb,
        t,
        NEW,
        "GET",
        &format!("/v1/pages/{id}/markdown"),
        Value::Null,
    ));
    v["markdown"].as_str().unwrap().to_string()
}

fn children(sb: &RunningSandbox, t: &str, id: &str) -> Vec<Value> {
    let v = ok(api(
        sb,
        t,
        OLD,
        "GET",
        &format!("/v1/blocks/{id}/children"),
        Value::Null,
    ));
    v["results"].as_array().unwrap().clone()
}

fn ids(blocks: &[Value]) -> Vec<String> {
    blocks
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

fn search_ids(sb: &RunningSandbox, t: &str, query: &str) -> Vec<String> {
    let v = ok(api(
        sb,
        t,
        OLD,
        "POST",
        "/v1/search",
        json!({"query": query}),
    ));
    ids(v["results"].as_array().unwrap())
}

fn url_of(page: &str, title: &str) -> String {
    format!("https://www.notion.so/{title}-{}", page.replace('-', ""))
}

#[test]
fn every_timestamp_and_the_date_header_follow_the_injected_clock() {
    let (sb, now) = on_clock(&Options::default());
    let t = alice(&sb);
    let r = api(
        &sb,
        &t,
        OLD,
        "PATCH",
        &format!("/v1/pages/{ENG_NOTES}"),
        json!({"properties": {"title": {"title": [{"text": {"content": "Eng notes"}}]}}}),
    );
    assert_eq!(r.header("date"), Some("Mon, 07 Dec 2026 12:00:30 GMT"));
    assert_eq!(r.json()["last_edited_time"], "2026-12-07T12:00:00.000Z");

    now.fetch_add(125_000, Ordering::SeqCst); // 12:02:35.500
    let v = ok(api(
        &sb,
        &t,
        OLD,
        "PATCH",
        &format!("/v1/blocks/{ENG_NOTES}/children"),
        json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "x"}}]}}]}),
    ));
    assert_eq!(v["results"][0]["created_time"], "2026-12-07T12:02:35.500Z");
    assert_eq!(
        page(&sb, &t, ENG_NOTES)["last_edited_time"],
        "2026-12-07T12:02:00.000Z"
    );
    let c = ok(api(
        &sb,
        &t,
        OLD,
        "POST",
        "/v1/comments",
        json!({"parent": {"page_id": ENG_NOTES}, "rich_text": [{"text": {"content": "hi"}}]}),
    ));
    assert_eq!(c["created_time"], "2026-12-07T12:02:35.500Z");
    let u = ok(api(&sb, &t, OLD, "POST", "/v1/file_uploads", json!({})));
    assert_eq!(u["created_time"], "2026-12-07T12:02:35.500Z");
    assert_eq!(u["expiry_time"], "2026-12-07T13:02:35.500Z");
    // Every answer has the date, errors and control endpoints too.
    let e = api(&sb, "nope", OLD, "GET", "/v1/users/me", Value::Null);
    assert_eq!(e.status, 401);
    assert_eq!(e.header("date"), Some("Mon, 07 Dec 2026 12:02:35 GMT"));
}

#[test]
fn a_child_page_appearing_or_leaving_changes_its_parent_but_trash_does_not() {
    let (sb, now) = on_clock(&Options::default());
    let t = alice(&sb);
    let minute = |m: i64| format!("2026-12-07T12:{m:02}:00.000Z");
    assert_eq!(
        page(&sb, &t, HANDBOOK)["last_edited_time"],
        "2025-01-05T00:00:00.000Z"
    );

    // Created under Handbook: a child_page block at the end of its content.
    let new = ok(api(
        &sb,
        &t,
        OLD,
        "POST",
        "/v1/pages",
        json!({"parent": {"page_id": HANDBOOK}, "properties": {"title": {"title": [{"text": {"content": "Offboarding"}}]}}}),
    ));
    let new_id = new["id"].as_str().unwrap().to_string();
    assert_eq!(page(&sb, &t, HANDBOOK)["last_edited_time"], minute(0));
    let kids = children(&sb, &t, HANDBOOK);
    assert_eq!(kids.last().unwrap()["id"], new_id);
    assert_eq!(kids.last().unwrap()["type"], "child_page");
    assert!(
        markdown(&sb, &t, HANDBOOK).ends_with(&format!(
            "<page url=\"{}\">Offboarding</page>\n",
            url_of(&new_id, "Offboarding")
        )),
        "{}",
        markdown(&sb, &t, HANDBOOK)
    );

    // Moved out of Handbook into Engineering Notes: both change.
    now.fetch_add(60_000, Ordering::SeqCst);
    ok(api(
        &sb,
        &t,
        OLD,
        "POST",
        &format!("/v1/pages/{new_id}/move"),
        json!({"parent": {"type": "page_id", "page_id": ENG_NOTES}}),
    ));
    assert_eq!(page(&sb, &t, HANDBOOK)["last_edited_time"], minute(1));
    assert_eq!(page(&sb, &t, ENG_NOTES)["last_edited_time"], minute(1));
    assert!(!ids(&children(&sb, &t, HANDBOOK)).contains(&new_id));
    assert_eq!(children(&sb, &t, ENG_NOTES).last().unwrap()["id"], new_id);

    // Out of a toggle inside Handbook: the toggle loses it, Handbook changes.
    now.fetch_add(60_000, Ordering::SeqCst);
    assert!(ids(&children(&sb, &t, TOGGLE)).contains(&TOOLS.to_string()));
    ok(api(
        &sb,
        &t,
        OLD,
        "POST",
        &format!("/v1/pages/{TOOLS}/move"),
        json!({"parent": {"type": "page_id", "page_id": HOME}}),
    ));
    assert_eq!(page(&sb, &t, HANDBOOK)["last_edited_time"], minute(2));
    assert!(!ids(&children(&sb, &t, TOGGLE)).contains(&TOOLS.to_string()));
    assert!(!markdown(&sb, &t, HANDBOOK).contains(">Tools</page>"));

    // Trashed: gone from the parent's blocks, Markdown and search; the parent's
    // last_edited_time stays.
    now.fetch_add(60_000, Ordering::SeqCst);
    assert!(search_ids(&sb, &t, "onboarding").contains(&ONBOARDING.to_string()));
    let trashed = ok(api(
        &sb,
        &t,
        OLD,
        "PATCH",
        &format!("/v1/pages/{ONBOARDING}"),
        json!({"in_trash": true}),
    ));
    assert_eq!(trashed["in_trash"], true);
    assert_eq!(page(&sb, &t, HANDBOOK)["last_edited_time"], minute(2));
    assert!(!ids(&children(&sb, &t, HANDBOOK)).contains(&ONBOARDING.to_string()));
    assert!(!markdown(&sb, &t, HANDBOOK).contains(">Onboarding</page>"));
    assert!(!search_ids(&sb, &t, "onboarding").contains(&ONBOARDING.to_string()));
    let block = ok(api(
        &sb,
        &t,
        OLD,
        "GET",
        &format!("/v1/blocks/{ONBOARDING}"),
        Value::Null,
    ));
    assert_eq!(
        (block["type"].as_str(), block["in_trash"].as_bool()),
        (Some("child_page"), Some(true))
    );
}

fn para(text: &str) -> Value {
    json!({"paragraph": {"rich_text": [{"text": {"content": text}}]}})
}

#[test]
fn append_places_blocks_by_position_or_after() {
    let sb = spawn(&Options::default()).unwrap();
    let t = alice(&sb);
    let path = format!("/v1/blocks/{ENG_NOTES}/children");
    let before = ids(&children(&sb, &t, ENG_NOTES));
    let first = ok(api(
        &sb,
        &t,
        NEW,
        "PATCH",
        &path,
        json!({"children": [para("Top")], "position": {"type": "start"}}),
    ));
    let top = first["results"][0]["id"].as_str().unwrap().to_string();
    let after = ok(api(
        &sb,
        &t,
        NEW,
        "PATCH",
        &path,
        json!({"children": [para("Second A"), para("Second B")], "position": {"type": "after_block", "after_block": {"id": before[0]}}}),
    ));
    let end = ok(api(
        &sb,
        &t,
        NEW,
        "PATCH",
        &path,
        json!({"children": [para("Last")], "position": {"type": "end"}}),
    ));
    let old = ok(api(
        &sb,
        &t,
        OLD,
        "PATCH",
        &path,
        json!({"children": [para("Third")], "after": after["results"][1]["id"]}),
    ));
    let now = ids(&children(&sb, &t, ENG_NOTES));
    let want: Vec<String> = [top]
        .into_iter()
        .chain([before[0].clone()])
        .chain(ids(after["results"].as_array().unwrap()))
        .chain(ids(old["results"].as_array().unwrap()))
        .chain(before[1..].iter().cloned())
        .chain(ids(end["results"].as_array().unwrap()))
        .collect();
    assert_eq!(now, want);
    let md = markdown(&sb, &t, ENG_NOTES);
    assert!(
        md.starts_with("Top\n\n## Architecture\n\nSecond A\n\nSecond B\n\nThird\n\nWe use"),
        "{md}"
    );
    assert!(md.ends_with("Last\n"), "{md}");

    // Refused: a block that is not a child of this parent, `after` on 2026-03-11, `position`
    // before it, an unknown type.
    for (version, body) in [
        (
            NEW,
            json!({"children": [para("x")], "position": {"type": "after_block", "after_block": {"id": TOGGLE}}}),
        ),
        (NEW, json!({"children": [para("x")], "after": before[0]})),
        (
            OLD,
            json!({"children": [para("x")], "position": {"type": "start"}}),
        ),
        (
            NEW,
            json!({"children": [para("x")], "position": {"type": "middle"}}),
        ),
        (OLD, json!({"children": [para("x")], "after": TOGGLE})),
    ] {
        let r = api(&sb, &t, version, "PATCH", &path, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json()["code"], "validation_error");
    }
    assert_eq!(
        children(&sb, &t, ENG_NOTES).len(),
        want.len(),
        "nothing added"
    );
}

fn upload(sb: &RunningSandbox, t: &str, name: &str, bytes: &[u8]) -> String {
    let u = ok(api(
        sb,
        t,
        OLD,
        "POST",
        "/v1/file_uploads",
        json!({"filename": name, "content_type": "image/png"}),
    ));
    let id = u["id"].as_str().unwrap().to_string();
    let boundary = "XsandboxX";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = send(
        sb,
        "POST",
        &format!("/v1/file_uploads/{id}/send"),
        &[
            ("Authorization", format!("Bearer {t}")),
            ("Notion-Version", OLD.into()),
            (
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ),
        ],
        body,
    );
    assert_eq!(ok(r)["status"], "uploaded");
    id
}

fn image_of(upload: &str) -> Value {
    json!({"type": "image", "image": {"type": "file_upload", "file_upload": {"id": upload}}})
}

#[test]
fn uploads_become_hosted_blocks_whose_signed_urls_download() {
    let (sb, now) = on_clock(&Options::default());
    let t = alice(&sb);
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let up = upload(&sb, &t, "cat photo.png", &bytes);
    let path = format!("/v1/blocks/{ENG_NOTES}/children");
    let v = ok(api(
        &sb,
        &t,
        NEW,
        "PATCH",
        &path,
        json!({"children": [image_of(&up)]}),
    ));
    let block = &v["results"][0];
    assert_eq!(block["image"]["type"], "file");
    let url = block["image"]["file"]["url"].as_str().unwrap().to_string();
    let origin_path = format!("{}/__files/{ACME}/{up}/cat%20photo.png", sb.base_url());
    assert!(url.starts_with(&format!("{origin_path}?")), "{url}");
    assert!(
        url.contains("X-Amz-Expires=3600") && url.contains("X-Amz-Signature="),
        "{url}"
    );
    assert_eq!(
        block["image"]["file"]["expiry_time"],
        "2026-12-07T13:00:30.500Z"
    );
    let got = send(&sb, "GET", &url, &[], Vec::new());
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert_eq!(got.bytes, bytes);

    // Signed afresh on every read, same origin and path; the Markdown shows it too.
    let id = block["id"].as_str().unwrap();
    let again = ok(api(
        &sb,
        &t,
        OLD,
        "GET",
        &format!("/v1/blocks/{id}"),
        Value::Null,
    ));
    let url2 = again["image"]["file"]["url"].as_str().unwrap();
    assert_ne!(url2, url);
    assert!(url2.starts_with(&format!("{origin_path}?")));
    assert!(markdown(&sb, &t, ENG_NOTES).contains(&format!("![]({origin_path}?X-Amz-")));
    // The upload no longer expires, and can be attached again.
    let u = ok(api(
        &sb,
        &t,
        OLD,
        "GET",
        &format!("/v1/file_uploads/{up}"),
        Value::Null,
    ));
    assert_eq!(u["expiry_time"], Value::Null);
    ok(api(
        &sb,
        &t,
        NEW,
        "PATCH",
        &path,
        json!({"children": [image_of(&up)]}),
    ));

    // An hour later the URL is refused, S3-style; a wrong or missing signature too.
    now.fetch_add(3_600_000, Ordering::SeqCst);
    let late = send(&sb, "GET", &url, &[], Vec::new());
    assert_eq!(late.status, 403);
    assert!(
        late.text().contains("<Code>AccessDenied</Code>")
            && late.text().contains("Request has expired"),
        "{}",
        late.text()
    );
    let fresh = ok(api(
        &sb,
        &t,
        OLD,
        "GET",
        &format!("/v1/blocks/{id}"),
        Value::Null,
    ));
    let fresh = fresh["image"]["file"]["url"].as_str().unwrap().to_string();
    assert_eq!(send(&sb, "GET", &fresh, &[], Vec::new()).bytes, bytes);
    let unsigned = send(&sb, "GET", &origin_path, &[], Vec::new());
    assert_eq!(unsigned.status, 403);
    assert!(unsigned.text().contains("<Code>AccessDenied</Code>"));
    let forged = fresh.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(send(&sb, "GET", &forged, &[], Vec::new()).status, 403);

    // Not attachable: unknown, pending, expired (never attached, an hour old).
    let pending = ok(api(&sb, &t, OLD, "POST", "/v1/file_uploads", json!({})))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stale = upload(&sb, &t, "old.png", b"old");
    now.fetch_add(3_600_000, Ordering::SeqCst);
    let before = children(&sb, &t, ENG_NOTES).len();
    for bad in ["0badf00d-0000-4000-8000-000000000000", &pending, &stale] {
        let r = api(
            &sb,
            &t,
            NEW,
            "PATCH",
            &path,
            json!({"children": [para("x"), image_of(bad)]}),
        );
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.json()["code"], "validation_error");
    }
    assert_eq!(children(&sb, &t, ENG_NOTES).len(), before);
    let u = ok(api(
        &sb,
        &t,
        OLD,
        "GET",
        &format!("/v1/file_uploads/{stale}"),
        Value::Null,
    ));
    assert_eq!(u["status"], "expired");

    // A hosted block can be deleted.
    let del = ok(api(
        &sb,
        &t,
        OLD,
        "DELETE",
        &format!("/v1/blocks/{id}"),
        Value::Null,
    ));
    assert_eq!(del["in_trash"], true);
    assert!(!ids(&children(&sb, &t, ENG_NOTES)).contains(&id.to_string()));
}

#[test]
fn the_fixture_handbook_is_a_tree_of_pages_in_blocks_with_a_hosted_image() {
    let sb = spawn(&Options::default()).unwrap();
    let t = alice(&sb);
    let md = markdown(&sb, &t, HANDBOOK);
    let tools = format!("<page url=\"{}\">Tools</page>", url_of(TOOLS, "Tools"));
    let style = format!(
        "<page url=\"{}\">Style guide</page>",
        url_of(STYLE, "Style-guide")
    );
    let want = format!(
        "# How we work\n\n\
         This handbook collects how the Acme team works.\n\n\
         Start with Onboarding, then keep the Style guide close.\n\n\
         <details>\n<summary>Tools we use</summary>\n\nEverything installed on day one.\n\n{tools}\n\n</details>\n\n\
         <columns>\n<column>\n\nRead first.\n\n</column>\n<column>\n\nWrite well.\n\n{style}\n\n</column>\n</columns>\n\n\
         <database url=\"https://www.notion.so/Glossary-d1000000000040008000000000000020\" inline=\"true\">Glossary</database>\n\n\
         Questions go to the handbook channel.\n\n\
         <page url=\"{}\">Onboarding</page>\n",
        url_of(ONBOARDING, "Onboarding")
    );
    assert_eq!(md, want);
    assert_eq!(
        page(&sb, &t, TOOLS)["parent"],
        json!({"type": "block_id", "block_id": TOGGLE})
    );
    let first_week = children(&sb, &t, ONBOARDING);
    assert_eq!(
        first_week.last().unwrap()["child_page"]["title"],
        "First week"
    );
    let rows = ok(api(
        &sb,
        &t,
        OLD,
        "POST",
        "/v1/data_sources/d2000000-0000-4000-8000-000000000020/query",
        json!({}),
    ));
    assert_eq!(rows["results"].as_array().unwrap().len(), 3);
    // The hosted image downloads (a tiny PNG).
    let img = &children(&sb, &t, ONBOARDING)[1];
    let url = img["image"]["file"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/__files/", sb.base_url())),
        "{url}"
    );
    let got = send(&sb, "GET", url, &[], Vec::new());
    assert_eq!(got.status, 200);
    assert!(got.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn a_big_tree_builds_fast_and_search_pages_through_it_in_order() {
    let n = 10_000;
    let started = std::time::Instant::now();
    let (sb, _now) = on_clock(&Options {
        tree: n,
        rows: 0,
        ..Options::default()
    });
    let built = started.elapsed();
    let t = alice(&sb);
    let root = "a2000000-0000-4000-8000-000000000000";
    assert_eq!(page(&sb, &t, root)["parent"]["page_id"], HOME);
    let last = page(&sb, &t, "a2000000-0000-4000-8000-000000010000");
    assert_eq!(
        last["parent"]["page_id"],
        "a2000000-0000-4000-8000-000000000999"
    );
    let kids = children(&sb, &t, root);
    assert_eq!(kids.len(), 14);
    assert_eq!(kids[0]["type"], "heading_2");
    assert_eq!(kids[4]["child_page"]["title"], "Page 1");
    assert_eq!(kids[13]["child_page"]["title"], "Page 10");

    let started = std::time::Instant::now();
    let mut seen = std::collections::HashSet::new();
    let mut times = Vec::new();
    let mut cursor: Option<String> = None;
    let mut requests = 0;
    loop {
        let mut b = json!({"page_size": 100, "filter": {"property": "object", "value": "page"},
                           "sort": {"timestamp": "last_edited_time", "direction": "descending"}});
        if let Some(c) = &cursor {
            b["start_cursor"] = json!(c);
        }
        let v = ok(api(&sb, &t, OLD, "POST", "/v1/search", b));
        requests += 1;
        for p in v["results"].as_array().unwrap() {
            assert!(
                seen.insert(p["id"].as_str().unwrap().to_string()),
                "no repeats"
            );
            times.push(p["last_edited_time"].as_str().unwrap().to_string());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let enumerated = started.elapsed();
    // The tree, the fixture's Acme pages and its data source rows (no generated rows).
    assert!(seen.len() > n + 1, "{}", seen.len());
    assert!(
        seen.contains("d6000000-0000-4000-8000-000000000001"),
        "rows too"
    );
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "descending");
    assert!(requests > 100);
    // Generous bounds for a debug build on a shared machine (release: see the README).
    assert!(built.as_secs_f64() < 5.0, "built in {built:?}");
    assert!(
        enumerated.as_secs_f64() < 30.0,
        "enumerated in {enumerated:?}"
    );
    eprintln!(
        "tree of {n}: built in {built:?}, searched through in {enumerated:?} ({requests} requests)"
    );
}
