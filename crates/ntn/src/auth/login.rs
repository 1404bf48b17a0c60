//! The CLI login protocol: start a session, then redeem it until it is
//! confirmed, denied or expired.
//!
//! * `POST {base}/api/v3/workersCliLoginInit` `{}` →
//!   `{sessionId, browserUrl, verificationCode, expiresAt?, expiresAtMs?, pollIntervalMs?}`
//! * `POST {base}/api/v3/workersCliLoginRedeem` `{"sessionId"}` →
//!   `{"status": "pending" | "expired" | "denied" (reason, message) | "confirmed" (token, spaceId, spaceName)}`,
//!   404 once the session is unknown or already redeemed.
//!
//! No token travels with these requests. Replies are read liberally: the
//! expiry may be RFC 3339 text or a number, the poll interval may be given in
//! milliseconds or seconds under several names; 2 s and 5 minutes are the
//! defaults when they are missing.
//!
//! Faults follow the one retry policy ([`RetryPolicy`]; both requests may
//! be replayed: a second session or a second question is harmless):
//! [`init`] retries throttles for about 30 s and other failures a few times;
//! [`poll`] retries them (honouring `Retry-After`) until the session
//! expires; other 4xx answers stop with the server's message. Every wait is
//! on the client's clock.
//!
//! The reply of a confirmed login carries a token, and the session id
//! redeems it: both requests go only over HTTPS, or plain HTTP to a loopback
//! address ([`check_transport`]), in every environment, at every hop: they
//! are [`Request::secret`], so a redirect to another origin is refused and
//! one to plain HTTP off loopback too. The token of a confirmed login is
//! checked before anything is stored ([`check_token`]). What the server names is checked before it is used: the
//! workspace id must be an id ([`crate::state::check_workspace_id`]), the
//! name is capped.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::http::retry::{Failure, Replay, Retry};
use crate::http::{Client, Request, Response, RetryPolicy, error_from_response};
use crate::secrets::Token;
use crate::support::Interrupt;
use crate::support::time::parse_rfc3339_ms;

pub const INIT_PATH: &str = "/api/v3/workersCliLoginInit";
pub const REDEEM_PATH: &str = "/api/v3/workersCliLoginRedeem";
/// Poll interval when the server names none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Session lifetime when the server names none.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// How long [`init`] keeps retrying.
pub const INIT_BUDGET: Duration = Duration::from_secs(30);
/// Each login request's own time limit.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait between two polls when the server is failing.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How often the progress callback runs while waiting.
const TICK: Duration = Duration::from_millis(100);

/// A started login session.
#[derive(Clone)]
pub struct Session {
    /// Redeems the token: never printed.
    pub session_id: String,
    pub browser_url: String,
    pub verification_code: String,
    /// Unix milliseconds.
    pub expires_at_ms: u64,
    pub poll_interval: Duration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &"[redacted]")
            .field("browser_url", &self.browser_url)
            .field("verification_code", &self.verification_code)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

impl Session {
    /// Time left before expiry at `now_ms` (Unix milliseconds).
    pub fn remaining(&self, now_ms: u64) -> Duration {
        Duration::from_millis(self.expires_at_ms.saturating_sub(now_ms))
    }

    /// The pending-login record for this session, made at `now_ms`.
    pub fn to_pending(
        &self,
        env: &str,
        base_url: &str,
        now_ms: u64,
    ) -> super::pending::PendingLogin {
        super::pending::PendingLogin {
            version: "1".into(),
            session_id: self.session_id.clone(),
            verification_code: self.verification_code.clone(),
            env: env.to_string(),
            base_url: base_url.to_string(),
            browser_url: self.browser_url.clone(),
            expires_at_ms: self.expires_at_ms,
            poll_interval_ms: Some(self.poll_interval.as_millis() as u64),
            created_at_ms: now_ms,
            approved: None,
        }
    }

