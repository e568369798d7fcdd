//! A cluster fake and the cluster-target suite, exported behind the `testing` feature.
//!
//! [`FakeCluster`] keeps objects in memory, enforces what an API server enforces that the action
//! layer depends on (namespaces must exist, ownership conflicts), records every call, and can be
//! told to fail a given call. [`exercise`] is the behaviour every [`Target`] must have; the
//! directory target, the fake and the Kubernetes target of `chartsmith-kube` all run it.

// A test suite panics with a message on the first difference: that is its job.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    ApplyOptions, ClusterError, DeleteOptions, Lookup, Owner, PodLog, Preview, Resource,
    ResourceKey, Target, WaitOptions, WaitProgress, ownership,
};
use crate::engine::Capabilities;
use crate::manifest::Manifest;

/// Kinds the fake treats as cluster-scoped.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Where an object lives: (group, kind, namespace or "", name).
type Slot = (String, String, String, String);

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<Slot, serde_json::Value>,
    namespaces: BTreeSet<String>,
    calls: Vec<String>,
    fail: Option<(String, String)>,
}

/// An in-memory cluster.
#[derive(Debug, Clone)]
pub struct FakeCluster {
    state: Arc<Mutex<State>>,
    capabilities: Option<Capabilities>,
}

impl Default for FakeCluster {
    fn default() -> Self {
        FakeCluster::new()
    }
}

impl FakeCluster {
    /// An empty cluster with the namespace `default`.
    pub fn new() -> FakeCluster {
        let mut state = State::default();
        state.namespaces.insert("default".into());
        FakeCluster {
            state: Arc::new(Mutex::new(state)),
            capabilities: Some(Capabilities::default()),
        }
    }

    /// The same cluster reporting `capabilities` from discovery.
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> FakeCluster {
        self.capabilities = Some(capabilities);
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the next call `operation` (`apply`, `delete`, `wait`, `install_crds`) that touches
    /// a resource named `name` fail with an API error (once).
    pub fn fail_on(&self, operation: &str, name: &str) {
        self.state().fail = Some((operation.to_string(), name.to_string()));
    }

    /// Every call so far, as `apply Deployment default/web` lines.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// The stored objects, as `Kind namespace/name` (or `Kind name` when cluster-scoped).
    pub fn objects(&self) -> Vec<String> {
        self.state()
            .objects
            .keys()
            .map(|(_, kind, ns, name)| {
                if ns.is_empty() {
                    format!("{kind} {name}")
                } else {
                    format!("{kind} {ns}/{name}")
                }
            })
            .collect()
    }

    /// The stored object `kind namespace/name`, if any.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<serde_json::Value> {
        self.state()
            .objects
            .iter()
            .find(|((_, k, ns, n), _)| k == kind && ns == namespace && n == name)
            .map(|(_, v)| v.clone())
    }

    /// Changes a stored object in place, as `kubectl edit` or a controller would.
    pub fn edit(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut serde_json::Value),
    ) {
        let mut state = self.state();
        if let Some((_, object)) = state
            .objects
            .iter_mut()
            .find(|((_, k, ns, n), _)| k == kind && ns == namespace && n == name)
        {
            change(object);
        }
    }

    /// Puts an object into the cluster as another tool would (no ownership metadata added).
    pub fn insert(&self, namespace: &str, yaml: &str) {
        let object = crate::yaml::manifest_from_str(yaml, "inserted object").unwrap_or_default();
        let resource = Resource {
            key: key_of(&object, namespace),
            object,
            manifest: manifest("inserted", yaml),
        };
        let slot = slot(&resource.key, namespace);
        self.state().objects.insert(slot, resource.object);
    }

    fn check_failure(
        state: &mut State,
        operation: &str,
        key: &ResourceKey,
    ) -> Result<(), ClusterError> {
        if state
            .fail
            .as_ref()
            .is_some_and(|(op, name)| op == operation && *name == key.name)
        {
            state.fail = None;
            return Err(ClusterError::Api {
                resource: key.to_string(),
                message: format!("injected {operation} failure"),
                source: None,
            });
        }
        Ok(())
    }
}

fn key_of(object: &serde_json::Value, namespace: &str) -> ResourceKey {
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    ResourceKey {
        api_version: text("/apiVersion"),
        kind: text("/kind"),
        namespace: Some(namespace.to_string()),
        name: text("/metadata/name"),
    }
}

fn slot(key: &ResourceKey, default_namespace: &str) -> Slot {
    let group = key.group().to_string();
    let ns = if CLUSTER_SCOPED.contains(&key.kind.as_str()) {
        String::new()
    } else {
        key.namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_string())
    };
    (group, key.kind.clone(), ns, key.name.clone())
}

