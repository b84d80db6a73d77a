//! The command line: `run`, `lint`, `coverage`, `mock`. Parses flags (with libtest's
//! flags flattened into `run`), wires the library together and maps every outcome to an
//! exit code:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every selected case passed (ignored cases are fine) |
//! | 101 | at least one case failed |
//! | 2 | bad input: a spec, schema, flag, target or configuration problem |
//! | 3 | the endpoint (or the IAM endpoint) cannot be reached, or no token could be obtained |
//! | 130 | interrupted by Ctrl-C / SIGTERM, after undoing what the run started |

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::auth::{Credentials, Secret, iam};
use crate::http::{Client, ClientOptions};
use crate::mock::{AccessKey, MockConfig, MockServer, TokenGrant};
use crate::plan::{self, Plan};
use crate::report::Reporter;
use crate::report::junit::JunitReporter;
use crate::report::redact::Redactor;
use crate::runner::{self, TargetRun, TrialOptions};
use crate::schema::SchemaRegistry;
use crate::spec::{self, coverage};
use crate::target::{self, CAPABILITIES, ProcessEnv, Target, TargetArgs};
use crate::template::Vars;

pub const EXIT_FAILED: u8 = 101;
/// More located problems than this are counted, not listed: a generated suite with one
/// systematic mistake should not scroll the first error off the screen.
const MAX_ERRORS_SHOWN: usize = 50;
pub const EXIT_INPUT: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser, Debug)]
#[command(
    name = "aom-conformance",
    version,
    about = "Contract and conformance harness for Huawei Cloud AOM APIs",
    long_about = "Runs YAML case files against an AOM endpoint (a real region, the embedded reference mock, or an emulator) and checks every documented response code.\n\nExit codes: 0 all selected cases passed; 101 a case failed; 2 bad input (spec, schema, flag, target); 3 endpoint unreachable or no token could be obtained; 130 interrupted (after cleaning up)."
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

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to write the JUnit report.
    #[arg(long, value_name = "PATH", default_value = "reports/junit.xml")]
    pub junit: PathBuf,
    #[command(flatten)]
    pub test: libtest_mimic::Arguments,
}

/// A problem that ends the command before (or instead of) running cases.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: specs, schemas, flags, target (exit 2).
    #[error("{0}")]
    Input(String),
    /// The endpoint cannot be reached (exit 3).
    #[error("{0}")]
    Unreachable(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => EXIT_INPUT,
            CliError::Unreachable(_) => EXIT_UNREACHABLE,
        }
    }
}