    /// The session of a pending login.
    pub fn from_pending(p: &super::pending::PendingLogin) -> Session {
        Session {
            session_id: p.session_id.clone(),
            browser_url: p.browser_url.clone(),
            verification_code: p.verification_code.clone(),
            expires_at_ms: p.expires_at_ms,
            poll_interval: p
                .poll_interval_ms
                .map(|ms| clamp_interval(Duration::from_millis(ms)))
                .unwrap_or(DEFAULT_INTERVAL),
        }
    }
}

/// A confirmed login.
#[derive(Clone, Debug)]
pub struct Confirmed {
    pub token: Token,
    pub workspace_id: String,
    pub workspace_name: String,
}

/// One redeem answer.
#[derive(Clone, Debug)]
pub enum Status {
    Pending,
    Expired,
    Denied {
        reason: Option<String>,
        message: Option<String>,
    },
    Confirmed(Confirmed),
}

/// How polling ended.
#[derive(Clone, Debug)]
pub enum PollEnd {
    Confirmed(Confirmed),
    Expired,
    Denied {
        reason: Option<String>,
        message: Option<String>,
    },
    /// 404: the session is unknown or was already redeemed.
    Gone,
    /// The interrupt flag was raised (Ctrl-C).
    Interrupted,
    /// The caller's own time limit passed before the session expired.
    TimedOut,
}

/// What the progress callback is told while waiting.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Time left before the session expires.
    pub remaining: Duration,
    /// Set while the server is failing: why, for the spinner.
    pub retrying: Option<String>,
}

/// The retry policy of [`init`]: throttles for up to `budget`, other
/// failures three times.
fn init_policy(budget: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts: u32::MAX,
        max_transport_attempts: 3,
        max_wait: budget,
        max_delay: MAX_BACKOFF,
        replay: Replay::Safe,
        ..RetryPolicy::default()
    }
}

/// The retry policy of [`poll`]: every transient failure, until the session
/// expires, backing off from the poll interval.
fn poll_policy(interval: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts: u32::MAX,
        max_transport_attempts: u32::MAX,
        max_wait: Duration::MAX,
        base_delay: interval.max(Duration::from_millis(50)),
        max_delay: MAX_BACKOFF,
        replay: Replay::Safe,
        ..RetryPolicy::default()
    }
}

/// Refuses a login base URL that is plain HTTP to anything but loopback:
/// the login's reply carries a token.
pub fn check_transport(base: &str) -> Result<()> {
    let lower = base.to_ascii_lowercase();
    if lower.starts_with("https://")
        || (lower.starts_with("http://") && crate::http::is_loopback_url(base))
    {
        return Ok(());
    }
    Err(Error::local(format!(
        "refusing to log in over plain HTTP to {}: the login's reply carries a token",
        crate::http::host_of(base)
    ))
    .hint(
        "use an https:// URL for NOTION_BASE_URL (plain http:// is only allowed for localhost and 127.0.0.1)",
    ))
}

/// Starts a session (see [`init_policy`]); fails with exit code 5.
pub fn init(client: &Client, base: &str) -> Result<Session> {
    init_with_budget(client, base, INIT_BUDGET)
}

pub fn init_with_budget(client: &Client, base: &str, budget: Duration) -> Result<Session> {
    check_transport(base)?;
    // The answer's session id redeems the token: a secret.
    let req = Request::new("POST", format!("{base}{INIT_PATH}"))
        .json(&json!({}))
        .secret();
    let clock = client.clock();
    let policy = init_policy(budget);
    let end = clock.now() + budget;
    let mut attempt = 1;
    loop {
        let (why, retry) = match client.send_once(&req) {
            Ok(resp) if resp.is_success() => {
                let v: Value = resp.json()?;
                return parse_init(&v, clock.unix_ms());
            }
            Ok(resp) => {
                let status = resp.status;
                let final_refusal = status < 500
                    && !crate::http::retry::is_throttle(status)
                    && !crate::http::retry::is_transient(status);
                if final_refusal {
                    return Err(error_from_response(&resp)
                        .with_code(crate::error::ExitCode::Api)
                        .hint("the server refused to start a login; try again later"));
                }
                (
                    error_from_response(&resp).message().to_string(),
                    policy.decide(Failure::Status(status, resp.retry_after()), false, attempt),
                )
            }
            Err(e) => (
                e.error.message().to_string(),
                policy.decide(Failure::Transport(&e), false, attempt),
            ),
        };
        match retry {
            Some(Retry { delay, .. }) if clock.now() + delay <= end => {
                clock.sleep(delay);
                attempt += 1;
            }
            _ => {
                return Err(
                    Error::api(format!("could not start a login session: {why}")).hint(format!(
                        "check your network and that {} is reachable, then run `ntn login` again",
                        crate::http::host_of(base)
                    )),
                );
            }
        }
    }
}

