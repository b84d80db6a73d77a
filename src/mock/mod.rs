//! The reference AOM mock: AOM's API families over HTTP/1.1, in memory, with both
//! authentication schemes of the real cloud and opt-in fault injection.
//!
//! Organised by API family, each a module over the shared parts. Shared: `mod.rs`
//! (configuration, [`MockServer`]), `server.rs` (accept loop, connections, shutdown),
//! `routes.rs` (the router: families merged, 404/405), `pipeline.rs` (request id, the
//! Content-Type check, project grants, JSON bodies), `auth.rs` (token and AK/SK
//! verification, body buffering), `errors.rs` (error bodies), `fault.rs`
//! (`X-Aom-Mock-Fault`), `control.rs` (`/_mock/…`), `cli.rs` (`aom-conformance mock`).
//! Families: `cms/` (CMS workflows, all 13 operations: routes and path parameters in
//! `mod.rs`, workflow and execution handlers in `handlers.rs`, the store in `state.rs`,
//! request bodies in `model.rs`, response bodies in `views.rs`; the read-only catalogue of
//! jobs, execution plans, scripts and versions in `catalog/`); `prometheus/` (the PromQL
//! query API over synthetic series: routes and handlers in `mod.rs`, the series in
//! `series.rs`, the evaluator in `eval.rs`/`ops.rs`/`value.rs`); `alarms/` (action and mute
//! rules, events, v4 alarm rules: its own error shapes and per-operation guard). `docs/mock.md`
//! is the user-facing description, with every operation.
//!
//! # Operations
//!
//! | operation | method and path (`/v1/{project_id}/cms/…`) | 200 body |
//! |---|---|---|
//! | CreateWorkflow | `POST workflow` | the workflow, with `id` |
//! | ListWorkflow | `POST workflow-list` | `{"elements":[…],"total_elements":n}` |
//! | ExecuteWorkflow | `POST workflow/{workflow_id}/executions` | `{"execution_id":…}` |
//! | ListWorkflowExecutions | `GET workflow/{workflow_id}/executions` | top-level array, newest first |
//! | SearchWorkflowExecutionDetail | `GET workflow/{workflow_id}/executions/{execution_id}/status` | the execution |
//! | StartPausingWorkflowExecutions | `POST workflow/{workflow_id}/executions/{execution_id}/operation?action=…&node_id=…` | `{"result":"success"}` |
//! | StopExecution | `POST workflow/{workflow_id}/executions/{execution_id}/terminate` | `{"result":"success"}` |
//! | UpdateWorkflowTriggerStatus | `PUT workflow/{workflow_id}/trigger/action?action=enable\|disable` | `{"result":"success"}` |
//! | ListAllJobByName, ListAllScriptByName, ListAllVersionByVersionId, ListTemplateByJobId, SearchTemplateById | see `cms/catalog/mod.rs` | the seeded catalogue |
//!
//! # Choices where the documentation is silent
//!
//! * Order of checks: route (404 `MOCK.ROUTE_NOT_FOUND`, also for an empty path segment
//!   such as `workflow//executions`; 405 `MOCK.METHOD_NOT_ALLOWED`) →
//!   credentials (401; the body is read here, 413 over 1 MiB) → `Content-Type` → path
//!   parameters (400) → the credential's project grant (401) → body (400) → fault →
//!   operation. The grant is checked after path validation so a malformed `project_id`
//!   reads as 400, not as a foreign project.
//! * Error bodies are `{"error_code","error_msg","http_code"}` with an integer `http_code`
//!   (the response tables; some doc examples use `error_message` and a string). Documented
//!   codes are used where documented; everything else has a `MOCK.*` code so nobody
//!   mistakes it for a real AOM code.
//! * An execution runs its workflow's nodes (those of the seeded execution plan it was
//!   created from; none otherwise): it stops `executing` at a node that runs, `pausing` at
//!   one that pauses, `fail` at one that fails, and never moves on its own (tests stay
//!   deterministic). StartPausingWorkflowExecutions continues a paused node, restarts or
//!   skips a failed one (the current node only; otherwise 400 `AOM.31001418`).
//!   StopExecution turns an `executing` or `pausing` execution into `cancel` and sets
//!   `end_time` (0 until it ends) and `last_update_time`. Times are UTC milliseconds.
//! * Unknown workflow or execution, in every operation that names one (ListWorkflowExecutions
//!   and ExecuteWorkflow included): 404 `AOM.31001306` "Execution not exist. recordInfo is not
//!   exist.". Ids the mock did not issue are unknown.
//! * StopExecution on an execution that is no longer running: 400 `AOM.31001418`.
//! * 500 (fault `internal-error` only): `AOM.31002005` "script internal server error." for
//!   the script operations; `AOM.31001405` with "execution internal server error." for
//!   ListWorkflowExecutions and StartPausingWorkflowExecutions, "workflow internal server
//!   error." elsewhere.
//! * Store full: 409 `MOCK.QUOTA_EXCEEDED` ([`MockConfig::max_workflows_per_project`],
//!   [`MockConfig::max_executions_per_workflow`], [`MockConfig::max_executions_per_project`];
//!   each workflow stores at most 64 KiB of `input`/`tags`). Projects exist only for project
//!   ids a credential is bound to, so memory is bounded by the configuration.
//! * CreateWorkflow: `name` 1–64 letters, digits, `-`, `_` and CJK ideographs (the CN docs
//!   allow Chinese, the EN docs do not); `type` `cron|manual`; `description` 0–128 (the docs
//!   say 1–128 but their own example has `""`); other documented limits as documented.
//!   Names need not be unique. Ids are opaque 32-hex strings.
//! * ListWorkflow: an empty body means `{}`; `page` 0 and 1 both mean the first page (the
//!   docs say min 1, default 0); default `size` 10; sort default `create_time` `DESC`.
//! * Body-less operations accept an empty body or any JSON (the SDK may send `{}`); a
//!   non-JSON body is 400 `MOCK.MALFORMED_JSON`.
//! * `Content-Type` must be `application/json` (parameters such as `;charset=utf8` allowed)
//!   on every operation, GETs included: missing 400 `MOCK.MISSING_CONTENT_TYPE`, other 415
//!   `MOCK.UNSUPPORTED_MEDIA_TYPE`.
//! * `X-Auth-Token` wins over `Authorization` when both are sent. An empty or over-long
//!   (> 40960) token is 400 `MOCK.INVALID_PARAMETER`; an unknown one, or a token or key
//!   not bound to the path's project, is 401 `AOM.31009004`. With `gateway_auth_errors`
//!   credential failures (not grant failures, which AOM itself detects) are answered as
//!   the API gateway does: 401 `APIGW.0301` with `request_id`.
//! * UpdateWorkflowTriggerStatus answers `{"result":"success"}`: the documented example
//!   `{"success"}` is not JSON.
//! * Every answer carries `Content-Type: application/json;charset=UTF-8` and `X-Request-Id`
//!   (32 hex). Malformed HTTP that hyper rejects before routing is answered by hyper itself,
//!   bare: 400 unparseable, 414 target over 65534 bytes, 431 head over 256 KiB or more than
//!   100 header fields (`server.rs`).
//! * AK/SK: an exact replay inside the `X-Sdk-Date` window is accepted (the scheme has no
//!   nonce and the gateway documents only the 15-minute check); `Host` must be signed and
//!   is verified as sent, never compared with the mock's own address (it cannot know the
//!   names clients reach it by).

