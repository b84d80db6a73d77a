//! Setup steps: `call:` steps compiled into requests with captures, `use:` steps
//! expanded into their fixture's steps (cycles found, file variables merged, the step
//! limits counted), and operation-level cleanups.

use std::path::Path;
use std::sync::Arc;

use super::compile::{CaseScope, Planner, captures, unknown, with};
use super::{MAX_POLL_TRIES, MAX_POLL_WITHIN, OpCleanup, Operation, PlannedPoll, PlannedStep};
use crate::spec::limits::{MAX_CASE_STEPS, MAX_SUITE_STEPS};
use crate::spec::locate::{Location, Seg};
use crate::spec::model::{Cleanup, Poll, Step};
use crate::spec::{Diagnostics, SpecFile};

/// One case's setup as it is expanded: the fixtures being expanded (to find cycles), the
/// files whose variables are in scope, and what is left of the step limits
/// ([`MAX_CASE_STEPS`], [`MAX_SUITE_STEPS`]). Every `use:` and every call counts: fixtures
/// that each use the next one twice double at each level, 2^30 steps from 1 KB.
pub(super) struct Expansion<'a> {
    pub using: Vec<String>,
    pub merged: Vec<&'a Path>,
    /// The case's top-level step being expanded: where a limit is reported.
    pub top: Location,
    pub case_left: usize,
    pub suite_left: usize,
    /// A limit ran out (and was reported): nothing more is expanded.
    pub exhausted: bool,
}

