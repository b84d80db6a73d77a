//! CI sharding: `run --partition hash:M/N|count:M/N` puts every case in exactly one
//! part, the parts together are the whole run, and `report merge` turns the parts' JSON
//! reports into the reports one whole run writes (modulo timings and ids), refusing
//! reports that do not make up one run with a located message.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{Mock, PROJECT, Suite, listed_cases, run, run_env};
use serde_json::Value;

const TOKEN: &str = "partition-s3cret-token-0b1c";
const BROKEN: &str = "StopExecution [200] terminates a running execution";
const QUARANTINED: &str = "StopExecution [404] unknown workflow id";
/// Its setup broken, and the baseline accepts that: a known deviation.
const DEVIATION: &str = "StopExecution [400] terminating the same execution twice";
/// Passes although the baseline lists it: a warning.
const FIXED: &str = "StopExecution [401] invalid credentials";

fn part(scheme: &str, m: usize, n: usize) -> String {
    format!("{scheme}:{m}/{n}")
}

#[test]
fn every_case_is_in_exactly_one_part_for_both_schemes() {
    let all = listed_cases(&[]);
    assert!(all.len() > 200, "{}", all.len());
    for scheme in ["hash", "count"] {
        for n in [1, 2, 3, 7] {
            let mut owner: BTreeMap<String, usize> = BTreeMap::new();
            for m in 1..=n {
                let listed = listed_cases(&["--partition", &part(scheme, m, n)]);
                if scheme == "count" {
                    // Round-robin over the suite's order.
                    let expected: Vec<String> =
                        all.iter().skip(m - 1).step_by(n).cloned().collect();
                    assert_eq!(listed, expected, "{scheme}:{m}/{n}");
                }
                for case in listed {
                    if let Some(other) = owner.insert(case.clone(), m) {
                        panic!("{scheme} {n}: {case:?} in parts {other} and {m}");
                    }
                }
            }
            let mut expected = all.clone();
            expected.sort();
            assert_eq!(
                owner.into_keys().collect::<Vec<_>>(),
                expected,
                "{scheme} over {n}: the parts' union is the suite"
            );
        }
    }
}

#[test]
fn a_case_hash_part_depends_on_its_id_only() {
    // Pinned (src/plan/partition.rs computes the same from SHA-256): a change of hash
    // would move every CI job's cases.
    let listed = listed_cases(&["--partition", "hash:4/7"]);
    assert!(listed.iter().any(|c| c == BROKEN), "{listed:?}");
    let parts = |extra: &[&str]| -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for m in 1..=3 {
            let mut args = extra.to_vec();
            let p = part("hash", m, 3);
            args.extend(["--partition", p.as_str()]);
            for c in listed_cases(&args) {
                out.insert(c, m);
            }
        }
        out
    };
    let before = parts(&[]);
    // Renaming one case (another id) and dropping a file moves no other case.
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "  - name: unknown workflow id\n",
        "  - name: unknown workflow id, renamed\n",
    );
    std::fs::remove_file(s.specs().join("count-events.yaml")).unwrap();
    let (specs, schemas) = (s.specs(), s.schemas());
    let suite = [
        "--specs",
        specs.to_str().unwrap(),
        "--schemas",
        schemas.to_str().unwrap(),
    ];
    let after = parts(&suite);
    assert!(after.len() > 100 && after.len() < before.len(), "{after:?}");
    for (case, m) in &after {
        if case.ends_with(", renamed") {
            continue;
        }
        assert_eq!(before.get(case), Some(m), "{case} moved");
    }
    // With several targets, a case is in the same part on each, as with one.
    let mock = Mock::with_token(TOKEN);
    let mut targets = Vec::new();
    for name in ["east", "west"] {
        s.write(
            &format!("{name}.yaml"),
            &format!(
                "name: {name}\nendpoint: {}\nproject_id: {PROJECT}\nauth: {{mode: token}}\n",
                mock.url
            ),
        );
        targets.push(s.dir.path().join(format!("{name}.yaml")));
    }
    let mut args = suite.to_vec();
    for t in &targets {
        args.extend(["--target", t.to_str().unwrap()]);
    }
    for (prefixed, m) in parts(&args) {
        let (_, case) = prefixed.split_once(": ").unwrap();
        assert_eq!(after.get(case), Some(&m), "{prefixed}");
    }
}

