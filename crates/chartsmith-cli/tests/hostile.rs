//! Hostile inputs on the real binary: each class of bad input of `fixtures/hostile/` (see
//! book/src/sandbox.md) gives a clear error naming what is wrong, exit 1, nothing written, no
//! panic, and no control character from the input on the terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn fixture(name: &str) -> String {
    root()
        .join("fixtures/hostile")
        .join(name)
        .display()
        .to_string()
}

/// A command running chartsmith in a fresh directory with its own state and config directories.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chartsmith"));
        command
            .current_dir(self.dir.path())
            .env("CHARTSMITH_STATE_DIR", self.path("state"))
            .env("CHARTSMITH_CONFIG_DIR", self.path("config"))
            .env("CHARTSMITH_CACHE_DIR", self.path("cache"))
            .env_remove("CHARTSMITH_DRIVER");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run chartsmith")
    }

    /// Every file under the sandbox (the state, config and cache directories included).
    fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }
}

/// Runs `args`, expects a failure (exit 1) whose message holds every one of `expected`, nothing
/// written, no panic and no raw control character; returns stderr.
#[track_caller]
fn refused(sandbox: &Sandbox, args: &[&str], expected: &[&str]) -> String {
    let before = sandbox.files();
    let output = sandbox.run(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?} printed on stdout");
    assert!(
        stderr.starts_with("Error: ") && !stderr.contains("panicked"),
        "{args:?}: {stderr}"
    );
    let body = stderr.trim_end_matches('\n');
    assert!(
        !body.chars().any(chartsmith::text::is_unsafe_char),
        "{args:?}: control characters reached the terminal: {stderr:?}"
    );
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in {stderr}");
    }
    assert_eq!(sandbox.files(), before, "{args:?} wrote files");
    stderr
}

#[test]
fn duplicate_keys_in_every_yaml_file_we_read() {
    let sandbox = Sandbox::new();
    let out = sandbox.path("out");
    let out = out.to_str().unwrap();
    let chart_yaml = fixture("duplicate-key-chart-yaml");
    refused(
        &sandbox,
        &["template", &chart_yaml, "--output-dir", out],
        &["Chart.yaml", "duplicate key `version` (lines 3 and 5)"],
    );
    let values = fixture("duplicate-key-values");
    refused(
        &sandbox,
        &["template", &values, "--output-dir", out],
        &["values.yaml", "duplicate key `image` (lines 1 and 5)"],
    );
    let values_file = fixture("duplicate-key-values-file.yaml");
    let chart = root().join("fixtures/charts/doctest").display().to_string();
    refused(
        &sandbox,
        &["template", &chart, "-f", &values_file, "--output-dir", out],
        &[
            "duplicate-key-values-file.yaml",
            "duplicate key `tag` (lines 3 and 5)",
        ],
    );
    refused(
        &sandbox,
        &["install", "app", &chart, "-f", &values_file],
        &["duplicate key `tag` (lines 3 and 5)"],
    );
    let lock = fixture("duplicate-key-lock");
    refused(
        &sandbox,
        &["template", &lock, "--output-dir", out],
        &["Chart.lock", "duplicate key `digest` (lines 5 and 7)"],
    );
    std::fs::create_dir(sandbox.path("repo")).unwrap();
    let index = format!("{}/index.yaml", fixture("duplicate-key-index"));
    refused(
        &sandbox,
        &["repo", "index", "repo", "--merge", &index],
        &["index.yaml", "duplicate key `urls` (lines 7 and 9)"],
    );
    let repositories = fixture("duplicate-key-repositories");
    let output = sandbox
        .command()
        .args(["repo", "list"])
        .env("CHARTSMITH_CONFIG_DIR", &repositories)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("repositories.yaml")
            && stderr.contains("duplicate key `url` (lines 5 and 6)"),
        "{stderr}"
    );
}

#[test]
fn hostile_archive_structure() {
    let sandbox = Sandbox::new();
    let out = sandbox.path("out");
    let out = out.to_str().unwrap();
    for (archive, expected) in [
        (
            "two-top-level-directories.tgz",
            "entries in two top-level directories, `demo` and `other`",
        ),
        (
            "duplicate-entry.tgz",
            "unsafe entry `demo/Chart.yaml`: a second entry for the same path",
        ),
        (
            "windows-drive-letter.tgz",
            "drive-letter paths are not allowed",
        ),
        ("windows-unc-path.tgz", "absolute paths are not allowed"),
        ("backslash-dot-dot.tgz", "`..` is not allowed"),
        ("dot-slash-absolute.tgz", "absolute paths are not allowed"),
        (
            "escape-sequence-in-entry-name.tgz",
            "unsafe entry `demo/\\u{1b}[2J\\u{1b}]0;pwned\\u{7}.yaml`",
        ),
        ("bad-gzip-crc.tgz", "not a valid chart archive"),
        ("truncated-gzip-trailer.tgz", "not a valid chart archive"),
        (
            "garbage-after-gzip.tgz",
            "4 bytes after the end of the gzip stream",
        ),
        (
            "dependency-file-outside.tgz",
            "dependency `etc` (file:///etc)`: an absolute path in a chart archive",
        ),
        (
            "dependency-invalid-alias.tgz",
            "field `dependencies[0].alias`: `../db` has characters other than letters",
        ),
        (
            "dependency-duplicate-name.tgz",
            "more than one dependency with name or alias `db`",
        ),
    ] {
        let path = fixture(&format!("archives/{archive}"));
        refused(
            &sandbox,
            &["template", &path, "--output-dir", out],
            &[archive, expected],
        );
        refused(&sandbox, &["install", "app", &path], &[archive, expected]);
    }
}

