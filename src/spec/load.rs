//! Reading case files strictly (from a [`Source`]: a directory or the built-in suite),
//! with every problem located at `file:line:col`; also the YAML reading shared with
//! target files ([`parse_yaml`]).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::limits;
use super::locate::{Location, Locator};
use super::model::CaseFile;
use super::source::{Source, SourceError, SourceFile};

/// One located problem in the suite's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub at: Location,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic whose message is cut to [`limits::MAX_MESSAGE_CHARS`]: messages quote
    /// the input, which may be a megabyte long.
    pub fn new(at: Location, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = match limits::clip_message(&message) {
            std::borrow::Cow::Borrowed(_) => message,
            std::borrow::Cow::Owned(clipped) => clipped,
        };
        Diagnostic { at, message }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Every problem found; loading goes on past the first so one run shows them all.
#[derive(Debug, Default, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, at: Location, message: impl Into<String>) {
        self.0.push(Diagnostic::new(at, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Err(self)` when anything was found. A problem in a fixture shows once, not once
    /// per case that uses the fixture.
    pub fn into_result(mut self) -> Result<(), Diagnostics> {
        let mut seen = std::collections::HashSet::new();
        self.0
            .retain(|d| seen.insert((d.at.clone(), d.message.clone())));
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A parsed case file with its source positions.
pub struct SpecFile {
    pub path: PathBuf,
    pub doc: CaseFile,
    pub locator: Locator,
}

/// Why the case files cannot be had: their directory (no location within a file), or
/// every located problem in them.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}")]
    Files(Diagnostics),
}

/// Reads every case file of `source` (in path order), going on past a bad file so one
/// run shows every problem.
pub fn load_specs(source: &Source) -> Result<Vec<SpecFile>, LoadError> {
    let mut diags = Diagnostics::default();
    let sources = source.files()?;
    let mut files = Vec::with_capacity(sources.len());
    for file in &sources {
        match load_file(file) {
            Ok(f) => files.push(f),
            Err(d) => diags.0.push(d),
        }
    }
    diags
        .into_result()
        .map(|()| files)
        .map_err(LoadError::Files)
}

/// Parses one case file.
pub fn load_file(file: &SourceFile) -> Result<SpecFile, Diagnostic> {
    let path = file.path();
    let text = file
        .read_text()
        .map_err(|e| Diagnostic::new(Location::new(path, e.line, e.col), e.message))?;
    let (doc, locator) = parse_yaml_text::<CaseFile>(path, &text)?;
    Ok(SpecFile {
        path: path.to_owned(),
        doc,
        locator,
    })
}

/// Reads a YAML file within the input limits, walks it for locations and structural
/// problems (see [`Locator::new`]), then deserializes it. serde_yaml reports syntax
/// errors, unknown fields and wrong types with a position; that position is moved to the
/// front, rustc style.
pub fn parse_yaml<T: DeserializeOwned>(path: &Path) -> Result<(T, Locator), Diagnostic> {
    let source = limits::read_text(path)
        .map_err(|e| Diagnostic::new(Location::new(path, e.line, e.col), e.message))?;
    parse_yaml_text(path, &source)
}

/// [`parse_yaml`] of text already read (`path` names it in messages).
///
/// The locating walk and serde_yaml read a large file at the same time, on two threads:
/// each is a full YAML parse, and together they were two thirds of a large suite's load.
/// The walk's verdict still comes first, so a file it refuses is reported as before. Only
/// a file without anchors (no `&` anywhere) is read so: serde_yaml must never see an
/// alias bomb the walk refuses, since its own limit counts aliases, not the nodes they
/// expand to (67 KB can expand to gigabytes). Small files (most case files) are read on
/// one thread too: a thread costs more than it saves there.
pub fn parse_yaml_text<T: DeserializeOwned>(
    path: &Path,
    source: &str,
) -> Result<(T, Locator), Diagnostic> {
    let locate =
        || Locator::new(path, source).map_err(|(at, message)| Diagnostic::new(at, message));
    let deserialize = || serde_yaml::from_str(source).map_err(|e| yaml_diagnostic(path, &e));
    if source.len() < PARALLEL_PARSE_BYTES || source.contains('&') {
        let locator = locate()?;
        return Ok((deserialize()?, locator));
    }
    let (locator, doc) = std::thread::scope(|s| {
        let walk = s.spawn(locate);
        let doc = deserialize();
        // A panic in the walk is a bug; resume it rather than hide it.
        let locator = walk.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (locator, doc)
    });
    let locator = locator?;
    Ok((doc?, locator))
}

/// From this size on, [`parse_yaml_text`] runs its two parses on two threads (when the
/// file has no anchors).
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// A serde_yaml error as a located diagnostic. serde_yaml ends messages with " at line L
/// column C"; the location is printed in front instead, rustc style. Backticks around
/// names become quotes, which read better in a terminal.
pub fn yaml_diagnostic(path: &Path, e: &serde_yaml::Error) -> Diagnostic {
    let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    let msg = crate::errors::strip_serde_position(&e.to_string());
    Diagnostic::new(Location::new(path, line, col), msg.replace('`', "\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::locate::Seg;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_field_is_located_at_the_key() {
        let dir = std::env::temp_dir().join(format!("aomc-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = write(
            &dir,
            "x.yaml",
            "operation: X\nmethod: GET\npath: /x\nresponses: {200: {}}\ncases:\n  - name: a\n    expect:\n      staus: 200\n",
        );
        let err = load_file(&SourceFile::disk(p)).err().expect("must fail");
        assert_eq!((err.at.line, err.at.col), (8, 7), "{err}");
        assert!(err.message.contains("unknown field \"staus\""), "{err}");
        assert!(err.message.contains("expected one of"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A file past [`PARALLEL_PARSE_BYTES`] (parsed on two threads) reads as a small one
    /// does, and the walk's verdict still comes before serde_yaml's.
    #[test]
    fn large_files_read_alike_and_the_walk_speaks_first() {
        let head = "operation: X\nmethod: GET\npath: /x\nresponses: {200: {}}\ncases:\n";
        let case = |i: usize| format!("  - name: case {i}\n    expect: {{ status: 200 }}\n");
        let mut big = head.to_owned();
        let mut i = 0;
        while big.len() <= PARALLEL_PARSE_BYTES {
            big.push_str(&case(i));
            i += 1;
        }
        let at = |p: &str, text: &str| {
            parse_yaml_text::<CaseFile>(Path::new(p), text).map(|(doc, loc)| {
                let last = [Seg::from("cases"), Seg::from(doc.cases.len() - 1)];
                (doc.cases.len(), loc.value(&last))
            })
        };
        let (n, last) = at("big.yaml", &big).expect("a valid large file");
        assert_eq!(n, i);
        assert_eq!((last.line, last.col), (5 + 2 * i - 1, 5));

        // serde_yaml would refuse the unknown field at line 7; the walk refuses the
        // repeated key further down first, as on one thread.
        let bad = big.replacen("expect: { status: 200 }", "expect: { staus: 200 }", 2)
            + "  - name: dup\n    name: dup\n";
        let err = at("big.yaml", &bad).expect_err("must fail");
        assert!(err.message.contains("duplicate key \"name\""), "{err}");
        assert_eq!(err.at.line, 5 + 2 * i + 2, "{err}");
        let typo = big.replacen("status", "staus", 1);
        let err = at("big.yaml", &typo).expect_err("must fail");
        assert_eq!((err.at.line, err.at.col), (7, 15), "{err}");
        assert!(err.message.contains("unknown field \"staus\""), "{err}");
    }
}
