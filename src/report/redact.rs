//! Redaction: every secret a run knows (tokens, SKs, security tokens, passwords,
//! per-request signatures) is replaced by a fixed marker in everything the run prints or
//! writes.
//!
//! What is covered, for each secret of at least [`MIN_LEN`] bytes:
//! - the secret as is;
//! - the secret written through escapes, in any mix: JSON (`\"`, `\\`, `\/`, `\n`, `\uXXXX`
//!   with either case of hex digits, surrogate pairs), Rust's `Debug` (`\u{…}`), URL
//!   percent-encoding (`%2B`/`%2b`, `+` for a space), HTML character references (`&#43;`,
//!   `&#x2B;`, `&quot;`…), JSON-pointer escapes (`~1`, `~0`), and escapes escaped once
//!   more (`%252B`, a JSON string inside a JSON string: `\\\"`);
//! - for secrets of at least [`ENCODED_MIN_LEN`] bytes also its hex (lower and upper case)
//!   and base64 (standard and URL-safe, at any byte alignment, so a secret inside HTTP
//!   Basic credentials is found too), each of these again through the escapes above.
//!
//! Redact *before* cutting a text short: a secret cut in half no longer matches, and its
//! first half would be printed.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

pub const MARKER: &str = "[REDACTED]";

/// Secrets shorter than this are not searched for: replacing every "a" would make
/// messages unreadable, and such a short secret is not a secret anyway.
pub const MIN_LEN: usize = 4;

/// Hex and base64 forms are searched for secrets at least this long: shorter ones give
/// base64 fragments of a few characters that would match unrelated text.
pub const ENCODED_MIN_LEN: usize = 8;

/// The most text one escaped byte can take (`\u0041` for `A`).
const MAX_UNIT: usize = 6;

#[derive(Clone, Default)]
pub struct Redactor {
    /// The secrets as given.
    secrets: Vec<String>,
    /// What is searched for: each secret and its encoded forms, longest first.
    needles: Vec<Vec<u8>>,
    /// `starts[b]`: a match can begin at a byte `b` of the text.
    starts: Vec<bool>,
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
        let mut needles: Vec<Vec<u8>> = secrets.iter().flat_map(|s| encoded_forms(s)).collect();
        // Longest first, so a secret that contains another is replaced whole.
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        let mut starts = vec![false; 256];
        for n in &needles {
            starts[usize::from(n[0])] = true;
        }
        if !needles.is_empty() {
            // Any escape or a `+` (a URL's space) may begin a match.
            for b in [b'\\', b'%', b'+', b'&', b'~'] {
                starts[usize::from(b)] = true;
            }
        }
        Redactor {
            secrets,
            needles,
            starts,
        }
    }

    /// This redactor, plus the per-request secrets `extra` (signatures, the token a
    /// request carried); borrowed when there are none.
    pub fn with_extra(&self, extra: &[String]) -> Cow<'_, Redactor> {
        if extra.is_empty() {
            return Cow::Borrowed(self);
        }
        let mut all = self.secrets.clone();
        all.extend(extra.iter().cloned());
        Cow::Owned(Redactor::new(all))
    }

    /// The longest text one match can span, in bytes: a text cut to a prefix of
    /// `n + reach()` bytes and then redacted cannot leak the part of a secret that
    /// straddles byte `n`.
    pub fn reach(&self) -> usize {
        self.needles.first().map_or(0, |n| n.len() * MAX_UNIT)
    }

    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.needles.is_empty() {
            return Cow::Borrowed(text);
        }
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        let (mut copied, mut i) = (0, 0);
        while i < bytes.len() {
            let found = if self.starts[usize::from(bytes[i])] && text.is_char_boundary(i) {
                self.needles.iter().find_map(|n| match_at(bytes, i, n))
            } else {
                None
            };
            match found {
                // A match may end inside a character only if the secret itself does; keep
                // the output valid UTF-8 by extending to the next boundary.
                Some(mut end) => {
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[copied..i]);
                    o.push_str(MARKER);
                    (copied, i) = (end, end);
                }
                None => i += 1,
            }
        }
        match out {
            None => Cow::Borrowed(text),
            Some(mut o) => {
                o.push_str(&text[copied..]);
                Cow::Owned(o)
            }
        }
    }
}

