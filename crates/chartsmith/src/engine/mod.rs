//! The template engine: Tera with Helm's built-in objects and functions.
//!
//! Every template of a chart and of its subcharts is parsed into one Tera instance, named by its
//! path (`mychart/templates/deployment.yaml`, `mychart/charts/db/templates/_helpers.tpl`), so named
//! partials (Tera components) defined in any of them are usable from all of them, as Helm's
//! `define`/`include` are. Each template sees the objects Helm gives it: `Values` (scoped to its
//! chart), `Release`, `Chart`, `Capabilities` and `Template`; files are read with `filesGet` and
//! friends. Templates are sandboxed: no environment, no network, no file outside the chart, and the
//! output size, nesting depth and loop work are bounded ([`RenderLimits`]).

mod budget;
mod convert;
mod cycles;
mod functions;
mod gojson;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::chart::{Chart, File};
use crate::util::text::{escape, escape_multiline, quote};
use crate::values::Values;

pub use budget::RenderLimits;
pub use functions::HELM_FUNCTIONS;

/// The release a chart is rendered for (Helm's `.Release`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Target namespace.
    pub namespace: String,
    /// Revision number (1 on install).
    pub revision: u64,
    /// Whether this is an install.
    pub is_install: bool,
    /// Whether this is an upgrade.
    pub is_upgrade: bool,
    /// The service rendering it (`chartsmith`).
    pub service: String,
}

impl Default for Release {
    fn default() -> Self {
        Release {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            service: "chartsmith".into(),
        }
    }
}

impl Release {
    /// Checks the name as Helm does: at most 53 characters of a DNS-1123 subdomain.
    pub fn validate_name(name: &str) -> Result<(), String> {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if name.is_empty() || name.len() > 53 || !name.split('.').all(label_ok) {
            return Err(format!(
                "invalid release name `{name}`: use at most 53 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
            ));
        }
        Ok(())
    }

    fn to_value(&self) -> Value {
        json!({
            "Name": self.name, "Namespace": self.namespace, "Revision": self.revision,
            "IsInstall": self.is_install, "IsUpgrade": self.is_upgrade, "Service": self.service,
        })
    }
}

/// What the target cluster offers (Helm's `.Capabilities`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Kubernetes version, normalised to `vMAJOR.MINOR.PATCH` (plus any pre-release).
    pub kube_version: semver::Version,
    /// Available API versions (`apps/v1`, and `apps/v1/Deployment` forms).
    pub api_versions: Vec<String>,
}

/// The Kubernetes version assumed when none is given: the one real Helm 4.1 assumes.
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";

const DEFAULT_API_VERSIONS: &str = include_str!("api_versions.txt");

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            kube_version: semver::Version::new(1, 35, 0),
            api_versions: DEFAULT_API_VERSIONS.lines().map(str::to_string).collect(),
        }
    }
}

impl Capabilities {
    /// Capabilities for `--kube-version` (`1.29`, `v1.29.3`) plus extra `--api-versions`.
    pub fn new(
        kube_version: Option<&str>,
        extra_api_versions: &[String],
    ) -> Result<Self, CapabilitiesError> {
        let mut caps = Capabilities::default();
        if let Some(v) = kube_version {
            caps.kube_version = crate::constraint::parse_version(v)
                .map_err(|_| CapabilitiesError::InvalidKubeVersion(v.to_string()))?;
        }
        for api in extra_api_versions {
            for part in api.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if !caps.api_versions.iter().any(|a| a == part) {
                    caps.api_versions.push(part.to_string());
                }
            }
        }
        Ok(caps)
    }

    /// `v1.35.0`.
    pub fn git_version(&self) -> String {
        format!("v{}", self.kube_version)
    }

    fn to_value(&self) -> Value {
        json!({
            "KubeVersion": {
                "Version": self.git_version(),
                "GitVersion": self.git_version(),
                "Major": self.kube_version.major.to_string(),
                "Minor": self.kube_version.minor.to_string(),
            },
            "APIVersions": self.api_versions,
            "HelmVersion": { "Version": "v4.1.4" },
            "ChartsmithVersion": env!("CARGO_PKG_VERSION"),
        })
    }
}

