//! Golden files for the seed charts in `charts/`.
//!
//! Every chart is rendered (`chartsmith template demo CHART --notes`) with minimal credentials,
//! with each environment values file of the umbrella chart (`charts/two-tier/values-ENV.yaml`;
//! a standalone chart gets its own section of that file), and with a few option sets. The output
//! is compared with `fixtures/golden/CHART/CASE.yaml`; `UPDATE_GOLDEN=1` rewrites those files
//! instead (and removes the ones no case produces). They are reviewed artifacts: read the diff.
//!
//! Whatever the golden files say, every rendered document must parse as YAML and carry
//! apiVersion, kind and metadata.name, and the seeds' facts must hold: no image without a tag or
//! on `latest`, no HTTP probe on a database port, MySQL probed over TCP on 3306 after 30 s every
//! 10 s, the app reaching MySQL by its Service's name (the Service the release renders), and the
//! kind setup exposing the app on node port 30004 -> 5000. Rendering without credentials fails
//! with a message naming the value to set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The environments of `charts/two-tier/values-ENV.yaml`.
const ENVIRONMENTS: &[&str] = &["kind", "eks", "k3s"];

/// Credentials and hosts each chart needs to render on its own. Throwaway test values.
fn minimal_set(chart: &str) -> &'static [&'static str] {
    match chart {
        "mysql-chart" => {
            &["auth.rootPassword=golden-root-password,auth.password=golden-app-password"]
        }
        "flask-app-chart" => &[
            "mysql.host=mysql-chart,redis.host=redis-master,mongodb.host=mongodb,mongodb.existingSecret=mongodb",
        ],
        "two-tier" => &[
            "mysql-chart.auth.rootPassword=golden-root-password,mysql-chart.auth.password=golden-app-password",
        ],
        "mongodb" => &["auth.rootPassword=golden-root-password"],
        _ => &[],
    }
}

/// Charts rendered on their own: the umbrella's subcharts, then the umbrella.
const CHARTS: &[&str] = &[
    "mysql-chart",
    "flask-app-chart",
    "redis",
    "mongodb",
    "efk",
    "two-tier",
];

struct Case {
    chart: &'static str,
    name: String,
    args: Vec<String>,
}

