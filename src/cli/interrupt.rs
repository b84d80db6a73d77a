//! Ctrl-C / SIGTERM during `run`, shared by the signal task and the main thread.
//!
//! Before any case runs, an interrupt just exits 130: nothing was started. Once runs are
//! registered, it only stops them sending; each running case finishes its request in
//! flight (bounded by the timeout) and undoes what it started, cases not started yet are
//! reported "interrupted: not run", and the main thread writes the reports and exits 130.
//! A second signal exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::error::EXIT_INTERRUPTED;
use crate::runner::TargetRun;
use crate::sys::StopSignals;

#[derive(Default)]
pub struct Interrupt {
    hit: AtomicBool,
    runs: Mutex<Vec<Arc<TargetRun>>>,
}

impl Interrupt {
    /// Installs the handlers on `runtime` and watches for signals.
    pub fn watch(runtime: &tokio::runtime::Runtime) -> std::io::Result<Arc<Interrupt>> {
        let mut signals = {
            let _guard = runtime.enter();
            StopSignals::install()?
        };
        let interrupt = Arc::new(Interrupt::default());
        let shared = Arc::clone(&interrupt);
        runtime.spawn(async move {
            signals.recv().await;
            shared.stop_runs();
            signals.recv().await;
            eprintln!("interrupted again: exiting without finishing the cleanup");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        });
        Ok(interrupt)
    }

    pub fn hit(&self) -> bool {
        self.hit.load(Ordering::SeqCst)
    }

    /// From now on an interrupt stops these runs instead of exiting.
    pub fn register(&self, runs: &[Arc<TargetRun>]) {
        self.runs.lock().extend(runs.iter().cloned());
    }

    fn stop_runs(&self) {
        let runs = self.runs.lock();
        self.hit.store(true, Ordering::SeqCst);
        if runs.is_empty() {
            eprintln!("interrupted before any case ran");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!(
            "interrupted: finishing requests in flight and undoing what this run started (Ctrl-C again to quit now)…"
        );
        for tr in runs.iter() {
            tr.stop();
        }
    }
}
