//! Redaction: every secret a run knows (tokens, SKs, security tokens, passwords) is
//! replaced by a fixed marker in everything the run prints or writes.

use std::borrow::Cow;

pub const MARKER: &str = "[REDACTED]";

/// Secrets shorter than this are not searched for: replacing every "a" would make
/// messages unreadable, and such a short secret is not a secret anyway.
const MIN_LEN: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= MIN_LEN).collect();
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn add(&mut self, secret: &str) {
        let mut all = std::mem::take(&mut self.secrets);
        all.push(secret.to_owned());
        *self = Redactor::new(all);
    }

    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
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
}
