//! The driver suite: the behaviour every [`Driver`] must have. Each backend (memory, local, and the
//! Kubernetes Secret and ConfigMap drivers of `chartsmith-kube`) runs [`exercise`] on a fresh store.
//!
//! Exported behind the `testing` feature so other crates can run it; it panics on the first
//! behaviour that differs, with a message saying which.

// A test suite panics with a message on the first difference: that is its job.
#![allow(clippy::unwrap_used)]

use super::{Driver, RecordRef, StorageError, last, latest};
use crate::release::{Release, Status};

/// A minimal record of release `name` in namespace `default`.
pub fn rel(name: &str, version: u64, status: Status) -> Release {
    rel_in("default", name, version, status)
}

/// A minimal record of release `name` in `namespace`.
pub fn rel_in(namespace: &str, name: &str, version: u64, status: Status) -> Release {
    let mut r = Release {
        name: name.into(),
        version,
        namespace: namespace.into(),
        ..Release::default()
    };
    r.info.status = status;
    r.info.description = format!("revision {version}");
    r
}

/// Runs the driver suite on an empty store. `ns` and `other` are two namespaces the suite may use
/// (for a cluster-backed driver, two namespaces that exist and are empty of releases).
pub fn exercise(driver: &dyn Driver, ns: &str, other: &str) {
    assert!(
        matches!(last(driver, ns, "a"), Err(StorageError::NotFound { .. })),
        "an empty store has no release"
    );
    assert!(driver.history(ns, "a").unwrap().is_empty());
    driver
        .create(&rel_in(ns, "a", 1, Status::Superseded))
        .unwrap();
    driver
        .create(&rel_in(ns, "a", 2, Status::Deployed))
        .unwrap();
    driver.create(&rel_in(ns, "b", 1, Status::Failed)).unwrap();
    // The same name in another namespace is another release.
    driver
        .create(&rel_in(other, "a", 1, Status::Deployed))
        .unwrap();
    assert!(
        matches!(
            driver.create(&rel_in(ns, "a", 2, Status::Deployed)),
            Err(StorageError::AlreadyExists { .. })
        ),
        "create refuses an existing revision"
    );
    assert_eq!(last(driver, ns, "a").unwrap().version, 2);
    assert_eq!(last(driver, other, "a").unwrap().version, 1);
    let got = driver.get(ns, "a", 1).unwrap();
    assert_eq!(
        (got.name.as_str(), got.namespace.as_str(), got.version),
        ("a", ns, 1)
    );
    assert_eq!(got.info.status, Status::Superseded);
    assert_eq!(got.info.description, "revision 1");

    let mut r = driver.get(ns, "a", 2).unwrap();
    r.info.description = "changed".into();
    r.info.status = Status::Superseded;
    driver.update(&r).unwrap();
    let updated = driver.get(ns, "a", 2).unwrap();
    assert_eq!(updated.info.description, "changed");
    assert_eq!(updated.info.status, Status::Superseded);
    assert!(
        matches!(
            driver.update(&rel_in(ns, "a", 9, Status::Deployed)),
            Err(StorageError::NotFound {
                version: Some(9),
                ..
            })
        ),
        "update refuses a revision that does not exist"
    );

    let keys = |refs: Vec<RecordRef>| -> Vec<(String, String, u64)> {
        refs.into_iter()
            .map(|r| (r.namespace, r.name, r.version))
            .collect()
    };
    let in_ns = keys(driver.query(Some(ns)).unwrap());
    assert_eq!(
        in_ns,
        [
            (ns.to_string(), "a".to_string(), 1),
            (ns.to_string(), "a".to_string(), 2),
            (ns.to_string(), "b".to_string(), 1)
        ],
        "query lists one namespace's revisions in order"
    );
    let all = keys(driver.query(None).unwrap());
    for key in in_ns
        .iter()
        .chain(&[(other.to_string(), "a".to_string(), 1)])
    {
        assert!(all.contains(key), "query(None) lists {key:?}");
    }
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "query(None) is sorted");
    let heads: Vec<_> = latest(driver, Some(ns), &mut |e| panic!("unreadable record: {e}"))
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.version))
        .collect();
    assert_eq!(heads, [("a".to_string(), 2), ("b".to_string(), 1)]);

    assert_eq!(driver.delete(ns, "b", 1).unwrap().version, 1);
    assert!(driver.history(ns, "b").unwrap().is_empty());
    assert!(matches!(
        driver.get(ns, "b", 1),
        Err(StorageError::NotFound {
            version: Some(1),
            ..
        })
    ));
    assert!(matches!(
        driver.delete(ns, "b", 1),
        Err(StorageError::NotFound { .. })
    ));
    // Deleting in one namespace leaves the other alone.
    driver.delete(other, "a", 1).unwrap();
    assert_eq!(driver.history(ns, "a").unwrap().len(), 2);

    {
        let _held = driver.lock(ns, "a", "upgrade").unwrap();
        let err = driver.lock(ns, "a", "rollback").unwrap_err();
        assert_eq!(
            err.to_string(),
            "another operation (upgrade) is in progress for release a"
        );
        let _b = driver.lock(ns, "b", "install").unwrap();
        let _other = driver.lock(other, "a", "install").unwrap();
    }
    let _again = driver.lock(ns, "a", "rollback").unwrap();
}
