//! Region awareness: a target that does not offer an API family reports that family's
//! cases ignored with the reason (never failed, never passed); a target declares its
//! families, or the suite decides from its region; a preflight 404 on an endpoint said to
//! offer the family is one warning. All against the mock on loopback.

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use common::{Mock, PROJECT, Suite, serve};

const TOKEN: &str = "MIItoken-families-0123456789";

fn run_at(url: &str, s: &Suite, extra: &[&str]) -> common::Run {
    s.run_at(url, TOKEN, extra, &[])
}

#[test]
fn a_region_without_the_family_ignores_its_cases_with_the_reason() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    let r = run_at(&mock.url, &s, &["--region", "cn-north-1"]);
    assert_eq!(r.code, 0, "{r:?}");
    // Every CMS-workflow case is ignored with the reason; other families still run.
    for case in cms_cases() {
        assert!(
            r.trial(&case, "ignored (cms-workflow is not offered by cn-north-1)"),
            "{case}: {r:?}"
        );
    }
    assert!(r.stdout.contains(" 0 failed;"), "{r:?}");
    assert!(
        r.trial(
            "ListAllJobByName [200] an empty body lists too",
            "ignored (cms-workflow is not offered by cn-north-1)"
        ),
        "{r:?}"
    );
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.contains("<skipped message=\"cms-workflow is not offered by cn-north-1\""),
        "{xml}"
    );
}

#[test]
fn a_region_that_offers_it_or_a_declared_family_runs_the_cases() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    let caps = [
        "--capability",
        "fault-injection",
        "--capability",
        "create-workflow",
    ];
    let cms = cms_cases();
    for extra in [
        &["--region", "me-east-1"][..],
        &["--region", "cn-north-1", "--family", "cms-workflow"][..],
    ] {
        let mut args = extra.to_vec();
        args.extend(caps);
        let r = run_at(&mock.url, &s, &args);
        assert_eq!(r.code, 0, "{r:?}");
        for case in &cms {
            assert!(r.trial(case, "ok"), "{case}: {r:?}");
        }
    }
}

/// The suite's CMS-workflow cases (every operation of that family's files).
fn cms_cases() -> Vec<String> {
    common::listed_cases(&[])
        .into_iter()
        .filter(|c| common::is_cms(c))
        .collect()
}

#[test]
fn a_target_file_declares_its_families_and_unknown_ones_are_refused() {
    let mock = Mock::with_token(TOKEN);
    let s = Suite::copy();
    let target = s.dir.path().join("t.yaml");
    let write = |families: &str| {
        let text = format!(
            "name: lab\nendpoint: {}\nproject_id: {PROJECT}\nfamilies: {families}\n",
            mock.url
        );
        std::fs::write(&target, text).unwrap();
    };
    write("[]");
    let t = target.to_str().unwrap();
    let r = s.run(&["--target", t], &[("AOM_AUTH_TOKEN", TOKEN)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.trial(
            "ListWorkflow [200] an empty body lists too",
            "ignored (cms-workflow is not offered by lab)"
        ),
        "{r:?}"
    );
    write("[cms-wrokflow]");
    let r = s.run(&["--target", t], &[("AOM_AUTH_TOKEN", TOKEN)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(
            "target lab: unknown API family \"cms-wrokflow\"; the suite's families: cms-workflow"
        ),
        "{r:?}"
    );
}

#[test]
fn a_preflight_404_on_a_region_said_to_offer_the_family_is_said_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gone = Router::new().fallback(any(|| async {
        (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json"), ("x-request-id", "rid-404")],
            r#"{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment."}"#,
        )
    }));
    let url = serve(&rt, gone);
    let s = Suite::copy();
    let r = run_at(&url, &s, &["--region", "cn-north-4", "ListWorkflow"]);
    let warning = "answered 404 [X-Request-Id: rid-404]: cms-workflow is not served by cn-north-4";
    assert_eq!(r.stderr.matches(warning).count(), 1, "{r:?}");
    // The cases still run, and fail: the family is supposed to be there.
    assert_eq!(r.code, 101, "{r:?}");
}
