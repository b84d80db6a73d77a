//! Hostile endpoints (issue 14): redirects that would carry credentials elsewhere, IAM
//! answers that quote the password, bodies the formatter must cut between characters,
//! secrets echoed back in other encodings, huge captured values, reports that must stay
//! parseable and must not follow a symlink. All on loopback.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use base64::Engine as _;
use common::{PROJECT, Suite, runtime, serve_on};
use parking_lot::Mutex;

const TOKEN: &str = "MIItok+en/with=\"chars-0123456789";
const AK: &str = "AKHOSTILE0123456789";
const SK: &str = "SKhostile-secret-key-0123456789";
const SECURITY_TOKEN: &str = "SThostile-security-token-0123456789";
const PASSWORD: &str = "PWp@ss/w+rd=1 \"hostile\"";
const NO_SETUP_CASE: &str = "StopExecution [404] unknown workflow id";

/// Every request a server got: `METHOD /path?query` and its header lines.
type Seen = Arc<Mutex<Vec<String>>>;

/// A server on another loopback address that records whatever reaches it.
fn recorder(rt: &tokio::runtime::Runtime) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let router = Router::new().fallback(any(move |req: Request| {
        let log = Arc::clone(&log);
        async move {
            log.lock().push(format!(
                "{} {} {:?}",
                req.method(),
                req.uri(),
                req.headers()
            ));
            (StatusCode::OK, [("content-type", "application/json")], "{}")
        }
    }));
    (serve_on(rt, "127.0.0.2", router), seen)
}

fn token_env() -> Vec<(&'static str, &'static str)> {
    vec![("AOM_AUTH_TOKEN", TOKEN), ("NO_COLOR", "1")]
}

fn aksk_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("CLOUD_SDK_AK", AK),
        ("CLOUD_SDK_SK", SK),
        ("CLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN),
        ("NO_COLOR", "1"),
    ]
}

/// `run` of `s` against `url` with `env`, plus `extra` flags.
fn run(s: &Suite, url: &str, env: &[(&str, &str)], extra: &[&str]) -> common::Run {
    let mut args = vec!["--endpoint", url, "--project-id", PROJECT];
    args.extend_from_slice(extra);
    s.run(&args, env)
}

fn assert_no_secret(r: &common::Run, s: &Suite, secrets: &[&str]) {
    let junit = std::fs::read_to_string(s.junit()).unwrap_or_default();
    for secret in secrets {
        assert!(!r.all().contains(secret), "output leaks {secret:?}: {r:?}");
        assert!(!junit.contains(secret), "JUnit leaks {secret:?}:\n{junit}");
    }
}

#[test]
fn redirects_are_never_followed_with_credentials() {
    let rt = runtime();
    let (elsewhere, stolen) = recorder(&rt);
    // A second hop on the same host, to catch a re-sent signature.
    let hops: Seen = Arc::default();
    let hop_log = Arc::clone(&hops);
    let target = format!("{elsewhere}/stolen?from=aom");
    let router = Router::new()
        .route(
            "/hop2",
            any(move |req: Request| {
                let log = Arc::clone(&hop_log);
                async move {
                    log.lock().push(format!("{:?}", req.headers()));
                    StatusCode::OK
                }
            }),
        )
        .fallback(any(move |req: Request| {
            let to = if req.uri().path().contains("cms/workflow/missing") {
                target.clone()
            } else {
                "/hop2".to_owned()
            };
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)], "") }
        }));
    let url = serve_on(&rt, "127.0.0.1", router);
    let s = Suite::copy();
    for env in [token_env(), aksk_env()] {
        // The request under test is redirected to another host.
        let r = run(&s, &url, &env, &["--exact", NO_SETUP_CASE]);
        assert_eq!(r.code, 101, "{r:?}");
        assert!(
            r.stdout.contains(&format!(
                "redirected to {elsewhere}/stolen?from=aom (not followed"
            )),
            "{r:?}"
        );
        assert!(r.stdout.contains("status: expected 404, got 307"), "{r:?}");
        // A setup step redirected on the same host.
        let r = run(
            &s,
            &url,
            &env,
            &[
                "--exact",
                "StopExecution [200] terminates a running execution",
                "--capability",
                "create-workflow",
            ],
        );
        assert_eq!(r.code, 101, "{r:?}");
        assert!(r.stdout.contains("redirected to /hop2"), "{r:?}");
        assert_no_secret(&r, &s, &[TOKEN, SK, SECURITY_TOKEN]);
    }
    assert!(stolen.lock().is_empty(), "followed: {:?}", stolen.lock());
    assert!(hops.lock().is_empty(), "followed: {:?}", hops.lock());
}

