//! The reference mock over real HTTP on loopback: every operation, every error path, the
//! terminate race, fault injection, and that every answer is JSON with the mock's headers.

use std::time::{Duration, Instant};

use aom_conformance::auth::Secret;
use aom_conformance::mock::{MockConfig, MockServer, TokenGrant};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const OTHER_PROJECT: &str = "fedcba9876543210fedcba9876543210";
const TOKEN: &str = "token-for-project";
const OTHER_TOKEN: &str = "token-for-other-project";
const JSON_UTF8: &str = "application/json;charset=UTF-8";

async fn start(tweak: impl FnOnce(&mut MockConfig)) -> Mock {
    let mut config = MockConfig {
        tokens: vec![
            TokenGrant {
                token: Secret::new(TOKEN),
                projects: vec![PROJECT.into()],
            },
            TokenGrant {
                token: Secret::new(OTHER_TOKEN),
                projects: vec![OTHER_PROJECT.into()],
            },
        ],
        ..MockConfig::default()
    };
    tweak(&mut config);
    let server = MockServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Mock {
        base: server.url(),
        server,
        http,
    }
}

struct Mock {
    server: MockServer,
    base: String,
    http: reqwest::Client,
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    body: Value,
    request_id: String,
}

/// A request with the usual headers; `headers` are added (or, with an empty value, removed).
struct Req<'a> {
    method: Method,
    path: String,
    body: Option<&'a str>,
    headers: Vec<(&'a str, String)>,
}

fn req(method: Method, path: impl Into<String>) -> Req<'static> {
    Req {
        method,
        path: path.into(),
        body: None,
        headers: Vec::new(),
    }
}

impl<'a> Req<'a> {
    fn body(mut self, body: &'a str) -> Self {
        self.body = Some(body);
        self
    }
    fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl Mock {
    async fn send(&self, r: Req<'_>) -> Result<Answer, reqwest::Error> {
        let mut headers = vec![
            ("x-auth-token", TOKEN.to_owned()),
            ("content-type", "application/json".to_owned()),
        ];
        for (name, value) in r.headers {
            headers.retain(|(n, _)| *n != name);
            if !value.is_empty() {
                headers.push((name, value));
            }
        }
        let mut builder = self
            .http
            .request(r.method, format!("{}{}", self.base, r.path));
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = r.body {
            builder = builder.body(body.to_owned());
        }
        let response = builder.send().await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            content_type.as_deref(),
            Some(JSON_UTF8),
            "Content-Type of a {status} answer"
        );
        let request_id = response
            .headers()
            .get("x-request-id")
            .expect("every answer has X-Request-Id")
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(request_id.len(), 32, "request id {request_id:?}");
        let text = response.text().await?;
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{status} body is not JSON ({e}): {text:?}"));
        Ok(Answer {
            status,
            body,
            request_id,
        })
    }

    async fn call(&self, r: Req<'_>) -> Answer {
        self.send(r).await.expect("an HTTP answer")
    }

    async fn create_workflow(&self, name: &str) -> String {
        let body = json!({"name": name, "type": "manual"}).to_string();
        let a = self
            .call(req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(&body))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.body["id"].as_str().expect("workflow id").to_owned()
    }

    async fn execute(&self, workflow: &str) -> String {
        let a = self
            .call(req(
                Method::POST,
                format!("/v1/{PROJECT}/cms/workflow/{workflow}/executions"),
            ))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.body["execution_id"]
            .as_str()
            .expect("execution_id")
            .to_owned()
    }
}

fn aom_error(status: u16, code: &str, msg: &str) -> Value {
    json!({"error_code": code, "error_msg": msg, "http_code": status})
}

fn auth_failed() -> Value {
    aom_error(401, "AOM.31009004", "auth failed.")
}

fn not_exist() -> Value {
    aom_error(
        404,
        "AOM.31001306",
        "Execution not exist. recordInfo is not exist.",
    )
}

fn not_running() -> Value {
    aom_error(
        400,
        "AOM.31001418",
        "The task does not support the current operation.",
    )
}

