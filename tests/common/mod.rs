//! Small helpers for the integration tests: run the real binary, copy the shipped suite
//! into a scratch directory to break it, read the JUnit report.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test, run from the repository root, with a clean environment for the
/// variables it reads.
pub fn bin() -> Command {
    bin_in(&root())
}

/// The environment variables the binary reads (credentials, endpoint, colours, proxies):
/// removed for every test run, so the developer's own never leak in.
pub const CLEARED_ENV: &[&str] = &[
    "AOM_ENDPOINT",
    "AOM_PROJECT_ID",
    "AOM_AUTH_TOKEN",
    "AOM_REGION",
    "AOM_IAM_PASSWORD",
    "CLOUD_SDK_AK",
    "CLOUD_SDK_SK",
    "CLOUD_SDK_SECURITY_TOKEN",
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// [`bin`] run from `dir` (a user's directory with no `specs/` or `schemas/` in it).
pub fn bin_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aom-conformance"));
    for v in CLEARED_ENV {
        c.env_remove(v);
    }
    c.current_dir(dir);
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Whether libtest printed `test {name} … {outcome}` (names are padded to align).
    pub fn trial(&self, name: &str, outcome: &str) -> bool {
        self.stdout
            .lines()
            .any(|l| l.starts_with(&format!("test {name} ")) && l.ends_with(outcome))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn output(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Run {
    run_env(args, &[])
}

/// The binary with `args` and these environment variables set.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = bin();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    output(cmd.output().expect("binary runs"))
}

/// A scratch copy of the shipped `specs/` and `schemas/`.
pub struct Suite {
    pub dir: tempfile::TempDir,
}

impl Suite {
    pub fn copy() -> Suite {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["specs", "schemas"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            for e in std::fs::read_dir(root().join(sub)).unwrap() {
                let p = e.unwrap().path();
                std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
        Suite { dir }
    }
    pub fn specs(&self) -> PathBuf {
        self.dir.path().join("specs")
    }
    pub fn schemas(&self) -> PathBuf {
        self.dir.path().join("schemas")
    }
    pub fn junit(&self) -> PathBuf {
        self.dir.path().join("junit.xml")
    }
    /// Replaces the first occurrence of `from` in `file` (which must contain it).
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let p = self.dir.path().join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }
    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.path().join(rel), text).unwrap();
    }
    /// `run` on this copy (its specs, schemas and JUnit path) followed by `extra`.
    pub fn run(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut args: Vec<String> = vec!["run".into()];
        args.extend(self.args());
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_env(&args, env)
    }

    /// [`Suite::run`] against `url` for [`PROJECT`], authenticated with `token`.
    pub fn run_at(&self, url: &str, token: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = vec!["--endpoint", url, "--project-id", PROJECT];
        all.extend_from_slice(extra);
        let mut env = env.to_vec();
        env.push(("AOM_AUTH_TOKEN", token));
        self.run(&all, &env)
    }

    /// `--specs … --schemas … --junit …` for this copy.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--specs".into(),
            self.specs().display().to_string(),
            "--schemas".into(),
            self.schemas().display().to_string(),
            "--junit".into(),
            self.junit().display().to_string(),
        ]
    }
}

/// Line (1-based) of the first line of `file` containing `needle`.
pub fn line_of(file: &Path, needle: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in {}", file.display()))
}

/// The `name` attributes of every `<testcase>` in a JUnit file.
pub fn junit_cases(xml: &str) -> Vec<String> {
    xml.split("<testcase ")
        .skip(1)
        .filter_map(|tc| {
            let start = tc.find("name=\"")? + 6;
            let end = tc[start..].find('"')? + start;
            Some(unescape_xml(&tc[start..end]))
        })
        .collect()
}

