//! The release lifecycle, one call per verb (Helm's `pkg/action`): [`install`], [`upgrade`],
//! [`rollback`], [`uninstall`], [`list`], [`history`], [`get`].
//!
//! Every action works through a [`Configuration`]: a storage [`Driver`] for the records and a
//! [`Cluster`] for the resources. Each mutating action takes the release's lock, writes a pending
//! revision *before* touching the cluster, then records the outcome, so an interrupted operation
//! stays visible (`pending-upgrade`) and [`rollback`] recovers from it.

use crate::chart::Chart;
use crate::cluster::{Cluster, ClusterError};
use crate::engine::{self, Capabilities};
use crate::error::Result;
use crate::release::{self, Release, ReleaseChart, Status, Timestamp};
use crate::storage::{self, Driver, StorageError};
use crate::template::{TemplateOptions, template};
use crate::values::{Values, coalesce_tables};

/// The description of a completed install.
pub const INSTALL_COMPLETE: &str = "Install complete";
/// The description of a completed upgrade.
pub const UPGRADE_COMPLETE: &str = "Upgrade complete";
/// The description of a completed uninstall.
pub const UNINSTALL_COMPLETE: &str = "Uninstallation complete";

/// What the actions work with (Helm's `action.Configuration`).
pub struct Configuration<'a> {
    /// Where records are kept.
    pub storage: &'a dyn Driver,
    /// Where resources go.
    pub cluster: &'a dyn Cluster,
    /// The current time (injected so that tests are deterministic).
    pub clock: fn() -> Timestamp,
    /// Called right after the pending revision is stored, before the cluster is touched (a test
    /// hook for crash safety and lock contention).
    pub after_pending: Option<&'a dyn Fn(&Release)>,
}

impl<'a> Configuration<'a> {
    /// A configuration with the system clock and no hook.
    pub fn new(storage: &'a dyn Driver, cluster: &'a dyn Cluster) -> Configuration<'a> {
        Configuration {
            storage,
            cluster,
            clock: Timestamp::now,
            after_pending: None,
        }
    }

    fn pending_written(&self, release: &Release) {
        if let Some(hook) = self.after_pending {
            hook(release);
        }
    }
}

/// Why an action refused or failed, beyond storage, cluster and rendering errors.
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
    /// Render and return the release without storing or applying it.
    pub dry_run: bool,
    /// Keep at most this many revisions (0: unlimited).
    pub history_max: usize,
    /// The target cluster's capabilities.
    pub capabilities: Capabilities,
    /// Skip `values.schema.json` validation.
    pub skip_schema_validation: bool,
}

/// Options of [`rollback`].
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// Render and return the release without storing or applying it.
    pub dry_run: bool,
    /// Keep at most this many revisions (0: unlimited).
    pub history_max: usize,
}

/// Options of [`uninstall`].
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Keep the records, marked `uninstalled`.
    pub keep_history: bool,
    /// A description to record instead of Helm's default.
    pub description: Option<String>,
}

fn namespace(options: &DeployOptions) -> String {
    if options.namespace.is_empty() {
        "default".to_string()
    } else {
        options.namespace.clone()
    }
}

/// Renders `chart` into a release record (status unknown, no timestamps).
fn render(
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
    version: u64,
) -> Result<Release> {
    let template_options = TemplateOptions {
        release: engine::Release {
            name: name.to_string(),
            namespace: namespace(options),
            revision: version,
            is_install: version == 1,
            is_upgrade: version > 1,
            ..engine::Release::default()
        },
        capabilities: options.capabilities.clone(),
        skip_schema_validation: options.skip_schema_validation,
        ..TemplateOptions::default()
    };
    let rendered = template(chart, values, &template_options)?;
    let mut record = Release {
        name: name.to_string(),
        namespace: namespace(options),
        version,
        chart: ReleaseChart::from_chart(chart),
        config: values.clone(),
        manifest: release::manifest_text(&rendered.manifests),
        hooks: release::hooks_of(&rendered.hooks),
        ..Release::default()
    };
    record.info.notes = rendered.notes.unwrap_or_default();
    Ok(record)
}

