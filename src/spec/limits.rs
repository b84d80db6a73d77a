//! Input limits: how much the harness reads, expands and echoes from its input files
//! (case files, schemas, target files), so that a small or hostile input is one located
//! error in bounded time and memory, never a hang or an exhausted machine.
//!
//! The limits are documented in the README ("Input limits"); keep the two in step.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// The largest input file read (case file, schema, target file). The side-by-side
/// benchmark's 10,000-case file is about 3.3 MB.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The most YAML nodes (keys, values, collections) one file may hold once its aliases are
/// expanded: aliases let a few KB stand for gigabytes.
pub const MAX_YAML_NODES: usize = 1_000_000;

/// The deepest nesting of collections in a YAML file (a request or expected body starts
/// at level 5; the rest is for the body).
pub const MAX_YAML_DEPTH: usize = 64;

/// The most setup steps one case may expand to, counting every `use:` of a fixture and
/// every call in it: fixtures that use each other twice per level double at each level.
pub const MAX_CASE_STEPS: usize = 256;

/// The most setup steps the whole suite may expand to (the sum over all cases).
pub const MAX_SUITE_STEPS: usize = 200_000;

/// The longest message shown for one input problem; longer ones (a 1 MB regex quoted in
/// a schema error) keep their start and end.
pub const MAX_MESSAGE_CHARS: usize = 400;

/// Why an input file is not read, with the 1-based line and column it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl ReadError {
    fn at_start(message: String) -> Self {
        ReadError {
            line: 1,
            col: 1,
            message,
        }
    }
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`] as UTF-8, without a leading byte
/// order mark (editors on Windows write one; YAML and JSON allow it at the start).
///
/// Anything else is refused before it is opened: opening a named pipe blocks until
/// someone writes to it, and `/dev/zero` never ends.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let cannot = |e: std::io::Error| ReadError::at_start(format!("cannot read: {e}"));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    check_kind(&meta)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    // The path may have been replaced between the two looks: check what was opened.
    check_kind(&file.metadata().map_err(cannot)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    decode_text(bytes)
}

/// Input bytes as text, within the same limits as [`read_text`]: at most
/// [`MAX_FILE_BYTES`], UTF-8 (a bad byte is located), a leading byte order mark dropped.
/// Files built into the binary go through here too, so they read exactly as on disk.
pub fn decode_text(bytes: Vec<u8>) -> Result<String, ReadError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let (line, col) = line_col(valid);
        ReadError {
            line,
            col,
            message: "not UTF-8 text".into(),
        }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

fn check_kind(meta: &std::fs::Metadata) -> Result<(), ReadError> {
    if !meta.is_file() {
        return Err(ReadError::at_start(format!(
            "{}: only regular files are read",
            kind(&meta.file_type())
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> ReadError {
    ReadError::at_start(format!(
        "larger than {} MiB, the most an input file may be",
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

/// What a file that is not a regular file is, in words.
fn kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The line and column just past `bytes` (valid UTF-8), 1-based, columns in characters.
fn line_col(bytes: &[u8]) -> (usize, usize) {
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let line = text.matches('\n').count() + 1;
    let last = text.rfind('\n').map_or(text, |i| &text[i + 1..]);
    (line, last.chars().count() + 1)
}

/// `message` cut to [`MAX_MESSAGE_CHARS`] characters: its start and its end (which says
/// what is wrong) are kept, the middle gives way, on character boundaries.
pub fn clip_message(message: &str) -> Cow<'_, str> {
    let count = message.chars().count();
    if count <= MAX_MESSAGE_CHARS {
        return Cow::Borrowed(message);
    }
    let head = MAX_MESSAGE_CHARS * 3 / 4;
    let tail = MAX_MESSAGE_CHARS - head;
    let start = message.char_indices().nth(head).map_or(0, |(i, _)| i);
    let end = message
        .char_indices()
        .nth(count - tail)
        .map_or(message.len(), |(i, _)| i);
    Cow::Owned(format!(
        "{}…[{} bytes cut]…{}",
        &message[..start],
        end - start,
        &message[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_keep_their_start_and_end_on_char_boundaries() {
        assert_eq!(clip_message("short"), "short");
        let long = format!("\"{}\" is not a \"regex\"", "é".repeat(1_000_000));
        let clipped = clip_message(&long);
        assert!(clipped.starts_with("\"éé"), "{clipped}");
        assert!(clipped.ends_with("éé\" is not a \"regex\""), "{clipped}");
        assert!(clipped.contains("bytes cut]"), "{clipped}");
        assert!(
            clipped.chars().count() < MAX_MESSAGE_CHARS + 40,
            "{clipped}"
        );
    }

    #[test]
    fn byte_order_marks_are_dropped_and_bad_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.yaml");
        std::fs::write(&p, "\u{feff}a: 1\n").unwrap();
        assert_eq!(read_text(&p).unwrap(), "a: 1\n");
        std::fs::write(&p, b"a: 1\nbb: \xff\n").unwrap();
        let e = read_text(&p).unwrap_err();
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (2, 5, "not UTF-8 text")
        );
        let e = read_text(dir.path()).unwrap_err();
        assert_eq!(e.message, "a directory: only regular files are read");
    }
}
