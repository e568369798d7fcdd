//! Helm's template functions as Tera filters and functions: the table of their chartsmith
//! spellings, the Tera instance that holds every template with them registered, and rendering one
//! template under the output budget. Each family of functions lives in its own submodule.
//!
//! May import: the engine's root (`RenderError`, `Lookup`), `engine::budget`, its own submodules,
//! `tera` and `crate::chart::File`; the submodules never import this file.

mod cluster;
mod collections;
mod defaults;
mod files;
mod partials;
mod patterns;
mod random;
mod serialize;
mod strings;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, Weak};

use tera::Tera;

use super::budget::{LimitedWriter, describe, output_exceeded};
use super::{Lookup, RenderError};
use crate::chart::File;

/// Helm functions and their chartsmith spelling, for documentation and `show` output.
pub const HELM_FUNCTIONS: &[(&str, &str)] = &[
    ("include \"name\" .", "<name/>  or  include(name=\"name\")"),
    ("toYaml", "| toYaml"),
    ("toJson", "| toJson"),
    ("toPrettyJson", "| toPrettyJson"),
    ("fromYaml", "| fromYaml"),
    ("fromYamlArray", "| fromYamlArray"),
    ("fromJson", "| fromJson"),
    ("indent N", "| indent(n=N)"),
    ("nindent N", "| nindent(n=N)"),
    ("quote", "| quote"),
    ("squote", "| squote"),
    ("b64enc", "| b64enc"),
    ("b64dec", "| b64dec"),
    ("sha256sum", "| sha256sum"),
    ("trunc N", "| trunc(n=N)"),
    ("trimSuffix S", "| trimSuffix(suffix=S)"),
    ("trimPrefix S", "| trimPrefix(prefix=S)"),
    ("default D", "| default(value=D)"),
    ("required MSG", "| required(msg=MSG)"),
    ("fail MSG", "fail(msg=MSG)"),
    ("tpl S .", "| tpl"),
    ("lookup", "lookup(apiVersion=, kind=, namespace=, name=)"),
    (
        "semverCompare C V",
        "semverCompare(constraint=C, version=V)",
    ),
    ("randAlphaNum N", "randAlphaNum(n=N)"),
    ("toString", "| toString"),
    ("len", "| len"),
    ("regexMatch RE S", "S | regexMatch(regex=RE)"),
    ("regexFind RE S", "S | regexFind(regex=RE)"),
    (
        "regexReplaceAll RE S R",
        "S | regexReplaceAll(regex=RE, replacement=R)",
    ),
    (
        "dig \"a\" \"b\" D .Values",
        "Values | dig(path=\"a.b\", default=D)",
    ),
    ("empty", "is empty"),
    (".Files.Get", "filesGet(path=)"),
    (".Files.Glob", "filesGlob(pattern=)"),
    (".Files.AsConfig", "filesAsConfig(pattern=)"),
    (".Files.AsSecrets", "filesAsSecrets(pattern=)"),
    (".Files.Lines", "filesLines(path=)"),
];

/// Renders one template with the output budget applied.
pub(super) fn render_template(
    tera: &Tera,
    name: &str,
    ctx: &tera::Context,
) -> Result<String, RenderError> {
    let mut buffer = Vec::new();
    tera.render_to(name, ctx, LimitedWriter { inner: &mut buffer })
        .map_err(|e| {
            let message = match output_exceeded() {
                Some(limit) => format!("the rendered output exceeds the limit of {limit} bytes"),
                None => describe(&e),
            };
            RenderError::Render {
                template: name.to_string(),
                message,
            }
        })?;
    String::from_utf8(buffer).map_err(|_| RenderError::Render {
        template: name.to_string(),
        message: "the output is not valid UTF-8".into(),
    })
}

/// Builds the Tera instance holding every template, with Helm's functions registered.
pub(super) fn build_tera(
    sources: &[(String, String)],
    files: BTreeMap<String, Arc<Vec<File>>>,
    lookup: Option<Arc<dyn Lookup>>,
) -> Result<Arc<Tera>, RenderError> {
    let mut tera = Tera::new();
    // Manifests are YAML: never HTML-escape.
    tera.autoescape_on(Vec::<&'static str>::new());
    let handle: Arc<OnceLock<Weak<Tera>>> = Arc::new(OnceLock::new());
    register(&mut tera, &handle, Arc::new(files), lookup);
    tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        .map_err(|e| {
            let message = e.to_string();
            let template = sources
                .iter()
                .map(|(n, _)| n)
                .find(|n| message.contains(&format!("--> {n}:")))
                .cloned()
                .unwrap_or_else(|| "templates".to_string());
            RenderError::Parse { template, message }
        })?;
    let tera = Arc::new(tera);
    let _ = handle.set(Arc::downgrade(&tera));
    Ok(tera)
}

/// Registers every function, family by family, in a fixed order.
fn register(
    tera: &mut Tera,
    handle: &Arc<OnceLock<Weak<Tera>>>,
    files: Arc<BTreeMap<String, Arc<Vec<File>>>>,
    lookup: Option<Arc<dyn Lookup>>,
) {
    serialize::register(tera);
    strings::register(tera);
    defaults::register(tera);
    patterns::register(tera);
    partials::register(tera, handle);
    cluster::register(tera, lookup);
    random::register(tera);
    collections::register(tera);
    files::register(tera, files);
}
