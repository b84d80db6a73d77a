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
use super::tree;

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

/// Reads a YAML file within the input limits and parses it once: the walk finds every
/// node's location and the structural problems (see [`Locator::parse`]) while it builds the
/// tree that serde then reads the values from ([`super::tree`]). Unknown fields and wrong
/// types are located at their node, rustc style.
pub fn parse_yaml<T: DeserializeOwned>(path: &Path) -> Result<(T, Locator), Diagnostic> {
    let source = limits::read_text(path)
        .map_err(|e| Diagnostic::new(Location::new(path, e.line, e.col), e.message))?;
    parse_yaml_text(path, &source)
}

/// [`parse_yaml`] of text already read (`path` names it in messages).
pub fn parse_yaml_text<T: DeserializeOwned>(
    path: &Path,
    source: &str,
) -> Result<(T, Locator), Diagnostic> {
    let (locator, root) =
        Locator::parse(path, source).map_err(|(at, message)| Diagnostic::new(at, message))?;
    let doc = tree::from_tree(root).map_err(|e| value_diagnostic(path, &e))?;
    Ok((doc, locator))
}

/// A value serde could not read, as a located diagnostic. Backticks around names (serde
/// writes them) become quotes, which read better in a terminal.
fn value_diagnostic(path: &Path, e: &tree::Error) -> Diagnostic {
    let (line, col) = e.at();
    Diagnostic::new(
        Location::new(path, line, col),
        e.to_string().replace('`', "\""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A model exercising what case files use: strings, numbers, options, lists, JSON.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: String,
        #[serde(default)]
        n: u16,
        #[serde(default)]
        body: Option<serde_json::Value>,
        #[serde(default)]
        list: Vec<String>,
    }

    fn read(src: &str) -> Result<Doc, Diagnostic> {
        parse_yaml_text::<Doc>(Path::new("f.yaml"), src).map(|(doc, _)| doc)
    }

    fn at(d: &Diagnostic) -> (usize, usize) {
        (d.at.line, d.at.col)
    }

    #[test]
    fn values_are_typed_as_serde_yaml_typed_them() {
        let d = read(concat!(
            "name: 5\n",
            "n: 0x1F\n",
            "body: {a: ~, b: true, c: 0x1F, d: -0o17, e: 007, f: 1.5, g: \"7\", h: [1, -2], i: '', j: +3}\n",
            "list: [a, 2, 'b', null]\n",
        ))
        .unwrap();
        assert_eq!((d.name.as_str(), d.n), ("5", 31));
        assert_eq!(
            d.body.unwrap(),
            serde_json::json!({"a": null, "b": true, "c": 31, "d": -15, "e": "007", "f": 1.5,
                "g": "7", "h": [1, -2], "i": "", "j": 3})
        );
        assert_eq!(d.list, ["a", "2", "b", "null"]);
        // Aliases are copies of their anchored node.
        let d = read("name: &n x\nlist: [*n, *n]\n").unwrap();
        assert_eq!(d.list, ["x", "x"]);
    }

    #[test]
    fn value_errors_name_the_path_and_sit_at_their_node() {
        let e = read("name: a\nlist:\n  - x\n  - [y]\n").unwrap_err();
        assert_eq!(at(&e), (4, 5));
        assert_eq!(
            e.message,
            "list[1]: invalid type: sequence, expected a string"
        );
        let e = read("name: a\nnme: b\n").unwrap_err();
        assert_eq!(at(&e), (2, 1));
        assert!(
            e.message
                .starts_with("unknown field \"nme\", expected one of"),
            "{e}"
        );
        // A missing field: the mapping, which starts where its first key does.
        let e = read("\n\n  n: 7\n").unwrap_err();
        assert_eq!(
            (at(&e), e.message.as_str()),
            ((3, 3), "missing field \"name\"")
        );
        // `n:` and nothing: right after the colon, not at the next line's key.
        let e = read("name: a\nn:\nlist: []\n").unwrap_err();
        assert_eq!(at(&e), (2, 3));
        assert_eq!(e.message, "n: invalid type: unit value, expected u16");
        // A flow mapping starts at its brace.
        let e = read("name: a\nbody: 1\nlist: {a: 1}\n").unwrap_err();
        assert_eq!(at(&e), (3, 7));
        // No document at all: where the file ends.
        let e = read("# nothing\n").unwrap_err();
        assert_eq!(
            (at(&e), e.message.as_str()),
            ((2, 1), "missing field \"name\"")
        );
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
}
