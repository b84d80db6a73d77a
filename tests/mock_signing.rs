//! AK/SK authentication of the mock over real HTTP: every published signing vector is
//! accepted as sent byte for byte (date check off for the fixed date) and rejected once a
//! signed header, the path, the query or the body changes; live signatures in both schemes,
//! date skew, and signatures that leave out `host` or `x-sdk-date`.

use std::time::{Duration, SystemTime};

use aom_conformance::auth::Secret;
use aom_conformance::auth::signer::{Algorithm, SignInput, sdk_date, sign};
use aom_conformance::mock::{AccessKey, MockConfig, MockServer};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/apig-signing.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).expect("vectors file is JSON")
}

async fn start(doc: &Value, tweak: impl FnOnce(&mut MockConfig)) -> MockServer {
    let mut config = MockConfig {
        keys: vec![AccessKey {
            ak: doc["ak"].as_str().unwrap().into(),
            sk: Secret::new(doc["sk"].as_str().unwrap()),
            projects: vec![doc["project_id"].as_str().unwrap().into()],
        }],
        max_sdk_date_skew: None,
        ..MockConfig::default()
    };
    tweak(&mut config);
    MockServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts")
}

/// One HTTP/1.1 request, written exactly as given.
struct Wire {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn from_vector(v: &Value) -> Wire {
        // Deliberately unsorted on the wire: the canonical form sorts.
        let query: Vec<String> = v["query"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let enc =
                    |i: usize| utf8_percent_encode(p[i].as_str().unwrap(), UNRESERVED).to_string();
                format!("{}={}", enc(0), enc(1))
            })
            .collect();
        let path = v["path"].as_str().unwrap();
        let target = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        let mut headers: Vec<(String, String)> = v["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        headers.push((
            "Authorization".into(),
            v["authorization"].as_str().unwrap().into(),
        ));
        Wire {
            method: v["method"].as_str().unwrap().into(),
            target,
            headers,
            body: v["body"]
                .as_str()
                .map(|b| b.as_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    fn set_header(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                *v = value.to_owned();
            }
        }
    }

    /// Sends with `Content-Length` (0 for no body, as the SDK does) and `Connection: close`;
    /// returns the status and the JSON body.
    async fn send(&self, server: &MockServer) -> (u16, Value) {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&self.body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).expect("UTF-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json;charset=utf-8"),
            "{head}"
        );
        (
            status,
            serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}")),
        )
    }
}

fn auth_failed() -> Value {
    json!({"error_code": "AOM.31009004", "error_msg": "auth failed.", "http_code": 401})
}

/// Authentication passed: the ids in the vectors do not exist, so AOM answers 404.
fn not_exist() -> Value {
    json!({"error_code": "AOM.31001306", "error_msg": "Execution not exist. recordInfo is not exist.", "http_code": 404})
}

#[tokio::test]
async fn every_vector_is_accepted_as_sent() {
    let doc = vectors();
    let server = start(&doc, |_| {}).await;
    for v in doc["vectors"].as_array().unwrap() {
        let (status, body) = Wire::from_vector(v).send(&server).await;
        assert_eq!((status, body), (404, not_exist()), "{}", v["name"]);
    }
}

#[tokio::test]
async fn altered_vectors_are_rejected() {
    let doc = vectors();
    let server = start(&doc, |_| {}).await;
    for v in doc["vectors"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let mut altered = Vec::new();
        for (header, value) in v["headers"].as_object().unwrap() {
            let mut w = Wire::from_vector(v);
            let value = value.as_str().unwrap();
            // Dates stay well-formed so that only the signature can catch the change.
            let changed = if header == "X-Sdk-Date" {
                "20261124T120001Z".to_owned()
            } else {
                format!("{value}x")
            };
            w.set_header(header, &changed);
            altered.push((format!("header {header}"), w));
        }
        let mut w = Wire::from_vector(v);
        w.target = w.target.replacen("/cms/workflow/wf", "/cms/workflow/wg", 1);
        altered.push(("path".into(), w));
        let mut w = Wire::from_vector(v);
        w.target = if w.target.contains('?') {
            w.target.replace("action=enable", "action=disable")
        } else {
            format!("{}?x=1", w.target)
        };
        altered.push(("query".into(), w));
        let mut w = Wire::from_vector(v);
        w.body = if w.body.is_empty() {
            b"{}".to_vec()
        } else {
            b"{ }".to_vec()
        };
        altered.push(("body".into(), w));
        for (what, w) in altered {
            let (status, body) = w.send(&server).await;
            assert_eq!(
                (status, body),
                (401, auth_failed()),
                "{name}: altered {what}"
            );
        }
    }
}

