//! The mock's alarm-management family over real loopback HTTP: documented statuses and
//! error shapes per operation, 200-without-body vs 204, the asynchronous action-rule
//! delete, live quirks, events (report, clear, timeout, filters, paging, statistics),
//! v4 rules with exact int64 ids, auth, grants, faults, caps and reset.

mod common;

use std::time::Duration;

use aom_conformance::auth::Secret;
use aom_conformance::mock::{AlarmsConfig, MockConfig, TokenGrant};
use common::{Mock, PROJECT};
use serde_json::{Value, json};

const TOKEN: &str = "alarms-token-0123456789";
const OTHER: &str = "ffffffffffffffffffffffffffffffff";

fn mock_with(alarms: AlarmsConfig) -> Mock {
    Mock::start(MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        allow_reset: true,
        alarms,
        ..Default::default()
    })
}

fn mock() -> Mock {
    mock_with(AlarmsConfig {
        action_rule_delete_lag: Duration::from_millis(300),
        ..AlarmsConfig::default()
    })
}

/// One answer: status, headers, body text.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

/// `method path` with `headers` (the token and JSON Content-Type unless overridden) and
/// `body` (sent as is when not empty).
fn send(m: &Mock, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let url = format!("{}{path}", m.url);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut hs: Vec<(String, String)> = vec![
        ("X-Auth-Token".into(), TOKEN.into()),
        ("Content-Type".into(), "application/json".into()),
    ];
    for (k, v) in headers {
        hs.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
        if !v.is_empty() {
            hs.push(((*k).into(), (*v).into()));
        }
    }
    let body = body.to_owned();
    m.rt.block_on(async move {
        let mut req = reqwest::Client::new().request(method, url);
        for (k, v) in hs {
            req = req.header(k, v);
        }
        let r = req.body(body).send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Answer {
            status,
            headers,
            text,
        }
    })
}

fn call(m: &Mock, method: &str, path: &str, body: Value) -> Answer {
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    send(m, method, path, &[], &text)
}

fn action_rule(name: &str) -> Value {
    json!({
        "rule_name": name, "project_id": PROJECT, "user_name": "u", "type": "1",
        "notification_template": "aom.built-in.template.zh",
        "smn_topics": [{"topic_urn": "urn:smn:r:p:topic_a", "push_policy": 0}]
    })
}

fn mute_rule(name: &str) -> Value {
    json!({
        "name": name,
        "match": [[{"key": "resource_id", "operate": "EQUALS", "value": ["r1"]}]],
        "mute_config": {"type": "FIXED", "starts_at": 4102444800000_i64, "ends_at": 4102444860000_i64},
        "timezone": "Asia/Shanghai"
    })
}

