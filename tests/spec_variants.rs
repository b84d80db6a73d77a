//! Case-file features for operations that come in several forms: `variants:` (one
//! operation per variant, sharing responses and cases; a case's `operations:` narrows
//! it) and query values that are lists (the parameter repeated). Misuse is a located
//! error; use is checked on the wire against a loopback echo server.

mod common;

use axum::Router;
use axum::extract::RawQuery;
use axum::http::Method;
use axum::routing::any;
use common::{Mock, PROJECT, line_of, run, serve};

const TOKEN: &str = "variants-token-0123456789";

/// A suite of one case file (`specs/q.yaml`) and a permissive schema.
struct Mini {
    dir: tempfile::TempDir,
}

impl Mini {
    fn new(spec: &str) -> Mini {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("specs")).unwrap();
        std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
        std::fs::write(dir.path().join("specs/q.yaml"), spec).unwrap();
        std::fs::write(
            dir.path().join("schemas/any.schema.json"),
            r#"{"$schema": "https://json-schema.org/draft/2020-12/schema"}"#,
        )
        .unwrap();
        Mini { dir }
    }
    fn file(&self) -> std::path::PathBuf {
        self.dir.path().join("specs/q.yaml")
    }
    fn args(&self, cmd: &str) -> Vec<String> {
        let d = self.dir.path();
        vec![
            cmd.into(),
            "--specs".into(),
            d.join("specs").display().to_string(),
            "--schemas".into(),
            d.join("schemas").display().to_string(),
        ]
    }
    fn lint(&self) -> common::Run {
        let args = self.args("lint");
        run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
    /// `run` against `url` with `extra` flags.
    fn run_at(&self, url: &str, extra: &[&str]) -> common::Run {
        let mut args = self.args("run");
        let junit = self.dir.path().join("junit.xml").display().to_string();
        args.extend(["--junit".into(), junit]);
        args.extend(["--endpoint".into(), url.into(), "--project-id".into()]);
        args.push(PROJECT.into());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::run_env(&args, &[("AOM_AUTH_TOKEN", TOKEN)])
    }
    /// `file:line:col: ` of the first line holding `needle`, at column `col`.
    fn at(&self, needle: &str, col: usize) -> String {
        let line = line_of(&self.file(), needle);
        format!("{}:{line}:{col}: ", self.file().display())
    }
}

const VARIANTS: &str = r#"variants:
  - { operation: QueryGet, method: GET, path: "/v1/{project_id}/q" }
  - { operation: QueryPost, method: POST, path: "/v1/{project_id}/q" }
  - { operation: InstanceQuery, method: GET, path: "/v1/{project_id}/{instance}/q" }
errors: schema
variables: { instance: "0" }
responses:
  200: { schema: any.schema.json }
cases:
  - name: echoes the query
    request:
      query:
        match[]: ['up{job="a"}', "{{project_id}}"]
        time: 1630124012
    expect:
      status: 200
      body: { query: "match%5B%5D=up%7Bjob%3D%22a%22%7D&match%5B%5D={{project_id}}&time=1630124012" }
  - name: only the instance form
    operations: [InstanceQuery]
    request:
      path: { instance: "7" }
    expect:
      status: 200
      body: { path: "/v1/{{project_id}}/7/q" }
"#;

/// Answers every request with its method, path and raw query.
fn echo(mock: &Mock) -> String {
    serve(
        &mock.rt,
        Router::new().fallback(any(
            |method: Method, uri: axum::http::Uri, RawQuery(q): RawQuery| async move {
                axum::Json(serde_json::json!({
                    "method": method.as_str(),
                    "path": uri.path(),
                    "query": q.unwrap_or_default(),
                }))
            },
        )),
    )
}