/// The secret and, for long enough ones, its hex and base64 forms.
fn encoded_forms(secret: &str) -> Vec<Vec<u8>> {
    let raw = secret.as_bytes();
    let mut forms = vec![raw.to_vec()];
    if raw.len() >= ENCODED_MIN_LEN {
        forms.push(hex::encode(raw).into_bytes());
        forms.push(hex::encode_upper(raw).into_bytes());
        for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
            for offset in 0..3 {
                forms.push(base64_core(&engine, raw, offset));
            }
        }
    }
    forms
}

/// The base64 characters that encode only `raw`'s bits when `raw` starts `offset` bytes
/// into the encoded data: whatever stands around it, these characters are the same.
fn base64_core(engine: &impl base64::Engine, raw: &[u8], offset: usize) -> Vec<u8> {
    let mut data = vec![0u8; offset];
    data.extend_from_slice(raw);
    let encoded = engine.encode(&data).into_bytes();
    let first = (8 * offset).div_ceil(6);
    let last = 8 * (offset + raw.len()) / 6;
    encoded[first..last].to_vec()
}

/// Where a match of `needle` starting at `text[i]` ends, reading each byte of the text
/// either literally or through an escape. Depth-first over (text position, needle
/// position), each state tried once, so a secret full of backslashes stays polynomial.
fn match_at(text: &[u8], i: usize, needle: &[u8]) -> Option<usize> {
    // Most candidate positions fail on the first byte: decide those without allocating.
    let first_literal = text[i] == needle[0] || (text[i] == b'+' && needle[0] == b' ');
    let first_escaped = [unescape(&text[i..]), unescape_nested(&text[i..])]
        .into_iter()
        .flatten()
        .any(|(d, _)| needle.starts_with(d.as_slice()));
    if !first_literal && !first_escaped {
        return None;
    }
    let mut stack = vec![(i, 0usize)];
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    while let Some((j, k)) = stack.pop() {
        if k == needle.len() {
            return Some(j);
        }
        if j >= text.len() || !seen.insert((j, k)) {
            continue;
        }
        let want = needle[k];
        if text[j] == want || (text[j] == b'+' && want == b' ') {
            stack.push((j + 1, k + 1));
        }
        for (decoded, len) in [unescape(&text[j..]), unescape_nested(&text[j..])]
            .into_iter()
            .flatten()
        {
            let d = decoded.as_slice();
            if needle[k..].starts_with(d) {
                stack.push((j + len, k + d.len()));
            }
        }
    }
    None
}

/// A few bytes the text at `t` stands for through an escape, and how much text that is.
fn unescape(t: &[u8]) -> Option<(Bytes, usize)> {
    match t {
        [b'%', h, l, ..] => Some((Bytes::one(hex_val(*h)? << 4 | hex_val(*l)?), 3)),
        [b'\\', b'u', b'{', rest @ ..] => {
            let end = rest.iter().take(7).position(|&b| b == b'}')?;
            let code = u32::from_str_radix(std::str::from_utf8(&rest[..end]).ok()?, 16).ok()?;
            Some((Bytes::char(char::from_u32(code)?), 4 + end))
        }
        [b'\\', b'u', ..] => {
            let hi = hex4(&t[2..])?;
            if (0xD800..0xDC00).contains(&hi) {
                match &t[6..] {
                    [b'\\', b'u', ..] => {
                        let lo = hex4(&t[8..])?;
                        let code = 0x10000 + ((hi - 0xD800) << 10) + lo.checked_sub(0xDC00)?;
                        Some((Bytes::char(char::from_u32(code)?), 12))
                    }
                    _ => None,
                }
            } else {
                Some((Bytes::char(char::from_u32(hi)?), 6))
            }
        }
        [b'~', d @ (b'0' | b'1'), ..] => {
            Some((Bytes::one(if *d == b'0' { b'~' } else { b'/' }), 2))
        }
        [b'&', ..] => html_reference(t),
        [b'\\', c, ..] => {
            let b = match c {
                b'"' | b'\\' | b'/' | b'\'' => *c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 8,
                b'f' => 12,
                b'0' => 0,
                _ => return None,
            };
            Some((Bytes::one(b), 2))
        }
        _ => None,
    }
}

