//! Requests and expectations: a case's (or step's, or cleanup's) `request:` compiled
//! into templates for path parameters, query, headers and body; its `expect:` resolved
//! against the operation's documented responses.

use std::sync::Arc;

use super::compile::{Planner, check_header_names, header_checks, schema_ref, with};
use super::{BodyTemplate, Operation, PlannedExpect, PlannedRequest};
use crate::spec::locate::Seg;
use crate::spec::model::{Case, CodeChoice, QueryValue, RequestSpec, SchemaChoice};
use crate::spec::{Diagnostics, SpecFile};
use crate::template::{Scope, Template};

/// Where one request is compiled: its file, where it is, and what it may name.
struct At<'x> {
    f: &'x SpecFile,
    path: &'x [Seg],
    scope: &'x dyn Scope,
}

impl Planner<'_> {
    /// `spec` for a call of `op`; `None` (with located diagnostics) when it is wrong.
    pub fn request(
        &self,
        f: &SpecFile,
        path: &[Seg],
        op: &Arc<Operation>,
        spec: &RequestSpec,
        scope: &dyn Scope,
        diags: &mut Diagnostics,
    ) -> Option<PlannedRequest> {
        let before = diags.0.len();
        let at = At { f, path, scope };
        let params = self.path_params(&at, op, spec, diags);
        let query = self.query(&at, spec, diags);
        let headers = self.headers(&at, spec, diags);
        let body = self.body(&at, spec, diags);
        (diags.0.len() == before).then(|| PlannedRequest {
            op: Arc::clone(op),
            path: params,
            query,
            headers,
            body,
            auth: spec.auth,
        })
    }

    /// `(name, template)` pairs in the order they are sent: a list value repeats its
    /// parameter, once per item.
    fn query(
        &self,
        at: &At<'_>,
        spec: &RequestSpec,
        diags: &mut Diagnostics,
    ) -> Vec<(String, Template)> {
        let mut pairs = Vec::new();
        for (k, v) in &spec.query {
            let key = with(at.path, &["query".into(), k.clone().into()]);
            if let QueryValue::Many(items) = v {
                if items.is_empty() {
                    diags.push(
                        at.f.locator.value(&key),
                        format!("an empty list sends no `{k}` at all: leave the parameter out"),
                    );
                }
            }
            for (j, src) in v.values().iter().enumerate() {
                let p = match v {
                    QueryValue::One(_) => key.clone(),
                    QueryValue::Many(_) => with(&key, &[j.into()]),
                };
                if let Some(t) = self.template(at.f, &p, src, at.scope, diags) {
                    pairs.push((k.clone(), t));
                }
            }
        }
        pairs
    }

    /// One template per `{param}` of the operation's path: given, or a variable of the
    /// same name.
    fn path_params(
        &self,
        at: &At<'_>,
        op: &Operation,
        spec: &RequestSpec,
        diags: &mut Diagnostics,
    ) -> Vec<Template> {
        for name in spec.path.keys().filter(|n| !op.path_params.contains(n)) {
            diags.push(
                at.f.locator
                    .key(&with(at.path, &["path".into(), name.clone().into()])),
                format!(
                    "\"{name}\" is not a path parameter of {} (path: {})",
                    op.name, op.path
                ),
            );
        }
        let mut params = Vec::with_capacity(op.path_params.len());
        for name in &op.path_params {
            let p = with(at.path, &["path".into(), name.clone().into()]);
            let t = match spec.path.get(name) {
                Some(src) => self.template(at.f, &p, src, at.scope, diags),
                None if at.scope.knows(name) => Some(Template::var(name)),
                None => {
                    diags.push(
                        at.f.locator.value(at.path),
                        format!(
                            "path parameter \"{name}\" of {} has no value: set `path: {{{name}: …}}` or provide variable \"{name}\"",
                            op.name
                        ),
                    );
                    None
                }
            };
            params.push(t.unwrap_or_else(|| Template::literal("")));
        }
        params
    }

    /// Header templates; `null` removes a default header.
    fn headers(
        &self,
        at: &At<'_>,
        spec: &RequestSpec,
        diags: &mut Diagnostics,
    ) -> Vec<(String, Option<Template>)> {
        let path = with(at.path, &["headers".into()]);
        check_header_names(at.f, &path, spec.headers.keys(), diags);
        let mut headers = Vec::new();
        for (k, v) in &spec.headers {
            let p = with(&path, &[k.clone().into()]);
            match v {
                None => headers.push((k.clone(), None)),
                Some(v) if v.chars().any(|c| c.is_control() && c != '\t') => diags.push(
                    at.f.locator.value(&p),
                    "a header value cannot hold control characters (a line break?)",
                ),
                Some(v) => {
                    if let Some(t) = self.template(at.f, &p, v, at.scope, diags) {
                        headers.push((k.clone(), Some(t)));
                    }
                }
            }
        }
        headers
    }

    /// `body` (JSON as YAML) or `raw_body` (text), not both.
    fn body(
        &self,
        at: &At<'_>,
        spec: &RequestSpec,
        diags: &mut Diagnostics,
    ) -> Option<BodyTemplate> {
        match (&spec.body, &spec.raw_body) {
            (Some(_), Some(_)) => {
                diags.push(
                    at.f.locator.key(&with(at.path, &["raw_body".into()])),
                    "give `body` or `raw_body`, not both",
                );
                None
            }
            (Some(v), None) => self
                .json(at.f, &with(at.path, &["body".into()]), v, at.scope, diags)
                .map(BodyTemplate::Json),
            (None, Some(raw)) => self
                .template(
                    at.f,
                    &with(at.path, &["raw_body".into()]),
                    raw,
                    at.scope,
                    diags,
                )
                .map(BodyTemplate::Raw),
            (None, None) => None,
        }
    }

    /// The case's `expect:`: a documented status, its schema and error code unless the
    /// case overrides them, body checks and header checks.
    pub fn expect(
        &self,
        f: &SpecFile,
        path: &[Seg],
        op: &Operation,
        case: &Case,
        scope: &dyn Scope,
        diags: &mut Diagnostics,
    ) -> Option<PlannedExpect> {
        let e = &case.expect;
        let before = diags.0.len();
        let documented = op.responses.get(&e.status);
        if documented.is_none() {
            diags.push(
                f.locator.value(&with(path, &["status".into()])),
                format!(
                    "status {} is not documented for {} (documented: {})",
                    e.status,
                    op.name,
                    op.responses
                        .keys()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let schema = match &e.schema {
            Some(SchemaChoice::Off) => None,
            Some(SchemaChoice::File(name)) => schema_ref(
                name,
                self.schemas,
                &f.locator,
                &with(path, &["schema".into()]),
                diags,
            ),
            None => documented.and_then(|d| d.schema.clone()),
        };
        let error_code = match &e.error_code {
            Some(CodeChoice::Any) => None,
            Some(CodeChoice::Code(code)) => Some(code.clone()),
            None => documented.and_then(|d| d.error_code.clone()),
        };
        // A case that names its own schema or error code asks for that answer only.
        let alternatives = match (&e.schema, &e.error_code, documented) {
            (None, None, Some(d)) => d.alternatives.clone(),
            _ => Vec::new(),
        };
        let body = e
            .body
            .as_ref()
            .and_then(|v| self.json(f, &with(path, &["body".into()]), v, scope, diags));
        let body_equals = e
            .body_equals
            .as_ref()
            .and_then(|v| self.json(f, &with(path, &["body_equals".into()]), v, scope, diags));
        check_header_names(f, &with(path, &["headers".into()]), e.headers.keys(), diags);
        let mut headers = op.response_headers.clone();
        headers.extend(header_checks(&e.headers));
        (diags.0.len() == before).then_some(PlannedExpect {
            status: e.status,
            schema,
            error_code,
            body,
            body_equals,
            headers,
            alternatives,
            errors: op.errors,
        })
    }
}
