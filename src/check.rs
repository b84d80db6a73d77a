//! Expectation vs response → the list of mismatches, each saying where and what.
//!
//! All checks run, so one failure report shows everything that is off (status *and*
//! schema *and* error code), not just the first — except that a response with another
//! status than expected is not held to the expected status's body: its schema, error code
//! and values would only add noise to the status mismatch.
//!
//! Bodies are parsed once, by [`parse_body`], which also notices a key repeated in one
//! object (serde_json keeps the last one silently) and stops at 128 levels of nesting.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::http::{MAX_BODY_BYTES, Response};
use std::sync::Arc;

use crate::plan::{Alternative, HeaderCheck, PlannedExpect};
use crate::schema::CompiledSchema;
use crate::spec::model::ErrorConvention;
use crate::template::Vars;

/// Schema violations listed per response; the rest are counted. A 100,000-item array
/// of wrong items is one problem for a reader, not 100,000 lines in a CI log.
pub const MAX_SCHEMA_ERRORS: usize = 10;

/// One way a response differs from what the case expects. Values are kept whole; the
/// report redacts them and then cuts them short for messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// The HTTP status.
    Status { expected: u16, actual: u16 },
    /// More schema violations than are listed (see [`MAX_SCHEMA_ERRORS`]).
    MoreSchemaErrors { schema: String, more: usize },
    /// A body was expected to be JSON (a schema, values or an error code to check).
    NotJson { error: String },
    /// A JSON Schema violation.
    Schema {
        schema: String,
        instance_path: String,
        schema_path: String,
        /// jsonschema's message, which quotes the offending value whole.
        message: String,
        /// That value, serialized: what to shorten inside `message`.
        instance: String,
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
    /// The body is longer than [`MAX_BODY_BYTES`]; the harness stopped reading it.
    BodyTooLarge,
    /// A key repeated in one JSON object (the first such key): parsers disagree on which
    /// value counts, so a body that has one does not say one thing.
    DuplicateKey { pointer: String, key: String },
}

impl Mismatch {
    /// A short category, used as the JUnit failure type.
    pub fn kind(&self) -> &'static str {
        match self {
            Mismatch::Status { .. } => "status",
            Mismatch::NotJson { .. } => "not-json",
            Mismatch::Schema { .. } | Mismatch::MoreSchemaErrors { .. } => "schema",
            Mismatch::ErrorCode { .. } => "error-code",
            Mismatch::HttpCode { .. } => "http-code",
            Mismatch::Value { .. } => "body",
            Mismatch::Header { .. } => "header",
            Mismatch::BodyTooLarge => "body-size",
            Mismatch::DuplicateKey { .. } => "duplicate-key",
        }
    }
}

/// The verdict on one answer: what is off, and which alternative answer it was when the
/// documented one did not match but an alternative did.
#[derive(Debug)]
pub struct Verdict {
    pub mismatches: Vec<Mismatch>,
    pub answered_by: Option<Arc<Alternative>>,
}

/// Runs every check of `expect` against `resp`: first as the documented answer, then —
/// when that does not match but the status does — as each alternative answer in turn.
pub fn check(expect: &PlannedExpect, resp: &Response, vars: &Vars) -> Verdict {
    let documented = Body {
        schema: expect.schema.as_deref(),
        error_code: expect.error_code.as_deref(),
    };
    let mismatches = check_as(expect, documented, resp, vars);
    if mismatches.is_empty() || resp.status != expect.status {
        return Verdict {
            mismatches,
            answered_by: None,
        };
    }
    let alternative = expect.alternatives.iter().find(|alt| {
        let body = Body {
            schema: alt.schema.as_deref(),
            error_code: alt.error_code.as_deref(),
        };
        check_as(expect, body, resp, vars).is_empty()
    });
    match alternative {
        Some(alt) => Verdict {
            mismatches: Vec::new(),
            answered_by: Some(Arc::clone(alt)),
        },
        None => Verdict {
            mismatches,
            answered_by: None,
        },
    }
}

/// What the body of one acceptable answer must be.
#[derive(Clone, Copy)]
struct Body<'a> {
    schema: Option<&'a CompiledSchema>,
    error_code: Option<&'a str>,
}

