//! `chartsmith create NAME`: a starter chart that renders and follows chartsmith's conventions.
//! The starter's files are compiled in from `create/starter/`.
//!
//! May import: `util` only.

use std::path::{Path, PathBuf};

use crate::util::fs::IoError;

/// Starter files, with `<CHARTNAME>` (the chart name) and `<CHARTID>` (the name as a partial
/// identifier: `-` becomes `_`) placeholders.
const STARTER: &[(&str, &str)] = &[
    ("Chart.yaml", include_str!("create/starter/Chart.yaml")),
    ("values.yaml", include_str!("create/starter/values.yaml")),
    (".helmignore", include_str!("create/starter/.helmignore")),
    (
        "templates/_helpers.tpl",
        include_str!("create/starter/templates/_helpers.tpl"),
    ),
    (
        "templates/deployment.yaml",
        include_str!("create/starter/templates/deployment.yaml"),
    ),
    (
        "templates/service.yaml",
        include_str!("create/starter/templates/service.yaml"),
    ),
    (
        "templates/serviceaccount.yaml",
        include_str!("create/starter/templates/serviceaccount.yaml"),
    ),
    (
        "templates/hpa.yaml",
        include_str!("create/starter/templates/hpa.yaml"),
    ),
    (
        "templates/NOTES.txt",
        include_str!("create/starter/templates/NOTES.txt"),
    ),
];

/// Why a chart could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The name is not a valid chart name.
    #[error(
        "invalid chart name `{0}`: use lowercase letters, digits and `-`, starting with a letter"
    )]
    InvalidName(String),
    /// The destination exists and is not empty.
    #[error("{}: already exists and is not empty", .0.display())]
    Exists(PathBuf),
    /// A file or directory could not be written.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Whether `name` is a valid chart name (lowercase DNS-label style, as Helm recommends).
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// Writes a starter chart named after the last component of `path` into `path`; returns the files
/// written.
pub fn create(path: &Path) -> Result<Vec<PathBuf>, CreateError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CreateError::InvalidName(path.display().to_string()))?;
    if !is_valid_name(name) {
        return Err(CreateError::InvalidName(name.to_string()));
    }
    if path.exists()
        && std::fs::read_dir(path)
            .map_err(|e| IoError::new(path, e))?
            .next()
            .is_some()
    {
        return Err(CreateError::Exists(path.to_path_buf()));
    }
    let id = name.replace('-', "_");
    let mut written = Vec::new();
    for (rel, content) in STARTER {
        let target = path.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| IoError::new(parent, e))?;
        }
        let text = content
            .replace("<CHARTID>", &id)
            .replace("<CHARTNAME>", name);
        std::fs::write(&target, text).map_err(|e| IoError::new(&target, e))?;
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(is_valid_name("flask-app"));
        assert!(!is_valid_name("Flask"));
        assert!(!is_valid_name("a/b"));
        assert!(!is_valid_name("-x"));
    }

    #[test]
    fn the_starter_renders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my-app");
        create(&path).unwrap();
        let chart = crate::chart::loader::load(&path).unwrap();
        let rendered = crate::template::template(
            &chart,
            &Default::default(),
            &crate::template::TemplateOptions::default(),
        )
        .unwrap();
        let out = rendered.to_helm_output(false);
        assert!(out.contains("kind: Deployment"), "{out}");
        assert!(out.contains("name: release-name-my-app"), "{out}");
        assert!(
            out.contains("image: \"nginxinc/nginx-unprivileged:1.27.3\""),
            "{out}"
        );
        assert!(rendered.notes.unwrap().contains("port-forward"));
    }

    #[test]
    fn starter_names_are_truncated_to_63_characters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("averyveryverylongchartname-abcdefghij");
        create(&path).unwrap();
        let chart = crate::chart::loader::load(&path).unwrap();
        let options = crate::template::TemplateOptions {
            release: crate::engine::Release {
                name: "a-release-name-that-is-fairly-long-too-for-testing-x".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let rendered = crate::template::template(&chart, &Default::default(), &options).unwrap();
        for m in &rendered.manifests {
            assert!(
                m.name.len() <= 63,
                "{} is {} characters",
                m.name,
                m.name.len()
            );
        }
    }
}
