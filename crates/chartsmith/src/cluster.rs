//! Where a release's resources go: a [`Cluster`] trait over rendered manifests, and the no-cluster
//! target [`DirectoryCluster`], which writes them as files for a GitOps tool to apply.

use std::path::{Path, PathBuf};

use crate::manifest::Manifest;
use crate::storage::StorageError;

/// A target for a release's resources (Helm's `kube.Interface`, reduced to what the actions need).
pub trait Cluster: Send + Sync {
    /// Makes the release's resources exactly `manifests` (in install order): creates or updates
    /// them, and deletes the resources of `previous` that are no longer there.
    fn apply(
        &self,
        release: &str,
        namespace: &str,
        manifests: &[Manifest],
        previous: &[Manifest],
    ) -> Result<(), ClusterError>;
    /// Deletes the release's resources (given in install order; removed in reverse).
    fn delete(
        &self,
        release: &str,
        namespace: &str,
        manifests: &[Manifest],
    ) -> Result<(), ClusterError>;
}

/// Why the cluster could not apply or delete resources.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// Writing the output tree failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Anything else a cluster reports.
    #[error("{0}")]
    Other(String),
}

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
    /// The directory a release's files go to.
    pub fn dir(&self, release: &str) -> PathBuf {
        match self {
            DirectoryCluster::StateDir(root) => {
                root.join("releases").join(release).join("manifests")
            }
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Removes the `.yaml` files of `dir` not in `keep`.
fn remove_others(dir: &Path, keep: &[String]) -> Result<(), ClusterError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && !keep.contains(&name) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

impl Cluster for DirectoryCluster {
    fn apply(
        &self,
        release: &str,
        _namespace: &str,
        manifests: &[Manifest],
        _previous: &[Manifest],
    ) -> Result<(), ClusterError> {
        let dir = self.dir(release);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut names = Vec::new();
        for (i, m) in manifests.iter().enumerate() {
            let name = file_name(i, m);
            let path = dir.join(&name);
            let text = format!("# Source: {}\n{}\n", m.source, m.content);
            if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
                crate::storage::write_atomic(&path, text.as_bytes()).map_err(|e| match e {
                    StorageError::Io { path, source } => ClusterError::Io { path, source },
                    other => ClusterError::Other(other.to_string()),
                })?;
            }
            names.push(name);
        }
        // Files of resources this revision dropped (and renumbered ones) go.
        remove_others(&dir, &names)
    }

    fn delete(
        &self,
        release: &str,
        _namespace: &str,
        _manifests: &[Manifest],
    ) -> Result<(), ClusterError> {
        let dir = self.dir(release);
        remove_others(&dir, &[])?;
        // Leave a fixed directory in place; remove the state dir's own.
        if matches!(self, DirectoryCluster::StateDir(_)) {
            let _ = std::fs::remove_dir(&dir);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: &str, name: &str) -> Manifest {
        Manifest {
            source: format!("c/templates/{name}.yaml"),
            content: format!("kind: {kind}\nmetadata:\n  name: {name}"),
            api_version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            hook_events: Vec::new(),
            hook_weight: 0,
        }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_one_file_per_resource_and_removes_dropped_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let cluster = DirectoryCluster::StateDir(tmp.path().into());
        let v1 = [
            m("ConfigMap", "cfg"),
            m("Service", "web"),
            m("Deployment", "web"),
        ];
        cluster.apply("demo", "default", &v1, &[]).unwrap();
        let dir = cluster.dir("demo");
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
            "# Source: c/templates/web.yaml\nkind: Service\nmetadata:\n  name: web\n"
        );
        let v2 = [m("Service", "web"), m("Deployment", "web")];
        cluster.apply("demo", "default", &v2, &v1).unwrap();
        assert_eq!(
            listing(&dir),
            ["001-service-web.yaml", "002-deployment-web.yaml"]
        );
        cluster.delete("demo", "default", &v2).unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn file_names_cannot_escape_the_directory() {
        assert_eq!(
            file_name(0, &m("Secret", "../../etc/x")),
            "001-secret-_.._etc_x.yaml"
        );
    }
}
