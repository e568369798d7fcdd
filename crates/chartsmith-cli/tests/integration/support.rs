//! Shared helpers: paths, the chartsmith binary, the reference helm.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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
