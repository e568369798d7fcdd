//! File-system helpers: [`IoError`] (an I/O error with the path it is about, the one every module
//! error wraps) and [`write_atomic`], the only atomic file write of the crate.
//!
//! May import: the standard library only.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Reading or writing a file or directory failed.
#[derive(Debug, thiserror::Error)]
#[error("{}", path.display())]
pub struct IoError {
    /// The file or directory.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

impl IoError {
    /// An error about `path`.
    pub(crate) fn new(path: impl Into<PathBuf>, source: std::io::Error) -> IoError {
        IoError {
            path: path.into(),
            source,
        }
    }
}

/// `map_err(io_error(path))`: wraps an [`std::io::Error`] into an [`IoError`] about `path`.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IoError + '_ {
    move |source| IoError::new(path, source)
}

/// `std::fs::create_dir_all`, the error naming the directory.
pub(crate) fn create_dir_all(dir: &Path) -> Result<(), IoError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))
}

/// Creates the directory that holds `path`, if it has one.
pub(crate) fn create_parent(path: &Path) -> Result<(), IoError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => create_dir_all(parent),
        _ => Ok(()),
    }
}

/// How [`write_atomic_with`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteOptions {
    /// Flush the file to disk before the rename and the directory after it, so that a crash
    /// leaves the old content or the new one (a release record, a credentials file). A build
    /// artifact that is simply remade can skip it.
    pub durable: bool,
    /// Create the file readable and writable by its owner only (mode 0600 on Unix) before a byte
    /// is written (files that may hold passwords).
    pub private: bool,
}

impl WriteOptions {
    /// Durable, default permissions: what [`write_atomic`] does.
    pub(crate) const DURABLE: WriteOptions = WriteOptions {
        durable: true,
        private: false,
    };
    /// Durable, readable by the owner only (files that may hold credentials).
    pub(crate) const PRIVATE: WriteOptions = WriteOptions {
        durable: true,
        private: true,
    };
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename, fsync the
/// directory. A reader (or a crash) sees the old content or the new, never half. The directory
/// must exist.
#[allow(
    dead_code,
    reason = "the release store (storage/local.rs, cluster.rs) moves to it separately"
)]
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_atomic_with(path, bytes, WriteOptions::DURABLE)
}

/// [`write_atomic`] with [`WriteOptions`]. The temporary file (`.NAME.tmpPID` in the same
/// directory) is removed when a step fails.
pub(crate) fn write_atomic_with(
    path: &Path,
    bytes: &[u8],
    options: WriteOptions,
) -> Result<(), IoError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        file_name.unwrap_or_default(),
        std::process::id()
    ));
    let write = || -> Result<(), IoError> {
        let mut file = if options.private {
            // A stale temporary file could have other permissions: start from a new one.
            let _ = std::fs::remove_file(&tmp);
            let mut open = std::fs::OpenOptions::new();
            open.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                open.mode(0o600);
            }
            open.open(&tmp)
        } else {
            std::fs::File::create(&tmp)
        }
        .map_err(io_error(&tmp))?;
        file.write_all(bytes).map_err(io_error(&tmp))?;
        if options.durable {
            file.sync_all().map_err(io_error(&tmp))?;
        }
        drop(file);
        std::fs::rename(&tmp, path).map_err(io_error(path))
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if options.durable {
        // Make the rename itself durable (not supported on every platform: best effort).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// [`create_parent`], then [`write_atomic_with`].
pub(crate) fn write_atomic_creating_dirs(
    path: &Path,
    bytes: &[u8],
    options: WriteOptions,
) -> Result<(), IoError> {
    create_parent(path)?;
    write_atomic_with(path, bytes, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        write_atomic(&path, b"one").unwrap();
        write_atomic_with(
            &path,
            b"two",
            WriteOptions {
                durable: false,
                private: true,
            },
        )
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.yaml"]);
        let e = write_atomic(&dir.path().join("missing/b"), b"x").unwrap_err();
        assert!(
            e.path
                .ends_with(format!("missing/.b.tmp{}", std::process::id()))
        );
    }
}
