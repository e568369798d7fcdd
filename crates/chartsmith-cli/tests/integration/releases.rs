//! The release lifecycle on the built binary, with a temporary state directory.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{chartsmith, stderr, stdout};

const CHART: &str = "charts/two-tier";
const KIND: &str = "charts/two-tier/values-kind.yaml";

fn cs(state: &Path, args: &[&str]) -> Output {
    cmd(state, args).output().expect("run chartsmith")
}

fn cmd(state: &Path, args: &[&str]) -> Command {
    let mut command = chartsmith();
    command.env("CHARTSMITH_STATE_DIR", state).args(args);
    command
}

fn ok(state: &Path, args: &[&str]) -> String {
    let out = cs(state, args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    stdout(&out)
}

/// The manifests directory's files and their concatenated contents.
fn tree(state: &Path) -> (Vec<String>, String) {
    let dir = state.join("releases/default/demo/manifests");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let text = names
        .iter()
        .map(|n| std::fs::read_to_string(dir.join(n)).expect("manifest file"))
        .collect();
    (names, text)
}

fn history_json(state: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(state, &["history", "demo", "-o", "json"])).expect("history JSON")
}

#[test]
fn install_upgrade_diff_rollback_history_uninstall() {
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    let installed = ok(state, &["install", "demo", CHART, "-f", KIND]);
    assert!(
        installed.contains("STATUS: deployed") && installed.contains("NOTES:"),
        "{installed}"
    );
    assert!(
        installed.starts_with(&format!(
            "TARGET: state directory {} (driver local)\nNAME: demo\n",
            state.display()
        )),
        "{installed}"
    );
    let (files_v1, text_v1) = tree(state);
    assert!(
        files_v1
            .iter()
            .any(|f| f.ends_with("-deployment-demo-flask-app-chart.yaml"))
    );
    // The tree holds exactly what `get manifest` records.
    let manifest_v1 = ok(state, &["get", "manifest", "demo"]);
    assert_eq!(manifest_v1.matches("\n---\n").count() + 1, files_v1.len());

    let upgrade = [
        "demo",
        CHART,
        "-f",
        KIND,
        "--set",
        "flask-app-chart.replicaCount=3",
    ];
    let diff = cs(
        state,
        &[&["diff", "upgrade"][..], &upgrade, &["--detailed-exitcode"]].concat(),
    );
    assert_eq!(diff.status.code(), Some(2), "{}", stderr(&diff));
    let diff = stdout(&diff);
    assert!(
        diff.contains("changed Deployment/demo-flask-app-chart"),
        "{diff}"
    );
    let changed: Vec<_> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed, ["-  replicas: 2", "+  replicas: 3"], "{diff}");

    let upgraded = ok(state, &[&["upgrade"][..], &upgrade].concat());
    assert!(upgraded.contains("has been upgraded") && upgraded.contains("REVISION: 2"));
    let (_, text_v2) = tree(state);
    assert!(text_v2.contains("replicas: 3") && text_v2 != text_v1);
    let no_change = cs(
        state,
        &[&["diff", "upgrade"][..], &upgrade, &["--detailed-exitcode"]].concat(),
    );
    assert_eq!(no_change.status.code(), Some(0));

    ok(state, &["rollback", "demo", "1"]);
    assert_eq!(tree(state), (files_v1.clone(), text_v1.clone()));
    let history: Vec<_> = history_json(state)
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
                r["description"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (1, "superseded".into(), "Install complete".into()),
            (2, "superseded".into(), "Upgrade complete".into()),
            (3, "deployed".into(), "Rollback to 1".into()),
        ]
    );
    assert!(ok(state, &["get", "values", "demo", "--revision", "2"]).contains("replicaCount: 3"));

    ok(state, &["uninstall", "demo", "--keep-history"]);
    assert!(tree(state).0.is_empty());
    assert!(!ok(state, &["list"]).contains("demo"));
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&ok(state, &["list", "-a", "-o", "json"])).unwrap();
    assert_eq!(listed[0]["name"], "demo");
    assert_eq!(listed[0]["status"], "uninstalled");
    assert_eq!(listed[0]["revision"], "3");
}

