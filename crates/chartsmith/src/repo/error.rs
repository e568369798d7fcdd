//! [`RepoError`]: an index, a repository or a download is unusable.
//!
//! May import: the errors of the modules repositories call.

use crate::chart::loader::LoadError;
use crate::constraint::ConstraintError;
use crate::util::fs::IoError;
use crate::util::text::{escape, quote};
use crate::yaml::YamlError;

/// Why an index could not be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// An index file is unusable.
    #[error("{}: invalid repository index: {}", escape(.file), escape(.reason))]
    InvalidIndex {
        /// The index file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A repository (or an archive it lists) could not be fetched.
    #[error("repository {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL that was requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A downloaded archive does not have the digest its index promises.
    #[error(
        "{url}: digest mismatch: the index says sha256:{expected}, the download is sha256:{actual}"
    )]
    DigestMismatch {
        /// The archive's URL.
        url: String,
        /// The digest of the index.
        expected: String,
        /// The digest of the downloaded bytes.
        actual: String,
    },
    /// No repository of that name is configured.
    #[error("no repository named `{name}` (add it with `chartsmith repo add {name} URL`)")]
    UnknownRepository {
        /// The repository name.
        name: String,
    },
    /// A repository of that name already exists with another URL, or the name is invalid.
    #[error("repository `{}`: {}", quote(.name), escape(.reason))]
    InvalidRepository {
        /// The repository name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The index has no chart of that name.
    #[error("chart `{}` not found in repository {}", quote(.chart), escape(.repository))]
    ChartNotFound {
        /// The chart name.
        chart: String,
        /// The repository (name or URL).
        repository: String,
    },
    /// No version of the chart satisfies the range.
    #[error(
        "chart `{chart}` in {repository}: no version satisfies `{range}` (versions seen: {seen})"
    )]
    NoMatchingVersion {
        /// The chart name.
        chart: String,
        /// The repository (name, URL or directory).
        repository: String,
        /// The version range.
        range: String,
        /// The versions that were considered.
        seen: String,
    },
    /// Chartsmith was built without the `http` feature.
    #[error("{url}: this build of chartsmith has no HTTP support (enable the `http` feature)")]
    NoHttp {
        /// The URL that was requested.
        url: String,
    },
    /// A file (an index, the repositories file, a CA or client certificate) could not be read or
    /// written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// An index or repositories file is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// An archive of the repository could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A version range is malformed.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    /// A `search repo --regexp` keyword that is not a regular expression.
    #[error("invalid search expression {keyword:?}: {reason}")]
    InvalidSearch {
        /// The keyword.
        keyword: String,
        /// The regex error.
        reason: String,
    },
}
