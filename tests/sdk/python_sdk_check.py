#!/usr/bin/env python3
"""Interoperability check: the official Huawei Cloud Python SDK against the reference mock
(the CMS-workflow operations, SDK v1, and the 8 project-level Prometheus query operations,
SDK v2).

Drives `huaweicloudsdkaom` (tested with huaweicloudsdkcore/huaweicloudsdkaom 3.1.219) through
AK/SK-signed calls of all 13 CMS-workflow operations against `aom-conformance mock`, with
both signing algorithms (SDK-HMAC-SHA256 and V11-HMAC-SHA256), and checks that every
documented error status reaches the caller as the SDK's exception with the mock's
`error_code` and the `X-Request-Id` as `request_id`. Prints one PASS/FAIL line per check;
exits 1 if any check fails, 2 on bad usage. `tests/sdk/run.sh` does everything (virtual
environment, SDK, mock) in one command.

    aom-conformance mock --listen 127.0.0.1:0 --ak TESTAK --sk TESTSK \\
        --project-id 0123456789abcdef0123456789abcdef --faults &
    python3 tests/sdk/python_sdk_check.py http://127.0.0.1:PORT

Arguments / environment (an argument wins over the environment):

    ENDPOINT   argv[1] or AOM_SDK_ENDPOINT   (required, e.g. http://127.0.0.1:8080)
    AK         argv[2] or AOM_SDK_AK         (default TESTAK)
    SK         argv[3] or AOM_SDK_SK         (default TESTSK)
    PROJECT_ID argv[4] or AOM_SDK_PROJECT_ID (default 0123456789abcdef0123456789abcdef)

The mock must run with `--faults`: the documented 500s are provoked with the
`X-Aom-Mock-Fault: internal-error` header, added to each request after the SDK signed it
(an unsigned header, which the signature does not cover).

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
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkcore.signer import signer as sdk_signer
from huaweicloudsdkaom.v1 import (
    AomClient,
    CreateWorkflowRequest,
    ExecuteWorkflowRequest,
    ListAllJobByNameRequest,
    ListAllScriptByNameRequest,
    ListAllVersionByVersionIdRequest,
    ListTemplateByJobIdRequest,
    ListTemplateByJobIdRequestBody,
    ListWorkflowExecutionsRequest,
    ListWorkflowRequest,
    SearchJobsRequestBody,
    SearchScriptsRequestBody,
    SearchTemplateByIdRequest,
    SearchWorkflowExecutionDetailRequest,
    StartPausingWorkflowExecutionsRequest,
    StopExecutionRequest,
    UpdateWorkflowTriggerStatusRequest,
    WorkflowQueryParam,
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
FAULT_HEADER = "X-Aom-Mock-Fault"


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

    def call(self, name, fn, ok=lambda r: True, detail=lambda r: "", status=200):
        """Run fn, expecting `status` (200 unless said) for which ok(response) holds; the
        response, or None."""
        try:
            resp = fn()
        except Exception as e:  # noqa: BLE001 - report anything the SDK raises
            self.check(name, False, "unexpected %s: %s" % (type(e).__name__, e))
            return None
        good = resp.status_code == status and ok(resp)
        self.check(name, good, "status=%s %s" % (resp.status_code, detail(resp)))
        return resp if good else None

    def expect_error(self, name, fn, status, code):
        """fn must raise the SDK's exception for `status` with `code` and a request id."""
        try:
            resp = fn()
        except exceptions.ServiceResponseException as e:
            ok = (
                e.status_code == status
                and e.error_code == code
                and REQUEST_ID.match(e.request_id or "") is not None
            )
            return self.check(
                name,
                ok,
                "status=%s error_code=%s request_id=%s error_msg=%r"
                % (e.status_code, e.error_code, e.request_id, e.error_msg),
            )
        except Exception as e:  # noqa: BLE001
            return self.check(name, False, "expected the SDK's exception, got %s: %s" % (type(e).__name__, e))
        return self.check(name, False, "expected %s %s, got success: %s" % (status, code, resp))


def build_client(endpoint, ak, sk, project_id, v11=False, fault=False):
    credentials = BasicCredentials(ak, sk, project_id)
    if v11:
        credentials.with_derived_predicate(lambda request: True)
        credentials._process_derived_auth_params(V11_SERVICE, V11_REGION)
    builder = AomClient.new_builder().with_credentials(credentials).with_endpoint(endpoint)
    if fault:
        # Runs after signing: the fault header is sent unsigned.
        def add_fault(request=None, **_):
            request.header_params[FAULT_HEADER] = "internal-error"

        builder = builder.with_http_handler(HttpHandler().add_request_handler(add_fault))
    return builder.build()


