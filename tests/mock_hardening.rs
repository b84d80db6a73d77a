//! Edges of the reference mock that the documentation pins down (issue 14, item 9), over raw
//! HTTP/1.1 on loopback so that no client library normalizes the request: empty path
//! segments are unknown routes; the request head is limited to exactly 256 KiB whatever the
//! read pattern, to 100 header fields and a 65534-byte target; and the documented AK/SK
//! choices for exact replays and for the signed `Host`.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use aom_conformance::auth::Secret;
use aom_conformance::auth::signer::{Algorithm, SignInput, sdk_date, sign};
use aom_conformance::mock::{AccessKey, MockConfig, MockServer, TokenGrant};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "hardening-token";
const AK: &str = "HARDENINGAK";
const SK: &str = "hardening-secret-key";
/// The documented request-head limit.
const HEAD_LIMIT: usize = 256 * 1024;
const KIB: usize = 1024;

async fn start() -> MockServer {
    let config = MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        keys: vec![AccessKey {
            ak: AK.into(),
            sk: Secret::new(SK),
            projects: vec![PROJECT.into()],
        }],
        ..MockConfig::default()
    };
    MockServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts")
}

#[derive(Debug)]
struct Answer {
    /// 0 when the connection closed without a status line.
    status: u16,
    /// Lower-cased response head.
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {:?}", self.status, self.body))
    }

    /// A JSON error in the mock's shape, with the mock's headers.
    fn assert_mock_error(&self, status: u16, code: &str, what: &str) {
        assert_eq!(self.status, status, "{what}: {self:?}");
        assert!(
            self.head
                .contains("content-type: application/json;charset=utf-8"),
            "{what}: {}",
            self.head
        );
        assert!(
            self.head.contains("x-request-id: "),
            "{what}: {}",
            self.head
        );
        let body = self.json();
        assert_eq!(body["error_code"], code, "{what}: {body}");
        assert_eq!(body["http_code"], status, "{what}: {body}");
    }
}

/// Writes `request` on a fresh connection in writes of at most `chunk` bytes while reading
/// the answer, so that an answer sent before the request is complete (a 431, then close) is
/// heard; write errors after such an answer are expected and ignored.
async fn exchange(addr: SocketAddr, request: Vec<u8>, chunk: usize) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let write = tokio::spawn(async move {
        for piece in request.chunks(chunk) {
            if writer.write_all(piece).await.is_err() {
                return;
            }
            if chunk < request.len() {
                // Let the server read between pieces: a different read pattern each time.
                tokio::task::yield_now().await;
            }
        }
        // Keep the write half open: a half-close could change what the server does.
        std::future::pending::<()>().await;
    });
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * KIB];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, reader.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
        }
    }
    write.abort();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// A request with `Connection: close` (one request per connection) and a JSON body.
fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("{method} {target} HTTP/1.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    text.into_bytes()
}

fn token_request(method: &str, target: &str, body: &str) -> Vec<u8> {
    request(
        method,
        target,
        &[
            ("host", "127.0.0.1"),
            ("x-auth-token", TOKEN),
            ("content-type", "application/json"),
        ],
        body,
    )
}

