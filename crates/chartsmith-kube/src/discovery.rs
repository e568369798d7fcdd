//! What the API server serves, asked group by group.
//!
//! Resolving a kind queries only its own group version (`/apis/GROUP/VERSION`), cached per
//! process and asked again once when the kind is unknown (a CRD may just have been installed).
//! `Capabilities` list every group the server names; a group whose discovery fails (an
//! aggregated API whose service is down, a CRD deleted meanwhile) is left out, as Helm leaves it
//! out, instead of failing every command.

use std::collections::HashMap;
use std::sync::Mutex;

use chartsmith::cluster::ClusterError;
use chartsmith::engine::Capabilities;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};

use crate::{Runtime, api_error};

/// A cache of resolved kinds.
pub(crate) struct Cache {
    client: kube::Client,
    rt: Runtime,
    kinds: Mutex<HashMap<(String, String), Kind>>,
}

/// A resolved kind.
#[derive(Clone)]
pub(crate) struct Kind {
    pub(crate) resource: ApiResource,
    pub(crate) namespaced: bool,
}

impl Cache {
    pub(crate) fn new(client: kube::Client, rt: Runtime) -> Cache {
        Cache {
            client,
            rt,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets what was resolved (new CRDs).
    pub(crate) fn invalidate(&self) {
        self.kinds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// The API resource of `api_version` + `kind`, from the discovery of that group version only.
    pub(crate) fn resolve(&self, api_version: &str, kind: &str) -> Result<Kind, ClusterError> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(found) = self
            .kinds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return Ok(found.clone());
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let not_served = || ClusterError::NotFound {
            resource: format!("kind {kind} of {api_version}"),
            message: "the API server does not serve it (is its CRD installed?)".into(),
        };
        let found = match self
            .rt
            .block_on(kube::discovery::pinned_kind(&self.client, &gvk))
        {
            Ok((resource, caps)) => Kind {
                namespaced: matches!(
                    caps,
                    ApiCapabilities {
                        scope: Scope::Namespaced,
                        ..
                    }
                ),
                resource,
            },
            Err(kube::Error::Api(status)) if status.code == 404 => return Err(not_served()),
            // kube reports a kind missing from a served group version as a discovery error.
            Err(kube::Error::Discovery(_)) => return Err(not_served()),
            Err(e) => return Err(api_error(format!("discovery of {api_version}"))(e)),
        };
        self.kinds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, found.clone());
        Ok(found)
    }

    /// `Capabilities` from `/version` and discovery: every served group/version, and
    /// `group/version/Kind` for each kind of the groups whose discovery answers (as Helm lists
    /// them).
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
        let mut versions: Vec<String> = self
            .rt
            .block_on(self.client.list_core_api_versions())
            .map_err(api_error("/api"))?
            .versions;
        let groups = self
            .rt
            .block_on(self.client.list_api_groups())
            .map_err(api_error("/apis"))?;
        for group in groups.groups {
            versions.extend(group.versions.into_iter().map(|v| v.group_version));
        }
        let mut apis = Vec::new();
        for gv in versions {
            let resources = if gv.contains('/') {
                self.rt.block_on(self.client.list_api_group_resources(&gv))
            } else {
                self.rt.block_on(self.client.list_core_api_resources(&gv))
            };
            // A group that fails discovery is left out, not fatal (as in Helm).
            if let Ok(list) = resources {
                for r in list.resources {
                    // Subresources (`deployments/scale`) are not kinds of their own.
                    if !r.name.contains('/') {
                        apis.push(format!("{gv}/{}", r.kind));
                    }
                }
            }
            apis.push(gv);
        }
        apis.sort();
        apis.dedup();
        caps.api_versions = apis;
        Ok(caps)
    }
}
