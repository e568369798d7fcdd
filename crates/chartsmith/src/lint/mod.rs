//! `lint`: rendered manifests against the Kubernetes schemas of a chosen version (issue 4,
//! layer 2, see [`LintOptions::kube_version`]) and cross-resource rules (layer 3).
//!
//! The chart is rendered as `template` renders it (values schemas are checked on the way), each
//! manifest is parsed, and every [rule](RULES) runs on the whole set of documents, so a Service is
//! checked against the pod templates of the same release. Each finding is a [`Diagnostic`] naming
//! the template, the line of the offending field in the rendered document, the resource, a message
//! and a fix hint. A rule can be turned off per chart with the `Chart.yaml` annotation
//! `chartsmith.dev/lint-disable: "rule-a,rule-b"` or the chart's [lint config file](CONFIG_FILE).
//! Custom resources are validated against the `openAPIV3Schema` of the CRDs the chart ships.
//!
//! ```
//! use chartsmith::{chart::loader, lint::{lint, LintOptions}};
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/charts/doctest");
//! let chart = loader::load(dir)?;
//! let report = lint(&chart, &Default::default(), &LintOptions::default())?;
//! for d in &report.diagnostics {
//!     println!("{}[{}]: {}", d.severity, d.rule, d.message);
//! }
//! # Ok::<(), chartsmith::Error>(())
//! ```

mod apiserver;
mod kubernetes;
mod quantity;
mod rules;
#[cfg(test)]
mod tests_kubernetes;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::chart::Chart;
use crate::template::{Rendered, TemplateError, TemplateOptions, template};
use crate::values::Values;
use crate::yaml::YamlError;

type Result<T, E = LintError> = std::result::Result<T, E>;

pub use kubernetes::supported_versions as supported_kube_versions;
pub use rules::{Document, check_documents, check_values_credentials};

/// The `Chart.yaml` annotation listing the rules turned off for a chart (comma-separated ids).
pub const DISABLE_ANNOTATION: &str = "chartsmith.dev/lint-disable";
/// The annotation (`"true"`) on a workload whose referenced ConfigMaps and Secrets are managed
/// outside the chart.
pub const EXTERNAL_ANNOTATION: &str = "chartsmith.dev/external";

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The release will not work as written.
    Error,
    /// Works, but is a known trap; an error with `--strict`.
    Warning,
    /// For information only.
    Info,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// A rule: its id, severity, what it checks and how to fix a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The id (`service-selector-matches-nothing`).
    pub id: &'static str,
    /// The severity of its findings.
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: &'static str,
    /// How to fix it.
    pub hint: &'static str,
}

