//! The alarm family's error bodies. They are not AOM's `{error_code, error_msg,
//! http_code}`: every operation documents its own shape (reference §1.2), so each error
//! here is built from the operation it answers for.
//!
//! | family | 400 / 500 | 401 / 403 |
//! |---|---|---|
//! | action rules | `{error_code, error_msg, trace_id:""}` | `{…, error_type, trace_id:null}` |
//! | mute rules | `{error_code, error_msg, error_type, trace_id:""}` (500 without error_type) | as action rules |
//! | events list/count | `{error_code, error_msg, error_type}` | same |
//! | push | `{error_code, error_msg, error_type}` | mock-defined, same shape |
//! | v4 rules | `{error_code, error_msg, error_type, trace_id:""}` | mock-defined, same shape |
//!
//! The message key is always `error_msg`, as every response table says, although the
//! events examples (and DeleteMuteRules' 500 example) write `error_message`: the official
//! SDK reads `error_code` only next to `error_msg` (its `DefaultExceptionHandler`), so with
//! `error_message` a client would see the status as the code and the whole body as the
//! message. Documented codes are used where an operation documents one; every other code
//! is `MOCK.*`, so nobody mistakes it for a real AOM code.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::mock::errors::{ApiError, json_response};
use crate::mock::fault::FaultAnswer;

/// The family's operations (the SDK's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    AddActionRule,
    ListActionRule,
    ShowActionRule,
    UpdateActionRule,
    DeleteActionRule,
    AddMuteRules,
    ListMuteRule,
    UpdateMuteRule,
    DeleteMuteRules,
    ListEvents,
    CountEvents,
    PushEvents,
    AddOrUpdateAlarmRule,
    ListAlarmRules,
    DeleteAlarmRules,
}

/// The documented body shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Action,
    Mute,
    Events,
    Push,
    V4,
}

impl Op {
    fn family(self) -> Family {
        use Op::*;
        match self {
            AddActionRule | ListActionRule | ShowActionRule | UpdateActionRule
            | DeleteActionRule => Family::Action,
            AddMuteRules | ListMuteRule | UpdateMuteRule | DeleteMuteRules => Family::Mute,
            ListEvents | CountEvents => Family::Events,
            PushEvents => Family::Push,
            AddOrUpdateAlarmRule | ListAlarmRules | DeleteAlarmRules => Family::V4,
        }
    }
}

/// How `trace_id` appears in a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trace {
    Absent,
    /// `"trace_id": null`, as the 401/403 examples show.
    Null,
    /// `"trace_id": ""`, as the 400/500 examples show.
    Empty,
}

/// One error answer of the alarm family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlarmError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub msg: Cow<'static, str>,
    error_type: Option<&'static str>,
    trace: Trace,
    /// Why, in the mock's words: sent as the `X-Aom-Mock-Detail` header, never in the
    /// body (whose message is the documented one, which clients match on).
    detail: Option<String>,
}

/// The header carrying [`AlarmError`]'s detail.
pub(crate) const DETAIL_HEADER: &str = "x-aom-mock-detail";

