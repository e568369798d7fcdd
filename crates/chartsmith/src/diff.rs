//! Per-resource unified diffs between two lists of manifests, with Secret data masked.

use std::collections::BTreeMap;

use crate::manifest::Manifest;

/// How one resource changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `added`, `changed` or `removed`.
    pub change: &'static str,
    /// The resource's kind.
    pub kind: String,
    /// The resource's name.
    pub name: String,
    /// The unified diff.
    pub diff: String,
}

impl Change {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"change": self.change, "kind": self.kind, "name": self.name, "diff": self.diff})
    }
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
        let label = format!("{}/{}", m.0, m.1);
        let diff = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{label}"), &format!("b/{label}"))
            .to_string();
        changes.push(Change {
            change,
            kind: m.0,
            name: m.1,
            diff,
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

/// The text form: a heading and a unified diff per resource, coloured for a terminal.
pub fn render(changes: &[Change], colour: bool) -> String {
    let mut text = String::new();
    for c in changes {
        text.push_str(&format!("{} {}/{}\n", c.change, c.kind, c.name));
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
