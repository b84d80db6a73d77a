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
    InternalError,
    /// `unavailable`: the documented 503 of operations that have one.
    Unavailable,
    Delay(Duration),
    DropConnection,
}

fn parse(value: &str) -> Option<Fault> {
    match value.trim() {
        "internal-error" => Some(Fault::InternalError),
        "unavailable" => Some(Fault::Unavailable),
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
    /// `Err` holds the unparseable header value, reported only when the plan is applied.
    requested: Option<Result<Fault, String>>,
    kill: Option<ConnectionKill>,
}

/// An injected fault that is answered with an error, for the family to shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Injected {
    /// `internal-error`: the operation's documented 500.
    Internal,
    /// `unavailable`: the operation's documented 503.
    Unavailable,
    /// An unparseable header value.
    Invalid(String),
}

impl FaultPlan {
    /// Runs the requested fault for `op`: returns the error to answer with, sleeps, or never
    /// returns (the connection is being dropped). The CMS family has no 503: `unavailable`
    /// is its 500 there.
    pub async fn apply(self, op: Op) -> Result<(), ApiError> {
        self.injected().await.map_err(|i| match i {
            Injected::Internal | Injected::Unavailable => ApiError::internal(op),
            Injected::Invalid(value) => ApiError::invalid_fault(&value),
        })
    }

    /// Runs the requested fault: sleeps, never returns (the connection is being dropped),
    /// or says which error to answer with.
    pub async fn injected(self) -> Result<(), Injected> {
        match self.requested {
            None => Ok(()),
            Some(Err(value)) => Err(Injected::Invalid(value)),
            Some(Ok(Fault::InternalError)) => Err(Injected::Internal),
            Some(Ok(Fault::Unavailable)) => Err(Injected::Unavailable),
            Some(Ok(Fault::Delay(d))) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
            Some(Ok(Fault::DropConnection)) => match self.kill {
                Some(ConnectionKill(kill)) => {
                    kill.notify_one();
                    // The connection task drops this future along with the connection.
                    std::future::pending().await
                }
                // Only reachable if the router is served without the mock's accept loop.
                None => Err(Injected::Internal),
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
            let text = String::from_utf8_lossy(v.as_bytes());
            parse(&text).ok_or_else(|| text.into_owned())
        });
        let kill = parts.extensions.get::<ConnectionKill>().cloned();
        Ok(FaultPlan { requested, kill })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_faults() {
        assert_eq!(parse("internal-error"), Some(Fault::InternalError));
        assert_eq!(parse("unavailable"), Some(Fault::Unavailable));
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
