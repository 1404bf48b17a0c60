//! File uploads (`/v1/file_uploads`), following Notion's rules.
//!
//! Bodies are streamed: every `file` part is hashed (SHA-256) while it is read and never held
//! in memory. A single-part upload is only hashed. A multi-part upload's parts are spooled to
//! temporary files (kept until the upload completes, so that a re-sent part can replace an
//! earlier one), and a running hasher consumes the parts strictly in part order as soon as
//! they are contiguous, so the overall SHA-256 is that of the bytes in part order whatever
//! order (or concurrency) the parts arrived in. Only sizes and hashes are kept in memory.

use crate::api::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryMap};
use crate::login::base_url;
use crate::store::Shared;
use crate::util;
use axum::Json;
use axum::extract::{Extension, FromRequest, Multipart, Request, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tempfile::TempPath;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const MIB: u64 = 1024 * 1024;
/// Largest single-part upload and largest part.
pub const MAX_PART: u64 = 20 * MIB;
/// Smallest part of a multi-part upload (except the last).
pub const MIN_PART: u64 = 5 * MIB;
pub const MAX_PARTS: u64 = 1000;
/// How much of a rejected body is still read (so the client sees the error, not a reset).
const DRAIN_LIMIT: u64 = 64 * MIB;

#[derive(Debug, Clone)]
struct PartInfo {
    size: u64,
    sha256: String,
}

#[derive(Debug, Clone)]
struct Meta {
    id: String,
    ws: String,
    mode: String,
    filename: Option<String>,
    content_type: Option<String>,
    status: String,
    created_ms: i64,
    last_edited_ms: i64,
    total_parts: Option<u32>,
    external_url: Option<String>,
    parts: BTreeMap<u32, PartInfo>,
    content_length: Option<u64>,
    sha256: Option<String>,
    upload_url: String,
    /// Attached to a block at least once: it no longer expires (`expiry_time` null).
    attached: bool,
}

/// How long an upload that was never attached stays usable (Notion: `expiry_time`, about
/// an hour after creation).
pub const EXPIRY_MS: i64 = 3_600_000;

impl Meta {
    /// Mark the upload expired once its hour is up, unless it was attached.
    fn expire(&mut self, now: i64) {
        if !self.attached
            && (self.status == "pending" || self.status == "uploaded")
            && now >= self.created_ms + EXPIRY_MS
        {
            self.status = "expired".into();
        }
    }
}

#[derive(Default)]
struct Assembler {
    hasher: Sha256,
    /// Next part number the running hasher needs.
    next: u32,
    files: BTreeMap<u32, (TempPath, String)>,
}

struct Entry {
    meta: Mutex<Meta>,
    asm: tokio::sync::Mutex<Assembler>,
    /// The bytes once uploaded: spool files in part order.
    content: Mutex<Option<Arc<Vec<TempPath>>>>,
}

impl Entry {
    fn meta(&self) -> std::sync::MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// The metadata, marked expired when its hour is up at `now`.
    fn meta_at(&self, now: i64) -> std::sync::MutexGuard<'_, Meta> {
        let mut m = self.meta();
        m.expire(now);
        m
    }
    fn set_content(&self, files: Vec<TempPath>) {
        *self.content.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(files));
    }
}

/// An uploaded file's bytes, for serving ([`Uploads::content`]).
pub struct Content {
    pub files: Arc<Vec<TempPath>>,
    pub content_type: Option<String>,
    pub length: u64,
}

/// Uploads by id, and ids in creation order.
type Index = (HashMap<String, Arc<Entry>>, Vec<String>);

/// All uploads, plus the spool directory.
pub struct Uploads {
    dir: tempfile::TempDir,
    map: Mutex<Index>,
}

