//! `upgrade NAME CHART`: a new revision from a (possibly new) chart and values.

use super::config::{
    ActionError, Configuration, DeployOptions, DryRun, Operation, Result, RollbackOptions,
    UPGRADE_COMPLETE, ValuesMode,
};
use super::deploy::{Deploy, apply_options, deploy, prepare, render, resources_of};
use super::install::install_locked;
use crate::chart::Chart;
use crate::release::{Release, Status};
use crate::values::{Values, coalesce_tables};

/// The user values an upgrade renders with, and the chart defaults it renders on, by Helm's rules.
pub(super) fn upgrade_values(
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
    let (namespace, _lock) = super::deploy::begin(config, name, options, Operation::Upgrade)?;
    let history = config.storage.history(&namespace, name)?;
    let Some(last) = history.last() else {
        if options.install {
            return install_locked(config, name, chart, values, options);
        }
        return Err(ActionError::NoDeployedReleases(name.to_string()));
    };
    if last.info.status.is_pending() {
        return Err(ActionError::Pending {
            name: name.to_string(),
            version: last.version,
            status: last.info.status,
        });
    }
    let current = match history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed)
    {
        Some(deployed) => deployed.clone(),
        None if matches!(last.info.status, Status::Failed | Status::Superseded) => last.clone(),
        None => return Err(ActionError::NoDeployedReleases(name.to_string())),
    };
    let (chart, values) = upgrade_values(chart, &current, values, options.values_mode);
    let (mut release, _crds) = render(config, name, &chart, &values, options, last.version + 1)?;
    release.info.first_deployed = current.info.first_deployed;
    release.info.last_deployed = Some((config.clock)());
    release.info.status = Status::PendingUpgrade;
    let apply = apply_options(options);
    if options.dry_run != DryRun::Client {
        prepare(config, &release, options, &apply)?;
    }
    if options.dry_run.is_dry() {
        release.info.description = "Dry run complete".into();
        return Ok(release);
    }
    release.info.description = "Preparing upgrade".into();
    let replace = super::deploy::check_immutable(
        config,
        &release,
        &apply,
        options.force_replace,
        Operation::Upgrade,
    )?;
    let previous = resources_of(&current).map_err(ActionError::Cluster)?;
    let done = options
        .description
        .clone()
        .unwrap_or_else(|| UPGRADE_COMPLETE.to_string());
    // Helm installs `crds/` on install only; an upgrade leaves CRDs alone.
    let deployed = deploy(
        config,
        release,
        Deploy {
            operation: Operation::Upgrade,
            previous: &previous,
            crds: Vec::new(),
            history_max: options.history_max,
            apply,
            wait: options.wait,
            wait_for_jobs: options.wait_for_jobs,
            hook_timeout: options.timeout,
            no_hooks: options.no_hooks,
            cleanup_on_fail: options.cleanup_on_fail,
            replace,
            done,
        },
        |config| {
            let mut current = current.clone();
            current.info.status = Status::Superseded;
            Ok(config.storage.update(&current)?)
        },
    );
    match deployed {
        Err(ActionError::Failed {
            description,
            source,
        }) if options.rollback_on_failure => {
            // Back to the revision that was deployed (the lock is still held).
            let rollback = RollbackOptions {
                history_max: options.history_max,
                wait: options.wait,
                wait_for_jobs: options.wait_for_jobs,
                force_conflicts: options.force_conflicts,
                timeout: options.timeout,
                force_replace: options.force_replace,
                ..RollbackOptions::default()
            };
            let undone = super::rollback::rollback_locked(
                config,
                &namespace,
                name,
                Some(current.version),
                &rollback,
            );
            Err(ActionError::RolledBack {
                description: match undone {
                    Ok(_) => format!(
                        "release {name} failed, and has been rolled back due to rollback-on-failure being set: {description}"
                    ),
                    Err(undo) => format!(
                        "release {name} failed: {description}; rolling back (rollback-on-failure) failed too: {undo}"
                    ),
                },
                source,
            })
        }
        other => other,
    }
}
