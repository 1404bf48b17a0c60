//! `ntn files create`: uploads of any size, streamed from the source in
//! constant memory, several parts at once.
//!
//! How bytes travel:
//!
//! * A regular file (a path, or stdin redirected from a file) has a known
//!   size. Up to 20 MiB it is one `single_part` upload; larger files are
//!   `multi_part` with 10 MiB parts (bigger parts when the file would need
//!   more than 1000 of them). Each worker thread reads its part with `pread`
//!   straight into the request body (multipart prefix, the file range, the
//!   closing boundary): no part is ever held in memory, and a retried part is
//!   simply read again.
//! * A stream (a pipe) has no size until it ends, but Notion needs the number
//!   of parts when the upload is created, and temporary copies are off the
//!   table. So ntn reads up to 20 MiB: if the stream ends there it is one
//!   `single_part` upload; if not, the exact size must be given with `--size`
//!   (usage error otherwise). With `--size`, parts are read one after another
//!   into buffers handed to the workers through a rendezvous channel, so at
//!   most `--parallel` + 1 part buffers exist at once; a buffer is kept until
//!   its part is accepted, for retries.
//!
//! Every part is tried up to [`MAX_ATTEMPTS`] times (network errors, 408, 409,
//! 429 and 5xx; honouring `Retry-After`); a part that still fails stops the
//! upload with an error naming the part and the reason (exit 5).

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Api;
use crate::context::Context;
use crate::error::{Error, ExitCode, Result};
use crate::http::upload::{Form, Target, send_streaming, upload_agent};
use crate::http::{RetryPolicy, error_from_response};
use crate::notion::upload::source::{self, Range, Source};
use crate::notion::upload::{MAX_ATTEMPTS, Plan, SINGLE_PART_MAX, plan, sniff};
use crate::output::progress::Counting;
use crate::output::{Format, FormatArgs, Progress};
use crate::support::Interrupt;
use crate::support::size::human_bytes;

/// The long help of `ntn files create`.
pub const CREATE_ABOUT: &str = "Upload a file to Notion and print the file upload's id (with --json, the file \
upload object). Attach it to a page or block with the id afterwards.\n\n\
Where the bytes come from:\n  \
PATH                   a file; `-` means stdin\n  \
(nothing)              stdin, when it is not a terminal\n  \
--external-url URL     Notion imports the file from an https URL; nothing is sent\n\n\
Files up to 20 MiB are sent in one request; larger ones in 10 MiB parts, --parallel at a \
time (default 4), each read straight from the file into the connection: memory stays small \
whatever the size. A part that fails is retried (3 attempts); if it still fails the command \
names the part and the reason and exits 5. Ctrl-C stops the upload, says how many parts \
were sent and exits 130.\n\n\
Pipes: Notion needs the number of parts before the first byte is sent, and ntn never copies \
your data to a temporary file. A pipe of up to 20 MiB just works. For a larger pipe, give its \
exact size with --size BYTES (memory then stays within (--parallel + 1) x 10 MiB); stdin \
redirected from a file (`< file`) needs nothing, its size is known.\n\n\
The name is the path's file name (for stdin `upload.<ext>` from the content) and the type \
comes from the name's extension, else from the first bytes (PNG, JPEG, GIF, WebP, PDF, ZIP, \
GZIP, MP4, JSON, text); --filename and --content-type override both. The size is checked \
against the workspace's upload limit before anything is sent (exit 1 when too large). \
Progress is shown on stderr when it is a terminal.\n\n\
Examples:\n  ntn files create report.pdf\n  ntn files create < video.mp4\n  \
curl -s https://example.com/a.png | ntn files create --filename a.png\n  \
tar c dir | ntn files create --size \"$(tar c dir | wc -c)\" --filename dir.tar\n  \
ntn files create --external-url https://example.com/logo.png --json";

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The file to upload; `-` reads stdin (the default when stdin is not a terminal)
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Let Notion import the file from this https URL instead of sending bytes
    #[arg(long, value_name = "URL", conflicts_with_all = ["path", "size"])]
    pub external_url: Option<String>,
    /// Name of the file in Notion (default: the path's file name)
    #[arg(long, value_name = "NAME")]
    pub filename: Option<String>,
    /// MIME type (default: from the name's extension, else from the content)
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Exact size in bytes of piped stdin; needed for pipes over 20 MiB
    #[arg(long, value_name = "BYTES")]
    pub size: Option<u64>,
    /// How many parts to send at once (1-16)
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=16))]
    pub parallel: u16,
    #[command(flatten)]
    pub format: FormatArgs,
}

