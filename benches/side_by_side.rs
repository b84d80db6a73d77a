//! Side by side, one command: `cargo bench --bench side_by_side`. Prints rates and
//! ratios; asserts nothing, and is no part of `cargo test`.
//!
//! It generates the workload ([`workload`]: `AOMC_BENCH_CASES`, default 10,000 cases,
//! each ExecuteWorkflow then StopExecution with the 200 schema and a body check), starts
//! ONE fresh `aom-conformance mock` on loopback, times `lint` of the suite, then runs,
//! `AOMC_BENCH_ROUNDS` times (default 1) interleaved, at the same concurrency
//! (`AOMC_BENCH_CONCURRENCY`, default 16):
//!
//! 1. a raw client: the same HTTP stack (reqwest on tokio), the same request mix, no
//!    checks — the ceiling;
//! 2. the harness end to end, process start to exit (peak RSS from `wait4`);
//! 3. `AOMC_BENCH_OTHER_BIN`, when set: another build of the harness (e.g. `main`'s), to
//!    compare two builds in one run on a noisy machine;
//! 4. `hurl --test --jobs N` on the same cases as `.hurl` files, when `hurl` is on PATH.
//!
//! Last it prints the floor the YAML reader sets: serde_yaml (the project's fixed YAML
//! package) deserializing the large case file into nothing at all, in this process, and
//! the peak RSS of `lint` on a one-case suite. No `lint` can take less time than the
//! first, and no run less memory than the two together.
//!
//! `AOMC_BENCH_SUITE_OUT=DIR` only writes the generated case files to `DIR/specs` (for
//! profiling) and exits.

#[path = "workload/mod.rs"]
mod workload;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "MIIside-by-side-bench-token";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One child process's run: wall time, peak RSS, exit code and its last summary line.
struct Child {
    took: Duration,
    peak_rss_kb: i64,
    code: Option<i32>,
    result: String,
}

