//! A YAML document as a tree of [`Node`]s, built by the walk that locates its nodes
//! (`spec/locate.rs`), and serde reading typed values from it: every file is parsed once.
//!
//! Values read as serde_yaml read them (the YAML 1.2 core schema: `~`/`null`/empty is
//! null, `true`/`false`, decimal, `0x`/`0o`/`0b` and signed integers, floats with `.inf` and
//! `.nan`; quoted scalars are always strings; any scalar reads as a string where one is
//! wanted; an enum is a scalar naming its variant), and the messages are serde's own. An
//! error carries the position of the innermost node it concerns: a key for an unknown
//! field, the value for a wrong type, the mapping for a missing field.

use std::collections::HashMap;
use std::fmt;
use std::num::ParseIntError;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, Expected, Unexpected, Visitor};

/// A line and column (1-based).
pub type Pos = (usize, usize);

/// One node of the document. Aliases are expanded (the walk bounds their size).
#[derive(Debug, Clone)]
pub enum Node {
    Scalar { text: String, plain: bool, at: Pos },
    Seq { items: Vec<Node>, at: Pos },
    Map { entries: Vec<(Node, Node)>, at: Pos },
}

impl Node {
    pub fn at(&self) -> Pos {
        match self {
            Node::Scalar { at, .. } | Node::Seq { at, .. } | Node::Map { at, .. } => *at,
        }
    }

    /// An empty plain scalar: null, or an empty collection where one is wanted.
    fn nothing(at: Pos) -> Node {
        Node::Scalar {
            text: String::new(),
            plain: true,
            at,
        }
    }
}

/// A collection still being read.
enum Open {
    Seq {
        items: Vec<Node>,
        at: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        at: Pos,
        anchor: usize,
    },
}

/// Builds the tree from the walk's events, in document order.
#[derive(Default)]
pub struct Builder {
    stack: Vec<Open>,
    root: Option<Node>,
    /// Complete anchored nodes, for their aliases.
    anchors: HashMap<usize, Node>,
}

impl Builder {
    pub fn scalar(&mut self, text: String, plain: bool, anchor: usize, at: Pos) {
        let node = Node::Scalar { text, plain, at };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.add(node);
    }

    /// An alias: a copy of its anchored node (the walk has refused unknown anchors and
    /// expansions beyond the node limit before this is called).
    pub fn alias(&mut self, anchor: usize) {
        if let Some(node) = self.anchors.get(&anchor).cloned() {
            self.add(node);
        }
    }

    pub fn open(&mut self, map: bool, anchor: usize, at: Pos) {
        self.stack.push(if map {
            Open::Map {
                entries: Vec::new(),
                key: None,
                at,
                anchor,
            }
        } else {
            Open::Seq {
                items: Vec::new(),
                at,
                anchor,
            }
        });
    }

    pub fn close(&mut self) {
        // Most collections hold one to three entries, and a growing Vec keeps room for
        // four: shrunk, a 10,000-case file's tree takes far less memory.
        let (node, anchor) = match self.stack.pop() {
            Some(Open::Seq {
                mut items,
                at,
                anchor,
            }) => {
                items.shrink_to_fit();
                (Node::Seq { items, at }, anchor)
            }
            Some(Open::Map {
                mut entries,
                at,
                anchor,
                ..
            }) => {
                entries.shrink_to_fit();
                (Node::Map { entries, at }, anchor)
            }
            None => return,
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.add(node);
    }

    /// The document's root; a file without one (empty, or only comments) reads as
    /// nothing at its end (`end`: where the stream ends).
    pub fn finish(self, end: Pos) -> Node {
        self.root.unwrap_or(Node::nothing(end))
    }

    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map {
                entries, key, at, ..
            }) => match key.take() {
                Some(k) => {
                    let node = match (&k, node) {
                        // `key:` and nothing: yaml-rust2 places the empty value at the next
                        // token, maybe lines below; it is right after the colon.
                        (
                            Node::Scalar {
                                text: name,
                                plain: true,
                                at: (line, col),
                            },
                            n,
                        ) if is_empty_plain(&n) && n.at().0 > *line => {
                            Node::nothing((*line, col + name.chars().count() + 1))
                        }
                        (_, n) => n,
                    };
                    entries.push((k, node));
                }
                None => {
                    // yaml-rust2 marks a block mapping's start past its first key: it starts
                    // where that key does (as the locator says). A flow mapping's `{` comes
                    // first and stays.
                    if entries.is_empty() && node.at() < *at {
                        *at = node.at();
                    }
                    *key = Some(node);
                }
            },
        }
    }
}