/// Every rule, in the order of the book's chapter.
pub const RULES: &[Rule] = &[
    Rule {
        id: "kubernetes-schema",
        severity: Severity::Error,
        summary: "a rendered document does not match the Kubernetes schema of its apiVersion/kind (unknown field, wrong type, missing required field)",
        hint: "fix the field named in the message; the schema is the one of the Kubernetes version chosen with --kube-version",
    },
    Rule {
        id: "api-server-validation",
        severity: Severity::Error,
        summary: "a rendered document breaks a rule the API server's validation enforces (a name, label or port-name format, an enum, a quantity, a cross-field rule)",
        hint: "fix the field named in the message; each finding's hint says how",
    },
    Rule {
        id: "removed-api-version",
        severity: Severity::Error,
        summary: "a document uses an apiVersion the chosen Kubernetes version no longer serves",
        hint: "change apiVersion to the one named in the message",
    },
    Rule {
        id: "unknown-kind",
        severity: Severity::Info,
        summary: "a document's apiVersion/kind is neither built in nor defined by a CRD of the chart: it is skipped, not validated",
        hint: "ship the CustomResourceDefinition in the chart's crds/ directory, or check the apiVersion and kind for typos",
    },
    Rule {
        id: "service-selector-matches-nothing",
        severity: Severity::Error,
        summary: "a Service selector selects no pod template of the release",
        hint: "make spec.selector a subset of the pod template labels of the workload it fronts",
    },
    Rule {
        id: "service-target-port-not-exposed",
        severity: Severity::Error,
        summary: "a Service targetPort (number or name) is not a port of any selected container",
        hint: "point targetPort at a containerPort (or a port name) declared by the selected containers",
    },
    Rule {
        id: "probe-port-not-exposed",
        severity: Severity::Error,
        summary: "a probe checks a port its container does not declare",
        hint: "probe a port listed in the container's ports (by number or by name)",
    },
    Rule {
        id: "http-probe-on-database-port",
        severity: Severity::Error,
        summary: "an HTTP probe targets a port serving a database protocol (3306, 5432, 27017, 6379)",
        hint: "use a tcpSocket probe (or an exec probe such as mysqladmin ping) for database ports",
    },
    Rule {
        id: "image-tag-mutable",
        severity: Severity::Warning,
        summary: "a container image has no tag or uses `latest`",
        hint: "pin the image to a version tag (mysql:8.0) or a digest (@sha256:...)",
    },
    Rule {
        id: "env-literal-ip",
        severity: Severity::Warning,
        summary: "an environment variable holds a literal IPv4 address where a Service name belongs",
        hint: "use the Service's DNS name (SERVICE or SERVICE.NAMESPACE.svc): cluster IPs change when Services are recreated",
    },
    Rule {
        id: "hpa-target-without-cpu-requests",
        severity: Severity::Error,
        summary: "a HorizontalPodAutoscaler scales on CPU a workload with a container without CPU requests",
        hint: "set resources.requests.cpu on every container of the target workload: CPU utilisation is a percentage of the request",
    },
    Rule {
        id: "node-port-out-of-range",
        severity: Severity::Error,
        summary: "a Service nodePort is outside the default range 30000-32767",
        hint: "choose a nodePort between 30000 and 32767, or leave it empty to let Kubernetes pick one",
    },
    Rule {
        id: "host-path-volume",
        severity: Severity::Warning,
        summary: "a volume mounts a directory of the node (hostPath)",
        hint: "use a PersistentVolumeClaim, emptyDir or ConfigMap; keep hostPath to single-node development clusters",
    },
    Rule {
        id: "config-reference-not-rendered",
        severity: Severity::Error,
        summary: "a ConfigMap or Secret is referenced but not rendered by the release",
        hint: "render it in the chart, fix the name, mark it optional, or mark the workload with the annotation chartsmith.dev/external: \"true\" when it is managed outside the chart",
    },
    Rule {
        id: "credentials-in-values",
        severity: Severity::Error,
        summary: "a credential has a plain non-empty default in the chart's values.yaml",
        hint: "default it to \"\" and require it (or read an existing Secret); pass real values with --set or a values file kept out of version control",
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule id.
    pub rule: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// The template (`two-tier/charts/mysql-chart/templates/deployment.yaml`) or values file
    /// (`mysql-chart/values.yaml`).
    pub file: String,
    /// 1-based line in the rendered document (or values file), when found.
    pub line: Option<usize>,
    /// 1-based column, when found.
    pub column: Option<usize>,
    /// The resource (`Deployment/demo-mysql`), for findings in manifests.
    pub resource: Option<String>,
    /// What is wrong. Never contains a credential.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// The rendered source line, for display (empty for values files, which may hold secrets).
    #[serde(skip)]
    pub snippet: Option<String>,
}

impl Diagnostic {
    pub(crate) fn new(rule_id: &'static str, file: &str, message: String) -> Diagnostic {
        let (severity, hint) = match rule(rule_id) {
            Some(r) => (r.severity, r.hint.to_string()),
            None => (Severity::Error, String::new()),
        };
        Diagnostic {
            rule: rule_id,
            severity,
            file: file.to_string(),
            line: None,
            column: None,
            resource: None,
            message,
            hint,
            snippet: None,
        }
    }
}

/// Options for [`lint`].
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// How to render the chart (release, capabilities, limits).
    pub template: TemplateOptions,
    /// Names of ConfigMaps and Secrets managed outside the chart (`NAME`, `ConfigMap/NAME` or
    /// `Secret/NAME`): references to them are not findings.
    pub external: Vec<String>,
    /// Rule ids turned off for this run, in addition to the charts' annotations.
    pub disabled: Vec<String>,
    /// The Kubernetes version whose schemas the documents are checked against; `None`: the
    /// version of the rendering capabilities (`template.capabilities`, default v1.35.0). A minor
    /// version without embedded schemas uses the nearest one ([`supported_kube_versions`]).
    pub kube_version: Option<semver::Version>,
}

