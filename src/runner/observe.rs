//! Observations of the calls a case makes, for `diff` and `run --record`: a [`Log`] that
//! is off unless asked for (a plain `run` only checks an `Option` per call), and the
//! turning of a finished case into a [`CaseObservation`]. Everything in an observation is
//! redacted here, with the target's secrets and the per-request ones (signatures, the
//! token a request carried), and credential headers are left out: nothing after this
//! point can leak what it never received.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{CallError, TargetRun};
use crate::fidelity::{Body, Call, CaseObservation, Received, Sent, Verdict};
use crate::http::{Rendered, Response, SECRET_HEADERS};
use crate::plan::PlannedCase;
use crate::report::Outcome;
use crate::report::redact::Redactor;

/// Request headers never observed: credentials, the signing date, and the host (the
/// endpoint's, not the case's).
const UNOBSERVED_REQUEST: &[&str] = &["x-sdk-date", "host"];
/// Response headers never observed: the transport's, and the date (a timing).
const UNOBSERVED_RESPONSE: &[&str] = &[
    "date",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
];

/// The calls of one case, when observing.
#[derive(Default)]
pub struct Log {
    calls: Option<Vec<Call>>,
    /// The case's `now_ms`, a value of the run's making.
    now_ms: Option<String>,
}

impl Log {
    /// A log that keeps nothing (a plain `run`).
    pub fn off() -> Log {
        Log::default()
    }

    pub fn on() -> Log {
        Log {
            calls: Some(Vec::new()),
            now_ms: None,
        }
    }

    pub(super) fn started(&mut self, now_ms: Option<&str>) {
        if self.calls.is_some() {
            self.now_ms = now_ms.map(str::to_owned);
        }
    }

    /// Keeps one call and its answer (or why there is none), redacted.
    pub(super) fn call(
        &mut self,
        tr: &TargetRun,
        role: String,
        operation: &str,
        request: &Rendered,
        sent: &Result<Response, CallError>,
    ) {
        let Some(calls) = &mut self.calls else { return };
        let r = tr.redactor.with_extra(&request.sent_secrets);
        let (response, error) = match sent {
            Ok(resp) => (Some(received(resp, &r)), None),
            Err(CallError::Transport(e)) => (None, Some(r.redact(&e.to_string()).into_owned())),
            Err(CallError::Interrupted) => return,
        };
        calls.push(Call {
            role,
            operation: operation.to_owned(),
            request: sent_request(request, &r),
            response,
            error,
        });
    }
}

fn sent_request(req: &Rendered, r: &Redactor) -> Sent {
    let text = |s: &str| r.redact(s).into_owned();
    let headers = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(k, _)| {
            !SECRET_HEADERS.contains(&k.as_str()) && !UNOBSERVED_REQUEST.contains(&k.as_str())
        })
        .map(|(k, v)| (text(&k), text(v)))
        .collect();
    Sent {
        method: req.method.to_owned(),
        path: text(&req.path),
        query: req.query.iter().map(|(k, v)| (text(k), text(v))).collect(),
        headers,
        body: req.body.as_deref().and_then(|b| body(b, r)),
    }
}

fn received(resp: &Response, r: &Redactor) -> Received {
    let mut headers = BTreeMap::new();
    for (name, value) in &resp.headers {
        let name = name.as_str();
        if UNOBSERVED_RESPONSE.contains(&name) {
            continue;
        }
        let value = r
            .redact(&String::from_utf8_lossy(value.as_bytes()))
            .into_owned();
        // A repeated header is kept whole, in order.
        headers
            .entry(name.to_owned())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    Received {
        status: resp.status,
        headers,
        body: body(&resp.body, r),
    }
}

/// JSON when the bytes parse as JSON, else their text; `None` when empty.
fn body(bytes: &[u8], r: &Redactor) -> Option<Body> {
    if bytes.is_empty() {
        return None;
    }
    Some(match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Body::Json(redact_json(v, r)),
        Err(_) => Body::Text(r.redact(&String::from_utf8_lossy(bytes)).into_owned()),
    })
}

/// Every string of `v`, keys included, redacted.
fn redact_json(v: Value, r: &Redactor) -> Value {
    match v {
        Value::String(s) => Value::String(r.redact(&s).into_owned()),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| redact_json(x, r)).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| (r.redact(&k).into_owned(), redact_json(x, r)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// The observation of a finished case; `None` when the log was off.
pub fn observation(
    case: &PlannedCase,
    tr: &TargetRun,
    outcome: &Outcome,
    log: Log,
) -> Option<CaseObservation> {
    let calls = log.calls?;
    let verdict = match outcome {
        Outcome::Passed => Verdict::Passed,
        Outcome::Failed(_) | Outcome::KnownDeviation { .. } => Verdict::Failed,
        Outcome::Ignored { .. } => Verdict::Ignored,
        Outcome::Interrupted => Verdict::Interrupted,
    };
    let mut volatile = vec![
        (tr.run_id.clone(), "{run_id}".to_owned()),
        (tr.target.project_id.clone(), "{project_id}".to_owned()),
    ];
    volatile.extend(log.now_ms.map(|n| (n, "{now_ms}".to_owned())));
    Some(CaseObservation {
        case: case.id.clone(),
        at: case.at.to_string(),
        operation: case.op.name.clone(),
        verdict,
        checked_headers: case.expect.headers.iter().map(|h| h.name.clone()).collect(),
        calls,
        volatile,
    })
}
