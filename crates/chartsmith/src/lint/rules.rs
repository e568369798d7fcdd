//! The rule functions: pure functions of parsed documents (and of a chart's values.yaml).

use serde_json::{Map, Value};

use super::{Diagnostic, EXTERNAL_ANNOTATION};
use crate::manifest::Manifest;

/// Ports that serve a database protocol, not HTTP.
const DATABASE_PORTS: &[(u64, &str)] = &[
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (27017, "MongoDB"),
    (6379, "Redis"),
];

/// One rendered document, parsed.
#[derive(Debug, Clone)]
pub struct Document {
    /// The template it came from.
    pub source: String,
    /// The rendered text (for line numbers).
    pub content: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The parsed document.
    pub value: Value,
}

impl Document {
    /// A document from a rendered manifest and its parsed value.
    pub fn new(manifest: &Manifest, value: Value) -> Document {
        Document {
            source: manifest.source.clone(),
            content: manifest.content.clone(),
            kind: manifest.kind.clone(),
            name: manifest.name.clone(),
            value,
        }
    }

    /// Parses `content` (tests and callers without a [`Manifest`]).
    pub fn parse(source: &str, content: &str) -> Result<Document, crate::yaml::YamlError> {
        let value = crate::yaml::manifest_from_str(content, source)?;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
        Ok(Document {
            source: source.to_string(),
            content: content.to_string(),
            kind: text(value.get("kind")),
            name: text(value.pointer("/metadata/name")),
            value,
        })
    }

    fn resource(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// A finding on this document, located by searching `anchors` one after the other.
    pub(super) fn diagnostic(
        &self,
        rule: &'static str,
        anchors: &[&str],
        message: String,
    ) -> Diagnostic {
        let mut d = Diagnostic::new(rule, &self.source, message);
        d.resource = Some(self.resource());
        if let Some((line, column)) = locate(&self.content, anchors) {
            d.line = Some(line);
            d.column = Some(column);
            d.snippet = self
                .content
                .lines()
                .nth(line - 1)
                .map(|l| l.trim_end().to_string());
        }
        d
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }
}

/// Finds the line (1-based) and column of the last anchor, each anchor searched from the line of
/// the previous one (anchors not found are skipped).
fn locate(content: &str, anchors: &[&str]) -> Option<(usize, usize)> {
    let lines: Vec<&str> = content.lines().collect();
    let mut start = 0;
    let mut found = None;
    for anchor in anchors.iter().filter(|a| !a.is_empty()) {
        if let Some((i, col)) = lines
            .iter()
            .enumerate()
            .skip(start)
            .find_map(|(i, l)| l.find(anchor).map(|c| (i, c)))
        {
            found = Some((i + 1, col + 1));
            start = i;
        }
    }
    found
}

/// A pod template of a workload (or a bare Pod).
struct PodTemplate<'a> {
    doc: &'a Document,
    labels: Option<&'a Map<String, Value>>,
    spec: &'a Value,
    external: bool,
}

impl PodTemplate<'_> {
    fn containers(&self) -> impl Iterator<Item = &Value> {
        self.list("containers")
    }

    fn all_containers(&self) -> impl Iterator<Item = &Value> {
        self.list("initContainers").chain(self.list("containers"))
    }

    fn list(&self, key: &str) -> impl Iterator<Item = &Value> {
        self.spec
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }
}

fn pod_templates(documents: &[Document]) -> Vec<PodTemplate<'_>> {
    let mut out = Vec::new();
    for doc in documents {
        let template = match doc.kind.as_str() {
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => doc.value.pointer("/spec/template"),
            "CronJob" => doc.value.pointer("/spec/jobTemplate/spec/template"),
            "Pod" => Some(&doc.value),
            _ => None,
        };
        let Some(template) = template else { continue };
        let Some(spec) = template.get("spec") else {
            continue;
        };
        let template_external = template
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(EXTERNAL_ANNOTATION))
            .and_then(Value::as_str)
            == Some("true");
        out.push(PodTemplate {
            doc,
            labels: template
                .pointer("/metadata/labels")
                .and_then(Value::as_object),
            spec,
            external: template_external || doc.annotation(EXTERNAL_ANNOTATION) == Some("true"),
        });
    }
    out
}

