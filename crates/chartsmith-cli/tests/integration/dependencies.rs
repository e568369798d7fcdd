//! Repositories, `pull` and `dependency list|update|build` against a tiny HTTP server on
//! 127.0.0.1 started inside each test (no other address is ever contacted), and interop with the
//! real helm reading the same repository.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{self, Server};

/// A test's world: a served repository directory, chartsmith's config and cache, a project.
struct World {
    dir: tempfile::TempDir,
    server: Server,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).expect("repo dir");
        for v in ["1.0.0", "1.1.0", "2.0.0"] {
            let src = dir.path().join(format!("src/db-{v}"));
            write(
                &src,
                "Chart.yaml",
                &format!("apiVersion: v2\nname: db\nversion: {v}\n"),
            );
            write(&src, "values.yaml", "port: 5432\n");
            write(
                &src,
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-db\ndata:\n  port: \"{{ Values.port }}\"\n",
            );
            ok(
                cs(&dir)
                    .args(["package"])
                    .arg(&src)
                    .arg("-d")
                    .arg(&repo)
                    .output(),
                "package",
            );
        }
        let server = Server::start(&repo);
        ok(
            cs(&dir)
                .args(["repo", "index"])
                .arg(&repo)
                .args(["--url", &server.url])
                .output(),
            "repo index",
        );
        World { dir, server }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn run(&self, args: &[&str]) -> Output {
        cs(&self.dir).args(args).output().expect("run chartsmith")
    }

    fn app(&self, deps: &str) -> PathBuf {
        let app = self.path("project/app");
        write(
            &app,
            "Chart.yaml",
            &format!("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n{deps}"),
        );
        app
    }
}

