//! Support for the cross-crate suites: the test control plane, namespaces of their own, the
//! `chartsmith` and `helm` binaries.
//!
//! The end-to-end suites need a real API server: `scripts/test.sh` builds and starts the one of
//! `tests/cluster/` and exports `CHARTSMITH_TEST_KUBECONFIG`. Without it a suite prints SKIPPED
//! and passes, except in CI (`CI=true`), where a missing cluster is a failure.

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The kubeconfig of the test control plane, or `None` (after printing SKIPPED) when there is
/// none outside CI. Panics in CI without one.
pub fn kubeconfig(suite: &str) -> Option<PathBuf> {
    match std::env::var_os("CHARTSMITH_TEST_KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => {
            panic!(
                "{suite}: CHARTSMITH_TEST_KUBECONFIG is not set (scripts/test.sh starts the test control plane; required in CI)"
            )
        }
        None => {
            eprintln!("SKIPPED {suite}: no test control plane (run scripts/test.sh)");
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A namespace name of its own for one test: `cs-PREFIX-PID-N`.
pub fn unique_namespace(prefix: &str) -> String {
    format!(
        "cs-{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The repository's root (for `charts/`).
pub fn repo() -> PathBuf {
    workspace().canonicalize().unwrap()
}

/// The `chartsmith` binary: `$CHARTSMITH_BIN`, else the workspace's debug build (which
/// `cargo test --workspace` builds for the CLI crate's own tests).
pub fn chartsmith_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("CHARTSMITH_BIN") {
        return PathBuf::from(bin);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let bin = target.join("debug/chartsmith");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p chartsmith-cli` or set CHARTSMITH_BIN",
        bin.display()
    );
    bin
}

/// `chartsmith ARGS` against the cluster of `kubeconfig` with the secret driver.
pub fn chartsmith(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(chartsmith_bin())
        .current_dir(repo())
        .env("KUBECONFIG", kubeconfig)
        .env("CHARTSMITH_DRIVER", "secret")
        .env_remove("CHARTSMITH_STATE_DIR")
        .args(args)
        .output()
        .unwrap()
}

/// `helm ARGS` against the cluster of `kubeconfig` (`HELM_BIN`, installed by
/// `scripts/install-helm.sh`), with its caches in a temporary home.
pub fn helm(kubeconfig: &Path, home: &Path, args: &[&str]) -> Option<Output> {
    let bin = std::env::var_os("HELM_BIN")?;
    Some(
        Command::new(bin)
            .current_dir(repo())
            .env("KUBECONFIG", kubeconfig)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .args(args)
            .output()
            .unwrap(),
    )
}

/// `kubectl ARGS` against the cluster of `kubeconfig`: `KUBECTL_BIN`, or the kubectl that
/// `scripts/install-helm.sh` unpacks beside `HELM_BIN` (`…/helm/helm` → `…/kubectl/kubectl`).
pub fn kubectl(kubeconfig: &Path, args: &[&str]) -> Option<Output> {
    let bin = match std::env::var_os("KUBECTL_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => PathBuf::from(std::env::var_os("HELM_BIN")?)
            .parent()?
            .parent()?
            .join("kubectl/kubectl"),
    };
    Some(
        Command::new(bin)
            .env("KUBECONFIG", kubeconfig)
            .args(args)
            .output()
            .unwrap(),
    )
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and asserts success, returning stdout.
pub fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// A connected backend on the test cluster.
pub fn backend(kubeconfig: &Path, driver: chartsmith_kube::RecordKind) -> chartsmith_kube::Backend {
    chartsmith_kube::Backend::connect(&chartsmith_kube::ConnectOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: None,
        driver,
    })
    .unwrap()
}

/// Creates a namespace on the test cluster.
pub fn create_namespace(backend: &chartsmith_kube::Backend, namespace: &str) {
    backend.target().create_namespace(namespace, false).unwrap();
}

/// `chartsmith ARGS` against the cluster of `kubeconfig` with the release driver `driver`
/// (`secret`, `configmap`, `local`), as `CHARTSMITH_DRIVER` chooses it.
pub fn chartsmith_with_driver(kubeconfig: &Path, driver: &str, args: &[&str]) -> Output {
    Command::new(chartsmith_bin())
        .current_dir(repo())
        .env("KUBECONFIG", kubeconfig)
        .env("CHARTSMITH_DRIVER", driver)
        .env_remove("CHARTSMITH_STATE_DIR")
        .args(args)
        .output()
        .unwrap()
}

/// [`helm`] with extra environment variables (e.g. `HELM_DRIVER=configmap`).
pub fn helm_with_env(
    kubeconfig: &Path,
    home: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> Option<Output> {
    let bin = std::env::var_os("HELM_BIN")?;
    Some(
        Command::new(bin)
            .current_dir(repo())
            .env("KUBECONFIG", kubeconfig)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap(),
    )
}

/// Writes a chart into `dir` from (path, text) pairs and returns the directory as a string.
pub fn write_chart(dir: &Path, files: &[(&str, &str)]) -> String {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir.to_str().unwrap().to_string()
}

/// A small Tera chart whose only resource is the ConfigMap `shared` (data `color`, default
/// `blue`).
pub fn configmap_chart(dir: &Path) -> String {
    write_chart(
        dir,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: cm\nversion: 0.1.0\n"),
            ("values.yaml", "color: blue\n"),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  color: {{ Values.color }}\n",
            ),
        ],
    )
}