#[test]
fn bad_partitions_are_usage_errors() {
    for (bad, why) in [
        ("hash:0/3", "parts count from 1"),
        ("hash:4/3", "M is larger than N"),
        ("foo:1/2", "the schemes are hash and count"),
        ("hash:1/0", "N must be at least 1"),
        ("2/3", "no scheme"),
    ] {
        let r = run(&["run", "--list", "--partition", bad]);
        assert_eq!(r.code, 2, "{bad}: {r:?}");
        assert!(
            r.stderr.contains(why) && r.stderr.contains("expected hash:M/N or count:M/N"),
            "{bad}: {r:?}"
        );
        assert!(!r.stderr.contains("panicked"), "{r:?}");
    }
    // --shard is gone: --partition replaced it before a release.
    let r = run(&["run", "--list", "--shard", "1/2"]);
    assert_eq!(r.code, 2, "{r:?}");
}

fn schema_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(common::root().join("schemas/run-report.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// The JSON lines of a report.
fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Case id → outcome, of a report's case_finished lines (each case once).
fn outcomes(path: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for l in lines(path).iter().filter(|l| l["event"] == "case_finished") {
        let id = l["id"].as_str().unwrap().to_owned();
        let before = out.insert(id.clone(), l["outcome"].as_str().unwrap().to_owned());
        assert!(before.is_none(), "{id} twice in {}", path.display());
    }
    out
}

/// What differs between two runs of the same cases whatever they do: timings, clocks,
/// run ids, request ids, and the ids the endpoint gives what the cases create.
fn normalised(text: &str) -> String {
    static RULES: std::sync::OnceLock<Vec<(regex::Regex, &str)>> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (r#""duration_ms":[0-9.e-]+"#, r#""duration_ms":0"#),
            (r#"(time|timestamp)="[^"]*""#, r#"$1="""#),
            (r"\b[0-9]+(\.[0-9]+)?(ms|s)\b", "T"),
            (
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+-]+(Z|[+-][0-9:]+)?",
                "DATE",
            ),
            (
                r"[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}",
                "ID",
            ),
            // Run ids also sit inside generated names (`missing-{run_id}_0_268`).
            (r"[0-9a-f]{8,}", "ID"),
            (r"\b[0-9]{6,}\b", "N"),
            (r"127\.0\.0\.1:[0-9]+", "HOST"),
            // A merged report's run id is its parts' (checked on its own).
            (r"ID(,ID)+", "ID"),
        ]
        .into_iter()
        .map(|(re, to)| (regex::Regex::new(re).unwrap(), to))
        .collect()
    });
    let mut out = text.to_owned();
    for (re, to) in rules {
        out = re.replace_all(&out, *to).into_owned();
    }
    out
}

