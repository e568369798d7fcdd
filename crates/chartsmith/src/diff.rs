//! Per-resource unified diffs, with Secret data masked: between two lists of manifests (the
//! stored revisions), and between live objects and what the API server would make of the new
//! ones ([`live_change`]), with drift made outside chartsmith and refusals (immutable fields,
//! conflicts) marked.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use crate::manifest::Manifest;

/// How one resource changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `added`, `changed` or `removed`; `unchanged` for a live object that drifted from the
    /// deployed revision but that the operation leaves as it is.
    pub change: &'static str,
    /// The resource's kind.
    pub kind: String,
    /// The resource's name.
    pub name: String,
    /// The unified diff.
    pub diff: String,
    /// Fields of the deployed revision changed on the cluster since (`spec.replicas: 2 in the
    /// release, 5 on the cluster`); Secret values are never shown.
    pub drift: Vec<String>,
    /// Why applying the change would fail (an immutable field, a field another manager owns).
    pub problem: Option<String>,
}

impl Change {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "change": self.change,
            "kind": self.kind,
            "name": self.name,
            "diff": self.diff,
            "drift": self.drift,
            "problem": self.problem,
        })
    }
}

/// Whether applying would change anything (drift the operation leaves alone does not count).
pub fn changes_anything(changes: &[Change]) -> bool {
    changes.iter().any(|c| c.change != "unchanged")
}

/// The changes as JSON.
pub fn to_json(changes: &[Change]) -> serde_json::Value {
    serde_json::Value::Array(changes.iter().map(Change::to_json).collect())
}

/// The values of a Secret's `data`/`stringData` entries, by key.
fn secret_values(content: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut in_data = false;
    for line in content.lines() {
        if !line.starts_with(' ') {
            in_data = matches!(line.trim_end(), "data:" | "stringData:");
            continue;
        }
        if in_data
            && let Some((key, value)) = line.trim().split_once(':')
            && line.starts_with("  ")
            && !line.starts_with("   ")
        {
            values.insert(key.to_string(), value.trim().to_string());
        }
    }
    values
}

