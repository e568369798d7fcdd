//! The release verbs: `install`, `upgrade`, `rollback`, `uninstall`, `list`, `history`, `status`,
//! `get` and `diff`, each a thin adapter over `chartsmith::action`.

use std::io::IsTerminal;

use anyhow::Result;
use chartsmith::action::{
    self, ActionError, Configuration, DeployOptions, DryRun, RollbackOptions, UninstallOptions,
    ValuesMode,
};
use chartsmith::release::{Release, Timestamp};
use chartsmith::storage::StorageError;

use crate::args::release::{
    DeployFlags, DiffCommand, DryRunMode, GetArgs, GetFormat, GetWhat, HistoryArgs, InstallArgs,
    ListArgs, RollbackArgs, StatusArgs, TestArgs, UninstallArgs, UpgradeArgs, WaitFlags,
};
use crate::args::{Format, TableFormat, globals};
use crate::backend::Backend;
use crate::output::{Exit, json, out, table};

/// The release namespace of a verb: the global `-n`, else the backend's default.
fn namespace(backend: &Backend) -> String {
    backend.namespace(globals().namespace.as_deref())
}

/// Connects to the backend of the global flags (`output_dir`: the local target's manifests).
fn connect(output_dir: Option<&std::path::PathBuf>) -> Result<Backend> {
    globals().target.connect(output_dir)
}

/// With the local store there is nothing to wait for: `--wait` says so once, on stderr.
fn note_wait(backend: &Backend, wait: &WaitFlags) {
    if wait.wait && backend.is_local() {
        eprintln!(
            "note: --wait: the local driver applies to no cluster, so there is nothing to wait for"
        );
    }
}

/// A value (a release record, rows) in a data format: JSON, or YAML.
fn data(value: &serde_json::Value, format: TableFormat) -> Result<()> {
    match format {
        TableFormat::Yaml => out(&chartsmith::yaml::to_string(value)),
        _ => out(&json(value)?),
    }
}

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
        "NAME: {}\nLAST DEPLOYED: {}\nNAMESPACE: {}\nSTATUS: {}\nREVISION: {}\nDESCRIPTION: {}\n",
        r.name,
        ansic(r.info.last_deployed),
        r.namespace,
        r.info.status,
        r.version,
        r.info.description,
    );
    // As helm: `None` without test hooks; each test that ran with its last run; nothing for
    // tests that never ran.
    let tests =
        chartsmith::action::hooks::select(&r.hooks, chartsmith::action::hooks::HookEvent::Test);
    if tests.is_empty() {
        text.push_str("TEST SUITE: None\n");
    }
    for hook in tests.iter().filter(|h| h.last_run.started_at.is_some()) {
        text.push_str(&format!(
            "TEST SUITE:     {}\nLast Started:   {}\nLast Completed: {}\nPhase:          {}\n",
            hook.name,
            ansic(hook.last_run.started_at),
            ansic(hook.last_run.completed_at),
            hook.last_run.phase
        ));
    }
    if !r.info.notes.is_empty() {
        text.push_str(&format!("NOTES:\n{}\n", r.info.notes.trim_end()));
    }
    text
}

fn print_release(r: &Release, format: TableFormat, header: &str) -> Result<()> {
    match format {
        TableFormat::Table => out(&format!("{header}{}", status_text(r))),
        data_format => data(&serde_json::to_value(r)?, data_format),
    }
}

/// The release with its notes left out (of the summary).
fn without_notes(r: &Release) -> Release {
    Release {
        info: chartsmith::release::Info {
            notes: String::new(),
            ..r.info.clone()
        },
        ..r.clone()
    }
}

/// What `install` and `upgrade --dry-run` print, as helm does: the summary, the hooks after
/// `HOOKS:` and the manifest after `MANIFEST:`, then the notes.
fn dry_run_text(r: &Release) -> String {
    let mut text = status_text(&without_notes(r));
    text.push_str("HOOKS:\n");
    text.push_str(&r.hooks_text());
    text.push_str("MANIFEST:\n");
    text.push_str(&r.manifest);
    if !r.info.notes.is_empty() {
        text.push_str(&format!("\nNOTES:\n{}\n", r.info.notes.trim_end()));
    }
    text
}

impl DeployFlags {
    /// The chart, fetched and verified first when it is a `REPO/CHART` or `oci://` reference.
    fn load_chart(&self) -> Result<chartsmith::chart::Chart> {
        Ok(chartsmith::chart::loader::load(
            crate::progress::resolve_chart(&self.chart, self.source.options())?,
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
            namespace: namespace(backend),
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
            wait_for_jobs: self.wait_for_jobs,
            timeout: Some(self.wait.timeout),
            rollback_on_failure: self.rollback_on_failure,
            cleanup_on_fail: false,
            no_hooks: self.no_hooks,
            force_replace: false,
        })
    }

