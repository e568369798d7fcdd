//! Validating computed values against each chart's `values.schema.json`.
//!
//! Every chart of the tree with a schema is checked against the values it sees (a subchart against
//! its own section, `global` included), as Helm does before rendering. Schemas may use drafts 4,
//! 6, 7, 2019-09 and 2020-12 (`$schema` selects it). A remote `$ref` is never fetched: the
//! `jsonschema` crate is built without its HTTP and file retrievers, so such a schema is an error
//! that says so. A violation names the values path, the rule and the offending value, except under
//! keys that look like credentials, whose values are never printed.
//!
//! May import: the chart model and [`super`] (computed values).

use serde_json::Value;

use crate::chart::Chart;
use crate::util::text::{escape, quote};
use crate::values::{Computed, Values};

/// Why values were refused by a schema, or a schema could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A `values.schema.json` is not valid JSON or not a valid JSON Schema.
    #[error("{}: invalid values schema: {}", escape(.file), escape(.reason))]
    InvalidSchema {
        /// The schema file (`chart/charts/sub/values.schema.json`).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// Values violate one or more schemas.
    #[error("values don't meet the specifications of the schema(s) in the following chart(s):\n{}", format_violations(.0))]
    Violations(Vec<Violation>),
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The chart whose schema is violated (`two-tier/mysql-chart`).
    pub chart: String,
    /// The schema file.
    pub file: String,
    /// The values path (`service.nodePort`, `(root)` for the top level).
    pub path: String,
    /// The JSON Schema keyword that failed (`minimum`, `type`, `required`…).
    pub keyword: String,
    /// A one-line explanation, naming the offending value unless it may be a credential.
    pub message: String,
}

fn format_violations(violations: &[Violation]) -> String {
    let mut out = String::new();
    let mut current = None;
    for v in violations {
        if current != Some(&v.chart) {
            out.push_str(&format!("{} ({}):\n", escape(&v.chart), escape(&v.file)));
            current = Some(&v.chart);
        }
        out.push_str(&format!(
            "- {}: {} [{}]\n",
            quote(&v.path),
            escape(&v.message),
            v.keyword
        ));
    }
    out.trim_end().to_string()
}

/// Whether a values path may hold a credential, whose value must never be printed.
pub fn is_sensitive_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "apikey",
        "api_key",
        "privatekey",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// Validates the values of every chart of `computed` that has a schema.
pub fn validate(computed: &Computed) -> Result<(), SchemaError> {
    let mut violations = Vec::new();
    validate_chart(
        &computed.chart,
        &computed.values,
        computed.chart.name(),
        computed.chart.name(),
        &mut violations,
    )?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Violations(violations))
    }
}

fn validate_chart(
    chart: &Chart,
    values: &Values,
    display: &str,
    prefix: &str,
    out: &mut Vec<Violation>,
) -> Result<(), SchemaError> {
    if let Some(raw) = &chart.schema {
        let file = format!("{prefix}/values.schema.json");
        let invalid = |reason: String| SchemaError::InvalidSchema {
            file: file.clone(),
            reason,
        };
        let schema: Value = serde_json::from_slice(raw).map_err(|e| invalid(e.to_string()))?;
        let problems = super::refs::check(&schema);
        if !problems.is_empty() {
            return Err(invalid(problems.join("; ")));
        }
        let validator = jsonschema::validator_for(&schema).map_err(|e| {
            let text = e.to_string();
            if text.contains("retrieving it failed") || text.contains("Retrieval is disabled") {
                invalid(format!(
                    "{text} (remote `$ref`s are never fetched: vendor the schema into the chart)"
                ))
            } else {
                invalid(text)
            }
        })?;
        let instance = Value::Object(values.clone());
        for error in validator.iter_errors(&instance) {
            let pointer = error.instance_path().to_string();
            let path = pointer_to_path(&pointer);
            let keyword = error.kind().keyword().to_string();
            let message = if is_sensitive_path(&path) {
                error.masked_with("(hidden value)").to_string()
            } else {
                error.to_string()
            };
            out.push(Violation {
                chart: display.to_string(),
                file: file.clone(),
                path,
                keyword,
                message,
            });
        }
    }
    for sub in &chart.dependencies {
        let section = match values.get(sub.name()) {
            Some(Value::Object(m)) => m.clone(),
            _ => Values::new(),
        };
        validate_chart(
            sub,
            &section,
            &format!("{display}/{}", sub.name()),
            &format!("{prefix}/charts/{}", sub.name()),
            out,
        )?;
    }
    Ok(())
}