/// An XML attribute value as text.
pub fn unescape_xml(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The names `run --list` shows for the suite in `specs`/`schemas` (default: shipped).
pub fn listed_cases(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run", "--list"];
    args.extend_from_slice(extra);
    run(&args)
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// The operations of the CMS-workflow family (the only family offered in some regions).
pub const CMS_OPERATIONS: &[&str] = &[
    "CreateWorkflow",
    "ListWorkflow",
    "UpdateWorkflowTriggerStatus",
    "ExecuteWorkflow",
    "ListWorkflowExecutions",
    "SearchWorkflowExecutionDetail",
    "StartPausingWorkflowExecutions",
    "StopExecution",
    "ListAllJobByName",
    "ListTemplateByJobId",
    "SearchTemplateById",
    "ListAllScriptByName",
    "ListAllVersionByVersionId",
];

/// Whether a case id (or a `test NAME … ok` line) is of a CMS-workflow operation.
pub fn is_cms(case: &str) -> bool {
    let name = case.strip_prefix("test ").unwrap_or(case);
    let op = name.split(" [").next().unwrap_or("");
    CMS_OPERATIONS.contains(&op)
}

/// A 32-character project id.
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A reference mock running in this test process, on loopback, on its own runtime.
pub struct Mock {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<aom_conformance::mock::MockServer>,
    pub url: String,
}

impl Mock {
    pub fn start(config: aom_conformance::mock::MockConfig) -> Mock {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt
            .block_on(aom_conformance::mock::MockServer::start(
                config,
                ([127, 0, 0, 1], 0).into(),
            ))
            .unwrap();
        let url = server.url();
        Mock {
            rt,
            server: Some(server),
            url,
        }
    }

    /// A mock accepting `token` for [`PROJECT`], faults on.
    pub fn with_token(token: &str) -> Mock {
        Mock::start(aom_conformance::mock::MockConfig {
            tokens: vec![aom_conformance::mock::TokenGrant {
                token: aom_conformance::auth::Secret::new(token),
                projects: vec![PROJECT.into()],
            }],
            faults: true,
            ..Default::default()
        })
    }

    /// A blocking JSON call against the mock with `token`.
    pub fn call(&self, token: &str, method: &str, path: &str) -> (u16, serde_json::Value) {
        self.call_with(token, method, path, "")
    }

    /// A workflow created directly on the mock (as a QA team would provide one); its id.
    pub fn create_workflow(&self, token: &str, name: &str) -> String {
        let body = format!(r#"{{"name":"{name}","type":"manual"}}"#);
        let (status, wf) =
            self.call_with(token, "POST", &format!("/v1/{PROJECT}/cms/workflow"), &body);
        assert_eq!(status, 200, "{wf}");
        wf["id"].as_str().unwrap().to_owned()
    }

    /// Executions of workflow `wf`, newest first.
    pub fn executions(&self, token: &str, wf: &str) -> Vec<serde_json::Value> {
        let (status, list) = self.call(
            token,
            "GET",
            &format!("/v1/{PROJECT}/cms/workflow/{wf}/executions"),
        );
        assert_eq!(status, 200, "{list}");
        list.as_array().cloned().unwrap_or_default()
    }

    pub fn call_with(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.url);
        let token = token.to_owned();
        let body = body.to_owned();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.rt.block_on(async move {
            let r = reqwest::Client::new()
                .request(method, url)
                .header("X-Auth-Token", token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body = r.json().await.unwrap_or(serde_json::Value::Null);
            (status, body)
        })
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

/// A two-thread runtime for the loopback servers of one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `--auth iam` against the IAM stub at `iam`, as user `qa` of account `acme`.
pub fn iam_flags(iam: &str) -> Vec<&str> {
    vec![
        "--auth",
        "iam",
        "--iam-endpoint",
        iam,
        "--iam-user",
        "qa",
        "--iam-domain",
        "acme",
    ]
}

/// Serves `router` on a loopback port of `rt`; returns `http://127.0.0.1:PORT`.
pub fn serve(rt: &tokio::runtime::Runtime, router: axum::Router) -> String {
    serve_on(rt, "127.0.0.1", router)
}

/// Serves `router` on `ip` (any address in 127.0.0.0/8 is this machine); its URL.
pub fn serve_on(rt: &tokio::runtime::Runtime, ip: &str, router: axum::Router) -> String {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(format!("{ip}:0")))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}
