//! The CLI on bad input: one clear message, exit 1 (2 for usage), never a panic.

use crate::support::{run, stderr, stdout};

fn fails_with(args: &[&str], code: i32, needles: &[&str]) {
    let output = run(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{args:?}: stderr:\n{err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?}: expected `{needle}` in stderr:\n{err}"
        );
    }
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
}

const BROKEN: &str = "fixtures/charts/broken";

#[test]
fn usage_errors_exit_2() {
    fails_with(&["template"], 2, &["Usage"]);
    fails_with(&["values", "x", "--output", "xml"], 2, &["xml"]);
    fails_with(&["frobnicate"], 2, &[]);
}

#[test]
fn help_is_available_on_every_verb() {
    for verb in ["template", "values", "show", "create"] {
        let output = run(&[verb, "--help"]);
        assert!(output.status.success(), "{verb} --help");
        assert!(stdout(&output).contains("Usage"), "{verb} --help");
    }
}

#[test]
fn missing_chart_yaml() {
    fails_with(
        &["template", &format!("{BROKEN}/no-chart-yaml")],
        1,
        &["Chart.yaml file is missing"],
    );
}

#[test]
fn chart_yaml_missing_a_field() {
    fails_with(
        &["template", &format!("{BROKEN}/missing-version")],
        1,
        &["Chart.yaml", "`version` is required"],
    );
}

#[test]
fn invalid_semver() {
    fails_with(
        &["show", "chart", &format!("{BROKEN}/bad-semver")],
        1,
        &["`1.2` is not a valid SemVer 2 version"],
    );
}

#[test]
fn yaml_syntax_error_names_file_line_and_column() {
    fails_with(
        &["values", &format!("{BROKEN}/bad-values-yaml")],
        1,
        &[
            "bad-values-yaml/values.yaml",
            "line 4, column 6",
            "illegal placement",
        ],
    );
}

#[test]
fn unknown_variable_names_template_line_and_column() {
    fails_with(
        &["template", &format!("{BROKEN}/unknown-variable")],
        1,
        &[
            "unknown-variable/templates/cm.yaml:5:",
            "Field `nope` is not defined",
        ],
    );
}

#[test]
fn unknown_filter_is_a_parse_error() {
    fails_with(
        &["template", &format!("{BROKEN}/unknown-filter")],
        1,
        &[
            "Unknown filter `frobnicate`",
            "unknown-filter/templates/cm.yaml:4:",
        ],
    );
}

#[test]
fn required_prints_its_message() {
    fails_with(
        &["template", &format!("{BROKEN}/required")],
        1,
        &["set auth.password to the database password"],
    );
    let ok = run(&[
        "template",
        &format!("{BROKEN}/required"),
        "--set",
        "auth.password=s3cret",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn set_syntax_error_names_expression_and_position() {
    fails_with(
        &["values", "fixtures/charts/doctest", "--set", "a[x]=1"],
        1,
        &["a[x]=1", "position"],
    );
}

#[test]
fn missing_values_file() {
    fails_with(
        &[
            "values",
            "fixtures/charts/doctest",
            "-f",
            "does-not-exist.yaml",
        ],
        1,
        &["does-not-exist.yaml"],
    );
}

#[test]
fn partial_recursion_is_bounded_and_names_the_cycle() {
    fails_with(
        &["template", &format!("{BROKEN}/include-cycle")],
        1,
        &["cycle", "broken.ping -> broken.pong -> broken.ping"],
    );
    fails_with(
        &["template", &format!("{BROKEN}/component-cycle")],
        1,
        &["component cycle: broken.ping -> broken.pong -> broken.ping"],
    );
}

#[test]
fn templates_cannot_read_the_environment() {
    let output = crate::support::chartsmith()
        .args(["template", &format!("{BROKEN}/get-env")])
        .env("AWS_SECRET_ACCESS_KEY", "do-not-print-me")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !stdout(&output).contains("do-not-print-me")
            && !stderr(&output).contains("do-not-print-me")
    );
    assert!(stderr(&output).contains("get_env"), "{}", stderr(&output));
}

#[test]
fn loop_work_is_bounded() {
    fails_with(
        &["template", &format!("{BROKEN}/loop-bomb")],
        1,
        &["loop work exceeds the limit"],
    );
}

#[test]
fn output_size_is_bounded() {
    fails_with(
        &["template", &format!("{BROKEN}/output-bomb")],
        1,
        &["exceeds the limit of"],
    );
}

#[test]
fn disabled_subchart_is_an_error_for_values_subchart() {
    fails_with(
        &[
            "values",
            &format!("{BROKEN}/disabled-subchart"),
            "--subchart",
            "db",
        ],
        1,
        &["subchart `db`", "disabled"],
    );
    let ok = run(&[
        "values",
        &format!("{BROKEN}/disabled-subchart"),
        "--subchart",
        "db",
        "--set",
        "db.enabled=true",
        "-o",
        "json",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn create_then_template_renders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hello-app");
    let out = run(&["create", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rendered = run(&["template", "demo", path.to_str().unwrap()]);
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    assert!(stdout(&rendered).contains("# Source: hello-app/templates/deployment.yaml"));
    fails_with(&["create", path.to_str().unwrap()], 1, &["already exists"]);
    fails_with(
        &["create", dir.path().join("Bad_Name").to_str().unwrap()],
        1,
        &["invalid chart name"],
    );
}

#[test]
fn values_json_and_yaml_agree() {
    let json = run(&[
        "values",
        "fixtures/charts/doctest",
        "-o",
        "json",
        "--set",
        "replicas=2",
    ]);
    let yaml = run(&["values", "fixtures/charts/doctest", "--set", "replicas=2"]);
    assert!(json.status.success() && yaml.status.success());
    let from_json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(from_json["replicas"], 2);
    assert!(stdout(&yaml).contains("replicas: 2"));
}

#[test]
fn template_json_output_lists_documents() {
    let out = run(&[
        "template",
        "x",
        "fixtures/charts/install-order",
        "-o",
        "json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["manifests"][0]["kind"], "PriorityClass");
    assert_eq!(v["hooks"].as_array().unwrap().len(), 3);
}

#[test]
fn a_yaml_error_never_prints_the_values_around_it() {
    let output = run(&["values", &format!("{BROKEN}/secret-near-error")]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("secret-near-error/values.yaml") && err.contains("line 4"),
        "{err}"
    );
    assert!(
        !err.contains("hunter2"),
        "the error printed a secret:\n{err}"
    );
}
