//! Where release records live: a [`Driver`] trait with an in-memory twin ([`MemoryDriver`]) and the
//! embedded default, [`LocalDriver`] (one JSON file per revision in a state directory).
//!
//! Drivers store whole records; the lifecycle rules (which revision is deployed, pruning, pending
//! states) live in [`crate::action`] and the helpers here, so every driver behaves alike.

mod local;
mod memory;

pub use local::{LocalDriver, STATE_DIR_ENV, write_atomic};
pub use memory::MemoryDriver;

use crate::release::{Release, Status};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// No revision (or no such revision) of the release exists.
    #[error("release: not found: {name}{}", version.map(|v| format!(" revision {v}")).unwrap_or_default())]
    NotFound {
        /// The release.
        name: String,
        /// The revision asked for, if one was.
        version: Option<u64>,
    },
    /// The revision already exists.
    #[error("release {name} revision {version} already exists")]
    AlreadyExists {
        /// The release.
        name: String,
        /// The revision.
        version: u64,
    },
    /// Another process holds the release's lock.
    #[error("another operation ({operation}) is in progress for release {name}")]
    Locked {
        /// The release.
        name: String,
        /// What the other process is doing (`upgrade`), as it recorded it.
        operation: String,
    },
    /// A record on disk is not a release record.
    #[error("{}: not a release record: {source}", path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// Reading or writing the state directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A release name that cannot be a directory name.
    #[error("invalid release name {0:?}")]
    InvalidName(String),
}

/// A storage result.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

type SharedLocks = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>;

/// Holds a release's lock until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: Option<std::fs::File>,
    memory: Option<(SharedLocks, String)>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some((held, name)) = &self.memory
            && let Ok(mut held) = held.lock()
        {
            held.remove(name);
        }
    }
}

/// A release store (Helm's `driver.Driver`), plus a per-release lock.
pub trait Driver: Send + Sync {
    /// Stores a new revision; fails if it exists.
    fn create(&self, release: &Release) -> Result<()>;
    /// Replaces an existing revision.
    fn update(&self, release: &Release) -> Result<()>;
    /// One revision.
    fn get(&self, name: &str, version: u64) -> Result<Release>;
    /// Every revision of one release, oldest first (empty when none).
    fn history(&self, name: &str) -> Result<Vec<Release>>;
    /// Every revision of every release, by name then revision.
    fn list(&self) -> Result<Vec<Release>>;
    /// Removes one revision, returning it.
    fn delete(&self, name: &str, version: u64) -> Result<Release>;
    /// Takes the release's lock for `operation` (`install`, `upgrade`, ...), failing at once with
    /// [`StorageError::Locked`] if another operation holds it.
    fn lock(&self, name: &str, operation: &str) -> Result<Lock>;
}

/// The latest revision of a release.
pub fn last(driver: &dyn Driver, name: &str) -> Result<Release> {
    driver
        .history(name)?
        .pop()
        .ok_or_else(|| StorageError::NotFound {
            name: name.to_string(),
            version: None,
        })
}

/// The latest deployed revision of a release, if any.
pub fn deployed(driver: &dyn Driver, name: &str) -> Result<Option<Release>> {
    Ok(driver
        .history(name)?
        .into_iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed))
}

/// Deletes the oldest revisions so that at most `keep` remain, never the latest deployed one (Helm's
/// `removeLeastRecent`). `keep == 0` keeps everything.
pub fn prune(driver: &dyn Driver, name: &str, keep: usize) -> Result<Vec<u64>> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let history = driver.history(name)?;
    let deployed = history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed)
        .map(|r| r.version);
    let mut removed = Vec::new();
    for release in &history {
        if history.len() - removed.len() <= keep {
            break;
        }
        if Some(release.version) == deployed {
            continue;
        }
        driver.delete(name, release.version)?;
        removed.push(release.version);
    }
    Ok(removed)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn rel(name: &str, version: u64, status: Status) -> Release {
        let mut r = Release {
            name: name.into(),
            version,
            namespace: "default".into(),
            ..Release::default()
        };
        r.info.status = status;
        r
    }

    /// The behaviour every driver must have.
    pub(crate) fn exercise(driver: &dyn Driver) {
        assert!(matches!(
            last(driver, "a"),
            Err(StorageError::NotFound { .. })
        ));
        driver.create(&rel("a", 1, Status::Superseded)).unwrap();
        driver.create(&rel("a", 2, Status::Deployed)).unwrap();
        driver.create(&rel("b", 1, Status::Failed)).unwrap();
        assert!(matches!(
            driver.create(&rel("a", 2, Status::Deployed)),
            Err(StorageError::AlreadyExists { .. })
        ));
        assert_eq!(last(driver, "a").unwrap().version, 2);
        let mut r = driver.get("a", 2).unwrap();
        r.info.description = "changed".into();
        driver.update(&r).unwrap();
        assert_eq!(driver.get("a", 2).unwrap().info.description, "changed");
        let all: Vec<_> = driver
            .list()
            .unwrap()
            .iter()
            .map(|r| (r.name.clone(), r.version))
            .collect();
        assert_eq!(all, [("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]);
        assert_eq!(driver.delete("b", 1).unwrap().version, 1);
        assert!(driver.history("b").unwrap().is_empty());
        assert!(matches!(
            driver.get("b", 1),
            Err(StorageError::NotFound {
                version: Some(1),
                ..
            })
        ));
        {
            let _held = driver.lock("a", "upgrade").unwrap();
            let err = driver.lock("a", "rollback").unwrap_err();
            assert_eq!(
                err.to_string(),
                "another operation (upgrade) is in progress for release a"
            );
            driver.lock("b", "install").unwrap();
        }
        driver.lock("a", "rollback").unwrap();
    }

    #[test]
    fn prune_keeps_the_deployed_revision() {
        let driver = MemoryDriver::default();
        driver.create(&rel("a", 1, Status::Deployed)).unwrap();
        for v in 2..=5 {
            driver.create(&rel("a", v, Status::Failed)).unwrap();
        }
        assert_eq!(prune(&driver, "a", 2).unwrap(), [2, 3, 4]);
        let left: Vec<_> = driver
            .history("a")
            .unwrap()
            .iter()
            .map(|r| r.version)
            .collect();
        assert_eq!(left, [1, 5]);
        assert!(prune(&driver, "a", 0).unwrap().is_empty());
    }
}
