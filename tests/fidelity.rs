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

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(common::root().join("schemas").join(name)).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).expect("the schema compiles")
}

/// The JSON report at `path`, checked against `schemas/fidelity-report.schema.json`.
fn report(path: &Path) -> Value {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let errors: Vec<String> = schema("fidelity-report.schema.json")
        .iter_errors(&doc)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{doc}");
    doc
}

/// A recording of one case in `dir`/rec, as `run --record` writes it.
fn minimal_recording(dir: &Path) -> std::path::PathBuf {
    let rec = dir.join("rec");
    std::fs::create_dir_all(rec.join("A")).unwrap();
    std::fs::write(rec.join("recording.json"), "{\"recording\": \"aom-conformance\", \"version\": 1, \"target\": \"x\", \"cases\": {\"A [200] a\": \"A/200-a.json\"}}\n").unwrap();
    std::fs::write(rec.join("A/200-a.json"), "{\"case\": \"A [200] a\", \"at\": \"specs/a.yaml:1:1\", \"operation\": \"A\", \"verdict\": \"passed\", \"calls\": []}\n").unwrap();
    rec
}

#[test]
fn the_shipped_masks_follow_their_schema_and_the_schema_refuses_what_loading_refuses() {
    let v = schema("masks.schema.json");
    let yaml = |text: &str| -> Value { serde_yaml::from_str(text).unwrap() };
    let shipped =
        yaml(&std::fs::read_to_string(common::root().join("schemas/masks.yaml")).unwrap());
    let errors: Vec<String> = v.iter_errors(&shipped).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    for bad in [
        "masks:\n  - name: Bad\n    keys: [x]\n",
        "masks:\n  - name: x\n",
        "masks:\n  - name: x\n    keys: [x]\n    colour: red\n",
        "optional:\n  - pointers: [nope]\n",
    ] {
        assert!(!v.is_valid(&yaml(bad)), "{bad}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("masks.yaml");
        std::fs::write(&path, bad).unwrap();
        let rec = minimal_recording(dir.path());
        let r = run_env(
            &[
                "diff",
                "--against",
                rec.to_str().unwrap(),
                "--masks",
                path.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(r.code, 2, "{r:?}");
        assert!(
            r.stderr.starts_with(&format!("error: {}:", path.display())),
            "{r:?}"
        );
    }
}

// The two live comparisons run one case at a time (`--test-threads 1`): both mocks then
// hold the same items whenever a case lists "the project's rules", so the test compares
// the endpoints, not the interleaving of cases. The recording test runs them at once.
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
        "--test-threads",
        "1",
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
        "--test-threads",
        "1",
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

/// Every file under `dir`, as text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    out
}

/// Files of `dir` that hold one of `canaries`.
fn leaks(dir: &Path, canaries: &[&str]) -> Vec<String> {
    files(dir)
        .into_iter()
        .flat_map(|(p, text)| {
            canaries
                .iter()
                .filter(|c| text.contains(**c))
                .map(move |c| format!("{p} holds {c:?}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_recording_of_the_mock_replays_at_100_and_holds_no_token() {
    let mock = Mock::with_token(TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec");
    let junit = dir.path().join("junit.xml");
    let args = |extra: &[&str]| {
        let mut a = vec!["--endpoint", mock.url.as_str(), "--project-id", PROJECT];
        for c in [
            "create-workflow",
            "create-alarm-rules",
            "push-events",
            "fault-injection",
            "reference-mock",
        ] {
            a.extend(["--capability", c]);
        }
        a.extend_from_slice(extra);
        a.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>()
    };
    let mut run = vec!["run".to_owned()];
    run.extend(args(&[
        "--record",
        rec.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]));
    let run: Vec<&str> = run.iter().map(String::as_str).collect();
    let r = run_env(&run, &[("AOM_AUTH_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{r:?}");
    let recorded = common::listed_cases(&[]).len();
    assert!(
        r.stderr
            .contains(&format!("recorded {recorded} case(s) in ")),
        "{r:?}"
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(rec.join("recording.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["cases"].as_object().unwrap().len(), recorded);
    assert!(
        rec.join("StopExecution/400-terminating-the-same-execution-twice.json")
            .is_file()
    );
    assert_eq!(
        leaks(&rec, &[TOKEN, &TOKEN[3..], PROJECT]),
        Vec::<String>::new()
    );

    let json = dir.path().join("fidelity.json");
    let mut d = vec![
        "diff".to_owned(),
        "--against".to_owned(),
        rec.display().to_string(),
    ];
    d.extend(args(&["--report", "json", json.to_str().unwrap()]));
    let d: Vec<&str> = d.iter().map(String::as_str).collect();
    let r = run_env(&d, &[("AOM_AUTH_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(": 100.0% ("), "{r:?}");
    let doc = report(&json);
    assert_eq!(
        (doc["compared"].as_u64(), doc["agreeing"].as_u64()),
        (Some(recorded as u64), Some(recorded as u64)),
        "{doc}"
    );
}

// The secrets of the redaction tests (tests/adversarial.rs): a token and a password with
// characters that JSON, URLs and headers each escape differently.
const IAM_PASSWORD: &str = "PWp@ss/w+rd=1 \"pwcanaryR8\"";
const IAM_TOKEN: &str = "MIItok+en/with=\"chars0123456789";
const SK: &str = "SKrecorded-secret-key-canary5678";
const SECURITY_TOKEN: &str = "STrecorded-security-token-canary9012";

/// A proxy to `upstream` that leaks into every answer — a header and a JSON field — the
/// credentials it was sent and the secrets it should never have: the IAM password and
/// the SK.
fn leaky_proxy(rt: &tokio::runtime::Runtime, upstream: String) -> String {
    let router = Router::new().fallback(any(move |req: Request| {
        let upstream = upstream.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let mut leaked = vec![IAM_PASSWORD.to_owned(), SK.to_owned()];
            // The signature covers the Host header: sent on as signed.
            for h in ["x-auth-token", "authorization", "x-security-token"] {
                if let Some(v) = parts.headers.get(h) {
                    leaked.push(format!("{h}: {}", v.to_str().unwrap()));
                }
            }
            let url = format!("{upstream}{}", parts.uri.path_and_query().unwrap());
            let mut out = reqwest::Client::new()
                .request(parts.method.clone(), url)
                .body(body);
            for (k, v) in &parts.headers {
                if k != "content-length" {
                    out = out.header(k, v);
                }
            }
            let resp = out.send().await.unwrap();
            let status = resp.status();
            let mut bytes = resp.bytes().await.unwrap();
            if let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(&bytes) {
                m.insert("echo".into(), leaked.join("; ").into());
                bytes = Bytes::from(serde_json::to_vec(&m).unwrap());
            }
            let leaked_header = leaked.join("; ");
            (
                status,
                [
                    ("content-type", "application/json"),
                    ("x-echo", leaked_header.as_str()),
                ],
                bytes,
            )
                .into_response()
        }
    }));
    common::serve(rt, router)
}

/// An IAM stub that gives `token` for [`IAM_PASSWORD`].
fn iam_stub(rt: &tokio::runtime::Runtime, token: &'static str) -> String {
    let router = Router::new().fallback(any(move |body: axum::Json<Value>| async move {
        let pw = body
            .0
            .pointer("/auth/identity/password/user/password")
            .and_then(Value::as_str);
        assert_eq!(pw, Some(IAM_PASSWORD));
        (
            axum::http::StatusCode::CREATED,
            [("X-Subject-Token", token)],
            "{\"token\":{}}",
        )
    }));
    common::serve(rt, router)
}

#[test]
fn a_recording_holds_no_secret_an_endpoint_echoes() {
    let rt = common::runtime();
    let mock = Mock::start(aom_conformance::mock::MockConfig {
        tokens: vec![aom_conformance::mock::TokenGrant {
            token: aom_conformance::auth::Secret::new(IAM_TOKEN),
            projects: vec![PROJECT.into()],
        }],
        keys: vec![aom_conformance::mock::AccessKey {
            ak: "AKRECORDED0123456789".into(),
            sk: aom_conformance::auth::Secret::new(SK),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        ..Default::default()
    });
    let proxy = leaky_proxy(&rt, mock.url.clone());
    let iam = iam_stub(&rt, IAM_TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (junit, iam_rec, aksk_rec) = (
        junit.to_str().unwrap(),
        dir.path().join("iam"),
        dir.path().join("aksk"),
    );
    let base = [
        "run",
        "StopExecution",
        "--endpoint",
        &proxy,
        "--project-id",
        PROJECT,
        "--junit",
        junit,
    ];

    let mut iam_run: Vec<&str> = base.to_vec();
    iam_run.extend(common::iam_flags(&iam));
    iam_run.extend(["--record", iam_rec.to_str().unwrap()]);
    let r = run_env(&iam_run, &[("AOM_IAM_PASSWORD", IAM_PASSWORD)]);
    assert!(r.stderr.contains("recorded "), "{r:?}");

    let mut aksk_run: Vec<&str> = base.to_vec();
    aksk_run.extend(["--auth", "aksk", "--record", aksk_rec.to_str().unwrap()]);
    let env = [
        ("CLOUD_SDK_AK", "AKRECORDED0123456789"),
        ("CLOUD_SDK_SK", SK),
        ("CLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN),
    ];
    let r = run_env(&aksk_run, &env);
    assert!(r.stderr.contains("recorded "), "{r:?}");

    // The leaks did reach the recordings, redacted: the test sees what it means to.
    let text = |dir: &Path| files(dir).into_iter().map(|(_, t)| t).collect::<String>();
    let (iam_text, aksk_text) = (text(&iam_rec), text(&aksk_rec));
    assert!(iam_text.contains("\"echo\": \"[REDACTED]; "), "{iam_text}");
    assert!(iam_text.contains("x-auth-token: [REDACTED]"), "{iam_text}");
    assert!(
        aksk_text.contains("authorization: [REDACTED]"),
        "{aksk_text}"
    );
    assert!(
        aksk_text.contains("x-security-token: [REDACTED]"),
        "{aksk_text}"
    );
    // Each run redacts the secrets it knows: the IAM password and the token IAM gave;
    // the SK, the security token and every request's signature.
    let mut found = leaks(
        &iam_rec,
        &["pwcanaryR8", "chars0123456789", "X-Auth-Token\":"],
    );
    found.extend(leaks(
        &aksk_rec,
        &["canary5678", "canary9012", "Signature=", "signature="],
    ));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn bad_inputs_are_located_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let one = target(dir.path(), "one", "http://127.0.0.1:9");
    let r = diff(&["--target", &one]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("diff compares two endpoints: give --target REFERENCE.yaml --target CANDIDATE.yaml (got 1 --target)"), "{r:?}");

    let missing = dir.path().join("nope");
    let r = diff(&["--against", missing.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "error: {}: not a recording directory: no such directory",
            missing.display()
        )),
        "{r:?}"
    );

    let rec = dir.path().join("rec");
    std::fs::create_dir_all(rec.join("A")).unwrap();
    std::fs::write(rec.join("recording.json"), "{\"recording\": \"aom-conformance\", \"version\": 1, \"target\": \"x\", \"cases\": {\"A [200] a\": \"A/200-a.json\"}}\n").unwrap();
    std::fs::write(rec.join("A/200-a.json"), "{\n  \"case\": 5\n}\n").unwrap();
    let r = diff(&["--against", rec.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    let at = format!("error: {}:2:", rec.join("A/200-a.json").display());
    assert!(
        r.stderr.contains(&at) && r.stderr.contains("invalid type: integer `5`"),
        "{r:?}"
    );

    std::fs::write(rec.join("recording.json"), "{\"recording\": \"aom-conformance\", \"version\": 1, \"target\": \"x\", \"cases\": {\"A [200] a\": \"../../x.json\"}}\n").unwrap();
    let r = diff(&["--against", rec.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("is not a path inside the recording"),
        "{r:?}"
    );

    let masks = dir.path().join("masks.yaml");
    std::fs::write(
        &masks,
        "masks:\n  - name: id\n    keys: [id]\n  - name: Bad\n    keys: [x]\n",
    )
    .unwrap();
    let two = target(dir.path(), "two", "http://127.0.0.1:9");
    let r = diff(&[
        "--target",
        &one,
        "--target",
        &two,
        "--masks",
        masks.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("error: {}:4:", masks.display()))
            && r.stderr.contains("lower-case"),
        "{r:?}"
    );

    // A directory of other files is not recorded over; two targets are not one recording.
    let taken = dir.path().join("taken");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("notes.txt"), "mine").unwrap();
    let r = run_env(&["run", "--record", taken.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("not a recording directory: it holds other files"),
        "{r:?}"
    );
    assert_eq!(
        std::fs::read_to_string(taken.join("notes.txt")).unwrap(),
        "mine"
    );
    let file = taken.join("notes.txt");
    let r = run_env(&["run", "--record", file.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .starts_with(&format!("error: {}: ", file.display())),
        "{r:?}"
    );
    let r = run_env(
        &[
            "run",
            "--target",
            &one,
            "--target",
            &two,
            "--record",
            rec.to_str().unwrap(),
        ],
        &[("AOM_AUTH_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("--record records one endpoint; this run has 2 targets"),
        "{r:?}"
    );
    let r = diff(&["--target", &one, "--target", &two, "--min-fidelity", "101"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn lint_checks_the_masking_rules_beside_the_schemas() {
    let s = common::Suite::copy();
    let lint = |s: &common::Suite| {
        let (specs, schemas) = (
            s.specs().display().to_string(),
            s.schemas().display().to_string(),
        );
        common::run(&["lint", "--specs", &specs, "--schemas", &schemas])
    };
    // The shipped rules name the shipped suite's operations only.
    let r = lint(&s);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("warning"), "{r:?}");
    s.edit(
        "schemas/masks.yaml",
        "  - operations: [ListMetricOrEventAlarmRule]",
        "  - operations: [ListMetricOrEventAlarmRules]",
    );
    // A typo, or rules for the whole suite read with some of its files: a located
    // warning either way, since no one can tell which.
    let r = lint(&s);
    assert_eq!(r.code, 0, "{r:?}");
    let path = s.schemas().join("masks.yaml");
    let line = common::line_of(&path, "ListMetricOrEventAlarmRules");
    assert!(
        r.stderr
            .contains(&format!("warning: {}:{line}:", path.display()))
            && r.stderr.contains(
                "the suite has no operation \"ListMetricOrEventAlarmRules\" (the rule masks nothing in this suite)"
            ),
        "{r:?}"
    );
    // The built-in rules with a suite cut down to some files (without the v4 alarm
    // rules, which a rule names): nothing to say.
    let cut = common::Suite::copy();
    for e in std::fs::read_dir(cut.specs()).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().contains("alarm-rule") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let r = common::run(&["lint", "--specs", cut.specs().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("warning"), "{r:?}");
}