mod alarms;
mod auth;
pub mod cli;
mod cms;
mod control;
mod errors;
mod fault;
mod pipeline;
mod prometheus;
mod routes;
mod server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Secret;
pub use alarms::AlarmsConfig;
pub use auth::{MAX_BODY_BYTES, MAX_TOKEN_LEN};
pub use fault::{FAULT_HEADER, MAX_DELAY_MS};
pub use pipeline::REQUEST_ID_HEADER;
pub use server::SHUTDOWN_GRACE;

use cms::{IdGen, Store};
use server::Phase;

/// An `X-Auth-Token` the mock accepts and the projects it may use.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub token: Secret,
    pub projects: Vec<String>,
}

/// An AK/SK pair the mock accepts and the projects it may use.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub ak: String,
    pub sk: Secret,
    pub projects: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub tokens: Vec<TokenGrant>,
    pub keys: Vec<AccessKey>,
    /// Honour `X-Aom-Mock-Fault`.
    pub faults: bool,
    /// Serve `POST /_mock/reset`.
    pub allow_reset: bool,
    /// Answer credential failures as the API gateway (`APIGW.0301`) instead of AOM.
    pub gateway_auth_errors: bool,
    pub max_workflows_per_project: usize,
    pub max_executions_per_workflow: usize,
    /// All executions of one project together (the per-workflow cap alone would
    /// multiply with the number of workflows).
    pub max_executions_per_project: usize,
    /// How long a request body may take to arrive (408 `MOCK.BODY_TIMEOUT` beyond).
    pub body_read_timeout: Duration,
    /// Largest accepted distance between `X-Sdk-Date` and the clock; `None`: not checked
    /// (for fixed-date vectors).
    pub max_sdk_date_skew: Option<Duration>,
    /// The alarm-management family's choices (delete lag, live quirks, caps).
    pub alarms: AlarmsConfig,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            tokens: Vec::new(),
            keys: Vec::new(),
            faults: false,
            allow_reset: false,
            gateway_auth_errors: false,
            max_workflows_per_project: 10_000,
            max_executions_per_workflow: 1_000_000,
            max_executions_per_project: 1_000_000,
            body_read_timeout: Duration::from_secs(30),
            max_sdk_date_skew: Some(Duration::from_secs(15 * 60)),
            alarms: AlarmsConfig::default(),
        }
    }
}

