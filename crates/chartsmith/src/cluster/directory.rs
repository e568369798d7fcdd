//! The no-cluster target: a release's resources as files, for a GitOps tool to apply.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    ApplyOptions, ClusterError, DeleteOptions, Lookup, Owner, Resource, ResourceKey, Target,
    WaitOptions,
};
use crate::engine::Capabilities;
use crate::manifest::Manifest;
use crate::storage::{LocalDriver, StorageError};

/// The no-cluster target: writes each resource of a release to its own file,
/// `NNN-kind-name.yaml` numbered in install order, and removes files of dropped resources.
#[derive(Debug, Clone)]
pub enum DirectoryCluster {
    /// `STATE_DIR/releases/NAME/manifests/`.
    StateDir(PathBuf),
    /// One fixed directory (`--output-dir`).
    Fixed(PathBuf),
}

impl DirectoryCluster {
    /// The directory a release's files go to: `STATE_DIR/releases/NS/NAME/manifests/` (beside
    /// the release's records, see [`LocalDriver::release_dir`]) or the fixed directory.
    pub fn dir(&self, namespace: &str, release: &str) -> PathBuf {
        match self {
            DirectoryCluster::StateDir(root) => LocalDriver::new(root)
                .release_dir(namespace, release)
                .join("manifests"),
            DirectoryCluster::Fixed(dir) => dir.clone(),
        }
    }
}

/// The file name of the `index`th resource: `001-deployment-web.yaml`.
pub fn file_name(index: usize, manifest: &Manifest) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect::<String>()
            .trim_start_matches('.')
            .to_string()
    };
    let kind = if manifest.kind.is_empty() {
        "unknown".to_string()
    } else {
        clean(&manifest.kind)
    };
    let name = if manifest.name.is_empty() {
        "unnamed".to_string()
    } else {
        clean(&manifest.name)
    };
    format!("{:03}-{kind}-{name}.yaml", index + 1)
}

