//! What the API server's own validation refuses, checked offline (rule `api-server-validation`):
//! the formats, enums, quantities and cross-field rules of `k8s.io/kubernetes/pkg/apis/*/validation`
//! for the built-in kinds charts use, which the JSON schemas (types and required fields only) do
//! not carry. Every rule here is one the real API server enforces on create; the corpus in
//! `fixtures/apiserver/` and the end-to-end test `tests/e2e/apiserver.rs` hold each of them
//! against a real kube-apiserver.

use serde_json::{Map, Value};

use super::Diagnostic;
use super::rules::Document;

/// The rule id of every finding here.
const RULE: &str = "api-server-validation";

/// Collects the findings of one document.
struct Check<'a> {
    doc: &'a Document,
    out: &'a mut Vec<Diagnostic>,
}

impl Check<'_> {
    /// A finding at `path` (shown as the field), located by `anchors`.
    fn push(&mut self, anchors: &[String], path: &str, message: String, hint: &str) {
        let anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
        let mut d = self.doc.diagnostic(
            RULE,
            &anchors,
            format!("{path}: {message} (the API server refuses it)"),
        );
        d.hint = hint.to_string();
        self.out.push(d);
    }
}

fn anchors(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| (*p).to_string()).collect()
}

fn text(v: &Value) -> Option<&str> {
    v.as_str()
}

/// A value for a message: short, and quoted as JSON.
fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

// --- formats -------------------------------------------------------------------------------------

/// RFC 1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric, ≤ 63.
pub(super) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1035 label (Service names): an RFC 1123 label that starts with a letter.
fn is_dns1035_label(s: &str) -> bool {
    is_dns_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// RFC 1123 subdomain: dot-separated labels, ≤ 253.
pub(super) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// The name part of a qualified name (label and annotation keys): ≤ 63, alphanumerics, `-`, `_`,
/// `.`, starting and ending alphanumeric.
fn is_qualified_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A label or annotation key: `[prefix/]name`, the prefix an RFC 1123 subdomain.
fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_qualified_part(name),
        None => is_qualified_part(s),
    }
}

/// A label value: empty, or a qualified-name part.
fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_part(s)
}

/// An IANA service name (port names): ≤ 15, lowercase alphanumerics and `-`, at least one
/// letter, no leading, trailing or double `-`.
fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// An environment variable name: printable ASCII except `=`, not empty.
fn is_env_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'=')
}

/// A ConfigMap or Secret key: alphanumerics, `-`, `_`, `.`, ≤ 253, not `.` or `..`.
fn is_config_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A CIDR: an IP address, `/`, a prefix length that fits it.
fn is_cidr(s: &str) -> bool {
    let Some((ip, prefix)) = s.split_once('/') else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix <= 32,
        Ok(std::net::IpAddr::V6(_)) => prefix <= 128,
        Err(_) => false,
    }
}

/// A cron schedule as the CronJob controller's parser (robfig/cron's standard one) takes it: five
/// fields, or a descriptor (`@hourly`...). `croner` parses the fields; its extensions that the
/// standard parser lacks (`L`, `W`, `#`) are refused first, and time zones belong in
/// `spec.timeZone`.
fn cron_problem(s: &str) -> Option<String> {
    if s.contains("TZ=") || s.contains("CRON_TZ=") {
        return Some("a time zone in the schedule is not allowed; use spec.timeZone".into());
    }
    if s.starts_with('@') {
        let known = [
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
        ];
        return (!known.contains(&s) && !s.starts_with("@every "))
            .then(|| format!("unknown descriptor {s:?}"));
    }
    let fields = s.split_whitespace().count();
    if fields != 5 {
        return Some(format!(
            "{fields} fields; a schedule has 5 (minute hour day month weekday)"
        ));
    }
    let mut plain = s.to_uppercase();
    for name in [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "SUN",
        "MON", "TUE", "WED", "THU", "FRI", "SAT",
    ] {
        plain = plain.replace(name, "0");
    }
    if let Some(bad) = plain
        .chars()
        .find(|c| !(c.is_ascii_digit() || "*/,-? ".contains(*c)))
    {
        return Some(format!("{bad:?} is not part of a standard cron field"));
    }
    match s.parse::<croner::Cron>() {
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    }
}

// --- the checks ----------------------------------------------------------------------------------

