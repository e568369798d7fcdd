//! Defaults and failures: `default`, `required`, `fail`, the `empty` test, and `dig` (a nested
//! value or a default).
//!
//! May import: `tera` and `engine::convert` only.

use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::engine::convert::error;

pub(super) fn register(tera: &mut Tera) {
    // --- defaults and failures -----------------------------------------------------------------
    tera.register_filter(
        "default",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<Value> {
            let fallback: Value = kw.must_get("value")?;
            Ok(if is_empty(&v) { fallback } else { v })
        },
    );
    tera.register_filter(
        "required",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<Value> {
            let msg: String = kw
                .get("msg")?
                .unwrap_or_else(|| "a required value is missing".to_string());
            if v.is_undefined() || v.is_none() || v.as_str() == Some("") {
                return Err(error(msg));
            }
            Ok(v)
        },
    );
    tera.register_function("fail", |kw: Kwargs, _: &State| -> TeraResult<String> {
        let msg: String = kw.must_get("msg")?;
        Err(error(msg))
    });
    tera.register_test("empty", |v: Value, _: Kwargs, _: &State| -> bool {
        is_empty(&v)
    });
    tera.register_filter(
        "dig",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<Value> {
            let path: String = kw.must_get("path")?;
            let fallback: Value = kw.get("default")?.unwrap_or_else(Value::none);
            Ok(v.get_from_path(&path)
                .filter(|found| !found.is_undefined())
                .cloned()
                .unwrap_or(fallback))
        },
    );
}

/// Helm's notion of an empty value (for `default`, `required` and `is empty`).
fn is_empty(value: &Value) -> bool {
    if value.is_undefined() || value.is_none() {
        return true;
    }
    if let Some(b) = value.as_bool() {
        return !b;
    }
    if let Some(s) = value.as_str() {
        return s.is_empty();
    }
    if let Some(n) = value.as_f64() {
        return n == 0.0;
    }
    value.len() == Some(0)
}
