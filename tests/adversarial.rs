//! The second adversarial round of issue 14: each test reproduces a defect that round
//! found (JUnit request ids unredacted, secrets in JSON-pointer, doubly percent-encoded,
//! nested-JSON and HTML forms, scratch files following symlinks, an unwritable logfile,
//! unbounded --test-threads), fixed since. All traffic stays on loopback.

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use common::{PROJECT, Suite, runtime};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// A token with the characters the issue names (`+ / = "`), and an alphanumeric canary
/// (`chars…`) that survives every encoding tried here.
const TOKEN: &str = "MIItok+en/with=\"chars0123456789";
const CANARY: &str = "chars0123456789";
const PASSWORD: &str = "PWp@ss/w+rd=1 \"pwcanaryR8\"";
const PW_CANARY: &str = "pwcanaryR8";
const NO_SETUP_CASE: &str = "StopExecution [404] unknown workflow id";

fn token_env() -> Vec<(&'static str, &'static str)> {
    vec![("AOM_AUTH_TOKEN", TOKEN), ("NO_COLOR", "1")]
}

/// `run` of `s` against `url` with the token, one case, plus a JSON report; the run and
/// the JUnit and JSON texts.
fn run_one(s: &Suite, url: &str, extra: &[&str]) -> (common::Run, String, String) {
    let json = s.dir.path().join("r.jsonl");
    let json_arg = json.display().to_string();
    let mut args = vec![
        "--endpoint",
        url,
        "--project-id",
        PROJECT,
        "--exact",
        NO_SETUP_CASE,
        "--report",
        "json",
        &json_arg,
    ];
    args.extend_from_slice(extra);
    let r = s.run(&args, &token_env());
    let junit = std::fs::read_to_string(s.junit()).unwrap_or_default();
    let json = std::fs::read_to_string(&json).unwrap_or_default();
    (r, junit, json)
}

fn assert_absent(what: &str, needle: &str, r: &common::Run, junit: &str, json: &str) {
    let found = shown(what, needle, r, junit, json);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Where `needle` shows: one line per place, with the text.
fn shown(what: &str, needle: &str, r: &common::Run, junit: &str, json: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (place, text) in [
        ("stdout", r.stdout.as_str()),
        ("stderr", r.stderr.as_str()),
        ("JUnit", junit),
        ("JSON report", json),
    ] {
        if text.contains(needle) {
            out.push(format!("{what}: {place} shows {needle:?}:\n{text}"));
        }
    }
    out
}

fn sent_token(headers: &HeaderMap) -> String {
    headers
        .get("x-auth-token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

// ---- class 2/4: the JUnit request_id property ----

#[test]
fn junit_request_id_is_redacted_and_cut_short() {
    let rt = runtime();
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        // A valid documented 404: the case passes.
        let id = format!("req-{}-{}", sent_token(&headers), "R".repeat(50_000));
        (
            StatusCode::NOT_FOUND,
            [
                ("content-type", "application/json".to_owned()),
                ("x-request-id", id),
            ],
            r#"{"error_code":"AOM.31001306","error_msg":"not found","http_code":404}"#,
        )
            .into_response()
    }));
    let url = common::serve(&rt, router);
    let s = Suite::copy();
    let (r, junit, json) = run_one(&s, &url, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    // Console and JSON report redact and clip the id; the JUnit property does neither.
    assert_absent("request id", CANARY, &r, &junit, &json);
    assert!(
        junit.len() < 20_000,
        "a 50 KB request id is copied whole into JUnit ({} bytes)",
        junit.len()
    );
}

// ---- class 4: a form of the secret the harness makes itself ----

#[test]
fn a_secret_used_as_a_json_key_is_redacted_in_the_pointer() {
    let rt = runtime();
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        let key = serde_json::to_string(&sent_token(&headers)).unwrap();
        let body = format!(
            r#"{{"error_code":"AOM.31001306","error_msg":"x","http_code":404,{key}:{{"a":1,"a":2}}}}"#
        );
        (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            body,
        )
    }));
    let url = common::serve(&rt, router);
    let s = Suite::copy();
    let (r, junit, json) = run_one(&s, &url, &[]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("appears more than once"), "{r:?}");
    // Printed today as `body /MIItok+en~1with="chars0123456789: key "a" appears …`.
    assert_absent("JSON pointer", CANARY, &r, &junit, &json);
}

// ---- class 2/4: plausible encodings outside the documented set ----

