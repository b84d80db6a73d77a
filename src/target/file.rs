//! The target-file schema (`targets/*.yaml`) and its strict, located loading. Only the
//! shape lives here; what the values mean is decided in `resolve` and `credentials`.
//! A value left as the template had it (`replace-with-…`, `<…>`, `5f0c…`) is refused
//! here: sent as is, it would make every case fail for a reason nobody would guess.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{AuthKind, TargetError};
use crate::spec::locate::Locator;
use crate::spec::{Diagnostic, Diagnostics, Seg};

/// A target file (`targets/*.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a target file: a map of name, endpoint or region, project_id, auth, capabilities, variables, timeout, tls"
)]
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
    /// The API families this endpoint offers; absent: decided by `region`.
    #[serde(default)]
    pub families: Option<Vec<String>>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub tls: Option<TlsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an auth section: a map with mode and the names of the variables holding credentials"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "an IAM section: a map of endpoint, user, domain, password_env"
)]
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
#[serde(
    deny_unknown_fields,
    expecting = "a TLS section: a map of insecure, allow_plain_http"
)]
pub struct TlsFile {
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub allow_plain_http: bool,
}

/// Parses a target file strictly, with located errors, within the input limits. Every
/// placeholder is reported, so one edit fixes them all.
pub fn load_file(path: &Path) -> Result<(TargetFile, Locator), TargetError> {
    let (file, locator): (TargetFile, Locator) =
        crate::spec::load::parse_yaml(path).map_err(TargetError::File)?;
    let found: Vec<Diagnostic> = file
        .values()
        .into_iter()
        .filter(|(_, v)| is_placeholder(v))
        .map(|(at, v)| Diagnostic {
            at: locator.value(&at),
            message: format!(
                "{v:?} is a placeholder: replace it with the real value (or remove the line)"
            ),
        })
        .collect();
    if found.is_empty() {
        Ok((file, locator))
    } else {
        Err(TargetError::Placeholders(Diagnostics(found)))
    }
}

/// Whether a value is a template's or the README's stand-in rather than a real value:
/// `replace-with-…`, `<your project id>`, or anything with an ellipsis (`5f0c…`).
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.get(..12)
        .is_some_and(|start| start.eq_ignore_ascii_case("replace-with"))
        || (v.len() >= 2 && v.starts_with('<') && v.ends_with('>'))
        || v.contains('…')
        || v.contains("...")
}

impl TargetFile {
    /// Every text value in the file, with where it is.
    fn values(&self) -> Vec<(Vec<Seg>, &str)> {
        fn push<'a>(
            out: &mut Vec<(Vec<Seg>, &'a str)>,
            at: &[&'static str],
            v: Option<&'a String>,
        ) {
            if let Some(v) = v {
                out.push((at.iter().map(|k| Seg::from(*k)).collect(), v.as_str()));
            }
        }
        let mut out: Vec<(Vec<Seg>, &str)> = Vec::new();
        let mut add = |at: &[&'static str], v| push(&mut out, at, v);
        add(&["name"], self.name.as_ref());
        add(&["endpoint"], self.endpoint.as_ref());
        add(&["region"], self.region.as_ref());
        add(&["project_id"], self.project_id.as_ref());
        add(&["timeout"], self.timeout.as_ref());
        if let Some(a) = &self.auth {
            add(&["auth", "token_env"], a.token_env.as_ref());
            add(&["auth", "ak_env"], a.ak_env.as_ref());
            add(&["auth", "sk_env"], a.sk_env.as_ref());
            add(
                &["auth", "security_token_env"],
                a.security_token_env.as_ref(),
            );
            add(&["auth", "algorithm"], a.algorithm.as_ref());
            if let Some(i) = &a.iam {
                add(&["auth", "iam", "endpoint"], i.endpoint.as_ref());
                add(&["auth", "iam", "user"], i.user.as_ref());
                add(&["auth", "iam", "domain"], i.domain.as_ref());
                add(&["auth", "iam", "password_env"], i.password_env.as_ref());
            }
        }
        for (i, c) in self.capabilities.iter().flatten().enumerate() {
            out.push((vec!["capabilities".into(), i.into()], c));
        }
        for (k, v) in &self.variables {
            out.push((vec!["variables".into(), k.clone().into()], v));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetArgs;
    use crate::target::resolve::resolve;
    use crate::target::test_support::{MapEnv, file};
    use std::collections::HashMap;

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
    fn placeholders_are_refused_where_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.yaml");
        std::fs::write(
            &p,
            "region: cn-north-4\nproject_id: <your project id>\nauth:\n  iam: {user: replace-with-user}\nvariables:\n  workflow_id: 5f0c…\n  other: real\n",
        )
        .unwrap();
        let e = load_file(&p).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 3, "{e}");
        assert!(lines[0].ends_with("t.yaml:2:13: \"<your project id>\" is a placeholder: replace it with the real value (or remove the line)"), "{e}");
        assert!(
            lines[1].contains("t.yaml:4:15: \"replace-with-user\""),
            "{e}"
        );
        assert!(lines[2].contains("t.yaml:6:16: \"5f0c…\""), "{e}");
        for real in [
            "0123456789abcdef0123456789abcdef",
            "https://aom.example.com",
            "a<b>",
            "<",
        ] {
            assert!(!is_placeholder(real), "{real}");
        }
        for fake in ["Replace-With-X", "https://...", "<id>"] {
            assert!(is_placeholder(fake), "{fake}");
        }
    }
}
