//! Response bodies with the documented field names, serialized straight from the store
//! (ids from their counters, lists from under their lock) without intermediate copies.

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use serde_json::{Map, Value};

use super::catalog::data::NodeSeed;
use super::model::{MOCK_USER, WorkflowSpec};
use super::state::{Execution, IdGen, Runs, Workflow};

/// An id serialized straight from prefix and counter, without an intermediate `String`.
pub(crate) struct RenderedId<'a>(pub &'a IdGen, pub u64);

impl Serialize for RenderedId<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}{:016x}", self.0.prefix(), self.1))
    }
}

/// The mutable facts of a workflow, copied out from under its lock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkflowDynamics {
    pub last: Option<Execution>,
    pub trigger_status: Option<&'static str>,
    pub update_time: i64,
}

impl WorkflowDynamics {
    pub fn of(runs: &Runs) -> Self {
        WorkflowDynamics {
            last: runs.executions.last().copied(),
            trigger_status: runs.trigger_status,
            update_time: runs.update_time,
        }
    }
}

/// A workflow as CreateWorkflow and ListWorkflow return it.
#[derive(Serialize)]
pub(crate) struct WorkflowView<'a> {
    id: RenderedId<'a>,
    #[serde(flatten)]
    spec: &'a WorkflowSpec,
    project_id: &'a str,
    enterprise_project_id: &'static str,
    create_time: i64,
    create_by: &'static str,
    update_time: i64,
    update_by: &'static str,
    is_delete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_execution_id: Option<RenderedId<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_execution_start_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_execution_end_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_execute_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger_status: Option<&'static str>,
}

impl<'a> WorkflowView<'a> {
    pub fn new(ids: &'a IdGen, workflow: &'a Workflow, dynamics: WorkflowDynamics) -> Self {
        let last = dynamics.last;
        WorkflowView {
            id: RenderedId(ids, workflow.n),
            spec: &workflow.spec,
            project_id: &workflow.project_id,
            enterprise_project_id: "0",
            create_time: workflow.create_time,
            create_by: MOCK_USER,
            update_time: dynamics.update_time,
            update_by: MOCK_USER,
            is_delete: false,
            status: last.map(|e| e.status.as_str()),
            last_execution_id: last.map(|e| RenderedId(ids, e.n)),
            last_execution_start_time: last.map(|e| e.begin_time),
            last_execution_end_time: last.map(|e| e.end_time),
            last_execute_by: last.map(|_| MOCK_USER),
            trigger_status: dynamics.trigger_status,
        }
    }
}

/// An execution as ListWorkflowExecutions and SearchWorkflowExecutionDetail return it.
/// `execution_result_list` has the nodes the execution reached (none for a workflow not
/// created from a seeded template).
#[derive(Serialize)]
pub(crate) struct ExecutionView<'a> {
    workflow_id: RenderedId<'a>,
    execution_id: RenderedId<'a>,
    project_id: &'a str,
    status: &'static str,
    begin_time: i64,
    end_time: i64,
    last_update_time: i64,
    created_by: &'static str,
    approve_user_name_list: [&'static str; 0],
    execution_result_list: NodeResults,
    workflow_edit_time: i64,
}

impl<'a> ExecutionView<'a> {
    pub fn new(ids: &'a IdGen, workflow: &'a Workflow, e: &Execution) -> Self {
        ExecutionView {
            workflow_id: RenderedId(ids, workflow.n),
            execution_id: RenderedId(ids, e.n),
            project_id: &workflow.project_id,
            status: e.status.as_str(),
            begin_time: e.begin_time,
            end_time: e.end_time,
            last_update_time: e.last_update_time,
            created_by: MOCK_USER,
            approve_user_name_list: [],
            execution_result_list: NodeResults {
                nodes: workflow.nodes,
                execution: *e,
            },
            workflow_edit_time: workflow.create_time,
        }
    }
}

/// The nodes an execution reached, in order: those it passed (`success`, or `skipped`),
/// then the current one (the execution's own state, as a node status).
pub(crate) struct NodeResults {
    nodes: &'static [NodeSeed],
    execution: Execution,
}

#[derive(Serialize)]
struct NodeResult {
    node_id: &'static str,
    status: &'static str,
    begin_time: i64,
    end_time: i64,
    output: Map<String, Value>,
}

impl Serialize for NodeResults {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = &self.execution;
        let at = usize::from(e.node);
        let reached = self.nodes.len().min(at + 1);
        let mut seq = s.serialize_seq(Some(reached))?;
        for (i, node) in self.nodes[..reached].iter().enumerate() {
            let passed = i < at;
            let status = match (passed, e.skipped & (1 << i.min(31)) != 0) {
                (true, true) => "skipped",
                (true, false) => "success",
                (false, _) => e.status.as_str(),
            };
            seq.serialize_element(&NodeResult {
                node_id: node.id,
                status,
                begin_time: e.begin_time,
                end_time: if passed {
                    e.last_update_time
                } else {
                    e.end_time
                },
                output: Map::new(),
            })?;
        }
        seq.end()
    }
}

/// ListWorkflowExecutions' top-level array, newest first, serialized straight from the
/// locked list.
pub(crate) struct ExecutionList<'a> {
    pub ids: &'a IdGen,
    pub workflow: &'a Workflow,
    pub executions: &'a [Execution],
}

impl Serialize for ExecutionList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.executions.len()))?;
        for e in self.executions.iter().rev() {
            seq.serialize_element(&ExecutionView::new(self.ids, self.workflow, e))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
pub(crate) struct ExecuteResponse<'a> {
    pub execution_id: RenderedId<'a>,
}

#[derive(Serialize)]
pub(crate) struct ResultResponse {
    pub result: &'static str,
}

#[derive(Serialize)]
pub(crate) struct WorkflowPage<'a> {
    pub elements: Vec<WorkflowView<'a>>,
    pub total_elements: usize,
}
