//! The request pipeline every family's routes share: the request id and response headers
//! on every answer (`stamp`), the 404 for paths with an empty segment, the Content-Type
//! check, the caller's project grant, and the JSON body extractor.
//!
//! Pipeline, outermost first: `stamp` (request id, response headers, on every answer
//! including 404/405) → route match (unknown path 404, wrong method 405, both before auth;
//! `reject_empty_segments` turns a match with an empty path segment into the 404 it is)
//! → `authenticate` (401, 413) → `require_json` (Content-Type; not for families routed
//! with [`authenticated`]) → the family's path
//! extractor (path parameters, then the caller's project grant) → [`JsonBody`] (body) →
//! fault → operation.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::auth::{Caller, authenticate};
use super::errors::{ApiError, JSON_UTF8};
use super::{App, RequestId};

/// Header carrying the request id; the official SDK reads it from nowhere else.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// `methods` behind authentication and the Content-Type check. Layered per method
/// router: `MethodRouter::route_layer` leaves its 405 fallback unlayered, whereas
/// `Router::route_layer` would authenticate before answering 405. The last layer added
/// runs first.
pub(crate) fn guarded(app: &Arc<App>, methods: MethodRouter<Arc<App>>) -> MethodRouter<Arc<App>> {
    methods
        .route_layer(from_fn(require_json))
        .route_layer(from_fn_with_state(Arc::clone(app), authenticate))
}

/// `methods` behind authentication only, for families that document no Content-Type
/// (the Prometheus query API: its parameters are in the URL or a form body).
pub(crate) fn authenticated(
    app: &Arc<App>,
    methods: MethodRouter<Arc<App>>,
) -> MethodRouter<Arc<App>> {
    methods.route_layer(from_fn_with_state(Arc::clone(app), authenticate))
}

/// Whether the authenticated caller may use `project_id` (its credentials are bound to it).
pub(crate) fn may_use_project(parts: &Parts, project_id: &str) -> bool {
    parts
        .extensions
        .get::<Caller>()
        .is_some_and(|c| c.may_use(project_id))
}

pub(crate) async fn stamp(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
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

/// A path with an empty segment (`workflow//executions`, `/v1//cms/…`, or a trailing `/`
/// as in `template/`) is no AOM path, but the router matches a path parameter against the
/// empty string, which would make it a known path with an invalid parameter (400) or a
/// wrong method (405). Runs after routing but before authentication, like the router's
/// own 404.
pub(crate) async fn reject_empty_segments(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.contains("//") || (path.len() > 1 && path.ends_with('/')) {
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
