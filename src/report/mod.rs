//! Run events and their consumers. The runner emits one [`Event`] per case started and
//! finished; reporters (JUnit, …) consume them. Every text a reporter gets has already
//! been through the [`redact::Redactor`].

pub mod failure;
pub mod junit;
pub mod redact;

use std::path::PathBuf;
use std::time::Duration;

/// How one case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    /// `kind` is a short category (status, schema, setup, transport, …); `summary` is
    /// the first real problem on one line (the first mismatch, the transport error, the
    /// setup problem); `message` is the full failure text. Both redacted, uncoloured.
    Failed {
        kind: String,
        summary: String,
        message: String,
    },
    Ignored {
        reason: String,
    },
}

/// What a reporter learns about one finished case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// Target name ("" for a single-target run).
    pub target: String,
    /// The trial name, `{operation} [{status}] {name}`.
    pub id: String,
    pub operation: String,
    pub file: PathBuf,
    pub line: usize,
    pub duration: Duration,
    pub outcome: Outcome,
}

/// A run event.
#[derive(Debug, Clone)]
pub enum Event {
    CaseStarted { id: String },
    CaseFinished(CaseReport),
}

/// A consumer of run events. Called from many trial threads at once.
pub trait Reporter: Send + Sync {
    fn on_event(&self, event: &Event);
}