#[test]
fn each_variant_is_an_operation_and_list_values_repeat_the_parameter() {
    let mini = Mini::new(VARIANTS);
    let r = mini.lint();
    assert_eq!(r.code, 0, "{r:?}");
    let mock = Mock::with_token(TOKEN);
    let url = echo(&mock);
    let r = mini.run_at(&url, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    for trial in [
        "QueryGet [200] echoes the query",
        "QueryPost [200] echoes the query",
        "InstanceQuery [200] echoes the query",
        "InstanceQuery [200] only the instance form",
    ] {
        assert!(r.trial(trial, "ok"), "{trial}: {r:?}");
    }
    assert!(
        !r.stdout.contains("QueryGet [200] only the instance form"),
        "{r:?}"
    );
    assert!(r.stdout.contains("4 passed"), "{r:?}");
    // The matrix has a row per variant.
    let args = mini.args("coverage");
    let c = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    for row in ["QueryGet ", "QueryPost ", "InstanceQuery "] {
        assert!(c.stdout.contains(row), "{c:?}");
    }
}

#[test]
fn a_broken_query_value_is_located_at_its_item() {
    let mini = Mini::new(&VARIANTS.replace("\"{{project_id}}\"]", "\"{{nope}}\"]"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    // The second item of the list (column of the item, on the `match[]` line).
    let line = line_of(&mini.file(), "{{nope}}");
    let text = std::fs::read_to_string(mini.file()).unwrap();
    let col = text
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("\"{{nope}}")
        .unwrap()
        + 1;
    assert!(
        r.stderr
            .contains(&format!("{}:{line}:{col}: ", mini.file().display())),
        "{r:?}"
    );
    assert!(r.stderr.contains("nope"), "{r:?}");

    let mini = Mini::new(&VARIANTS.replace("        time: 1630124012\n", "        time: []\n"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{}an empty list sends no `time` at all",
            mini.at("time: []", 15)
        )),
        "{r:?}"
    );

    let mini = Mini::new(&VARIANTS.replace("time: 1630124012", "time: [[1]]"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a list or map"), "{r:?}");
}

#[test]
fn variants_misuse_is_located() {
    // A case narrowed to an operation the file does not have.
    let mini = Mini::new(&VARIANTS.replace("operations: [InstanceQuery]", "operations: [Nope]"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{}unknown operation of this file \"Nope\"; known: InstanceQuery, QueryGet, QueryPost",
            mini.at("operations: [Nope]", 18)
        )),
        "{r:?}"
    );

    // `operation:` beside `variants:`.
    let mini = Mini::new(&format!("operation: X\n{VARIANTS}"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{}`operation` is given per variant",
            mini.at("operation: X", 1)
        )),
        "{r:?}"
    );

    // Neither an operation nor variants.
    let bare = VARIANTS.split_once("errors:").unwrap().1;
    let mini = Mini::new(&format!("method: GET\nerrors:{bare}"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("missing operation, path"), "{r:?}");

    // A path parameter only one variant has, given to every variant: located, per variant.
    let mini = Mini::new(&VARIANTS.replace("    operations: [InstanceQuery]\n", ""));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "{}\"instance\" is not a path parameter of QueryGet",
            mini.at("path: { instance", 15)
        )),
        "{r:?}"
    );

    // Two variants with one name.
    let mini = Mini::new(&VARIANTS.replace("operation: QueryPost", "operation: QueryGet"));
    let r = mini.lint();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("operation \"QueryGet\" is already defined"),
        "{r:?}"
    );
}

#[test]
fn an_upstream_error_type_fails_the_documented_one_and_no_http_code_is_asked_for() {
    let mock = Mock::with_token(TOKEN);
    // Upstream Prometheus' answer to a missing query: errorType bad_data, not bad_param.
    let upstream = serve(
        &mock.rt,
        Router::new().fallback(any(|| async {
            (
                axum::http::StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({
                    "status": "error", "errorType": "bad_data", "error": "invalid parameter \"query\""
                })),
            )
        })),
    );
    let s = common::Suite::copy();
    let r = s.run_at(
        &upstream,
        TOKEN,
        &[
            "--exact",
            "ListInstantQueryAomPromGet [400] without the required query",
        ],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(r.code, 101, "{r:?}");
    assert!(
        r.stdout
            .contains("schema prom-error.bad_param.schema.json: at /errorType"),
        "{r:?}"
    );
    assert!(r.stdout.contains("bad_param"), "{r:?}");
    assert!(!r.stdout.contains("http_code"), "{r:?}");
}
