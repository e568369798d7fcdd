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

/// Largest record accepted, as stored (base64 text, a local file) and decompressed: a guard against
/// gzip bombs and huge objects, checked before anything is decoded, so that reading a hostile
/// record takes bounded memory. JSON nesting is bounded too: serde_json refuses a document nested
/// deeper than 128 levels (an error, not a stack overflow).
pub const MAX_RECORD_BYTES: u64 = 64 << 20;
const MAX_RECORD: u64 = MAX_RECORD_BYTES;

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
    /// The record is larger than [`MAX_RECORD_BYTES`].
    #[error("release data is larger than {} MiB ({what})", limit >> 20)]
    TooLarge {
        /// What is too large: `encoded`, `decompressed`.
        what: &'static str,
        /// The limit, in bytes.
        limit: u64,
    },
}

fn too_large(what: &'static str) -> CodecError {
    CodecError::TooLarge {
        what,
        limit: MAX_RECORD,
    }
}

/// The longest base64 text of a record of at most [`MAX_RECORD_BYTES`] bytes, with some room for
/// line breaks and padding.
const MAX_ENCODED: usize = (MAX_RECORD as usize / 3 + 1) * 4 + 4096;

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
/// Records larger than [`MAX_RECORD_BYTES`], encoded or decompressed, are refused; the gzip
/// stream is read to its end, so that its CRC and length are checked.
pub fn decode(data: &str) -> Result<Release, CodecError> {
    let data = data.trim();
    if data.len() > MAX_ENCODED {
        return Err(too_large("encoded"));
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_RECORD + 1)
            .read_to_end(&mut json)
            .map_err(CodecError::Gzip)?;
        if json.len() as u64 > MAX_RECORD {
            return Err(too_large("decompressed"));
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
    if data.len() > MAX_ENCODED / 3 * 4 + 4096 {
        return Err(too_large("encoded"));
    }
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

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn hostile_records_are_errors_in_bounded_memory() {
        // Corrupt JSON, plain or gzipped.
        let e = decode(&b64(b"{\"name\": ")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("release data is not a Helm release record"),
            "{e}"
        );
        // Nested 100 000 levels deep: an error, not a stack overflow.
        let deep = format!("{{\"config\": {}", "{\"a\": ".repeat(100_000));
        let e = decode(&b64(deep.as_bytes())).unwrap_err();
        assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
        // A gzip bomb: 100 MiB of zeros compress to about 100 KiB.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            gz.write_all(&zeros).unwrap();
        }
        let bomb = gz.finish().unwrap();
        let e = decode(&b64(&bomb)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "release data is larger than 64 MiB (decompressed)"
        );
        // Refused before decoding: longer than any record can be.
        let huge = "A".repeat(MAX_ENCODED + 1);
        let e = decode(&huge).unwrap_err();
        assert_eq!(
            e.to_string(),
            "release data is larger than 64 MiB (encoded)"
        );
        // A truncated or corrupt gzip stream is not a partial record.
        let good = base64::engine::general_purpose::STANDARD
            .decode(encode(&sample()))
            .unwrap();
        let mut bad = good.clone();
        let at = bad.len() - 8;
        bad[at] ^= 0xff;
        assert!(matches!(decode(&b64(&bad)), Err(CodecError::Gzip(_))));
        assert!(decode(&b64(&good[..good.len() - 4])).is_err());
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
