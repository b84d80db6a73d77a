//! `{{name}}` templates in case files, compiled once at plan time.
//!
//! Compiling checks every variable against the names known at that point (target
//! variables, built-ins, earlier captures) so an unknown variable is a load error, not a
//! runtime surprise. `{{env.NAME}}` is read from the environment at compile time.
//!
//! Also the rule for names that *set* variables (captures, `variables:`, `--var`): a name
//! a template can refer to, and not one the harness sets itself.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Why a template does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without a matching `}}`.
    #[error("unclosed `{{{{` in {0:?}")]
    Unclosed(String),
    /// `{{}}` or a name with characters other than letters, digits, `_`, `-`, `.`.
    #[error("bad variable name {0:?}")]
    BadName(String),
    /// A variable that nothing defines.
    #[error("unknown variable `{name}`; known here: {known}")]
    Unknown { name: String, known: String },
    /// `{{env.NAME}}` with NAME unset.
    #[error("environment variable `{0}` is not set")]
    MissingEnv(String),
    /// `{{name|json}}` anywhere but as the whole of a string in a JSON body.
    #[error(
        "`{{{{{0}|json}}}}` inserts a JSON value: it must be the whole of a string in a `body:` (request or expected), not part of a longer text, a path, query or header"
    )]
    MisplacedJson(String),
}

/// Variables the harness sets itself: a capture, `--var` or `variables:` entry of the
/// same name would silently lose to it (or, for `project_id`, win over the target's).
pub const RESERVED: &[(&str, &str)] = &[
    ("project_id", "the target's project id"),
    ("run_id", "set once per run"),
    ("case_uid", "set once per case and target"),
    ("now_ms", "the time the case started"),
];

/// Whether `name` may appear in `{{name}}`: letters, digits, `_`, `-`, `.`.
pub fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Why `name` cannot be given a value (by a capture, `--var` or `variables:`), if so.
pub fn settable_name_problem(name: &str) -> Option<String> {
    if !is_name(name) {
        return Some(format!(
            "{name:?} is not a variable name (letters, digits, `_`, `-`, `.`)"
        ));
    }
    if name.starts_with("env.") {
        return Some(format!(
            "{name:?} cannot be set: `{{{{env.NAME}}}}` reads the environment"
        ));
    }
    RESERVED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, what)| format!("\"{n}\" is built in ({what}) and cannot be set here"))
}

/// The variables a template may use at one point of a case.
pub trait Scope {
    fn knows(&self, name: &str) -> bool;
    /// For error messages: the known names, comma-separated.
    fn describe(&self) -> String;
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Var(String),
}

/// A compiled string template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn literal(s: impl Into<String>) -> Self {
        Template {
            parts: vec![Part::Lit(s.into())],
        }
    }

    /// The value of one variable (the caller has checked that the scope knows it).
    pub fn var(name: &str) -> Self {
        Template {
            parts: vec![Part::Var(name.to_owned())],
        }
    }

    pub fn compile(src: &str, scope: &dyn Scope) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = src;
        let mut lit = String::new();
        while let Some(start) = rest.find("{{") {
            lit.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| TemplateError::Unclosed(src.to_owned()))?;
            let name = after[..end].trim();
            if let Some(var) = json_splice_name(name) {
                return Err(TemplateError::MisplacedJson(var.to_owned()));
            }
            if !is_name(name) {
                return Err(TemplateError::BadName(name.to_owned()));
            }
            if let Some(env) = name.strip_prefix("env.") {
                let value =
                    std::env::var(env).map_err(|_| TemplateError::MissingEnv(env.to_owned()))?;
                lit.push_str(&value);
            } else if scope.knows(name) {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Var(name.to_owned()));
            } else {
                return Err(TemplateError::Unknown {
                    name: name.to_owned(),
                    known: scope.describe(),
                });
            }
            rest = &after[end + 2..];
        }
        lit.push_str(rest);
        if !lit.is_empty() || parts.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    /// Renders with `vars`. Compilation checked every name against the scope, and the
    /// runner fills the scope before rendering, so a missing value renders as empty.
    pub fn render(&self, vars: &Vars) -> String {
        match self.parts.as_slice() {
            [Part::Lit(s)] => s.clone(),
            parts => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        Part::Lit(s) => out.push_str(s),
                        Part::Var(name) => out.push_str(vars.get(name).unwrap_or("")),
                    }
                }
                out
            }
        }
    }
}

