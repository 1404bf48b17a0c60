//! `/openapi.json` (built-in or `--openapi FILE`) and markdown docs pages.

use crate::store::Shared;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// One operation of the built-in spec.
struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    docs_ref: &'static str,
    query: &'static [&'static str],
    body: Option<&'static str>,
}

const OPS: &[Op] = &[
    Op {
        method: "get",
        path: "/v1/users/me",
        id: "get-self",
        summary: "Retrieve your token's bot user",
        docs_ref: "reference/get-self",
        query: &[],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/users",
        id: "get-users",
        summary: "List all users",
        docs_ref: "reference/get-users",
        query: &["start_cursor", "page_size"],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/users/{user_id}",
        id: "get-user",
        summary: "Retrieve a user",
        docs_ref: "reference/get-user",
        query: &[],
        body: None,
    },
    Op {
        method: "post",
        path: "/v1/search",
        id: "post-search",
        summary: "Search by title",
        docs_ref: "reference/post-search",
        query: &[],
        body: Some(
            r#"{"type":"object","properties":{"query":{"type":"string"},"filter":{"type":"object","properties":{"property":{"const":"object"},"value":{"enum":["page","data_source"]}}},"sort":{"type":"object","properties":{"direction":{"enum":["ascending","descending"]},"timestamp":{"const":"last_edited_time"}}},"start_cursor":{"type":"string"},"page_size":{"type":"integer","minimum":1,"maximum":100}}}"#,
        ),
    },
    Op {
        method: "post",
        path: "/v1/pages",
        id: "post-page",
        summary: "Create a page",
        docs_ref: "reference/post-page",
        query: &[],
        body: Some(
            r#"{"type":"object","required":["parent"],"properties":{"parent":{"type":"object","description":"{\"page_id\": …} or {\"data_source_id\": …}"},"properties":{"type":"object"},"children":{"type":"array","maxItems":100,"items":{"type":"object"}},"icon":{"type":"object"}}}"#,
        ),
    },
    Op {
        method: "get",
        path: "/v1/pages/{page_id}",
        id: "retrieve-a-page",
        summary: "Retrieve a page",
        docs_ref: "reference/retrieve-a-page",
        query: &[],
        body: None,
    },
    Op {
        method: "patch",
        path: "/v1/pages/{page_id}",
        id: "patch-page",
        summary: "Update page properties",
        docs_ref: "reference/patch-page",
        query: &[],
        body: Some(
            r#"{"type":"object","properties":{"properties":{"type":"object"},"in_trash":{"type":"boolean"},"archived":{"type":"boolean"},"icon":{"type":"object"}}}"#,
        ),
    },
    Op {
        method: "get",
        path: "/v1/pages/{page_id}/markdown",
        id: "retrieve-page-markdown",
        summary: "Retrieve a page as Markdown",
        docs_ref: "reference/retrieve-page-markdown",
        query: &[],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/blocks/{block_id}",
        id: "retrieve-a-block",
        summary: "Retrieve a block",
        docs_ref: "reference/retrieve-a-block",
        query: &[],
        body: None,
    },
    Op {
        method: "patch",
        path: "/v1/blocks/{block_id}",
        id: "update-a-block",
        summary: "Update a block",
        docs_ref: "reference/update-a-block",
        query: &[],
        body: Some(
            r#"{"type":"object","description":"An object keyed by the block type, e.g. {\"to_do\": {\"checked\": true}}; or in_trash."}"#,
        ),
    },
    Op {
        method: "delete",
        path: "/v1/blocks/{block_id}",
        id: "delete-a-block",
        summary: "Delete a block",
        docs_ref: "reference/delete-a-block",
        query: &[],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/blocks/{block_id}/children",
        id: "get-block-children",
        summary: "Retrieve block children",
        docs_ref: "reference/get-block-children",
        query: &["start_cursor", "page_size"],
        body: None,
    },
    Op {
        method: "patch",
        path: "/v1/blocks/{block_id}/children",
        id: "patch-block-children",
        summary: "Append block children",
        docs_ref: "reference/patch-block-children",
        query: &[],
        body: Some(
            r#"{"type":"object","required":["children"],"properties":{"children":{"type":"array","maxItems":100,"items":{"type":"object"}},"after":{"type":"string"}}}"#,
        ),
    },
    Op {
        method: "get",
        path: "/v1/databases/{database_id}",
        id: "retrieve-a-database",
        summary: "Retrieve a database",
        docs_ref: "reference/database-retrieve",
        query: &[],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/data_sources/{data_source_id}",
        id: "retrieve-a-data-source",
        summary: "Retrieve a data source",
        docs_ref: "reference/retrieve-a-data-source",
        query: &[],
        body: None,
    },
    Op {
        method: "post",
        path: "/v1/data_sources/{data_source_id}/query",
        id: "query-data-source",
        summary: "Query a data source",
        docs_ref: "reference/query-a-data-source",
        query: &[],
        body: Some(
            r#"{"type":"object","properties":{"filter":{"type":"object"},"sorts":{"type":"array","items":{"type":"object"}},"start_cursor":{"type":"string"},"page_size":{"type":"integer","minimum":1,"maximum":100}}}"#,
        ),
    },
    Op {
        method: "get",
        path: "/v1/views",
        id: "list-views",
        summary: "List a database's views",
        docs_ref: "reference/list-views",
        query: &["database_id", "data_source_id", "start_cursor", "page_size"],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/views/{view_id}",
        id: "retrieve-a-view",
        summary: "Retrieve a view",
        docs_ref: "reference/retrieve-a-view",
        query: &[],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/comments",
        id: "retrieve-a-comment",
        summary: "Retrieve comments",
        docs_ref: "reference/retrieve-a-comment",
        query: &["block_id", "start_cursor", "page_size"],
        body: None,
    },
    Op {
        method: "post",
        path: "/v1/comments",
        id: "create-a-comment",
        summary: "Create comment",
        docs_ref: "reference/create-a-comment",
        query: &[],
        body: Some(
            r#"{"type":"object","required":["rich_text"],"properties":{"parent":{"type":"object","properties":{"page_id":{"type":"string"}}},"discussion_id":{"type":"string"},"rich_text":{"type":"array","items":{"type":"object"}}}}"#,
        ),
    },
    Op {
        method: "post",
        path: "/v1/file_uploads",
        id: "create-file",
        summary: "Create a file upload",
        docs_ref: "reference/create-a-file-upload",
        query: &[],
        body: Some(
            r#"{"type":"object","properties":{"mode":{"enum":["single_part","multi_part","external_url"]},"filename":{"type":"string"},"content_type":{"type":"string"},"number_of_parts":{"type":"integer","minimum":1,"maximum":1000},"external_url":{"type":"string"}}}"#,
        ),
    },
    Op {
        method: "get",
        path: "/v1/file_uploads",
        id: "list-file-uploads",
        summary: "List file uploads",
        docs_ref: "reference/list-file-uploads",
        query: &["status", "start_cursor", "page_size"],
        body: None,
    },
    Op {
        method: "get",
        path: "/v1/file_uploads/{file_upload_id}",
        id: "retrieve-file-upload",
        summary: "Retrieve a file upload",
        docs_ref: "reference/retrieve-a-file-upload",
        query: &[],
        body: None,
    },
    Op {
        method: "post",
        path: "/v1/file_uploads/{file_upload_id}/send",
        id: "upload-file",
        summary: "Send a file upload",
        docs_ref: "reference/send-a-file-upload",
        query: &[],
        body: Some("multipart"),
    },
    Op {
        method: "post",
        path: "/v1/file_uploads/{file_upload_id}/complete",
        id: "complete-file-upload",
        summary: "Complete a multi-part file upload",
        docs_ref: "reference/complete-a-file-upload",
        query: &[],
        body: None,
    },
];

