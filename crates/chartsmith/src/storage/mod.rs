//! Where release records live: a [`Driver`] trait with an in-memory twin ([`MemoryDriver`]) and the
//! embedded default, [`LocalDriver`] (one JSON file per revision in a state directory). The
//! Kubernetes Secret and ConfigMap drivers live in the `chartsmith-kube` crate and implement the
//! same trait.
//!
//! Releases are keyed by namespace and name, as in Helm: the same name may exist in two
//! namespaces. Drivers store whole records; the lifecycle rules (which revision is deployed,
//! pruning, pending states) live in [`crate::action`] and the helpers here, so every driver
//! behaves alike. [`testing::exercise`] (feature `testing`) is the behaviour every driver must
//! have; each backend runs it.
//!
//! May import: `release` (the record and its codec) and `util`. Nothing here renders or applies.

mod local;
mod memory;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use local::{LocalDriver, STATE_DIR_ENV, write_atomic};
pub use memory::MemoryDriver;

use crate::release::{Release, Status};

/// The boxed cause of a backend failure (an API error, a transport error).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
    /// A stored record is larger than the limit ([`crate::release::codec::MAX_RECORD_BYTES`]).
    #[error("{record}: release record larger than the limit of {} MiB", limit >> 20)]
    RecordTooLarge {
        /// The record (a file of the local store).
        record: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A stored record (a Secret, a ConfigMap) could not be decoded.
    #[error("{object}: {source}")]
    Codec {
        /// What holds the record (`Secret apps/sh.helm.release.v1.demo.v1`).
        object: String,
        /// The decoder's error.
        #[source]
        source: crate::release::codec::CodecError,
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
    /// The store's backend (an API server) failed.
    #[error("{what}: {source}")]
    Backend {
        /// What was being done (`listing Secrets in namespace apps`).
        what: String,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// A release name (or namespace) that cannot be stored.
    #[error("invalid release name {0:?}")]
    InvalidName(String),
}

/// A storage result.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Holds a release's lock until dropped. A driver makes one with [`Lock::new`] from whatever
/// guard releases its lock on drop (a file lock, a lease, an in-memory entry).
pub struct Lock {
    _guard: Box<dyn Send>,
}

impl Lock {
    /// A lock held while `guard` lives.
    pub fn new(guard: impl Send + 'static) -> Lock {
        Lock {
            _guard: Box::new(guard),
        }
    }
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lock")
    }
}

/// One stored revision, as a listing names it without decoding the record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordRef {
    /// The release namespace.
    pub namespace: String,
    /// The release name.
    pub name: String,
    /// The revision.
    pub version: u64,
    /// The status, when the store keeps it outside the record (Helm's `status` label).
    pub status: Option<Status>,
}

/// A release store (Helm's `driver.Driver`), keyed by namespace and name, plus a per-release lock.
pub trait Driver: Send + Sync {
    /// The driver's name as `--driver` spells it (`local`, `memory`, `secret`, `configmap`).
    fn name(&self) -> &'static str;
    /// Stores a new revision (keyed by its namespace, name and version); fails if it exists.
    fn create(&self, release: &Release) -> Result<()>;
    /// Replaces an existing revision.
    fn update(&self, release: &Release) -> Result<()>;
    /// One revision.
    fn get(&self, namespace: &str, name: &str, version: u64) -> Result<Release>;
    /// Every revision of one release, oldest first (empty when none).
    fn history(&self, namespace: &str, name: &str) -> Result<Vec<Release>>;
    /// Every stored revision of one namespace (`None`: of all namespaces), sorted by namespace,
    /// name and revision, without decoding the records.
    fn query(&self, namespace: Option<&str>) -> Result<Vec<RecordRef>>;
    /// Removes one revision, returning it.
    fn delete(&self, namespace: &str, name: &str, version: u64) -> Result<Release>;
    /// Takes the release's lock for `operation` (`install`, `upgrade`, ...), failing at once with
    /// [`StorageError::Locked`] if another operation holds it.
    fn lock(&self, namespace: &str, name: &str, operation: &str) -> Result<Lock>;
}

/// The latest revision of a release.
pub fn last(driver: &dyn Driver, namespace: &str, name: &str) -> Result<Release> {
    driver
        .history(namespace, name)?
        .pop()
        .ok_or_else(|| StorageError::NotFound {
            name: name.to_string(),
            version: None,
        })
}

/// The latest deployed revision of a release, if any.
pub fn deployed(driver: &dyn Driver, namespace: &str, name: &str) -> Result<Option<Release>> {
    Ok(driver
        .history(namespace, name)?
        .into_iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed))
}

/// The latest revision of every release of a namespace (`None`: of all), by namespace then
/// name; only those records are decoded. A record that cannot be decoded is skipped and handed to
/// `unreadable` (as Helm's listing skips and logs it), so that one corrupt record does not hide
/// every other release.
pub fn latest(
    driver: &dyn Driver,
    namespace: Option<&str>,
    unreadable: &mut dyn FnMut(StorageError),
) -> Result<Vec<Release>> {
    let mut heads: Vec<RecordRef> = Vec::new();
    for r in driver.query(namespace)? {
        match heads.last_mut() {
            Some(h) if h.namespace == r.namespace && h.name == r.name => {
                if r.version > h.version {
                    *h = r;
                }
            }
            _ => heads.push(r),
        }
    }
    let mut releases = Vec::new();
    for h in &heads {
        match driver.get(&h.namespace, &h.name, h.version) {
            Ok(r) => releases.push(r),
            Err(e @ (StorageError::Codec { .. } | StorageError::Corrupt { .. })) => unreadable(e),
            Err(e) => return Err(e),
        }
    }
    Ok(releases)
}

/// Deletes the oldest revisions so that at most `keep` remain, never the latest deployed one (Helm's
/// `removeLeastRecent`). `keep == 0` keeps everything.
pub fn prune(driver: &dyn Driver, namespace: &str, name: &str, keep: usize) -> Result<Vec<u64>> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let history = driver.history(namespace, name)?;
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
        driver.delete(namespace, name, release.version)?;
        removed.push(release.version);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::testing::rel;
    use super::*;

    #[test]
    fn prune_keeps_the_deployed_revision() {
        let driver = MemoryDriver::default();
        driver.create(&rel("a", 1, Status::Deployed)).unwrap();
        for v in 2..=5 {
            driver.create(&rel("a", v, Status::Failed)).unwrap();
        }
        assert_eq!(prune(&driver, "default", "a", 2).unwrap(), [2, 3, 4]);
        let left: Vec<_> = driver
            .history("default", "a")
            .unwrap()
            .iter()
            .map(|r| r.version)
            .collect();
        assert_eq!(left, [1, 5]);
        assert!(prune(&driver, "default", "a", 0).unwrap().is_empty());
    }

    #[test]
    fn latest_decodes_one_record_per_release() {
        let driver = MemoryDriver::default();
        driver.create(&rel("a", 1, Status::Superseded)).unwrap();
        driver.create(&rel("a", 2, Status::Deployed)).unwrap();
        let mut other = rel("a", 1, Status::Deployed);
        other.namespace = "apps".into();
        driver.create(&other).unwrap();
        let heads: Vec<_> = latest(&driver, None, &mut |e| panic!("{e}"))
            .unwrap()
            .into_iter()
            .map(|r| (r.namespace, r.version))
            .collect();
        assert_eq!(heads, [("apps".into(), 1), ("default".into(), 2)]);
        assert_eq!(
            latest(&driver, Some("apps"), &mut |e| panic!("{e}"))
                .unwrap()
                .len(),
            1
        );
    }
}
