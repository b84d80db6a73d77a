//! The real binary against the embedded mock and against loopback servers.

mod common;

use common::{Suite, junit_cases, line_of, run};

/// Every case the shipped suite defines, by trial name, from `--list`.
fn listed(args: &[&str]) -> Vec<String> {
    let r = run(args);
    assert_eq!(r.code, 0, "{r:?}");
    r.stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn shipped_suite_passes_against_the_embedded_mock_and_writes_junit() {
    let s = Suite::copy();
    let r = s.run(&[], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("0 failed"), "{r:?}");
    assert!(
        r.trial("StopExecution [404] unknown execution id", "... ok"),
        "{r:?}"
    );

    let xml = std::fs::read_to_string(s.junit()).unwrap();
    let mut in_report = junit_cases(&xml);
    let mut expected = listed(&[
        "run",
        "--list",
        "--specs",
        s.specs().to_str().unwrap(),
        "--schemas",
        s.schemas().to_str().unwrap(),
    ]);
    in_report.sort();
    expected.sort();
    assert_eq!(in_report, expected);
    for name in [
        "StopExecution [200] terminates a running execution",
        "StopExecution [400] terminating the same execution twice",
        "StopExecution [401] invalid credentials",
        "StopExecution [401] no credentials",
        "StopExecution [404] unknown execution id",
        "StopExecution [404] unknown workflow id",
        "StopExecution [500] internal error through the fault hook",
    ] {
        assert!(
            expected.iter().any(|n| n == name),
            "missing {name}: {expected:?}"
        );
    }
    assert!(xml.contains("classname=\"StopExecution\""), "{xml}");
    assert!(
        xml.contains("<property name=\"endpoint\" value=\"http://127.0.0.1:"),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn a_wrong_expectation_fails_with_the_case_file_line() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: finished }",
    );
    let r = s.run(&["StopExecution [200]"], &[("NO_COLOR", "1")]);
    assert_eq!(r.code, 101, "{r:?}");
    let file = s.specs().join("stop-execution.yaml");
    let line = line_of(&file, "- name: terminates a running execution");
    let located = format!("--> {}:{line}:", file.display());
    assert!(r.stdout.contains(&located), "want {located}\n{r:?}");
    assert!(
        r.stdout
            .contains("body /result: expected \"finished\", got \"success\""),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("response: {\"result\":\"success\"}"),
        "{r:?}"
    );

    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(xml.contains("<failure"), "{xml}");
    assert!(xml.contains("type=\"body\""), "{xml}");
    assert_eq!(
        junit_cases(&xml).len(),
        1,
        "filtered run reports one case: {xml}"
    );
}

#[test]
fn every_schema_problem_is_reported_not_just_the_first() {
    let s = Suite::copy();
    // Status wrong AND schema-breaking expectations at once.
    s.edit(
        "specs/stop-execution.yaml",
        "    expect:\n      status: 400\n",
        "    expect:\n      status: 400\n      schema: stop-execution.200.schema.json\n",
    );
    let r = s.run(
        &[
            "--exact",
            "StopExecution [400] terminating the same execution twice",
        ],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout.contains(
            "schema stop-execution.200.schema.json: at /: \"result\" is a required property"
        ),
        "{r:?}"
    );
}

#[test]
fn list_filter_and_json_format_work() {
    let names = listed(&["run", "--list", "StopExecution"]);
    assert_eq!(names.len(), 9, "{names:?}");
    let r = run(&[
        "run",
        "--exact",
        "StopExecution [404] unknown workflow id",
        "--junit",
        "/dev/null",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("1 passed"), "{r:?}");
    let r = run(&[
        "run",
        "-Z",
        "unstable-options",
        "--format",
        "json",
        "--exact",
        "StopExecution [404] unknown workflow id",
        "--junit",
        "/dev/null",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("\"event\": \"ok\""), "{r:?}");
}

#[test]
fn a_list_read_by_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = common::bin()
        .args(["run", "--list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the binary has loaded the suite, so its first write finds no reader.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(13), "{:?}: {stderr}", out.status);
}

#[test]
fn bad_flags_exit_2() {
    let r = run(&["run", "--no-such-flag"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(&["run", "--timeout", "soon"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("expected a duration"), "{r:?}");
    let r = run(&["run", "--capability", "time-travel"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("unknown capability \"time-travel\""),
        "{r:?}"
    );
    let r = run(&["run", "--endpoint", "http://127.0.0.1:9"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--project-id"), "{r:?}");
}

#[test]
fn an_unreachable_endpoint_is_one_clear_error() {
    // Bind then drop: the port is very likely closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("reports/junit.xml");
    let r = common::run_env(
        &[
            "run",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--project-id",
            &"0".repeat(32),
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("cannot reach endpoint"), "{r:?}");
    assert!(
        !r.stdout.contains("test result"),
        "no case should have run: {r:?}"
    );
    // The report says why no case ran: never a stale one from an earlier run.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<error").count(), 1, "{xml}");
    assert!(xml.contains("cannot reach endpoint"), "{xml}");
}

#[test]
fn a_filter_that_selects_nothing_is_an_error_unless_allowed() {
    let s = Suite::copy();
    let r = s.run(&["no-such-case"], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("error: no case matches \"no-such-case\""),
        "{r:?}"
    );
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("no case matches"),
        "the report says why: {xml}"
    );
    let r = s.run(&["no-such-case", "--allow-empty"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("0 passed; 0 failed"), "{r:?}");
}

#[test]
fn a_quarantined_case_is_ignored_with_its_reason_until_asked_for() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "  - name: unknown workflow id\n",
        "  - name: unknown workflow id\n    skip: flaky on cn-north-4 (ticket 123)\n",
    );
    let case = "StopExecution [404] unknown workflow id";
    let r = s.run(&[], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.trial(case, "ignored"), "{r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("<skipped message=\"skip: flaky on cn-north-4 (ticket 123)\"/>"),
        "{xml}"
    );
    // --ignored runs only the quarantined case; --include-ignored runs everything.
    let r = s.run(&["--ignored"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("1 passed; 0 failed"), "{r:?}");
    assert!(r.trial(case, "ok"), "{r:?}");
    let r = s.run(&["--include-ignored"], &[]);
    assert!(
        r.trial(case, "ok") && r.stdout.contains(" 0 ignored"),
        "{r:?}"
    );
}
