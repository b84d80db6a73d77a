//! `run`: targets → plans → trials on libtest-mimic → events to the reporters → exit
//! code. A run that cannot start its cases still writes its reports, each carrying the
//! error, so no stale report from an earlier run is left for CI to publish.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use clap::{ArgAction, Args, ValueEnum};

use super::error::{EXIT_FAILED, EXIT_INTERRUPTED, Error, Refusal};
use super::interrupt::Interrupt;
use super::record::Recorder;
use super::test_args::{DEFAULT_REMOTE_TEST_THREADS, DEFAULT_TEST_THREADS, Format, TestArgs};
use super::{SuiteArgs, read_suite, targets};
use crate::baseline::Baseline;
use crate::http::{Client, ClientOptions};
use crate::mock::MockServer;
use crate::plan::partition::{Partition, suite_digest};
use crate::plan::{self, Plan};
use crate::rate::{RateLimit, parse_max_rps};
use crate::report::console::{ConsoleFormat, ConsoleReporter};
use crate::report::file::check_writable;
use crate::report::html::HtmlReporter;
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::redact::Redactor;
use crate::report::text::clip;
use crate::report::{Event, Reporter, Reporters, RunFinished, RunInfo, TargetInfo};
use crate::runner::{self, Preflight, RunContext, TargetRun, TrialOptions};
use crate::schema::SchemaRegistry;
use crate::spec::SpecFile;
use crate::target::{Target, TargetArgs};
use crate::template::Vars;

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to write the JUnit report.
    #[arg(long, value_name = "PATH", default_value = "reports/junit.xml")]
    pub junit: PathBuf,
    /// Also write a report: `json PATH` (every event, one JSON object a line) or
    /// `html PATH` (one self-contained page). Repeatable.
    #[arg(long = "report", num_args = 2, value_names = ["FORMAT", "PATH"], action = ArgAction::Append)]
    pub reports: Vec<String>,
    /// Exit 0 when the filter selects no case (by default that is an error: a CI job
    /// gating on it would pass with nothing checked).
    #[arg(long)]
    pub allow_empty: bool,
    /// Known deviations (YAML; `schemas/baseline.schema.json`): a failing case an entry
    /// covers is reported as a known deviation and does not fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Fail the run (exit 101) when a case the baseline covers passes: the entry is
    /// fixed and should go.
    #[arg(long, requires = "baseline")]
    pub strict_baseline: bool,
    /// Run only part M of the cases split N ways, for CI jobs spread over machines
    /// (`report merge` combines the parts' JSON reports): `hash:M/N` by a hash of each
    /// case's id (adding a case moves no other), `count:M/N` round-robin in suite order
    /// (even parts). Every case, ignored ones too, is in exactly one part, on every
    /// machine alike; a part with no case is not an error.
    #[arg(long, value_name = "hash:M/N|count:M/N")]
    pub partition: Option<Partition>,
    /// At most N requests a second, all of the run's together: cases, setups, cleanups,
    /// the checks before the cases, IAM logins, every target. Fractions work (0.5: one
    /// every 2 s) [default: no limit].
    #[arg(long, value_name = "N", value_parser = parse_max_rps)]
    pub max_rps: Option<f64>,
    /// Record every case's calls (requests without credentials, answers masked by the
    /// masking rules) in DIR, for `diff --against DIR`. One target only.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Masking rules for --record [default: `masks.yaml` beside the schemas].
    #[arg(long, value_name = "FILE", requires = "record")]
    pub masks: Option<PathBuf>,
    #[command(flatten)]
    pub test: TestArgs,
}

/// A `--report` format.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Html,
    Json,
    Junit,
}

impl ReportFormat {
    fn kind(self) -> &'static str {
        match self {
            ReportFormat::Html => "HTML",
            ReportFormat::Json => "JSON",
            ReportFormat::Junit => "JUnit",
        }
    }
}