/// A value that cannot be read from the document, and where: its position, and its path
/// (`cases[0].expect.status`), which starts the message as serde_yaml's did.
#[derive(Debug)]
pub struct Error {
    message: String,
    at: Option<(Pos, String)>,
}

impl Error {
    /// The position of the node concerned ((1, 1) when none is known).
    pub fn at(&self) -> Pos {
        self.at.as_ref().map_or((1, 1), |(at, _)| *at)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some((_, path)) if path != "." => write!(f, "{path}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            at: None,
        }
    }
}

/// Where a value is in the document, as messages name it: `cases[0].expect.status`.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Seq {
        parent: &'a Path<'a>,
        index: usize,
    },
    Map {
        parent: &'a Path<'a>,
        key: &'a str,
    },
    /// The value of a key that is not a scalar.
    Unknown {
        parent: &'a Path<'a>,
    },
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parent = |f: &mut fmt::Formatter<'_>, p: &Path<'_>| match p {
            Path::Root => Ok(()),
            p => write!(f, "{p}."),
        };
        match self {
            Path::Root => f.write_str("."),
            Path::Seq { parent, index } => write!(f, "{parent}[{index}]"),
            Path::Map { parent: p, key } => {
                parent(f, p)?;
                f.write_str(key)
            }
            Path::Unknown { parent: p } => {
                parent(f, p)?;
                f.write_str("?")
            }
        }
    }
}

/// A node being read, and its path. Owned: a node read is gone, so the tree shrinks as the
/// model grows, and the model's strings are the tree's.
struct De<'p> {
    node: Node,
    path: Path<'p>,
}

/// `e`, placed at `at` (a node at `path`) unless a node inside placed it already.
fn place(mut e: Error, at: Pos, path: Path<'_>) -> Error {
    if e.at.is_none() {
        e.at = Some((at, path.to_string()));
    }
    e
}

/// Reads a `T` from the document.
pub fn from_tree<T: de::DeserializeOwned>(root: Node) -> Result<T, Error> {
    T::deserialize(De {
        node: root,
        path: Path::Root,
    })
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Leading zeros followed by digits: a string in YAML 1.2 (`007`).
fn digits_but_not_number(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    t.len() > 1 && t.starts_with('0') && t[1..].bytes().all(|b| b.is_ascii_digit())
}

/// An integer in `0x`, `0o`, `0b` or decimal, with a sign when `signed`.
fn parse_int<T>(
    text: &str,
    signed: bool,
    radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) if signed => (true, rest),
        Some(_) => return None,
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.starts_with(['+', '-']) || digits_but_not_number(text) {
        return None;
    }
    let (base, body) = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, b)| digits.strip_prefix(p).map(|rest| (*b, rest)))
        .unwrap_or((10, digits));
    if body.starts_with(['+', '-']) {
        return None;
    }
    if negative {
        radix(&format!("-{body}"), base).ok()
    } else {
        radix(body, base).ok()
    }
}

