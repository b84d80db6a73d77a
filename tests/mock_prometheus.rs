//! The mock's Prometheus query family over real HTTP on loopback: every route, the
//! documented error bodies verbatim, faults, form bodies, and queries evaluated over the
//! synthetic series equal to results computed by hand (docs/mock.md).

use aom_conformance::auth::Secret;
use aom_conformance::mock::{MockConfig, MockServer, TokenGrant};
use serde_json::{Value, json};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "prometheus-token";
/// 2021-08-28T04:13:30Z, a multiple of the 15 s scrape interval.
const T: i64 = 1_630_124_010;

struct Mock {
    server: MockServer,
    http: reqwest::Client,
}

async fn start() -> Mock {
    let config = MockConfig {
        tokens: vec![TokenGrant {
            token: Secret::new(TOKEN),
            projects: vec![PROJECT.into()],
        }],
        faults: true,
        ..MockConfig::default()
    };
    let server = MockServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Mock { server, http }
}

impl Mock {
    /// `method` on `/v1/{PROJECT}/{rest}` with the token and nothing else (no Content-Type:
    /// the family requires none), plus `headers` and `body`.
    async fn call(
        &self,
        method: &str,
        rest: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let url = format!("{}/v1/{PROJECT}/{rest}", self.server.url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, url).header("X-Auth-Token", TOKEN);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.body(body.to_owned()).send().await.unwrap();
        let status = r.status().as_u16();
        let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, rest: &str) -> (u16, Value) {
        self.call("GET", rest, &[], "").await
    }
}

fn error(kind: &str, text: &str) -> Value {
    json!({"status": "error", "errorType": kind, "error": text})
}

fn bad_param() -> Value {
    error("bad_param", "param is invalid.")
}

/// A URL query value, percent-encoded.
fn enc(q: &str) -> String {
    percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn every_route_answers_in_the_envelope() {
    let m = start().await;
    let q = format!("query={}&time={T}", enc("vector(1)"));
    let vector_one = json!({"status": "success", "data": {"resultType": "vector",
        "result": [{"metric": {}, "value": [T, "1"]}]}});
    for (method, prefix) in [("GET", ""), ("POST", ""), ("GET", "0/"), ("POST", "0/")] {
        let got = m
            .call(method, &format!("{prefix}aom/api/v1/query?{q}"), &[], "")
            .await;
        assert_eq!(got, (200, vector_one.clone()), "{method} {prefix}");
    }
    let range = format!(
        "query={}&start={T}&end={}&step=30s",
        enc("vector(1)"),
        T + 60
    );
    let expected = json!({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[T, "1"], [T + 30, "1"], [T + 60, "1"]]}]}});
    for (method, prefix) in [("GET", ""), ("POST", ""), ("POST", "0/")] {
        let rest = format!("{prefix}aom/api/v1/query_range?{range}");
        assert_eq!(
            m.call(method, &rest, &[], "").await,
            (200, expected.clone())
        );
    }
    for (method, prefix) in [("GET", ""), ("POST", ""), ("POST", "0/")] {
        let (status, body) = m
            .call(method, &format!("{prefix}aom/api/v1/labels"), &[], "")
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["data"][0], "__name__", "sorted: {body}");
    }
    for prefix in ["", "0/"] {
        let got = m.get(&format!("{prefix}aom/api/v1/label/job/values")).await;
        assert_eq!(
            got,
            (
                200,
                json!({"status": "success", "data": ["node", "prometheus"]})
            )
        );
        let (status, body) = m.get(&format!("{prefix}aom/api/v1/metadata")).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["up"][0]["type"], "gauge", "{body}");
    }
    let series = format!(
        "0/aom/api/v1/series?match[]={}&match[]=up",
        enc("aom_node_cpu_usage")
    );
    let (status, body) = m.call("POST", &series, &[], "").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 5, "{body}");
    m.server.shutdown().await;
}

#[tokio::test]
async fn evaluation_equals_hand_computed_results_on_the_synthetic_series() {
    let m = start().await;
    let instant = |q: &str, t: i64| format!("aom/api/v1/query?query={}&time={t}", enc(q));
    // Counters of 2, 1 and 0.5 requests/s: rates per code are 3 and 0.5 at any instant.
    let (_, body) = m
        .get(&instant(
            "sum by (code) (rate(aom_http_requests_total[5m]))",
            T + 7,
        ))
        .await;
    assert_eq!(
        body["data"]["result"],
        json!([{"metric": {"code": "200"}, "value": [T + 7, "3"]},
               {"metric": {"code": "500"}, "value": [T + 7, "0.5"]}])
    );
    let (_, body) = m
        .get(&instant(
            r#"increase(aom_http_requests_total{code="500"}[5m])"#,
            T,
        ))
        .await;
    assert_eq!(body["data"]["result"][0]["value"], json!([T, "150"]));
    // up: 1, 1, 0 → by job: node 0.5, prometheus 1.
    let (_, body) = m.get(&instant("avg by (job) (up) * 2", T)).await;
    assert_eq!(
        body["data"]["result"],
        json!([{"metric": {"job": "node"}, "value": [T, "1"]},
               {"metric": {"job": "prometheus"}, "value": [T, "2"]}])
    );
    let (_, body) = m.get(&instant("time() + 0.5", T)).await;
    assert_eq!(
        body["data"],
        json!({"resultType": "scalar", "result": [T, "1630124010.5"]})
    );
    m.server.shutdown().await;
}

