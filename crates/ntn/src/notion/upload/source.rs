//! Where the bytes of an upload come from, and the parts they are cut into.
//!
//! * [`Input`]: what was opened. A regular file (a path, or stdin redirected
//!   from a file) or a block device has a known size and is read by offset;
//!   anything else (a pipe, a FIFO, a character device, a file that reports
//!   size 0 such as `/proc/self/status`) is a stream, read once, to its end.
//! * [`PartSource`]: the one interface the parallel sender reads parts
//!   through. [`FileParts`] hands out ranges of a file (read with `pread`, so
//!   parts are read in parallel and re-read on retry, nothing buffered);
//!   [`StreamParts`] reads a stream part by part, in order, into a buffer
//!   kept until that part is accepted (at most one per worker).
//! * [`spool`]: a stream copied to an unnamed temporary file (created 0600,
//!   never linked into a directory, so it is gone when ntn exits, even on
//!   Ctrl-C or a crash) so it can be sent in parallel parts.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use super::Plan;
use crate::error::{Error, Result};
use crate::http::upload::SourceError;
use crate::support::Interrupt;
use crate::support::size::human_bytes;

/// An opened upload source.
pub enum Input {
    /// Bytes `start..start + len` of a file of known size.
    File {
        file: File,
        start: u64,
        len: u64,
        /// The file name of the path (None for stdin).
        name: Option<String>,
        /// Modification time when opened, to notice a file changed mid-upload
        /// (None for a device).
        modified: Option<SystemTime>,
        /// For messages: the path, or `stdin`.
        shown: String,
    },
    /// A stream of unknown size, read once.
    Stream {
        reader: Box<dyn Read + Send>,
        name: Option<String>,
        shown: String,
    },
}

/// The error of a directory given where a file is expected.
fn directory_error(shown: &str) -> Error {
    Error::local(format!("{shown} is a directory"))
        .hint("upload one file at a time, or make an archive first (tar, zip)")
}

impl Input {
    /// Opens `path` (the caller handles `-` for stdin).
    pub fn open(path: &Path) -> Result<Input> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| {
            // Windows refuses to open a directory as a file (access denied):
            // say what it is, as on Unix, not "check the file's permissions".
            if path.is_dir() {
                return directory_error(&shown);
            }
            let hint = match e.kind() {
                io::ErrorKind::NotFound => "check the path",
                io::ErrorKind::PermissionDenied => "check the file's permissions",
                _ => "check that the file can be read",
            };
            Error::local(format!("cannot open {shown}"))
                .hint(hint)
                .cause(&e)
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty());
        Input::from_file(file, name, shown)
    }

    /// Stdin, given as a file handle of its own: by offset when it is
    /// redirected from a regular file (from its current position), as a
    /// stream otherwise.
    pub fn stdin(file: File) -> Result<Input> {
        Input::from_file(file, None, "stdin".to_string())
    }

    /// A stream handed over as a reader (stdin of an embedding `Ui`).
    pub fn reader(reader: Box<dyn Read + Send>, shown: &str) -> Input {
        Input::Stream {
            reader,
            name: None,
            shown: shown.to_string(),
        }
    }

    fn from_file(mut file: File, name: Option<String>, shown: String) -> Result<Input> {
        let meta = file
            .metadata()
            .map_err(|e| Error::local(format!("cannot read {shown}")).cause(&e))?;
        if meta.is_dir() {
            return Err(directory_error(&shown));
        }
        let pos = file.stream_position().unwrap_or(0);
        // A regular file that reports 0 bytes may still have content (files
        // under /proc): such files are read to their end, as streams.
        if meta.is_file() && meta.len() > 0 {
            return Ok(Input::File {
                len: meta.len().saturating_sub(pos),
                start: pos,
                file,
                name,
                modified: meta.modified().ok(),
                shown,
            });
        }
        if is_block_device(&meta)
            && let Ok(end) = file.seek(SeekFrom::End(0))
            && end > 0
        {
            return Ok(Input::File {
                len: end.saturating_sub(pos),
                start: pos,
                file,
                name,
                modified: None,
                shown,
            });
        }
        Ok(Input::Stream {
            reader: Box::new(file),
            name,
            shown,
        })
    }

    /// The size, when known before reading.
    pub fn known_len(&self) -> Option<u64> {
        match self {
            Input::File { len, .. } => Some(*len),
            Input::Stream { .. } => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Input::File { name, .. } | Input::Stream { name, .. } => name.as_deref(),
        }
    }

    /// The path (or `stdin`), for messages.
    pub fn shown(&self) -> &str {
        match self {
            Input::File { shown, .. } | Input::Stream { shown, .. } => shown,
        }
    }
}

