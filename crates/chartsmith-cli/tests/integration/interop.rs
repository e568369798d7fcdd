//! chartsmith against the real helm on charts both can render.

use std::path::Path;

use crate::support::{self, root};

/// Runs `helm template x CHART ARGS...` and returns its standard output, failing on an error.
fn helm_template(helm: &Path, chart: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(helm)
        .args(["template", "x"])
        .arg(root().join(chart))
        .args(args)
        .output()
        .expect("run helm");
    assert!(
        output.status.success(),
        "helm failed: {}",
        support::stderr(&output)
    );
    support::stdout(&output)
}

/// Runs `chartsmith template x CHART ARGS...` and returns its standard output, failing on an error.
fn chartsmith_template(chart: &str, args: &[&str]) -> String {
    let mut all = vec!["template", "x", chart];
    all.extend_from_slice(args);
    let output = support::run(&all);
    assert!(
        output.status.success(),
        "chartsmith failed: {}",
        support::stderr(&output)
    );
    support::stdout(&output)
}

/// Install order: a chart with every kind of Helm's list (in reverse, over several files), unknown
/// kinds, hooks (one with an unknown event), comment-only and empty documents and a subchart. Its
/// templates have no template syntax, so helm and chartsmith render the same source: the outputs
/// must be byte-identical.
#[test]
fn install_order_matches_helm_byte_for_byte() {
    let Some(helm) = support::helm() else { return };
    let expected = helm_template(&helm, "fixtures/charts/install-order", &[]);
    let actual = chartsmith_template("fixtures/charts/install-order", &[]);
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b);
        panic!(
            "outputs differ (first differing line: {first:?})\n--- helm\n{expected}\n--- chartsmith\n{actual}"
        );
    }
    // The fixture really exercises the ordering: the first manifest is the PriorityClass and the
    // last generic one an unknown kind, and the unknown hook event is dropped.
    assert!(actual.starts_with("---\n# Source: install-order/templates/a-second-half.yaml\napiVersion: v1\nkind: PriorityClass"));
    assert!(!actual.contains("unknown-event"));
}

/// `--include-crds` (the chart's and its subcharts' `crds/`, never rendered) and `--show-only`
/// select what helm selects.
#[test]
fn include_crds_and_show_only_match_helm() {
    let Some(helm) = support::helm() else { return };
    let chart = "fixtures/charts/install-order";
    let with_crds = chartsmith_template(chart, &["--include-crds"]);
    assert_eq!(
        with_crds,
        helm_template(&helm, chart, &["--include-crds"]),
        "--include-crds"
    );
    assert!(with_crds.contains("gadgets.example.com") && with_crds.contains("not a template"));
    for only in [
        "templates/hooks.yaml",
        "charts/sub/templates/deployment.yaml",
    ] {
        let args = ["--show-only", only];
        assert_eq!(
            chartsmith_template(chart, &args),
            helm_template(&helm, chart, &args),
            "--show-only {only}"
        );
    }
}

/// `toYaml`, `toJson` and `toPrettyJson` write what helm writes, byte for byte, on values chosen
/// to hit go-yaml's quoting, folding, literal-block, key-order and number rules and Go's JSON
/// escaping. `fixtures/charts/serialisation/go` (helm) and `tera` (chartsmith) share their values.
#[test]
fn serialisation_matches_helm_byte_for_byte() {
    let Some(helm) = support::helm() else { return };
    let expected = helm_template(&helm, "fixtures/charts/serialisation/go", &[]);
    let actual = chartsmith_template("fixtures/charts/serialisation/tera", &[]);
    for (e, a) in expected.lines().zip(actual.lines()) {
        assert_eq!(a, e, "first differing line (left: chartsmith, right: helm)");
    }
    assert_eq!(actual, expected);
}

/// chartsmith reads archives that `helm package` writes: `show chart` and `show values` agree with
/// helm's, and the computed values are the same.
#[test]
fn reads_helm_packaged_archives() {
    let Some(helm) = support::helm() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let packaged = std::process::Command::new(&helm)
        .args(["package", "-d"])
        .arg(dir.path())
        .arg(root().join("fixtures/function-pairs/go"))
        .output()
        .expect("run helm package");
    assert!(
        packaged.status.success(),
        "helm package failed: {}",
        support::stderr(&packaged)
    );
    let archive = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "tgz"))
        .expect("a .tgz");
    let archive = archive.to_str().expect("utf-8 path");
    for what in ["chart", "values"] {
        let expected = std::process::Command::new(&helm)
            .args(["show", what, archive])
            .output()
            .expect("helm show");
        let actual = support::run(&["show", what, archive]);
        assert!(
            actual.status.success(),
            "chartsmith show {what}: {}",
            support::stderr(&actual)
        );
        assert_eq!(
            support::stdout(&actual),
            support::stdout(&expected),
            "show {what} of a helm-made archive"
        );
    }
    let values = support::run(&["values", archive, "-o", "json"]);
    assert!(values.status.success(), "{}", support::stderr(&values));
}

/// `show chart|values|readme|crds|all` print what `helm show` prints, byte for byte, on charts with
/// and without values, README and CRDs (subcharts' CRDs included).
#[test]
fn show_matches_helm() {
    let Some(helm) = support::helm() else { return };
    for chart in [
        "fixtures/function-pairs/go",
        "charts/two-tier",
        "fixtures/charts/install-order",
        "fixtures/charts/doctest",
    ] {
        for what in ["chart", "values", "readme", "crds", "all"] {
            let expected = std::process::Command::new(&helm)
                .args(["show", what])
                .arg(root().join(chart))
                .output()
                .expect("helm show");
            let actual = support::run(&["show", what, chart]);
            assert!(
                actual.status.success(),
                "chartsmith show {what} {chart}: {}",
                support::stderr(&actual)
            );
            assert_eq!(
                support::stdout(&actual),
                support::stdout(&expected),
                "show {what} {chart}"
            );
        }
    }
}