impl Uploads {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::Builder::new().prefix("ntn-sandbox-").tempdir()?,
            map: Mutex::new((HashMap::new(), vec![])),
        })
    }
    fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .get(id)
            .cloned()
    }
    fn insert(&self, meta: Meta) {
        let id = meta.id.clone();
        let e = Arc::new(Entry {
            meta: Mutex::new(meta),
            asm: tokio::sync::Mutex::new(Assembler {
                next: 1,
                ..Default::default()
            }),
            content: Mutex::new(None),
        });
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        m.0.insert(id.clone(), e);
        m.1.push(id);
    }

    /// Check that an upload can be attached to a block in workspace `ws` at `now` (Notion:
    /// only a file upload whose `status` is `uploaded`; expired and failed ones "can no longer
    /// be used"); returns its filename. Nothing changes until [`Uploads::mark_attached`].
    pub fn attachable(&self, id: &str, ws: &str, now: i64) -> ApiResult<String> {
        let e = self
            .get(id)
            .filter(|e| e.meta().ws == ws)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "Could not find file upload with ID: {id}. It may not exist or may not be shared with the integration."
                ))
            })?;
        let m = e.meta_at(now);
        match m.status.as_str() {
            "uploaded" => Ok(m.filename.clone().unwrap_or_else(|| "file".into())),
            "pending" => Err(ApiError::validation(format!(
                "File upload {id} is pending: send (and complete) its content before attaching it."
            ))),
            other => Err(ApiError::validation(format!(
                "File upload {id} is {other} and can no longer be used."
            ))),
        }
    }

    /// Note that an upload was attached: it no longer expires (`expiry_time` null). An
    /// upload can be attached again (Notion: "Upload once, attach many times").
    pub fn mark_attached(&self, id: &str) {
        if let Some(e) = self.get(id) {
            e.meta().attached = true;
        }
    }

    /// The `content_type` an upload was created with (or its parts were sent with).
    pub fn content_type(&self, id: &str) -> Option<String> {
        self.get(id)?.meta().content_type.clone()
    }

    /// The bytes of an uploaded (and attached) file, for `GET /__files/…`.
    pub fn content(&self, id: &str) -> Option<Content> {
        let e = self.get(id)?;
        let (attached, content_type, length) = {
            let m = e.meta();
            (
                m.attached,
                m.content_type.clone(),
                m.content_length.unwrap_or(0),
            )
        };
        if !attached {
            return None;
        }
        let files = e
            .content
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        Some(Content {
            files,
            content_type,
            length,
        })
    }

    /// The control view of an upload (`GET /__sandbox/uploads/{id}`).
    pub async fn inspect(&self, id: &str) -> Option<Value> {
        let e = self.get(id)?;
        let running = {
            let asm = e.asm.lock().await;
            (asm.next, asm.hasher.clone())
        };
        let m = e.meta().clone();
        let size: u64 = m.parts.values().map(|p| p.size).sum();
        let sha = m.sha256.clone().or_else(|| {
            (m.mode == "multi_part" && m.total_parts.is_some_and(|t| running.0 > t))
                .then(|| hex(running.1.finalize()))
        });
        let parts: Vec<Value> = m
            .parts
            .iter()
            .map(|(n, p)| json!({"part_number": n, "size": p.size, "sha256": p.sha256}))
            .collect();
        Some(json!({
            "id": m.id,
            "status": m.status,
            "mode": m.mode,
            "filename": m.filename,
            "content_type": m.content_type,
            "size": size,
            "sha256": sha,
            "number_of_parts": m.total_parts,
            "parts": parts,
        }))
    }
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn upload_json(m: &Meta) -> Value {
    let mut v = json!({
        "object": "file_upload",
        "id": m.id,
        "created_time": util::rfc3339(m.created_ms),
        "last_edited_time": util::rfc3339(m.last_edited_ms),
        "expiry_time": if m.attached { Value::Null } else { json!(util::rfc3339(m.created_ms + EXPIRY_MS)) },
        "archived": false,
        "status": m.status,
        "filename": m.filename,
        "content_type": m.content_type,
        "content_length": m.content_length,
        "request_id": crate::errors::request_id(),
    });
    if m.status == "pending" && m.mode != "external_url" {
        v["upload_url"] = json!(m.upload_url);
        if m.mode == "multi_part" {
            v["complete_url"] = json!(m.upload_url.replace("/send", "/complete"));
        }
    }
    if let Some(t) = m.total_parts {
        v["number_of_parts"] = json!({"total": t, "sent": m.parts.len()});
    }
    if let Some(u) = &m.external_url {
        v["file_import_result"] = json!({"type": "success", "imported_time": util::rfc3339(m.last_edited_ms), "success": {}});
        v["external_url"] = json!(u);
    }
    v
}

