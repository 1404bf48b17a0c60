//! The one retry policy: when a request is sent again, and how long ntn
//! waits (on the injected clock).
//!
//! * 429: the server refused before doing any work, so any request, a POST
//!   too, is sent again: wait for `Retry-After` (or a backoff) while the total
//!   wait stays within the budget.
//! * 503 and 529 are *not* refusals before work: Notion's status-code page
//!   says a 503 may come after up to 60 s of processing. They are waited out
//!   like a 429 only when a replay is safe (the method is idempotent, or the
//!   caller says the operation is: see [`Replay`]).
//! * 502, 504 and broken connections: sent again with backoff only when a
//!   replay is safe, or when the connection failed before any byte of the
//!   request was sent (refused, unresolved, connect timeout); and only a few
//!   times (a refused connection rarely heals in seconds, and a person is
//!   waiting). 408, 409 and 500 too, when the caller says the operation is
//!   idempotent ([`Replay::Safe`]: a file part, a login poll, a query).
//! * Everything else is final: a POST, PATCH or DELETE that may have been
//!   processed is never replayed; its error says so
//!   ([`crate::error::Error::may_have_applied`]); a usage or local problem (a
//!   bad header, an unreadable body), Ctrl-C or a passed deadline is never
//!   retried.
//!
//! [`RetryPolicy::decide`] is the decision; the request loops here, the login
//! poll and the upload sender all use it. A policy may carry a [`Gate`]: it is
//! told before each attempt (and may wait) and after it (how it went), which is
//! how the Notion layer's pacer spaces bulk work under a rate limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    ApiError, Client, MAX_BODY, OpenBody, Request, Response, SendError, Streamed,
    error_from_response,
};
use crate::error::{Error, Result};
use crate::support::time;

/// Whether a request may be sent again after it may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// When its method is idempotent (GET, HEAD, OPTIONS, PUT, DELETE).
    ByMethod,
    /// Always: the caller knows the operation is idempotent (a file part sent
    /// twice replaces itself; polling a login asks the same question).
    Safe,
}

/// Something that spaces attempts and hears how they went (the Notion layer's
/// pacer). Waits go through the gate's own clock.
pub trait Gate: Send + Sync + std::fmt::Debug {
    /// Before each attempt (retries included); may wait.
    fn before(&self);
    /// After each attempt: the status (`None`: no answer) and `Retry-After`.
    fn after(&self, status: Option<u16>, retry_after: Option<Duration>);
}

/// How persistent a request is.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retries).
    pub max_attempts: u32,
    /// Attempts in all when the failure is the connection, a timeout or a
    /// server error (not a throttle), never more than `max_attempts`.
    pub max_transport_attempts: u32,
    /// Total time ntn may spend waiting between attempts.
    pub max_wait: Duration,
    /// First backoff delay; doubles each time.
    pub base_delay: Duration,
    /// Longest backoff delay (`Retry-After` is honoured up to `max_wait`).
    pub max_delay: Duration,
    /// Whether to print "retrying in ..." notes on stderr.
    pub announce: bool,
    /// Return non-2xx responses instead of turning them into errors.
    pub return_errors: bool,
    /// Whether a request that may have been processed can be replayed.
    pub replay: Replay,
    /// Told before and after each attempt (see [`Gate`]).
    pub gate: Option<Arc<dyn Gate>>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_transport_attempts: 3,
            max_wait: Duration::from_secs(60),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            announce: true,
            return_errors: false,
            replay: Replay::ByMethod,
            gate: None,
        }
    }
}

/// What failed, for [`RetryPolicy::decide`].
#[derive(Clone, Copy, Debug)]
pub enum Failure<'a> {
    /// An answer with this status (and `Retry-After`, if any).
    Status(u16, Option<Duration>),
    /// No answer, or a broken one.
    Transport(&'a SendError),
}

/// Another attempt: after how long, and why (for the "retrying" note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub delay: Duration,
    pub why: String,
}

