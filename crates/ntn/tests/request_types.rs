//! What ntn sends, checked against Notion's own request types: the pages commands run
//! against the sandbox, the JSON bodies of their writes are taken from its request log,
//! and each becomes a typed constant (`const b: UpdatePageMarkdownParameters = {…}`) that
//! TypeScript checks with `@notionhq/client`'s definitions (an unknown field, a wrong
//! shape or a missing required field is an error).
//!
//! `NTN_TS_TYPES` names a directory whose `node_modules` holds `@notionhq/client` and
//! `typescript` (`scripts/test` installs them under `~/.cache/ntn-ci/ts`). Without it the
//! test says so and passes, unless `NTN_REQUIRE_TS` is set (as `scripts/test` sets it).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::pages::{HOME, ok, page_with, setup, write};
use serde_json::{Value, json};

const ROADMAP: &str = "d2000000-0000-4000-8000-000000000002";
const ROADMAP_ROW: &str = "d4000000-0000-4000-8000-000000000001";
const LOSSY: &str = "a1000000-0000-4000-8000-000000000010";
const HANDBOOK: &str = "a1000000-0000-4000-8000-000000000020";

/// The SDK type a write's body must have, and the path parameter to add to it.
fn sdk_type(method: &str, path: &str) -> Option<(&'static str, Option<(&'static str, String)>)> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        ("POST", ["v1", "pages"]) => Some(("CreatePageParameters", None)),
        ("PATCH", ["v1", "pages", id]) => {
            Some(("UpdatePageParameters", Some(("page_id", id.to_string()))))
        }
        ("PATCH", ["v1", "pages", id, "markdown"]) => Some((
            "UpdatePageMarkdownParameters",
            Some(("page_id", id.to_string())),
        )),
        ("POST", ["v1", "pages", id, "move"]) => {
            Some(("MovePageParameters", Some(("page_id", id.to_string()))))
        }
        ("POST", ["v1", "search"]) => Some(("SearchParameters", None)),
        ("POST", ["v1", "comments"]) => Some(("CreateCommentParameters", None)),
        ("PATCH", ["v1", "comments", id]) => Some((
            "UpdateCommentParameters",
            Some(("comment_id", id.to_string())),
        )),
        ("DELETE", ["v1", "comments", id]) => Some((
            "DeleteCommentParameters",
            Some(("comment_id", id.to_string())),
        )),
        ("POST", ["v1", "file_uploads"]) => Some(("CreateFileUploadParameters", None)),
        ("POST", ["v1", "file_uploads", id, "complete"]) => Some((
            "CompleteFileUploadParameters",
            Some(("file_upload_id", id.to_string())),
        )),
        ("PATCH", ["v1", "blocks", id, "children"]) => Some((
            "AppendBlockChildrenParameters",
            Some(("block_id", id.to_string())),
        )),
        ("POST", ["v1", "data_sources", id, "query"]) => Some((
            "QueryDataSourceParameters",
            Some(("data_source_id", id.to_string())),
        )),
        _ => None,
    }
}