fn opt_str(b: &Value, k: &str) -> ApiResult<Option<String>> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(ApiError::validation(format!(
            "body failed validation: body.{k} should be a string, instead was `{}`.",
            short(v)
        ))),
    }
}

pub async fn create(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let mode = opt_str(&b, "mode")?.unwrap_or_else(|| "single_part".into());
    let mut filename = opt_str(&b, "filename")?;
    let content_type = opt_str(&b, "content_type")?;
    let external_url = opt_str(&b, "external_url")?;
    if filename.as_ref().is_some_and(|f| f.len() > 900) {
        return Err(ApiError::validation("filename must be at most 900 bytes."));
    }
    let mut total_parts = None;
    match mode.as_str() {
        "single_part" => {
            if b.get("number_of_parts").is_some_and(|v| !v.is_null()) {
                return Err(ApiError::validation(
                    "number_of_parts is only allowed for multi_part uploads.",
                ));
            }
        }
        "multi_part" => {
            let n = b.get("number_of_parts").and_then(Value::as_u64).ok_or_else(|| {
                ApiError::validation(
                    "body failed validation: body.number_of_parts should be an integer between 1 and 1000 for multi_part uploads.",
                )
            })?;
            if !(1..=MAX_PARTS).contains(&n) {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.number_of_parts should be between 1 and {MAX_PARTS}, instead was `{n}`."
                )));
            }
            if filename.is_none() {
                return Err(ApiError::validation(
                    "body failed validation: body.filename is required for multi_part uploads.",
                ));
            }
            total_parts = Some(n as u32);
        }
        "external_url" => {
            let url = external_url.as_deref().ok_or_else(|| {
                ApiError::validation("body failed validation: body.external_url is required for external_url uploads.")
            })?;
            let rest = url.strip_prefix("https://").ok_or_else(|| {
                ApiError::validation(format!(
                    "external_url must be an https URL, instead was `{url}`."
                ))
            })?;
            if rest.is_empty() || rest.starts_with('/') {
                return Err(ApiError::validation(format!(
                    "external_url `{url}` is not a valid URL."
                )));
            }
            if filename.is_none() {
                let last = rest
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                filename = Some(if last.is_empty() || !rest.contains('/') {
                    "file".into()
                } else {
                    last.into()
                });
            }
        }
        other => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.mode should be `single_part`, `multi_part` or `external_url`, instead was `{other}`."
            )));
        }
    }
    let id = util::new_id();
    let now = st.now_ms();
    let meta = Meta {
        id: id.clone(),
        ws: ctx.ws.clone(),
        status: if mode == "external_url" {
            "uploaded".into()
        } else {
            "pending".into()
        },
        mode,
        filename,
        content_type,
        created_ms: now,
        last_edited_ms: now,
        total_parts,
        external_url: external_url.filter(|_| total_parts.is_none()),
        parts: BTreeMap::new(),
        content_length: None,
        sha256: None,
        upload_url: format!("{}/v1/file_uploads/{id}/send", base_url(&st, &headers)),
        attached: false,
    };
    let out = upload_json(&meta);
    st.uploads.insert(meta);
    Ok(Json(out))
}

