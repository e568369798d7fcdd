//! `chartsmith lint`: the seed charts lint clean with `--strict` in every environment, and each
//! fixture chart under `fixtures/charts/lint/` produces exactly the finding it is named after.

use serde_json::Value;

use crate::support::{root, run, stderr, stdout};

const ENVIRONMENTS: &[&str] = &["kind", "eks", "k3s"];

/// The credentials and hosts the golden tests give each chart on its own (throwaway values).
fn minimal_set(chart: &str) -> &'static str {
    match chart {
        "mysql-chart" => "auth.rootPassword=lint-root-password,auth.password=lint-app-password",
        "flask-app-chart" => {
            "mysql.host=mysql-chart,redis.host=redis-master,mongodb.host=mongodb,mongodb.existingSecret=mongodb"
        }
        "two-tier" => {
            "mysql-chart.auth.rootPassword=lint-root-password,mysql-chart.auth.password=lint-app-password"
        }
        "mongodb" => "auth.rootPassword=lint-root-password",
        _ => "",
    }
}

/// Runs `chartsmith lint ARGS -o json` and returns the exit code and the findings.
fn lint_json(args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    let output = run(&all);
    let findings: Value = serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| {
        panic!(
            "lint {args:?}: not JSON ({e}): {}{}",
            stdout(&output),
            stderr(&output)
        )
    });
    (
        output.status.code().unwrap_or(-1),
        findings.as_array().cloned().unwrap_or_default(),
        stderr(&output),
    )
}

fn assert_clean(args: &[&str]) {
    let (code, findings, err) = lint_json(args);
    assert!(findings.is_empty(), "lint {args:?}: {findings:#?}");
    assert_eq!(code, 0, "lint {args:?}: {err}");
}

#[test]
fn umbrella_lints_clean_in_every_environment() {
    for env in ENVIRONMENTS {
        let file = format!("charts/two-tier/values-{env}.yaml");
        // values-kind.yaml is complete on its own; the others need credentials.
        if *env == "kind" {
            assert_clean(&["charts/two-tier", "-f", &file, "--strict"]);
        }
        assert_clean(&[
            "charts/two-tier",
            "-f",
            &file,
            "--set",
            minimal_set("two-tier"),
            "--strict",
        ]);
    }
}

#[test]
fn each_seed_chart_lints_clean_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    for chart in ["mysql-chart", "flask-app-chart", "redis", "mongodb", "efk"] {
        let path = format!("charts/{chart}");
        let mut args = vec![path.as_str(), "--strict"];
        let set = minimal_set(chart);
        if !set.is_empty() {
            args.extend_from_slice(&["--set", set]);
        }
        // On its own, flask-app-chart reads the Secret of a separate mysql-chart release named
        // `mysql-chart` (mysql.host): managed outside this chart, as the lint is told.
        if chart == "flask-app-chart" {
            args.extend_from_slice(&["--external", "Secret/mysql-chart"]);
        }
        assert_clean(&args);
        // With its section of each environment file.
        for env in ENVIRONMENTS {
            let text =
                std::fs::read_to_string(root().join(format!("charts/two-tier/values-{env}.yaml")))
                    .expect("environment file");
            let values: Value = serde_saphyr::from_str(&text).expect("environment YAML");
            let Some(section) = values.get(chart) else {
                continue;
            };
            let cut = dir.path().join(format!("{chart}-{env}.json"));
            std::fs::write(&cut, section.to_string()).expect("write section");
            let cut = cut.to_string_lossy().into_owned();
            let mut with_env = args.clone();
            with_env.extend_from_slice(&["-f", &cut]);
            assert_clean(&with_env);
        }
        // With the chart's own environment files (charts/efk/values-ENV.yaml).
        for env in ENVIRONMENTS {
            let own = root().join(format!("charts/{chart}/values-{env}.yaml"));
            if own.exists() {
                let own = own.to_string_lossy().into_owned();
                let mut with_env = args.clone();
                with_env.extend_from_slice(&["-f", &own]);
                assert_clean(&with_env);
            }
        }
    }
}

#[test]
fn the_standalone_app_chart_names_the_secret_it_does_not_render() {
    let (code, findings, _) = lint_json(&[
        "charts/flask-app-chart",
        "--set",
        minimal_set("flask-app-chart"),
    ]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = findings.iter().filter_map(|f| f["rule"].as_str()).collect();
    assert_eq!(rules, ["config-reference-not-rendered"], "{findings:#?}");
}

#[test]
fn each_fixture_gives_exactly_its_rule() {
    let fixtures = root().join("fixtures/charts/lint");
    let mut seen = 0;
    for entry in std::fs::read_dir(&fixtures).expect("fixtures/charts/lint") {
        let path = entry.expect("entry").path();
        // `RULE` or `RULE--CASE` (several fixtures for one rule); `clean*`: no finding.
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let rule = name.split("--").next().unwrap_or_default().to_string();
        let chart = path.to_string_lossy().into_owned();
        let (code, findings, err) = lint_json(&[&chart, "--strict"]);
        if rule.starts_with("clean") {
            assert!(findings.is_empty(), "{rule}: {findings:#?}");
            assert_eq!(code, 0, "{err}");
            continue;
        }
        seen += 1;
        assert_eq!(findings.len(), 1, "{rule}: {findings:#?} {err}");
        let f = &findings[0];
        assert_eq!(f["rule"], rule.as_str());
        // An info finding (unknown-kind) does not fail the lint.
        let expected = if f["severity"] == "info" { 0 } else { 1 };
        assert_eq!(code, expected, "{name}");
        for key in ["file", "line", "column", "severity", "message", "hint"] {
            assert!(!f[key].is_null(), "{rule}: no {key} in {f}");
        }
        assert!(
            f["file"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("lint-{name}/"))),
            "{f}"
        );
    }
    assert_eq!(seen, 20, "one fixture per rule, and per schema failure");
}

