//! `install NAME CHART`: revision 1 of a new release.

use super::config::{
    ActionError, Configuration, DeployOptions, DryRun, INSTALL_COMPLETE, Operation, Result,
    UninstallOptions,
};
use super::deploy::{Deploy, apply_options, deploy, namespace_of, prepare, render};
use crate::chart::Chart;
use crate::release::{Release, Status};
use crate::values::Values;

/// `install NAME CHART`: revision 1 of a new release in `options.namespace`.
pub fn install(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
) -> Result<Release> {
    let (_, _lock) = super::deploy::begin(config, name, options, Operation::Install)?;
    install_locked(config, name, chart, values, options)
}

/// With `--rollback-on-failure`, a failed install is uninstalled (records and resources).
fn undo_failed_install(
    config: &Configuration<'_>,
    name: &str,
    namespace: &str,
    error: ActionError,
) -> ActionError {
    let ActionError::Failed {
        description,
        source,
    } = error
    else {
        return error;
    };
    let options = UninstallOptions::default();
    match super::uninstall::uninstall_locked(config, namespace, name, &options) {
        Ok(_) => ActionError::RolledBack {
            description: format!(
                "release {name} failed, and has been uninstalled due to rollback-on-failure being set: {description}"
            ),
            source,
        },
        Err(undo) => ActionError::RolledBack {
            description: format!(
                "release {name} failed: {description}; uninstalling it (rollback-on-failure) failed too: {undo}"
            ),
            source,
        },
    }
}

/// [`install`] with the release's lock held (also `upgrade --install`).
pub(super) fn install_locked(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
) -> Result<Release> {
    let namespace = namespace_of(options);
    // A client dry run contacts no cluster (Helm's client-only install skips the check too).
    if options.dry_run != DryRun::Client && !config.storage.history(&namespace, name)?.is_empty() {
        return Err(ActionError::NameInUse(name.to_string()));
    }
    let (mut release, crds) = render(config, name, chart, values, options, 1)?;
    let now = (config.clock)();
    release.info.first_deployed = Some(now);
    release.info.last_deployed = Some(now);
    release.info.status = Status::PendingInstall;
    let apply = apply_options(options);
    if options.dry_run != DryRun::Client {
        prepare(config, &release, options, &apply)?;
    }
    if options.dry_run.is_dry() {
        release.info.description = "Dry run complete".into();
        return Ok(release);
    }
    release.info.description = "Initial install underway".into();
    let done = options
        .description
        .clone()
        .unwrap_or_else(|| INSTALL_COMPLETE.to_string());
    let deployed = deploy(
        config,
        release,
        Deploy {
            operation: Operation::Install,
            previous: &[],
            crds,
            history_max: options.history_max,
            apply,
            wait: options.wait,
            wait_for_jobs: options.wait_for_jobs,
            hook_timeout: options.timeout,
            no_hooks: options.no_hooks,
            cleanup_on_fail: false,
            replace: Vec::new(),
            done,
        },
        |_| Ok(()),
    );
    match deployed {
        Err(e) if options.rollback_on_failure => {
            Err(undo_failed_install(config, name, &namespace, e))
        }
        other => other,
    }
}
