//! Shaping text for messages: cut to a number of characters (never inside a character
//! or a redaction marker), put on one line. Only ever applied to text already redacted.

use super::redact::MARKER;

/// Longest value (JSON value, header value, …) shown in a message, in characters.
pub const VALUE_MAX: usize = 200;

/// `text` cut to `max` characters, with `… (N bytes)` (N: the length of all of `text`)
/// when something was cut. Cut only text that is already redacted.
pub fn clip(text: &str, max: usize) -> String {
    match cut_point(text, max) {
        None => text.to_owned(),
        Some(at) => format!("{}… ({} bytes)", &text[..at], text.len()),
    }
}

/// Where to cut `text` to keep `max` characters (`None`: it fits). A [`MARKER`] the cut
/// would split is kept whole.
pub fn cut_point(text: &str, max: usize) -> Option<usize> {
    let (mut at, _) = text.char_indices().nth(max)?;
    let mut from = at.saturating_sub(MARKER.len() - 1);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (at + MARKER.len()).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    let window = &text[from..to];
    if let Some(p) = window.find(MARKER).map(|p| from + p) {
        if p < at && at < p + MARKER.len() {
            at = p + MARKER.len();
        }
    }
    (at < text.len()).then_some(at)
}

/// `text` on one line: whitespace runs become one space, other control characters
/// (terminal escapes an endpoint might send) become `�`.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        // Bidirectional overrides and isolates reorder what a terminal or browser shows
        // (U+202E makes `evil.exe` read as `exe.live`): shown as `�` like control characters.
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        out.push(if c.is_control() || bidi {
            char::REPLACEMENT_CHARACTER
        } else {
            c
        });
    }
    out
}
