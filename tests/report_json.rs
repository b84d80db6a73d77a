//! `--report json`: every line the real binary writes validates against
//! `schemas/run-report.schema.json`, its counts agree with libtest's result line, and a
//! run that cannot start still writes its `run_aborted` line.

mod common;

use common::{Mock, Suite};
use serde_json::Value;

const TOKEN: &str = "MIItoken-json-report-0123456789";

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(common::root().join("schemas/run-report.schema.json"))
        .expect("the schema is shipped");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// Every line of the report at `path`, each checked against the schema.
fn read_valid_lines(path: &std::path::Path) -> Vec<Value> {
    let v = validator();
    let text = std::fs::read_to_string(path).expect("the JSON report is written");
    assert!(text.ends_with('\n'), "{text}");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {}: not JSON ({e}): {line}", i + 1));
            let errors: Vec<String> = v.iter_errors(&value).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "line {}: {errors:?}\n{line}", i + 1);
            value
        })
        .collect()
}

/// `(passed, failed, ignored, filtered out)` from libtest's `test result:` line.
fn libtest_counts(stdout: &str) -> [u64; 4] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no result line:\n{stdout}"));
    let count = |what: &str| -> u64 {
        let end = line.find(&format!(" {what}")).expect(what);
        let start = line[..end].rfind(' ').map_or(0, |s| s + 1);
        line[start..end].parse().expect(what)
    };
    [
        count("passed"),
        count("failed"),
        count("ignored"),
        count("filtered out"),
    ]
}

#[test]
fn every_line_matches_the_schema_and_the_counts_match_libtest() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    // A body mismatch and a setup failure: both kinds of failure lines.
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: finished }",
    );
    s.edit(
        "specs/stop-execution.yaml",
        "expect_status: 200",
        "expect_status: 404",
    );
    let report = s.dir.path().join("out/run.json");
    let report_arg = report.display().to_string();
    // No fault-injection: the 500 cases are ignored, with the reason.
    let r = s.run_at(
        &mock.url,
        TOKEN,
        &[
            "--capability",
            "create-workflow",
            "--report",
            "json",
            &report_arg,
            "--skip",
            "no credentials",
        ],
        &[],
    );
    assert_eq!(r.code, 101, "{r:?}");
    let lines = read_valid_lines(&report);
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(events.first(), Some(&"run_started"), "{events:?}");
    assert_eq!(events.last(), Some(&"run_finished"), "{events:?}");

    let [passed, failed, ignored, filtered] = libtest_counts(&r.stdout);
    let shown_ignored = r
        .stdout
        .lines()
        .filter(|l| l.contains("... ignored"))
        .count() as u64;
    assert_eq!((failed, ignored, filtered), (2, shown_ignored, 2), "{r:?}");
    assert!(ignored >= 3, "the fault-injection cases are ignored: {r:?}");
    let end = lines.last().expect("a last line");
    assert_eq!(end["passed"], passed);
    assert_eq!(end["failed"], failed);
    assert_eq!(end["ignored"], ignored);
    assert_eq!(end["filtered_out"], filtered);
    let tally = |outcome: &str| {
        lines
            .iter()
            .filter(|l| l["event"] == "case_finished" && l["outcome"] == outcome)
            .count() as u64
    };
    assert_eq!(
        (tally("passed"), tally("failed"), tally("ignored")),
        (passed, failed, ignored)
    );

    let case = |id: &str| {
        lines
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("no line for {id}"))
    };
    let body = case("StopExecution [200] terminates a running execution");
    assert_eq!(body["failure"]["class"], "mismatch");
    assert_eq!(body["failure"]["kind"], "body");
    let setup = case("StopExecution [400] terminating the same execution twice");
    assert_eq!(setup["failure"]["class"], "setup");
    let skipped = case("StopExecution [500] internal error through the fault hook");
    assert_eq!(skipped["reason"], "needs capability fault-injection");
    assert!(!std::fs::read_to_string(&report).unwrap().contains(TOKEN));
}

#[test]
fn a_run_that_cannot_start_still_writes_run_aborted() {
    let s = Suite::copy();
    // 418 is not a documented status of StopExecution: a load error, exit 2.
    s.edit("specs/stop-execution.yaml", "status: 404", "status: 418");
    let report = s.dir.path().join("run.json");
    std::fs::write(&report, "stale\n").unwrap();
    let report_arg = report.display().to_string();
    let r = s.run(&["--report", "json", &report_arg], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    let lines = read_valid_lines(&report);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["event"], "run_aborted");
    let message = lines[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("stop-execution.yaml") && message.contains("418"),
        "{message}"
    );
}

#[test]
fn the_schema_rejects_what_the_format_does_not_allow() {
    let v = validator();
    let bad = [
        r#"{"event":"run_finished","passed":1,"failed":0,"ignored":0,"filtered_out":0,"interrupted":false}"#,
        r#"{"event":"run_aborted","message":"x","extra":1}"#,
        r#"{"event":"case_started"}"#,
        r#"{"event":"case_finished","target":"","id":"A [200] a","operation":"A","status":200,"name":"a","file":"f.yaml","line":1,"col":1,"duration_ms":1,"outcome":"failed"}"#,
        r#"{"event":"case_finished","target":"","id":"A [200] a","operation":"A","status":200,"name":"a","file":"f.yaml","line":1,"col":1,"duration_ms":1,"outcome":"ignored"}"#,
    ];
    for line in bad {
        let value: Value = serde_json::from_str(line).unwrap();
        assert!(!v.is_valid(&value), "accepted: {line}");
    }
}
