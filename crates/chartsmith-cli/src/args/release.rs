//! The clap arguments of the release verbs: `install`, `upgrade`, `rollback`, `uninstall`,
//! `list`, `history`, `status`, `get` and `diff`, and where releases live (`--driver`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::{ChartSource, Format, RenderFlags, TableFormat, ValueFlags};

/// `--dry-run[=client|server]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunMode {
    /// Render only; contact no cluster.
    Client,
    /// Also have the API server check the resources (nothing is persisted).
    Server,
}

/// `--wait` and `--timeout`.
#[derive(Debug, Clone, Args)]
pub struct WaitFlags {
    /// Wait until the release's resources are ready (Deployments available, claims bound, load
    /// balancers addressed...); hooks are always waited for.
    #[arg(long = "wait")]
    pub wait: bool,
    /// How long to wait (Go duration: `5m0s`, `90s`, `1h`).
    #[arg(long = "timeout", default_value = "5m0s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

impl WaitFlags {
    /// How long to wait for readiness (`None` without `--wait`).
    pub fn wait(&self) -> Option<Duration> {
        self.wait.then_some(self.timeout)
    }
}

/// Parses a Go duration (`1h2m3s`, `300ms`, `90s`, `5m0s`): Helm's `--timeout` syntax. Written
/// here because the duration crates read other syntaxes (`5 min`, ISO 8601), not Go's.
fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let bad = || format!("invalid duration {text:?}: expected e.g. 5m0s, 90s, 1h");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(bad()),
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 1e9 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// Flags shared by `install` and `upgrade`.
#[derive(Debug, Args)]
pub struct DeployFlags {
    /// The release name.
    pub name: String,
    /// The chart: a directory, a .tgz archive, `REPO/CHART` of an added repository or
    /// `oci://HOST/PATH/NAME[:TAG]`.
    pub chart: String,
    /// Where a remote chart comes from (`--version`, registry flags).
    #[command(flatten)]
    pub source: ChartSource,
    /// Values flags.
    #[command(flatten)]
    pub values: ValueFlags,
    /// Rendering flags.
    #[command(flatten)]
    pub render: RenderFlags,
    /// A description to record instead of the default.
    #[arg(long = "description")]
    pub description: Option<String>,
    /// Render and show the release without recording or applying anything (`--dry-run` or
    /// `--dry-run=client`); `--dry-run=server` also has the API server check the resources.
    #[arg(
        long = "dry-run",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "client",
        value_name = "MODE"
    )]
    pub dry_run: Option<DryRunMode>,
    /// Keep at most N revisions (0: no limit).
    #[arg(long = "history-max", default_value_t = 10, value_name = "N")]
    pub history_max: usize,
    /// Create the release namespace if it does not exist.
    #[arg(long = "create-namespace")]
    pub create_namespace: bool,
    /// If the operation fails, restore the previous state: an upgrade rolls back to the last
    /// deployed revision, an install is uninstalled (Helm 3's `--atomic`).
    #[arg(long = "rollback-on-failure", visible_alias = "atomic")]
    pub rollback_on_failure: bool,
    /// Do not run the chart's hooks (they are still recorded).
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Adopt existing resources that no release owns (or another release owns).
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    /// Take over fields that other field managers own (server-side apply conflicts).
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Waiting for readiness.
    #[command(flatten)]
    pub wait: WaitFlags,
    /// With --wait, also wait until the release's Jobs have completed.
    #[arg(long = "wait-for-jobs")]
    pub wait_for_jobs: bool,
    /// Write the manifests here instead of the state directory's `releases/NS/NAME/manifests/`.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Output format: the status summary (`table`; with `--dry-run` also the hooks and the
    /// manifest), or the release record as JSON or YAML.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// `chartsmith install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Release, chart and values.
    #[command(flatten)]
    pub deploy: DeployFlags,
}

