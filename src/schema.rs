//! The schema registry: every JSON Schema in the schemas directory, parsed and compiled
//! once per run and shared by all cases.
//!
//! `$ref`s between files resolve against the directory (`"$ref": "aom-error.schema.json"`)
//! through a retriever that only serves the files already loaded: nothing is ever fetched
//! over the network, and a `$ref` to anything else is a located load error.
//!
//! Schema files are read within the input limits (`spec::limits`): regular files only, at
//! most 8 MiB, a leading byte order mark dropped; messages quoting them are cut short.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;

use crate::spec::limits::{clip_message, read_text};
use crate::spec::locate::Location;

/// Why the schemas directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The directory itself cannot be read.
    #[error("cannot read schemas directory {dir}: {source}")]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
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
    dir: PathBuf,
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
    /// Loads and compiles every `*.json` file directly in `dir`.
    pub fn load(dir: &Path) -> Result<Self, SchemaError> {
        let entries = std::fs::read_dir(dir).map_err(|source| SchemaError::Dir {
            dir: dir.to_owned(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();

        let mut sources = HashMap::new();
        let mut docs = HashMap::new();
        for path in &files {
            let text = read_text(path).map_err(|e| SchemaError::Read {
                at: Location::new(path, e.line, e.col),
                message: e.message,
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|e| SchemaError::Json {
                at: Location::new(path, e.line(), e.column()),
                message: clip_message(&strip_serde_position(&e.to_string())).into_owned(),
            })?;
            let name = file_name(path);
            docs.insert(name.clone(), value);
            sources.insert(name, (path.clone(), text));
        }

        let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        let base = format!("file://{}/", abs.display());
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
            dir: dir.to_owned(),
            compiled,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
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

/// serde_json appends " at line L column C"; we print the location in front instead.
pub(crate) fn strip_serde_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
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
