//! Helm's release record: one revision of a chart installed under a name, with its status,
//! timestamps, user-supplied values, rendered manifest, hooks and notes.
//!
//! The JSON encoding is Helm's (`pkg/release/v1`), field for field, so that the same record serves
//! the local store and, through [`codec`], Helm's Secret driver:
//!
//! ```json
//! {"name": "demo", "info": {"first_deployed": "...", "last_deployed": "...", "deleted": "...",
//!  "description": "Install complete", "status": "deployed", "notes": "..."},
//!  "chart": {"metadata": {...}, "lock": null, "templates": [...], "values": {...},
//!            "schema": null, "files": [...]},
//!  "config": {...}, "manifest": "---\n# Source: ...", "hooks": [...], "version": 1,
//!  "namespace": "default"}
//! ```

pub mod codec;

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chart::{Chart, Metadata};
use crate::manifest::Manifest;
use crate::values::Values;

pub use jiff::Timestamp;

/// The annotation holding a hook's delete policies.
pub const HOOK_DELETE_POLICY_ANNOTATION: &str = "helm.sh/hook-delete-policy";

/// The state of a release revision, with Helm's strings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The state is unknown.
    #[default]
    Unknown,
    /// The revision is the one deployed.
    Deployed,
    /// The release was uninstalled (kept with `--keep-history`).
    Uninstalled,
    /// A later revision replaced this one.
    Superseded,
    /// The operation that produced the revision failed.
    Failed,
    /// Uninstallation is under way.
    Uninstalling,
    /// Installation is under way (or was interrupted).
    PendingInstall,
    /// An upgrade is under way (or was interrupted).
    PendingUpgrade,
    /// A rollback is under way (or was interrupted).
    PendingRollback,
}

impl Status {
    /// Helm's string for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// Whether an operation is (or was, if interrupted) under way.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serde for Go `time.Time` fields: RFC 3339 with nanoseconds. Absent, empty and Go's zero time
/// (`0001-01-01T00:00:00Z`, which Helm 3 writes for unset times) all read as `None`.
mod go_time {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(t),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text.as_deref() {
            None | Some("") => Ok(None),
            Some(t) if t.starts_with("0001-01-01T00:00:00") => Ok(None),
            Some(t) => t.parse().map(Some).map_err(serde::de::Error::custom),
        }
    }
}

/// Serde for Go `[]byte` fields: base64, `null` when empty.
mod go_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }

    pub fn serialize_vec<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub fn deserialize_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(deserialize(d)?.unwrap_or_default())
    }
}

/// What happened to a release revision, and when (Helm's `Info`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// When the release was first deployed.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<Timestamp>,
    /// When this revision was deployed.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<Timestamp>,
    /// When the release was uninstalled.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Timestamp>,
    /// A human-friendly log entry ("Install complete", "Rollback to 1").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The status.
    #[serde(default)]
    pub status: Status,
    /// The rendered `NOTES.txt`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// A file of the stored chart (`name` and base64 `data`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartFile {
    /// Path relative to the chart root.
    pub name: String,
    /// The contents.
    #[serde(
        default,
        serialize_with = "go_bytes::serialize_vec",
        deserialize_with = "go_bytes::deserialize_vec"
    )]
    pub data: Vec<u8>,
}

/// The chart as Helm stores it in a release: metadata, lock, templates, default values, schema and
/// files of the top chart. Helm does not serialize subcharts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseChart {
    /// `Chart.yaml`.
    #[serde(default)]
    pub metadata: Metadata,
    /// `Chart.lock`.
    #[serde(default)]
    pub lock: Option<serde_json::Value>,
    /// The templates.
    #[serde(default, deserialize_with = "null_as_default")]
    pub templates: Vec<ChartFile>,
    /// The default values.
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Values,
    /// `values.schema.json`.
    #[serde(default, with = "go_bytes")]
    pub schema: Option<Vec<u8>>,
    /// Other files.
    #[serde(default, deserialize_with = "null_as_default")]
    pub files: Vec<ChartFile>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl ReleaseChart {
    /// The record of `chart` as Helm stores it.
    pub fn from_chart(chart: &Chart) -> ReleaseChart {
        let files = |list: &[crate::chart::File]| {
            list.iter()
                .map(|f| ChartFile {
                    name: f.name.clone(),
                    data: f.data.clone(),
                })
                .collect()
        };
        ReleaseChart {
            metadata: chart.metadata.clone(),
            lock: chart.lock.clone(),
            templates: files(&chart.templates),
            values: chart.values.clone(),
            schema: chart.schema.clone(),
            files: files(&chart.files),
        }
    }

    /// `NAME-VERSION`, as `helm list` shows the chart.
    pub fn full_name(&self) -> String {
        format!("{}-{}", self.metadata.name, self.metadata.version)
    }
}

/// When a hook last ran (Helm's `HookExecution`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookExecution {
    /// When it started.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it completed.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// `Unknown`, `Running`, `Succeeded`, `Failed`, or empty when it never ran.
    #[serde(default)]
    pub phase: String,
}

