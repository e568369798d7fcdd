//! Command-line arguments. Flags carry Helm's names wherever Helm has the same flag.
//!
//! This file holds the command line ([`Cli`], [`Command`]), the flags several verbs share and the
//! arguments of the chart verbs; [`release`] those of the release verbs. The arguments import
//! only the library (to map flags to its options), never the code that runs the verbs.

pub mod release;
pub mod usage;

use std::path::PathBuf;
use std::sync::OnceLock;

use chartsmith::values::ValueOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// chartsmith: a Helm-compatible chart renderer and packager with Tera templates.
#[derive(Debug, Parser)]
#[command(name = "chartsmith", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The flags every verb accepts.
    #[command(flatten)]
    pub global: GlobalFlags,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Helm's global flags, accepted before or after any verb; a verb with no use for one ignores
/// it, as Helm does.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalFlags {
    /// The namespace (default: the kubeconfig context's with a cluster driver, else `default`).
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        env = "CHARTSMITH_NAMESPACE",
        global = true
    )]
    pub namespace: Option<String>,
    /// Print diagnostic detail on standard error: the target and driver used, every cause of
    /// an error.
    #[arg(long = "debug", env = "CHARTSMITH_DEBUG", global = true)]
    pub debug: bool,
    /// The repositories file (default: `CONFIG_DIR/repositories.yaml`).
    #[arg(
        long = "repository-config",
        value_name = "FILE",
        env = "CHARTSMITH_REPOSITORY_CONFIG",
        global = true
    )]
    pub repository_config: Option<PathBuf>,
    /// The directory of the cached repository indexes (default: `CACHE_DIR/repository`).
    #[arg(
        long = "repository-cache",
        value_name = "DIR",
        env = "CHARTSMITH_REPOSITORY_CACHE",
        global = true
    )]
    pub repository_cache: Option<PathBuf>,
    /// The registry credentials file (default: `CONFIG_DIR/registry/config.json`).
    #[arg(
        long = "registry-config",
        value_name = "FILE",
        env = "CHARTSMITH_REGISTRY_CONFIG",
        global = true
    )]
    pub registry_config: Option<PathBuf>,
    /// Where releases live.
    #[command(flatten)]
    pub target: release::TargetFlags,
}

static GLOBALS: OnceLock<GlobalFlags> = OnceLock::new();

impl GlobalFlags {
    /// Makes these the flags [`globals`] returns; called once, before a verb runs.
    pub fn install(self) {
        let _ = GLOBALS.set(self);
    }

    /// The repository settings of the environment with the `--repository-*` and
    /// `--registry-config` flags.
    pub fn repo_settings(&self) -> chartsmith::repo::RepoSettings {
        chartsmith::repo::RepoSettings {
            repository_config: self.repository_config.clone(),
            repository_cache: self.repository_cache.clone(),
            registry_config: self.registry_config.clone(),
            ..chartsmith::repo::RepoSettings::from_env()
        }
    }
}

/// The global flags of this run (the defaults before [`GlobalFlags::install`]).
pub fn globals() -> &'static GlobalFlags {
    GLOBALS.get_or_init(GlobalFlags::default)
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart's templates locally and print the manifests, as `helm template` does.
    #[command(disable_version_flag = true)]
    Template(TemplateArgs),
    /// Print the computed values that the chart's templates see.
    #[command(disable_version_flag = true)]
    Values(ValuesArgs),
    /// Show information about a chart.
    #[command(disable_version_flag = true, visible_alias = "inspect")]
    Show(ShowArgs),
    /// Create a new chart directory with a starter chart.
    Create(CreateArgs),
    /// Package chart directories into reproducible, versioned chart archives.
    #[command(disable_version_flag = true)]
    Package(PackageArgs),
    /// Work with chart repositories.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Search the charts of the added repositories (their cached indexes).
    #[command(subcommand, disable_version_flag = true)]
    Search(SearchCommand),
    /// Manage a chart's dependencies (list, update, build from Chart.lock).
    #[command(subcommand, visible_alias = "dep")]
    Dependency(DependencyCommand),
    /// Download a chart from a repository (`REPO/CHART`), an OCI registry (`oci://…`) or a URL
    /// (`https://…/NAME-VERSION.tgz`), checking it before anything is written.
    #[command(disable_version_flag = true, visible_alias = "fetch")]
    Pull(PullArgs),
    /// Upload a chart archive to an OCI registry (`oci://HOST/PATH`).
    Push(PushArgs),
    /// Log in to or out of an OCI registry.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Render charts and check the manifests with cross-resource rules.
    #[command(disable_version_flag = true)]
    Lint(LintArgs),
    /// Install a chart as a new release (in the state directory, or the cluster with --driver).
    #[command(disable_version_flag = true)]
    Install(release::InstallArgs),
    /// Upgrade a release to a new chart or new values.
    #[command(disable_version_flag = true)]
    Upgrade(release::UpgradeArgs),
    /// Roll a release back to an earlier revision.
    Rollback(release::RollbackArgs),
    /// Uninstall releases.
    #[command(visible_aliases = ["un", "delete"])]
    Uninstall(release::UninstallArgs),
    /// Run a release's tests (its `helm.sh/hook: test` Pods and Jobs).
    Test(release::TestArgs),
    /// List releases.
    #[command(visible_alias = "ls")]
    List(release::ListArgs),
    /// Show a release's revisions.
    #[command(visible_alias = "hist")]
    History(release::HistoryArgs),
    /// Show a release's status.
    Status(release::StatusArgs),
    /// Print a release's manifest, values, notes or hooks.
    Get(release::GetArgs),
    /// Show what an upgrade or rollback would change, resource by resource.
    #[command(subcommand, disable_version_flag = true)]
    Diff(release::DiffCommand),
    /// Print chartsmith's version.
    #[command(disable_version_flag = true)]
    Version(VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    #[command(disable_version_flag = true)]
    Completion(CompletionArgs),
    /// Print chartsmith's settings: state directory, driver, repository and registry files,
    /// kubeconfig.
    #[command(disable_version_flag = true)]
    Env(EnvArgs),
}

