use std::path::Path;

use super::upgrade::upgrade_values;
use super::*;
use crate::chart::Chart;
use crate::cluster::testing::FakeCluster;
use crate::cluster::{DirectoryCluster, Target};
use crate::release::{Release, ReleaseChart, Status, Timestamp};
use crate::storage::{Driver, LocalDriver, MemoryDriver};
use crate::values::{Values, strvals};

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
        .history("default", name)
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
    let dir = cluster.dir("default", "web");

    let r1 = install(&config, "web", &chart("0.1.0"), &values(""), &options).unwrap();
    assert_eq!(r1.info.status, Status::Deployed);
    assert_eq!(r1.info.notes, "Installed web.");
    assert_eq!(r1.hooks[0].name, "web-migrate");
    assert_eq!(r1.info.first_deployed, Some(clock()));
    assert!(!r1.manifest.contains("helm.sh/hook"));
    assert_eq!(files(&dir), ["001-deployment-web.yaml"]);
    assert!(matches!(
        install(&config, "web", &chart("0.1.0"), &values(""), &options),
        Err(ActionError::NameInUse(_))
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

    let r3 = rollback(
        &config,
        "default",
        "web",
        Some(1),
        &RollbackOptions::default(),
    )
    .unwrap();
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
        "default",
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
    assert!(list(&config, None, false).unwrap().is_empty());
    let all = list(&config, None, true).unwrap();
    assert_eq!(
        (all[0].version, all[0].info.status),
        (3, Status::Uninstalled)
    );
    assert!(matches!(
        upgrade(&config, "web", &chart("0.1.0"), &values(""), &options),
        Err(ActionError::NoDeployedReleases(_))
    ));
    uninstall(&config, "default", "web", &UninstallOptions::default()).unwrap();
    assert!(driver.history("default", "web").unwrap().is_empty());
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
        get(&config, "default", "db", None).unwrap().info.status,
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
    let r = rollback(&config, "default", "db", None, &RollbackOptions::default()).unwrap();
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
    let _held = driver.lock("default", "x", "upgrade").unwrap();
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
        .history("default", "p")
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, [4, 5]);
    assert_eq!(history(&config, "default", "p", 1).unwrap()[0].version, 5);
}

#[test]
fn dry_run_stores_nothing() {
    let driver = MemoryDriver::default();
    let cluster = DirectoryCluster::Fixed(tempfile::tempdir().unwrap().path().join("out"));
    let config = Configuration::new(&driver, &cluster);
    let options = DeployOptions {
        dry_run: DryRun::Client,
        install: true,
        ..DeployOptions::default()
    };
    let r = upgrade(&config, "d", &chart("0.1.0"), &values(""), &options).unwrap();
    assert_eq!(r.info.description, "Dry run complete");
    assert!(driver.query(None).unwrap().is_empty());
    assert!(!cluster.dir("default", "d").exists());
}