#[tokio::test]
async fn fixed_date_is_stale_when_the_clock_is_checked() {
    let doc = vectors();
    let server = start(&doc, |c| {
        c.max_sdk_date_skew = Some(Duration::from_secs(900))
    })
    .await;
    let (status, body) = Wire::from_vector(&doc["vectors"][0]).send(&server).await;
    assert_eq!((status, body), (401, auth_failed()));
}

/// Signs requests for the mock as the harness client would.
struct LiveSigner<'a> {
    server: &'a MockServer,
    doc: &'a Value,
    algorithm: Algorithm,
}

impl LiveSigner<'_> {
    /// A request signed at `date`, optionally with one header left out of the signature
    /// (it is still sent).
    fn wire(
        &self,
        method: &str,
        path: &str,
        body: &str,
        date: SystemTime,
        leave_out: Option<&str>,
    ) -> Wire {
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Host".to_owned(), self.server.addr().to_string()),
            ("X-Sdk-Date".to_owned(), sdk_date(date)),
            ("User-Agent".to_owned(), "aom-conformance-test".to_owned()),
        ];
        let signed_headers: Vec<_> = headers
            .iter()
            .filter(|(k, _)| Some(k.to_ascii_lowercase().as_str()) != leave_out)
            .cloned()
            .collect();
        let input = SignInput {
            method,
            path,
            query: &[],
            headers: &signed_headers,
            body: body.as_bytes(),
        };
        let (ak, sk) = (
            self.doc["ak"].as_str().unwrap(),
            self.doc["sk"].as_str().unwrap(),
        );
        headers.push((
            "Authorization".into(),
            sign(&input, ak, sk, &self.algorithm).authorization,
        ));
        Wire {
            method: method.into(),
            target: path.into(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }
}

#[tokio::test]
async fn live_signatures_drive_the_whole_flow_in_both_schemes() {
    let doc = vectors();
    let project = doc["project_id"].as_str().unwrap();
    let server = start(&doc, |c| {
        c.max_sdk_date_skew = Some(Duration::from_secs(900))
    })
    .await;
    let now = SystemTime::now();
    for algorithm in [
        Algorithm::SdkHmacSha256,
        Algorithm::V11HmacSha256 {
            region: "cn-north-4".into(),
            service: "AOM".into(),
        },
    ] {
        let signer = LiveSigner {
            server: &server,
            doc: &doc,
            algorithm: algorithm.clone(),
        };
        let send =
            |method: &str, path: String, body: &str| signer.wire(method, &path, body, now, None);
        let (status, created) = send(
            "POST",
            format!("/v1/{project}/cms/workflow"),
            r#"{"name":"signed","type":"manual"}"#,
        )
        .send(&server)
        .await;
        assert_eq!(status, 200, "{algorithm:?}: {created}");
        let wf = created["id"].as_str().unwrap();
        let (status, executed) = send(
            "POST",
            format!("/v1/{project}/cms/workflow/{wf}/executions"),
            "",
        )
        .send(&server)
        .await;
        assert_eq!(status, 200, "{executed}");
        let ex = executed["execution_id"].as_str().unwrap();
        let terminate = format!("/v1/{project}/cms/workflow/{wf}/executions/{ex}/terminate");
        let (status, body) = send("POST", terminate.clone(), "").send(&server).await;
        assert_eq!(
            (status, body),
            (200, json!({"result": "success"})),
            "{algorithm:?}"
        );
        let (status, _) = send("POST", terminate, "").send(&server).await;
        assert_eq!(status, 400);
    }
}