#[cfg(unix)]
fn is_block_device(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_block_device()
}

/// Elsewhere only regular files are read by offset; anything else is a
/// stream.
#[cfg(not(unix))]
fn is_block_device(_: &std::fs::Metadata) -> bool {
    false
}

/// Reads at `offset` without a shared cursor: `pread` on Unix. On Windows,
/// `seek_read`, which also moves the file's cursor; harmless, since every
/// read of an upload source names its offset.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, offset)
    }
}

/// Reads up to `limit` bytes of a stream into a new buffer.
pub fn read_chunk(r: &mut dyn Read, limit: u64) -> io::Result<Vec<u8>> {
    // Exact capacity, so the buffer never doubles past the part size; pages
    // that are never written to cost no memory.
    let mut buf = Vec::with_capacity(limit.min(64 * 1024 * 1024) as usize);
    r.take(limit).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The first bytes of a file range (for sniffing).
pub fn head(file: &File, start: u64, len: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = Range::new(file, start, len.min(8192)).read_to_end(&mut buf);
    buf
}

/// Copies `first` and then the rest of `reader` into an unnamed temporary
/// file (0600, removed by the system when ntn exits however it exits), in
/// constant memory; stops at Ctrl-C. Returns the file and its length.
pub fn spool(
    first: &[u8],
    reader: &mut dyn Read,
    shown: &str,
    interrupt: &Interrupt,
) -> Result<(File, u64)> {
    let cannot = |e: &io::Error| {
        Error::local("cannot create a temporary file to hold the upload")
            .hint("set TMPDIR to a directory with room for the whole upload")
            .cause(e)
    };
    let mut file = tempfile::tempfile().map_err(|e| cannot(&e))?;
    // The library creates it with the umask's mode (0644 under the usual
    // 022): private before a byte is written, whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| cannot(&e))?;
    }
    let full = |e: &io::Error| {
        Error::local(format!(
            "cannot copy {shown} to a temporary file (is the disk full?)"
        ))
        .hint("set TMPDIR to a directory with room for the whole upload, or pass --size BYTES")
        .cause(e)
    };
    file.write_all(first).map_err(|e| full(&e))?;
    let mut total = first.len() as u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        if interrupt.is_raised() {
            return Err(Error::interrupted(format!(
                "interrupted while copying {shown} to a temporary file ({} read); nothing was uploaded",
                human_bytes(total)
            )));
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::local(format!("cannot read {shown}")).cause(&e)),
        };
        file.write_all(&buf[..n]).map_err(|e| full(&e))?;
        total += n as u64;
    }
    file.flush().map_err(|e| full(&e))?;
    Ok((file, total))
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
            match read_at(self.file, &mut buf[..want], self.pos) {
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

/// One part: its number (1-based), length and bytes.
pub struct Part<'a> {
    pub n: u32,
    pub len: u64,
    bytes: Bytes<'a>,
}

enum Bytes<'a> {
    Range { file: &'a File, offset: u64 },
    Memory(Vec<u8>),
}

impl Part<'_> {
    /// The part's bytes from the start (again for each attempt).
    pub fn reader(&self) -> Box<dyn Read + Send + '_> {
        match &self.bytes {
            Bytes::Range { file, offset } => Box::new(Range::new(file, *offset, self.len)),
            Bytes::Memory(v) => Box::new(&v[..]),
        }
    }
}

/// Hands out the parts of an upload, in order, to the sender's workers.
pub trait PartSource: Sync {
    /// The next part, `None` once all were handed out; an error ends the
    /// upload.
    fn next_part(&self) -> Option<Result<Part<'_>>>;
}

