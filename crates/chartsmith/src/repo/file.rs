//! Named repositories: Helm's `repositories.yaml` ([`RepositoriesFile`]), where it and the
//! caches live ([`RepoSettings`]), and `repo add|list|update|remove`, which fetch and cache each
//! repository's `index.yaml`.
//!
//! The repositories file lives in the config directory and every repository's `index.yaml` is
//! cached as `repository/NAME-index.yaml` in the cache directory; downloaded archives are cached
//! under `charts/`. The directories default to `$XDG_CONFIG_HOME/chartsmith` and
//! `$XDG_CACHE_HOME/chartsmith` (else `~/.config/chartsmith`, `~/.cache/chartsmith`) and are
//! overridden by `CHARTSMITH_CONFIG_DIR` and `CHARTSMITH_CACHE_DIR`.
//!
//! May import: the index ([`super::index`]), `downloader::http` (fetching an index), `yaml`,
//! `util`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::RepoError;
use super::index::{IndexFile, MAX_INDEX_BYTES};
use crate::downloader::TlsOptions;
use crate::downloader::http::get;
use crate::util::fs::IoError;
use crate::util::fs::{WriteOptions, write_atomic_creating_dirs};

/// Where the repositories file and the caches live.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// The repositories file, instead of `CONFIG_DIR/repositories.yaml` (Helm's
    /// `--repository-config`).
    pub repository_config: Option<PathBuf>,
    /// The directory of the cached indexes, instead of `CACHE_DIR/repository` (Helm's
    /// `--repository-cache`).
    pub repository_cache: Option<PathBuf>,
    /// The registry credentials file, instead of `CONFIG_DIR/registry/config.json` (Helm's
    /// `--registry-config`).
    pub registry_config: Option<PathBuf>,
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
            repository_config: None,
            repository_cache: None,
            registry_config: None,
        }
    }

    /// The repositories file.
    pub fn repositories_file(&self) -> PathBuf {
        self.repository_config
            .clone()
            .unwrap_or_else(|| self.config_dir.join("repositories.yaml"))
    }

    /// The directory of the cached indexes.
    pub fn index_dir(&self) -> PathBuf {
        self.repository_cache
            .clone()
            .unwrap_or_else(|| self.cache_dir.join("repository"))
    }

    /// The cached index of a repository.
    pub fn index_file(&self, name: &str) -> PathBuf {
        self.index_dir().join(format!("{name}-index.yaml"))
    }

    /// The registry credentials file (Docker's `config.json`).
    pub fn registry_config_file(&self) -> PathBuf {
        self.registry_config
            .clone()
            .unwrap_or_else(|| self.config_dir.join("registry").join("config.json"))
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
    pub fn load(settings: &RepoSettings) -> Result<RepositoriesFile, RepoError> {
        let path = settings.repositories_file();
        if !path.exists() {
            return Ok(RepositoriesFile {
                api_version: "v1".into(),
                generated: crate::repo::now(),
                repositories: Vec::new(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| IoError::new(&path, e))?;
        RepositoriesFile::from_yaml(&text, &path.display().to_string())
    }

    /// Parses a repositories file's text (untrusted: bounded YAML); `name` names it in errors.
    pub fn from_yaml(text: &str, name: &str) -> Result<RepositoriesFile, RepoError> {
        let value = crate::yaml::from_str(text, name)?;
        serde_json::from_value(value).map_err(|e| RepoError::InvalidIndex {
            file: name.to_string(),
            reason: e.to_string(),
        })
    }

    /// Writes the file (readable only by its owner: it may hold passwords).
    pub fn save(&self, settings: &RepoSettings) -> Result<(), RepoError> {
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
pub fn fetch_index(url: &str) -> Result<IndexFile, RepoError> {
    fetch_repository_index(&Repository::at(url))
}

/// Fetches the repository's `index.yaml` with its credentials and parses it.
pub fn fetch_repository_index(repo: &Repository) -> Result<IndexFile, RepoError> {
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
pub fn add(settings: &RepoSettings, repository: &Repository) -> Result<IndexFile, RepoError> {
    let (name, url) = (repository.name.as_str(), repository.url.as_str());
    let invalid = |reason: &str| -> RepoError {
        RepoError::InvalidRepository {
            name: name.to_string(),
            reason: reason.to_string(),
        }
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
pub fn list(settings: &RepoSettings) -> Result<Vec<Repository>, RepoError> {
    Ok(RepositoriesFile::load(settings)?.repositories)
}

/// `repo update`: refreshes every cached index (or only `names`); returns the names updated.
pub fn update(settings: &RepoSettings, names: &[String]) -> Result<Vec<String>, RepoError> {
    let file = RepositoriesFile::load(settings)?;
    for n in names {
        if file.get(n).is_none() {
            return Err(RepoError::UnknownRepository { name: n.clone() });
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
pub fn remove(settings: &RepoSettings, name: &str) -> Result<(), RepoError> {
    let mut file = RepositoriesFile::load(settings)?;
    let before = file.repositories.len();
    file.repositories.retain(|r| r.name != name);
    if file.repositories.len() == before {
        return Err(RepoError::UnknownRepository {
            name: name.to_string(),
        });
    }
    file.save(settings)?;
    let _ = std::fs::remove_file(settings.index_file(name));
    Ok(())
}

/// The cached index of a named repository (fetched if it is not cached yet).
pub fn cached_index(
    settings: &RepoSettings,
    name: &str,
) -> Result<(Repository, IndexFile), RepoError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