pub fn run(ctx: &Context, args: CreateArgs) -> Result<()> {
    if let Some(url) = args.external_url.clone() {
        return external(ctx, &args, &url);
    }
    let stdin = || -> Result<Source> {
        let file = ctx
            .ui
            .stdin_file()
            .ok_or_else(|| Error::local("cannot read stdin"))?;
        Source::stdin(file)
    };
    let source = match &args.path {
        Some(p) if p.as_os_str() == "-" => stdin()?,
        Some(p) => Source::open(p)?,
        None if ctx.ui.stdin_is_tty() => {
            return Err(Error::usage("no file to upload: stdin is a terminal").hint(
                "give a PATH, pipe the data in (`... | ntn files create`), or use --external-url URL",
            ));
        }
        None => stdin()?,
    };
    if let (Some(size), Some(len)) = (args.size, source.known_len())
        && size != len
    {
        return Err(Error::usage(format!(
            "--size {size} does not match {}, which has {len} bytes",
            source.shown()
        ))
        .hint("--size is only needed for pipes; leave it out for files"));
    }
    let api = Api::connect(ctx)?;
    match source {
        Source::File {
            file,
            start,
            len,
            name,
            modified,
            shown,
        } => {
            let head = source::head(&file, start, len);
            let meta = Meta::resolve(&args, name.as_deref(), &head);
            check_limit(&api, len, &meta.filename)?;
            let plan = plan(len)?;
            let up = Uploader::create(&api, &args, &meta, plan, len)?;
            let result = up.send_file(&file, start, len);
            let result = result.and_then(|last| {
                check_unchanged(&file, start + len, modified, &shown, &up.id)?;
                up.finish(last)
            });
            up.done(result, &args.format)
        }
        Source::Stream { reader, name, .. } => upload_stream(&api, &args, reader, name),
    }
}

/// Name and type of the upload.
struct Meta {
    filename: String,
    content_type: String,
}

impl Meta {
    fn resolve(args: &CreateArgs, source_name: Option<&str>, head: &[u8]) -> Meta {
        let filename = args
            .filename
            .clone()
            .filter(|f| !f.trim().is_empty())
            .or_else(|| source_name.map(str::to_string));
        let content_type = args
            .content_type
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| {
                filename
                    .as_deref()
                    .and_then(sniff::type_for_name)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| sniff::sniff(&head[..head.len().min(1024 * 1024)]).to_string());
        let filename = filename.unwrap_or_else(|| sniff::default_name(&content_type));
        Meta {
            filename,
            content_type,
        }
    }
}

/// Refuses, before anything is sent, a file larger than the workspace's
/// upload limit (when the API reports one).
fn check_limit(api: &Api, size: u64, filename: &str) -> Result<()> {
    let me = api.get("/v1/users/me")?;
    let limit = me["bot"]["workspace_limits"]["max_file_upload_size_in_bytes"]
        .as_u64()
        .filter(|&l| l > 0);
    if let Some(limit) = limit
        && size > limit
    {
        let ws = me["bot"]["workspace_name"]
            .as_str()
            .map(|n| format!("the workspace {n:?}"))
            .unwrap_or_else(|| "this workspace".into());
        return Err(Error::local(format!(
            "{filename} is {} ({size} bytes), larger than the upload limit of {ws}: {} ({limit} bytes)",
            human_bytes(size),
            human_bytes(limit)
        ))
        .hint("upload a smaller file, or raise the limit with a paid Notion plan"));
    }
    Ok(())
}

fn check_unchanged(
    file: &File,
    end: u64,
    modified: Option<std::time::SystemTime>,
    shown: &str,
    id: &str,
) -> Result<()> {
    let now = file.metadata().ok();
    let same = now
        .as_ref()
        .is_some_and(|m| m.len() == end && m.modified().ok() == modified);
    if same {
        Ok(())
    } else {
        Err(Error::local(format!(
            "{shown} changed while it was being uploaded; upload {id} may hold a mix of old and new bytes"
        ))
        .hint("upload it again once nothing is writing to it"))
    }
}

