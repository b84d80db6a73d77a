//! Input limits and strictness: an input that would make the harness do unbounded work,
//! or that it used to accept silently, is one located error and exit 2 — at once.
//!
//! The blow-up inputs are sized so that a regression shows as a hang or an exhausted
//! machine (minutes, gigabytes), not as a flaky timing assertion.

mod common;

use std::path::PathBuf;

use aom_conformance::limits::{
    MAX_CASE_STEPS, MAX_FILE_BYTES, MAX_SUITE_STEPS, MAX_YAML_DEPTH, MAX_YAML_NODES,
};
use common::{PROJECT, Suite, line_of, run, run_env};

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
fn fixtures_doubling_at_each_level_are_refused_at_once() {
    let s = Suite::copy();
    // f0 … f29 each use the next one twice: 2^30 steps from 1 KB.
    let mut fixtures = String::from("fixtures:\n");
    for i in 0..30 {
        fixtures.push_str(&format!(
            "  f{i}:\n    - use: f{0}\n    - use: f{0}\n",
            i + 1
        ));
    }
    fixtures.push_str("  f30:\n    - use: workflow\n");
    s.edit(STOP, "\ncases:\n", &format!("\n{fixtures}\ncases:\n"));
    s.edit(STOP, "      - use: workflow\n", "      - use: f0\n");
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}9: ", at_line(&s, "- use: f0")),
        &format!("this step expands to more than {MAX_CASE_STEPS} setup steps"),
    );
}

#[test]
fn a_suite_expanding_to_too_many_steps_in_all_is_refused() {
    let s = Suite::copy();
    // One fixture of 250 steps (just within a case's limit), used by enough cases to
    // pass the suite's limit.
    let mut fixtures = String::from("fixtures:\n  many:\n");
    for _ in 0..(MAX_CASE_STEPS - 6) {
        fixtures.push_str("    - use: nothing\n");
    }
    fixtures.push_str("  nothing: []\n");
    let copies = MAX_SUITE_STEPS / (MAX_CASE_STEPS - 5) + 1;
    let mut cases = String::new();
    for i in 0..copies {
        cases.push_str(&format!(
            "  - {{name: c{i}, setup: [{{use: many}}], request: {{path: {{workflow_id: w, execution_id: e}}}}, expect: {{status: 404}}}}\n"
        ));
    }
    s.edit(
        STOP,
        "\ncases:\n",
        &format!("\n{fixtures}\ncases:\n{cases}"),
    );
    let r = lint(&s);
    assert_located(
        &r,
        &stop_file(&s).display().to_string(),
        &format!("the suite expands to more than {MAX_SUITE_STEPS} setup steps"),
    );
}

/// The shipped suite with one case body holding an `items`-long list and `aliases`
/// aliases of it (at the line `copies: [*big, …]`).
fn alias_bomb(items: usize, aliases: usize) -> Suite {
    let s = Suite::copy();
    let items = vec!["1"; items].join(", ");
    let aliases = vec!["*big"; aliases].join(", ");
    s.edit(
        STOP,
        "    expect:\n      status: 200\n      body: { result: success }\n",
        &format!(
            "    expect:\n      status: 200\n      body:\n        big: &big [{items}]\n        copies: [{aliases}]\n"
        ),
    );
    s
}

#[test]
fn aliases_expanding_beyond_the_node_limit_are_refused() {
    // A 10,000-item list and 10,000 aliases of it: 10^8 nodes from 60 KB.
    let s = alias_bomb(10_000, 10_000);
    let r = lint(&s);
    assert_located(
        &r,
        &at_line(&s, "copies: [*big"),
        &format!(
            "with its aliases expanded, this file holds more than {MAX_YAML_NODES} YAML nodes"
        ),
    );
}

