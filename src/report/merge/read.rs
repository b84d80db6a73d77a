//! Reading one JSON report (`run --report json PATH`, `schemas/run-report.schema.json`)
//! back into the typed events it was written from. Every line is checked as it is read;
//! a problem is located at `file:line:col`. Texts come back as written — already
//! redacted and cut short — and are not redacted or cut again.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::MergeError;
use crate::http::Rendered;
use crate::plan::partition::{Partition, Scheme};
use crate::report::json::FORMAT_VERSION;
use crate::report::redact::Redactor;
use crate::report::{
    CaseFinished, CaseInfo, Exchange, Failure, FailureClass, Outcome, Problem, RecordedFailure,
    RunFinished, RunInfo, TargetInfo, Warning,
};
use crate::spec::Location;
use crate::spec::model::AuthMode;

/// A report longer than this is not one this tool wrote for a sane suite: refuse it
/// rather than read gigabytes.
const MAX_REPORT_BYTES: u64 = 1 << 30;

/// One part's report, as read.
pub struct PartReport {
    pub path: PathBuf,
    pub info: RunInfo,
    /// Case and warning events, in the order they were written.
    pub events: Vec<Recorded>,
    pub end: Ending,
}

/// A case or warning line, typed again.
pub enum Recorded {
    /// The case, and the line it was on (for "in two parts" messages).
    Case {
        line: usize,
        case: CaseFinished,
    },
    Warning {
        target: usize,
        warning: Warning,
    },
}

/// How the part's run ended.
pub enum Ending {
    Finished(RunFinished),
    /// `run_aborted`: the part ran no case. The line, and why.
    Aborted {
        line: usize,
        message: String,
    },
}

/// One line as serde reads it: the shapes of `schemas/run-report.schema.json`, fields
/// this reader does not need left out (so later additions still read).
#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Line {
    RunStarted(Started),
    CaseFinished(Box<Case>),
    Warning(WarningLine),
    RunFinished(Finished),
    RunAborted(Aborted),
}

#[derive(Deserialize)]
struct Started {
    format_version: u32,
    run_id: String,
    started: String,
    #[serde(default)]
    partition: Option<PartitionLine>,
    #[serde(default)]
    suite: Option<String>,
    #[serde(default)]
    selection: String,
    targets: Vec<TargetLine>,
}