/// The fields of one documented body: code, message, error_type.
type Doc = (&'static str, &'static str, Option<&'static str>);

impl AlarmError {
    /// An error of `op`'s family shape; `error_type` as given.
    fn shaped(op: Op, status: StatusCode, doc: (Cow<'static, str>, Cow<'static, str>)) -> Self {
        let family = op.family();
        let auth = matches!(status.as_u16(), 401 | 403);
        let trace = match family {
            Family::Events | Family::Push => Trace::Absent,
            Family::Action | Family::Mute if auth => Trace::Null,
            _ => Trace::Empty,
        };
        AlarmError {
            status,
            code: doc.0,
            msg: doc.1,
            error_type: None,
            trace,
            detail: None,
        }
    }

    fn documented(op: Op, status: StatusCode, (code, msg, error_type): Doc) -> Self {
        let mut e = Self::shaped(op, status, (code.into(), msg.into()));
        e.error_type = error_type;
        e
    }

    /// A `MOCK.*` error in `op`'s shape, typed as the family types its own 400s.
    pub fn mock(
        op: Op,
        status: StatusCode,
        code: &'static str,
        msg: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut e = Self::shaped(op, status, (code.into(), msg.into()));
        e.error_type = match op.family() {
            Family::Action => None,
            Family::Events | Family::Push => Some("SC_BAD_REQUEST"),
            Family::Mute | Family::V4 => Some("PARAM_INVALID"),
        };
        e
    }

    /// The documented 401 of `op` (the API gateway's is answered elsewhere).
    pub fn unauthorized(op: Op) -> Self {
        use Op::*;
        let doc = match op {
            AddActionRule | DeleteActionRule | AddMuteRules | DeleteMuteRules => {
                ("AOM.0403", "auth failed.", Some("AUTH_FAILED"))
            }
            ListActionRule | ShowActionRule | UpdateActionRule | ListMuteRule | UpdateMuteRule => {
                ("SVCSTG.AMS.2000051", "auth failed.", Some("AUTH_FAILED"))
            }
            ListEvents | CountEvents => (
                "AOM.0401",
                "You don't have permission.",
                Some("SC_UNAUTHORIZED"),
            ),
            // Not documented for push and v4: the mock's own code in their shape.
            PushEvents | AddOrUpdateAlarmRule | ListAlarmRules | DeleteAlarmRules => {
                ("MOCK.UNAUTHORIZED", "auth failed.", Some("AUTH_FAILED"))
            }
        };
        Self::documented(op, StatusCode::UNAUTHORIZED, doc)
    }

    /// The documented 403 of `op`: credentials that may not use the path's project.
    pub fn forbidden(op: Op) -> Self {
        use Op::*;
        let doc = match op {
            AddActionRule | DeleteActionRule | AddMuteRules | DeleteMuteRules => {
                ("AOM.0403", "auth failed.", Some("AUTH_FAILED"))
            }
            ListActionRule | ShowActionRule | UpdateActionRule | ListMuteRule | UpdateMuteRule
            | ListEvents | CountEvents => ("AOM.0403", "Forbidden.", Some("SC_FORBIDDEN")),
            PushEvents | AddOrUpdateAlarmRule | ListAlarmRules | DeleteAlarmRules => {
                ("MOCK.FORBIDDEN", "Forbidden.", Some("SC_FORBIDDEN"))
            }
        };
        Self::documented(op, StatusCode::FORBIDDEN, doc)
    }

    /// The documented 500 of `op` (fault `internal-error`).
    pub fn internal(op: Op) -> Self {
        use Op::*;
        const APM: Doc = ("APM.00000500", "Internal Server Error", None);
        let doc = match op {
            DeleteActionRule => (
                "AOM.08020500",
                "internal server error",
                Some("INTERNAL_SERVER_ERROR"),
            ),
            DeleteMuteRules => (
                "AOM.08001500",
                "internal server error",
                Some("INTERNAL_SERVER_ERROR"),
            ),
            ListEvents => (APM.0, APM.1, Some("SC_INTERNAL_SERVER_ERROR")),
            CountEvents => (
                "AOM.0500",
                "Internal Server Error",
                Some("SC_INTERNAL_SERVER_ERROR"),
            ),
            PushEvents | AddOrUpdateAlarmRule | ListAlarmRules | DeleteAlarmRules => (
                "MOCK.INTERNAL_ERROR",
                "Internal Server Error",
                Some("SC_INTERNAL_SERVER_ERROR"),
            ),
            _ => APM,
        };
        Self::documented(op, StatusCode::INTERNAL_SERVER_ERROR, doc)
    }

    /// The documented 503 of the events operations (fault `unavailable`); the others
    /// document none and answer in their 500 shape.
    pub fn unavailable(op: Op) -> Self {
        let doc = match op {
            Op::ListEvents => ("AOM.0503", "SC_NOT_IMPLEMENTED", Some("SC_NOT_IMPLEMENTED")),
            Op::CountEvents | Op::PushEvents => {
                ("AOM.0503", "Server unavailable", Some("SC_NOT_IMPLEMENTED"))
            }
            _ => (
                "MOCK.UNAVAILABLE",
                "Server unavailable",
                Some("SC_NOT_IMPLEMENTED"),
            ),
        };
        Self::documented(op, StatusCode::SERVICE_UNAVAILABLE, doc)
    }

    /// The family's documented "bad request" for a body or parameter it cannot accept.
    pub fn invalid(op: Op, detail: impl Into<Cow<'static, str>>) -> Self {
        use Op::*;
        let doc: Doc = match op {
            // The Show page's generic 400; the Add/Update/Delete pages give none for this.
            AddActionRule | ListActionRule | ShowActionRule | UpdateActionRule
            | DeleteActionRule => ("AOM.08001001", "bad request", None),
            AddMuteRules | ListMuteRule | UpdateMuteRule | DeleteMuteRules => (
                "AOM.08012003",
                "request insertParma probably has error",
                Some("PARAM_INVALID"),
            ),
            ListEvents => (
                "AOM.08032002",
                "The request body is illegal",
                Some("SC_BAD_REQUEST"),
            ),
            CountEvents => ("AOM.0400", "param error", Some("SC_BAD_REQUEST")),
            PushEvents => (
                "AOM.0400",
                "parse eventParam failed",
                Some("SC_BAD_REQUEST"),
            ),
            AddOrUpdateAlarmRule | ListAlarmRules | DeleteAlarmRules => {
                return Self::mock(
                    op,
                    StatusCode::BAD_REQUEST,
                    "MOCK.INVALID_PARAMETER",
                    detail,
                );
            }
        };
        let mut e = Self::documented(op, StatusCode::BAD_REQUEST, doc);
        e.detail = Some(detail.into().into_owned());
        e
    }

    /// A documented 400 with its own code and message (duplicate, missing rule).
    pub fn rejected(op: Op, code: &'static str, msg: &'static str) -> Self {
        let error_type = match op.family() {
            Family::Mute => Some("PARAM_INVALID"),
            _ => None,
        };
        Self::documented(op, StatusCode::BAD_REQUEST, (code, msg, error_type))
    }

    /// The appendix's quota answer: HTTP 300 `AOM.08001300`.
    pub fn quota(op: Op) -> Self {
        let doc = (
            "AOM.08001300",
            "The maximum number of rules has been reached.",
            None,
        );
        Self::documented(op, StatusCode::MULTIPLE_CHOICES, doc)
    }

    /// An injected fault as `op` answers it.
    pub fn injected(op: Op, i: FaultAnswer) -> Self {
        match i {
            FaultAnswer::Internal => Self::internal(op),
            FaultAnswer::Unavailable => Self::unavailable(op),
            FaultAnswer::Invalid(value) => {
                let e = ApiError::invalid_fault(&value);
                Self::mock(op, e.status, e.code, e.msg)
            }
        }
    }

    /// One of the shared pipeline's `MOCK.*` errors (body too large, bad token header…)
    /// in `op`'s shape.
    pub fn from_api(op: Op, e: ApiError) -> Self {
        Self::mock(op, e.status, e.code, e.msg)
    }
}

impl IntoResponse for AlarmError {
    fn into_response(self) -> Response {
        let detail = self.detail.as_deref().and_then(|d| {
            let visible: String = d
                .chars()
                .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
                .take(300)
                .collect();
            axum::http::HeaderValue::from_str(&visible).ok()
        });
        let mut body = Map::new();
        body.insert("error_code".into(), Value::from(self.code.as_ref()));
        body.insert("error_msg".into(), Value::from(self.msg.as_ref()));
        if let Some(t) = self.error_type {
            body.insert("error_type".into(), Value::from(t));
        }
        match self.trace {
            Trace::Absent => {}
            Trace::Null => {
                body.insert("trace_id".into(), Value::Null);
            }
            Trace::Empty => {
                body.insert("trace_id".into(), Value::from(""));
            }
        }
        let mut response = json_response(self.status, &body);
        if let Some(d) = detail {
            response.headers_mut().insert(DETAIL_HEADER, d);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: AlarmError) -> (u16, Value) {
        let status = e.status.as_u16();
        let r = e.into_response();
        let bytes = futures_body(r);
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn futures_body(r: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            use http_body_util::BodyExt;
            r.into_body().collect().await.unwrap().to_bytes().to_vec()
        })
    }

    #[test]
    fn each_family_answers_in_its_documented_shape() {
        let (s, b) = body(AlarmError::rejected(
            Op::AddActionRule,
            "AOM.08018012",
            "actionRule already exists",
        ));
        assert_eq!(s, 400);
        assert_eq!(
            b,
            serde_json::json!({"error_code":"AOM.08018012","error_msg":"actionRule already exists","trace_id":""})
        );
        let (_, b) = body(AlarmError::unauthorized(Op::ShowActionRule));
        assert_eq!(
            b,
            serde_json::json!({"error_code":"SVCSTG.AMS.2000051","error_msg":"auth failed.","error_type":"AUTH_FAILED","trace_id":null})
        );
        let (_, b) = body(AlarmError::invalid(Op::ListEvents, "x"));
        assert_eq!(
            b,
            serde_json::json!({"error_code":"AOM.08032002","error_msg":"The request body is illegal","error_type":"SC_BAD_REQUEST"})
        );
        let (s, b) = body(AlarmError::internal(Op::DeleteMuteRules));
        assert_eq!(s, 500);
        assert_eq!(b["error_msg"], "internal server error");
        let (_, b) = body(AlarmError::invalid(Op::PushEvents, "x"));
        assert_eq!(
            b,
            serde_json::json!({"error_code":"AOM.0400","error_msg":"parse eventParam failed","error_type":"SC_BAD_REQUEST"})
        );
        let (s, b) = body(AlarmError::quota(Op::AddMuteRules));
        assert_eq!((s, b["error_code"].as_str()), (300, Some("AOM.08001300")));
    }
}
