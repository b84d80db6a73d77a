//! The workflow and execution operations: CreateWorkflow, ListWorkflow, ExecuteWorkflow,
//! ListWorkflowExecutions, SearchWorkflowExecutionDetail, StopExecution,
//! StartPausingWorkflowExecutions and UpdateWorkflowTriggerStatus, over the store in
//! [`super::state`].

use std::cmp::Reverse;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::de::IgnoredAny;

use super::catalog::data;
use super::model::{ListWorkflowRequest, MOCK_USER, WorkflowSpec};
use super::state::{Full, NodeAction, OperateError, Store, TerminateError, Workflow, now_ms};
use super::views::{
    ExecuteResponse, ExecutionList, ExecutionView, RenderedId, ResultResponse, WorkflowDynamics,
    WorkflowPage, WorkflowView,
};
use super::{Scope, ok};
use crate::mock::App;
use crate::mock::auth::query_pairs;
use crate::mock::auth::query_param;
use crate::mock::errors::{ApiError, Op, json_bytes};
use crate::mock::fault::FaultPlan;
use crate::mock::pipeline::JsonBody;

fn workflow_of(app: &App, scope: &Scope) -> Result<Arc<Workflow>, ApiError> {
    app.cms
        .workflow(&scope.project_id, &scope.workflow_id)
        .ok_or_else(ApiError::not_exist)
}

/// The mock-specific 409 for a full store, naming the limit that was hit.
fn quota(full: Full, store: &Store) -> ApiError {
    match full {
        Full::Workflows => ApiError::quota_exceeded("workflows per project", store.max_workflows),
        Full::WorkflowExecutions => {
            ApiError::quota_exceeded("executions per workflow", store.max_executions)
        }
        Full::ProjectExecutions => {
            ApiError::quota_exceeded("executions per project", store.max_project_executions)
        }
    }
}

/// The execution the path names; an id the mock did not issue is unknown (404).
fn execution_of(app: &App, scope: &Scope) -> Result<u64, ApiError> {
    app.cms
        .ids
        .parse(&scope.execution_id)
        .ok_or_else(ApiError::not_exist)
}

pub(crate) async fn create_workflow(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    JsonBody(spec): JsonBody<WorkflowSpec>,
) -> Result<Response, ApiError> {
    spec.validate()?;
    fault.apply(Op::CreateWorkflow).await?;
    // A seeded template gives the workflow its nodes; any other template id is
    // accepted as is (the real built-in templates are not modelled) and gives none.
    let nodes = spec
        .template_id
        .as_deref()
        .and_then(|t| data::template(&scope.project_id, t))
        .map_or(&[][..], |(_, t)| t.nodes);
    let workflow = app
        .cms
        .create_workflow(&scope.project_id, spec, nodes, now_ms())
        .map_err(|full| quota(full, &app.cms))?;
    let dynamics = WorkflowDynamics::of(&workflow.runs.lock());
    Ok(ok(&WorkflowView::new(&app.cms.ids, &workflow, dynamics)))
}

pub(crate) async fn list_workflow(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    JsonBody(request): JsonBody<ListWorkflowRequest>,
) -> Result<Response, ApiError> {
    request.validate()?;
    fault.apply(Op::ListWorkflow).await?;
    let workflows = app.cms.workflows(&scope.project_id);
    let search = request.search.as_deref().map(str::to_lowercase);
    let mut matching: Vec<(&Workflow, WorkflowDynamics)> = workflows
        .iter()
        .map(|w| (w.as_ref(), WorkflowDynamics::of(&w.runs.lock())))
        .filter(|(w, d)| {
            let spec = &w.spec;
            let contains = |text: &Option<String>, needle: &str| {
                text.as_deref()
                    .is_some_and(|t| t.to_lowercase().contains(needle))
            };
            search.as_deref().is_none_or(|s| {
                spec.name.to_lowercase().contains(s) || contains(&spec.description, s)
            }) && request.kind.as_ref().is_none_or(|k| *k == spec.kind)
                && request
                    .status
                    .as_deref()
                    .is_none_or(|s| d.last.is_some_and(|e| e.status.as_str() == s))
                && request.create_by.as_deref().is_none_or(|c| c == MOCK_USER)
                && request.tags.as_ref().is_none_or(|want| {
                    want.iter()
                        .all(|(k, v)| spec.tags.as_ref().and_then(|t| t.get(k)) == Some(v))
                })
                && request.search_time_start.is_none_or(|t| d.update_time >= t)
                && request.search_time_end.is_none_or(|t| d.update_time <= t)
        })
        .collect();
    let field = request.sort_field.as_deref().unwrap_or("create_time");
    let key = |(w, d): &(&Workflow, WorkflowDynamics)| {
        let time = match field {
            "update_time" => d.update_time,
            "last_execution_start_time" => d.last.map_or(0, |e| e.begin_time),
            _ => w.create_time,
        };
        (time, w.n)
    };
    if request.sort_type.as_deref() == Some("ASC") {
        matching.sort_unstable_by_key(key);
    } else {
        matching.sort_unstable_by_key(|entry| Reverse(key(entry)));
    }
    let total_elements = matching.len();
    let size = usize::try_from(request.size.unwrap_or(10)).unwrap_or(10);
    let page = usize::try_from(request.page.unwrap_or(0))
        .unwrap_or(0)
        .max(1);
    let elements = matching
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|(w, d)| WorkflowView::new(&app.cms.ids, w, d))
        .collect();
    Ok(ok(&WorkflowPage {
        elements,
        total_elements,
    }))
}

