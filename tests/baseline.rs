//! Known deviations (`run --baseline FILE`): a covered failure is neither a failure nor a
//! pass, a covered pass is "fixed", and bad entries (expired, no reason, matching nothing)
//! are located errors. `baseline --from-report` writes one from a JSON report.

mod common;

use common::{Suite, line_of};

/// The shipped suite with StopExecution's 200 expectation broken: one case fails.
fn broken() -> Suite {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: finished }",
    );
    s
}

const FAILING: &str = "StopExecution [200] terminates a running execution";

fn write_baseline(s: &Suite, text: &str) -> String {
    let path = s.dir.path().join("baseline.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_covered_failure_is_a_known_deviation_in_every_report() {
    let s = broken();
    let b = write_baseline(
        &s,
        "entries:\n  - case: \"StopExecution [200] *\"\n    reason: region answers success\n    link: https://example.invalid/T-1\n    expires: 2999-01-01\n",
    );
    let json = s.dir.path().join("run.jsonl");
    let html = s.dir.path().join("run.html");
    let (json_arg, html_arg) = (json.display().to_string(), html.display().to_string());
    let r = s.run(
        &[
            "--baseline",
            &b,
            "--report",
            "json",
            &json_arg,
            "--report",
            "html",
            &html_arg,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "a known deviation does not fail the run: {r:?}");
    let shown = "known deviation: region answers success (https://example.invalid/T-1)";
    assert!(
        r.trial(FAILING, &format!("ignored, {shown}")) || r.stdout.contains(shown),
        "{r:?}"
    );
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains(&format!("<skipped message=\"{shown}\"/>")),
        "{xml}"
    );
    let lines = std::fs::read_to_string(&json).unwrap();
    let case = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["id"] == FAILING)
        .unwrap();
    assert_eq!(case["outcome"], "known_deviation");
    assert!(
        case["failure"]["summary"]
            .as_str()
            .unwrap()
            .contains("expected \"finished\"")
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("data-state=\"deviation\""),
        "the HTML shows its own state"
    );
    // Without the baseline the same run fails.
    assert_eq!(s.run(&[], &[]).code, 101);
}

#[test]
fn a_covered_pass_is_fixed_and_strict_mode_fails_on_it() {
    let s = Suite::copy();
    let b = write_baseline(
        &s,
        &format!("entries:\n  - case: {FAILING:?}\n    reason: was broken\n"),
    );
    let r = s.run(&["--baseline", &b], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "warning: {FAILING} passed: the baseline entry {FAILING:?} ({b}:2:5) is fixed, remove it from the baseline"
        )),
        "{r:?}"
    );
    let r = s.run(&["--baseline", &b, "--strict-baseline"], &[]);
    assert_eq!(r.code, 101, "{r:?}");
    assert!(r.stderr.contains("(--strict-baseline)"), "{r:?}");
}

#[test]
fn expired_reasonless_and_unmatched_entries_are_located_errors() {
    let s = Suite::copy();
    let b = write_baseline(
        &s,
        "entries:\n  - case: \"StopExecution *\"\n    reason: old\n    expires: 2020-01-01\n  - case: \"CreateWorkflow *\"\n  - case: \"NoSuchOperation *\"\n    reason: typo\n",
    );
    let r = s.run(&["--baseline", &b], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    let path = std::path::Path::new(&b);
    assert!(
        r.stderr.contains(&format!(
            "{b}:{}:14: this entry expired on 2020-01-01",
            line_of(path, "expires")
        )),
        "{r:?}"
    );
    assert!(r.stderr.contains("an entry needs a `reason:`"), "{r:?}");
    // Matching is checked once the entries themselves are right.
    let b = write_baseline(
        &s,
        "entries:\n  - case: \"NoSuchOperation *\"\n    reason: typo\n",
    );
    let r = s.run(&["--baseline", &b], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{b}:2:5: baseline entry \"NoSuchOperation *\" matches no case"
        )),
        "{r:?}"
    );
    let mut lint = vec!["lint", "--baseline", &b];
    let suite = s.args();
    lint.extend(suite.iter().take(4).map(String::as_str));
    let r = common::run(&lint);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("matches no case of the suite"), "{r:?}");
}

#[test]
fn a_baseline_is_written_from_a_json_report_and_needs_its_reasons() {
    let s = broken();
    let json = s.dir.path().join("run.jsonl");
    let json_arg = json.display().to_string();
    assert_eq!(s.run(&["--report", "json", &json_arg], &[]).code, 101);
    let r = common::run(&["baseline", "--from-report", &json_arg]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains(&format!("  - case: {FAILING:?}\n    reason: \"\"")),
        "{r:?}"
    );
    let b = write_baseline(&s, &r.stdout);
    let run = s.run(&["--baseline", &b], &[]);
    assert_eq!(run.code, 2, "reasons are still empty: {run:?}");
    write_baseline(&s, &r.stdout.replace("reason: \"\"", "reason: accepted"));
    assert_eq!(s.run(&["--baseline", &b], &[]).code, 0);
}
