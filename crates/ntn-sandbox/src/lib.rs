//! `ntn-sandbox`: a local, in-memory, Notion-compatible HTTP server used by `ntn`'s tests,
//! demos and benchmarks.
//!
//! It serves:
//! * the official CLI login protocol (`POST /api/v3/workersCliLoginInit`,
//!   `POST /api/v3/workersCliLoginRedeem`) and an HTML approval page at `/cli-login/{id}`;
//! * a subset of Notion's public API under `/v1` (users, search, pages, blocks, databases,
//!   data sources, comments, file uploads) with Notion's error shapes and pagination;
//! * control endpoints under `/__sandbox` (loopback peers only) to drive logins, mint tokens,
//!   inspect requests, inject faults and inspect uploads;
//! * `/openapi.json` and markdown docs pages (`/reference/{operationId}.md`, `/{docs-ref}.md`).
//!
//! On `/v1` routes the checks run in this order: `Notion-Version` present (else 400
//! `missing_version`), then `Authorization: Bearer` token valid (else 401 `unauthorized`), then
//! the per-token rate limit (429 `rate_limited`, `Retry-After: 1`). Unknown routes answer 400
//! `invalid_request_url` before any of those checks.
//!
//! The fixture file format is described in [`fixture`].

pub mod api;
pub mod control;
pub mod errors;
pub mod extract;
pub mod fixture;
pub mod login;
pub mod openapi;
pub mod render;
pub mod server;
pub mod state;
pub mod uploads;
pub mod util;

pub use server::{Cli, router, run};