/// A manifest for test resources.
fn manifest(source: &str, content: &str) -> Manifest {
    let object = crate::yaml::manifest_from_str(content, source).unwrap_or_default();
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Manifest {
        source: source.to_string(),
        content: content.trim().to_string(),
        api_version: text("/apiVersion"),
        kind: text("/kind"),
        name: text("/metadata/name"),
        hook_events: Vec::new(),
        hook_weight: 0,
    }
}

/// A resource of `owner` from YAML, stamped with ownership metadata as the action layer does.
pub fn resource(owner: &Owner, yaml: &str) -> Resource {
    let kind_name = {
        let m = manifest("t", yaml);
        format!("{}-{}", m.kind.to_lowercase(), m.name)
    };
    let mut r =
        Resource::from_manifest(&manifest(&format!("test/templates/{kind_name}.yaml"), yaml))
            .unwrap_or_else(|e| panic!("test resource: {e}"));
    ownership::stamp(&mut r, owner);
    r
}

/// The fields an API server refuses to change that the fake knows: a workload's selector.
fn immutable(existing: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let kind = new.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
    let workload = matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    );
    let selector = |o: &serde_json::Value| o.pointer("/spec/selector").cloned();
    if workload && selector(existing).is_some() && selector(existing) != selector(new) {
        vec!["spec.selector".to_string()]
    } else {
        Vec::new()
    }
}

impl Target for FakeCluster {
    fn describe(&self) -> String {
        "fake cluster".to_string()
    }

    fn apply(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &ApplyOptions,
    ) -> Result<(), ClusterError> {
        let mut state = self.state();
        for r in resources {
            state.calls.push(format!("apply {}", r.key));
            Self::check_failure(&mut state, "apply", &r.key)?;
            let slot = slot(&r.key, &owner.namespace);
            if !slot.2.is_empty() && !state.namespaces.contains(&slot.2) {
                return Err(ClusterError::NotFound {
                    resource: format!("namespace {}", slot.2),
                    message: format!("{} cannot be created", r.key),
                });
            }
            if let Some(existing) = state.objects.get(&slot) {
                ownership::check(existing, r, owner, options.take_ownership)?;
                let fields = immutable(existing, &r.object);
                if !fields.is_empty() {
                    return Err(ClusterError::Immutable {
                        resource: r.key.to_string(),
                        fields,
                    });
                }
            }
            if !options.dry_run {
                if r.key.kind == "Namespace" {
                    state.namespaces.insert(r.key.name.clone());
                }
                state.objects.insert(slot, r.object.clone());
            }
        }
        Ok(())
    }

    /// The live object, and the new one as the apply would store it (the fake adds no
    /// defaults), or the error the apply would give.
    fn preview(
        &self,
        owner: &Owner,
        resource: &Resource,
        options: &ApplyOptions,
    ) -> Result<Option<Preview>, ClusterError> {
        let live = {
            let mut state = self.state();
            state.calls.push(format!("preview {}", resource.key));
            state
                .objects
                .get(&slot(&resource.key, &owner.namespace))
                .cloned()
        };
        let dry = ApplyOptions {
            dry_run: true,
            ..options.clone()
        };
        // An injected failure is for the real call, not for the preview's dry run.
        let injected = self.state().fail.take();
        let planned = self
            .apply(owner, std::slice::from_ref(resource), &dry)
            .map(|()| resource.object.clone());
        let mut state = self.state();
        state.calls.pop(); // the dry-run apply is part of the preview
        state.fail = injected;
        Ok(Some(Preview { live, planned }))
    }

    /// One line naming the object, for each stored Pod or Job.
    fn logs(
        &self,
        owner: &Owner,
        key: &ResourceKey,
        _tail: usize,
    ) -> Result<Vec<PodLog>, ClusterError> {
        let state = self.state();
        let found = state.objects.iter().any(|((_, kind, ns, name), _)| {
            *kind == key.kind && *name == key.name && *ns == owner.namespace
        });
        Ok(if found && matches!(key.kind.as_str(), "Pod" | "Job") {
            vec![PodLog {
                pod: key.name.clone(),
                container: "main".into(),
                text: format!("log of {} {}\n", key.kind, key.name),
            }]
        } else {
            Vec::new()
        })
    }

