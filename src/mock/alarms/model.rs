//! Request bodies of the alarm family and their documented limits (reference §3.0,
//! §4.0, §5.0, §6). Each `validate` returns the first problem in words; the handler
//! answers it with the operation's documented 400.
//!
//! Stored rules are these same structs with the server-set fields filled in, so what a
//! client sent comes back as sent (plus `create_time`/`update_time`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Largest serialized free-form object (`annotations`, `attach_rule`, v4 specs) the mock
/// stores: keeps a project's memory bounded.
pub(crate) const MAX_FREE_FORM_BYTES: usize = 16 * 1024;

/// A problem with a request body, in words.
pub(crate) type Invalid = String;

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Invalid> {
    if ok { Ok(()) } else { Err(what()) }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Letters, digits, `_` (and CJK ideographs), not starting or ending with `_`.
fn rule_name(field: &str, s: &str, max: usize) -> Result<(), Invalid> {
    let ok = (1..=max).contains(&chars(s))
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || c == '_' || ('\u{4e00}'..='\u{9fa5}').contains(&c)
        })
        && !s.starts_with('_')
        && !s.ends_with('_');
    check(ok, || {
        format!("{field} must be 1-{max} letters, digits or `_`, not starting or ending with `_`.")
    })
}

/// An alarm action (notification) rule (§3.0).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct ActionRule {
    pub rule_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub notification_template: String,
    #[serde(default)]
    pub create_time: Option<i64>,
    #[serde(default)]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub smn_topics: Vec<SmnTopic>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct SmnTopic {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_policy: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    pub topic_urn: String,
}

impl ActionRule {
    /// The documented limits. `lenient`: accept what Terraform sends live without
    /// `project_id`, `user_name` and `push_policy`, which the docs require.
    pub fn validate(&self, lenient: bool) -> Result<(), Invalid> {
        rule_name("rule_name", &self.rule_name, 100)?;
        let required = |v: &Option<String>, what: &str| {
            check(lenient || v.is_some(), || format!("{what} is required."))
        };
        required(&self.project_id, "project_id")?;
        required(&self.user_name, "user_name")?;
        if let Some(p) = &self.project_id {
            check(chars(p) == 32, || {
                "project_id must be 32 characters.".into()
            })?;
        }
        if let Some(u) = &self.user_name {
            check((1..=100).contains(&chars(u)), || {
                "user_name must be 1-100 characters.".into()
            })?;
        }
        let desc = self.desc.as_deref().unwrap_or("");
        check(chars(desc) <= 1024, || {
            "desc must be at most 1024 characters.".into()
        })?;
        // The Add page documents "1" and "3", the other pages "1" and "2": all accepted.
        check(matches!(self.kind.as_str(), "1" | "2" | "3"), || {
            "type must be \"1\", \"2\" or \"3\".".into()
        })?;
        let template = chars(&self.notification_template);
        check((1..=100).contains(&template), || {
            "notification_template must be 1-100 characters.".into()
        })?;
        if let Some(tz) = &self.time_zone {
            check((1..=100).contains(&chars(tz)), || {
                "time_zone must be 1-100 characters.".into()
            })?;
        }
        check((1..=5).contains(&self.smn_topics.len()), || {
            "smn_topics must hold 1-5 topics.".into()
        })?;
        self.smn_topics.iter().try_for_each(|t| t.validate(lenient))
    }
}

impl SmnTopic {
    fn validate(&self, lenient: bool) -> Result<(), Invalid> {
        check((1..=100).contains(&chars(&self.topic_urn)), || {
            "topic_urn must be 1-100 characters.".into()
        })?;
        if let Some(n) = &self.name {
            let ok = (1..=255).contains(&n.len())
                && n.starts_with(|c: char| c.is_ascii_alphanumeric())
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            check(ok, || {
                "smn_topics name must be 1-255 of [A-Za-z0-9_-], starting with a letter or digit."
                    .into()
            })?;
        }
        let dn = self.display_name.as_deref().unwrap_or("");
        check(chars(dn) <= 64, || {
            "display_name must be at most 64 characters.".into()
        })?;
        check(lenient || self.push_policy.is_some(), || {
            "push_policy is required.".into()
        })?;
        check(self.push_policy.is_none_or(|p| matches!(p, 0 | 1)), || {
            "push_policy must be 0 or 1.".into()
        })?;
        check(self.status.is_none_or(|s| (0..=2).contains(&s)), || {
            "status must be 0, 1 or 2.".into()
        })
    }
}

