//! A spinner on stderr while network work runs: shown only when stderr is a terminal, so piped
//! and CI output stays exactly the command's own.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use chartsmith::downloader::{PullError, ResolveOptions};

/// A spinner saying `message`, ticking until it is cleared.
fn spinner(message: impl Into<String>) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs `work` with a spinner saying `message`, cleared when it ends.
pub(crate) fn spin<T>(message: impl Into<String>, work: impl FnOnce() -> T) -> T {
    let bar = spinner(message);
    let result = work();
    bar.finish_and_clear();
    result
}

/// A chart argument as a local path ([`chartsmith::downloader::resolve_chart`]), with a spinner
/// while a remote chart is downloaded.
pub(crate) fn resolve_chart(
    chart: &str,
    options: ResolveOptions<'_>,
) -> Result<PathBuf, PullError> {
    let bar = RefCell::new(None);
    let fetching = |reference: &str| {
        *bar.borrow_mut() = Some(spinner(format!("Fetching {reference}")));
    };
    let result = chartsmith::downloader::resolve_chart(
        chart,
        &ResolveOptions {
            fetching: Some(&fetching),
            ..options
        },
    );
    if let Some(bar) = bar.take() {
        bar.finish_and_clear();
    }
    result
}

/// A live line on stderr (on a terminal only) for `--wait` and hooks: how many resources are
/// ready and what the first one not ready is waiting for.
pub(crate) struct Waiting(indicatif::ProgressBar);

impl Waiting {
    pub(crate) fn new() -> Waiting {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Waiting(bar)
    }

    /// Shows the state of a wait.
    pub(crate) fn report(&self, progress: &chartsmith::cluster::WaitProgress) {
        let total = progress.ready.len() + progress.waiting.len();
        let message = match progress.waiting.first() {
            None => format!("{total}/{total} ready"),
            Some((key, why)) => format!(
                "{}/{total} ready; waiting for {key}: {why}",
                progress.ready.len()
            ),
        };
        self.0.set_message(message);
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
