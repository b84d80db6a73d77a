//! Masking rules (`schemas/masks.yaml`, shape: `schemas/masks.schema.json`): which values
//! legitimately differ between two correct endpoints — ids, timestamps, request ids — by
//! object key (a glob such as `*_id`), by JSON pointer pattern (`/data/result/*/value/*`,
//! `*` = any one segment) or by header name, for every operation or only some.
//!
//! [`Masks::apply`] replaces each such value by a stable placeholder before observations
//! are compared or recorded: a string by `<NAME:N>`, N numbering the distinct values of
//! the case in order of appearance (so "the id the setup created is the one the request
//! used" survives masking), a number by `0` (its type is kept: the shape still compares
//! it). A masked string also replaces its other appearances in the case (a created id in
//! a later request's path), and the run's own values ([`CaseObservation::volatile`]) are
//! replaced first, so two runs of the same suite record the same text.

use std::collections::BTreeMap;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::Value;

use super::{Body, CaseObservation};
use crate::spec::load::parse_yaml_text;
use crate::spec::{Diagnostics, Location, Seg};

/// Masked strings shorter than this are replaced only where they are the whole value:
/// a short id like `1` would otherwise be replaced inside unrelated text.
const MIN_SUBSTITUTED_LEN: usize = 6;

/// The built-in rules' name in the suite (and beside `--schemas DIR`).
pub const FILE_NAME: &str = "masks.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MasksFile {
    #[serde(default)]
    masks: Vec<RuleFile>,
    #[serde(default)]
    optional: Vec<OptionalFile>,
}

/// Places in a body whose presence depends on the data, not on the endpoint (a list
/// holding items of several kinds, some with a key the others lack).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionalFile {
    #[serde(default)]
    operations: Vec<String>,
    /// Pointer patterns as in a mask; `*` also matches the `*` of array items.
    pointers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    /// The placeholder's name: `<NAME:N>`.
    name: String,
    /// Only in these operations' calls; every operation when empty.
    #[serde(default)]
    operations: Vec<String>,
    /// Object keys, anywhere in a body (globs: `*_id`).
    #[serde(default)]
    keys: Vec<String>,
    /// JSON pointers into bodies; `*` matches any one key or index.
    #[serde(default)]
    pointers: Vec<String>,
    /// Header names (any case).
    #[serde(default)]
    headers: Vec<String>,
}

/// One loaded rule.
#[derive(Debug)]
struct Rule {
    name: String,
    operations: Vec<String>,
    keys: GlobSet,
    pointers: Vec<Vec<String>>,
    headers: Vec<String>,
    at: Location,
}

/// The loaded rules; empty masks nothing.
#[derive(Debug, Default)]
pub struct Masks {
    rules: Vec<Rule>,
    optional: Vec<Optional>,
}

/// A loaded `optional:` entry.
#[derive(Debug)]
struct Optional {
    operations: Vec<String>,
    pointers: Vec<Vec<String>>,
    at: Location,
}