pub fn run(args: RunArgs) -> Result<ExitCode, Error> {
    if let Some(problem) = args.test.refused() {
        return Err(Error::Usage(problem));
    }
    let color = args.test.colour();
    colored::control::set_override(color);
    let runtime = super::runtime()?;
    check_logfile(args.test.logfile.as_deref())?;
    if args.test.list {
        return list(&args, &runtime);
    }
    let interrupt = Interrupt::watch(&runtime).map_err(|source| Error::System {
        what: "cannot install signal handlers",
        source,
    })?;
    let reporters = Arc::new(reporters(&args)?);
    let result = execute(&args, &runtime, &reporters, &interrupt, color);
    if let Some(e) = result
        .as_ref()
        .err()
        .filter(|e| !matches!(e, Error::Report(_)))
    {
        // The reports say why there are no cases. (A report that could not be written at
        // the end is the error itself: the cases ran, and the others are written.)
        reporters.emit(&Event::RunAborted {
            message: &e.messages().join("\n"),
        });
        let _ = reporters.finish();
    }
    result
}

/// `--test-threads` when not given: fewer cases at once against an endpoint that is not
/// loopback, which is someone's service.
pub(super) fn default_threads(targets: &[Target]) -> usize {
    if targets.iter().all(Target::is_loopback) {
        DEFAULT_TEST_THREADS
    } else {
        DEFAULT_REMOTE_TEST_THREADS
    }
}

/// The run's one rate limit (`--max-rps`), shared by every target's client.
pub(super) fn rate_limit(max_rps: Option<f64>) -> Result<Option<Arc<RateLimit>>, Error> {
    let Some(n) = max_rps else { return Ok(None) };
    RateLimit::per_second(n)
        .map(|l| Some(Arc::new(l)))
        .ok_or_else(|| Error::Usage(format!("--max-rps {n} is out of range")))
}

/// `--list`: the trial names, without starting a server or sending anything.
fn list(args: &RunArgs, runtime: &tokio::runtime::Runtime) -> Result<ExitCode, Error> {
    let (targets, _) = targets::resolve(&args.target, runtime, true)?;
    let plans = plans(&args.suite, &targets)?;
    let reporters = Arc::new(Reporters::default());
    let shared = Shared {
        reporters,
        rate_limit: None,
        baseline: Arc::default(),
        record: None,
    };
    let (runs, _) = target_runs(targets, &plans, runtime, &shared)?;
    let pairs: Vec<_> = plans.into_iter().zip(runs).collect();
    let opts = TrialOptions {
        prefix_target: pairs.len() > 1,
        color: false,
        partition: args.partition,
    };
    let test = args.test.arguments(false, 1);
    let trials = runner::trials(&pairs, runtime.handle(), &opts, &test);
    crate::sys::quiet_on_broken_pipe();
    libtest_mimic::run(&runner::libtest_arguments(&test), trials).exit_if_failed();
    Ok(ExitCode::SUCCESS)
}

/// Every reporter the flags ask for, each path checked before any case runs.
fn reporters(args: &RunArgs) -> Result<Reporters, Error> {
    let console = match args.test.format() {
        Format::Pretty => ConsoleFormat::Pretty,
        Format::Terse => ConsoleFormat::Terse,
        Format::Json => ConsoleFormat::Json,
    };
    let mut all: Vec<Arc<dyn Reporter>> = vec![Arc::new(ConsoleReporter::new(console))];
    check_writable("JUnit", &args.junit)?;
    all.push(Arc::new(JunitReporter::new(&args.junit)));
    for pair in args.reports.chunks(2) {
        let [format, path] = pair else { continue };
        let format = ReportFormat::from_str(format, true).map_err(|_| {
            Error::Usage(format!(
                "--report {format:?}: the formats are html, json and junit"
            ))
        })?;
        let path = PathBuf::from(path);
        check_writable(format.kind(), &path)?;
        all.push(match format {
            ReportFormat::Html => Arc::new(HtmlReporter::new(path)),
            ReportFormat::Json => Arc::new(JsonReporter::new(path)),
            ReportFormat::Junit => Arc::new(JunitReporter::new(path)),
        });
    }
    Ok(Reporters::new(all))
}