/// `chartsmith version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print only the version number.
    #[arg(long = "short")]
    pub short: bool,
    /// Output format: Helm's `version.BuildInfo{…}` line (`table`), JSON or YAML.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// The shells `completion` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
}

/// `chartsmith completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `chartsmith env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Print only this setting's value (`CHARTSMITH_STATE_DIR`).
    pub name: Option<String>,
    /// Output format: `NAME="value"` lines (`table`), JSON or YAML.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// Output formats of the verbs that print a table or a summary by default (Helm's
/// `table|json|yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TableFormat {
    /// The text form: a table, or a summary.
    #[default]
    Table,
    /// JSON, for machines.
    Json,
    /// YAML.
    Yaml,
}

/// How OCI registries are reached, shared by every verb that may talk to one.
#[derive(Debug, Clone, Args, Default)]
pub struct RemoteFlags {
    /// Reach OCI registries over plain HTTP instead of HTTPS.
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// How registries' certificates are checked, and the client certificate.
    #[command(flatten)]
    pub tls: TlsFlags,
}

/// Helm's TLS flags: for OCI registries on every remote verb, recorded with the repository by
/// `repo add`.
#[derive(Debug, Clone, Args, Default)]
pub struct TlsFlags {
    /// Trust only the CA certificates of this PEM file.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Do not check the server's TLS certificate (the connection can be read and changed by
    /// anyone in between).
    #[arg(long = "insecure-skip-tls-verify")]
    pub insecure_skip_tls_verify: bool,
    /// A client certificate (PEM) for servers that require one (mTLS).
    #[arg(long = "cert-file", value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long = "key-file", value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
}

impl TlsFlags {
    /// The library's options, with every file as an absolute path (so that a recorded
    /// repository keeps working from any directory).
    pub fn options(&self) -> chartsmith::downloader::TlsOptions {
        let absolute =
            |f: &Option<PathBuf>| f.clone().map(|f| std::path::absolute(&f).unwrap_or(f));
        chartsmith::downloader::TlsOptions {
            ca_file: absolute(&self.ca_file),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            cert_file: absolute(&self.cert_file),
            key_file: absolute(&self.key_file),
        }
    }
}

impl RemoteFlags {
    /// The repository settings of the environment and the global flags with these flags.
    pub fn settings(&self) -> chartsmith::repo::RepoSettings {
        chartsmith::repo::RepoSettings {
            plain_http: self.plain_http,
            tls: self.tls.options(),
            ..globals().repo_settings()
        }
    }
}

/// The flags of a chart argument that may be remote (`REPO/CHART`, `oci://…`).
#[derive(Debug, Clone, Args, Default)]
pub struct ChartSource {
    /// The version range of a `REPO/CHART` or `oci://` chart (default: the newest release).
    #[arg(long = "version", value_name = "RANGE")]
    pub version: Option<String>,
    /// How OCI registries are reached.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

impl ChartSource {
    /// The library's options for resolving a chart argument with these flags
    /// ([`chartsmith::downloader::resolve_chart`]).
    pub fn options(&self) -> chartsmith::downloader::ResolveOptions<'static> {
        chartsmith::downloader::ResolveOptions {
            version: self.version.clone(),
            ..chartsmith::downloader::ResolveOptions::new(self.remote.settings())
        }
    }
}

