//! The read-only verbs: `list`, `history`, `status`/`get`, and the diffs of `upgrade` and
//! `rollback` against the deployed revision.

use super::config::{ActionError, Configuration, DeployOptions, DryRun, Result, RollbackOptions};
use super::deploy::{apply_options, dropped, owner_of, resources_of};
use super::rollback::rollback;
use super::upgrade::upgrade;
use crate::chart::Chart;
use crate::cluster::{ApplyOptions, Resource};
use crate::diff::LiveInput;
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

/// `diff upgrade`: what [`upgrade`] with these arguments would change, resource by resource
/// (nothing is written). On a target with live state (a cluster) the comparison is with the live
/// objects, through the API server's dry run of each apply ([`crate::cluster::Target::preview`]):
/// defaults and admission included, drift made outside chartsmith and refusals (immutable
/// fields, fields another manager owns) marked. Elsewhere it is with the deployed revision.
/// Secret data is masked unless `show_secrets`.
pub fn diff_upgrade(
    config: &Configuration<'_>,
    name: &str,
    chart: &Chart,
    values: &Values,
    options: &DeployOptions,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let options = DeployOptions {
        dry_run: DryRun::Preview,
        create_namespace: false,
        ..options.clone()
    };
    let proposed = upgrade(config, name, chart, values, &options)?;
    diff_with_deployed(config, &proposed, &apply_options(&options), show_secrets)
}

/// `diff rollback`: what [`rollback`] to `version` would change, against the live objects or
/// the deployed revision as [`diff_upgrade`].
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
    diff_with_deployed(config, &proposed, &ApplyOptions::default(), show_secrets)
}

fn diff_with_deployed(
    config: &Configuration<'_>,
    proposed: &Release,
    apply: &ApplyOptions,
    show_secrets: bool,
) -> Result<Vec<crate::diff::Change>> {
    let deployed = storage::deployed(config.storage, &proposed.namespace, &proposed.name)?;
    if let Some(changes) = live_diff(config, proposed, deployed.as_ref(), apply, show_secrets)? {
        return Ok(changes);
    }
    let manifests = |r: &Release| {
        r.manifests()
            .map_err(crate::template::TemplateError::from)
            .map_err(ActionError::from)
    };
    let old = match &deployed {
        Some(current) => manifests(current)?,
        None => Vec::new(),
    };
    Ok(crate::diff::diff(&old, &manifests(proposed)?, show_secrets))
}

/// The diff against the live objects, or `None` when the target has no live state.
fn live_diff(
    config: &Configuration<'_>,
    proposed: &Release,
    deployed: Option<&Release>,
    apply: &ApplyOptions,
    show_secrets: bool,
) -> Result<Option<Vec<crate::diff::Change>>> {
    let owner = owner_of(proposed);
    let new = resources_of(proposed)?;
    let old = match deployed {
        Some(d) => resources_of(d)?,
        None => Vec::new(),
    };
    let deployed_object = |r: &Resource| {
        old.iter()
            .find(|o| o.key.same_object(&r.key))
            .map(|o| &o.object)
    };
    let mut changes = Vec::new();
    let previews = config.cluster.preview_all(&owner, &new, apply)?;
    for (r, preview) in new.iter().zip(previews) {
        let Some(preview) = preview else {
            return Ok(None);
        };
        let planned = preview.planned.as_ref().map_err(ToString::to_string);
        changes.extend(crate::diff::live_change(
            LiveInput {
                kind: &r.key.kind,
                name: &r.key.name,
                deployed: deployed_object(r),
                live: preview.live.as_ref(),
                proposed: Some(&r.object),
                planned: Some(planned),
            },
            show_secrets,
        ));
    }
    for gone in dropped(&old, &new) {
        let live = config.cluster.get(&owner, &gone.key)?;
        changes.extend(crate::diff::live_change(
            LiveInput {
                kind: &gone.key.kind,
                name: &gone.key.name,
                deployed: Some(&gone.object),
                live: live.as_ref(),
                proposed: None,
                planned: None,
            },
            show_secrets,
        ));
    }
    Ok(Some(changes))
}

/// The values a release was rendered with: its user-supplied values over its chart's defaults.
pub fn computed_values(release: &Release) -> Values {
    coalesce_tables(release.config.clone(), release.chart.values.clone(), false)
}
