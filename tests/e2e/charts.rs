//! The seed charts and what templates see, end to end on a real kube-apiserver (the control plane
//! of `tests/cluster/`): every chart of `charts/` and every environment file of it installed,
//! upgraded and uninstalled with the live objects checked after each step; `Capabilities` and
//! `lookup` from the cluster (and not without one); CRDs from `crds/` before the resources that
//! use them; `--history-max` on the Secret records; the ConfigMap driver, read back by helm; an
//! unavailable aggregated API (Helm installs anyway).
//!
//! The tests run in parallel on one cluster. The two that change what discovery serves (a CRD
//! created and deleted, an APIService) run alone: they hold [`exclusive`], every other test
//! [`shared`].

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chartsmith::cluster::{ApplyOptions, DeleteOptions, Owner, Resource, ResourceKey, ownership};
use chartsmith_kube::{Backend, RecordKind};
use chartsmith_tests::{
    backend, chartsmith, chartsmith_with_driver, configmap_chart, helm_with_env, kubeconfig, ok,
    stdout, unique_namespace,
};
use serde_json::{Value, json};

// --- the cluster, shared --------------------------------------------------------------------------

static CLUSTER: RwLock<()> = RwLock::new(());

/// For a test that leaves the cluster's API (discovery) as it is.
fn shared() -> RwLockReadGuard<'static, ()> {
    CLUSTER.read().unwrap_or_else(PoisonError::into_inner)
}

/// For a test that changes which API groups the server serves (CRDs, APIServices): while a group
/// comes or goes, the discovery of a concurrent chartsmith can fail (see
/// `an_unavailable_aggregated_api_does_not_stop_an_install`).
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    CLUSTER.write().unwrap_or_else(PoisonError::into_inner)
}