/// A mute (silence) rule (§4.0).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct MuteRule {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(rename = "match")]
    pub matches: Vec<Vec<Match>>,
    pub mute_config: MuteConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub create_time: Option<i64>,
    #[serde(default)]
    pub update_time: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct Match {
    pub key: String,
    pub operate: String,
    #[serde(default)]
    pub value: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct MuteConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub starts_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    #[serde(default)]
    pub scope: Vec<i64>,
}

/// Seconds in a day: DAILY/WEEKLY/MONTHLY times are seconds of the day.
const DAY_SECONDS: i64 = 86_399;

impl MuteRule {
    pub fn validate(&self) -> Result<(), Invalid> {
        rule_name("name", &self.name, 100)?;
        let desc = self.desc.as_deref().unwrap_or("");
        check(chars(desc) <= 1024, || {
            "desc must be at most 1024 characters.".into()
        })?;
        check((1..=10).contains(&self.matches.len()), || {
            "match must hold 1-10 groups.".into()
        })?;
        for group in &self.matches {
            check((1..=10).contains(&group.len()), || {
                "each match group must hold 1-10 conditions.".into()
            })?;
            group.iter().try_for_each(Match::validate)?;
        }
        self.mute_config.validate()?;
        if let Some(tz) = &self.timezone {
            check((1..=32).contains(&chars(tz)), || {
                "timezone must be 1-32 characters.".into()
            })?;
        }
        if let Some(u) = &self.user_id {
            check(chars(u) == 32, || "user_id must be 32 characters.".into())?;
        }
        Ok(())
    }
}

impl Match {
    fn validate(&self) -> Result<(), Invalid> {
        check((1..=128).contains(&chars(&self.key)), || {
            "match key must be 1-128 characters.".into()
        })?;
        check(
            matches!(self.operate.as_str(), "EQUALS" | "REGEX" | "EXIST"),
            || "operate must be EQUALS, REGEX or EXIST.".into(),
        )?;
        check(self.value.len() <= 5, || {
            "value holds at most 5 items.".into()
        })?;
        check(self.operate != "EXIST" || self.value.is_empty(), || {
            "value must be empty for EXIST.".into()
        })?;
        check(
            self.value.iter().all(|v| (1..=256).contains(&chars(v))),
            || "each value must be 1-256 characters.".into(),
        )
    }
}

impl MuteConfig {
    fn validate(&self) -> Result<(), Invalid> {
        let end = self.ends_at.unwrap_or(0);
        match self.kind.as_str() {
            "FIXED" => check(
                self.starts_at >= 0 && (end == 0 || end >= self.starts_at),
                || {
                    "FIXED: starts_at is a UTC ms timestamp, ends_at 0 (permanent) or not before it.".into()
                },
            ),
            "DAILY" | "WEEKLY" | "MONTHLY" => {
                let in_day = |t: i64| (0..=DAY_SECONDS).contains(&t);
                check(in_day(self.starts_at) && in_day(end), || {
                    "starts_at and ends_at are seconds of the day (0-86399).".into()
                })?;
                let needs_scope = self.kind != "DAILY";
                check(!needs_scope || !self.scope.is_empty(), || {
                    "scope is required for WEEKLY and MONTHLY.".into()
                })?;
                check(
                    self.scope.len() <= 100 && self.scope.iter().all(|d| (0..=31).contains(d)),
                    || "scope holds at most 100 days, each 0-31.".into(),
                )
            }
            _ => Err("mute_config type must be FIXED, DAILY, WEEKLY or MONTHLY.".into()),
        }
    }
}

/// The metadata keys every event carries (§5.0).
pub(crate) const IDENTITY_KEYS: [&str; 6] = [
    "event_name",
    "event_severity",
    "event_type",
    "resource_provider",
    "resource_type",
    "resource_id",
];

/// Severities, most severe first: the order of CountEvents' series.
pub(crate) const SEVERITIES: [&str; 4] = ["Critical", "Major", "Minor", "Info"];

/// Longest `timeout` of an event: 15 days.
pub(crate) const MAX_EVENT_TIMEOUT_MS: i64 = 15 * 24 * 3600 * 1000;

