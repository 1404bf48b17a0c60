//! The file-upload engine: a local file, a pipe or a device sent to Notion's
//! file uploads, in parallel parts, in flat memory.
//!
//! * [`plan`]: how a size is split (Notion: up to 20 MiB is one
//!   `single_part` upload; larger is `multi_part`, 5 to 20 MiB per part (10
//!   MiB here), at most 1000 parts);
//! * [`source`]: where the bytes come from and the one part-source trait
//!   for files and streams; [`sniff`]: what type a file is;
//! * [`send`]: the parallel sender (retries, progress, Ctrl-C);
//! * [`prepare`] then [`upload`]: every local check first (sizes, `--size`,
//!   reading a small pipe, spooling a large one to an unnamed temporary
//!   file), and only then the remote upload: the workspace's limit, create,
//!   send, complete.

use std::fs::File;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::http::RetryPolicy;
use crate::http::retry::{Failure, Replay, Retry};
use crate::notion::Notion;
use crate::output::{Progress, Ui};
use crate::support::Interrupt;
use crate::support::size::human_bytes;

pub mod send;
pub mod sniff;
pub mod source;

pub use send::MAX_ATTEMPTS;
use source::{FileParts, Input, OnePart, StreamParts};

pub use crate::support::size::MIB;
/// Largest `single_part` upload, and largest part.
pub const SINGLE_PART_MAX: u64 = 20 * MIB;
/// Part size of `multi_part` uploads (Notion accepts 5 to 20 MiB).
pub const PART_SIZE: u64 = 10 * MIB;
/// Most parts Notion accepts.
pub const MAX_PARTS: u64 = 1000;

/// How a file of a known size is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Single,
    Multi { part_size: u64, parts: u32 },
}

impl Plan {
    pub fn parts(&self) -> u32 {
        match self {
            Plan::Single => 1,
            Plan::Multi { parts, .. } => *parts,
        }
    }
}

/// The plan for `size` bytes: one part up to 20 MiB, else 10 MiB parts (or
/// larger, whole MiB, when 10 MiB would need more than 1000 parts).
pub fn plan(size: u64) -> Result<Plan> {
    if size <= SINGLE_PART_MAX {
        return Ok(Plan::Single);
    }
    let part_size = PART_SIZE.max(size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB);
    if part_size > SINGLE_PART_MAX {
        return Err(Error::local(format!(
            "{} is too large for a Notion upload (at most {MAX_PARTS} parts of 20 MiB, {})",
            human_bytes(size),
            human_bytes(MAX_PARTS * SINGLE_PART_MAX)
        ))
        .hint("split the file (for instance with `split -b 10G`) and upload the pieces"));
    }
    Ok(Plan::Multi {
        part_size,
        parts: size.div_ceil(part_size) as u32,
    })
}

/// The time an upload of `size` bytes may take unless the caller says: 10
/// minutes, plus 4 seconds per MiB (a link of 256 KiB/s).
pub fn default_timeout(size: u64) -> Duration {
    Duration::from_secs(600 + size.div_ceil(MIB) * 4)
}

/// What the person chose.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The name in Notion (default: the path's file name, else from the type).
    pub filename: Option<String>,
    /// The MIME type (default: from the name, else sniffed).
    pub content_type: Option<String>,
    /// The exact size of a stream (`--size`): it is then streamed, part by
    /// part, instead of read whole or spooled.
    pub size: Option<u64>,
    /// Parts sent at once.
    pub parallel: usize,
}

/// Where the bytes are, once every local check passed.
pub enum Data {
    /// A range of a file (a path, redirected stdin, a spooled pipe).
    File {
        file: File,
        start: u64,
        /// Modification time when opened (None: spooled or a device).
        modified: Option<SystemTime>,
    },
    /// All of it, in memory (a stream of up to 20 MiB).
    Memory(Vec<u8>),
    /// A stream of a stated size, its first part read.
    Stream {
        reader: Box<dyn std::io::Read + Send>,
        first: Vec<u8>,
    },
}

/// An upload ready to be sent: its bytes, size, plan, name and type.
pub struct Prepared {
    pub data: Data,
    pub size: u64,
    pub plan: Plan,
    pub filename: String,
    pub content_type: String,
    /// The path or `stdin`, for messages.
    pub shown: String,
}

