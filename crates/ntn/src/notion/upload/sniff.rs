//! Content types: from a file name's extension, or sniffed from the first
//! bytes of a stream (a small magic-number table).

/// Fallback type for bytes ntn cannot recognise.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Extension (lower case) → MIME type, for the kinds of files people attach to
/// Notion pages.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("heic", "image/heic"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("ico", "image/vnd.microsoft.icon"),
    ("bmp", "image/bmp"),
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("text", "text/plain"),
    ("log", "text/plain"),
    ("md", "text/markdown"),
    ("markdown", "text/markdown"),
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("xml", "application/xml"),
    ("json", "application/json"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("7z", "application/x-7z-compressed"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("rtf", "application/rtf"),
    ("epub", "application/epub+zip"),
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("avi", "video/x-msvideo"),
    ("mkv", "video/x-matroska"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("wav", "audio/wav"),
    ("ogg", "audio/ogg"),
    ("flac", "audio/flac"),
    ("aac", "audio/aac"),
];

/// The MIME type for a file name's extension, if ntn knows it.
pub fn type_for_name(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| *t)
}

/// The usual extension for a MIME type (the first in the table).
pub fn extension_for_type(content_type: &str) -> Option<&'static str> {
    let base = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    BY_EXTENSION
        .iter()
        .find(|(_, t)| *t == base)
        .map(|(e, _)| *e)
}

/// Guesses the type of a stream from its first bytes: PNG, JPEG, GIF, PDF,
/// ZIP, GZIP, MP4, WebP, JSON and plain text; `application/octet-stream`
/// otherwise.
pub fn sniff(head: &[u8]) -> &'static str {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"PK\x05\x06", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
    ];
    for (magic, t) in MAGIC {
        if head.starts_with(magic) {
            return t;
        }
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return "image/webp";
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"qt  " => "video/quicktime",
            b"M4A " => "audio/mp4",
            _ => "video/mp4",
        };
    }
    if looks_like_text(head) {
        let trimmed = trim_ascii_start(head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head));
        if matches!(trimmed.first(), Some(b'{') | Some(b'['))
            && serde_json::from_slice::<serde::de::IgnoredAny>(head).is_ok()
        {
            return "application/json";
        }
        return "text/plain";
    }
    OCTET_STREAM
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// UTF-8 without NULs or odd control characters (a cut multi-byte character
/// at the end of the sample is fine).
fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    valid
        && !head
            .iter()
            .any(|&c| c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x0c))
}

/// A file name for a stream: `upload.<ext>` from its type, `upload.bin` when
/// the type has no known extension.
pub fn default_name(content_type: &str) -> String {
    let ext = match content_type {
        "text/plain" => "txt",
        "application/json" => "json",
        "image/jpeg" => "jpg",
        t => extension_for_type(t).unwrap_or("bin"),
    };
    format!("upload.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_to_types() {
        assert_eq!(type_for_name("a.PNG"), Some("image/png"));
        assert_eq!(type_for_name("report.final.pdf"), Some("application/pdf"));
        assert_eq!(type_for_name("noext"), None);
        assert_eq!(type_for_name("x.unknown"), None);
    }

    #[test]
    fn sniffs_common_formats() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), "image/png");
        assert_eq!(sniff(b"\xff\xd8\xff\xe0...."), "image/jpeg");
        assert_eq!(sniff(b"GIF89a..."), "image/gif");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"PK\x03\x04...."), "application/zip");
        assert_eq!(sniff(b"\x1f\x8b\x08\x00"), "application/gzip");
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42...."), "video/mp4");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff(b"  {\"a\": [1, 2]}\n"), "application/json");
        assert_eq!(sniff(b"{not json"), "text/plain");
        assert_eq!(sniff("héllo wörld\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"\0\x01\x02\x03"), OCTET_STREAM);
        assert_eq!(sniff(b""), OCTET_STREAM);
    }

    #[test]
    fn a_cut_utf8_character_at_the_end_is_still_text() {
        let s = "aé".as_bytes();
        assert_eq!(sniff(&s[..2]), "text/plain");
    }

    #[test]
    fn names_for_streams() {
        assert_eq!(default_name("image/png"), "upload.png");
        assert_eq!(default_name("image/jpeg"), "upload.jpg");
        assert_eq!(default_name("text/plain"), "upload.txt");
        assert_eq!(default_name(OCTET_STREAM), "upload.bin");
    }
}