/// Output formats for commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// YAML (or the command's text form).
    #[default]
    Yaml,
    /// JSON, for machines.
    Json,
}

/// The values flags, shared by every verb that computes values.
#[derive(Debug, Clone, Args, Default)]
pub struct ValueFlags {
    /// Values file(s), applied in order; later files win. May be repeated or comma-separated.
    #[arg(
        short = 'f',
        long = "values",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub values: Vec<PathBuf>,
    /// Set values (`a.b=c,d[0]=e`), with Helm's type inference.
    #[arg(long = "set", value_name = "EXPR")]
    pub set: Vec<String>,
    /// Set values as strings, without type inference.
    #[arg(long = "set-string", value_name = "EXPR")]
    pub set_string: Vec<String>,
    /// Set values from JSON (`a={"b":1}`).
    #[arg(long = "set-json", value_name = "EXPR")]
    pub set_json: Vec<String>,
    /// Set values from the contents of files (`key=path`).
    #[arg(long = "set-file", value_name = "EXPR")]
    pub set_file: Vec<String>,
    /// Set a literal string value: everything after the first `=` (no escaping, no commas).
    #[arg(long = "set-literal", value_name = "EXPR")]
    pub set_literal: Vec<String>,
}

impl ValueFlags {
    /// The library's options for these flags.
    pub fn to_options(&self) -> ValueOptions {
        ValueOptions {
            value_files: self.values.clone(),
            json_values: self.set_json.clone(),
            values: self.set.clone(),
            string_values: self.set_string.clone(),
            file_values: self.set_file.clone(),
            literal_values: self.set_literal.clone(),
        }
    }
}

/// The flags that shape rendering, shared by `template` and the release verbs (the release
/// namespace is the global `-n`).
#[derive(Debug, Clone, Args)]
pub struct RenderFlags {
    /// Kubernetes version for `Capabilities.KubeVersion` (default v1.35.0).
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for `Capabilities.APIVersions` (e.g. `monitoring.coreos.com/v1`).
    #[arg(short = 'a', long = "api-versions", value_name = "API")]
    pub api_versions: Vec<String>,
    /// Do not check values against the charts' values.schema.json.
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
}

impl RenderFlags {
    /// The capabilities `--kube-version` and `--api-versions` describe.
    pub fn capabilities(
        &self,
    ) -> Result<chartsmith::engine::Capabilities, chartsmith::engine::CapabilitiesError> {
        chartsmith::engine::Capabilities::new(self.kube_version.as_deref(), &self.api_versions)
    }

    /// Template options for a release named `name` rendered with these flags.
    pub fn template_options(
        &self,
        name: &str,
    ) -> chartsmith::Result<chartsmith::template::TemplateOptions> {
        Ok(chartsmith::template::TemplateOptions {
            release: chartsmith::engine::Release {
                name: name.to_string(),
                namespace: globals()
                    .namespace
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "default".to_string()),
                ..Default::default()
            },
            capabilities: self.capabilities()?,
            skip_schema_validation: self.skip_schema_validation,
            ..Default::default()
        })
    }
}

/// `chartsmith template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The release name, or the chart when it is the only argument (the release is then named
    /// `release-name`).
    #[arg(value_name = "NAME|CHART")]
    pub first: String,
    /// The chart: a directory, a .tgz archive, `REPO/CHART` of an added repository or
    /// `oci://HOST/PATH/NAME[:TAG]`.
    #[arg(value_name = "CHART")]
    pub chart: Option<String>,
    /// Where a remote chart comes from (`--version`, registry flags).
    #[command(flatten)]
    pub source: ChartSource,
    /// Values flags.
    #[command(flatten)]
    pub values: ValueFlags,
    /// Rendering flags.
    #[command(flatten)]
    pub render: RenderFlags,
    /// Only show manifests rendered from these templates (`templates/service.yaml`, globs allowed).
    #[arg(short = 's', long = "show-only", value_name = "PATH")]
    pub show_only: Vec<String>,
    /// Write each template's output to a file under DIR instead of standard output.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Include the CRDs of `crds/` in the output.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Leave hooks out of the output.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Print NOTES.txt after the manifests (as a YAML comment block).
    #[arg(long = "notes")]
    pub notes: bool,
    /// Run the lint layers (Kubernetes schemas, CRD schemas, rules) on what is rendered, offline:
    /// findings go to standard error, and errors fail the command instead of printing manifests.
    #[arg(long = "validate")]
    pub validate: bool,
    /// Output format: the manifests as YAML (default) or a JSON document.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
}

