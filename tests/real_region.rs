//! Running against "real" endpoints: targets, AK/SK, IAM, capabilities, cleanup and
//! secret redaction — all over loopback (the mock, an IAM stub, an echoing server).

mod common;

use std::sync::Arc;

use aom_conformance::auth::Secret;
use aom_conformance::mock::{AccessKey, MockConfig};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{any, post};
use common::{Mock, PROJECT, Suite, junit_cases, serve};
use parking_lot::Mutex;

const TOKEN: &str = "MIItoken-known-secret-0123456789";
const AK: &str = "AKKNOWN0123456789";
const SK: &str = "SKknown-secret-key-0123456789";
const SECURITY_TOKEN: &str = "STknown-security-token-0123456789";
const PASSWORD: &str = "PWknown-iam-password-0123456789";

fn aksk_mock() -> Mock {
    Mock::start(MockConfig {
        keys: vec![AccessKey {
            ak: AK.into(),
            sk: Secret::new(SK),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        ..Default::default()
    })
}

/// The binary with `args`, authenticated with [`TOKEN`].
fn run_token(args: &[&str]) -> common::Run {
    common::run_env(args, &[("AOM_AUTH_TOKEN", TOKEN)])
}

fn endpoint_args<'a>(url: &'a str, junit: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--endpoint",
        url,
        "--project-id",
        PROJECT,
        "--junit",
        junit,
    ]
}