/// Everything after the reporters exist: targets, plans, the trials, the verdict.
fn execute(
    args: &RunArgs,
    runtime: &tokio::runtime::Runtime,
    reporters: &Arc<Reporters>,
    interrupt: &Interrupt,
    color: bool,
) -> Result<ExitCode, Error> {
    let (mut targets, mock) = targets::resolve(&args.target, runtime, false)?;
    let plans = plans(&args.suite, &targets)?;
    let recorder = Recorder::new(
        args.record.as_ref(),
        args.masks.as_deref(),
        &args.suite,
        &targets,
        &plans[0],
        mock.is_some(),
    )?;
    let test = args.test.arguments(color, default_threads(&targets));
    let limit = rate_limit(args.max_rps)?;
    for t in &mut targets {
        targets::connect(t, runtime, mock.is_some(), limit.as_deref())?;
    }
    let shared = Shared {
        reporters: Arc::clone(reporters),
        rate_limit: limit,
        baseline: Arc::new(baseline(args, &targets, &plans)?),
        record: recorder.as_ref().map(|r| Arc::clone(&r.sink)),
    };
    let (runs, mut info) = target_runs(targets, &plans, runtime, &shared)?;
    info.partition = args.partition;
    info.selection = args.test.selection();
    let mut missing = Vec::new();
    for (plan, tr) in plans.iter().zip(&runs) {
        match runtime.block_on(tr.preflight(plan)) {
            Preflight::Refused(refused) => return Err(refused_error(tr, refused)),
            Preflight::Missing(warning) => missing.push((Arc::clone(tr), warning)),
            Preflight::Fine => {}
        }
    }
    interrupt.register(&runs);
    reporters.emit(&Event::RunStarted(&info));
    // After run_started: reporters learn the targets from it.
    for (tr, warning) in missing {
        tr.warn(warning);
    }
    let pairs: Vec<(Arc<Plan>, Arc<TargetRun>)> =
        plans.into_iter().zip(runs.iter().cloned()).collect();
    let opts = TrialOptions {
        prefix_target: pairs.len() > 1,
        color,
        partition: args.partition,
    };
    if !args.allow_empty && runner::selects_nothing(&pairs, &test, opts.prefix_target) {
        return Err(Error::Usage(no_case_matches(&test)));
    }
    let trials = runner::trials(&pairs, runtime.handle(), &opts, &test);
    let quarantined = runner::quarantined(&pairs, &test, &opts);
    let started = Instant::now();
    let conclusion = libtest_mimic::run(&runner::libtest_arguments(&test), trials);
    for q in &quarantined {
        reporters.emit(&Event::CaseFinished(q));
    }
    let interrupted = interrupt.hit();
    if interrupted {
        // Cases undo what they started before they end; this catches anything left.
        let left: usize = runs
            .iter()
            .map(|tr| runtime.block_on(tr.cleanup_all()))
            .sum();
        eprintln!("interrupted: every case ended ({left} cleanup(s) left over were run)");
    }
    let fixed = shared.baseline.fixed();
    if args.strict_baseline && fixed > 0 {
        eprintln!(
            "error: {fixed} case(s) the baseline lists as known deviations passed (--strict-baseline): remove their entries"
        );
    }
    let exit_code = if interrupted {
        EXIT_INTERRUPTED
    } else if conclusion.has_failed() || (args.strict_baseline && fixed > 0) {
        EXIT_FAILED
    } else {
        0
    };
    reporters.emit(&Event::RunFinished(&RunFinished {
        passed: conclusion.num_passed,
        failed: conclusion.num_failed,
        ignored: conclusion.num_ignored,
        filtered_out: conclusion.num_filtered_out,
        interrupted,
        duration: started.elapsed(),
        exit_code,
    }));
    finish(runtime, mock, reporters, conclusion.has_failed())?;
    if let Some(r) = recorder {
        // As for a report: a failed run stays a failed run when the recording cannot be
        // written; that is said.
        match r.finish(interrupted) {
            Err(e) if exit_code != 0 => eprintln!("error: {e}"),
            other => other?,
        }
    }
    Ok(ExitCode::from(exit_code))
}