#[test]
fn secrets_percent_encoded_twice_are_redacted() {
    let rt = runtime();
    let twice = |s: &str| {
        let once = utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        utf8_percent_encode(&once, NON_ALPHANUMERIC).to_string()
    };
    // IAM redirects the login to a login page, the original URL (with the password)
    // as its `next` parameter.
    let next = format!(
        "/login?next={}",
        twice(&format!("/v3/auth/tokens?pw={PASSWORD}"))
    );
    let iam_router = Router::new().fallback(any(move || {
        let to = next.clone();
        async move { (StatusCode::FOUND, [("location", to)], "") }
    }));
    let iam = common::serve(&rt, iam_router);
    let aom_router = Router::new().fallback(any(move |headers: HeaderMap| async move {
        let to = format!(
            "/login?next={}",
            twice(&format!("/x?t={}", sent_token(&headers)))
        );
        (StatusCode::FOUND, [("location", to)], "")
    }));
    let url = common::serve(&rt, aom_router);
    let s = Suite::copy();

    let mut args = vec!["--endpoint", &url, "--project-id", PROJECT];
    args.extend(common::iam_flags(&iam));
    let r = s.run(&args, &[("AOM_IAM_PASSWORD", PASSWORD), ("NO_COLOR", "1")]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("redirecting to"), "{r:?}");
    let junit = std::fs::read_to_string(s.junit()).unwrap_or_default();
    // stderr today: `redirecting to "/login?next=…pw%253DPWp%2540ss%252Fw%252Brd%253D1%2520%2522pwcanaryR8%2522"`
    let mut found = shown("IAM Location", PW_CANARY, &r, &junit, "");

    let (r, junit, json) = run_one(&s, &url, &[]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("redirected to"), "{r:?}");
    found.extend(shown("AOM Location", CANARY, &r, &junit, &json));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn secrets_in_nested_json_strings_are_redacted() {
    let rt = runtime();
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        // error_msg carries the request's headers as a JSON document: the token is
        // JSON-escaped twice in the raw body.
        let inner = serde_json::json!({"X-Auth-Token": sent_token(&headers)}).to_string();
        let body = serde_json::json!({
            "error_code": "AOM.31001306",
            "error_msg": format!("rejected request headers {inner}"),
            "http_code": 4040,
        })
        .to_string();
        (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            body,
        )
    }));
    let url = common::serve(&rt, router);
    let s = Suite::copy();
    let (r, junit, json) = run_one(&s, &url, &[]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("rejected request headers"), "{r:?}");
    assert_absent("nested JSON", CANARY, &r, &junit, &json);
}

#[test]
fn secrets_in_html_character_references_are_redacted() {
    let rt = runtime();
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        let escaped = sent_token(&headers)
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('/', "&#47;")
            .replace('+', "&#43;");
        let body = format!(
            "<html><body><h1>401</h1><form><input name=\"token\" value=\"{escaped}\"></form></body></html>"
        );
        (StatusCode::NOT_FOUND, [("content-type", "text/html")], body)
    }));
    let url = common::serve(&rt, router);
    let s = Suite::copy();
    let (r, junit, json) = run_one(&s, &url, &[]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("<html>"), "{r:?}");
    assert_absent("HTML page", CANARY, &r, &junit, &json);
}

// ---- reports: the scratch files beside a report ----

/// `run` with `--junit DIR/j.xml` through `sh`, which first plants a symlink named
/// `DIR/{name}` (where `$$` is the pid the harness will have: `exec` keeps it) pointing
/// at `victim`.
fn run_with_planted_link(dir: &std::path::Path, name: &str, victim: &std::path::Path) -> i32 {
    let script = format!(
        "ln -s '{}' '{}'/{name} && exec '{}' run --junit '{}/j.xml' --exact '{NO_SETUP_CASE}'",
        victim.display(),
        dir.display(),
        env!("CARGO_BIN_EXE_aom-conformance"),
        dir.display(),
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(script).current_dir(common::root());
    for v in [
        "AOM_ENDPOINT",
        "AOM_PROJECT_ID",
        "AOM_AUTH_TOKEN",
        "AOM_AUTH",
        "AOM_REGION",
        "AOM_IAM_PASSWORD",
        "CLOUD_SDK_AK",
        "CLOUD_SDK_SK",
        "CLOUD_SDK_SECURITY_TOKEN",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd.output().unwrap();
    out.status.code().unwrap_or(-1)
}

#[test]
fn a_symlink_at_a_scratch_file_name_is_not_followed() {
    // The report's own scratch file, and the scratch file of the writability probe.
    for name in [".j.xml.$$.tmp", "..aom-conformance-probe-$$.$$.tmp"] {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let code = run_with_planted_link(dir.path(), name, &victim);
        assert_eq!(code, 0, "{name}");
        // Today the victim holds the JUnit report (first name) or is empty (second).
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{name}: the run wrote through the planted link"
        );
        let meta = std::fs::symlink_metadata(dir.path().join("j.xml")).unwrap();
        assert!(meta.is_file(), "{name}: j.xml is not a regular file");
    }
}

// ---- class 7: a logfile that opens but cannot be written ----

#[test]
fn a_logfile_that_cannot_be_written_is_bad_input_not_a_panic() {
    let s = Suite::copy();
    let r = s.run(&["--logfile", "/dev/full", "--exact", NO_SETUP_CASE], &[]);
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    assert_eq!(r.code, 2, "{r:?}");
}

// ---- class 5: unbounded work from a small flag ----

#[test]
fn a_huge_test_threads_value_is_bounded() {
    let s = Suite::copy();
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(s.args());
    args.extend(
        ["--test-threads", "10000000", "--exact", NO_SETUP_CASE]
            .iter()
            .map(|a| (*a).to_owned()),
    );
    let mut child = common::bin()
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let wait = |child: &mut std::process::Child, limit: Duration| {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(st) = child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    };
    let done = wait(&mut child, Duration::from_secs(20));
    let after_term = if done.is_none() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        wait(&mut child, Duration::from_secs(5))
    } else {
        None
    };
    if done.is_none() && after_term.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(
        done.is_some(),
        "one case with --test-threads 10000000 still running after 20 s; after SIGTERM: {after_term:?}"
    );
    let code = done.unwrap().code();
    assert!(matches!(code, Some(0 | 2)), "exit {code:?}");
}
