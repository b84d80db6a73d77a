//! File + flags + environment → one [`Target`]: endpoint, region, project id, name,
//! capabilities, variables, timeout, and the TLS rules (no credentials over plain http://
//! to a remote host). Credentials themselves come from `credentials`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use super::args::{Env, TargetArgs, parse_duration};
use super::credentials::{credentials, inferred_from};
use super::file::TargetFile;
use super::{
    At, Target, TargetError, family_name_problem, is_known_capability, known_capabilities,
};
use crate::auth::Credentials;
use crate::auth::iam::IamLogin;
use crate::net::is_loopback;
use crate::spec::{Diagnostic, Seg, locate::Locator};

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
    // Region first: the endpoint, the IAM endpoint and V11 signing derive from it.
    let region = region(args, tf, &at)?;
    let (endpoint, url) = endpoint(args, tf, region.as_deref(), &at)?;
    let project_id = project_id(args, tf, &at)?;
    let name = name(tf, path, &at)?;
    let capabilities = capabilities(args, tf, &at)?;
    let families = families(args, tf, &at)?;
    let variables = variables(args, tf, &at)?;
    let timeout = timeout(args, tf, &at)?;
    let (credentials, iam) = credentials(tf, args, env, region.as_deref(), &at)?;
    let insecure = args.insecure || tf.tls.as_ref().is_some_and(|t| t.insecure);
    refuse_plain_http(args, tf, &url, &credentials, iam.as_ref(), &at)?;
    let warnings = no_credentials_warning(args, tf, &url, &credentials, iam.as_ref(), &name)
        .into_iter()
        .collect();
    Ok(Target {
        name,
        endpoint,
        project_id,
        credentials,
        iam,
        capabilities: capabilities.into_iter().collect(),
        families,
        variables,
        timeout,
        region,
        insecure,
        warnings,
    })
}

/// No credentials because none were found, for an endpoint that is not this machine: every
/// case would meet a 401. Said before the run; an explicit `--auth none` means it.
fn no_credentials_warning(
    args: &TargetArgs,
    tf: &TargetFile,
    url: &reqwest::Url,
    credentials: &Credentials,
    iam: Option<&IamLogin>,
    name: &str,
) -> Option<String> {
    let host = url.host_str().unwrap_or("");
    if !matches!(credentials, Credentials::None) || iam.is_some() || is_loopback(host) {
        return None;
    }
    let vars = inferred_from(tf, args)?;
    let target = if name.is_empty() {
        String::new()
    } else {
        format!("target {name}: ")
    };
    Some(format!(
        "{target}no credentials for {host}: none of {vars} is set, so the auth mode is none and requests go out unauthenticated; set them, or pass --auth none (or `auth.mode: none`) if that is meant"
    ))
}

fn region(args: &TargetArgs, tf: &TargetFile, at: &At<'_>) -> Result<Option<String>, TargetError> {
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
    Ok(region)
}

