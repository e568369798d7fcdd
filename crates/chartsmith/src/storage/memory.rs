//! An in-memory driver, for tests and dry runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Driver, Lock, Result, StorageError};
use crate::release::Release;

/// Keeps releases in memory (Helm's `driver.Memory`).
#[derive(Debug, Default)]
pub struct MemoryDriver {
    releases: Mutex<BTreeMap<(String, u64), Release>>,
    locks: Arc<Mutex<HashMap<String, String>>>,
}

impl MemoryDriver {
    fn map(&self) -> MutexGuard<'_, BTreeMap<(String, u64), Release>> {
        // A panic while holding the map leaves it consistent (every change is one insert/remove).
        self.releases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn not_found(name: &str, version: u64) -> StorageError {
    StorageError::NotFound {
        name: name.to_string(),
        version: Some(version),
    }
}

impl Driver for MemoryDriver {
    fn create(&self, release: &Release) -> Result<()> {
        let mut map = self.map();
        let key = (release.name.clone(), release.version);
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
        let key = (release.name.clone(), release.version);
        match map.get_mut(&key) {
            Some(existing) => {
                *existing = release.clone();
                Ok(())
            }
            None => Err(not_found(&release.name, release.version)),
        }
    }

    fn get(&self, name: &str, version: u64) -> Result<Release> {
        self.map()
            .get(&(name.to_string(), version))
            .cloned()
            .ok_or_else(|| not_found(name, version))
    }

    fn history(&self, name: &str) -> Result<Vec<Release>> {
        Ok(self
            .map()
            .range((name.to_string(), 0)..=(name.to_string(), u64::MAX))
            .map(|(_, r)| r.clone())
            .collect())
    }

    fn list(&self) -> Result<Vec<Release>> {
        Ok(self.map().values().cloned().collect())
    }

    fn delete(&self, name: &str, version: u64) -> Result<Release> {
        self.map()
            .remove(&(name.to_string(), version))
            .ok_or_else(|| not_found(name, version))
    }

    fn lock(&self, name: &str, operation: &str) -> Result<Lock> {
        let mut held = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(other) = held.get(name) {
            return Err(StorageError::Locked {
                name: name.to_string(),
                operation: other.clone(),
            });
        }
        held.insert(name.to_string(), operation.to_string());
        Ok(Lock {
            _file: None,
            memory: Some((self.locks.clone(), name.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn behaves_as_a_driver() {
        super::super::tests::exercise(&super::MemoryDriver::default());
    }
}
