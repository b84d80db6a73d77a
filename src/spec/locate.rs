//! Source locations for YAML nodes, and the structural checks made while finding them.
//!
//! serde gives us typed values but no spans, so every case file (and target file) is
//! first walked once with yaml-rust2's event parser, recording where each node starts.
//! Errors found after deserialization (an unknown variable, a missing schema file, an
//! undocumented status) are then reported at `file:line:col` like rustc does.
//!
//! The same walk refuses, before serde sees the file, what serde would accept silently
//! or pay dearly for: a key repeated in one mapping, YAML tags, a second document,
//! nesting deeper than [`MAX_YAML_DEPTH`], and aliases expanding beyond
//! [`MAX_YAML_NODES`] (serde_yaml allows 100 alias expansions per event: megabytes from
//! kilobytes). It stops at the first problem, so its cost is linear in the file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::Marker;

use super::limits::{MAX_YAML_DEPTH, MAX_YAML_NODES};

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

/// One step of a path into a YAML document: a mapping key or a sequence index. A key
/// written in the code is borrowed, not copied: planning builds a path for every place
/// that might need a location, and nearly all of them never do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(Cow<'static, str>),
    Index(usize),
}

impl From<&'static str> for Seg {
    fn from(key: &'static str) -> Self {
        Seg::Key(Cow::Borrowed(key))
    }
}

