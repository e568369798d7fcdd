//! Helm's Secret storage format for a release, as pure functions.
//!
//! Helm's `secrets` driver keeps each revision in a Secret named `sh.helm.release.v1.NAME.vREV`, of
//! type `helm.sh/release.v1`, labelled `name`, `owner=helm`, `status` and `version`, whose data key
//! `release` holds `base64(gzip(JSON))` of the record. Kubernetes base64-encodes Secret data once
//! more on the wire, so `kubectl get secret -o yaml` shows the record encoded twice.

use std::io::{Read, Write};

use base64::Engine as _;
use serde_json::json;

use super::{Release, Timestamp};

/// The Secret type Helm gives release secrets.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";

/// The magic bytes of a gzip stream.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Largest decompressed record accepted (a guard against gzip bombs).
const MAX_RECORD: u64 = 64 << 20;

/// Why a stored release could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The text is not base64.
    #[error("release data is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The gzip stream is corrupt or too large.
    #[error("release data is not a valid gzip stream: {0}")]
    Gzip(std::io::Error),
    /// The JSON is not a release record.
    #[error("release data is not a Helm release record: {0}")]
    Json(#[from] serde_json::Error),
}

/// The name of the Secret holding revision `version` of release `name`.
pub fn secret_name(name: &str, version: u64) -> String {
    format!("sh.helm.release.v1.{name}.v{version}")
}

/// Encodes a release as Helm stores it: `base64(gzip(JSON))`.
pub fn encode(release: &Release) -> String {
    // Serializing these types cannot fail: every map key is a string.
    let json = serde_json::to_vec(release).unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&json);
    let bytes = gz.finish().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes what [`encode`] produces; like Helm, also accepts base64 of plain JSON.
pub fn decode(data: &str) -> Result<Release, CodecError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim())?;
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_RECORD + 1)
            .read_to_end(&mut json)
            .map_err(CodecError::Gzip)?;
        if json.len() as u64 > MAX_RECORD {
            return Err(CodecError::Gzip(std::io::Error::other(
                "record larger than 64 MiB",
            )));
        }
        Ok(serde_json::from_slice(&json)?)
    } else {
        Ok(serde_json::from_slice(&bytes)?)
    }
}

/// The labels Helm puts on a release Secret.
pub fn labels(release: &Release) -> serde_json::Map<String, serde_json::Value> {
    let mut labels = serde_json::Map::new();
    labels.insert("name".into(), release.name.clone().into());
    labels.insert("owner".into(), "helm".into());
    labels.insert("status".into(), release.info.status.as_str().into());
    labels.insert("version".into(), release.version.to_string().into());
    labels
}

/// The Secret object Helm's driver writes for `release` (`createdAt` label in Unix seconds when
/// given, as Helm sets it on create).
pub fn secret(release: &Release, created_at: Option<Timestamp>) -> serde_json::Value {
    let mut labels = labels(release);
    if let Some(t) = created_at {
        labels.insert("createdAt".into(), t.as_second().to_string().into());
    }
    // Secret `data` values are bytes, which the API carries as base64.
    let data = base64::engine::general_purpose::STANDARD.encode(encode(release));
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(&release.name, release.version),
            "namespace": release.namespace,
            "labels": labels,
        },
        "type": SECRET_TYPE,
        "data": {"release": data},
    })
}

/// Decodes the release held by a Secret object as the API returns it.
pub fn from_secret(secret: &serde_json::Value) -> Result<Release, CodecError> {
    let data = secret
        .pointer("/data/release")
        .and_then(|d| d.as_str())
        .unwrap_or_default();
    let inner = base64::engine::general_purpose::STANDARD.decode(data)?;
    decode(&String::from_utf8_lossy(&inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{Hook, Info, ReleaseChart, Status};

    fn fixture_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/releases/helm-v3-record.json")
    }

    fn sample() -> Release {
        let t: Timestamp = "2026-01-02T03:04:05.123456789Z".parse().unwrap();
        let mut config = crate::values::Values::new();
        config.insert("replicas".into(), 3.into());
        Release {
            name: "demo".into(),
            namespace: "apps".into(),
            version: 2,
            info: Info {
                first_deployed: Some(t),
                last_deployed: Some(t),
                deleted: None,
                description: "Upgrade complete".into(),
                status: Status::Deployed,
                notes: "hello".into(),
            },
            chart: ReleaseChart::default(),
            config,
            manifest: "---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\n".into(),
            hooks: vec![Hook {
                name: "j".into(),
                events: vec!["pre-install".into()],
                ..Hook::default()
            }],
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let release = sample();
        let encoded = encode(&release);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&encoded)
            .unwrap();
        assert!(bytes.starts_with(&GZIP_MAGIC));
        assert_eq!(decode(&encoded).unwrap(), release);
    }

    #[test]
    fn decodes_plain_json_too() {
        let json = serde_json::to_vec(&sample()).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(json);
        assert_eq!(decode(&encoded).unwrap(), sample());
    }

    #[test]
    fn secret_object_has_helms_name_type_and_labels() {
        let release = sample();
        let secret = secret(&release, None);
        assert_eq!(secret["metadata"]["name"], "sh.helm.release.v1.demo.v2");
        assert_eq!(secret["type"], "helm.sh/release.v1");
        assert_eq!(
            secret["metadata"]["labels"],
            json!({"name": "demo", "owner": "helm", "status": "deployed", "version": "2"})
        );
        assert_eq!(from_secret(&secret).unwrap(), release);
    }

    #[test]
    fn decodes_a_record_in_helms_exact_layout() {
        let text = std::fs::read_to_string(fixture_path()).unwrap();
        let release: Release = serde_json::from_str(&text).unwrap();
        assert_eq!(release.name, "demo");
        assert_eq!(release.version, 1);
        assert_eq!(release.namespace, "default");
        assert_eq!(release.info.status, Status::Deployed);
        assert_eq!(release.info.description, "Install complete");
        assert_eq!(release.info.deleted, None);
        assert_eq!(
            release.info.first_deployed.unwrap().to_string(),
            "2024-06-03T09:15:27.421396134Z"
        );
        assert_eq!(release.chart.metadata.name, "hello");
        assert_eq!(release.chart.templates[0].name, "templates/configmap.yaml");
        assert!(String::from_utf8_lossy(&release.chart.templates[0].data).contains("ConfigMap"));
        assert_eq!(release.config["greeting"], "hi");
        assert_eq!(release.hooks[0].delete_policies, ["before-hook-creation"]);
        assert_eq!(release.hooks[0].weight, -5);
        assert_eq!(release.manifests().unwrap()[0].name, "demo-hello");
        // Re-encoding keeps every field a Helm reader needs.
        let again: Release = decode(&encode(&release)).unwrap();
        assert_eq!(again, release);
    }
}