/// `%2B` → `%2b`: the same percent-encoding with lower-case hex digits.
fn lower_escapes(encoded: &str) -> String {
    let mut out = String::new();
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        out.push_str(&rest[i..i + 3].to_lowercase());
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// An IAM endpoint that redirects every login to `location`.
fn redirecting_iam(rt: &tokio::runtime::Runtime, location: String) -> String {
    let router = Router::new().fallback(any(move || {
        let to = location.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)], "") }
    }));
    serve_on(rt, "127.0.0.1", router)
}

#[test]
fn iam_redirects_are_not_followed_and_never_print_the_password() {
    let rt = runtime();
    let (elsewhere, stolen) = recorder(&rt);
    let encoded: String =
        percent_encoding::utf8_percent_encode(PASSWORD, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    for location in [
        format!("{elsewhere}/v3/auth/tokens"),
        // A loop that puts the password in the URL, upper- and lower-case escapes.
        format!("/v3/auth/tokens?pw={encoded}"),
        format!("/v3/auth/tokens?pw={}", lower_escapes(&encoded)),
    ] {
        let iam = redirecting_iam(&rt, location.clone());
        let s = Suite::copy();
        let mut args = vec!["--endpoint", &elsewhere, "--project-id", PROJECT];
        args.extend(common::iam_flags(&iam));
        let r = s.run(&args, &[("AOM_IAM_PASSWORD", PASSWORD)]);
        assert_eq!(r.code, 3, "{location}: {r:?}");
        assert!(
            r.stderr.contains("answered HTTP 307 redirecting to")
                && r.stderr.contains("not followed"),
            "{r:?}"
        );
        assert!(!r.all().contains("p@ss"), "{r:?}");
        assert!(!r.all().contains("hostile"), "{r:?}");
        assert!(!r.all().to_lowercase().contains("p%40ss"), "{r:?}");
    }
    // The recorder only ever saw the harness's reachability check of the "endpoint".
    for hit in stolen.lock().iter() {
        assert!(
            hit.starts_with("GET / "),
            "IAM login followed elsewhere: {hit}"
        );
    }
}

/// A server that answers every request with `status` and `body` as JSON.
fn fixed(rt: &tokio::runtime::Runtime, status: StatusCode, body: String) -> String {
    let router = Router::new().fallback(any(move || {
        let body = body.clone();
        async move { (status, [("content-type", "application/json")], body) }
    }));
    serve_on(rt, "127.0.0.1", router)
}

#[test]
fn multi_byte_and_binary_bodies_are_cut_between_characters() {
    let rt = runtime();
    let s = Suite::copy();
    let msg = "终止任务失败，执行不存在".repeat(120);
    let body = format!(r#"{{"error_code":"AOM.31001306","error_msg":"{msg}","http_code":4040}}"#);
    let url = fixed(&rt, StatusCode::NOT_FOUND, body);
    let r = run(&s, &url, &token_env(), &["--exact", NO_SETUP_CASE]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    assert!(r.stdout.contains("body /http_code"), "{r:?}");
    assert!(
        r.stdout
            .contains("response: {\"error_code\":\"AOM.31001306\",\"error_msg\":\"终止任务失败"),
        "{r:?}"
    );

    let binary: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let router = Router::new().fallback(any(move || {
        let b = binary.clone();
        async move { (StatusCode::NOT_FOUND, b) }
    }));
    let url = serve_on(&rt, "127.0.0.1", router);
    let r = run(&s, &url, &token_env(), &["--exact", NO_SETUP_CASE]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("(4000 bytes)"), "{r:?}");
}

/// Every encoding of the token an endpoint could echo back.
fn echoed_forms(token: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        serde_json::to_string(token).unwrap().replace('/', "\\/"),
        token
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect(),
        lower_escapes(
            &percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ),
        b64.encode(format!("user:{token}")),
        hex::encode(token),
    ]
}

#[test]
fn echoed_secrets_are_redacted_in_every_documented_encoding() {
    let rt = runtime();
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        let sent = |h: &str| {
            headers
                .get(h)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default()
        };
        let mut forms = echoed_forms(&sent("x-auth-token"));
        forms.extend(echoed_forms(&sent("x-security-token")));
        // The signature: per-request, never configured anywhere.
        let auth = sent("authorization");
        let signature = auth.split("Signature=").nth(1).unwrap_or("").to_owned();
        forms.extend(echoed_forms(&signature));
        let location = format!("/elsewhere?sig={signature}&t={}", forms[0]);
        (
            StatusCode::FOUND,
            [
                ("content-type", "application/json".to_owned()),
                ("location", location),
            ],
            format!("{{\"echo\":\"{}\"}}", forms.join(" | ")),
        )
            .into_response()
    }));
    let url = serve_on(&rt, "127.0.0.1", router);
    let s = Suite::copy();
    for env in [token_env(), aksk_env()] {
        let r = run(&s, &url, &env, &["--exact", NO_SETUP_CASE]);
        assert_eq!(r.code, 101, "{r:?}");
        assert!(r.stdout.contains("[REDACTED]"), "{r:?}");
        let mut secrets: Vec<String> = Vec::new();
        for t in [TOKEN, SK, SECURITY_TOKEN] {
            secrets.push(t.to_owned());
            secrets.extend(echoed_forms(t));
        }
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        assert_no_secret(&r, &s, &secrets);
        // No 64-hex-digit signature survived either.
        let hexrun = r
            .stdout
            .split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() >= 64);
        assert!(!hexrun, "a signature leaked: {r:?}");
    }
}

