//! OCI registries: `push`, `pull oci://`, `template oci://`, `registry login|logout` and `oci://`
//! dependencies against a real registry (Debian's `docker-registry`, the CNCF distribution
//! registry 2.8) started on 127.0.0.1 by each test, and interop with the real helm pushing to and
//! pulling from the same registry.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support;

/// A `docker-registry serve` process on a free loopback port, killed when dropped.
struct Registry {
    host: String,
    storage: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry; with `htpasswd`, it requires HTTP basic authentication.
    fn start(htpasswd: Option<&Path>) -> Option<Registry> {
        Self::launch(htpasswd, false, false)
    }

    /// Starts a registry serving HTTPS with the test CA's certificate for 127.0.0.1.
    fn start_tls() -> Option<Registry> {
        Self::launch(None, true, false)
    }

    /// HTTPS, and the client must present a certificate of the test client CA (mTLS).
    fn start_mtls() -> Option<Registry> {
        Self::launch(None, true, true)
    }

    fn launch(htpasswd: Option<&Path>, tls: bool, mtls: bool) -> Option<Registry> {
        let bin = support::registry()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let host = format!("127.0.0.1:{port}");
        let storage = dir.path().join("data");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n  secret: chartsmith-test\n",
            storage.display()
        );
        if tls {
            let dir = support::root().join("fixtures/oci/tls");
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.join("server.pem").display(),
                dir.join("server-key.pem").display()
            ));
            if mtls {
                config.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    dir.join("client-ca.pem").display()
                ));
            }
        }
        if let Some(file) = htpasswd {
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: chartsmith-test\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("registry config");
        let child = Command::new(&bin)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = Registry {
            host,
            storage,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        // (An HTTPS registry answers a plain request with 400: it is up.)
        while http_status(&registry.host, "GET", "/v2/", &[]).is_none() {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(registry)
    }

    fn oci(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.host)
    }

    /// The raw manifest of `repository:reference` (anonymous registries only).
    fn manifest(&self, repository: &str, reference: &str) -> serde_json::Value {
        let (status, body) = http(
            &self.host,
            "GET",
            &format!("/v2/{repository}/manifests/{reference}"),
            &[(
                "Accept",
                "application/vnd.oci.image.manifest.v1+json".to_string(),
            )],
        )
        .expect("registry answers");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("manifest JSON")
    }

    /// The file the registry stores a blob in.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage.join(format!(
            "docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with `Connection: close`; the status and body.
fn http(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(host).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    Some((status, body))
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

fn http_status(host: &str, method: &str, path: &str, headers: &[(&str, String)]) -> Option<u16> {
    http(host, method, path, headers).map(|(s, _)| s)
}

/// chartsmith with its own config and cache directories.
fn cs(dir: &Path) -> Command {
    let mut c = support::chartsmith();
    c.env("CHARTSMITH_CONFIG_DIR", dir.join("config"))
        .env("CHARTSMITH_CACHE_DIR", dir.join("cache"))
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY");
    c
}

/// chartsmith with `args`, its config and cache under `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    cs(dir).args(args).output().expect("run chartsmith")
}

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        support::stderr(&output)
    );
    support::stdout(&output)
}

fn fails(output: Output, what: &str) -> String {
    assert!(
        !output.status.success(),
        "{what} should fail: {}",
        support::stdout(&output)
    );
    assert_eq!(output.status.code(), Some(1), "{what}: exit code");
    support::stderr(&output)
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// Packages the seed chart `charts/NAME` into `dir/pkg`; returns the archive.
fn package_seed(dir: &Path, name: &str) -> PathBuf {
    let pkg = dir.join("pkg");
    ok(
        cs(dir)
            .arg("package")
            .arg(support::root().join("charts").join(name))
            .arg("-d")
            .arg(&pkg)
            .output()
            .expect("run"),
        "package",
    );
    std::fs::read_dir(&pkg)
        .expect("pkg dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{name}-")))
        })
        .expect("packaged archive")
}

