//! The cluster target: server-side apply in the order given, deletion, readiness, CRDs,
//! namespaces, discovery and `lookup`, on a real API server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chartsmith::cluster::{
    ApplyOptions, ClusterError, DeleteOptions, Lookup, LookupError, Owner, PodLog, Preview,
    Propagation, Resource, ResourceKey, Target, WaitOptions, WaitProgress, ownership,
};
use chartsmith::engine::Capabilities;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams,
};

use crate::discovery::{Cache, Kind};
use crate::wait::{Readiness, readiness};
use crate::{Runtime, api_error, is_not_found, message};

/// How often a wait polls.
const POLL: Duration = Duration::from_millis(500);
/// The most of one container's log that is read, in bytes.
const LOG_LIMIT: i64 = 64 * 1024;
/// How long CRDs get to become established.
const CRD_TIMEOUT: Duration = Duration::from_secs(60);

/// A Kubernetes API server as a [`Target`].
pub struct KubeTarget {
    client: kube::Client,
    rt: Runtime,
    discovery: Arc<Cache>,
    describe: String,
}

impl KubeTarget {
    pub(crate) fn new(client: kube::Client, rt: Runtime, describe: String) -> KubeTarget {
        KubeTarget {
            discovery: Arc::new(Cache::new(client.clone(), rt.clone())),
            client,
            rt,
            describe,
        }
    }

    /// The dynamic API of a resource, its kind, and the namespace it lives in (`None`:
    /// cluster-scoped).
    fn api(
        &self,
        key: &ResourceKey,
        default_namespace: &str,
    ) -> Result<(Api<DynamicObject>, Kind, Option<String>), ClusterError> {
        let kind = self.discovery.resolve(&key.api_version, &key.kind)?;
        if kind.namespaced {
            let ns = key
                .namespace
                .clone()
                .unwrap_or_else(|| default_namespace.to_string());
            let api = Api::namespaced_with(self.client.clone(), &ns, &kind.resource);
            Ok((api, kind, Some(ns)))
        } else {
            Ok((
                Api::all_with(self.client.clone(), &kind.resource),
                kind,
                None,
            ))
        }
    }

    fn live(
        &self,
        api: &Api<DynamicObject>,
        key: &ResourceKey,
        namespace: Option<&str>,
    ) -> Result<Option<serde_json::Value>, ClusterError> {
        let shown = display(key, namespace);
        let object = self
            .rt
            .block_on(api.get_opt(&key.name))
            .map_err(api_error(&shown))?;
        Ok(object.map(|o| serde_json::to_value(o).unwrap_or_default()))
    }

    /// Applies one resource (a server dry run with `options.dry_run`) and returns the object
    /// the server stored, or would store.
    fn apply_one(
        &self,
        owner: &Owner,
        resource: &Resource,
        options: &ApplyOptions,
        check_owner: bool,
    ) -> Result<serde_json::Value, ClusterError> {
        let (api, _, namespace) = self.api(&resource.key, &owner.namespace)?;
        if check_owner
            && let Some(existing) = self.live(&api, &resource.key, namespace.as_deref())?
        {
            ownership::check(&existing, resource, owner, options.take_ownership)?;
        }
        self.patch(&api, resource, namespace.as_deref(), options)
    }

    /// The server-side apply request itself.
    fn patch(
        &self,
        api: &Api<DynamicObject>,
        resource: &Resource,
        namespace: Option<&str>,
        options: &ApplyOptions,
    ) -> Result<serde_json::Value, ClusterError> {
        self.rt.block_on(patch(api, resource, namespace, options))
    }

    /// What [`Target::preview`] reports, as one future (GET, ownership check, dry-run apply), so
    /// that the previews of a release run concurrently.
    async fn preview_one(
        &self,
        owner: &Owner,
        resource: &Resource,
        found: Result<(Api<DynamicObject>, Option<String>), ClusterError>,
        options: &ApplyOptions,
    ) -> Result<Option<Preview>, ClusterError> {
        let (api, namespace) = match found {
            Ok(found) => found,
            // A kind the server does not serve (yet: its CRD comes with the upgrade).
            Err(e @ ClusterError::NotFound { .. }) => {
                return Ok(Some(Preview {
                    live: None,
                    planned: Err(e),
                }));
            }
            Err(e) => return Err(e),
        };
        let shown = display(&resource.key, namespace.as_deref());
        let live = api
            .get_opt(&resource.key.name)
            .await
            .map_err(api_error(&shown))?
            .map(|o| serde_json::to_value(o).unwrap_or_default());
        let checked = match &live {
            Some(existing) => ownership::check(existing, resource, owner, options.take_ownership),
            None => Ok(()),
        };
        let planned = match checked {
            Ok(()) => {
                let dry = ApplyOptions {
                    dry_run: true,
                    ..options.clone()
                };
                patch(&api, resource, namespace.as_deref(), &dry).await
            }
            Err(e) => Err(e),
        };
        Ok(Some(Preview { live, planned }))
    }