    /// The release text of install and upgrade: the status, with the target used (a dry run:
    /// with the hooks and the manifest).
    fn print(&self, backend: &Backend, release: &Release, header: &str) -> Result<()> {
        match (self.output, self.dry_run) {
            (TableFormat::Table, Some(_)) => out(&format!("{header}{}", dry_run_text(release))),
            (TableFormat::Table, None) => print_release(
                release,
                self.output,
                &format!("{header}TARGET: {}\n", backend.describe()),
            ),
            (format, _) => print_release(release, format, header),
        }
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
    let backend = connect(d.output_dir.as_ref())?;
    note_wait(&backend, &d.wait);
    let waiting = crate::progress::Waiting::new(d.output != TableFormat::Table);
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
    let backend = connect(d.output_dir.as_ref())?;
    note_wait(&backend, &d.wait);
    let mode = values_mode(
        args.reuse_values,
        args.reset_values,
        args.reset_then_reuse_values,
    );
    let waiting = crate::progress::Waiting::new(d.output != TableFormat::Table);
    let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
    let release = action::upgrade(
        &Configuration {
            progress: Some(&report),
            ..backend.config()
        },
        &d.name,
        &chart,
        &values,
        &DeployOptions {
            cleanup_on_fail: args.cleanup_on_fail,
            force_replace: args.force_replace,
            ..d.options(&backend, args.install, mode)?
        },
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
    let backend = connect(args.output_dir.as_ref())?;
    note_wait(&backend, &args.wait);
    let namespace = namespace(&backend);
    let options = RollbackOptions {
        dry_run: args.dry_run,
        history_max: args.history_max,
        wait: args.wait.wait(),
        wait_for_jobs: args.wait_for_jobs,
        force_conflicts: args.force_conflicts,
        timeout: Some(args.wait.timeout),
        no_hooks: args.no_hooks,
        force_replace: args.force_replace,
    };
    let waiting = crate::progress::Waiting::new(false);
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
    out(if args.dry_run {
        "Rollback dry run complete: nothing was changed.\n"
    } else {
        "Rollback complete.\n"
    })
}

/// `uninstall`: each release in turn; the first failure stops.
pub fn run_uninstall(args: UninstallArgs) -> Result<()> {
    let backend = connect(args.output_dir.as_ref())?;
    note_wait(&backend, &args.wait);
    let namespace = namespace(&backend);
    let options = UninstallOptions {
        keep_history: args.keep_history,
        description: args.description.clone(),
        timeout: Some(args.wait.timeout),
        no_hooks: args.no_hooks,
        wait: args.wait.wait(),
    };
    for name in &args.names {
        let waiting = crate::progress::Waiting::deleting(false);
        let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
        let result = action::uninstall(
            &Configuration {
                progress: Some(&report),
                ..backend.config()
            },
            &namespace,
            name,
            &options,
        );
        drop(waiting);
        match result {
            Ok(_) => out(&format!("release \"{name}\" uninstalled\n"))?,
            Err(ActionError::Storage(StorageError::NotFound { .. })) if args.ignore_not_found => {
                out(&format!(
                    "release \"{name}\" not found in namespace {namespace}: nothing to uninstall\n"
                ))?
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `test`.
pub fn run_test(args: TestArgs) -> Result<()> {
    let backend = connect(None)?;
    let namespace = namespace(&backend);
    let waiting = crate::progress::Waiting::new(false);
    let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
    let outcome = action::test(
        &Configuration {
            progress: Some(&report),
            ..backend.config()
        },
        &namespace,
        &args.name,
        &action::TestOptions {
            timeout: Some(args.timeout),
            filter: args.filter.clone(),
            logs: args.logs,
        },
    )?;
    drop(waiting);
    let mut text = if args.hide_notes {
        status_text(&without_notes(&outcome.release))
    } else {
        status_text(&outcome.release)
    };
    for log in &outcome.logs {
        text.push_str(&format!(
            "\nPOD LOGS: {} (container {})\n{}\n",
            log.pod,
            log.container,
            log.text.trim_end()
        ));
    }
    out(&text)?;
    match outcome.failure {
        Some(failure) => Err(failure.into()),
        None => Ok(()),
    }
}

/// `list`.
pub fn run_list(args: ListArgs) -> Result<()> {
    let filter = args
        .filter
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--filter: {e}"))?;
    let backend = connect(None)?;
    let namespace = (!args.all_namespaces).then(|| namespace(&backend));
    let mut releases = action::list(&backend.config(), namespace.as_deref(), args.all)?;
    if let Some(filter) = &filter {
        releases.retain(|r| filter.is_match(&r.name));
    }
    if args.short {
        return match args.output {
            TableFormat::Table => out(&releases
                .iter()
                .map(|r| format!("{}\n", r.name))
                .collect::<String>()),
            format => data(
                &serde_json::Value::Array(releases.iter().map(|r| r.name.clone().into()).collect()),
                format,
            ),
        };
    }
    match args.output {
        TableFormat::Table => {
            let mut rows = Vec::new();
            if !args.no_headers {
                rows.push(
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
                );
            }
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
        format => {
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
            data(&serde_json::Value::Array(rows), format)
        }
    }
}

/// `history`.
pub fn run_history(args: HistoryArgs) -> Result<()> {
    let backend = connect(None)?;
    let namespace = namespace(&backend);
    let history = action::history(&backend.config(), &namespace, &args.name, args.max)?;
    match args.output {
        TableFormat::Table => {
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
        format => {
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
            data(&serde_json::Value::Array(rows), format)
        }
    }
}

/// `status`.
pub fn run_status(args: StatusArgs) -> Result<()> {
    let backend = connect(None)?;
    let namespace = namespace(&backend);
    let release = action::get(&backend.config(), &namespace, &args.name, args.revision)?;
    match args.output {
        TableFormat::Table => print_release(&release, args.output, ""),
        format => {
            // As helm's: the record without its chart (`get all -o json` has the whole record).
            let mut record = serde_json::to_value(&release)?;
            if let Some(object) = record.as_object_mut() {
                object.remove("chart");
            }
            data(&record, format)
        }
    }
}

/// Helm 4's `get metadata`: the release's and its chart's identity, as JSON object.
fn metadata(r: &Release) -> serde_json::Value {
    let m = &r.chart.metadata;
    let mut object = serde_json::Map::new();
    object.insert("name".into(), r.name.clone().into());
    object.insert("chart".into(), m.name.clone().into());
    object.insert("version".into(), m.version.to_string().into());
    object.insert("appVersion".into(), app_version(r).into());
    if !m.annotations.is_empty() {
        object.insert(
            "annotations".into(),
            serde_json::to_value(&m.annotations).unwrap_or_default(),
        );
    }
    if !m.dependencies.is_empty() {
        object.insert(
            "dependencies".into(),
            serde_json::to_value(&m.dependencies).unwrap_or_default(),
        );
    }
    object.insert("namespace".into(), r.namespace.clone().into());
    object.insert("revision".into(), r.version.into());
    object.insert("status".into(), r.info.status.to_string().into());
    object.insert(
        "deployedAt".into(),
        r.info
            .last_deployed
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
            .into(),
    );
    serde_json::Value::Object(object)
}

/// `get metadata`'s table: helm's `KEY: value` lines.
fn metadata_text(r: &Release) -> String {
    let m = &r.chart.metadata;
    let annotations = m
        .annotations
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let dependencies = m
        .dependencies
        .iter()
        .map(|d| d.name.clone())
        .collect::<Vec<_>>()
        .join(",");
    let value = metadata(r);
    format!(
        "NAME: {}\nCHART: {}\nVERSION: {}\nAPP_VERSION: {}\nANNOTATIONS: {annotations}\nLABELS: \nDEPENDENCIES: {dependencies}\nNAMESPACE: {}\nREVISION: {}\nSTATUS: {}\nDEPLOYED_AT: {}\n",
        r.name,
        m.name,
        m.version,
        app_version(r),
        r.namespace,
        r.version,
        r.info.status,
        value["deployedAt"].as_str().unwrap_or_default(),
    )
}

/// `get`.
pub fn run_get(args: GetArgs) -> Result<()> {
    let backend = connect(None)?;
    let namespace = namespace(&backend);
    let r = action::get(&backend.config(), &namespace, &args.name, args.revision)?;
    let values = || {
        serde_json::Value::Object(if args.all {
            action::computed_values(&r)
        } else {
            r.config.clone()
        })
    };
    let json_output = args.output == Some(GetFormat::Json);
    let values_text = |with_header: bool| -> Result<String> {
        let header = if args.all {
            "COMPUTED VALUES:\n"
        } else {
            "USER-SUPPLIED VALUES:\n"
        };
        let body = if json_output {
            json(&values())?
        } else {
            match values() {
                serde_json::Value::Object(m) if m.is_empty() => "null\n".to_string(),
                v => chartsmith::yaml::to_string(&v),
            }
        };
        // As helm: the header only in the default (table) form.
        Ok(
            if with_header && args.output.is_none_or(|f| f == GetFormat::Table) {
                format!("{header}{body}")
            } else {
                body
            },
        )
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
        GetWhat::Metadata => match args.output {
            None | Some(GetFormat::Table) => out(&metadata_text(&r)),
            Some(GetFormat::Json) => data(&metadata(&r), TableFormat::Json),
            Some(GetFormat::Yaml) => data(&metadata(&r), TableFormat::Yaml),
        },
        GetWhat::All if json_output => out(&json(&serde_json::to_value(&r)?)?),
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
            let backend = connect(None)?;
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
            let format = if d.output == TableFormat::Table {
                Format::Yaml
            } else {
                Format::Json
            };
            (changes, &args.diff, format)
        }
        DiffCommand::Rollback(args) => {
            let backend = connect(None)?;
            let namespace = namespace(&backend);
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
    if flags.detailed_exitcode && chartsmith::diff::changes_anything(&changes) {
        return Err(Exit(2).into());
    }
    Ok(())
}
