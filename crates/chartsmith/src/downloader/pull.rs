//! `pull` and `REPO/CHART` chart references: an archive found through an added repository's
//! index (or an `oci://` reference, through the registry), downloaded, verified against the
//! index's sha256 `digest` and loaded as hostile input before it is used, written or unpacked.
//! Every download is bounded in size.
//!
//! May import: `repo`, `registry`, `chart` (the loader), [`super::http`], `util`.

use std::path::{Path, PathBuf};

use super::http::{MAX_ARCHIVE_BYTES, get};
use crate::chart::Chart;
use crate::chart::loader::{self, LoadError, LoadOptions};
use crate::registry::RegistryError;
use crate::repo::{
    ChartVersion, RepoError, RepoSettings, RepositoriesFile, Repository, cached_index, find_version,
};
use crate::util::digest::{digest_of, sha256_hex};
use crate::util::fs::{IoError, WriteOptions, write_atomic_creating_dirs};

/// Why `pull` or [`locate`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    /// The repository, its index or the archive was unusable.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The `oci://` reference, registry or artifact was unusable.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The archive is not a loadable chart.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The archive or chart directory could not be written.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Downloads the archive of `version` (its first URL, relative URLs resolved against the
/// repository's URL), verifies its sha256 `digest` and that it loads as a chart of that name and
/// version. Returns the bytes.
pub fn download(repo: &Repository, version: &ChartVersion) -> Result<Vec<u8>, RepoError> {
    download_chart(repo, version).map(|(bytes, _)| bytes)
}

/// [`download`], also returning the chart the archive loaded to (so callers need not load it
/// again).
pub fn download_chart(
    repo: &Repository,
    version: &ChartVersion,
) -> Result<(Vec<u8>, Chart), RepoError> {
    let url = absolute_url(&repo.url, &version.urls[0]);
    let bytes = get(
        &url,
        MAX_ARCHIVE_BYTES,
        repo.authorization(&url),
        &repo.tls(),
    )?;
    verify(&url, &bytes, &version.digest)?;
    let chart = loader::load_archive(&bytes, &url, &LoadOptions::default())?;
    if chart.name() != version.metadata.name || chart.metadata.version != version.metadata.version {
        return Err(RepoError::InvalidIndex {
            file: url,
            reason: format!(
                "the archive holds {} {}, the index says {} {}",
                chart.name(),
                chart.metadata.version,
                version.metadata.name,
                version.metadata.version
            ),
        });
    }
    Ok((bytes, chart))
}

/// Checks `bytes` against an index digest (hex sha256, optionally prefixed `sha256:`).
pub fn verify(url: &str, bytes: &[u8], digest: &str) -> Result<(), RepoError> {
    let expected = digest.trim_start_matches("sha256:").to_ascii_lowercase();
    if expected.is_empty() {
        return Ok(());
    }
    let actual = sha256_hex(bytes);
    if actual != expected {
        return Err(RepoError::DigestMismatch {
            url: url.to_string(),
            expected,
            actual,
        });
    }
    Ok(())
}

/// Resolves an index `urls` entry against the repository URL.
pub fn absolute_url(repo_url: &str, url: &str) -> String {
    if url.contains("://") {
        url.to_string()
    } else {
        format!(
            "{}/{}",
            repo_url.trim_end_matches('/'),
            url.trim_start_matches('/')
        )
    }
}

/// Splits `repo/chart`.
fn split_reference(reference: &str) -> Result<(&str, &str), RepoError> {
    match reference.split_once('/') {
        Some((r, c)) if !r.is_empty() && !c.is_empty() && !c.contains('/') => Ok((r, c)),
        _ => Err(RepoError::InvalidRepository {
            name: reference.to_string(),
            reason: "expected a chart reference of the form REPO/CHART".into(),
        }),
    }
}

/// Resolves `repo/chart` (with an optional version range) through the cached index, downloads
/// and verifies the archive. Returns the archive's file name and bytes.
pub fn fetch_chart(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<(String, Vec<u8>), RepoError> {
    let (repo_name, chart) = split_reference(reference)?;
    let (repo, index) = cached_index(settings, repo_name)?;
    let version = find_version(&index, chart, range, repo_name)?;
    let bytes = download(&repo, version)?;
    Ok((format!("{chart}-{}.tgz", version.metadata.version), bytes))
}

/// What `pull` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The archive, or with `untar` the chart directory.
    pub path: PathBuf,
    /// `sha256:…` of the OCI manifest for an `oci://` reference; of the archive otherwise.
    pub digest: String,
}

