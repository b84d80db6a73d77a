//! The JUnit XML reporter: collects finished cases and writes one `<testsuite>` per
//! target, written even when cases fail.

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
            let mut suite = TestSuite::new(name);
            for (k, v) in props {
                suite.add_property(Property::new(k.as_str(), v.as_str()));
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
                        s.set_type(kind.as_str());
                        // What went wrong, not where (the `-->` line): CI UIs show this.
                        s.set_message(if summary.is_empty() {
                            first_line(message)
                        } else {
                            summary.as_str()
                        });
                        s.set_description(message.as_str());
                        s
                    }
                    Outcome::Ignored { reason } => {
                        let mut s = TestCaseStatus::skipped();
                        s.set_message(reason.as_str());
                        s
                    }
                };
                let mut tc = TestCase::new(c.id.as_str(), status);
                tc.set_classname(c.operation.as_str());
                tc.set_time(c.duration);
                tc.add_property(Property::new(
                    "file",
                    format!("{}:{}", c.file.display(), c.line),
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
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        std::fs::write(path, xml).map_err(err)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
