//! Redaction: every secret a run knows (tokens, SKs, security tokens, passwords) is
//! replaced by a fixed marker in everything the run prints or writes.
//!
//! Redact *before* cutting a text short: a secret cut in half no longer matches, and its
//! first half would be printed.

use std::borrow::Cow;
use std::fmt;

pub const MARKER: &str = "[REDACTED]";

/// Secrets shorter than this are not searched for: replacing every "a" would make
/// messages unreadable, and such a short secret is not a secret anyway.
const MIN_LEN: usize = 4;

#[derive(Clone, Default)]
pub struct Redactor {
    /// The secrets as given.
    secrets: Vec<String>,
    /// What is searched for: each secret, plus its JSON/Rust-escaped forms (a password
    /// with a `"` or `\` shows up escaped in a JSON value or a quoted header value),
    /// longest first.
    patterns: Vec<String>,
}

/// Never prints the secrets themselves.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= MIN_LEN).collect();
        let mut patterns = Vec::with_capacity(secrets.len());
        for s in &secrets {
            let json = serde_json::to_string(s).unwrap_or_default();
            let debug = format!("{s:?}");
            for p in [json.as_str(), debug.as_str()] {
                let inner = &p[1.min(p.len())..p.len().saturating_sub(1)];
                if inner != s && inner.len() >= MIN_LEN {
                    patterns.push(inner.to_owned());
                }
            }
            // As it appears in a URL: a secret rendered into a path or query is escaped.
            let escaped =
                percent_encoding::utf8_percent_encode(s, crate::http::UNRESERVED).to_string();
            if escaped != *s {
                patterns.push(escaped.replace("%20", "+"));
                patterns.push(escaped);
            }
            patterns.push(s.clone());
        }
        // Longest first, so a secret that contains another is replaced whole.
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        Redactor { secrets, patterns }
    }

    pub fn add(&mut self, secret: &str) {
        let mut all = std::mem::take(&mut self.secrets);
        all.push(secret.to_owned());
        *self = Redactor::new(all);
    }

    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.patterns {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), MARKER));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_longest_first() {
        let r = Redactor::new(["tok".to_string(), "secret".into(), "secret-2".into()]);
        assert_eq!(
            r.redact("a secret-2 b secret tok"),
            "a [REDACTED] b [REDACTED] tok"
        );
    }

    #[test]
    fn escaped_forms_are_redacted_too() {
        let r = Redactor::new([r#"pa"ss\word"#.to_string()]);
        let json = serde_json::Value::String(r#"pa"ss\word"#.into()).to_string();
        assert_eq!(r.redact(&json), "\"[REDACTED]\"");
        assert_eq!(
            r.redact(&format!("{:?}", r#"x pa"ss\word"#)),
            "\"x [REDACTED]\""
        );
        assert!(!format!("{r:?}").contains("word"));
    }

    #[test]
    fn url_escaped_forms_are_redacted_too() {
        let r = Redactor::new(["MIItok+en/with=chars x".to_string()]);
        assert_eq!(
            r.redact(
                "GET /v1/p/x/MIItok%2Ben%2Fwith%3Dchars%20x and ?q=MIItok%2Ben%2Fwith%3Dchars+x"
            ),
            "GET /v1/p/x/[REDACTED] and ?q=[REDACTED]"
        );
    }
}
