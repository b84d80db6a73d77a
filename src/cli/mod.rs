//! The command line: `run`, `diff`, `lint`, `coverage`, `mock`, `baseline`, `report merge`,
//! `suite export`. Parses flags,
//! wires the library together and maps every outcome to an exit code
//! ([`error::Error::exit_code`]):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every selected case passed (ignored cases are fine); `diff`: the candidate agrees |
//! | 1 | `diff`: the candidate agrees on fewer cases than `--min-fidelity` (default: all) |
//! | 101 | at least one case failed |
//! | 2 | bad input: a spec, schema, flag, target, report or export path problem |
//! | 3 | the endpoint or IAM cannot be reached, no token could be obtained, or a server (the mock) cannot start |
//! | 4 | `report merge`: the reports do not make up one run (a part missing, twice or aborted; parts of different runs; a case in two parts) |
//! | 130 | interrupted by Ctrl-C / SIGTERM, after undoing what the run started |

mod baseline;
mod diff;
mod error;
mod interrupt;
mod record;
mod report;
mod run;
mod suite;
mod targets;
mod test_args;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use error::{
    EXIT_DIFFERENT, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_PARTS, EXIT_UNREACHABLE, Error,
};
pub use run::RunArgs;
pub use test_args::{DEFAULT_REMOTE_TEST_THREADS, DEFAULT_TEST_THREADS};

use crate::plan::{self, Plan, coverage};
use crate::schema::SchemaRegistry;
use crate::spec::{self, Kind, Source};

/// More located problems than this are counted, not listed: a generated suite with one
/// systematic mistake should not scroll the first error off the screen.
const MAX_ERRORS_SHOWN: usize = 50;

#[derive(Parser, Debug)]
#[command(
    name = "aom-conformance",
    version,
    about = "Contract and conformance harness for Huawei Cloud AOM APIs",
    long_about = "Runs YAML case files against an AOM endpoint (a real region, the embedded reference mock, or an emulator) and checks every documented response code.\n\nThe suite (case files and schemas) is built into this binary, so it runs from any directory; --specs DIR and --schemas DIR use other files instead, and `suite export DIR` writes the built-in suite out for editing.\n\nExit codes: 0 all selected cases passed (diff: the candidate agrees); 1 diff: the candidate differs (below --min-fidelity); 101 a case failed; 2 bad input (spec, schema, flag, target, report or export path); 3 endpoint or IAM unreachable, no token, or the mock cannot start; 4 `report merge`: the reports do not make up one run; 130 interrupted (after cleaning up)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the suite (against the embedded reference mock when no endpoint is given).
    Run(Box<RunArgs>),
    /// Load and check every spec and schema (and the masking rules), without network;
    /// fails on uncovered codes.
    Lint(LintArgs),
    /// Print the operation × documented-status matrix and the cases covering each cell.
    Coverage(SuiteArgs),
    /// Serve the reference AOM mock.
    Mock(crate::mock::cli::MockArgs),
    /// Run the same cases on a reference and a candidate (or against a recording) and
    /// score how closely the candidate answers like the reference.
    Diff(Box<diff::DiffArgs>),
    /// Write a baseline of known deviations from a run's JSON report (to stdout).
    Baseline(baseline::BaselineArgs),
    /// Reports of earlier runs: `report merge PART.json...` combines a partitioned run's
    /// parts into one JUnit, HTML and JSON report.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The suite built into this binary: `suite export DIR` writes it out for editing.
    #[command(subcommand)]
    Suite(suite::SuiteCommand),
}

/// `lint`: the suite, and optionally a baseline to check against it.
#[derive(Args, Debug)]
pub struct LintArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Also check this baseline: every entry needs a reason, none may have expired, and
    /// each must match a case of the suite.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// Where the suite lives: built into the binary unless a directory is given.
