//! One function per verb: resolve settings, call the library once, print.

use std::path::Path;

use anyhow::{Context, Result};
use chartsmith::template::template;
use chartsmith::values::compute;

use crate::args::{
    Cli, Command, CompletionArgs, CreateArgs, DependencyCommand, EnvArgs, Format, PackageArgs,
    PullArgs, PushArgs, RegistryCommand, RepoCommand, RepoIndexArgs, SearchCommand, Shell,
    ShowArgs, ShowWhat, TableFormat, TemplateArgs, ValuesArgs, VersionArgs, globals,
};
use crate::output::{Exit, json, out};
use crate::progress::resolve_chart;

pub fn run(cli: Cli) -> Result<()> {
    cli.global.install();
    match cli.command {
        Command::Template(args) => run_template(args),
        Command::Values(args) => run_values(args),
        Command::Show(args) => run_show(args),
        Command::Create(args) => run_create(args),
        Command::Package(args) => run_package(args),
        Command::Repo(RepoCommand::Index(args)) => run_repo_index(args),
        Command::Repo(command) => run_repo(command),
        Command::Dependency(command) => run_dependency(command),
        Command::Pull(args) => run_pull(args),
        Command::Push(args) => run_push(args),
        Command::Registry(command) => run_registry(command),
        Command::Lint(args) => crate::lint::run_lint(args),
        Command::Install(args) => crate::releases::run_install(args),
        Command::Upgrade(args) => crate::releases::run_upgrade(args),
        Command::Rollback(args) => crate::releases::run_rollback(args),
        Command::Uninstall(args) => crate::releases::run_uninstall(args),
        Command::List(args) => crate::releases::run_list(args),
        Command::History(args) => crate::releases::run_history(args),
        Command::Status(args) => crate::releases::run_status(args),
        Command::Search(command) => run_search(command),
        Command::Test(args) => crate::releases::run_test(args),
        Command::Get(args) => crate::releases::run_get(args),
        Command::Diff(command) => crate::releases::run_diff(command),
        Command::Version(args) => run_version(args),
        Command::Completion(args) => run_completion(args),
        Command::Env(args) => run_env(args),
    }
}

fn load(chart: &Path) -> Result<chartsmith::Chart> {
    Ok(chartsmith::chart::loader::load(chart)?)
}

fn run_template(args: TemplateArgs) -> Result<()> {
    let (name, chart_path) = match &args.chart {
        None => ("release-name".to_string(), args.first.clone()),
        Some(chart) => (args.first.clone(), chart.clone()),
    };
    let chart_path = resolve_chart(&chart_path, args.source.options())?;
    let chart = load(&chart_path)?;
    let user_values = args.values.to_options().merge()?;
    let options = args.render.template_options(&name)?;
    let mut rendered = template(&chart, &user_values, &options)?;
    if args.validate {
        // The whole release is validated, before --show-only and --no-hooks select what is printed.
        let lint_options = chartsmith::lint::LintOptions {
            template: options.clone(),
            ..Default::default()
        };
        let report = chartsmith::lint::validate(&chart, &rendered, &lint_options)?;
        crate::lint::report_to_stderr(&chart_path, &report)?;
        if report.failures(false) > 0 {
            return Err(Exit(1).into());
        }
    }
    if args.no_hooks {
        rendered.hooks.clear();
    }
    if !args.show_only.is_empty() {
        rendered.retain_templates(&args.show_only)?;
    }
    if let Some(dir) = &args.output_dir {
        return write_output_dir(dir, &rendered, args.include_crds);
    }
    match args.output {
        Format::Json => {
            let docs = |list: &[chartsmith::manifest::Manifest]| -> Vec<serde_json::Value> {
                list.iter()
                    .map(|m| {
                        serde_json::json!({
                            "source": m.source, "apiVersion": m.api_version, "kind": m.kind,
                            "name": m.name, "hookEvents": m.hook_events, "content": m.content,
                        })
                    })
                    .collect()
            };
            let crds: Vec<_> = if args.include_crds {
                rendered
                    .crds
                    .iter()
                    .map(|(p, c)| serde_json::json!({"source": p, "content": c}))
                    .collect()
            } else {
                Vec::new()
            };
            out(&json(&serde_json::json!({
                "crds": crds,
                "manifests": docs(&rendered.manifests),
                "hooks": docs(&rendered.hooks),
                "notes": rendered.notes,
            }))?)
        }
        Format::Yaml => {
            let mut text = rendered.to_helm_output(args.include_crds);
            if args.notes
                && let Some(notes) = &rendered.notes
            {
                text.push_str("---\n# Source: NOTES.txt\n");
                for line in notes.lines() {
                    text.push_str(&format!("# {line}\n"));
                }
            }
            out(&text)
        }
    }
}