/// `chartsmith upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Release, chart and values.
    #[command(flatten)]
    pub deploy: DeployFlags,
    /// Install the release if it does not exist.
    #[arg(short = 'i', long = "install")]
    pub install: bool,
    /// Merge the given values over the current release's (on its computed defaults).
    #[arg(long = "reuse-values", conflicts_with_all = ["reset_values", "reset_then_reuse_values"])]
    pub reuse_values: bool,
    /// Use only the given values on the chart's defaults.
    #[arg(long = "reset-values", conflicts_with = "reset_then_reuse_values")]
    pub reset_values: bool,
    /// The chart's defaults, then the current release's values, then the given ones.
    #[arg(long = "reset-then-reuse-values")]
    pub reset_then_reuse_values: bool,
    /// If the upgrade fails, delete the resources it created.
    #[arg(long = "cleanup-on-fail")]
    pub cleanup_on_fail: bool,
    /// Delete and recreate resources whose change the API server refuses on an immutable field
    /// (a Deployment's selector); without it such an upgrade is refused before anything changes.
    #[arg(long = "force-replace")]
    pub force_replace: bool,
}

/// `chartsmith rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The release.
    pub name: String,
    /// The revision to roll back to (default: the one before the latest).
    pub revision: Option<u64>,
    /// Show what would happen without doing it.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Keep at most N revisions (0: no limit).
    #[arg(long = "history-max", default_value_t = 10, value_name = "N")]
    pub history_max: usize,
    /// Take over fields that other field managers own (server-side apply conflicts).
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Delete and recreate resources whose change hits an immutable field.
    #[arg(long = "force-replace")]
    pub force_replace: bool,
    /// Do not run the chart's hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Waiting for readiness.
    #[command(flatten)]
    pub wait: WaitFlags,
    /// With --wait, also wait until the release's Jobs have completed.
    #[arg(long = "wait-for-jobs")]
    pub wait_for_jobs: bool,
    /// Write the manifests here instead of the state directory.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// `chartsmith uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// The releases.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// A release that does not exist is not an error.
    #[arg(long = "ignore-not-found")]
    pub ignore_not_found: bool,
    /// Keep the release's records, marked uninstalled.
    #[arg(long = "keep-history")]
    pub keep_history: bool,
    /// A description to record.
    #[arg(long = "description")]
    pub description: Option<String>,
    /// `--wait` until the deleted resources are gone; `--timeout` also bounds each hook.
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Do not run the chart's pre-delete and post-delete hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// The directory the manifests were written to, if not the state directory.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// `chartsmith test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The release.
    pub name: String,
    /// How long each test may run (Go duration: `5m0s`, `90s`).
    #[arg(long = "timeout", default_value = "5m0s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Print the test pods' logs (always printed for a failed test).
    #[arg(long = "logs")]
    pub logs: bool,
    /// Do not print the release's notes.
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
    /// Run only the tests named (`name=NAME`), or skip them (`!name=NAME`); repeatable.
    #[arg(long = "filter", value_name = "name=NAME")]
    pub filter: Vec<String>,
}

/// `chartsmith list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show releases of every status, not only deployed and failed ones.
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// List the releases of every namespace.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Only releases whose name matches this regular expression (anywhere in the name: anchor
    /// it with `^…$`).
    #[arg(short = 'f', long = "filter", value_name = "REGEX")]
    pub filter: Option<String>,
    /// Print only the release names.
    #[arg(short = 'q', long = "short")]
    pub short: bool,
    /// Leave out the table's header line.
    #[arg(long = "no-headers")]
    pub no_headers: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// `chartsmith history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The release.
    pub name: String,
    /// Show at most N revisions.
    #[arg(long = "max", default_value_t = 256)]
    pub max: usize,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// `chartsmith status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The release.
    pub name: String,
    /// The revision (default: the latest).
    #[arg(long = "revision")]
    pub revision: Option<u64>,
    /// Output format: the summary (`table`), or the release record as JSON or YAML.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: TableFormat,
}