/// The API versions whose validation this module knows, for each kind it checks: other kinds,
/// and these kinds at other (removed, or custom) versions, are left to the schema rules.
fn known(kind: &str, api_version: &str) -> bool {
    let versions: &[&str] = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => &["apps/v1"],
        "Job" | "CronJob" => &["batch/v1"],
        "Pod"
        | "Service"
        | "ConfigMap"
        | "Secret"
        | "PersistentVolumeClaim"
        | "ServiceAccount"
        | "Namespace" => &["v1"],
        "Ingress" | "NetworkPolicy" => &["networking.k8s.io/v1"],
        "HorizontalPodAutoscaler" => &["autoscaling/v2", "autoscaling/v1"],
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            &["rbac.authorization.k8s.io/v1"]
        }
        _ => &[],
    };
    versions.contains(&api_version)
}

/// Runs every API-server rule on `documents`.
pub(super) fn check(documents: &[Document]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for doc in documents {
        let api_version = doc
            .value
            .get("apiVersion")
            .and_then(text)
            .unwrap_or_default();
        if !known(&doc.kind, api_version) {
            continue;
        }
        let mut c = Check { doc, out: &mut out };
        check_metadata(&mut c);
        let v = &doc.value;
        match doc.kind.as_str() {
            "Deployment" | "ReplicaSet" | "DaemonSet" => {
                check_workload(&mut c, v, "spec.template", &["Always"], &[]);
            }
            "StatefulSet" => {
                // The claim templates are volumes of the pods too.
                let claims: Vec<String> = v
                    .pointer("/spec/volumeClaimTemplates")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.pointer("/metadata/name").and_then(text))
                    .map(str::to_string)
                    .collect();
                check_workload(&mut c, v, "spec.template", &["Always"], &claims);
                check_statefulset(&mut c, v);
            }
            "Job" => {
                if let Some(t) = v.pointer("/spec/template") {
                    check_pod_template(&mut c, t, "spec.template", &["OnFailure", "Never"], &[]);
                }
            }
            "CronJob" => check_cronjob(&mut c, v),
            "Pod" => check_pod_spec(
                &mut c,
                v.get("spec").unwrap_or(&Value::Null),
                "spec",
                &["Always", "OnFailure", "Never"],
                &[],
            ),
            "Service" => check_service(&mut c, v),
            "Ingress" => check_ingress(&mut c, v),
            "ConfigMap" => check_config_keys(&mut c, v, &["data", "binaryData"]),
            "Secret" => check_secret(&mut c, v),
            "PersistentVolumeClaim" => {
                check_pvc_spec(&mut c, v.get("spec").unwrap_or(&Value::Null), "spec", &[])
            }
            "HorizontalPodAutoscaler" => check_hpa(&mut c, v),
            "NetworkPolicy" => check_network_policy(&mut c, v),
            "RoleBinding" | "ClusterRoleBinding" => check_binding(&mut c, v),
            _ => {}
        }
    }
    out
}

/// The longest name a kind's objects may have, and whether it must be an RFC 1035 label
/// (Service), an RFC 1123 label, or a subdomain.
fn name_rule(kind: &str) -> (&'static str, usize) {
    match kind {
        "Service" => ("rfc1035", 63),
        "Namespace" => ("label", 63),
        // The CronJob controller appends an 11-character suffix for its Jobs (a 63-character
        // label): the API server keeps CronJob names to 52.
        "CronJob" => ("subdomain", 52),
        // RBAC objects and a few others take path-segment names.
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => ("segment", 253),
        _ => ("subdomain", 253),
    }
}

fn check_metadata(c: &mut Check<'_>) {
    let doc = c.doc;
    let name = doc.name.as_str();
    if !name.is_empty() {
        let (rule, max) = name_rule(&doc.kind);
        let ok = match rule {
            "rfc1035" => is_dns1035_label(name),
            "label" => is_dns_label(name),
            "segment" => !name.contains('/') && !name.contains('%') && name != "." && name != "..",
            _ => is_dns_subdomain(name),
        } && name.len() <= max;
        if !ok {
            let what = match rule {
                "rfc1035" => {
                    "an RFC 1035 label: at most 63 lowercase letters, digits and '-', starting with a letter"
                }
                "label" => "an RFC 1123 label: at most 63 lowercase letters, digits and '-'",
                "segment" => "a path segment: no '/' or '%', not '.' or '..'",
                _ => "an RFC 1123 subdomain: lowercase letters, digits, '-' and '.'",
            };
            c.push(
                &anchors(&["name:"]),
                "metadata.name",
                format!("{name:?} is not {what}, at most {max} characters for a {}", doc.kind),
                "rename it (the chart's fullname helpers usually trunc(63)); a CronJob's name may have 52 characters",
            );
        }
    }
    check_labels(
        c,
        doc.value.pointer("/metadata/labels"),
        "metadata.labels",
        "labels:",
    );
    if let Some(Value::Object(ann)) = doc.value.pointer("/metadata/annotations") {
        let mut total = 0;
        for (k, v) in ann {
            total += k.len() + v.as_str().map_or(0, str::len);
            if !is_qualified_name(k) {
                c.push(
                    &anchors(&["annotations:", k]),
                    &format!("metadata.annotations.{k}"),
                    "the key is not a qualified name ([prefix/]name, name: at most 63 alphanumerics, '-', '_', '.')".into(),
                    "fix the annotation key",
                );
            }
        }
        if total > 256 * 1024 {
            c.push(
                &anchors(&["annotations:"]),
                "metadata.annotations",
                format!("{total} bytes; annotations may total 256 KiB"),
                "move large data into a ConfigMap",
            );
        }
    }
}