/// A JSON report's lines, normalised and sorted (cases end in any order), without what
/// only a merged report has.
fn comparable_json(path: &Path) -> Vec<String> {
    let text: Vec<String> = lines(path)
        .into_iter()
        .map(|mut l| {
            if let Some(o) = l.as_object_mut() {
                o.remove("parts");
            }
            l.to_string()
        })
        .collect();
    let mut out: Vec<String> = normalised(&text.join("\n"))
        .lines()
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

/// The JUnit report's lines, normalised (cases are in suite order in both).
fn comparable_junit(path: &Path) -> Vec<String> {
    normalised(&std::fs::read_to_string(path).unwrap())
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `merged` equals `whole`, or the first difference is shown.
fn same(merged: &[String], whole: &[String], label: &str) {
    if let Some((m, w)) = merged.iter().zip(whole).find(|(m, w)| m != w) {
        panic!("{label}: merged\n{m}\nwhole run\n{w}");
    }
    assert_eq!(merged.len(), whole.len(), "{label}");
}

/// A suite with a failing case, a quarantined case, a known deviation, a baseline entry
/// that is fixed (a warning), and (through the target's capabilities) cases ignored for
/// a missing capability; the target file for `mock`, and the baseline.
fn suite_with_every_outcome(mock: &Mock) -> (Suite, PathBuf, PathBuf) {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: finished }",
    );
    s.edit(
        "specs/stop-execution.yaml",
        "  - name: unknown workflow id\n",
        "  - name: unknown workflow id\n    skip: flaky on cn-north-4 (ticket 123)\n",
    );
    s.edit(
        "specs/stop-execution.yaml",
        "        expect_status: 200\n",
        "        expect_status: 202\n",
    );
    s.write(
        "baseline.yaml",
        &format!(
            "entries:\n  - case: \"{DEVIATION}\"\n    reason: the region answers 200 to a terminate\n  - case: \"{FIXED}\"\n    reason: was answered 403\n"
        ),
    );
    s.write(
        "lab.yaml",
        &format!(
            "name: lab\nendpoint: {}\nproject_id: {PROJECT}\nauth: {{mode: token}}\ncapabilities: [create-workflow, create-alarm-rules, push-events, reference-mock]\n",
            mock.url
        ),
    );
    let target = s.dir.path().join("lab.yaml");
    let baseline = s.dir.path().join("baseline.yaml");
    (s, target, baseline)
}