/// `chartsmith values`.
#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// The chart: a directory, a .tgz archive, `REPO/CHART` of an added repository or
    /// `oci://HOST/PATH/NAME[:TAG]`.
    pub chart: String,
    /// Where a remote chart comes from (`--version`, registry flags).
    #[command(flatten)]
    pub source: ChartSource,
    /// Values flags.
    #[command(flatten)]
    pub values: ValueFlags,
    /// Print the values a subchart sees, by dependency path (`mysql`, `backend/cache`).
    #[arg(long = "subchart", value_name = "PATH")]
    pub subchart: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
}

/// What `show` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowWhat {
    /// Chart.yaml.
    Chart,
    /// values.yaml.
    Values,
    /// The README.
    Readme,
    /// values.schema.json.
    Schema,
    /// Chart.yaml, values, README and CRDs.
    All,
    /// The chart's CRDs.
    Crds,
}

/// `chartsmith show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// What to show.
    #[arg(value_enum)]
    pub what: ShowWhat,
    /// The chart: a directory, a .tgz archive, `REPO/CHART` of an added repository or
    /// `oci://HOST/PATH/NAME[:TAG]`.
    pub chart: String,
    /// Where a remote chart comes from (`--version`, registry flags).
    #[command(flatten)]
    pub source: ChartSource,
    /// Output format (for `chart` and `values`).
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
}

/// `chartsmith create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The chart directory to create; its last component is the chart name.
    pub name: PathBuf,
}

/// `chartsmith package`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The chart directories.
    #[arg(required = true, value_name = "CHART")]
    pub charts: Vec<PathBuf>,
    /// The directory to write the archives to.
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,
    /// Set the chart's version (SemVer 2).
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
    /// Set the chart's appVersion.
    #[arg(long = "app-version", value_name = "VERSION")]
    pub app_version: Option<String>,
    /// Update the dependencies (`dependency update`) before packaging.
    #[arg(short = 'u', long = "dependency-update")]
    pub dependency_update: bool,
    /// How OCI registries are reached.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

/// `chartsmith repo`.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Generate an index.yaml for a directory of chart archives.
    Index(RepoIndexArgs),
    /// Add a chart repository (its index is fetched and validated).
    Add(RepoAddArgs),
    /// List the chart repositories.
    List,
    /// Refresh the cached indexes of the repositories (all, or those named).
    #[command(visible_alias = "up")]
    Update(RepoUpdateArgs),
    /// Remove chart repositories.
    #[command(visible_alias = "rm")]
    Remove(RepoRemoveArgs),
}

/// `chartsmith search`.
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Charts of the added repositories whose name, description or keywords contain KEYWORD
    /// (the newest stable version of each; read from the cached indexes, no network).
    #[command(disable_version_flag = true)]
    Repo(SearchRepoArgs),
}

/// `chartsmith search repo`.
#[derive(Debug, Args)]
pub struct SearchRepoArgs {
    /// What to look for (case-insensitive); none: every chart.
    #[arg(default_value = "")]
    pub keyword: String,
    /// Read KEYWORD as a regular expression.
    #[arg(short = 'r', long = "regexp")]
    pub regexp: bool,
    /// Every version of each chart, not only the newest.
    #[arg(short = 'l', long = "versions")]
    pub versions: bool,
    /// Only versions in this range (`^1.2`, `>=2.0.0 <3`).
    #[arg(long = "version", value_name = "RANGE")]
    pub version: Option<String>,
    /// Pre-release versions too (alpha, beta, rc).
    #[arg(long = "devel")]
    pub devel: bool,
    /// The widest the DESCRIPTION column gets in the table (0: no limit).
    #[arg(long = "max-col-width", default_value_t = 50, value_name = "N")]
    pub max_col_width: usize,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// `chartsmith repo add`.
#[derive(Debug, Args)]
pub struct RepoAddArgs {
    /// The repository's name.
    pub name: String,
    /// Its URL (the directory holding index.yaml).
    pub url: String,
    /// The user name for HTTP basic authentication.
    #[arg(long = "username")]
    pub username: Option<String>,
    /// The password (prefer --password-stdin: a password in arguments is visible to other
    /// processes).
    #[arg(
        long = "password",
        requires = "username",
        conflicts_with = "password_stdin"
    )]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long = "password-stdin", requires = "username")]
    pub password_stdin: bool,
    /// Send the credentials to every host the index points archives at (by default only to the
    /// repository's own scheme, host and port).
    #[arg(long = "pass-credentials")]
    pub pass_credentials: bool,
    /// TLS settings for this repository (recorded with it).
    #[command(flatten)]
    pub tls: TlsFlags,
}