/// What a finished upload returns.
#[derive(Debug)]
pub struct Uploaded {
    /// The file upload object.
    pub upload: Value,
    pub id: String,
    pub filename: String,
    pub size: u64,
}

/// Every local step before anything is sent: checks `--size` against what
/// is known, reads a small stream, spools a stream over 20 MiB without
/// `--size` to an unnamed temporary file (with a note on `ui`), reads the
/// first part of a stream of a stated size, and picks the name and type.
pub fn prepare(input: Input, opts: &Options, ui: &Ui, interrupt: &Interrupt) -> Result<Prepared> {
    if let (Some(size), Some(len)) = (opts.size, input.known_len())
        && size != len
    {
        return Err(Error::usage(format!(
            "--size {size} does not match {}, which has {len} bytes",
            input.shown()
        ))
        .hint("--size is only needed for pipes; leave it out for files"));
    }
    let name = input.name().map(str::to_string);
    let shown = input.shown().to_string();
    let read_err = |e: std::io::Error| Error::local(format!("cannot read {shown}")).cause(&e);
    let (data, size, head) = match input {
        Input::File {
            file,
            start,
            len,
            modified,
            ..
        } => {
            let head = source::head(&file, start, len);
            let data = Data::File {
                file,
                start,
                modified,
            };
            (data, len, head)
        }
        Input::Stream { mut reader, .. } => match opts.size {
            Some(size) => {
                let first_len = match plan(size)? {
                    Plan::Single => size + 1,
                    Plan::Multi { part_size, .. } => part_size,
                };
                let first = source::read_chunk(&mut reader, first_len).map_err(read_err)?;
                let got = first.len() as u64;
                if (plan(size)? == Plan::Single && got != size) || got < first_len.min(size) {
                    return Err(source::size_mismatch(&shown, got, size));
                }
                let head = first[..first.len().min(8192)].to_vec();
                (Data::Stream { reader, first }, size, head)
            }
            None => {
                let first =
                    source::read_chunk(&mut reader, SINGLE_PART_MAX + 1).map_err(read_err)?;
                if first.len() as u64 <= SINGLE_PART_MAX {
                    let size = first.len() as u64;
                    let head = first[..first.len().min(8192)].to_vec();
                    (Data::Memory(first), size, head)
                } else {
                    ui.note(format_args!(
                        "{} is larger than 20 MiB and its size is unknown: copying it to a \
                         temporary file first (pass --size BYTES to stream it instead)",
                        crate::output::text::clean(&shown)
                    ));
                    let head = first[..8192].to_vec();
                    let (file, size) = source::spool(&first, &mut reader, &shown, interrupt)?;
                    drop(first);
                    let data = Data::File {
                        file,
                        start: 0,
                        modified: None,
                    };
                    (data, size, head)
                }
            }
        },
    };
    let plan = plan(size)?;
    let (filename, content_type) = name_and_type(opts, name.as_deref(), &head);
    Ok(Prepared {
        data,
        size,
        plan,
        filename,
        content_type,
        shown,
    })
}

/// The name and type of an upload: the options, else the source's name and
/// its extension, else sniffed from the first bytes.
fn name_and_type(opts: &Options, source_name: Option<&str>, head: &[u8]) -> (String, String) {
    let filename = opts
        .filename
        .clone()
        .filter(|f| !f.trim().is_empty())
        .or_else(|| source_name.map(str::to_string));
    let content_type = opts
        .content_type
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            filename
                .as_deref()
                .and_then(sniff::type_for_name)
                .map(str::to_string)
        })
        .unwrap_or_else(|| sniff::sniff(head).to_string());
    let filename = filename.unwrap_or_else(|| sniff::default_name(&content_type));
    (filename, content_type)
}