fn check_labels(c: &mut Check<'_>, labels: Option<&Value>, path: &str, anchor: &str) {
    let Some(Value::Object(labels)) = labels else {
        return;
    };
    for (k, v) in labels {
        if !is_qualified_name(k) {
            c.push(
                &anchors(&[anchor, k]),
                &format!("{path}.{k}"),
                "the key is not a qualified name ([prefix/]name, name: at most 63 alphanumerics, '-', '_', '.')".into(),
                "fix the label key",
            );
        }
        match v {
            Value::String(s) if is_label_value(s) => {}
            Value::String(s) => c.push(
                &anchors(&[anchor, &format!("{k}:")]),
                &format!("{path}.{k}"),
                format!("{s:?} is not a label value (at most 63 alphanumerics, '-', '_', '.', starting and ending alphanumeric)"),
                "shorten or sanitise the value (labels are for selection, annotations for free text)",
            ),
            _ => {}
        }
    }
}

fn check_workload(
    c: &mut Check<'_>,
    v: &Value,
    at: &str,
    restart: &[&str],
    extra_volumes: &[String],
) {
    let Some(template) = v.pointer("/spec/template") else {
        return;
    };
    if let (Some(Value::Object(selector)), labels) = (
        v.pointer("/spec/selector/matchLabels"),
        template
            .pointer("/metadata/labels")
            .and_then(Value::as_object),
    ) {
        let matches = selector
            .iter()
            .all(|(k, want)| labels.and_then(|l| l.get(k)) == Some(want));
        if !matches {
            c.push(
                &anchors(&["selector:"]),
                "spec.selector",
                "`selector` does not match template `labels`".into(),
                "every selector.matchLabels entry must be a label of spec.template.metadata.labels (use the same selectorLabels helper in both)",
            );
        }
    }
    check_pod_template(c, template, at, restart, extra_volumes);
}

fn check_pod_template(
    c: &mut Check<'_>,
    template: &Value,
    at: &str,
    restart: &[&str],
    extra_volumes: &[String],
) {
    check_labels(
        c,
        template.pointer("/metadata/labels"),
        &format!("{at}.metadata.labels"),
        "labels:",
    );
    if let Some(spec) = template.get("spec") {
        check_pod_spec(c, spec, &format!("{at}.spec"), restart, extra_volumes);
    }
}

