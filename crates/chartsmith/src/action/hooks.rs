//! Hooks: which run for an event, in which order, and when they are deleted (Helm's
//! `helm.sh/hook`, `helm.sh/hook-weight` and `helm.sh/hook-delete-policy` annotations). Every
//! backend runs hooks through these rules.

use super::config::Configuration;
use crate::release::Hook;

/// A point in a release's lifecycle where hooks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEvent {
    /// Before an install's resources are applied.
    PreInstall,
    /// After an install's resources are applied (and ready, with `--wait`).
    PostInstall,
    /// Before an upgrade's resources are applied.
    PreUpgrade,
    /// After an upgrade's resources are applied.
    PostUpgrade,
    /// Before a rollback's resources are applied.
    PreRollback,
    /// After a rollback's resources are applied.
    PostRollback,
    /// Before an uninstall deletes resources.
    PreDelete,
    /// After an uninstall deleted resources.
    PostDelete,
    /// `chartsmith test` (`test-success` is Helm's older name for it).
    Test,
}

impl HookEvent {
    /// Every event, in lifecycle order.
    pub const ALL: [HookEvent; 9] = [
        HookEvent::PreInstall,
        HookEvent::PostInstall,
        HookEvent::PreUpgrade,
        HookEvent::PostUpgrade,
        HookEvent::PreRollback,
        HookEvent::PostRollback,
        HookEvent::PreDelete,
        HookEvent::PostDelete,
        HookEvent::Test,
    ];

    /// The annotation value (`pre-install`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::Test => "test",
        }
    }

    /// Parses an annotation value; `test-success` is `test`.
    pub fn parse(text: &str) -> Option<HookEvent> {
        let text = text.trim();
        if text == "test-success" {
            return Some(HookEvent::Test);
        }
        HookEvent::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// When a hook resource is deleted (`helm.sh/hook-delete-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeletePolicy {
    /// Delete the previous hook resource before creating it again (Helm's default).
    BeforeHookCreation,
    /// Delete it once it succeeded.
    HookSucceeded,
    /// Delete it if it failed.
    HookFailed,
}

impl DeletePolicy {
    /// Parses an annotation value.
    pub fn parse(text: &str) -> Option<DeletePolicy> {
        match text.trim() {
            "before-hook-creation" => Some(DeletePolicy::BeforeHookCreation),
            "hook-succeeded" => Some(DeletePolicy::HookSucceeded),
            "hook-failed" => Some(DeletePolicy::HookFailed),
            _ => None,
        }
    }

    /// The policies of a hook; none given means `before-hook-creation`, as in Helm. Unknown
    /// values are ignored (Helm ignores them too).
    pub fn of(hook: &Hook) -> Vec<DeletePolicy> {
        let policies: Vec<_> = hook
            .delete_policies
            .iter()
            .filter_map(|p| DeletePolicy::parse(p))
            .collect();
        if policies.is_empty() {
            vec![DeletePolicy::BeforeHookCreation]
        } else {
            policies
        }
    }
}

/// The hooks that run for `event`, in execution order: by weight, then by kind in install order,
/// then by name (Helm sorts hooks by kind, then stably by weight and name).
pub fn select(hooks: &[Hook], event: HookEvent) -> Vec<&Hook> {
    let mut chosen: Vec<&Hook> = hooks
        .iter()
        .filter(|h| h.events.iter().any(|e| HookEvent::parse(e) == Some(event)))
        .collect();
    let kind_rank = |kind: &str| {
        crate::manifest::INSTALL_ORDER
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(crate::manifest::INSTALL_ORDER.len())
    };
    chosen.sort_by(|a, b| {
        a.weight
            .cmp(&b.weight)
            .then_with(|| kind_rank(&a.kind).cmp(&kind_rank(&b.kind)))
            .then_with(|| a.name.cmp(&b.name))
    });
    chosen
}

/// How long a hook may run when no `--timeout` is given (Helm's default).
pub const DEFAULT_HOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs the hooks of `release` (owned by `owner`) for `event` on `config.cluster`, in order,
/// recording each run in `release.hooks[].last_run` (Helm's `execHook`): an existing hook
/// resource is deleted first (`before-hook-creation`, the default), the hook is created and
/// waited for (Jobs complete, Pods succeed) within `timeout`, then deleted as its policies say. A target without live state
/// ([`crate::cluster::Target::runs_hooks`] false) runs none.
pub(super) fn run(
    config: &Configuration<'_>,
    owner: &crate::cluster::Owner,
    release: &mut crate::release::Release,
    event: HookEvent,
    timeout: std::time::Duration,
) -> Result<(), crate::cluster::ClusterError> {
    run_selected(config, owner, release, event, timeout, &|_| true)
}