/// The one error for a target whose credentials the endpoint refused.
pub(super) fn refused_error(tr: &TargetRun, refused: runner::Refused) -> Error {
    let auth = tr.target.credentials.mode();
    let hint = match auth {
        "none" => {
            "the endpoint needs credentials: set AOM_AUTH_TOKEN, or CLOUD_SDK_AK and CLOUD_SDK_SK"
        }
        "token" => {
            "check the token (AOM_AUTH_TOKEN, the target's auth.token_env, or the IAM login): is it still valid, and for this project and region?"
        }
        _ => {
            "check the AK/SK (CLOUD_SDK_AK / CLOUD_SDK_SK or the target's auth), the security token of temporary credentials, the signing algorithm, and this machine's clock (X-Sdk-Date)"
        }
    };
    let shown = |text: &str| clip(&tr.redactor.redact(text), 100);
    let code = match refused.error_code.as_deref() {
        Some(c) if c.starts_with("APIGW") => format!(" {} (the API gateway)", shown(c)),
        Some(c) => format!(" {}", shown(c)),
        None => String::new(),
    };
    Error::Credentials(Box::new(Refusal {
        target: if tr.target.name.is_empty() {
            String::new()
        } else {
            format!("target {}: ", tr.target.name)
        },
        auth,
        operation: refused.operation,
        status: refused.status,
        code,
        request_id: refused.request_id.map_or(String::new(), |id| {
            format!(" [X-Request-Id: {}]", shown(&id))
        }),
        hint,
    }))
}

/// What the filter was, for the "nothing selected" error.
fn no_case_matches(test: &libtest_mimic::Arguments) -> String {
    let filter = test
        .filter
        .as_deref()
        .map_or("the filter".to_owned(), |f| format!("{f:?}"));
    let skip = if test.skip.is_empty() {
        String::new()
    } else {
        format!(" (after --skip {})", test.skip.join(", "))
    };
    format!(
        "no case matches {filter}{skip}; `run --list` shows the case names, --allow-empty accepts an empty selection"
    )
}

/// Stops the embedded mock and writes the reports. A failed run stays a failed run (101)
/// even when a report cannot be written: that is said, not turned into exit 2.
fn finish(
    runtime: &tokio::runtime::Runtime,
    mock: Option<MockServer>,
    reporters: &Reporters,
    failed: bool,
) -> Result<(), Error> {
    if let Some(server) = mock {
        runtime.block_on(server.shutdown());
    }
    match reporters.finish() {
        Err(e) if failed => {
            eprintln!("error: {e}");
            Ok(())
        }
        r => Ok(r?),
    }
}

/// One plan per distinct set of target variable names: a `{{name}}` one target provides
/// and another does not is a load error for that target, not an empty string at run
/// time. The files are read once.
pub(super) fn plans(suite: &SuiteArgs, targets: &[Target]) -> Result<Vec<Arc<Plan>>, Error> {
    let (schemas, files) = read_suite(suite)?;
    let mut built: Vec<(BTreeSet<String>, Arc<Plan>)> = Vec::new();
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let names: BTreeSet<String> = t.variables.keys().cloned().collect();
        if let Some((_, p)) = built.iter().find(|(n, _)| *n == names) {
            out.push(Arc::clone(p));
            continue;
        }
        let p = Arc::new(plan_for(&files, &schemas, &names, &t.name)?);
        built.push((names, Arc::clone(&p)));
        out.push(p);
    }
    for (t, p) in targets.iter().zip(&out) {
        check_families(t, p)?;
    }
    Ok(out)
}

