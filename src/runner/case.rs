//! One case: capability check, setup steps (with their captures), the request under
//! test, the check of its answer, and the undos of whatever the case started. Returns
//! typed data; the text is `report`'s.

use serde_json::Value;

use super::capture::capture;
use super::observe::Log;
use super::{CallError, TargetRun};
use crate::check;
use crate::http::{Rendered, Response};
use crate::plan::{Plan, PlannedCase, PlannedPoll, PlannedStep};
use crate::report::{Exchange, Failure, Outcome, Problem, SetupCause};
use crate::template::Vars;

/// Runs `case` (number `index` of the plan) against `tr`: its outcome, and the request
/// under test if it was sent. Every call made lands in `log` (when it is on).
pub(super) async fn run(
    plan: &Plan,
    case: &PlannedCase,
    index: usize,
    tr: &TargetRun,
    log: &mut Log,
) -> (Outcome, Option<Exchange>) {
    if tr.stopping() {
        return (Outcome::Interrupted, None);
    }
    let provided = |v: &str| tr.target.variables.contains_key(v);
    if let Some(family) = tr.missing_family(plan, case.families(&provided)) {
        let reason = format!("{family} is not offered by {}", tr.target.label());
        return (Outcome::Ignored { reason }, None);
    }
    if let Some(missing) = case.missing_capability(&|c| tr.target.has(c), &provided) {
        let reason = format!("needs capability {missing}");
        return (Outcome::Ignored { reason }, None);
    }
    let mut cleanups = Vec::new();
    let result = steps_and_request(plan, case, index, tr, &mut cleanups, log).await;
    // Undo in reverse order, whatever the outcome.
    for id in cleanups.into_iter().rev() {
        tr.finish(id).await;
    }
    result
}

/// The case's variables before its first step: the target's, the file's defaults, a
/// `case_uid` unique in the run, per target (`_`-joined: AOM rule names allow letters,
/// digits and `_` only), and `now_ms`, the case's start in Unix milliseconds (event timestamps).
fn case_vars(case: &PlannedCase, index: usize, tr: &TargetRun) -> Vars {
    let mut vars = tr.vars.clone();
    for (k, v) in case.defaults.iter() {
        if vars.get(k).is_none() {
            vars.set(k.clone(), v.clone());
        }
    }
    // Unique per target too: two targets may share one backend.
    vars.set("case_uid", format!("{}_{}_{index}", tr.run_id, tr.index));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    vars.set("now_ms", now.map_or(0, |d| d.as_millis()).to_string());
    vars
}

async fn steps_and_request(
    plan: &Plan,
    case: &PlannedCase,
    index: usize,
    tr: &TargetRun,
    cleanups: &mut Vec<u64>,
    log: &mut Log,
) -> (Outcome, Option<Exchange>) {
    let provided = |v: &str| tr.target.variables.contains_key(v);
    let mut vars = case_vars(case, index, tr);
    log.started(vars.get("now_ms"));
    for (i, step) in case.setup.iter().enumerate() {
        if !PlannedCase::step_runs(step, &provided) {
            continue;
        }
        if let Err(outcome) = setup_step(plan, i, step, tr, &mut vars, cleanups, log).await {
            return (outcome, None);
        }
    }

    let (request, sent) = tr.call(plan, &case.request, &vars, cleanups).await;
    log.call(tr, "request".into(), &case.op.name, &request, &sent);
    let response = match sent {
        Ok(r) => r,
        Err(CallError::Interrupted) => return (Outcome::Interrupted, None),
        Err(CallError::Transport(error)) => {
            let exchange = exchange(&request, None);
            return (failed(request, Problem::Transport(error)), Some(exchange));
        }
    };
    let mut exchange = exchange(&request, Some(&response));
    let verdict = check::check(&case.expect, &response, &vars);
    exchange.answered_by = verdict.answered_by.map(|a| a.by.clone());
    let outcome = if verdict.mismatches.is_empty() {
        Outcome::Passed
    } else {
        let mismatches = verdict.mismatches;
        failed(
            request,
            Problem::Mismatch {
                response,
                mismatches,
            },
        )
    };
    (outcome, Some(exchange))
}

