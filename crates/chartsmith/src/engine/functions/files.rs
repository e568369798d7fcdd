//! The chart's files: `filesGet`, `filesLines`, `filesGlob`, `filesAsConfig`, `filesAsSecrets`
//! (Helm's `.Files.*`), each reading the files of the chart the calling template belongs to.
//!
//! May import: `tera`, `base64`, `regex`, `serde_json`, `engine::convert`, the sibling `patterns`
//! (compiled regexes), `crate::chart::File` and `crate::yaml` only.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value as Json;
use tera::{Kwargs, State, Tera, TeraResult, Value};

use super::patterns::compiled_regex;
use crate::chart::File;
use crate::engine::convert::{error, from_json};

pub(super) fn register(tera: &mut Tera, files: Arc<BTreeMap<String, Arc<Vec<File>>>>) {
    // --- files ---------------------------------------------------------------------------------
    let f = Arc::clone(&files);
    tera.register_function(
        "filesGet",
        move |kw: Kwargs, state: &State| -> TeraResult<String> {
            let path: String = kw.must_get("path")?;
            let chart_files = chart_files(&f, state)?;
            Ok(chart_files
                .iter()
                .find(|file| file.name == path)
                .map(|file| String::from_utf8_lossy(&file.data).into_owned())
                .unwrap_or_default())
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesLines",
        move |kw: Kwargs, state: &State| -> TeraResult<Vec<String>> {
            let path: String = kw.must_get("path")?;
            let chart_files = chart_files(&f, state)?;
            Ok(chart_files
                .iter()
                .find(|file| file.name == path)
                .map(|file| {
                    let text = String::from_utf8_lossy(&file.data);
                    if text.is_empty() {
                        return Vec::new();
                    }
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    text.split('\n').map(str::to_string).collect()
                })
                .unwrap_or_default())
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesGlob",
        move |kw: Kwargs, state: &State| -> TeraResult<Value> {
            let matched = glob_files(&f, &kw, state)?;
            let map: serde_json::Map<String, Json> = matched
                .into_iter()
                .map(|(name, text)| (name, Json::String(text)))
                .collect();
            Ok(from_json(&Json::Object(map)))
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesAsConfig",
        move |kw: Kwargs, state: &State| -> TeraResult<String> {
            let matched = glob_files(&f, &kw, state)?;
            let map: serde_json::Map<String, Json> = matched
                .into_iter()
                .map(|(name, text)| (base_name(&name), Json::String(text)))
                .collect();
            Ok(config_yaml(map))
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesAsSecrets",
        move |kw: Kwargs, state: &State| -> TeraResult<String> {
            let matched = glob_files(&f, &kw, state)?;
            let map: serde_json::Map<String, Json> = matched
                .into_iter()
                .map(|(name, text)| {
                    (
                        base_name(&name),
                        Json::String(base64::engine::general_purpose::STANDARD.encode(text)),
                    )
                })
                .collect();
            Ok(config_yaml(map))
        },
    );
}

fn config_yaml(map: serde_json::Map<String, Json>) -> String {
    let text = crate::yaml::to_string(&Json::Object(map));
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn chart_files(
    files: &BTreeMap<String, Arc<Vec<File>>>,
    state: &State,
) -> TeraResult<Arc<Vec<File>>> {
    let prefix = chart_prefix(state)?;
    Ok(files.get(&prefix).cloned().unwrap_or_default())
}

fn glob_files(
    files: &BTreeMap<String, Arc<Vec<File>>>,
    kw: &Kwargs,
    state: &State,
) -> TeraResult<Vec<(String, String)>> {
    let pattern: String = kw.must_get("pattern")?;
    let glob = glob_regex(&pattern)?;
    let chart_files = chart_files(files, state)?;
    Ok(chart_files
        .iter()
        .filter(|f| glob.is_match(&f.name))
        .map(|f| {
            (
                f.name.clone(),
                String::from_utf8_lossy(&f.data).into_owned(),
            )
        })
        .collect())
}

fn chart_prefix(state: &State) -> TeraResult<String> {
    let template: Option<Value> = state.get("Template")?;
    let base = template
        .as_ref()
        .and_then(|t| {
            t.get_from_path("BasePath")
                .and_then(|v| v.as_str().map(str::to_string))
        })
        .ok_or_else(|| error("Files functions need the `Template` object"))?;
    Ok(base.trim_end_matches("/templates").to_string())
}

/// A glob as Helm's `.Files.Glob` reads it (gobwas/glob with `/` separators): `*` and `?` stay
/// within a path segment, `**` crosses them anywhere, `{a,b}` alternates, `[...]` classes.
fn glob_regex(pattern: &str) -> TeraResult<regex::Regex> {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut braces = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                re.push_str(".*");
                i += 1;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                re.push_str(&regex::escape(&chars[i].to_string()));
            }
            '[' => {
                let end = chars[i..].iter().position(|&x| x == ']').map(|p| p + i);
                let Some(end) = end else {
                    return Err(error(format!("invalid glob `{pattern}`: unclosed `[`")));
                };
                let mut class: String = chars[i + 1..end].iter().collect();
                if let Some(rest) = class.strip_prefix('!') {
                    class = format!("^{rest}");
                }
                re.push('[');
                re.push_str(&class.replace('\\', "\\\\").replace('[', "\\["));
                re.push(']');
                i = end;
            }
            '{' => {
                braces += 1;
                re.push_str("(?:");
            }
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            ',' if braces > 0 => re.push('|'),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    if braces > 0 {
        return Err(error(format!("invalid glob `{pattern}`: unclosed `{{`")));
    }
    re.push('$');
    compiled_regex(&re)
}
