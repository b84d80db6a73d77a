//! The router: every family's routes and the mock's own (`/_mock/…`) under the shared
//! pipeline ([`super::pipeline`]), with the 404/405 answers for everything else.

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};

use super::App;
use super::errors::ApiError;
use super::pipeline::{reject_empty_segments, stamp};

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/_mock/health", get(super::control::health))
        .route("/_mock/reset", post(super::control::reset))
        .merge(super::cms::routes(&app))
        .merge(super::prometheus::routes(&app))
        .merge(super::alarms::routes(&app))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .fallback(|| async { ApiError::route_not_found() })
        .layer(from_fn(reject_empty_segments))
        .layer(from_fn_with_state(Arc::clone(&app), stamp))
        .with_state(app)
}
