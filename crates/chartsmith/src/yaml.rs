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
    /// Set when the error is a key given twice in one mapping.
    pub duplicate: Option<Box<DuplicateKey>>,
}

/// A mapping key given twice: YAML requires unique keys. Helm keeps the last silently; chartsmith
/// refuses the file, naming both lines, since the one that wins is seldom the one meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key, as Helm reads it (an unquoted `yes:` is the key `true`), escaped for printing.
    pub key: String,
    /// 1-based line of the first occurrence.
    pub first_line: u64,
    /// 1-based line of the second occurrence.
    pub second_line: u64,
}

impl YamlError {
    fn from_saphyr(file: &str, error: &serde_saphyr::Error) -> YamlError {
        let file = crate::util::text::escape(file).into_owned();
        if let Some(duplicate) = DUPLICATE.take() {
            return YamlError {
                message: format!(
                    "duplicate key `{}` (lines {} and {})",
                    duplicate.key, duplicate.first_line, duplicate.second_line
                ),
                file,
                line: Some(duplicate.second_line),
                column: None,
                duplicate: Some(Box::new(duplicate)),
            };
        }
        let location = error.location();
        YamlError {
            line: location.map(|l| l.line()),
            column: location.map(|l| l.column()),
            // No source snippet: values files hold credentials, and an error must never print a
            // secret. The location is enough to find the problem.
            message: crate::util::text::escape(
                &error
                    .render_with_options(serde_saphyr::render_options! {
                        snippets: serde_saphyr::SnippetMode::Off,
                    })
                    .replace("<input>", &file),
            )
            .into_owned(),
            file,
            duplicate: None,
        }
    }
}

thread_local! {
    /// The duplicate key that [`HelmVisitor`] failed on, for [`YamlError::from_saphyr`] (a serde
    /// error can only carry a message).
    static DUPLICATE: std::cell::Cell<Option<DuplicateKey>> = const { std::cell::Cell::new(None) };
}

/// How a reader treats a key given twice in one mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Duplicates {
    /// An error: every file a user or a chart author writes (`Chart.yaml`, values, `index.yaml`…).
    Refuse,
    /// The last one wins, as Kubernetes' API machinery and Helm read rendered manifests and
    /// `fromYaml` input.
    LastWins,
}

fn options() -> serde_saphyr::options::Options {
    let mut options = serde_saphyr::options::Options::default();
    // go-yaml v2 (which Helm reads values with) treats `0755` as octal. Duplicate keys reach the
    // visitor, which refuses them or keeps the last (go-yaml v2's choice), comparing keys as Helm
    // sees them (after `yes` becomes `true`).
    options.legacy_octal_numbers = true;
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::PassThrough;
    // Helm cannot represent `.inf`/`.nan` in values (JSON has no such numbers) and fails: so do we.
    options
}

fn parse<T>(
    file: &str,
    parse: impl FnOnce() -> Result<T, serde_saphyr::Error>,
) -> Result<T, YamlError> {
    DUPLICATE.set(None);
    parse().map_err(|e| YamlError::from_saphyr(file, &e))
}

/// Parses one YAML document into a JSON value. An empty document is `null`. A key given twice in
/// one mapping is an error naming both lines.
pub fn from_str(source: &str, file: &str) -> Result<Value, YamlError> {
    parse(file, || {
        serde_saphyr::from_str_with_options::<HelmValue<true>>(source, options())
    })
    .map(|v| v.0)
}

/// Parses one YAML document of rendered output (a manifest, `fromYaml` input) into a JSON value:
/// as [`from_str`], but the last of duplicate keys wins, as when Helm and the Kubernetes API
/// machinery read manifests (a template may produce what it produces; validation reports it).
pub fn manifest_from_str(source: &str, file: &str) -> Result<Value, YamlError> {
    parse(file, || {
        serde_saphyr::from_str_with_options::<HelmValue<false>>(source, options())
    })
    .map(|v| v.0)
}

/// A JSON value read from YAML the way Helm's go-yaml v2 + JSON conversion reads it: mapping keys
/// are resolved like any scalar and then turned into strings, so an unquoted `yes:` key becomes
/// `"true"` and `1:` becomes `"1"` (serde_json's own visitor would read every key as a string).
/// `REFUSE` says whether a duplicate key is an error ([`Duplicates::Refuse`]).
struct HelmValue<const REFUSE: bool>(Value);

impl<'de, const REFUSE: bool> serde::Deserialize<'de> for HelmValue<REFUSE> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let duplicates = if REFUSE {
            Duplicates::Refuse
        } else {
            Duplicates::LastWins
        };
        d.deserialize_any(HelmVisitor { duplicates }).map(HelmValue)
    }
}

struct HelmVisitor {
    duplicates: Duplicates,
}

