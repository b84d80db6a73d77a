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

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::auth::{Credentials, Secret};
use crate::http::{Client, ClientOptions};
use crate::mock::{MockConfig, MockServer, TokenGrant};
use crate::plan::{self, Plan};
use crate::report::junit::JunitReporter;
use crate::report::redact::Redactor;
use crate::report::Reporter;
use crate::runner::{self, TargetRun, TrialOptions};
use crate::schema::SchemaRegistry;
use crate::spec::{self, coverage};
use crate::target::{CAPABILITIES, Target, is_known_capability, known_capabilities};
use crate::template::Vars;

pub const EXIT_FAILED: u8 = 101;
pub const EXIT_INPUT: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "aom-conformance",
    version,
    about = "Contract and conformance harness for Huawei Cloud AOM APIs",
    long_about = "Runs YAML case files against an AOM endpoint (a real region, the embedded reference mock, or an emulator) and checks every documented response code.\n\nExit codes: 0 all selected cases passed; 101 a case failed; 2 bad input (spec, schema, flag, target); 3 endpoint unreachable or no token could be obtained."
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
    /// Base URL of the endpoint under test. Without it, the embedded mock is started.
    #[arg(long, env = "AOM_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Project id (32 characters) used in every path.
    #[arg(long, env = "AOM_PROJECT_ID", value_name = "ID")]
    pub project_id: Option<String>,
    /// A capability the endpoint has (repeatable), e.g. fault-injection.
    #[arg(long = "capability", value_name = "NAME")]
    pub capabilities: Vec<String>,
    /// A variable for the specs (repeatable), e.g. --var workflow_id=wf-1.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Per-request timeout, e.g. 30s or 500ms.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Where to write the JUnit report.
    #[arg(long, value_name = "PATH", default_value = "reports/junit.xml")]
    pub junit: PathBuf,
    /// Accept invalid TLS certificates (warns).
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub test: libtest_mimic::Arguments,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