fn check_pod_spec(
    c: &mut Check<'_>,
    spec: &Value,
    at: &str,
    restart: &[&str],
    extra_volumes: &[String],
) {
    if let Some(policy) = spec.get("restartPolicy").and_then(text)
        && !restart.contains(&policy)
    {
        c.push(
            &anchors(&["restartPolicy:"]),
            &format!("{at}.restartPolicy"),
            format!(
                "{policy:?} is not allowed here; supported: {}",
                restart.join(", ")
            ),
            "Deployments, StatefulSets and DaemonSets restart Always; Jobs take OnFailure or Never",
        );
    }
    let list = |key: &str| -> Vec<Value> {
        spec.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let volumes = list("volumes");
    let mut volume_names = Vec::new();
    for (i, vol) in volumes.iter().enumerate() {
        let name = vol.get("name").and_then(text).unwrap_or_default();
        if volume_names.contains(&name) {
            c.push(
                &anchors(&["volumes:", &format!("name: {name}")]),
                &format!("{at}.volumes[{i}].name"),
                format!("duplicate volume name {name:?}"),
                "give each volume its own name",
            );
        }
        volume_names.push(name);
    }
    volume_names.extend(extra_volumes.iter().map(String::as_str));
    let mut container_names = Vec::new();
    for key in ["initContainers", "containers"] {
        for (i, container) in list(key).iter().enumerate() {
            let name = container.get("name").and_then(text).unwrap_or_default();
            let path = format!("{at}.{key}[{i}]");
            let anchor = [format!("{key}:"), format!("name: {name}")];
            if container_names.contains(&name.to_string()) {
                c.push(
                    &anchor,
                    &format!("{path}.name"),
                    format!("duplicate container name {name:?}"),
                    "give each container of the pod its own name",
                );
            }
            container_names.push(name.to_string());
            check_container(c, container, &path, &anchor, &volume_names);
        }
    }
}

fn check_container(
    c: &mut Check<'_>,
    container: &Value,
    path: &str,
    anchor: &[String],
    volumes: &[&str],
) {
    let here = |field: &str| -> Vec<String> {
        let mut a = anchor.to_vec();
        a.push(field.to_string());
        a
    };
    if let Some(policy) = container.get("imagePullPolicy").and_then(text)
        && !["Always", "IfNotPresent", "Never"].contains(&policy)
    {
        c.push(
            &here("imagePullPolicy:"),
            &format!("{path}.imagePullPolicy"),
            format!("{policy:?} is not one of Always, IfNotPresent, Never"),
            "use Always, IfNotPresent or Never (capitalised as written)",
        );
    }
    let mut port_names = Vec::new();
    for (i, port) in container
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(name) = port.get("name").and_then(text) {
            if !is_port_name(name) {
                c.push(
                    &here(&format!("name: {name}")),
                    &format!("{path}.ports[{i}].name"),
                    format!("{name:?} is not an IANA service name (at most 15 lowercase letters, digits and '-', with a letter)"),
                    "shorten the port name (http, mysql, metrics...)",
                );
            }
            if port_names.contains(&name) {
                c.push(
                    &here(&format!("name: {name}")),
                    &format!("{path}.ports[{i}].name"),
                    format!("duplicate port name {name:?}"),
                    "give each port its own name",
                );
            }
            port_names.push(name);
        }
        if let Some(n) = port.get("containerPort").and_then(Value::as_i64)
            && !(1..=65535).contains(&n)
        {
            c.push(
                &here("containerPort:"),
                &format!("{path}.ports[{i}].containerPort"),
                format!("{n} is not a port number (1-65535)"),
                "use a port between 1 and 65535",
            );
        }
    }
    for (i, env) in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(name) = env.get("name").and_then(text)
            && !is_env_name(name)
        {
            c.push(
                &here(&format!("name: {name}")),
                &format!("{path}.env[{i}].name"),
                format!("{name:?} is not an environment variable name (printable characters, no '=' or spaces)"),
                "rename the variable",
            );
        }
    }
    for (i, mount) in container
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = mount.get("name").and_then(text).unwrap_or_default();
        if !volumes.contains(&name) {
            c.push(
                &here(&format!("name: {name}")),
                &format!("{path}.volumeMounts[{i}].name"),
                format!("{name:?} is not a volume of the pod"),
                "declare the volume under spec.volumes, or fix the mount's name",
            );
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(Value::Object(p)) = container.get(probe) else {
            continue;
        };
        let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
            .into_iter()
            .filter(|h| p.contains_key(*h))
            .collect();
        if handlers.len() != 1 {
            c.push(
                &here(&format!("{probe}:")),
                &format!("{path}.{probe}"),
                if handlers.is_empty() {
                    "must specify a handler type (exec, httpGet, tcpSocket or grpc)".into()
                } else {
                    format!(
                        "may not specify more than 1 handler type (has {})",
                        handlers.join(", ")
                    )
                },
                "keep exactly one of exec, httpGet, tcpSocket, grpc",
            );
        }
    }
    check_resources(
        c,
        container.get("resources"),
        &format!("{path}.resources"),
        &here("resources:"),
    );
}