pub(crate) async fn execute_workflow(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    fault.apply(Op::ExecuteWorkflow).await?;
    let workflow = workflow_of(&app, &scope)?;
    let store = &app.cms;
    let n = workflow
        .execute(
            &store.ids,
            store.max_executions,
            store.max_project_executions,
            now_ms(),
        )
        .map_err(|full| quota(full, store))?;
    Ok(ok(&ExecuteResponse {
        execution_id: RenderedId(&app.cms.ids, n),
    }))
}

pub(crate) async fn list_workflow_executions(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    uri: Uri,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    for (key, value) in query_pairs(uri.query()) {
        if key == "x_enterprise_project_id" && !(1..=64).contains(&value.chars().count()) {
            return Err(ApiError::invalid_parameter(
                "x_enterprise_project_id must be 1-64 characters long.",
            ));
        }
    }
    fault.apply(Op::ListWorkflowExecutions).await?;
    let workflow = workflow_of(&app, &scope)?;
    // Copy the (40-byte) records out under the lock and serialize after releasing it, on
    // a blocking thread: a list of a million executions must not stall the workflow's
    // other requests, nor the server's request threads.
    let executions = workflow.runs.lock().executions.clone();
    let body = tokio::task::spawn_blocking(move || {
        serde_json::to_vec(&ExecutionList {
            ids: &app.cms.ids,
            workflow: &workflow,
            executions: &executions,
        })
    })
    .await;
    match body {
        Ok(Ok(bytes)) => Ok(json_bytes(StatusCode::OK, bytes)),
        _ => Err(ApiError::internal(Op::ListWorkflowExecutions)),
    }
}

pub(crate) async fn search_workflow_execution_detail(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    fault.apply(Op::SearchWorkflowExecutionDetail).await?;
    let workflow = workflow_of(&app, &scope)?;
    let execution = workflow
        .execution(execution_of(&app, &scope)?)
        .ok_or_else(ApiError::not_exist)?;
    Ok(ok(&ExecutionView::new(&app.cms.ids, &workflow, &execution)))
}

pub(crate) async fn stop_execution(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    fault.apply(Op::StopExecution).await?;
    let workflow = workflow_of(&app, &scope)?;
    match workflow.terminate(execution_of(&app, &scope)?, now_ms()) {
        Ok(()) => Ok(ok(&ResultResponse { result: "success" })),
        Err(TerminateError::NotFound) => Err(ApiError::not_exist()),
        Err(TerminateError::NotRunning) => Err(ApiError::not_running()),
    }
}

pub(crate) async fn update_workflow_trigger_status(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    uri: Uri,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    let status = match query_param(&uri, "action").as_deref() {
        Some("enable") => "enable",
        Some("disable") => "disable",
        _ => {
            return Err(ApiError::invalid_parameter(
                "action is required and must be enable or disable.",
            ));
        }
    };
    fault.apply(Op::UpdateWorkflowTriggerStatus).await?;
    workflow_of(&app, &scope)?.set_trigger_status(status, now_ms());
    Ok(ok(&ResultResponse { result: "success" }))
}

/// `action` and `node_id` are required; the node must be the execution's current one
/// and in the state the action applies to, else 400 `AOM.31001418` (StopExecution's
/// documented "does not support the current operation").
pub(crate) async fn start_pausing_workflow_executions(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    uri: Uri,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    let action = match query_param(&uri, "action").as_deref() {
        Some("restart") => NodeAction::Restart,
        Some("skip") => NodeAction::Skip,
        Some("continue") => NodeAction::Continue,
        _ => {
            return Err(ApiError::invalid_parameter(
                "action is required and must be restart, skip or continue.",
            ));
        }
    };
    let node_id = query_param(&uri, "node_id")
        .filter(|n| (1..=64).contains(&n.chars().count()))
        .ok_or_else(|| ApiError::invalid_parameter("node_id is required, 1-64 characters."))?;
    fault.apply(Op::StartPausingWorkflowExecutions).await?;
    let workflow = workflow_of(&app, &scope)?;
    let n = execution_of(&app, &scope)?;
    match workflow.operate(n, action, &node_id, now_ms()) {
        Ok(()) => Ok(ok(&ResultResponse { result: "success" })),
        Err(OperateError::NotFound) => Err(ApiError::not_exist()),
        Err(OperateError::NotApplicable) => Err(ApiError::not_running()),
    }
}
