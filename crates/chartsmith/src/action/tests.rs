use std::path::Path;

use super::*;
use crate::cluster::DirectoryCluster;
use crate::storage::{LocalDriver, MemoryDriver};
use crate::values::strvals;

fn chart(version: &str) -> Chart {
    let file = |name: &str, text: &str| crate::chart::File {
        name: name.into(),
        data: text.as_bytes().to_vec(),
    };
    crate::chart::loader::from_files(
        vec![
            file(
                "Chart.yaml",
                &format!("apiVersion: v2\nname: app\nversion: {version}\nappVersion: \"1.0\"\n"),
            ),
            file("values.yaml", "replicas: 1\nextra: false\ncolor: blue\n"),
            file(
                "templates/deploy.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\nspec:\n  replicas: {{ Values.replicas }}\n",
            ),
            file(
                "templates/extra.yaml",
                "{% if Values.extra %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-extra\ndata:\n  color: {{ Values.color }}\n  revision: \"{{ Release.Revision }}\"\n{% endif %}",
            ),
            file(
                "templates/hook.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-weight: \"3\"\n",
            ),
            file("templates/NOTES.txt", "Installed {{ Release.Name }}."),
        ],
        "app",
        &crate::chart::loader::LoadOptions::default(),
    )
    .unwrap()
}

fn clock() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn values(pairs: &str) -> Values {
    let mut v = Values::new();
    for expression in pairs.split(',').filter(|p| !p.is_empty()) {
        strvals::parse_into(expression, strvals::SetKind::Set, &mut v).unwrap();
    }
    v
}

fn statuses(driver: &dyn Driver, name: &str) -> Vec<(u64, Status, String)> {
    driver
        .history(name)
        .unwrap()
        .into_iter()
        .map(|r| (r.version, r.info.status, r.info.description))
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn lifecycle_with_helms_statuses_and_descriptions() {
    let tmp = tempfile::tempdir().unwrap();
    let driver = MemoryDriver::default();
    let cluster = DirectoryCluster::StateDir(tmp.path().into());
    let config = Configuration {
        clock,
        ..Configuration::new(&driver, &cluster)
    };
    let options = DeployOptions::default();
    let dir = cluster.dir("web");

    let r1 = install(&config, "web", &chart("0.1.0"), &values(""), &options).unwrap();
    assert_eq!(r1.info.status, Status::Deployed);
    assert_eq!(r1.info.notes, "Installed web.");
    assert_eq!(r1.hooks[0].name, "web-migrate");
    assert_eq!(r1.info.first_deployed, Some(clock()));
    assert!(!r1.manifest.contains("helm.sh/hook"));
    assert_eq!(files(&dir), ["001-deployment-web.yaml"]);
    assert!(matches!(
        install(&config, "web", &chart("0.1.0"), &values(""), &options),
        Err(crate::Error::Action(ActionError::NameInUse(_)))
    ));

    let r2 = upgrade(
        &config,
        "web",
        &chart("0.2.0"),
        &values("extra=true,replicas=2"),
        &options,
    )
    .unwrap();
    assert_eq!(r2.version, 2);
    assert!(r2.manifest.contains("revision: \"2\""));
    assert_eq!(
        files(&dir),
        ["001-configmap-web-extra.yaml", "002-deployment-web.yaml"]
    );

    let r3 = rollback(&config, "web", Some(1), &RollbackOptions::default()).unwrap();
    assert_eq!(r3.version, 3);
    assert_eq!(r3.manifest, r1.manifest);
    assert_eq!(r3.chart.metadata.version, "0.1.0");
    assert_eq!(files(&dir), ["001-deployment-web.yaml"]);
    assert_eq!(
        statuses(&driver, "web"),
        [
            (1, Status::Superseded, "Install complete".into()),
            (2, Status::Superseded, "Upgrade complete".into()),
            (3, Status::Deployed, "Rollback to 1".into()),
        ]
    );

    let gone = uninstall(
        &config,
        "web",
        &UninstallOptions {
            keep_history: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(gone.info.status, Status::Uninstalled);
    assert_eq!(gone.info.deleted, Some(clock()));
    assert!(!dir.exists());
    assert!(list(&config, false).unwrap().is_empty());
    let all = list(&config, true).unwrap();
    assert_eq!(
        (all[0].version, all[0].info.status),
        (3, Status::Uninstalled)
    );
    assert!(matches!(
        upgrade(&config, "web", &chart("0.1.0"), &values(""), &options),
        Err(crate::Error::Action(ActionError::NoDeployedReleases(_)))
    ));
    uninstall(&config, "web", &UninstallOptions::default()).unwrap();
    assert!(driver.history("web").unwrap().is_empty());
}

#[test]
fn upgrade_values_follow_helms_reuse_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let driver = MemoryDriver::default();
    let cluster = DirectoryCluster::StateDir(tmp.path().into());
    let config = Configuration::new(&driver, &cluster);
    let opts = |values_mode| DeployOptions {
        values_mode,
        ..DeployOptions::default()
    };
    install(
        &config,
        "a",
        &chart("0.1.0"),
        &values("extra=true,color=red"),
        &opts(ValuesMode::Default),
    )
    .unwrap();
    // No values given: the current ones are reused.
    let r = upgrade(
        &config,
        "a",
        &chart("0.1.0"),
        &values(""),
        &opts(ValuesMode::Default),
    )
    .unwrap();
    assert_eq!(r.config, values("extra=true,color=red"));
    // Values given: only they count.
    let r = upgrade(
        &config,
        "a",
        &chart("0.1.0"),
        &values("replicas=3"),
        &opts(ValuesMode::Default),
    )
    .unwrap();
    assert_eq!(r.config, values("replicas=3"));
    assert!(!r.manifest.contains("ConfigMap"));
    // --reuse-values merges over the current values.
    let r = upgrade(
        &config,
        "a",
        &chart("0.1.0"),
        &values("extra=true"),
        &opts(ValuesMode::Reuse),
    )
    .unwrap();
    assert_eq!(r.config, values("extra=true,replicas=3"));
    assert!(r.manifest.contains("replicas: 3") && r.manifest.contains("color: blue"));
    // --reset-values forgets them.
    let r = upgrade(
        &config,
        "a",
        &chart("0.1.0"),
        &values("color=green"),
        &opts(ValuesMode::Reset),
    )
    .unwrap();
    assert_eq!(r.config, values("color=green"));
    // --reset-then-reuse-values: current values under the given ones.
    let r = upgrade(
        &config,
        "a",
        &chart("0.1.0"),
        &values("extra=true"),
        &opts(ValuesMode::ResetThenReuse),
    )
    .unwrap();
    assert_eq!(r.config, values("color=green,extra=true"));
    assert!(r.manifest.contains("color: green"));
}

#[test]
fn reuse_values_keeps_the_old_computed_defaults() {
    let current = Release {
        config: values("color=red"),
        chart: ReleaseChart {
            values: values("replicas=7,color=blue"),
            ..ReleaseChart::default()
        },
        ..Release::default()
    };
    let (chart, user) = upgrade_values(
        &chart("0.2.0"),
        &current,
        &values("replicas=2"),
        ValuesMode::Reuse,
    );
    assert_eq!(chart.values, values("replicas=7,color=red"));
    assert_eq!(user, values("replicas=2,color=red"));
}

#[test]
fn an_interrupted_upgrade_stays_pending_and_rollback_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let driver = LocalDriver::new(tmp.path());
    let cluster = DirectoryCluster::StateDir(tmp.path().into());
    let config = Configuration::new(&driver, &cluster);
    install(
        &config,
        "db",
        &chart("0.1.0"),
        &values(""),
        &DeployOptions::default(),
    )
    .unwrap();
    // Simulate a crash: the hook panics right after the pending revision is written.
    let crash = |_: &Release| panic!("killed");
    let crashing = Configuration {
        after_pending: Some(&crash),
        ..Configuration::new(&driver, &cluster)
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        upgrade(
            &crashing,
            "db",
            &chart("0.2.0"),
            &values("extra=true"),
            &DeployOptions::default(),
        )
    }));
    assert!(result.is_err());
    assert_eq!(
        get(&config, "db", None).unwrap().info.status,
        Status::PendingUpgrade
    );
    // The lock died with the operation, but the pending revision blocks another upgrade.
    let err = upgrade(
        &config,
        "db",
        &chart("0.2.0"),
        &values(""),
        &DeployOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("pending-upgrade"), "{err}");
    let r = rollback(&config, "db", None, &RollbackOptions::default()).unwrap();
    assert_eq!(
        (r.version, r.info.description.as_str()),
        (3, "Rollback to 1")
    );
    let s = statuses(&driver, "db");
    assert_eq!(s[0].1, Status::Superseded);
    assert_eq!(s[1].1, Status::Failed);
    assert_eq!(s[2].1, Status::Deployed);
    upgrade(
        &config,
        "db",
        &chart("0.2.0"),
        &values(""),
        &DeployOptions::default(),
    )
    .unwrap();
}

