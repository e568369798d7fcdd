//! Regression tests for the parsers of hostile repository files (`index.yaml`,
//! `repositories.yaml`, `Chart.lock`), the properties their fuzz targets check
//! (`fuzz/fuzz_targets/{repo_index,repositories_file,chart_lock}.rs`).

use crate::downloader::dependency::{hash_requirements, parse_lock};
use crate::repo::IndexFile;
use crate::repo::RepositoriesFile;

/// Nine aliases of nine aliases … : 9^8 nodes if expanded.
fn alias_bomb(prefix: &str) -> String {
    let mut src = format!("{prefix}a: &a [x,x,x,x,x,x,x,x,x]\n");
    for w in ["a", "b", "c", "d", "e", "f", "g", "h"].windows(2) {
        let (prev, name) = (w[0], w[1]);
        src.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    src
}

fn lock_text(lock: &crate::downloader::dependency::Lock) -> String {
    crate::yaml::to_string(&serde_json::to_value(lock).unwrap())
}

fn repositories_text(file: &RepositoriesFile) -> String {
    crate::yaml::to_string(&serde_json::to_value(file).unwrap())
}

#[test]
fn alias_bombs_are_rejected_by_every_repository_parser() {
    assert!(IndexFile::from_yaml(&alias_bomb("apiVersion: v1\n"), "index.yaml").is_err());
    assert!(RepositoriesFile::from_yaml(&alias_bomb(""), "repositories.yaml").is_err());
    assert!(parse_lock(&alias_bomb(""), "Chart.lock").is_err());
}

#[test]
fn duplicate_keys_are_refused_by_every_repository_parser() {
    let e = IndexFile::from_yaml(
        "apiVersion: v1\nentries: {}\napiVersion: v2\n",
        "idx/index.yaml",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("idx/index.yaml: duplicate key `apiVersion` (lines 1 and 3)"),
        "{e}"
    );
    let e = RepositoriesFile::from_yaml(
        "repositories:\n- name: a\n  url: https://a\n  name: b\n",
        "repositories.yaml",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("duplicate key `name` (lines 2 and 4)"),
        "{e}"
    );
    let e = parse_lock("digest: a\ndependencies: []\ndigest: b\n", "app/Chart.lock").unwrap_err();
    assert!(
        e.to_string()
            .contains("app/Chart.lock: duplicate key `digest` (lines 1 and 3)"),
        "{e}"
    );
}

#[test]
fn malformed_files_are_errors_naming_the_file() {
    for text in [
        "",
        "[]",
        "a: [",
        "- 1\n- 2\n",
        "apiVersion: 1\n",
        "\u{feff}",
    ] {
        if let Err(e) = IndexFile::from_yaml(text, "idx/index.yaml") {
            assert!(e.to_string().contains("idx/index.yaml"), "{e}");
        }
        if let Err(e) = RepositoriesFile::from_yaml(text, "cfg/repositories.yaml") {
            assert!(e.to_string().contains("cfg/repositories.yaml"), "{e}");
        }
        let e = parse_lock(text, "app/Chart.lock").unwrap_err();
        assert!(e.to_string().contains("app/Chart.lock"), "{e}");
    }
}

#[test]
fn index_round_trips_through_to_yaml() {
    let text = "apiVersion: v1\nentries:\n  app:\n  - {apiVersion: v2, name: app, version: 1.0.0, \
                appVersion: 8.0, keywords: ['yes', 'no', '~', '0x1F', ''], \
                annotations: {'y': '1.0', 'on': 'null'}, \
                dependencies: [{name: d, version: '>=1', import-values: [a, {child: x, parent: y}]}], \
                urls: ['a: b.tgz'], created: '2024-01-01T00:00:00Z'}\n  - {apiVersion: v2, \
                name: app, version: 2.0.0-rc.1}\n  - {apiVersion: v2, name: app, version: 1.0}\n\
                generated: \"2024-01-01\"\n";
    let index = IndexFile::from_yaml(text, "index.yaml").unwrap();
    let versions: Vec<_> = index.entries["app"]
        .iter()
        .map(|v| v.metadata.version.as_str())
        .collect();
    assert_eq!(versions, ["2.0.0-rc.1", "1.0.0"]);
    let written = index.to_yaml();
    let again = IndexFile::from_yaml(&written, "index.yaml").unwrap();
    assert_eq!(again, index, "{written}");
    assert_eq!(again.to_yaml(), written);
}

#[test]
fn repositories_file_round_trips_and_names_the_file() {
    let text = "apiVersion: v1\nrepositories:\n- {name: 'yes', url: 'http://h/a b#c', \
                username: '0755', password: '', pass_credentials_all: true}\n- {name: x, url: ''}\n";
    let file = RepositoriesFile::from_yaml(text, "repositories.yaml").unwrap();
    assert_eq!(file.repositories.len(), 2);
    let written = repositories_text(&file);
    assert_eq!(
        RepositoriesFile::from_yaml(&written, "repositories.yaml").unwrap(),
        file,
        "{written}"
    );
    let e = RepositoriesFile::from_yaml("repositories: [{name: x}]", "cfg/repositories.yaml")
        .unwrap_err();
    assert!(e.to_string().contains("cfg/repositories.yaml"), "{e}");
}

#[test]
fn lock_round_trips_with_the_same_digest() {
    let text = "dependencies:\n- {name: common, repository: 'oci://r/x', version: 2.13.3}\n\
                - {name: 'true', version: '1.0.0+build.1'}\ndigest: 'sha256:00'\ngenerated: '1'\n";
    let lock = parse_lock(text, "Chart.lock").unwrap();
    assert_eq!(lock.dependencies[1].repository, "");
    let written = lock_text(&lock);
    let again = parse_lock(&written, "Chart.lock").unwrap();
    assert_eq!(again, lock, "{written}");
    assert_eq!(
        hash_requirements(&[], &again.dependencies),
        hash_requirements(&[], &lock.dependencies)
    );
}
