//! Chart repositories: Helm's `index.yaml` (`chartsmith repo index`).
//!
//! An index lists, per chart name, every packaged version, newest first by SemVer, with its
//! `Chart.yaml` fields, the sha256 `digest` of the archive, its `urls` and when it was `created`.
//! Archives are loaded as hostile input (see [`crate::chart::loader`]) and an index file read for
//! merging is parsed with bounded YAML and size limits; invalid entries of it are dropped, as Helm
//! drops them.
//!
//! May import: `chart` (the model, the loader), `constraint`, `yaml`, `util`, the repo error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::RepoError;
use crate::chart::Metadata;
use crate::chart::loader::{self, LoadOptions};
use crate::constraint::{Constraint, parse_version};
use crate::util::digest::sha256_hex;
use crate::util::fs::IoError;
use crate::util::parallel::parallel_map;

/// Largest index file read for merging (64 MiB).
pub const MAX_INDEX_BYTES: u64 = 64 << 20;

/// Helm's `index.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexFile {
    /// Always `v1`.
    pub api_version: String,
    /// Chart name → versions, newest first.
    #[serde(default)]
    pub entries: BTreeMap<String, Vec<ChartVersion>>,
    /// When the index was generated (RFC 3339).
    #[serde(default)]
    pub generated: String,
}

/// One packaged chart version of an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartVersion {
    /// The chart's `Chart.yaml`.
    #[serde(flatten)]
    pub metadata: Metadata,
    /// Where the archive can be downloaded.
    #[serde(default)]
    pub urls: Vec<String>,
    /// When the entry was added (RFC 3339). Left out when unknown: Helm cannot parse `""`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    /// sha256 of the archive, in hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

impl Default for IndexFile {
    fn default() -> Self {
        IndexFile {
            api_version: "v1".into(),
            entries: BTreeMap::new(),
            generated: now(),
        }
    }
}

impl IndexFile {
    /// Parses an index file's text (untrusted: bounded YAML, every entry validated; entries with
    /// an invalid name or version are dropped).
    pub fn from_yaml(text: &str, file: &str) -> Result<IndexFile, RepoError> {
        let invalid = |reason: String| -> RepoError {
            RepoError::InvalidIndex {
                file: file.to_string(),
                reason,
            }
        };
        if text.len() as u64 > MAX_INDEX_BYTES {
            return Err(invalid(format!("larger than {MAX_INDEX_BYTES} bytes")));
        }
        let value = crate::yaml::from_str(text, file)?;
        if !value.is_object() {
            return Err(invalid(format!(
                "expected a mapping, found {}",
                crate::yaml::kind_name(&value)
            )));
        }
        let mut index: IndexFile = serde_path_to_error::deserialize(value)
            .map_err(|e| invalid(format!("{}: {}", e.path(), e.inner())))?;
        if index.api_version.is_empty() {
            return Err(invalid("no API version".into()));
        }
        for versions in index.entries.values_mut() {
            versions.retain(|v| v.metadata.validate(file).is_ok());
        }
        index.entries.retain(|name, versions| {
            versions.retain(|v| &v.metadata.name == name);
            !versions.is_empty()
        });
        index.sort_entries();
        Ok(index)
    }