impl RetryPolicy {
    /// A single attempt.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before attempt `n + 1` (n starts at 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay
            .saturating_mul(factor)
            .min(self.max_delay)
            .max(Duration::from_millis(1))
    }

    /// Whether `req` may be sent again after it may have been processed.
    pub fn replay_safe(&self, req_idempotent: bool) -> bool {
        req_idempotent || self.replay == Replay::Safe
    }

    /// Whether attempt `attempt` (1-based) that failed with `failure` is
    /// followed by another, and after how long. `idempotent` is the request
    /// method's own idempotence.
    pub fn decide(&self, failure: Failure<'_>, idempotent: bool, attempt: u32) -> Option<Retry> {
        if attempt >= self.max_attempts {
            return None;
        }
        let replay = self.replay_safe(idempotent);
        let transient = attempt < self.max_transport_attempts;
        match failure {
            Failure::Status(status, retry_after)
                if status == 429 || (is_throttle(status) && replay) =>
            {
                Some(Retry {
                    delay: retry_after.unwrap_or_else(|| self.backoff(attempt)),
                    why: format!("the server is busy (HTTP {status})"),
                })
            }
            Failure::Status(status, retry_after)
                if transient
                    && ((is_gateway(status) && replay)
                        || (is_transient(status) && self.replay == Replay::Safe)) =>
            {
                Some(Retry {
                    delay: retry_after.unwrap_or_else(|| self.backoff(attempt)),
                    why: format!("the server answered HTTP {status}"),
                })
            }
            Failure::Status(..) => None,
            Failure::Transport(e) if e.is_final() => None,
            Failure::Transport(e) if transient && (replay || !e.reached_server) => Some(Retry {
                delay: self.backoff(attempt),
                why: e.error.message().to_string(),
            }),
            Failure::Transport(_) => None,
        }
    }
}

/// Whether a status says "busy, try later" (429 is also a promise that
/// nothing was done; 503 and 529 are not: see the module docs).
pub fn is_throttle(status: u16) -> bool {
    matches!(status, 429 | 503 | 529)
}

/// Whether a status is a gateway failure (the request may or may not have run).
pub fn is_gateway(status: u16) -> bool {
    matches!(status, 502 | 504)
}

/// Whether a status is a failure that may heal, and whose request may or may
/// not have run (a timeout, a conflict, a server or gateway error).
pub fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 409 | 500) || is_gateway(status)
}

/// Whether `req` may have been applied by a server although it failed: it
/// is a write (its method is not idempotent and `policy` does not call the
/// operation safe to replay), and it failed after it went out: an error
/// answer from 500 up or 408 (`status`), or a connection that failed after
/// the request was sent (`reached_server`).
pub fn may_have_applied(
    req: &Request,
    policy: &RetryPolicy,
    status: Option<u16>,
    reached_server: bool,
) -> bool {
    if policy.replay_safe(req.is_idempotent()) {
        return false;
    }
    match status {
        Some(s) => s >= 500 || s == 408,
        None => reached_server,
    }
}

/// Marks `e` as the failure of a write that may have been applied
/// ([`Error::may_have_applied`]), with the hint that says so.
pub fn applied_error(req: &Request, e: Error) -> Error {
    let method = &req.method;
    e.with_may_have_applied().hint(format!(
        "the server may have applied the {method} anyway; check before retrying \
         (ntn did not send it again)"
    ))
}

/// [`applied_error`] when `e` is the error answer (an [`ApiError`]) to a
/// write that [`may_have_applied`]; `e` as it is otherwise; in both cases
/// without the request's token ([`super::redact`]). For callers that turn a
/// returned error response into an error themselves
/// ([`RetryPolicy::return_errors`]).
pub fn check_applied(req: &Request, policy: &RetryPolicy, e: Error) -> Error {
    let e = match e.data::<ApiError>() {
        Some(a) if may_have_applied(req, policy, Some(a.status), true) => applied_error(req, e),
        _ => e,
    };
    scrubbed(req, e)
}

