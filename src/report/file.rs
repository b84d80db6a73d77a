//! Writing report files. A regular file (or a symlink) at the path is replaced by
//! writing a hidden file beside it and renaming it over: a reader sees the old report or
//! the new one, never a part, and a symlink is replaced rather than followed to overwrite
//! whatever it points at. A device or FIFO there (`/dev/null`, a pipe to another tool) is
//! written in place: renaming over it would replace the device itself.

use std::path::Path;

use super::ReportError;

/// Whether `path` is a device, FIFO or socket (not a regular file, link or directory).
fn is_special(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| {
        let t = m.file_type();
        !(t.is_file() || t.is_symlink() || t.is_dir())
    })
}

/// Writes `contents` to `path` as described above, creating its directory.
pub fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if is_special(path) {
        return std::fs::write(path, contents);
    }
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d
        }
        None => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let (tmp, mut file) = scratch(dir, &name.to_string_lossy())?;
    let written = std::io::Write::write_all(&mut file, contents)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A new hidden file in `dir`, created exclusively (`O_CREAT|O_EXCL`): whatever already
/// stands at a name — a symlink planted to redirect the write — makes it try another
/// name instead of being followed.
fn scratch(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let mut last = None;
    for _ in 0..8 {
        let suffix =
            crate::sys::random_hex(12).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tmp = dir.join(format!(".{name}.{suffix}.tmp"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free scratch file name")))
}

/// Fails early, before any case runs, when `path` cannot be written: writes and removes
/// a scratch file beside it, the way [`write`] will, so a previous report is neither
/// clobbered nor left as an empty file. Special files are left to [`write`]: opening a
/// FIFO would wait for its reader.
pub fn check_writable(kind: &'static str, path: &Path) -> Result<(), ReportError> {
    let fail = |source: std::io::Error| ReportError::Write {
        kind,
        path: path.to_owned(),
        source,
    };
    // A symlink to a directory is replaced like any symlink: only a real directory is
    // in the way.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory",
        )));
    }
    if is_special(path) {
        return Ok(());
    }
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(fail)?;
            d
        }
        None => Path::new("."),
    };
    let (probe, _) = scratch(dir, "aom-conformance-probe").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}
