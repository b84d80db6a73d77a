//! Cases → libtest-mimic trials. One shared tokio runtime and one pooled client per
//! target; each trial runs its case ([`case`]) and emits typed [`report::Event`]s to
//! every reporter. The console text libtest prints for a failure comes from `report`.

mod ahead;
mod capture;
mod case;
mod cleanup;
mod observe;
mod preflight;

pub use ahead::libtest_arguments;
pub use preflight::{Preflight, Refused};

use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};
use tokio::runtime::Handle;

use crate::baseline::Baseline;
use crate::fidelity::CaseObservation;
use crate::http::{Client, Rendered, Response, TransportError};
use crate::plan::partition::Partition;
use crate::plan::{Plan, PlannedRequest};
use crate::report::{self, CaseFinished, CaseInfo, Event, Outcome, Reporters, Warning};
use crate::target::Target;
use crate::template::Vars;

/// Everything a trial needs about the target it runs against.
pub struct TargetRun {
    pub target: Target,
    /// Index of this target in the run's `RunInfo::targets`.
    pub index: usize,
    pub client: Client,
    pub redactor: report::redact::Redactor,
    /// Base variables: the target's, plus `run_id`.
    pub vars: Vars,
    pub run_id: String,
    pending: cleanup::Pending,
    reporters: Arc<Reporters>,
    /// Known deviations: a failure an entry covers is reported as such.
    baseline: Arc<Baseline>,
    /// `run --record`: every finished case's observation lands here.
    record: Option<Recorded>,
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

/// Where `run --record` collects observations, from every trial.
pub type Recorded = Arc<parking_lot::Mutex<Vec<CaseObservation>>>;

/// What a [`TargetRun`] is built from, besides its target.
pub struct RunContext {
    pub index: usize,
    pub client: Client,
    pub redactor: report::redact::Redactor,
    pub vars: Vars,
    pub run_id: String,
    pub reporters: Arc<Reporters>,
    pub baseline: Arc<Baseline>,
    /// Observe every case into this (`run --record`); `None` observes nothing.
    pub record: Option<Recorded>,
}

impl TargetRun {
    pub fn new(target: Target, cx: RunContext) -> Self {
        TargetRun {
            target,
            index: cx.index,
            client: cx.client,
            redactor: cx.redactor,
            vars: cx.vars,
            run_id: cx.run_id,
            pending: cleanup::Pending::default(),
            reporters: cx.reporters,
            baseline: cx.baseline,
            record: cx.record,
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }

    /// The first of `families` this target's endpoint does not offer.
    pub fn missing_family<'a>(
        &self,
        plan: &Plan,
        mut families: impl Iterator<Item = &'a str>,
    ) -> Option<&'a str> {
        let t = &self.target;
        families.find(|f| !plan.offers(f, t.families.as_ref(), t.region.as_deref()))
    }

    /// Stops sending new requests (Ctrl-C).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// True once the run was interrupted.
    pub fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// A failure the baseline covers becomes a known deviation; a pass it covers is a
    /// fixed entry, said as a warning (and counted, for `--strict-baseline`).
    fn against_baseline(&self, id: &str, outcome: Outcome) -> Outcome {
        let Some(entry) = self.baseline.entry(&self.target.name, id) else {
            return outcome;
        };
        match outcome {
            Outcome::Failed(failure) => Outcome::KnownDeviation {
                reason: match &entry.link {
                    Some(link) => format!("{} ({link})", entry.reason),
                    None => entry.reason.clone(),
                },
                failure,
            },
            Outcome::Passed => {
                self.baseline.count_fixed();
                self.warn(Warning::BaselineFixed {
                    case: id.to_owned(),
                    pattern: entry.pattern.clone(),
                    at: entry.at.clone(),
                });
                Outcome::Passed
            }
            other => other,
        }
    }

