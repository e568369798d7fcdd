//! What every action works with: the [`Configuration`], the options of the verbs, the
//! [`Operation`]s and the [`ActionError`]. A leaf of `action`: it imports no other file of it.

use std::time::Duration;

use crate::cluster::{ClusterError, Target, WaitProgress};
use crate::engine::{Capabilities, CapabilitiesError};
use crate::release::{Release, Status, Timestamp};
use crate::storage::{Driver, StorageError};
use crate::template::TemplateError;

/// The result of the actions.
pub(super) type Result<T, E = ActionError> = std::result::Result<T, E>;

/// The description of a completed install.
pub const INSTALL_COMPLETE: &str = "Install complete";
/// The description of a completed upgrade.
pub const UPGRADE_COMPLETE: &str = "Upgrade complete";
/// The description of a completed uninstall.
pub const UNINSTALL_COMPLETE: &str = "Uninstallation complete";

/// A mutating release operation: what a lock and a failure message name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `install` (or `upgrade --install` of a new release).
    Install,
    /// `upgrade`.
    Upgrade,
    /// `rollback`.
    Rollback,
    /// `uninstall`.
    Uninstall,
}

impl Operation {
    /// The verb (`upgrade`), as a lock records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Install => "install",
            Operation::Upgrade => "upgrade",
            Operation::Rollback => "rollback",
            Operation::Uninstall => "uninstall",
        }
    }

    /// How a failure description starts (`Upgrade "web" failed: ...`), in Helm's words.
    pub(super) fn failure_subject(self) -> &'static str {
        match self {
            Operation::Install => "Release",
            Operation::Upgrade => "Upgrade",
            Operation::Rollback => "Rollback",
            Operation::Uninstall => "uninstallation of",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the actions work with (Helm's `action.Configuration`).
pub struct Configuration<'a> {
    /// Where records are kept.
    pub storage: &'a dyn Driver,
    /// Where resources go.
    pub cluster: &'a dyn Target,
    /// The current time (injected so that tests are deterministic).
    pub clock: fn() -> Timestamp,
    /// Called right after the pending revision is stored, before the cluster is touched (a test
    /// hook for crash safety and lock contention).
    pub after_pending: Option<&'a dyn Fn(&Release)>,
    /// Told how a wait is going (`--wait`).
    pub progress: Option<&'a (dyn Fn(&WaitProgress) + Sync)>,
    /// Told what an action skipped or worked around (Helm's `Configuration.Log`); silent when
    /// `None`.
    pub log: Option<&'a dyn Fn(&str)>,
}

impl<'a> Configuration<'a> {
    /// A configuration with the system clock and no hooks.
    pub fn new(storage: &'a dyn Driver, cluster: &'a dyn Target) -> Configuration<'a> {
        Configuration {
            storage,
            cluster,
            clock: Timestamp::now,
            after_pending: None,
            progress: None,
            log: None,
        }
    }

    pub(super) fn warn(&self, message: &str) {
        if let Some(log) = self.log {
            log(message);
        }
    }

    pub(super) fn pending_written(&self, release: &Release) {
        if let Some(hook) = self.after_pending {
            hook(release);
        }
    }

    /// The capabilities templates see: the target's (from discovery) when it has a server, else
    /// Helm's defaults; `kube_version` replaces the version and `extra_api_versions` add to the
    /// API versions (`--kube-version`, `--api-versions`).
    pub fn capabilities(
        &self,
        kube_version: Option<&str>,
        extra_api_versions: &[String],
    ) -> Result<Capabilities> {
        let given = Capabilities::new(kube_version, extra_api_versions)?;
        let Some(mut live) = self.cluster.capabilities().map_err(ActionError::Cluster)? else {
            return Ok(given);
        };
        if kube_version.is_some() {
            live.kube_version = given.kube_version;
        }
        for api in given.api_versions {
            if extra_api_versions
                .iter()
                .any(|e| e.split(',').any(|p| p.trim() == api))
                && !live.api_versions.contains(&api)
            {
                live.api_versions.push(api);
            }
        }
        Ok(live)
    }
}

/// Why an action refused or failed: its own refusals and failures, and the errors of the store,
/// the renderer and the cluster it works with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// `install` of a name that has history.
    #[error("cannot re-use a name that is still in use: {0}")]
    NameInUse(String),
    /// `upgrade` of a release with no deployed revision.
    #[error("\"{0}\" has no deployed releases")]
    NoDeployedReleases(String),
    /// The latest revision is pending: an operation is running or was interrupted.
    #[error(
        "release {name} revision {version} is {status}: another operation is in progress or was interrupted (recover with `chartsmith rollback {name}`)"
    )]
    Pending {
        /// The release.
        name: String,
        /// The pending revision.
        version: u64,
        /// Its status.
        status: Status,
    },
    /// Another process stored the same revision first (two operations raced on one release).
    #[error(
        "another operation is in progress for release {name}: revision {version} was written by another process"
    )]
    Raced {
        /// The release.
        name: String,
        /// The revision both tried to write.
        version: u64,
    },
    /// A `test --filter` that is not `name=NAME` or `!name=NAME`.
    #[error("invalid test filter {0:?}: expected name=NAME or !name=NAME")]
    InvalidFilter(String),
    /// A test hook failed or timed out.
    #[error("release {name} failed its tests: {source}")]
    TestFailed {
        /// The release.
        name: String,
        /// The failed hook.
        #[source]
        source: ClusterError,
    },
    /// `rollback` to a revision that does not exist.
    #[error("release has no {0} version")]
    NoSuchRevision(u64),
    /// `uninstall --keep-history` of an uninstalled release.
    #[error("the release named \"{0}\" is already deleted")]
    AlreadyDeleted(String),
    /// The cluster failed; the revision was recorded as failed.
    #[error("{description}")]
    Failed {
        /// The recorded description.
        description: String,
        /// The cluster's error.
        #[source]
        source: ClusterError,
    },
    /// The operation failed and `--rollback-on-failure` restored the previous state (or tried).
    #[error("{description}")]
    RolledBack {
        /// What failed and what was done about it.
        description: String,
        /// The cluster's error.
        #[source]
        source: ClusterError,
    },
    /// The API server would refuse the operation (an immutable field): refused before anything
    /// was stored or changed.
    #[error("{operation} refused, nothing was changed: {source}")]
    Refused {
        /// `upgrade` or `rollback`.
        operation: &'static str,
        /// The server's verdict on the resource.
        #[source]
        source: ClusterError,
    },
    /// The cluster failed before anything was recorded (discovery, a namespace, a dry run).
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The release store failed or refused.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The chart could not be rendered, or a stored manifest could not be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The capabilities asked for (`--kube-version`) are unusable.
    #[error(transparent)]
    Capabilities(#[from] CapabilitiesError),
}

