//! The endpoint a run talks to: where it is, which project, which credentials, what it
//! can do (capabilities), which variables it gives the specs, and how to connect.
//!
//! A target comes from a target file (`--target FILE`), the environment and flags;
//! flags override the environment, which overrides the file. Secrets never live in a
//! target file: the file names the environment variables that hold them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::auth::iam::IamLogin;
use crate::auth::signer::Algorithm;
use crate::auth::{AccessKeyPair, Credentials, Secret};
use crate::spec::{Diagnostic, Seg, locate::Locator};

/// Capabilities a case may require. A target declares the ones it has; the embedded mock
/// has all of them.
pub const CAPABILITIES: &[(&str, &str)] = &[
    (
        "fault-injection",
        "answers `X-Aom-Mock-Fault: internal-error` with the documented 500",
    ),
    (
        "create-workflow",
        "the suite may create (and execute) its own workflows",
    ),
];

pub fn is_known_capability(name: &str) -> bool {
    CAPABILITIES.iter().any(|(n, _)| *n == name)
}

pub fn known_capabilities() -> String {
    CAPABILITIES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a target authenticates, before secrets are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// No credentials.
    None,
    /// `X-Auth-Token` from an environment variable.
    Token,
    /// AK/SK request signing.
    Aksk,
    /// IAM user + password, exchanged once for a token.
    Iam,
}

impl AuthKind {
    /// As written in `--auth` and `auth.mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::Token => "token",
            AuthKind::Aksk => "aksk",
            AuthKind::Iam => "iam",
        }
    }
}

/// One endpoint under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Short name used in reports and as a trial-name prefix when several are run.
    pub name: String,
    /// Base URL without a trailing slash, e.g. `https://aom.cn-north-4.myhuaweicloud.com`.
    pub endpoint: String,
    pub project_id: String,
    pub credentials: Credentials,
    /// Set when the token must first be fetched from IAM.
    pub iam: Option<IamLogin>,
    pub capabilities: BTreeSet<String>,
    /// Values for `{{name}}` in the specs (`project_id` is always added).
    pub variables: BTreeMap<String, String>,
    /// Per-request timeout.
    pub timeout: Duration,
    pub region: Option<String>,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
}

impl Target {
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities.contains(capability)
    }

    /// All variables the specs see from this target.
    pub fn all_variables(&self) -> BTreeMap<String, String> {
        let mut v = self.variables.clone();
        v.insert("project_id".into(), self.project_id.clone());
        v
    }

    /// Every secret this target holds (for the redactor).
    pub fn secrets(&self) -> Vec<String> {
        let mut s = self.credentials.secrets();
        if let Some(iam) = &self.iam {
            s.push(iam.password.expose().to_owned());
        }
        s
    }
}

/// A target file (`targets/*.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    #[serde(default)]
    pub name: Option<String>,
    /// Base URL; or give `region`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `cn-north-4` → `https://aom.cn-north-4.myhuaweicloud.com`.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub auth: Option<AuthFile>,
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub tls: Option<TlsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    #[serde(default)]
    pub mode: Option<AuthKind>,
    /// Name of the environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub ak_env: Option<String>,
    #[serde(default)]
    pub sk_env: Option<String>,
    #[serde(default)]
    pub security_token_env: Option<String>,
    /// `SDK-HMAC-SHA256` (default) or `V11-HMAC-SHA256`.
    #[serde(default)]
    pub algorithm: Option<String>,
    #[serde(default)]
    pub iam: Option<IamFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamFile {
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub allow_plain_http: bool,
}

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

