//! Names of files and folders in a sync folder, made from page titles, and the
//! paths the sync state records (relative to the sync root, always with `/`).
//!
//! * [`stem`]: a title as a file or folder name that is safe on Windows, macOS
//!   and Linux (no reserved characters or device names, no hidden files, at
//!   most [`MAX_STEM_BYTES`] bytes).
//! * [`Siblings`]: unique names inside one folder, compared as macOS and
//!   Windows compare them (case-insensitively); a clash takes the first 8 hex
//!   digits of the page id.
//! * [`page_file`], [`owner_file`]: a page without children is `name.md`; a
//!   page with children is a folder `name/` holding `name/name.md` and its
//!   children.
//! * [`rel`], [`abs`]: between paths on disk and the state's relative paths,
//!   refusing anything that would leave the root.
//!
//! Pure: nothing here touches the disk.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The longest stem, in bytes (a clash suffix and `.md` come on top; file
/// systems allow 255).
pub const MAX_STEM_BYTES: usize = 100;

/// The name of a page without a usable title.
pub const UNTITLED: &str = "Untitled";

/// Names at the sync root that belong to ntn: its state and the assets folder.
pub const ROOT_RESERVED: &[&str] = &[super::store::STATE_DIR, "assets"];

/// Characters no file name may hold on one of the three systems.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Windows device names (reserved with or without an extension, in any case).
const DEVICES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "COM¹", "COM²", "COM³", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
    "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// A page title as a file or folder name (without `.md`):
///
/// * `/ \ : * ? " < > |` and control characters (DEL included) become `-`;
/// * runs of white space (tabs and line breaks included) become one space;
/// * leading and trailing spaces and trailing dots are trimmed;
/// * a leading `.` becomes `_` (no hidden files);
/// * a Windows device name (`CON`, `com1.txt`, …) gets `_` after the device
///   part (`CON_`, `com1_.txt`);
/// * `assets` (any case) becomes `assets_` (the root's assets folder), and a
///   name ending in `.conflict` gets `_` (those files are ntn's conflict copies);
/// * at most [`MAX_STEM_BYTES`] bytes, cut on a character boundary;
/// * nothing left: [`UNTITLED`].
pub fn stem(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut space = false;
    for c in title.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if FORBIDDEN.contains(&c) || c.is_control() {
            out.push('-');
        } else {
            out.push(c);
        }
    }
    let mut s = trim(&out).to_string();
    if let Some(rest) = s.strip_prefix('.') {
        s = format!("_{rest}");
    }
    s = fix_device(s);
    let lower = s.to_lowercase();
    if lower == "assets" || lower.ends_with(".conflict") {
        s.push('_');
    }
    if s.len() > MAX_STEM_BYTES {
        let mut cut = MAX_STEM_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s = trim(&s).to_string();
    }
    if s.is_empty() {
        return UNTITLED.to_string();
    }
    s
}

/// Trims spaces on both ends and dots (with spaces among them) at the end.
fn trim(s: &str) -> &str {
    s.trim_start_matches(' ').trim_end_matches([' ', '.'])
}

/// `CON` → `CON_`, `nul.txt` → `nul_.txt`: Windows reserves a device name
/// with any extension (and with spaces before the dot).
fn fix_device(s: String) -> String {
    let end = s.find('.').unwrap_or(s.len());
    let base = s[..end].trim_end_matches(' ');
    if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(base)) {
        let at = base.len();
        return format!("{}_{}", &s[..at], &s[at..]);
    }
    s
}

/// The key two names clash on: macOS and Windows compare names without case.
fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// The names taken in one folder. Existing files keep their names: reserve
/// them first ([`Siblings::reserve`]), then [`Siblings::claim`] a name for
/// each new page.
#[derive(Clone, Debug, Default)]
pub struct Siblings {
    taken: BTreeSet<String>,
}

impl Siblings {
    /// An empty folder.
    pub fn new() -> Siblings {
        Siblings::default()
    }

    /// The sync root: [`ROOT_RESERVED`] names are taken from the start.
    pub fn root() -> Siblings {
        let mut s = Siblings::new();
        for name in ROOT_RESERVED {
            s.reserve(name);
        }
        s
    }

