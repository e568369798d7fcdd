//! When a resource is ready: Helm's readiness rules (`pkg/kube/ready.go`), as pure functions of
//! the live object, so they are tested without a cluster.

use serde_json::Value;

/// What a live object says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Ready (or a kind with no readiness to wait for).
    Ready,
    /// Not yet, and why (`1/2 replicas available`).
    Waiting(String),
    /// It will not become ready (a failed Job or Pod).
    Failed(String),
}

fn int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

/// The status of condition `kind` (`"True"`), if the object reports it.
fn condition<'a>(object: &'a Value, kind: &str) -> Option<(&'a str, &'a str)> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        .map(|c| {
            (
                c.get("status").and_then(Value::as_str).unwrap_or_default(),
                c.get("message").and_then(Value::as_str).unwrap_or_default(),
            )
        })
}

/// Condition `kind` if its reason is `reason`: its status and message.
fn condition_with_reason<'a>(
    object: &'a Value,
    kind: &str,
    reason: &str,
) -> Option<(&'a str, &'a str)> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| {
            c.get("type").and_then(Value::as_str) == Some(kind)
                && c.get("reason").and_then(Value::as_str) == Some(reason)
        })
        .map(|c| {
            (
                c.get("status").and_then(Value::as_str).unwrap_or_default(),
                c.get("message").and_then(Value::as_str).unwrap_or_default(),
            )
        })
}

/// Whether the controller has seen the latest spec.
fn observed(object: &Value) -> Option<Readiness> {
    let generation = int(object, "/metadata/generation").unwrap_or(0);
    let observed = int(object, "/status/observedGeneration").unwrap_or(0);
    (observed < generation).then(|| {
        Readiness::Waiting(format!(
            "the controller has not observed generation {generation} yet"
        ))
    })
}

/// The readiness of `object` (of `kind`); `jobs`: Jobs must have completed and Pods succeeded
/// (how hooks are waited for; a plain `--wait` takes a Ready Pod).
pub fn readiness(kind: &str, object: &Value, jobs: bool) -> Readiness {
    let replicas = int(object, "/spec/replicas").unwrap_or(1);
    match kind {
        "Deployment" => {
            if object.pointer("/spec/paused") == Some(&Value::Bool(true)) {
                return Readiness::Ready;
            }
            if let Some(w) = observed(object) {
                return w;
            }
            // kstatus (Helm 4): every replica updated, available and ready, the old ones gone,
            // and the controller's Progressing/Available conditions agree.
            let current = int(object, "/status/replicas").unwrap_or(0);
            let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
            let available = int(object, "/status/availableReplicas").unwrap_or(0);
            let ready = int(object, "/status/readyReplicas").unwrap_or(0);
            if let Some((_, message)) =
                condition_with_reason(object, "Progressing", "ProgressDeadlineExceeded")
            {
                return Readiness::Waiting(format!("progress deadline exceeded: {message}"));
            }
            if updated < replicas || available < replicas || ready < replicas {
                return Readiness::Waiting(format!(
                    "{available}/{replicas} replicas available, {updated} updated"
                ));
            }
            if current > replicas {
                return Readiness::Waiting(format!(
                    "{updated}/{replicas} updated, {} old replicas not replaced yet",
                    current - replicas
                ));
            }
            Readiness::Ready
        }
        "StatefulSet" => {
            if let Some(w) = observed(object) {
                return w;
            }
            let ready = int(object, "/status/readyReplicas").unwrap_or(0);
            if ready < replicas {
                return Readiness::Waiting(format!("{ready}/{replicas} replicas ready"));
            }
            match (
                text(object, "/status/currentRevision"),
                text(object, "/status/updateRevision"),
            ) {
                (Some(c), Some(u))
                    if c != u && text(object, "/spec/updateStrategy/type") != Some("OnDelete") =>
                {
                    Readiness::Waiting(format!("rolling out revision {u}"))
                }
                _ => Readiness::Ready,
            }
        }
        "DaemonSet" => {
            if let Some(w) = observed(object) {
                return w;
            }
            let desired = int(object, "/status/desiredNumberScheduled").unwrap_or(0);
            let ready = int(object, "/status/numberReady").unwrap_or(0);
            if ready < desired {
                return Readiness::Waiting(format!("{ready}/{desired} pods ready"));
            }
            Readiness::Ready
        }
        "ReplicaSet" | "ReplicationController" => {
            let ready = int(object, "/status/readyReplicas").unwrap_or(0);
            if ready < replicas {
                return Readiness::Waiting(format!("{ready}/{replicas} replicas ready"));
            }
            Readiness::Ready
        }
        "Pod" => match text(object, "/status/phase") {
            Some("Succeeded") => Readiness::Ready,
            Some("Failed") => Readiness::Failed(format!(
                "pod failed: {}",
                text(object, "/status/message").unwrap_or("no message")
            )),
            phase if jobs => Readiness::Waiting(format!(
                "pod {}, not Succeeded yet",
                phase.unwrap_or("Pending")
            )),
            _ => match condition(object, "Ready") {
                Some(("True", _)) => Readiness::Ready,
                _ => Readiness::Waiting("pod not ready".into()),
            },
        },
        "Job" => {
            if let Some(("True", message)) = condition(object, "Failed") {
                return Readiness::Failed(format!("job failed: {message}"));
            }
            if !jobs {
                return Readiness::Ready;
            }
            let completions = int(object, "/spec/completions").unwrap_or(1);
            let succeeded = int(object, "/status/succeeded").unwrap_or(0);
            if succeeded < completions {
                return Readiness::Waiting(format!("{succeeded}/{completions} completions"));
            }
            Readiness::Ready
        }
        "PersistentVolumeClaim" => match text(object, "/status/phase") {
            Some("Bound") => Readiness::Ready,
            phase => Readiness::Waiting(format!("claim {}", phase.unwrap_or("Pending"))),
        },
        "Service" => match text(object, "/spec/type") {
            Some("ExternalName") => Readiness::Ready,
            Some("LoadBalancer")
                if object
                    .pointer("/status/loadBalancer/ingress")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty) =>
            {
                Readiness::Waiting("no load balancer address yet".into())
            }
            _ if text(object, "/spec/clusterIP").is_none_or(str::is_empty) => {
                Readiness::Waiting("no cluster IP yet".into())
            }
            _ => Readiness::Ready,
        },
        "CustomResourceDefinition" => match condition(object, "Established") {
            Some(("True", _)) => Readiness::Ready,
            _ => Readiness::Waiting("not established".into()),
        },
        // Other kinds (custom resources) are ready when they say so with a `Ready` condition,
        // and have nothing to wait for when they have none.
        _ => match condition(object, "Ready") {
            None | Some(("True", _)) => Readiness::Ready,
            Some((status, "")) => Readiness::Waiting(format!("condition Ready is {status}")),
            Some((status, message)) => {
                Readiness::Waiting(format!("condition Ready is {status}: {message}"))
            }
        },
    }
}

