//! Shared helpers: paths, the chartsmith binary, the reference helm.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A command running the built `chartsmith` binary in the workspace root.
pub fn chartsmith() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chartsmith"));
    command.current_dir(root());
    command
}

/// Runs chartsmith with `args`.
pub fn run(args: &[&str]) -> Output {
    chartsmith().args(args).output().expect("run chartsmith")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The reference helm binary: `$HELM_BIN`, else the one `scripts/install-helm.sh` installs (and
/// prints). `None`, with a skip message, only outside CI; in CI a missing helm fails the test.
pub fn helm() -> Option<PathBuf> {
    static HELM: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = HELM.get_or_init(find_helm);
    match found {
        Ok(path) => Some(path.clone()),
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "helm is required in CI: {why}"
            );
            eprintln!(
                "SKIPPED: the reference helm is not available ({why}); set HELM_BIN or make scripts/install-helm.sh work"
            );
            None
        }
    }
}

fn find_helm() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("HELM_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("HELM_BIN={} does not exist", bin.display()))
        };
    }
    let script = root().join("scripts/install-helm.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = PathBuf::from(
        stdout
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or(""),
    );
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} printed no usable path", script.display()))
    }
}

/// The OCI registry binary for the registry tests: `$CHARTSMITH_TEST_REGISTRY`, else Debian's
/// `docker-registry` (the CNCF distribution registry; `scripts/test.sh` installs it). `None`, with
/// a skip message, only outside CI; in CI a missing registry fails the test.
pub fn registry() -> Option<PathBuf> {
    let found = std::env::var_os("CHARTSMITH_TEST_REGISTRY")
        .filter(|b| !b.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join("docker-registry"))
                    .find(|p| p.is_file())
            })
        })
        .filter(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "an OCI registry is required in CI: install Debian's docker-registry (scripts/test.sh does) or set CHARTSMITH_TEST_REGISTRY"
        );
        eprintln!(
            "SKIPPED: no OCI registry (install Debian's docker-registry or set CHARTSMITH_TEST_REGISTRY)"
        );
    }
    found
}

/// Serves the files of a directory over HTTP/1.0-style single requests until dropped (or for at
/// most five minutes).
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `root`.
    pub fn start(root: &Path) -> Server {
        Server::start_with(root, None)
    }

    /// With `credentials` (`user:password`), every request needs them as HTTP basic auth.
    pub fn start_with(root: &Path, credentials: Option<&str>) -> Server {
        use base64::Engine as _;
        let expected = credentials.map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let root = root.to_path_buf();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(300);
            while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                        let mut request = Vec::new();
                        let mut buf = [0u8; 1024];
                        while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16384
                        {
                            match stream.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => request.extend_from_slice(&buf[..n]),
                            }
                        }
                        let text = String::from_utf8_lossy(&request);
                        if let Some(expected) = &expected
                            && !text.lines().any(|l| {
                                l.split_once(':').is_some_and(|(k, v)| {
                                    k.trim().eq_ignore_ascii_case("authorization")
                                        && v.trim() == expected
                                })
                            })
                        {
                            let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"charts\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                            continue;
                        }
                        let path = text.split_whitespace().nth(1).unwrap_or("/");
                        let path = path.split('?').next().unwrap_or("/");
                        let file = (!path.contains(".."))
                            .then(|| root.join(path.trim_start_matches('/')))
                            .filter(|p| p.is_file())
                            .and_then(|p| std::fs::read(p).ok());
                        let response = match file {
                            Some(body) => {
                                let mut r = format!(
                                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                                    body.len()
                                )
                                .into_bytes();
                                r.extend(body);
                                r
                            }
                            None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                        };
                        let _ = stream.write_all(&response);
                        let _ = stream.flush();
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