fn manifests_of(release: &Release) -> Result<Vec<crate::manifest::Manifest>> {
    Ok(release
        .manifests()
        .map_err(crate::template::TemplateError::from)?
        .into_iter()
        .filter(|m| !m.is_hook())
        .collect())
}

/// Stores `release` as pending, applies it, and records the outcome.
fn deploy(
    config: &Configuration<'_>,
    mut release: Release,
    previous: &[crate::manifest::Manifest],
    history_max: usize,
    on_success: impl FnOnce(&Configuration<'_>) -> Result<()>,
    done: String,
    verb: &str,
) -> Result<Release> {
    if history_max > 0 {
        storage::prune(config.storage, &release.name, history_max - 1)?;
    }
    config.storage.create(&release)?;
    config.pending_written(&release);
    let manifests = manifests_of(&release)?;
    if let Err(source) =
        config
            .cluster
            .apply(&release.name, &release.namespace, &manifests, previous)
    {
        let description = format!("{verb} \"{}\" failed: {source}", release.name);
        release.info.status = Status::Failed;
        release.info.description = description.clone();
        config.storage.update(&release)?;
        return Err(ActionError::Failed {
            description,
            source,
        }
        .into());
    }
    on_success(config)?;
    release.info.status = Status::Deployed;
    release.info.description = done;
    config.storage.update(&release)?;
    Ok(release)
}

/// `install NAME CHART`: revision 1 of a new release.
pub fn install(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
) -> Result<Release> {
    engine::Release::validate_name(name).map_err(crate::template::TemplateError::ReleaseName)?;
    let _lock = config.storage.lock(name, "install")?;
    install_locked(config, name, chart, values, options)
}

fn install_locked(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
) -> Result<Release> {
    if !config.storage.history(name)?.is_empty() {
        return Err(ActionError::NameInUse(name.to_string()).into());
    }
    let mut release = render(name, chart, values, options, 1)?;
    let now = (config.clock)();
    release.info.first_deployed = Some(now);
    release.info.last_deployed = Some(now);
    release.info.status = Status::PendingInstall;
    if options.dry_run {
        release.info.description = "Dry run complete".into();
        return Ok(release);
    }
    release.info.description = "Initial install underway".into();
    let done = options
        .description
        .clone()
        .unwrap_or_else(|| INSTALL_COMPLETE.to_string());
    deploy(
        config,
        release,
        &[],
        options.history_max,
        |_| Ok(()),
        done,
        "Release",
    )
}

/// The user values an upgrade renders with, and the chart defaults it renders on, by Helm's rules.
fn upgrade_values(
    chart: &Chart,
    current: &Release,
    given: &Values,
    mode: ValuesMode,
) -> (Chart, Values) {
    let mut chart = chart.clone();
    let values = match mode {
        ValuesMode::Reset => given.clone(),
        ValuesMode::Reuse => {
            // The current release's computed values become the chart's defaults.
            chart.values =
                coalesce_tables(current.config.clone(), current.chart.values.clone(), false);
            coalesce_tables(given.clone(), current.config.clone(), false)
        }
        ValuesMode::ResetThenReuse => coalesce_tables(given.clone(), current.config.clone(), false),
        ValuesMode::Default if given.is_empty() => current.config.clone(),
        ValuesMode::Default => given.clone(),
    };
    (chart, values)
}

/// `upgrade NAME CHART`: a new revision from a (possibly new) chart and values. With
/// `options.install`, installs a release that does not exist.
pub fn upgrade(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
) -> Result<Release> {
    engine::Release::validate_name(name).map_err(crate::template::TemplateError::ReleaseName)?;
    let _lock = config.storage.lock(name, "upgrade")?;
    let history = config.storage.history(name)?;
    let Some(last) = history.last() else {
        if options.install {
            return install_locked(config, name, chart, values, options);
        }
        return Err(ActionError::NoDeployedReleases(name.to_string()).into());
    };
    if last.info.status.is_pending() {
        return Err(ActionError::Pending {
            name: name.to_string(),
            version: last.version,
            status: last.info.status,
        }
        .into());
    }
    let current = match history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed)
    {
        Some(deployed) => deployed.clone(),
        None if matches!(last.info.status, Status::Failed | Status::Superseded) => last.clone(),
        None => return Err(ActionError::NoDeployedReleases(name.to_string()).into()),
    };
    let (chart, values) = upgrade_values(chart, &current, values, options.values_mode);
    let mut release = render(name, &chart, &values, options, last.version + 1)?;
    release.info.first_deployed = current.info.first_deployed;
    release.info.last_deployed = Some((config.clock)());
    release.info.status = Status::PendingUpgrade;
    if options.dry_run {
        release.info.description = "Dry run complete".into();
        return Ok(release);
    }
    release.info.description = "Preparing upgrade".into();
    let previous = manifests_of(&current)?;
    let done = options
        .description
        .clone()
        .unwrap_or_else(|| UPGRADE_COMPLETE.to_string());
    deploy(
        config,
        release,
        &previous,
        options.history_max,
        |config| {
            let mut current = current.clone();
            current.info.status = Status::Superseded;
            Ok(config.storage.update(&current)?)
        },
        done,
        "Upgrade",
    )
}

