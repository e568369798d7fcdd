//! Charts in OCI registries: `oci://HOST/PATH` references, `push`, `pull` and `registry
//! login|logout`, speaking the OCI distribution API the way Helm does.
//!
//! A chart is stored as Helm stores it: an image manifest
//! (`application/vnd.oci.image.manifest.v1+json`) whose config blob is the chart's metadata as
//! JSON (`application/vnd.cncf.helm.config.v1+json`) and whose single layer is the `.tgz`
//! archive (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`), tagged with the chart
//! version (`+` written as `_`, since tags cannot hold `+`). So `helm pull` reads what
//! `chartsmith push` writes, and the other way round.
//!
//! Every pull is verified: the manifest against the digest it was asked for (or the registry's
//! `Docker-Content-Digest`), the layer against the manifest's sha256 digest and size, and the
//! archive is loaded as hostile input and must hold the chart and version the reference names.
//! Authentication follows the registry's challenge: anonymous, HTTP basic, or a bearer token
//! fetched from the realm it names, with the credentials saved by `registry login` (Docker's
//! `config.json` format under the config directory), sent only to the registry and the token
//! service it names. Registries are reached over HTTPS (certificates checked against Mozilla's
//! roots, or the CA file of [`crate::repositories::TlsOptions`], with an optional client
//! certificate) unless `plain_http` is set (loopback and test registries).

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::chart::Metadata;
use crate::error::{Error, Result};
use crate::repositories::RepoSettings;

/// The media type of an OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of a chart's config blob (its metadata as JSON).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// The media type of a chart's archive layer.
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Layer media type of charts pushed by Helm 3.0–3.7 (still read).
const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";
/// The largest manifest read (the distribution spec suggests 4 MiB).
#[cfg_attr(not(feature = "http"), allow(dead_code))]
const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// The largest config blob, tags page, token or error body read.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
const MAX_SMALL_BYTES: u64 = 1 << 20;
/// At most this many tag pages are followed.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
const MAX_TAG_PAGES: usize = 100;

/// Why an OCI reference, registry or artifact was unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The `oci://` reference is malformed.
    #[error("invalid OCI reference `{reference}`: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// The registry answered with an error.
    #[error("{url}: the registry answered {status}: {reason}")]
    Registry {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The registry's error message.
        reason: String,
    },
    /// The registry wants credentials that were not given or were refused.
    #[error("{registry}: {reason}")]
    Unauthorized {
        /// The registry host.
        registry: String,
        /// What happened.
        reason: String,
    },
    /// The artifact is not a Helm chart, or is not the chart it claims to be.
    #[error("{reference}: {reason}")]
    NotAChart {
        /// The reference.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// Downloaded content does not match its digest.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The manifest or blob.
        what: String,
        /// The digest that was promised.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The registry credentials file is unreadable.
    #[error("{file}: invalid registry configuration: {reason}")]
    Config {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

/// A parsed `oci://HOST[:PORT]/PATH[:TAG][@sha256:DIGEST]` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry host (and port).
    pub registry: String,
    /// The repository path inside the registry (`charts/redis`).
    pub repository: String,
    /// The tag, if the reference names one.
    pub tag: Option<String>,
    /// The manifest digest (`sha256:…`), if the reference names one.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses an `oci://` reference. The repository path follows the distribution spec's grammar
    /// (lower-case components separated by `/`), the tag at most 128 characters of
    /// `[A-Za-z0-9_.-]`, the digest `sha256:` and 64 hex digits.
    pub fn parse(reference: &str) -> Result<Reference> {
        let invalid = |reason: &str| -> Error {
            RegistryError::InvalidReference {
                reference: reference.to_string(),
                reason: reason.to_string(),
            }
            .into()
        };
        let rest = reference
            .strip_prefix("oci://")
            .ok_or_else(|| invalid("it must start with oci://"))?;
        if rest.len() > 1024 {
            return Err(invalid("longer than 1024 characters"));
        }
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (rest, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| invalid("expected oci://HOST/PATH"))?;
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        {
            return Err(invalid("the registry host is not a host name or address"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t.to_string())),
            _ => (path, None),
        };
        if !valid_repository(repository) {
            return Err(invalid(
                "the repository path must be lower-case letters and digits, separated by `.`, `_`, `__`, `-` or `/`",
            ));
        }
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(invalid(
                "a tag is 1 to 128 characters of letters, digits, `_`, `.` and `-`",
            ));
        }
        if let Some(d) = &digest
            && !valid_digest(d)
        {
            return Err(invalid("a digest is sha256: and 64 lower-case hex digits"));
        }
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// The last path component: the chart's name.
    pub fn chart_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// The reference as `HOST/PATH[:TAG][@DIGEST]` (without `oci://`).
    pub fn display(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

fn valid_repository(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && path.split('/').all(|component| {
            let bytes = component.as_bytes();
            let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
                return false;
            }
            // Separators: `.`, `_`, `__` or any run of `-`, always between alphanumerics.
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                if alnum(b) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < bytes.len() && !alnum(bytes[i]) {
                    i += 1;
                }
                let sep = &component[start..i];
                let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
                if !ok {
                    return false;
                }
            }
            true
        })
}

fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b))
}

fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The tag of a chart version (`+` is not allowed in tags; Helm writes `_`).
pub fn version_to_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// The chart version of a tag.
pub fn tag_to_version(tag: &str) -> String {
    tag.replace('_', "+")
}

