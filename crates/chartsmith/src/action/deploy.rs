//! What the mutating verbs share: rendering a release, the deploy sequence (pending revision,
//! hooks, apply, outcome), the cluster side of it, and the resources of a release.

use std::time::Duration;

use super::config::{ActionError, Configuration, DeployOptions, DryRun, Operation, Result};
use super::hooks::{self, HookEvent};
use crate::chart::Chart;
use crate::cluster::{
    ApplyOptions, ClusterError, DeleteOptions, Owner, Resource, WaitOptions, ownership,
};
use crate::engine;
use crate::manifest::Manifest;
use crate::release::{self, Release, ReleaseChart, Status};
use crate::storage::{self, StorageError};
use crate::template::{TemplateOptions, template};
use crate::values::Values;

pub(super) fn namespace_of(options: &DeployOptions) -> String {
    if options.namespace.is_empty() {
        "default".to_string()
    } else {
        options.namespace.clone()
    }
}

/// What install and upgrade do first: check the release name, and take the release's lock in
/// its namespace for `operation`. Returns the namespace and the lock (held until dropped).
pub(super) fn begin(
    config: &Configuration<'_>,
    name: &str,
    options: &DeployOptions,
    operation: Operation,
) -> Result<(String, crate::storage::Lock)> {
    engine::Release::validate_name(name).map_err(crate::template::TemplateError::ReleaseName)?;
    let namespace = namespace_of(options);
    let lock = config.storage.lock(&namespace, name, operation.as_str())?;
    Ok((namespace, lock))
}

/// Renders `chart` into a release record (status unknown, no timestamps). Templates' `lookup`
/// reads the target's live objects.
pub(super) fn render(
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
        // A client dry run contacts no cluster: `lookup` is empty, as in Helm.
        lookup: if options.dry_run == DryRun::Client {
            None
        } else {
            config.cluster.lookup()
        },
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

pub(super) fn owner_of(release: &Release) -> Owner {
    Owner {
        name: release.name.clone(),
        namespace: release.namespace.clone(),
    }
}

/// The non-hook resources of a release, parsed and stamped with ownership metadata, in install
/// order.
pub(super) fn resources_of(release: &Release) -> Result<Vec<Resource>, ClusterError> {
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
pub(super) fn dropped(previous: &[Resource], current: &[Resource]) -> Vec<Resource> {
    previous
        .iter()
        .rev()
        .filter(|old| !current.iter().any(|new| new.key.same_object(&old.key)))
        .filter(|old| !ownership::keeps(old))
        .cloned()
        .collect()
}

/// What a deploy applies besides the record.
pub(super) struct Deploy<'r> {
    pub(super) operation: Operation,
    pub(super) previous: &'r [Resource],
    pub(super) crds: Vec<Manifest>,
    pub(super) history_max: usize,
    pub(super) apply: ApplyOptions,
    pub(super) wait: Option<Duration>,
    pub(super) wait_for_jobs: bool,
    pub(super) hook_timeout: Option<Duration>,
    pub(super) no_hooks: bool,
    pub(super) cleanup_on_fail: bool,
    /// Resources to delete and recreate (`--force-replace` of immutable fields).
    pub(super) replace: Vec<Resource>,
    pub(super) done: String,
}

/// Stores `release` as pending, applies it, and records the outcome.
pub(super) fn deploy(
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
    let owner = owner_of(&release);
    // As Helm: CRDs of `crds/` first (so that pre-install hooks can use them), then the
    // pre-hooks, the resources, the post-hooks.
    let crds = || -> Result<(), ClusterError> {
        if plan.crds.is_empty() {
            return Ok(());
        }
        config
            .cluster
            .install_crds(&parse_all(&plan.crds)?, &plan.apply)
    };
    let no_hooks = plan.no_hooks;
    let run_hooks = |release: &mut Release, event| {
        if no_hooks {
            return Ok(());
        }
        hooks::run(config, &owner, release, event, timeout)
    };
    let outcome = crds()
        .and_then(|()| run_hooks(&mut release, pre))
        .and_then(|()| apply_release(config, &release, &plan))
        .and_then(|()| run_hooks(&mut release, post));
    if let Err(source) = outcome {
        if plan.cleanup_on_fail {
            cleanup(config, &release, plan.previous);
        }
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

/// `--cleanup-on-fail`: deletes the resources of the failed `release` that `previous` did not
/// have (in reverse order). Best effort, as in Helm: the operation's own error is what counts.
fn cleanup(config: &Configuration<'_>, release: &Release, previous: &[Resource]) {
    let Ok(resources) = resources_of(release) else {
        return;
    };
    let created: Vec<Resource> = resources
        .into_iter()
        .rev()
        .filter(|new| !previous.iter().any(|old| old.key.same_object(&new.key)))
        .collect();
    if created.is_empty() {
        return;
    }
    if let Err(e) = config
        .cluster
        .delete(&owner_of(release), &created, &DeleteOptions::default())
    {
        config.warn(&format!(
            "--cleanup-on-fail could not delete everything: {e}"
        ));
    }
}

/// The cluster side of a deploy: resources, dropped resources, waiting.
fn apply_release(
    config: &Configuration<'_>,
    release: &Release,
    plan: &Deploy<'_>,
) -> Result<(), ClusterError> {
    let owner = owner_of(release);
    let resources = resources_of(release)?;
    if !plan.replace.is_empty() {
        let mut replace = plan.replace.clone();
        replace.reverse();
        config
            .cluster
            .delete(&owner, &replace, &DeleteOptions::default())?;
        config.cluster.wait_deleted(
            &owner,
            &replace,
            &WaitOptions {
                timeout: plan.wait.unwrap_or(hooks::DEFAULT_HOOK_TIMEOUT),
                jobs: false,
                progress: config.progress,
            },
        )?;
    }
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
                jobs: plan.wait_for_jobs,
                progress: config.progress,
            },
        )?;
    }
    Ok(())
}

/// Before anything is stored: the namespace (`--create-namespace`) and, for `--dry-run=server`,
/// the API server's verdict on the resources.
pub(super) fn prepare(
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

/// Before an upgrade or rollback stores anything: the API server's verdict on each resource,
/// so that a change to an immutable field is refused up front ([`ActionError::Refused`]). With
/// `force_replace` the refused resources are returned instead: the deploy deletes and recreates
/// them. Other refusals are left to the apply itself (and recorded as a failed revision, as
/// Helm records them). A target without live state has nothing to check.
pub(super) fn check_immutable(
    config: &Configuration<'_>,
    release: &Release,
    apply: &ApplyOptions,
    force_replace: bool,
    operation: Operation,
) -> Result<Vec<Resource>> {
    let owner = owner_of(release);
    let mut replace = Vec::new();
    let resources = resources_of(release).map_err(ActionError::Cluster)?;
    let previews = config.cluster.preview_all(&owner, &resources, apply)?;
    for (r, preview) in resources.into_iter().zip(previews) {
        let Some(preview) = preview else {
            return Ok(Vec::new());
        };
        if let Err(e @ ClusterError::Immutable { .. }) = preview.planned {
            if !force_replace {
                return Err(ActionError::Refused {
                    operation: operation.as_str(),
                    source: e,
                });
            }
            replace.push(r);
        }
    }
    Ok(replace)
}

pub(super) fn apply_options(options: &DeployOptions) -> ApplyOptions {
    ApplyOptions {
        force_conflicts: options.force_conflicts,
        take_ownership: options.take_ownership,
        ..ApplyOptions::default()
    }
}