/// The endpoint without a trailing slash, and as a URL for the plain-http check.
fn endpoint(
    args: &TargetArgs,
    tf: &TargetFile,
    region: Option<&str>,
    at: &At<'_>,
) -> Result<(String, reqwest::Url), TargetError> {
    let endpoint = match (&args.endpoint, &tf.endpoint, region) {
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
    if url.query().is_some() || url.fragment().is_some() {
        // Each request's path and query replace them: they would silently go unsent.
        return Err(at(
            &["endpoint".into()],
            format!("endpoint {endpoint:?} must not have a query or fragment (`?…`, `#…`)"),
        ));
    }
    Ok((endpoint, url))
}

fn project_id(args: &TargetArgs, tf: &TargetFile, at: &At<'_>) -> Result<String, TargetError> {
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
    Ok(project_id)
}

/// The file's `name:`, else its file stem. Without a file the name stays empty and is
/// not checked: a target given by flags alone is the only one, and needs no prefix.
fn name(tf: &TargetFile, path: Option<&Path>, at: &At<'_>) -> Result<String, TargetError> {
    let name = tf
        .name
        .clone()
        .or_else(|| {
            path.and_then(|p| p.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    if path.is_some() {
        if let Some(problem) = crate::spec::model::trial_name_problem("a target", &name) {
            return Err(at(&["name".into()], problem));
        }
    }
    Ok(name)
}

/// `--capability` flags replace the file's list rather than add to it.
fn capabilities(
    args: &TargetArgs,
    tf: &TargetFile,
    at: &At<'_>,
) -> Result<Vec<String>, TargetError> {
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
    Ok(capabilities)
}

/// `--family` flags replace the file's `families:`; neither: `None`.
fn families(
    args: &TargetArgs,
    tf: &TargetFile,
    at: &At<'_>,
) -> Result<Option<BTreeSet<String>>, TargetError> {
    let families = if args.families.is_empty() {
        match &tf.families {
            Some(f) => f.clone(),
            None => return Ok(None),
        }
    } else {
        args.families.clone()
    };
    for (i, name) in families.iter().enumerate() {
        if let Some(problem) = family_name_problem(name) {
            return Err(at(&["families".into(), i.into()], problem));
        }
    }
    Ok(Some(families.into_iter().collect()))
}

/// The file's variables, each `--var` overriding one. The flags' names were checked
/// when clap parsed them.
fn variables(
    args: &TargetArgs,
    tf: &TargetFile,
    at: &At<'_>,
) -> Result<BTreeMap<String, String>, TargetError> {
    for name in tf.variables.keys() {
        if let Some(problem) = crate::template::settable_name_problem(name) {
            return Err(at(&["variables".into(), name.clone().into()], problem));
        }
    }
    let mut variables = tf.variables.clone();
    variables.extend(args.vars.iter().cloned());
    Ok(variables)
}

fn timeout(args: &TargetArgs, tf: &TargetFile, at: &At<'_>) -> Result<Duration, TargetError> {
    Ok(match (&args.timeout, &tf.timeout) {
        (Some(t), _) => *t,
        (None, Some(t)) => parse_duration(t).map_err(|e| at(&["timeout".into()], e))?,
        (None, None) => Duration::from_secs(30),
    })
}

/// Credentials go over plain http:// only to a loopback host, unless allowed.
fn refuse_plain_http(
    args: &TargetArgs,
    tf: &TargetFile,
    url: &reqwest::Url,
    credentials: &Credentials,
    iam: Option<&IamLogin>,
    at: &At<'_>,
) -> Result<(), TargetError> {
    let allow_plain = args.allow_plain_http || tf.tls.as_ref().is_some_and(|t| t.allow_plain_http);
    // An IAM login sends the password to IAM, then the token to the endpoint.
    let sends_credentials = !matches!(credentials, Credentials::None) || iam.is_some();
    let mut plain_checks = vec![(url.clone(), vec![Seg::from("endpoint")])];
    if let Some(login) = iam {
        let here = vec![Seg::from("auth"), Seg::from("iam"), Seg::from("endpoint")];
        let iam_url = reqwest::Url::parse(&login.endpoint).map_err(|e| {
            at(
                &here,
                format!("IAM endpoint {:?} is not a URL: {e}", login.endpoint),
            )
        })?;
        plain_checks.push((iam_url, here));
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::AuthKind;
    use crate::target::test_support::{MapEnv, file};
    use std::collections::HashMap;

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
    fn an_inferred_auth_mode_none_for_a_remote_endpoint_is_warned_about() {
        let env = MapEnv(HashMap::new());
        let mut args = TargetArgs {
            endpoint: Some("https://aom.example.com".into()),
            project_id: Some("0123456789abcdef0123456789abcdef".into()),
            ..TargetArgs::default()
        };
        let t = resolve(None, &args, &env).unwrap();
        assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
        assert!(
            t.warnings[0].starts_with("no credentials for aom.example.com: none of AOM_AUTH_TOKEN, CLOUD_SDK_AK and CLOUD_SDK_SK, or AOM_IAM_PASSWORD is set"),
            "{:?}",
            t.warnings
        );
        args.auth = Some(AuthKind::None);
        assert!(resolve(None, &args, &env).unwrap().warnings.is_empty());
        args.auth = None;
        args.endpoint = Some("http://[::1]:8080".into());
        assert!(resolve(None, &args, &env).unwrap().warnings.is_empty());
        let (_d, p, f, l) = file(
            "name: qa\nregion: cn-north-4\nproject_id: 0123456789abcdef0123456789abcdef\nauth: {token_env: QA_TOKEN}\n",
        );
        let t = resolve(Some((&p, &f, &l)), &TargetArgs::default(), &env).unwrap();
        assert!(
            t.warnings[0].starts_with(
                "target qa: no credentials for aom.cn-north-4.myhuaweicloud.com: none of QA_TOKEN,"
            ),
            "{:?}",
            t.warnings
        );
        let (_d, p, f, l) = file(
            "region: cn-north-4\nproject_id: 0123456789abcdef0123456789abcdef\nauth: {mode: none}\n",
        );
        let t = resolve(Some((&p, &f, &l)), &TargetArgs::default(), &env).unwrap();
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
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
        for odd in [
            "https://aom.example.com/?x=1",
            "https://aom.example.com/#top",
        ] {
            let extra = TargetArgs {
                endpoint: Some(odd.into()),
                ..base.clone()
            };
            let e = resolve(None, &extra, &env).unwrap_err().to_string();
            assert!(
                e.contains("must not have a query or fragment"),
                "{odd}: {e}"
            );
        }
        assert_eq!(
            parse_duration("10"),
            Err("\"10\" has no unit: write 10s for seconds or 10ms for milliseconds".into())
        );
        assert!(parse_duration("100000000000000000000s").is_err());
        assert!(parse_duration("0.0000001ms").is_err());
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    }
}