/// Reads an init reply. `now` is the current Unix time in milliseconds.
pub fn parse_init(v: &Value, now: u64) -> Result<Session> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim);
    let bad = |what: &str| {
        Error::api(format!(
            "the server's login reply has no {what}; cannot start a login"
        ))
    };
    let session_id = text("sessionId")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("session id"))?;
    let browser_url = text("browserUrl")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("browser URL"))?;
    let verification_code = text("verificationCode")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("verification code"))?;
    let expires = v
        .get("expiresAtMs")
        .and_then(Value::as_u64)
        .or_else(|| v.get("expiresAt").and_then(time_value_ms));
    // A past or absurdly distant expiry (clock skew, bad data) falls back to
    // the default lifetime; the server stays the judge of expiry anyway.
    let expires_at_ms = match expires {
        Some(ms) if ms > now && ms - now <= 24 * 3600 * 1000 => ms,
        _ => now + DEFAULT_LIFETIME.as_millis() as u64,
    };
    let interval = if let Some(ms) = v.get("pollIntervalMs").and_then(Value::as_f64) {
        Some(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    } else if let Some(s) = v.get("pollIntervalSeconds").and_then(Value::as_f64) {
        Some(Duration::from_secs_f64(s.max(0.0)))
    } else {
        // `pollInterval`: milliseconds when large, seconds when small.
        v.get("pollInterval").and_then(Value::as_f64).map(|n| {
            if n >= 100.0 {
                Duration::from_secs_f64(n / 1000.0)
            } else {
                Duration::from_secs_f64(n.max(0.0))
            }
        })
    };
    Ok(Session {
        session_id: session_id.to_string(),
        browser_url: browser_url.to_string(),
        verification_code: verification_code.to_string(),
        expires_at_ms,
        poll_interval: interval.map(clamp_interval).unwrap_or(DEFAULT_INTERVAL),
    })
}

fn clamp_interval(d: Duration) -> Duration {
    d.clamp(Duration::from_millis(50), Duration::from_secs(60))
}

/// An expiry given as RFC 3339 text or a number (milliseconds when large,
/// seconds otherwise).
fn time_value_ms(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => parse_rfc3339_ms(s),
        Value::Number(n) => {
            let n = n.as_f64()?;
            if !n.is_finite() || n <= 0.0 {
                None
            } else if n >= 1e11 {
                Some(n as u64)
            } else {
                Some((n * 1000.0) as u64)
            }
        }
        _ => None,
    }
}

