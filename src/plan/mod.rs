//! The plan: case files resolved against the schema registry and the target's variables
//! into ready-to-run cases. Everything that can be wrong with the input is found here,
//! before any request is sent, and reported at its `file:line:col`.

pub mod coverage;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::schema::{CompiledSchema, SchemaRegistry};
use crate::spec::limits::{MAX_CASE_STEPS, MAX_SUITE_STEPS};
use crate::spec::locate::{Location, Locator, Seg};
use crate::spec::model::{
    AuthMode, CaseFile, HeaderMatch, Method, RequestSpec, SchemaChoice, Step,
};
use crate::spec::{Diagnostics, SpecFile};
use crate::target::{is_known_capability, known_capabilities};
use crate::template::{JsonTemplate, Scope, Template, TemplateError, settable_name_problem};

/// Variables every case has without declaring them.
pub const BUILTINS: &[&str] = &["run_id", "case_uid"];

/// A documented response of an operation.
#[derive(Debug)]
pub struct Documented {
    pub schema: Option<Arc<CompiledSchema>>,
    pub error_code: Option<String>,
    pub at: Location,
}

/// One operation of the API under test, as its case file documents it.
#[derive(Debug)]
pub struct Operation {
    pub name: String,
    pub method: Method,
    pub path: String,
    /// Names of `{param}` placeholders, in order.
    pub path_params: Vec<String>,
    /// The text between placeholders: `path_literals[i]` precedes `path_params[i]`, and
    /// the last one ends the path. Rendering interleaves them without re-parsing.
    pub path_literals: Vec<String>,
    pub responses: BTreeMap<u16, Documented>,
    pub response_headers: Vec<HeaderCheck>,
    /// Capabilities every call of this operation needs.
    pub requires: Vec<String>,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct HeaderCheck {
    /// Lower-case header name.
    pub name: String,
    pub rule: HeaderMatch,
}

#[derive(Debug, Clone)]
pub enum BodyTemplate {
    Json(JsonTemplate),
    Raw(Template),
}

/// A request ready to render with a case's variables.
#[derive(Debug, Clone)]
pub struct PlannedRequest {
    pub op: Arc<Operation>,
    /// One template per `{param}` of the operation's path, in order.
    pub path: Vec<Template>,
    pub query: Vec<(String, Template)>,
    /// `None` removes a default header.
    pub headers: Vec<(String, Option<Template>)>,
    pub body: Option<BodyTemplate>,
    pub auth: AuthMode,
}

#[derive(Debug, Clone)]
pub struct PlannedStep {
    pub at: Location,
    pub request: PlannedRequest,
    pub expect_status: Option<u16>,
    /// `(variable, JSON pointer)`.
    pub captures: Vec<(String, String)>,
    /// Skipped when the target provides this variable.
    pub unless: Option<String>,
}

/// What undoes a call of one operation (see `spec::model::Cleanup`).
#[derive(Debug)]
pub struct OpCleanup {
    pub captures: Vec<(String, String)>,
    pub request: PlannedRequest,
}

#[derive(Debug)]
pub struct PlannedExpect {
    pub status: u16,
    pub schema: Option<Arc<CompiledSchema>>,
    pub error_code: Option<String>,
    pub body: Option<JsonTemplate>,
    pub body_equals: Option<JsonTemplate>,
    pub headers: Vec<HeaderCheck>,
}

/// One case, ready to become a trial.
#[derive(Debug)]
pub struct PlannedCase {
    /// `{operation} [{status}] {name}`: the trial name.
    pub id: String,
    pub name: String,
    pub op: Arc<Operation>,
    pub at: Location,
    /// The case's own `requires:`. Operations add theirs (`Operation::requires`) for
    /// every call that is not skipped; see [`PlannedCase::missing_capability`].
    pub requires: Vec<String>,
    pub setup: Vec<PlannedStep>,
    pub request: PlannedRequest,
    pub expect: PlannedExpect,
    /// File-level variable defaults (a target's value wins).
    pub defaults: Arc<BTreeMap<String, String>>,
}

impl PlannedCase {
    /// Whether `step` runs against a target that provides `target_vars`.
    pub fn step_runs(step: &PlannedStep, provided: &dyn Fn(&str) -> bool) -> bool {
        step.unless.as_deref().is_none_or(|v| !provided(v))
    }