#[test]
fn a_huge_captured_value_does_not_make_a_huge_message() {
    let rt = runtime();
    let id = "E".repeat(3 * 1024 * 1024);
    let router = Router::new().fallback(any(move |req: Request| {
        let body = if req.uri().path().ends_with("/executions") {
            (StatusCode::OK, format!("{{\"execution_id\":\"{id}\"}}"))
        } else {
            (
                StatusCode::IM_A_TEAPOT,
                r#"{"error_code":"X","error_msg":"no","http_code":418}"#.to_owned(),
            )
        };
        async move { (body.0, [("content-type", "application/json")], body.1) }
    }));
    let url = serve_on(&rt, "127.0.0.1", router);
    let s = Suite::copy();
    let r = run(
        &s,
        &url,
        &token_env(),
        &[
            "--exact",
            "StopExecution [200] terminates a running execution",
            "--var",
            "workflow_id=wf-given",
        ],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout.contains("EEEE… ("),
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
    assert!(
        r.stdout.len() < 16 * 1024,
        "stdout is {} bytes",
        r.stdout.len()
    );
    assert!(
        r.stderr.len() < 16 * 1024,
        "stderr is {} bytes",
        r.stderr.len()
    );
    let junit = std::fs::metadata(s.junit()).unwrap().len();
    assert!(junit < 32 * 1024, "JUnit is {junit} bytes");
}

#[test]
fn the_junit_report_parses_whatever_the_endpoint_or_target_name_holds() {
    let rt = runtime();
    let body =
        "{\"error_code\":\"A\u{FFFF}\u{FFFE}\u{1b}[31m\u{0}\",\"error_msg\":\"x\",\"http_code\":1}";
    let url = fixed(&rt, StatusCode::NOT_FOUND, body.to_owned());
    let s = Suite::copy();
    let target = s.dir.path().join("t.yaml");
    std::fs::write(
        &target,
        format!(
            "name: \"odd\\uFFFE\\uFFFFname\"\nendpoint: {url}\nproject_id: {PROJECT}\nauth: {{ mode: token }}\ncapabilities: []\n"
        ),
    )
    .unwrap();
    for extra in [
        vec!["--endpoint", url.as_str(), "--project-id", PROJECT],
        vec!["--target", target.to_str().unwrap()],
    ] {
        let mut args = extra.clone();
        args.extend(["--exact", NO_SETUP_CASE]);
        let r = s.run(&args, &token_env());
        assert_eq!(r.code, 101, "{r:?}");
        let xml = std::fs::read_to_string(s.junit()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count(),
            1
        );
    }
    // A name that cannot be a trial name is refused up front, located.
    let text = std::fs::read_to_string(&target).unwrap();
    std::fs::write(&target, text.replace("\\uFFFF", "\\u001B")).unwrap();
    let r = s.run(&["--target", target.to_str().unwrap()], &token_env());
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("t.yaml:1:7: a target's name is one line of text"),
        "{r:?}"
    );
}