/// Why [`Capabilities::new`] refused its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilitiesError {
    /// `--kube-version` is not a version.
    #[error("invalid Kubernetes version `{}`: expected a version such as 1.29 or v1.29.3", quote(.0))]
    InvalidKubeVersion(String),
}

/// A template that failed to parse or render.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A template has a syntax error or references an unknown filter, function or component.
    #[error("parse error in {}:\n{}", escape(.template), escape_multiline(.message))]
    Parse {
        /// The template path (`chart/templates/x.yaml`), or several when Tera reports together.
        template: String,
        /// Tera's report, with line, column and a snippet.
        message: String,
    },
    /// Rendering failed: an undefined variable, `required`, `fail`, a limit…
    #[error("error rendering {}:\n{}", escape(.template), escape_multiline(.message))]
    Render {
        /// The template path.
        template: String,
        /// What went wrong, with line and column where known.
        message: String,
    },
}

/// The rendered text of every template, keyed by template path, and the top chart's notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedFiles {
    /// Template path → rendered text (partials and `NOTES.txt` excluded).
    pub files: BTreeMap<String, String>,
    /// The top-level chart's rendered `NOTES.txt`.
    pub notes: Option<String>,
}

/// Everything the engine needs about one chart in the tree.
struct ChartScope {
    /// `mychart` or `mychart/charts/sub`.
    prefix: String,
    values: Value,
    chart: Value,
    files: Arc<Vec<File>>,
    library: bool,
    top: bool,
}

fn collect_scopes(
    chart: &Chart,
    values: &Values,
    prefix: String,
    top: bool,
    out: &mut Vec<ChartScope>,
) {
    out.push(ChartScope {
        prefix: prefix.clone(),
        values: Value::Object(values.clone()),
        chart: chart.metadata.to_template_value(),
        files: Arc::new(chart.files.clone()),
        library: chart.is_library(),
        top,
    });
    for sub in &chart.dependencies {
        let sub_values = match values.get(sub.name()) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        collect_scopes(
            sub,
            &sub_values,
            format!("{prefix}/charts/{}", sub.name()),
            false,
            out,
        );
    }
}

/// The boxed error a [`Lookup`] returns.
pub type LookupError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Reads live objects for the templates' `lookup` function (Helm's `lookup`). Read-only. A
/// cluster backend implements it (see `crate::cluster::Target::lookup`); without one, `lookup`
/// returns an empty map, as with `helm template`.
pub trait Lookup: Send + Sync {
    /// The object `namespace/name` of `api_version`/`kind` (an empty map when absent), or every
    /// such object as a `List` when `name` is empty (of every namespace when `namespace` is
    /// empty).
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<serde_json::Value, LookupError>;
}

