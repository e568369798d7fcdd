//! JSON text as Go's `encoding/json` `Marshal` writes it, for the digests that must match Helm's
//! (`Chart.lock`, the OCI config blob).
//!
//! May import: the standard library and `serde_json` only.

use serde_json::Value;

/// Go's `json.Marshal` of a JSON value: compact, `<`, `>`, `&`, U+2028 and U+2029 escaped.
/// Object keys come out in the map's order (sorted, as Go sorts map keys).
pub(crate) fn encode(value: &Value) -> String {
    go_html_escape(serde_json::to_string(value).unwrap_or_default())
}

/// Go's `json.Marshal` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; they can only
/// occur inside strings in serialised JSON, so a textual replacement is exact.
pub(crate) fn go_html_escape(json: String) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}
