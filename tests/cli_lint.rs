//! `lint` and `coverage`, and every kind of broken suite: exit 2 with a located message.

mod common;

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

#[test]
fn the_shipped_suite_lints_clean() {
    let r = run(&["lint"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("ok: "), "{r:?}");
}

#[test]
fn coverage_shows_all_13_operations_covered_and_lists_the_doc_gaps() {
    let r = run(&["coverage"]);
    assert_eq!(r.code, 0, "{r:?}");
    let operations = [
        "CreateWorkflow",
        "ListWorkflow",
        "ExecuteWorkflow",
        "ListWorkflowExecutions",
        "SearchWorkflowExecutionDetail",
        "StartPausingWorkflowExecutions",
        "StopExecution",
        "UpdateWorkflowTriggerStatus",
        "ListAllJobByName",
        "ListAllScriptByName",
        "ListAllVersionByVersionId",
        "ListTemplateByJobId",
        "SearchTemplateById",
    ];
    let (matrix, gaps) = r
        .stdout
        .split_once("\ndoc gaps (")
        .expect("a doc gaps section");
    for op in operations {
        assert!(
            matrix.lines().any(|l| l.starts_with(&format!("{op} "))),
            "{op} missing: {r:?}"
        );
    }
    assert!(!matrix.contains("MISSING"), "{r:?}");
    // Silence is listed, not asserted: e.g. ListAllScriptByName documents no 400.
    assert!(
        gaps.contains("\nListAllScriptByName\n  - no 400 documented"),
        "{r:?}"
    );
    let r = run(&["lint"]);
    assert!(
        r.stdout.starts_with("ok: ") && r.stdout.contains(" operations, "),
        "{r:?}"
    );
}

#[test]
fn a_family_no_file_defines_is_located() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "family: cms-workflow\n",
        "family: cms-wrokflow\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let file = s.specs().join("stop-execution.yaml");
    let line = line_of(&file, "family: cms-wrokflow");
    assert!(
        r.stderr.contains(&format!(
            "{}:{line}:9: unknown family \"cms-wrokflow\"; known: cms-workflow",
            file.display()
        )),
        "{r:?}"
    );
}

#[test]
fn unknown_field_is_located() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "      status: 404\n",
        "      staus: 404\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let file = s.specs().join("stop-execution.yaml");
    let line = line_of(&file, "staus: 404");
    assert!(
        r.stderr.contains(&format!("{}:{line}:7: ", file.display())),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("unknown field \"staus\", expected one of"),
        "{r:?}"
    );
}

/// An operation path is sent as written: a query, a fragment or a blank in it would be
/// escaped into the path (`%3F`, `%23`, `%20`), so each is refused where it is written.
#[test]
fn an_operation_path_with_a_query_fragment_or_blank_is_located() {
    for (path, message) in [
        ("/terminate?now=1", "path must not contain `?` or `#`"),
        ("/terminate#top", "path must not contain `?` or `#`"),
        ("/terminate ", "path must not contain blanks"),
    ] {
        let s = Suite::copy();
        s.edit(
            "specs/stop-execution.yaml",
            "path: /v1/{project_id}/cms/workflow/{workflow_id}/executions/{execution_id}/terminate\n",
            &format!(
                "path: \"/v1/{{project_id}}/cms/workflow/{{workflow_id}}/executions/{{execution_id}}{path}\"\n"
            ),
        );
        let r = lint(&s);
        assert_eq!(r.code, 2, "{path}: {r:?}");
        let file = s.specs().join("stop-execution.yaml");
        let at = format!("{}:{}:7: ", file.display(), line_of(&file, "path: \"/v1/"));
        assert!(
            r.stderr.contains(&format!("{at}{message}")),
            "{path}: {r:?}"
        );
    }
}