#[tokio::test]
async fn dates_outside_fifteen_minutes_are_rejected() {
    let doc = vectors();
    let project = doc["project_id"].as_str().unwrap();
    let server = start(&doc, |c| {
        c.max_sdk_date_skew = Some(Duration::from_secs(900))
    })
    .await;
    let path = format!("/v1/{project}/cms/workflow-list");
    let now = SystemTime::now();
    let signer = LiveSigner {
        server: &server,
        doc: &doc,
        algorithm: Algorithm::SdkHmacSha256,
    };
    for (offset_secs, accepted) in [(-840i64, true), (840, true), (-960, false), (960, false)] {
        let date = if offset_secs < 0 {
            now - Duration::from_secs(offset_secs.unsigned_abs())
        } else {
            now + Duration::from_secs(offset_secs.unsigned_abs())
        };
        let w = signer.wire("POST", &path, "", date, None);
        let (status, body) = w.send(&server).await;
        if accepted {
            assert_eq!(status, 200, "{offset_secs}s: {body}");
        } else {
            assert_eq!((status, body), (401, auth_failed()), "{offset_secs}s");
        }
    }
}

#[tokio::test]
async fn signatures_must_cover_host_and_date() {
    let doc = vectors();
    let project = doc["project_id"].as_str().unwrap();
    let server = start(&doc, |_| {}).await;
    let path = format!("/v1/{project}/cms/workflow-list");
    let signer = LiveSigner {
        server: &server,
        doc: &doc,
        algorithm: Algorithm::SdkHmacSha256,
    };
    for left_out in ["host", "x-sdk-date"] {
        let w = signer.wire("POST", &path, "", SystemTime::now(), Some(left_out));
        assert_eq!(
            w.send(&server).await,
            (401, auth_failed()),
            "{left_out} left out"
        );
    }
    // Without X-Sdk-Date on the wire at all.
    let mut w = signer.wire("POST", &path, "", SystemTime::now(), None);
    w.headers.retain(|(k, _)| k != "X-Sdk-Date");
    assert_eq!(w.send(&server).await, (401, auth_failed()));
}

#[tokio::test]
async fn keys_are_bound_to_their_projects_and_must_be_known() {
    let doc = vectors();
    let server = start(&doc, |_| {}).await;
    let other = "fedcba9876543210fedcba9876543210";
    let signer = LiveSigner {
        server: &server,
        doc: &doc,
        algorithm: Algorithm::SdkHmacSha256,
    };
    let foreign = signer.wire(
        "POST",
        &format!("/v1/{other}/cms/workflow-list"),
        "",
        SystemTime::now(),
        None,
    );
    assert_eq!(foreign.send(&server).await, (401, auth_failed()));
    let mut unknown = Wire::from_vector(&doc["vectors"][0]);
    let authorization = doc["vectors"][0]["authorization"]
        .as_str()
        .unwrap()
        .replace("Access=TESTAK", "Access=OTHER");
    unknown.set_header("Authorization", &authorization);
    assert_eq!(unknown.send(&server).await, (401, auth_failed()));
}

#[tokio::test]
async fn gateway_mode_answers_signature_failures_as_the_gateway() {
    let doc = vectors();
    let server = start(&doc, |c| c.gateway_auth_errors = true).await;
    let mut w = Wire::from_vector(&doc["vectors"][0]);
    w.set_header("X-Project-Id", "tampered");
    let (status, body) = w.send(&server).await;
    assert_eq!(status, 401);
    assert_eq!(body["error_code"], "APIGW.0301");
    assert!(
        body["error_msg"]
            .as_str()
            .unwrap()
            .starts_with("Incorrect IAM authentication information: verify aksk signature fail")
    );
    assert_eq!(body["request_id"].as_str().map(str::len), Some(32));
}
