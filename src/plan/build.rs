//! Building the plan: operations first (a step may call an operation of any file), then
//! fixtures (global), cleanups, and every case with its setup, request and expectation.
//! Planning goes on past a problem, so one run lists them all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::compile::{CaseScope, Planner};
use super::operation::{
    Answers, answers, check_capabilities, families, operations as file_operations,
};
use super::setup::{Expansion, StepCx};
use super::{OpCleanup, Operation, Plan, PlannedCase, PlannedRequest};
use crate::schema::SchemaRegistry;
use crate::spec::limits::MAX_SUITE_STEPS;
use crate::spec::locate::{Location, Seg};
use crate::spec::model::{Case, Step, trial_name_problem};
use crate::spec::{Diagnostics, SpecFile};
use crate::template::settable_name_problem;

/// Builds the plan. `target_vars` are the names the target provides (values are read at
/// run time), so `lint` can check a suite without a target.
pub fn build(
    files: &[SpecFile],
    schemas: &SchemaRegistry,
    target_vars: &BTreeSet<String>,
) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::default();
    let answers = answers(files, schemas, &mut diags);
    let families = families(files, &mut diags);
    let (per_file, ops) = operations(files, schemas, &answers, &mut diags);
    let fixtures = fixtures(files, &mut diags);
    check_file_variables(files, &mut diags);
    let planner = Planner {
        ops: &ops,
        fixtures: &fixtures,
        schemas,
    };
    let cleanups = cleanups(&planner, files, &per_file, target_vars, &mut diags);
    let preflight = preflight(&planner, files, &per_file, target_vars, &mut diags);
    let cases = Cases {
        planner: &planner,
        target_vars,
        ids: HashMap::new(),
        suite_steps_left: MAX_SUITE_STEPS,
    }
    .all(files, &per_file, &mut diags);
    diags.into_result().map(|()| Plan {
        families,
        operations: per_file.into_iter().flatten().collect(),
        cases,
        cleanups,
        preflight,
    })
}

/// Each file's operations (one, or one per variant), and all of them by name; a name
/// defined twice is reported.
fn operations(
    files: &[SpecFile],
    schemas: &SchemaRegistry,
    answers: &Answers,
    diags: &mut Diagnostics,
) -> (FileOps, HashMap<String, Arc<Operation>>) {
    let mut by_name: HashMap<String, Arc<Operation>> = HashMap::new();
    let mut per_file = Vec::with_capacity(files.len());
    for f in files {
        let mut mine = Vec::new();
        for (i, op) in file_operations(f, schemas, answers, diags)
            .into_iter()
            .enumerate()
        {
            let op = Arc::new(op);
            if let Some(prev) = by_name.get(&op.name) {
                let at = if f.doc.variants.is_empty() {
                    vec![Seg::from("operation")]
                } else {
                    vec![Seg::from("variants"), Seg::from(i), Seg::from("operation")]
                };
                diags.push(
                    f.locator.value(&at),
                    format!(
                        "operation \"{}\" is already defined in {}",
                        op.name,
                        prev.file.display()
                    ),
                );
            }
            by_name.insert(op.name.clone(), Arc::clone(&op));
            mine.push(op);
        }
        per_file.push(mine);
    }
    (per_file, by_name)
}

/// Each file's operations, parallel to the files.
type FileOps = Vec<Vec<Arc<Operation>>>;

/// Fixtures are global: any case may `use:` any file's fixture.
/// Fixture name → its file and steps.
type Fixtures<'a> = HashMap<&'a str, (&'a SpecFile, &'a Vec<Step>)>;

fn fixtures<'a>(files: &'a [SpecFile], diags: &mut Diagnostics) -> Fixtures<'a> {
    let mut fixtures = Fixtures::new();
    for f in files {
        for (name, steps) in &f.doc.fixtures {
            if let Some((other, _)) = fixtures.get(name.as_str()) {
                diags.push(
                    f.locator
                        .key(&[Seg::from("fixtures"), Seg::from(name.clone())]),
                    format!(
                        "fixture \"{name}\" is already defined in {}",
                        other.path.display()
                    ),
                );
            }
            fixtures.insert(name, (f, steps));
        }
    }
    fixtures
}

/// A file's `variables:` must be names a template can use.
fn check_file_variables(files: &[SpecFile], diags: &mut Diagnostics) {
    for f in files {
        for name in f.doc.variables.keys() {
            if let Some(problem) = settable_name_problem(name) {
                let at = f
                    .locator
                    .key(&[Seg::from("variables"), Seg::from(name.clone())]);
                diags.push(at, problem);
            }
        }
    }
}

