//! Chart repositories: Helm's `index.yaml` (`chartsmith repo index`, merging, reading an index
//! as hostile input) and the named repositories of `repositories.yaml` (`repo add|list|update|
//! remove`) with their cached indexes.
//!
//! The files: `index.rs` ([`IndexFile`], [`index`], [`find_version`]), `file.rs`
//! ([`RepositoriesFile`], [`RepoSettings`] and the `repo` verbs), `search.rs` ([`search`]) and
//! `error.rs`; this file only
//! re-exports them.
//!
//! May import: `chart` (the model, the loader), `constraint`, `yaml`, `util`, and
//! `downloader::http` (fetching an index); never `downloader`'s pull or dependency code, nor the
//! registry (which import repositories).

mod error;
mod file;
mod index;
mod search;

pub use error::RepoError;
pub use file::{
    RepoSettings, RepositoriesFile, Repository, add, cached_index, fetch_index,
    fetch_repository_index, list, remove, update,
};
pub use index::{ChartVersion, IndexFile, MAX_INDEX_BYTES, find_version, index};
pub(crate) use index::{now, seen};
pub use search::{SearchOptions, SearchReport, SearchResult, search};
