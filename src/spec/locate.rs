//! Source locations for YAML nodes.
//!
//! serde gives us typed values but no spans, so every case file is also walked once with
//! yaml-rust2's event parser, recording where each node starts. Errors found after
//! deserialization (an unknown variable, a missing schema file, an undocumented status)
//! are then reported at `file:line:col` like rustc does.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A position in a source file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl Location {
    pub fn new(file: impl Into<PathBuf>, line: usize, col: usize) -> Self {
        Location {
            file: file.into(),
            line,
            col,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One step of a path into a YAML document: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(key: &str) -> Self {
        Seg::Key(key.to_owned())
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Where every node of one YAML document starts. For a mapping entry the position of its
/// *key* is kept as well, since "unknown field" style messages point at the key.
#[derive(Debug, Default)]
pub struct Locator {
    file: PathBuf,
    values: HashMap<Vec<Seg>, (usize, usize)>,
    keys: HashMap<Vec<Seg>, (usize, usize)>,
}

impl Locator {
    /// Walks `source`. A document the event parser rejects yields an empty locator: the
    /// serde pass reports syntax errors with their own location.
    pub fn new(file: &Path, source: &str) -> Self {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(source);
        let _ = parser.load(&mut walker, false);
        Locator {
            file: file.to_owned(),
            values: walker.values,
            keys: walker.keys,
        }
    }

    /// The location of the node at `path`, or of its nearest ancestor that exists.
    pub fn value(&self, path: &[Seg]) -> Location {
        self.find(path, &self.values)
    }

    /// The location of the key of the mapping entry at `path` (falls back to the value).
    pub fn key(&self, path: &[Seg]) -> Location {
        match self.keys.get(path) {
            Some(&(line, col)) => Location::new(&self.file, line, col),
            None => self.value(path),
        }
    }

    fn find(&self, path: &[Seg], map: &HashMap<Vec<Seg>, (usize, usize)>) -> Location {
        let mut path = path.to_vec();
        loop {
            if let Some(&(line, col)) = map.get(&path) {
                return Location::new(&self.file, line, col);
            }
            if path.pop().is_none() {
                return Location::new(&self.file, 1, 1);
            }
        }
    }
}

enum Frame {
    /// `first` is true until the first key is seen: a block mapping's start marker lies
    /// past its first key, so the first key's position stands for the mapping.
    Map {
        pending_key: Option<String>,
        first: bool,
    },
    Seq {
        next: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    path: Vec<Seg>,
    values: HashMap<Vec<Seg>, (usize, usize)>,
    keys: HashMap<Vec<Seg>, (usize, usize)>,
}

impl Walker {
    /// Decides where the node that starts now sits. Returns `None` when the node is a
    /// mapping key rather than a value.
    fn enter(&mut self) -> Option<Vec<Seg>> {
        match self.stack.last_mut() {
            None => Some(Vec::new()),
            Some(Frame::Seq { next }) => {
                let mut p = self.path.clone();
                p.push(Seg::Index(*next));
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { pending_key, .. }) => pending_key.take().map(|k| {
                let mut p = self.path.clone();
                p.push(Seg::Key(k));
                p
            }),
        }
    }
}

fn pos(mark: Marker) -> (usize, usize) {
    // yaml-rust2 markers: 1-based lines, 0-based columns.
    (mark.line(), mark.col() + 1)
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => match self.enter() {
                Some(p) => {
                    self.values.insert(p, pos(mark));
                }
                None => {
                    if let Some(Frame::Map { pending_key, first }) = self.stack.last_mut() {
                        if std::mem::take(first) {
                            self.values.insert(self.path.clone(), pos(mark));
                        }
                        let mut p = self.path.clone();
                        p.push(Seg::Key(value.clone()));
                        self.keys.insert(p, pos(mark));
                        *pending_key = Some(value);
                    }
                }
            },
            Event::Alias(_) => {
                if let Some(p) = self.enter() {
                    self.values.insert(p, pos(mark));
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                // A complex (non-scalar) key: give it a placeholder name so the walk
                // stays balanced; case files never use them.
                let p = self.enter().unwrap_or_else(|| {
                    let mut p = self.path.clone();
                    p.push(Seg::Key(String::from("?")));
                    p
                });
                self.values.insert(p.clone(), pos(mark));
                self.path = p;
                self.stack.push(if is_map {
                    Frame::Map {
                        pending_key: None,
                        first: true,
                    }
                } else {
                    Frame::Seq { next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.path.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_values_in_block_and_flow_style() {
        let src = "operation: X\ncases:\n  - name: a\n    expect:\n      status: 200\n  - {name: b, expect: {status: 404}}\n";
        let loc = Locator::new(Path::new("f.yaml"), src);
        let at = |p: &[Seg]| {
            let l = loc.value(p);
            (l.line, l.col)
        };
        assert_eq!(at(&["operation".into()]), (1, 12));
        assert_eq!(at(&["cases".into(), 0.into()]), (3, 5));
        assert_eq!(
            at(&["cases".into(), 0.into(), "expect".into(), "status".into()]),
            (5, 15)
        );
        let k = loc.key(&["cases".into(), 0.into(), "expect".into(), "status".into()]);
        assert_eq!((k.line, k.col), (5, 7));
        assert_eq!(
            at(&["cases".into(), 1.into(), "expect".into(), "status".into()]),
            (6, 32)
        );
        // A missing node falls back to its nearest ancestor.
        assert_eq!(at(&["cases".into(), 1.into(), "nope".into()]), (6, 6));
    }
}