/// Past the size where a file's two readers run on two threads, the walk still refuses
/// an alias bomb before serde_yaml expands it (serde_yaml's own limit counts aliases, not
/// the nodes they expand to: this one is 240 million from 132 KB). The child's address
/// space is capped, so a regression aborts it instead of exhausting the machine.
#[test]
fn an_alias_bomb_in_a_large_file_is_refused_before_serde_yaml_expands_it() {
    let s = alias_bomb(20_000, 12_000);
    assert!(std::fs::metadata(stop_file(&s)).unwrap().len() > 128 * 1024);
    let mut cmd = common::bin();
    cmd.args(["lint", "--specs", s.specs().to_str().unwrap()]);
    cmd.args(["--schemas", s.schemas().to_str().unwrap()]);
    // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let r = common::output(cmd.output().unwrap());
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

// ---- item 8: strictness ----

#[test]
fn status_keys_are_written_in_decimal() {
    let s = Suite::copy();
    // YAML reads 0xC8 as 200: it used to replace the documented 200 without a word.
    s.edit(
        STOP,
        "  400:\n",
        "  0xC8:\n    schema: aom-error.schema.json\n  400:\n",
    );
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}3: ", at_line(&s, "  0xC8:")),
        "status \"0xC8\" must be written in decimal, such as 200",
    );
}

#[test]
fn a_byte_order_mark_is_accepted_in_every_input_file() {
    let s = Suite::copy();
    for rel in [STOP, "schemas/aom-error.schema.json"] {
        let p = s.dir.path().join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("\u{feff}{text}")).unwrap();
    }
    let r = lint(&s);
    assert_eq!(r.code, 0, "{r:?}");
    let target = s.dir.path().join("t.yaml");
    std::fs::write(
        &target,
        format!("\u{feff}name: bom\nendpoint: http://127.0.0.1:9\nproject_id: {PROJECT}\n"),
    )
    .unwrap();
    let mut args = vec!["run".to_owned()];
    args.extend(s.args());
    args.extend([
        "--target".into(),
        target.display().to_string(),
        "--list".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("StopExecution [200]"), "{r:?}");
}

#[test]
fn yaml_tags_are_refused() {
    let s = Suite::copy();
    s.edit(STOP, "  404:\n", "  !foo 404:\n");
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}8: ", at_line(&s, "  !foo 404:")),
        "YAML tag \"!foo\" is not supported",
    );
}

#[test]
fn a_case_needs_a_one_line_name() {
    for name in ["\"\"", "\"  \"", "\"two\\nlines\""] {
        let s = Suite::copy();
        s.edit(
            STOP,
            "- name: unknown execution id",
            &format!("- name: {name}"),
        );
        let r = lint(&s);
        let line = at_line(&s, &format!("- name: {name}"));
        let message = if name.contains("lines") {
            "a case's name is one line of text"
        } else {
            "a case needs a name"
        };
        assert_located(&r, &format!("{line}11: "), message);
    }
}

#[test]
fn captures_and_variables_cannot_set_built_in_or_unusable_names() {
    let s = Suite::copy();
    let file = s.specs().join("create-workflow.yaml");
    s.edit(
        "specs/create-workflow.yaml",
        "      capture: { workflow_id: /id }",
        "      capture: { workflow_id: /id, project_id: /id }",
    );
    s.edit(
        "specs/create-workflow.yaml",
        "\nfixtures:\n",
        "\nvariables:\n  run_id: x\n  \"a b\": y\n\nfixtures:\n",
    );
    let r = lint(&s);
    let at =
        |needle: &str, col: usize| format!("{}:{}:{col}: ", file.display(), line_of(&file, needle));
    assert_located(
        &r,
        &at("project_id: /id", 36),
        "capture: \"project_id\" is built in (the target's project id) and cannot be set here",
    );
    assert_located(&r, &at("run_id: x", 3), "\"run_id\" is built in");
    assert_located(&r, &at("\"a b\": y", 3), "\"a b\" is not a variable name");
}

#[test]
fn header_names_are_checked_when_the_suite_loads() {
    let s = Suite::copy();
    s.edit(
        STOP,
        "headers: { X-Aom-Mock-Fault: internal-error }",
        "headers: { \"X-Aom Mock-Fault\": internal-error }",
    );
    s.edit(
        STOP,
        "  content-type: { starts_with: application/json }",
        "  \"content type\": { starts_with: application/json }",
    );
    let r = lint(&s);
    assert_located(
        &r,
        &format!("{}18: ", at_line(&s, "\"X-Aom Mock-Fault\"")),
        "\"X-Aom Mock-Fault\" is not an HTTP header name",
    );
    assert_located(
        &r,
        &format!("{}3: ", at_line(&s, "\"content type\"")),
        "\"content type\" is not an HTTP header name",
    );
}