#[test]
fn aksk_signed_suite_passes_and_a_wrong_sk_is_one_clear_error_before_any_case() {
    let mock = aksk_mock();
    let s = Suite::copy();
    let junit = s.junit().display().to_string();
    let mut args = endpoint_args(&mock.url, &junit);
    args.extend([
        "--capability",
        "fault-injection",
        "--capability",
        "create-workflow",
    ]);
    let r = common::run_env(&args, &[("CLOUD_SDK_AK", AK), ("CLOUD_SDK_SK", SK)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(" 0 failed"), "{r:?}");

    // The derived-key variant, scoped to a region.
    let mut v11 = args.clone();
    v11.extend([
        "--region",
        "cn-north-4",
        "--signing-algorithm",
        "V11-HMAC-SHA256",
    ]);
    let r = common::run_env(&v11, &[("CLOUD_SDK_AK", AK), ("CLOUD_SDK_SK", SK)]);
    assert_eq!(r.code, 0, "{r:?}");

    let r = common::run_env(
        &args,
        &[
            ("CLOUD_SDK_AK", AK),
            ("CLOUD_SDK_SK", "SKwrong-secret-key-000000000000"),
            ("NO_COLOR", "1"),
        ],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains(
            "error: the endpoint refused the ak/sk credentials: ListWorkflow answered 401 AOM.31009004 [X-Request-Id: "
        ),
        "{r:?}"
    );
    assert!(r.stderr.contains("check the AK/SK"), "{r:?}");
    assert!(!r.stdout.contains("running "), "no case ran: {r:?}");
    assert!(!r.all().contains("SKwrong"), "{r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("refused the ak/sk credentials"),
        "the report says why: {xml}"
    );
}

#[test]
fn aksk_against_the_embedded_mock() {
    let r = common::run_env(
        &["run", "--auth", "aksk", "--junit", "/dev/null"],
        &[("CLOUD_SDK_AK", AK), ("CLOUD_SDK_SK", SK)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let all = common::listed_cases(&[]).len();
    assert!(r.stdout.contains(&format!("{all} passed")), "{r:?}");
}

/// An IAM stub: checks the password-method body and answers with `token` in
/// `X-Subject-Token`, or 401 (with a body echoing the request) for another password.
fn iam_stub(
    rt: &tokio::runtime::Runtime,
    token: &'static str,
    seen: Arc<Mutex<Vec<serde_json::Value>>>,
) -> String {
    let router = Router::new().route(
        "/v3/auth/tokens",
        post(move |body: axum::Json<serde_json::Value>| {
            let seen = Arc::clone(&seen);
            async move {
                seen.lock().push(body.0.clone());
                let pw = body.0.pointer("/auth/identity/password/user/password").and_then(|v| v.as_str());
                let mut h = HeaderMap::new();
                if pw == Some(PASSWORD) {
                    h.insert("X-Subject-Token", token.parse().unwrap());
                    (StatusCode::CREATED, h, format!("{{\"token\":{{\"catalog\":[],\"user\":{{\"name\":\"qa\"}}}},\"echo\":{}}}", body.0))
                } else {
                    (StatusCode::UNAUTHORIZED, h, format!("{{\"error\":{{\"message\":\"bad password\"}},\"echo\":{}}}", body.0))
                }
            }
        }),
    );
    serve(rt, router)
}

#[test]
fn iam_password_is_exchanged_once_for_a_token() {
    let mock = Mock::with_token(TOKEN);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let iam = iam_stub(&mock.rt, TOKEN, Arc::clone(&seen));
    let s = Suite::copy();
    let junit = s.junit().display().to_string();
    let mut args = endpoint_args(&mock.url, &junit);
    args.extend([
        "--auth",
        "iam",
        "--iam-endpoint",
        &iam,
        "--iam-user",
        "qa",
        "--iam-domain",
        "acme",
    ]);
    args.extend(["--capability", "create-workflow"]);
    let r = common::run_env(&args, &[("AOM_IAM_PASSWORD", PASSWORD)]);
    assert_eq!(r.code, 0, "{r:?}");
    let seen = seen.lock().clone();
    assert_eq!(seen.len(), 1, "one token per run: {seen:?}");
    let b = &seen[0];
    assert_eq!(b.pointer("/auth/identity/methods/0").unwrap(), "password");
    assert_eq!(
        b.pointer("/auth/identity/password/user/name").unwrap(),
        "qa"
    );
    assert_eq!(
        b.pointer("/auth/identity/password/user/domain/name")
            .unwrap(),
        "acme"
    );
    assert_eq!(b.pointer("/auth/scope/project/id").unwrap(), PROJECT);
    assert!(
        r.stdout
            .contains("ignored (needs capability fault-injection)"),
        "{r:?}"
    );

    // A refused login is one clear error before any case, without the IAM body.
    let r = common::run_env(&args, &[("AOM_IAM_PASSWORD", "PWwrong-password-000000")]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("IAM at") && r.stderr.contains("HTTP 401"),
        "{r:?}"
    );
    assert!(
        !r.all().contains("bad password") && !r.all().contains("PWwrong"),
        "{r:?}"
    );
    assert!(!r.stdout.contains("running "), "no case ran: {r:?}");
}

#[test]
fn missing_capabilities_are_ignored_with_the_reason_never_passed() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    let junit = s.junit().display().to_string();
    let args = endpoint_args(&mock.url, &junit);
    let r = run_token(&args);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.trial(
            "StopExecution [500] internal error through the fault hook",
            "ignored (needs capability fault-injection)"
        ),
        "{r:?}"
    );
    assert!(
        r.trial(
            "CreateWorkflow [200] creates a manual workflow",
            "ignored (needs capability create-workflow)"
        ),
        "{r:?}"
    );
    assert!(
        r.trial(
            "ListLabelsAomPromGet [200] the synthetic series' label names",
            "ignored (needs capability reference-mock)"
        ),
        "{r:?}"
    );
    // Without create-workflow, every case that creates a workflow in setup is ignored too;
    // only those needing nothing run: 31 of CMS (the catalogue reads, ListWorkflow's reads, the
    // 404s for an unknown workflow and 400s for over-long made-up ids), the Prometheus query
    // cases a real region can run, and the read-only alarm cases.
    let ran: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("test ") && l.ends_with(" ok"))
        .collect();
    let cms = ran.iter().filter(|l| common::is_cms(l)).count();
    assert_eq!(cms, 31, "{r:?}");
    assert!(
        r.stdout.contains(&format!(
            "test result: ok. {} passed; 0 failed; {} ignored",
            ran.len(),
            common::listed_cases(&[]).len() - ran.len()
        )),
        "{r:?}"
    );
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("<skipped message=\"needs capability fault-injection\""),
        "{xml}"
    );
}

