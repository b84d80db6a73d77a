//! Running the selected cases ahead of libtest's trials.
//!
//! libtest-mimic hands its trials to its own threads, one at a time. When each trial
//! started its case on the runtime and then slept until it ended, every case cost two
//! wake-ups between threads, and a freed slot stayed empty until the kernel scheduled
//! that libtest thread again: on the 2-core machine, with the endpoint on the same cores,
//! about a sixth of a large run was the kernel switching threads. Here one feeder task
//! on the runtime starts the cases libtest will run, in trial order, at most `threads`
//! at once, the moment a slot frees; each trial only collects its own case's result, on
//! libtest's one thread ([`libtest_arguments`]), so results are also reported in suite
//! order.
//!
//! What runs ahead is exactly what libtest will ask for: the selection is libtest-mimic's
//! own (`Arguments::is_filtered_out` and `is_ignored`), and nothing starts before the
//! first trial is called (so `--list` sends nothing). Results not collected yet are
//! bounded ([`WINDOW_PER_THREAD`] per thread): memory stays bounded behind a slow case.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;

use super::{TargetRun, case, observe};
use crate::plan::Plan;
use crate::report::{Exchange, Outcome};

/// How many results per thread may wait to be collected: enough that a case far slower
/// than the others (a timeout) does not stall the rest, few enough to bound memory.
const WINDOW_PER_THREAD: usize = 64;

/// A case's result, and how long it ran on the runtime.
pub(super) type Done = (Outcome, Option<Exchange>, Duration);

/// One case to start: `plan.cases[index]` on `tr`.
pub(super) struct Job {
    pub plan: Arc<Plan>,
    pub index: usize,
    pub tr: Arc<TargetRun>,
}

/// The jobs not started yet, each with where its start is announced.
type Pending = Vec<(Job, oneshot::Sender<Started>)>;

/// A started case, handed to its trial with its place in the window.
struct Started {
    task: JoinHandle<Done>,
    _window: OwnedSemaphorePermit,
}

/// The cases libtest will run, started ahead of its trials (see the module docs).
pub(super) struct Ahead {
    handle: Handle,
    threads: usize,
    /// The cases and where each one's start is announced; taken by the first trial.
    pending: Mutex<Option<Pending>>,
    /// Slot `k` announces the start of the `k`th job.
    slots: Vec<Mutex<Option<oneshot::Receiver<Started>>>>,
}

impl Ahead {
    pub(super) fn new(handle: Handle, threads: usize, jobs: Vec<Job>) -> Arc<Ahead> {
        let (pending, slots) = jobs
            .into_iter()
            .map(|job| {
                let (tx, rx) = oneshot::channel();
                ((job, tx), Mutex::new(Some(rx)))
            })
            .unzip();
        Arc::new(Ahead {
            handle,
            threads: threads.max(1),
            pending: Mutex::new(Some(pending)),
            slots,
        })
    }

    /// The result of job `k`, waited for on the calling (libtest's) thread. A panic in
    /// the case is resumed here, so it stays the trial's.
    pub(super) fn take(&self, k: usize) -> Done {
        if let Some(jobs) = self.pending.lock().take() {
            self.handle.spawn(feed(jobs, self.threads));
        }
        let Some(rx) = self.slots.get(k).and_then(|slot| slot.lock().take()) else {
            return interrupted();
        };
        let joined = self.handle.block_on(async move {
            let started = rx.await.ok()?;
            Some(started.task.await)
        });
        match joined {
            Some(Ok(done)) => done,
            Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The feeder or the task was dropped: the runtime is shutting down.
            _ => interrupted(),
        }
    }
}

/// What a case that never ran reports when the run is being torn down.
fn interrupted() -> Done {
    (Outcome::Interrupted, None, Duration::ZERO)
}

/// Starts the jobs in order, each as soon as a slot is free and the window allows.
async fn feed(jobs: Pending, threads: usize) {
    let running = Arc::new(Semaphore::new(threads));
    let window = Arc::new(Semaphore::new(threads.saturating_mul(WINDOW_PER_THREAD)));
    for (job, tx) in jobs {
        let (Ok(place), Ok(slot)) = (
            Arc::clone(&window).acquire_owned().await,
            Arc::clone(&running).acquire_owned().await,
        ) else {
            return;
        };
        let task = tokio::spawn(async move {
            let done = run(&job.plan, job.index, &job.tr).await;
            drop(slot);
            done
        });
        // A trial that is gone (the run is ending) no longer wants the result.
        let _ = tx.send(Started {
            task,
            _window: place,
        });
    }
}

/// Runs case `index` of `plan` on `tr`, recording it when the run records.
pub(super) async fn run(plan: &Plan, index: usize, tr: &TargetRun) -> Done {
    let started = Instant::now();
    let case = &plan.cases[index];
    let mut log = match tr.record {
        Some(_) => observe::Log::on(),
        None => observe::Log::off(),
    };
    let (outcome, exchange) = case::run(plan, case, index, tr, &mut log).await;
    if let Some(sink) = &tr.record {
        sink.lock()
            .extend(observe::observation(case, tr, &outcome, log));
    }
    (outcome, exchange, started.elapsed())
}

/// libtest's arguments for collecting what [`Ahead`] started: one thread is enough, the
/// cases run on the runtime (`args.test_threads` of them at once).
pub fn libtest_arguments(args: &libtest_mimic::Arguments) -> libtest_mimic::Arguments {
    libtest_mimic::Arguments {
        test_threads: Some(1),
        ..args.clone()
    }
}