fn container_name(c: &Value) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or("")
}

fn container_ports(c: &Value) -> impl Iterator<Item = &Value> {
    c.get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The number a port reference (number, numeric string or name) resolves to in container `c`.
fn resolve_port(c: &Value, port: &Value) -> Option<u64> {
    match port {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok().or_else(|| {
            container_ports(c)
                .find(|p| p.get("name").and_then(Value::as_str) == Some(s.as_str()))
                .and_then(|p| p.get("containerPort"))
                .and_then(Value::as_u64)
        }),
        _ => None,
    }
}

/// Whether container `c` declares `port` (by number or by name).
fn declares_port(c: &Value, port: &Value) -> bool {
    match port {
        Value::String(s) if s.parse::<u64>().is_err() => {
            container_ports(c).any(|p| p.get("name").and_then(Value::as_str) == Some(s.as_str()))
        }
        _ => resolve_port(c, port).is_some_and(|n| {
            container_ports(c).any(|p| p.get("containerPort").and_then(Value::as_u64) == Some(n))
        }),
    }
}

fn port_text(port: &Value) -> String {
    match port {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn selects(selector: &Map<String, Value>, labels: Option<&Map<String, Value>>) -> bool {
    let Some(labels) = labels else { return false };
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Runs every manifest rule on the documents of one release. `external` names ConfigMaps and
/// Secrets managed outside the chart (`NAME`, `ConfigMap/NAME` or `Secret/NAME`).
pub fn check_documents(documents: &[Document], external: &[String]) -> Vec<Diagnostic> {
    let pods = pod_templates(documents);
    let mut out = Vec::new();
    for doc in documents.iter().filter(|d| d.kind == "Service") {
        check_service(doc, &pods, &mut out);
    }
    for pod in &pods {
        check_probes(pod, &mut out);
        check_images(pod, &mut out);
        check_env_ips(pod, &mut out);
        check_host_paths(pod, &mut out);
        if !pod.external {
            check_references(pod, documents, external, &mut out);
        }
    }
    for doc in documents {
        if doc.kind == "PersistentVolume" && doc.value.pointer("/spec/hostPath").is_some() {
            out.push(doc.diagnostic(
                "host-path-volume",
                &["hostPath:"],
                format!("PersistentVolume `{}` is a hostPath volume", doc.name),
            ));
        }
        if doc.kind == "HorizontalPodAutoscaler" {
            check_hpa(doc, &pods, &mut out);
        }
    }
    out
}

fn check_service(doc: &Document, pods: &[PodTemplate<'_>], out: &mut Vec<Diagnostic>) {
    let ports = doc
        .value
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for p in ports {
        if let Some(node_port) = p.get("nodePort").and_then(Value::as_i64)
            && !(30000..=32767).contains(&node_port)
        {
            out.push(doc.diagnostic(
                "node-port-out-of-range",
                &["ports:", &format!("nodePort: {node_port}")],
                format!(
                    "Service `{}` asks for nodePort {node_port}, outside the range 30000-32767",
                    doc.name
                ),
            ));
        }
    }
    let Some(selector) = doc
        .value
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    let selected: Vec<&PodTemplate<'_>> = pods
        .iter()
        .filter(|p| selects(selector, p.labels))
        .collect();
    if selected.is_empty() {
        let wanted: Vec<String> = selector
            .iter()
            .map(|(k, v)| format!("{k}={}", port_text(v)))
            .collect();
        out.push(doc.diagnostic(
            "service-selector-matches-nothing",
            &["selector:"],
            format!(
                "Service `{}` selects {} but no pod template of the release has these labels",
                doc.name,
                wanted.join(",")
            ),
        ));
        return;
    }
    for p in ports {
        let Some(target) = p.get("targetPort").or_else(|| p.get("port")) else {
            continue;
        };
        let exposed = selected
            .iter()
            .any(|pod| pod.containers().any(|c| declares_port(c, target)));
        if !exposed {
            let text = port_text(target);
            let anchor = if p.get("targetPort").is_some() {
                format!("targetPort: {text}")
            } else {
                format!("port: {text}")
            };
            let workloads: Vec<String> = selected.iter().map(|w| w.doc.resource()).collect();
            out.push(doc.diagnostic(
                "service-target-port-not-exposed",
                &["ports:", &anchor],
                format!(
                    "Service `{}` sends traffic to port `{text}`, which no container of {} exposes",
                    doc.name,
                    workloads.join(", ")
                ),
            ));
        }
    }
}

const PROBES: &[&str] = &["livenessProbe", "readinessProbe", "startupProbe"];

fn check_probes(pod: &PodTemplate<'_>, out: &mut Vec<Diagnostic>) {
    for c in pod.containers() {
        let name = container_name(c);
        for probe_kind in PROBES {
            let Some(probe) = c.get(*probe_kind) else {
                continue;
            };
            for (handler, is_http) in [("httpGet", true), ("tcpSocket", false), ("grpc", false)] {
                let Some(port) = probe.get(handler).and_then(|h| h.get("port")) else {
                    continue;
                };
                let text = port_text(port);
                let anchors = [
                    format!("name: {name}"),
                    format!("{probe_kind}:"),
                    format!("{handler}:"),
                    "port:".to_string(),
                ];
                let anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
                if !declares_port(c, port) {
                    out.push(pod.doc.diagnostic(
                        "probe-port-not-exposed",
                        &anchors,
                        format!(
                            "the {probe_kind} of container `{name}` checks port `{text}`, which the container does not declare"
                        ),
                    ));
                }
                if is_http
                    && let Some(number) = resolve_port(c, port)
                    && let Some((_, protocol)) = DATABASE_PORTS.iter().find(|(p, _)| *p == number)
                {
                    out.push(pod.doc.diagnostic(
                        "http-probe-on-database-port",
                        &anchors,
                        format!(
                            "the {probe_kind} of container `{name}` sends HTTP to port {number}, which serves the {protocol} protocol: the probe always fails"
                        ),
                    ));
                }
            }
        }
    }
}

/// Why `image` is not pinned: `Some("has no tag")`, `Some("uses the latest tag")`, or `None`.
pub(crate) fn image_problem(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag (it means `latest`)"),
        Some((_, "latest")) => Some("uses the `latest` tag"),
        Some((_, "")) => Some("has an empty tag"),
        Some(_) => None,
    }
}

fn check_images(pod: &PodTemplate<'_>, out: &mut Vec<Diagnostic>) {
    for c in pod.all_containers() {
        let Some(image) = c.get("image").and_then(Value::as_str) else {
            continue;
        };
        if let Some(problem) = image_problem(image) {
            out.push(pod.doc.diagnostic(
                "image-tag-mutable",
                &[&format!("name: {}", container_name(c)), "image:", image],
                format!(
                    "image `{image}` of container `{}` {problem}: the version deployed changes without the chart changing",
                    container_name(c)
                ),
            ));
        }
    }
}

/// Whether `value` is a literal IPv4 address (optionally with a port) that names a host: not
/// `0.0.0.0` (bind everything) nor loopback.
pub(crate) fn is_literal_host_ip(value: &str) -> bool {
    let host = value
        .split_once(':')
        .map_or(
            value,
            |(h, port)| {
                if port.parse::<u16>().is_ok() { h } else { "" }
            },
        )
        .trim();
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => !ip.is_unspecified() && !ip.is_loopback() && !ip.is_broadcast(),
        Err(_) => false,
    }
}

fn check_env_ips(pod: &PodTemplate<'_>, out: &mut Vec<Diagnostic>) {
    for c in pod.all_containers() {
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let Some(value) = e.get("value").and_then(Value::as_str) else {
                continue;
            };
            if is_literal_host_ip(value) {
                let var = e.get("name").and_then(Value::as_str).unwrap_or("");
                out.push(pod.doc.diagnostic(
                    "env-literal-ip",
                    &[
                        &format!("name: {}", container_name(c)),
                        &format!("name: {var}"),
                        value,
                    ],
                    format!(
                        "{var} of container `{}` is the literal address {value}: a cluster IP changes when the Service is recreated",
                        container_name(c)
                    ),
                ));
            }
        }
    }
}

fn check_host_paths(pod: &PodTemplate<'_>, out: &mut Vec<Diagnostic>) {
    for v in pod.list("volumes") {
        if let Some(path) = v.pointer("/hostPath/path").and_then(Value::as_str) {
            let name = v.get("name").and_then(Value::as_str).unwrap_or("");
            out.push(pod.doc.diagnostic(
                "host-path-volume",
                &["volumes:", &format!("name: {name}"), "hostPath:"],
                format!("volume `{name}` mounts `{path}` from the node (hostPath)"),
            ));
        }
    }
}

/// The ConfigMaps and Secrets a pod template references: (kind, name, optional).
fn references(pod: &PodTemplate<'_>) -> Vec<(&'static str, String, bool)> {
    let mut refs = Vec::new();
    let optional = |v: &Value| v.get("optional").and_then(Value::as_bool) == Some(true);
    let mut push = |kind: &'static str, v: Option<&Value>, key: &str| {
        if let Some(v) = v
            && let Some(name) = v.get(key).and_then(Value::as_str)
        {
            refs.push((kind, name.to_string(), optional(v)));
        }
    };
    for c in pod.all_containers() {
        for e in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            push("ConfigMap", e.get("configMapRef"), "name");
            push("Secret", e.get("secretRef"), "name");
        }
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            push("ConfigMap", e.pointer("/valueFrom/configMapKeyRef"), "name");
            push("Secret", e.pointer("/valueFrom/secretKeyRef"), "name");
        }
    }
    for v in pod.list("volumes") {
        push("ConfigMap", v.get("configMap"), "name");
        push("Secret", v.get("secret"), "secretName");
        for s in v
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            push("ConfigMap", s.get("configMap"), "name");
            push("Secret", s.get("secret"), "name");
        }
    }
    refs
}