fn write_output_dir(
    dir: &Path,
    rendered: &chartsmith::template::Rendered,
    include_crds: bool,
) -> Result<()> {
    let mut by_file: std::collections::BTreeMap<String, String> = Default::default();
    if include_crds {
        for (path, content) in &rendered.crds {
            by_file
                .entry(path.clone())
                .or_default()
                .push_str(&format!("---\n# Source: {path}\n{content}\n"));
        }
    }
    for m in rendered.manifests.iter().chain(&rendered.hooks) {
        by_file
            .entry(m.source.clone())
            .or_default()
            .push_str(&format!("---\n# Source: {}\n{}\n", m.source, m.content));
    }
    for (source, text) in by_file {
        // Sources are chart paths built by the loader (no `..`, no absolute paths).
        let target = dir.join(&source);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
        println!("wrote {}", target.display());
    }
    Ok(())
}

fn run_values(args: ValuesArgs) -> Result<()> {
    let path = resolve_chart(&args.chart, args.source.options())?;
    let chart = load(&path)?;
    let user_values = args.values.to_options().merge()?;
    let computed = compute(&chart, &user_values)?;
    let values = match &args.subchart {
        None => &computed.values,
        Some(path) => {
            let parts: Vec<&str> = path.split(['/', '.']).filter(|p| !p.is_empty()).collect();
            computed.subchart_values(&parts)?
        }
    };
    let value = serde_json::Value::Object(values.clone());
    match args.output {
        Format::Json => out(&json(&value)?),
        Format::Yaml => out(&chartsmith::yaml::to_string(&value)),
    }
}

fn run_show(args: ShowArgs) -> Result<()> {
    use chartsmith::chart::show::{Part, show};
    let path = resolve_chart(&args.chart, args.source.options())?;
    let chart = load(&path)?;
    let part = match args.what {
        ShowWhat::Chart => Part::Chart,
        ShowWhat::Values => Part::Values,
        ShowWhat::Readme => Part::Readme,
        ShowWhat::Schema => Part::Schema,
        ShowWhat::Crds => Part::Crds,
        ShowWhat::All => Part::All,
    };
    match (args.output, part) {
        (Format::Json, Part::Chart) => out(&json(&serde_json::to_value(&chart.metadata)?)?),
        (Format::Json, Part::Values) => {
            out(&json(&serde_json::Value::Object(chart.values.clone()))?)
        }
        _ => out(&show(&chart, part)),
    }
}

fn run_create(args: CreateArgs) -> Result<()> {
    chartsmith::chart::create::create(&args.name)?;
    println!("Creating {}", args.name.display());
    Ok(())
}

fn run_package(args: PackageArgs) -> Result<()> {
    let options = chartsmith::chart::package::PackageOptions {
        destination: args.destination.clone(),
        version: args.version.clone(),
        app_version: args.app_version.clone(),
        ..Default::default()
    };
    if args.dependency_update {
        let settings = args.remote.settings();
        for chart in &args.charts {
            crate::progress::spin(
                format!("Updating the dependencies of {}", chart.display()),
                || chartsmith::downloader::dependency::update(chart, &settings),
            )
            .with_context(|| format!("updating the dependencies of {}", chart.display()))?;
        }
    }
    // Every chart is packaged (in parallel); each written archive is reported, then the failures
    // in the order of the charts (the last one is the command's error).
    let mut failures = Vec::new();
    for (chart, result) in args
        .charts
        .iter()
        .zip(chartsmith::chart::package::package_all(
            &args.charts,
            &options,
        ))
    {
        match result {
            Ok(path) => out(&format!(
                "Successfully packaged chart and saved it to: {}\n",
                path.display()
            ))?,
            Err(e) => failures
                .push(anyhow::Error::new(e).context(format!("packaging {}", chart.display()))),
        }
    }
    match failures.pop() {
        None => Ok(()),
        Some(last) => {
            for earlier in failures {
                eprintln!("Error: {earlier:#}");
            }
            Err(last)
        }
    }
}