/// A hook of a release (Helm's `Hook`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// `metadata.name` of the hook resource.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Its kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The template it came from (`chart/templates/job.yaml`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The document.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// The events it fires on (`pre-install`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Its last execution.
    #[serde(default)]
    pub last_run: HookExecution,
    /// Its weight: lower runs first.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete_policies: Vec<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Hook {
    /// The hook record of a rendered hook manifest, reading its delete policies.
    pub fn from_manifest(m: &Manifest) -> Hook {
        let delete_policies = crate::yaml::manifest_from_str(&m.content, &m.source)
            .ok()
            .and_then(|doc| {
                doc.pointer("/metadata/annotations")
                    .and_then(|a| a.get(HOOK_DELETE_POLICY_ANNOTATION))
                    .and_then(|p| p.as_str().map(str::to_string))
            })
            .map(|p| {
                p.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Hook {
            name: m.name.clone(),
            kind: m.kind.clone(),
            path: m.source.clone(),
            manifest: m.content.clone(),
            events: m.hook_events.clone(),
            last_run: HookExecution::default(),
            weight: m.hook_weight,
            delete_policies,
        }
    }
}

/// One revision of a release (Helm's `Release`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// The release name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Status, timestamps, description, notes.
    #[serde(default)]
    pub info: Info,
    /// The chart released.
    #[serde(default)]
    pub chart: ReleaseChart,
    /// The user-supplied values.
    #[serde(
        default,
        skip_serializing_if = "Values::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub config: Values,
    /// The rendered manifests (hooks excluded), as `helm template` prints them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    /// The hooks, in execution order.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub hooks: Vec<Hook>,
    /// The revision, from 1.
    #[serde(rename = "version", default)]
    pub version: u64,
    /// The namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

impl Release {
    /// The manifests of the release, parsed back from [`Release::manifest`], in install order.
    pub fn manifests(&self) -> Result<Vec<Manifest>, crate::manifest::ManifestError> {
        let mut files = std::collections::BTreeMap::new();
        let mut sources = Vec::new();
        for (i, doc) in crate::manifest::split_documents(&self.manifest)
            .into_iter()
            .enumerate()
        {
            let (source, body) = match doc.strip_prefix("# Source: ") {
                Some(rest) => match rest.split_once('\n') {
                    Some((source, body)) => (source.to_string(), body.to_string()),
                    None => (rest.to_string(), String::new()),
                },
                None => (String::new(), doc),
            };
            files.insert(format!("{i:08}"), body);
            sources.push(source);
        }
        let (mut manifests, hooks) = crate::manifest::sort_manifests(&files)?;
        manifests.extend(hooks);
        for m in &mut manifests {
            let index: usize = m.source.parse().unwrap_or(0);
            m.source = sources.get(index).cloned().unwrap_or_default();
        }
        Ok(manifests)
    }

    /// The text of `helm get hooks`: each hook with its `# Source` line.
    pub fn hooks_text(&self) -> String {
        self.hooks
            .iter()
            .map(|h| format!("---\n# Source: {}\n{}\n", h.path, h.manifest))
            .collect()
    }
}

/// The manifest text Helm stores for `manifests`: `---`, `# Source: PATH`, the document.
pub fn manifest_text(manifests: &[Manifest]) -> String {
    manifests
        .iter()
        .map(|m| format!("---\n# Source: {}\n{}\n", m.source, m.content))
        .collect()
}

/// Hooks in execution order: by weight, then by name (Helm sorts by weight, then name).
pub fn hooks_of(rendered: &[Manifest]) -> Vec<Hook> {
    let mut hooks: Vec<Hook> = rendered.iter().map(Hook::from_manifest).collect();
    hooks.sort_by(|a, b| a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name)));
    hooks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_helms_strings() {
        for status in [
            Status::Deployed,
            Status::PendingUpgrade,
            Status::Uninstalled,
            Status::Superseded,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
        assert!(Status::PendingRollback.is_pending());
        assert!(!Status::Failed.is_pending());
    }

    #[test]
    fn go_zero_and_empty_times_read_as_unset() {
        let info: Info = serde_json::from_str(
            r#"{"first_deployed":"2024-05-01T10:00:00.123456789+02:00","last_deployed":"","deleted":"0001-01-01T00:00:00Z","status":"deployed"}"#,
        )
        .unwrap();
        assert_eq!(
            info.first_deployed.unwrap().to_string(),
            "2024-05-01T08:00:00.123456789Z"
        );
        assert_eq!(info.last_deployed, None);
        assert_eq!(info.deleted, None);
        let back = serde_json::to_value(&info).unwrap();
        assert!(back.get("deleted").is_none());
    }

    #[test]
    fn manifests_parse_back_with_sources() {
        let release = Release {
            manifest: "---\n# Source: c/templates/svc.yaml\nkind: Service\nmetadata:\n  name: s\n---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  name: m\n".into(),
            ..Release::default()
        };
        let manifests = release.manifests().unwrap();
        let got: Vec<_> = manifests
            .iter()
            .map(|m| (m.source.as_str(), m.kind.as_str(), m.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("c/templates/cm.yaml", "ConfigMap", "m"),
                ("c/templates/svc.yaml", "Service", "s")
            ]
        );
        assert_eq!(manifest_text(&manifests).len(), release.manifest.len());
    }

    #[test]
    fn hooks_read_delete_policies_and_sort_by_weight() {
        let m = |name: &str, weight: i64| Manifest {
            source: "c/templates/job.yaml".into(),
            content: format!(
                "kind: Job\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\n"
            ),
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            name: name.into(),
            hook_events: vec!["pre-install".into()],
            hook_weight: weight,
        };
        let hooks = hooks_of(&[m("b", 5), m("a", -1)]);
        assert_eq!(hooks[0].name, "a");
        assert_eq!(
            hooks[1].delete_policies,
            ["before-hook-creation", "hook-succeeded"]
        );
        let json = serde_json::to_value(&hooks[0]).unwrap();
        assert_eq!(json["weight"], -1);
        assert_eq!(json["last_run"], serde_json::json!({"phase": ""}));
    }
}
