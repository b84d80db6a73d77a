//! The case-file model: what one `specs/*.yaml` file may say, read strictly.
//!
//! Every struct denies unknown fields so a typo (`staus:`) is a located load error, never
//! a silently ignored expectation. The JSON Schema of this format, for editors, is
//! `schemas/case-file.schema.json`; keep the two in step.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// One operation and its cases (one file per operation), or several operations that share
/// their documented responses and cases (`variants:`, e.g. the GET and POST forms of one
/// query, or its project-level and instance-scoped paths).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a case file: a map with operation, method, path, responses, cases and more"
)]
pub struct CaseFile {
    /// The SDK's name for the operation, e.g. `StopExecution`. With `variants:` each
    /// variant names its own, and these three are left out.
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub method: Option<Method>,
    /// Path template, e.g. `/v1/{project_id}/cms/workflow/{workflow_id}/executions`.
    #[serde(default)]
    pub path: Option<String>,
    /// Operations that share this file's responses, headers, error convention, variables
    /// and cases: each case runs once per variant (or per variant its `operations:`
    /// names), as that variant's operation.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// For people reading the file; the harness does not use it.
    #[allow(dead_code)]
    #[serde(default)]
    pub summary: Option<String>,
    /// Link to the documentation page that is the contract (for people).
    #[allow(dead_code)]
    #[serde(default)]
    pub doc: Option<String>,
    /// Capabilities any call of this operation needs (in a case or a setup step), e.g.
    /// `create-workflow` for an operation that creates resources.
    #[serde(default)]
    pub requires: Vec<String>,
    /// The API family the operation belongs to (a name defined under some file's
    /// `families:`); a target that does not offer it reports the cases ignored.
    #[serde(default)]
    pub family: Option<String>,
    /// API families by name, usable from any file's `family:`: where each is offered.
    #[serde(default)]
    pub families: BTreeMap<String, Family>,
    /// What the documentation does not say about this operation (no status table, no
    /// error code, no limit): listed by `coverage` so nobody mistakes silence for a
    /// contract.
    #[serde(default)]
    pub doc_gaps: Vec<String>,
    /// Every documented status code with its body schema.
    #[serde(deserialize_with = "decimal_status_keys")]
    pub responses: BTreeMap<u16, DocumentedResponse>,
    /// Header expectations applied to every response of this operation.
    #[serde(default)]
    pub response_headers: BTreeMap<String, HeaderMatch>,
    /// How this operation's error bodies are checked beyond their schema.
    #[serde(default)]
    pub errors: ErrorConvention,
    /// A harmless authenticated read of this operation, made once per target before any
    /// case: 401 or 403 ends the run (exit 3) instead of failing every case. The first
    /// file (in path order) that declares one provides it.
    #[serde(default)]
    pub preflight: Option<RequestSpec>,
    /// Named alternative answers, usable from any file's documented responses with
    /// `alternatives: [NAME]`.
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
    /// Variables this file expects, with defaults a target may override.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Undoes what a call of this operation started: after any 2xx answer (in a setup
    /// step or as the request under test), whatever the case expected, this call runs
    /// when the case ends — and on Ctrl-C.
    #[serde(default)]
    pub cleanup: Option<Cleanup>,
    /// Named setup sequences, usable from any case file with `use: NAME`.
    #[serde(default)]
    pub fixtures: BTreeMap<String, Vec<Step>>,
    #[serde(default)]
    pub cases: Vec<Case>,
}

/// One operation of a file with `variants:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub operation: String,
    pub method: Method,
    pub path: String,
    /// For people reading the file; the harness does not use it.
    #[allow(dead_code)]
    #[serde(default)]
    pub summary: Option<String>,
    /// For people reading the file; the harness does not use it.
    #[allow(dead_code)]
    #[serde(default)]
    pub doc: Option<String>,
}

