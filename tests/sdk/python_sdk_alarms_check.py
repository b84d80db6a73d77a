#!/usr/bin/env python3
"""Interoperability check: the official Python SDK's alarm-management calls against the mock.

Drives every alarm operation of `huaweicloudsdkaom.v2` (tested with 3.1.219) — action rules,
mute rules, events (report, list, count, clear) and v4 alarm rules — with AK/SK signing
against `aom-conformance mock`, and checks that the SDK parses each answer: 200 without a
body and 204, the bare mute-rule array, page_info, statistic series, v4 ids beyond 2^53 (as
exact Python ints), and the documented error codes. One PASS/FAIL line per check; exits 1
on any failure, 2 on bad usage.

    aom-conformance mock --listen 127.0.0.1:0 --ak TESTAK --sk TESTSK \
        --project-id 0123456789abcdef0123456789abcdef --faults --action-rule-delete-lag-ms 200 &
    python3 tests/sdk/python_sdk_alarms_check.py http://127.0.0.1:PORT

Arguments / environment: as python_sdk_check.py (ENDPOINT, AK, SK, PROJECT_ID).
"""

import re
import sys
import time
import uuid

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkaom.v2 import (
    ActionRule,
    AddActionRuleRequest,
    AddMuteRulesRequest,
    AddOrUpdateAlarmRuleV4RequestBody,
    AddOrUpdateMetricOrEventAlarmRuleRequest,
    AlarmNotification,
    AomClient,
    CountEventsRequest,
    DeleteActionRuleRequest,
    DeleteAlarmRuleV4RequestBody,
    DeleteMetricOrEventAlarmRuleRequest,
    DeleteMuteRuleName,
    DeleteMuteRulesRequest,
    EventAlarmSpec,
    EventList,
    EventModel,
    EventQueryParam,
    EventQueryParam2,
    EventTriggerCondition,
    ListActionRuleRequest,
    ListEventsRequest,
    ListMetricOrEventAlarmRuleRequest,
    ListMuteRuleRequest,
    Match,
    MuteConfig,
    MuteRule,
    PushEventsRequest,
    RelationModel,
    ShowActionRuleRequest,
    SmnTopics,
    UpdateActionRuleRequest,
    UpdateMuteRuleRequest,
)

from python_sdk_check import Checks, arg


def client_for(endpoint, ak, sk, project_id):
    credentials = BasicCredentials(ak, sk, project_id)
    return AomClient.new_builder().with_credentials(credentials).with_endpoint(endpoint).build()


def action_rule(name, project_id, desc=""):
    topic = SmnTopics(name="sdk_topic", topic_urn="urn:smn:r:%s:sdk_topic" % project_id, push_policy=0)
    return ActionRule(rule_name=name, project_id=project_id, user_name="sdk", desc=desc, type="1",
                      notification_template="aom.built-in.template.zh", smn_topics=[topic])


def action_rules(c, client, project_id, name):
    r = c.call("AddActionRule", lambda: client.add_action_rule(AddActionRuleRequest(body=action_rule(name, project_id))))
    if r is not None:
        c.check("AddActionRule 200 without body", r.status_code == 200, "status=%s" % r.status_code)
    r = c.call("ShowActionRule", lambda: client.show_action_rule(ShowActionRuleRequest(rule_name=name)))
    if r is not None:
        c.check("ShowActionRule parsed", r.status_code == 200 and r.rule_name == name and r.create_time > 0
                and r.smn_topics[0].topic_urn.endswith("sdk_topic"), "status=%s rule=%s" % (r.status_code, r.rule_name))
    r = c.call("ListActionRule", lambda: client.list_action_rule(ListActionRuleRequest()))
    if r is not None:
        c.check("ListActionRule parsed", any(a.rule_name == name for a in r.action_rules or []))
    c.call("UpdateActionRule", lambda: client.update_action_rule(
        UpdateActionRuleRequest(body=action_rule(name, project_id, desc="updated"))), status=204)
    c.expect_error("AddActionRule again -> 400 AOM.08018012",
                   lambda: client.add_action_rule(AddActionRuleRequest(body=action_rule(name, project_id))),
                   400, "AOM.08018012")
    c.call("DeleteActionRule", lambda: client.delete_action_rule(DeleteActionRuleRequest(body=[name])), status=204)
    time.sleep(0.5)  # the mock's delete lag (started with --action-rule-delete-lag-ms 200)
    c.expect_error("ShowActionRule deleted -> 400 AOM.08001001",
                   lambda: client.show_action_rule(ShowActionRuleRequest(rule_name=name)), 400, "AOM.08001001")
    c.expect_error("DeleteActionRule again -> 400 AOM.08044006",
                   lambda: client.delete_action_rule(DeleteActionRuleRequest(body=[name])), 400, "AOM.08044006")


