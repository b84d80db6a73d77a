//! Cases → libtest-mimic trials. One shared tokio runtime and one pooled client per
//! target; each trial renders its requests, runs its setup steps, sends the request under
//! test, checks the response and emits a [`report::Event`] to every reporter.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use libtest_mimic::{Completion, Failed, Trial};
use serde_json::Value;
use tokio::runtime::Handle;

use crate::check;
use crate::http::{Client, Rendered, Response, TransportError};
use crate::plan::{OpCleanup, Plan, PlannedCase, PlannedRequest};
use crate::report::failure::{Failure, clip};
use crate::report::redact::Redactor;
use crate::report::{CaseReport, Event, Outcome, Reporter};
use crate::target::Target;
use crate::template::Vars;

/// Everything a trial needs about the target it runs against.
pub struct TargetRun {
    pub target: Target,
    pub client: Client,
    pub redactor: Redactor,
    /// Base variables: the target's, plus `run_id`.
    pub vars: Vars,
    pub run_id: String,
    /// Cleanups registered by running cases and not yet done, so an interrupted run can
    /// still undo what it started. Locked only to register and finish a cleanup.
    pub pending: Mutex<HashMap<u64, Rendered>>,
    next_cleanup: AtomicU64,
    /// Set on Ctrl-C: no new request is sent, and requests that cannot start anything
    /// are abandoned.
    stopping: tokio::sync::watch::Sender<bool>,
}

/// Why a call was not made or got no answer.
enum CallError {
    /// The run is being interrupted.
    Interrupted,
    Transport(TransportError),
}

