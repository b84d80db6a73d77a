//! The in-memory store: projects → workflows → executions, and id generation.
//!
//! No global lock: projects and workflows live in `DashMap`s (sharded), each workflow's
//! mutable part (its executions) behind its own `parking_lot::Mutex`, held only for
//! synchronous work and never across an `.await`. Terminate is a compare-and-set under that
//! mutex, so of N concurrent terminates exactly one sees `executing`.
//!
//! Ids are `<16 hex random per process><16 hex counter>` (32 characters). Executions are
//! appended under their workflow's mutex with ids drawn inside it, so each workflow's list
//! is sorted by counter and an execution is found by binary search: no second index.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use parking_lot::Mutex;

use super::catalog::data::{NodeSeed, Outcome};
use super::model::WorkflowSpec;

/// Milliseconds since the Unix epoch, the unit of every AOM time field.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Cheap unique ids: a random per-process prefix and a counter.
#[derive(Debug)]
pub(crate) struct IdGen {
    prefix: String,
    next: AtomicU64,
}

impl IdGen {
    pub fn new() -> Self {
        // Uniqueness within one process needs no entropy; the prefix only keeps ids of two
        // mock runs apart, so a clock fallback is good enough if the OS source fails.
        let seed = getrandom::u64().unwrap_or_else(|_| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        IdGen {
            prefix: format!("{seed:016x}"),
            next: AtomicU64::new(1),
        }
    }

    pub fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    pub fn render(&self, n: u64) -> String {
        format!("{}{n:016x}", self.prefix)
    }

    /// The counter of an id this generator made; `None` for anything else (→ not found).
    pub fn parse(&self, id: &str) -> Option<u64> {
        let hex = id.strip_prefix(self.prefix.as_str())?;
        // Exactly what `render` writes: from_str_radix alone would also take a leading '+'
        // or upper case, giving one execution several ids.
        if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok()
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// Execution status strings, lowercase as in the docs' status enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecStatus {
    Executing,
    /// Waiting at a paused node for `continue`.
    Pausing,
    /// Stopped at a failed node, until `restart` or `skip`.
    Fail,
    /// Past its last node.
    Success,
    Cancel,
}

impl ExecStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecStatus::Executing => "executing",
            ExecStatus::Pausing => "pausing",
            ExecStatus::Fail => "fail",
            ExecStatus::Success => "success",
            ExecStatus::Cancel => "cancel",
        }
    }

    /// Running, or waiting at a pause: what StopExecution can terminate.
    pub fn running(self) -> bool {
        matches!(self, ExecStatus::Executing | ExecStatus::Pausing)
    }
}

/// StartPausingWorkflowExecutions' `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeAction {
    /// Run a failed node again.
    Restart,
    /// Pass a failed node and go on with the next.
    Skip,
    /// Pass a paused node and go on with the next.
    Continue,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Execution {
    pub n: u64,
    pub status: ExecStatus,
    pub begin_time: i64,
    /// 0 until the execution ends (cancel or success).
    pub end_time: i64,
    pub last_update_time: i64,
    /// The current node (index into the workflow's nodes); their count once past the
    /// last, and 0 for a workflow without nodes.
    pub node: u8,
    /// Bit `i` set: node `i` was skipped.
    pub skipped: u32,
}

// Executions are the bulk of the store (a million per project): keep them at 40 bytes.
const _: () = assert!(std::mem::size_of::<Execution>() <= 40);

impl Execution {
    /// Arrives at node `i` of `nodes` (the template caps them at 20): its outcome decides
    /// the status. Without nodes the execution just runs.
    fn enter(&mut self, nodes: &[NodeSeed], i: usize, now: i64) {
        self.node = u8::try_from(i).unwrap_or(u8::MAX);
        self.status = match nodes.get(i).map(|n| n.outcome) {
            None if nodes.is_empty() => ExecStatus::Executing,
            None => {
                self.end_time = now;
                ExecStatus::Success
            }
            Some(Outcome::Runs) => ExecStatus::Executing,
            Some(Outcome::Pauses) => ExecStatus::Pausing,
            Some(Outcome::Fails) => ExecStatus::Fail,
        };
    }
}

