//! Run events and their consumers. The runner emits typed [`Event`]s (run started, case
//! finished, warnings, run finished or aborted); every output — the console's warnings
//! and summary, JUnit, JSON, HTML — is a [`Reporter`] of the same events. Only this module
//! turns them into text: colour, redaction (with the target's [`redact::Redactor`] plus
//! the request's own secrets) and cutting long values short all happen here. [`merge`]
//! goes the other way for `report merge`: it reads the JSON reports of a split run's
//! parts back into events, which the same reporters write again as one run.

pub mod console;
pub mod failure;
pub mod fidelity;
pub mod file;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;
pub mod merge;
pub mod mismatch;
pub mod redact;
pub mod text;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::check::Mismatch;
use crate::http::{Rendered, Response, TransportError};
use crate::plan::partition::Partition;
use crate::spec::Location;

/// One target of the run, as reporters see it.
#[derive(Debug)]
pub struct TargetInfo {
    /// The target's name; empty for the one target of a run without target files.
    pub name: String,
    pub endpoint: String,
    pub project_id: String,
    /// `none`, `token`, `ak/sk`.
    pub auth: &'static str,
    pub region: Option<String>,
    pub capabilities: Vec<String>,
    /// How many cases the suite has for this target (before any filter).
    pub cases: usize,
    /// Redacts every secret this target holds.
    pub redactor: redact::Redactor,
    /// Every operation of the suite with its documented statuses, in suite order: the
    /// rows and columns of the matrix, whichever cases were selected.
    pub operations: Vec<(String, Vec<u16>)>,
}

impl TargetInfo {
    /// `cn-north-4`, or `endpoint` for an unnamed target.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.endpoint
        } else {
            &self.name
        }
    }
}

/// What a run is about to do.
#[derive(Debug)]
pub struct RunInfo {
    pub targets: Vec<TargetInfo>,
    pub started: SystemTime,
    /// The `{{run_id}}` of the run; for a merged report, the parts' run ids joined by
    /// `,` in part order.
    pub run_id: String,
    /// The part of the suite this run ran (`--partition`), if it ran one.
    pub partition: Option<Partition>,
    /// The suite's fingerprint ([`crate::plan::partition::suite_digest`]), by which
    /// `report merge` knows that parts come from the same suite.
    pub suite: String,
    /// What chose the cases within the suite (filter, `--exact`, `--skip`, `--ignored`,
    /// `--include-ignored`), in one canonical form; empty when nothing did. Parts of one
    /// run must agree on it, or the merged report would silently lack cases.
    pub selection: String,
    /// For a report merged from parts (`report merge`): each part's run, in part order.
    /// Empty for a run.
    pub merged: Vec<PartRun>,
}

/// One part's run, in a merged report.
#[derive(Debug, Clone)]
pub struct PartRun {
    pub run_id: String,
    pub started: SystemTime,
    pub partition: Option<Partition>,
}

/// A case as planned, before it runs.
#[derive(Debug, Clone)]
pub struct CaseInfo {
    /// Index into [`RunInfo::targets`].
    pub target: usize,
    /// `{operation} [{status}] {name}` (without a target prefix).
    pub id: String,
    pub operation: String,
    /// The documented status the case checks.
    pub status: u16,
    pub name: String,
    /// Where the case starts in its file.
    pub at: Location,
}

/// How one case ended.
#[derive(Debug)]
pub enum Outcome {
    Passed,
    /// Not run, with the reason (a capability the target lacks).
    Ignored {
        reason: String,
    },
    /// Not run, or not finished, because the run was interrupted.
    Interrupted,
    Failed(Box<Failure>),
    /// Failed, but the baseline accepts it as a known deviation, with this reason:
    /// neither a failure nor a pass.
    KnownDeviation {
        reason: String,
        failure: Box<Failure>,
    },
}