#[test]
#[cfg(feature = "test-hooks")]
fn concurrent_upgrades_one_wins_the_other_is_refused() {
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    ok(state, &["install", "demo", CHART, "-f", KIND]);
    let mut expected_revision = 1;
    for i in 0..10 {
        let replicas = format!("flask-app-chart.replicaCount={}", i + 2);
        let spawn = || {
            cmd(
                state,
                &["upgrade", "demo", CHART, "-f", KIND, "--set", &replicas],
            )
            .env("CHARTSMITH_TEST_PAUSE_AFTER_PENDING_MS", "400")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let results = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let winners = results.iter().filter(|o| o.status.success()).count();
        assert_eq!(
            winners,
            1,
            "iteration {i}: {:?}",
            results.iter().map(stderr).collect::<Vec<_>>()
        );
        let loser = results.iter().find(|o| !o.status.success()).unwrap();
        assert!(
            stderr(loser).contains("another operation (upgrade) is in progress for release demo"),
            "{}",
            stderr(loser)
        );
        expected_revision += 1;
        let history = history_json(state);
        let versions: Vec<_> = history
            .iter()
            .map(|r| r["revision"].as_u64().unwrap())
            .collect();
        assert_eq!(versions.last(), Some(&expected_revision));
        assert_eq!(
            history.iter().filter(|r| r["status"] == "deployed").count(),
            1
        );
    }
    // Default --history-max 10: the oldest revision was pruned, none is half-written.
    assert_eq!(history_json(state).len(), 10);
}

#[test]
#[cfg(feature = "test-hooks")]
fn a_killed_upgrade_stays_pending_and_rollback_recovers() {
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    ok(state, &["install", "demo", CHART, "-f", KIND]);
    let (_, text_v1) = tree(state);
    let killed = cmd(
        state,
        &[
            "upgrade",
            "demo",
            CHART,
            "-f",
            KIND,
            "--set",
            "flask-app-chart.replicaCount=5",
        ],
    )
    .env("CHARTSMITH_TEST_CRASH_AFTER_PENDING", "1")
    .output()
    .unwrap();
    assert_eq!(killed.status.code(), Some(137));
    let status = ok(state, &["status", "demo"]);
    assert!(
        status.contains("STATUS: pending-upgrade") && status.contains("REVISION: 2"),
        "{status}"
    );
    let refused = cs(state, &["upgrade", "demo", CHART, "-f", KIND]);
    assert!(
        stderr(&refused).contains("pending-upgrade"),
        "{}",
        stderr(&refused)
    );
    ok(state, &["rollback", "demo"]);
    let history = history_json(state);
    let statuses: Vec<_> = history
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "failed", "deployed"]);
    assert_eq!(history[2]["description"], "Rollback to 1");
    assert_eq!(tree(state).1, text_v1);
    ok(state, &["upgrade", "demo", CHART, "-f", KIND]);
}