impl From<String> for Seg {
    fn from(key: String) -> Self {
        Seg::Key(Cow::Owned(key))
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
/// Paths are kept as 64-bit hashes, built segment by segment while walking: memory stays
/// proportional to the number of nodes however deep they are (a path cloned per node
/// would be quadratic in the depth). A collision could only misplace an error message.
/// One entry per node (16 bytes), keyed by that hash with a cheap hasher: a 10,000-case
/// file has some 300,000 nodes, and this map is built for every file read.
#[derive(Debug)]
pub struct Locator {
    file: PathBuf,
    spots: Spots,
}

/// A line and column.
type Pos = (usize, usize);

/// Where one node is: its value, and its key when it is a mapping entry. Line 0: unknown.
#[derive(Debug, Default, Clone, Copy)]
struct Spot {
    value: (u32, u32),
    key: (u32, u32),
}

/// The node at each path hash. The keys are hashes already: folding them once more is
/// all the map needs.
type Spots = HashMap<PathHash, Spot, foldhash::fast::FixedState>;

/// The hash of a path from the document root.
type PathHash = u64;

/// The document root's path (no segments).
const ROOT: PathHash = 0;

/// What the walk refuses, and where.
type Refusal = (Pos, String);

/// The hash of the child of `parent` at a mapping key or a sequence index, without
/// building a [`Seg`] (a key is hashed from the parser's own text).
fn child_at(parent: PathHash, key: Option<&str>, index: usize) -> PathHash {
    // Deterministic and of good quality: paths from different documents never meet, but
    // within one, distinct paths must not collide.
    const PATHS: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(0);
    match key {
        Some(k) => PATHS.hash_one((parent, 0u8, k)),
        None => PATHS.hash_one((parent, 1u8, index)),
    }
}

fn child(parent: PathHash, seg: &Seg) -> PathHash {
    match seg {
        Seg::Key(k) => child_at(parent, Some(k), 0),
        Seg::Index(i) => child_at(parent, None, *i),
    }
}

/// A position as stored (lines and columns past 4 billion are clamped: no file within
/// the input limits has them).
fn small((line, col): Pos) -> (u32, u32) {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (clamp(line), clamp(col))
}

fn known(pos: (u32, u32)) -> Option<Pos> {
    (pos.0 > 0).then_some((pos.0 as usize, pos.1 as usize))
}

impl Locator {
    /// Walks `source`. The first structural problem (see the module docs) or syntax error
    /// ends the walk and is returned, located; serde must not see such a file.
    pub fn new(file: &Path, source: &str) -> Result<Self, (Location, String)> {
        let mut walker = Walker::default();
        walker
            .walk(source)
            .map_err(|((line, col), message)| (Location::new(file, line, col), message))?;
        Ok(Locator {
            file: file.to_owned(),
            spots: walker.spots,
        })
    }

    /// The location of the node at `path`, or of its nearest ancestor that exists.
    pub fn value(&self, path: &[Seg]) -> Location {
        let mut hash = ROOT;
        let mut found = self.value_at(ROOT);
        for seg in path {
            hash = child(hash, seg);
            found = self.value_at(hash).or(found);
        }
        let (line, col) = found.unwrap_or((1, 1));
        Location::new(&self.file, line, col)
    }

    /// The location of the key of the mapping entry at `path` (falls back to the value).
    pub fn key(&self, path: &[Seg]) -> Location {
        let hash = path.iter().fold(ROOT, child);
        match self.spots.get(&hash).and_then(|s| known(s.key)) {
            Some((line, col)) => Location::new(&self.file, line, col),
            None => self.value(path),
        }
    }

    fn value_at(&self, hash: PathHash) -> Option<Pos> {
        self.spots.get(&hash).and_then(|s| known(s.value))
    }
}

enum Kind {
    /// `first` is true until the first key is seen: a block mapping's start marker lies
    /// past its first key, so the first key's position stands for the mapping.
    Map {
        /// The path of the value that comes next, once its key has been read.
        pending: Option<PathHash>,
        first: bool,
        /// Keys seen so far, with their position.
        seen: HashMap<String, Pos>,
    },
    Seq {
        next: usize,
    },
}

/// One open collection.
struct Frame {
    kind: Kind,
    hash: PathHash,
    /// A (complex) mapping key rather than a value.
    is_key: bool,
    /// Its anchor id (0: none), and the node count when it opened: its expanded size is
    /// known when it closes.
    anchor: usize,
    opened_at: usize,
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    /// Anchored scalars by anchor id, to read `*alias` keys.
    scalars: HashMap<usize, String>,
    /// The expanded node count of every complete anchored node.
    sizes: HashMap<usize, usize>,
    /// Nodes so far, aliases expanded.
    nodes: usize,
    aliased: bool,
    documents: usize,
    spots: Spots,
}

impl Walker {
    fn set_value(&mut self, hash: PathHash, at: Pos) {
        self.spots.entry(hash).or_default().value = small(at);
    }

    fn set_key(&mut self, hash: PathHash, at: Pos) {
        self.spots.entry(hash).or_default().key = small(at);
    }
}

fn pos(mark: Marker) -> Pos {
    // yaml-rust2 markers: 1-based lines, 0-based columns.
    (mark.line(), mark.col() + 1)
}

impl Walker {
    /// Drives the parser one event at a time (its own `load` recurses once per level,
    /// and could not be stopped early).
    fn walk(&mut self, source: &str) -> Result<(), Refusal> {
        let mut parser = Parser::new_from_str(source);
        loop {
            let (ev, mark) = parser.next_token().map_err(|e| {
                // The scanner's own limit (255 flow levels) can trip while it reads ahead,
                // before this walk sees the 65th level: the same problem, said the same way.
                let info = match e.info() {
                    "recursion limit exceeded" => too_deep(),
                    info => info.to_owned(),
                };
                (pos(*e.marker()), info)
            })?;
            let at = pos(mark);
            match ev {
                Event::StreamEnd => return Ok(()),
                Event::DocumentStart => self.document(at)?,
                Event::Scalar(value, _, anchor, tag) => {
                    refuse_tag(tag.as_ref(), at)?;
                    self.count(1, at)?;
                    if anchor > 0 {
                        self.scalars.insert(anchor, value.clone());
                        self.sizes.insert(anchor, 1);
                    }
                    self.scalar(value, at)?;
                }
                Event::Alias(anchor) => self.alias(anchor, at)?,
                Event::MappingStart(anchor, tag) => {
                    refuse_tag(tag.as_ref(), at)?;
                    self.open(true, anchor, at)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    refuse_tag(tag.as_ref(), at)?;
                    self.open(false, anchor, at)?;
                }
                Event::MappingEnd | Event::SequenceEnd => self.close(),
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            }
        }
    }

    /// serde reads one document, but would parse every later one to say so.
    fn document(&mut self, at: Pos) -> Result<(), Refusal> {
        self.documents += 1;
        if self.documents > 1 {
            return Err((
                at,
                "a second YAML document starts here: a file holds one document".into(),
            ));
        }
        Ok(())
    }

    /// Counts `n` more nodes against [`MAX_YAML_NODES`].
    fn count(&mut self, n: usize, at: Pos) -> Result<(), Refusal> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes <= MAX_YAML_NODES {
            return Ok(());
        }
        let what = if self.aliased {
            "with its aliases expanded, this file holds"
        } else {
            "this file holds"
        };
        Err((
            at,
            format!("{what} more than {MAX_YAML_NODES} YAML nodes, the most a file may hold"),
        ))
    }

    /// Whether the next node is a mapping key.
    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Map { pending: None, .. },
                ..
            })
        )
    }

    /// The path of the value node that starts now (the caller checked it is no key).
    fn enter_value(&mut self) -> PathHash {
        let Some(frame) = self.stack.last_mut() else {
            return ROOT;
        };
        match &mut frame.kind {
            Kind::Seq { next } => {
                *next += 1;
                child_at(frame.hash, None, *next - 1)
            }
            Kind::Map { pending, .. } => pending.take().unwrap_or(frame.hash),
        }
    }

    fn scalar(&mut self, value: String, at: Pos) -> Result<(), Refusal> {
        if self.at_key() {
            return self.key(value, at);
        }
        let hash = self.enter_value();
        self.set_value(hash, at);
        Ok(())
    }

    fn alias(&mut self, anchor: usize, at: Pos) -> Result<(), Refusal> {
        // An anchored collection's size is known when it closes; an alias inside it
        // would repeat it inside itself, forever.
        let size = self.sizes.get(&anchor).copied().ok_or_else(|| {
            (
                at,
                "this alias refers to a node that contains it, which never ends".to_owned(),
            )
        })?;
        self.aliased = true;
        self.count(size, at)?;
        if self.at_key() {
            // `*k :` as a key: it is the anchored scalar's text, and may repeat a key.
            let text = self
                .scalars
                .get(&anchor)
                .cloned()
                .unwrap_or_else(|| "*".into());
            return self.key(text, at);
        }
        let hash = self.enter_value();
        self.set_value(hash, at);
        Ok(())
    }

    /// A scalar (or aliased) key of the current mapping. YAML parsers keep the last of a
    /// repeated key silently (serde_yaml reports struct fields only, without a
    /// position), which would let a second `200:` quietly replace the first.
    fn key(&mut self, text: String, at: Pos) -> Result<(), Refusal> {
        let Some(frame) = self.stack.last_mut() else {
            return Ok(());
        };
        let Kind::Map {
            pending,
            first,
            seen,
        } = &mut frame.kind
        else {
            return Ok(());
        };
        let hash = child_at(frame.hash, Some(&text), 0);
        if let Some(prev) = seen.get(&text) {
            return Err((
                at,
                format!(
                    "duplicate key \"{text}\" (first at line {}, column {})",
                    prev.0, prev.1
                ),
            ));
        }
        seen.insert(text, at);
        *pending = Some(hash);
        let (was_first, frame_hash) = (std::mem::take(first), frame.hash);
        if was_first {
            self.set_value(frame_hash, at);
        }
        self.set_key(hash, at);
        Ok(())
    }

    fn open(&mut self, is_map: bool, anchor: usize, at: Pos) -> Result<(), Refusal> {
        if self.stack.len() >= MAX_YAML_DEPTH {
            return Err((at, too_deep()));
        }
        let opened_at = self.nodes;
        self.count(1, at)?;
        let is_key = self.at_key();
        // A complex (non-scalar) key gets a placeholder name so the walk stays
        // balanced; case files never use them.
        let hash = match self.stack.last() {
            Some(parent) if is_key => child_at(parent.hash, Some("?"), 0),
            _ => self.enter_value(),
        };
        self.set_value(hash, at);
        let kind = if is_map {
            Kind::Map {
                pending: None,
                first: true,
                seen: HashMap::new(),
            }
        } else {
            Kind::Seq { next: 0 }
        };
        self.stack.push(Frame {
            kind,
            hash,
            is_key,
            anchor,
            opened_at,
        });
        Ok(())
    }

    fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if frame.anchor > 0 {
            self.sizes
                .insert(frame.anchor, self.nodes - frame.opened_at);
        }
        // After a complex key comes its value, not another key.
        if frame.is_key {
            if let Some(Frame {
                kind: Kind::Map { pending, .. },
                hash,
                ..
            }) = self.stack.last_mut()
            {
                *pending = Some(child_at(*hash, Some("?"), 0));
            }
        }
    }
}

