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

/// The reference helm binary: `$HELM_BIN`, else installed by `scripts/install-helm.sh`. `None`
/// (the caller skips) only outside CI; in CI a missing helm fails the test.
pub fn helm() -> Option<PathBuf> {
    static HELM: OnceLock<Option<PathBuf>> = OnceLock::new();
    HELM.get_or_init(|| {
        if let Some(p) = std::env::var_os("HELM_BIN")
            .map(PathBuf::from)
            .filter(|p| p.is_file())
        {
            return Some(p);
        }
        let output = Command::new("bash")
            .arg(root().join("scripts/install-helm.sh"))
            .output();
        match output {
            Ok(o) if o.status.success() => Some(PathBuf::from(
                String::from_utf8_lossy(&o.stdout).trim().to_string(),
            )),
            other => {
                let why = format!("{other:?}");
                assert!(
                    std::env::var_os("CI").is_none(),
                    "helm is required in CI: {why}"
                );
                eprintln!("skipping: the reference helm is not available ({why})");
                None
            }
        }
    })
    .clone()
}