fn assert_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{:?}", a.body);
    assert_eq!(a.body["error_code"], code, "{:?}", a.body);
    assert_eq!(a.body["http_code"], status, "{:?}", a.body);
    assert!(
        a.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{:?}",
        a.body
    );
}

fn exec_path(workflow: &str, execution: &str, tail: &str) -> String {
    format!("/v1/{PROJECT}/cms/workflow/{workflow}/executions/{execution}/{tail}")
}

#[tokio::test]
async fn workflow_lifecycle() {
    let mock = start(|_| {}).await;
    let body = r#"{"name":"restart-任务_1","type":"cron","description":"d","tags":{"team":"sre"},
        "template_name":"CMS::ECS::BulkyRunScript","input":{"a":1},"task_type":"script"}"#;
    let created = mock
        .call(req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(body))
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let wf = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["name"], "restart-任务_1");
    assert_eq!(created.body["type"], "cron");
    assert_eq!(created.body["tags"], json!({"team": "sre"}));
    assert_eq!(created.body["input"], json!({"a": 1}));
    assert_eq!(created.body["project_id"], PROJECT);
    assert!(
        created.body["create_time"].as_i64().unwrap() > 1_600_000_000_000,
        "milliseconds"
    );
    assert!(created.body.get("last_execution_id").is_none());

    let ex = mock.execute(&wf).await;
    assert_ne!(ex, wf);

    let listed = mock
        .call(req(
            Method::GET,
            format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
        ))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let runs = listed.body.as_array().expect("a top-level array");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["execution_id"], ex.as_str());
    assert_eq!(runs[0]["workflow_id"], wf.as_str());
    assert_eq!(runs[0]["status"], "executing");
    assert_eq!(runs[0]["end_time"], 0);

    let detail = mock
        .call(req(Method::GET, exec_path(&wf, &ex, "status")))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["status"], "executing");
    assert_eq!(detail.body["end_time"], 0);
    assert_eq!(detail.body["project_id"], PROJECT);
    assert_eq!(detail.body["execution_result_list"], json!([]));
    assert_eq!(detail.body["approve_user_name_list"], json!([]));
    let begin = detail.body["begin_time"].as_i64().unwrap();

    let stopped = mock
        .call(req(Method::POST, exec_path(&wf, &ex, "terminate")))
        .await;
    assert_eq!(
        (stopped.status, &stopped.body),
        (StatusCode::OK, &json!({"result": "success"}))
    );

    let detail = mock
        .call(req(Method::GET, exec_path(&wf, &ex, "status")))
        .await;
    assert_eq!(detail.body["status"], "cancel");
    let end = detail.body["end_time"].as_i64().unwrap();
    assert!(
        end >= begin && end > 0,
        "end_time {end} vs begin_time {begin}"
    );
    assert_eq!(detail.body["last_update_time"], end);

    let again = mock
        .call(req(Method::POST, exec_path(&wf, &ex, "terminate")))
        .await;
    assert_eq!(
        (again.status, &again.body),
        (StatusCode::BAD_REQUEST, &not_running())
    );

    let second = mock.execute(&wf).await;
    let listed = mock
        .call(req(
            Method::GET,
            format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
        ))
        .await;
    let statuses: Vec<_> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("executing"), json!("cancel")],
        "newest first"
    );

    let list = mock
        .call(req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow-list"),
        ))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["total_elements"], 1);
    assert_eq!(list.body["elements"][0]["id"], wf.as_str());
    assert_eq!(
        list.body["elements"][0]["last_execution_id"],
        second.as_str()
    );
    assert_eq!(list.body["elements"][0]["status"], "executing");
    mock.server.shutdown().await;
}

