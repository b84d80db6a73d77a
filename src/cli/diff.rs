//! `diff`: the same planned cases on a reference and a candidate, each case's calls
//! observed and masked, then compared ([`crate::fidelity::compare`]) into a fidelity
//! score with every difference listed — on the console, and in `--report json|html`.
//!
//! The reference is the first of two `--target` files, or a recording (`--against
//! DIR`, made by `run --record DIR`), compared offline. With `--against` the candidate
//! is the one target given (a `--target` file, `--endpoint`, or the embedded mock when
//! neither is given, as for `run`). Exit codes: 0 the candidate agrees (at least
//! `--min-fidelity` percent of the compared cases, by default all), 1 it does not, and
//! the codes of `run` for bad input (2), an unreachable endpoint (3) and Ctrl-C (130).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{ArgAction, Args};

use super::error::{EXIT_DIFFERENT, EXIT_INTERRUPTED, Error};
use super::interrupt::Interrupt;
use super::record::load_masks;
use super::run::{Shared, default_threads, plans, rate_limit, refused_error, target_runs};
use super::{SuiteArgs, targets};
use crate::fidelity::CaseObservation;
use crate::fidelity::compare::{self, Fidelity};
use crate::fidelity::recording;
use crate::plan::Plan;
use crate::report::fidelity as render;
use crate::report::file::check_writable;
use crate::runner::{self, Preflight, TargetRun};
use crate::target::TargetArgs;

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// The candidate's and the reference's targets: `--target REFERENCE.yaml --target
    /// CANDIDATE.yaml`, or with `--against DIR` the candidate alone (a target file,
    /// `--endpoint`…, or the embedded mock when none is given).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Compare the candidate with this recording (`run --record DIR`) instead of a live
    /// reference: no reference credentials needed.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Masking rules [default: `masks.yaml` beside the schemas: the built-in one, or the
    /// one in `--schemas DIR`].
    #[arg(long, value_name = "FILE")]
    pub masks: Option<PathBuf>,
    /// Exit 0 when at least PCT percent of the compared cases agree [default: 100].
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub min_fidelity: Option<f64>,
    /// Also write a report: `json PATH` (`schemas/fidelity-report.schema.json`) or
    /// `html PATH`. Repeatable.
    #[arg(long = "report", num_args = 2, value_names = ["FORMAT", "PATH"], action = ArgAction::Append)]
    pub reports: Vec<String>,
    /// At most N requests a second, both endpoints together (as `run --max-rps`)
    /// [default: no limit].
    #[arg(long, value_name = "N", value_parser = crate::rate::parse_max_rps)]
    pub max_rps: Option<f64>,
    /// Cases run at once on each endpoint [default: 8 on loopback, 2 elsewhere].
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    /// Only cases whose id contains this text.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Leave out cases whose id contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub skip: Vec<String>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a percentage from 0 to 100, got {s:?}")),
    }
}

/// A `--report` of `diff`: the format and where.
enum Report {
    Json(PathBuf),
    Html(PathBuf),
}

fn reports(args: &DiffArgs) -> Result<Vec<Report>, Error> {
    let mut out = Vec::new();
    for pair in args.reports.chunks(2) {
        let [format, path] = pair else { continue };
        let path = PathBuf::from(path);
        let report = match format.to_ascii_lowercase().as_str() {
            "json" => Report::Json(path.clone()),
            "html" => Report::Html(path.clone()),
            _ => {
                return Err(Error::Usage(format!(
                    "--report {format:?}: diff writes json and html reports"
                )));
            }
        };
        check_writable(
            if matches!(report, Report::Json(_)) {
                "JSON"
            } else {
                "HTML"
            },
            &path,
        )?;
        out.push(report);
    }
    Ok(out)
}

/// Two `--target` files, or `--against` and at most one.
fn check_sides(args: &DiffArgs) -> Result<(), Error> {
    let files = args.target.targets.len();
    match (&args.against, files) {
        (None, 2) | (Some(_), 0 | 1) => Ok(()),
        (None, _) => Err(Error::Usage(format!(
            "diff compares two endpoints: give --target REFERENCE.yaml --target CANDIDATE.yaml (got {files} --target), or --against RECORDING_DIR and one target"
        ))),
        (Some(_), _) => Err(Error::Usage(format!(
            "with --against the recording is the reference: give one candidate --target, not {files}"
        ))),
    }
}

/// The indexes of the cases `args` selects (quarantined ones are left out).
fn selected(plan: &Plan, args: &DiffArgs) -> Vec<usize> {
    (0..plan.cases.len())
        .filter(|&i| {
            let c = &plan.cases[i];
            c.skip.is_none()
                && args.filter.as_deref().is_none_or(|f| c.id.contains(f))
                && !args.skip.iter().any(|s| c.id.contains(s.as_str()))
        })
        .collect()
}

