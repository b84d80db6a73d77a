//! The endpoint a run talks to: where it is, which project, which credentials, what it
//! can do (capabilities), which variables it gives the specs, and how to connect.
//!
//! A target comes from a target file (`--target FILE`), the environment and flags;
//! flags override the environment, which overrides the file. Secrets never live in a
//! target file: the file names the environment variables that hold them.
//!
//! Here: what the submodules share — the [`Target`] itself, the capabilities, the auth
//! modes and [`TargetError`]. `file` reads target files, `args` the flags and the
//! environment, `resolve` combines them into a target, with `credentials` for the auth.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;

use crate::auth::Credentials;
use crate::auth::iam::IamLogin;
use crate::spec::{Diagnostic, Diagnostics, Seg};

mod args;
mod credentials;
mod file;
mod resolve;

pub use args::{ProcessEnv, TargetArgs, parse_duration};
pub use file::load_file;
pub use resolve::resolve;

/// Capabilities a case may require. A target declares the ones it has; the embedded mock
/// has all of them.
pub const CAPABILITIES: &[(&str, &str)] = &[
    (
        "fault-injection",
        "answers `X-Aom-Mock-Fault` with the documented error: `internal-error` 500 (CMS, alarms), `timeout` 503 and `execution-error` 422 (Prometheus query), `unavailable` 503 (alarm events)",
    ),
    (
        "create-workflow",
        "the suite may create (and execute) its own workflows",
    ),
    (
        "reference-mock",
        "answers as the reference mock where the documentation is silent, and serves its synthetic series (docs/mock.md)",
    ),
    (
        "create-alarm-rules",
        "the suite may create, update and delete its own action, mute and v4 alarm rules (named `aomc_…`, deleted when each case ends)",
    ),
    (
        "push-events",
        "the suite may report and clear its own events (there is no delete: they stay in the project's history)",
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

/// Why `name` cannot be an API family's name (`cms-workflow`), if so: it is part of
/// ignore reasons and of target files, so a short id.
pub fn family_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!ok).then(|| format!("family name {name:?} must be 1-64 lower-case letters, digits and `-`"))
}

/// How a target authenticates, before secrets are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(
    rename_all = "kebab-case",
    expecting = "an auth mode: none, token, aksk or iam"
)]
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
    /// The API families the endpoint offers, when the target says (`families:`,
    /// `--family`); `None`: decided by the suite from `region`.
    pub families: Option<BTreeSet<String>>,
    /// Values for `{{name}}` in the specs (`project_id` is always added).
    pub variables: BTreeMap<String, String>,
    /// Per-request timeout.
    pub timeout: Duration,
    pub region: Option<String>,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// What the user should know before the run starts (printed on stderr).
    pub warnings: Vec<String>,
}

impl Target {
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities.contains(capability)
    }

    /// Whether the endpoint is on this machine (`localhost`, 127.0.0.0/8, `::1`): the
    /// embedded mock, or a server a developer started, rather than someone's service.
    pub fn is_loopback(&self) -> bool {
        crate::net::is_loopback_url(&self.endpoint)
    }

    /// How reasons name this endpoint: its region, else its name, else its URL.
    pub fn label(&self) -> &str {
        match (&self.region, self.name.as_str()) {
            (Some(region), _) => region,
            (None, "") => &self.endpoint,
            (None, name) => name,
        }
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

/// Why a target cannot be built. Always bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A problem in a target file, located.
    #[error("{0}")]
    File(Diagnostic),
    /// A problem with flags or the environment.
    #[error("{0}")]
    Config(String),
    /// Values in a target file left as the template had them, each located.
    #[error("{0}")]
    Placeholders(Diagnostics),
}

/// Builds the error for a place in the target file (a path of segments), or a flag or
/// environment problem when there is no file.
type At<'a> = dyn Fn(&[Seg], String) -> TargetError + 'a;

/// Doubles the submodules' tests share.
#[cfg(test)]
mod test_support {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::args::Env;
    use super::file::{TargetFile, load_file};
    use crate::spec::locate::Locator;

    pub struct MapEnv(pub HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| (*s).to_owned())
        }
    }

    pub fn file(text: &str) -> (tempfile::TempDir, PathBuf, TargetFile, Locator) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.yaml");
        std::fs::write(&p, text).unwrap();
        let (f, l) = load_file(&p).unwrap();
        (dir, p, f, l)
    }
}
