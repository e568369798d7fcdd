//! A chart as an OCI artifact, as Helm stores it: the manifest, the config blob (the chart's
//! metadata as Go's JSON) and the archive layer; building them for a push and checking them
//! after a pull.
//!
//! May import: `chart` (the model, the loader, `package`'s `SOURCE_DATE_EPOCH` reading), `util`,
//! the registry's error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chart::Metadata;
use crate::util::digest::digest_of;

use super::error::RegistryError;
use super::reference::valid_digest;

/// The media type of an OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of a chart's config blob (its metadata as JSON).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// The media type of a chart's archive layer.
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Layer media type of charts pushed by Helm 3.0–3.7 (still read).
const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";

/// A content descriptor of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Its media type.
    pub media_type: String,
    /// `sha256:…` of the content.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest as Helm writes it for a chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's media type.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// The config blob.
    pub config: Descriptor,
    /// The layers (one: the chart archive).
    pub layers: Vec<Descriptor>,
    /// Annotations (`org.opencontainers.image.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The config blob of a chart: its metadata as Go's `encoding/json` writes Helm's
/// `chart.Metadata` (field order and `omitempty` as Helm, so the digest matches `helm push`).
pub fn config_json(metadata: &Metadata) -> Vec<u8> {
    use crate::util::gojson::encode;
    // Ordered (key, encoded JSON) pairs: Go writes struct fields in declaration order.
    fn object(fields: Vec<(&str, String)>) -> String {
        let parts: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", encode(&k.into())))
            .collect();
        format!("{{{}}}", parts.join(","))
    }
    fn text(fields: &mut Vec<(&str, String)>, key: &'static str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            fields.push((key, encode(&v.into())));
        }
    }
    let list = |l: &[String]| encode(&serde_json::json!(l));
    let mut f: Vec<(&str, String)> = Vec::new();
    text(&mut f, "name", Some(&metadata.name));
    text(&mut f, "home", metadata.home.as_deref());
    if !metadata.sources.is_empty() {
        f.push(("sources", list(&metadata.sources)));
    }
    text(&mut f, "version", Some(&metadata.version));
    text(&mut f, "description", metadata.description.as_deref());
    if !metadata.keywords.is_empty() {
        f.push(("keywords", list(&metadata.keywords)));
    }
    if !metadata.maintainers.is_empty() {
        let people: Vec<String> = metadata
            .maintainers
            .iter()
            .map(|m| {
                let mut o = Vec::new();
                text(&mut o, "name", m.name.as_deref());
                text(&mut o, "email", m.email.as_deref());
                text(&mut o, "url", m.url.as_deref());
                object(o)
            })
            .collect();
        f.push(("maintainers", format!("[{}]", people.join(","))));
    }
    text(&mut f, "icon", metadata.icon.as_deref());
    text(&mut f, "apiVersion", Some(&metadata.api_version));
    text(&mut f, "appVersion", metadata.app_version.as_deref());
    if metadata.deprecated {
        f.push(("deprecated", "true".into()));
    }
    if !metadata.annotations.is_empty() {
        // A Go map: keys sorted, as the BTreeMap already is.
        f.push((
            "annotations",
            encode(&serde_json::json!(metadata.annotations)),
        ));
    }
    text(&mut f, "kubeVersion", metadata.kube_version.as_deref());
    if !metadata.dependencies.is_empty() {
        let deps: Vec<String> = metadata
            .dependencies
            .iter()
            .map(|d| d.to_go_json())
            .collect();
        f.push(("dependencies", format!("[{}]", deps.join(","))));
    }
    text(&mut f, "type", metadata.chart_type.as_deref());
    object(f).into_bytes()
}

