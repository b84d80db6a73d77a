//! `diff` and `run --record`, against loopback servers: the reference mock against
//! itself, against a proxy that changes one field of one operation's answers, and
//! against a recording of it; and the bad inputs, each located with its exit code.

mod common;

use std::path::Path;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::any;
use common::{Mock, PROJECT, Run, run_env};
use serde_json::Value;

const TOKEN: &str = "MIIfidelity-token-a1b2c3d4e5f6";
const CAPS: &str =
    "[create-workflow, create-alarm-rules, push-events, fault-injection, reference-mock]";

/// A target file for `url` in `dir`, named `name`.
fn target(dir: &Path, name: &str, url: &str) -> String {
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &path,
        format!("name: {name}\nendpoint: {url}\nproject_id: {PROJECT}\nauth: {{mode: token}}\ncapabilities: {CAPS}\n"),
    )
    .unwrap();
    path.display().to_string()
}

fn diff(args: &[&str]) -> Run {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    run_env(&all, &[("AOM_AUTH_TOKEN", TOKEN)])
}

/// A proxy to `upstream` that turns `total_elements` of ListWorkflow's answers
/// (`POST …/cms/workflow-list`) into a string, and changes nothing else.
fn deviating_proxy(rt: &tokio::runtime::Runtime, upstream: String) -> String {
    let router = Router::new().fallback(any(move |req: Request| {
        let upstream = upstream.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let url = format!("{upstream}{}", parts.uri.path_and_query().unwrap());
            let mut out = reqwest::Client::new()
                .request(parts.method.clone(), url)
                .body(body);
            for (k, v) in &parts.headers {
                if k != "host" && k != "content-length" {
                    out = out.header(k, v);
                }
            }
            let resp = out.send().await.unwrap();
            let status = resp.status();
            let headers = resp.headers().clone();
            let mut bytes = resp.bytes().await.unwrap();
            if parts.uri.path().ends_with("/cms/workflow-list") {
                if let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) {
                    if let Some(n) = v.get("total_elements").cloned() {
                        v["total_elements"] = Value::String(n.to_string());
                        bytes = Bytes::from(serde_json::to_vec(&v).unwrap());
                    }
                }
            }
            let mut r = (status, bytes).into_response();
            for (k, v) in &headers {
                if k != "content-length" && k != "transfer-encoding" {
                    r.headers_mut().insert(k, v.clone());
                }
            }
            r
        }
    }));
    common::serve(rt, router)
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_mock_against_itself_scores_100() {
    let (a, b) = (Mock::with_token(TOKEN), Mock::with_token(TOKEN));
    let dir = tempfile::tempdir().unwrap();
    let (reference, candidate) = (
        target(dir.path(), "ref", &a.url),
        target(dir.path(), "cand", &b.url),
    );
    let json = dir.path().join("fidelity.json");
    let r = diff(&[
        "--target",
        &reference,
        "--target",
        &candidate,
        "--report",
        "json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .starts_with("fidelity of cand against ref: 100.0% ("),
        "{r:?}"
    );
    let doc = report(&json);
    assert_eq!(doc["fidelity"], 100.0);
    assert_eq!(doc["differences"], Value::Array(vec![]));
    let listed = common::listed_cases(&[]).len() as u64;
    let compared = doc["compared"].as_u64().unwrap();
    assert!(
        compared > 100 && compared <= listed,
        "{compared} of {listed}"
    );
    assert_eq!(doc["compared"], doc["agreeing"]);
}

#[test]
fn one_changed_field_is_the_only_one_named() {
    let (a, b) = (Mock::with_token(TOKEN), Mock::with_token(TOKEN));
    let rt = common::runtime();
    let proxy = deviating_proxy(&rt, b.url.clone());
    let dir = tempfile::tempdir().unwrap();
    let (reference, candidate) = (
        target(dir.path(), "ref", &a.url),
        target(dir.path(), "cand", &proxy),
    );
    let json = dir.path().join("fidelity.json");
    let html = dir.path().join("fidelity.html");
    let r = diff(&[
        "--target",
        &reference,
        "--target",
        &candidate,
        "--report",
        "json",
        json.to_str().unwrap(),
        "--report",
        "html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    let doc = report(&json);
    let diffs = doc["differences"].as_array().unwrap();
    assert!(!diffs.is_empty(), "{r:?}");
    for d in diffs {
        assert!(
            d["case"].as_str().unwrap().starts_with("ListWorkflow ["),
            "{d}"
        );
        match d["aspect"].as_str().unwrap() {
            "shape" => {
                assert_eq!(
                    (&d["pointer"], &d["reference"], &d["candidate"]),
                    (
                        &"/total_elements".into(),
                        &"number".into(),
                        &"string".into()
                    ),
                    "{d}"
                );
                assert!(
                    d["at"]
                        .as_str()
                        .unwrap()
                        .starts_with("specs/list-workflow.yaml:"),
                    "{d}"
                );
            }
            // The suite's schema wants an integer: the candidate fails where the reference passes.
            "verdict" => assert_eq!(
                (&d["reference"], &d["candidate"]),
                (&"passed".into(), &"failed".into()),
                "{d}"
            ),
            other => panic!("unexpected difference {other}: {d}"),
        }
    }
    assert!(diffs.iter().any(|d| d["aspect"] == "shape"));
    let low: Vec<&str> = doc["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["agreeing"] != o["compared"])
        .map(|o| o["operation"].as_str().unwrap())
        .collect();
    assert_eq!(low, ["ListWorkflow"]);
    assert!(
        r.stdout
            .contains("request shape /total_elements: reference number · candidate string"),
        "{r:?}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("/total_elements") && page.contains("ListWorkflow"),
        "{page}"
    );
    // With a threshold below the score, the same differences pass.
    let r = diff(&[
        "--target",
        &reference,
        "--target",
        &candidate,
        "--min-fidelity",
        "50",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}
