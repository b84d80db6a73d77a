//! Recordings (`run --record DIR`, read by `diff --against DIR`): one JSON file per case,
//! `DIR/OPERATION/STATUS-NAME.json`, holding its masked [`CaseObservation`], and
//! `DIR/recording.json` saying what the directory is. Names come from case ids, keys are
//! sorted and nothing timed is kept, so recording the same endpoint twice gives the same
//! files and a recording can be committed and reviewed as a diff.
//!
//! Writing replaces the case files of an earlier recording in `DIR` (and only a
//! recording's: a directory with other files and no `recording.json` is refused).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CaseObservation;
use crate::spec::Location;

/// The file that marks a directory as a recording.
pub const MANIFEST: &str = "recording.json";
/// The format written; a recording of another version is refused, not misread.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    recording: String,
    version: u32,
    /// The recorded endpoint's label (region, target name or URL).
    target: String,
    /// Case id → its file, relative to the directory.
    cases: BTreeMap<String, String>,
}

/// Why a recording cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The directory is not a recording (no `recording.json`), or cannot be listed.
    #[error("{}: not a recording directory: {reason}", dir.display())]
    NotARecording { dir: PathBuf, reason: String },
    /// A file of the recording cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file of the recording is not what `run --record` writes.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

/// Writes `observations` (already masked) as the recording of `target` in `dir`.
pub fn write(
    dir: &Path,
    target: &str,
    observations: &[CaseObservation],
) -> Result<(), RecordingError> {
    prepare(dir)?;
    let mut cases = BTreeMap::new();
    let mut taken = std::collections::BTreeSet::new();
    let mut sorted: Vec<&CaseObservation> = observations.iter().collect();
    sorted.sort_by(|a, b| a.case.cmp(&b.case));
    for o in sorted {
        let rel = unique(file_name(o), &mut taken);
        let path = dir.join(&rel);
        let io = |source| RecordingError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(path.parent().unwrap_or(dir)).map_err(io)?;
        std::fs::write(&path, pretty(o)).map_err(io)?;
        cases.insert(o.case.clone(), rel);
    }
    let manifest = Manifest {
        recording: "aom-conformance".into(),
        version: VERSION,
        target: target.to_owned(),
        cases,
    };
    let path = dir.join(MANIFEST);
    std::fs::write(&path, pretty(&manifest)).map_err(|source| RecordingError::Io { path, source })
}

fn pretty<T: Serialize>(v: &T) -> String {
    // Serializing plain data (strings, numbers, maps with string keys) cannot fail.
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    text
}

/// Whether a recording can be written to `dir` (absent or empty, or an earlier
/// recording): checked before any case runs. Creates `dir`.
pub fn check(dir: &Path) -> Result<(), RecordingError> {
    let io = |source| RecordingError::Io {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    if dir.join(MANIFEST).is_file() {
        return read_manifest(dir).map(|_| ());
    }
    if std::fs::read_dir(dir).map_err(io)?.next().is_none() {
        return Ok(());
    }
    Err(RecordingError::NotARecording {
        dir: dir.to_owned(),
        reason: format!(
            "it holds other files and no {MANIFEST}; record into a new or empty directory"
        ),
    })
}

/// Whether `rel` (from a manifest) names a file inside the recording: a manifest is
/// input, and its names are removed and read.
fn inside(rel: &str) -> bool {
    !Path::new(rel).is_absolute() && !rel.split(['/', '\\']).any(|s| s == ".." || s.is_empty())
}

/// Makes `dir` ready: absent or empty, or an earlier recording whose case files go.
fn prepare(dir: &Path) -> Result<(), RecordingError> {
    check(dir)?;
    if !dir.join(MANIFEST).is_file() {
        return Ok(());
    }
    for rel in read_manifest(dir)?
        .cases
        .into_values()
        .filter(|r| inside(r))
    {
        let path = dir.join(&rel);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(RecordingError::Io { path, source: e });
            }
            _ => {}
        }
        // Left empty by a renamed case: removed if so, kept if anything else is there.
        if let Some(parent) = path.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
    Ok(())
}

/// `ListWorkflow/200-lists-the-workflows.json` for `ListWorkflow [200] lists the workflows`.
fn file_name(o: &CaseObservation) -> String {
    let rest = o.case.strip_prefix(&o.operation).unwrap_or(&o.case);
    let mut slug = String::new();
    for c in rest.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let dir: String = o
        .operation
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let dir = if dir.is_empty() {
        "case".to_owned()
    } else {
        dir
    };
    format!("{dir}/{}.json", if slug.is_empty() { "case" } else { slug })
}

/// `name`, or `name` with `-2`, `-3`… before `.json` when taken.
fn unique(name: String, taken: &mut std::collections::BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{}-{n}.json", name.trim_end_matches(".json"));
    }
    candidate
}