/// Waits (up to 30 s) until a fresh discovery of the cluster succeeds and serves `gone` no more.
fn wait_for_discovery_without(kc: &Path, gone: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let result = backend(kc, RecordKind::Secret).target().capabilities();
        match &result {
            Ok(Some(caps)) if !caps.api_versions.iter().any(|a| a == gone) => return,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "discovery after removing {gone}: {:?}",
            result.map(|c| c.map(|c| c.api_versions.len()))
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

// --- reading the cluster ------------------------------------------------------------------------

fn key(api_version: &str, kind: &str, name: &str) -> ResourceKey {
    ResourceKey {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: None,
        name: name.into(),
    }
}

/// The live object of `key` (in `ns` unless it names a namespace or is cluster-scoped).
fn live_key(b: &Backend, ns: &str, key: &ResourceKey) -> Option<Value> {
    let owner = Owner {
        name: String::new(),
        namespace: ns.to_string(),
    };
    b.target()
        .get(&owner, key)
        .unwrap_or_else(|e| panic!("get {key}: {e}"))
}

fn live(b: &Backend, ns: &str, api_version: &str, kind: &str, name: &str) -> Option<Value> {
    live_key(b, ns, &key(api_version, kind, name))
}

/// The revisions of `release`'s records of `kind` (`Secret`, `ConfigMap`) in `ns`, ascending,
/// from a LIST of the namespace: `sh.helm.release.v1.RELEASE.vN`, labelled `owner=helm`.
fn records(b: &Backend, ns: &str, kind: &str, release: &str) -> Vec<u64> {
    let list = b
        .target()
        .lookup()
        .unwrap()
        .lookup("v1", kind, ns, "")
        .unwrap();
    let prefix = format!("sh.helm.release.v1.{release}.v");
    let mut versions: Vec<u64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| {
            let name = item["metadata"]["name"].as_str()?;
            let version = name.strip_prefix(&prefix)?.parse().ok()?;
            assert_eq!(item["metadata"]["labels"]["owner"], "helm", "{name}");
            Some(version)
        })
        .collect();
    versions.sort_unstable();
    versions
}

/// The `status` label of record `version` of `release`.
fn record_status(b: &Backend, ns: &str, kind: &str, release: &str, version: u64) -> String {
    let name = format!("sh.helm.release.v1.{release}.v{version}");
    let record = live(b, ns, "v1", kind, &name).unwrap_or_else(|| panic!("{kind} {ns}/{name}"));
    record["metadata"]["labels"]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The objects of a manifest as `chartsmith get manifest` prints it (documents with `# Source:`
/// comments), each with its identity and the document as rendered.
fn manifest_objects(text: &str) -> Vec<(ResourceKey, Value)> {
    chartsmith::manifest::split_documents(text)
        .iter()
        .filter_map(|doc| {
            let object = chartsmith::yaml::from_str(doc, "manifest").unwrap();
            if object.is_null() {
                return None;
            }
            let field = |pointer: &str| {
                object
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{pointer} of:\n{doc}"))
                    .to_string()
            };
            let key = ResourceKey {
                api_version: field("/apiVersion"),
                kind: field("/kind"),
                namespace: object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                name: field("/metadata/name"),
            };
            Some((key, object))
        })
        .collect()
}

/// The release's manifest (`chartsmith get manifest`, secret driver).
fn release_objects(kc: &Path, ns: &str, release: &str) -> Vec<(ResourceKey, Value)> {
    let text = ok(
        chartsmith(kc, &["get", "manifest", release, "-n", ns]),
        "get manifest",
    );
    manifest_objects(&text)
}

/// Every object of the release's manifest exists live, carries Helm's ownership metadata, and was
/// created from this document (same kind); returns their identities.
fn assert_live_and_owned(b: &Backend, kc: &Path, ns: &str, release: &str) -> Vec<ResourceKey> {
    let objects = release_objects(kc, ns, release);
    assert!(!objects.is_empty(), "release {release} has no objects");
    for (key, _) in &objects {
        let object = live_key(b, ns, key).unwrap_or_else(|| panic!("{key} is not live"));
        let meta = &object["metadata"];
        assert_eq!(
            meta["annotations"]["meta.helm.sh/release-name"], release,
            "{key}"
        );
        assert_eq!(
            meta["annotations"]["meta.helm.sh/release-namespace"], ns,
            "{key}"
        );
        assert_eq!(
            meta["labels"]["app.kubernetes.io/managed-by"], "Helm",
            "{key}"
        );
        assert!(
            meta["deletionTimestamp"].is_null(),
            "{key} is being deleted"
        );
    }
    objects.into_iter().map(|(key, _)| key).collect()
}

/// Waits (up to 60 s) until none of `keys` is live: deletion propagates in the background, and a
/// claim keeps its `kubernetes.io/pvc-protection` finalizer until its pods are gone.
fn assert_gone(b: &Backend, ns: &str, keys: &[ResourceKey]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: Vec<String> = keys
            .iter()
            .filter(|k| live_key(b, ns, k).is_some())
            .map(ToString::to_string)
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still live 60 s after uninstall: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn seconds(since: Instant) -> String {
    format!("{:.1} s", since.elapsed().as_secs_f64())
}

// --- 1. the seed charts -------------------------------------------------------------------------

/// A value of a live object the upgrade changes: before and after.
struct Probe {
    api_version: &'static str,
    kind: &'static str,
    name: &'static str,
    pointer: &'static str,
    before: Value,
    after: Value,
}

/// One chart with one values setup.
struct Case {
    /// For the test's name and namespace.
    label: &'static str,
    release: &'static str,
    chart: &'static str,
    /// `-f` (an environment file of the chart).
    values_file: Option<&'static str>,
    /// `--set` on install and upgrade (credentials, node ports).
    set: Vec<String>,
    /// `--set` added on upgrade.
    upgrade: &'static str,
    probe: Probe,
    /// Checks of the environment after install (Service type, storage class...).
    check: fn(&Backend, &str),
}

fn no_check(_: &Backend, _: &str) {}

/// install into a new namespace, upgrade with a changed value, uninstall; the live objects and
/// the release Secrets checked after each step.
fn lifecycle(case: &Case) {
    let Some(kc) = kubeconfig(case.label) else {
        return;
    };
    let _cluster = shared();
    let started = Instant::now();
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace(case.label);
    let mut common: Vec<&str> = vec![case.release, case.chart, "-n", &ns];
    if let Some(file) = case.values_file {
        common.extend(["-f", file]);
    }
    for set in &case.set {
        common.extend(["--set", set.as_str()]);
    }
    let mut install = vec!["install"];
    install.extend(&common);
    install.push("--create-namespace");
    let out = ok(chartsmith(&kc, &install), "install");
    assert!(
        out.contains("STATUS: deployed") && out.contains("REVISION: 1"),
        "{out}"
    );
    let installed = assert_live_and_owned(&b, &kc, &ns, case.release);
    let p = &case.probe;
    let probe = |b: &Backend| {
        live(b, &ns, p.api_version, p.kind, p.name)
            .unwrap_or_else(|| panic!("{} {ns}/{}", p.kind, p.name))
            .pointer(p.pointer)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        probe(&b),
        p.before,
        "{} {}{} after install",
        p.kind,
        p.name,
        p.pointer
    );
    (case.check)(&b, &ns);
    assert_eq!(records(&b, &ns, "Secret", case.release), [1]);
    assert_eq!(
        record_status(&b, &ns, "Secret", case.release, 1),
        "deployed"
    );
    let after_install = seconds(started);

    let mut upgrade = vec!["upgrade"];
    upgrade.extend(&common);
    upgrade.extend(["--set", case.upgrade]);
    let out = ok(chartsmith(&kc, &upgrade), "upgrade");
    assert!(
        out.contains("STATUS: deployed") && out.contains("REVISION: 2"),
        "{out}"
    );
    assert_eq!(
        probe(&b),
        p.after,
        "{} {}{} after upgrade",
        p.kind,
        p.name,
        p.pointer
    );
    let upgraded = assert_live_and_owned(&b, &kc, &ns, case.release);
    assert_eq!(records(&b, &ns, "Secret", case.release), [1, 2]);
    assert_eq!(
        record_status(&b, &ns, "Secret", case.release, 1),
        "superseded"
    );
    assert_eq!(
        record_status(&b, &ns, "Secret", case.release, 2),
        "deployed"
    );
    let after_upgrade = seconds(started);

    let out = ok(
        chartsmith(&kc, &["uninstall", case.release, "-n", &ns]),
        "uninstall",
    );
    assert!(
        out.contains(&format!("release \"{}\" uninstalled", case.release)),
        "{out}"
    );
    assert_eq!(
        records(&b, &ns, "Secret", case.release),
        [] as [u64; 0],
        "release Secrets left after uninstall"
    );
    let mut all = installed;
    all.extend(upgraded);
    assert_gone(&b, &ns, &all);
    eprintln!(
        "{}: installed {after_install}, upgraded {after_upgrade}, uninstalled {}",
        case.label,
        seconds(started)
    );
}

fn image(name: &'static str, kind: &'static str, before: &str, after: &str) -> Probe {
    Probe {
        api_version: "apps/v1",
        kind,
        name,
        pointer: "/spec/template/spec/containers/0/image",
        before: json!(before),
        after: json!(after),
    }
}

fn replicas(name: &'static str) -> Probe {
    Probe {
        api_version: "apps/v1",
        kind: "Deployment",
        name,
        pointer: "/spec/replicas",
        before: json!(2),
        after: json!(3),
    }
}

fn mysql_credentials(prefix: &str) -> Vec<String> {
    vec![
        format!("{prefix}auth.rootPassword=test-root-password"),
        format!("{prefix}auth.password=test-app-password"),
    ]
}

#[test]
fn mysql_chart_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "mysql",
        release: "db",
        chart: "charts/mysql-chart",
        values_file: None,
        set: mysql_credentials(""),
        upgrade: "image.tag=5.7",
        probe: image("db-mysql-chart", "StatefulSet", "mysql:8.0", "mysql:5.7"),
        check: no_check,
    });
}

#[test]
fn flask_app_chart_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "flask",
        release: "web",
        chart: "charts/flask-app-chart",
        values_file: None,
        // The app needs the name of its MySQL Service.
        set: vec!["mysql.host=db-mysql-chart".into()],
        upgrade: "replicaCount=3",
        probe: replicas("web-flask-app-chart"),
        check: no_check,
    });
}

