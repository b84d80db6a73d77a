//! The terminal, beside libtest's own lines: warnings on stderr as they happen, and at
//! the end the operation × status matrix after libtest's result line. An interrupted
//! run's last line says so: libtest's own result line may still read `ok`.

use std::fmt::Write as _;

use colored::Colorize;
use parking_lot::Mutex;

use super::failure::request_line;
use super::matrix::{CellState, Counts, Matrix, TargetMatrix};
use super::redact::Redactor;
use super::text::clip;
use super::{Event, Reporter, RunFinished, RunInfo, Warning};

/// Longest warning, in characters.
const WARNING_MAX: usize = 600;

/// What libtest prints on stdout, which decides what may be added to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleFormat {
    /// A line per case: the matrix follows the result line.
    Pretty,
    /// A character per case (`-q`): no matrix.
    Terse,
    /// JSON events: nothing but JSON on stdout.
    Json,
}

/// Prints warnings and the closing summary.
pub struct ConsoleReporter {
    format: ConsoleFormat,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per target: its label (with several targets) and redactor.
    targets: Vec<(String, Redactor)>,
    matrix: Matrix,
    /// Cases that passed with an alternative answer: (trial name, who answered).
    alternatives: Vec<(String, String)>,
    /// Cases not run, or not finished, because the run was interrupted.
    interrupted: u64,
}

impl ConsoleReporter {
    pub fn new(format: ConsoleFormat) -> Self {
        ConsoleReporter {
            format,
            state: Mutex::default(),
        }
    }
}

impl Reporter for ConsoleReporter {
    fn on_event(&self, event: &Event<'_>) {
        match event {
            Event::RunStarted(run) => *self.state.lock() = State::new(run),
            Event::CaseFinished(c) => {
                let mut state = self.state.lock();
                if matches!(c.outcome, super::Outcome::Interrupted) {
                    state.interrupted += 1;
                }
                if self.format != ConsoleFormat::Pretty {
                    return;
                }
                state.matrix.add(c);
                if let Some(by) = c.exchange.as_ref().and_then(|e| e.answered_by.clone()) {
                    let label = state.targets.get(c.case.target).map_or("", |(l, _)| l);
                    let name = if label.is_empty() {
                        c.case.id.clone()
                    } else {
                        format!("{label}: {}", c.case.id)
                    };
                    state.alternatives.push((name, by));
                }
            }
            Event::Warning { target, warning } => {
                let state = self.state.lock();
                if let Some((label, r)) = state.targets.get(*target) {
                    eprintln!("{}", warning_text(label, warning, r));
                }
            }
            Event::RunFinished(end) => self.finished(end),
            _ => {}
        }
    }
}

impl State {
    fn new(run: &RunInfo) -> Self {
        let several = run.targets.len() > 1;
        State {
            targets: run
                .targets
                .iter()
                .map(|t| {
                    let label = if several {
                        t.label().to_owned()
                    } else {
                        String::new()
                    };
                    (label, t.redactor.clone())
                })
                .collect(),
            matrix: Matrix::new(run),
            alternatives: Vec::new(),
            interrupted: 0,
        }
    }
}

impl ConsoleReporter {
    fn finished(&self, end: &RunFinished) {
        let state = self.state.lock();
        if self.format == ConsoleFormat::Pretty {
            let several = state.matrix.targets.len() > 1;
            for t in &state.matrix.targets {
                print!("{}", summary(t, several));
            }
            print!("{}", alternatives(&state.alternatives));
        }
        if end.interrupted {
            let line = interrupted_line(state.interrupted, end.exit_code);
            match self.format {
                // Last on stdout, so it is what a log's tail shows.
                ConsoleFormat::Pretty | ConsoleFormat::Terse => println!("{line}"),
                ConsoleFormat::Json => eprintln!("{line}"),
            }
        }
    }
}

/// The last line of an interrupted run: libtest's result line above it counts the cases
/// not run as ignored, and may say `ok`.
pub fn interrupted_line(not_run: u64, exit_code: u8) -> String {
    let cases = if not_run == 1 { "case" } else { "cases" };
    format!(
        "interrupted: {not_run} {cases} not run or not finished, shown as ignored above (exit {exit_code})"
    )
}

