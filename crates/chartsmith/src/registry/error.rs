//! [`RegistryError`], the error of every registry call.
//!
//! May import: the errors of the modules the registry calls.

use crate::chart::loader::LoadError;
use crate::chart::package::PackageError;
use crate::constraint::ConstraintError;
use crate::repo::RepoError;
use crate::util::fs::IoError;

/// Why an OCI reference, registry or artifact was unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The `oci://` reference is malformed.
    #[error("invalid OCI reference `{reference}`: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// The registry answered with an error.
    #[error("{url}: the registry answered {status}: {reason}")]
    Registry {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The registry's error message.
        reason: String,
    },
    /// The registry wants credentials that were not given or were refused.
    #[error("{registry}: {reason}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// What happened.
        reason: String,
    },
    /// The artifact is not a Helm chart, or is not the chart it claims to be.
    #[error("{reference}: {reason}")]
    NotAChart {
        /// The reference.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// Downloaded content does not match its digest.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The manifest or blob.
        what: String,
        /// The digest that was promised.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The registry credentials file is unreadable.
    #[error("{file}: invalid registry configuration: {reason}")]
    Config {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A file (an archive to push, the credentials file) could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A pushed or pulled archive is not a loadable chart.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The registry is unreachable, HTTP support is missing, or no tag satisfies a range.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// `SOURCE_DATE_EPOCH` is not a number of seconds.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// A version range is malformed.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
}