impl Outcome {
    /// How a known deviation is shown, in every report.
    pub fn deviation_text(reason: &str) -> String {
        format!("known deviation: {reason}")
    }
}

/// Why a case failed: the request that was sent (its secrets included, for redaction)
/// and what went wrong, typed.
#[derive(Debug)]
pub struct Failure {
    pub request: Rendered,
    pub problem: Problem,
}

/// What went wrong in a failed case.
#[derive(Debug)]
pub enum Problem {
    /// The request under test was answered, but not as the contract says.
    Mismatch {
        response: Response,
        mismatches: Vec<Mismatch>,
    },
    /// The request under test got no (complete) answer.
    Transport(TransportError),
    /// A setup step did not answer as the case needs.
    Setup {
        /// 0-based index of the step.
        step: usize,
        at: Location,
        operation: String,
        cause: SetupCause,
        response: Option<Response>,
    },
    /// A failure read back from a JSON report (`report merge`): only its texts are left,
    /// already redacted and cut short when the report was written.
    Recorded(Box<RecordedFailure>),
}

/// What a JSON report says about a failure (`schemas/run-report.schema.json`, `failure`).
#[derive(Debug)]
pub struct RecordedFailure {
    pub class: FailureClass,
    /// The JUnit failure type (`failure::kind`).
    pub kind: &'static str,
    pub summary: String,
    /// The whole text, `-->` line included (`failure::render` without colours).
    pub message: String,
    /// Each mismatch's kind and text.
    pub mismatches: Vec<(&'static str, String)>,
    pub response_status: Option<u16>,
}

/// Why a setup step failed.
#[derive(Debug)]
pub enum SetupCause {
    Transport(TransportError),
    /// `wanted`: the status the step expects, or any 2xx when `None`.
    Status {
        wanted: Option<u16>,
    },
    /// A capture needs a JSON body.
    NotJson {
        error: String,
    },
    /// Nothing (or `null`) at `pointer` to capture into `variable`.
    Capture {
        variable: String,
        pointer: String,
    },
    /// A `poll:` step never answered one of `until` in `tries` calls within `within`.
    PollEnded {
        until: Vec<u16>,
        tries: u32,
        within: std::time::Duration,
    },
}

/// How a failure is classed for CI: a contract mismatch is a test *failure*; anything
/// that kept the case from judging the endpoint is an *error*.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    Mismatch,
    Setup,
    Transport,
    Timeout,
}

impl Failure {
    pub fn class(&self) -> FailureClass {
        let transport = |e: &TransportError| match e {
            TransportError::Timeout(_) | TransportError::BodyTimeout { .. } => {
                FailureClass::Timeout
            }
            _ => FailureClass::Transport,
        };
        match &self.problem {
            Problem::Mismatch { .. } => FailureClass::Mismatch,
            Problem::Transport(e) => transport(e),
            Problem::Setup { .. } => FailureClass::Setup,
            Problem::Recorded(r) => r.class,
        }
    }

    /// The answer the failure is about, if one came.
    pub fn response(&self) -> Option<&Response> {
        match &self.problem {
            Problem::Mismatch { response, .. } => Some(response),
            Problem::Setup { response, .. } => response.as_ref(),
            Problem::Transport(_) | Problem::Recorded(_) => None,
        }
    }

    /// The status of the answer the failure is about, if one came.
    pub fn response_status(&self) -> Option<u16> {
        match &self.problem {
            Problem::Recorded(r) => r.response_status,
            _ => self.response().map(|resp| resp.status),
        }
    }
}

/// The request under test, as every reporter may show it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: &'static str,
    /// The path as sent (percent-encoded); may hold secrets and huge captured values:
    /// redact and clip before showing.
    pub path: String,
    /// The status, when an answer came.
    pub status: Option<u16>,
    /// The endpoint's `X-Request-Id`, the first thing a support ticket asks for.
    pub request_id: Option<String>,
    /// Per-request secrets (signature, token) for redacting the above.
    pub sent_secrets: Vec<String>,
    /// Who answered, when it was a documented alternative rather than the documented
    /// answer ("the API gateway").
    pub answered_by: Option<String>,
}

