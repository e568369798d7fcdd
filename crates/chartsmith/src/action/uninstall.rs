//! `uninstall NAME`: removes the release's resources, and its records unless `--keep-history`.

use super::config::{
    ActionError, Configuration, Operation, Result, UNINSTALL_COMPLETE, UninstallOptions,
};
use super::deploy::{owner_of, resources_of};
use super::hooks::{self, HookEvent};
use crate::cluster::{DeleteOptions, WaitOptions, ownership};
use crate::release::{Release, Status};
use crate::storage::StorageError;

/// `uninstall NAME`: removes the release's resources in reverse install order (except those
/// marked `helm.sh/resource-policy: keep`), and its records unless `keep_history`.
pub fn uninstall(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    options: &UninstallOptions,
) -> Result<Release> {
    let _lock = config
        .storage
        .lock(namespace, name, Operation::Uninstall.as_str())?;
    uninstall_locked(config, namespace, name, options)
}

/// [`uninstall`] with the release's lock held (also `install --rollback-on-failure`).
pub(super) fn uninstall_locked(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    options: &UninstallOptions,
) -> Result<Release> {
    let history = config.storage.history(namespace, name)?;
    let mut last = history
        .last()
        .cloned()
        .ok_or_else(|| StorageError::NotFound {
            name: name.to_string(),
            version: None,
        })?;
    let purge = |config: &Configuration<'_>| -> Result<()> {
        for r in &history {
            config.storage.delete(namespace, name, r.version)?;
        }
        Ok(())
    };
    if last.info.status == Status::Uninstalled {
        if options.keep_history {
            return Err(ActionError::AlreadyDeleted(name.to_string()));
        }
        purge(config)?;
        return Ok(last);
    }
    last.info.status = Status::Uninstalling;
    last.info.deleted = Some((config.clock)());
    last.info.description = "Deletion in progress (or silently failed)".into();
    config.storage.update(&last)?;
    let failed = |source| ActionError::Failed {
        description: format!(
            "{} \"{name}\" failed: {source}",
            Operation::Uninstall.failure_subject()
        ),
        source,
    };
    let timeout = options.timeout.unwrap_or(hooks::DEFAULT_HOOK_TIMEOUT);
    let owner = owner_of(&last);
    if !options.no_hooks {
        hooks::run(config, &owner, &mut last, HookEvent::PreDelete, timeout).map_err(failed)?;
    }
    let mut resources = resources_of(&last).map_err(failed)?;
    resources.retain(|r| !ownership::keeps(r));
    resources.reverse();
    config
        .cluster
        .delete(&owner, &resources, &DeleteOptions::default())
        .map_err(failed)?;
    if let Some(timeout) = options.wait {
        let wait = WaitOptions {
            timeout,
            jobs: false,
            progress: config.progress,
        };
        config
            .cluster
            .wait_deleted(&owner, &resources, &wait)
            .map_err(failed)?;
    }
    if !options.no_hooks {
        hooks::run(config, &owner, &mut last, HookEvent::PostDelete, timeout).map_err(failed)?;
    }
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