/// A small chart `NAME` at `version`, packaged into `dir/pkg`.
fn package_small(dir: &Path, name: &str, version: &str) -> PathBuf {
    let src = dir.join(format!("src/{name}-{version}"));
    write(
        &src,
        "Chart.yaml",
        &format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"1.0\"\n"),
    );
    write(&src, "values.yaml", "port: 6379\n");
    write(
        &src,
        "templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-{{ Chart.Name }}\ndata:\n  port: \"{{ Values.port }}\"\n",
    );
    let pkg = dir.join("pkg");
    ok(
        cs(dir)
            .arg("package")
            .arg(&src)
            .arg("-d")
            .arg(&pkg)
            .output()
            .expect("run"),
        "package",
    );
    pkg.join(format!("{name}-{version}.tgz"))
}

/// `registry login HOST -u chartsmith --password-stdin --plain-http` with `password` on stdin.
fn login(dir: &Path, host: &str, password: &str) -> Output {
    let mut child = cs(dir)
        .args([
            "registry",
            "login",
            host,
            "-u",
            "chartsmith",
            "--password-stdin",
            "--plain-http",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run login");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password");
    child.wait_with_output().expect("login output")
}

fn push(dir: &Path, archive: &Path, remote: &str) -> String {
    let out = ok(
        cs(dir)
            .arg("push")
            .arg(archive)
            .arg(remote)
            .arg("--plain-http")
            .output()
            .expect("run"),
        "push",
    );
    out.lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .expect("digest line")
        .to_string()
}

#[test]
fn push_pull_template_round_trip_with_digests() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let archive = package_seed(d, "redis");
    let digest = push(d, &archive, &registry.oci("charts"));

    // The manifest is Helm's chart layout.
    let manifest = registry.manifest("charts/redis", "0.1.0");
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.cncf.helm.config.v1+json"
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.title"],
        "redis"
    );

    // Pull by tag, by --version range, by digest: the same bytes as the package.
    let original = std::fs::read(&archive).expect("archive");
    // Piped, the network verbs print only their result: no progress on stderr.
    let quiet_dir = d.join("quiet").display().to_string();
    let quiet = run(
        d,
        &[
            "pull",
            &registry.oci("charts/redis"),
            "--plain-http",
            "-d",
            &quiet_dir,
        ],
    );
    assert!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "{}",
        support::stderr(&quiet)
    );
    for (i, args) in [
        vec![registry.oci("charts/redis:0.1.0")],
        vec![
            registry.oci("charts/redis"),
            "--version".into(),
            "^0.1".into(),
        ],
        vec![registry.oci(&format!("charts/redis@{digest}"))],
        vec![registry.oci("charts/redis")],
    ]
    .into_iter()
    .enumerate()
    {
        let dest = d.join(format!("pulled-{i}"));
        let out = ok(
            cs(d)
                .arg("pull")
                .args(&args)
                .arg("--plain-http")
                .arg("-d")
                .arg(&dest)
                .output()
                .expect("run"),
            "pull",
        );
        assert!(out.contains(&digest), "{out}");
        assert_eq!(
            std::fs::read(dest.join("redis-0.1.0.tgz")).expect("pulled"),
            original,
            "pull {args:?}"
        );
    }
    ok(
        cs(d)
            .args([
                "pull",
                &registry.oci("charts/redis"),
                "--plain-http",
                "--untar",
                "-d",
            ])
            .arg(d.join("untarred"))
            .output()
            .expect("run"),
        "pull --untar",
    );
    assert!(d.join("untarred/redis/Chart.yaml").is_file());

    // template renders straight from the registry, as from the directory.
    let remote = ok(
        run(
            d,
            &[
                "template",
                "r",
                &registry.oci("charts/redis"),
                "--plain-http",
            ],
        ),
        "template oci://",
    );
    let local = ok(
        cs(d)
            .args(["template", "r"])
            .arg(support::root().join("charts/redis"))
            .output()
            .expect("run"),
        "template dir",
    );
    assert_eq!(remote, local);
    let shown = ok(
        run(
            d,
            &[
                "show",
                "chart",
                &registry.oci("charts/redis"),
                "--version",
                "0.1.0",
                "--plain-http",
            ],
        ),
        "show chart oci://",
    );
    assert!(shown.contains("name: redis"), "{shown}");
    let values = ok(
        run(
            d,
            &[
                "values",
                &registry.oci("charts/redis"),
                "--plain-http",
                "-o",
                "json",
            ],
        ),
        "values oci://",
    );
    assert!(values.trim_start().starts_with('{'), "{values}");
    let linted = run(d, &["lint", &registry.oci("charts/redis"), "--plain-http"]);
    assert_ne!(
        linted.status.code(),
        Some(2),
        "{}",
        support::stderr(&linted)
    );
    assert!(
        support::stdout(&linted).contains("charts/redis"),
        "{}",
        support::stdout(&linted)
    );

    // Releases install and upgrade straight from the registry too.
    let state = d.join("state");
    ok(
        cs(d)
            .args([
                "install",
                "cache",
                &registry.oci("charts/redis"),
                "--version",
                "0.1.0",
                "--plain-http",
            ])
            .env("CHARTSMITH_STATE_DIR", &state)
            .output()
            .expect("run"),
        "install oci://",
    );
    let listed = ok(
        cs(d)
            .args(["list", "-o", "json"])
            .env("CHARTSMITH_STATE_DIR", &state)
            .output()
            .expect("run"),
        "list",
    );
    assert!(listed.contains("redis-0.1.0"), "{listed}");

    // Errors: no such chart, no such version, a tag that disagrees with --version, TLS to a
    // plain registry, a malformed reference.
    let err = fails(
        run(d, &["pull", &registry.oci("charts/nope"), "--plain-http"]),
        "missing chart",
    );
    assert!(err.contains("charts/nope"), "{err}");
    let err = fails(
        run(
            d,
            &[
                "pull",
                &registry.oci("charts/redis"),
                "--version",
                ">=5",
                "--plain-http",
            ],
        ),
        "no version",
    );
    assert!(err.contains(">=5") && err.contains("0.1.0"), "{err}");
    let err = fails(
        run(
            d,
            &[
                "pull",
                &registry.oci("charts/redis:0.1.0"),
                "--version",
                "0.2.0",
                "--plain-http",
            ],
        ),
        "tag and version",
    );
    assert!(err.contains("disagree"), "{err}");
    let err = fails(
        run(d, &["pull", &registry.oci("charts/redis")]),
        "https to a plain registry",
    );
    assert!(err.contains("--plain-http"), "{err}");
    let err = fails(
        run(d, &["pull", "oci://127.0.0.1/Bad/Name", "--plain-http"]),
        "bad reference",
    );
    assert!(err.contains("invalid OCI reference"), "{err}");
    let err = fails(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(registry.oci("charts:1.0"))
            .arg("--plain-http")
            .output()
            .expect("run"),
        "push to a tag",
    );
    assert!(err.contains("namespace"), "{err}");
}

