//! `--report html`: the page the real binary writes parses (it is well-formed XML as well
//! as HTML), its matrix cells agree with the JUnit verdicts of the cases in them, a failed
//! case carries its failure text, whatever an endpoint sends is escaped, and no secret
//! appears.

mod common;

use std::collections::BTreeMap;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use common::{Mock, Suite, serve};
use roxmltree::{Document, Node, ParsingOptions};

const TOKEN: &str = "MIItoken-html-report-0123456789";

fn parse(html: &str) -> Document<'_> {
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(html, opts).unwrap_or_else(|e| panic!("{e}:\n{html}"))
}

fn has_class(n: &Node<'_, '_>, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split(' ').any(|x| x == class))
}

/// Every element named `tag` with `class`.
fn elements<'a, 'i>(doc: &'a Document<'i>, tag: &str, class: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && has_class(n, class))
        .collect()
}

fn text(n: &Node<'_, '_>) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// The verdict of every JUnit test case: `passed`, `failed` (failure or error), `ignored`.
fn junit_verdicts(xml: &str) -> BTreeMap<String, &'static str> {
    let doc = Document::parse(xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|tc| {
            let child = |t: &str| tc.children().any(|c| c.has_tag_name(t));
            let verdict = if child("failure") || child("error") {
                "failed"
            } else if child("skipped") {
                "ignored"
            } else {
                "passed"
            };
            (tc.attribute("name").unwrap_or_default().to_owned(), verdict)
        })
        .collect()
}

/// What a matrix cell must show, given the JUnit verdicts of its cases.
fn expected_state(verdicts: &[&str]) -> &'static str {
    if verdicts.contains(&"failed") {
        "failed"
    } else if verdicts.contains(&"passed") {
        "passed"
    } else if verdicts.is_empty() {
        "notrun"
    } else {
        "ignored"
    }
}

#[test]
fn matrix_cells_match_junit_and_a_failure_explains_itself() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "body: { result: success }",
        "body: { result: finished }",
    );
    let html_path = s.dir.path().join("reports/run.html");
    let html_arg = html_path.display().to_string();
    // No fault-injection: the 500 cases are ignored; the skipped cases are not run.
    let r = s.run_at(
        &mock.url,
        TOKEN,
        &[
            "--capability",
            "create-workflow",
            "--report",
            "html",
            &html_arg,
            "--skip",
            "no credentials",
        ],
        &[],
    );
    assert_eq!(r.code, 101, "{r:?}");
    let html = std::fs::read_to_string(&html_path).expect("the HTML report is written");
    assert!(!html.contains(TOKEN), "the token leaks:\n{html}");
    let doc = parse(&html);
    let junit = junit_verdicts(&std::fs::read_to_string(s.junit()).unwrap());

    // Each cell against the JUnit verdicts of its cases.
    let cells: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("data-state").is_some())
        .collect();
    let lint = common::run(&["lint"]);
    let documented: usize = lint
        .stdout
        .split_once(" documented responses")
        .and_then(|(head, _)| head.rsplit_once('/'))
        .and_then(|(_, n)| n.parse().ok())
        .expect("lint says how many documented responses");
    assert_eq!(cells.len(), documented, "one cell per documented status");
    let mut states = Vec::new();
    for cell in &cells {
        let (op, status) = (
            cell.attribute("data-operation").unwrap_or_default(),
            cell.attribute("data-status").unwrap_or_default(),
        );
        assert_eq!(cell.attribute("data-target"), Some(mock.url.as_str()));
        let prefix = format!("{op} [{status}] ");
        let verdicts: Vec<&str> = junit
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(_, v)| *v)
            .collect();
        let state = cell.attribute("data-state").unwrap_or_default();
        assert_eq!(state, expected_state(&verdicts), "{op} {status}");
        states.push(state);
    }
    for state in ["passed", "failed", "ignored", "notrun"] {
        assert!(states.contains(&state), "no {state} cell: {states:?}");
    }
    let fault = cells
        .iter()
        .find(|c| {
            c.attribute("data-operation") == Some("StopExecution")
                && c.attribute("data-status") == Some("500")
        })
        .expect("the StopExecution 500 cell");
    assert!(
        fault
            .attribute("title")
            .is_some_and(|t| t.contains("needs capability fault-injection")),
        "the reason shows on hover: {:?}",
        fault.attribute("title")
    );

    // Each case row against its JUnit verdict; passed cases carry their request id.
    let rows = elements(&doc, "tr", "case");
    assert_eq!(rows.len(), junit.len());
    for row in &rows {
        let id = row.attribute("data-case").unwrap_or_default();
        assert_eq!(row.attribute("data-state"), junit.get(id).copied(), "{id}");
    }
    let ids = elements(&doc, "td", "request-id");
    assert!(
        ids.iter().any(|n| text(n).len() == 32),
        "no X-Request-Id shown"
    );

    // The failed case expands to expected vs actual, located.
    let details = elements(&doc, "tr", "detail");
    assert_eq!(details.len(), 1);
    assert_eq!(
        details[0].attribute("data-case"),
        Some("StopExecution [200] terminates a running execution")
    );
    let failure = text(&details[0]);
    let file = s.specs().join("stop-execution.yaml");
    let at = format!(
        "stop-execution.yaml:{}:5",
        common::line_of(&file, "- name: terminates a running execution")
    );
    for needle in [
        at.as_str(),
        "body /result: expected \"finished\", got \"success\"",
        "response: {\"result\":\"success\"}",
        "/terminate → 200",
    ] {
        assert!(failure.contains(needle), "{needle:?} not in {failure}");
    }
}

