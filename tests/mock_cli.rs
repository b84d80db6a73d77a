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

/// A blocking request to the mock: status and JSON body.
fn call(method: &str, url: &str, token: &str, body: &str) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    })
}

/// Waits (bounded) for `path` to appear; its text.
fn wait_for_file(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ready_file_health_and_reset_for_ci_scripts() {
    const P: &str = "0123456789abcdef0123456789abcdef";
    let dir = tempfile::tempdir().unwrap();
    let modes = [
        (vec!["--allow-reset"], true),
        (vec!["--faults"], true),
        (vec![], false),
    ];
    for (i, (flags, resets)) in modes.into_iter().enumerate() {
        let ready = dir.path().join(format!("ready-{i}"));
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--token",
            "ci-token",
            "--project-id",
            P,
        ];
        args.extend(flags.iter().copied());
        let ready_arg = ready.display().to_string();
        args.extend(["--ready-file", &ready_arg]);
        let child = mock_command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _child = Running(child);
        let url = wait_for_file(&ready).trim().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");

        // Health needs no credentials.
        let (status, body) = call("GET", &format!("{url}/_mock/health"), "", "");
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

        let create = format!("{url}/v1/{P}/cms/workflow");
        let (status, _) = call(
            "POST",
            &create,
            "ci-token",
            r#"{"name":"wf","type":"manual"}"#,
        );
        assert_eq!(status, 200);
        let list = format!("{url}/v1/{P}/cms/workflow-list");
        let count = || call("POST", &list, "ci-token", "{}").1["total_elements"].as_u64();
        assert_eq!(count(), Some(1));

        let (status, body) = call("POST", &format!("{url}/_mock/reset"), "", "");
        if resets {
            assert_eq!(
                (status, body["result"].as_str()),
                (200, Some("reset")),
                "{flags:?}"
            );
            assert_eq!(count(), Some(0), "{flags:?}");
        } else {
            assert_eq!(status, 404, "{body}");
            assert_eq!(body["error_code"], "MOCK.ROUTE_NOT_FOUND");
            assert_eq!(count(), Some(1));
        }
    }
}

#[test]
fn an_unwritable_ready_file_is_bad_input() {
    let out = mock_command(&[
        "--listen",
        "127.0.0.1:0",
        "--ready-file",
        "/proc/nope/ready",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot write --ready-file /proc/nope/ready"),
        "{stderr}"
    );
}
