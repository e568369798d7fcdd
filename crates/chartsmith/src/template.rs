//! The `template` action: compute values, render, split and order manifests as `helm template`.

use crate::chart::Chart;
use crate::constraint::ConstraintError;
use crate::engine::{self, Capabilities, Release, RenderError, RenderLimits};
use crate::manifest::{self, Manifest};
use crate::util::text::{escape, quote};
use crate::values::schema::SchemaError;
use crate::values::{self, Values, ValuesError};

type Result<T, E = TemplateError> = std::result::Result<T, E>;

/// Options for [`template`].
#[derive(Clone, Default)]
pub struct TemplateOptions {
    /// The release the chart is rendered for.
    pub release: Release,
    /// What the target cluster offers.
    pub capabilities: Capabilities,
    /// Bounds on rendering work.
    pub limits: RenderLimits,
    /// Skip checking values against the charts' `values.schema.json` (Helm's
    /// `--skip-schema-validation`).
    pub skip_schema_validation: bool,
    /// What the templates' `lookup` reads (`None`: `lookup` is empty, as with `helm template`).
    pub lookup: Option<std::sync::Arc<dyn engine::Lookup>>,
}

impl std::fmt::Debug for TemplateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateOptions")
            .field("release", &self.release)
            .field("capabilities", &self.capabilities)
            .field("limits", &self.limits)
            .field("skip_schema_validation", &self.skip_schema_validation)
            .field("lookup", &self.lookup.is_some())
            .finish()
    }
}

/// Why the rendered output cannot be produced: the values, their schema, a template, or the
/// assembled manifests.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The values could not be computed.
    #[error(transparent)]
    Values(#[from] ValuesError),
    /// The values violate a `values.schema.json`, or a schema is unusable.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A template failed to parse or render.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The chart's `kubeVersion` is not a valid constraint.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    /// A rendered document is not valid YAML.
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    /// The chart's `kubeVersion` excludes the target Kubernetes version.
    #[error(
        "chart `{}` requires kubeVersion: {}, which is incompatible with Kubernetes {version}",
        quote(.chart),
        quote(.constraint)
    )]
    KubeVersion {
        /// The chart.
        chart: String,
        /// Its constraint.
        constraint: String,
        /// The target version.
        version: String,
    },
    /// The release name is not valid.
    #[error("{}", escape(.0))]
    ReleaseName(String),
    /// A library chart cannot be rendered on its own.
    #[error("chart `{}` is a library chart: library charts are not installable", quote(.0))]
    Library(String),
    /// `--show-only` matched no template.
    #[error("could not find template {} in chart", quote(.0))]
    ShowOnly(String),
}

/// A rendered chart: manifests in install order, hooks, CRDs and notes.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The chart as rendered (disabled subcharts removed).
    pub chart: Chart,
    /// The computed values of the top chart.
    pub values: Values,
    /// CRD files from `crds/` of the chart and its subcharts: (path, content).
    pub crds: Vec<(String, String)>,
    /// Manifests in Helm's install order.
    pub manifests: Vec<Manifest>,
    /// Hooks in kind order.
    pub hooks: Vec<Manifest>,
    /// The top chart's rendered `NOTES.txt`.
    pub notes: Option<String>,
}

impl Rendered {
    /// The output `helm template` prints: `---`, `# Source: PATH` and the document, manifests first
    /// (CRDs before them with `include_crds`), then hooks.
    pub fn to_helm_output(&self, include_crds: bool) -> String {
        let mut main = String::new();
        if include_crds {
            for (path, content) in &self.crds {
                main.push_str(&format!("---\n# Source: {path}\n{content}\n"));
            }
        }
        for m in &self.manifests {
            main.push_str(&format!("---\n# Source: {}\n{}\n", m.source, m.content));
        }
        let main = main.trim();
        let mut out = if main.is_empty() {
            String::new()
        } else {
            format!("{main}\n")
        };
        for h in &self.hooks {
            out.push_str(&format!("---\n# Source: {}\n{}\n", h.source, h.content));
        }
        out
    }

    /// Keeps only the manifests and hooks from templates matching `patterns` (paths relative to the
    /// top chart, such as `templates/service.yaml`, full paths, or globs). CRDs are dropped.
    pub fn retain_templates(&mut self, patterns: &[String]) -> Result<()> {
        let top = self.chart.name().to_string();
        let mut matchers = Vec::new();
        for p in patterns {
            let full = if p.starts_with(&format!("{top}/")) {
                p.clone()
            } else {
                format!("{top}/{p}")
            };
            let glob = globset::Glob::new(&full)
                .map_err(|_| TemplateError::ShowOnly(p.clone()))?
                .compile_matcher();
            matchers.push((p, glob));
        }
        for (p, glob) in &matchers {
            let found = self
                .manifests
                .iter()
                .chain(&self.hooks)
                .any(|m| glob.is_match(&m.source));
            if !found {
                return Err(TemplateError::ShowOnly((*p).clone()));
            }
        }
        let keep = |m: &Manifest| matchers.iter().any(|(_, g)| g.is_match(&m.source));
        self.manifests.retain(keep);
        self.hooks.retain(keep);
        self.crds.clear();
        Ok(())
    }
}

fn collect_crds(chart: &Chart, prefix: &str, out: &mut Vec<(String, String)>) {
    for f in chart.crds() {
        out.push((
            format!("{prefix}/{}", f.name),
            String::from_utf8_lossy(&f.data).into_owned(),
        ));
    }
    for sub in &chart.dependencies {
        collect_crds(sub, &format!("{prefix}/charts/{}", sub.name()), out);
    }
}

fn check_kube_version(chart: &Chart, caps: &Capabilities) -> Result<()> {
    if let Some(constraint) = chart
        .metadata
        .kube_version
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        let parsed = crate::constraint::Constraint::parse(constraint)?;
        if !parsed.matches(&caps.kube_version) {
            return Err(TemplateError::KubeVersion {
                chart: chart.name().to_string(),
                constraint: constraint.to_string(),
                version: caps.git_version(),
            });
        }
    }
    Ok(())
}

/// Renders `chart` with user-supplied values, as `helm template` does.
pub fn template(
    chart: &Chart,
    user_values: &Values,
    options: &TemplateOptions,
) -> Result<Rendered> {
    Release::validate_name(&options.release.name).map_err(TemplateError::ReleaseName)?;
    if chart.is_library() {
        return Err(TemplateError::Library(chart.name().to_string()));
    }
    check_kube_version(chart, &options.capabilities)?;
    let computed = values::compute(chart, user_values)?;
    if !options.skip_schema_validation {
        crate::values::schema::validate(&computed)?;
    }
    let files = engine::render(
        &computed.chart,
        &computed.values,
        &options.release,
        &options.capabilities,
        &options.limits,
        options.lookup.clone(),
    )?;
    let (manifests, hooks) = manifest::sort_manifests(&files.files)?;
    let mut crds = Vec::new();
    collect_crds(&computed.chart, computed.chart.name(), &mut crds);
    Ok(Rendered {
        chart: computed.chart,
        values: computed.values,
        crds,
        manifests,
        hooks,
        notes: files.notes,
    })
}