#[test]
fn mongodb_chart_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "mongo",
        release: "doc",
        chart: "charts/mongodb",
        values_file: None,
        set: vec!["auth.rootPassword=test-root-password".into()],
        upgrade: "image.tag=6.0",
        probe: image("doc-mongodb", "StatefulSet", "mongo:7.0", "mongo:6.0"),
        check: no_check,
    });
}

#[test]
fn redis_chart_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "redis",
        release: "cache",
        chart: "charts/redis",
        values_file: None,
        set: Vec::new(),
        upgrade: "image.tag=7.4",
        probe: image("cache-redis-master", "Deployment", "redis:7.2", "redis:7.4"),
        check: no_check,
    });
}

#[test]
fn two_tier_defaults_install_upgrade_and_uninstall() {
    lifecycle(&Case {
        label: "tt-default",
        release: "demo",
        chart: "charts/two-tier",
        values_file: None,
        set: mysql_credentials("mysql-chart."),
        upgrade: "flask-app-chart.replicaCount=3",
        probe: replicas("demo-flask-app-chart"),
        check: |b, ns| {
            let svc = live(b, ns, "v1", "Service", "demo-flask-app-chart").unwrap();
            assert_eq!(svc["spec"]["type"], "ClusterIP");
        },
    });
}

#[test]
fn two_tier_kind_installs_upgrades_and_uninstalls() {
    // The file's node port (30004) is the lifecycle test's of cluster.rs: one of our own.
    const PORT: u16 = 30044;
    lifecycle(&Case {
        label: "tt-kind",
        release: "demo",
        chart: "charts/two-tier",
        values_file: Some("charts/two-tier/values-kind.yaml"),
        set: vec![format!("flask-app-chart.service.nodePort={PORT}")],
        upgrade: "flask-app-chart.replicaCount=3",
        probe: replicas("demo-flask-app-chart"),
        check: |b, ns| {
            let svc = live(b, ns, "v1", "Service", "demo-flask-app-chart").unwrap();
            assert_eq!(svc["spec"]["type"], "NodePort");
            assert_eq!(svc["spec"]["ports"][0]["nodePort"], PORT);
            // MySQL as a Deployment with a claim of the default class (the write-up's layout).
            let claim =
                live(b, ns, "v1", "PersistentVolumeClaim", "demo-mysql-data").expect("the claim");
            assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "1Gi");
            assert!(live(b, ns, "apps/v1", "Deployment", "demo-mysql").is_some());
            assert!(live(b, ns, "apps/v1", "StatefulSet", "demo-mysql").is_none());
        },
    });
}

#[test]
fn two_tier_eks_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "tt-eks",
        release: "demo",
        chart: "charts/two-tier",
        values_file: Some("charts/two-tier/values-eks.yaml"),
        set: mysql_credentials("mysql-chart."),
        // The HorizontalPodAutoscaler owns the replica count here.
        upgrade: "flask-app-chart.autoscaling.maxReplicas=7",
        probe: Probe {
            api_version: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            name: "demo-flask-app-chart",
            pointer: "/spec/maxReplicas",
            before: json!(5),
            after: json!(7),
        },
        check: |b, ns| {
            // The API server accepts the LoadBalancer Service (and allocates its node port); the
            // address stays pending without a provisioner, which nothing waits for.
            let svc = live(b, ns, "v1", "Service", "demo-flask-app-chart").unwrap();
            assert_eq!(svc["spec"]["type"], "LoadBalancer");
            let port = svc["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
            assert!((30000..=32767).contains(&port), "{svc}");
            // MySQL's claim template asks for gp3 (the StorageClass is the cluster's: the chart
            // renders none).
            let sts = live(b, ns, "apps/v1", "StatefulSet", "demo-mysql").unwrap();
            assert_eq!(
                sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
                "gp3"
            );
            let deploy = live(b, ns, "apps/v1", "Deployment", "demo-flask-app-chart").unwrap();
            let volumes = deploy["spec"]["template"]["spec"]["volumes"].to_string();
            assert!(!volumes.contains("hostPath"), "{volumes}");
        },
    });
}

#[test]
fn two_tier_k3s_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "tt-k3s",
        release: "demo",
        chart: "charts/two-tier",
        values_file: Some("charts/two-tier/values-k3s.yaml"),
        set: mysql_credentials("mysql-chart."),
        upgrade: "flask-app-chart.replicaCount=3",
        probe: replicas("demo-flask-app-chart"),
        check: |b, ns| {
            let ingress = live(
                b,
                ns,
                "networking.k8s.io/v1",
                "Ingress",
                "demo-flask-app-chart",
            )
            .unwrap();
            assert_eq!(ingress["spec"]["ingressClassName"], "traefik");
            assert_eq!(ingress["spec"]["rules"][0]["host"], "flask-app.local");
            assert!(
                live(
                    b,
                    ns,
                    "networking.k8s.io/v1",
                    "NetworkPolicy",
                    "demo-flask-app-chart"
                )
                .is_some()
            );
            assert!(live(b, ns, "apps/v1", "Deployment", "demo-redis-master").is_some());
            let sts = live(b, ns, "apps/v1", "StatefulSet", "demo-mysql").unwrap();
            assert_eq!(
                sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
                "local-path"
            );
        },
    });
}

