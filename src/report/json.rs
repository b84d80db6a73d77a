//! `--report json PATH`: every event of the run as one JSON object a line (JSON Lines),
//! for other tools to consume. The shape is `schemas/run-report.schema.json`; every text
//! in it is redacted and cut short like the console's.

use std::path::PathBuf;

use parking_lot::Mutex;
use serde_json::{Value, json};

use super::failure::{self, redactor_for};
use super::redact::Redactor;
use super::text::clip;
use super::{
    CaseFinished, Event, Exchange, FailureClass, Outcome, Problem, ReportError, Reporter,
    RunFinished, RunInfo,
};
use crate::plan::partition::Partition;

/// The format version written in `run_started`; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// Longest request path shown, in characters.
const PATH_MAX: usize = 200;

pub struct JsonReporter {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per target: its name and redactor.
    targets: Vec<(String, Redactor)>,
    lines: Vec<String>,
}

impl JsonReporter {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonReporter {
            path: path.into(),
            state: Mutex::default(),
        }
    }
}

impl Reporter for JsonReporter {
    fn on_event(&self, event: &Event<'_>) {
        let mut state = self.state.lock();
        let value = match event {
            Event::RunStarted(run) => {
                state.targets = run
                    .targets
                    .iter()
                    .map(|t| (t.name.clone(), t.redactor.clone()))
                    .collect();
                run_started(run)
            }
            Event::CaseFinished(c) => match state.targets.get(c.case.target) {
                Some((name, r)) => case_finished(name, c, r),
                None => return,
            },
            Event::Warning { target, warning } => match state.targets.get(*target) {
                Some((name, r)) => json!({
                    "event": "warning",
                    "target": name,
                    "message": super::console::warning_text("", warning, r)
                        .trim_start_matches("warning: "),
                }),
                None => return,
            },
            Event::RunFinished(end) => run_finished(end),
            Event::RunAborted { message } => json!({"event": "run_aborted", "message": message}),
        };
        state.lines.push(value.to_string());
    }

    fn finish(&self) -> Result<(), ReportError> {
        let state = self.state.lock();
        let mut text = state.lines.join("\n");
        text.push('\n');
        super::file::write(&self.path, text.as_bytes()).map_err(|source| ReportError::Write {
            kind: "JSON",
            path: self.path.clone(),
            source,
        })
    }
}

fn run_started(run: &RunInfo) -> Value {
    let started = chrono::DateTime::<chrono::Utc>::from(run.started);
    let targets: Vec<Value> = run
        .targets
        .iter()
        .map(|t| {
            let operations: Vec<Value> = t
                .operations
                .iter()
                .map(|(op, statuses)| json!({"operation": op, "statuses": statuses}))
                .collect();
            json!({
                "name": t.name,
                "endpoint": t.redactor.redact(&t.endpoint),
                "project_id": t.project_id,
                "auth": t.auth,
                "region": t.region,
                "capabilities": t.capabilities,
                "cases": t.cases,
                "operations": operations,
            })
        })
        .collect();
    let mut v = json!({
        "event": "run_started",
        "format_version": FORMAT_VERSION,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "run_id": run.run_id,
        "started": started.to_rfc3339(),
        "partition": run.partition.as_ref().map(partition_value),
        "suite": run.suite,
        "selection": run.selection,
        "targets": targets,
    });
    if !run.merged.is_empty() {
        let parts: Vec<Value> = run
            .merged
            .iter()
            .map(|p| {
                json!({
                    "run_id": p.run_id,
                    "started": chrono::DateTime::<chrono::Utc>::from(p.started).to_rfc3339(),
                    "partition": p.partition.as_ref().map(partition_value),
                })
            })
            .collect();
        v["parts"] = parts.into();
    }
    v
}

fn partition_value(p: &Partition) -> Value {
    json!({"scheme": p.scheme.name(), "part": p.part, "total": p.total})
}

fn case_finished(target: &str, c: &CaseFinished, r: &Redactor) -> Value {
    let mut v = json!({
        "event": "case_finished",
        "target": target,
        "id": c.case.id,
        "operation": c.case.operation,
        "status": c.case.status,
        "name": c.case.name,
        "file": c.case.at.file.display().to_string(),
        "line": c.case.at.line,
        "col": c.case.at.col,
        "duration_ms": c.duration.as_secs_f64() * 1000.0,
        "outcome": outcome_name(&c.outcome),
    });
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    match &c.outcome {
        Outcome::Ignored { reason } => {
            obj.insert("reason".into(), reason.clone().into());
        }
        Outcome::Interrupted => {
            obj.insert("reason".into(), super::INTERRUPTED.into());
        }
        Outcome::Failed(f) => {
            let r = redactor_for(f, r);
            obj.insert("failure".into(), failure_value(f, &c.case.at, &r));
        }
        Outcome::KnownDeviation { reason, failure } => {
            obj.insert("reason".into(), reason.clone().into());
            let r = redactor_for(failure, r);
            obj.insert("failure".into(), failure_value(failure, &c.case.at, &r));
        }
        Outcome::Passed => {}
    }
    if let Some(e) = &c.exchange {
        obj.insert("request".into(), exchange_value(e, r));
    }
    v
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Passed => "passed",
        Outcome::Ignored { .. } => "ignored",
        Outcome::Interrupted => "interrupted",
        Outcome::Failed(_) => "failed",
        Outcome::KnownDeviation { .. } => "known_deviation",
    }
}

fn failure_value(f: &super::Failure, at: &crate::spec::Location, r: &Redactor) -> Value {
    let class = match f.class() {
        FailureClass::Mismatch => "mismatch",
        FailureClass::Setup => "setup",
        FailureClass::Transport => "transport",
        FailureClass::Timeout => "timeout",
    };
    let mismatches: Vec<Value> = match &f.problem {
        Problem::Mismatch { mismatches, .. } => mismatches
            .iter()
            .map(|m| json!({"kind": m.kind(), "text": super::mismatch::describe(m, r)}))
            .collect(),
        Problem::Recorded(rec) => rec
            .mismatches
            .iter()
            .map(|(kind, text)| json!({"kind": kind, "text": text}))
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "class": class,
        "kind": failure::kind(f),
        "summary": failure::summary(f, r),
        "message": failure::render(f, at, false, r),
        "mismatches": mismatches,
        "response_status": f.response_status(),
    })
}

fn exchange_value(e: &Exchange, r: &Redactor) -> Value {
    let r = r.with_extra(&e.sent_secrets);
    let path = clip(&r.redact(&e.path), PATH_MAX);
    json!({
        "method": e.method,
        "path": path,
        "status": e.status,
        "request_id": e.request_id.as_deref().map(|id| clip(&r.redact(id), PATH_MAX)),
        "answered_by": e.answered_by,
    })
}

fn run_finished(end: &RunFinished) -> Value {
    json!({
        "event": "run_finished",
        "passed": end.passed,
        "failed": end.failed,
        "ignored": end.ignored,
        "filtered_out": end.filtered_out,
        "interrupted": end.interrupted,
        "duration_ms": end.duration.as_secs_f64() * 1000.0,
        "exit_code": end.exit_code,
    })
}