fn main() {
    let n = env_usize("AOMC_BENCH_CASES", 10_000).max(1);
    if let Some(out) = std::env::var_os("AOMC_BENCH_SUITE_OUT") {
        let specs = Path::new(&out).join("specs");
        workload::write_suite(&specs, n).expect("write the suite");
        println!("wrote {n} cases to {}", specs.display());
        return;
    }
    let concurrency = env_usize("AOMC_BENCH_CONCURRENCY", 16).max(1);
    let rounds = env_usize("AOMC_BENCH_ROUNDS", 1).max(1);
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_aom-conformance"));
    let other = std::env::var_os("AOMC_BENCH_OTHER_BIN").map(PathBuf::from);
    let dir = tempfile::tempdir().expect("temp dir");
    let specs = dir.path().join("specs");
    workload::write_suite(&specs, n).expect("write the suite");
    let requests = workload::requests(n);
    println!(
        "workload: {n} cases, {requests} requests, concurrency {concurrency}, {rounds} round(s)"
    );

    let tiny = dir.path().join("one-case");
    workload::write_suite(&tiny, 1).expect("write the one-case suite");
    let one_case = child(Command::new(&ours).arg("lint").arg("--specs").arg(&tiny));
    for bin in std::iter::once(&ours).chain(&other) {
        let lint = child(Command::new(bin).arg("lint").arg("--specs").arg(&specs));
        println!(
            "lint ({}): {:.0} ms, peak RSS {} MB (exit {:?}: {})",
            label(bin, &ours),
            lint.took.as_secs_f64() * 1000.0,
            lint.peak_rss_kb / 1024,
            lint.code,
            lint.result
        );
    }

    let (mut mock, url) = start_mock(&ours, dir.path());
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let workflow = rt.block_on(create_workflow(&url));
    let hurl = hurl_files(dir.path(), n);
    for round in 1..=rounds {
        println!("round {round}:");
        let raw = rt.block_on(raw_client(&url, &workflow, n, concurrency));
        let raw_rate = requests as f64 / raw.as_secs_f64();
        println!(
            "  raw client (reqwest, no checks)  {:>6.2} s  {raw_rate:>8.0} requests/s",
            raw.as_secs_f64()
        );
        for bin in std::iter::once(&ours).chain(&other) {
            let run = harness(bin, &specs, &url, &workflow, concurrency, dir.path());
            let rate = requests as f64 / run.took.as_secs_f64();
            println!(
                "  harness {:<24} {:>6.2} s  {rate:>8.0} requests/s = {:.2}x raw, peak RSS {} MB (exit {:?}; {})",
                format!("({})", label(bin, &ours)),
                run.took.as_secs_f64(),
                rate / raw_rate,
                run.peak_rss_kb / 1024,
                run.code,
                run.result
            );
            if let Some(trials) = finished_in(&run.result) {
                let rate = requests as f64 / trials;
                println!(
                    "    of which the trials (libtest's \"finished in\") {trials:.2} s = {rate:.0} requests/s = {:.2}x raw",
                    rate / raw_rate
                );
            }
        }
        if let Some(files) = &hurl {
            let run = child(
                Command::new("hurl")
                    .args(["--test", "--jobs", &concurrency.to_string()])
                    .args(["--variable", &format!("url={url}")])
                    .args(["--variable", &format!("project_id={PROJECT}")])
                    .args(["--variable", &format!("workflow_id={workflow}")])
                    .args(["--variable", &format!("token={TOKEN}")])
                    .args(files),
            );
            let rate = requests as f64 / run.took.as_secs_f64();
            println!(
                "  hurl --test --jobs {concurrency:<9} {:>6.2} s  {rate:>8.0} requests/s = {:.2}x raw (exit {:?})",
                run.took.as_secs_f64(),
                rate / raw_rate,
                run.code
            );
        }
    }
    if hurl.is_none() {
        println!("hurl: not on PATH, not measured");
    }
    let _ = mock.kill();
    let _ = mock.wait();
    // Last: parsing here raises this process's RSS, which a child forked after it would
    // inherit in its `wait4` figure.
    let (parse, parse_kb) = parser_floor(&specs.join(workload::LARGEST));
    println!(
        "floor: serde_yaml alone reads {} in {:.0} ms, its peak about {} MB; `lint` of a one-case suite: peak RSS {} MB",
        workload::LARGEST,
        parse.as_secs_f64() * 1000.0,
        parse_kb / 1024,
        one_case.peak_rss_kb / 1024
    );
}

/// The seconds of libtest's "finished in 0.76s": the trials alone, without loading,
/// planning and writing the reports.
fn finished_in(result: &str) -> Option<f64> {
    let (_, rest) = result.split_once("finished in ")?;
    rest.trim_end().strip_suffix('s')?.parse().ok()
}

/// serde_yaml deserializing `file` into nothing: its time, and how much it raised this
/// process's peak RSS (measured before anything else here grew it).
fn parser_floor(file: &Path) -> (Duration, i64) {
    let text = std::fs::read_to_string(file).expect("read the generated case file");
    let before = max_rss_kb();
    let started = Instant::now();
    let parsed: Result<serde::de::IgnoredAny, _> = serde_yaml::from_str(&text);
    let took = started.elapsed();
    parsed.expect("the generated case file is YAML");
    (took, max_rss_kb() - before)
}

/// This process's peak RSS so far (`VmHWM`: `getrusage` would count cargo's, which this
/// process inherits across `exec`).
fn max_rss_kb() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// "this build", or the other binary's file name.
fn label(bin: &Path, ours: &Path) -> String {
    if bin == ours {
        "this build".into()
    } else {
        bin.display().to_string()
    }
}

