//! A comparison's result ([`Fidelity`]) as text: the console summary (short enough for a
//! CI log), the JSON report (`schemas/fidelity-report.schema.json`) and a self-contained
//! HTML page. Every value in a [`Fidelity`] was redacted when it was observed; here it
//! is only cut short.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::ReportError;
use super::html::escape;
use super::text::{VALUE_MAX, clip, one_line};
use crate::fidelity::compare::{Difference, Fidelity, percent};

/// Differences listed on the console; the rest are counted (the reports have them all).
const CONSOLE_DIFFERENCES: usize = 40;
/// Cases not compared that the console names; the rest are counted.
const CONSOLE_NOT_COMPARED: usize = 10;
/// Longest value a JSON or HTML report shows.
const REPORT_VALUE_MAX: usize = 2000;

/// `97.1%`: one decimal, never rounded up to 100 while a case disagrees.
fn pct(agreeing: usize, compared: usize) -> String {
    let p = percent(agreeing, compared);
    let shown = (p * 10.0).floor() / 10.0;
    format!("{shown:.1}%")
}

fn value(text: &str, max: usize) -> String {
    clip(&one_line(text), max)
}

/// `request status` / `setup 1 shape /items/*/id` / `verdict`.
fn what(d: &Difference) -> String {
    let aspect = serde_json::to_value(d.aspect)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
        .replace('_', " ");
    [d.call.as_str(), aspect.as_str(), d.pointer.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The console summary: the score, the operations below 100%, every difference (up to
/// [`CONSOLE_DIFFERENCES`]) and the cases not compared.
pub fn console(f: &Fidelity) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fidelity of {} against {}: {} ({}/{} cases agree)",
        f.candidate,
        f.reference,
        pct(f.agreeing(), f.compared()),
        f.agreeing(),
        f.compared()
    );
    let width = f
        .operations
        .iter()
        .map(|o| o.operation.len())
        .max()
        .unwrap_or(0);
    for o in f.operations.iter().filter(|o| o.agreeing < o.compared) {
        let _ = writeln!(
            out,
            "  {:width$}  {:>6}  ({}/{})",
            o.operation,
            pct(o.agreeing, o.compared),
            o.agreeing,
            o.compared
        );
    }
    if !f.differences.is_empty() {
        let _ = writeln!(out, "differences ({}):", f.differences.len());
    }
    let mut last_case = "";
    for d in f.differences.iter().take(CONSOLE_DIFFERENCES) {
        if d.case != last_case {
            let _ = writeln!(out, "  {} ({})", d.case, d.at);
            last_case = &d.case;
        }
        let _ = writeln!(
            out,
            "    {}: reference {} · candidate {}",
            what(d),
            value(&d.reference, VALUE_MAX),
            value(&d.candidate, VALUE_MAX)
        );
    }
    if f.differences.len() > CONSOLE_DIFFERENCES {
        let _ = writeln!(
            out,
            "  … and {} more (all in --report json/html)",
            f.differences.len() - CONSOLE_DIFFERENCES
        );
    }
    if !f.not_compared.is_empty() {
        let _ = writeln!(out, "not compared ({}):", f.not_compared.len());
        for n in f.not_compared.iter().take(CONSOLE_NOT_COMPARED) {
            let _ = writeln!(out, "  {}: {}", n.case, n.reason);
        }
        if f.not_compared.len() > CONSOLE_NOT_COMPARED {
            let _ = writeln!(
                out,
                "  … and {} more",
                f.not_compared.len() - CONSOLE_NOT_COMPARED
            );
        }
    }
    out
}

/// The JSON report: one document, `schemas/fidelity-report.schema.json`.
pub fn json(f: &Fidelity, min_fidelity: f64) -> Result<String, ReportError> {
    let differences: Vec<serde_json::Value> = f
        .differences
        .iter()
        .map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or_default();
            v["reference"] = value(&d.reference, REPORT_VALUE_MAX).into();
            v["candidate"] = value(&d.candidate, REPORT_VALUE_MAX).into();
            v
        })
        .collect();
    let operations: Vec<serde_json::Value> = f
        .operations
        .iter()
        .map(|o| json!({"operation": o.operation, "compared": o.compared, "agreeing": o.agreeing, "fidelity": percent(o.agreeing, o.compared)}))
        .collect();
    let doc = json!({
        "report": "aom-conformance fidelity",
        "version": 1,
        "reference": f.reference,
        "candidate": f.candidate,
        "fidelity": f.percent(),
        "min_fidelity": min_fidelity,
        "compared": f.compared(),
        "agreeing": f.agreeing(),
        "operations": operations,
        "differences": differences,
        "not_compared": f.not_compared,
    });
    serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Serialize {
        kind: "JSON",
        message: e.to_string(),
    })
}

/// The HTML report: one page, no scripts, no outside resources.
pub fn html(f: &Fidelity) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>aom-conformance fidelity</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}td.n{text-align:right}tr.low td{background:#fde8e8}code{font:13px ui-monospace,monospace}</style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>Fidelity</h1>\n<p id=\"score\">{} against {}: <strong>{}</strong> ({} of {} cases agree)</p>",
        escape(&f.candidate),
        escape(&f.reference),
        pct(f.agreeing(), f.compared()),
        f.agreeing(),
        f.compared()
    );
    html_differences(&mut out, f);
    html_operations(&mut out, f);
    html_not_compared(&mut out, f);
    out.push_str("</body></html>\n");
    out
}

/// Every difference, first: what a person opened the page for.
fn html_differences(out: &mut String, f: &Fidelity) {
    let _ = writeln!(
        out,
        "<h2>Differences ({})</h2>\n<table id=\"differences\"><tr><th>case</th><th>where</th><th>what</th><th>reference</th><th>candidate</th></tr>",
        f.differences.len()
    );
    for d in &f.differences {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            escape(&d.case),
            escape(&d.at),
            escape(&what(d)),
            escape(&value(&d.reference, REPORT_VALUE_MAX)),
            escape(&value(&d.candidate, REPORT_VALUE_MAX))
        );
    }
    out.push_str("</table>\n");
}

/// The score of each operation; those below 100% are shaded.
fn html_operations(out: &mut String, f: &Fidelity) {
    out.push_str("<h2>Per operation</h2>\n<table id=\"operations\"><tr><th>operation</th><th>fidelity</th><th>agree</th><th>compared</th></tr>\n");
    for o in &f.operations {
        let class = if o.agreeing < o.compared {
            " class=\"low\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&o.operation),
            pct(o.agreeing, o.compared),
            o.agreeing,
            o.compared
        );
    }
    out.push_str("</table>\n");
}

fn html_not_compared(out: &mut String, f: &Fidelity) {
    let _ = writeln!(
        out,
        "<h2>Not compared ({})</h2>\n<ul id=\"not-compared\">",
        f.not_compared.len()
    );
    for n in &f.not_compared {
        let _ = writeln!(out, "<li>{}: {}</li>", escape(&n.case), escape(&n.reason));
    }
    out.push_str("</ul>\n");
}

/// Writes `contents` as the `kind` report at `path`.
pub fn write(kind: &'static str, path: &Path, contents: &str) -> Result<(), ReportError> {
    super::file::write(path, contents.as_bytes()).map_err(|source| ReportError::Write {
        kind,
        path: path.to_owned(),
        source,
    })
}
