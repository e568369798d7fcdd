//! The release lifecycle, one file per verb (Helm's `pkg/action`): [`install`], [`upgrade`],
//! [`rollback`], [`uninstall`], [`list`], [`history`], [`get`], and the diffs [`diff_upgrade`] and
//! [`diff_rollback`].
//!
//! Every action works through a [`Configuration`]: a storage [`Driver`] for the records and a
//! cluster [`Target`] for the resources. The rules every backend shares live here, not in the
//! backends: each mutating action takes the release's lock, writes a pending revision *before*
//! touching the cluster, then records the outcome, so an interrupted operation stays visible
//! (`pending-upgrade`) and [`rollback`] recovers from it; resources are parsed, stamped with
//! Helm's ownership metadata and applied in install order; CRDs of `crds/` go first on install;
//! resources an upgrade drops are deleted (in reverse order), except those marked
//! `helm.sh/resource-policy: keep`; [`hooks`] selects and orders hooks by event and weight.
//!
//! May import: every library module (this is the top of the library's call graph).

pub mod hooks;
mod install;
mod query;
mod rollback;
mod uninstall;
mod upgrade;

use std::time::Duration;

pub use install::install;
pub use query::{computed_values, diff_rollback, diff_upgrade, get, history, list};
pub use rollback::rollback;
pub use uninstall::uninstall;
pub use upgrade::upgrade;

use crate::chart::Chart;
use crate::cluster::{
    ApplyOptions, ClusterError, DeleteOptions, Owner, Resource, Target, WaitOptions, WaitProgress,
    ownership,
};
use crate::engine::{self, Capabilities, CapabilitiesError};
use crate::manifest::Manifest;
use crate::release::{self, Release, ReleaseChart, Status, Timestamp};
use crate::storage::{self, Driver, StorageError};
use crate::template::{TemplateError, TemplateOptions, template};
use crate::values::Values;
use hooks::HookEvent;

type Result<T, E = ActionError> = std::result::Result<T, E>;

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
    fn failure_subject(self) -> &'static str {
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

    fn warn(&self, message: &str) {
        if let Some(log) = self.log {
            log(message);
        }
    }

    fn pending_written(&self, release: &Release) {
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
}

impl DryRun {
    /// Whether anything is skipped.
    pub fn is_dry(self) -> bool {
        self != DryRun::None
    }
}

/// Options of [`install`] and [`upgrade`].
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
    /// How long each hook may run (`--timeout`; Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
    /// When the operation fails, restore the previous state: an upgrade rolls back to the last
    /// deployed revision, an install is uninstalled (`--rollback-on-failure`).
    pub rollback_on_failure: bool,
}

/// Options of [`rollback`].
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// Render and return the release without storing or applying it.
    pub dry_run: bool,
    /// Keep at most this many revisions (0: unlimited).
    pub history_max: usize,
    /// Wait this long for the resources to be ready.
    pub wait: Option<Duration>,
    /// Take fields other managers own (`--force-conflicts`).
    pub force_conflicts: bool,
    /// How long each hook may run (Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
}

/// Options of [`uninstall`].
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Keep the records, marked `uninstalled`.
    pub keep_history: bool,
    /// A description to record instead of Helm's default.
    pub description: Option<String>,
    /// How long each hook may run (Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
}

fn namespace_of(options: &DeployOptions) -> String {
    if options.namespace.is_empty() {
        "default".to_string()
    } else {
        options.namespace.clone()
    }
}

/// Renders `chart` into a release record (status unknown, no timestamps). Templates' `lookup`
/// reads the target's live objects.
fn render(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
    version: u64,
) -> Result<(Release, Vec<Manifest>)> {
    let template_options = TemplateOptions {
        release: engine::Release {
            name: name.to_string(),
            namespace: namespace_of(options),
            revision: version,
            is_install: version == 1,
            is_upgrade: version > 1,
            ..engine::Release::default()
        },
        capabilities: options.capabilities.clone(),
        skip_schema_validation: options.skip_schema_validation,
        lookup: config.cluster.lookup(),
        ..TemplateOptions::default()
    };
    let rendered = template(chart, values, &template_options)?;
    let mut record = Release {
        name: name.to_string(),
        namespace: namespace_of(options),
        version,
        chart: ReleaseChart::from_chart(chart),
        config: values.clone(),
        manifest: release::manifest_text(&rendered.manifests),
        hooks: release::hooks_of(&rendered.hooks),
        ..Release::default()
    };
    record.info.notes = rendered.notes.unwrap_or_default();
    let crds = rendered
        .crds
        .iter()
        .flat_map(|(path, text)| crd_manifests(path, text))
        .collect();
    Ok((record, crds))
}

/// The documents of one `crds/` file.
fn crd_manifests(path: &str, text: &str) -> Vec<Manifest> {
    crate::manifest::split_documents(text)
        .into_iter()
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| Manifest {
            source: path.to_string(),
            content: doc.trim().to_string(),
            api_version: String::new(),
            kind: "CustomResourceDefinition".into(),
            name: String::new(),
            hook_events: Vec::new(),
            hook_weight: 0,
        })
        .collect()
}

fn owner_of(release: &Release) -> Owner {
    Owner {
        name: release.name.clone(),
        namespace: release.namespace.clone(),
    }
}

