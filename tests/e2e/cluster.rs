//! End to end on a real kube-apiserver (the control plane of `tests/cluster/`): the seed two-tier
//! lifecycle with the live objects checked after each step, Helm's records, ownership conflicts,
//! server dry runs, concurrent upgrades, hostile release Secrets, and interop with the real helm
//! in both directions.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use base64::Engine as _;
use chartsmith::cluster::{Owner, ResourceKey};
use chartsmith_kube::{Backend, RecordKind};
use chartsmith_tests::{
    backend, chartsmith, configmap_chart, helm, kubeconfig, kubectl, ok, stderr, stdout,
    unique_namespace, write_chart,
};

const CHART: &str = "charts/two-tier";
const KIND: &str = "charts/two-tier/values-kind.yaml";

/// `--set` of a NodePort of the test's own: the API server refuses a port already allocated, and
/// the tests run in parallel on one cluster. Fixed ports are taken from 30000–30085, the band
/// the API server keeps for explicit ports (random ones, e.g. of LoadBalancer Services, come from
/// above it first), so a randomly allocated port cannot take one of them.
fn node_port(port: u16) -> String {
    format!("flask-app-chart.service.nodePort={port}")
}

fn live(
    b: &Backend,
    ns: &str,
    api_version: &str,
    kind: &str,
    name: &str,
) -> Option<serde_json::Value> {
    let owner = Owner {
        name: String::new(),
        namespace: ns.to_string(),
    };
    let key = ResourceKey {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: Some(ns.into()),
        name: name.into(),
    };
    b.target().get(&owner, &key).unwrap()
}

fn replicas(b: &Backend, ns: &str) -> i64 {
    live(b, ns, "apps/v1", "Deployment", "demo-flask-app-chart").expect("the flask Deployment")
        ["spec"]["replicas"]
        .as_i64()
        .unwrap()
}

fn record(b: &Backend, ns: &str, version: u64) -> Option<serde_json::Value> {
    live(
        b,
        ns,
        "v1",
        "Secret",
        &format!("sh.helm.release.v1.demo.v{version}"),
    )
}

#[test]
fn two_tier_lifecycle_install_upgrade_rollback_uninstall() {
    let Some(kc) = kubeconfig("two_tier_lifecycle") else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("life");
    // A Helm user's session: upgrade --install into a namespace that does not exist yet.
    let out = ok(
        chartsmith(
            &kc,
            &[
                "upgrade",
                "--install",
                "demo",
                CHART,
                "-f",
                KIND,
                "-n",
                &ns,
                "--create-namespace",
            ],
        ),
        "upgrade --install",
    );
    assert!(
        out.contains("Release \"demo\" does not exist. Installing it now."),
        "{out}"
    );
    assert!(out.contains("TARGET: cluster https://127.0.0.1:"), "{out}");
    assert!(out.contains("(driver secret)"), "{out}");
    assert!(
        out.contains("STATUS: deployed") && out.contains(&format!("NAMESPACE: {ns}")),
        "{out}"
    );

    let deploy = live(&b, &ns, "apps/v1", "Deployment", "demo-flask-app-chart").unwrap();
    assert_eq!(
        deploy["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );
    assert_eq!(
        deploy["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "demo"
    );
    assert_eq!(
        deploy["metadata"]["annotations"]["meta.helm.sh/release-namespace"],
        ns.as_str()
    );
    let svc = live(&b, &ns, "v1", "Service", "demo-flask-app-chart").unwrap();
    assert_eq!(svc["spec"]["type"], "NodePort");
    assert_eq!(svc["spec"]["ports"][0]["nodePort"], 30004);
    let managers: Vec<_> = deploy["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["manager"].as_str().unwrap(),
                m["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(managers.contains(&("chartsmith", "Apply")), "{managers:?}");
    // Helm's record: name, type, labels, data.
    let v1 = record(&b, &ns, 1).expect("release Secret v1");
    assert_eq!(v1["type"], "helm.sh/release.v1");
    for (label, value) in [
        ("name", "demo"),
        ("owner", "helm"),
        ("status", "deployed"),
        ("version", "1"),
    ] {
        assert_eq!(v1["metadata"]["labels"][label], value, "label {label}");
    }
    // Helm's Update writes `modifiedAt` (and, like Helm, drops `createdAt`).
    assert!(v1["metadata"]["labels"]["modifiedAt"].is_string(), "{v1}");
    assert_eq!(replicas(&b, &ns), 2);

    ok(
        chartsmith(
            &kc,
            &[
                "upgrade",
                "demo",
                CHART,
                "-f",
                KIND,
                "-n",
                &ns,
                "--set",
                "flask-app-chart.replicaCount=3",
            ],
        ),
        "upgrade --set",
    );
    assert_eq!(replicas(&b, &ns), 3);
    assert_eq!(
        record(&b, &ns, 1).unwrap()["metadata"]["labels"]["status"],
        "superseded"
    );
    assert_eq!(
        record(&b, &ns, 2).unwrap()["metadata"]["labels"]["status"],
        "deployed"
    );

    ok(
        chartsmith(&kc, &["rollback", "demo", "1", "-n", &ns]),
        "rollback",
    );
    assert_eq!(replicas(&b, &ns), 2);
    let history: Vec<serde_json::Value> = serde_json::from_str(&ok(
        chartsmith(&kc, &["history", "demo", "-n", &ns, "-o", "json"]),
        "history",
    ))
    .unwrap();
    let rows: Vec<_> = history
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "superseded".into()),
            (2, "superseded".into()),
            (3, "deployed".into())
        ]
    );
    let listed = ok(chartsmith(&kc, &["list", "-A"]), "list -A");
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("demo") && l.contains(&ns)),
        "{listed}"
    );

    ok(
        chartsmith(&kc, &["uninstall", "demo", "-n", &ns]),
        "uninstall",
    );
    assert!(live(&b, &ns, "apps/v1", "Deployment", "demo-flask-app-chart").is_none());
    assert!(live(&b, &ns, "v1", "Service", "demo-mysql").is_none());
    for v in 1..=3 {
        assert!(record(&b, &ns, v).is_none(), "record v{v} left");
    }
}