/// A finished case.
#[derive(Debug)]
pub struct CaseFinished {
    pub case: CaseInfo,
    pub outcome: Outcome,
    /// The request under test, when it was sent.
    pub exchange: Option<Exchange>,
    pub duration: Duration,
}

/// Something a person should know that is not a case verdict.
#[derive(Debug)]
pub enum Warning {
    /// A call that may start something got no usable answer: it may be running.
    MayHaveActed {
        request: Rendered,
        error: TransportError,
    },
    /// A call was answered 2xx but its undo cannot be built from the answer.
    CannotUndo {
        request: Rendered,
        status: u16,
        pointer: String,
    },
    /// A case the baseline lists as a known deviation passed: the entry can go.
    BaselineFixed {
        case: String,
        pattern: String,
        at: crate::spec::Location,
    },
    /// The preflight read of an API family the endpoint should offer answered 404: the
    /// family is not served there, and its cases will fail.
    FamilyMissing {
        request: Rendered,
        family: String,
        /// The region (or target name, or URL) said to offer it.
        endpoint: String,
        request_id: Option<String>,
    },
    /// A warning read back from a JSON report (`report merge`): its text, without the
    /// `warning: ` prefix and target label, already redacted.
    Recorded { message: String },
    /// An undo did not succeed (after one retry on 429/5xx).
    CleanupFailed {
        request: Rendered,
        status: Option<u16>,
        error_code: Option<String>,
        error: Option<TransportError>,
    },
}

/// How the run ended.
#[derive(Debug)]
pub struct RunFinished {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    pub filtered_out: u64,
    pub interrupted: bool,
    pub duration: Duration,
    /// What the run exits with (the console's last line says it when interrupted).
    pub exit_code: u8,
}

/// A run event. Reporters get references: a failure's response is read, not copied.
#[derive(Debug)]
pub enum Event<'a> {
    RunStarted(&'a RunInfo),
    CaseFinished(&'a CaseFinished),
    Warning {
        target: usize,
        warning: &'a Warning,
    },
    RunFinished(&'a RunFinished),
    /// The run ended before (or instead of) running cases: bad input, an unreachable
    /// endpoint or IAM. Reports still get written, carrying `message` (redacted).
    RunAborted {
        message: &'a str,
    },
}

/// The reason shown for a case an interrupt kept from running or finishing.
pub const INTERRUPTED: &str = "interrupted: not run";

/// A consumer of run events. Called from many trial threads at once.
pub trait Reporter: Send + Sync {
    fn on_event(&self, event: &Event<'_>);

    /// Writes what the reporter collected (a file), once the run is over. Reporters that
    /// print as they go have nothing to do.
    fn finish(&self) -> Result<(), ReportError> {
        Ok(())
    }
}

/// Why a report file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The directory or file cannot be created or written.
    #[error("cannot write {kind} report {path}: {source}")]
    Write {
        kind: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The report could not be serialized.
    #[error("cannot serialize the {kind} report: {message}")]
    Serialize { kind: &'static str, message: String },
}

/// Every reporter of a run; an event goes to each in turn.
#[derive(Default)]
pub struct Reporters(Vec<std::sync::Arc<dyn Reporter>>);

impl Reporters {
    pub fn new(all: Vec<std::sync::Arc<dyn Reporter>>) -> Self {
        Reporters(all)
    }

    pub fn emit(&self, event: &Event<'_>) {
        for r in &self.0 {
            r.on_event(event);
        }
    }

    /// Writes every report; the first error is returned, every report is tried.
    pub fn finish(&self) -> Result<(), ReportError> {
        let mut first = Ok(());
        for r in &self.0 {
            if let Err(e) = r.finish() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }
}
