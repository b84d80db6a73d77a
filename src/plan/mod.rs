//! The plan: case files resolved against the schema registry and the target's variables
//! into ready-to-run cases. Everything that can be wrong with the input is found here,
//! before any request is sent, and reported at its `file:line:col`.

//!
//! This file holds the plan's types; the compiler is split by job: [`build`] (the whole
//! suite), `operation` (a file's operation), `setup` (steps, fixtures, cleanups),
//! `request` (requests and expectations), `compile` (what they share).

mod build;
mod compile;
pub mod coverage;
mod operation;
pub mod partition;
mod request;
mod setup;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

pub use build::build;

use crate::schema::CompiledSchema;
use crate::spec::locate::Location;
use crate::spec::model::{AuthMode, ErrorConvention, HeaderMatch, Method};
use crate::template::{JsonTemplate, Template};

/// Variables every case has without declaring them.
pub const BUILTINS: &[&str] = &["run_id", "case_uid", "now_ms"];

/// A documented response of an operation.
#[derive(Debug)]
pub struct Documented {
    pub schema: Option<Arc<CompiledSchema>>,
    pub error_code: Option<String>,
    /// Other conformant answers to the same status.
    pub alternatives: Vec<Arc<Alternative>>,
    pub at: Location,
}

/// Another answer a conformant endpoint may give for a documented status (a file's
/// `answers:` entry), e.g. the API gateway's 401.
#[derive(Debug)]
pub struct Alternative {
    /// Who answers this way ("the API gateway"), for reports.
    pub by: String,
    pub schema: Option<Arc<CompiledSchema>>,
    pub error_code: Option<String>,
}

/// One operation of the API under test, as its case file documents it.
#[derive(Debug)]
pub struct Operation {
    pub name: String,
    pub method: Method,
    pub path: String,
    /// Names of `{param}` placeholders, in order.
    pub path_params: Vec<String>,
    /// The text between placeholders: `path_literals[i]` precedes `path_params[i]`, and
    /// the last one ends the path. Rendering interleaves them without re-parsing.
    pub path_literals: Vec<String>,
    pub responses: BTreeMap<u16, Documented>,
    pub response_headers: Vec<HeaderCheck>,
    /// Capabilities every call of this operation needs.
    pub requires: Vec<String>,
    /// How error bodies are checked beyond their schema.
    pub errors: ErrorConvention,
    /// The API family the operation belongs to, if its file names one.
    pub family: Option<String>,
    /// What the documentation does not say (the file's `doc_gaps:`).
    pub doc_gaps: Vec<String>,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct HeaderCheck {
    /// Lower-case header name.
    pub name: String,
    pub rule: HeaderMatch,
}

#[derive(Debug, Clone)]
pub enum BodyTemplate {
    Json(JsonTemplate),
    Raw(Template),
}

/// A request ready to render with a case's variables.
#[derive(Debug, Clone)]
pub struct PlannedRequest {
    pub op: Arc<Operation>,
    /// One template per `{param}` of the operation's path, in order.
    pub path: Vec<Template>,
    pub query: Vec<(String, Template)>,
    /// `None` removes a default header.
    pub headers: Vec<(String, Option<Template>)>,
    pub body: Option<BodyTemplate>,
    pub auth: AuthMode,
}

#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub at: Location,
    pub request: PlannedRequest,
    pub expect_status: Option<u16>,
    /// `(variable, JSON pointer)`.
    pub captures: Vec<(String, String)>,
    /// Skipped when the target provides this variable.
    pub unless: Option<String>,
    /// Repeated until one of these statuses, within a bound (`poll:`).
    pub poll: Option<PlannedPoll>,
}

/// A step's `poll:`, checked: at most [`MAX_POLL_TRIES`] calls.
#[derive(Debug, Clone)]
pub struct PlannedPoll {
    pub until: Vec<u16>,
    pub every: std::time::Duration,
    pub within: std::time::Duration,
}

/// The most calls one `poll:` may make (`within / every + 1`).
pub const MAX_POLL_TRIES: u64 = 1000;
/// The longest one `poll:` may wait.
pub const MAX_POLL_WITHIN: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// What undoes a call of one operation (see `spec::model::Cleanup`).
#[derive(Debug)]
pub struct OpCleanup {
    pub captures: Vec<(String, String)>,
    /// Captured from the JSON body of the request being undone.
    pub from_request: Vec<(String, String)>,
    pub request: PlannedRequest,
}

