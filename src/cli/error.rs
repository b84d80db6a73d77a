//! The one error a command ends with, one variant per class of failure, and the exit code
//! of each: the only place exit codes are decided.

use super::suite::ExportError;
use crate::fidelity::recording::RecordingError;
use crate::mock::cli::MockCliError;
use crate::report::ReportError;
use crate::report::merge::MergeError;
use crate::schema::SchemaError;
use crate::spec::{Diagnostics, LoadError, SourceError};
use crate::target::TargetError;

pub const EXIT_FAILED: u8 = 101;
/// `diff`: the candidate does not agree with the reference (below `--min-fidelity`).
pub const EXIT_DIFFERENT: u8 = 1;
pub const EXIT_INPUT: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
/// `report merge`: the reports are readable but do not make up one run.
pub const EXIT_PARTS: u8 = 4;
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why a command stopped before (or instead of) a verdict on the cases.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Case files do not load or plan: located problems, listed one by one (exit 2).
    #[error("{0}")]
    Suite(Diagnostics),
    /// The specs directory cannot be read or holds no case file (exit 2).
    #[error(transparent)]
    SuiteDir(#[from] SourceError),
    /// The suite plans, but not with one target's variables (exit 2).
    #[error("target {target}: {diagnostics}")]
    TargetPlan {
        target: String,
        diagnostics: Diagnostics,
    },
    /// The schemas directory or a schema in it is wrong (exit 2).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Documented statuses without a case (`lint`, exit 2).
    #[error("{0}")]
    Gaps(Diagnostics),
    /// A target file (located), flag or environment variable is wrong (exit 2).
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Flags that contradict each other or a value out of range (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A report cannot be written (exit 2: the path is input too).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The endpoint does not answer at all (exit 3). The reason is already redacted.
    #[error("cannot reach endpoint {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    /// IAM would not give a token (exit 3). The message is already redacted.
    #[error("{0}")]
    Iam(String),
    /// The endpoint refused the target's credentials in the preflight call (exit 3): one
    /// message instead of every case failing with 401. Never the secret itself.
    #[error("{0}")]
    Credentials(Box<Refusal>),
    /// `suite export` would overwrite files, or cannot write (exit 2: the path is input).
    #[error(transparent)]
    Export(#[from] ExportError),
    /// A recording (`run --record`, `diff --against`) cannot be written or read, or is
    /// not one (exit 2: the directory is input).
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// The mock (`mock`, or the embedded one) cannot start, or its flags are wrong.
    #[error(transparent)]
    Mock(#[from] MockCliError),
    /// `report merge` cannot combine the reports: one cannot be read or is not a JSON
    /// report (exit 2), or they do not make up one run (exit 4).
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// The machine cannot give what the run needs: an async runtime, randomness,
    /// signal handlers (exit 3).
    #[error("{what}: {source}")]
    System {
        what: &'static str,
        source: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Suite(_)
            | Error::SuiteDir(_)
            | Error::TargetPlan { .. }
            | Error::Schema(_)
            | Error::Gaps(_)
            | Error::Target(_)
            | Error::Usage(_)
            | Error::Report(_)
            | Error::Export(_)
            | Error::Recording(_) => EXIT_INPUT,
            Error::Mock(e) if e.is_input() => EXIT_INPUT,
            Error::Merge(e) if e.is_input() => EXIT_INPUT,
            Error::Merge(_) => EXIT_PARTS,
            Error::Unreachable { .. }
            | Error::Iam(_)
            | Error::Credentials(_)
            | Error::Mock(_)
            | Error::System { .. } => EXIT_UNREACHABLE,
        }
    }

    /// One message per problem: every located diagnostic on its own line.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::Suite(d) | Error::Gaps(d) | Error::Target(TargetError::Placeholders(d)) => {
                d.0.iter().map(ToString::to_string).collect()
            }
            Error::TargetPlan {
                target,
                diagnostics,
            } => diagnostics
                .0
                .iter()
                .map(|d| format!("target {target}: {d}"))
                .collect(),
            other => vec![other.to_string()],
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Suite(d)
    }
}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Source(e) => Error::SuiteDir(e),
            LoadError::Files(d) => Error::Suite(d),
        }
    }
}

/// What the preflight call was refused with, for [`Error::Credentials`].
#[derive(Debug)]
pub struct Refusal {
    /// `"target NAME: "`, or empty for an unnamed target.
    pub target: String,
    pub auth: &'static str,
    pub operation: String,
    pub status: u16,
    /// `" APIGW.0301 (the API gateway)"`, `" AOM.31009004"` or empty.
    pub code: String,
    /// `" [X-Request-Id: …]"` or empty.
    pub request_id: String,
    pub hint: &'static str,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}the endpoint refused the {} credentials: {} answered {}{}{}; {}",
            self.target,
            self.auth,
            self.operation,
            self.status,
            self.code,
            self.request_id,
            self.hint
        )
    }
}