/// Spelled as on the wire, which is how case files write it.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(expecting = "an HTTP method: GET, POST, PUT, PATCH or DELETE")]
pub enum Method {
    GET,
    POST,
    PUT,
    PATCH,
    DELETE,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
        }
    }
}

/// One documented response code.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a documented response: a map of description, schema, error_code, alternatives"
)]
pub struct DocumentedResponse {
    /// For people reading the file; the harness does not use it.
    #[allow(dead_code)]
    #[serde(default)]
    pub description: Option<String>,
    /// Schema file (relative to the schemas directory) for the body.
    #[serde(default)]
    pub schema: Option<String>,
    /// The documented `error_code` for this status, when the documentation gives one.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Other answers that are just as conformant for this status (names of `answers:`
    /// defined in any file), e.g. the API gateway's own 401 instead of AOM's.
    #[serde(default)]
    pub alternatives: Vec<String>,
}

/// An alternative answer: another body a conformant endpoint may send for a status.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an alternative answer: a map of by, schema, error_code"
)]
pub struct Answer {
    /// Who answers this way, for reports: "the API gateway".
    pub by: String,
    /// Schema file for the body.
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub error_code: Option<String>,
}

/// An API family: a group of operations a region offers together or not at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    /// For people reading the file; the harness does not use it.
    #[allow(dead_code)]
    #[serde(default)]
    pub description: Option<String>,
    /// The region ids that offer the family. A target with one of these regions (or with
    /// no region: an emulator, the mock) runs the family's cases; another region reports
    /// them ignored. Absent: offered everywhere.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
}

/// How an operation's error bodies are checked beyond their schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(
    rename_all = "kebab-case",
    expecting = "an error convention: aom or schema"
)]
pub enum ErrorConvention {
    /// AOM's `{error_code, error_msg, http_code}`: `http_code` must equal the status.
    #[default]
    Aom,
    /// Only the schema (and a documented `error_code`) apply: the Prometheus-style
    /// `{status: "error", errorType, error}` envelope, or bodies of any other shape.
    Schema,
}

/// A `responses:` key, written in decimal. YAML also reads `0xC8`, `0o310` and `+200`
/// as 200: such a key would silently replace the `200:` entry (the duplicate-key check
/// compares the text of keys).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct StatusKey(u16);

impl<'de> Deserialize<'de> for StatusKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StatusKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code such as 200")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusKey, E> {
                let decimal = !v.is_empty()
                    && v.bytes().all(|b| b.is_ascii_digit())
                    && (v == "0" || !v.starts_with('0'));
                if !decimal {
                    return Err(E::custom(format!(
                        "status {v:?} must be written in decimal, such as 200"
                    )));
                }
                v.parse()
                    .map(StatusKey)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status")))
            }
        }
        // As text: the number YAML would make of it hides how it was written.
        d.deserialize_str(V)
    }
}

/// A status code as a YAML number. serde's own message for a bad one would name the Rust
/// type (`expected u16`).
struct HttpStatus(u16);

impl<'de> Deserialize<'de> for HttpStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HttpStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an HTTP status code such as 200")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HttpStatus, E> {
                u16::try_from(v)
                    .map(HttpStatus)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status code")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HttpStatus, E> {
                u16::try_from(v)
                    .map(HttpStatus)
                    .map_err(|_| E::custom(format!("{v} is not an HTTP status code")))
            }
        }
        d.deserialize_u16(V)
    }
}

fn http_status<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    HttpStatus::deserialize(d).map(|s| s.0)
}

fn optional_http_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    Option::<HttpStatus>::deserialize(d).map(|s| s.map(|s| s.0))
}

fn decimal_status_keys<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<u16, DocumentedResponse>, D::Error> {
    let by_key = BTreeMap::<StatusKey, DocumentedResponse>::deserialize(d)?;
    Ok(by_key.into_iter().map(|(k, v)| (k.0, v)).collect())
}