/// [`run`] for the hooks of `event` that `keep` accepts (`chartsmith test --filter`).
pub(super) fn run_selected(
    config: &Configuration<'_>,
    owner: &crate::cluster::Owner,
    release: &mut crate::release::Release,
    event: HookEvent,
    timeout: std::time::Duration,
    keep: &dyn Fn(&Hook) -> bool,
) -> Result<(), crate::cluster::ClusterError> {
    use crate::cluster::{ApplyOptions, DeleteOptions, Resource, WaitOptions, ownership};
    if !config.cluster.runs_hooks() {
        return Ok(());
    }
    let order: Vec<usize> = {
        let chosen = select(&release.hooks, event);
        chosen
            .iter()
            .filter(|h| keep(h))
            .filter_map(|h| release.hooks.iter().position(|x| std::ptr::eq(x, *h)))
            .collect()
    };
    for index in order {
        let hook = release.hooks[index].clone();
        let manifest = crate::manifest::Manifest {
            source: hook.path.clone(),
            content: hook.manifest.clone(),
            api_version: String::new(),
            kind: hook.kind.clone(),
            name: hook.name.clone(),
            hook_events: hook.events.clone(),
            hook_weight: hook.weight,
        };
        let mut resource = Resource::from_manifest(&manifest)?;
        ownership::stamp(&mut resource, owner);
        let resource = [resource];
        let policies = DeletePolicy::of(&hook);
        if policies.contains(&DeletePolicy::BeforeHookCreation) {
            config
                .cluster
                .delete(owner, &resource, &DeleteOptions::default())?;
        }
        let started = (config.clock)();
        release.hooks[index].last_run = crate::release::HookExecution {
            started_at: Some(started),
            completed_at: None,
            phase: "Running".into(),
        };
        config
            .cluster
            .apply(owner, &resource, &ApplyOptions::default())?;
        let outcome = config.cluster.wait(
            owner,
            &resource,
            &WaitOptions {
                timeout,
                jobs: true,
                progress: config.progress,
            },
        );
        let succeeded = outcome.is_ok();
        release.hooks[index].last_run.completed_at = Some((config.clock)());
        release.hooks[index].last_run.phase = if succeeded { "Succeeded" } else { "Failed" }.into();
        let delete_now = if succeeded {
            policies.contains(&DeletePolicy::HookSucceeded)
        } else {
            policies.contains(&DeletePolicy::HookFailed)
        };
        if delete_now {
            config
                .cluster
                .delete(owner, &resource, &DeleteOptions::default())?;
        }
        if let Err(e) = outcome {
            return Err(crate::cluster::ClusterError::HookFailed {
                hook: format!("{} {} ({})", hook.kind, hook.name, event.as_str()),
                message: e.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(name: &str, kind: &str, events: &[&str], weight: i64, policies: &[&str]) -> Hook {
        Hook {
            name: name.into(),
            kind: kind.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            weight,
            delete_policies: policies.iter().map(|p| p.to_string()).collect(),
            ..Hook::default()
        }
    }

    #[test]
    fn selects_by_event_and_orders_by_weight_kind_and_name() {
        let hooks = [
            hook("migrate", "Job", &["pre-upgrade", "pre-install"], 5, &[]),
            hook("config", "ConfigMap", &["pre-install"], 5, &[]),
            hook("b-first", "Job", &["pre-install"], -1, &[]),
            hook("a-first", "Job", &["pre-install"], -1, &[]),
            hook("smoke", "Pod", &["test-success"], 0, &[]),
            hook("after", "Job", &["post-install"], 0, &[]),
        ];
        let names = |event| -> Vec<&str> {
            select(&hooks, event)
                .iter()
                .map(|h| h.name.as_str())
                .collect()
        };
        assert_eq!(
            names(HookEvent::PreInstall),
            ["a-first", "b-first", "config", "migrate"]
        );
        assert_eq!(names(HookEvent::PreUpgrade), ["migrate"]);
        assert_eq!(names(HookEvent::Test), ["smoke"]);
        assert!(names(HookEvent::PreDelete).is_empty());
    }

    #[test]
    fn delete_policies_default_to_before_hook_creation() {
        assert_eq!(
            DeletePolicy::of(&hook("h", "Job", &[], 0, &[])),
            [DeletePolicy::BeforeHookCreation]
        );
        assert_eq!(
            DeletePolicy::of(&hook(
                "h",
                "Job",
                &[],
                0,
                &["hook-succeeded", "bogus", "hook-failed"]
            )),
            [DeletePolicy::HookSucceeded, DeletePolicy::HookFailed]
        );
        for e in HookEvent::ALL {
            assert_eq!(HookEvent::parse(e.as_str()), Some(e));
        }
    }
}
