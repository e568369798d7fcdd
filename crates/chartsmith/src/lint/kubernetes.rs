//! Layer 2 of `lint`: each rendered document against the Kubernetes JSON Schema of its
//! apiVersion/kind, offline.
//!
//! The schemas live in `schemas/kubernetes/v1.NN.json` at the repository root, one file per
//! supported Kubernetes minor version, generated from the `k8s-openapi` crate by
//! `scripts/gen-k8s-schemas.sh` (never written by hand). They are embedded with `include_str!`,
//! parsed only when a lint runs, and a validator is compiled only for the kinds that appear.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use super::{Diagnostic, Document};

/// The embedded schema files: (minor version, JSON text).
const SCHEMA_FILES: &[(u64, &str)] = &[
    (
        34,
        include_str!("../../../../schemas/kubernetes/v1.34.json"),
    ),
    (
        35,
        include_str!("../../../../schemas/kubernetes/v1.35.json"),
    ),
];

/// The Kubernetes versions (`1.34`, ...) whose schemas are embedded.
pub fn supported_versions() -> Vec<String> {
    SCHEMA_FILES.iter().map(|(m, _)| format!("1.{m}")).collect()
}

/// API versions removed from Kubernetes before the oldest embedded schema version, for kinds
/// that no longer exist at all (kinds that moved are found in the schema index instead). From the
/// Kubernetes "Deprecated API Migration Guide": (apiVersion/kind, removed in, replacement).
const REMOVED_KINDS: &[(&str, &str, &str)] = &[
    (
        "policy/v1beta1/PodSecurityPolicy",
        "1.25",
        "Pod Security Admission (namespace labels pod-security.kubernetes.io/*)",
    ),
    (
        "extensions/v1beta1/PodSecurityPolicy",
        "1.16",
        "Pod Security Admission (namespace labels pod-security.kubernetes.io/*)",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1alpha1/FlowSchema",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// One embedded version, parsed.
struct KubeSchemas {
    minor: u64,
    index: Map<String, Value>,
    definitions: Map<String, Value>,
}

fn schemas(minor: u64) -> &'static KubeSchemas {
    static CACHE: [OnceLock<KubeSchemas>; SCHEMA_FILES.len()] = [OnceLock::new(), OnceLock::new()];
    // The nearest embedded version: older requests use the oldest, newer ones the newest.
    let i = SCHEMA_FILES
        .iter()
        .position(|(m, _)| *m >= minor)
        .unwrap_or(SCHEMA_FILES.len() - 1);
    CACHE[i].get_or_init(|| {
        let (minor, text) = SCHEMA_FILES[i];
        let mut doc: Value = serde_json::from_str(text).unwrap_or_default();
        let take = |doc: &mut Value, key: &str| match doc.get_mut(key).map(Value::take) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        KubeSchemas {
            minor,
            index: take(&mut doc, "index"),
            definitions: take(&mut doc, "definitions"),
        }
    })
}

impl KubeSchemas {
    /// A self-contained schema for `key`: a `$ref` to its definition plus the definitions it reaches.
    fn schema_for(&self, key: &str) -> Option<Value> {
        let reference = self.index.get(key)?.as_str()?;
        let mut defs = Map::new();
        let mut todo = vec![reference.to_string()];
        while let Some(r) = todo.pop() {
            let Some(name) = r.strip_prefix("#/definitions/") else {
                continue;
            };
            if defs.contains_key(name) {
                continue;
            }
            if let Some(def) = self.definitions.get(name) {
                collect_refs(def, &mut todo);
                defs.insert(name.to_string(), def.clone());
            }
        }
        Some(json!({ "definitions": defs, "allOf": [{ "$ref": reference }] }))
    }

    /// The apiVersions under which `kind` exists in this version, stable ones first.
    fn api_versions_of(&self, kind: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .index
            .keys()
            .filter_map(|k| k.rsplit_once('/'))
            .filter(|(_, k)| *k == kind)
            .map(|(v, _)| v.to_string())
            .collect();
        let unstable = |v: &String| v.contains("alpha") || v.contains("beta");
        found.sort_by(|a, b| unstable(a).cmp(&unstable(b)).then(b.cmp(a)));
        found
    }
}

fn collect_refs(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// `group/Kind` pairs defined by CustomResourceDefinitions (rendered or under `crds/`).
pub(super) fn custom_kinds<'a>(documents: impl Iterator<Item = &'a Value>) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    for doc in documents {
        if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let group = doc.pointer("/spec/group").and_then(Value::as_str);
        let kind = doc.pointer("/spec/names/kind").and_then(Value::as_str);
        if let (Some(group), Some(kind)) = (group, kind) {
            kinds.insert(format!("{group}/{kind}"));
        }
    }
    kinds
}