/// `pull REPO/CHART`, `pull oci://…` or `pull https://…/NAME-VERSION.tgz`: writes the verified
/// archive into `destination` (or, with `untar`, unpacks it there as `CHART/`).
pub fn pull(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
    destination: &Path,
    untar: bool,
) -> Result<Pulled, PullError> {
    let (file_name, bytes, digest) = fetch_any(settings, reference, range)?;
    let path = if untar {
        unpack(&bytes, &file_name, destination)?
    } else {
        let target = destination.join(&file_name);
        write_atomic_creating_dirs(&target, &bytes, WriteOptions::DURABLE)?;
        target
    };
    Ok(Pulled { path, digest })
}

/// A `repo/chart` or `oci://` reference as a local archive: downloaded and verified into the
/// cache's `charts/` directory.
pub fn locate(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<PathBuf, PullError> {
    let (file_name, bytes, _) = fetch_any(settings, reference, range)?;
    let target = settings.cache_dir.join("charts").join(file_name);
    write_atomic_creating_dirs(&target, &bytes, WriteOptions::DURABLE)?;
    Ok(target)
}

/// How [`resolve_chart`] finds a chart: the version range of a remote reference, the repository
/// settings, and who is told when a chart is downloaded.
#[derive(Clone)]
pub struct ResolveOptions<'a> {
    /// The version range of a `REPO/CHART` or `oci://` reference (`None`: the newest release).
    pub version: Option<String>,
    /// The repositories file, the cache the archive is written to, and how OCI registries are
    /// reached (plain HTTP, TLS).
    pub settings: RepoSettings,
    /// Called with the reference right before a remote chart is downloaded (the CLI shows a
    /// spinner until [`resolve_chart`] returns).
    pub fetching: Option<&'a dyn Fn(&str)>,
}

impl ResolveOptions<'_> {
    /// Options with these settings, the newest version and nobody told of downloads.
    pub fn new(settings: RepoSettings) -> Self {
        ResolveOptions {
            version: None,
            settings,
            fetching: None,
        }
    }
}

impl std::fmt::Debug for ResolveOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolveOptions")
            .field("version", &self.version)
            .field("settings", &self.settings)
            .field("fetching", &self.fetching.is_some())
            .finish()
    }
}

/// A chart argument as a local path, as every verb of the `chartsmith` CLI that takes a chart
/// resolves it: an existing path is returned as it is; an `oci://` reference, or `REPO/CHART` of
/// a repository of the repositories file, is downloaded and verified into the cache ([`locate`])
/// and the archive's path is returned; anything else is returned as it is (loading it then names
/// the missing path).
pub fn resolve_chart(reference: &str, options: &ResolveOptions<'_>) -> Result<PathBuf, PullError> {
    if Path::new(reference).exists() {
        return Ok(PathBuf::from(reference));
    }
    let settings = &options.settings;
    let remote = reference.starts_with("oci://")
        || match reference.split_once('/') {
            Some((repo, name)) => {
                !name.contains('/') && RepositoriesFile::load(settings)?.get(repo).is_some()
            }
            None => false,
        };
    if !remote {
        return Ok(PathBuf::from(reference));
    }
    if let Some(fetching) = options.fetching {
        fetching(reference);
    }
    locate(settings, reference, options.version.as_deref())
}