fn fake_chart(extra_templates: &[(&str, &str)], crds: &[(&str, &str)]) -> Chart {
    let file = |name: &str, text: &str| crate::chart::File {
        name: name.into(),
        data: text.as_bytes().to_vec(),
    };
    let mut files = vec![
        file("Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
        file("values.yaml", "keepCache: false\nextra: true\n"),
        file(
            "templates/web.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ Release.Name }}-web\nspec:\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}-web\n",
        ),
        file(
            "templates/extra.yaml",
            "{% if Values.extra %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-extra\n{% endif %}",
        ),
        file(
            "templates/cache.yaml",
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {{ Release.Name }}-cache\n  annotations:\n    helm.sh/resource-policy: keep\n",
        ),
    ];
    for (name, text) in extra_templates {
        files.push(file(&format!("templates/{name}"), text));
    }
    for (name, text) in crds {
        files.push(file(&format!("crds/{name}"), text));
    }
    crate::chart::loader::from_files(files, "app", &crate::chart::loader::LoadOptions::default())
        .unwrap()
}

fn in_ns(namespace: &str) -> DeployOptions {
    DeployOptions {
        namespace: namespace.into(),
        ..DeployOptions::default()
    }
}

#[test]
fn the_same_name_lives_in_two_namespaces() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    cluster.create_namespace("apps", false).unwrap();
    let config = Configuration::new(&driver, &cluster);
    let chart = fake_chart(&[], &[]);
    install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    install(&config, "demo", &chart, &values(""), &in_ns("apps")).unwrap();
    upgrade(
        &config,
        "demo",
        &chart,
        &values("extra=false"),
        &in_ns("apps"),
    )
    .unwrap();
    let all: Vec<_> = list(&config, None, false)
        .unwrap()
        .into_iter()
        .map(|r| (r.namespace, r.name, r.version))
        .collect();
    assert_eq!(
        all,
        [
            ("apps".into(), "demo".into(), 2),
            ("default".into(), "demo".into(), 1)
        ]
    );
    assert_eq!(list(&config, Some("default"), false).unwrap().len(), 1);
    assert!(cluster.object("ConfigMap", "apps", "demo-extra").is_none());
    assert!(
        cluster
            .object("ConfigMap", "default", "demo-extra")
            .is_some()
    );
    uninstall(&config, "apps", "demo", &UninstallOptions::default()).unwrap();
    assert_eq!(get(&config, "default", "demo", None).unwrap().version, 1);
    assert!(get(&config, "apps", "demo", None).is_err());
}

#[test]
fn resources_are_stamped_applied_in_order_and_dropped_ones_deleted_except_kept() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n";
    let chart = fake_chart(&[], &[("widgets.yaml", crd)]);
    install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    assert_eq!(
        cluster.calls(),
        [
            "install_crds CustomResourceDefinition widgets.example.com",
            "apply ConfigMap demo-extra",
            "apply PersistentVolumeClaim demo-cache",
            "apply Service demo-web",
            "apply Deployment demo-web",
        ]
    );
    let svc = cluster.object("Service", "default", "demo-web").unwrap();
    assert_eq!(
        svc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );
    assert_eq!(
        svc["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "demo"
    );
    assert_eq!(
        svc["metadata"]["annotations"]["meta.helm.sh/release-namespace"],
        "default"
    );
    // The stored manifest is the templates' output, without the stamps (as Helm stores it).
    let stored = get(&config, "default", "demo", None).unwrap();
    assert!(!stored.manifest.contains("meta.helm.sh"));
    // An upgrade that drops the ConfigMap deletes it, and does not install CRDs again (first it
    // previews each resource for immutable fields).
    let before = cluster.calls().len();
    upgrade(
        &config,
        "demo",
        &chart,
        &values("extra=false"),
        &in_ns("default"),
    )
    .unwrap();
    assert_eq!(
        cluster.calls()[before..],
        [
            "preview PersistentVolumeClaim demo-cache",
            "preview Service demo-web",
            "preview Deployment demo-web",
            "apply PersistentVolumeClaim demo-cache",
            "apply Service demo-web",
            "apply Deployment demo-web",
            "delete ConfigMap demo-extra",
        ]
    );
    // Uninstall deletes in reverse order and keeps the PVC marked keep.
    let before = cluster.calls().len();
    uninstall(&config, "default", "demo", &UninstallOptions::default()).unwrap();
    assert_eq!(
        cluster.calls()[before..],
        ["delete Deployment demo-web", "delete Service demo-web"]
    );
    assert_eq!(
        cluster.objects(),
        [
            "PersistentVolumeClaim default/demo-cache",
            "CustomResourceDefinition widgets.example.com",
        ]
    );
}

#[test]
fn foreign_objects_conflict_unless_taken_over() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    cluster.insert(
        "default",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: demo-web\n  namespace: default\n",
    );
    let config = Configuration::new(&driver, &cluster);
    let chart = fake_chart(&[], &[]);
    let err = install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "Release \"demo\" failed: Service default/demo-web exists and cannot be imported into the current release: no release owns it"
        ),
        "{err}"
    );
    let r = get(&config, "default", "demo", None).unwrap();
    assert_eq!(r.info.status, Status::Failed);
    let options = DeployOptions {
        take_ownership: true,
        ..in_ns("default")
    };
    let r = upgrade(&config, "demo", &chart, &values(""), &options).unwrap();
    assert_eq!(r.info.status, Status::Deployed);
    let svc = cluster.object("Service", "default", "demo-web").unwrap();
    assert_eq!(
        svc["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "demo"
    );
}