    /// Marks `name` as used (a trailing `.md` is ignored: `a.md` and the
    /// folder `a` are the same name).
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(fold(strip_md(name)));
    }

    /// Whether `name` (without `.md`) is taken.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(&fold(strip_md(name)))
    }

    /// A free name for the page `id`: `stem` itself, or when that is taken
    /// `"{stem} ({first 8 hex digits of id})"` (longer when even that is
    /// taken). The name is then taken.
    pub fn claim(&mut self, stem: &str, id: &str) -> String {
        let hex: String = id
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut candidates = vec![stem.to_string()];
        if hex.len() >= 8 {
            candidates.push(format!("{stem} ({})", &hex[..8]));
        }
        if !hex.is_empty() {
            candidates.push(format!("{stem} ({hex})"));
        }
        for name in candidates {
            if self.taken.insert(fold(&name)) {
                return name;
            }
        }
        let mut n = 2u64;
        loop {
            let name = format!("{stem} ({n})");
            if self.taken.insert(fold(&name)) {
                return name;
            }
            n += 1;
        }
    }
}

fn strip_md(name: &str) -> &str {
    let n = name.len();
    if n > 3 && name.is_char_boundary(n - 3) && name[n - 3..].eq_ignore_ascii_case(".md") {
        &name[..n - 3]
    } else {
        name
    }
}

/// The file of a page named `name` in `folder`: `folder/name.md`, or with
/// children `folder/name/name.md` (the folder holds the page and its children).
pub fn page_file(folder: &Path, name: &str, has_children: bool) -> PathBuf {
    let file = format!("{name}.md");
    if has_children {
        folder.join(name).join(file)
    } else {
        folder.join(file)
    }
}

/// The file of the page that owns the folder `dir`: `dir/<dir's name>.md`.
pub fn owner_file(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!("{name}.md"))
}