/// Each schema fixture: its rule, file, line and the field path or apiVersion in the message.
#[test]
fn schema_findings_name_the_file_line_and_field() {
    let cases = [
        (
            "kubernetes-schema--unknown-field",
            "deployment.yaml",
            6,
            "spec.replica: unknown field",
        ),
        (
            "kubernetes-schema--wrong-type",
            "deployment.yaml",
            6,
            "spec.replicas:",
        ),
        (
            "kubernetes-schema--missing-required",
            "deployment.yaml",
            5,
            "spec.selector: required",
        ),
        (
            "removed-api-version--hpa-v2beta2",
            "hpa.yaml",
            1,
            "use autoscaling/v2",
        ),
        (
            "removed-api-version--extensions-ingress",
            "ingress.yaml",
            1,
            "use networking.k8s.io/v1",
        ),
        ("unknown-kind", "widget.yaml", 1, "skipped, not validated"),
        (
            "kubernetes-schema--custom-resource",
            "widget.yaml",
            7,
            "spec.colour: unknown field (not in the schema of version v1 of the CRD widgets.example.com)",
        ),
    ];
    for (name, file, line, needle) in cases {
        let chart = format!("fixtures/charts/lint/{name}");
        let (_, findings, _) = lint_json(&[&chart]);
        assert_eq!(findings.len(), 1, "{name}: {findings:#?}");
        let f = &findings[0];
        assert_eq!(f["file"], format!("lint-{name}/templates/{file}").as_str());
        assert_eq!(f["line"], line, "{f}");
        assert!(
            f["message"].as_str().is_some_and(|m| m.contains(needle)),
            "{f}"
        );
    }
    // The HPA's apiVersion is served by neither supported version.
    let (code, findings, _) = lint_json(&[
        "fixtures/charts/lint/removed-api-version--hpa-v2beta2",
        "--kube-version",
        "1.34.0",
    ]);
    assert_eq!(code, 1);
    assert!(
        findings[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Kubernetes 1.34"))
    );
}

/// The seed mistakes: an HTTP probe on MySQL, `mysql:latest`, `MYSQL_HOST: 10.96.168.235`, an HPA
/// on a Deployment without CPU requests.
#[test]
fn seed_mistakes_are_caught_with_location() {
    let cases = [
        (
            "http-probe-on-database-port",
            "mysql-deployment.yaml",
            30,
            "3306",
        ),
        (
            "image-tag-mutable",
            "mysql-deployment.yaml",
            17,
            "mysql:latest",
        ),
        ("env-literal-ip", "web-deployment.yaml", 23, "10.96.168.235"),
        (
            "hpa-target-without-cpu-requests",
            "web-deployment.yaml",
            16,
            "no CPU request",
        ),
    ];
    for (rule, file, line, needle) in cases {
        let chart = format!("fixtures/charts/lint/{rule}");
        let (_, findings, _) = lint_json(&[&chart]);
        let f = &findings[0];
        assert_eq!(f["rule"], rule);
        assert_eq!(f["file"], format!("lint-{rule}/templates/{file}").as_str());
        assert_eq!(f["line"], line, "{f}");
        assert!(
            f["message"].as_str().is_some_and(|m| m.contains(needle)),
            "{f}"
        );
    }
}

#[test]
fn warnings_fail_only_with_strict_and_text_output_is_rustc_style() {
    let chart = "fixtures/charts/lint/image-tag-mutable";
    let output = run(&["lint", chart]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("warning[image-tag-mutable]: image `mysql:latest`"),
        "{text}"
    );
    assert!(
        text.contains("--> lint-image-tag-mutable/templates/mysql-deployment.yaml:17:"),
        "{text}"
    );
    assert!(text.contains("= help: pin the image"), "{text}");
    assert_eq!(run(&["lint", chart, "--strict"]).status.code(), Some(1));
}

#[test]
fn credentials_are_reported_without_their_value() {
    let output = run(&["lint", "fixtures/charts/lint/credentials-in-values"]);
    let text = stdout(&output);
    assert!(
        text.contains("lint-credentials-in-values/values.yaml:4:3"),
        "{text}"
    );
    assert!(!text.contains("admin"), "{text}");
}

#[test]
fn rules_can_be_disabled_by_chart_annotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = root().join("fixtures/charts/lint/http-probe-on-database-port");
    let target = dir.path().join("chart");
    std::fs::create_dir_all(target.join("templates")).expect("mkdir");
    for entry in std::fs::read_dir(source.join("templates")).expect("templates") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name");
        std::fs::copy(&path, target.join("templates").join(name)).expect("copy");
    }
    std::fs::copy(source.join("values.yaml"), target.join("values.yaml")).expect("copy");
    let chart_yaml = std::fs::read_to_string(source.join("Chart.yaml")).expect("Chart.yaml")
        + "annotations:\n  chartsmith.dev/lint-disable: \"image-tag-mutable, http-probe-on-database-port\"\n";
    std::fs::write(target.join("Chart.yaml"), chart_yaml).expect("write");
    assert_clean(&[&target.to_string_lossy(), "--strict"]);
    // And per run.
    assert_clean(&[
        "fixtures/charts/lint/http-probe-on-database-port",
        "--disable",
        "http-probe-on-database-port",
    ]);
}