impl Masks {
    /// Parses `text` (named `path` in messages): every problem located.
    pub fn parse(path: &Path, text: &str) -> Result<Masks, Diagnostics> {
        let (file, locator): (MasksFile, _) =
            parse_yaml_text(path, text).map_err(|d| Diagnostics(vec![d]))?;
        let mut diags = Diagnostics::default();
        let mut rules = Vec::with_capacity(file.masks.len());
        for (i, r) in file.masks.into_iter().enumerate() {
            let at = |field: &'static str, j: Option<usize>| {
                let mut p = vec![Seg::from("masks"), i.into(), field.into()];
                p.extend(j.map(Seg::from));
                locator.value(&p)
            };
            if !valid_name(&r.name) {
                diags.push(
                    at("name", None),
                    format!(
                        "mask name {:?} must be lower-case letters, digits and '-'",
                        r.name
                    ),
                );
            }
            if r.keys.is_empty() && r.pointers.is_empty() && r.headers.is_empty() {
                diags.push(
                    at("name", None),
                    "a mask needs `keys:`, `pointers:` or `headers:` (what to mask)",
                );
            }
            let mut keys = GlobSetBuilder::new();
            for (j, k) in r.keys.iter().enumerate() {
                match Glob::new(k) {
                    Ok(g) => {
                        keys.add(g);
                    }
                    Err(e) => {
                        diags.push(at("keys", Some(j)), format!("not a key glob: {}", e.kind()))
                    }
                }
            }
            let mut pointers = Vec::with_capacity(r.pointers.len());
            for (j, p) in r.pointers.iter().enumerate() {
                match parse_pointer(p) {
                    Some(segs) => pointers.push(segs),
                    None => diags.push(
                        at("pointers", Some(j)),
                        format!("{p:?} is not a JSON pointer (it starts with '/')"),
                    ),
                }
            }
            let keys = keys.build().unwrap_or_else(|_| GlobSet::empty());
            rules.push(Rule {
                name: r.name,
                operations: r.operations,
                keys,
                pointers,
                headers: r.headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
                at: locator.value(&[Seg::from("masks"), i.into()]),
            });
        }
        let mut optional = Vec::with_capacity(file.optional.len());
        for (i, o) in file.optional.into_iter().enumerate() {
            let mut pointers = Vec::with_capacity(o.pointers.len());
            for (j, p) in o.pointers.iter().enumerate() {
                match parse_pointer(p) {
                    Some(segs) => pointers.push(segs),
                    None => diags.push(
                        locator.value(&[
                            Seg::from("optional"),
                            i.into(),
                            "pointers".into(),
                            j.into(),
                        ]),
                        format!("{p:?} is not a JSON pointer (it starts with '/')"),
                    ),
                }
            }
            optional.push(Optional {
                operations: o.operations,
                pointers,
                at: locator.value(&[Seg::from("optional"), i.into()]),
            });
        }
        diags.into_result().map(|()| Masks { rules, optional })
    }

    /// The rules of the file at `path`.
    pub fn load(path: &Path) -> Result<Masks, Diagnostics> {
        let text = crate::spec::limits::read_text(path).map_err(|e| {
            Diagnostics(vec![crate::spec::Diagnostic::new(
                Location::new(path, e.line, e.col),
                e.message,
            )])
        })?;
        Masks::parse(path, &text)
    }

    /// The rules built into this binary (`schemas/masks.yaml`).
    pub fn builtin() -> Result<Masks, Diagnostics> {
        let name = Path::new("schemas").join(FILE_NAME);
        let bytes = crate::spec::source::builtin_files()
            .into_iter()
            .find(|(p, _)| *p == name)
            .map_or(&[][..], |(_, b)| b);
        Masks::parse(&name, &String::from_utf8_lossy(bytes))
    }

    /// Every rule naming an operation the suite does not have: a typo would mask nothing.
    pub fn unknown_operations(&self, known: &[&str]) -> Diagnostics {
        let mut diags = Diagnostics::default();
        let named = self
            .rules
            .iter()
            .map(|r| (&r.operations, &r.at))
            .chain(self.optional.iter().map(|o| (&o.operations, &o.at)));
        for (operations, at) in named {
            for op in operations.iter().filter(|op| !known.contains(&op.as_str())) {
                diags.push(at.clone(), format!("the suite has no operation {op:?}"));
            }
        }
        diags
    }

    /// Whether the presence of `pointer` (a shape's: `/items/*/id`) in `operation`'s
    /// bodies depends on the data, so its absence on one side is no difference.
    pub fn optional(&self, operation: &str, pointer: &str) -> bool {
        let Some(path) = parse_pointer(pointer) else {
            return false;
        };
        self.optional.iter().any(|o| {
            (o.operations.is_empty() || o.operations.iter().any(|x| x == operation))
                && o.pointers.iter().any(|p| {
                    p.len() <= path.len() && p.iter().zip(&path).all(|(a, b)| a == "*" || a == b)
                })
        })
    }

    /// Masks `obs` in place (see the module docs).
    pub fn apply(&self, obs: &mut CaseObservation) {
        let volatile = std::mem::take(&mut obs.volatile);
        each_string(obs, &mut |s| replace_all(s, &volatile));
        let mut seen = Placeholders::default();
        for call in &mut obs.calls {
            let rules: Vec<&Rule> = self
                .rules
                .iter()
                .filter(|r| r.applies(&call.operation))
                .collect();
            let mut sent = std::mem::take(&mut call.request.headers);
            mask_headers(&rules, &mut sent, &mut seen);
            call.request.headers = sent;
            if let Some(Body::Json(v)) = &mut call.request.body {
                mask_json(&rules, &mut Vec::new(), v, None, &mut seen);
            }
            if let Some(r) = &mut call.response {
                mask_headers(&rules, &mut r.headers, &mut seen);
                if let Some(Body::Json(v)) = &mut r.body {
                    mask_json(&rules, &mut Vec::new(), v, None, &mut seen);
                }
            }
        }
        let long: Vec<(String, String)> = seen
            .by_value
            .into_iter()
            .filter(|(v, _)| v.len() >= MIN_SUBSTITUTED_LEN)
            .collect();
        each_string(obs, &mut |s| replace_all(s, &long));
    }
}

