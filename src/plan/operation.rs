//! Operations: a case file's header (`operation`, `method`, `path` — or one per entry of
//! `variants:` — with `responses`, `response_headers`, `requires`) compiled into
//! [`Operation`]s, each path split into literal text and `{param}` names once, so
//! rendering never parses it again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::compile::{check_header_names, header_checks, schema_ref, unknown};
use super::{Alternative, Documented, FamilyInfo, Operation};
use crate::schema::SchemaRegistry;
use crate::spec::locate::{Locator, Seg};
use crate::spec::model::{CaseFile, Method};
use crate::spec::{Diagnostics, SpecFile};
use crate::target::{family_name_problem, is_known_capability, known_capabilities};

/// Alternative answers by name (every file's `answers:`).
pub(super) type Answers = HashMap<String, Arc<Alternative>>;

/// One operation's header: its name, method and path, and where they are written
/// (`[]` at the top of the file, `[variants, i]` for a variant).
struct Header<'a> {
    name: &'a str,
    method: Method,
    path: &'a str,
    at: Vec<Seg>,
}

/// The file's operations: its one operation, or one per variant.
pub(super) fn operations(
    f: &SpecFile,
    schemas: &SchemaRegistry,
    answers: &Answers,
    diags: &mut Diagnostics,
) -> Vec<Operation> {
    let doc: &CaseFile = &f.doc;
    check_capabilities(&doc.requires, &[Seg::from("requires")], &f.locator, diags);
    check_header_names(
        f,
        &["response_headers".into()],
        doc.response_headers.keys(),
        diags,
    );
    headers(f, diags)
        .into_iter()
        .map(|h| {
            let (path_params, path_literals) = split_path(h.path, &f.locator, &h.at, diags);
            Operation {
                name: h.name.to_owned(),
                method: h.method,
                path: h.path.to_owned(),
                path_params,
                path_literals,
                responses: responses(f, schemas, answers, diags),
                response_headers: header_checks(&doc.response_headers),
                requires: doc.requires.clone(),
                errors: doc.errors,
                family: doc.family.clone(),
                doc_gaps: doc.doc_gaps.clone(),
                file: f.path.clone(),
            }
        })
        .collect()
}

/// `operation`, `method` and `path`, or `variants:` — exactly one of the two.
fn headers<'a>(f: &'a SpecFile, diags: &mut Diagnostics) -> Vec<Header<'a>> {
    let doc = &f.doc;
    let top = [
        ("operation", doc.operation.is_some()),
        ("method", doc.method.is_some()),
        ("path", doc.path.is_some()),
    ];
    if !doc.variants.is_empty() {
        for (key, _) in top.iter().filter(|(_, given)| *given) {
            diags.push(
                f.locator.key(&[Seg::from(*key)]),
                format!("`{key}` is given per variant in a file with `variants:`; remove it here"),
            );
        }
        return doc
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| Header {
                name: &v.operation,
                method: v.method,
                path: &v.path,
                at: vec![Seg::from("variants"), Seg::from(i)],
            })
            .collect();
    }
    match (&doc.operation, doc.method, &doc.path) {
        (Some(name), Some(method), Some(path)) => vec![Header {
            name,
            method,
            path,
            at: Vec::new(),
        }],
        _ => {
            let missing: Vec<&str> = top.iter().filter(|(_, g)| !*g).map(|(k, _)| *k).collect();
            diags.push(
                f.locator.value(&[]),
                format!(
                    "missing {}: a case file names its operation (`operation`, `method`, `path`) or lists `variants:`",
                    missing.join(", ")
                ),
            );
            Vec::new()
        }
    }
}

/// Every file's `answers:`, each schema resolved; a name defined twice is reported.
pub(super) fn answers(
    files: &[SpecFile],
    schemas: &SchemaRegistry,
    diags: &mut Diagnostics,
) -> Answers {
    let mut out = Answers::new();
    for f in files {
        for (name, a) in &f.doc.answers {
            let key = [Seg::from("answers"), Seg::from(name.clone())];
            if out.contains_key(name) {
                diags.push(
                    f.locator.key(&key),
                    format!("answer \"{name}\" is already defined"),
                );
            }
            let schema = a.schema.as_ref().and_then(|file| {
                let p = [key[0].clone(), key[1].clone(), Seg::from("schema")];
                schema_ref(file, schemas, &f.locator, &p, diags)
            });
            let alternative = Alternative {
                by: a.by.clone(),
                schema,
                error_code: a.error_code.clone(),
            };
            out.insert(name.clone(), Arc::new(alternative));
        }
    }
    out
}

