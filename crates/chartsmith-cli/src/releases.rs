//! The release verbs: `install`, `upgrade`, `rollback`, `uninstall`, `list`, `history`, `status`,
//! `get` and `diff`, each a thin adapter over `chartsmith::action`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use chartsmith::action::{
    self, Configuration, DeployOptions, DryRun, RollbackOptions, UninstallOptions, ValuesMode,
};
use chartsmith::release::{Release, Timestamp};
use clap::{Args, Subcommand, ValueEnum};

use crate::args::{Format, ValueFlags};
use crate::backend::{Backend, TargetFlags};
use crate::commands::{json, out};

/// `-n/--namespace` of the release verbs that take no chart.
#[derive(Debug, Clone, Args)]
pub struct NamespaceFlag {
    /// The release namespace (default: the kubeconfig context's with a cluster driver, else
    /// `default`).
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespace: Option<String>,
}

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
    /// Wait until the release's resources are ready (Deployments available, Jobs complete...).
    #[arg(long = "wait")]
    pub wait: bool,
    /// How long to wait (Go duration: `5m0s`, `90s`, `1h`).
    #[arg(long = "timeout", default_value = "5m0s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

impl WaitFlags {
    fn wait(&self) -> Option<Duration> {
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
    pub source: crate::args::ChartSource,
    /// Values flags.
    #[command(flatten)]
    pub values: ValueFlags,
    /// Rendering flags.
    #[command(flatten)]
    pub render: crate::args::RenderFlags,
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
    /// Adopt existing resources that no release owns (or another release owns).
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    /// Take over fields that other field managers own (server-side apply conflicts).
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Waiting for readiness.
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Write the manifests here instead of the state directory's `releases/NS/NAME/manifests/`.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
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
    /// Waiting for readiness.
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Write the manifests here instead of the state directory.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
}

/// `chartsmith uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// The release.
    pub name: String,
    /// Keep the release's records, marked uninstalled.
    #[arg(long = "keep-history")]
    pub keep_history: bool,
    /// A description to record.
    #[arg(long = "description")]
    pub description: Option<String>,
    /// How long each hook may run (Go duration: `5m0s`, `90s`).
    #[arg(long = "timeout", default_value = "5m0s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// The directory the manifests were written to, if not the state directory.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
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
    /// Output format (`yaml` prints a table).
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
}

/// `chartsmith history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The release.
    pub name: String,
    /// Show at most N revisions.
    #[arg(long = "max", default_value_t = 256)]
    pub max: usize,
    /// Output format (`yaml` prints a table).
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
}

/// `chartsmith status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The release.
    pub name: String,
    /// The revision (default: the latest).
    #[arg(long = "revision")]
    pub revision: Option<u64>,
    /// Output format (`yaml` prints a summary; `json` the release record).
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
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
    /// Everything.
    All,
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
    #[arg(long = "all")]
    pub all: bool,
    /// Output format (for `values`; `json` prints the whole record for `all`).
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: Format,
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
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
    /// The release namespace.
    #[command(flatten)]
    pub namespace: NamespaceFlag,
    /// Where releases live.
    #[command(flatten)]
    pub target: TargetFlags,
}

/// An exit status other than 0 or 1, returned as an error so that output is flushed first.
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

impl std::error::Error for Exit {}

