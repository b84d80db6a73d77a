//! Action (notification) rules and mute (silence) rules: CRUD keyed by name (§3, §4).
//!
//! Success codes are the documented ones, which differ: AddActionRule answers 200 with
//! no body, every other write 204, lists and Show 200 with JSON. A missing rule on Show
//! is the documented 400 `AOM.08001001`, or with `live_quirks` a 404 as the live service
//! answers (its body is not known: the mock's `MOCK.ACTION_RULE_NOT_FOUND`).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::errors::{AlarmError, Op};
use super::guard::{Ctx, Json};
use super::model::{ActionRule, MuteName, MuteRule};
use super::store::{Refusal, now_ms};
use crate::mock::App;
use crate::mock::errors::json_response;
use crate::mock::fault::FaultPlan;

type Answer = Result<Response, AlarmError>;

async fn fault(op: Op, fault: FaultPlan) -> Result<(), AlarmError> {
    fault
        .injected()
        .await
        .map_err(|i| AlarmError::injected(op, i))
}

fn refused(op: Op, r: Refusal) -> AlarmError {
    use Op::*;
    match (op, r) {
        (_, Refusal::Full) => AlarmError::quota(op),
        (AddActionRule, _) => AlarmError::rejected(op, "AOM.08018012", "actionRule already exists"),
        (UpdateActionRule, _) => {
            AlarmError::rejected(op, "AOM.08019006", "The action rule does not exist")
        }
        (DeleteActionRule, _) => {
            AlarmError::rejected(op, "AOM.08044006", "The action rule does not exist")
        }
        (AddMuteRules, _) => AlarmError::rejected(op, "AOM.08011001", "the muteName is exist"),
        // The appendix's code; no operation page names the one for Update.
        (UpdateMuteRule, _) => {
            AlarmError::rejected(op, "AOM.08015002", "The muteName is not exist")
        }
        _ => AlarmError::rejected(op, "AOM.08043002", "the muteName is not exist"),
    }
}

pub(crate) async fn add_action_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(rule): Json<ActionRule>,
) -> Answer {
    let cfg = &app.config.alarms;
    rule.validate(cfg.live_quirks)
        .map_err(|why| AlarmError::invalid(ctx.op, why))?;
    fault(ctx.op, f).await?;
    let mut rule = rule;
    rule.project_id
        .get_or_insert_with(|| ctx.project_id.clone());
    for t in &mut rule.smn_topics {
        // As Terraform does: the topic's name is the tail of its URN.
        let tail = t
            .topic_urn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        t.name.get_or_insert(tail);
        // The mock has no SMN: "0" is "topic deleted or no subscriptions".
        t.status.get_or_insert(0);
    }
    let now = (Instant::now(), now_ms());
    app.alarms
        .with(&ctx.project_id, |p| {
            p.add_action(rule, now, cfg.max_rules_per_project)
        })
        .map_err(|r| refused(ctx.op, r))?;
    Ok(StatusCode::OK.into_response())
}

pub(crate) async fn list_action_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
) -> Answer {
    fault(ctx.op, f).await?;
    let rules = app
        .alarms
        .with(&ctx.project_id, |p| p.actions(Instant::now()));
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "action_rules": rules }),
    ))
}

pub(crate) async fn show_action_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Path((_, name)): Path<(String, String)>,
) -> Answer {
    show(&app, ctx, f, &name).await
}

/// `GET …/action-rules/delete` is Show of a rule named `delete` (the path is also the
/// OTC delete's).
pub(crate) async fn show_rule_named_delete(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
) -> Answer {
    show(&app, ctx, f, "delete").await
}

async fn show(app: &App, ctx: Ctx, f: FaultPlan, name: &str) -> Answer {
    if !(1..=100).contains(&name.chars().count()) {
        return Err(AlarmError::invalid(
            ctx.op,
            "rule_name must be 1-100 characters.",
        ));
    }
    fault(ctx.op, f).await?;
    match app
        .alarms
        .with(&ctx.project_id, |p| p.show_action(name, Instant::now()))
    {
        Some(rule) => Ok(json_response(StatusCode::OK, &rule)),
        None if app.config.alarms.live_quirks => Err(AlarmError::mock(
            ctx.op,
            StatusCode::NOT_FOUND,
            "MOCK.ACTION_RULE_NOT_FOUND",
            "The action rule does not exist",
        )),
        None => Err(AlarmError::invalid(
            ctx.op,
            "The action rule does not exist.",
        )),
    }
}

pub(crate) async fn update_action_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(rule): Json<ActionRule>,
) -> Answer {
    let cfg = &app.config.alarms;
    rule.validate(cfg.live_quirks)
        .map_err(|why| AlarmError::invalid(ctx.op, why))?;
    fault(ctx.op, f).await?;
    let mut rule = rule;
    rule.project_id
        .get_or_insert_with(|| ctx.project_id.clone());
    let now = (Instant::now(), now_ms());
    app.alarms
        .with(&ctx.project_id, |p| p.update_action(rule, now))
        .map_err(|r| refused(ctx.op, r))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE with a JSON array of names (HW, SDK, Terraform), or `POST …/delete` (OTC).
/// Deletion completes after `action_rule_delete_lag`, as live (Terraform polls for it).
pub(crate) async fn delete_action_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(names): Json<Vec<String>>,
) -> Answer {
    if names.is_empty() || names.len() > 1000 {
        return Err(AlarmError::invalid(
            ctx.op,
            "The body is an array of 1-1000 rule names.",
        ));
    }
    fault(ctx.op, f).await?;
    let now = Instant::now();
    let gone_at = now + app.config.alarms.action_rule_delete_lag;
    app.alarms
        .with(&ctx.project_id, |p| p.delete_actions(&names, now, gone_at))
        .map_err(|r| refused(ctx.op, r))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn add_mute_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(rule): Json<MuteRule>,
) -> Answer {
    rule.validate()
        .map_err(|why| AlarmError::invalid(ctx.op, why))?;
    fault(ctx.op, f).await?;
    let max = app.config.alarms.max_rules_per_project;
    app.alarms
        .with(&ctx.project_id, |p| p.add_mute(rule, now_ms(), max))
        .map_err(|r| refused(ctx.op, r))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A top-level array, as documented; there is no get-by-name.
pub(crate) async fn list_mute_rule(State(app): State<Arc<App>>, ctx: Ctx, f: FaultPlan) -> Answer {
    fault(ctx.op, f).await?;
    let rules = app.alarms.with(&ctx.project_id, |p| p.mutes().to_vec());
    Ok(json_response(StatusCode::OK, &rules))
}

pub(crate) async fn update_mute_rule(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(rule): Json<MuteRule>,
) -> Answer {
    rule.validate()
        .map_err(|why| AlarmError::invalid(ctx.op, why))?;
    fault(ctx.op, f).await?;
    app.alarms
        .with(&ctx.project_id, |p| p.update_mute(rule, now_ms()))
        .map_err(|r| refused(ctx.op, r))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// DELETE with a JSON array of `{name}` objects (not plain strings as for action rules).
pub(crate) async fn delete_mute_rules(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    f: FaultPlan,
    Json(items): Json<Vec<MuteName>>,
) -> Answer {
    if items.is_empty() || items.len() > 1000 {
        return Err(AlarmError::invalid(
            ctx.op,
            "The body is an array of 1-1000 {name} objects.",
        ));
    }
    let names: Vec<String> = items.into_iter().map(|m| m.name).collect();
    fault(ctx.op, f).await?;
    app.alarms
        .with(&ctx.project_id, |p| p.delete_mutes(&names))
        .map_err(|r| refused(ctx.op, r))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
