//! Extractors whose rejections are Notion-shaped errors.

use crate::errors::{ApiError, ApiResult};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;

/// Largest JSON body accepted (uploads use multipart and are not limited by this).
pub const JSON_LIMIT: usize = 4 * 1024 * 1024;

/// A JSON body: always an object (an empty body reads as `{}`).
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(req.into_body(), JSON_LIMIT)
            .await
            .map_err(|e| {
                if std::error::Error::source(&e)
                    .is_some_and(|s| s.to_string().contains("length limit"))
                    || e.to_string().contains("length limit")
                {
                    ApiError::validation(format!(
                        "Request body too large (limit {JSON_LIMIT} bytes)."
                    ))
                } else {
                    ApiError::invalid_request(format!("Could not read request body: {e}"))
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid_json(format!("Error parsing JSON body: {e}")))?;
        if !v.is_object() {
            return Err(ApiError::validation(format!(
                "body failed validation: body should be an object, instead was `{}`.",
                crate::api::short(&v)
            )));
        }
        Ok(JsonBody(v))
    }
}

/// Deserialize a JSON value into a typed request, as a `validation_error` on failure.
pub fn typed<T: DeserializeOwned>(v: &Value) -> ApiResult<T> {
    T::deserialize(v).map_err(|e| ApiError::validation(format!("body failed validation: {e}.")))
}

/// A single path parameter.
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(p)) => Ok(PathParam(p)),
            Err(e) => Err(ApiError::invalid_url(format!("Invalid request URL: {e}"))),
        }
    }
}

/// The query string as a map (last value wins).
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::invalid_url(format!("Invalid query string: {e}")))?;
        Ok(QueryMap(pairs.into_iter().collect()))
    }
}