#[derive(Debug)]
pub struct PlannedExpect {
    pub status: u16,
    pub schema: Option<Arc<CompiledSchema>>,
    pub error_code: Option<String>,
    pub body: Option<JsonTemplate>,
    pub body_equals: Option<JsonTemplate>,
    pub headers: Vec<HeaderCheck>,
    /// Other conformant answers to the expected status (the documented ones, unless the
    /// case names its own schema or error code).
    pub alternatives: Vec<Arc<Alternative>>,
    /// The operation's error convention.
    pub errors: ErrorConvention,
}

/// One case, ready to become a trial.
#[derive(Debug)]
pub struct PlannedCase {
    /// `{operation} [{status}] {name}`: the trial name.
    pub id: String,
    pub name: String,
    pub op: Arc<Operation>,
    pub at: Location,
    /// The case's own `requires:`. Operations add theirs (`Operation::requires`) for
    /// every call that is not skipped; see [`PlannedCase::missing_capability`].
    pub requires: Vec<String>,
    pub setup: Vec<PlannedStep>,
    pub request: PlannedRequest,
    pub expect: PlannedExpect,
    /// File-level variable defaults (a target's value wins).
    pub defaults: Arc<BTreeMap<String, String>>,
    /// Quarantined: reported ignored with this reason unless ignored cases are run.
    pub skip: Option<String>,
}

impl PlannedCase {
    /// Whether `step` runs against a target that provides `target_vars`.
    pub fn step_runs(step: &PlannedStep, provided: &dyn Fn(&str) -> bool) -> bool {
        step.unless.as_deref().is_none_or(|v| !provided(v))
    }

    /// The first capability the case needs that the target lacks: the case's own, and
    /// those of every operation it calls (skipped steps excepted).
    pub fn missing_capability<'a>(
        &'a self,
        has: &dyn Fn(&str) -> bool,
        provided: &dyn Fn(&str) -> bool,
    ) -> Option<&'a str> {
        let ops = self
            .setup
            .iter()
            .filter(|s| Self::step_runs(s, provided))
            .map(|s| &s.request.op)
            .chain([&self.request.op]);
        self.requires
            .iter()
            .chain(ops.flat_map(|op| op.requires.iter()))
            .map(String::as_str)
            .find(|c| !has(c))
    }
}

/// Where an API family is offered (a file's `families:` entry).
#[derive(Debug, Clone, Default)]
pub struct FamilyInfo {
    /// Region ids that offer it; `None`: everywhere.
    pub regions: Option<Vec<String>>,
}

impl PlannedCase {
    /// The families of every operation the case calls (skipped steps excepted).
    pub fn families<'a>(
        &'a self,
        provided: &'a dyn Fn(&str) -> bool,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.setup
            .iter()
            .filter(|s| Self::step_runs(s, provided))
            .map(|s| &s.request.op)
            .chain([&self.request.op])
            .filter_map(|op| op.family.as_deref())
    }
}

/// The whole suite.
#[derive(Debug, Default)]
pub struct Plan {
    /// API families by name.
    pub families: BTreeMap<String, FamilyInfo>,
    pub operations: Vec<Arc<Operation>>,
    pub cases: Vec<PlannedCase>,
    /// Operation name → how to undo a successful call of it.
    pub cleanups: HashMap<String, OpCleanup>,
    /// The harmless authenticated read made once per target before any case.
    pub preflight: Option<PlannedRequest>,
}

impl Plan {
    /// Whether an endpoint offers `family`: the target's own list when it gives one
    /// (`families:`, `--family`); else, for a target in a region, whether the family's
    /// `regions:` name it; else (an emulator, the mock) yes.
    pub fn offers(
        &self,
        family: &str,
        declared: Option<&BTreeSet<String>>,
        region: Option<&str>,
    ) -> bool {
        if let Some(declared) = declared {
            return declared.contains(family);
        }
        let regions = self.families.get(family).and_then(|f| f.regions.as_ref());
        match (regions, region) {
            (Some(regions), Some(region)) => regions.iter().any(|r| r == region),
            _ => true,
        }
    }
}
