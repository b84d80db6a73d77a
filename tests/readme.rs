//! The documentation's shell examples, checked as a user would paste them: every ```sh
//! block of README.md and docs/*.md parses (`bash -n`) and has no comment after a line
//! continuation (`\` then `# …` escapes a space and ends the command: the shell runs half
//! of it and then the rest as a command of its own); and the README's examples that start
//! the mock (`curl` + `jq`, and a run against it) run against the real binary on a free
//! loopback port, bounded in time.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{CLEARED_ENV, root};

/// One fenced code block: where it starts and what it holds.
struct Block {
    file: PathBuf,
    line: usize,
    lang: String,
    text: String,
}

/// The fenced blocks of a Markdown file.
fn blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (open.take(), line.strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block {
                    file: file.to_owned(),
                    line: i + 1,
                    lang: lang.trim().to_owned(),
                    text: String::new(),
                })
            }
            (Some(b), Some("")) => out.push(b),
            (Some(mut b), _) => {
                b.text.push_str(line);
                b.text.push('\n');
                open = Some(b);
            }
            (None, None) => {}
        }
    }
    assert!(
        open.is_none(),
        "{}: a code block is not closed",
        file.display()
    );
    out
}

/// Every shell block of README.md and docs/*.md. Blocks marked otherwise (`text`,
/// `console`, `yaml`, `python`, …) are not shell input and are left out.
fn shell_blocks() -> Vec<Block> {
    let mut files = vec![root().join("README.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    files.sort();
    files
        .iter()
        .flat_map(|f| blocks(f))
        .filter(|b| matches!(b.lang.as_str(), "sh" | "bash" | "shell"))
        .collect()
}

/// A `\` that is not a line continuation although it looks like one: followed by blanks
/// and a comment, or by trailing blanks.
fn broken_continuation(line: &str) -> bool {
    line.match_indices('\\').any(|(i, _)| {
        let rest = &line[i + 1..];
        let after = rest.trim_start_matches([' ', '\t']);
        after.len() < rest.len() && (after.is_empty() || after.starts_with('#'))
    })
}

#[test]
fn every_shell_block_parses_and_continues_its_lines() {
    let blocks = shell_blocks();
    assert!(
        blocks.len() >= 8,
        "found only {} shell blocks",
        blocks.len()
    );
    let mut problems = Vec::new();
    for b in &blocks {
        let at = |n: usize| format!("{}:{}", b.file.display(), b.line + n);
        for (n, line) in b.text.lines().enumerate() {
            if broken_continuation(line) {
                problems.push(format!(
                    "{}: `\\` followed by a comment or blanks: {line}",
                    at(n + 1)
                ));
            }
        }
        let out = Command::new("bash")
            .args(["-n", "-c", &b.text])
            .output()
            .expect("bash runs");
        if !out.status.success() {
            problems.push(format!(
                "{}: bash -n: {}",
                at(0),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_continuation_check_finds_what_the_shell_would_split() {
    assert!(broken_continuation(
        "    --endpoint URL \\        # or env AOM_ENDPOINT"
    ));
    assert!(broken_continuation("    --endpoint URL \\ "));
    assert!(!broken_continuation("    --endpoint URL \\"));
    assert!(!broken_continuation(
        "curl -w ' %{http_code}\\n' URL   # a comment"
    ));
}

/// The README's shell block that contains every one of `needles`.
fn readme_block(needles: &[&str]) -> String {
    let found: Vec<Block> = blocks(&root().join("README.md"))
        .into_iter()
        .filter(|b| b.lang == "sh" && needles.iter().all(|n| b.text.contains(n)))
        .collect();
    assert_eq!(found.len(), 1, "README blocks with {needles:?}");
    found.into_iter().next().map(|b| b.text).unwrap_or_default()
}

/// A port nothing listens on now (the mock binds it a moment later).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The output of `script` run by bash in a scratch directory, with the binary under test
/// first on PATH as `aom-conformance`. Stops on the first failing command; whatever it
/// started in the background is killed when it ends, and the whole process group after
/// `limit` at the latest.
fn run_script(script: &str, limit: Duration) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_aom-conformance"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let wrapped = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nexec 2>&1\n{script}"
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &wrapped])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for v in CLEARED_ENV.iter().chain(&[
        "AOM_MOCK_TOKEN",
        "AOM_MOCK_AK",
        "AOM_MOCK_SK",
        "AOM_MOCK_LISTEN",
        "AOM_MOCK_PROJECT_ID",
    ]) {
        cmd.env_remove(v);
    }
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().expect("bash starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The group: the mock too, if the script did not get to stop it.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let out = reader.join().unwrap_or_default();
    match status {
        Some(s) => (s.success(), out),
        None => (false, format!("{out}\n(killed after {limit:?})")),
    }
}

/// `block` with the mock's port replaced by a free one.
fn on_free_port(block: &str) -> String {
    assert!(block.contains("127.0.0.1:8080"), "{block}");
    block.replace("127.0.0.1:8080", &format!("127.0.0.1:{}", free_port()))
}

#[test]
fn a_script_that_hangs_is_stopped_with_what_it_started() {
    let start = Instant::now();
    let (ok, out) = run_script(
        "aom-conformance mock --listen 127.0.0.1:0 &\nsleep 60",
        Duration::from_secs(2),
    );
    assert!(!ok && out.contains("killed after"), "{out}");
    assert!(start.elapsed() < Duration::from_secs(10), "{out}");
}

#[test]
fn the_readme_curl_example_runs() {
    let jq = Command::new("jq").arg("--version").output();
    assert!(
        jq.is_ok_and(|o| o.status.success()),
        "jq is needed for the README's curl example (apt-get install -y jq)"
    );
    let block = readme_block(&["aom-conformance mock", "jq", "/terminate"]);
    let (ok, out) = run_script(&on_free_port(&block), Duration::from_secs(60));
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&r#"{"result":"success"} 200"#), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(r#"{"error_code":"AOM.31001418""#)
                && l.ends_with(r#""http_code":400} 400"#)),
        "{out}"
    );
}

#[test]
fn the_readme_endpoint_example_runs_against_the_mock() {
    let block = readme_block(&["--token dev-token", "aom-conformance run", "--endpoint"]);
    let (ok, out) = run_script(&on_free_port(&block), Duration::from_secs(120));
    assert!(ok, "{out}");
    assert!(out.contains("test result: ok."), "{out}");
}

#[test]
fn the_readme_aksk_and_gateway_example_runs_against_the_mock() {
    let block = readme_block(&["--gateway-auth-errors", "aom-conformance run"]);
    let (ok, out) = run_script(&on_free_port(&block), Duration::from_secs(120));
    assert!(ok, "{out}");
    assert!(out.contains("test result: ok."), "{out}");
    assert!(
        out.contains("answered by the API gateway (a documented alternative)"),
        "{out}"
    );
}

#[test]
fn the_readme_record_and_diff_example_runs_against_the_mock() {
    let block = readme_block(&["--record recordings/reference", "diff --against"]);
    let (ok, out) = run_script(&on_free_port(&block), Duration::from_secs(180));
    assert!(ok, "{out}");
    assert!(out.contains("test result: ok."), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("fidelity of http://127.0.0.1:") && l.contains(": 100.0% (")),
        "{out}"
    );
}
