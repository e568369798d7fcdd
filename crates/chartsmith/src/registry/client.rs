//! The HTTP side of the registry (with the `http` feature): a [`Client`] session per registry
//! that answers authentication challenges, and the verbs built on it: `push`, `fetch` (pull),
//! `registry login|logout`, tags.
//!
//! May import: the other registry files, `downloader::http` (the HTTP agent), `chart` (the
//! loader), `constraint`, `repo`.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::repo::RepoError;
use crate::repo::RepoSettings;
use crate::util::digest::digest_of;
use crate::util::fs::IoError;

use super::artifact::{
    Descriptor, Fetched, MANIFEST_MEDIA_TYPE, Manifest, Pushed, artifact, chart_layer, verify,
};
use super::auth::{Challenged, authorization, query_escape};
use super::credentials::{Credentials, RegistryConfig};
use super::error::RegistryError;
use super::reference::{Reference, pick_tag, valid_repository, version_to_tag};

/// The largest manifest read (the distribution spec suggests 4 MiB).
const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// The largest config blob, tags page, token or error body read.
const MAX_SMALL_BYTES: u64 = 1 << 20;
/// At most this many tag pages are followed.
const MAX_TAG_PAGES: usize = 100;

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
    ) -> Result<Client, RegistryError> {
        let credentials = match credentials {
            Some(c) => Some(c),
            None => RegistryConfig::load(settings)?.credentials(registry),
        };
        let agent = crate::downloader::http::agent(&settings.tls, false, Duration::from_secs(300))?;
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

    fn unreachable(url: &str, reason: String) -> RegistryError {
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
    ) -> Result<Response, RegistryError> {
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
            let mut reason = crate::downloader::http::transport_reason(&e);
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
    ) -> Result<Response, RegistryError> {
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

    fn unauthorized(&self, reason: String) -> RegistryError {
        RegistryError::Unauthorized {
            registry: self.registry.clone(),
            reason,
        }
    }

    /// Sets the authorization from a `WWW-Authenticate` challenge.
    fn authorize(&mut self, challenge: &str, scope: &str) -> Result<(), RegistryError> {
        let from = Challenged {
            registry: &self.registry,
            tls: self.scheme == "https",
            credentials: self.credentials.as_ref(),
        };
        let answer = authorization(challenge, scope, &from, |token_url, basic| {
            let response =
                self.once("GET", token_url, None, &Body::None, MAX_SMALL_BYTES, basic)?;
            Ok((response.status, response.body))
        })?;
        self.authorization = Some(answer);
        Ok(())
    }

    fn error(&self, url: &str, response: &Response) -> RegistryError {
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
    }

    /// A 200 answer is fine; a 404 is `missing` about `reference`; anything else is the
    /// registry's error.
    fn expect_found(
        &self,
        response: &Response,
        url: &str,
        reference: String,
        missing: &str,
    ) -> Result<(), RegistryError> {
        match response.status {
            200 => Ok(()),
            404 => Err(RegistryError::NotAChart {
                reference,
                reason: missing.to_string(),
            }),
            _ => Err(self.error(url, response)),
        }
    }

    /// Checks the registry answers the distribution API (`GET /v2/`) with these credentials.
    pub fn ping(&mut self) -> Result<(), RegistryError> {
        let response = self.send("GET", "/v2/", None, Body::None, "", MAX_SMALL_BYTES)?;
        if response.status == 200 {
            Ok(())
        } else {
            Err(self.error(&self.url("/v2/"), &response))
        }
    }

    /// The tags of `repository`, following `Link` pagination.
    pub fn tags(&mut self, repository: &str) -> Result<Vec<String>, RegistryError> {
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
            let response = self.send("GET", &path, None, Body::None, &scope, MAX_SMALL_BYTES)?;
            self.expect_found(
                &response,
                &self.url(&path),
                format!("{}/{repository}", self.registry),
                "no such repository in the registry",
            )?;
            let list: TagList =
                serde_json::from_slice(&response.body).map_err(|e| RegistryError::Registry {
                    url: self.url(&path),
                    status: response.status,
                    reason: format!("invalid tag list: {e}"),
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
    ) -> Result<(Manifest, String), RegistryError> {
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
        let manifest: Manifest =
            serde_json::from_slice(&response.body).map_err(|e| RegistryError::NotAChart {
                reference: format!("{}/{repository}:{reference}", self.registry),
                reason: format!("the manifest is not an OCI image manifest: {e}"),
            })?;
        Ok((manifest, digest))
    }

    /// Fetches a blob of known digest and size, verified.
    pub fn blob(
        &mut self,
        repository: &str,
        descriptor: &Descriptor,
    ) -> Result<Vec<u8>, RegistryError> {
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
            });
        }
        verify(&url, &response.body, &descriptor.digest)?;
        Ok(response.body)
    }

    /// Uploads a blob unless the registry has it already (monolithic upload: POST, PUT).
    pub fn upload(&mut self, repository: &str, bytes: &[u8]) -> Result<String, RegistryError> {
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
        let location = response
            .location
            .clone()
            .ok_or_else(|| RegistryError::Registry {
                url: self.url(&start),
                status: response.status,
                reason: "the upload was accepted without a Location".into(),
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
    ) -> Result<String, RegistryError> {
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
            });
        }
        Ok(digest)
    }
}

