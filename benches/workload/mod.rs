//! The side-by-side workload, generated (one owner: the bench and anyone profiling use
//! this): `n` cases against one workflow the bench creates (`--var workflow_id=…`).
//! Case 0 is an ExecuteWorkflow case (so `lint` finds every documented response
//! covered); each of the other `n - 1` is ExecuteWorkflow (setup, capturing the
//! execution id) then StopExecution checked against its 200 schema and a body subset.
//! The files have no cleanup, so a case is exactly its requests: [`requests`] of them.

use std::fmt::Write as _;
use std::path::Path;

/// How many requests the `n`-case suite sends.
pub fn requests(n: usize) -> usize {
    (2 * n).saturating_sub(1)
}

const EXECUTE: &str = "\
operation: ExecuteWorkflow
method: POST
path: /v1/{project_id}/cms/workflow/{workflow_id}/executions
variables: { workflow_id: set-by-the-bench }
responses:
  200: { schema: execute-workflow.200.schema.json }
response_headers:
  content-type: { starts_with: application/json }
cases:
  - name: starts an execution
    expect: { status: 200 }
";

const STOP_HEAD: &str = "\
operation: StopExecution
method: POST
path: /v1/{project_id}/cms/workflow/{workflow_id}/executions/{execution_id}/terminate
variables: { workflow_id: set-by-the-bench }
responses:
  200: { schema: stop-execution.200.schema.json }
response_headers:
  content-type: { starts_with: application/json }
cases:
";

/// The case file holding all but one of the cases.
pub const LARGEST: &str = "stop-execution.yaml";

/// Writes the `n`-case suite's two case files into `specs` (created); the schemas are
/// the built-in ones.
pub fn write_suite(specs: &Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(specs)?;
    std::fs::write(specs.join("execute-workflow.yaml"), EXECUTE)?;
    let mut stop = String::with_capacity(STOP_HEAD.len() + n * 330);
    stop.push_str(STOP_HEAD);
    for i in 1..n {
        let _ = write!(
            stop,
            "  - name: terminates execution {i}
    setup:
      - call: ExecuteWorkflow
        path: {{ workflow_id: \"{{{{workflow_id}}}}\" }}
        capture: {{ execution_id: /execution_id }}
    request:
      path: {{ workflow_id: \"{{{{workflow_id}}}}\", execution_id: \"{{{{execution_id}}}}\" }}
    expect:
      status: 200
      body: {{ result: success }}
"
        );
    }
    std::fs::write(specs.join(LARGEST), stop)
}

/// The same cases as Hurl files (one per case, like the case files' cases), for
/// `hurl --test`: the same requests, the status and body checks (Hurl has no JSON
/// Schema check).
pub fn write_hurl(dir: &Path, n: usize) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let execute = "POST {{url}}/v1/{{project_id}}/cms/workflow/{{workflow_id}}/executions
X-Auth-Token: {{token}}
Content-Type: application/json
HTTP 200
";
    let stop = "[Captures]
execution_id: jsonpath \"$.execution_id\"

POST {{url}}/v1/{{project_id}}/cms/workflow/{{workflow_id}}/executions/{{execution_id}}/terminate
X-Auth-Token: {{token}}
Content-Type: application/json
HTTP 200
[Asserts]
jsonpath \"$.result\" == \"success\"
";
    let mut files = Vec::with_capacity(n);
    for i in 0..n {
        let path = dir.join(format!("case-{i:05}.hurl"));
        let text = if i == 0 {
            execute.to_owned()
        } else {
            format!("{execute}{stop}")
        };
        std::fs::write(&path, text)?;
        files.push(path);
    }
    Ok(files)
}