/// One operation of the served spec, for docs pages.
#[derive(Debug, Clone)]
struct DocOp {
    method: String,
    path: String,
    id: String,
    summary: String,
    description: String,
    docs_ref: Option<String>,
}

/// The spec being served.
pub struct Served {
    /// `--openapi FILE` content, served verbatim.
    custom: Option<String>,
    ops: Vec<DocOp>,
}

impl Served {
    /// The built-in spec, or `custom` (an OpenAPI document, which must be JSON).
    pub fn new(custom: Option<&str>) -> Result<Self, serde_json::Error> {
        let spec: Value = match custom {
            Some(text) => serde_json::from_str(text)?,
            None => builtin_spec("http://127.0.0.1:3000"),
        };
        let mut ops = vec![];
        if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, op) in item {
                    let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                        continue;
                    };
                    let s = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    ops.push(DocOp {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        id: id.into(),
                        summary: s("summary"),
                        description: s("description"),
                        docs_ref: op
                            .get("x-notion-docs-ref")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    });
                }
            }
        }
        Ok(Self {
            custom: custom.map(str::to_string),
            ops,
        })
    }
}

fn example_for(op: &Op) -> String {
    let mut cmd = format!(
        "curl -X {} \"$BASE{}\" \\\n  -H \"Authorization: Bearer $NOTION_TOKEN\" \\\n  -H \"Notion-Version: 2025-09-03\"",
        op.method.to_uppercase(),
        op.path
    );
    match op.body {
        Some("multipart") => cmd.push_str(" \\\n  -F \"file=@photo.png\""),
        Some(_) => cmd.push_str(" \\\n  -H \"Content-Type: application/json\" \\\n  --data '{}'"),
        None => {}
    }
    cmd
}

