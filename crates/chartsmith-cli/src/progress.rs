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

/// How a wait (`--wait`, hooks, `uninstall --wait`) is shown on stderr.
enum Show {
    /// On a terminal: a table redrawn in place, one row per resource with its state.
    Table(indicatif::ProgressBar),
    /// Piped, or with `CI` set: one plain line each time a resource's state changes.
    Lines,
    /// `-o json`: one JSON object per line each time a resource's state changes.
    Json,
}

/// The progress of waits on stderr (stdout stays the command's own output).
pub(crate) struct Waiting {
    show: Show,
    /// The words for a resource done and not yet (`ready`/`waiting`; `gone`/`deleting`).
    words: (&'static str, &'static str),
    /// Each resource's last state, for the line modes: only changes are printed.
    seen: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

impl Waiting {
    /// Progress shown as `-o json` events when `json`, else as a table on a terminal, else as
    /// plain lines.
    pub(crate) fn new(json: bool) -> Waiting {
        use std::io::IsTerminal as _;
        let show = if json {
            Show::Json
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} waiting {elapsed}\n{msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            Show::Table(bar)
        } else {
            Show::Lines
        };
        Waiting {
            show,
            words: ("ready", "waiting"),
            seen: std::sync::Mutex::new(std::collections::BTreeMap::new()),
        }
    }

    /// The same for a wait until deleted resources are gone (`uninstall --wait`).
    pub(crate) fn deleting(json: bool) -> Waiting {
        let mut waiting = Waiting::new(json);
        waiting.words = ("gone", "deleting");
        waiting
    }

    /// Shows the state of a wait.
    pub(crate) fn report(&self, progress: &chartsmith::cluster::WaitProgress) {
        let rows = rows(progress, self.words);
        match &self.show {
            Show::Table(bar) => bar.set_message(table(&rows, self.words.0)),
            Show::Lines | Show::Json => {
                let mut seen = self
                    .seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for row in rows {
                    let resource = row.resource.to_string();
                    let state = format!("{}: {} {:?}", row.state, row.reason, row.event);
                    if seen.get(&resource) == Some(&state) {
                        continue;
                    }
                    seen.insert(resource.clone(), state);
                    let line = if matches!(self.show, Show::Json) {
                        serde_json::json!({
                            "event": "wait",
                            "kind": row.resource.kind,
                            "namespace": row.resource.namespace,
                            "name": row.resource.name,
                            "state": row.state,
                            "reason": row.reason,
                            "warning": row.event,
                        })
                        .to_string()
                    } else {
                        let detail: Vec<String> = [row.reason.to_string()]
                            .into_iter()
                            .chain(row.event.map(|e| format!("event {e}")))
                            .filter(|d| !d.is_empty())
                            .collect();
                        if detail.is_empty() {
                            format!("{resource}: {}", row.state)
                        } else {
                            format!("{resource}: {} ({})", row.state, detail.join("; "))
                        }
                    };
                    eprintln!("{line}");
                }
            }
        }
    }
}

/// One resource of a wait.
struct Row<'a> {
    resource: &'a chartsmith::cluster::ResourceKey,
    /// `ready` or `waiting` (`gone` or `deleting`).
    state: &'static str,
    /// What it waits for (`1/2 replicas available, 1 updated`).
    reason: &'a str,
    /// Its newest warning event, or its pods' (`BackOff: Back-off restarting failed container`).
    event: Option<&'a str>,
}

/// The resources of a wait, waiting ones first, each group in the order given.
fn rows<'a>(
    progress: &'a chartsmith::cluster::WaitProgress,
    (done, not_yet): (&'static str, &'static str),
) -> Vec<Row<'a>> {
    let event = |key: &chartsmith::cluster::ResourceKey| {
        progress
            .events
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, e)| e.as_str())
    };
    let waiting = progress.waiting.iter().map(|(key, why)| Row {
        resource: key,
        state: not_yet,
        reason: why,
        event: event(key),
    });
    let ready = progress.ready.iter().map(|key| Row {
        resource: key,
        state: done,
        reason: "",
        event: None,
    });
    waiting.chain(ready).collect()
}

/// The table of a wait: a header with the count, and one row per resource.
fn table(rows: &[Row<'_>], done: &str) -> String {
    let count = rows.iter().filter(|r| r.state == done).count();
    let mut lines = vec![format!(
        "  {:<40} {:<8} {count}/{} {done}",
        "RESOURCE",
        "STATE",
        rows.len()
    )];
    let width = 40;
    for row in rows {
        let mut name = row.resource.to_string();
        if name.chars().count() > width {
            name = format!("{}…", name.chars().take(width - 1).collect::<String>());
        }
        lines.push(format!("  {name:<width$} {:<8} {}", row.state, row.reason));
        if let Some(event) = row.event {
            let mut event = event.replace('\n', " ");
            if event.chars().count() > 100 {
                event = format!("{}…", event.chars().take(99).collect::<String>());
            }
            lines.push(format!("  {:<width$} {:<8} ↳ {event}", "", ""));
        }
    }
    lines.join("\n")
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Show::Table(bar) = &self.show {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use chartsmith::cluster::{ResourceKey, WaitProgress};

    fn key(kind: &str, name: &str) -> ResourceKey {
        ResourceKey {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: Some("apps".into()),
            name: name.into(),
        }
    }

    #[test]
    fn the_table_lists_waiting_resources_first() {
        let progress = WaitProgress {
            ready: vec![key("Service", "web")],
            waiting: vec![(
                key("Deployment", "web"),
                "0/2 replicas available, 2 updated".into(),
            )],
            events: vec![(
                key("Deployment", "web"),
                "FailedScheduling: 0/1 nodes are available".into(),
            )],
        };
        assert_eq!(
            super::table(&super::rows(&progress, ("ready", "waiting")), "ready"),
            "  RESOURCE                                 STATE    1/2 ready\n  Deployment apps/web                      waiting  0/2 replicas available, 2 updated\n                                                    ↳ FailedScheduling: 0/1 nodes are available\n  Service apps/web                         ready    "
        );
    }
}
