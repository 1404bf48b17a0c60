//! Files Notion hosts (images, PDFs, videos, attachments) as files of the folder.
//!
//! Pull: a hosted file's URL is signed for an hour and changes on every read, so a
//! page's Markdown would never read the same twice. Each one is downloaded once into
//! `assets/` at the folder's root, named by its content (`<16 hex of SHA-256>.<ext>`),
//! and the file links it relatively (`../assets/3f2a….png`). The state maps the URL
//! without its signature (origin and path: stable across reads) to the asset, so a page
//! read again maps to the same link without a download, and the same image pulled
//! twice is one asset.
//!
//! Push: links to known assets go back to their URLs (the edit engine signs them afresh
//! from the page as read, so unchanged images are not rewritten). A link to a local
//! file Notion does not have yet cannot travel in Markdown (Notion strips what it cannot
//! fetch): it is sent as a placeholder paragraph, then the file goes through the upload
//! engine and a block of the right type is put right after the placeholder with the
//! block API (`position: after_block`), and the placeholder is deleted.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::http::{Request, RetryPolicy};
use crate::notion::pages::PageClient;
use crate::notion::pages::read::signed_urls;
use crate::output::Ui;
use crate::output::text::clean;

/// The folder of the assets, at the root of the sync folder.
pub const DIR: &str = "assets";

/// The largest file downloaded (a bigger one stays a link to Notion).
pub const MAX_DOWNLOAD: u64 = 512 << 20;