fn cs(dir: &tempfile::TempDir) -> Command {
    let mut c = support::chartsmith();
    c.env("CHARTSMITH_CONFIG_DIR", dir.path().join("config"))
        .env("CHARTSMITH_CACHE_DIR", dir.path().join("cache"))
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn ok(output: std::io::Result<Output>, what: &str) -> String {
    let output = output.expect("run");
    assert!(
        output.status.success(),
        "{what} failed: {}",
        support::stderr(&output)
    );
    support::stdout(&output)
}

fn fails(output: Output, what: &str) -> String {
    assert!(!output.status.success(), "{what} should fail");
    support::stderr(&output)
}

#[test]
fn repo_add_pull_dependency_update_and_build_round_trip() {
    let w = World::new();
    let url = w.server.url.clone();
    ok(Ok(w.run(&["repo", "add", "local", &url])), "repo add");
    assert!(ok(Ok(w.run(&["repo", "list"])), "repo list").contains(&url));
    ok(Ok(w.run(&["repo", "update"])), "repo update");

    let out = w.path("out");
    let out_s = out.display().to_string();
    ok(
        Ok(w.run(&["pull", "local/db", "--version", "^1.0.0", "-d", &out_s])),
        "pull",
    );
    assert_eq!(
        std::fs::read(out.join("db-1.1.0.tgz")).expect("pulled"),
        std::fs::read(w.path("repo/db-1.1.0.tgz")).expect("served")
    );
    ok(
        Ok(w.run(&["pull", "local/db", "--untar", "-d", &out_s])),
        "pull --untar",
    );
    let chart_yaml = std::fs::read_to_string(out.join("db/Chart.yaml")).expect("untarred");
    assert!(chart_yaml.contains("version: 2.0.0"), "{chart_yaml}");

    let rendered = ok(
        Ok(w.run(&["template", "rel", "local/db", "--version", "~1.0"])),
        "template repo/name",
    );
    assert!(rendered.contains("name: rel-db"), "{rendered}");

    let app = w.app(&format!(
        "  - name: db\n    version: ^1.0.0\n    repository: {url}\n"
    ));
    let app_s = app.display().to_string();
    ok(
        Ok(w.run(&["dependency", "update", &app_s])),
        "dependency update",
    );
    let vendored = app.join("charts/db-1.1.0.tgz");
    assert_eq!(
        std::fs::read(&vendored).expect("vendored"),
        std::fs::read(w.path("repo/db-1.1.0.tgz")).expect("served")
    );
    let lock = std::fs::read_to_string(app.join("Chart.lock")).expect("Chart.lock");
    assert!(
        lock.contains("version: 1.1.0") && lock.contains("digest: sha256:"),
        "{lock}"
    );
    let listed = ok(
        Ok(w.run(&["dependency", "list", &app_s])),
        "dependency list",
    );
    assert!(listed.contains("\tok"), "{listed}");

    std::fs::remove_file(&vendored).expect("remove");
    let listed = ok(
        Ok(w.run(&["dependency", "list", &app_s])),
        "dependency list",
    );
    assert!(listed.contains("missing"), "{listed}");
    ok(
        Ok(w.run(&["dependency", "build", &app_s])),
        "dependency build",
    );
    assert!(vendored.is_file());

    // A repository named with @name resolves through the repositories file; a changed range
    // makes the lock stale for `build`.
    w.app("  - name: db\n    version: ^2.0.0\n    repository: \"@local\"\n");
    let err = fails(w.run(&["dependency", "build", &app_s]), "stale build");
    assert!(err.contains("Chart.lock is out of sync"), "{err}");
    ok(
        Ok(w.run(&["dependency", "update", &app_s])),
        "update @local",
    );
    assert!(app.join("charts/db-2.0.0.tgz").is_file());
    assert!(!vendored.exists(), "the stale archive is removed");

    ok(Ok(w.run(&["repo", "remove", "local"])), "repo remove");
    let err = fails(
        w.run(&["pull", "local/db", "-d", &out_s]),
        "pull after remove",
    );
    assert!(err.contains("no repository named `local`"), "{err}");
}

#[test]
fn a_digest_mismatch_is_refused() {
    let w = World::new();
    let index = w.path("repo/index.yaml");
    let text = std::fs::read_to_string(&index).expect("index");
    let start = text.find("digest: ").expect("a digest") + "digest: ".len();
    let mut tampered = text.clone();
    tampered.replace_range(start..start + 64, &"a".repeat(64));
    std::fs::write(&index, tampered).expect("tamper");
    ok(
        Ok(w.run(&["repo", "add", "local", &w.server.url])),
        "repo add",
    );
    let out = w.path("out");
    let err = fails(
        w.run(&[
            "pull",
            "local/db",
            "--version",
            "2.0.0",
            "-d",
            &out.display().to_string(),
        ]),
        "pull",
    );
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(!out.join("db-2.0.0.tgz").exists());
}

#[test]
fn unsatisfiable_ranges_unreachable_repositories_and_escaping_paths_are_clear_errors() {
    let w = World::new();
    let app = w.app(&format!(
        "  - name: db\n    version: ^9.0.0\n    repository: {}\n",
        w.server.url
    ));
    let app_s = app.display().to_string();
    let err = fails(w.run(&["dependency", "update", &app_s]), "unsatisfiable");
    assert!(
        err.contains("^9.0.0") && err.contains("2.0.0, 1.1.0, 1.0.0"),
        "{err}"
    );

    // A port nothing listens on (bound, then released).
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    w.app(&format!(
        "  - name: db\n    version: ^1.0.0\n    repository: http://127.0.0.1:{port}/charts\n"
    ));
    let err = fails(w.run(&["dependency", "update", &app_s]), "unreachable");
    assert!(
        err.contains(&format!("http://127.0.0.1:{port}/charts/index.yaml")),
        "{err}"
    );

    write(&w.path("repo/bad"), "index.yaml", "just: [a, list]\n");
    let err = fails(
        w.run(&["repo", "add", "bad", &format!("{}/bad", w.server.url)]),
        "not an index",
    );
    assert!(err.contains("invalid repository index"), "{err}");

    write(
        &w.path("outside"),
        "Chart.yaml",
        "apiVersion: v2\nname: outside\nversion: 1.0.0\n",
    );
    w.app("  - name: outside\n    version: '*'\n    repository: file://../../outside\n");
    let err = fails(w.run(&["dependency", "update", &app_s]), "escaping file://");
    assert!(err.contains("leaves the project"), "{err}");
    assert!(!app.join("charts").exists());
}

fn helm_env(helm: &Path, w: &World) -> Command {
    let mut c = Command::new(helm);
    let h = w.path("helm");
    c.env("HELM_CACHE_HOME", h.join("cache"))
        .env("HELM_CONFIG_HOME", h.join("config"))
        .env("HELM_DATA_HOME", h.join("data"))
        .env("HELM_REPOSITORY_CONFIG", h.join("config/repositories.yaml"))
        .env("HELM_REPOSITORY_CACHE", h.join("cache/repository"))
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy");
    c
}

#[test]
fn helm_builds_dependencies_and_pulls_from_our_index() {
    let Some(helm) = support::helm() else { return };
    let w = World::new();
    let url = w.server.url.clone();
    ok(
        helm_env(&helm, &w)
            .args(["repo", "add", "local", &url])
            .output(),
        "helm repo add",
    );
    // helm searches our index: every version, newest first.
    let found = ok(
        helm_env(&helm, &w)
            .args(["search", "repo", "local/db", "--versions", "-o", "json"])
            .output(),
        "helm search repo",
    );
    let found: serde_json::Value = serde_json::from_str(&found).expect("helm search JSON");
    let versions: Vec<&str> = found
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["version"].as_str().expect("version"))
        .collect();
    assert_eq!(versions, ["2.0.0", "1.1.0", "1.0.0"]);
    let app = w.app(&format!(
        "  - name: db\n    version: \">=1.0.0 <2.0.0\"\n    repository: {url}\n"
    ));
    let app_s = app.display().to_string();
    // Our Chart.lock (and its digest) is accepted by helm's `dependency build`.
    ok(
        Ok(w.run(&["dependency", "update", &app_s])),
        "dependency update",
    );
    let ours = std::fs::read(app.join("charts/db-1.1.0.tgz")).expect("vendored");
    std::fs::remove_dir_all(app.join("charts")).expect("clean");
    ok(
        helm_env(&helm, &w)
            .args(["dependency", "build", &app_s])
            .output(),
        "helm dependency build",
    );
    assert_eq!(
        std::fs::read(app.join("charts/db-1.1.0.tgz")).expect("helm vendored"),
        ours
    );
    // helm computes the same lock digest for the same requirements.
    let digest = |text: String| {
        text.lines()
            .find(|l| l.starts_with("digest: "))
            .map(str::to_string)
            .expect("a digest line")
    };
    let ours_lock = digest(std::fs::read_to_string(app.join("Chart.lock")).expect("lock"));
    ok(
        helm_env(&helm, &w)
            .args(["dependency", "update", &app_s])
            .output(),
        "helm dependency update",
    );
    let helms_lock = digest(std::fs::read_to_string(app.join("Chart.lock")).expect("lock"));
    assert_eq!(ours_lock, helms_lock);
    let dest = w.path("helm-pull");
    ok(
        helm_env(&helm, &w)
            .args(["pull", "local/db", "--untar", "-d"])
            .arg(&dest)
            .output(),
        "helm pull --untar",
    );
    let chart_yaml = std::fs::read_to_string(dest.join("db/Chart.yaml")).expect("untarred");
    assert!(chart_yaml.contains("2.0.0"), "{chart_yaml}");
}

