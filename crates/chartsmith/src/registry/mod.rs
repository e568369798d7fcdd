//! Charts in OCI registries.

mod client;

pub use client::*;
