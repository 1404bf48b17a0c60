//! Scrubbing ntn's own token out of text a server sent back: a hostile or
//! careless server may echo the `Authorization` header in an error message,
//! a header or a body, and ntn must not reprint it (on stderr, in `doctor`,
//! in the `-v` log).
//!
//! The token is replaced by [`REDACTED`] as sent and percent-encoded (upper
//! and lower case hex). Tokens shorter than [`MIN_SCRUBBED`] are left alone
//! (real tokens are about 50 characters; replacing a two-letter test token
//! would mangle every message).

use std::borrow::Cow;

use super::ApiError;
use crate::error::Error;
use crate::secrets::Token;

/// What a token is replaced by.
pub const REDACTED: &str = "[REDACTED]";
/// The shortest token that is scrubbed.
pub const MIN_SCRUBBED: usize = 8;

/// The forms of `token` that are looked for.
fn forms(token: &str) -> Vec<String> {
    if token.len() < MIN_SCRUBBED {
        return Vec::new();
    }
    let upper = super::encode(token);
    let lower = lower_hex(&upper);
    let mut forms = vec![token.to_string()];
    for f in [upper, lower] {
        if !forms.contains(&f) {
            forms.push(f);
        }
    }
    forms
}

/// `%2F` → `%2f` (only the escapes).
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let esc = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&esc.to_ascii_lowercase());
        rest = &rest[i + esc.len()..];
    }
    out.push_str(rest);
    out
}

/// `text` with every form of `token` replaced by [`REDACTED`].
pub fn scrub<'a>(text: &'a str, token: &str) -> Cow<'a, str> {
    let forms = forms(token);
    if !forms.iter().any(|f| text.contains(f.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for f in &forms {
        out = out.replace(f.as_str(), REDACTED);
    }
    Cow::Owned(out)
}

/// `bytes` with every form of `token` replaced by [`REDACTED`].
pub fn scrub_bytes<'a>(bytes: &'a [u8], token: &str) -> Cow<'a, [u8]> {
    let forms = forms(token);
    let found = |f: &str| bytes.windows(f.len()).any(|w| w == f.as_bytes());
    if !forms.iter().any(|f| found(f)) {
        return Cow::Borrowed(bytes);
    }
    let mut out = bytes.to_vec();
    for f in &forms {
        let f = f.as_bytes();
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(f) {
                next.extend_from_slice(REDACTED.as_bytes());
                i += f.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    Cow::Owned(out)
}

/// `e` with `token` scrubbed from its message, hint, causes and details, and
/// from the [`ApiError`] it carries (its message and body).
pub fn scrub_error(e: Error, token: &Token) -> Error {
    let t = token.expose();
    if forms(t).is_empty() {
        return e;
    }
    let api = e.data::<ApiError>().map(|a| ApiError {
        message: a.message.as_deref().map(|m| scrub(m, t).into_owned()),
        code: a.code.as_deref().map(|c| scrub(c, t).into_owned()),
        request_id: a.request_id.as_deref().map(|r| scrub(r, t).into_owned()),
        body: scrub_bytes(&a.body, t).into_owned(),
        status: a.status,
    });
    let e = e.map_texts(&|s| scrub(s, t).into_owned());
    match api {
        Some(a) => e.with_data(a),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "ntn_secret/abc+def";

    #[test]
    fn every_form_is_replaced() {
        let text = format!(
            "bad token {T}; as sent: Bearer%20ntn_secret%2Fabc%2Bdef, ntn_secret%2fabc%2bdef"
        );
        let s = scrub(&text, T);
        assert!(!s.contains("ntn_secret"), "{s}");
        assert_eq!(s.matches(REDACTED).count(), 3, "{s}");
        assert_eq!(scrub("nothing here", T), "nothing here");
        let b = scrub_bytes(text.as_bytes(), T);
        assert_eq!(String::from_utf8_lossy(&b), s);
        // Short tokens are left alone.
        assert_eq!(scrub("a t b", "t"), "a t b");
    }

    #[test]
    fn errors_and_their_api_data_are_scrubbed() {
        let resp = super::super::Response {
            status: 400,
            headers: vec![],
            body: format!(r#"{{"code":"x","message":"you sent {T}"}}"#).into_bytes(),
        };
        let e = super::super::error_from_response(&resp)
            .hint(format!("hint {T}"))
            .cause_text(format!("cause {T}"))
            .detail(format!("detail {T}"));
        let e = scrub_error(e, &Token::new(T));
        let mut all = format!(
            "{} {:?} {:?} {:?}",
            e.message(),
            e.hint_text(),
            e.causes(),
            e.details()
        );
        let a = e.data::<ApiError>().unwrap();
        all.push_str(&format!(
            "{:?} {}",
            a.message,
            String::from_utf8_lossy(&a.body)
        ));
        assert!(!all.contains("ntn_secret"), "{all}");
        assert_eq!(a.status, 400);
    }
}