/// `&#43;`, `&#x2B;`, `&quot;`, `&amp;`, `&lt;`, `&gt;`, `&apos;`: how an HTML page (an
/// error page, a form an endpoint echoes) writes a character.
fn html_reference(t: &[u8]) -> Option<(Bytes, usize)> {
    let end = t.iter().take(12).position(|&b| b == b';')?;
    let name = std::str::from_utf8(&t[1..end]).ok()?;
    let c = match name {
        "quot" => '"',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "apos" => '\'',
        _ => {
            let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => name.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((Bytes::char(c), end + 1))
}

/// A byte escaped twice: `%252B` (a URL inside another URL's parameter, any depth), or a
/// JSON escape inside a JSON string that is itself escaped (`\\\"` for `"`, `\\u00e9`).
fn unescape_nested(t: &[u8]) -> Option<(Bytes, usize)> {
    match t {
        [b'%', b'2', b'5', ..] => {
            let mut k = 1;
            while t.get(k..k + 2).is_some_and(|p| p == b"25") && t.len() >= k + 4 {
                k += 2;
            }
            (k > 1).then_some(())?;
            let (b, n) = unescape(&[&[b'%'][..], &t[k..(k + 2).min(t.len())]].concat())?;
            Some((b, k + n - 1))
        }
        [b'\\', b'\\', ..] => {
            // Decode the escape's own characters one level down, then the escape itself.
            let mut buf = vec![b'\\'];
            let mut at = 2;
            while buf.len() < 13 && at < t.len() {
                let (unit, len) = unescape(&t[at..]).unwrap_or((Bytes::one(t[at]), 1));
                buf.extend_from_slice(unit.as_slice());
                at += len;
                let whole = unescape(&buf).filter(|(_, n)| *n == buf.len());
                if let Some((b, _)) = whole {
                    return Some((b, at));
                }
            }
            None
        }
        _ => None,
    }
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn hex4(t: &[u8]) -> Option<u32> {
    let digits = t.get(..4)?;
    digits
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc << 4 | u32::from(hex_val(b)?)))
}

/// Up to four bytes (one UTF-8 character) without allocating.
struct Bytes {
    buf: [u8; 4],
    len: usize,
}

impl Bytes {
    fn one(b: u8) -> Bytes {
        Bytes {
            buf: [b, 0, 0, 0],
            len: 1,
        }
    }
    fn char(c: char) -> Bytes {
        let mut buf = [0u8; 4];
        let len = c.encode_utf8(&mut buf).len();
        Bytes { buf, len }
    }
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    fn one(secret: &str) -> Redactor {
        Redactor::new([secret.to_owned()])
    }

    #[test]
    fn replaces_every_occurrence_longest_first() {
        let r = Redactor::new(["tok".to_string(), "secret".into(), "secret-2".into()]);
        assert_eq!(
            r.redact("a secret-2 b secret tok"),
            "a [REDACTED] b [REDACTED] tok"
        );
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_and_debug_escaped_forms_are_redacted_too() {
        let r = one(r#"pa"ss\word"#);
        let json = serde_json::Value::String(r#"pa"ss\word"#.into()).to_string();
        assert_eq!(r.redact(&json), "\"[REDACTED]\"");
        assert_eq!(
            r.redact(&format!("{:?}", r#"x pa"ss\word"#)),
            "\"x [REDACTED]\""
        );
        assert!(!format!("{r:?}").contains("word"));
    }

    #[test]
    fn a_token_with_url_and_json_special_characters_in_every_escaping() {
        let token = "MIItok+en/with=\"chars x";
        let r = one(token);
        let all_u: String = token
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let all_u_upper = all_u.to_uppercase().replace("\\U", "\\u");
        for form in [
            token.to_owned(),
            r#"MIItok+en\/with=\"chars x"#.to_owned(), // JSON with `\/`
            all_u,
            all_u_upper,
            "MIItok%2Ben%2Fwith%3D%22chars%20x".to_owned(),
            "MIItok%2ben%2fwith%3d%22chars+x".to_owned(), // lower-case escapes, + for space
            "MIItok%2Ben/with=%22chars%20x".to_owned(),   // a URL parser's own choice
        ] {
            assert_eq!(r.redact(&format!("<{form}>")), "<[REDACTED]>", "{form}");
        }
    }

    #[test]
    fn non_ascii_and_astral_characters_through_escapes() {
        let r = one("密码-😀-secret");
        assert_eq!(r.redact("a 密码-😀-secret b"), "a [REDACTED] b");
        assert_eq!(
            r.redact(r"x\u5bc6\u7801-\ud83d\ude00-secret"),
            "x[REDACTED]"
        );
        assert_eq!(
            r.redact(r"x\u{5bc6}\u{7801}-\u{1f600}-secret"),
            "x[REDACTED]"
        );
        assert_eq!(
            r.redact("%E5%AF%86%E7%A0%81-%F0%9F%98%80-secret"),
            "[REDACTED]"
        );
    }

    #[test]
    fn hex_base64_and_basic_auth_forms() {
        let sk = "SK-abcdef-0123456789";
        let r = one(sk);
        let hex_lower = hex::encode(sk);
        assert_eq!(r.redact(&format!("h={hex_lower};")), "h=[REDACTED];");
        assert_eq!(
            r.redact(&format!("h={};", hex::encode_upper(sk))),
            "h=[REDACTED];"
        );
        for user in ["", "a", "ab", "user"] {
            let basic = STANDARD.encode(format!("{user}:{sk}"));
            let text = format!("Authorization: Basic {basic}");
            let red = r.redact(&text);
            assert!(red.contains(MARKER), "{user}: {red}");
            // What is left around the marker cannot be decoded back to the secret.
            assert!(!red.contains(&basic), "{red}");
        }
        // URL-safe base64 of bytes that give `-`/`_` in it.
        let weird = "\u{fb}\u{ff}\u{fe}-secret-key";
        let r = one(weird);
        let b64 = URL_SAFE_NO_PAD.encode(weird);
        assert_eq!(r.redact(&format!("[{b64}]")).matches(MARKER).count(), 1);
        // Short secrets have no encoded forms: base64 of 4 bytes would match noise.
        assert_eq!(one("abcd").needles.len(), 1);
    }

    #[test]
    fn backslash_heavy_secrets_stay_fast() {
        let secret = "\\".repeat(64);
        let r = one(&secret);
        // Each backslash can be read literally or as half of an escaped one: without the
        // visited states this is 2^64 paths and never ends.
        let text = format!("{}x", "\\".repeat(20_000));
        assert!(r.redact(&text).contains(MARKER));
    }

    #[test]
    fn html_references_json_pointers_and_doubled_escapes() {
        let token = "MIItok+en/with=\"chars~x";
        let r = one(token);
        for form in [
            "MIItok&#43;en&#47;with=&quot;chars~x",
            "MIItok&#x2B;en&#x2f;with=&#34;chars&#126;x",
            "MIItok+en~1with=\"chars~0x",
            "MIItok%252Ben%252Fwith%253D%2522chars~x",
            "MIItok%25252Ben/with=%22chars~x",
            r#"MIItok+en\\/with=\\\"chars~x"#,
        ] {
            assert_eq!(r.redact(&format!("<{form}>")), "<[REDACTED]>", "{form}");
        }
        let r = one("pässwörd-123");
        assert_eq!(r.redact(r"x p\\u00e4sswörd-123 y"), "x [REDACTED] y");
        assert_eq!(r.redact("p&auml;"), "p&auml;");
    }

    #[test]
    fn output_stays_valid_utf8_around_matches() {
        let r = one("é-secret");
        assert_eq!(r.redact("ééé-secretà"), "éé[REDACTED]à");
    }
}
