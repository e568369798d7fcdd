//! Helm's `secret` and `configmap` release drivers: one object per revision,
//! `sh.helm.release.v1.NAME.vN`, labelled `name`, `owner=helm`, `status`, `version`, holding
//! `release` = base64(gzip(JSON)) of Helm's record (see [`chartsmith::release::codec`]).
//!
//! Records read from the cluster are hostile input: a record that does not decode (bad base64,
//! a gzip bomb past the codec's 64 MiB bound, JSON nested past serde_json's depth limit) is an
//! error naming the object, never a panic. Listing reads the labels only; a record is decoded
//! when it is asked for.
//!
//! Locking: Helm has no lock beyond the records themselves, and neither do these drivers across
//! machines. Two operations that race on one release both try to create the same revision; the
//! API server lets exactly one create it, and the action layer reports the other as "another
//! operation is in progress". A revision left pending blocks further upgrades, as in Helm.

use std::collections::BTreeMap;

use chartsmith::release::{Release, Status, codec};
use chartsmith::storage::{Driver, Lock, RecordRef, Result, StorageError};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, PostParams};

use crate::{RecordKind, Runtime, is_not_found};

/// Release records as Secrets or ConfigMaps.
pub struct RecordDriver {
    client: kube::Client,
    rt: Runtime,
    kind: RecordKind,
    /// Operations of this process on one release exclude each other here; across processes the
    /// records do (see the module docs).
    locks: chartsmith::storage::MemoryDriver,
}

/// The label selector of every Helm release record.
const OWNER_SELECTOR: &str = "owner=helm";

impl RecordDriver {
    pub(crate) fn new(client: kube::Client, rt: Runtime, kind: RecordKind) -> RecordDriver {
        RecordDriver {
            client,
            rt,
            kind,
            locks: chartsmith::storage::MemoryDriver::default(),
        }
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            RecordKind::Secret => "Secret",
            RecordKind::ConfigMap => "ConfigMap",
        }
    }

    fn object(&self, namespace: &str, name: &str) -> String {
        format!("{} {namespace}/{name}", self.kind_name())
    }

    fn backend(&self, what: String) -> impl FnOnce(kube::Error) -> StorageError {
        move |e| StorageError::Backend {
            what,
            source: crate::cause(e),
        }
    }

    fn check(name: &str) -> Result<()> {
        // Object names are DNS subdomains: a name that cannot be one cannot be stored.
        if name.is_empty()
            || name.len() > 253
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(StorageError::InvalidName(name.to_string()));
        }
        Ok(())
    }

    /// The record object of `release` as JSON (a Secret or a ConfigMap), with Helm's labels.
    fn to_object(&self, release: &Release, created: bool) -> serde_json::Value {
        let now = chartsmith::release::Timestamp::now();
        let mut object = codec::secret(release, created.then_some(now));
        if !created
            && let Some(labels) = object
                .pointer_mut("/metadata/labels")
                .and_then(|l| l.as_object_mut())
        {
            labels.insert("modifiedAt".into(), now.as_second().to_string().into());
        }
        if self.kind == RecordKind::ConfigMap {
            let data = codec::encode(release);
            if let Some(map) = object.as_object_mut() {
                map.remove("type");
                map.insert("kind".into(), "ConfigMap".into());
                map.insert("data".into(), serde_json::json!({ "release": data }));
            }
        }
        object
    }

    fn decode(&self, namespace: &str, name: &str, object: &serde_json::Value) -> Result<Release> {
        let decoded = match self.kind {
            RecordKind::Secret => codec::from_secret(object),
            RecordKind::ConfigMap => codec::decode(
                object
                    .pointer("/data/release")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default(),
            ),
        };
        decoded.map_err(|source| StorageError::Codec {
            object: self.object(namespace, name),
            source,
        })
    }

    /// The API of the record kind, in one namespace or (`None`) all. Both kinds go through one
    /// dynamic API: the records are handled as JSON (the codec's form) either way.
    fn api(&self, namespace: Option<&str>) -> Api<DynamicObject> {
        let resource = match self.kind {
            RecordKind::Secret => ApiResource::erase::<Secret>(&()),
            RecordKind::ConfigMap => ApiResource::erase::<ConfigMap>(&()),
        };
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }

    async fn get_object(
        &self,
        namespace: &str,
        name: &str,
    ) -> kube::Result<Option<serde_json::Value>> {
        Ok(self
            .api(Some(namespace))
            .get_opt(name)
            .await?
            .map(|o| serde_json::to_value(o).unwrap_or_default()))
    }

    /// Every record object of a namespace (`None`: all) matching `selector`: (namespace, name,
    /// labels, object).
    async fn list_objects(
        &self,
        namespace: Option<&str>,
        selector: &str,
    ) -> kube::Result<Vec<(String, String, BTreeMap<String, String>, serde_json::Value)>> {
        let params = ListParams::default().labels(selector);
        let list = self.api(namespace).list(&params).await?;
        Ok(list
            .items
            .into_iter()
            .map(|o| {
                let m = &o.metadata;
                (
                    m.namespace.clone().unwrap_or_default(),
                    m.name.clone().unwrap_or_default(),
                    m.labels.clone().unwrap_or_default(),
                    serde_json::to_value(&o).unwrap_or_default(),
                )
            })
            .collect())
    }

    async fn post(&self, release: &Release, object: serde_json::Value) -> kube::Result<()> {
        let object: DynamicObject =
            serde_json::from_value(object).map_err(kube::Error::SerdeError)?;
        self.api(Some(&release.namespace))
            .create(&PostParams::default(), &object)
            .await?;
        Ok(())
    }

    async fn put(&self, release: &Release, object: serde_json::Value) -> kube::Result<()> {
        let name = codec::secret_name(&release.name, release.version);
        let object: DynamicObject =
            serde_json::from_value(object).map_err(kube::Error::SerdeError)?;
        self.api(Some(&release.namespace))
            .replace(&name, &PostParams::default(), &object)
            .await?;
        Ok(())
    }

    async fn remove(&self, namespace: &str, name: &str) -> kube::Result<()> {
        self.api(Some(namespace))
            .delete(name, &DeleteParams::default())
            .await?;
        Ok(())
    }
}