def mute_rule(name, desc=""):
    return MuteRule(name=name, desc=desc, timezone="Asia/Shanghai",
                    match=[[Match(key="resource_id", operate="EQUALS", value=["sdk-resource"])]],
                    mute_config=MuteConfig(type="FIXED", starts_at=4102444800000, ends_at=4102444860000))


def mute_rules(c, client, name):
    c.call("AddMuteRules", lambda: client.add_mute_rules(AddMuteRulesRequest(body=mute_rule(name))), status=204)
    r = c.call("ListMuteRule", lambda: client.list_mute_rule(ListMuteRuleRequest()))
    if r is not None:
        c.check("ListMuteRule top-level array parsed", isinstance(r.body, list) and any(m.name == name for m in r.body))
    c.call("UpdateMuteRule", lambda: client.update_mute_rule(UpdateMuteRuleRequest(body=mute_rule(name, "updated"))), status=204)
    c.expect_error("AddMuteRules again -> 400 AOM.08011001",
                   lambda: client.add_mute_rules(AddMuteRulesRequest(body=mute_rule(name))), 400, "AOM.08011001")
    delete = lambda: client.delete_mute_rules(DeleteMuteRulesRequest(body=[DeleteMuteRuleName(name=name)]))
    c.call("DeleteMuteRules", delete, status=204)
    c.expect_error("DeleteMuteRules again -> 400 AOM.08043002", delete, 400, "AOM.08043002")


def events(c, client, resource):
    now = int(time.time() * 1000)
    metadata = {"event_name": "sdk", "event_severity": "Info", "event_type": "event",
                "resource_provider": "sdk", "resource_type": "check", "resource_id": resource}
    body = EventList(events=[EventModel(starts_at=now, timeout=60000, metadata=metadata, annotations={"message": "sdk"})])
    c.call("PushEvents", lambda: client.push_events(PushEventsRequest(body=body)), status=204)
    query = EventQueryParam2(time_range="-1.-1.60",
                             metadata_relation=[RelationModel(key="resource_id", value=[resource], relation="AND")])
    r = c.call("ListEvents", lambda: client.list_events(ListEventsRequest(limit=10, marker="0", body=query)))
    event_id = None
    if r is not None and c.check("ListEvents parsed", len(r.events or []) == 1 and r.page_info.next_marker == ""
                                 and re.match(r"^\d{19}$", r.events[0].id or "") is not None,
                                 "events=%s" % (r.events,)):
        event_id = r.events[0].id
    clear = EventList(events=[EventModel(id=event_id, ends_at=now + 1, metadata=metadata)])
    c.call("PushEvents clear", lambda: client.push_events(PushEventsRequest(action="clear", body=clear)), status=204)
    r = c.call("ListEvents history", lambda: client.list_events(ListEventsRequest(type="history_alert", body=query)))
    if r is not None:
        c.check("ListEvents history_alert", len(r.events or []) == 1 and r.events[0].ends_at > 0)
    r = c.call("CountEvents", lambda: client.count_events(
        CountEventsRequest(body=EventQueryParam(time_range="-1.-1.5", step=60000))))
    if r is not None:
        c.check("CountEvents parsed", r.step == 60000 and len(r.timestamps) == 6
                and all(len(s.values) == 6 for s in r.series) and isinstance(r.summary, dict),
                "timestamps=%s" % r.timestamps)
    c.expect_error("ListEvents bad time_range -> 400 AOM.08032002",
                   lambda: client.list_events(ListEventsRequest(body=EventQueryParam2(time_range="garbage"))),
                   400, "AOM.08032002")


