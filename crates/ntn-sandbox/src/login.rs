//! The CLI login protocol (`/api/v3/workersCliLogin*`) and the HTML approval page.

use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::{LoginSession, Role, SessionState, TokenKind};
use crate::store::{Shared, Store};
use crate::util::{self, html_escape as esc};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api/v3/workersCliLoginInit", post(init))
        .route("/api/v3/workersCliLoginRedeem", post(redeem))
        .route("/cli-login/{id}", get(page_get).post(page_post))
}

/// The `http://HOST:PORT` the client used (from the Host header).
pub fn base_url(st: &Shared, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map(str::to_string)
        .or_else(|| st.local_addr.get().cloned())
        .unwrap_or_else(|| "127.0.0.1".into());
    format!("http://{host}")
}

async fn init(State(st): State<Shared>, headers: HeaderMap, JsonBody(_): JsonBody) -> Response {
    let now = st.now_ms();
    let expires_ms = now + (st.cfg.login_ttl_secs as i64) * 1000;
    let session = LoginSession {
        session_id: util::random_hex(32),
        browser_id: util::random_hex(16),
        code: util::verification_code(),
        expires_ms,
        state: SessionState::Pending,
    };
    let body = json!({
        "sessionId": session.session_id,
        "browserUrl": format!("{}/cli-login/{}", base_url(&st, &headers), session.browser_id),
        "verificationCode": session.code,
        "expiresAt": util::rfc3339(expires_ms),
        "expiresAtMs": expires_ms,
        "pollIntervalMs": st.cfg.poll_interval_ms,
    });
    st.store().sessions.push(session);
    axum::Json(body).into_response()
}

async fn redeem(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Response> {
    let sid = match v.get("sessionId") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.sessionId should be a string, instead was `{other}`."
            )));
        }
        None => {
            return Err(ApiError::validation(
                "body failed validation: body.sessionId should be defined, instead was `undefined`.",
            ));
        }
    };
    let now = st.now_ms();
    let mut s = st.store();
    let not_found = || ApiError::not_found("Login session not found.");
    let idx = s
        .sessions
        .iter()
        .position(|x| x.session_id == sid)
        .ok_or_else(not_found)?;
    let sess = &mut s.sessions[idx];
    if sess.expired(now) {
        return Ok(axum::Json(json!({"status": "expired"})).into_response());
    }
    let body = match &sess.state {
        SessionState::Pending => json!({"status": "pending"}),
        SessionState::Redeemed => return Err(not_found()),
        SessionState::Denied { reason, message } => {
            json!({"status": "denied", "reason": reason, "message": message})
        }
        SessionState::Confirmed { token, ws, user_id } => {
            let (token, ws, user_id) = (token.clone(), ws.clone(), user_id.clone());
            sess.state = SessionState::Redeemed;
            let space_name = s.workspace(&ws).map(|w| w.name.clone());
            let email = s.user(&user_id).map(|u| u.email.clone());
            json!({
                "status": "confirmed",
                "token": token,
                "spaceId": ws,
                "spaceName": space_name,
                "userId": user_id,
                "userEmail": email,
            })
        }
    };
    Ok(axum::Json(body).into_response())
}

