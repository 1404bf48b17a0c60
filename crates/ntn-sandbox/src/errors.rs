//! Notion-shaped errors: `{"object":"error","status","code","message","request_id"}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

tokio::task_local! {
    /// The id of the request being served (set by the outer middleware).
    pub static REQUEST_ID: String;
}

/// The request id of the current request, or a fresh one outside a request.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

/// An error answered in Notion's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "API token is invalid.")
    }
    pub fn restricted(msg: impl Into<String>) -> Self {
        Self::new(403, "restricted_resource", msg)
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(404, "object_not_found", msg)
    }
    pub fn object_not_found(kind: &str, id: &str) -> Self {
        Self::not_found(format!(
            "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration."
        ))
    }
    pub fn invalid_json(msg: impl Into<String>) -> Self {
        Self::new(400, "invalid_json", msg)
    }
    pub fn invalid_url(msg: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_url", msg)
    }
    pub fn invalid_request(msg: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", msg)
    }
    pub fn validation(msg: impl Into<String>) -> Self {
        Self::new(400, "validation_error", msg)
    }
    pub fn missing_version() -> Self {
        Self::new(
            400,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
        )
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            429,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
        );
        e.retry_after = Some(retry_after);
        e
    }
    pub fn internal(msg: impl Into<String>) -> Self {
        Self::new(500, "internal_server_error", msg)
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::new(409, "conflict_error", msg)
    }
    /// The error a fault rule answers with for an arbitrary status.
    pub fn for_status(status: u16) -> Self {
        let (code, msg) = match status {
            400 => ("invalid_request", "Injected fault: invalid request."),
            401 => ("unauthorized", "API token is invalid."),
            403 => (
                "restricted_resource",
                "Injected fault: restricted resource.",
            ),
            404 => ("object_not_found", "Injected fault: object not found."),
            409 => ("conflict_error", "Injected fault: conflict."),
            429 => (
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
            ),
            500 => (
                "internal_server_error",
                "Injected fault: internal server error.",
            ),
            502 => ("bad_gateway", "Injected fault: bad gateway."),
            503 | 529 => (
                "service_unavailable",
                "Injected fault: service unavailable.",
            ),
            504 => ("gateway_timeout", "Injected fault: gateway timeout."),
            s if s >= 500 => ("internal_server_error", "Injected fault: server error."),
            _ => ("invalid_request", "Injected fault."),
        };
        Self::new(status, code, msg)
    }
}

/// Input Notion refuses is a 400 `validation_error` with the input error's text.
impl From<crate::props::InputError> for ApiError {
    fn from(e: crate::props::InputError) -> Self {
        Self::validation(e.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rid = request_id();
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": rid,
        });
        let mut resp = (status, axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&rid) {
            resp.headers_mut().insert("x-request-id", v);
        }
        if let Some(ra) = self.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(ra));
        }
        resp
    }
}