fn too_deep() -> String {
    format!("nested more than {MAX_YAML_DEPTH} levels deep, the most a file may nest")
}

/// Tags (`!foo`, `!!binary`) would be ignored or half-honoured by serde: refused.
fn refuse_tag(tag: Option<&Tag>, at: Pos) -> Result<(), Refusal> {
    match tag {
        None => Ok(()),
        Some(t) => Err((
            at,
            format!(
                "YAML tag \"{}{}\" is not supported: write the value plainly (quote it to make it a string)",
                t.handle, t.suffix
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate(src: &str) -> Locator {
        Locator::new(Path::new("f.yaml"), src).expect("walks")
    }

    /// The refusal of `src`: line, column, message.
    fn refusal(src: &str) -> (usize, usize, String) {
        let (at, msg) = Locator::new(Path::new("f.yaml"), src).expect_err("refused");
        (at.line, at.col, msg)
    }

    #[test]
    fn finds_keys_and_values_in_block_and_flow_style() {
        let src = "operation: X\ncases:\n  - name: a\n    expect:\n      status: 200\n  - {name: b, expect: {status: 404}}\n";
        let loc = locate(src);
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
        let src = "cases:\n  - request:\n      body:\n        a:\n          b: \"{{x}}\"\n";
        let deep = locate(src);
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
        // A complex key does not shift what follows.
        let l = locate("m:\n  ? [a, b]\n  : x\n  k: v\n");
        let k = l.key(&["m".into(), "k".into()]);
        assert_eq!((k.line, k.col), (4, 3));
        // A missing node falls back to its nearest ancestor.
        assert_eq!(at(&["cases".into(), 1.into(), "nope".into()]), (6, 6));
    }

    #[test]
    fn repeated_keys_tags_and_second_documents_are_refused() {
        // An aliased key that repeats another is a duplicate too.
        let src = "responses:\n  &k 200: {a: 1}\n  *k : {b: 2}\n  404: {}\n";
        assert_eq!(
            refusal(src),
            (
                3,
                3,
                "duplicate key \"200\" (first at line 2, column 6)".into()
            )
        );
        // (yaml-rust2 marks a tagged scalar where its text starts.)
        let (line, col, msg) = refusal("responses:\n  !foo 200: {}\n");
        assert_eq!((line, col), (2, 8));
        assert!(
            msg.starts_with("YAML tag \"!foo\" is not supported"),
            "{msg}"
        );
        let (line, _, msg) = refusal("a: 1\n---\nb: 2\n");
        assert_eq!(line, 2);
        assert!(msg.contains("a second YAML document"), "{msg}");
    }

    #[test]
    fn deep_nesting_and_alias_bombs_stop_the_walk_early() {
        // Refused at the first level too many, not parsed to the end.
        let deep = format!("a: {}1{}\n", "[".repeat(100), "]".repeat(100));
        let (line, col, msg) = refusal(&deep);
        assert_eq!((line, col), (1, 4 + MAX_YAML_DEPTH - 1));
        assert!(msg.starts_with("nested more than 64 levels deep"), "{msg}");
        // Deeper still: the scanner, reading ahead, stops at its own limit (255).
        for deep in [
            format!("a: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("{}1\n", "- ".repeat(100_000)),
        ] {
            let (line, _, msg) = refusal(&deep);
            assert_eq!(line, 1);
            assert!(msg.starts_with("nested more than 64 levels deep"), "{msg}");
        }
        // Each level ten aliases of the one before: 10^9 nodes from 200 bytes.
        let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "l{i}: &l{i} [{}]\n",
                vec![format!("*l{}", i - 1); 10].join(", ")
            ));
        }
        let (line, _, msg) = refusal(&bomb);
        assert_eq!(line, 6, "{msg}");
        assert!(
            msg.starts_with("with its aliases expanded, this file holds more than 1000000"),
            "{msg}"
        );
        // An alias inside the node it names.
        let (line, col, msg) = refusal("a: &a [1, *a]\n");
        assert_eq!((line, col), (1, 11));
        assert!(msg.contains("refers to a node that contains it"), "{msg}");
    }
}