/// Every file's `families:`; a name defined twice, or an operation's `family:` that no
/// file defines, is reported.
pub(super) fn families(
    files: &[SpecFile],
    diags: &mut Diagnostics,
) -> BTreeMap<String, FamilyInfo> {
    let mut out = BTreeMap::new();
    for f in files {
        for (name, family) in &f.doc.families {
            if let Some(problem) = family_name_problem(name) {
                let at = f
                    .locator
                    .key(&[Seg::from("families"), Seg::from(name.clone())]);
                diags.push(at, problem);
            }
            let info = FamilyInfo {
                regions: family.regions.clone(),
            };
            if out.insert(name.clone(), info).is_some() {
                let at = f
                    .locator
                    .key(&[Seg::from("families"), Seg::from(name.clone())]);
                diags.push(at, format!("family \"{name}\" is already defined"));
            }
        }
    }
    for f in files {
        let Some(name) = &f.doc.family else { continue };
        if !out.contains_key(name) {
            let known = out.keys().map(String::as_str);
            diags.push(
                f.locator.value(&[Seg::from("family")]),
                unknown("family", name, known),
            );
        }
    }
    out
}

/// `/v1/{project_id}/x` → (`["project_id"]`, `["/v1/", "/x"]`): one more literal piece
/// than there are parameters.
fn split_path(
    path: &str,
    loc: &Locator,
    header: &[Seg],
    diags: &mut Diagnostics,
) -> (Vec<String>, Vec<String>) {
    let at = || loc.value(&super::compile::with(header, &["path".into()]));
    let (mut params, mut literals) = (Vec::new(), Vec::new());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            diags.push(at(), "unclosed `{` in path");
            break;
        };
        let name = &rest[start + 1..start + end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            diags.push(
                at(),
                format!("path parameter {{{name}}} must be a name of letters, digits and `_`"),
            );
        }
        literals.push(rest[..start].to_owned());
        params.push(name.to_owned());
        rest = &rest[start + end + 1..];
    }
    literals.push(rest.to_owned());
    if !path.starts_with('/') {
        diags.push(at(), "path must start with `/`");
    }
    // The path is sent as written (parameters escaped): a `?` or `#` would be sent as
    // `%3F`/`%23`, and blanks as `%20`, not as a query or trimmed.
    if path.contains(['?', '#']) {
        diags.push(
            at(),
            "path must not contain `?` or `#`; a case's parameters go in `query:`",
        );
    }
    if path.chars().any(char::is_whitespace) {
        diags.push(at(), "path must not contain blanks");
    }
    (params, literals)
}

/// Every capability of `requires` (at `path`) must be one the harness knows.
pub(super) fn check_capabilities(
    requires: &[String],
    path: &[Seg],
    loc: &Locator,
    diags: &mut Diagnostics,
) {
    for (j, cap) in requires.iter().enumerate() {
        if !is_known_capability(cap) {
            let mut p = path.to_vec();
            p.push(j.into());
            diags.push(
                loc.value(&p),
                format!(
                    "unknown capability \"{cap}\"; known: {}",
                    known_capabilities()
                ),
            );
        }
    }
}

/// The documented responses, each schema resolved.
fn responses(
    f: &SpecFile,
    schemas: &SchemaRegistry,
    answers: &Answers,
    diags: &mut Diagnostics,
) -> BTreeMap<u16, Documented> {
    let loc = &f.locator;
    let mut responses = BTreeMap::new();
    for (status, r) in &f.doc.responses {
        let key = [Seg::from("responses"), Seg::from(status.to_string())];
        if !(100..=599).contains(status) {
            diags.push(loc.key(&key), format!("{status} is not an HTTP status"));
        }
        let schema = r.schema.as_ref().and_then(|name| {
            let mut p = key.to_vec();
            p.push("schema".into());
            schema_ref(name, schemas, loc, &p, diags)
        });
        let mut alternatives = Vec::with_capacity(r.alternatives.len());
        for (j, name) in r.alternatives.iter().enumerate() {
            match answers.get(name) {
                Some(a) => alternatives.push(Arc::clone(a)),
                None => {
                    let p = [
                        key[0].clone(),
                        key[1].clone(),
                        "alternatives".into(),
                        j.into(),
                    ];
                    diags.push(
                        loc.value(&p),
                        unknown("answer", name, answers.keys().map(String::as_str)),
                    );
                }
            }
        }
        let documented = Documented {
            schema,
            error_code: r.error_code.clone(),
            alternatives,
            at: loc.key(&key),
        };
        responses.insert(*status, documented);
    }
    if responses.is_empty() {
        diags.push(loc.value(&["responses".into()]), "no documented responses");
    }
    responses
}