#[test]
fn a_provided_workflow_is_executed_and_every_execution_started_is_terminated() {
    let mock = Mock::with_token(TOKEN);
    let wf_id = mock.create_workflow(TOKEN, "qa-provided");

    let s = Suite::copy();
    // One failing case too: cleanup must not depend on passing.
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: nope }",
    );
    let junit = s.junit().display().to_string();
    let var = format!("workflow_id={wf_id}");
    let mut args = endpoint_args(&mock.url, &junit);
    let specs = s.specs().display().to_string();
    args.extend(["--specs", &specs, "--var", &var]);
    let r = run_token(&args);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.trial(
            "StopExecution [400] terminating the same execution twice",
            "... ok"
        ),
        "{r:?}"
    );

    let execs = mock.executions(TOKEN, &wf_id);
    assert!(
        execs.len() >= 8,
        "the run executed the provided workflow: {execs:?}"
    );
    let running: Vec<_> = execs.iter().filter(|e| e["status"] != "cancel").collect();
    assert!(running.is_empty(), "left running: {running:?}");
}

#[test]
fn two_targets_one_run_one_suite_each() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    for name in ["east", "west"] {
        s.write(
            &format!("{name}.yaml"),
            &format!("name: {name}\nendpoint: {}\nproject_id: {PROJECT}\nauth: {{mode: token}}\ncapabilities: [create-workflow, create-alarm-rules, push-events, fault-injection, reference-mock]\n", mock.url),
        );
    }
    let east = s.dir.path().join("east.yaml");
    let west = s.dir.path().join("west.yaml");
    let junit = s.junit().display().to_string();
    let r = run_token(&[
        "run",
        "--target",
        east.to_str().unwrap(),
        "--target",
        west.to_str().unwrap(),
        "--junit",
        &junit,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let all = 2 * common::listed_cases(&[]).len();
    assert!(r.stdout.contains(&format!("{all} passed")), "{r:?}");
    assert!(
        r.stdout
            .contains("test east: StopExecution [200] terminates a running execution"),
        "{r:?}"
    );
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"east\"") && xml.contains("<testsuite name=\"west\""),
        "{xml}"
    );
    assert_eq!(junit_cases(&xml).len(), all);
    // CI systems key results by (classname, name): the two targets must never merge.
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    for tc in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let key = (
            tc.attribute("classname").unwrap(),
            tc.attribute("name").unwrap(),
        );
        assert!(keys.insert(key), "duplicate (classname, name): {key:?}");
        assert!(
            key.0.starts_with("east.") || key.0.starts_with("west."),
            "{key:?}"
        );
        assert!(tc.attribute("file").is_some() && tc.attribute("line").is_some());
    }
    assert_eq!(keys.len(), all);
}

#[test]
fn bad_target_files_and_unsafe_transport_exit_2() {
    let s = Suite::copy();
    s.write(
        "t.yaml",
        "name: x\nregion: cn-north-4\nproject_id: p\nauth: {mode: token, tokne_env: X}\n",
    );
    let t = s.dir.path().join("t.yaml");
    let r = common::run_env(&["run", "--target", t.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("{}:4:", t.display()))
            && r.stderr.contains("unknown field \"tokne_env\""),
        "{r:?}"
    );

    let r = run_token(&[
        "run",
        "--endpoint",
        "http://aom.example.com",
        "--project-id",
        PROJECT,
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("refusing to send credentials over plain http://"),
        "{r:?}"
    );

    let r = common::run_env(&["run", "--auth", "token"], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("AOM_AUTH_TOKEN, which is not set"),
        "{r:?}"
    );
}

/// A server that answers every request with 200 and a body echoing all request headers:
/// the worst case for leaking credentials into failure messages.
fn echo_server(rt: &tokio::runtime::Runtime) -> String {
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        let echoed: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
            .collect();
        (
            StatusCode::OK,
            [("content-type", "application/json")],
            serde_json::Value::Object(echoed).to_string(),
        )
    }));
    serve(rt, router)
}