#[test]
fn tampered_blobs_are_refused_and_nothing_is_written() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let archive = package_small(d, "cache", "1.0.0");
    push(d, &archive, &registry.oci("charts"));
    let manifest = registry.manifest("charts/cache", "1.0.0");
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .expect("layer digest");
    // Flip one byte of the stored layer: the registry serves it, chartsmith must refuse it.
    let file = registry.blob_file(layer);
    let mut bytes = std::fs::read(&file).expect("stored blob");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).expect("tamper");
    let dest = d.join("out");
    let err = fails(
        cs(d)
            .args([
                "pull",
                &registry.oci("charts/cache"),
                "--version",
                "1.0.0",
                "--plain-http",
                "-d",
            ])
            .arg(&dest)
            .output()
            .expect("run"),
        "tampered pull",
    );
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(!dest.exists(), "nothing may be written for a refused pull");
    // A digest reference the registry does not have.
    let err = fails(
        run(
            d,
            &[
                "pull",
                &registry.oci(&format!("charts/cache@sha256:{}", "0".repeat(64))),
                "--plain-http",
            ],
        ),
        "unknown digest",
    );
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn basic_auth_login_push_pull_logout() {
    let htpasswd = support::root().join("fixtures/oci/htpasswd");
    let Some(registry) = Registry::start(Some(&htpasswd)) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let archive = package_small(d, "web", "0.3.0");
    let err = fails(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(registry.oci("team"))
            .arg("--plain-http")
            .output()
            .expect("run"),
        "anonymous push",
    );
    assert!(err.contains("registry login"), "{err}");

    let login = |password: &str| login(d, &registry.host, password);
    let err = fails(login("not-the-password"), "wrong password");
    assert!(err.contains("refused"), "{err}");
    assert!(
        !err.contains("not-the-password"),
        "the password must never be printed"
    );
    assert!(!d.join("config/registry/config.json").exists());

    ok(login("s3cret-pass"), "login");
    let config = d.join("config/registry/config.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config)
            .expect("config")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the credentials file must be private");
    }
    assert!(
        !std::fs::read_to_string(&config)
            .expect("config")
            .contains("s3cret-pass")
    );
    push(d, &archive, &registry.oci("team"));
    let dest = d.join("out");
    ok(
        cs(d)
            .args(["pull", &registry.oci("team/web"), "--plain-http", "-d"])
            .arg(&dest)
            .output()
            .expect("run"),
        "pull with credentials",
    );
    assert_eq!(
        std::fs::read(dest.join("web-0.3.0.tgz")).expect("pulled"),
        std::fs::read(&archive).expect("archive")
    );
    ok(run(d, &["registry", "logout", &registry.host]), "logout");
    let err = fails(
        run(d, &["pull", &registry.oci("team/web"), "--plain-http"]),
        "pull after logout",
    );
    assert!(err.contains("registry login"), "{err}");
}