impl TargetRun {
    pub fn new(
        target: Target,
        client: Client,
        redactor: Redactor,
        vars: Vars,
        run_id: String,
    ) -> Self {
        TargetRun {
            target,
            client,
            redactor,
            vars,
            run_id,
            pending: Mutex::new(HashMap::new()),
            next_cleanup: AtomicU64::new(0),
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Stops sending new requests (Ctrl-C).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Renders and sends one call. On a 2xx answer of an operation with a cleanup, the
    /// cleanup is registered (and its id pushed to `cleanups`) before this returns.
    async fn call(
        &self,
        plan: &Plan,
        req: &PlannedRequest,
        vars: &Vars,
        cleanups: &mut Vec<u64>,
    ) -> (Rendered, Result<Response, CallError>) {
        let rendered = self.client.authorize(Rendered::render(req, vars));
        let undo = plan.cleanups.get(&req.op.name);
        let mut stop = self.stopping.subscribe();
        if *stop.borrow_and_update() {
            return (rendered, Err(CallError::Interrupted));
        }
        let result = if undo.is_some() {
            // It may start something: wait for the answer so it can be undone.
            self.client.send(&rendered).await
        } else {
            tokio::select! {
                r = self.client.send(&rendered) => r,
                _ = stop.wait_for(|s| *s) => return (rendered, Err(CallError::Interrupted)),
            }
        };
        match (undo, &result) {
            (Some(undo), Ok(resp)) if (200..300).contains(&resp.status) => {
                if let Some(id) = self.register_undo(undo, req, vars, resp, &rendered) {
                    cleanups.push(id);
                }
            }
            // The request went out but no usable answer came back: the endpoint may have
            // started something nobody can name now. Say so rather than stay silent.
            (Some(_), Err(e)) if e.may_have_acted() => {
                let msg = format!(
                    "warning: {} may have started something this run cannot undo ({e})",
                    rendered.line()
                );
                self.warn(&rendered, &msg);
            }
            _ => {}
        }
        (rendered, result.map_err(CallError::Transport))
    }

    /// Renders `undo` for one successful call: the case's variables, the call's path
    /// parameters, and the captures from its answer.
    fn register_undo(
        &self,
        undo: &OpCleanup,
        req: &PlannedRequest,
        vars: &Vars,
        resp: &Response,
        sent: &Rendered,
    ) -> Option<u64> {
        let mut v = vars.clone();
        for (name, t) in req.op.path_params.iter().zip(&req.path) {
            v.set(name.clone(), t.render(vars));
        }
        let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
        for (var, ptr) in &undo.captures {
            match body.as_ref().and_then(|b| b.pointer(ptr)) {
                Some(Value::String(s)) => v.set(var.clone(), s.clone()),
                Some(Value::Null) | None => {
                    let msg = format!(
                        "warning: cannot undo {} (answered {}): nothing at {ptr} in the response",
                        sent.line(),
                        resp.status
                    );
                    self.warn(sent, &msg);
                    return None;
                }
                Some(other) => v.set(var.clone(), other.to_string()),
            }
        }
        Some(self.register(Rendered::render(&undo.request, &v)))
    }

    fn register(&self, cleanup: Rendered) -> u64 {
        let id = self.next_cleanup.fetch_add(1, Ordering::Relaxed);
        self.pending.lock().insert(id, cleanup);
        id
    }

    /// Runs one registered cleanup (if nobody ran it yet). Its status does not matter:
    /// the thing may have ended on its own. A transport error is worth a warning, since
    /// something may be left running.
    async fn finish(&self, id: u64) {
        let Some(unsigned) = self.pending.lock().remove(&id) else {
            return;
        };
        // Throttling and server errors are worth one more try: what is not undone stays
        // running on a real region.
        for attempt in 0..2 {
            let req = self.client.authorize(unsigned.clone());
            let problem = match self.client.send(&req).await {
                // Done, or already ended (400 AOM.31001418 / 404): nothing left running.
                Ok(r) if (200..300).contains(&r.status) || matches!(r.status, 400 | 404) => {
                    return;
                }
                Ok(r) => {
                    let code = serde_json::from_slice::<Value>(&r.body)
                        .ok()
                        .and_then(|b| {
                            b.get("error_code")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                        .unwrap_or_default();
                    let retry = r.status == 429 || r.status >= 500;
                    if retry && attempt == 0 {
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        continue;
                    }
                    format!("answered {} {code}", r.status)
                }
                Err(e) => e.to_string(),
            };
            let msg = format!(
                "warning: cleanup {} failed ({problem}): what it undoes may still be running",
                req.line()
            );
            self.warn(&req, &msg);
            return;
        }
    }

    /// A warning about `req` on stderr, redacted with the run's and the request's secrets,
    /// then cut short (a captured id in the path can be megabytes).
    fn warn(&self, req: &Rendered, msg: &str) {
        let redacted = self
            .redactor
            .with_extra(&req.sent_secrets)
            .redact(msg)
            .into_owned();
        eprintln!("{}", clip(&redacted, WARNING_MAX));
    }

    /// Runs every cleanup still pending, concurrently. Cases run their own cleanups when
    /// they end; this is the safety net after an interrupted run. Returns how many ran.
    pub async fn cleanup_all(self: &Arc<Self>) -> usize {
        let ids: Vec<u64> = self.pending.lock().keys().copied().collect();
        let mut set = tokio::task::JoinSet::new();
        for id in ids.iter().copied() {
            let tr = Arc::clone(self);
            set.spawn(async move { tr.finish(id).await });
        }
        set.join_all().await;
        ids.len()
    }

    /// True once the run was interrupted.
    pub fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }
}

/// Longest warning, in characters.
const WARNING_MAX: usize = 600;

/// Options shared by all trials.
pub struct TrialOptions {
    /// Prefix trial names with the target name (several targets in one run).
    pub prefix_target: bool,
    pub color: bool,
}

/// One trial per (target, case).
pub fn trials(
    targets: &[(Arc<Plan>, Arc<TargetRun>)],
    handle: &Handle,
    reporters: &Arc<Vec<Arc<dyn Reporter>>>,
    opts: &TrialOptions,
) -> Vec<Trial> {
    let mut out = Vec::with_capacity(targets.iter().map(|(p, _)| p.cases.len()).sum());
    for (plan, tr) in targets {
        for index in 0..plan.cases.len() {
            let case = &plan.cases[index];
            let name = if opts.prefix_target {
                format!("{}: {}", tr.target.name, case.id)
            } else {
                case.id.clone()
            };
            let (plan, tr, handle, reporters) = (
                Arc::clone(plan),
                Arc::clone(tr),
                handle.clone(),
                Arc::clone(reporters),
            );
            let color = opts.color;
            out.push(Trial::ignorable_test(name, move || {
                let case = &plan.cases[index];
                for r in reporters.iter() {
                    r.on_event(&Event::CaseStarted {
                        id: case.id.clone(),
                    });
                }
                let started = Instant::now();
                let (outcome, shown) = handle.block_on(run_case(&plan, case, index, &tr, color));
                let report = CaseReport {
                    target: tr.target.name.clone(),
                    id: case.id.clone(),
                    operation: case.op.name.clone(),
                    file: case.at.file.clone(),
                    line: case.at.line,
                    duration: started.elapsed(),
                    outcome: outcome.clone(),
                };
                for r in reporters.iter() {
                    r.on_event(&Event::CaseFinished(report.clone()));
                }
                match outcome {
                    Outcome::Passed => Ok(Completion::Completed),
                    Outcome::Ignored { reason } => Ok(Completion::ignored_with(reason)),
                    Outcome::Failed { .. } => Err(Failed::from(shown)),
                }
            }));
        }
    }
    out
}

/// Runs one case. Returns the outcome (plain, redacted text) and the text to show in the
/// terminal (coloured when asked, redacted too).
async fn run_case(
    plan: &Plan,
    case: &PlannedCase,
    index: usize,
    tr: &TargetRun,
    color: bool,
) -> (Outcome, String) {
    if tr.stopping() {
        return interrupted();
    }
    let provided = |v: &str| tr.target.variables.contains_key(v);
    if let Some(missing) = case.missing_capability(&|c| tr.target.has(c), &provided) {
        let reason = format!("needs capability {missing}");
        return (
            Outcome::Ignored {
                reason: reason.clone(),
            },
            reason,
        );
    }
    let mut cleanups = Vec::new();
    let result = steps_and_request(plan, case, index, tr, color, &mut cleanups).await;
    // Undo in reverse order, whatever the outcome.
    for id in cleanups.into_iter().rev() {
        tr.finish(id).await;
    }
    result
}

async fn steps_and_request(
    plan: &Plan,
    case: &PlannedCase,
    index: usize,
    tr: &TargetRun,
    color: bool,
    cleanups: &mut Vec<u64>,
) -> (Outcome, String) {
    let provided = |v: &str| tr.target.variables.contains_key(v);
    let mut vars = tr.vars.clone();
    for (k, v) in case.defaults.iter() {
        if vars.get(k).is_none() {
            vars.set(k.clone(), v.clone());
        }
    }
    vars.set("case_uid", format!("{}-{index}", tr.run_id));

    for (i, step) in case.setup.iter().enumerate() {
        if !PlannedCase::step_runs(step, &provided) {
            continue;
        }
        let (request, sent) = tr.call(plan, &step.request, &vars, cleanups).await;
        let setup_fail = |problem: String, response: Option<&Response>| {
            fail(
                case,
                tr,
                color,
                &Failure::Setup {
                    step: i,
                    at: &step.at,
                    request: &request,
                    problem,
                    response,
                },
            )
        };
        let response = match sent {
            Ok(r) => r,
            Err(CallError::Interrupted) => return interrupted(),
            Err(CallError::Transport(e)) => return setup_fail(e.to_string(), None),
        };
        let ok = match step.expect_status {
            Some(s) => response.status == s,
            None => (200..300).contains(&response.status),
        };
        if !ok {
            let wanted = step
                .expect_status
                .map_or("a 2xx status".to_owned(), |s| format!("status {s}"));
            return setup_fail(
                format!(
                    "{} answered {}, expected {wanted}",
                    step.request.op.name, response.status
                ),
                Some(&response),
            );
        }
        if step.captures.is_empty() {
            continue;
        }
        let body: Value = match serde_json::from_slice(&response.body) {
            Ok(v) => v,
            Err(e) => {
                return setup_fail(
                    format!("cannot capture: body is not JSON ({e})"),
                    Some(&response),
                );
            }
        };
        for (var, ptr) in &step.captures {
            match body.pointer(ptr) {
                Some(Value::String(s)) => vars.set(var.clone(), s.clone()),
                Some(Value::Null) | None => {
                    return setup_fail(
                        format!("cannot capture `{var}`: nothing at {ptr} in the response"),
                        Some(&response),
                    );
                }
                Some(other) => vars.set(var.clone(), other.to_string()),
            }
        }
    }

    let (request, sent) = tr.call(plan, &case.request, &vars, cleanups).await;
    let response = match sent {
        Ok(r) => r,
        Err(CallError::Interrupted) => return interrupted(),
        Err(CallError::Transport(error)) => {
            return fail(
                case,
                tr,
                color,
                &Failure::Transport {
                    request: &request,
                    error: &error,
                },
            );
        }
    };
    let mismatches = check::check(&case.expect, &response, &vars);
    if mismatches.is_empty() {
        (Outcome::Passed, String::new())
    } else {
        fail(
            case,
            tr,
            color,
            &Failure::Mismatch {
                request: &request,
                response: &response,
                mismatches: &mismatches,
            },
        )
    }
}

/// A case the interrupt kept from running (or from finishing): not a verdict either way.
fn interrupted() -> (Outcome, String) {
    let reason = "interrupted: not run".to_owned();
    (
        Outcome::Ignored {
            reason: reason.clone(),
        },
        reason,
    )
}

fn fail(case: &PlannedCase, tr: &TargetRun, color: bool, f: &Failure<'_>) -> (Outcome, String) {
    let redactor = tr.redactor.with_extra(f.sent_secrets());
    // `render` redacts each text from the endpoint before cutting it short (a secret cut
    // in half would not match any more); the final pass covers the rest.
    let plain = redactor
        .redact(&f.render(&case.at, false, &redactor))
        .into_owned();
    let shown = if color {
        redactor
            .redact(&f.render(&case.at, true, &redactor))
            .into_owned()
    } else {
        plain.clone()
    };
    (
        Outcome::Failed {
            kind: f.kind(),
            summary: redactor.redact(&f.summary(&redactor)).into_owned(),
            message: plain,
        },
        shown,
    )
}
