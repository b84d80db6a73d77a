//! Events and alarms (§5): PushEvents reports or clears (`?action=clear`), ListEvents
//! pages through them, CountEvents buckets them by severity. Events cannot be deleted;
//! an active alarm becomes history when cleared or when its `timeout` passes (checked on
//! every read).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{AlarmError, Op};
use super::guard::{Ctx, Json};
use super::model::{EventQuery, MAX_EVENTS_PER_PUSH, PushBody};
use super::query::{self, Statistic};
use super::store::{StoredEvent, now_ms};
use crate::mock::App;
use crate::mock::auth::query_param;
use crate::mock::errors::json_response;
use crate::mock::fault::FaultPlan;

type Answer = Result<Response, AlarmError>;

/// The enterprise project header, under every spelling the sources use (header names are
/// case-insensitive, so `Enterprise-Project-Id` is the first).
const EPS_HEADERS: [&str; 3] = [
    "enterprise-project-id",
    "x-enterprise-project-id",
    "x-enterprise-prject-id",
];

fn eps(headers: &HeaderMap) -> Option<String> {
    EPS_HEADERS
        .iter()
        .find_map(|h| headers.get(*h))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) async fn push_events(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<PushBody>,
) -> Answer {
    let op = ctx.op;
    let clear = query_param(&uri, "action").as_deref() == Some("clear");
    if body.events.is_empty() || body.events.len() > MAX_EVENTS_PER_PUSH {
        return Err(AlarmError::invalid(op, "events holds 1-100 events."));
    }
    for e in &body.events {
        let checked = if clear {
            e.validate_clear()
        } else {
            e.validate_report()
        };
        checked.map_err(|why| AlarmError::invalid(op, why))?;
    }
    f.injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))?;
    let cfg = &app.config.alarms;
    if clear {
        app.alarms.with(&ctx.project_id, |p| p.clear(&body.events));
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let now = now_ms();
    let eps = eps(&headers).unwrap_or_else(|| "0".into());
    let timeout = i64::try_from(cfg.default_event_timeout.as_millis()).unwrap_or(i64::MAX);
    let stored: Vec<StoredEvent> = body
        .events
        .into_iter()
        .map(|e| StoredEvent {
            id: app.alarms.event_id(),
            event_sn: app.alarms.event_id(),
            starts_at: e.starts_at.unwrap_or(now),
            ends_at: 0,
            timeout: e.timeout.unwrap_or(timeout),
            arrives_at: now,
            metadata: e.metadata.unwrap_or_default(),
            annotations: e.annotations.unwrap_or_default(),
            attach_rule: e.attach_rule.unwrap_or_default(),
            enterprise_project_id: eps.clone(),
            seq: 0,
        })
        .collect();
    let max = cfg.max_events_per_project;
    app.alarms.with(&ctx.project_id, |p| p.report(stored, max));
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn view(e: &StoredEvent) -> Value {
    json!({
        "id": e.id,
        "event_sn": e.event_sn,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "timeout": e.timeout,
        "arrives_at": e.arrives_at,
        "metadata": e.metadata,
        "annotations": e.annotations,
        "attach_rule": e.attach_rule,
        "enterprise_project_id": e.enterprise_project_id,
        "policy": {},
    })
}

/// The query's `[start, end]`, checked with the rest of the query.
fn range(op: Op, q: &EventQuery, now: i64) -> Result<(i64, i64), AlarmError> {
    q.validate().map_err(|why| AlarmError::invalid(op, why))?;
    query::time_range(&q.time_range, now).map_err(|why| AlarmError::invalid(op, why))
}

/// The events of the project in `range` that `q` (with `type` and the EPS header)
/// selects.
fn selected(
    app: &App,
    ctx: &Ctx,
    (q, range, now): (&EventQuery, (i64, i64), i64),
    uri: &Uri,
    headers: &HeaderMap,
) -> Vec<StoredEvent> {
    let kind = query_param(uri, "type");
    let eps = eps(headers).filter(|e| e != "all_granted_eps");
    app.alarms.with(&ctx.project_id, |p| {
        p.events(now)
            .iter()
            .filter(|e| query::matches(e, q, kind.as_deref(), range))
            .filter(|e| eps.as_deref().is_none_or(|x| x == e.enterprise_project_id))
            .cloned()
            .collect()
    })
}

pub(crate) async fn list_events(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    uri: Uri,
    headers: HeaderMap,
    Json(q): Json<EventQuery>,
) -> Answer {
    let op = ctx.op;
    let limit = match query_param(&uri, "limit") {
        None => 1000,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| AlarmError::invalid(op, "limit must be 1-1000."))?,
    };
    let now = now_ms();
    let range = range(op, &q, now)?;
    let events = selected(&app, &ctx, (&q, range, now), &uri, &headers);
    let page = query::page(events.len(), query_param(&uri, "marker").as_deref(), limit)
        .map_err(|why| AlarmError::invalid(op, why))?;
    f.injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))?;
    let mut refs: Vec<&StoredEvent> = events.iter().collect();
    query::sort(&mut refs, &q);
    let items: Vec<Value> = refs[page.offset..page.offset + page.len]
        .iter()
        .map(|e| view(e))
        .collect();
    let body = json!({
        "events": items,
        "page_info": {
            "current_count": page.len,
            "previous_marker": page.previous_marker,
            "next_marker": page.next_marker,
        },
    });
    Ok(json_response(StatusCode::OK, &body))
}

pub(crate) async fn count_events(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    uri: Uri,
    headers: HeaderMap,
    Json(q): Json<EventQuery>,
) -> Answer {
    let op = ctx.op;
    // Required in the OTC docs, optional ("min 1 minute") in the SDK since 0.1.175.
    let step = q.step.unwrap_or(60_000);
    let now = now_ms();
    let range = range(op, &q, now)?;
    let events = selected(&app, &ctx, (&q, range, now), &uri, &headers);
    let refs: Vec<&StoredEvent> = events.iter().collect();
    let Statistic {
        timestamps,
        series,
        summary,
    } = query::statistic(&refs, range, step).map_err(|why| AlarmError::invalid(op, why))?;
    f.injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))?;
    let series: Vec<Value> = series
        .into_iter()
        .map(|(s, values)| json!({"event_severity": s, "values": values}))
        .collect();
    let summary: serde_json::Map<String, Value> = summary
        .into_iter()
        .map(|(s, n)| (s.to_owned(), Value::from(n)))
        .collect();
    let body =
        json!({"step": step, "timestamps": timestamps, "series": series, "summary": summary});
    Ok(json_response(StatusCode::OK, &body))
}
