//! Spawns the real `ntn-sandbox` binary on a free port and talks to it over HTTP.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACME: &str = "11111111-1111-4111-8111-111111111111";
pub const GLOBEX: &str = "22222222-2222-4222-8222-222222222222";
pub const ACME_HOME: &str = "a1000000-0000-4000-8000-000000000001";
pub const GLOBEX_HOME: &str = "b1000000-0000-4000-8000-000000000001";
pub const TASKS_DB: &str = "d1000000-0000-4000-8000-000000000001";
pub const TASKS_DS: &str = "d2000000-0000-4000-8000-000000000001";
pub const VERSION: &str = "2025-09-03";

pub struct Sandbox {
    pub child: Child,
    pub base: String,
    pub agent: ureq::Agent,
    /// Rest of stdout, to check nothing else is printed.
    pub stdout: Option<BufReader<std::process::ChildStdout>>,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Assert a Notion-shaped error with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        let v = self.json();
        assert_eq!(v["object"], "error", "{v}");
        assert_eq!(v["status"], status, "{v}");
        assert_eq!(v["code"], code, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        let rid = v["request_id"].as_str().expect("request_id");
        assert_eq!(self.header("x-request-id"), Some(rid));
        v
    }
}

impl Sandbox {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ntn-sandbox"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ntn-sandbox");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("read listening line");
        let base = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Sandbox {
            child,
            base,
            agent,
            stdout: Some(out),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn finish(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut r = r.expect("request failed");
        let status = r.status().as_u16();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = r
            .body_mut()
            .with_config()
            .limit(200 * 1024 * 1024)
            .read_to_string()
            .expect("read body");
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A raw request: method, path, headers, optional body.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        Self::finish(self.try_raw(method, path, headers, body))
    }

    pub fn try_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .expect("request");
        self.agent.run(req)
    }

    /// A `/v1` request with a token and the version header.
    pub fn api(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Resp {
        let auth = format!("Bearer {token}");
        let b = body.map(|b| b.to_string());
        self.raw(
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Notion-Version", VERSION),
                ("Content-Type", "application/json"),
            ],
            b.as_deref().map(str::as_bytes),
        )
    }

    /// A JSON request without auth (login and control endpoints).
    pub fn post(&self, path: &str, body: Value) -> Resp {
        let b = body.to_string();
        self.raw(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(b.as_bytes()),
        )
    }

    pub fn get(&self, path: &str) -> Resp {
        self.raw("GET", path, &[], None)
    }

    /// A personal access token for a user in a workspace.
    pub fn token(&self, email: &str, ws: &str) -> String {
        let r = self.post(
            "/__sandbox/tokens",
            json!({"email": email, "workspace_id": ws}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["token"].as_str().expect("token").to_string()
    }

    pub fn alice(&self) -> String {
        self.token("alice@acme.test", ACME)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `f` until it returns `Some`, failing after `secs` seconds.
pub fn poll_until<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "condition not reached in {secs}s"
        );
        std::thread::yield_now();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A multipart/form-data body: fields in order, each (name, filename, bytes).
pub fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----ntnsandboxboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, data) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The `Notion-Version` the Markdown endpoints need.
pub const MD_VERSION: &str = "2026-03-11";

/// A request to a Markdown endpoint (with the Markdown version) and a token.
pub fn md(
    sb: &Sandbox,
    method: &str,
    path: &str,
    t: &str,
    body: Option<serde_json::Value>,
) -> Resp {
    let auth = format!("Bearer {t}");
    let b = body.map(|b| b.to_string());
    sb.raw(
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Notion-Version", MD_VERSION),
            ("Content-Type", "application/json"),
        ],
        b.as_deref().map(str::as_bytes),
    )
}

/// `GET /v1/pages/{id}/markdown`, which must answer 200.
pub fn read(sb: &Sandbox, t: &str, id: &str) -> serde_json::Value {
    let r = md(sb, "GET", &format!("/v1/pages/{id}/markdown"), t, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}
