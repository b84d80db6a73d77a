//! Splitting a suite's cases over CI machines (`run --partition hash:M/N` or
//! `count:M/N`, like cargo-nextest): which cases part M of N runs, decided by each
//! machine on its own, and the fingerprint of the case list ([`suite_digest`]) by which
//! `report merge` knows that the parts' reports come from the same suite.
//!
//! Both schemes select case *ids* (`{operation} [{status}] {name}`), never trial names:
//! with several targets a case runs on every target in the same part.
//!
//! * `hash`: the first 8 bytes of the SHA-256 of the case id's UTF-8 bytes, read as a
//!   big-endian unsigned integer, modulo N, select part (that + 1). It depends on the
//!   id only — not on the order, the other cases, the machine or the version — so adding
//!   a case moves no other case. This definition is part of the interface (README); the
//!   tests pin ids to their parts so it cannot change by accident.
//! * `count`: round-robin over the cases in the plan's order (files by path, cases in
//!   file order): case i (0-based) goes to part (i mod N) + 1. The parts are as even as
//!   they can be, but inserting a case moves the cases after it.

use std::fmt;
use std::str::FromStr;

use sha2::Digest;

use super::Plan;

/// How the cases are dealt out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Hash,
    Count,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Hash => "hash",
            Scheme::Count => "count",
        }
    }
}

/// Part `part` (1-based) of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub scheme: Scheme,
    /// 1 ≤ part ≤ total.
    pub part: u64,
    pub total: u64,
}

/// Why a `--partition` value is not one: the value, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?}: {1}; expected hash:M/N or count:M/N with 1 <= M <= N, such as hash:2/4 (GitLab: hash:${{CI_NODE_INDEX}}/${{CI_NODE_TOTAL}})"
)]
pub struct BadPartition(pub String, pub &'static str);

impl FromStr for Partition {
    type Err = BadPartition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &'static str| BadPartition(s.to_owned(), why);
        let (scheme, rest) = s.split_once(':').ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.trim() {
            "hash" => Scheme::Hash,
            "count" => Scheme::Count,
            _ => return Err(bad("the schemes are hash and count")),
        };
        let (m, n) = rest.split_once('/').ok_or_else(|| bad("no M/N"))?;
        let (part, total): (u64, u64) = match (m.trim().parse(), n.trim().parse()) {
            (Ok(m), Ok(n)) => (m, n),
            _ => return Err(bad("M and N are whole numbers")),
        };
        match (part, total) {
            (_, 0) => Err(bad("N must be at least 1")),
            (0, _) => Err(bad("parts count from 1")),
            (m, n) if m > n => Err(bad("M is larger than N")),
            _ => Ok(Partition {
                scheme,
                part,
                total,
            }),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.scheme.name(), self.part, self.total)
    }
}

impl Partition {
    /// Whether this part runs the case `id`, which is case `position` (0-based) of the
    /// plan.
    pub fn selects(&self, position: usize, id: &str) -> bool {
        let bucket = match self.scheme {
            Scheme::Hash => hash_of(id) % self.total,
            // usize always fits in u64 on the platforms Rust supports.
            Scheme::Count => position as u64 % self.total,
        };
        bucket == self.part - 1
    }
}

/// The number the `hash` scheme reduces modulo N (see the module docs).
fn hash_of(id: &str) -> u64 {
    let digest = sha2::Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// `sha256:HEX` of the plan's case ids in order, one a line: equal for two runs of the
/// same suite, whatever part each ran and whichever filter.
pub fn suite_digest(plan: &Plan) -> String {
    let mut hasher = sha2::Sha256::new();
    for case in &plan.cases {
        hasher.update(case.id.as_bytes());
        hasher.update(b"\n");
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(s: &str) -> Partition {
        s.parse().unwrap()
    }

    /// The hash scheme is an interface: CI jobs of different versions, or a person
    /// reproducing one part locally, must agree on it. Changing these numbers breaks
    /// that; do it only with a note in the README.
    #[test]
    fn the_hash_scheme_puts_these_ids_in_these_parts() {
        // (id, hash, its part of 3, its part of 7), computed independently of this code
        // (Python's hashlib).
        let pinned = [
            (
                "StopExecution [200] terminates a running execution",
                0xb635_fcc3_a3df_6ca6,
                2,
                4,
            ),
            (
                "AddActionRule [200] adds a rule (200 without a body)",
                0xc870_4f0b_8a7b_18d9,
                2,
                6,
            ),
            (
                "DeleteMuteRules [403] a project the credentials may not use",
                0x6ea9_75f7_0a53_5e0f,
                3,
                5,
            ),
            (
                "UpdateWorkflowTriggerStatus [400] a project_id of 33 characters",
                0x8c89_5677_d6f6_bfa0,
                1,
                1,
            ),
            ("", 0xe3b0_c442_98fc_1c14, 2, 2),
        ];
        let parts_of = |id: &str, n: u64| -> Vec<u64> {
            (1..=n)
                .filter(|m| part(&format!("hash:{m}/{n}")).selects(0, id))
                .collect()
        };
        for (id, hash, of3, of7) in pinned {
            assert_eq!(hash_of(id), hash, "{id:?}");
            assert_eq!(parts_of(id, 3), [of3], "{id:?}");
            assert_eq!(parts_of(id, 7), [of7], "{id:?}");
            // The position in the suite plays no part.
            assert!(part(&format!("hash:{of7}/7")).selects(12345, id));
        }
    }

    #[test]
    fn count_deals_the_cases_round_robin() {
        let p = part("count:2/3");
        let taken: Vec<usize> = (0..9).filter(|i| p.selects(*i, "any")).collect();
        assert_eq!(taken, [1, 4, 7]);
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        for (bad, why) in [
            ("hash:0/3", "parts count from 1"),
            ("hash:4/3", "M is larger than N"),
            ("hash:1/0", "N must be at least 1"),
            ("foo:1/2", "the schemes are hash and count"),
            ("2/3", "no scheme"),
            ("hash:3", "no M/N"),
            ("hash:a/b", "M and N are whole numbers"),
            ("hash:-1/3", "M and N are whole numbers"),
        ] {
            let e = bad.parse::<Partition>().unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
        }
        assert_eq!(part(" hash : 2 / 4 ").to_string(), "hash:2/4");
        assert_eq!(part("count:1/1").to_string(), "count:1/1");
    }
}
