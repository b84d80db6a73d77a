//! Where the suite's files come from: a directory on disk (`--specs DIR`, `--schemas DIR`)
//! or the suite built into the binary (every file of the repository's `specs/` and
//! `schemas/`), behind one type, [`Source`], so case files and schemas are listed and read
//! by the same code whichever it is.
//!
//! Built-in files are named as in the repository (`specs/stop-execution.yaml`): messages,
//! `file:line:col` locations and JUnit `file` attributes read the same as a run from a
//! checkout, and `suite export DIR` writes them under those names.
//!
//! Files on disk are read within the input limits ([`limits::read_text`]: regular files
//! only, size cap); built-in ones are decoded by the same rules ([`limits::decode_text`]).

use std::fmt;
use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use super::limits::{self, ReadError};

/// The repository's `specs/`, built in.
static BUILTIN_SPECS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/specs");
/// The repository's `schemas/`, built in.
static BUILTIN_SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// Which half of the suite a source holds: it decides which files are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Case files: `*.yaml` / `*.yml`, in subdirectories too.
    Specs,
    /// JSON Schemas: `*.json` directly in the directory.
    Schemas,
}

impl Kind {
    /// The directory's name in the repository, and the prefix of built-in file names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Specs => "specs",
            Kind::Schemas => "schemas",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Specs => &["yaml", "yml"],
            Kind::Schemas => &["json"],
        }
    }

    fn recursive(self) -> bool {
        self == Kind::Specs
    }

    fn builtin(self) -> &'static Dir<'static> {
        match self {
            Kind::Specs => &BUILTIN_SPECS,
            Kind::Schemas => &BUILTIN_SCHEMAS,
        }
    }

    fn wanted(self, path: &Path) -> bool {
        path.extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| self.extensions().contains(&x))
    }
}

/// A directory on disk or a set of files built into the binary.
#[derive(Clone, Debug)]
pub struct Source {
    kind: Kind,
    origin: Origin,
}

#[derive(Clone, Debug)]
enum Origin {
    Disk(PathBuf),
    Embedded(&'static Dir<'static>),
}

/// Why a source's file list cannot be had. It concerns a directory, not a place in a
/// file, so it carries no line or column: `DIR: message`.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{}: cannot read the {what} directory: {source}", dir.display())]
    Unreadable {
        dir: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    #[error("{}: no case files (*.yaml) in the {what} directory", dir.display())]
    NoCaseFiles { dir: PathBuf, what: &'static str },
}

impl Source {
    /// `dir` when given, else the built-in files of `kind`.
    pub fn new(kind: Kind, dir: Option<&Path>) -> Source {
        let origin = match dir {
            Some(d) => Origin::Disk(d.to_owned()),
            None => Origin::Embedded(kind.builtin()),
        };
        Source { kind, origin }
    }

    /// Files built in from `dir` instead of the shipped suite (tests of the built-in path
    /// with files the shipped suite does not have).
    #[cfg(test)]
    pub(crate) fn embedded(kind: Kind, dir: &'static Dir<'static>) -> Source {
        Source {
            kind,
            origin: Origin::Embedded(dir),
        }
    }

    /// The directory files are named under: the one given, or `specs` / `schemas`.
    pub fn root(&self) -> &Path {
        match &self.origin {
            Origin::Disk(d) => d,
            Origin::Embedded(_) => Path::new(self.kind.name()),
        }
    }

    /// The files of this kind, sorted by path. An empty specs directory is an error: a
    /// suite with no case would pass with nothing checked.
    pub fn files(&self) -> Result<Vec<SourceFile>, SourceError> {
        let mut files: Vec<SourceFile> = match &self.origin {
            Origin::Disk(dir) => {
                let mut paths = Vec::new();
                self.collect(dir, &mut paths)
                    .map_err(|source| SourceError::Unreadable {
                        dir: dir.clone(),
                        what: self.kind.name(),
                        source,
                    })?;
                paths.into_iter().map(SourceFile::disk).collect()
            }
            Origin::Embedded(dir) => embedded_files(dir, self.kind.recursive())
                .into_iter()
                .filter(|(rel, _)| self.kind.wanted(rel))
                .map(|(rel, bytes)| SourceFile::embedded(self.root().join(rel), bytes))
                .collect(),
        };
        files.sort_by(|a, b| a.path.cmp(&b.path));
        if files.is_empty() && self.kind == Kind::Specs {
            return Err(SourceError::NoCaseFiles {
                dir: self.root().to_owned(),
                what: self.kind.name(),
            });
        }
        Ok(files)
    }

    /// Wanted files under `dir` on disk.
    fn collect(&self, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            // file_type() does not follow symlinks: a link to a directory is not walked (a
            // `loop -> ..` link would read the parent again and again), nor is a directory
            // named `x.yaml` read as a file.
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if self.kind.recursive() {
                    self.collect(&path, out)?;
                }
            } else if self.kind.wanted(&path) {
                out.push(path);
            }
        }
        Ok(())
    }

    /// A base URI the files' `$ref`s resolve against: the directory's `file://` URI, or a
    /// made-up one for built-in files (nothing is ever fetched from either).
    pub fn base_uri(&self) -> String {
        match &self.origin {
            Origin::Disk(dir) => {
                let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
                format!("file://{}/", abs.display())
            }
            Origin::Embedded(_) => format!(
                "file:///aom-conformance/built-in/{}/",
                self.root().display()
            ),
        }
    }
}