#[test]
fn server_dry_run_leaves_nothing() {
    let Some(kc) = kubeconfig("server_dry_run") else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("dry");
    b.target().create_namespace(&ns, false).unwrap();
    let out = ok(
        chartsmith(
            &kc,
            &[
                "install",
                "demo",
                CHART,
                "-f",
                KIND,
                "-n",
                &ns,
                "--dry-run=server",
                "--set",
                &node_port(30041),
            ],
        ),
        "install --dry-run=server",
    );
    assert!(out.contains("STATUS: pending-install"), "{out}");
    assert!(live(&b, &ns, "apps/v1", "Deployment", "demo-flask-app-chart").is_none());
    assert!(record(&b, &ns, 1).is_none());
    // The server's verdict counts: an invalid object fails the dry run.
    let bad = chartsmith(
        &kc,
        &[
            "install",
            "demo",
            CHART,
            "-f",
            KIND,
            "-n",
            &ns,
            "--dry-run=server",
            "--skip-schema-validation",
            "--set",
            "flask-app-chart.service.nodePort=80",
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("nodePort"), "{}", stderr(&bad));
}

#[test]
fn an_object_someone_else_owns_is_a_conflict_until_taken_over() {
    let Some(kc) = kubeconfig("take_ownership") else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("own");
    let tmp = tempfile::tempdir().unwrap();
    let chart = configmap_chart(tmp.path());
    ok(
        chartsmith(
            &kc,
            &["install", "first", &chart, "-n", &ns, "--create-namespace"],
        ),
        "install first",
    );
    let second = chartsmith(&kc, &["install", "second", &chart, "-n", &ns]);
    assert_eq!(second.status.code(), Some(1));
    let err = stderr(&second);
    assert!(
        err.contains(&format!("ConfigMap {ns}/shared exists and cannot be imported into the current release: it belongs to release first in namespace {ns}")),
        "{err}"
    );
    assert!(err.contains("--take-ownership"), "{err}");
    // The failed attempt is recorded, as Helm records it.
    let status = ok(
        chartsmith(&kc, &["status", "second", "-n", &ns]),
        "status second",
    );
    assert!(status.contains("STATUS: failed"), "{status}");
    ok(
        chartsmith(&kc, &["uninstall", "second", "-n", &ns]),
        "uninstall second",
    );
    assert!(
        live(&b, &ns, "v1", "ConfigMap", "shared").is_some(),
        "second's uninstall removed first's object"
    );
    ok(
        chartsmith(
            &kc,
            &[
                "install",
                "second",
                &chart,
                "-n",
                &ns,
                "--take-ownership",
                "--set",
                "color=red",
            ],
        ),
        "install --take-ownership",
    );
    let cm = live(&b, &ns, "v1", "ConfigMap", "shared").unwrap();
    assert_eq!(
        cm["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "second"
    );
    assert_eq!(cm["data"]["color"], "red");
}

#[test]
fn concurrent_upgrades_from_two_processes_one_wins() {
    let Some(kc) = kubeconfig("concurrent_upgrades") else {
        return;
    };
    let ns = unique_namespace("race");
    let tmp = tempfile::tempdir().unwrap();
    let chart = configmap_chart(tmp.path());
    ok(
        chartsmith(
            &kc,
            &["install", "demo", &chart, "-n", &ns, "--create-namespace"],
        ),
        "install",
    );
    for i in 0..3 {
        let color = format!("color=c{i}");
        let spawn = || {
            std::process::Command::new(chartsmith_tests::chartsmith_bin())
                .env("KUBECONFIG", &kc)
                .env("CHARTSMITH_DRIVER", "secret")
                // The test hook (feature test-hooks, which scripts/test.sh builds with) holds the
                // pending revision open so that the two runs overlap: long enough that the
                // second reads the history before the first is done even on a loaded machine
                // (start-up, discovery, rendering and the immutable-field previews come first).
                .env("CHARTSMITH_TEST_PAUSE_AFTER_PENDING_MS", "5000")
                .args(["upgrade", "demo", &chart, "-n", &ns, "--set", &color])
                .output()
                .unwrap()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (a.join().unwrap(), b.join().unwrap())
        });
        let results = [a, b];
        assert_eq!(
            results.iter().filter(|o| o.status.success()).count(),
            1,
            "iteration {i}: {:?}",
            results.iter().map(stderr).collect::<Vec<_>>()
        );
        let loser = results.iter().find(|o| !o.status.success()).unwrap();
        assert!(
            stderr(loser).contains("another operation is in progress"),
            "{}",
            stderr(loser)
        );
    }
    let history: Vec<serde_json::Value> = serde_json::from_str(&ok(
        chartsmith(&kc, &["history", "demo", "-n", &ns, "-o", "json"]),
        "history",
    ))
    .unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(
        history.iter().filter(|r| r["status"] == "deployed").count(),
        1
    );
}

fn hostile_secret(b: &Backend, ns: &str, name: &str, release_data: &str) {
    let owner = Owner {
        name: String::new(),
        namespace: ns.to_string(),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(release_data);
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.{name}.v1\n  labels:\n    name: {name}\n    owner: helm\n    status: deployed\n    version: \"1\"\ntype: helm.sh/release.v1\ndata:\n  release: {data}\n"
    );
    let manifest = chartsmith::manifest::Manifest {
        source: "hostile".into(),
        content: yaml,
        api_version: "v1".into(),
        kind: "Secret".into(),
        name: format!("sh.helm.release.v1.{name}.v1"),
        hook_events: Vec::new(),
        hook_weight: 0,
    };
    let resource = chartsmith::cluster::Resource::from_manifest(&manifest).unwrap();
    b.target()
        .apply(
            &owner,
            &[resource],
            &chartsmith::cluster::ApplyOptions::default(),
        )
        .unwrap();
}

#[test]
fn hostile_release_secrets_give_clear_errors() {
    let Some(kc) = kubeconfig("hostile_release_secrets") else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("evil");
    b.target().create_namespace(&ns, false).unwrap();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let gzip = |bytes: &[u8]| {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    };
    // 200 MiB of zeros compress to ~200 KiB: a gzip bomb past the codec's 64 MiB bound.
    let bomb = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..200 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap()
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases = [
        ("corrupt", "not base64 at all!".to_string(), "not base64"),
        ("bomb", b64(&bomb), "larger than 64 MiB"),
        (
            "deep",
            b64(&gzip(deep.as_bytes())),
            "not a Helm release record",
        ),
    ];
    for (name, data, expected) in &cases {
        hostile_secret(&b, &ns, name, data);
        let out = chartsmith(&kc, &["status", name, "-n", &ns]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("Secret {ns}/sh.helm.release.v1.{name}.v1")),
            "{name}: {err}"
        );
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    // Listing skips what it cannot read, says so, and still lists the rest (as Helm does).
    let list = chartsmith(&kc, &["list", "-n", &ns]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert!(
        stderr(&list).contains(&format!(
            "warning: skipped an unreadable release record: Secret {ns}/sh.helm.release.v1.bomb.v1"
        )),
        "{}",
        stderr(&list)
    );
}

/// A Go-template chart for helm, made by `helm create`.
fn helm_chart(kc: &Path, home: &Path) -> Option<String> {
    let dir = home.join("charts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hello");
    ok(
        helm(kc, home, &["create", path.to_str().unwrap()])?,
        "helm create",
    );
    Some(path.to_str().unwrap().to_string())
}

#[test]
fn helm_reads_rolls_back_and_uninstalls_chartsmith_releases() {
    let Some(kc) = kubeconfig("helm_reads_chartsmith") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    if helm(&kc, home.path(), &["version"]).is_none() {
        eprintln!("SKIPPED: HELM_BIN is not set");
        return;
    }
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("tohelm");
    let port = node_port(30042);
    ok(
        chartsmith(
            &kc,
            &[
                "install",
                "demo",
                CHART,
                "-f",
                KIND,
                "-n",
                &ns,
                "--create-namespace",
                "--set",
                &port,
            ],
        ),
        "install",
    );
    ok(
        chartsmith(
            &kc,
            &[
                "upgrade",
                "demo",
                CHART,
                "-f",
                KIND,
                "-n",
                &ns,
                "--set",
                &port,
                "--set",
                "flask-app-chart.replicaCount=3",
            ],
        ),
        "upgrade",
    );
    let h = |args: &[&str]| helm(&kc, home.path(), args).unwrap();
    let list = ok(h(&["list", "-n", &ns]), "helm list");
    assert!(
        list.contains("demo") && list.contains("deployed") && list.contains("two-tier-0.1.0"),
        "{list}"
    );
    let status = ok(h(&["status", "demo", "-n", &ns]), "helm status");
    assert!(status.contains("REVISION: 2"), "{status}");
    let history = ok(h(&["history", "demo", "-n", &ns]), "helm history");
    assert!(
        history.contains("Install complete") && history.contains("Upgrade complete"),
        "{history}"
    );
    let theirs = ok(
        h(&["get", "manifest", "demo", "-n", &ns]),
        "helm get manifest",
    );
    let ours = ok(
        chartsmith(&kc, &["get", "manifest", "demo", "-n", &ns]),
        "get manifest",
    );
    assert_eq!(theirs.trim_end(), ours.trim_end());
    let values = ok(h(&["get", "values", "demo", "-n", &ns]), "helm get values");
    assert!(values.contains("replicaCount: 3"), "{values}");
    ok(h(&["rollback", "demo", "1", "-n", &ns]), "helm rollback");
    assert_eq!(replicas(&b, &ns), 2);
    let ours = ok(
        chartsmith(&kc, &["status", "demo", "-n", &ns]),
        "status after helm rollback",
    );
    assert!(
        ours.contains("REVISION: 3") && ours.contains("STATUS: deployed"),
        "{ours}"
    );
    ok(h(&["uninstall", "demo", "-n", &ns]), "helm uninstall");
    assert!(live(&b, &ns, "apps/v1", "Deployment", "demo-flask-app-chart").is_none());
    let none = ok(
        chartsmith(&kc, &["list", "-n", &ns, "-a"]),
        "list after helm uninstall",
    );
    assert!(!none.contains("demo"), "{none}");
}

#[test]
fn chartsmith_reads_rolls_back_and_uninstalls_helm_releases() {
    let Some(kc) = kubeconfig("chartsmith_reads_helm") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let Some(chart) = helm_chart(&kc, home.path()) else {
        eprintln!("SKIPPED: HELM_BIN is not set");
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("fromhelm");
    let h = |args: &[&str]| helm(&kc, home.path(), args).unwrap();
    ok(
        h(&["install", "web", &chart, "-n", &ns, "--create-namespace"]),
        "helm install",
    );
    ok(
        h(&[
            "upgrade",
            "web",
            &chart,
            "-n",
            &ns,
            "--set",
            "replicaCount=2",
        ]),
        "helm upgrade",
    );
    let list = ok(chartsmith(&kc, &["list", "-n", &ns]), "list");
    assert!(
        list.contains("web") && list.contains("hello-0.1.0") && list.contains("deployed"),
        "{list}"
    );
    let theirs = ok(
        h(&["get", "manifest", "web", "-n", &ns]),
        "helm get manifest",
    );
    let ours = ok(
        chartsmith(&kc, &["get", "manifest", "web", "-n", &ns]),
        "get manifest",
    );
    assert_eq!(ours, theirs, "get manifest is byte-identical");
    let history = ok(chartsmith(&kc, &["history", "web", "-n", &ns]), "history");
    assert_eq!(history.lines().count(), 3, "{history}");
    let deployment = |b: &Backend| {
        live(b, &ns, "apps/v1", "Deployment", "web-hello").expect("helm's Deployment")
    };
    assert_eq!(deployment(&b)["spec"]["replicas"], 2);
    // helm applied with its own field manager: chartsmith takes the fields over explicitly.
    ok(
        chartsmith(
            &kc,
            &["rollback", "web", "1", "-n", &ns, "--force-conflicts"],
        ),
        "rollback",
    );
    assert_eq!(deployment(&b)["spec"]["replicas"], 1);
    let status = ok(
        h(&["status", "web", "-n", &ns]),
        "helm status after our rollback",
    );
    assert!(
        status.contains("REVISION: 3") && status.contains("STATUS: deployed"),
        "{status}"
    );
    ok(
        chartsmith(&kc, &["uninstall", "web", "-n", &ns]),
        "uninstall",
    );
    assert!(live(&b, &ns, "apps/v1", "Deployment", "web-hello").is_none());
    let after = ok(h(&["list", "-n", &ns]), "helm list after our uninstall");
    assert!(!after.contains("web"), "{after}");
}

/// A Tera chart with a Deployment, a pre-install/pre-upgrade Job hook deleted when it succeeds,
/// and (with `claim=true`) a PersistentVolumeClaim that nothing binds.
fn hooked_chart(dir: &Path) -> String {
    write_chart(
        dir,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: hooked\nversion: 0.1.0\n",
            ),
            (
                "values.yaml",
                "replicas: 1\nclaim: false\nnodePort: 30043\n",
            ),
            (
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ Values.replicas }}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n  - port: 80\n    nodePort: {{ Values.nodePort }}\n{% if Values.claim %}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n{% endif %}",
            ),
            (
                "templates/migrate.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: migrate\n        image: busybox:1.36\n        command: [\"true\"]\n",
            ),
        ],
    )
}