/// The non-hook resources of a release, parsed and stamped with ownership metadata, in install
/// order.
fn resources_of(release: &Release) -> Result<Vec<Resource>, ClusterError> {
    let manifests = release.manifests().map_err(|e| ClusterError::Invalid {
        resource: format!("release {} revision {}", release.name, release.version),
        message: e.to_string(),
    })?;
    let owner = owner_of(release);
    manifests
        .iter()
        .filter(|m| !m.is_hook())
        .map(|m| {
            let mut r = Resource::from_manifest(m)?;
            ownership::stamp(&mut r, &owner);
            Ok(r)
        })
        .collect()
}

fn parse_all(manifests: &[Manifest]) -> Result<Vec<Resource>, ClusterError> {
    manifests.iter().map(Resource::from_manifest).collect()
}

/// The resources of `previous` that `current` no longer has, minus those marked keep, in the
/// order they are deleted (reverse install order).
fn dropped(previous: &[Resource], current: &[Resource]) -> Vec<Resource> {
    previous
        .iter()
        .rev()
        .filter(|old| !current.iter().any(|new| new.key.same_object(&old.key)))
        .filter(|old| !ownership::keeps(old))
        .cloned()
        .collect()
}

/// What a deploy applies besides the record.
struct Deploy<'r> {
    operation: Operation,
    previous: &'r [Resource],
    crds: Vec<Manifest>,
    history_max: usize,
    apply: ApplyOptions,
    wait: Option<Duration>,
    hook_timeout: Option<Duration>,
    done: String,
}

/// Stores `release` as pending, applies it, and records the outcome.
fn deploy(
    config: &Configuration<'_>,
    mut release: Release,
    plan: Deploy<'_>,
    on_success: impl FnOnce(&Configuration<'_>) -> Result<()>,
) -> Result<Release> {
    if plan.history_max > 0 {
        storage::prune(
            config.storage,
            &release.namespace,
            &release.name,
            plan.history_max - 1,
        )?;
    }
    match config.storage.create(&release) {
        Err(StorageError::AlreadyExists { name, version }) => {
            return Err(ActionError::Raced { name, version });
        }
        other => other?,
    }
    config.pending_written(&release);
    let (pre, post) = match plan.operation {
        Operation::Install => (HookEvent::PreInstall, HookEvent::PostInstall),
        Operation::Upgrade => (HookEvent::PreUpgrade, HookEvent::PostUpgrade),
        Operation::Rollback | Operation::Uninstall => {
            (HookEvent::PreRollback, HookEvent::PostRollback)
        }
    };
    let timeout = plan.hook_timeout.unwrap_or(hooks::DEFAULT_HOOK_TIMEOUT);
    let outcome = hooks::run(config, &mut release, pre, timeout)
        .and_then(|()| apply_release(config, &release, &plan))
        .and_then(|()| hooks::run(config, &mut release, post, timeout));
    if let Err(source) = outcome {
        let description = format!(
            "{} \"{}\" failed: {source}",
            plan.operation.failure_subject(),
            release.name
        );
        release.info.status = Status::Failed;
        release.info.description = description.clone();
        config.storage.update(&release)?;
        return Err(ActionError::Failed {
            description,
            source,
        });
    }
    on_success(config)?;
    release.info.status = Status::Deployed;
    release.info.description = plan.done;
    config.storage.update(&release)?;
    Ok(release)
}

/// The cluster side of a deploy: CRDs, resources, dropped resources, waiting.
fn apply_release(
    config: &Configuration<'_>,
    release: &Release,
    plan: &Deploy<'_>,
) -> Result<(), ClusterError> {
    let owner = owner_of(release);
    if !plan.crds.is_empty() {
        config
            .cluster
            .install_crds(&parse_all(&plan.crds)?, &plan.apply)?;
    }
    let resources = resources_of(release)?;
    config.cluster.apply(&owner, &resources, &plan.apply)?;
    let gone = dropped(plan.previous, &resources);
    if !gone.is_empty() {
        config
            .cluster
            .delete(&owner, &gone, &DeleteOptions::default())?;
    }
    if let Some(timeout) = plan.wait {
        config.cluster.wait(
            &owner,
            &resources,
            &WaitOptions {
                timeout,
                jobs: false,
                progress: config.progress,
            },
        )?;
    }
    Ok(())
}

/// Before anything is stored: the namespace (`--create-namespace`) and, for `--dry-run=server`,
/// the API server's verdict on the resources.
fn prepare(
    config: &Configuration<'_>,
    release: &Release,
    options: &DeployOptions,
    apply: &ApplyOptions,
) -> Result<()> {
    let server_dry = options.dry_run == DryRun::Server;
    if options.create_namespace {
        config
            .cluster
            .create_namespace(&release.namespace, server_dry)
            .map_err(ActionError::Cluster)?;
    }
    if server_dry {
        let resources = resources_of(release).map_err(ActionError::Cluster)?;
        let dry = ApplyOptions {
            dry_run: true,
            ..apply.clone()
        };
        config
            .cluster
            .apply(&owner_of(release), &resources, &dry)
            .map_err(ActionError::Cluster)?;
    }
    Ok(())
}

fn apply_options(options: &DeployOptions) -> ApplyOptions {
    ApplyOptions {
        force_conflicts: options.force_conflicts,
        take_ownership: options.take_ownership,
        ..ApplyOptions::default()
    }
}

#[cfg(test)]
mod tests;
