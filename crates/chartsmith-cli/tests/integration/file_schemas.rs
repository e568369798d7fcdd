//! The hand-written JSON Schemas of `schemas/` for Helm's repository and dependency files
//! (`index.yaml`, `Chart.lock`, `repositories.yaml`): each is a valid draft 2020-12 schema that
//! documents every property, accepts what chartsmith and the real helm write, and refuses
//! obviously broken files. Every repository is a directory served on 127.0.0.1 inside the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::{self, Server, root};

const INDEX: &str = "index.schema.json";
const LOCK: &str = "chart-lock.schema.json";
const REPOSITORIES: &str = "repositories.schema.json";

fn schema_value(file: &str) -> Value {
    let path = root().join("schemas").join(file);
    let text = std::fs::read_to_string(&path).expect("read schema");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"))
}

/// The compiled schema, checking formats (`date-time`) too.
fn validator(file: &str) -> jsonschema::Validator {
    let schema = schema_value(file);
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{file} does not compile: {e}"))
}

/// Every error of `value` against the schema, as `path: message`.
fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect()
}

fn assert_valid(file: &str, value: &Value, what: &str) {
    let found = errors(&validator(file), value);
    assert!(
        found.is_empty(),
        "{what} does not match {file}:\n{}\n{}",
        found.join("\n"),
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn assert_invalid(file: &str, value: &Value, what: &str) {
    assert!(
        !validator(file).is_valid(value),
        "{file} accepts {what}:\n{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// A YAML file as JSON.
fn yaml_file(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("test YAML")
}

fn ok(output: std::io::Result<Output>, what: &str) -> String {
    let output = output.unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        support::stderr(&output)
    );
    support::stdout(&output)
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// chartsmith with its config and cache in `work`, talking to loopback only.
fn cs(work: &Path) -> Command {
    let mut c = support::chartsmith();
    c.env("CHARTSMITH_CONFIG_DIR", work.join("config"))
        .env("CHARTSMITH_CACHE_DIR", work.join("cache"))
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    c
}

/// helm with all of its state in `work/helm`, talking to loopback only.
fn helm_in(helm: &Path, work: &Path) -> Command {
    let mut c = Command::new(helm);
    let h = work.join("helm");
    c.current_dir(root())
        .env("HELM_CACHE_HOME", h.join("cache"))
        .env("HELM_CONFIG_HOME", h.join("config"))
        .env("HELM_DATA_HOME", h.join("data"))
        .env("HELM_REPOSITORY_CONFIG", h.join("config/repositories.yaml"))
        .env("HELM_REPOSITORY_CACHE", h.join("cache/repository"))
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    c
}

/// A served repository of one chart, `db` 1.0.0, indexed by chartsmith.
fn served_repository(work: &Path) -> Server {
    let repo = work.join("repo");
    let src = work.join("src/db");
    write(
        &src,
        "Chart.yaml",
        "apiVersion: v2\nname: db\nversion: 1.0.0\n",
    );
    write(&src, "values.yaml", "port: 5432\n");
    ok(
        cs(work)
            .arg("package")
            .arg(&src)
            .arg("-d")
            .arg(&repo)
            .output(),
        "chartsmith package",
    );
    let server = Server::start(&repo);
    ok(
        cs(work)
            .args(["repo", "index"])
            .arg(&repo)
            .args(["--url", &server.url])
            .output(),
        "chartsmith repo index",
    );
    server
}

/// Checks what the brief of `schemas/` promises of a schema, walking it whole: every object
/// under `properties` has a `title` and a `description`, every `$ref` is local, there is no `$id`.
fn check_documented(node: &Value, at: &str, problems: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.contains_key("$id") {
                problems.push(format!("{at}: has an $id"));
            }
            if let Some(r) = map.get("$ref").and_then(Value::as_str)
                && !r.starts_with("#/")
            {
                problems.push(format!("{at}: $ref {r} is not local"));
            }
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, prop) in props {
                    for key in ["title", "description"] {
                        if prop
                            .get(key)
                            .and_then(Value::as_str)
                            .is_none_or(|s| s.trim().is_empty())
                        {
                            problems.push(format!("{at}/properties/{name}: no {key}"));
                        }
                    }
                }
            }
            for (key, child) in map {
                check_documented(child, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_documented(child, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

#[test]
fn schemas_compile_and_document_every_property() {
    for file in [INDEX, LOCK, REPOSITORIES] {
        let schema = schema_value(file);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
            panic!("{file} is not a valid draft 2020-12 schema: {e}");
        }
        validator(file);
        for key in ["title", "description", "additionalProperties"] {
            assert!(schema.get(key).is_some(), "{file}: no top-level {key}");
        }
        let mut problems = Vec::new();
        check_documented(&schema, "#", &mut problems);
        assert!(problems.is_empty(), "{file}:\n{}", problems.join("\n"));
    }
}

#[test]
fn index_files_of_chartsmith_and_helm_match_the_schema() {
    let work = tempfile::tempdir().expect("tempdir");
    let ours = work.path().join("ours");
    // The seed charts, the umbrella with its dependencies vendored (so its entry lists them),
    // and a second version of one chart.
    let charts = work.path().join("charts");
    for chart in [
        "mysql-chart",
        "redis",
        "mongodb",
        "efk",
        "flask-app-chart",
        "two-tier",
    ] {
        copy_dir(&root().join("charts").join(chart), &charts.join(chart));
    }
    ok(
        cs(work.path())
            .args(["dependency", "update"])
            .arg(charts.join("two-tier"))
            .output(),
        "chartsmith dependency update two-tier",
    );
    let mut package = cs(work.path());
    package.arg("package");
    for chart in [
        "mysql-chart",
        "redis",
        "mongodb",
        "efk",
        "flask-app-chart",
        "two-tier",
    ] {
        package.arg(charts.join(chart));
    }
    ok(package.arg("-d").arg(&ours).output(), "chartsmith package");
    ok(
        cs(work.path())
            .args(["package", "--version", "0.2.0", "-d"])
            .arg(&ours)
            .arg(charts.join("redis"))
            .output(),
        "chartsmith package --version",
    );
    let helms = work.path().join("helms");
    copy_dir(&ours, &helms);
    let url = "https://charts.example.com/stable";
    ok(
        cs(work.path())
            .args(["repo", "index", "--url", url])
            .arg(&ours)
            .output(),
        "chartsmith repo index",
    );
    let index = yaml_file(&ours.join("index.yaml"));
    assert_eq!(
        index["entries"].as_object().map(|e| e.len()),
        Some(6),
        "{index}"
    );
    assert_eq!(index["entries"]["redis"].as_array().map(Vec::len), Some(2));
    assert!(index["entries"]["two-tier"][0]["dependencies"].is_array());
    assert_valid(INDEX, &index, "chartsmith's index.yaml");
    // Without --url the urls are relative.
    ok(
        cs(work.path()).args(["repo", "index"]).arg(&ours).output(),
        "chartsmith repo index (relative urls)",
    );
    assert_valid(
        INDEX,
        &yaml_file(&ours.join("index.yaml")),
        "chartsmith's index.yaml with relative urls",
    );

    let Some(helm) = support::helm() else { return };
    ok(
        helm_in(&helm, work.path())
            .args(["repo", "index", "--url", url])
            .arg(&helms)
            .output(),
        "helm repo index",
    );
    let helm_index = yaml_file(&helms.join("index.yaml"));
    assert_eq!(
        helm_index["entries"].as_object().map(|e| e.len()),
        Some(6),
        "{helm_index}"
    );
    assert_valid(INDEX, &helm_index, "helm's index.yaml");
    // chartsmith merging helm's index, and helm merging chartsmith's.
    let merged = work.path().join("merged");
    std::fs::create_dir_all(&merged).expect("mkdir");
    ok(
        cs(work.path())
            .args(["repo", "index", "--merge"])
            .arg(helms.join("index.yaml"))
            .arg(&merged)
            .output(),
        "chartsmith repo index --merge",
    );
    assert_valid(
        INDEX,
        &yaml_file(&merged.join("index.yaml")),
        "chartsmith's index.yaml merged from helm's",
    );
    std::fs::remove_file(merged.join("index.yaml")).expect("rm");
    ok(
        helm_in(&helm, work.path())
            .args(["repo", "index", "--merge"])
            .arg(ours.join("index.yaml"))
            .arg(&merged)
            .output(),
        "helm repo index --merge",
    );
    assert_valid(
        INDEX,
        &yaml_file(&merged.join("index.yaml")),
        "helm's index.yaml merged from chartsmith's",
    );
}

#[test]
fn lock_files_of_chartsmith_and_helm_match_the_schema() {
    let work = tempfile::tempdir().expect("tempdir");
    let sub = work.path().join("project/sub");
    write(
        &sub,
        "Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 1.2.3\n",
    );
    write(&sub, "values.yaml", "a: 1\n");
    let app = work.path().join("project/app");
    write(
        &app,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: ^1.0.0\n  repository: file://../sub\n  condition: sub.enabled\n",
    );
    ok(
        cs(work.path())
            .args(["dependency", "update"])
            .arg(&app)
            .output(),
        "chartsmith dependency update",
    );
    let lock = yaml_file(&app.join("Chart.lock"));
    assert_eq!(lock["dependencies"][0]["version"], "1.2.3", "{lock}");
    assert_valid(LOCK, &lock, "chartsmith's Chart.lock (file://)");

    // A remote dependency: chartsmith pins the archive's digest too.
    let server = served_repository(work.path());
    let remote = work.path().join("project/remote");
    write(
        &remote,
        "Chart.yaml",
        &format!(
            "apiVersion: v2\nname: remote\nversion: 0.1.0\ndependencies:\n- name: db\n  version: \">=1.0.0\"\n  repository: {}\n- name: sub\n  version: 1.2.3\n  repository: file://../sub\n",
            server.url
        ),
    );
    ok(
        cs(work.path())
            .args(["dependency", "update"])
            .arg(&remote)
            .output(),
        "chartsmith dependency update (http)",
    );
    let lock = yaml_file(&remote.join("Chart.lock"));
    assert!(
        lock["dependencies"][0]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{lock}"
    );
    assert_valid(LOCK, &lock, "chartsmith's Chart.lock (http)");

    let Some(helm) = support::helm() else { return };
    // helm resolves a repository URL only once it is added.
    ok(
        helm_in(&helm, work.path())
            .args(["repo", "add", "local", &server.url])
            .output(),
        "helm repo add",
    );
    for chart in [&app, &remote] {
        // helm keeps a lock whose digest is current: remove ours so helm writes its own.
        std::fs::remove_file(chart.join("Chart.lock")).expect("rm lock");
        std::fs::remove_dir_all(chart.join("charts")).expect("rm charts");
        ok(
            helm_in(&helm, work.path())
                .args(["dependency", "update"])
                .arg(chart)
                .output(),
            "helm dependency update",
        );
        let lock = yaml_file(&chart.join("Chart.lock"));
        assert!(lock["dependencies"][0]["digest"].is_null(), "{lock}");
        assert_valid(
            LOCK,
            &lock,
            &format!("helm's Chart.lock of {}", chart.display()),
        );
    }
}

#[test]
fn repositories_files_of_chartsmith_and_helm_match_the_schema() {
    let work = tempfile::tempdir().expect("tempdir");
    let server = served_repository(work.path());
    ok(
        cs(work.path())
            .args(["repo", "add", "plain", &server.url])
            .output(),
        "chartsmith repo add",
    );
    ok(
        cs(work.path())
            .args([
                "repo",
                "add",
                "private",
                &server.url,
                "--username",
                "user",
                "--password",
                "secret",
                "--pass-credentials",
                "--insecure-skip-tls-verify",
            ])
            .output(),
        "chartsmith repo add --username",
    );
    let file = yaml_file(&work.path().join("config/repositories.yaml"));
    assert_eq!(file["repositories"].as_array().map(Vec::len), Some(2));
    assert_eq!(file["repositories"][1]["pass_credentials_all"], true);
    assert_valid(REPOSITORIES, &file, "chartsmith's repositories.yaml");

    let Some(helm) = support::helm() else { return };
    ok(
        helm_in(&helm, work.path())
            .args([
                "repo",
                "add",
                "private",
                &server.url,
                "--username",
                "user",
                "--password",
                "secret",
            ])
            .output(),
        "helm repo add",
    );
    let file = yaml_file(&work.path().join("helm/config/repositories.yaml"));
    assert_eq!(file["repositories"][0]["name"], "private", "{file}");
    assert_valid(REPOSITORIES, &file, "helm's repositories.yaml");
}

/// `base` with `edit` applied at a JSON pointer (`None` removes the key).
fn with(base: &Value, pointer: &str, edit: Option<Value>) -> Value {
    let mut value = base.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let target = value.pointer_mut(parent).expect("pointer exists");
    match (target, edit) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_string(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(v)) => items[key.parse::<usize>().expect("index")] = v,
        _ => panic!("cannot edit {pointer}"),
    }
    value
}

#[test]
fn broken_files_are_refused_and_tolerated_extras_accepted() {
    let digest = "0123456789abcdef".repeat(4);
    let index = yaml(&format!(
        "apiVersion: v1\nentries:\n  app:\n  - apiVersion: v2\n    name: app\n    version: 1.0.0\n    urls: [https://charts.example.com/app-1.0.0.tgz]\n    created: \"2025-01-31T12:00:00.5+01:00\"\n    digest: {digest}\n    maintainers: [{{name: me}}]\n    dependencies: [{{name: db, version: ^1.0.0, repository: \"https://x\", import-values: [data, {{child: a, parent: b}}]}}]\n  old:\n  - name: old\n    version: 0.1.0\n    urls: [old-0.1.0.tgz]\n    created: \"0001-01-01T00:00:00Z\"\n    removed: true\ngenerated: \"2025-01-31T12:00:00Z\"\nserverInfo: {{contextPath: /charts}}\n"
    ));
    assert_valid(INDEX, &index, "a hand-written index");
    let entry = "/entries/app/0";
    for (pointer, edit, what) in [
        (
            format!("{entry}/urls"),
            Some(json!("https://charts.example.com/app-1.0.0.tgz")),
            "urls as a string",
        ),
        (
            format!("{entry}/digest"),
            Some(json!(format!("sha256:{digest}"))),
            "a digest with a sha256: prefix",
        ),
        (
            format!("{entry}/digest"),
            Some(json!("abc")),
            "a short digest",
        ),
        (
            format!("{entry}/created"),
            Some(json!("yesterday")),
            "created not a date-time",
        ),
        (format!("{entry}/version"), None, "an entry without version"),
        (
            format!("{entry}/bogus"),
            Some(json!(1)),
            "an unknown key in an entry (helm refuses it)",
        ),
        (
            format!("{entry}/annotations"),
            Some(json!({"a": 1})),
            "a number as annotation",
        ),
        (
            format!("{entry}/type"),
            Some(json!("service")),
            "an unknown chart type",
        ),
        (
            format!("{entry}/maintainers/0/phone"),
            Some(json!("1")),
            "an unknown maintainer key",
        ),
        ("/apiVersion".into(), None, "no apiVersion"),
        ("/apiVersion".into(), Some(json!("v2")), "apiVersion v2"),
        (
            "/entries/app".into(),
            Some(json!({"name": "app"})),
            "entries not a list",
        ),
        ("/bogus".into(), Some(json!(1)), "an unknown top-level key"),
    ] {
        assert_invalid(INDEX, &with(&index, &pointer, edit), what);
    }
    assert_invalid(INDEX, &json!(["apiVersion", "v1"]), "a list");

    let lock = yaml(&format!(
        "dependencies:\n- name: db\n  repository: https://charts.example.com\n  version: 1.1.0\n  digest: sha256:{digest}\n- name: sub\n  repository: file://../sub\n  version: 1.2.3\ndigest: sha256:{digest}\ngenerated: \"2025-01-31T12:00:00.123456789Z\"\n"
    ));
    assert_valid(LOCK, &lock, "a hand-written Chart.lock");
    // Helm and chartsmith ignore unknown keys of a lock.
    assert_valid(
        LOCK,
        &with(
            &with(&lock, "/extra", Some(json!(1))),
            "/dependencies/1/alias",
            Some(json!("s")),
        ),
        "a Chart.lock with extra keys",
    );
    for (pointer, edit, what) in [
        ("/digest", Some(json!(digest)), "a digest without sha256:"),
        (
            "/digest",
            Some(json!(format!("sha512:{digest}"))),
            "a sha512: digest",
        ),
        (
            "/dependencies/0/digest",
            Some(json!(digest)),
            "a dependency digest without sha256:",
        ),
        (
            "/dependencies/0/version",
            None,
            "a dependency without version",
        ),
        (
            "/dependencies/0/version",
            Some(json!(1.1)),
            "a numeric version",
        ),
        (
            "/generated",
            Some(json!("now")),
            "generated not a date-time",
        ),
        ("/digest", None, "no digest"),
        (
            "/dependencies",
            Some(json!({"name": "db"})),
            "dependencies not a list",
        ),
    ] {
        assert_invalid(LOCK, &with(&lock, pointer, edit), what);
    }

    let repositories = yaml(
        "apiVersion: v1\ngenerated: \"2025-01-31T12:00:00Z\"\nrepositories:\n- name: stable\n  url: https://charts.example.com\n  username: me\n  password: secret\n  caFile: /etc/ca.pem\n  certFile: \"\"\n  keyFile: \"\"\n  insecure_skip_tls_verify: false\n  pass_credentials_all: true\n",
    );
    assert_valid(
        REPOSITORIES,
        &repositories,
        "a hand-written repositories.yaml",
    );
    assert_valid(
        REPOSITORIES,
        &with(&repositories, "/repositories/0/extra", Some(json!("x"))),
        "a repositories.yaml with an extra key",
    );
    for (pointer, edit, what) in [
        ("/repositories/0/url", None, "a repository without url"),
        ("/repositories/0/name", Some(json!("")), "an empty name"),
        (
            "/repositories/0/insecure_skip_tls_verify",
            Some(json!("yes")),
            "a string as boolean",
        ),
        (
            "/repositories/0/password",
            Some(json!(1234)),
            "a numeric password",
        ),
        (
            "/repositories",
            Some(json!({"stable": "https://charts.example.com"})),
            "repositories as a mapping",
        ),
        ("/apiVersion", Some(json!("v9")), "an unknown apiVersion"),
        ("/generated", Some(json!(20250131)), "generated a number"),
    ] {
        assert_invalid(REPOSITORIES, &with(&repositories, pointer, edit), what);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