#[test]
fn wait_hooks_and_rollback_on_failure() {
    let Some(kc) = kubeconfig("wait_hooks_and_rollback_on_failure") else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("hooks");
    let tmp = tempfile::tempdir().unwrap();
    let chart = hooked_chart(tmp.path());
    // The hook Job runs to completion (kwok completes Job pods) before the Deployment, which
    // --wait then follows until it is available; the succeeded hook is deleted.
    ok(
        chartsmith(
            &kc,
            &[
                "install",
                "demo",
                &chart,
                "-n",
                &ns,
                "--create-namespace",
                "--wait",
                "--timeout",
                "90s",
                "--set",
                "replicas=2",
            ],
        ),
        "install --wait",
    );
    let deploy = live(&b, &ns, "apps/v1", "Deployment", "web").unwrap();
    assert_eq!(deploy["status"]["availableReplicas"], 2, "{deploy}");
    assert!(
        live(&b, &ns, "batch/v1", "Job", "migrate").is_none(),
        "the succeeded hook is deleted"
    );
    let hooks: serde_json::Value = serde_json::from_str(&ok(
        chartsmith(&kc, &["get", "all", "demo", "-n", &ns, "-o", "json"]),
        "get all",
    ))
    .unwrap();
    assert_eq!(
        hooks["hooks"][0]["last_run"]["phase"], "Succeeded",
        "{}",
        hooks["hooks"]
    );

    // A claim nothing binds: --wait gives up with the reason.
    let stuck = chartsmith(
        &kc,
        &[
            "upgrade",
            "demo",
            &chart,
            "-n",
            &ns,
            "--wait",
            "--timeout",
            "3s",
            "--set",
            "claim=true",
        ],
    );
    assert_eq!(stuck.status.code(), Some(1));
    assert!(
        stderr(&stuck).contains(&format!(
            "timed out after 3s waiting for PersistentVolumeClaim {ns}/data: claim Pending"
        )),
        "{}",
        stderr(&stuck)
    );

    // --rollback-on-failure: the API server refuses the new Service; the release goes back to
    // the last deployed revision (1), as Helm's --atomic does.
    let failed = chartsmith(
        &kc,
        &[
            "upgrade",
            "demo",
            &chart,
            "-n",
            &ns,
            "--rollback-on-failure",
            "--set",
            "replicas=3",
            "--set",
            "nodePort=80",
        ],
    );
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).contains(
            "release demo failed, and has been rolled back due to rollback-on-failure being set"
        ),
        "{}",
        stderr(&failed)
    );
    let history: Vec<serde_json::Value> = serde_json::from_str(&ok(
        chartsmith(&kc, &["history", "demo", "-n", &ns, "-o", "json"]),
        "history",
    ))
    .unwrap();
    let statuses: Vec<_> = history
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["superseded", "failed", "failed", "deployed"],
        "{history:?}"
    );
    assert_eq!(history[3]["description"], "Rollback to 1");
    assert_eq!(
        live(&b, &ns, "apps/v1", "Deployment", "web").unwrap()["spec"]["replicas"],
        2
    );
    // The claim the failed revision 2 created stays, as with Helm without --cleanup-on-fail.
    assert!(live(&b, &ns, "v1", "PersistentVolumeClaim", "data").is_some());
    ok(
        chartsmith(&kc, &["uninstall", "demo", "-n", &ns]),
        "uninstall",
    );
}