/// One warning on one line: redacted with the target's and the request's secrets, then
/// cut short (a captured id in the path can be megabytes).
pub fn warning_text(target: &str, w: &Warning, r: &Redactor) -> String {
    let prefix = if target.is_empty() {
        String::new()
    } else {
        format!("{target}: ")
    };
    let (request, text) = match w {
        Warning::Recorded { message } => {
            // Cut short when it was first written: cutting again would change it.
            return format!("warning: {prefix}{message}");
        }
        Warning::BaselineFixed { case, pattern, at } => {
            let text = format!(
                "{case} passed: the baseline entry {pattern:?} ({at}) is fixed, remove it from the baseline"
            );
            return format!("warning: {prefix}{}", clip(&r.redact(&text), WARNING_MAX));
        }
        Warning::MayHaveActed { request, error } => (
            request,
            format!(
                "{} may have started something this run cannot undo ({error})",
                request_line(request, r)
            ),
        ),
        Warning::CannotUndo {
            request,
            status,
            pointer,
        } => (
            request,
            format!(
                "cannot undo {} (answered {status}): nothing at {pointer} in the response (or, for `from_request`, in the request)",
                request_line(request, r)
            ),
        ),
        Warning::FamilyMissing {
            request,
            family,
            endpoint,
            request_id,
        } => (
            request,
            format!(
                "{} answered 404{}: {family} is not served by {endpoint}, though the suite lists it as offered there (taken offline?); its cases will fail",
                request_line(request, r),
                request_id
                    .as_deref()
                    .map_or(String::new(), |id| format!(" [X-Request-Id: {id}]"))
            ),
        ),
        Warning::CleanupFailed {
            request,
            status,
            error_code,
            error,
        } => {
            let problem = match (status, error) {
                (_, Some(e)) => e.to_string(),
                (Some(s), None) => format!("answered {s} {}", error_code.as_deref().unwrap_or("")),
                (None, None) => "no answer".to_owned(),
            };
            let line = request_line(request, r);
            (
                request,
                format!(
                    "cleanup {line} failed ({}): what it undoes may still be running",
                    problem.trim_end()
                ),
            )
        }
    };
    let redacted = r
        .with_extra(&request.sent_secrets)
        .redact(&text)
        .into_owned();
    format!("warning: {prefix}{}", clip(&redacted, WARNING_MAX))
}

/// The matrix as text: one row per operation, one column per documented status; a cell
/// is `✓N` (N cases, all passed), `✗F/N` (F of N failed), `≈N` (known deviations, none
/// failed otherwise), `–N` (not run: ignored or
/// interrupted), `·` (no case selected), blank (not documented).
pub fn summary(t: &TargetMatrix, with_label: bool) -> String {
    let statuses = t.statuses();
    let width = t
        .rows
        .iter()
        .map(|(op, _)| op.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut out = String::new();
    let totals = t.totals();
    let heading = if with_label {
        format!("summary for {}", t.label)
    } else {
        "summary".to_owned()
    };
    let deviations = match totals.deviations {
        0 => String::new(),
        n => format!(", {n} known deviation(s)"),
    };
    let _ = writeln!(
        out,
        "{heading}: {} passed, {} failed, {} ignored{deviations}",
        totals.passed, totals.failed, totals.ignored
    );
    let mut header = format!("{:width$}", "operation");
    for s in &statuses {
        let _ = write!(header, "  {s:<5}");
    }
    let _ = writeln!(out, "{}", header.trim_end());
    for (op, cells) in &t.rows {
        let mut line = format!("{op:width$}");
        for s in &statuses {
            let _ = write!(line, "  {}", cell(cells.get(s)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The cases that passed with an alternative answer, by who answered: conformant, but
/// worth knowing ("401 answered by the API gateway").
fn alternatives(cases: &[(String, String)]) -> String {
    let mut by: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (name, who) in cases {
        by.entry(who.as_str()).or_default().push(name.as_str());
    }
    let mut out = String::new();
    for (who, mut names) in by {
        names.sort_unstable();
        let _ = writeln!(
            out,
            "answered by {who} (a documented alternative): {} case(s): {}",
            names.len(),
            clip(&names.join("; "), WARNING_MAX)
        );
    }
    out
}

/// One cell, padded to 5 columns; coloured when colours are on.
fn cell(c: Option<&Counts>) -> String {
    let Some(c) = c else { return " ".repeat(5) };
    let (text, paint): (String, fn(&str) -> colored::ColoredString) = match c.state() {
        CellState::Passed => (format!("✓{}", c.passed), |s| s.green()),
        CellState::Failed => (format!("✗{}/{}", c.failed, c.total()), |s| s.red().bold()),
        CellState::Ignored => (format!("–{}", c.ignored), |s| s.yellow()),
        CellState::NotRun => ("·".to_owned(), |s| s.dimmed()),
        CellState::Deviation => (format!("≈{}", c.deviations), |s| s.yellow()),
    };
    let pad = 5usize.saturating_sub(text.chars().count());
    format!("{}{}", paint(&text), " ".repeat(pad))
}
