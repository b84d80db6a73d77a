//! The command line: `run`, `lint`, `coverage`, `mock`. Parses flags, wires the library
//! together and maps every outcome to an exit code ([`error::Error::exit_code`]):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every selected case passed (ignored cases are fine) |
//! | 101 | at least one case failed |
//! | 2 | bad input: a spec, schema, flag, target or report path problem |
//! | 3 | the endpoint or IAM cannot be reached, no token could be obtained, or a server (the mock) cannot start |
//! | 130 | interrupted by Ctrl-C / SIGTERM, after undoing what the run started |

mod error;
mod interrupt;
mod run;
mod targets;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use error::{EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_UNREACHABLE, Error};
pub use run::{DEFAULT_TEST_THREADS, RunArgs};

use crate::plan::{self, Plan, coverage};
use crate::schema::SchemaRegistry;
use crate::spec;

/// More located problems than this are counted, not listed: a generated suite with one
/// systematic mistake should not scroll the first error off the screen.
const MAX_ERRORS_SHOWN: usize = 50;

#[derive(Parser, Debug)]
#[command(
    name = "aom-conformance",
    version,
    about = "Contract and conformance harness for Huawei Cloud AOM APIs",
    long_about = "Runs YAML case files against an AOM endpoint (a real region, the embedded reference mock, or an emulator) and checks every documented response code.\n\nExit codes: 0 all selected cases passed; 101 a case failed; 2 bad input (spec, schema, flag, target, report path); 3 endpoint or IAM unreachable, no token, or the mock cannot start; 130 interrupted (after cleaning up)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the suite (against the embedded reference mock when no endpoint is given).
    Run(Box<RunArgs>),
    /// Load and check every spec and schema, without network; fails on uncovered codes.
    Lint(SuiteArgs),
    /// Print the operation × documented-status matrix and the cases covering each cell.
    Coverage(SuiteArgs),
    /// Serve the reference AOM mock.
    Mock(crate::mock::cli::MockArgs),
}

/// Where the suite lives.
#[derive(Args, Debug, Clone)]
pub struct SuiteArgs {
    /// Directory of case files (*.yaml).
    #[arg(long, value_name = "DIR", default_value = "specs")]
    pub specs: PathBuf,
    /// Directory of JSON Schemas referenced by the case files.
    #[arg(long, value_name = "DIR", default_value = "schemas")]
    pub schemas: PathBuf,
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Lint(args) => lint(&args),
        Command::Coverage(args) => show_coverage(&args),
        Command::Mock(args) => crate::mock::cli::run(args)
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
    let schemas = SchemaRegistry::load(&suite.schemas)?;
    let files = spec::load_dir(&suite.specs)?;
    Ok((schemas, files))
}

/// The plan of a suite with no target variables (`lint`, `coverage`).
fn load(suite: &SuiteArgs) -> Result<Plan, Error> {
    let (schemas, files) = read_suite(suite)?;
    Ok(plan::build(&files, &schemas, &BTreeSet::new())?)
}

fn lint(suite: &SuiteArgs) -> Result<ExitCode, Error> {
    let plan = load(suite)?;
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