def raw(resp):
    return (resp.raw_content or b"").decode("utf-8", "replace").replace(" ", "")


class Ids:
    """What the success path finds, for the error checks."""

    job = template = paused_template = failing_template = script = None
    workflow = execution = node = None


def catalogue(c, client, label, ids):
    """The catalogue operations, finding the ids the node operations need."""
    jobs = c.call(
        label + "ListAllJobByName",
        lambda: client.list_all_job_by_name(ListAllJobByNameRequest(
            body=SearchJobsRequestBody(name="restart-nginx", order_by_column="name", sort_order="ASC"))),
        ok=lambda r: r.total_elements == 1 and r.elements[0].name == "restart-nginx",
        detail=lambda r: "total=%s" % r.total_elements,
    )
    clean = c.call(
        label + "ListAllJobByName (clean-disks)",
        lambda: client.list_all_job_by_name(ListAllJobByNameRequest(
            body=SearchJobsRequestBody(name="clean-disks", order_by_column="name", sort_order="ASC"))),
        ok=lambda r: r.total_elements == 1,
    )
    if jobs is None or clean is None:
        return
    ids.job = jobs.elements[0].id

    def plans(job_id, name):
        return c.call(
            label + "ListTemplateByJobId (%s)" % name,
            lambda: client.list_template_by_job_id(ListTemplateByJobIdRequest(
                job_id=job_id,
                body=ListTemplateByJobIdRequestBody(name=name, order_by_column="name", sort_order="ASC"))),
            ok=lambda r: r.total_elements == 1 and r.elements[0].job_id == job_id and len(r.elements[0].nodes) >= 1,
            detail=lambda r: "total=%s" % r.total_elements,
        )

    paused, failing = plans(ids.job, "restart-nginx-after-approval"), plans(clean.elements[0].id, "clean-tmp")
    if paused is None or failing is None:
        return
    ids.paused_template, ids.failing_template = paused.elements[0].id, failing.elements[0].id
    c.call(
        label + "SearchTemplateById",
        lambda: client.search_template_by_id(SearchTemplateByIdRequest(template_id=ids.paused_template)),
        ok=lambda r: r.id == ids.paused_template and r.nodes[0].id == "confirm-restart" and r.share_type == "private",
        detail=lambda r: "id=%s share_type=%s" % (r.id, r.share_type),
    )
    scripts = c.call(
        label + "ListAllScriptByName",
        lambda: client.list_all_script_by_name(ListAllScriptByNameRequest(
            body=SearchScriptsRequestBody(name="check-disk-usage", order_by_column="name", sort_order="ASC"))),
        ok=lambda r: r.total_elements == 1 and r.elements[0].script_language == "SHELL",
        detail=lambda r: "total=%s" % r.total_elements,
    )
    if scripts is None:
        return
    ids.script = scripts.elements[0].id
    c.call(
        label + "ListAllVersionByVersionId",
        lambda: client.list_all_version_by_version_id(ListAllVersionByVersionIdRequest(
            body=SearchScriptsRequestBody(script_id=ids.script, order_by_column="create_time", sort_order="ASC"))),
        ok=lambda r: [v.version_number for v in r.elements] == ["1.0.0", "1.1.0"]
        and all(v.script_id == ids.script for v in r.elements),
        detail=lambda r: "versions=%s" % [v.version_number for v in r.elements],
    )


def create(client, name, template=None, kind="manual"):
    body = WorkflowRequestBody(name=name, type=kind)
    if template:
        body = WorkflowRequestBody(name=name, type=kind, template_id=template, task_type="job", input={})
    return client.create_workflow(CreateWorkflowRequest(body=body))


