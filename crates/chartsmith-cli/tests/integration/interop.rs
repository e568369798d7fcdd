//! chartsmith against the real helm on charts both can render.

use crate::support::{self, root};

/// Install order: a chart with every kind of Helm's list (in reverse, over several files), unknown
/// kinds, hooks (one with an unknown event), comment-only and empty documents and a subchart. Its
/// templates have no template syntax, so helm and chartsmith render the same source: the outputs
/// must be byte-identical.
#[test]
fn install_order_matches_helm_byte_for_byte() {
    let Some(helm) = support::helm() else { return };
    let chart = root().join("fixtures/charts/install-order");
    let expected = std::process::Command::new(helm)
        .args(["template", "x"])
        .arg(&chart)
        .output()
        .expect("run helm");
    assert!(
        expected.status.success(),
        "helm failed: {}",
        support::stderr(&expected)
    );
    let actual = support::run(&["template", "x", "fixtures/charts/install-order"]);
    assert!(
        actual.status.success(),
        "chartsmith failed: {}",
        support::stderr(&actual)
    );
    let (expected, actual) = (support::stdout(&expected), support::stdout(&actual));
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
fn show_only_matches_helm() {
    let Some(helm) = support::helm() else { return };
    let chart = root().join("fixtures/charts/install-order");
    for only in [
        "templates/hooks.yaml",
        "charts/sub/templates/deployment.yaml",
    ] {
        let expected = std::process::Command::new(&helm)
            .args(["template", "x"])
            .arg(&chart)
            .args(["--show-only", only])
            .output()
            .expect("run helm");
        let actual = support::run(&[
            "template",
            "x",
            "fixtures/charts/install-order",
            "--show-only",
            only,
        ]);
        assert_eq!(
            support::stdout(&actual),
            support::stdout(&expected),
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
    let expected = std::process::Command::new(helm)
        .args(["template", "x"])
        .arg(root().join("fixtures/charts/serialisation/go"))
        .output()
        .expect("run helm");
    assert!(
        expected.status.success(),
        "helm failed: {}",
        support::stderr(&expected)
    );
    let actual = support::run(&["template", "x", "fixtures/charts/serialisation/tera"]);
    assert!(
        actual.status.success(),
        "chartsmith failed: {}",
        support::stderr(&actual)
    );
    let (expected, actual) = (support::stdout(&expected), support::stdout(&actual));
    for (e, a) in expected.lines().zip(actual.lines()) {
        assert_eq!(a, e, "first differing line (left: chartsmith, right: helm)");
    }
    assert_eq!(actual, expected);
}
