//! Credentials for a target: the auth mode (given, or inferred from which credentials
//! the environment holds), the checked environment variables, and the token, AK/SK key
//! pair or IAM login they make.

use super::args::{Env, TargetArgs};
use super::file::{AuthFile, IamFile, TargetFile};
use super::{At, AuthKind, TargetError};
use crate::auth::iam::IamLogin;
use crate::auth::signer::Algorithm;
use crate::auth::{AccessKeyPair, Credentials, Secret};
use crate::spec::Seg;

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

/// The names of the environment variables credentials are read from: the target file's,
/// else the defaults (for AK/SK, the ones the Huawei Cloud SDKs read).
struct EnvVars {
    token: String,
    ak: String,
    sk: String,
    security_token: String,
    password: String,
}

impl EnvVars {
    fn new(af: Option<&AuthFile>) -> Self {
        let name = |field: Option<&String>, default: &str| {
            field.cloned().unwrap_or_else(|| default.to_owned())
        };
        let iam_file = af.and_then(|a| a.iam.as_ref());
        EnvVars {
            token: name(af.and_then(|a| a.token_env.as_ref()), "AOM_AUTH_TOKEN"),
            ak: name(af.and_then(|a| a.ak_env.as_ref()), "CLOUD_SDK_AK"),
            sk: name(af.and_then(|a| a.sk_env.as_ref()), "CLOUD_SDK_SK"),
            security_token: name(
                af.and_then(|a| a.security_token_env.as_ref()),
                "CLOUD_SDK_SECURITY_TOKEN",
            ),
            password: name(
                iam_file.and_then(|i| i.password_env.as_ref()),
                "AOM_IAM_PASSWORD",
            ),
        }
    }
}

/// When no auth mode was chosen (`--auth`, `AOM_AUTH`, `auth.mode`): the variables the
/// mode would have been inferred from, none of which is set if the mode became `none`.
pub(super) fn inferred_from(tf: &TargetFile, args: &TargetArgs) -> Option<String> {
    let af = tf.auth.as_ref();
    if args.auth.or(af.and_then(|a| a.mode)).is_some() {
        return None;
    }
    let v = EnvVars::new(af);
    Some(format!(
        "{}, {} and {}, or {}",
        v.token, v.ak, v.sk, v.password
    ))
}

/// The credentials for the auth mode — or, for IAM, the login that will fetch a token.
pub(super) fn credentials(
    tf: &TargetFile,
    args: &TargetArgs,
    env: &dyn Env,
    region: Option<&str>,
    at: &At<'_>,
) -> Result<(Credentials, Option<IamLogin>), TargetError> {
    let af = tf.auth.as_ref();
    let vars = EnvVars::new(af);
    let mode = match args.auth.or(af.and_then(|a| a.mode)) {
        Some(mode) => mode,
        None => infer_mode(env, [&vars.token, &vars.ak, &vars.sk, &vars.password], at)?,
    };
    let algorithm = signing_algorithm(args, af, mode, region, at)?;
    Ok(match mode {
        AuthKind::None => (Credentials::None, None),
        AuthKind::Token => {
            let token = need(env, &vars.token, "the token", at)?;
            (Credentials::Token(Secret::new(token)), None)
        }
        AuthKind::Aksk => (aksk(env, &vars, algorithm, at)?, None),
        AuthKind::Iam => {
            let iam_file = af.and_then(|a| a.iam.as_ref());
            let login = iam_login(args, iam_file, region, env, &vars.password, at)?;
            (Credentials::None, Some(login))
        }
    })
}

/// A credential the auth mode cannot do without.
fn need(env: &dyn Env, var: &str, what: &str, at: &At<'_>) -> Result<String, TargetError> {
    match credential(env, var) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(at(
            &["auth".into()],
            format!("{what} is expected in environment variable {var}, which is not set"),
        )),
        Err(problem) => Err(at(&["auth".into()], problem)),
    }
}

/// An AK/SK pair; the security token is optional (temporary keys have one).
fn aksk(
    env: &dyn Env,
    vars: &EnvVars,
    algorithm: Option<Algorithm>,
    at: &At<'_>,
) -> Result<Credentials, TargetError> {
    let security_token =
        credential(env, &vars.security_token).map_err(|problem| at(&["auth".into()], problem))?;
    Ok(Credentials::AkSk(AccessKeyPair {
        ak: need(env, &vars.ak, "the access key", at)?,
        sk: Secret::new(need(env, &vars.sk, "the secret key", at)?),
        security_token: security_token.map(Secret::new),
        algorithm: algorithm.unwrap_or(Algorithm::SdkHmacSha256),
    }))
}

/// An IAM login; flags override the file, and the IAM endpoint defaults to the region's.
fn iam_login(
    args: &TargetArgs,
    iam_file: Option<&IamFile>,
    region: Option<&str>,
    env: &dyn Env,
    password_var: &str,
    at: &At<'_>,
) -> Result<IamLogin, TargetError> {
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
        .ok_or_else(|| {
            at(
                &["auth".into(), "iam".into()],
                "IAM auth needs an account (domain) name (`auth.iam.domain` or --iam-domain)"
                    .into(),
            )
        })?;
    let password = Secret::new(need(env, password_var, "the IAM password", at)?);
    Ok(IamLogin {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        user,
        domain,
        password,
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
    use crate::target::args::parse_var;
    use crate::target::resolve::resolve;
    use crate::target::test_support::{MapEnv, file};
    use std::collections::HashMap;

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
}
