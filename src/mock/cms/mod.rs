//! The CMS-workflow (automation) family, all 13 operations of the SDKs: its routes and
//! path parameters here; the workflow and execution handlers in [`handlers`] over the
//! store in [`state`], request bodies in [`model`] and response bodies in [`views`]; the
//! read-only catalogue (jobs, templates, scripts, versions) in [`catalog`].

mod catalog;
mod handlers;
mod model;
mod state;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post, put};

use super::App;
use super::errors::{ApiError, json_response};
use super::pipeline::{guarded, may_use_project};
pub(crate) use state::{IdGen, Store};

/// The family's routes, each behind the shared pipeline.
pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    const CMS: &str = "/v1/{project_id}/cms";
    const WORKFLOW: &str = "/v1/{project_id}/cms/workflow/{workflow_id}";
    const EXECUTION: &str = "/v1/{project_id}/cms/workflow/{workflow_id}/executions/{execution_id}";
    let route = |path: String, methods| (path, guarded(app, methods));
    [
        route(format!("{CMS}/workflow"), post(handlers::create_workflow)),
        route(
            format!("{CMS}/workflow-list"),
            post(handlers::list_workflow),
        ),
        route(
            format!("{WORKFLOW}/executions"),
            post(handlers::execute_workflow).get(handlers::list_workflow_executions),
        ),
        route(
            format!("{WORKFLOW}/trigger/action"),
            put(handlers::update_workflow_trigger_status),
        ),
        route(
            format!("{EXECUTION}/status"),
            get(handlers::search_workflow_execution_detail),
        ),
        route(
            format!("{EXECUTION}/terminate"),
            post(handlers::stop_execution),
        ),
        route(
            format!("{EXECUTION}/operation"),
            post(handlers::start_pausing_workflow_executions),
        ),
        route(
            format!("{CMS}/job/list"),
            post(catalog::list_all_job_by_name),
        ),
        route(
            format!("{CMS}/script/list"),
            post(catalog::list_all_script_by_name),
        ),
        route(
            format!("{CMS}/script-version-list"),
            post(catalog::list_all_version_by_version_id),
        ),
        route(
            format!("{CMS}/template-list/{{job_id}}"),
            post(catalog::list_template_by_job_id),
        ),
        route(
            format!("{CMS}/template/{{template_id}}"),
            get(catalog::search_template_by_id),
        ),
    ]
    .into_iter()
    .fold(Router::new(), |router, (path, methods)| {
        router.route(&path, methods)
    })
}

/// Validated path parameters, for a caller allowed to use the project. A parameter the
/// route does not have stays empty.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub project_id: String,
    pub workflow_id: String,
    pub execution_id: String,
    pub job_id: String,
    pub template_id: String,
}

/// Each path parameter's documented length limits, in characters.
const PATH_LIMITS: &[(&str, usize, usize)] = &[
    ("project_id", 32, 32),
    ("workflow_id", 1, 64),
    ("execution_id", 1, 64),
    ("job_id", 1, 64),
    ("template_id", 1, 64),
];

impl Scope {
    fn slot(&mut self, name: &str) -> Option<&mut String> {
        match name {
            "project_id" => Some(&mut self.project_id),
            "workflow_id" => Some(&mut self.workflow_id),
            "execution_id" => Some(&mut self.execution_id),
            "job_id" => Some(&mut self.job_id),
            "template_id" => Some(&mut self.template_id),
            _ => None,
        }
    }
}

impl FromRequestParts<Arc<App>> for Scope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, app)
            .await
            .map_err(|_| {
                ApiError::invalid_parameter("Path parameters must be valid percent-encoded UTF-8.")
            })?;
        let mut scope = Scope::default();
        for (name, value) in &params {
            let Some(&(_, min, max)) = PATH_LIMITS.iter().find(|(n, ..)| *n == name) else {
                continue;
            };
            if !(min..=max).contains(&value.chars().count()) {
                let rule = if min == max {
                    format!("{name} must be exactly {min} characters long.")
                } else {
                    format!("{name} must be {min}-{max} characters long.")
                };
                return Err(ApiError::invalid_parameter(rule));
            }
            if let Some(slot) = scope.slot(name) {
                value.clone_into(slot);
            }
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
