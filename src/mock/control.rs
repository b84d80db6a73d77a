//! The mock's own routes, under the reserved prefix `/_mock/` (no AOM path starts with
//! it): a readiness check for CI scripts, and a reset between test runs. Neither needs
//! credentials; reset exists only when the mock was started to allow it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::App;
use super::errors::ApiError;

/// `GET /_mock/health`: 200 once the mock serves requests.
pub(crate) async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `POST /_mock/reset`: forgets every workflow and execution, rule and event of every
/// project. Ids keep
/// counting, so an id from before a reset never names something new. Without
/// `--allow-reset` (or `--faults`) the route does not exist: 404 like any unknown path.
pub(crate) async fn reset(State(app): State<Arc<App>>) -> Response {
    if !app.config.allow_reset {
        return ApiError::route_not_found().into_response();
    }
    app.cms.reset();
    app.alarms.reset();
    Json(json!({"result": "reset"})).into_response()
}
