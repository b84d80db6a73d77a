//! The operation × documented-status matrix: which cases cover each documented response.

use std::fmt::Write as _;

use super::Plan;
use crate::spec::{Diagnostics, Location};

/// One cell of the matrix.
#[derive(Debug)]
pub struct Cell {
    pub operation: String,
    pub status: u16,
    pub error_code: Option<String>,
    /// Where the status is documented (its key under `responses:`).
    pub at: Location,
    /// Names of the cases that expect this status.
    pub cases: Vec<String>,
}

/// Builds the matrix in operation order, then status order.
pub fn matrix(plan: &Plan) -> Vec<Cell> {
    let mut cells = Vec::new();
    for op in &plan.operations {
        for (status, doc) in &op.responses {
            let cases = plan
                .cases
                .iter()
                .filter(|c| c.op.name == op.name && c.expect.status == *status)
                .map(|c| c.name.clone())
                .collect();
            cells.push(Cell {
                operation: op.name.clone(),
                status: *status,
                error_code: doc.error_code.clone(),
                at: doc.at.clone(),
                cases,
            });
        }
    }
    cells
}

/// A documented status without a case is a gap in the contract's coverage.
pub fn gaps(cells: &[Cell]) -> Diagnostics {
    let mut d = Diagnostics::default();
    for c in cells.iter().filter(|c| c.cases.is_empty()) {
        d.push(
            c.at.clone(),
            format!(
                "documented status {} of {} has no case (add a case with `expect: {{status: {}}}`)",
                c.status, c.operation, c.status
            ),
        );
    }
    d
}

/// The matrix as a plain-text table.
pub fn render(cells: &[Cell]) -> String {
    let mut out = String::new();
    let width = cells
        .iter()
        .map(|c| c.operation.len())
        .max()
        .unwrap_or(9)
        .max(9);
    // As wide as the longest code (`SVCSTG.AMS.2000051`), at least the header's.
    let codes = cells
        .iter()
        .filter_map(|c| c.error_code.as_ref().map(String::len))
        .max()
        .unwrap_or(0)
        .max(14);
    let _ = writeln!(
        out,
        "{:width$}  status  {:codes$}  cases",
        "operation", "error_code"
    );
    for c in cells {
        let cases = if c.cases.is_empty() {
            "MISSING".to_owned()
        } else {
            format!("{} ({})", c.cases.len(), c.cases.join("; "))
        };
        let _ = writeln!(
            out,
            "{:width$}  {:<6}  {:<codes$}  {}",
            c.operation,
            c.status,
            c.error_code.as_deref().unwrap_or("-"),
            cases
        );
    }
    let covered = cells.iter().filter(|c| !c.cases.is_empty()).count();
    let _ = writeln!(
        out,
        "{covered}/{} documented responses covered",
        cells.len()
    );
    out
}

/// Each operation's `doc_gaps:` (what its documentation does not say), after the matrix:
/// silence is listed as such, never turned into a case.
pub fn render_gaps(plan: &Plan) -> String {
    let mut out = String::new();
    let ops: Vec<_> = plan
        .operations
        .iter()
        .filter(|op| !op.doc_gaps.is_empty())
        .collect();
    if ops.is_empty() {
        return out;
    }
    let total: usize = ops.iter().map(|op| op.doc_gaps.len()).sum();
    let _ = writeln!(
        out,
        "\ndoc gaps ({total}: not documented, so not asserted):"
    );
    for op in ops {
        let _ = writeln!(out, "{}", op.name);
        for gap in &op.doc_gaps {
            let _ = writeln!(out, "  - {}", gap.trim());
        }
    }
    out
}
