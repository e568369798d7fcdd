//! Values with Helm's semantics: user-supplied values from files and `--set` flags, dependency
//! conditions and tags, `import-values`, and coalescing with chart defaults and globals.
//!
//! The precedence, lowest first: a chart's `values.yaml` → the parent chart's section for a subchart →
//! `-f/--values` files in order → `--set-json` → `--set` → `--set-string` → `--set-file` →
//! `--set-literal` (each flag kind in the order given). This is the order Helm applies, whatever the
//! order of the flags on the command line.
//!
//! The submodules: [`strvals`] parses the `--set` family, [`schema`] checks computed values
//! against each chart's `values.schema.json`.
//!
//! May import: `chart` (the model), `util`, `yaml`, `constraint`, `repo` (its error) and
//! `downloader::http` (a `-f https://…` file); never the renderer or the release layer.

mod refs;
pub mod schema;
pub mod strvals;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::chart::Chart;
use crate::repo::RepoError;
use crate::util::text::{escape, quote};
use crate::yaml::YamlError;
use strvals::SetKind;

/// A values map.
pub type Values = Map<String, Value>;

/// The key whose values flow into every subchart.
pub const GLOBAL_KEY: &str = "global";

/// Why values could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValuesError {
    /// A `-f` file or `--set-file` file could not be read.
    #[error("values file {}: {}", escape(&path.display().to_string()), escape(.reason))]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A subchart's section of the parent values is not a mapping.
    #[error(
        "type mismatch on `{}`: the values for subchart `{}` must be a mapping, found {found}",
        quote(.key),
        quote(.key)
    )]
    SubchartNotATable {
        /// The full key (`parent.sub`).
        key: String,
        /// What was found.
        found: &'static str,
    },
    /// `--subchart PATH` names a subchart that does not exist or is disabled.
    #[error("subchart `{}`: {}", quote(.path), escape(.reason))]
    Subchart {
        /// The requested path (`a/b`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A `-f` file is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A `--set` family expression is malformed.
    #[error(transparent)]
    Set(#[from] strvals::ParseError),
    /// A `-f https://…` file could not be fetched.
    #[error(transparent)]
    Fetch(#[from] RepoError),
}

/// User-supplied values: the `-f` files and the `--set` family, as the CLI receives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueOptions {
    /// `-f/--values` files, in order.
    pub value_files: Vec<PathBuf>,
    /// `--set-json` expressions.
    pub json_values: Vec<String>,
    /// `--set` expressions.
    pub values: Vec<String>,
    /// `--set-string` expressions.
    pub string_values: Vec<String>,
    /// `--set-file` expressions (`key=path`).
    pub file_values: Vec<String>,
    /// `--set-literal` expressions.
    pub literal_values: Vec<String>,
}

impl ValueOptions {
    /// Reads the files and parses the expressions into one map of user values, as Helm's
    /// `MergeValues` does: files deep-merge in order (later wins; `null` is kept so that it can
    /// delete a default later), then each flag kind is applied in Helm's fixed order.
    pub fn merge(&self) -> Result<Values, ValuesError> {
        let mut base = Values::new();
        for path in &self.value_files {
            let text = read_text(path)?;
            let current = crate::yaml::map_from_str(&text, &path.display().to_string())?;
            base = merge_maps(base, current);
        }
        for (kind, list) in [
            (SetKind::Json, &self.json_values),
            (SetKind::Set, &self.values),
            (SetKind::String, &self.string_values),
        ] {
            for expression in list {
                strvals::parse_into(expression, kind, &mut base)?;
            }
        }
        for expression in &self.file_values {
            let mut read = |p: &str| {
                read_text(Path::new(p)).map_err(|e| match e {
                    ValuesError::File { reason, .. } => reason,
                    other => other.to_string(),
                })
            };
            strvals::parse_file_into(expression, &mut base, &mut read)?;
        }
        for expression in &self.literal_values {
            strvals::parse_into(expression, SetKind::Literal, &mut base)?;
        }
        Ok(base)
    }

    /// Whether no values were given.
    pub fn is_empty(&self) -> bool {
        self == &ValueOptions::default()
    }
}

/// Largest values file read (the same as the per-file chart limit).
const MAX_VALUES_FILE: u64 = 5 << 20;

fn read_text(path: &Path) -> Result<String, ValuesError> {
    // `-f https://…`, as Helm: fetched only because the user named the URL (bounded; without
    // the `http` feature an error says HTTP support is not built in).
    if let Some(url) = path
        .to_str()
        .filter(|p| p.starts_with("https://") || p.starts_with("http://"))
    {
        let bytes = crate::downloader::http::get(
            url,
            MAX_VALUES_FILE,
            None,
            &crate::downloader::TlsOptions::default(),
        )?;
        return String::from_utf8(bytes).map_err(|_| ValuesError::File {
            path: path.to_path_buf(),
            reason: "not UTF-8 text".into(),
        });
    }
    // `-` is standard input, blanks around it ignored, as Helm trims the path for this check
    // only (`--set-file 'k= - '` reads stdin; a path ` x` is the file ` x`).
    if path.to_str().is_some_and(|p| p.trim() == "-") {
        use std::io::Read;
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_VALUES_FILE + 1)
            .read_to_string(&mut text)
            .map_err(|e| ValuesError::File {
                path: path.to_path_buf(),
                reason: format!("reading standard input: {e}"),
            })?;
        if text.len() as u64 > MAX_VALUES_FILE {
            return Err(ValuesError::File {
                path: path.to_path_buf(),
                reason: format!("standard input is larger than {MAX_VALUES_FILE} bytes"),
            });
        }
        return Ok(text);
    }
    let file_error = |reason: String| ValuesError::File {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?;
    if meta.len() > MAX_VALUES_FILE {
        return Err(file_error(format!("larger than {MAX_VALUES_FILE} bytes")));
    }
    let bytes = std::fs::read(path).map_err(|e| file_error(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| file_error("not valid UTF-8".into()))
}

/// Deep-merges `b` over `a` as Helm merges `-f` files: maps merge, anything else replaces.
pub use crate::util::merge::merge_maps;

/// The result of computing values for a chart: the chart with disabled dependencies removed and
/// `import-values` applied, and the values its templates see.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The chart as it renders: disabled subcharts dropped, aliases applied.
    pub chart: Chart,
    /// The values of the top-level chart, with a section per enabled subchart.
    pub values: Values,
    /// Subcharts disabled by a condition or tags, as paths (`db`, `backend/cache`).
    pub disabled: Vec<String>,
}

impl Computed {
    /// The values a subchart sees, by a path of dependency names (`["sub", "subsub"]`).
    pub fn subchart_values(&self, path: &[&str]) -> Result<&Values, ValuesError> {
        let mut chart = &self.chart;
        let mut values = &self.values;
        for (i, name) in path.iter().enumerate() {
            let shown = path[..=i].join("/");
            let Some(sub) = chart.dependencies.iter().find(|c| c.name() == *name) else {
                let reason = if self.disabled.contains(&shown) {
                    format!(
                        "disabled in chart `{}` by its condition or tags",
                        chart.name()
                    )
                } else {
                    let known: Vec<_> = chart
                        .dependencies
                        .iter()
                        .map(|c| c.name().to_string())
                        .collect();
                    let known = if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    };
                    format!(
                        "chart `{}` has no such subchart (enabled: {known})",
                        chart.name()
                    )
                };
                return Err(ValuesError::Subchart {
                    path: shown,
                    reason,
                });
            };
            chart = sub;
            values = match values.get(*name) {
                Some(Value::Object(m)) => m,
                _ => {
                    return Err(ValuesError::Subchart {
                        path: shown,
                        reason: "has no values section".into(),
                    });
                }
            };
        }
        Ok(values)
    }
}

