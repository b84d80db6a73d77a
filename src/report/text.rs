//! Shaping text for messages: cut to a number of characters (never inside a character
//! or a redaction marker), put on one line. Only ever applied to text already redacted.

use super::redact::MARKER;

/// Longest value (JSON value, header value, …) shown in a message, in characters.
pub const VALUE_MAX: usize = 200;

/// `text` cut to `max` characters, with `… (N bytes)` (N: the length of all of `text`)
/// when something was cut. Cut only text that is already redacted. Text this already
/// cut to `max` is left as it is: `report merge` shows texts read back from a report, and
/// cutting them again would replace the original length with the cut text's.
pub fn clip(text: &str, max: usize) -> String {
    if already_clipped(text, max) {
        return text.to_owned();
    }
    match cut_point(text, max) {
        None => text.to_owned(),
        Some(at) => format!("{}… ({} bytes)", &text[..at], text.len()),
    }
}

/// Whether `text` is `{head}… ({N} bytes)` as [`clip`] writes it: a head of at most `max`
/// characters, shorter than the N bytes it stands for.
fn already_clipped(text: &str, max: usize) -> bool {
    let Some((head, n)) = text
        .strip_suffix(" bytes)")
        .and_then(|t| t.rsplit_once("… ("))
    else {
        return false;
    };
    n.parse::<usize>().is_ok_and(|n| n > head.len()) && cut_point(head, max).is_none()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clipped_text_is_not_clipped_again() {
        let long = "x".repeat(500);
        let once = clip(&long, 200);
        assert_eq!(once, format!("{}… (500 bytes)", "x".repeat(200)));
        assert_eq!(clip(&once, 200), once);
        // Only what clip wrote passes as clipped.
        let fake = format!("{}… (5 bytes)", "y".repeat(200));
        let recut = format!("{}… ({} bytes)", "y".repeat(200), fake.len());
        assert_eq!(clip(&fake, 200), recut);
        let shorter = format!("{}… ({} bytes)", "x".repeat(100), once.len());
        assert_eq!(clip(&once, 100), shorter);
    }
}
