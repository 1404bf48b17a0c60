//! Attaching a file upload to a page: what `ntn files attach` does once the bytes are in
//! Notion. It owns the choice of the media block type (from the MIME type, else the
//! name's extension), finding the block to put it after (`--after TEXT`: the one
//! top-level block whose plain text contains TEXT), the page's files property
//! (`--property NAME`) and the request bodies:
//!
//! * a block: `PATCH /v1/blocks/{page}/children` with `{children: [{type: image|pdf|
//!   video|audio|file, <type>: {type: "file_upload", file_upload: {id}, caption?}}],
//!   position?: {type: "after_block", after_block: {id}}}` (`position` needs
//!   `Notion-Version` 2026-03-11 or later: see [`crate::notion::pages::version`]);
//! * a files property: `PATCH /v1/pages/{page}` with the property's files as they are
//!   plus `{type: "file_upload", file_upload: {id}, name}` (Notion overwrites a files
//!   property with the array it is given; hosted files passed back stay).
//!
//! [`place`] reads what it needs and checks the target before anything is uploaded;
//! [`check_upload`] says whether an existing upload can be attached; [`attach`] writes.

use serde_json::{Value, json};

use super::Notion;
use crate::error::{Error, Result};
use crate::notion::pages::props::{choices, did_you_mean};
use crate::notion::upload::sniff;
use crate::output::text::{clean, one_line, truncate};

/// The longest text of one rich text item Notion takes.
const MAX_TEXT: usize = 2000;

/// Where the file goes on the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// A block at the end of the page.
    End,
    /// A block right after this top-level block.
    After { block_id: String },
    /// Added to this files property (its exact name), after the files it has.
    Property { name: String, files: Vec<Value> },
}

/// What was written: the new block's id, or the page's id for a property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attached {
    pub id: String,
    /// The block type (`image`, `pdf`, …), or `files` for a property.
    pub kind: String,
}

/// The media block type for a file: `image`, `pdf`, `video`, `audio`, else `file`. The
/// MIME type decides; when it says nothing (empty, `application/octet-stream`) the
/// name's extension does.
pub fn block_type(content_type: &str, filename: &str) -> &'static str {
    let given = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ct = if given.is_empty() || given == "application/octet-stream" {
        sniff::type_for_name(filename).unwrap_or("").to_string()
    } else {
        given
    };
    match ct.as_str() {
        "application/pdf" => "pdf",
        // Notion's image blocks take the common raster formats and SVG; an icon or a
        // Photoshop file is an attachment.
        t if t.starts_with("image/")
            && !matches!(t, "image/x-icon" | "image/vnd.adobe.photoshop") =>
        {
            "image"
        }
        t if t.starts_with("video/") => "video",
        t if t.starts_with("audio/") => "audio",
        _ => "file",
    }
}

/// Text as rich text items (split at [`MAX_TEXT`] characters).
pub fn rich_text(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    Value::Array(
        chars
            .chunks(MAX_TEXT)
            .map(|c| json!({"type": "text", "text": {"content": c.iter().collect::<String>()}}))
            .collect(),
    )
}

/// The media block of a file upload.
pub fn block(kind: &str, upload_id: &str, caption: Option<&str>) -> Value {
    let mut data = json!({"type": "file_upload", "file_upload": {"id": upload_id}});
    if let Some(c) = caption.filter(|c| !c.is_empty()) {
        data["caption"] = rich_text(c);
    }
    json!({"object": "block", "type": kind, kind: data})
}

/// The body of `PATCH /v1/blocks/{page}/children`: `block` at the end, or right after
/// `after`.
pub fn append_body(block: Value, after: Option<&str>) -> Value {
    let mut body = json!({ "children": [block] });
    if let Some(id) = after {
        body["position"] = json!({"type": "after_block", "after_block": {"id": id}});
    }
    body
}

