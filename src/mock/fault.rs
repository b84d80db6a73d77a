//! Fault injection through the `X-Aom-Mock-Fault` request header, honoured only when the
//! mock runs with faults enabled (otherwise the header is ignored).
//!
//! The plan is captured by an extractor but applied by the handler after every other check
//! (route, auth, content type, path, body), so a faulty request is otherwise valid.
//! `drop-connection` fires the per-connection kill signal that the accept loop put into the
//! request's extensions; the connection task then drops the connection, closing the socket
//! with no response.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tokio::sync::Notify;

use super::App;
use super::errors::{ApiError, Op};

/// The request header that selects a fault.
pub const FAULT_HEADER: &str = "x-aom-mock-fault";
/// Longest accepted `delay=<ms>`.
pub const MAX_DELAY_MS: u64 = 600_000;

/// Per-connection signal: notified → the connection is dropped without a response.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectionKill(pub Arc<Notify>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Answer(Injected),
    Delay(Duration),
    DropConnection,
}

/// A fault that is an error answer; each family maps it to its documented body, or
/// refuses it where its operations document no such status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    /// `internal-error`: a documented 500 (CMS).
    InternalError,
    /// `timeout`: a documented 503 (Prometheus query).
    Timeout,
    /// `execution-error`: a documented 422 (Prometheus query).
    ExecutionError,
    /// `unavailable`: a documented 503 of the operations that have one (alarm events);
    /// the CMS family has none and answers its 500.
    Unavailable,
}

/// A fault as the alarm family answers it: its 500, its 503, or an invalid fault value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultAnswer {
    Internal,
    Unavailable,
    /// A value the family does not answer (unknown, or a status it does not document).
    Invalid(String),
}

fn parse(value: &str) -> Option<Fault> {
    match value.trim() {
        "internal-error" => Some(Fault::Answer(Injected::InternalError)),
        "timeout" => Some(Fault::Answer(Injected::Timeout)),
        "execution-error" => Some(Fault::Answer(Injected::ExecutionError)),
        "unavailable" => Some(Fault::Answer(Injected::Unavailable)),
        "drop-connection" => Some(Fault::DropConnection),
        other => {
            let ms: u64 = other.strip_prefix("delay=")?.trim().parse().ok()?;
            (ms <= MAX_DELAY_MS).then(|| Fault::Delay(Duration::from_millis(ms)))
        }
    }
}

/// The fault a request asked for, if faults are enabled.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    /// The header's text, and the fault it names (`None`: an unknown value, reported
    /// only when the plan is applied).
    requested: Option<(String, Option<Fault>)>,
    kill: Option<ConnectionKill>,
}

impl FaultPlan {
    /// Runs the requested fault for CMS operation `op`: returns the error to answer with,
    /// sleeps, or never returns (the connection is being dropped). Faults whose status
    /// CMS operations do not document are refused like an unknown value.
    pub async fn apply(self, op: Op) -> Result<(), ApiError> {
        match self.run().await {
            Ok(None) => Ok(()),
            // The CMS family documents no 503: `unavailable` is its 500.
            Ok(Some((Injected::InternalError | Injected::Unavailable, _))) => {
                Err(ApiError::internal(op))
            }
            Ok(Some((_, value))) | Err(value) => Err(ApiError::invalid_fault(&value)),
        }
    }

    /// [`FaultPlan::run`] for the alarm family: its 500 and 503, anything else invalid.
    pub async fn injected(self) -> Result<(), FaultAnswer> {
        match self.run().await {
            Ok(None) => Ok(()),
            Ok(Some((Injected::InternalError, _))) => Err(FaultAnswer::Internal),
            Ok(Some((Injected::Unavailable, _))) => Err(FaultAnswer::Unavailable),
            Ok(Some((_, value))) | Err(value) => Err(FaultAnswer::Invalid(value)),
        }
    }

    /// Runs a delay or connection drop itself; an error answer is returned (with the
    /// header's text) for the family to write, as is an unknown value (`Err`).
    pub async fn run(self) -> Result<Option<(Injected, String)>, String> {
        let Some((text, parsed)) = self.requested else {
            return Ok(None);
        };
        match parsed.ok_or_else(|| text.clone())? {
            Fault::Answer(injected) => Ok(Some((injected, text))),
            Fault::Delay(d) => {
                tokio::time::sleep(d).await;
                Ok(None)
            }
            Fault::DropConnection => match self.kill {
                Some(ConnectionKill(kill)) => {
                    kill.notify_one();
                    // The connection task drops this future along with the connection.
                    std::future::pending().await
                }
                // Only reachable if the router is served without the mock's accept loop:
                // answer as for an unknown value rather than hang.
                None => Err(text),
            },
        }
    }
}

impl FromRequestParts<Arc<App>> for FaultPlan {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        if !app.config.faults {
            return Ok(FaultPlan::default());
        }
        let requested = parts.headers.get(FAULT_HEADER).map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let fault = parse(&text);
            (text, fault)
        });
        let kill = parts.extensions.get::<ConnectionKill>().cloned();
        Ok(FaultPlan { requested, kill })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault() {
        assert_eq!(
            parse("internal-error"),
            Some(Fault::Answer(Injected::InternalError))
        );
        assert_eq!(parse("timeout"), Some(Fault::Answer(Injected::Timeout)));
        assert_eq!(
            parse("execution-error"),
            Some(Fault::Answer(Injected::ExecutionError))
        );
        assert_eq!(parse("drop-connection"), Some(Fault::DropConnection));
        assert_eq!(
            parse("delay=250"),
            Some(Fault::Delay(Duration::from_millis(250)))
        );
        assert_eq!(parse("delay=600001"), None);
        assert_eq!(parse("delay=-1"), None);
        assert_eq!(parse("explode"), None);
    }
}