/// The checks of `expect` with `body` as the expected body.
///
/// Always: the status, the headers, the body size, and — for an operation with AOM's
/// error convention, any status >= 400 with a JSON body that has an `http_code` — that
/// `http_code` is the status. Only when the status is the expected one: the schema,
/// `error_code`, `body` and `body_equals`.
fn check_as(expect: &PlannedExpect, want: Body<'_>, resp: &Response, vars: &Vars) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let status_ok = resp.status == expect.status;
    check_status_headers_size(expect, resp, &mut out);
    if resp.truncated {
        return out;
    }
    let needs_json = status_ok
        && (want.schema.is_some()
            || want.error_code.is_some()
            || expect.body.is_some()
            || expect.body_equals.is_some());
    if !needs_json && resp.status < 400 {
        return out;
    }
    let Some(body) = json_body(resp, needs_json, &mut out) else {
        return out;
    };
    if status_ok {
        check_schema(want.schema, &body, &mut out);
        check_error_code(want.error_code, &body, &mut out);
    }
    if expect.errors == ErrorConvention::Aom {
        check_http_code(resp, &body, &mut out);
    }
    if status_ok {
        check_values(expect, body, vars, &mut out);
    }
    out
}

/// What holds whatever the body: the status, the headers, and that the body was read
/// whole.
fn check_status_headers_size(expect: &PlannedExpect, resp: &Response, out: &mut Vec<Mismatch>) {
    if resp.status != expect.status {
        out.push(Mismatch::Status {
            expected: expect.status,
            actual: resp.status,
        });
    }
    for h in &expect.headers {
        check_header(h, resp, out);
    }
    if resp.truncated {
        // Only the first MAX_BODY_BYTES were read: nothing in it can be judged.
        debug_assert!(resp.body.len() <= MAX_BODY_BYTES);
        out.push(Mismatch::BodyTooLarge);
    }
}

/// The body as JSON. A body that is not JSON, or repeats a key, is a mismatch only when
/// the case needs JSON: otherwise it just has no `http_code` to check.
fn json_body(resp: &Response, needs_json: bool, out: &mut Vec<Mismatch>) -> Option<Value> {
    match parse_body(&resp.body) {
        Ok((v, duplicate)) => {
            if let (true, Some(d)) = (needs_json, duplicate) {
                out.push(d.mismatch());
            }
            Some(v)
        }
        Err(e) => {
            if needs_json {
                let error = if resp.body.is_empty() {
                    "the body is empty".to_owned()
                } else {
                    crate::errors::strip_serde_position(&e.to_string())
                };
                out.push(Mismatch::NotJson { error });
            }
            None
        }
    }
}

fn check_schema(schema: Option<&CompiledSchema>, body: &Value, out: &mut Vec<Mismatch>) {
    let Some(schema) = schema else {
        return;
    };
    let mut errors = schema.validator.iter_errors(body);
    for err in errors.by_ref().take(MAX_SCHEMA_ERRORS) {
        out.push(Mismatch::Schema {
            schema: schema.name.clone(),
            instance_path: err.instance_path().to_string(),
            schema_path: err.schema_path().to_string(),
            message: err.to_string(),
            instance: err.instance().to_string(),
        });
    }
    let more = errors.count();
    if more > 0 {
        out.push(Mismatch::MoreSchemaErrors {
            schema: schema.name.clone(),
            more,
        });
    }
}

fn check_error_code(code: Option<&str>, body: &Value, out: &mut Vec<Mismatch>) {
    if let Some(code) = code {
        let actual = body.get("error_code");
        if actual.and_then(Value::as_str) != Some(code) {
            out.push(Mismatch::ErrorCode {
                expected: code.to_owned(),
                actual: actual.cloned(),
            });
        }
    }
}

/// Every AOM error body repeats the status in `http_code`; a body that disagrees with its
/// own status line is a defect however valid its shape, whatever the case expected.
fn check_http_code(resp: &Response, body: &Value, out: &mut Vec<Mismatch>) {
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
}

/// `body` (a subset) and `body_equals` (the whole body), rendered with the case's vars.
fn check_values(expect: &PlannedExpect, body: Value, vars: &Vars, out: &mut Vec<Mismatch>) {
    if let Some(t) = &expect.body {
        subset(&t.render(vars), Some(&body), &mut String::new(), out);
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
}

/// The first key found repeated in one object: the key, and the path of its object
/// (innermost segment first, as it is filled in while the parse unwinds).
#[derive(Debug, PartialEq)]
struct Duplicate {
    key: String,
    reversed_path: Vec<String>,
}

impl Duplicate {
    fn mismatch(self) -> Mismatch {
        let mut pointer = String::new();
        for seg in self.reversed_path.iter().rev() {
            pointer.push('/');
            pointer.push_str(&seg.replace('~', "~0").replace('/', "~1"));
        }
        Mismatch::DuplicateKey {
            pointer,
            key: self.key,
        }
    }
}

/// Parses a JSON body as `serde_json::from_slice` does (same value, same errors, same
/// 128-level nesting limit), noting the first key repeated in an object on the way: one
/// pass, no second parse of every response.
fn parse_body(bytes: &[u8]) -> Result<(Value, Option<Duplicate>), serde_json::Error> {
    let mut duplicate = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Node(&mut duplicate).deserialize(&mut de)?;
    de.end()?;
    Ok((value, duplicate))
}

/// One JSON value being built; records into the shared slot.
struct Node<'a>(&'a mut Option<Duplicate>);