impl Case {
    fn new(chart: &'static str, name: &str, args: &[&str]) -> Case {
        Case {
            chart,
            name: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn with_minimal_set(mut self) -> Case {
        for set in minimal_set(self.chart) {
            self.args.push("--set".into());
            self.args.push((*set).to_string());
        }
        self
    }

    fn golden_path(&self) -> PathBuf {
        root()
            .join("fixtures/golden")
            .join(self.chart)
            .join(format!("{}.yaml", self.name))
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn chartsmith(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chartsmith"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run chartsmith")
}

/// A YAML file as JSON.
fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every case; `dir` holds the values files cut out of the environment files.
fn cases(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for &chart in CHARTS {
        cases.push(Case::new(chart, "default", &[]).with_minimal_set());
        for env in ENVIRONMENTS {
            let file = root().join(format!("charts/two-tier/values-{env}.yaml"));
            if chart == "two-tier" {
                let file = file.to_string_lossy().into_owned();
                let case = Case::new(chart, env, &["-f", &file]);
                // values-kind.yaml is a complete local setup: it must render without any --set.
                cases.push(if *env == "kind" {
                    case
                } else {
                    case.with_minimal_set()
                });
                continue;
            }
            // A chart on its own gets its section of the environment file. No section, or only the
            // umbrella's `enabled` switch: nothing new to render.
            let Some(section) = read_yaml(&file).get(chart).cloned() else {
                continue;
            };
            if section
                .as_object()
                .is_none_or(|m| m.keys().all(|k| k == "enabled"))
            {
                continue;
            }
            let cut = dir.join(format!("{chart}-{env}.yaml"));
            let json = serde_json::to_string_pretty(&section).expect("JSON of a YAML section");
            std::fs::write(&cut, json).expect("write the environment section");
            let cut = cut.to_string_lossy().into_owned();
            cases.push(Case::new(chart, env, &["-f", &cut]).with_minimal_set());
        }
    }
    // A chart with environment files of its own (charts/efk/values-ENV.yaml).
    for env in ["kind", "eks"] {
        let file = root()
            .join(format!("charts/efk/values-{env}.yaml"))
            .to_string_lossy()
            .into_owned();
        cases.push(Case::new("efk", env, &["-f", &file]));
    }
    // Options the environments leave off.
    cases.push(Case::new(
        "mysql-chart",
        "existing-secret",
        &["--set", "auth.existingSecret=mysql-credentials"],
    ));
    cases.push(
        Case::new(
            "mysql-chart",
            "mysql-5.7-deployment-ephemeral",
            &[
                "--set",
                "image.tag=5.7,workload=deployment,persistence.enabled=false",
            ],
        )
        .with_minimal_set(),
    );
    cases.push(
        Case::new("flask-app-chart", "all-options", &[
            "--set",
            "ingress.enabled=true,ingress.className=nginx,autoscaling.enabled=true,networkPolicy.enabled=true",
            "--set",
            "mongodb.enabled=true,redis.enabled=true,redis.existingSecret=redis,devMounts.enabled=true",
            "--set",
            "env.FLASK_ENV=production,service.type=LoadBalancer",
        ])
        .with_minimal_set(),
    );
    let kind = root()
        .join("charts/two-tier/values-kind.yaml")
        .to_string_lossy()
        .into_owned();
    cases.push(Case::new("two-tier", "kind-all-backends", &[
        "-f",
        &kind,
        "--set",
        "redis.enabled=true,flask-app-chart.redis.enabled=true",
        "--set",
        "mongodb.enabled=true,flask-app-chart.mongodb.enabled=true,mongodb.auth.rootPassword=golden-mongo-password",
    ]));
    cases.push(Case::new("efk", "all-options", &[
        "--set",
        "namespaceOverride=logging,elasticsearch.persistence.enabled=false,fluentd.logFormat=json",
        "--set",
        "fluentd.elasticsearch.host=es.example.internal,fluentd.elasticsearch.scheme=https,fluentd.elasticsearch.port=443",
        "--set",
        "kibana.ingress.enabled=true,kibana.ingress.className=nginx,kibana.ingress.host=kibana.local,kibana.service.type=NodePort,kibana.service.nodePort=30561",
    ]));
    cases.push(Case::new(
        "efk",
        "without-kibana",
        &["--set", "kibana.enabled=false"],
    ));
    cases.push(Case::new(
        "two-tier",
        "kind-with-efk",
        &[
            "-f",
            &kind,
            "--set",
            "efk.enabled=true,efk.namespaceOverride=logging",
        ],
    ));
    cases
}

/// The YAML documents of a rendered release, each with its `# Source:` line; comment-only
/// documents (NOTES.txt) are left out.
fn documents(stdout: &str) -> Result<Vec<(String, Value)>, String> {
    let mut out = Vec::new();
    let mut chunks: Vec<Vec<&str>> = vec![Vec::new()];
    for line in stdout.lines() {
        if line == "---" {
            chunks.push(Vec::new());
        } else {
            chunks.last_mut().expect("at least one chunk").push(line);
        }
    }
    for chunk in chunks {
        let source = chunk
            .iter()
            .find_map(|l| l.strip_prefix("# Source: "))
            .unwrap_or("(no source)")
            .to_string();
        if chunk
            .iter()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let text = chunk.join("\n");
        let doc: Value =
            serde_saphyr::from_str(&text).map_err(|e| format!("{source}: not YAML: {e}"))?;
        out.push((source, doc));
    }
    Ok(out)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// Every container (and init container) object anywhere in `v`.
fn containers(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if (k == "containers" || k == "initContainers")
                    && let Value::Array(items) = child
                {
                    out.extend(items.iter().cloned());
                }
                containers(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| containers(i, out)),
        _ => {}
    }
}

/// `name:tag`, `registry:5000/name:tag` or `name:tag@sha256:...`: the tag, if any.
fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, tag)| tag)
}

fn name_label(doc: &Value) -> Option<&str> {
    str_at(doc, &["metadata", "labels", "app.kubernetes.io/name"])
}