/// One conformance case.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a case: a map with name, request and expect"
)]
pub struct Case {
    pub name: String,
    /// Quarantine: the case is reported ignored with this reason, and runs only with
    /// `--ignored` or `--include-ignored`.
    #[serde(default)]
    pub skip: Option<String>,
    /// For people reading the file; the harness does not use it.
    #[allow(dead_code)]
    #[serde(default)]
    pub description: Option<String>,
    /// Capabilities the endpoint must declare, else the case is reported ignored.
    #[serde(default)]
    pub requires: Vec<String>,
    /// In a file with `variants:`, the operations this case runs as (default: every
    /// variant), e.g. only the instance-scoped ones.
    #[serde(default)]
    pub operations: Vec<String>,
    #[serde(default)]
    pub setup: Vec<Step>,
    #[serde(default)]
    pub request: RequestSpec,
    pub expect: Expect,
}

/// A setup step: either a call of a documented operation, or `use:` of a fixture.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a setup step: a map with call: OPERATION or use: FIXTURE"
)]
pub struct Step {
    #[serde(default, rename = "use")]
    pub use_fixture: Option<String>,
    #[serde(default)]
    pub call: Option<String>,
    // The request fields are spelled out rather than `#[serde(flatten)]`ed: serde cannot
    // deny unknown fields through a flatten, and strictness matters more here.
    #[serde(default)]
    pub path: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, QueryValue>,
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub raw_body: Option<String>,
    #[serde(default)]
    pub auth: AuthMode,
    /// Status the step must answer with; any 2xx when absent.
    #[serde(default, deserialize_with = "optional_http_status")]
    pub expect_status: Option<u16>,
    /// `variable: /json/pointer` into the step's response body.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Skip this step when the target provides this variable, which the step would
    /// otherwise capture (e.g. a QA-provided `workflow_id` instead of a new workflow).
    #[serde(default)]
    pub unless: Option<String>,
    /// Repeat the call until it answers one of `until_status`: for operations the
    /// endpoint completes asynchronously (a delete that takes effect later).
    #[serde(default)]
    pub poll: Option<Poll>,
}

/// A bounded repeat of one setup call: every `every`, for at most `within`, until the
/// answer's status is one of `until_status`. Durations as `500ms`, `2s`, `5m`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poll {
    pub until_status: Vec<u16>,
    pub every: String,
    pub within: String,
}

/// An operation's cleanup: `capture` from the answer that started something, then
/// `call` an operation with these request fields. Templates see the case's variables,
/// the path parameters of the call being undone, and the captures.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a cleanup: a map with call and the request fields"
)]
pub struct Cleanup {
    pub call: String,
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// `variable: /json/pointer` into the JSON body of the request being undone: for
    /// operations that answer without a body (the created thing is named in the request).
    #[serde(default)]
    pub from_request: BTreeMap<String, String>,
    #[serde(default)]
    pub path: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, QueryValue>,
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub body: Option<Value>,
}

impl Cleanup {
    pub fn request(&self) -> RequestSpec {
        RequestSpec {
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            raw_body: None,
            auth: AuthMode::Default,
        }
    }
}

impl Step {
    /// The request part of a `call:` step.
    pub fn request(&self) -> RequestSpec {
        RequestSpec {
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            raw_body: self.raw_body.clone(),
            auth: self.auth,
        }
    }

    /// True when any request field is set (not allowed together with `use:`).
    pub fn has_request(&self) -> bool {
        !self.path.is_empty()
            || !self.query.is_empty()
            || !self.headers.is_empty()
            || self.body.is_some()
            || self.raw_body.is_some()
            || self.auth != AuthMode::Default
            || self.expect_status.is_some()
            || !self.capture.is_empty()
            || self.unless.is_some()
            || self.poll.is_some()
    }
}

