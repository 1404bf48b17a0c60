//! Fault kinds beyond a status and a delay, for testing clients' limits and
//! redirect rules, and the capture route they redirect to:
//!
//! * `"stall": true`: the request is held without an answer (for
//!   `hold_ms`, default ten minutes, or until the client hangs up);
//! * `"dribble_ms": N`: a 200 whose JSON body comes one byte every N ms
//!   and never ends (within `hold_ms`);
//! * `"redirect": "URL"` (with `"redirect_status"`, default 302): an empty
//!   answer pointing elsewhere;
//! * `/__capture/...` (any method): records what arrived (method, path,
//!   query, headers with `authorization` redacted, the SHA-256 of the
//!   `authorization` header in hex, so a test can tell which token came
//!   without the token being kept, body size) and answers 200
//!   `{"object":"captured"}`; `GET /__sandbox/captured` lists them.
//!
//! `GET /__sandbox/held?min=N` waits (up to `timeout_ms`, default 10 s) until
//! at least N requests are being held by a stall or a dribble and returns
//! how many are: a test knows its client is stuck without sleeping.
//!
//! When an in-process server stops ([`Traps::release`]), stalls, dribbles and
//! delays end at once: nobody waits for their answers, and a held request
//! whose body was never read would otherwise keep the server from stopping
//! (its client's hang-up goes unnoticed).

use crate::model::FaultRule;
use crate::store::Shared;
use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// Default time a stall or a dribble holds a request.
const DEFAULT_HOLD: Duration = Duration::from_secs(600);

/// The traps' state of one sandbox.
#[derive(Default)]
pub struct Traps {
    held: AtomicUsize,
    changed: Notify,
    captured: Mutex<Vec<Value>>,
    released: AtomicBool,
    release: Notify,
}

impl Traps {
    /// Ends every stall, dribble and delay, now and from now on (the server
    /// is stopping).
    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
        self.release.notify_waiters();
    }

    /// Waits `d`, or less once the traps are released.
    pub async fn sleep(&self, d: Duration) {
        let released = self.release.notified();
        if self.released.load(Ordering::SeqCst) {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = released => {}
        }
    }
}

/// Counts a held request while it lives.
struct Held<'a>(&'a Traps);

impl<'a> Held<'a> {
    fn new(t: &'a Traps) -> Held<'a> {
        t.held.fetch_add(1, Ordering::SeqCst);
        t.changed.notify_waiters();
        Held(t)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// Whether a fault rule is one of the traps.
pub fn applies(f: &FaultRule) -> bool {
    f.stall || f.dribble_ms.is_some() || f.redirect.is_some()
}

/// The answer of a trap (see the module docs).
pub async fn respond(st: &Shared, f: &FaultRule) -> Response {
    let hold = f.hold_ms.map_or(DEFAULT_HOLD, Duration::from_millis);
    if let Some(to) = &f.redirect {
        let status = f
            .redirect_status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::FOUND);
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = status;
        if let Ok(v) = HeaderValue::from_str(to) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        return resp;
    }
    if let Some(ms) = f.dribble_ms {
        let st = st.clone();
        let every = Duration::from_millis(ms.max(1));
        let stream = async_stream(st, every, hold);
        let mut resp = Response::new(Body::from_stream(stream));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return resp;
    }
    // A stall: hold the request (dropped early if the client hangs up).
    let _held = Held::new(&st.traps);
    st.traps.sleep(hold).await;
    StatusCode::GATEWAY_TIMEOUT.into_response()
}

/// Counts a dribbling answer as held while its body lives.
struct HeldBody(Shared);

impl HeldBody {
    fn new(st: Shared) -> HeldBody {
        st.traps.held.fetch_add(1, Ordering::SeqCst);
        st.traps.changed.notify_waiters();
        HeldBody(st)
    }
}

impl Drop for HeldBody {
    fn drop(&mut self) {
        self.0.traps.held.fetch_sub(1, Ordering::SeqCst);
        self.0.traps.changed.notify_waiters();
    }
}

/// `{"dribble":"xxxx...` one byte at a time, counted as held while it runs.
fn async_stream(
    st: Shared,
    every: Duration,
    hold: Duration,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    const START: &[u8] = b"{\"dribble\":\"";
    let state = (
        HeldBody::new(st),
        0usize,
        tokio::time::Instant::now() + hold,
    );
    futures_util::stream::unfold(state, move |(guard, sent, end)| async move {
        if tokio::time::Instant::now() >= end || guard.0.traps.released.load(Ordering::SeqCst) {
            return None;
        }
        if sent < START.len() {
            let b = Bytes::copy_from_slice(&START[sent..=sent]);
            return Some((Ok(b), (guard, sent + 1, end)));
        }
        guard.0.traps.sleep(every).await;
        Some((Ok(Bytes::from_static(b"x")), (guard, sent + 1, end)))
    })
}

pub fn router() -> Router<Shared> {
    Router::new().route("/__capture/{*rest}", any(capture))
}

/// Control routes (loopback only, mounted with the others).
pub fn control() -> Router<Shared> {
    Router::new()
        .route("/__sandbox/held", get(held))
        .route("/__sandbox/captured", get(captured).delete(clear_captured))
}

async fn capture(State(st): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let size = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .map(|b| b.len())
        .unwrap_or(0);
    let mut headers = serde_json::Map::new();
    for (k, v) in &parts.headers {
        let v = if k == header::AUTHORIZATION {
            "[redacted]".to_string()
        } else {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        };
        headers.insert(k.as_str().to_string(), Value::String(v));
    }
    let authorization_sha256 = parts.headers.get(header::AUTHORIZATION).map(|v| {
        use sha2::{Digest, Sha256};
        Sha256::digest(v.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    });
    let record = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "authorization_sha256": authorization_sha256,
        "body_size": size,
    });
    st.traps
        .captured
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(record);
    Json(json!({"object": "captured"})).into_response()
}

async fn captured(State(st): State<Shared>) -> Json<Value> {
    let list = st
        .traps
        .captured
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Json(Value::Array(list))
}

async fn clear_captured(State(st): State<Shared>) -> Json<Value> {
    st.traps
        .captured
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
struct HeldQuery {
    #[serde(default)]
    min: usize,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

async fn held(State(st): State<Shared>, Query(q): Query<HeldQuery>) -> Json<Value> {
    let wait = Duration::from_millis(q.timeout_ms.unwrap_or(10_000));
    let t = &st.traps;
    let reached = tokio::time::timeout(wait, async {
        loop {
            let notified = t.changed.notified();
            if t.held.load(Ordering::SeqCst) >= q.min {
                return;
            }
            notified.await;
        }
    })
    .await
    .is_ok();
    Json(json!({"held": t.held.load(Ordering::SeqCst), "reached": reached}))
}