#[test]
fn efk_defaults_install_upgrade_and_uninstall() {
    lifecycle(&Case {
        label: "efk-default",
        release: "logs",
        chart: "charts/efk",
        values_file: None,
        set: Vec::new(),
        upgrade: "kibana.image.tag=8.15.4",
        probe: image(
            "logs-efk-kibana",
            "Deployment",
            "docker.elastic.co/kibana/kibana:8.15.3",
            "docker.elastic.co/kibana/kibana:8.15.4",
        ),
        check: |b, ns| {
            // Cluster-wide read access for the metadata filter, bound to the release's account.
            let binding = live(
                b,
                ns,
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                &format!("logs-efk-fluentd-{ns}"),
            )
            .unwrap();
            assert_eq!(binding["subjects"][0]["namespace"], ns);
            let ds = live(b, ns, "apps/v1", "DaemonSet", "logs-efk-fluentd").unwrap();
            assert_eq!(
                ds["spec"]["template"]["spec"]["tolerations"][0]["operator"],
                "Exists"
            );
        },
    });
}

#[test]
fn efk_eks_installs_upgrades_and_uninstalls() {
    lifecycle(&Case {
        label: "efk-eks",
        release: "logs",
        chart: "charts/efk",
        values_file: Some("charts/efk/values-eks.yaml"),
        set: Vec::new(),
        upgrade: "elasticsearch.heap=3g",
        probe: Probe {
            api_version: "apps/v1",
            kind: "StatefulSet",
            name: "logs-efk-elasticsearch",
            pointer: "/spec/template/spec/containers/0/env/3/value",
            before: json!("-Xms2g -Xmx2g"),
            after: json!("-Xms3g -Xmx3g"),
        },
        check: |b, ns| {
            let sts = live(b, ns, "apps/v1", "StatefulSet", "logs-efk-elasticsearch").unwrap();
            assert_eq!(
                sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
                "gp3"
            );
            let ingress =
                live(b, ns, "networking.k8s.io/v1", "Ingress", "logs-efk-kibana").unwrap();
            assert_eq!(ingress["spec"]["ingressClassName"], "alb");
        },
    });
}

/// A PersistentVolume bound ahead of time to `claim` in `ns` (the test control plane has no
/// provisioner), of StorageClass `class`.
fn volume_for(b: &Backend, name: &str, ns: &str, claim: &str, class: &str) {
    let text = format!(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: {name}\nspec:\n  capacity:\n    storage: 10Gi\n  accessModes: [ReadWriteOnce]\n  storageClassName: {class}\n  hostPath:\n    path: /tmp/{name}\n  claimRef:\n    namespace: {ns}\n    name: {claim}\n"
    );
    let manifest = chartsmith::manifest::Manifest {
        source: "test/pv.yaml".into(),
        content: text,
        api_version: "v1".into(),
        kind: "PersistentVolume".into(),
        name: name.into(),
        hook_events: Vec::new(),
        hook_weight: 0,
    };
    let owner = Owner {
        name: String::new(),
        namespace: ns.to_string(),
    };
    b.target()
        .apply(
            &owner,
            &[Resource::from_manifest(&manifest).unwrap()],
            &ApplyOptions::default(),
        )
        .unwrap();
}

#[test]
fn efk_kind_installs_with_wait_on_every_node() {
    let Some(kc) = kubeconfig("efk_kind_installs_with_wait_on_every_node") else {
        return;
    };
    let _cluster = shared();
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("efk-kind");
    let pv = format!("{ns}-es");
    volume_for(&b, &pv, &ns, "data-logs-efk-elasticsearch-0", "standard");
    let args = |verb: &'static str, extra: &[&'static str]| -> Vec<String> {
        let mut all: Vec<String> = [
            verb,
            "logs",
            "charts/efk",
            "-f",
            "charts/efk/values-kind.yaml",
            "-n",
            &ns,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        all.extend(extra.iter().map(|a| a.to_string()));
        all
    };
    let run = |a: Vec<String>| chartsmith(&kc, &a.iter().map(String::as_str).collect::<Vec<_>>());
    // --wait: the Elasticsearch StatefulSet ready (its claim bound), the Fluentd DaemonSet ready
    // on the node, Kibana available.
    ok(
        run(args(
            "install",
            &["--create-namespace", "--wait", "--timeout", "120s"],
        )),
        "install --wait",
    );
    let sts = live(&b, &ns, "apps/v1", "StatefulSet", "logs-efk-elasticsearch").unwrap();
    assert_eq!(sts["status"]["readyReplicas"], 1, "{sts}");
    let claim = live(
        &b,
        &ns,
        "v1",
        "PersistentVolumeClaim",
        "data-logs-efk-elasticsearch-0",
    )
    .unwrap();
    assert_eq!(claim["status"]["phase"], "Bound");
    let ds = live(&b, &ns, "apps/v1", "DaemonSet", "logs-efk-fluentd").unwrap();
    let desired = ds["status"]["desiredNumberScheduled"].as_i64().unwrap();
    assert!(desired >= 1, "{ds}");
    assert_eq!(ds["status"]["numberReady"].as_i64(), Some(desired), "{ds}");
    let kibana = live(&b, &ns, "apps/v1", "Deployment", "logs-efk-kibana").unwrap();
    assert_eq!(kibana["status"]["availableReplicas"], 1, "{kibana}");
    assert!(
        live(
            &b,
            &ns,
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            &format!("logs-efk-fluentd-{ns}")
        )
        .is_some()
    );
    let checksum =
        |ds: &Value| ds["spec"]["template"]["metadata"]["annotations"]["checksum/config"].clone();
    let before = checksum(&ds);

    // A new Fluentd configuration rolls the DaemonSet; --wait follows it.
    ok(
        run(args(
            "upgrade",
            &[
                "--set",
                "fluentd.indexPrefix=blog",
                "--wait",
                "--timeout",
                "120s",
            ],
        )),
        "upgrade --wait",
    );
    let ds = live(&b, &ns, "apps/v1", "DaemonSet", "logs-efk-fluentd").unwrap();
    assert_ne!(checksum(&ds), before);
    let cm = live(&b, &ns, "v1", "ConfigMap", "logs-efk-fluentd").unwrap();
    assert!(
        cm["data"]["fluent.conf"]
            .as_str()
            .unwrap()
            .contains("logstash_prefix blog")
    );

    ok(
        chartsmith(
            &kc,
            &["uninstall", "logs", "-n", &ns, "--wait", "--timeout", "60s"],
        ),
        "uninstall --wait",
    );
    assert!(
        live(
            &b,
            &ns,
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            &format!("logs-efk-fluentd-{ns}")
        )
        .is_none()
    );
    // The volume stays (Released): cluster-scoped, it goes with the test cluster.
}

