//! Hosted files: their URLs and serving them.
//!
//! The store keeps a hosted file's URL on Notion's S3 host ([`FILE_HOST`]`<path>`); every
//! read (block JSON, page Markdown) shows it on the sandbox's own origin,
//! `http://HOST:PORT/__files/<path>`, signed afresh as an S3 presigned URL (`X-Amz-Date`,
//! `X-Amz-Expires=3600`, a random `X-Amz-Security-Token`, `X-Amz-Signature`): Notion's file
//! URLs are "valid for 1 hour" (`reference/file`). `GET /__files/{*path}` (no Notion auth,
//! as for S3 presigned URLs) answers the bytes while the signature is valid, 403 with S3's
//! XML error otherwise: an uploaded file's bytes (attached through a `file_upload` block),
//! a fixture's hosted file a few deterministic bytes (a 1×1 PNG for `.png`).

use crate::store::{Shared, Store};
use crate::util;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub use crate::markdown::FILE_HOST;

/// The route prefix hosted files are served under.
pub const ROUTE: &str = "/__files/";

/// How long a signed URL is valid, in seconds (Notion: one hour).
pub const EXPIRES_SECS: i64 = 3600;

/// A 1×1 transparent PNG: what a fixture's hosted `.png` serves.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// The stored URL of an uploaded file attached to a block.
pub fn upload_url(ws: &str, upload_id: &str, filename: &str) -> String {
    format!("{FILE_HOST}{ws}/{upload_id}/{}", encode(filename))
}

/// Percent-encode a path segment (unreserved characters kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The path of a hosted URL of this sandbox (after [`FILE_HOST`], or after `/__files/` on
/// an `http(s)` origin), without its query; `None` for any other URL.
pub fn hosted_path(url: &str) -> Option<&str> {
    let rest = match url.strip_prefix(FILE_HOST) {
        Some(r) => r,
        None => {
            let after_scheme = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"))?;
            let slash = after_scheme.find('/')?;
            after_scheme[slash..].strip_prefix(ROUTE)?
        }
    };
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    (!path.is_empty()).then_some(path)
}

/// Whether a URL is a hosted file URL of this sandbox (the S3 host or `…/__files/…`):
/// Notion strips its own signed URLs written back through Markdown.
pub fn is_hosted(url: &str) -> bool {
    hosted_path(url).is_some()
}

/// What reads show hosted URLs with: the origin, the time and the signing secret.
#[derive(Debug, Clone)]
pub struct Signer {
    /// `http://HOST:PORT/__files/`, or [`FILE_HOST`] before the server is bound.
    pub base: String,
    pub now_ms: i64,
    secret: String,
}

impl Default for Signer {
    /// The S3 host at time 0 with an empty secret (for rendering outside a server).
    fn default() -> Self {
        Self {
            base: FILE_HOST.to_string(),
            now_ms: 0,
            secret: String::new(),
        }
    }
}

impl Signer {
    /// The store's origin, clock and secret.
    pub fn of(s: &Store) -> Self {
        Self {
            base: s.files_base().unwrap_or_else(|| FILE_HOST.to_string()),
            now_ms: s.now_ms(),
            secret: s.file_secret.clone(),
        }
    }

    /// A hosted URL on this origin, unsigned; any other URL as it is.
    pub fn unsigned(&self, url: &str) -> String {
        match hosted_path(url) {
            Some(path) => format!("{}{path}", self.base),
            None => url.to_string(),
        }
    }

    /// A hosted URL on this origin with a fresh signature valid for an hour; any other URL
    /// as it is.
    pub fn signed(&self, url: &str) -> String {
        let Some(path) = hosted_path(url) else {
            return url.to_string();
        };
        let date = util::amz_date(self.now_ms);
        let token = util::random_hex(16);
        let sig = signature(&self.secret, path, &date, EXPIRES_SECS, &token);
        format!(
            "{}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={EXPIRES_SECS}&X-Amz-Security-Token={token}&X-Amz-Signature={sig}&X-Amz-SignedHeaders=host",
            self.base
        )
    }

    /// When a URL signed now expires (RFC 3339), for `file.expiry_time`.
    pub fn expiry_time(&self) -> String {
        util::rfc3339(self.now_ms + EXPIRES_SECS * 1000)
    }
}

