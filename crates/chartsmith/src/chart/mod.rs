//! The chart model: `Chart.yaml` metadata, values, templates, files and subcharts; and, in its
//! submodules, what reads and writes charts: [`loader`] (directories and archives into a
//! [`Chart`]), [`create`] (the starter chart), [`package`] (reproducible archives) and [`show`]
//! (`helm show`).
//!
//! May import: `util`, `yaml`, `constraint` (the model itself); the submodules also the model
//! and each other, and `values::schema` (package checks values schemas).

pub mod create;
pub mod loader;
pub mod package;
pub mod show;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::util::gojson::encode;
use crate::util::text::{escape, quote};

/// A file of a chart, by its path relative to the chart root (`templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path relative to the chart root, with `/` separators.
    pub name: String,
    /// The raw bytes.
    pub data: Vec<u8>,
}

/// A loaded chart: its metadata, default values, templates, other files and subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    /// `Chart.yaml`.
    pub metadata: Metadata,
    /// `Chart.lock`, as read.
    pub lock: Option<Value>,
    /// `values.yaml`, parsed (empty when absent).
    pub values: Map<String, Value>,
    /// `values.yaml` as written, comments included.
    pub raw_values: Option<String>,
    /// `values.schema.json`, raw.
    pub schema: Option<Vec<u8>>,
    /// Files under `templates/`, sorted by name.
    pub templates: Vec<File>,
    /// Every other file (`README.md`, `crds/…`, files read with `filesGet`), sorted by name.
    pub files: Vec<File>,
    /// Subcharts from `charts/`, directories and archives, in name order.
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// The chart's name from `Chart.yaml`.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether this is a library chart (renders nothing itself).
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.as_deref() == Some("library")
    }

    /// The files under `crds/`.
    pub fn crds(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| f.name.starts_with("crds/"))
    }

    /// The file with this name among [`Chart::files`].
    pub fn file(&self, name: &str) -> Option<&File> {
        self.files.iter().find(|f| f.name == name)
    }

    /// The README, if the chart has one (`README.md`, `README.txt` or `README`).
    pub fn readme(&self) -> Option<&File> {
        self.files.iter().find(|f| {
            let lower = f.name.to_ascii_lowercase();
            lower == "readme.md" || lower == "readme.txt" || lower == "readme"
        })
    }
}

/// A maintainer entry of `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintainer {
    /// Name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub name: Option<String>,
    /// Email address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub email: Option<String>,
    /// URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub url: Option<String>,
}

/// A `dependencies` entry of `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The chart name.
    #[serde(default, deserialize_with = "lenient_string_required")]
    pub name: String,
    /// A SemVer version or range.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub version: Option<String>,
    /// Repository URL (`https://`, `oci://`, `file://`) or `@alias`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub repository: Option<String>,
    /// Comma-separated value paths; the first that resolves to a boolean enables or disables it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub condition: Option<String>,
    /// Tags that enable or disable it through `tags.NAME` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Set by dependency processing: whether the dependency is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Values to lift from the child into the parent.
    #[serde(
        default,
        rename = "import-values",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    /// The name the dependency is known by in the parent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub alias: Option<String>,
}

impl Dependency {
    /// The name under which the parent sees this dependency: the alias, else the name.
    pub fn effective_name(&self) -> &str {
        self.alias
            .as_deref()
            .filter(|a| !a.is_empty())
            .unwrap_or(&self.name)
    }

    /// The dependency as Go's `json.Marshal` writes Helm's `chart.Dependency` (field order,
    /// `omitempty`, HTML escaping): what `Chart.lock` digests and OCI config blobs hash.
    pub(crate) fn to_go_json(&self) -> String {
        go_text(&go_json(self))
    }
}

