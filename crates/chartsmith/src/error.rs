//! The crate-level error: one variant per module error, for calls that span modules (the CLI,
//! embedders). Each module returns its own error type (`LoadError`, `ValuesError`, `RepoError`,
//! `TemplateError`, `LintError`, `ActionError`, ...), which wraps the errors of the modules it
//! calls; `?` turns any of them into an [`Error`].
//!
//! May import: every module's error type; no module of the library imports this file.

use std::path::PathBuf;

/// Everything that can go wrong in chartsmith's library calls. Each variant names the file, key,
/// expression or template it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A YAML document could not be parsed.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
    /// `Chart.yaml` is invalid.
    #[error(transparent)]
    Metadata(#[from] crate::chart::MetadataError),
    /// A chart could not be loaded (layout, archive, limits).
    #[error(transparent)]
    Load(#[from] crate::chart::loader::LoadError),
    /// A `--set` family expression is malformed.
    #[error(transparent)]
    Set(#[from] crate::values::strvals::ParseError),
    /// A version constraint is malformed.
    #[error(transparent)]
    Constraint(#[from] crate::constraint::ConstraintError),
    /// Values could not be computed.
    #[error(transparent)]
    Values(#[from] crate::values::ValuesError),
    /// A chart could not be rendered (values, schema, templates, YAML, kubeVersion,
    /// `--show-only`).
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    /// `--kube-version` or `--api-versions` are unusable.
    #[error(transparent)]
    Capabilities(#[from] crate::engine::CapabilitiesError),
    /// `create` failed.
    #[error(transparent)]
    Create(#[from] crate::chart::create::CreateError),
    /// Values violate a `values.schema.json`, or a schema is unusable.
    #[error(transparent)]
    Schema(#[from] crate::values::schema::SchemaError),
    /// A template failed to parse or render.
    #[error(transparent)]
    Render(#[from] crate::engine::RenderError),
    /// A release store failed or refused.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// A release action refused or failed.
    #[error(transparent)]
    Action(#[from] crate::action::ActionError),
    /// A chart could not be linted (rendering, a lint config file).
    #[error(transparent)]
    Lint(#[from] crate::lint::LintError),
    /// A chart could not be packaged.
    #[error(transparent)]
    Package(#[from] crate::chart::package::PackageError),
    /// A repository index could not be built or read.
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    /// Dependencies could not be resolved, vendored or checked.
    #[error(transparent)]
    Dependency(#[from] crate::downloader::dependency::DependencyError),
    /// An OCI reference, registry or artifact was unusable.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// A chart could not be pulled.
    #[error(transparent)]
    Pull(#[from] crate::downloader::PullError),
}

impl From<crate::util::fs::IoError> for Error {
    fn from(e: crate::util::fs::IoError) -> Error {
        Error::Io {
            path: e.path,
            source: e.source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
