//! Getting charts: `pull` of a `REPO/CHART` or `oci://` reference ([`pull`], [`locate`]), a
//! chart argument as a local path ([`resolve_chart`]), `dependency list|update|build`
//! ([`dependency`]), and the HTTP client they share.
//!
//! The files: `pull.rs`, `dependency.rs` (Helm's dependency manager: `Chart.lock`, vendoring into
//! `charts/`) and `http.rs` (one HTTP agent per TLS setting, bounded downloads); this file only
//! re-exports them.
//!
//! May import: everything below it (`repo`, `registry`, `chart`, `values::schema` through
//! `chart::package`, `constraint`, `yaml`, `util`); only `http.rs` is imported by those
//! (`repo`, `registry`, `values` fetch through it).

pub mod dependency;
pub(crate) mod http;
mod pull;

pub use http::{MAX_ARCHIVE_BYTES, TlsOptions};
pub use pull::{
    PullError, Pulled, ResolveOptions, absolute_url, download, download_chart, fetch_chart, locate,
    pull, resolve_chart, unpack, verify,
};
