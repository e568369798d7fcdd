//! Writes the JSON Schemas of every built-in top-level Kubernetes kind of the enabled k8s-openapi
//! version feature, as one compact document:
//!
//! ```json
//! { "kubernetes": "1.35", "source": "k8s-openapi 0.29.0",
//!   "index": { "apps/v1/Deployment": "#/definitions/io.k8s.api.apps.v1.Deployment", ... },
//!   "definitions": { ... } }
//! ```
//!
//! Transformations, so the schemas validate manifests as the API server would read them:
//! `additionalProperties: false` on every object schema with declared properties (unknown fields
//! such as `spec.replica` are errors); `x-kubernetes-int-or-string` becomes a `type` (integer or
//! string; number or string for `Quantity`, which accepts `0.5`); `description` and `format` are
//! dropped to keep the file small. Usage: `gen-k8s-schemas OUT.json`.

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

fn emit<T: k8s_openapi::Resource + JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
    index: &mut Map<String, Value>,
) {
    let schema = generator.subschema_for::<T>();
    let reference = schema
        .as_object()
        .and_then(|o| o.get("$ref"))
        .cloned()
        .expect("a top-level kind is a definition");
    index.insert(format!("{}/{}", T::API_VERSION, T::KIND), reference);
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: gen-k8s-schemas OUT.json");
    let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut index = Map::new();
    include!(concat!(env!("OUT_DIR"), "/kinds.rs"));
    let mut definitions = generator.take_definitions(true);
    for (name, schema) in definitions.iter_mut() {
        transform(schema, name.ends_with(".Quantity"));
    }
    let definitions: Map<String, Value> = {
        let mut sorted: Vec<_> = definitions.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        sorted.into_iter().collect()
    };
    let version = if cfg!(feature = "v1_34") {
        "1.34"
    } else {
        "1.35"
    };
    let doc = json!({
        "kubernetes": version,
        "source": "k8s-openapi 0.29.0 (schemars)",
        "index": index,
        "definitions": definitions,
    });
    let mut text = serde_json::to_string(&doc).expect("serialize");
    text.push('\n');
    std::fs::write(&out, text).expect("write output");
    eprintln!("{out}: {} kinds", index_len(&doc));
}

fn index_len(doc: &Value) -> usize {
    doc["index"].as_object().map_or(0, Map::len)
}

/// Applies the transformations to a schema and, recursively, to its subschemas.
fn transform(schema: &mut Value, quantity: bool) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    obj.remove("description");
    obj.remove("format");
    if obj.remove("x-kubernetes-int-or-string") == Some(Value::Bool(true)) {
        let ty = if quantity { "number" } else { "integer" };
        obj.insert("type".into(), json!([ty, "string"]));
    }
    if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (key, value) in obj.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Some(map) = value.as_object_mut() {
                    for sub in map.values_mut() {
                        transform(sub, false);
                    }
                }
            }
            "items" | "additionalProperties" | "not" | "if" | "then" | "else" => {
                transform(value, false)
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Some(list) = value.as_array_mut() {
                    for sub in list {
                        transform(sub, false);
                    }
                }
            }
            _ => {}
        }
    }
}
