//! Why a resource did not become ready, for the timeout error: its pods' problems (unschedulable
//! with the scheduler's message, crash loops, image pulls, failing probes) and the newest warning
//! event. Read only when a wait gives up, so a wait that succeeds costs nothing extra.

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use serde_json::Value;

use crate::Runtime;
use crate::wait::{pod_problem, pod_selector};

/// How many not-ready pods of one workload are described.
const PODS: usize = 2;
/// Longest diagnosis of one object, in characters.
const LONGEST: usize = 300;

/// A short account of why `object` (of `kind`, in `namespace`) is not ready, or `None` when
/// nothing more is known than its status says. Errors reading pods or events are ignored: the
/// diagnosis adds to the timeout error, it must not replace it.
pub(crate) fn diagnose(
    client: &kube::Client,
    rt: &Runtime,
    kind: &str,
    namespace: Option<&str>,
    object: &Value,
) -> Option<String> {
    let namespace = namespace?;
    let name = object.pointer("/metadata/name").and_then(Value::as_str)?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let mut found = Vec::new();
    let described: Vec<Value> = if kind == "Pod" {
        vec![object.clone()]
    } else if let Some(selector) = pod_selector(kind, object) {
        rt.block_on(pods.list(&ListParams::default().labels(&selector)))
            .map(|list| {
                list.items
                    .into_iter()
                    .filter_map(|p| serde_json::to_value(p).ok())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for pod in described
        .iter()
        .filter(|p| pod_problem(p).is_some())
        .take(PODS)
    {
        let pod_name = pod
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let mut why = format!("pod {pod_name}: {}", pod_problem(pod).unwrap_or_default());
        // The event often repeats what the pod status says (FailedScheduling): skip it then.
        if let Some(event) = newest_warning(rt, &events, pod_name)
            && !repeats(&why, &event)
        {
            why.push_str(&format!("; event: {event}"));
        }
        found.push(why);
    }
    if found.is_empty()
        && kind != "Pod"
        && let Some(event) = newest_warning(rt, &events, name)
    {
        found.push(format!("event: {event}"));
    }
    let text = found.join("; ");
    if text.is_empty() {
        return None;
    }
    Some(if text.chars().count() > LONGEST {
        format!("{}…", text.chars().take(LONGEST - 1).collect::<String>())
    } else {
        text
    })
}

/// The newest warning event in `namespace` of each object named in `names`, or of the pods
/// named after it (`web-5d4f…` of the Deployment `web`): one LIST of the namespace's events.
/// Errors give no events: progress is a courtesy.
pub(crate) fn newest_warnings(
    client: &kube::Client,
    rt: &Runtime,
    namespace: &str,
    names: &[&str],
) -> Vec<Option<String>> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let Ok(list) = rt.block_on(events.list(&ListParams::default())) else {
        return vec![None; names.len()];
    };
    let warnings: Vec<&Event> = list.items.iter().filter(|e| is_warning(e)).collect();
    names
        .iter()
        .map(|name| {
            let prefix = format!("{name}-");
            warnings
                .iter()
                .filter(|e| {
                    e.involved_object
                        .name
                        .as_deref()
                        .is_some_and(|n| n == *name || n.starts_with(&prefix))
                })
                .max_by_key(|e| when(e))
                .map(|e| shown(e))
        })
        .collect()
}

fn is_warning(e: &Event) -> bool {
    e.type_.as_deref() == Some("Warning")
        || e.reason.as_deref().is_some_and(|r| r.starts_with("Failed"))
}

fn when(e: &Event) -> String {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| {
            e.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
        })
        .unwrap_or_default()
}

fn shown(e: &Event) -> String {
    let reason = e.reason.clone().unwrap_or_default();
    let message = e.message.clone().unwrap_or_default();
    format!("{reason}: {}", message.trim())
}

/// Whether the event `Reason: message` says what `why` already says.
fn repeats(why: &str, event: &str) -> bool {
    let message = event.split_once(": ").map_or(event, |(_, m)| m);
    let head: String = message.chars().take(40).collect();
    why.contains(&head)
}

/// The newest event about the object `name` that reports a problem (type `Warning`, or a
/// reason starting with `Failed`), as `Reason: message`.
fn newest_warning(rt: &Runtime, events: &Api<Event>, name: &str) -> Option<String> {
    let list = rt
        .block_on(
            events.list(&ListParams::default().fields(&format!("involvedObject.name={name}"))),
        )
        .ok()?;
    list.items
        .iter()
        .filter(|e| is_warning(e))
        .max_by_key(|e| when(e))
        .map(shown)
}