/// Shared by every request.
#[derive(Debug)]
pub(crate) struct App {
    config: MockConfig,
    credentials: auth::Credentials,
    /// The CMS-workflow family's workflows and executions.
    cms: Store,
    /// The Prometheus query family's synthetic series (read-only).
    prometheus: prometheus::Store,
    /// The alarm family's rules and events.
    alarms: alarms::Store,
    request_ids: IdGen,
}

/// The request id of the current request (request extension).
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub String);

/// A running mock. Dropping it stops it abruptly; [`MockServer::shutdown`] stops it gracefully.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    phase: watch::Sender<Phase>,
    accept_task: JoinHandle<()>,
}

impl MockServer {
    /// Binds `listen` (port 0: any free port) and spawns the accept loop on the current
    /// tokio runtime.
    pub async fn start(config: MockConfig, listen: SocketAddr) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App {
            credentials: auth::Credentials::new(&config),
            cms: Store::new(
                config.max_workflows_per_project,
                config.max_executions_per_workflow,
                config.max_executions_per_project,
            ),
            prometheus: prometheus::Store::synthetic(),
            alarms: alarms::Store::new(),
            request_ids: IdGen::new(),
            config,
        });
        let (phase, phase_rx) = watch::channel(Phase::Serving);
        let accept_task =
            tokio::spawn(server::accept_loop(listener, routes::router(app), phase_rx));
        Ok(MockServer {
            addr,
            phase,
            accept_task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish for up to [`SHUTDOWN_GRACE`], then
    /// drops the remaining connections.
    pub async fn shutdown(self) {
        // Errors only mean every receiver is already gone, i.e. nothing left to stop.
        let _ = self.phase.send(Phase::Draining);
        let _ = self.accept_task.await;
        if tokio::time::timeout(SHUTDOWN_GRACE, self.phase.closed())
            .await
            .is_err()
        {
            let _ = self.phase.send(Phase::Kill);
            let _ = tokio::time::timeout(Duration::from_secs(1), self.phase.closed()).await;
        }
    }
}