/// A Deployment whose selector comes from values, and a Secret.
fn selector_chart(dir: &Path) -> String {
    write_chart(
        dir,
        &[
            ("Chart.yaml", "apiVersion: v2\nname: sel\nversion: 0.1.0\n"),
            ("values.yaml", "app: web\nreplicas: 2\npassword: hunter2\n"),
            (
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ Values.replicas }}\n  selector:\n    matchLabels:\n      app: {{ Values.app }}\n  template:\n    metadata:\n      labels:\n        app: {{ Values.app }}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {{ Values.password }}\n",
            ),
        ],
    )
}

#[test]
fn live_diff_shows_drift_masks_secrets_and_immutable_changes_are_refused() {
    let Some(kc) =
        kubeconfig("live_diff_shows_drift_masks_secrets_and_immutable_changes_are_refused")
    else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("diff");
    let tmp = tempfile::tempdir().unwrap();
    let chart = selector_chart(tmp.path());
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-n", &ns]);
        chartsmith(&kc, &all)
    };
    ok(
        run(&["install", "demo", &chart, "--create-namespace", "--wait"]),
        "install",
    );
    let quiet = run(&["diff", "upgrade", "demo", &chart, "--detailed-exitcode"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stdout(&quiet));
    assert_eq!(stdout(&quiet), "");

    // Someone scales by hand: the diff shows the drift, and that the apply would conflict with
    // kubectl's field ownership.
    let Some(scaled) = kubectl(&kc, &["-n", &ns, "scale", "deployment/web", "--replicas=5"]) else {
        return;
    };
    ok(scaled, "kubectl scale");
    let diff = run(&[
        "diff",
        "upgrade",
        "demo",
        &chart,
        "--set",
        "password=correct-horse",
        "--detailed-exitcode",
        "-o",
        "json",
    ]);
    assert_eq!(diff.status.code(), Some(2), "{}", stderr(&diff));
    let text = stdout(&diff);
    for secret in [
        "hunter2",
        "correct-horse",
        "aHVudGVyMg",
        "Y29ycmVjdC1ob3JzZ",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let changes: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let by_kind = |kind: &str| changes.iter().find(|c| c["kind"] == kind).unwrap().clone();
    let secret = by_kind("Secret");
    assert!(
        secret["diff"]
            .as_str()
            .unwrap()
            .contains("+  password: ++++++++ # (20 bytes)"),
        "{secret}"
    );
    let deployment = by_kind("Deployment");
    assert_eq!(
        deployment["drift"][0], "spec.replicas: 2 in the release, 5 on the cluster",
        "{deployment}"
    );
    assert!(
        deployment["problem"]
            .as_str()
            .unwrap()
            .contains("conflict with \"kubectl\""),
        "{deployment}"
    );

    // A new selector: the diff marks it, the upgrade is refused before anything is stored.
    let diff = run(&[
        "diff",
        "upgrade",
        "demo",
        &chart,
        "--set",
        "app=web2",
        "--force-conflicts",
    ]);
    assert!(
        stdout(&diff).contains(&format!(
            "will fail: Deployment {ns}/web: cannot change spec.selector (field is immutable)"
        )),
        "{}",
        stdout(&diff)
    );
    let refused = run(&[
        "upgrade",
        "demo",
        &chart,
        "--set",
        "app=web2",
        "--force-conflicts",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains(&format!(
            "upgrade refused, nothing was changed: Deployment {ns}/web: cannot change spec.selector (field is immutable); `--force-replace` deletes and recreates it"
        )),
        "{}",
        stderr(&refused)
    );
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&ok(run(&["history", "demo", "-o", "json"]), "history")).unwrap();
    assert_eq!(history.len(), 1, "{history:?}");

    // --force-replace deletes and recreates the Deployment with the new selector.
    ok(
        run(&[
            "upgrade",
            "demo",
            &chart,
            "--set",
            "app=web2",
            "--force-conflicts",
            "--force-replace",
            "--wait",
            "--timeout",
            "60s",
        ]),
        "upgrade --force-replace",
    );
    let web = live(&b, &ns, "apps/v1", "Deployment", "web").unwrap();
    assert_eq!(web["spec"]["selector"]["matchLabels"]["app"], "web2");
    assert_eq!(web["spec"]["replicas"], 2);
    let after = run(&[
        "diff",
        "upgrade",
        "demo",
        &chart,
        "--set",
        "app=web2",
        "--detailed-exitcode",
    ]);
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));

    // uninstall --wait returns when the objects are gone.
    ok(
        run(&["uninstall", "demo", "--wait", "--timeout", "60s"]),
        "uninstall --wait",
    );
    assert!(live(&b, &ns, "apps/v1", "Deployment", "web").is_none());
    assert!(live(&b, &ns, "v1", "Secret", "db").is_none());
}

