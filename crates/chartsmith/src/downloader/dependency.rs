//! `chartsmith dependency list|update|build`: resolve `Chart.yaml` dependencies, vendor them into
//! `charts/` and pin them in `Chart.lock` (Helm's format and digest).
//!
//! A dependency's `repository` is `file://PATH` (a chart directory that must stay inside the
//! directory holding the chart), an `http(s)://` repository URL, an `oci://HOST/PATH` registry
//! namespace (the chart is `oci://HOST/PATH/NAME`, its versions the repository's tags), or
//! `@name` / `name` of a repository added with `repo add`. `update` picks the highest version
//! satisfying each range, verifies downloads against the index's (or the registry manifest's)
//! sha256 digest, and is recursive: a `file://` dependency's own dependencies are updated first.
//! `build` installs exactly what `Chart.lock` pins, and refuses a lock whose digest no longer
//! matches `Chart.yaml`.
//!
//! May import: `chart` (model, loader, package), `repo`, `registry`, [`super`]'s pull functions,
//! `constraint`, `yaml`, `util`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::download_chart;
use crate::chart::loader::{self, LoadError, LoadOptions};
use crate::chart::package::{PackageError, PackageOptions, archive, source_date_epoch};
use crate::chart::{Dependency, Metadata, MetadataError};
use crate::constraint::{Constraint, ConstraintError, parse_version};
use crate::registry::RegistryError;
use crate::repo::{self as repositories, RepoSettings};
use crate::repo::{IndexFile, RepoError};
use crate::util::digest::digest_of;
use crate::util::fs::{IoError, WriteOptions, write_atomic_creating_dirs};
use crate::util::text::{escape, quote};
use crate::yaml::YamlError;

/// How deep `file://` dependencies may nest.
const MAX_DEPTH: usize = 16;

/// Why dependencies could not be resolved or installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DependencyError {
    /// A `file://` path is unusable or leaves the project.
    #[error("{}: dependency `{}` ({}): {}", escape(.chart), quote(.dependency), quote(.repository), escape(.reason))]
    Local {
        /// The chart directory.
        chart: String,
        /// The dependency.
        dependency: String,
        /// Its repository.
        repository: String,
        /// What is wrong.
        reason: String,
    },
    /// `Chart.lock` is missing, unreadable or out of sync with `Chart.yaml`.
    #[error("{}: {}", escape(.chart), escape(.reason))]
    Lock {
        /// The chart directory.
        chart: String,
        /// What is wrong.
        reason: String,
    },
    /// `Chart.lock`, `charts/` or an entry of `charts/` is a symbolic link: `dependency
    /// update/build` would read or write through it, outside the chart.
    #[error("{}: a symbolic link: dependency update and build neither read nor write through links", escape(&path.display().to_string()))]
    Link {
        /// The link.
        path: PathBuf,
    },
    /// A dependency has no repository to resolve it from.
    #[error("{}: dependency `{}` has no repository", escape(.chart), quote(.dependency))]
    NoRepository {
        /// The chart directory.
        chart: String,
        /// The dependency.
        dependency: String,
    },
    /// A file (`Chart.yaml`, `Chart.lock`, an archive under `charts/`) could not be read or
    /// written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// `Chart.lock` is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A `Chart.yaml` is invalid.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A downloaded or vendored chart could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A version range is malformed.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    /// A `file://` dependency could not be packaged.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// A repository, its index or a download was unusable, or no version satisfies a range.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// An `oci://` dependency could not be fetched.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Helm's `Chart.lock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// The pinned dependencies (name, repository, version).
    pub dependencies: Vec<LockedDependency>,
    /// `sha256:` + the hash of the requirements and the lock ([`hash_requirements`]).
    pub digest: String,
    /// When the lock was written.
    pub generated: String,
}

/// One pinned dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedDependency {
    /// The chart name.
    pub name: String,
    /// The repository, as written in `Chart.yaml`.
    #[serde(default)]
    pub repository: String,
    /// The exact version.
    pub version: String,
    /// `sha256:` of the archive the repository or registry served (remote dependencies only;
    /// Helm ignores the field). `build` refuses an archive that no longer has it, so a
    /// republished version or a moved OCI tag cannot slip in under a pinned version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