/// A dependency as Go marshals Helm's `chart.Dependency` (kept as ordered pairs).
fn go_json(d: &Dependency) -> serde_json::Value {
    let mut fields: Vec<(String, serde_json::Value)> = vec![("name".into(), d.name.clone().into())];
    if let Some(v) = d.version.as_deref().filter(|v| !v.is_empty()) {
        fields.push(("version".into(), v.into()));
    }
    fields.push((
        "repository".into(),
        d.repository.clone().unwrap_or_default().into(),
    ));
    if let Some(c) = d.condition.as_deref().filter(|c| !c.is_empty()) {
        fields.push(("condition".into(), c.into()));
    }
    if !d.tags.is_empty() {
        fields.push(("tags".into(), d.tags.clone().into()));
    }
    if d.enabled == Some(true) {
        fields.push(("enabled".into(), true.into()));
    }
    if !d.import_values.is_empty() {
        fields.push(("import-values".into(), d.import_values.clone().into()));
    }
    if let Some(a) = d.alias.as_deref().filter(|a| !a.is_empty()) {
        fields.push(("alias".into(), a.into()));
    }
    serde_json::Value::Array(
        fields
            .into_iter()
            .map(|(k, v)| serde_json::Value::Array(vec![k.into(), v]))
            .collect(),
    )
}

/// Go's `json.Marshal` text of a [`go_json`] value: fields in order, map keys sorted, `<`, `>`
/// and `&` escaped.
fn go_text(fields: &serde_json::Value) -> String {
    let mut out = String::from("{");
    let pairs = fields.as_array().cloned().unwrap_or_default();
    let parts: Vec<String> = pairs
        .iter()
        .map(|p| format!("{}:{}", encode(&p[0]), encode(&sorted(&p[1]))))
        .collect();
    out.push_str(&parts.join(","));
    out.push('}');
    out
}

fn sorted(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// `Chart.yaml`, with all of Helm's fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// `v2` (or `v1` for legacy charts).
    #[serde(default, deserialize_with = "lenient_string_required")]
    pub api_version: String,
    /// The chart name.
    #[serde(default, deserialize_with = "lenient_string_required")]
    pub name: String,
    /// SemVer 2 version.
    #[serde(default, deserialize_with = "lenient_string_required")]
    pub version: String,
    /// The project's home page.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub home: Option<String>,
    /// Source code URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// One-sentence description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub description: Option<String>,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Maintainers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    /// Icon URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub icon: Option<String>,
    /// The version of the packaged application (any string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub app_version: Option<String>,
    /// Whether the chart is deprecated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
    /// A SemVer constraint on the Kubernetes version.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub kube_version: Option<String>,
    /// Dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// `application` or `library`.
    #[serde(
        default,
        rename = "type",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub chart_type: Option<String>,
}

/// Why a `Chart.yaml` is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// A required field is missing or empty.
    #[error("{}: field `{field}` is required", escape(.file))]
    MissingField {
        /// The `Chart.yaml` path.
        file: String,
        /// The field name.
        field: &'static str,
    },
    /// A field has an invalid value.
    #[error("{}: field `{}`: {}", escape(.file), quote(.field), escape(.reason))]
    InvalidField {
        /// The `Chart.yaml` path.
        file: String,
        /// The field name.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// `Chart.yaml` is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
}

impl Metadata {
    /// Reads `Chart.yaml` content, checking the fields Helm requires.
    pub fn from_yaml(source: &str, file: &str) -> Result<Metadata, MetadataError> {
        let value = crate::yaml::from_str(source, file)?;
        if !value.is_object() {
            return Err(MetadataError::InvalidField {
                file: file.to_string(),
                field: "(top level)".into(),
                reason: format!(
                    "expected a mapping, found {}",
                    crate::yaml::kind_name(&value)
                ),
            });
        }
        let metadata: Metadata =
            serde_path_to_error::deserialize(value).map_err(|e| MetadataError::InvalidField {
                file: file.to_string(),
                field: e.path().to_string(),
                reason: e.inner().to_string(),
            })?;
        metadata.validate(file)?;
        Ok(metadata)
    }

