//! v4 metric and event alarm rules (§6): add or update (`?action_id=`), list, delete.
//!
//! Success bodies carry `"error_code":"200"`. Ids (`alarm_rule_id`) are odd integers
//! above 2^53, written as exact JSON integers. Delete answers 200 for names that do not
//! exist (live, per Terraform). Where the docs give no error code (duplicate name, update
//! of a missing rule, a bad `action_id`) the mock answers 400 with its own `MOCK.*` code.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::errors::{AlarmError, Op};
use super::guard::{Ctx, Json};
use super::model::{V4Delete, V4Rule};
use super::store::{Project, Refusal, StoredV4, now_ms};
use crate::mock::App;
use crate::mock::auth::{query_pairs, query_param};
use crate::mock::errors::json_response;
use crate::mock::fault::FaultPlan;

type Answer = Result<Response, AlarmError>;

fn eps(headers: &HeaderMap) -> Option<String> {
    headers
        .get("enterprise-project-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn bad(op: Op, code: &'static str, msg: impl Into<String>) -> AlarmError {
    AlarmError::mock(op, StatusCode::BAD_REQUEST, code, msg.into())
}

pub(crate) async fn add_or_update(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    uri: Uri,
    headers: HeaderMap,
    Json(rule): Json<V4Rule>,
) -> Answer {
    let op = ctx.op;
    let action = query_param(&uri, "action_id");
    let add = match action.as_deref() {
        Some("add-alarm-action") => true,
        Some("update-alarm-action") => false,
        _ => {
            let msg = "action_id must be add-alarm-action or update-alarm-action.";
            return Err(bad(op, "MOCK.INVALID_ACTION_ID", msg));
        }
    };
    rule.validate()
        .map_err(|why| AlarmError::invalid(op, why))?;
    f.injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))?;
    let name = rule.alarm_rule_name.clone();
    let max = app.config.alarms.max_rules_per_project;
    let id = app.alarms.rule_id();
    let eps = eps(&headers).unwrap_or_else(|| "0".into());
    let written = app.alarms.with(&ctx.project_id, |p| {
        if add {
            insert(p, rule, id, eps, max)
        } else {
            replace(p, rule)
        }
    });
    written.map_err(|r| match r {
        Refusal::Full => AlarmError::quota(op),
        Refusal::Exists => bad(
            op,
            "MOCK.ALARM_RULE_EXISTS",
            format!("Alarm rule {name:?} already exists."),
        ),
        Refusal::Missing => bad(
            op,
            "MOCK.ALARM_RULE_NOT_FOUND",
            format!("Alarm rule {name:?} does not exist."),
        ),
    })?;
    let body = json!({
        "error_code": "200",
        "error_message": "success",
        "alarm_rules": [{"alarm_rule_name": name, "result": "success"}],
    });
    Ok(json_response(StatusCode::OK, &body))
}

fn insert(p: &mut Project, rule: V4Rule, id: u64, eps: String, max: usize) -> Result<(), Refusal> {
    if p.v4_position(&rule.alarm_rule_name).is_some() {
        return Err(Refusal::Exists);
    }
    if p.v4.len() >= max {
        return Err(Refusal::Full);
    }
    let now = now_ms();
    p.v4.push(StoredV4 {
        rule,
        id,
        create_time: now,
        update_time: now,
        enterprise_project_id: eps,
    });
    Ok(())
}

/// Replaces the rule's fields; its id, creation time and enterprise project stay.
fn replace(p: &mut Project, rule: V4Rule) -> Result<(), Refusal> {
    let i = p
        .v4_position(&rule.alarm_rule_name)
        .ok_or(Refusal::Missing)?;
    let stored = &mut p.v4[i];
    stored.rule = rule;
    stored.update_time = now_ms();
    Ok(())
}

/// AlarmParamForV4Db: the rule as listed.
fn view(r: &StoredV4, project_id: &str) -> Value {
    let enabled = r.rule.alarm_rule_enable.unwrap_or(true);
    let notifications = r.rule.alarm_notifications.clone().unwrap_or_else(|| {
        json!({"notification_type": "direct", "route_group_enable": false, "route_group_rule": ""})
    });
    let mut v = json!({
        "alarm_rule_id": r.id,
        "alarm_rule_name": r.rule.alarm_rule_name,
        "alarm_rule_type": r.rule.alarm_rule_type,
        "alarm_rule_description": r.rule.alarm_rule_description.clone().unwrap_or_default(),
        "alarm_rule_enable": enabled,
        "alarm_rule_status": if enabled { "Effective" } else { "Invalid" },
        "alarm_create_time": r.create_time,
        "alarm_update_time": r.update_time,
        "enterprise_project_id": r.enterprise_project_id,
        "alarm_notifications": notifications,
        "user_id": project_id,
    });
    for (key, value) in [
        ("metric_alarm_spec", r.rule.metric_alarm_spec.clone()),
        ("event_alarm_spec", r.rule.event_alarm_spec.clone()),
        (
            "prom_instance_id",
            r.rule.prom_instance_id.clone().map(Value::from),
        ),
        ("alias", r.rule.alias.clone().map(Value::from)),
    ] {
        if let (Some(value), Some(obj)) = (value, v.as_object_mut()) {
            obj.insert(key.into(), value);
        }
    }
    v
}