fn read_manifest(dir: &Path) -> Result<Manifest, RecordingError> {
    let path = dir.join(MANIFEST);
    if !dir.is_dir() {
        return Err(RecordingError::NotARecording {
            dir: dir.to_owned(),
            reason: "no such directory (`run --record DIR` makes one)".into(),
        });
    }
    if !path.is_file() {
        return Err(RecordingError::NotARecording {
            dir: dir.to_owned(),
            reason: format!("no {MANIFEST} in it (`run --record DIR` writes one)"),
        });
    }
    let manifest: Manifest = parse(&path)?;
    if manifest.recording != "aom-conformance" || manifest.version != VERSION {
        return Err(RecordingError::Invalid {
            at: Location::new(&path, 1, 1),
            message: format!(
                "a recording of format {:?} version {}; this aom-conformance reads version {VERSION}",
                manifest.recording, manifest.version
            ),
        });
    }
    Ok(manifest)
}

/// A JSON file of the recording, read within the input limits; errors located.
fn parse<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, RecordingError> {
    let text = crate::spec::limits::read_text(path).map_err(|e| RecordingError::Invalid {
        at: Location::new(path, e.line, e.col),
        message: e.message,
    })?;
    serde_json::from_str(&text).map_err(|e| RecordingError::Invalid {
        at: Location::new(path, e.line(), e.column()),
        message: crate::errors::strip_serde_position(&e.to_string()),
    })
}

/// Every case of the recording in `dir`, each checked to be the case its manifest names.
pub fn load(dir: &Path) -> Result<Vec<CaseObservation>, RecordingError> {
    let manifest = read_manifest(dir)?;
    if manifest.cases.is_empty() {
        return Err(RecordingError::Invalid {
            at: Location::new(dir.join(MANIFEST), 1, 1),
            message: "the recording holds no case".into(),
        });
    }
    let mut out = Vec::with_capacity(manifest.cases.len());
    for (case, rel) in manifest.cases {
        let path = dir.join(&rel);
        if !inside(&rel) {
            return Err(RecordingError::Invalid {
                at: Location::new(dir.join(MANIFEST), 1, 1),
                message: format!("case {case:?}: {rel:?} is not a path inside the recording"),
            });
        }
        let o: CaseObservation = parse(&path)?;
        if o.case != case {
            return Err(RecordingError::Invalid {
                at: Location::new(&path, 1, 1),
                message: format!(
                    "holds case {:?}, but {MANIFEST} names it for {case:?}",
                    o.case
                ),
            });
        }
        out.push(o);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fidelity::Verdict;

    fn obs(case: &str, op: &str) -> CaseObservation {
        CaseObservation {
            case: case.into(),
            at: "specs/x.yaml:1:1".into(),
            operation: op.into(),
            verdict: Verdict::Passed,
            checked_headers: vec![],
            calls: vec![],
            volatile: vec![],
        }
    }

    #[test]
    fn names_are_stable_readable_and_distinct() {
        let mut taken = Default::default();
        let a = obs(
            "StopExecution [400] terminating the same execution twice",
            "StopExecution",
        );
        assert_eq!(
            unique(file_name(&a), &mut taken),
            "StopExecution/400-terminating-the-same-execution-twice.json"
        );
        let b = obs(
            "StopExecution [400] terminating the same execution, twice",
            "StopExecution",
        );
        assert_eq!(
            unique(file_name(&b), &mut taken),
            "StopExecution/400-terminating-the-same-execution-twice-2.json"
        );
        let c = obs("../../etc [1] x", "../..");
        assert_eq!(file_name(&c), "case/etc-1-x.json");
    }

    #[test]
    fn written_recordings_read_back_and_rerecording_replaces_only_case_files() {
        let dir = tempfile::tempdir().unwrap();
        let cases = vec![obs("B [200] b", "B"), obs("A [200] a", "A")];
        write(dir.path(), "mock", &cases).unwrap();
        let first = std::fs::read_to_string(dir.path().join("A/200-a.json")).unwrap();
        let mut back = load(dir.path()).unwrap();
        back.sort_by(|a, b| a.case.cmp(&b.case));
        assert_eq!(back, vec![cases[1].clone(), cases[0].clone()]);
        std::fs::write(dir.path().join("README"), "mine").unwrap();
        write(dir.path(), "mock", &cases[1..]).unwrap();
        assert!(!dir.path().join("B").exists());
        assert!(dir.path().join("README").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("A/200-a.json")).unwrap(),
            first
        );
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("notes.txt"), "x").unwrap();
        let e = write(other.path(), "mock", &cases).unwrap_err();
        assert!(e.to_string().contains("not a recording directory"), "{e}");
    }
}