def workflows(c, client, label, ids):
    """Create, list, execute, inspect, operate on nodes, switch the schedule, terminate."""
    name = "sdk-check-" + uuid.uuid4().hex[:8]
    wf = c.call(label + "CreateWorkflow", lambda: create(client, name, ids.paused_template),
                ok=lambda r: bool(r.id) and r.name == name, detail=lambda r: "id=%s" % r.id)
    if wf is None:
        return
    ids.workflow = wf.id
    c.call(
        label + "ListWorkflow",
        lambda: client.list_workflow(ListWorkflowRequest(
            body=WorkflowQueryParam(search=name, sort_field="create_time", sort_type="DESC"))),
        ok=lambda r: r.total_elements == 1 and r.elements[0].id == wf.id,
        detail=lambda r: "total=%s" % r.total_elements,
    )
    ex = c.call(label + "ExecuteWorkflow", lambda: client.execute_workflow(ExecuteWorkflowRequest(workflow_id=wf.id)),
                ok=lambda r: bool(r.execution_id))
    if ex is None:
        return
    ids.execution = ex.execution_id
    detail = c.call(
        label + "SearchWorkflowExecutionDetail (pausing)",
        lambda: client.search_workflow_execution_detail(
            SearchWorkflowExecutionDetailRequest(workflow_id=wf.id, execution_id=ex.execution_id)),
        ok=lambda r: r.status == "pausing" and r.execution_result_list[0].status == "pausing",
        detail=lambda r: "exec_status=%s" % r.status,
    )
    if detail is None:
        return
    ids.node = detail.execution_result_list[0].node_id
    c.call(
        label + "StartPausingWorkflowExecutions (continue)",
        lambda: client.start_pausing_workflow_executions(StartPausingWorkflowExecutionsRequest(
            workflow_id=wf.id, execution_id=ex.execution_id, action="continue", node_id=ids.node)),
        ok=lambda r: r.result == "success",
        detail=lambda r: "result=%r" % r.result,
    )
    c.call(
        label + "ListWorkflowExecutions",
        lambda: client.list_workflow_executions(
            ListWorkflowExecutionsRequest(workflow_id=wf.id, x_enterprise_project_id="0")),
        ok=lambda r: len(r.body) == 1 and r.body[0].status == "executing",
        detail=lambda r: "executions=%s" % len(r.body or []),
    )
    c.call(
        label + "UpdateWorkflowTriggerStatus (disable)",
        lambda: client.update_workflow_trigger_status(
            UpdateWorkflowTriggerStatusRequest(workflow_id=wf.id, action="disable")),
        ok=lambda r: '"result":"success"' in raw(r),
        detail=lambda r: "raw=%s" % raw(r),
    )
    c.call(
        label + "StopExecution",
        lambda: client.stop_execution(StopExecutionRequest(workflow_id=wf.id, execution_id=ex.execution_id)),
        ok=lambda r: '"result":"success"' in raw(r),
        detail=lambda r: "raw=%s" % raw(r),
    )
    failed = c.call(label + "CreateWorkflow (failing plan)", lambda: create(client, name + "-f", ids.failing_template))
    if failed is None:
        return
    for action in ("restart", "skip"):
        run = c.call(label + "ExecuteWorkflow (failing plan)",
                     lambda: client.execute_workflow(ExecuteWorkflowRequest(workflow_id=failed.id)))
        if run is not None:
            c.call(
                label + "StartPausingWorkflowExecutions (%s)" % action,
                lambda: client.start_pausing_workflow_executions(StartPausingWorkflowExecutionsRequest(
                    workflow_id=failed.id, execution_id=run.execution_id, action=action,
                    node_id="check-disk-space")),
                ok=lambda r: r.result == "success",
            )


