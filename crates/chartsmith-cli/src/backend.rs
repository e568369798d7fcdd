//! Where the release verbs keep records and send resources: the backend chosen by `--driver`
//! (`CHARTSMITH_DRIVER`, Helm's `HELM_DRIVER` names). `local` is the embedded store with no
//! cluster; `secret` and `configmap` are the cluster of the kubeconfig (the `chartsmith-kube`
//! crate).

use std::path::PathBuf;

use anyhow::Result;
use chartsmith::action::Configuration;
use chartsmith::cluster::{DirectoryCluster, Target};
use chartsmith::release::Release;
use chartsmith::storage::{Driver, LocalDriver, STATE_DIR_ENV};

use crate::args::release::{DriverKind, TargetFlags};

impl TargetFlags {
    /// The local driver's state directory: `--state-dir`, else `$CHARTSMITH_STATE_DIR`, else
    /// `.chartsmith`.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .or_else(|| {
                std::env::var_os(STATE_DIR_ENV)
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(".chartsmith"))
    }

    /// Connects to the chosen backend. `output_dir` redirects the local target's manifests.
    /// With `--debug`, says on stderr which target and driver it connected to.
    pub fn connect(&self, output_dir: Option<&PathBuf>) -> Result<Backend> {
        let backend = self.connect_to(output_dir)?;
        if crate::args::globals().debug {
            eprintln!("debug: target {}", backend.describe());
        }
        Ok(backend)
    }

    fn connect_to(&self, output_dir: Option<&PathBuf>) -> Result<Backend> {
        match self.driver {
            DriverKind::Local => {
                let dir = self.state_dir();
                Ok(Backend::Local {
                    cluster: match output_dir {
                        Some(out) => DirectoryCluster::Fixed(out.clone()),
                        None => DirectoryCluster::StateDir(dir.clone()),
                    },
                    driver: LocalDriver::new(dir),
                })
            }
            kind => self.connect_kube(kind, output_dir),
        }
    }

    #[cfg(feature = "kube")]
    fn connect_kube(&self, kind: DriverKind, output_dir: Option<&PathBuf>) -> Result<Backend> {
        if output_dir.is_some() {
            anyhow::bail!("--output-dir writes manifests for the local driver only");
        }
        let options = chartsmith_kube::ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.kube_context.clone(),
            driver: match kind {
                DriverKind::Configmap => chartsmith_kube::RecordKind::ConfigMap,
                _ => chartsmith_kube::RecordKind::Secret,
            },
        };
        Ok(Backend::Kube(Box::new(chartsmith_kube::Backend::connect(
            &options,
        )?)))
    }

    #[cfg(not(feature = "kube"))]
    fn connect_kube(&self, kind: DriverKind, _: Option<&PathBuf>) -> Result<Backend> {
        use clap::ValueEnum as _;
        anyhow::bail!(
            "--driver {}: this chartsmith was built without the Kubernetes backend (feature `kube`)",
            kind.to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default()
        )
    }
}

/// A connected backend: a release store and a target for resources.
pub enum Backend {
    /// The state directory and its manifests tree.
    Local {
        /// The records.
        driver: LocalDriver,
        /// The manifests.
        cluster: DirectoryCluster,
    },
    /// A Kubernetes cluster.
    #[cfg(feature = "kube")]
    Kube(Box<chartsmith_kube::Backend>),
}

impl Backend {
    fn storage(&self) -> &dyn Driver {
        match self {
            Backend::Local { driver, .. } => driver,
            #[cfg(feature = "kube")]
            Backend::Kube(kube) => kube.storage(),
        }
    }

    fn target(&self) -> &dyn Target {
        match self {
            Backend::Local { cluster, .. } => cluster,
            #[cfg(feature = "kube")]
            Backend::Kube(kube) => kube.target(),
        }
    }

    /// The namespace of a release verb: `-n`, else the kubeconfig context's, else `default`.
    pub fn namespace(&self, flag: Option<&str>) -> String {
        if let Some(ns) = flag.filter(|n| !n.is_empty()) {
            return ns.to_string();
        }
        match self {
            Backend::Local { .. } => "default".to_string(),
            #[cfg(feature = "kube")]
            Backend::Kube(kube) => kube.default_namespace().to_string(),
        }
    }

    /// Whether this is the local store (no cluster: nothing to wait for).
    pub fn is_local(&self) -> bool {
        matches!(self, Backend::Local { .. })
    }

    /// What install and upgrade report as their target.
    pub fn describe(&self) -> String {
        let driver = self.storage().name();
        format!("{} (driver {driver})", self.target().describe())
    }

    /// The actions' configuration over this backend.
    pub fn config(&self) -> Configuration<'_> {
        Configuration {
            after_pending: test_hooks(),
            log: Some(&warn),
            ..Configuration::new(self.storage(), self.target())
        }
    }
}

/// What the actions report on the side goes to stderr.
fn warn(message: &str) {
    eprintln!("warning: {}", chartsmith::text::escape_multiline(message));
}

/// The test hooks the integration tests use to interrupt or slow an operation after its pending
/// revision is written; only in builds with the `test-hooks` feature, never in a shipped binary.
#[cfg(feature = "test-hooks")]
fn test_hooks() -> Option<&'static dyn Fn(&Release)> {
    fn after_pending(_: &Release) {
        if std::env::var_os("CHARTSMITH_TEST_CRASH_AFTER_PENDING").is_some_and(|v| v == "1") {
            std::process::exit(137);
        }
        if let Some(ms) = std::env::var("CHARTSMITH_TEST_PAUSE_AFTER_PENDING_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
    Some(&after_pending)
}

#[cfg(not(feature = "test-hooks"))]
fn test_hooks() -> Option<&'static dyn Fn(&Release)> {
    None
}
