//! The credentials check before any case: the suite's declared harmless read (`preflight:`
//! in a case file), made once per target. A 401 or 403 means every case would fail the
//! same way, so the run ends with one message instead.

use serde_json::Value;

use super::TargetRun;
use crate::http::Rendered;
use crate::plan::Plan;

/// The endpoint refused the target's credentials.
#[derive(Debug)]
pub struct Refused {
    pub operation: String,
    pub status: u16,
    /// The body's `error_code` (AOM's, or the API gateway's `APIGW.…`).
    pub error_code: Option<String>,
    pub request_id: Option<String>,
}

impl TargetRun {
    /// Makes the suite's preflight call, if it declares one. Only a refusal (401/403)
    /// is an answer here: anything else, even no answer, is left to the cases to judge.
    pub async fn preflight(&self, plan: &Plan) -> Option<Refused> {
        let req = plan.preflight.as_ref()?;
        let permit = self.client.permit().await;
        let rendered = self.client.authorize(Rendered::render(req, &self.vars));
        let resp = self.client.send(permit, &rendered).await.ok()?;
        if !matches!(resp.status, 401 | 403) {
            return None;
        }
        let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        Some(Refused {
            operation: req.op.name.clone(),
            status: resp.status,
            error_code: text(body.as_ref().and_then(|b| b.get("error_code"))),
            request_id: resp
                .headers
                .get("x-request-id")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        })
    }
}