/// The status of one dependency (`dependency list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The chart name.
    pub name: String,
    /// The version range.
    pub version: String,
    /// The repository.
    pub repository: String,
    /// `ok`, `missing`, `wrong version` or `unpacked` (a directory under `charts/`).
    pub status: String,
}

/// Helm's `HashReq`: `"sha256:" + sha256(json([requirements, locked]))`, with Go's JSON encoding
/// of `chart.Dependency` (field order, `omitempty`, HTML escaping).
pub fn hash_requirements(requirements: &[Dependency], locked: &[LockedDependency]) -> String {
    let req: Vec<String> = requirements.iter().map(Dependency::to_go_json).collect();
    let lock: Vec<String> = locked
        .iter()
        .map(|l| {
            Dependency {
                name: l.name.clone(),
                version: Some(l.version.clone()),
                repository: Some(l.repository.clone()),
                ..Dependency::default()
            }
            .to_go_json()
        })
        .collect();
    let mut text = String::from("[[");
    text.push_str(&req.join(","));
    text.push_str("],[");
    text.push_str(&lock.join(","));
    text.push_str("]]");
    digest_of(text.as_bytes())
}

fn read_metadata(chart_dir: &Path) -> Result<Metadata, DependencyError> {
    let path = chart_dir.join("Chart.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| IoError::new(&path, e))?;
    Ok(Metadata::from_yaml(&text, &path.display().to_string())?)
}

/// `dependency list`: each dependency of `Chart.yaml` with its status in `charts/`.
pub fn list(chart_dir: &Path) -> Result<Vec<Status>, DependencyError> {
    let metadata = read_metadata(chart_dir)?;
    let mut vendored = Vec::new();
    if let Ok(entries) = std::fs::read_dir(chart_dir.join("charts")) {
        for entry in entries.flatten() {
            let path = entry.path();
            let is_dir = path.is_dir();
            if let Ok(c) = loader::load_with(&path, &LoadOptions::default()) {
                vendored.push((c.metadata.name.clone(), c.metadata.version.clone(), is_dir));
            }
        }
    }
    Ok(metadata
        .dependencies
        .iter()
        .map(|d| {
            let range = d.version.clone().unwrap_or_default();
            let constraint = Constraint::parse(if range.is_empty() { "*" } else { &range }).ok();
            let found: Vec<_> = vendored.iter().filter(|(n, _, _)| n == &d.name).collect();
            let status = if found.is_empty() {
                "missing"
            } else if found.iter().any(|(_, v, _)| {
                parse_version(v)
                    .ok()
                    .zip(constraint.as_ref())
                    .is_some_and(|(v, c)| c.matches(&v))
            }) {
                if found.iter().all(|(_, _, dir)| *dir) {
                    "unpacked"
                } else {
                    "ok"
                }
            } else {
                "wrong version"
            };
            Status {
                name: d.name.clone(),
                version: range,
                repository: d.repository.clone().unwrap_or_default(),
                status: status.into(),
            }
        })
        .collect())
}

/// A resolved dependency: what the lock pins and the archive to vendor.
struct Resolved {
    locked: LockedDependency,
    file_name: String,
    bytes: Vec<u8>,
}

/// `dependency update`: resolves every dependency's range, vendors the archives into `charts/`
/// and writes `Chart.lock`. Recursive for `file://` dependencies.
pub fn update(chart_dir: &Path, settings: &RepoSettings) -> Result<Lock, DependencyError> {
    update_inner(chart_dir, settings, 0)
}

fn update_inner(
    chart_dir: &Path,
    settings: &RepoSettings,
    depth: usize,
) -> Result<Lock, DependencyError> {
    refuse_links(chart_dir)?;
    let metadata = read_metadata(chart_dir)?;
    let mut resolved = Vec::new();
    for d in &metadata.dependencies {
        resolved.push(resolve(chart_dir, d, None, settings, depth)?);
    }
    install(chart_dir, &metadata, resolved, true)
}

/// `dependency build`: vendors exactly the versions `Chart.lock` pins (none: like `update`).
pub fn build(chart_dir: &Path, settings: &RepoSettings) -> Result<Lock, DependencyError> {
    refuse_links(chart_dir)?;
    let lock_path = chart_dir.join("Chart.lock");
    if !lock_path.exists() {
        return update(chart_dir, settings);
    }
    let metadata = read_metadata(chart_dir)?;
    let lock = read_lock(&lock_path)?;
    let chart = chart_dir.display().to_string();
    if hash_requirements(&metadata.dependencies, &lock.dependencies) != lock.digest {
        return Err(DependencyError::Lock {
            chart,
            reason: "Chart.lock is out of sync with the dependencies of Chart.yaml (run `chartsmith dependency update`)".into(),
        });
    }
    let mut resolved = Vec::new();
    for l in &lock.dependencies {
        let d = metadata
            .dependencies
            .iter()
            .find(|d| d.name == l.name && d.repository.clone().unwrap_or_default() == l.repository)
            .cloned()
            .unwrap_or_else(|| Dependency {
                name: l.name.clone(),
                repository: Some(l.repository.clone()),
                ..Dependency::default()
            });
        resolved.push(resolve(chart_dir, &d, Some(l), settings, 0)?);
    }
    install(chart_dir, &metadata, resolved, false)?;
    Ok(lock)
}

/// Refuses a `Chart.lock`, a `charts/` or an entry of `charts/` that is a symbolic link (a link
/// to `/etc` as `charts/` would have the archives written there; a lock linked to a file outside
/// the chart would be read, and rewritten).
fn refuse_links(chart_dir: &Path) -> Result<(), DependencyError> {
    let is_link =
        |path: &Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let charts = chart_dir.join("charts");
    for path in [chart_dir.join("Chart.lock"), charts.clone()] {
        if is_link(&path) {
            return Err(DependencyError::Link { path });
        }
    }
    if let Ok(entries) = std::fs::read_dir(&charts) {
        let mut links: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_link(p))
            .collect();
        links.sort();
        if let Some(path) = links.into_iter().next() {
            return Err(DependencyError::Link { path });
        }
    }
    Ok(())
}