/// The file name, verified bytes and digest of a `repo/chart` or `oci://` reference.
fn fetch_any(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<(String, Vec<u8>, String), PullError> {
    if reference.starts_with("oci://") {
        let f = crate::registry::fetch_chart(settings, reference, range)?;
        return Ok((f.file_name, f.bytes, f.digest));
    }
    if reference.starts_with("https://") || reference.starts_with("http://") {
        // A chart archive by URL (Helm's `pull URL`): no index digest to check it against, so
        // it is loaded as hostile input, with every check of the loader, before anything is
        // written; it is named after the chart it holds, not after the URL.
        let bytes = get(reference, MAX_ARCHIVE_BYTES, None, &settings.tls)?;
        let chart = loader::load_archive(&bytes, reference, &LoadOptions::default())?;
        let file_name = format!("{}-{}.tgz", chart.name(), chart.metadata.version);
        let digest = digest_of(&bytes);
        return Ok((file_name, bytes, digest));
    }
    let (file_name, bytes) = fetch_chart(settings, reference, range)?;
    let digest = digest_of(&bytes);
    Ok((file_name, bytes, digest))
}

/// Unpacks a chart archive into `destination/NAME/` after loading it as hostile input (so no
/// entry can escape the destination). Returns the chart directory.
pub fn unpack(bytes: &[u8], source_name: &str, destination: &Path) -> Result<PathBuf, PullError> {
    let chart = loader::load_archive(bytes, source_name, &LoadOptions::default())?;
    let root = destination.join(chart.name());
    if root.exists() {
        return Err(IoError::new(
            &root,
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "already exists"),
        )
        .into());
    }
    let invalid = |reason: String| -> PullError {
        LoadError::InvalidArchive {
            source_name: source_name.to_string(),
            reason,
        }
        .into()
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().map_err(|e| invalid(e.to_string()))? {
        let mut entry = entry.map_err(|e| invalid(e.to_string()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| invalid(e.to_string()))?
            .into_owned();
        // The loader accepted the archive: every path is relative, without `..`, under NAME/.
        if !path.starts_with(chart.name()) {
            continue;
        }
        std::fs::create_dir_all(destination).map_err(|e| IoError::new(destination, e))?;
        let unpacked = entry
            .unpack_in(destination)
            .map_err(|e| IoError::new(destination.join(&path), e))?;
        if !unpacked {
            return Err(invalid(format!("unsafe entry {}", path.display())));
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::downloader::TlsOptions;
    use crate::repo::{add, list, remove};
    use crate::util::digest::hex;
    use sha2::{Digest, Sha256};

    fn settings(dir: &Path) -> RepoSettings {
        RepoSettings {
            config_dir: dir.join("config"),
            cache_dir: dir.join("cache"),
            plain_http: false,
            tls: TlsOptions::default(),
            ..Default::default()
        }
    }

    #[test]
    fn repositories_file_round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        assert!(list(&s).unwrap().is_empty());
        let file = RepositoriesFile {
            api_version: "v1".into(),
            generated: String::new(),
            repositories: vec![Repository {
                name: "local".into(),
                ..Repository::at("http://127.0.0.1:1")
            }],
        };
        file.save(&s).unwrap();
        assert_eq!(list(&s).unwrap(), file.repositories);
        let repo = |name: &str, url: &str| Repository {
            name: name.into(),
            ..Repository::at(url)
        };
        assert!(add(&s, &repo("bad/name", "http://x")).is_err());
        assert!(add(&s, &repo("ok", "ftp://x")).is_err());
        let err = add(&s, &repo("ok", "https://me:hunter2@charts.example/x"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--username") && !err.contains("hunter2"),
            "{err}"
        );
        let err = add(&s, &repo("local", "http://127.0.0.1:2"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("already exists"), "{err}");
        assert!(remove(&s, "nope").is_err());
        remove(&s, "local").unwrap();
        assert!(list(&s).unwrap().is_empty());
        assert!(fetch_chart(&s, "local/app", None).is_err());
        assert!(fetch_chart(&s, "no-slash", None).is_err());
    }

    #[test]
    fn chart_references_resolve_to_local_paths() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        RepositoriesFile {
            api_version: "v1".into(),
            generated: String::new(),
            repositories: vec![Repository {
                name: "local".into(),
                ..Repository::at("http://127.0.0.1:1")
            }],
        }
        .save(&s)
        .unwrap();
        let fetched = std::cell::RefCell::new(Vec::new());
        let fetching = |r: &str| fetched.borrow_mut().push(r.to_string());
        let options = ResolveOptions {
            fetching: Some(&fetching),
            ..ResolveOptions::new(s.clone())
        };
        let existing = dir.path().join("config");
        let existing = existing.to_str().unwrap();
        assert_eq!(
            resolve_chart(existing, &options).unwrap(),
            Path::new(existing)
        );
        for as_is in ["missing", "other/app", "local/app/x"] {
            assert_eq!(resolve_chart(as_is, &options).unwrap(), Path::new(as_is));
        }
        assert!(fetched.borrow().is_empty());
        assert!(resolve_chart("local/app", &options).is_err());
        assert_eq!(*fetched.borrow(), ["local/app"]);
    }

    #[test]
    fn digests_are_verified() {
        let digest = hex(&Sha256::digest(b"abc"));
        assert!(verify("u", b"abc", &digest).is_ok());
        assert!(verify("u", b"abc", &format!("sha256:{digest}")).is_ok());
        let err = verify("u", b"abd", &digest).unwrap_err().to_string();
        assert!(err.contains("digest mismatch"), "{err}");
    }

    #[test]
    fn relative_urls_resolve_against_the_repository() {
        assert_eq!(absolute_url("http://h/r/", "a-1.tgz"), "http://h/r/a-1.tgz");
        assert_eq!(
            absolute_url("http://h/r", "https://x/a.tgz"),
            "https://x/a.tgz"
        );
    }
}
