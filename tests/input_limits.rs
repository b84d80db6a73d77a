//! Input limits and strictness: an input that would make the harness do unbounded work,
//! or that it used to accept silently, is one located error and exit 2 — at once.
//!
//! The blow-up inputs are sized so that a regression shows as a hang or an exhausted
//! machine (minutes, gigabytes), not as a flaky timing assertion.

mod common;

use std::path::PathBuf;

use aom_conformance::spec::limits::{MAX_FILE_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES};
use common::{Suite, line_of, run};

fn lint(s: &Suite) -> common::Run {
    run(&[
        "lint",
        "--specs",
        s.specs().to_str().unwrap(),
        "--schemas",
        s.schemas().to_str().unwrap(),
    ])
}

const STOP: &str = "specs/stop-execution.yaml";

fn stop_file(s: &Suite) -> PathBuf {
    s.specs().join("stop-execution.yaml")
}

/// `FILE:LINE:` of the first line of the StopExecution spec containing `needle`.
fn at_line(s: &Suite, needle: &str) -> String {
    let file = stop_file(s);
    format!("{}:{}:", file.display(), line_of(&file, needle))
}

/// Asserts exit 2 with `error: {prefix}…{message}…` on one line of stderr.
fn assert_located(r: &common::Run, prefix: &str, message: &str) {
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with(&format!("error: {prefix}")) && l.contains(message)),
        "expected `{prefix}…{message}`: {r:?}"
    );
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

// ---- item 5: unbounded work from small inputs ----

#[test]
fn aliases_expanding_beyond_the_node_limit_are_refused() {
    let s = Suite::copy();
    // A 10,000-item list and 10,000 aliases of it: 10^8 nodes from 60 KB.
    let items = vec!["1"; 10_000].join(", ");
    let aliases = vec!["*big"; 10_000].join(", ");
    s.edit(
        STOP,
        "    expect:\n      status: 200\n      body: { result: success }\n",
        &format!(
            "    expect:\n      status: 200\n      body:\n        big: &big [{items}]\n        copies: [{aliases}]\n"
        ),
    );
    let r = lint(&s);
    assert_located(
        &r,
        &at_line(&s, "copies: [*big"),
        &format!(
            "with its aliases expanded, this file holds more than {MAX_YAML_NODES} YAML nodes"
        ),
    );
}

#[test]
fn bodies_nested_too_deep_are_refused() {
    let deep = 100_000;
    for body in [
        format!("{}1{}", "{a: ".repeat(deep), "}".repeat(deep)),
        format!("\n        {}1", "- ".repeat(deep)),
    ] {
        let s = Suite::copy();
        s.edit(
            STOP,
            "      body: { result: success }\n",
            &format!("      body: {body}\n"),
        );
        let r = lint(&s);
        let needle = if body.starts_with('{') {
            "body: {a:"
        } else {
            "- - - -"
        };
        assert_located(
            &r,
            &at_line(&s, needle),
            &format!("nested more than {MAX_YAML_DEPTH} levels deep"),
        );
    }
}

#[cfg(unix)]
#[test]
fn only_regular_files_are_read() {
    let s = Suite::copy();
    let fifo = s.specs().join("x.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|st| st.success()), "mkfifo");
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}:1:1: ", fifo.display()),
        "a named pipe (FIFO): only regular files are read",
    );
    std::fs::remove_file(&fifo).unwrap();

    let zero = s.specs().join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}:1:1: ", zero.display()),
        "a device: only regular files are read",
    );

    for target in ["/dev/zero", fifo.to_str().unwrap()] {
        if target != "/dev/zero" {
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
        }
        let r = run(&["run", "--target", target, "--list"]);
        assert_located(
            &r,
            &format!("{target}:1:1: "),
            "only regular files are read",
        );
    }
}

#[test]
fn files_larger_than_the_limit_are_not_read() {
    let s = Suite::copy();
    let big = s.specs().join("big.yaml");
    // Sparse: the size alone refuses it.
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}:1:1: ", big.display()),
        "larger than 8 MiB, the most an input file may be",
    );
    let r = run(&["run", "--target", big.to_str().unwrap(), "--list"]);
    assert_located(&r, &format!("{}:1:1: ", big.display()), "larger than 8 MiB");
}