fn run_repo_index(args: RepoIndexArgs) -> Result<()> {
    let index = chartsmith::repo::index(&args.dir, args.url.as_deref(), args.merge.as_deref())?;
    let target = args.dir.join("index.yaml");
    std::fs::write(&target, index.to_yaml())
        .with_context(|| format!("writing {}", target.display()))?;
    Ok(())
}

fn run_search(command: SearchCommand) -> Result<()> {
    let SearchCommand::Repo(args) = command;
    let report = chartsmith::repo::search(
        &globals().repo_settings(),
        &chartsmith::repo::SearchOptions {
            keyword: args.keyword.clone(),
            regexp: args.regexp,
            versions: args.versions,
            version: args.version.clone(),
            devel: args.devel,
        },
    )?;
    for warning in &report.warnings {
        eprintln!("warning: {}", chartsmith::text::escape_multiline(warning));
    }
    match args.output {
        TableFormat::Json => out(&json(&serde_json::to_value(&report.results)?)?),
        TableFormat::Yaml => out(&chartsmith::yaml::to_string(&serde_json::to_value(
            &report.results,
        )?)),
        TableFormat::Table if report.results.is_empty() => out("No results found\n"),
        TableFormat::Table => {
            let cut = |s: &str| {
                if args.max_col_width > 0 && s.chars().count() > args.max_col_width {
                    let keep = args.max_col_width.saturating_sub(3);
                    format!("{}...", s.chars().take(keep).collect::<String>())
                } else {
                    s.to_string()
                }
            };
            let mut rows = vec![vec![
                "NAME".to_string(),
                "CHART VERSION".into(),
                "APP VERSION".into(),
                "DESCRIPTION".into(),
            ]];
            for r in &report.results {
                rows.push(vec![
                    r.name.clone(),
                    r.version.clone(),
                    r.app_version.clone(),
                    cut(&r.description),
                ]);
            }
            out(&crate::output::table(&rows))
        }
    }
}

fn run_repo(command: RepoCommand) -> Result<()> {
    use chartsmith::repo as repos;
    let settings = globals().repo_settings();
    if globals().debug {
        eprintln!(
            "debug: repositories file {}, index cache {}",
            settings.repositories_file().display(),
            settings.index_dir().display()
        );
    }
    match command {
        RepoCommand::Index(args) => run_repo_index(args),
        RepoCommand::Add(args) => {
            let password = match (args.password, args.password_stdin) {
                (Some(p), _) => Some(p),
                (None, true) => Some(read_password_stdin()?),
                (None, false) => None,
            };
            let tls = args.tls.options();
            let repository = repos::Repository {
                name: args.name.clone(),
                url: args.url.clone(),
                username: args.username,
                password,
                pass_credentials_all: args.pass_credentials,
                ca_file: tls.ca_file,
                insecure_skip_tls_verify: tls.insecure_skip_tls_verify,
                cert_file: tls.cert_file,
                key_file: tls.key_file,
            };
            crate::progress::spin(format!("Fetching {}/index.yaml", args.url), || {
                repos::add(&settings, &repository)
            })?;
            out(&format!(
                "\"{}\" has been added to your repositories\n",
                args.name
            ))
        }
        RepoCommand::List => {
            let list = repos::list(&settings)?;
            if list.is_empty() {
                anyhow::bail!("no repositories to show");
            }
            let width = list.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            let mut text = format!("{:<width$}\tURL\n", "NAME");
            for r in list {
                text.push_str(&format!("{:<width$}\t{}\n", r.name, r.url));
            }
            out(&text)
        }
        RepoCommand::Update(args) => {
            let updated = crate::progress::spin("Updating the repository indexes", || {
                repos::update(&settings, &args.names)
            })?;
            for name in updated {
                out(&format!(
                    "...Successfully got an update from the \"{name}\" chart repository\n"
                ))?;
            }
            out("Update Complete. Happy Helming!\n")
        }
        RepoCommand::Remove(args) => {
            for name in &args.names {
                repos::remove(&settings, name)?;
                out(&format!(
                    "\"{name}\" has been removed from your repositories\n"
                ))?;
            }
            Ok(())
        }
    }
}

