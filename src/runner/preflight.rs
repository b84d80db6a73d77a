//! The credentials check before any case: the suite's declared harmless read (`preflight:`
//! in a case file), made once per target. A 401 or 403 means every case would fail the
//! same way, so the run ends with one message instead. A 404 on an endpoint that should
//! offer the read's API family means the family is not served there (a region taking it
//! offline): said once, as a warning, before the cases fail.

use serde_json::Value;

use super::TargetRun;
use crate::http::Rendered;
use crate::plan::Plan;
use crate::report::Warning;

/// The endpoint refused the target's credentials.
#[derive(Debug)]
pub struct Refused {
    pub operation: String,
    pub status: u16,
    /// The body's `error_code` (AOM's, or the API gateway's `APIGW.…`).
    pub error_code: Option<String>,
    pub request_id: Option<String>,
}

/// What the preflight found.
#[derive(Debug)]
pub enum Preflight {
    /// Nothing to say: the cases will judge.
    Fine,
    /// The credentials were refused: the run ends.
    Refused(Refused),
    /// The family's path is not served: one warning, then the cases run.
    Missing(Warning),
}

impl TargetRun {
    /// Makes the suite's preflight call, if it declares one and the target offers its
    /// family. Only a refusal (401/403) or a 404 is an answer here: anything else, even
    /// no answer, is left to the cases to judge.
    pub async fn preflight(&self, plan: &Plan) -> Preflight {
        let Some(req) = plan.preflight.as_ref() else {
            return Preflight::Fine;
        };
        if self
            .missing_family(plan, req.op.family.as_deref().into_iter())
            .is_some()
        {
            return Preflight::Fine;
        }
        let permit = self.client.permit().await;
        let rendered = self.client.authorize(Rendered::render(req, &self.vars));
        let Ok(resp) = self.client.send(permit, &rendered).await else {
            return Preflight::Fine;
        };
        let request_id = resp
            .headers
            .get("x-request-id")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        match (resp.status, &req.op.family) {
            (401 | 403, _) => {
                let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
                let code = body.as_ref().and_then(|b| b.get("error_code"));
                Preflight::Refused(Refused {
                    operation: req.op.name.clone(),
                    status: resp.status,
                    error_code: code.and_then(Value::as_str).map(str::to_owned),
                    request_id,
                })
            }
            (404, Some(family)) => Preflight::Missing(Warning::FamilyMissing {
                request: rendered,
                family: family.clone(),
                endpoint: self.target.label().to_owned(),
                request_id,
            }),
            _ => Preflight::Fine,
        }
    }
}
