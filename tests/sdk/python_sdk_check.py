#!/usr/bin/env python3
"""Interoperability check: the official Huawei Cloud Python SDK against the reference mock
(the CMS-workflow operations, SDK v1, and the 8 project-level Prometheus query operations,
SDK v2).

Drives `huaweicloudsdkaom` (tested with huaweicloudsdkcore/huaweicloudsdkaom 3.1.219) through
AK/SK-signed calls against `aom-conformance mock` and prints one PASS/FAIL line per check.
Exits 1 if any check fails, 2 on bad usage.

    aom-conformance mock --listen 127.0.0.1:0 --ak TESTAK --sk TESTSK \
        --project-id 0123456789abcdef0123456789abcdef --faults &
    python3 tests/sdk/python_sdk_check.py http://127.0.0.1:PORT

Arguments / environment (an argument wins over the environment):

    ENDPOINT   argv[1] or AOM_SDK_ENDPOINT   (required, e.g. http://127.0.0.1:8080)
    AK         argv[2] or AOM_SDK_AK         (default TESTAK)
    SK         argv[3] or AOM_SDK_SK         (default TESTSK)
    PROJECT_ID argv[4] or AOM_SDK_PROJECT_ID (default 0123456789abcdef0123456789abcdef)

AOM_SDK_DEBUG=1 prints every canonical request and string to sign the SDK signer builds
(to compare with the mock's `src/auth/signer.rs` when a signature is rejected).

V11-HMAC-SHA256: the SDK signs the derived form when `credentials.with_derived_predicate(...)`
returns true, but it also needs a region id and a "derived auth service name". AomClient
does not declare a service name and a custom endpoint gives no region, so neither public
builder call supplies them; this script sets them with the SDK's own (underscore-prefixed)
`Credentials._process_derived_auth_params(service, region)`, which is what `ClientBuilder.build()`
calls for clients that do declare one.
"""

import os
import re
import sys
import uuid

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.signer import signer as sdk_signer
from huaweicloudsdkaom.v1 import (
    AomClient,
    CreateWorkflowRequest,
    ExecuteWorkflowRequest,
    ListWorkflowExecutionsRequest,
    SearchWorkflowExecutionDetailRequest,
    StopExecutionRequest,
    UpdateWorkflowTriggerStatusRequest,
    WorkflowRequestBody,
)

from huaweicloudsdkaom.v2 import AomClient as AomClientV2
from huaweicloudsdkaom.v2 import (
    ListInstantQueryAomPromGetRequest,
    ListInstantQueryAomPromPostRequest,
    ListLabelsAomPromGetRequest,
    ListLabelsAomPromPostRequest,
    ListLabelValuesAomPromGetRequest,
    ListMetadataAomPromGetRequest,
    ListRangeQueryAomPromGetRequest,
    ListRangeQueryAomPromPostRequest,
)

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
# 2021-08-28T04:13:30Z: a multiple of the mock's 15 s scrape interval.
PROM_TIME = 1630124010
V11_REGION = "cn-north-4"
V11_SERVICE = "aom"


def arg(i, env, default=None):
    if len(sys.argv) > i and sys.argv[i]:
        return sys.argv[i]
    return os.environ.get(env, default)


def install_debug_hooks():
    """Print the canonical request and string to sign of every SDK signature."""
    orig_canonical = sdk_signer.Signer._process_canonical_request

    def canonical(self, request, signed_headers):
        text = orig_canonical(self, request, signed_headers)
        print("--- SDK canonical request (%s) ---\n%s\n---" % (type(self).__name__, text))
        return text

    sdk_signer.Signer._process_canonical_request = canonical

    for cls in (sdk_signer.Signer, sdk_signer.DerivationAKSKSigner):
        orig = cls.__dict__["_process_string_to_sign"]

        def sts(self, *a, __orig=orig, **kw):
            text = __orig(self, *a, **kw)
            print("--- SDK string to sign ---\n%s\n---" % text)
            return text

        cls._process_string_to_sign = sts


class Checks:
    def __init__(self):
        self.failed = 0
        self.total = 0

    def check(self, name, ok, detail=""):
        self.total += 1
        if not ok:
            self.failed += 1
        print("%s %s%s" % ("PASS" if ok else "FAIL", name, (": " + detail) if detail else ""))
        sys.stdout.flush()
        return ok

    def call(self, name, fn):
        """Run fn; on an unexpected exception record FAIL and return None."""
        try:
            return fn()
        except exceptions.SdkException as e:  # ClientRequestException, ConnectionException, ...
            self.check(name, False, "unexpected %s" % e)
        except Exception as e:  # noqa: BLE001 - report anything the SDK raises
            self.check(name, False, "unexpected %s: %s" % (type(e).__name__, e))
        return None

    def expect_error(self, name, fn, status, code):
        try:
            resp = fn()
        except exceptions.ClientRequestException as e:
            ok = (
                e.status_code == status
                and e.error_code == code
                and bool(e.request_id)
                and REQUEST_ID.match(e.request_id or "") is not None
            )
            return self.check(
                name,
                ok,
                "status=%s error_code=%s request_id=%s error_msg=%r"
                % (e.status_code, e.error_code, e.request_id, e.error_msg),
            )
        except Exception as e:  # noqa: BLE001
            return self.check(name, False, "expected ClientRequestException, got %s: %s" % (type(e).__name__, e))
        return self.check(name, False, "expected %s %s, got success: %s" % (status, code, resp))


