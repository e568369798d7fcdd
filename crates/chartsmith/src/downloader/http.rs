//! The HTTP client of chartsmith (with the `http` feature): one [`ureq`] agent per process and
//! TLS setting, bounded downloads, and the messages for refused credentials and untrusted
//! certificates. Without the feature every request is an error saying HTTP support is not built in.
//!
//! May import: `repo`'s error (an unreachable repository), `util`.

#[cfg(feature = "http")]
use std::path::Path;
use std::path::PathBuf;

use crate::repo::RepoError;
#[cfg(feature = "http")]
use crate::util::fs::IoError;

/// Largest chart archive downloaded (100 MiB, the loader's default total size).
pub const MAX_ARCHIVE_BYTES: u64 = 100 << 20;

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

/// The HTTP client for `tls`: rustls, bounded connect and overall time, `Authorization` never
/// carried across a redirect. With `statuses_as_errors` a 4xx/5xx answer is an error.
#[cfg(feature = "http")]
pub(crate) fn agent(
    tls: &TlsOptions,
    statuses_as_errors: bool,
    timeout: std::time::Duration,
) -> Result<ureq::Agent, RepoError> {
    use ureq::tls::{ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let invalid = |file: &Path, what: &str| -> RepoError {
        IoError::new(
            file,
            std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
        )
        .into()
    };
    let certificates =
        |file: &Path, what: &str| -> Result<Vec<ureq::tls::Certificate<'static>>, RepoError> {
            let pem = std::fs::read(file).map_err(|e| IoError::new(file, e))?;
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
            let pem = std::fs::read(key).map_err(|e| IoError::new(key, e))?;
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
fn shared_agent(tls: &TlsOptions) -> Result<ureq::Agent, RepoError> {
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
) -> Result<Vec<u8>, RepoError> {
    let unreachable = |reason: String| -> RepoError {
        RepoError::Unreachable {
            url: url.to_string(),
            reason,
        }
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
) -> Result<Vec<u8>, RepoError> {
    Err(RepoError::NoHttp {
        url: url.to_string(),
    })
}
