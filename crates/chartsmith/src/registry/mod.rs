//! Charts in OCI registries: `oci://HOST/PATH` references, `push`, `pull` and `registry
//! login|logout`, speaking the OCI distribution API the way Helm does.
//!
//! A chart is stored as Helm stores it: an image manifest
//! (`application/vnd.oci.image.manifest.v1+json`) whose config blob is the chart's metadata as
//! JSON (`application/vnd.cncf.helm.config.v1+json`) and whose single layer is the `.tgz`
//! archive (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`), tagged with the chart
//! version (`+` written as `_`, since tags cannot hold `+`). So `helm pull` reads what
//! `chartsmith push` writes, and the other way round.
//!
//! Every pull is verified: the manifest against the digest it was asked for (or the registry's
//! `Docker-Content-Digest`), the layer against the manifest's sha256 digest and size, and the
//! archive is loaded as hostile input and must hold the chart and version the reference names.
//! Authentication follows the registry's challenge: anonymous, HTTP basic, or a bearer token
//! fetched from the realm it names, with the credentials saved by `registry login` (Docker's
//! `config.json` format under the config directory), sent only to the registry and the token
//! service it names. Registries are reached over HTTPS (certificates checked against Mozilla's
//! roots, or the CA file of [`crate::downloader::TlsOptions`], with an optional client
//! certificate) unless `plain_http` is set (loopback and test registries).
//!
//! The files: `reference.rs` (the `oci://` grammar, tags), `artifact.rs` (manifest, config and
//! layer), `credentials.rs` (the `registry login` store), `auth.rs` (challenges and tokens),
//! `client.rs` (HTTP, only with the `http` feature) and `error.rs`. This file re-exports them and
//! holds [`fetch_chart`], the one call that works with and without HTTP support.
//!
//! May import: `chart`, `constraint`, `repo`, `downloader::http`, `util`; never `downloader`'s
//! pull or dependency code (which import the registry).

mod artifact;
mod auth;
#[cfg(feature = "http")]
mod client;
mod credentials;
mod error;
mod reference;

pub use crate::util::digest::digest_of;
pub use artifact::{
    Artifact, CHART_LAYER_MEDIA_TYPE, CONFIG_MEDIA_TYPE, Descriptor, Fetched, MANIFEST_MEDIA_TYPE,
    Manifest, Pushed, annotations, artifact, chart_layer, config_json, created_timestamp, verify,
};
pub use auth::parse_challenge;
#[cfg(feature = "http")]
pub use client::{Client, fetch, login, logout, push};
pub use credentials::{AuthEntry, Credentials, RegistryConfig};
pub use error::RegistryError;
pub use reference::{Reference, pick_tag, tag_to_version, version_to_tag};

use crate::repo::RepoSettings;

/// [`fetch`] when chartsmith has HTTP support; without the `http` feature, an error saying so.
pub fn fetch_chart(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<Fetched, RegistryError> {
    #[cfg(feature = "http")]
    {
        fetch(settings, reference, range)
    }
    #[cfg(not(feature = "http"))]
    {
        let _ = (settings, range);
        Err(crate::repo::RepoError::NoHttp {
            url: reference.to_string(),
        }
        .into())
    }
}