/// The request of a case or step. Path parameters not given here are filled from the
/// variable of the same name (`project_id` comes from the target).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a request: a map of path, query, headers, body, raw_body, auth"
)]
pub struct RequestSpec {
    #[serde(default)]
    pub path: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, QueryValue>,
    /// Extra headers; `null` removes a default header such as `Content-Type`.
    #[serde(default)]
    pub headers: BTreeMap<String, Option<String>>,
    /// JSON body, written as YAML.
    #[serde(default)]
    pub body: Option<Value>,
    /// A body sent verbatim (e.g. malformed JSON).
    #[serde(default)]
    pub raw_body: Option<String>,
    #[serde(default)]
    pub auth: AuthMode,
}

/// A query parameter's value: one template, or a list of them sent as the same
/// parameter repeated in order (`match[]=a&match[]=b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue {
    One(String),
    Many(Vec<String>),
}

impl QueryValue {
    /// The values, in the order they are sent.
    pub fn values(&self) -> &[String] {
        match self {
            QueryValue::One(v) => std::slice::from_ref(v),
            QueryValue::Many(vs) => vs,
        }
    }
}

impl<'de> Deserialize<'de> for QueryValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QueryVisitor { list: true })
    }
}

/// One query value, or (at the top, `list`) a list of them.
struct QueryVisitor {
    list: bool,
}

impl<'de> Visitor<'de> for QueryVisitor {
    type Value = QueryValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.list {
            f.write_str("a query value (text) or a list of them (the parameter repeated)")
        } else {
            f.write_str("a query value (text), not a list or map")
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<QueryValue, E> {
        Ok(QueryValue::One(v.to_owned()))
    }
    // A number written bare (`time: 1630124012`) is sent as written.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<QueryValue, E> {
        Ok(QueryValue::One(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<QueryValue, E> {
        Ok(QueryValue::One(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<QueryValue, E> {
        Ok(QueryValue::One(v.to_string()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<QueryValue, A::Error> {
        if !self.list {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut values = Vec::new();
        while let Some(one) = seq.next_element_seed(QueryItem)? {
            values.push(one);
        }
        Ok(QueryValue::Many(values))
    }
}

/// An item of a query value list: a scalar.
struct QueryItem;

impl<'de> de::DeserializeSeed<'de> for QueryItem {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        match d.deserialize_any(QueryVisitor { list: false })? {
            QueryValue::One(v) => Ok(v),
            // Unreachable: a nested list is refused by the visitor.
            QueryValue::Many(_) => Err(de::Error::custom("a query value list holds text")),
        }
    }
}

/// Which credentials a request carries; adapts to the target's auth mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(
    rename_all = "kebab-case",
    expecting = "an auth choice: default, none or invalid"
)]
pub enum AuthMode {
    /// The target's credentials.
    #[default]
    Default,
    /// No credentials at all.
    None,
    /// Credentials of the right shape that the endpoint must reject (a made-up token, or a
    /// signature made with a wrong SK).
    Invalid,
}

/// What the response must look like.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an expectation: a map with status, and schema, error_code, body, body_equals, headers"
)]
pub struct Expect {
    #[serde(deserialize_with = "http_status")]
    pub status: u16,
    /// Body schema; defaults to the documented one for `status`. `false` disables it.
    #[serde(default)]
    pub schema: Option<SchemaChoice>,
    /// Defaults to the documented `error_code` for `status`; `false`: any code (the
    /// documented one belongs to another cause of the same status).
    #[serde(default)]
    pub error_code: Option<CodeChoice>,
    /// A subset the body must contain (objects by key, arrays element-wise).
    #[serde(default)]
    pub body: Option<Value>,
    /// The exact body.
    #[serde(default)]
    pub body_equals: Option<Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderMatch>,
}

/// `schema: file.json` or `schema: false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaChoice {
    File(String),
    Off,
}

impl<'de> Deserialize<'de> for SchemaChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let file = text_or_false(d, "schema", "a schema file name", "a schema file")?;
        Ok(file.map_or(SchemaChoice::Off, SchemaChoice::File))
    }
}

/// `FIELD: TEXT` or `FIELD: false`: `Some(TEXT)` or `None`; `true` is an error naming
/// FIELD. `expected` is what the text is ("a schema file name"), `name` what to write
/// instead of `true` ("a schema file").
fn text_or_false<'de, D: Deserializer<'de>>(
    d: D,
    field: &'static str,
    expected: &'static str,
    name: &'static str,
) -> Result<Option<String>, D::Error> {
    struct V(&'static str, &'static str, &'static str);
    impl Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} or `false`", self.1)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<String>, E> {
            if v {
                Err(E::custom(format!(
                    "`{}: true` means nothing; name {} or write `false`",
                    self.0, self.2
                )))
            } else {
                Ok(None)
            }
        }
    }
    d.deserialize_any(V(field, expected, name))
}