/// Computes the values of `chart` for the user-supplied `user` values, exactly as Helm does before
/// rendering: dependency conditions and tags, then `import-values`, then coalescing.
pub fn compute(chart: &Chart, user: &Values) -> Result<Computed, ValuesError> {
    let mut chart = chart.clone();
    let mut disabled = Vec::new();
    process_dependency_enabled(&mut chart, user, "", &mut disabled)?;
    process_import_values(&mut chart)?;
    let values = coalesce_values(&chart, user.clone(), false)?;
    Ok(Computed {
        chart,
        values,
        disabled,
    })
}

/// Coalesces user values with the chart's defaults and its subcharts' (Helm's `CoalesceValues` when
/// `merge` is false: `null` deletes; `MergeValues` when true: `null` is kept).
pub fn coalesce_values(chart: &Chart, dest: Values, merge: bool) -> Result<Values, ValuesError> {
    coalesce(chart, dest, "", merge)
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

fn coalesce(
    chart: &Chart,
    mut dest: Values,
    prefix: &str,
    merge: bool,
) -> Result<Values, ValuesError> {
    coalesce_chart_values(chart, &mut dest, merge);
    coalesce_deps(chart, dest, prefix, merge)
}

fn coalesce_deps(
    chart: &Chart,
    mut dest: Values,
    prefix: &str,
    merge: bool,
) -> Result<Values, ValuesError> {
    for sub in &chart.dependencies {
        let name = sub.name().to_string();
        let section = match dest.remove(&name) {
            None => Values::new(),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(ValuesError::SubchartNotATable {
                    key: concat_prefix(&concat_prefix(prefix, chart.name()), &name),
                    found: crate::yaml::kind_name(&other),
                });
            }
        };
        let mut section = section;
        let sub_prefix = concat_prefix(prefix, chart.name());
        coalesce_globals(&mut section, &dest);
        let section = coalesce(sub, section, &sub_prefix, merge)?;
        dest.insert(name, Value::Object(section));
    }
    Ok(dest)
}