/// What a workflow's mutex guards.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    /// Sorted by `n` (appended with ids drawn under the lock).
    pub executions: Vec<Execution>,
    /// `enable`/`disable` once UpdateWorkflowTriggerStatus was called.
    pub trigger_status: Option<&'static str>,
    pub update_time: i64,
}

impl Runs {
    fn position(&self, n: u64) -> Option<usize> {
        self.executions.binary_search_by_key(&n, |e| e.n).ok()
    }

    pub fn find(&self, n: u64) -> Option<&Execution> {
        self.position(n).map(|i| &self.executions[i])
    }
}

#[derive(Debug)]
pub(crate) struct Workflow {
    pub n: u64,
    pub project_id: String,
    /// The project's execution count, shared by its workflows (see [`Store::max_project_executions`]).
    project_executions: Arc<AtomicUsize>,
    pub spec: WorkflowSpec,
    /// The nodes of the seeded template the workflow was created from (`template_id`);
    /// none for any other workflow.
    pub nodes: &'static [NodeSeed],
    pub create_time: i64,
    pub runs: Mutex<Runs>,
}

/// Why a node operation did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperateError {
    NotFound,
    /// The execution is not at that node, or the node is not in a state the action
    /// applies to (continue: paused; restart, skip: failed).
    NotApplicable,
}

/// Why a terminate did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TerminateError {
    NotFound,
    NotRunning,
}

/// A store limit was reached: which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// The project holds its most workflows.
    Workflows,
    /// The workflow holds its most executions.
    WorkflowExecutions,
    /// The project's workflows together hold its most executions.
    ProjectExecutions,
}

impl Workflow {
    /// Starts an execution; it runs until terminated. `max` caps this workflow,
    /// `max_project` the whole project (so the caps do not multiply).
    pub fn execute(
        &self,
        ids: &IdGen,
        max: usize,
        max_project: usize,
        now: i64,
    ) -> Result<u64, Full> {
        let mut runs = self.runs.lock();
        if runs.executions.len() >= max {
            return Err(Full::WorkflowExecutions);
        }
        self.project_executions
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                (c < max_project).then_some(c + 1)
            })
            .map_err(|_| Full::ProjectExecutions)?;
        let n = ids.next();
        let mut execution = Execution {
            n,
            status: ExecStatus::Executing,
            begin_time: now,
            end_time: 0,
            last_update_time: now,
            node: 0,
            skipped: 0,
        };
        execution.enter(self.nodes, 0, now);
        runs.executions.push(execution);
        Ok(n)
    }

    /// Acts on node `node_id` of execution `n`, which must be the execution's current
    /// node and in the state `action` applies to.
    pub fn operate(
        &self,
        n: u64,
        action: NodeAction,
        node_id: &str,
        now: i64,
    ) -> Result<(), OperateError> {
        let mut runs = self.runs.lock();
        let i = runs.position(n).ok_or(OperateError::NotFound)?;
        let e = &mut runs.executions[i];
        let at = usize::from(e.node);
        if self.nodes.get(at).is_none_or(|node| node.id != node_id) {
            return Err(OperateError::NotApplicable);
        }
        let now = now.max(e.begin_time);
        match (action, e.status) {
            (NodeAction::Continue, ExecStatus::Pausing) => e.enter(self.nodes, at + 1, now),
            (NodeAction::Skip, ExecStatus::Fail) => {
                e.skipped |= 1 << at.min(31);
                e.enter(self.nodes, at + 1, now);
            }
            // Rerun: it fails only the first time, so now it runs.
            (NodeAction::Restart, ExecStatus::Fail) => e.status = ExecStatus::Executing,
            _ => return Err(OperateError::NotApplicable),
        }
        e.last_update_time = now;
        Ok(())
    }

    pub fn terminate(&self, n: u64, now: i64) -> Result<(), TerminateError> {
        let mut runs = self.runs.lock();
        let i = runs.position(n).ok_or(TerminateError::NotFound)?;
        let execution = &mut runs.executions[i];
        if !execution.status.running() {
            return Err(TerminateError::NotRunning);
        }
        // Never before begin_time, even if the clock stepped back.
        let end = now.max(execution.begin_time);
        execution.status = ExecStatus::Cancel;
        execution.end_time = end;
        execution.last_update_time = end;
        Ok(())
    }

    pub fn execution(&self, n: u64) -> Option<Execution> {
        self.runs.lock().find(n).copied()
    }

    pub fn set_trigger_status(&self, status: &'static str, now: i64) {
        let mut runs = self.runs.lock();
        runs.trigger_status = Some(status);
        runs.update_time = now;
    }
}

