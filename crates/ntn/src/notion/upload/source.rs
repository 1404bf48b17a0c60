//! Where the bytes of an upload come from: a regular file (a path, or stdin
//! redirected from a file), read by offset so that parts can be read in
//! parallel and re-read on retry without buffering; or a stream (a pipe, a
//! FIFO, a terminal), read once, in order.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::http::upload::SourceError;

/// An opened upload source.
pub enum Source {
    /// A regular file of known size; bytes `start..start + len` are uploaded.
    File {
        file: File,
        start: u64,
        len: u64,
        /// The file name of the path (None for stdin).
        name: Option<String>,
        /// Modification time when opened, to notice a file changed mid-upload.
        modified: Option<SystemTime>,
        /// For messages: the path, or `stdin`.
        shown: String,
    },
    /// A stream of unknown size, read once.
    Stream {
        reader: File,
        name: Option<String>,
        shown: String,
    },
}

impl Source {
    /// Opens `path` (the caller handles `-` for stdin).
    pub fn open(path: &Path) -> Result<Source> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| {
            let hint = match e.kind() {
                io::ErrorKind::NotFound => "check the path",
                io::ErrorKind::PermissionDenied => "check the file's permissions",
                _ => "check that the file can be read",
            };
            Error::local(format!("cannot open {shown}"))
                .hint(hint)
                .cause(&e)
        })?;
        let meta = file
            .metadata()
            .map_err(|e| Error::local(format!("cannot read {shown}")).cause(&e))?;
        if meta.is_dir() {
            return Err(Error::local(format!("{shown} is a directory"))
                .hint("upload one file at a time, or make an archive first (tar, zip)"));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty());
        if meta.is_file() {
            Ok(Source::File {
                file,
                start: 0,
                len: meta.len(),
                name,
                modified: meta.modified().ok(),
                shown,
            })
        } else {
            Ok(Source::Stream {
                reader: file,
                name,
                shown,
            })
        }
    }

    /// Stdin, given as a file handle of its own: by offset when it is
    /// redirected from a regular file (from its current position), as a
    /// stream otherwise.
    pub fn stdin(mut file: File) -> Result<Source> {
        let shown = "stdin".to_string();
        let meta = file
            .metadata()
            .map_err(|e| Error::local("cannot read stdin").cause(&e))?;
        if meta.is_file()
            && let Ok(pos) = file.stream_position()
        {
            return Ok(Source::File {
                len: meta.len().saturating_sub(pos),
                start: pos,
                file,
                name: None,
                modified: meta.modified().ok(),
                shown,
            });
        }
        Ok(Source::Stream {
            reader: file,
            name: None,
            shown,
        })
    }

    /// The size, when known before reading.
    pub fn known_len(&self) -> Option<u64> {
        match self {
            Source::File { len, .. } => Some(*len),
            Source::Stream { .. } => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Source::File { name, .. } | Source::Stream { name, .. } => name.as_deref(),
        }
    }

    pub fn shown(&self) -> &str {
        match self {
            Source::File { shown, .. } | Source::Stream { shown, .. } => shown,
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads up to `limit` bytes of a stream into a new buffer.
pub fn read_chunk(r: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    // Exact capacity, so the buffer never doubles past the part size; pages
    // that are never written to cost no memory.
    let mut buf = Vec::with_capacity(limit);
    r.by_ref().take(limit as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The first bytes of a file range (for sniffing).
pub fn head(file: &File, start: u64, len: u64) -> Vec<u8> {
    let mut buf = vec![0u8; len.min(8192) as usize];
    let mut range = Range::new(file, start, buf.len() as u64);
    let n = read_full(&mut range, &mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// `len` bytes of a file from `offset`, read with `pread` (the file's shared
/// position is never moved, so many ranges can be read at once).
pub struct Range<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl<'a> Range<'a> {
    pub fn new(file: &'a File, offset: u64, len: u64) -> Range<'a> {
        Range {
            file,
            pos: offset,
            end: offset + len,
        }
    }
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        loop {
            match self.file.read_at(&mut buf[..want], self.pos) {
                Ok(0) => {
                    return Err(SourceError::io(
                        "the file got shorter while it was being uploaded",
                    ));
                }
                Ok(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SourceError::io(format!("cannot read the file: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn ranges_read_exactly_their_bytes() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"0123456789").unwrap();
        let mut out = String::new();
        Range::new(&f, 3, 4).read_to_string(&mut out).unwrap();
        assert_eq!(out, "3456");
        assert_eq!(head(&f, 8, 2), b"89");
    }

    #[test]
    fn a_file_that_shrinks_is_an_error_not_short_data() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"0123").unwrap();
        let mut out = Vec::new();
        let err = Range::new(&f, 2, 5).read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
    }

    #[test]
    fn directories_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = Source::open(d.path()).err().unwrap();
        assert!(e.message().contains("is a directory"));
        assert_eq!(e.exit_code().code(), 1);
    }

    #[test]
    fn missing_files_are_local_errors() {
        let e = Source::open(Path::new("/nonexistent/x.bin")).err().unwrap();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.message().contains("/nonexistent/x.bin"));
    }
}
