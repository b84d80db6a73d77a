//! The operation × documented-status matrix of a run, per target: how the cases of each
//! cell ended. The console summary and the HTML report draw it; this module only counts.

use std::collections::BTreeMap;

use super::{CaseFinished, Outcome, RunInfo};

/// How the cases of one cell ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub ignored: usize,
    /// Failed, as the baseline expects.
    pub deviations: usize,
}

/// The verdict a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellState {
    /// Every case that ran passed (some may have been ignored).
    Passed,
    /// At least one case failed.
    Failed,
    /// No case failed, but some are known deviations.
    Deviation,
    /// Cases exist but none ran (capability missing, interrupted).
    Ignored,
    /// No case of this cell was selected in this run.
    NotRun,
}

impl Counts {
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Ignored { .. } | Outcome::Interrupted => self.ignored += 1,
            Outcome::KnownDeviation { .. } => self.deviations += 1,
        }
    }

    pub fn state(&self) -> CellState {
        if self.failed > 0 {
            CellState::Failed
        } else if self.deviations > 0 {
            CellState::Deviation
        } else if self.passed > 0 {
            CellState::Passed
        } else if self.ignored > 0 {
            CellState::Ignored
        } else {
            CellState::NotRun
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.ignored + self.deviations
    }
}

/// One target's matrix: rows are operations in suite order, columns the statuses any
/// operation documents.
#[derive(Debug, Default)]
pub struct TargetMatrix {
    pub label: String,
    pub rows: Vec<(String, BTreeMap<u16, Counts>)>,
}

impl TargetMatrix {
    /// Every status documented by some operation, ascending.
    pub fn statuses(&self) -> Vec<u16> {
        let mut all: Vec<u16> = self
            .rows
            .iter()
            .flat_map(|(_, cells)| cells.keys().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    pub fn totals(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.rows.iter().flat_map(|(_, cells)| cells.values()) {
            t.passed += c.passed;
            t.failed += c.failed;
            t.ignored += c.ignored;
            t.deviations += c.deviations;
        }
        t
    }
}

/// The matrices of a run, filled from finished cases.
#[derive(Debug, Default)]
pub struct Matrix {
    pub targets: Vec<TargetMatrix>,
}

impl Matrix {
    /// Empty cells for every documented status of every target.
    pub fn new(run: &RunInfo) -> Self {
        let targets = run
            .targets
            .iter()
            .map(|t| TargetMatrix {
                label: t.label().to_owned(),
                rows: t
                    .operations
                    .iter()
                    .map(|(op, statuses)| {
                        let cells = statuses.iter().map(|s| (*s, Counts::default()));
                        (op.clone(), cells.collect())
                    })
                    .collect(),
            })
            .collect();
        Matrix { targets }
    }

    pub fn add(&mut self, case: &CaseFinished) {
        let Some(t) = self.targets.get_mut(case.case.target) else {
            return;
        };
        let row = t.rows.iter_mut().find(|(op, _)| *op == case.case.operation);
        if let Some((_, cells)) = row {
            cells
                .entry(case.case.status)
                .or_default()
                .add(&case.outcome);
        }
    }
}
