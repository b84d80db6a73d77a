//! How `run` schedules cases, seen from a loopback server that answers slowly and counts:
//! never more than `--test-threads` requests at once (and that many when there is work),
//! only the cases the filter, `--skip`, `--exact` and `--ignored` select are sent, and
//! `--list` sends nothing. Cases start ahead of libtest's trials (`runner/ahead.rs`), so
//! these are the promises that design must keep.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use common::{PROJECT, run_env, serve};
use parking_lot::Mutex;

const TOKEN: &str = "MIIscheduling-token-0123456789";
const CASES: usize = 12;
/// How libtest's lines start for probe N (N follows).
const TRIAL: &str = "test Probe [404] probe ";

/// What the server saw: the probes asked for, in order, and the most at once.
#[derive(Default)]
struct Seen {
    probes: Mutex<Vec<u32>>,
    now: AtomicUsize,
    most: AtomicUsize,
}

async fn probe(State(seen): State<Arc<Seen>>, Path((_, n)): Path<(String, u32)>) -> StatusCode {
    seen.probes.lock().push(n);
    let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
    seen.most.fetch_max(now, Ordering::SeqCst);
    // Later probes answer sooner, so cases end out of suite order (probes past the
    // usual suite answer at once).
    let wait = match CASES as u64 {
        cases if u64::from(n) < cases => 20 + 8 * (cases - u64::from(n)),
        _ => 0,
    };
    tokio::time::sleep(Duration::from_millis(wait)).await;
    seen.now.fetch_sub(1, Ordering::SeqCst);
    StatusCode::NOT_FOUND
}

/// A suite of `cases` probes, `probe 0` … ; the last one quarantined.
fn suite(cases: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "operation: Probe\nmethod: GET\npath: /v1/{project_id}/probe/{n}\nresponses:\n  404: {}\ncases:\n",
    );
    for i in 0..cases {
        text.push_str(&format!(
            "  - name: probe {i}\n    request: {{ path: {{ n: \"{i}\" }} }}\n    expect: {{ status: 404 }}\n"
        ));
    }
    text.push_str("    skip: quarantined for the test\n");
    std::fs::create_dir_all(dir.path().join("specs")).unwrap();
    std::fs::write(dir.path().join("specs/probe.yaml"), text).unwrap();
    dir
}

/// Runs `run <extra>` on the probe suite of [`CASES`] against a fresh counting server.
fn run_probes(extra: &[&str]) -> (common::Run, Vec<u32>, usize) {
    run_many(CASES, extra)
}

/// [`run_probes`] on a suite of `cases` probes.
fn run_many(cases: usize, extra: &[&str]) -> (common::Run, Vec<u32>, usize) {
    let rt = common::runtime();
    let seen = Arc::new(Seen::default());
    let router = Router::new()
        .route("/v1/{project}/probe/{n}", get(probe))
        .with_state(Arc::clone(&seen));
    let url = serve(&rt, router);
    let dir = suite(cases);
    let specs = dir.path().join("specs");
    let mut args = vec!["run", "--specs", specs.to_str().unwrap()];
    args.extend(["--endpoint", &url, "--project-id", PROJECT]);
    args.extend(extra);
    let r = run_env(&args, &[("AOM_AUTH_TOKEN", TOKEN)]);
    let mut probes = seen.probes.lock().clone();
    probes.sort_unstable();
    (r, probes, seen.most.load(Ordering::SeqCst))
}

#[test]
fn never_more_requests_at_once_than_test_threads() {
    for threads in [1, 3] {
        let (r, probes, most) = run_probes(&["--test-threads", &threads.to_string()]);
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(probes, (0..CASES as u32 - 1).collect::<Vec<_>>(), "{r:?}");
        assert_eq!(
            most, threads,
            "at most, and with 11 slow cases exactly, {threads}"
        );
    }
}

#[test]
fn only_the_selected_cases_are_sent() {
    let cases = |r: &common::Run| {
        let mut names: Vec<String> = r
            .stdout
            .lines()
            .filter(|l| l.ends_with(" ... ok"))
            .filter_map(|l| l.strip_prefix(TRIAL))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        names.sort_by_key(|n| n.parse::<u32>().unwrap());
        names
    };
    // A filter ("probe 1" also matches 10), --skip, --exact and --ignored.
    let (r, probes, _) = run_probes(&["probe 1", "--skip", "probe 10"]);
    assert_eq!((r.code, probes), (0, vec![1]), "{r:?}");
    assert_eq!(cases(&r), ["1"], "{r:?}");
    let (r, probes, _) = run_probes(&["--exact", "Probe [404] probe 7"]);
    assert_eq!((r.code, probes), (0, vec![7]), "{r:?}");
    let (r, probes, _) = run_probes(&["--ignored"]);
    assert_eq!((r.code, probes), (0, vec![11]), "{r:?}");
    let (r, probes, _) = run_probes(&["--include-ignored", "--skip", "probe 1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(probes, [0, 2, 3, 4, 5, 6, 7, 8, 9], "{r:?}");
}

#[test]
fn listing_sends_nothing() {
    let (r, probes, _) = run_probes(&["--list"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.lines().count(), CASES, "{r:?}");
    assert!(probes.is_empty(), "--list sent {probes:?}");
}

/// Results are reported in suite order, whatever order the cases end in.
#[test]
fn results_come_in_suite_order() {
    let (r, _, _) = run_probes(&["--test-threads", "4"]);
    assert_eq!(r.code, 0, "{r:?}");
    let order: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix(TRIAL))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let expected: Vec<String> = (0..CASES).map(|i| i.to_string()).collect();
    assert_eq!(order, expected, "{r:?}");
}

/// More cases than the results that may wait to be collected (64 per thread): the
/// window refills as results are collected, and every case runs once.
#[test]
fn more_cases_than_the_window_all_run_once() {
    let (r, probes, most) = run_many(150, &["--test-threads", "1"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(probes, (0..149).collect::<Vec<u32>>(), "{r:?}");
    assert_eq!(most, 1);
    assert!(r.stdout.contains("149 passed"), "{r:?}");
}