#[test]
fn output_dir_and_missing_release_errors() {
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    let out = state.join("gitops");
    ok(
        state,
        &[
            "upgrade",
            "--install",
            "demo",
            CHART,
            "-f",
            KIND,
            "--output-dir",
            out.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read_dir(&out).unwrap().count() > 5);
    let missing = cs(state, &["status", "nope"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("not found"),
        "{}",
        stderr(&missing)
    );
    let upgrade_missing = cs(state, &["upgrade", "nope", CHART]);
    assert!(stderr(&upgrade_missing).contains("\"nope\" has no deployed releases"));
}

#[test]
fn the_same_name_in_two_namespaces_and_list_all_namespaces() {
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    ok(state, &["install", "demo", CHART, "-f", KIND]);
    ok(
        state,
        &[
            "upgrade",
            "--install",
            "demo",
            CHART,
            "-f",
            KIND,
            "-n",
            "apps",
            "--create-namespace",
            "--set",
            "flask-app-chart.replicaCount=4",
        ],
    );
    ok(state, &["upgrade", "demo", CHART, "-f", KIND, "-n", "apps"]);
    assert!(state.join("releases/apps/demo/manifests").is_dir());
    assert!(state.join("releases/default/demo/manifests").is_dir());
    let rows = |args: &[&str]| -> Vec<(String, String, String)> {
        let listed: Vec<serde_json::Value> =
            serde_json::from_str(&ok(state, &[args, &["-o", "json"]].concat())).unwrap();
        listed
            .iter()
            .map(|r| {
                (
                    r["namespace"].as_str().unwrap().to_string(),
                    r["name"].as_str().unwrap().to_string(),
                    r["revision"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        rows(&["list", "-A"]),
        [
            ("apps".into(), "demo".into(), "2".into()),
            ("default".into(), "demo".into(), "1".into())
        ]
    );
    assert_eq!(
        rows(&["list"]),
        [("default".into(), "demo".into(), "1".into())]
    );
    assert_eq!(
        rows(&["list", "-n", "apps"]),
        [("apps".into(), "demo".into(), "2".into())]
    );
    let table = ok(state, &["list", "--all-namespaces"]);
    assert_eq!(table.lines().count(), 3, "{table}");
    // Every release verb takes -n.
    assert!(ok(state, &["status", "demo", "-n", "apps"]).contains("NAMESPACE: apps"));
    assert!(
        ok(
            state,
            &["get", "values", "demo", "-n", "apps", "--revision", "1"]
        )
        .contains("replicaCount: 4")
    );
    assert_eq!(history_json_in(state, "apps").len(), 2, "history -n apps");
    assert_eq!(history_json_in(state, "default").len(), 1);
    let diff = cs(
        state,
        &[
            "diff",
            "rollback",
            "demo",
            "1",
            "-n",
            "apps",
            "--detailed-exitcode",
        ],
    );
    // Revision 1 in apps had 4 replicas; the default namespace's release is not involved.
    assert_eq!(diff.status.code(), Some(2), "{}", stderr(&diff));
    assert!(
        stdout(&diff).contains("+  replicas: 4"),
        "{}",
        stdout(&diff)
    );
    ok(state, &["rollback", "demo", "1", "-n", "apps"]);
    ok(state, &["uninstall", "demo", "-n", "apps"]);
    assert_eq!(
        rows(&["list", "-A"]),
        [("default".into(), "demo".into(), "1".into())]
    );
    let missing = cs(state, &["status", "demo", "-n", "apps"]);
    assert!(
        stderr(&missing).contains("not found"),
        "{}",
        stderr(&missing)
    );
}

fn history_json_in(state: &Path, namespace: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(
        state,
        &["history", "demo", "-n", namespace, "-o", "json"],
    ))
    .expect("history JSON")
}

#[test]
fn a_state_directory_from_before_namespaces_keeps_working() {
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    ok(state, &["install", "demo", CHART, "-f", KIND, "-n", "apps"]);
    // Move it into the layout of earlier versions: releases/NAME/.
    std::fs::rename(
        state.join("releases/apps/demo"),
        state.join("releases/demo"),
    )
    .unwrap();
    std::fs::remove_dir(state.join("releases/apps")).unwrap();
    assert!(ok(state, &["list", "-A"]).contains("apps"));
    assert!(cs(state, &["status", "demo"]).status.code() == Some(1));
    ok(state, &["upgrade", "demo", CHART, "-f", KIND, "-n", "apps"]);
    assert!(state.join("releases/demo/v2.json").exists());
    assert!(state.join("releases/demo/manifests").is_dir());
    assert_eq!(history_json_in(state, "apps").len(), 2);
}

#[test]
fn the_cluster_drivers_say_what_they_need() {
    let state = tempfile::tempdir().unwrap();
    let bogus = cs(state.path(), &["list", "--driver", "sql"]);
    assert_eq!(bogus.status.code(), Some(2), "{}", stderr(&bogus));
    let env = cmd(state.path(), &["list"])
        .env("CHARTSMITH_DRIVER", "sql")
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(2), "{}", stderr(&env));
}
