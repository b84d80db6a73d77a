//! `--report html PATH`: one self-contained page a person opens after a run. Per target:
//! a heading (label, endpoint, auth, counts), the operation × documented-status matrix
//! (cells coloured passed / failed / ignored / not run, the reason on hover, a link to
//! the cases), and every case grouped by operation with its verdict, id, `file:line`,
//! request line and `X-Request-Id`; a failed case expands to the same failure text as
//! the console. A run that could not start shows its error instead.
//!
//! Inline CSS only: no script, no network, no external font. Much of the text comes from
//! the endpoint, so every text is redacted first (the target's secrets plus the
//! request's own), then cut short, then escaped by [`escape`]; the markup is well-formed
//! XML as well as HTML, so tests and tools can parse it with an XML parser.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use parking_lot::Mutex;

use super::failure::{self, redactor_for};
use super::matrix::{CellState, Counts, Matrix};
use super::redact::Redactor;
use super::text::clip;
use super::{CaseFinished, Event, Outcome, ReportError, Reporter, RunFinished, RunInfo};

/// Longest request path and request id shown, in characters.
const PATH_MAX: usize = 200;

/// Collects the run; writes the page in [`Reporter::finish`].
pub struct HtmlReporter {
    path: PathBuf,
    // Locked once per finished case, never while a request is in flight.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// `(run id, started)`, once the run started.
    run: Option<(String, String)>,
    /// `part hash:2/3`, `merged from 3 parts`, or empty for a whole run.
    scope: String,
    targets: Vec<Target>,
    matrix: Matrix,
    /// Already redacted and labelled.
    warnings: Vec<String>,
    end: Option<End>,
    aborted: Option<String>,
}

/// One target, as the page shows it.
struct Target {
    label: String,
    endpoint: String,
    project_id: String,
    auth: &'static str,
    capabilities: Vec<String>,
    /// Suite order, for grouping the cases.
    operations: Vec<String>,
    redactor: Redactor,
    cases: Vec<Row>,
}

/// One finished case, already turned into redacted text (no response is kept).
struct Row {
    operation: String,
    status: u16,
    id: String,
    file: String,
    line: usize,
    /// `POST /v1/…` and `→ 404` (or `→ no answer`), when the request under test was sent.
    request: Option<(String, String)>,
    request_id: Option<String>,
    duration: Duration,
    verdict: Verdict,
}

enum Verdict {
    Passed,
    Ignored(String),
    Interrupted,
    Failed {
        kind: &'static str,
        summary: String,
        text: String,
    },
    /// Failed as the baseline expects: the reason, and the failure text.
    Deviation {
        reason: String,
        text: String,
    },
}

/// What [`RunFinished`] says, kept.
struct End {
    passed: u64,
    failed: u64,
    ignored: u64,
    filtered_out: u64,
    interrupted: bool,
    duration: Duration,
}

impl HtmlReporter {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HtmlReporter {
            path: path.into(),
            state: Mutex::default(),
        }
    }
}

impl Reporter for HtmlReporter {
    fn on_event(&self, event: &Event<'_>) {
        let mut state = self.state.lock();
        match event {
            Event::RunStarted(run) => state.start(run),
            Event::CaseFinished(c) => state.add(c),
            Event::Warning { target, warning } => {
                let text = state.targets.get(*target).map(|t| {
                    let label = if state.targets.len() > 1 {
                        &t.label
                    } else {
                        ""
                    };
                    super::console::warning_text(label, warning, &t.redactor)
                });
                state.warnings.extend(text);
            }
            Event::RunFinished(end) => state.end = Some(End::of(end)),
            Event::RunAborted { message } => state.aborted = Some((*message).to_owned()),
        }
    }

    fn finish(&self) -> Result<(), ReportError> {
        let page = self.state.lock().render();
        super::file::write(&self.path, page.as_bytes()).map_err(|source| ReportError::Write {
            kind: "HTML",
            path: self.path.clone(),
            source,
        })
    }
}

impl End {
    fn of(end: &RunFinished) -> End {
        End {
            passed: end.passed,
            failed: end.failed,
            ignored: end.ignored,
            filtered_out: end.filtered_out,
            interrupted: end.interrupted,
            duration: end.duration,
        }
    }
}