fn parse_f64(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    match (unsigned, text) {
        (".inf" | ".Inf" | ".INF", _) => return Some(f64::INFINITY),
        (_, "-.inf" | "-.Inf" | "-.INF") => return Some(f64::NEG_INFINITY),
        (_, ".nan" | ".NaN" | ".NAN") => return Some(f64::NAN),
        _ => {}
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A plain scalar, typed (null, bool, integer, float, else string).
fn visit_plain<'de, V: Visitor<'de>>(v: V, text: String) -> Result<V::Value, Error> {
    let t = text.as_str();
    if is_null(t) {
        return v.visit_unit();
    }
    if let Some(b) = parse_bool(t) {
        return v.visit_bool(b);
    }
    if let Some(n) = parse_int(t, false, u64::from_str_radix) {
        return v.visit_u64(n);
    }
    if t.starts_with('-') {
        if let Some(n) = parse_int(t, true, i64::from_str_radix) {
            return v.visit_i64(n);
        }
    }
    if let Some(n) = parse_int(t, false, u128::from_str_radix) {
        return v.visit_u128(n);
    }
    if t.starts_with('-') {
        if let Some(n) = parse_int(t, true, i128::from_str_radix) {
            return v.visit_i128(n);
        }
    }
    if !digits_but_not_number(t) {
        if let Some(f) = parse_f64(t) {
            return v.visit_f64(f);
        }
    }
    // Moved, not copied: the model keeps the tree's text.
    v.visit_string(text)
}

/// serde's "invalid type: …, expected …" for `node`, the node typed as `deserialize_any`
/// would type it.
fn invalid_type(node: &Node, exp: &dyn Expected) -> Error {
    enum Never {}
    struct Probe<'a>(&'a dyn Expected);
    impl Visitor<'_> for Probe<'_> {
        type Value = Never;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }
    match node {
        Node::Scalar {
            text, plain: true, ..
        } => match visit_plain(Probe(exp), text.clone()) {
            Ok(never) => match never {},
            Err(e) => e,
        },
        Node::Scalar { text, .. } => de::Error::invalid_type(Unexpected::Str(text), exp),
        Node::Seq { .. } => de::Error::invalid_type(Unexpected::Seq, exp),
        Node::Map { .. } => de::Error::invalid_type(Unexpected::Map, exp),
    }
}

/// A plain scalar that stands for nothing (empty or `null`): an empty collection.
fn is_empty_plain(node: &Node) -> bool {
    matches!(node, Node::Scalar { text, plain: true, .. } if text.is_empty())
}

struct Seq<'p> {
    items: std::iter::Enumerate<std::vec::IntoIter<Node>>,
    parent: &'p Path<'p>,
    len: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let path = Path::Seq {
            parent: self.parent,
            index,
        };
        seed.deserialize(De { node, path }).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

struct Map<'p> {
    entries: std::vec::IntoIter<(Node, Node)>,
    /// The key read last (it names its value's path), and that value.
    key: Option<Node>,
    value: Option<Node>,
    parent: &'p Path<'p>,
    len: usize,
}

impl<'de> de::MapAccess<'de> for Map<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        // A key is read at its mapping's path; a scalar key as its text (a field name,
        // a status, a map key), and kept to name its value's path.
        let parent = *self.parent;
        let read = match &key {
            Node::Scalar { text, at, .. } => seed
                .deserialize(StrDeserializer::<Error>::new(text))
                .map_err(|e| place(e, *at, parent)),
            other => seed.deserialize(De {
                node: other.clone(),
                path: parent,
            }),
        };
        self.key = Some(key);
        read.map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(node) = self.value.take() else {
            return Err(de::Error::custom("a value was read before its key"));
        };
        let path = match &self.key {
            Some(Node::Scalar { text, .. }) => Path::Map {
                parent: self.parent,
                key: text,
            },
            _ => Path::Unknown {
                parent: self.parent,
            },
        };
        seed.deserialize(De { node, path })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

fn visit_seq<'de, V: Visitor<'de>>(
    v: V,
    items: Vec<Node>,
    path: &Path<'_>,
) -> Result<V::Value, Error> {
    let len = items.len();
    let mut access = Seq {
        items: items.into_iter().enumerate(),
        parent: path,
        len,
    };
    let value = v.visit_seq(&mut access)?;
    let left = access.items.len();
    if left > 0 {
        return Err(de::Error::invalid_length(
            len,
            &ExpectedLen(len - left, "sequence"),
        ));
    }
    Ok(value)
}

fn visit_map<'de, V: Visitor<'de>>(
    v: V,
    entries: Vec<(Node, Node)>,
    path: &Path<'_>,
) -> Result<V::Value, Error> {
    let len = entries.len();
    let mut access = Map {
        entries: entries.into_iter(),
        key: None,
        value: None,
        parent: path,
        len,
    };
    let value = v.visit_map(&mut access)?;
    let left = access.entries.len();
    if left > 0 {
        return Err(de::Error::invalid_length(
            len,
            &ExpectedLen(len - left, "map"),
        ));
    }
    Ok(value)
}

/// "a sequence of 2 elements" for a visitor that stopped early.
struct ExpectedLen(usize, &'static str);

impl Expected for ExpectedLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.1, self.0) {
            ("map", 1) => f.write_str("map containing 1 entry"),
            ("map", n) => write!(f, "map containing {n} entries"),
            (_, 1) => f.write_str("sequence of 1 element"),
            (_, n) => write!(f, "sequence of {n} elements"),
        }
    }
}