/// A Deployment that can be made unschedulable, and a pre-upgrade hook Job that can be made to
/// fail (its pod cannot schedule, and its deadline passes).
fn schedulable_chart(dir: &Path) -> String {
    write_chart(
        dir,
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: sched\nversion: 0.1.0\n",
            ),
            (
                "values.yaml",
                "replicas: 1\nunschedulable: false\nfailHook: false\n",
            ),
            (
                "templates/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ Values.replicas }}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n{% if Values.unschedulable %}      nodeSelector:\n        disk: nvme\n{% endif %}      containers:\n      - name: web\n        image: nginx:1.27\n",
            ),
            (
                "templates/check.yaml",
                "{% if Values.failHook %}apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: check\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  activeDeadlineSeconds: 2\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      nodeSelector:\n        disk: nvme\n      containers:\n      - name: check\n        image: busybox:1.36\n{% endif %}",
            ),
        ],
    )
}

#[test]
fn an_unschedulable_upgrade_times_out_with_the_reason_and_rolls_back() {
    let Some(kc) = kubeconfig("an_unschedulable_upgrade_times_out_with_the_reason_and_rolls_back")
    else {
        return;
    };
    let b = backend(&kc, RecordKind::Secret);
    let ns = unique_namespace("sched");
    let tmp = tempfile::tempdir().unwrap();
    let chart = schedulable_chart(tmp.path());
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-n", &ns]);
        chartsmith(&kc, &all)
    };
    // Piped, the wait prints one plain line per state change on stderr.
    let installed = run(&["install", "demo", &chart, "--create-namespace", "--wait"]);
    let progress = stderr(&installed);
    ok(installed, "install");
    assert!(
        progress.contains(&format!("Deployment {ns}/web: ready\n")),
        "{progress}"
    );
    // With -o json, as JSON events (stdout stays the release document).
    let upgraded = run(&["upgrade", "demo", &chart, "--wait", "-o", "json"]);
    let events: Vec<serde_json::Value> = stderr(&upgraded)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let release: serde_json::Value =
        serde_json::from_str(&ok(upgraded, "upgrade -o json")).unwrap();
    assert_eq!(release["version"], 2);
    assert!(
        events.iter().any(|e| e["event"] == "wait"
            && e["kind"] == "Deployment"
            && e["name"] == "web"
            && e["state"] == "ready"),
        "{events:?}"
    );
    // No node has the label: the new pod stays Pending and the rollout never completes. The
    // error says why (the scheduler's message), and --rollback-on-failure restores revision 1.
    let failed = run(&[
        "upgrade",
        "demo",
        &chart,
        "--set",
        "unschedulable=true",
        "--wait",
        "--timeout",
        "4s",
        "--rollback-on-failure",
    ]);
    assert_eq!(failed.status.code(), Some(1));
    let err = stderr(&failed);
    assert!(
        err.contains(&format!(
            "timed out after 4s waiting for Deployment {ns}/web"
        )),
        "{err}"
    );
    assert!(
        err.contains("Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector"),
        "{err}"
    );
    assert!(err.contains("has been rolled back"), "{err}");
    // While it waited, the plain progress lines showed the scheduler's warning event.
    assert!(
        err.contains(&format!("Deployment {ns}/web: waiting ("))
            && err.contains("event FailedScheduling: 0/1 nodes are available"),
        "{err}"
    );
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&ok(run(&["history", "demo", "-o", "json"]), "history")).unwrap();
    let statuses: Vec<_> = history
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["superseded", "superseded", "failed", "deployed"],
        "{history:?}"
    );
    assert_eq!(history[3]["description"], "Rollback to 2");
    let web = live(&b, &ns, "apps/v1", "Deployment", "web").unwrap();
    assert!(
        web["spec"]["template"]["spec"]["nodeSelector"].is_null(),
        "{web}"
    );

    // A pre-upgrade hook Job that fails stops the upgrade before any resource changes.
    let hooked = run(&[
        "upgrade",
        "demo",
        &chart,
        "--set",
        "failHook=true",
        "--set",
        "replicas=3",
        "--timeout",
        "60s",
    ]);
    assert_eq!(hooked.status.code(), Some(1));
    let err = stderr(&hooked);
    assert!(
        err.contains(&format!(
            "hook Job check (pre-upgrade) failed: Job {ns}/check: job failed: Job was active longer than specified deadline"
        )),
        "{err}"
    );
    let web = live(&b, &ns, "apps/v1", "Deployment", "web").unwrap();
    assert_eq!(web["spec"]["replicas"], 1, "the Deployment was not touched");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&ok(run(&["history", "demo", "-o", "json"]), "history")).unwrap();
    assert_eq!(history.last().unwrap()["status"], "failed");
    ok(run(&["uninstall", "demo"]), "uninstall");
}

