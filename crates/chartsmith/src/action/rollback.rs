//! `rollback NAME [REVISION]`: a new revision with the chart, values and manifest of an earlier one.

use super::config::{ActionError, Configuration, Operation, Result, RollbackOptions};
use super::deploy::{Deploy, deploy, resources_of};
use crate::cluster::ApplyOptions;
use crate::release::{self, Release, Status};
use crate::storage::StorageError;

/// `rollback NAME [REVISION]`: a new revision with the chart, values and manifest of an earlier
/// one (by default the one before the latest). Recovers from an interrupted operation.
pub fn rollback(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    version: Option<u64>,
    options: &RollbackOptions,
) -> Result<Release> {
    let _lock = config
        .storage
        .lock(namespace, name, Operation::Rollback.as_str())?;
    rollback_locked(config, namespace, name, version, options)
}

/// [`rollback`] with the release's lock held (also `upgrade --rollback-on-failure`).
pub(super) fn rollback_locked(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    version: Option<u64>,
    options: &RollbackOptions,
) -> Result<Release> {
    let history = config.storage.history(namespace, name)?;
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
    let apply = ApplyOptions {
        force_conflicts: options.force_conflicts,
        ..ApplyOptions::default()
    };
    let replace = super::deploy::check_immutable(
        config,
        &release,
        &apply,
        options.force_replace,
        Operation::Rollback,
    )?;
    let current_resources = resources_of(&current).map_err(ActionError::Cluster)?;
    let done = release.info.description.clone();
    let current_version = current.version;
    deploy(
        config,
        release,
        Deploy {
            operation: Operation::Rollback,
            previous: &current_resources,
            crds: Vec::new(),
            history_max: options.history_max,
            apply,
            wait: options.wait,
            wait_for_jobs: options.wait_for_jobs,
            hook_timeout: options.timeout,
            no_hooks: options.no_hooks,
            cleanup_on_fail: false,
            replace,
            done,
        },
        |config| {
            // Supersede every deployed revision; an interrupted one is recorded as failed.
            for mut old in config.storage.history(namespace, name)? {
                if old.version > current_version {
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
    )
}