#[test]
fn oci_dependencies_update_and_build() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for v in ["1.0.0", "1.4.0", "2.0.0"] {
        push(d, &package_small(d, "cache", v), &registry.oci("deps"));
    }
    let app = d.join("project/app");
    write(
        &app,
        "Chart.yaml",
        &format!(
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: cache\n    version: ^1.0.0\n    repository: {0}\n  - name: cache\n    alias: sessions\n    version: ~1.0.0\n    repository: {0}\n",
            registry.oci("deps")
        ),
    );
    write(
        &app,
        "values.yaml",
        "cache:\n  port: 7000\nsessions:\n  port: 7001\n",
    );
    ok(
        cs(d)
            .args(["dependency", "update", "--plain-http"])
            .arg(&app)
            .output()
            .expect("run"),
        "dependency update",
    );
    // The aliased second use of the chart pins its own version.
    assert!(app.join("charts/cache-1.4.0.tgz").is_file());
    assert!(app.join("charts/cache-1.0.0.tgz").is_file());
    let lock = std::fs::read_to_string(app.join("Chart.lock")).expect("lock");
    assert!(
        lock.contains("version: 1.4.0") && lock.contains("version: 1.0.0"),
        "{lock}"
    );
    assert!(lock.contains(&registry.oci("deps")), "{lock}");
    // build restores exactly the pinned version.
    std::fs::remove_dir_all(app.join("charts")).expect("clean");
    ok(
        cs(d)
            .args(["dependency", "build", "--plain-http"])
            .arg(&app)
            .output()
            .expect("run"),
        "dependency build",
    );
    assert!(app.join("charts/cache-1.4.0.tgz").is_file());

    // The lock pins each archive's digest: a version republished under the same tag (a moved
    // OCI tag) is refused by build, and nothing is vendored from it.
    let lock = std::fs::read_to_string(app.join("Chart.lock")).expect("lock");
    assert_eq!(lock.matches("digest: sha256:").count(), 3, "{lock}");
    let src = d.join("src/cache-1.4.0");
    write(&src, "values.yaml", "port: 9999\n");
    let republished = d.join("republished");
    ok(
        cs(d)
            .arg("package")
            .arg(&src)
            .arg("-d")
            .arg(&republished)
            .output()
            .expect("run"),
        "package again",
    );
    push(
        d,
        &republished.join("cache-1.4.0.tgz"),
        &registry.oci("deps"),
    );
    std::fs::remove_dir_all(app.join("charts")).expect("clean");
    let err = fails(
        cs(d)
            .args(["dependency", "build", "--plain-http"])
            .arg(&app)
            .output()
            .expect("run"),
        "build after the tag moved",
    );
    assert!(err.contains("not the archive Chart.lock pinned"), "{err}");
    assert!(!app.join("charts/cache-1.4.0.tgz").exists());
    // update accepts the new archive (and pins it).
    ok(
        cs(d)
            .args(["dependency", "update", "--plain-http"])
            .arg(&app)
            .output()
            .expect("run"),
        "update after the tag moved",
    );
    let rendered = ok(
        cs(d)
            .args(["template", "r"])
            .arg(&app)
            .output()
            .expect("run"),
        "template",
    );
    assert!(rendered.contains("port: \"7000\""), "{rendered}");
    assert!(rendered.contains("name: r-sessions"), "{rendered}");
    assert!(rendered.contains("port: \"7001\""), "{rendered}");
    // package --dependency-update resolves before packaging.
    std::fs::remove_dir_all(app.join("charts")).expect("clean");
    ok(
        cs(d)
            .args(["package", "--dependency-update", "--plain-http", "-d"])
            .arg(d.join("out"))
            .arg(&app)
            .output()
            .expect("run"),
        "package -u",
    );
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(d.join("out/app-0.1.0.tgz"))
        .output()
        .expect("tar");
    assert!(
        support::stdout(&listing).contains("app/charts/cache-1.4.0.tgz"),
        "{}",
        support::stdout(&listing)
    );

    // The real helm builds from our Chart.lock against the same registry.
    if let Some(helm) = support::helm() {
        std::fs::remove_dir_all(app.join("charts")).expect("clean");
        let out = Command::new(&helm)
            .args(["dependency", "build", "--plain-http"])
            .arg(&app)
            .env("HELM_CONFIG_HOME", d.join("helm/config"))
            .env("HELM_CACHE_HOME", d.join("helm/cache"))
            .env("HELM_DATA_HOME", d.join("helm/data"))
            .output()
            .expect("helm");
        assert!(
            out.status.success(),
            "helm dependency build: {}",
            support::stderr(&out)
        );
        assert!(app.join("charts/cache-1.4.0.tgz").is_file());
    }
}

