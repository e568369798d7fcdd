//! Serialisation filters: `toYaml`, `toJson`, `toPrettyJson`, `fromYaml`, `fromYamlArray`,
//! `fromJson`.
//!
//! May import: `tera`, `serde_json`, `engine::convert`, `engine::gojson`, `crate::util::gojson` and
//! `crate::yaml` only.

use serde_json::Value as Json;
use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::engine::convert::{error, from_json, to_json};
use crate::engine::gojson::go_json;
use crate::util::gojson::go_html_escape;

pub(super) fn register(tera: &mut Tera) {
    // --- serialisation -------------------------------------------------------------------------
    tera.register_filter(
        "toYaml",
        |v: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            let json = to_json(&v)?;
            // Helm trims exactly one trailing newline.
            let text = crate::yaml::to_string(&json);
            Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
        },
    );
    tera.register_filter(
        "toJson",
        |v: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            go_json(&to_json(&v)?, false).map(go_html_escape)
        },
    );
    tera.register_filter(
        "toPrettyJson",
        |v: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            go_json(&to_json(&v)?, true).map(go_html_escape)
        },
    );
    tera.register_filter(
        "fromYaml",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
            let v = crate::yaml::manifest_from_str(s, "fromYaml input")
                .map_err(|e| error(e.to_string()))?;
            match v {
                Json::Object(_) => Ok(from_json(&v)),
                Json::Null => Ok(from_json(&Json::Object(Default::default()))),
                _ => Err(error(
                    "fromYaml: the input is not a YAML mapping (use fromYamlArray for lists)",
                )),
            }
        },
    );
    tera.register_filter(
        "fromYamlArray",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
            let v = crate::yaml::manifest_from_str(s, "fromYamlArray input")
                .map_err(|e| error(e.to_string()))?;
            match v {
                Json::Array(_) => Ok(from_json(&v)),
                _ => Err(error("fromYamlArray: the input is not a YAML list")),
            }
        },
    );
    tera.register_filter(
        "fromJson",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
            let v: Json = serde_json::from_str(s).map_err(|e| error(format!("fromJson: {e}")))?;
            Ok(from_json(&v))
        },
    );
}
