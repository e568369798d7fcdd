//! Where a release's resources go: the [`Target`] trait a backend implements, the parsed
//! [`Resource`]s it receives, and the no-cluster target [`DirectoryCluster`], which writes them as
//! files for a GitOps tool to apply. The Kubernetes target lives in the `chartsmith-kube` crate.
//!
//! The trait is synchronous on purpose: the library stays free of an async runtime; a backend
//! that needs one (kube-rs) owns it. The rules every backend shares — install order, hooks,
//! ownership metadata, which resources an upgrade drops, `helm.sh/resource-policy: keep` — live in
//! [`crate::action`] and [`ownership`], not in the targets.
//!
//! May import: `manifest` (the rendered documents), `engine::Capabilities`, `yaml`, `storage`
//! (the state directory layout for the directory target) and `util`.

mod directory;
pub mod ownership;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use directory::{DirectoryCluster, file_name};

pub use crate::engine::{Lookup, LookupError};

use crate::engine::Capabilities;
use crate::manifest::Manifest;

/// The boxed cause of a backend failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The identity of one Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// The namespace the manifest names (`None`: the release namespace, or cluster-scoped).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceKey {
    /// The API group (`apps`; empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// Whether `other` names the same object: the same group, kind, namespace and name (the
    /// version may differ: an upgrade from `v1beta1` to `v1` is the same object).
    pub fn same_object(&self, other: &ResourceKey) -> bool {
        self.group() == other.group()
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One resource of a release, parsed: what a target applies. The object carries the ownership
/// metadata Helm writes ([`ownership::stamp`]); the manifest keeps the text as rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Its identity.
    pub key: ResourceKey,
    /// The object to apply (parsed from the manifest, with ownership metadata).
    pub object: serde_json::Value,
    /// The document as rendered (its template path and text).
    pub manifest: Manifest,
}

impl Resource {
    /// Parses a rendered manifest. Fails when the document is not a mapping or lacks `apiVersion`,
    /// `kind` or `metadata.name`.
    pub fn from_manifest(manifest: &Manifest) -> Result<Resource, ClusterError> {
        let invalid = |message: &str| ClusterError::Invalid {
            resource: format!("{} ({})", manifest.name, manifest.source),
            message: message.to_string(),
        };
        let object = crate::yaml::manifest_from_str(&manifest.content, &manifest.source)
            .map_err(|e| invalid(&e.to_string()))?;
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
        let api_version = text(object.get("apiVersion"))
            .ok_or_else(|| invalid("the document has no apiVersion"))?;
        let kind = text(object.get("kind")).ok_or_else(|| invalid("the document has no kind"))?;
        let metadata = object.get("metadata");
        let name = text(metadata.and_then(|m| m.get("name")))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("the document has no metadata.name"))?;
        let namespace = text(metadata.and_then(|m| m.get("namespace"))).filter(|n| !n.is_empty());
        Ok(Resource {
            key: ResourceKey {
                api_version,
                kind,
                namespace,
                name,
            },
            object,
            manifest: manifest.clone(),
        })
    }

    /// An annotation of the object.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.object
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
    }
}

/// The release that owns resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The release name.
    pub name: String,
    /// The release namespace (where namespaced resources go unless they name one).
    pub namespace: String,
}

/// How [`Target::apply`] applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The server-side apply field manager.
    pub field_manager: String,
    /// Take fields another manager owns (`--force-conflicts`).
    pub force_conflicts: bool,
    /// Adopt resources that exist without this release's ownership metadata
    /// (`--take-ownership`); otherwise they are a [`ClusterError::Conflict`].
    pub take_ownership: bool,
    /// The API server's dry run: validate and admit, persist nothing.
    pub dry_run: bool,
}

/// The field manager chartsmith applies with.
pub const FIELD_MANAGER: &str = "chartsmith";

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            field_manager: FIELD_MANAGER.to_string(),
            force_conflicts: false,
            take_ownership: false,
            dry_run: false,
        }
    }
}