fn assert_no_secrets(what: &str, text: &str) {
    for secret in [TOKEN, SK, SECURITY_TOKEN, PASSWORD] {
        assert!(!text.contains(secret), "{what} leaks {secret}:\n{text}");
    }
    // Signatures are credentials too.
    assert!(
        !text.contains("Signature="),
        "{what} leaks a signature:\n{text}"
    );
}

#[test]
fn secrets_never_appear_in_any_output_or_report() {
    let mock = Mock::with_token(TOKEN);
    let echo = echo_server(&mock.rt);
    let iam = iam_stub(&mock.rt, TOKEN, Arc::new(Mutex::new(Vec::new())));
    let s = Suite::copy();
    let reports = s.dir.path().join("reports");
    let junit = reports.join("junit.xml").display().to_string();
    let json = reports.join("run.jsonl").display().to_string();
    let html = reports.join("run.html").display().to_string();
    // (auth mode, environment, extra flags)
    type Mode<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let modes: Vec<Mode<'_>> = vec![
        ("token", vec![("AOM_AUTH_TOKEN", TOKEN)], vec![]),
        (
            "aksk",
            vec![
                ("CLOUD_SDK_AK", AK),
                ("CLOUD_SDK_SK", SK),
                ("CLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN),
            ],
            vec![],
        ),
        (
            "iam",
            vec![("AOM_IAM_PASSWORD", PASSWORD)],
            vec![
                "--iam-endpoint",
                &iam,
                "--iam-user",
                "qa",
                "--iam-domain",
                "acme",
            ],
        ),
    ];
    for (mode, env, extra) in &modes {
        for variant in [
            vec![],
            vec!["-Z", "unstable-options", "--format", "json"],
            vec!["--list"],
        ] {
            let mut args = vec![
                "run",
                "--endpoint",
                &echo,
                "--project-id",
                PROJECT,
                "--auth",
                mode,
                "--junit",
                &junit,
                "--report",
                "json",
                &json,
                "--report",
                "html",
                &html,
            ];
            args.extend([
                "--capability",
                "create-workflow",
                "--capability",
                "fault-injection",
            ]);
            args.extend(extra.iter().copied());
            args.extend(variant.iter().copied());
            let r = common::run_env(&args, env);
            let label = format!("{mode} {variant:?}");
            if variant.contains(&"--list") {
                assert_eq!(r.code, 0, "{label}: {r:?}");
            } else {
                // The echo answers 200 everywhere: most cases fail, with excerpts.
                assert_eq!(r.code, 101, "{label}: {r:?}");
                assert!(
                    r.stdout.contains("[REDACTED]"),
                    "{label}: the echo must have been redacted: {r:?}"
                );
                for report in [&json, &html] {
                    assert!(std::path::Path::new(report).exists(), "{label}: {report}");
                }
            }
            assert_no_secrets(&format!("{label} stdout"), &r.stdout);
            assert_no_secrets(&format!("{label} stderr"), &r.stderr);
            for f in std::fs::read_dir(&reports).into_iter().flatten() {
                let p = f.unwrap().path();
                assert_no_secrets(
                    &format!("{label} {}", p.display()),
                    &std::fs::read_to_string(&p).unwrap(),
                );
            }
        }
    }
}

#[test]
fn requests_go_through_the_proxy_from_the_environment() {
    let mock = Mock::with_token(TOKEN);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&seen);
    let proxy = serve(
        &mock.rt,
        Router::new().fallback(any(move |uri: axum::http::Uri| {
            let log = Arc::clone(&log);
            async move {
                log.lock().push(uri.to_string());
                (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    r#"{"error_code":"PROXY","error_msg":"seen by the proxy","http_code":404}"#,
                )
            }
        })),
    );
    let r = common::run_env(
        &[
            "run",
            "--endpoint",
            "http://aom.example.test",
            "--project-id",
            PROJECT,
            "--allow-plain-http",
            "--junit",
            "/dev/null",
            "--exact",
            "StopExecution [404] unknown workflow id",
        ],
        &[("AOM_AUTH_TOKEN", TOKEN), ("HTTP_PROXY", &proxy)],
    );
    // The proxy answered 404 with a valid error body but the wrong code: one failure.
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout
            .contains("expected \"AOM.31001306\", got \"PROXY\""),
        "{r:?}"
    );
    let seen = seen.lock().clone();
    assert!(
        seen.iter()
            .any(|u| u.starts_with("http://aom.example.test/v1/") && u.contains("/terminate")),
        "{seen:?}"
    );
}

