//! Every error body the mock sends: the documented AOM ones (`{"error_code","error_msg",
//! "http_code"}` with `http_code` equal to the status), the mock's own `MOCK.*` codes in the
//! same shape for situations the docs are silent on, and the API-gateway shape used by
//! `--gateway-auth-errors`.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The `Content-Type` of every response.
pub(crate) const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// Operations, for the per-operation 500 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    CreateWorkflow,
    ListWorkflow,
    ExecuteWorkflow,
    ListWorkflowExecutions,
    SearchWorkflowExecutionDetail,
    StopExecution,
    UpdateWorkflowTriggerStatus,
    StartPausingWorkflowExecutions,
    ListAllJobByName,
    ListAllScriptByName,
    ListAllVersionByVersionId,
    ListTemplateByJobId,
    SearchTemplateById,
}

/// An error answer in the AOM shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub msg: Cow<'static, str>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, msg: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            code,
            msg: msg.into(),
        }
    }

    /// Documented 401 (StopExecution page).
    pub fn auth_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "AOM.31009004", "auth failed.")
    }

    /// Documented 404 (StopExecution page); the mock uses it for unknown workflows too.
    pub fn not_exist() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "AOM.31001306",
            "Execution not exist. recordInfo is not exist.",
        )
    }

    /// Documented 400 (StopExecution page): the execution is no longer running.
    pub fn not_running() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "AOM.31001418",
            "The task does not support the current operation.",
        )
    }

    /// Documented 500s: the script operations have their own code, ListWorkflowExecutions
    /// its own message (used for the other execution-level operation too).
    pub fn internal(op: Op) -> Self {
        let (code, msg) = match op {
            Op::ListAllScriptByName | Op::ListAllVersionByVersionId => {
                ("AOM.31002005", "script internal server error.")
            }
            Op::ListWorkflowExecutions | Op::StartPausingWorkflowExecutions => {
                ("AOM.31001405", "execution internal server error.")
            }
            _ => ("AOM.31001405", "workflow internal server error."),
        };
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, code, msg)
    }

    /// SearchTemplateById for an id that names no template: the docs give no 404 (nor
    /// any code), so the mock's own.
    pub fn template_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "MOCK.TEMPLATE_NOT_FOUND",
            "No execution plan (template) has this id in this project.",
        )
    }

    pub fn invalid_parameter(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MOCK.INVALID_PARAMETER", msg)
    }

    pub fn missing_content_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MOCK.MISSING_CONTENT_TYPE",
            "The Content-Type header is required and must be application/json.",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "MOCK.UNSUPPORTED_MEDIA_TYPE",
            "Content-Type must be application/json.",
        )
    }

    pub fn malformed_json(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MOCK.MALFORMED_JSON",
            format!("The request body is not valid JSON: {detail}."),
        )
    }

    pub fn unreadable_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MOCK.UNREADABLE_BODY",
            "The request body could not be read.",
        )
    }

    pub fn body_timeout(after: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "MOCK.BODY_TIMEOUT",
            format!(
                "The request body did not arrive within {}s.",
                after.as_secs()
            ),
        )
    }

    pub fn payload_too_large(max: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "MOCK.PAYLOAD_TOO_LARGE",
            format!("The request body exceeds {max} bytes."),
        )
    }

    pub fn route_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "MOCK.ROUTE_NOT_FOUND",
            "No AOM operation at this path.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MOCK.METHOD_NOT_ALLOWED",
            "This path does not accept this HTTP method.",
        )
    }

    pub fn quota_exceeded(what: &'static str, max: usize) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "MOCK.QUOTA_EXCEEDED",
            format!("The mock holds at most {max} {what}; this store is full."),
        )
    }

    pub fn invalid_fault(value: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MOCK.INVALID_FAULT",
            format!(
                "X-Aom-Mock-Fault {value:?} is not one of internal-error, unavailable, delay=<ms> (0-600000), drop-connection."
            ),
        )
    }
}

#[derive(Serialize)]
struct AomErrorBody<'a> {
    error_code: &'a str,
    error_msg: &'a str,
    http_code: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = AomErrorBody {
            error_code: self.code,
            error_msg: &self.msg,
            http_code: self.status.as_u16(),
        };
        json_response(self.status, &body)
    }
}

/// A 401 as the API gateway sends it before a request reaches AOM.
#[derive(Debug, Clone)]
pub(crate) struct GatewayAuthError {
    pub detail: String,
    pub request_id: String,
}

#[derive(Serialize)]
struct GatewayErrorBody<'a> {
    error_code: &'a str,
    error_msg: String,
    request_id: &'a str,
}

impl IntoResponse for GatewayAuthError {
    fn into_response(self) -> Response {
        let body = GatewayErrorBody {
            error_code: "APIGW.0301",
            error_msg: format!("Incorrect IAM authentication information: {}", self.detail),
            request_id: &self.request_id,
        };
        json_response(StatusCode::UNAUTHORIZED, &body)
    }
}

/// Serializes `value` with the mock's content type. Our bodies are plain structs, so
/// serialization cannot fail; if it ever did, the answer is still a JSON 500.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(_) => json_bytes(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"error_code":"MOCK.SERIALIZATION","error_msg":"response serialization failed.","http_code":500}"#
                .to_vec(),
        ),
    }
}

pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (status, Body::from(bytes)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    response
}
