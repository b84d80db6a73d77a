//! What failure messages say, and what they never say: secrets (redacted before anything
//! is cut short), huge values (cut short), endless or stalled bodies (stopped, and said
//! so); the JUnit `message` is the first real problem.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use common::{Mock, Suite, serve};

/// The case used against the stubs: no setup, one request, documented 404.
const CASE_404: &str = "StopExecution [404] unknown workflow id";

/// A token like IAM's: thousands of characters, no 8-character window of which occurs
/// anywhere else.
fn long_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut t = String::from("MIIE");
    while t.len() < 2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t.push(ALPHABET[(x % 64) as usize] as char);
    }
    t
}

fn run_against(
    url: &str,
    token: &str,
    s: &Suite,
    extra: &[&str],
    env: &[(&str, &str)],
) -> common::Run {
    s.run_at(url, token, extra, env)
}

/// The `message` attribute of the first `<failure>` or `<error>` in a JUnit file,
/// unescaped.
fn failure_message(xml: &str) -> String {
    let at = xml
        .find("<failure ")
        .or_else(|| xml.find("<error "))
        .expect("a <failure> or <error>");
    let tag = &xml[at..at + xml[at..].find('>').unwrap()];
    let start = tag.find("message=\"").expect("a message") + 9;
    let end = tag[start..].find('"').unwrap() + start;
    tag[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn a_long_token_echoed_by_the_endpoint_is_redacted_before_anything_is_cut() {
    let token = long_token();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The token right past the excerpt limit (and sorted first if the body were
    // re-serialized), in a value shown in a mismatch, and in header values.
    let body = serde_json::json!({
        "error_msg": format!("{} token {token}", "x".repeat(250)),
        "error_code": token,
        "http_code": 500,
    })
    .to_string();
    let content_type = format!("text/plain; t={token}");
    let url = serve(
        &rt,
        Router::new().fallback(any(move || {
            let (body, content_type) = (body.clone(), content_type.clone());
            async move {
                (
                    StatusCode::NOT_FOUND,
                    [("content-type", content_type)],
                    body,
                )
            }
        })),
    );
    let s = Suite::copy();
    for env in [[("NO_COLOR", "1")], [("CLICOLOR_FORCE", "1")]] {
        let r = run_against(&url, &token, &s, &["--exact", CASE_404], &env);
        assert_eq!(r.code, 101, "{r:?}");
        let xml = std::fs::read_to_string(s.junit()).unwrap();
        assert!(r.stdout.contains("[REDACTED]"), "{r:?}");
        assert!(r.stdout.contains("token [REDACTED]"), "{r:?}");
        assert!(r.stdout.contains("body /http_code: expected 404"), "{r:?}");
        assert!(r.stdout.contains("header content-type: expected"), "{r:?}");
        for i in 0..=token.len() - 8 {
            let w = &token[i..i + 8];
            assert!(!r.stdout.contains(w), "stdout leaks {w:?} at {i}\n{r:?}");
            assert!(!r.stderr.contains(w), "stderr leaks {w:?} at {i}\n{r:?}");
            assert!(!xml.contains(w), "JUnit leaks {w:?} at {i}\n{xml}");
        }
    }
}

/// A stub speaking HTTP/1.1 on a raw socket: answers every request with status 200, a
/// JSON content type and a chunked body of `first` then, if `endless`, 64 KiB chunks until
/// the client goes away, else nothing more (the connection stays open). Counts the body
/// bytes it managed to send.
fn raw_stub(endless: bool) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || serve_raw(conn, endless, &counter));
        }
    });
    (url, sent)
}

fn serve_raw(mut conn: TcpStream, endless: bool, sent: &AtomicU64) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n[\"a\",\r\n";
    if conn.write_all(start.as_bytes()).is_err() {
        return;
    }
    if !endless {
        std::thread::sleep(Duration::from_secs(30));
        return;
    }
    let chunk = format!(
        "10000\r\n{}\r\n",
        "\"aaaaaaaaaaaaaa\",".repeat(65536 / 17 + 1)[..65536].to_owned()
    );
    while conn.write_all(chunk.as_bytes()).is_ok() {
        sent.fetch_add(65536, Ordering::Relaxed);
    }
}

#[test]
fn an_endless_body_is_cut_at_the_limit_and_said_so() {
    let (url, sent) = raw_stub(true);
    let s = Suite::copy();
    let started = Instant::now();
    let r = run_against(
        &url,
        "MIIendless-body-token",
        &s,
        &["--exact", CASE_404, "--timeout", "2s"],
        &[("NO_COLOR", "1")],
    );
    let took = started.elapsed();
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("status: expected 404, got 200"), "{r:?}");
    assert!(
        r.stdout.contains("body exceeds 4 MiB (stopped reading)"),
        "{r:?}"
    );
    assert!(r.stdout.contains("… (over 4 MiB)"), "{r:?}");
    assert!(!r.stdout.contains("did not finish"), "{r:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // The harness stopped reading: the stub could send little more than the limit (plus
    // what the socket buffers hold), although it would have sent forever.
    std::thread::sleep(Duration::from_millis(200));
    let sent = sent.load(Ordering::Relaxed);
    assert!(sent < 32 * 1024 * 1024, "the stub sent {sent} bytes");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert_eq!(
        failure_message(&xml),
        "status: expected 404, got 200",
        "{xml}"
    );
    assert!(
        xml.contains("body exceeds 4 MiB (stopped reading)"),
        "{xml}"
    );
    assert!(xml.len() < 8 * 1024, "{} bytes of JUnit", xml.len());
}