/// What `get` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetWhat {
    /// The rendered manifests.
    Manifest,
    /// The user-supplied values (all computed values with `--all`).
    Values,
    /// The notes.
    Notes,
    /// The hooks.
    Hooks,
    /// Release and chart metadata (Helm 4's `get metadata`).
    Metadata,
    /// Everything.
    All,
}

/// Output formats of `get`: `values` prints YAML by default, `metadata` a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetFormat {
    /// The text form (`metadata`; YAML for `values`).
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// `chartsmith get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// What to print.
    #[arg(value_enum)]
    pub what: GetWhat,
    /// The release.
    pub name: String,
    /// The revision (default: the latest).
    #[arg(long = "revision")]
    pub revision: Option<u64>,
    /// `get values`: all computed values, not only the user-supplied ones.
    #[arg(short = 'a', long = "all")]
    pub all: bool,
    /// Output format (for `values` and `metadata`; `json` prints the whole record for `all`).
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<GetFormat>,
}

/// `chartsmith diff`.
#[derive(Debug, Subcommand)]
pub enum DiffCommand {
    /// Compare the deployed revision with what `upgrade` would produce.
    Upgrade(Box<DiffUpgradeArgs>),
    /// Compare the deployed revision with what `rollback` would produce.
    Rollback(DiffRollbackArgs),
}

/// Flags shared by the `diff` verbs.
#[derive(Debug, Args)]
pub struct DiffFlags {
    /// Show Secret data instead of masking it.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Exit with code 2 when there are changes.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
}

/// `chartsmith diff upgrade`.
#[derive(Debug, Args)]
pub struct DiffUpgradeArgs {
    /// Release, chart and values.
    #[command(flatten)]
    pub deploy: DeployFlags,
    /// Diff options.
    #[command(flatten)]
    pub diff: DiffFlags,
    /// As `upgrade --reuse-values`.
    #[arg(long = "reuse-values")]
    pub reuse_values: bool,
    /// As `upgrade --reset-values`.
    #[arg(long = "reset-values")]
    pub reset_values: bool,
    /// As `upgrade --reset-then-reuse-values`.
    #[arg(long = "reset-then-reuse-values")]
    pub reset_then_reuse_values: bool,
}

/// `chartsmith diff rollback`.
#[derive(Debug, Args)]
pub struct DiffRollbackArgs {
    /// The release.
    pub name: String,
    /// The revision to roll back to.
    pub revision: Option<u64>,
    /// Diff options.
    #[command(flatten)]
    pub diff: DiffFlags,
    /// Output format (`yaml` prints unified diffs).
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
}

/// The release drivers, by Helm's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DriverKind {
    /// The embedded store: a state directory, no cluster.
    #[default]
    Local,
    /// Helm's Secrets in the release namespace of the kubeconfig's cluster.
    #[value(alias = "secrets")]
    Secret,
    /// Helm's ConfigMaps in the release namespace of the kubeconfig's cluster.
    #[value(alias = "configmaps")]
    Configmap,
}

/// Where releases live: the driver, the state directory or the cluster (global flags).
#[derive(Debug, Clone, Args, Default)]
pub struct TargetFlags {
    /// Where releases are recorded: `local` (the state directory; no cluster), `secret` or
    /// `configmap` (the kubeconfig's cluster, as Helm records them).
    #[arg(
        long = "driver",
        env = "CHARTSMITH_DRIVER",
        value_enum,
        default_value = "local",
        global = true
    )]
    pub driver: DriverKind,
    /// The state directory of the local driver (default: `$CHARTSMITH_STATE_DIR`, else
    /// `.chartsmith`).
    #[arg(long = "state-dir", value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    /// The kubeconfig file (default: `$KUBECONFIG`, else `~/.kube/config`, else in-cluster).
    #[arg(long = "kubeconfig", value_name = "FILE", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(
        long = "kube-context",
        value_name = "NAME",
        env = "CHARTSMITH_KUBECONTEXT",
        global = true
    )]
    pub kube_context: Option<String>,
}