/// Copies the parent's globals into a subchart's section; the parent's win.
fn coalesce_globals(dest: &mut Values, src: &Values) {
    let mut dest_globals = match dest.get(GLOBAL_KEY) {
        None => Values::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return,
    };
    let src_globals = match src.get(GLOBAL_KEY) {
        None => Values::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return,
    };
    for (key, val) in src_globals {
        match val {
            Value::Object(table) => match dest_globals.get(&key) {
                None => {
                    dest_globals.insert(key, Value::Object(table));
                }
                Some(Value::Object(existing)) => {
                    let merged = coalesce_tables(table, existing.clone(), true);
                    dest_globals.insert(key, Value::Object(merged));
                }
                Some(_) => {}
            },
            other => {
                if !matches!(dest_globals.get(&key), Some(Value::Object(_))) {
                    dest_globals.insert(key, other);
                }
            }
        }
    }
    dest.insert(GLOBAL_KEY.to_string(), Value::Object(dest_globals));
}

/// Merges a chart's defaults under the user values `v` (Helm's `coalesceValues`).
fn coalesce_chart_values(chart: &Chart, v: &mut Values, merge: bool) {
    for (key, default) in &chart.values {
        match v.get_mut(key) {
            Some(Value::Null) if !merge => {
                v.remove(key);
            }
            Some(Value::Object(user)) => {
                if let Value::Object(src) = default {
                    let child_merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    let merged = coalesce_tables(std::mem::take(user), src.clone(), child_merge);
                    *user = merged;
                }
            }
            Some(_) => {}
            None => {
                v.insert(key.clone(), default.clone());
            }
        }
    }
}

/// Merges `src` under `dst` (`dst` wins), as Helm's `coalesceTablesFullKey`: with `merge` false a
/// `null` in `dst` deletes the key when `src` has a value for it (and is kept otherwise).
pub fn coalesce_tables(mut dst: Values, src: Values, merge: bool) -> Values {
    // Helm 4 deletes a key nulled in `dst` only when `src` had a value for it: a null that both
    // sides carry is kept.
    for (key, val) in src {
        match dst.get_mut(&key) {
            Some(Value::Null) if !merge && !val.is_null() => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(Value::Object(dv)) => {
                if let Value::Object(sv) = val {
                    let merged = coalesce_tables(std::mem::take(dv), sv, merge);
                    *dv = merged;
                }
            }
            Some(_) => {}
        }
    }
    dst
}

/// Looks up a dotted path (`a.b.c`) in values.
pub fn path_value<'a>(values: &'a Values, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut current = values.get(first)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

fn is_compatible_range(constraint: Option<&str>, version: &str) -> bool {
    let Some(c) = constraint else { return false };
    let Ok(v) = crate::constraint::parse_version(version) else {
        return false;
    };
    crate::constraint::Constraint::parse(c).is_ok_and(|c| c.matches(&v))
}