/// Masks a Secret's values: unchanged ones as `REDACTED`, changed ones as `-`/`+` runs, with their
/// length, as helm-diff does.
fn mask(content: &str, other: &BTreeMap<String, String>, sign: char) -> String {
    let mut text = String::new();
    let mut in_data = false;
    for line in content.lines() {
        if !line.starts_with(' ') {
            in_data = matches!(line.trim_end(), "data:" | "stringData:");
            text.push_str(line);
            text.push('\n');
            continue;
        }
        if in_data {
            if line.starts_with("   ") {
                continue; // a continuation of a multi-line value
            }
            if let Some((key, value)) = line.trim().split_once(':') {
                let value = value.trim();
                let shown = if other.get(key).map(String::as_str) == Some(value) {
                    "REDACTED".to_string()
                } else {
                    sign.to_string().repeat(8)
                };
                text.push_str(&format!("  {key}: {shown} # ({} bytes)\n", value.len()));
                continue;
            }
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

fn key(m: &Manifest) -> (String, String) {
    (m.kind.clone(), m.name.clone())
}

/// The changes from `old` to `new`, resource by resource (matched by kind and name), in the new
/// install order, removed resources last.
pub fn diff(old: &[Manifest], new: &[Manifest], show_secrets: bool) -> Vec<Change> {
    let old_by_key: BTreeMap<_, _> = old.iter().map(|m| (key(m), m)).collect();
    let new_keys: Vec<_> = new.iter().map(key).collect();
    let text = |m: Option<&Manifest>, other: Option<&Manifest>, sign: char| -> String {
        let Some(m) = m else { return String::new() };
        if m.kind == "Secret" && !show_secrets {
            let other = other.map(|o| secret_values(&o.content)).unwrap_or_default();
            mask(&m.content, &other, sign)
        } else {
            format!("{}\n", m.content)
        }
    };
    let mut changes = Vec::new();
    let mut push = |change: &'static str, old: Option<&Manifest>, new: Option<&Manifest>| {
        let before = text(old, new, '-');
        let after = text(new, old, '+');
        if before == after {
            return;
        }
        let m = new.or(old).map(key).unwrap_or_default();
        changes.push(Change {
            change,
            diff: unified(&m.0, &m.1, &before, &after),
            kind: m.0,
            name: m.1,
            drift: Vec::new(),
            problem: None,
        });
    };
    for m in new {
        match old_by_key.get(&key(m)) {
            Some(o) => push("changed", Some(o), Some(m)),
            None => push("added", None, Some(m)),
        }
    }
    for m in old {
        if !new_keys.contains(&key(m)) {
            push("removed", Some(m), None);
        }
    }
    changes
}

fn unified(kind: &str, name: &str, before: &str, after: &str) -> String {
    let label = format!("{kind}/{name}");
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string()
}

/// One resource as the live diff sees it.
#[derive(Debug, Clone)]
pub struct LiveInput<'a> {
    /// The resource's kind.
    pub kind: &'a str,
    /// The resource's name.
    pub name: &'a str,
    /// The object as the deployed revision applied it (`None`: new in this operation).
    pub deployed: Option<&'a Value>,
    /// The object on the cluster (`None`: not there).
    pub live: Option<&'a Value>,
    /// The object as the operation renders it (`None`: the operation deletes it).
    pub proposed: Option<&'a Value>,
    /// What the API server would store (its server-side dry run), or why it would refuse;
    /// `None` when the operation deletes the object.
    pub planned: Option<Result<&'a Value, String>>,
}

/// The live change of one resource: the live object against the server's dry-run result (both
/// without server bookkeeping: `status`, `managedFields`, `resourceVersion`...), with drift from
/// the deployed revision and any refusal. `None` when nothing changes and nothing drifted.
pub fn live_change(input: LiveInput<'_>, show_secrets: bool) -> Option<Change> {
    let secret = input.kind == "Secret" && !show_secrets;
    let drift = match (input.deployed, input.live) {
        (Some(_), None) => vec!["deleted on the cluster, outside chartsmith".to_string()],
        (Some(deployed), Some(live)) => drift(deployed, live, input.kind == "Secret"),
        (None, _) => Vec::new(),
    };
    let (before, after, problem) = match &input.planned {
        Some(Ok(planned)) => (input.live.map(normalize), Some(normalize(planned)), None),
        // Refused: show what the chart asks for against what was deployed (or is live).
        Some(Err(why)) => (
            input.deployed.or(input.live).map(normalize),
            input.proposed.map(normalize),
            Some(why.clone()),
        ),
        None => (input.live.map(normalize), None, None),
    };
    let change = match (&before, &input.planned) {
        (_, None) => "removed",
        (None, _) if input.live.is_none() => "added",
        _ if old_is_new(&before, &after) && problem.is_none() => "unchanged",
        _ => "changed",
    };
    let text = |object: Option<&Value>, other: Option<&Value>, sign: char| -> String {
        let Some(object) = object else {
            return String::new();
        };
        let yaml = crate::goyaml::to_string(object);
        if secret {
            let other = other
                .map(|o| secret_values(&crate::goyaml::to_string(o)))
                .unwrap_or_default();
            mask(&yaml, &other, sign)
        } else {
            yaml
        }
    };
    let old = text(before.as_ref(), after.as_ref(), '-');
    let new = text(after.as_ref(), before.as_ref(), '+');
    if old == new && drift.is_empty() && problem.is_none() {
        return None;
    }
    Some(Change {
        change,
        kind: input.kind.to_string(),
        name: input.name.to_string(),
        diff: if old == new {
            String::new()
        } else {
            unified(input.kind, input.name, &old, &new)
        },
        drift,
        problem,
    })
}

fn old_is_new(before: &Option<Value>, after: &Option<Value>) -> bool {
    before == after
}

/// An object without what the server keeps for itself: `status` and the metadata fields that
/// change on every write.
fn normalize(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in [
                "managedFields",
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "generation",
                "selfLink",
            ] {
                meta.remove(field);
            }
        }
    }
    object
}

/// The fields of `deployed` whose live value differs, as `path: A in the release, B on the
/// cluster` (for a Secret's `data`/`stringData`, only that it changed). Fields the server drops
/// when empty, and values that differ only in type (`1` and `"1"`), are not drift.
fn drift(deployed: &Value, live: &Value, secret: bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut paths = Vec::new();
    collect_drift(deployed, Some(live), "", &mut paths);
    for (path, want, have) in paths {
        if path == "status" || path.starts_with("status.") {
            continue;
        }
        let in_data = path.starts_with("data.") || path.starts_with("stringData.");
        if secret && path.starts_with("stringData.") {
            // The server folds stringData into data: compare with the decoded data entry.
            let key = &path["stringData.".len()..];
            let decoded = live
                .pointer(&format!(
                    "/data/{}",
                    key.replace('~', "~0").replace('/', "~1")
                ))
                .and_then(Value::as_str)
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
            if decoded.as_deref() == want.as_ref().and_then(Value::as_str).map(str::as_bytes) {
                continue;
            }
        }
        found.push(match have {
            _ if secret && in_data => format!("{path}: changed on the cluster"),
            None => format!(
                "{path}: {} in the release, unset on the cluster",
                shown(want.as_ref())
            ),
            Some(have) => format!(
                "{path}: {} in the release, {} on the cluster",
                shown(want.as_ref()),
                shown(Some(&have))
            ),
        });
    }
    found
}