    /// The newest warning event of each waiting resource that has one.
    fn events_of(&self, waiting: &[(ResourceKey, String)]) -> Vec<(ResourceKey, String)> {
        let mut by_namespace: std::collections::BTreeMap<&str, Vec<&ResourceKey>> =
            std::collections::BTreeMap::new();
        for (key, _) in waiting {
            if let Some(ns) = key.namespace.as_deref() {
                by_namespace.entry(ns).or_default().push(key);
            }
        }
        let mut found = Vec::new();
        for (ns, keys) in by_namespace {
            let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
            let events = crate::diagnose::newest_warnings(&self.client, &self.rt, ns, &names);
            for (key, event) in keys.into_iter().zip(events) {
                if let Some(event) = event {
                    found.push((key.clone(), event));
                }
            }
        }
        found
    }

    /// Polls until none of `resources` exists, or the deadline.
    fn wait_gone(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError> {
        self.poll(options, false, |progress| {
            for r in resources {
                let (api, _, namespace) = match self.api(&r.key, &owner.namespace) {
                    Ok(found) => found,
                    // A kind no longer served has no objects left.
                    Err(ClusterError::NotFound { .. }) => continue,
                    Err(e) => return Err(e),
                };
                let key = ResourceKey {
                    namespace: namespace.clone(),
                    ..r.key.clone()
                };
                match self.live(&api, &r.key, namespace.as_deref())? {
                    None => progress.ready.push(key),
                    Some(object) => {
                        let why = match object.pointer("/metadata/finalizers") {
                            Some(serde_json::Value::Array(f)) if !f.is_empty() => format!(
                                "being deleted, finalizers {}",
                                f.iter()
                                    .filter_map(|f| f.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            _ => "being deleted".to_string(),
                        };
                        progress.waiting.push((key, why));
                    }
                }
            }
            Ok(Vec::new())
        })
    }

    /// Waits until every resource is ready; reports progress whenever it changes.
    fn wait_all(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError> {
        self.poll(options, true, |progress| {
            // The live objects not ready yet, for the diagnosis when time runs out.
            let mut unready = Vec::new();
            for r in resources {
                let (api, _, namespace) = self.api(&r.key, &owner.namespace)?;
                let object = self.live(&api, &r.key, namespace.as_deref())?;
                let state = match &object {
                    None => Readiness::Waiting("not created yet".into()),
                    Some(object) => readiness(&r.key.kind, object, options.jobs),
                };
                // Progress names the namespace the object lives in.
                let key = ResourceKey {
                    namespace: namespace.clone(),
                    ..r.key.clone()
                };
                match state {
                    Readiness::Ready => progress.ready.push(key),
                    Readiness::Waiting(why) => {
                        progress.waiting.push((key, why));
                        unready.push(object);
                    }
                    // The hook runner names the hook; here it is a resource that failed.
                    Readiness::Failed(why) => {
                        return Err(ClusterError::Api {
                            resource: display(&r.key, namespace.as_deref()),
                            message: why,
                            source: None,
                        });
                    }
                }
            }
            Ok(unready)
        })
    }

    /// The polling loop of a wait: `round` reads the resources once into a progress and returns
    /// the live objects of the waiting ones (in order); progress is reported when it changes.
    /// With `diagnose`, waiting resources get their newest warning events in the progress (one
    /// LIST per namespace per poll, none once everything is ready) and, when time runs out,
    /// the timeout error says why: pod problems and warning events.
    fn poll(
        &self,
        options: &WaitOptions<'_>,
        diagnose: bool,
        mut round: impl FnMut(&mut WaitProgress) -> Result<Vec<Option<serde_json::Value>>, ClusterError>,
    ) -> Result<(), ClusterError> {
        let deadline = Instant::now() + options.timeout;
        let mut last: Option<WaitProgress> = None;
        loop {
            let mut progress = WaitProgress::default();
            let unready = round(&mut progress)?;
            if diagnose && options.progress.is_some() && !progress.waiting.is_empty() {
                progress.events = self.events_of(&progress.waiting);
            }
            if last.as_ref() != Some(&progress) {
                if let Some(report) = options.progress {
                    report(&progress);
                }
                last = Some(progress.clone());
            }
            if progress.waiting.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                for ((key, why), object) in progress.waiting.iter_mut().zip(&unready) {
                    if let Some(object) = object
                        && let Some(more) = crate::diagnose::diagnose(
                            &self.client,
                            &self.rt,
                            &key.kind,
                            key.namespace.as_deref(),
                            object,
                        )
                    {
                        why.push_str(&format!(" ({more})"));
                    }
                }
                return Err(timeout(&progress, options.timeout));
            }
            std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }
}

/// How many previews run at once.
const CONCURRENT_PREVIEWS: usize = 8;

/// The server-side apply of one resource into `namespace` (`None`: cluster-scoped); the object
/// the server stored, or would store with `options.dry_run`.
async fn patch(
    api: &Api<DynamicObject>,
    resource: &Resource,
    namespace: Option<&str>,
    options: &ApplyOptions,
) -> Result<serde_json::Value, ClusterError> {
    let shown = display(&resource.key, namespace);
    let mut object = resource.object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        match namespace {
            Some(ns) => {
                meta.insert("namespace".into(), ns.into());
            }
            None => {
                meta.remove("namespace");
            }
        }
    }
    let mut params = PatchParams::apply(&options.field_manager);
    params.force = options.force_conflicts;
    params.dry_run = options.dry_run;
    let applied = api
        .patch(&resource.key.name, &params, &Patch::Apply(&object))
        .await
        .map_err(|e| apply_error(e, &shown, &options.field_manager))?;
    Ok(serde_json::to_value(applied).unwrap_or_default())
}

/// The timeout error naming each resource still waited for, and why.
fn timeout(progress: &WaitProgress, after: Duration) -> ClusterError {
    let what = progress
        .waiting
        .iter()
        .map(|(key, why)| format!("{key}: {why}"))
        .collect::<Vec<_>>()
        .join("; ");
    ClusterError::Timeout { what, after }
}

/// The error of a server-side apply: fields another manager owns, immutable fields, or the
/// server's refusal as it is.
fn apply_error(e: kube::Error, shown: &str, field_manager: &str) -> ClusterError {
    match &e {
        // Fields another field manager owns (helm's, kubectl's): not an ownership question, so
        // not `ClusterError::Conflict`.
        kube::Error::Api(s) if s.code == 409 => ClusterError::Api {
            resource: shown.to_string(),
            message: format!(
                "{} (applying as field manager {field_manager}; --force-conflicts takes the fields over)",
                message(&e),
            ),
            source: Some(crate::cause(e)),
        },
        kube::Error::Api(s) if s.code == 422 => {
            let fields = immutable_fields(s);
            if fields.is_empty() {
                api_error(shown)(e)
            } else {
                ClusterError::Immutable {
                    resource: shown.to_string(),
                    fields,
                }
            }
        }
        _ => api_error(shown)(e),
    }
}

/// The fields a 422 refusal names as immutable (`spec.selector`; a Pod's `spec`, which may
/// change only in a few places). Only field names are kept: the server's message quotes the
/// refused value, which may be secret.
fn immutable_fields(status: &kube::core::Status) -> Vec<String> {
    let mut fields: Vec<String> = status
        .details
        .iter()
        .flat_map(|d| &d.causes)
        .filter(|c| c.message.contains("immutable") || c.message.contains("may not change"))
        .map(|c| c.field.clone())
        .filter(|f| !f.is_empty())
        .collect();
    fields.dedup();
    fields
}

/// The (`group/version`, kind) pairs a CustomResourceDefinition serves.
fn served_kinds(crd: &serde_json::Value) -> Vec<(String, String)> {
    let group = crd
        .pointer("/spec/group")
        .and_then(|g| g.as_str())
        .unwrap_or_default();
    let kind = crd
        .pointer("/spec/names/kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    crd.pointer("/spec/versions")
        .and_then(|v| v.as_array())
        .map(|versions| {
            versions
                .iter()
                .filter(|v| v.get("served").and_then(|s| s.as_bool()) != Some(false))
                .filter_map(|v| v.get("name").and_then(|n| n.as_str()))
                .map(|version| (format!("{group}/{version}"), kind.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `Kind namespace/name` (or `Kind name` when cluster-scoped).
fn display(key: &ResourceKey, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{} {ns}/{}", key.kind, key.name),
        None => format!("{} {}", key.kind, key.name),
    }
}

impl Target for KubeTarget {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn apply(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &ApplyOptions,
    ) -> Result<(), ClusterError> {
        for r in resources {
            self.apply_one(owner, r, options, true)?;
        }
        Ok(())
    }

    fn preview(
        &self,
        owner: &Owner,
        resource: &Resource,
        options: &ApplyOptions,
    ) -> Result<Option<Preview>, ClusterError> {
        let mut all = self.preview_all(owner, std::slice::from_ref(resource), options)?;
        Ok(all.pop().flatten())
    }

    fn preview_all(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &ApplyOptions,
    ) -> Result<Vec<Option<Preview>>, ClusterError> {
        use futures::StreamExt as _;
        // Discovery first (it may block on the runtime itself), then the requests, a few at once.
        let found: Vec<_> = resources
            .iter()
            .map(|r| {
                self.api(&r.key, &owner.namespace)
                    .map(|(api, _, namespace)| (api, namespace))
            })
            .collect();
        let previews = futures::stream::iter(
            resources
                .iter()
                .zip(found)
                .map(|(r, found)| self.preview_one(owner, r, found, options)),
        )
        .buffered(CONCURRENT_PREVIEWS)
        .collect::<Vec<_>>();
        self.rt.block_on(previews).into_iter().collect()
    }

    fn logs(
        &self,
        owner: &Owner,
        key: &ResourceKey,
        tail: usize,
    ) -> Result<Vec<PodLog>, ClusterError> {
        let namespace = key
            .namespace
            .clone()
            .unwrap_or_else(|| owner.namespace.clone());
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let shown = format!("{} {namespace}/{}", key.kind, key.name);
        let found: Vec<Pod> = match key.kind.as_str() {
            "Pod" => self
                .rt
                .block_on(pods.get_opt(&key.name))
                .map_err(api_error(&shown))?
                .into_iter()
                .collect(),
            "Job" => {
                let selector = format!("job-name={}", key.name);
                self.rt
                    .block_on(pods.list(&ListParams::default().labels(&selector)))
                    .map_err(api_error(&shown))?
                    .items
            }
            _ => Vec::new(),
        };
        let mut logs = Vec::new();
        for pod in found {
            let pod_name = pod.metadata.name.clone().unwrap_or_default();
            let containers = pod.spec.iter().flat_map(|spec| {
                spec.init_containers
                    .iter()
                    .flatten()
                    .chain(&spec.containers)
                    .map(|c| c.name.clone())
            });
            for container in containers.collect::<Vec<_>>() {
                let params = LogParams {
                    container: Some(container.clone()),
                    tail_lines: Some(i64::try_from(tail).unwrap_or(i64::MAX)),
                    limit_bytes: Some(LOG_LIMIT),
                    ..LogParams::default()
                };
                // A log the node cannot serve is reported in place of the log, not as an error:
                // the test's own outcome is what the run reports.
                let text = match self.rt.block_on(pods.logs(&pod_name, &params)) {
                    Ok(text) => text,
                    Err(e) => format!("(no log: {})", message(&e)),
                };
                logs.push(PodLog {
                    pod: pod_name.clone(),
                    container,
                    text,
                });
            }
        }
        Ok(logs)
    }

    fn wait_deleted(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &WaitOptions<'_>,
    ) -> Result<(), ClusterError> {
        self.wait_gone(owner, resources, options)
    }

    fn delete(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &DeleteOptions,
    ) -> Result<(), ClusterError> {
        let params = DeleteParams {
            dry_run: options.dry_run,
            propagation_policy: Some(match options.propagation {
                Propagation::Background => kube::api::PropagationPolicy::Background,
                Propagation::Foreground => kube::api::PropagationPolicy::Foreground,
                Propagation::Orphan => kube::api::PropagationPolicy::Orphan,
            }),
            ..DeleteParams::default()
        };
        for r in resources {
            let (api, _, namespace) = match self.api(&r.key, &owner.namespace) {
                Ok(found) => found,
                // A kind that is no longer served (its CRD went) has nothing left to delete.
                Err(ClusterError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            // An object this release does not own (another release's, or one a failed install
            // could not adopt) is left alone.
            match self.live(&api, &r.key, namespace.as_deref())? {
                None => continue,
                Some(existing) if ownership::check(&existing, r, owner, false).is_err() => continue,
                Some(_) => {}
            }
            match self.rt.block_on(api.delete(&r.key.name, &params)) {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(api_error(display(&r.key, namespace.as_deref()))(e)),
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
        self.wait_all(owner, resources, options)
    }

    fn install_crds(&self, crds: &[Resource], options: &ApplyOptions) -> Result<(), ClusterError> {
        if crds.is_empty() {
            return Ok(());
        }
        let cluster = Owner {
            name: String::new(),
            namespace: String::new(),
        };
        let mut created = Vec::new();
        for crd in crds {
            let (api, _, _) = self.api(&crd.key, "")?;
            // Existing CRDs are left alone, as Helm leaves them.
            if self.live(&api, &crd.key, None)?.is_none() {
                self.apply_one(&cluster, crd, options, false)?;
                created.push(crd.clone());
            }
        }
        if !options.dry_run && !created.is_empty() {
            self.wait_all(
                &cluster,
                &created,
                &WaitOptions {
                    timeout: CRD_TIMEOUT,
                    jobs: false,
                    progress: None,
                },
            )?;
            self.discovery.invalidate();
            // Established is not yet served: the API server publishes a new group version
            // a moment later. Wait until discovery knows each new kind, so that the resources
            // that use it can be applied.
            for crd in &created {
                for (api_version, kind) in served_kinds(&crd.object) {
                    let deadline = Instant::now() + CRD_TIMEOUT;
                    while let Err(e) = self.discovery.resolve(&api_version, &kind) {
                        if Instant::now() >= deadline {
                            return Err(e);
                        }
                        std::thread::sleep(POLL / 2);
                    }
                }
            }
        }
        Ok(())
    }

    fn create_namespace(&self, namespace: &str, dry_run: bool) -> Result<(), ClusterError> {
        let api = Api::<Namespace>::all(self.client.clone());
        let shown = format!("Namespace {namespace}");
        if self
            .rt
            .block_on(api.get_opt(namespace))
            .map_err(api_error(&shown))?
            .is_some()
        {
            return Ok(());
        }
        let object = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(namespace.to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        let params = PostParams {
            dry_run,
            field_manager: Some(chartsmith::cluster::FIELD_MANAGER.to_string()),
        };
        match self.rt.block_on(api.create(&params, &object)) {
            Ok(_) => Ok(()),
            // Created meanwhile by someone else: fine.
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
            Err(e) => Err(api_error(&shown)(e)),
        }
    }

    fn get(
        &self,
        owner: &Owner,
        key: &ResourceKey,
    ) -> Result<Option<serde_json::Value>, ClusterError> {
        let (api, _, namespace) = self.api(key, &owner.namespace)?;
        self.live(&api, key, namespace.as_deref())
    }

    fn capabilities(&self) -> Result<Option<Capabilities>, ClusterError> {
        self.discovery.capabilities().map(Some)
    }

    fn runs_hooks(&self) -> bool {
        true
    }

    fn lookup(&self) -> Option<Arc<dyn Lookup>> {
        Some(Arc::new(KubeLookup {
            client: self.client.clone(),
            rt: self.rt.clone(),
            discovery: Arc::clone(&self.discovery),
        }))
    }
}

/// Templates' `lookup`: read-only GETs and LISTs.
struct KubeLookup {
    client: kube::Client,
    rt: Runtime,
    discovery: Arc<Cache>,
}

impl Lookup for KubeLookup {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<serde_json::Value, LookupError> {
        let resolved = self.discovery.resolve(api_version, kind)?;
        let api: Api<DynamicObject> = match (resolved.namespaced, namespace.is_empty()) {
            (true, false) => {
                Api::namespaced_with(self.client.clone(), namespace, &resolved.resource)
            }
            _ => Api::all_with(self.client.clone(), &resolved.resource),
        };
        if name.is_empty() {
            let list = self.rt.block_on(api.list(&ListParams::default()))?;
            let items: Vec<_> = list
                .items
                .into_iter()
                .map(|o| serde_json::to_value(o).unwrap_or_default())
                .collect();
            return Ok(chartsmith::engine::lookup_list(items));
        }
        Ok(match self.rt.block_on(api.get_opt(name))? {
            Some(object) => serde_json::to_value(object)?,
            // Helm's lookup gives an empty map for an object that does not exist.
            None => serde_json::json!({}),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_kinds_a_crd_serves() {
        let crd = serde_json::json!({
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget"},
                "versions": [
                    {"name": "v1", "served": true},
                    {"name": "v1beta1", "served": false},
                    {"name": "v2"}
                ]
            }
        });
        assert_eq!(
            super::served_kinds(&crd),
            [
                ("example.com/v1".to_string(), "Widget".to_string()),
                ("example.com/v2".to_string(), "Widget".to_string())
            ]
        );
    }
}