#[test]
fn malformed_yaml_is_located() {
    let s = Suite::copy();
    s.write(
        "specs/broken.yaml",
        "operation: X\nmethod: GET\npath: /x\nresponses:\n  200: {schema: [\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("broken.yaml:"), "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

#[test]
fn missing_schema_file_is_located() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "schema: stop-execution.200.schema.json",
        "schema: stop.200.json",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let file = s.specs().join("stop-execution.yaml");
    let line = line_of(&file, "schema: stop.200.json");
    assert!(
        r.stderr.contains(&format!(
            "{}:{line}:13: schema file \"stop.200.json\" does not exist",
            file.display()
        )),
        "{r:?}"
    );
}

#[test]
fn bad_ref_between_schemas_is_located() {
    let s = Suite::copy();
    s.edit(
        "schemas/workflow-list.schema.json",
        "\"$ref\": \"workflow.schema.json\"",
        "\"$ref\": \"wf.schema.json\"",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("workflow-list.schema.json:7:"), "{r:?}");
    assert!(r.stderr.contains("never fetched"), "{r:?}");
}

#[test]
fn undocumented_status_and_unknown_variable_are_located() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "      status: 404\n",
        "      status: 409\n",
    );
    s.edit(
        "specs/stop-execution.yaml",
        "missing-wf-{{case_uid}}",
        "missing-wf-{{case_id}}",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(
            "status 409 is not documented for StopExecution (documented: 200, 400, 401, 404, 500)"
        ),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("unknown variable `case_id`; known here: case_uid"),
        "{r:?}"
    );
}

#[test]
fn an_uncovered_documented_code_fails_lint_and_shows_in_coverage() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "\nresponses:\n",
        "\nresponses:\n  503:\n    description: Not really documented.\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let file = s.specs().join("stop-execution.yaml");
    let line = line_of(&file, "  503:");
    assert!(
        r.stderr.contains(&format!(
            "{}:{line}:3: documented status 503 of StopExecution has no case",
            file.display()
        )),
        "{r:?}"
    );
    let r = run(&[
        "coverage",
        "--specs",
        s.specs().to_str().unwrap(),
        "--schemas",
        s.schemas().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    // Columns are as wide as the longest operation name.
    assert!(
        r.stdout.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols == ["StopExecution", "503", "-", "MISSING"]
        }),
        "{r:?}"
    );
}

#[test]
fn shipped_specs_follow_the_case_file_schema() {
    let root = common::root();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schemas/case-file.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for e in std::fs::read_dir(root.join("specs")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/case-file.schema.json"),
            "{}",
            p.display()
        );
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let json = serde_json::to_value(yaml).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
    }
}

#[test]
fn fixture_cycles_are_reported_once_and_deep_chains_are_fine() {
    let s = Suite::copy();
    // A ten-deep chain of fixtures, each using the next: legitimate.
    let mut chain = String::from("fixtures:\n");
    for i in 1..10 {
        chain.push_str(&format!("  f{i}:\n    - use: f{}\n", i + 1));
    }
    chain.push_str("  f10:\n    - use: workflow\n");
    s.edit(
        "specs/stop-execution.yaml",
        "\ncases:\n",
        &format!("\n{chain}\ncases:\n"),
    );
    s.edit(
        "specs/stop-execution.yaml",
        "      - use: workflow\n",
        "      - use: f1\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 0, "{r:?}");

    // A cycle, used twice per expansion: one located error, at once.
    s.edit(
        "specs/stop-execution.yaml",
        "  f10:\n    - use: workflow\n",
        "  f10:\n    - use: f1\n    - use: f1\n",
    );
    let started = std::time::Instant::now();
    let r = lint(&s);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(r.code, 2, "{r:?}");
    let cycle: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("uses itself"))
        .collect();
    assert_eq!(
        cycle.len(),
        2,
        "one per `use:` line that closes the cycle: {r:?}"
    );
    assert!(
        cycle[0].contains(
            "fixture \"f1\" uses itself: f1 → f2 → f3 → f4 → f5 → f6 → f7 → f8 → f9 → f10 → f1"
        ),
        "{r:?}"
    );
}

