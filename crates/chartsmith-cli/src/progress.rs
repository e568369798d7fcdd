//! A spinner on stderr while network work runs: shown only when stderr is a terminal, so piped
//! and CI output stays exactly the command's own.

use std::time::Duration;

/// Runs `work` with a spinner saying `message`, cleared when it ends.
pub(crate) fn spin<T>(message: impl Into<String>, work: impl FnOnce() -> T) -> T {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = work();
    bar.finish_and_clear();
    result
}