def build_client(endpoint, ak, sk, project_id, v11=False):
    credentials = BasicCredentials(ak, sk, project_id)
    if v11:
        credentials.with_derived_predicate(lambda request: True)
        credentials._process_derived_auth_params(V11_SERVICE, V11_REGION)
    return AomClient.new_builder().with_credentials(credentials).with_endpoint(endpoint).build()


def lifecycle(c, client, label):
    """CreateWorkflow -> ExecuteWorkflow -> SearchWorkflowExecutionDetail -> StopExecution x2."""
    name = "sdk-check-" + uuid.uuid4().hex[:8]
    wf = c.call(
        label + "CreateWorkflow",
        lambda: client.create_workflow(
            CreateWorkflowRequest(body=WorkflowRequestBody(name=name, type="manual"))
        ),
    )
    if wf is None:
        return None
    if not c.check(
        label + "CreateWorkflow",
        wf.status_code == 200 and bool(wf.id) and wf.name == name and wf.type == "manual",
        "status=%s id=%s name=%s type=%s" % (wf.status_code, wf.id, wf.name, wf.type),
    ):
        return None

    ex = c.call(label + "ExecuteWorkflow", lambda: client.execute_workflow(ExecuteWorkflowRequest(workflow_id=wf.id)))
    if ex is None:
        return None
    if not c.check(
        label + "ExecuteWorkflow",
        ex.status_code == 200 and bool(ex.execution_id),
        "status=%s execution_id=%s" % (ex.status_code, ex.execution_id),
    ):
        return None

    detail = c.call(
        label + "SearchWorkflowExecutionDetail",
        lambda: client.search_workflow_execution_detail(
            SearchWorkflowExecutionDetailRequest(workflow_id=wf.id, execution_id=ex.execution_id)
        ),
    )
    if detail is not None:
        c.check(
            label + "SearchWorkflowExecutionDetail",
            detail.status_code == 200 and detail.execution_id == ex.execution_id and detail.status == "executing",
            "status=%s execution_id=%s exec_status=%s" % (detail.status_code, detail.execution_id, detail.status),
        )

    stop = c.call(
        label + "StopExecution",
        lambda: client.stop_execution(StopExecutionRequest(workflow_id=wf.id, execution_id=ex.execution_id)),
    )
    if stop is not None:
        raw = (stop.raw_content or b"").decode("utf-8", "replace")
        c.check(
            label + "StopExecution",
            stop.status_code == 200 and '"result":"success"' in raw.replace(" ", ""),
            "status=%s raw=%s body=%r" % (stop.status_code, raw, stop.body),
        )

    c.expect_error(
        label + "StopExecution again -> 400 AOM.31001418",
        lambda: client.stop_execution(StopExecutionRequest(workflow_id=wf.id, execution_id=ex.execution_id)),
        400,
        "AOM.31001418",
    )
    return wf.id


def prometheus(c, endpoint, ak, sk, project_id):
    """The 8 project-level Prometheus query operations (SDK v2), answers parsed by the SDK,
    values compared with docs/mock.md's synthetic series."""
    credentials = BasicCredentials(ak, sk, project_id)
    client = AomClientV2.new_builder().with_credentials(credentials).with_endpoint(endpoint).build()
    t = str(PROM_TIME)

    def vector(name, call, expected):
        r = c.call(name, call)
        if r is not None:
            data = r.data or {}
            result = data.get("result") or [{}]
            c.check(name, r.status == "success" and data.get("resultType") == "vector"
                    and result[0].get("value") == [PROM_TIME, expected], "status=%s data=%s" % (r.status, data))

    vector("ListInstantQueryAomPromGet vector(1)",
           lambda: client.list_instant_query_aom_prom_get(ListInstantQueryAomPromGetRequest(query="vector(1)", time=t)),
           "1")
    vector("ListInstantQueryAomPromPost sum(up) = 2",
           lambda: client.list_instant_query_aom_prom_post(ListInstantQueryAomPromPostRequest(query="sum(up)", time=t)),
           "2")
    for name, call in [
        ("ListRangeQueryAomPromGet", lambda: client.list_range_query_aom_prom_get(ListRangeQueryAomPromGetRequest(
            query="sum(aom_node_cpu_usage)", start=t, end=str(PROM_TIME + 60), step="30s"))),
        ("ListRangeQueryAomPromPost", lambda: client.list_range_query_aom_prom_post(ListRangeQueryAomPromPostRequest(
            query="sum(aom_node_cpu_usage)", start=t, end=str(PROM_TIME + 60), step="30"))),
    ]:
        r = c.call(name, call)
        if r is not None:
            values = ((r.data or {}).get("result") or [{}])[0].get("values")
            expected = [[PROM_TIME + 30 * i, "100"] for i in range(3)]
            c.check(name + " sum(aom_node_cpu_usage) = 100 at 3 steps", values == expected, "values=%s" % values)
    for name, call in [
        ("ListLabelsAomPromGet", lambda: client.list_labels_aom_prom_get(ListLabelsAomPromGetRequest())),
        ("ListLabelsAomPromPost", lambda: client.list_labels_aom_prom_post(ListLabelsAomPromPostRequest())),
    ]:
        r = c.call(name, call)
        if r is not None:
            c.check(name + " has __name__", r.status == "success" and "__name__" in (r.data or []), "data=%s" % r.data)
    r = c.call("ListLabelValuesAomPromGet job",
               lambda: client.list_label_values_aom_prom_get(ListLabelValuesAomPromGetRequest(label_name="job")))
    if r is not None:
        c.check("ListLabelValuesAomPromGet job", r.data == ["node", "prometheus"], "data=%s" % r.data)
    r = c.call("ListMetadataAomPromGet", lambda: client.list_metadata_aom_prom_get(ListMetadataAomPromGetRequest()))
    if r is not None:
        up = (r.data or {}).get("up") or [{}]
        c.check("ListMetadataAomPromGet up is a gauge", up[0].get("type") == "gauge", "data=%s" % r.data)
    try:
        client.list_instant_query_aom_prom_get(ListInstantQueryAomPromGetRequest(
            query='label_replace(vector(1), "d", "$1", "s", "(")', time=t))
        c.check("ListInstantQueryAomPromGet unexecutable -> 422", False, "got success")
    except exceptions.ClientRequestException as e:
        c.check("ListInstantQueryAomPromGet unexecutable -> 422", e.status_code == 422
                and REQUEST_ID.match(e.request_id or "") is not None, "status=%s request_id=%s" % (e.status_code, e.request_id))