impl Rule {
    fn applies(&self, operation: &str) -> bool {
        self.operations.is_empty() || self.operations.iter().any(|o| o == operation)
    }

    fn matches(&self, path: &[String]) -> bool {
        let key_hit = path.last().is_some_and(|k| self.keys.is_match(k.as_str()));
        key_hit
            || self.pointers.iter().any(|p| {
                p.len() == path.len() && p.iter().zip(path).all(|(a, b)| a == "*" || a == b)
            })
    }
}

/// Placeholders handed out in one case: the same value gets the same one.
#[derive(Default)]
struct Placeholders {
    by_value: BTreeMap<String, String>,
    count: BTreeMap<String, usize>,
}

impl Placeholders {
    fn of(&mut self, name: &str, value: &str) -> String {
        if let Some(p) = self.by_value.get(value) {
            return p.clone();
        }
        // The run's own values are already placeholders (`{run_id}`): kept as they are.
        if value.starts_with('{') && value.ends_with('}') && !value.contains(['"', ' ']) {
            return value.to_owned();
        }
        let n = self.count.entry(name.to_owned()).or_default();
        *n += 1;
        let p = format!("<{name}:{n}>");
        self.by_value.insert(value.to_owned(), p.clone());
        p
    }
}

fn mask_headers(rules: &[&Rule], headers: &mut BTreeMap<String, String>, seen: &mut Placeholders) {
    for (name, value) in headers.iter_mut() {
        if let Some(r) = rules.iter().find(|r| r.headers.contains(name)) {
            *value = seen.of(&r.name, value);
        }
    }
}

/// Masks the scalars of `v` at `path` that a rule names (all of them under a masked key).
fn mask_json(
    rules: &[&Rule],
    path: &mut Vec<String>,
    v: &mut Value,
    inherited: Option<&str>,
    seen: &mut Placeholders,
) {
    let name = inherited.or_else(|| {
        rules
            .iter()
            .find(|r| r.matches(path))
            .map(|r| r.name.as_str())
    });
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                path.push(k.clone());
                mask_json(rules, path, child, name, seen);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                mask_json(rules, path, child, name, seen);
                path.pop();
            }
        }
        Value::String(s) if name.is_some() && !s.is_empty() => {
            *s = seen.of(name.unwrap_or_default(), s)
        }
        Value::Number(_) if name.is_some() => *v = Value::from(0),
        _ => {}
    }
}

/// Calls `f` on every string of `obs` a value can hide in: paths, queries, header
/// values, text bodies and JSON string values.
fn each_string(obs: &mut CaseObservation, f: &mut dyn FnMut(&mut String)) {
    fn json(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
        match v {
            Value::String(s) => f(s),
            Value::Array(a) => a.iter_mut().for_each(|x| json(x, f)),
            Value::Object(m) => m.values_mut().for_each(|x| json(x, f)),
            _ => {}
        }
    }
    let body = |b: &mut Option<Body>, f: &mut dyn FnMut(&mut String)| match b {
        Some(Body::Json(v)) => json(v, f),
        Some(Body::Text(t)) => f(t),
        None => {}
    };
    for call in &mut obs.calls {
        f(&mut call.request.path);
        call.request.query.iter_mut().for_each(|(_, v)| f(v));
        call.request.headers.values_mut().for_each(&mut *f);
        body(&mut call.request.body, f);
        if let Some(r) = &mut call.response {
            r.headers.values_mut().for_each(&mut *f);
            body(&mut r.body, f);
        }
        if let Some(e) = &mut call.error {
            f(e);
        }
    }
}

