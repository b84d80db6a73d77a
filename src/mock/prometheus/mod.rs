//! The Prometheus-compatible query family (`/v1/{project_id}/aom/api/v1/…` and the
//! instance-scoped `/v1/{project_id}/{prometheus_instance}/aom/api/v1/…`): its routes,
//! path scope and parameters, and handlers over the synthetic series ([`series`]) and the
//! PromQL evaluator ([`eval`], [`ops`], [`value`]); answers in [`envelope`], request
//! parameters in [`params`]. `docs/mock.md` lists the PromQL subset and every choice made
//! where the documentation is silent.
//!
//! Checks, in order: route (404/405, shared) → credentials (401, shared) → the caller's
//! grant on the path's project (403 `auth`) → the instance (unknown: 400 `bad_param`) →
//! parameters and the expression's syntax (400 `bad_param`) → fault → evaluation (422
//! `excution`). No Content-Type is required: the docs list none, the SDKs send JSON
//! with no body, and upstream clients send forms.

mod envelope;
mod eval;
mod ops;
mod params;
mod series;
mod value;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::Response;
use axum::routing::{get, post};
use promql_parser::parser::{Expr, value::ValueType};
use serde_json::{Map, Value as Json, json};

use super::App;
use super::auth::query_pairs;
use super::fault::{FaultPlan, Injected, MAX_DELAY_MS};
use super::pipeline::{authenticated, may_use_project};
use envelope::{PromError, success};
use eval::Evaluator;
use params::Params;
use series::Series;
pub(crate) use series::Store;
use value::{instant_data, matrix_data};

/// The family's routes (the instance-scoped ones only with the methods documented for
/// them), each behind authentication.
pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    const PROJECT: &str = "/v1/{project_id}/aom/api/v1";
    const INSTANCE: &str = "/v1/{project_id}/{prometheus_instance}/aom/api/v1";
    let at = |base: &str, rest: &str| format!("{base}/{rest}");
    let guard = |methods| authenticated(app, methods);
    Router::new()
        .route(&at(PROJECT, "query"), guard(get(instant).post(instant)))
        .route(&at(PROJECT, "query_range"), guard(get(range).post(range)))
        .route(&at(PROJECT, "labels"), guard(get(labels).post(labels)))
        .route(
            &at(PROJECT, "label/{label_name}/values"),
            guard(get(label_values)),
        )
        .route(&at(PROJECT, "metadata"), guard(get(metadata)))
        .route(&at(INSTANCE, "query"), guard(get(instant).post(instant)))
        .route(&at(INSTANCE, "query_range"), guard(post(range)))
        .route(&at(INSTANCE, "labels"), guard(post(labels)))
        .route(
            &at(INSTANCE, "label/{label_name}/values"),
            guard(get(label_values)),
        )
        .route(&at(INSTANCE, "metadata"), guard(get(metadata)))
        .route(&at(INSTANCE, "series"), guard(post(series)))
}

/// The path's scope, for a caller allowed to use the project: the label name of
/// `label/{label_name}/values`, if any.
pub(crate) struct Scope {
    label_name: Option<String>,
}

impl FromRequestParts<Arc<App>> for Scope {
    type Rejection = PromError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, PromError> {
        let params = RawPathParams::from_request_parts(parts, app)
            .await
            .map_err(|_| PromError::BadParam)?;
        let (mut project, mut instance, mut label_name) = ("", None, None);
        for (name, value) in &params {
            match name {
                "project_id" => project = value,
                "prometheus_instance" => instance = Some(value),
                "label_name" => label_name = Some(value.to_owned()),
                _ => {}
            }
        }
        // A malformed project id is no project the caller may use: 403 like any other.
        if !may_use_project(parts, project) {
            return Err(PromError::Auth);
        }
        if instance.is_some_and(|i| !app.prometheus.knows_instance(i)) {
            return Err(PromError::BadParam);
        }
        Ok(Scope { label_name })
    }
}

/// The request's parameters: a POST's form body (if it is one) first, then the URL's.
pub(crate) struct Form(Params);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = PromError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PromError> {
        let url = query_pairs(req.uri().query());
        let is_form = req.method() == Method::POST
            && req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                });
        let mut pairs = Vec::new();
        if is_form {
            let bytes = Bytes::from_request(req, state)
                .await
                .map_err(|_| PromError::BadParam)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| PromError::BadParam)?;
            pairs = query_pairs(Some(text));
        }
        pairs.extend(url);
        Ok(Form(Params(pairs)))
    }
}

/// Applies the requested fault: the family documents 503 and 422, not 500.
async fn inject(fault: FaultPlan) -> Result<(), PromError> {
    match fault.run().await {
        Ok(None) => Ok(()),
        Ok(Some((Injected::Timeout | Injected::Unavailable, _))) => Err(PromError::Timeout),
        Ok(Some((Injected::ExecutionError, _))) => Err(PromError::Execution),
        Ok(Some((Injected::InternalError, value))) | Err(value) => Err(PromError::Mock(format!(
            "X-Aom-Mock-Fault {value:?} is not one of timeout, execution-error, delay=<ms> (0-{MAX_DELAY_MS}), drop-connection."
        ))),
    }
}