/// `registry login HOST`: checks the credentials against the registry, then saves them.
pub fn login(
    settings: &RepoSettings,
    registry: &str,
    credentials: &Credentials,
) -> Result<(), RegistryError> {
    Reference::parse(&format!("oci://{registry}/x"))?;
    let mut client = Client::new(settings, registry, Some(credentials.clone()))?;
    client.ping()?;
    let mut config = RegistryConfig::load(settings)?;
    config.set(registry, credentials);
    config.save(settings)
}

/// `registry logout HOST`: forgets the saved credentials.
pub fn logout(settings: &RepoSettings, registry: &str) -> Result<(), RegistryError> {
    let mut config = RegistryConfig::load(settings)?;
    if config.auths.remove(registry).is_none() {
        return Err(RegistryError::Unauthorized {
            registry: registry.to_string(),
            reason: "not logged in".into(),
        });
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
) -> Result<Pushed, RegistryError> {
    let reference = Reference::parse(remote)?;
    if reference.tag.is_some() || reference.digest.is_some() {
        return Err(RegistryError::InvalidReference {
            reference: remote.to_string(),
            reason: "push takes a namespace (oci://HOST/PATH); the chart's name and version make the repository and tag".into(),
        });
    }
    let bytes = std::fs::read(archive_path).map_err(|e| IoError::new(archive_path, e))?;
    let artifact = artifact(&bytes, &archive_path.display().to_string(), created)?;
    let repository = format!("{}/{}", reference.repository, artifact.metadata.name);
    if !valid_repository(&repository) {
        return Err(RegistryError::InvalidReference {
            reference: format!("{}/{repository}", reference.registry),
            reason: "the chart name is not a valid repository component (lower case, digits, `.`, `_`, `-`)".into(),
        });
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
pub fn fetch(
    settings: &RepoSettings,
    reference: &str,
    range: Option<&str>,
) -> Result<Fetched, RegistryError> {
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
                });
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
        crate::downloader::MAX_ARCHIVE_BYTES,
    )?;
    let bytes = client.blob(&parsed.repository, &layer)?;
    let source = format!("{}/{}@{digest}", parsed.registry, parsed.repository);
    let chart = crate::chart::loader::load_archive(
        &bytes,
        &source,
        &crate::chart::loader::LoadOptions::default(),
    )?;
    let not_it = |reason: String| -> RegistryError {
        RegistryError::NotAChart {
            reference: parsed.display(),
            reason,
        }
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
