//! The alarm family's part of the request pipeline, per operation: credentials (the
//! shared [`admit`], answered in the operation's 401 shape), the Content-Type check, the
//! project in the path and the caller's grant on it (403, as documented), and the JSON
//! body extractor whose 400 is the operation's own.
//!
//! Order: route → credentials (401; the body is read here, 413 over 1 MiB) →
//! Content-Type → `project_id` (400) → grant (403) → body (400) → validation (400) →
//! fault → operation. A missing Content-Type is accepted on GET (the SDKs always send
//! one; one region's docs mark it optional on GET).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::de::DeserializeOwned;

use super::errors::{AlarmError, Op};
use crate::mock::auth::{Caller, Rejection, admit};
use crate::mock::errors::{ApiError, GatewayAuthError};
use crate::mock::{App, RequestId};

/// What the guard established, for the handler (request extension).
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub op: Op,
    pub project_id: String,
}

/// `methods` (one method of one operation) behind the family's guard.
pub(crate) fn route(
    app: &Arc<App>,
    op: Op,
    methods: MethodRouter<Arc<App>>,
) -> MethodRouter<Arc<App>> {
    methods.route_layer(from_fn_with_state((Arc::clone(app), op), guard))
}

async fn guard(State((app, op)): State<(Arc<App>, Op)>, req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let mut req = match admit(&app, req).await {
        Ok(req) => req,
        Err(Rejection::Request(e)) => return AlarmError::from_api(op, e).into_response(),
        Err(Rejection::Credentials(detail)) if app.config.gateway_auth_errors => {
            return GatewayAuthError { detail, request_id }.into_response();
        }
        Err(Rejection::Credentials(_)) => return AlarmError::unauthorized(op).into_response(),
    };
    if let Err(e) = content_type(&req) {
        return AlarmError::from_api(op, e).into_response();
    }
    let project_id = match project_of(&req) {
        Some(p) => p,
        None => {
            let e = AlarmError::invalid(op, "project_id must be 32 letters or digits.");
            return e.into_response();
        }
    };
    let granted = req
        .extensions()
        .get::<Caller>()
        .is_some_and(|c| c.may_use(&project_id));
    if !granted {
        return AlarmError::forbidden(op).into_response();
    }
    req.extensions_mut().insert(Ctx { op, project_id });
    next.run(req).await
}

/// `application/json` (any parameters); a GET may leave it out.
fn content_type(req: &Request) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return if req.method() == Method::GET {
            Ok(())
        } else {
            Err(ApiError::missing_content_type())
        };
    };
    let is_json = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type())
    }
}

/// The second path segment (`/v2/{project_id}/…`, `/v4/{project_id}/…`), when it is a
/// project id: 32 ASCII letters or digits.
fn project_of(req: &Request) -> Option<String> {
    let segment = req.uri().path().split('/').nth(2)?;
    (segment.len() == 32 && segment.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| segment.to_owned())
}

/// The guard's [`Ctx`], for a handler.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Response> {
        // Every family route is guarded; without the guard there is nothing to serve.
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| ApiError::route_not_found().into_response())
    }
}

/// A JSON body of the family: an empty body is `null` for `T` (so a required body is a
/// 400), anything unreadable or of the wrong shape is the operation's documented 400.
pub(crate) struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AlarmError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AlarmError> {
        let op = req
            .extensions()
            .get::<Ctx>()
            .map_or(Op::ListActionRule, |c| c.op);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| AlarmError::invalid(op, "The request body could not be read."))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(Json)
            .map_err(|e| AlarmError::invalid(op, format!("Invalid request body: {e}.")))
    }
}
