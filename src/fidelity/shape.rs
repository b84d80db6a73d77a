//! The shape of a JSON body: which JSON pointers hold which JSON types, values ignored.
//! Array items share one pointer segment, `*`, so a list's shape is that of all its items
//! together, whatever their number. A key only some items of a list have is *partial*:
//! lists of real data mix kinds of items (a rule with a schedule, one without), so its
//! absence on the other side says nothing about the endpoint.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// What one pointer holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// The JSON types found there (several in a list whose items differ).
    pub types: BTreeSet<&'static str>,
    /// Only some items of an enclosing list have it.
    pub partial: bool,
}

/// Pointer (`/items/*/name`, `` for the root) → what it holds.
pub type Shape = BTreeMap<String, Entry>;

/// The shape of `v`.
pub fn of(v: &Value) -> Shape {
    let mut out = Shape::new();
    out.insert(
        String::new(),
        Entry {
            types: BTreeSet::from([type_name(v)]),
            partial: false,
        },
    );
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                out.extend(
                    of(child)
                        .into_iter()
                        .map(|(p, e)| (format!("/{key}{p}"), e)),
                );
            }
        }
        Value::Array(items) => {
            let shapes: Vec<Shape> = items.iter().map(of).collect();
            let mut merged = Shape::new();
            for (p, e) in shapes.iter().flatten() {
                let m = merged.entry(p.clone()).or_default();
                m.types.extend(&e.types);
                m.partial |= e.partial;
            }
            for (p, m) in &mut merged {
                m.partial |= shapes.iter().any(|s| !s.contains_key(p));
            }
            out.extend(merged.into_iter().map(|(p, e)| (format!("/*{p}"), e)));
        }
        _ => {}
    }
    out
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One place where two shapes differ: the pointer, and the types on each side (empty:
/// absent there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeDifference {
    pub pointer: String,
    pub reference: BTreeSet<&'static str>,
    pub candidate: BTreeSet<&'static str>,
}

/// Where `reference` and `candidate` differ: a pointer one side lacks (unless the other
/// has it in only some items of a list), or types that have nothing in common. Under an
/// array that is empty on one side nothing is compared: an empty list says nothing about
/// its items' shape. Below a pointer absent on one side only that pointer is listed.
pub fn differences(reference: &Shape, candidate: &Shape) -> Vec<ShapeDifference> {
    let pointers: BTreeSet<&String> = reference.keys().chain(candidate.keys()).collect();
    let mut out: Vec<ShapeDifference> = Vec::new();
    for p in pointers {
        let (r, c) = (reference.get(p), candidate.get(p));
        let differ = match (r, c) {
            (Some(r), Some(c)) => r.types.is_disjoint(&c.types),
            (Some(e), None) | (None, Some(e)) => !e.partial,
            (None, None) => false,
        };
        if !differ || unknowable(p, reference, candidate) {
            continue;
        }
        let under_reported = out.iter().any(|d| {
            (d.reference.is_empty() || d.candidate.is_empty())
                && p.starts_with(&format!("{}/", d.pointer))
        });
        if under_reported {
            continue;
        }
        let types = |e: Option<&Entry>| e.map(|e| e.types.clone()).unwrap_or_default();
        out.push(ShapeDifference {
            pointer: p.clone(),
            reference: types(r),
            candidate: types(c),
        });
    }
    out
}

/// Whether `p` lies under items of an array that one side has but holds no item in.
fn unknowable(p: &str, reference: &Shape, candidate: &Shape) -> bool {
    p.match_indices("/*").any(|(i, _)| {
        let (array, items) = (&p[..i], &p[..i + 2]);
        let empty = |s: &Shape| {
            s.get(array).is_some_and(|e| e.types.contains("array")) && !s.contains_key(items)
        };
        empty(reference) || empty(candidate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_changed_type_one_missing_key_and_empty_lists_compare_as_expected() {
        let r = of(&json!({"a": 1, "b": {"c": "x", "d": [1]}, "list": [{"k": 1}]}));
        let c = of(&json!({"a": "1", "list": []}));
        let d = differences(&r, &c);
        let got: Vec<(&str, Vec<&str>, Vec<&str>)> = d
            .iter()
            .map(|d| {
                (
                    d.pointer.as_str(),
                    d.reference.iter().copied().collect(),
                    d.candidate.iter().copied().collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("/a", vec!["number"], vec!["string"]),
                ("/b", vec!["object"], vec![])
            ]
        );
        assert!(differences(&r, &r).is_empty());
    }

    #[test]
    fn a_key_only_some_items_have_may_be_absent_but_one_all_have_may_not() {
        let r = of(&json!({"l": [{"a": 1, "b": null}, {"a": 2, "b": "x"}, {"a": 3}]}));
        assert!(r["/l/*/b"].partial && !r["/l/*/a"].partial, "{r:?}");
        let c = of(&json!({"l": [{"b": "y"}]}));
        let d = differences(&r, &c);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].pointer, "/l/*/a");
        // Overlapping types (null or a string) are no difference; disjoint ones are.
        assert!(differences(&r, &of(&json!({"l": [{"a": 1, "b": "z"}]}))).is_empty());
        assert_eq!(
            differences(&r, &of(&json!({"l": [{"a": "1"}]})))[0].pointer,
            "/l/*/a"
        );
    }
}
