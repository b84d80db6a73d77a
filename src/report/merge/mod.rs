//! `report merge`: the JSON reports of a run's parts (`run --partition`) → one run.
//! Owns the rule for what combines: exactly the parts 1..N of one partition, of one
//! suite, on the same targets, every case in one part only. The result is typed events
//! again ([`Merged::replay`]), so the console, JUnit, JSON and HTML reporters write the
//! merged run as they write any run: no second writer of any format.

mod read;

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Event, PartRun, Reporters, RunFinished, RunInfo, TargetInfo};
use crate::plan::partition::Partition;
use crate::spec::Location;
use read::{Ending, PartReport, Recorded};

/// Why the reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A report cannot be read at all (bad input).
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line is not JSON, or not a line of a JSON report as this version writes it
    /// (bad input).
    #[error("{at}: {message}")]
    Corrupt { at: Location, message: String },
    /// The report stops before `run_finished`: its run did not finish, or the file was
    /// cut short (bad input).
    #[error(
        "{}: ends before its run_finished line: the part did not finish, or the file was cut short",
        .path.display()
    )]
    Unfinished { path: PathBuf },
    /// `report merge` was given no report.
    #[error("no report given: name every part's JSON report (`run --report json PATH`)")]
    NoReports,
    /// A part ran no case: its report ends in `run_aborted`.
    #[error("{at}: this part ran no case (run_aborted): {message}")]
    Aborted { at: Location, message: String },
    /// A report is not of the same run as the first one given: another partition
    /// scheme, suite or set of targets. `at` is its `run_started` line.
    #[error("{at}: not a part of the same run as {}: {what}", .first.display())]
    Different {
        at: Location,
        first: PathBuf,
        what: String,
    },
    /// Two reports are the same part.
    #[error("{at}: part {partition} again: {} is that part too", .first.display())]
    DuplicatePart {
        at: Location,
        first: PathBuf,
        partition: Partition,
    },
    /// Parts of the partition have no report.
    #[error("{} missing: no report of {} (given: {})", plural(.missing.len()), list(.missing), list(.given))]
    MissingParts {
        missing: Vec<String>,
        given: Vec<String>,
    },
    /// One case is reported by two parts (or twice by one).
    #[error("{at}: case {case:?} is reported twice: also at {first}")]
    CaseTwice {
        at: Location,
        first: Location,
        case: String,
    },
}

impl MergeError {
    /// Whether a report itself is unreadable or malformed, rather than the reports not
    /// making up one run.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            MergeError::Read { .. } | MergeError::Corrupt { .. } | MergeError::Unfinished { .. }
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "a part is" } else { "parts are" }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// The parts as one run.
pub struct Merged {
    pub info: RunInfo,
    events: Vec<Recorded>,
    pub end: RunFinished,
}

impl Merged {
    /// Every event of the merged run, in part order, to `reporters`.
    pub fn replay(&self, reporters: &Reporters) {
        reporters.emit(&Event::RunStarted(&self.info));
        for e in &self.events {
            match e {
                Recorded::Case { case, .. } => reporters.emit(&Event::CaseFinished(case)),
                Recorded::Warning { target, warning } => reporters.emit(&Event::Warning {
                    target: *target,
                    warning,
                }),
            }
        }
        reporters.emit(&Event::RunFinished(&self.end));
    }
}

/// Reads the reports at `paths` and combines them.
pub fn merge(paths: &[PathBuf]) -> Result<Merged, MergeError> {
    if paths.is_empty() {
        return Err(MergeError::NoReports);
    }
    let mut parts = Vec::with_capacity(paths.len());
    for path in paths {
        parts.push(read::read(path)?);
    }
    let mut ends = Vec::with_capacity(parts.len());
    for p in &parts {
        match &p.end {
            Ending::Finished(end) => ends.push(end),
            Ending::Aborted { line, message } => {
                return Err(MergeError::Aborted {
                    at: Location::new(&p.path, *line, 1),
                    message: message.clone(),
                });
            }
        }
    }
    let (first, rest) = parts.split_first().ok_or(MergeError::NoReports)?;
    for other in rest {
        if let Some(what) = difference(&first.info, &other.info) {
            return Err(MergeError::Different {
                at: Location::new(&other.path, 1, 1),
                first: first.path.clone(),
                what,
            });
        }
    }
    let order = part_order(&parts)?;
    check_cases(&parts)?;
    let end = combined_end(&ends);
    combine(parts, &order, end)
}