#[derive(Debug, Default)]
struct Project {
    workflows: DashMap<u64, Arc<Workflow>>,
    /// Reserved slots; reserved before insert so concurrent creates cannot overshoot the cap.
    count: AtomicUsize,
    /// Executions in all of the project's workflows.
    executions: Arc<AtomicUsize>,
}

#[derive(Debug)]
pub(crate) struct Store {
    projects: DashMap<String, Arc<Project>>,
    pub ids: IdGen,
    pub max_workflows: usize,
    pub max_executions: usize,
    pub max_project_executions: usize,
}

impl Store {
    pub fn new(max_workflows: usize, max_executions: usize, max_project_executions: usize) -> Self {
        Store {
            projects: DashMap::new(),
            ids: IdGen::new(),
            max_workflows,
            max_executions,
            max_project_executions,
        }
    }

    /// Forgets every project's workflows and executions (`POST /_mock/reset`). Requests
    /// in flight finish on what they already hold.
    pub fn reset(&self) {
        self.projects.clear();
    }

    /// Projects are created on first use; only project ids some credential is bound to get
    /// here, so their number is bounded by the configuration.
    fn project(&self, project_id: &str) -> Arc<Project> {
        if let Some(p) = self.projects.get(project_id) {
            return Arc::clone(&p);
        }
        Arc::clone(&self.projects.entry(project_id.to_owned()).or_default())
    }

