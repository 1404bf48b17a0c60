//! `ntn-sandbox`: a local, in-memory, Notion-compatible HTTP server used by `ntn`'s tests,
//! demos and benchmarks.
//!
//! It serves:
//! * the official CLI login protocol (`POST /api/v3/workersCliLoginInit`,
//!   `POST /api/v3/workersCliLoginRedeem`) and an HTML approval page at `/cli-login/{id}`;
//! * a subset of Notion's public API under `/v1` (users, search, pages, blocks, databases,
//!   data sources, comments, file uploads) with Notion's error shapes and pagination;
//! * control endpoints under `/__sandbox` (loopback peers only) to drive logins, mint tokens,
//!   inspect requests, inject faults, inspect uploads and set comment capabilities; fault
//!   kinds that stall, dribble or redirect, and the `/__capture` route ([`traps`]);
//! * `/openapi.json` and markdown docs pages (`/reference/{operationId}.md`, `/{docs-ref}.md`).
//!
//! On `/v1` routes the checks run in this order: `Notion-Version` present (else 400
//! `missing_version`), then `Authorization: Bearer` token valid (else 401 `unauthorized`), then
//! the per-token rate limit (429 `rate_limited`, `Retry-After: 1`). Unknown routes answer 400
//! `invalid_request_url` before any of those checks.
//!
//! The fixture file format is described in [`fixture`].
//!
//! # Running one
//!
//! The `ntn-sandbox` binary serves until SIGINT/SIGTERM ([`run`]). Tests can serve one
//! inside their own process instead, on a free loopback port, until the handle drops
//! ([`spawn`]); both build the state the same way from [`Options`] (the binary's flags).
//!
//! # Layout
//!
//! From the bottom up:
//! * [`util`]: time formatting, random secrets and ids, rich text objects;
//! * [`model`]: the data types (workspaces, users, pages, blocks, databases, data sources,
//!   comments, tokens, login sessions, request log entries, fault rules);
//! * [`props`]: property values (normalising API input, empty values, rich text input) and
//!   their validation errors;
//! * [`store`]: the store of all mutable data with its queries, and the shared state;
//! * [`fixture`]: the fixture file format; [`load`]: building a store from a fixture;
//! * [`filter`] and [`sort`]: data source query filters and sorts (checked, evaluated);
//! * [`errors`]: Notion-shaped error answers; [`extract`]: request extractors;
//!   [`render`]: the JSON answered for each object; [`markdown`]: pages as Markdown
//!   (render, parse, replace);
//! * [`api`] (`/v1`), [`login`] (CLI login protocol), [`control`] (`/__sandbox`),
//!   [`uploads`] (file uploads), [`files`] (hosted files at `/__files/`, signed URLs),
//!   [`openapi`] (spec and docs pages): the endpoints;
//! * [`server`]: the router and its outer middleware;
//! * [`launch`]: options, state construction and serving (binary or in-process).

pub mod api;
pub mod control;
pub mod errors;
pub mod extract;
pub mod files;
pub mod filter;
pub mod fixture;
pub mod launch;
pub mod load;
pub mod login;
pub mod markdown;
pub mod model;
pub mod openapi;
pub mod props;
pub mod render;
pub mod server;
pub mod sort;
pub mod store;
pub mod traps;
pub mod uploads;
pub mod util;

#[cfg(feature = "tls")]
pub use launch::spawn_tls;
pub use launch::{Cli, LaunchError, Options, RunningSandbox, run, spawn, spawn_with_clock};
pub use server::router;