/// What makes `b` not a part of the same run as `a`, if anything.
fn difference(a: &RunInfo, b: &RunInfo) -> Option<String> {
    let scheme = |i: &RunInfo| i.partition.map(|p| (p.scheme, p.total));
    let describe = |i: &RunInfo| {
        i.partition
            .map_or("a whole run (no --partition)".to_owned(), |p| {
                format!("part {p}")
            })
    };
    if a.partition.is_none() && b.partition.is_none() {
        return Some("both are whole runs (no --partition): there is nothing to merge".into());
    }
    if scheme(a) != scheme(b) {
        return Some(format!("it is {}, that one {}", describe(b), describe(a)));
    }
    if a.suite != b.suite {
        return Some(format!(
            "another suite: its case list differs ({} here, {} there)",
            b.suite, a.suite
        ));
    }
    if a.selection != b.selection {
        let shown = |s: &str| {
            if s.is_empty() {
                "every case".to_owned()
            } else {
                s.to_owned()
            }
        };
        return Some(format!(
            "another selection of cases: {} here, {} there",
            shown(&b.selection),
            shown(&a.selection)
        ));
    }
    if a.targets.len() != b.targets.len() {
        return Some(format!(
            "{} target(s) here, {} there",
            b.targets.len(),
            a.targets.len()
        ));
    }
    a.targets
        .iter()
        .zip(&b.targets)
        .find_map(|(x, y)| target_difference(x, y))
}

/// How target `b` differs from `a`. On loopback, endpoint and project may differ: each
/// CI machine runs its own mock (the embedded one: a free port, a fresh project).
fn target_difference(a: &TargetInfo, b: &TargetInfo) -> Option<String> {
    let label = if a.name.is_empty() {
        String::new()
    } else {
        format!("target {}: ", a.name)
    };
    let loopback = crate::net::is_loopback_url;
    let local = loopback(&a.endpoint) && loopback(&b.endpoint);
    let differs: Option<(&str, String, String)> = if a.name != b.name {
        Some(("target", b.name.clone(), a.name.clone()))
    } else if a.endpoint != b.endpoint && !local {
        Some(("endpoint", b.endpoint.clone(), a.endpoint.clone()))
    } else if a.project_id != b.project_id && !local {
        Some(("project", b.project_id.clone(), a.project_id.clone()))
    } else if a.auth != b.auth {
        Some(("auth", b.auth.to_owned(), a.auth.to_owned()))
    } else if a.region != b.region {
        let r = |t: &TargetInfo| t.region.clone().unwrap_or_else(|| "none".into());
        Some(("region", r(b), r(a)))
    } else if a.capabilities != b.capabilities {
        Some((
            "capabilities",
            b.capabilities.join(","),
            a.capabilities.join(","),
        ))
    } else if a.operations != b.operations || a.cases != b.cases {
        Some(("suite", "other operations".into(), "these".into()))
    } else {
        None
    };
    differs.map(|(what, here, there)| format!("{label}{what} {here:?} here, {there:?} there"))
}

/// The parts' indexes into `parts`, in part order: each part of the partition once.
fn part_order(parts: &[PartReport]) -> Result<Vec<usize>, MergeError> {
    let first = parts.first().and_then(|p| p.info.partition);
    let Some(total) = first.map(|p| p.total) else {
        // A whole run (checked by `difference` to be the only report): nothing to order.
        return Ok(vec![0]);
    };
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for (i, p) in parts.iter().enumerate() {
        let Some(partition) = p.info.partition else {
            continue;
        };
        if let Some(&first) = seen.get(&partition.part) {
            return Err(MergeError::DuplicatePart {
                at: Location::new(&p.path, 1, 1),
                first: parts[first].path.clone(),
                partition,
            });
        }
        seen.insert(partition.part, i);
    }
    let scheme = first.map_or("", |p| p.scheme.name());
    let name = |m: u64| format!("{scheme}:{m}/{total}");
    let missing: Vec<String> = (1..=total)
        .filter(|m| !seen.contains_key(m))
        .map(name)
        .collect();
    if !missing.is_empty() {
        let mut given: Vec<u64> = seen.keys().copied().collect();
        given.sort_unstable();
        return Err(MergeError::MissingParts {
            missing,
            given: given.into_iter().map(name).collect(),
        });
    }
    Ok((1..=total).map(|m| seen[&m]).collect())
}

