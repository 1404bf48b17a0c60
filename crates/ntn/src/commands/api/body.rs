//! Where the request body comes from: stdin, `-d/--data` or inline inputs
//! (exactly one), and the streamed multipart body of `--file`.
//!
//! Rules:
//! * stdin counts only when it is not a terminal, not a character device
//!   (`/dev/null`) and holds something other than whitespace. A pipe is read to
//!   its end (like curl and gh do); a terminal is never read.
//! * `-d JSON` that is not JSON is a usage error (exit 2): it is an argument.
//!   JSON read from a file (`-d @file`) or stdin that is not JSON is a local
//!   error (exit 1), as the official tool does for bad JSON input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::output::{StdinKind, Ui};

/// A body and where it came from (for messages).
#[derive(Debug)]
pub struct Body {
    pub value: Value,
    pub source: &'static str,
}

/// Reads stdin when it may hold a body: `None` for a terminal, a character
/// device or only whitespace.
pub fn read_stdin_body(ui: &Ui) -> Result<Option<Vec<u8>>> {
    if matches!(ui.stdin_kind(), StdinKind::Terminal | StdinKind::Null) {
        return Ok(None);
    }
    let buf = read_all_stdin(ui)?;
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(Some(buf))
}

fn read_all_stdin(ui: &Ui) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(mut stdin) = ui.take_stdin() {
        stdin
            .read_to_end(&mut buf)
            .map_err(|e| Error::local("cannot read stdin").cause(&e))?;
    }
    Ok(buf)
}

fn parse_json(bytes: &[u8], what: &str, usage: bool) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| {
        let err = Error::local(format!("{what} is not valid JSON: {e}"));
        let err = if usage {
            err.with_code(crate::error::ExitCode::Usage)
        } else {
            err
        };
        err.hint("the body must be one JSON document, e.g. '{\"query\": \"x\"}'")
    })
}

/// Chooses the body from its possible sources; two sources is a usage error.
/// `stdin` is called only when no `-d @-` is given.
pub fn choose(
    ui: &Ui,
    data: Option<&str>,
    inline: Option<Map<String, Value>>,
    stdin: impl FnOnce() -> Result<Option<Vec<u8>>>,
) -> Result<Option<Body>> {
    let mut found: Vec<Body> = Vec::new();
    let data_reads_stdin = data == Some("@-");
    if let Some(d) = data {
        let value = if d == "@-" {
            let buf = read_all_stdin(ui)?;
            parse_json(&buf, "the body read from stdin (-d @-)", false)?
        } else if let Some(path) = d.strip_prefix('@') {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::local(format!("cannot read {path}"))
                    .hint("check the path given to -d @FILE")
                    .cause(&e)
            })?;
            parse_json(&bytes, path, false)?
        } else {
            parse_json(d.as_bytes(), "the -d/--data value", true)?
        };
        found.push(Body {
            value,
            source: "-d/--data",
        });
    }
    if let Some(map) = inline {
        found.push(Body {
            value: Value::Object(map),
            source: "inline inputs",
        });
    }
    if !data_reads_stdin && let Some(bytes) = stdin()? {
        if !found.is_empty() {
            return Err(conflict(found[0].source, "stdin"));
        }
        found.push(Body {
            value: parse_json(&bytes, "the body read from stdin", false)?,
            source: "stdin",
        });
    }
    if found.len() > 1 {
        return Err(conflict(found[0].source, found[1].source));
    }
    Ok(found.pop())
}

fn conflict(a: &str, b: &str) -> Error {
    let mut e = Error::usage(format!(
        "the request body was given twice: by {a} and by {b}"
    ));
    e = if a == "stdin" || b == "stdin" {
        e.hint(
            "give the body one way only; when stdin is not meant as the body, \
             redirect it: ntn api ... < /dev/null",
        )
    } else {
        e.hint("give the body one way only: stdin, -d/--data, or inline inputs")
    };
    e
}

/// A multipart/form-data body with a file part streamed from disk.
#[derive(Debug)]
pub struct Multipart {
    pub boundary: String,
    head: Vec<u8>,
    tail: Vec<u8>,
    pub path: PathBuf,
    file_len: u64,
}

