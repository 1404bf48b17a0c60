//! The parallel sender: `--parallel` workers take parts from a
//! [`PartSource`] and send each as a multipart form to
//! `/v1/file_uploads/{id}/send`, each worker on connections of its own.
//!
//! * A part that fails is sent again by the one retry rule
//!   ([`RetryPolicy::decide`], with [`Replay::Safe`]: a part sent twice
//!   replaces itself), after a wait on the injected clock, within the
//!   client's deadline. The first part that fails for good stops the others.
//! * Progress counts the bytes handed to the connection, and takes them back
//!   when an attempt fails.
//! * Ctrl-C stops the workers at once: the part bodies being read stop, the
//!   connections are shut down, and waits end; the error says how many parts
//!   were sent.

use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::Plan;
use super::source::{Part, PartSource};
use crate::error::{Error, ExitCode, Result};
use crate::http::retry::{Failure, Replay, Retry};
use crate::http::upload::Form;
use crate::http::{self, Limit, RetryPolicy};
use crate::notion::Notion;
use crate::output::Progress;
use crate::support::{Clock, Interrupt, time};

/// Attempts per part when the failure may heal (the connection, a server
/// error); throttles (429) are waited out more often.
pub const MAX_ATTEMPTS: u32 = 3;

/// The retry rule for parts.
pub fn part_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_transport_attempts: MAX_ATTEMPTS,
        max_wait: Duration::from_secs(3600),
        replay: Replay::Safe,
        announce: false,
        ..RetryPolicy::default()
    }
}

/// An upload whose parts are being sent.
pub struct Sender<'a> {
    pub notion: &'a Notion,
    pub id: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub plan: Plan,
    pub progress: &'a Progress,
    pub interrupt: &'a Interrupt,
    policy: RetryPolicy,
    sent: AtomicU32,
    stop: AtomicBool,
    failure: Mutex<Option<Error>>,
}