/// The list above covers every chart directory and every environment file: a chart or a
/// `values-*.yaml` added to `charts/` without a case here fails this test.
#[test]
fn every_seed_chart_and_environment_file_has_a_case() {
    let covered = [
        "efk",
        "efk/values-eks.yaml",
        "efk/values-kind.yaml",
        "flask-app-chart",
        "mongodb",
        "mysql-chart",
        "redis",
        "two-tier",
        "two-tier/values-eks.yaml",
        "two-tier/values-k3s.yaml",
        "two-tier/values-kind.yaml",
    ];
    let mut found = Vec::new();
    let charts = chartsmith_tests::repo().join("charts");
    for entry in std::fs::read_dir(&charts).unwrap() {
        let entry = entry.unwrap();
        if !entry.path().join("Chart.yaml").exists() {
            continue;
        }
        let chart = entry.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap().file_name().to_string_lossy().into_owned();
            if file.starts_with("values-") && file.ends_with(".yaml") {
                found.push(format!("{chart}/{file}"));
            }
        }
        found.push(chart);
    }
    found.sort();
    assert_eq!(found, covered);
}

// --- 2. Capabilities and lookup -----------------------------------------------------------------

/// A chart whose ConfigMap records what its template saw of the cluster.
fn capabilities_chart(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: caps\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("templates/seen.yaml"),
        r#"{%- set seed = lookup(apiVersion="v1", kind="Secret", namespace=Release.Namespace, name="seed") %}
{%- set absent = lookup(apiVersion="v1", kind="Secret", namespace=Release.Namespace, name="absent") %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ Release.Name }}-seen
data:
  version: {{ Capabilities.KubeVersion.Version | quote }}
  gitVersion: {{ Capabilities.KubeVersion.GitVersion | quote }}
  major: {{ Capabilities.KubeVersion.Major | quote }}
  minor: {{ Capabilities.KubeVersion.Minor | quote }}
  appsV1: {{ ("apps/v1" in Capabilities.APIVersions) | quote }}
  deployment: {{ ("apps/v1/Deployment" in Capabilities.APIVersions) | quote }}
  extra: {{ ("chartsmith.test/v9" in Capabilities.APIVersions) | quote }}
  {%- if seed %}
  seed: {{ seed.data.token | b64dec | quote }}
  seedName: {{ seed.metadata.name | quote }}
  {%- else %}
  seed: "(empty)"
  {%- endif %}
  absent: {{ absent | length | quote }}
"#,
    )
    .unwrap();
    dir.to_str().unwrap().to_string()
}

/// The data of the one ConfigMap of a manifest.
fn configmap_data(manifest: &str) -> Value {
    let objects = manifest_objects(manifest);
    assert_eq!(objects.len(), 1, "{manifest}");
    assert_eq!(objects[0].0.kind, "ConfigMap", "{manifest}");
    objects[0].1["data"].clone()
}

/// A Secret applied straight through the target, as a user's `kubectl apply` would create it.
fn apply_secret(b: &Backend, ns: &str, name: &str, token: &str) {
    let owner = Owner {
        name: String::new(),
        namespace: ns.to_string(),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(token);
    let manifest = chartsmith::manifest::Manifest {
        source: "test".into(),
        content: format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\ndata:\n  token: {data}\n"
        ),
        api_version: "v1".into(),
        kind: "Secret".into(),
        name: name.into(),
        hook_events: Vec::new(),
        hook_weight: 0,
    };
    let resource = Resource::from_manifest(&manifest).unwrap();
    b.target()
        .apply(&owner, &[resource], &ApplyOptions::default())
        .unwrap();
}