impl<'a> Expansion<'a> {
    pub fn new(case_file: &'a Path, suite_left: usize) -> Self {
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
    pub fn take_one(&mut self, diags: &mut Diagnostics) -> bool {
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

/// Where one step is compiled: its file, its path in that file, and what it adds to.
pub(super) struct StepCx<'c, 'a, 's> {
    pub scope: &'c mut CaseScope<'s>,
    pub out: &'c mut Vec<PlannedStep>,
    pub diags: &'c mut Diagnostics,
    pub ex: &'c mut Expansion<'a>,
}

impl<'a> Planner<'a> {
    /// Compiles setup step `step` at `path` of `f` into `cx.out`.
    pub fn step(&self, f: &'a SpecFile, path: &[Seg], step: &Step, cx: &mut StepCx<'_, 'a, '_>) {
        if !cx.ex.take_one(cx.diags) {
            return;
        }
        match (&step.use_fixture, &step.call) {
            (Some(name), None) => self.use_fixture(f, path, step, name, cx),
            (None, Some(call)) => self.call(f, path, step, call, cx),
            _ => cx.diags.push(
                f.locator.value(path),
                "a setup step needs exactly one of `call:` or `use:`",
            ),
        }
    }

    /// A `use:` step: the fixture's steps, in its file's scope.
    fn use_fixture(
        &self,
        f: &'a SpecFile,
        path: &[Seg],
        step: &Step,
        name: &str,
        cx: &mut StepCx<'_, 'a, '_>,
    ) {
        let at_use = f.locator.value(&with(path, &["use".into()]));
        if step.has_request() {
            cx.diags.push(
                f.locator.value(path),
                "a `use:` step takes no request fields; put them in the fixture's steps",
            );
            return;
        }
        let Some(&(ff, steps)) = self.fixtures.get(name) else {
            let known = self.fixtures.keys().copied();
            cx.diags.push(at_use, unknown("fixture", name, known));
            return;
        };
        if let Some(first) = cx.ex.using.iter().position(|u| u == name) {
            let mut chain = cx.ex.using[first..].to_vec();
            chain.push(name.to_owned());
            let message = format!("fixture \"{name}\" uses itself: {}", chain.join(" → "));
            cx.diags.push(at_use, message);
            return;
        }
        // A fixture's own file variables are visible in its steps (the case's file wins
        // on a clash). Once per file and case: a fixture may be used hundreds of times.
        if !cx.ex.merged.contains(&ff.path.as_path()) {
            let vars = &ff.doc.variables;
            // Copied (from the file's shared defaults) only when something is added.
            if vars.keys().any(|k| !cx.scope.defaults.contains_key(k)) {
                let defaults = Arc::make_mut(&mut cx.scope.defaults);
                for (k, v) in vars {
                    defaults.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            cx.ex.merged.push(&ff.path);
        }
        cx.ex.using.push(name.to_owned());
        for (k, s) in steps.iter().enumerate() {
            let p = [
                Seg::from("fixtures"),
                Seg::from(name.to_owned()),
                Seg::from(k),
            ];
            self.step(ff, &p, s, cx);
            if cx.ex.exhausted {
                break;
            }
        }
        cx.ex.using.pop();
    }

    /// A `call:` step: its request, captures and `unless`.
    fn call(
        &self,
        f: &SpecFile,
        path: &[Seg],
        step: &Step,
        call: &str,
        cx: &mut StepCx<'_, 'a, '_>,
    ) {
        let Some(op) = self.ops.get(call) else {
            let known = self.ops.keys().map(String::as_str);
            let at = f.locator.value(&with(path, &["call".into()]));
            cx.diags.push(at, unknown("operation", call, known));
            return;
        };
        let request = self.request(f, path, op, &step.request(), cx.scope, cx.diags);
        let captures = captures(f, &with(path, &["capture".into()]), &step.capture, cx.diags);
        if let Some(var) = step
            .unless
            .as_ref()
            .filter(|v| !step.capture.contains_key(*v))
        {
            cx.diags.push(
                f.locator.value(&with(path, &["unless".into()])),
                format!(
                    "`unless: {var}` must name a variable this step captures: the step is skipped when the target already provides it"
                ),
            );
        }
        let poll = step.poll.as_ref().and_then(|p| {
            if step.expect_status.is_some() {
                cx.diags.push(
                    f.locator.key(&with(path, &["expect_status".into()])),
                    "a polled step ends on `poll.until_status`; drop `expect_status`",
                );
            }
            poll(f, &with(path, &["poll".into()]), p, cx.diags)
        });
        // Captures become visible to the steps after this one.
        cx.scope.captured.extend(step.capture.keys().cloned());
        if let Some(request) = request {
            cx.out.push(PlannedStep {
                at: f.locator.value(path),
                request,
                expect_status: step.expect_status,
                captures,
                unless: step.unless.clone(),
                poll,
            });
        }
    }

    /// An operation's cleanup, compiled once. Its scope: the target's variables, the
    /// file's defaults, the path parameters of the call being undone and the captures.
    pub fn cleanup(
        &self,
        f: &SpecFile,
        op: &Operation,
        c: &Cleanup,
        target_vars: &std::collections::BTreeSet<String>,
        diags: &mut Diagnostics,
    ) -> Option<OpCleanup> {
        let path = [Seg::from("cleanup")];
        let Some(cop) = self.ops.get(&c.call) else {
            let known = self.ops.keys().map(String::as_str);
            let at = f.locator.value(&with(&path, &["call".into()]));
            diags.push(at, unknown("operation", &c.call, known));
            return None;
        };
        let mut scope = CaseScope::new(target_vars, &Arc::new(f.doc.variables.clone()));
        scope.captured.extend(op.path_params.iter().cloned());
        scope.captured.extend(c.capture.keys().cloned());
        scope.captured.extend(c.from_request.keys().cloned());
        let captures = captures(f, &with(&path, &["capture".into()]), &c.capture, diags);
        let at = with(&path, &["from_request".into()]);
        let from_request = super::compile::captures(f, &at, &c.from_request, diags);
        for var in c.from_request.keys().filter(|v| c.capture.contains_key(*v)) {
            let message = format!("\"{var}\" is set by `capture:` too; name one of them otherwise");
            diags.push(f.locator.key(&with(&at, &[var.clone().into()])), message);
        }
        let request = self.request(f, &path, cop, &c.request(), &scope, diags)?;
        Some(OpCleanup {
            captures,
            from_request,
            request,
        })
    }
}

/// A step's `poll:` checked: statuses, durations, and the bounds on tries and time.
fn poll(f: &SpecFile, path: &[Seg], p: &Poll, diags: &mut Diagnostics) -> Option<PlannedPoll> {
    let before = diags.0.len();
    let at = |key: &'static str| f.locator.value(&with(path, &[key.into()]));
    if p.until_status.is_empty() {
        diags.push(
            at("until_status"),
            "`until_status` needs at least one status",
        );
    }
    for (i, s) in p.until_status.iter().enumerate() {
        if !(100..=599).contains(s) {
            let p = with(path, &["until_status".into(), i.into()]);
            diags.push(f.locator.value(&p), format!("{s} is not an HTTP status"));
        }
    }
    let mut duration = |key: &'static str, text: &str| {
        crate::target::parse_duration(text)
            .map_err(|e| diags.push(at(key), e))
            .ok()
    };
    let (every, within) = (duration("every", &p.every), duration("within", &p.within));
    let (every, within) = (every?, within?);
    if within > MAX_POLL_WITHIN {
        let message = format!("a poll waits at most {}m", MAX_POLL_WITHIN.as_secs() / 60);
        diags.push(at("within"), message);
    } else if within < every {
        diags.push(
            at("within"),
            "`within` is shorter than `every`: the call would never be repeated",
        );
    } else if within.as_millis() / every.as_millis().max(1) >= u128::from(MAX_POLL_TRIES) {
        let message =
            format!("`within` / `every` allows more than {MAX_POLL_TRIES} calls; poll less often");
        diags.push(at("every"), message);
    }
    (diags.0.len() == before).then(|| PlannedPoll {
        until: p.until_status.clone(),
        every,
        within,
    })
}