/// Why an approval failed.
#[derive(Debug)]
pub enum ApproveError {
    /// The session is not pending any more (expired, done).
    NotPending(&'static str),
    /// The user is not in that workspace.
    NotMember,
    /// Guest or restricted: the session was denied with this reason.
    Refused(&'static str, String),
}

pub fn refusal_message(reason: &str, ws_name: &str) -> String {
    match reason {
        "guest" => format!(
            "CLI login requires full workspace membership: you are a guest in {ws_name}. Ask a workspace owner to make you a member."
        ),
        "restricted" => format!(
            "CLI login requires full workspace membership: your membership in {ws_name} is restricted. Ask a workspace owner for full membership."
        ),
        _ => "The login request was denied in the browser.".into(),
    }
}

/// Deny a session (reason `guest`, `restricted` or `user_denied`).
pub fn deny(s: &mut Store, idx: usize, reason: &str, message: String) {
    s.sessions[idx].state = SessionState::Denied {
        reason: reason.into(),
        message,
    };
}

/// Approve session `idx` for a user in a workspace, minting a login token.
pub fn approve(
    s: &mut Store,
    idx: usize,
    user_id: &str,
    ws: &str,
    now: i64,
) -> Result<(), ApproveError> {
    let status = s.sessions[idx].status(now);
    if status != "pending" {
        return Err(ApproveError::NotPending(status));
    }
    let ws_name = s.workspace(ws).map(|w| w.name.clone()).unwrap_or_default();
    match s.role(user_id, ws) {
        None => Err(ApproveError::NotMember),
        Some(Role::Member) => {
            let token = s.mint_token(user_id, ws, TokenKind::Login);
            s.sessions[idx].state = SessionState::Confirmed {
                token,
                ws: ws.into(),
                user_id: user_id.into(),
            };
            Ok(())
        }
        Some(r) => {
            let reason = if r == Role::Guest {
                "guest"
            } else {
                "restricted"
            };
            let msg = refusal_message(reason, &ws_name);
            deny(s, idx, reason, msg.clone());
            Err(ApproveError::Refused(reason, msg))
        }
    }
}

// ---------------------------------------------------------------------------
// HTML approval page

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · Notion sandbox</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}}\
.code{{font-family:monospace;font-size:2rem;letter-spacing:.15em;padding:.5rem 1rem;border:2px solid #222;display:inline-block;border-radius:6px}}\
.error{{color:#b00}} button{{font-size:1rem;padding:.4rem 1.2rem;margin-right:.5rem}}</style></head>\
<body><h1>{t}</h1>\n{body}\n</body></html>\n",
        t = esc(title)
    ))
}

fn find_browser(s: &Store, id: &str) -> Option<usize> {
    s.sessions.iter().position(|x| x.browser_id == id)
}

fn signin_form(s: &Store, id: &str, error: Option<&str>) -> String {
    let users: String = s
        .users
        .iter()
        .map(|u| format!("<li><code>{}</code> ({})</li>", esc(&u.email), esc(&u.name)))
        .collect();
    format!(
        "<p>Sign in to authorize the Notion CLI.</p>{err}\
<form method=\"post\" action=\"/cli-login/{id}\"><input type=\"hidden\" name=\"step\" value=\"email\">\
<label>Email <input type=\"email\" name=\"email\" required autofocus></label> <button type=\"submit\">Continue</button></form>\
<p>Sandbox users:</p><ul>{users}</ul>",
        err = error
            .map(|e| format!("<p class=\"error\">{}</p>", esc(e)))
            .unwrap_or_default(),
        id = esc(id),
    )
}

fn closed_page(status: &str) -> Response {
    match status {
        "expired" => layout(
            "Login request expired",
            "<p>This login request has expired. Run the login command again in your terminal.</p>",
        )
        .into_response(),
        "denied" => layout(
            "Login request denied",
            "<p>This login request was denied. You can close this window.</p>",
        )
        .into_response(),
        _ => layout(
            "Login request already completed",
            "<p>This login request was already approved. Return to your terminal.</p>",
        )
        .into_response(),
    }
}

fn unknown_page() -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        layout(
            "Login request not found",
            "<p>This login link is not valid. Run the login command again in your terminal.</p>",
        ),
    )
        .into_response()
}

async fn page_get(State(st): State<Shared>, PathParam(id): PathParam) -> Response {
    let s = st.store();
    let Some(idx) = find_browser(&s, &id) else {
        return unknown_page();
    };
    let status = s.sessions[idx].status(st.now_ms());
    if status != "pending" {
        return closed_page(status);
    }
    layout("Sign in to Notion", &signin_form(&s, &id, None)).into_response()
}

