//! YAML reading and writing with Helm's reading rules.
//!
//! `serde-saphyr` is used rather than the deprecated `serde_yaml`: it is maintained, pure Rust,
//! panic-free on malformed input, bounds alias expansion with a budget (no billion-laughs) and can be
//! told to read YAML 1.1 scalars (`yes`/`no`/`on`/`off` booleans, `0755` octal) the way Helm's
//! go-yaml v2 does.

use serde_json::Value;

/// A YAML syntax or structure error, with the location rendered by the parser.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct YamlError {
    /// The file (or source description) being read.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// The parser's message, with a snippet of the source.
    pub message: String,
}

impl YamlError {
    fn from_saphyr(file: &str, error: &serde_saphyr::Error) -> YamlError {
        let location = error.location();
        YamlError {
            file: file.to_string(),
            line: location.map(|l| l.line()),
            column: location.map(|l| l.column()),
            message: error.to_string().replace("<input>", file),
        }
    }
}

fn options() -> serde_saphyr::options::Options {
    let mut options = serde_saphyr::options::Options::default();
    // go-yaml v2 (which Helm reads values with) treats `0755` as octal and keeps the last of
    // duplicate keys.
    options.legacy_octal_numbers = true;
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::LastWins;
    options.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::AsString;
    options
}

/// Parses one YAML document into a JSON value. An empty document is `null`.
pub fn from_str(source: &str, file: &str) -> Result<Value, YamlError> {
    serde_saphyr::from_str_with_options(source, options())
        .map_err(|e| YamlError::from_saphyr(file, &e))
}

/// Parses a YAML mapping (such as `values.yaml`); an empty document gives an empty map.
pub fn map_from_str(source: &str, file: &str) -> Result<serde_json::Map<String, Value>, YamlError> {
    match from_str(source, file)? {
        Value::Null => Ok(serde_json::Map::new()),
        Value::Object(map) => Ok(map),
        other => Err(YamlError {
            file: file.to_string(),
            line: None,
            column: None,
            message: format!(
                "expected a YAML mapping at the top level, found {}",
                kind_name(&other)
            ),
        }),
    }
}

/// Serialises a value as YAML, in the block style Helm's `toYaml` produces (keys sorted).
pub fn to_string(value: &Value) -> String {
    match value {
        Value::Null => "null\n".to_string(),
        // serde-saphyr cannot fail on a JSON value tree; fall back to JSON, which is YAML.
        _ => serde_saphyr::to_string(value).unwrap_or_else(|_| value.to_string()),
    }
}

/// A short name of a JSON value's type, for messages.
pub fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_yaml_1_1_scalars_like_helm() {
        let v = from_str("a: yes\nb: off\nc: ~\nd: 0755\ne: 1_000\n", "v.yaml").unwrap();
        assert_eq!(v["a"], json!(true));
        assert_eq!(v["b"], json!(false));
        assert_eq!(v["c"], Value::Null);
        assert_eq!(v["d"], json!(493));
    }

    #[test]
    fn syntax_error_names_file_line_and_column() {
        let e = from_str("a: [1, 2\nb: c\n", "chart/values.yaml").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("chart/values.yaml"), "{e}");
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut src = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .windows(2)
            .map(|w| (w[0], w[1]))
        {
            src.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 9].join(",")
            ));
        }
        assert!(from_str(&src, "bomb.yaml").is_err());
    }

    #[test]
    fn emits_block_style_with_sorted_keys() {
        let out = to_string(&json!({"b": [{"y": 1, "x": "true"}], "a": {}}));
        assert_eq!(out, "a: {}\nb:\n- x: \"true\"\n  y: 1\n");
    }
}
