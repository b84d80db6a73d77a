//! The router, the request pipeline and the operation handlers.
//!
//! Pipeline, outermost first: `stamp` (request id, response headers, on every answer
//! including 404/405) → route match (unknown path 404, wrong method 405, both before auth;
//! `reject_empty_segments` turns a match with an empty path segment into the 404 it is)
//! → `authenticate` (401, 413) → `require_json` (Content-Type) → [`Scope`] (path parameters,
//! then the caller's project grant) → [`JsonBody`] (body) → fault → operation.

use std::cmp::Reverse;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::error::Category;

use super::auth::{Caller, authenticate, query_pairs};
use super::errors::{ApiError, JSON_UTF8, Op, json_bytes, json_response};
use super::fault::FaultPlan;
use super::model::{ListWorkflowRequest, MOCK_USER, WorkflowSpec};
use super::state::{Full, Store, TerminateError, Workflow, now_ms};
use super::views::{
    ExecuteResponse, ExecutionList, ExecutionView, RenderedId, ResultResponse, WorkflowDynamics,
    WorkflowPage, WorkflowView,
};
use super::{App, RequestId};

/// Header carrying the request id; the official SDK reads it from nowhere else.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub(crate) fn router(app: Arc<App>) -> Router {
    const WORKFLOW: &str = "/v1/{project_id}/cms/workflow/{workflow_id}";
    const EXECUTION: &str = "/v1/{project_id}/cms/workflow/{workflow_id}/executions/{execution_id}";
    // Layered per method router: `MethodRouter::route_layer` leaves its 405 fallback
    // unlayered, whereas `Router::route_layer` would authenticate before answering 405.
    // The last layer added runs first.
    let guarded = |methods: MethodRouter<Arc<App>>| {
        methods
            .route_layer(from_fn(require_json))
            .route_layer(from_fn_with_state(Arc::clone(&app), authenticate))
    };
    Router::new()
        .route("/_mock/health", get(super::control::health))
        .route("/_mock/reset", post(super::control::reset))
        .route(
            "/v1/{project_id}/cms/workflow",
            guarded(post(create_workflow)),
        )
        .route(
            "/v1/{project_id}/cms/workflow-list",
            guarded(post(list_workflow)),
        )
        .route(
            &format!("{WORKFLOW}/executions"),
            guarded(post(execute_workflow).get(list_workflow_executions)),
        )
        .route(
            &format!("{WORKFLOW}/trigger/action"),
            guarded(put(update_workflow_trigger_status)),
        )
        .route(
            &format!("{EXECUTION}/status"),
            guarded(get(search_workflow_execution_detail)),
        )
        .route(
            &format!("{EXECUTION}/terminate"),
            guarded(post(stop_execution)),
        )
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .fallback(|| async { ApiError::route_not_found() })
        .layer(from_fn(reject_empty_segments))
        .layer(from_fn_with_state(Arc::clone(&app), stamp))
        .with_state(app)
}

async fn stamp(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let request_id = app.request_ids.render(app.request_ids.next());
    let header_value = HeaderValue::from_str(&request_id);
    req.extensions_mut().insert(RequestId(request_id));
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    if let Ok(value) = header_value {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// A path with an empty segment (`workflow//executions`, `/v1//cms/…`) is no AOM path, but
/// the router matches a path parameter against the empty string, which would make it a
/// known path with an invalid parameter (400) or a wrong method (405). Every route ends in a
/// literal segment, so `//` is the only way to spell an empty segment that could match.
/// Runs after routing but before authentication, like the router's own 404.
async fn reject_empty_segments(req: Request, next: Next) -> Response {
    if req.uri().path().contains("//") {
        return ApiError::route_not_found().into_response();
    }
    next.run(req).await
}

/// Documented as required on every operation, GETs included; `application/json` with any
/// parameters (the docs also show `;charset=utf8`).
async fn require_json(req: Request, next: Next) -> Response {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return ApiError::missing_content_type().into_response();
    };
    let is_json = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        next.run(req).await
    } else {
        ApiError::unsupported_media_type().into_response()
    }
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
        let allowed = parts
            .extensions
            .get::<Caller>()
            .is_some_and(|c| c.may_use(&scope.project_id));
        if !allowed {
            return Err(ApiError::auth_failed());
        }
        Ok(scope)
    }
}

/// A JSON body. An empty body counts as `{}` (the SDK sends none for body-less operations);
/// syntax errors are `MOCK.MALFORMED_JSON`, wrong shapes or types `MOCK.INVALID_PARAMETER`.
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::unreadable_body())?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(JsonBody)
            .map_err(|e| match e.classify() {
                Category::Data => {
                    ApiError::invalid_parameter(format!("Invalid request body: {e}."))
                }
                Category::Syntax | Category::Eof | Category::Io => ApiError::malformed_json(e),
            })
    }
}

fn ok(value: &impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, value)
}

fn workflow_of(app: &App, scope: &Scope) -> Result<Arc<Workflow>, ApiError> {
    app.store
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
    app.store
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
        .store
        .create_workflow(&scope.project_id, spec, now_ms())
        .map_err(|full| quota(full, &app.store))?;
    let dynamics = WorkflowDynamics::of(&workflow.runs.lock());
    Ok(ok(&WorkflowView::new(&app.store.ids, &workflow, dynamics)))
}

async fn list_workflow(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    JsonBody(request): JsonBody<ListWorkflowRequest>,
) -> Result<Response, ApiError> {
    request.validate()?;
    fault.apply(Op::ListWorkflow).await?;
    let workflows = app.store.workflows(&scope.project_id);
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
        .map(|(w, d)| WorkflowView::new(&app.store.ids, w, d))
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
    let store = &app.store;
    let n = workflow
        .execute(
            &store.ids,
            store.max_executions,
            store.max_project_executions,
            now_ms(),
        )
        .map_err(|full| quota(full, store))?;
    Ok(ok(&ExecuteResponse {
        execution_id: RenderedId(&app.store.ids, n),
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
            ids: &app.store.ids,
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
    Ok(ok(&ExecutionView::new(
        &app.store.ids,
        &workflow,
        &execution,
    )))
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