def v4_rule(name, description):
    trigger = EventTriggerCondition(event_name="sdk", trigger_type="immediately", thresholds={"Info": 1})
    return AddOrUpdateAlarmRuleV4RequestBody(
        alarm_rule_name=name, alarm_rule_type="event", alarm_rule_description=description, alarm_rule_enable=False,
        alarm_notifications=AlarmNotification(notification_type="direct", route_group_enable=False, route_group_rule=""),
        event_alarm_spec=EventAlarmSpec(alarm_source="customEvent", trigger_conditions=[trigger]))


def v4_rules(c, client, name):
    for action in ("add-alarm-action", "update-alarm-action"):
        r = c.call("v4 " + action, lambda: client.add_or_update_metric_or_event_alarm_rule(
            AddOrUpdateMetricOrEventAlarmRuleRequest(action_id=action, body=v4_rule(name, action))))
        if r is not None:
            c.check("v4 %s parsed" % action, r.status_code == 200 and r.error_code == "200"
                    and r.alarm_rules[0].alarm_rule_name == name, "status=%s" % r.status_code)
    r = c.call("v4 list", lambda: client.list_metric_or_event_alarm_rule(ListMetricOrEventAlarmRuleRequest(name=name)))
    if r is not None:
        rule_id = r.alarm_rules[0].alarm_rule_id if r.alarm_rules else None
        raw = (r.raw_content or b"").decode("utf-8", "replace")
        c.check("v4 list: alarm_rule_id an exact int above 2^53", r.count == 1 and isinstance(rule_id, int)
                and rule_id > 2 ** 53 and rule_id % 2 == 1 and ('"alarm_rule_id":%d' % rule_id) in raw,
                "alarm_rule_id=%r" % rule_id)
    delete = lambda: client.delete_metric_or_event_alarm_rule(
        DeleteMetricOrEventAlarmRuleRequest(body=DeleteAlarmRuleV4RequestBody(alarm_rules=[name])))
    for label in ("v4 delete", "v4 delete again (idempotent)"):
        r = c.call(label, delete)
        if r is not None:
            c.check(label + " 200", r.status_code == 200 and r.resources[0].alarm_rule_name == name)


def main():
    endpoint = arg(1, "AOM_SDK_ENDPOINT")
    if not endpoint:
        print(__doc__, file=sys.stderr)
        return 2
    ak = arg(2, "AOM_SDK_AK", "TESTAK")
    sk = arg(3, "AOM_SDK_SK", "TESTSK")
    project_id = arg(4, "AOM_SDK_PROJECT_ID", "0123456789abcdef0123456789abcdef")
    c = Checks()
    client = client_for(endpoint, ak, sk, project_id)
    suffix = uuid.uuid4().hex[:8]
    action_rules(c, client, project_id, "sdk_action_" + suffix)
    mute_rules(c, client, "sdk_mute_" + suffix)
    events(c, client, "sdk-resource-" + suffix)
    v4_rules(c, client, "sdk_v4_" + suffix)
    bad = client_for(endpoint, ak, sk + "-wrong", project_id)
    c.expect_error("ListActionRule wrong SK -> 401 SVCSTG.AMS.2000051",
                   lambda: bad.list_action_rule(ListActionRuleRequest()), 401, "SVCSTG.AMS.2000051")
    print("%d/%d checks passed" % (c.total - c.failed, c.total))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
