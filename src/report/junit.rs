//! The JUnit XML reporter: one `<testsuite>` per target, named after it; classnames
//! `{target}.{operation}` with several targets so CI systems never merge their results;
//! `file`/`line` attributes pointing at the case; `<failure>` for a contract mismatch,
//! `<error>` for what kept a case from judging the endpoint (setup, transport, timeout,
//! interrupt). A run that ends in an input or reachability error still gets a report:
//! one `<error>` test case carrying the message, never a stale report left behind.
//!
//! Every text goes through [`xml_text`] first: a response body or a name may hold
//! characters XML 1.0 cannot carry at all (control characters, U+FFFE/U+FFFF), and a
//! report that does not parse is worse than none. Files are written by [`super::file`].

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::failure::{self, redactor_for};
use super::redact::Redactor;
use super::{CaseFinished, Event, FailureClass, Outcome, ReportError, Reporter, RunInfo};

/// Collects finished cases; writes the file in [`Reporter::finish`].
pub struct JunitReporter {
    path: PathBuf,
    // Locked once per finished case, never while a request is in flight.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    suites: Vec<Suite>,
    started: Option<SystemTime>,
    /// Set when the run ended before running cases (exit 2/3).
    aborted: Option<String>,
}

/// One target's suite, as collected.
struct Suite {
    name: String,
    /// Prefix of every classname (`"{target}."`), empty with one target.
    class_prefix: String,
    properties: Vec<(String, String)>,
    redactor: Redactor,
    cases: Vec<Case>,
}

/// One finished case, already turned into text (no response is kept).
struct Case {
    name: String,
    classname: String,
    file: PathBuf,
    line: usize,
    duration: Duration,
    request_id: Option<String>,
    /// Who answered, when an alternative answer passed the case.
    answered_by: Option<String>,
    verdict: Verdict,
}

enum Verdict {
    Passed,
    Skipped(String),
    NonSuccess {
        kind: NonSuccessKind,
        r#type: String,
        message: String,
        description: String,
    },
}

impl JunitReporter {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JunitReporter {
            path: path.into(),
            state: Mutex::default(),
        }
    }
}

impl Reporter for JunitReporter {
    fn on_event(&self, event: &Event<'_>) {
        match event {
            Event::RunStarted(run) => self.state.lock().start(run),
            Event::CaseFinished(c) => {
                let mut state = self.state.lock();
                if let Some(suite) = state.suites.get_mut(c.case.target) {
                    let case = Case::new(c, suite);
                    suite.cases.push(case);
                }
            }
            Event::RunAborted { message } => {
                self.state.lock().aborted = Some((*message).to_owned())
            }
            _ => {}
        }
    }

    fn finish(&self) -> Result<(), ReportError> {
        let xml = self.state.lock().render()?;
        super::file::write(&self.path, xml.as_bytes()).map_err(|source| ReportError::Write {
            kind: "JUnit",
            path: self.path.clone(),
            source,
        })
    }
}

impl State {
    fn start(&mut self, run: &RunInfo) {
        let several = run.targets.len() > 1;
        self.started = Some(run.started);
        self.suites = run
            .targets
            .iter()
            .map(|t| Suite {
                name: if t.name.is_empty() {
                    "aom-conformance".to_owned()
                } else {
                    t.name.clone()
                },
                class_prefix: if several {
                    format!("{}.", t.name)
                } else {
                    String::new()
                },
                properties: vec![
                    ("endpoint".to_owned(), t.endpoint.clone()),
                    ("project_id".to_owned(), t.project_id.clone()),
                    ("auth".to_owned(), t.auth.to_owned()),
                    ("region".to_owned(), t.region.clone().unwrap_or_default()),
                    ("capabilities".to_owned(), t.capabilities.join(",")),
                    ("run_id".to_owned(), run.run_id.clone()),
                    (
                        "tool_version".to_owned(),
                        env!("CARGO_PKG_VERSION").to_owned(),
                    ),
                ],
                redactor: t.redactor.clone(),
                cases: Vec::new(),
            })
            .collect();
        // Only a part says so: a whole run's report stays as it was.
        if let Some(p) = run.partition {
            for suite in &mut self.suites {
                suite
                    .properties
                    .push(("partition".to_owned(), p.to_string()));
            }
        }
    }

    fn render(&mut self) -> Result<String, ReportError> {
        let mut report = Report::new("aom-conformance");
        let timestamp = self.started.map(chrono::DateTime::<chrono::Utc>::from);
        if let Some(ts) = timestamp {
            report.set_timestamp(ts);
        }
        if let Some(message) = &self.aborted {
            report.add_test_suite(aborted_suite(message, timestamp));
        }
        let mut total = Duration::ZERO;
        for suite in &mut self.suites {
            let s = suite.render(timestamp);
            total += s.time.unwrap_or_default();
            report.add_test_suite(s);
        }
        report.set_time(total);
        report.to_string().map_err(|e| ReportError::Serialize {
            kind: "JUnit",
            message: e.to_string(),
        })
    }
}