#[tokio::test]
async fn list_workflow_filters_sorts_and_pages() {
    let mock = start(|_| {}).await;
    let a = mock.create_workflow("alpha").await;
    let b = mock.create_workflow("beta").await;
    let c = mock.create_workflow("gamma").await;
    let ids = |a: &Answer| -> Vec<String> {
        a.body["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |body: &'static str| {
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflow-list")).body(body)
    };

    let page1 = mock.call(list(r#"{"size":2,"page":1}"#)).await;
    assert_eq!(
        (ids(&page1), &page1.body["total_elements"]),
        (vec![c.clone(), b.clone()], &json!(3))
    );
    let page2 = mock.call(list(r#"{"size":2,"page":2}"#)).await;
    assert_eq!(ids(&page2), vec![a.clone()]);
    let asc = mock.call(list(r#"{"sort_type":"ASC"}"#)).await;
    assert_eq!(ids(&asc), vec![a.clone(), b.clone(), c.clone()]);
    let search = mock.call(list(r#"{"search":"ET"}"#)).await;
    assert_eq!(ids(&search), vec![b.clone()]);
    mock.execute(&a).await;
    let executing = mock.call(list(r#"{"status":"executing"}"#)).await;
    assert_eq!(ids(&executing), vec![a.clone()]);
    let cron = mock.call(list(r#"{"type":"cron"}"#)).await;
    assert_eq!(cron.body["total_elements"], 0);

    assert_error(
        &mock.call(list(r#"{"size":101}"#)).await,
        400,
        "MOCK.INVALID_PARAMETER",
    );
    assert_error(
        &mock.call(list(r#"{"sort_type":"UP"}"#)).await,
        400,
        "MOCK.INVALID_PARAMETER",
    );
    assert_error(
        &mock.call(list(r#"{"status":"RUNNING"}"#)).await,
        400,
        "MOCK.INVALID_PARAMETER",
    );
    // Another project sees none of them.
    let other = mock
        .call(
            req(
                Method::POST,
                format!("/v1/{OTHER_PROJECT}/cms/workflow-list"),
            )
            .header("x-auth-token", OTHER_TOKEN),
        )
        .await;
    assert_eq!(other.body, json!({"elements": [], "total_elements": 0}));
}

#[tokio::test]
async fn trigger_status_can_be_switched() {
    let mock = start(|_| {}).await;
    let wf = mock.create_workflow("cronjob").await;
    let path = format!("/v1/{PROJECT}/cms/workflow/{wf}/trigger/action");
    let on = mock
        .call(req(Method::PUT, format!("{path}?action=enable")))
        .await;
    assert_eq!(
        (on.status, &on.body),
        (StatusCode::OK, &json!({"result": "success"}))
    );
    let list = mock
        .call(req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow-list"),
        ))
        .await;
    assert_eq!(list.body["elements"][0]["trigger_status"], "enable");
    assert_error(
        &mock
            .call(req(Method::PUT, format!("{path}?action=on")))
            .await,
        400,
        "MOCK.INVALID_PARAMETER",
    );
    assert_error(
        &mock.call(req(Method::PUT, path.clone())).await,
        400,
        "MOCK.INVALID_PARAMETER",
    );
    let unknown = mock
        .call(req(
            Method::PUT,
            format!("/v1/{PROJECT}/cms/workflow/nope/trigger/action?action=disable"),
        ))
        .await;
    assert_eq!(
        (unknown.status, &unknown.body),
        (StatusCode::NOT_FOUND, &not_exist())
    );
}

#[tokio::test]
async fn unknown_workflows_and_executions_are_404() {
    let mock = start(|_| {}).await;
    let wf = mock.create_workflow("w").await;
    let ex = mock.execute(&wf).await;
    // A well-formed id the mock never issued: same prefix, different counter.
    let unissued = format!("{}ffffffffffffffff", &ex[..16]);
    let cases = [
        req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow/wf-1/executions"),
        ),
        req(
            Method::GET,
            format!("/v1/{PROJECT}/cms/workflow/wf-1/executions"),
        ),
        req(Method::GET, exec_path("wf-1", &ex, "status")),
        req(Method::POST, exec_path("wf-1", &ex, "terminate")),
        req(Method::GET, exec_path(&wf, "ex-1", "status")),
        req(Method::POST, exec_path(&wf, "ex-1", "terminate")),
        req(Method::POST, exec_path(&wf, &unissued, "terminate")),
        req(Method::GET, exec_path(&wf, &unissued, "status")),
        // An execution of another workflow.
        req(
            Method::POST,
            exec_path(&mock.create_workflow("w2").await, &ex, "terminate"),
        ),
    ];
    for r in cases {
        let what = format!("{} {}", r.method, r.path);
        let a = mock.call(r).await;
        assert_eq!(
            (a.status, &a.body),
            (StatusCode::NOT_FOUND, &not_exist()),
            "{what}"
        );
    }
}

#[tokio::test]
async fn authentication_errors() {
    let mock = start(|_| {}).await;
    let path = format!("/v1/{PROJECT}/cms/workflow-list");
    let missing = mock
        .call(req(Method::POST, path.clone()).header("x-auth-token", ""))
        .await;
    assert_eq!(
        (missing.status, &missing.body),
        (StatusCode::UNAUTHORIZED, &auth_failed())
    );
    let wrong = mock
        .call(req(Method::POST, path.clone()).header("x-auth-token", "nope"))
        .await;
    assert_eq!(
        (wrong.status, &wrong.body),
        (StatusCode::UNAUTHORIZED, &auth_failed())
    );
    let foreign = mock
        .call(req(Method::POST, path.clone()).header("x-auth-token", OTHER_TOKEN))
        .await;
    assert_eq!(
        (foreign.status, &foreign.body),
        (StatusCode::UNAUTHORIZED, &auth_failed())
    );
    let bearer = mock
        .call(
            req(Method::POST, path.clone())
                .header("x-auth-token", "")
                .header("authorization", "Bearer x"),
        )
        .await;
    assert_eq!(
        (bearer.status, &bearer.body),
        (StatusCode::UNAUTHORIZED, &auth_failed())
    );
    // At the documented limit the length is fine (the token is just unknown); one more is not.
    let longest = mock
        .call(req(Method::POST, path.clone()).header("x-auth-token", "a".repeat(40960)))
        .await;
    assert_eq!(longest.body, auth_failed());
    let too_long = mock
        .call(req(Method::POST, path.clone()).header("x-auth-token", "a".repeat(40961)))
        .await;
    assert_error(&too_long, 400, "MOCK.INVALID_PARAMETER");
    // Credentials are checked before anything else about the request.
    let bad_everything = mock
        .call(
            req(Method::POST, "/v1/short/cms/workflow-list")
                .header("x-auth-token", "nope")
                .body("{"),
        )
        .await;
    assert_eq!(bad_everything.body, auth_failed());
}

#[tokio::test]
async fn gateway_auth_errors_mode() {
    let mock = start(|c| c.gateway_auth_errors = true).await;
    let path = format!("/v1/{PROJECT}/cms/workflow-list");
    for token in ["", "nope"] {
        let a = mock
            .call(req(Method::POST, path.clone()).header("x-auth-token", token))
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.body["error_code"], "APIGW.0301");
        assert!(
            a.body["error_msg"]
                .as_str()
                .unwrap()
                .starts_with("Incorrect IAM authentication information: "),
            "{:?}",
            a.body
        );
        assert_eq!(a.body["request_id"], a.request_id.as_str());
        assert!(a.body.get("http_code").is_none());
    }
    // The project grant is AOM's own check, so it keeps the AOM body.
    let foreign = mock
        .call(req(Method::POST, path).header("x-auth-token", OTHER_TOKEN))
        .await;
    assert_eq!(foreign.body, auth_failed());
}

#[tokio::test]
async fn content_type_is_required() {
    let mock = start(|_| {}).await;
    let path = format!("/v1/{PROJECT}/cms/workflow-list");
    let none = mock
        .call(req(Method::POST, path.clone()).header("content-type", ""))
        .await;
    assert_error(&none, 400, "MOCK.MISSING_CONTENT_TYPE");
    let get_none = mock
        .call(
            req(
                Method::GET,
                format!("/v1/{PROJECT}/cms/workflow/x/executions"),
            )
            .header("content-type", ""),
        )
        .await;
    assert_error(&get_none, 400, "MOCK.MISSING_CONTENT_TYPE");
    let text = mock
        .call(req(Method::POST, path.clone()).header("content-type", "text/plain"))
        .await;
    assert_error(&text, 415, "MOCK.UNSUPPORTED_MEDIA_TYPE");
    let charset = mock
        .call(req(Method::POST, path).header("content-type", "application/json;charset=utf8"))
        .await;
    assert_eq!(charset.status, StatusCode::OK);
}

#[tokio::test]
async fn path_parameters_are_validated() {
    let mock = start(|_| {}).await;
    let long = "x".repeat(65);
    for path in [
        "/v1/0123456789abcdef0123456789abcde/cms/workflow-list".to_owned(),
        format!("/v1/{PROJECT}0/cms/workflow-list"),
    ] {
        assert_error(
            &mock.call(req(Method::POST, path)).await,
            400,
            "MOCK.INVALID_PARAMETER",
        );
    }
    for r in [
        req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow/{long}/executions"),
        ),
        req(Method::GET, exec_path(&long, "e", "status")),
        req(Method::POST, exec_path("w", &long, "terminate")),
        req(Method::GET, exec_path("w", "%FF", "status")),
    ] {
        assert_error(&mock.call(r).await, 400, "MOCK.INVALID_PARAMETER");
    }
    // 64 characters is within the limit: the id is just unknown.
    let a = mock
        .call(req(
            Method::POST,
            exec_path(&"x".repeat(64), &"y".repeat(64), "terminate"),
        ))
        .await;
    assert_eq!(a.body, not_exist());
}

#[tokio::test]
async fn bodies_are_validated() {
    let mock = start(|_| {}).await;
    let create =
        |body: &'static str| req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(body);
    assert_error(
        &mock.call(create(r#"{"name":"x","type":"#)).await,
        400,
        "MOCK.MALFORMED_JSON",
    );
    assert_error(
        &mock.call(create("name=x")).await,
        400,
        "MOCK.MALFORMED_JSON",
    );
    for invalid in [
        "",
        r#"{"type":"manual"}"#,
        r#"{"name":"x"}"#,
        r#"{"name":5,"type":"manual"}"#,
        r#"{"name":"has space","type":"manual"}"#,
        r#"{"name":"x","type":"event"}"#,
        r#"{"name":"x","type":"manual","tags":[]}"#,
        r#"{"name":"x","type":"manual","task_type":"other"}"#,
        r#"[]"#,
    ] {
        let r = req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(invalid);
        assert_error(&mock.call(r).await, 400, "MOCK.INVALID_PARAMETER");
    }
    let long_name = json!({"name": "n".repeat(65), "type": "manual"}).to_string();
    let r = req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(&long_name);
    assert_error(&mock.call(r).await, 400, "MOCK.INVALID_PARAMETER");

    let wf = mock.create_workflow("w").await;
    let ex = mock.execute(&wf).await;
    let garbage = mock
        .call(req(Method::POST, exec_path(&wf, &ex, "terminate")).body("nope"))
        .await;
    assert_error(&garbage, 400, "MOCK.MALFORMED_JSON");
    // The SDK may send {} to body-less operations.
    let empty_object = mock
        .call(req(Method::POST, exec_path(&wf, &ex, "terminate")).body("{}"))
        .await;
    assert_eq!(empty_object.status, StatusCode::OK);

    let huge = "x".repeat(1024 * 1024 + 1);
    let r = req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(&huge);
    assert_error(&mock.call(r).await, 413, "MOCK.PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods() {
    let mock = start(|_| {}).await;
    // Routing comes before authentication.
    for r in [
        req(Method::GET, "/"),
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflows")),
        req(Method::POST, format!("/v2/{PROJECT}/cms/workflow")),
        req(Method::POST, exec_path("w", "e", "terminate/")),
    ] {
        let a = mock.call(r.header("x-auth-token", "")).await;
        assert_error(&a, 404, "MOCK.ROUTE_NOT_FOUND");
    }
    for r in [
        req(Method::GET, exec_path("w", "e", "terminate")),
        req(
            Method::DELETE,
            format!("/v1/{PROJECT}/cms/workflow/w/executions"),
        ),
        req(Method::POST, exec_path("w", "e", "status")),
        req(Method::GET, format!("/v1/{PROJECT}/cms/workflow")),
    ] {
        let what = format!("{} {}", r.method, r.path);
        let a = mock.call(r.header("x-auth-token", "")).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
        assert_error(&a, 405, "MOCK.METHOD_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn quotas_are_enforced() {
    let mock = start(|c| {
        c.max_workflows_per_project = 2;
        c.max_executions_per_workflow = 2;
    })
    .await;
    let wf = mock.create_workflow("a").await;
    mock.create_workflow("b").await;
    let body = r#"{"name":"c","type":"manual"}"#;
    let full = mock
        .call(req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(body))
        .await;
    assert_error(&full, 409, "MOCK.QUOTA_EXCEEDED");
    mock.execute(&wf).await;
    mock.execute(&wf).await;
    let full = mock
        .call(req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
        ))
        .await;
    assert_error(&full, 409, "MOCK.QUOTA_EXCEEDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_terminates_succeed_exactly_once() {
    let mock = std::sync::Arc::new(start(|_| {}).await);
    let wf = mock.create_workflow("race").await;
    for _ in 0..5 {
        let ex = mock.execute(&wf).await;
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let mock = std::sync::Arc::clone(&mock);
                let path = exec_path(&wf, &ex, "terminate");
                tokio::spawn(async move { mock.call(req(Method::POST, path)).await })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            let a = task.await.unwrap();
            match a.status {
                StatusCode::OK => ok += 1,
                StatusCode::BAD_REQUEST => assert_eq!(a.body, not_running()),
                other => panic!("unexpected {other}: {:?}", a.body),
            }
        }
        assert_eq!(ok, 1, "exactly one terminate wins");
    }
}

#[tokio::test]
async fn faults_when_enabled() {
    let mock = start(|c| c.faults = true).await;
    let wf = mock.create_workflow("f").await;
    let ex = mock.execute(&wf).await;
    let fault = "x-aom-mock-fault";

    let a = mock
        .call(req(Method::POST, exec_path(&wf, &ex, "terminate")).header(fault, "internal-error"))
        .await;
    assert_eq!(
        a.body,
        aom_error(500, "AOM.31001405", "workflow internal server error.")
    );
    let a = mock
        .call(
            req(
                Method::GET,
                format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
            )
            .header(fault, "internal-error"),
        )
        .await;
    assert_eq!(
        a.body,
        aom_error(500, "AOM.31001405", "execution internal server error.")
    );
    // The fault did not terminate anything.
    let a = mock
        .call(req(Method::GET, exec_path(&wf, &ex, "status")))
        .await;
    assert_eq!(a.body["status"], "executing");
    // Authentication still comes first.
    let a = mock
        .call(
            req(Method::POST, exec_path(&wf, &ex, "terminate"))
                .header(fault, "internal-error")
                .header("x-auth-token", ""),
        )
        .await;
    assert_eq!(a.body, auth_failed());

    let started = Instant::now();
    let a = mock
        .call(req(Method::GET, exec_path(&wf, &ex, "status")).header(fault, "delay=300"))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    let dropped = mock
        .send(req(Method::POST, exec_path(&wf, &ex, "terminate")).header(fault, "drop-connection"))
        .await;
    let err = dropped.expect_err("no response on a dropped connection");
    assert!(!err.is_timeout() && !err.is_status(), "{err:?}");
    // The dropped request never reached the operation; the server still serves.
    let a = mock
        .call(req(Method::GET, exec_path(&wf, &ex, "status")))
        .await;
    assert_eq!(a.body["status"], "executing");

    let a = mock
        .call(req(Method::GET, exec_path(&wf, &ex, "status")).header(fault, "explode"))
        .await;
    assert_error(&a, 400, "MOCK.INVALID_FAULT");

    // A client timeout shorter than the delay fires.
    let r = mock
        .http
        .get(format!("{}{}", mock.base, exec_path(&wf, &ex, "status")))
        .header("x-auth-token", TOKEN)
        .header("content-type", "application/json")
        .header(fault, "delay=2000")
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(r.expect_err("times out").is_timeout());
}

#[tokio::test]
async fn fault_header_is_ignored_without_faults() {
    let mock = start(|_| {}).await;
    let wf = mock.create_workflow("f").await;
    let ex = mock.execute(&wf).await;
    for value in ["internal-error", "drop-connection", "explode"] {
        let a = mock
            .call(req(Method::GET, exec_path(&wf, &ex, "status")).header("x-aom-mock-fault", value))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{value}");
    }
}

#[tokio::test]
async fn every_answer_is_json() {
    let mock = start(|c| c.faults = true).await;
    let wf = mock.create_workflow("j").await;
    let requests = vec![
        req(Method::GET, "/"),
        req(Method::GET, "/favicon.ico").header("x-auth-token", ""),
        req(Method::OPTIONS, format!("/v1/{PROJECT}/cms/workflow")),
        req(Method::PATCH, exec_path(&wf, "e", "terminate")),
        req(Method::POST, "/v1/%FF/cms/workflow-list"),
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body("\u{0}\u{1}binary"),
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflow"))
            .body("{\"name\":\"\u{1F600}\",\"type\":\"manual\"}"),
        req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow-list?page=%%%"),
        )
        .body("{\"page\":1e400}"),
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflow-list"))
            .header("content-type", "application/xml"),
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflow-list"))
            .header("x-auth-token", "")
            .header("authorization", "SDK-HMAC-SHA256 garbage"),
        req(Method::POST, format!("/v1/{PROJECT}/cms/workflow-list"))
            .header("x-aom-mock-fault", "delay=abc"),
        req(
            Method::GET,
            format!("/v1/{PROJECT}/cms/workflow/{wf}/executions?x_enterprise_project_id="),
        ),
    ];
    // `call` itself asserts the JSON body, Content-Type and X-Request-Id.
    for r in requests {
        let what = format!("{} {}", r.method, r.path);
        let a = mock.call(r).await;
        assert!(a.status.is_client_error(), "{what}: {:?}", a.body);
        assert_eq!(a.body["http_code"], a.status.as_u16(), "{what}");
    }
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_then_stops() {
    let mock = start(|c| c.faults = true).await;
    let wf = mock.create_workflow("s").await;
    let ex = mock.execute(&wf).await;
    let request = mock
        .http
        .get(format!("{}{}", mock.base, exec_path(&wf, &ex, "status")))
        .header("x-auth-token", TOKEN)
        .header("content-type", "application/json")
        .header("x-aom-mock-fault", "delay=300")
        .send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    mock.server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        started.elapsed()
    );
    let answer = in_flight
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(answer.status(), StatusCode::OK);
    let after = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&mock.base)
        .send()
        .await;
    assert!(
        after
            .expect_err("nothing listens after shutdown")
            .is_connect()
    );
}

/// Throughput with a large store: 100k executions of one workflow over 32 connections, then
/// the operations that touch them. Ignored by default (load, not correctness); run with
/// `cargo test --release --test mock_routes -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn load_100k_executions() {
    let mock = std::sync::Arc::new(start(|_| {}).await);
    let wf = mock.create_workflow("load").await;
    let started = Instant::now();
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let (mock, wf) = (std::sync::Arc::clone(&mock), wf.clone());
            tokio::spawn(async move {
                let mut last = String::new();
                for _ in 0..100_000 / 32 + 1 {
                    last = mock.execute(&wf).await;
                }
                last
            })
        })
        .collect();
    let mut last = String::new();
    for w in workers {
        last = w.await.unwrap();
    }
    let elapsed = started.elapsed();
    eprintln!(
        "100k ExecuteWorkflow: {elapsed:?} ({:.0}/s)",
        100_000.0 / elapsed.as_secs_f64()
    );
    let t = Instant::now();
    let a = mock
        .call(req(Method::POST, exec_path(&wf, &last, "terminate")))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = mock
        .call(req(Method::GET, exec_path(&wf, &last, "status")))
        .await;
    assert_eq!(a.body["status"], "cancel");
    eprintln!("terminate + detail at 100k: {:?}", t.elapsed());
    let t = Instant::now();
    let a = mock
        .call(req(
            Method::GET,
            format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
        ))
        .await;
    assert!(a.body.as_array().unwrap().len() > 100_000);
    eprintln!("ListWorkflowExecutions of 100k: {:?}", t.elapsed());
}

/// Sends `head` (and then `body`) on a raw connection; returns the answer's status line
/// and body text (empty strings when the connection closed without one).
async fn raw(mock: &Mock, head: String, body: &[u8]) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = mock.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.lines().next().unwrap_or("").to_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test]
async fn request_edges_are_answered_in_json() {
    let mock = start(|c| c.body_read_timeout = Duration::from_millis(500)).await;
    let wf = mock.create_workflow("edges").await;
    let path = format!("/v1/{PROJECT}/cms/workflow/{wf}/executions");

    // A repeated header that decides how the request is read: one clear 400.
    for (name, a, b) in [
        ("content-type", "text/plain", "application/json"),
        ("x-auth-token", "wrong", TOKEN),
    ] {
        let r = mock
            .http
            .post(format!("{}{path}", mock.base))
            .header("x-auth-token", TOKEN)
            .header("content-type", "application/json")
            .header(name, a)
            .header(name, b)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{name}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error_code"], "MOCK.INVALID_PARAMETER", "{body}");
    }

    // A body declared too large is refused before it is sent (no 100 Continue).
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nx-auth-token: {TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\nexpect: 100-continue\r\n\r\n"
    );
    let (status, body) = raw(&mock, head, b"").await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status} {body}");
    assert!(body.contains("MOCK.PAYLOAD_TOO_LARGE"), "{body}");

    // A body that stops arriving: 408 after the configured wait, not a hung connection.
    let started = Instant::now();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nx-auth-token: {TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
    );
    let (status, body) = raw(&mock, head, b"{\"a\"").await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status} {body}");
    assert!(body.contains("MOCK.BODY_TIMEOUT"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // An over-long token still gets the mock's JSON 400, not the HTTP library's bare 431.
    let a = mock
        .call(req(Method::GET, path.clone()).header("x-auth-token", "t".repeat(50_000)))
        .await;
    assert_error(&a, 400, "MOCK.INVALID_PARAMETER");

    // What one workflow may store is bounded.
    let big =
        json!({"name": "big", "type": "manual", "input": {"blob": "x".repeat(70_000)}}).to_string();
    let a = mock
        .call(req(Method::POST, format!("/v1/{PROJECT}/cms/workflow")).body(&big))
        .await;
    assert_error(&a, 400, "MOCK.INVALID_PARAMETER");
}

#[tokio::test]
async fn the_project_cap_counts_executions_of_every_workflow() {
    let mock = start(|c| {
        c.max_executions_per_workflow = 2;
        c.max_executions_per_project = 3;
    })
    .await;
    let a = mock.create_workflow("a").await;
    let b = mock.create_workflow("b").await;
    mock.execute(&a).await;
    mock.execute(&a).await;
    mock.execute(&b).await;
    let full = mock
        .call(req(
            Method::POST,
            format!("/v1/{PROJECT}/cms/workflow/{b}/executions"),
        ))
        .await;
    assert_error(&full, 409, "MOCK.QUOTA_EXCEEDED");
    assert!(
        full.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("executions per project"),
        "{:?}",
        full.body
    );
}
