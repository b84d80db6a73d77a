//! The endpoint a run talks to: where it is, which project, which credentials, what it
//! can do (capabilities) and which variables it gives the specs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::auth::Credentials;

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

/// One endpoint under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Short name used in reports (and as a trial-name prefix when several are run).
    pub name: String,
    /// Base URL without a trailing slash, e.g. `https://aom.cn-north-4.myhuaweicloud.com`.
    pub endpoint: String,
    pub project_id: String,
    pub credentials: Credentials,
    pub capabilities: BTreeSet<String>,
    /// Values for `{{name}}` in the specs (`project_id` is always added).
    pub variables: BTreeMap<String, String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Region, when known (V11 signing scope, IAM endpoint).
    pub region: Option<String>,
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
}