#[test]
fn request_bodies_match_notions_published_types() {
    let Some(types) = std::env::var_os("NTN_TS_TYPES").map(PathBuf::from) else {
        assert!(
            std::env::var_os("NTN_REQUIRE_TS").is_none(),
            "NTN_REQUIRE_TS is set but NTN_TS_TYPES is not: run scripts/test"
        );
        eprintln!("skipped: set NTN_TS_TYPES (scripts/test does) to check request bodies");
        return;
    };
    let (sb, env, token) = setup();

    // Every kind of write the pages commands make.
    let file = write(
        &env,
        "new.md",
        "---\ntitle: Typed\n---\n# Typed\n\nFirst line\n\nSecond line\n",
    );
    let out = env.run(&[
        "pages",
        "create",
        "--parent",
        &format!("page:{HOME}"),
        &file,
    ]);
    ok(&out);
    let page = out.stdout.trim().to_string();
    let got = env.run(&["pages", "get", &page]).stdout;
    let edited = write(
        &env,
        "p.md",
        &got.replace("Second line", "Second line, edited"),
    );
    ok(&env.run(&["pages", "edit", &page, &edited]));
    ok(&env.run(&[
        "pages",
        "edit",
        &page,
        "--replace",
        "First",
        "1st",
        "--all-matches",
    ]));
    ok(&env.run(&["pages", "append", &page, "- appended"]));
    ok(&env.run(&["pages", "append", &page, "after", "--after", "1st line"]));
    let empty = page_with(&sb, &token, "");
    ok(&env.run(&[
        "pages",
        "edit",
        &empty,
        "--content",
        "Whole body\n",
        "--force",
    ]));
    let row = env.run(&["pages", "get", ROADMAP_ROW]).stdout;
    let row = row
        .replace("  Stage: Planned", "  Stage: Shipped")
        .replace("  Estimate: 8", "  Estimate: 5")
        .replace("  Done: false", "  Done: true")
        .replace("  Notes: Public launch, v1", "  Notes: Public launch, v2")
        .replace("  - alice@acme.test", "  - restricted@acme.test");
    let row_file = write(&env, "row.md", &row);
    ok(&env.run(&["pages", "edit", ROADMAP_ROW, &row_file]));
    let lossy = env.run(&["pages", "get", LOSSY]).stdout;
    let lossy_file = write(&env, "l.md", &lossy.replace("Outro.", "Outro, typed."));
    ok(&env.run(&["pages", "edit", LOSSY, &lossy_file]));
    ok(&env.run(&["pages", "move", &page, "--to", &format!("page:{empty}")]));
    ok(&env.run(&["pages", "trash", &page, "--yes"]));
    ok(&env.run(&["pages", "restore", &page]));
    ok(&env.run(&["search", "Typed", "--limit", "3"]));
    // A data source query through a view (its filter and sorts with --where's): the view
    // reads are GETs without a body.
    ok(&env.run(&[
        "datasources",
        "query",
        "https://www.notion.so/d1000000000040008000000000000002?v=f7000000000040008000000000000001",
        "--where",
        "Estimate > 6",
    ]));
    ok(&env.run(&["datasources", "views", "Roadmap"]));
    // Comments: on a page with Markdown, a mention and an attachment, a reply, an edit,
    // a delete.
    let shot = write(&env, "shot.png", "bytes");
    let added = env.run(&[
        "comments",
        "add",
        HANDBOOK,
        "Typed **comment** for @alice@acme.test",
        "--attach",
        &shot,
        "--as",
        "Typist",
        "--json",
    ]);
    ok(&added);
    let comment: Value = serde_json::from_str(&added.stdout).unwrap();
    let cid = comment["id"].as_str().unwrap().to_string();
    ok(&env.run(&["comments", "reply", &cid, "Typed reply"]));
    ok(&env.run(&["comments", "edit", &cid, "Typed, edited"]));
    ok(&env.run(&["comments", "delete", &cid, "--yes"]));

    // Files attached: at the end with a caption, after a block, an upload id reused.
    let holder = page_with(&sb, &token, "Attach here.\n");
    let pic = write(&env, "pic.png", "not really a png");
    let doc = write(&env, "doc.txt", "a text file");
    let attached = env.run(&[
        "files",
        "attach",
        &pic,
        "--to",
        &holder,
        "--caption",
        "A picture",
    ]);
    ok(&attached);
    ok(&env.run(&[
        "files",
        "attach",
        &doc,
        "--to",
        &holder,
        "--after",
        "Attach here",
    ]));
    let upload = env.run(&["files", "create", &pic]);
    ok(&upload);
    ok(&env.run(&["files", "attach", upload.stdout.trim(), "--to", &holder]));

    // Bulk property writes: `datasources update` (set, clear, add, dates, people,
    // relations) and `datasources import` (an update and a create).
    ok(&env.run(&[
        "datasources",
        "update",
        ROADMAP,
        "--where",
        "Stage = Planned",
        "--set",
        "Status=Done",
        "--set",
        "Tags+=backend",
        "--set",
        "Notes=",
        "--set",
        "\"Due date\"=2025-04-01/2025-04-03",
        "--set",
        "Owner=alice@acme.test",
        "--set",
        "Estimate=3.5",
        "--set",
        "\"Blocked by\"+=d4000000-0000-4000-8000-000000000002",
        "--set",
        "Link=",
        "--yes",
    ]));
    let rows = write(
        &env,
        "rows.csv",
        &format!(
            "id,Name,Stage,Tags,Done,Link\n{ROADMAP_ROW},Typed launch,Idea,docs,true,https://example.com/l\n,Typed row,Idea,\"docs, backend\",true,https://example.com\n"
        ),
    );
    ok(&env.run(&["datasources", "import", ROADMAP, &rows, "--yes"]));

    let mut checks = String::from(
        "import type { UpdatePageMarkdownParameters } from \"@notionhq/client/build/src/api-endpoints/pages\";\n\
         import type { CreatePageParameters, UpdatePageParameters, MovePageParameters, SearchParameters, QueryDataSourceParameters, AppendBlockChildrenParameters, CreateCommentParameters, UpdateCommentParameters, DeleteCommentParameters, CreateFileUploadParameters, CompleteFileUploadParameters } from \"@notionhq/client\";\n",
    );
    let mut seen: Vec<String> = Vec::new();
    let mut n = 0;
    for r in sb.requests() {
        let (Some(method), Some(path)) = (r["method"].as_str(), r["path"].as_str()) else {
            continue;
        };
        // A file upload's bytes go as multipart/form-data, not JSON.
        if method == "GET" || (method == "POST" && path.ends_with("/send")) {
            continue;
        }
        let Some((ty, param)) = sdk_type(method, path) else {
            panic!("no SDK type known for {method} {path}: add it to sdk_type");
        };
        let mut body: Value = if method == "DELETE" || path.ends_with("/complete") {
            json!({})
        } else {
            r["body"].clone()
        };
        assert!(body.is_object(), "{method} {path} sent no JSON body: {r}");
        if let Some((k, v)) = param {
            body[k] = json!(v);
        }
        checks.push_str(&format!("export const b{n}: {ty} = {body};\n"));
        n += 1;
        let kind = match body["type"].as_str() {
            Some(t) => format!("{ty}:{t}"),
            None => ty.to_string(),
        };
        if !seen.contains(&kind) {
            seen.push(kind);
        }
    }
    // A data source query read past Notion's row limit: created order, then windows
    // whose created_time bound joins the --where filter.
    let (big, big_env, _) = common::pages::setup_with(&["--rows", "300", "--query-limit", "100"]);
    ok(&big_env.run(&[
        "datasources",
        "query",
        "d2000000-0000-4000-8000-000000000001",
        "--where",
        "Status = Done or Tags = bug",
        "--all",
        "--ids",
    ]));
    let mut windows = 0;
    for r in big.requests() {
        if r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.ends_with("/query")) {
            let mut body = r["body"].clone();
            windows += usize::from(body.to_string().contains("on_or_after"));
            body["data_source_id"] = json!("d2000000-0000-4000-8000-000000000001");
            checks.push_str(&format!(
                "export const b{n}: QueryDataSourceParameters = {body};\n"
            ));
            n += 1;
        }
    }
    assert!(windows > 0, "no window was read");
    // A files property gaining an upload (`ntn files attach --property`): the sandbox's
    // fixture has no files property, so the body comes from the library, with hosted,
    // external and uploaded files already in the property.
    let row = json!({"properties": {"Attachments": {"type": "files", "files": [
        {"name": "a.png", "type": "file", "file": {"url": "https://example.com/a.png?X-Amz-Signature=s", "expiry_time": "2025-01-01T00:00:00.000Z"}},
        {"name": "site", "type": "external", "external": {"url": "https://example.com/x"}},
        {"name": "b.pdf", "type": "file_upload", "file_upload": {"id": "2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c"}}
    ]}}});
    let (name, files) = ntn::notion::attach::files_property(&row, "Attachments").unwrap();
    let mut body = ntn::notion::attach::property_body(
        &name,
        &files,
        "3f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c",
        "c.pdf",
    );
    body["page_id"] = json!(ROADMAP_ROW);
    checks.push_str(&format!(
        "export const b{n}: UpdatePageParameters = {body};\n"
    ));
    n += 1;
    for want in [
        "AppendBlockChildrenParameters",
        "CreateFileUploadParameters",
        "CreatePageParameters",
        "UpdatePageMarkdownParameters:update_content",
        "UpdatePageMarkdownParameters:replace_content",
        "UpdatePageMarkdownParameters:insert_content",
        "UpdatePageParameters",
        "MovePageParameters",
        "SearchParameters",
        "CreateCommentParameters",
        "UpdateCommentParameters",
        "DeleteCommentParameters",
    ] {
        assert!(
            seen.iter().any(|s| s == want),
            "no {want} was sent: {seen:?}"
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("check-")
        .tempdir_in(&types)
        .unwrap();
    let ts = dir.path().join("bodies.ts");
    std::fs::write(&ts, &checks).unwrap();
    let tsc = types.join("node_modules/typescript/bin/tsc");
    let out = Command::new("node")
        .arg(&tsc)
        .args([
            "--noEmit",
            "--strict",
            "--skipLibCheck",
            "--moduleResolution",
            "node",
            "--target",
            "es2020",
        ])
        .arg(&ts)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "TypeScript refused what ntn sent:\n{}\n{}\n--- the bodies:\n{checks}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{n} request bodies of {} kinds type-check", seen.len());
}