/// A content descriptor of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Its media type.
    pub media_type: String,
    /// `sha256:…` of the content.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest as Helm writes it for a chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's media type.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// The config blob.
    pub config: Descriptor,
    /// The layers (one: the chart archive).
    pub layers: Vec<Descriptor>,
    /// Annotations (`org.opencontainers.image.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `sha256:` and the hex digest of `bytes`.
pub use crate::util::digest::digest_of;

/// The config blob of a chart: its metadata as Go's `encoding/json` writes Helm's
/// `chart.Metadata` (field order and `omitempty` as Helm, so the digest matches `helm push`).
pub fn config_json(metadata: &Metadata) -> Vec<u8> {
    use crate::dependency::{go_json, go_text};
    use crate::util::gojson::encode;
    // Ordered (key, encoded JSON) pairs: Go writes struct fields in declaration order.
    fn object(fields: Vec<(&str, String)>) -> String {
        let parts: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", encode(&k.into())))
            .collect();
        format!("{{{}}}", parts.join(","))
    }
    fn text(fields: &mut Vec<(&str, String)>, key: &'static str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            fields.push((key, encode(&v.into())));
        }
    }
    let list = |l: &[String]| encode(&serde_json::json!(l));
    let mut f: Vec<(&str, String)> = Vec::new();
    text(&mut f, "name", Some(&metadata.name));
    text(&mut f, "home", metadata.home.as_deref());
    if !metadata.sources.is_empty() {
        f.push(("sources", list(&metadata.sources)));
    }
    text(&mut f, "version", Some(&metadata.version));
    text(&mut f, "description", metadata.description.as_deref());
    if !metadata.keywords.is_empty() {
        f.push(("keywords", list(&metadata.keywords)));
    }
    if !metadata.maintainers.is_empty() {
        let people: Vec<String> = metadata
            .maintainers
            .iter()
            .map(|m| {
                let mut o = Vec::new();
                text(&mut o, "name", m.name.as_deref());
                text(&mut o, "email", m.email.as_deref());
                text(&mut o, "url", m.url.as_deref());
                object(o)
            })
            .collect();
        f.push(("maintainers", format!("[{}]", people.join(","))));
    }
    text(&mut f, "icon", metadata.icon.as_deref());
    text(&mut f, "apiVersion", Some(&metadata.api_version));
    text(&mut f, "appVersion", metadata.app_version.as_deref());
    if metadata.deprecated {
        f.push(("deprecated", "true".into()));
    }
    if !metadata.annotations.is_empty() {
        // A Go map: keys sorted, as the BTreeMap already is.
        f.push((
            "annotations",
            encode(&serde_json::json!(metadata.annotations)),
        ));
    }
    text(&mut f, "kubeVersion", metadata.kube_version.as_deref());
    if !metadata.dependencies.is_empty() {
        let deps: Vec<String> = metadata
            .dependencies
            .iter()
            .map(|d| go_text(&go_json(d)))
            .collect();
        f.push(("dependencies", format!("[{}]", deps.join(","))));
    }
    text(&mut f, "type", metadata.chart_type.as_deref());
    object(f).into_bytes()
}

/// The manifest annotations Helm writes for a chart: title, version, description, home,
/// first source, maintainers, creation time, then the chart's own annotations (which may not
/// replace the title or version).
pub fn annotations(metadata: &Metadata, created: &str) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let key = |k: &str| format!("org.opencontainers.image.{k}");
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            a.insert(key(k), v.to_string());
        }
    };
    put("description", metadata.description.as_deref().unwrap_or(""));
    put("title", &metadata.name);
    put("version", &metadata.version);
    put("url", metadata.home.as_deref().unwrap_or(""));
    put("created", created);
    put(
        "source",
        metadata.sources.first().map(String::as_str).unwrap_or(""),
    );
    let authors: Vec<String> = metadata
        .maintainers
        .iter()
        .map(|m| {
            let name = m.name.clone().unwrap_or_default();
            match m.email.as_deref() {
                Some(e) if !e.is_empty() => format!("{name} ({e})"),
                _ => name,
            }
        })
        .collect();
    put("authors", &authors.join(", "));
    for (k, v) in &metadata.annotations {
        if k != &key("title") && k != &key("version") {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

/// The `org.opencontainers.image.created` time of a push: `SOURCE_DATE_EPOCH` (seconds) when it
/// is set, so pushes can be reproduced, else now; RFC 3339 in UTC.
pub fn created_timestamp(source_date_epoch: Option<&str>) -> Result<String> {
    let at = match source_date_epoch.filter(|v| !v.trim().is_empty()) {
        Some(v) => {
            let secs = crate::chart::package::source_date_epoch(Some(v))?;
            jiff::Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX))
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        }
        None => jiff::Timestamp::now(),
    };
    Ok(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The manifest, config and layer of a chart archive, ready to push.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The chart's metadata.
    pub metadata: Metadata,
    /// The config blob.
    pub config: Vec<u8>,
    /// The serialised manifest.
    pub manifest: Vec<u8>,
}

/// Builds the artifact of a chart archive (loaded and checked first). `created` is the RFC 3339
/// time recorded in the `org.opencontainers.image.created` annotation.
pub fn artifact(archive: &[u8], source_name: &str, created: &str) -> Result<Artifact> {
    let chart = crate::chart::loader::load_archive(
        archive,
        source_name,
        &crate::chart::loader::LoadOptions::default(),
    )?;
    let metadata = chart.metadata.clone();
    let config = config_json(&metadata);
    let manifest = Manifest {
        schema_version: 2,
        media_type: String::new(),
        config: Descriptor {
            media_type: CONFIG_MEDIA_TYPE.into(),
            digest: digest_of(&config),
            size: config.len() as u64,
            annotations: BTreeMap::new(),
        },
        layers: vec![Descriptor {
            media_type: CHART_LAYER_MEDIA_TYPE.into(),
            digest: digest_of(archive),
            size: archive.len() as u64,
            annotations: BTreeMap::new(),
        }],
        annotations: annotations(&metadata, created),
    };
    let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
    Ok(Artifact {
        metadata,
        config,
        manifest,
    })
}

/// Checks a manifest fetched for `reference`: a Helm chart (config and layer media types) whose
/// layer fits in `limit` bytes. Returns the chart layer.
pub fn chart_layer(manifest: &Manifest, reference: &str, limit: u64) -> Result<Descriptor> {
    let not_a_chart = |reason: String| -> Error {
        RegistryError::NotAChart {
            reference: reference.to_string(),
            reason,
        }
        .into()
    };
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(not_a_chart(format!(
            "not a Helm chart (config media type `{}`, expected `{CONFIG_MEDIA_TYPE}`)",
            manifest.config.media_type
        )));
    }
    let layers: Vec<&Descriptor> = manifest
        .layers
        .iter()
        .filter(|l| {
            l.media_type == CHART_LAYER_MEDIA_TYPE || l.media_type == LEGACY_CHART_LAYER_MEDIA_TYPE
        })
        .collect();
    let layer = match layers.as_slice() {
        [one] => (*one).clone(),
        [] => return Err(not_a_chart("the manifest has no chart layer".into())),
        _ => return Err(not_a_chart("the manifest has several chart layers".into())),
    };
    if !valid_digest(&layer.digest) {
        return Err(not_a_chart(format!(
            "the chart layer's digest `{}` is not a sha256 digest",
            layer.digest
        )));
    }
    if layer.size > limit {
        return Err(not_a_chart(format!(
            "the chart layer is {} bytes, more than the limit of {limit}",
            layer.size
        )));
    }
    Ok(layer)
}

