//! What a sync folder holds now: its Markdown files, their hashes and the
//! `notion_id` each carries in its frontmatter.
//!
//! * [`scan`] lists every `*.md` file under the root, except ntn's own
//!   (`.ntn/`, `assets/` at the root, `*.conflict.md`) and hidden ones; links
//!   are never followed. A file that cannot be used (not UTF-8, bad
//!   frontmatter, too large, a link, unreadable) is named in
//!   [`Scan::skipped`] with why: such a path exists but says nothing
//!   trustworthy, so the caller must neither create a page for it nor take
//!   its absence as a deletion. A folder that cannot be listed fails the scan
//!   (its files would look deleted).
//! * [`notion_id_of`], [`set_notion_id`]: the id in a file's frontmatter, read
//!   with [`Document::parse`], and written by editing the text (every other
//!   byte stays as the user wrote it).
//! * [`duplicates`]: one id in two files (a copied file), which sync refuses.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::notion::pages::Document;
use crate::notion::pages::id::normalize;

/// The frontmatter key that ties a file to its page.
pub const ID_KEY: &str = "notion_id";
/// The largest Markdown file read.
pub const MAX_DOC: u64 = 16 * 1024 * 1024;
/// The suffix of the conflict copies sync leaves beside a file.
pub const CONFLICT_SUFFIX: &str = ".conflict.md";

/// A Markdown file of the folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFile {
    /// Relative to the root, with `/`.
    pub rel: String,
    /// sha256 hex of the file's bytes.
    pub bytes_hash: String,
    /// Its frontmatter's `notion_id`, normalised (dashed, lowercase).
    pub notion_id: Option<String>,
    /// Its text (empty when it is not UTF-8).
    pub text: String,
}

/// What [`scan`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// The Markdown files, sorted by `rel`. A file that is not UTF-8 or whose
    /// frontmatter does not parse is here too (with `notion_id: None`) and in
    /// `skipped`.
    pub files: Vec<LocalFile>,
    /// Paths (relative, with `/`) that could not be used, and why; sorted.
    pub skipped: Vec<(String, String)>,
}

impl Scan {
    /// Whether `rel` is among the skipped: present, but not to be acted on.
    pub fn is_skipped(&self, rel: &str) -> bool {
        self.skipped.iter().any(|(r, _)| r == rel)
    }

    /// The usable file at `rel`.
    pub fn file(&self, rel: &str) -> Option<&LocalFile> {
        self.files
            .binary_search_by(|f| f.rel.as_str().cmp(rel))
            .ok()
            .map(|i| &self.files[i])
    }
}

/// sha256 of `bytes`, 64 lowercase hex digits.
pub fn hash(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Lists the folder's Markdown files (see the module's notes).
pub fn scan(root: &Path) -> Result<Scan> {
    let mut out = Scan::default();
    let mut stack: Vec<String> = vec![String::new()];
    while let Some(dir_rel) = stack.pop() {
        let dir = if dir_rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&dir_rel)
        };
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            Error::local(format!("cannot list the folder {}", dir.display()))
                .hint("check its permissions: ntn sync must see every file to tell a deleted one")
                .cause(&e)
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::local(format!("cannot list the folder {}", dir.display())).cause(&e)
            })?;
            let os_name = entry.file_name();
            let join = |name: &str| {
                if dir_rel.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir_rel}/{name}")
                }
            };
            let Some(name) = os_name.to_str() else {
                let shown = join(&os_name.to_string_lossy());
                out.skipped
                    .push((shown, "the name is not UTF-8 text".to_string()));
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            if dir_rel.is_empty() && name.eq_ignore_ascii_case("assets") {
                continue;
            }
            let rel = join(name);
            let ty = entry.file_type().map_err(|e| {
                Error::local(format!("cannot read {}", entry.path().display())).cause(&e)
            })?;
            if ty.is_symlink() {
                out.skipped.push((
                    rel,
                    "a symbolic link (ntn sync does not follow links)".into(),
                ));
                continue;
            }
            if ty.is_dir() {
                stack.push(rel);
                continue;
            }
            if !name.ends_with(".md") || name.ends_with(CONFLICT_SUFFIX) {
                continue;
            }
            if !ty.is_file() {
                out.skipped.push((rel, "not a regular file".into()));
                continue;
            }
            match read_doc(&entry.path()) {
                Ok(bytes) => {
                    let (file, problem) = file_of(rel, bytes);
                    if let Some(why) = problem {
                        out.skipped.push((file.rel.clone(), why));
                    }
                    out.files.push(file);
                }
                Err(why) => out.skipped.push((rel, why)),
            }
        }
    }
    out.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.skipped.sort();
    Ok(out)
}

