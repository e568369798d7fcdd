//! The seed charts' values.schema.json refuse wrong values, naming the key; rendering without a
//! credential fails saying which value to set.

use crate::support::{run, stderr};

/// (chart, arguments that render, wrong `--set`, key the error must name).
const WRONG_VALUES: &[(&str, &[&str], &str, &str)] = &[
    (
        "flask-app-chart",
        &["--set", "mysql.host=db"],
        "replicaCount=two",
        "replicaCount",
    ),
    (
        "flask-app-chart",
        &["--set", "mysql.host=db"],
        "service.type=Bogus",
        "service.type",
    ),
    (
        "flask-app-chart",
        &["--set", "mysql.host=db"],
        "service.type=NodePort,service.nodePort=80",
        "service.nodePort",
    ),
    (
        "flask-app-chart",
        &["--set", "mysql.host=db"],
        "replicas=2",
        "(root)",
    ),
    (
        "mysql-chart",
        &["--set", "auth.rootPassword=x,auth.password=y"],
        "workload=pod",
        "workload",
    ),
    (
        "mysql-chart",
        &["--set", "auth.rootPassword=x,auth.password=y"],
        "service.port=two",
        "service.port",
    ),
    (
        "mysql-chart",
        &["--set", "auth.rootPassword=x,auth.password=y"],
        "image.tag=latest",
        "image.tag",
    ),
    (
        "mongodb",
        &["--set", "auth.rootPassword=x"],
        "persistence.enabled=maybe",
        "persistence.enabled",
    ),
    (
        "mongodb",
        &["--set", "auth.rootPassword=x"],
        "image.tag=latest",
        "image.tag",
    ),
    ("efk", &[], "fluentd.logFormat=docker", "fluentd.logFormat"),
    (
        "efk",
        &[],
        "elasticsearch.image.tag=latest",
        "elasticsearch.image.tag",
    ),
    ("redis", &[], "service.type=Bogus", "service.type"),
    (
        "redis",
        &[],
        "service.type=NodePort,service.nodePort=80",
        "service.nodePort",
    ),
    (
        "two-tier",
        &["-f", "charts/two-tier/values-kind.yaml"],
        "flask-app-chart.replicaCount=two",
        "replicaCount",
    ),
    (
        "two-tier",
        &["-f", "charts/two-tier/values-kind.yaml"],
        "flask-app-chart.service.nodePort=80",
        "service.nodePort",
    ),
];

#[test]
fn wrong_values_are_refused_naming_the_key() {
    let mut failures = Vec::new();
    for (chart, base, wrong, key) in WRONG_VALUES {
        let path = format!("charts/{chart}");
        let mut args = vec!["template", "demo", path.as_str()];
        args.extend_from_slice(base);
        let ok = run(&args);
        if !ok.status.success() {
            failures.push(format!("{chart} {base:?} should render: {}", stderr(&ok)));
            continue;
        }
        args.extend_from_slice(&["--set", wrong]);
        let out = run(&args);
        let err = stderr(&out);
        let named = err.contains("values don't meet the specifications of the schema")
            && err.contains(&format!("- {key}:"));
        if out.status.code() != Some(1) || !named {
            failures.push(format!(
                "{chart} --set {wrong}: expected a schema error naming `{key}`, got:\n{err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// (chart, arguments, value the message must tell the user to set).
const MISSING_CREDENTIALS: &[(&str, &[&str], &str)] = &[
    ("mysql-chart", &[], "auth.rootPassword"),
    (
        "mysql-chart",
        &["--set", "auth.rootPassword=x"],
        "auth.password",
    ),
    ("mongodb", &[], "auth.rootPassword"),
    ("redis", &["--set", "auth.enabled=true"], "auth.password"),
    ("two-tier", &[], "mysql-chart.auth.rootPassword"),
];

#[test]
fn a_missing_credential_names_the_value_to_set() {
    let mut failures = Vec::new();
    for (chart, extra, key) in MISSING_CREDENTIALS {
        let path = format!("charts/{chart}");
        let mut args = vec!["template", "demo", path.as_str()];
        args.extend_from_slice(extra);
        let out = run(&args);
        let err = stderr(&out);
        if out.status.code() != Some(1) || !err.contains(key) {
            failures.push(format!(
                "{chart} {extra:?}: expected a failure naming `{key}`, got:\n{err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