    fn wait_deleted(
        &self,
        owner: &Owner,
        resources: &[Resource],
        _options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError> {
        let mut state = self.state();
        for r in resources {
            state.calls.push(format!("wait_deleted {}", r.key));
            if state.objects.contains_key(&slot(&r.key, &owner.namespace)) {
                return Err(ClusterError::Timeout {
                    what: format!("{}: still exists", r.key),
                    after: std::time::Duration::ZERO,
                });
            }
        }
        Ok(())
    }

    fn delete(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &DeleteOptions,
    ) -> Result<(), ClusterError> {
        let mut state = self.state();
        for r in resources {
            state.calls.push(format!("delete {}", r.key));
            Self::check_failure(&mut state, "delete", &r.key)?;
            let slot = slot(&r.key, &owner.namespace);
            let owned = state
                .objects
                .get(&slot)
                .is_some_and(|live| ownership::check(live, r, owner, false).is_ok());
            if owned && !options.dry_run {
                state.objects.remove(&slot);
            }
        }
        Ok(())
    }

    fn wait(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError> {
        let mut state = self.state();
        let mut progress = WaitProgress::default();
        for r in resources {
            state.calls.push(format!("wait {}", r.key));
            Self::check_failure(&mut state, "wait", &r.key)?;
            if !state.objects.contains_key(&slot(&r.key, &owner.namespace)) {
                return Err(ClusterError::NotFound {
                    resource: r.key.to_string(),
                    message: "waited for but never created".into(),
                });
            }
            progress.ready.push(r.key.clone());
        }
        drop(state);
        if let Some(report) = options.progress {
            report(&progress);
        }
        Ok(())
    }

    fn install_crds(&self, crds: &[Resource], options: &ApplyOptions) -> Result<(), ClusterError> {
        let mut state = self.state();
        for r in crds {
            state.calls.push(format!("install_crds {}", r.key));
            Self::check_failure(&mut state, "install_crds", &r.key)?;
            let slot = slot(&r.key, "");
            if !options.dry_run {
                state
                    .objects
                    .entry(slot)
                    .or_insert_with(|| r.object.clone());
            }
        }
        Ok(())
    }

    fn create_namespace(&self, namespace: &str, dry_run: bool) -> Result<(), ClusterError> {
        let mut state = self.state();
        state.calls.push(format!("create_namespace {namespace}"));
        if !dry_run {
            state.namespaces.insert(namespace.to_string());
            let object = serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}
            });
            state.objects.insert(
                (
                    String::new(),
                    "Namespace".into(),
                    String::new(),
                    namespace.into(),
                ),
                object,
            );
        }
        Ok(())
    }

    fn get(
        &self,
        owner: &Owner,
        key: &ResourceKey,
    ) -> Result<Option<serde_json::Value>, ClusterError> {
        Ok(self
            .state()
            .objects
            .get(&slot(key, &owner.namespace))
            .cloned())
    }

    fn capabilities(&self) -> Result<Option<Capabilities>, ClusterError> {
        Ok(self.capabilities.clone())
    }

    fn lookup(&self) -> Option<Arc<dyn Lookup>> {
        Some(Arc::new(self.clone()))
    }

    fn runs_hooks(&self) -> bool {
        true
    }
}

impl Lookup for FakeCluster {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<serde_json::Value, crate::engine::LookupError> {
        let state = self.state();
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let matches: Vec<_> = state
            .objects
            .iter()
            .filter(|((g, k, ns, n), _)| {
                g == group
                    && k == kind
                    && (namespace.is_empty() || ns == namespace)
                    && (name.is_empty() || n == name)
            })
            .map(|(_, v)| v.clone())
            .collect();
        Ok(if name.is_empty() {
            crate::engine::lookup_list(matches)
        } else {
            matches.into_iter().next().unwrap_or(serde_json::json!({}))
        })
    }
}