/// Whether `file` (a name [`file_name`] made) holds `manifest`'s kind and name.
fn holds(file: &str, manifest: &Manifest) -> bool {
    let suffix = file_name(0, manifest);
    let suffix = suffix.trim_start_matches(|c: char| c.is_ascii_digit());
    file.len() > suffix.len()
        && file.ends_with(suffix)
        && file[..file.len() - suffix.len()]
            .bytes()
            .all(|b| b.is_ascii_digit())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes the `.yaml` files of `dir` that `remove` selects.
fn remove_files(dir: &Path, remove: impl Fn(&str) -> bool) -> Result<(), ClusterError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && remove(&name) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

impl Target for DirectoryCluster {
    fn describe(&self) -> String {
        match self {
            DirectoryCluster::StateDir(root) => format!("state directory {}", root.display()),
            DirectoryCluster::Fixed(dir) => format!("directory {}", dir.display()),
        }
    }

    /// Writes every resource to its file and removes the files of resources no longer there
    /// (the numbering follows install order, so the set is rewritten as a whole).
    fn apply(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &ApplyOptions,
    ) -> Result<(), ClusterError> {
        if options.dry_run {
            return Ok(());
        }
        let dir = self.dir(&owner.namespace, &owner.name);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut names = Vec::new();
        for (i, r) in resources.iter().enumerate() {
            let m = &r.manifest;
            let name = file_name(i, m);
            let path = dir.join(&name);
            let text = format!("# Source: {}\n{}\n", m.source, m.content);
            if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
                crate::storage::write_atomic(&path, text.as_bytes()).map_err(|e| match e {
                    StorageError::Io { path, source } => ClusterError::Io { path, source },
                    other => ClusterError::Io {
                        path: path.clone(),
                        source: std::io::Error::other(other.to_string()),
                    },
                })?;
            }
            names.push(name);
        }
        // Files of resources this revision dropped (and renumbered ones) go.
        remove_files(&dir, |file| !names.iter().any(|n| n == file))
    }

    fn delete(
        &self,
        owner: &Owner,
        resources: &[Resource],
        options: &DeleteOptions,
    ) -> Result<(), ClusterError> {
        if options.dry_run {
            return Ok(());
        }
        let dir = self.dir(&owner.namespace, &owner.name);
        remove_files(&dir, |file| {
            resources.iter().any(|r| holds(file, &r.manifest))
        })?;
        // Leave a fixed directory in place; remove the state dir's own once it is empty.
        if matches!(self, DirectoryCluster::StateDir(_)) {
            let _ = std::fs::remove_dir(&dir);
        }
        Ok(())
    }

    /// Files are ready as soon as they are written.
    fn wait(&self, _: &Owner, _: &[Resource], _: &WaitOptions<'_>) -> Result<(), ClusterError> {
        Ok(())
    }

    /// The output tree holds the templates' output only, as before CRDs were applied: a GitOps
    /// tool applies `crds/` from the chart itself.
    fn install_crds(&self, _: &[Resource], _: &ApplyOptions) -> Result<(), ClusterError> {
        Ok(())
    }

    /// Namespaces are directories of the state directory; nothing to create.
    fn create_namespace(&self, _: &str, _: bool) -> Result<(), ClusterError> {
        Ok(())
    }

    /// The resource as its file holds it (without ownership metadata: files are as rendered).
    fn get(
        &self,
        owner: &Owner,
        key: &ResourceKey,
    ) -> Result<Option<serde_json::Value>, ClusterError> {
        let dir = self.dir(&owner.namespace, &owner.name);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&dir)(e)),
        };
        let probe = Manifest {
            source: String::new(),
            content: String::new(),
            api_version: key.api_version.clone(),
            kind: key.kind.clone(),
            name: key.name.clone(),
            hook_events: Vec::new(),
            hook_weight: 0,
        };
        for entry in entries {
            let entry = entry.map_err(io(&dir))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if !holds(&file, &probe) {
                continue;
            }
            let path = entry.path();
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let object = crate::yaml::manifest_from_str(&text, &file).map_err(|e| {
                ClusterError::Invalid {
                    resource: path.display().to_string(),
                    message: e.to_string(),
                }
            })?;
            return Ok(Some(object));
        }
        Ok(None)
    }

    fn capabilities(&self) -> Result<Option<Capabilities>, ClusterError> {
        Ok(None)
    }

    /// No cluster: `lookup` is empty, as with `helm template`.
    fn lookup(&self) -> Option<Arc<dyn Lookup>> {
        None
    }

    /// Files have no lifecycle: hooks are recorded with the release, not run.
    fn runs_hooks(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::DeleteOptions;

    fn m(kind: &str, name: &str) -> Manifest {
        Manifest {
            source: format!("c/templates/{name}.yaml"),
            content: format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}"),
            api_version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            hook_events: Vec::new(),
            hook_weight: 0,
        }
    }

    fn resources(manifests: &[Manifest]) -> Vec<Resource> {
        manifests
            .iter()
            .map(|m| Resource::from_manifest(m).unwrap())
            .collect()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn owner() -> Owner {
        Owner {
            name: "demo".into(),
            namespace: "default".into(),
        }
    }

    #[test]
    fn writes_one_file_per_resource_and_removes_dropped_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let cluster = DirectoryCluster::StateDir(tmp.path().into());
        let v1 = resources(&[
            m("ConfigMap", "cfg"),
            m("Service", "web"),
            m("Deployment", "web"),
        ]);
        cluster
            .apply(&owner(), &v1, &ApplyOptions::default())
            .unwrap();
        let dir = cluster.dir("default", "demo");
        assert_eq!(dir, tmp.path().join("releases/default/demo/manifests"));
        assert_eq!(
            listing(&dir),
            [
                "001-configmap-cfg.yaml",
                "002-service-web.yaml",
                "003-deployment-web.yaml"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("002-service-web.yaml")).unwrap(),
            "# Source: c/templates/web.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
        );
        let v2 = resources(&[m("Service", "web"), m("Deployment", "web")]);
        cluster
            .apply(&owner(), &v2, &ApplyOptions::default())
            .unwrap();
        assert_eq!(
            listing(&dir),
            ["001-service-web.yaml", "002-deployment-web.yaml"]
        );
        cluster
            .delete(&owner(), &v2, &DeleteOptions::default())
            .unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn file_names_cannot_escape_the_directory() {
        assert_eq!(
            file_name(0, &m("Secret", "../../etc/x")),
            "001-secret-_.._etc_x.yaml"
        );
        assert!(holds("012-secret-web.yaml", &m("Secret", "web")));
        assert!(!holds("012-secret-web.yaml", &m("Secret", "eb")));
        assert!(!holds("0x2-secret-web.yaml", &m("Secret", "web")));
    }

    #[test]
    fn passes_the_cluster_suite() {
        let tmp = tempfile::tempdir().unwrap();
        crate::cluster::testing::exercise(
            &DirectoryCluster::StateDir(tmp.path().into()),
            &owner(),
            false,
        );
    }
}