/// Every `from` in `s` replaced by its `to`, longest `from` first.
fn replace_all(s: &mut String, pairs: &[(String, String)]) {
    let mut sorted: Vec<&(String, String)> =
        pairs.iter().filter(|(from, _)| !from.is_empty()).collect();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    for (from, to) in sorted {
        if s.contains(from.as_str()) {
            *s = s.replace(from.as_str(), to);
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `/a/*/b~1c` → `["a", "*", "b/c"]`.
fn parse_pointer(p: &str) -> Option<Vec<String>> {
    let rest = p.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fidelity::{Call, Received, Sent, Verdict};

    fn masks(yaml: &str) -> Result<Masks, Diagnostics> {
        Masks::parse(Path::new("masks.yaml"), yaml)
    }

    fn obs(path: &str, body: Value) -> CaseObservation {
        CaseObservation {
            case: "Op [200] x".into(),
            at: "specs/x.yaml:1:1".into(),
            operation: "Op".into(),
            verdict: Verdict::Passed,
            checked_headers: vec![],
            calls: vec![Call {
                role: "request".into(),
                operation: "Op".into(),
                request: Sent {
                    method: "GET".into(),
                    path: path.into(),
                    query: vec![],
                    headers: BTreeMap::new(),
                    body: None,
                },
                response: Some(Received {
                    status: 200,
                    headers: [("x-request-id".to_owned(), "abc".to_owned())].into(),
                    body: Some(Body::Json(body)),
                }),
                error: None,
            }],
            volatile: vec![("run42".into(), "{run_id}".into())],
        }
    }

    #[test]
    fn ids_numbered_by_appearance_numbers_zeroed_and_run_values_replaced() {
        let m = masks("masks:\n  - name: id\n    keys: ['*_id', id]\n  - name: time\n    pointers: ['/items/*/t']\n  - name: request-id\n    headers: [X-Request-Id]\n").unwrap();
        let mut o = obs(
            "/v1/wf-000001/run42",
            serde_json::json!({"id": "wf-000001", "items": [{"t": 17, "job_id": "j"}, {"t": 18, "job_id": "wf-000001"}], "name": "n-run42"}),
        );
        m.apply(&mut o);
        let call = &o.calls[0];
        assert_eq!(call.request.path, "/v1/<id:1>/{run_id}");
        let r = call.response.as_ref().unwrap();
        assert_eq!(r.headers["x-request-id"], "<request-id:1>");
        let Some(Body::Json(b)) = &r.body else {
            panic!()
        };
        assert_eq!(
            b,
            &serde_json::json!({"id": "<id:1>", "items": [{"t": 0, "job_id": "<id:2>"}, {"t": 0, "job_id": "<id:1>"}], "name": "n-{run_id}"})
        );
        // Masking twice changes nothing: a recording can be compared after masking again.
        let once = o.clone();
        m.apply(&mut o);
        assert_eq!(o, once);
    }

    #[test]
    fn bad_rules_are_located() {
        let e = masks("masks:\n  - name: Bad Name\n    keys: ['[']\n    pointers: [nope]\n")
            .unwrap_err();
        let text: Vec<String> = e.0.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("masks.yaml:2:") && t.contains("lower-case")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("masks.yaml:3:") && t.contains("not a key glob")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("masks.yaml:4:") && t.contains("not a JSON pointer")),
            "{text:?}"
        );
        let e = masks("masks:\n  - name: x\n    colour: red\n").unwrap_err();
        assert!(e.0[0].to_string().contains("unknown field"), "{e:?}");
        let e = masks("masks:\n  - name: x\n").unwrap_err();
        assert!(e.0[0].to_string().contains("needs `keys:`"), "{e:?}");
        let m = masks("masks:\n  - name: x\n    operations: [Nope]\n    keys: [id]\n").unwrap();
        let d = m.unknown_operations(&["Op"]);
        assert!(d.0[0].to_string().starts_with("masks.yaml:2:"), "{d:?}");
    }
}
