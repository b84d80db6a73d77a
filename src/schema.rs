//! The schema registry: every JSON Schema of the schemas directory (or of the built-in
//! suite), parsed and compiled once per run and shared by all cases.
//!
//! `$ref`s between files resolve against the directory (`"$ref": "aom-error.schema.json"`)
//! through a retriever that only serves the files already loaded: nothing is ever fetched
//! over the network or read from disk, built-in schemas included, and a `$ref` to anything
//! else is a located load error.
//!
//! Schema files are read within the input limits (`spec::limits`, through
//! `spec::source`): regular files only, at most 8 MiB, a leading byte order mark dropped;
//! messages quoting them are cut short.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;

use crate::spec::limits::clip_message;
use crate::spec::locate::Location;
use crate::spec::source::{Source, SourceError};

/// Why the schemas cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The directory itself cannot be read (`DIR: message`, no line or column).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A schema file cannot be read (or is not a regular file, or is too large).
    #[error("{at}: {message}")]
    Read { at: Location, message: String },
    /// A schema file is not JSON.
    #[error("{at}: invalid JSON: {message}")]
    Json { at: Location, message: String },
    /// A schema does not compile: invalid keyword values, or a `$ref` that does not resolve.
    #[error("{at}: invalid schema: {message}")]
    Compile { at: Location, message: String },
}

/// One compiled schema.
pub struct CompiledSchema {
    pub name: String,
    pub validator: Validator,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CompiledSchema({})", self.name)
    }
}

/// All schemas of a run, compiled once.
pub struct SchemaRegistry {
    source: Source,
    compiled: HashMap<String, Arc<CompiledSchema>>,
}

/// Serves `file://…/schemas/NAME` from the files loaded at start, and nothing else.
struct LocalRetriever {
    base: String,
    docs: Arc<HashMap<String, Value>>,
}

impl Retrieve for LocalRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        let name = s.strip_prefix(&self.base).unwrap_or(s);
        self.docs.get(name).cloned().ok_or_else(|| {
            format!("`{s}` is not a schema file in the schemas directory (remote references are never fetched)")
                .into()
        })
    }
}

impl SchemaRegistry {
    /// Loads and compiles every `*.json` file directly in `source`.
    pub fn load(source: &Source) -> Result<Self, SchemaError> {
        let mut sources = HashMap::new();
        let mut docs = HashMap::new();
        for file in source.files()? {
            let path = file.path();
            let text = file.read_text().map_err(|e| SchemaError::Read {
                at: Location::new(path, e.line, e.col),
                message: e.message,
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|e| SchemaError::Json {
                at: Location::new(path, e.line(), e.column()),
                message: clip_message(&crate::errors::strip_serde_position(&e.to_string()))
                    .into_owned(),
            })?;
            let name = file_name(path);
            docs.insert(name.clone(), value);
            sources.insert(name, (path.to_owned(), text));
        }

        let base = source.base_uri();
        let docs = Arc::new(docs);
        let mut compiled = HashMap::new();
        for (name, value) in docs.iter() {
            let (path, text) = &sources[name];
            let validator = jsonschema::options()
                .with_base_uri(format!("{base}{name}"))
                .with_retriever(LocalRetriever {
                    base: base.clone(),
                    docs: Arc::clone(&docs),
                })
                .build(value)
                .map_err(|e| {
                    // jsonschema quotes the offending value whole: a 1 MB pattern would
                    // be printed whole.
                    let message = e.to_string();
                    SchemaError::Compile {
                        at: locate_in_json(path, text, &message),
                        message: clip_message(&message).into_owned(),
                    }
                })?;
            compiled.insert(
                name.clone(),
                Arc::new(CompiledSchema {
                    name: name.clone(),
                    validator,
                }),
            );
        }
        Ok(SchemaRegistry {
            source: source.clone(),
            compiled,
        })
    }

    /// Where the schemas came from (a directory, or the built-in ones), for messages.
    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn get(&self, name: &str) -> Option<Arc<CompiledSchema>> {
        self.compiled.get(name).cloned()
    }

    /// Names of all schemas, sorted (for "did you mean" style messages).
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.compiled.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Best effort: the first quoted string of `message` (usually the bad `$ref` or keyword
/// value) located in the schema text; else the top of the file.
fn locate_in_json(path: &Path, text: &str, message: &str) -> Location {
    let quoted = message
        .split(['"', '`', '\''])
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty());
    for q in quoted {
        let needle = q.rsplit('/').next().unwrap_or(q);
        if needle.is_empty() {
            continue;
        }
        if let Some(idx) = text.find(needle) {
            let before = &text[..idx];
            let line = before.matches('\n').count() + 1;
            let col = idx - before.rfind('\n').map_or(0, |n| n + 1) + 1;
            return Location::new(path, line, col);
        }
    }
    Location::new(path, 1, 1)
}

#[cfg(test)]
mod tests {
    use include_dir::{Dir, DirEntry, File};
    use serde_json::json;

    use super::*;
    use crate::spec::source::Kind;

    #[test]
    fn a_ref_between_built_in_schemas_resolves_to_the_built_in_file() {
        let reg = SchemaRegistry::load(&Source::new(Kind::Schemas, None)).unwrap();
        let list = reg.get("workflow-list.schema.json").unwrap();
        let ok = json!({"elements": [{"id": "w", "name": "n", "type": "manual"}]});
        assert!(list.validator.is_valid(&ok));
        // Only workflow.schema.json, reached through the $ref, says what a type may be.
        let bad = json!({"elements": [{"id": "w", "name": "n", "type": "weekly"}]});
        assert!(!list.validator.is_valid(&bad));
    }

    static MISSING_REF: Dir<'static> = Dir::new(
        "",
        &[DirEntry::File(File::new(
            "a.json",
            br#"{"$ref": "b.schema.json"}"#,
        ))],
    );

    #[test]
    fn a_built_in_ref_to_a_missing_file_is_a_located_error_not_a_fetch() {
        let e = SchemaRegistry::load(&Source::embedded(Kind::Schemas, &MISSING_REF))
            .err()
            .expect("must fail");
        let text = e.to_string();
        assert!(text.starts_with("schemas/a.json:1:"), "{text}");
        assert!(text.contains("never fetched"), "{text}");
    }
}