#[test]
fn templates_see_the_clusters_version_api_versions_and_objects() {
    let Some(kc) = kubeconfig("templates_see_the_cluster") else {
        return;
    };
    let _cluster = shared();
    let started = Instant::now();
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("caps");
    b.target().create_namespace(&ns, false).unwrap();
    apply_secret(&b, &ns, "seed", "s3cr3t-token");
    let tmp = tempfile::tempdir().unwrap();
    let chart = capabilities_chart(&tmp.path().join("caps"));

    ok(
        chartsmith(&kc, &["install", "live", &chart, "-n", &ns]),
        "install",
    );
    let manifest = ok(
        chartsmith(&kc, &["get", "manifest", "live", "-n", &ns]),
        "get manifest",
    );
    let seen = configmap_data(&manifest);
    // The server's version from /version (the test plane is v1.34.3), not the default v1.35.0.
    assert_eq!(seen["version"], "v1.34.3", "{manifest}");
    assert_eq!(seen["gitVersion"], "v1.34.3", "{manifest}");
    assert_eq!(seen["major"], "1");
    assert_eq!(seen["minor"], "34");
    // Discovery: group/versions and group/version/Kind, as Helm lists them.
    assert_eq!(seen["appsV1"], "true", "{manifest}");
    assert_eq!(seen["deployment"], "true", "{manifest}");
    assert_eq!(seen["extra"], "false", "{manifest}");
    // lookup read the live Secret; a missing one is an empty map.
    assert_eq!(seen["seed"], "s3cr3t-token", "{manifest}");
    assert_eq!(seen["seedName"], "seed", "{manifest}");
    assert_eq!(seen["absent"], "0", "{manifest}");
    // What was recorded is what is live.
    let cm = live(&b, &ns, "v1", "ConfigMap", "live-seen").unwrap();
    assert_eq!(cm["data"], seen);

    // --kube-version replaces the server's version; --api-versions adds to discovery's.
    ok(
        chartsmith(
            &kc,
            &[
                "install",
                "older",
                &chart,
                "-n",
                &ns,
                "--kube-version",
                "1.30.0",
                "--api-versions",
                "chartsmith.test/v9",
            ],
        ),
        "install --kube-version",
    );
    let manifest = ok(
        chartsmith(&kc, &["get", "manifest", "older", "-n", &ns]),
        "get manifest",
    );
    let seen = configmap_data(&manifest);
    assert_eq!(seen["version"], "v1.30.0", "{manifest}");
    assert_eq!(seen["minor"], "30", "{manifest}");
    assert_eq!(seen["deployment"], "true", "{manifest}");
    assert_eq!(seen["extra"], "true", "{manifest}");
    assert_eq!(seen["seed"], "s3cr3t-token", "{manifest}");

    // Without a cluster (the local driver): Helm's defaults, and lookup finds nothing.
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    ok(
        chartsmith(
            &kc,
            &[
                "install",
                "offline",
                &chart,
                "-n",
                &ns,
                "--driver",
                "local",
                "--state-dir",
                state_dir,
            ],
        ),
        "install --driver local",
    );
    let manifest = ok(
        chartsmith(
            &kc,
            &[
                "get",
                "manifest",
                "offline",
                "-n",
                &ns,
                "--driver",
                "local",
                "--state-dir",
                state_dir,
            ],
        ),
        "get manifest --driver local",
    );
    let seen = configmap_data(&manifest);
    assert_eq!(seen["version"], "v1.35.0", "{manifest}");
    assert_eq!(seen["appsV1"], "true", "{manifest}");
    assert_eq!(seen["deployment"], "false", "{manifest}");
    assert_eq!(seen["seed"], "(empty)", "{manifest}");
    assert_eq!(seen["absent"], "0", "{manifest}");
    assert!(
        live(&b, &ns, "v1", "ConfigMap", "offline-seen").is_none(),
        "the local driver wrote to the cluster"
    );
    eprintln!("templates_see_the_cluster: {}", seconds(started));
}

// --- 3. CRDs ------------------------------------------------------------------------------------

const CRD: &str = "widgets.example.com";

fn crd_chart(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::create_dir_all(dir.join("crds")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: widgets\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "size: 3\n").unwrap();
    std::fs::write(
        dir.join("crds/widgets.yaml"),
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
",
    )
    .unwrap();
    std::fs::write(
        dir.join("templates/widget.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ Release.Name }}-widget\nspec:\n  size: {{ Values.size }}\n",
    )
    .unwrap();
    dir.to_str().unwrap().to_string()
}

fn crd_key() -> ResourceKey {
    key("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD)
}

/// Deletes the CRD left by an earlier run on this cluster (a CRD outlives its release). The
/// target deletes only what an owner holds, so the CRD is stamped for a cleanup owner first.
fn remove_crd(b: &Backend) {
    if live_key(b, "", &crd_key()).is_none() {
        return;
    }
    let owner = Owner {
        name: "chartsmith-tests-cleanup".into(),
        namespace: String::new(),
    };
    let manifest = chartsmith::manifest::Manifest {
        source: "cleanup".into(),
        content: format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {CRD}\n"
        ),
        api_version: "apiextensions.k8s.io/v1".into(),
        kind: "CustomResourceDefinition".into(),
        name: CRD.into(),
        hook_events: Vec::new(),
        hook_weight: 0,
    };
    let mut resource = Resource::from_manifest(&manifest).unwrap();
    ownership::stamp(&mut resource, &owner);
    let options = ApplyOptions {
        // A manager of its own, so that the chart's fields (spec) stay.
        field_manager: "chartsmith-tests-cleanup".into(),
        take_ownership: true,
        ..ApplyOptions::default()
    };
    b.target()
        .apply(&owner, std::slice::from_ref(&resource), &options)
        .unwrap();
    b.target()
        .delete(&owner, &[resource], &DeleteOptions::default())
        .unwrap();
    assert_gone(b, "", &[crd_key()]);
}

/// [`remove_crd`], then waits until discovery no longer serves its group.
fn remove_crd_and_wait(kc: &Path, b: &Backend) {
    remove_crd(b);
    wait_for_discovery_without(kc, "example.com/v1");
}

fn established(crd: &Value) -> bool {
    crd["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
    })
}