/// Entry point for the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(*args),
        Command::Lint(args) => lint(&args),
        Command::Coverage(args) => show_coverage(&args),
        Command::Mock(args) => crate::mock::cli::run(args)
            .map(|()| ExitCode::SUCCESS)
            .map_err(|e| CliError::Input(e.to_string())),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line per located problem, each prefixed, so they read like rustc's.
            let text = e.to_string();
            let lines: Vec<&str> = text.lines().collect();
            for line in lines.iter().take(MAX_ERRORS_SHOWN) {
                eprintln!("error: {line}");
            }
            if lines.len() > MAX_ERRORS_SHOWN {
                eprintln!(
                    "error: … and {} more problems (fix these first)",
                    lines.len() - MAX_ERRORS_SHOWN
                );
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Loads schemas and specs and builds the plan.
/// Reads and compiles the schemas and reads the case files: once per command.
fn read_suite(suite: &SuiteArgs) -> Result<(SchemaRegistry, Vec<spec::SpecFile>), CliError> {
    let schemas =
        SchemaRegistry::load(&suite.schemas).map_err(|e| CliError::Input(e.to_string()))?;
    let files = spec::load_dir(&suite.specs).map_err(|d| CliError::Input(d.to_string()))?;
    Ok((schemas, files))
}

/// The plan of a suite, for targets that provide `target_vars`.
fn load(suite: &SuiteArgs, target_vars: &BTreeSet<String>) -> Result<Plan, CliError> {
    let (schemas, files) = read_suite(suite)?;
    plan::build(&files, &schemas, target_vars).map_err(|d| CliError::Input(d.to_string()))
}

fn lint(suite: &SuiteArgs) -> Result<ExitCode, CliError> {
    let plan = load(suite, &BTreeSet::new())?;
    let cells = coverage::matrix(&plan);
    let gaps = coverage::gaps(&cells);
    if !gaps.is_empty() {
        return Err(CliError::Input(gaps.to_string()));
    }
    println!(
        "ok: {} operations, {} cases, {}/{} documented responses covered",
        plan.operations.len(),
        plan.cases.len(),
        cells.len(),
        cells.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn show_coverage(suite: &SuiteArgs) -> Result<ExitCode, CliError> {
    let plan = load(suite, &BTreeSet::new())?;
    let cells = coverage::matrix(&plan);
    print!("{}", coverage::render(&cells));
    let missing = cells.iter().filter(|c| c.cases.is_empty()).count();
    if missing > 0 {
        eprintln!("error: {missing} documented response(s) have no case (marked MISSING)");
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}

/// `len` random hex characters (ids, the embedded mock's token).
fn random_hex(len: usize) -> Result<String, CliError> {
    let mut buf = vec![0u8; len.div_ceil(2)];
    getrandom::fill(&mut buf)
        .map_err(|e| CliError::Input(format!("no randomness from the OS: {e}")))?;
    let mut hex = hex::encode(buf);
    hex.truncate(len);
    Ok(hex)
}

fn run(mut args: RunArgs) -> Result<ExitCode, CliError> {
    let color = match args.test.color {
        Some(libtest_mimic::ColorSetting::Always) => true,
        Some(libtest_mimic::ColorSetting::Never) => false,
        _ => colored::control::SHOULD_COLORIZE.should_colorize(),
    };
    colored::control::set_override(color);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    let interrupt = (!args.test.list).then(|| watch_interrupt(&runtime));

    if args.test.test_threads == Some(0) {
        return Err(CliError::Input("--test-threads must be at least 1".into()));
    }
    let listing = args.test.list;
    if !listing {
        check_writable(&args.junit)?;
    }
    check_logfile(args.test.logfile.as_deref())?;
    let (mut targets, mock) = targets(&args.target, &runtime, listing)?;

    // Each target's variables are checked against the specs: a `{{name}}` one target
    // provides and another does not is a load error, not an empty string at run time.
    // Targets with the same variable names share one plan; the files are read once.
    let (schemas, files) = read_suite(&args.suite)?;
    let mut plans: Vec<(BTreeSet<String>, Arc<Plan>)> = Vec::new();
    let mut plan_of = Vec::with_capacity(targets.len());
    for t in &targets {
        let names: BTreeSet<String> = t.variables.keys().cloned().collect();
        let plan = match plans.iter().find(|(n, _)| *n == names) {
            Some((_, p)) => Arc::clone(p),
            None => {
                let p = Arc::new(plan::build(&files, &schemas, &names).map_err(|d| {
                    let m = d.to_string();
                    CliError::Input(if t.name.is_empty() {
                        m
                    } else {
                        format!("target {}: {m}", t.name)
                            .replace('\n', &format!("\ntarget {}: ", t.name))
                    })
                })?);
                plans.push((names, Arc::clone(&p)));
                p
            }
        };
        plan_of.push(plan);
    }

    if !listing {
        for t in &mut targets {
            if t.insecure {
                eprintln!(
                    "warning: {}: TLS certificates are not verified (--insecure)",
                    t.endpoint
                );
            }
            // What IAM or a failed connection says can quote a URL with a password in it.
            let redactor = Redactor::new(t.secrets());
            let redacted = |text: String| redactor.redact(&text).into_owned();
            if mock.is_none() {
                runtime
                    .block_on(preflight(&t.endpoint, t.timeout, t.insecure))
                    .map_err(|e| CliError::Unreachable(redacted(e.to_string())))?;
            }
            if let Some(login) = &t.iam {
                let token = runtime
                    .block_on(iam::fetch_token(
                        login,
                        &t.project_id,
                        t.timeout,
                        t.insecure,
                    ))
                    .map_err(|e| CliError::Unreachable(redacted(e.to_string())))?;
                t.credentials = Credentials::Token(token);
            }
        }
    }

    let run_id = random_hex(8)?;
    let prefix_target = targets.len() > 1;
    let mut runs = Vec::with_capacity(targets.len());
    let mut suites = Vec::with_capacity(targets.len());
    for target in targets {
        let client = Client::new(
            &target.endpoint,
            &target.project_id,
            target.credentials.clone(),
            &ClientOptions {
                timeout: target.timeout,
                insecure: target.insecure,
            },
        )
        .map_err(|e| CliError::Input(e.to_string()))?;
        let mut vars = Vars::default();
        for (k, v) in target.all_variables() {
            vars.set(k, v);
        }
        vars.set("run_id", run_id.clone());
        let capabilities: Vec<&str> = target.capabilities.iter().map(String::as_str).collect();
        suites.push((
            target.name.clone(),
            vec![
                ("endpoint".to_owned(), target.endpoint.clone()),
                ("project_id".to_owned(), target.project_id.clone()),
                ("auth".to_owned(), target.credentials.mode().to_owned()),
                ("capabilities".to_owned(), capabilities.join(",")),
                (
                    "tool_version".to_owned(),
                    env!("CARGO_PKG_VERSION").to_owned(),
                ),
            ],
        ));
        let redactor = Redactor::new(target.secrets());
        runs.push(Arc::new(TargetRun::new(
            target,
            client,
            redactor,
            vars,
            run_id.clone(),
        )));
    }
    let junit = Arc::new(JunitReporter::default());
    if let Some(i) = &interrupt {
        i.register(&runs);
    }
    let reporters: Arc<Vec<Arc<dyn Reporter>>> = Arc::new(vec![junit.clone() as Arc<dyn Reporter>]);
    let pairs: Vec<(Arc<Plan>, Arc<TargetRun>)> =
        plan_of.into_iter().zip(runs.iter().cloned()).collect();
    let trials = runner::trials(
        &pairs,
        runtime.handle(),
        &reporters,
        &TrialOptions {
            prefix_target,
            color,
        },
    );
    if args.test.test_threads.is_none() {
        args.test.test_threads = Some(DEFAULT_TEST_THREADS);
    }
    let conclusion = libtest_mimic::run(&args.test, trials);
    let interrupted = interrupt.as_ref().is_some_and(|i| i.hit());
    if interrupted {
        // Cases undo what they started before they end; this catches anything left.
        let mut left = 0;
        for tr in &runs {
            left += runtime.block_on(tr.cleanup_all());
        }
        eprintln!("interrupted: every case ended ({left} cleanup(s) left over were run)");
    }

    let written = if listing {
        Ok(())
    } else {
        junit.write(&args.junit, &suites)
    };
    if let Some(server) = mock {
        runtime.block_on(server.shutdown());
    }
    match written {
        // A failed run stays a failed run (101) even when the report cannot be written.
        Err(e) if conclusion.has_failed() => eprintln!("error: {e}"),
        Err(e) => return Err(CliError::Input(e.to_string())),
        Ok(()) => {}
    }
    Ok(if interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if conclusion.has_failed() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Fails early, before any case runs, when the report path cannot be written: writes and
/// removes a scratch file beside it, the way the report itself is written, so a previous
/// report is neither clobbered nor left as an empty file.
fn check_writable(path: &std::path::Path) -> Result<(), CliError> {
    let fail = |e: std::io::Error| {
        CliError::Input(format!("cannot write JUnit report {}: {e}", path.display()))
    };
    if path.is_dir() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory",
        )));
    }
    let probe = path.with_file_name(format!(".aom-conformance-probe-{}", std::process::id()));
    crate::report::junit::write_replacing(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// libtest's `--logfile` is opened by libtest-mimic, which panics when it cannot be:
/// try it first, so a bad path is an input error like any other.
fn check_logfile(path: Option<&str>) -> Result<(), CliError> {
    let Some(path) = path else { return Ok(()) };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(drop)
        .map_err(|e| CliError::Input(format!("cannot write --logfile {path}: {e}")))
}

/// Ctrl-C / SIGTERM, shared by the signal task and the main thread.
///
/// Before any case runs, an interrupt just exits 130: nothing was started. Once runs are
/// registered, it only stops them sending; each running case finishes its request in
/// flight (bounded by the timeout) and undoes what it started, cases not started yet are
/// reported "interrupted: not run", and the main thread writes the report and exits 130.
/// A second signal exits at once.
#[derive(Default)]
struct Interrupt {
    hit: std::sync::atomic::AtomicBool,
    runs: parking_lot::Mutex<Vec<Arc<TargetRun>>>,
}

impl Interrupt {
    fn hit(&self) -> bool {
        self.hit.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// From now on an interrupt stops these runs instead of exiting.
    fn register(&self, runs: &[Arc<TargetRun>]) {
        self.runs.lock().extend(runs.iter().cloned());
    }
}

fn watch_interrupt(runtime: &tokio::runtime::Runtime) -> Arc<Interrupt> {
    let interrupt = Arc::new(Interrupt::default());
    let shared = Arc::clone(&interrupt);
    runtime.spawn(async move {
        interrupt_signal().await;
        {
            let runs = shared.runs.lock();
            shared.hit.store(true, std::sync::atomic::Ordering::SeqCst);
            if runs.is_empty() {
                eprintln!("interrupted before any case ran");
                std::process::exit(130);
            }
            eprintln!(
                "interrupted: finishing requests in flight and undoing what this run started (Ctrl-C again to quit now)…"
            );
            for tr in runs.iter() {
                tr.stop();
            }
        }
        interrupt_signal().await;
        eprintln!("interrupted again: exiting without finishing the cleanup");
        std::process::exit(130);
    });
    interrupt
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn interrupt_signal() {
    let term = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => if r.is_err() { std::future::pending::<()>().await },
        () = term => {},
    }
}

/// Default `--test-threads`: cases wait on the network, not the CPU, so this is well
/// above the core count.
pub const DEFAULT_TEST_THREADS: usize = 16;

/// The targets of this run: from target files, from flags/env, or the embedded mock.
fn targets(
    args: &TargetArgs,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<(Vec<Target>, Option<MockServer>), CliError> {
    let input = |e: target::TargetError| CliError::Input(e.to_string());
    if args.targets.len() > 1 {
        // One value for several targets would silently make them all the same target.
        let shared = [
            ("--endpoint / AOM_ENDPOINT", args.endpoint.is_some()),
            ("--region / AOM_REGION", args.region.is_some()),
            ("--project-id / AOM_PROJECT_ID", args.project_id.is_some()),
            ("--auth / AOM_AUTH", args.auth.is_some()),
            (
                "--iam-endpoint / AOM_IAM_ENDPOINT",
                args.iam_endpoint.is_some(),
            ),
        ];
        let set: Vec<&str> = shared
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        if !set.is_empty() {
            return Err(CliError::Input(format!(
                "with several --target files, {} would apply to every target; put it in each target file (or unset the variable)",
                set.join(", ")
            )));
        }
    }
    if !args.targets.is_empty() {
        let mut out: Vec<Target> = Vec::new();
        for path in &args.targets {
            let (file, locator) = target::load_file(path).map_err(input)?;
            let t =
                target::resolve(Some((path, &file, &locator)), args, &ProcessEnv).map_err(input)?;
            if out.iter().any(|o| o.name == t.name) {
                return Err(CliError::Input(format!(
                    "{}: target name {:?} is used twice; give each target file a distinct `name:`",
                    path.display(),
                    t.name
                )));
            }
            out.push(t);
        }
        return Ok((out, None));
    }
    if args.endpoint.is_some() || args.region.is_some() {
        let t = target::resolve(None, args, &ProcessEnv).map_err(input)?;
        return Ok((vec![t], None));
    }

    // The embedded mock accepts exactly the credentials this run will use.
    let project_id = match &args.project_id {
        Some(p) => p.clone(),
        None => random_hex(32)?,
    };
    let resolved = target::resolve(
        None,
        &TargetArgs {
            endpoint: Some("http://127.0.0.1".into()),
            project_id: Some(project_id.clone()),
            ..args.clone()
        },
        &ProcessEnv,
    )
    .map_err(input)?;
    if resolved.iam.is_some() {
        return Err(CliError::Input(
            "--auth iam needs a real endpoint (--endpoint or --region): the embedded mock cannot verify IAM tokens".into(),
        ));
    }
    // No credentials in the environment: the mock's own token. An explicit `--auth none`
    // is kept, so a user can watch every case meet the mock's 401.
    let credentials = match resolved.credentials {
        Credentials::None if args.auth.is_none() => {
            Credentials::Token(Secret::new(format!("MII{}", random_hex(40)?)))
        }
        c => c,
    };
    let mut config = MockConfig {
        faults: true,
        ..MockConfig::default()
    };
    match &credentials {
        Credentials::Token(t) => config.tokens.push(TokenGrant {
            token: t.clone(),
            projects: vec![project_id.clone()],
        }),
        Credentials::AkSk(k) => config.keys.push(AccessKey {
            ak: k.ak.clone(),
            sk: k.sk.clone(),
            projects: vec![project_id.clone()],
        }),
        Credentials::None => {}
    }
    if listing {
        // Nothing will be sent: no need for a server.
        let target = Target {
            name: String::new(),
            credentials,
            capabilities: CAPABILITIES.iter().map(|(n, _)| (*n).to_owned()).collect(),
            ..resolved
        };
        return Ok((vec![target], None));
    }
    let server = runtime
        .block_on(MockServer::start(config, ([127, 0, 0, 1], 0).into()))
        .map_err(|e| CliError::Unreachable(format!("cannot start the embedded mock: {e}")))?;
    let target = Target {
        name: String::new(),
        endpoint: server.url(),
        credentials,
        capabilities: CAPABILITIES.iter().map(|(n, _)| (*n).to_owned()).collect(),
        ..resolved
    };
    Ok((vec![target], Some(server)))
}

/// One request to the endpoint's root: any HTTP answer proves it is reachable; no answer
/// is one clear error instead of N failed cases.
async fn preflight(endpoint: &str, timeout: Duration, insecure: bool) -> Result<(), CliError> {
    let client = reqwest::Client::builder()
        .timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(insecure)
        .build()
        .map_err(|e| CliError::Input(e.to_string()))?;
    match client.get(endpoint).send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(CliError::Unreachable(format!(
            "cannot reach endpoint {endpoint}: {}",
            crate::http::error_chain(&e)
        ))),
    }
}