/// PushEvents' body.
#[derive(Debug, Deserialize)]
pub(crate) struct PushBody {
    pub events: Vec<EventIn>,
}

/// One pushed event (EventModel).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EventIn {
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub ends_at: Option<i64>,
    #[serde(default)]
    pub timeout: Option<i64>,
    #[serde(default)]
    pub annotations: Option<Map<String, Value>>,
    #[serde(default)]
    pub attach_rule: Option<Map<String, Value>>,
    #[serde(default)]
    pub id: Option<String>,
}

/// Most events one push may carry (the docs give no limit; this bounds one request).
pub(crate) const MAX_EVENTS_PER_PUSH: usize = 100;

impl EventIn {
    /// A report: the mandatory metadata, the enums, the documented sizes.
    pub fn validate_report(&self) -> Result<(), Invalid> {
        let md = self.metadata.as_ref().ok_or("metadata is required.")?;
        check(md.len() <= 30, || "metadata holds at most 30 keys.".into())?;
        for key in IDENTITY_KEYS {
            check(md.contains_key(key), || {
                format!("metadata.{key} is required.")
            })?;
        }
        check(
            md.iter()
                .all(|(k, v)| (1..=128).contains(&chars(k)) && (1..=2048).contains(&chars(v))),
            || "metadata keys are 1-128 and values 1-2048 characters.".into(),
        )?;
        let severity = md.get("event_severity").map_or("", String::as_str);
        check(SEVERITIES.contains(&severity), || {
            "event_severity must be Critical, Major, Minor or Info.".into()
        })?;
        let kind = md.get("event_type").map_or("", String::as_str);
        check(matches!(kind, "event" | "alarm"), || {
            "event_type must be event or alarm.".into()
        })?;
        check(self.starts_at.is_none_or(|t| t >= 0), || {
            "starts_at must not be negative.".into()
        })?;
        check(
            self.timeout
                .is_none_or(|t| (1..=MAX_EVENT_TIMEOUT_MS).contains(&t)),
            || "timeout must be 1 ms to 15 days.".into(),
        )?;
        self.check_free_form()
    }

    /// A clear: `ends_at`, and the alarm named by `id` or by its metadata identity.
    pub fn validate_clear(&self) -> Result<(), Invalid> {
        check(self.ends_at.is_some_and(|t| t > 0), || {
            "ends_at is required to clear.".into()
        })?;
        let by_metadata = self
            .metadata
            .as_ref()
            .is_some_and(|md| IDENTITY_KEYS.iter().all(|k| md.contains_key(*k)));
        check(self.id.is_some() || by_metadata, || {
            "a clear names the alarm by id or by its full metadata.".into()
        })?;
        self.check_free_form()
    }

    fn check_free_form(&self) -> Result<(), Invalid> {
        for (name, v) in [
            ("annotations", &self.annotations),
            ("attach_rule", &self.attach_rule),
        ] {
            let size = v
                .as_ref()
                .map_or(0, |m| serde_json::to_vec(m).map_or(usize::MAX, |b| b.len()));
            check(size <= MAX_FREE_FORM_BYTES, || {
                format!("{name} is larger than {MAX_FREE_FORM_BYTES} bytes (a mock limit).")
            })?;
        }
        Ok(())
    }
}

/// ListEvents' and CountEvents' body (EventQueryParam2 / EventQueryParam).
#[derive(Debug, Deserialize)]
pub(crate) struct EventQuery {
    pub time_range: String,
    #[serde(default)]
    pub step: Option<i64>,
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub sort: Option<Sort>,
    #[serde(default)]
    pub metadata_relation: Vec<Relation>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Sort {
    pub order_by: Vec<String>,
    #[serde(default)]
    pub order: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Relation {
    pub key: String,
    #[serde(default)]
    pub value: Vec<String>,
    #[serde(default)]
    pub relation: Option<String>,
}

impl EventQuery {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(sort) = &self.sort {
            check(
                sort.order
                    .as_deref()
                    .is_none_or(|o| matches!(o, "asc" | "desc")),
                || "sort.order must be asc or desc.".into(),
            )?;
        }
        check(
            self.metadata_relation.iter().all(|r| {
                r.relation
                    .as_deref()
                    .is_none_or(|x| matches!(x, "AND" | "OR" | "NOT"))
            }),
            || "metadata_relation relation must be AND, OR or NOT.".into(),
        )
    }
}

/// A v4 metric or event alarm rule, as added or updated (§6).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct V4Rule {
    pub alarm_rule_name: String,
    pub alarm_rule_type: String,
    #[serde(default)]
    pub alarm_rule_description: Option<String>,
    #[serde(default)]
    pub alarm_rule_enable: Option<bool>,
    #[serde(default)]
    pub alarm_notifications: Option<Value>,
    #[serde(default)]
    pub metric_alarm_spec: Option<Value>,
    #[serde(default)]
    pub event_alarm_spec: Option<Value>,
    #[serde(default)]
    pub prom_instance_id: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
}