#[test]
fn chartsmith_test_runs_test_hooks_records_them_and_shows_logs() {
    let Some(kc) = kubeconfig("chartsmith_test_runs_test_hooks_records_them_and_shows_logs") else {
        return;
    };
    let ns = unique_namespace("test");
    let tmp = tempfile::tempdir().unwrap();
    // kwok completes the pods of Jobs; a bare Pod stays Running, so the Pod test never passes.
    let chart = write_chart(
        tmp.path(),
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: tested\nversion: 0.1.0\n",
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n",
            ),
            (
                "templates/tests/job.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-test\n  annotations:\n    helm.sh/hook: test\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: check\n        image: busybox:1.36\n",
            ),
            (
                "templates/tests/pod.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-test\n  annotations:\n    helm.sh/hook: test\n    helm.sh/hook-weight: \"1\"\nspec:\n  restartPolicy: Never\n  containers:\n  - name: probe\n    image: busybox:1.36\n",
            ),
        ],
    );
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-n", &ns]);
        chartsmith(&kc, &all)
    };
    ok(
        run(&["install", "demo", &chart, "--create-namespace"]),
        "install",
    );
    let passed = ok(
        run(&["test", "demo", "--filter", "name=job-test", "--logs"]),
        "test --filter",
    );
    assert!(
        passed.contains("TEST SUITE:     job-test\nLast Started:   "),
        "{passed}"
    );
    assert!(passed.contains("Phase:          Succeeded"), "{passed}");
    assert!(passed.contains("POD LOGS: job-test-"), "{passed}");
    assert!(passed.contains("(container check)"), "{passed}");

    let failed = run(&["test", "demo", "--timeout", "3s"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).contains(&format!(
            "release demo failed its tests: hook Pod pod-test (test) failed: timed out after 3s waiting for Pod {ns}/pod-test"
        )),
        "{}",
        stderr(&failed)
    );
    let shown = stdout(&failed);
    assert!(shown.contains("TEST SUITE:     pod-test"), "{shown}");
    assert!(shown.contains("Phase:          Failed"), "{shown}");
    assert!(
        shown.contains("POD LOGS: pod-test (container probe)"),
        "{shown}"
    );

    // helm reads the recorded runs from the release Secret.
    let home = tmp.path().join("helm");
    if let Some(status) = helm(&kc, &home, &["status", "demo", "-n", &ns]) {
        let status = ok(status, "helm status");
        assert!(
            status.contains("TEST SUITE:     job-test")
                && status.contains("Phase:          Succeeded"),
            "{status}"
        );
        assert!(
            status.contains("TEST SUITE:     pod-test")
                && status.contains("Phase:          Failed"),
            "{status}"
        );
    }
    ok(run(&["uninstall", "demo"]), "uninstall");
}