impl State {
    fn start(&mut self, run: &RunInfo) {
        let started = chrono::DateTime::<chrono::Utc>::from(run.started);
        self.run = Some((
            run.run_id.clone(),
            started.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ));
        self.scope = match (&run.partition, run.merged.len()) {
            (Some(p), _) => format!("part {p}"),
            (None, 0) => String::new(),
            (None, n) => format!("merged from {n} parts"),
        };
        self.matrix = Matrix::new(run);
        self.targets = run
            .targets
            .iter()
            .map(|t| Target {
                // An endpoint URL could carry credentials (`user:pass@`).
                label: t.redactor.redact(t.label()).into_owned(),
                endpoint: t.redactor.redact(&t.endpoint).into_owned(),
                project_id: t.project_id.clone(),
                auth: t.auth,
                capabilities: t.capabilities.clone(),
                operations: t.operations.iter().map(|(op, _)| op.clone()).collect(),
                redactor: t.redactor.clone(),
                cases: Vec::new(),
            })
            .collect();
    }

    fn add(&mut self, c: &CaseFinished) {
        if let Some(t) = self.targets.get_mut(c.case.target) {
            let row = Row::new(c, &t.redactor);
            t.cases.push(row);
            self.matrix.add(c);
        }
    }
}

impl Row {
    fn new(c: &CaseFinished, target: &Redactor) -> Row {
        let exchange = c.exchange.as_ref().map(|e| {
            let r = target.with_extra(&e.sent_secrets);
            let mut answer = e.status.map_or("no answer".to_owned(), |s| s.to_string());
            if let Some(by) = &e.answered_by {
                answer.push_str(&format!(" (answered by {by})"));
            }
            let line = format!("{} {}", e.method, clip(&r.redact(&e.path), PATH_MAX));
            let line = (line, format!("→ {answer}"));
            let id = e
                .request_id
                .as_deref()
                .map(|id| clip(&r.redact(id), PATH_MAX));
            (line, id)
        });
        let verdict = match &c.outcome {
            Outcome::Passed => Verdict::Passed,
            Outcome::Ignored { reason } => Verdict::Ignored(reason.clone()),
            Outcome::Interrupted => Verdict::Interrupted,
            Outcome::KnownDeviation { reason, failure } => Verdict::Deviation {
                reason: Outcome::deviation_text(reason),
                text: failure::render(failure, &c.case.at, false, &redactor_for(failure, target)),
            },
            Outcome::Failed(f) => {
                let r = redactor_for(f, target);
                Verdict::Failed {
                    kind: failure::kind(f),
                    summary: failure::summary(f, &r),
                    text: failure::render(f, &c.case.at, false, &r),
                }
            }
        };
        let (request, request_id) = exchange.map_or((None, None), |(l, id)| (Some(l), id));
        Row {
            operation: c.case.operation.clone(),
            status: c.case.status,
            id: c.case.id.clone(),
            file: c.case.at.file.display().to_string(),
            line: c.case.at.line,
            request,
            request_id,
            duration: c.duration,
            verdict,
        }
    }