/// Reads a redeem reply (HTTP 200).
pub fn parse_redeem(v: &Value) -> Result<Status> {
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let status = text("status").map(|s| s.to_ascii_lowercase());
    match status.as_deref() {
        Some("pending") => Ok(Status::Pending),
        Some("expired") => Ok(Status::Expired),
        Some("denied") | Some("refused") | Some("rejected") => Ok(Status::Denied {
            reason: text("reason"),
            message: text("message"),
        }),
        Some("confirmed") | None if text("token").is_some() => {
            let raw = v.get("token").and_then(Value::as_str).unwrap_or_default();
            if let Err(why) = check_token(raw) {
                return Err(Error::api(format!(
                    "the server sent an invalid token ({why}); nothing was stored"
                ))
                .hint("check NOTION_BASE_URL: it should be a Notion server; then run `ntn login` again"));
            }
            let token = Token::new(raw);
            let workspace_id =
                text("spaceId")
                    .or_else(|| text("workspaceId"))
                    .ok_or_else(|| {
                        Error::api("the server confirmed the login but named no workspace")
                    })?;
            if let Err(why) = crate::state::check_workspace_id(&workspace_id) {
                return Err(Error::api(format!(
                    "the server confirmed the login for a workspace id ntn will not use ({why}); nothing was stored"
                ))
                .hint("check NOTION_BASE_URL: it should be a Notion server"));
            }
            let workspace_name = text("spaceName")
                .or_else(|| text("workspaceName"))
                .map(|n| crate::state::cap_name(&n))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| workspace_id.clone());
            Ok(Status::Confirmed(Confirmed {
                token,
                workspace_id,
                workspace_name,
            }))
        }
        Some("confirmed") => Err(Error::api(
            "the server confirmed the login but sent no token",
        )),
        Some(other) => Err(Error::api(format!(
            "the server answered the login with an unknown status {other:?}"
        ))),
        None => Err(Error::api("the server's login reply has no status")),
    }
}

/// The longest token ntn accepts from a login (Notion's are about 50
/// characters).
pub const MAX_TOKEN_LEN: usize = 1024;

/// Checks a token a server sent: printable ASCII only (no whitespace, no
/// control or escape characters, nothing a header or a terminal would
/// misread), at most [`MAX_TOKEN_LEN`] characters. The reason, without the
/// token, when it is not.
pub fn check_token(token: &str) -> std::result::Result<(), String> {
    if token.is_empty() {
        return Err("it is empty".into());
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "it is {} bytes long, more than {MAX_TOKEN_LEN}",
            token.len()
        ));
    }
    if let Some(c) = token.chars().find(|c| !c.is_ascii_graphic()) {
        let what = if c.is_whitespace() {
            "whitespace"
        } else if c.is_control() {
            "a control character"
        } else {
            "a character that is not printable ASCII"
        };
        return Err(format!(
            "it holds {what} ({:?})",
            c.escape_unicode().to_string()
        ));
    }
    Ok(())
}

/// One redeem attempt, classified.
enum Attempt {
    Answer(Status),
    Gone,
    /// Worth retrying: after how long, and why.
    Retry(Retry),
}

fn redeem_once(
    client: &Client,
    base: &str,
    session: &Session,
    policy: &RetryPolicy,
    attempt: u32,
) -> Result<Attempt> {
    let req = Request::new("POST", format!("{base}{REDEEM_PATH}"))
        .json(&json!({ "sessionId": session.session_id }))
        .secret();
    match client.send_once(&req) {
        Ok(resp) if resp.is_success() => match resp.json::<Value>() {
            Ok(v) => parse_redeem(&v).map(Attempt::Answer),
            // A garbled 200 (a proxy, a cut body): ask again.
            Err(e) => Ok(Attempt::Retry(Retry {
                delay: policy.backoff(attempt),
                why: e.message().to_string(),
            })),
        },
        Ok(resp) if resp.status == 404 => Ok(Attempt::Gone),
        Ok(resp) => match policy.decide(
            Failure::Status(resp.status, resp.retry_after()),
            false,
            attempt,
        ) {
            Some(r) => Ok(Attempt::Retry(r)),
            None => Err(redeem_error(&resp)),
        },
        Err(e) => match policy.decide(Failure::Transport(&e), false, attempt) {
            Some(r) => Ok(Attempt::Retry(r)),
            None => Err(e.error),
        },
    }
}

fn redeem_error(resp: &Response) -> Error {
    error_from_response(resp)
        .with_code(crate::error::ExitCode::Api)
        .hint("the server refused the login request; run `ntn login` to start over")
}