#[test]
fn create_namespace_and_server_dry_run() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let chart = fake_chart(&[], &[]);
    // Without the namespace the API server refuses, and the failure is recorded.
    let err = install(&config, "demo", &chart, &values(""), &in_ns("apps")).unwrap_err();
    assert!(
        err.to_string().contains("namespace apps: not found"),
        "{err}"
    );
    assert_eq!(
        get(&config, "apps", "demo", None).unwrap().info.status,
        Status::Failed
    );
    uninstall(&config, "apps", "demo", &UninstallOptions::default()).unwrap();
    let real = DeployOptions {
        create_namespace: true,
        ..in_ns("apps")
    };
    install(&config, "demo", &chart, &values(""), &real).unwrap();
    assert!(
        cluster
            .calls()
            .contains(&"create_namespace apps".to_string())
    );
    assert!(cluster.object("Service", "apps", "demo-web").is_some());
    // --dry-run=server checks with the server and stores nothing.
    let before = cluster.objects();
    let dry = DeployOptions {
        dry_run: DryRun::Server,
        ..in_ns("apps")
    };
    let r = install(&config, "other", &chart, &values(""), &dry).unwrap();
    assert_eq!(r.info.description, "Dry run complete");
    assert!(driver.history("apps", "other").unwrap().is_empty());
    assert!(
        cluster
            .calls()
            .contains(&"apply Service other-web".to_string())
    );
    assert_eq!(cluster.objects(), before);
    // The server's verdict counts: a conflict fails the dry run.
    cluster.fail_on("apply", "other-web");
    assert!(install(&config, "other", &chart, &values(""), &dry).is_err());
    assert!(driver.history("apps", "other").unwrap().is_empty());
}

#[test]
fn a_cluster_failure_records_a_failed_revision_and_a_race_says_in_progress() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let chart = fake_chart(&[], &[]);
    install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    cluster.fail_on("apply", "demo-web");
    let err = upgrade(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Upgrade \"demo\" failed: Service demo-web: injected apply failure"
    );
    assert_eq!(
        statuses(&driver, "demo")
            .into_iter()
            .map(|s| s.1)
            .collect::<Vec<_>>(),
        [Status::Deployed, Status::Failed]
    );
    // Another process wrote the next revision between our read and our write.
    // Another process stored the revision this one is about to write (two machines raced past
    // each other's locks): storing it again is reported as an operation in progress.
    let err = super::deploy(
        &config,
        get(&config, "default", "demo", Some(2)).unwrap(),
        super::Deploy {
            operation: Operation::Upgrade,
            previous: &[],
            crds: Vec::new(),
            history_max: 0,
            apply: crate::cluster::ApplyOptions::default(),
            wait: None,
            wait_for_jobs: false,
            hook_timeout: None,
            no_hooks: false,
            cleanup_on_fail: false,
            replace: Vec::new(),
            done: String::new(),
        },
        |_| Ok(()),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("another operation is in progress for release demo"),
        "{err}"
    );
}

#[test]
fn templates_lookup_live_objects_through_the_target() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    cluster.insert(
        "default",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: existing\n  namespace: default\ndata:\n  password: c2VjcmV0\n",
    );
    let config = Configuration::new(&driver, &cluster);
    let chart = fake_chart(
        &[(
            "reuse.yaml",
            "{% set s = lookup(apiVersion=\"v1\", kind=\"Secret\", namespace=Release.Namespace, name=\"existing\") %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: reuse\ndata:\n  found: '{{ s | toJson }}'\n",
        )],
        &[],
    );
    let r = install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    assert!(
        r.manifest.contains("\"password\":\"c2VjcmV0\""),
        "{}",
        r.manifest
    );
    // Without a cluster, lookup is empty.
    let tmp = tempfile::tempdir().unwrap();
    let dir = DirectoryCluster::StateDir(tmp.path().into());
    let local = Configuration::new(&driver, &dir);
    let r = install(&local, "other", &chart, &values(""), &in_ns("default")).unwrap();
    assert!(r.manifest.contains("found: '{}'"), "{}", r.manifest);
}

