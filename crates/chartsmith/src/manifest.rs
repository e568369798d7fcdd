//! Splitting rendered templates into manifests and ordering them as Helm installs them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Helm's install order by kind. Kinds not listed come after, sorted by name.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The hook events Helm knows (`helm.sh/hook` annotation values).
pub const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// The annotation that marks a manifest as a hook.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// The annotation holding a hook's weight.
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";

/// One Kubernetes document from a rendered template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The template it came from (`chart/templates/service.yaml`).
    pub source: String,
    /// The document text, trimmed.
    pub content: String,
    /// `apiVersion`, if present.
    pub api_version: String,
    /// `kind`, if present.
    pub kind: String,
    /// `metadata.name`, if present.
    pub name: String,
    /// The hook events, if this is a hook.
    pub hook_events: Vec<String>,
    /// The hook weight (0 unless annotated).
    pub hook_weight: i64,
}

impl Manifest {
    /// Whether this manifest is a hook.
    pub fn is_hook(&self) -> bool {
        !self.hook_events.is_empty()
    }
}

/// A rendered document that is not valid YAML.
#[derive(Debug, Clone, thiserror::Error)]
#[error("YAML parse error on {source_name}: {message}")]
pub struct ManifestError {
    /// The template.
    pub source_name: String,
    /// The parser's message.
    pub message: String,
}

#[derive(Deserialize, Default)]
struct Head {
    #[serde(default, rename = "apiVersion")]
    api_version: Option<serde_json::Value>,
    #[serde(default)]
    kind: Option<serde_json::Value>,
    #[serde(default)]
    metadata: Option<HeadMetadata>,
}

#[derive(Deserialize, Default)]
struct HeadMetadata {
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, serde_json::Value>>,
}

/// Reads only the fields ordering needs (kind, name, annotations), without building a value tree
/// of the whole document. A document that is not a mapping is an error, as in Helm.
fn read_head(doc: &str, line_offset: u64) -> Result<Head, String> {
    let mut options = serde_saphyr::options::Options::default();
    options.legacy_octal_numbers = true;
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::LastWins;
    match serde_saphyr::from_str_with_options::<Option<Head>>(doc, options) {
        Ok(head) => Ok(head.unwrap_or_default()),
        Err(e) => {
            let message = e
                .render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                    line_offset: line_offset,
                })
                .replace("<input>", "document");
            // Say plainly when the document is a list or a scalar where a mapping belongs.
            match crate::yaml::manifest_from_str(doc, "document") {
                Ok(v) if !v.is_object() && !v.is_null() => Err(format!(
                    "a Kubernetes manifest must be a mapping, found {}",
                    crate::yaml::kind_name(&v)
                )),
                _ => Err(message),
            }
        }
    }
}

fn scalar(value: Option<serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Splits a rendered file into trimmed documents, exactly as Helm's `SplitManifests` does with its
/// separator regex `(?:^|\s*\n)---\s*`, quirks included: the whitespace after a separator is
/// consumed greedily, so in `---\n\n---\nx` the second `---` is not a separator and stays in the
/// document. Written by hand because it is this one expression, and matching Go's leftmost-first
/// semantics exactly is simpler to audit here than through a regex crate.
pub fn split_documents(text: &str) -> Vec<String> {
    split_documents_at(text)
        .into_iter()
        .map(|(_, doc)| doc)
        .collect()
}

/// [`split_documents`], with the number of lines of `text` before each document, so that errors
/// can give line numbers of the rendered template.
fn split_documents_at(original: &str) -> Vec<(u64, String)> {
    let lead = original.len() - original.trim_start().len();
    let text = original;
    fn is_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
    }
    let text = text.trim();
    let bytes = text.as_bytes();
    let line_of = |offset: usize| original[..lead + offset].matches('\n').count() as u64;
    // (start, end) of each separator match.
    let mut matches = Vec::new();
    let mut i = 0;
    if text.starts_with("---") {
        let mut end = 3;
        while end < bytes.len() && is_space(bytes[end]) {
            end += 1;
        }
        matches.push((0, end));
        i = end;
    }
    while i < bytes.len() {
        if !is_space(bytes[i]) {
            i += 1;
            continue;
        }
        // A whitespace run [i, j): a separator starts at i if it ends in '\n' followed by "---".
        let mut j = i;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        if bytes[j - 1] == b'\n' && bytes[j..].starts_with(b"---") {
            let mut end = j + 3;
            while end < bytes.len() && is_space(bytes[end]) {
                end += 1;
            }
            matches.push((i, end));
            i = end;
        } else {
            i = j;
        }
    }
    let mut docs = Vec::new();
    let mut previous_end = 0;
    for (start, end) in matches.iter().copied().chain([(bytes.len(), bytes.len())]) {
        let piece = &text[previous_end..start];
        if !piece.is_empty() {
            let skipped = piece.len() - piece.trim_start().len();
            docs.push((line_of(previous_end + skipped), piece.trim().to_string()));
        }
        previous_end = end;
    }
    docs
}

