//! The seeded catalogue: the jobs (with their execution plans, i.e. templates) and the
//! scripts (with their versions) every project of the mock has. The docs give no way to
//! create any of them through this API family, so they are fixed data: read-only, the
//! same for every project, deterministic. Ids are derived from the project id and the
//! entry's key, so they differ between projects but never between runs; clients find
//! them through the list operations.
//!
//! A template's nodes decide what an execution of a workflow created from it does (see
//! [`Outcome`]): that is how the mock offers executions with a paused or a failed node
//! for StartPausingWorkflowExecutions.

use sha2::{Digest, Sha256};

/// What a node does when an execution reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Runs (`executing`) until the execution is terminated: the mock runs nothing.
    Runs,
    /// Waits (`pausing`) until StartPausingWorkflowExecutions `continue`s it.
    Pauses,
    /// Fails (`fail`) the first time; `restart` runs it again, `skip` passes it.
    Fails,
}

/// A node of a template (execution plan).
#[derive(Debug)]
pub(crate) struct NodeSeed {
    pub id: &'static str,
    pub name: &'static str,
    /// `service` for a node that runs something, `pause` for a manual confirmation.
    pub category: &'static str,
    pub description: &'static str,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub(crate) struct TemplateSeed {
    pub key: &'static str,
    pub name: &'static str,
    pub nodes: &'static [NodeSeed],
    pub create_time: i64,
    pub update_time: i64,
}

#[derive(Debug)]
pub(crate) struct JobSeed {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// `(id, name, type)` of each step.
    pub steps: &'static [(&'static str, &'static str, &'static str)],
    pub templates: &'static [TemplateSeed],
    pub create_time: i64,
    pub update_time: i64,
}

#[derive(Debug)]
pub(crate) struct VersionSeed {
    pub number: &'static str,
    /// 0 not online, 1 online, 2 offline, 3 disabled (SDK docstring).
    pub status_desc: u8,
    pub content: &'static str,
    pub create_time: i64,
}

#[derive(Debug)]
pub(crate) struct ScriptSeed {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// `SHELL`, `BAT`, `PYTHON` or `POWER_SHELL` (SDK docstring).
    pub language: &'static str,
    pub versions: &'static [VersionSeed],
    pub create_time: i64,
    pub update_time: i64,
}

/// Who created every catalogue entry (the mock has no IAM users).
pub(crate) const CATALOGUE_USER: &str = "aom-catalogue";

/// 2023-11-14T22:13:20Z, then one day per step: fixed, so lists sort the same every run.
const T0: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

const RESTART_SERVICE: NodeSeed = NodeSeed {
    id: "restart-service",
    name: "Restart the service",
    category: "service",
    description: "Runs the job's restart step on every instance.",
    outcome: Outcome::Runs,
};

pub(crate) const JOBS: &[JobSeed] = &[
    JobSeed {
        key: "restart-nginx",
        name: "restart-nginx",
        description: "Restart nginx on the selected ECS instances.",
        steps: &[("restart", "restart nginx", "script")],
        templates: &[
            TemplateSeed {
                key: "restart-nginx-now",
                name: "restart-nginx-now",
                nodes: &[RESTART_SERVICE],
                create_time: T0 + DAY,
                update_time: T0 + 3 * DAY,
            },
            TemplateSeed {
                key: "restart-nginx-after-approval",
                name: "restart-nginx-after-approval",
                nodes: &[
                    NodeSeed {
                        id: "confirm-restart",
                        name: "Confirm the restart",
                        category: "pause",
                        description: "Waits for an operator to continue.",
                        outcome: Outcome::Pauses,
                    },
                    RESTART_SERVICE,
                ],
                create_time: T0 + 2 * DAY,
                update_time: T0 + 2 * DAY,
            },
        ],
        create_time: T0,
        update_time: T0 + 3 * DAY,
    },
    JobSeed {
        key: "clean-disks",
        name: "clean-disks",
        description: "Free disk space on the selected ECS instances.",
        steps: &[
            ("check", "check disk space", "script"),
            ("clean", "clean /tmp", "script"),
        ],
        templates: &[TemplateSeed {
            key: "clean-tmp",
            name: "clean-tmp",
            nodes: &[
                NodeSeed {
                    id: "check-disk-space",
                    name: "Check disk space",
                    category: "service",
                    description: "Fails the first time it runs (the mock's failing node).",
                    outcome: Outcome::Fails,
                },
                NodeSeed {
                    id: "clean-tmp-dir",
                    name: "Clean /tmp",
                    category: "service",
                    description: "Removes old files from /tmp.",
                    outcome: Outcome::Runs,
                },
            ],
            create_time: T0 + 4 * DAY,
            update_time: T0 + 4 * DAY,
        }],
        create_time: T0 + DAY,
        update_time: T0 + 4 * DAY,
    },
    JobSeed {
        key: "collect-logs",
        name: "collect-logs",
        description: "Collect application logs into OBS (no execution plan yet).",
        steps: &[("collect", "collect logs", "script")],
        templates: &[],
        create_time: T0 + 2 * DAY,
        update_time: T0 + 2 * DAY,
    },
];