async fn page_post(State(st): State<Shared>, PathParam(id): PathParam, req: Request) -> Response {
    let bytes = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return ApiError::invalid_request("Could not read form body.").into_response(),
    };
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(e) => {
            return ApiError::invalid_request(format!("Invalid form body: {e}")).into_response();
        }
    };
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let now = st.now_ms();
    let mut s = st.store();
    let Some(idx) = find_browser(&s, &id) else {
        return unknown_page();
    };
    let status = s.sessions[idx].status(now);
    if status != "pending" {
        return closed_page(status);
    }
    let step = field("step");
    let email = field("email");
    if step == "deny" {
        deny(
            &mut s,
            idx,
            "user_denied",
            refusal_message("user_denied", ""),
        );
        return layout(
            "Login request denied",
            "<p>You denied the login request. The terminal will be told. You can close this window.</p>",
        )
        .into_response();
    }
    let Some(user) = s.user_by_email(&email).cloned() else {
        let msg = if email.is_empty() {
            "Enter your email address.".to_string()
        } else {
            format!("No sandbox account for {email}.")
        };
        return layout("Sign in to Notion", &signin_form(&s, &id, Some(&msg))).into_response();
    };
    let memberships = s.memberships(&user.id);
    if step == "approve" {
        let ws = field("workspace_id");
        return match approve(&mut s, idx, &user.id, &ws, now) {
            Ok(()) => {
                let name = s.workspace(&ws).map(|w| w.name.clone()).unwrap_or_default();
                layout(
                    "CLI login approved",
                    &format!(
                        "<p>The Notion CLI is now signed in as <b>{}</b> to the workspace <b>{}</b>.</p><p>Return to your terminal.</p>",
                        esc(&user.email),
                        esc(&name)
                    ),
                )
                .into_response()
            }
            Err(ApproveError::Refused(_, msg)) => refusal_page(&msg),
            Err(ApproveError::NotMember) => choose_page(
                &s,
                &id,
                idx,
                &user,
                &memberships,
                Some("Choose one of your workspaces."),
            ),
            Err(ApproveError::NotPending(st)) => closed_page(st),
        };
    }
    // step == "email": show the code and the workspace choice.
    if memberships.is_empty() {
        let msg = format!("{} is not a member of any workspace.", user.email);
        deny(&mut s, idx, "restricted", msg.clone());
        return refusal_page(&msg);
    }
    if memberships.iter().all(|(_, _, r)| *r != Role::Member) {
        let (_, ws_name, role) = &memberships[0];
        let reason = if *role == Role::Guest {
            "guest"
        } else {
            "restricted"
        };
        let msg = refusal_message(reason, ws_name);
        deny(&mut s, idx, reason, msg.clone());
        return refusal_page(&msg);
    }
    choose_page(&s, &id, idx, &user, &memberships, None)
}

fn refusal_page(msg: &str) -> Response {
    layout(
        "CLI login not allowed",
        &format!(
            "<p class=\"error\">{}</p><p>CLI login requires full workspace membership. Guests and restricted members cannot sign in to the CLI.</p>",
            esc(msg)
        ),
    )
    .into_response()
}

fn choose_page(
    s: &Store,
    id: &str,
    idx: usize,
    user: &crate::model::User,
    memberships: &[(String, String, Role)],
    error: Option<&str>,
) -> Response {
    let code = &s.sessions[idx].code;
    let first_member = memberships.iter().position(|(_, _, r)| *r == Role::Member);
    let radios: String = memberships
        .iter()
        .enumerate()
        .map(|(i, (wid, name, role))| {
            let note = match role {
                Role::Member => String::new(),
                r => format!(" ({})", r.as_str()),
            };
            format!(
                "<p><label><input type=\"radio\" name=\"workspace_id\" value=\"{}\"{}> {}{}</label></p>",
                esc(wid),
                if Some(i) == first_member { " checked" } else { "" },
                esc(name),
                esc(&note)
            )
        })
        .collect();
    let body = format!(
        "{err}<p>Signed in as <b>{email}</b>.</p>\
<p>Make sure this code matches the one shown in your terminal:</p>\
<p class=\"code\" id=\"verification-code\">{code}</p>\
<form method=\"post\" action=\"/cli-login/{id}\">\
<input type=\"hidden\" name=\"email\" value=\"{email}\">\
<fieldset><legend>Workspace</legend>{radios}</fieldset>\
<p><button type=\"submit\" name=\"step\" value=\"approve\">Approve</button>\
<button type=\"submit\" name=\"step\" value=\"deny\">Deny</button></p></form>",
        err = error
            .map(|e| format!("<p class=\"error\">{}</p>", esc(e)))
            .unwrap_or_default(),
        email = esc(&user.email),
        code = esc(code),
        id = esc(id),
    );
    layout("Authorize the Notion CLI", &body).into_response()
}
