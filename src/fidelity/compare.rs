//! Two sets of observations of the same suite (a reference and a candidate) → the
//! fidelity of the candidate: per case, whether it agrees with the reference on the
//! verdict, the calls made, and for each call the status, the error code, the media type,
//! the headers the case checks, and the body's shape (see [`super::shape`]). Values are
//! compared after masking ([`super::masks`]). When the statuses of a call differ, only
//! the status and error code are listed for it: another status's body would only add
//! noise. The score is the share of compared cases with no difference, per operation
//! and overall.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::shape;
use super::{Body, Call, CaseObservation, Received, Verdict};

/// What a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Verdict,
    /// The calls made (a setup that failed on one side ends the case early).
    Calls,
    Status,
    ErrorCode,
    Header,
    /// JSON on one side, text (or nothing) on the other.
    Body,
    Shape,
}

/// One difference between the reference and the candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub case: String,
    /// Where the case is declared (`file:line:col`).
    pub at: String,
    pub operation: String,
    /// `request`, `setup 1`…, or empty for the case as a whole.
    pub call: String,
    pub aspect: Aspect,
    /// The JSON pointer (shape), the header name, or empty.
    pub pointer: String,
    pub reference: String,
    pub candidate: String,
}

/// How many cases of one operation were compared, and how many agree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationScore {
    pub operation: String,
    pub compared: usize,
    pub agreeing: usize,
}

/// A case not compared, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotCompared {
    pub case: String,
    pub reason: String,
}

/// The result of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fidelity {
    /// What the reference was (a target's name or endpoint, or a recording directory).
    pub reference: String,
    pub candidate: String,
    pub operations: Vec<OperationScore>,
    pub differences: Vec<Difference>,
    pub not_compared: Vec<NotCompared>,
}

impl Fidelity {
    pub fn compared(&self) -> usize {
        self.operations.iter().map(|o| o.compared).sum()
    }

    pub fn agreeing(&self) -> usize {
        self.operations.iter().map(|o| o.agreeing).sum()
    }

    /// The share of compared cases that agree, in percent (100 when none was compared).
    pub fn percent(&self) -> f64 {
        percent(self.agreeing(), self.compared())
    }
}

pub fn percent(agreeing: usize, compared: usize) -> f64 {
    if compared == 0 {
        return 100.0;
    }
    // Counts of cases: far below 2^52, exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let share = agreeing as f64 * 100.0 / compared as f64;
    share
}

/// Compares every case both sides observed; cases only one side has, or that one side
/// did not run, are listed as not compared. `optional(operation, pointer)`: whether the
/// presence of a body's pointer depends on the data ([`super::masks::Masks::optional`]).
pub fn compare(
    labels: (String, String),
    reference: Vec<CaseObservation>,
    candidate: Vec<CaseObservation>,
    optional: &dyn Fn(&str, &str) -> bool,
) -> Fidelity {
    let mut reference: BTreeMap<String, CaseObservation> =
        reference.into_iter().map(|o| (o.case.clone(), o)).collect();
    let mut fidelity = Fidelity {
        reference: labels.0,
        candidate: labels.1,
        operations: Vec::new(),
        differences: Vec::new(),
        not_compared: Vec::new(),
    };
    let mut scores: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut skip = |case: &str, reason: String| {
        fidelity.not_compared.push(NotCompared {
            case: case.to_owned(),
            reason,
        });
    };
    for cand in candidate {
        let Some(refr) = reference.remove(&cand.case) else {
            skip(&cand.case, "not in the reference".into());
            continue;
        };
        if let Some(reason) = not_run(&refr, &cand) {
            skip(&cand.case, reason);
            continue;
        }
        let diffs = case_differences(&refr, &cand, optional);
        let score = scores.entry(cand.operation.clone()).or_default();
        score.0 += 1;
        score.1 += usize::from(diffs.is_empty());
        fidelity.differences.extend(diffs);
    }
    for case in reference.into_keys() {
        skip(&case, "not run on the candidate".into());
    }
    fidelity.not_compared.sort_by(|a, b| a.case.cmp(&b.case));
    fidelity.differences.sort_by(|a, b| a.case.cmp(&b.case));
    fidelity.operations = scores
        .into_iter()
        .map(|(operation, (compared, agreeing))| OperationScore {
            operation,
            compared,
            agreeing,
        })
        .collect();
    fidelity
}