fn check_resources(c: &mut Check<'_>, resources: Option<&Value>, path: &str, anchor: &[String]) {
    let Some(resources) = resources else { return };
    let mut parsed: Map<String, Value> = Map::new();
    for part in ["requests", "limits"] {
        let Some(Value::Object(list)) = resources.get(part) else {
            continue;
        };
        for (name, q) in list {
            let q_text = match q {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            let mut a = anchor.to_vec();
            a.push(format!("{part}:"));
            a.push(format!("{name}:"));
            match super::quantity::parse(&q_text) {
                Ok(Some(n)) => {
                    parsed.insert(format!("{part}/{name}"), Value::String(n.to_string()));
                }
                Ok(None) => {}
                Err(why) => c.push(
                    &a,
                    &format!("{path}.{part}.{name}"),
                    why,
                    "write quantities as Kubernetes does: 500m or 0.5 CPU, 256Mi or 1Gi memory (not 500mb, 1Gb)",
                ),
            }
        }
    }
    for (key, request) in &parsed {
        let Some(name) = key.strip_prefix("requests/") else {
            continue;
        };
        let Some(limit) = parsed.get(&format!("limits/{name}")) else {
            continue;
        };
        let (r, l) = (
            request.as_str().and_then(|s| s.parse::<i128>().ok()),
            limit.as_str().and_then(|s| s.parse::<i128>().ok()),
        );
        if let (Some(r), Some(l)) = (r, l)
            && r > l
        {
            let mut a = anchor.to_vec();
            a.push("requests:".into());
            a.push(format!("{name}:"));
            c.push(
                &a,
                &format!("{path}.requests.{name}"),
                format!(
                    "the request is above the limit ({})",
                    shown(&resources["limits"][name])
                ),
                "lower the request or raise the limit: a request may not exceed its limit",
            );
        }
    }
}

fn check_statefulset(c: &mut Check<'_>, v: &Value) {
    if let Some(policy) = v.pointer("/spec/podManagementPolicy").and_then(text)
        && !["OrderedReady", "Parallel"].contains(&policy)
    {
        c.push(
            &anchors(&["podManagementPolicy:"]),
            "spec.podManagementPolicy",
            format!("{policy:?} is not one of OrderedReady, Parallel"),
            "use OrderedReady (the default) or Parallel",
        );
    }
    for (i, claim) in v
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = claim
            .pointer("/metadata/name")
            .and_then(text)
            .unwrap_or_default()
            .to_string();
        check_pvc_spec(
            c,
            claim.get("spec").unwrap_or(&Value::Null),
            &format!("spec.volumeClaimTemplates[{i}].spec"),
            &["volumeClaimTemplates:", &format!("name: {name}")],
        );
    }
}

fn check_pvc_spec(c: &mut Check<'_>, spec: &Value, at: &str, base: &[&str]) {
    let here = |field: &str| -> Vec<String> {
        let mut a = anchors(base);
        a.push(field.to_string());
        a
    };
    match spec.get("accessModes").and_then(Value::as_array) {
        None => c.push(
            &here("spec:"),
            &format!("{at}.accessModes"),
            "at least 1 access mode is required".into(),
            "add accessModes: [ReadWriteOnce]",
        ),
        Some(modes) if modes.is_empty() => c.push(
            &here("accessModes:"),
            &format!("{at}.accessModes"),
            "at least 1 access mode is required".into(),
            "add accessModes: [ReadWriteOnce]",
        ),
        Some(modes) => {
            for m in modes.iter().filter_map(text) {
                if ![
                    "ReadWriteOnce",
                    "ReadOnlyMany",
                    "ReadWriteMany",
                    "ReadWriteOncePod",
                ]
                .contains(&m)
                {
                    c.push(
                        &here("accessModes:"),
                        &format!("{at}.accessModes"),
                        format!("{m:?} is not one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod"),
                        "use ReadWriteOnce unless the storage class supports more",
                    );
                }
            }
        }
    }
    match spec.pointer("/resources/requests/storage") {
        None => c.push(
            &here("resources:"),
            &format!("{at}.resources.requests.storage"),
            "the claim asks for no storage".into(),
            "set resources.requests.storage (e.g. 1Gi)",
        ),
        Some(q) => {
            let q_text = q.as_str().map_or_else(|| q.to_string(), str::to_string);
            if let Err(why) = super::quantity::parse(&q_text) {
                c.push(
                    &here("storage:"),
                    &format!("{at}.resources.requests.storage"),
                    why,
                    "write sizes as Kubernetes does: 1Gi, 500Mi (not 1GB)",
                );
            }
        }
    }
}

fn check_cronjob(c: &mut Check<'_>, v: &Value) {
    if let Some(schedule) = v.pointer("/spec/schedule").and_then(text)
        && let Some(why) = cron_problem(schedule)
    {
        c.push(
            &anchors(&["schedule:"]),
            "spec.schedule",
            format!("{schedule:?} is not a valid cron schedule: {why}"),
            "use five fields (\"*/5 * * * *\") or a descriptor such as @hourly",
        );
    }
    if let Some(t) = v.pointer("/spec/jobTemplate/spec/template") {
        check_pod_template(
            c,
            t,
            "spec.jobTemplate.spec.template",
            &["OnFailure", "Never"],
            &[],
        );
    }
}

