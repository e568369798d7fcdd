//! Functions about the cluster and versions: `lookup` (through the engine's [`Lookup`], empty
//! without a cluster) and `semverCompare`.
//!
//! May import: `tera`, `serde_json`, `engine::convert`, the engine's `Lookup` trait and
//! `crate::constraint` only.

use std::sync::Arc;

use serde_json::Value as Json;
use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::engine::Lookup;
use crate::engine::convert::{error, from_json};

pub(super) fn register(tera: &mut Tera, lookup: Option<Arc<dyn Lookup>>) {
    // --- cluster, versions, randomness -----------------------------------------------------------
    tera.register_function(
        "lookup",
        move |kw: Kwargs, _: &State| -> TeraResult<Value> {
            // Without a cluster `lookup` is empty, as with `helm template`.
            let Some(lookup) = &lookup else {
                return Ok(from_json(&Json::Object(Default::default())));
            };
            let arg = |key: &str| -> TeraResult<String> {
                Ok(kw.get::<String>(key)?.unwrap_or_default())
            };
            let (api_version, kind) = (arg("apiVersion")?, arg("kind")?);
            let (namespace, name) = (arg("namespace")?, arg("name")?);
            lookup
                .lookup(&api_version, &kind, &namespace, &name)
                .map(|v| from_json(&v))
                .map_err(|e| {
                    error(format!(
                        "lookup {api_version} {kind} {namespace}/{name}: {e}"
                    ))
                })
        },
    );
    tera.register_function(
        "semverCompare",
        |kw: Kwargs, _: &State| -> TeraResult<bool> {
            let constraint: String = kw.must_get("constraint")?;
            let version: String = kw.must_get("version")?;
            crate::constraint::semver_compare(&constraint, &version)
                .map_err(|e| error(e.to_string()))
        },
    );
}
