//! `aom-conformance report merge PART.json...`: the JSON reports of a run's parts
//! (`run --partition M/N`, one per CI machine) → one JUnit, HTML and JSON report, as if
//! one machine had run everything. The combining and its checks are
//! [`crate::report::merge`]'s; this file wires files, reporters and the exit code.
//!
//! Exit codes: the merged run's verdict (0, 101, or 130 when a part was interrupted)
//! when the reports combine; 2 when a report cannot be read or is not a JSON report; 4
//! when the reports do not make up one run (a part missing, given twice or aborted,
//! parts of different runs, a case in two parts). As with `run`, the reports are written
//! even then, carrying the error, so CI never publishes a stale one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::error::Error;
use crate::report::console::{ConsoleFormat, ConsoleReporter};
use crate::report::file::check_writable;
use crate::report::html::HtmlReporter;
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::merge;
use crate::report::{Event, Reporter, Reporters};

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Combine the JSON reports of a run's parts (`run --partition`) into one JUnit,
    /// HTML and JSON report.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Every part's JSON report (`run --partition hash:M/N --report json PATH`), in any
    /// order; each part exactly once.
    #[arg(required = true, value_name = "PART.json")]
    pub parts: Vec<PathBuf>,
    /// Where to write the merged JUnit report.
    #[arg(long, value_name = "PATH", default_value = "reports/junit.xml")]
    pub junit: PathBuf,
    /// Also write the merged HTML page here.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Also write the merged JSON report here (the format of `run --report json`).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

pub fn run(command: ReportCommand) -> Result<ExitCode, Error> {
    match command {
        ReportCommand::Merge(args) => merge(&args),
    }
}

fn merge(args: &MergeArgs) -> Result<ExitCode, Error> {
    let reporters = reporters(args)?;
    let merged = match merge::merge(&args.parts) {
        Ok(m) => m,
        Err(e) => {
            let e = Error::Merge(e);
            reporters.emit(&Event::RunAborted {
                message: &e.messages().join("\n"),
            });
            let _ = reporters.finish();
            return Err(e);
        }
    };
    merged.replay(&reporters);
    reporters.finish()?;
    let written: Vec<String> = std::iter::once(&args.junit)
        .chain(args.html.as_ref())
        .chain(args.json.as_ref())
        .map(|p| p.display().to_string())
        .collect();
    let partition = merged.info.merged.first().and_then(|p| p.partition);
    println!(
        "merged {} part(s){}: wrote {}",
        merged.info.merged.len(),
        partition.map_or(String::new(), |p| format!(
            " of {}:M/{}",
            p.scheme.name(),
            p.total
        )),
        written.join(", ")
    );
    Ok(ExitCode::from(merged.end.exit_code))
}

/// The console's summary and matrix, and every report asked for, each path checked
/// before anything is read.
fn reporters(args: &MergeArgs) -> Result<Reporters, Error> {
    let mut all: Vec<Arc<dyn Reporter>> =
        vec![Arc::new(ConsoleReporter::new(ConsoleFormat::Pretty))];
    check_writable("JUnit", &args.junit)?;
    all.push(Arc::new(JunitReporter::new(&args.junit)));
    if let Some(path) = &args.html {
        check_writable("HTML", path)?;
        all.push(Arc::new(HtmlReporter::new(path)));
    }
    if let Some(path) = &args.json {
        check_writable("JSON", path)?;
        all.push(Arc::new(JsonReporter::new(path)));
    }
    Ok(Reporters::new(all))
}
