//! Ctrl-C in the middle of a run: what the run started is terminated before it exits.

mod common;

use std::time::{Duration, Instant};

use common::{Mock, PROJECT, Suite, bin};

const TOKEN: &str = "MIIinterrupt-token-0123456789";

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
    let var = format!("workflow_id={wf}");
    let mut args = vec![
        "run".to_string(),
        "--endpoint".into(),
        mock.url.clone(),
        "--project-id".into(),
        PROJECT.into(),
    ];
    args.extend([
        "--var".into(),
        var,
        "--timeout".into(),
        "60s".into(),
        "--capability".into(),
        "fault-injection".into(),
    ]);
    args.extend(s.args());
    args.extend([
        "--exact".into(),
        "SearchWorkflowExecutionDetail [200] hangs".into(),
    ]);
    let mut child = bin()
        .args(&args)
        .env("AOM_AUTH_TOKEN", TOKEN)
        .spawn()
        .unwrap();

    let list = || serde_json::Value::Array(mock.executions(TOKEN, &wf));
    let started = Instant::now();
    while list().as_array().is_none_or(Vec::is_empty) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run never started an execution"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(list()[0]["status"], "executing");

    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not wait for the 30 s request"
    );
    let execs = list();
    assert_eq!(execs.as_array().unwrap().len(), 1, "{execs}");
    assert_eq!(execs[0]["status"], "cancel", "{execs}");
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
    let var = format!("workflow_id={wf}");
    let mut args = vec![
        "run".to_string(),
        "--endpoint".into(),
        mock.url.clone(),
        "--project-id".into(),
        PROJECT.into(),
    ];
    args.extend([
        "--var".into(),
        var,
        "--capability".into(),
        "fault-injection".into(),
    ]);
    args.extend(s.args());
    let mut child = bin()
        .args(&args)
        .env("AOM_AUTH_TOKEN", TOKEN)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let list = || serde_json::Value::Array(mock.executions(TOKEN, &wf));
    let started = Instant::now();
    while list().as_array().is_none_or(|a| a.len() < 3) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run never started executions"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let execs = list();
    let running: Vec<_> = execs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] != "cancel")
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    assert!(
        xml.ends_with("</testsuites>\n") || xml.trim_end().ends_with("</testsuites>"),
        "{xml}"
    );
}
