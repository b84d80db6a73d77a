//! Expectation vs response → the list of mismatches, each saying where and what.
//!
//! All checks run, so one failure report shows everything that is off (status *and*
//! schema *and* error code), not just the first.

use std::fmt;

use serde_json::Value;

use crate::http::Response;
use crate::plan::{HeaderCheck, PlannedExpect};
use crate::template::Vars;

/// One way a response differs from what the case expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// The HTTP status.
    Status { expected: u16, actual: u16 },
    /// A body was expected to be JSON (a schema, values or an error code to check).
    NotJson { error: String },
    /// A JSON Schema violation.
    Schema {
        schema: String,
        instance_path: String,
        schema_path: String,
        message: String,
    },
    /// The documented (or expected) `error_code`.
    ErrorCode {
        expected: String,
        actual: Option<Value>,
    },
    /// An error body whose `http_code` is not the HTTP status.
    HttpCode { status: u16, http_code: Value },
    /// A value in the body.
    Value {
        pointer: String,
        expected: Value,
        actual: Option<Value>,
    },
    /// A header.
    Header {
        name: String,
        expected: String,
        actual: Option<String>,
    },
}

impl Mismatch {
    /// A short category, used as the JUnit failure type.
    pub fn kind(&self) -> &'static str {
        match self {
            Mismatch::Status { .. } => "status",
            Mismatch::NotJson { .. } => "not-json",
            Mismatch::Schema { .. } => "schema",
            Mismatch::ErrorCode { .. } => "error-code",
            Mismatch::HttpCode { .. } => "http-code",
            Mismatch::Value { .. } => "body",
            Mismatch::Header { .. } => "header",
        }
    }
}

fn show(v: &Option<Value>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "nothing (absent)".into(),
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Status { expected, actual } => {
                write!(f, "status: expected {expected}, got {actual}")
            }
            Mismatch::NotJson { error } => write!(f, "body: not JSON ({error})"),
            Mismatch::Schema {
                schema,
                instance_path,
                schema_path,
                message,
            } => {
                let at = if instance_path.is_empty() {
                    "/"
                } else {
                    instance_path
                };
                write!(
                    f,
                    "schema {schema}: at {at}: {message} (schema path {schema_path})"
                )
            }
            Mismatch::ErrorCode { expected, actual } => write!(
                f,
                "body /error_code: expected \"{expected}\", got {}",
                show(actual)
            ),
            Mismatch::HttpCode { status, http_code } => write!(
                f,
                "body /http_code: expected {status} (the HTTP status), got {http_code}"
            ),
            Mismatch::Value {
                pointer,
                expected,
                actual,
            } => write!(
                f,
                "body {}: expected {expected}, got {}",
                if pointer.is_empty() { "/" } else { pointer },
                show(actual)
            ),
            Mismatch::Header {
                name,
                expected,
                actual,
            } => write!(
                f,
                "header {name}: expected {expected}, got {}",
                actual
                    .as_deref()
                    .map_or("nothing (absent)".into(), |a| format!("{a:?}"))
            ),
        }
    }
}

