//! The JUnit XML reporter: collects finished cases and writes one `<testsuite>` per
//! target, written even when cases fail.
//!
//! Every text goes through [`xml_text`] first: a response body or a name may hold
//! characters XML 1.0 cannot carry at all (control characters, U+FFFE/U+FFFF), and a
//! report that does not parse is worse than none. The file is written next to its final
//! place and renamed over it, so a reader never sees half a report and a symlink at that
//! path is replaced, not followed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use parking_lot::Mutex;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{CaseReport, Event, Outcome, Reporter};

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    /// The directory or file cannot be created or written.
    #[error("cannot write JUnit report {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    /// quick-junit failed to serialize (should not happen with valid strings).
    #[error("cannot serialize JUnit report: {0}")]
    Serialize(String),
}

/// Properties of one target's suite (endpoint, project id, tool version).
pub type SuiteProperties = Vec<(String, String)>;

#[derive(Default)]
pub struct JunitReporter {
    // Locked once per finished case, never while a request is in flight.
    cases: Mutex<Vec<CaseReport>>,
}

impl Reporter for JunitReporter {
    fn on_event(&self, event: &Event) {
        if let Event::CaseFinished(r) = event {
            self.cases.lock().push(r.clone());
        }
    }
}

impl JunitReporter {
    /// Builds the XML. `suites` maps target name → properties, in the order to write.
    pub fn render(&self, suites: &[(String, SuiteProperties)]) -> Result<String, JunitError> {
        let mut by_target: BTreeMap<String, Vec<CaseReport>> = BTreeMap::new();
        for c in self.cases.lock().iter() {
            by_target
                .entry(c.target.clone())
                .or_default()
                .push(c.clone());
        }
        let mut report = Report::new("aom-conformance");
        let mut total = std::time::Duration::ZERO;
        for (target, props) in suites {
            let name = if target.is_empty() {
                "aom-conformance".to_owned()
            } else {
                format!("aom-conformance {target}")
            };
            let mut suite = TestSuite::new(xml_text(&name));
            for (k, v) in props {
                suite.add_property(Property::new(xml_text(k), xml_text(v)));
            }
            let mut cases = by_target.remove(target).unwrap_or_default();
            // Trials finish in any order; the report reads best in suite order.
            cases.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
            let mut suite_time = std::time::Duration::ZERO;
            for c in cases {
                let status = match &c.outcome {
                    Outcome::Passed => TestCaseStatus::success(),
                    Outcome::Failed {
                        kind,
                        summary,
                        message,
                    } => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_type(xml_text(kind));
                        // What went wrong, not where (the `-->` line): CI UIs show this.
                        s.set_message(xml_text(if summary.is_empty() {
                            first_line(message)
                        } else {
                            summary.as_str()
                        }));
                        s.set_description(xml_text(message));
                        s
                    }
                    Outcome::Ignored { reason } => {
                        let mut s = TestCaseStatus::skipped();
                        s.set_message(xml_text(reason));
                        s
                    }
                };
                let mut tc = TestCase::new(xml_text(&c.id), status);
                tc.set_classname(xml_text(&c.operation));
                tc.set_time(c.duration);
                tc.add_property(Property::new(
                    "file",
                    xml_text(&format!("{}:{}", c.file.display(), c.line)),
                ));
                suite_time += c.duration;
                suite.add_test_case(tc);
            }
            suite.set_time(suite_time);
            total += suite_time;
            report.add_test_suite(suite);
        }
        report.set_time(total);
        report
            .to_string()
            .map_err(|e| JunitError::Serialize(e.to_string()))
    }

    pub fn write(
        &self,
        path: &Path,
        suites: &[(String, SuiteProperties)],
    ) -> Result<(), JunitError> {
        let xml = self.render(suites)?;
        let err = |source| JunitError::Write {
            path: path.display().to_string(),
            source,
        };
        write_replacing(path, xml.as_bytes()).map_err(err)
    }
}

/// Writes `path` by writing a hidden file beside it and renaming it over `path`: readers
/// see the old report or the new one, never a part, and a symlink at `path` is replaced
/// rather than followed to overwrite whatever it points at.
pub fn write_replacing(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d
        }
        None => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// `text` with every character XML 1.0 does not allow replaced by U+FFFD.
fn xml_text(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if allowed(c) {
                        c
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(
            xml_text("a\u{1b}[31mb\u{FFFE}c\u{FFFF}\u{0}"),
            "a\u{FFFD}[31mb\u{FFFD}c\u{FFFD}\u{FFFD}"
        );
        assert!(matches!(xml_text("ok\ttab 密 😀"), Cow::Borrowed(_)));
    }
}