/// Polls until the session is confirmed, denied or expired, `deadline`
/// (the caller's own bound) passes, or `interrupt` is raised. `progress` runs
/// about every 100 ms while waiting.
pub fn poll(
    client: &Client,
    base: &str,
    session: &Session,
    deadline: Option<Instant>,
    interrupt: Option<&Interrupt>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<PollEnd> {
    check_transport(base)?;
    let clock = client.clock();
    let interrupted = || interrupt.is_some_and(Interrupt::is_raised);
    let policy = poll_policy(session.poll_interval);
    // The session's own end, with a little grace for clock differences: the
    // server says "expired" itself when it is.
    let expiry = clock.now() + session.remaining(clock.unix_ms()) + Duration::from_secs(2);
    let mut failures = 0u32;
    loop {
        if interrupted() {
            return Ok(PollEnd::Interrupted);
        }
        let now = clock.now();
        if now >= expiry {
            return Ok(PollEnd::Expired);
        }
        if deadline.is_some_and(|d| now >= d) {
            return Ok(PollEnd::TimedOut);
        }
        let (wait, retrying) = match redeem_once(client, base, session, &policy, failures + 1)? {
            Attempt::Answer(Status::Pending) => {
                failures = 0;
                (session.poll_interval, None)
            }
            Attempt::Answer(Status::Confirmed(c)) => return Ok(PollEnd::Confirmed(c)),
            Attempt::Answer(Status::Expired) => return Ok(PollEnd::Expired),
            Attempt::Answer(Status::Denied { reason, message }) => {
                return Ok(PollEnd::Denied { reason, message });
            }
            Attempt::Gone => return Ok(PollEnd::Gone),
            Attempt::Retry(Retry { delay, why }) => {
                failures += 1;
                (delay, Some(why))
            }
        };
        // Wait in small steps: progress, Ctrl-C and the deadlines stay live.
        let until = clock.now() + wait;
        loop {
            let now = clock.now();
            if now >= until || now >= expiry || deadline.is_some_and(|d| now >= d) {
                break;
            }
            if interrupted() {
                return Ok(PollEnd::Interrupted);
            }
            progress(&Progress {
                remaining: session.remaining(clock.unix_ms()),
                retrying: retrying.clone(),
            });
            clock.sleep(TICK.min(until - now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_reply_with_everything() {
        let now = 1_700_000_000_000;
        let v = json!({
            "sessionId": "s1", "browserUrl": "http://x/cli-login/1", "verificationCode": "ABCD-EFGH",
            "expiresAt": "2023-11-14T22:23:20Z", "expiresAtMs": now + 600_000, "pollIntervalMs": 50
        });
        let s = parse_init(&v, now).unwrap();
        assert_eq!(s.expires_at_ms, now + 600_000);
        assert_eq!(s.poll_interval, Duration::from_millis(50));
        assert!(!format!("{s:?}").contains("s1"));
    }

    #[test]
    fn init_reply_is_read_liberally() {
        let now = 1_700_000_000_000;
        let base = json!({"sessionId": "s", "browserUrl": "u", "verificationCode": "c"});
        // Defaults: 2 s, 5 minutes.
        let s = parse_init(&base, now).unwrap();
        assert_eq!(s.poll_interval, DEFAULT_INTERVAL);
        assert_eq!(s.expires_at_ms, now + 300_000);
        // expiresAt as RFC 3339 text, as seconds, as milliseconds.
        let mut v = base.clone();
        v["expiresAt"] = json!("2023-11-14T22:13:20.5+00:00");
        v["pollIntervalSeconds"] = json!(3);
        let s = parse_init(&v, now).unwrap();
        assert_eq!(s.expires_at_ms, now + 500);
        assert_eq!(s.poll_interval, Duration::from_secs(3));
        v["expiresAt"] = json!(1_700_000_060);
        v.as_object_mut().unwrap().remove("pollIntervalSeconds");
        v["pollInterval"] = json!(1500);
        let s = parse_init(&v, now).unwrap();
        assert_eq!(s.expires_at_ms, now + 60_000);
        assert_eq!(s.poll_interval, Duration::from_millis(1500));
        v["expiresAt"] = json!(now + 90_000);
        v["pollInterval"] = json!(0);
        let s = parse_init(&v, now).unwrap();
        assert_eq!(s.expires_at_ms, now + 90_000);
        assert_eq!(s.poll_interval, Duration::from_millis(50));
        // An expiry in the past falls back to the default lifetime.
        v["expiresAt"] = json!("2001-01-01T00:00:00Z");
        assert_eq!(parse_init(&v, now).unwrap().expires_at_ms, now + 300_000);
        // Missing fields are API errors.
        let e = parse_init(&json!({"sessionId": "s"}), now).unwrap_err();
        assert_eq!(e.exit_code().code(), 5);
    }

    #[test]
    fn redeem_replies() {
        assert!(matches!(
            parse_redeem(&json!({"status": "pending"})).unwrap(),
            Status::Pending
        ));
        assert!(matches!(
            parse_redeem(&json!({"status": "expired"})).unwrap(),
            Status::Expired
        ));
        match parse_redeem(&json!({"status": "denied", "reason": "guest", "message": "m"})).unwrap()
        {
            Status::Denied { reason, message } => {
                assert_eq!(reason.as_deref(), Some("guest"));
                assert_eq!(message.as_deref(), Some("m"));
            }
            other => panic!("{other:?}"),
        }
        match parse_redeem(
            &json!({"status": "confirmed", "token": "ntn_x", "spaceId": "w", "spaceName": "Acme"}),
        )
        .unwrap()
        {
            Status::Confirmed(c) => {
                assert_eq!(c.token.expose(), "ntn_x");
                assert_eq!(
                    (c.workspace_id.as_str(), c.workspace_name.as_str()),
                    ("w", "Acme")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_redeem(&json!({"status": "confirmed", "spaceId": "w"})).is_err());
        assert!(parse_redeem(&json!({"status": "weird"})).is_err());
        let e = parse_redeem(&json!({"status": "confirmed", "token": "ntn_secret"})).unwrap_err();
        assert!(!e.message().contains("ntn_secret"));
    }

    #[test]
    fn a_token_that_is_not_printable_ascii_is_refused_and_never_shown() {
        for bad in [
            "ntn_a\u{1b}[2J",
            "ntn_a\r\nX-Evil: 1",
            "ntn_\u{202e}abc",
            "ntn_a b",
            "ntn_\u{7f}",
            &"x".repeat(MAX_TOKEN_LEN + 1),
        ] {
            let e = parse_redeem(&json!({"status": "confirmed", "token": bad, "spaceId": "w1"}))
                .unwrap_err();
            assert_eq!(e.exit_code().code(), 5, "{bad:?}");
            assert!(e.message().contains("invalid token"), "{}", e.message());
            assert!(
                e.message().contains("nothing was stored"),
                "{}",
                e.message()
            );
            assert!(!e.message().contains("ntn_"), "{}", e.message());
        }
        assert!(check_token("ntn_1234567890abcdefABCDEF-_.~+/=").is_ok());
        assert!(check_token(&"x".repeat(MAX_TOKEN_LEN)).is_ok());
    }

    #[test]
    fn hostile_workspaces_are_refused_or_capped() {
        for id in ["../../etc", "a/b", "x\u{1b}[2J", ""] {
            let r = parse_redeem(&json!({"status": "confirmed", "token": "t", "spaceId": id}));
            assert!(r.is_err(), "{id:?}");
        }
        let long = "n".repeat(5 * 1024 * 1024);
        match parse_redeem(
            &json!({"status": "confirmed", "token": "t", "spaceId": "w1", "spaceName": long}),
        )
        .unwrap()
        {
            Status::Confirmed(c) => {
                assert_eq!(
                    c.workspace_name.chars().count(),
                    crate::state::MAX_NAME_CHARS
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://www.notion.so",
            "http://127.0.0.1:3000",
            "http://localhost:1",
            "http://[::1]:2",
        ] {
            assert!(check_transport(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://evil.example:18097",
            "http://www.notion.so",
            "HTTP://10.0.0.1",
        ] {
            let e = check_transport(bad).unwrap_err();
            assert_eq!(e.exit_code().code(), 1);
            assert!(e.message().contains("plain HTTP"), "{}", e.message());
        }
        let e = check_transport("http://user:secret@evil.example").unwrap_err();
        assert!(!e.message().contains("secret"), "{}", e.message());
    }
}