#[derive(Args, Debug, Clone)]
pub struct SuiteArgs {
    /// Directory of case files (*.yaml) [default: the suite's specs built into this
    /// binary; `suite export DIR` writes them out for editing].
    #[arg(long, value_name = "DIR")]
    pub specs: Option<PathBuf>,
    /// Directory of the JSON Schemas the case files name [default: the schemas built into
    /// this binary].
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

impl SuiteArgs {
    fn specs(&self) -> Source {
        Source::new(Kind::Specs, self.specs.as_deref())
    }
    fn schemas(&self) -> Source {
        Source::new(Kind::Schemas, self.schemas.as_deref())
    }
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Lint(args) => lint(&args),
        Command::Baseline(args) => baseline::run(&args),
        Command::Report(command) => report::run(command),
        Command::Diff(args) => diff::run(&args),
        Command::Coverage(args) => show_coverage(&args),
        Command::Mock(args) => crate::mock::cli::run(args)
            .map(|()| ExitCode::SUCCESS)
            .map_err(Error::from),
        Command::Suite(command) => suite::run(command)
            .map(|()| ExitCode::SUCCESS)
            .map_err(Error::from),
    };
    result.unwrap_or_else(|e| {
        print_error(&e);
        ExitCode::from(e.exit_code())
    })
}

/// One `error:` line per problem, like rustc's, at most [`MAX_ERRORS_SHOWN`].
fn print_error(e: &Error) {
    let messages = e.messages();
    for m in messages.iter().take(MAX_ERRORS_SHOWN) {
        eprintln!("error: {m}");
    }
    if messages.len() > MAX_ERRORS_SHOWN {
        eprintln!(
            "error: … and {} more problems (fix these first)",
            messages.len() - MAX_ERRORS_SHOWN
        );
    }
}

/// Reads and compiles the schemas and reads the case files: once per command.
fn read_suite(suite: &SuiteArgs) -> Result<(SchemaRegistry, Vec<spec::SpecFile>), Error> {
    let schemas = SchemaRegistry::load(&suite.schemas())?;
    let files = spec::load_specs(&suite.specs())?;
    Ok((schemas, files))
}

/// The runtime a run's (or a diff's) cases share.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::System {
            what: "cannot start the async runtime",
            source,
        })
}

/// The plan of a suite with no target variables (`lint`, `coverage`).
fn load(suite: &SuiteArgs) -> Result<Plan, Error> {
    let (schemas, files) = read_suite(suite)?;
    Ok(plan::build(&files, &schemas, &BTreeSet::new())?)
}

fn lint(args: &LintArgs) -> Result<ExitCode, Error> {
    let plan = load(&args.suite)?;
    // The masking rules of `diff` and `run --record` are part of the suite.
    record::load_masks(None, &args.suite, &plan)?;
    if let Some(path) = &args.baseline {
        let baseline = crate::baseline::Baseline::load(path, crate::baseline::today())?;
        // Without a target, an entry for any target counts as matching by case id.
        let cases: Vec<(&str, &str)> = plan.cases.iter().map(|c| ("", c.id.as_str())).collect();
        baseline.unmatched_ignoring_targets(&cases).into_result()?;
    }
    let cells = coverage::matrix(&plan);
    let gaps = coverage::gaps(&cells);
    if !gaps.is_empty() {
        return Err(Error::Gaps(gaps));
    }
    let doc_gaps: usize = plan.operations.iter().map(|op| op.doc_gaps.len()).sum();
    println!(
        "ok: {} operations, {} cases, {}/{} documented responses covered, {doc_gaps} doc gaps recorded",
        plan.operations.len(),
        plan.cases.len(),
        cells.len(),
        cells.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn show_coverage(suite: &SuiteArgs) -> Result<ExitCode, Error> {
    let plan = load(suite)?;
    let cells = coverage::matrix(&plan);
    print!("{}", coverage::render(&cells));
    print!("{}", coverage::render_gaps(&plan));
    let missing = cells.iter().filter(|c| c.cases.is_empty()).count();
    if missing > 0 {
        eprintln!("error: {missing} documented response(s) have no case (marked MISSING)");
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}