    /// The row's `data-state`: the cell states plus `interrupted`.
    fn state(&self) -> &'static str {
        match self.verdict {
            Verdict::Passed => "passed",
            Verdict::Ignored(_) => "ignored",
            Verdict::Interrupted => "interrupted",
            Verdict::Failed { .. } => "failed",
            Verdict::Deviation { .. } => "deviation",
        }
    }

    /// The verdict as libtest words it.
    fn label(&self) -> &'static str {
        match self.verdict {
            Verdict::Passed => "ok",
            Verdict::Ignored(_) => "ignored",
            Verdict::Interrupted => "interrupted",
            Verdict::Failed { .. } => "FAILED",
            Verdict::Deviation { .. } => "known deviation",
        }
    }

    /// Why the case did not run, if it did not.
    fn reason(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Ignored(reason) => Some(reason),
            Verdict::Interrupted => Some(super::INTERRUPTED),
            Verdict::Deviation { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// `text` safe in HTML text and in quoted attribute values: `& < > " '` become
/// references, and characters XML 1.0 cannot carry (control characters, U+FFFE/U+FFFF)
/// become U+FFFD, so the page parses as XML too. Escape only redacted text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in super::junit::xml_text(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `12.3 ms`, `2.05 s`.
fn human(d: Duration) -> String {
    if d.as_secs() == 0 {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The page's look: state colours for matrix cells and case rows, readable without
/// colour too (every cell and verdict also says it in text). "Show only problems" is
/// CSS only (`:has`): no script runs.
const STYLE: &str = "
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #b3261e; --fail-bg: #ffe0dc;
  --ign: #8a5a00; --ign-bg: #fff1c2; --none: #6e7781; --none-bg: #f0f2f4; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif;
  margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 6px; padding-top: 12px; border-top: 2px solid #d0d7de; }
h3 { font-size: 15px; margin: 20px 0 6px; }
code, pre { font: 12.5px/1.4 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0 2px; padding: 8px 10px;
  background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; }
.meta { color: #57606a; margin: 0 0 8px; }
.meta span + span::before { content: ' · '; }
.result { display: inline-block; font-weight: 600; padding: 4px 10px; border-radius: 4px; }
.result.ok { color: var(--pass); background: var(--pass-bg); }
.result.failed, .aborted { color: var(--fail); background: var(--fail-bg); }
.aborted { padding: 8px 14px; border-radius: 4px; }
.aborted pre { background: #fff; color: #1f2328; }
dl.target { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 6px 0; }
dl.target dt { color: #57606a; } dl.target dd { margin: 0; }
.count { font-weight: 600; margin-right: 12px; }
.count.passed { color: var(--pass); } .count.failed { color: var(--fail); }
.count.ignored { color: var(--ign); } .count.filtered { color: var(--none); }
table { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid #d0d7de; padding: 4px 10px; }
table.matrix thead th { background: #f6f8fa; text-align: center; min-width: 56px; }
table.matrix th[scope='row'] { text-align: left; font-weight: 600; }
table.matrix td { text-align: center; font-weight: 600; }
table.matrix td a { color: inherit; text-decoration: none; display: block; }
td[data-state='passed'] { color: var(--pass); background: var(--pass-bg); }
td[data-state='failed'] { color: var(--fail); background: var(--fail-bg); }
td[data-state='ignored'] { color: var(--ign); background: var(--ign-bg); }
td[data-state='deviation'] { color: var(--ign); background: var(--ign-bg); font-style: italic; }
td[data-state='notrun'] { color: var(--none); background: var(--none-bg); font-weight: 400; }
td.undocumented { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f6f8fa 4px, #f6f8fa 8px); }
.legend { color: #57606a; font-size: 12.5px; margin: 6px 0; }
.legend span { padding: 1px 6px; border-radius: 3px; margin-right: 8px; }
table.cases { width: 100%; }
table.cases th, table.cases td { text-align: left; padding: 4px 8px; vertical-align: top;
  border-bottom: 1px solid #eaeef2; }
table.cases thead th { border-bottom: 2px solid #d0d7de; }
table.cases tr.operation th { background: #f6f8fa; font-size: 14px; padding-top: 8px; }
table.cases td.time { text-align: right; white-space: nowrap; color: #57606a; }
table.cases td.id { width: 22%; }
table.cases td.where { width: 16%; }
table.cases td.request { width: 40%; }
table.cases td.where code, table.cases td.request code { word-break: break-all; }
table.cases td.request-id, table.cases .answer { white-space: nowrap; }
table.cases td.request-id { font-size: 12px; }
.verdict { font-weight: 700; white-space: nowrap; }
tr[data-state='passed'] .verdict { color: var(--pass); }
tr[data-state='failed'] .verdict { color: var(--fail); }
tr[data-state='ignored'] .verdict, tr[data-state='interrupted'] .verdict { color: var(--ign); }
tr[data-state='failed'] { background: #fff8f7; }
.reason { color: var(--ign); }
.summary { color: var(--fail); }
details summary { cursor: pointer; color: #0969da; }
.filter { margin: 10px 0; display: block; }
body:has(#only-problems:checked) tr.case[data-state='passed'],
body:has(#only-problems:checked) table.cases tbody:not(:has(tr.case:not([data-state='passed']))) { display: none; }
footer { margin-top: 40px; color: #57606a; font-size: 12px; }
";

impl State {
    /// The whole page.
    fn render(&mut self) -> String {
        let mut out = String::with_capacity(16 * 1024 + 1024 * self.case_count());
        let title = self.title();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
             <meta charset=\"utf-8\"/>\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            escape(&title)
        );
        self.header(&mut out);
        if let Some(message) = &self.aborted {
            let _ = write!(
                out,
                "<section class=\"aborted\" id=\"aborted\">\n<h2>The run was aborted</h2>\n<pre>{}</pre>\n</section>\n",
                escape(message)
            );
        }
        self.warnings_section(&mut out);
        if self.targets.iter().any(|t| !t.cases.is_empty()) {
            out.push_str(
                "<label class=\"filter\"><input type=\"checkbox\" id=\"only-problems\"/> show only failed and not-run cases</label>\n",
            );
        }
        for i in 0..self.targets.len() {
            self.target_section(&mut out, i);
        }
        let _ = write!(
            out,
            "<footer>Written by aom-conformance {}. Every text from the endpoint is redacted and cut short.</footer>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        );
        out
    }

    fn case_count(&self) -> usize {
        self.targets.iter().map(|t| t.cases.len()).sum()
    }

    /// `aom-conformance: FAILED (2 failed) — cn-north-4`.
    fn title(&self) -> String {
        let verdict = match (&self.aborted, &self.end) {
            (Some(_), _) => "run aborted".to_owned(),
            (None, Some(e)) if e.failed > 0 => format!("FAILED ({} failed)", e.failed),
            (None, Some(e)) if e.interrupted => "interrupted".to_owned(),
            (None, Some(_)) => "ok".to_owned(),
            (None, None) => "incomplete".to_owned(),
        };
        let labels: Vec<&str> = self.targets.iter().map(|t| t.label.as_str()).collect();
        if labels.is_empty() {
            format!("aom-conformance: {verdict}")
        } else {
            format!("aom-conformance: {verdict} — {}", labels.join(", "))
        }
    }

    /// The `<h1>`, the run's id and time, and libtest's result line.
    fn header(&self, out: &mut String) {
        out.push_str("<header>\n<h1>aom-conformance report</h1>\n<p class=\"meta\">");
        if let Some((id, started)) = &self.run {
            let _ = write!(
                out,
                "<span>run <code>{}</code></span><span>started {}</span>",
                escape(id),
                escape(started)
            );
        }
        if !self.scope.is_empty() {
            let _ = write!(out, "<span>{}</span>", escape(&self.scope));
        }
        let _ = write!(
            out,
            "<span>aom-conformance {}</span>",
            env!("CARGO_PKG_VERSION")
        );
        out.push_str("</p>\n");
        if let Some(e) = &self.end {
            let ok = e.failed == 0 && !e.interrupted;
            let _ = writeln!(
                out,
                "<p class=\"result {}\" id=\"result\">test result: {}. {} passed; {} failed; {} ignored; {} filtered out; finished in {}</p>",
                if ok { "ok" } else { "failed" },
                if ok { "ok" } else { "FAILED" },
                e.passed,
                e.failed,
                e.ignored,
                e.filtered_out,
                human(e.duration)
            );
            if e.interrupted {
                out.push_str("<p class=\"result failed\">Interrupted: cases not run or not finished are shown as ignored.</p>\n");
            }
        } else if self.run.is_some() && self.aborted.is_none() {
            out.push_str("<p class=\"result failed\" id=\"result\">The run did not finish.</p>\n");
        }
        out.push_str("</header>\n");
    }

    fn warnings_section(&self, out: &mut String) {
        if self.warnings.is_empty() {
            return;
        }
        out.push_str("<section class=\"warnings\" id=\"warnings\">\n<h2>Warnings</h2>\n<ul>\n");
        for w in &self.warnings {
            let _ = writeln!(out, "<li><code>{}</code></li>", escape(w));
        }
        out.push_str("</ul>\n</section>\n");
    }

    /// One target: heading, facts, counts, matrix, cases.
    fn target_section(&mut self, out: &mut String, i: usize) {
        let Some(t) = self.targets.get_mut(i) else {
            return;
        };
        // Trials end in any order; the page reads in suite order.
        let order = |op: &str| t.operations.iter().position(|o| o == op);
        t.cases.sort_by(|a, b| {
            (order(&a.operation), a.status, &a.file, a.line, &a.id).cmp(&(
                order(&b.operation),
                b.status,
                &b.file,
                b.line,
                &b.id,
            ))
        });
        let t = &self.targets[i];
        let label = escape(&t.label);
        let capabilities = if t.capabilities.is_empty() {
            "none".to_owned()
        } else {
            t.capabilities.join(", ")
        };
        let _ = write!(
            out,
            "<section class=\"target\" id=\"t{i}\" data-target=\"{label}\">\n<h2>{label}</h2>\n\
             <dl class=\"target\"><dt>endpoint</dt><dd><code>{}</code></dd>\
             <dt>project</dt><dd><code>{}</code></dd><dt>auth</dt><dd>{}</dd>\
             <dt>capabilities</dt><dd>{}</dd></dl>\n",
            escape(&t.endpoint),
            escape(&t.project_id),
            escape(t.auth),
            escape(&capabilities)
        );
        let totals = self
            .matrix
            .targets
            .get(i)
            .map(|m| m.totals())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p class=\"counts\"><span class=\"count passed\">{} passed</span><span class=\"count failed\">{} failed</span><span class=\"count ignored\">{} ignored</span></p>",
            totals.passed, totals.failed, totals.ignored
        );
        self.matrix_table(out, i);
        cases_table(out, i, t);
        out.push_str("</section>\n");
    }

    /// The matrix: a row per operation, a column per status any operation documents.
    fn matrix_table(&self, out: &mut String, i: usize) {
        let (Some(m), Some(t)) = (self.matrix.targets.get(i), self.targets.get(i)) else {
            return;
        };
        let statuses = m.statuses();
        let label = escape(&t.label);
        let _ = write!(
            out,
            "<h3>Operation × documented status</h3>\n<table class=\"matrix\" data-target=\"{label}\">\n<thead><tr><th scope=\"col\">operation</th>"
        );
        for s in &statuses {
            let _ = write!(out, "<th scope=\"col\">{s}</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        let cells = cell_rows(t);
        for (op_index, (op, counts)) in m.rows.iter().enumerate() {
            let op_html = escape(op);
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><a href=\"#t{i}-o{op_index}\">{op_html}</a></th>"
            );
            for s in &statuses {
                match counts.get(s) {
                    None => {
                        out.push_str("<td class=\"undocumented\" title=\"not documented\"></td>")
                    }
                    Some(c) => {
                        let cell = Cell {
                            target: &label,
                            operation: &op_html,
                            status: *s,
                            counts: c,
                            rows: cells.get(&(op.as_str(), *s)).map_or(&[], Vec::as_slice),
                        };
                        cell.render(out, i, t);
                    }
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        out.push_str(
            "<p class=\"legend\"><span style=\"background: var(--pass-bg)\">✓ N passed</span><span style=\"background: var(--fail-bg)\">✗ F/N failed</span><span style=\"background: var(--ign-bg)\">– N ignored (reason on hover)</span><span style=\"background: var(--none-bg)\">· not run in this run</span>blank: not documented</p>\n",
        );
    }
}

/// Per `(operation, status)`: the indices of its cases in the (sorted) case list.
fn cell_rows(t: &Target) -> BTreeMap<(&str, u16), Vec<usize>> {
    let mut cells: BTreeMap<(&str, u16), Vec<usize>> = BTreeMap::new();
    for (j, row) in t.cases.iter().enumerate() {
        cells
            .entry((row.operation.as_str(), row.status))
            .or_default()
            .push(j);
    }
    cells
}

/// One matrix cell, with what it needs to render (texts already escaped).
struct Cell<'a> {
    target: &'a str,
    operation: &'a str,
    status: u16,
    counts: &'a Counts,
    /// Its cases, as indices into the target's case list.
    rows: &'a [usize],
}

impl Cell<'_> {
    fn render(&self, out: &mut String, i: usize, t: &Target) {
        let c = self.counts;
        let (state, text) = match c.state() {
            CellState::Passed => ("passed", format!("✓ {}", c.passed)),
            CellState::Failed => ("failed", format!("✗ {}/{}", c.failed, c.total())),
            CellState::Ignored => ("ignored", format!("– {}", c.ignored)),
            CellState::NotRun => ("notrun", "·".to_owned()),
            CellState::Deviation => ("deviation", format!("≈ {}", c.deviations)),
        };
        let _ = write!(
            out,
            "<td data-target=\"{}\" data-operation=\"{}\" data-status=\"{}\" data-state=\"{state}\" data-passed=\"{}\" data-failed=\"{}\" data-ignored=\"{}\" title=\"{}\">",
            self.target,
            self.operation,
            self.status,
            c.passed,
            c.failed,
            c.ignored,
            // A newline in an attribute is a space to an XML parser; a reference is not.
            escape(&self.hover(t)).replace('\n', "&#10;")
        );
        match self.rows.first() {
            Some(j) => {
                let _ = write!(out, "<a href=\"#t{i}-c{j}\">{text}</a></td>");
            }
            None => {
                let _ = write!(out, "{text}</td>");
            }
        }
    }

    /// The tooltip: the counts, the reasons cases were not run, the failed cases.
    fn hover(&self, t: &Target) -> String {
        let c = self.counts;
        if c.total() == 0 {
            return "no case of this status was selected in this run".to_owned();
        }
        let mut parts = vec![format!(
            "{} passed, {} failed, {} ignored",
            c.passed, c.failed, c.ignored
        )];
        let rows = self.rows.iter().filter_map(|j| t.cases.get(*j));
        let mut reasons: Vec<&str> = rows.clone().filter_map(Row::reason).collect();
        reasons.sort_unstable();
        reasons.dedup();
        parts.extend(reasons.iter().map(|r| format!("ignored: {r}")));
        parts.extend(
            rows.filter(|r| matches!(r.verdict, Verdict::Failed { .. }))
                .map(|r| format!("failed: {}", r.id)),
        );
        parts.join("\n")
    }
}

/// Every case of target `i`, grouped by operation in suite order.
fn cases_table(out: &mut String, i: usize, t: &Target) {
    if t.cases.is_empty() {
        out.push_str("<p class=\"no-cases\">No case of this target ran.</p>\n");
        return;
    }
    let _ = write!(
        out,
        "<h3>Cases</h3>\n<table class=\"cases\" data-target=\"{}\">\n<thead><tr><th>verdict</th><th>case</th><th>where</th><th>request</th><th>X-Request-Id</th><th>time</th></tr></thead>\n",
        escape(&t.label)
    );
    let mut current: Option<&str> = None;
    for (j, row) in t.cases.iter().enumerate() {
        if current != Some(row.operation.as_str()) {
            if current.is_some() {
                out.push_str("</tbody>\n");
            }
            let op = escape(&row.operation);
            let op_index = t.operations.iter().position(|o| *o == row.operation);
            let id = op_index.map_or(String::new(), |k| format!(" id=\"t{i}-o{k}\""));
            let _ = write!(
                out,
                "<tbody data-operation=\"{op}\">\n<tr class=\"operation\"><th colspan=\"6\"{id}>{op}</th></tr>\n"
            );
            current = Some(row.operation.as_str());
        }
        case_row(out, i, j, row);
    }
    out.push_str("</tbody>\n</table>\n");
}

/// One case: the verdict row, and for a failure the expandable failure text under it.
fn case_row(out: &mut String, i: usize, j: usize, row: &Row) {
    let (state, verdict) = (row.state(), row.label());
    let _ = write!(
        out,
        "<tr class=\"case\" id=\"t{i}-c{j}\" data-case=\"{}\" data-status=\"{}\" data-state=\"{state}\"><td class=\"verdict\">{verdict}</td><td class=\"id\">{}",
        escape(&row.id),
        row.status,
        escape(&row.id)
    );
    if let Some(reason) = row.reason() {
        let _ = write!(out, "<div class=\"reason\">{}</div>", escape(reason));
    }
    if let Verdict::Failed { kind, summary, .. } = &row.verdict {
        let _ = write!(
            out,
            "<div class=\"summary\" data-kind=\"{}\">{}</div>",
            escape(kind),
            escape(summary)
        );
    }
    let _ = writeln!(
        out,
        "</td><td class=\"where\"><code>{}:{}</code></td><td class=\"request\">{}</td><td class=\"request-id\">{}</td><td class=\"time\">{}</td></tr>",
        escape(&row.file),
        row.line,
        row.request
            .as_ref()
            .map_or("not sent".to_owned(), |(line, answer)| format!(
                "<code>{}</code> <span class=\"answer\">{}</span>",
                escape(line),
                escape(answer)
            )),
        row.request_id
            .as_deref()
            .map_or(String::new(), |id| format!("<code>{}</code>", escape(id))),
        // A case that did not run took no time worth showing.
        if row.reason().is_some() {
            String::new()
        } else {
            human(row.duration)
        }
    );
    if let Verdict::Failed { text, .. } | Verdict::Deviation { text, .. } = &row.verdict {
        let _ = writeln!(
            out,
            "<tr class=\"detail\" data-case=\"{}\" data-state=\"failed\"><td></td><td colspan=\"5\"><details><summary>failure: expected vs actual, response excerpt</summary><pre class=\"failure\">{}</pre></details></td></tr>",
            escape(&row.id),
            escape(text)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup_and_no_character_xml_refuses() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(
            escape("a\u{1b}[31m\u{0}b\tc 密"),
            "a\u{FFFD}[31m\u{FFFD}b\tc 密"
        );
    }
}
