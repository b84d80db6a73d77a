//! Known deviations (`run --baseline FILE`): entries naming cases (an exact id or a glob,
//! optionally for one target) that are known to fail, with the reason, a link and an
//! expiry date. A failing case an entry covers is a *known deviation* — neither a failure
//! nor a pass — so one long-known deviation does not keep CI red or get its case deleted
//! (what ceph/s3-tests does with `fails_on_*`). An entry whose case now passes is reported
//! as fixed; an expired entry, an entry without a reason, and an entry that matches no
//! case are located errors before anything runs.
//!
//! The file's shape is `schemas/baseline.schema.json`.

use std::path::Path;
use std::sync::atomic::Ordering;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::spec::locate::Seg;
use crate::spec::{Diagnostic, Diagnostics, Location};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    #[serde(default)]
    entries: Vec<EntryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    /// A case id (`StopExecution [400] terminating the same execution twice`), where `*`
    /// and `?` are wildcards (`StopExecution [400] *`); brackets are literal.
    case: String,
    /// Only for this target (its name); every target when absent.
    #[serde(default)]
    target: Option<String>,
    /// Why the deviation is accepted: required, so no entry outlives its reason.
    #[serde(default)]
    reason: String,
    #[serde(default)]
    link: Option<String>,
    /// `YYYY-MM-DD`: from that day on the entry is an error, to be renewed or removed.
    #[serde(default)]
    expires: Option<String>,
}

/// One accepted deviation.
#[derive(Debug)]
pub struct Entry {
    matcher: GlobMatcher,
    pub pattern: String,
    target: Option<String>,
    pub reason: String,
    pub link: Option<String>,
    pub at: Location,
}

/// The loaded baseline; empty without `--baseline`.
#[derive(Debug, Default)]
pub struct Baseline {
    entries: Vec<Entry>,
    /// Cases an entry covers that passed.
    fixed: std::sync::atomic::AtomicUsize,
}

impl Baseline {
    /// Reads `path`; every entry needs a reason, and none may have expired by `today`
    /// (`YYYY-MM-DD`).
    pub fn load(path: &Path, today: time::Date) -> Result<Baseline, Diagnostics> {
        let (file, locator): (BaselineFile, _) =
            crate::spec::load::parse_yaml(path).map_err(|d| Diagnostics(vec![d]))?;
        let mut diags = Diagnostics::default();
        let mut entries = Vec::with_capacity(file.entries.len());
        for (i, e) in file.entries.into_iter().enumerate() {
            let at = |field: &'static str| {
                locator.value(&[Seg::from("entries"), i.into(), field.into()])
            };
            let matcher = match Glob::new(&wildcards_only(&e.case)) {
                Ok(g) => g.compile_matcher(),
                Err(err) => {
                    diags.push(at("case"), format!("not a case id or glob: {}", err.kind()));
                    continue;
                }
            };
            if e.reason.trim().is_empty() {
                diags.push(
                    at("case"),
                    "an entry needs a `reason:` (why the deviation is accepted)",
                );
            }
            if let Some(problem) = e.expires.as_deref().and_then(|d| expired(d, today)) {
                diags.push(at("expires"), problem);
            }
            entries.push(Entry {
                matcher,
                pattern: e.case,
                target: e.target,
                reason: e.reason,
                link: e.link,
                at: locator.value(&[Seg::from("entries"), i.into()]),
            });
        }
        diags.into_result().map(|()| Baseline {
            entries,
            fixed: Default::default(),
        })
    }

    /// Every entry that matches none of `cases` (`(target name, case id)`): a typo or a
    /// case since renamed, either way an entry that silently covers nothing.
    pub fn unmatched(&self, cases: &[(&str, &str)]) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for e in &self.entries {
            if !cases.iter().any(|(t, id)| e.covers(t, id)) {
                let message = format!("baseline entry {:?} matches no case of this run", e.pattern);
                diags.push(e.at.clone(), message);
            }
        }
        diags
    }

    /// [`Baseline::unmatched`] by case id alone (`lint` has no targets).
    pub fn unmatched_ignoring_targets(&self, cases: &[(&str, &str)]) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for e in &self.entries {
            if !cases.iter().any(|(_, id)| e.matcher.is_match(id)) {
                let message = format!(
                    "baseline entry {:?} matches no case of the suite",
                    e.pattern
                );
                diags.push(e.at.clone(), message);
            }
        }
        diags
    }

    /// The entry covering case `id` on `target`, if any.
    pub fn entry(&self, target: &str, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.covers(target, id))
    }

    pub fn count_fixed(&self) {
        self.fixed.fetch_add(1, Ordering::Relaxed);
    }

    /// How many covered cases passed in this run.
    pub fn fixed(&self) -> usize {
        self.fixed.load(Ordering::Relaxed)
    }
}

