//! chartsmith: load Helm-style charts, compute their values exactly as Helm does, and render their
//! Tera templates into Kubernetes manifests.
//!
//! Every CLI verb of `chartsmith` is one call of this library. Rendering a chart directory with a
//! values file and a `--set` expression:
//!
//! ```
//! use chartsmith::{chart::loader, values::{strvals, ValueOptions}, template::{template, TemplateOptions}};
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
