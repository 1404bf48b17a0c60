//! Answers compressed with gzip: every request says `Accept-Encoding: gzip`
//! (unless the caller chose an encoding itself), and a body that comes with
//! `Content-Encoding: gzip` is decompressed as it is read, so streamed
//! answers stay streamed and size limits count the decompressed bytes.
//!
//! ntn decompresses rather than the HTTP library so that the answer's
//! headers stay as they were on the wire (`ntn api -i`, the `-v` log say
//! `content-encoding: gzip`), and so that a corrupt body is an error of its
//! own ([`BadGzip`]) rather than a broken connection.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

/// The `Accept-Encoding` ntn sends.
pub const ACCEPT: &str = "gzip";

/// Whether `headers` already choose an encoding.
pub fn asks_encoding(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("accept-encoding"))
}

/// Whether an answer's body is gzip-compressed: `Content-Encoding: gzip`
/// (or `x-gzip`) on an answer that has a body.
pub fn is_gzip(method: &str, status: u16, headers: &[(String, String)]) -> bool {
    if method.eq_ignore_ascii_case("HEAD") || matches!(status, 204 | 304) {
        return false;
    }
    headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-encoding")
            && matches!(v.trim().to_ascii_lowercase().as_str(), "gzip" | "x-gzip")
    })
}

/// A body that is not valid gzip; carried inside the `io::Error` of a read.
#[derive(Debug)]
pub struct BadGzip(pub String);

impl std::fmt::Display for BadGzip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid gzip data: {}", self.0)
    }
}

impl std::error::Error for BadGzip {}

/// A body as read: as sent, or decompressed.
pub enum Body<R> {
    Plain(R),
    Gzip(Box<MultiGzDecoder<Counted<R>>>),
}

impl<R: Read> Body<R> {
    pub fn new(reader: R, gzip: bool) -> Body<R> {
        if gzip {
            Body::Gzip(Box::new(MultiGzDecoder::new(Counted {
                inner: reader,
                read: 0,
            })))
        } else {
            Body::Plain(reader)
        }
    }
}

impl<R: Read> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Plain(r) => r.read(buf),
            Body::Gzip(d) => match d.read(buf) {
                // An empty body is an empty answer, whatever its header says.
                Err(e) if d.get_ref().read == 0 && e.kind() == io::ErrorKind::UnexpectedEof => {
                    Ok(0)
                }
                // The decoder's own complaints. Errors of the connection
                // underneath (a body cut short among them) pass through as
                // they are.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
                    ) =>
                {
                    Err(io::Error::other(BadGzip(e.to_string())))
                }
                other => other,
            },
        }
    }
}

/// A reader that counts the (compressed) bytes it passed on.
pub struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read(body: &[u8], gzip: bool) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Body::new(body, gzip).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn gzip_bodies_are_decompressed_and_others_pass_as_they_are() {
        let text = br#"{"object":"list","results":[]}"#.repeat(100);
        assert_eq!(read(&gz(&text), true).unwrap(), text);
        assert_eq!(read(&text, false).unwrap(), text);
        // Two members, as `cat a.gz b.gz` makes.
        let two = [gz(b"ab"), gz(b"cd")].concat();
        assert_eq!(read(&two, true).unwrap(), b"abcd");
        assert_eq!(read(b"", true).unwrap(), b"");
    }

    #[test]
    fn a_corrupt_body_is_bad_gzip_and_a_short_one_a_short_read() {
        let e = read(b"not gzip at all", true).unwrap_err();
        assert!(e.get_ref().is_some_and(|r| r.is::<BadGzip>()), "{e:?}");
        let mut flipped = gz(&[b'x'; 1000]);
        let n = flipped.len();
        flipped[n - 6] ^= 0xff; // the CRC
        let e = read(&flipped, true).unwrap_err();
        assert!(e.get_ref().is_some_and(|r| r.is::<BadGzip>()), "{e:?}");
        let e = read(&gz(&[b'x'; 1000])[..12], true).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e:?}");
    }

    #[test]
    fn which_answers_are_compressed() {
        let h = |v: &str| vec![("Content-Encoding".to_string(), v.to_string())];
        assert!(is_gzip("GET", 200, &h("gzip")));
        assert!(is_gzip("POST", 400, &h(" GZIP ")));
        assert!(is_gzip("GET", 200, &h("x-gzip")));
        assert!(!is_gzip("GET", 200, &h("br")));
        assert!(!is_gzip("HEAD", 200, &h("gzip")));
        assert!(!is_gzip("GET", 204, &h("gzip")));
        assert!(!is_gzip("GET", 200, &[]));
        assert!(asks_encoding(&[(
            "accept-encoding".into(),
            "identity".into()
        )]));
        assert!(!asks_encoding(&[(
            "Accept".into(),
            "application/json".into()
        )]));
    }
}
