//! Layer 2 of `lint`: each rendered document against the Kubernetes JSON Schema of its
//! apiVersion/kind, offline.
//!
//! The schemas live in `schemas/kubernetes/v1.NN.json` at the repository root, one file per
//! supported Kubernetes minor version, generated from the `k8s-openapi` crate by
//! `scripts/gen-k8s-schemas.sh` (never written by hand). They are embedded with `include_str!`,
//! parsed only when a lint runs, and a validator is compiled only for the kinds that appear.

use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// A kind defined by a CustomResourceDefinition of the release.
pub(super) struct CustomKind {
    /// The CRD's `metadata.name` (`widgets.example.com`).
    crd: String,
    /// Its versions (`v1`) and their `openAPIV3Schema`, converted for validation (`None`: the
    /// version has no schema, its resources are known but not validated).
    versions: BTreeMap<String, Option<Value>>,
}

/// The kinds (`group/Kind`) defined by CustomResourceDefinitions (rendered or under `crds/`).
pub(super) fn custom_kinds<'a>(
    documents: impl Iterator<Item = &'a Value>,
) -> BTreeMap<String, CustomKind> {
    let mut kinds = BTreeMap::new();
    for doc in documents {
        if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let group = doc.pointer("/spec/group").and_then(Value::as_str);
        let kind = doc.pointer("/spec/names/kind").and_then(Value::as_str);
        let (Some(group), Some(kind)) = (group, kind) else {
            continue;
        };
        // apiextensions.k8s.io/v1beta1 CRDs had one schema for every version.
        let shared = doc.pointer("/spec/validation/openAPIV3Schema");
        let mut versions = BTreeMap::new();
        for version in doc
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = version.get("name").and_then(Value::as_str) else {
                continue;
            };
            let schema = version
                .pointer("/schema/openAPIV3Schema")
                .or(shared)
                .filter(|s| s.is_object())
                .map(|s| crd_schema(s, true));
            versions.insert(name.to_string(), schema);
        }
        if let Some(name) = doc.pointer("/spec/version").and_then(Value::as_str) {
            versions
                .entry(name.to_string())
                .or_insert_with(|| shared.map(|s| crd_schema(s, true)));
        }
        let crd = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or(kind)
            .to_string();
        kinds.insert(format!("{group}/{kind}"), CustomKind { crd, versions });
    }
    kinds
}

/// An `openAPIV3Schema` of a CRD as a JSON Schema (draft 4) with the API server's semantics:
/// fields not in `properties` are unknown (pruned by the server; an error here) unless
/// `x-kubernetes-preserve-unknown-fields: true`; `x-kubernetes-int-or-string: true` accepts an
/// integer or a string; the root (and `x-kubernetes-embedded-resource` objects) implicitly has
/// `apiVersion`, `kind` and `metadata`.
fn crd_schema(schema: &Value, root: bool) -> Value {
    let Value::Object(m) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        let v = match k.as_str() {
            "properties" | "patternProperties" | "definitions" => match v {
                Value::Object(props) => Value::Object(
                    props
                        .iter()
                        .map(|(name, s)| (name.clone(), crd_schema(s, false)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => match v {
                Value::Array(a) => Value::Array(a.iter().map(|s| crd_schema(s, false)).collect()),
                Value::Object(_) => crd_schema(v, false),
                other => other.clone(),
            },
            "allOf" | "anyOf" | "oneOf" => match v {
                Value::Array(a) => Value::Array(a.iter().map(|s| crd_schema(s, false)).collect()),
                other => other.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    let flag = |key: &str| m.get(key).and_then(Value::as_bool) == Some(true);
    if flag("x-kubernetes-int-or-string") {
        out.remove("type");
        let either = json!([{ "type": "integer" }, { "type": "string" }]);
        match out.get_mut("anyOf") {
            // An anyOf of its own (usually the int/string pattern branches) stays; both hold.
            Some(_) => {
                let all = out.entry("allOf").or_insert_with(|| json!([]));
                if let Value::Array(a) = all {
                    a.push(json!({ "anyOf": either }));
                }
            }
            None => {
                out.insert("anyOf".into(), either);
            }
        }
    }
    if (root || flag("x-kubernetes-embedded-resource"))
        && let Some(Value::Object(props)) = out.get_mut("properties")
    {
        props
            .entry("apiVersion")
            .or_insert_with(|| json!({ "type": "string" }));
        props
            .entry("kind")
            .or_insert_with(|| json!({ "type": "string" }));
        props
            .entry("metadata")
            .or_insert_with(|| json!({ "type": "object" }));
    }
    if out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    out.remove("$schema");
    Value::Object(out)
}

/// Checks every document against the schemas of Kubernetes `1.minor`, and the custom resources
/// of the release's CRDs against the CRDs' schemas.
pub(super) fn check(
    documents: &[Document],
    minor: u64,
    custom: &BTreeMap<String, CustomKind>,
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
            let (group, resource_version) =
                api_version.rsplit_once('/').unwrap_or(("", api_version));
            let Some(custom) = custom.get(&format!("{group}/{}", doc.kind)) else {
                out.extend(unknown(doc, api_version, &key, schemas, &version));
                continue;
            };
            let Some(schema) = custom.versions.get(resource_version) else {
                let served: Vec<&str> = custom.versions.keys().map(String::as_str).collect();
                let mut d = finding(
                    doc,
                    &["apiVersion:".to_string()],
                    format!(
                        "apiVersion: version {resource_version} of {} is not defined by the CRD {} (it defines {})",
                        doc.kind,
                        custom.crd,
                        served.join(", ")
                    ),
                );
                d.hint = format!("use one of the versions of the CRD {}", custom.crd);
                out.push(d);
                continue;
            };
            let Some(schema) = schema else {
                continue; // a version without a schema: known, not validated
            };
            let validator = validators.entry(format!("crd:{key}")).or_insert_with(|| {
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft4)
                    .should_validate_formats(false)
                    .build(schema)
                    .ok()
            });
            if let Some(validator) = validator {
                let label = format!(
                    "schema of version {resource_version} of the CRD {}",
                    custom.crd
                );
                let before = out.len();
                report(doc, validator, &label, &mut out);
                for d in &mut out[before..] {
                    d.hint = format!(
                        "fix the field named in the message; the schema is the one of the CRD {} shipped with the chart",
                        custom.crd
                    );
                }
            }
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
        let label = format!("{key} schema of Kubernetes {version}");
        report(doc, validator, &label, &mut out);
    }
    out
}

/// The schema violations of `doc`, each with its field path and line; `label` names the schema.
fn report(
    doc: &Document,
    validator: &jsonschema::Validator,
    label: &str,
    out: &mut Vec<Diagnostic>,
) {
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
                    let message = format!("{}: unknown field (not in the {label})", full.join("."));
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
            out.push(finding(doc, &anchors, message));
        }
    }
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