/// Operation name → its compiled cleanup (a file's cleanup undoes each of its variants).
fn cleanups(
    planner: &Planner<'_>,
    files: &[SpecFile],
    per_file: &FileOps,
    target_vars: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> HashMap<String, OpCleanup> {
    let mut out = HashMap::new();
    for (f, ops) in files.iter().zip(per_file) {
        let Some(c) = &f.doc.cleanup else { continue };
        for op in ops {
            if let Some(oc) = planner.cleanup(f, op, c, target_vars, diags) {
                out.insert(op.name.clone(), oc);
            }
        }
    }
    out
}

/// The first file's `preflight:` (in path order): its operation (its first variant) with
/// that request. It sees the target's variables and the file's defaults, nothing a case
/// captures.
fn preflight(
    planner: &Planner<'_>,
    files: &[SpecFile],
    per_file: &FileOps,
    target_vars: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Option<PlannedRequest> {
    let (f, ops) = files
        .iter()
        .zip(per_file)
        .find(|(f, _)| f.doc.preflight.is_some())?;
    let spec = f.doc.preflight.as_ref()?;
    let scope = CaseScope::new(target_vars, &Arc::new(f.doc.variables.clone()));
    planner.request(
        f,
        &[Seg::from("preflight")],
        ops.first()?,
        spec,
        &scope,
        diags,
    )
}

/// A case's `operations:` must name operations of its own file.
fn check_case_operations(
    f: &SpecFile,
    ops: &[Arc<Operation>],
    i: usize,
    case: &Case,
    diags: &mut Diagnostics,
) {
    for (j, name) in case.operations.iter().enumerate() {
        if !ops.iter().any(|op| op.name == *name) {
            let at = [
                Seg::from("cases"),
                Seg::from(i),
                "operations".into(),
                j.into(),
            ];
            let known = ops.iter().map(|op| op.name.as_str());
            let message = super::compile::unknown("operation of this file", name, known);
            diags.push(f.locator.value(&at), message);
        }
    }
}

/// What planning the cases shares: trial ids seen so far, the suite's step budget.
struct Cases<'p, 'a> {
    planner: &'p Planner<'a>,
    target_vars: &'p BTreeSet<String>,
    ids: HashMap<String, Location>,
    suite_steps_left: usize,
}

impl<'a> Cases<'_, 'a> {
    /// Every case of every file, once per operation of its file that it runs as
    /// (operation-major, so a variant's trials stay together).
    fn all(
        mut self,
        files: &'a [SpecFile],
        per_file: &FileOps,
        diags: &mut Diagnostics,
    ) -> Vec<PlannedCase> {
        let mut out = Vec::new();
        for (f, ops) in files.iter().zip(per_file) {
            for (i, case) in f.doc.cases.iter().enumerate() {
                check_case_operations(f, ops, i, case, diags);
            }
            let defaults = Arc::new(f.doc.variables.clone());
            for op in ops {
                for (i, case) in f.doc.cases.iter().enumerate() {
                    if !case.operations.is_empty() && !case.operations.contains(&op.name) {
                        continue;
                    }
                    if self.suite_steps_left == 0 {
                        // Reported once, where the limit was reached: planning stops there.
                        return out;
                    }
                    out.extend(self.case(f, op, i, case, &defaults, diags));
                }
            }
        }
        out
    }

    /// Case `i` of `f`; `None` when it has a problem (reported).
    fn case(
        &mut self,
        f: &'a SpecFile,
        op: &Arc<Operation>,
        i: usize,
        case: &Case,
        defaults: &Arc<BTreeMap<String, String>>,
        diags: &mut Diagnostics,
    ) -> Option<PlannedCase> {
        let base = [Seg::from("cases"), Seg::from(i)];
        let loc = |rest: &[Seg]| super::compile::with(&base, rest);
        let at = f.locator.value(&base);
        check_capabilities(
            &case.requires,
            &loc(&["requires".into()]),
            &f.locator,
            diags,
        );
        if let Some(problem) = trial_name_problem("a case", &case.name) {
            diags.push(f.locator.value(&loc(&["name".into()])), problem);
        }
        let mut scope = CaseScope::new(self.target_vars, defaults);
        let setup = self.setup(f, case, &base, &mut scope, diags);
        let request = self.planner.request(
            f,
            &loc(&["request".into()]),
            op,
            &case.request,
            &scope,
            diags,
        );
        let expect = self
            .planner
            .expect(f, &loc(&["expect".into()]), op, case, &scope, diags);
        let id = format!("{} [{}] {}", op.name, case.expect.status, case.name);
        if let Some(prev) = self.ids.get(&id) {
            let message = format!("duplicate case \"{id}\" (first at {prev})");
            diags.push(f.locator.value(&loc(&["name".into()])), message);
        }
        self.ids.insert(id.clone(), at.clone());
        Some(PlannedCase {
            id,
            name: case.name.clone(),
            op: Arc::clone(op),
            at,
            requires: case.requires.clone(),
            setup,
            request: request?,
            expect: expect?,
            defaults: scope.defaults,
            skip: case.skip.clone(),
        })
    }

    /// The case's setup steps, fixtures expanded, within the step limits.
    fn setup(
        &mut self,
        f: &'a SpecFile,
        case: &Case,
        base: &[Seg],
        scope: &mut CaseScope<'_>,
        diags: &mut Diagnostics,
    ) -> Vec<super::PlannedStep> {
        let mut out = Vec::new();
        let mut ex = Expansion::new(&f.path, self.suite_steps_left);
        for (j, step) in case.setup.iter().enumerate() {
            let path = super::compile::with(base, &["setup".into(), j.into()]);
            ex.top = f.locator.value(&path);
            let mut cx = StepCx {
                scope,
                out: &mut out,
                diags,
                ex: &mut ex,
            };
            self.planner.step(f, &path, step, &mut cx);
            if ex.exhausted {
                break;
            }
        }
        self.suite_steps_left = ex.suite_left;
        out
    }
}