#[test]
fn fixtures_see_their_own_files_variables_and_unless_must_name_a_capture() {
    let s = Suite::copy();
    s.edit(
        "specs/create-workflow.yaml",
        "\nfixtures:\n",
        "\nvariables:\n  wf_prefix: conformance\n\nfixtures:\n",
    );
    s.edit(
        "specs/create-workflow.yaml",
        "        name: \"conformance-{{case_uid}}\"",
        "        name: \"{{wf_prefix}}-{{case_uid}}\"",
    );
    let r = lint(&s);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&[
        "run",
        "--specs",
        s.specs().to_str().unwrap(),
        "--schemas",
        s.schemas().to_str().unwrap(),
        "--junit",
        "/dev/null",
        "StopExecution",
    ]);
    assert_eq!(r.code, 0, "{r:?}");

    s.edit(
        "specs/create-workflow.yaml",
        "      unless: workflow_id",
        "      unless: workfow_id",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let file = s.specs().join("create-workflow.yaml");
    let line = line_of(&file, "unless: workfow_id");
    assert!(
        r.stderr.contains(&format!(
            "{}:{line}:15: `unless: workfow_id` must name a variable this step captures",
            file.display()
        )),
        "{r:?}"
    );
    assert_eq!(
        r.stderr.matches("unless: workfow_id").count(),
        1,
        "reported once, not per case: {r:?}"
    );
}

#[test]
fn duplicate_keys_are_located_not_silently_merged() {
    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "  404:\n",
        "  200:\n    schema: aom-error.schema.json\n  404:\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let file = s.specs().join("stop-execution.yaml");
    let first = line_of(&file, "  200:");
    assert!(r.stderr.contains("duplicate key \"200\""), "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("(first at line {first}, column 3)")),
        "{r:?}"
    );

    let s = Suite::copy();
    s.edit(
        "specs/stop-execution.yaml",
        "method: POST\n",
        "method: POST\nmethod: GET\n",
    );
    let r = lint(&s);
    assert_eq!(r.code, 2, "{r:?}");
    let line = line_of(&file_in(&s), "method: GET");
    assert!(
        r.stderr.contains(&format!(
            "stop-execution.yaml:{line}:1: duplicate key \"method\""
        ),),
        "{r:?}"
    );
}

fn file_in(s: &Suite) -> std::path::PathBuf {
    s.specs().join("stop-execution.yaml")
}

#[cfg(unix)]
#[test]
fn symlinked_directories_and_yaml_named_directories_are_not_read() {
    let s = Suite::copy();
    std::os::unix::fs::symlink("..", s.specs().join("loop")).unwrap();
    std::fs::create_dir(s.specs().join("dir.yaml")).unwrap();
    let r = lint(&s);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_run_that_ends_in_bad_input_still_writes_a_report_with_one_error() {
    let s = Suite::copy();
    // An earlier green report must not survive a run that never ran a case.
    std::fs::write(
        s.junit(),
        "<testsuites><testsuite name=\"stale\"/></testsuites>",
    )
    .unwrap();
    s.edit("specs/stop-execution.yaml", "method: POST", "method: FETCH");
    let r = s.run(&[], &[]);
    assert_eq!(r.code, 2, "{r:?}");
    let xml = std::fs::read_to_string(s.junit()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let errors: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .collect();
    assert_eq!(errors.len(), 1, "{xml}");
    assert!(
        errors[0]
            .attribute("message")
            .unwrap()
            .contains("stop-execution.yaml:"),
        "{xml}"
    );
    assert!(!xml.contains("stale"), "{xml}");
}

#[test]
fn every_failure_class_has_its_exit_code() {
    // Mock flags (bad input) → 2; a port already taken (cannot start) → 3, for `mock`
    // exactly as for the embedded one.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let r = run(&["mock", "--listen", &addr, "--token", "t-0123456789"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains(&format!("cannot listen on {addr}")),
        "{r:?}"
    );
    let r = run(&["mock", "--ak", "AK-only"]);
    assert_eq!(r.code, 2, "{r:?}");
    // A bad flag value → 2 (clap's own exit code for usage errors).
    let r = run(&["run", "--test-threads", "0"]);
    assert_eq!(r.code, 2, "{r:?}");
}