#[test]
fn capabilities_come_from_the_server_and_flags_override() {
    let driver = MemoryDriver::default();
    let mut caps = crate::engine::Capabilities::new(Some("1.30.2"), &[]).unwrap();
    caps.api_versions = vec!["v1".into(), "example.com/v1".into()];
    let cluster = FakeCluster::new().with_capabilities(caps);
    let config = Configuration::new(&driver, &cluster);
    let live = config.capabilities(None, &[]).unwrap();
    assert_eq!(live.git_version(), "v1.30.2");
    assert_eq!(live.api_versions, ["v1", "example.com/v1"]);
    let flagged = config
        .capabilities(Some("1.29"), &["extra/v9".to_string()])
        .unwrap();
    assert_eq!(flagged.git_version(), "v1.29.0");
    assert_eq!(flagged.api_versions, ["v1", "example.com/v1", "extra/v9"]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = DirectoryCluster::StateDir(tmp.path().into());
    let local = Configuration::new(&driver, &dir);
    assert_eq!(
        local.capabilities(None, &[]).unwrap(),
        crate::engine::Capabilities::default()
    );
}

fn hooked_chart() -> Chart {
    fake_chart(
        &[
            (
                "migrate.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\n",
            ),
            (
                "seed.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-seed\n  annotations:\n    helm.sh/hook: post-install\n",
            ),
            (
                "goodbye.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ Release.Name }}-goodbye\n  annotations:\n    helm.sh/hook: pre-delete\n    helm.sh/hook-delete-policy: hook-succeeded\n",
            ),
        ],
        &[],
    )
}

#[test]
fn hooks_run_around_the_resources_by_event_weight_and_policy() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let r = install(
        &config,
        "demo",
        &hooked_chart(),
        &values(""),
        &in_ns("default"),
    )
    .unwrap();
    let calls = cluster.calls();
    let position = |call: &str| {
        calls
            .iter()
            .position(|c| c == call)
            .unwrap_or_else(|| panic!("no call {call:?} in {calls:?}"))
    };
    // pre-install: deleted (before-hook-creation), created, waited for, deleted (succeeded).
    assert_eq!(
        calls[..4],
        [
            "delete Job demo-migrate",
            "apply Job demo-migrate",
            "wait Job demo-migrate",
            "delete Job demo-migrate",
        ]
    );
    assert!(position("apply Deployment demo-web") < position("apply Job demo-seed"));
    assert!(position("wait Job demo-seed") > position("apply Job demo-seed"));
    // The seed Job has the default policy only: it stays.
    assert!(cluster.object("Job", "default", "demo-seed").is_some());
    assert!(cluster.object("Job", "default", "demo-migrate").is_none());
    let migrate = r.hooks.iter().find(|h| h.name == "demo-migrate").unwrap();
    assert_eq!(migrate.last_run.phase, "Succeeded");
    assert!(migrate.last_run.started_at.is_some() && migrate.last_run.completed_at.is_some());
    let stored = get(&config, "default", "demo", None).unwrap();
    assert_eq!(stored.hooks, r.hooks, "the runs are recorded");
    // Uninstall runs pre-delete first (policy hook-succeeded only: not deleted before).
    let before = cluster.calls().len();
    uninstall(&config, "default", "demo", &UninstallOptions::default()).unwrap();
    assert_eq!(
        cluster.calls()[before..before + 4],
        [
            "apply Pod demo-goodbye",
            "wait Pod demo-goodbye",
            "delete Pod demo-goodbye",
            "delete Deployment demo-web",
        ]
    );
}