/// The behaviour every target must have. `live` targets (a cluster, the fake) also enforce
/// ownership and keep ownership metadata on the objects; the directory target does not.
/// `owner.namespace` must exist and hold none of the suite's objects (`suite-*`).
pub fn exercise(target: &dyn Target, owner: &Owner, live: bool) {
    let cm = |value: &str| {
        resource(
            owner,
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: suite-config\ndata:\n  color: {value}\n"
            ),
        )
    };
    let svc = resource(
        owner,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: suite-web\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n  selector:\n    app: suite-web\n",
    );
    let apply = ApplyOptions::default();
    assert!(!target.describe().is_empty());
    target
        .apply(owner, &[cm("blue"), svc.clone()], &apply)
        .unwrap_or_else(|e| panic!("apply: {e}"));
    let live_cm = target
        .get(owner, &cm("blue").key)
        .unwrap()
        .expect("an applied ConfigMap exists");
    assert_eq!(live_cm["data"]["color"], "blue");
    assert!(target.get(owner, &svc.key).unwrap().is_some());
    if live {
        assert_eq!(
            live_cm["metadata"]["annotations"][ownership::RELEASE_NAME_ANNOTATION],
            owner.name.as_str(),
            "live objects carry ownership metadata"
        );
        assert_eq!(
            live_cm["metadata"]["labels"][ownership::MANAGED_BY_LABEL],
            ownership::MANAGED_BY
        );
    }
    // Applying again updates in place.
    target
        .apply(owner, &[cm("green"), svc.clone()], &apply)
        .unwrap_or_else(|e| panic!("re-apply: {e}"));
    assert_eq!(
        target.get(owner, &cm("x").key).unwrap().unwrap()["data"]["color"],
        "green"
    );
    target
        .wait(
            owner,
            &[cm("green")],
            &WaitOptions {
                timeout: std::time::Duration::from_secs(30),
                jobs: false,
                progress: None,
            },
        )
        .unwrap_or_else(|e| panic!("wait: {e}"));
    // A dry run persists nothing.
    let dry = resource(
        owner,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: suite-dry\ndata:\n  a: b\n",
    );
    target
        .apply(
            owner,
            std::slice::from_ref(&dry),
            &ApplyOptions {
                dry_run: true,
                ..ApplyOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("dry-run apply: {e}"));
    assert!(
        target.get(owner, &dry.key).unwrap().is_none(),
        "dry run persisted"
    );

    if live {
        // Another release may not take the objects over without --take-ownership.
        let thief = Owner {
            name: format!("{}-other", owner.name),
            namespace: owner.namespace.clone(),
        };
        let theirs = resource(
            &thief,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: suite-config\ndata:\n  color: red\n",
        );
        let err = target
            .apply(&thief, std::slice::from_ref(&theirs), &apply)
            .expect_err("applying another release's object is refused");
        assert!(
            matches!(err, ClusterError::Conflict { .. }),
            "a conflict, not {err:?}"
        );
        assert!(
            err.to_string()
                .contains(&format!("it belongs to release {}", owner.name)),
            "{err}"
        );
        target
            .apply(
                &thief,
                std::slice::from_ref(&theirs),
                &ApplyOptions {
                    take_ownership: true,
                    ..ApplyOptions::default()
                },
            )
            .unwrap_or_else(|e| panic!("take ownership: {e}"));
        let taken = target.get(owner, &theirs.key).unwrap().unwrap();
        assert_eq!(
            taken["metadata"]["annotations"][ownership::RELEASE_NAME_ANNOTATION],
            thief.name.as_str()
        );
        // Give it back for the rest of the suite.
        target
            .apply(
                owner,
                &[cm("green")],
                &ApplyOptions {
                    take_ownership: true,
                    ..ApplyOptions::default()
                },
            )
            .unwrap();
    }

    target
        .delete(
            owner,
            &[svc.clone(), cm("green")],
            &DeleteOptions::default(),
        )
        .unwrap_or_else(|e| panic!("delete: {e}"));
    assert!(target.get(owner, &svc.key).unwrap().is_none(), "deleted");
    assert!(
        target.get(owner, &cm("x").key).unwrap().is_none(),
        "deleted"
    );
    // Deleting what is gone is not an error.
    target
        .delete(owner, &[svc], &DeleteOptions::default())
        .unwrap_or_else(|e| panic!("delete of a missing object: {e}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            name: "demo".into(),
            namespace: "default".into(),
        }
    }

    #[test]
    fn the_fake_passes_the_cluster_suite() {
        exercise(&FakeCluster::new(), &owner(), true);
    }

    #[test]
    fn the_fake_refuses_a_missing_namespace_and_fails_on_request() {
        let cluster = FakeCluster::new();
        let other = Owner {
            name: "demo".into(),
            namespace: "apps".into(),
        };
        let cm = resource(
            &other,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        let err = cluster
            .apply(&other, std::slice::from_ref(&cm), &ApplyOptions::default())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "namespace apps: not found: ConfigMap c cannot be created"
        );
        cluster.create_namespace("apps", false).unwrap();
        cluster.fail_on("apply", "c");
        assert!(
            cluster
                .apply(&other, std::slice::from_ref(&cm), &ApplyOptions::default())
                .is_err()
        );
        cluster
            .apply(&other, &[cm], &ApplyOptions::default())
            .unwrap();
        assert_eq!(cluster.objects(), ["ConfigMap apps/c", "Namespace apps"]);
        let found = Lookup::lookup(&cluster, "v1", "ConfigMap", "apps", "c").unwrap();
        assert_eq!(found["metadata"]["name"], "c");
        let list = Lookup::lookup(&cluster, "v1", "ConfigMap", "", "").unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
}