def documented_errors(c, client, bad, faulty, label, ids):
    """Each documented error status of each operation, provoked against the mock."""
    wf, ex, node = ids.workflow or "0" * 32, ids.execution or "0" * 32, ids.node or "n"
    missing = "0" * 32
    jobs = lambda cl, **kw: cl.list_all_job_by_name(ListAllJobByNameRequest(body=SearchJobsRequestBody(**kw)))
    scripts = SearchScriptsRequestBody(script_id=ids.script or missing, order_by_column="name", sort_order="ASC")
    plans = ListTemplateByJobIdRequestBody(order_by_column="name")
    operate = lambda cl, action: cl.start_pausing_workflow_executions(StartPausingWorkflowExecutionsRequest(
        workflow_id=wf, execution_id=ex, action=action, node_id=node))
    trigger = lambda cl, action: cl.update_workflow_trigger_status(
        UpdateWorkflowTriggerStatusRequest(workflow_id=wf, action=action))
    stop = lambda cl, e=ex: cl.stop_execution(StopExecutionRequest(workflow_id=wf, execution_id=e))
    detail = lambda cl, e=ex: cl.search_workflow_execution_detail(
        SearchWorkflowExecutionDetailRequest(workflow_id=wf, execution_id=e))
    cases = [
        ("CreateWorkflow", 400, "MOCK.INVALID_PARAMETER",
         lambda: client.create_workflow(CreateWorkflowRequest(body=WorkflowRequestBody(name="x", type="sometimes")))),
        ("CreateWorkflow", 500, "AOM.31001405", lambda: create(faulty, "sdk-check-fault")),
        ("ListWorkflow", 500, "AOM.31001405",
         lambda: faulty.list_workflow(ListWorkflowRequest(body=WorkflowQueryParam()))),
        ("ExecuteWorkflow", 401, "AOM.31009004", lambda: bad.execute_workflow(ExecuteWorkflowRequest(workflow_id=wf))),
        ("ExecuteWorkflow", 404, "AOM.31001306",
         lambda: client.execute_workflow(ExecuteWorkflowRequest(workflow_id=missing))),
        ("ExecuteWorkflow", 500, "AOM.31001405",
         lambda: faulty.execute_workflow(ExecuteWorkflowRequest(workflow_id=wf))),
        ("ListWorkflowExecutions", 401, "AOM.31009004",
         lambda: bad.list_workflow_executions(ListWorkflowExecutionsRequest(workflow_id=wf))),
        ("ListWorkflowExecutions", 500, "AOM.31001405",
         lambda: faulty.list_workflow_executions(ListWorkflowExecutionsRequest(workflow_id=wf))),
        ("SearchWorkflowExecutionDetail", 400, "MOCK.INVALID_PARAMETER", lambda: detail(client, "x" * 65)),
        ("SearchWorkflowExecutionDetail", 401, "AOM.31009004", lambda: detail(bad)),
        ("StartPausingWorkflowExecutions", 401, "AOM.31009004", lambda: operate(bad, "continue")),
        ("StartPausingWorkflowExecutions", 500, "AOM.31001405", lambda: operate(faulty, "skip")),
        ("StopExecution", 400, "AOM.31001418", lambda: stop(client)),
        ("StopExecution", 401, "AOM.31009004", lambda: stop(bad)),
        ("StopExecution", 404, "AOM.31001306", lambda: stop(client, missing)),
        ("StopExecution", 500, "AOM.31001405", lambda: stop(faulty)),
        ("UpdateWorkflowTriggerStatus", 400, "MOCK.INVALID_PARAMETER", lambda: trigger(client, "pause")),
        ("UpdateWorkflowTriggerStatus", 401, "AOM.31009004", lambda: trigger(bad, "enable")),
        ("UpdateWorkflowTriggerStatus", 500, "AOM.31001405", lambda: trigger(faulty, "enable")),
        ("ListAllJobByName", 400, "MOCK.INVALID_PARAMETER", lambda: jobs(client, order_by_column="name", sort_order="UP")),
        ("ListAllJobByName", 401, "AOM.31009004", lambda: jobs(bad, order_by_column="name", sort_order="ASC")),
        ("ListAllScriptByName", 500, "AOM.31002005",
         lambda: faulty.list_all_script_by_name(ListAllScriptByNameRequest(body=scripts))),
        ("ListAllVersionByVersionId", 500, "AOM.31002005",
         lambda: faulty.list_all_version_by_version_id(ListAllVersionByVersionIdRequest(body=scripts))),
        ("ListTemplateByJobId", 401, "AOM.31009004",
         lambda: bad.list_template_by_job_id(ListTemplateByJobIdRequest(job_id=ids.job or missing, body=plans))),
        ("SearchTemplateById", 400, "MOCK.INVALID_PARAMETER",
         lambda: client.search_template_by_id(SearchTemplateByIdRequest(
             template_id=ids.paused_template or missing, share_type="shared"))),
    ]
    for op, status, code, fn in cases:
        c.expect_error("%s%s -> %s %s" % (label, op, status, code), fn, status, code)


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
    for v11, label in ((False, "SDK-HMAC-SHA256 "), (True, "V11-HMAC-SHA256 ")):
        client = build_client(endpoint, ak, sk, project_id, v11=v11)
        bad = build_client(endpoint, ak, sk + "-wrong", project_id, v11=v11)
        faulty = build_client(endpoint, ak, sk, project_id, v11=v11, fault=True)
        ids = Ids()
        catalogue(c, client, label, ids)
        workflows(c, client, label, ids)
        documented_errors(c, client, bad, faulty, label, ids)

    prometheus(c, endpoint, ak, sk, project_id)

    print("%d/%d checks passed" % (c.total - c.failed, c.total))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