/// Runs setup step `i`; its captures land in `vars`. `Err` is the case's outcome.
async fn setup_step(
    plan: &Plan,
    i: usize,
    step: &PlannedStep,
    tr: &TargetRun,
    vars: &mut Vars,
    cleanups: &mut Vec<u64>,
    log: &mut Log,
) -> Result<(), Outcome> {
    let (request, sent, tries) = match &step.poll {
        None => {
            let (request, sent) = tr.call(plan, &step.request, vars, cleanups).await;
            (request, sent, 1)
        }
        Some(poll) => polled(plan, step, poll, tr, vars, cleanups).await,
    };
    // A poll's last try only: how many it took is a timing.
    let role = format!("setup {}", i + 1);
    log.call(tr, role, &step.request.op.name, &request, &sent);
    let fail = |request: Rendered, cause: SetupCause, response: Option<Response>| {
        let problem = Problem::Setup {
            step: i,
            at: step.at.clone(),
            operation: step.request.op.name.clone(),
            cause,
            response,
        };
        failed(request, problem)
    };
    let response = match sent {
        Ok(r) => r,
        Err(CallError::Interrupted) => return Err(Outcome::Interrupted),
        Err(CallError::Transport(e)) => return Err(fail(request, SetupCause::Transport(e), None)),
    };
    let ok = match (&step.poll, step.expect_status) {
        (Some(p), _) => p.until.contains(&response.status),
        (None, Some(s)) => response.status == s,
        (None, None) => (200..300).contains(&response.status),
    };
    if !ok {
        let cause = match &step.poll {
            Some(p) => SetupCause::PollEnded {
                until: p.until.clone(),
                tries,
                within: p.within,
            },
            None => SetupCause::Status {
                wanted: step.expect_status,
            },
        };
        return Err(fail(request, cause, Some(response)));
    }
    if step.captures.is_empty() {
        return Ok(());
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(v) => v,
        Err(e) => {
            let cause = SetupCause::NotJson {
                error: e.to_string(),
            };
            return Err(fail(request, cause, Some(response)));
        }
    };
    capture(&body, &step.captures, vars).map_err(|(variable, pointer)| {
        let cause = SetupCause::Capture {
            variable: variable.clone(),
            pointer: pointer.clone(),
        };
        fail(request, cause, Some(response))
    })
}

/// A `poll:` step: the call repeated every `poll.every` until it answers one of
/// `poll.until` or another try would end after `poll.within`. The last call and answer,
/// and how many calls were made; a transport error or an interrupt ends it at once.
async fn polled(
    plan: &Plan,
    step: &PlannedStep,
    poll: &PlannedPoll,
    tr: &TargetRun,
    vars: &Vars,
    cleanups: &mut Vec<u64>,
) -> (Rendered, Result<Response, CallError>, u32) {
    let deadline = tokio::time::Instant::now() + poll.within;
    let mut tries = 0;
    loop {
        tries += 1;
        let (request, sent) = tr.call(plan, &step.request, vars, cleanups).await;
        let done = sent.as_ref().is_ok_and(|r| poll.until.contains(&r.status));
        let out_of_time = tokio::time::Instant::now() + poll.every > deadline;
        if done || sent.is_err() || out_of_time {
            return (request, sent, tries);
        }
        if !tr.pause(poll.every).await {
            return (request, Err(CallError::Interrupted), tries);
        }
    }
}

fn failed(request: Rendered, problem: Problem) -> Outcome {
    Outcome::Failed(Box::new(Failure { request, problem }))
}

/// The request under test as reporters show it, with the endpoint's request id.
fn exchange(request: &Rendered, response: Option<&Response>) -> Exchange {
    Exchange {
        method: request.method,
        path: request.path.clone(),
        status: response.map(|r| r.status),
        request_id: response.and_then(|r| {
            let v = r.headers.get("x-request-id")?;
            Some(String::from_utf8_lossy(v.as_bytes()).into_owned())
        }),
        sent_secrets: request.sent_secrets.clone(),
        answered_by: None,
    }
}
