//! `aom-conformance mock`: arguments and the blocking entry point.
//!
//! Prints `aom-conformance mock listening on http://ADDR` (then any generated project id and
//! token) on stdout, serves until SIGINT/SIGTERM, and shuts down gracefully. SKs are never
//! printed; tokens are printed only when the mock generated them.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use super::{AccessKey, MockConfig, MockServer, TokenGrant};
use crate::auth::Secret;

/// Serve the reference AOM mock.
#[derive(clap::Args, Debug)]
pub struct MockArgs {
    /// Address to listen on; port 0 picks a free port (the listen line shows which).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        env = "AOM_MOCK_LISTEN"
    )]
    pub listen: SocketAddr,

    /// Accept this X-Auth-Token (repeatable). `TOKEN@P1,P2` binds it to those project ids only; otherwise it may use every --project-id.
    #[arg(long = "token", value_name = "TOKEN", value_parser = secret, env = "AOM_MOCK_TOKEN", hide_env_values = true)]
    pub tokens: Vec<Secret>,

    /// Accept AK/SK signatures by this access key (repeatable; pair the n-th --ak with the n-th --sk). `AK@P1,P2` binds it to those project ids only.
    #[arg(long = "ak", value_name = "AK", env = "AOM_MOCK_AK")]
    pub aks: Vec<String>,

    /// Secret key of the matching --ak (repeatable). Prefer AOM_MOCK_SK: command lines are visible to other users.
    #[arg(long = "sk", value_name = "SK", value_parser = secret, env = "AOM_MOCK_SK", hide_env_values = true)]
    pub sks: Vec<Secret>,

    /// Project id (32 characters) the credentials may use (repeatable). Without one, a project id is generated and printed.
    #[arg(long = "project-id", value_name = "ID", env = "AOM_MOCK_PROJECT_ID")]
    pub project_ids: Vec<String>,

    /// Honour the X-Aom-Mock-Fault request header: internal-error, delay=<ms>, drop-connection.
    #[arg(long)]
    pub faults: bool,

    /// Serve POST /_mock/reset, which forgets every workflow and execution (also on with --faults).
    #[arg(long)]
    pub allow_reset: bool,

    /// Once the socket is bound, write the mock's URL (http://ADDR) to this file, so a script can wait for the file instead of polling.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<std::path::PathBuf>,

    /// Answer missing or bad credentials as the API gateway does (401 APIGW.0301 with request_id) instead of AOM.31009004.
    #[arg(long)]
    pub gateway_auth_errors: bool,

    /// Most workflows one project may hold; CreateWorkflow beyond it answers 409 MOCK.QUOTA_EXCEEDED.
    #[arg(long, value_name = "N", default_value_t = MockConfig::default().max_workflows_per_project)]
    pub max_workflows_per_project: usize,

    /// Most executions one workflow may hold; ExecuteWorkflow beyond it answers 409 MOCK.QUOTA_EXCEEDED.
    #[arg(long, value_name = "N", default_value_t = MockConfig::default().max_executions_per_workflow)]
    pub max_executions_per_workflow: usize,

    /// Most executions one project may hold over all its workflows; ExecuteWorkflow beyond it answers 409 MOCK.QUOTA_EXCEEDED.
    #[arg(long, value_name = "N", default_value_t = MockConfig::default().max_executions_per_project)]
    pub max_executions_per_project: usize,

    /// Largest accepted distance in seconds between X-Sdk-Date and the mock's clock; 0 turns the check off.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub max_sdk_date_skew: u64,

    /// How long a deleted action rule stays visible, in milliseconds (the live service deletes asynchronously); 0: at once.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub action_rule_delete_lag_ms: u64,

    /// Answer as the live service is known to where it differs from the docs (ShowActionRule 404 for a missing rule; action rules without project_id, user_name, push_policy accepted).
    #[arg(long)]
    pub live_quirks: bool,
}

fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// Why `aom-conformance mock` could not run.
#[derive(Debug, thiserror::Error)]
pub enum MockCliError {
    /// `--ak` and `--sk` were not given the same number of times.
    #[error("--ak was given {aks} times but --sk {sks} times; give them in pairs")]
    UnpairedKeys { aks: usize, sks: usize },
    /// A `--project-id` (or an `@` binding) is not 32 characters long.
    #[error("project id {0:?} must be exactly 32 characters long")]
    InvalidProjectId(String),
    /// A `--token` no request could ever carry.
    #[error("--token must be 1-{max} characters of visible ASCII (the documented X-Auth-Token limit)", max = super::MAX_TOKEN_LEN)]
    InvalidToken,
    /// The same `--ak` twice: which SK would apply?
    #[error("--ak {0:?} is given twice")]
    DuplicateAk(String),
    /// A store limit was set to 0, which would refuse every create.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    /// The OS random source failed while generating a token or project id.
    #[error("cannot generate random credentials: {0}")]
    Random(getrandom::Error),
    /// The tokio runtime could not be built.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// Signal handlers could not be installed, so the mock could not be stopped cleanly.
    #[error("cannot install signal handlers: {0}")]
    Signal(std::io::Error),
    /// The `--ready-file` could not be written.
    #[error("cannot write --ready-file {}: {source}", path.display())]
    ReadyFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// Writing the listen line to stdout failed (e.g. closed pipe).
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
}

impl MockCliError {
    /// Whether the flags are at fault (exit 2), rather than the machine: a port in use, no
    /// randomness, no signals (exit 3, like any server that cannot be started).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            MockCliError::UnpairedKeys { .. }
                | MockCliError::InvalidProjectId(_)
                | MockCliError::InvalidToken
                | MockCliError::DuplicateAk(_)
                | MockCliError::ZeroLimit(_)
                | MockCliError::ReadyFile { .. }
        )
    }
}

/// Writes `url` to `path` whole (a hidden file beside it, renamed over it), so a script
/// that sees the file can read the complete URL.
fn write_ready_file(path: &std::path::Path, url: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map_or("ready".into(), |n| n.to_string_lossy());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, format!("{url}\n"))?;
    std::fs::rename(&tmp, path)
}

/// `VALUE@P1,P2` → (`VALUE`, the project ids); a value without `@` is bound to every
/// project. Project ids are checked like `--project-id`.
fn split_binding(value: &str) -> Result<(&str, Option<Vec<String>>), MockCliError> {
    let Some((value, ids)) = value.rsplit_once('@') else {
        return Ok((value, None));
    };
    let ids: Vec<String> = ids.split(',').map(str::to_owned).collect();
    if let Some(bad) = ids.iter().find(|p| p.chars().count() != 32) {
        return Err(MockCliError::InvalidProjectId(bad.clone()));
    }
    Ok((value, Some(ids)))
}

fn random_hex(chars: usize) -> Result<String, MockCliError> {
    crate::sys::random_hex(chars).map_err(MockCliError::Random)
}

/// What the listen line is followed by: credentials the user has to learn from us.
struct Generated {
    project_id: Option<String>,
    token: Option<Secret>,
}

/// The mock's configuration from its flags, and the credentials it made up for want of them.
fn build_config(args: &MockArgs) -> Result<(MockConfig, Generated), MockCliError> {
    check_flags(args)?;
    let mut generated = Generated {
        project_id: None,
        token: None,
    };
    let projects = projects(args, &mut generated)?;
    let tokens = tokens(args, &projects, &mut generated)?;
    let keys = keys(args, &projects)?;
    let config = MockConfig {
        tokens,
        keys,
        faults: args.faults,
        allow_reset: args.allow_reset || args.faults,
        gateway_auth_errors: args.gateway_auth_errors,
        max_workflows_per_project: args.max_workflows_per_project,
        max_executions_per_workflow: args.max_executions_per_workflow,
        max_executions_per_project: args.max_executions_per_project,
        body_read_timeout: MockConfig::default().body_read_timeout,
        max_sdk_date_skew: (args.max_sdk_date_skew > 0)
            .then(|| Duration::from_secs(args.max_sdk_date_skew)),
        alarms: super::AlarmsConfig {
            action_rule_delete_lag: Duration::from_millis(args.action_rule_delete_lag_ms),
            live_quirks: args.live_quirks,
            ..super::AlarmsConfig::default()
        },
    };
    Ok((config, generated))
}