#[test]
fn a_held_lock_refuses_a_second_operation() {
    let driver = MemoryDriver::default();
    let cluster = DirectoryCluster::Fixed(tempfile::tempdir().unwrap().path().join("out"));
    let config = Configuration::new(&driver, &cluster);
    let _held = driver.lock("x", "upgrade").unwrap();
    let err = install(
        &config,
        "x",
        &chart("0.1.0"),
        &values(""),
        &DeployOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "another operation (upgrade) is in progress for release x"
    );
}

#[test]
fn history_max_prunes_but_keeps_the_deployed_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let driver = MemoryDriver::default();
    let cluster = DirectoryCluster::StateDir(tmp.path().into());
    let config = Configuration::new(&driver, &cluster);
    let options = DeployOptions {
        install: true,
        history_max: 2,
        ..DeployOptions::default()
    };
    for i in 0..5 {
        upgrade(
            &config,
            "p",
            &chart("0.1.0"),
            &values(&format!("replicas={i}")),
            &options,
        )
        .unwrap();
    }
    let versions: Vec<_> = driver
        .history("p")
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, [4, 5]);
    assert_eq!(history(&config, "p", 1).unwrap()[0].version, 5);
}

#[test]
fn dry_run_stores_nothing() {
    let driver = MemoryDriver::default();
    let cluster = DirectoryCluster::Fixed(tempfile::tempdir().unwrap().path().join("out"));
    let config = Configuration::new(&driver, &cluster);
    let options = DeployOptions {
        dry_run: true,
        install: true,
        ..DeployOptions::default()
    };
    let r = upgrade(&config, "d", &chart("0.1.0"), &values(""), &options).unwrap();
    assert_eq!(r.info.description, "Dry run complete");
    assert!(driver.list().unwrap().is_empty());
    assert!(!cluster.dir("d").exists());
}