#[test]
fn a_stalled_body_says_that_the_status_arrived() {
    let (url, _) = raw_stub(false);
    let s = Suite::copy();
    let started = Instant::now();
    let r = run_against(
        &url,
        "MIIstalled-body-token",
        &s,
        &["--exact", CASE_404, "--timeout", "2s"],
        &[("NO_COLOR", "1")],
    );
    let took = started.elapsed();
    assert_eq!(r.code, 101, "{r:?}");
    let want = "status 200 arrived but the body did not finish within 2s";
    assert!(r.stdout.contains(want), "{r:?}");
    assert!(!r.stdout.contains("no response within"), "{r:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("<error ") && xml.contains("type=\"timeout\""),
        "a timeout is an <error>, not a <failure>: {xml}"
    );
    assert_eq!(failure_message(&xml), want, "{xml}");
}

#[test]
fn huge_values_make_short_messages() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // 4 MB of body, under the 4 MiB limit: every check runs on it.
    let body = serde_json::json!({
        "error_msg": "m".repeat(3_000_000),
        "error_code": "E".repeat(1_000_000),
        "http_code": 404,
    })
    .to_string();
    let url = serve(
        &rt,
        Router::new().fallback(any(move || {
            let body = body.clone();
            async move {
                (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    body,
                )
            }
        })),
    );
    let s = Suite::copy();
    let r = run_against(
        &url,
        "MIIhuge-values-token",
        &s,
        &["--exact", CASE_404],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout.len() < 8 * 1024,
        "{} bytes of stdout",
        r.stdout.len()
    );
    assert!(
        r.stdout
            .contains("… (3000002 bytes) is longer than 1024 characters"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains(&format!(
            "body /error_code: expected \"AOM.31001306\", got \"{}… (1000002 bytes)",
            "E".repeat(199)
        )),
        "{r:?}"
    );
    assert!(r.stdout.contains("… (4000"), "the excerpt is cut: {r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(xml.len() < 16 * 1024, "{} bytes of JUnit", xml.len());
}

#[test]
fn the_junit_message_is_the_first_problem_not_the_location() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: finished }",
    );
    let r = s.run(
        &[
            "--exact",
            "StopExecution [200] terminates a running execution",
        ],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(r.code, 101, "{r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert_eq!(
        failure_message(&xml),
        "body /result: expected \"finished\", got \"success\"",
        "{xml}"
    );
    // The description keeps the whole message, location first; the excerpt is the
    // body as sent.
    let description = &xml[xml.find("<failure ").unwrap()..];
    assert!(
        description.contains("--&gt; ") || description.contains("--> "),
        "{xml}"
    );
    assert!(
        r.stdout.contains("response: {\"result\":\"success\"}"),
        "{r:?}"
    );
}

#[test]
fn a_status_mismatch_is_not_followed_by_the_expected_statuses_body_checks() {
    let mock = Mock::with_token("MIIstatus-mismatch-token");
    let s = Suite::copy();
    // The unknown workflow answers 404 with an AOM error body; expecting 200 must not
    // drag in the 200 schema's "required property" lines.
    s.edit(
        "specs/stop-execution.yaml",
        "\"missing-wf-{{case_uid}}\", execution_id: \"missing-{{case_uid}}\" }\n    expect:\n      status: 404",
        "\"missing-wf-{{case_uid}}\", execution_id: \"missing-{{case_uid}}\" }\n    expect:\n      status: 200",
    );
    let r = run_against(
        &mock.url,
        "MIIstatus-mismatch-token",
        &s,
        &["--exact", "StopExecution [200] unknown workflow id"],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("status: expected 200, got 404"), "{r:?}");
    assert!(!r.stdout.contains("required property"), "{r:?}");
    assert!(!r.stdout.contains("schema "), "{r:?}");
    assert!(r.stdout.contains("response: {"), "{r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert_eq!(
        failure_message(&xml),
        "status: expected 200, got 404",
        "{xml}"
    );
    assert!(xml.contains("type=\"status\""), "{xml}");
}

#[test]
fn a_failure_names_the_request_id_what_was_sent_and_an_ignored_fault_header() {
    // A mock without fault injection answers the fault case's terminate normally.
    let token = "MIImessages-token-0123456789";
    let mock = Mock::start(aom_conformance::mock::MockConfig {
        tokens: vec![aom_conformance::mock::TokenGrant {
            token: aom_conformance::auth::Secret::new(token),
            projects: vec![common::PROJECT.into()],
        }],
        faults: false,
        ..Default::default()
    });
    let s = Suite::copy();
    let r = s.run_at(
        &mock.url,
        token,
        &[
            "--exact",
            "StopExecution [500] internal error through the fault hook",
            "--capability",
            "fault-injection",
            "--capability",
            "create-workflow",
        ],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout.contains(
            "the endpoint ignored the fault header (X-Aom-Mock-Fault: internal-error) and answered 200"
        ),
        "{r:?}"
    );
    let id_at = r.stdout.find("[X-Request-Id: ").expect("the request id");
    let id: String = r.stdout[id_at + 15..]
        .chars()
        .take_while(|c| *c != ']')
        .collect();
    assert!(id.len() >= 8, "{id:?}");
    assert!(
        r.stdout.contains("sent: Content-Type: application/json; X-Aom-Mock-Fault: internal-error; X-Auth-Token: [REDACTED]"),
        "{r:?}"
    );
    assert!(!r.all().contains(token), "{r:?}");
    // JUnit carries the same id: in the message text and as a property.
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains(&format!("<property name=\"request_id\" value=\"{id}\"/>")),
        "{xml}"
    );
}