#[test]
fn helm_reads_what_chartsmith_pushes_and_the_other_way_round() {
    let Some(helm) = support::helm() else {
        return;
    };
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let helm_cmd = || {
        let mut c = Command::new(&helm);
        c.env("HELM_CONFIG_HOME", d.join("helm/config"))
            .env("HELM_CACHE_HOME", d.join("helm/cache"))
            .env("HELM_DATA_HOME", d.join("helm/data"));
        c
    };
    // chartsmith → helm: helm pull gets the same bytes, helm show chart reads the metadata.
    let archive = package_seed(d, "mongodb");
    push(d, &archive, &registry.oci("cs"));
    std::fs::create_dir_all(d.join("helm-pulled")).expect("dir");
    let out = helm_cmd()
        .args([
            "pull",
            &registry.oci("cs/mongodb"),
            "--version",
            "0.1.0",
            "--plain-http",
            "-d",
        ])
        .arg(d.join("helm-pulled"))
        .output()
        .expect("helm pull");
    assert!(out.status.success(), "helm pull: {}", support::stderr(&out));
    assert_eq!(
        std::fs::read(d.join("helm-pulled/mongodb-0.1.0.tgz")).expect("helm pulled"),
        std::fs::read(&archive).expect("archive")
    );
    let shown = helm_cmd()
        .args(["show", "chart", &registry.oci("cs/mongodb"), "--plain-http"])
        .output()
        .expect("helm show");
    assert!(shown.status.success(), "{}", support::stderr(&shown));
    assert!(support::stdout(&shown).contains("name: mongodb"));

    // Same archive pushed by helm: the config blob (chart metadata as JSON) has the same digest
    // and the annotations agree except the creation time.
    let out = helm_cmd()
        .arg("push")
        .arg(&archive)
        .arg(registry.oci("hh"))
        .arg("--plain-http")
        .output()
        .expect("helm push");
    assert!(out.status.success(), "helm push: {}", support::stderr(&out));
    let mut ours = registry.manifest("cs/mongodb", "0.1.0");
    let mut theirs = registry.manifest("hh/mongodb", "0.1.0");
    for m in [&mut ours, &mut theirs] {
        m["annotations"]
            .as_object_mut()
            .expect("annotations")
            .remove("org.opencontainers.image.created");
    }
    assert_eq!(ours, theirs);

    // helm → chartsmith: a chart made and pushed by helm is pulled, verified and rendered.
    let out = helm_cmd()
        .args(["create", "hc"])
        .current_dir(d)
        .output()
        .expect("helm create");
    assert!(out.status.success());
    let out = helm_cmd()
        .args(["package", "hc"])
        .current_dir(d)
        .output()
        .expect("helm package");
    assert!(out.status.success());
    let out = helm_cmd()
        .arg("push")
        .arg(d.join("hc-0.1.0.tgz"))
        .arg(registry.oci("helm"))
        .arg("--plain-http")
        .output()
        .expect("helm push");
    assert!(out.status.success(), "{}", support::stderr(&out));
    let dest = d.join("cs-pulled");
    ok(
        cs(d)
            .args(["pull", &registry.oci("helm/hc"), "--plain-http", "-d"])
            .arg(&dest)
            .output()
            .expect("run"),
        "pull a helm-pushed chart",
    );
    assert_eq!(
        std::fs::read(dest.join("hc-0.1.0.tgz")).expect("pulled"),
        std::fs::read(d.join("hc-0.1.0.tgz")).expect("helm archive")
    );
    let shown = ok(
        cs(d)
            .arg("show")
            .arg("chart")
            .arg(dest.join("hc-0.1.0.tgz"))
            .output()
            .expect("run"),
        "show chart",
    );
    assert!(shown.contains("name: hc"), "{shown}");
}