def main():
    endpoint = arg(1, "AOM_SDK_ENDPOINT")
    if not endpoint:
        print(__doc__, file=sys.stderr)
        return 2
    ak = arg(2, "AOM_SDK_AK", "TESTAK")
    sk = arg(3, "AOM_SDK_SK", "TESTSK")
    project_id = arg(4, "AOM_SDK_PROJECT_ID", "0123456789abcdef0123456789abcdef")
    if os.environ.get("AOM_SDK_DEBUG"):
        install_debug_hooks()

    c = Checks()
    client = build_client(endpoint, ak, sk, project_id)
    wf_id = lifecycle(c, client, "SDK-HMAC-SHA256 ")

    c.expect_error(
        "SDK-HMAC-SHA256 StopExecution unknown execution -> 404 AOM.31001306",
        lambda: client.stop_execution(
            StopExecutionRequest(workflow_id=wf_id or uuid.uuid4().hex, execution_id=uuid.uuid4().hex)
        ),
        404,
        "AOM.31001306",
    )

    # Extra coverage of the canonical form: a signed query string and a GET with a header param.
    if wf_id:
        r = c.call(
            "SDK-HMAC-SHA256 UpdateWorkflowTriggerStatus (signed query)",
            lambda: client.update_workflow_trigger_status(
                UpdateWorkflowTriggerStatusRequest(workflow_id=wf_id, action="disable")
            ),
        )
        if r is not None:
            c.check("SDK-HMAC-SHA256 UpdateWorkflowTriggerStatus (signed query)", r.status_code == 200,
                    "status=%s raw=%s" % (r.status_code, (r.raw_content or b"").decode("utf-8", "replace")))
        r = c.call(
            "SDK-HMAC-SHA256 ListWorkflowExecutions (GET, X-Enterprise-Project-Id)",
            lambda: client.list_workflow_executions(
                ListWorkflowExecutionsRequest(workflow_id=wf_id, x_enterprise_project_id="0")
            ),
        )
        if r is not None:
            c.check("SDK-HMAC-SHA256 ListWorkflowExecutions (GET, X-Enterprise-Project-Id)",
                    r.status_code == 200 and isinstance(r.body, list) and len(r.body) == 1,
                    "status=%s executions=%s" % (r.status_code, len(r.body or [])))

    bad = build_client(endpoint, ak, sk + "-wrong", project_id)
    c.expect_error(
        "SDK-HMAC-SHA256 wrong SK -> 401 AOM.31009004",
        lambda: bad.stop_execution(StopExecutionRequest(workflow_id="wf", execution_id="ex")),
        401,
        "AOM.31009004",
    )

    v11 = build_client(endpoint, ak, sk, project_id, v11=True)
    lifecycle(c, v11, "V11-HMAC-SHA256 ")
    bad_v11 = build_client(endpoint, ak, sk + "-wrong", project_id, v11=True)
    c.expect_error(
        "V11-HMAC-SHA256 wrong SK -> 401 AOM.31009004",
        lambda: bad_v11.stop_execution(StopExecutionRequest(workflow_id="wf", execution_id="ex")),
        401,
        "AOM.31009004",
    )

    prometheus(c, endpoint, ak, sk, project_id)

    print("%d/%d checks passed" % (c.total - c.failed, c.total))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