fn check_references(
    pod: &PodTemplate<'_>,
    documents: &[Document],
    external: &[String],
    out: &mut Vec<Diagnostic>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (kind, name, optional) in references(pod) {
        if optional || !seen.insert((kind, name.clone())) {
            continue;
        }
        let rendered = documents.iter().any(|d| d.kind == kind && d.name == name);
        let listed = external
            .iter()
            .any(|e| *e == name || *e == format!("{kind}/{name}"));
        if !rendered && !listed {
            let anchor = format!("name: {name}");
            let secret_anchor = format!("secretName: {name}");
            let anchor = if pod.doc.content.contains(&anchor) {
                anchor
            } else {
                secret_anchor
            };
            out.push(pod.doc.diagnostic(
                "config-reference-not-rendered",
                &["spec:", &anchor],
                format!(
                    "{kind} `{name}` is referenced by {} but the release does not render it",
                    pod.doc.resource()
                ),
            ));
        }
    }
}

fn check_hpa(doc: &Document, pods: &[PodTemplate<'_>], out: &mut Vec<Diagnostic>) {
    let target = |k: &str| {
        doc.value
            .pointer(&format!("/spec/scaleTargetRef/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let (kind, name) = (target("kind"), target("name"));
    // autoscaling/v1 scales on CPU only; v2 on CPU when a metric says so, or when there are none
    // (the default is 80 % CPU).
    let metrics = doc.value.pointer("/spec/metrics").and_then(Value::as_array);
    let on_cpu = match metrics {
        None => true,
        Some(m) if m.is_empty() => true,
        Some(m) => m.iter().any(|m| {
            m.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
                || m.pointer("/containerResource/name").and_then(Value::as_str) == Some("cpu")
        }),
    };
    if !on_cpu {
        return;
    }
    let Some(pod) = pods
        .iter()
        .find(|p| p.doc.kind == kind && p.doc.name == name)
    else {
        return;
    };
    for c in pod.containers() {
        if c.pointer("/resources/requests/cpu")
            .is_none_or(Value::is_null)
        {
            let cname = container_name(c);
            let mut d = pod.doc.diagnostic(
                "hpa-target-without-cpu-requests",
                &[&format!("name: {cname}")],
                format!(
                    "HorizontalPodAutoscaler `{}` scales {} on CPU, but container `{cname}` has no CPU request: the autoscaler cannot compute utilisation",
                    doc.name,
                    pod.doc.resource()
                ),
            );
            d.hint = format!("{} (the HPA is in {})", d.hint, doc.source);
            out.push(d);
        }
    }
}

/// Whether a values key names a credential (`password`, `rootPassword`, `apiToken`, `secret`),
/// rather than a reference to one (`existingSecret`, `passwordKey`, `secretName`).
pub(crate) fn is_credential_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '_'], "");
    if k.starts_with("existing") {
        return false;
    }
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "secretkey",
        "privatekey",
    ]
    .iter()
    .any(|suffix| k.ends_with(suffix))
}

