//! Everyday Helm command lines, typed as a Helm user types them: aliases, global flags before
//! or after the verb, the output formats, dry runs, `uninstall --ignore-not-found`, usage errors,
//! and nothing left behind by a failed operation. Exit codes: 0 ok, 1 error, 2 usage.

use std::path::PathBuf;
use std::process::Output;

use crate::support::{chartsmith, helm, stderr, stdout};

const CHART: &str = "fixtures/charts/helm-habits";

/// A chartsmith with its own state, config and cache directories.
struct Habits {
    dir: tempfile::TempDir,
}

impl Habits {
    fn new() -> Habits {
        Habits {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn run(&self, line: &str) -> Output {
        let args = line.split_whitespace().collect::<Vec<_>>();
        self.run_args(&args)
    }

    fn run_args(&self, args: &[&str]) -> Output {
        chartsmith()
            .args(args)
            .env("CHARTSMITH_STATE_DIR", self.state())
            .env("CHARTSMITH_CONFIG_DIR", self.dir.path().join("config"))
            .env("CHARTSMITH_CACHE_DIR", self.dir.path().join("cache"))
            .env_remove("CHARTSMITH_DRIVER")
            .env_remove("CHARTSMITH_NAMESPACE")
            .env_remove("CHARTSMITH_DEBUG")
            .env_remove("KUBECONFIG")
            .output()
            .expect("run chartsmith")
    }

    /// Runs `line`, checks its exit code, returns its standard output.
    fn ok(&self, line: &str) -> String {
        self.expect(line, 0).0
    }

    /// Runs `line`, checks its exit code, returns standard output and standard error.
    fn expect(&self, line: &str, code: i32) -> (String, String) {
        let output = self.run(line);
        let (out, err) = (stdout(&output), stderr(&output));
        assert_eq!(
            output.status.code(),
            Some(code),
            "`chartsmith {line}`:\nstdout:\n{out}\nstderr:\n{err}"
        );
        assert!(!err.contains("panicked"), "`{line}` panicked:\n{err}");
        (out, err)
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"))
}

#[test]
fn releases_as_a_helm_user_types_them() {
    let h = Habits::new();
    let (_, err) = h.expect(
        &format!("install web {CHART} -n apps --wait --timeout 30s"),
        0,
    );
    assert_eq!(
        err.matches("nothing to wait for").count(),
        1,
        "--wait with the local store says so once:\n{err}"
    );
    h.ok(&format!(
        "upgrade web {CHART} --namespace apps --set replicas=2"
    ));

    // list / ls and its output contracts.
    let table = h.ok("ls -n apps");
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("web") && table.contains("helm-habits-0.1.0"),
        "{table}"
    );
    assert_eq!(h.ok("list -o table -n apps"), table, "table is the default");
    assert_eq!(h.ok("ls -A -q"), "web\n");
    assert_eq!(h.ok("ls -A --short -o json"), "[\n  \"web\"\n]\n");
    let rows = h.ok("ls -A --no-headers");
    assert!(!rows.contains("NAME") && rows.starts_with("web"), "{rows}");
    let listed = json(&h.ok("ls -A -o json"));
    assert_eq!(listed[0]["name"], "web");
    assert_eq!(listed[0]["namespace"], "apps");
    assert_eq!(listed[0]["revision"], "2");
    assert_eq!(
        yaml(&h.ok("ls -A -o yaml")),
        listed,
        "yaml is the same data as json"
    );
    assert_eq!(h.ok("ls -A --filter ^we -q"), "web\n");
    assert_eq!(h.ok("ls -A -f eb$ -q"), "web\n", "unanchored, as helm");
    assert_eq!(h.ok("ls -A -f ^x -q"), "");
    let (_, err) = h.expect("ls -A --filter (", 1);
    assert!(err.contains("--filter"), "{err}");
    assert_eq!(h.ok("ls -q"), "", "the default namespace has none");

    // Global flags, before or after the verb; those a verb has no use for are ignored.
    let (out, err) = h.expect(
        "--kube-context nowhere --kubeconfig /nonexistent --repository-config /nonexistent/r.yaml \
         --repository-cache /nonexistent --registry-config /nonexistent/c.json -n apps --debug ls -q",
        0,
    );
    assert_eq!(out, "web\n");
    assert!(err.contains("debug: target state directory"), "{err}");
    assert!(err.contains("(driver local)"), "{err}");
    h.ok(&format!(
        "template web {CHART} --kube-context nowhere --debug --registry-config /x -n apps"
    ));
    h.ok(&format!(
        "--namespace apps lint {CHART} --repository-cache /x"
    ));

    // history / hist.
    let history = h.ok("hist web -n apps");
    assert!(history.starts_with("REVISION"), "{history}");
    assert!(history.contains("Upgrade complete"), "{history}");
    let revisions = json(&h.ok("history web -n apps -o json"));
    assert_eq!(revisions.as_array().map(Vec::len), Some(2));
    assert_eq!(yaml(&h.ok("history web -n apps -o yaml")), revisions);

    // status: the summary, or the record as JSON or YAML (real YAML, not the summary).
    let summary = h.ok("status web -n apps");
    assert!(summary.contains("STATUS: deployed"), "{summary}");
    assert_eq!(h.ok("status web -n apps -o table"), summary);
    let record = json(&h.ok("status web -n apps -o json"));
    assert_eq!(record["name"], "web");
    assert_eq!(record["info"]["status"], "deployed");
    assert_eq!(yaml(&h.ok("status web -n apps -o yaml")), record);

    // get values -a, get metadata.
    let values = h.ok("get values web -n apps -a");
    assert!(values.starts_with("COMPUTED VALUES:\n"), "{values}");
    assert!(values.contains("replicas: 2"), "{values}");
    assert_eq!(
        h.ok("get values web -n apps"),
        "USER-SUPPLIED VALUES:\nreplicas: 2\n"
    );
    let metadata = h.ok("get metadata web -n apps");
    for line in [
        "NAME: web\n",
        "CHART: helm-habits\n",
        "VERSION: 0.1.0\n",
        "APP_VERSION: 1.0\n",
        "ANNOTATIONS: category=Test\n",
        "NAMESPACE: apps\n",
        "REVISION: 2\n",
        "STATUS: deployed\n",
        "DEPLOYED_AT: ",
    ] {
        assert!(metadata.contains(line), "`{line}` in:\n{metadata}");
    }
    let meta = json(&h.ok("get metadata web -n apps -o json"));
    assert_eq!(meta["appVersion"], "1.0");
    assert_eq!(meta["revision"], 2);
    assert_eq!(yaml(&h.ok("get metadata web -n apps -o yaml")), meta);

    // Dry runs print the hooks after HOOKS: and the manifest after MANIFEST:, as helm does.
    for line in [
        format!("install preview {CHART} --dry-run"),
        format!("install preview {CHART} --dry-run=client"),
        format!("upgrade web {CHART} -n apps --dry-run=server"),
    ] {
        let out = h.ok(&line);
        let hooks =
            out.find("HOOKS:\n---\n# Source: helm-habits/templates/tests/test-connection.yaml\n");
        let manifest = out.find("MANIFEST:\n---\n# Source: helm-habits/templates/configmap.yaml\n");
        let notes = out.find("\nNOTES:\nThe habits chart is installed.\n");
        assert!(
            hooks.is_some() && hooks < manifest && manifest < notes,
            "`{line}`:\n{out}"
        );
    }
    assert_eq!(h.ok("ls -A -q"), "web\n", "a dry run records nothing");

    // uninstall / un / delete.
    let (out, _) = h.expect("un nope --ignore-not-found", 0);
    assert!(out.contains("nope"), "{out}");
    let (_, err) = h.expect("delete nope", 1);
    assert!(err.contains("not found: nope"), "{err}");
    assert!(
        !h.state().join("releases/default/nope").exists(),
        "a failed operation on an unknown release leaves no lock file behind"
    );
    let (_, err) = h.expect("rollback nope", 1);
    assert!(err.contains("nope"), "{err}");
    assert!(!h.state().join("releases/default/nope").exists());
    let (_, err) = h.expect("uninstall web -n apps --ignore-not-fund", 2);
    assert!(
        err.contains("a similar argument exists: '--ignore-not-found'"),
        "{err}"
    );
    assert!(
        !err.contains("-- --ignore"),
        "no tip to pass the flag as a value:\n{err}"
    );
    assert_eq!(h.ok("un web -n apps"), "release \"web\" uninstalled\n");
    assert_eq!(h.ok("ls -A -q"), "");
    assert!(
        !h.state().join("releases/apps/web/.lock").exists(),
        "an uninstall that removed every revision removes the lock file"
    );
}

#[test]
fn chart_and_repository_aliases() {
    let h = Habits::new();
    let chart = h.ok(&format!("inspect chart {CHART}"));
    assert!(chart.contains("name: helm-habits"), "{chart}");
    h.ok(&format!("dep list {CHART}"));
    h.ok(&format!("dependency up {CHART}"));
    h.ok("repo up");
    let (_, err) = h.expect("repo rm nope", 1);
    assert!(err.contains("no repository named `nope`"), "{err}");
    let (_, err) = h.expect("fetch nope/chart", 1);
    assert!(err.contains("no repository named `nope`"), "{err}");
    // Usage errors exit 2.
    h.expect("ls --bogus", 2);
    h.expect("frobnicate", 2);
}

#[test]
fn version_completion_and_env() {
    let h = Habits::new();
    let version = concat!("v", env!("CARGO_PKG_VERSION"));
    assert_eq!(h.ok("version --short"), format!("{version}\n"));
    assert!(
        h.ok("version")
            .starts_with(&format!("version.BuildInfo{{Version:\"{version}\""))
    );
    assert_eq!(json(&h.ok("version -o json"))["version"], version);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = h.ok(&format!("completion {shell}"));
        assert!(
            script.contains("chartsmith") && script.contains("uninstall"),
            "{shell}: {script}"
        );
    }
    h.expect("completion tcsh", 2);

    let env = h.ok("env");
    let state = format!("CHARTSMITH_STATE_DIR=\"{}\"\n", h.state().display());
    assert!(env.contains(&state), "{env}");
    assert!(env.contains("CHARTSMITH_DRIVER=\"local\"\n"), "{env}");
    assert!(env.contains("CHARTSMITH_REPOSITORY_CONFIG="), "{env}");
    let settings = json(&h.ok("--repository-config /x/repos.yaml env -o json"));
    assert_eq!(settings["CHARTSMITH_REPOSITORY_CONFIG"], "/x/repos.yaml");
    assert_eq!(
        h.ok("env CHARTSMITH_STATE_DIR"),
        format!("{}\n", h.state().display())
    );
    h.expect("env NOPE", 1);
}

/// Helm reads a record of chartsmith's local store through its memory driver
/// (`HELM_MEMORY_DRIVER_DATA`): `list`, `history`, `get metadata` and `status` print the same data.
#[test]
fn list_history_metadata_and_status_match_helm() {
    let Some(helm) = helm() else { return };
    let h = Habits::new();
    h.ok(&format!("install web {CHART} -n apps"));
    let record: serde_json::Value = json(
        &std::fs::read_to_string(h.state().join("releases/apps/web/v1.json")).expect("record"),
    );
    let data = h.dir.path().join("releases.json");
    std::fs::write(&data, serde_json::to_string(&[record]).expect("JSON")).expect("write");
    let helm_json = |args: &[&str]| -> serde_json::Value {
        let output = std::process::Command::new(&helm)
            .args(args)
            .env("HELM_DRIVER", "memory")
            .env("HELM_MEMORY_DRIVER_DATA", &data)
            .env("HOME", h.dir.path())
            .output()
            .expect("run helm");
        assert!(
            output.status.success(),
            "helm {args:?}: {}",
            stderr(&output)
        );
        json(&stdout(&output))
    };
    for args in [
        &["list", "-n", "apps", "-o", "json"][..],
        &["history", "web", "-n", "apps", "-o", "json"],
        &["get", "metadata", "web", "-n", "apps", "-o", "json"],
        &["status", "web", "-n", "apps", "-o", "json"],
    ] {
        let ours = json(&stdout(&h.run_args(args)));
        assert_eq!(ours, helm_json(args), "{args:?}");
    }
    // The dry run's text, but for the time of LAST DEPLOYED.
    let strip = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with("LAST DEPLOYED:"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let line = ["install", "preview", CHART, "--dry-run=client"];
    let theirs = std::process::Command::new(&helm)
        .args(line)
        .current_dir(crate::support::root())
        .env("HOME", h.dir.path())
        .output()
        .expect("run helm");
    assert!(theirs.status.success(), "{}", stderr(&theirs));
    assert_eq!(strip(&stdout(&h.run_args(&line))), strip(&stdout(&theirs)));
}

/// `pull URL` of a chart archive, with and without `--untar`; a hostile archive by URL is
/// refused before anything is written.
#[test]
fn pull_a_chart_archive_by_url() {
    let h = Habits::new();
    let served = h.dir.path().join("served");
    h.ok(&format!("package {CHART} -d {}", served.display()));
    std::fs::write(served.join("broken-0.1.0.tgz"), b"not a gzip stream").expect("write");
    let server = crate::support::Server::start(&served);
    let url = format!("{}/helm-habits-0.1.0.tgz", server.url);

    let archives = h.dir.path().join("archives");
    let out = h.ok(&format!("pull {url} -d {}", archives.display()));
    assert!(out.contains("helm-habits-0.1.0.tgz"), "{out}");
    assert_eq!(
        std::fs::read(archives.join("helm-habits-0.1.0.tgz")).expect("pulled"),
        std::fs::read(served.join("helm-habits-0.1.0.tgz")).expect("served"),
    );
    let unpacked = h.dir.path().join("unpacked");
    h.ok(&format!("fetch {url} --untar -d {}", unpacked.display()));
    assert!(unpacked.join("helm-habits/Chart.yaml").is_file());
    assert!(
        unpacked
            .join("helm-habits/templates/configmap.yaml")
            .is_file()
    );

    let refused = h.dir.path().join("refused");
    for line in [
        format!(
            "pull {}/broken-0.1.0.tgz -d {}",
            server.url,
            refused.display()
        ),
        format!(
            "pull {}/broken-0.1.0.tgz --untar -d {}",
            server.url,
            refused.display()
        ),
        format!(
            "pull {}/missing-0.1.0.tgz -d {}",
            server.url,
            refused.display()
        ),
    ] {
        let (_, err) = h.expect(&line, 1);
        assert!(err.contains(&server.url), "the error names the URL: {err}");
        assert!(!refused.exists(), "`{line}` wrote nothing");
    }
}

/// `search repo` over a cached index, as helm finds it in the same files (helm reads
/// `REPOSITORY_CACHE/NAME-index.yaml`, the layout chartsmith writes).
#[test]
fn search_repo_finds_what_helm_finds() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("repositories.yaml");
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        &config,
        "apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- name: seeds\n  url: https://charts.example.com\n",
    )
    .unwrap();
    let entry = |name: &str, version: &str, description: &str, keywords: &str| {
        format!(
            "  - apiVersion: v2\n    name: {name}\n    version: {version}\n    appVersion: \"1.0\"\n    description: {description}\n    keywords: [{keywords}]\n    created: \"2026-01-01T00:00:00Z\"\n    digest: \"00\"\n    urls: [https://charts.example.com/{name}-{version}.tgz]\n"
        )
    };
    std::fs::write(
        cache.join("seeds-index.yaml"),
        format!(
            "apiVersion: v1\ngenerated: \"2026-01-01T00:00:00Z\"\nentries:\n  mysql-chart:\n{}{}  redis:\n{}",
            entry("mysql-chart", "0.2.0", "MySQL for small applications", "database"),
            entry("mysql-chart", "0.1.0", "MySQL for small applications", "database"),
            entry("redis", "0.1.0", "A cache server for the Flask app", "key-value"),
        ),
    )
    .unwrap();
    let ours = |args: &[&str]| {
        let out = chartsmith()
            .args(["search", "repo"])
            .args(args)
            .arg("--repository-config")
            .arg(&config)
            .arg("--repository-cache")
            .arg(&cache)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let table = ours(&["mysql"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("seeds/mysql-chart\t0.2.0"), "{table}");
    assert!(!table.contains("0.1.0"), "{table}");
    assert_eq!(ours(&["postgres"]), "No results found\n");
    let Some(helm) = helm() else { return };
    for args in [
        &["mysql"][..],
        &["DATABASE"],
        &["key-value"],
        &["--versions", "mysql"],
        &["--version", "<0.2.0", "mysql"],
        &[],
    ] {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let theirs = std::process::Command::new(&helm)
            .args(["search", "repo"])
            .args(&all)
            .env("HELM_REPOSITORY_CONFIG", &config)
            .env("HELM_REPOSITORY_CACHE", &cache)
            .env("HELM_CONFIG_HOME", dir.path().join("helm-config"))
            .env("HELM_DATA_HOME", dir.path().join("helm-data"))
            .env("HELM_CACHE_HOME", dir.path().join("helm-cache"))
            .output()
            .unwrap();
        assert!(
            theirs.status.success(),
            "helm search repo {all:?}: {}",
            stderr(&theirs)
        );
        assert_eq!(
            json(&ours(&all)),
            json(&stdout(&theirs)),
            "search repo {args:?}"
        );
    }
}
