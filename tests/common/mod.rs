//! Small helpers for the integration tests: run the real binary, copy the shipped suite
//! into a scratch directory to break it, read the JUnit report.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test, with a clean environment for the variables it reads.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aom-conformance"));
    for v in [
        "AOM_ENDPOINT",
        "AOM_PROJECT_ID",
        "AOM_AUTH_TOKEN",
        "AOM_REGION",
        "AOM_IAM_PASSWORD",
        "CLOUD_SDK_AK",
        "CLOUD_SDK_SK",
        "CLOUD_SDK_SECURITY_TOKEN",
        "NO_COLOR",
        "CLICOLOR_FORCE",
    ] {
        c.env_remove(v);
    }
    c.current_dir(root());
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn output(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Run {
    output(bin().args(args).output().expect("binary runs"))
}

/// A scratch copy of the shipped `specs/` and `schemas/`.
pub struct Suite {
    pub dir: tempfile::TempDir,
}

impl Suite {
    pub fn copy() -> Suite {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["specs", "schemas"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            for e in std::fs::read_dir(root().join(sub)).unwrap() {
                let p = e.unwrap().path();
                std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
        Suite { dir }
    }
    pub fn specs(&self) -> PathBuf {
        self.dir.path().join("specs")
    }
    pub fn schemas(&self) -> PathBuf {
        self.dir.path().join("schemas")
    }
    pub fn junit(&self) -> PathBuf {
        self.dir.path().join("junit.xml")
    }
    /// Replaces the first occurrence of `from` in `file` (which must contain it).
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let p = self.dir.path().join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }
    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.path().join(rel), text).unwrap();
    }
    /// `--specs … --schemas … --junit …` for this copy.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--specs".into(),
            self.specs().display().to_string(),
            "--schemas".into(),
            self.schemas().display().to_string(),
            "--junit".into(),
            self.junit().display().to_string(),
        ]
    }
}

/// Line (1-based) of the first line of `file` containing `needle`.
pub fn line_of(file: &Path, needle: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in {}", file.display()))
}

/// The `name` attributes of every `<testcase>` in a JUnit file.
pub fn junit_cases(xml: &str) -> Vec<String> {
    xml.split("<testcase ")
        .skip(1)
        .filter_map(|tc| {
            let start = tc.find("name=\"")? + 6;
            let end = tc[start..].find('"')? + start;
            Some(tc[start..end].replace("&quot;", "\"").replace("&amp;", "&"))
        })
        .collect()
}