/// Runs every check of `expect` against `resp`.
pub fn check(expect: &PlannedExpect, resp: &Response, vars: &Vars) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if resp.status != expect.status {
        out.push(Mismatch::Status {
            expected: expect.status,
            actual: resp.status,
        });
    }
    for h in &expect.headers {
        check_header(h, resp, &mut out);
    }

    let needs_json = expect.schema.is_some()
        || expect.error_code.is_some()
        || expect.body.is_some()
        || expect.body_equals.is_some();
    if !needs_json {
        return out;
    }
    let body: Value = match serde_json::from_slice(&resp.body) {
        Ok(v) => v,
        Err(e) => {
            let error = if resp.body.is_empty() {
                "the body is empty".to_owned()
            } else {
                crate::schema::strip_serde_position(&e.to_string())
            };
            out.push(Mismatch::NotJson { error });
            return out;
        }
    };

    if let Some(schema) = &expect.schema {
        for err in schema.validator.iter_errors(&body) {
            out.push(Mismatch::Schema {
                schema: schema.name.clone(),
                instance_path: err.instance_path().to_string(),
                schema_path: err.schema_path().to_string(),
                message: err.to_string(),
            });
        }
    }
    if let Some(code) = &expect.error_code {
        let actual = body.get("error_code");
        if actual.and_then(Value::as_str) != Some(code.as_str()) {
            out.push(Mismatch::ErrorCode {
                expected: code.clone(),
                actual: actual.cloned(),
            });
        }
    }
    // Every AOM error body repeats the status in `http_code`; a body that disagrees
    // with its own status line is a defect however valid its shape.
    if resp.status >= 400 {
        if let Some(hc) = body.get("http_code") {
            if hc.as_u64() != Some(u64::from(resp.status)) {
                out.push(Mismatch::HttpCode {
                    status: resp.status,
                    http_code: hc.clone(),
                });
            }
        }
    }
    if let Some(t) = &expect.body {
        subset(&t.render(vars), Some(&body), &mut String::new(), &mut out);
    }
    if let Some(t) = &expect.body_equals {
        let expected = t.render(vars);
        if expected != body {
            out.push(Mismatch::Value {
                pointer: String::new(),
                expected,
                actual: Some(body),
            });
        }
    }
    out
}

fn check_header(h: &HeaderCheck, resp: &Response, out: &mut Vec<Mismatch>) {
    let actual = resp
        .headers
        .get(h.name.as_str())
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let r = &h.rule;
    let mut fail = |expected: String| {
        out.push(Mismatch::Header {
            name: h.name.clone(),
            expected,
            actual: actual.clone(),
        })
    };
    match (r.present, &actual) {
        (Some(true), None) => fail("present".into()),
        (Some(false), Some(_)) => fail("absent".into()),
        _ => {}
    }
    if let Some(e) = &r.equals {
        if actual.as_deref() != Some(e.as_str()) {
            fail(format!("{e:?}"));
        }
    }
    if let Some(p) = &r.starts_with {
        if !actual.as_deref().is_some_and(|a| a.starts_with(p.as_str())) {
            fail(format!("to start with {p:?}"));
        }
    }
    if let Some(c) = &r.contains {
        if !actual.as_deref().is_some_and(|a| a.contains(c.as_str())) {
            fail(format!("to contain {c:?}"));
        }
    }
}

/// `expected` must be contained in `actual`: objects by key (extra keys allowed), arrays
/// element-wise with the same length, scalars equal.
fn subset(expected: &Value, actual: Option<&Value>, ptr: &mut String, out: &mut Vec<Mismatch>) {
    match (expected, actual) {
        (Value::Object(e), Some(Value::Object(a))) => {
            for (k, ev) in e {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&k.replace('~', "~0").replace('/', "~1"));
                subset(ev, a.get(k), ptr, out);
                ptr.truncate(len);
            }
        }
        (Value::Array(e), Some(Value::Array(a))) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                let len = ptr.len();
                ptr.push_str(&format!("/{i}"));
                subset(ev, Some(av), ptr, out);
                ptr.truncate(len);
            }
        }
        (e, a) if Some(e) == a => {}
        (e, a) => out.push(Mismatch::Value {
            pointer: ptr.clone(),
            expected: e.clone(),
            actual: a.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_reports_the_pointer_of_each_difference() {
        let mut out = Vec::new();
        subset(
            &json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"}),
            Some(&json!({"a": {"b": 2, "c": [1, 3]}, "e": 0})),
            &mut String::new(),
            &mut out,
        );
        let ptrs: Vec<String> = out
            .iter()
            .map(|m| match m {
                Mismatch::Value { pointer, .. } => pointer.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(ptrs, ["/a/b", "/a/c/1", "/d"]);
        assert_eq!(
            out[2].to_string(),
            "body /d: expected \"x\", got nothing (absent)"
        );
    }
}