/// A family a target declares must be one the suite knows: a typo would silently
/// ignore the real family's cases.
fn check_families(t: &Target, plan: &Plan) -> Result<(), Error> {
    let unknown = t
        .families
        .iter()
        .flatten()
        .find(|f| !plan.families.contains_key(*f));
    match unknown {
        None => Ok(()),
        Some(f) => Err(Error::Usage(format!(
            "{}unknown API family {f:?}; the suite's families: {}",
            if t.name.is_empty() {
                String::new()
            } else {
                format!("target {}: ", t.name)
            },
            plan.families.keys().cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn plan_for(
    files: &[SpecFile],
    schemas: &SchemaRegistry,
    names: &BTreeSet<String>,
    target: &str,
) -> Result<Plan, Error> {
    plan::build(files, schemas, names).map_err(|diagnostics| {
        if target.is_empty() {
            Error::Suite(diagnostics)
        } else {
            Error::TargetPlan {
                target: target.to_owned(),
                diagnostics,
            }
        }
    })
}

/// What every target's run shares.
pub(super) struct Shared {
    pub(super) reporters: Arc<Reporters>,
    pub(super) rate_limit: Option<Arc<RateLimit>>,
    pub(super) baseline: Arc<Baseline>,
    /// `--record DIR`: where the trials' observations are collected.
    pub(super) record: Option<runner::Recorded>,
}

/// `--baseline`, checked against this run's cases: no entry may match none of them.
fn baseline(args: &RunArgs, targets: &[Target], plans: &[Arc<Plan>]) -> Result<Baseline, Error> {
    let Some(path) = &args.baseline else {
        return Ok(Baseline::default());
    };
    let baseline = Baseline::load(path, crate::baseline::today())?;
    let cases: Vec<(&str, &str)> = targets
        .iter()
        .zip(plans)
        .flat_map(|(t, p)| p.cases.iter().map(|c| (t.name.as_str(), c.id.as_str())))
        .collect();
    baseline.unmatched(&cases).into_result()?;
    Ok(baseline)
}

/// One [`TargetRun`] per target, and what reporters learn about them.
pub(super) fn target_runs(
    targets: Vec<Target>,
    plans: &[Arc<Plan>],
    runtime: &tokio::runtime::Runtime,
    shared: &Shared,
) -> Result<(Vec<Arc<TargetRun>>, RunInfo), Error> {
    let run_id = crate::sys::random_hex(8).map_err(|e| Error::System {
        what: "no randomness from the OS",
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut runs = Vec::with_capacity(targets.len());
    let mut infos = Vec::with_capacity(targets.len());
    for (index, (target, plan)) in targets.into_iter().zip(plans).enumerate() {
        let _guard = runtime.enter();
        let client = Client::new(
            &target.endpoint,
            &target.project_id,
            target.credentials.clone(),
            &ClientOptions {
                timeout: target.timeout,
                insecure: target.insecure,
                rate_limit: shared.rate_limit.clone(),
            },
        )
        .map_err(|e| Error::Usage(e.to_string()))?;
        let mut vars = Vars::default();
        for (k, v) in target.all_variables() {
            vars.set(k, v);
        }
        vars.set("run_id", run_id.clone());
        let redactor = Redactor::new(target.secrets());
        infos.push(target_info(&target, plan, &redactor));
        let cx = RunContext {
            index,
            client,
            redactor,
            vars,
            run_id: run_id.clone(),
            reporters: Arc::clone(&shared.reporters),
            baseline: Arc::clone(&shared.baseline),
            record: shared.record.clone(),
        };
        runs.push(Arc::new(TargetRun::new(target, cx)));
    }
    let info = RunInfo {
        targets: infos,
        started: SystemTime::now(),
        run_id,
        partition: None,
        suite: plans.first().map_or_else(String::new, |p| suite_digest(p)),
        selection: String::new(),
        merged: Vec::new(),
    };
    Ok((runs, info))
}

fn target_info(t: &Target, plan: &Plan, redactor: &Redactor) -> TargetInfo {
    TargetInfo {
        name: t.name.clone(),
        endpoint: t.endpoint.clone(),
        project_id: t.project_id.clone(),
        auth: t.credentials.mode(),
        region: t.region.clone(),
        capabilities: t.capabilities.iter().cloned().collect(),
        cases: plan.cases.len(),
        redactor: redactor.clone(),
        operations: plan
            .operations
            .iter()
            .map(|op| (op.name.clone(), op.responses.keys().copied().collect()))
            .collect(),
    }
}

/// libtest's `--logfile` is created by libtest-mimic, which panics when it cannot open or
/// write it: try both first (it truncates the file anyway), so a bad path — or one that
/// opens but cannot take a byte, like `/dev/full` — is an input error like any other.
fn check_logfile(path: Option<&str>) -> Result<(), Error> {
    let Some(path) = path else { return Ok(()) };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"\n"));
    written.map_err(|e| Error::Usage(format!("cannot write --logfile {path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::ProcessEnv;

    fn target(endpoint: &str) -> Target {
        let args = TargetArgs {
            endpoint: Some(endpoint.into()),
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            auth: Some(crate::target::AuthKind::None),
            ..TargetArgs::default()
        };
        crate::target::resolve(None, &args, &ProcessEnv).unwrap()
    }

    #[test]
    fn fewer_cases_run_at_once_when_an_endpoint_is_not_loopback() {
        let local = [
            target("http://127.0.0.1:8080"),
            target("http://localhost:1"),
        ];
        assert_eq!(default_threads(&local), DEFAULT_TEST_THREADS);
        let mixed = [target("http://[::1]:1"), target("https://aom.example.com")];
        assert_eq!(default_threads(&mixed), DEFAULT_REMOTE_TEST_THREADS);
    }
}