/// Removes disabled dependencies (conditions and tags) and applies aliases (Helm's
/// `processDependencyEnabled`).
fn process_dependency_enabled(
    chart: &mut Chart,
    v: &Values,
    path: &str,
    disabled_paths: &mut Vec<String>,
) -> Result<(), ValuesError> {
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let loaded = std::mem::take(&mut chart.dependencies);
    let mut deps: Vec<Chart> = Vec::new();
    for existing in &loaded {
        let declared = chart.metadata.dependencies.iter().any(|req| {
            existing.name() == req.name
                && is_compatible_range(req.version.as_deref(), &existing.metadata.version)
        });
        if !declared {
            deps.push(existing.clone());
        }
    }
    for req in &mut chart.metadata.dependencies {
        if let Some(found) = loaded.iter().find(|c| {
            c.name() == req.name && is_compatible_range(req.version.as_deref(), &c.metadata.version)
        }) {
            let mut copy = found.clone();
            if let Some(alias) = req.alias.as_ref().filter(|a| !a.is_empty()) {
                copy.metadata.name = alias.clone();
            }
            deps.push(copy);
        }
        if let Some(alias) = req.alias.as_ref().filter(|a| !a.is_empty()) {
            req.name = alias.clone();
        }
    }
    chart.dependencies = deps;
    for req in &mut chart.metadata.dependencies {
        req.enabled = Some(true);
    }
    let cvals = coalesce_values(chart, v.clone(), false)?;
    // Tags first, then conditions, which take precedence.
    if let Some(Value::Object(tags)) = cvals.get("tags") {
        for req in &mut chart.metadata.dependencies {
            let (mut has_true, mut has_false) = (false, false);
            for tag in &req.tags {
                match tags.get(tag) {
                    Some(Value::Bool(true)) => has_true = true,
                    Some(Value::Bool(false)) => has_false = true,
                    _ => {}
                }
            }
            req.enabled = Some(has_true || !has_false);
        }
    }
    for req in &mut chart.metadata.dependencies {
        let Some(condition) = &req.condition else {
            continue;
        };
        for c in condition.trim().split(',') {
            if c.is_empty() {
                continue;
            }
            if let Some(Value::Bool(b)) = path_value(&cvals, &format!("{path}{c}")) {
                req.enabled = Some(*b);
                break;
            }
        }
    }
    let disabled: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| r.enabled == Some(false))
        .map(|r| r.name.clone())
        .collect();
    for name in &disabled {
        disabled_paths.push(format!("{}{name}", path.replace('.', "/")));
    }
    chart
        .dependencies
        .retain(|c| !disabled.iter().any(|d| d == c.name()));
    chart
        .metadata
        .dependencies
        .retain(|r| !disabled.contains(&r.name));
    for sub in &mut chart.dependencies {
        let sub_path = format!("{path}{}.", sub.name());
        process_dependency_enabled(sub, &cvals, &sub_path, disabled_paths)?;
    }
    Ok(())
}

/// Applies `import-values` bottom-up (Helm's `processDependencyImportValues` in merge mode).
fn process_import_values(chart: &mut Chart) -> Result<(), ValuesError> {
    for sub in &mut chart.dependencies {
        process_import_values(sub)?;
    }
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = coalesce_values(chart, Values::new(), true)?;
    let mut imported = Values::new();
    for req in &mut chart.metadata.dependencies {
        let mut normalized = Vec::new();
        for entry in &req.import_values {
            let (child, parent) = match entry {
                Value::Object(m) => (go_string(m.get("child")), go_string(m.get("parent"))),
                Value::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            normalized.push(serde_json::json!({"child": child, "parent": parent}));
            let Some(Value::Object(table)) = path_value(&cvals, &format!("{}.{child}", req.name))
            else {
                continue;
            };
            let lifted = if parent == "." {
                table.clone()
            } else {
                path_to_map(&parent, table.clone())
            };
            imported = coalesce_tables(imported, lifted, true);
        }
        req.import_values = normalized;
    }
    // Helm replaces the chart's values with the merged tree (subchart sections and their
    // globals included) whenever the chart declares dependencies, imports or not. That is why a
    // global deleted with `--set global.x=null` still reaches subcharts (helm/helm#9806):
    // reproduced on purpose, values are Helm's exactly.
    chart.values = coalesce_tables(cvals, imported, true);
    Ok(())
}

/// Go's `fmt.Sprintf("%v", x)` for the values Helm accepts in `import-values` maps.
fn go_string(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "<nil>".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn path_to_map(path: &str, data: Values) -> Values {
    let mut current = data;
    for part in path.split('.').rev() {
        let mut m = Values::new();
        m.insert(part.to_string(), Value::Object(current));
        current = m;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Values {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn coalesce_tables_user_wins_and_null_deletes() {
        let out = coalesce_tables(
            map(json!({"a": 1, "b": null, "n": {"x": null}})),
            map(json!({"a": 0, "b": 2, "c": 3, "n": {"x": 1, "y": 2}})),
            false,
        );
        assert_eq!(Value::Object(out), json!({"a": 1, "c": 3, "n": {"y": 2}}));
    }

    #[test]
    fn merge_maps_replaces_lists_and_merges_maps() {
        let out = merge_maps(
            map(json!({"l": [1, 2], "m": {"a": 1}})),
            map(json!({"l": [3], "m": {"b": 2}})),
        );
        assert_eq!(Value::Object(out), json!({"l": [3], "m": {"a": 1, "b": 2}}));
    }

    #[test]
    fn path_to_map_nests() {
        let out = path_to_map("a.b", map(json!({"x": 1})));
        assert_eq!(Value::Object(out), json!({"a": {"b": {"x": 1}}}));
    }
}