/// Verifies `bytes` against a `sha256:` digest.
pub fn verify(what: &str, bytes: &[u8], expected: &str) -> Result<()> {
    let actual = digest_of(bytes);
    if actual != expected {
        return Err(RegistryError::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        }
        .into());
    }
    Ok(())
}

/// Picks the tag to pull: the exact tag of `version` if it is a plain version, else the
/// highest tag satisfying the range (`None`: the highest stable version).
pub fn pick_tag(tags: &[String], range: Option<&str>, reference: &str) -> Result<String> {
    use crate::constraint::{Constraint, parse_version};
    let constraint = Constraint::parse(range.unwrap_or(">=0.0.0-0"))?;
    let stable_only = range.is_none();
    let mut best: Option<(semver::Version, &String)> = None;
    for tag in tags {
        let Ok(v) = parse_version(&tag_to_version(tag)) else {
            continue;
        };
        if !constraint.matches(&v) || (stable_only && !v.pre.is_empty()) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| v > *b) {
            best = Some((v, tag));
        }
    }
    best.map(|(_, t)| t.clone()).ok_or_else(|| {
        crate::repo::RepoError::NoMatchingVersion {
            chart: reference.to_string(),
            repository: "the registry's tags".into(),
            range: range.unwrap_or("(latest stable)").to_string(),
            seen: crate::repositories::seen(tags.iter().map(String::as_str).take(50)),
        }
        .into()
    })
}

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

impl std::fmt::Debug for Credentials {
    // Never print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

impl RegistryConfig {
    /// The file: `CONFIG_DIR/registry/config.json`.
    pub fn path(settings: &RepoSettings) -> PathBuf {
        settings.config_dir.join("registry").join("config.json")
    }

    /// Reads the file (missing: no credentials).
    pub fn load(settings: &RepoSettings) -> Result<RegistryConfig> {
        let path = Self::path(settings);
        if !path.exists() {
            return Ok(RegistryConfig::default());
        }
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&text).map_err(|e| {
            RegistryError::Config {
                file: path.display().to_string(),
                reason: e.to_string(),
            }
            .into()
        })
    }

    /// Writes the file, readable only by its owner.
    pub fn save(&self, settings: &RepoSettings) -> Result<()> {
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

/// What `push` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Where the chart went (`HOST/PATH/NAME:TAG`).
    pub reference: String,
    /// The manifest's digest.
    pub digest: String,
}

/// What `fetch` brought back.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// `NAME-VERSION.tgz`.
    pub file_name: String,
    /// The verified archive.
    pub bytes: Vec<u8>,
    /// The manifest's digest.
    pub digest: String,
    /// The chart version.
    pub version: String,
    /// The chart the archive loaded to (checked to be the one the reference names).
    pub chart: crate::chart::Chart,
}

/// Splits a challenge's `key="value", …` parameters (values may be quoted and hold commas).
fn challenge_params(text: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = stripped.char_indices();
            let mut end = stripped.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            rest = stripped[end.min(stripped.len())..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start_matches(',').trim_start();
        params.insert(key, value);
    }
    params
}

/// A `WWW-Authenticate` challenge: its scheme (lower case) and parameters.
pub fn parse_challenge(header: &str) -> (String, BTreeMap<String, String>) {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    (scheme.to_ascii_lowercase(), challenge_params(params))
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept). Hand-written: three
/// lines, and the HTTP client has no public helper for it.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(feature = "http")]
pub use client::{Client, fetch, login, logout, push};