#[test]
fn repositories_with_basic_auth_and_credentials_kept_to_their_origin() {
    let w = World::new();
    let repo_dir = w.path("repo");
    let index_host = Server::start_with(&repo_dir, Some("ci:pa55word"));
    let archive_host = Server::start_with(&repo_dir, Some("ci:pa55word"));
    // The index points archives at another origin (as repositories on a CDN do).
    ok(
        cs(&w.dir)
            .args(["repo", "index"])
            .arg(&repo_dir)
            .args(["--url", &archive_host.url])
            .output(),
        "repo index",
    );
    let add = |password: Option<&str>, extra: &[&str]| {
        let mut c = cs(&w.dir);
        c.args(["repo", "add", "private", &index_host.url])
            .args(extra);
        if let Some(p) = password {
            c.args(["--username", "ci", "--password-stdin"]);
            c.stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = c.spawn().expect("spawn");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("{p}\n").as_bytes())
                .expect("password");
            child.wait_with_output().expect("repo add")
        } else {
            c.output().expect("repo add")
        }
    };
    let err = fails(add(None, &[]), "anonymous repo add");
    assert!(err.contains("401") && err.contains("--username"), "{err}");
    let err = fails(add(Some("wrong-pass"), &[]), "wrong password");
    assert!(err.contains("credentials were refused"), "{err}");
    assert!(
        !err.contains("wrong-pass"),
        "the password is never printed: {err}"
    );

    let out = add(Some("pa55word"), &[]);
    let text = format!("{}{}", support::stdout(&out), support::stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("pa55word"));
    let file = w.path("config/repositories.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "repositories.yaml holds a password: owner-only"
        );
    }
    let listed = ok(Ok(w.run(&["repo", "list"])), "repo list");
    assert!(!listed.contains("pa55word"), "{listed}");

    // The archive host is another origin: the credentials are not sent there by default.
    let out_dir = w.path("out");
    let out_s = out_dir.display().to_string();
    let err = fails(
        w.run(&["pull", "private/db", "-d", &out_s]),
        "pull from another origin",
    );
    assert!(err.contains("401"), "{err}");
    assert!(!out_dir.join("db-2.0.0.tgz").exists());

    // --pass-credentials sends them to every host of the index.
    let out = add(Some("pa55word"), &["--pass-credentials"]);
    assert!(out.status.success(), "{}", support::stderr(&out));
    ok(
        Ok(w.run(&["pull", "private/db", "-d", &out_s])),
        "pull with --pass-credentials",
    );
    assert!(out_dir.join("db-2.0.0.tgz").is_file());

    // A dependency naming the repository's URL uses the added repository's credentials.
    let app = w.app(&format!(
        "  - name: db\n    version: ~1.0.0\n    repository: {}\n",
        index_host.url
    ));
    ok(
        Ok(w.run(&["dependency", "update", &app.display().to_string()])),
        "dependency update with credentials",
    );
    assert!(app.join("charts/db-1.0.0.tgz").is_file());
}