/// The manifest annotations Helm writes for a chart: title, version, description, home,
/// first source, maintainers, creation time, then the chart's own annotations (which may not
/// replace the title or version).
pub fn annotations(metadata: &Metadata, created: &str) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let key = |k: &str| format!("org.opencontainers.image.{k}");
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            a.insert(key(k), v.to_string());
        }
    };
    put("description", metadata.description.as_deref().unwrap_or(""));
    put("title", &metadata.name);
    put("version", &metadata.version);
    put("url", metadata.home.as_deref().unwrap_or(""));
    put("created", created);
    put(
        "source",
        metadata.sources.first().map(String::as_str).unwrap_or(""),
    );
    let authors: Vec<String> = metadata
        .maintainers
        .iter()
        .map(|m| {
            let name = m.name.clone().unwrap_or_default();
            match m.email.as_deref() {
                Some(e) if !e.is_empty() => format!("{name} ({e})"),
                _ => name,
            }
        })
        .collect();
    put("authors", &authors.join(", "));
    for (k, v) in &metadata.annotations {
        if k != &key("title") && k != &key("version") {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

/// The `org.opencontainers.image.created` time of a push: `SOURCE_DATE_EPOCH` (seconds) when it
/// is set, so pushes can be reproduced, else now; RFC 3339 in UTC.
pub fn created_timestamp(source_date_epoch: Option<&str>) -> Result<String, RegistryError> {
    let at = match source_date_epoch.filter(|v| !v.trim().is_empty()) {
        Some(v) => {
            let secs = crate::chart::package::source_date_epoch(Some(v))?;
            jiff::Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX))
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        }
        None => jiff::Timestamp::now(),
    };
    Ok(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The manifest, config and layer of a chart archive, ready to push.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The chart's metadata.
    pub metadata: Metadata,
    /// The config blob.
    pub config: Vec<u8>,
    /// The serialised manifest.
    pub manifest: Vec<u8>,
}

/// Builds the artifact of a chart archive (loaded and checked first). `created` is the RFC 3339
/// time recorded in the `org.opencontainers.image.created` annotation.
pub fn artifact(
    archive: &[u8],
    source_name: &str,
    created: &str,
) -> Result<Artifact, RegistryError> {
    let chart = crate::chart::loader::load_archive(
        archive,
        source_name,
        &crate::chart::loader::LoadOptions::default(),
    )?;
    let metadata = chart.metadata.clone();
    let config = config_json(&metadata);
    let manifest = Manifest {
        schema_version: 2,
        media_type: String::new(),
        config: Descriptor {
            media_type: CONFIG_MEDIA_TYPE.into(),
            digest: digest_of(&config),
            size: config.len() as u64,
            annotations: BTreeMap::new(),
        },
        layers: vec![Descriptor {
            media_type: CHART_LAYER_MEDIA_TYPE.into(),
            digest: digest_of(archive),
            size: archive.len() as u64,
            annotations: BTreeMap::new(),
        }],
        annotations: annotations(&metadata, created),
    };
    let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
    Ok(Artifact {
        metadata,
        config,
        manifest,
    })
}

/// Checks a manifest fetched for `reference`: a Helm chart (config and layer media types) whose
/// layer fits in `limit` bytes. Returns the chart layer.
pub fn chart_layer(
    manifest: &Manifest,
    reference: &str,
    limit: u64,
) -> Result<Descriptor, RegistryError> {
    let not_a_chart = |reason: String| -> RegistryError {
        RegistryError::NotAChart {
            reference: reference.to_string(),
            reason,
        }
    };
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(not_a_chart(format!(
            "not a Helm chart (config media type `{}`, expected `{CONFIG_MEDIA_TYPE}`)",
            manifest.config.media_type
        )));
    }
    let layers: Vec<&Descriptor> = manifest
        .layers
        .iter()
        .filter(|l| {
            l.media_type == CHART_LAYER_MEDIA_TYPE || l.media_type == LEGACY_CHART_LAYER_MEDIA_TYPE
        })
        .collect();
    let layer = match layers.as_slice() {
        [one] => (*one).clone(),
        [] => return Err(not_a_chart("the manifest has no chart layer".into())),
        _ => return Err(not_a_chart("the manifest has several chart layers".into())),
    };
    if !valid_digest(&layer.digest) {
        return Err(not_a_chart(format!(
            "the chart layer's digest `{}` is not a sha256 digest",
            layer.digest
        )));
    }
    if layer.size > limit {
        return Err(not_a_chart(format!(
            "the chart layer is {} bytes, more than the limit of {limit}",
            layer.size
        )));
    }
    Ok(layer)
}