#[test]
fn a_huge_regex_in_a_schema_is_not_echoed_whole() {
    let s = Suite::copy();
    let pattern = format!("({}", "a".repeat(1_000_000));
    s.write(
        "schemas/bad-pattern.schema.json",
        &serde_json::json!({ "type": "string", "pattern": pattern }).to_string(),
    );
    let r = lint(&s);
    let file = s.schemas().join("bad-pattern.schema.json");
    // The start and the end (what is wrong) are kept; the middle is cut.
    assert_located(
        &r,
        &format!("{}:1:", file.display()),
        "aaaa\" is not a \"regex\"",
    );
    assert!(r.stderr.contains("invalid schema: \"(aaaa"), "{r:?}");
    assert!(r.stderr.contains("bytes cut]…"), "{r:?}");
    assert!(r.stderr.len() < 1000, "{} bytes of stderr", r.stderr.len());
}

/// `run --list` on the embedded mock's path: the target is resolved, nothing is sent.
fn list(extra: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut args = vec!["run", "--list"];
    args.extend_from_slice(extra);
    run_env(&args, env)
}

#[test]
fn credentials_in_the_environment_are_checked_before_any_case_runs() {
    let r = list(&[], &[("AOM_AUTH_TOKEN", "")]);
    assert_located(
        &r,
        "",
        "environment variable AOM_AUTH_TOKEN is set but empty",
    );
    let r = list(
        &[],
        &[("AOM_AUTH_TOKEN", "MIIfirst-line\nsecond-line-of-the-token")],
    );
    assert_located(
        &r,
        "",
        "environment variable AOM_AUTH_TOKEN holds a control character (a line break?)",
    );
    assert!(
        !r.all().contains("first-line") && !r.all().contains("second-line"),
        "{r:?}"
    );

    let both = [
        ("AOM_AUTH_TOKEN", "MIItoken-value"),
        ("CLOUD_SDK_AK", "AK-VALUE"),
        ("CLOUD_SDK_SK", "SK-VALUE-12345"),
    ];
    let r = list(&[], &both);
    assert_located(
        &r,
        "",
        "credentials for more than one auth mode are set (AOM_AUTH_TOKEN; CLOUD_SDK_AK and CLOUD_SDK_SK): choose with --auth token|aksk",
    );
    let r = list(&["--auth", "aksk"], &both);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn variable_and_algorithm_flags_are_checked() {
    let r = list(&["--var", "a b=c"], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("\"a b\" is not a variable name"), "{r:?}");
    let r = list(&["--var", "project_id=0123"], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("\"project_id\" is built in"), "{r:?}");

    let r = list(&["--signing-algorithm", "MD5"], &[]);
    assert_located(&r, "", "unknown signing algorithm \"MD5\"");
    let r = list(
        &["--signing-algorithm", "SDK-HMAC-SHA256"],
        &[("AOM_AUTH_TOKEN", "MIItoken-value")],
    );
    assert_located(&r, "", "is for AK/SK signing, but the auth mode is token");
}

#[test]
fn a_response_repeating_a_key_fails_its_case() {
    use axum::routing::any;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Valid against the schema whichever `error_code` a parser keeps.
    let body = r#"{"error_code":"AOM.31001306","error_msg":"no such workflow","http_code":404,"error_code":"AOM.31001306"}"#;
    let url = common::serve(
        &rt,
        axum::Router::new().fallback(any(move || async move {
            (
                axum::http::StatusCode::NOT_FOUND,
                [("content-type", "application/json")],
                body,
            )
        })),
    );
    let s = Suite::copy();
    let r = s.run_at(
        &url,
        "MIItoken-value",
        &["--exact", "StopExecution [404] unknown workflow id"],
        &[],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout
            .contains("body /: key \"error_code\" appears more than once in one object"),
        "{r:?}"
    );
}