/// Flag problems found without parsing a value, before anything is generated.
fn check_flags(args: &MockArgs) -> Result<(), MockCliError> {
    if args.aks.len() != args.sks.len() {
        return Err(MockCliError::UnpairedKeys {
            aks: args.aks.len(),
            sks: args.sks.len(),
        });
    }
    if let Some(bad) = args.project_ids.iter().find(|p| p.chars().count() != 32) {
        return Err(MockCliError::InvalidProjectId(bad.clone()));
    }
    if args.max_workflows_per_project == 0 {
        return Err(MockCliError::ZeroLimit("--max-workflows-per-project"));
    }
    if args.max_executions_per_workflow == 0 {
        return Err(MockCliError::ZeroLimit("--max-executions-per-workflow"));
    }
    if args.max_executions_per_project == 0 {
        return Err(MockCliError::ZeroLimit("--max-executions-per-project"));
    }
    Ok(())
}

/// The `--project-id`s; without any, one generated, so that some path is allowed.
fn projects(args: &MockArgs, generated: &mut Generated) -> Result<Vec<String>, MockCliError> {
    if !args.project_ids.is_empty() {
        return Ok(args.project_ids.clone());
    }
    // 16 random bytes in hex: 32 characters, the documented project id length.
    let id = random_hex(32)?;
    generated.project_id = Some(id.clone());
    Ok(vec![id])
}

/// The `--token`s; with no token and no AK, one generated, so that some caller gets in.
fn tokens(
    args: &MockArgs,
    projects: &[String],
    generated: &mut Generated,
) -> Result<Vec<TokenGrant>, MockCliError> {
    let mut tokens = Vec::with_capacity(args.tokens.len() + 1);
    for t in &args.tokens {
        let (token, bound) = split_binding(t.expose())?;
        let visible = token.bytes().all(|b| (0x21..0x7f).contains(&b));
        if token.is_empty() || token.len() > super::MAX_TOKEN_LEN || !visible {
            return Err(MockCliError::InvalidToken);
        }
        tokens.push(TokenGrant {
            token: Secret::new(token),
            projects: bound.unwrap_or_else(|| projects.to_vec()),
        });
    }
    if tokens.is_empty() && args.aks.is_empty() {
        let token = Secret::new(random_hex(64)?);
        generated.token = Some(token.clone());
        tokens.push(TokenGrant {
            token,
            projects: projects.to_vec(),
        });
    }
    Ok(tokens)
}

/// The `--ak`/`--sk` pairs. An AK given twice is refused: the mock looks keys up by AK,
/// so one of the two secret keys would silently never match.
fn keys(args: &MockArgs, projects: &[String]) -> Result<Vec<AccessKey>, MockCliError> {
    let mut keys: Vec<AccessKey> = Vec::with_capacity(args.aks.len());
    for (ak, sk) in args.aks.iter().zip(&args.sks) {
        let (ak, bound) = split_binding(ak)?;
        if keys.iter().any(|k| k.ak == ak) {
            return Err(MockCliError::DuplicateAk(ak.to_owned()));
        }
        keys.push(AccessKey {
            ak: ak.to_owned(),
            sk: sk.clone(),
            projects: bound.unwrap_or_else(|| projects.to_vec()),
        });
    }
    Ok(keys)
}