/// What `lookup` returns for a list (an empty `name`): a `v1` `List` of `items`, as Helm's
/// `lookup` returns it. Every [`Lookup`] builds its lists with this.
pub fn lookup_list(items: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Renders every template of `chart` (already processed by [`crate::values::compute`]) with the
/// computed `values`. `lookup` answers the templates' `lookup` calls (empty when `None`).
pub fn render(
    chart: &Chart,
    values: &Values,
    release: &Release,
    capabilities: &Capabilities,
    limits: &RenderLimits,
    lookup: Option<std::sync::Arc<dyn Lookup>>,
) -> Result<RenderedFiles, RenderError> {
    let mut scopes = Vec::new();
    collect_scopes(chart, values, chart.name().to_string(), true, &mut scopes);
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut owners: Vec<usize> = Vec::new();
    let mut seen_partials = std::collections::HashSet::new();
    for (index, scope) in scopes.iter().enumerate() {
        let chart_ref = find_chart(chart, &scope.prefix);
        for template in &chart_ref.templates {
            let name = format!("{}/{}", scope.prefix, template.name);
            let text =
                String::from_utf8(template.data.clone()).map_err(|_| RenderError::Parse {
                    template: name.clone(),
                    message: "the template is not valid UTF-8".into(),
                })?;
            // A library chart reached through two paths defines the same partials twice; Tera
            // refuses duplicate components, so an identical partial is loaded once.
            let base = template.name.rsplit('/').next().unwrap_or(&template.name);
            if base.starts_with('_') && !seen_partials.insert(text.clone()) {
                continue;
            }
            sources.push((name, text));
            owners.push(index);
        }
    }
    let release_value = release.to_value();
    let caps_value = capabilities.to_value();
    let files_by_chart: BTreeMap<String, Arc<Vec<File>>> = scopes
        .iter()
        .map(|s| (s.prefix.clone(), Arc::clone(&s.files)))
        .collect();
    let limits = *limits;
    let job = move || -> Result<RenderedFiles, RenderError> {
        let tera = functions::build_tera(&sources, files_by_chart, lookup)?;
        let mut out = RenderedFiles::default();
        budget::reset_budget(limits);
        let converted: Vec<(tera::Value, tera::Value)> = scopes
            .iter()
            .map(|s| {
                (
                    tera::Value::from_serializable(&go_number_view(&s.values)),
                    tera::Value::from_serializable(&s.chart),
                )
            })
            .collect();
        let release_tera = tera::Value::from_serializable(&release_value);
        let caps_tera = tera::Value::from_serializable(&caps_value);
        for ((name, _), owner) in sources.iter().zip(&owners) {
            let scope = &scopes[*owner];
            let base = name.rsplit('/').next().unwrap_or(name);
            let is_notes =
                base == "NOTES.txt" && name == &format!("{}/templates/NOTES.txt", scope.prefix);
            if base.starts_with('_') || scope.library {
                continue;
            }
            if is_notes && !scope.top {
                continue;
            }
            // The built-in objects are converted to Tera values once per chart (Tera's maps are
            // reference-counted, so the clones below are cheap): converting the values per
            // template made rendering quadratic in chart size.
            let (values, chart_value) = &converted[*owner];
            let mut ctx = tera::Context::new();
            ctx.insert_value("Values", values.clone());
            ctx.insert_value("Chart", chart_value.clone());
            ctx.insert_value("Release", release_tera.clone());
            ctx.insert_value("Capabilities", caps_tera.clone());
            ctx.insert(
                "Template",
                &json!({"Name": name, "BasePath": format!("{}/templates", scope.prefix)}),
            );
            budget::set_current(&ctx);
            let text = functions::render_template(&tera, name, &ctx).map_err(|e| match e {
                RenderError::Render {
                    template,
                    mut message,
                } if message.contains("Maximum render recursion depth for components") => {
                    let graph = cycles::graph(&sources);
                    let source = sources
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("", |(_, s)| s.as_str());
                    if let Some(cycle) = cycles::find_cycle(&graph, source) {
                        message.push_str(&format!("\ncomponent cycle: {cycle}"));
                    }
                    RenderError::Render { template, message }
                }
                other => other,
            })?;
            if is_notes {
                out.notes = Some(text);
            } else {
                out.files.insert(name.clone(), text);
            }
        }
        Ok(out)
    };
    // Tera renders nested components and includes recursively; a dedicated thread with a large
    // stack keeps the depth limits, not the platform's default stack size, in charge.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("chartsmith-render".into())
        .stack_size(256 << 20)
        .spawn(move || {
            let _ = sender.send(job());
        })
        .map_err(|e| RenderError::Render {
            template: chart.name().to_string(),
            message: e.to_string(),
        })?;
    match receiver.recv_timeout(limits.max_duration) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(RenderError::Render {
            template: chart.name().to_string(),
            message: format!(
                "rendering took longer than the limit of {} s (a loop over large values?)",
                limits.max_duration.as_secs_f64()
            ),
        }),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(RenderError::Render {
            template: chart.name().to_string(),
            message: "the renderer panicked; this is a chartsmith bug".into(),
        }),
    }
}

/// Values as Go templates print them: Helm holds numbers as float64, so a whole float such as
/// `1.0` prints as `1`. Whole floats (below 2^53) become integers in the templates' view.
fn go_number_view(value: &Value) -> Value {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                Value::from(f as i64)
            }
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(go_number_view).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), go_number_view(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn find_chart<'a>(chart: &'a Chart, prefix: &str) -> &'a Chart {
    let mut current = chart;
    let mut rest = prefix.split_once('/').map(|(_, r)| r).unwrap_or("");
    while let Some(after) = rest.strip_prefix("charts/") {
        let (name, remaining) = after.split_once('/').unwrap_or((after, ""));
        match current.dependencies.iter().find(|c| c.name() == name) {
            Some(sub) => current = sub,
            None => break,
        }
        rest = remaining;
    }
    current
}

#[cfg(test)]
mod tests;