/// `template --validate`: the lint layers on what is rendered; errors fail with the findings on
/// standard error (the `lint` text format) and no manifests, a clean chart prints its manifests.
#[test]
fn template_validate_fails_on_errors_and_prints_manifests_otherwise() {
    for (fixture, rule) in [
        ("kubernetes-schema--custom-resource", "kubernetes-schema"),
        ("http-probe-on-database-port", "http-probe-on-database-port"),
    ] {
        let chart = format!("fixtures/charts/lint/{fixture}");
        let output = run(&["template", &chart, "--validate"]);
        assert_eq!(output.status.code(), Some(1), "{fixture}");
        let err = stderr(&output);
        assert!(err.contains(&format!("error[{rule}]: ")), "{err}");
        assert!(
            err.contains(&format!("--> lint-{fixture}/templates/")),
            "{err}"
        );
        assert!(err.contains("= help: "), "{err}");
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
        // Without --validate it renders.
        assert_eq!(run(&["template", &chart]).status.code(), Some(0));
    }
    // A seed chart passes, and prints the same manifests as without --validate.
    let args = [
        "template",
        "charts/two-tier",
        "-f",
        "charts/two-tier/values-kind.yaml",
    ];
    let plain = run(&args);
    let mut with = args.to_vec();
    with.push("--validate");
    let validated = run(&with);
    assert_eq!(validated.status.code(), Some(0), "{}", stderr(&validated));
    assert!(stdout(&validated).contains("kind: Deployment"));
    assert_eq!(stdout(&validated), stdout(&plain));
    // Warnings are shown but do not fail.
    let output = run(&[
        "template",
        "fixtures/charts/lint/image-tag-mutable",
        "--validate",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("warning[image-tag-mutable]"));
    assert!(stdout(&output).contains("mysql:latest"));
}

/// `.chartsmith-lint.yaml`: `disable` and `external` turn off findings that fire without it, in
/// a directory and in an archive; an unknown rule id is an error naming the file.
#[test]
fn lint_config_file_disables_rules_and_names_external_references() {
    let fixture = "fixtures/charts/lint/clean-config-file";
    assert_clean(&[fixture, "--strict"]);

    // Without the file, both findings come back.
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("lint-clean-config-file");
    std::fs::create_dir_all(copy.join("templates")).expect("mkdir");
    let source = root().join(fixture);
    for file in [
        "Chart.yaml",
        "templates/deployment.yaml",
        ".chartsmith-lint.yaml",
    ] {
        std::fs::copy(source.join(file), copy.join(file)).expect("copy");
    }
    let copy_path = copy.to_string_lossy().into_owned();
    assert_clean(&[&copy_path, "--strict"]);
    // An archive reads it from the chart's files.
    let archive = dir.path().join("chart.tgz");
    let tar = std::process::Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .arg("lint-clean-config-file")
        .status();
    if tar.is_ok_and(|s| s.success()) {
        assert_clean(&[&archive.to_string_lossy(), "--strict"]);
    }
    std::fs::remove_file(copy.join(".chartsmith-lint.yaml")).expect("rm");
    let (code, findings, _) = lint_json(&[&copy_path, "--strict"]);
    assert_eq!(code, 1);
    let mut rules: Vec<&str> = findings.iter().filter_map(|f| f["rule"].as_str()).collect();
    rules.sort();
    assert_eq!(
        rules,
        ["config-reference-not-rendered", "image-tag-mutable"],
        "{findings:#?}"
    );
    // The flags merge with the file: the same two, given on the command line.
    assert_clean(&[
        &copy_path,
        "--strict",
        "--disable",
        "image-tag-mutable",
        "--external",
        "Secret/shared-credentials",
    ]);

    // An unknown rule id fails lint and template --validate, naming the file and the id.
    let bad = "fixtures/charts/lint-config/unknown-rule";
    for args in [vec!["lint", bad], vec!["template", bad, "--validate"]] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(
            err.contains("lint-config-unknown-rule/.chartsmith-lint.yaml: unknown lint rule `image-tag-latest`"),
            "{err}"
        );
    }
}
