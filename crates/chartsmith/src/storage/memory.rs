//! An in-memory driver, for tests and dry runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Driver, Lock, RecordRef, Result, StorageError};
use crate::release::Release;

type Key = (String, String, u64);
type Held = Arc<Mutex<HashMap<(String, String), String>>>;

/// Keeps releases in memory (Helm's `driver.Memory`).
#[derive(Debug, Default)]
pub struct MemoryDriver {
    releases: Mutex<BTreeMap<Key, Release>>,
    locks: Held,
}

impl MemoryDriver {
    fn map(&self) -> MutexGuard<'_, BTreeMap<Key, Release>> {
        // A panic while holding the map leaves it consistent (every change is one insert/remove).
        self.releases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn key(namespace: &str, name: &str, version: u64) -> Key {
    (namespace.to_string(), name.to_string(), version)
}

fn not_found(name: &str, version: u64) -> StorageError {
    StorageError::NotFound {
        name: name.to_string(),
        version: Some(version),
    }
}

/// Removes the in-memory lock entry when dropped.
struct MemoryLock {
    held: Held,
    key: (String, String),
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        if let Ok(mut held) = self.held.lock() {
            held.remove(&self.key);
        }
    }
}

impl Driver for MemoryDriver {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn create(&self, release: &Release) -> Result<()> {
        let mut map = self.map();
        let key = key(&release.namespace, &release.name, release.version);
        if map.contains_key(&key) {
            return Err(StorageError::AlreadyExists {
                name: release.name.clone(),
                version: release.version,
            });
        }
        map.insert(key, release.clone());
        Ok(())
    }

    fn update(&self, release: &Release) -> Result<()> {
        let mut map = self.map();
        match map.get_mut(&key(&release.namespace, &release.name, release.version)) {
            Some(existing) => {
                *existing = release.clone();
                Ok(())
            }
            None => Err(not_found(&release.name, release.version)),
        }
    }

    fn get(&self, namespace: &str, name: &str, version: u64) -> Result<Release> {
        self.map()
            .get(&key(namespace, name, version))
            .cloned()
            .ok_or_else(|| not_found(name, version))
    }

    fn history(&self, namespace: &str, name: &str) -> Result<Vec<Release>> {
        Ok(self
            .map()
            .range(key(namespace, name, 0)..=key(namespace, name, u64::MAX))
            .map(|(_, r)| r.clone())
            .collect())
    }

    fn query(&self, namespace: Option<&str>) -> Result<Vec<RecordRef>> {
        Ok(self
            .map()
            .iter()
            .filter(|((ns, _, _), _)| namespace.is_none_or(|n| n == ns))
            .map(|((ns, name, version), r)| RecordRef {
                namespace: ns.clone(),
                name: name.clone(),
                version: *version,
                status: Some(r.info.status),
            })
            .collect())
    }

    fn delete(&self, namespace: &str, name: &str, version: u64) -> Result<Release> {
        self.map()
            .remove(&key(namespace, name, version))
            .ok_or_else(|| not_found(name, version))
    }

    fn lock(&self, namespace: &str, name: &str, operation: &str) -> Result<Lock> {
        let mut held = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (namespace.to_string(), name.to_string());
        if let Some(other) = held.get(&key) {
            return Err(StorageError::Locked {
                name: name.to_string(),
                operation: other.clone(),
            });
        }
        held.insert(key.clone(), operation.to_string());
        Ok(Lock::new(MemoryLock {
            held: Arc::clone(&self.locks),
            key,
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn behaves_as_a_driver() {
        super::super::testing::exercise(&super::MemoryDriver::default(), "default", "apps");
    }
}