fn check_service(c: &mut Check<'_>, v: &Value) {
    let kind = v
        .pointer("/spec/type")
        .and_then(text)
        .unwrap_or("ClusterIP");
    if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(&kind) {
        c.push(
            &anchors(&["type:"]),
            "spec.type",
            format!("{kind:?} is not one of ClusterIP, NodePort, LoadBalancer, ExternalName"),
            "use one of the four Service types",
        );
    }
    let headless = v.pointer("/spec/clusterIP").and_then(text) == Some("None");
    if headless && matches!(kind, "NodePort" | "LoadBalancer") {
        c.push(
            &anchors(&["clusterIP:"]),
            "spec.clusterIP",
            format!("a headless Service (clusterIP: None) may not be of type {kind}"),
            "drop clusterIP: None, or make the Service ClusterIP",
        );
    }
    if kind == "ExternalName"
        && v.pointer("/spec/externalName")
            .and_then(text)
            .is_none_or(str::is_empty)
    {
        c.push(
            &anchors(&["type:"]),
            "spec.externalName",
            "an ExternalName Service needs spec.externalName".into(),
            "set externalName to the DNS name the Service stands for",
        );
    }
    let ports = v
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let name = port.get("name").and_then(text).unwrap_or_default();
        let anchor = if name.is_empty() {
            anchors(&[
                "ports:",
                &format!("port: {}", port.get("port").map(shown).unwrap_or_default()),
            ])
        } else {
            anchors(&["ports:", &format!("name: {name}")])
        };
        if ports.len() > 1 && name.is_empty() {
            c.push(
                &anchor,
                &format!("spec.ports[{i}].name"),
                "a Service with more than one port must name each port".into(),
                "name every port (http, metrics...)",
            );
        }
        if !name.is_empty() {
            if !is_port_name(name) {
                c.push(
                    &anchor,
                    &format!("spec.ports[{i}].name"),
                    format!("{name:?} is not an IANA service name (at most 15 lowercase letters, digits and '-')"),
                    "shorten the port name",
                );
            }
            if names.contains(&name) {
                c.push(
                    &anchor,
                    &format!("spec.ports[{i}].name"),
                    format!("duplicate port name {name:?}"),
                    "give each port its own name",
                );
            }
            names.push(name);
        }
        if let Some(n) = port.get("port").and_then(Value::as_i64)
            && !(1..=65535).contains(&n)
        {
            c.push(
                &anchor,
                &format!("spec.ports[{i}].port"),
                format!("{n} is not a port number (1-65535)"),
                "use a port between 1 and 65535",
            );
        }
        match port.get("targetPort") {
            Some(Value::Number(n)) if !(1..=65535).contains(&n.as_i64().unwrap_or(0)) => c.push(
                &anchor,
                &format!("spec.ports[{i}].targetPort"),
                format!("{n} is not a port number (1-65535)"),
                "use a port between 1 and 65535, or a container port's name",
            ),
            Some(Value::String(s)) if !is_port_name(s) && s.parse::<u32>().is_err() => c.push(
                &anchor,
                &format!("spec.ports[{i}].targetPort"),
                format!("{s:?} is neither a port number nor an IANA service name"),
                "use the number or the name of a container port",
            ),
            _ => {}
        }
        if let Some(p) = port.get("protocol").and_then(text)
            && !["TCP", "UDP", "SCTP"].contains(&p)
        {
            c.push(
                &anchor,
                &format!("spec.ports[{i}].protocol"),
                format!("{p:?} is not one of TCP, UDP, SCTP"),
                "use TCP, UDP or SCTP (capitals)",
            );
        }
    }
}

fn check_ingress(c: &mut Check<'_>, v: &Value) {
    for (i, rule) in v
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(host) = rule.get("host").and_then(text) {
            let bare = host.strip_prefix("*.").unwrap_or(host);
            if !is_dns_subdomain(bare) || host.contains(':') {
                c.push(
                    &anchors(&["rules:", &format!("host: {host}")]),
                    &format!("spec.rules[{i}].host"),
                    format!("{host:?} is not a DNS name (lowercase, no port, no IP); a wildcard is only allowed as *.domain"),
                    "use the host name alone, e.g. app.example.com",
                );
            }
        }
        for (j, path) in rule
            .pointer("/http/paths")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("spec.rules[{i}].http.paths[{j}]");
            let p = path.get("path").and_then(text).unwrap_or_default();
            // A missing pathType is the schema's finding (a required field).
            match path.get("pathType").and_then(text) {
                None => {}
                Some(t) if !["Exact", "Prefix", "ImplementationSpecific"].contains(&t) => c.push(
                    &anchors(&["paths:", "pathType:"]),
                    &format!("{at}.pathType"),
                    format!("{t:?} is not one of Exact, Prefix, ImplementationSpecific"),
                    "use Prefix, Exact or ImplementationSpecific",
                ),
                Some("Exact" | "Prefix") if !p.starts_with('/') => c.push(
                    &anchors(&["paths:", &format!("path: {p}")]),
                    &format!("{at}.path"),
                    format!("{p:?} must be an absolute path (start with /)"),
                    "start the path with /",
                ),
                _ => {}
            }
        }
    }
}