/// Reads a `Chart.lock`.
pub fn read_lock(path: &Path) -> Result<Lock, DependencyError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::new(path, e))?;
    parse_lock(&text, &path.display().to_string())
}

/// Parses a `Chart.lock`'s text (untrusted: bounded YAML); `name` names it in errors.
pub fn parse_lock(text: &str, name: &str) -> Result<Lock, DependencyError> {
    let value = crate::yaml::from_str(text, name)?;
    serde_json::from_value(value).map_err(|e| DependencyError::Lock {
        chart: name.to_string(),
        reason: format!("invalid Chart.lock: {e}"),
    })
}

fn install(
    chart_dir: &Path,
    metadata: &Metadata,
    resolved: Vec<Resolved>,
    write_lock: bool,
) -> Result<Lock, DependencyError> {
    let charts = chart_dir.join("charts");
    std::fs::create_dir_all(&charts).map_err(|e| IoError::new(&charts, e))?;
    // Archives of these dependencies at other versions are stale.
    if let Ok(entries) = std::fs::read_dir(&charts) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let stale = resolved.iter().any(|r| {
                file != r.file_name
                    && file
                        .strip_prefix(&format!("{}-", r.locked.name))
                        .and_then(|rest| rest.strip_suffix(".tgz"))
                        .is_some_and(|v| semver::Version::parse(v).is_ok())
            });
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for r in &resolved {
        write_atomic_creating_dirs(&charts.join(&r.file_name), &r.bytes, WriteOptions::DURABLE)?;
    }
    let locked: Vec<LockedDependency> = resolved.into_iter().map(|r| r.locked).collect();
    let lock = Lock {
        digest: hash_requirements(&metadata.dependencies, &locked),
        dependencies: locked,
        generated: crate::repo::now(),
    };
    if write_lock && !metadata.dependencies.is_empty() {
        let text = serde_json::to_value(&lock)
            .map(|v| crate::yaml::to_string(&v))
            .unwrap_or_default();
        write_atomic_creating_dirs(
            &chart_dir.join("Chart.lock"),
            text.as_bytes(),
            WriteOptions::DURABLE,
        )?;
    }
    Ok(lock)
}

