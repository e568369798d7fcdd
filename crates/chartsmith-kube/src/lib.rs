//! chartsmith's Kubernetes backend: the [`chartsmith::cluster::Target`] of a real API server
//! (server-side apply, deletion, readiness, CRDs, discovery, `lookup`) and Helm's `secret` and
//! `configmap` release drivers ([`chartsmith::storage::Driver`]), so that `helm` and `chartsmith`
//! see each other's releases.
//!
//! The library's traits are synchronous; this crate owns a small tokio runtime and blocks on it.
//! [`Backend::connect`] resolves the cluster as kubectl does: `--kubeconfig` (else `KUBECONFIG`,
//! else `~/.kube/config`, else the in-cluster service account), `--kube-context` (else the current
//! context), and the release namespace defaults to the context's.

mod diagnose;
mod discovery;
mod records;
mod target;
pub mod wait;

use std::path::PathBuf;
use std::sync::Arc;

use chartsmith::cluster::Target;
use chartsmith::storage::Driver;

pub use records::RecordDriver;
pub use target::KubeTarget;

/// Which kind of object holds release records (Helm's `HELM_DRIVER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordKind {
    /// Secrets `sh.helm.release.v1.NAME.vN` of type `helm.sh/release.v1` (Helm's default).
    #[default]
    Secret,
    /// ConfigMaps of the same name and labels.
    ConfigMap,
}

/// How to reach the cluster.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// A kubeconfig file (`--kubeconfig`); `None`: `KUBECONFIG`, `~/.kube/config`, in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig (`--kube-context`); `None`: its current context.
    pub context: Option<String>,
    /// Where release records are kept.
    pub driver: RecordKind,
}

/// Why the backend could not connect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KubeError {
    /// The kubeconfig could not be read or does not name a usable cluster.
    #[error("kubeconfig{}: {source}", path.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default())]
    Kubeconfig {
        /// The file, when one was named.
        path: Option<PathBuf>,
        /// What was wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The client could not be built (TLS material, URL).
    #[error("cannot create a Kubernetes client for {server}: {source}")]
    Client {
        /// The API server URL.
        server: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the Kubernetes client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Runs futures for the synchronous traits.
#[derive(Clone)]
pub(crate) struct Runtime(Arc<tokio::runtime::Runtime>);

impl Runtime {
    fn new() -> Result<Runtime, KubeError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(KubeError::Runtime)?;
        Ok(Runtime(Arc::new(rt)))
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}

/// A connected cluster: the target for resources and the release store.
pub struct Backend {
    target: KubeTarget,
    records: RecordDriver,
    namespace: String,
}

impl Backend {
    /// Connects to the cluster of the kubeconfig (nothing is requested until the first call).
    pub fn connect(options: &ConnectOptions) -> Result<Backend, KubeError> {
        let rt = Runtime::new()?;
        let (config, context) = rt.block_on(load_config(options))?;
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        let namespace = config.default_namespace.clone();
        // The client spawns its connection worker on the runtime it is created in.
        let _entered = rt.0.enter();
        let client = kube::Client::try_from(config).map_err(|source| KubeError::Client {
            server: server.clone(),
            source,
        })?;
        let describe = match context {
            Some(context) => format!("cluster {server} (context {context})"),
            None => format!("cluster {server}"),
        };
        Ok(Backend {
            target: KubeTarget::new(client.clone(), rt.clone(), describe),
            records: RecordDriver::new(client, rt, options.driver),
            namespace,
        })
    }

    /// The release store.
    pub fn storage(&self) -> &dyn Driver {
        &self.records
    }

    /// The target for resources.
    pub fn target(&self) -> &dyn Target {
        &self.target
    }

    /// The namespace of the kubeconfig context (`default` when it names none).
    pub fn default_namespace(&self) -> &str {
        &self.namespace
    }
}

async fn load_config(
    options: &ConnectOptions,
) -> Result<(kube::Config, Option<String>), KubeError> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let err = |path: Option<PathBuf>| {
        move |e: Box<dyn std::error::Error + Send + Sync>| KubeError::Kubeconfig { path, source: e }
    };
    // As kubectl: a named file, else $KUBECONFIG (a list of files), else ~/.kube/config; only
    // when none of those exists, the in-cluster service account. A file that exists but cannot
    // be read is an error, never a silent fallback to another cluster.
    let (kubeconfig, path) = match &options.kubeconfig {
        Some(path) => (
            Some(Kubeconfig::read_from(path).map_err(|e| err(Some(path.clone()))(Box::new(e)))?),
            Some(path.clone()),
        ),
        None if kubeconfig_present() => (
            Some(Kubeconfig::read().map_err(|e| err(None)(Box::new(e)))?),
            None,
        ),
        None => (None, None),
    };
    let context = options
        .context
        .clone()
        .or_else(|| kubeconfig.as_ref().and_then(|k| k.current_context.clone()));
    let mut config = match kubeconfig {
        Some(k) => kube::Config::from_custom_kubeconfig(k, &kube_options)
            .await
            .map_err(|e| err(path.clone())(Box::new(e)))?,
        None => kube::Config::incluster().map_err(|e| {
            err(None)(
                format!("no kubeconfig ($KUBECONFIG, ~/.kube/config) and not in a cluster: {e}")
                    .into(),
            )
        })?,
    };
    // A request never hangs for ever on a dead server, and an unavailable API (an aggregated
    // API whose service is down answers 503) fails at once instead of being retried for minutes.
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    config.default_retry = false;
    Ok((config, context))
}

/// Whether `$KUBECONFIG` names a file or `~/.kube/config` exists.
fn kubeconfig_present() -> bool {
    if let Some(paths) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&paths).any(|p| !p.as_os_str().is_empty());
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .is_some_and(|home| home.join(".kube/config").exists())
}

/// The text of a kube error without its Debug noise: the API server's message for API errors.
pub(crate) fn message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            if status.message.is_empty() {
                format!("{} ({})", status.reason, status.code)
            } else {
                status.message.clone()
            }
        }
        other => other.to_string(),
    }
}

/// The cause kept with an API server's refusal (the source of `ClusterError::Api` and
/// `StorageError::Backend`): its status, shown as its message. Embedders downcast to it for the
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiStatus {
    /// HTTP status code (`422`).
    pub code: u16,
    /// Machine-readable reason (`Invalid`, `AlreadyExists`).
    pub reason: String,
    /// The server's message.
    pub message: String,
}

impl std::fmt::Display for ApiStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiStatus {}

/// The boxed cause of a kube error: the server's status for API errors, else the error itself.
pub(crate) fn cause(error: kube::Error) -> Box<dyn std::error::Error + Send + Sync> {
    match error {
        kube::Error::Api(status) => Box::new(ApiStatus {
            code: status.code,
            reason: status.reason.clone(),
            message: message(&kube::Error::Api(status)),
        }),
        other => Box::new(other),
    }
}

/// Maps a kube error about `resource` to the cluster error: the API's 404 is `NotFound`, the
/// rest `Api` with the server's status kept as the source.
pub(crate) fn api_error(
    resource: impl std::fmt::Display,
) -> impl FnOnce(kube::Error) -> chartsmith::cluster::ClusterError {
    move |e| {
        if is_not_found(&e) {
            return chartsmith::cluster::ClusterError::NotFound {
                resource: resource.to_string(),
                message: message(&e),
            };
        }
        chartsmith::cluster::ClusterError::Api {
            resource: resource.to_string(),
            message: message(&e),
            source: Some(crate::cause(e)),
        }
    }
}

/// Whether a kube error is the API's 404.
pub(crate) fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}