    /// Reads an index file from disk.
    pub fn load(path: &Path) -> Result<IndexFile, RepoError> {
        let meta = std::fs::metadata(path).map_err(|e| IoError::new(path, e))?;
        if meta.len() > MAX_INDEX_BYTES {
            return Err(RepoError::InvalidIndex {
                file: path.display().to_string(),
                reason: format!("larger than {MAX_INDEX_BYTES} bytes"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| IoError::new(path, e))?;
        IndexFile::from_yaml(&text, &path.display().to_string())
    }

    /// The index as YAML, as Helm writes it (keys sorted).
    pub fn to_yaml(&self) -> String {
        serde_json::to_value(self)
            .map(|v| crate::yaml::to_string(&v))
            .unwrap_or_default()
    }

    /// Whether the index has this chart version.
    pub fn has(&self, name: &str, version: &str) -> bool {
        self.entries
            .get(name)
            .is_some_and(|vs| vs.iter().any(|v| v.metadata.version == version))
    }

    /// Adds the versions of `other` that this index does not have (Helm's `Merge`).
    pub fn merge(&mut self, other: IndexFile) {
        for (name, versions) in other.entries {
            for v in versions {
                if !self.has(&name, &v.metadata.version) {
                    self.entries.entry(name.clone()).or_default().push(v);
                }
            }
        }
        self.sort_entries();
    }

    /// Sorts every chart's versions newest first by SemVer.
    pub fn sort_entries(&mut self) {
        for versions in self.entries.values_mut() {
            versions.sort_by(|a, b| {
                let va = semver::Version::parse(&a.metadata.version).ok();
                let vb = semver::Version::parse(&b.metadata.version).ok();
                vb.cmp(&va)
            });
        }
    }
}

/// Builds the index of the chart archives in `dir` (`*.tgz` and `*/*.tgz`, as Helm looks). `url`
/// prefixes each archive's path in `urls`; `merge` is an existing index whose entries are kept
/// unless the directory has the same chart version (a missing file counts as empty).
pub fn index(dir: &Path, url: Option<&str>, merge: Option<&Path>) -> Result<IndexFile, RepoError> {
    let created = now();
    let mut index = IndexFile {
        generated: created.clone(),
        ..IndexFile::default()
    };
    let paths = archives(dir)?;
    // Every archive is read, loaded (checked in full) and hashed, on all cores; the results are
    // then taken in directory order, so the first failing archive in that order is the error.
    let loaded = parallel_map(&paths, |path| -> Result<(Metadata, String), RepoError> {
        let bytes = std::fs::read(path).map_err(|e| IoError::new(path, e))?;
        let chart =
            loader::load_archive(&bytes, &path.display().to_string(), &LoadOptions::default())?;
        Ok((chart.metadata, sha256_hex(&bytes)))
    });
    for (path, result) in paths.into_iter().zip(loaded) {
        let (metadata, digest) = result?;
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let link = match url {
            Some(u) if !u.is_empty() => format!("{}/{rel}", u.trim_end_matches('/')),
            _ => rel,
        };
        let name = metadata.name.clone();
        if index.has(&name, &metadata.version) {
            continue;
        }
        index.entries.entry(name).or_default().push(ChartVersion {
            metadata,
            urls: vec![link],
            created: created.clone(),
            digest,
        });
    }
    if let Some(merge) = merge
        && merge.exists()
    {
        index.merge(IndexFile::load(merge)?);
    }
    index.sort_entries();
    Ok(index)
}

fn archives(dir: &Path) -> Result<Vec<PathBuf>, RepoError> {
    let read = |d: &Path| -> Result<Vec<std::fs::DirEntry>, RepoError> {
        let mut list: Vec<_> = std::fs::read_dir(d)
            .map_err(|e| IoError::new(d, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| IoError::new(d, e))?;
        list.sort_by_key(|e| e.file_name());
        Ok(list)
    };
    let is_tgz = |e: &std::fs::DirEntry| {
        e.file_name().to_str().is_some_and(|n| n.ends_with(".tgz"))
            && e.file_type().is_ok_and(|t| t.is_file())
    };
    let mut found = Vec::new();
    let mut nested = Vec::new();
    for entry in read(dir)? {
        if is_tgz(&entry) {
            found.push(entry.path());
        } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
            for inner in read(&entry.path())? {
                if is_tgz(&inner) {
                    nested.push(inner.path());
                }
            }
        }
    }
    found.extend(nested);
    Ok(found)
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// The newest version of `chart` in `index` that satisfies `range` (`None`: the newest
/// release, as Helm picks without `--version`) and has a download URL.
pub fn find_version<'a>(
    index: &'a IndexFile,
    chart: &str,
    range: Option<&str>,
    repository: &str,
) -> Result<&'a ChartVersion, RepoError> {
    let versions = index
        .entries
        .get(chart)
        .ok_or_else(|| RepoError::ChartNotFound {
            chart: chart.to_string(),
            repository: repository.to_string(),
        })?;
    let constraint = Constraint::parse(range.unwrap_or(">=0.0.0-0"))?;
    let stable_only = range.is_none();
    versions
        .iter()
        .filter(|v| !v.urls.is_empty())
        .find(|v| {
            parse_version(&v.metadata.version)
                .is_ok_and(|ver| constraint.matches(&ver) && (!stable_only || ver.pre.is_empty()))
        })
        .ok_or_else(|| RepoError::NoMatchingVersion {
            chart: chart.to_string(),
            repository: repository.to_string(),
            range: range.unwrap_or("(latest stable)").to_string(),
            seen: seen(versions.iter().map(|v| v.metadata.version.as_str())),
        })
}

pub(crate) fn seen<'a>(versions: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = versions.collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::package::{PackageOptions, package};
    use crate::util::digest::hex;
    use sha2::{Digest, Sha256};

    fn chart(dir: &Path, name: &str, version: &str) -> PathBuf {
        let c = dir.join(format!("src-{name}-{version}"));
        std::fs::create_dir_all(c.join("templates")).unwrap();
        std::fs::write(
            c.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"1.0\"\ndescription: d\n"),
        )
        .unwrap();
        c
    }

    fn pack(src: &Path, dest: &Path) -> PathBuf {
        let o = PackageOptions {
            destination: dest.to_path_buf(),
            mtime: Some(0),
            ..Default::default()
        };
        package(src, &o).unwrap()
    }

