//! The family's answers in the Prometheus envelope: `{"status":"success","data":…}`,
//! and the documented error bodies `{"status":"error","errorType":…,"error":…}` with AOM's
//! own `errorType` values (`excution` is spelt as the documentation spells it) and the
//! documented messages, verbatim.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::mock::errors::json_response;

/// An error answer of the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PromError {
    /// 400: a parameter is missing or wrong (also an unparsable expression: a mock choice).
    BadParam,
    /// 403: the credentials may not use the project in the path.
    Auth,
    /// 422: the expression cannot be executed (also: outside the mock's PromQL subset).
    Execution,
    /// 503: the query timed out (fault injection only).
    Timeout,
    /// 400 `bad_param` for a situation only the mock has (an unknown fault); the text
    /// says what is wrong.
    Mock(String),
}

impl PromError {
    fn parts(&self) -> (StatusCode, &'static str, &str) {
        match self {
            PromError::BadParam => (StatusCode::BAD_REQUEST, "bad_param", "param is invalid."),
            PromError::Auth => (StatusCode::FORBIDDEN, "auth", "auth project_id not pass."),
            PromError::Execution => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "excution",
                "expression can't be executed.",
            ),
            PromError::Timeout => (
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "query timed out in query execution.",
            ),
            PromError::Mock(text) => (StatusCode::BAD_REQUEST, "bad_param", text),
        }
    }
}

impl From<()> for PromError {
    fn from((): ()) -> Self {
        PromError::BadParam
    }
}

impl IntoResponse for PromError {
    fn into_response(self) -> Response {
        let (status, kind, text) = self.parts();
        json_response(
            status,
            &json!({"status": "error", "errorType": kind, "error": text}),
        )
    }
}

/// A 200 with `data`.
pub(crate) fn success(data: Value) -> Response {
    json_response(StatusCode::OK, &json!({"status": "success", "data": data}))
}
