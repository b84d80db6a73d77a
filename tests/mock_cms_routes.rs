//! The reference mock's catalogue and node operations over real HTTP on loopback:
//! ListAllJobByName, ListAllScriptByName, ListAllVersionByVersionId, ListTemplateByJobId,
//! SearchTemplateById and StartPausingWorkflowExecutions — ids found through the lists,
//! filters, sorting and paging, validation, node states, faults (tests/mock_routes.rs
//! has the workflow operations and the pipeline).

use aom_conformance::auth::Secret;
use aom_conformance::mock::{MockConfig, MockServer, TokenGrant};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const OTHER_PROJECT: &str = "fedcba9876543210fedcba9876543210";
const TOKEN: &str = "token-for-both-projects";

struct Mock {
    _server: MockServer,
    base: String,
    http: reqwest::Client,
}

async fn start() -> Mock {
    let config = MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into(), OTHER_PROJECT.into()],
        }],
        faults: true,
        ..MockConfig::default()
    };
    let server = MockServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts");
    Mock {
        base: server.url(),
        _server: server,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

impl Mock {
    /// `method path` with the usual headers (and `extra` ones), `body` as JSON text; the
    /// status and the JSON body, after checking every answer carries a request id.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut b = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-auth-token", TOKEN)
            .header("content-type", "application/json");
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        if let Some(body) = body {
            b = b.body(body.to_string());
        }
        let r = b.send().await.expect("an HTTP answer");
        let status = r.status();
        assert!(r.headers().contains_key("x-request-id"), "{status}");
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (status, body)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body), &[]).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None, &[]).await
    }

    /// The id of the first element of a list answer.
    async fn first_id(&self, path: &str, body: Value) -> String {
        let (status, list) = self.post(path, body).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["elements"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no element: {list}"))
            .to_owned()
    }

    async fn job_id(&self, project: &str, name: &str) -> String {
        let path = format!("/v1/{project}/cms/job/list");
        self.first_id(&path, json!({ "name": name })).await
    }

    async fn template_id(&self, job: &str, name: &str) -> String {
        let path = format!("/v1/{PROJECT}/cms/template-list/{job}");
        let body = json!({ "name": name, "order_by_column": "name" });
        self.first_id(&path, body).await
    }

    /// A workflow created from template `template` and executed: `(workflow, execution)`.
    async fn execution_of(&self, template: &str) -> (String, String) {
        let body = json!({"name": "nodes", "type": "manual", "template_id": template});
        let (status, wf) = self
            .post(&format!("/v1/{PROJECT}/cms/workflow"), body)
            .await;
        assert_eq!(status, StatusCode::OK, "{wf}");
        let wf = wf["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions");
        let (status, ex) = self.post(&path, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{ex}");
        (wf, ex["execution_id"].as_str().unwrap().to_owned())
    }

    async fn detail(&self, wf: &str, ex: &str) -> Value {
        let path = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions/{ex}/status");
        let (status, detail) = self.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        detail
    }

    async fn operate(&self, wf: &str, ex: &str, query: &str) -> (StatusCode, Value) {
        let path = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions/{ex}/operation?{query}");
        self.post(&path, json!({})).await
    }
}

fn names(list: &Value) -> Vec<&str> {
    list["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

fn assert_error(answer: &(StatusCode, Value), status: u16, code: &str) {
    let (s, body) = answer;
    assert_eq!(s.as_u16(), status, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["http_code"], status, "{body}");
}

#[tokio::test]
async fn jobs_are_listed_filtered_sorted_and_paged() {
    let mock = start().await;
    let path = format!("/v1/{PROJECT}/cms/job/list");
    let (status, all) = mock.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total_elements"], 3);
    // Default order: update_time, newest first.
    assert_eq!(
        names(&all),
        ["clean-disks", "restart-nginx", "collect-logs"]
    );
    let body =
        json!({"order_by_column": "name", "sort_order": "ASC", "page_size": 2, "page_num": 2});
    let (_, page) = mock.post(&path, body).await;
    assert_eq!(
        (names(&page), &page["total_elements"]),
        (vec!["restart-nginx"], &json!(3))
    );
    let (_, found) = mock.post(&path, json!({"name": "NGINX"})).await;
    assert_eq!(names(&found), ["restart-nginx"]);
    // Out-of-range pages are corrected as documented, not refused.
    let (status, corrected) = mock
        .post(&path, json!({"page_num": -5, "page_size": 0}))
        .await;
    assert_eq!(
        (status, corrected["total_elements"].clone()),
        (StatusCode::OK, json!(3))
    );
    for bad in [
        json!({"name": "x".repeat(65)}),
        json!({"order_by_column": "owner"}),
        json!({"sort_order": "UP"}),
        json!({"enterprise_project_id": "e".repeat(65)}),
    ] {
        assert_error(&mock.post(&path, bad).await, 400, "MOCK.INVALID_PARAMETER");
    }
}

#[tokio::test]
async fn ids_differ_per_project_and_stay_the_same_within_one() {
    let mock = start().await;
    let a = mock.job_id(PROJECT, "clean-disks").await;
    assert_eq!(a, mock.job_id(PROJECT, "clean-disks").await);
    assert_ne!(a, mock.job_id(OTHER_PROJECT, "clean-disks").await);
    // A job id of another project names no job here: no plans.
    let other = mock.job_id(OTHER_PROJECT, "restart-nginx").await;
    let path = format!("/v1/{PROJECT}/cms/template-list/{other}");
    let (status, none) = mock.post(&path, json!({"order_by_column": "name"})).await;
    assert_eq!(
        (status, none),
        (StatusCode::OK, json!({"elements": [], "total_elements": 0}))
    );
}

#[tokio::test]
async fn templates_are_listed_by_job_and_found_by_id() {
    let mock = start().await;
    let job = mock.job_id(PROJECT, "restart-nginx").await;
    let path = format!("/v1/{PROJECT}/cms/template-list/{job}");
    let (status, list) = mock
        .post(
            &path,
            json!({"order_by_column": "name", "sort_order": "DESC"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&list),
        ["restart-nginx-now", "restart-nginx-after-approval"]
    );
    assert_error(
        &mock.post(&path, json!({})).await,
        400,
        "MOCK.INVALID_PARAMETER",
    );

    let id = mock.template_id(&job, "after-approval").await;
    let (status, t) = mock.get(&format!("/v1/{PROJECT}/cms/template/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(
        (&t["id"], &t["job_id"], &t["share_type"]),
        (&json!(id), &json!(job), &json!("private"))
    );
    assert_eq!(t["nodes"][0]["id"], "confirm-restart");
    assert_eq!(t["nodes"][1]["parent_node"], "confirm-restart");
    let private = format!("/v1/{PROJECT}/cms/template/{id}?share_type=private");
    assert_eq!(mock.get(&private).await.0, StatusCode::OK);
    let shared = format!("/v1/{PROJECT}/cms/template/{id}?share_type=shared");
    assert_error(&mock.get(&shared).await, 400, "MOCK.INVALID_PARAMETER");
    let unknown = format!("/v1/{PROJECT}/cms/template/{}", "0".repeat(32));
    assert_error(&mock.get(&unknown).await, 404, "MOCK.TEMPLATE_NOT_FOUND");
    let long = format!("/v1/{PROJECT}/cms/template/{}", "t".repeat(65));
    assert_error(&mock.get(&long).await, 400, "MOCK.INVALID_PARAMETER");
    // An empty template id is an unknown path, not a bad parameter.
    let empty = format!("/v1/{PROJECT}/cms/template/");
    assert_error(&mock.get(&empty).await, 404, "MOCK.ROUTE_NOT_FOUND");
}

#[tokio::test]
async fn scripts_and_their_versions() {
    let mock = start().await;
    let path = format!("/v1/{PROJECT}/cms/script/list");
    let (status, all) = mock.post(&path, json!({"name": ""})).await;
    assert_eq!(
        (status, all["total_elements"].clone()),
        (StatusCode::OK, json!(4))
    );
    let (_, by_creator) = mock.post(&path, json!({"create_by": "someone-else"})).await;
    assert_eq!(by_creator["total_elements"], 0);
    let (_, script) = mock.post(&path, json!({"name": "check-disk"})).await;
    let script = &script["elements"][0];
    assert_eq!(
        (&script["script_language"], &script["online_exist_status"]),
        (&json!("SHELL"), &json!(true))
    );
    let id = script["id"].as_str().unwrap();

    let versions = format!("/v1/{PROJECT}/cms/script-version-list");
    let body = json!({"script_id": id, "order_by_column": "create_time", "sort_order": "ASC"});
    let (status, list) = mock.post(&versions, body).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let got: Vec<(&Value, &Value, &Value)> = list["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (&v["version_number"], &v["status_desc"], &v["script_id"]))
        .collect();
    assert_eq!(
        got,
        [
            (&json!("1.0.0"), &json!(2), &json!(id)),
            (&json!("1.1.0"), &json!(1), &json!(id))
        ]
    );
    // The online version is the one the script names.
    assert_eq!(script["online_id"], list["elements"][1]["version_id"]);
    assert_error(
        &mock.post(&versions, json!({})).await,
        400,
        "MOCK.INVALID_PARAMETER",
    );
    for bad in [
        json!({"page_num": 101}),
        json!({"page_size": 1001}),
        json!({"project_id": "short"}),
        json!({"is_default": "sometimes"}),
        json!({"name": "n".repeat(129)}),
    ] {
        assert_error(&mock.post(&path, bad).await, 400, "MOCK.INVALID_PARAMETER");
    }
}

#[tokio::test]
async fn paused_nodes_continue_and_failed_nodes_restart_or_skip() {
    let mock = start().await;
    let job = mock.job_id(PROJECT, "restart-nginx").await;
    let (wf, ex) = mock
        .execution_of(&mock.template_id(&job, "after-approval").await)
        .await;
    let d = mock.detail(&wf, &ex).await;
    assert_eq!(d["status"], "pausing");
    assert_eq!(
        d["execution_result_list"],
        json!([{"node_id": "confirm-restart", "status": "pausing", "begin_time": d["begin_time"], "end_time": 0, "output": {}}])
    );
    // Wrong action for the state, and not the current node: 400 AOM.31001418.
    for q in [
        "action=skip&node_id=confirm-restart",
        "action=continue&node_id=restart-service",
    ] {
        assert_error(&mock.operate(&wf, &ex, q).await, 400, "AOM.31001418");
    }
    let (status, body) = mock
        .operate(&wf, &ex, "action=continue&node_id=confirm-restart")
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"result": "success"}))
    );
    let d = mock.detail(&wf, &ex).await;
    let nodes: Vec<(&Value, &Value)> = d["execution_result_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (&n["node_id"], &n["status"]))
        .collect();
    assert_eq!(d["status"], "executing");
    assert_eq!(
        nodes,
        [
            (&json!("confirm-restart"), &json!("success")),
            (&json!("restart-service"), &json!("executing"))
        ]
    );

    let clean = mock.job_id(PROJECT, "clean-disks").await;
    let failing = mock.template_id(&clean, "clean-tmp").await;
    let (wf, ex) = mock.execution_of(&failing).await;
    assert_eq!(mock.detail(&wf, &ex).await["status"], "fail");
    // A failed execution is not running: terminate is the documented 400.
    let stop = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions/{ex}/terminate");
    assert_error(&mock.post(&stop, json!({})).await, 400, "AOM.31001418");
    assert_error(
        &mock
            .operate(&wf, &ex, "action=continue&node_id=check-disk-space")
            .await,
        400,
        "AOM.31001418",
    );
    assert_eq!(
        mock.operate(&wf, &ex, "action=skip&node_id=check-disk-space")
            .await
            .0,
        StatusCode::OK
    );
    let d = mock.detail(&wf, &ex).await;
    assert_eq!(d["execution_result_list"][0]["status"], "skipped");
    assert_eq!(d["execution_result_list"][1]["status"], "executing");

    let (wf, ex) = mock.execution_of(&failing).await;
    assert_eq!(
        mock.operate(&wf, &ex, "action=restart&node_id=check-disk-space")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(mock.detail(&wf, &ex).await["status"], "executing");
    // Once terminated, nothing more can be done to it.
    assert_eq!(
        mock.post(
            &format!("/v1/{PROJECT}/cms/workflow/{wf}/executions/{ex}/terminate"),
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_error(
        &mock
            .operate(&wf, &ex, "action=restart&node_id=check-disk-space")
            .await,
        400,
        "AOM.31001418",
    );
}

#[tokio::test]
async fn node_operations_validate_their_query_and_ids() {
    let mock = start().await;
    let job = mock.job_id(PROJECT, "restart-nginx").await;
    let (wf, ex) = mock
        .execution_of(&mock.template_id(&job, "after-approval").await)
        .await;
    let long = format!("action=continue&node_id={}", "n".repeat(65));
    for q in [
        "node_id=confirm-restart",
        "action=pause&node_id=confirm-restart",
        "action=continue",
        long.as_str(),
    ] {
        assert_error(
            &mock.operate(&wf, &ex, q).await,
            400,
            "MOCK.INVALID_PARAMETER",
        );
    }
    let unknown = "0".repeat(32);
    let q = "action=continue&node_id=confirm-restart";
    assert_error(&mock.operate(&wf, &unknown, q).await, 404, "AOM.31001306");
    assert_error(&mock.operate(&unknown, &ex, q).await, 404, "AOM.31001306");
    // A plain workflow's execution has no nodes to act on.
    let (status, plain) = mock
        .post(
            &format!("/v1/{PROJECT}/cms/workflow"),
            json!({"name": "plain", "type": "manual"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let plain = plain["id"].as_str().unwrap();
    let (_, run) = mock
        .post(
            &format!("/v1/{PROJECT}/cms/workflow/{plain}/executions"),
            json!({}),
        )
        .await;
    let run = run["execution_id"].as_str().unwrap();
    assert_eq!(
        mock.detail(plain, run).await["execution_result_list"],
        json!([])
    );
    assert_error(&mock.operate(plain, run, q).await, 400, "AOM.31001418");
}

#[tokio::test]
async fn catalogue_faults_answer_the_documented_500s() {
    let mock = start().await;
    let fault = [("x-aom-mock-fault", "internal-error")];
    for (path, code, msg) in [
        (
            "script/list",
            "AOM.31002005",
            "script internal server error.",
        ),
        (
            "job/list",
            "AOM.31001405",
            "workflow internal server error.",
        ),
    ] {
        let answer = mock
            .call(
                Method::POST,
                &format!("/v1/{PROJECT}/cms/{path}"),
                Some(json!({})),
                &fault,
            )
            .await;
        assert_error(&answer, 500, code);
        assert_eq!(answer.1["error_msg"], msg);
    }
    let job = mock.job_id(PROJECT, "restart-nginx").await;
    let (wf, ex) = mock
        .execution_of(&mock.template_id(&job, "after-approval").await)
        .await;
    let path = format!(
        "/v1/{PROJECT}/cms/workflow/{wf}/executions/{ex}/operation?action=continue&node_id=confirm-restart"
    );
    let answer = mock.call(Method::POST, &path, None, &fault).await;
    assert_error(&answer, 500, "AOM.31001405");
    // The fault came before the operation: the node still waits.
    assert_eq!(mock.detail(&wf, &ex).await["status"], "pausing");
}

#[tokio::test]
async fn catalogue_routes_need_credentials_and_the_project_grant() {
    let mock = start().await;
    let r = mock
        .http
        .post(format!("{}/v1/{PROJECT}/cms/job/list", mock.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let foreign = "a".repeat(32);
    let answer = mock
        .post(&format!("/v1/{foreign}/cms/script/list"), json!({}))
        .await;
    assert_error(&answer, 401, "AOM.31009004");
    let short = mock.post("/v1/short/cms/job/list", json!({})).await;
    assert_error(&short, 400, "MOCK.INVALID_PARAMETER");
    let wrong_method = mock.get(&format!("/v1/{PROJECT}/cms/job/list")).await;
    assert_error(&wrong_method, 405, "MOCK.METHOD_NOT_ALLOWED");
}