/// `error_code: CODE` or `error_code: false` (any code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeChoice {
    Code(String),
    Any,
}

impl<'de> Deserialize<'de> for CodeChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = text_or_false(d, "error_code", "an error code", "a code")?;
        Ok(code.map_or(CodeChoice::Any, CodeChoice::Code))
    }
}

/// A header expectation: a plain string means `equals`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderMatch {
    pub equals: Option<String>,
    pub starts_with: Option<String>,
    pub contains: Option<String>,
    /// `true`: must be present; `false`: must be absent.
    pub present: Option<bool>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map of equals / starts_with / contains / present"
)]
struct HeaderMatchMap {
    #[serde(default)]
    equals: Option<String>,
    #[serde(default)]
    starts_with: Option<String>,
    #[serde(default)]
    contains: Option<String>,
    #[serde(default)]
    present: Option<bool>,
}

impl<'de> Deserialize<'de> for HeaderMatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderMatch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header value, or a map of equals / starts_with / contains / present")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HeaderMatch, E> {
                Ok(HeaderMatch {
                    equals: Some(v.to_owned()),
                    ..HeaderMatch::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HeaderMatch, A::Error> {
                let m = HeaderMatchMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(HeaderMatch {
                    equals: m.equals,
                    starts_with: m.starts_with,
                    contains: m.contains,
                    present: m.present,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Longest case or target name, in characters: names become trial names, which libtest
/// pads to a common width (it cannot pad past 65,535), and a CI log line should stay
/// readable.
pub const MAX_NAME_CHARS: usize = 200;

/// Why `name` (of `what`: "a case", "a target") cannot be part of a trial name, if so.
pub fn trial_name_problem(what: &str, name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some(format!(
            "{what} needs a name: it is part of every trial's name"
        ))
    } else if name.chars().any(char::is_control) {
        Some(format!(
            "{what}'s name is one line of text, without control characters"
        ))
    } else if name.chars().count() > MAX_NAME_CHARS {
        Some(format!(
            "{what}'s name has {} characters; at most {MAX_NAME_CHARS}",
            name.chars().count()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod text_or_false_tests {
    use super::*;

    #[test]
    fn a_name_or_false_and_true_is_an_error_naming_the_field() {
        let schema = |y: &str| serde_yaml::from_str::<SchemaChoice>(y);
        assert_eq!(
            schema("x.json").unwrap(),
            SchemaChoice::File("x.json".into())
        );
        assert_eq!(schema("false").unwrap(), SchemaChoice::Off);
        let e = schema("true").unwrap_err().to_string();
        assert!(
            e.contains("`schema: true` means nothing; name a schema file or write `false`"),
            "{e}"
        );
        let code = |y: &str| serde_yaml::from_str::<CodeChoice>(y);
        assert_eq!(code("AOM.1").unwrap(), CodeChoice::Code("AOM.1".into()));
        assert_eq!(code("false").unwrap(), CodeChoice::Any);
        let e = code("true").unwrap_err().to_string();
        assert!(
            e.contains("`error_code: true` means nothing; name a code or write `false`"),
            "{e}"
        );
        let e = code("[1]").unwrap_err().to_string();
        assert!(e.contains("an error code or `false`"), "{e}");
    }
}