impl Entry {
    fn covers(&self, target: &str, id: &str) -> bool {
        self.target.as_deref().is_none_or(|t| t == target) && self.matcher.is_match(id)
    }
}

/// `Some(problem)` when `date` is not a date or is `today` or earlier.
fn expired(date: &str, today: time::Date) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(date, &format) {
        Err(_) => Some(format!("{date:?} is not a date (YYYY-MM-DD)")),
        Ok(d) if d <= today => Some(format!(
            "this entry expired on {date}: check whether the deviation still stands, then renew or remove it"
        )),
        Ok(_) => None,
    }
}

/// Today's date (UTC), for expiry.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// A baseline (YAML) covering every failed case of a JSON run report (`--report json`),
/// each with an empty `reason:` for a person to fill in (loading refuses it until then).
pub fn from_report(report: &str) -> Result<String, Diagnostic> {
    let mut out = String::from(
        "# Known deviations, written from a run report. Fill in every `reason:` (required),\n# and give `expires:` (YYYY-MM-DD) where the deviation should be re-checked.\nentries:\n",
    );
    for (n, line) in report.lines().enumerate() {
        let bad = |message: String| Diagnostic {
            at: Location::new("<report>", n + 1, 1),
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(format!("not a JSON line: {e}")))?;
        if v["event"] != "case_finished" || v["outcome"] != "failed" {
            continue;
        }
        let id = v["id"]
            .as_str()
            .ok_or_else(|| bad("a case without an id".into()))?;
        out.push_str(&format!("  - case: {}\n", yaml_string(id)));
        if let Some(t) = v["target"].as_str().filter(|t| !t.is_empty()) {
            out.push_str(&format!("    target: {}\n", yaml_string(t)));
        }
        out.push_str("    reason: \"\"\n");
    }
    Ok(out)
}

/// `pattern` as a glob in which only `*` and `?` are special: case ids are full of
/// brackets (`[400]`), which a glob would read as character classes.
fn wildcards_only(pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| match c {
            '[' | ']' | '{' | '}' | '\\' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

fn yaml_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_are_literal_and_star_and_question_mark_are_wildcards() {
        let g = |p: &str| Glob::new(&wildcards_only(p)).unwrap().compile_matcher();
        let id = "StopExecution [400] terminating the same execution twice";
        assert!(g(id).is_match(id));
        assert!(!g(id).is_match("StopExecution 4 terminating the same execution twice"));
        assert!(g("StopExecution [400] *").is_match(id));
        assert!(g("* [4??] *").is_match(id));
        assert!(!g("StopExecution [401] *").is_match(id));
    }

    #[test]
    fn expiry_is_checked_against_today() {
        let today = time::macros::date!(2026 - 11 - 25);
        assert!(expired("2026-11-26", today).is_none());
        assert!(
            expired("2026-11-25", today)
                .unwrap()
                .contains("expired on 2026-11-25")
        );
        assert!(expired("next week", today).unwrap().contains("not a date"));
    }
}
