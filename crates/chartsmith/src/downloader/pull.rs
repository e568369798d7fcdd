//! Named chart repositories (`chartsmith repo add|list|update|remove`), `pull`, and `repo/name`
//! chart references.
//!
//! The repositories file (`repositories.yaml`, Helm's format) lives in the config directory and
//! every repository's `index.yaml` is cached as `repository/NAME-index.yaml` in the cache
//! directory; downloaded archives are cached under `charts/`. The directories default to
//! `$XDG_CONFIG_HOME/chartsmith` and `$XDG_CACHE_HOME/chartsmith` (else `~/.config/chartsmith`,
//! `~/.cache/chartsmith`) and are overridden by `CHARTSMITH_CONFIG_DIR` and `CHARTSMITH_CACHE_DIR`.
//! Every download is bounded in size, and an archive whose index has a `digest` is verified
//! against it before it is used or written.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chart::Chart;
use crate::chart::loader::{self, LoadOptions};
use crate::constraint::{Constraint, parse_version};
use crate::error::{Error, Result};
use crate::repo::{ChartVersion, IndexFile, MAX_INDEX_BYTES, RepoError};
use crate::util::digest::sha256_hex;
use crate::util::fs::{WriteOptions, write_atomic_creating_dirs};

/// Largest chart archive downloaded (100 MiB, the loader's default total size).
pub const MAX_ARCHIVE_BYTES: u64 = 100 << 20;

/// Where the repositories file and the caches live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSettings {
    /// Holds `repositories.yaml`.
    pub config_dir: PathBuf,
    /// Holds the cached indexes (`repository/`) and archives (`charts/`).
    pub cache_dir: PathBuf,
    /// Talk to OCI registries over plain HTTP instead of HTTPS (`--plain-http`: loopback and
    /// test registries).
    pub plain_http: bool,
    /// How OCI registries' certificates are checked (`--ca-file`, `--insecure-skip-tls-verify`).
    pub tls: TlsOptions,
}

/// How a server's TLS certificate is checked. The default trusts Mozilla's root certificates
/// (compiled in), not the system's store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    /// Trust only the CA certificates of this PEM file (a private registry's or repository's CA),
    /// as Helm's `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// Do not check the certificate at all (Helm's `--insecure-skip-tls-verify`): the connection
    /// is encrypted but anyone in the middle can read and change it.
    pub insecure_skip_tls_verify: bool,
    /// A client certificate (PEM, with its chain) for servers that require one (mTLS), as
    /// Helm's `--cert-file`; needs `key_file`.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM), as Helm's `--key-file`.
    pub key_file: Option<PathBuf>,
}

impl RepoSettings {
    /// The directories from `CHARTSMITH_CONFIG_DIR` / `CHARTSMITH_CACHE_DIR`, else the XDG
    /// directories, else `~/.config/chartsmith` and `~/.cache/chartsmith`.
    pub fn from_env() -> RepoSettings {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = var("HOME").unwrap_or_else(|| PathBuf::from("."));
        RepoSettings {
            config_dir: var("CHARTSMITH_CONFIG_DIR").unwrap_or_else(|| {
                var("XDG_CONFIG_HOME")
                    .unwrap_or_else(|| home.join(".config"))
                    .join("chartsmith")
            }),
            cache_dir: var("CHARTSMITH_CACHE_DIR").unwrap_or_else(|| {
                var("XDG_CACHE_HOME")
                    .unwrap_or_else(|| home.join(".cache"))
                    .join("chartsmith")
            }),
            plain_http: false,
            tls: TlsOptions::default(),
        }
    }

    /// The repositories file.
    pub fn repositories_file(&self) -> PathBuf {
        self.config_dir.join("repositories.yaml")
    }

    /// The cached index of a repository.
    pub fn index_file(&self, name: &str) -> PathBuf {
        self.cache_dir
            .join("repository")
            .join(format!("{name}-index.yaml"))
    }
}