/// Offset (from the start of the data) and length of part `n` (1-based).
pub fn part_range(plan: Plan, size: u64, n: u32) -> (u64, u64) {
    let part_size = match plan {
        Plan::Single => size,
        Plan::Multi { part_size, .. } => part_size,
    };
    let off = u64::from(n - 1) * part_size;
    (off, part_size.min(size.saturating_sub(off)))
}

/// The parts of a file range, read by offset.
pub struct FileParts<'a> {
    pub file: &'a File,
    pub start: u64,
    pub size: u64,
    pub plan: Plan,
    next: AtomicU32,
}

impl<'a> FileParts<'a> {
    pub fn new(file: &'a File, start: u64, size: u64, plan: Plan) -> FileParts<'a> {
        FileParts {
            file,
            start,
            size,
            plan,
            next: AtomicU32::new(1),
        }
    }
}

impl PartSource for FileParts<'_> {
    fn next_part(&self) -> Option<Result<Part<'_>>> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        if n > self.plan.parts() {
            return None;
        }
        let (off, len) = part_range(self.plan, self.size, n);
        Some(Ok(Part {
            n,
            len,
            bytes: Bytes::Range {
                file: self.file,
                offset: self.start + off,
            },
        }))
    }
}

/// One part held in memory (a small stream sent as a single part).
pub struct OnePart(Mutex<Option<Vec<u8>>>);

impl OnePart {
    pub fn new(bytes: Vec<u8>) -> OnePart {
        OnePart(Mutex::new(Some(bytes)))
    }
}

impl PartSource for OnePart {
    fn next_part(&self) -> Option<Result<Part<'_>>> {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).take()?;
        Some(Ok(Part {
            n: 1,
            len: bytes.len() as u64,
            bytes: Bytes::Memory(bytes),
        }))
    }
}

/// The parts of a stream of a stated size (`--size`), read in order; the
/// first part was read already (before the upload was created).
pub struct StreamParts {
    state: Mutex<StreamState>,
    size: u64,
    plan: Plan,
    shown: String,
}

struct StreamState {
    reader: Box<dyn Read + Send>,
    first: Option<Vec<u8>>,
    next: u32,
    done: bool,
}

impl StreamParts {
    pub fn new(
        reader: Box<dyn Read + Send>,
        first: Vec<u8>,
        size: u64,
        plan: Plan,
        shown: &str,
    ) -> StreamParts {
        StreamParts {
            state: Mutex::new(StreamState {
                reader,
                first: Some(first),
                next: 1,
                done: false,
            }),
            size,
            plan,
            shown: shown.to_string(),
        }
    }
}

/// The error for a stream that is not the size `--size` said.
pub fn size_mismatch(shown: &str, got: u64, size: u64) -> Error {
    let what = if got < size {
        format!("{shown} ended after {got} bytes but --size says {size}")
    } else {
        format!("{shown} has more than the {size} bytes --size says")
    };
    Error::local(what).hint("pass the exact byte count with --size")
}