/// `rollback NAME [REVISION]`: a new revision with the chart, values and manifest of an earlier
/// one (by default the one before the latest). Recovers from an interrupted operation.
pub fn rollback(
    config: &Configuration<'_>,
    name: &str,
    version: Option<u64>,
    options: &RollbackOptions,
) -> Result<Release> {
    let _lock = config.storage.lock(name, "rollback")?;
    let history = config.storage.history(name)?;
    let current = history
        .last()
        .cloned()
        .ok_or_else(|| StorageError::NotFound {
            name: name.to_string(),
            version: None,
        })?;
    let target = version.unwrap_or(current.version.saturating_sub(1));
    let previous = history
        .iter()
        .find(|r| r.version == target && target > 0)
        .ok_or(ActionError::NoSuchRevision(target))?;
    let mut release = previous.clone();
    release.version = current.version + 1;
    release.info = release::Info {
        first_deployed: current.info.first_deployed,
        last_deployed: Some((config.clock)()),
        deleted: None,
        description: format!("Rollback to {target}"),
        status: Status::PendingRollback,
        notes: previous.info.notes.clone(),
    };
    if options.dry_run {
        return Ok(release);
    }
    let current_manifests = manifests_of(&current)?;
    let done = release.info.description.clone();
    deploy(
        config,
        release,
        &current_manifests,
        options.history_max,
        |config| {
            // Supersede every deployed revision; an interrupted one is recorded as failed.
            for mut old in config.storage.history(name)? {
                if old.version > current.version {
                    continue;
                }
                if old.info.status == Status::Deployed {
                    old.info.status = Status::Superseded;
                } else if old.info.status.is_pending() {
                    old.info.status = Status::Failed;
                    old.info.description = format!(
                        "{} (interrupted; recovered by rollback)",
                        old.info.description
                    );
                } else {
                    continue;
                }
                config.storage.update(&old)?;
            }
            Ok(())
        },
        done,
        "Rollback",
    )
}