/// What happens to an object's dependents when it is deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Propagation {
    /// The API server deletes dependents in the background (Helm's default).
    #[default]
    Background,
    /// Dependents go first.
    Foreground,
    /// Dependents are left.
    Orphan,
}

/// How [`Target::delete`] deletes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Dependent propagation.
    pub propagation: Propagation,
    /// The API server's dry run.
    pub dry_run: bool,
}

/// The state of a wait, reported to [`WaitOptions::progress`] each time it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitProgress {
    /// Resources that are ready.
    pub ready: Vec<ResourceKey>,
    /// Resources not ready yet, each with the reason (`1/2 replicas available`).
    pub waiting: Vec<(ResourceKey, String)>,
    /// The newest warning event of each waiting resource that has one, or of its pods
    /// (`BackOff: Back-off restarting failed container`), from a target that reads events.
    pub events: Vec<(ResourceKey, String)>,
}

/// How [`Target::wait`] waits.
pub struct WaitOptions<'a> {
    /// Give up after this long ([`ClusterError::Timeout`]).
    pub timeout: Duration,
    /// Also wait for Jobs to complete (Helm's `--wait-for-jobs`; always for hooks).
    pub jobs: bool,
    /// Called when the set of ready resources changes.
    pub progress: Option<&'a (dyn Fn(&WaitProgress) + Sync)>,
}

impl fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("jobs", &self.jobs)
            .finish_non_exhaustive()
    }
}

/// The log of one container, from [`Target::logs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLog {
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
    /// Its last lines.
    pub text: String,
}

/// What applying one resource would do, from [`Target::preview`].
#[derive(Debug)]
pub struct Preview {
    /// The live object (`None`: it does not exist yet).
    pub live: Option<serde_json::Value>,
    /// The object the API server would store: its server-side dry-run apply, with defaults and
    /// admission included. An error is what the real apply would fail with (an immutable field,
    /// a field another manager owns, an ownership conflict).
    pub planned: Result<serde_json::Value, ClusterError>,
}

/// A target for a release's resources (Helm's `kube.Interface`). The action layer calls it with
/// resources in install order and owns the lifecycle rules; a target only talks to its cluster.
pub trait Target: Send + Sync {
    /// What the target is, for output (`state directory .chartsmith`,
    /// `cluster https://127.0.0.1:6443 (context kind-dev)`).
    fn describe(&self) -> String;

    /// Creates or updates `resources`, in the order given. A namespaced resource that names no
    /// namespace goes into `owner.namespace`. An existing object that another release owns, or
    /// that no release owns (unless `options.take_ownership`), is a [`ClusterError::Conflict`]
    /// (see [`ownership::check`]).
    fn apply(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &ApplyOptions,
    ) -> Result<(), ClusterError>;

    /// Deletes `resources` (already in the order they go: reverse install order). An object that
    /// is already gone is not an error; a live object that `owner` does not own (see
    /// [`ownership::check`]) is left alone.
    fn delete(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &DeleteOptions,
    ) -> Result<(), ClusterError>;

