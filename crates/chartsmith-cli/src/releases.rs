//! The release verbs: `install`, `upgrade`, `rollback`, `uninstall`, `list`, `history`, `status`,
//! `get` and `diff`, each a thin adapter over `chartsmith::action`.

use std::io::IsTerminal;

use anyhow::Result;
use chartsmith::action::{
    self, Configuration, DeployOptions, DryRun, RollbackOptions, UninstallOptions, ValuesMode,
};
use chartsmith::release::{Release, Timestamp};

use crate::args::Format;
use crate::args::release::{
    DeployFlags, DiffCommand, DryRunMode, GetArgs, GetWhat, HistoryArgs, InstallArgs, ListArgs,
    RollbackArgs, StatusArgs, TestArgs, UninstallArgs, UpgradeArgs,
};
use crate::backend::Backend;
use crate::output::{Exit, json, out, table};

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
            wait_for_jobs: self.wait_for_jobs,
            timeout: Some(self.wait.timeout),
            rollback_on_failure: self.rollback_on_failure,
            cleanup_on_fail: false,
            no_hooks: self.no_hooks,
            force_replace: false,
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
    let waiting = crate::progress::Waiting::new(d.output == Format::Json);
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
    let waiting = crate::progress::Waiting::new(d.output == Format::Json);
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
    let backend = args.target.connect(args.output_dir.as_ref())?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
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

/// `uninstall`.
pub fn run_uninstall(args: UninstallArgs) -> Result<()> {
    let backend = args.target.connect(args.output_dir.as_ref())?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
    let options = UninstallOptions {
        keep_history: args.keep_history,
        description: args.description.clone(),
        timeout: Some(args.wait.timeout),
        no_hooks: args.no_hooks,
        wait: args.wait.wait(),
    };
    let waiting = crate::progress::Waiting::deleting(false);
    let report = |p: &chartsmith::cluster::WaitProgress| waiting.report(p);
    action::uninstall(
        &Configuration {
            progress: Some(&report),
            ..backend.config()
        },
        &namespace,
        &args.name,
        &options,
    )?;
    drop(waiting);
    out(&format!("release \"{}\" uninstalled\n", args.name))
}

/// `test`.
pub fn run_test(args: TestArgs) -> Result<()> {
    let backend = args.target.connect(None)?;
    let namespace = backend.namespace(args.namespace.namespace.as_deref());
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
        status_text(&chartsmith::release::Release {
            info: chartsmith::release::Info {
                notes: String::new(),
                ..outcome.release.info.clone()
            },
            ..outcome.release.clone()
        })
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
    if flags.detailed_exitcode && chartsmith::diff::changes_anything(&changes) {
        return Err(Exit(2).into());
    }
    Ok(())
}
