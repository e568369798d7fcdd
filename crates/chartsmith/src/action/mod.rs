//! The release lifecycle, one file per verb (Helm's `pkg/action`): [`install`], [`upgrade`],
//! [`rollback`], [`uninstall`], [`test`], [`list`], [`history`], [`get`], and the diffs
//! [`diff_upgrade`] and [`diff_rollback`].
//!
//! Every action works through a [`Configuration`]: a storage
//! [`Driver`](crate::storage::Driver) for the records and a cluster
//! [`Target`](crate::cluster::Target) for the resources. The rules every backend shares live here, not in the
//! backends: each mutating action takes the release's lock, writes a pending revision *before*
//! touching the cluster, then records the outcome, so an interrupted operation stays visible
//! (`pending-upgrade`) and [`rollback`] recovers from it; resources are parsed, stamped with
//! Helm's ownership metadata and applied in install order; CRDs of `crds/` go first on install;
//! resources an upgrade drops are deleted (in reverse order), except those marked
//! `helm.sh/resource-policy: keep`; [`hooks`] selects and orders hooks by event and weight.
//!
//! The files: `config.rs` ([`Configuration`], the options, [`Operation`], [`ActionError`]),
//! `deploy.rs` (rendering a release and the deploy sequence the mutating verbs share),
//! `hooks.rs`, and one file per verb (`install.rs`, `upgrade.rs`, `rollback.rs`, `uninstall.rs`,
//! `test.rs`, `query.rs` for the read-only ones and the diffs). `config.rs` imports no other file of
//! `action`; `hooks.rs` only `config.rs`; `deploy.rs` those two; the verbs import them and each
//! other's `*_locked` forms; this file only declares and re-exports them.
//!
//! May import: every library module (this is the top of the library's call graph).

mod config;
mod deploy;
pub mod hooks;
mod install;
mod query;
mod rollback;
mod test;
mod uninstall;
mod upgrade;

pub use config::{
    ActionError, Configuration, DeployOptions, DryRun, INSTALL_COMPLETE, Operation,
    RollbackOptions, UNINSTALL_COMPLETE, UPGRADE_COMPLETE, UninstallOptions, ValuesMode,
};
pub use install::install;
pub use query::{computed_values, diff_rollback, diff_upgrade, get, history, list};
pub use rollback::rollback;
pub use test::{TestOptions, TestReport, test};
pub use uninstall::uninstall;
pub use upgrade::upgrade;

// For tests.rs, which calls `super::deploy` directly.
#[cfg(test)]
use deploy::{Deploy, deploy};

#[cfg(test)]
mod tests;