    pub fn create_workflow(
        &self,
        project_id: &str,
        spec: WorkflowSpec,
        nodes: &'static [NodeSeed],
        now: i64,
    ) -> Result<Arc<Workflow>, Full> {
        let project = self.project(project_id);
        project
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                (c < self.max_workflows).then_some(c + 1)
            })
            .map_err(|_| Full::Workflows)?;
        let n = self.ids.next();
        let workflow = Arc::new(Workflow {
            n,
            project_id: project_id.to_owned(),
            project_executions: Arc::clone(&project.executions),
            spec,
            nodes,
            create_time: now,
            runs: Mutex::new(Runs {
                update_time: now,
                ..Runs::default()
            }),
        });
        project.workflows.insert(n, Arc::clone(&workflow));
        Ok(workflow)
    }

    pub fn workflow(&self, project_id: &str, workflow_id: &str) -> Option<Arc<Workflow>> {
        let n = self.ids.parse(workflow_id)?;
        let project = self.projects.get(project_id)?;
        project.workflows.get(&n).map(|w| Arc::clone(&w))
    }

    /// A snapshot of a project's workflows, unordered.
    pub fn workflows(&self, project_id: &str) -> Vec<Arc<Workflow>> {
        match self.projects.get(project_id) {
            Some(project) => project
                .workflows
                .iter()
                .map(|w| Arc::clone(w.value()))
                .collect(),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WorkflowSpec {
        serde_json::from_str(r#"{"name":"n","type":"manual"}"#).unwrap()
    }

    #[test]
    fn ids_round_trip_and_reject_foreign() {
        let ids = IdGen::new();
        let n = ids.next();
        let id = ids.render(n);
        assert_eq!(id.len(), 32);
        assert_eq!(ids.parse(&id), Some(n));
        assert_eq!(ids.parse("wf-1"), None);
        assert_eq!(ids.parse(&format!("{}zz", ids.prefix())), None);
        let plus = format!("{}+{}", ids.prefix(), &id[17..]);
        assert_eq!(ids.parse(&plus), None);
        assert_eq!(ids.parse(&id.to_uppercase()), None);
    }

    #[test]
    fn caps_are_enforced() {
        let store = Store::new(2, 2, 3);
        let p = "0123456789abcdef0123456789abcdef";
        let wf = store.create_workflow(p, spec(), &[], 1).unwrap();
        let other = store.create_workflow(p, spec(), &[], 1).unwrap();
        assert_eq!(
            store.create_workflow(p, spec(), &[], 1).err(),
            Some(Full::Workflows)
        );
        let run = |w: &Workflow| {
            w.execute(
                &store.ids,
                store.max_executions,
                store.max_project_executions,
                1,
            )
        };
        run(&wf).unwrap();
        run(&wf).unwrap();
        assert_eq!(run(&wf), Err(Full::WorkflowExecutions));
        // The project cap counts every workflow's executions: they do not multiply.
        run(&other).unwrap();
        assert_eq!(run(&other), Err(Full::ProjectExecutions));
    }

    #[test]
    fn terminate_once() {
        let store = Store::new(1, 10, 100);
        let wf = store.create_workflow("p", spec(), &[], 5).unwrap();
        let n = wf.execute(&store.ids, 10, 100, 5).unwrap();
        assert_eq!(wf.terminate(n, 4), Ok(()));
        let e = wf.execution(n).unwrap();
        assert_eq!((e.status, e.end_time), (ExecStatus::Cancel, 5));
        assert_eq!(wf.terminate(n, 6), Err(TerminateError::NotRunning));
        assert_eq!(wf.terminate(n + 1000, 6), Err(TerminateError::NotFound));
    }

    #[test]
    fn nodes_pause_fail_and_are_operated_on() {
        use super::super::catalog::data::JOBS;
        let store = Store::new(10, 10, 100);
        let nodes = |job: usize, t: usize| JOBS[job].templates[t].nodes;
        let paused = store.create_workflow("p", spec(), nodes(0, 1), 1).unwrap();
        let n = paused.execute(&store.ids, 10, 100, 1).unwrap();
        assert_eq!(paused.execution(n).unwrap().status, ExecStatus::Pausing);
        let wrong = paused.operate(n, NodeAction::Restart, "confirm-restart", 2);
        assert_eq!(wrong, Err(OperateError::NotApplicable));
        let other_node = paused.operate(n, NodeAction::Continue, "restart-service", 2);
        assert_eq!(other_node, Err(OperateError::NotApplicable));
        assert_eq!(
            paused.operate(n, NodeAction::Continue, "confirm-restart", 2),
            Ok(())
        );
        let e = paused.execution(n).unwrap();
        assert_eq!((e.status, e.node), (ExecStatus::Executing, 1));

        let failing = store.create_workflow("p", spec(), nodes(1, 0), 1).unwrap();
        let n = failing.execute(&store.ids, 10, 100, 1).unwrap();
        assert_eq!(failing.execution(n).unwrap().status, ExecStatus::Fail);
        assert_eq!(failing.terminate(n, 2), Err(TerminateError::NotRunning));
        assert_eq!(
            failing.operate(n, NodeAction::Skip, "check-disk-space", 2),
            Ok(())
        );
        let e = failing.execution(n).unwrap();
        assert_eq!((e.status, e.node, e.skipped), (ExecStatus::Executing, 1, 1));
        let m = failing.execute(&store.ids, 10, 100, 1).unwrap();
        assert_eq!(
            failing.operate(m, NodeAction::Restart, "check-disk-space", 2),
            Ok(())
        );
        assert_eq!(failing.execution(m).unwrap().status, ExecStatus::Executing);
        let gone = failing.operate(m + 1000, NodeAction::Skip, "check-disk-space", 2);
        assert_eq!(gone, Err(OperateError::NotFound));
    }

    #[test]
    fn holds_many_executions() {
        let store = Store::new(1, 1_000_000, 1_000_000);
        let wf = store.create_workflow("p", spec(), &[], 0).unwrap();
        let ns: Vec<u64> = (0..150_000)
            .map(|_| {
                wf.execute(
                    &store.ids,
                    store.max_executions,
                    store.max_project_executions,
                    1,
                )
                .unwrap()
            })
            .collect();
        for &n in ns.iter().step_by(997) {
            assert_eq!(wf.terminate(n, 2), Ok(()));
        }
        assert_eq!(wf.execution(ns[1]).unwrap().status, ExecStatus::Executing);
        assert_eq!(wf.execution(ns[997]).unwrap().status, ExecStatus::Cancel);
    }
}