/// Whether a mapping holds names of keys (`secretKeys: {password: mysql-password}`): its entries
/// are not credentials.
fn is_key_names(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("keys") || k.ends_with("keyref") || k.ends_with("names")
}

/// Credentials with plain non-empty defaults in a chart's `values.yaml`. `raw` is the file's text
/// (for line numbers); the values themselves never appear in a finding.
pub fn check_values_credentials(
    values: &Map<String, Value>,
    raw: &str,
    file: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk_values(values, raw, file, &mut path, &mut out);
    out
}

fn walk_values(
    map: &Map<String, Value>,
    raw: &str,
    file: &str,
    path: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
) {
    for (key, value) in map {
        path.push(key.clone());
        match value {
            Value::Object(inner) if !is_key_names(key) => walk_values(inner, raw, file, path, out),
            Value::String(s)
                if is_credential_key(key) && !s.trim().is_empty() && !s.contains("{{") =>
            {
                let dotted = path.join(".");
                let mut d = Diagnostic::new(
                    "credentials-in-values",
                    file,
                    format!(
                        "`{dotted}` has a non-empty default: a credential in the chart is public"
                    ),
                );
                d.line = key_line(raw, path);
                d.column = d.line.and_then(|l| {
                    raw.lines()
                        .nth(l - 1)
                        .and_then(|text| text.find(key.as_str()))
                        .map(|c| c + 1)
                });
                out.push(d);
            }
            _ => {}
        }
        path.pop();
    }
}

/// The line of the key at `path` in a YAML text: each key searched after the previous one, at a
/// deeper indentation.
fn key_line(raw: &str, path: &[String]) -> Option<usize> {
    let lines: Vec<&str> = raw.lines().collect();
    let mut start = 0;
    let mut min_indent = 0;
    let mut found = None;
    for (depth, key) in path.iter().enumerate() {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if depth > 0 && indent < min_indent {
                break;
            }
            let bare = trimmed.trim_start_matches("- ");
            let matches = [key.clone(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| bare.starts_with(&format!("{k}:")));
            if matches {
                hit = Some((i, indent));
                break;
            }
        }
        let (i, indent) = hit?;
        found = Some(i + 1);
        start = i + 1;
        min_indent = indent + 1;
    }
    found
}

#[cfg(test)]
mod tests;