/// Packs `src` (a chart directory named like the chart) with the system `tar`, as third-party
/// tooling does, without the dependency check of `package`.
fn hand_made_archive(src: &Path, target: &Path) {
    let out = Command::new("tar")
        .arg("-czf")
        .arg(target)
        .arg("-C")
        .arg(src.parent().expect("parent"))
        .arg(src.file_name().expect("name"))
        .output()
        .expect("tar");
    assert!(out.status.success(), "tar: {}", support::stderr(&out));
}

#[test]
fn dependencies_missing_from_downloaded_archives_are_resolved_too() {
    let w = World::new();
    let url = w.server.url.clone();
    let repo_dir = w.path("repo");
    // web 1.0.0 declares db from the same repository but does not carry it.
    let web = w.path("hand/web");
    write(
        &web,
        "Chart.yaml",
        &format!(
            "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: ~1.0.0\n    repository: {url}\n"
        ),
    );
    write(&web, "values.yaml", "db:\n  port: 1111\n");
    hand_made_archive(&web, &repo_dir.join("web-1.0.0.tgz"));
    // broken 1.0.0 declares a file:// dependency it does not carry.
    let broken = w.path("hand/broken");
    write(
        &broken,
        "Chart.yaml",
        "apiVersion: v2\nname: broken\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: 1.0.0\n    repository: file://../db\n",
    );
    hand_made_archive(&broken, &repo_dir.join("broken-1.0.0.tgz"));
    ok(
        cs(&w.dir)
            .args(["repo", "index"])
            .arg(&repo_dir)
            .args(["--url", &url])
            .output(),
        "repo index",
    );

    let app = w.app(&format!(
        "  - name: web\n    version: 1.0.0\n    repository: {url}\n"
    ));
    let app_s = app.display().to_string();
    ok(
        Ok(w.run(&["dependency", "update", &app_s])),
        "dependency update",
    );
    let vendored = app.join("charts/web-1.0.0.tgz");
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&vendored)
        .output()
        .expect("tar");
    let listing = support::stdout(&listing);
    assert!(listing.contains("web/charts/db-1.0.0.tgz"), "{listing}");
    assert!(listing.starts_with("web/Chart.yaml"), "{listing}");
    let rendered = ok(Ok(w.run(&["template", "rel", &app_s])), "template");
    assert!(rendered.contains("port: \"1111\""), "{rendered}");

    // Rebuilt archives are reproducible: a second update gives the same bytes.
    let first = std::fs::read(&vendored).expect("vendored");
    ok(
        Ok(w.run(&["dependency", "update", &app_s])),
        "dependency update again",
    );
    assert_eq!(std::fs::read(&vendored).expect("vendored"), first);

    w.app(&format!(
        "  - name: broken\n    version: 1.0.0\n    repository: {url}\n"
    ));
    let err = fails(
        w.run(&["dependency", "update", &app_s]),
        "file:// inside an archive",
    );
    assert!(
        err.contains("broken-1.0.0.tgz") && err.contains("file://"),
        "{err}"
    );
}

