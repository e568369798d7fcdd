//! Every backend passes the same suites: the driver suite (`chartsmith::storage::testing`) and
//! the cluster-target suite (`chartsmith::cluster::testing`) — in memory, on the local state
//! directory, and on a real API server with Helm's Secret and ConfigMap drivers.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use chartsmith::cluster::testing::FakeCluster;
use chartsmith::cluster::{DirectoryCluster, Owner};
use chartsmith::storage::testing::exercise as driver_suite;
use chartsmith::storage::{LocalDriver, MemoryDriver};
use chartsmith_kube::RecordKind;
use chartsmith_tests::{backend, create_namespace, kubeconfig, unique_namespace};

#[test]
fn memory_and_local_drivers() {
    driver_suite(&MemoryDriver::default(), "default", "apps");
    let dir = tempfile::tempdir().unwrap();
    driver_suite(&LocalDriver::new(dir.path()), "default", "apps");
}

#[test]
fn fake_and_directory_targets() {
    let owner = Owner {
        name: "suite".into(),
        namespace: "default".into(),
    };
    chartsmith::cluster::testing::exercise(&FakeCluster::new(), &owner, true);
    let dir = tempfile::tempdir().unwrap();
    chartsmith::cluster::testing::exercise(
        &DirectoryCluster::StateDir(dir.path().into()),
        &owner,
        false,
    );
}

#[test]
fn secret_and_configmap_drivers_on_a_real_api_server() {
    let Some(kubeconfig) = kubeconfig("secret_and_configmap_drivers_on_a_real_api_server") else {
        return;
    };
    for kind in [RecordKind::Secret, RecordKind::ConfigMap] {
        let backend = backend(&kubeconfig, kind);
        let (ns, other) = (unique_namespace("drv"), unique_namespace("drv"));
        create_namespace(&backend, &ns);
        create_namespace(&backend, &other);
        driver_suite(backend.storage(), &ns, &other);
    }
}

#[test]
fn kube_target_on_a_real_api_server() {
    let Some(kubeconfig) = kubeconfig("kube_target_on_a_real_api_server") else {
        return;
    };
    let backend = backend(&kubeconfig, RecordKind::Secret);
    let ns = unique_namespace("target");
    create_namespace(&backend, &ns);
    let owner = Owner {
        name: "suite".into(),
        namespace: ns,
    };
    chartsmith::cluster::testing::exercise(backend.target(), &owner, true);
}
