//! String filters: `indent`, `nindent`, `quote`, `squote`, `toString`, Sprig's `int`, `str`,
//! `len`, `join` and `title`, `b64enc`, `b64dec`, `sha256sum`, `trunc`, `trimSuffix`, `trimPrefix`.
//!
//! May import: `tera`, `base64`, `serde_json`, `engine::convert` and `crate::util::digest` only.

use base64::Engine as _;
use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::engine::convert::{error, go_int, go_string};
use crate::util::digest::sha256_hex;

pub(super) fn register(tera: &mut Tera) {
    // --- strings -------------------------------------------------------------------------------
    tera.register_filter(
        "indent",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            Ok(indent_text(&go_string(&v), indent_width(&kw)?))
        },
    );
    tera.register_filter(
        "nindent",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            Ok(format!(
                "\n{}",
                indent_text(&go_string(&v), indent_width(&kw)?)
            ))
        },
    );
    tera.register_filter("quote", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            return String::new();
        }
        serde_json::to_string(&go_string(&v)).unwrap_or_default()
    });
    tera.register_filter("squote", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            return String::new();
        }
        format!("'{}'", go_string(&v))
    });
    tera.register_filter("toString", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            "<nil>".to_string()
        } else {
            go_string(&v)
        }
    });
    // Sprig's versions of names Tera also has: `int` truncates, `join` prints Go's way and skips
    // nulls, `title` only upper-cases the first letter of each word.
    tera.register_filter("int", |v: Value, _: Kwargs, _: &State| -> i64 {
        go_int(&v)
    });
    tera.register_filter("str", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            "<nil>".to_string()
        } else {
            go_string(&v)
        }
    });
    // Go's `len`: bytes of a string, items of a list or map (Tera's `length` counts characters).
    tera.register_filter("len", |v: Value, _: Kwargs, _: &State| -> usize {
        match v.as_str() {
            Some(s) => s.len(),
            None => v.len().unwrap_or(0),
        }
    });
    tera.register_filter(
        "join",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let sep: String = kw.get("sep")?.unwrap_or_default();
            let items = match v.as_array() {
                Some(items) => items
                    .iter()
                    .filter(|i| !i.is_none() && !i.is_undefined())
                    .map(go_string)
                    .collect::<Vec<_>>(),
                None => vec![go_string(&v)],
            };
            Ok(items.join(&sep))
        },
    );
    tera.register_filter("title", |v: Value, _: Kwargs, _: &State| -> String {
        let mut out = String::new();
        let mut previous_is_letter = false;
        for c in go_string(&v).chars() {
            if !previous_is_letter && c.is_alphabetic() {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            previous_is_letter = c.is_alphanumeric() || c == '_' || c == '\'';
        }
        out
    });
    tera.register_filter("b64enc", |v: Value, _: Kwargs, _: &State| -> String {
        base64::engine::general_purpose::STANDARD.encode(go_string(&v))
    });
    tera.register_filter(
        "b64dec",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<String> {
            // Go's decoder skips line breaks (PEM-style wrapped data).
            let compact: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| error(format!("b64dec: {e}")))?;
            String::from_utf8(bytes).map_err(|_| error("b64dec: the decoded data is not UTF-8"))
        },
    );
    tera.register_filter("sha256sum", |v: Value, _: Kwargs, _: &State| -> String {
        sha256_hex(go_string(&v).as_bytes())
    });
    tera.register_filter(
        "trunc",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            // Helm counts bytes; a cut inside a character moves to the character's edge so that
            // the output stays valid UTF-8.
            let s = go_string(&v);
            let n: i64 = kw.must_get("n")?;
            let len = s.len() as i64;
            Ok(if n >= 0 {
                s[..floor_char_boundary(&s, n.min(len) as usize)].to_string()
            } else {
                let mut start = (len + n).max(0) as usize;
                while start < s.len() && !s.is_char_boundary(start) {
                    start += 1;
                }
                s[start..].to_string()
            })
        },
    );
    tera.register_filter(
        "trimSuffix",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let suffix: String = kw.must_get("suffix")?;
            let s = go_string(&v);
            Ok(s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string())
        },
    );
    tera.register_filter(
        "trimPrefix",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let prefix: String = kw.must_get("prefix")?;
            let s = go_string(&v);
            Ok(s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string())
        },
    );
}

fn indent_text(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

const MAX_INDENT: i64 = 1024;

fn indent_width(kwargs: &Kwargs) -> TeraResult<usize> {
    let n: i64 = kwargs.must_get("n")?;
    if !(0..=MAX_INDENT).contains(&n) {
        return Err(error(format!(
            "indent width {n} is outside 0..={MAX_INDENT}"
        )));
    }
    Ok(n as usize)
}

/// The byte index at or before `i` that starts a character.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
