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

/// `maxUnavailable` of a rolling update, resolved against `replicas` (Kubernetes rounds a
/// percentage down).
fn max_unavailable(object: &Value, replicas: i64) -> i64 {
    match object.pointer("/spec/strategy/rollingUpdate/maxUnavailable") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<i64>().ok())
            .map_or(0, |p| replicas * p / 100),
        // The default is 25%.
        None if text(object, "/spec/strategy/type") != Some("Recreate") => replicas * 25 / 100,
        _ => 0,
    }
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
            let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
            let available = int(object, "/status/availableReplicas").unwrap_or(0);
            let needed = replicas - max_unavailable(object, replicas);
            if updated < replicas || available < needed {
                return Readiness::Waiting(format!(
                    "{available}/{replicas} replicas available, {updated} updated"
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
        _ => Readiness::Ready,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        d["status"]["availableReplicas"] = json!(2);
        // 25 % of 4 may be unavailable: 3 are needed.
        assert_eq!(
            readiness("Deployment", &d, false),
            Readiness::Waiting("2/4 replicas available, 4 updated".into())
        );
        d["status"]["availableReplicas"] = json!(3);
        assert_eq!(readiness("Deployment", &d, false), Readiness::Ready);
        d["spec"]["strategy"] = json!({"type": "Recreate"});
        assert!(matches!(
            readiness("Deployment", &d, false),
            Readiness::Waiting(_)
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