pub fn run(args: &DiffArgs) -> Result<ExitCode, Error> {
    check_sides(args)?;
    let reports = reports(args)?;
    let recorded = match &args.against {
        Some(dir) => Some(recording::load(dir)?),
        None => None,
    };
    let runtime = super::runtime()?;
    let (mut targets, mock) = targets::resolve(&args.target, &runtime, false)?;
    let plans = plans(&args.suite, &targets)?;
    let masks = load_masks(args.masks.as_deref(), &args.suite, &plans[0])?;
    let limit = rate_limit(args.max_rps)?;
    for t in &mut targets {
        targets::connect(t, &runtime, mock.is_some(), limit.as_deref())?;
    }
    let threads = args
        .test_threads
        .unwrap_or_else(|| default_threads(&targets));
    let shared = Shared {
        reporters: Arc::default(),
        rate_limit: limit,
        baseline: Arc::default(),
        record: None,
    };
    let (runs, _) = target_runs(targets, &plans, &runtime, &shared)?;
    for (plan, tr) in plans.iter().zip(&runs) {
        if let Preflight::Refused(refused) = runtime.block_on(tr.preflight(plan)) {
            return Err(refused_error(tr, refused));
        }
    }
    let interrupt = Interrupt::watch(&runtime).map_err(|source| Error::System {
        what: "cannot install signal handlers",
        source,
    })?;
    interrupt.register(&runs);
    let mut observed = observe(&runtime, &plans, &runs, args, threads)?;
    if let Some(server) = mock {
        runtime.block_on(server.shutdown());
    }
    if interrupt.hit() {
        let left: usize = runs
            .iter()
            .map(|tr| runtime.block_on(tr.cleanup_all()))
            .sum();
        eprintln!(
            "interrupted: every case ended ({left} cleanup(s) left over were run); nothing compared"
        );
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    for side in &mut observed {
        side.iter_mut().for_each(|o| masks.apply(o));
    }
    let labels: Vec<String> = runs.iter().map(|tr| tr.target.label().to_owned()).collect();
    let optional = |op: &str, pointer: &str| masks.optional(op, pointer);
    let fidelity = match (recorded, &args.against) {
        (Some(recording), Some(dir)) => {
            let mut reference = recording;
            reference.iter_mut().for_each(|o| masks.apply(o));
            let candidate = observed.pop().unwrap_or_default();
            compare::compare(
                (dir.display().to_string(), labels[0].clone()),
                reference,
                candidate,
                &optional,
            )
        }
        _ => {
            let candidate = observed.pop().unwrap_or_default();
            let reference = observed.pop().unwrap_or_default();
            compare::compare(
                (labels[0].clone(), labels[1].clone()),
                reference,
                candidate,
                &optional,
            )
        }
    };
    conclude(&fidelity, args, &reports)
}

/// Every selected case observed on every target, all targets at once.
fn observe(
    runtime: &tokio::runtime::Runtime,
    plans: &[Arc<Plan>],
    runs: &[Arc<TargetRun>],
    args: &DiffArgs,
    threads: usize,
) -> Result<Vec<Vec<CaseObservation>>, Error> {
    let mut tasks = Vec::new();
    for (plan, tr) in plans.iter().zip(runs) {
        let chosen = selected(plan, args);
        if chosen.is_empty() {
            return Err(Error::Usage(format!(
                "no case matches {}; `run --list` shows the case ids",
                args.filter
                    .as_deref()
                    .map_or("the filter".to_owned(), |f| format!("{f:?}"))
            )));
        }
        tasks.push(runtime.spawn(runner::observe_all(
            Arc::clone(plan),
            Arc::clone(tr),
            chosen,
            threads,
        )));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let observed = runtime.block_on(t).map_err(|e| Error::System {
            what: "a comparison task failed",
            source: std::io::Error::other(e.to_string()),
        })?;
        out.push(observed);
    }
    Ok(out)
}

/// Prints the summary, writes the reports, decides the exit code.
fn conclude(fidelity: &Fidelity, args: &DiffArgs, reports: &[Report]) -> Result<ExitCode, Error> {
    if fidelity.compared() == 0 {
        let why = fidelity.not_compared.first().map_or(String::new(), |n| {
            format!(" (e.g. {}: {})", n.case, n.reason)
        });
        return Err(Error::Usage(format!("no case could be compared{why}")));
    }
    let min = args.min_fidelity.unwrap_or(100.0);
    print!("{}", render::console(fidelity));
    for r in reports {
        match r {
            Report::Json(path) => render::write("JSON", path, &render::json(fidelity, min)?)?,
            Report::Html(path) => render::write("HTML", path, &render::html(fidelity))?,
        }
    }
    if fidelity.percent() >= min {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_DIFFERENT))
    }
}