fn event(resource: &str, severity: &str, starts_at: i64) -> Value {
    json!({
        "starts_at": starts_at, "timeout": 60000,
        "metadata": {"event_name": "e", "event_severity": severity, "event_type": "event",
                     "resource_provider": "p", "resource_type": "t", "resource_id": resource}
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

const ACTION: &str = "/v2/0123456789abcdef0123456789abcdef/alert/action-rules";
const MUTE: &str = "/v2/0123456789abcdef0123456789abcdef/alert/mute-rules";
const EVENTS: &str = "/v2/0123456789abcdef0123456789abcdef/events";
const PUSH: &str = "/v2/0123456789abcdef0123456789abcdef/push/events";
const V4: &str = "/v4/0123456789abcdef0123456789abcdef/alarm-rules";

#[test]
fn action_rules_answer_200_without_body_then_204_and_delete_asynchronously() {
    let m = mock();
    let added = call(&m, "POST", ACTION, action_rule("r_1"));
    assert_eq!((added.status, added.text.as_str()), (200, ""));
    let shown = call(&m, "GET", &format!("{ACTION}/r_1"), Value::Null);
    assert_eq!(shown.status, 200, "{}", shown.text);
    let rule = shown.json();
    assert_eq!(rule["rule_name"], "r_1");
    assert!(rule["create_time"].as_i64().unwrap() > 0);
    // The topic's name comes from the URN's tail, as Terraform derives it.
    assert_eq!(rule["smn_topics"][0]["name"], "topic_a");

    let dup = call(&m, "POST", ACTION, action_rule("r_1"));
    assert_eq!(dup.status, 400);
    assert_eq!(
        dup.json(),
        json!({"error_code":"AOM.08018012","error_msg":"actionRule already exists","trace_id":""})
    );
    let mut updated = action_rule("r_1");
    updated["desc"] = json!("new");
    let up = call(&m, "PUT", ACTION, updated);
    assert_eq!((up.status, up.text.as_str()), (204, ""));
    let up_missing = call(&m, "PUT", ACTION, action_rule("r_2"));
    assert_eq!(up_missing.json()["error_code"], "AOM.08019006");

    let del = call(&m, "DELETE", ACTION, json!(["r_1"]));
    assert_eq!(del.status, 204);
    // Still there while its deletion completes, then gone (the documented 400).
    assert_eq!(
        call(&m, "GET", &format!("{ACTION}/r_1"), Value::Null).status,
        200
    );
    std::thread::sleep(Duration::from_millis(400));
    let gone = call(&m, "GET", &format!("{ACTION}/r_1"), Value::Null);
    assert_eq!(gone.status, 400);
    assert_eq!(gone.json()["error_code"], "AOM.08001001");
    assert!(gone.headers.contains_key("x-aom-mock-detail"));
    let again = call(&m, "DELETE", ACTION, json!(["r_1"]));
    assert_eq!(
        (again.status, again.json()["error_code"].clone()),
        (400, json!("AOM.08044006"))
    );
    let list = call(&m, "GET", ACTION, Value::Null).json();
    assert_eq!(list, json!({"action_rules": []}));
}

#[test]
fn live_quirks_answer_404_for_a_missing_action_rule_and_accept_terraform_bodies() {
    let m = mock_with(AlarmsConfig {
        live_quirks: true,
        action_rule_delete_lag: Duration::ZERO,
        ..AlarmsConfig::default()
    });
    let missing = call(&m, "GET", &format!("{ACTION}/nope"), Value::Null);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error_code"], "MOCK.ACTION_RULE_NOT_FOUND");
    let tf = json!({"rule_name": "tf_rule", "type": "1", "notification_template": "t",
                    "smn_topics": [{"topic_urn": "urn:smn:r:p:t"}]});
    assert_eq!(call(&m, "POST", ACTION, tf.clone()).status, 200);
    // project_id comes from the path.
    let shown = call(&m, "GET", &format!("{ACTION}/tf_rule"), Value::Null).json();
    assert_eq!(shown["project_id"], PROJECT);

    let strict = mock();
    assert_eq!(call(&strict, "POST", ACTION, tf).status, 400);
}

#[test]
fn the_otc_post_delete_paths_work_and_a_rule_named_delete_can_be_shown() {
    let m = mock_with(AlarmsConfig {
        action_rule_delete_lag: Duration::ZERO,
        ..AlarmsConfig::default()
    });
    assert_eq!(call(&m, "POST", ACTION, action_rule("delete")).status, 200);
    assert_eq!(
        call(&m, "GET", &format!("{ACTION}/delete"), Value::Null).status,
        200
    );
    let del = call(&m, "POST", &format!("{ACTION}/delete"), json!(["delete"]));
    assert_eq!(del.status, 204);
    assert_eq!(call(&m, "POST", MUTE, mute_rule("m_1")).status, 204);
    let del = call(
        &m,
        "POST",
        &format!("{MUTE}/delete"),
        json!([{"name": "m_1"}]),
    );
    assert_eq!(del.status, 204);
}

#[test]
fn mute_rules_are_a_bare_array_and_answer_in_their_shape() {
    let m = mock();
    let added = call(&m, "POST", MUTE, mute_rule("m_1"));
    assert_eq!((added.status, added.text.as_str()), (204, ""));
    let list = call(&m, "GET", MUTE, Value::Null).json();
    assert!(list.is_array(), "{list}");
    assert_eq!(list[0]["name"], "m_1");
    assert!(list[0]["create_time"].as_i64().unwrap() > 0);
    let dup = call(&m, "POST", MUTE, mute_rule("m_1")).json();
    assert_eq!(
        dup,
        json!({"error_code":"AOM.08011001","error_msg":"the muteName is exist","error_type":"PARAM_INVALID","trace_id":""})
    );
    let mut bad = mute_rule("m_1");
    bad["mute_config"]["type"] = json!("YEARLY");
    let invalid = call(&m, "PUT", MUTE, bad).json();
    assert_eq!(invalid["error_code"], "AOM.08012003");
    let missing = call(&m, "PUT", MUTE, mute_rule("m_2")).json();
    assert_eq!(missing["error_code"], "AOM.08015002");
    let mut weekly = mute_rule("m_3");
    weekly["mute_config"] = json!({"type": "WEEKLY", "starts_at": 0, "ends_at": 86399});
    assert_eq!(
        call(&m, "POST", MUTE, weekly).status,
        400,
        "WEEKLY needs a scope"
    );
    assert_eq!(
        call(&m, "DELETE", MUTE, json!([{"name": "m_1"}])).status,
        204
    );
    let again = call(&m, "DELETE", MUTE, json!([{"name": "m_1"}])).json();
    assert_eq!(again["error_code"], "AOM.08043002");
    let boom = send(
        &m,
        "DELETE",
        MUTE,
        &[("X-Aom-Mock-Fault", "internal-error")],
        r#"[{"name":"x"}]"#,
    );
    assert_eq!(boom.status, 500);
    assert_eq!(
        boom.json(),
        json!({"error_code":"AOM.08001500","error_msg":"internal server error","error_type":"INTERNAL_SERVER_ERROR","trace_id":""})
    );
}

#[test]
fn every_operation_answers_bad_credentials_and_foreign_projects_in_its_shape() {
    let m = mock();
    let cases: [(&str, &str, &str, &str); 6] = [
        ("POST", ACTION, "AOM.0403", "error_msg"),
        ("GET", ACTION, "SVCSTG.AMS.2000051", "error_msg"),
        ("PUT", MUTE, "SVCSTG.AMS.2000051", "error_msg"),
        ("POST", EVENTS, "AOM.0401", "error_msg"),
        ("PUT", PUSH, "MOCK.UNAUTHORIZED", "error_msg"),
        ("GET", V4, "MOCK.UNAUTHORIZED", "error_msg"),
    ];
    for (method, path, code, key) in cases {
        let a = send(&m, method, path, &[("X-Auth-Token", "wrong")], "{}");
        assert_eq!(a.status, 401, "{method} {path}");
        let b = a.json();
        assert_eq!(b["error_code"], code, "{method} {path}: {b}");
        assert!(b.get(key).is_some() && b.get("http_code").is_none(), "{b}");
    }
    let foreign = ACTION.replace(PROJECT, OTHER);
    let a = call(&m, "GET", &foreign, Value::Null);
    assert_eq!(a.status, 403);
    assert_eq!(
        a.json(),
        json!({"error_code":"AOM.0403","error_msg":"Forbidden.","error_type":"SC_FORBIDDEN","trace_id":null})
    );
    // GET may leave Content-Type out; a write may not.
    assert_eq!(
        send(&m, "GET", ACTION, &[("Content-Type", "")], "").status,
        200
    );
    let a = send(
        &m,
        "POST",
        MUTE,
        &[("Content-Type", "")],
        &mute_rule("x").to_string(),
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error_code"], "MOCK.MISSING_CONTENT_TYPE");
}

#[test]
fn the_gateway_answers_bad_credentials_when_asked_to() {
    let m = Mock::start(MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        gateway_auth_errors: true,
        ..Default::default()
    });
    let a = send(&m, "GET", ACTION, &[("X-Auth-Token", "wrong")], "");
    assert_eq!(
        (a.status, a.json()["error_code"].clone()),
        (401, json!("APIGW.0301"))
    );
}

#[test]
fn events_are_reported_cleared_filtered_paged_and_time_out() {
    let m = mock();
    let now = now_ms();
    let pushed = call(
        &m,
        "PUT",
        PUSH,
        json!({"events": [event("r1", "Info", now), event("r1", "Major", now - 1000), event("r2", "Minor", now)]}),
    );
    assert_eq!((pushed.status, pushed.text.as_str()), (204, ""));
    let filter = json!({"time_range": "-1.-1.60", "metadata_relation": [{"key": "resource_id", "relation": "AND", "value": ["r1"]}]});
    let page1 = call(
        &m,
        "POST",
        &format!("{EVENTS}?limit=1&marker=0"),
        filter.clone(),
    )
    .json();
    assert_eq!(page1["events"].as_array().unwrap().len(), 1);
    // Newest first by default.
    assert_eq!(page1["events"][0]["metadata"]["event_severity"], "Info");
    assert_eq!(page1["events"][0]["id"].as_str().unwrap().len(), 19);
    let next = page1["page_info"]["next_marker"]
        .as_str()
        .unwrap()
        .to_owned();
    let page2 = call(
        &m,
        "POST",
        &format!("{EVENTS}?limit=1&marker={next}"),
        filter.clone(),
    )
    .json();
    assert_eq!(page2["page_info"]["next_marker"], "");
    assert_eq!(page2["events"][0]["metadata"]["event_severity"], "Major");
    let not = json!({"time_range": "-1.-1.60", "metadata_relation": [{"key": "resource_id", "relation": "NOT", "value": ["r1"]}]});
    assert_eq!(
        call(&m, "POST", EVENTS, not).json()["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Clear by metadata (as Terraform does): both r1 events share it except severity,
    // so only the Info one matches.
    let clear =
        json!({"events": [{"ends_at": now + 5, "metadata": event("r1", "Info", 0)["metadata"]}]});
    assert_eq!(
        call(&m, "PUT", &format!("{PUSH}?action=clear"), clear).status,
        204
    );
    let history = call(
        &m,
        "POST",
        &format!("{EVENTS}?type=history_alert"),
        filter.clone(),
    )
    .json();
    assert_eq!(history["events"].as_array().unwrap().len(), 1);
    assert_eq!(history["events"][0]["ends_at"], now + 5);
    // Clear by id.
    let active = call(
        &m,
        "POST",
        &format!("{EVENTS}?type=active_alert"),
        filter.clone(),
    )
    .json();
    let id = active["events"][0]["id"].as_str().unwrap().to_owned();
    let clear = json!({"events": [{"id": id, "ends_at": now + 6}]});
    assert_eq!(
        call(&m, "PUT", &format!("{PUSH}?action=clear"), clear).status,
        204
    );
    let active = call(&m, "POST", &format!("{EVENTS}?type=active_alert"), filter).json();
    assert_eq!(active["events"], json!([]));

    // An alarm whose timeout passed is history, ended at starts_at + timeout.
    let old = now - 3_600_000 + 60_000;
    let mut e = event("r3", "Info", old);
    e["timeout"] = json!(1000);
    call(&m, "PUT", PUSH, json!({"events": [e]}));
    let r3 = json!({"time_range": "-1.-1.60", "search": "R3"});
    let got = call(&m, "POST", EVENTS, r3).json();
    assert_eq!(got["events"][0]["ends_at"], old + 1000);

    let bad = call(&m, "POST", EVENTS, json!({"time_range": "garbage"}));
    assert_eq!(
        (bad.status, bad.json()),
        (
            400,
            json!({"error_code":"AOM.08032002","error_msg":"The request body is illegal","error_type":"SC_BAD_REQUEST"})
        )
    );
    let bad = call(
        &m,
        "PUT",
        PUSH,
        json!({"events": [event("r", "Fatal", now)]}),
    );
    assert_eq!(
        bad.json(),
        json!({"error_code":"AOM.0400","error_msg":"parse eventParam failed","error_type":"SC_BAD_REQUEST"})
    );
}

#[test]
fn statistics_are_aligned_to_step_per_severity() {
    let m = mock();
    let t0 = 1_642_820_700_000_i64;
    // A fixed range in the past: the events start inside it.
    let events = json!({"events": [event("s", "Info", t0 + 1000), event("s", "Info", t0 + 61_000), event("s", "Critical", t0 + 299_000)]});
    assert_eq!(call(&m, "PUT", PUSH, events).status, 204);
    let q = json!({"time_range": format!("{t0}.{}.5", t0 + 300_000), "step": 60000});
    let s = call(&m, "POST", &format!("{EVENTS}/statistic"), q).json();
    let ts: Vec<i64> = (0..6).map(|i| t0 + i * 60_000).collect();
    assert_eq!(s["timestamps"], json!(ts));
    assert_eq!(
        s["series"][0],
        json!({"event_severity": "Critical", "values": [0, 0, 0, 0, 1, 0]})
    );
    assert_eq!(
        s["series"][3],
        json!({"event_severity": "Info", "values": [1, 1, 0, 0, 0, 0]})
    );
    assert_eq!(
        s["summary"],
        json!({"Critical": 1, "Major": 0, "Minor": 0, "Info": 2})
    );
    let bad = call(
        &m,
        "POST",
        &format!("{EVENTS}/statistic"),
        json!({"time_range": "-1.-1.5", "step": 1000}),
    );
    assert_eq!(
        (bad.status, bad.json()["error_code"].clone()),
        (400, json!("AOM.0400"))
    );
    let down = send(
        &m,
        "POST",
        &format!("{EVENTS}/statistic"),
        &[("X-Aom-Mock-Fault", "unavailable")],
        r#"{"time_range":"-1.-1.5"}"#,
    );
    assert_eq!(
        (down.status, down.json()),
        (
            503,
            json!({"error_code":"AOM.0503","error_msg":"Server unavailable","error_type":"SC_NOT_IMPLEMENTED"})
        )
    );
}

fn v4_rule(name: &str) -> Value {
    json!({
        "alarm_rule_name": name, "alarm_rule_type": "event",
        "alarm_notifications": {"notification_type": "direct", "route_group_enable": false, "route_group_rule": ""},
        "event_alarm_spec": {"trigger_conditions": [{"event_name": "e", "trigger_type": "immediately", "thresholds": {"Info": 1}}]}
    })
}

#[test]
fn v4_rule_ids_are_exact_integers_beyond_2_pow_53_and_delete_is_idempotent() {
    let m = mock();
    let added = call(
        &m,
        "POST",
        &format!("{V4}?action_id=add-alarm-action"),
        v4_rule("v_1"),
    );
    assert_eq!(added.status, 200);
    assert_eq!(
        added.json(),
        json!({"error_code":"200","error_message":"success","alarm_rules":[{"alarm_rule_name":"v_1","result":"success"}]})
    );
    let list = call(&m, "GET", &format!("{V4}?name=v_1"), Value::Null);
    let id = list.json()["alarm_rules"][0]["alarm_rule_id"]
        .as_u64()
        .unwrap();
    assert!(id > 1 << 53 && id % 2 == 1, "{id}");
    // Written as the exact integer, which a double cannot hold.
    assert!(
        list.text.contains(&format!("\"alarm_rule_id\":{id}")),
        "{}",
        list.text
    );
    assert_ne!(id as f64 as u64, id);
    assert_eq!(list.json()["count"], 1);

    let dup = call(
        &m,
        "POST",
        &format!("{V4}?action_id=add-alarm-action"),
        v4_rule("v_1"),
    );
    assert_eq!(
        (dup.status, dup.json()["error_code"].clone()),
        (400, json!("MOCK.ALARM_RULE_EXISTS"))
    );
    assert!(dup.json()["error_type"].is_string() && dup.json()["trace_id"] == "");
    let upd = call(
        &m,
        "POST",
        &format!("{V4}?action_id=update-alarm-action"),
        v4_rule("v_2"),
    );
    assert_eq!(upd.json()["error_code"], "MOCK.ALARM_RULE_NOT_FOUND");
    let bad = call(&m, "POST", V4, v4_rule("v_3"));
    assert_eq!(bad.json()["error_code"], "MOCK.INVALID_ACTION_ID");
    let mut metric = v4_rule("v_4");
    metric["alarm_rule_type"] = json!("metric");
    let bad = call(
        &m,
        "POST",
        &format!("{V4}?action_id=add-alarm-action"),
        metric,
    );
    assert_eq!(bad.status, 400, "a metric rule needs metric_alarm_spec");

    for _ in 0..2 {
        let del = call(&m, "DELETE", V4, json!({"alarm_rules": ["v_1"]}));
        assert_eq!(
            (del.status, del.json()),
            (
                200,
                json!({"error_code":"200","error_message":"success","resources":[{"alarm_rule_name":"v_1"}]})
            )
        );
    }
    let empty = call(&m, "GET", &format!("{V4}?name=v_1"), Value::Null).json();
    assert_eq!(
        empty,
        json!({"alarm_rules": [], "metadata": {}, "count": 0})
    );
    assert_eq!(
        call(&m, "GET", &format!("{V4}?offset=-1"), Value::Null).status,
        400
    );
}

#[test]
fn caps_bound_each_project_and_reset_forgets_everything() {
    let m = mock_with(AlarmsConfig {
        max_rules_per_project: 1,
        max_events_per_project: 2,
        ..AlarmsConfig::default()
    });
    assert_eq!(call(&m, "POST", MUTE, mute_rule("a_1")).status, 204);
    let full = call(&m, "POST", MUTE, mute_rule("a_2"));
    assert_eq!(
        (full.status, full.json()["error_code"].clone()),
        (300, json!("AOM.08001300"))
    );
    let now = now_ms();
    for r in ["e1", "e2", "e3"] {
        assert_eq!(
            call(&m, "PUT", PUSH, json!({"events": [event(r, "Info", now)]})).status,
            204
        );
    }
    let all = call(&m, "POST", EVENTS, json!({"time_range": "-1.-1.60"})).json();
    let kept: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["metadata"]["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["e3", "e2"], "the oldest went");
    let reset = call(&m, "POST", "/_mock/reset", Value::Null);
    assert_eq!(reset.status, 200);
    assert_eq!(call(&m, "GET", MUTE, Value::Null).json(), json!([]));
}