    /// The first capability the case needs that the target lacks: the case's own, and
    /// those of every operation it calls (skipped steps excepted).
    pub fn missing_capability<'a>(
        &'a self,
        has: &dyn Fn(&str) -> bool,
        provided: &dyn Fn(&str) -> bool,
    ) -> Option<&'a str> {
        let ops = self
            .setup
            .iter()
            .filter(|s| Self::step_runs(s, provided))
            .map(|s| &s.request.op)
            .chain([&self.request.op]);
        self.requires
            .iter()
            .chain(ops.flat_map(|op| op.requires.iter()))
            .map(String::as_str)
            .find(|c| !has(c))
    }
}

/// The whole suite.
#[derive(Debug, Default)]
pub struct Plan {
    pub operations: Vec<Arc<Operation>>,
    pub cases: Vec<PlannedCase>,
    /// Operation name → how to undo a successful call of it.
    pub cleanups: HashMap<String, OpCleanup>,
}

/// Builds the plan. `target_vars` are the names the target provides (values are read at
/// run time), so `lint` can check a suite without a target.
pub fn build(
    files: &[SpecFile],
    schemas: &SchemaRegistry,
    target_vars: &BTreeSet<String>,
) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut plan = Plan::default();

    // Pass 1: operations, so steps can call an operation defined in any file.
    let mut ops: HashMap<String, Arc<Operation>> = HashMap::new();
    let mut op_of_file = Vec::with_capacity(files.len());
    for f in files {
        let op = Arc::new(operation(f, schemas, &mut diags));
        if let Some(prev) = ops.get(&op.name) {
            diags.push(
                f.locator.value(&[Seg::from("operation")]),
                format!(
                    "operation \"{}\" is already defined in {}",
                    op.name,
                    prev.file.display()
                ),
            );
        }
        ops.insert(op.name.clone(), Arc::clone(&op));
        op_of_file.push(Arc::clone(&op));
        plan.operations.push(op);
    }

    // Fixtures are global: any case may `use:` any file's fixture.
    let mut fixtures: HashMap<&str, (&SpecFile, &Vec<Step>)> = HashMap::new();
    for f in files {
        for (name, steps) in &f.doc.fixtures {
            if let Some((other, _)) = fixtures.get(name.as_str()) {
                diags.push(
                    f.locator
                        .key(&[Seg::from("fixtures"), Seg::from(name.as_str())]),
                    format!(
                        "fixture \"{name}\" is already defined in {}",
                        other.path.display()
                    ),
                );
            }
            fixtures.insert(name, (f, steps));
        }
    }

    for f in files {
        for name in f.doc.variables.keys() {
            if let Some(problem) = settable_name_problem(name) {
                diags.push(
                    f.locator
                        .key(&[Seg::from("variables"), Seg::from(name.as_str())]),
                    problem,
                );
            }
        }
    }

    let planner = Planner {
        ops: &ops,
        fixtures: &fixtures,
        schemas,
    };
    for (f, op) in files.iter().zip(&op_of_file) {
        if let Some(c) = &f.doc.cleanup {
            if let Some(oc) = planner.cleanup(f, op, c, target_vars, &mut diags) {
                plan.cleanups.insert(op.name.clone(), oc);
            }
        }
    }
    let mut ids: HashMap<String, Location> = HashMap::new();
    let mut suite_steps_left = MAX_SUITE_STEPS;
    'files: for (f, op) in files.iter().zip(&op_of_file) {
        let defaults = &f.doc.variables;
        for (i, case) in f.doc.cases.iter().enumerate() {
            if suite_steps_left == 0 {
                // Reported once, where the limit was reached: planning stops there.
                break 'files;
            }
            let base = [Seg::from("cases"), Seg::from(i)];
            let at = f.locator.value(&base);
            let mut scope = CaseScope::new(target_vars, defaults);
            let loc = |rest: &[Seg]| {
                let mut p = base.to_vec();
                p.extend_from_slice(rest);
                p
            };

            for (j, cap) in case.requires.iter().enumerate() {
                if !is_known_capability(cap) {
                    diags.push(
                        f.locator.value(&loc(&["requires".into(), j.into()])),
                        format!(
                            "unknown capability \"{cap}\"; known: {}",
                            known_capabilities()
                        ),
                    );
                }
            }

            if let Some(problem) = crate::spec::model::trial_name_problem("a case", &case.name) {
                diags.push(f.locator.value(&loc(&["name".into()])), problem);
            }

            let mut setup = Vec::new();
            let mut ex = Expansion::new(&f.path, suite_steps_left);
            for (j, step) in case.setup.iter().enumerate() {
                let path = loc(&["setup".into(), j.into()]);
                ex.top = f.locator.value(&path);
                planner.step(f, &path, step, &mut scope, &mut setup, &mut diags, &mut ex);
                if ex.exhausted {
                    break;
                }
            }
            suite_steps_left = ex.suite_left;

            let request = planner.request(
                f,
                &loc(&["request".into()]),
                op,
                &case.request,
                &scope,
                &mut diags,
            );
            let expect = planner.expect(f, &loc(&["expect".into()]), op, case, &scope, &mut diags);

            let id = format!("{} [{}] {}", op.name, case.expect.status, case.name);
            if let Some(prev) = ids.get(&id) {
                diags.push(
                    f.locator.value(&loc(&["name".into()])),
                    format!("duplicate case \"{id}\" (first at {prev})"),
                );
            }
            ids.insert(id.clone(), at.clone());
            if let (Some(request), Some(expect)) = (request, expect) {
                plan.cases.push(PlannedCase {
                    id,
                    name: case.name.clone(),
                    op: Arc::clone(op),
                    at,
                    requires: case.requires.clone(),
                    setup,
                    request,
                    expect,
                    defaults: Arc::new(scope.defaults),
                });
            }
        }
    }
    diags.into_result().map(|()| plan)
}

