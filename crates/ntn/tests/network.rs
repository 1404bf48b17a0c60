//! The network as people have it, run in-process against the real sandbox:
//! answers compressed with gzip on the wire and identical once read; proxies
//! from the command's variables (a real CONNECT proxy on loopback sees the
//! requests, except for NO_PROXY hosts and loopback); HTTPS trusting the
//! certificates of SSL_CERT_FILE (the sandbox serving TLS with a certificate
//! of a test CA, as a company's TLS-inspecting proxy would).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::{ALICE, Out, Sandbox, TestEnv};
use serde_json::{Value, json};

const TASKS: &str = "d2000000-0000-4000-8000-000000000001";

fn setup() -> (Sandbox, TestEnv) {
    let sb = Sandbox::start();
    let token = sb.mint_token(ALICE, &sb.workspace("Acme"));
    let mut env = TestEnv::new().with_sandbox(&sb);
    env.set("NOTION_API_TOKEN", &token);
    (sb, env)
}

fn ok(o: &Out) {
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
}

/// The encodings the sandbox answered `path` with, oldest first.
fn encodings(sb: &Sandbox, path: &str) -> Vec<Value> {
    sb.requests()
        .into_iter()
        .filter(|r| r["path"] == path)
        .map(|r| r["encoding"].clone())
        .collect()
}

// ---------------------------------------------------------------------------
// gzip

#[test]
fn answers_come_compressed_on_the_wire_and_read_the_same() {
    let (sb, env) = setup();
    let path = format!("/v1/data_sources/{TASKS}/query");
    let api = format!("v1/data_sources/{TASKS}/query");
    let gz = env.run(&["api", &api, "-X", "POST", "-d", r#"{"page_size":100}"#]);
    ok(&gz);
    let plain = env.run(&[
        "api",
        &api,
        "-X",
        "POST",
        "-d",
        r#"{"page_size":100}"#,
        "Accept-Encoding:identity",
    ]);
    ok(&plain);
    assert_eq!(encodings(&sb, &path), vec![json!("gzip"), Value::Null]);
    // The same answer but for its request id.
    let without_id = |out: &str| {
        let mut v: Value = serde_json::from_str(out).unwrap();
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    assert_eq!(without_id(&gz.stdout), without_id(&plain.stdout));
    let v: Value = serde_json::from_str(&gz.stdout).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 100);

    // Streamed: every page of --paginate, decompressed as it is read.
    sb.clear_requests();
    let all = env.run(&["api", &api, "-X", "POST", "--paginate"]);
    ok(&all);
    let pages = encodings(&sb, &path);
    assert!(pages.len() >= 3, "{pages:?}");
    assert!(pages.iter().all(|e| e == "gzip"), "{pages:?}");
    let rows: Value = serde_json::from_str(&all.stdout).unwrap();
    let first = rows.as_array().unwrap();
    assert_eq!(first.len(), 260, "every row of the fixture");
    assert_eq!(first[..100], v["results"].as_array().unwrap()[..]);
}

#[test]
fn verbose_says_gzip_is_asked_for_and_decompressed() {
    let (_sb, env) = setup();
    let o = env.run(&["-v", "api", "v1/users/me"]);
    ok(&o);
    assert!(o.stderr.contains("> accept-encoding: gzip"), "{}", o.stderr);
    assert!(
        o.stderr.contains("< content-encoding: gzip"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("* the body is gzip-compressed"),
        "{}",
        o.stderr
    );
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["bot"]["workspace_name"], "Acme");
}

// ---------------------------------------------------------------------------
// proxies and certificates
//
// The sandbox serves HTTPS with a certificate of a test CA (as a company's
// TLS-inspecting proxy would present) for `localhost`, 127.0.0.1 and
// `api.notion.test`. `.test` names never resolve (RFC 2606): a request to
// `https://api.notion.test:PORT` arrives only through the test proxy, which
// connects `*.test` names to loopback. Loopback itself is never proxied.

/// What a proxy was asked.
#[derive(Clone, Debug)]
struct Seen {
    request: String,
    authorization: Option<String>,
}

/// A CONNECT proxy on loopback: records each request line (and its
/// Proxy-Authorization), then tunnels the bytes both ways, to loopback for
/// `*.test` names; or refuses every request with 403.
struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    fn start(refuse: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || tunnel(client, &log, refuse));
            }
        });
        Proxy { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, log: &Mutex<Vec<Seen>>, refuse: bool) {
    let mut from_client = BufReader::new(client.try_clone().unwrap());
    let mut request = String::new();
    let _ = from_client.read_line(&mut request);
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if from_client.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("proxy-authorization")
        {
            authorization = Some(v.trim().to_string());
        }
    }
    let request = request.trim_end().to_string();
    log.lock().unwrap().push(Seen {
        request: request.clone(),
        authorization,
    });
    let mut to_client = client;
    let target = request
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split(' ').next())
        .and_then(|t| t.rsplit_once(':'))
        .map(|(host, port)| match host.ends_with(".test") {
            true => format!("127.0.0.1:{port}"),
            false => format!("{host}:{port}"),
        });
    let upstream = match (refuse, target) {
        (false, Some(t)) => TcpStream::connect(t).ok(),
        _ => None,
    };
    let Some(upstream) = upstream else {
        let _ = to_client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = to_client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let mut up_read = upstream.try_clone().unwrap();
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let mut up_write = upstream;
    let _ = std::io::copy(&mut from_client, &mut up_write);
    let _ = up_write.shutdown(Shutdown::Write);
    let _ = back.join();
}