/// Why a case cannot be compared: one side did not run it.
fn not_run(r: &CaseObservation, c: &CaseObservation) -> Option<String> {
    for (side, o) in [("reference", r), ("candidate", c)] {
        if matches!(o.verdict, Verdict::Ignored | Verdict::Interrupted) {
            return Some(format!("{} on the {side}", o.verdict.as_str()));
        }
    }
    None
}

/// Every difference of one case.
fn case_differences(
    r: &CaseObservation,
    c: &CaseObservation,
    optional: &dyn Fn(&str, &str) -> bool,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |call: &str, aspect, pointer: &str, reference: String, candidate: String| {
        out.push(Difference {
            case: c.case.clone(),
            at: c.at.clone(),
            operation: c.operation.clone(),
            call: call.to_owned(),
            aspect,
            pointer: pointer.to_owned(),
            reference,
            candidate,
        });
    };
    if r.verdict != c.verdict {
        let v = |o: &CaseObservation| o.verdict.as_str().to_owned();
        push("", Aspect::Verdict, "", v(r), v(c));
    }
    let roles = |o: &CaseObservation| {
        o.calls
            .iter()
            .map(|c| c.role.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if roles(r) != roles(c) {
        push("", Aspect::Calls, "", roles(r), roles(c));
    }
    let checked: BTreeSet<&str> = r
        .checked_headers
        .iter()
        .chain(&c.checked_headers)
        .map(String::as_str)
        .collect();
    for (rc, cc) in r
        .calls
        .iter()
        .zip(&c.calls)
        .take_while(|(a, b)| a.role == b.role)
    {
        let headers: Vec<&str> = if rc.role == "request" {
            checked.iter().copied().collect()
        } else {
            Vec::new()
        };
        let optional = |pointer: &str| optional(&rc.operation, pointer);
        for d in call_differences(rc, cc, &headers, &optional) {
            push(&rc.role, d.0, &d.1, d.2, d.3);
        }
    }
    out
}

type CallDifference = (Aspect, String, String, String);

/// The differences of one call made on both sides.
fn call_differences(
    r: &Call,
    c: &Call,
    checked: &[&str],
    optional: &dyn Fn(&str) -> bool,
) -> Vec<CallDifference> {
    let (rr, cr) = match (&r.response, &c.response) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => {
            let status = |x: &Option<Received>, call: &Call| match x {
                Some(x) => x.status.to_string(),
                None => format!("no answer: {}", call.error.as_deref().unwrap_or("")),
            };
            if a.is_none() && b.is_none() {
                return Vec::new();
            }
            return vec![(Aspect::Status, String::new(), status(a, r), status(b, c))];
        }
    };
    let mut out = Vec::new();
    if rr.status != cr.status {
        out.push((
            Aspect::Status,
            String::new(),
            rr.status.to_string(),
            cr.status.to_string(),
        ));
    }
    let code = |x: &Received| {
        x.error_code()
            .map_or_else(|| "absent".to_owned(), Value::to_string)
    };
    if code(rr) != code(cr) {
        out.push((Aspect::ErrorCode, String::new(), code(rr), code(cr)));
    }
    if rr.status != cr.status {
        return out;
    }
    let media = |x: &Received| {
        x.headers.get("content-type").map_or_else(
            || "absent".to_owned(),
            |v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            },
        )
    };
    if media(rr) != media(cr) {
        out.push((Aspect::Header, "content-type".into(), media(rr), media(cr)));
    }
    for name in checked {
        let value = |x: &Received| {
            x.headers
                .get(*name)
                .cloned()
                .unwrap_or_else(|| "absent".into())
        };
        if value(rr) != value(cr) {
            out.push((Aspect::Header, (*name).to_owned(), value(rr), value(cr)));
        }
    }
    out.extend(body_differences(
        rr.body.as_ref(),
        cr.body.as_ref(),
        optional,
    ));
    out
}

