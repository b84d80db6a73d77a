//! A mismatch in words: one line saying what is off, for every message and report.
//! Everything taken from the response (or from variables) goes through the redactor
//! first and is then cut to [`VALUE_MAX`] characters: a secret cut in half would no longer
//! be recognised.

use std::borrow::Cow;

use serde_json::Value;

use super::redact::Redactor;
use super::text::{VALUE_MAX, clip};
use crate::check::Mismatch;
use crate::http::max_body_text;

/// One line saying what is off, for messages. Everything taken from the response
/// (or from variables) goes through `r` first and is then cut to [`VALUE_MAX`]
/// characters: a secret cut in half would no longer be recognised.
pub fn describe(m: &Mismatch, r: &Redactor) -> String {
    let value = |v: &Value| clip(&r.redact(&v.to_string()), VALUE_MAX);
    let opt = |v: &Option<Value>| v.as_ref().map_or(ABSENT.to_owned(), value);
    let text = |s: &str| clip(&r.redact(s), VALUE_MAX);
    let ptr = |p: &str| {
        if p.is_empty() {
            "/".to_owned()
        } else {
            text(p)
        }
    };
    match m {
        Mismatch::Status { expected, actual } => {
            format!("status: expected {expected}, got {actual}")
        }
        Mismatch::NotJson { error } => format!("body: not JSON ({})", text(error)),
        Mismatch::MoreSchemaErrors { schema, more } => {
            format!("schema {schema}: … and {more} more violations")
        }
        Mismatch::Schema {
            schema,
            instance_path,
            schema_path,
            message,
            instance,
        } => format!(
            "schema {schema}: at {}: {} (schema path {})",
            ptr(instance_path),
            schema_message(message, instance, r),
            text(schema_path)
        ),
        Mismatch::ErrorCode { expected, actual } => format!(
            "body /error_code: expected {}, got {}",
            text(&format!("{expected:?}")),
            opt(actual)
        ),
        Mismatch::HttpCode { status, http_code } => format!(
            "body /http_code: expected {status} (the HTTP status), got {}",
            value(http_code)
        ),
        Mismatch::Value {
            pointer,
            expected,
            actual,
        } => format!(
            "body {}: expected {}, got {}",
            ptr(pointer),
            value(expected),
            opt(actual)
        ),
        Mismatch::Header {
            name,
            expected,
            actual,
        } => format!(
            "header {name}: expected {}, got {}",
            text(expected),
            actual.as_deref().map_or(ABSENT.to_owned(), |a| {
                // Redact before quoting, so the marker replaces the secret whole.
                clip(&format!("{:?}", r.redact(a)), VALUE_MAX)
            })
        ),
        Mismatch::BodyTooLarge => {
            format!("body exceeds {} (stopped reading)", max_body_text())
        }
        Mismatch::DuplicateKey { pointer, key } => format!(
            "body {}: key {} appears more than once in one object (JSON parsers disagree on which one counts)",
            ptr(pointer),
            text(&format!("{key:?}"))
        ),
    }
}

const ABSENT: &str = "nothing (absent)";

/// jsonschema quotes the offending value whole (`"…5 MB…" is longer than 1024
/// characters`): shorten that value inside the message, after redacting both.
fn schema_message(message: &str, instance: &str, r: &Redactor) -> String {
    let message = r.redact(message);
    let instance = r.redact(instance);
    let message = if instance.chars().count() > VALUE_MAX && message.contains(&*instance) {
        Cow::Owned(message.replacen(&*instance, &clip(&instance, VALUE_MAX), 1))
    } else {
        message
    };
    // Whatever else the message embeds, keep it to a line of reasonable length.
    clip(&message.replace(['\n', '\r'], " "), 2 * VALUE_MAX)
}