/// A test CA and a certificate it issued for the sandbox's names.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "ntn test inspection CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let names = ["localhost", "127.0.0.1", "api.notion.test"].map(String::from);
    let leaf = CertificateParams::new(names.to_vec())
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert_pem: leaf.pem(),
        key_pem: leaf_key.serialize_pem(),
    }
}

/// The sandbox over HTTPS, a token minted there, and an environment pointed
/// at `https://localhost:PORT` whose SSL_CERT_FILE holds the test CA.
fn tls_setup() -> (ntn_sandbox::RunningSandbox, TestEnv) {
    let pki = pki();
    let options = ntn_sandbox::Options {
        poll_interval_ms: 50,
        ..Default::default()
    };
    let sb = ntn_sandbox::spawn_tls(&options, &pki.cert_pem, &pki.key_pem).unwrap();
    let certs: Vec<_> = ureq::tls::parse_pem(pki.ca_pem.as_bytes())
        .filter_map(|i| match i.unwrap() {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build(),
        )
        .proxy(None)
        .build()
        .into();
    let workspaces: Value = agent
        .get(sb.url("/__sandbox/workspaces"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let ws = workspaces
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Acme")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let minted: Value = agent
        .post(sb.url("/__sandbox/tokens"))
        .send_json(json!({"email": ALICE, "workspace_id": ws}))
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let mut env = TestEnv::new();
    let ca = env.dir.path().join("company-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    env.set("NOTION_API_TOKEN", minted["token"].as_str().unwrap());
    env.set("SSL_CERT_FILE", ca.to_str().unwrap());
    point(&mut env, sb.base_url());
    (sb, env)
}

/// Points `--env local` at `base`.
fn point(env: &mut TestEnv, base: &str) {
    env.set("NOTION_ENV", "local");
    env.set("NOTION_BASE_URL", base);
    env.set("NOTION_API_BASE_URL", base);
    env.set("NOTION_API_DOCS_BASE_URL", base);
}

/// The sandbox's address under a name only the test proxy resolves.
fn behind_proxy(sb: &ntn_sandbox::RunningSandbox) -> String {
    format!("https://api.notion.test:{}", sb.addr().port())
}

#[test]
fn https_trusts_exactly_the_certificates_of_ssl_cert_file() {
    let (sb, mut env) = tls_setup();
    assert!(sb.base_url().starts_with("https://localhost:"));
    let o = env.run(&["-v", "api", "v1/users/me"]);
    ok(&o);
    assert!(
        o.stderr
            .contains("* trusting only the certificates in SSL_CERT_FILE ("),
        "{}",
        o.stderr
    );
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["object"], "user");

    // The system's store does not know the test CA; nor does another CA.
    env.unset("SSL_CERT_FILE");
    let o = env.run(&["api", "v1/users/me"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains("error: TLS handshake with localhost:"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("SSL_CERT_FILE"), "{}", o.stderr);
    assert!(!o.stderr.contains("retrying"), "not retried: {}", o.stderr);
    let other = env.dir.path().join("other-ca.pem");
    std::fs::write(&other, pki().ca_pem).unwrap();
    env.set("SSL_CERT_FILE", other.to_str().unwrap());
    assert_eq!(env.run(&["api", "v1/users/me"]).code, 5);
}

#[test]
fn https_goes_through_the_proxy_with_the_companys_certificate() {
    let (sb, mut env) = tls_setup();
    point(&mut env, &behind_proxy(&sb));
    let proxy = Proxy::start(false);
    env.set("HTTPS_PROXY", &proxy.url);
    let o = env.run(&["-v", "api", "v1/users/me"]);
    ok(&o);
    assert!(
        o.stderr.contains(&format!(
            "* through the proxy {} (from HTTPS_PROXY)",
            proxy.url
        )),
        "{}",
        o.stderr
    );
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let connect = format!("CONNECT api.notion.test:{} HTTP/1.1", sb.addr().port());
    assert_eq!(seen[0].request, connect);
    assert!(seen[0].authorization.is_none());

    // Lower case wins over upper case, as in curl: the dead proxy of
    // HTTPS_PROXY is not used when https_proxy names a live one.
    env.set("HTTPS_PROXY", "http://127.0.0.1:9");
    env.set("https_proxy", &proxy.url);
    ok(&env.run(&["api", "v1/users/me"]));
    assert_eq!(proxy.seen().len(), 2);
    // ALL_PROXY when the scheme's own is unset.
    env.unset("HTTPS_PROXY").unset("https_proxy");
    env.set("ALL_PROXY", &proxy.url);
    ok(&env.run(&["api", "v1/users/me"]));
    assert_eq!(proxy.seen().len(), 3);
}

#[test]
fn no_proxy_hosts_loopback_and_other_schemes_go_direct() {
    let (sb, mut env) = tls_setup();
    point(&mut env, &behind_proxy(&sb));
    let proxy = Proxy::start(false);
    env.set("HTTPS_PROXY", &proxy.url);
    // Direct, api.notion.test does not resolve: the request fails, and the
    // proxy never hears of it.
    for no_proxy in [
        "api.notion.test",
        ".notion.test",
        "localhost,notion.test",
        "*",
    ] {
        env.set("NO_PROXY", no_proxy);
        let o = env.run(&["-v", "api", "v1/users/me"]);
        assert_eq!(o.code, 5, "NO_PROXY={no_proxy}: {}", o.stderr);
        assert!(!o.stderr.contains("through the proxy"), "{}", o.stderr);
    }
    env.unset("NO_PROXY").unset("HTTPS_PROXY");
    // A proxy for http URLs is not one for https URLs.
    env.set("HTTP_PROXY", &proxy.url);
    assert_eq!(env.run(&["api", "v1/users/me"]).code, 5);
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());

    // Loopback is reached directly whatever the variables say (here a
    // proxy that does not exist).
    let (_sb, mut env) = tls_setup();
    env.set("ALL_PROXY", "http://127.0.0.1:9");
    let o = env.run(&["-v", "api", "v1/users/me"]);
    ok(&o);
    assert!(!o.stderr.contains("through the proxy"), "{}", o.stderr);
    let (_plain, mut env) = setup();
    env.set("ALL_PROXY", "http://127.0.0.1:9");
    ok(&env.run(&["api", "v1/users/me"]));
}

#[test]
fn proxy_credentials_go_to_the_proxy_and_are_never_shown() {
    let (sb, mut env) = tls_setup();
    point(&mut env, &behind_proxy(&sb));
    let proxy = Proxy::start(false);
    let with_login = proxy.url.replace("http://", "http://me:s3cret@");
    env.set("HTTPS_PROXY", &with_login);
    let o = env.run(&["-v", "api", "v1/users/me"]);
    ok(&o);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    // base64("me:s3cret")
    assert_eq!(seen[0].authorization.as_deref(), Some("Basic bWU6czNjcmV0"));
    assert!(!o.stderr.contains("s3cret"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("through the proxy http://[credentials]@127.0.0.1:"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_proxy_that_refuses_or_is_not_there_is_a_network_error_that_names_it() {
    let (sb, mut env) = tls_setup();
    point(&mut env, &behind_proxy(&sb));
    let proxy = Proxy::start(true);
    env.set("HTTPS_PROXY", "http://127.0.0.1:9");
    env.set("https_proxy", &proxy.url);
    let o = env.run(&["api", "v1/users/me"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "error: the proxy {} (from https_proxy) did not connect ntn to api.notion.test:{}",
            proxy.url,
            sb.addr().port()
        )),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("NO_PROXY"), "{}", o.stderr);
    // Asked again, as for any attempt that never reached the server.
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|s| s.request.starts_with("CONNECT api.notion.test:")),
        "{seen:?}"
    );

    // Nothing listens on port 9 of loopback.
    env.set("https_proxy", "127.0.0.1:9");
    let o = env.run(&["api", "v1/users/me"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("the proxy 127.0.0.1:9 (from https_proxy)"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("hint: check https_proxy"), "{}", o.stderr);

    // Not a proxy URL: a local problem, before anything is sent.
    env.set("https_proxy", "ftp://127.0.0.1:21");
    let o = env.run(&["api", "v1/users/me"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("error: https_proxy is not a proxy URL ntn can use: ftp://127.0.0.1:21"),
        "{}",
        o.stderr
    );
}

#[test]
fn an_unusable_ssl_cert_file_is_a_local_error_for_https_only() {
    let (_sb, mut env) = tls_setup();
    let missing = env.dir.path().join("missing.pem");
    env.set("SSL_CERT_FILE", missing.to_str().unwrap());
    let o = env.run(&["api", "v1/users/me"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("error: cannot read SSL_CERT_FILE ("),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("hint: point SSL_CERT_FILE"),
        "{}",
        o.stderr
    );

    // Plain HTTP to loopback needs no certificate: the file is not read.
    let (_plain, mut env) = setup();
    env.set("SSL_CERT_FILE", missing.to_str().unwrap());
    ok(&env.run(&["api", "v1/users/me"]));
}

fn host_port(url: &str) -> &str {
    url.split("://").nth(1).unwrap()
}

#[test]
fn the_test_proxy_relays_bytes_unchanged() {
    // The proxy above is itself tested: a request through it by hand.
    let sb = Sandbox::start();
    let proxy = Proxy::start(false);
    let mut s = TcpStream::connect(host_port(&proxy.url)).unwrap();
    write!(
        s,
        "CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n\r\n",
        host_port(&sb.url)
    )
    .unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    r.read_line(&mut line).unwrap();
    write!(
        s,
        "GET /__sandbox/workspaces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    r.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Acme"), "{answer}");
}
