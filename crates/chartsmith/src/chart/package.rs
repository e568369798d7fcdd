//! `chartsmith package`: a chart directory → a reproducible `NAME-VERSION.tgz` that Helm reads.
//!
//! The archive has Helm's layout: `NAME/Chart.yaml` first, then `NAME/values.yaml` and
//! `NAME/values.schema.json`, then every other file in byte order of its path, vendored subcharts
//! under `NAME/charts/` as they are (directories file by file, `.tgz` archives unchanged). The
//! chart's `.helmignore` and `.chartsmithignore` are honoured, exactly as when the directory is
//! loaded. Like Helm, the archive holds no directory entries.
//!
//! The bytes depend only on the chart's content: every entry has mode 0644, uid and gid 0, empty
//! user and group names and the modification time of `SOURCE_DATE_EPOCH` (or
//! [`DEFAULT_MTIME`]); the gzip header has no file name and a zero time. So the same chart gives
//! the same archive on any machine and from any checkout.
//!
//! May import: the chart model and [`loader`], `values::schema` (schemas are checked before a
//! chart is packaged), `util`.

use std::path::{Path, PathBuf};

use super::loader::{self, LoadError, LoadOptions};
use super::{Chart, File, MetadataError};
use crate::util::fs::IoError;
use crate::util::fs::{WriteOptions, write_atomic_with};
use crate::util::text::{escape, quote};
use crate::values::schema::SchemaError;

/// The modification time of every entry when `SOURCE_DATE_EPOCH` is not set:
/// 1980-01-01T00:00:00Z (the earliest time every archive format and tool accepts).
pub const DEFAULT_MTIME: u64 = 315_532_800;

/// How to package a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageOptions {
    /// The directory the archive is written to (created if missing; default `.`).
    pub destination: PathBuf,
    /// Replaces the chart's `version` (must be SemVer 2).
    pub version: Option<String>,
    /// Replaces the chart's `appVersion`.
    pub app_version: Option<String>,
    /// The entries' modification time in seconds since the epoch. `None`: `SOURCE_DATE_EPOCH`
    /// from the environment, else [`DEFAULT_MTIME`].
    pub mtime: Option<u64>,
    /// Limits applied while reading the chart.
    pub load: LoadOptions,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions {
            destination: PathBuf::from("."),
            version: None,
            app_version: None,
            mtime: None,
            load: LoadOptions::default(),
        }
    }
}

/// Why a chart was not packaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The `--version` override is not SemVer 2.
    #[error("--version `{version}` is not a valid SemVer 2 version: {reason}")]
    InvalidVersion {
        /// The override.
        version: String,
        /// What is wrong.
        reason: String,
    },
    /// `SOURCE_DATE_EPOCH` is not a number of seconds.
    #[error("SOURCE_DATE_EPOCH=`{value}` is not a non-negative number of seconds")]
    InvalidSourceDateEpoch {
        /// The variable's value.
        value: String,
    },
    /// A dependency declared in `Chart.yaml` is not vendored under `charts/`.
    #[error(
        "{}: dependency `{}` is declared in Chart.yaml but missing in the charts/ directory (vendor it first: `chartsmith dependency build {}`, or package with `chartsmith package -u`)",
        escape(.chart),
        quote(.dependency),
        escape(.chart)
    )]
    MissingDependency {
        /// The chart directory.
        chart: String,
        /// The dependency's name.
        dependency: String,
    },
    /// The archive could not be assembled.
    #[error("{}: cannot write the archive: {}", escape(.chart), escape(.reason))]
    Archive {
        /// The chart directory.
        chart: String,
        /// What went wrong.
        reason: String,
    },
    /// The chart could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The chart (or the archive, loaded back) could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// `Chart.yaml` is invalid (after the `--version`/`--app-version` overrides).
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A `values.schema.json` is not a usable JSON Schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Packages the chart directory `chart_dir` into `DESTINATION/NAME-VERSION.tgz` and returns that
/// path. The chart is validated first: a broken `Chart.yaml`, `values.yaml` or
/// `values.schema.json` (of the chart or a subchart) refuses to package.
pub fn package(chart_dir: &Path, options: &PackageOptions) -> Result<PathBuf, PackageError> {
    let mtime = match options.mtime {
        Some(t) => t,
        None => source_date_epoch(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())?,
    };
    let (file_name, bytes) = archive(chart_dir, options, mtime)?;
    let destination = &options.destination;
    std::fs::create_dir_all(destination).map_err(|e| IoError::new(destination, e))?;
    // `file_name` is a single component (a validated chart name and a SemVer version), so the
    // archive lands directly in the destination. It is written beside its final name and renamed,
    // so a reader never sees half an archive. It is not fsynced (as `helm package`, `tar` and
    // `cargo package` do not): a build artifact is remade, and the sync cost a third of the time
    // of packaging a small chart.
    let target = destination.join(&file_name);
    debug_assert_eq!(target.parent(), Some(destination.as_path()));
    let not_synced = WriteOptions {
        durable: false,
        private: false,
    };
    write_atomic_with(&target, &bytes, not_synced)?;
    Ok(target)
}