/// Verifies `bytes` against a `sha256:` digest.
pub fn verify(what: &str, bytes: &[u8], expected: &str) -> Result<(), RegistryError> {
    let actual = digest_of(bytes);
    if actual != expected {
        return Err(RegistryError::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

/// What `push` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Where the chart went (`HOST/PATH/NAME:TAG`).
    pub reference: String,
    /// The manifest's digest.
    pub digest: String,
}

/// What `fetch` brought back.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// `NAME-VERSION.tgz`.
    pub file_name: String,
    /// The verified archive.
    pub bytes: Vec<u8>,
    /// The manifest's digest.
    pub digest: String,
    /// The chart version.
    pub version: String,
    /// The chart the archive loaded to (checked to be the one the reference names).
    pub chart: crate::chart::Chart,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_times() {
        assert_eq!(
            created_timestamp(Some("1700000000")).unwrap(),
            "2023-11-14T22:13:20Z"
        );
        assert!(created_timestamp(Some("x")).is_err());
        assert!(created_timestamp(None).unwrap().ends_with('Z'));
    }

    #[test]
    fn config_json_matches_helm_for_the_starter_chart() {
        // `helm push` of `helm create hc` stored exactly this config blob.
        let yaml = "apiVersion: v2\nname: hc\ndescription: A Helm chart for Kubernetes\ntype: application\nversion: 0.1.0\nappVersion: \"1.16.0\"\n";
        let m = Metadata::from_yaml(yaml, "Chart.yaml").unwrap();
        let config = String::from_utf8(config_json(&m)).unwrap();
        assert_eq!(
            config,
            r#"{"name":"hc","version":"0.1.0","description":"A Helm chart for Kubernetes","apiVersion":"v2","appVersion":"1.16.0","type":"application"}"#
        );
        assert_eq!(
            digest_of(config.as_bytes()),
            "sha256:0d60cd0533e049ce2fe7935916d21c5a65e3e9376164135fff8a810f0d55f95a"
        );
        let a = annotations(&m, "2026-11-23T15:22:09Z");
        assert_eq!(a.len(), 4);
        assert_eq!(a["org.opencontainers.image.title"], "hc");
    }

    #[test]
    fn manifests_that_are_not_charts_are_refused() {
        let layer = Descriptor {
            media_type: CHART_LAYER_MEDIA_TYPE.into(),
            digest: format!("sha256:{}", "b".repeat(64)),
            size: 10,
            annotations: BTreeMap::new(),
        };
        let mut m = Manifest {
            schema_version: 2,
            media_type: String::new(),
            config: Descriptor {
                media_type: "application/vnd.oci.image.config.v1+json".into(),
                ..layer.clone()
            },
            layers: vec![layer.clone()],
            annotations: BTreeMap::new(),
        };
        assert!(
            chart_layer(&m, "r", 100)
                .unwrap_err()
                .to_string()
                .contains("not a Helm chart")
        );
        m.config.media_type = CONFIG_MEDIA_TYPE.into();
        assert_eq!(chart_layer(&m, "r", 100).unwrap(), layer);
        assert!(
            chart_layer(&m, "r", 5)
                .unwrap_err()
                .to_string()
                .contains("limit")
        );
        m.layers.push(layer.clone());
        assert!(chart_layer(&m, "r", 100).is_err());
        m.layers.clear();
        assert!(chart_layer(&m, "r", 100).is_err());
        m.layers.push(Descriptor {
            digest: "md5:x".into(),
            ..layer
        });
        assert!(chart_layer(&m, "r", 100).is_err());
    }
}