fn check_config_keys(c: &mut Check<'_>, v: &Value, sections: &[&str]) {
    for section in sections {
        let Some(Value::Object(map)) = v.get(*section) else {
            continue;
        };
        for k in map.keys() {
            if !is_config_key(k) {
                c.push(
                    &anchors(&[&format!("{section}:"), k]),
                    &format!("{section}.{k}"),
                    "the key is not valid (alphanumerics, '-', '_' and '.' only; at most 253)"
                        .into(),
                    "rename the key (a file name without directories)",
                );
            }
        }
    }
}

fn check_secret(c: &mut Check<'_>, v: &Value) {
    check_config_keys(c, v, &["data", "stringData"]);
    let data = v.get("data").and_then(Value::as_object);
    let string_data = v.get("stringData").and_then(Value::as_object);
    for (k, value) in data.into_iter().flatten() {
        let ok = match value {
            Value::String(s) => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(s).is_ok()
            }
            Value::Null => true,
            _ => false,
        };
        if !ok {
            // Never the value: only that it is not base64.
            c.push(
                &anchors(&["data:", &format!("{k}:")]),
                &format!("data.{k}"),
                "the value is not base64 (Secret data is base64-encoded)".into(),
                "encode it (| b64enc) or move it to stringData",
            );
        }
    }
    let has = |key: &str| {
        data.is_some_and(|d| d.contains_key(key))
            || string_data.is_some_and(|d| d.contains_key(key))
    };
    let required: &[&str] = match v.get("type").and_then(text) {
        Some("kubernetes.io/tls") => &["tls.crt", "tls.key"],
        Some("kubernetes.io/dockerconfigjson") => &[".dockerconfigjson"],
        Some("kubernetes.io/basic-auth") => &[],
        Some("kubernetes.io/ssh-auth") => &["ssh-privatekey"],
        _ => &[],
    };
    for key in required {
        if !has(key) {
            c.push(
                &anchors(&["type:"]),
                &format!("data[{key}]"),
                format!(
                    "a Secret of type {} needs the key {key}",
                    v["type"].as_str().unwrap_or_default()
                ),
                "add the key, or change the Secret's type",
            );
        }
    }
}

fn check_hpa(c: &mut Check<'_>, v: &Value) {
    let min = v.pointer("/spec/minReplicas").and_then(Value::as_i64);
    let max = v.pointer("/spec/maxReplicas").and_then(Value::as_i64);
    if let Some(min) = min
        && min < 1
    {
        c.push(
            &anchors(&["minReplicas:"]),
            "spec.minReplicas",
            format!("{min} must be greater than or equal to 1"),
            "set minReplicas to 1 or more",
        );
    }
    if let Some(max) = max {
        if max < 1 {
            c.push(
                &anchors(&["maxReplicas:"]),
                "spec.maxReplicas",
                format!("{max} must be greater than or equal to 1"),
                "set maxReplicas to 1 or more",
            );
        } else if max < min.unwrap_or(1) {
            c.push(
                &anchors(&["maxReplicas:"]),
                "spec.maxReplicas",
                format!(
                    "{max} must be greater than or equal to minReplicas ({})",
                    min.unwrap_or(1)
                ),
                "raise maxReplicas or lower minReplicas",
            );
        }
    }
}