fn parse_var(s: &str) -> Result<(String, String), String> {
    let Some((k, v)) = s.split_once('=') else {
        return Err(format!("expected NAME=VALUE, got {s:?}"));
    };
    match crate::template::settable_name_problem(k) {
        Some(problem) => Err(problem),
        None => Ok((k.to_owned(), v.to_owned())),
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
    if !(0.001..=86_400.0).contains(&secs) {
        return Err(format!("duration must be between 1ms and 24h, got {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Why a target cannot be built. Always bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A problem in a target file, located.
    #[error("{0}")]
    File(Diagnostic),
    /// A problem with flags or the environment.
    #[error("{0}")]
    Config(String),
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

/// A credential from the environment: `None` when unset. Set but empty, or holding a
/// control character (a pasted line break) or text that is not UTF-8, it is an error
/// naming the variable — never showing the value: every request would carry it.
fn credential(env: &dyn Env, var: &str) -> Result<Option<String>, String> {
    match env.get(var) {
        None => Ok(None),
        Some(v) if v.is_empty() => Err(format!(
            "environment variable {var} is set but empty: give it a value or unset it"
        )),
        Some(v)
            if v.chars()
                .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER) =>
        {
            Err(format!(
                "environment variable {var} holds a control character (a line break?) or text that is not UTF-8; its value is not shown"
            ))
        }
        Some(v) => Ok(Some(v)),
    }
}

/// Parses a target file strictly, with located errors, within the input limits.
pub fn load_file(path: &Path) -> Result<(TargetFile, Locator), TargetError> {
    crate::spec::load::parse_yaml(path).map_err(TargetError::File)
}

/// Builds one target from an optional file, flags and the environment.
pub fn resolve(
    file: Option<(&Path, &TargetFile, &Locator)>,
    args: &TargetArgs,
    env: &dyn Env,
) -> Result<Target, TargetError> {
    let empty = TargetFile::default();
    let (path, tf) = match file {
        Some((p, f, _)) => (Some(p), f),
        None => (None, &empty),
    };
    let at = |seg: &[Seg], msg: String| match file {
        Some((_, _, loc)) => TargetError::File(Diagnostic {
            at: loc.value(seg),
            message: msg,
        }),
        None => TargetError::Config(msg),
    };

    let region = args.region.clone().or_else(|| tf.region.clone());
    if let Some(r) = &region {
        // The region becomes part of a host name: nothing but a region id may get in.
        let valid = !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(at(
                &["region".into()],
                format!(
                    "region {r:?} is not a region id such as cn-north-4 (lower-case letters, digits, -)"
                ),
            ));
        }
    }
    let endpoint = match (&args.endpoint, &tf.endpoint, &region) {
        (Some(e), ..) | (None, Some(e), _) => e.clone(),
        (None, None, Some(r)) => format!("https://aom.{r}.myhuaweicloud.com"),
        (None, None, None) => {
            return Err(at(
                &[],
                "no endpoint: give `endpoint:` or `region:` (or --endpoint / --region)".into(),
            ));
        }
    };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let url = reqwest::Url::parse(&endpoint).map_err(|e| {
        at(
            &["endpoint".into()],
            format!("endpoint {endpoint:?} is not a URL: {e}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(at(
            &["endpoint".into()],
            format!("endpoint {endpoint:?} must be an http:// or https:// URL with a host"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // It would be sent as Basic auth and printed in reports.
        return Err(at(
            &["endpoint".into()],
            "the endpoint URL must not carry a user or password: configure `auth:` instead".into(),
        ));
    }

    let project_id = args
        .project_id
        .clone()
        .or_else(|| tf.project_id.clone())
        .ok_or_else(|| {
            at(
                &[],
                "no project id: give `project_id:` (or --project-id / AOM_PROJECT_ID)".into(),
            )
        })?;
    if project_id.chars().count() != 32 || !project_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(at(
            &["project_id".into()],
            format!(
                "project id {project_id:?} is not a 32-character IAM project id (AOM documents exactly 32)"
            ),
        ));
    }

    let name = tf
        .name
        .clone()
        .or_else(|| {
            path.and_then(|p| p.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    if file.is_some() {
        if let Some(problem) = crate::spec::model::trial_name_problem("a target", &name) {
            return Err(at(&["name".into()], problem));
        }
    }

    let capabilities: Vec<String> = if args.capabilities.is_empty() {
        tf.capabilities.clone().unwrap_or_default()
    } else {
        args.capabilities.clone()
    };
    for (i, c) in capabilities.iter().enumerate() {
        if !is_known_capability(c) {
            return Err(at(
                &["capabilities".into(), i.into()],
                format!("unknown capability {c:?}; known: {}", known_capabilities()),
            ));
        }
    }

    for name in tf.variables.keys() {
        if let Some(problem) = crate::template::settable_name_problem(name) {
            return Err(at(&["variables".into(), name.as_str().into()], problem));
        }
    }
    let mut variables = tf.variables.clone();
    variables.extend(args.vars.iter().cloned());

    let timeout = match (&args.timeout, &tf.timeout) {
        (Some(t), _) => *t,
        (None, Some(t)) => parse_duration(t).map_err(|e| at(&["timeout".into()], e))?,
        (None, None) => Duration::from_secs(30),
    };

    let (credentials, iam) = credentials(tf, args, env, region.as_deref(), &at)?;

    let tls = tf.tls.as_ref();
    let insecure = args.insecure || tls.is_some_and(|t| t.insecure);
    let allow_plain = args.allow_plain_http || tls.is_some_and(|t| t.allow_plain_http);
    // An IAM login sends the password to IAM, then the token to the endpoint.
    let sends_credentials = !matches!(credentials, Credentials::None) || iam.is_some();
    let mut plain_checks = vec![(&url, vec![Seg::from("endpoint")])];
    let iam_url = match &iam {
        Some(login) => Some(reqwest::Url::parse(&login.endpoint).map_err(|e| {
            at(
                &["auth".into(), "iam".into(), "endpoint".into()],
                format!("IAM endpoint {:?} is not a URL: {e}", login.endpoint),
            )
        })?),
        None => None,
    };
    if let Some(u) = &iam_url {
        plain_checks.push((u, vec!["auth".into(), "iam".into(), "endpoint".into()]));
    }
    for (u, seg) in plain_checks {
        let host = u.host_str().unwrap_or("");
        if sends_credentials && u.scheme() == "http" && !is_loopback(host) && !allow_plain {
            return Err(at(
                &seg,
                format!(
                    "refusing to send credentials over plain http:// to {host}: use https://, or pass --allow-plain-http"
                ),
            ));
        }
    }

    Ok(Target {
        name,
        endpoint,
        project_id,
        credentials,
        iam,
        capabilities: capabilities.into_iter().collect(),
        variables,
        timeout,
        region,
        insecure,
    })
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

type At<'a> = dyn Fn(&[Seg], String) -> TargetError + 'a;

fn credentials(
    tf: &TargetFile,
    args: &TargetArgs,
    env: &dyn Env,
    region: Option<&str>,
    at: &At<'_>,
) -> Result<(Credentials, Option<IamLogin>), TargetError> {
    let af = tf.auth.as_ref();
    let name = |field: Option<&String>, default: &str| {
        field.cloned().unwrap_or_else(|| default.to_owned())
    };
    let token_env = name(af.and_then(|a| a.token_env.as_ref()), "AOM_AUTH_TOKEN");
    let ak_env = name(af.and_then(|a| a.ak_env.as_ref()), "CLOUD_SDK_AK");
    let sk_env = name(af.and_then(|a| a.sk_env.as_ref()), "CLOUD_SDK_SK");
    let st_env = name(
        af.and_then(|a| a.security_token_env.as_ref()),
        "CLOUD_SDK_SECURITY_TOKEN",
    );
    let iam_file = af.and_then(|a| a.iam.as_ref());
    let pw_env = name(
        iam_file.and_then(|i| i.password_env.as_ref()),
        "AOM_IAM_PASSWORD",
    );

    let mode = match args.auth.or(af.and_then(|a| a.mode)) {
        Some(mode) => mode,
        None => infer_mode(env, [&token_env, &ak_env, &sk_env, &pw_env], at)?,
    };
    let need = |var: &str, what: &str| match credential(env, var) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(at(
            &["auth".into()],
            format!("{what} is expected in environment variable {var}, which is not set"),
        )),
        Err(problem) => Err(at(&["auth".into()], problem)),
    };
    let algorithm = signing_algorithm(args, af, mode, region, at)?;
    Ok(match mode {
        AuthKind::None => (Credentials::None, None),
        AuthKind::Token => (
            Credentials::Token(Secret::new(need(&token_env, "the token")?)),
            None,
        ),
        AuthKind::Aksk => {
            let security_token =
                credential(env, &st_env).map_err(|problem| at(&["auth".into()], problem))?;
            (
                Credentials::AkSk(AccessKeyPair {
                    ak: need(&ak_env, "the access key")?,
                    sk: Secret::new(need(&sk_env, "the secret key")?),
                    security_token: security_token.map(Secret::new),
                    algorithm: algorithm.unwrap_or(Algorithm::SdkHmacSha256),
                }),
                None,
            )
        }
        AuthKind::Iam => {
            let endpoint = args
                .iam_endpoint
                .clone()
                .or_else(|| iam_file.and_then(|i| i.endpoint.clone()))
                .or_else(|| region.map(|r| format!("https://iam.{r}.myhuaweicloud.com")))
                .ok_or_else(|| {
                    at(
                        &["auth".into(), "iam".into()],
                        "IAM auth needs an IAM endpoint or a region".into(),
                    )
                })?;
            let user = args
                .iam_user
                .clone()
                .or_else(|| iam_file.and_then(|i| i.user.clone()))
                .ok_or_else(|| {
                    at(
                        &["auth".into(), "iam".into()],
                        "IAM auth needs a user (`auth.iam.user` or --iam-user)".into(),
                    )
                })?;
            let domain = args
                .iam_domain
                .clone()
                .or_else(|| iam_file.and_then(|i| i.domain.clone()))
                .ok_or_else(|| at(&["auth".into(), "iam".into()], "IAM auth needs an account (domain) name (`auth.iam.domain` or --iam-domain)".into()))?;
            let password = Secret::new(need(&pw_env, "the IAM password")?);
            (
                Credentials::None,
                Some(IamLogin {
                    endpoint: endpoint.trim_end_matches('/').to_owned(),
                    user,
                    domain,
                    password,
                }),
            )
        }
    })
}

/// The auth mode the environment implies: the one whose credentials are set. Credentials
/// of several modes at once are a question, not something to pick silently.
fn infer_mode(
    env: &dyn Env,
    [token, ak, sk, password]: [&str; 4],
    at: &At<'_>,
) -> Result<AuthKind, TargetError> {
    let set = |var: &str| env.get(var).is_some();
    let mut found: Vec<(AuthKind, String)> = Vec::new();
    if set(token) {
        found.push((AuthKind::Token, token.to_owned()));
    }
    if set(ak) && set(sk) {
        found.push((AuthKind::Aksk, format!("{ak} and {sk}")));
    }
    if set(password) {
        found.push((AuthKind::Iam, password.to_owned()));
    }
    match found.as_slice() {
        [] => Ok(AuthKind::None),
        [(mode, _)] => Ok(*mode),
        several => {
            let vars: Vec<&str> = several.iter().map(|(_, v)| v.as_str()).collect();
            let modes: Vec<&str> = several.iter().map(|(m, _)| m.as_str()).collect();
            Err(at(
                &["auth".into()],
                format!(
                    "credentials for more than one auth mode are set ({}): choose with --auth {} (or AOM_AUTH, or `auth.mode` in a target file)",
                    vars.join("; "),
                    modes.join("|")
                ),
            ))
        }
    }
}

/// The AK/SK signing algorithm, when one is given (flag, env or file). Given with
/// another auth mode it would be silently unused: an error.
fn signing_algorithm(
    args: &TargetArgs,
    af: Option<&AuthFile>,
    mode: AuthKind,
    region: Option<&str>,
    at: &At<'_>,
) -> Result<Option<Algorithm>, TargetError> {
    let Some(name) = args
        .signing_algorithm
        .clone()
        .or_else(|| af.and_then(|a| a.algorithm.clone()))
    else {
        return Ok(None);
    };
    let here = || vec![Seg::from("auth"), Seg::from("algorithm")];
    let upper = name.to_ascii_uppercase();
    if !matches!(upper.as_str(), "SDK-HMAC-SHA256" | "V11-HMAC-SHA256") {
        return Err(at(
            &here(),
            format!("unknown signing algorithm {upper:?}; use SDK-HMAC-SHA256 or V11-HMAC-SHA256"),
        ));
    }
    if mode != AuthKind::Aksk {
        return Err(at(
            &here(),
            format!(
                "a signing algorithm (--signing-algorithm, AOM_SIGNING_ALGORITHM or `auth.algorithm`) is for AK/SK signing, but the auth mode is {}",
                mode.as_str()
            ),
        ));
    }
    if upper == "SDK-HMAC-SHA256" {
        return Ok(Some(Algorithm::SdkHmacSha256));
    }
    let region = region.ok_or_else(|| {
        at(
            &here(),
            "V11-HMAC-SHA256 needs a region (`region:` or --region)".into(),
        )
    })?;
    Ok(Some(Algorithm::V11HmacSha256 {
        region: region.to_owned(),
        service: "AOM".into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| (*s).to_owned())
        }
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf, TargetFile, Locator) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.yaml");
        std::fs::write(&p, text).unwrap();
        let (f, l) = load_file(&p).unwrap();
        (dir, p, f, l)
    }

    #[test]
    fn flags_override_env_which_overrides_the_file() {
        let (_d, p, f, l) = file(
            "name: qa\nregion: cn-north-4\nproject_id: f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1\ntimeout: 5s\nvariables: {workflow_id: wf-file, other: o}\n",
        );
        let env = MapEnv(HashMap::from([("AOM_AUTH_TOKEN", "tok")]));
        let t = resolve(Some((&p, &f, &l)), &TargetArgs::default(), &env).unwrap();
        assert_eq!(t.endpoint, "https://aom.cn-north-4.myhuaweicloud.com");
        assert_eq!(t.project_id, "f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1");
        assert_eq!(t.timeout, Duration::from_secs(5));
        assert!(matches!(t.credentials, Credentials::Token(_)));
        let args = TargetArgs {
            project_id: Some("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1".into()),
            vars: vec![("workflow_id".into(), "wf-flag".into())],
            ..TargetArgs::default()
        };
        let t = resolve(Some((&p, &f, &l)), &args, &env).unwrap();
        assert_eq!(t.project_id, "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
        assert_eq!(t.variables["workflow_id"], "wf-flag");
        assert_eq!(t.variables["other"], "o");
    }

    #[test]
    fn bad_target_files_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.yaml");
        std::fs::write(&p, "region: x\nprojcet_id: y\n").unwrap();
        let e = load_file(&p).unwrap_err().to_string();
        assert!(
            e.contains("t.yaml:2:1: unknown field \"projcet_id\""),
            "{e}"
        );

        let (_d, p, f, l) = file(
            "region: x\nproject_id: 0123456789abcdef0123456789abcdef\ncapabilities: [fault-injection, teleport]\n",
        );
        let e = resolve(
            Some((&p, &f, &l)),
            &TargetArgs::default(),
            &MapEnv(HashMap::new()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("t.yaml:3:33: unknown capability \"teleport\""),
            "{e}"
        );
    }

    #[test]
    fn credentials_are_never_sent_over_plain_http_to_a_remote_host() {
        let env = MapEnv(HashMap::from([("AOM_AUTH_TOKEN", "tok")]));
        let mut args = TargetArgs {
            endpoint: Some("http://aom.example.com".into()),
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            ..TargetArgs::default()
        };
        let e = resolve(None, &args, &env).unwrap_err().to_string();
        assert!(
            e.contains("refusing to send credentials over plain http://"),
            "{e}"
        );
        args.allow_plain_http = true;
        assert!(resolve(None, &args, &env).is_ok());
        args.allow_plain_http = false;
        args.endpoint = Some("http://127.0.0.1:8080".into());
        assert!(resolve(None, &args, &env).is_ok());
    }

    #[test]
    fn auth_mode_is_inferred_from_the_environment() {
        let args = TargetArgs {
            region: Some("cn-north-4".into()),
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            signing_algorithm: Some("V11-HMAC-SHA256".into()),
            ..TargetArgs::default()
        };
        let env = MapEnv(HashMap::from([
            ("CLOUD_SDK_AK", "ak"),
            ("CLOUD_SDK_SK", "sk"),
            ("CLOUD_SDK_SECURITY_TOKEN", "st"),
        ]));
        let t = resolve(None, &args, &env).unwrap();
        match t.credentials {
            Credentials::AkSk(k) => {
                assert_eq!(k.ak, "ak");
                assert_eq!(k.security_token.unwrap().expose(), "st");
                assert_eq!(
                    k.algorithm,
                    Algorithm::V11HmacSha256 {
                        region: "cn-north-4".into(),
                        service: "AOM".into()
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        let env = MapEnv(HashMap::from([("AOM_IAM_PASSWORD", "pw")]));
        let args = TargetArgs {
            iam_user: Some("u".into()),
            iam_domain: Some("d".into()),
            // A signing algorithm is for AK/SK only.
            signing_algorithm: None,
            ..args
        };
        let t = resolve(None, &args, &env).unwrap();
        assert_eq!(
            t.iam.unwrap().endpoint,
            "https://iam.cn-north-4.myhuaweicloud.com"
        );
    }

    #[test]
    fn iam_logins_are_never_sent_over_plain_http_either() {
        let env = MapEnv(HashMap::from([("AOM_IAM_PASSWORD", "pw")]));
        let mut args = TargetArgs {
            endpoint: Some("https://aom.example.com".into()),
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            auth: Some(AuthKind::Iam),
            iam_endpoint: Some("http://iam.example.com".into()),
            iam_user: Some("u".into()),
            iam_domain: Some("d".into()),
            ..TargetArgs::default()
        };
        let e = resolve(None, &args, &env).unwrap_err().to_string();
        assert!(e.contains("plain http:// to iam.example.com"), "{e}");
        args.iam_endpoint = Some("https://iam.example.com".into());
        args.endpoint = Some("http://aom.example.com".into());
        let e = resolve(None, &args, &env).unwrap_err().to_string();
        assert!(e.contains("plain http:// to aom.example.com"), "{e}");
        args.endpoint = Some("https://aom.example.com".into());
        assert!(resolve(None, &args, &env).is_ok());
    }

    #[test]
    fn credential_and_variable_problems_in_a_target_file_are_located() {
        let (_d, p, f, l) = file(
            "region: cn-north-4\nproject_id: 0123456789abcdef0123456789abcdef\nauth:\n  mode: token\n  algorithm: V11-HMAC-SHA256\n",
        );
        let env = MapEnv(HashMap::from([("AOM_AUTH_TOKEN", "tok-1")]));
        let e = resolve(Some((&p, &f, &l)), &TargetArgs::default(), &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.yaml:5:14: a signing algorithm (--signing-algorithm, AOM_SIGNING_ALGORITHM or `auth.algorithm`) is for AK/SK signing, but the auth mode is token"),
            "{e}"
        );
        let (_d, p, f, l) = file(
            "region: cn-north-4\nproject_id: 0123456789abcdef0123456789abcdef\nvariables:\n  case_uid: x\n",
        );
        let e = resolve(Some((&p, &f, &l)), &TargetArgs::default(), &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.yaml:4:13: \"case_uid\" is built in"), "{e}");

        let args = TargetArgs {
            region: Some("cn-north-4".into()),
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            auth: Some(AuthKind::Aksk),
            ..TargetArgs::default()
        };
        for (value, problem) in [
            ("", "is set but empty"),
            ("s\tk", "holds a control character"),
        ] {
            let env = MapEnv(HashMap::from([
                ("CLOUD_SDK_AK", "ak"),
                ("CLOUD_SDK_SK", value),
            ]));
            let e = resolve(None, &args, &env).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "environment variable CLOUD_SDK_SK {problem}{}",
                    if value.is_empty() {
                        ": give it a value or unset it"
                    } else {
                        " (a line break?) or text that is not UTF-8; its value is not shown"
                    }
                )
            );
        }
        assert_eq!(parse_var("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_var("env.HOME=x").is_err());
    }

    #[test]
    fn regions_project_ids_urls_and_timeouts_are_checked() {
        let env = MapEnv(HashMap::new());
        let base = TargetArgs {
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            ..TargetArgs::default()
        };
        let region = TargetArgs {
            region: Some("evil.example/x#".into()),
            ..base.clone()
        };
        let e = resolve(None, &region, &env).unwrap_err().to_string();
        assert!(e.contains("is not a region id"), "{e}");
        let short = TargetArgs {
            region: Some("cn-north-4".into()),
            project_id: Some("p".into()),
            ..base.clone()
        };
        let e = resolve(None, &short, &env).unwrap_err().to_string();
        assert!(e.contains("not a 32-character IAM project id"), "{e}");
        let userinfo = TargetArgs {
            endpoint: Some("https://u:p@aom.example.com".into()),
            ..base.clone()
        };
        let e = resolve(None, &userinfo, &env).unwrap_err().to_string();
        assert!(e.contains("must not carry a user or password"), "{e}");
        assert!(parse_duration("100000000000000000000").is_err());
        assert!(parse_duration("0.0000001ms").is_err());
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    }
}
