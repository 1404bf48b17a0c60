//! The HTTP application: router assembly, the outer middleware (request ids, request log,
//! faults), gzip compression of answers for clients that accept it (as Notion's API does;
//! the request log records each answer's encoding), the control endpoints' loopback check
//! and the fallbacks. Starting a server is [`crate::launch`]'s business.

use crate::errors::{ApiError, REQUEST_ID};
use crate::model::{FaultRule, RequestRecord};
use crate::store::Shared;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;

/// The whole application.
pub fn router(st: Shared) -> Router {
    Router::new()
        .merge(crate::login::router())
        .merge(crate::api::router(st.clone()))
        .merge(crate::control::router().route_layer(from_fn(loopback_only)))
        .merge(crate::traps::control().route_layer(from_fn(loopback_only)))
        .merge(crate::traps::router())
        .merge(crate::openapi::router())
        .route("/__files/{*path}", axum::routing::get(crate::files::serve))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside `outer`, so the request log sees the encoding; faults answered by `outer`
        // itself (cuts, stalls, dribbles) stay uncompressed, byte for byte as configured.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .quality(CompressionLevel::Default),
        )
        .layer(from_fn_with_state(st.clone(), outer))
        .with_state(st)
}

async fn loopback_only(req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    match peer {
        Some(p) if p.ip().is_loopback() => next.run(req).await,
        _ => {
            ApiError::restricted("Control endpoints only accept loopback clients.").into_response()
        }
    }
}

async fn fallback(State(st): State<Shared>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/v1/") || path == "/v1" {
        return ApiError::invalid_url(format!("Invalid request URL: {} {path}", req.method()))
            .into_response();
    }
    if req.method() == axum::http::Method::GET
        && let Some(doc) = crate::openapi::docs_page(&st, &path)
    {
        return (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            doc,
        )
            .into_response();
    }
    ApiError::not_found(format!("No such route: {} {path}", req.method())).into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    ApiError::invalid_url(format!(
        "Invalid request URL: method {} is not allowed on {}",
        req.method(),
        req.uri().path()
    ))
    .into_response()
}

/// Take the first fault rule matching this request, if any.
fn take_fault(st: &Shared, method: &str, path: &str) -> Option<FaultRule> {
    let mut s = st.store();
    let idx = s.faults.iter().position(|f| {
        path.starts_with(&f.path_prefix)
            && f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && f.count > 0
    })?;
    let rule = s.faults[idx].clone();
    s.faults[idx].count -= 1;
    if s.faults[idx].count == 0 {
        s.faults.remove(idx);
    }
    Some(rule)
}

fn cut_response() -> Response {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::from_static(b"{\"object\":\"li")),
        Err(std::io::Error::other("connection cut by sandbox fault")),
    ];
    let mut resp = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("4096"));
    resp
}

/// The answer of a status or cut fault (see [`FaultRule`]).
fn fault_response(f: &FaultRule, auth: Option<&str>) -> Response {
    if f.cut {
        return cut_response();
    }
    let mut e = ApiError::for_status(f.status.unwrap_or(500));
    e.retry_after = f.retry_after;
    if f.echo_auth {
        let raw = auth.unwrap_or("");
        let encoded: String = raw
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        e.message = format!("{} You sent: {raw} ({encoded})", e.message);
        let mut resp = e.into_response();
        if let Ok(v) = HeaderValue::from_str(raw) {
            resp.headers_mut().insert("x-you-sent", v);
        }
        return resp;
    }
    e.into_response()
}

/// A JSON request body of a known length up to 1 MiB, kept for the request log (tests
/// check what a client sent against Notion's request types); the request goes on with
/// the same bytes. Larger bodies, and bodies of unknown length, stream through untouched.
async fn capture_json(req: Request) -> (Request, Option<serde_json::Value>) {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let small = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n <= 1 << 20);
    if !is_json || !small || req.method() == axum::http::Method::GET {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let value = serde_json::from_slice(&bytes).ok();
    (Request::from_parts(parts, Body::from(bytes)), value)
}