#[test]
fn insecure_is_explicit_and_warns() {
    let mock = Mock::with_token(TOKEN);
    let r = run_token(&[
        "run",
        "--endpoint",
        &mock.url,
        "--project-id",
        PROJECT,
        "--insecure",
        "--junit",
        "/dev/null",
        "--exact",
        "StopExecution [404] unknown workflow id",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("TLS certificates are not verified (--insecure)"),
        "{r:?}"
    );
}

#[test]
fn several_targets_refuse_shared_endpoint_settings_and_check_variables_per_target() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    for (name, vars) in [("east", "variables: {suffix: e}\n"), ("west", "")] {
        s.write(
            &format!("{name}.yaml"),
            &format!(
                "name: {name}\nendpoint: {}\nproject_id: {PROJECT}\nauth: {{mode: token}}\n{vars}",
                mock.url
            ),
        );
    }
    let east = s.dir.path().join("east.yaml").display().to_string();
    let west = s.dir.path().join("west.yaml").display().to_string();
    let junit = s.junit().display().to_string();
    let r = common::run_env(
        &[
            "run", "--target", &east, "--target", &west, "--junit", &junit,
        ],
        &[("AOM_AUTH_TOKEN", TOKEN), ("AOM_PROJECT_ID", PROJECT)],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("--project-id / AOM_PROJECT_ID would apply to every target"),
        "{r:?}"
    );

    // `{{suffix}}` is provided by east only: a load error for west, before any request.
    s.edit(
        "specs/stop-execution.yaml",
        "missing-wf-{{case_uid}}",
        "missing-wf-{{suffix}}",
    );
    let specs = s.specs().display().to_string();
    let r = run_token(&[
        "run", "--target", &east, "--target", &west, "--junit", &junit, "--specs", &specs,
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("target west: ") && r.stderr.contains("unknown variable `suffix`"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("target east: "), "{r:?}");
}

#[test]
fn zero_test_threads_and_an_unwritable_report_are_bad_input() {
    let r = common::run_env(&["run", "--test-threads", "0"], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("for '--test-threads <N>'") && r.stderr.contains("1 to 1024"),
        "{r:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let junit = file.join("junit.xml").display().to_string();
    let r = common::run_env(&["run", "--junit", &junit], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot write JUnit report"), "{r:?}");
    assert!(
        !r.stdout.contains("running "),
        "checked before any case ran: {r:?}"
    );
}

#[test]
fn a_wrongly_accepted_call_is_still_undone() {
    // This endpoint also accepts the harness's deliberately invalid token: the 401 cases
    // get 2xx answers and start executions they never meant to.
    let mock = Mock::start(MockConfig {
        tokens: vec![
            aom_conformance::mock::TokenGrant {
                token: Secret::new(TOKEN),
                projects: vec![PROJECT.into()],
            },
            aom_conformance::mock::TokenGrant {
                token: Secret::new("MIIinvalid-aom-conformance-token"),
                projects: vec![PROJECT.into()],
            },
        ],
        faults: true,
        ..Default::default()
    });
    let wf = mock.create_workflow(TOKEN, "qa-provided");
    let s = Suite::copy();
    let junit = s.junit().display().to_string();
    let var = format!("workflow_id={wf}");
    let mut args = endpoint_args(&mock.url, &junit);
    args.extend(["--var", &var, "ExecuteWorkflow [401] invalid credentials"]);
    let r = common::run_env(&args, &[("AOM_AUTH_TOKEN", TOKEN), ("NO_COLOR", "1")]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("status: expected 401, got 200"), "{r:?}");
    let execs = mock.executions(TOKEN, &wf);
    assert_eq!(execs.len(), 1, "{execs:?}");
    assert_eq!(
        execs[0]["status"], "cancel",
        "the wrongly started execution was terminated: {execs:?}"
    );
}