#[tokio::test]
async fn documented_errors_verbatim() {
    let m = start().await;
    assert_eq!(m.get("aom/api/v1/query").await, (400, bad_param()));
    assert_eq!(
        m.get(&format!("aom/api/v1/query?query={}", enc("sum(")))
            .await,
        (400, bad_param())
    );
    let points = |end: i64| format!("aom/api/v1/query_range?query=up&start=0&end={end}&step=1");
    assert_eq!(m.get(&points(11_001)).await.0, 400);
    assert_eq!(m.get(&points(11_000)).await.0, 200);
    let q = format!(
        "aom/api/v1/query?query={}",
        enc(r#"label_replace(vector(1), "d", "$1", "s", "(")"#)
    );
    let unexecutable = error("excution", "expression can't be executed.");
    assert_eq!(m.get(&q).await, (422, unexecutable.clone()));
    assert_eq!(
        m.get(&format!("aom/api/v1/query?query={}", enc("topk(1, up)")))
            .await,
        (422, unexecutable.clone())
    );
    assert_eq!(
        m.get("no-such-instance/aom/api/v1/metadata").await,
        (400, bad_param())
    );
    assert_eq!(
        m.get("aom/api/v1/label/1st/values").await,
        (400, bad_param())
    );
    // Another project: 403, before any parameter is looked at.
    let url = format!(
        "{}/v1/ffffffffffffffffffffffffffffffff/aom/api/v1/query",
        m.server.url()
    );
    let r = m
        .http
        .get(url)
        .header("X-Auth-Token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        error("auth", "auth project_id not pass.")
    );
    // Methods the docs do not list for the instance-scoped forms.
    assert_eq!(m.get("0/aom/api/v1/query_range").await.0, 405);
    assert_eq!(m.get("0/aom/api/v1/labels").await.0, 405);
    m.server.shutdown().await;
}

#[tokio::test]
async fn faults_answer_503_and_422_and_the_500_is_refused() {
    let m = start().await;
    let fault = |v: &'static str| [("X-Aom-Mock-Fault", v)];
    let timeout = error("timeout", "query timed out in query execution.");
    assert_eq!(
        m.call("GET", "aom/api/v1/labels", &fault("timeout"), "")
            .await,
        (503, timeout)
    );
    let (status, body) = m
        .call("GET", "aom/api/v1/metadata", &fault("execution-error"), "")
        .await;
    assert_eq!((status, &body["errorType"]), (422, &json!("excution")));
    let (status, body) = m
        .call("GET", "aom/api/v1/labels", &fault("internal-error"), "")
        .await;
    assert_eq!((status, &body["errorType"]), (400, &json!("bad_param")));
    assert!(
        body["error"].as_str().unwrap().contains("internal-error"),
        "{body}"
    );
    // A fault applies after the request's own checks.
    assert_eq!(
        m.call("GET", "aom/api/v1/query", &fault("timeout"), "")
            .await,
        (400, bad_param())
    );
    m.server.shutdown().await;
}

#[tokio::test]
async fn a_post_form_body_is_read_first_and_a_get_body_never() {
    let m = start().await;
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let body = format!("query=vector(5)&time={T}");
    let (status, got) = m
        .call("POST", "aom/api/v1/query?query=vector(6)", &form, &body)
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["data"]["result"][0]["value"], json!([T, "5"]));
    let (status, got) = m.call("GET", "aom/api/v1/query", &form, &body).await;
    assert_eq!((status, got), (400, bad_param()));
    // What the SDKs send: JSON Content-Type, no body, parameters in the URL.
    let json_ct = [("Content-Type", "application/json")];
    let rest = format!("aom/api/v1/query?query=up&time={T}");
    assert_eq!(m.call("POST", &rest, &json_ct, "").await.0, 200);
    m.server.shutdown().await;
}

#[tokio::test]
async fn deep_and_long_expressions_are_refused_and_the_mock_keeps_serving() {
    let m = start().await;
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    // The longest accepted query, as deep as it is long: parsed, then refused (422).
    let parens = format!("{}1{}", "(".repeat(2_047), ")".repeat(2_047));
    let body = format!("query={}", enc(&parens));
    assert_eq!(
        m.call("POST", "aom/api/v1/query", &form, &body).await.0,
        422
    );
    let chain = vec!["1"; 2_049].join("+"); // 4,097 bytes
    let body = format!("query={}", enc(&chain));
    assert_eq!(
        m.call("POST", "aom/api/v1/query", &form, &body).await.0,
        400
    );
    let long = format!("query={}", enc(&vec!["1"; 200_000].join("+")));
    assert_eq!(
        m.call("POST", "aom/api/v1/query", &form, &long).await,
        (400, bad_param())
    );
    let q = format!("aom/api/v1/query?query=up&time={T}");
    assert_eq!(m.get(&q).await.0, 200);
    m.server.shutdown().await;
}
