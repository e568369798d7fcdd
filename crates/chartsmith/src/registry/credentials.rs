//! The credentials `registry login` saves: Docker's `config.json` (`auths.HOST.auth`), readable
//! only by its owner.
//!
//! May import: `repo` (the settings naming the config directory), `util`, the registry's error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::repo::RepoSettings;
use crate::util::fs::IoError;

use super::error::RegistryError;

/// Docker's `config.json`, as Helm's `registry/config.json`: `auths.HOST.auth` is
/// base64(`user:password`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegistryConfig {
    /// Credentials by registry host.
    #[serde(default)]
    pub auths: BTreeMap<String, AuthEntry>,
}

/// One registry's credentials.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct AuthEntry {
    /// base64(`user:password`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth: String,
}

impl std::fmt::Debug for AuthEntry {
    // Never print credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthEntry(<redacted>)")
    }
}

/// A user name and password for a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl Credentials {
    /// The `Authorization` header value of HTTP basic authentication with these credentials.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(super) fn basic_authorization(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.username, self.password))
        )
    }
}

impl std::fmt::Debug for Credentials {
    // Never print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

impl RegistryConfig {
    /// The file: `CONFIG_DIR/registry/config.json`, or the settings' `registry_config`.
    pub fn path(settings: &RepoSettings) -> PathBuf {
        settings.registry_config_file()
    }

    /// Reads the file (missing: no credentials).
    pub fn load(settings: &RepoSettings) -> Result<RegistryConfig, RegistryError> {
        let path = Self::path(settings);
        if !path.exists() {
            return Ok(RegistryConfig::default());
        }
        let text = std::fs::read(&path).map_err(|e| IoError::new(&path, e))?;
        serde_json::from_slice(&text).map_err(|e| RegistryError::Config {
            file: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Writes the file, readable only by its owner.
    pub fn save(&self, settings: &RepoSettings) -> Result<(), RegistryError> {
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        Ok(crate::util::fs::write_atomic_creating_dirs(
            &Self::path(settings),
            &text,
            crate::util::fs::WriteOptions::PRIVATE,
        )?)
    }

    /// The credentials saved for `registry`.
    pub fn credentials(&self, registry: &str) -> Option<Credentials> {
        let entry = self.auths.get(registry)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(entry.auth.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (username, password) = text.split_once(':')?;
        Some(Credentials {
            username: username.to_string(),
            password: password.to_string(),
        })
    }

    /// Records credentials for `registry`.
    pub fn set(&mut self, registry: &str, credentials: &Credentials) {
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", credentials.username, credentials.password));
        self.auths.insert(registry.to_string(), AuthEntry { auth });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_and_are_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let settings = RepoSettings {
            config_dir: dir.path().join("c"),
            cache_dir: dir.path().join("k"),
            plain_http: false,
            tls: Default::default(),
            ..Default::default()
        };
        let mut config = RegistryConfig::load(&settings).unwrap();
        let creds = Credentials {
            username: "me".into(),
            password: "hunter2:with-colon".into(),
        };
        config.set("r.example:5000", &creds);
        config.save(&settings).unwrap();
        let back = RegistryConfig::load(&settings).unwrap();
        assert_eq!(back.credentials("r.example:5000"), Some(creds.clone()));
        assert_eq!(back.credentials("other"), None);
        assert!(!format!("{creds:?} {back:?}").contains("hunter2"));
        std::fs::write(RegistryConfig::path(&settings), "{").unwrap();
        assert!(RegistryConfig::load(&settings).is_err());
    }
}
