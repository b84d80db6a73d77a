//! The target-file schema (`targets/*.yaml`) and its strict, located loading. Only the
//! shape lives here; what the values mean is decided in `resolve` and `credentials`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{AuthKind, TargetError};
use crate::spec::locate::Locator;

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

/// Parses a target file strictly, with located errors, within the input limits.
pub fn load_file(path: &Path) -> Result<(TargetFile, Locator), TargetError> {
    crate::spec::load::parse_yaml(path).map_err(TargetError::File)
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
}