/// In messages: the directory, or "the built-in schemas".
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Disk(d) => write!(f, "{}", d.display()),
            Origin::Embedded(_) => write!(f, "the built-in {}", self.kind.name()),
        }
    }
}

/// One file of a [`Source`], named as messages show it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    path: PathBuf,
    embedded: Option<&'static [u8]>,
}

impl SourceFile {
    /// A file on disk, read when asked.
    pub fn disk(path: PathBuf) -> SourceFile {
        SourceFile {
            path,
            embedded: None,
        }
    }

    fn embedded(path: PathBuf, bytes: &'static [u8]) -> SourceFile {
        SourceFile {
            path,
            embedded: Some(bytes),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's text, within the input limits.
    pub fn read_text(&self) -> Result<String, ReadError> {
        match self.embedded {
            Some(bytes) => limits::decode_text(bytes.to_vec()),
            None => limits::read_text(&self.path),
        }
    }
}

/// Every file of the built-in suite, whatever its extension, as its repository path
/// (`specs/…`, `schemas/…`) and contents: what `suite export` writes.
pub fn builtin_files() -> Vec<(PathBuf, &'static [u8])> {
    [Kind::Specs, Kind::Schemas]
        .into_iter()
        .flat_map(|kind| {
            embedded_files(kind.builtin(), true)
                .into_iter()
                .map(move |(rel, bytes)| (Path::new(kind.name()).join(rel), bytes))
        })
        .collect()
}

/// The files of a built-in directory with their paths relative to it.
fn embedded_files(dir: &'static Dir<'static>, recursive: bool) -> Vec<(PathBuf, &'static [u8])> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in d.entries() {
            match entry {
                DirEntry::File(f) => out.push((f.path().to_owned(), f.contents())),
                DirEntry::Dir(sub) if recursive => stack.push(sub),
                DirEntry::Dir(_) => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_files_are_named_as_in_the_repository() {
        let specs = Source::new(Kind::Specs, None).files().unwrap();
        let names: Vec<String> = specs
            .iter()
            .map(|f| f.path().display().to_string())
            .collect();
        assert!(
            names.contains(&"specs/stop-execution.yaml".to_owned()),
            "{names:?}"
        );
        let schemas = Source::new(Kind::Schemas, None).files().unwrap();
        assert!(
            schemas
                .iter()
                .any(|f| f.path() == Path::new("schemas/aom-error.schema.json")),
            "{schemas:?}"
        );
        let on_disk = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/stop-execution.yaml"),
        )
        .unwrap();
        let built_in = specs
            .iter()
            .find(|f| f.path().ends_with("stop-execution.yaml"))
            .unwrap();
        assert_eq!(built_in.read_text().unwrap(), on_disk);
    }

    #[test]
    fn every_shipped_file_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        for kind in ["specs", "schemas"] {
            for e in std::fs::read_dir(root.join(kind)).unwrap() {
                on_disk.push(Path::new(kind).join(e.unwrap().file_name()));
            }
        }
        on_disk.sort();
        let mut built_in: Vec<PathBuf> = builtin_files().into_iter().map(|(p, _)| p).collect();
        built_in.sort();
        assert_eq!(built_in, on_disk);
    }

    #[test]
    fn a_directory_problem_has_no_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = Source::new(Kind::Specs, Some(&missing))
            .files()
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: cannot read the specs directory: ",
                missing.display()
            )),
            "{text}"
        );
        let e = Source::new(Kind::Specs, Some(dir.path()))
            .files()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: no case files (*.yaml) in the specs directory",
                dir.path().display()
            )
        );
        // An empty schemas directory is no error by itself: a case naming a schema is.
        assert!(
            Source::new(Kind::Schemas, Some(dir.path()))
                .files()
                .unwrap()
                .is_empty()
        );
    }
}