impl<'de> de::EnumAccess<'de> for De<'_> {
    type Error = Error;
    type Variant = UnitVariant;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, UnitVariant), Error> {
        Ok((seed.deserialize(self)?, UnitVariant))
    }
}

/// An enum written as a scalar names a unit variant.
struct UnitVariant;

impl<'de> de::VariantAccess<'de> for UnitVariant {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

/// Forwards `deserialize_X` to `deserialize_Y`.
macro_rules! forward {
    ($($from:ident => $to:ident),* $(,)?) => {$(
        fn $from<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.$to(v)
        }
    )*};
}

impl<'de> Deserializer<'de> for De<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match self.node {
            Node::Scalar {
                text, plain: true, ..
            } => visit_plain(v, text),
            Node::Scalar { text, .. } => v.visit_string(text),
            Node::Seq { items, .. } => visit_seq(v, items, &path),
            Node::Map { entries, .. } => visit_map(v, entries, &path),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match &self.node {
            Node::Scalar {
                text, plain: true, ..
            } if parse_bool(text).is_some() => v.visit_bool(parse_bool(text) == Some(true)),
            other => Err(invalid_type(other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match &self.node {
            Node::Scalar {
                text, plain: true, ..
            } if parse_int(text, false, u64::from_str_radix).is_some() => {
                v.visit_u64(parse_int(text, false, u64::from_str_radix).unwrap_or_default())
            }
            other => Err(invalid_type(other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match &self.node {
            Node::Scalar {
                text, plain: true, ..
            } if parse_int(text, true, i64::from_str_radix).is_some() => {
                v.visit_i64(parse_int(text, true, i64::from_str_radix).unwrap_or_default())
            }
            other => Err(invalid_type(other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match &self.node {
            Node::Scalar {
                text, plain: true, ..
            } if parse_f64(text).is_some() => v.visit_f64(parse_f64(text).unwrap_or_default()),
            other => Err(invalid_type(other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match self.node {
            Node::Scalar { text, .. } => v.visit_string(text),
            other => Err(invalid_type(&other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        let e = de::Error::custom("bytes are not read from YAML");
        Err(place(e, self.node.at(), self.path))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match &self.node {
            Node::Scalar {
                text, plain: true, ..
            } if is_null(text) => v.visit_none(),
            _ => v.visit_some(self),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match &self.node {
            Node::Scalar {
                text, plain: true, ..
            } if is_null(text) => v.visit_unit(),
            Node::Scalar { text, .. } => {
                Err(de::Error::invalid_value(Unexpected::Str(text), &"null"))
            }
            other => Err(invalid_type(other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        v.visit_newtype_struct(self).map_err(|e| place(e, at, path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match self.node {
            Node::Seq { items, .. } => visit_seq(v, items, &path),
            n if is_empty_plain(&n) => visit_seq(v, Vec::new(), &path),
            other => Err(invalid_type(&other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        match self.node {
            Node::Map { entries, .. } => visit_map(v, entries, &path),
            n if is_empty_plain(&n) => visit_map(v, Vec::new(), &path),
            other => Err(invalid_type(&other, &v)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let (at, path) = (self.node.at(), self.path);
        let tag = &"a YAML tag starting with '!'";
        match &self.node {
            Node::Scalar { .. } => v.visit_enum(self),
            Node::Seq { .. } => Err(de::Error::invalid_type(Unexpected::Seq, tag)),
            Node::Map { .. } => Err(de::Error::invalid_type(Unexpected::Map, tag)),
        }
        .map_err(|e| place(e, at, path))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    forward! {
        deserialize_u8 => deserialize_u64,
        deserialize_u16 => deserialize_u64,
        deserialize_u32 => deserialize_u64,
        deserialize_i8 => deserialize_i64,
        deserialize_i16 => deserialize_i64,
        deserialize_i32 => deserialize_i64,
        deserialize_f32 => deserialize_f64,
        deserialize_char => deserialize_string,
        deserialize_str => deserialize_string,
        deserialize_identifier => deserialize_string,
        deserialize_byte_buf => deserialize_bytes,
    }
}