/// Sends a prepared upload: checks the workspace's upload limit, creates the
/// file upload, sends the parts (`parallel` at a time, progress on `ui`),
/// completes it. Ctrl-C (`interrupt`) stops it with an error saying how many
/// parts were sent.
pub fn upload(
    notion: &Notion,
    prepared: Prepared,
    parallel: usize,
    ui: &Ui,
    interrupt: &Interrupt,
) -> Result<Uploaded> {
    let Prepared {
        data,
        size,
        plan,
        filename,
        content_type,
        shown,
    } = prepared;
    check_limit(notion, size, &filename)?;
    if interrupt.is_raised() {
        return Err(Error::interrupted(
            "interrupted before the upload was created",
        ));
    }
    let id = create(notion, &filename, &content_type, plan)?;
    let progress = Progress::new(ui, &filename, Some(size));
    let sender = send::Sender::new(
        notion,
        &id,
        &filename,
        &content_type,
        plan,
        &progress,
        interrupt,
    );
    let parallel = parallel.min(plan.parts() as usize).max(1);
    let result = match data {
        Data::File {
            file,
            start,
            modified,
        } => {
            let last = sender.send_all(&FileParts::new(&file, start, size, plan), parallel);
            let last = last.and_then(|v| match modified {
                Some(m) => check_unchanged(&file, start + size, m, &shown, &id).map(|_| v),
                None => Ok(v),
            });
            finish(notion, &sender, last, size)
        }
        Data::Memory(bytes) => {
            let last = sender.send_all(&OnePart::new(bytes), parallel);
            finish(notion, &sender, last, size)
        }
        Data::Stream { reader, first } => {
            let parts = StreamParts::new(reader, first, size, plan, &shown);
            finish(notion, &sender, sender.send_all(&parts, parallel), size)
        }
    };
    let upload = result?;
    Ok(Uploaded {
        upload,
        id: id.clone(),
        filename: filename.clone(),
        size,
    })
}

/// Completes a multi-part upload (a single part is complete already).
fn finish(
    notion: &Notion,
    sender: &send::Sender<'_>,
    last: Result<Value>,
    size: u64,
) -> Result<Value> {
    let last = last?;
    if sender.plan == Plan::Single {
        return Ok(last);
    }
    if sender.interrupt.is_raised() {
        return Err(sender.interrupted());
    }
    complete(notion, sender, size)
}

/// Refuses, before anything is sent, a file larger than the workspace's
/// upload limit (when the API reports one).
fn check_limit(notion: &Notion, size: u64, filename: &str) -> Result<()> {
    let me = notion.get("/v1/users/me")?;
    let limit = me["bot"]["workspace_limits"]["max_file_upload_size_in_bytes"]
        .as_u64()
        .filter(|&l| l > 0);
    if let Some(limit) = limit
        && size > limit
    {
        let ws = me["bot"]["workspace_name"]
            .as_str()
            .map(|n| format!("the workspace {:?}", crate::output::text::clean(n)))
            .unwrap_or_else(|| "this workspace".into());
        return Err(Error::local(format!(
            "{} is {} ({size} bytes), larger than the upload limit of {ws}: {} ({limit} bytes)",
            crate::output::text::clean(filename),
            human_bytes(size),
            human_bytes(limit)
        ))
        .hint("upload a smaller file, or raise the limit with a paid Notion plan"));
    }
    Ok(())
}

/// Creates the file upload (`POST /v1/file_uploads`); returns its id.
/// Retried like a read (see the policy below): a replay costs nothing.
fn create(notion: &Notion, filename: &str, content_type: &str, plan: Plan) -> Result<String> {
    let mut body = json!({
        "filename": filename,
        "content_type": content_type,
    });
    match plan {
        Plan::Single => body["mode"] = json!("single_part"),
        Plan::Multi { parts, .. } => {
            body["mode"] = json!("multi_part");
            body["number_of_parts"] = json!(parts);
        }
    }
    // A second, unused upload object is harmless (it expires unattached):
    // creating is safe to replay after a 5xx or a cut.
    let policy = RetryPolicy {
        replay: Replay::Safe,
        ..RetryPolicy::default()
    };
    let created: Value = notion
        .send(
            &notion.request("POST", "/v1/file_uploads").json(&body),
            &policy,
        )?
        .json()?;
    created["id"]
        .as_str()
        .filter(|id| is_id(id))
        .map(str::to_string)
        .ok_or_else(|| Error::api("the server created a file upload without a usable id"))
}

