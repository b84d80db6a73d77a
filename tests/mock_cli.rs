//! `aom-conformance mock` as a process: the listen line, generated credentials, serving,
//! clean exit on SIGTERM, argument errors and `--help`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn mock_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aom-conformance"));
    cmd.arg("mock").args(args);
    for var in [
        "AOM_MOCK_LISTEN",
        "AOM_MOCK_TOKEN",
        "AOM_MOCK_AK",
        "AOM_MOCK_SK",
        "AOM_MOCK_PROJECT_ID",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Kills the child if a test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
#[test]
fn serves_with_generated_credentials_and_stops_on_sigterm() {
    let child = mock_command(&["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut next = || lines.next().expect("a line").expect("readable stdout");
    let listen = next();
    let url = listen
        .strip_prefix("aom-conformance mock listening on ")
        .unwrap_or_else(|| panic!("{listen:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    let project = next()
        .strip_prefix("project id: ")
        .expect("generated project id")
        .to_owned();
    let token = next()
        .strip_prefix("token: ")
        .expect("generated token")
        .to_owned();
    assert_eq!(project.len(), 32);
    assert!(token.len() >= 32);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{url}/v1/{project}/cms/workflow-list"))
            .header("x-auth-token", &token)
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the mock did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn unpaired_keys_are_an_error() {
    let out = mock_command(&["--listen", "127.0.0.1:0", "--ak", "A"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--ak was given 1 times but --sk 0 times"),
        "{stderr}"
    );
}

#[test]
fn help_documents_every_flag_and_shows_no_secret() {
    let out = mock_command(&["--help"])
        .env("AOM_MOCK_SK", "super-secret-sk")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--token",
        "--ak",
        "--sk",
        "--project-id",
        "--faults",
        "--gateway-auth-errors",
        "--max-workflows-per-project",
        "--max-executions-per-workflow",
        "--max-sdk-date-skew",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
    assert!(!help.contains("super-secret-sk"), "{help}");
}
