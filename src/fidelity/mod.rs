//! Fidelity: how closely one endpoint answers like another. Owns the typed
//! [`CaseObservation`] of what a case sent and got back (made by `runner::observe`, already
//! redacted), the masking rules that blank what legitimately differs between two correct
//! endpoints ([`masks`]), the shape of a body ([`shape`]), the comparison of two sets of
//! observations into a score and a list of differences ([`compare`]), and recordings of
//! observations on disk ([`recording`]). `report::fidelity` turns the result into text.

pub mod compare;
pub mod masks;
pub mod recording;
pub mod shape;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything one case sent and got back, on one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseObservation {
    /// The case id (`StopExecution [400] terminating the same execution twice`).
    pub case: String,
    /// Where the case is declared (`specs/stop-execution.yaml:12:5`).
    pub at: String,
    pub operation: String,
    pub verdict: Verdict,
    /// Lower-case names of the headers the case checks on the request under test.
    #[serde(default)]
    pub checked_headers: Vec<String>,
    /// Setup steps that ran, in order, then the request under test.
    pub calls: Vec<Call>,
    /// Values of this run that are not the endpoint's doing (the run id, the project id,
    /// the case's start time) and their placeholders: replaced wherever they appear, so
    /// two runs record the same text. Never written: a recording has them replaced.
    #[serde(skip)]
    pub volatile: Vec<(String, String)>,
}

/// How the case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    /// Failed (a known deviation of a baseline included: it still fails).
    Failed,
    /// Not run: a missing capability or API family, or quarantined.
    Ignored,
    Interrupted,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Ignored => "ignored",
            Verdict::Interrupted => "interrupted",
        }
    }
}

/// One HTTP call of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// `setup 1`, `setup 2`… or `request` (the request under test).
    pub role: String,
    pub operation: String,
    pub request: Sent,
    /// What came back; `None` when nothing did (then `error` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Received>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The request as sent, without its credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sent {
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// Lower-case names; credential and date headers are left out.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Received {
    pub status: u16,
    /// Lower-case names; transport headers (`date`, `content-length`, `connection`…)
    /// are left out.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

/// A body: JSON when it parses as JSON, else its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    Json(Value),
    Text(String),
}

impl Received {
    /// The error code of an error body: AOM's `error_code`, the Prometheus envelope's
    /// `errorType`, or `error_type`.
    pub fn error_code(&self) -> Option<&Value> {
        let Some(Body::Json(v)) = &self.body else {
            return None;
        };
        ["error_code", "errorType", "error_type"]
            .iter()
            .find_map(|k| v.get(k))
    }
}