/// A pipe: up to 20 MiB without --size, any size (as said) with it.
fn upload_stream(
    api: &Api,
    args: &CreateArgs,
    mut reader: File,
    name: Option<String>,
) -> Result<()> {
    let read_err = |e: std::io::Error| Error::local("cannot read stdin").cause(&e);
    let (first, size) = match args.size {
        None => {
            let first =
                source::read_chunk(&mut reader, SINGLE_PART_MAX as usize + 1).map_err(read_err)?;
            if first.len() as u64 > SINGLE_PART_MAX {
                return Err(Error::usage(
                    "stdin is a pipe larger than 20 MiB: Notion needs its exact size before the upload starts",
                )
                .hint(
                    "pass --size BYTES with the exact byte count, or give the file's path \
                     (or redirect it: `ntn files create < FILE`)",
                ));
            }
            let size = first.len() as u64;
            (first, size)
        }
        Some(size) => {
            let first_len = match plan(size)? {
                Plan::Single => size + 1,
                Plan::Multi { part_size, .. } => part_size,
            };
            let first = source::read_chunk(&mut reader, first_len as usize).map_err(read_err)?;
            (first, size)
        }
    };
    let meta = Meta::resolve(args, name.as_deref(), &first);
    check_limit(api, size, &meta.filename)?;
    let plan = plan(size)?;
    if plan == Plan::Single && first.len() as u64 != size {
        return Err(size_mismatch(first.len() as u64, size, None));
    }
    let up = Uploader::create(api, args, &meta, plan, size)?;
    let result = up
        .send_stream(first, &mut reader, size)
        .and_then(|last| up.finish(last));
    up.done(result, &args.format)
}

fn size_mismatch(got: u64, size: u64, id: Option<&str>) -> Error {
    let what = if got < size {
        format!("stdin ended after {got} bytes but --size says {size}")
    } else {
        format!("stdin has more than the {size} bytes --size says")
    };
    let what = match id {
        Some(id) => format!("{what}; upload {id} was not completed"),
        None => what,
    };
    Error::local(what).hint("pass the exact byte count with --size")
}

/// One upload in progress.
struct Uploader<'a> {
    api: &'a Api,
    agent: ureq::Agent,
    id: String,
    filename: String,
    content_type: String,
    plan: Plan,
    parallel: usize,
    size: u64,
    progress: Progress,
    version: String,
    started: Instant,
    /// Parts accepted by the server so far.
    parts_done: AtomicU32,
    /// Raised by the first Ctrl-C (a second one exits at once).
    interrupt: Interrupt,
}

/// The first failure of a parallel upload; the others stop.
#[derive(Default)]
struct Failure {
    stop: AtomicBool,
    error: Mutex<Option<Error>>,
}

impl Failure {
    fn set(&self, e: Error) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn take(&self) -> Option<Error> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// After the workers: the first failure, else the last part's answer.
    fn outcome<T>(&self, last: Mutex<Option<T>>) -> Result<T> {
        if let Some(e) = self.take() {
            return Err(e);
        }
        last.into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .ok_or_else(|| Error::api("no part was sent"))
    }
}