    #[test]
    fn entries_newest_first_with_digests_and_urls() {
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        for v in ["1.2.0", "1.10.0", "1.10.0-rc.1", "0.9.0"] {
            pack(&chart(work.path(), "app", v), &repo);
        }
        pack(&chart(work.path(), "db", "2.0.0"), &repo.join("nested"));
        let index = index(&repo, Some("https://charts.example.com/"), None).unwrap();
        let versions: Vec<_> = index.entries["app"]
            .iter()
            .map(|v| v.metadata.version.as_str())
            .collect();
        assert_eq!(versions, ["1.10.0", "1.10.0-rc.1", "1.2.0", "0.9.0"]);
        let first = &index.entries["app"][0];
        assert_eq!(first.urls, ["https://charts.example.com/app-1.10.0.tgz"]);
        let bytes = std::fs::read(repo.join("app-1.10.0.tgz")).unwrap();
        assert_eq!(first.digest, hex(&Sha256::digest(&bytes)));
        assert_eq!(first.digest.len(), 64);
        assert_eq!(
            index.entries["db"][0].urls,
            ["https://charts.example.com/nested/db-2.0.0.tgz"]
        );
        assert!(first.created.parse::<jiff::Timestamp>().is_ok());

        let yaml = index.to_yaml();
        assert!(
            yaml.starts_with("apiVersion: v1\nentries:\n  app:\n  - apiVersion: v2\n"),
            "{yaml}"
        );
        assert!(yaml.contains("\ngenerated: "), "{yaml}");
        let back = IndexFile::from_yaml(&yaml, "index.yaml").unwrap();
        assert_eq!(back, index);

        let bare = super::index(&repo, None, None).unwrap();
        assert_eq!(bare.entries["app"][0].urls, ["app-1.10.0.tgz"]);
    }

    #[test]
    fn merge_keeps_entries_not_in_the_directory() {
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        pack(&chart(work.path(), "app", "2.0.0"), &repo);
        let old = work.path().join("old.yaml");
        std::fs::write(
            &old,
            "apiVersion: v1\nentries:\n  app:\n  - name: app\n    version: 1.0.0\n    apiVersion: v2\n    urls: [https://old/app-1.0.0.tgz]\n    digest: abc\n    created: \"2020-01-01T00:00:00Z\"\n  - name: app\n    version: 2.0.0\n    apiVersion: v2\n    digest: stale\n  - name: app\n    version: not-semver\n    apiVersion: v2\n  other:\n  - name: other\n    version: 0.1.0\n    apiVersion: v2\ngenerated: \"2020-01-01T00:00:00Z\"\n",
        )
        .unwrap();
        let index = index(&repo, None, Some(&old)).unwrap();
        let app: Vec<_> = index.entries["app"]
            .iter()
            .map(|v| (v.metadata.version.as_str(), v.digest.as_str()))
            .collect();
        assert_eq!(app.len(), 2);
        assert_eq!(app[1], ("1.0.0", "abc"));
        assert_ne!(app[0].1, "stale");
        assert!(index.entries.contains_key("other"));
        // `other` had no `created`: it stays absent (Helm cannot parse `created: ""`).
        let yaml = index.to_yaml();
        assert!(!yaml.contains("created: \"\""), "{yaml}");
        // A missing merge file is an empty index.
        assert!(super::index(&repo, None, Some(&work.path().join("none.yaml"))).is_ok());
    }

    #[test]
    fn hostile_index_files_are_refused() {
        assert!(IndexFile::from_yaml("- a\n", "i.yaml").is_err());
        assert!(IndexFile::from_yaml("entries: {}\n", "i.yaml").is_err());
        let mut bomb = String::from("apiVersion: v1\na: &a [x,x,x,x,x,x,x,x,x]\n");
        for (p, n) in [
            ("a", "b"),
            ("b", "c"),
            ("c", "d"),
            ("d", "e"),
            ("e", "f"),
            ("f", "g"),
        ] {
            bomb.push_str(&format!(
                "{n}: &{n} [{}]\n",
                vec![format!("*{p}"); 9].join(",")
            ));
        }
        assert!(IndexFile::from_yaml(&bomb, "i.yaml").is_err());
    }

    fn index_with(versions: &[&str]) -> IndexFile {
        let mut index = IndexFile::default();
        for v in versions {
            let yaml = format!("apiVersion: v2\nname: app\nversion: {v}\n");
            index
                .entries
                .entry("app".into())
                .or_default()
                .push(ChartVersion {
                    metadata: crate::Metadata::from_yaml(&yaml, "Chart.yaml").unwrap(),
                    urls: vec![format!("app-{v}.tgz")],
                    created: String::new(),
                    digest: String::new(),
                });
        }
        index.sort_entries();
        index
    }

    #[test]
    fn picks_the_highest_matching_version() {
        let index = index_with(&["1.0.0", "1.2.0", "2.0.0", "2.1.0-rc.1"]);
        let pick = |r: Option<&str>| {
            find_version(&index, "app", r, "repo")
                .map(|v| v.metadata.version.clone())
                .map_err(|e| e.to_string())
        };
        assert_eq!(pick(Some("^1.0.0")).unwrap(), "1.2.0");
        assert_eq!(pick(Some("~1.0")).unwrap(), "1.0.0");
        assert_eq!(pick(None).unwrap(), "2.0.0");
        let err = pick(Some(">=3.0.0")).unwrap_err();
        assert!(err.contains(">=3.0.0"), "{err}");
        assert!(err.contains("2.1.0-rc.1, 2.0.0, 1.2.0, 1.0.0"), "{err}");
        assert!(find_version(&index, "nope", None, "repo").is_err());
    }
}