/// Helm's `repositories.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoriesFile {
    /// `v1`.
    #[serde(default)]
    pub api_version: String,
    /// When the file was written.
    #[serde(default)]
    pub generated: String,
    /// The repositories, in the order they were added.
    #[serde(default)]
    pub repositories: Vec<Repository>,
}

/// One named repository (Helm's entry, with its credential fields).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Repository {
    /// Its name (`bitnami`).
    pub name: String,
    /// Its URL (the directory holding `index.yaml`).
    pub url: String,
    /// The user name for HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password for HTTP basic authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Send the credentials to every host the index points archives at, not only to the
    /// repository's own scheme, host and port (Helm's `--pass-credentials`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pass_credentials_all: bool,
    /// Trust only the CA certificates of this PEM file for this repository (Helm's `caFile`).
    #[serde(default, rename = "caFile", skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Do not check this repository's TLS certificate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
    /// The client certificate for this repository (Helm's `certFile`).
    #[serde(default, rename = "certFile", skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's key (Helm's `keyFile`).
    #[serde(default, rename = "keyFile", skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
}

impl std::fmt::Debug for Repository {
    // The password is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("pass_credentials_all", &self.pass_credentials_all)
            .field("ca_file", &self.ca_file)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish()
    }
}

impl Repository {
    /// An anonymous repository at `url`.
    pub fn at(url: &str) -> Repository {
        Repository {
            url: url.to_string(),
            ..Repository::default()
        }
    }

    /// How this repository's certificates are checked.
    pub fn tls(&self) -> TlsOptions {
        TlsOptions {
            ca_file: self.ca_file.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        }
    }

    /// The `Authorization` header for a request to `url`: basic credentials, sent only to the
    /// repository's own origin (scheme, host and port) unless `pass_credentials_all`.
    pub fn authorization(&self, url: &str) -> Option<String> {
        use base64::Engine as _;
        let username = self.username.as_deref()?;
        if !self.pass_credentials_all && origin(url) != origin(&self.url) {
            return None;
        }
        let password = self.password.as_deref().unwrap_or("");
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
        ))
    }
}

/// `scheme://host[:port]` of a URL (lower-cased), `""` when it has none.
fn origin(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    format!("{}://{}", scheme, authority).to_ascii_lowercase()
}

