//! Conversions between Tera values and JSON, and Go's text of a value (`fmt.Sprint`, Sprig's
//! `int`), as Helm's functions see their arguments; also the one-line Tera error constructor.
//!
//! May import: the standard library, `tera`, `serde_json` and `crate::goyaml` only (no `engine`
//! module: every other file of the engine uses this one).

use serde_json::Value as Json;
use tera::{TeraResult, Value};

pub(crate) fn error(message: impl ToString) -> tera::Error {
    tera::Error::message(message)
}

pub(crate) fn to_json(value: &Value) -> TeraResult<Json> {
    serde_json::to_value(value).map_err(|e| error(format!("cannot convert value to JSON: {e}")))
}

pub(crate) fn from_json(value: &Json) -> Value {
    Value::from_serializable(value)
}

/// Go's `fmt.Sprint` of a value as Helm's string functions see it.
pub(crate) fn go_string(value: &Value) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    match value.as_str() {
        Some(s) => s.to_string(),
        None => to_json(value)
            .map(|j| go_display(&j))
            .unwrap_or_else(|_| value.to_string()),
    }
}

/// Go's `fmt.Sprint` (`%v`) of a value: `map[a:1 b:[x y]]`, `<nil>`, floats as `%g`.
pub(crate) fn go_display(value: &Json) -> String {
    match value {
        Json::Null => "<nil>".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::String(s) => s.clone(),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => crate::goyaml::go_format_g(f),
            _ => n.to_string(),
        },
        Json::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(go_display).collect::<Vec<_>>().join(" ")
            )
        }
        Json::Object(map) => format!(
            "map[{}]",
            map.iter()
                .map(|(k, v)| format!("{k}:{}", go_display(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Sprig's `int`: floats truncate toward zero, strings parse (0 when they do not), booleans are 1/0.
pub(crate) fn go_int(value: &Value) -> i64 {
    if let Some(i) = value.as_i64() {
        return i;
    }
    if let Some(f) = value.as_f64() {
        return f.trunc() as i64;
    }
    if let Some(b) = value.as_bool() {
        return i64::from(b);
    }
    if let Some(s) = value.as_str() {
        let t = s.trim();
        return t
            .parse::<i64>()
            .ok()
            .or_else(|| t.parse::<f64>().ok().map(|f| f.trunc() as i64))
            .unwrap_or(0);
    }
    0
}
