//! How the harness reports endpoints that misbehave: non-JSON bodies, slow answers,
//! dropped connections, gateway-style auth errors; colours; repeated parallel runs.

mod common;

use aom_conformance::auth::Secret;
use aom_conformance::mock::{MockConfig, TokenGrant};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use common::{Mock, PROJECT, Suite, serve};

const TOKEN: &str = "MIIbehaviour-token-0123456789";

fn run_against(url: &str, s: &Suite, extra: &[&str]) -> common::Run {
    s.run_at(url, TOKEN, extra, &[("NO_COLOR", "1")])
}

#[test]
fn a_non_json_body_is_its_own_clear_failure() {
    let mock = Mock::with_token(TOKEN);
    let html = serve(
        &mock.rt,
        Router::new().fallback(any(|| async {
            (
                StatusCode::NOT_FOUND,
                [("content-type", "text/html")],
                "<html><body><h1>404 Not Found</h1></body></html>",
            )
        })),
    );
    let s = Suite::copy();
    let r = run_against(
        &html,
        &s,
        &["--exact", "StopExecution [404] unknown workflow id"],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout.contains(
            "header content-type: expected to start with \"application/json\", got \"text/html\""
        ),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("body: not JSON (expected value)"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("response: <html><body><h1>404 Not Found</h1></body></html>"),
        "{r:?}"
    );
}

#[test]
fn slow_answers_hit_the_per_request_timeout_and_dropped_connections_are_reported() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "      path: { workflow_id: \"missing-wf-{{case_uid}}\", execution_id: \"missing-{{case_uid}}\" }\n",
        "      path: { workflow_id: \"missing-wf-{{case_uid}}\", execution_id: \"missing-{{case_uid}}\" }\n      headers: { X-Aom-Mock-Fault: \"delay=5000\" }\n",
    );
    let started = std::time::Instant::now();
    let r = run_against(
        &mock.url,
        &s,
        &[
            "--exact",
            "StopExecution [404] unknown workflow id",
            "--timeout",
            "300ms",
            "--capability",
            "fault-injection",
        ],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("no response within 300ms"), "{r:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the timeout did not cut the 5 s answer"
    );

    s.edit("specs/stop-execution.yaml", "delay=5000", "drop-connection");
    let r = run_against(
        &mock.url,
        &s,
        &[
            "--exact",
            "StopExecution [404] unknown workflow id",
            "--capability",
            "fault-injection",
        ],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stdout.contains("request failed:"), "{r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(xml.contains("type=\"transport\""), "{xml}");
}

#[test]
fn the_api_gateways_401_is_a_documented_alternative_and_the_report_says_so() {
    let mock = Mock::start(MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        gateway_auth_errors: true,
        ..Default::default()
    });
    let s = Suite::copy();
    let all = [
        "--capability",
        "create-workflow",
        "--capability",
        "fault-injection",
    ];
    let r = run_against(&mock.url, &s, &all);
    assert_eq!(
        r.code, 0,
        "the whole suite passes against the gateway mode: {r:?}"
    );
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("answered by the API gateway (a documented alternative): "))
        .unwrap_or_else(|| panic!("{r:?}"));
    for case in [
        "StopExecution [401] invalid credentials",
        "ExecuteWorkflow [401] invalid credentials",
    ] {
        assert!(line.contains(case), "{line}");
    }
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("<property name=\"answered_by\" value=\"the API gateway\"/>"),
        "{xml}"
    );

    // A case that asks for AOM's own answer gets only that: the gateway's is a mismatch.
    s.edit(
        "specs/stop-execution.yaml",
        "      auth: invalid\n    expect:\n      status: 401\n",
        "      auth: invalid\n    expect:\n      status: 401\n      error_code: AOM.31009004\n",
    );
    let r = run_against(
        &mock.url,
        &s,
        &[
            "--exact",
            "StopExecution [401] invalid credentials",
            "--capability",
            "create-workflow",
        ],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout
            .contains("body /error_code: expected \"AOM.31009004\", got \"APIGW.0301\""),
        "{r:?}"
    );
}

#[test]
fn colours_follow_clicolor_force_and_no_color() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: nope }",
    );
    let case = "StopExecution [200]";
    let forced = s.run(&[case], &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(forced.code, 101, "{forced:?}");
    assert!(
        forced.stdout.contains("\u{1b}["),
        "CLICOLOR_FORCE should colour: {forced:?}"
    );
    let plain = s.run(&[case], &[("NO_COLOR", "1")]);
    assert!(
        !plain.stdout.contains("\u{1b}["),
        "NO_COLOR should not colour: {plain:?}"
    );
    let never = s.run(&[case, "--color", "never"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        !never.stdout.contains("\u{1b}["),
        "--color never wins: {never:?}"
    );
    // JUnit never carries escapes.
    assert!(
        !std::fs::read_to_string(s.junit())
            .unwrap()
            .contains('\u{1b}')
    );
}

#[test]
fn the_suite_passes_repeatedly_in_parallel_against_one_mock() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    for round in 0..5 {
        let r = run_against(
            &mock.url,
            &s,
            &[
                "--capability",
                "create-workflow",
                "--capability",
                "create-alarm-rules",
                "--capability",
                "push-events",
                "--capability",
                "fault-injection",
                "--capability",
                "reference-mock",
                "--test-threads",
                "32",
            ],
        );
        assert_eq!(r.code, 0, "round {round}: {r:?}");
        assert!(
            r.stdout.contains(&format!(
                "{} passed; 0 failed; 0 ignored",
                common::listed_cases(&[]).len()
            )),
            "round {round}: {r:?}"
        );
    }
}

#[test]
fn undo_problems_are_never_silent() {
    // Every cleanup meets a 500: the cases still pass, and each failed undo is a warning
    // (after one retry), since what it should have stopped may still be running.
    let s = Suite::copy();
    s.edit(
        "specs/execute-workflow.yaml",
        "  call: StopExecution\n  path: { workflow_id: \"{{workflow_id}}\", execution_id: \"{{execution_id}}\" }\n",
        "  call: StopExecution\n  path: { workflow_id: \"{{workflow_id}}\", execution_id: \"{{execution_id}}\" }\n  headers: { X-Aom-Mock-Fault: internal-error }\n",
    );
    let r = s.run(
        &["StopExecution [404] unknown execution id", "--exact"],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // That case starts nothing: no warning.
    assert!(!r.stderr.contains("warning"), "{r:?}");
    let r = s.run(&["--exact", "StopExecution [401] no credentials"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("warning: cleanup POST /v1/")
            && r.stderr.contains(
                "failed (answered 500 AOM.31001405): what it undoes may still be running"
            ),
        "{r:?}"
    );

    // A call that may have started something but gave no usable answer is warned about.
    let s = Suite::copy();
    s.edit(
        "specs/execute-workflow.yaml",
        "  - name: starts an execution\n    setup:\n      - use: workflow\n    request:\n      path: { workflow_id: \"{{workflow_id}}\" }\n",
        "  - name: starts an execution\n    setup:\n      - use: workflow\n    request:\n      path: { workflow_id: \"{{workflow_id}}\" }\n      headers: { X-Aom-Mock-Fault: drop-connection }\n",
    );
    let r = s.run(
        &["--exact", "ExecuteWorkflow [200] starts an execution"],
        &[],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stderr
            .contains("may have started something this run cannot undo"),
        "{r:?}"
    );
}
