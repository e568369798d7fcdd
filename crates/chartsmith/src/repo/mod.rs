//! Chart repositories.

mod index;

pub use index::*;
