//! Source locations for YAML nodes.
//!
//! serde gives us typed values but no spans, so every case file is also walked once with
//! yaml-rust2's event parser, recording where each node starts. Errors found after
//! deserialization (an unknown variable, a missing schema file, an undocumented status)
//! are then reported at `file:line:col` like rustc does.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A position in a source file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
///
/// Loading records only the shallow nodes every case needs (cases, their names, setup
/// steps); deeper nodes are only wanted for error messages, so the full walk happens on
/// the first deep lookup. A 10,000-case suite loads without hashing every leaf.
#[derive(Debug)]
pub struct Locator {
    file: PathBuf,
    source: String,
    shallow: Maps,
    full: OnceLock<Maps>,
}

/// Paths up to this many segments are recorded when a file is loaded
/// (`cases.3.setup.1` is 4).
const EAGER_DEPTH: usize = 4;

/// A line and column.
type Pos = (usize, usize);

/// A key that repeats in its mapping: the key, where it repeats, where it first was.
type Duplicate = (String, Pos, Pos);

#[derive(Debug, Default)]
struct Maps {
    values: HashMap<Vec<Seg>, (usize, usize)>,
    keys: HashMap<Vec<Seg>, (usize, usize)>,
    /// Keys that repeat in their mapping.
    duplicates: Vec<Duplicate>,
}

impl Maps {
    /// Walks `source`, recording nodes up to `max_depth` segments deep. A document the
    /// event parser rejects yields what was seen before the error: the serde pass
    /// reports syntax errors with their own location.
    fn walk(source: &str, max_depth: usize) -> Maps {
        let mut walker = Walker {
            max_depth,
            ..Walker::default()
        };
        let mut parser = Parser::new_from_str(source);
        let _ = parser.load(&mut walker, false);
        walker.maps
    }
}

impl Locator {
    pub fn new(file: &Path, source: &str) -> Self {
        Locator {
            file: file.to_owned(),
            source: source.to_owned(),
            shallow: Maps::walk(source, EAGER_DEPTH),
            full: OnceLock::new(),
        }
    }

    fn maps(&self, path: &[Seg]) -> &Maps {
        if path.len() <= EAGER_DEPTH {
            &self.shallow
        } else {
            self.full
                .get_or_init(|| Maps::walk(&self.source, usize::MAX))
        }
    }

    /// The first key that repeats within one mapping. YAML parsers keep the last value
    /// silently (serde_yaml reports struct fields only, without a position), which would
    /// let a second `200:` quietly replace the first.
    pub fn first_duplicate(&self) -> Option<(Location, String)> {
        self.shallow.duplicates.first().map(|(key, at, first)| {
            (
                Location::new(&self.file, at.0, at.1),
                format!(
                    "duplicate key \"{key}\" (first at line {}, column {})",
                    first.0, first.1
                ),
            )
        })
    }

    /// The location of the node at `path`, or of its nearest ancestor that exists.
    pub fn value(&self, path: &[Seg]) -> Location {
        let map = &self.maps(path).values;
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

    /// The location of the key of the mapping entry at `path` (falls back to the value).
    pub fn key(&self, path: &[Seg]) -> Location {
        match self.maps(path).keys.get(path) {
            Some(&(line, col)) => Location::new(&self.file, line, col),
            None => self.value(path),
        }
    }
}

enum Frame {
    /// `first` is true until the first key is seen: a block mapping's start marker lies
    /// past its first key, so the first key's position stands for the mapping.
    Map {
        pending_key: Option<String>,
        first: bool,
        /// Keys seen so far, with their position.
        seen: HashMap<String, (usize, usize)>,
    },
    Seq {
        next: usize,
    },
}

#[derive(Default)]
struct Walker {
    max_depth: usize,
    /// Per open collection: whether it is a (complex) mapping key.
    complex_key: Vec<bool>,
    /// Anchored scalars by anchor id, to read `*alias` keys.
    anchors: HashMap<usize, String>,
    /// How many open collections pushed no path segment (only the root).
    rootless: usize,
    stack: Vec<Frame>,
    path: Vec<Seg>,
    maps: Maps,
}

impl Walker {
    /// The segment of the node that starts now, or `None` when the node is a mapping key
    /// rather than a value (or the document root).
    fn enter(&mut self) -> Option<Seg> {
        match self.stack.last_mut() {
            None => None,
            Some(Frame::Seq { next }) => {
                *next += 1;
                Some(Seg::Index(*next - 1))
            }
            Some(Frame::Map { pending_key, .. }) => pending_key.take().map(Seg::Key),
        }
    }