/// `run` of `s` on `target` with these extra arguments, writing `NAME.json` and
/// `NAME.xml` in the suite's directory.
fn run_part(s: &Suite, target: &Path, name: &str, extra: &[&str]) -> (i32, PathBuf, PathBuf) {
    let json = s.dir.path().join(format!("{name}.json"));
    let xml = s.dir.path().join(format!("{name}.xml"));
    let (specs, schemas) = (s.specs(), s.schemas());
    let baseline = s.dir.path().join("baseline.yaml");
    let mut args = vec![
        "run",
        "--specs",
        specs.to_str().unwrap(),
        "--schemas",
        schemas.to_str().unwrap(),
        "--target",
        target.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--report",
        "json",
        json.to_str().unwrap(),
        "--junit",
        xml.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let r = run_env(&args, &[("AOM_AUTH_TOKEN", TOKEN)]);
    assert!(!r.all().contains("panicked"), "{r:?}");
    (r.code, json, xml)
}

/// Every part of `scheme` over `n`, run side by side as on CI machines.
fn run_parts(s: &Suite, target: &Path, scheme: &str, n: usize) -> Vec<(i32, PathBuf)> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = (1..=n)
            .map(|m| {
                scope.spawn(move || {
                    let p = part(scheme, m, n);
                    let name = format!("{scheme}-{m}-of-{n}");
                    let (code, json, _) = run_part(s, target, &name, &["--partition", &p]);
                    (code, json)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

#[test]
fn the_parts_are_the_whole_run_and_their_merge_is_its_report() {
    let mock = Mock::with_token(TOKEN);
    let (s, target, _) = suite_with_every_outcome(&mock);
    let (code, whole_json, whole_xml) = run_part(&s, &target, "whole", &[]);
    assert_eq!(code, 101, "the broken case fails");
    let whole = outcomes(&whole_json);
    assert_eq!(whole[BROKEN], "failed");
    assert_eq!(whole[QUARANTINED], "ignored");
    assert_eq!(whole[DEVIATION], "known_deviation");
    assert_eq!(whole[FIXED], "passed");
    let warnings = |path: &Path| {
        let all = lines(path);
        let w: Vec<Value> = all
            .into_iter()
            .filter(|l| l["event"] == "warning")
            .collect();
        w
    };
    assert_eq!(warnings(&whole_json).len(), 1, "the fixed entry");
    assert!(
        whole.values().filter(|o| *o == "ignored").count() > 5,
        "{whole:?}"
    );

    for scheme in ["hash", "count"] {
        for n in [1, 2, 3, 7] {
            let label = format!("{scheme} over {n}");
            let mut union = BTreeMap::new();
            let mut reports = Vec::new();
            for (m, (code, json)) in run_parts(&s, &target, scheme, n).into_iter().enumerate() {
                let mine = outcomes(&json);
                let expected = if mine.contains_key(BROKEN) { 101 } else { 0 };
                assert_eq!(code, expected, "{label}: part {}", m + 1);
                for (id, outcome) in mine {
                    assert!(
                        union.insert(id.clone(), outcome).is_none(),
                        "{label}: {id} twice"
                    );
                }
                reports.push(json);
            }
            assert_eq!(union, whole, "{label}: same cases, same outcomes");

            let merged_json = s.dir.path().join(format!("merged-{scheme}-{n}.json"));
            let merged_xml = s.dir.path().join(format!("merged-{scheme}-{n}.xml"));
            let merged_html = s.dir.path().join(format!("merged-{scheme}-{n}.html"));
            let mut args = vec!["report".to_owned(), "merge".to_owned()];
            // In reverse: the order given does not matter.
            args.extend(reports.iter().rev().map(|p| p.display().to_string()));
            for (flag, path) in [
                ("--json", &merged_json),
                ("--junit", &merged_xml),
                ("--html", &merged_html),
            ] {
                args.extend([flag.to_owned(), path.display().to_string()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = run(&args);
            assert_eq!(r.code, 101, "{label}: the merged run failed: {r:?}");
            same(
                &comparable_json(&merged_json),
                &comparable_json(&whole_json),
                &label,
            );
            same(
                &comparable_junit(&merged_xml),
                &comparable_junit(&whole_xml),
                &label,
            );
            let run_ids: Vec<String> = reports
                .iter()
                .map(|p| lines(p)[0]["run_id"].as_str().unwrap().to_owned())
                .collect();
            let started = &lines(&merged_json)[0];
            assert_eq!(started["run_id"], run_ids.join(","), "{label}");
            assert_eq!(started["parts"].as_array().unwrap().len(), n, "{label}");
            let html = std::fs::read_to_string(&merged_html).unwrap();
            assert!(html.contains(&format!("merged from {n} parts")), "{label}");
            let opts = roxmltree::ParsingOptions {
                allow_dtd: true,
                ..roxmltree::ParsingOptions::default()
            };
            roxmltree::Document::parse_with_options(&html, opts)
                .unwrap_or_else(|e| panic!("{label}: the page is not well-formed: {e}"));
            let schema = schema_validator();
            for (i, line) in lines(&merged_json).iter().enumerate() {
                let errors: Vec<String> = schema.iter_errors(line).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{label}: line {}: {errors:?}", i + 1);
            }
            for path in [&merged_json, &merged_xml, &merged_html] {
                let text = std::fs::read_to_string(path).unwrap();
                assert!(!text.contains(TOKEN), "{}: {text}", path.display());
            }
        }
    }
    // The failure text kept its redaction through the merge.
    let merged = std::fs::read_to_string(s.dir.path().join("merged-hash-3.json")).unwrap();
    assert!(merged.contains("X-Auth-Token: [REDACTED]"), "{merged}");
}

#[test]
fn a_part_without_cases_is_fine_and_a_filter_matching_none_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    let mut holding = Vec::new();
    for m in 1..=7 {
        let json = dir.path().join(format!("p{m}.json"));
        let xml = dir.path().join(format!("p{m}.xml"));
        let p = part("hash", m, 7);
        let r = run(&[
            "run",
            "--exact",
            BROKEN,
            "--partition",
            &p,
            "--report",
            "json",
            json.to_str().unwrap(),
            "--junit",
            xml.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{p}: {r:?}");
        if !outcomes(&json).is_empty() {
            holding.push(m);
        }
        reports.push(json.display().to_string());
    }
    assert_eq!(holding, [4], "the pinned part");
    let out = dir.path().join("merged.xml");
    let mut args = vec!["report", "merge", "--junit", out.to_str().unwrap()];
    args.extend(reports.iter().map(String::as_str));
    let r = run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("summary: 1 passed, 0 failed"), "{r:?}");
    assert!(
        r.stdout.contains(&format!(
            "merged 7 part(s) of hash:M/7: wrote {}",
            out.display()
        )),
        "{r:?}"
    );
    let xml = std::fs::read_to_string(&out).unwrap();
    assert_eq!(common::junit_cases(&xml), [BROKEN]);

    let junit = dir.path().join("none.xml");
    let r = run(&[
        "run",
        "no-such-case",
        "--partition",
        "hash:1/7",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no case matches"), "{r:?}");
}

/// Three hash parts of a small run against the embedded mock, in `dir`.
fn three_parts(dir: &Path, specs: Option<&Path>) -> Vec<PathBuf> {
    (1..=3)
        .map(|m| {
            let json = dir.join(format!("p{m}.json"));
            let xml = dir.join(format!("p{m}.xml"));
            let p = part("hash", m, 3);
            let mut args = vec![
                "run",
                "StopExecution",
                "--partition",
                &p,
                "--report",
                "json",
                json.to_str().unwrap(),
                "--junit",
                xml.to_str().unwrap(),
            ];
            if let Some(specs) = specs {
                args.extend(["--specs", specs.to_str().unwrap()]);
            }
            let r = run(&args);
            assert_eq!(r.code, 0, "{r:?}");
            json
        })
        .collect()
}

/// `report merge` of `parts`, writing its JUnit report into `dir`.
fn merge(dir: &Path, parts: &[&Path]) -> common::Run {
    let out = dir.join("merged.xml");
    let mut args = vec![
        "report".to_owned(),
        "merge".to_owned(),
        "--junit".to_owned(),
        out.display().to_string(),
    ];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_env(&args, &[]);
    assert!(!r.all().contains("panicked"), "{r:?}");
    r
}

/// `run ARGS` writing its JSON report to `json` and JUnit to `junit`; it must pass.
fn reported_run(args: &[&str], json: &Path, junit: &Path) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend(["--report", "json", json.to_str().unwrap()]);
    all.extend(["--junit", junit.to_str().unwrap()]);
    let r = run(&all);
    assert_eq!(r.code, 0, "{r:?}");
}

/// A merge refused as not one run (exit 4), saying `why`.
fn refused(r: &common::Run, why: &str) {
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains(why), "{r:?}");
}

#[test]
fn reports_that_do_not_make_one_run_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = three_parts(d, None);
    let (p1, p2, p3) = (p[0].as_path(), p[1].as_path(), p[2].as_path());
    let shown = |p: &Path| p.display().to_string();

    let r = merge(d, &[p1, p2, p3]);
    assert_eq!(r.code, 0, "{r:?}");

    // A part missing.
    let r = merge(d, &[p1, p3]);
    refused(
        &r,
        "a part is missing: no report of hash:2/3 (given: hash:1/3, hash:3/3)",
    );
    // The report is still written, carrying the error: no stale merged report.
    let xml = std::fs::read_to_string(d.join("merged.xml")).unwrap();
    assert!(xml.contains("no report of hash:2/3"), "{xml}");

    // A part twice.
    let copy = d.join("p1-again.json");
    std::fs::copy(p1, &copy).unwrap();
    let r = merge(d, &[p1, p2, p3, &copy]);
    refused(
        &r,
        &format!(
            "{}:1:1: part hash:1/3 again: {} is that part too",
            shown(&copy),
            shown(p1)
        ),
    );

    // A case in two parts: a case line of part 1 copied into part 2.
    let case_line = std::fs::read_to_string(p1)
        .unwrap()
        .lines()
        .find(|l| l.contains("\"case_finished\""))
        .unwrap()
        .to_owned();
    let mut text: Vec<String> = std::fs::read_to_string(p2)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    text.insert(1, case_line.clone());
    let twice = d.join("p2-twice.json");
    std::fs::write(&twice, text.join("\n") + "\n").unwrap();
    let r = merge(d, &[p1, &twice, p3]);
    assert_eq!(r.code, 4, "{r:?}");
    let id = serde_json::from_str::<Value>(&case_line).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        r.stderr.contains(&format!(
            "{}:2:1: case {id:?} is reported twice: also at {}:",
            shown(&twice),
            shown(p1)
        )),
        "{r:?}"
    );

    // Another partition scheme, and a whole run.
    let other = tempfile::tempdir().unwrap();
    let counted = d.join("count.json");
    reported_run(
        &["StopExecution", "--partition", "count:2/3"],
        &counted,
        &other.path().join("j.xml"),
    );
    refused(
        &merge(d, &[p1, &counted, p3]),
        &format!(
            "{}:1:1: not a part of the same run as {}: it is part count:2/3, that one part hash:1/3",
            shown(&counted),
            shown(p1)
        ),
    );

    // Another selection: part 2 ran with --skip as well as the filter.
    let skipped = d.join("skipped.json");
    reported_run(
        &["StopExecution", "--skip", "404", "--partition", "hash:2/3"],
        &skipped,
        &other.path().join("s.xml"),
    );
    refused(
        &merge(d, &[p1, &skipped, p3]),
        &format!(
            "{}:1:1: not a part of the same run as {}: another selection of cases: \
             filter \"StopExecution\" --skip \"404\" here, filter \"StopExecution\" there",
            shown(&skipped),
            shown(p1)
        ),
    );

    // Another suite: one case renamed.
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "  - name: unknown workflow id\n",
        "  - name: unknown workflow id, renamed\n",
    );
    let theirs = three_parts(other.path(), Some(&s.specs()));
    let r = merge(d, &[p1, &theirs[1], p3]);
    refused(
        &r,
        &format!(
            "{}:1:1: not a part of the same run as {}: another suite: its case list differs",
            shown(&theirs[1]),
            shown(p1)
        ),
    );

    // A part that ran nothing (its run stopped on bad input).
    let aborted = d.join("aborted.json");
    let r = run(&[
        "run",
        "--partition",
        "hash:2/3",
        "--specs",
        d.join("no-such-dir").to_str().unwrap(),
        "--report",
        "json",
        aborted.to_str().unwrap(),
        "--junit",
        other.path().join("a.xml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = merge(d, &[p1, &aborted, p3]);
    refused(
        &r,
        &format!(
            "{}:1:1: this part ran no case (run_aborted): ",
            shown(&aborted)
        ),
    );
}

#[test]
fn unreadable_and_corrupt_reports_are_located_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = three_parts(d, None);
    let (p1, p2, p3) = (p[0].as_path(), p[1].as_path(), p[2].as_path());
    let shown = |p: &Path| p.display().to_string();
    let text = std::fs::read_to_string(p2).unwrap();
    let mut cases: Vec<&str> = text.lines().collect();

    let missing = d.join("nope.json");
    let r = merge(d, &[p1, &missing, p3]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("cannot read {}: ", shown(&missing))),
        "{r:?}"
    );
    let r = merge(d, &[p1, d, p3]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a regular file"), "{r:?}");

    // Line 3 is cut in the middle: not JSON.
    let cut = d.join("cut.json");
    let broken = cases[2][..cases[2].len() / 2].to_owned();
    cases[2] = &broken;
    std::fs::write(&cut, cases.join("\n")).unwrap();
    let r = merge(d, &[p1, &cut, p3]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("{}:3:", shown(&cut)))
            && r.stderr.contains("not a report line: EOF while parsing"),
        "{r:?}"
    );

    // JSON, but not a report line: an outcome the format does not have.
    let odd = d.join("odd.json");
    std::fs::write(
        &odd,
        text.replacen("\"outcome\":\"passed\"", "\"outcome\":\"great\"", 1),
    )
    .unwrap();
    let r = merge(d, &[p1, &odd, p3]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("{}:", shown(&odd)))
            && r.stderr.contains("unknown variant `great`"),
        "{r:?}"
    );

    // The last line lost: the run never finished.
    let short = d.join("short.json");
    let all: Vec<&str> = text.lines().collect();
    std::fs::write(&short, all[..all.len() - 1].join("\n")).unwrap();
    let r = merge(d, &[p1, &short, p3]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{}: ends before its run_finished line",
            shown(&short)
        )),
        "{r:?}"
    );

    // Not a JSON report at all.
    let junit = d.join("p2.xml");
    let r = merge(d, &[p1, &junit, p3]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("{}:1:1: not a report line", shown(&junit))),
        "{r:?}"
    );
}

/// The README's CI examples: YAML that parses, a part per machine (1..=N, N as in the
/// command), each part's command accepted by the binary, and a last job merging them.
#[test]
fn the_readme_ci_examples_run_every_part_and_merge_them() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let yaml: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split_once("\n```").map(|(text, _)| text))
        .filter(|b| b.contains("report merge"))
        .collect();
    assert_eq!(yaml.len(), 2, "a GitHub and a GitLab example");
    let github: serde_yaml::Value = serde_yaml::from_str(yaml[0]).unwrap();
    let gitlab: serde_yaml::Value = serde_yaml::from_str(yaml[1]).unwrap();
    let text = |v: &serde_yaml::Value| v.as_str().unwrap_or_default().to_owned();

    let part = &github["jobs"]["part"];
    let commands: Vec<String> = part["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| text(&s["run"]))
        .filter(|r| r.contains("--partition"))
        .collect();
    let parts: Vec<u64> = part["strategy"]["matrix"]["part"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    let n = parts.len();
    assert_eq!(parts, (1..=n as u64).collect::<Vec<_>>());
    for m in &parts {
        accepted(
            &commands[0].replace("${{ matrix.part }}", &m.to_string()),
            n,
        );
    }
    let report = &github["jobs"]["report"];
    assert_eq!(text(&report["needs"]), "part");
    assert_eq!(text(&report["if"]), "always()");
    assert!(
        serde_yaml::to_string(report)
            .unwrap()
            .contains("report merge parts/*.json")
    );

    let job = &gitlab["conformance"];
    let n = job["parallel"].as_u64().unwrap() as usize;
    let script = text(&job["script"][1]);
    for m in 1..=n {
        accepted(
            &script
                .replace("${CI_NODE_INDEX}", &m.to_string())
                .replace("${CI_NODE_TOTAL}", &n.to_string()),
            n,
        );
    }
    let report = &gitlab["conformance-report"];
    assert_eq!(text(&report["needs"][0]), "conformance");
    assert_eq!(text(&report["when"]), "always");
    assert!(
        text(&report["script"][1]).starts_with("aom-conformance report merge reports/part-*.json")
    );
}

/// A part's command line from the README is one the binary takes, for part M of `n`
/// (listed, not run; the example's target file is the user's own).
fn accepted(command: &str, n: usize) {
    let words: Vec<String> = command
        .split_whitespace()
        .map(|w| w.trim_matches('"').to_owned())
        .collect();
    assert_eq!(words[..2], ["aom-conformance", "run"], "{command}");
    let at = words.iter().position(|w| w == "--target").unwrap();
    let mut args: Vec<&str> = words[1..at].iter().map(String::as_str).collect();
    args.extend(words[at + 2..].iter().map(String::as_str));
    args.push("--list");
    let partition = args[args.iter().position(|a| *a == "--partition").unwrap() + 1];
    assert!(partition.ends_with(&format!("/{n}")), "{command}");
    let r = run(&args);
    assert_eq!(r.code, 0, "{command}: {r:?}");
}

#[test]
fn parts_of_a_run_on_several_targets_merge_into_its_report() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    let mut targets = Vec::new();
    for name in ["east", "west"] {
        s.write(
            &format!("{name}.yaml"),
            &format!(
                "name: {name}\nendpoint: {}\nproject_id: {PROJECT}\nauth: {{mode: token}}\ncapabilities: [create-workflow, fault-injection]\n",
                mock.url
            ),
        );
        targets.push(s.dir.path().join(format!("{name}.yaml")));
    }
    let run_named = |name: &str, extra: &[&str]| {
        let json = s.dir.path().join(format!("{name}.json"));
        let xml = s.dir.path().join(format!("{name}.xml"));
        let mut args = vec!["run", "StopExecution"];
        for t in &targets {
            args.extend(["--target", t.to_str().unwrap()]);
        }
        args.extend(["--report", "json", json.to_str().unwrap()]);
        args.extend(["--junit", xml.to_str().unwrap()]);
        args.extend_from_slice(extra);
        let r = run_env(&args, &[("AOM_AUTH_TOKEN", TOKEN)]);
        assert_eq!(r.code, 0, "{r:?}");
        (json, xml)
    };
    let (whole_json, whole_xml) = run_named("whole", &[]);
    let (p1, _) = run_named("p1", &["--partition", "count:1/2"]);
    let (p2, _) = run_named("p2", &["--partition", "count:2/2"]);
    // Each case ran on both targets, in the same part.
    for p in [&p1, &p2] {
        let cases: Vec<Value> = lines(p)
            .into_iter()
            .filter(|l| l["event"] == "case_finished")
            .collect();
        let on = |t: &str| {
            let mut ids: Vec<&str> = cases
                .iter()
                .filter(|c| c["target"] == t)
                .map(|c| c["id"].as_str().unwrap())
                .collect();
            ids.sort_unstable();
            ids
        };
        assert!(!on("east").is_empty());
        assert_eq!(on("east"), on("west"));
    }
    let merged_json = s.dir.path().join("merged.json");
    let merged_xml = s.dir.path().join("merged.xml");
    let r = run(&[
        "report",
        "merge",
        p2.to_str().unwrap(),
        p1.to_str().unwrap(),
        "--json",
        merged_json.to_str().unwrap(),
        "--junit",
        merged_xml.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let label = "two targets";
    same(
        &comparable_json(&merged_json),
        &comparable_json(&whole_json),
        label,
    );
    same(
        &comparable_junit(&merged_xml),
        &comparable_junit(&whole_xml),
        label,
    );
    let xml = std::fs::read_to_string(&merged_xml).unwrap();
    assert!(xml.contains("classname=\"east.StopExecution\""), "{xml}");

    // Two whole runs are not parts of one.
    let r = merge(s.dir.path(), &[&whole_json, &whole_json]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("both are whole runs"), "{r:?}");
}

#[test]
fn texts_cut_short_in_a_part_stay_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = three_parts(d, None);
    // A request path the part cut short (a megabyte-long captured id, say).
    let long = format!("/v1/{}… (1048600 bytes)", "a".repeat(196));
    let text = std::fs::read_to_string(&p[1]).unwrap();
    let mut edited = Vec::new();
    let mut done = false;
    for line in text.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if !done && v["event"] == "case_finished" && v["request"].is_object() {
            v["request"]["path"] = long.clone().into();
            done = true;
        }
        edited.push(v.to_string());
    }
    assert!(done);
    std::fs::write(&p[1], edited.join("\n") + "\n").unwrap();
    let out = d.join("merged.json");
    let r = run(&[
        "report",
        "merge",
        p[0].to_str().unwrap(),
        p[1].to_str().unwrap(),
        p[2].to_str().unwrap(),
        "--json",
        out.to_str().unwrap(),
        "--junit",
        d.join("m.xml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let merged = std::fs::read_to_string(&out).unwrap();
    assert!(
        merged.contains(&format!("\"path\":{}", Value::from(long.as_str()))),
        "{merged}"
    );
}
