//! The alarm family's state, per project: action rules, mute rules, events and v4 alarm
//! rules, each project behind one mutex (held for synchronous work only, never across an
//! `.await`). Rules keep their creation order, which is the order lists answer in.
//!
//! Memory is bounded: projects exist only for project ids a credential is bound to, each
//! kind of rule is capped ([`super::AlarmsConfig::max_rules_per_project`]; beyond, the
//! appendix's HTTP 300 `AOM.08001300`), events are kept in a ring
//! ([`super::AlarmsConfig::max_events_per_project`]; the oldest cleared event goes
//! first), and every stored object has bounded fields (see `model`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::model::{ActionRule, EventIn, MuteRule, V4Rule};

/// Milliseconds since the Unix epoch, the unit of every AOM time field.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Why a write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A rule of that name exists.
    Exists,
    /// No rule of that name.
    Missing,
    /// The project holds its most rules of this kind.
    Full,
}

/// An action rule and, once deleted, when the deletion completes.
#[derive(Debug, Clone)]
struct StoredAction {
    rule: ActionRule,
    gone_at: Option<Instant>,
}

/// An event as stored (ListEventModel).
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub id: String,
    pub event_sn: String,
    pub starts_at: i64,
    /// 0 while active.
    pub ends_at: i64,
    pub timeout: i64,
    pub arrives_at: i64,
    pub metadata: BTreeMap<String, String>,
    pub annotations: Map<String, Value>,
    pub attach_rule: Map<String, Value>,
    pub enterprise_project_id: String,
    /// Push order, the tie-break of sorts.
    pub seq: u64,
}

/// A v4 alarm rule with its server-set fields.
#[derive(Debug, Clone)]
pub(crate) struct StoredV4 {
    pub rule: V4Rule,
    pub id: u64,
    pub create_time: i64,
    pub update_time: i64,
    pub enterprise_project_id: String,
}

/// One project's alarm state.
#[derive(Debug, Default)]
pub(crate) struct Project {
    actions: Vec<StoredAction>,
    mutes: Vec<MuteRule>,
    events: VecDeque<StoredEvent>,
    pub v4: Vec<StoredV4>,
    seq: u64,
}

impl Project {
    /// Forgets action rules whose deletion has completed.
    fn purge(&mut self, now: Instant) {
        self.actions.retain(|a| a.gone_at.is_none_or(|t| t > now));
    }

    fn action(&mut self, name: &str, now: Instant) -> Option<&mut StoredAction> {
        self.purge(now);
        self.actions.iter_mut().find(|a| a.rule.rule_name == name)
    }

    pub fn add_action(
        &mut self,
        mut rule: ActionRule,
        now: (Instant, i64),
        max: usize,
    ) -> Result<(), Refusal> {
        if self.action(&rule.rule_name, now.0).is_some() {
            return Err(Refusal::Exists);
        }
        if self.actions.len() >= max {
            return Err(Refusal::Full);
        }
        rule.create_time = Some(now.1);
        rule.update_time = Some(now.1);
        self.actions.push(StoredAction {
            rule,
            gone_at: None,
        });
        Ok(())
    }

    /// Every action rule, deletions still in progress included (as live).
    pub fn actions(&mut self, now: Instant) -> Vec<ActionRule> {
        self.purge(now);
        self.actions.iter().map(|a| a.rule.clone()).collect()
    }

    pub fn show_action(&mut self, name: &str, now: Instant) -> Option<ActionRule> {
        self.action(name, now).map(|a| a.rule.clone())
    }

    /// Replaces the stored fields, keeping `create_time`.
    pub fn update_action(
        &mut self,
        mut rule: ActionRule,
        now: (Instant, i64),
    ) -> Result<(), Refusal> {
        let stored = self
            .action(&rule.rule_name, now.0)
            .ok_or(Refusal::Missing)?;
        rule.create_time = stored.rule.create_time;
        rule.update_time = Some(now.1);
        stored.rule = rule;
        Ok(())
    }

    /// All or nothing: every name must exist. Each deletion completes at `gone_at`
    /// (a rule already being deleted keeps its first deadline).
    pub fn delete_actions(
        &mut self,
        names: &[String],
        now: Instant,
        gone_at: Instant,
    ) -> Result<(), Refusal> {
        self.purge(now);
        let exists = |n: &String| self.actions.iter().any(|a| &a.rule.rule_name == n);
        if !names.iter().all(exists) {
            return Err(Refusal::Missing);
        }
        for a in self
            .actions
            .iter_mut()
            .filter(|a| names.contains(&a.rule.rule_name))
        {
            a.gone_at.get_or_insert(gone_at);
        }
        self.purge(now);
        Ok(())
    }

    pub fn add_mute(&mut self, mut rule: MuteRule, now: i64, max: usize) -> Result<(), Refusal> {
        if self.mutes.iter().any(|m| m.name == rule.name) {
            return Err(Refusal::Exists);
        }
        if self.mutes.len() >= max {
            return Err(Refusal::Full);
        }
        rule.create_time = Some(now);
        rule.update_time = Some(now);
        self.mutes.push(rule);
        Ok(())
    }

    pub fn mutes(&self) -> &[MuteRule] {
        &self.mutes
    }

    pub fn update_mute(&mut self, mut rule: MuteRule, now: i64) -> Result<(), Refusal> {
        let stored = self
            .mutes
            .iter_mut()
            .find(|m| m.name == rule.name)
            .ok_or(Refusal::Missing)?;
        rule.create_time = stored.create_time;
        rule.update_time = Some(now);
        *stored = rule;
        Ok(())
    }