#[test]
fn a_name_too_long_for_a_trial_is_a_located_error_not_a_panic() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "  - name: unknown workflow id",
        &format!("  - name: {}", "n".repeat(70_000)),
    );
    for cmd in ["lint", "run"] {
        let mut args = vec![cmd];
        let suite = s.args();
        args.extend(suite.iter().take(4).map(String::as_str));
        let r = common::run_env(&args, &[]);
        let head = &r.stderr[..r.stderr.len().min(600)];
        assert_eq!(r.code, 2, "{cmd}: {head}");
        assert!(
            r.stderr
                .contains("a case's name has 70000 characters; at most 200"),
            "{head}"
        );
        assert!(!r.stderr.contains("panicked"), "{head}");
    }
}

#[test]
fn a_symlinked_report_is_replaced_not_followed() {
    let s = Suite::copy();
    let victim = s.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, s.junit()).unwrap();
    let r = s.run(&["--exact", NO_SETUP_CASE], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let meta = std::fs::symlink_metadata(s.junit()).unwrap();
    assert!(meta.is_file(), "the report replaced the link");
    assert!(
        std::fs::read_to_string(s.junit())
            .unwrap()
            .contains("<testsuites")
    );
    // No scratch file is left beside it.
    let left: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_report_path_that_is_a_fifo_or_device_is_written_in_place() {
    let s = Suite::copy();
    let fifo = s.dir.path().join("junit.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let mut args = vec!["run".to_owned()];
    args.extend(s.args().into_iter().take(4));
    let fifo_arg = fifo.display().to_string();
    let (json, dev_null) = (s.dir.path().join("r.json"), "/dev/null".to_owned());
    args.extend([
        "--junit".into(),
        fifo_arg,
        "--exact".into(),
        NO_SETUP_CASE.into(),
    ]);
    args.extend([
        "--report".into(),
        "json".into(),
        dev_null,
        "--report".into(),
        "json".into(),
    ]);
    args.push(json.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = common::run_env(&args, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(reader.join().unwrap().contains("<testsuites"));
    let kind = |p: &str| std::fs::symlink_metadata(p).unwrap().file_type();
    use std::os::unix::fs::FileTypeExt;
    assert!(
        kind(fifo.to_str().unwrap()).is_fifo(),
        "the FIFO is still a FIFO"
    );
    assert!(
        kind("/dev/null").is_char_device(),
        "/dev/null is still a device"
    );
    assert!(
        std::fs::read_to_string(&json)
            .unwrap()
            .contains("run_finished")
    );
}

#[test]
fn an_unwritable_logfile_is_bad_input_not_a_panic() {
    let s = Suite::copy();
    let r = s.run(&["--logfile", "/proc/nope/x"], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("cannot write --logfile /proc/nope/x"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

/// `HTTP_PROXY` & co. with `proxy` for every spelling reqwest reads.
fn proxy_env(proxy: &str) -> Vec<(&'static str, String)> {
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"]
        .into_iter()
        .map(|k| (k, proxy.to_owned()))
        .collect()
}

#[test]
fn loopback_endpoints_never_go_through_a_proxy_and_others_do() {
    let rt = runtime();
    let (proxy, seen) = recorder(&rt);
    let s = Suite::copy();
    let mut env = proxy_env(&proxy);
    env.push(("NO_COLOR", "1".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // The embedded mock (credentials over plain http are allowed because they stay here).
    let r = s.run(&["--exact", NO_SETUP_CASE], &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(seen.lock().is_empty(), "via the proxy: {:?}", seen.lock());

    // A remote endpoint: the proxy variables are honoured, as a corporate network needs.
    let mut remote = env.clone();
    remote.push(("AOM_AUTH_TOKEN", TOKEN));
    let r = run(
        &s,
        "http://aom.proxied.invalid",
        &remote,
        &["--allow-plain-http", "--exact", NO_SETUP_CASE],
    );
    assert_ne!(r.code, 0, "{r:?}");
    let seen = seen.lock();
    assert!(
        seen.iter()
            .any(|l| l.contains("http://aom.proxied.invalid/")),
        "the proxy saw {seen:?}; {r:?}"
    );
    assert_no_secret(&r, &s, &[TOKEN]);
}
