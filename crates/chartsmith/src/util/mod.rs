//! Helpers that several modules need, one copy each: atomic file writes and the error that names
//! a path ([`fs`]), sha256 digests ([`digest`]), a parallel map ([`parallel`]), Go's JSON
//! encoding ([`gojson`]), the deep merge of values maps ([`merge`]) and the escaping of input quoted
//! in messages ([`text`]).
//!
//! May import: the standard library and external crates only, never another `crate::` module, so
//! that every module can use it without an import cycle.

pub(crate) mod digest;
pub(crate) mod fs;
pub(crate) mod gojson;
pub(crate) mod merge;
pub(crate) mod parallel;
pub mod text;