/// Outer middleware: request id, faults and the request log (not for `/__sandbox`).
async fn outer(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let rid = uuid::Uuid::new_v4().to_string();
    REQUEST_ID
        .scope(rid.clone(), async move {
            let path = req.uri().path().to_string();
            // Anything but a read, a search or a query may change the store.
            let may_write = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS")
                && path != "/v1/search"
                && !(path.starts_with("/v1/data_sources/") && path.ends_with("/query"));
            let mut resp = if path.starts_with("/__sandbox") {
                next.run(req).await
            } else {
                let method = req.method().to_string();
                let query = req.uri().query().map(str::to_string);
                let auth = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let fault = take_fault(&st, &method, &path);
                // A trap (stall, dribble) keeps the request as the client sent it.
                let (req, body) = if fault
                    .as_ref()
                    .is_some_and(|f| crate::traps::applies(f) && !f.after)
                {
                    (req, None)
                } else {
                    capture_json(req).await
                };
                let mut cut = false;
                let resp = match fault {
                    Some(f) => {
                        if let Some(ms) = f.delay_ms {
                            st.traps.sleep(std::time::Duration::from_millis(ms)).await;
                        }
                        if crate::traps::applies(&f) && f.after && f.stall {
                            // The work is done (and kept), then the answer never comes:
                            // a client killed while waiting did it without knowing.
                            let done = next.run(req).await;
                            drop(done);
                            crate::traps::respond(&st, &f).await
                        } else if crate::traps::applies(&f) {
                            crate::traps::respond(&st, &f).await
                        } else if f.after && (f.cut || f.status.is_some()) {
                            // The work is done (and kept); only the answer fails.
                            let done = next.run(req).await;
                            drop(done);
                            cut = f.cut;
                            fault_response(&f, auth.as_deref())
                        } else if f.cut || f.status.is_some() {
                            cut = f.cut;
                            fault_response(&f, auth.as_deref())
                        } else {
                            next.run(req).await
                        }
                    }
                    None => next.run(req).await,
                };
                let token = auth
                    .as_deref()
                    .and_then(|a| {
                        a.strip_prefix("Bearer ")
                            .or_else(|| a.strip_prefix("bearer "))
                    })
                    .map(str::trim);
                let mut s = st.store();
                let workspace_id = token.and_then(|t| s.valid_token(t)).map(|t| t.ws.clone());
                s.requests.push(RequestRecord {
                    method,
                    path,
                    query,
                    workspace_id,
                    status: if cut { 0 } else { resp.status().as_u16() },
                    has_authorization: auth.is_some(),
                    body,
                    encoding: resp
                        .headers()
                        .get(header::CONTENT_ENCODING)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                });
                resp
            };
            if !resp.headers().contains_key("x-request-id")
                && let Ok(v) = HeaderValue::from_str(&rid)
            {
                resp.headers_mut().insert("x-request-id", v);
            }
            // The answer's date from the sandbox's clock (hyper leaves a present one alone).
            if let Ok(v) = HeaderValue::from_str(&crate::util::http_date(st.now_ms())) {
                resp.headers_mut().insert(header::DATE, v);
            }
            if may_write {
                st.bump_generation();
            }
            resp
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// The loopback rule, checked in-process: no other address may be used on
    /// this machine, so the peer address is set on the request directly.
    #[tokio::test]
    async fn control_endpoints_refuse_non_loopback_peers() {
        let st = crate::Options::default().build_state().unwrap();
        let app = router(st);
        for (peer, expected) in [
            ("203.0.113.7:5000", 403),
            ("192.168.1.2:5000", 403),
            ("127.0.0.1:5000", 200),
            ("127.8.9.10:5000", 200),
            ("[::1]:5000", 200),
        ] {
            let mut req = axum::http::Request::builder()
                .uri("/__sandbox/workspaces")
                .body(axum::body::Body::empty())
                .unwrap();
            req.extensions_mut()
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status().as_u16(), expected, "{peer}");
        }
        // Without a known peer, refuse too.
        let req = axum::http::Request::builder()
            .uri("/__sandbox/workspaces")
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 403);
    }
}
