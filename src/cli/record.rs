//! `run --record DIR`: every case's calls observed during the run, masked, and written
//! as a recording ([`crate::fidelity::recording`]) once the run ends — for `diff
//! --against DIR` to compare a candidate with, offline. Also where the masking rules of a
//! command come from ([`load_masks`]), for `run --record`, `diff` and `lint`.

use std::path::{Path, PathBuf};

use super::SuiteArgs;
use super::error::Error;
use crate::fidelity::masks::{self, Masks};
use crate::fidelity::{Verdict, recording};
use crate::plan::Plan;
use crate::runner::Recorded;
use crate::target::Target;

/// `--masks FILE`, else `masks.yaml` of `--schemas DIR` (none there: nothing masked,
/// said), else the built-in rules.
///
/// A rule naming an operation the suite lacks is a located warning, not an error: it may
/// be a typo (which masks nothing), or rules written for the whole suite read with a
/// suite cut down to some files (`--specs`); no one can tell which. The built-in rules
/// name the built-in suite's operations (tested), so they are not checked again.
pub(super) fn load_masks(
    masks: Option<&Path>,
    suite: &SuiteArgs,
    plan: &Plan,
) -> Result<Masks, Error> {
    let loaded = match (masks, &suite.schemas) {
        (None, None) => return Ok(Masks::builtin()?),
        (Some(path), _) => Masks::load(path),
        (None, Some(dir)) => {
            let path = dir.join(masks::FILE_NAME);
            if !path.exists() {
                eprintln!(
                    "warning: no {} (nothing is masked: ids and timestamps will differ)",
                    path.display()
                );
                return Ok(Masks::default());
            }
            Masks::load(&path)
        }
    }?;
    let known: Vec<&str> = plan.operations.iter().map(|o| o.name.as_str()).collect();
    for d in &loaded.unknown_operations(&known).0 {
        eprintln!("warning: {d} (the rule masks nothing in this suite)");
    }
    Ok(loaded)
}

/// What the end of a recorded run writes, and where the trials put their observations.
pub struct Recorder {
    dir: PathBuf,
    masks: Masks,
    /// The recorded endpoint as the manifest names it.
    label: String,
    pub sink: Recorded,
}

impl Recorder {
    /// A recorder for `--record DIR` (none without it): one target only, the directory
    /// new, empty or an earlier recording, the masks valid — all before any case runs.
    pub fn new(
        dir: Option<&PathBuf>,
        masks: Option<&Path>,
        suite: &SuiteArgs,
        targets: &[Target],
        plan: &Plan,
        embedded: bool,
    ) -> Result<Option<Recorder>, Error> {
        let Some(dir) = dir else { return Ok(None) };
        let [target] = targets else {
            return Err(Error::Usage(format!(
                "--record records one endpoint; this run has {} targets",
                targets.len()
            )));
        };
        let masks = load_masks(masks, suite, plan)?;
        recording::check(dir)?;
        // The embedded mock's URL has a new port every run: not worth a changed line.
        let label = if embedded {
            "the embedded reference mock".to_owned()
        } else if target.name.is_empty() {
            target.label().to_owned()
        } else {
            target.name.clone()
        };
        Ok(Some(Recorder {
            dir: dir.clone(),
            masks,
            label,
            sink: Recorded::default(),
        }))
    }

    /// Writes the recording, unless the run was interrupted (a partial recording would
    /// later read as cases the reference did not run).
    pub fn finish(self, interrupted: bool) -> Result<(), Error> {
        if interrupted {
            eprintln!(
                "interrupted: no recording written to {}",
                self.dir.display()
            );
            return Ok(());
        }
        let mut observed = std::mem::take(&mut *self.sink.lock());
        // A case that did not run (a capability or family the endpoint lacks) has nothing
        // to compare with: left out, so a candidate that runs it reads "not in the reference".
        observed.retain(|o| matches!(o.verdict, Verdict::Passed | Verdict::Failed));
        observed.iter_mut().for_each(|o| self.masks.apply(o));
        recording::write(&self.dir, &self.label, &observed)?;
        eprintln!(
            "recorded {} case(s) in {}",
            observed.len(),
            self.dir.display()
        );
        Ok(())
    }
}