impl PartSource for StreamParts {
    fn next_part(&self) -> Option<Result<Part<'_>>> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.done || st.next > self.plan.parts() {
            return None;
        }
        let n = st.next;
        st.next += 1;
        let (off, len) = part_range(self.plan, self.size, n);
        let read = match st.first.take() {
            Some(first) => Ok(first),
            None => read_chunk(&mut st.reader, len),
        };
        let fail = |st: &mut StreamState, e: Error| {
            st.done = true;
            Some(Err(e))
        };
        let buf = match read {
            Ok(b) => b,
            Err(e) => {
                let e = Error::local(format!("cannot read {}", self.shown)).cause(&e);
                return fail(&mut st, e);
            }
        };
        if (buf.len() as u64) < len {
            let e = size_mismatch(&self.shown, off + buf.len() as u64, self.size);
            return fail(&mut st, e);
        }
        if n == self.plan.parts() {
            let mut extra = [0u8; 1];
            match st.reader.read(&mut extra) {
                Ok(0) => {}
                Ok(_) => {
                    let e = size_mismatch(&self.shown, self.size + 1, self.size);
                    return fail(&mut st, e);
                }
                Err(e) => {
                    let e = Error::local(format!("cannot read {}", self.shown)).cause(&e);
                    return fail(&mut st, e);
                }
            }
        }
        Some(Ok(Part {
            n,
            len,
            bytes: Bytes::Memory(buf),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::size::MIB;

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
        let e = Input::open(d.path()).err().unwrap();
        assert!(e.message().contains("is a directory"), "{}", e.message());
        assert!(e.hint_text().unwrap().contains("one file at a time"));
        assert_eq!(e.exit_code().code(), 1);
    }

    #[test]
    fn missing_files_are_local_errors() {
        let e = Input::open(Path::new("/nonexistent/x.bin")).err().unwrap();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.message().contains("/nonexistent/x.bin"));
    }

    // /proc and /dev/null: Linux's.
    #[cfg(target_os = "linux")]
    #[test]
    fn files_that_report_size_0_are_streams_named_by_their_path() {
        let i = Input::open(Path::new("/proc/self/status")).unwrap();
        assert!(i.known_len().is_none());
        assert_eq!(i.shown(), "/proc/self/status");
        assert_eq!(i.name(), Some("status"));
        let i = Input::open(Path::new("/dev/null")).unwrap();
        assert!(matches!(i, Input::Stream { .. }));
    }

    #[test]
    fn file_parts_cover_the_range_once() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&vec![7u8; (25 * MIB) as usize]).unwrap();
        let plan = super::super::plan(25 * MIB).unwrap();
        let parts = FileParts::new(&f, 0, 25 * MIB, plan);
        let mut got = Vec::new();
        while let Some(p) = parts.next_part() {
            let p = p.unwrap();
            let mut n = 0u64;
            let mut r = p.reader();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let k = r.read(&mut buf).unwrap();
                if k == 0 {
                    break;
                }
                n += k as u64;
            }
            got.push((p.n, p.len, n));
        }
        assert_eq!(
            got,
            [
                (1, 10 * MIB, 10 * MIB),
                (2, 10 * MIB, 10 * MIB),
                (3, 5 * MIB, 5 * MIB)
            ]
        );
    }

    #[test]
    fn stream_parts_check_the_stated_size() {
        let size = 21 * MIB;
        let plan = super::super::plan(size).unwrap();
        // One byte short.
        let data = vec![1u8; (size - 1) as usize];
        let mut r: Box<dyn Read + Send> = Box::new(io::Cursor::new(data));
        let first = read_chunk(&mut r, 10 * MIB).unwrap();
        let parts = StreamParts::new(r, first, size, plan, "stdin");
        assert_eq!(parts.next_part().unwrap().unwrap().len, 10 * MIB);
        assert_eq!(parts.next_part().unwrap().unwrap().len, 10 * MIB);
        let e = parts.next_part().unwrap().err().unwrap();
        assert!(e.message().contains("stdin ended after"), "{}", e.message());
        assert!(parts.next_part().is_none());
        // One byte long.
        let data = vec![1u8; (size + 1) as usize];
        let mut r: Box<dyn Read + Send> = Box::new(io::Cursor::new(data));
        let first = read_chunk(&mut r, 10 * MIB).unwrap();
        let parts = StreamParts::new(r, first, size, plan, "/dev/zero");
        parts.next_part().unwrap().unwrap();
        parts.next_part().unwrap().unwrap();
        let e = parts.next_part().unwrap().err().unwrap();
        assert!(
            e.message().contains("/dev/zero has more than"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn spooling_copies_everything_and_stops_at_ctrl_c() {
        let i = Interrupt::manual();
        let data = vec![3u8; 3 * 1024 * 1024 + 5];
        let (mut f, len) = spool(b"head", &mut &data[..], "stdin", &i).unwrap();
        assert_eq!(len, data.len() as u64 + 4);
        let mut back = Vec::new();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut back).unwrap();
        assert_eq!(&back[..4], b"head");
        assert_eq!(&back[4..], &data[..]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = f.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the spool file is private: {mode:o}");
        }
        i.raise();
        let e = spool(b"", &mut &data[..], "stdin", &i).unwrap_err();
        assert_eq!(e.exit_code().code(), 130);
    }
}
