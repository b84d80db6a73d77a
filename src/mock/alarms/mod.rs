//! The alarm-management family: action (notification) rules, mute (silence) rules,
//! events and v4 metric/event alarm rules, stateful per project. The contract is
//! `shared/reference/aom-alarm-management.md`; `docs/mock.md` lists the choices made
//! where it is silent.
//!
//! Files: `guard.rs` (per-operation credentials, Content-Type, project grant, JSON
//! bodies), `errors.rs` (the five documented error-body shapes), `model.rs` (request
//! bodies and their limits), `store.rs` (the per-project state), `query.rs` (time ranges,
//! event filters, paging, statistics), and the handlers: `rules.rs` (action and mute
//! rules), `events.rs`, `v4.rs`.
//!
//! | operation | method and path | success |
//! |---|---|---|
//! | AddActionRule | `POST /v2/{p}/alert/action-rules` | 200, no body |
//! | ListActionRule | `GET /v2/{p}/alert/action-rules` | 200 `{"action_rules":[…]}` |
//! | ShowActionRule | `GET /v2/{p}/alert/action-rules/{rule_name}` | 200 the rule |
//! | UpdateActionRule | `PUT /v2/{p}/alert/action-rules` | 204 |
//! | DeleteActionRule | `DELETE /v2/{p}/alert/action-rules` (or `POST …/delete`) | 204 |
//! | AddMuteRules | `POST /v2/{p}/alert/mute-rules` | 204 |
//! | ListMuteRule | `GET /v2/{p}/alert/mute-rules` | 200 top-level array |
//! | UpdateMuteRule | `PUT /v2/{p}/alert/mute-rules` | 204 |
//! | DeleteMuteRules | `DELETE /v2/{p}/alert/mute-rules` (or `POST …/delete`) | 204 |
//! | ListEvents | `POST /v2/{p}/events` | 200 `{"events":[…],"page_info":{…}}` |
//! | CountEvents | `POST /v2/{p}/events/statistic` | 200 `{"step","timestamps","series","summary"}` |
//! | PushEvents | `PUT /v2/{p}/push/events[?action=clear]` | 204 |
//! | AddOrUpdateMetricOrEventAlarmRule | `POST /v4/{p}/alarm-rules?action_id=…` | 200 |
//! | ListMetricOrEventAlarmRule | `GET /v4/{p}/alarm-rules` | 200 `{"alarm_rules","metadata","count"}` |
//! | DeleteMetricOrEventAlarmRule | `DELETE /v4/{p}/alarm-rules` | 200, also for missing names |

mod errors;
mod events;
mod guard;
mod model;
mod query;
mod rules;
mod store;
mod v4;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::mock::App;
use errors::Op;
use guard::route;
pub(crate) use store::Store;

/// How the alarm family behaves where the docs leave a choice.
#[derive(Debug, Clone)]
pub struct AlarmsConfig {
    /// How long a deleted action rule stays visible (Show, List, a second Delete): the
    /// live service deletes asynchronously. Zero: at once.
    pub action_rule_delete_lag: Duration,
    /// Answer as the live service is known to, where it differs from the docs: Show of
    /// a missing action rule is 404 (docs: 400), and AddActionRule/UpdateActionRule
    /// accept a rule without `project_id`, `user_name` and `push_policy` (as Terraform
    /// sends it). Off: the documented contract.
    pub live_quirks: bool,
    /// Most action rules, most mute rules and most v4 rules one project may hold (each);
    /// beyond, the appendix's HTTP 300 `AOM.08001300`. ListActionRule documents at most
    /// 1000 items.
    pub max_rules_per_project: usize,
    /// Most events one project keeps; beyond, the oldest cleared (else oldest) goes.
    pub max_events_per_project: usize,
    /// `timeout` of an event that gives none: 15 days (HW CN and the SDK; older pages
    /// say 3 or 5).
    pub default_event_timeout: Duration,
}

impl Default for AlarmsConfig {
    fn default() -> Self {
        AlarmsConfig {
            action_rule_delete_lag: Duration::from_secs(1),
            live_quirks: false,
            max_rules_per_project: 1000,
            max_events_per_project: 5000,
            default_event_timeout: Duration::from_secs(15 * 24 * 3600),
        }
    }
}

/// The family's routes, each method of each path behind its operation's guard.
pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    const ACTION: &str = "/v2/{project_id}/alert/action-rules";
    const MUTE: &str = "/v2/{project_id}/alert/mute-rules";
    let r = |op: Op, m| route(app, op, m);
    Router::new()
        .route(
            ACTION,
            r(Op::AddActionRule, post(rules::add_action_rule))
                .merge(r(Op::ListActionRule, get(rules::list_action_rule)))
                .merge(r(Op::UpdateActionRule, put(rules::update_action_rule)))
                .merge(r(Op::DeleteActionRule, delete(rules::delete_action_rule))),
        )
        .route(
            &format!("{ACTION}/delete"),
            r(Op::DeleteActionRule, post(rules::delete_action_rule))
                .merge(r(Op::ShowActionRule, get(rules::show_rule_named_delete))),
        )
        .route(
            &format!("{ACTION}/{{rule_name}}"),
            r(Op::ShowActionRule, get(rules::show_action_rule)),
        )
        .route(
            MUTE,
            r(Op::AddMuteRules, post(rules::add_mute_rule))
                .merge(r(Op::ListMuteRule, get(rules::list_mute_rule)))
                .merge(r(Op::UpdateMuteRule, put(rules::update_mute_rule)))
                .merge(r(Op::DeleteMuteRules, delete(rules::delete_mute_rules))),
        )
        .route(
            &format!("{MUTE}/delete"),
            r(Op::DeleteMuteRules, post(rules::delete_mute_rules)),
        )
        .route(
            "/v2/{project_id}/events",
            r(Op::ListEvents, post(events::list_events)),
        )
        .route(
            "/v2/{project_id}/events/statistic",
            r(Op::CountEvents, post(events::count_events)),
        )
        .route(
            "/v2/{project_id}/push/events",
            r(Op::PushEvents, put(events::push_events)),
        )
        .route(
            "/v4/{project_id}/alarm-rules",
            r(Op::AddOrUpdateAlarmRule, post(v4::add_or_update))
                .merge(r(Op::ListAlarmRules, get(v4::list)))
                .merge(r(Op::DeleteAlarmRules, delete(v4::delete))),
        )
}