#[test]
fn a_failed_hook_fails_the_release_and_rollback_on_failure_restores() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    // A failing pre-install hook: nothing else is applied, the revision is failed.
    cluster.fail_on("wait", "demo-migrate");
    let err = install(
        &config,
        "demo",
        &hooked_chart(),
        &values(""),
        &in_ns("default"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Release \"demo\" failed: hook Job demo-migrate (pre-install) failed"),
        "{err}"
    );
    assert!(
        cluster
            .object("Deployment", "default", "demo-web")
            .is_none()
    );
    assert_eq!(
        get(&config, "default", "demo", None).unwrap().info.status,
        Status::Failed
    );
    uninstall(&config, "default", "demo", &UninstallOptions::default()).unwrap();

    // --rollback-on-failure on install: uninstalled.
    let atomic = DeployOptions {
        rollback_on_failure: true,
        ..in_ns("default")
    };
    cluster.fail_on("apply", "demo-web");
    let err = install(&config, "demo", &fake_chart(&[], &[]), &values(""), &atomic).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "release demo failed, and has been uninstalled due to rollback-on-failure being set"
        ),
        "{err}"
    );
    assert!(driver.history("default", "demo").unwrap().is_empty());
    assert!(
        cluster
            .object("ConfigMap", "default", "demo-extra")
            .is_none()
    );

    // --rollback-on-failure on upgrade: back to the deployed revision.
    install(
        &config,
        "demo",
        &fake_chart(&[], &[]),
        &values(""),
        &in_ns("default"),
    )
    .unwrap();
    cluster.fail_on("apply", "demo-web");
    let err = upgrade(
        &config,
        "demo",
        &fake_chart(&[], &[]),
        &values("extra=false"),
        &atomic,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "release demo failed, and has been rolled back due to rollback-on-failure being set"
        ),
        "{err}"
    );
    assert_eq!(
        statuses(&driver, "demo")
            .into_iter()
            .map(|s| (s.0, s.1))
            .collect::<Vec<_>>(),
        [
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Deployed)
        ]
    );
    assert!(
        cluster
            .object("ConfigMap", "default", "demo-extra")
            .is_some()
    );
}

#[test]
fn the_directory_target_records_hooks_without_running_them() {
    let driver = MemoryDriver::default();
    let tmp = tempfile::tempdir().unwrap();
    let cluster = DirectoryCluster::StateDir(tmp.path().into());
    let config = Configuration::new(&driver, &cluster);
    let r = install(
        &config,
        "demo",
        &hooked_chart(),
        &values(""),
        &in_ns("default"),
    )
    .unwrap();
    assert_eq!(r.hooks.len(), 3);
    assert!(r.hooks.iter().all(|h| h.last_run.phase.is_empty()));
    assert!(
        files(&cluster.dir("default", "demo"))
            .iter()
            .all(|f| !f.contains("job"))
    );
}

#[test]
fn no_hooks_and_cleanup_on_fail() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let quiet = DeployOptions {
        no_hooks: true,
        ..in_ns("default")
    };
    install(
        &config,
        "demo",
        &hooked_chart(),
        &values("extra=false"),
        &quiet,
    )
    .unwrap();
    assert!(
        cluster.calls().iter().all(|c| !c.contains("Job")),
        "{:?}",
        cluster.calls()
    );
    // An upgrade that adds the ConfigMap fails on the Service: --cleanup-on-fail deletes what it
    // created (the ConfigMap), not what was there before.
    cluster.fail_on("apply", "demo-web");
    let cleanup = DeployOptions {
        cleanup_on_fail: true,
        ..quiet.clone()
    };
    upgrade(
        &config,
        "demo",
        &hooked_chart(),
        &values("extra=true"),
        &cleanup,
    )
    .unwrap_err();
    assert!(
        cluster
            .object("ConfigMap", "default", "demo-extra")
            .is_none()
    );
    assert!(
        cluster
            .object("PersistentVolumeClaim", "default", "demo-cache")
            .is_some()
    );
    assert!(
        cluster
            .calls()
            .contains(&"delete ConfigMap demo-extra".to_string())
    );
    // Without it the created object stays (Helm's default).
    cluster.fail_on("apply", "demo-web");
    upgrade(
        &config,
        "demo",
        &hooked_chart(),
        &values("extra=true"),
        &quiet,
    )
    .unwrap_err();
    assert!(
        cluster
            .object("ConfigMap", "default", "demo-extra")
            .is_some()
    );
}