/// A file from its bytes, and why it cannot be used (if so).
fn file_of(rel: String, bytes: Vec<u8>) -> (LocalFile, Option<String>) {
    let bytes_hash = hash(&bytes);
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            let f = LocalFile {
                rel,
                bytes_hash,
                notion_id: None,
                text: String::new(),
            };
            return (f, Some("not UTF-8 text".into()));
        }
    };
    let (notion_id, problem) = match Document::parse(&text) {
        Err(e) => {
            let mut why = e.message().to_string();
            if let Some(h) = e.hint_text() {
                why = format!("{why} ({h})");
            }
            (None, Some(why))
        }
        Ok(doc) => match doc.get(ID_KEY) {
            None | Some(serde_json::Value::Null) => (None, None),
            Some(serde_json::Value::String(s)) => match normalize(s) {
                Some(id) => (Some(id), None),
                None => (None, Some(format!("`{ID_KEY}` is not a Notion id"))),
            },
            Some(_) => (None, Some(format!("`{ID_KEY}` is not a Notion id"))),
        },
    };
    let f = LocalFile {
        rel,
        bytes_hash,
        notion_id,
        text,
    };
    (f, problem)
}

/// Reads a Markdown file without following a link; at most [`MAX_DOC`] bytes.
/// The error is a reason for [`Scan::skipped`].
fn read_doc(path: &Path) -> std::result::Result<Vec<u8>, String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = opts
        .open(path)
        .map_err(|e| format!("cannot read it: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let too_large = |n: u64| {
        format!(
            "too large ({}, more than the {} ntn sync reads)",
            crate::support::size::human_bytes(n),
            crate::support::size::human_bytes(MAX_DOC)
        )
    };
    if meta.len() > MAX_DOC {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_DOC + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_DOC {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The normalised `notion_id` of a document's frontmatter; `None` without one
/// (or when the frontmatter does not parse or the value is not an id).
pub fn notion_id_of(text: &str) -> Option<String> {
    let doc = Document::parse(text).ok()?;
    match doc.get(ID_KEY)? {
        serde_json::Value::String(s) => normalize(s),
        _ => None,
    }
}

/// `text` with `notion_id: <id>` as the first frontmatter key (an existing
/// top-level `notion_id` line is replaced), or with a new frontmatter block
/// when it has none. Every other byte is kept: the YAML is edited as text,
/// never written anew. A text whose first line is `---` counts as having a
/// frontmatter block; its line ending (`\n` or `\r\n`) is used.
pub fn set_notion_id(text: &str, id: &str) -> String {
    let value = normalize(id).unwrap_or_else(|| {
        // Not an id: still written as a YAML string that reads back as given.
        serde_json::to_string(id).unwrap_or_default()
    });
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let first_end = body.find('\n');
    let first_line = first_end.map(|e| &body[..e]);
    let nl = if first_line.is_some_and(|l| l.ends_with('\r')) {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::with_capacity(text.len() + value.len() + 24);
    out.push_str(bom);
    let (Some(fe), Some(line)) = (first_end, first_line) else {
        return new_block(out, &value, nl, body);
    };
    if line.trim_end() != "---" {
        return new_block(out, &value, nl, body);
    }
    out.push_str(&body[..=fe]);
    out.push_str(&format!("{ID_KEY}: {value}{nl}"));
    let mut in_front = true;
    let mut dropping = false;
    for l in body[fe + 1..].split_inclusive('\n') {
        if in_front {
            let t = l.trim_end();
            if t == "---" || t == "..." {
                in_front = false;
            } else if is_id_line(l) {
                dropping = true;
                continue;
            } else if dropping && (l.starts_with(' ') || l.starts_with('\t')) {
                // The old value's continuation lines.
                continue;
            } else {
                dropping = false;
            }
        }
        out.push_str(l);
    }
    out
}

fn new_block(mut out: String, value: &str, nl: &str, body: &str) -> String {
    out.push_str(&format!("---{nl}{ID_KEY}: {value}{nl}---{nl}"));
    if !body.is_empty() {
        // The blank line after the fence belongs to the frontmatter: the body
        // reads back exactly.
        out.push_str(nl);
        out.push_str(body);
    }
    out
}

/// A top-level `notion_id:` line (the key may be followed by spaces).
fn is_id_line(line: &str) -> bool {
    line.strip_prefix(ID_KEY)
        .map(|r| r.trim_start_matches(' '))
        .is_some_and(|r| r.starts_with(':'))
}

/// Ids found in more than one file, with those files' paths (sorted).
pub fn duplicates(files: &[LocalFile]) -> Vec<(String, Vec<String>)> {
    let mut by_id: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in files {
        if let Some(id) = &f.notion_id {
            by_id.entry(id).or_default().push(f.rel.clone());
        }
    }
    by_id
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(id, mut v)| {
            v.sort();
            (id.to_string(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c";
    const ID2: &str = "ab12cd34-0000-4000-8000-000000000001";

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn scan_lists_markdown_and_skips_what_is_not_the_users() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let with_id = format!("---\nnotion_id: {}\n---\n\nHi\n", ID.replace('-', ""));
        write(root, "A.md", with_id.as_bytes());
        write(root, "Dir/Dir.md", b"# no frontmatter\n");
        write(root, "Dir/Sub/x.md", b"x");
        write(root, "Dir/notes.txt", b"not markdown");
        write(root, "Dir/A.conflict.md", b"conflict copy");
        write(root, ".ntn/objects/x.md", b"ours");
        write(root, "assets/pic.md", b"ours");
        write(
            root,
            "Dir/assets/kept.md",
            b"only the root's assets are ntn's",
        );
        write(root, ".hidden.md", b"hidden");
        write(root, "Dir/.git/HEAD.md", b"hidden folder");
        write(root, "bad-yaml.md", b"---\ntitle: [\n---\n");
        write(root, "bad-id.md", b"---\nnotion_id: nope\n---\n");
        write(root, "binary.md", b"\xff\xfe\x00");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("A.md"), root.join("link.md")).unwrap();
            let outside = tempfile::tempdir().unwrap();
            write(outside.path(), "secret.md", b"outside");
            std::os::unix::fs::symlink(outside.path(), root.join("Linked")).unwrap();
            // The links are listed, not followed.
            let s = scan(root).unwrap();
            assert!(s.is_skipped("link.md"));
            assert!(s.is_skipped("Linked"));
            assert!(s.files.iter().all(|f| !f.rel.starts_with("Linked")));
            std::fs::remove_file(root.join("link.md")).unwrap();
            std::fs::remove_file(root.join("Linked")).unwrap();
        }
        let s = scan(root).unwrap();
        let rels: Vec<&str> = s.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "A.md",
                "Dir/Dir.md",
                "Dir/Sub/x.md",
                "Dir/assets/kept.md",
                "bad-id.md",
                "bad-yaml.md",
                "binary.md"
            ]
        );
        let skipped: Vec<&str> = s.skipped.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(skipped, ["bad-id.md", "bad-yaml.md", "binary.md"]);
        assert!(s.skipped[1].1.contains("YAML"), "{:?}", s.skipped);
        assert!(s.skipped[2].1.contains("UTF-8"), "{:?}", s.skipped);
        let a = s.file("A.md").unwrap();
        assert_eq!(a.notion_id.as_deref(), Some(ID));
        assert_eq!(a.bytes_hash, hash(with_id.as_bytes()));
        assert_eq!(a.text, with_id);
        assert_eq!(s.file("Dir/Dir.md").unwrap().notion_id, None);
        assert!(s.file("bad-yaml.md").unwrap().notion_id.is_none());
    }

    #[test]
    fn scan_skips_files_over_the_bound() {
        let tmp = tempfile::tempdir().unwrap();
        let f = std::fs::File::create(tmp.path().join("big.md")).unwrap();
        f.set_len(MAX_DOC + 1).unwrap();
        let s = scan(tmp.path()).unwrap();
        assert!(s.files.is_empty());
        assert_eq!(s.skipped.len(), 1);
        assert!(s.skipped[0].1.contains("too large"), "{:?}", s.skipped);
        assert!(scan(&tmp.path().join("missing")).is_err());
    }

    #[test]
    fn notion_ids_are_read_normalised() {
        assert_eq!(
            notion_id_of(&format!("---\nnotion_id: {}\n---\n", ID.to_uppercase())).as_deref(),
            Some(ID)
        );
        assert_eq!(notion_id_of("no frontmatter"), None);
        assert_eq!(notion_id_of("---\nnotion_id: 12\n---\n"), None);
        assert_eq!(notion_id_of("---\nnotion_id: [\n---\n"), None);
    }

    #[test]
    fn set_notion_id_keeps_every_other_byte() {
        // An existing frontmatter: the key goes first, nothing else moves.
        let text = "---\ntitle:   \"Odd  spacing\" # a comment\ntags: [a,  b]\n---\n\nBody  \n\n\n";
        let out = set_notion_id(text, &ID.replace('-', ""));
        assert_eq!(out, format!("---\nnotion_id: {ID}\n{}", &text[4..]));
        assert_eq!(notion_id_of(&out).as_deref(), Some(ID));
        // Setting again replaces (no duplicate key), even a folded value.
        let again = set_notion_id(&out, ID2);
        assert_eq!(again, format!("---\nnotion_id: {ID2}\n{}", &text[4..]));
        let folded = format!("---\ntitle: t\nnotion_id:\n  {ID}\nz: 1\n---\nB");
        assert_eq!(
            set_notion_id(&folded, ID2),
            format!("---\nnotion_id: {ID2}\ntitle: t\nz: 1\n---\nB")
        );
        // No frontmatter: a new block, the body reads back exactly.
        for body in ["# Title\n\ntext\n", "\n\nleading blank lines", "", "---"] {
            let out = set_notion_id(body, ID);
            assert!(out.ends_with(body));
            let doc = Document::parse(&out).unwrap();
            assert_eq!(doc.body, body, "{out:?}");
            assert_eq!(notion_id_of(&out).as_deref(), Some(ID));
        }
        // CRLF files and a byte order mark are kept.
        let crlf = "\u{feff}---\r\ntitle: x\r\n---\r\nBody\r\n";
        let out = set_notion_id(crlf, ID);
        assert_eq!(
            out,
            format!("\u{feff}---\r\nnotion_id: {ID}\r\ntitle: x\r\n---\r\nBody\r\n")
        );
        assert_eq!(notion_id_of(&out).as_deref(), Some(ID));
        let out = set_notion_id("Body\r\nmore\r\n", ID);
        assert_eq!(
            out,
            format!("---\r\nnotion_id: {ID}\r\n---\r\n\r\nBody\r\nmore\r\n")
        );
        // A key that only starts like ours stays.
        let out = set_notion_id("---\nnotion_ids: x\n---\n", ID);
        assert!(out.contains("notion_ids: x\n"));
        // The body's own `notion_id:` lines are not the frontmatter's.
        let out = set_notion_id("---\na: 1\n---\nnotion_id: body text\n", ID);
        assert!(out.ends_with("---\nnotion_id: body text\n"), "{out}");
    }

    #[test]
    fn duplicates_are_found() {
        let f = |rel: &str, id: Option<&str>| LocalFile {
            rel: rel.into(),
            bytes_hash: String::new(),
            notion_id: id.map(str::to_string),
            text: String::new(),
        };
        let files = [
            f("b.md", Some(ID)),
            f("a.md", Some(ID)),
            f("c.md", Some(ID2)),
            f("d.md", None),
            f("e.md", None),
        ];
        assert_eq!(
            duplicates(&files),
            vec![(ID.to_string(), vec!["a.md".to_string(), "b.md".to_string()])]
        );
    }
}
