//! Failure messages: short enough for a CI log, located like rustc
//! (`--> specs/stop-execution.yaml:40:5`), with expected vs actual and a response excerpt.

use std::fmt::Write as _;

use colored::Colorize;

use crate::check::Mismatch;
use crate::http::{Rendered, Response, TransportError};
use crate::spec::Location;

/// Longest response excerpt, in characters.
const EXCERPT: usize = 300;

/// What went wrong in one case, before it is turned into text.
pub enum Failure<'a> {
    /// The response does not match.
    Mismatch {
        request: &'a Rendered,
        response: &'a Response,
        mismatches: &'a [Mismatch],
    },
    /// No response at all.
    Transport {
        request: &'a Rendered,
        error: &'a TransportError,
    },
    /// A setup step did not answer as needed.
    Setup {
        step: usize,
        at: &'a Location,
        request: &'a Rendered,
        problem: String,
        response: Option<&'a Response>,
    },
}

impl Failure<'_> {
    /// Credential header values the failing request carried (see `Response::sent_secrets`).
    pub fn sent_secrets(&self) -> &[String] {
        match self {
            Failure::Mismatch { response, .. } => &response.sent_secrets,
            Failure::Setup {
                response: Some(r), ..
            } => &r.sent_secrets,
            _ => &[],
        }
    }

    pub fn kind(&self) -> String {
        match self {
            Failure::Mismatch { mismatches, .. } => mismatches
                .first()
                .map_or("mismatch", Mismatch::kind)
                .to_owned(),
            Failure::Transport { error, .. } => match error {
                TransportError::Timeout(_) => "timeout".into(),
                _ => "transport".into(),
            },
            Failure::Setup { .. } => "setup".into(),
        }
    }

    /// The message; `color` adds ANSI colours for a terminal.
    pub fn render(&self, case_at: &Location, color: bool) -> String {
        let paint = |s: String, f: fn(&str) -> colored::ColoredString| {
            if color { f(&s).to_string() } else { s }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} {case_at}",
            paint("-->".into(), |s| s.blue().bold())
        );
        match self {
            Failure::Mismatch {
                request,
                response,
                mismatches,
            } => {
                let _ = writeln!(
                    out,
                    "    {} → {} in {}",
                    request.line(),
                    response.status,
                    human(response.elapsed)
                );
                for m in *mismatches {
                    let _ = writeln!(out, "    {}", paint(m.to_string(), |s| s.red()));
                }
                let _ = writeln!(out, "    response: {}", excerpt(&response.body));
            }
            Failure::Transport { request, error } => {
                let _ = writeln!(out, "    {}", request.line());
                let _ = writeln!(out, "    {}", paint(error.to_string(), |s| s.red()));
            }
            Failure::Setup {
                step,
                at,
                request,
                problem,
                response,
            } => {
                let _ = writeln!(
                    out,
                    "    setup step {} at {at}: {}",
                    step + 1,
                    request.line()
                );
                let _ = writeln!(out, "    {}", paint(problem.clone(), |s| s.red()));
                if let Some(r) = response {
                    let _ = writeln!(out, "    response: {}", excerpt(&r.body));
                }
            }
        }
        out.truncate(out.trim_end().len());
        out
    }
}

/// `0.4ms`, `12.3ms`, `2.05s`.
fn human(d: std::time::Duration) -> String {
    if d.as_secs() == 0 {
        format!("{:.1}ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// The body on one line, cut to [`EXCERPT`] characters. JSON is re-serialized compactly.
pub fn excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => v.to_string(),
        Err(_) => String::from_utf8_lossy(body)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    if text.chars().count() > EXCERPT {
        let cut: String = text.chars().take(EXCERPT).collect();
        format!("{cut}… ({} bytes)", body.len())
    } else {
        text
    }
}