/// Each (target, case) reported once over all parts.
fn check_cases(parts: &[PartReport]) -> Result<(), MergeError> {
    let mut seen: HashMap<(usize, &str), Location> = HashMap::new();
    for p in parts {
        for e in &p.events {
            let Recorded::Case { line, case } = e else {
                continue;
            };
            let at = Location::new(&p.path, *line, 1);
            let key = (case.case.target, case.case.id.as_str());
            if let Some(first) = seen.get(&key) {
                return Err(MergeError::CaseTwice {
                    at,
                    first: first.clone(),
                    case: case.case.id.clone(),
                });
            }
            seen.insert(key, at);
        }
    }
    Ok(())
}

/// The parts' counts added up. The run took as long as its slowest part (they run side
/// by side), and exits as its most severe part: an interrupted one, else the highest
/// code.
fn combined_end(ends: &[&RunFinished]) -> RunFinished {
    let sum = |f: fn(&RunFinished) -> u64| ends.iter().map(|e| f(e)).sum();
    let exit_code = ends
        .iter()
        .map(|e| (e.interrupted, e.exit_code))
        .max()
        .map_or(0, |(_, code)| code);
    RunFinished {
        passed: sum(|e| e.passed),
        failed: sum(|e| e.failed),
        ignored: sum(|e| e.ignored),
        filtered_out: sum(|e| e.filtered_out),
        interrupted: ends.iter().any(|e| e.interrupted),
        duration: ends.iter().map(|e| e.duration).max().unwrap_or_default(),
        exit_code,
    }
}

/// One run of the parts, taken in part order: the first part's targets, the earliest
/// start, every part's run id.
fn combine(
    parts: Vec<PartReport>,
    order: &[usize],
    end: RunFinished,
) -> Result<Merged, MergeError> {
    let mut slots: Vec<Option<PartReport>> = parts.into_iter().map(Some).collect();
    let parts: Vec<PartReport> = order.iter().filter_map(|&i| slots[i].take()).collect();
    let merged: Vec<PartRun> = parts
        .iter()
        .map(|p| PartRun {
            run_id: p.info.run_id.clone(),
            started: p.info.started,
            partition: p.info.partition,
        })
        .collect();
    let started = merged.iter().map(|p| p.started).min();
    let run_id = merged
        .iter()
        .map(|p| p.run_id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut parts = parts.into_iter();
    let head = parts.next().ok_or(MergeError::NoReports)?;
    let mut events = head.events;
    for p in parts {
        events.extend(p.events);
    }
    let info = RunInfo {
        started: started.unwrap_or(head.info.started),
        run_id,
        partition: None,
        merged,
        ..head.info
    };
    Ok(Merged { info, events, end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn end(passed: u64, failed: u64, interrupted: bool, exit_code: u8, secs: u64) -> RunFinished {
        RunFinished {
            passed,
            failed,
            ignored: 1,
            filtered_out: 2,
            interrupted,
            duration: Duration::from_secs(secs),
            exit_code,
        }
    }

    #[test]
    fn the_merged_run_adds_up_and_exits_as_its_most_severe_part() {
        let (ok, failed, stopped) = (
            end(5, 0, false, 0, 3),
            end(4, 1, false, 101, 9),
            end(2, 0, true, 130, 1),
        );
        let all = combined_end(&[&ok, &failed, &stopped]);
        assert_eq!(
            (
                all.passed,
                all.failed,
                all.ignored,
                all.filtered_out,
                all.interrupted
            ),
            (11, 1, 3, 6, true)
        );
        assert_eq!(
            all.exit_code, 130,
            "an interrupted part wins over a failed one"
        );
        assert_eq!(
            all.duration,
            Duration::from_secs(9),
            "the parts ran side by side"
        );
        assert_eq!(combined_end(&[&ok, &failed]).exit_code, 101);
        assert_eq!(combined_end(&[&ok, &ok]).exit_code, 0);
        // --strict-baseline: a part can fail with no failed case; its code stands.
        let strict = end(3, 0, false, 101, 1);
        assert_eq!(combined_end(&[&ok, &strict]).exit_code, 101);
    }

    #[test]
    fn no_report_is_an_error_not_a_panic() {
        assert!(matches!(merge(&[]), Err(MergeError::NoReports)));
    }
}
