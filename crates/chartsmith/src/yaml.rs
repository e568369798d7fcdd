//! YAML reading and writing with Helm's reading rules.
//!
//! `serde-saphyr` is used rather than the deprecated `serde_yaml`: it is maintained, pure Rust,
//! panic-free on malformed input, bounds alias expansion with a budget (no billion-laughs) and can be
//! told to read YAML 1.1 scalars (`yes`/`no`/`on`/`off` booleans, `0755` octal) the way Helm's
//! go-yaml v2 does.
//!
//! May import: `goyaml`, `util` only (every module reads YAML).

use serde_json::Value;

/// A YAML syntax or structure error, with the location rendered by the parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
            // No source snippet: values files hold credentials, and an error must never print a
            // secret. The location is enough to find the problem.
            message: error
                .render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                })
                .replace("<input>", file),
        }
    }
}

fn options() -> serde_saphyr::options::Options {
    let mut options = serde_saphyr::options::Options::default();
    // go-yaml v2 (which Helm reads values with) treats `0755` as octal and keeps the last of
    // duplicate keys.
    options.legacy_octal_numbers = true;
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::LastWins;
    // Helm cannot represent `.inf`/`.nan` in values (JSON has no such numbers) and fails: so do we.
    options
}

/// Parses one YAML document into a JSON value. An empty document is `null`.
pub fn from_str(source: &str, file: &str) -> Result<Value, YamlError> {
    serde_saphyr::from_str_with_options::<HelmValue>(source, options())
        .map(|v| v.0)
        .map_err(|e| YamlError::from_saphyr(file, &e))
}

/// A JSON value read from YAML the way Helm's go-yaml v2 + JSON conversion reads it: mapping keys
/// are resolved like any scalar and then turned into strings, so an unquoted `yes:` key becomes
/// `"true"` and `1:` becomes `"1"` (serde_json's own visitor would read every key as a string).
struct HelmValue(Value);

impl<'de> serde::Deserialize<'de> for HelmValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HelmVisitor).map(HelmValue)
    }
}

struct HelmVisitor;

impl<'de> serde::de::Visitor<'de> for HelmVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Value, E> {
        // Beyond 64 bits: keep the digits exactly, as a float would not.
        Ok(serde_json::Number::from_i128(v)
            .map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(serde_json::Number::from_u128(v)
            .map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(HelmVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(HelmValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(HelmValue(key)) = map.next_key()? {
            let key = match key {
                Value::String(s) => s,
                Value::Null => "null".to_string(),
                other => other.to_string(),
            };
            let HelmValue(value) = map.next_value()?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Parses a YAML mapping (such as `values.yaml`); an empty document gives an empty map. A stream
/// of several documents is deep-merged in order, as Helm 4 reads values files.
pub fn map_from_str(source: &str, file: &str) -> Result<serde_json::Map<String, Value>, YamlError> {
    let docs: Vec<HelmValue> = serde_saphyr::from_multiple_with_options(source, options())
        .map_err(|e| YamlError::from_saphyr(file, &e))?;
    let docs = docs.into_iter().map(|d| d.0);
    let mut merged = serde_json::Map::new();
    for doc in docs {
        match doc {
            Value::Null => {}
            Value::Object(map) => merged = crate::util::merge::merge_maps(merged, map),
            other => {
                return Err(YamlError {
                    file: file.to_string(),
                    line: None,
                    column: None,
                    message: format!(
                        "expected a YAML mapping at the top level, found {}",
                        kind_name(&other)
                    ),
                });
            }
        }
    }
    Ok(merged)
}

/// Serialises a value as YAML exactly as Helm's `toYaml` does (go-yaml v2's emitter).
pub fn to_string(value: &Value) -> String {
    crate::goyaml::to_string(value)
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
        // `y` is a YAML 1.1 boolean, so as a key it is quoted, as go-yaml v2 quotes it.
        let out = to_string(&json!({"b": [{"y": 1, "x": "true", "z": "1.0"}], "a": {}}));
        assert_eq!(out, "a: {}\nb:\n- x: \"true\"\n  \"y\": 1\n  z: \"1.0\"\n");
    }
}