    /// All or nothing, removed at once (no asynchronous delete is documented).
    pub fn delete_mutes(&mut self, names: &[String]) -> Result<(), Refusal> {
        if !names
            .iter()
            .all(|n| self.mutes.iter().any(|m| &m.name == n))
        {
            return Err(Refusal::Missing);
        }
        self.mutes.retain(|m| !names.contains(&m.name));
        Ok(())
    }

    /// Stores reported events, evicting the oldest cleared one (else the oldest) when
    /// the ring is full.
    pub fn report(&mut self, events: Vec<StoredEvent>, max: usize) {
        for mut e in events {
            while self.events.len() >= max.max(1) {
                match self.events.iter().position(|x| x.ends_at > 0) {
                    Some(i) => self.events.remove(i),
                    None => self.events.pop_front(),
                };
            }
            self.seq += 1;
            e.seq = self.seq;
            self.events.push_back(e);
        }
    }

    /// Clears the active alarms each event names (by `id`, else by its metadata
    /// identity); names that match nothing are ignored.
    pub fn clear(&mut self, events: &[EventIn]) {
        for c in events {
            let ends_at = c.ends_at.unwrap_or(0);
            let names = |e: &StoredEvent| match (&c.id, &c.metadata) {
                (Some(id), _) => &e.id == id,
                (None, Some(md)) => super::model::IDENTITY_KEYS
                    .iter()
                    .all(|k| e.metadata.get(*k) == md.get(*k)),
                (None, None) => false,
            };
            for e in self
                .events
                .iter_mut()
                .filter(|e| e.ends_at == 0 && names(e))
            {
                e.ends_at = ends_at.max(e.starts_at);
            }
        }
    }

    /// The events, after clearing the alarms whose timeout has passed.
    pub fn events(&mut self, now: i64) -> &VecDeque<StoredEvent> {
        for e in self.events.iter_mut().filter(|e| e.ends_at == 0) {
            let expires = e.starts_at.saturating_add(e.timeout);
            if expires < now {
                e.ends_at = expires;
            }
        }
        &self.events
    }

    pub fn v4_position(&self, name: &str) -> Option<usize> {
        self.v4.iter().position(|r| r.rule.alarm_rule_name == name)
    }
}

/// Id sources: 19-digit event ids and serial numbers, and v4 rule ids that are odd
/// integers above 2^53 (no double can hold one, so a client that parses them as floats
/// shows it at once).
#[derive(Debug)]
struct Ids {
    event: AtomicU64,
    rule: AtomicU64,
}

/// 2^53: the first integer past which a double cannot count.
pub(crate) const FLOAT_EXACT_LIMIT: u64 = 1 << 53;

impl Ids {
    fn new() -> Self {
        let seed = getrandom::u64().unwrap_or_else(|_| now_ms().unsigned_abs());
        Ids {
            event: AtomicU64::new(1_000_000_000_000_000_000 + seed % 1_000_000_000_000_000_000),
            rule: AtomicU64::new(seed % (1 << 40)),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    projects: DashMap<String, Arc<Mutex<Project>>>,
    ids: Ids,
}

impl Store {
    pub fn new() -> Self {
        Store {
            projects: DashMap::new(),
            ids: Ids::new(),
        }
    }

    /// Runs `f` on the project's state under its lock. Projects are created on first
    /// use; only granted project ids get here.
    pub fn with<T>(&self, project_id: &str, f: impl FnOnce(&mut Project) -> T) -> T {
        let project = match self.projects.get(project_id) {
            Some(p) => Arc::clone(&p),
            None => Arc::clone(&self.projects.entry(project_id.to_owned()).or_default()),
        };
        let mut guard = project.lock();
        f(&mut guard)
    }

    /// Forgets every project's alarm state (`POST /_mock/reset`).
    pub fn reset(&self) {
        self.projects.clear();
    }

    /// A new 19-digit decimal id.
    pub fn event_id(&self) -> String {
        self.ids.event.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// A new v4 rule id: odd, above 2^53.
    pub fn rule_id(&self) -> u64 {
        let n = self.ids.rule.fetch_add(1, Ordering::Relaxed);
        FLOAT_EXACT_LIMIT + 1 + 2 * n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rule(name: &str) -> ActionRule {
        serde_json::from_value(serde_json::json!({
            "rule_name": name, "type": "1", "notification_template": "t",
            "smn_topics": [{"topic_urn": "urn:smn:x:y:z"}]
        }))
        .unwrap()
    }

    #[test]
    fn action_rules_disappear_only_when_their_deletion_completes() {
        let mut p = Project::default();
        let t0 = Instant::now();
        p.add_action(rule("a"), (t0, 1), 10).unwrap();
        assert_eq!(p.add_action(rule("a"), (t0, 2), 10), Err(Refusal::Exists));
        let gone = t0 + Duration::from_secs(5);
        p.delete_actions(&["a".into()], t0, gone).unwrap();
        assert!(p.show_action("a", t0 + Duration::from_secs(4)).is_some());
        // Deleting again while it is being deleted keeps the first deadline.
        p.delete_actions(&["a".into()], t0, gone + Duration::from_secs(60))
            .unwrap();
        assert!(p.show_action("a", gone).is_none());
        assert_eq!(
            p.delete_actions(&["a".into()], gone, gone),
            Err(Refusal::Missing)
        );
        assert_eq!(p.add_action(rule("b"), (gone, 3), 0), Err(Refusal::Full));
    }

    #[test]
    fn rule_ids_are_odd_and_beyond_float_precision() {
        let s = Store::new();
        for _ in 0..3 {
            let id = s.rule_id();
            assert!(id > FLOAT_EXACT_LIMIT && id % 2 == 1, "{id}");
            assert_ne!(id as f64 as u64, id);
        }
        assert_eq!(s.event_id().len(), 19);
    }
}
