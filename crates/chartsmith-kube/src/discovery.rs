//! What the API server serves: resolved once per process and again after CRDs are installed.

use std::sync::Mutex;

use chartsmith::cluster::ClusterError;
use chartsmith::engine::Capabilities;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};

use crate::{Runtime, message};

/// A cached discovery of the API server.
pub(crate) struct Cache {
    client: kube::Client,
    rt: Runtime,
    discovery: Mutex<Option<std::sync::Arc<Discovery>>>,
}

/// A resolved kind.
#[derive(Clone)]
pub(crate) struct Kind {
    pub(crate) resource: ApiResource,
    pub(crate) namespaced: bool,
}

fn api_error(resource: &str) -> impl FnOnce(kube::Error) -> ClusterError + '_ {
    move |e| ClusterError::Api {
        resource: resource.to_string(),
        message: message(&e),
        source: Some(crate::cause(e)),
    }
}

impl Cache {
    pub(crate) fn new(client: kube::Client, rt: Runtime) -> Cache {
        Cache {
            client,
            rt,
            discovery: Mutex::new(None),
        }
    }

    fn discovery(&self, refresh: bool) -> Result<std::sync::Arc<Discovery>, ClusterError> {
        let mut cached = self
            .discovery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(d) = cached.as_ref().filter(|_| !refresh) {
            return Ok(d.clone());
        }
        let d = std::sync::Arc::new(
            self.rt
                .block_on(Discovery::new(self.client.clone()).run())
                .map_err(api_error("discovery"))?,
        );
        *cached = Some(d.clone());
        Ok(d)
    }

    /// Forgets what was discovered (new CRDs).
    pub(crate) fn invalidate(&self) {
        *self
            .discovery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The API resource of `api_version` + `kind`; discovery runs again once when the kind is
    /// unknown (it may have just been installed).
    pub(crate) fn resolve(&self, api_version: &str, kind: &str) -> Result<Kind, ClusterError> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        for refresh in [false, true] {
            if let Some((resource, caps)) = self.discovery(refresh)?.resolve_gvk(&gvk) {
                return Ok(Kind {
                    namespaced: matches!(
                        caps,
                        ApiCapabilities {
                            scope: Scope::Namespaced,
                            ..
                        }
                    ),
                    resource,
                });
            }
        }
        Err(ClusterError::NotFound {
            resource: format!("kind {kind} of {api_version}"),
            message: "the API server does not serve it (is its CRD installed?)".into(),
        })
    }

    /// `Capabilities` from `/version` and discovery: every served group/version, and
    /// `group/version/Kind` for each of its kinds (as Helm lists them).
    pub(crate) fn capabilities(&self) -> Result<Capabilities, ClusterError> {
        let info = self
            .rt
            .block_on(self.client.apiserver_version())
            .map_err(api_error("/version"))?;
        let mut caps =
            Capabilities::new(Some(&info.git_version), &[]).map_err(|e| ClusterError::Api {
                resource: "/version".into(),
                message: format!("unusable server version {:?}: {e}", info.git_version),
                source: None,
            })?;
        let discovery = self.discovery(false)?;
        let mut apis = Vec::new();
        for group in discovery.groups() {
            for version in group.versions() {
                let gv = if group.name().is_empty() {
                    version.to_string()
                } else {
                    format!("{}/{version}", group.name())
                };
                for (resource, _) in group.versioned_resources(version) {
                    apis.push(format!("{gv}/{}", resource.kind));
                }
                apis.push(gv);
            }
        }
        apis.sort();
        apis.dedup();
        caps.api_versions = apis;
        Ok(caps)
    }
}
