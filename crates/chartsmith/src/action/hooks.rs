//! Hooks: which run for an event, in which order, and when they are deleted (Helm's
//! `helm.sh/hook`, `helm.sh/hook-weight` and `helm.sh/hook-delete-policy` annotations). Every
//! backend runs hooks through these rules.

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