fn entry_in_ws(st: &Shared, ctx: &Ctx, id: &str) -> ApiResult<Arc<Entry>> {
    let id = parse_id(id, "file_upload_id")?;
    st.uploads
        .get(&id)
        .filter(|e| e.meta().ws == ctx.ws)
        .ok_or_else(|| ApiError::object_not_found("file upload", &id))
}

pub async fn get(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let e = entry_in_ws(&st, &ctx, &id)?;
    let out = upload_json(&e.meta_at(st.now_ms()));
    Ok(Json(out))
}

pub async fn list(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Value>> {
    let req = PageReq::from_query(&q)?;
    let status = q.get("status").cloned();
    if let Some(s) = &status
        && !["pending", "uploaded", "expired", "failed"].contains(&s.as_str())
    {
        return Err(ApiError::validation(format!(
            "query failed validation: status should be one of pending, uploaded, expired, failed, instead was `{s}`."
        )));
    }
    let entries: Vec<Arc<Entry>> = {
        let m = st.uploads.map.lock().unwrap_or_else(|p| p.into_inner());
        m.1.iter().filter_map(|id| m.0.get(id).cloned()).collect()
    };
    let metas: Vec<Meta> = entries
        .iter()
        .map(|e| e.meta_at(st.now_ms()).clone())
        .filter(|m| m.ws == ctx.ws && status.as_ref().is_none_or(|s| &m.status == s))
        .collect();
    let ids: Vec<String> = metas.iter().map(|m| m.id.clone()).collect();
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .filter_map(|id| metas.iter().find(|m| &m.id == id))
        .map(upload_json)
        .collect();
    Ok(Json(crate::api::list(results, next, "file_upload")))
}

struct Received {
    size: u64,
    sha256: String,
    file: Option<TempPath>,
    filename: Option<String>,
    content_type: Option<String>,
}

fn mp_err(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::validation(format!(
        "Invalid multipart/form-data body: {}",
        e.body_text()
    ))
}

/// Read and discard the rest of a rejected body (bounded).
async fn drain_rest(mp: &mut Multipart, mut budget: u64) {
    while budget > 0 {
        match mp.next_field().await {
            Ok(Some(mut f)) => {
                while let Ok(Some(c)) = f.chunk().await {
                    budget = budget.saturating_sub(c.len() as u64);
                    if budget == 0 {
                        return;
                    }
                }
            }
            _ => return,
        }
    }
}

pub async fn send(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    req: Request,
) -> ApiResult<Json<Value>> {
    let e = entry_in_ws(&st, &ctx, &id)?;
    let (mode, total, status) = {
        let m = e.meta_at(st.now_ms());
        (m.mode.clone(), m.total_parts, m.status.clone())
    };
    if mode == "external_url" {
        return Err(ApiError::validation(
            "File uploads with mode external_url cannot be sent; their content is imported from the URL.",
        ));
    }
    if status != "pending" {
        return Err(ApiError::validation(format!(
            "File upload {} is {status}; only pending uploads accept content.",
            e.meta().id
        )));
    }
    let ws_limit = st
        .store()
        .workspace(&ctx.ws)
        .map(|w| w.upload_limit)
        .unwrap_or(u64::MAX);
    let ct = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::validation(format!(
            "Content-Type should be multipart/form-data, instead was `{ct}`."
        )));
    }
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|r| ApiError::validation(format!("Invalid multipart/form-data body: {r}")))?;
    let multi = mode == "multi_part";
    let cap = if multi {
        MAX_PART
    } else {
        MAX_PART.min(ws_limit)
    };
    let mut part_number: Option<String> = None;
    let mut got: Option<Received> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(err) => return Err(mp_err(err)),
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "part_number" => {
                let t = field.text().await.map_err(mp_err)?;
                part_number = Some(t.trim().to_string());
            }
            "file" => {
                if got.is_some() {
                    drain_rest(&mut mp, DRAIN_LIMIT).await;
                    return Err(ApiError::validation("Only one `file` part is allowed."));
                }
                let mut field = field;
                let filename = field.file_name().map(str::to_string);
                let content_type = field.content_type().map(str::to_string);
                let mut hasher = Sha256::new();
                let mut size: u64 = 0;
                // Spooled in both modes: the bytes are served once attached.
                let (mut out, path) = {
                    let tf = tempfile::NamedTempFile::new_in(st.uploads.dir.path())
                        .map_err(|e| ApiError::internal(format!("spool: {e}")))?;
                    let (f, p) = tf.into_parts();
                    (Some(tokio::fs::File::from_std(f)), Some(p))
                };
                let mut too_big = false;
                loop {
                    let chunk = match field.chunk().await {
                        Ok(Some(c)) => c,
                        Ok(None) => break,
                        Err(err) => return Err(mp_err(err)),
                    };
                    size += chunk.len() as u64;
                    if size > cap {
                        too_big = true;
                        let mut budget = DRAIN_LIMIT;
                        while let Ok(Some(c)) = field.chunk().await {
                            budget = budget.saturating_sub(c.len() as u64);
                            if budget == 0 {
                                break;
                            }
                        }
                        break;
                    }
                    hasher.update(&chunk);
                    if let Some(f) = out.as_mut() {
                        f.write_all(&chunk)
                            .await
                            .map_err(|e| ApiError::internal(format!("spool: {e}")))?;
                    }
                }
                if too_big {
                    drop(field);
                    drain_rest(&mut mp, DRAIN_LIMIT).await;
                    return Err(if !multi && cap < MAX_PART {
                        ApiError::validation(format!(
                            "The file exceeds the workspace's upload limit of {ws_limit} bytes."
                        ))
                    } else if multi {
                        ApiError::validation(format!(
                            "Each part must be at most {MAX_PART} bytes (20 MiB)."
                        ))
                    } else {
                        ApiError::validation(format!(
                            "single_part uploads must be at most {MAX_PART} bytes (20 MiB); use multi_part for larger files."
                        ))
                    });
                }
                if let Some(f) = out.as_mut() {
                    f.flush()
                        .await
                        .map_err(|e| ApiError::internal(format!("spool: {e}")))?;
                }
                got = Some(Received {
                    size,
                    sha256: hex(hasher.finalize()),
                    file: path,
                    filename,
                    content_type,
                });
            }
            _ => {
                let mut field = field;
                while let Ok(Some(_)) = field.chunk().await {}
            }
        }
    }
    let got = got.ok_or_else(|| {
        ApiError::validation("The multipart/form-data body must contain a `file` part.")
    })?;
    if !multi {
        if part_number.is_some() {
            return Err(ApiError::validation(
                "part_number is only allowed for multi_part uploads.",
            ));
        }
        let mut m = e.meta_at(st.now_ms());
        if m.status != "pending" {
            return Err(ApiError::validation(format!(
                "File upload {} is {}; only pending uploads accept content.",
                m.id, m.status
            )));
        }
        if let Some(f) = got.file {
            e.set_content(vec![f]);
        }
        m.parts.clear();
        m.parts.insert(
            1,
            PartInfo {
                size: got.size,
                sha256: got.sha256.clone(),
            },
        );
        m.status = "uploaded".into();
        m.content_length = Some(got.size);
        m.sha256 = Some(got.sha256);
        if m.filename.is_none() {
            m.filename = got.filename;
        }
        if m.content_type.is_none() {
            m.content_type = got.content_type;
        }
        m.last_edited_ms = st.now_ms();
        return Ok(Json(upload_json(&m)));
    }
    let total = total.unwrap_or(1);
    let raw = part_number
        .ok_or_else(|| ApiError::validation("part_number is required for multi_part uploads."))?;
    let n: u32 = raw
        .parse()
        .ok()
        .filter(|n| (1..=total).contains(n))
        .ok_or_else(|| {
            ApiError::validation(format!(
                "part_number should be an integer between 1 and {total}, instead was `{raw}`."
            ))
        })?;
    if n < total && got.size < MIN_PART {
        return Err(ApiError::validation(format!(
            "Part {n} is {} bytes; every part except the last must be at least {MIN_PART} bytes (5 MiB).",
            got.size
        )));
    }
    if got.size == 0 {
        return Err(ApiError::validation(format!("Part {n} is empty.")));
    }
    {
        let m = e.meta_at(st.now_ms());
        let others: u64 = m
            .parts
            .iter()
            .filter(|(k, _)| **k != n)
            .map(|(_, p)| p.size)
            .sum();
        if others + got.size > ws_limit {
            return Err(ApiError::validation(format!(
                "The file exceeds the workspace's upload limit of {ws_limit} bytes."
            )));
        }
        if m.status != "pending" {
            return Err(ApiError::validation(format!(
                "File upload {} is {}; only pending uploads accept content.",
                m.id, m.status
            )));
        }
    }
    // Feed the running hasher (in part order) under the assembler lock.
    {
        let mut asm = e.asm.lock().await;
        let file = got.file.expect("multi_part parts are spooled");
        if n < asm.next && asm.files.get(&n).is_some_and(|(_, sha)| *sha != got.sha256) {
            // A consumed part was replaced: re-hash from the start.
            asm.hasher = Sha256::new();
            asm.next = 1;
        }
        asm.files.insert(n, (file, got.sha256.clone()));
        advance(&mut asm).await?;
    }
    let mut m = e.meta();
    m.parts.insert(
        n,
        PartInfo {
            size: got.size,
            sha256: got.sha256,
        },
    );
    if m.content_type.is_none() {
        m.content_type = got.content_type;
    }
    m.last_edited_ms = st.now_ms();
    Ok(Json(upload_json(&m)))
}