/// `/service/nodePort` → `service.nodePort`; `/list/0/name` → `list[0].name`.
fn pointer_to_path(pointer: &str) -> String {
    if pointer.is_empty() || pointer == "/" {
        return "(root)".to_string();
    }
    let mut out = String::new();
    for raw in pointer.trim_start_matches('/').split('/') {
        let part = raw.replace("~1", "/").replace("~0", "~");
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::File;
    use crate::chart::loader::{LoadOptions, from_files};

    fn computed(schema: &str, values: &str, set: &[&str]) -> Computed {
        let files = vec![
            File {
                name: "Chart.yaml".into(),
                data: b"apiVersion: v2\nname: app\nversion: 1.0.0\n".to_vec(),
            },
            File {
                name: "values.yaml".into(),
                data: values.as_bytes().to_vec(),
            },
            File {
                name: "values.schema.json".into(),
                data: schema.as_bytes().to_vec(),
            },
        ];
        let chart = from_files(files, "app", &LoadOptions::default()).unwrap();
        let options = crate::values::ValueOptions {
            values: set.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        crate::values::compute(&chart, &options.merge().unwrap()).unwrap()
    }

    const SCHEMA: &str = r#"{
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "replicaCount": {"type": "integer"},
            "service": {"type": "object", "properties": {
                "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                "nodePort": {"type": "integer", "minimum": 30000, "maximum": 32767}}},
            "auth": {"type": "object", "properties": {"password": {"type": "string", "minLength": 8}}}
        }
    }"#;

    #[test]
    fn a_violation_names_the_path_rule_and_value() {
        let c = computed(
            SCHEMA,
            "replicaCount: 1\n",
            &["service.nodePort=80", "replicaCount=two"],
        );
        let e = validate(&c).unwrap_err().to_string();
        assert!(
            e.contains("- service.nodePort: 80 is less than the minimum of 30000 [minimum]"),
            "{e}"
        );
        assert!(
            e.contains("- replicaCount: \"two\" is not of type \"integer\" [type]"),
            "{e}"
        );
        assert!(e.contains("app (app/values.schema.json):"), "{e}");
    }

    #[test]
    fn credentials_are_never_printed() {
        let c = computed(SCHEMA, "", &["auth.password=hunter2"]);
        let e = validate(&c).unwrap_err().to_string();
        assert!(e.contains("auth.password"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn valid_values_pass() {
        validate(&computed(
            SCHEMA,
            "service:\n  type: NodePort\n  nodePort: 30004\n",
            &[],
        ))
        .unwrap();
    }

    #[test]
    fn a_remote_ref_is_never_fetched() {
        let schema = r#"{"$ref": "https://example.invalid/schema.json"}"#;
        let e = validate(&computed(schema, "", &[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("app/values.schema.json: invalid values schema"),
            "{e}"
        );
        assert!(e.contains("never fetched"), "{e}");
    }

    #[test]
    fn unresolvable_refs_are_all_reported_the_same_every_run() {
        let schema = r##"{"properties": {
            "a": {"$ref": "#/definitions/one"},
            "b": {"$ref": "#/definitions/two"},
            "c": {"$ref": "file:///etc/schema.json"}}}"##;
        let first = validate(&computed(schema, "", &[]))
            .unwrap_err()
            .to_string();
        for name in ["one", "two", "file:///etc/schema.json"] {
            assert!(first.contains(name), "{first}");
        }
        for _ in 0..5 {
            let again = validate(&computed(schema, "", &[]))
                .unwrap_err()
                .to_string();
            assert_eq!(again, first);
        }
    }

    #[test]
    fn a_ref_cycle_is_an_error_naming_it() {
        let schema = r##"{"definitions": {"a": {"$ref": "#/definitions/b"},
            "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}"##;
        let e = validate(&computed(schema, "", &[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("app/values.schema.json: invalid values schema: `$ref` cycle: "),
            "{e}"
        );
        assert!(
            e.contains("#/definitions/a → #/definitions/b → #/definitions/a"),
            "{e}"
        );
    }

    #[test]
    fn an_invalid_schema_names_the_file() {
        let e = validate(&computed("{not json", "", &[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("app/values.schema.json: invalid values schema"),
            "{e}"
        );
        let e = validate(&computed(r#"{"type": "nonsense"}"#, "", &[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("app/values.schema.json: invalid values schema"),
            "{e}"
        );
    }

    #[test]
    fn pointers_become_values_paths() {
        assert_eq!(pointer_to_path("/a/b"), "a.b");
        assert_eq!(pointer_to_path("/list/0/name"), "list[0].name");
        assert_eq!(pointer_to_path(""), "(root)");
    }
}