/// A block's plain text: its rich text, or a child page's or database's title.
pub fn plain_text(block: &Value) -> String {
    let kind = block["type"].as_str().unwrap_or("");
    let data = &block[kind];
    if let Some(t) = data["title"].as_str() {
        return t.to_string();
    }
    data["rich_text"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["plain_text"].as_str().or(t["text"]["content"].as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// The id of the one top-level block (of `blocks`) whose plain text contains `text`.
/// None or several is a usage error (the several listed).
pub fn find_after(blocks: &[Value], text: &str) -> Result<String> {
    if text.is_empty() {
        return Err(Error::usage("--after needs some text to find")
            .hint("give words of the block to put the file after"));
    }
    let hits: Vec<(&str, String)> = blocks
        .iter()
        .filter(|b| b["in_trash"] != true && b["archived"] != true)
        .filter_map(|b| {
            let t = plain_text(b);
            t.contains(text)
                .then(|| (b["id"].as_str().unwrap_or(""), t))
        })
        .collect();
    match hits.as_slice() {
        [(id, _)] if !id.is_empty() => Ok(id.to_string()),
        [] | [_] => Err(Error::usage(format!(
            "no top-level block of the page contains {:?}",
            clean(text)
        ))
        .hint("--after matches the text of the page's top-level blocks, case and spaces as written (`ntn pages get PAGE` shows them)")),
        many => {
            let shown: Vec<String> = many
                .iter()
                .take(5)
                .map(|(id, t)| format!("{} {:?}", clean(id), truncate(&one_line(t), 60)))
                .collect();
            let more = if many.len() > 5 {
                format!(", and {} more", many.len() - 5)
            } else {
                String::new()
            };
            Err(Error::usage(format!(
                "{} top-level blocks contain {:?}: {}{more}",
                many.len(),
                clean(text),
                shown.join(", ")
            ))
            .hint("give --after more of the text, so that one block matches"))
        }
    }
}

/// A file of a files property as a request takes it back: hosted and external files
/// keep their URL and name, file uploads their id.
fn file_for_request(f: &Value) -> Option<Value> {
    let name = f["name"].as_str().filter(|n| !n.is_empty());
    let out = match f["type"].as_str()? {
        "file" => {
            let mut file = json!({"url": f["file"]["url"].as_str()?});
            if let Some(t) = f["file"]["expiry_time"].as_str() {
                file["expiry_time"] = json!(t);
            }
            json!({"type": "file", "file": file, "name": name.unwrap_or("file")})
        }
        "external" => json!({
            "type": "external",
            "external": {"url": f["external"]["url"].as_str()?},
            "name": name.unwrap_or("file"),
        }),
        "file_upload" => {
            let mut v = json!({"type": "file_upload", "file_upload": {"id": f["file_upload"]["id"].as_str()?}});
            if let Some(n) = name {
                v["name"] = json!(n);
            }
            v
        }
        _ => return None,
    };
    Some(out)
}

/// The files property `name` of `page` (a page object): its exact name and its files as
/// a request takes them back. An unknown name, or a property of another type, is an
/// error naming the page's files properties.
pub fn files_property(page: &Value, name: &str) -> Result<(String, Vec<Value>)> {
    let empty = serde_json::Map::new();
    let props = page["properties"].as_object().unwrap_or(&empty);
    let files_props: Vec<&str> = props
        .iter()
        .filter(|(_, v)| v["type"] == "files")
        .map(|(k, _)| k.as_str())
        .collect();
    let hint = if files_props.is_empty() {
        "this page has no files property: attach the file as a block (without --property)"
            .to_string()
    } else {
        format!(
            "the page's files properties: {}",
            choices(files_props.iter().copied())
        )
    };
    let found = props.get_key_value(name).or_else(|| {
        let mut same = props.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
        match (same.next(), same.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    });
    let Some((exact, value)) = found else {
        return Err(Error::usage(format!(
            "the page has no property {:?}{}",
            clean(name),
            did_you_mean(name, props.keys().map(String::as_str))
        ))
        .hint(hint));
    };
    if value["type"] != "files" {
        return Err(Error::usage(format!(
            "{:?} is a {} property, not a files property",
            clean(exact),
            clean(value["type"].as_str().unwrap_or("unknown"))
        ))
        .hint(hint));
    }
    let files = value["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(file_for_request)
        .collect();
    Ok((exact.clone(), files))
}

/// The body of `PATCH /v1/pages/{page}` setting the files property `name` to `files`
/// plus the upload.
pub fn property_body(name: &str, files: &[Value], upload_id: &str, filename: &str) -> Value {
    let mut all = files.to_vec();
    all.push(json!({"type": "file_upload", "file_upload": {"id": upload_id}, "name": filename}));
    json!({ "properties": { name: { "files": all } } })
}

/// Whether an existing file upload can be attached: Notion takes only `uploaded` ones.
pub fn check_upload(upload: &Value) -> Result<()> {
    let status = upload["status"].as_str().unwrap_or("unknown");
    let id = clean(upload["id"].as_str().unwrap_or("")).into_owned();
    match status {
        "uploaded" => Ok(()),
        "pending" => Err(Error::usage(format!(
            "the file upload {id} is pending: its bytes were not all sent"
        ))
        .hint("finish it, or attach the file by its path (it is uploaded first)")),
        "expired" | "failed" => Err(Error::usage(format!(
            "the file upload {id} is {status} and can no longer be attached"
        ))
        .hint("attach the file by its path: it is uploaded afresh")),
        other => Err(Error::api(format!(
            "the file upload {id} has the status {:?}, not \"uploaded\"",
            clean(other)
        ))
        .hint("`ntn files get ID` shows it")),
    }
}

/// The top-level blocks of a page, every page of them.
pub fn top_blocks(notion: &Notion, page_id: &str) -> Result<Vec<Value>> {
    let first = format!("/v1/blocks/{page_id}/children?page_size=100");
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => first.clone(),
            Some(c) => super::paginate::with_query_cursor(&first, c),
        };
        let page = notion.get(&path)?;
        out.extend(page["results"].as_array().into_iter().flatten().cloned());
        match page["next_cursor"].as_str() {
            Some(c) if page["has_more"] == true && !c.is_empty() => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Where the file goes, checked against the page before anything is uploaded: the
/// block `after` names, or the files property `property` (its files as they are now),
/// else the end.
pub fn place(
    notion: &Notion,
    page_id: &str,
    after: Option<&str>,
    property: Option<&str>,
) -> Result<Place> {
    if let Some(name) = property {
        let page = notion.get(&format!("/v1/pages/{page_id}"))?;
        let (name, files) = files_property(&page, name)?;
        return Ok(Place::Property { name, files });
    }
    if let Some(text) = after {
        let blocks = top_blocks(notion, page_id)?;
        return Ok(Place::After {
            block_id: find_after(&blocks, text)?,
        });
    }
    Ok(Place::End)
}

/// Attaches the upload (a file upload object whose status is `uploaded`) at `place`.
pub fn attach(
    notion: &Notion,
    page_id: &str,
    place: &Place,
    upload: &Value,
    caption: Option<&str>,
) -> Result<Attached> {
    let upload_id = upload["id"].as_str().unwrap_or("");
    let filename = upload["filename"].as_str().unwrap_or("file");
    if let Place::Property { name, files } = place {
        notion.patch(
            &format!("/v1/pages/{page_id}"),
            &property_body(name, files, upload_id, filename),
        )?;
        return Ok(Attached {
            id: page_id.to_string(),
            kind: "files".into(),
        });
    }
    let kind = block_type(upload["content_type"].as_str().unwrap_or(""), filename);
    let after = match place {
        Place::After { block_id } => Some(block_id.as_str()),
        _ => None,
    };
    let answer = notion.patch(
        &format!("/v1/blocks/{page_id}/children"),
        &append_body(block(kind, upload_id, caption), after),
    )?;
    let id = new_block(&answer, kind, after).ok_or_else(|| {
        Error::api("Notion added the block but its answer does not say which it is")
            .hint("`ntn pages get PAGE` shows the page")
    })?;
    Ok(Attached {
        id,
        kind: kind.to_string(),
    })
}

/// The new block's id in an append's answer: its only result (Notion answers with the
/// new blocks); else (an answer listing more) the block of that type right after
/// `after`, or the last one of that type.
fn new_block(answer: &Value, kind: &str, after: Option<&str>) -> Option<String> {
    let results = answer["results"].as_array()?;
    let id = |b: &Value| b["id"].as_str().map(str::to_string);
    if let [one] = results.as_slice() {
        return id(one);
    }
    if let Some(a) = after
        && let Some(i) = results.iter().position(|b| b["id"] == a)
        && let Some(next) = results.get(i + 1).filter(|b| b["type"] == kind)
    {
        return id(next);
    }
    results
        .iter()
        .rev()
        .find(|b| b["type"] == kind)
        .and_then(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_type_comes_from_the_mime_type_else_the_name() {
        assert_eq!(block_type("image/png", "a.bin"), "image");
        assert_eq!(block_type("application/pdf", "a"), "pdf");
        assert_eq!(block_type("video/mp4", "a"), "video");
        assert_eq!(block_type("audio/mpeg; charset=x", "a"), "audio");
        assert_eq!(block_type("text/plain", "a.png"), "file");
        assert_eq!(block_type("", "Photo.JPG"), "image");
        assert_eq!(block_type("application/octet-stream", "r.pdf"), "pdf");
        assert_eq!(block_type("", "notes"), "file");
        assert_eq!(block_type("image/x-icon", "a.ico"), "file");
    }

    #[test]
    fn blocks_and_bodies() {
        let b = block("image", "u1", Some("The office"));
        assert_eq!(
            append_body(b, Some("c1")),
            json!({"children": [{"object": "block", "type": "image", "image": {
                "type": "file_upload", "file_upload": {"id": "u1"},
                "caption": [{"type": "text", "text": {"content": "The office"}}]}}],
                "position": {"type": "after_block", "after_block": {"id": "c1"}}})
        );
        assert_eq!(
            append_body(block("file", "u2", Some("")), None),
            json!({"children": [{"object": "block", "type": "file", "file": {
                "type": "file_upload", "file_upload": {"id": "u2"}}}]})
        );
        let long = "x".repeat(4500);
        assert_eq!(rich_text(&long).as_array().unwrap().len(), 3);
    }

    fn para(id: &str, text: &str) -> Value {
        json!({"id": id, "type": "paragraph", "paragraph": {"rich_text": [{"plain_text": text}]}})
    }

    #[test]
    fn after_names_one_top_level_block() {
        let blocks = vec![
            para("b1", "Intro paragraph."),
            para("b2", "Unrelated paragraph."),
            json!({"id": "b3", "type": "child_page", "child_page": {"title": "Tools"}}),
        ];
        assert_eq!(find_after(&blocks, "Intro").unwrap(), "b1");
        assert_eq!(find_after(&blocks, "Tools").unwrap(), "b3");
        let none = find_after(&blocks, "intro").unwrap_err();
        assert_eq!(none.exit_code().code(), 2);
        assert!(
            none.message().contains("no top-level block"),
            "{}",
            none.message()
        );
        let many = find_after(&blocks, "paragraph").unwrap_err();
        assert_eq!(many.exit_code().code(), 2);
        assert_eq!(
            many.message(),
            "2 top-level blocks contain \"paragraph\": b1 \"Intro paragraph.\", b2 \"Unrelated paragraph.\""
        );
        assert!(find_after(&blocks, "").is_err());
    }

    #[test]
    fn a_files_property_keeps_its_files_and_gains_the_upload() {
        let page = json!({"properties": {
            "Name": {"type": "title", "title": []},
            "Attachments": {"type": "files", "files": [
                {"name": "a.png", "type": "file", "file": {"url": "https://s3/a.png?sig", "expiry_time": "2025-01-01T00:00:00.000Z"}},
                {"name": "site", "type": "external", "external": {"url": "https://example.com/x"}}
            ]}
        }});
        let (name, files) = files_property(&page, "attachments").unwrap();
        assert_eq!(name, "Attachments");
        assert_eq!(
            property_body(&name, &files, "u1", "b.pdf"),
            json!({"properties": {"Attachments": {"files": [
                {"name": "a.png", "type": "file", "file": {"url": "https://s3/a.png?sig", "expiry_time": "2025-01-01T00:00:00.000Z"}},
                {"name": "site", "type": "external", "external": {"url": "https://example.com/x"}},
                {"type": "file_upload", "file_upload": {"id": "u1"}, "name": "b.pdf"}
            ]}}})
        );
        let e = files_property(&page, "Attachmens").unwrap_err();
        assert_eq!(
            e.message(),
            "the page has no property \"Attachmens\" (did you mean \"Attachments\"?)"
        );
        assert_eq!(
            e.hint_text(),
            Some("the page's files properties: \"Attachments\"")
        );
        let e = files_property(&page, "Name").unwrap_err();
        assert_eq!(
            e.message(),
            "\"Name\" is a title property, not a files property"
        );
    }

    #[test]
    fn only_uploaded_uploads_attach() {
        assert!(check_upload(&json!({"id": "u", "status": "uploaded"})).is_ok());
        for s in ["pending", "expired", "failed"] {
            let e = check_upload(&json!({"id": "u", "status": s})).unwrap_err();
            assert!(e.message().contains(s), "{}", e.message());
        }
    }

    #[test]
    fn the_new_block_is_found_in_the_answer() {
        let one = json!({"results": [{"id": "n", "type": "image"}]});
        assert_eq!(new_block(&one, "image", None).as_deref(), Some("n"));
        let all = json!({"results": [
            {"id": "a", "type": "paragraph"}, {"id": "n", "type": "image"},
            {"id": "z", "type": "image"}]});
        assert_eq!(new_block(&all, "image", Some("a")).as_deref(), Some("n"));
        assert_eq!(new_block(&all, "image", None).as_deref(), Some("z"));
    }
}