impl V4Rule {
    pub fn validate(&self) -> Result<(), Invalid> {
        let name = &self.alarm_rule_name;
        let ok = (1..=100).contains(&chars(name))
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        check(ok, || {
            "alarm_rule_name must be 1-100 letters, digits, `_` or `-`.".into()
        })?;
        let desc = self.alarm_rule_description.as_deref().unwrap_or("");
        check(chars(desc) <= 1024, || {
            "alarm_rule_description is at most 1024 characters.".into()
        })?;
        check(
            self.alias.as_deref().is_none_or(|a| chars(a) <= 256),
            || "alias is at most 256 characters.".into(),
        )?;
        match self.alarm_rule_type.as_str() {
            "metric" => metric_spec(self.metric_alarm_spec.as_ref())?,
            "event" => event_spec(self.event_alarm_spec.as_ref())?,
            _ => return Err("alarm_rule_type must be metric or event.".into()),
        }
        if let Some(n) = &self.alarm_notifications {
            notifications(n)?;
        }
        let size = serde_json::to_vec(self).map_or(usize::MAX, |b| b.len());
        check(size <= 4 * MAX_FREE_FORM_BYTES, || {
            "the rule is larger than 64 KiB (a mock limit).".into()
        })
    }
}

fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn metric_spec(spec: Option<&Value>) -> Result<(), Invalid> {
    let s = spec.ok_or("a metric rule needs metric_alarm_spec.")?;
    let monitor = field(s, "monitor_type")
        .and_then(Value::as_str)
        .unwrap_or("");
    check(
        matches!(monitor, "all_metric" | "promql" | "resource"),
        || "metric_alarm_spec.monitor_type must be all_metric, promql or resource.".into(),
    )?;
    for key in ["alarm_tags", "recovery_conditions"] {
        check(field(s, key).is_some(), || {
            format!("metric_alarm_spec.{key} is required.")
        })?;
    }
    let triggers = field(s, "trigger_conditions").and_then(Value::as_array);
    check(triggers.is_some(), || {
        "metric_alarm_spec.trigger_conditions is required.".into()
    })
}

fn event_spec(spec: Option<&Value>) -> Result<(), Invalid> {
    let s = spec.ok_or("an event rule needs event_alarm_spec.")?;
    let triggers = field(s, "trigger_conditions").and_then(Value::as_array);
    check(triggers.is_some_and(|t| !t.is_empty()), || {
        "event_alarm_spec.trigger_conditions needs at least one condition.".into()
    })?;
    let source = field(s, "alarm_source").and_then(Value::as_str);
    check(
        source.is_none_or(|x| matches!(x, "systemEvent" | "customEvent")),
        || "alarm_source must be systemEvent or customEvent.".into(),
    )
}

fn notifications(n: &Value) -> Result<(), Invalid> {
    let kind = field(n, "notification_type")
        .and_then(Value::as_str)
        .unwrap_or("");
    check(matches!(kind, "direct" | "alarm_policy"), || {
        "alarm_notifications.notification_type must be direct or alarm_policy.".into()
    })?;
    check(
        field(n, "route_group_enable").is_some_and(Value::is_boolean),
        || "alarm_notifications.route_group_enable (bool) is required.".into(),
    )?;
    check(
        field(n, "route_group_rule").is_some_and(Value::is_string),
        || "alarm_notifications.route_group_rule (string) is required.".into(),
    )
}

/// DeleteMetricOrEventAlarmRule's body.
#[derive(Debug, Deserialize)]
pub(crate) struct V4Delete {
    pub alarm_rules: Vec<String>,
}

/// DeleteMuteRules' body items.
#[derive(Debug, Deserialize)]
pub(crate) struct MuteName {
    pub name: String,
}
