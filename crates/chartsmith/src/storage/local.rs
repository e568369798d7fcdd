//! The embedded store: one JSON file per revision under a state directory, keyed by namespace.
//!
//! ```text
//! STATE_DIR/releases/NS/NAME/v1.json      the Helm record of revision 1
//! STATE_DIR/releases/NS/NAME/v2.json
//! STATE_DIR/releases/NS/NAME/.lock        held (flock) while an operation runs; names the operation
//! STATE_DIR/releases/NS/NAME/manifests/   the no-cluster target's output (see `crate::cluster`)
//! ```
//!
//! State directories written before releases were namespaced keep a release in
//! `STATE_DIR/releases/NAME/`; such a release still belongs to the namespace its records name, is
//! read and written where it is, and is listed with the others.
//!
//! Every write goes to a temporary file in the same directory, is flushed to disk, then renamed
//! over the target, so a reader (or a crash) sees the old record or the new one, never half.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::{Driver, Lock, RecordRef, Result, StorageError};
use crate::release::Release;
use crate::release::codec::MAX_RECORD_BYTES;

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

/// The revisions recorded in `dir` (`vN.json` files), sorted.
fn versions_in(dir: &Path) -> Result<Vec<u64>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut versions = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
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

/// The sub-directories of `dir` whose names could be release names or namespaces, sorted.
fn subdirs(dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && LocalDriver::check_name(&name).is_ok() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
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

    /// The directory of one release: `releases/NS/NAME`, or the directory of a release recorded
    /// before releases were namespaced (`releases/NAME`) when its records belong to `namespace`.
    pub fn release_dir(&self, namespace: &str, name: &str) -> PathBuf {
        let dir = self.root.join("releases").join(namespace).join(name);
        if dir.exists() {
            return dir;
        }
        self.legacy_dir(namespace, name).unwrap_or(dir)
    }

    /// `releases/NAME` when it holds records of release `name` in `namespace`.
    fn legacy_dir(&self, namespace: &str, name: &str) -> Option<PathBuf> {
        let dir = self.root.join("releases").join(name);
        let last = *versions_in(&dir).ok()?.last()?;
        let record = Self::read(&dir.join(format!("v{last}.json"))).ok()?;
        (record.name == name && record.namespace == namespace).then_some(dir)
    }

    pub(crate) fn check_name(name: &str) -> Result<()> {
        if name.is_empty()
            || name.starts_with('.')
            || name.contains(['/', '\\'])
            || name.chars().any(char::is_control)
        {
            return Err(StorageError::InvalidName(name.to_string()));
        }
        Ok(())
    }

    fn checked_dir(&self, namespace: &str, name: &str) -> Result<PathBuf> {
        Self::check_name(namespace)?;
        Self::check_name(name)?;
        Ok(self.release_dir(namespace, name))
    }

    fn record_path(&self, namespace: &str, name: &str, version: u64) -> Result<PathBuf> {
        Ok(self
            .checked_dir(namespace, name)?
            .join(format!("v{version}.json")))
    }

    /// Reads a record: no more than [`MAX_RECORD_BYTES`] are read, so that a huge file (or a
    /// device, a FIFO) put in place of a record costs bounded memory; JSON nesting is bounded by
    /// serde_json's recursion limit.
    fn read(path: &Path) -> Result<Release> {
        let file = fs::File::open(path).map_err(io(path))?;
        let meta = file.metadata().map_err(io(path))?;
        let too_large = || StorageError::RecordTooLarge {
            record: path.display().to_string(),
            limit: MAX_RECORD_BYTES,
        };
        if !meta.is_file() {
            return Err(StorageError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other("not a regular file"),
            });
        }
        if meta.len() > MAX_RECORD_BYTES {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io(path))?;
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(too_large());
        }
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
    fn name(&self) -> &'static str {
        "local"
    }

    fn create(&self, release: &Release) -> Result<()> {
        let path = self.record_path(&release.namespace, &release.name, release.version)?;
        if path.exists() {
            return Err(StorageError::AlreadyExists {
                name: release.name.clone(),
                version: release.version,
            });
        }
        self.write(&path, release)
    }

    fn update(&self, release: &Release) -> Result<()> {
        let path = self.record_path(&release.namespace, &release.name, release.version)?;
        if !path.exists() {
            return Err(StorageError::NotFound {
                name: release.name.clone(),
                version: Some(release.version),
            });
        }
        self.write(&path, release)
    }

    fn get(&self, namespace: &str, name: &str, version: u64) -> Result<Release> {
        let path = self.record_path(namespace, name, version)?;
        if !path.exists() {
            return Err(StorageError::NotFound {
                name: name.to_string(),
                version: Some(version),
            });
        }
        Self::read(&path)
    }

    fn history(&self, namespace: &str, name: &str) -> Result<Vec<Release>> {
        let dir = self.checked_dir(namespace, name)?;
        versions_in(&dir)?
            .into_iter()
            .map(|v| Self::read(&dir.join(format!("v{v}.json"))))
            .collect()
    }

    fn query(&self, namespace: Option<&str>) -> Result<Vec<RecordRef>> {
        let releases = self.root.join("releases");
        let mut refs = Vec::new();
        let mut push = |ns: &str, name: &str, versions: Vec<u64>| {
            refs.extend(versions.into_iter().map(|version| RecordRef {
                namespace: ns.to_string(),
                name: name.to_string(),
                version,
                status: None,
            }));
        };
        for top in subdirs(&releases)? {
            let dir = releases.join(&top);
            // A release recorded before namespaces: `releases/NAME/vN.json`.
            if let Some(&last) = versions_in(&dir)?.last() {
                let record = Self::read(&dir.join(format!("v{last}.json")))?;
                if record.name == top
                    && namespace.is_none_or(|n| n == record.namespace)
                    && !releases.join(&record.namespace).join(&top).exists()
                {
                    push(&record.namespace, &top, versions_in(&dir)?);
                }
            }
            if namespace.is_some_and(|n| n != top) {
                continue;
            }
            for name in subdirs(&dir)? {
                let versions = versions_in(&dir.join(&name))?;
                if !versions.is_empty() {
                    push(&top, &name, versions);
                }
            }
        }
        refs.sort();
        Ok(refs)
    }

    fn delete(&self, namespace: &str, name: &str, version: u64) -> Result<Release> {
        let release = self.get(namespace, name, version)?;
        let path = self.record_path(namespace, name, version)?;
        fs::remove_file(&path).map_err(io(&path))?;
        Ok(release)
    }

    fn lock(&self, namespace: &str, name: &str, operation: &str) -> Result<Lock> {
        let dir = self.checked_dir(namespace, name)?;
        let path = dir.join(".lock");
        // A holder that finds no records when it lets go removes the lock file (and the empty
        // release directory): a lock taken here may be on a file that was just removed, so it
        // is taken again until it is held on the file the path names.
        let mut attempts = 0;
        let mut file = loop {
            attempts += 1;
            fs::create_dir_all(&dir).map_err(io(&dir))?;
            let file = match fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
            {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 5 => continue,
                Err(e) => return Err(io(&path)(e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(locked(name, file)),
                Err(fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
            }
            if attempts >= 5 || same_file(&file, &path) {
                break file;
            }
        };
        // Record what holds the lock, for the message another process shows.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = file.write_all(operation.as_bytes());
        let _ = file.flush();
        // The OS releases the lock when the file is closed.
        Ok(Lock::new(LockFile { file, dir, path }))
    }
}

/// The error for a lock another process holds, naming its operation.
fn locked(name: &str, mut file: fs::File) -> StorageError {
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
    StorageError::Locked {
        name: name.to_string(),
        operation: if holder.is_empty() {
            "unknown".to_string()
        } else {
            holder.to_string()
        },
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &fs::File, path: &Path) -> bool {
    path.exists()
}

/// A held `.lock` file. Released with no records left in the release directory (an operation
/// on an unknown release that failed, or an uninstall that removed every revision), it removes
/// the lock file and the directory if empty, so that nothing is left behind.
struct LockFile {
    file: fs::File,
    dir: PathBuf,
    path: PathBuf,
}

impl Drop for LockFile {
    fn drop(&mut self) {
        if versions_in(&self.dir).is_ok_and(|v| v.is_empty()) {
            // Still held while it is removed: no one else can be mid-operation on it.
            let _ = fs::remove_file(&self.path);
            let _ = self.file.unlock();
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::Status;
    use crate::storage::testing::{exercise, rel, rel_in};

    #[test]
    fn behaves_as_a_driver() {
        let dir = tempfile::tempdir().unwrap();
        exercise(&LocalDriver::new(dir.path()), "default", "apps");
    }

    #[test]
    fn hostile_record_files_are_errors_naming_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let driver = LocalDriver::new(dir.path());
        let record = dir.path().join("releases/default/demo/v1.json");
        fs::create_dir_all(record.parent().unwrap()).unwrap();
        let expect = |text: &str| {
            let e = driver.get("default", "demo", 1).unwrap_err().to_string();
            assert!(e.starts_with(&record.display().to_string()), "{e}");
            assert!(e.contains(text), "{e}");
        };
        fs::write(&record, b"{\"name\": \"demo\", ").unwrap();
        expect("not a release record");
        // Nested far deeper than any record: serde_json's recursion limit, not a stack overflow.
        fs::write(
            &record,
            format!("{{\"config\": {}", "{\"a\": ".repeat(1_000_000)),
        )
        .unwrap();
        expect("recursion limit exceeded");
        // Larger than the limit (a sparse file: nothing is read).
        fs::File::create(&record)
            .unwrap()
            .set_len(MAX_RECORD_BYTES + 1)
            .unwrap();
        expect("release record larger than the limit of 64 MiB");
        assert!(driver.history("default", "demo").is_err());
        assert!(driver.query(None).is_ok(), "listing reads no record");
    }

    #[test]
    fn one_json_file_per_revision_and_no_temporary_files_left() {
        let dir = tempfile::tempdir().unwrap();
        let driver = LocalDriver::new(dir.path());
        let release = rel("web", 1, Status::Deployed);
        driver.create(&release).unwrap();
        driver.update(&release).unwrap();
        let release_dir = driver.release_dir("default", "web");
        assert_eq!(release_dir, dir.path().join("releases/default/web"));
        let mut files: Vec<_> = fs::read_dir(&release_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["v1.json"]);
        let text = fs::read_to_string(release_dir.join("v1.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["info"]["status"], "deployed");
        assert_eq!(value["version"], 1);
    }

    #[test]
    fn rejects_names_that_escape_the_state_directory() {
        let driver = LocalDriver::new("/nonexistent");
        assert!(matches!(
            driver.get("default", "../x", 1),
            Err(StorageError::InvalidName(_))
        ));
        assert!(matches!(
            driver.history("..", "x"),
            Err(StorageError::InvalidName(_))
        ));
    }

    #[test]
    fn a_state_directory_from_before_namespaces_stays_readable() {
        let dir = tempfile::tempdir().unwrap();
        // The old layout: releases/NAME/vN.json, the namespace only inside the record.
        let old = dir.path().join("releases/demo");
        fs::create_dir_all(old.join("manifests")).unwrap();
        for (v, status) in [(1, Status::Superseded), (2, Status::Deployed)] {
            let json = serde_json::to_vec(&rel_in("apps", "demo", v, status)).unwrap();
            fs::write(old.join(format!("v{v}.json")), json).unwrap();
        }
        let driver = LocalDriver::new(dir.path());
        assert_eq!(driver.release_dir("apps", "demo"), old);
        assert_eq!(driver.history("apps", "demo").unwrap().len(), 2);
        // It belongs to its recorded namespace only.
        assert!(driver.history("default", "demo").unwrap().is_empty());
        let refs = driver.query(None).unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].namespace, "apps");
        assert!(driver.query(Some("default")).unwrap().is_empty());
        // New revisions go beside the old ones; a same-named release elsewhere is separate.
        driver
            .create(&rel_in("apps", "demo", 3, Status::Deployed))
            .unwrap();
        assert!(old.join("v3.json").exists());
        driver
            .create(&rel_in("default", "demo", 1, Status::Deployed))
            .unwrap();
        assert!(dir.path().join("releases/default/demo/v1.json").exists());
        let names: Vec<_> = driver
            .query(None)
            .unwrap()
            .into_iter()
            .map(|r| (r.namespace, r.version))
            .collect();
        assert_eq!(
            names,
            [
                ("apps".to_string(), 1),
                ("apps".to_string(), 2),
                ("apps".to_string(), 3),
                ("default".to_string(), 1)
            ]
        );
        let _lock = driver.lock("apps", "demo", "upgrade").unwrap();
        assert!(old.join(".lock").exists());
    }

    #[test]
    fn a_lock_on_a_release_without_records_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let driver = LocalDriver::new(dir.path());
        let release = dir.path().join("releases/default/ghost");
        let lock = driver.lock("default", "ghost", "uninstall").unwrap();
        assert!(release.join(".lock").exists());
        drop(lock);
        assert!(
            !release.exists(),
            "the lock file and the empty directory are removed"
        );
        // A release with records keeps its lock file.
        driver
            .create(&rel_in("default", "demo", 1, Status::Deployed))
            .unwrap();
        drop(driver.lock("default", "demo", "upgrade").unwrap());
        assert!(dir.path().join("releases/default/demo/.lock").exists());
        // Locking again after the removal works, and is exclusive.
        let held = driver.lock("default", "ghost", "install").unwrap();
        assert!(matches!(
            driver.lock("default", "ghost", "upgrade"),
            Err(StorageError::Locked { .. })
        ));
        drop(held);
    }
}