#[test]
fn crds_are_installed_and_established_first_and_kept_on_uninstall() {
    let Some(kc) = kubeconfig("crds") else {
        return;
    };
    let _cluster = exclusive();
    let started = Instant::now();
    let b = backend(&kc, RecordKind::Secret);
    // Left by an earlier run on this cluster (a CRD outlives its release): the install must
    // create it.
    remove_crd_and_wait(&kc, &b);
    let ns = unique_namespace("crd");
    let tmp = tempfile::tempdir().unwrap();
    let chart = crd_chart(&tmp.path().join("widgets"));

    // On a cluster that does not know Widgets: the install succeeds only if the CRD is created
    // and established (and discovery refreshed) before the Widget is applied.
    ok(
        chartsmith(
            &kc,
            &["install", "w", &chart, "-n", &ns, "--create-namespace"],
        ),
        "install",
    );
    let crd = live_key(&b, &ns, &crd_key()).expect("the CRD");
    assert!(established(&crd), "{crd}");
    let uid = crd["metadata"]["uid"].clone();
    let widget = live(&b, &ns, "example.com/v1", "Widget", "w-widget").expect("the Widget");
    assert_eq!(widget["spec"]["size"], 3);
    assert_eq!(
        widget["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "w"
    );
    // As in Helm, crds/ is not part of the release's manifest.
    let objects = release_objects(&kc, &ns, "w");
    assert_eq!(
        objects
            .iter()
            .map(|(k, _)| k.kind.as_str())
            .collect::<Vec<_>>(),
        ["Widget"]
    );

    ok(
        chartsmith(&kc, &["upgrade", "w", &chart, "-n", &ns, "--set", "size=5"]),
        "upgrade",
    );
    let widget = live(&b, &ns, "example.com/v1", "Widget", "w-widget").unwrap();
    assert_eq!(widget["spec"]["size"], 5);
    let crd = live_key(&b, &ns, &crd_key()).expect("the CRD after upgrade");
    assert_eq!(crd["metadata"]["uid"], uid, "the upgrade replaced the CRD");

    ok(chartsmith(&kc, &["uninstall", "w", "-n", &ns]), "uninstall");
    assert_gone(&b, &ns, &[key("example.com/v1", "Widget", "w-widget")]);
    let crd = live_key(&b, &ns, &crd_key()).expect("uninstall removed the CRD");
    assert_eq!(crd["metadata"]["uid"], uid);
    assert!(crd["metadata"]["deletionTimestamp"].is_null(), "{crd}");
    assert_eq!(records(&b, &ns, "Secret", "w"), [] as [u64; 0]);
    // Leave the cluster as found.
    remove_crd_and_wait(&kc, &b);
    eprintln!("crds: {}", seconds(started));
}

// --- 4. --history-max ---------------------------------------------------------------------------

#[test]
fn history_max_prunes_the_oldest_release_secrets() {
    let Some(kc) = kubeconfig("history_max") else {
        return;
    };
    let _cluster = shared();
    let started = Instant::now();
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("hmax");
    let tmp = tempfile::tempdir().unwrap();
    let chart = configmap_chart(tmp.path());
    ok(
        chartsmith(
            &kc,
            &[
                "install",
                "hm",
                &chart,
                "-n",
                &ns,
                "--create-namespace",
                "--history-max",
                "2",
            ],
        ),
        "install",
    );
    assert_eq!(records(&b, &ns, "Secret", "hm"), [1]);
    for (i, expected) in [[1, 2], [2, 3], [3, 4], [4, 5]].iter().enumerate() {
        let color = format!("color=c{i}");
        ok(
            chartsmith(
                &kc,
                &[
                    "upgrade",
                    "hm",
                    &chart,
                    "-n",
                    &ns,
                    "--history-max",
                    "2",
                    "--set",
                    &color,
                ],
            ),
            "upgrade",
        );
        assert_eq!(records(&b, &ns, "Secret", "hm"), expected, "upgrade {i}");
    }
    assert_eq!(record_status(&b, &ns, "Secret", "hm", 4), "superseded");
    assert_eq!(record_status(&b, &ns, "Secret", "hm", 5), "deployed");
    let history: Vec<Value> = serde_json::from_str(&ok(
        chartsmith(&kc, &["history", "hm", "-n", &ns, "-o", "json"]),
        "history",
    ))
    .unwrap();
    let rows: Vec<_> = history
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(4, "superseded"), (5, "deployed")]);
    let cm = live(&b, &ns, "v1", "ConfigMap", "shared").unwrap();
    assert_eq!(cm["data"]["color"], "c3");
    eprintln!("history_max: {}", seconds(started));
}

// --- 5. the ConfigMap driver --------------------------------------------------------------------

#[test]
fn the_configmap_driver_keeps_helms_records_in_configmaps() {
    let Some(kc) = kubeconfig("configmap_driver") else {
        return;
    };
    let _cluster = shared();
    let started = Instant::now();
    let b = backend(&kc, RecordKind::ConfigMap);
    let ns = unique_namespace("cmdrv");
    let tmp = tempfile::tempdir().unwrap();
    let chart = configmap_chart(&tmp.path().join("cm"));
    let cs = |args: &[&str]| chartsmith_with_driver(&kc, "configmap", args);
    let out = ok(
        cs(&["install", "cfg", &chart, "-n", &ns, "--create-namespace"]),
        "install",
    );
    assert!(out.contains("(driver configmap)"), "{out}");
    let record = live(&b, &ns, "v1", "ConfigMap", "sh.helm.release.v1.cfg.v1")
        .expect("the release ConfigMap");
    for (label, value) in [
        ("owner", "helm"),
        ("name", "cfg"),
        ("status", "deployed"),
        ("version", "1"),
    ] {
        assert_eq!(record["metadata"]["labels"][label], value, "label {label}");
    }
    assert!(
        record["data"]["release"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{record}"
    );
    assert_eq!(records(&b, &ns, "Secret", "cfg"), [] as [u64; 0]);
    assert!(live(&b, &ns, "v1", "ConfigMap", "shared").is_some());
    // The Secret driver is another store: it does not see the release.
    let secrets = ok(chartsmith(&kc, &["list", "-n", &ns, "-a"]), "list (secret)");
    assert!(!secrets.contains("cfg"), "{secrets}");

    let home = tempfile::tempdir().unwrap();
    let helm =
        |args: &[&str]| helm_with_env(&kc, home.path(), &[("HELM_DRIVER", "configmap")], args);
    if let Some(list) = helm(&["list", "-n", &ns]) {
        let list = ok(list, "helm list");
        assert!(
            list.lines()
                .any(|l| l.starts_with("cfg") && l.contains("deployed") && l.contains("cm-0.1.0")),
            "{list}"
        );
        let status = ok(helm(&["status", "cfg", "-n", &ns]).unwrap(), "helm status");
        assert!(
            status.contains("REVISION: 1") && status.contains("STATUS: deployed"),
            "{status}"
        );
    } else {
        eprintln!("configmap_driver: HELM_BIN is not set, helm's side skipped");
    }

    ok(
        cs(&["upgrade", "cfg", &chart, "-n", &ns, "--set", "color=red"]),
        "upgrade",
    );
    assert_eq!(records(&b, &ns, "ConfigMap", "cfg"), [1, 2]);
    assert_eq!(record_status(&b, &ns, "ConfigMap", "cfg", 1), "superseded");
    assert_eq!(record_status(&b, &ns, "ConfigMap", "cfg", 2), "deployed");
    if let Some(history) = helm(&["history", "cfg", "-n", &ns]) {
        let history = ok(history, "helm history");
        assert_eq!(history.lines().count(), 3, "{history}");
    }
    let status = ok(cs(&["status", "cfg", "-n", &ns]), "status");
    assert!(status.contains("REVISION: 2"), "{status}");

    ok(cs(&["uninstall", "cfg", "-n", &ns]), "uninstall");
    assert_eq!(records(&b, &ns, "ConfigMap", "cfg"), [] as [u64; 0]);
    assert_gone(&b, &ns, &[key("v1", "ConfigMap", "shared")]);
    if let Some(list) = helm(&["list", "-n", &ns, "-a"]) {
        let list = stdout(&list);
        assert!(!list.contains("cfg"), "{list}");
    }
    eprintln!("configmap_driver: {}", seconds(started));
}

// --- 6. an unavailable aggregated API -----------------------------------------------------------

const BROKEN_GROUP: &str = "broken.chartsmith.test";

/// An APIService whose Service does not exist, as a cluster has one while its metrics-server (or
/// any extension API server) is down: `/apis` lists the group, its discovery answers 503.
fn broken_apiservice(owner: &Owner) -> Resource {
    let manifest = chartsmith::manifest::Manifest {
        source: "test".into(),
        content: format!(
            "apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.{BROKEN_GROUP}
spec:
  group: {BROKEN_GROUP}
  version: v1
  groupPriorityMinimum: 1000
  versionPriority: 15
  insecureSkipTLSVerify: true
  service:
    namespace: default
    name: chartsmith-tests-no-such-service
    port: 443
"
        ),
        api_version: "apiregistration.k8s.io/v1".into(),
        kind: "APIService".into(),
        name: format!("v1.{BROKEN_GROUP}"),
        hook_events: Vec::new(),
        hook_weight: 0,
    };
    let mut resource = Resource::from_manifest(&manifest).unwrap();
    ownership::stamp(&mut resource, owner);
    resource
}

/// Deletes the APIService when the test ends, passed or not, and waits until discovery works
/// again for the tests after it.
struct RemoveOnDrop<'a> {
    kc: &'a Path,
    b: &'a Backend,
    owner: Owner,
}

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        // The backend resolved APIService before the broken one existed: its cached discovery
        // still works.
        let resource = broken_apiservice(&self.owner);
        if let Err(e) = self
            .b
            .target()
            .delete(&self.owner, &[resource], &DeleteOptions::default())
        {
            eprintln!("could not delete APIService v1.{BROKEN_GROUP}: {e}");
        }
        wait_for_discovery_without(self.kc, &format!("{BROKEN_GROUP}/v1"));
    }
}