/// `30s`, `500ms`, `2m`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("expected a duration such as 30s or 500ms, got {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?} (use ms, s or m)")),
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("duration must be positive, got {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
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
            for line in e.to_string().lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Loads schemas and specs and builds the plan.
fn load(suite: &SuiteArgs, target_vars: &BTreeSet<String>) -> Result<Plan, CliError> {
    let schemas = SchemaRegistry::load(&suite.schemas).map_err(|e| CliError::Input(e.to_string()))?;
    let files = spec::load_dir(&suite.specs).map_err(|d| CliError::Input(d.to_string()))?;
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
    Ok(if cells.iter().any(|c| c.cases.is_empty()) {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}

fn random_hex(len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(len);
    out
}

fn run(mut args: RunArgs) -> Result<ExitCode, CliError> {
    for c in &args.capabilities {
        if !is_known_capability(c) {
            return Err(CliError::Input(format!(
                "unknown capability {c:?} in --capability; known: {}",
                known_capabilities()
            )));
        }
    }
    let color = match args.test.color {
        Some(libtest_mimic::ColorSetting::Always) => true,
        Some(libtest_mimic::ColorSetting::Never) => false,
        _ => colored::control::SHOULD_COLORIZE.should_colorize(),
    };
    colored::control::set_override(color);

    let mut variables: BTreeMap<String, String> = args.vars.iter().cloned().collect();
    let var_names: BTreeSet<String> = variables.keys().cloned().collect();
    let plan = Arc::new(load(&args.suite, &var_names)?);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;

    let token = std::env::var("AOM_AUTH_TOKEN").ok().filter(|t| !t.is_empty()).map(Secret::new);
    let (target, mock) = match &args.endpoint {
        Some(endpoint) => {
            let project_id = args.project_id.clone().ok_or_else(|| {
                CliError::Input("--project-id (or AOM_PROJECT_ID) is required with --endpoint".into())
            })?;
            if args.insecure {
                eprintln!("warning: --insecure: TLS certificates are not verified");
            }
            let credentials = token.map_or(Credentials::None, Credentials::Token);
            let target = Target {
                name: String::new(),
                endpoint: endpoint.trim_end_matches('/').to_owned(),
                project_id,
                credentials,
                capabilities: args.capabilities.iter().cloned().collect(),
                variables: std::mem::take(&mut variables),
                timeout: args.timeout,
                region: None,
            };
            (target, None)
        }
        None => {
            let project_id = args.project_id.clone().unwrap_or_else(|| random_hex(32));
            let token = token.unwrap_or_else(|| Secret::new(format!("MII{}", random_hex(40))));
            let config = MockConfig {
                tokens: vec![TokenGrant {
                    token: token.clone(),
                    projects: vec![project_id.clone()],
                }],
                faults: true,
                ..MockConfig::default()
            };
            let server = runtime
                .block_on(MockServer::start(config, ([127, 0, 0, 1], 0).into()))
                .map_err(|e| CliError::Unreachable(format!("cannot start the embedded mock: {e}")))?;
            let target = Target {
                name: String::new(),
                endpoint: server.url(),
                project_id,
                credentials: Credentials::Token(token),
                capabilities: CAPABILITIES.iter().map(|(n, _)| (*n).to_owned()).collect(),
                variables: std::mem::take(&mut variables),
                timeout: args.timeout,
                region: None,
            };
            (target, Some(server))
        }
    };

    let client = Client::new(
        &target.endpoint,
        &target.project_id,
        target.credentials.clone(),
        &ClientOptions {
            timeout: target.timeout,
            insecure: args.insecure,
        },
    )
    .map_err(|e| CliError::Input(e.to_string()))?;

    if !args.test.list && mock.is_none() {
        runtime.block_on(preflight(&target.endpoint, target.timeout))?;
    }

    let run_id = random_hex(8);
    let mut vars = Vars::default();
    for (k, v) in target.all_variables() {
        vars.set(k, v);
    }
    vars.set("run_id", run_id.clone());
    let redactor = Redactor::new(target.credentials.secrets());
    let suite_props = vec![(
        target.name.clone(),
        vec![
            ("endpoint".to_owned(), target.endpoint.clone()),
            ("project_id".to_owned(), target.project_id.clone()),
            ("auth".to_owned(), target.credentials.mode().to_owned()),
            ("tool_version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
        ],
    )];
    let tr = Arc::new(TargetRun {
        target,
        client,
        redactor,
        vars,
        run_id,
    });

    let junit = Arc::new(JunitReporter::default());
    let reporters: Arc<Vec<Arc<dyn Reporter>>> = Arc::new(vec![junit.clone() as Arc<dyn Reporter>]);
    let trials = runner::trials(
        &plan,
        &[tr],
        runtime.handle(),
        &reporters,
        &TrialOptions {
            prefix_target: false,
            color,
        },
    );
    if args.test.test_threads.is_none() {
        // Trials wait on the network, not the CPU: more threads than cores pays off.
        args.test.test_threads = Some(16);
    }
    let conclusion = libtest_mimic::run(&args.test, trials);

    if !args.test.list {
        junit
            .write(&args.junit, &suite_props)
            .map_err(|e| CliError::Input(e.to_string()))?;
    }
    if let Some(server) = mock {
        runtime.block_on(server.shutdown());
    }
    Ok(if conclusion.has_failed() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// One request to the endpoint's root: any HTTP answer proves it is reachable; no answer
/// is one clear error instead of N failed cases.
async fn preflight(endpoint: &str, timeout: Duration) -> Result<(), CliError> {
    let client = reqwest::Client::builder()
        .timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| CliError::Input(e.to_string()))?;
    match client.get(endpoint).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = format!("{msg}: {s}");
                src = s.source();
            }
            Err(CliError::Unreachable(format!("cannot reach endpoint {endpoint}: {msg}")))
        }
    }
}