async fn advance(asm: &mut Assembler) -> ApiResult<()> {
    loop {
        let next = asm.next;
        let Some((path, _)) = asm.files.get(&next) else {
            return Ok(());
        };
        let mut f = tokio::fs::File::open(&**path)
            .await
            .map_err(|e| ApiError::internal(format!("spool: {e}")))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = f
                .read(&mut buf)
                .await
                .map_err(|e| ApiError::internal(format!("spool: {e}")))?;
            if n == 0 {
                break;
            }
            asm.hasher.update(&buf[..n]);
        }
        asm.next += 1;
    }
}

pub async fn complete(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    JsonBody(_): JsonBody,
) -> ApiResult<Json<Value>> {
    let e = entry_in_ws(&st, &ctx, &id)?;
    {
        let m = e.meta_at(st.now_ms());
        if m.mode != "multi_part" {
            return Err(ApiError::validation(
                "Only multi_part file uploads can be completed.",
            ));
        }
        if m.status != "pending" {
            return Err(ApiError::validation(format!(
                "File upload {} is {}; only pending uploads can be completed.",
                m.id, m.status
            )));
        }
        let total = m.total_parts.unwrap_or(0);
        let missing: Vec<String> = (1..=total)
            .filter(|n| !m.parts.contains_key(n))
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::validation(format!(
                "Cannot complete: {} of {total} parts received; missing part(s) {}.",
                m.parts.len(),
                missing.join(", ")
            )));
        }
    }
    let sha = {
        let mut asm = e.asm.lock().await;
        advance(&mut asm).await?;
        let sha = hex(asm.hasher.clone().finalize());
        // The parts in order are the file's bytes.
        let parts = std::mem::take(&mut asm.files);
        e.set_content(parts.into_values().map(|(p, _)| p).collect());
        sha
    };
    let mut m = e.meta();
    m.status = "uploaded".into();
    m.content_length = Some(m.parts.values().map(|p| p.size).sum());
    m.sha256 = Some(sha);
    m.last_edited_ms = st.now_ms();
    Ok(Json(upload_json(&m)))
}