impl RepositoriesFile {
    /// Reads the repositories file of `settings` (a missing file is an empty list).
    pub fn load(settings: &RepoSettings) -> Result<RepositoriesFile> {
        let path = settings.repositories_file();
        if !path.exists() {
            return Ok(RepositoriesFile {
                api_version: "v1".into(),
                generated: crate::repo::now(),
                repositories: Vec::new(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        RepositoriesFile::from_yaml(&text, &path.display().to_string())
    }

    /// Parses a repositories file's text (untrusted: bounded YAML); `name` names it in errors.
    pub fn from_yaml(text: &str, name: &str) -> Result<RepositoriesFile> {
        let value = crate::yaml::from_str(text, name)?;
        serde_json::from_value(value).map_err(|e| {
            RepoError::InvalidIndex {
                file: name.to_string(),
                reason: e.to_string(),
            }
            .into()
        })
    }

    /// Writes the file (readable only by its owner: it may hold passwords).
    pub fn save(&self, settings: &RepoSettings) -> Result<()> {
        let path = settings.repositories_file();
        let text = serde_json::to_value(self)
            .map(|v| crate::yaml::to_string(&v))
            .unwrap_or_default();
        Ok(write_atomic_creating_dirs(
            &path,
            text.as_bytes(),
            WriteOptions::PRIVATE,
        )?)
    }

    /// The repository named `name`.
    pub fn get(&self, name: &str) -> Option<&Repository> {
        self.repositories.iter().find(|r| r.name == name)
    }
}

/// Fetches `URL/index.yaml` (anonymously) and parses it as Helm's index format.
pub fn fetch_index(url: &str) -> Result<IndexFile> {
    fetch_repository_index(&Repository::at(url))
}

/// Fetches the repository's `index.yaml` with its credentials and parses it.
pub fn fetch_repository_index(repo: &Repository) -> Result<IndexFile> {
    let index_url = format!("{}/index.yaml", repo.url.trim_end_matches('/'));
    let bytes = get(
        &index_url,
        MAX_INDEX_BYTES,
        repo.authorization(&index_url),
        &repo.tls(),
    )?;
    let text = String::from_utf8(bytes).map_err(|_| RepoError::InvalidIndex {
        file: index_url.clone(),
        reason: "not UTF-8 text".into(),
    })?;
    IndexFile::from_yaml(&text, &index_url)
}

/// `repo add`: fetches and validates the index (with the repository's credentials, if any),
/// caches it and records the repository. Adding the same name and URL again refreshes it (and
/// its credentials); another URL under an existing name is refused.
pub fn add(settings: &RepoSettings, repository: &Repository) -> Result<IndexFile> {
    let (name, url) = (repository.name.as_str(), repository.url.as_str());
    let invalid = |reason: &str| -> Error {
        RepoError::InvalidRepository {
            name: name.to_string(),
            reason: reason.to_string(),
        }
        .into()
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        || name.starts_with('.')
    {
        return Err(invalid(
            "a repository name has only letters, digits, `.`, `_` and `-`",
        ));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(invalid("the URL must start with http:// or https://"));
    }
    // A password in the URL would be printed by `repo list` and in every error naming the URL.
    if url.split_once("://").is_some_and(|(_, rest)| {
        rest.split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .contains('@')
    }) {
        return Err(invalid(
            "credentials go in --username and --password-stdin, not in the URL",
        ));
    }
    let mut file = RepositoriesFile::load(settings)?;
    if let Some(existing) = file.get(name)
        && existing.url.trim_end_matches('/') != url.trim_end_matches('/')
    {
        return Err(invalid(&format!(
            "already exists with URL {} (remove it first)",
            existing.url
        )));
    }
    let index = fetch_repository_index(repository)?;
    write_atomic_creating_dirs(
        &settings.index_file(name),
        index.to_yaml().as_bytes(),
        WriteOptions::DURABLE,
    )?;
    file.repositories.retain(|r| r.name != name);
    file.repositories.push(repository.clone());
    file.generated = crate::repo::now();
    file.save(settings)?;
    Ok(index)
}

/// `repo list`.
pub fn list(settings: &RepoSettings) -> Result<Vec<Repository>> {
    Ok(RepositoriesFile::load(settings)?.repositories)
}

/// `repo update`: refreshes every cached index (or only `names`); returns the names updated.
pub fn update(settings: &RepoSettings, names: &[String]) -> Result<Vec<String>> {
    let file = RepositoriesFile::load(settings)?;
    for n in names {
        if file.get(n).is_none() {
            return Err(RepoError::UnknownRepository { name: n.clone() }.into());
        }
    }
    let mut done = Vec::new();
    for repo in &file.repositories {
        if !names.is_empty() && !names.contains(&repo.name) {
            continue;
        }
        let index = fetch_repository_index(repo)?;
        write_atomic_creating_dirs(
            &settings.index_file(&repo.name),
            index.to_yaml().as_bytes(),
            WriteOptions::DURABLE,
        )?;
        done.push(repo.name.clone());
    }
    Ok(done)
}

/// `repo remove`: forgets the repository and its cached index.
pub fn remove(settings: &RepoSettings, name: &str) -> Result<()> {
    let mut file = RepositoriesFile::load(settings)?;
    let before = file.repositories.len();
    file.repositories.retain(|r| r.name != name);
    if file.repositories.len() == before {
        return Err(RepoError::UnknownRepository {
            name: name.to_string(),
        }
        .into());
    }
    file.save(settings)?;
    let _ = std::fs::remove_file(settings.index_file(name));
    Ok(())
}

/// The cached index of a named repository (fetched if it is not cached yet).
pub fn cached_index(settings: &RepoSettings, name: &str) -> Result<(Repository, IndexFile)> {
    let file = RepositoriesFile::load(settings)?;
    let repo = file
        .get(name)
        .cloned()
        .ok_or_else(|| RepoError::UnknownRepository {
            name: name.to_string(),
        })?;
    let path = settings.index_file(name);
    let index = if path.exists() {
        IndexFile::load(&path)?
    } else {
        let index = fetch_repository_index(&repo)?;
        write_atomic_creating_dirs(&path, index.to_yaml().as_bytes(), WriteOptions::DURABLE)?;
        index
    };
    Ok((repo, index))
}

/// The newest version of `chart` in `index` that satisfies `range` (`None`: the newest
/// release, as Helm picks without `--version`) and has a download URL.
pub fn find_version<'a>(
    index: &'a IndexFile,
    chart: &str,
    range: Option<&str>,
    repository: &str,
) -> Result<&'a ChartVersion> {
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
        .ok_or_else(|| {
            RepoError::NoMatchingVersion {
                chart: chart.to_string(),
                repository: repository.to_string(),
                range: range.unwrap_or("(latest stable)").to_string(),
                seen: seen(versions.iter().map(|v| v.metadata.version.as_str())),
            }
            .into()
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

/// Downloads the archive of `version` (its first URL, relative URLs resolved against the
/// repository's URL), verifies its sha256 `digest` and that it loads as a chart of that name and
/// version. Returns the bytes.
pub fn download(repo: &Repository, version: &ChartVersion) -> Result<Vec<u8>> {
    download_chart(repo, version).map(|(bytes, _)| bytes)
}

/// [`download`], also returning the chart the archive loaded to (so callers need not load it
/// again).
pub fn download_chart(repo: &Repository, version: &ChartVersion) -> Result<(Vec<u8>, Chart)> {
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
        }
        .into());
    }
    Ok((bytes, chart))
}

/// Checks `bytes` against an index digest (hex sha256, optionally prefixed `sha256:`).
pub fn verify(url: &str, bytes: &[u8], digest: &str) -> Result<()> {
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
        }
        .into());
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
fn split_reference(reference: &str) -> Result<(&str, &str)> {
    match reference.split_once('/') {
        Some((r, c)) if !r.is_empty() && !c.is_empty() && !c.contains('/') => Ok((r, c)),
        _ => Err(RepoError::InvalidRepository {
            name: reference.to_string(),
            reason: "expected a chart reference of the form REPO/CHART".into(),
        }
        .into()),
    }
}

/// Resolves `repo/chart` (with an optional version range) through the cached index, downloads
/// and verifies the archive. Returns the archive's file name and bytes.
pub fn fetch_chart(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<(String, Vec<u8>)> {
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

/// `pull REPO/CHART` or `pull oci://…`: writes the verified archive into `destination` (or,
/// with `untar`, unpacks it there as `CHART/`).
pub fn pull(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
    destination: &Path,
    untar: bool,
) -> Result<Pulled> {
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
pub fn locate(settings: &RepoSettings, reference: &str, range: Option<&str>) -> Result<PathBuf> {
    let (file_name, bytes, _) = fetch_any(settings, reference, range)?;
    let target = settings.cache_dir.join("charts").join(file_name);
    write_atomic_creating_dirs(&target, &bytes, WriteOptions::DURABLE)?;
    Ok(target)
}

/// The file name, verified bytes and digest of a `repo/chart` or `oci://` reference.
fn fetch_any(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<(String, Vec<u8>, String)> {
    if reference.starts_with("oci://") {
        let f = crate::registry::fetch_chart(settings, reference, range)?;
        return Ok((f.file_name, f.bytes, f.digest));
    }
    let (file_name, bytes) = fetch_chart(settings, reference, range)?;
    let digest = crate::registry::digest_of(&bytes);
    Ok((file_name, bytes, digest))
}

/// Unpacks a chart archive into `destination/NAME/` after loading it as hostile input (so no
/// entry can escape the destination). Returns the chart directory.
pub fn unpack(bytes: &[u8], source_name: &str, destination: &Path) -> Result<PathBuf> {
    let chart = loader::load_archive(bytes, source_name, &LoadOptions::default())?;
    let root = destination.join(chart.name());
    if root.exists() {
        return Err(Error::io(
            &root,
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "already exists"),
        ));
    }
    let invalid = |reason: String| -> Error {
        crate::chart::loader::LoadError::InvalidArchive {
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
        std::fs::create_dir_all(destination).map_err(|e| Error::io(destination, e))?;
        let unpacked = entry
            .unpack_in(destination)
            .map_err(|e| Error::io(destination.join(&path), e))?;
        if !unpacked {
            return Err(invalid(format!("unsafe entry {}", path.display())));
        }
    }
    Ok(root)
}

/// The HTTP client for `tls`: rustls, bounded connect and overall time, `Authorization` never
/// carried across a redirect. With `statuses_as_errors` a 4xx/5xx answer is an error.
#[cfg(feature = "http")]
pub(crate) fn agent(
    tls: &TlsOptions,
    statuses_as_errors: bool,
    timeout: std::time::Duration,
) -> Result<ureq::Agent> {
    use ureq::tls::{ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let invalid = |file: &Path, what: &str| {
        Error::io(
            file,
            std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
        )
    };
    let certificates = |file: &Path, what: &str| -> Result<Vec<ureq::tls::Certificate<'static>>> {
        let pem = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(invalid(file, what));
        }
        Ok(certs)
    };
    let mut config = TlsConfig::builder().disable_verification(tls.insecure_skip_tls_verify);
    if let Some(file) = &tls.ca_file {
        let certs = certificates(file, "no PEM certificate in the CA file")?;
        config = config.root_certs(RootCerts::new_with_certs(&certs));
    }
    match (&tls.cert_file, &tls.key_file) {
        (None, None) => {}
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, "no PEM certificate in the certificate file")?;
            let pem = std::fs::read(key).map_err(|e| Error::io(key, e))?;
            // The key's bytes are never part of an error.
            let key_der = PrivateKey::from_pem(&pem)
                .map_err(|_| invalid(key, "no PEM private key in the key file"))?;
            config = config.client_cert(Some(ClientCert::new_with_certs(&chain, key_der)));
        }
        (Some(file), None) | (None, Some(file)) => {
            return Err(invalid(
                file,
                "a client certificate needs both --cert-file and --key-file",
            ));
        }
    }
    Ok(ureq::Agent::config_builder()
        .tls_config(config.build())
        .http_status_as_error(statuses_as_errors)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(std::time::Duration::from_secs(20)))
        .user_agent(concat!("chartsmith/", env!("CARGO_PKG_VERSION")))
        .build()
        .into())
}

/// The agent of [`get`] for `tls`, built once per process and TLS setting: the CA and client
/// certificate files are read once, and connections to a repository are kept alive across an
/// index fetch and its downloads.
#[cfg(feature = "http")]
fn shared_agent(tls: &TlsOptions) -> Result<ureq::Agent> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static AGENTS: OnceLock<Mutex<HashMap<TlsOptions, ureq::Agent>>> = OnceLock::new();
    let agents = AGENTS.get_or_init(Default::default);
    if let Some(found) = agents.lock().ok().and_then(|m| m.get(tls).cloned()) {
        return Ok(found);
    }
    let built = agent(tls, true, std::time::Duration::from_secs(120))?;
    if let Ok(mut m) = agents.lock() {
        m.insert(tls.clone(), built.clone());
    }
    Ok(built)
}

/// A transport error's text, with a hint when the certificate was not trusted.
#[cfg(feature = "http")]
pub(crate) fn transport_reason(error: &ureq::Error) -> String {
    let reason = error.to_string();
    if reason.contains("UnknownIssuer") || reason.contains("invalid peer certificate") {
        format!(
            "{reason} (a private CA? pass --ca-file CA.pem, or --insecure-skip-tls-verify to skip the check)"
        )
    } else {
        reason
    }
}

/// GETs `url` (with `authorization` as its `Authorization` header), reading at most `limit`
/// bytes. Only `http://` and `https://` URLs. A 401 or 403 says whether credentials were sent.
#[cfg(feature = "http")]
pub(crate) fn get(
    url: &str,
    limit: u64,
    authorization: Option<String>,
    tls: &TlsOptions,
) -> Result<Vec<u8>> {
    let unreachable = |reason: String| -> Error {
        RepoError::Unreachable {
            url: url.to_string(),
            reason,
        }
        .into()
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(unreachable(
            "only http:// and https:// URLs are fetched".into(),
        ));
    }
    let agent = shared_agent(tls)?;
    let mut request = agent.get(url);
    let sent_credentials = authorization.is_some();
    if let Some(auth) = authorization {
        request = request.header("Authorization", auth);
    }
    let mut response = request.call().map_err(|e| match e {
        ureq::Error::StatusCode(code @ (401 | 403)) => unreachable(format!(
            "{code} {}",
            if sent_credentials {
                "the credentials were refused"
            } else {
                "the repository needs credentials (repo add --username … --password-stdin)"
            }
        )),
        e => unreachable(transport_reason(&e)),
    })?;
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| unreachable(e.to_string()))
}