/// `name|json` (spaces allowed around `|`) → `name`.
fn json_splice_name(inner: &str) -> Option<&str> {
    let (name, filter) = inner.split_once('|')?;
    (filter.trim() == "json").then(|| name.trim())
}

/// The variable of a string that is exactly `{{name|json}}`, if it is one.
fn whole_json_splice(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") {
        return None;
    }
    json_splice_name(inner.trim())
}

/// `"{{name|json}}"` compiled: the name must be one the scope knows.
fn json_splice(s: &str, scope: &dyn Scope) -> Result<JsonTemplate, TemplateError> {
    let name = whole_json_splice(s).unwrap_or(s);
    if !is_name(name) {
        return Err(TemplateError::BadName(name.to_owned()));
    }
    if !scope.knows(name) {
        return Err(TemplateError::Unknown {
            name: name.to_owned(),
            known: scope.describe(),
        });
    }
    Ok(JsonTemplate::Json(name.to_owned()))
}

/// The value `{{name|json}}` inserts: the variable's text read as JSON (a number
/// captured from a response is its exact digits, so an int64 id stays exact), or the
/// text as a string when it is not JSON.
fn json_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Variable values at run time.
#[derive(Debug, Clone, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }
}

/// A JSON value whose strings may be templates. Subtrees without templates stay literal
/// so rendering them is a clone.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    Literal(Value),
    Str(Template),
    /// `"{{name|json}}"`: the variable's value as JSON, not as a string.
    Json(String),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    /// Compiles `value`; on error also returns the JSON pointer of the bad string.
    pub fn compile(value: &Value, scope: &dyn Scope) -> Result<Self, (String, TemplateError)> {
        fn go(
            v: &Value,
            scope: &dyn Scope,
            ptr: &mut String,
        ) -> Result<JsonTemplate, (String, TemplateError)> {
            Ok(match v {
                Value::String(s) if whole_json_splice(s).is_some() => {
                    json_splice(s, scope).map_err(|e| (ptr.clone(), e))?
                }
                Value::String(s) if s.contains("{{") => {
                    JsonTemplate::Str(Template::compile(s, scope).map_err(|e| (ptr.clone(), e))?)
                }
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let len = ptr.len();
                        ptr.push_str(&format!("/{i}"));
                        out.push(go(item, scope, ptr)?);
                        ptr.truncate(len);
                    }
                    if out.iter().all(|t| matches!(t, JsonTemplate::Literal(_))) {
                        JsonTemplate::Literal(v.clone())
                    } else {
                        JsonTemplate::Array(out)
                    }
                }
                Value::Object(map) => {
                    let mut out = Vec::with_capacity(map.len());
                    for (k, item) in map {
                        let len = ptr.len();
                        ptr.push('/');
                        ptr.push_str(&k.replace('~', "~0").replace('/', "~1"));
                        out.push((k.clone(), go(item, scope, ptr)?));
                        ptr.truncate(len);
                    }
                    if out
                        .iter()
                        .all(|(_, t)| matches!(t, JsonTemplate::Literal(_)))
                    {
                        JsonTemplate::Literal(v.clone())
                    } else {
                        JsonTemplate::Object(out)
                    }
                }
                other => JsonTemplate::Literal(other.clone()),
            })
        }
        go(value, scope, &mut String::new())
    }

    pub fn render(&self, vars: &Vars) -> Value {
        match self {
            JsonTemplate::Literal(v) => v.clone(),
            JsonTemplate::Str(t) => Value::String(t.render(vars)),
            JsonTemplate::Json(name) => json_value(vars.get(name).unwrap_or("")),
            JsonTemplate::Array(items) => {
                Value::Array(items.iter().map(|t| t.render(vars)).collect())
            }
            JsonTemplate::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (k, t) in entries {
                    map.insert(k.clone(), t.render(vars));
                }
                Value::Object(map)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Names(&'static [&'static str]);
    impl Scope for Names {
        fn knows(&self, name: &str) -> bool {
            self.0.contains(&name)
        }
        fn describe(&self) -> String {
            self.0.join(", ")
        }
    }

    #[test]
    fn renders_variables_and_rejects_unknown_ones() {
        let scope = Names(&["a", "b"]);
        let t = Template::compile("x-{{a}}-{{ b }}!", &scope).unwrap();
        let mut vars = Vars::default();
        vars.set("a", "1");
        vars.set("b", "2");
        assert_eq!(t.render(&vars), "x-1-2!");
        assert_eq!(
            Template::compile("{{c}}", &scope),
            Err(TemplateError::Unknown {
                name: "c".into(),
                known: "a, b".into()
            })
        );
        assert!(matches!(
            Template::compile("{{a", &scope),
            Err(TemplateError::Unclosed(_))
        ));
        assert!(matches!(
            Template::compile("{{a b}}", &scope),
            Err(TemplateError::BadName(_))
        ));
    }

    #[test]
    fn settable_names_are_template_names_that_the_harness_does_not_set() {
        assert_eq!(settable_name_problem("workflow_id"), None);
        assert_eq!(settable_name_problem("a.b-c"), None);
        let bad = |n: &str| settable_name_problem(n).unwrap_or_default();
        assert!(bad("a b").contains("is not a variable name"));
        assert!(bad("").contains("is not a variable name"));
        assert!(bad("env.HOME").contains("reads the environment"));
        assert_eq!(
            bad("project_id"),
            "\"project_id\" is built in (the target's project id) and cannot be set here"
        );
        assert!(bad("case_uid").contains("built in"));
    }

    #[test]
    fn json_templates_keep_literals_and_point_at_bad_strings() {
        let scope = Names(&["id"]);
        let lit = JsonTemplate::compile(&json!({"a": [1, "x"]}), &scope).unwrap();
        assert!(matches!(lit, JsonTemplate::Literal(_)));
        let t = JsonTemplate::compile(&json!({"a": ["{{id}}", 2]}), &scope).unwrap();
        let mut vars = Vars::default();
        vars.set("id", "e-1");
        assert_eq!(t.render(&vars), json!({"a": ["e-1", 2]}));
        let err = JsonTemplate::compile(&json!({"a": [0, "{{nope}}"]}), &scope).unwrap_err();
        assert_eq!(err.0, "/a/1");
    }

    #[test]
    fn a_json_splice_inserts_the_value_exactly_and_only_as_a_whole_string() {
        let scope = Names(&["id", "md", "name"]);
        let t = JsonTemplate::compile(
            &json!({"id": "{{id|json}}", "md": "{{ md | json }}", "n": "{{name|json}}", "s": "{{id}}"}),
            &scope,
        )
        .unwrap();
        let mut vars = Vars::default();
        vars.set("id", "9007199254740993");
        vars.set("md", r#"{"k":["v",1]}"#);
        vars.set("name", "not json");
        let v = t.render(&vars);
        // 2^53 + 1: a double would make it ...992.
        assert_eq!(v["id"].as_u64(), Some(9_007_199_254_740_993));
        assert_ne!(v["id"], json!(9_007_199_254_740_992_u64));
        assert_eq!(serde_json::to_string(&v["id"]).unwrap(), "9007199254740993");
        assert_eq!(v["md"], json!({"k": ["v", 1]}));
        assert_eq!(v["n"], json!("not json"));
        assert_eq!(v["s"], json!("9007199254740993"));

        let err = |src: &str| Template::compile(src, &scope).unwrap_err().to_string();
        assert!(
            err("x-{{id|json}}").contains("must be the whole of a string"),
            "{}",
            err("x")
        );
        let (ptr, e) =
            JsonTemplate::compile(&json!({"a": ["id={{id|json}}"]}), &scope).unwrap_err();
        assert_eq!(ptr, "/a/0");
        assert!(matches!(e, TemplateError::MisplacedJson(_)), "{e}");
        let (_, e) = JsonTemplate::compile(&json!("{{nope|json}}"), &scope).unwrap_err();
        assert!(matches!(e, TemplateError::Unknown { .. }), "{e}");
    }
}
