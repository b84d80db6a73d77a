#!/usr/bin/env python3
"""Opt-in sweeper: deletes alarm rules the conformance suite left behind.

Every rule the suite creates is named `aomc_<run>_<target>_<case>` and deleted when its case
ends, also on Ctrl-C; a run that was killed outright (SIGKILL, a lost machine) can leave
some. This lists the project's action rules, mute rules and v4 alarm rules with the official
Python SDK (huaweicloudsdkaom 3.1.219, AK/SK) and deletes those whose name starts with the
suite's prefix and that are older than --older-than minutes (default 60, so a run in progress
is left alone). Without --yes it only prints what it would delete. Events cannot be deleted.

    tools/sweep_alarm_leftovers.py ENDPOINT PROJECT_ID [--older-than MIN] [--yes]

AK and SK come from CLOUD_SDK_AK and CLOUD_SDK_SK, as for the suite. Exit 0 when nothing is
left (or on a dry run), 1 when a delete failed.
"""

import argparse
import os
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkaom.v2 import (
    AomClient,
    DeleteActionRuleRequest,
    DeleteAlarmRuleV4RequestBody,
    DeleteMetricOrEventAlarmRuleRequest,
    DeleteMuteRuleName,
    DeleteMuteRulesRequest,
    ListActionRuleRequest,
    ListMetricOrEventAlarmRuleRequest,
    ListMuteRuleRequest,
)

PREFIX = "aomc_"


def leftovers(client, cutoff_ms):
    """(kind, name, delete) of every rule carrying the prefix created before cutoff_ms."""
    found = []
    for r in client.list_action_rule(ListActionRuleRequest()).action_rules or []:
        if r.rule_name.startswith(PREFIX) and (r.create_time or 0) < cutoff_ms:
            found.append(("action rule", r.rule_name, lambda n=r.rule_name: client.delete_action_rule(
                DeleteActionRuleRequest(body=[n]))))
    for r in client.list_mute_rule(ListMuteRuleRequest()).body or []:
        if r.name.startswith(PREFIX) and (r.create_time or 0) < cutoff_ms:
            found.append(("mute rule", r.name, lambda n=r.name: client.delete_mute_rules(
                DeleteMuteRulesRequest(body=[DeleteMuteRuleName(name=n)]))))
    for r in client.list_metric_or_event_alarm_rule(ListMetricOrEventAlarmRuleRequest()).alarm_rules or []:
        if r.alarm_rule_name.startswith(PREFIX) and (r.alarm_create_time or 0) < cutoff_ms:
            found.append(("v4 alarm rule", r.alarm_rule_name, lambda n=r.alarm_rule_name: (
                client.delete_metric_or_event_alarm_rule(DeleteMetricOrEventAlarmRuleRequest(
                    body=DeleteAlarmRuleV4RequestBody(alarm_rules=[n]))))))
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("endpoint")
    p.add_argument("project_id")
    p.add_argument("--older-than", type=float, default=60.0, metavar="MIN")
    p.add_argument("--yes", action="store_true", help="delete (default: only list)")
    a = p.parse_args()
    ak, sk = os.environ.get("CLOUD_SDK_AK"), os.environ.get("CLOUD_SDK_SK")
    if not ak or not sk:
        print("set CLOUD_SDK_AK and CLOUD_SDK_SK", file=sys.stderr)
        return 2
    client = (AomClient.new_builder().with_credentials(BasicCredentials(ak, sk, a.project_id))
              .with_endpoint(a.endpoint).build())
    cutoff = int(time.time() * 1000 - a.older_than * 60_000)
    failed = 0
    for kind, name, delete in leftovers(client, cutoff):
        if not a.yes:
            print("would delete %s %s" % (kind, name))
            continue
        try:
            delete()
            print("deleted %s %s" % (kind, name))
        except exceptions.SdkException as e:
            failed += 1
            print("FAILED to delete %s %s: %s" % (kind, name, e), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