pub(super) fn run(client: &Client, req: &Request, policy: &RetryPolicy) -> Result<Response> {
    let resp = run_streaming(client, req, policy, None)?;
    resp.read_all(MAX_BODY).map_err(|e| {
        // A success whose body broke: the write was applied, its answer lost.
        if may_have_applied(req, policy, None, e.reached_server) {
            scrubbed(req, applied_error(req, e.error))
        } else {
            scrubbed(req, e.error)
        }
    })
}

/// `e` without the request's token in it (a server may echo it).
fn scrubbed(req: &Request, e: Error) -> Error {
    match &req.token {
        Some(t) => super::redact::scrub_error(e, t),
        None => e,
    }
}

/// Like [`run`], but the final response comes back with its body unread.
/// Responses that are retried are drained first. Waits end by the client's
/// deadline as well as by the policy's budget.
pub(super) fn run_streaming<'f>(
    client: &Client,
    req: &Request,
    policy: &RetryPolicy,
    mut body: Option<&mut OpenBody<'f>>,
) -> Result<Streamed> {
    let clock = client.clock();
    let mut budget_end: Instant = clock.now() + policy.max_wait;
    if let Some(end) = client.deadline() {
        budget_end = budget_end.min(end);
    }
    let mut attempt = 1;
    loop {
        if let Some(gate) = &policy.gate {
            gate.before();
        }
        let outcome = client.start_with_body(req, body.as_deref_mut());
        if let Some(gate) = &policy.gate {
            match &outcome {
                Ok(resp) => gate.after(Some(resp.status), resp.head().retry_after()),
                Err(_) => gate.after(None, None),
            }
        }
        let retry = match &outcome {
            Ok(resp) if resp.is_success() => None,
            Ok(resp) => policy.decide(
                Failure::Status(resp.status, resp.head().retry_after()),
                req.is_idempotent(),
                attempt,
            ),
            Err(e) => policy.decide(Failure::Transport(e), req.is_idempotent(), attempt),
        };
        match retry {
            Some(Retry { delay, why }) if clock.now() + delay <= budget_end => {
                if let Ok(resp) = outcome {
                    // Drain (bounded) so the connection can be reused.
                    resp.drain();
                }
                if policy.announce {
                    client
                        .ui()
                        .warn(format_args!("{why}; retrying in {}", time::short(delay)));
                }
                clock.sleep_until_or(delay, Some(budget_end));
                attempt += 1;
            }
            _ => {
                return match outcome {
                    Ok(resp) if resp.is_success() || policy.return_errors => Ok(resp),
                    Ok(resp) => {
                        let status = resp.status;
                        let error = match resp.read_all(MAX_BODY) {
                            Ok(full) => error_from_response(&full),
                            Err(e) => e.error,
                        };
                        if may_have_applied(req, policy, Some(status), true) {
                            Err(scrubbed(req, applied_error(req, error)))
                        } else {
                            Err(scrubbed(req, error))
                        }
                    }
                    Err(e) if may_have_applied(req, policy, None, e.reached_server) => {
                        Err(scrubbed(req, applied_error(req, e.error)))
                    }
                    Err(e) => Err(scrubbed(req, e.error)),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(2));
        assert_eq!(p.backoff(20), Duration::from_secs(8));
    }

    fn sent(reached_server: bool) -> SendError {
        SendError {
            reached_server,
            error: Error::api("the connection broke"),
        }
    }

    #[test]
    fn throttles_are_retried_for_any_method_honouring_retry_after() {
        let p = RetryPolicy::default();
        let r = p
            .decide(Failure::Status(429, Some(Duration::from_secs(7))), false, 1)
            .unwrap();
        assert_eq!(r.delay, Duration::from_secs(7));
        assert!(r.why.contains("429"));
        assert!(p.decide(Failure::Status(429, None), false, 5).is_some());
        assert!(p.decide(Failure::Status(429, None), false, 6).is_none());
        // 503 and 529 may come after the work: waited out only when a
        // replay is safe.
        for s in [503, 529] {
            assert!(p.decide(Failure::Status(s, None), true, 5).is_some());
            assert!(p.decide(Failure::Status(s, None), true, 6).is_none());
            assert!(p.decide(Failure::Status(s, None), false, 1).is_none());
        }
        let safe = RetryPolicy {
            replay: Replay::Safe,
            ..RetryPolicy::default()
        };
        assert!(safe.decide(Failure::Status(503, None), false, 1).is_some());
    }

    #[test]
    fn a_failed_write_may_have_been_applied() {
        let p = RetryPolicy::default();
        let post = Request::new("POST", "https://api.notion.com/v1/pages");
        let get = Request::new("GET", "https://api.notion.com/v1/pages/x");
        for s in [500, 502, 503, 504, 529, 408] {
            assert!(may_have_applied(&post, &p, Some(s), true), "{s}");
            assert!(!may_have_applied(&get, &p, Some(s), true), "{s}");
        }
        for s in [400, 404, 409, 429] {
            assert!(!may_have_applied(&post, &p, Some(s), true), "{s}");
        }
        assert!(may_have_applied(&post, &p, None, true));
        assert!(!may_have_applied(&post, &p, None, false));
        let delete = Request::new("DELETE", "https://api.notion.com/v1/blocks/x");
        assert!(may_have_applied(&delete, &p, None, true));
        let safe = RetryPolicy {
            replay: Replay::Safe,
            ..RetryPolicy::default()
        };
        assert!(!may_have_applied(&post, &safe, Some(500), true));
        let e = applied_error(&post, Error::api("the server answered HTTP 503"));
        assert!(e.may_have_applied());
        assert!(
            e.hint_text()
                .is_some_and(|h| h.contains("may have applied the POST")),
            "{e:?}"
        );
    }

    #[test]
    fn what_may_have_run_is_replayed_only_when_safe() {
        let p = RetryPolicy::default();
        // A POST answered 500 or cut after sending: never again by default.
        assert!(p.decide(Failure::Status(500, None), false, 1).is_none());
        assert!(
            p.decide(Failure::Transport(&sent(true)), false, 1)
                .is_none()
        );
        // ...but a connection that never reached the server may be retried.
        assert!(
            p.decide(Failure::Transport(&sent(false)), false, 1)
                .is_some()
        );
        // A GET may be replayed after a gateway failure, a few times only;
        // a 500 is final for it.
        assert!(p.decide(Failure::Status(502, None), true, 2).is_some());
        assert!(p.decide(Failure::Status(502, None), true, 3).is_none());
        assert!(p.decide(Failure::Status(500, None), true, 1).is_none());
        // An operation the caller declares idempotent may be replayed too.
        let safe = RetryPolicy {
            replay: Replay::Safe,
            ..RetryPolicy::default()
        };
        assert!(safe.decide(Failure::Status(409, None), false, 1).is_some());
        assert!(
            safe.decide(Failure::Transport(&sent(true)), false, 1)
                .is_some()
        );
        // Client errors are final.
        for s in [400, 401, 403, 404, 413] {
            assert!(
                safe.decide(Failure::Status(s, None), true, 1).is_none(),
                "{s}"
            );
        }
    }

    #[test]
    fn usage_local_interrupted_and_deadline_failures_are_final() {
        let safe = RetryPolicy {
            replay: Replay::Safe,
            ..RetryPolicy::default()
        };
        for error in [
            Error::usage("a header holds CRLF"),
            Error::local("cannot read the body"),
            Error::interrupted("interrupted"),
            Error::api("timed out").with_data(super::super::Limit::Deadline {
                after: Duration::from_secs(1),
            }),
        ] {
            let e = SendError {
                reached_server: false,
                error,
            };
            assert!(
                safe.decide(Failure::Transport(&e), true, 1).is_none(),
                "{e:?}"
            );
        }
        // A stall is worth another attempt when a replay is safe.
        let stalled = SendError {
            reached_server: true,
            error: Error::api("stalled").with_data(super::super::Limit::Stall {
                after: Duration::from_secs(30),
            }),
        };
        assert!(
            safe.decide(Failure::Transport(&stalled), false, 1)
                .is_some()
        );
    }
}