/// Packages several chart directories, on up to as many threads as there are cores; the results
/// are in the order of `charts` (each chart's own result, so one broken chart does not hide the
/// others).
pub fn package_all(
    charts: &[PathBuf],
    options: &PackageOptions,
) -> Vec<Result<PathBuf, PackageError>> {
    crate::util::parallel::parallel_map(charts, |chart| package(chart, options))
}

/// The archive's file name and bytes, without writing anything.
///
/// The chart directory is read once. While the chart is assembled and checked (YAML, values
/// schemas, `Chart.yaml` fields, vendored dependencies) on this thread, the archive is compressed
/// on another; the result, errors included, is the one `archive_checked` gives, which
/// compresses first and then loads the archive back. The uncommon cases where that equivalence is
/// not plain (`--version`/`--app-version` overrides, a declared dependency that is not vendored,
/// a file name the archive would not keep as it is, an unreadable `Chart.yaml`) take
/// `archive_checked` itself.
pub fn archive(
    chart_dir: &Path,
    options: &PackageOptions,
    mtime: u64,
) -> Result<(String, Vec<u8>), PackageError> {
    if options.version.is_some() || options.app_version.is_some() {
        return archive_checked(chart_dir, options, mtime);
    }
    let dir = loader::read_dir(chart_dir, &options.load)?;
    let mut files = dir.files().to_vec();
    order(&mut files);
    // The top-level directory of every entry is the chart's name. If `Chart.yaml` does not parse,
    // the checked path reports why.
    let Some(name) = files
        .iter()
        .find(|f| f.name == "Chart.yaml")
        .and_then(|f| std::str::from_utf8(&f.data).ok())
        .and_then(|text| crate::chart::Metadata::from_yaml(text, "Chart.yaml").ok())
        .map(|m| m.name)
    else {
        return archive_checked(chart_dir, options, mtime);
    };
    // Loading the archive back would rename or refuse these entries.
    if !files
        .iter()
        .all(|f| loader::entry_path_is_plain(&format!("{name}/{}", f.name)))
    {
        return archive_checked(chart_dir, options, mtime);
    }
    let (checked, tgz) = std::thread::scope(|scope| {
        let tgz = scope.spawn(|| write_tgz(&name, &files, mtime));
        let checked = (|| -> Result<Option<Chart>, PackageError> {
            let chart = dir.assemble()?;
            // A declared dependency that is not vendored: `load_dir` would add it from a
            // `file://` path (and may fail doing so, or find a broken schema in it) before the
            // archive is refused; let the checked path say exactly that.
            if chart
                .metadata
                .dependencies
                .iter()
                .any(|d| !chart.dependencies.iter().any(|c| c.name() == d.name))
            {
                return Ok(None);
            }
            validate_schemas(&chart, chart.name())?;
            chart.metadata.validate("Chart.yaml")?;
            Ok(Some(chart))
        })();
        (checked, tgz.join())
    });
    let Some(chart) = checked? else {
        return archive_checked(chart_dir, options, mtime);
    };
    let bytes = match tgz {
        Ok(bytes) => bytes.map_err(|e| PackageError::Archive {
            chart: chart_dir.display().to_string(),
            reason: e.to_string(),
        })?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    debug_assert_eq!(chart.name(), name);
    Ok((format!("{name}-{}.tgz", chart.metadata.version), bytes))
}

/// [`archive`] step by step: load and check the directory, compress, then load the archive back
/// and check that every declared dependency is in it.
fn archive_checked(
    chart_dir: &Path,
    options: &PackageOptions,
    mtime: u64,
) -> Result<(String, Vec<u8>), PackageError> {
    let source_name = chart_dir.display().to_string();
    let mut chart = loader::load_dir(chart_dir, &options.load)?;
    validate_schemas(&chart, chart.name())?;
    let mut overridden = false;
    if let Some(version) = &options.version {
        semver::Version::parse(version).map_err(|e| PackageError::InvalidVersion {
            version: version.clone(),
            reason: e.to_string(),
        })?;
        chart.metadata.version = version.clone();
        overridden = true;
    }
    if let Some(app_version) = &options.app_version {
        chart.metadata.app_version = Some(app_version.clone());
        overridden = true;
    }
    chart.metadata.validate("Chart.yaml")?;

    let mut files = loader::read_chart_files(chart_dir, &options.load)?;
    if overridden {
        for f in &mut files {
            if f.name == "Chart.yaml" {
                f.data = chart.metadata.to_yaml().into_bytes();
            }
        }
    }
    order(&mut files);
    let name = chart.name().to_string();
    let bytes = write_tgz(&name, &files, mtime).map_err(|e| PackageError::Archive {
        chart: source_name.clone(),
        reason: e.to_string(),
    })?;

    // The archive must load to the same chart tree: a dependency that the directory only found
    // through `file://` (not vendored in `charts/`) would be missing from it.
    let packed = loader::load_archive(&bytes, &source_name, &options.load)?;
    for dependency in &chart.metadata.dependencies {
        if !packed
            .dependencies
            .iter()
            .any(|d| d.name() == dependency.name)
        {
            return Err(PackageError::MissingDependency {
                chart: source_name,
                dependency: dependency.name.clone(),
            });
        }
    }
    Ok((format!("{name}-{}.tgz", chart.metadata.version), bytes))
}

/// A chart archive with `added` files (paths relative to the chart root, e.g.
/// `charts/db-1.0.0.tgz`) put in, rewritten in the same reproducible layout as [`archive`]. An
/// added file replaces an existing one of the same path.
pub fn add_to_archive(
    bytes: &[u8],
    source_name: &str,
    added: Vec<(String, Vec<u8>)>,
    mtime: u64,
) -> Result<Vec<u8>, PackageError> {
    let options = loader::LoadOptions::default();
    let chart = loader::load_archive(bytes, source_name, &options)?;
    let mut files = loader::archive_files(bytes, source_name, &options)?;
    for (name, data) in added {
        files.retain(|f| f.name != name);
        files.push(File { name, data });
    }
    order(&mut files);
    let rebuilt = write_tgz(chart.name(), &files, mtime).map_err(|e| PackageError::Archive {
        chart: source_name.to_string(),
        reason: e.to_string(),
    })?;
    loader::load_archive(&rebuilt, source_name, &options)?;
    Ok(rebuilt)
}

/// The entry time from a `SOURCE_DATE_EPOCH` value: [`DEFAULT_MTIME`] when unset or empty.
pub fn source_date_epoch(value: Option<&str>) -> Result<u64, PackageError> {
    match value.map(str::trim) {
        None | Some("") => Ok(DEFAULT_MTIME),
        Some(v) => v.parse().map_err(|_| PackageError::InvalidSourceDateEpoch {
            value: v.to_string(),
        }),
    }
}

/// Helm's order: `Chart.yaml`, `values.yaml`, `values.schema.json`, then the rest by path.
fn order(files: &mut [File]) {
    let rank = |name: &str| match name {
        "Chart.yaml" => 0,
        "values.yaml" => 1,
        "values.schema.json" => 2,
        _ => 3,
    };
    files.sort_by(|a, b| {
        rank(&a.name)
            .cmp(&rank(&b.name))
            .then_with(|| a.name.cmp(&b.name))
    });
}

fn validate_schemas(chart: &Chart, path: &str) -> Result<(), PackageError> {
    if let Some(raw) = &chart.schema {
        let invalid = |reason: String| SchemaError::InvalidSchema {
            file: format!("{path}/values.schema.json"),
            reason,
        };
        let schema: serde_json::Value =
            serde_json::from_slice(raw).map_err(|e| invalid(e.to_string()))?;
        jsonschema::validator_for(&schema).map_err(|e| invalid(e.to_string()))?;
    }
    for sub in &chart.dependencies {
        validate_schemas(sub, &format!("{path}/charts/{}", sub.name()))?;
    }
    Ok(())
}

fn write_tgz(name: &str, files: &[File], mtime: u64) -> std::io::Result<Vec<u8>> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for f in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(f.data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_username("")?;
        header.set_groupname("")?;
        tar.append_data(&mut header, format!("{name}/{}", f.name), f.data.as_slice())?;
    }
    tar.into_inner()?.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn sample(dir: &Path) {
        write(
            dir,
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
        );
        write(dir, "values.yaml", "# comment\nreplicas: 1\n");
        write(dir, "values.schema.json", r#"{"type": "object"}"#);
        write(dir, "templates/b.yaml", "kind: B\n");
        write(dir, "templates/a.yaml", "kind: A\n");
        write(dir, "templates/.hidden", "x\n");
        write(dir, "README.md", "readme\n");
        write(dir, "secret.txt", "ignored\n");
        write(dir, ".helmignore", "secret.txt\n");
        write(
            dir,
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        );
        write(dir, "charts/sub/templates/s.yaml", "kind: S\n");
    }

    struct Entry {
        path: String,
        mode: u32,
        uid: u64,
        gid: u64,
        mtime: u64,
        user: Vec<u8>,
        group: Vec<u8>,
    }

    fn entries(bytes: &[u8]) -> Vec<Entry> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                Entry {
                    path: e.path().unwrap().to_string_lossy().into_owned(),
                    mode: h.mode().unwrap(),
                    uid: h.uid().unwrap(),
                    gid: h.gid().unwrap(),
                    mtime: h.mtime().unwrap(),
                    user: h.username_bytes().unwrap_or_default().to_vec(),
                    group: h.groupname_bytes().unwrap_or_default().to_vec(),
                }
            })
            .collect()
    }

    fn options(dest: &Path) -> PackageOptions {
        PackageOptions {
            destination: dest.to_path_buf(),
            mtime: Some(DEFAULT_MTIME),
            ..Default::default()
        }
    }

    #[test]
    fn helm_layout_order_modes_and_owners() {
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        let out = tempfile::tempdir().unwrap();
        let path = package(dir.path(), &options(out.path())).unwrap();
        assert_eq!(path, out.path().join("demo-1.0.0.tgz"));
        let bytes = std::fs::read(&path).unwrap();
        let list = entries(&bytes);
        let names: Vec<_> = list.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "demo/Chart.yaml",
                "demo/values.yaml",
                "demo/values.schema.json",
                "demo/.helmignore",
                "demo/README.md",
                "demo/charts/sub/Chart.yaml",
                "demo/charts/sub/templates/s.yaml",
                "demo/templates/a.yaml",
                "demo/templates/b.yaml",
            ]
        );
        for e in &list {
            assert_eq!(e.mode, 0o644, "{}", e.path);
            assert_eq!((e.uid, e.gid, e.mtime), (0, 0, DEFAULT_MTIME), "{}", e.path);
            assert!(e.user.is_empty() && e.group.is_empty(), "{}", e.path);
        }
        // gzip header: no file name (FLG = 0), zero MTIME.
        assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
        // It loads back to the same chart.
        let chart = loader::load_archive(&bytes, "demo", &LoadOptions::default()).unwrap();
        assert_eq!(
            chart.raw_values.as_deref(),
            Some("# comment\nreplicas: 1\n")
        );
        assert_eq!(chart.dependencies.len(), 1);
        // Nothing else was written.
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_parallel_path_gives_the_checked_result() {
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        let o = options(Path::new("."));
        let fast = archive(dir.path(), &o, DEFAULT_MTIME).unwrap();
        let checked = archive_checked(dir.path(), &o, DEFAULT_MTIME).unwrap();
        assert_eq!(fast, checked);
        // Errors too: a broken values.yaml in a vendored subchart, and a broken schema.
        write(dir.path(), "charts/sub/values.yaml", "a: [\n");
        let fast = archive(dir.path(), &o, DEFAULT_MTIME).unwrap_err();
        let checked = archive_checked(dir.path(), &o, DEFAULT_MTIME).unwrap_err();
        assert_eq!(fast.to_string(), checked.to_string());
        sample(dir.path());
        std::fs::remove_file(dir.path().join("charts/sub/values.yaml")).unwrap();
        write(
            dir.path(),
            "charts/sub/values.schema.json",
            r#"{"type": 3}"#,
        );
        let fast = archive(dir.path(), &o, DEFAULT_MTIME).unwrap_err();
        let checked = archive_checked(dir.path(), &o, DEFAULT_MTIME).unwrap_err();
        assert_eq!(fast.to_string(), checked.to_string());
    }

    #[test]
    fn same_bytes_twice_and_from_two_checkouts() {
        let a = tempfile::tempdir().unwrap();
        sample(a.path());
        let b = tempfile::tempdir().unwrap();
        // Another checkout: files created in another order, with other mtimes and permissions.
        write(b.path(), "charts/sub/templates/s.yaml", "kind: S\n");
        std::thread::sleep(std::time::Duration::from_millis(20));
        sample(b.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let p = b.path().join("README.md");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let o = options(Path::new("."));
        let (name1, first) = archive(a.path(), &o, DEFAULT_MTIME).unwrap();
        let (_, again) = archive(a.path(), &o, DEFAULT_MTIME).unwrap();
        let (name2, other) = archive(b.path(), &o, DEFAULT_MTIME).unwrap();
        assert_eq!(name1, name2);
        assert_eq!(first, again);
        assert_eq!(first, other);
    }

    #[test]
    fn helmignore_is_honoured() {
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        write(dir.path(), ".chartsmithignore", "README.md\n");
        let (_, bytes) = archive(dir.path(), &options(Path::new(".")), 0).unwrap();
        let names: Vec<_> = entries(&bytes).into_iter().map(|e| e.path).collect();
        assert!(
            !names.iter().any(|n| n.ends_with("secret.txt")),
            "{names:?}"
        );
        assert!(!names.iter().any(|n| n.ends_with("README.md")), "{names:?}");
        assert!(!names.iter().any(|n| n.ends_with(".hidden")), "{names:?}");
    }

    #[test]
    fn source_date_epoch_sets_the_entry_time() {
        assert_eq!(source_date_epoch(None).unwrap(), DEFAULT_MTIME);
        assert_eq!(source_date_epoch(Some("")).unwrap(), DEFAULT_MTIME);
        assert_eq!(
            source_date_epoch(Some("1700000000")).unwrap(),
            1_700_000_000
        );
        assert!(source_date_epoch(Some("yesterday")).is_err());
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        let (_, bytes) = archive(dir.path(), &options(Path::new(".")), 1_700_000_000).unwrap();
        assert!(entries(&bytes).iter().all(|e| e.mtime == 1_700_000_000));
    }

    #[test]
    fn overrides_rewrite_chart_yaml() {
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        let out = tempfile::tempdir().unwrap();
        let o = PackageOptions {
            version: Some("2.0.0-beta.1".into()),
            app_version: Some("9.9".into()),
            ..options(out.path())
        };
        let path = package(dir.path(), &o).unwrap();
        assert!(path.ends_with("demo-2.0.0-beta.1.tgz"));
        let chart = loader::load(&path).unwrap();
        assert_eq!(chart.metadata.version, "2.0.0-beta.1");
        assert_eq!(chart.metadata.app_version.as_deref(), Some("9.9"));
        let bad = PackageOptions {
            version: Some("../../x".into()),
            ..options(out.path())
        };
        let e = package(dir.path(), &bad).unwrap_err();
        assert!(e.to_string().contains("not a valid SemVer"), "{e}");
    }

    #[test]
    fn broken_charts_are_refused() {
        let out = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        write(
            dir.path(),
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: one\n",
        );
        let e = package(dir.path(), &options(out.path())).unwrap_err();
        assert!(e.to_string().contains("version"), "{e}");

        sample(dir.path());
        write(dir.path(), "values.schema.json", r#"{"type": "#);
        let e = package(dir.path(), &options(out.path())).unwrap_err();
        assert!(e.to_string().contains("invalid values schema"), "{e}");

        sample(dir.path());
        write(dir.path(), "values.schema.json", r#"{"type": 12}"#);
        let e = package(dir.path(), &options(out.path())).unwrap_err();
        assert!(e.to_string().contains("invalid values schema"), "{e}");

        sample(dir.path());
        write(
            dir.path(),
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 1.0.0\ndependencies:\n- name: missing\n  repository: https://example.invalid\n",
        );
        let e = package(dir.path(), &options(out.path())).unwrap_err();
        assert!(e.to_string().contains("`missing`"), "{e}");

        // A `file://` dependency that is not vendored.
        let parent = tempfile::tempdir().unwrap();
        let main = parent.path().join("main");
        sample(&main);
        write(
            &main,
            "Chart.yaml",
            "apiVersion: v2\nname: demo\nversion: 1.0.0\ndependencies:\n- name: lib\n  repository: file://../lib\n",
        );
        write(
            &parent.path().join("lib"),
            "Chart.yaml",
            "apiVersion: v2\nname: lib\nversion: 1.0.0\n",
        );
        let e = package(&main, &options(out.path())).unwrap_err();
        assert!(
            e.to_string().contains("missing in the charts/ directory"),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }
}