    /// Checks required fields, SemVer and names as Helm's chart validation does.
    pub fn validate(&self, file: &str) -> Result<(), MetadataError> {
        let missing = |field| MetadataError::MissingField {
            file: file.to_string(),
            field,
        };
        let invalid = |field: &str, reason: String| MetadataError::InvalidField {
            file: file.to_string(),
            field: field.to_string(),
            reason,
        };
        if self.api_version.is_empty() {
            return Err(missing("apiVersion"));
        }
        if self.api_version != "v1" && self.api_version != "v2" {
            return Err(invalid(
                "apiVersion",
                format!("`{}` is not supported (use v2)", self.api_version),
            ));
        }
        if self.name.is_empty() {
            return Err(missing("name"));
        }
        if self.name.contains(['/', '\\'])
            || self.name == "."
            || self.name == ".."
            || self.name.chars().any(crate::util::text::is_unsafe_char)
        {
            return Err(invalid(
                "name",
                format!("`{}` is not a valid chart name", self.name),
            ));
        }
        if self.version.is_empty() {
            return Err(missing("version"));
        }
        if let Err(e) = semver::Version::parse(&self.version) {
            return Err(invalid(
                "version",
                format!("`{}` is not a valid SemVer 2 version: {e}", self.version),
            ));
        }
        if let Some(t) = &self.chart_type
            && t != "application"
            && t != "library"
        {
            return Err(invalid(
                "type",
                format!("`{t}` is neither `application` nor `library`"),
            ));
        }
        if let Some(kv) = &self.kube_version
            && let Err(e) = crate::constraint::Constraint::parse(kv)
        {
            return Err(invalid("kubeVersion", e.to_string()));
        }
        // As Helm's `Metadata.Validate`: aliases of letters, digits, `-` and `_`, and no two
        // dependencies known by the same name (an alias, else the name).
        let mut seen = std::collections::BTreeMap::new();
        for (i, dependency) in self.dependencies.iter().enumerate() {
            if dependency.name.is_empty() {
                return Err(invalid(
                    &format!("dependencies[{i}].name"),
                    "is required".into(),
                ));
            }
            if let Some(alias) = dependency.alias.as_deref().filter(|a| !a.is_empty())
                && !alias
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(invalid(
                    &format!("dependencies[{i}].alias"),
                    format!(
                        "`{}` has characters other than letters, digits, `-` and `_`",
                        quote(alias)
                    ),
                ));
            }
            let key = dependency
                .alias
                .as_deref()
                .filter(|a| !a.is_empty())
                .unwrap_or(&dependency.name);
            if let Some(first) = seen.insert(key, i) {
                return Err(invalid(
                    &format!("dependencies[{i}]"),
                    format!(
                        "more than one dependency with name or alias `{}` (dependencies[{first}] too)",
                        quote(key)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `Chart.yaml` as YAML, keys sorted as `helm show chart` prints them.
    pub fn to_yaml(&self) -> String {
        serde_json::to_value(self)
            .map(|v| crate::yaml::to_string(&v))
            .unwrap_or_default()
    }

    /// The metadata as Helm's template object `.Chart` names it (`Name`, `Version`, `AppVersion`…).
    pub fn to_template_value(&self) -> Value {
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("APIVersion", self.api_version.clone().into());
        put("Name", self.name.clone().into());
        put("Version", self.version.clone().into());
        put(
            "AppVersion",
            self.app_version.clone().unwrap_or_default().into(),
        );
        put(
            "Description",
            self.description.clone().unwrap_or_default().into(),
        );
        put("Home", self.home.clone().unwrap_or_default().into());
        put("Icon", self.icon.clone().unwrap_or_default().into());
        put(
            "KubeVersion",
            self.kube_version.clone().unwrap_or_default().into(),
        );
        put(
            "Type",
            self.chart_type
                .clone()
                .unwrap_or_else(|| "application".into())
                .into(),
        );
        put("Deprecated", self.deprecated.into());
        put("Keywords", self.keywords.clone().into());
        put("Sources", self.sources.clone().into());
        put(
            "Annotations",
            Value::Object(
                self.annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        put(
            "Maintainers",
            Value::Array(
                self.maintainers
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "Name": m.name.clone().unwrap_or_default(),
                            "Email": m.email.clone().unwrap_or_default(),
                            "URL": m.url.clone().unwrap_or_default(),
                        })
                    })
                    .collect(),
            ),
        );
        put(
            "Dependencies",
            Value::Array(
                self.dependencies
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "Name": d.name, "Version": d.version.clone().unwrap_or_default(),
                            "Repository": d.repository.clone().unwrap_or_default(),
                            "Condition": d.condition.clone().unwrap_or_default(),
                            "Tags": d.tags, "Alias": d.alias.clone().unwrap_or_default(),
                        })
                    })
                    .collect(),
            ),
        );
        Value::Object(map)
    }
}