/// The URL without its query (the signature).
pub fn canonical(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The path from the folder of `file_rel` to `target_rel` (both relative to the root,
/// `/`-separated).
pub fn relative(file_rel: &str, target_rel: &str) -> String {
    let depth = file_rel.matches('/').count();
    format!("{}{target_rel}", "../".repeat(depth))
}

/// The root-relative path a link in `file_rel` points to (`None`: outside the root, or
/// not a relative path).
pub fn resolve(file_rel: &str, link: &str) -> Option<String> {
    if link.contains("://") || link.starts_with('/') || link.starts_with('#') || link.is_empty() {
        return None;
    }
    let link = link.split(['?', '#']).next()?;
    let link = percent_decode(link);
    let mut parts: Vec<&str> = file_rel.split('/').collect();
    parts.pop();
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An extension for an asset from its URL's path (letters and digits, at most 8).
fn extension(url: &str) -> String {
    let path = canonical(url);
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 8
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

/// Pull's side: rewrites hosted URLs in a page's Markdown to links to `assets/`.
pub struct Localizer<'a> {
    pub root: &'a Path,
    /// URL without signature → asset path (relative to the root).
    pub map: &'a mut BTreeMap<String, String>,
    /// Download what is not mapped yet (off in a status or a dry run: an unmapped URL
    /// then stays as it is, which reads as a change, and it is one).
    pub fetch: Option<&'a PageClient>,
    /// Assets downloaded by this localizer.
    pub downloaded: usize,
    /// Why downloads failed.
    pub failed: Vec<String>,
}

impl Localizer<'_> {
    /// `body` (with signed URLs) for the file `file_rel`.
    pub fn localize(&mut self, body: &str, file_rel: &str) -> Result<String> {
        let ranges = signed_urls(body);
        if ranges.is_empty() {
            return Ok(body.to_string());
        }
        let mut out = String::with_capacity(body.len());
        let mut at = 0;
        for r in ranges {
            out.push_str(&body[at..r.start]);
            let url = &body[r.clone()];
            let key = canonical(url).to_string();
            let asset = match self.map.get(&key) {
                Some(a) => Some(a.clone()),
                None => match self.fetch {
                    Some(client) => match download(client, url, self.root) {
                        Ok(Some(a)) => {
                            self.downloaded += 1;
                            self.map.insert(key.clone(), a.clone());
                            Some(a)
                        }
                        Ok(None) => None,
                        // The link stays (without its signature); the next run tries
                        // again.
                        Err(e) => {
                            self.failed.push(e.message().to_string());
                            None
                        }
                    },
                    None => None,
                },
            };
            match asset {
                Some(a) => out.push_str(&relative(file_rel, &a)),
                None => out.push_str(&key),
            }
            at = r.end;
        }
        out.push_str(&body[at..]);
        Ok(out)
    }
}

/// Downloads a hosted file into `assets/` (without the API token: it goes to the file
/// host, not to Notion's API), named by its content; its path.
fn download(client: &PageClient, url: &str, root: &Path) -> Result<Option<String>> {
    let req = Request::new("GET", url);
    let mut resp = client
        .notion()
        .http()
        .send_streaming(&req, &RetryPolicy::default(), None)
        .map_err(|e| e.hint("a file of the page could not be downloaded; try again"))?;
    if !(200..300).contains(&resp.status) {
        return Err(Error::api(format!(
            "downloading a file of the page answered {}",
            resp.status
        ))
        .hint("its link may have expired: run the sync again"));
    }
    let dir = root.join(DIR);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::local(format!("cannot create {}", dir.display())).cause(&e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| Error::local(format!("cannot write in {}", dir.display())).cause(&e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut reader = (&mut resp).take(MAX_DOWNLOAD + 1);
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| Error::api("the download of a file of the page broke off").cause(&e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_DOWNLOAD {
            return Ok(None);
        }
        hasher.update(&buf[..n]);
        std::io::Write::write_all(&mut tmp, &buf[..n])
            .map_err(|e| Error::local(format!("cannot write in {}", dir.display())).cause(&e))?;
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("{hex}{}", extension(url));
    let dest = dir.join(&name);
    if !dest.exists() {
        tmp.persist(&dest).map_err(|e| {
            Error::local(format!("cannot write {}", dest.display())).cause(&e.error)
        })?;
    }
    Ok(Some(format!("{DIR}/{name}")))
}

/// `text` with its asset links (`assets/<16 hex>…` right after `(` or `"`, behind any
/// number of `../`) written for a file `depth` folders below the root. Depth 0 is the
/// form kept in the state and compared: a file that moves keeps its content.
pub fn rebase(text: &str, depth: usize) -> String {
    let needle = "assets/";
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut from = 0;
    while let Some(k) = text[from..].find(needle) {
        let i = from + k;
        from = i + needle.len();
        let hex = text[from..]
            .bytes()
            .take(16)
            .filter(u8::is_ascii_hexdigit)
            .count();
        if hex < 16 {
            continue;
        }
        let mut j = i;
        while j >= 3 && &text[j - 3..j] == "../" {
            j -= 3;
        }
        let before = text[..j].chars().next_back();
        if !matches!(before, Some('(') | Some('"')) || j < at {
            continue;
        }
        out.push_str(&text[at..j]);
        out.push_str(&"../".repeat(depth));
        at = i;
    }
    out.push_str(&text[at..]);
    out
}

/// How many folders below the root a file is.
pub fn depth(rel: &str) -> usize {
    rel.matches('/').count()
}

/// A local file a push uploads: the placeholder standing for it in the text sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    pub placeholder: String,
    pub path: PathBuf,
    pub caption: String,
}

/// Push's side: links to known assets back to their URLs; links to other local files
/// (images `![…](…)` and `<file|pdf|video|audio src="…">` tags) become placeholders.
pub fn delocalize(
    body: &str,
    file_rel: &str,
    root: &Path,
    map: &BTreeMap<String, String>,
) -> (String, Vec<NewFile>) {
    let by_path: BTreeMap<&str, &str> = map.iter().map(|(u, p)| (p.as_str(), u.as_str())).collect();
    let mut out = String::with_capacity(body.len());
    let mut new = Vec::new();
    for line in body.split_inclusive('\n') {
        let (content, nl) = match line.strip_suffix('\n') {
            Some(c) => (c, "\n"),
            None => (line, ""),
        };
        let trimmed = content.trim_start();
        let indent = &content[..content.len() - trimmed.len()];
        if let Some((caption, link)) = image_line(trimmed)
            && let Some(rel) = by_path
                .contains_key(link)
                .then(|| link.to_string())
                .or_else(|| resolve(file_rel, link))
        {
            if let Some(url) = by_path.get(rel.as_str()) {
                out.push_str(&content.replace(link, url));
                out.push_str(nl);
                continue;
            }
            let path = root.join(&rel);
            if path.is_file() {
                let hex: String =
                    Sha256::digest(format!("{file_rel}\n{}\n{rel}", new.len()).as_bytes())
                        .iter()
                        .take(6)
                        .map(|b| format!("{b:02x}"))
                        .collect();
                let placeholder = format!("ntn-upload-{hex}");
                out.push_str(indent);
                out.push_str(&placeholder);
                out.push_str(nl);
                new.push(NewFile {
                    placeholder,
                    path,
                    caption: caption.to_string(),
                });
                continue;
            }
        }
        // Known assets anywhere else on the line (tags with src="…").
        let mut l = content.to_string();
        for (p, url) in &by_path {
            if l.contains(p) {
                l = l.replace(&format!("\"{p}\""), &format!("\"{url}\""));
                l = l.replace(&format!("({p})"), &format!("({url})"));
            }
        }
        out.push_str(&l);
        out.push_str(nl);
    }
    (out, new)
}

/// `![caption](link)` alone on a line.
fn image_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("![")?;
    let (caption, rest) = rest.split_once("](")?;
    let link = rest.strip_suffix(')')?;
    (!link.contains(' ') || link.starts_with('<'))
        .then_some((caption, link.trim_matches(['<', '>'])))
}

/// The block type for a file, by its extension.
fn block_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg" | "heic" | "bmp" | "tif" | "tiff"
        | "ico" => "image",
        "pdf" => "pdf",
        "mp4" | "mov" | "webm" | "m4v" | "avi" | "mkv" => "video",
        "mp3" | "wav" | "ogg" | "m4a" | "aac" | "flac" => "audio",
        _ => "file",
    }
}

/// After the text was written: uploads each new file and puts its block where its
/// placeholder is, then deletes the placeholder. Returns how many were attached.
pub fn attach(client: &PageClient, page_id: &str, files: &[NewFile], ui: &Ui) -> Result<usize> {
    if files.is_empty() {
        return Ok(0);
    }
    let blocks = top_blocks(client, page_id)?;
    let mut done = 0;
    for f in files {
        let Some(holder) = blocks.iter().find(|b| {
            b["type"] == "paragraph" && plain(&b["paragraph"]["rich_text"]).trim() == f.placeholder
        }) else {
            return Err(Error::api(format!(
                "the place of {} was not found on the page after the write",
                f.path.display()
            ))
            .hint(
                "the page kept the text; attach the file with `ntn files create` and the block API",
            ));
        };
        let holder_id = holder["id"].as_str().unwrap_or("").to_string();
        let input = crate::notion::upload::source::Input::open(&f.path)?;
        let interrupt = crate::support::Interrupt::manual();
        let prepared = crate::notion::upload::prepare(input, &Default::default(), ui, &interrupt)?;
        let up = crate::notion::upload::upload(client.notion(), prepared, 2, ui, &interrupt)?;
        let kind = block_type(&f.path);
        let mut data = json!({"type": "file_upload", "file_upload": {"id": up.id}});
        if !f.caption.is_empty() && kind != "audio" {
            data["caption"] = json!([{"type": "text", "text": {"content": f.caption}}]);
        }
        client.notion().patch(
            &format!("/v1/blocks/{page_id}/children"),
            &json!({
                "children": [{"object": "block", "type": kind, kind: data}],
                "position": {"type": "after_block", "after_block": {"id": holder_id}},
            }),
        )?;
        let req = client
            .notion()
            .request("DELETE", &format!("/v1/blocks/{holder_id}"));
        client
            .notion()
            .send(&req, &RetryPolicy::default())
            .map_err(|e| {
                e.hint(format!(
                    "the file was attached, but its placeholder paragraph {} is still on the page",
                    clean(&f.placeholder)
                ))
            })?;
        done += 1;
    }
    Ok(done)
}

fn plain(rt: &Value) -> String {
    rt.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["plain_text"].as_str().or(t["text"]["content"].as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// The top-level blocks of a page.
fn top_blocks(client: &PageClient, page_id: &str) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/blocks/{page_id}/children?page_size=100");
        if let Some(c) = &cursor {
            path = crate::notion::paginate::with_query_cursor(&path, c);
        }
        let v = client.notion().get(&path)?;
        out.extend(v["results"].as_array().cloned().unwrap_or_default());
        match v["next_cursor"].as_str() {
            Some(c) if v["has_more"] == true && !c.is_empty() => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_to_the_file_and_resolve_back() {
        assert_eq!(relative("A.md", "assets/x.png"), "assets/x.png");
        assert_eq!(relative("A/B/B.md", "assets/x.png"), "../../assets/x.png");
        assert_eq!(
            resolve("A/B/B.md", "../../assets/x.png").as_deref(),
            Some("assets/x.png")
        );
        assert_eq!(resolve("A.md", "../x.png"), None);
        assert_eq!(resolve("A.md", "https://e.com/x.png"), None);
        assert_eq!(
            resolve("A.md", "my%20pic.png").as_deref(),
            Some("my pic.png")
        );
    }

    #[test]
    fn known_assets_go_back_to_their_urls_and_new_files_become_placeholders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("diagram.png"), b"png").unwrap();
        let mut map = BTreeMap::new();
        map.insert(
            "http://h/__files/w/1/cat.png".to_string(),
            "assets/ab.png".to_string(),
        );
        let body = "Text\n\n![Cat](assets/ab.png)\n\n![New](diagram.png)\n\n![Gone](missing.png)\n";
        let (out, new) = delocalize(body, "A.md", dir.path(), &map);
        assert!(
            out.contains("![Cat](http://h/__files/w/1/cat.png)"),
            "{out}"
        );
        assert!(out.contains("![Gone](missing.png)"), "{out}");
        assert_eq!(new.len(), 1);
        assert!(
            out.contains(&format!("\n{}\n", new[0].placeholder)),
            "{out}"
        );
        assert_eq!(new[0].caption, "New");
        assert_eq!(block_type(&new[0].path), "image");
    }

    #[test]
    fn asset_links_follow_the_file_and_nothing_else_moves() {
        let t = "![a](assets/0123456789abcdef.png) <pdf src=\"../assets/0123456789abcdef.pdf\"/> assets/nothex and (assets/0123456789abcdef)";
        let down = rebase(t, 2);
        assert_eq!(
            down,
            "![a](../../assets/0123456789abcdef.png) <pdf src=\"../../assets/0123456789abcdef.pdf\"/> assets/nothex and (../../assets/0123456789abcdef)"
        );
        assert_eq!(rebase(&down, 0), rebase(t, 0));
        assert!(rebase(t, 0).starts_with("![a](assets/0123456789abcdef.png) <pdf src=\"assets/"));
    }

    #[test]
    fn extensions_are_short_and_plain() {
        assert_eq!(extension("https://h/a/b/cat.PNG?X-Amz-Signature=1"), ".png");
        assert_eq!(extension("https://h/a/b/noext"), "");
        assert_eq!(extension("https://h/a/b/x.verylongext"), "");
    }
}
