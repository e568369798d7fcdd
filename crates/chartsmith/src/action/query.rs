//! The read-only verbs: `list`, `history`, `status`/`get`, and the diffs of `upgrade` and
//! `rollback` against the deployed revision.

use super::config::{ActionError, Configuration, DeployOptions, DryRun, Result, RollbackOptions};
use super::rollback::rollback;
use super::upgrade::upgrade;
use crate::chart::Chart;
use crate::release::{Release, Status};
use crate::storage::{self, StorageError};
use crate::values::{Values, coalesce_tables};

/// `list [-a] [-A]`: the latest revision of each release of `namespace` (`None`: of every
/// namespace), by namespace then name; without `all`, only deployed and failed ones.
pub fn list(
    config: &Configuration<'_>,
    namespace: Option<&str>,
    all: bool,
) -> Result<Vec<Release>> {
    let mut latest = storage::latest(config.storage, namespace, &mut |e| {
        config.warn(&format!("skipped an unreadable release record: {e}"));
    })?;
    latest.retain(|r| all || matches!(r.info.status, Status::Deployed | Status::Failed));
    Ok(latest)
}

/// `history NAME`: the last `max` revisions (all when 0), oldest first.
pub fn history(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    max: usize,
) -> Result<Vec<Release>> {
    let mut history = config.storage.history(namespace, name)?;
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
pub fn get(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    version: Option<u64>,
) -> Result<Release> {
    Ok(match version {
        Some(v) => config.storage.get(namespace, name, v)?,
        None => storage::last(config.storage, namespace, name)?,
    })
}

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
        dry_run: DryRun::Client,
        create_namespace: false,
        ..options.clone()
    };
    let proposed = upgrade(config, name, chart, values, &options)?;
    diff_with_deployed(config, &proposed, show_secrets)
}

/// `diff rollback`: what [`rollback`] to `version` would change in the deployed revision.
pub fn diff_rollback(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    version: Option<u64>,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let options = RollbackOptions {
        dry_run: true,
        ..RollbackOptions::default()
    };
    let proposed = rollback(config, namespace, name, version, &options)?;
    diff_with_deployed(config, &proposed, show_secrets)
}

fn diff_with_deployed(
    config: &Configuration<'_>,
    proposed: &Release,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let manifests = |r: &Release| {
        r.manifests()
            .map_err(crate::template::TemplateError::from)
            .map_err(ActionError::from)
    };
    let old = match storage::deployed(config.storage, &proposed.namespace, &proposed.name)? {
        Some(current) => manifests(&current)?,
        None => Vec::new(),
    };
    Ok(crate::diff::diff(&old, &manifests(proposed)?, show_secrets))
}

/// The values a release was rendered with: its user-supplied values over its chart's defaults.
pub fn computed_values(release: &Release) -> Values {
    coalesce_tables(release.config.clone(), release.chart.values.clone(), false)
}