fn operation(f: &SpecFile, schemas: &SchemaRegistry, diags: &mut Diagnostics) -> Operation {
    let doc: &CaseFile = &f.doc;
    let loc = &f.locator;
    let mut path_params = Vec::new();
    // The literal text around each `{param}`: one more piece than there are params.
    let mut path_literals = Vec::new();
    let mut rest = doc.path.as_str();
    while let Some(start) = rest.find('{') {
        match rest[start..].find('}') {
            Some(end) => {
                let name = &rest[start + 1..start + end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    diags.push(
                        loc.value(&["path".into()]),
                        format!(
                            "path parameter {{{name}}} must be a name of letters, digits and `_`"
                        ),
                    );
                }
                path_literals.push(rest[..start].to_owned());
                path_params.push(name.to_owned());
                rest = &rest[start + end + 1..];
            }
            None => {
                diags.push(loc.value(&["path".into()]), "unclosed `{` in path");
                break;
            }
        }
    }
    path_literals.push(rest.to_owned());
    if !doc.path.starts_with('/') {
        diags.push(loc.value(&["path".into()]), "path must start with `/`");
    }
    for (j, cap) in doc.requires.iter().enumerate() {
        if !is_known_capability(cap) {
            diags.push(
                loc.value(&["requires".into(), j.into()]),
                format!(
                    "unknown capability \"{cap}\"; known: {}",
                    known_capabilities()
                ),
            );
        }
    }
    let mut responses = BTreeMap::new();
    for (status, r) in &doc.responses {
        let key = [Seg::from("responses"), Seg::Key(status.to_string())];
        if !(100..=599).contains(status) {
            diags.push(loc.key(&key), format!("{status} is not an HTTP status"));
        }
        let schema = r.schema.as_ref().and_then(|name| {
            let mut p = key.to_vec();
            p.push("schema".into());
            schema_ref(name, schemas, loc, &p, diags)
        });
        responses.insert(
            *status,
            Documented {
                schema,
                error_code: r.error_code.clone(),
                at: loc.key(&key),
            },
        );
    }
    if responses.is_empty() {
        diags.push(loc.value(&["responses".into()]), "no documented responses");
    }
    check_header_names(
        f,
        &["response_headers".into()],
        doc.response_headers.keys(),
        diags,
    );
    Operation {
        name: doc.operation.clone(),
        method: doc.method,
        path: doc.path.clone(),
        path_params,
        path_literals,
        responses,
        response_headers: header_checks(&doc.response_headers),
        requires: doc.requires.clone(),
        file: f.path.clone(),
    }
}