pub(crate) const SCRIPTS: &[ScriptSeed] = &[
    ScriptSeed {
        key: "check-disk-usage",
        name: "check-disk-usage",
        description: "Prints the usage of every mounted file system.",
        language: "SHELL",
        versions: &[
            VersionSeed {
                number: "1.0.0",
                status_desc: 2,
                content: "df -h",
                create_time: T0,
            },
            VersionSeed {
                number: "1.1.0",
                status_desc: 1,
                content: "df -hT",
                create_time: T0 + 5 * DAY,
            },
        ],
        create_time: T0,
        update_time: T0 + 5 * DAY,
    },
    ScriptSeed {
        key: "rotate-logs",
        name: "rotate-logs",
        description: "Rotates the application logs.",
        language: "PYTHON",
        versions: &[VersionSeed {
            number: "2.0",
            status_desc: 1,
            content: "import logging.handlers",
            create_time: T0 + DAY,
        }],
        create_time: T0 + DAY,
        update_time: T0 + DAY,
    },
    ScriptSeed {
        key: "flush-dns",
        name: "flush-dns",
        description: "Flushes the DNS cache of a Windows instance.",
        language: "BAT",
        versions: &[VersionSeed {
            number: "0.1",
            status_desc: 0,
            content: "ipconfig /flushdns",
            create_time: T0 + 2 * DAY,
        }],
        create_time: T0 + 2 * DAY,
        update_time: T0 + 2 * DAY,
    },
    ScriptSeed {
        key: "restart-iis",
        name: "restart-iis",
        description: "Restarts IIS.",
        language: "POWER_SHELL",
        versions: &[VersionSeed {
            number: "1.0",
            status_desc: 3,
            content: "iisreset",
            create_time: T0 + 3 * DAY,
        }],
        create_time: T0 + 3 * DAY,
        update_time: T0 + 3 * DAY,
    },
];

/// Which kind of entry an id names: part of the hashed text, so a job and a script
/// with the same key never share an id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Job,
    Template,
    Script,
    Version,
}

/// The id of catalogue entry `key` of `kind` in `project_id`: 32 hex characters of
/// SHA-256 over all three, the shape of every other id the mock issues.
pub(crate) fn id(project_id: &str, kind: Kind, key: &str) -> String {
    let digest = Sha256::digest(format!("{project_id}/{kind:?}/{key}").as_bytes());
    hex::encode(&digest[..16])
}

/// The template `template_id` names in `project_id`, with its job.
pub(crate) fn template(
    project_id: &str,
    template_id: &str,
) -> Option<(&'static JobSeed, &'static TemplateSeed)> {
    JOBS.iter().find_map(|job| {
        let t = job
            .templates
            .iter()
            .find(|t| id(project_id, Kind::Template, t.key) == template_id)?;
        Some((job, t))
    })
}

/// Version `v` of script `s` has this key (version numbers repeat across scripts).
pub(crate) fn version_key(s: &ScriptSeed, v: &VersionSeed) -> String {
    format!("{}@{}", s.key, v.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_per_project_and_kind_and_stable() {
        let a = id("p1", Kind::Job, "restart-nginx");
        assert_eq!(a.len(), 32);
        assert_eq!(a, id("p1", Kind::Job, "restart-nginx"));
        assert_ne!(a, id("p2", Kind::Job, "restart-nginx"));
        assert_ne!(a, id("p1", Kind::Script, "restart-nginx"));
    }

    #[test]
    fn templates_are_found_by_their_id_in_their_project_only() {
        let t = id("p1", Kind::Template, "clean-tmp");
        let (job, found) = template("p1", &t).unwrap();
        assert_eq!((job.key, found.key), ("clean-disks", "clean-tmp"));
        assert!(template("p2", &t).is_none());
    }

    #[test]
    fn the_catalogue_keeps_the_documented_limits() {
        for job in JOBS {
            assert!((1..=64).contains(&job.name.len()));
            for t in job.templates {
                assert!((1..=20).contains(&t.nodes.len()), "{}", t.key);
                assert!(t.nodes.iter().all(|n| (1..=64).contains(&n.id.len())));
            }
        }
        for s in SCRIPTS {
            assert!(s.versions.iter().all(|v| v.status_desc <= 3));
        }
    }
}
