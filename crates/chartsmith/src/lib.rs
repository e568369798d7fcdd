//! chartsmith: load Helm-style charts, compute their values exactly as Helm does, and render their
//! Tera templates into Kubernetes manifests.
//!
//! Every CLI verb of `chartsmith` is one call of this library. Rendering a chart directory with a
//! values file and a `--set` expression:
//!
//! ```
//! use chartsmith::chart::loader;
//! use chartsmith::template::{TemplateOptions, template};
//! use chartsmith::values::{ValueOptions, strvals};
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/charts/doctest");
//! let chart = loader::load(dir)?;
//! let options = ValueOptions {
//!     value_files: vec![format!("{dir}/values-prod.yaml").into()],
//!     values: vec!["replicas=3,image.tag=1.2.3".into()],
//!     ..Default::default()
//! };
//! let rendered = template(&chart, &options.merge()?, &TemplateOptions::default())?;
//! let manifest = rendered.to_helm_output(false);
//! assert!(manifest.contains("replicas: 3"));
//! print!("{manifest}");
//! # let _ = strvals::SetKind::Set;
//! # Ok::<(), chartsmith::Error>(())
//! ```
//!
//! # Modules
//!
//! The layout follows Helm's packages. A module may import the ones listed for it, never one that
//! imports it back (the import graph between files has no cycle of more than three files):
//!
//! | Module | Holds | May import |
//! |---|---|---|
//! | [`chart`] | the model (`Chart`, `Metadata`), [`chart::loader`], [`chart::create`], [`chart::package`], [`chart::show`] | `values::schema` (package), `yaml`, `constraint`, `util` |
//! | [`values`] | coalescing and computing values, [`values::strvals`] (`--set`), [`values::schema`] | `chart`, `downloader::http` (`-f URL`), `yaml`, `constraint`, `util` |
//! | [`repo`] | `index.yaml`, `repositories.yaml`, `repo add\|list\|update\|remove` | `chart`, `downloader::http`, `yaml`, `constraint`, `util` |
//! | [`registry`] | OCI references, artifacts, credentials, authentication, the HTTP client | `chart`, `repo`, `downloader::http`, `constraint`, `util` |
//! | [`downloader`] | `pull`, [`downloader::dependency`] (`Chart.lock`, vendoring), the shared HTTP agent | `chart`, `repo`, `registry`, `constraint`, `yaml`, `util` |
//! | [`engine`], [`template`], [`manifest`], [`lint`] | rendering and checking manifests | the modules above |
//! | [`release`], [`storage`], [`cluster`], [`action`], [`diff`] | releases and their store, the verbs | the modules above |
//! | [`yaml`], [`constraint`] | YAML with Helm's rules, SemVer constraints | `util` only |
//!
//! # Errors
//!
//! Each module returns its own error ([`chart::loader::LoadError`], [`values::ValuesError`],
//! [`repo::RepoError`], [`registry::RegistryError`], [`template::TemplateError`],
//! [`lint::LintError`], [`action::ActionError`], ...), which names the file, key or reference it
//! is about and wraps the errors of the modules it calls. [`Error`] has one variant per module
//! error, so `?` turns any of them into it, for code (such as a CLI) that calls several modules.
//! A message that quotes input escapes its control characters ([`text::escape`]).

pub mod action;
pub mod chart;
pub mod cluster;
pub mod constraint;
pub mod diff;
pub mod downloader;
pub mod engine;
mod error;
mod goyaml;
pub mod lint;
pub mod manifest;
pub mod registry;
pub mod release;
pub mod repo;
pub mod storage;
pub mod template;
mod util;
pub mod values;
pub mod yaml;

#[cfg(test)]
mod hostile_files_tests;

pub use chart::{Chart, Metadata};
pub use error::{Error, Result};
pub use util::fs::IoError;
pub use util::text;