impl Multipart {
    /// Builds the form: the body's fields (strings as they are, other values
    /// as JSON text), then the `file` part.
    pub fn new(path: &Path, fields: Option<&Value>) -> Result<Multipart> {
        let meta = std::fs::metadata(path).map_err(|e| {
            Error::local(format!("cannot read {}", path.display()))
                .hint("check the path given to --file")
                .cause(&e)
        })?;
        if !meta.is_file() {
            return Err(
                Error::local(format!("{} is not a regular file", path.display()))
                    .hint("--file sends one file from disk"),
            );
        }
        let boundary = format!("ntn-{:016x}{:08x}", random_u64(), std::process::id());
        let mut head = Vec::new();
        match fields {
            None => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    write!(
                        head,
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{text}\r\n",
                        quote(k)
                    )
                    .ok();
                }
            }
            Some(_) => {
                return Err(Error::usage(
                    "with --file, the body must be a JSON object (its fields become form fields)",
                ));
            }
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        write!(
            head,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            quote(&name),
            content_type_for(&name)
        )
        .ok();
        let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
        Ok(Multipart {
            boundary,
            head,
            tail,
            path: path.to_path_buf(),
            file_len: meta.len(),
        })
    }

    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.head.len() as u64 + self.file_len + self.tail.len() as u64
    }

    /// Opens the whole body as a reader (the file is read as it is sent).
    pub fn open(&self) -> std::io::Result<(Box<dyn Read + Send + Sync>, Option<u64>)> {
        let file = std::fs::File::open(&self.path)?;
        let reader = std::io::Cursor::new(self.head.clone())
            .chain(file.take(self.file_len))
            .chain(std::io::Cursor::new(self.tail.clone()));
        Ok((Box::new(reader), Some(self.len())))
    }
}

fn quote(s: &str) -> String {
    s.replace(['"', '\r', '\n'], "_")
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// A content type guessed from a file name.
pub fn content_type_for(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_stdin() -> Result<Option<Vec<u8>>> {
        Ok(None)
    }

    fn choose(
        data: Option<&str>,
        inline: Option<Map<String, Value>>,
        stdin: impl FnOnce() -> Result<Option<Vec<u8>>>,
    ) -> Result<Option<Body>> {
        super::choose(&Ui::test().0, data, inline, stdin)
    }

    #[test]
    fn one_source_each() {
        let b = choose(Some(r#"{"a":1}"#), None, no_stdin).unwrap().unwrap();
        assert_eq!(b.value, json!({"a": 1}));
        let mut m = Map::new();
        m.insert("x".into(), json!("y"));
        let b = choose(None, Some(m), no_stdin).unwrap().unwrap();
        assert_eq!(b.value, json!({"x": "y"}));
        let b = choose(None, None, || Ok(Some(b"[1]".to_vec())))
            .unwrap()
            .unwrap();
        assert_eq!(b.value, json!([1]));
        assert!(choose(None, None, no_stdin).unwrap().is_none());
    }

    #[test]
    fn two_sources_is_a_usage_error() {
        let mut m = Map::new();
        m.insert("x".into(), json!("y"));
        let e = choose(Some("{}"), Some(m.clone()), no_stdin).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        let e = choose(None, Some(m), || Ok(Some(b"{}".to_vec()))).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert!(e.message().contains("stdin"));
        let e = choose(Some("{}"), None, || Ok(Some(b"{}".to_vec()))).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
    }

    #[test]
    fn bad_json_exit_codes() {
        assert_eq!(
            choose(Some("{nope"), None, no_stdin)
                .unwrap_err()
                .exit_code()
                .code(),
            2
        );
        assert_eq!(
            choose(None, None, || Ok(Some(b"{nope".to_vec())))
                .unwrap_err()
                .exit_code()
                .code(),
            1
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        std::fs::write(&p, "nope").unwrap();
        let arg = format!("@{}", p.display());
        assert_eq!(
            choose(Some(&arg), None, no_stdin)
                .unwrap_err()
                .exit_code()
                .code(),
            1
        );
        std::fs::write(&p, r#"{"ok":true}"#).unwrap();
        let b = choose(Some(&arg), None, no_stdin).unwrap().unwrap();
        assert_eq!(b.value, json!({"ok": true}));
    }

    #[test]
    fn multipart_streams_the_file_between_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hello").unwrap();
        let m = Multipart::new(&p, Some(&json!({"part_number": "1", "n": 2}))).unwrap();
        let (mut r, len) = m.open().unwrap();
        let mut body = String::new();
        r.read_to_string(&mut body).unwrap();
        assert_eq!(len, Some(body.len() as u64));
        assert!(body.contains("name=\"part_number\"\r\n\r\n1\r\n"));
        assert!(body.contains("name=\"n\"\r\n\r\n2\r\n"));
        assert!(body.contains("filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"));
        assert!(body.ends_with(&format!("--{}--\r\n", m.boundary)));
    }
}
