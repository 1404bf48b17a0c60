//! Control endpoints under `/__sandbox` (loopback peers only).

use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, typed};
use crate::login::{self, ApproveError};
use crate::model::{FaultRule, Role, TokenKind};
use crate::store::Shared;
use crate::util;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/__sandbox/login/approve", post(approve))
        .route("/__sandbox/login/deny", post(deny))
        .route("/__sandbox/login/sessions", get(sessions))
        .route("/__sandbox/tokens", post(mint))
        .route("/__sandbox/tokens/revoke", post(revoke))
        .route("/__sandbox/workspaces", get(workspaces))
        .route("/__sandbox/requests", get(requests).delete(clear_requests))
        .route("/__sandbox/faults", post(add_fault).delete(clear_faults))
        .route("/__sandbox/uploads/{id}", get(upload))
        .route("/__sandbox/share", post(crate::api::markdown::share))
        .route("/__sandbox/markdown/skew", post(crate::api::markdown::skew))
        .route("/__sandbox/capabilities", post(capabilities))
}

fn ok() -> Json<Value> {
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
struct ApproveReq {
    verification_code: String,
    email: String,
    workspace_id: String,
}

fn session_by_code(s: &crate::store::Store, code: &str) -> ApiResult<usize> {
    let code = code.trim().to_ascii_uppercase();
    s.sessions
        .iter()
        .rposition(|x| x.code == code)
        .ok_or_else(|| {
            ApiError::not_found(format!("No login session with verification code {code}."))
        })
}

async fn approve(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Json<Value>> {
    let r: ApproveReq = typed(&v)?;
    let mut s = st.store();
    let idx = session_by_code(&s, &r.verification_code)?;
    let user = s
        .user_by_email(&r.email)
        .map(|u| u.id.clone())
        .ok_or_else(|| ApiError::not_found(format!("No user with email {}.", r.email)))?;
    let ws = util::normalize_id(&r.workspace_id)
        .filter(|w| s.workspace(w).is_some())
        .ok_or_else(|| ApiError::not_found(format!("No workspace {}.", r.workspace_id)))?;
    match login::approve(&mut s, idx, &user, &ws, st.now_ms()) {
        Ok(()) => Ok(ok()),
        Err(ApproveError::NotMember) => Err(ApiError::not_found(format!(
            "{} is not a member of workspace {ws}.",
            r.email
        ))),
        Err(ApproveError::Refused(_, msg)) => Err(ApiError::restricted(msg)),
        Err(ApproveError::NotPending(status)) => Err(ApiError::conflict(format!(
            "Login session is {status}, not pending."
        ))),
    }
}

#[derive(Deserialize)]
struct DenyReq {
    verification_code: String,
}

async fn deny(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Json<Value>> {
    let r: DenyReq = typed(&v)?;
    let mut s = st.store();
    let idx = session_by_code(&s, &r.verification_code)?;
    let status = s.sessions[idx].status(st.now_ms());
    if status != "pending" {
        return Err(ApiError::conflict(format!(
            "Login session is {status}, not pending."
        )));
    }
    login::deny(
        &mut s,
        idx,
        "user_denied",
        login::refusal_message("user_denied", ""),
    );
    Ok(ok())
}

async fn sessions(State(st): State<Shared>) -> Json<Value> {
    let now = st.now_ms();
    let s = st.store();
    let list: Vec<Value> = s
        .sessions
        .iter()
        .map(|x| {
            json!({
                "session_id": x.session_id,
                "verification_code": x.code,
                "status": x.status(now),
                "expires_at": util::rfc3339(x.expires_ms),
            })
        })
        .collect();
    Json(Value::Array(list))
}

#[derive(Deserialize)]
struct MintReq {
    email: String,
    workspace_id: String,
}

async fn mint(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Json<Value>> {
    let r: MintReq = typed(&v)?;
    let mut s = st.store();
    let user = s
        .user_by_email(&r.email)
        .map(|u| u.id.clone())
        .ok_or_else(|| ApiError::not_found(format!("No user with email {}.", r.email)))?;
    let ws = util::normalize_id(&r.workspace_id)
        .filter(|w| s.workspace(w).is_some())
        .ok_or_else(|| ApiError::not_found(format!("No workspace {}.", r.workspace_id)))?;
    match s.role(&user, &ws) {
        Some(Role::Member) => {
            let token = s.mint_token(&user, &ws, TokenKind::PersonalAccessToken);
            Ok(Json(json!({"token": token})))
        }
        Some(r) => Err(ApiError::restricted(format!(
            "{} is a {} of the workspace; personal access tokens require full membership.",
            v["email"].as_str().unwrap_or(""),
            r.as_str()
        ))),
        None => Err(ApiError::restricted(format!(
            "{} is not a member of workspace {ws}.",
            r.email
        ))),
    }
}

#[derive(Deserialize)]
struct RevokeReq {
    token: String,
}

async fn revoke(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Json<Value>> {
    let r: RevokeReq = typed(&v)?;
    let mut s = st.store();
    let t = s
        .tokens
        .get_mut(&r.token)
        .ok_or_else(|| ApiError::not_found("No such token."))?;
    t.revoked = true;
    Ok(ok())
}

async fn workspaces(State(st): State<Shared>) -> Json<Value> {
    let s = st.store();
    let list: Vec<Value> = s
        .workspaces
        .iter()
        .map(|w| {
            let members: Vec<Value> = w
                .members
                .iter()
                .map(|(uid, role)| {
                    json!({
                        "email": s.user(uid).map(|u| u.email.clone()),
                        "role": role.as_str(),
                    })
                })
                .collect();
            json!({"id": w.id, "name": w.name, "plan": w.plan,
                   "upload_limit_bytes": w.upload_limit, "members": members})
        })
        .collect();
    Json(Value::Array(list))
}

async fn requests(State(st): State<Shared>) -> Json<Value> {
    let s = st.store();
    Json(serde_json::to_value(&s.requests).unwrap_or(Value::Null))
}

async fn clear_requests(State(st): State<Shared>) -> Json<Value> {
    st.store().requests.clear();
    ok()
}

async fn add_fault(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Json<Value>> {
    let rule: FaultRule = typed(&v)?;
    if let Some(s) = rule.status
        && !(100..=999).contains(&s)
    {
        return Err(ApiError::validation(
            "status should be an HTTP status code.",
        ));
    }
    if rule.path_prefix.starts_with("/__sandbox") {
        return Err(ApiError::validation("Faults never apply to /__sandbox."));
    }
    if rule.count > 0 {
        st.store().faults.push(rule);
    }
    Ok(ok())
}

async fn clear_faults(State(st): State<Shared>) -> Json<Value> {
    st.store().faults.clear();
    ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapsReq {
    #[serde(default)]
    workspace_id: Option<String>,
    #[serde(default)]
    read_comments: Option<bool>,
    #[serde(default)]
    insert_comments: Option<bool>,
}

/// Set the comment capabilities of one workspace's integrations, or of every workspace
/// (without `workspace_id`: the default, and per-workspace settings are dropped); a flag left
/// out keeps its value. Answers the capabilities now in force.
async fn capabilities(State(st): State<Shared>, JsonBody(v): JsonBody) -> ApiResult<Json<Value>> {
    let r: CapsReq = typed(&v)?;
    let mut s = st.store();
    let caps = match &r.workspace_id {
        Some(raw) => {
            let ws = util::normalize_id(raw)
                .filter(|w| s.workspace(w).is_some())
                .ok_or_else(|| ApiError::not_found(format!("No workspace {raw}.")))?;
            let mut c = s.caps(&ws);
            c.read = r.read_comments.unwrap_or(c.read);
            c.insert = r.insert_comments.unwrap_or(c.insert);
            s.comment_caps_ws.insert(ws, c);
            c
        }
        None => {
            let mut c = s.comment_caps;
            c.read = r.read_comments.unwrap_or(c.read);
            c.insert = r.insert_comments.unwrap_or(c.insert);
            s.comment_caps = c;
            s.comment_caps_ws.clear();
            c
        }
    };
    Ok(Json(
        json!({"read_comments": caps.read, "insert_comments": caps.insert}),
    ))
}

async fn upload(State(st): State<Shared>, PathParam(id): PathParam) -> ApiResult<Json<Value>> {
    let id = util::normalize_id(&id).ok_or_else(|| ApiError::not_found("No such upload."))?;
    st.uploads
        .inspect(&id)
        .await
        .map(Json)
        .ok_or_else(|| ApiError::not_found("No such upload."))
}
