//! The public API client: a token, the API base URL and the `Notion-Version`
//! to send, over the shared HTTP client with its retry policy (and, for bulk
//! work, a [`super::pace::Pacer`]: see [`Notion::paced`]).

use std::sync::Arc;

use serde_json::Value;

use super::paginate::Pages;
use crate::error::Result;
use crate::http::retry::Gate;
use crate::http::{self, Request, Response, RetryPolicy};
use crate::secrets::Token;

/// A client of Notion's public API.
#[derive(Clone, Debug)]
pub struct Notion {
    http: http::Client,
    token: Token,
    /// API base URL without a trailing slash.
    base: String,
    version: String,
    /// Told of every attempt (a pacer), unless a policy brings its own.
    gate: Option<Arc<dyn Gate>>,
}

impl Notion {
    /// A client sending `token` to `api_base` with `Notion-Version: version`.
    pub fn new(http: http::Client, token: Token, api_base: &str, version: &str) -> Notion {
        Notion {
            http,
            token,
            base: api_base.trim_end_matches('/').to_string(),
            version: version.to_string(),
            gate: None,
        }
    }

    /// The same client with every request going through `gate` (a
    /// [`super::pace::Pacer`] spacing bulk work under the rate limit).
    pub fn paced(mut self, gate: Arc<dyn Gate>) -> Notion {
        self.gate = Some(gate);
        self
    }

    /// `policy` with this client's gate (its pacer), unless it has one: for requests
    /// sent through [`Notion::http`] directly (a streamed answer).
    pub fn with_gate(&self, policy: &RetryPolicy) -> RetryPolicy {
        let mut policy = policy.clone();
        if policy.gate.is_none() {
            policy.gate = self.gate.clone();
        }
        policy
    }

    /// The same client (token, version, pacer) over another HTTP client: a new
    /// deadline for the next phase of a long command.
    pub fn with_http(mut self, http: http::Client) -> Notion {
        self.http = http;
        self
    }

    /// The same client sending another `Notion-Version`.
    pub fn with_version(mut self, version: &str) -> Notion {
        self.version = version.to_string();
        self
    }

    pub fn http(&self) -> &http::Client {
        &self.http
    }

    pub fn token(&self) -> &Token {
        &self.token
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The full URL of an API path (`/v1/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` with the token and `Notion-Version`.
    pub fn request(&self, method: &str, path: &str) -> Request {
        Request::new(method, self.url(path))
            .bearer(&self.token)
            .header("Notion-Version", &self.version)
    }

    /// Sends a request with retries; error answers become errors (see
    /// [`RetryPolicy::return_errors`]).
    pub fn send(&self, req: &Request, policy: &RetryPolicy) -> Result<Response> {
        self.http.send(req, &self.with_gate(policy))
    }

    /// `GET path` as JSON.
    pub fn get(&self, path: &str) -> Result<Value> {
        self.send(&self.request("GET", path), &RetryPolicy::default())?
            .json()
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(
            &self.request("POST", path).json(body),
            &RetryPolicy::default(),
        )?
        .json()
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(
            &self.request("PATCH", path).json(body),
            &RetryPolicy::default(),
        )?
        .json()
    }

    /// The pages of a list endpoint: `GET` takes the cursor in the query,
    /// other methods in the JSON body (`body`, an object).
    pub fn pages(&self, req: Request, body: Option<Value>, policy: RetryPolicy) -> Result<Pages> {
        Pages::new(self.http.clone(), req, body, self.with_gate(&policy))
    }
}