/// The findings for one chart.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LintReport {
    /// The chart's name.
    pub chart: String,
    /// Findings, by file and line.
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    /// Findings that fail the lint: errors, and warnings too when `strict`.
    pub fn failures(&self, strict: bool) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| {
                d.severity == Severity::Error || (strict && d.severity == Severity::Warning)
            })
            .count()
    }
}

/// Renders `chart` with `user_values` and runs every rule on the result ([`validate`]).
pub fn lint(chart: &Chart, user_values: &Values, options: &LintOptions) -> Result<LintReport> {
    let rendered = template(chart, user_values, &options.template)?;
    validate(chart, &rendered, options)
}

/// Runs every rule on `rendered`, the result of rendering `chart` with `options.template`
/// (`chartsmith template --validate` renders once, validates, then prints). `chart` is the chart
/// as loaded: its `values.yaml` files, annotations and [lint config files](CONFIG_FILE), of every
/// subchart (also those a condition disables), are read from it.
pub fn validate(chart: &Chart, rendered: &Rendered, options: &LintOptions) -> Result<LintReport> {
    let mut disabled = Vec::new();
    let mut external = options.external.clone();
    collect_disabled(chart, chart.name(), &mut disabled, &mut external)?;

    let mut documents = Vec::new();
    for m in rendered.manifests.iter().chain(&rendered.hooks) {
        let value = crate::yaml::manifest_from_str(&m.content, &m.source)?;
        if value.is_object() {
            documents.push(Document::new(m, value));
        }
    }
    let mut diagnostics = check_documents(&documents, &external);
    let mut crds = Vec::new();
    for (path, content) in &rendered.crds {
        for part in split_documents(content) {
            if let Ok(value) = crate::yaml::manifest_from_str(part, path) {
                crds.push(value);
            }
        }
    }
    let custom = kubernetes::custom_kinds(documents.iter().map(|d| &d.value).chain(&crds));
    let kube_version = options
        .kube_version
        .as_ref()
        .unwrap_or(&options.template.capabilities.kube_version);
    diagnostics.extend(kubernetes::check(&documents, kube_version.minor, &custom));
    diagnostics.extend(apiserver::check(&documents));
    // The chart's own defaults, as written (not the computed values): the original chart, so a
    // subchart disabled by a condition is still checked.
    collect_values_findings(chart, chart.name(), &mut diagnostics);

    diagnostics.retain(|d| {
        !options.disabled.iter().any(|r| r == d.rule)
            && !disabled.iter().any(|(prefix, rules)| {
                (d.file.starts_with(&format!("{prefix}/"))) && rules.contains(d.rule)
            })
    });
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.rule).cmp(&(&b.file, b.line, b.rule)));
    diagnostics.dedup();
    Ok(LintReport {
        chart: chart.name().to_string(),
        diagnostics,
    })
}

/// Every manifest rule on documents that did not come from a chart (a directory of manifests,
/// another tool's output): the Kubernetes schemas of `kube_version`, the API server's validation
/// and the cross-resource rules, as [`validate`] runs them. Custom kinds are checked against the
/// CRDs among `documents`.
pub fn check_manifests(
    documents: &[Document],
    kube_version: &semver::Version,
    external: &[String],
) -> Vec<Diagnostic> {
    let mut diagnostics = check_documents(documents, external);
    let custom = kubernetes::custom_kinds(documents.iter().map(|d| &d.value));
    diagnostics.extend(kubernetes::check(documents, kube_version.minor, &custom));
    diagnostics.extend(apiserver::check(documents));
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.rule).cmp(&(&b.file, b.line, b.rule)));
    diagnostics.dedup();
    diagnostics
}