    /// Waits `d`, unless the run is interrupted first: false then.
    async fn pause(&self, d: std::time::Duration) -> bool {
        let mut stop = self.stopping.subscribe();
        if *stop.borrow_and_update() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            _ = stop.wait_for(|s| *s) => false,
        }
    }

    /// Reports a warning about this target.
    pub fn warn(&self, warning: Warning) {
        self.reporters.emit(&Event::Warning {
            target: self.index,
            warning: &warning,
        });
    }

    /// Renders, signs and sends one call. On a 2xx answer of an operation with a
    /// cleanup, the undo is registered (and its id pushed to `cleanups`) before this
    /// returns.
    async fn call(
        &self,
        plan: &Plan,
        req: &PlannedRequest,
        vars: &Vars,
        cleanups: &mut Vec<u64>,
    ) -> (Rendered, Result<Response, CallError>) {
        let rendered = Rendered::render(req, vars);
        let undo = plan.cleanups.get(&req.op.name);
        let mut stop = self.stopping.subscribe();
        if *stop.borrow_and_update() {
            return (rendered, Err(CallError::Interrupted));
        }
        // Waiting for the rate limit sends nothing, so an interrupt may end it; signed
        // after it, so an AK/SK signature's date is that of the sending.
        let permit = tokio::select! {
            p = self.client.permit() => p,
            _ = stop.wait_for(|s| *s) => return (rendered, Err(CallError::Interrupted)),
        };
        let rendered = self.client.authorize(rendered);
        let result = if undo.is_some() {
            // It may start something: wait for the answer so it can be undone.
            self.client.send(permit, &rendered).await
        } else {
            tokio::select! {
                r = self.client.send(permit, &rendered) => r,
                _ = stop.wait_for(|s| *s) => return (rendered, Err(CallError::Interrupted)),
            }
        };
        let result = match (undo, result) {
            (Some(undo), Ok(resp)) if (200..300).contains(&resp.status) => {
                if let Some(id) = self.register_undo(undo, req, vars, &resp, &rendered) {
                    cleanups.push(id);
                }
                Ok(resp)
            }
            // The request went out but no usable answer came back: the endpoint may have
            // started something nobody can name now. Say so rather than stay silent.
            (Some(_), Err(e)) if e.may_have_acted() => {
                self.warn(Warning::MayHaveActed {
                    request: rendered.clone(),
                    error: e.clone(),
                });
                Err(e)
            }
            (_, r) => r,
        };
        (rendered, result.map_err(CallError::Transport))
    }
}

/// Options shared by all trials.
pub struct TrialOptions {
    /// Prefix trial names with the target name (several targets in one run).
    pub prefix_target: bool,
    pub color: bool,
    /// Only this part of the cases (`--partition`).
    pub partition: Option<Partition>,
}

impl TrialOptions {
    /// Whether case `index` of its plan is in this run's part: every case when the run
    /// is not partitioned.
    fn runs(&self, index: usize, case: &crate::plan::PlannedCase) -> bool {
        self.partition.is_none_or(|p| p.selects(index, &case.id))
    }
}

/// Whether `args` (the filter, `--skip`, `--exact`, `--ignored`) select no case of the
/// whole suite, whatever part this run is: a part may rightly be empty, a filter that
/// matches nothing anywhere is a mistake.
pub fn selects_nothing(
    targets: &[(Arc<Plan>, Arc<TargetRun>)],
    args: &libtest_mimic::Arguments,
    prefix_target: bool,
) -> bool {
    !targets.iter().any(|(plan, tr)| {
        plan.cases.iter().any(|case| {
            let probe = probe(trial_name(case, tr, prefix_target), case.skip.is_some());
            !args.is_filtered_out(&probe)
        })
    })
}

/// The trial name of `case` on `tr`.
fn trial_name(case: &crate::plan::PlannedCase, tr: &TargetRun, prefix_target: bool) -> String {
    if prefix_target {
        format!("{}: {}", tr.target.name, case.id)
    } else {
        case.id.clone()
    }
}