impl Driver for RecordDriver {
    fn name(&self) -> &'static str {
        match self.kind {
            RecordKind::Secret => "secret",
            RecordKind::ConfigMap => "configmap",
        }
    }

    fn create(&self, release: &Release) -> Result<()> {
        Self::check(&release.name)?;
        let object = self.to_object(release, true);
        let key = codec::secret_name(&release.name, release.version);
        self.rt
            .block_on(self.post(release, object))
            .map_err(|e| match &e {
                kube::Error::Api(s) if s.code == 409 => StorageError::AlreadyExists {
                    name: release.name.clone(),
                    version: release.version,
                },
                _ => self.backend(format!(
                    "creating {}",
                    self.object(&release.namespace, &key)
                ))(e),
            })
    }

    fn update(&self, release: &Release) -> Result<()> {
        Self::check(&release.name)?;
        let object = self.to_object(release, false);
        let key = codec::secret_name(&release.name, release.version);
        self.rt.block_on(self.put(release, object)).map_err(|e| {
            if is_not_found(&e) {
                StorageError::NotFound {
                    name: release.name.clone(),
                    version: Some(release.version),
                }
            } else {
                self.backend(format!(
                    "updating {}",
                    self.object(&release.namespace, &key)
                ))(e)
            }
        })
    }

    fn get(&self, namespace: &str, name: &str, version: u64) -> Result<Release> {
        Self::check(name)?;
        let key = codec::secret_name(name, version);
        let object = self
            .rt
            .block_on(self.get_object(namespace, &key))
            .map_err(self.backend(format!("reading {}", self.object(namespace, &key))))?
            .ok_or_else(|| StorageError::NotFound {
                name: name.to_string(),
                version: Some(version),
            })?;
        self.decode(namespace, &key, &object)
    }

    fn history(&self, namespace: &str, name: &str) -> Result<Vec<Release>> {
        Self::check(name)?;
        let objects = self
            .rt
            .block_on(self.list_objects(Some(namespace), &format!("{OWNER_SELECTOR},name={name}")))
            .map_err(self.backend(format!(
                "listing the {}s of release {name} in namespace {namespace}",
                self.kind_name()
            )))?;
        let mut releases = objects
            .iter()
            .map(|(ns, key, _, object)| self.decode(ns, key, object))
            .collect::<Result<Vec<_>>>()?;
        releases.retain(|r| r.name == name);
        releases.sort_by_key(|r| r.version);
        Ok(releases)
    }

    fn query(&self, namespace: Option<&str>) -> Result<Vec<RecordRef>> {
        let objects = self
            .rt
            .block_on(self.list_objects(namespace, OWNER_SELECTOR))
            .map_err(self.backend(match namespace {
                Some(ns) => format!("listing release {}s in namespace {ns}", self.kind_name()),
                None => format!("listing release {}s in all namespaces", self.kind_name()),
            }))?;
        let mut refs: Vec<RecordRef> = objects
            .into_iter()
            .filter_map(|(ns, key, labels, _)| {
                // Labels are what Helm's own listing trusts; a record without usable ones is not
                // a release record (and is skipped, as Helm skips it).
                let name = labels.get("name")?.clone();
                let version = labels.get("version")?.parse().ok()?;
                (key == codec::secret_name(&name, version)).then(|| RecordRef {
                    namespace: ns,
                    name,
                    version,
                    status: labels.get("status").and_then(|s| parse_status(s)),
                })
            })
            .collect();
        refs.sort();
        Ok(refs)
    }

    fn delete(&self, namespace: &str, name: &str, version: u64) -> Result<Release> {
        let release = self.get(namespace, name, version)?;
        let key = codec::secret_name(name, version);
        self.rt
            .block_on(self.remove(namespace, &key))
            .map_err(self.backend(format!("deleting {}", self.object(namespace, &key))))?;
        Ok(release)
    }

    /// A lock within this process; across processes and machines the records serialise
    /// operations (see the module docs).
    fn lock(&self, namespace: &str, name: &str, operation: &str) -> Result<Lock> {
        Self::check(name)?;
        self.locks.lock(namespace, name, operation)
    }
}

fn parse_status(text: &str) -> Option<Status> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}
