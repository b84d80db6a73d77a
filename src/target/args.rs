//! Target settings from the command line: the clap flags (and the environment variables
//! clap reads for them), and the [`Env`] seam through which credentials are read.

use std::path::PathBuf;
use std::time::Duration;

use super::AuthKind;

/// Target settings from flags and the environment (clap reads both; flags win).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// A target file (repeatable: one run, one JUnit suite per target).
    #[arg(long = "target", value_name = "FILE")]
    pub targets: Vec<PathBuf>,
    /// Base URL of the endpoint under test. Without it (and without --region or
    /// --target) the embedded mock is started.
    #[arg(long, env = "AOM_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Region: the endpoint becomes https://aom.{region}.myhuaweicloud.com.
    #[arg(long, env = "AOM_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// Project id (32 characters) used in every path.
    #[arg(long, env = "AOM_PROJECT_ID", value_name = "ID")]
    pub project_id: Option<String>,
    /// How to authenticate; inferred from the environment when absent.
    #[arg(long, env = "AOM_AUTH", value_enum, value_name = "MODE")]
    pub auth: Option<AuthKind>,
    /// AK/SK signing algorithm: SDK-HMAC-SHA256 (default) or V11-HMAC-SHA256.
    #[arg(long, env = "AOM_SIGNING_ALGORITHM", value_name = "NAME")]
    pub signing_algorithm: Option<String>,
    /// IAM endpoint for --auth iam (default https://iam.{region}.myhuaweicloud.com).
    #[arg(long, env = "AOM_IAM_ENDPOINT", value_name = "URL")]
    pub iam_endpoint: Option<String>,
    /// IAM user name for --auth iam (the password comes from AOM_IAM_PASSWORD).
    #[arg(long, env = "AOM_IAM_USER", value_name = "NAME")]
    pub iam_user: Option<String>,
    /// IAM account (domain) name for --auth iam.
    #[arg(long, env = "AOM_IAM_DOMAIN", value_name = "NAME")]
    pub iam_domain: Option<String>,
    /// A capability the endpoint has (repeatable; replaces the target file's list).
    #[arg(long = "capability", value_name = "NAME")]
    pub capabilities: Vec<String>,
    /// An API family the endpoint offers (repeatable; replaces the target file's list).
    /// Without any, the suite decides from the region.
    #[arg(long = "family", value_name = "NAME")]
    pub families: Vec<String>,
    /// A variable for the specs (repeatable), e.g. --var workflow_id=wf-1.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Per-request timeout, e.g. 30s or 500ms [default: 30s, or the target file's].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Accept invalid TLS certificates (warns).
    #[arg(long)]
    pub insecure: bool,
    /// Allow credentials over plain http:// to a host that is not loopback.
    #[arg(long)]
    pub allow_plain_http: bool,
}

pub(super) fn parse_var(s: &str) -> Result<(String, String), String> {
    let Some((k, v)) = s.split_once('=') else {
        return Err(format!("expected NAME=VALUE, got {s:?}"));
    };
    match crate::template::settable_name_problem(k) {
        Some(problem) => Err(problem),
        None => Ok((k.to_owned(), v.to_owned())),
    }
}

/// `30s`, `500ms` or `2m`. A bare number is refused: whether `10` means seconds or
/// milliseconds is a guess, and a wrong guess is a timeout 1000 times off.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let Some(i) = s.find(|c: char| !(c.is_ascii_digit() || c == '.')) else {
        return Err(if s.is_empty() {
            "expected a duration such as 30s or 500ms, got nothing".to_owned()
        } else {
            format!("{s:?} has no unit: write {s}s for seconds or {s}ms for milliseconds")
        });
    };
    let (num, unit) = (&s[..i], &s[i..]);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("expected a duration such as 30s or 500ms, got {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {s:?} (use ms, s or m)")),
    };
    if !(0.001..=86_400.0).contains(&secs) {
        return Err(format!("duration must be between 1ms and 24h, got {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Reads the environment; a seam so tests can resolve targets without touching the
/// process environment.
pub trait Env {
    /// The value of a variable that is set, even if empty (an empty credential is a
    /// mistake to report, not a variable to ignore).
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        // Text that is not UTF-8 keeps a replacement character, which the credential
        // check refuses, rather than looking unset.
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}