/// The facts every rendering must satisfy.
fn check_documents(case: &Case, docs: &[(String, Value)]) -> Vec<String> {
    let mut problems = Vec::new();
    if docs.is_empty() {
        problems.push("no Kubernetes object rendered".into());
    }
    for (source, doc) in docs {
        for field in [&["apiVersion"][..], &["kind"], &["metadata", "name"]] {
            if str_at(doc, field).is_none_or(str::is_empty) {
                problems.push(format!("{source}: no {}", field.join(".")));
            }
        }
        let mut found = Vec::new();
        containers(doc, &mut found);
        for c in &found {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
            match c.get("image").and_then(Value::as_str) {
                None => problems.push(format!("{source}: container {name} has no image")),
                Some(image) => match image_tag(image) {
                    None | Some("") => problems.push(format!("{source}: image {image} has no tag")),
                    Some("latest") => {
                        problems.push(format!("{source}: image {image} is on latest"))
                    }
                    Some(_) => {}
                },
            }
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                let port = c
                    .get(probe)
                    .and_then(|p| p.get("httpGet"))
                    .and_then(|h| h.get("port"));
                if let Some(port) = port
                    .and_then(Value::as_i64)
                    .filter(|p| [3306, 5432, 27017, 6379].contains(p))
                {
                    problems.push(format!(
                        "{source}: {name} has an HTTP {probe} on database port {port}"
                    ));
                }
            }
        }
    }
    let find = |kind: &str, name: &str| -> Vec<&Value> {
        docs.iter()
            .map(|(_, d)| d)
            .filter(|d| str_at(d, &["kind"]) == Some(kind) && name_label(d) == Some(name))
            .collect()
    };
    // MySQL: TCP probes on 3306, 30 s initial delay, every 10 s (HTTP probes crash-looped it).
    for kind in ["StatefulSet", "Deployment"] {
        for workload in find(kind, "mysql-chart") {
            let mut found = Vec::new();
            containers(workload, &mut found);
            let mysql = found.iter().find(|c| c["name"] == "mysql");
            let Some(mysql) = mysql else {
                problems.push("MySQL workload without a mysql container".into());
                continue;
            };
            for probe in ["livenessProbe", "readinessProbe"] {
                let p = &mysql[probe];
                if p["tcpSocket"]["port"] != 3306
                    || p["initialDelaySeconds"] != 30
                    || p["periodSeconds"] != 10
                {
                    problems.push(format!(
                        "MySQL {probe} is not tcpSocket 3306 / 30 s / 10 s: {p}"
                    ));
                }
            }
        }
    }
    // The app reaches MySQL by the name of the Service the release renders, with its Secret.
    if case.chart == "two-tier" {
        let services: Vec<&str> = find("Service", "mysql-chart")
            .into_iter()
            .filter(|s| str_at(s, &["spec", "clusterIP"]) != Some("None"))
            .filter_map(|s| str_at(s, &["metadata", "name"]))
            .collect();
        let secrets: Vec<&str> = find("Secret", "mysql-chart")
            .into_iter()
            .filter_map(|s| str_at(s, &["metadata", "name"]))
            .collect();
        let apps = find("Deployment", "flask-app-chart");
        if services.len() != 1 || secrets.len() != 1 || apps.len() != 1 {
            problems.push(format!(
                "expected one MySQL Service, one MySQL Secret and one app Deployment, got {services:?}, {secrets:?}, {} app(s)",
                apps.len()
            ));
        } else {
            let mut found = Vec::new();
            containers(apps[0], &mut found);
            let app = found
                .iter()
                .find(|c| c["name"] == "flask-app")
                .cloned()
                .unwrap_or_default();
            let env = |name: &str| -> Value {
                app["env"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|e| e["name"] == name)
                    .cloned()
                    .unwrap_or_default()
            };
            if env("MYSQL_HOST")["value"] != services[0] {
                problems.push(format!(
                    "MYSQL_HOST is {}, not the MySQL Service {}",
                    env("MYSQL_HOST"),
                    services[0]
                ));
            }
            for var in ["MYSQL_USER", "MYSQL_PASSWORD"] {
                if env(var)["valueFrom"]["secretKeyRef"]["name"] != secrets[0] {
                    problems.push(format!(
                        "{var} does not come from the MySQL Secret {}: {}",
                        secrets[0],
                        env(var)
                    ));
                }
            }
        }
    }
    // EFK: Fluentd and Kibana reach Elasticsearch by the name of the client Service the release
    // renders (unless pointed elsewhere), and the only hostPath volumes are Fluentd's.
    fn component(d: &Value) -> Option<&str> {
        str_at(d, &["metadata", "labels", "app.kubernetes.io/component"])
    }
    let efk: Vec<&Value> = docs
        .iter()
        .map(|(_, d)| d)
        .filter(|d| name_label(d) == Some("efk"))
        .collect();
    if !efk.is_empty() {
        let es: Vec<&str> = efk
            .iter()
            .filter(|d| {
                str_at(d, &["kind"]) == Some("Service") && component(d) == Some("elasticsearch")
            })
            .filter(|d| str_at(d, &["spec", "clusterIP"]) != Some("None"))
            .filter_map(|d| str_at(d, &["metadata", "name"]))
            .collect();
        let conf = efk
            .iter()
            .find(|d| str_at(d, &["kind"]) == Some("ConfigMap"))
            .and_then(|d| str_at(d, &["data", "fluent.conf"]))
            .unwrap_or_default();
        let external = case
            .args
            .iter()
            .any(|a| a.contains("fluentd.elasticsearch.host="));
        if es.len() != 1 {
            problems.push(format!(
                "expected one Elasticsearch client Service, got {es:?}"
            ));
        } else if !external && !conf.contains(&format!("\n  host {}\n", es[0])) {
            problems.push(format!(
                "fluent.conf does not send to the Service {}",
                es[0]
            ));
        }
        for (source, doc) in docs {
            let volumes = doc
                .pointer("/spec/template/spec/volumes")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let fluentd =
                str_at(doc, &["kind"]) == Some("DaemonSet") && component(doc) == Some("fluentd");
            if !fluentd && volumes.iter().any(|v| v.get("hostPath").is_some()) {
                problems.push(format!(
                    "{source}: a hostPath volume outside the Fluentd DaemonSet"
                ));
            }
        }
        if !external
            && let Some(kibana) = efk.iter().find(|d| {
                str_at(d, &["kind"]) == Some("Deployment") && component(d) == Some("kibana")
            })
        {
            let mut found = Vec::new();
            containers(kibana, &mut found);
            let hosts = found
                .first()
                .and_then(|c| c["env"].as_array().cloned())
                .unwrap_or_default()
                .into_iter()
                .find(|e| e["name"] == "ELASTICSEARCH_HOSTS")
                .unwrap_or_default();
            if es.len() == 1 && hosts["value"] != format!("http://{}:9200", es[0]) {
                problems.push(format!(
                    "Kibana's ELASTICSEARCH_HOSTS is not the Service {}: {hosts}",
                    es[0]
                ));
            }
        }
    }
    // kind: the app on node port 30004 -> container port 5000, as the cluster's port mapping.
    if case.name == "kind" && (case.chart == "two-tier" || case.chart == "flask-app-chart") {
        let services = find("Service", "flask-app-chart");
        let port = services
            .first()
            .map(|s| s["spec"]["ports"][0].clone())
            .unwrap_or_default();
        if services.len() != 1
            || services[0]["spec"]["type"] != "NodePort"
            || port["nodePort"] != 30004
            || port["targetPort"] != 5000
        {
            problems.push(format!(
                "the app's kind Service is not NodePort 30004 -> 5000: {port}"
            ));
        }
    }
    problems
}

