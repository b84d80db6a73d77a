//! The targets of a run — from target files, from flags and environment, or the embedded
//! mock — and what must hold before any case runs: the endpoint answers, IAM gives a
//! token.

use std::time::Duration;

use super::error::Error;
use crate::auth::{Credentials, Secret, iam};
use crate::mock::cli::MockCliError;
use crate::mock::{AccessKey, MockConfig, MockServer, TokenGrant};
use crate::rate::RateLimit;
use crate::report::redact::Redactor;
use crate::target::{self, CAPABILITIES, ProcessEnv, Target, TargetArgs};

/// The targets of this run, and the embedded mock when it serves them.
pub fn resolve(
    args: &TargetArgs,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<(Vec<Target>, Option<MockServer>), Error> {
    if !args.targets.is_empty() {
        return Ok((from_files(args)?, None));
    }
    if args.endpoint.is_some() || args.region.is_some() {
        let t = target::resolve(None, args, &ProcessEnv)?;
        return Ok((vec![t], None));
    }
    embedded(args, runtime, listing)
}

/// One target per `--target` file, each name distinct.
fn from_files(args: &TargetArgs) -> Result<Vec<Target>, Error> {
    refuse_shared_settings(args)?;
    let mut out: Vec<Target> = Vec::new();
    for path in &args.targets {
        let (file, locator) = target::load_file(path)?;
        let t = target::resolve(Some((path, &file, &locator)), args, &ProcessEnv)?;
        if out.iter().any(|o| o.name == t.name) {
            return Err(Error::Usage(format!(
                "{}: target name {:?} is used twice; give each target file a distinct `name:`",
                path.display(),
                t.name
            )));
        }
        out.push(t);
    }
    Ok(out)
}

/// With several target files, one value for all would silently make them one target.
fn refuse_shared_settings(args: &TargetArgs) -> Result<(), Error> {
    if args.targets.len() < 2 {
        return Ok(());
    }
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
    if set.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "with several --target files, {} would apply to every target; put it in each target file (or unset the variable)",
        set.join(", ")
    )))
}

/// The embedded mock, accepting exactly the credentials this run will use. With
/// `listing` nothing will be sent, so no server is started.
fn embedded(
    args: &TargetArgs,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<(Vec<Target>, Option<MockServer>), Error> {
    let random =
        |chars| crate::sys::random_hex(chars).map_err(|e| Error::Mock(MockCliError::Random(e)));
    let project_id = match &args.project_id {
        Some(p) => p.clone(),
        None => random(32)?,
    };
    let resolved = target::resolve(
        None,
        &TargetArgs {
            endpoint: Some("http://127.0.0.1".into()),
            project_id: Some(project_id.clone()),
            ..args.clone()
        },
        &ProcessEnv,
    )?;
    if resolved.iam.is_some() {
        return Err(Error::Usage(
            "--auth iam needs a real endpoint (--endpoint or --region): the embedded mock cannot verify IAM tokens".into(),
        ));
    }
    // No credentials in the environment: the mock's own token. An explicit `--auth none`
    // is kept, so a user can watch every case meet the mock's 401.
    let credentials = match resolved.credentials {
        Credentials::None if args.auth.is_none() => {
            Credentials::Token(Secret::new(format!("MII{}", random(40)?)))
        }
        c => c,
    };
    let config = mock_config(&credentials, &project_id);
    let mut target = Target {
        name: String::new(),
        credentials,
        capabilities: CAPABILITIES.iter().map(|(n, _)| (*n).to_owned()).collect(),
        ..resolved
    };
    if listing {
        return Ok((vec![target], None));
    }
    let listen = ([127, 0, 0, 1], 0).into();
    let server = runtime
        .block_on(MockServer::start(config, listen))
        .map_err(|source| {
            Error::Mock(MockCliError::Bind {
                addr: listen,
                source,
            })
        })?;
    target.endpoint = server.url();
    Ok((vec![target], Some(server)))
}

/// A mock with fault injection that accepts `credentials` for `project_id`.
fn mock_config(credentials: &Credentials, project_id: &str) -> MockConfig {
    let mut config = MockConfig {
        faults: true,
        ..MockConfig::default()
    };
    let projects = vec![project_id.to_owned()];
    match credentials {
        Credentials::Token(t) => config.tokens.push(TokenGrant {
            token: t.clone(),
            projects,
        }),
        Credentials::AkSk(k) => config.keys.push(AccessKey {
            ak: k.ak.clone(),
            sk: k.sk.clone(),
            projects,
        }),
        Credentials::None => {}
    }
    config
}

/// What must hold before any case runs against `t`: the endpoint answers (unless it is
/// the embedded mock), and an IAM login gives a token. Messages are redacted: what IAM
/// or a failed connection says can quote a URL with a password in it. Both requests
/// count against the run's rate limit.
pub fn connect(
    t: &mut Target,
    runtime: &tokio::runtime::Runtime,
    embedded: bool,
    limit: Option<&RateLimit>,
) -> Result<(), Error> {
    if t.insecure {
        eprintln!(
            "warning: {}: TLS certificates are not verified (--insecure)",
            t.endpoint
        );
    }
    for w in &t.warnings {
        eprintln!("warning: {w}");
    }
    let redactor = Redactor::new(t.secrets());
    let redacted = |text: String| redactor.redact(&text).into_owned();
    if !embedded {
        runtime
            .block_on(reachable(&t.endpoint, t.timeout, t.insecure, limit))
            .map_err(|reason| Error::Unreachable {
                endpoint: t.endpoint.clone(),
                reason: redacted(reason),
            })?;
    }
    if let Some(login) = &t.iam {
        let token = runtime
            .block_on(async {
                if let Some(limit) = limit {
                    limit.wait().await;
                }
                iam::fetch_token(login, &t.project_id, t.timeout, t.insecure).await
            })
            .map_err(|e| Error::Iam(redacted(e.to_string())))?;
        t.credentials = Credentials::Token(token);
    }
    Ok(())
}

/// One request to the endpoint's root: any HTTP answer proves it is reachable; no answer
/// is one clear error instead of N failed cases. Redirects are not followed.
async fn reachable(
    endpoint: &str,
    timeout: Duration,
    insecure: bool,
    limit: Option<&RateLimit>,
) -> Result<(), String> {
    let client = crate::net::client_builder(endpoint, insecure)
        .timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| e.to_string())?;
    if let Some(limit) = limit {
        limit.wait().await;
    }
    match client.get(endpoint).send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(crate::errors::error_chain(&e)),
    }
}