#[derive(Deserialize)]
struct PartitionLine {
    scheme: SchemeName,
    part: u64,
    total: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SchemeName {
    Hash,
    Count,
}

#[derive(Deserialize)]
struct TargetLine {
    name: String,
    endpoint: String,
    project_id: String,
    auth: String,
    region: Option<String>,
    capabilities: Vec<String>,
    cases: usize,
    operations: Vec<OperationLine>,
}

#[derive(Deserialize)]
struct OperationLine {
    operation: String,
    statuses: Vec<u16>,
}

#[derive(Deserialize)]
struct Case {
    target: String,
    id: String,
    operation: String,
    status: u16,
    name: String,
    file: String,
    line: usize,
    col: usize,
    duration_ms: f64,
    outcome: OutcomeName,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    failure: Option<FailureLine>,
    #[serde(default)]
    request: Option<RequestLine>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum OutcomeName {
    Passed,
    Failed,
    Ignored,
    Interrupted,
    KnownDeviation,
}

#[derive(Deserialize)]
struct FailureLine {
    class: ClassName,
    kind: String,
    summary: String,
    message: String,
    mismatches: Vec<MismatchLine>,
    response_status: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ClassName {
    Mismatch,
    Setup,
    Transport,
    Timeout,
}

#[derive(Deserialize)]
struct MismatchLine {
    kind: String,
    text: String,
}

#[derive(Deserialize)]
struct RequestLine {
    method: String,
    path: String,
    status: Option<u16>,
    request_id: Option<String>,
    answered_by: Option<String>,
}

#[derive(Deserialize)]
struct WarningLine {
    target: String,
    message: String,
}

#[derive(Deserialize)]
struct Finished {
    passed: u64,
    failed: u64,
    ignored: u64,
    filtered_out: u64,
    interrupted: bool,
    duration_ms: f64,
    #[serde(default)]
    exit_code: Option<u8>,
}

#[derive(Deserialize)]
struct Aborted {
    message: String,
}

/// The failure kinds the schema allows (`failure.kind`), as the reporters need them:
/// `'static`.
const KINDS: &[&str] = &[
    "mismatch",
    "status",
    "not-json",
    "schema",
    "error-code",
    "http-code",
    "body",
    "header",
    "body-size",
    "duplicate-key",
    "setup",
    "transport",
    "timeout",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
const AUTHS: &[&str] = &["none", "token", "ak/sk"];

/// Reads the report at `path`.
pub fn read(path: &Path) -> Result<PartReport, MergeError> {
    let text = read_text(path)?;
    let mut reader = Reader {
        path,
        line: 0,
        targets: Vec::new(),
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((n, first)) = lines.next() else {
        return Err(reader.at(1, 1, "empty: not a JSON report (`run --report json PATH`)"));
    };
    reader.line = n + 1;
    let info = reader.first(first)?;
    let mut events = Vec::new();
    for (n, line) in lines {
        reader.line = n + 1;
        if let Some(end) = reader.next(line, &mut events)? {
            return reader.last(lines_after(&text, n), info, events, end);
        }
    }
    Err(MergeError::Unfinished {
        path: path.to_owned(),
    })
}

/// Whether anything but blank lines follows line `n` (0-based) of `text`.
fn lines_after(text: &str, n: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(n + 1)
        .find(|(_, l)| !l.trim().is_empty())
        .map(|(i, _)| i + 1)
}

/// The file as UTF-8 text. Only a regular file is opened: a FIFO would block until
/// someone writes to it, and `/dev/zero` never ends.
fn read_text(path: &Path) -> Result<String, MergeError> {
    let fail = |source: std::io::Error| MergeError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    if meta.len() > MAX_REPORT_BYTES {
        return Err(fail(std::io::Error::other("larger than 1 GiB")));
    }
    let bytes = std::fs::read(path).map_err(fail)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = before.len()
            - before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
        MergeError::Corrupt {
            at: Location::new(path, line, col + 1),
            message: "not UTF-8 text".into(),
        }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Where the reader is, and what it learnt from run_started.
struct Reader<'a> {
    path: &'a Path,
    /// 1-based.
    line: usize,
    /// Target names, by index.
    targets: Vec<String>,
}

impl Reader<'_> {
    fn here(&self) -> Location {
        Location::new(self.path, self.line, 1)
    }

    fn at(&self, line: usize, col: usize, message: impl Into<String>) -> MergeError {
        MergeError::Corrupt {
            at: Location::new(self.path, line, col),
            message: message.into(),
        }
    }

    fn bad(&self, message: impl Into<String>) -> MergeError {
        self.at(self.line, 1, message)
    }

    /// The first line: run_started, or the run_aborted of a run that never started.
    fn first(&mut self, text: &str) -> Result<RunInfo, MergeError> {
        match self.parse(text)? {
            Line::RunStarted(s) => self.started(s),
            Line::RunAborted(a) => Err(MergeError::Aborted {
                at: self.here(),
                message: a.message,
            }),
            _ => Err(self.bad("the first line is not run_started")),
        }
    }

    /// A line after the first: a case or warning goes to `events`; the run's end is
    /// returned.
    fn next(&self, text: &str, events: &mut Vec<Recorded>) -> Result<Option<Ending>, MergeError> {
        match self.parse(text)? {
            Line::CaseFinished(c) => events.push(Recorded::Case {
                line: self.line,
                case: self.case(*c)?,
            }),
            Line::Warning(w) => events.push(Recorded::Warning {
                target: self.target(&w.target)?,
                warning: Warning::Recorded { message: w.message },
            }),
            Line::RunFinished(f) => return Ok(Some(Ending::Finished(self.finished(&f)?))),
            Line::RunAborted(a) => {
                return Ok(Some(Ending::Aborted {
                    line: self.line,
                    message: a.message,
                }));
            }
            Line::RunStarted(_) => return Err(self.bad("a second run_started line")),
        }
        Ok(None)
    }

    fn parse(&self, text: &str) -> Result<Line, MergeError> {
        serde_json::from_str(text).map_err(|e| {
            // serde's own " at line L column C" is within this one line: ours replaces it.
            let message = crate::errors::strip_serde_position(&e.to_string());
            self.at(
                self.line,
                e.column().max(1),
                format!("not a report line: {message}"),
            )
        })
    }

    /// The end of the report: nothing may follow it.
    fn last(
        &self,
        after: Option<usize>,
        info: RunInfo,
        events: Vec<Recorded>,
        end: Ending,
    ) -> Result<PartReport, MergeError> {
        if let Some(line) = after {
            return Err(self.at(
                line,
                1,
                "a line after the run's last (run_finished or run_aborted)",
            ));
        }
        Ok(PartReport {
            path: self.path.to_owned(),
            info,
            events,
            end,
        })
    }

    fn started(&mut self, s: Started) -> Result<RunInfo, MergeError> {
        if s.format_version != FORMAT_VERSION {
            return Err(self.bad(format!(
                "format_version {} is not {FORMAT_VERSION}, the one this version reads",
                s.format_version
            )));
        }
        let started = chrono::DateTime::parse_from_rfc3339(&s.started)
            .map_err(|e| self.bad(format!("started {:?}: {e}", s.started)))?;
        let partition = s.partition.map(|p| self.partition(&p)).transpose()?;
        self.targets = s.targets.iter().map(|t| t.name.clone()).collect();
        let targets = s
            .targets
            .into_iter()
            .map(|t| self.target_info(t))
            .collect::<Result<_, _>>()?;
        Ok(RunInfo {
            targets,
            started: SystemTime::from(started),
            run_id: s.run_id,
            partition,
            suite: s.suite.unwrap_or_default(),
            selection: s.selection,
            merged: Vec::new(),
        })
    }

    fn partition(&self, p: &PartitionLine) -> Result<Partition, MergeError> {
        let scheme = match p.scheme {
            SchemeName::Hash => Scheme::Hash,
            SchemeName::Count => Scheme::Count,
        };
        let text = format!("{}:{}/{}", scheme.name(), p.part, p.total);
        text.parse()
            .map_err(|e| self.bad(format!("partition: {e}")))
    }

    fn target_info(&self, t: TargetLine) -> Result<TargetInfo, MergeError> {
        let auth = known(AUTHS, &t.auth).ok_or_else(|| self.bad(format!("auth {:?}", t.auth)))?;
        Ok(TargetInfo {
            name: t.name,
            endpoint: t.endpoint,
            project_id: t.project_id,
            auth,
            region: t.region,
            capabilities: t.capabilities,
            cases: t.cases,
            // The texts were redacted when written; no secret is known here.
            redactor: Redactor::default(),
            operations: t
                .operations
                .into_iter()
                .map(|o| (o.operation, o.statuses))
                .collect(),
        })
    }

    fn target(&self, name: &str) -> Result<usize, MergeError> {
        self.targets
            .iter()
            .position(|t| t == name)
            .ok_or_else(|| self.bad(format!("target {name:?} is not one of run_started's")))
    }

    fn case(&self, c: Case) -> Result<CaseFinished, MergeError> {
        let exchange = c.request.map(|r| self.exchange(r)).transpose()?;
        let duration = Duration::try_from_secs_f64(c.duration_ms / 1000.0)
            .map_err(|e| self.bad(format!("duration_ms {}: {e}", c.duration_ms)))?;
        let failure = c
            .failure
            .map(|f| self.failure(f, exchange.as_ref()))
            .transpose()?;
        let outcome = self.outcome(c.outcome, c.reason, failure)?;
        Ok(CaseFinished {
            case: CaseInfo {
                target: self.target(&c.target)?,
                id: c.id,
                operation: c.operation,
                status: c.status,
                name: c.name,
                at: Location::new(c.file, c.line, c.col),
            },
            outcome,
            exchange,
            duration,
        })
    }

    fn outcome(
        &self,
        name: OutcomeName,
        reason: Option<String>,
        failure: Option<Box<Failure>>,
    ) -> Result<Outcome, MergeError> {
        let missing = |what: &str| self.bad(format!("an outcome of this kind needs a {what}"));
        Ok(match name {
            OutcomeName::Passed => Outcome::Passed,
            OutcomeName::Interrupted => Outcome::Interrupted,
            OutcomeName::Ignored => Outcome::Ignored {
                reason: reason.ok_or_else(|| missing("reason"))?,
            },
            OutcomeName::Failed => Outcome::Failed(failure.ok_or_else(|| missing("failure"))?),
            OutcomeName::KnownDeviation => Outcome::KnownDeviation {
                reason: reason.ok_or_else(|| missing("reason"))?,
                failure: failure.ok_or_else(|| missing("failure"))?,
            },
        })
    }

    fn exchange(&self, r: RequestLine) -> Result<Exchange, MergeError> {
        let method =
            known(METHODS, &r.method).ok_or_else(|| self.bad(format!("method {:?}", r.method)))?;
        Ok(Exchange {
            method,
            path: r.path,
            status: r.status,
            request_id: r.request_id,
            sent_secrets: Vec::new(),
            answered_by: r.answered_by,
        })
    }

    fn failure(&self, f: FailureLine, sent: Option<&Exchange>) -> Result<Box<Failure>, MergeError> {
        let kind = |k: &str| known(KINDS, k).ok_or_else(|| self.bad(format!("failure kind {k:?}")));
        let mismatches = f
            .mismatches
            .into_iter()
            .map(|m| Ok((kind(&m.kind)?, m.text)))
            .collect::<Result<_, MergeError>>()?;
        let recorded = RecordedFailure {
            class: match f.class {
                ClassName::Mismatch => FailureClass::Mismatch,
                ClassName::Setup => FailureClass::Setup,
                ClassName::Transport => FailureClass::Transport,
                ClassName::Timeout => FailureClass::Timeout,
            },
            kind: kind(&f.kind)?,
            summary: f.summary,
            message: f.message,
            mismatches,
            response_status: f.response_status,
        };
        // Only the texts are left of the request: it carries no secret to redact.
        let request = Rendered {
            method: sent.map_or("GET", |e| e.method),
            path: sent.map_or_else(String::new, |e| e.path.clone()),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth: AuthMode::Default,
            sent_secrets: Vec::new(),
        };
        Ok(Box::new(Failure {
            request,
            problem: Problem::Recorded(Box::new(recorded)),
        }))
    }

    fn finished(&self, f: &Finished) -> Result<RunFinished, MergeError> {
        let duration = Duration::try_from_secs_f64(f.duration_ms / 1000.0)
            .map_err(|e| self.bad(format!("duration_ms {}: {e}", f.duration_ms)))?;
        let exit_code = f.exit_code.ok_or_else(|| {
            self.bad(
                "run_finished has no exit_code: written by an aom-conformance older than `report merge`; run this part again",
            )
        })?;
        Ok(RunFinished {
            passed: f.passed,
            failed: f.failed,
            ignored: f.ignored,
            filtered_out: f.filtered_out,
            interrupted: f.interrupted,
            duration,
            exit_code,
        })
    }
}

/// `value` as the `'static` one of `known` it equals.
fn known(known: &[&'static str], value: &str) -> Option<&'static str> {
    known.iter().copied().find(|k| *k == value)
}