/// `python3 -m http.server`-alike over HTTPS (the test CA's certificate for 127.0.0.1), serving
/// `root`; killed when dropped.
struct TlsServer {
    url: String,
    child: std::process::Child,
}

impl TlsServer {
    fn start(root: &Path) -> Option<TlsServer> {
        let tls = support::root().join("fixtures/oci/tls");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let script = format!(
            "import functools, http.server, ssl\n\
             handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory={root:?})\n\
             server = http.server.ThreadingHTTPServer(('127.0.0.1', {port}), handler)\n\
             context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
             context.load_cert_chain({cert:?}, {key:?})\n\
             server.socket = context.wrap_socket(server.socket, server_side=True)\n\
             server.serve_forever()\n",
            root = root.display().to_string(),
            cert = tls.join("server.pem").display().to_string(),
            key = tls.join("server-key.pem").display().to_string(),
        );
        let child = match Command::new("python3")
            .args(["-c", &script])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "python3 is required in CI: {e}"
                );
                eprintln!("SKIPPED: no python3 for the HTTPS repository ({e})");
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the HTTPS server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(TlsServer {
            url: format!("https://127.0.0.1:{port}"),
            child,
        })
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_repositories_with_a_private_ca() {
    let w = World::new();
    let Some(server) = TlsServer::start(&w.path("repo")) else {
        return;
    };
    // The archives are served from the HTTPS server too.
    ok(
        cs(&w.dir)
            .args(["repo", "index"])
            .arg(w.path("repo"))
            .args(["--url", &server.url])
            .output(),
        "repo index",
    );
    let ca = support::root().join("fixtures/oci/tls/ca.pem");
    let err = fails(
        w.run(&["repo", "add", "secure", &server.url]),
        "repo add without the CA",
    );
    assert!(err.contains("--ca-file"), "{err}");
    ok(
        Ok(w.run(&[
            "repo",
            "add",
            "secure",
            &server.url,
            "--ca-file",
            &ca.display().to_string(),
        ])),
        "repo add --ca-file",
    );
    let file = std::fs::read_to_string(w.path("config/repositories.yaml")).expect("file");
    assert!(file.contains("caFile:"), "{file}");
    // The recorded CA serves every later fetch: pull and a dependency by URL.
    let out = w.path("out");
    ok(
        Ok(w.run(&[
            "pull",
            "secure/db",
            "--version",
            "1.0.0",
            "-d",
            &out.display().to_string(),
        ])),
        "pull over HTTPS",
    );
    assert_eq!(
        std::fs::read(out.join("db-1.0.0.tgz")).expect("pulled"),
        std::fs::read(w.path("repo/db-1.0.0.tgz")).expect("served")
    );
    let app = w.app(&format!(
        "  - name: db\n    version: ^2.0.0\n    repository: {}\n",
        server.url
    ));
    ok(
        Ok(w.run(&["dependency", "update", &app.display().to_string()])),
        "dependency update over HTTPS",
    );
    assert!(app.join("charts/db-2.0.0.tgz").is_file());
}

#[test]
fn values_files_can_be_urls() {
    let w = World::new();
    write(&w.path("repo"), "remote-values.yaml", "port: 6543\n");
    let chart = w.path("src/db-1.0.0").display().to_string();
    let url = format!("{}/remote-values.yaml", w.server.url);
    let rendered = ok(
        Ok(w.run(&["template", "rel", &chart, "-f", &url])),
        "template -f URL",
    );
    assert!(rendered.contains("port: \"6543\""), "{rendered}");
    let missing = format!("{}/missing.yaml", w.server.url);
    let err = fails(
        w.run(&["template", "rel", &chart, "-f", &missing]),
        "-f 404",
    );
    assert!(err.contains("missing.yaml") && err.contains("404"), "{err}");
}