fn shown(value: Option<&Value>) -> String {
    let text = value.map(Value::to_string).unwrap_or_default();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}

/// Walks `want`; records (path, wanted, live) where the live value differs.
fn collect_drift(
    want: &Value,
    have: Option<&Value>,
    path: &str,
    out: &mut Vec<(String, Option<Value>, Option<Value>)>,
) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match want {
        Value::Null => {}
        Value::Object(map) if map.is_empty() => {}
        Value::Array(items) if items.is_empty() => {}
        Value::Object(map) => match have {
            Some(Value::Object(_)) | None => {
                for (key, value) in map {
                    collect_drift(value, have.and_then(|h| h.get(key)), &join(key), out);
                }
            }
            Some(other) => out.push((path.to_string(), Some(want.clone()), Some(other.clone()))),
        },
        Value::Array(items) => match have {
            Some(Value::Array(live)) if live.len() == items.len() => {
                for (i, (w, h)) in items.iter().zip(live).enumerate() {
                    collect_drift(w, Some(h), &format!("{path}[{i}]"), out);
                }
            }
            _ => out.push((path.to_string(), Some(want.clone()), have.cloned())),
        },
        scalar => {
            let same = have.is_some_and(|h| h == scalar || scalar_text(h) == scalar_text(scalar));
            if !same {
                out.push((path.to_string(), Some(scalar.clone()), have.cloned()));
            }
        }
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The text form: a heading and a unified diff per resource, coloured for a terminal.
pub fn render(changes: &[Change], colour: bool) -> String {
    let mut text = String::new();
    for c in changes {
        text.push_str(&format!("{} {}/{}\n", c.change, c.kind, c.name));
        for d in &c.drift {
            text.push_str(&format!("  drift: {d}\n"));
        }
        if let Some(problem) = &c.problem {
            text.push_str(&format!("  will fail: {problem}\n"));
        }
        for line in c.diff.lines() {
            let painted = match line.chars().next() {
                _ if !colour || line.starts_with("+++") || line.starts_with("---") => {
                    line.to_string()
                }
                Some('+') => format!("\x1b[32m{line}\x1b[0m"),
                Some('-') => format!("\x1b[31m{line}\x1b[0m"),
                Some('@') => format!("\x1b[36m{line}\x1b[0m"),
                _ => line.to_string(),
            };
            text.push_str(&painted);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: &str, name: &str, body: &str) -> Manifest {
        Manifest {
            source: "c/templates/x.yaml".into(),
            content: format!("kind: {kind}\nmetadata:\n  name: {name}\n{body}"),
            api_version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            hook_events: Vec::new(),
            hook_weight: 0,
        }
    }

    #[test]
    fn reports_added_changed_and_removed_resources() {
        let old = [
            m("ConfigMap", "a", "data:\n  x: \"1\""),
            m("Service", "gone", ""),
        ];
        let new = [
            m("ConfigMap", "a", "data:\n  x: \"2\""),
            m("Deployment", "new", ""),
        ];
        let changes = diff(&old, &new, false);
        let kinds: Vec<_> = changes
            .iter()
            .map(|c| (c.change, c.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [("changed", "a"), ("added", "new"), ("removed", "gone")]
        );
        assert!(
            changes[0].diff.contains("-  x: \"1\"\n+  x: \"2\""),
            "{}",
            changes[0].diff
        );
        assert!(diff(&old, &old, false).is_empty());
    }

    #[test]
    fn masks_secret_data_unless_asked() {
        let old = [m(
            "Secret",
            "s",
            "data:\n  password: b2xk\n  user: dXNlcg==",
        )];
        let new = [m(
            "Secret",
            "s",
            "data:\n  password: bmV3\n  user: dXNlcg==",
        )];
        let masked = &diff(&old, &new, false)[0].diff;
        assert!(
            !masked.contains("b2xk") && !masked.contains("bmV3"),
            "{masked}"
        );
        assert!(
            masked.contains("-  password: -------- # (4 bytes)"),
            "{masked}"
        );
        assert!(
            masked.contains("+  password: ++++++++ # (4 bytes)"),
            "{masked}"
        );
        assert!(masked.contains("   user: REDACTED # (8 bytes)"), "{masked}");
        let shown = &diff(&old, &new, true)[0].diff;
        assert!(shown.contains("bmV3"));
    }
}
