//! The libtest flags `run` takes — exactly those that mean something here — with help
//! written for this tool, turned into the [`libtest_mimic::Arguments`] that run the
//! trials. libtest flags that do not apply (`--bench`, `--nocapture`, …) are hidden and
//! refused with the reason, rather than accepted and silently doing the wrong thing
//! (`--bench` would mark every case ignored and exit 0).

use std::ffi::OsString;

use clap::{Args, ValueEnum};
use libtest_mimic::{ColorSetting, FormatSetting};

/// Cases running at once when every endpoint is loopback: cases wait on the network,
/// not the CPU, so this is well above the core count.
pub const DEFAULT_TEST_THREADS: usize = 16;

/// Cases running at once when an endpoint is not loopback (a real region, a shared
/// emulator): a production API gateway throttles per account, and a conformance run
/// should not be what trips it. A 20-case suite still takes seconds.
pub const DEFAULT_REMOTE_TEST_THREADS: usize = 4;

/// How `run` selects, runs and shows cases (libtest's flags).
#[derive(Args, Debug, Clone, Default)]
pub struct TestArgs {
    /// Run only the cases whose name contains FILTER (with --exact: is FILTER).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Match FILTER and --skip against whole case names.
    #[arg(long)]
    pub exact: bool,
    /// Leave out the cases whose name contains FILTER (repeatable).
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// Print the case names (`NAME: test`) and exit; nothing is sent.
    #[arg(long)]
    pub list: bool,
    /// Run only the quarantined cases (`skip: REASON` in a case file). A case skipped for
    /// a capability the target lacks stays ignored.
    #[arg(long, conflicts_with = "include_ignored")]
    pub ignored: bool,
    /// Run the quarantined cases (`skip: REASON`) as well as the others.
    #[arg(long)]
    pub include_ignored: bool,
    /// How many cases run at once [default: 16, or 4 when an endpoint is not loopback].
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub test_threads: Option<usize>,
    /// pretty: a line per case; terse: a character per case; json: libtest's JSON events
    /// (no summary matrix) [default: pretty].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Same as --format terse.
    #[arg(short, long, conflicts_with = "format")]
    pub quiet: bool,
    /// Colours. auto: none if NO_COLOR is set (not empty); else colour if CLICOLOR_FORCE
    /// is set (not empty or 0); else none if CLICOLOR=0; else colour when stdout is a
    /// terminal and TERM is not `dumb`. always and never override every variable.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Write libtest's lines (one per case, failures, the result line) to PATH instead of
    /// stdout; coloured only with --color always.
    #[arg(long, value_name = "PATH")]
    pub logfile: Option<String>,
    /// Accepted and ignored (`-Z unstable-options`): libtest needs it for --format json,
    /// this tool does not.
    #[arg(short = 'Z', value_name = "FLAG", hide = true, value_parser = ["unstable-options"])]
    pub unstable: Vec<String>,
    #[command(flatten)]
    refused: Refused,
}

/// libtest flags that do not apply: hidden from `--help`, refused with the reason.
#[derive(Args, Debug, Clone, Default)]
struct Refused {
    #[arg(long, hide = true)]
    bench: bool,
    #[arg(long = "test", hide = true)]
    tests_only: bool,
    #[arg(long, hide = true)]
    nocapture: bool,
    #[arg(long, hide = true)]
    show_output: bool,
    #[arg(long, hide = true)]
    force_run_in_process: bool,
    #[arg(long, hide = true)]
    exclude_should_panic: bool,
    #[arg(long, hide = true)]
    report_time: bool,
    #[arg(long, hide = true)]
    ensure_time: bool,
    #[arg(long, hide = true)]
    shuffle: bool,
    #[arg(long, hide = true, value_name = "SEED")]
    shuffle_seed: Option<String>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Pretty,
    Terse,
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

impl TestArgs {
    /// The flags that choose cases, in one canonical form (see [`RunInfo::selection`]).
    ///
    /// [`RunInfo::selection`]: crate::report::RunInfo::selection
    pub fn selection(&self) -> String {
        let mut out = Vec::new();
        if let Some(f) = &self.filter {
            out.push(format!("filter {f:?}"));
        }
        if self.exact {
            out.push("--exact".to_owned());
        }
        let mut skip = self.skip.clone();
        skip.sort();
        skip.dedup();
        out.extend(skip.iter().map(|s| format!("--skip {s:?}")));
        if self.ignored {
            out.push("--ignored".to_owned());
        }
        if self.include_ignored {
            out.push("--include-ignored".to_owned());
        }
        out.join(" ")
    }