fn selector_chart() -> Chart {
    let file = |name: &str, text: &str| crate::chart::File {
        name: name.into(),
        data: text.as_bytes().to_vec(),
    };
    crate::chart::loader::from_files(
        vec![
            file("Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
            file("values.yaml", "app: web\nreplicas: 2\npassword: old\n"),
            file(
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}-web\nspec:\n  replicas: {{ Values.replicas }}\n  selector:\n    matchLabels:\n      app: {{ Values.app }}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ Release.Name }}-db\ndata:\n  password: {{ Values.password | b64enc }}\n  user: {{ \"admin\" | b64enc }}\n",
            ),
        ],
        "app",
        &crate::chart::loader::LoadOptions::default(),
    )
    .unwrap()
}

#[test]
fn an_immutable_change_is_refused_up_front_unless_force_replace() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let chart = selector_chart();
    install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    let before = cluster.calls().len();
    let err = upgrade(
        &config,
        "demo",
        &chart,
        &values("app=web2"),
        &in_ns("default"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "upgrade refused, nothing was changed: Deployment demo-web: cannot change spec.selector (field is immutable); `--force-replace` deletes and recreates it"
    );
    assert!(
        cluster.calls()[before..]
            .iter()
            .all(|c| c.starts_with("preview")),
        "{:?}",
        &cluster.calls()[before..]
    );
    assert_eq!(statuses(&driver, "demo").len(), 1, "no revision is stored");

    let replace = DeployOptions {
        force_replace: true,
        ..in_ns("default")
    };
    let before = cluster.calls().len();
    upgrade(&config, "demo", &chart, &values("app=web2"), &replace).unwrap();
    let calls: Vec<_> = cluster.calls()[before..]
        .iter()
        .filter(|c| !c.starts_with("preview"))
        .cloned()
        .collect();
    assert_eq!(
        calls,
        [
            "delete Deployment demo-web",
            "wait_deleted Deployment demo-web",
            "apply Secret demo-db",
            "apply Deployment demo-web",
        ]
    );
    let live = cluster.object("Deployment", "default", "demo-web").unwrap();
    assert_eq!(live["spec"]["selector"]["matchLabels"]["app"], "web2");
}