#[test]
fn golden_seed_charts() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = cases(dir.path());
    let mut failures = Vec::new();
    for case in &cases {
        let mut args: Vec<String> = vec![
            "template".into(),
            "demo".into(),
            format!("charts/{}", case.chart),
        ];
        args.extend(case.args.iter().cloned());
        args.push("--notes".into());
        let label = format!("{}/{}", case.chart, case.name);
        let output = chartsmith(&args);
        if !output.status.success() {
            failures.push(format!(
                "{label}: chartsmith {args:?} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
        match documents(&stdout) {
            Err(e) => failures.push(format!("{label}: {e}")),
            Ok(docs) => failures.extend(
                check_documents(case, &docs)
                    .into_iter()
                    .map(|p| format!("{label}: {p}")),
            ),
        }
        let path = case.golden_path();
        if update {
            std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
            std::fs::write(&path, &stdout).expect("write golden file");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Err(_) => failures.push(format!(
                "{label}: no golden file {} (run with UPDATE_GOLDEN=1)",
                path.display()
            )),
            Ok(golden) if golden != stdout => failures.push(format!(
                "{label}: output differs from {} (review, then UPDATE_GOLDEN=1):\n{}",
                path.display(),
                first_difference(&golden, &stdout)
            )),
            Ok(_) => {}
        }
    }
    // Golden files that no case produces any more.
    let expected: BTreeSet<PathBuf> = cases.iter().map(Case::golden_path).collect();
    for &chart in CHARTS {
        let Ok(entries) = std::fs::read_dir(root().join("fixtures/golden").join(chart)) else {
            continue;
        };
        for path in entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| !expected.contains(p))
        {
            if update {
                std::fs::remove_file(&path).expect("remove stale golden file");
            } else {
                failures.push(format!(
                    "stale golden file {} (UPDATE_GOLDEN=1 removes it)",
                    path.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let line = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    format!(
        "first difference at line {}:\n  golden: {:?}\n  actual: {:?}",
        line + 1,
        e.get(line).copied().unwrap_or("<end of file>"),
        a.get(line).copied().unwrap_or("<end of file>")
    )
}

/// Runs chartsmith and returns its stderr, asserting that it failed.
fn render_fails(args: &[&str]) -> String {
    let mut all: Vec<String> = vec!["template".into(), "demo".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    let output = chartsmith(&all);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "chartsmith {all:?} should fail; stdout:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

#[test]
fn golden_charts_refuse_to_render_without_credentials() {
    let err = render_fails(&["charts/mysql-chart"]);
    assert!(
        err.contains("auth.rootPassword is required") && err.contains("--set auth.rootPassword="),
        "{err}"
    );

    let err = render_fails(&["charts/mysql-chart", "--set", "auth.rootPassword=x"]);
    assert!(
        err.contains("auth.password is required") && err.contains("--set auth.password="),
        "{err}"
    );

    // In the umbrella, the message names the key as the user sets it there.
    let eks = root().join("charts/two-tier/values-eks.yaml");
    let err = render_fails(&["charts/two-tier", "-f", eks.to_str().expect("UTF-8 path")]);
    assert!(
        err.contains("--set mysql-chart.auth.rootPassword=")
            && err.contains("global.mysql.existingSecret"),
        "{err}"
    );

    let err = render_fails(&["charts/flask-app-chart"]);
    assert!(
        err.contains("mysql.host is required") && err.contains("--set mysql.host="),
        "{err}"
    );

    let err = render_fails(&[
        "charts/two-tier",
        "--set",
        "mongodb.enabled=true",
        "--set",
        "mysql-chart.auth.rootPassword=x,mysql-chart.auth.password=y",
    ]);
    assert!(err.contains("mongodb.auth.rootPassword"), "{err}");
}

/// A mistake is refused naming the key: by the chart's values.schema.json (checked first, as Helm
/// does) or by the template's own check, whose message is friendlier.
fn assert_refused(err: &str, key: &str, template_message: &str) {
    let by_schema = err.contains("values don't meet the specifications of the schema")
        && err.contains(&format!("- {key}:"));
    assert!(
        by_schema || err.contains(template_message),
        "expected `{key}` refused:\n{err}"
    );
}

#[test]
fn golden_charts_refuse_the_seeds_mistakes() {
    // A hard-coded ClusterIP instead of the Service's name.
    let err = render_fails(&[
        "charts/flask-app-chart",
        "--set",
        "mysql.host=10.96.168.235",
    ]);
    assert_refused(
        &err,
        "mysql.host",
        "mysql.host is the IP address 10.96.168.235",
    );
    // The template's check still catches it when schema validation is skipped.
    let err = render_fails(&[
        "charts/flask-app-chart",
        "--skip-schema-validation",
        "--set",
        "mysql.host=10.96.168.235",
    ]);
    assert!(
        err.contains("mysql.host is the IP address 10.96.168.235"),
        "{err}"
    );

    // mysql:latest (it moved to 9.x and broke the seed's client).
    let err = render_fails(&[
        "charts/mysql-chart",
        "--set",
        "auth.rootPassword=x,auth.password=y,image.tag=latest",
    ]);
    assert_refused(&err, "image.tag", "image.tag must not be \"latest\"");
    let err = render_fails(&[
        "charts/flask-app-chart",
        "--set",
        "mysql.host=m,image.tag=latest",
    ]);
    assert_refused(&err, "image.tag", "image.tag must not be \"latest\"");

    // A node port outside Kubernetes' range, or on a ClusterIP Service.
    let err = render_fails(&[
        "charts/flask-app-chart",
        "--set",
        "mysql.host=m,service.type=NodePort,service.nodePort=8080",
    ]);
    assert_refused(
        &err,
        "service.nodePort",
        "outside the node port range 30000-32767",
    );
    let err = render_fails(&[
        "charts/flask-app-chart",
        "--set",
        "mysql.host=m,service.nodePort=30004",
    ]);
    assert_refused(&err, "service.nodePort", "service.type is ClusterIP");

    // MySQL refuses MYSQL_USER=root.
    let err = render_fails(&[
        "charts/mysql-chart",
        "--set",
        "auth.rootPassword=x,auth.password=y,auth.username=root",
    ]);
    assert_refused(&err, "auth.username", "auth.username must not be \"root\"");
}
