//! The family's read-only catalogue: jobs and their execution plans (templates), scripts
//! and their versions. Handlers here; the seeded entries in [`data`], request bodies in
//! [`model`], response bodies in [`views`].
//!
//! | operation | method and path (`/v1/{project_id}/cms/…`) | 200 body |
//! |---|---|---|
//! | ListAllJobByName | `POST job/list` | `{"elements":[job…],"total_elements":n}` |
//! | ListAllScriptByName | `POST script/list` | `{"elements":[script…],"total_elements":n}` |
//! | ListAllVersionByVersionId | `POST script-version-list` | the versions of `script_id` |
//! | ListTemplateByJobId | `POST template-list/{job_id}` | the job's templates |
//! | SearchTemplateById | `GET template/{template_id}` | the template |

pub(crate) mod data;
mod model;
mod views;

use axum::http::Uri;
use axum::response::Response;
use serde::de::IgnoredAny;

use super::{Scope, ok};
use crate::mock::auth::query_param;
use crate::mock::errors::{ApiError, Op};
use crate::mock::fault::FaultPlan;
use crate::mock::pipeline::JsonBody;
use data::{JOBS, Kind, SCRIPTS, id};
use model::{JobQuery, ScriptQuery, TemplateQuery, VersionEntry, select};
use views::{JobView, ListPage, ScriptView, TemplateView, VersionView};

pub(crate) async fn list_all_job_by_name(
    scope: Scope,
    fault: FaultPlan,
    JsonBody(q): JsonBody<JobQuery>,
) -> Result<Response, ApiError> {
    q.validate()?;
    fault.apply(Op::ListAllJobByName).await?;
    let order = (q.order_by_column.as_deref(), q.sort_order.as_deref());
    let (total, jobs) = select(JOBS.iter(), q.name.as_deref(), order, q.page());
    Ok(ok(&ListPage {
        elements: jobs
            .into_iter()
            .map(|j| JobView::new(&scope.project_id, j))
            .collect(),
        total_elements: total,
    }))
}

/// `create_by` must name the catalogue's creator to find anything; `is_default` is
/// checked against its enum and otherwise ignored (every seeded script is a default one).
pub(crate) async fn list_all_script_by_name(
    scope: Scope,
    fault: FaultPlan,
    JsonBody(q): JsonBody<ScriptQuery>,
) -> Result<Response, ApiError> {
    q.validate()?;
    fault.apply(Op::ListAllScriptByName).await?;
    let project = scope.project_id.as_str();
    let scripts = SCRIPTS.iter().filter(|s| {
        q.create_by
            .as_deref()
            .is_none_or(|c| c == data::CATALOGUE_USER)
            && q.script_id
                .as_deref()
                .is_none_or(|want| id(project, Kind::Script, s.key) == want)
    });
    let order = (q.order_by_column.as_deref(), q.sort_order.as_deref());
    let name = q.name.as_deref().filter(|n| !n.is_empty());
    let (total, scripts) = select(scripts, name, order, q.page());
    Ok(ok(&ListPage {
        elements: scripts
            .into_iter()
            .map(|s| ScriptView::new(project, s))
            .collect(),
        total_elements: total,
    }))
}

/// The versions of the script `script_id` names (required here: versions are listed
/// "under a script id"); an id naming no script lists none.
pub(crate) async fn list_all_version_by_version_id(
    scope: Scope,
    fault: FaultPlan,
    JsonBody(q): JsonBody<ScriptQuery>,
) -> Result<Response, ApiError> {
    q.validate()?;
    let Some(script_id) = q.script_id.as_deref() else {
        return Err(ApiError::invalid_parameter(
            "script_id is required to list a script's versions.",
        ));
    };
    fault.apply(Op::ListAllVersionByVersionId).await?;
    let project = scope.project_id.as_str();
    let versions = SCRIPTS
        .iter()
        .filter(|s| id(project, Kind::Script, s.key) == script_id)
        .flat_map(|s| s.versions.iter().map(move |v| VersionEntry(s, v)));
    let order = (q.order_by_column.as_deref(), q.sort_order.as_deref());
    let (total, versions) = select(versions, None, order, q.page());
    Ok(ok(&ListPage {
        elements: versions
            .into_iter()
            .map(|VersionEntry(s, v)| VersionView::new(project, s, v))
            .collect(),
        total_elements: total,
    }))
}

/// The templates of the job `job_id` names; an id naming no job lists none.
pub(crate) async fn list_template_by_job_id(
    scope: Scope,
    fault: FaultPlan,
    JsonBody(q): JsonBody<TemplateQuery>,
) -> Result<Response, ApiError> {
    q.validate()?;
    fault.apply(Op::ListTemplateByJobId).await?;
    let project = scope.project_id.as_str();
    let job = JOBS
        .iter()
        .find(|j| id(project, Kind::Job, j.key) == scope.job_id);
    let templates = job.into_iter().flat_map(|j| j.templates.iter());
    let order = (q.order_by_column.as_deref(), q.sort_order.as_deref());
    let (total, templates) = select(templates, q.name.as_deref(), order, q.page());
    Ok(ok(&ListPage {
        elements: job
            .map(|j| {
                templates
                    .into_iter()
                    .map(|t| TemplateView::new(project, j, t))
                    .collect()
            })
            .unwrap_or_default(),
        total_elements: total,
    }))
}

/// `share_type` is checked against its documented limits and otherwise ignored: every
/// seeded template is a custom (private) one.
pub(crate) async fn search_template_by_id(
    scope: Scope,
    fault: FaultPlan,
    uri: Uri,
    _: JsonBody<IgnoredAny>,
) -> Result<Response, ApiError> {
    if let Some(share) = query_param(&uri, "share_type") {
        if !["public", "private"].contains(&share.as_str()) {
            return Err(ApiError::invalid_parameter(
                "share_type must be public or private.",
            ));
        }
    }
    fault.apply(Op::SearchTemplateById).await?;
    let project = scope.project_id.as_str();
    let (job, template) =
        data::template(project, &scope.template_id).ok_or_else(ApiError::template_not_found)?;
    Ok(ok(&TemplateView::new(project, job, template)))
}