/// The list filters that compare one field of the listed rule with the parameter.
const EQUALITY_FILTERS: [&str; 5] = [
    "name",
    "alarm_rule_status",
    "alarm_rule_type",
    "prom_instance_id",
    "enterprise_project_id",
];

fn filter_field(key: &str) -> &str {
    if key == "name" {
        "alarm_rule_name"
    } else {
        key
    }
}

/// Whether the listed rule `v` passes the query parameter `(key, value)`.
fn passes(v: &Value, (key, value): (&str, &str)) -> bool {
    let text = |ptr: &str| v.pointer(ptr).and_then(Value::as_str);
    match key {
        k if EQUALITY_FILTERS.contains(&k) => text(&format!("/{}", filter_field(k))) == Some(value),
        "bind_notification_rule_id" => {
            text("/alarm_notifications/bind_notification_rule_id") == Some(value)
        }
        "event_source" => text("/event_alarm_spec/event_source") == Some(value),
        "event_severity" => v
            .pointer("/event_alarm_spec/trigger_conditions")
            .and_then(Value::as_array)
            .is_some_and(|ts| {
                ts.iter()
                    .any(|t| t.pointer(&format!("/thresholds/{value}")).is_some())
            }),
        _ => true,
    }
}

pub(crate) async fn list(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    uri: Uri,
    headers: HeaderMap,
) -> Answer {
    let op = ctx.op;
    let mut params = query_pairs(uri.query());
    let number = |key: &str| -> Result<Option<usize>, AlarmError> {
        match params.iter().rev().find(|(k, _)| k == key) {
            None => Ok(None),
            Some((_, v)) => v.parse::<usize>().map(Some).map_err(|_| {
                AlarmError::invalid(op, format!("{key} must be a non-negative integer."))
            }),
        }
    };
    let (limit, offset) = (number("limit")?, number("offset")?.unwrap_or(0));
    let sort = params
        .iter()
        .rev()
        .find(|(k, _)| k == "sort_by")
        .map(|(_, v)| v.clone());
    let order =
        match sort.as_deref() {
            None => None,
            Some(s) => {
                let known = sort_key(s);
                Some(known.ok_or_else(|| {
                    AlarmError::invalid(op, "sort_by is not a known field.order.")
                })?)
            }
        };
    f.injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))?;
    if let Some(e) = eps(&headers).filter(|e| e != "all_granted_eps") {
        params.push(("enterprise_project_id".into(), e));
    }
    let mut rules: Vec<Value> = app.alarms.with(&ctx.project_id, |p| {
        p.v4.iter().map(|r| view(r, &ctx.project_id)).collect()
    });
    rules.retain(|v| params.iter().all(|(k, x)| passes(v, (k, x))));
    if let Some((field, asc)) = order {
        rules.sort_by(|a, b| {
            let o = match (a[field].as_i64(), b[field].as_i64()) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => a[field].as_str().cmp(&b[field].as_str()),
            };
            if asc { o } else { o.reverse() }
        });
    }
    let count = rules.len();
    let page: Vec<Value> = rules
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    let body = json!({"alarm_rules": page, "metadata": {}, "count": count});
    Ok(json_response(StatusCode::OK, &body))
}

/// `field.asc|desc` for a sortable field.
fn sort_key(s: &str) -> Option<(&'static str, bool)> {
    let (field, order) = s.rsplit_once('.')?;
    let field = ["alarm_rule_name", "alarm_create_time", "alarm_update_time"]
        .into_iter()
        .find(|f| *f == field)?;
    match order {
        "asc" => Some((field, true)),
        "desc" => Some((field, false)),
        _ => None,
    }
}

/// Always 200, naming every rule asked for, whether it existed or not.
pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(body): Json<V4Delete>,
) -> Answer {
    let op = ctx.op;
    if body.alarm_rules.is_empty() || body.alarm_rules.len() > 1000 {
        return Err(AlarmError::invalid(op, "alarm_rules holds 1-1000 names."));
    }
    f.injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))?;
    let names = body.alarm_rules;
    app.alarms.with(&ctx.project_id, |p| {
        p.v4.retain(|r| !names.contains(&r.rule.alarm_rule_name));
    });
    let resources: Vec<Value> = names
        .iter()
        .map(|n| json!({"alarm_rule_name": n}))
        .collect();
    let body = json!({"error_code": "200", "error_message": "success", "resources": resources});
    Ok(json_response(StatusCode::OK, &body))
}