fn run_dependency(command: DependencyCommand) -> Result<()> {
    use chartsmith::downloader::dependency;
    let settings = match &command {
        DependencyCommand::List(a) | DependencyCommand::Update(a) | DependencyCommand::Build(a) => {
            a.remote.settings()
        }
    };
    match command {
        DependencyCommand::List(args) => {
            let list = dependency::list(&args.chart)?;
            if list.is_empty() {
                return out(&format!(
                    "WARNING: no dependencies at {}\n",
                    args.chart.join("charts").display()
                ));
            }
            let mut text = String::from("NAME\tVERSION\tREPOSITORY\tSTATUS\n");
            for s in list {
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    s.name, s.version, s.repository, s.status
                ));
            }
            out(&text)
        }
        DependencyCommand::Update(args) => {
            let message = format!("Updating the dependencies of {}", args.chart.display());
            let lock =
                crate::progress::spin(message, || dependency::update(&args.chart, &settings))
                    .with_context(|| {
                        format!("updating the dependencies of {}", args.chart.display())
                    })?;
            report_lock(&args.chart, &lock)
        }
        DependencyCommand::Build(args) => {
            let message = format!("Building the dependencies of {}", args.chart.display());
            let lock = crate::progress::spin(message, || dependency::build(&args.chart, &settings))
                .with_context(|| {
                    format!("building the dependencies of {}", args.chart.display())
                })?;
            report_lock(&args.chart, &lock)
        }
    }
}

fn report_lock(chart: &Path, lock: &chartsmith::downloader::dependency::Lock) -> Result<()> {
    let mut text = format!("Saving {} charts\n", lock.dependencies.len());
    for d in &lock.dependencies {
        text.push_str(&format!(
            "Vendored {} {} from {} into {}\n",
            d.name,
            d.version,
            d.repository,
            chart.join("charts").display()
        ));
    }
    out(&text)
}

fn run_pull(args: PullArgs) -> Result<()> {
    let settings = args.remote.settings();
    let pulled = crate::progress::spin(format!("Pulling {}", args.chart), || {
        chartsmith::downloader::pull(
            &settings,
            &args.chart,
            args.version.as_deref(),
            &args.destination,
            args.untar,
        )
    })?;
    if args.chart.starts_with("oci://") {
        out(&format!(
            "Pulled: {}\nDigest: {}\nSaved to: {}\n",
            args.chart.trim_start_matches("oci://"),
            pulled.digest,
            pulled.path.display()
        ))
    } else {
        out(&format!(
            "Pulled {} to {}\n",
            args.chart,
            pulled.path.display()
        ))
    }
}

fn run_push(args: PushArgs) -> Result<()> {
    let settings = args.remote.settings();
    let created = chartsmith::registry::created_timestamp(
        std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
    )?;
    let pushed = crate::progress::spin(format!("Pushing {}", args.archive.display()), || {
        chartsmith::registry::push(&settings, &args.archive, &args.namespace, &created)
    })
    .with_context(|| format!("pushing {}", args.archive.display()))?;
    out(&format!(
        "Pushed: {}\nDigest: {}\n",
        pushed.reference, pushed.digest
    ))
}

fn run_registry(command: RegistryCommand) -> Result<()> {
    match command {
        RegistryCommand::Login(args) => {
            let settings = args.remote.settings();
            let password = match (args.password, args.password_stdin) {
                (Some(p), _) => p,
                (None, true) => read_password_stdin()?,
                (None, false) => {
                    anyhow::bail!("give the password with --password-stdin (or --password)")
                }
            };
            let credentials = chartsmith::registry::Credentials {
                username: args.username,
                password,
            };
            crate::progress::spin(format!("Logging in to {}", args.host), || {
                chartsmith::registry::login(&settings, &args.host, &credentials)
            })?;
            out("Login Succeeded\n")
        }
        RegistryCommand::Logout(args) => {
            chartsmith::registry::logout(&globals().repo_settings(), &args.host)?;
            out(&format!("Removing login credentials for {}\n", args.host))
        }
    }
}