fn check_network_policy(c: &mut Check<'_>, v: &Value) {
    for (i, t) in v
        .pointer("/spec/policyTypes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(t) = t.as_str()
            && !["Ingress", "Egress"].contains(&t)
        {
            c.push(
                &anchors(&["policyTypes:"]),
                &format!("spec.policyTypes[{i}]"),
                format!("{t:?} is not one of Ingress, Egress"),
                "use Ingress and/or Egress (capitalised)",
            );
        }
    }
    for (dir, peers_key) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in v
            .pointer(&format!("/spec/{dir}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, peer) in rule
                .get(peers_key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(block) = peer.get("ipBlock") else {
                    continue;
                };
                let at = format!("spec.{dir}[{i}].{peers_key}[{j}].ipBlock");
                let cidr = block.get("cidr").and_then(text).unwrap_or_default();
                if !is_cidr(cidr) {
                    c.push(
                        &anchors(&["ipBlock:", "cidr:"]),
                        &format!("{at}.cidr"),
                        format!("{cidr:?} is not a CIDR (address/prefix, e.g. 10.0.0.0/16)"),
                        "write the block as ADDRESS/PREFIX",
                    );
                }
                for (k, except) in block
                    .get("except")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if !except.as_str().is_some_and(is_cidr) {
                        c.push(
                            &anchors(&["ipBlock:", "except:"]),
                            &format!("{at}.except[{k}]"),
                            format!("{} is not a CIDR", shown(except)),
                            "write each exception as ADDRESS/PREFIX",
                        );
                    }
                }
            }
            for (j, port) in rule
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(p) = port.get("protocol").and_then(text)
                    && !["TCP", "UDP", "SCTP"].contains(&p)
                {
                    c.push(
                        &anchors(&["ports:", "protocol:"]),
                        &format!("spec.{dir}[{i}].ports[{j}].protocol"),
                        format!("{p:?} is not one of TCP, UDP, SCTP"),
                        "use TCP, UDP or SCTP (capitals)",
                    );
                }
            }
        }
    }
}

fn check_binding(c: &mut Check<'_>, v: &Value) {
    let role_kind = v
        .pointer("/roleRef/kind")
        .and_then(text)
        .unwrap_or_default();
    let allowed: &[&str] = if c.doc.kind == "ClusterRoleBinding" {
        &["ClusterRole"]
    } else {
        &["Role", "ClusterRole"]
    };
    if !allowed.contains(&role_kind) {
        c.push(
            &anchors(&["roleRef:", "kind:"]),
            "roleRef.kind",
            format!("{role_kind:?} is not one of {}", allowed.join(", ")),
            "a RoleBinding refers to a Role or ClusterRole, a ClusterRoleBinding to a ClusterRole",
        );
    }
    if v.pointer("/roleRef/apiGroup").and_then(text) != Some("rbac.authorization.k8s.io") {
        c.push(
            &anchors(&["roleRef:"]),
            "roleRef.apiGroup",
            "must be rbac.authorization.k8s.io".into(),
            "set roleRef.apiGroup: rbac.authorization.k8s.io",
        );
    }
    for (i, subject) in v
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let kind = subject.get("kind").and_then(text).unwrap_or_default();
        if !["ServiceAccount", "User", "Group"].contains(&kind) {
            c.push(
                &anchors(&["subjects:", "kind:"]),
                &format!("subjects[{i}].kind"),
                format!("{kind:?} is not one of ServiceAccount, User, Group"),
                "use ServiceAccount, User or Group",
            );
        }
        if kind == "ServiceAccount"
            && c.doc.kind == "ClusterRoleBinding"
            && subject
                .get("namespace")
                .and_then(text)
                .is_none_or(str::is_empty)
        {
            c.push(
                &anchors(&["subjects:", "kind: ServiceAccount"]),
                &format!("subjects[{i}].namespace"),
                "a ServiceAccount subject of a ClusterRoleBinding needs its namespace".into(),
                "set namespace: {{ Release.Namespace }} on the subject",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_dns_label("web-1") && !is_dns_label("Web") && !is_dns_label("-a"));
        assert!(is_dns1035_label("web") && !is_dns1035_label("1web"));
        assert!(is_dns_subdomain("a.b-c") && !is_dns_subdomain("a..b"));
        assert!(is_qualified_name("app.kubernetes.io/name") && !is_qualified_name("a/b/c"));
        assert!(is_label_value("") && is_label_value("v1.2_3") && !is_label_value("a b"));
        assert!(
            is_port_name("http") && !is_port_name("http-metrics-long") && !is_port_name("8080")
        );
        assert!(is_env_name("cluster.name") && !is_env_name("A=B") && !is_env_name("A B"));
        assert!(is_config_key("app.conf") && !is_config_key("conf/app.conf"));
        assert!(
            is_cidr("10.0.0.0/8")
                && is_cidr("fd00::/64")
                && !is_cidr("10.0.0.0/33")
                && !is_cidr("10.0.0.0")
        );
        assert_eq!(cron_problem("*/5 * * * *"), None);
        assert_eq!(cron_problem("@hourly"), None);
        assert!(cron_problem("* * * *").is_some());
        assert!(cron_problem("61 * * * *").is_some());
        assert!(cron_problem("TZ=UTC 0 * * * *").is_some());
    }
}