/// Resolves one dependency: its range (or, for `build`, the exact pinned version, and the pinned
/// archive digest when the lock has one).
fn resolve(
    chart_dir: &Path,
    d: &Dependency,
    pinned: Option<&LockedDependency>,
    settings: &RepoSettings,
    depth: usize,
) -> Result<Resolved, DependencyError> {
    let chart = chart_dir.display().to_string();
    let repository = d.repository.clone().unwrap_or_default();
    let range = match pinned {
        Some(l) => format!("={}", l.version),
        None => d
            .version
            .clone()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "*".into()),
    };
    let constraint = Constraint::parse(&range)?;
    if let Some(local) = repository.strip_prefix("file://") {
        let local_error = |reason: String| -> DependencyError {
            DependencyError::Local {
                chart: chart.clone(),
                dependency: d.name.clone(),
                repository: repository.clone(),
                reason,
            }
        };
        let dir = local_dir(chart_dir, local).map_err(local_error)?;
        if depth >= MAX_DEPTH {
            return Err(local_error(format!(
                "dependencies nest deeper than {MAX_DEPTH} levels"
            )));
        }
        let sub = read_metadata(&dir)?;
        if sub.name != d.name {
            return Err(local_error(format!(
                "the chart there is named `{}`",
                sub.name
            )));
        }
        if !parse_version(&sub.version).is_ok_and(|v| constraint.matches(&v)) {
            return Err(RepoError::NoMatchingVersion {
                chart: d.name.clone(),
                repository: repository.clone(),
                range,
                seen: sub.version.clone(),
            }
            .into());
        }
        if !sub.dependencies.is_empty() {
            match pinned {
                None => {
                    update_inner(&dir, settings, depth + 1)?;
                }
                Some(_) => {
                    build(&dir, settings)?;
                }
            }
        }
        let mtime = source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?;
        let (file_name, bytes) = archive(&dir, &PackageOptions::default(), mtime)?;
        return Ok(Resolved {
            locked: LockedDependency {
                name: d.name.clone(),
                repository,
                version: sub.version,
                digest: String::new(),
            },
            file_name,
            bytes,
        });
    }
    if repository.is_empty() {
        return Err(DependencyError::NoRepository {
            chart,
            dependency: d.name.clone(),
        });
    }
    let (downloaded, loaded) = if repository.starts_with("oci://") {
        let reference = format!("{}/{}", repository.trim_end_matches('/'), d.name);
        let fetched = crate::registry::fetch_chart(settings, &reference, Some(&range))?;
        let resolved = Resolved {
            locked: LockedDependency {
                name: d.name.clone(),
                repository,
                version: fetched.version,
                digest: String::new(),
            },
            file_name: fetched.file_name,
            bytes: fetched.bytes,
        };
        (resolved, fetched.chart)
    } else {
        let (repo, index) = repository_index(&repository, settings)?;
        let version = repositories::find_version(&index, &d.name, Some(&range), &repo.url)?;
        let (bytes, loaded) = download_chart(&repo, version)?;
        let resolved = Resolved {
            locked: LockedDependency {
                name: d.name.clone(),
                repository,
                version: version.metadata.version.clone(),
                digest: String::new(),
            },
            file_name: format!("{}-{}.tgz", d.name, version.metadata.version),
            bytes,
        };
        (resolved, loaded)
    };
    let mut downloaded = downloaded;
    downloaded.locked.digest = digest_of(&downloaded.bytes);
    if let Some(expected) = pinned.map(|l| l.digest.as_str()).filter(|d| !d.is_empty())
        && expected != downloaded.locked.digest
    {
        return Err(DependencyError::Lock {
            chart,
            reason: format!(
                "`{}` {} from {} is not the archive Chart.lock pinned ({expected} then, {} now): the repository changed it; check why, then run `chartsmith dependency update`",
                d.name,
                downloaded.locked.version,
                downloaded.locked.repository,
                downloaded.locked.digest
            ),
        });
    }
    complete_archive(downloaded, &loaded, settings, depth)
}

