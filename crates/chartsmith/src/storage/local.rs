//! The embedded store: one JSON file per revision under a state directory.
//!
//! ```text
//! STATE_DIR/releases/NAME/v1.json      the Helm record of revision 1
//! STATE_DIR/releases/NAME/v2.json
//! STATE_DIR/releases/NAME/.lock        held (flock) while an operation runs; names the operation
//! STATE_DIR/releases/NAME/manifests/   the no-cluster target's output (see `crate::cluster`)
//! ```
//!
//! Every write goes to a temporary file in the same directory, is flushed to disk, then renamed
//! over the target, so a reader (or a crash) sees the old record or the new one, never half.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::{Driver, Lock, Result, StorageError};
use crate::release::Release;

/// The environment variable naming the state directory (default `.chartsmith`).
pub const STATE_DIR_ENV: &str = "CHARTSMITH_STATE_DIR";

/// The local file-system driver.
#[derive(Debug, Clone)]
pub struct LocalDriver {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl LocalDriver {
    /// A driver over the state directory `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> LocalDriver {
        LocalDriver { root: root.into() }
    }

    /// The state directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one release.
    pub fn release_dir(&self, name: &str) -> PathBuf {
        self.root.join("releases").join(name)
    }

    fn check_name(name: &str) -> Result<()> {
        if name.is_empty()
            || name.starts_with('.')
            || name.contains(['/', '\\'])
            || name.chars().any(char::is_control)
        {
            return Err(StorageError::InvalidName(name.to_string()));
        }
        Ok(())
    }

    fn record_path(&self, name: &str, version: u64) -> Result<PathBuf> {
        Self::check_name(name)?;
        Ok(self.release_dir(name).join(format!("v{version}.json")))
    }

    fn read(path: &Path) -> Result<Release> {
        let bytes = fs::read(path).map_err(io(path))?;
        serde_json::from_slice(&bytes).map_err(|source| StorageError::Corrupt {
            path: path.to_path_buf(),
            source,
        })
    }

    fn write(&self, path: &Path, release: &Release) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io(dir))?;
        // Serializing a release cannot fail: every map key is a string.
        let json = serde_json::to_vec(release).unwrap_or_default();
        write_atomic(path, &json)
    }

    fn versions(&self, name: &str) -> Result<Vec<u64>> {
        Self::check_name(name)?;
        let dir = self.release_dir(name);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut versions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let file = entry.file_name();
            let file = file.to_string_lossy();
            if let Some(v) = file
                .strip_prefix('v')
                .and_then(|f| f.strip_suffix(".json"))
                .and_then(|v| v.parse().ok())
            {
                versions.push(v);
            }
        }
        versions.sort_unstable();
        Ok(versions)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename, fsync the
/// directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        file_name.unwrap_or_default(),
        std::process::id()
    ));
    let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io(path))?;
    // Make the rename itself durable (not supported on every platform: best effort).
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl Driver for LocalDriver {
    fn create(&self, release: &Release) -> Result<()> {
        let path = self.record_path(&release.name, release.version)?;
        if path.exists() {
            return Err(StorageError::AlreadyExists {
                name: release.name.clone(),
                version: release.version,
            });
        }
        self.write(&path, release)
    }

    fn update(&self, release: &Release) -> Result<()> {
        let path = self.record_path(&release.name, release.version)?;
        if !path.exists() {
            return Err(StorageError::NotFound {
                name: release.name.clone(),
                version: Some(release.version),
            });
        }
        self.write(&path, release)
    }

    fn get(&self, name: &str, version: u64) -> Result<Release> {
        let path = self.record_path(name, version)?;
        if !path.exists() {
            return Err(StorageError::NotFound {
                name: name.to_string(),
                version: Some(version),
            });
        }
        Self::read(&path)
    }

    fn history(&self, name: &str) -> Result<Vec<Release>> {
        self.versions(name)?
            .into_iter()
            .map(|v| self.get(name, v))
            .collect()
    }

    fn list(&self) -> Result<Vec<Release>> {
        let dir = self.root.join("releases");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            if entry.path().is_dir() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        let mut all = Vec::new();
        for name in names.iter().filter(|n| Self::check_name(n).is_ok()) {
            all.extend(self.history(name)?);
        }
        Ok(all)
    }

    fn delete(&self, name: &str, version: u64) -> Result<Release> {
        let release = self.get(name, version)?;
        let path = self.record_path(name, version)?;
        fs::remove_file(&path).map_err(io(&path))?;
        Ok(release)
    }

    fn lock(&self, name: &str, operation: &str) -> Result<Lock> {
        Self::check_name(name)?;
        let dir = self.release_dir(name);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(".lock");
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                // The holder writes its operation right after locking: give it a moment.
                let mut holder = String::new();
                for _ in 0..50 {
                    holder.clear();
                    let _ = file.rewind();
                    let _ = file.read_to_string(&mut holder);
                    if !holder.trim().is_empty() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                let holder = holder.trim();
                return Err(StorageError::Locked {
                    name: name.to_string(),
                    operation: if holder.is_empty() {
                        "unknown".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
        }
        // Record what holds the lock, for the message another process shows.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = file.write_all(operation.as_bytes());
        let _ = file.flush();
        Ok(Lock {
            _file: Some(file),
            memory: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_driver() {
        let dir = tempfile::tempdir().unwrap();
        super::super::tests::exercise(&LocalDriver::new(dir.path()));
    }

    #[test]
    fn one_json_file_per_revision_and_no_temporary_files_left() {
        let dir = tempfile::tempdir().unwrap();
        let driver = LocalDriver::new(dir.path());
        let release = super::super::tests::rel("web", 1, crate::release::Status::Deployed);
        driver.create(&release).unwrap();
        driver.update(&release).unwrap();
        let mut files: Vec<_> = fs::read_dir(driver.release_dir("web"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["v1.json"]);
        let text = fs::read_to_string(driver.release_dir("web").join("v1.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["info"]["status"], "deployed");
        assert_eq!(value["version"], 1);
    }

    #[test]
    fn rejects_names_that_escape_the_state_directory() {
        let driver = LocalDriver::new("/nonexistent");
        assert!(matches!(
            driver.get("../x", 1),
            Err(StorageError::InvalidName(_))
        ));
    }
}
