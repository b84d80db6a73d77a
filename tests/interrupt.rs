//! Ctrl-C in the middle of a run: what the run started is terminated before it exits.

mod common;

use std::time::{Duration, Instant};

use common::{Mock, PROJECT, Suite, bin};

const TOKEN: &str = "MIIinterrupt-token-0123456789";

/// What an interrupted run did.
struct Interrupted {
    code: Option<i32>,
    /// The executions just before the signal.
    before: Vec<serde_json::Value>,
    /// From the signal to the exit.
    took: Duration,
    stdout: String,
}

/// Runs `s` against `mock` with `workflow_id` provided, sends SIGINT once `started`
/// executions of that workflow exist, and waits for the exit.
#[cfg(unix)]
fn interrupt(mock: &Mock, s: &Suite, wf: &str, extra: &[&str], started: usize) -> Interrupted {
    let var = format!("workflow_id={wf}");
    let mut args = vec!["run", "--endpoint", &mock.url, "--project-id", PROJECT];
    args.extend(["--var", &var, "--capability", "fault-injection"]);
    let suite = s.args();
    args.extend(suite.iter().map(String::as_str));
    args.extend_from_slice(extra);
    let child = bin()
        .args(&args)
        .env("AOM_AUTH_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let since = Instant::now();
    let mut before = Vec::new();
    while before.len() < started {
        before = mock.executions(TOKEN, wf);
        assert!(
            since.elapsed() < Duration::from_secs(20),
            "the run never started {started} execution(s)"
        );
        if before.len() < started {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let since = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    Interrupted {
        code: out.status.code(),
        before,
        took: since.elapsed(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

#[cfg(unix)]
#[test]
fn sigint_terminates_executions_the_run_started_then_exits_130() {
    let mock = Mock::with_token(TOKEN);
    let wf = mock.create_workflow(TOKEN, "interrupt");
    let s = Suite::copy();
    s.edit(
        "specs/search-workflow-execution-detail.yaml",
        "cases:\n",
        "cases:\n  - name: hangs\n    setup:\n      - use: running-execution\n    request:\n      path: { workflow_id: \"{{workflow_id}}\", execution_id: \"{{execution_id}}\" }\n      headers: { X-Aom-Mock-Fault: \"delay=30000\" }\n    expect:\n      status: 200\n",
    );
    let extra = [
        "--timeout",
        "60s",
        "--exact",
        "SearchWorkflowExecutionDetail [200] hangs",
    ];
    let run = interrupt(&mock, &s, &wf, &extra, 1);
    assert_eq!(run.before[0]["status"], "executing");
    assert_eq!(run.code, Some(130));
    assert!(
        run.took < Duration::from_secs(20),
        "waited for the 30 s request: {:?}",
        run.took
    );
    // libtest's result line counts the case as ignored and says `ok`; the last line
    // says what happened.
    assert_eq!(
        run.stdout.lines().last(),
        Some("interrupted: 1 case not run or not finished, shown as ignored above (exit 130)"),
        "{}",
        run.stdout
    );
    let execs = mock.executions(TOKEN, &wf);
    assert_eq!(execs.len(), 1, "{execs:?}");
    assert_eq!(execs[0]["status"], "cancel", "{execs:?}");
    // The report of what finished (nothing, here) is still written.
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(xml.contains("<testsuite"), "{xml}");
}

/// Interrupt while many cases are mid-way and every cleanup is slow: the run still
/// exits 130 only after all of them, and nothing it started is left running.
#[cfg(unix)]
#[test]
fn sigint_during_slow_cleanups_waits_for_them() {
    let mock = Mock::with_token(TOKEN);
    let wf = mock.create_workflow(TOKEN, "interrupt2");
    let s = Suite::copy();
    s.edit(
        "specs/execute-workflow.yaml",
        "  call: StopExecution\n  path: { workflow_id: \"{{workflow_id}}\", execution_id: \"{{execution_id}}\" }\n",
        "  call: StopExecution\n  path: { workflow_id: \"{{workflow_id}}\", execution_id: \"{{execution_id}}\" }\n  headers: { X-Aom-Mock-Fault: \"delay=1500\" }\n",
    );
    let run = interrupt(&mock, &s, &wf, &["-q"], 3);
    assert_eq!(run.code, Some(130));
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("interrupted: ") && last.ends_with(" (exit 130)"),
        "{}",
        run.stdout
    );
    let running: Vec<_> = mock
        .executions(TOKEN, &wf)
        .into_iter()
        .filter(|e| e["status"] != "cancel")
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
}