/// [`fetch`] when chartsmith has HTTP support; without the `http` feature, an error saying so.
pub fn fetch_chart(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<Fetched> {
    #[cfg(feature = "http")]
    {
        fetch(settings, reference, range)
    }
    #[cfg(not(feature = "http"))]
    {
        let _ = (settings, range);
        Err(crate::repo::RepoError::NoHttp {
            url: reference.to_string(),
        }
        .into())
    }
}

#[cfg(feature = "http")]
mod client {
    use super::*;
    use crate::repo::RepoError;
    use std::path::Path;
    use std::time::Duration;

    /// A response: status, the headers we use, the body.
    struct Response {
        status: u16,
        location: Option<String>,
        content_digest: Option<String>,
        challenge: Option<String>,
        link: Option<String>,
        body: Vec<u8>,
    }

    /// A registry session for one repository: remembers the authorization that worked.
    pub struct Client {
        agent: ureq::Agent,
        scheme: &'static str,
        registry: String,
        credentials: Option<Credentials>,
        authorization: Option<String>,
    }

    impl std::fmt::Debug for Client {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Client")
                .field("registry", &self.registry)
                .field("scheme", &self.scheme)
                .finish_non_exhaustive()
        }
    }

    enum Body<'a> {
        None,
        Bytes(&'a [u8], &'a str),
    }

    impl Client {
        /// A client for `registry`, with the credentials saved by `registry login` (or given).
        pub fn new(
            settings: &RepoSettings,
            registry: &str,
            credentials: Option<Credentials>,
        ) -> Result<Client> {
            let credentials = match credentials {
                Some(c) => Some(c),
                None => RegistryConfig::load(settings)?.credentials(registry),
            };
            let agent = crate::repositories::agent(&settings.tls, false, Duration::from_secs(300))?;
            Ok(Client {
                agent,
                scheme: if settings.plain_http { "http" } else { "https" },
                registry: registry.to_string(),
                credentials,
                authorization: None,
            })
        }

        fn url(&self, path: &str) -> String {
            format!("{}://{}{path}", self.scheme, self.registry)
        }

        fn unreachable(url: &str, reason: String) -> Error {
            RepoError::Unreachable {
                url: url.to_string(),
                reason,
            }
            .into()
        }

        fn once(
            &self,
            method: &str,
            url: &str,
            accept: Option<&str>,
            body: &Body<'_>,
            limit: u64,
            authorization: Option<&str>,
        ) -> Result<Response> {
            let mut request = ureq::http::Request::builder().method(method).uri(url);
            if let Some(a) = accept {
                request = request.header("Accept", a);
            }
            if let Some(auth) = authorization {
                request = request.header("Authorization", auth);
            }
            let result = match body {
                Body::None => {
                    let request = request
                        .body(())
                        .map_err(|e| Self::unreachable(url, e.to_string()))?;
                    self.agent.run(request)
                }
                Body::Bytes(bytes, content_type) => {
                    let request = request
                        .header("Content-Type", *content_type)
                        .body(*bytes)
                        .map_err(|e| Self::unreachable(url, e.to_string()))?;
                    self.agent.run(request)
                }
            };
            let mut response = result.map_err(|e| {
                let mut reason = crate::repositories::transport_reason(&e);
                if url.starts_with("https://")
                    && (reason.contains("corrupt message") || reason.contains("InvalidContentType"))
                {
                    reason.push_str(
                        " (the registry does not speak TLS: pass --plain-http for a plain-HTTP registry)",
                    );
                }
                Self::unreachable(url, reason)
            })?;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let location = header("Location");
            let content_digest = header("Docker-Content-Digest");
            let challenge = header("WWW-Authenticate");
            let link = header("Link");
            let status = response.status().as_u16();
            let body = if method == "HEAD" {
                Vec::new()
            } else {
                let limit = if status >= 300 {
                    MAX_SMALL_BYTES
                } else {
                    limit
                };
                response
                    .body_mut()
                    .with_config()
                    .limit(limit)
                    .read_to_vec()
                    .map_err(|e| Self::unreachable(url, e.to_string()))?
            };
            Ok(Response {
                status,
                location,
                content_digest,
                challenge,
                link,
                body,
            })
        }

        /// Sends a request; on 401 answers the registry's challenge (basic or bearer) once.
        fn send(
            &mut self,
            method: &str,
            path_or_url: &str,
            accept: Option<&str>,
            body: Body<'_>,
            scope: &str,
            limit: u64,
        ) -> Result<Response> {
            let url = if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
                path_or_url.to_string()
            } else {
                self.url(path_or_url)
            };
            // The registry's authorization goes to the registry only, never to another host an
            // upload Location or a redirect names.
            let own = url.starts_with(&self.url("/"));
            let response = self.once(
                method,
                &url,
                accept,
                &body,
                limit,
                self.authorization.as_deref().filter(|_| own),
            )?;
            if response.status != 401 {
                return Ok(response);
            }
            if !own {
                return Err(self.unauthorized(format!(
                    "{url} (not the registry) asked for credentials; they are only sent to the registry"
                )));
            }
            let challenge = response.challenge.clone().unwrap_or_default();
            self.authorize(&challenge, scope)?;
            let response = self.once(
                method,
                &url,
                accept,
                &body,
                limit,
                self.authorization.as_deref(),
            )?;
            if response.status == 401 {
                return Err(self.unauthorized(match &self.credentials {
                    Some(c) => format!(
                        "the registry refused the credentials of `{}` (run `chartsmith registry login {}` again)",
                        c.username, self.registry
                    ),
                    None => "the registry refused access".to_string(),
                }));
            }
            Ok(response)
        }

        fn unauthorized(&self, reason: String) -> Error {
            RegistryError::Unauthorized {
                registry: self.registry.clone(),
                reason,
            }
            .into()
        }

        fn basic(&self) -> Option<String> {
            self.credentials.as_ref().map(|c| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{}:{}", c.username, c.password))
                )
            })
        }

        /// Sets the authorization from a `WWW-Authenticate` challenge.
        fn authorize(&mut self, challenge: &str, scope: &str) -> Result<()> {
            let (scheme, params) = parse_challenge(challenge);
            match scheme.as_str() {
                "basic" => match self.basic() {
                    Some(b) => {
                        self.authorization = Some(b);
                        Ok(())
                    }
                    None => Err(self.unauthorized(format!(
                        "authentication required (run `chartsmith registry login {}`)",
                        self.registry
                    ))),
                },
                "bearer" => {
                    let realm = params.get("realm").cloned().unwrap_or_default();
                    if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                        return Err(self.unauthorized(format!(
                            "the bearer challenge names no usable token realm (`{realm}`)"
                        )));
                    }
                    let mut query = Vec::new();
                    if let Some(service) = params.get("service") {
                        query.push(format!("service={}", query_escape(service)));
                    }
                    let scope = params.get("scope").map(String::as_str).unwrap_or(scope);
                    if !scope.is_empty() {
                        query.push(format!("scope={}", query_escape(scope)));
                    }
                    let sep = if realm.contains('?') { '&' } else { '?' };
                    let token_url = if query.is_empty() {
                        realm.clone()
                    } else {
                        format!("{realm}{sep}{}", query.join("&"))
                    };
                    // The saved credentials go to the token service the registry names (often
                    // another host), but never in clear text unless the registry itself is
                    // reached over plain HTTP.
                    if realm.starts_with("http://") && self.scheme == "https" {
                        return Err(self.unauthorized(format!(
                            "the token service {realm} is plain HTTP; credentials are not sent in clear text to a TLS registry's token service"
                        )));
                    }
                    let basic = self.basic();
                    let response = self.once(
                        "GET",
                        &token_url,
                        None,
                        &Body::None,
                        MAX_SMALL_BYTES,
                        basic.as_deref(),
                    )?;
                    if response.status != 200 {
                        return Err(self.unauthorized(format!(
                            "the token service {realm} answered {}{}",
                            response.status,
                            if self.credentials.is_none() {
                                format!(" (run `chartsmith registry login {}`)", self.registry)
                            } else {
                                String::new()
                            }
                        )));
                    }
                    #[derive(Deserialize)]
                    struct Token {
                        #[serde(default)]
                        token: String,
                        #[serde(default)]
                        access_token: String,
                    }
                    let token: Token = serde_json::from_slice(&response.body).map_err(|e| {
                        self.unauthorized(format!("the token service {realm} answered: {e}"))
                    })?;
                    let token = if token.token.is_empty() {
                        token.access_token
                    } else {
                        token.token
                    };
                    if token.is_empty() {
                        return Err(
                            self.unauthorized(format!("the token service {realm} sent no token"))
                        );
                    }
                    self.authorization = Some(format!("Bearer {token}"));
                    Ok(())
                }
                _ => Err(self.unauthorized(format!(
                    "unsupported authentication challenge `{}`",
                    challenge.split_whitespace().next().unwrap_or("")
                ))),
            }
        }

        fn error(&self, url: &str, response: &Response) -> Error {
            // The distribution spec's error body: {"errors":[{"code":…,"message":…}]}.
            #[derive(Deserialize)]
            struct Errors {
                #[serde(default)]
                errors: Vec<Item>,
            }
            #[derive(Deserialize)]
            struct Item {
                #[serde(default)]
                code: String,
                #[serde(default)]
                message: String,
            }
            let reason = serde_json::from_slice::<Errors>(&response.body)
                .ok()
                .filter(|e| !e.errors.is_empty())
                .map(|e| {
                    e.errors
                        .iter()
                        .map(|i| format!("{} {}", i.code, i.message).trim().to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&response.body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                        .trim()
                        .to_string()
                });
            RegistryError::Registry {
                url: url.to_string(),
                status: response.status,
                reason: if reason.is_empty() {
                    "no details".into()
                } else {
                    reason
                },
            }
            .into()
        }

        /// A 200 answer is fine; a 404 is `missing` about `reference`; anything else is the
        /// registry's error.
        fn expect_found(
            &self,
            response: &Response,
            url: &str,
            reference: String,
            missing: &str,
        ) -> Result<()> {
            match response.status {
                200 => Ok(()),
                404 => Err(RegistryError::NotAChart {
                    reference,
                    reason: missing.to_string(),
                }
                .into()),
                _ => Err(self.error(url, response)),
            }
        }

        /// Checks the registry answers the distribution API (`GET /v2/`) with these credentials.
        pub fn ping(&mut self) -> Result<()> {
            let response = self.send("GET", "/v2/", None, Body::None, "", MAX_SMALL_BYTES)?;
            if response.status == 200 {
                Ok(())
            } else {
                Err(self.error(&self.url("/v2/"), &response))
            }
        }

        /// The tags of `repository`, following `Link` pagination.
        pub fn tags(&mut self, repository: &str) -> Result<Vec<String>> {
            #[derive(Deserialize)]
            struct TagList {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            let scope = format!("repository:{repository}:pull");
            let mut next = Some(format!("/v2/{repository}/tags/list"));
            let mut tags = Vec::new();
            let mut pages = 0;
            while let Some(path) = next.take() {
                pages += 1;
                if pages > MAX_TAG_PAGES {
                    break;
                }
                let response =
                    self.send("GET", &path, None, Body::None, &scope, MAX_SMALL_BYTES)?;
                self.expect_found(
                    &response,
                    &self.url(&path),
                    format!("{}/{repository}", self.registry),
                    "no such repository in the registry",
                )?;
                let list: TagList = serde_json::from_slice(&response.body).map_err(|e| {
                    Error::from(RegistryError::Registry {
                        url: self.url(&path),
                        status: response.status,
                        reason: format!("invalid tag list: {e}"),
                    })
                })?;
                tags.extend(list.tags.unwrap_or_default());
                // Link: </v2/…/tags/list?n=…&last=…>; rel="next"
                next = response.link.as_deref().and_then(|l| {
                    let start = l.find('<')? + 1;
                    let end = l[start..].find('>')? + start;
                    Some(l[start..end].to_string())
                });
            }
            Ok(tags)
        }

        /// Fetches and verifies a manifest; returns it with its digest.
        pub fn manifest(
            &mut self,
            repository: &str,
            reference: &str,
        ) -> Result<(Manifest, String)> {
            let scope = format!("repository:{repository}:pull");
            let path = format!("/v2/{repository}/manifests/{reference}");
            let url = self.url(&path);
            let response = self.send(
                "GET",
                &path,
                Some(MANIFEST_MEDIA_TYPE),
                Body::None,
                &scope,
                MAX_MANIFEST_BYTES,
            )?;
            self.expect_found(
                &response,
                &url,
                format!("{}/{repository}:{reference}", self.registry),
                "not found in the registry",
            )?;
            let digest = digest_of(&response.body);
            if reference.starts_with("sha256:") {
                verify(&url, &response.body, reference)?;
            }
            if let Some(d) = &response.content_digest
                && d.starts_with("sha256:")
            {
                verify(&url, &response.body, d)?;
            }
            let manifest: Manifest = serde_json::from_slice(&response.body).map_err(|e| {
                Error::from(RegistryError::NotAChart {
                    reference: format!("{}/{repository}:{reference}", self.registry),
                    reason: format!("the manifest is not an OCI image manifest: {e}"),
                })
            })?;
            Ok((manifest, digest))
        }

        /// Fetches a blob of known digest and size, verified.
        pub fn blob(&mut self, repository: &str, descriptor: &Descriptor) -> Result<Vec<u8>> {
            let scope = format!("repository:{repository}:pull");
            let path = format!("/v2/{repository}/blobs/{}", descriptor.digest);
            let url = self.url(&path);
            let response = self.send("GET", &path, None, Body::None, &scope, descriptor.size)?;
            if response.status != 200 {
                return Err(self.error(&url, &response));
            }
            if response.body.len() as u64 != descriptor.size {
                return Err(RegistryError::NotAChart {
                    reference: url,
                    reason: format!(
                        "the blob is {} bytes, the manifest says {}",
                        response.body.len(),
                        descriptor.size
                    ),
                }
                .into());
            }
            verify(&url, &response.body, &descriptor.digest)?;
            Ok(response.body)
        }

        /// Uploads a blob unless the registry has it already (monolithic upload: POST, PUT).
        pub fn upload(&mut self, repository: &str, bytes: &[u8]) -> Result<String> {
            let scope = format!("repository:{repository}:pull,push");
            let digest = digest_of(bytes);
            let head = format!("/v2/{repository}/blobs/{digest}");
            let exists = self.send("HEAD", &head, None, Body::None, &scope, 0)?;
            if exists.status == 200 {
                return Ok(digest);
            }
            let start = format!("/v2/{repository}/blobs/uploads/");
            let response = self.send(
                "POST",
                &start,
                None,
                Body::Bytes(&[], "application/octet-stream"),
                &scope,
                MAX_SMALL_BYTES,
            )?;
            if response.status != 202 {
                return Err(self.error(&self.url(&start), &response));
            }
            let location = response.location.clone().ok_or_else(|| {
                Error::from(RegistryError::Registry {
                    url: self.url(&start),
                    status: response.status,
                    reason: "the upload was accepted without a Location".into(),
                })
            })?;
            let location = if location.starts_with("http://") || location.starts_with("https://") {
                location
            } else {
                self.url(&location)
            };
            let sep = if location.contains('?') { '&' } else { '?' };
            let put = format!("{location}{sep}digest={}", query_escape(&digest));
            let response = self.send(
                "PUT",
                &put,
                None,
                Body::Bytes(bytes, "application/octet-stream"),
                &scope,
                MAX_SMALL_BYTES,
            )?;
            if response.status != 201 {
                return Err(self.error(&location, &response));
            }
            Ok(digest)
        }

        /// Uploads a manifest under `tag`; returns its digest.
        pub fn put_manifest(
            &mut self,
            repository: &str,
            tag: &str,
            manifest: &[u8],
        ) -> Result<String> {
            let scope = format!("repository:{repository}:pull,push");
            let path = format!("/v2/{repository}/manifests/{tag}");
            let response = self.send(
                "PUT",
                &path,
                None,
                Body::Bytes(manifest, MANIFEST_MEDIA_TYPE),
                &scope,
                MAX_SMALL_BYTES,
            )?;
            if response.status != 201 {
                return Err(self.error(&self.url(&path), &response));
            }
            let digest = digest_of(manifest);
            if let Some(d) = &response.content_digest
                && d != &digest
            {
                return Err(RegistryError::DigestMismatch {
                    what: self.url(&path),
                    expected: digest,
                    actual: d.clone(),
                }
                .into());
            }
            Ok(digest)
        }
    }

    /// `registry login HOST`: checks the credentials against the registry, then saves them.
    pub fn login(settings: &RepoSettings, registry: &str, credentials: &Credentials) -> Result<()> {
        Reference::parse(&format!("oci://{registry}/x"))?;
        let mut client = Client::new(settings, registry, Some(credentials.clone()))?;
        client.ping()?;
        let mut config = RegistryConfig::load(settings)?;
        config.set(registry, credentials);
        config.save(settings)
    }

    /// `registry logout HOST`: forgets the saved credentials.
    pub fn logout(settings: &RepoSettings, registry: &str) -> Result<()> {
        let mut config = RegistryConfig::load(settings)?;
        if config.auths.remove(registry).is_none() {
            return Err(RegistryError::Unauthorized {
                registry: registry.to_string(),
                reason: "not logged in".into(),
            }
            .into());
        }
        config.save(settings)
    }

    /// `push PKG oci://HOST/PATH`: uploads the chart archive as `HOST/PATH/NAME:VERSION` (the
    /// reference names a namespace, not a tag, as with Helm). `created` is the RFC 3339 time of
    /// the `org.opencontainers.image.created` annotation.
    pub fn push(
        settings: &RepoSettings,
        archive_path: &Path,
        remote: &str,
        created: &str,
    ) -> Result<Pushed> {
        let reference = Reference::parse(remote)?;
        if reference.tag.is_some() || reference.digest.is_some() {
            return Err(RegistryError::InvalidReference {
                reference: remote.to_string(),
                reason: "push takes a namespace (oci://HOST/PATH); the chart's name and version make the repository and tag".into(),
            }
            .into());
        }
        let bytes = std::fs::read(archive_path).map_err(|e| Error::io(archive_path, e))?;
        let artifact = artifact(&bytes, &archive_path.display().to_string(), created)?;
        let repository = format!("{}/{}", reference.repository, artifact.metadata.name);
        if !valid_repository(&repository) {
            return Err(RegistryError::InvalidReference {
                reference: format!("{}/{repository}", reference.registry),
                reason: "the chart name is not a valid repository component (lower case, digits, `.`, `_`, `-`)".into(),
            }
            .into());
        }
        let tag = version_to_tag(&artifact.metadata.version);
        let mut client = Client::new(settings, &reference.registry, None)?;
        client.upload(&repository, &artifact.config)?;
        client.upload(&repository, &bytes)?;
        let digest = client.put_manifest(&repository, &tag, &artifact.manifest)?;
        Ok(Pushed {
            reference: format!("{}/{repository}:{tag}", reference.registry),
            digest,
        })
    }

    /// Resolves an `oci://` reference (tag, digest or `range`, else the newest stable tag),
    /// downloads the manifest and chart layer, verifies both, and checks the archive is the chart
    /// it claims to be.
    pub fn fetch(settings: &RepoSettings, reference: &str, range: Option<&str>) -> Result<Fetched> {
        let parsed = Reference::parse(reference)?;
        let mut client = Client::new(settings, &parsed.registry, None)?;
        let wanted = match (&parsed.digest, &parsed.tag, range) {
            (Some(d), _, _) => d.clone(),
            (None, Some(t), None) => t.clone(),
            (None, Some(t), Some(r)) => {
                if crate::constraint::parse_version(r)
                    .is_ok_and(|v| version_to_tag(&v.to_string()) == *t)
                {
                    t.clone()
                } else {
                    return Err(RegistryError::InvalidReference {
                        reference: reference.to_string(),
                        reason: format!("the tag `{t}` and --version `{r}` disagree"),
                    }
                    .into());
                }
            }
            (None, None, Some(r)) if crate::constraint::parse_version(r).is_ok() => {
                version_to_tag(r.trim_start_matches('v'))
            }
            (None, None, range) => {
                let tags = client.tags(&parsed.repository)?;
                pick_tag(&tags, range, &parsed.display())?
            }
        };
        let (manifest, digest) = client.manifest(&parsed.repository, &wanted)?;
        let layer = chart_layer(
            &manifest,
            &parsed.display(),
            crate::repositories::MAX_ARCHIVE_BYTES,
        )?;
        let bytes = client.blob(&parsed.repository, &layer)?;
        let source = format!("{}/{}@{digest}", parsed.registry, parsed.repository);
        let chart = crate::chart::loader::load_archive(
            &bytes,
            &source,
            &crate::chart::loader::LoadOptions::default(),
        )?;
        let not_it = |reason: String| -> Error {
            RegistryError::NotAChart {
                reference: parsed.display(),
                reason,
            }
            .into()
        };
        if chart.name() != parsed.chart_name() {
            return Err(not_it(format!(
                "the archive holds chart `{}`, not `{}`",
                chart.name(),
                parsed.chart_name()
            )));
        }
        if !wanted.starts_with("sha256:") && version_to_tag(&chart.metadata.version) != wanted {
            return Err(not_it(format!(
                "the archive holds version {}, the tag is {wanted}",
                chart.metadata.version
            )));
        }
        Ok(Fetched {
            file_name: format!("{}-{}.tgz", chart.name(), chart.metadata.version),
            version: chart.metadata.version.clone(),
            bytes,
            digest,
            chart,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_bad_ones_are_refused() {
        let r = Reference::parse("oci://127.0.0.1:5000/charts/redis:1.2.3").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "charts/redis");
        assert_eq!(r.tag.as_deref(), Some("1.2.3"));
        assert_eq!(r.chart_name(), "redis");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("oci://ghcr.io/org/app@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag, None);
        assert_eq!(Reference::parse("oci://h/a/b").unwrap().display(), "h/a/b");
        for bad in [
            "https://h/a",
            "oci://h",
            "oci:///a",
            "oci://h/A",
            "oci://h/a//b",
            "oci://h/a/../b",
            "oci://h/-a",
            "oci://h/a:",
            "oci://h/a:-x",
            "oci://h/a@sha256:zz",
            "oci://h o/a",
            "oci://h/a__-b",
        ] {
            let err = Reference::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert!(Reference::parse("oci://h/a__b/c-d/e---f.g_h").is_ok());
        assert!(Reference::parse(&format!("oci://h/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn creation_times() {
        assert_eq!(
            created_timestamp(Some("1700000000")).unwrap(),
            "2023-11-14T22:13:20Z"
        );
        assert!(created_timestamp(Some("x")).is_err());
        assert!(created_timestamp(None).unwrap().ends_with('Z'));
    }

    #[test]
    fn versions_and_tags() {
        assert_eq!(version_to_tag("1.0.0+build.1"), "1.0.0_build.1");
        assert_eq!(tag_to_version("1.0.0_build.1"), "1.0.0+build.1");
        let tags: Vec<String> = ["1.0.0", "1.2.0", "2.0.0-rc.1", "latest", "1.10.0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(pick_tag(&tags, None, "r").unwrap(), "1.10.0");
        assert_eq!(pick_tag(&tags, Some("~1.2"), "r").unwrap(), "1.2.0");
        assert_eq!(
            pick_tag(&tags, Some(">=2.0.0-0"), "r").unwrap(),
            "2.0.0-rc.1"
        );
        let err = pick_tag(&tags, Some(">3"), "r").unwrap_err().to_string();
        assert!(err.contains(">3") && err.contains("latest"), "{err}");
    }

    #[test]
    fn config_json_matches_helm_for_the_starter_chart() {
        // `helm push` of `helm create hc` stored exactly this config blob.
        let yaml = "apiVersion: v2\nname: hc\ndescription: A Helm chart for Kubernetes\ntype: application\nversion: 0.1.0\nappVersion: \"1.16.0\"\n";
        let m = Metadata::from_yaml(yaml, "Chart.yaml").unwrap();
        let config = String::from_utf8(config_json(&m)).unwrap();
        assert_eq!(
            config,
            r#"{"name":"hc","version":"0.1.0","description":"A Helm chart for Kubernetes","apiVersion":"v2","appVersion":"1.16.0","type":"application"}"#
        );
        assert_eq!(
            digest_of(config.as_bytes()),
            "sha256:0d60cd0533e049ce2fe7935916d21c5a65e3e9376164135fff8a810f0d55f95a"
        );
        let a = annotations(&m, "2026-11-23T15:22:09Z");
        assert_eq!(a.len(), 4);
        assert_eq!(a["org.opencontainers.image.title"], "hc");
    }

    #[test]
    fn manifests_that_are_not_charts_are_refused() {
        let layer = Descriptor {
            media_type: CHART_LAYER_MEDIA_TYPE.into(),
            digest: format!("sha256:{}", "b".repeat(64)),
            size: 10,
            annotations: BTreeMap::new(),
        };
        let mut m = Manifest {
            schema_version: 2,
            media_type: String::new(),
            config: Descriptor {
                media_type: "application/vnd.oci.image.config.v1+json".into(),
                ..layer.clone()
            },
            layers: vec![layer.clone()],
            annotations: BTreeMap::new(),
        };
        assert!(
            chart_layer(&m, "r", 100)
                .unwrap_err()
                .to_string()
                .contains("not a Helm chart")
        );
        m.config.media_type = CONFIG_MEDIA_TYPE.into();
        assert_eq!(chart_layer(&m, "r", 100).unwrap(), layer);
        assert!(
            chart_layer(&m, "r", 5)
                .unwrap_err()
                .to_string()
                .contains("limit")
        );
        m.layers.push(layer.clone());
        assert!(chart_layer(&m, "r", 100).is_err());
        m.layers.clear();
        assert!(chart_layer(&m, "r", 100).is_err());
        m.layers.push(Descriptor {
            digest: "md5:x".into(),
            ..layer
        });
        assert!(chart_layer(&m, "r", 100).is_err());
    }

    #[test]
    fn challenges_parse_with_quoted_commas() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "registry.example");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (scheme, p) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!(scheme, "basic");
        assert_eq!(p["realm"], "basic-realm");
        assert_eq!(
            query_escape("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }

    #[test]
    fn credentials_round_trip_and_are_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let settings = RepoSettings {
            config_dir: dir.path().join("c"),
            cache_dir: dir.path().join("k"),
            plain_http: false,
            tls: Default::default(),
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
