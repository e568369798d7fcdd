//! Downloading charts.

pub mod dependency;
mod pull;

pub use pull::*;