    /// The first libtest flag given that does not apply here, as the message saying why.
    pub fn refused(&self) -> Option<String> {
        let r = &self.refused;
        let why = [
            (
                r.bench,
                "--bench",
                "the cases are conformance checks, not benchmarks (`cargo bench` measures the harness itself)",
            ),
            (r.tests_only, "--test", "every case is a test already"),
            (
                r.nocapture,
                "--nocapture",
                "nothing is captured: a failed case's details are printed after the run",
            ),
            (
                r.show_output,
                "--show-output",
                "cases print nothing of their own: a failed case's details are printed after the run",
            ),
            (
                r.force_run_in_process,
                "--force-run-in-process",
                "cases always run in this process",
            ),
            (
                r.exclude_should_panic,
                "--exclude-should-panic",
                "no case is a should_panic test",
            ),
            (
                r.report_time || r.ensure_time,
                "--report-time / --ensure-time",
                "each case's time is in the JUnit report (--junit)",
            ),
            (
                r.shuffle || r.shuffle_seed.is_some(),
                "--shuffle / --shuffle-seed",
                "cases are independent and run in parallel, in no set order, already",
            ),
        ];
        why.iter().find(|(on, ..)| *on).map(|(_, flag, reason)| {
            format!("{flag} is a libtest flag that does not apply here: {reason}")
        })
    }

    /// The format the console shows.
    pub fn format(&self) -> Format {
        match (self.quiet, self.format) {
            (true, _) => Format::Terse,
            (false, f) => f.unwrap_or(Format::Pretty),
        }
    }

    /// Whether the run's own text (failure details, the matrix) is coloured: `--color`,
    /// then the environment, then whether stdout is a terminal.
    pub fn colour(&self) -> bool {
        use std::io::IsTerminal;
        colour(
            self.color,
            &|name| std::env::var_os(name),
            std::io::stdout().is_terminal(),
        )
    }

    /// libtest-mimic's arguments: `colour` decided once for all output (libtest-mimic would
    /// otherwise weigh the variables its own way), `threads` when not given.
    pub fn arguments(&self, colour: bool, threads: usize) -> libtest_mimic::Arguments {
        // A log file is no terminal: coloured only when asked for in so many words.
        let colour = match self.logfile {
            Some(_) => self.color == ColorWhen::Always,
            None => colour,
        };
        libtest_mimic::Arguments {
            filter: self.filter.clone(),
            exact: self.exact,
            skip: self.skip.clone(),
            list: self.list,
            ignored: self.ignored,
            include_ignored: self.include_ignored,
            test_threads: Some(self.test_threads.unwrap_or(threads)),
            format: Some(match self.format() {
                Format::Pretty => FormatSetting::Pretty,
                Format::Terse => FormatSetting::Terse,
                Format::Json => FormatSetting::Json,
            }),
            color: Some(if colour {
                ColorSetting::Always
            } else {
                ColorSetting::Never
            }),
            logfile: self.logfile.clone(),
            ..libtest_mimic::Arguments::default()
        }
    }
}

/// The colour decision, documented in `--color`'s help and the README.
fn colour(when: ColorWhen, var: &dyn Fn(&str) -> Option<OsString>, terminal: bool) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if set("NO_COLOR") => false,
        ColorWhen::Auto if set("CLICOLOR_FORCE") && var("CLICOLOR_FORCE") != Some("0".into()) => {
            true
        }
        ColorWhen::Auto if var("CLICOLOR") == Some("0".into()) => false,
        ColorWhen::Auto => terminal && var("TERM").is_some_and(|t| t != "dumb"),
    }
}

/// Most `--test-threads` accepted: libtest starts that many OS threads whatever the
/// number of cases, and a few dozen already saturate an endpoint.
pub const MAX_TEST_THREADS: usize = 1024;

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_TEST_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number of cases to run at once, 1 to {MAX_TEST_THREADS}, got {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn colour_precedence_is_flag_then_no_color_then_clicolor_force_then_terminal() {
        let both = env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(colour(ColorWhen::Always, &both, false));
        assert!(!colour(
            ColorWhen::Never,
            &env(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
        assert!(!colour(ColorWhen::Auto, &both, true));
        assert!(colour(
            ColorWhen::Auto,
            &env(&[("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!colour(
            ColorWhen::Auto,
            &env(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
        // An empty NO_COLOR does not count (no-color.org).
        let empty = env(&[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]);
        assert!(colour(ColorWhen::Auto, &empty, false));
        let term = env(&[("TERM", "xterm")]);
        assert!(colour(ColorWhen::Auto, &term, true));
        assert!(!colour(ColorWhen::Auto, &term, false));
        assert!(!colour(
            ColorWhen::Auto,
            &env(&[("TERM", "xterm"), ("CLICOLOR", "0")]),
            true
        ));
        assert!(!colour(ColorWhen::Auto, &env(&[("TERM", "dumb")]), true));
    }

    #[test]
    fn threads_are_between_one_and_the_maximum() {
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_threads("0").unwrap_err().contains("1 to 1024"));
        assert!(parse_threads("-1").is_err());
        assert_eq!(parse_threads("1024"), Ok(1024));
        assert!(parse_threads("1025").is_err());
    }
}