/// Why a chart could not be linted: it does not render, a rendered document is not YAML, or a
/// lint config file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// The chart could not be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A rendered document or a lint config file is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// The file is not YAML of the expected shape.
    #[error("{file}: {message}")]
    Config {
        /// The file (`mychart/.chartsmith-lint.yaml`).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The file disables a rule that does not exist.
    #[error("{file}: unknown lint rule `{rule}` in `disable` (rules: {known})")]
    UnknownRule {
        /// The file (`mychart/.chartsmith-lint.yaml`).
        file: String,
        /// The id as written.
        rule: String,
        /// The known ids, comma-separated.
        known: String,
    },
}

/// The lint config file at a chart's root: `disable` (rule ids turned off for the chart and its
/// subcharts) and `external` (`NAME`, `ConfigMap/NAME` or `Secret/NAME`, managed outside the
/// chart). Read from the chart's files, so it works for archives too; merged with the
/// [`DISABLE_ANNOTATION`] and [`LintOptions`].
pub const CONFIG_FILE: &str = ".chartsmith-lint.yaml";

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LintConfig {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    external: Vec<String>,
}

fn read_config(chart: &Chart, prefix: &str) -> Result<Option<LintConfig>> {
    let Some(file) = chart.files.iter().find(|f| f.name == CONFIG_FILE) else {
        return Ok(None);
    };
    let path = format!("{prefix}/{CONFIG_FILE}");
    let bad = |message: String| LintError::Config {
        file: path.clone(),
        message,
    };
    let text = std::str::from_utf8(&file.data).map_err(|e| bad(e.to_string()))?;
    let value = crate::yaml::from_str(text, &path)?;
    if value.is_null() {
        return Ok(Some(LintConfig::default()));
    }
    let config: LintConfig = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    if let Some(unknown) = config.disable.iter().find(|id| rule(id.trim()).is_none()) {
        return Err(LintError::UnknownRule {
            file: path,
            rule: unknown.clone(),
            known: RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", "),
        });
    }
    Ok(Some(config))
}

/// The documents of a multi-document YAML file (split on `---` lines).
fn split_documents(content: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in content.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            parts.push(&content[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    parts.push(&content[start..]);
    parts.retain(|p| !p.trim().is_empty());
    parts
}

fn collect_values_findings(chart: &Chart, prefix: &str, out: &mut Vec<Diagnostic>) {
    let file = format!("{prefix}/values.yaml");
    out.extend(check_values_credentials(
        &chart.values,
        chart.raw_values.as_deref().unwrap_or(""),
        &file,
    ));
    for sub in &chart.dependencies {
        collect_values_findings(sub, &format!("{prefix}/charts/{}", sub.name()), out);
    }
}

/// The rules disabled per chart (annotation and config file, by file prefix) and the external
/// names of the config files.
fn collect_disabled(
    chart: &Chart,
    prefix: &str,
    out: &mut Vec<(String, BTreeSet<String>)>,
    external: &mut Vec<String>,
) -> Result<()> {
    let mut rules: BTreeSet<String> = BTreeSet::new();
    if let Some(list) = chart.metadata.annotations.get(DISABLE_ANNOTATION) {
        rules.extend(
            list.split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
        );
    }
    if let Some(config) = read_config(chart, prefix)? {
        rules.extend(config.disable.iter().map(|r| r.trim().to_string()));
        external.extend(config.external);
    }
    if !rules.is_empty() {
        out.push((prefix.to_string(), rules));
    }
    for sub in &chart.dependencies {
        collect_disabled(
            sub,
            &format!("{prefix}/charts/{}", sub.name()),
            out,
            external,
        )?;
    }
    Ok(())
}

/// A JSON view of diagnostics: a list of objects with file, line, column, rule, severity,
/// resource, message and hint.
pub fn to_json(diagnostics: &[Diagnostic]) -> Value {
    serde_json::to_value(diagnostics).unwrap_or(Value::Null)
}