    fn record_value(&mut self, at: (usize, usize)) {
        if self.path.len() <= self.max_depth {
            self.maps.values.insert(self.path.clone(), at);
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
            Event::Scalar(value, _, anchor, _) => {
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                if self.at_key() {
                    self.key(value, pos(mark));
                } else if let Some(seg) = self.enter() {
                    self.path.push(seg);
                    self.record_value(pos(mark));
                    self.path.pop();
                } else {
                    self.record_value(pos(mark));
                }
            }
            Event::Alias(anchor) if self.at_key() => {
                // `*k :` as a key: it is the anchored scalar's text, and may repeat a key.
                let value = self
                    .anchors
                    .get(&anchor)
                    .cloned()
                    .unwrap_or_else(|| "*".into());
                self.key(value, pos(mark));
            }
            Event::Alias(_) => {
                if let Some(seg) = self.enter() {
                    self.path.push(seg);
                    self.record_value(pos(mark));
                    self.path.pop();
                }
            }
            _ => self.structure(ev, mark),
        }
    }
}

impl Walker {
    /// Whether the next node is a mapping key.
    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    /// A scalar (or aliased) key of the current mapping.
    fn key(&mut self, value: String, at: Pos) {
        let deep = self.path.len() + 1 > self.max_depth;
        let shallow_enough = self.path.len() <= self.max_depth;
        if let Some(Frame::Map {
            pending_key,
            first,
            seen,
        }) = self.stack.last_mut()
        {
            if let Some(prev) = seen.insert(value.clone(), at) {
                self.maps.duplicates.push((value.clone(), at, prev));
            }
            let first = std::mem::take(first);
            *pending_key = Some(value.clone());
            if first && shallow_enough {
                self.maps.values.insert(self.path.clone(), at);
            }
            if !deep {
                let mut p = self.path.clone();
                p.push(Seg::Key(value));
                self.maps.keys.insert(p, at);
            }
        }
    }

    /// Collection starts and ends.
    fn structure(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let is_key = self.at_key();
                self.complex_key.push(is_key);
                // A complex (non-scalar) key gets a placeholder name so the walk stays
                // balanced; case files never use them.
                let seg = if is_key {
                    Some(Seg::Key(String::from("?")))
                } else {
                    self.enter()
                };
                // The root has no segment; every other node pushes one, popped at its end.
                self.path.extend(seg.clone());
                self.record_value(pos(mark));
                self.stack.push(if is_map {
                    Frame::Map {
                        pending_key: None,
                        first: true,
                        seen: HashMap::new(),
                    }
                } else {
                    Frame::Seq { next: 0 }
                });
                if seg.is_none() {
                    self.rootless += 1;
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                if self.stack.len() < self.rootless {
                    self.rootless -= 1;
                } else {
                    self.path.pop();
                }
                // After a complex key comes its value, not another key.
                if self.complex_key.pop() == Some(true) {
                    if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                        *pending_key = Some(String::from("?"));
                    }
                }
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
        // Deeper than the eager walk: found by the full walk on demand.
        let src = "cases:\n  - request:\n      body:\n        a:\n          b: \"{{x}}\"\n";
        let deep = Locator::new(Path::new("g.yaml"), src);
        let p: Vec<Seg> = vec![
            "cases".into(),
            0.into(),
            "request".into(),
            "body".into(),
            "a".into(),
            "b".into(),
        ];
        let l = deep.value(&p);
        assert_eq!((l.line, l.col), (5, 14));
        let k = deep.key(&p);
        assert_eq!((k.line, k.col), (5, 11));
        // An aliased key that repeats another is a duplicate; a complex key does not
        // shift what follows.
        let src = "responses:\n  &k 200: {a: 1}\n  *k : {b: 2}\n  404: {}\n";
        let l = Locator::new(Path::new("h.yaml"), src);
        let (dup, msg) = l.first_duplicate().expect("duplicate");
        assert_eq!(
            (dup.line, dup.col, msg.as_str()),
            (3, 3, "duplicate key \"200\" (first at line 2, column 6)")
        );
        let src = "m:\n  ? [a, b]\n  : x\n  k: v\n";
        let l = Locator::new(Path::new("i.yaml"), src);
        let k = l.key(&["m".into(), "k".into()]);
        assert_eq!((k.line, k.col), (4, 3));
        assert!(l.first_duplicate().is_none());
        // A missing node falls back to its nearest ancestor.
        assert_eq!(at(&["cases".into(), 1.into(), "nope".into()]), (6, 6));
    }
}