/// How `upgrade` treats the values of the current release (Helm's flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValuesMode {
    /// Reuse the current release's values only when no values are given.
    #[default]
    Default,
    /// `--reuse-values`: merge the given values over the current release's, on the current
    /// release's computed defaults (the new chart's defaults are ignored).
    Reuse,
    /// `--reset-values`: only the given values, on the new chart's defaults.
    Reset,
    /// `--reset-then-reuse-values`: the new chart's defaults, the current release's values, then
    /// the given values.
    ResetThenReuse,
}

/// `--dry-run`: what an operation does without doing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DryRun {
    /// Do it.
    #[default]
    None,
    /// Render and return the release; contact no cluster, store nothing (`--dry-run`,
    /// `--dry-run=client`).
    Client,
    /// Also send the resources to the API server's dry run, which validates and admits them and
    /// persists nothing (`--dry-run=server`).
    Server,
    /// Render with the cluster's `lookup`, as a real operation would, and store and apply
    /// nothing: what the live diff renders with before it previews each resource itself.
    Preview,
}

impl DryRun {
    /// Whether anything is skipped.
    pub fn is_dry(self) -> bool {
        self != DryRun::None
    }
}

/// Options of [`install`](super::install) and [`upgrade`](super::upgrade).
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    /// The namespace (`default` when empty).
    pub namespace: String,
    /// `upgrade --install`: install when the release does not exist.
    pub install: bool,
    /// How upgrade treats the current values.
    pub values_mode: ValuesMode,
    /// A description to record instead of Helm's default.
    pub description: Option<String>,
    /// Render (and check) the release without storing or applying it.
    pub dry_run: DryRun,
    /// Keep at most this many revisions (0: unlimited).
    pub history_max: usize,
    /// The capabilities templates see (see [`Configuration::capabilities`]).
    pub capabilities: Capabilities,
    /// Skip `values.schema.json` validation.
    pub skip_schema_validation: bool,
    /// Create the release namespace if it does not exist (`--create-namespace`).
    pub create_namespace: bool,
    /// Adopt existing resources without ownership metadata (`--take-ownership`).
    pub take_ownership: bool,
    /// Take fields other managers own (`--force-conflicts`).
    pub force_conflicts: bool,
    /// Wait this long for the resources to be ready (`--wait --timeout`).
    pub wait: Option<Duration>,
    /// With `wait`, also wait until Jobs have completed (`--wait-for-jobs`).
    pub wait_for_jobs: bool,
    /// How long each hook may run (`--timeout`; Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
    /// When the operation fails, restore the previous state: an upgrade rolls back to the last
    /// deployed revision, an install is uninstalled (`--rollback-on-failure`).
    pub rollback_on_failure: bool,
    /// When an upgrade fails, delete the resources it created (`--cleanup-on-fail`).
    pub cleanup_on_fail: bool,
    /// Do not run hooks (`--no-hooks`); they are still recorded.
    pub no_hooks: bool,
    /// Delete and recreate the resources whose change the API server refuses on an immutable
    /// field (`--force-replace`); without it such an upgrade is refused up front.
    pub force_replace: bool,
}

/// Options of [`rollback`](super::rollback).
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// Render and return the release without storing or applying it.
    pub dry_run: bool,
    /// Keep at most this many revisions (0: unlimited).
    pub history_max: usize,
    /// Wait this long for the resources to be ready.
    pub wait: Option<Duration>,
    /// With `wait`, also wait until Jobs have completed (`--wait-for-jobs`).
    pub wait_for_jobs: bool,
    /// Take fields other managers own (`--force-conflicts`).
    pub force_conflicts: bool,
    /// How long each hook may run (Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
    /// Do not run hooks (`--no-hooks`).
    pub no_hooks: bool,
    /// Delete and recreate resources whose change hits an immutable field (`--force-replace`).
    pub force_replace: bool,
}

/// Options of [`uninstall`](super::uninstall).
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Keep the records, marked `uninstalled`.
    pub keep_history: bool,
    /// A description to record instead of Helm's default.
    pub description: Option<String>,
    /// How long each hook may run (Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
    /// Do not run hooks (`--no-hooks`).
    pub no_hooks: bool,
    /// Wait this long until the deleted resources are gone (`--wait --timeout`).
    pub wait: Option<Duration>,
}
