//! Retries: when a request is sent again, and how long ntn waits.
//!
//! * 429, 503 and 529: wait for `Retry-After` (or a backoff) and send again,
//!   while the total wait stays within the budget. The server refused these
//!   before doing any work, so even a POST is safe to replay.
//! * 502, 504 and broken connections: retried with backoff only when the
//!   request is idempotent (GET, HEAD, DELETE, ...) or never reached the server,
//!   and only a few times (a refused connection rarely heals in seconds, and a
//!   person is waiting).
//! * Everything else is returned as is: never replay a POST or PATCH that may
//!   have been processed.

use std::time::{Duration, Instant};

use super::{
    Client, OpenBody, Request, Response, buffer_response, error_from_response, response_head,
    sleep_until_or,
};
use crate::error::Result;

/// How persistent a request is.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retries).
    pub max_attempts: u32,
    /// Attempts in all when the failure is the connection or a gateway
    /// (502/504), never more than `max_attempts`.
    pub max_transport_attempts: u32,
    /// Total time ntn may spend waiting between attempts.
    pub max_wait: Duration,
    /// First backoff delay; doubles each time.
    pub base_delay: Duration,
    /// Whether to print "retrying in ..." notes on stderr.
    pub announce: bool,
    /// Return non-2xx responses instead of turning them into errors.
    pub return_errors: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_transport_attempts: 3,
            max_wait: Duration::from_secs(60),
            base_delay: Duration::from_millis(500),
            announce: true,
            return_errors: false,
        }
    }
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
        let factor = 1u32 << (attempt.saturating_sub(1)).min(6);
        (self.base_delay * factor).min(Duration::from_secs(8))
    }
}

/// Whether a status is a "refused before processing, try later" answer.
pub fn is_throttle(status: u16) -> bool {
    matches!(status, 429 | 503 | 529)
}

/// Whether a status is a gateway failure (the request may or may not have run).
pub fn is_gateway(status: u16) -> bool {
    matches!(status, 502 | 504)
}

pub(super) fn run(client: &Client, req: &Request, policy: &RetryPolicy) -> Result<Response> {
    let resp = run_streaming(client, req, policy, None)?;
    super::buffer_response_quiet(&req.url, resp).map_err(|e| e.error)
}

/// Why and how long to wait before another attempt, or `None` to stop.
fn retry_wait(
    outcome: &std::result::Result<ureq::http::Response<ureq::Body>, super::SendError>,
    req: &Request,
    policy: &RetryPolicy,
    attempt: u32,
) -> Option<(Duration, String)> {
    if attempt >= policy.max_attempts {
        return None;
    }
    match outcome {
        Ok(resp) => {
            let head = response_head(resp);
            if is_throttle(head.status) {
                Some((
                    head.retry_after()
                        .unwrap_or_else(|| policy.backoff(attempt)),
                    format!("the server is busy (HTTP {})", head.status),
                ))
            } else if is_gateway(head.status)
                && req.is_idempotent()
                && attempt < policy.max_transport_attempts
            {
                Some((
                    policy.backoff(attempt),
                    format!("the server answered HTTP {}", head.status),
                ))
            } else {
                None
            }
        }
        Err(e)
            if attempt < policy.max_transport_attempts
                && (req.is_idempotent() || !e.reached_server) =>
        {
            Some((policy.backoff(attempt), e.error.message().to_string()))
        }
        Err(_) => None,
    }
}

/// Like [`run`], but the final response comes back with its body unread.
/// Responses that are retried are drained first.
pub(super) fn run_streaming<'f>(
    client: &Client,
    req: &Request,
    policy: &RetryPolicy,
    mut body: Option<&mut OpenBody<'f>>,
) -> Result<ureq::http::Response<ureq::Body>> {
    let started = Instant::now();
    let budget_end = started + policy.max_wait;
    let mut attempt = 1;
    loop {
        let outcome = client.start_with_body(req, body.as_deref_mut());
        let wait = retry_wait(&outcome, req, policy, attempt);
        match wait {
            Some((delay, why)) if Instant::now() + delay <= budget_end => {
                if let Ok(resp) = outcome {
                    // Drain (bounded) so the connection can be reused.
                    let _ = buffer_response(client, &req.url, resp);
                }
                if policy.announce {
                    crate::output::warn(&format!("{why}; retrying in {}", human_duration(delay)));
                }
                sleep_until_or(delay, Some(budget_end));
                attempt += 1;
            }
            _ => {
                return match outcome {
                    Ok(resp) if resp.status().is_success() || policy.return_errors => {
                        if client.verbose() > 0 {
                            let head = response_head(&resp);
                            super::log_response(head.status, &head.headers);
                        }
                        Ok(resp)
                    }
                    Ok(resp) => match buffer_response(client, &req.url, resp) {
                        Ok(full) => Err(error_from_response(&full)),
                        Err(e) => Err(e.error),
                    },
                    Err(e) => Err(e.error),
                };
            }
        }
    }
}

/// `1.5s`, `12s`, `2m 5s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 10_000 && !ms.is_multiple_of(1000) {
        format!("{:.1}s", d.as_secs_f64())
    } else if ms < 60_000 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60)
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

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_secs(2)), "2s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2m 5s");
    }
}