/// Parses the documents of rendered files into manifests and hooks, ordered as Helm orders them:
/// files by path, documents in file order, then a stable sort by kind in [`INSTALL_ORDER`].
/// Documents with an unknown hook event are dropped, as Helm drops them.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
) -> Result<(Vec<Manifest>, Vec<Manifest>), ManifestError> {
    let mut generic = Vec::new();
    let mut hooks = Vec::new();
    // Parsing every document is most of the work for large charts: spread it over the cores,
    // keeping the order (files by path, documents in file order).
    let docs: Vec<(&String, (u64, String))> = files
        .iter()
        .filter(|(path, text)| {
            let base = path.rsplit('/').next().unwrap_or(path);
            !base.starts_with('_') && !text.trim().is_empty()
        })
        .flat_map(|(path, text)| split_documents_at(text).into_iter().map(move |d| (path, d)))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = docs.len().div_ceil(workers).max(64);
    let heads: Vec<Result<Head, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = docs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, (line, d))| read_head(d, *line))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err("the YAML reader panicked".to_string())])
            })
            .collect()
    });
    for ((path, (_, doc)), head) in docs.into_iter().zip(heads) {
        let path: &String = path;
        {
            let head = head.map_err(|message| ManifestError {
                source_name: path.clone(),
                message,
            })?;
            let metadata = head.metadata.unwrap_or_default();
            let annotations = metadata.annotations.unwrap_or_default();
            let mut manifest = Manifest {
                source: path.clone(),
                content: doc,
                api_version: scalar(head.api_version),
                kind: scalar(head.kind),
                name: scalar(metadata.name),
                hook_events: Vec::new(),
                hook_weight: 0,
            };
            let Some(events) = annotations.get(HOOK_ANNOTATION) else {
                generic.push(manifest);
                continue;
            };
            let events = scalar(Some(events.clone()));
            let mut unknown = false;
            for event in events.split(',') {
                let event = event.trim().to_ascii_lowercase();
                if HOOK_EVENTS.contains(&event.as_str()) {
                    manifest.hook_events.push(event);
                } else {
                    unknown = true;
                }
            }
            if unknown {
                continue;
            }
            manifest.hook_weight = annotations
                .get(HOOK_WEIGHT_ANNOTATION)
                .map(|w| scalar(Some(w.clone())))
                .and_then(|w| w.trim().parse().ok())
                .unwrap_or(0);
            hooks.push(manifest);
        }
    }
    sort_by_kind(&mut generic);
    sort_by_kind(&mut hooks);
    Ok((generic, hooks))
}

/// Stable sort by Helm's install order; unknown kinds last, alphabetically among themselves.
pub fn sort_by_kind(manifests: &mut [Manifest]) {
    let rank = |kind: &str| INSTALL_ORDER.iter().position(|k| *k == kind);
    manifests.sort_by(|a, b| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_separator_lines_and_drops_empty_documents() {
        let docs = split_documents("---\na: 1\n---\nb: 2\n--- \nc: 3\n----d");
        assert_eq!(docs, vec!["a: 1", "b: 2", "c: 3", "-d"]);
    }

    #[test]
    fn keeps_helms_greedy_separator_quirk() {
        // The whitespace after the first separator swallows the newline the second one needs.
        let docs = split_documents("a: 1\n---\n\n---\n# only a comment\n---\n");
        assert_eq!(docs, vec!["a: 1", "---\n# only a comment"]);
    }

    #[test]
    fn orders_by_kind_then_path() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: Deployment\nmetadata: {name: d}\n---\nkind: Service\nmetadata: {name: s}"
                .to_string(),
        );
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Zeta\n---\nkind: ConfigMap\n---\nkind: Alpha".to_string(),
        );
        let (generic, hooks) = sort_manifests(&files).unwrap();
        let kinds: Vec<_> = generic.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["ConfigMap", "Service", "Deployment", "Alpha", "Zeta"]
        );
        assert!(hooks.is_empty());
    }

    #[test]
    fn hooks_are_separated_and_unknown_hooks_dropped() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/h.yaml".to_string(),
            "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install,post-upgrade\n    helm.sh/hook-weight: \"-5\"\n---\nkind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: nonsense\n".to_string(),
        );
        let (generic, hooks) = sort_manifests(&files).unwrap();
        assert!(generic.is_empty());
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].hook_events, ["pre-install", "post-upgrade"]);
        assert_eq!(hooks[0].hook_weight, -5);
    }

    proptest::proptest! {
        #[test]
        fn splitting_never_panics_and_drops_no_content(text in "(---|\n|[ a-z:#-]){0,80}") {
            let docs = split_documents(&text);
            for doc in &docs {
                proptest::prop_assert!(!doc.is_empty());
                proptest::prop_assert_eq!(doc.trim(), doc.as_str());
            }
            // Every non-separator character survives in some document.
            let kept: usize = docs.iter().map(|d| d.chars().filter(|c| c.is_ascii_alphabetic()).count()).sum();
            let total = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
            proptest::prop_assert_eq!(kept, total);
        }

        #[test]
        fn yaml_reading_never_panics(text in "\\PC{0,200}") {
            let _ = crate::yaml::from_str(&text, "fuzz.yaml");
            let _ = crate::yaml::map_from_str(&text, "fuzz.yaml");
        }
    }

    #[test]
    fn yaml_errors_give_lines_of_the_rendered_template() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: A\nmetadata:\n  name: a\n---\nkind: B\nmetadata:\n  name: [b\n  other: x\n"
                .to_string(),
        );
        let e = sort_manifests(&files).unwrap_err().to_string();
        assert!(e.contains("YAML parse error on c/templates/a.yaml"), "{e}");
        assert!(e.contains("line 8"), "{e}");
    }
}