impl Suite {
    fn render(&mut self, timestamp: Option<chrono::DateTime<chrono::Utc>>) -> TestSuite {
        let mut suite = TestSuite::new(xml_text(&self.name));
        if let Some(ts) = timestamp {
            suite.set_timestamp(ts);
        }
        suite
            .extra
            .insert("hostname".into(), xml_text(&hostname()).into());
        for (k, v) in &self.properties {
            suite.add_property(Property::new(xml_text(k), xml_text(v)));
        }
        // Trials finish in any order; the report reads best in suite order.
        self.cases
            .sort_by(|a, b| (&a.file, a.line, &a.name).cmp(&(&b.file, b.line, &b.name)));
        let mut time = Duration::ZERO;
        for c in &self.cases {
            time += c.duration;
            suite.add_test_case(c.render());
        }
        suite.set_time(time);
        suite
    }
}

impl Case {
    fn new(c: &CaseFinished, suite: &Suite) -> Case {
        Case {
            name: c.case.id.clone(),
            classname: format!("{}{}", suite.class_prefix, c.case.operation),
            file: c.case.at.file.clone(),
            line: c.case.at.line,
            duration: c.duration,
            request_id: c.exchange.as_ref().and_then(|e| {
                let id = e.request_id.as_deref()?;
                let r = suite.redactor.with_extra(&e.sent_secrets);
                Some(super::text::clip(
                    &super::text::one_line(&r.redact(id)),
                    super::text::VALUE_MAX,
                ))
            }),
            answered_by: c.exchange.as_ref().and_then(|e| e.answered_by.clone()),
            verdict: Verdict::of(c, &suite.redactor),
        }
    }

    fn render(&self) -> TestCase {
        let status = match &self.verdict {
            Verdict::Passed => TestCaseStatus::success(),
            Verdict::Skipped(reason) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(xml_text(reason));
                s
            }
            Verdict::NonSuccess {
                kind,
                r#type,
                message,
                description,
            } => {
                let mut s = TestCaseStatus::non_success(*kind);
                s.set_type(xml_text(r#type));
                s.set_message(xml_text(message));
                s.set_description(xml_text(description));
                s
            }
        };
        let mut tc = TestCase::new(xml_text(&self.name), status);
        tc.set_classname(xml_text(&self.classname));
        tc.set_time(self.duration);
        tc.extra.insert(
            "file".into(),
            xml_text(&self.file.display().to_string()).into(),
        );
        tc.extra.insert("line".into(), self.line.to_string().into());
        if let Some(id) = &self.request_id {
            tc.add_property(Property::new("request_id", xml_text(id)));
        }
        if let Some(by) = &self.answered_by {
            tc.add_property(Property::new("answered_by", xml_text(by)));
            tc.set_system_out(format!(
                "answered by {} (a documented alternative)",
                xml_text(by)
            ));
        }
        tc
    }
}

impl Verdict {
    fn of(c: &CaseFinished, target: &Redactor) -> Verdict {
        match &c.outcome {
            Outcome::Passed => Verdict::Passed,
            Outcome::Ignored { reason } => Verdict::Skipped(reason.clone()),
            Outcome::KnownDeviation { reason, .. } => {
                Verdict::Skipped(Outcome::deviation_text(reason))
            }
            Outcome::Interrupted => Verdict::NonSuccess {
                kind: NonSuccessKind::Error,
                r#type: "interrupted".into(),
                message: super::INTERRUPTED.into(),
                description: String::new(),
            },
            Outcome::Failed(f) => {
                let r = redactor_for(f, target);
                let kind = match f.class() {
                    FailureClass::Mismatch => NonSuccessKind::Failure,
                    _ => NonSuccessKind::Error,
                };
                Verdict::NonSuccess {
                    kind,
                    r#type: failure::kind(f).into(),
                    // What went wrong, not where (the `-->` line): CI UIs show this.
                    message: failure::summary(f, &r),
                    description: failure::render(f, &c.case.at, false, &r),
                }
            }
        }
    }
}

/// The suite of a run that ended before its cases: one `<error>` with the message.
fn aborted_suite(message: &str, timestamp: Option<chrono::DateTime<chrono::Utc>>) -> TestSuite {
    let mut suite = TestSuite::new("aom-conformance");
    if let Some(ts) = timestamp {
        suite.set_timestamp(ts);
    }
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_type("run");
    status.set_message(xml_text(message.lines().next().unwrap_or("")));
    status.set_description(xml_text(message));
    let mut tc = TestCase::new("run", status);
    tc.set_classname("aom-conformance");
    suite.add_test_case(tc);
    suite
}

/// This machine's name, for the `hostname` attribute CI systems show.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// `text` with every character XML 1.0 does not allow replaced by U+FFFD.
pub fn xml_text(text: &str) -> Cow<'_, str> {
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
