//! What every part of the plan compiler shares: the [`Planner`] (operations, fixtures
//! and schemas by name), the scope of names a template may use ([`CaseScope`]), and the
//! small checks used in several places (captures, header names, schema references).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::{BUILTINS, HeaderCheck, Operation};
use crate::schema::{CompiledSchema, SchemaRegistry};
use crate::spec::locate::{Locator, Seg};
use crate::spec::model::{HeaderMatch, Step};
use crate::spec::{Diagnostics, SpecFile};
use crate::template::{JsonTemplate, Scope, Template, TemplateError, settable_name_problem};

/// The compiler's view of the whole suite: what a step, request or cleanup may name.
pub(super) struct Planner<'a> {
    pub ops: &'a HashMap<String, Arc<Operation>>,
    pub fixtures: &'a HashMap<&'a str, (&'a SpecFile, &'a Vec<Step>)>,
    pub schemas: &'a SchemaRegistry,
}

/// `path` followed by `rest`: where a nested field is.
pub(super) fn with(path: &[Seg], rest: &[Seg]) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.extend_from_slice(rest);
    p
}

/// `variable: /json/pointer` pairs, each pointer checked.
pub(super) fn captures(
    f: &SpecFile,
    path: &[Seg],
    map: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> Vec<(String, String)> {
    map.iter()
        .map(|(var, ptr)| {
            if let Some(problem) = settable_name_problem(var) {
                diags.push(
                    f.locator.key(&with(path, &[var.clone().into()])),
                    format!("capture: {problem}"),
                );
            }
            if !(ptr.is_empty() || ptr.starts_with('/')) {
                diags.push(
                    f.locator.value(&with(path, &[var.clone().into()])),
                    format!("capture \"{var}\": \"{ptr}\" is not a JSON pointer (use \"/field\")"),
                );
            }
            (var.clone(), ptr.clone())
        })
        .collect()
}

/// RFC 7230 `token`: what an HTTP header name may be made of. Anything else cannot be
/// sent (every case using it would fail the same way) and can never be received.
pub(super) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Every header name of `names` (at `path` in `f`) that is not one, reported.
pub(super) fn check_header_names<'n>(
    f: &SpecFile,
    path: &[Seg],
    names: impl Iterator<Item = &'n String>,
    diags: &mut Diagnostics,
) {
    for name in names.filter(|n| !is_header_name(n)) {
        diags.push(
            f.locator.key(&with(path, &[name.clone().into()])),
            format!("{name:?} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)"),
        );
    }
}

pub(super) fn header_checks(h: &BTreeMap<String, HeaderMatch>) -> Vec<HeaderCheck> {
    h.iter()
        .map(|(k, v)| HeaderCheck {
            name: k.to_ascii_lowercase(),
            rule: v.clone(),
        })
        .collect()
}

pub(super) fn schema_ref(
    name: &str,
    schemas: &SchemaRegistry,
    loc: &Locator,
    path: &[Seg],
    diags: &mut Diagnostics,
) -> Option<Arc<CompiledSchema>> {
    let found = schemas.get(name);
    if found.is_none() {
        diags.push(
            loc.value(path),
            format!(
                "schema file \"{name}\" does not exist in {} (have: {})",
                schemas.source(),
                schemas.names().join(", ")
            ),
        );
    }
    found
}

/// Names visible at one point of a case: target variables, file defaults, built-ins and
/// the captures of earlier setup steps.
pub(super) struct CaseScope<'a> {
    pub target: &'a BTreeSet<String>,
    /// The case file's defaults, plus those of the fixture files it uses: shared by the
    /// file's cases (and their plans) until a fixture from another file adds to them.
    pub defaults: Arc<BTreeMap<String, String>>,
    pub captured: BTreeSet<String>,
}

impl<'a> CaseScope<'a> {
    pub fn new(target: &'a BTreeSet<String>, defaults: &Arc<BTreeMap<String, String>>) -> Self {
        CaseScope {
            target,
            defaults: Arc::clone(defaults),
            captured: BTreeSet::new(),
        }
    }
}

impl Scope for CaseScope<'_> {
    fn knows(&self, name: &str) -> bool {
        name == "project_id"
            || BUILTINS.contains(&name)
            || self.target.contains(name)
            || self.defaults.contains_key(name)
            || self.captured.contains(name)
    }
    fn describe(&self) -> String {
        let mut names: BTreeSet<&str> = BUILTINS.iter().copied().collect();
        names.insert("project_id");
        names.extend(self.target.iter().map(String::as_str));
        names.extend(self.defaults.keys().map(String::as_str));
        names.extend(self.captured.iter().map(String::as_str));
        names.into_iter().collect::<Vec<_>>().join(", ")
    }
}

/// "unknown operation \"X\"; known: A, B" — the names sorted, so the message is stable.
pub(super) fn unknown<'k>(what: &str, name: &str, known: impl Iterator<Item = &'k str>) -> String {
    let mut known: Vec<&str> = known.collect();
    known.sort_unstable();
    format!("unknown {what} \"{name}\"; known: {}", known.join(", "))
}

impl Planner<'_> {
    pub fn template(
        &self,
        f: &SpecFile,
        path: &[Seg],
        src: &str,
        scope: &dyn Scope,
        diags: &mut Diagnostics,
    ) -> Option<Template> {
        Template::compile(src, scope)
            .map_err(|e| diags.push(f.locator.value(path), e.to_string()))
            .ok()
    }

    pub fn json(
        &self,
        f: &SpecFile,
        path: &[Seg],
        v: &serde_json::Value,
        scope: &dyn Scope,
        diags: &mut Diagnostics,
    ) -> Option<JsonTemplate> {
        JsonTemplate::compile(v, scope)
            .map_err(|(ptr, e): (String, TemplateError)| {
                let mut p = path.to_vec();
                let mut node = Some(v);
                for raw in ptr.split('/').skip(1) {
                    let key = raw.replace("~1", "/").replace("~0", "~");
                    match (node, key.parse::<usize>()) {
                        (Some(serde_json::Value::Array(items)), Ok(i)) => {
                            node = items.get(i);
                            p.push(Seg::Index(i));
                        }
                        (n, _) => {
                            node = n.and_then(|n| n.get(&key));
                            p.push(Seg::from(key));
                        }
                    }
                }
                diags.push(f.locator.value(&p), e.to_string());
            })
            .ok()
    }
}