/// A loopback front for a registry that demands bearer tokens, as Docker Hub, GHCR and most
/// hosted registries do: a request without `Authorization: Bearer <token>` gets a 401 challenge
/// naming the token realm (`/token` on this proxy, which hands out the token only for the right
/// basic credentials); authorised requests are relayed to the real registry.
struct TokenProxy {
    host: String,
    token_requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

const TOKEN: &str = "tok-7f3a";

impl TokenProxy {
    fn start(upstream: &str) -> TokenProxy {
        Self::start_with(upstream, None)
    }

    /// A malicious front instead: no tokens, everything relayed (credentials included), but the
    /// upload Locations the registry answers are rewritten to point at `thief`.
    fn hijacking_uploads(upstream: &str, thief: &str) -> TokenProxy {
        Self::start_with(upstream, Some(thief.to_string()))
    }

    fn start_with(upstream: &str, thief: Option<String>) -> TokenProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        let token_requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (seen, me, upstream) = (token_requests.clone(), host.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, me, upstream, thief) =
                    (seen.clone(), me.clone(), upstream.clone(), thief.clone());
                std::thread::spawn(move || {
                    let _ = Self::serve(stream, &seen, &me, &upstream, thief.as_deref());
                });
            }
        });
        TokenProxy {
            host,
            token_requests,
        }
    }

    fn serve(
        mut client: TcpStream,
        seen: &std::sync::Mutex<Vec<String>>,
        me: &str,
        upstream: &str,
        thief: Option<&str>,
    ) -> std::io::Result<()> {
        client.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut data = Vec::new();
        let mut buf = [0u8; 8192];
        let split = loop {
            if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = client.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            data.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&data[..split]).into_owned();
        let mut body = data[split + 4..].to_vec();
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let length: usize = header("Content-Length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while body.len() < length {
            let n = client.read(&mut buf)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let auth = header("Authorization").unwrap_or_default();
        let reply = |client: &mut TcpStream, status: &str, extra: &str, body: &str| {
            client.write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
        };
        if let Some(thief) = thief {
            // Everything goes through as it came (credentials included); upload Locations
            // point at the thief.
            let mut up = TcpStream::connect(upstream)?;
            let mut forwarded = String::new();
            for (i, line) in head.lines().enumerate() {
                if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
                    continue;
                }
                forwarded.push_str(line);
                forwarded.push_str("\r\n");
            }
            forwarded.push_str("Connection: close\r\n\r\n");
            up.write_all(forwarded.as_bytes())?;
            up.write_all(&body)?;
            let mut response = Vec::new();
            up.read_to_end(&mut response)?;
            let split = response
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(response.len());
            let head = String::from_utf8_lossy(&response[..split])
                .replace(&format!("http://{me}/"), &format!("http://{thief}/"));
            client.write_all(head.as_bytes())?;
            client.write_all(&response[split..])?;
            return client.flush();
        }
        if target.starts_with("/token") {
            seen.lock().expect("lock").push(target.clone());
            let good = format!("Basic {}", base64_encode(b"chartsmith:s3cret-pass"));
            return if auth == good {
                reply(
                    &mut client,
                    "200 OK",
                    "",
                    &format!("{{\"token\":\"{TOKEN}\"}}"),
                )
            } else {
                reply(
                    &mut client,
                    "401 Unauthorized",
                    "",
                    "{\"details\":\"bad credentials\"}",
                )
            };
        }
        if auth != format!("Bearer {TOKEN}") {
            let repo = target
                .strip_prefix("/v2/")
                .and_then(|r| r.split("/manifests/").next())
                .and_then(|r| r.split("/blobs/").next())
                .and_then(|r| r.split("/tags/").next())
                .unwrap_or("");
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"http://{me}/token\",service=\"test-registry\",scope=\"repository:{repo}:pull\"\r\n"
            );
            return reply(
                &mut client,
                "401 Unauthorized",
                &challenge,
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}",
            );
        }
        // Relay: same request line and headers (Host stays the proxy's, so the registry's
        // upload Locations point back here), without Authorization, closed after one exchange.
        let mut up = TcpStream::connect(upstream)?;
        let mut forwarded = String::new();
        for (i, line) in head.lines().enumerate() {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if i > 0 && (name == "authorization" || name == "connection") {
                continue;
            }
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
        forwarded.push_str("Connection: close\r\n\r\n");
        up.write_all(forwarded.as_bytes())?;
        up.write_all(&body)?;
        let mut response = Vec::new();
        up.read_to_end(&mut response)?;
        client.write_all(&response)?;
        client.flush()
    }
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[test]
fn bearer_token_challenges_are_answered() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let proxy = TokenProxy::start(&registry.host);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let archive = package_small(d, "api", "2.1.0+build.7");
    let remote = format!("oci://{}/org", proxy.host);
    let err = fails(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(&remote)
            .arg("--plain-http")
            .output()
            .expect("run"),
        "push without credentials",
    );
    assert!(
        err.contains("token service") && err.contains("registry login"),
        "{err}"
    );

    ok(login(d, &proxy.host, "s3cret-pass"), "login");

    let out = ok(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(&remote)
            .arg("--plain-http")
            .output()
            .expect("run"),
        "push with a token",
    );
    // `+` is not allowed in tags: Helm's `_` is used.
    assert!(out.contains("/org/api:2.1.0_build.7"), "{out}");
    let dest = d.join("out");
    ok(
        cs(d)
            .args([
                "pull",
                &format!("{remote}/api"),
                "--version",
                "~2.1",
                "--plain-http",
                "-d",
            ])
            .arg(&dest)
            .output()
            .expect("run"),
        "pull with a token",
    );
    assert_eq!(
        std::fs::read(dest.join("api-2.1.0+build.7.tgz")).expect("pulled"),
        std::fs::read(&archive).expect("archive")
    );
    let requests = proxy.token_requests.lock().expect("lock").clone();
    assert!(
        requests.iter().any(|r| r.contains("service=test-registry")
            && r.contains("scope=repository%3Aorg%2Fapi%3Apull")),
        "{requests:?}"
    );
}