#[test]
fn the_live_diff_shows_drift_refusals_and_masks_secrets() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let chart = selector_chart();
    install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    let diff = |set: &str| {
        diff_upgrade(
            &config,
            "demo",
            &chart,
            &values(set),
            &in_ns("default"),
            false,
        )
        .unwrap()
    };
    assert!(diff("").is_empty(), "{:?}", diff(""));

    // Someone scaled the Deployment: the same upgrade now changes it back, and says why.
    cluster.edit("Deployment", "default", "demo-web", |o| {
        o["spec"]["replicas"] = 5.into();
    });
    let changes = diff("");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (changes[0].change, changes[0].name.as_str()),
        ("changed", "demo-web")
    );
    assert_eq!(
        changes[0].drift,
        ["spec.replicas: 2 in the release, 5 on the cluster"]
    );
    assert!(
        changes[0].diff.contains("-  replicas: 5\n+  replicas: 2\n"),
        "{}",
        changes[0].diff
    );

    // A new password: masked on both sides, never in clear or base64.
    let changes = diff("password=new,replicas=5");
    assert_eq!(changes.len(), 2, "{changes:?}");
    // Scaled to what the upgrade asks for: the drift is still shown, but nothing changes.
    assert_eq!(changes[1].change, "unchanged");
    assert_eq!(changes[1].diff, "");
    let secret = &changes[0];
    assert_eq!(secret.kind, "Secret");
    for leaked in ["old", "new", "b2xk", "bmV3"] {
        assert!(!secret.diff.contains(leaked), "{leaked} in {}", secret.diff);
    }
    assert!(
        secret.diff.contains("-  password: -------- # (4 bytes)"),
        "{}",
        secret.diff
    );
    assert!(
        secret.diff.contains("+  password: ++++++++ # (4 bytes)"),
        "{}",
        secret.diff
    );
    assert!(
        secret.diff.contains("   user: REDACTED # (8 bytes)"),
        "{}",
        secret.diff
    );

    // A Secret edited on the cluster is drift, without its value.
    cluster.edit("Secret", "default", "demo-db", |o| {
        o["data"]["password"] = "aGFja2Vk".into();
    });
    let changes = diff("replicas=5");
    assert_eq!(changes[0].drift, ["data.password: changed on the cluster"]);
    assert!(!changes[0].diff.contains("aGFja2Vk"), "{}", changes[0].diff);

    // A selector change is marked as the refusal it will be.
    let changes = diff("app=web2,replicas=5");
    let deployment = changes.iter().find(|c| c.kind == "Deployment").unwrap();
    assert!(
        deployment
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("cannot change spec.selector (field is immutable)")),
        "{deployment:?}"
    );
    assert!(
        deployment.diff.contains("+      app: web2"),
        "{}",
        deployment.diff
    );
    assert_eq!(statuses(&driver, "demo").len(), 1, "a diff stores nothing");
}

#[test]
fn tests_run_in_hook_order_are_recorded_and_a_failure_keeps_the_logs() {
    let driver = MemoryDriver::default();
    let cluster = FakeCluster::new();
    let config = Configuration::new(&driver, &cluster);
    let test_hook = |name: &str, weight: i64| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: test\n    helm.sh/hook-weight: \"{weight}\"\n"
        )
    };
    let chart = fake_chart(
        &[
            ("test-b.yaml", &test_hook("smoke-b", 1)),
            ("test-a.yaml", &test_hook("smoke-a", 2)),
        ],
        &[],
    );
    install(&config, "demo", &chart, &values(""), &in_ns("default")).unwrap();
    let report = test(&config, "default", "demo", &TestOptions::default()).unwrap();
    assert!(report.failure.is_none());
    assert!(report.logs.is_empty(), "logs only when asked or failed");
    let applied: Vec<_> = cluster
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("apply Pod"))
        .collect();
    assert_eq!(applied, ["apply Pod smoke-b", "apply Pod smoke-a"]);
    let stored = get(&config, "default", "demo", None).unwrap();
    assert!(stored.hooks.iter().all(|h| h.last_run.phase == "Succeeded"));

    // --filter, and a failing test: the run stops, the failure and the logs are reported.
    cluster.fail_on("wait", "smoke-a");
    let only_a = TestOptions {
        filter: vec!["name=smoke-a".into()],
        ..TestOptions::default()
    };
    let report = test(&config, "default", "demo", &only_a).unwrap();
    let failure = report.failure.unwrap().to_string();
    assert!(
        failure.starts_with("release demo failed its tests: hook Pod smoke-a (test) failed"),
        "{failure}"
    );
    assert_eq!(report.logs.len(), 1);
    assert_eq!(report.logs[0].text, "log of Pod smoke-a\n");
    let stored = get(&config, "default", "demo", None).unwrap();
    let phase = |name: &str| {
        stored
            .hooks
            .iter()
            .find(|h| h.name == name)
            .unwrap()
            .last_run
            .phase
            .clone()
    };
    assert_eq!(
        (phase("smoke-a").as_str(), phase("smoke-b").as_str()),
        ("Failed", "Succeeded")
    );
    let bad = TestOptions {
        filter: vec!["smoke-a".into()],
        ..TestOptions::default()
    };
    assert!(matches!(
        test(&config, "default", "demo", &bad),
        Err(ActionError::InvalidFilter(_))
    ));
}
