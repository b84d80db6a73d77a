//! The alarm-management suite end to end, and the harness features it relies on:
//! int64 ids kept exact from capture to request to comparison (`{{name|json}}`), bounded
//! `poll:` steps, and cleanups that leave nothing behind after a full run (token and
//! AK/SK) or an interrupted one.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aom_conformance::auth::Secret;
use aom_conformance::mock::{AccessKey, AlarmsConfig, MockConfig, TokenGrant};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use common::{Mock, PROJECT, Suite, run_env, serve};
use parking_lot::Mutex;
use serde_json::{Value, json};

const TOKEN: &str = "alarms-suite-token-0123456789";
const AK: &str = "AKALARMS0123456789";
const SK: &str = "SKalarms-secret-key-0123456789";
const MUTATING: [&str; 10] = [
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
];

/// A scratch suite holding only `files` (name, text), with an empty schemas directory.
fn scratch(files: &[(&str, &str)]) -> Suite {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("specs")).unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("specs").join(name), text).unwrap();
    }
    Suite { dir }
}

fn run_against(s: &Suite, url: &str, filter: &[&str]) -> common::Run {
    let mut args = vec!["run", "--endpoint", url, "--project-id", PROJECT];
    let own = s.args();
    args.extend(own.iter().map(String::as_str));
    args.extend_from_slice(filter);
    run_env(&args, &[("AOM_AUTH_TOKEN", "t"), ("NO_COLOR", "1")])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---- int64 ids -------------------------------------------------------------------

/// What the int64 server saw: (path id, raw body) of every echo.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Answers ids a double cannot hold, and echoes back the body it is sent.
fn int64_server(rt: &tokio::runtime::Runtime) -> (String, Seen) {
    let seen = Seen::default();
    let router =
        Router::new()
            .route(
                "/v1/{p}/ids",
                get(|| async { r#"{"id":9007199254740993,"nested":{"id":-9007199254740993}}"# }),
            )
            .route(
                "/v1/{p}/ids/{id}",
                post(
                    |State(seen): State<Seen>,
                     Path((_, id)): Path<(String, String)>,
                     body: String| async move {
                        seen.lock().push((id, body.clone()));
                        body
                    },
                ),
            )
            .with_state(Arc::clone(&seen));
    (serve(rt, router), seen)
}

const GET_ID: &str =
    "operation: GetId\nmethod: GET\npath: /v1/{project_id}/ids\nresponses:\n  200: {}\n";

const ECHO_ID: &str = r#"operation: EchoId
method: POST
path: /v1/{project_id}/ids/{id}
responses:
  200: {}
cases:
  - name: sends the captured ids back unchanged
    setup:
      - call: GetId
        capture: { id: /id, neg: /nested/id }
    request:
      path: { id: "{{id}}" }
      body: { id: "{{id|json}}", neg: "{{neg|json}}", text: "{{id}}" }
    expect:
      status: 200
      body: { id: 9007199254740993, neg: -9007199254740993, text: "9007199254740993" }

  - name: compares with a captured id exactly
    setup:
      - call: GetId
        capture: { id: /id }
    request:
      path: { id: "{{id}}" }
      body: { id: "{{id|json}}" }
    expect:
      status: 200
      body_equals: { id: "{{id|json}}" }

  - name: a rounded id does not match
    setup:
      - call: GetId
        capture: { id: /id }
    request:
      path: { id: "{{id}}" }
      body: { id: "{{id|json}}" }
    expect:
      status: 200
      body: { id: 9007199254740992 }
"#;

#[test]
fn ids_beyond_2_pow_53_stay_exact_from_capture_to_request_to_comparison() {
    let rt = runtime();
    let (url, seen) = int64_server(&rt);
    let s = scratch(&[("get-id.yaml", GET_ID), ("echo-id.yaml", ECHO_ID)]);
    let r = run_against(&s, &url, &[]);
    assert!(
        r.trial("EchoId [200] sends the captured ids back unchanged", "ok"),
        "{r:?}"
    );
    assert!(
        r.trial("EchoId [200] compares with a captured id exactly", "ok"),
        "{r:?}"
    );
    assert!(
        r.trial("EchoId [200] a rounded id does not match", "FAILED"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("body /id: expected 9007199254740992, got 9007199254740993"),
        "{r:?}"
    );
    let seen = seen.lock();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for (id, body) in seen.iter() {
        assert_eq!(id, "9007199254740993");
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["id"].as_u64(), Some(9_007_199_254_740_993), "{body}");
        assert!(body.contains(r#""id":9007199254740993"#), "{body}");
    }
    let with_neg = seen.iter().find(|(_, b)| b.contains("neg")).unwrap();
    assert!(
        with_neg.1.contains(r#""neg":-9007199254740993"#),
        "{}",
        with_neg.1
    );
}

// ---- poll: -----------------------------------------------------------------------

/// `GET …/things/{name}`: 200 for the first two calls of a name, then 404; a name
/// starting with `stuck` is always 200.
fn eventual_server(rt: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<String>>>) {
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let router = Router::new()
        .route(
            "/v1/{p}/things/{name}",
            get(
                |State(calls): State<Arc<Mutex<Vec<String>>>>,
                 Path((_, name)): Path<(String, String)>| async move {
                    let mut c = calls.lock();
                    c.push(name.clone());
                    let n = c.iter().filter(|x| **x == name).count();
                    let status = if n <= 2 || name.starts_with("stuck") {
                        200
                    } else {
                        404
                    };
                    (axum::http::StatusCode::from_u16(status).unwrap(), "{}")
                },
            ),
        )
        .with_state(Arc::clone(&calls));
    (serve(rt, router), calls)
}

const GET_THING: &str = r#"operation: GetThing
method: GET
path: /v1/{project_id}/things/{name}
responses:
  200: {}
  404: {}
cases:
  - name: waits until it is gone
    setup:
      - call: GetThing
        path: { name: "gone-{{case_uid}}" }
        poll: { until_status: [404], every: 50ms, within: 5s }
    request:
      path: { name: "gone-{{case_uid}}" }
    expect:
      status: 404

  - name: gives up within its bound
    setup:
      - call: GetThing
        path: { name: "stuck-{{case_uid}}" }
        poll: { until_status: [404, 410], every: 100ms, within: 350ms }
    request:
      path: { name: "stuck-{{case_uid}}" }
    expect:
      status: 200
"#;

#[test]
fn a_poll_repeats_until_its_status_and_gives_up_within_its_bound() {
    let rt = runtime();
    let (url, calls) = eventual_server(&rt);
    let s = scratch(&[("get-thing.yaml", GET_THING)]);
    let started = std::time::Instant::now();
    let r = run_against(&s, &url, &[]);
    assert!(
        r.trial("GetThing [404] waits until it is gone", "ok"),
        "{r:?}"
    );
    assert!(
        r.trial("GetThing [200] gives up within its bound", "FAILED"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains(
            "GetThing still answered 200 after 4 calls in 350ms, polled until status 404 or 410"
        ),
        "{r:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let calls = calls.lock();
    let gone = calls.iter().filter(|n| n.starts_with("gone")).count();
    assert_eq!(
        gone, 4,
        "three polls (200, 200, 404) and the request: {calls:?}"
    );
}

#[test]
fn misused_polls_json_splices_and_request_captures_are_located_errors() {
    let bad = r#"operation: GetThing
method: GET
path: /v1/{project_id}/things/{name}
responses:
  200: {}
cleanup:
  call: GetThing
  capture: { name: /name }
  from_request: { name: /name }
  path: { name: "{{name}}" }
fixtures:
  f:
    - call: GetThing
      path: { name: x }
cases:
  - name: misuse
    setup:
      - call: GetThing
        path: { name: a }
        expect_status: 200
        poll: { until_status: [404], every: 1s, within: 5s }
      - call: GetThing
        path: { name: b }
        poll: { until_status: [], every: 1x, within: 31m }
      - call: GetThing
        path: { name: c }
        poll: { until_status: [404], every: 2s, within: 1s }
      - call: GetThing
        path: { name: d }
        poll: { until_status: [404], every: 1ms, within: 10s }
      - call: GetThing
        path: { name: e }
        poll: { until_status: [404], every: 1s, within: 31m }
      - use: f
        poll: { until_status: [404], every: 1s, within: 5s }
    request:
      path: { name: "x{{name|json}}" }
    expect:
      status: 200
      body: { a: "{{nope|json}}" }
"#;
    let s = scratch(&[("bad.yaml", bad)]);
    let mut args = vec!["lint"];
    let own = s.args();
    args.extend(own.iter().take(4).map(String::as_str));
    let r = run_env(&args, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    let f = s.specs().join("bad.yaml");
    let at = |line: usize| format!("{}:{line}:", f.display());
    for (line, message) in [
        (9, "\"name\" is set by `capture:` too"),
        (
            20,
            "a polled step ends on `poll.until_status`; drop `expect_status`",
        ),
        (24, "`until_status` needs at least one status"),
        (24, "unknown unit \"x\" in \"1x\""),
        (27, "`within` is shorter than `every`"),
        (30, "allows more than 1000 calls"),
        (33, "a poll waits at most 30m"),
        (34, "a `use:` step takes no request fields"),
        (
            37,
            "`{{name|json}}` inserts a JSON value: it must be the whole of a string",
        ),
        (40, "unknown variable `nope`"),
    ] {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(&at(line)) && l.contains(message)),
            "{line}: {message}\n{r:?}"
        );
    }
}

// ---- the alarm suite against a separately started mock -----------------------------

fn alarm_mock() -> Mock {
    Mock::start(MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        keys: vec![AccessKey {
            ak: AK.into(),
            sk: Secret::new(SK),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        alarms: AlarmsConfig {
            action_rule_delete_lag: Duration::from_millis(200),
            ..AlarmsConfig::default()
        },
        ..Default::default()
    })
}

/// What the project still holds: action rules, mute rules, v4 rules, active events.
fn leftovers(m: &Mock) -> Vec<Value> {
    std::thread::sleep(Duration::from_millis(300));
    let p = format!("/v2/{PROJECT}");
    let (_, actions) = m.call(TOKEN, "GET", &format!("{p}/alert/action-rules"));
    let (_, mutes) = m.call(TOKEN, "GET", &format!("{p}/alert/mute-rules"));
    let (_, v4) = m.call(TOKEN, "GET", &format!("/v4/{PROJECT}/alarm-rules"));
    let body = json!({"time_range": "-1.-1.60"}).to_string();
    let (_, active) = m.call_with(
        TOKEN,
        "POST",
        &format!("{p}/events?type=active_alert"),
        &body,
    );
    let (_, all) = m.call_with(TOKEN, "POST", &format!("{p}/events"), &body);
    assert!(
        !all["events"].as_array().unwrap().is_empty(),
        "the run pushed events"
    );
    [
        &actions["action_rules"],
        &mutes,
        &v4["alarm_rules"],
        &active["events"],
    ]
    .into_iter()
    .flat_map(|v| v.as_array().cloned().unwrap_or_default())
    .collect()
}

#[test]
fn the_suite_passes_against_a_started_mock_and_leaves_nothing_behind() {
    let m = alarm_mock();
    let s = Suite::copy();
    let r = s.run_at(&m.url, TOKEN, &MUTATING, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(" 0 failed; 0 ignored"), "{r:?}");
    assert_eq!(leftovers(&m), Vec::<Value>::new());

    // AK/SK: the same, signed.
    let mut args = vec!["run", "--endpoint", &m.url, "--project-id", PROJECT];
    let own = s.args();
    args.extend(own.iter().map(String::as_str));
    args.extend_from_slice(&MUTATING);
    let r = run_env(&args, &[("CLOUD_SDK_AK", AK), ("CLOUD_SDK_SK", SK)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(leftovers(&m), Vec::<Value>::new());
}

#[test]
fn without_the_capabilities_only_read_only_alarm_cases_run() {
    let m = alarm_mock();
    let s = Suite::copy();
    let r = s.run_at(&m.url, TOKEN, &[], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.trial("ListEvents [200] the last 60 minutes, ten at most", "ok"),
        "{r:?}"
    );
    assert!(
        r.trial("ShowActionRule [400] a name that names no rule", "ok"),
        "{r:?}"
    );
    assert!(
        r.trial(
            "AddActionRule [200] adds a rule (200 without a body)",
            "ignored (needs capability create-alarm-rules)"
        ),
        "{r:?}"
    );
    assert!(
        r.trial(
            "ListEvents [200] a reported event, found by its resource_id",
            "ignored (needs capability push-events)"
        ),
        "{r:?}"
    );
    let p = format!("/v2/{PROJECT}");
    let (_, actions) = m.call(TOKEN, "GET", &format!("{p}/alert/action-rules"));
    assert_eq!(actions["action_rules"], json!([]));
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_still_deletes_what_it_created() {
    let m = alarm_mock();
    let s = Suite::copy();
    s.edit(
        "specs/show-action-rule.yaml",
        "cases:\n",
        "cases:\n  - name: hangs\n    setup:\n      - use: action-rule\n      - use: mute-rule\n      - use: alarm-rule\n      - use: pushed-event\n    request:\n      path: { rule_name: \"aomc_{{case_uid}}\" }\n      headers: { X-Aom-Mock-Fault: \"delay=30000\" }\n    expect:\n      status: 200\n",
    );
    let mut args = vec!["run", "--endpoint", &m.url, "--project-id", PROJECT];
    let own = s.args();
    args.extend(own.iter().map(String::as_str));
    args.extend_from_slice(&MUTATING);
    args.extend(["--timeout", "60s", "--exact", "ShowActionRule [200] hangs"]);
    let mut child = common::bin()
        .args(&args)
        .env("AOM_AUTH_TOKEN", TOKEN)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let since = std::time::Instant::now();
    let body = json!({"time_range": "-1.-1.60"}).to_string();
    loop {
        let (_, events) = m.call_with(TOKEN, "POST", &format!("/v2/{PROJECT}/events"), &body);
        if !events["events"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(20),
            "the setup never finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, v4) = m.call(TOKEN, "GET", &format!("/v4/{PROJECT}/alarm-rules"));
    assert_eq!(v4["count"], 1, "created before the signal");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(leftovers(&m), Vec::<Value>::new());
}

#[test]
fn the_live_quirks_show_up_as_the_deviations_they_are() {
    let m = Mock::start(MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        alarms: AlarmsConfig {
            live_quirks: true,
            action_rule_delete_lag: Duration::from_millis(100),
            ..AlarmsConfig::default()
        },
        ..Default::default()
    });
    let s = Suite::copy();
    let mut extra = MUTATING.to_vec();
    extra.push("ShowActionRule [400]");
    let r = s.run_at(&m.url, TOKEN, &extra, &[("NO_COLOR", "1")]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.trial("ShowActionRule [400] a name that names no rule", "FAILED"),
        "{r:?}"
    );
    assert!(r.stdout.contains("status: expected 400, got 404"), "{r:?}");
    // The poll accepted the live 404 as "gone"; the case itself still asserts the docs.
    assert!(
        r.trial(
            "ShowActionRule [400] a deleted rule, once its deletion completed",
            "FAILED"
        ),
        "{r:?}"
    );
}