impl Node<'_> {
    /// Parses one child; if the duplicate was found inside it, `seg` leads to it.
    fn child<T, E>(
        &mut self,
        seg: impl FnOnce() -> String,
        parse: impl FnOnce(Node<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let had = self.0.is_some();
        let v = parse(Node(self.0))?;
        if let (false, Some(d)) = (had, self.0.as_mut()) {
            d.reversed_path.push(seg());
        }
        Ok(v)
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let i = items.len();
            match self.child(|| i.to_string(), |n| seq.next_element_seed(n))? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = self.child(|| key.clone(), |n| map.next_value_seed(n))?;
            match out.entry(key) {
                Entry::Vacant(e) => {
                    e.insert(value);
                }
                Entry::Occupied(mut e) => {
                    // The last one wins, as in serde_json; the first repeat is noted.
                    e.insert(value);
                    if self.0.is_none() {
                        *self.0 = Some(Duplicate {
                            key: e.key().clone(),
                            reversed_path: Vec::new(),
                        });
                    }
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// A header's value as checked: repeated field lines are combined with `", "`, the way
/// RFC 9110 (5.3) reads them, so a rule sees every value an endpoint sent (a second
/// `Content-Type` makes `equals` fail instead of going unseen).
fn header_value(resp: &Response, name: &str) -> Option<String> {
    let mut values = resp.headers.get_all(name).iter();
    let first = values.next()?;
    let mut text = String::from_utf8_lossy(first.as_bytes()).into_owned();
    for v in values {
        text.push_str(", ");
        text.push_str(&String::from_utf8_lossy(v.as_bytes()));
    }
    Some(text)
}

fn check_header(h: &HeaderCheck, resp: &Response, out: &mut Vec<Mismatch>) {
    let actual = header_value(resp, &h.name);
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
    use crate::report::mismatch::describe;
    use crate::report::redact::Redactor;
    use crate::schema::CompiledSchema;
    use crate::template::JsonTemplate;
    use reqwest::header::{HeaderMap, HeaderValue};
    use serde_json::json;
    use std::sync::Arc;
    use std::time::Duration;

    fn expect(status: u16) -> PlannedExpect {
        PlannedExpect {
            status,
            schema: None,
            error_code: None,
            body: None,
            body_equals: None,
            headers: Vec::new(),
            alternatives: Vec::new(),
            errors: ErrorConvention::Aom,
        }
    }

    fn schema(v: Value) -> Option<Arc<CompiledSchema>> {
        Some(Arc::new(CompiledSchema {
            name: "test.schema.json".into(),
            validator: jsonschema::validator_for(&v).unwrap(),
        }))
    }

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            elapsed: Duration::ZERO,
        }
    }

    fn kinds(out: &[Mismatch]) -> Vec<&'static str> {
        out.iter().map(Mismatch::kind).collect()
    }

    /// What the shipped specs expect of a documented 200 with an error body.
    fn expect_200_result() -> PlannedExpect {
        PlannedExpect {
            schema: schema(json!({"type": "object", "required": ["result"]})),
            error_code: Some("AOM.0".into()),
            body: Some(JsonTemplate::Literal(json!({"result": "success"}))),
            body_equals: Some(JsonTemplate::Literal(json!({"result": "success"}))),
            ..expect(200)
        }
    }

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
            describe(&out[2], &Redactor::default()),
            "body /d: expected \"x\", got nothing (absent)"
        );
    }

    #[test]
    fn a_status_mismatch_skips_the_expected_statuses_body_checks() {
        let resp = response(
            404,
            r#"{"error_code":"AOM.1","error_msg":"no such execution","http_code":500}"#,
        );
        let out = check(&expect_200_result(), &resp, &Vars::default()).mismatches;
        assert_eq!(kinds(&out), ["status", "http-code"], "{out:?}");
        let r = Redactor::default();
        assert_eq!(describe(&out[0], &r), "status: expected 200, got 404");
        assert_eq!(
            describe(&out[1], &r),
            "body /http_code: expected 404 (the HTTP status), got 500"
        );

        // Not JSON either: still only the status.
        let out = check(
            &expect_200_result(),
            &response(502, "<html>"),
            &Vars::default(),
        )
        .mismatches;
        assert_eq!(kinds(&out), ["status"], "{out:?}");
    }

    #[test]
    fn a_matching_status_gets_every_body_check() {
        let resp = response(
            200,
            r#"{"error_code":"AOM.1","error_msg":"x","http_code":200}"#,
        );
        let out = check(&expect_200_result(), &resp, &Vars::default()).mismatches;
        assert_eq!(
            kinds(&out),
            ["schema", "error-code", "body", "body"],
            "{out:?}"
        );
    }

    #[test]
    fn http_code_is_checked_on_every_error_response_even_without_expectations() {
        let body = r#"{"error_code":"AOM.1","error_msg":"x","http_code":400}"#;
        let out = check(&expect(404), &response(404, body), &Vars::default()).mismatches;
        assert_eq!(kinds(&out), ["http-code"], "{out:?}");
        // Agreeing, absent, non-JSON, or a success status: nothing to say.
        let ok = r#"{"error_code":"AOM.1","error_msg":"x","http_code":404}"#;
        for (status, body) in [
            (404, ok),
            (404, r#"{"error_code":"AOM.1"}"#),
            (404, "not json"),
            (200, r#"{"http_code":500}"#),
        ] {
            let out = check(&expect(status), &response(status, body), &Vars::default()).mismatches;
            assert!(out.is_empty(), "{status} {body}: {out:?}");
        }
    }

    #[test]
    fn a_truncated_body_is_its_own_mismatch_and_is_not_judged() {
        let mut resp = response(200, r#"{"result": "succ"#);
        resp.truncated = true;
        let out = check(&expect_200_result(), &resp, &Vars::default()).mismatches;
        assert_eq!(kinds(&out), ["body-size"], "{out:?}");
        assert_eq!(
            describe(&out[0], &Redactor::default()),
            "body exceeds 4 MiB (stopped reading)"
        );
    }

    #[test]
    fn values_are_redacted_then_cut_short() {
        let secret: String = (0..2000).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let r = Redactor::new([secret.clone()]);
        let long = format!("{} token {secret}", "x".repeat(250));
        let resp = response(200, &json!({ "result": long.clone() }).to_string());
        let e = PlannedExpect {
            body: Some(JsonTemplate::Literal(json!({"result": "success"}))),
            ..expect(200)
        };
        let out = check(&e, &resp, &Vars::default()).mismatches;
        let text = describe(&out[0], &r);
        assert!(
            text.starts_with("body /result: expected \"success\", got \"xxx"),
            "{text}"
        );
        // The length given is that of the redacted value: `"x…x token [REDACTED]"`.
        assert!(text.ends_with("… (269 bytes)"), "{text}");
        assert!(text.len() < 300, "{text}");

        // The secret right at the cut: redacted first, so not even its start shows.
        let at_cut = format!("{}{secret}", "y".repeat(190));
        let m = Mismatch::Value {
            pointer: "/error_msg".into(),
            expected: json!("z"),
            actual: Some(json!(at_cut)),
        };
        let text = describe(&m, &r);
        assert!(text.contains("[REDACTED]"), "{text}");
        assert!(!text.contains(&secret[..8]), "{text}");

        let h = Mismatch::Header {
            name: "x-echo".into(),
            expected: "absent".into(),
            actual: Some(format!("{} {secret}", "v".repeat(195))),
        };
        let text = describe(&h, &r);
        assert!(
            text.contains("[REDACTED]") && !text.contains(&secret[..8]),
            "{text}"
        );
        let h = Mismatch::Header {
            name: "x-echo".into(),
            expected: "absent".into(),
            actual: Some("w".repeat(5000)),
        };
        assert!(
            describe(&h, &r).ends_with("… (5002 bytes)"),
            "{}",
            describe(&h, &r)
        );
    }

    #[test]
    fn schema_messages_do_not_quote_huge_values_whole() {
        let e = PlannedExpect {
            schema: schema(json!({
                "type": "object",
                "properties": { "error_msg": { "type": "string", "maxLength": 1024 } }
            })),
            ..expect(400)
        };
        let huge = "m".repeat(5_000_000);
        let resp = response(400, &json!({ "error_msg": huge }).to_string());
        let out = check(&e, &resp, &Vars::default()).mismatches;
        assert_eq!(kinds(&out), ["schema"], "{out:?}");
        let text = describe(&out[0], &Redactor::default());
        assert!(text.len() < 400, "{} bytes: {}", text.len(), &text[..400]);
        assert!(
            text.starts_with("schema test.schema.json: at /error_msg: \"mmm"),
            "{text}"
        );
        assert!(
            text.contains("… (5000002 bytes) is longer than 1024 characters"),
            "{text}"
        );
    }

    #[test]
    fn header_values_show_redacted_and_quoted() {
        let mut resp = response(200, "");
        resp.headers.insert(
            "content-type",
            HeaderValue::from_static("text/plain; k=SECRET-1"),
        );
        let e = PlannedExpect {
            headers: vec![HeaderCheck {
                name: "content-type".into(),
                rule: crate::spec::model::HeaderMatch {
                    starts_with: Some("application/json".into()),
                    ..Default::default()
                },
            }],
            ..expect(200)
        };
        let out = check(&e, &resp, &Vars::default()).mismatches;
        assert_eq!(
            describe(&out[0], &Redactor::new(["SECRET-1".to_owned()])),
            "header content-type: expected to start with \"application/json\", got \"text/plain; k=[REDACTED]\""
        );
    }

    #[test]
    fn a_repeated_header_is_checked_with_all_its_values() {
        let mut resp = response(200, "");
        for v in ["application/json", "text/html"] {
            resp.headers
                .append("content-type", HeaderValue::from_static(v));
        }
        let rule = |m: crate::spec::model::HeaderMatch| PlannedExpect {
            headers: vec![HeaderCheck {
                name: "content-type".into(),
                rule: m,
            }],
            ..expect(200)
        };
        let equals = rule(crate::spec::model::HeaderMatch {
            equals: Some("application/json".into()),
            ..Default::default()
        });
        let out = check(&equals, &resp, &Vars::default()).mismatches;
        assert_eq!(
            describe(&out[0], &Redactor::new(Vec::<String>::new())),
            "header content-type: expected \"application/json\", got \"application/json, text/html\""
        );
        let contains = rule(crate::spec::model::HeaderMatch {
            contains: Some("text/html".into()),
            ..Default::default()
        });
        assert!(
            check(&contains, &resp, &Vars::default())
                .mismatches
                .is_empty()
        );
    }

    #[test]
    fn a_repeated_key_is_found_with_the_pointer_of_its_object() {
        let parse =
            |s: &str| parse_body(s.as_bytes()).map(|(v, d)| (v, d.map(Duplicate::mismatch)));
        let (v, d) =
            parse(r#"{"a":[{"x":1},{"b/c":{"k":1,"k":2,"k":3}}],"z":{"z":1,"z":1}}"#).unwrap();
        assert_eq!(v, json!({"a":[{"x":1},{"b/c":{"k":3}}],"z":{"z":1}}));
        assert_eq!(
            d,
            Some(Mismatch::DuplicateKey {
                pointer: "/a/1/b~1c".into(),
                key: "k".into()
            })
        );
        let (v, d) = parse(r#"[1, 2.5, -3, null, true, "s", {}]"#).unwrap();
        assert_eq!(v, json!([1, 2.5, -3, null, true, "s", {}]));
        assert_eq!(d, None);
        assert!(parse("[1] x").is_err());
        let (_, d) = parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(
            describe(&d.unwrap(), &Redactor::default()),
            "body /: key \"a\" appears more than once in one object (JSON parsers disagree on which one counts)"
        );

        // In a judged body, a mismatch; nesting beyond 128 levels is refused at once.
        let resp = response(200, r#"{"result":"success","result":"success"}"#);
        let e = PlannedExpect {
            body: Some(JsonTemplate::Literal(json!({"result": "success"}))),
            ..expect(200)
        };
        assert_eq!(
            kinds(&check(&e, &resp, &Vars::default()).mismatches),
            ["duplicate-key"]
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let out = check(&e, &response(200, &deep), &Vars::default()).mismatches;
        assert_eq!(
            describe(&out[0], &Redactor::default()),
            "body: not JSON (recursion limit exceeded)"
        );
    }

    #[test]
    fn schema_violations_are_capped() {
        let e = PlannedExpect {
            schema: schema(
                json!({"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}}),
            ),
            ..expect(200)
        };
        let body = serde_json::to_string(&json!({"a": vec![1; 1000]})).unwrap();
        let out = check(&e, &response(200, &body), &Vars::default()).mismatches;
        assert_eq!(out.len(), MAX_SCHEMA_ERRORS + 1, "{out:?}");
        assert_eq!(
            describe(out.last().unwrap(), &Redactor::default()),
            format!(
                "schema test.schema.json: … and {} more violations",
                1000 - MAX_SCHEMA_ERRORS
            )
        );
    }
}
