//! The CMS-workflow (automation) family: its routes, path parameters and handlers, over
//! the store in [`state`] (workflows and executions), request bodies in [`model`] and
//! response bodies in [`views`].

mod model;
mod state;
mod views;

use std::cmp::Reverse;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::de::IgnoredAny;

use super::App;
use super::auth::query_pairs;
use super::errors::{ApiError, Op, json_bytes, json_response};
use super::fault::FaultPlan;
use super::pipeline::{JsonBody, guarded, may_use_project};
use model::{ListWorkflowRequest, MOCK_USER, WorkflowSpec};
use state::{Full, TerminateError, Workflow, now_ms};
pub(crate) use state::{IdGen, Store};
use views::{
    ExecuteResponse, ExecutionList, ExecutionView, RenderedId, ResultResponse, WorkflowDynamics,
    WorkflowPage, WorkflowView,
};

/// The family's routes, each behind the shared pipeline.
pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    const WORKFLOW: &str = "/v1/{project_id}/cms/workflow/{workflow_id}";
    const EXECUTION: &str = "/v1/{project_id}/cms/workflow/{workflow_id}/executions/{execution_id}";
    Router::new()
        .route(
            "/v1/{project_id}/cms/workflow",
            guarded(app, post(create_workflow)),
        )
        .route(
            "/v1/{project_id}/cms/workflow-list",
            guarded(app, post(list_workflow)),
        )
        .route(
            &format!("{WORKFLOW}/executions"),
            guarded(app, post(execute_workflow).get(list_workflow_executions)),
        )
        .route(
            &format!("{WORKFLOW}/trigger/action"),
            guarded(app, put(update_workflow_trigger_status)),
        )
        .route(
            &format!("{EXECUTION}/status"),
            guarded(app, get(search_workflow_execution_detail)),
        )
        .route(
            &format!("{EXECUTION}/terminate"),
            guarded(app, post(stop_execution)),
        )
}

/// Validated path parameters, for a caller allowed to use the project.
pub(crate) struct Scope {
    pub project_id: String,
    pub workflow_id: String,
    pub execution_id: String,
}

impl FromRequestParts<Arc<App>> for Scope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, app)
            .await
            .map_err(|_| {
                ApiError::invalid_parameter("Path parameters must be valid percent-encoded UTF-8.")
            })?;
        let mut scope = Scope {
            project_id: String::new(),
            workflow_id: String::new(),
            execution_id: String::new(),
        };
        for (name, value) in &params {
            let len = value.chars().count();
            let (slot, ok, rule) = match name {
                "project_id" => (
                    &mut scope.project_id,
                    len == 32,
                    "project_id must be exactly 32 characters long.",
                ),
                "workflow_id" => (
                    &mut scope.workflow_id,
                    (1..=64).contains(&len),
                    "workflow_id must be 1-64 characters long.",
                ),
                "execution_id" => (
                    &mut scope.execution_id,
                    (1..=64).contains(&len),
                    "execution_id must be 1-64 characters long.",
                ),
                _ => continue,
            };
            if !ok {
                return Err(ApiError::invalid_parameter(rule));
            }
            *slot = value.to_owned();
        }
        if !may_use_project(parts, &scope.project_id) {
            return Err(ApiError::auth_failed());
        }
        Ok(scope)
    }
}

fn ok(value: &impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, value)
}

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

async fn create_workflow(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    JsonBody(spec): JsonBody<WorkflowSpec>,
) -> Result<Response, ApiError> {
    spec.validate()?;
    fault.apply(Op::CreateWorkflow).await?;
    let workflow = app
        .cms
        .create_workflow(&scope.project_id, spec, now_ms())
        .map_err(|full| quota(full, &app.cms))?;
    let dynamics = WorkflowDynamics::of(&workflow.runs.lock());
    Ok(ok(&WorkflowView::new(&app.cms.ids, &workflow, dynamics)))
}

async fn list_workflow(
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

async fn execute_workflow(
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

async fn list_workflow_executions(
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

async fn search_workflow_execution_detail(
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

async fn stop_execution(
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

async fn update_workflow_trigger_status(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    uri: Uri,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    let action = query_pairs(uri.query())
        .into_iter()
        .rev()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v);
    let status = match action.as_deref() {
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