/// Records the request heads it receives and answers each with a basic-auth challenge.
fn thief() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            while !data.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buf[..n]),
                }
            }
            let split = data
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(data.len());
            record
                .lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&data[..split]).into_owned());
            let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (host, seen)
}

#[test]
fn credentials_never_follow_an_upload_location_to_another_host() {
    let htpasswd = support::root().join("fixtures/oci/htpasswd");
    let Some(registry) = Registry::start(Some(&htpasswd)) else {
        return;
    };
    let (thief_host, stolen) = thief();
    let proxy = TokenProxy::hijacking_uploads(&registry.host, &thief_host);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(login(d, &proxy.host, "s3cret-pass"), "login");
    let archive = package_small(d, "api", "1.0.0");
    let err = fails(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(format!("oci://{}/org", proxy.host))
            .arg("--plain-http")
            .output()
            .expect("run"),
        "push through a hijacked upload",
    );
    assert!(err.contains("only sent to the registry"), "{err}");
    let heads = stolen.lock().expect("lock").clone();
    assert!(!heads.is_empty(), "the upload went to the other host");
    for head in &heads {
        assert!(
            !head.to_ascii_lowercase().contains("authorization"),
            "credentials leaked: {head}"
        );
    }
}

#[test]
fn tls_registries_are_checked_against_the_given_ca() {
    let Some(registry) = Registry::start_tls() else {
        return;
    };
    let ca = support::root().join("fixtures/oci/tls/ca.pem");
    let ca_s = ca.display().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let archive = package_small(d, "secure", "0.9.0");
    let remote = registry.oci("tls");

    // The certificate is not signed by a public CA: refused, with the way out named.
    let err = fails(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(&remote)
            .output()
            .expect("run"),
        "push without the CA",
    );
    assert!(err.contains("--ca-file"), "{err}");

    let out = ok(
        cs(d)
            .arg("push")
            .arg(&archive)
            .arg(&remote)
            .args(["--ca-file", &ca_s])
            .output()
            .expect("run"),
        "push over HTTPS",
    );
    assert!(out.contains("/tls/secure:0.9.0"), "{out}");
    for extra in [
        vec!["--ca-file", ca_s.as_str()],
        vec!["--insecure-skip-tls-verify"],
    ] {
        let dest = d.join(format!("out-{}", extra.len()));
        ok(
            cs(d)
                .args(["pull", &format!("{remote}/secure"), "-d"])
                .arg(&dest)
                .args(&extra)
                .output()
                .expect("run"),
            "pull over HTTPS",
        );
        assert_eq!(
            std::fs::read(dest.join("secure-0.9.0.tgz")).expect("pulled"),
            std::fs::read(&archive).expect("archive")
        );
    }
    // A CA file without certificates is an error naming it.
    let empty = d.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    let err = fails(
        cs(d)
            .args(["pull", &format!("{remote}/secure"), "--ca-file"])
            .arg(&empty)
            .output()
            .expect("run"),
        "empty CA file",
    );
    assert!(err.contains("empty.pem"), "{err}");

    // helm trusts the same CA and reads what chartsmith pushed over HTTPS.
    if let Some(helm) = support::helm() {
        std::fs::create_dir_all(d.join("helm-out")).expect("dir");
        let out = Command::new(&helm)
            .args([
                "pull",
                &format!("{remote}/secure"),
                "--version",
                "0.9.0",
                "--ca-file",
                &ca_s,
                "-d",
            ])
            .arg(d.join("helm-out"))
            .env("HELM_CONFIG_HOME", d.join("helm/config"))
            .env("HELM_CACHE_HOME", d.join("helm/cache"))
            .env("HELM_DATA_HOME", d.join("helm/data"))
            .output()
            .expect("helm");
        assert!(out.status.success(), "helm pull: {}", support::stderr(&out));
        assert_eq!(
            std::fs::read(d.join("helm-out/secure-0.9.0.tgz")).expect("helm pulled"),
            std::fs::read(&archive).expect("archive")
        );
    }
}