/// `path` relative to `root`, with `/` between names. `None` when it is not
/// under `root`, is `root` itself, goes through `..`, or a name is not UTF-8.
pub fn rel(root: &Path, path: &Path) -> Option<String> {
    let tail = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for c in tail.components() {
        match c {
            Component::Normal(n) => {
                let n = n.to_str()?;
                if !name_ok(n) {
                    return None;
                }
                parts.push(n);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// The path on disk of the state's relative path `rel`. `None` for an empty
/// path, an absolute one (`/x`, `C:x`, `\\x`), an empty name (`a//b`, `a/`),
/// `.` or `..`, or a name holding `\` or `:` (separators or drive letters on
/// Windows): anything that could leave the root.
pub fn abs(root: &Path, rel: &str) -> Option<PathBuf> {
    if rel.is_empty() {
        return None;
    }
    let mut out = root.to_path_buf();
    for part in rel.split('/') {
        if !name_ok(part) {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

/// One name of a relative path: not empty, not `.` or `..`, no separator,
/// drive colon or NUL.
fn name_ok(part: &str) -> bool {
    !part.is_empty() && part != "." && part != ".." && !part.contains(['/', '\\', ':', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_replace_forbidden_characters_and_white_space() {
        assert_eq!(stem("a/b\\c:d*e?f\"g<h>i|j"), "a-b-c-d-e-f-g-h-i-j");
        assert_eq!(stem("bell\u{7}del\u{7f}c1\u{85}x"), "bell-del-c1 x");
        assert_eq!(stem("  lots \t of\n\nspace  "), "lots of space");
        assert_eq!(stem("Notes: 2025/01"), "Notes- 2025-01");
    }

    #[test]
    fn stems_trim_dots_and_hide_nothing() {
        assert_eq!(stem("trailing..."), "trailing");
        assert_eq!(stem("dots . . "), "dots");
        assert_eq!(stem(".hidden"), "_hidden");
        assert_eq!(stem("  .env"), "_env");
        assert_eq!(stem(".ntn"), "_ntn");
        assert_eq!(stem("..."), UNTITLED);
        assert_eq!(stem(""), UNTITLED);
        assert_eq!(stem(" \t "), UNTITLED);
        assert_eq!(stem("v1.2"), "v1.2");
    }

    #[test]
    fn stems_avoid_reserved_names() {
        for (title, want) in [
            ("CON", "CON_"),
            ("con", "con_"),
            ("Nul.txt", "Nul_.txt"),
            ("aux.tar.gz", "aux_.tar.gz"),
            ("COM1", "COM1_"),
            ("lpt9.md", "lpt9_.md"),
            ("COM¹", "COM¹_"),
            ("COM10", "COM10"),
            ("CONSOLE", "CONSOLE"),
            ("PRN .x", "PRN_ .x"),
            ("assets", "assets_"),
            ("Assets", "Assets_"),
            ("my assets", "my assets"),
            ("a.conflict", "a.conflict_"),
        ] {
            assert_eq!(stem(title), want, "{title}");
        }
    }

    #[test]
    fn stems_keep_unicode_and_cut_at_100_bytes() {
        assert_eq!(stem("Café ☕ 日本語"), "Café ☕ 日本語");
        let long = "é".repeat(80); // 160 bytes
        let s = stem(&long);
        assert_eq!(s.len(), 100);
        assert_eq!(s, "é".repeat(50));
        // A cut inside a 3-byte character backs off to its start.
        let s = stem(&format!("a{}", "日".repeat(40)));
        assert_eq!(s.len(), 1 + 33 * 3);
        // A cut that ends on spaces or dots is trimmed again.
        let s = stem(&format!("{}. x", "a".repeat(99)));
        assert_eq!(s, "a".repeat(99));
        let s = stem(&format!("{} {}", "a".repeat(99), "b".repeat(10)));
        assert_eq!(s, "a".repeat(99));
    }

    #[test]
    fn siblings_clash_without_case_and_respect_reserved_names() {
        let id = "2f1c6a4e-8b5d-4c1e-9a7b-3d2e1f0a9b8c";
        let other = "AB12CD34-0000-4000-8000-000000000001";
        let mut s = Siblings::new();
        s.reserve("Notes.md");
        assert!(s.is_taken("notes"));
        assert_eq!(s.claim("NOTES", id), "NOTES (2f1c6a4e)");
        assert_eq!(s.claim("Plan", id), "Plan");
        assert_eq!(s.claim("plan", other), "plan (ab12cd34)");
        // Even the suffixed name can be taken.
        assert_eq!(
            s.claim("Plan", other),
            "Plan (ab12cd34000040008000000000000001)"
        );
        let mut s = Siblings::new();
        s.reserve("É");
        assert_eq!(s.claim("é", id), "é (2f1c6a4e)");
        let mut root = Siblings::root();
        assert_eq!(root.claim("ASSETS", id), "ASSETS (2f1c6a4e)");
        assert!(root.is_taken(".ntn"));
    }

    #[test]
    fn page_files_and_owners() {
        let f = Path::new("root").join("Projects");
        assert_eq!(page_file(&f, "A", false), f.join("A.md"));
        assert_eq!(page_file(&f, "A", true), f.join("A").join("A.md"));
        assert_eq!(owner_file(&f.join("A")), f.join("A").join("A.md"));
    }

    #[test]
    fn rel_and_abs_refuse_escapes() {
        let root = Path::new("/sync");
        let p = root.join("a").join("b.md");
        assert_eq!(rel(root, &p).as_deref(), Some("a/b.md"));
        assert_eq!(abs(root, "a/b.md"), Some(p));
        assert_eq!(rel(root, root), None);
        assert_eq!(rel(root, Path::new("/elsewhere/x.md")), None);
        assert_eq!(rel(root, &root.join("..").join("x.md")), None);
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/",
            "./a",
            "a/./b",
            "C:x",
            "c:\\x",
            "a\\..\\x",
            "\\\\server\\x",
            "..",
            "a\0b",
        ] {
            assert_eq!(abs(root, bad), None, "{bad:?}");
        }
        assert_eq!(
            abs(root, "日本/x y.md"),
            Some(root.join("日本").join("x y.md"))
        );
    }
}