fn key_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

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
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        match self.duplicates {
            Duplicates::Refuse => {
                while let Some(HelmValue::<true>(v)) = seq.next_element()? {
                    out.push(v);
                }
            }
            Duplicates::LastWins => {
                while let Some(HelmValue::<false>(v)) = seq.next_element()? {
                    out.push(v);
                }
            }
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        if self.duplicates == Duplicates::LastWins {
            while let Some(HelmValue::<false>(key)) = map.next_key()? {
                let HelmValue::<false>(value) = map.next_value()?;
                out.insert(key_string(key), value);
            }
            return Ok(Value::Object(out));
        }
        // The line of each key written in this mapping (not brought in by a `<<` merge).
        let mut lines: std::collections::HashMap<String, u64> = Default::default();
        while let Some(spanned) = map.next_key::<serde_saphyr::Spanned<HelmValue<true>>>()? {
            let key = key_string(spanned.value.0);
            let HelmValue::<true>(value) = map.next_value()?;
            // A key brought in by a merge key (`<<: *base`) is located where it is defined, not
            // here: a key written in the mapping overrides it, as YAML's merge key means.
            let merged = spanned.referenced != spanned.defined;
            let line = spanned.referenced.line();
            if let Some(&first_line) = lines.get(&key) {
                if merged {
                    continue;
                }
                DUPLICATE.set(Some(DuplicateKey {
                    key: crate::util::text::quote(&key),
                    first_line,
                    second_line: line,
                }));
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key (lines {first_line} and {line})"
                )));
            }
            if !merged {
                lines.insert(key.clone(), line);
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Parses a YAML mapping (such as `values.yaml`); an empty document gives an empty map. A stream
/// of several documents is deep-merged in order, as Helm 4 reads values files.
pub fn map_from_str(source: &str, file: &str) -> Result<serde_json::Map<String, Value>, YamlError> {
    let docs: Vec<HelmValue<true>> = parse(file, || {
        serde_saphyr::from_multiple_with_options(source, options())
    })?;
    let docs = docs.into_iter().map(|d| d.0);
    let mut merged = serde_json::Map::new();
    for doc in docs {
        match doc {
            Value::Null => {}
            Value::Object(map) => merged = crate::util::merge::merge_maps(merged, map),
            other => {
                return Err(YamlError {
                    file: crate::util::text::escape(file).into_owned(),
                    line: None,
                    column: None,
                    duplicate: None,
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
    fn a_duplicate_key_names_the_file_the_key_and_both_lines() {
        let src = "image:\n  repository: app\n  tag: \"1.0\"\nreplicas: 2\nimage:\n  tag: latest\n";
        let e = from_str(src, "chart/values.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "chart/values.yaml: duplicate key `image` (lines 1 and 5)"
        );
        assert_eq!(
            e.duplicate.map(|d| *d),
            Some(DuplicateKey {
                key: "image".into(),
                first_line: 1,
                second_line: 5
            })
        );
        // Nested, in a list, in the second document of a stream, and in `map_from_str`.
        let e = from_str("a:\n  - b: 1\n    c: 2\n    b: 3\n", "f.yaml").unwrap_err();
        assert_eq!(e.to_string(), "f.yaml: duplicate key `b` (lines 2 and 4)");
        let e = map_from_str("a: 1\n---\nb: 1\nb: 2\n", "f.yaml").unwrap_err();
        assert_eq!(e.to_string(), "f.yaml: duplicate key `b` (lines 3 and 4)");
        // Flow style.
        let e = from_str("{a: 1, a: 2}", "f.yaml").unwrap_err();
        assert_eq!(e.duplicate.map(|d| d.key), Some("a".to_string()));
    }

    #[test]
    fn keys_are_compared_as_helm_reads_them() {
        // `yes` and `true` are the same YAML 1.1 boolean; `1` and "1" the same JSON key.
        let e = from_str("yes: 1\ntrue: 2\n", "f.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.yaml: duplicate key `true` (lines 1 and 2)"
        );
        assert!(from_str("1: a\n\"1\": b\n", "f.yaml").is_err());
        // Different keys that only look alike are fine.
        assert!(from_str("a: 1\nA: 2\n\"a \": 3\n", "f.yaml").is_ok());
    }

    #[test]
    fn a_merge_key_is_overridden_not_duplicated() {
        let v = from_str(
            "base: &base {a: 1, b: 2}\nx:\n  <<: *base\n  b: 3\n",
            "f.yaml",
        )
        .unwrap();
        assert_eq!(v["x"], json!({"a": 1, "b": 3}));
    }

    #[test]
    fn rendered_manifests_keep_the_last_duplicate_as_helm_does() {
        let v = manifest_from_str("a: 1\na: 2\n", "m.yaml").unwrap();
        assert_eq!(v["a"], json!(2));
        // A strict parse after a lenient one is not confused by it.
        assert!(from_str("a: 1\n", "f.yaml").is_ok());
    }

    #[test]
    fn quoted_keys_and_file_names_are_escaped() {
        let e = from_str("\"\\e[31mred\": 1\n\"\\e[31mred\": 2\n", "f\u{1b}.yaml").unwrap_err();
        let text = e.to_string();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert_eq!(
            text,
            "f\\u{1b}.yaml: duplicate key `\\u{1b}[31mred` (lines 1 and 2)"
        );
        let e = from_str("a: [\n", "f\r.yaml").unwrap_err();
        assert!(!e.to_string().contains('\r'), "{e:?}");
    }

    #[test]
    fn emits_block_style_with_sorted_keys() {
        // `y` is a YAML 1.1 boolean, so as a key it is quoted, as go-yaml v2 quotes it.
        let out = to_string(&json!({"b": [{"y": 1, "x": "true", "z": "1.0"}], "a": {}}));
        assert_eq!(out, "a: {}\nb:\n- x: \"true\"\n  \"y\": 1\n  z: \"1.0\"\n");
    }
}