#[test]
fn registries_requiring_client_certificates() {
    let Some(registry) = Registry::start_mtls() else {
        return;
    };
    let tls = support::root().join("fixtures/oci/tls");
    let file = |name: &str| tls.join(name).display().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let archive = package_small(d, "private", "1.0.0");
    let remote = registry.oci("mtls");
    let archive_s = archive.display().to_string();
    // Without a client certificate the handshake is refused.
    fails(
        run(
            d,
            &["push", &archive_s, &remote, "--ca-file", &file("ca.pem")],
        ),
        "push without a client certificate",
    );
    let with_cert = [
        "--ca-file",
        &file("ca.pem"),
        "--cert-file",
        &file("client.pem"),
        "--key-file",
        &file("client-key.pem"),
    ];
    let mut args = vec!["push", archive_s.as_str(), remote.as_str()];
    args.extend(with_cert);
    ok(run(d, &args), "push with a client certificate");
    let dest = d.join("out").display().to_string();
    let chart = format!("{remote}/private");
    let mut args = vec!["pull", chart.as_str(), "-d", dest.as_str()];
    args.extend(with_cert);
    ok(run(d, &args), "pull with a client certificate");
    assert_eq!(
        std::fs::read(d.join("out/private-1.0.0.tgz")).expect("pulled"),
        std::fs::read(&archive).expect("archive")
    );
    // A certificate without its key is a usage error; a key file without a key is named.
    let half = run(d, &["pull", &chart, "--cert-file", &file("client.pem")]);
    assert_eq!(half.status.code(), Some(2), "{}", support::stderr(&half));
    let err = fails(
        run(
            d,
            &[
                "pull",
                &chart,
                "--ca-file",
                &file("ca.pem"),
                "--cert-file",
                &file("client.pem"),
                "--key-file",
                &file("client.pem"),
            ],
        ),
        "certificate as key",
    );
    assert!(err.contains("no PEM private key"), "{err}");
}