/// Checks every document against the schemas of Kubernetes `1.minor`.
pub(super) fn check(
    documents: &[Document],
    minor: u64,
    custom: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let schemas = schemas(minor);
    let version = format!("1.{}", schemas.minor);
    let mut validators: HashMap<String, Option<jsonschema::Validator>> = HashMap::new();
    let mut out = Vec::new();
    for doc in documents {
        let Some(api_version) = doc.value.get("apiVersion").and_then(Value::as_str) else {
            continue;
        };
        if doc.kind.is_empty() {
            continue;
        }
        let key = format!("{api_version}/{}", doc.kind);
        if !schemas.index.contains_key(&key) {
            let group = api_version.split('/').next().unwrap_or("");
            if custom.contains(&format!("{group}/{}", doc.kind)) {
                continue; // a custom resource of a CRD of the release: known, not validated
            }
            out.extend(unknown(doc, api_version, &key, schemas, &version));
            continue;
        }
        let validator = validators.entry(key.clone()).or_insert_with(|| {
            let schema = schemas.schema_for(&key)?;
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(false)
                .build(&schema)
                .ok()
        });
        let Some(validator) = validator else {
            continue;
        };
        let instance = without_nulls(&doc.value);
        let mut seen = BTreeSet::new();
        for error in validator.iter_errors(&instance) {
            let mut path: Vec<String> = Vec::new();
            let mut anchors: Vec<String> = Vec::new();
            for segment in error.instance_path().iter() {
                match segment {
                    jsonschema::paths::LocationSegment::Property(p) => {
                        anchors.push(format!("{p}:"));
                        path.push(p.to_string());
                    }
                    jsonschema::paths::LocationSegment::Index(i) => {
                        if let Some(last) = path.last_mut() {
                            last.push_str(&format!("[{i}]"));
                        }
                    }
                }
            }
            let at = |path: &[String]| {
                if path.is_empty() {
                    "the document".to_string()
                } else {
                    path.join(".")
                }
            };
            let message = match error.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for field in unexpected {
                        let mut full = path.clone();
                        full.push(field.clone());
                        let mut a = anchors.clone();
                        a.push(format!("{field}:"));
                        let message = format!(
                            "{}: unknown field (not in the {key} schema of Kubernetes {version})",
                            full.join(".")
                        );
                        if seen.insert(message.clone()) {
                            out.push(finding(doc, &a, message));
                        }
                    }
                    continue;
                }
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let field = property.as_str().unwrap_or_default();
                    let mut full = path.clone();
                    full.push(field.to_string());
                    format!(
                        "{}: required field is missing (in {})",
                        full.join("."),
                        at(&path)
                    )
                }
                // A Secret's values are never printed.
                _ if doc.kind == "Secret" => {
                    format!("{}: {}", at(&path), error.masked_with("the value"))
                }
                _ => format!("{}: {error}", at(&path)),
            };
            if seen.insert(message.clone()) {
                let a: Vec<String> = anchors.clone();
                out.push(finding(doc, &a, message));
            }
        }
    }
    out
}

fn finding(doc: &Document, anchors: &[String], message: String) -> Diagnostic {
    finding_rule(doc, "kubernetes-schema", anchors, message)
}

fn finding_rule(
    doc: &Document,
    rule: &'static str,
    anchors: &[String],
    message: String,
) -> Diagnostic {
    let anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
    doc.diagnostic(rule, &anchors, message)
}

/// A finding for an apiVersion/kind the schemas do not know.
fn unknown(
    doc: &Document,
    api_version: &str,
    key: &str,
    schemas: &KubeSchemas,
    version: &str,
) -> Option<Diagnostic> {
    let anchors = [format!("apiVersion: {api_version}"), "apiVersion:".into()];
    let current = schemas.api_versions_of(&doc.kind);
    if let Some(first) = current.first() {
        let mut d = finding_rule(
            doc,
            "removed-api-version",
            &anchors[..1],
            format!(
                "{api_version} {} is not served by Kubernetes {version}; use {}",
                doc.kind,
                current.join(" or ")
            ),
        );
        if d.line.is_none() {
            d = finding_rule(doc, "removed-api-version", &anchors[1..], d.message);
        }
        d.hint =
            format!("change apiVersion to {first} (and adapt the fields that changed with it)");
        return Some(d);
    }
    if let Some((_, removed, replacement)) = REMOVED_KINDS.iter().find(|(k, _, _)| *k == key) {
        let mut d = finding_rule(
            doc,
            "removed-api-version",
            &anchors[1..],
            format!(
                "{api_version} {} was removed in Kubernetes {removed}",
                doc.kind
            ),
        );
        d.hint = format!("use {replacement}");
        return Some(d);
    }
    Some(finding_rule(
        doc,
        "unknown-kind",
        &anchors[1..],
        format!(
            "{key} is neither a built-in kind of Kubernetes {version} nor defined by a CRD of the chart: skipped, not validated"
        ),
    ))
}

/// `value` without the object entries whose value is null (the API server treats them as absent,
/// and templates often render `key: null` or an empty `key:`).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Which embedded files exist, by version (for the staleness test).
#[cfg(test)]
pub(super) fn embedded() -> std::collections::BTreeMap<String, &'static str> {
    SCHEMA_FILES
        .iter()
        .map(|(m, t)| (format!("1.{m}"), *t))
        .collect()
}