/// `variable: /json/pointer` pairs, each pointer checked.
fn captures(
    f: &SpecFile,
    path: &[Seg],
    map: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> Vec<(String, String)> {
    map.iter()
        .map(|(var, ptr)| {
            if let Some(problem) = settable_name_problem(var) {
                diags.push(
                    f.locator.key(&with(path, &[var.as_str().into()])),
                    format!("capture: {problem}"),
                );
            }
            if !(ptr.is_empty() || ptr.starts_with('/')) {
                diags.push(
                    f.locator.value(&with(path, &[var.as_str().into()])),
                    format!("capture \"{var}\": \"{ptr}\" is not a JSON pointer (use \"/field\")"),
                );
            }
            (var.clone(), ptr.clone())
        })
        .collect()
}

/// RFC 7230 `token`: what an HTTP header name may be made of. Anything else cannot be
/// sent (every case using it would fail the same way) and can never be received.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Every header name of `names` (at `path` in `f`) that is not one, reported.
fn check_header_names<'n>(
    f: &SpecFile,
    path: &[Seg],
    names: impl Iterator<Item = &'n String>,
    diags: &mut Diagnostics,
) {
    for name in names.filter(|n| !is_header_name(n)) {
        diags.push(
            f.locator.key(&with(path, &[name.as_str().into()])),
            format!("{name:?} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)"),
        );
    }
}

fn header_checks(h: &BTreeMap<String, HeaderMatch>) -> Vec<HeaderCheck> {
    h.iter()
        .map(|(k, v)| HeaderCheck {
            name: k.to_ascii_lowercase(),
            rule: v.clone(),
        })
        .collect()
}

fn schema_ref(
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
                schemas.dir().display(),
                schemas.names().join(", ")
            ),
        );
    }
    found
}

/// Names visible at one point of a case: target variables, file defaults, built-ins and
/// the captures of earlier setup steps.
struct CaseScope<'a> {
    target: &'a BTreeSet<String>,
    /// The case file's defaults, plus those of the fixture files it uses.
    defaults: BTreeMap<String, String>,
    captured: BTreeSet<String>,
}

impl<'a> CaseScope<'a> {
    fn new(target: &'a BTreeSet<String>, defaults: &BTreeMap<String, String>) -> Self {
        CaseScope {
            target,
            defaults: defaults.clone(),
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

/// One case's setup as it is expanded: the fixtures being expanded (to find cycles), the
/// files whose variables are in scope, and what is left of the step limits
/// ([`MAX_CASE_STEPS`], [`MAX_SUITE_STEPS`]). Every `use:` and every call counts: fixtures
/// that each use the next one twice double at each level, 2^30 steps from 1 KB.
struct Expansion<'a> {
    using: Vec<String>,
    merged: Vec<&'a Path>,
    /// The case's top-level step being expanded: where a limit is reported.
    top: Location,
    case_left: usize,
    suite_left: usize,
    /// A limit ran out (and was reported): nothing more is expanded.
    exhausted: bool,
}

impl<'a> Expansion<'a> {
    fn new(case_file: &'a Path, suite_left: usize) -> Self {
        Expansion {
            using: Vec::new(),
            merged: vec![case_file],
            top: Location::new(case_file, 1, 1),
            case_left: MAX_CASE_STEPS,
            suite_left,
            exhausted: false,
        }
    }

    /// Counts one step; false (with the limit reported once) when none is left.
    fn take_one(&mut self, diags: &mut Diagnostics) -> bool {
        if self.exhausted {
            return false;
        }
        let message = if self.case_left == 0 {
            format!(
                "this step expands to more than {MAX_CASE_STEPS} setup steps (fixtures using fixtures), the most a case may have"
            )
        } else if self.suite_left == 0 {
            format!(
                "the suite expands to more than {MAX_SUITE_STEPS} setup steps in all, the most a suite may have; planning stopped here"
            )
        } else {
            self.case_left -= 1;
            self.suite_left -= 1;
            return true;
        };
        diags.push(self.top.clone(), message);
        self.exhausted = true;
        false
    }
}

struct Planner<'a> {
    ops: &'a HashMap<String, Arc<Operation>>,
    fixtures: &'a HashMap<&'a str, (&'a SpecFile, &'a Vec<Step>)>,
    schemas: &'a SchemaRegistry,
}

fn with(path: &[Seg], rest: &[Seg]) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.extend_from_slice(rest);
    p
}

