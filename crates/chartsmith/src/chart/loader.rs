//! Loading charts from directories and `.tgz` archives.
//!
//! Every input is hostile until checked: archive entries with absolute or `..` paths, links,
//! devices or non-UTF-8 names are rejected; the unpacked size, the size of each file and the number
//! of files are bounded ([`LoadOptions`]); a directory chart may not link outside itself. Both
//! sources are first buffered into a list of [`File`]s and then assembled by one pure function,
//! [`from_files`], as Helm's loader does.
//!
//! May import: the chart model ([`super`]), `yaml`, `util`.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Chart, File, Metadata, MetadataError};
use crate::util::fs::IoError;
use crate::util::text::{escape, quote};
use crate::yaml::YamlError;

/// Limits applied while loading a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Largest total unpacked size of a chart, subcharts included (default 100 MiB).
    pub max_total_bytes: u64,
    /// Largest single file (default 5 MiB).
    pub max_file_bytes: u64,
    /// Most files in a chart, subcharts included (default 20 000).
    pub max_files: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_total_bytes: 100 << 20,
            max_file_bytes: 5 << 20,
            max_files: 20_000,
        }
    }
}

/// Why a chart could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The chart has no `Chart.yaml`.
    #[error("{}: Chart.yaml file is missing", escape(.source_name))]
    MissingChartYaml {
        /// The chart directory or archive.
        source_name: String,
    },
    /// An archive is corrupt, truncated or not a gzipped tar.
    #[error("{}: not a valid chart archive: {}", escape(.source_name), escape(.reason))]
    InvalidArchive {
        /// The archive.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// An entry would escape the chart or is not a regular file.
    #[error("{}: unsafe entry `{}`: {reason}", escape(.source_name), quote(.entry))]
    UnsafeEntry {
        /// The archive or directory.
        source_name: String,
        /// The entry's path.
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// A limit of [`LoadOptions`] was exceeded.
    #[error("{}: {} exceeds the limit of {limit}", escape(.source_name), escape(.what))]
    TooLarge {
        /// The archive or directory.
        source_name: String,
        /// What is too large.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// A file is not valid UTF-8 where text is required.
    #[error("{}: {} is not valid UTF-8", escape(.source_name), quote(.file))]
    NotUtf8 {
        /// The chart.
        source_name: String,
        /// The file.
        file: String,
    },
    /// Something under `charts/` is neither a chart directory nor an archive, or nests too deep.
    #[error("{}: invalid subchart `{}`: {}", escape(.source_name), quote(.entry), escape(.reason))]
    InvalidSubchart {
        /// The parent chart.
        source_name: String,
        /// The entry under `charts/`.
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// `values.yaml` is not a mapping, or another structural problem.
    #[error("{}: {}", escape(.source_name), escape(.reason))]
    Invalid {
        /// The chart.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// A file or directory could not be read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// `Chart.lock` or `values.yaml` is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// `Chart.yaml` is invalid.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

/// Loads a chart from a directory or a `.tgz` archive with the default limits.
pub fn load(path: impl AsRef<Path>) -> Result<Chart, LoadError> {
    load_with(path, &LoadOptions::default())
}

/// Loads a chart from a directory or a `.tgz` archive.
pub fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Chart, LoadError> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| IoError::new(path, e))?;
    if meta.is_dir() {
        load_dir(path, options)
    } else {
        let mut budget = Budget::new(options, path.display().to_string());
        if meta.len() > options.max_total_bytes {
            return Err(budget.too_large("archive size", options.max_total_bytes));
        }
        let bytes = std::fs::read(path).map_err(|e| IoError::new(path, e))?;
        load_archive_inner(&bytes, &path.display().to_string(), &mut budget, 0)
    }
}

/// Loads a chart from the bytes of a `.tgz` archive (Helm's layout: `NAME/Chart.yaml`, …).
pub fn load_archive(
    bytes: &[u8],
    source_name: &str,
    options: &LoadOptions,
) -> Result<Chart, LoadError> {
    let mut budget = Budget::new(options, source_name.to_string());
    load_archive_inner(bytes, source_name, &mut budget, 0)
}

/// Loads a chart directory, honouring `.helmignore` and `.chartsmithignore`.
pub fn load_dir(dir: &Path, options: &LoadOptions) -> Result<Chart, LoadError> {
    let source_name = dir.display().to_string();
    let mut budget = Budget::new(options, source_name.clone());
    load_dir_inner(dir, &source_name, &mut budget, 0)
}

fn load_dir_inner(
    dir: &Path,
    source_name: &str,
    budget: &mut Budget,
    depth: usize,
) -> Result<Chart, LoadError> {
    let files = read_dir_files(dir, budget)?;
    let mut chart = assemble(files, source_name, budget, depth)?;
    add_local_dependencies(&mut chart, dir, source_name, budget, depth)?;
    Ok(chart)
}

/// Loads `file://` dependencies that are declared in `Chart.yaml` but not vendored in `charts/`
/// from their directories, as `chartsmith dependency build` would vendor them. The path must stay
/// inside the directory that holds the chart (its project): `file://../mysql-chart` is fine,
/// `file:///etc` is not.
fn add_local_dependencies(
    chart: &mut Chart,
    dir: &Path,
    source_name: &str,
    budget: &mut Budget,
    depth: usize,
) -> Result<(), LoadError> {
    let canonical_dir = dir.canonicalize().map_err(|e| IoError::new(dir, e))?;
    let project = canonical_dir
        .parent()
        .unwrap_or(&canonical_dir)
        .to_path_buf();
    for dependency in chart.metadata.dependencies.clone() {
        let Some(local) = dependency
            .repository
            .as_deref()
            .and_then(|r| r.strip_prefix("file://"))
        else {
            continue;
        };
        if chart
            .dependencies
            .iter()
            .any(|c| c.name() == dependency.name)
        {
            continue;
        }
        let invalid = |reason: String| -> LoadError {
            LoadError::InvalidSubchart {
                source_name: source_name.to_string(),
                entry: format!("dependency `{}` (file://{local})", dependency.name),
                reason,
            }
        };
        if depth + 1 > MAX_SUBCHART_DEPTH {
            return Err(invalid(format!(
                "dependencies nest deeper than {MAX_SUBCHART_DEPTH} levels"
            )));
        }
        let target = canonical_dir.join(local);
        let target = target
            .canonicalize()
            .map_err(|e| invalid(format!("cannot read {}: {e}", target.display())))?;
        if !target.starts_with(&project) {
            return Err(invalid(format!(
                "the path leaves the project directory {}",
                project.display()
            )));
        }
        if target == canonical_dir {
            return Err(invalid("a chart cannot depend on itself".into()));
        }
        if !target.is_dir() {
            return Err(invalid("not a chart directory".into()));
        }
        let name = format!("{source_name}/charts/{}", dependency.name);
        let sub = load_dir_inner(&target, &name, budget, depth + 1)?;
        if sub.name() != dependency.name {
            return Err(invalid(format!(
                "the chart there is named `{}`",
                sub.name()
            )));
        }
        chart.dependencies.push(sub);
    }
    chart
        .dependencies
        .sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(())
}

/// Assembles a chart from buffered files whose names are relative to the chart root.
pub fn from_files(
    files: Vec<File>,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Chart, LoadError> {
    let mut budget = Budget::new(options, source_name.to_string());
    for f in &files {
        budget.add(&f.name, f.data.len() as u64)?;
    }
    assemble(files, source_name, &mut budget, 0)
}

/// Reads the ignore rules of a chart directory (`.helmignore`, `.chartsmithignore`) plus Helm's
/// default of ignoring hidden files under `templates/`.
pub fn ignore_rules(dir: &Path) -> Result<ignore::gitignore::Gitignore, LoadError> {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(dir);
    for name in [".helmignore", ".chartsmithignore"] {
        let p = dir.join(name);
        if p.is_file() {
            let text = std::fs::read_to_string(&p).map_err(|e| IoError::new(&p, e))?;
            for line in text.lines() {
                // A malformed pattern is skipped, as Helm skips lines it cannot parse.
                let _ = builder.add_line(Some(p.clone()), line);
            }
        }
    }
    let _ = builder.add_line(None, "templates/.?*");
    builder.build().map_err(|e| LoadError::Invalid {
        source_name: dir.display().to_string(),
        reason: format!("invalid ignore rules: {e}"),
    })
}

/// The files of a chart directory as [`load_dir`] reads them (ignore rules applied, links checked,
/// limits enforced), sorted by name, subchart directories under `charts/` included as plain files.
pub(crate) fn read_chart_files(dir: &Path, options: &LoadOptions) -> Result<Vec<File>, LoadError> {
    let mut budget = Budget::new(options, dir.display().to_string());
    read_dir_files(dir, &mut budget)
}

/// A chart directory read into memory ([`read_dir`]), before it is assembled into a [`Chart`].
pub(crate) struct DirFiles {
    files: Vec<File>,
    source_name: String,
    budget: Budget,
}

impl DirFiles {
    /// The files, as [`read_chart_files`] returns them.
    pub(crate) fn files(&self) -> &[File] {
        &self.files
    }

    /// The chart these files make, with the subcharts vendored under `charts/` only: what
    /// [`load_dir`] returns before it adds `file://` dependencies that are not vendored.
    pub(crate) fn assemble(self) -> Result<Chart, LoadError> {
        let DirFiles {
            files,
            source_name,
            mut budget,
        } = self;
        assemble(files, &source_name, &mut budget, 0)
    }
}

/// Reads a chart directory as [`load_dir`] does (same checks, same limits, same errors), keeping
/// the files so that they can be both archived and assembled without reading them twice.
pub(crate) fn read_dir(dir: &Path, options: &LoadOptions) -> Result<DirFiles, LoadError> {
    let source_name = dir.display().to_string();
    let mut budget = Budget::new(options, source_name.clone());
    let files = read_dir_files(dir, &mut budget)?;
    Ok(DirFiles {
        files,
        source_name,
        budget,
    })
}

/// Whether an archive entry named `path` loads back under the same name (see
/// [`sanitize_entry_path`]).
pub(crate) fn entry_path_is_plain(path: &str) -> bool {
    sanitize_entry_path(path).is_ok_and(|p| p == path)
}

const MAX_SUBCHART_DEPTH: usize = 16;

struct Budget {
    options: LoadOptions,
    source_name: String,
    total: u64,
    files: usize,
}

impl Budget {
    fn new(options: &LoadOptions, source_name: String) -> Budget {
        Budget {
            options: *options,
            source_name,
            total: 0,
            files: 0,
        }
    }

    fn too_large(&self, what: &str, limit: u64) -> LoadError {
        LoadError::TooLarge {
            source_name: self.source_name.clone(),
            what: what.to_string(),
            limit,
        }
    }

    fn add(&mut self, name: &str, size: u64) -> Result<(), LoadError> {
        if size > self.options.max_file_bytes {
            return Err(self.too_large(
                &format!("file `{}` ({size} bytes)", quote(name)),
                self.options.max_file_bytes,
            ));
        }
        self.total += size;
        self.files += 1;
        if self.total > self.options.max_total_bytes {
            return Err(self.too_large("total unpacked size", self.options.max_total_bytes));
        }
        if self.files > self.options.max_files {
            return Err(self.too_large("number of files", self.options.max_files as u64));
        }
        Ok(())
    }
}

fn read_dir_files(root: &Path, budget: &mut Budget) -> Result<Vec<File>, LoadError> {
    let rules = ignore_rules(root)?;
    let canonical_root = root.canonicalize().map_err(|e| IoError::new(root, e))?;
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let abs_dir = root.join(&rel_dir);
        let mut entries: Vec<_> = std::fs::read_dir(&abs_dir)
            .map_err(|e| IoError::new(&abs_dir, e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| IoError::new(&abs_dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(LoadError::UnsafeEntry {
                    source_name: budget.source_name.clone(),
                    entry: entry.path().display().to_string(),
                    reason: "file name is not valid UTF-8".into(),
                });
            };
            let rel = rel_dir.join(name);
            let rel_str = rel.to_string_lossy().replace('\\', "/");
            let abs = entry.path();
            let file_type = entry.file_type().map_err(|e| IoError::new(&abs, e))?;
            let mut is_dir = file_type.is_dir();
            if file_type.is_symlink() {
                let target = abs.canonicalize().map_err(|e| IoError::new(&abs, e))?;
                if !target.starts_with(&canonical_root) {
                    return Err(LoadError::UnsafeEntry {
                        source_name: budget.source_name.clone(),
                        entry: rel_str,
                        reason: "symbolic link points outside the chart".into(),
                    });
                }
                is_dir = target.is_dir();
            }
            if rules.matched_path_or_any_parents(&rel, is_dir).is_ignore() {
                continue;
            }
            if is_dir {
                stack.push(rel);
                continue;
            }
            let meta = std::fs::metadata(&abs).map_err(|e| IoError::new(&abs, e))?;
            if !meta.is_file() {
                return Err(LoadError::UnsafeEntry {
                    source_name: budget.source_name.clone(),
                    entry: rel_str,
                    reason: "not a regular file".into(),
                });
            }
            budget.add(&rel_str, meta.len())?;
            let data = std::fs::read(&abs).map_err(|e| IoError::new(&abs, e))?;
            files.push(File {
                name: rel_str,
                data,
            });
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

fn load_archive_inner(
    bytes: &[u8],
    source_name: &str,
    budget: &mut Budget,
    depth: usize,
) -> Result<Chart, LoadError> {
    let files = read_archive_files(bytes, source_name, budget)?;
    let chart = assemble(files, source_name, budget, depth)?;
    check_archive_dependencies(&chart, source_name)?;
    Ok(chart)
}

/// The `file://` checks a chart directory gets ([`add_local_dependencies`]), for a chart inside an
/// archive, which has no project directory around it: an absolute path (`file:///etc`, `C:\…`)
/// is refused, vendored or not. (An archive is never completed from `file://` paths: a dependency
/// that is not vendored under `charts/` stays missing, as in Helm.)
fn check_archive_dependencies(chart: &Chart, source_name: &str) -> Result<(), LoadError> {
    for dependency in &chart.metadata.dependencies {
        let Some(local) = dependency
            .repository
            .as_deref()
            .and_then(|r| r.strip_prefix("file://"))
        else {
            continue;
        };
        let invalid = |reason: &str| LoadError::InvalidSubchart {
            source_name: source_name.to_string(),
            entry: format!("dependency `{}` (file://{local})", dependency.name),
            reason: reason.to_string(),
        };
        if local.starts_with(['/', '\\']) || (local.len() >= 2 && local.as_bytes()[1] == b':') {
            return Err(invalid("an absolute path in a chart archive"));
        }
    }
    Ok(())
}

/// The files of a chart archive with the top-level directory stripped, sorted by name, every
/// entry checked against the loader's rules and the budget.
pub(crate) fn archive_files(
    bytes: &[u8],
    source_name: &str,
    options: &LoadOptions,
) -> Result<Vec<File>, LoadError> {
    read_archive_files(
        bytes,
        source_name,
        &mut Budget::new(options, source_name.to_string()),
    )
}

fn read_archive_files(
    bytes: &[u8],
    source_name: &str,
    budget: &mut Budget,
) -> Result<Vec<File>, LoadError> {
    let invalid = |reason: String| -> LoadError {
        LoadError::InvalidArchive {
            source_name: source_name.to_string(),
            reason,
        }
    };
    if bytes.len() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return Err(invalid("not a gzip file".into()));
    }
    // `bufread` reads the slice in place (no intermediate buffer); `ForwardSeek` lets `tar` skip
    // padding without zeroing a 32 KiB buffer for every entry.
    let decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(ForwardSeek {
        inner: decoder,
        pos: 0,
    });
    let entries = archive
        .entries_with_seek()
        .map_err(|e| invalid(e.to_string()))?;
    let mut files: Vec<File> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut top_dir: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| invalid(e.to_string()))?;
        let kind = entry.header().entry_type();
        let raw_path = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw_path).map_err(|e| LoadError::UnsafeEntry {
            source_name: source_name.to_string(),
            entry: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            reason: "entry name is not valid UTF-8".into(),
        })?;
        let unsafe_entry = |reason: &str| -> LoadError {
            LoadError::UnsafeEntry {
                source_name: source_name.to_string(),
                entry: path.clone(),
                reason: reason.to_string(),
            }
        };
        let is_dir = match kind {
            tar::EntryType::XGlobalHeader
            | tar::EntryType::XHeader
            | tar::EntryType::GNULongName => {
                continue;
            }
            tar::EntryType::Directory => true,
            tar::EntryType::Regular | tar::EntryType::Continuous => false,
            tar::EntryType::Symlink | tar::EntryType::Link => {
                return Err(unsafe_entry("links are not allowed in chart archives"));
            }
            _ => {
                return Err(unsafe_entry(
                    "only regular files are allowed in chart archives",
                ));
            }
        };
        let name = sanitize_entry_path(&path).map_err(&unsafe_entry)?;
        if is_dir && name.is_empty() {
            continue; // `./`
        }
        // Helm strips the top-level directory (the chart name): there must be exactly one.
        let (top, rel) = name.split_once('/').unwrap_or((&name, ""));
        if top.is_empty() || (!is_dir && rel.is_empty()) {
            return Err(unsafe_entry(
                "entries must be inside the chart's top-level directory",
            ));
        }
        match &top_dir {
            None => top_dir = Some(top.to_string()),
            Some(first) if first != top => {
                return Err(invalid(format!(
                    "entries in two top-level directories, `{}` and `{}`: a chart archive holds one",
                    quote(first),
                    quote(top)
                )));
            }
            Some(_) => {}
        }
        if is_dir || rel.is_empty() {
            continue;
        }
        // Unpacking would keep the last of two entries for one path, loading one chart and
        // unpacking another: refuse, as for duplicate YAML keys.
        if !seen.insert(rel.to_string()) {
            return Err(unsafe_entry("a second entry for the same path"));
        }
        let size = entry.header().size().map_err(|e| invalid(e.to_string()))?;
        budget.add(rel, size)?;
        let mut data = Vec::with_capacity(size.min(budget.options.max_file_bytes) as usize);
        (&mut entry)
            .take(budget.options.max_file_bytes + 1)
            .read_to_end(&mut data)
            .map_err(|e| invalid(format!("reading `{}`: {e}", quote(&path))))?;
        if data.len() as u64 > budget.options.max_file_bytes {
            return Err(budget.too_large(
                &format!("file `{}`", quote(rel)),
                budget.options.max_file_bytes,
            ));
        }
        files.push(File {
            name: rel.to_string(),
            data,
        });
    }
    read_gzip_trailer(archive.into_inner().inner, budget).map_err(invalid)?;
    if files.is_empty() {
        return Err(invalid("no files in archive".into()));
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Reads what follows the tar end-of-archive marker to the end of the gzip stream, so that the
/// decoder checks the CRC-32 and length trailer (flate2 checks them only on reaching the end): a
/// corrupt or truncated archive is an error, never a partial chart. The padding read is bounded by
/// the unpacked-size budget; input after the gzip stream other than zero padding is refused.
fn read_gzip_trailer(
    mut decoder: flate2::bufread::GzDecoder<&[u8]>,
    budget: &Budget,
) -> Result<(), String> {
    let limit = budget.options.max_total_bytes.saturating_sub(budget.total);
    let padding = std::io::copy(&mut (&mut decoder).take(limit + 1), &mut std::io::sink())
        .map_err(|e| e.to_string())?;
    if padding > limit {
        return Err("too much data after the end of the tar archive".into());
    }
    let rest = decoder.into_inner();
    if rest.iter().any(|&b| b != 0) {
        return Err(format!(
            "{} bytes after the end of the gzip stream",
            rest.len()
        ));
    }
    Ok(())
}

/// A reader that can only "seek" forward, by reading and discarding. `tar` skips the padding after
/// each entry through `Seek` when it can; without it, it zeroes a 32 KiB buffer for every skip,
/// which costs more than decompressing a small chart. Running out of input while skipping is the
/// same error `tar` reports.
struct ForwardSeek<R> {
    inner: R,
    /// Bytes consumed so far (the position `tar` expects back from `seek`).
    pos: u64,
}

impl<R: Read> Read for ForwardSeek<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> std::io::Seek for ForwardSeek<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let std::io::SeekFrom::Current(delta) = pos else {
            return Err(std::io::Error::other("only relative seeks are supported"));
        };
        let mut amt = u64::try_from(delta)
            .map_err(|_| std::io::Error::other("seek position out of bounds"))?;
        let mut buf = [0u8; 512];
        while amt > 0 {
            let want = amt.min(buf.len() as u64) as usize;
            let n = self.inner.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::other("unexpected EOF during skip"));
            }
            amt -= n as u64;
            self.pos += n as u64;
        }
        Ok(self.pos)
    }
}

/// Normalises an archive entry path; refuses, whatever the platform it runs on: absolute paths
/// (`/x`, and `./` followed by one, `.//etc/passwd`), Windows forms (a drive letter `C:\x` or
/// `C:x` in any component, a UNC path `\\server\share`), `..` with either separator, and
/// control characters.
fn sanitize_entry_path(path: &str) -> std::result::Result<String, &'static str> {
    if path.chars().any(crate::util::text::is_unsafe_char) {
        return Err("control characters are not allowed in entry names");
    }
    let mut rest = path;
    while let Some(after) = rest.strip_prefix("./").or_else(|| rest.strip_prefix(".\\")) {
        rest = after;
    }
    if rest.starts_with('/') || rest.starts_with('\\') {
        return Err("absolute paths are not allowed");
    }
    let mut parts = Vec::new();
    for part in rest.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err("`..` is not allowed in entry names"),
            p if p.len() >= 2
                && p.as_bytes()[0].is_ascii_alphabetic()
                && p.as_bytes()[1] == b':' =>
            {
                return Err("drive-letter paths are not allowed");
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

fn utf8(source_name: &str, file: &File) -> Result<String, LoadError> {
    String::from_utf8(file.data.clone()).map_err(|_| LoadError::NotUtf8 {
        source_name: source_name.to_string(),
        file: file.name.clone(),
    })
}

fn assemble(
    files: Vec<File>,
    source_name: &str,
    budget: &mut Budget,
    depth: usize,
) -> Result<Chart, LoadError> {
    let display = |name: &str| format!("{source_name}/{name}");
    let mut metadata = None;
    let mut lock = None;
    let mut values = serde_json::Map::new();
    let mut raw_values = None;
    let mut schema = None;
    let mut templates = Vec::new();
    let mut other = Vec::new();
    let mut sub_dirs: std::collections::BTreeMap<String, Vec<File>> = Default::default();
    let mut sub_archives: Vec<File> = Vec::new();

    for file in files {
        match file.name.as_str() {
            "Chart.yaml" => {
                let text = utf8(source_name, &file)?;
                metadata = Some(Metadata::from_yaml(&text, &display("Chart.yaml"))?);
            }
            "Chart.lock" => {
                let text = utf8(source_name, &file)?;
                lock = Some(crate::yaml::from_str(&text, &display("Chart.lock"))?);
            }
            "values.yaml" => {
                let text = utf8(source_name, &file)?;
                values = crate::yaml::map_from_str(&text, &display("values.yaml"))?;
                raw_values = Some(text);
            }
            "values.schema.json" => schema = Some(file.data),
            name if name.starts_with("templates/") => templates.push(file),
            name if name.starts_with("charts/") => {
                let rest = &name["charts/".len()..];
                match rest.split_once('/') {
                    Some((dir, inner)) => {
                        sub_dirs.entry(dir.to_string()).or_default().push(File {
                            name: inner.to_string(),
                            data: file.data,
                        });
                    }
                    None if rest.ends_with(".tgz") => sub_archives.push(file),
                    None if rest.ends_with(".prov") || rest.starts_with('.') => {}
                    None => {
                        return Err(LoadError::InvalidSubchart {
                            source_name: source_name.to_string(),
                            entry: name.to_string(),
                            reason: "not a chart directory or a .tgz archive".into(),
                        });
                    }
                }
            }
            _ => other.push(file),
        }
    }
    let Some(metadata) = metadata else {
        return Err(LoadError::MissingChartYaml {
            source_name: source_name.to_string(),
        });
    };
    if depth + 1 > MAX_SUBCHART_DEPTH && (!sub_dirs.is_empty() || !sub_archives.is_empty()) {
        return Err(LoadError::InvalidSubchart {
            source_name: source_name.to_string(),
            entry: "charts/".into(),
            reason: format!("subcharts nest deeper than {MAX_SUBCHART_DEPTH} levels"),
        });
    }
    let mut dependencies = Vec::new();
    for (dir, files) in sub_dirs {
        let name = format!("{source_name}/charts/{dir}");
        dependencies.push(assemble(files, &name, budget, depth + 1)?);
    }
    for archive in sub_archives {
        let name = format!("{source_name}/{}", archive.name);
        dependencies.push(load_archive_inner(&archive.data, &name, budget, depth + 1)?);
    }
    dependencies.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(Chart {
        metadata,
        lock,
        values,
        raw_values,
        schema,
        templates,
        files: other,
        dependencies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            if name.len() > 100 {
                // A GNU long name (the `tar` crate checks only for `..`).
                builder.append_data(&mut header, name, *data).unwrap();
                continue;
            }
            // Write the raw name so that hostile names reach the loader unchanged.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    const CHART: &[u8] = b"apiVersion: v2\nname: demo\nversion: 1.0.0\n";

    #[test]
    fn loads_an_archive_and_strips_the_top_directory() {
        let bytes = tgz(&[
            ("demo/Chart.yaml", CHART),
            ("demo/values.yaml", b"a: 1\n"),
            ("demo/templates/x.yaml", b"kind: X\n"),
            ("demo/README.md", b"# demo\n"),
        ]);
        let chart = load_archive(&bytes, "demo.tgz", &LoadOptions::default()).unwrap();
        assert_eq!(chart.name(), "demo");
        assert_eq!(chart.values["a"], 1);
        assert_eq!(chart.templates[0].name, "templates/x.yaml");
        assert!(chart.readme().is_some());
    }

    #[test]
    fn rejects_parent_directory_entries() {
        let bytes = tgz(&[("demo/Chart.yaml", CHART), ("demo/../../etc/passwd", b"x")]);
        let e = load_archive(&bytes, "evil.tgz", &LoadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("`..` is not allowed"), "{e}");
    }

    #[test]
    fn rejects_absolute_entries() {
        let bytes = tgz(&[("/demo/Chart.yaml", CHART)]);
        let e = load_archive(&bytes, "evil.tgz", &LoadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("absolute"), "{e}");
    }

    #[test]
    fn enforces_the_file_size_limit() {
        let big = vec![b'a'; 2048];
        let bytes = tgz(&[("demo/Chart.yaml", CHART), ("demo/big.txt", &big)]);
        let options = LoadOptions {
            max_file_bytes: 1024,
            ..LoadOptions::default()
        };
        let e = load_archive(&bytes, "big.tgz", &options).unwrap_err();
        assert!(e.to_string().contains("exceeds the limit of 1024"), "{e}");
    }

    #[test]
    fn truncated_and_non_gzip_input_is_a_clear_error() {
        let e = load_archive(b"hello", "x.tgz", &LoadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("not a gzip file"), "{e}");
        let bytes = tgz(&[("demo/Chart.yaml", CHART)]);
        let e =
            load_archive(&bytes[..bytes.len() / 2], "x.tgz", &LoadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("not a valid chart archive"), "{e}");
        // A complete gzip stream around a tar cut inside an entry's data: skipping to the next
        // header runs out of input.
        let mut tar_bytes = tar::Builder::new(Vec::new());
        for (name, data) in [
            ("demo/Chart.yaml", CHART),
            ("demo/big.txt", &[b'x'; 700][..]),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_path(name).unwrap();
            header.set_cksum();
            tar_bytes.append(&header, data).unwrap();
        }
        let tar_bytes = tar_bytes.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar_bytes[..512 + 100]).unwrap();
        let cut = gz.finish().unwrap();
        let e = load_archive(&cut, "x.tgz", &LoadOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.tgz: not a valid chart archive: unexpected EOF during skip"
        );
    }

    fn load_err(entries: &[(&str, &[u8])]) -> String {
        load_archive(&tgz(entries), "evil.tgz", &LoadOptions::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn exactly_one_top_level_directory() {
        let e = load_err(&[("demo/Chart.yaml", CHART), ("other/values.yaml", b"a: 1\n")]);
        assert_eq!(
            e,
            "evil.tgz: not a valid chart archive: entries in two top-level directories, `demo` and \
             `other`: a chart archive holds one"
        );
        let e = load_err(&[("demo/Chart.yaml", CHART), ("README.md", b"x")]);
        assert!(e.contains("inside the chart's top-level directory"), "{e}");
        // `./demo/…` is the same layout as `demo/…`.
        let chart = load_archive(
            &tgz(&[
                ("./demo/Chart.yaml", CHART),
                ("demo/values.yaml", b"a: 1\n"),
            ]),
            "ok.tgz",
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(chart.values["a"], 1);
    }

    #[test]
    fn a_second_entry_for_the_same_path_is_refused() {
        let e = load_err(&[
            ("demo/Chart.yaml", CHART),
            ("demo/values.yaml", b"a: 1\n"),
            (
                "demo/./Chart.yaml",
                b"apiVersion: v2\nname: evil\nversion: 6.6.6\n",
            ),
        ]);
        assert_eq!(
            e,
            "evil.tgz: unsafe entry `demo/./Chart.yaml`: a second entry for the same path"
        );
    }

    #[test]
    fn windows_and_dot_slash_escapes_are_refused_on_every_platform() {
        for (name, reason) in [
            ("C:\\demo\\Chart.yaml", "drive-letter"),
            ("demo/C:evil.yaml", "drive-letter"),
            ("\\\\server\\share\\demo\\Chart.yaml", "absolute"),
            ("demo\\..\\..\\etc\\passwd", "`..`"),
            ("./\\etc\\passwd", "absolute"),
            (".//etc/passwd", "absolute"),
            ("././/etc/passwd", "absolute"),
            ("./../demo/Chart.yaml", "`..`"),
        ] {
            let e = load_err(&[("demo/Chart.yaml", CHART), (name, b"x")]);
            assert!(
                e.contains("unsafe entry") && e.contains(reason),
                "{name}: {e}"
            );
        }
    }

    #[test]
    fn entry_names_in_errors_are_escaped_and_shortened() {
        let long = format!("demo/{}/x\u{1b}[2J.yaml", "d".repeat(300));
        let e = load_err(&[("demo/Chart.yaml", CHART), (&long, b"x")]);
        assert!(!e.contains('\u{1b}'), "{e:?}");
        assert!(e.contains('…') && e.len() < 300, "{e}");
        let e = load_err(&[
            ("demo/Chart.yaml", CHART),
            ("demo/evil\u{202e}lmay.txt", b"x"),
        ]);
        assert!(e.contains("\\u{202e}"), "{e}");
    }

    #[test]
    fn the_gzip_trailer_is_checked() {
        let good = tgz(&[("demo/Chart.yaml", CHART), ("demo/values.yaml", b"a: 1\n")]);
        assert!(load_archive(&good, "ok.tgz", &LoadOptions::default()).is_ok());
        // The CRC-32 is the 8 bytes before the end, the length the last 4.
        for at in [good.len() - 8, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0xff;
            let e = load_archive(&bad, "bad.tgz", &LoadOptions::default()).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("bad.tgz: not a valid chart archive"),
                "{e}"
            );
        }
        // The trailer cut off.
        let e =
            load_archive(&good[..good.len() - 4], "cut.tgz", &LoadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("not a valid chart archive"), "{e}");
        // Garbage after the gzip stream; zero padding is fine.
        let mut padded = good.clone();
        padded.extend([0u8; 512]);
        assert!(load_archive(&padded, "ok.tgz", &LoadOptions::default()).is_ok());
        let mut trailing = good.clone();
        trailing.extend(b"MZ");
        let e = load_archive(&trailing, "t.tgz", &LoadOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.tgz: not a valid chart archive: 2 bytes after the end of the gzip stream"
        );
    }

    #[test]
    fn missing_chart_yaml() {
        let bytes = tgz(&[("demo/values.yaml", b"a: 1\n")]);
        let e = load_archive(&bytes, "x.tgz", &LoadOptions::default()).unwrap_err();
        assert_eq!(e.to_string(), "x.tgz: Chart.yaml file is missing");
    }

    #[test]
    fn loads_subchart_archives_inside_archives() {
        let sub = tgz(&[(
            "sub/Chart.yaml",
            b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        )]);
        let bytes = tgz(&[
            ("demo/Chart.yaml", CHART),
            ("demo/charts/sub-0.1.0.tgz", &sub),
        ]);
        let chart = load_archive(&bytes, "x.tgz", &LoadOptions::default()).unwrap();
        assert_eq!(chart.dependencies[0].name(), "sub");
    }

    #[test]
    fn file_dependencies_inside_archives_must_be_relative() {
        let deps = |repository: &str| {
            format!(
                "apiVersion: v2\nname: demo\nversion: 1.0.0\ndependencies:\n  - name: db\n    \
                 version: 1.0.0\n    repository: {repository}\n"
            )
        };
        let db = b"apiVersion: v2\nname: db\nversion: 1.0.0\n";
        let e = load_err(&[("demo/Chart.yaml", deps("file:///etc").as_bytes())]);
        assert_eq!(
            e,
            "evil.tgz: invalid subchart `dependency `db` (file:///etc)`: an absolute path in a \
             chart archive"
        );
        let ok = tgz(&[
            ("demo/Chart.yaml", deps("file://../db").as_bytes()),
            ("demo/charts/db/Chart.yaml", db),
        ]);
        let chart = load_archive(&ok, "ok.tgz", &LoadOptions::default()).unwrap();
        assert_eq!(chart.dependencies[0].name(), "db");
        let e = load_err(&[
            ("demo/Chart.yaml", deps("file:///etc/db").as_bytes()),
            ("demo/charts/db/Chart.yaml", db),
        ]);
        assert!(e.contains("an absolute path in a chart archive"), "{e}");
    }

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn directory_loading_honours_helmignore_and_hidden_templates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        write(&root, "Chart.yaml", std::str::from_utf8(CHART).unwrap());
        write(&root, ".helmignore", "*.bak\nsecrets/\n");
        write(&root, "notes.bak", "x");
        write(&root, "secrets/key.pem", "x");
        write(&root, "templates/.hidden.yaml", "x");
        write(&root, "templates/ok.yaml", "kind: X\n");
        write(&root, "config/app.conf", "a=1\n");
        let chart = load(&root).unwrap();
        let names: Vec<_> = chart.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, [".helmignore", "config/app.conf"]);
        assert_eq!(chart.templates.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_chart_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        write(&root, "Chart.yaml", std::str::from_utf8(CHART).unwrap());
        write(dir.path(), "outside.txt", "secret");
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("leak.txt")).unwrap();
        let e = load(&root).unwrap_err();
        assert!(
            e.to_string()
                .contains("symbolic link points outside the chart"),
            "{e}"
        );
    }

    #[test]
    fn file_dependencies_load_from_sibling_directories_but_not_beyond() {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("db"),
            "Chart.yaml",
            "apiVersion: v2\nname: db\nversion: 1.0.0\n",
        );
        write(
            &dir.path().join("app"),
            "Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: ^1\n    repository: file://../db\n",
        );
        let chart = load(dir.path().join("app")).unwrap();
        assert_eq!(chart.dependencies[0].name(), "db");
        write(
            &dir.path().join("evil"),
            "Chart.yaml",
            "apiVersion: v2\nname: evil\nversion: 1.0.0\ndependencies:\n  - name: etc\n    repository: file:///etc\n",
        );
        let e = load(dir.path().join("evil")).unwrap_err();
        assert!(
            e.to_string().contains("leaves the project directory"),
            "{e}"
        );
    }
}