fn signature(secret: &str, path: &str, date: &str, expires: i64, token: &str) -> String {
    let mut h = Sha256::new();
    for part in [secret, path, date, &expires.to_string(), token] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// S3's XML error answer.
fn s3_error(status: StatusCode, code: &str, message: &str, extra: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>{extra}<RequestId>{}</RequestId></Error>",
        util::html_escape(message),
        util::random_hex(8).to_uppercase()
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// Why a signed URL is refused: S3's error code, message and extra elements (all 403).
#[derive(Debug)]
struct Refusal {
    code: &'static str,
    message: &'static str,
    extra: String,
}

impl Refusal {
    fn denied(message: &'static str) -> Self {
        Self {
            code: "AccessDenied",
            message,
            extra: String::new(),
        }
    }
    fn into_response(self) -> Response {
        s3_error(StatusCode::FORBIDDEN, self.code, self.message, &self.extra)
    }
}

/// Whether a signed URL's query is valid for `path` at `now`.
fn check(q: &HashMap<String, String>, path: &str, secret: &str, now: i64) -> Result<(), Refusal> {
    let denied = || Refusal::denied("Access Denied");
    let (Some(date), Some(expires), Some(sig)) = (
        q.get("X-Amz-Date"),
        q.get("X-Amz-Expires"),
        q.get("X-Amz-Signature"),
    ) else {
        return Err(denied());
    };
    let start = util::parse_amz_date(date).ok_or_else(denied)?;
    let expires: i64 = expires
        .parse()
        .ok()
        .filter(|e| (1..=604_800).contains(e))
        .ok_or_else(denied)?;
    let token = q.get("X-Amz-Security-Token").map_or("", String::as_str);
    if *sig != signature(secret, path, date, expires, token) {
        return Err(Refusal {
            code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match the signature you provided.",
            extra: String::new(),
        });
    }
    let end = start + expires * 1000;
    if now >= end {
        return Err(Refusal {
            extra: format!(
                "<X-Amz-Expires>{expires}</X-Amz-Expires><Expires>{}</Expires><ServerTime>{}</ServerTime>",
                util::rfc3339(end),
                util::rfc3339(now)
            ),
            ..Refusal::denied("Request has expired")
        });
    }
    if now + 15 * 60_000 < start {
        return Err(Refusal::denied("Request is not yet valid"));
    }
    Ok(())
}

/// `GET /__files/{*path}`: the bytes of a hosted file for a valid signed URL.
pub async fn serve(State(st): State<Shared>, req: Request) -> Response {
    let path = req
        .uri()
        .path()
        .strip_prefix(ROUTE)
        .unwrap_or("")
        .to_string();
    let q: HashMap<String, String> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
    let (secret, now) = {
        let s = st.store();
        (s.file_secret.clone(), s.now_ms())
    };
    if let Err(refused) = check(&q, &path, &secret, now) {
        return refused.into_response();
    }
    let no_such_key = || {
        s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            &format!("<Key>{}</Key>", util::html_escape(&path)),
        )
    };
    // `<workspace>/<upload or block id>/<file name>`
    let Some(id) = path.split('/').nth(1).and_then(util::normalize_id) else {
        return no_such_key();
    };
    if let Some(c) = st.uploads.content(&id) {
        let ct = c
            .content_type
            .unwrap_or_else(|| "application/octet-stream".into());
        let mut resp = Response::new(Body::from_stream(stream_files(c.files)));
        let h = resp.headers_mut();
        if let Ok(v) = ct.parse() {
            h.insert(header::CONTENT_TYPE, v);
        }
        h.insert(header::CONTENT_LENGTH, c.length.into());
        return resp;
    }
    let fixture_file = {
        let s = st.store();
        s.blocks.get(&id).is_some_and(|b| {
            let kind = b.data["type"].as_str().unwrap_or("");
            b.data[kind]["url"]
                .as_str()
                .and_then(hosted_path)
                .is_some_and(|p| p == path)
        })
    };
    if !fixture_file {
        return no_such_key();
    }
    if path.to_ascii_lowercase().ends_with(".png") {
        ([(header::CONTENT_TYPE, "image/png")], TINY_PNG).into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            format!("ntn-sandbox hosted file {path}\n"),
        )
            .into_response()
    }
}

/// The bytes of spool files, one after the other, in chunks.
fn stream_files(
    files: std::sync::Arc<Vec<tempfile::TempPath>>,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(
        (files, 0usize, None::<tokio::fs::File>),
        |(files, mut i, mut open)| async move {
            loop {
                if open.is_none() {
                    let path = files.get(i)?;
                    match tokio::fs::File::open(&**path).await {
                        Ok(f) => open = Some(f),
                        Err(e) => return Some((Err(e), (files, usize::MAX - 1, None))),
                    }
                }
                let f = open.as_mut()?;
                let mut buf = vec![0u8; 256 * 1024];
                match f.read(&mut buf).await {
                    Ok(0) => {
                        open = None;
                        i += 1;
                    }
                    Ok(n) => {
                        buf.truncate(n);
                        return Some((Ok(bytes::Bytes::from(buf)), (files, i, open)));
                    }
                    Err(e) => return Some((Err(e), (files, usize::MAX - 1, None))),
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_urls_are_recognised_on_both_origins() {
        let s3 = format!("{FILE_HOST}ws/b/cat.png?X-Amz-Signature=x");
        assert_eq!(hosted_path(&s3), Some("ws/b/cat.png"));
        assert_eq!(
            hosted_path("http://127.0.0.1:5/__files/ws/b/cat.png?X-Amz-Date=1"),
            Some("ws/b/cat.png")
        );
        assert!(!is_hosted("https://example.com/__file/x.png"));
        assert!(!is_hosted("https://example.com/cat.png"));
        assert!(!is_hosted("http://127.0.0.1:5/__files/"));
    }

    #[test]
    fn signatures_check_path_time_and_expiry() {
        let signer = Signer {
            base: "http://h/__files/".into(),
            now_ms: 1_796_644_800_000,
            secret: "s".into(),
        };
        let url = signer.signed(&format!("{FILE_HOST}ws/b/cat.png"));
        assert!(url.starts_with("http://h/__files/ws/b/cat.png?"), "{url}");
        assert_ne!(url, signer.signed(&format!("{FILE_HOST}ws/b/cat.png")));
        let q: HashMap<String, String> =
            serde_urlencoded::from_str(url.split_once('?').unwrap().1).unwrap();
        let now = signer.now_ms;
        assert!(check(&q, "ws/b/cat.png", "s", now + 3_599_000).is_ok());
        for (path, secret, at) in [
            ("ws/b/dog.png", "s", now),
            ("ws/b/cat.png", "t", now),
            ("ws/b/cat.png", "s", now + 3_600_000),
        ] {
            let r = check(&q, path, secret, at).expect_err("refused");
            assert_eq!(r.into_response().status(), StatusCode::FORBIDDEN);
        }
        assert!(check(&HashMap::new(), "ws/b/cat.png", "s", now).is_err());
    }
}