/// Why a pod is not ready, from its status: unschedulable (with the scheduler's message), a
/// container waiting (`CrashLoopBackOff`, `ImagePullBackOff`...) or terminated with an error,
/// containers not ready (a failing readiness probe). `None` for a ready or succeeded pod.
pub fn pod_problem(pod: &Value) -> Option<String> {
    if matches!(text(pod, "/status/phase"), Some("Succeeded")) {
        return None;
    }
    if let Some(("True", _)) = condition(pod, "Ready") {
        return None;
    }
    let conditions = pod.pointer("/status/conditions").and_then(Value::as_array);
    if let Some(unscheduled) = conditions.into_iter().flatten().find(|c| {
        c.get("type").and_then(Value::as_str) == Some("PodScheduled")
            && c.get("status").and_then(Value::as_str) == Some("False")
    }) {
        let reason = unscheduled
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("Unschedulable");
        let message = unscheduled
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Some(join(reason, message));
    }
    let containers = ["/status/initContainerStatuses", "/status/containerStatuses"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten();
    for c in containers {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(waiting) = c.pointer("/state/waiting") {
            let reason = waiting.get("reason").and_then(Value::as_str).unwrap_or("");
            if !reason.is_empty() && reason != "ContainerCreating" && reason != "PodInitializing" {
                let message = waiting.get("message").and_then(Value::as_str).unwrap_or("");
                let restarts = c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
                let mut why = format!("container {name} {}", join(reason, message));
                if restarts > 0 {
                    why.push_str(&format!(" ({restarts} restarts)"));
                }
                return Some(why);
            }
        }
        if let Some(terminated) = c.pointer("/state/terminated") {
            let code = terminated
                .get("exitCode")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if code != 0 {
                let reason = terminated
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("Error");
                return Some(format!(
                    "container {name} terminated: {reason}, exit code {code}"
                ));
            }
        }
    }
    match condition(pod, "Ready") {
        Some((_, message)) if !message.is_empty() => Some(message.to_string()),
        _ => Some(format!(
            "pod {}",
            text(pod, "/status/phase").unwrap_or("Pending")
        )),
    }
}

fn join(reason: &str, message: &str) -> String {
    if message.is_empty() {
        reason.to_string()
    } else {
        format!("{reason}: {message}")
    }
}

/// The label selector of a workload's pods (`app=web,tier=front`), from `spec.selector`
/// (`matchLabels`, or the plain map of a ReplicationController); `None` when it has none or
/// uses `matchExpressions` only.
pub fn pod_selector(kind: &str, object: &Value) -> Option<String> {
    let selector = object.pointer("/spec/selector")?;
    let labels = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            selector.get("matchLabels")?
        }
        "ReplicationController" => selector,
        _ => return None,
    };
    let pairs: Vec<String> = labels
        .as_object()?
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_problems_name_the_reason() {
        let unschedulable = json!({"status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."}
        ]}});
        assert_eq!(
            pod_problem(&unschedulable).unwrap(),
            "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
        );
        let crashing = json!({"status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": "mysql", "restartCount": 4, "state": {"waiting": {
                "reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting failed container"}}}]}});
        assert_eq!(
            pod_problem(&crashing).unwrap(),
            "container mysql CrashLoopBackOff: back-off 1m20s restarting failed container (4 restarts)"
        );
        let pulling = json!({"status": {"phase": "Pending", "containerStatuses": [
            {"name": "web", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}});
        assert_eq!(
            pod_problem(&pulling).unwrap(),
            "container web ImagePullBackOff"
        );
        let probe = json!({"status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "False", "message": "containers with unready status: [web]"}]}});
        assert_eq!(
            pod_problem(&probe).unwrap(),
            "containers with unready status: [web]"
        );
        let ready = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(pod_problem(&ready), None);
    }

    #[test]
    fn custom_resources_wait_for_their_ready_condition() {
        let mut cr = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "message": "issuing certificate"}]}});
        assert_eq!(
            readiness("Certificate", &cr, false),
            Readiness::Waiting("condition Ready is False: issuing certificate".into())
        );
        cr["status"]["conditions"][0]["status"] = json!("True");
        assert_eq!(readiness("Certificate", &cr, false), Readiness::Ready);
        assert_eq!(readiness("Widget", &json!({}), false), Readiness::Ready);
    }

    #[test]
    fn workload_selectors_become_label_selectors() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "web", "tier": "front"}}}});
        assert_eq!(
            pod_selector("Deployment", &d).unwrap(),
            "app=web,tier=front"
        );
        assert_eq!(pod_selector("Service", &d), None);
    }

    #[test]
    fn deployments_wait_for_available_updated_replicas() {
        let mut d = json!({
            "metadata": {"generation": 2},
            "spec": {"replicas": 4},
            "status": {"observedGeneration": 1, "updatedReplicas": 4, "availableReplicas": 4}
        });
        assert!(
            matches!(readiness("Deployment", &d, false), Readiness::Waiting(m) if m.contains("generation 2"))
        );
        d["status"]["observedGeneration"] = json!(2);
        d["status"]["availableReplicas"] = json!(3);
        d["status"]["readyReplicas"] = json!(4);
        // As kstatus: every replica, not just what maxUnavailable allows.
        assert_eq!(
            readiness("Deployment", &d, false),
            Readiness::Waiting("3/4 replicas available, 4 updated".into())
        );
        d["status"]["availableReplicas"] = json!(4);
        // A rollout whose new pods cannot start keeps the old ones: not done.
        d["status"]["replicas"] = json!(5);
        assert_eq!(
            readiness("Deployment", &d, false),
            Readiness::Waiting("4/4 updated, 1 old replicas not replaced yet".into())
        );
        d["status"]["replicas"] = json!(4);
        assert_eq!(readiness("Deployment", &d, false), Readiness::Ready);
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing."}]);
        assert!(matches!(
            readiness("Deployment", &d, false),
            Readiness::Waiting(m) if m.starts_with("progress deadline exceeded")
        ));
    }

    #[test]
    fn jobs_pods_claims_services_and_crds() {
        let job = json!({"status": {"succeeded": 0}});
        assert_eq!(readiness("Job", &job, false), Readiness::Ready);
        assert!(matches!(
            readiness("Job", &job, true),
            Readiness::Waiting(_)
        ));
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert_eq!(
            readiness("Job", &failed, true),
            Readiness::Failed("job failed: BackoffLimitExceeded".into())
        );
        let pod = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(readiness("Pod", &pod, false), Readiness::Ready);
        // A hook Pod must run to completion.
        assert_eq!(
            readiness("Pod", &pod, true),
            Readiness::Waiting("pod Running, not Succeeded yet".into())
        );
        let done = json!({"status": {"phase": "Succeeded"}});
        assert_eq!(readiness("Pod", &done, true), Readiness::Ready);
        assert!(matches!(
            readiness(
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Pending"}}),
                false
            ),
            Readiness::Waiting(_)
        ));
        let lb = json!({"spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.1"}, "status": {"loadBalancer": {}}});
        assert!(matches!(
            readiness("Service", &lb, false),
            Readiness::Waiting(_)
        ));
        let svc = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1"}});
        assert_eq!(readiness("Service", &svc, false), Readiness::Ready);
        let crd = json!({"status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert_eq!(
            readiness("CustomResourceDefinition", &crd, false),
            Readiness::Ready
        );
        assert_eq!(readiness("ConfigMap", &json!({}), false), Readiness::Ready);
    }
}
