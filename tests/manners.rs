//! Production manners and honest messages, on the real binary against loopback servers:
//! placeholders in target files, a warning for an unauthenticated remote target,
//! `--max-rps`, `run --help` and the libtest flags that do not apply, durations without
//! a unit, and messages that never name a Rust type.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use common::{Mock, PROJECT, Suite, line_of, root, run, serve};
use parking_lot::Mutex;

const TOKEN: &str = "MIImanners-token-0123456789";

#[test]
fn the_shipped_target_template_run_unedited_names_each_placeholder() {
    let r = run(&["run", "--target", "targets/example.yaml"]);
    assert_eq!(r.code, 2, "{r:?}");
    let file = root().join("targets/example.yaml");
    for value in [
        "replace-with-your-project-id",
        "replace-with-a-harmless-workflow-id",
    ] {
        let line = line_of(&file, value);
        assert!(
            r.stderr
                .contains(&format!("error: targets/example.yaml:{line}:"))
                && r.stderr.contains(&format!("\"{value}\" is a placeholder")),
            "{value}: {r:?}"
        );
    }
    assert!(r.stdout.is_empty(), "nothing was run: {r:?}");
}

/// The template as documented: copied, its placeholders filled in, run with AK/SK from
/// the SDK's variables (here against the mock on loopback instead of the region).
#[test]
fn the_shipped_target_template_filled_in_runs() {
    let sk = "manners-secret-key-0123456789";
    let mock = Mock::start(aom_conformance::mock::MockConfig {
        tokens: vec![aom_conformance::mock::TokenGrant {
            token: aom_conformance::auth::Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        keys: vec![aom_conformance::mock::AccessKey {
            ak: "MANNERSAK".into(),
            sk: aom_conformance::auth::Secret::new(sk),
            projects: vec![PROJECT.into()],
        }],
        ..Default::default()
    });
    let wf = mock.create_workflow(TOKEN, "template");
    let template = std::fs::read_to_string(root().join("targets/example.yaml")).unwrap();
    let filled = template
        .replace("replace-with-your-project-id", PROJECT)
        .replace("replace-with-a-harmless-workflow-id", &wf);
    let s = Suite::copy();
    s.write("my-region.yaml", &filled);
    let target = s.dir.path().join("my-region.yaml");
    let target = target.to_str().unwrap();
    let r = s.run(
        &["--target", target, "--endpoint", &mock.url],
        &[("CLOUD_SDK_AK", "MANNERSAK"), ("CLOUD_SDK_SK", sk)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.trial("StopExecution [200] terminates a running execution", "ok"),
        "{r:?}"
    );
}

#[test]
fn an_unauthenticated_remote_target_is_warned_about_unless_meant() {
    // Not loopback, and not resolvable: the warning comes before the reachability check.
    let s = Suite::copy();
    s.write(
        "qa.yaml",
        "name: qa\nendpoint: https://aom.example.invalid\nproject_id: 0123456789abcdef0123456789abcdef\n",
    );
    let target = s.dir.path().join("qa.yaml");
    let target = target.to_str().unwrap();
    let r = s.run(&["--target", target], &[]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("warning: target qa: no credentials for aom.example.invalid: none of AOM_AUTH_TOKEN, CLOUD_SDK_AK and CLOUD_SDK_SK, or AOM_IAM_PASSWORD is set"),
        "{r:?}"
    );
    let meant = s.run(&["--target", target, "--auth", "none"], &[]);
    assert_eq!(meant.code, 3, "{meant:?}");
    assert!(!meant.stderr.contains("warning"), "{meant:?}");
    // On loopback it is a developer's server: no warning (the credentials check then
    // says the endpoint wants credentials).
    let mock = Mock::with_token(TOKEN);
    let local = s.run(&["--endpoint", &mock.url, "--project-id", PROJECT], &[]);
    assert_eq!(local.code, 3, "{local:?}");
    assert!(!local.stderr.contains("warning"), "{local:?}");
}

/// A loopback server that answers every request 404 and records when each came.
fn recording_stub(rt: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let url = serve(
        rt,
        Router::new().fallback(any(move || {
            log.lock().push(Instant::now());
            async {
                (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    r#"{"error_code":"AOM.0404","error_msg":"no","http_code":404}"#,
                )
            }
        })),
    );
    (url, seen)
}

/// Two targets on one server, 16 cases at once: every request of the run — the checks
/// before the cases included — shares one limit of 20 a second.
#[test]
fn max_rps_limits_every_request_of_the_run_together() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (url, seen) = recording_stub(&rt);
    let s = Suite::copy();
    let mut args = vec!["--max-rps".to_owned(), "20".to_owned()];
    for name in ["a", "b"] {
        s.write(
            &format!("{name}.yaml"),
            &format!(
                "name: {name}\nendpoint: {url}\nproject_id: {PROJECT}\ncapabilities: [fault-injection, create-workflow]\n"
            ),
        );
        args.push("--target".into());
        args.push(
            s.dir
                .path()
                .join(format!("{name}.yaml"))
                .display()
                .to_string(),
        );
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = s.run(&args, &[("AOM_AUTH_TOKEN", TOKEN)]);
    assert_eq!(r.code, 101, "every case meets the stub's 404: {r:?}");
    let times = seen.lock().clone();
    assert!(times.len() >= 40, "{} requests: {r:?}", times.len());
    // Spaced 50 ms apart: 40 requests cannot fit in 1.5 s.
    let span = times[times.len() - 1] - times[0];
    assert!(
        span >= Duration::from_millis(1500),
        "{} requests in {span:?}",
        times.len()
    );
    // No one-second window holds much more than 20 (slack for scheduling jitter).
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| **t - *start < Duration::from_secs(1))
            .count();
        assert!(in_window <= 25, "{in_window} requests within 1 s");
    }
}

#[test]
fn run_help_names_the_program_and_shows_only_what_applies() {
    let r = run(&["run", "--help"]);
    assert_eq!(r.code, 0, "{r:?}");
    let help = &r.stdout;
    assert!(
        help.contains("Usage: aom-conformance run [OPTIONS] [FILTER]"),
        "{help}"
    );
    assert!(
        help.contains("[default: 16, or 4 when an endpoint is not loopback]"),
        "{help}"
    );
    assert!(help.contains("--max-rps <N>"), "{help}");
    for hidden in ["--bench", "--nocapture", "--show-output", "--test ", "-Z"] {
        assert!(!help.contains(hidden), "{hidden} shown: {help}");
    }
    let described = |flag: &str| {
        let at = help
            .find(&format!("      {flag}\n"))
            .unwrap_or_else(|| panic!("{flag}: {help}"));
        help[at..]
            .lines()
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    assert_ne!(described("--ignored"), described("--include-ignored"));
    assert!(
        help.contains("auto: none if NO_COLOR is set (not empty); else colour if CLICOLOR_FORCE"),
        "{help}"
    );
}

#[test]
fn libtest_flags_that_do_not_apply_are_refused() {
    for flag in ["--bench", "--nocapture", "--show-output", "--shuffle"] {
        let r = run(&["run", flag]);
        assert_eq!(r.code, 2, "{flag}: {r:?}");
        assert!(
            r.stderr.contains(flag)
                && r.stderr
                    .contains("is a libtest flag that does not apply here"),
            "{flag}: {r:?}"
        );
        assert!(r.stdout.is_empty(), "{flag} ran something: {r:?}");
    }
    // What libtest needs for --format json is accepted, and does nothing.
    let r = run(&[
        "run",
        "--list",
        "-Z",
        "unstable-options",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn colour_precedence_is_the_flag_then_no_color_then_clicolor_force() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: nope }",
    );
    let case = "StopExecution [200]";
    let both = [("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")];
    let plain = s.run(&[case], &both);
    assert_eq!(plain.code, 101, "{plain:?}");
    assert!(!plain.stdout.contains('\u{1b}'), "NO_COLOR wins: {plain:?}");
    let forced = s.run(&[case, "--color", "always"], &[("NO_COLOR", "1")]);
    assert!(
        forced.stdout.contains("\u{1b}[") && forced.stdout.contains("summary"),
        "--color always wins: {forced:?}"
    );
}

#[test]
fn a_duration_without_a_unit_is_refused_with_a_hint() {
    let r = run(&["run", "--timeout", "10"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("\"10\" has no unit: write 10s for seconds or 10ms for milliseconds"),
        "{r:?}"
    );
    let s = Suite::copy();
    s.write(
        "t.yaml",
        "region: cn-north-4\nproject_id: 0123456789abcdef0123456789abcdef\ntimeout: 10\n",
    );
    let target = s.dir.path().join("t.yaml");
    let r = s.run(&["--target", target.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("t.yaml:3:10: \"10\" has no unit: write 10s for seconds or 10ms"),
        "{r:?}"
    );
}

#[test]
fn messages_name_what_is_expected_never_a_rust_type() {
    let s = Suite::copy();
    let spec = "specs/stop-execution.yaml";
    s.edit(spec, "status: 404", "status: abc");
    let lint = |s: &Suite| {
        run(&[
            "lint",
            "--specs",
            s.specs().to_str().unwrap(),
            "--schemas",
            s.schemas().to_str().unwrap(),
        ])
    };
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("expected an HTTP status code such as 200"),
        "{r:?}"
    );
    s.edit(spec, "status: abc", "status: 70000");
    let r = lint(&s);
    assert!(
        r.stderr.contains("70000 is not an HTTP status code"),
        "{r:?}"
    );
    s.edit(spec, "status: 70000", "status: 404");
    s.edit(spec, "    expect:\n", "    expect: 5\n    x:\n");
    let r = lint(&s);
    assert!(
        r.stderr
            .contains("expected an expectation: a map with status"),
        "{r:?}"
    );
    s.write("t.yaml", "region: cn-north-4\nauth: 5\n");
    let target = s.dir.path().join("t.yaml");
    let t = s.run(&["--target", target.to_str().unwrap()], &[]);
    assert!(
        t.stderr.contains("expected an auth section: a map"),
        "{t:?}"
    );
    let mock = Mock::with_token(TOKEN);
    let (status, body) = mock.call_with(
        TOKEN,
        "POST",
        &format!("/v1/{PROJECT}/cms/workflow-list"),
        r#"{"page":"one"}"#,
    );
    assert_eq!(status, 400, "{body}");
    let said = body["error_msg"].as_str().unwrap_or_default();
    assert!(said.contains("expected a whole number"), "{said}");
    let (_, body) = mock.call_with(TOKEN, "POST", &format!("/v1/{PROJECT}/cms/workflow"), "[]");
    let said = body["error_msg"].as_str().unwrap_or_default().to_owned();
    for r in [&r.stderr, &t.stderr, &said] {
        for rust in ["u16", "i64", "u64", "usize", "struct ", "enum "] {
            assert!(!r.contains(rust), "{rust:?} in {r}");
        }
    }
}