#[test]
fn wait_for_jobs_waits_until_jobs_complete() {
    let Some(kc) = kubeconfig("wait_for_jobs_waits_until_jobs_complete") else {
        return;
    };
    let ns = unique_namespace("jobs");
    let tmp = tempfile::tempdir().unwrap();
    let chart = write_chart(
        tmp.path(),
        &[
            ("Chart.yaml", "apiVersion: v2\nname: jobs\nversion: 0.1.0\n"),
            ("values.yaml", "stuck: false\n"),
            (
                "templates/job.yaml",
                "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ Release.Name }}-seed\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n{% if Values.stuck %}      nodeSelector:\n        disk: nvme\n{% endif %}      containers:\n      - name: seed\n        image: busybox:1.36\n",
            ),
        ],
    );
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-n", &ns]);
        chartsmith(&kc, &all)
    };
    ok(
        run(&[
            "install",
            "a",
            &chart,
            "--create-namespace",
            "--wait",
            "--wait-for-jobs",
        ]),
        "install --wait-for-jobs",
    );
    // A Job whose pod cannot schedule: --wait alone takes it as it is (its pod template is
    // immutable: --force-replace recreates it), --wait-for-jobs waits for it to complete and
    // says why it does not.
    ok(
        run(&[
            "upgrade",
            "a",
            &chart,
            "--set",
            "stuck=true",
            "--force-replace",
            "--wait",
            "--timeout",
            "30s",
        ]),
        "upgrade --wait",
    );
    let stuck = run(&[
        "install",
        "b",
        &chart,
        "--set",
        "stuck=true",
        "--wait",
        "--wait-for-jobs",
        "--timeout",
        "3s",
    ]);
    assert_eq!(stuck.status.code(), Some(1));
    let err = stderr(&stuck);
    assert!(
        err.contains(&format!(
            "timed out after 3s waiting for Job {ns}/b-seed: 0/1 completions"
        )),
        "{err}"
    );
    assert!(
        err.contains("Unschedulable: 0/1 nodes are available"),
        "{err}"
    );
}