/// The built-in OpenAPI 3.1 document.
pub fn builtin_spec(server: &str) -> Value {
    let mut paths = Map::new();
    for op in OPS {
        let mut params = vec![];
        for seg in op.path.split('/') {
            if let Some(p) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                params.push(json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}));
            }
        }
        for q in op.query {
            let schema = if *q == "page_size" {
                json!({"type": "integer", "minimum": 1, "maximum": 100})
            } else {
                json!({"type": "string"})
            };
            params.push(
                json!({"name": q, "in": "query", "required": *q == "block_id", "schema": schema}),
            );
        }
        params.push(json!({"$ref": "#/components/parameters/notionVersion"}));
        let mut o = json!({
            "operationId": op.id,
            "summary": op.summary,
            "description": format!("{}. See https://developers.notion.com/{}.", op.summary, op.docs_ref),
            "x-notion-docs-ref": op.docs_ref,
            "parameters": params,
            "responses": {
                "200": {"description": "Success", "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": {"$ref": "#/components/responses/error"},
                "401": {"$ref": "#/components/responses/error"},
                "404": {"$ref": "#/components/responses/error"},
                "429": {"$ref": "#/components/responses/error"},
            },
        });
        match op.body {
            Some("multipart") => {
                o["requestBody"] = json!({"required": true, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, "part_number": {"type": "string"}}}}}});
            }
            Some(schema) => {
                let schema: Value =
                    serde_json::from_str(schema).unwrap_or(json!({"type": "object"}));
                o["requestBody"] = json!({"content": {"application/json": {"schema": schema}}});
            }
            None => {}
        }
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        entry[op.method] = o;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "ntn-sandbox Notion API", "version": "2025-09-03",
                 "description": "The subset of Notion's public API served by ntn-sandbox."},
        "servers": [{"url": server}],
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "parameters": {"notionVersion": {"name": "Notion-Version", "in": "header", "required": true,
                "schema": {"type": "string", "example": "2025-09-03"}}},
            "responses": {"error": {"description": "A Notion error", "content": {"application/json": {"schema": {
                "type": "object", "required": ["object", "status", "code", "message"],
                "properties": {"object": {"const": "error"}, "status": {"type": "integer"},
                    "code": {"type": "string"}, "message": {"type": "string"}, "request_id": {"type": "string"}}}}}}},
        },
        "paths": paths,
    })
}

pub fn router() -> Router<Shared> {
    Router::new().route("/openapi.json", get(openapi))
}

async fn openapi(State(st): State<Shared>, headers: HeaderMap) -> Response {
    match &st.openapi.custom {
        Some(text) => ([(header::CONTENT_TYPE, "application/json")], text.clone()).into_response(),
        None => axum::Json(builtin_spec(&crate::login::base_url(&st, &headers))).into_response(),
    }
}

/// The markdown page for a docs path (`/reference/{operationId}.md` or `/{docs-ref}.md`).
pub fn docs_page(st: &Shared, path: &str) -> Option<String> {
    let stem = path.strip_prefix('/')?.strip_suffix(".md")?;
    // Built-in docs refs.
    if let Some(op) = OPS.iter().find(|o| o.docs_ref == stem) {
        return Some(render_builtin(op));
    }
    let id = stem.strip_prefix("reference/")?;
    if st.openapi.custom.is_none()
        && let Some(op) = OPS.iter().find(|o| o.id == id)
    {
        return Some(render_builtin(op));
    }
    let op = st.openapi.ops.iter().find(|o| o.id == id)?;
    Some(
        format!(
            "# {}\n\n`{} {}`\n\nOperation id: `{}`\n\n{}\n",
            if op.summary.is_empty() {
                &op.id
            } else {
                &op.summary
            },
            op.method,
            op.path,
            op.id,
            if op.description.is_empty() {
                &op.summary
            } else {
                &op.description
            },
        ) + &op
            .docs_ref
            .as_ref()
            .map(|r| format!("\nDocs ref: `{r}`\n"))
            .unwrap_or_default(),
    )
}

fn render_builtin(op: &Op) -> String {
    format!(
        "# {}\n\n`{} {}`\n\nOperation id: `{}` · Docs ref: `{}`\n\n{}. Requires `Authorization: Bearer <token>` and a `Notion-Version` header; errors use Notion's shape `{{\"object\":\"error\",\"status\",\"code\",\"message\",\"request_id\"}}`.\n\n## Example\n\n```sh\n{}\n```\n",
        op.summary,
        op.method.to_uppercase(),
        op.path,
        op.id,
        op.docs_ref,
        op.summary,
        example_for(op)
    )
}