/// The expression, parsed; a syntax error is a bad parameter (mock choice: the docs do
/// not say whether AOM answers 400 or 422).
fn parse(query: &str) -> Result<Expr, PromError> {
    promql_parser::parser::parse(query).map_err(|_| PromError::BadParam)
}

/// Now, in whole seconds (as ms): the default `time` of an instant query.
fn now_ms() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(0).saturating_mul(1000)
}

async fn instant(
    State(app): State<Arc<App>>,
    _: Scope,
    fault: FaultPlan,
    Form(p): Form,
) -> Result<Response, PromError> {
    let expr = parse(p.query()?)?;
    let t = p.time("time")?.unwrap_or_else(now_ms);
    inject(fault).await?;
    let value = Evaluator::new(&app.prometheus)
        .instant(&expr, t)
        .map_err(|_| PromError::Execution)?;
    Ok(success(instant_data(&value, t)))
}

async fn range(
    State(app): State<Arc<App>>,
    _: Scope,
    fault: FaultPlan,
    Form(p): Form,
) -> Result<Response, PromError> {
    let expr = parse(p.query()?)?;
    let (start, end, step) = p.range()?;
    // Prometheus: "invalid expression type … for range query, must be Scalar or instant
    // Vector" is a bad parameter.
    if matches!(expr.value_type(), ValueType::Matrix | ValueType::String) {
        return Err(PromError::BadParam);
    }
    inject(fault).await?;
    let series = Evaluator::new(&app.prometheus)
        .range(&expr, start, end, step)
        .map_err(|_| PromError::Execution)?;
    Ok(success(matrix_data(&series)))
}

/// The series the `match[]` selectors select (every series without one), after checking
/// the optional `start` and `end`. AOM documents them for series only; for labels and
/// label values the mock reads them as Prometheus does.
fn selected<'a>(app: &'a App, p: &Params) -> Result<Vec<&'a Series>, PromError> {
    let (start, end) = (p.time("start")?, p.time("end")?);
    if start.zip(end).is_some_and(|(start, end)| end < start) {
        return Err(PromError::BadParam);
    }
    let selectors = p.selectors()?;
    if selectors.is_empty() {
        return Ok(app.prometheus.series.iter().collect());
    }
    let evaluator = Evaluator::new(&app.prometheus);
    let mut found: Vec<&Series> = Vec::new();
    for text in selectors {
        let Expr::VectorSelector(vs) = parse(text)? else {
            return Err(PromError::BadParam);
        };
        for s in evaluator.matching(&vs).map_err(|_| PromError::Execution)? {
            if !found.iter().any(|f| std::ptr::eq(*f, s)) {
                found.push(s);
            }
        }
    }
    Ok(found)
}

async fn labels(
    State(app): State<Arc<App>>,
    _: Scope,
    fault: FaultPlan,
    Form(p): Form,
) -> Result<Response, PromError> {
    let series = selected(&app, &p)?;
    inject(fault).await?;
    Ok(success(json!(Store::label_names(&series))))
}

async fn label_values(
    State(app): State<Arc<App>>,
    scope: Scope,
    fault: FaultPlan,
    Form(p): Form,
) -> Result<Response, PromError> {
    let name = scope.label_name.unwrap_or_default();
    let valid = !name.is_empty()
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
    if !valid {
        return Err(PromError::BadParam);
    }
    let series = selected(&app, &p)?;
    inject(fault).await?;
    Ok(success(json!(Store::label_values(&series, &name))))
}

/// Upstream's optional `metric` (one metric's entry) and `limit` (at most that many
/// metrics; 0 or less: no limit) are read as Prometheus reads them; AOM documents neither.
async fn metadata(
    State(app): State<Arc<App>>,
    _: Scope,
    fault: FaultPlan,
    Form(p): Form,
) -> Result<Response, PromError> {
    let limit = match p.first("limit") {
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| PromError::BadParam)?,
        None => 0,
    };
    let limit = usize::try_from(limit)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(usize::MAX);
    let metric = p.first("metric");
    inject(fault).await?;
    let mut data = Map::new();
    for m in app
        .prometheus
        .metadata
        .iter()
        .filter(|m| metric.is_none_or(|n| n == m.metric))
    {
        if data.len() == limit {
            break;
        }
        let entry = json!([{"type": m.kind, "help": m.help, "unit": m.unit}]);
        data.insert(m.metric.to_owned(), entry);
    }
    Ok(success(Json::Object(data)))
}

/// `match[]` (one or more series selectors, required), `start` and `end` (optional; the
/// synthetic series exist at every time, so they only have to be valid): the selected
/// series' label sets, in label order.
async fn series(
    State(app): State<Arc<App>>,
    _: Scope,
    fault: FaultPlan,
    Form(p): Form,
) -> Result<Response, PromError> {
    if p.selectors()?.is_empty() {
        return Err(PromError::BadParam);
    }
    let series = selected(&app, &p)?;
    inject(fault).await?;
    let labels: std::collections::BTreeSet<_> = series.iter().map(|s| &s.labels).collect();
    Ok(success(json!(labels)))
}