/// Accepts strings, numbers and booleans for string fields, as Helm does for `appVersion: 1.0`.
fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string, found {}",
            crate::yaml::kind_name(&other)
        ))),
    }
}

fn lenient_string_required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_string(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_version_names_the_field() {
        let e = Metadata::from_yaml("apiVersion: v2\nname: x\n", "x/Chart.yaml").unwrap_err();
        assert_eq!(e.to_string(), "x/Chart.yaml: field `version` is required");
    }

    #[test]
    fn invalid_semver_is_rejected() {
        let e = Metadata::from_yaml("apiVersion: v2\nname: x\nversion: 1.0\n", "Chart.yaml")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("`1.0` is not a valid SemVer 2 version"),
            "{e}"
        );
    }

    #[test]
    fn chart_fields_quoted_in_errors_are_escaped() {
        for (yaml, expected) in [
            (
                "apiVersion: v2\nname: \"x\\e[2J\"\nversion: 1.0.0\n",
                "field `name`: `x\\u{1b}[2J` is not a valid chart name",
            ),
            (
                "apiVersion: v2\nname: x\nversion: \"1.0\\r\\e]0;t\\a\"\n",
                "`1.0\\r\\u{1b}]0;t\\u{7}` is not a valid SemVer 2 version",
            ),
            (
                "apiVersion: \"v3\\e[31m\"\nname: x\nversion: 1.0.0\n",
                "`v3\\u{1b}[31m` is not supported",
            ),
        ] {
            let e = Metadata::from_yaml(yaml, "c\u{7}/Chart.yaml")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("c\\u{7}/Chart.yaml: "), "{e}");
            assert!(e.contains(expected), "{e}");
            assert!(!e.chars().any(crate::util::text::is_unsafe_char), "{e:?}");
        }
    }

    #[test]
    fn dependency_aliases_and_names_are_checked_as_helm_does() {
        let chart = |deps: &str| {
            Metadata::from_yaml(
                &format!("apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n{deps}"),
                "x/Chart.yaml",
            )
        };
        let e = chart("  - {name: db, alias: ../db}\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "x/Chart.yaml: field `dependencies[0].alias`: `../db` has characters other than \
             letters, digits, `-` and `_`"
        );
        let e = chart("  - {name: db}\n  - {name: cache, alias: db}\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "x/Chart.yaml: field `dependencies[1]`: more than one dependency with name or alias \
             `db` (dependencies[0] too)"
        );
        chart("  - {name: db, alias: primary}\n  - {name: db, alias: replica_2}\n").unwrap();
    }

    #[test]
    fn numeric_app_version_is_a_string() {
        let m = Metadata::from_yaml(
            "apiVersion: v2\nname: x\nversion: 1.0.0\nappVersion: 8.0\n",
            "Chart.yaml",
        )
        .unwrap();
        assert_eq!(m.app_version.as_deref(), Some("8.0"));
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = Metadata::from_yaml(
            "apiVersion: v2\nname: x\nversion: 1.0.0\nkeywords: {a: 1}\n",
            "Chart.yaml",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("keywords") || e.to_string().contains("sequence"),
            "{e}"
        );
    }
}
