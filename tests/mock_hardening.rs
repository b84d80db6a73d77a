//! Edges of the reference mock that the documentation pins down (issue 14, item 9), over raw
//! HTTP/1.1 on loopback so that no client library normalizes the request: empty path
//! segments are unknown routes.

use std::net::SocketAddr;
use std::time::Duration;

use aom_conformance::auth::Secret;
use aom_conformance::mock::{AccessKey, MockConfig, MockServer, TokenGrant};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "hardening-token";
const AK: &str = "HARDENINGAK";
const SK: &str = "hardening-secret-key";
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