/// `uninstall NAME`: removes the release's resources, and its records unless `keep_history`.
pub fn uninstall(
    config: &Configuration<'_>,
    name: &str,
    options: &UninstallOptions,
) -> Result<Release> {
    let _lock = config.storage.lock(name, "uninstall")?;
    let history = config.storage.history(name)?;
    let mut last = history
        .last()
        .cloned()
        .ok_or_else(|| StorageError::NotFound {
            name: name.to_string(),
            version: None,
        })?;
    let purge = |config: &Configuration<'_>| -> Result<()> {
        for r in &history {
            config.storage.delete(name, r.version)?;
        }
        Ok(())
    };
    if last.info.status == Status::Uninstalled {
        if options.keep_history {
            return Err(ActionError::AlreadyDeleted(name.to_string()).into());
        }
        purge(config)?;
        return Ok(last);
    }
    last.info.status = Status::Uninstalling;
    last.info.deleted = Some((config.clock)());
    last.info.description = "Deletion in progress (or silently failed)".into();
    config.storage.update(&last)?;
    let manifests = manifests_of(&last)?;
    config
        .cluster
        .delete(name, &last.namespace, &manifests)
        .map_err(|source| ActionError::Failed {
            description: format!("uninstallation of \"{name}\" failed: {source}"),
            source,
        })?;
    last.info.status = Status::Uninstalled;
    last.info.description = options
        .description
        .clone()
        .unwrap_or_else(|| UNINSTALL_COMPLETE.to_string());
    if options.keep_history {
        config.storage.update(&last)?;
    } else {
        purge(config)?;
    }
    Ok(last)
}

/// `list [-a]`: the latest revision of each release; without `all`, only deployed and failed ones.
pub fn list(config: &Configuration<'_>, all: bool) -> Result<Vec<Release>> {
    let mut latest: Vec<Release> = Vec::new();
    for r in config.storage.list()? {
        match latest.last_mut() {
            Some(l) if l.name == r.name => {
                if r.version > l.version {
                    *l = r;
                }
            }
            _ => latest.push(r),
        }
    }
    latest.retain(|r| all || matches!(r.info.status, Status::Deployed | Status::Failed));
    Ok(latest)
}

/// `history NAME`: the last `max` revisions (all when 0), oldest first.
pub fn history(config: &Configuration<'_>, name: &str, max: usize) -> Result<Vec<Release>> {
    let mut history = config.storage.history(name)?;
    if history.is_empty() {
        return Err(StorageError::NotFound {
            name: name.to_string(),
            version: None,
        }
        .into());
    }
    if max > 0 && history.len() > max {
        history.drain(..history.len() - max);
    }
    Ok(history)
}

/// `status NAME` / `get ... NAME [--revision N]`: one revision, the latest by default.
pub fn get(config: &Configuration<'_>, name: &str, version: Option<u64>) -> Result<Release> {
    Ok(match version {
        Some(v) => config.storage.get(name, v)?,
        None => storage::last(config.storage, name)?,
    })
}

/// The values of a release with the chart defaults (`get values --all`).
/// `diff upgrade`: what [`upgrade`] with these arguments would change in the deployed revision,
/// resource by resource (nothing is written). Secret data is masked unless `show_secrets`.
pub fn diff_upgrade(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let options = DeployOptions {
        dry_run: true,
        ..options.clone()
    };
    let proposed = upgrade(config, name, chart, values, &options)?;
    diff_with_deployed(config, name, &proposed, show_secrets)
}

/// `diff rollback`: what [`rollback`] to `version` would change in the deployed revision.
pub fn diff_rollback(
    config: &Configuration<'_>,
    name: &str,
    version: Option<u64>,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let options = RollbackOptions {
        dry_run: true,
        history_max: 0,
    };
    let proposed = rollback(config, name, version, &options)?;
    diff_with_deployed(config, name, &proposed, show_secrets)
}

fn diff_with_deployed(
    config: &Configuration<'_>,
    name: &str,
    proposed: &Release,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let manifests = |r: &Release| {
        r.manifests()
            .map_err(crate::template::TemplateError::from)
            .map_err(crate::Error::from)
    };
    let old = match storage::deployed(config.storage, name)? {
        Some(current) => manifests(&current)?,
        None => Vec::new(),
    };
    Ok(crate::diff::diff(&old, &manifests(proposed)?, show_secrets))
}

/// The values a release was rendered with: its user-supplied values over its chart's defaults.
pub fn computed_values(release: &Release) -> Values {
    coalesce_tables(release.config.clone(), release.chart.values.clone(), false)
}

#[cfg(test)]
mod tests;