impl<'a> Sender<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        notion: &'a Notion,
        id: &'a str,
        filename: &'a str,
        content_type: &'a str,
        plan: Plan,
        progress: &'a Progress,
        interrupt: &'a Interrupt,
    ) -> Sender<'a> {
        Sender {
            notion,
            id,
            filename,
            content_type,
            plan,
            progress,
            interrupt,
            policy: part_policy(),
            sent: AtomicU32::new(0),
            stop: AtomicBool::new(false),
            failure: Mutex::new(None),
        }
    }

    /// Parts accepted by the server so far.
    pub fn parts_sent(&self) -> u32 {
        self.sent.load(Ordering::SeqCst)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.interrupt.is_raised()
    }

    fn fail(&self, e: Error) {
        let mut slot = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Sends every part of `source`, `parallel` at a time. Returns the
    /// answer to the last part (the file upload object).
    pub fn send_all(&self, source: &dyn PartSource, parallel: usize) -> Result<Value> {
        let last: Mutex<Option<Value>> = Mutex::new(None);
        self.progress.start();
        std::thread::scope(|s| {
            s.spawn(|| self.progress.run_ticker());
            let workers: Vec<_> = (0..parallel.max(1))
                .map(|_| {
                    s.spawn(|| {
                        let client = self
                            .notion
                            .http()
                            .fork()
                            .with_interrupt(self.interrupt.clone());
                        while !self.stopped() {
                            let part = match source.next_part() {
                                None => break,
                                Some(Err(e)) => {
                                    self.fail(self.source_error(e));
                                    break;
                                }
                                Some(Ok(p)) => p,
                            };
                            match self.send_part(&client, &part) {
                                Ok(v) => *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(v),
                                Err(e) => self.fail(e),
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
        if self.interrupt.is_raised() {
            return Err(self.interrupted());
        }
        if let Some(e) = self
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(e);
        }
        last.into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .ok_or_else(|| Error::api("no part was sent"))
    }

    /// The error for Ctrl-C: what was left undone.
    pub fn interrupted(&self) -> Error {
        Error::interrupted(format!(
            "interrupted: upload {} was not completed ({} of {} parts sent)",
            self.id,
            self.parts_sent(),
            self.plan.parts()
        ))
        .hint("run the command again to start a new upload")
    }

    fn source_error(&self, e: Error) -> Error {
        let mut out = Error::new(
            e.exit_code(),
            format!("{}; upload {} was not completed", e.message(), self.id),
        );
        if let Some(h) = e.hint_text() {
            out = out.hint(h.to_string());
        }
        for c in e.causes() {
            out = out.cause_text(c.clone());
        }
        out
    }

    fn part_name(&self, n: u32) -> String {
        match self.plan {
            Plan::Single => format!("sending {}", crate::output::text::clean(self.filename)),
            Plan::Multi { parts, .. } => format!("part {n} of {parts}"),
        }
    }

    /// Sends one part, again after transient failures.
    fn send_part(&self, client: &http::Client, part: &Part<'_>) -> Result<Value> {
        let path = format!("/v1/file_uploads/{}/send", self.id);
        let number = part.n.to_string();
        let fields: Vec<(&str, &str)> = match self.plan {
            Plan::Single => vec![],
            Plan::Multi { .. } => vec![("part_number", number.as_str())],
        };
        let clock = client.clock();
        let mut attempt = 1;
        loop {
            if self.stopped() {
                return Err(Error::interrupted("stopped"));
            }
            let form = Form::new(&fields, self.filename, self.content_type);
            let mut req = self.notion.request("POST", &path);
            req.headers.extend(form.headers());
            let sent = AtomicU64::new(0);
            let mut open = || -> io::Result<(Box<dyn Read + Send + '_>, Option<u64>)> {
                self.progress.sub(sent.swap(0, Ordering::SeqCst));
                let body = Counted {
                    inner: part.reader(),
                    progress: self.progress,
                    sent: &sent,
                    interrupt: self.interrupt,
                };
                Ok((
                    Box::new(form.body(body)),
                    Some(form.content_length(part.len)),
                ))
            };
            let outcome = client
                .start_with_body(&req, Some(&mut open))
                .and_then(|r| r.read_all(1024 * 1024));
            let (error, retry) = match outcome {
                Ok(resp) if resp.is_success() => {
                    self.sent.fetch_add(1, Ordering::SeqCst);
                    if client.verbose() > 0 {
                        client.ui().message(format_args!(
                            "part {} of {} sent ({} bytes)",
                            part.n,
                            self.plan.parts(),
                            part.len
                        ));
                    }
                    return resp.json();
                }
                Ok(resp) => {
                    self.progress.sub(sent.swap(0, Ordering::SeqCst));
                    if attempt > 1
                        && self.plan == Plan::Single
                        && resp.status == 400
                        && let Some(done) = self.already_uploaded(part.len)
                    {
                        // An earlier attempt got through before its answer was lost.
                        self.progress.add(part.len);
                        return Ok(done);
                    }
                    let retry = self.policy.decide(
                        Failure::Status(resp.status, resp.retry_after()),
                        false,
                        attempt,
                    );
                    (http::error_from_response(&resp), retry)
                }
                Err(e) => {
                    self.progress.sub(sent.swap(0, Ordering::SeqCst));
                    if self.interrupt.is_raised()
                        || e.error.data::<Limit>() == Some(&Limit::Interrupted)
                    {
                        return Err(Error::interrupted("interrupted"));
                    }
                    let retry = self.policy.decide(Failure::Transport(&e), false, attempt);
                    (e.error, retry)
                }
            };
            let Some(Retry { delay, .. }) = retry else {
                return Err(self.part_error(part.n, attempt, error));
            };
            if client
                .deadline()
                .is_some_and(|end| clock.now() + delay > end)
            {
                return Err(self.part_error(part.n, attempt, error));
            }
            if self.stopped() {
                return Err(self.part_error(part.n, attempt, error));
            }
            self.progress.warn(&format!(
                "{} failed: {}; retrying in {}",
                self.part_name(part.n),
                error.message(),
                time::short(delay)
            ));
            if !self.wait(clock, delay) {
                return Err(self.part_error(part.n, attempt, error));
            }
            attempt += 1;
        }
    }

    /// Waits `delay` on the clock, in short steps so that a stop or Ctrl-C
    /// ends the wait; false when stopped.
    fn wait(&self, clock: &dyn Clock, delay: Duration) -> bool {
        let until = clock.now() + delay;
        loop {
            if self.stopped() {
                return false;
            }
            let now = clock.now();
            if now >= until {
                return true;
            }
            clock.sleep((until - now).min(Duration::from_millis(50)));
        }
    }

    fn part_error(&self, n: u32, attempts: u32, error: Error) -> Error {
        let tries = if attempts == 1 {
            String::new()
        } else {
            format!(" after {attempts} attempts")
        };
        let code = match error.exit_code() {
            ExitCode::Local | ExitCode::Auth | ExitCode::Interrupted => error.exit_code(),
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
        if let Some(limit) = error.data::<Limit>() {
            e = e.with_data(*limit);
        }
        e
    }

    /// Whether the (single-part) upload is already complete with `len` bytes.
    pub fn already_uploaded(&self, len: u64) -> Option<Value> {
        let v = self
            .notion
            .get(&format!("/v1/file_uploads/{}", self.id))
            .ok()?;
        (v["status"] == "uploaded" && v["content_length"].as_u64() == Some(len)).then_some(v)
    }
}

/// A part's bytes on their way out: counted for progress (and for taking
/// them back if the attempt fails), stopped by Ctrl-C.
struct Counted<'a, R> {
    inner: R,
    progress: &'a Progress,
    sent: &'a AtomicU64,
    interrupt: &'a Interrupt,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.interrupt.is_raised() {
            return Err(io::Error::other(Limit::Interrupted));
        }
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        self.sent.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}