    /// Waits until `resources` are ready (Deployments available, Jobs complete, CRDs
    /// established...) or the timeout passes. A target without live state returns at once.
    fn wait(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError>;

    /// Installs the CRDs of a chart's `crds/` directories before anything else, and waits until
    /// they are established. Existing CRDs are left as they are (as Helm does).
    fn install_crds(&self, crds: &[Resource], options: &ApplyOptions) -> Result<(), ClusterError>;

    /// Creates a namespace if it does not exist (`--create-namespace`).
    fn create_namespace(&self, namespace: &str, dry_run: bool) -> Result<(), ClusterError>;

    /// The live object behind `key` in `owner`'s namespace, if it exists.
    fn get(
        &self,
        owner: &Owner,
        key: &ResourceKey,
    ) -> Result<Option<serde_json::Value>, ClusterError>;

    /// What the server offers (version and API versions), or `None` when there is no server.
    fn capabilities(&self) -> Result<Option<Capabilities>, ClusterError>;

    /// What templates' `lookup` reads, or `None` when there is no cluster (`lookup` is empty).
    fn lookup(&self) -> Option<Arc<dyn Lookup>>;

    /// Whether hooks run here: a target with live state creates, waits for and deletes hook
    /// resources; the directory target records them only (as `helm template` shows them).
    fn runs_hooks(&self) -> bool;

    /// What applying `resource` with `options` would do, persisting nothing (`options.dry_run`
    /// is implied). `Ok(None)` for a target without live state: there is nothing to compare
    /// with but the stored release. An `Err` is a failure to read the live object.
    fn preview(
        &self,
        owner: &Owner,
        resource: &Resource,
        options: &ApplyOptions,
    ) -> Result<Option<Preview>, ClusterError> {
        let _ = (owner, resource, options);
        Ok(None)
    }

    /// The logs of the pods behind `key` (a Pod, or the pods of a Job), each container's last
    /// `tail` lines, for `chartsmith test --logs` and failed tests. A target without live state
    /// has none.
    fn logs(
        &self,
        owner: &Owner,
        key: &ResourceKey,
        tail: usize,
    ) -> Result<Vec<PodLog>, ClusterError> {
        let _ = (owner, key, tail);
        Ok(Vec::new())
    }

    /// [`Target::preview`] of each of `resources`, in order (a target may run them at once).
    fn preview_all(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &ApplyOptions,
    ) -> Result<Vec<Option<Preview>>, ClusterError> {
        resources
            .iter()
            .map(|r| self.preview(owner, r, options))
            .collect()
    }

    /// Waits until `resources` are gone from the cluster (deleted objects can linger while
    /// finalizers run), or the timeout passes. A target without live state returns at once.
    fn wait_deleted(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError> {
        let _ = (owner, resources, options);
        Ok(())
    }
}

/// Why a target could not apply, delete or wait.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// Writing the output tree failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A rendered document is not an object a cluster can take.
    #[error("{resource}: {message}")]
    Invalid {
        /// The resource (name and template).
        resource: String,
        /// What is wrong.
        message: String,
    },
    /// The object exists and belongs to someone else.
    #[error("{resource} exists and cannot be imported into the current release: {message}")]
    Conflict {
        /// The resource (`Service apps/web`).
        resource: String,
        /// Who owns it (`it belongs to release other in namespace apps`), and what to do.
        message: String,
    },
    /// The object, its kind or its namespace does not exist.
    #[error("{resource}: not found{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    NotFound {
        /// The resource or kind.
        resource: String,
        /// More detail, if the server gave any.
        message: String,
    },
    /// The API server refuses to change fields that cannot change once set (a Deployment's
    /// selector, a Job's template, a Service's clusterIP...).
    #[error(
        "{resource}: cannot change {} (field is immutable); `--force-replace` deletes and recreates it",
        fields.join(", ")
    )]
    Immutable {
        /// The resource (`Deployment apps/web`).
        resource: String,
        /// The fields the server names (`spec.selector`).
        fields: Vec<String>,
    },
    /// Waiting ran out of time.
    #[error("timed out after {}s waiting for {what}", after.as_secs())]
    Timeout {
        /// What was not ready (`Deployment apps/web: 1/2 replicas available`).
        what: String,
        /// The timeout.
        after: Duration,
    },
    /// A hook failed (a Job failed, a Pod did not succeed).
    #[error("hook {hook} failed: {message}")]
    HookFailed {
        /// The hook resource.
        hook: String,
        /// What happened.
        message: String,
    },
    /// The API server refused or failed a request.
    #[error("{resource}: {message}")]
    Api {
        /// The resource or request (`Deployment apps/web`, `discovery`).
        resource: String,
        /// The server's message.
        message: String,
        /// The client's error, if any.
        #[source]
        source: Option<BoxError>,
    },
}