/// A downloaded chart whose own dependencies are not all inside its archive (Helm refuses to
/// package such a chart, but hand-made or third-party archives exist) gets them resolved too:
/// at the versions its own `Chart.lock` pins when that lock is in sync, else by their ranges,
/// recursively, and added under `NAME/charts/` in a rewritten reproducible archive. Helm would
/// vendor the incomplete chart and fail at install time.
fn complete_archive(
    resolved: Resolved,
    chart: &crate::chart::Chart,
    settings: &RepoSettings,
    depth: usize,
) -> Result<Resolved, DependencyError> {
    let missing: Vec<&Dependency> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !chart.dependencies.iter().any(|c| c.name() == d.name))
        .collect();
    if missing.is_empty() {
        return Ok(resolved);
    }
    let local_error = |d: &Dependency, reason: String| -> DependencyError {
        DependencyError::Local {
            chart: resolved.file_name.clone(),
            dependency: d.name.clone(),
            repository: d.repository.clone().unwrap_or_default(),
            reason,
        }
    };
    if depth >= MAX_DEPTH {
        return Err(local_error(
            missing[0],
            format!("dependencies nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    let lock: Option<Lock> = chart
        .lock
        .clone()
        .and_then(|v| serde_json::from_value::<Lock>(v).ok())
        .filter(|l| hash_requirements(&chart.metadata.dependencies, &l.dependencies) == l.digest);
    let mut added = Vec::new();
    for d in missing {
        let repository = d.repository.clone().unwrap_or_default();
        if repository.starts_with("file://") {
            return Err(local_error(
                d,
                "it is not inside the downloaded archive, and a file:// path means nothing outside the chart's own source tree".into(),
            ));
        }
        let pinned = lock.as_ref().and_then(|l| {
            l.dependencies
                .iter()
                .find(|x| x.name == d.name && x.repository == repository)
        });
        let sub = resolve(
            Path::new(&resolved.file_name),
            d,
            pinned,
            settings,
            depth + 1,
        )?;
        added.push((format!("charts/{}", sub.file_name), sub.bytes));
    }
    let mtime = source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?;
    let bytes =
        crate::chart::package::add_to_archive(&resolved.bytes, &resolved.file_name, added, mtime)?;
    Ok(Resolved { bytes, ..resolved })
}

/// The repository and index of a dependency: a URL is fetched (with the credentials of an added
/// repository of the same URL, as Helm does); `@name`, `alias:name` or a bare name is a
/// repository added with `repo add` (its cached index).
fn repository_index(
    repository: &str,
    settings: &RepoSettings,
) -> Result<(repositories::Repository, IndexFile), DependencyError> {
    if repository.starts_with("http://") || repository.starts_with("https://") {
        let repo = repositories::RepositoriesFile::load(settings)?
            .repositories
            .into_iter()
            .find(|r| r.url.trim_end_matches('/') == repository.trim_end_matches('/'))
            .unwrap_or_else(|| repositories::Repository::at(repository));
        let index = repositories::fetch_repository_index(&repo)?;
        return Ok((repo, index));
    }
    let name = repository
        .strip_prefix('@')
        .or_else(|| repository.strip_prefix("alias:"))
        .unwrap_or(repository);
    Ok(repositories::cached_index(settings, name)?)
}

/// The directory of a `file://` dependency; it must stay inside the directory holding the chart.
fn local_dir(chart_dir: &Path, local: &str) -> std::result::Result<PathBuf, String> {
    let canonical = chart_dir
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", chart_dir.display()))?;
    let project = canonical.parent().unwrap_or(&canonical).to_path_buf();
    let target = canonical.join(local);
    let target = target
        .canonicalize()
        .map_err(|e| format!("cannot read {}: {e}", target.display()))?;
    if !target.starts_with(&project) {
        return Err(format!(
            "the path leaves the project directory {}",
            project.display()
        ));
    }
    if target == canonical {
        return Err("a chart cannot depend on itself".into());
    }
    if !target.join("Chart.yaml").is_file() {
        return Err(format!("{} is not a chart directory", target.display()));
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::digest::hex;
    use sha2::{Digest, Sha256};

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn settings(dir: &Path) -> RepoSettings {
        RepoSettings {
            config_dir: dir.join("config"),
            cache_dir: dir.join("cache"),
            plain_http: false,
            tls: Default::default(),
            ..Default::default()
        }
    }

    #[test]
    fn hash_matches_go_encoding() {
        let d = Dependency {
            name: "db".into(),
            version: Some(">=1.0.0 <2".into()),
            repository: Some("file://../db".into()),
            ..Dependency::default()
        };
        // The archive digest is chartsmith's own field: Helm's hash does not see it.
        let l = LockedDependency {
            name: "db".into(),
            repository: "file://../db".into(),
            version: "1.2.0".into(),
            digest: format!("sha256:{}", "e".repeat(64)),
        };
        let expected_json = r#"[[{"name":"db","version":"\u003e=1.0.0 \u003c2","repository":"file://../db"}],[{"name":"db","version":"1.2.0","repository":"file://../db"}]]"#;
        assert_eq!(
            hash_requirements(&[d], &[l]),
            format!("sha256:{}", hex(&Sha256::digest(expected_json.as_bytes())))
        );
    }

    #[test]
    fn file_dependencies_update_recursively_and_build_checks_the_lock() {
        let work = tempfile::tempdir().unwrap();
        let root = work.path();
        write(
            root,
            "app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: ^1.0.0\n    repository: file://../db\n",
        );
        write(
            root,
            "db/Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.2.0\ndependencies:\n  - name: cache\n    version: '>=0.1'\n    repository: file://../cache\n",
        );
        write(
            root,
            "cache/Chart.yaml",
            "apiVersion: v2\nname: cache\nversion: 0.3.0\n",
        );
        let s = settings(root);
        let lock = update(&root.join("app"), &s).unwrap();
        assert_eq!(lock.dependencies[0].version, "1.2.0");
        assert!(root.join("app/charts/db-1.2.0.tgz").is_file());
        assert!(root.join("db/charts/cache-0.3.0.tgz").is_file());
        let chart = loader::load(root.join("app")).unwrap();
        assert_eq!(chart.dependencies[0].dependencies[0].name(), "cache");
        let statuses = list(&root.join("app")).unwrap();
        assert_eq!(statuses[0].status, "ok");
        build(&root.join("app"), &s).unwrap();
        // Changing the range invalidates the lock.
        write(
            root,
            "app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: ^1.1.0\n    repository: file://../db\n",
        );
        let err = build(&root.join("app"), &s).unwrap_err().to_string();
        assert!(err.contains("Chart.lock is out of sync"), "{err}");
        // An unsatisfiable range names the range and the version seen.
        write(
            root,
            "app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: ^2.0.0\n    repository: file://../db\n",
        );
        let err = update(&root.join("app"), &s).unwrap_err().to_string();
        assert!(err.contains("^2.0.0") && err.contains("1.2.0"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn links_as_chart_lock_or_under_charts_are_refused() {
        let work = tempfile::tempdir().unwrap();
        let app = work.path().join("app");
        write(
            &app,
            "Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        );
        let outside = work.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let s = settings(work.path());
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, app.join(name)).unwrap();
        };
        link(&outside, "charts");
        for result in [update(&app, &s), build(&app, &s)] {
            let e = result.unwrap_err().to_string();
            assert!(e.ends_with("app/charts: a symbolic link: dependency update and build neither read nor write through links"), "{e}");
        }
        std::fs::remove_file(app.join("charts")).unwrap();
        std::fs::create_dir_all(app.join("charts")).unwrap();
        link(&outside.join("db-1.0.0.tgz"), "charts/db-1.0.0.tgz");
        let e = build(&app, &s).unwrap_err().to_string();
        assert!(e.contains("charts/db-1.0.0.tgz: a symbolic link"), "{e}");
        std::fs::remove_file(app.join("charts/db-1.0.0.tgz")).unwrap();
        std::fs::write(outside.join("lock"), "digest: x\n").unwrap();
        link(&outside.join("lock"), "Chart.lock");
        let e = build(&app, &s).unwrap_err().to_string();
        assert!(e.contains("Chart.lock: a symbolic link"), "{e}");
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            1,
            "nothing written outside"
        );
    }

    #[test]
    fn file_paths_may_not_leave_the_project() {
        let work = tempfile::tempdir().unwrap();
        let root = work.path().join("project");
        write(
            &root,
            "app/Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: outside\n    version: '*'\n    repository: file://../../outside\n",
        );
        write(
            work.path(),
            "outside/Chart.yaml",
            "apiVersion: v2\nname: outside\nversion: 1.0.0\n",
        );
        let err = update(&root.join("app"), &settings(work.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("leaves the project"), "{err}");
        assert!(!root.join("app/charts").exists());
    }
}
