//! Streaming `multipart/form-data` request bodies for file uploads.
//!
//! A part of a file upload is sent as a form with optional text fields (for
//! instance `part_number`) followed by one `file` field. [`Form`] renders the
//! text fields and the `file` part's headers once (the *prefix*) and the closing
//! boundary (the *suffix*); the body is `prefix`, then the file bytes read
//! straight from their source, then `suffix`. Nothing is buffered beyond the
//! HTTP client's own write buffer, so a 20 MiB part costs a few hundred KiB of
//! memory, and the exact `Content-Length` is known up front.
//!
//! Such a body is sent with `Expect: 100-continue` ([`Form::headers`]): a
//! server that refuses the request before reading it (a throttle, an error,
//! a fault) answers without the client pushing megabytes into a closed
//! socket first.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;

pub use super::error::SourceError;

/// A multipart form whose last field is a streamed `file` part.
#[derive(Clone, Debug)]
pub struct Form {
    boundary: String,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
}

impl Form {
    /// A form with the text `fields` (sent first, in order) and a `file` part
    /// named `filename` of type `content_type`, with a fresh random boundary.
    pub fn new(fields: &[(&str, &str)], filename: &str, content_type: &str) -> Form {
        Form::with_boundary(&new_boundary(), fields, filename, content_type)
    }

    /// Like [`Form::new`] with a chosen boundary (for tests).
    pub fn with_boundary(
        boundary: &str,
        fields: &[(&str, &str)],
        filename: &str,
        content_type: &str,
    ) -> Form {
        let mut prefix = Vec::new();
        for (name, value) in fields {
            prefix.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                    quote(name)
                )
                .as_bytes(),
            );
        }
        prefix.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
                 Content-Type: {}\r\n\r\n",
                quote(filename),
                header_safe(content_type)
            )
            .as_bytes(),
        );
        let suffix = format!("\r\n--{boundary}--\r\n").into_bytes();
        Form {
            boundary: boundary.to_string(),
            prefix,
            suffix,
        }
    }

    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The request's `Content-Type` header value.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The request headers of the form (`Content-Type`, `Expect`).
    pub fn headers(&self) -> [(String, String); 2] {
        [
            ("Content-Type".into(), self.content_type()),
            ("Expect".into(), "100-continue".into()),
        ]
    }

    /// The exact body length for a file part of `file_len` bytes.
    pub fn content_length(&self, file_len: u64) -> u64 {
        self.prefix.len() as u64 + file_len + self.suffix.len() as u64
    }

    /// The body: prefix, the bytes of `file`, suffix.
    pub fn body<'a, R: Read + 'a>(&'a self, file: R) -> impl Read + 'a {
        (&self.prefix[..]).chain(file).chain(&self.suffix[..])
    }
}

/// A boundary that cannot be guessed from the content: 32 hex digits from the
/// process's random hasher keys, the clock and a counter.
fn new_boundary() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::from("ntn-");
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Escapes a quoted form-data parameter the way browsers do (HTML spec):
/// `"` → `%22`, CR → `%0D`, LF → `%0A`.
fn quote(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Drops control characters from a header value.
fn header_safe(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(form: &Form, file: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        form.body(file).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn renders_fields_then_the_file_part() {
        let form = Form::with_boundary("XyZ", &[("part_number", "2")], "a.txt", "text/plain");
        let body = render(&form, b"hello");
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            "--XyZ\r\nContent-Disposition: form-data; name=\"part_number\"\r\n\r\n2\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n"
        );
        assert_eq!(form.content_length(5), body.len() as u64);
        assert_eq!(form.content_type(), "multipart/form-data; boundary=XyZ");
    }

    #[test]
    fn quotes_and_newlines_in_names_cannot_break_the_headers() {
        let form = Form::with_boundary("b", &[], "a\"b\r\nc.txt", "text/plain\r\nX: y");
        let text = String::from_utf8(render(&form, b"")).unwrap();
        assert!(text.contains("filename=\"a%22b%0D%0Ac.txt\""), "{text}");
        assert!(text.contains("Content-Type: text/plainX: y\r\n"), "{text}");
    }

    #[test]
    fn boundaries_are_fresh() {
        let a = Form::new(&[], "x", "y");
        let b = Form::new(&[], "x", "y");
        assert_ne!(a.boundary(), b.boundary());
        assert_eq!(a.boundary().len(), 36);
    }
}
