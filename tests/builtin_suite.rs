//! The suite built into the binary: `run`, `lint` and `coverage` from a directory with no
//! `specs/` or `schemas/`, `--specs`/`--schemas` overriding each half on its own,
//! directory problems without a made-up line and column, and `suite export`.

mod common;

use std::path::Path;

use common::{Run, bin_in, line_of, output, root};

/// The binary run from `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    output(bin_in(dir).args(args).output().expect("binary runs"))
}

#[test]
fn lint_coverage_and_run_work_from_any_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let r = run_in(cwd.path(), &["lint"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("ok: "), "{r:?}");

    let r = run_in(cwd.path(), &["coverage"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("StopExecution"), "{r:?}");

    let r = run_in(cwd.path(), &["run", "-q"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The report lands in the user's directory; built-in files keep the repository's
    // names, so a failure's `file` attribute reads as from a checkout.
    let xml = std::fs::read_to_string(cwd.path().join("reports/junit.xml")).unwrap();
    assert!(xml.contains("file=\"specs/stop-execution.yaml\""), "{xml}");
}

#[test]
fn an_edited_copy_is_located_by_its_own_path() {
    let cwd = tempfile::tempdir().unwrap();
    assert_eq!(run_in(cwd.path(), &["suite", "export", "suite"]).code, 0);
    let file = cwd.path().join("suite/specs/stop-execution.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("\noperation:", "\noperaton:", 1)).unwrap();
    let line = line_of(&file, "operaton:");
    // Only --specs given: the schemas stay built in, and the error names the copy.
    let r = run_in(cwd.path(), &["lint", "--specs", "suite/specs"]);
    assert_eq!(r.code, 2, "{r:?}");
    let expected =
        format!("error: suite/specs/stop-execution.yaml:{line}:1: unknown field \"operaton\"");
    assert!(r.stderr.contains(&expected), "{r:?}");
}

#[test]
fn specs_and_schemas_override_independently() {
    let cwd = tempfile::tempdir().unwrap();
    assert_eq!(run_in(cwd.path(), &["suite", "export", "."]).code, 0);
    let schema = cwd.path().join("schemas/aom-error.schema.json");
    std::fs::write(&schema, "{ not json").unwrap();
    // Built-in specs with the broken schemas directory: the schema copy is what is read.
    let r = run_in(cwd.path(), &["lint", "--schemas", "schemas"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("error: schemas/aom-error.schema.json:1:3: invalid JSON"),
        "{r:?}"
    );
    // The broken copy is not read unless asked for: cwd holds specs/ and schemas/ now.
    assert_eq!(run_in(cwd.path(), &["lint"]).code, 0);
    assert_eq!(run_in(cwd.path(), &["lint", "--specs", "specs"]).code, 0);
}

#[test]
fn directory_problems_carry_no_line_and_column() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join("empty")).unwrap();
    for (args, expected) in [
        (
            ["lint", "--specs", "missing"],
            "error: missing: cannot read the specs directory: ",
        ),
        (
            ["lint", "--schemas", "missing"],
            "error: missing: cannot read the schemas directory: ",
        ),
        (
            ["coverage", "--specs", "empty"],
            "error: empty: no case files (*.yaml) in the specs directory\n",
        ),
    ] {
        let r = run_in(cwd.path(), &args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with(expected), "{args:?}: {r:?}");
        assert!(!r.stderr.contains(":1:1"), "{args:?}: {r:?}");
    }
}

#[test]
fn export_writes_every_shipped_file_as_it_is_in_the_repository() {
    let cwd = tempfile::tempdir().unwrap();
    let r = run_in(cwd.path(), &["suite", "export", "out/suite"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("aom-conformance run --specs out/suite/specs --schemas out/suite/schemas"),
        "{r:?}"
    );
    for sub in ["specs", "schemas"] {
        let mut shipped: Vec<_> = std::fs::read_dir(root().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        shipped.sort();
        let mut written: Vec<_> = std::fs::read_dir(cwd.path().join("out/suite").join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        written.sort();
        assert_eq!(written, shipped, "{sub}");
        for name in shipped {
            let a = std::fs::read(root().join(sub).join(&name)).unwrap();
            let b = std::fs::read(cwd.path().join("out/suite").join(sub).join(&name)).unwrap();
            assert!(a == b, "{sub}/{name:?} differs");
        }
    }
    // The copy is a suite: it lints, and it runs.
    let args = [
        "--specs",
        "out/suite/specs",
        "--schemas",
        "out/suite/schemas",
    ];
    let r = run_in(cwd.path(), &[&["lint"][..], &args].concat());
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn export_refuses_to_overwrite_unless_forced() {
    let cwd = tempfile::tempdir().unwrap();
    assert_eq!(run_in(cwd.path(), &["suite", "export", "s"]).code, 0);
    let edited = cwd.path().join("s/specs/stop-execution.yaml");
    std::fs::write(&edited, "my edit\n").unwrap();
    let gone = cwd.path().join("s/schemas/workflow.schema.json");
    std::fs::remove_file(&gone).unwrap();

    let r = run_in(cwd.path(), &["suite", "export", "s"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("already exist"), "{r:?}");
    assert!(r.stderr.contains("--force"), "{r:?}");
    // Nothing written: the edit stays, the removed file is not brought back.
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "my edit\n");
    assert!(!gone.exists());

    // --force writes everything; a symlink in the way is replaced, never written through.
    let outside = cwd.path().join("outside.txt");
    std::fs::write(&outside, "keep\n").unwrap();
    std::fs::remove_file(&edited).unwrap();
    std::os::unix::fs::symlink(&outside, &edited).unwrap();
    let r = run_in(cwd.path(), &["suite", "export", "--force", "s"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep\n");
    assert!(!edited.symlink_metadata().unwrap().is_symlink());
    assert_eq!(
        std::fs::read(&edited).unwrap(),
        std::fs::read(root().join("specs/stop-execution.yaml")).unwrap()
    );
    assert!(gone.is_file());
}

#[test]
fn export_into_a_path_it_cannot_write_is_bad_input() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join("file"), "").unwrap();
    let r = run_in(cwd.path(), &["suite", "export", "file"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.starts_with("error: file/specs/"), "{r:?}");
    assert!(r.stderr.contains(": cannot write: "), "{r:?}");
}