/// Runs the mock until SIGINT/SIGTERM, on a runtime of its own.
pub fn run(args: MockArgs) -> Result<(), MockCliError> {
    let (config, generated) = build_config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(MockCliError::Runtime)?;
    runtime.block_on(async {
        // Installed before the listen line, so a signal right after it is not lost.
        let mut stop = crate::sys::StopSignals::install().map_err(MockCliError::Signal)?;
        let server = MockServer::start(config, args.listen)
            .await
            .map_err(|source| MockCliError::Bind {
                addr: args.listen,
                source,
            })?;
        let mut out = std::io::stdout().lock();
        let mut lines = vec![format!(
            "aom-conformance mock listening on {}",
            server.url()
        )];
        if let Some(project_id) = &generated.project_id {
            lines.push(format!("project id: {project_id}"));
        }
        if let Some(token) = &generated.token {
            lines.push(format!("token: {}", token.expose()));
        }
        for line in lines {
            writeln!(out, "{line}").map_err(MockCliError::Stdout)?;
        }
        out.flush().map_err(MockCliError::Stdout)?;
        drop(out);
        if let Some(path) = &args.ready_file {
            write_ready_file(path, &server.url()).map_err(|source| MockCliError::ReadyFile {
                path: path.clone(),
                source,
            })?;
        }
        stop.recv().await;
        server.shutdown().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        mock: MockArgs,
    }

    fn parse(args: &[&str]) -> MockArgs {
        Cli::try_parse_from(std::iter::once("mock").chain(args.iter().copied()))
            .unwrap()
            .mock
    }

    #[test]
    fn generates_a_token_and_project_when_none_given() {
        let (config, generated) = build_config(&parse(&[])).unwrap();
        let project = generated.project_id.unwrap();
        assert_eq!(project.len(), 32);
        assert_eq!(config.tokens.len(), 1);
        assert_eq!(config.tokens[0].projects, vec![project]);
        assert_eq!(Some(&config.tokens[0].token), generated.token.as_ref());
    }

    #[test]
    fn keys_come_in_pairs_and_generate_no_token() {
        let p = "0123456789abcdef0123456789abcdef";
        let (config, generated) =
            build_config(&parse(&["--ak", "A", "--sk", "S", "--project-id", p])).unwrap();
        assert!(generated.token.is_none() && generated.project_id.is_none());
        assert!(config.tokens.is_empty());
        assert_eq!(config.keys[0].sk.expose(), "S");
        assert!(matches!(
            build_config(&parse(&["--ak", "A", "--ak", "B", "--sk", "S"])),
            Err(MockCliError::UnpairedKeys { aks: 2, sks: 1 })
        ));
        assert!(matches!(
            build_config(&parse(&["--project-id", "short"])),
            Err(MockCliError::InvalidProjectId(_))
        ));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let args = parse(&["--token", "tok-123", "--ak", "A", "--sk", "sk-456"]);
        let shown = format!("{args:?}");
        assert!(
            !shown.contains("tok-123") && !shown.contains("sk-456"),
            "{shown}"
        );
    }

    #[test]
    fn credentials_can_be_bound_to_some_projects() {
        let (a, b) = (
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        );
        let binding = format!("t1@{a}");
        let ak_binding = format!("AK@{a},{b}");
        let (config, _) = build_config(&parse(&[
            "--token",
            &binding,
            "--token",
            "t2",
            "--ak",
            &ak_binding,
            "--sk",
            "S",
            "--project-id",
            b,
        ]))
        .unwrap();
        assert_eq!(config.tokens[0].token.expose(), "t1");
        assert_eq!(config.tokens[0].projects, [a]);
        assert_eq!(config.tokens[1].projects, [b]);
        assert_eq!(config.keys[0].ak, "AK");
        assert_eq!(config.keys[0].projects, [a, b]);
        assert!(matches!(
            build_config(&parse(&["--token", "t@short"])),
            Err(MockCliError::InvalidProjectId(_))
        ));
        assert!(matches!(
            build_config(&parse(&["--token", "has space"])),
            Err(MockCliError::InvalidToken)
        ));
        assert!(matches!(
            build_config(&parse(&[
                "--ak", "A", "--sk", "S", "--ak", "A", "--sk", "T"
            ])),
            Err(MockCliError::DuplicateAk(_))
        ));
    }
}
