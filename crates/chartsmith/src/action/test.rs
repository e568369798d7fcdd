//! `test NAME`: runs a release's `test` hooks (Helm's `helm test`), records each run in the
//! release, and gathers the test pods' logs.

use std::time::Duration;

use super::config::{ActionError, Configuration, Result};
use super::deploy::owner_of;
use super::hooks::{self, HookEvent};
use crate::cluster::{PodLog, ResourceKey};
use crate::release::{Hook, Release};
use crate::storage;

/// Options of [`test`].
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// How long each test may run (Helm's 5 minutes when `None`).
    pub timeout: Option<Duration>,
    /// Helm's `--filter`: `name=NAME` runs only the tests named, `!name=NAME` skips them.
    pub filter: Vec<String>,
    /// Gather the test pods' logs even when every test passed (`--logs`); failed tests'
    /// logs are always gathered.
    pub logs: bool,
}

/// What a test run did.
#[derive(Debug)]
pub struct TestReport {
    /// The release, with each test hook's `last_run` as recorded.
    pub release: Release,
    /// The logs of the test pods (each container's last lines).
    pub logs: Vec<PodLog>,
    /// The failure, if a test failed or timed out: the run stops at the first one, as Helm's.
    pub failure: Option<ActionError>,
}

/// How many lines of each container's log are kept.
const LOG_TAIL: usize = 200;

/// Which tests a `--filter` list keeps.
fn filter(filters: &[String]) -> Result<impl Fn(&Hook) -> bool + use<>> {
    let mut only = Vec::new();
    let mut skip = Vec::new();
    for f in filters {
        let (negated, rest) = match f.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, f.as_str()),
        };
        let Some(name) = rest.strip_prefix("name=") else {
            return Err(ActionError::InvalidFilter(f.clone()));
        };
        if negated {
            skip.push(name.to_string());
        } else {
            only.push(name.to_string());
        }
    }
    Ok(move |h: &Hook| (only.is_empty() || only.contains(&h.name)) && !skip.contains(&h.name))
}

/// `test NAME`: runs the `test` hooks of the latest revision of `name` in `namespace`, in hook
/// order, each waited for (a Pod until it succeeds, a Job until it completes) within the
/// timeout; records each run (`last_run`) in the release, as Helm does. A failed test stops the
/// run and is returned in [`TestReport::failure`], with the logs of the tests that ran.
pub fn test(
    config: &Configuration<'_>,
    namespace: &str,
    name: &str,
    options: &TestOptions,
) -> Result<TestReport> {
    let keep = filter(&options.filter)?;
    if !config.cluster.runs_hooks() {
        config.warn(&format!(
            "{} runs no hooks: tests run on a cluster only",
            config.cluster.describe()
        ));
    }
    let _lock = config.storage.lock(namespace, name, "test")?;
    let mut release = storage::last(config.storage, namespace, name)?;
    let owner = owner_of(&release);
    let timeout = options.timeout.unwrap_or(hooks::DEFAULT_HOOK_TIMEOUT);
    let outcome = hooks::run_selected(
        config,
        &owner,
        &mut release,
        HookEvent::Test,
        timeout,
        &keep,
    );
    config.storage.update(&release)?;
    let failed = outcome.is_err();
    let mut logs = Vec::new();
    if failed || options.logs {
        let ran = hooks::select(&release.hooks, HookEvent::Test)
            .into_iter()
            .filter(|h| keep(h) && h.last_run.started_at.is_some())
            .map(|h| ResourceKey {
                api_version: String::new(),
                kind: h.kind.clone(),
                namespace: None,
                name: h.name.clone(),
            })
            .collect::<Vec<_>>();
        for key in ran {
            // A test deleted by its policy has no logs left; that is not an error of the run.
            if let Ok(found) = config.cluster.logs(&owner, &key, LOG_TAIL) {
                logs.extend(found);
            }
        }
    }
    Ok(TestReport {
        release,
        logs,
        failure: outcome.err().map(|source| ActionError::TestFailed {
            name: name.to_string(),
            source,
        }),
    })
}
