//! `aom-conformance baseline --from-report REPORT.json`: a baseline of known deviations
//! written from a run's JSON report, one entry per failed case, reasons left for a person.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::error::Error;
use crate::spec::{Diagnostic, Diagnostics, Location};

#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// A run's JSON report (`run --report json PATH`); the baseline goes to stdout.
    #[arg(long, value_name = "REPORT")]
    pub from_report: PathBuf,
}

pub fn run(args: &BaselineArgs) -> Result<ExitCode, Error> {
    let path = &args.from_report;
    let located =
        |at: Location, message: String| Error::Suite(Diagnostics(vec![Diagnostic { at, message }]));
    let text = crate::spec::limits::read_text(path)
        .map_err(|e| located(Location::new(path, e.line, e.col), e.message))?;
    let yaml = crate::baseline::from_report(&text).map_err(|d| {
        let at = Location::new(path, d.at.line, d.at.col);
        located(at, d.message)
    })?;
    print!("{yaml}");
    Ok(ExitCode::SUCCESS)
}