/// Whether `id` is safe to put in a URL path (letters, digits, dashes).
pub fn is_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn check_unchanged(
    file: &File,
    end: u64,
    modified: SystemTime,
    shown: &str,
    id: &str,
) -> Result<()> {
    let now = file.metadata().ok();
    let same = now
        .as_ref()
        .is_some_and(|m| m.len() == end && m.modified().ok() == Some(modified));
    if same {
        Ok(())
    } else {
        Err(Error::local(format!(
            "{shown} changed while it was being uploaded; upload {id} may hold a mix of old and new bytes"
        ))
        .hint("upload it again once nothing is writing to it"))
    }
}

/// `POST /v1/file_uploads/{id}/complete`. Completing twice is harmless (the
/// second answer says it is uploaded, which is checked), so transient
/// failures are retried by the one rule, waiting on the clock.
fn complete(notion: &Notion, sender: &send::Sender<'_>, size: u64) -> Result<Value> {
    let path = format!("/v1/file_uploads/{}/complete", sender.id);
    let client = notion.http().with_interrupt(sender.interrupt.clone());
    let clock = client.clock();
    let policy = RetryPolicy {
        replay: Replay::Safe,
        announce: false,
        ..send::part_policy()
    };
    let mut attempt = 1;
    loop {
        let req = notion.request("POST", &path).json(&json!({}));
        let outcome = client.send_once(&req);
        let (error, retry) = match outcome {
            Ok(resp) if resp.is_success() => return resp.json(),
            Ok(resp) => {
                if attempt > 1
                    && resp.status == 400
                    && let Some(done) = sender.already_uploaded(size)
                {
                    return Ok(done);
                }
                let retry = policy.decide(
                    Failure::Status(resp.status, resp.retry_after()),
                    false,
                    attempt,
                );
                (crate::http::error_from_response(&resp), retry)
            }
            Err(e) => {
                let retry = policy.decide(Failure::Transport(&e), false, attempt);
                (e.error, retry)
            }
        };
        match retry {
            Some(Retry { delay, .. })
                if client
                    .deadline()
                    .is_none_or(|end| clock.now() + delay <= end)
                    && !sender.interrupt.is_raised() =>
            {
                sender.progress.warn(&format!(
                    "completing upload {} failed: {}; retrying in {}",
                    sender.id,
                    error.message(),
                    crate::support::time::short(delay)
                ));
                clock.sleep(delay);
                attempt += 1;
            }
            _ => {
                if sender.interrupt.is_raised() {
                    return Err(sender.interrupted());
                }
                let msg = format!(
                    "completing upload {} failed: {}",
                    sender.id,
                    error.message()
                );
                return Err(Error::new(error.exit_code(), msg).hint(
                    "all parts were sent but the upload was not completed; \
                     run the command again to start a new upload",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_up_to_20_mib_are_one_part() {
        assert_eq!(plan(0).unwrap(), Plan::Single);
        assert_eq!(plan(SINGLE_PART_MAX).unwrap(), Plan::Single);
    }

    #[test]
    fn larger_sizes_use_10_mib_parts_with_a_smaller_last_one() {
        assert_eq!(
            plan(SINGLE_PART_MAX + 1).unwrap(),
            Plan::Multi {
                part_size: PART_SIZE,
                parts: 3
            }
        );
        assert_eq!(
            plan(30 * MIB).unwrap(),
            Plan::Multi {
                part_size: PART_SIZE,
                parts: 3
            }
        );
        assert_eq!(
            plan(1000 * PART_SIZE).unwrap(),
            Plan::Multi {
                part_size: PART_SIZE,
                parts: 1000
            }
        );
    }

    #[test]
    fn huge_files_get_bigger_parts_within_1000() {
        let Plan::Multi { part_size, parts } = plan(1000 * PART_SIZE + 1).unwrap() else {
            panic!()
        };
        assert_eq!(part_size, 11 * MIB);
        assert!(u64::from(parts) <= MAX_PARTS);
        assert!(plan(MAX_PARTS * SINGLE_PART_MAX).is_ok());
        let e = plan(MAX_PARTS * SINGLE_PART_MAX + 1).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
    }
}