/// `chartsmith repo update`.
#[derive(Debug, Args)]
pub struct RepoUpdateArgs {
    /// Only these repositories.
    pub names: Vec<String>,
}

/// `chartsmith repo remove`.
#[derive(Debug, Args)]
pub struct RepoRemoveArgs {
    /// The repositories' names.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

/// `chartsmith dependency`.
#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    /// List the dependencies of Chart.yaml and whether charts/ satisfies them.
    List(DependencyArgs),
    /// Resolve the version ranges, vendor the archives into charts/ and write Chart.lock.
    #[command(visible_alias = "up")]
    Update(DependencyArgs),
    /// Vendor exactly the versions Chart.lock pins into charts/.
    Build(DependencyArgs),
}

/// The chart of a `dependency` verb.
#[derive(Debug, Args)]
pub struct DependencyArgs {
    /// The chart directory.
    #[arg(default_value = ".")]
    pub chart: PathBuf,
    /// How OCI registries are reached.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

/// `chartsmith pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The chart, as `REPO/CHART`, `oci://HOST/PATH/NAME[:TAG|@DIGEST]` or the URL of a chart
    /// archive (`https://HOST/PATH/NAME-VERSION.tgz`).
    pub chart: String,
    /// How OCI registries are reached.
    #[command(flatten)]
    pub remote: RemoteFlags,
    /// A version range (default: the newest release).
    #[arg(long = "version", value_name = "RANGE")]
    pub version: Option<String>,
    /// The directory to write to.
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,
    /// Unpack the chart into DIR/CHART instead of writing the archive.
    #[arg(long = "untar")]
    pub untar: bool,
}

/// `chartsmith push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The chart archive (`NAME-VERSION.tgz`, from `chartsmith package`).
    pub archive: PathBuf,
    /// The registry namespace, `oci://HOST/PATH`; the chart goes to `HOST/PATH/NAME:VERSION`.
    #[arg(value_name = "REMOTE")]
    pub namespace: String,
    /// How OCI registries are reached.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

/// `chartsmith registry`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Check credentials against a registry and save them.
    Login(RegistryLoginArgs),
    /// Forget the saved credentials of a registry.
    Logout(RegistryLogoutArgs),
}

/// `chartsmith registry login`.
#[derive(Debug, Args)]
pub struct RegistryLoginArgs {
    /// The registry host (and port).
    pub host: String,
    /// The user name.
    #[arg(short = 'u', long = "username")]
    pub username: String,
    /// The password (prefer --password-stdin: a password in arguments is visible to other
    /// processes).
    #[arg(short = 'p', long = "password", conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    /// How OCI registries are reached.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

/// `chartsmith registry logout`.
#[derive(Debug, Args)]
pub struct RegistryLogoutArgs {
    /// The registry host (and port).
    pub host: String,
}

/// `chartsmith repo index`.
#[derive(Debug, Args)]
pub struct RepoIndexArgs {
    /// The directory holding the chart archives; index.yaml is written there.
    pub dir: PathBuf,
    /// The URL of the chart repository (prefixes each archive in `urls`).
    #[arg(long = "url", value_name = "URL")]
    pub url: Option<String>,
    /// Merge the generated index into this existing index file.
    #[arg(long = "merge", value_name = "FILE")]
    pub merge: Option<PathBuf>,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LintFormat {
    /// rustc-style diagnostics.
    #[default]
    Text,
    /// A JSON list of findings.
    Json,
}

/// `chartsmith lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The charts: directories, .tgz archives, `REPO/CHART` or `oci://` references.
    #[arg(required = true, value_name = "CHART")]
    pub charts: Vec<String>,
    /// Where a remote chart comes from (`--version`, registry flags).
    #[command(flatten)]
    pub source: ChartSource,
    /// Values flags.
    #[command(flatten)]
    pub values: ValueFlags,
    /// Rendering flags.
    #[command(flatten)]
    pub render: RenderFlags,
    /// The release name the charts are rendered for.
    #[arg(long = "name", default_value = "release-name")]
    pub name: String,
    /// A ConfigMap or Secret managed outside the chart (`NAME`, `Secret/NAME`, `ConfigMap/NAME`).
    #[arg(long = "external", value_name = "NAME")]
    pub external: Vec<String>,
    /// Turn a rule off (by id). May be repeated.
    #[arg(long = "disable", value_name = "RULE")]
    pub disable: Vec<String>,
    /// Fail on warnings too.
    #[arg(long = "strict")]
    pub strict: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: LintFormat,
}
