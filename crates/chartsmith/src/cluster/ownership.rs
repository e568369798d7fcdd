//! Ownership metadata, as Helm writes it on every resource of a release, and the check that
//! refuses to adopt an object another release (or nobody) owns.
//!
//! Helm stamps objects at apply time, not in the stored manifest: `helm get manifest` shows the
//! templates' output, the live object carries the label and annotations. chartsmith does the same,
//! so the two tools recognise each other's resources.

use super::{ClusterError, Owner, Resource};

/// The label Helm sets on every resource it manages.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Its value (Helm's, so helm accepts chartsmith's resources as its own).
pub const MANAGED_BY: &str = "Helm";
/// The annotation naming the owning release.
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
/// The annotation naming the owning release's namespace.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
/// The annotation that keeps a resource when its release is uninstalled or drops it.
pub const RESOURCE_POLICY_ANNOTATION: &str = "helm.sh/resource-policy";
/// The [`RESOURCE_POLICY_ANNOTATION`] value that keeps the resource.
pub const KEEP: &str = "keep";

/// Adds the ownership label and annotations to `resource.object`.
pub fn stamp(resource: &mut Resource, owner: &Owner) {
    let Some(object) = resource.object.as_object_mut() else {
        return;
    };
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| serde_json::json!({}));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let mut set = |field: &str, key: &str, value: &str| {
        let map = metadata
            .entry(field)
            .or_insert_with(|| serde_json::json!({}));
        if !map.is_object() {
            *map = serde_json::json!({});
        }
        if let Some(map) = map.as_object_mut() {
            map.insert(key.to_string(), value.into());
        }
    };
    set("labels", MANAGED_BY_LABEL, MANAGED_BY);
    set("annotations", RELEASE_NAME_ANNOTATION, &owner.name);
    set(
        "annotations",
        RELEASE_NAMESPACE_ANNOTATION,
        &owner.namespace,
    );
}

/// Whether a resource asks to be kept (`helm.sh/resource-policy: keep`).
pub fn keeps(resource: &Resource) -> bool {
    resource
        .annotation(RESOURCE_POLICY_ANNOTATION)
        .is_some_and(|p| p.trim() == KEEP)
}

/// Checks that the live object `existing` may be applied as part of `owner`'s release: it carries
/// `owner`'s ownership metadata, or `take_ownership` adopts it. The error says who owns it, in
/// Helm's words.
pub fn check(
    existing: &serde_json::Value,
    resource: &Resource,
    owner: &Owner,
    take_ownership: bool,
) -> Result<(), ClusterError> {
    if take_ownership {
        return Ok(());
    }
    let field = |field: &str, key: &str| -> Option<String> {
        existing
            .pointer(&format!("/metadata/{field}"))
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut problems = Vec::new();
    let mut expect = |kind: &str, field_name: &str, key: &str, want: &str| {
        match field(field_name, key)
    {
        None => problems.push(format!(
            "{kind} validation error: missing key \"{key}\": must be set to \"{want}\""
        )),
        Some(have) if have != want => problems.push(format!(
            "{kind} validation error: key \"{key}\" must equal \"{want}\": current value is \"{have}\""
        )),
        Some(_) => {}
    }
    };
    expect("label", "labels", MANAGED_BY_LABEL, MANAGED_BY);
    expect(
        "annotation",
        "annotations",
        RELEASE_NAME_ANNOTATION,
        &owner.name,
    );
    expect(
        "annotation",
        "annotations",
        RELEASE_NAMESPACE_ANNOTATION,
        &owner.namespace,
    );
    if problems.is_empty() {
        return Ok(());
    }
    let owned_by = match (
        field("annotations", RELEASE_NAME_ANNOTATION),
        field("annotations", RELEASE_NAMESPACE_ANNOTATION),
    ) {
        (Some(name), Some(ns)) => format!("it belongs to release {name} in namespace {ns}"),
        _ => "no release owns it".to_string(),
    };
    let namespace = resource
        .key
        .namespace
        .as_deref()
        .unwrap_or(&owner.namespace);
    Err(ClusterError::Conflict {
        resource: format!("{} {namespace}/{}", resource.key.kind, resource.key.name),
        message: format!(
            "{owned_by} (invalid ownership metadata; {}); pass --take-ownership to adopt it",
            problems.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    fn resource() -> Resource {
        let manifest = Manifest {
            source: "c/templates/svc.yaml".into(),
            content:
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    app: web"
                    .into(),
            api_version: "v1".into(),
            kind: "Service".into(),
            name: "web".into(),
            hook_events: Vec::new(),
            hook_weight: 0,
        };
        Resource::from_manifest(&manifest).unwrap()
    }

    fn owner(name: &str) -> Owner {
        Owner {
            name: name.into(),
            namespace: "apps".into(),
        }
    }

    #[test]
    fn stamps_what_helm_writes_and_keeps_existing_labels() {
        let mut r = resource();
        stamp(&mut r, &owner("demo"));
        assert_eq!(
            r.object["metadata"]["labels"],
            serde_json::json!({"app": "web", "app.kubernetes.io/managed-by": "Helm"})
        );
        assert_eq!(
            r.object["metadata"]["annotations"],
            serde_json::json!({"meta.helm.sh/release-name": "demo", "meta.helm.sh/release-namespace": "apps"})
        );
    }

    #[test]
    fn an_object_of_another_release_is_a_conflict_naming_its_owner() {
        let mut theirs = resource();
        stamp(&mut theirs, &owner("other"));
        let err = check(&theirs.object, &resource(), &owner("demo"), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Service apps/web exists and cannot be imported into the current release: it belongs to release other in namespace apps (invalid ownership metadata; annotation validation error: key \"meta.helm.sh/release-name\" must equal \"demo\": current value is \"other\"); pass --take-ownership to adopt it"
        );
        assert!(check(&theirs.object, &resource(), &owner("demo"), true).is_ok());
        assert!(check(&theirs.object, &resource(), &owner("other"), false).is_ok());
        let unowned = resource().object;
        let err = check(&unowned, &resource(), &owner("demo"), false).unwrap_err();
        assert!(err.to_string().contains("no release owns it"), "{err}");
        assert!(
            err.to_string()
                .contains("missing key \"app.kubernetes.io/managed-by\"")
        );
    }

    #[test]
    fn keep_policy() {
        let mut r = resource();
        assert!(!keeps(&r));
        r.object["metadata"]["annotations"] =
            serde_json::json!({"helm.sh/resource-policy": "keep"});
        assert!(keeps(&r));
    }
}