fn ansic(t: Option<Timestamp>) -> String {
    t.map(|t| t.strftime("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_else(|| "-".into())
}

fn go_time(t: Option<Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%d %H:%M:%S%.f +0000 UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn app_version(r: &Release) -> String {
    r.chart.metadata.app_version.clone().unwrap_or_default()
}

/// `helm status`'s text.
fn status_text(r: &Release) -> String {
    let mut text = format!(
        "NAME: {}\nLAST DEPLOYED: {}\nNAMESPACE: {}\nSTATUS: {}\nREVISION: {}\nDESCRIPTION: {}\nTEST SUITE: None\n",
        r.name,
        ansic(r.info.last_deployed),
        r.namespace,
        r.info.status,
        r.version,
        r.info.description,
    );
    if !r.info.notes.is_empty() {
        text.push_str(&format!("NOTES:\n{}\n", r.info.notes.trim_end()));
    }
    text
}

fn print_release(r: &Release, format: Format, header: &str) -> Result<()> {
    match format {
        Format::Json => out(&json(&serde_json::to_value(r)?)?),
        Format::Yaml => out(&format!("{header}{}", status_text(r))),
    }
}

impl DeployFlags {
    /// The chart, fetched and verified first when it is a `REPO/CHART` or `oci://` reference.
    fn load_chart(&self) -> Result<chartsmith::chart::Chart> {
        Ok(chartsmith::chart::loader::load(
            self.source.local(&self.chart)?,
        )?)
    }

    fn options(
        &self,
        backend: &Backend,
        install: bool,
        values_mode: ValuesMode,
    ) -> Result<DeployOptions> {
        let config = backend.config();
        Ok(DeployOptions {
            namespace: backend.namespace(self.render.namespace.as_deref()),
            install,
            values_mode,
            description: self.description.clone(),
            dry_run: match self.dry_run {
                None => DryRun::None,
                Some(DryRunMode::Client) => DryRun::Client,
                Some(DryRunMode::Server) => DryRun::Server,
            },
            history_max: self.history_max,
            // Discovery is skipped for a client dry run: it contacts no cluster.
            capabilities: if self.dry_run == Some(DryRunMode::Client) {
                self.render.capabilities()?
            } else {
                config.capabilities(
                    self.render.kube_version.as_deref(),
                    &self.render.api_versions,
                )?
            },
            skip_schema_validation: self.render.skip_schema_validation,
            create_namespace: self.create_namespace,
            take_ownership: self.take_ownership,
            force_conflicts: self.force_conflicts,
            wait: self.wait.wait(),
            timeout: Some(self.wait.timeout),
            rollback_on_failure: self.rollback_on_failure,
        })
    }

    /// The release text of install and upgrade: the status, with the target used.
    fn print(&self, backend: &Backend, release: &Release, header: &str) -> Result<()> {
        let header = if self.output == Format::Yaml && self.dry_run.is_none() {
            format!("{header}TARGET: {}\n", backend.describe())
        } else {
            header.to_string()
        };
        print_release(release, self.output, &header)
    }
}

fn values_mode(reuse: bool, reset: bool, reset_then_reuse: bool) -> ValuesMode {
    if reuse {
        ValuesMode::Reuse
    } else if reset {
        ValuesMode::Reset
    } else if reset_then_reuse {
        ValuesMode::ResetThenReuse
    } else {
        ValuesMode::Default
    }
}

/// `install`.
pub fn run_install(args: InstallArgs) -> Result<()> {
    let d = &args.deploy;
    let chart = d.load_chart()?;
    let values = d.values.to_options().merge()?;
    let backend = d.target.connect(d.output_dir.as_ref())?;
    let waiting = crate::progress::Waiting::new();
    let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
    let release = action::install(
        &Configuration {
            progress: Some(&report),
            ..backend.config()
        },
        &d.name,
        &chart,
        &values,
        &d.options(&backend, false, ValuesMode::Default)?,
    )?;
    drop(waiting);
    d.print(&backend, &release, "")
}

/// `upgrade`.
pub fn run_upgrade(args: UpgradeArgs) -> Result<()> {
    let d = &args.deploy;
    let chart = d.load_chart()?;
    let values = d.values.to_options().merge()?;
    let backend = d.target.connect(d.output_dir.as_ref())?;
    let mode = values_mode(
        args.reuse_values,
        args.reset_values,
        args.reset_then_reuse_values,
    );
    let waiting = crate::progress::Waiting::new();
    let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
    let release = action::upgrade(
        &Configuration {
            progress: Some(&report),
            ..backend.config()
        },
        &d.name,
        &chart,
        &values,
        &d.options(&backend, args.install, mode)?,
    )?;
    drop(waiting);
    let header = if release.version == 1 {
        format!(
            "Release \"{}\" does not exist. Installing it now.\n",
            release.name
        )
    } else {
        format!("Release \"{}\" has been upgraded.\n", release.name)
    };
    d.print(&backend, &release, &header)
}

/// `rollback`.
pub fn run_rollback(args: RollbackArgs) -> Result<()> {
    let backend = args.target.connect(args.output_dir.as_ref())?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
    let options = RollbackOptions {
        dry_run: args.dry_run,
        history_max: args.history_max,
        wait: args.wait.wait(),
        force_conflicts: args.force_conflicts,
        timeout: Some(args.wait.timeout),
    };
    let waiting = crate::progress::Waiting::new();
    let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
    action::rollback(
        &Configuration {
            progress: Some(&report),
            ..backend.config()
        },
        &namespace,
        &args.name,
        args.revision,
        &options,
    )?;
    out("Rollback complete.\n")
}

/// `uninstall`.
pub fn run_uninstall(args: UninstallArgs) -> Result<()> {
    let backend = args.target.connect(args.output_dir.as_ref())?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
    let options = UninstallOptions {
        keep_history: args.keep_history,
        description: args.description.clone(),
        timeout: Some(args.timeout),
    };
    action::uninstall(&backend.config(), &namespace, &args.name, &options)?;
    out(&format!("release \"{}\" uninstalled\n", args.name))
}

/// `list`.
pub fn run_list(args: ListArgs) -> Result<()> {
    let backend = args.target.connect(None)?;
    let namespace =
        (!args.all_namespaces).then(|| backend.namespace(args.namespace.namespace.as_deref()));
    let releases = action::list(&backend.config(), namespace.as_deref(), args.all)?;
    match args.output {
        Format::Json => {
            let rows: Vec<_> = releases
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name, "namespace": r.namespace,
                        "revision": r.version.to_string(),
                        "updated": go_time(r.info.last_deployed),
                        "status": r.info.status, "chart": r.chart.full_name(),
                        "app_version": app_version(r),
                    })
                })
                .collect();
            out(&json(&serde_json::Value::Array(rows))?)
        }
        Format::Yaml => {
            let mut rows = vec![
                [
                    "NAME",
                    "NAMESPACE",
                    "REVISION",
                    "UPDATED",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for r in &releases {
                rows.push(vec![
                    r.name.clone(),
                    r.namespace.clone(),
                    r.version.to_string(),
                    go_time(r.info.last_deployed),
                    r.info.status.to_string(),
                    r.chart.full_name(),
                    app_version(r),
                ]);
            }
            out(&table(&rows))
        }
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}\t", width = widths[c]));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// `history`.
pub fn run_history(args: HistoryArgs) -> Result<()> {
    let backend = args.target.connect(None)?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
    let history = action::history(&backend.config(), &namespace, &args.name, args.max)?;
    match args.output {
        Format::Json => {
            let rows: Vec<_> = history
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "revision": r.version,
                        "updated": r.info.last_deployed.map(|t| t.to_string()),
                        "status": r.info.status, "chart": r.chart.full_name(),
                        "app_version": app_version(r), "description": r.info.description,
                    })
                })
                .collect();
            out(&json(&serde_json::Value::Array(rows))?)
        }
        Format::Yaml => {
            let mut rows = vec![
                [
                    "REVISION",
                    "UPDATED",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                    "DESCRIPTION",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for r in &history {
                rows.push(vec![
                    r.version.to_string(),
                    ansic(r.info.last_deployed),
                    r.info.status.to_string(),
                    r.chart.full_name(),
                    app_version(r),
                    r.info.description.clone(),
                ]);
            }
            out(&table(&rows))
        }
    }
}