impl<'a> Planner<'a> {
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        f: &SpecFile,
        path: &[Seg],
        step: &Step,
        scope: &mut CaseScope<'_>,
        out: &mut Vec<PlannedStep>,
        diags: &mut Diagnostics,
        ex: &mut Expansion<'a>,
    ) {
        if !ex.take_one(diags) {
            return;
        }
        let at = f.locator.value(path);
        match (&step.use_fixture, &step.call) {
            (Some(name), None) => {
                if step.has_request() {
                    diags.push(
                        at,
                        "a `use:` step takes no request fields; put them in the fixture's steps",
                    );
                    return;
                }
                let Some((ff, steps)) = self.fixtures.get(name.as_str()) else {
                    let mut known: Vec<&str> = self.fixtures.keys().copied().collect();
                    known.sort_unstable();
                    diags.push(
                        f.locator.value(&with(path, &["use".into()])),
                        format!("unknown fixture \"{name}\"; known: {}", known.join(", ")),
                    );
                    return;
                };
                if let Some(first) = ex.using.iter().position(|u| u == name) {
                    let mut chain = ex.using[first..].to_vec();
                    chain.push(name.clone());
                    diags.push(
                        f.locator.value(&with(path, &["use".into()])),
                        format!("fixture \"{name}\" uses itself: {}", chain.join(" → ")),
                    );
                    return;
                }
                // A fixture's own file variables are visible in its steps (the case's
                // file wins on a clash). Once per file and case: a fixture may be used
                // hundreds of times.
                if !ex.merged.contains(&ff.path.as_path()) {
                    for (k, v) in &ff.doc.variables {
                        scope.defaults.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                    ex.merged.push(&ff.path);
                }
                ex.using.push(name.clone());
                for (k, s) in steps.iter().enumerate() {
                    let p = [
                        Seg::from("fixtures"),
                        Seg::from(name.as_str()),
                        Seg::from(k),
                    ];
                    self.step(ff, &p, s, scope, out, diags, ex);
                    if ex.exhausted {
                        break;
                    }
                }
                ex.using.pop();
            }
            (None, Some(call)) => {
                let Some(op) = self.ops.get(call) else {
                    let mut known: Vec<&str> = self.ops.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    diags.push(
                        f.locator.value(&with(path, &["call".into()])),
                        format!("unknown operation \"{call}\"; known: {}", known.join(", ")),
                    );
                    return;
                };
                let request = self.request(f, path, op, &step.request(), scope, diags);
                let captures = captures(f, &with(path, &["capture".into()]), &step.capture, diags);
                if let Some(var) = &step.unless {
                    if !step.capture.contains_key(var) {
                        diags.push(
                            f.locator.value(&with(path, &["unless".into()])),
                            format!(
                                "`unless: {var}` must name a variable this step captures: the step is skipped when the target already provides it"
                            ),
                        );
                    }
                }
                // Captures become visible to the steps after this one.
                scope.captured.extend(step.capture.keys().cloned());
                if let Some(request) = request {
                    out.push(PlannedStep {
                        at,
                        request,
                        expect_status: step.expect_status,
                        captures,
                        unless: step.unless.clone(),
                    });
                }
            }
            _ => diags.push(at, "a setup step needs exactly one of `call:` or `use:`"),
        }
    }

    /// An operation's cleanup, compiled once. Its scope: the target's variables, the
    /// file's defaults, the path parameters of the call being undone and the captures.
    fn cleanup(
        &self,
        f: &SpecFile,
        op: &Operation,
        c: &crate::spec::model::Cleanup,
        target_vars: &BTreeSet<String>,
        diags: &mut Diagnostics,
    ) -> Option<OpCleanup> {
        let path = [Seg::from("cleanup")];
        let Some(cop) = self.ops.get(&c.call) else {
            let mut known: Vec<&str> = self.ops.keys().map(String::as_str).collect();
            known.sort_unstable();
            diags.push(
                f.locator.value(&with(&path, &["call".into()])),
                format!(
                    "unknown operation \"{}\"; known: {}",
                    c.call,
                    known.join(", ")
                ),
            );
            return None;
        };
        let mut scope = CaseScope::new(target_vars, &f.doc.variables);
        scope.captured.extend(op.path_params.iter().cloned());
        scope.captured.extend(c.capture.keys().cloned());
        let captures = captures(f, &with(&path, &["capture".into()]), &c.capture, diags);
        let request = self.request(f, &path, cop, &c.request(), &scope, diags)?;
        Some(OpCleanup { captures, request })
    }

    fn template(
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

    fn request(
        &self,
        f: &SpecFile,
        path: &[Seg],
        op: &Arc<Operation>,
        spec: &RequestSpec,
        scope: &dyn Scope,
        diags: &mut Diagnostics,
    ) -> Option<PlannedRequest> {
        let before = diags.0.len();
        for name in spec.path.keys() {
            if !op.path_params.contains(name) {
                diags.push(
                    f.locator
                        .key(&with(path, &["path".into(), name.as_str().into()])),
                    format!(
                        "\"{name}\" is not a path parameter of {} (path: {})",
                        op.name, op.path
                    ),
                );
            }
        }
        let mut params = Vec::with_capacity(op.path_params.len());
        for name in &op.path_params {
            let p = with(path, &["path".into(), name.as_str().into()]);
            let t = match spec.path.get(name) {
                Some(src) => self.template(f, &p, src, scope, diags),
                None if scope.knows(name) => Some(Template::var(name)),
                None => {
                    diags.push(
                        f.locator.value(path),
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
        let mut query = Vec::new();
        for (k, v) in &spec.query {
            let p = with(path, &["query".into(), k.as_str().into()]);
            if let Some(t) = self.template(f, &p, v, scope, diags) {
                query.push((k.clone(), t));
            }
        }
        check_header_names(
            f,
            &with(path, &["headers".into()]),
            spec.headers.keys(),
            diags,
        );
        let mut headers = Vec::new();
        for (k, v) in &spec.headers {
            let p = with(path, &["headers".into(), k.as_str().into()]);
            match v {
                None => headers.push((k.clone(), None)),
                Some(v) if v.chars().any(|c| c.is_control() && c != '\t') => diags.push(
                    f.locator.value(&p),
                    "a header value cannot hold control characters (a line break?)",
                ),
                Some(v) => {
                    if let Some(t) = self.template(f, &p, v, scope, diags) {
                        headers.push((k.clone(), Some(t)));
                    }
                }
            }
        }
        let body = match (&spec.body, &spec.raw_body) {
            (Some(_), Some(_)) => {
                diags.push(
                    f.locator.key(&with(path, &["raw_body".into()])),
                    "give `body` or `raw_body`, not both",
                );
                None
            }
            (Some(v), None) => self
                .json(f, &with(path, &["body".into()]), v, scope, diags)
                .map(BodyTemplate::Json),
            (None, Some(raw)) => self
                .template(f, &with(path, &["raw_body".into()]), raw, scope, diags)
                .map(BodyTemplate::Raw),
            (None, None) => None,
        };
        (diags.0.len() == before).then(|| PlannedRequest {
            op: Arc::clone(op),
            path: params,
            query,
            headers,
            body,
            auth: spec.auth,
        })
    }

    fn json(
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
                            p.push(Seg::Key(key));
                        }
                    }
                }
                diags.push(f.locator.value(&p), e.to_string());
            })
            .ok()
    }

    fn expect(
        &self,
        f: &SpecFile,
        path: &[Seg],
        op: &Operation,
        case: &crate::spec::model::Case,
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
        let error_code = e
            .error_code
            .clone()
            .or_else(|| documented.and_then(|d| d.error_code.clone()));
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
        })
    }
}
