//! `suite export DIR`: writes the suite built into the binary out as files (`DIR/specs`,
//! `DIR/schemas`, named as in the repository) for a user to edit and run with
//! `--specs`/`--schemas`. It never overwrites a file unless `--force`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::spec::source::builtin_files;

#[derive(Subcommand, Debug)]
pub enum SuiteCommand {
    /// Write the built-in suite out as files (DIR/specs, DIR/schemas) for editing; run
    /// the copy with `run --specs DIR/specs --schemas DIR/schemas`.
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Directory to write into (created when missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Overwrite files that already exist (a symlink is replaced, never followed).
    #[arg(long)]
    pub force: bool,
}

/// Why the suite was not (wholly) written. Both are bad input (exit 2): the path is the
/// user's.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Files already there, without `--force`: nothing was written.
    #[error("{}", exists(.0))]
    Exists(Vec<PathBuf>),
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `DIR/specs/a.yaml and 14 other files already exist: …`, naming the first.
fn exists(paths: &[PathBuf]) -> String {
    let first = paths
        .first()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let what = match paths.len() {
        0 | 1 => format!("{first} already exists"),
        2 => format!("{first} and 1 other file already exist"),
        n => format!("{first} and {} other files already exist", n - 1),
    };
    format!("{what}: nothing written (--force overwrites)")
}

pub fn run(command: SuiteCommand) -> Result<(), ExportError> {
    match command {
        SuiteCommand::Export(args) => export(&args),
    }
}

fn export(args: &ExportArgs) -> Result<(), ExportError> {
    let files: Vec<(PathBuf, &[u8])> = builtin_files()
        .into_iter()
        .map(|(rel, bytes)| (args.dir.join(rel), bytes))
        .collect();
    // Checked before anything is written: a refused export leaves the directory as it was.
    let existing: Vec<PathBuf> = files
        .iter()
        .filter(|(path, _)| path.symlink_metadata().is_ok())
        .map(|(path, _)| path.clone())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(ExportError::Exists(existing));
    }
    for (path, bytes) in &files {
        write_new(path, bytes).map_err(|source| ExportError::Write {
            path: path.clone(),
            source,
        })?;
    }
    let specs = args.dir.join("specs");
    let schemas = args.dir.join("schemas");
    println!(
        "wrote {} files to {} and {}",
        files.len(),
        specs.display(),
        schemas.display()
    );
    println!(
        "run them with: aom-conformance run --specs {} --schemas {}",
        specs.display(),
        schemas.display()
    );
    Ok(())
}

/// Writes `bytes` to a new file at `path`, replacing what is there (a file or a symlink:
/// removed, so a link is never written through).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