fn body_differences(
    r: Option<&Body>,
    c: Option<&Body>,
    optional: &dyn Fn(&str) -> bool,
) -> Vec<CallDifference> {
    let kind = |b: Option<&Body>| match b {
        None => "empty",
        Some(Body::Json(_)) => "JSON",
        Some(Body::Text(_)) => "text",
    };
    match (r, c) {
        (Some(Body::Json(a)), Some(Body::Json(b))) => {
            shape::differences(&shape::of(a), &shape::of(b))
                .into_iter()
                .filter(|d| {
                    !((d.reference.is_empty() || d.candidate.is_empty()) && optional(&d.pointer))
                })
                .map(|d| {
                    let types = |t: &BTreeSet<&str>| {
                        if t.is_empty() {
                            "absent".to_owned()
                        } else {
                            t.iter().copied().collect::<Vec<_>>().join(" | ")
                        }
                    };
                    (
                        Aspect::Shape,
                        d.pointer,
                        types(&d.reference),
                        types(&d.candidate),
                    )
                })
                .collect()
        }
        _ if kind(r) != kind(c) => {
            vec![(Aspect::Body, String::new(), kind(r).into(), kind(c).into())]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fidelity::Sent;
    use serde_json::json;

    fn case(id: &str, status: u16, body: Value) -> CaseObservation {
        CaseObservation {
            case: id.into(),
            at: "specs/x.yaml:3:5".into(),
            operation: id.split(' ').next().unwrap().into(),
            verdict: Verdict::Passed,
            checked_headers: vec!["x-custom".into()],
            calls: vec![Call {
                role: "request".into(),
                operation: "Op".into(),
                request: Sent {
                    method: "GET".into(),
                    path: "/".into(),
                    query: vec![],
                    headers: BTreeMap::new(),
                    body: None,
                },
                response: Some(Received {
                    status,
                    headers: [
                        ("content-type".to_owned(), "application/json".to_owned()),
                        ("x-custom".to_owned(), "1".to_owned()),
                    ]
                    .into(),
                    body: Some(Body::Json(body)),
                }),
                error: None,
            }],
            volatile: vec![],
        }
    }

    #[test]
    fn identical_sides_score_100_and_one_changed_field_is_the_only_difference() {
        let a = vec![
            case("A [200] x", 200, json!({"n": 1})),
            case("B [400] y", 400, json!({"error_code": "E1"})),
        ];
        let same = compare(("r".into(), "c".into()), a.clone(), a.clone(), &|_, _| {
            false
        });
        assert_eq!(
            (same.compared(), same.agreeing(), same.differences.len()),
            (2, 2, 0)
        );
        let mut b = a.clone();
        b[1] = case("B [400] y", 400, json!({"error_code": "E2"}));
        let f = compare(("r".into(), "c".into()), a.clone(), b, &|_, _| false);
        assert_eq!(f.differences.len(), 1, "{f:?}");
        let d = &f.differences[0];
        assert_eq!(
            (d.aspect, d.reference.as_str(), d.candidate.as_str()),
            (Aspect::ErrorCode, "\"E1\"", "\"E2\"")
        );
        assert!((f.percent() - 50.0).abs() < f64::EPSILON);
    }

    #[test]
    fn cases_one_side_lacks_or_ignored_are_not_compared() {
        let a = vec![case("A [200] x", 200, json!({}))];
        let mut ignored = a.clone();
        ignored[0].verdict = Verdict::Ignored;
        let f = compare(("r".into(), "c".into()), a.clone(), ignored, &|_, _| false);
        assert_eq!(
            (f.compared(), f.not_compared[0].reason.as_str()),
            (0, "ignored on the candidate")
        );
        let f = compare(("r".into(), "c".into()), a, Vec::new(), &|_, _| false);
        assert_eq!(f.not_compared[0].reason, "not run on the candidate");
    }
}
