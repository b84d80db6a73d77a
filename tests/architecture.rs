//! The shape of the code, checked: no import cycle between source files, so data flows
//! one way (specs → plan → trials → check → events → reporters) and every module can be
//! read without its dependents. An edge is a `crate::…` or `super::…` path in a file
//! (outside its `#[cfg(test)]` module), resolved to the file that defines the module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`report::failure`) → the module paths it refers to.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `src/` as its module path, with its text (tests cut off).
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            out.insert(parts.join("::"), code);
        }
    }
    out
}

/// The longest prefix of `path` that names a module.
fn resolve(path: &[&str], names: &BTreeMap<String, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| names.contains_key(m))
}

/// Paths after `crate::` / `super::` in `code`, with `{a, b::{c, d}}` groups expanded.
fn referenced(module: &str, code: &str) -> Vec<Vec<String>> {
    let parent: Vec<&str> = module.split("::").collect();
    let mut out = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", parent[..parent.len() - 1].to_vec()),
    ] {
        for (i, _) in code.match_indices(prefix) {
            let before = code[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let base: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
            expand(&base, &code[i + prefix.len()..], &mut out);
        }
    }
    out
}

/// Expands the use-tree at the start of `rest` (after `base::`) into full paths.
fn expand(base: &[String], rest: &str, out: &mut Vec<Vec<String>>) {
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    let mut head = base.to_vec();
    head.extend(
        rest[..end]
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    if !rest[end..].starts_with('{') {
        out.push(head);
        return;
    }
    let (mut depth, mut start) = (0, end + 1);
    for (j, c) in rest.char_indices().skip(end) {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                expand(&head, rest[start..j].trim_start(), out);
                start = j + 1;
                if c == '}' {
                    return;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
}

fn graph() -> Graph {
    let names = modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut g = Graph::new();
    for (module, code) in &names {
        let deps = g.entry(module.clone()).or_default();
        for path in referenced(module, code) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            if let Some(target) = resolve(&path, &names) {
                // A module naming its own parent's items is not an edge to itself.
                if target != *module && !module.starts_with(&format!("{target}::")) {
                    deps.insert(target);
                }
            }
        }
    }
    g
}

/// A cycle through `start`, if any (depth-first).
fn cycle_from(g: &Graph, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in g.get(&node).into_iter().flatten() {
            if next == start {
                let mut c = path.clone();
                c.push(start.to_owned());
                return Some(c);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

/// The same graph between top-level modules (`report::failure` → `report`).
fn top_level(g: &Graph) -> Graph {
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_owned();
    let mut out = Graph::new();
    for (m, deps) in g {
        let entry = out.entry(top(m)).or_default();
        entry.extend(deps.iter().map(|d| top(d)).filter(|d| *d != top(m)));
    }
    out
}

fn cycles(g: &Graph) -> Vec<String> {
    g.keys()
        .filter_map(|m| cycle_from(g, m))
        .map(|c| c.join(" → "))
        .collect()
}

#[test]
fn no_import_cycle_between_source_files_or_top_level_modules() {
    let g = graph();
    assert!(g.len() > 20, "found only {:?}", g.keys());
    let files = cycles(&g);
    assert!(
        files.is_empty(),
        "import cycles between files:\n{}",
        files.join("\n")
    );
    let modules = cycles(&top_level(&g));
    assert!(
        modules.is_empty(),
        "import cycles between modules:\n{}",
        modules.join("\n")
    );
}

#[test]
fn the_finder_sees_a_cycle_when_there_is_one() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle_from(&g, "a").unwrap().join(" → "), "a → b → c → a");
    g.get_mut("c").unwrap().clear();
    assert!(cycle_from(&g, "a").is_none());
    let refs = referenced(
        "report::junit",
        "use super::{failure::{self}, Event};\nuse crate::http::Response;",
    );
    assert!(
        refs.contains(&vec!["report".into(), "Event".into()]),
        "{refs:?}"
    );
    assert!(
        refs.contains(&vec!["http".into(), "Response".into()]),
        "{refs:?}"
    );
}