#[test]
fn values_schema_references() {
    let sandbox = Sandbox::new();
    let cycle = fixture("schema-ref-cycle");
    refused(
        &sandbox,
        &["template", &cycle],
        &[
            "values.schema.json: invalid values schema",
            "`$ref` cycle: #/definitions/port → #/definitions/servicePort → \
             #/definitions/servicePort/allOf/0 → #/definitions/port",
        ],
    );
    // Every unresolvable reference, in the same order every run.
    let refs = fixture("schema-unresolvable-refs");
    let first = refused(
        &sandbox,
        &["template", &refs],
        &[
            "`#/definitions/image` at /properties/image points at nothing",
            "`#/definitions/service` at /properties/service points at nothing",
            "remote and file references are never fetched",
            "`../common/probe.json`",
        ],
    );
    for _ in 0..3 {
        assert_eq!(refused(&sandbox, &["template", &refs], &[]), first);
    }
}

#[test]
fn input_quoted_in_errors_reaches_the_terminal_escaped() {
    let sandbox = Sandbox::new();
    let name = fixture("escape-sequence-in-chart-name");
    refused(
        &sandbox,
        &["template", &name],
        &["field `name`: `demo\\u{1b}[2J\\u{1b}[H` is not a valid chart name"],
    );
    let key = fixture("escape-sequence-in-values-key");
    refused(
        &sandbox,
        &["template", &key],
        &["duplicate key `\\u{1b}]0;owned\\u{7}` (lines 2 and 3)"],
    );
}

#[test]
fn hostile_release_records_of_the_local_store() {
    let sandbox = Sandbox::new();
    let chart = root().join("fixtures/charts/doctest").display().to_string();
    let output = sandbox.run(&["install", "app", &chart]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record = sandbox.path("state/releases/default/app/v1.json");
    assert!(record.is_file());
    let record_name = record.display().to_string();
    let truncated = std::fs::read(fixture("releases/truncated-record.json")).unwrap();
    let deep = format!("{{\"config\": {}", "{\"a\": ".repeat(200_000));
    for (content, expected) in [
        (truncated, "not a release record: EOF while parsing"),
        (deep.into_bytes(), "recursion limit exceeded"),
    ] {
        std::fs::write(&record, content).unwrap();
        for args in [
            &["status", "app"][..],
            &["get", "values", "app"],
            &["history", "app"],
            &["upgrade", "app", &chart],
        ] {
            refused(&sandbox, args, &[&record_name, expected]);
        }
    }
    // Larger than the limit: refused before reading (a sparse file).
    std::fs::File::create(&record)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    refused(
        &sandbox,
        &["status", "app"],
        &[
            &record_name,
            "release record larger than the limit of 64 MiB",
        ],
    );
}

#[test]
fn set_file_dash_with_blanks_reads_standard_input_as_helm_does() {
    use std::io::Write;
    let sandbox = Sandbox::new();
    let chart = root().join("fixtures/charts/doctest").display().to_string();
    for args in [
        &["values", &chart, "--set-file", "motd=  -  "][..],
        &["values", &chart, "-f", " - "],
    ] {
        let mut child = sandbox
            .command()
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"motd: from stdin\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("motd"), "{args:?}: {stdout}");
        assert!(stdout.contains("from stdin"), "{args:?}: {stdout}");
    }
}

#[cfg(unix)]
#[test]
fn dependency_update_and_build_refuse_links() {
    let sandbox = Sandbox::new();
    let chart = fixture("symlinked-charts-dir");
    let target = root().join("fixtures/hostile/symlink-target");
    for verb in ["update", "build"] {
        refused(
            &sandbox,
            &["dependency", verb, &chart],
            &["symlinked-charts-dir/charts: a symbolic link"],
        );
    }
    let names: Vec<_> = std::fs::read_dir(target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["README.md"]);
}

#[test]
fn lint_findings_that_quote_the_chart_reach_the_terminal_escaped() {
    let sandbox = Sandbox::new();
    let chart = sandbox.path("esc");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: esc\nversion: 0.1.0\n",
    )
    .unwrap();
    // A label value, a port name and a field name with escape sequences (YAML's "\e"): each
    // breaks a rule, and each is quoted in the findings (the unknown field's name as it is).
    std::fs::write(
        chart.join("templates/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    tier: \"\\e[2Jx\"\nspec:\n  \"\\e[31mreplicas\": 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - name: \"\\e]0;owned\\a\"\n          containerPort: 80\n",
    )
    .unwrap();
    let out = sandbox.run(&["lint", chart.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("api-server-validation"), "{text}");
    assert!(
        text.contains("spec.\\u{1b}[31mreplicas: unknown field"),
        "{text}"
    );
    assert!(
        !text.chars().any(|c| c == '\u{1b}' || c == '\u{7}'),
        "a raw control character reached the terminal: {text:?}"
    );
}