/// The quarantined cases (`skip:`) libtest will not run with `args`: they never reach a
/// trial, so their events come from here, each ignored with its reason.
pub fn quarantined(
    targets: &[(Arc<Plan>, Arc<TargetRun>)],
    args: &libtest_mimic::Arguments,
    opts: &TrialOptions,
) -> Vec<CaseFinished> {
    if args.ignored || args.include_ignored {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (plan, tr) in targets {
        for (index, case) in plan.cases.iter().enumerate() {
            let Some(reason) = &case.skip else { continue };
            if !opts.runs(index, case) {
                continue;
            }
            let name = trial_name(case, tr, opts.prefix_target);
            let probe = Trial::test(name, || Ok(()));
            if args.is_filtered_out(&probe.with_ignored_flag(true)) {
                continue;
            }
            out.push(CaseFinished {
                case: case_info(case, tr),
                outcome: Outcome::Ignored {
                    reason: format!("skip: {reason}"),
                },
                exchange: None,
                duration: std::time::Duration::ZERO,
            });
        }
    }
    out
}

fn case_info(case: &crate::plan::PlannedCase, tr: &TargetRun) -> CaseInfo {
    CaseInfo {
        target: tr.index,
        id: case.id.clone(),
        operation: case.op.name.clone(),
        status: case.expect.status,
        name: case.name.clone(),
        at: case.at.clone(),
    }
}

/// One trial per (target, case) of this part; the cases `args` select start ahead of
/// their trials, at most `args.test_threads` at once (see [`ahead`]). Run the trials with
/// [`libtest_arguments`].
pub fn trials(
    targets: &[(Arc<Plan>, Arc<TargetRun>)],
    handle: &Handle,
    opts: &TrialOptions,
    args: &libtest_mimic::Arguments,
) -> Vec<Trial> {
    // First which cases libtest will call (they run ahead, see `ahead`), then the trials.
    let mut jobs = Vec::new();
    let mut listed = Vec::with_capacity(targets.iter().map(|(p, _)| p.cases.len()).sum());
    for (plan, tr) in targets {
        for (index, case) in plan.cases.iter().enumerate() {
            if !opts.runs(index, case) {
                continue;
            }
            let name = trial_name(case, tr, opts.prefix_target);
            let quarantined = case.skip.is_some();
            let probe = probe(name.clone(), quarantined);
            let slot = (!args.is_filtered_out(&probe) && !args.is_ignored(&probe)).then(|| {
                jobs.push(ahead::Job {
                    plan: Arc::clone(plan),
                    index,
                    tr: Arc::clone(tr),
                });
                jobs.len() - 1
            });
            listed.push((
                Arc::clone(plan),
                index,
                Arc::clone(tr),
                name,
                quarantined,
                slot,
            ));
        }
    }
    let threads = args.test_threads.unwrap_or(1);
    let ahead = ahead::Ahead::new(handle.clone(), threads, jobs);
    listed
        .into_iter()
        .map(|(plan, index, tr, name, quarantined, slot)| {
            let (ahead, handle, color) = (Arc::clone(&ahead), handle.clone(), opts.color);
            Trial::ignorable_test(name, move || {
                let done = match slot {
                    Some(k) => ahead.take(k),
                    // Should libtest call a trial it was not expected to, its case runs.
                    None => handle.block_on(ahead::run(&plan, index, &tr)),
                };
                trial(&plan, index, &tr, done, color)
            })
            .with_ignored_flag(quarantined)
        })
        .collect()
}

/// A trial that stands for a case in libtest's selection (`is_filtered_out`,
/// `is_ignored`): its name and whether it is quarantined.
fn probe(name: String, quarantined: bool) -> Trial {
    Trial::test(name, || Ok(())).with_ignored_flag(quarantined)
}

/// Reports case `index` of `plan`, which ran (`done`): events, libtest's verdict.
fn trial(
    plan: &Plan,
    index: usize,
    tr: &TargetRun,
    (outcome, exchange, duration): ahead::Done,
    color: bool,
) -> Result<Completion, Failed> {
    let case = &plan.cases[index];
    let info = case_info(case, tr);
    let outcome = tr.against_baseline(&case.id, outcome);
    let verdict = match &outcome {
        Outcome::Passed => Ok(Completion::Completed),
        Outcome::Ignored { reason } => Ok(Completion::ignored_with(reason)),
        Outcome::Interrupted => Ok(Completion::ignored_with(report::INTERRUPTED)),
        Outcome::KnownDeviation { reason, .. } => {
            Ok(Completion::ignored_with(Outcome::deviation_text(reason)))
        }
        Outcome::Failed(f) => {
            let r = report::failure::redactor_for(f, &tr.redactor);
            Err(Failed::from(report::failure::render(
                f, &case.at, color, &r,
            )))
        }
    };
    let finished = CaseFinished {
        case: info,
        outcome,
        exchange,
        duration,
    };
    tr.reporters.emit(&Event::CaseFinished(&finished));
    verdict
}

/// Runs the cases `selected` (indexes into `plan.cases`) on `tr`, at most `threads` at
/// once, each observed; the observations in plan order. Nothing is reported.
pub async fn observe_all(
    plan: Arc<Plan>,
    tr: Arc<TargetRun>,
    selected: Vec<usize>,
    threads: usize,
) -> Vec<CaseObservation> {
    let permits = Arc::new(tokio::sync::Semaphore::new(threads.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for index in selected {
        let (plan, tr, permits) = (Arc::clone(&plan), Arc::clone(&tr), Arc::clone(&permits));
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok()?;
            let case = &plan.cases[index];
            let mut log = observe::Log::on();
            let (outcome, _) = case::run(&plan, case, index, &tr, &mut log).await;
            observe::observation(case, &tr, &outcome, log).map(|o| (index, o))
        });
    }
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        // A task that panicked is a bug; its case is then simply not observed.
        if let Ok(Some(o)) = done {
            out.push(o);
        }
    }
    out.sort_by_key(|(index, _)| *index);
    out.into_iter().map(|(_, o)| o).collect()
}