async fn create_workflow(addr: SocketAddr) -> String {
    let target = format!("/v1/{PROJECT}/cms/workflow");
    let body = r#"{"name":"hardening","type":"manual"}"#;
    let a = exchange(addr, token_request("POST", &target, body), usize::MAX).await;
    assert_eq!(a.status, 200, "{a:?}");
    a.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn empty_path_segments_are_unknown_routes() {
    let server = start().await;
    let wf = create_workflow(server.addr()).await;
    let p = PROJECT;
    let targets = [
        ("GET", format!("/v1/{p}/cms/workflow//executions")),
        ("POST", format!("/v1/{p}/cms/workflow//executions")),
        ("GET", format!("/v1/{p}/cms/workflow//executions/e/status")),
        (
            "GET",
            format!("/v1/{p}/cms/workflow/{wf}/executions//status"),
        ),
        (
            "POST",
            format!("/v1/{p}/cms/workflow/{wf}/executions//terminate"),
        ),
        (
            "PUT",
            format!("/v1/{p}/cms/workflow//trigger/action?action=enable"),
        ),
        ("POST", "/v1//cms/workflow-list".to_owned()),
        ("POST", "/v1//cms/workflow".to_owned()),
        ("GET", "/v1//cms/workflow//executions".to_owned()),
        // A known path shape with an empty segment is no known path, so no 405 either.
        ("DELETE", format!("/v1/{p}/cms/workflow//executions")),
        ("POST", format!("/v1/{p}/cms/workflow//executions/e/status")),
    ];
    for (method, target) in &targets {
        let what = format!("{method} {target}");
        let with_token =
            exchange(server.addr(), token_request(method, target, ""), usize::MAX).await;
        with_token.assert_mock_error(404, "MOCK.ROUTE_NOT_FOUND", &what);
        // Routing comes before authentication: no credentials, same answer.
        let bare = request(method, target, &[("host", "127.0.0.1")], "");
        let without = exchange(server.addr(), bare, usize::MAX).await;
        without.assert_mock_error(404, "MOCK.ROUTE_NOT_FOUND", &format!("{what} (no token)"));
    }
    // The same operation with the segment filled in is served.
    let listed = exchange(
        server.addr(),
        token_request("GET", &format!("/v1/{p}/cms/workflow/{wf}/executions"), ""),
        usize::MAX,
    )
    .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    server.shutdown().await;
}

/// A GET of ListWorkflowExecutions whose head (request line through the blank line) is
/// exactly `len` bytes, padded with one `x-pad` header.
fn head_of_len(target: &str, len: usize) -> Vec<u8> {
    let start = format!(
        "GET {target} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-auth-token: {TOKEN}\r\ncontent-type: application/json\r\nconnection: close\r\nx-pad: "
    );
    let end = "\r\n\r\n";
    let pad = len - start.len() - end.len();
    let head = format!("{start}{}{end}", "p".repeat(pad));
    assert_eq!(head.len(), len);
    head.into_bytes()
}

#[tokio::test]
async fn the_request_head_limit_is_exactly_256_kib() {
    let server = start().await;
    let wf = create_workflow(server.addr()).await;
    let target = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions");
    let sizes = [
        (250 * KIB, 200),
        (HEAD_LIMIT, 200),
        (HEAD_LIMIT + 1, 431),
        (257 * KIB, 431),
        (300 * KIB, 431),
        (400 * KIB, 431),
        (450 * KIB, 431),
    ];
    // One write, large pieces, small pieces: hyper sees different read patterns, and the
    // answer must not depend on them.
    let mut wrong = Vec::new();
    for chunk in [usize::MAX, 64 * KIB, 7 * KIB] {
        for round in 0..3 {
            for (len, expected) in sizes {
                let a = exchange(server.addr(), head_of_len(&target, len), chunk).await;
                let writes = if chunk == usize::MAX {
                    "one write".to_owned()
                } else {
                    format!("{chunk}-byte writes")
                };
                let what = format!("{len}-byte head, {writes}, round {round}");
                if a.status != expected {
                    wrong.push(format!("{what}: {}", a.status));
                } else if expected == 200 {
                    assert!(a.json().is_array(), "{what}: {}", a.body);
                } else {
                    // Refused by the HTTP library before the mock sees it: bare, as documented.
                    assert_eq!(a.body, "", "{what}");
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected answers:\n{}",
        wrong.join("\n")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn at_most_100_header_fields() {
    let server = start().await;
    let wf = create_workflow(server.addr()).await;
    let target = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions");
    // `request` adds content-length and connection: 2 fields.
    let base = [
        ("host", "127.0.0.1"),
        ("x-auth-token", TOKEN),
        ("content-type", "application/json"),
    ];
    let names: Vec<String> = (0..150).map(|i| format!("x-extra-{i}")).collect();
    for (fields, expected) in [(100, 200), (101, 431), (150, 431)] {
        let mut headers = base.to_vec();
        let extra = fields - base.len() - 2;
        headers.extend(names[..extra].iter().map(|n| (n.as_str(), "v")));
        let a = exchange(
            server.addr(),
            request("GET", &target, &headers, ""),
            usize::MAX,
        )
        .await;
        assert_eq!(a.status, expected, "{fields} fields: {}", a.head);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_request_target_limit_is_65534_bytes() {
    let server = start().await;
    let wf = create_workflow(server.addr()).await;
    let path = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions?q=");
    for (len, expected) in [(65_534, 200), (65_535, 414)] {
        let target = format!("{path}{}", "t".repeat(len - path.len()));
        let a = exchange(server.addr(), token_request("GET", &target, ""), usize::MAX).await;
        assert_eq!(a.status, expected, "{len}-byte target: {}", a.head);
    }
    server.shutdown().await;
}

/// A request signed with `SDK-HMAC-SHA256` for `signed_host`, sent with `sent_host` (no
/// `Host` line at all when `None`).
fn signed(
    method: &str,
    path: &str,
    body: &str,
    signed_host: &str,
    sent_host: Option<&str>,
) -> Vec<u8> {
    let date = sdk_date(SystemTime::now());
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("host".to_owned(), signed_host.to_owned()),
        ("x-sdk-date".to_owned(), date),
    ];
    let input = SignInput {
        method,
        path,
        query: &[],
        headers: &headers,
        body: body.as_bytes(),
    };
    let authorization = sign(&input, AK, SK, &Algorithm::SdkHmacSha256).authorization;
    headers.retain(|(name, _)| name != "host");
    if let Some(host) = sent_host {
        headers.push(("host".to_owned(), host.to_owned()));
    }
    headers.push(("authorization".to_owned(), authorization));
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    request(method, path, &pairs, body)
}

#[tokio::test]
async fn an_exact_replay_inside_the_date_window_is_accepted() {
    let server = start().await;
    let addr = server.addr().to_string();
    let wf = create_workflow(server.addr()).await;
    // Byte-identical requests: what a replay looks like, and also what the SDK sends for two
    // identical calls within one second (X-Sdk-Date has one-second resolution, no nonce).
    let execute = signed(
        "POST",
        &format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
        "",
        &addr,
        Some(&addr),
    );
    let first = exchange(server.addr(), execute.clone(), usize::MAX).await;
    let second = exchange(server.addr(), execute, usize::MAX).await;
    assert_eq!(
        (first.status, second.status),
        (200, 200),
        "{first:?} {second:?}"
    );
    // Not deduplicated either: the replay is a second execution.
    assert_ne!(
        first.json()["execution_id"],
        second.json()["execution_id"],
        "{first:?} {second:?}"
    );
    let list = signed(
        "POST",
        &format!("/v1/{PROJECT}/cms/workflow-list"),
        "{}",
        &addr,
        Some(&addr),
    );
    for _ in 0..3 {
        let a = exchange(server.addr(), list.clone(), usize::MAX).await;
        assert_eq!(a.status, 200, "{a:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_signed_host_must_be_the_host_sent_whatever_it_names() {
    let server = start().await;
    let addr = server.addr().to_string();
    let path = format!("/v1/{PROJECT}/cms/workflow-list");
    let cloud = "aom.cn-north-4.myhuaweicloud.com";
    // Signed for the real endpoint and sent with that Host: the mock does not know its own
    // public names (proxies, port mappings, localhost vs 127.0.0.1), so any host is fine.
    for host in [cloud, addr.as_str(), "localhost:1"] {
        let a = exchange(
            server.addr(),
            signed("POST", &path, "{}", host, Some(host)),
            usize::MAX,
        )
        .await;
        assert_eq!(a.status, 200, "signed and sent for {host}: {a:?}");
    }
    // Signed for one host, sent with another: the signature covers Host, so it fails.
    for (signed_for, sent) in [(cloud, addr.as_str()), (addr.as_str(), cloud)] {
        let a = exchange(
            server.addr(),
            signed("POST", &path, "{}", signed_for, Some(sent)),
            usize::MAX,
        )
        .await;
        a.assert_mock_error(
            401,
            "AOM.31009004",
            &format!("signed {signed_for}, sent {sent}"),
        );
    }
    // Signed with a Host, sent without one.
    let a = exchange(
        server.addr(),
        signed("POST", &path, "{}", &addr, None),
        usize::MAX,
    )
    .await;
    a.assert_mock_error(401, "AOM.31009004", "no Host sent");
    server.shutdown().await;
}