/// Helm reads the server's API versions with client-go's discovery, which reports a group that
/// fails as `ErrGroupDiscoveryFailed`; Helm then warns and goes on with the groups it has. One
/// unavailable extension API must not stop every install.
#[test]
fn an_unavailable_aggregated_api_does_not_stop_an_install() {
    let Some(kc) = kubeconfig("unavailable_apiservice") else {
        return;
    };
    let _cluster = exclusive();
    let started = Instant::now();
    let b = backend(&kc, RecordKind::Secret);
    let owner = Owner {
        name: "chartsmith-tests".into(),
        namespace: String::new(),
    };
    let resource = broken_apiservice(&owner);
    b.target()
        .apply(&owner, &[resource], &ApplyOptions::default())
        .unwrap();
    let _remove = RemoveOnDrop {
        kc: &kc,
        b: &b,
        owner: owner.clone(),
    };
    // The aggregator marks it unavailable once it has looked for the Service.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let api = live(
            &b,
            "",
            "apiregistration.k8s.io/v1",
            "APIService",
            &format!("v1.{BROKEN_GROUP}"),
        )
        .unwrap();
        let conditions = api["status"]["conditions"].to_string();
        if conditions.contains("\"Available\"") && conditions.contains("\"False\"") {
            break;
        }
        assert!(Instant::now() < deadline, "{api}");
        std::thread::sleep(Duration::from_millis(250));
    }

    let ns = unique_namespace("apisvc");
    let tmp = tempfile::tempdir().unwrap();
    let chart = configmap_chart(&tmp.path().join("cm"));
    let home = tempfile::tempdir().unwrap();
    // The control: helm installs on this cluster.
    if let Some(out) = helm_with_env(
        &kc,
        home.path(),
        &[],
        &["create", home.path().join("hello").to_str().unwrap()],
    ) {
        ok(out, "helm create");
        let hello = home.path().join("hello");
        let out = helm_with_env(
            &kc,
            home.path(),
            &[],
            &[
                "install",
                "hello",
                hello.to_str().unwrap(),
                "-n",
                &ns,
                "--create-namespace",
            ],
        )
        .unwrap();
        ok(out, "helm install with an unavailable APIService");
    }
    // kube-client retries a 503 up to 15 times with exponential backoff (minutes): give the
    // install 30 s, a hundred times what helm needs here.
    let out = chartsmith_within(
        &kc,
        Duration::from_secs(30),
        &["install", "cm", &chart, "-n", &ns, "--create-namespace"],
    );
    let out = ok(out, "install with an unavailable APIService");
    assert!(out.contains("STATUS: deployed"), "{out}");
    assert_eq!(
        live(&b, &ns, "v1", "ConfigMap", "shared").unwrap()["data"]["color"],
        "blue"
    );
    eprintln!("unavailable_apiservice: {}", seconds(started));
}

/// `chartsmith ARGS` (secret driver) killed after `limit`: a hang is a failure with what it
/// printed, not a stuck suite.
fn chartsmith_within(kc: &Path, limit: Duration, args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(chartsmith_tests::chartsmith_bin())
        .current_dir(chartsmith_tests::repo())
        .env("KUBECONFIG", kc)
        .env("CHARTSMITH_DRIVER", "secret")
        .env_remove("CHARTSMITH_STATE_DIR")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "chartsmith {} did not finish within {limit:?} (killed):\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                stdout(&out),
                chartsmith_tests::stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}