/// Without the `http` feature nothing is fetched.
#[cfg(not(feature = "http"))]
pub(crate) fn get(
    url: &str,
    _limit: u64,
    _authorization: Option<String>,
    _tls: &TlsOptions,
) -> Result<Vec<u8>> {
    Err(RepoError::NoHttp {
        url: url.to_string(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::digest::hex;
    use sha2::{Digest, Sha256};

    fn settings(dir: &Path) -> RepoSettings {
        RepoSettings {
            config_dir: dir.join("config"),
            cache_dir: dir.join("cache"),
            plain_http: false,
            tls: TlsOptions::default(),
        }
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

    #[test]
    fn digests_are_verified() {
        let digest = hex(&Sha256::digest(b"abc"));
        assert!(verify("u", b"abc", &digest).is_ok());
        assert!(verify("u", b"abc", &format!("sha256:{digest}")).is_ok());
        let err = verify("u", b"abd", &digest).unwrap_err().to_string();
        assert!(err.contains("digest mismatch"), "{err}");
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
    fn credentials_go_only_to_the_repository_origin_and_are_never_printed() {
        let mut repo = Repository {
            name: "private".into(),
            username: Some("me".into()),
            password: Some("hunter2".into()),
            ..Repository::at("https://charts.example:8443/stable")
        };
        let basic = "Basic bWU6aHVudGVyMg==";
        for same in [
            "https://charts.example:8443/stable/index.yaml",
            "https://CHARTS.example:8443/other/a-1.tgz",
        ] {
            assert_eq!(repo.authorization(same).as_deref(), Some(basic), "{same}");
        }
        for other in [
            "https://charts.example/stable/a-1.tgz",
            "http://charts.example:8443/stable/a-1.tgz",
            "https://cdn.example/a-1.tgz",
            "https://charts.example:8443@cdn.example/a-1.tgz",
        ] {
            assert_eq!(repo.authorization(other), None, "{other}");
        }
        repo.pass_credentials_all = true;
        assert!(repo.authorization("https://cdn.example/a-1.tgz").is_some());
        assert!(!format!("{repo:?}").contains("hunter2"));
        assert_eq!(Repository::at("http://x").authorization("http://x/i"), None);
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