impl<'a> Uploader<'a> {
    /// Creates the file upload (`POST /v1/file_uploads`).
    fn create(
        api: &'a Api,
        args: &CreateArgs,
        meta: &Meta,
        plan: Plan,
        size: u64,
    ) -> Result<Uploader<'a>> {
        let mut body = json!({
            "filename": meta.filename,
            "content_type": meta.content_type,
        });
        match plan {
            Plan::Single => body["mode"] = json!("single_part"),
            Plan::Multi { parts, .. } => {
                body["mode"] = json!("multi_part");
                body["number_of_parts"] = json!(parts);
            }
        }
        let created = api.post("/v1/file_uploads", &body)?;
        let id = created["id"]
            .as_str()
            .filter(|id| super::check_id(id).is_ok())
            .ok_or_else(|| Error::api("the server created a file upload without a usable id"))?
            .to_string();
        let parallel = usize::from(args.parallel).min(plan.parts() as usize).max(1);
        Ok(Uploader {
            api,
            agent: upload_agent(parallel),
            id,
            filename: meta.filename.clone(),
            content_type: meta.content_type.clone(),
            plan,
            parallel,
            size,
            progress: Progress::new(&api.ui, &meta.filename, Some(size)),
            version: api.version().to_string(),
            started: Instant::now(),
            parts_done: AtomicU32::new(0),
            interrupt: api.interrupt.clone(),
        })
    }

    fn part_size(&self) -> u64 {
        match self.plan {
            Plan::Single => self.size,
            Plan::Multi { part_size, .. } => part_size,
        }
    }

    /// Offset (from the start of the data) and length of part `n` (1-based).
    fn part_range(&self, n: u32) -> (u64, u64) {
        let off = u64::from(n - 1) * self.part_size();
        (off, self.part_size().min(self.size - off))
    }

    /// Sends every part of a regular file, `parallel` at a time, each read
    /// from the file by offset. Returns the last response (the file upload).
    fn send_file(&self, file: &File, start: u64, len: u64) -> Result<Value> {
        debug_assert_eq!(len, self.size);
        let parts = self.plan.parts();
        let next = AtomicU32::new(1);
        let failure = Failure::default();
        let last = Mutex::new(None);
        self.progress.start();
        std::thread::scope(|s| {
            s.spawn(|| self.progress.run_ticker());
            s.spawn(|| self.watch_interrupt());
            let workers: Vec<_> = (0..self.parallel)
                .map(|_| {
                    s.spawn(|| {
                        while !failure.stopped() {
                            let n = next.fetch_add(1, Ordering::SeqCst);
                            if n > parts {
                                break;
                            }
                            let (off, plen) = self.part_range(n);
                            match self.send_part(
                                n,
                                plen,
                                || Range::new(file, start + off, plen),
                                &failure,
                            ) {
                                Ok(v) => *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(v),
                                Err(e) => failure.set(e),
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                let _ = w.join();
            }
            self.progress.finish();
        });
        failure.outcome(last)
    }

    /// Sends a stream: `first` (already read) then the rest of `reader`, part
    /// by part, through a rendezvous channel to the workers.
    fn send_stream(&self, first: Vec<u8>, reader: &mut File, size: u64) -> Result<Value> {
        let parts = self.plan.parts();
        let failure = Failure::default();
        let last = Mutex::new(None);
        let (tx, rx) = mpsc::sync_channel::<(u32, Vec<u8>)>(0);
        let rx = Mutex::new(rx);
        self.progress.start();
        std::thread::scope(|s| {
            s.spawn(|| self.progress.run_ticker());
            s.spawn(|| self.watch_interrupt());
            let workers: Vec<_> = (0..self.parallel)
                .map(|_| {
                    s.spawn(|| {
                        loop {
                            let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                            let Ok((n, buf)) = job else { break };
                            if failure.stopped() {
                                break;
                            }
                            match self.send_part(n, buf.len() as u64, || &buf[..], &failure) {
                                Ok(v) => *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(v),
                                Err(e) => failure.set(e),
                            }
                        }
                    })
                })
                .collect();
            // The producer: this thread reads the parts in order.
            let mut buf = first;
            for n in 1..=parts {
                let (_, plen) = self.part_range(n);
                if n > 1 {
                    match source::read_chunk(reader, plen as usize) {
                        Ok(b) => buf = b,
                        Err(e) => {
                            failure.set(Error::local("cannot read stdin").cause(&e));
                            break;
                        }
                    }
                }
                let got = (n as u64 - 1) * self.part_size() + buf.len() as u64;
                if (buf.len() as u64) < plen {
                    failure.set(size_mismatch(got, size, Some(&self.id)));
                    break;
                }
                if n == parts {
                    let mut extra = [0u8; 1];
                    match source::read_full(reader, &mut extra) {
                        Ok(0) => {}
                        Ok(_) => {
                            failure.set(size_mismatch(size + 1, size, Some(&self.id)));
                            break;
                        }
                        Err(e) => {
                            failure.set(Error::local("cannot read stdin").cause(&e));
                            break;
                        }
                    }
                }
                if failure.stopped() || tx.send((n, std::mem::take(&mut buf))).is_err() {
                    break;
                }
            }
            drop(tx);
            for w in workers {
                let _ = w.join();
            }
            self.progress.finish();
        });
        failure.outcome(last)
    }

    /// Sends part `n` of `len` bytes, reading it afresh from `open()` for each
    /// attempt; retries transient failures.
    fn send_part<R: Read>(
        &self,
        n: u32,
        len: u64,
        mut open: impl FnMut() -> R,
        failure: &Failure,
    ) -> Result<Value> {
        let url = self.api.url(&format!("/v1/file_uploads/{}/send", self.id));
        let number = n.to_string();
        let fields: Vec<(&str, &str)> = match self.plan {
            Plan::Single => vec![],
            Plan::Multi { .. } => vec![("part_number", number.as_str())],
        };
        let headers = [("Notion-Version", self.version.as_str())];
        let target = Target {
            url: &url,
            token: self.api.token(),
            headers: &headers,
            verbose: self.api.verbose,
            ui: &self.api.ui,
        };
        let mut attempt = 1;
        loop {
            let form = Form::new(&fields, &self.filename, &self.content_type);
            let mut body = Counting::new(open(), &self.progress);
            let outcome = send_streaming(&self.agent, &target, &form, &mut body, len);
            let sent = body.count;
            let (error, retry, wait) = match outcome {
                Ok(resp) if resp.is_success() => {
                    self.parts_done.fetch_add(1, Ordering::SeqCst);
                    if self.api.verbose > 0 {
                        self.api.ui.message(format_args!(
                            "part {n} of {} sent ({len} bytes)",
                            self.plan.parts()
                        ));
                    }
                    return resp.json();
                }
                Ok(resp) => {
                    self.progress.sub(sent);
                    if attempt > 1
                        && self.plan == Plan::Single
                        && resp.status == 400
                        && let Some(done) = self.already_uploaded(len)
                    {
                        // An earlier attempt got through before its answer was lost.
                        self.progress.add(len);
                        return Ok(done);
                    }
                    (
                        error_from_response(&resp),
                        retryable_status(resp.status),
                        resp.retry_after(),
                    )
                }
                Err(e) => {
                    self.progress.sub(sent);
                    let local = e.error.exit_code() == ExitCode::Local;
                    (e.error, !local, None)
                }
            };
            if !retry || attempt >= MAX_ATTEMPTS || failure.stopped() {
                return Err(self.part_error(n, attempt, error));
            }
            let delay = wait
                .map(|d| d.min(Duration::from_secs(30)))
                .unwrap_or_else(|| Duration::from_millis(500) * (1 << (attempt - 1)));
            self.progress.warn(&format!(
                "{} failed: {}; retrying in {}",
                self.part_name(n),
                error.message(),
                crate::support::time::short(delay)
            ));
            let until = Instant::now() + delay;
            while Instant::now() < until && !failure.stopped() {
                std::thread::sleep(Duration::from_millis(20).min(until - Instant::now()));
            }
            if failure.stopped() {
                return Err(self.part_error(n, attempt, error));
            }
            attempt += 1;
        }
    }

    fn interrupted(&self) -> bool {
        self.interrupt.is_raised()
    }

    /// On Ctrl-C: clears the bar, says what was left undone, exits 130.
    /// Runs until the parts are all sent.
    fn watch_interrupt(&self) {
        while !self.progress.is_done() {
            if self.interrupted() {
                self.exit_interrupted();
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn exit_interrupted(&self) -> ! {
        self.progress.finish();
        let e = Error::interrupted(format!(
            "interrupted: upload {} was not completed ({} of {} parts sent)",
            self.id,
            self.parts_done.load(Ordering::SeqCst),
            self.plan.parts()
        ))
        .hint("run the command again to start a new upload");
        self.api.ui.error(&e, self.api.verbose > 0);
        let _ = self.api.ui.flush();
        std::process::exit(ExitCode::Interrupted.code());
    }

    fn part_name(&self, n: u32) -> String {
        match self.plan {
            Plan::Single => format!("sending {}", self.filename),
            Plan::Multi { parts, .. } => format!("part {n} of {parts}"),
        }
    }

    fn part_error(&self, n: u32, attempts: u32, error: Error) -> Error {
        let tries = if attempts == 1 {
            String::new()
        } else {
            format!(" after {attempts} attempts")
        };
        let code = match error.exit_code() {
            ExitCode::Local | ExitCode::Auth => error.exit_code(),
            _ => ExitCode::Api,
        };
        let mut e = Error::new(
            code,
            format!(
                "upload {} failed: {}{tries}: {}",
                self.id,
                self.part_name(n),
                error.message()
            ),
        )
        .hint(match error.hint_text() {
            Some(h) => format!("{h}; the upload was not completed, run the command again"),
            None => "the upload was not completed; run the command again to start a new one".into(),
        });
        for c in error.causes() {
            e = e.cause_text(c.clone());
        }
        e
    }

    /// Whether the (single-part) upload is already complete with `len` bytes.
    fn already_uploaded(&self, len: u64) -> Option<Value> {
        let v = self
            .api
            .get(&format!("/v1/file_uploads/{}", self.id))
            .ok()?;
        (v["status"] == "uploaded" && v["content_length"].as_u64() == Some(len)).then_some(v)
    }

    /// Completes a multi-part upload; a single part is complete already.
    fn finish(&self, last: Value) -> Result<Value> {
        if self.interrupted() && self.plan != Plan::Single {
            self.exit_interrupted();
        }
        if self.plan == Plan::Single {
            return Ok(last);
        }
        // Completing twice is harmless (the second answer says it is
        // uploaded, which is checked), so transient failures are retried.
        let path = format!("/v1/file_uploads/{}/complete", self.id);
        let policy = RetryPolicy {
            return_errors: true,
            ..RetryPolicy::default()
        };
        let mut attempt = 1;
        loop {
            let req = self.api.request("POST", &path).json(&json!({}));
            let (error, retry) = match self.api.client().send(&req, &policy) {
                Ok(resp) if resp.is_success() => return resp.json(),
                Ok(resp) => {
                    if attempt > 1
                        && resp.status == 400
                        && let Some(done) = self.already_uploaded(self.size)
                    {
                        return Ok(done);
                    }
                    (error_from_response(&resp), retryable_status(resp.status))
                }
                Err(e) => {
                    let retry = e.exit_code() == ExitCode::Api;
                    (e, retry)
                }
            };
            if !retry || attempt >= MAX_ATTEMPTS {
                let msg = format!("completing upload {} failed: {}", self.id, error.message());
                return Err(Error::new(error.exit_code(), msg).hint(
                    "all parts were sent but the upload was not completed; \
                     run the command again to start a new upload",
                ));
            }
            let delay = Duration::from_millis(500) * (1 << (attempt - 1));
            self.progress.warn(&format!(
                "completing upload {} failed: {}; retrying in {}",
                self.id,
                error.message(),
                crate::support::time::short(delay)
            ));
            std::thread::sleep(delay);
            attempt += 1;
        }
    }

    /// Prints the result.
    fn done(&self, result: Result<Value>, format: &FormatArgs) -> Result<()> {
        let upload = result?;
        let ui = &self.api.ui;
        if ui.stderr_is_tty() {
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            let ok = crate::output::style::OK;
            ui.message(format_args!(
                "{ok}✓{ok:#} Uploaded {} ({}) in {:.1}s, {}/s",
                crate::output::text::clean(&self.filename),
                human_bytes(self.size),
                secs,
                human_bytes((self.size as f64 / secs) as u64)
            ));
        }
        print_result(ui, &upload, &self.id, format)
    }
}

fn print_result(
    ui: &crate::output::Ui,
    upload: &Value,
    id: &str,
    format: &FormatArgs,
) -> Result<()> {
    match format.format() {
        Format::Json => ui.json(upload),
        _ => ui.line(upload["id"].as_str().unwrap_or(id)),
    }
}

/// 408, 409, 429 and 5xx are worth another attempt; other answers are final.
fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// `--external-url`: Notion fetches the file itself.
fn external(ctx: &Context, args: &CreateArgs, url: &str) -> Result<()> {
    let url = url.trim();
    if !url.to_ascii_lowercase().starts_with("https://") || url.len() <= "https://".len() {
        return Err(Error::usage(format!(
            "--external-url must be an https:// URL, not {url:?}"
        ))
        .hint("Notion only imports files from https URLs"));
    }
    let filename = args
        .filename
        .clone()
        .filter(|f| !f.trim().is_empty())
        .or_else(|| {
            let path = url["https://".len()..]
                .split(['?', '#'])
                .next()
                .unwrap_or("");
            path.split_once('/')
                .and_then(|(_, p)| p.rsplit('/').next())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "file".to_string());
    let mut body = json!({
        "mode": "external_url",
        "external_url": url,
        "filename": filename,
    });
    let content_type = args
        .content_type
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| sniff::type_for_name(&filename).map(str::to_string));
    if let Some(t) = content_type {
        body["content_type"] = json!(t);
    }
    let api = Api::connect(ctx)?;
    let upload = api.post("/v1/file_uploads", &body)?;
    let id = upload["id"].as_str().unwrap_or_default().to_string();
    print_result(&ctx.ui, &upload, &id, &args.format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_statuses_are_retried() {
        for s in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 413] {
            assert!(!retryable_status(s), "{s}");
        }
    }
}