/// Answers every request 200 with markup in the body and the request id, and every
/// request header echoed: hostile text and credentials for the page to show safely.
fn hostile_server(rt: &tokio::runtime::Runtime) -> String {
    let router = Router::new().fallback(any(|headers: HeaderMap| async move {
        let echoed: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
            .collect();
        let body = serde_json::json!({
            "error_msg": "<script>alert(1)</script><img src=x onerror=alert(2)>",
            "echo": echoed,
        });
        (
            StatusCode::OK,
            [
                ("content-type", "application/json"),
                ("x-request-id", "\"><script>alert(3)</script>"),
            ],
            body.to_string(),
        )
    }));
    serve(rt, router)
}

#[test]
fn markup_from_the_endpoint_is_escaped_and_secrets_are_redacted() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = hostile_server(&rt);
    let s = Suite::copy();
    let html_path = s.dir.path().join("run.html");
    let html_arg = html_path.display().to_string();
    let r = s.run_at(
        &url,
        TOKEN,
        &[
            "--capability",
            "create-workflow",
            "--capability",
            "fault-injection",
            "--report",
            "html",
            &html_arg,
        ],
        &[],
    );
    assert_eq!(r.code, 101, "{r:?}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(!html.contains(TOKEN), "the token leaks:\n{html}");
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    let doc = parse(&html);
    for tag in ["script", "img", "iframe", "link"] {
        assert!(
            !doc.descendants().any(|n| n.has_tag_name(tag)),
            "a <{tag}> element in the page"
        );
    }
    let failures: String = elements(&doc, "pre", "failure").iter().map(text).collect();
    assert!(
        failures.contains("<script>alert(1)</script>"),
        "the body shows as text: {failures}"
    );
    assert!(
        failures.contains("[REDACTED]"),
        "the echoed token: {failures}"
    );
    let ids: String = elements(&doc, "td", "request-id")
        .iter()
        .map(text)
        .collect();
    assert!(ids.contains("\"><script>alert(3)</script>"), "{ids}");
}

#[test]
fn a_run_that_cannot_start_shows_its_error() {
    let s = Suite::copy();
    s.edit("specs/stop-execution.yaml", "status: 404", "status: 418");
    let html_path = s.dir.path().join("run.html");
    std::fs::write(&html_path, "stale").unwrap();
    let html_arg = html_path.display().to_string();
    let r = s.run(&["--report", "html", &html_arg], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    let doc = parse(&html);
    let aborted = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("aborted"))
        .unwrap_or_else(|| panic!("no #aborted section:\n{html}"));
    let message = text(&aborted);
    assert!(
        message.contains("stop-execution.yaml") && message.contains("status 418 is not documented"),
        "{message}"
    );
    assert!(
        elements(&doc, "table", "matrix").is_empty(),
        "no matrix without a run"
    );
}