/// `status`.
pub fn run_status(args: StatusArgs) -> Result<()> {
    let backend = args.target.connect(None)?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
    let release = action::get(&backend.config(), &namespace, &args.name, args.revision)?;
    print_release(&release, args.output, "")
}

/// `get`.
pub fn run_get(args: GetArgs) -> Result<()> {
    let backend = args.target.connect(None)?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
    let r = action::get(&backend.config(), &namespace, &args.name, args.revision)?;
    let values = || {
        serde_json::Value::Object(if args.all {
            action::computed_values(&r)
        } else {
            r.config.clone()
        })
    };
    let values_text = |with_header: bool| -> Result<String> {
        let header = if args.all {
            "COMPUTED VALUES:\n"
        } else {
            "USER-SUPPLIED VALUES:\n"
        };
        let body = match args.output {
            Format::Json => json(&values())?,
            Format::Yaml => match values() {
                serde_json::Value::Object(m) if m.is_empty() => "null\n".to_string(),
                v => chartsmith::yaml::to_string(&v),
            },
        };
        Ok(if with_header && args.output == Format::Yaml {
            format!("{header}{body}")
        } else {
            body
        })
    };
    match args.what {
        // Helm prints the manifest with a line feed after it.
        GetWhat::Manifest => out(&format!("{}\n", r.manifest)),
        GetWhat::Values => out(&values_text(true)?),
        GetWhat::Notes => out(&if r.info.notes.is_empty() {
            String::new()
        } else {
            format!("NOTES:\n{}\n", r.info.notes.trim_end())
        }),
        GetWhat::Hooks => out(&r.hooks_text()),
        GetWhat::All if args.output == Format::Json => out(&json(&serde_json::to_value(&r)?)?),
        GetWhat::All => {
            let mut text = status_text(&r);
            text.push_str(&values_text(true)?);
            text.push_str("\nHOOKS:\n");
            text.push_str(&r.hooks_text());
            text.push_str("MANIFEST:\n");
            text.push_str(&r.manifest);
            out(&text)
        }
    }
}

/// `diff upgrade` / `diff rollback`.
pub fn run_diff(command: DiffCommand) -> Result<()> {
    let (changes, flags, format) = match &command {
        DiffCommand::Upgrade(args) => {
            let d = &args.deploy;
            let chart = d.load_chart()?;
            let values = d.values.to_options().merge()?;
            let backend = d.target.connect(None)?;
            let options = d.options(
                &backend,
                false,
                values_mode(
                    args.reuse_values,
                    args.reset_values,
                    args.reset_then_reuse_values,
                ),
            )?;
            let changes = action::diff_upgrade(
                &backend.config(),
                &d.name,
                &chart,
                &values,
                &options,
                args.diff.show_secrets,
            )?;
            (changes, &args.diff, d.output)
        }
        DiffCommand::Rollback(args) => {
            let backend = args.target.connect(None)?;
            let namespace = backend.namespace(args.namespace.namespace.as_deref());
            let changes = action::diff_rollback(
                &backend.config(),
                &namespace,
                &args.name,
                args.revision,
                args.diff.show_secrets,
            )?;
            (changes, &args.diff, args.output)
        }
    };
    match format {
        Format::Json => out(&json(&chartsmith::diff::to_json(&changes))?)?,
        Format::Yaml => out(&chartsmith::diff::render(
            &changes,
            std::io::stdout().is_terminal(),
        ))?,
    }
    if flags.detailed_exitcode && !changes.is_empty() {
        return Err(Exit(2).into());
    }
    Ok(())
}
