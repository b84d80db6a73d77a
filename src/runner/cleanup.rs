//! Cleanup: undoing what a run started. Every 2xx answer of an operation that has a
//! `cleanup:` registers its undo here before the call returns; the case runs its undos
//! when it ends, and an interrupted run runs whatever is left. One owner for the
//! pending undos, their retry rule and the warnings they give.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;

use super::TargetRun;
use super::capture::capture;
use crate::http::{Rendered, Response};
use crate::plan::{OpCleanup, PlannedRequest};
use crate::report::Warning;
use crate::template::Vars;

/// Undos registered and not yet run. Locked only to register and take one.
#[derive(Default)]
pub struct Pending {
    undos: Mutex<HashMap<u64, Rendered>>,
    next: AtomicU64,
}

impl Pending {
    fn register(&self, undo: Rendered) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.undos.lock().insert(id, undo);
        id
    }

    fn take(&self, id: u64) -> Option<Rendered> {
        self.undos.lock().remove(&id)
    }

    fn ids(&self) -> Vec<u64> {
        self.undos.lock().keys().copied().collect()
    }
}

impl TargetRun {
    /// Renders `undo` for one successful call — the case's variables, the call's path
    /// parameters, the captures from its answer — and registers it. `None` (with a
    /// warning) when the answer lacks what the undo needs.
    pub(super) fn register_undo(
        &self,
        undo: &OpCleanup,
        req: &PlannedRequest,
        vars: &Vars,
        resp: &Response,
        sent: &Rendered,
    ) -> Option<u64> {
        let mut v = vars.clone();
        for (name, t) in req.op.path_params.iter().zip(&req.path) {
            v.set(name.clone(), t.render(vars));
        }
        let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        let sent_body = sent.body.as_deref().unwrap_or_default();
        let sent_body = serde_json::from_slice(sent_body).unwrap_or(Value::Null);
        let captured = capture(&body, &undo.captures, &mut v)
            .and_then(|()| capture(&sent_body, &undo.from_request, &mut v));
        if let Err((_, pointer)) = captured {
            self.warn(Warning::CannotUndo {
                request: sent.clone(),
                status: resp.status,
                pointer: pointer.clone(),
            });
            return None;
        }
        Some(self.pending.register(Rendered::render(&undo.request, &v)))
    }

    /// Runs one registered undo (if nobody ran it yet). Its status hardly matters: the
    /// thing may have ended on its own. Throttling and server errors get one more try;
    /// what is still not undone is a warning, since it may be left running.
    pub(super) async fn finish(&self, id: u64) {
        let Some(unsigned) = self.pending.take(id) else {
            return;
        };
        for attempt in 0..2 {
            // Signed now, not when queued (an interrupted run's undo may be minutes old),
            // and after the rate limit's wait.
            let permit = self.client.permit().await;
            let req = self.client.authorize(unsigned.clone());
            let warning = match self.client.send(permit, &req).await {
                // Done, or already ended (400 AOM.31001418 / 404): nothing left running.
                Ok(r) if (200..300).contains(&r.status) || matches!(r.status, 400 | 404) => {
                    return;
                }
                Ok(r) if (r.status == 429 || r.status >= 500) && attempt == 0 => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
                Ok(r) => Warning::CleanupFailed {
                    error_code: error_code(&r.body),
                    status: Some(r.status),
                    error: None,
                    request: req,
                },
                Err(e) => Warning::CleanupFailed {
                    request: req,
                    status: None,
                    error_code: None,
                    error: Some(e),
                },
            };
            self.warn(warning);
            return;
        }
    }

    /// Runs every undo still pending, concurrently. Cases run their own when they end;
    /// this is the safety net after an interrupted run. Returns how many ran.
    pub async fn cleanup_all(self: &std::sync::Arc<Self>) -> usize {
        let ids = self.pending.ids();
        let mut set = tokio::task::JoinSet::new();
        for id in ids.iter().copied() {
            let tr = std::sync::Arc::clone(self);
            set.spawn(async move { tr.finish(id).await });
        }
        set.join_all().await;
        ids.len()
    }
}

/// The `error_code` of an AOM error body, if it has one.
fn error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("error_code")?.as_str().map(str::to_owned)
}