/// The Hurl files of the workload, when `hurl` is on PATH.
fn hurl_files(dir: &Path, n: usize) -> Option<Vec<PathBuf>> {
    let found = Command::new("hurl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found.then(|| workload::write_hurl(&dir.join("hurl"), n).expect("write the hurl files"))
}

/// Starts the mock on a free loopback port; its URL once it is listening.
// The child goes back to the caller, which kills and waits for it: clippy does not see that.
#[allow(clippy::zombie_processes)]
fn start_mock(bin: &Path, dir: &Path) -> (std::process::Child, String) {
    let ready = dir.join("mock-ready");
    let mut mock = Command::new(bin)
        .args(["mock", "--listen", "127.0.0.1:0", "--token", TOKEN])
        .args(["--project-id", PROJECT, "--ready-file"])
        .arg(&ready)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the mock");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && text.ends_with('\n')
        {
            return (mock, text.trim().to_owned());
        }
        if Instant::now() >= deadline {
            let _ = mock.kill();
            let _ = mock.wait();
            panic!("the mock did not start");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn create_workflow(url: &str) -> String {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/v1/{PROJECT}/cms/workflow"))
        .header("X-Auth-Token", TOKEN)
        .header("Content-Type", "application/json")
        .body(r#"{"name":"side-by-side","type":"manual"}"#)
        .send()
        .await
        .expect("create the workflow")
        .json()
        .await
        .expect("its JSON");
    body["id"].as_str().expect("its id").to_owned()
}

/// The same requests as the suite, `concurrency` at a time, nothing checked but what
/// the next request needs (the execution id).
async fn raw_client(url: &str, workflow: &str, n: usize, concurrency: usize) -> Duration {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let executions = Arc::new(format!(
        "{url}/v1/{PROJECT}/cms/workflow/{workflow}/executions"
    ));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, executions) = (client.clone(), next.clone(), executions.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                // Case 0 is the lone ExecuteWorkflow case, as in the suite.
                raw_case(&client, &executions, i > 0).await;
            }
        });
    }
    workers.join_all().await;
    started.elapsed()
}

async fn raw_case(client: &reqwest::Client, executions: &str, stop: bool) {
    let post = |url: &str| {
        client
            .post(url)
            .header("X-Auth-Token", TOKEN)
            .header("Content-Type", "application/json")
    };
    let body = post(executions).send().await.expect("execute");
    let body: serde_json::Value = body.json().await.expect("execute's JSON");
    if !stop {
        return;
    }
    let id = body["execution_id"].as_str().unwrap_or_default();
    let resp = post(&format!("{executions}/{id}/terminate"))
        .send()
        .await
        .expect("terminate");
    let _ = resp.bytes().await.expect("terminate's body");
}

/// The harness end to end against the mock, as a user runs it.
fn harness(
    bin: &Path,
    specs: &Path,
    url: &str,
    workflow: &str,
    concurrency: usize,
    dir: &Path,
) -> Child {
    child(
        Command::new(bin)
            .args(["run", "-q", "--specs"])
            .arg(specs)
            .args(["--endpoint", url, "--project-id", PROJECT])
            .args(["--var", &format!("workflow_id={workflow}")])
            .args(["--test-threads", &concurrency.to_string(), "--junit"])
            .arg(dir.join("junit.xml"))
            .env("AOM_AUTH_TOKEN", TOKEN),
    )
}

/// Runs `cmd` to its end: wall time from spawn to exit, and its peak RSS (`wait4`).
// Reaped by `wait4` (for its resource usage), which clippy does not see.
#[allow(clippy::zombie_processes)]
fn child(cmd: &mut Command) -> Child {
    let started = Instant::now();
    let mut proc = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = i32::try_from(proc.id()).expect("pid");
    let out = proc.stdout.take().expect("stdout");
    let err = proc.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || std::io::read_to_string(out).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    let mut status = 0;
    // SAFETY: `usage` is a plain struct the call fills; `pid` is our own child, reaped
    // here (std's `Child` is never waited on after this).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = started.elapsed();
    assert_eq!(reaped, pid, "wait4");
    let (out, err) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    let result = out
        .lines()
        .chain(err.lines())
        .rev()
        .find(|l| l.starts_with("test result") || l.starts_with("ok:") || l.contains("error"))
        .unwrap_or("")
        .to_owned();
    Child {
        took,
        peak_rss_kb: usage.ru_maxrss,
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        result,
    }
}