/// The password given on standard input (one line; the trailing newline is dropped).
fn read_password_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .context("reading the password from standard input")?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// `version`: Helm's `version.BuildInfo{…}` line, the bare version with `--short`, or the same
/// fields as JSON or YAML.
fn run_version(args: VersionArgs) -> Result<()> {
    let version = concat!("v", env!("CARGO_PKG_VERSION"));
    if args.short {
        return out(&format!("{version}\n"));
    }
    let info = serde_json::json!({
        "version": version,
        "rustVersion": env!("CARGO_PKG_RUST_VERSION"),
        "kube": cfg!(feature = "kube"),
    });
    match args.output {
        TableFormat::Table => out(&format!(
            "version.BuildInfo{{Version:\"{version}\", RustVersion:\"{}\", Kube:{}}}\n",
            env!("CARGO_PKG_RUST_VERSION"),
            cfg!(feature = "kube"),
        )),
        TableFormat::Json => out(&json(&info)?),
        TableFormat::Yaml => out(&chartsmith::yaml::to_string(&info)),
    }
}

/// `completion SHELL`: the shell's completion script for every verb and flag.
fn run_completion(args: CompletionArgs) -> Result<()> {
    use clap::CommandFactory as _;
    use clap_complete::Shell as Target;
    let shell = match args.shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Powershell => Target::PowerShell,
    };
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "chartsmith", &mut script);
    out(&String::from_utf8_lossy(&script))
}

/// `env`: chartsmith's settings, as `helm env` prints Helm's (the flags and environment
/// variables of this run applied).
fn run_env(args: EnvArgs) -> Result<()> {
    use clap::ValueEnum as _;
    let global = globals();
    let settings = global.repo_settings();
    let display =
        |p: Option<std::path::PathBuf>| p.map(|p| p.display().to_string()).unwrap_or_default();
    let driver = global
        .target
        .driver
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let mut vars: Vec<(&str, String)> = vec![
        (
            "CHARTSMITH_CACHE_DIR",
            settings.cache_dir.display().to_string(),
        ),
        (
            "CHARTSMITH_CONFIG_DIR",
            settings.config_dir.display().to_string(),
        ),
        ("CHARTSMITH_DEBUG", global.debug.to_string()),
        ("CHARTSMITH_DRIVER", driver),
        (
            "KUBECONFIG",
            display(global.target.kubeconfig.clone().or_else(|| {
                std::env::var_os("KUBECONFIG")
                    .filter(|v| !v.is_empty())
                    .map(Into::into)
            })),
        ),
        (
            "CHARTSMITH_KUBECONTEXT",
            global.target.kube_context.clone().unwrap_or_default(),
        ),
        (
            "CHARTSMITH_NAMESPACE",
            global.namespace.clone().unwrap_or_default(),
        ),
        (
            "CHARTSMITH_REGISTRY_CONFIG",
            settings.registry_config_file().display().to_string(),
        ),
        (
            "CHARTSMITH_REPOSITORY_CACHE",
            settings.index_dir().display().to_string(),
        ),
        (
            "CHARTSMITH_REPOSITORY_CONFIG",
            settings.repositories_file().display().to_string(),
        ),
        (
            "CHARTSMITH_STATE_DIR",
            global.target.state_dir().display().to_string(),
        ),
    ];
    vars.sort();
    if let Some(name) = &args.name {
        return match vars.iter().find(|(k, _)| k == name) {
            Some((_, value)) => out(&format!("{value}\n")),
            None => anyhow::bail!("no setting named {name}; chartsmith env lists them"),
        };
    }
    let object: serde_json::Map<String, serde_json::Value> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone().into()))
        .collect();
    match args.output {
        TableFormat::Table => out(&vars
            .iter()
            .map(|(k, v)| format!("{k}={v:?}\n"))
            .collect::<String>()),
        TableFormat::Json => out(&json(&serde_json::Value::Object(object))?),
        TableFormat::Yaml => out(&chartsmith::yaml::to_string(&serde_json::Value::Object(
            object,
        ))),
    }
}
