//! `chartsmith package` and `chartsmith repo index`: archives and indexes the real helm reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, root};

/// Chart directory, chart name, archive file.
const CHARTS: [(&str, &str, &str); 2] = [
    ("charts/mysql-chart", "mysql-chart", "mysql-chart-0.1.0.tgz"),
    (
        "fixtures/function-pairs/go",
        "pairs",
        "pairs-1.2.3-rc.1+build.5.tgz",
    ),
];

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        support::stderr(&output)
    );
    support::stdout(&output)
}

fn package_into(dest: &Path, epoch: Option<&str>) {
    let mut command = support::chartsmith();
    command.arg("package");
    for (chart, _, _) in CHARTS {
        command.arg(chart);
    }
    command.arg("-d").arg(dest);
    match epoch {
        Some(e) => command.env("SOURCE_DATE_EPOCH", e),
        None => command.env_remove("SOURCE_DATE_EPOCH"),
    };
    ok(
        command.output().expect("run chartsmith"),
        "chartsmith package",
    );
}

fn helm(helm: &Path, args: &[&str], archive: &Path) -> String {
    let output = Command::new(helm)
        .args(args)
        .arg(archive)
        .output()
        .expect("run helm");
    ok(output, &format!("helm {args:?}"))
}

#[test]
fn helm_reads_chartsmith_archives() {
    let dest = tempfile::tempdir().expect("tempdir");
    package_into(dest.path(), None);
    for (chart, name, file) in CHARTS {
        let archive = dest.path().join(file);
        assert!(archive.is_file(), "{file} was not written");

        // `NAME/Chart.yaml` first, as Helm writes and expects.
        let listing = ok(
            Command::new("tar")
                .arg("-tzf")
                .arg(&archive)
                .output()
                .expect("tar"),
            "tar -tzf",
        );
        assert_eq!(
            listing.lines().next(),
            Some(format!("{name}/Chart.yaml").as_str())
        );

        // Our own loader reads it back to the same chart.
        for part in ["chart", "values"] {
            let from_dir = ok(support::run(&["show", part, chart]), "chartsmith show");
            let from_archive = ok(
                support::run(&["show", part, &archive.display().to_string()]),
                "chartsmith show archive",
            );
            assert_eq!(from_archive, from_dir, "{chart}: show {part}");
        }

        let Some(helm_bin) = support::helm() else {
            continue;
        };
        for part in ["chart", "values"] {
            let expected = ok(support::run(&["show", part, chart]), "chartsmith show");
            let actual = helm(&helm_bin, &["show", part], &archive);
            assert_eq!(actual, expected, "{chart}: helm show {part} of our archive");
        }

        // `helm pull --untar` unpacks with the same code as this: every file comes out intact.
        let untar = tempfile::tempdir().expect("tempdir");
        ok(
            Command::new("tar")
                .arg("-xzf")
                .arg(&archive)
                .arg("-C")
                .arg(untar.path())
                .output()
                .expect("tar"),
            "tar -xzf",
        );
        let unpacked = untar.path().join(name);
        let files = list_files(&unpacked);
        assert!(files.len() > 5, "{files:?}");
        for rel in files {
            let packed = std::fs::read(unpacked.join(&rel)).expect("read unpacked");
            let source = std::fs::read(root().join(chart).join(&rel)).expect("read source");
            assert!(packed == source, "{chart}: {} differs", rel.display());
        }
    }
}

#[test]
fn archives_are_reproducible_across_checkouts_and_honour_source_date_epoch() {
    let first = tempfile::tempdir().expect("tempdir");
    let second = tempfile::tempdir().expect("tempdir");
    package_into(first.path(), None);
    // A fresh copy of the chart (other mtimes, other inode order) packs to the same bytes.
    let checkout = tempfile::tempdir().expect("tempdir");
    let copy = checkout.path().join("mysql-chart");
    copy_dir(&root().join("charts/mysql-chart"), &copy);
    ok(
        support::run(&[
            "package",
            &copy.display().to_string(),
            "-d",
            &second.path().display().to_string(),
        ]),
        "chartsmith package (copy)",
    );
    let a = std::fs::read(first.path().join(CHARTS[0].2)).expect("read");
    let b = std::fs::read(second.path().join(CHARTS[0].2)).expect("read");
    assert_eq!(a, b, "two checkouts gave different archives");

    let third = tempfile::tempdir().expect("tempdir");
    package_into(third.path(), Some("1700000000"));
    let listing = ok(
        Command::new("tar")
            .arg("--utc")
            .arg("-tvzf")
            .arg(third.path().join(CHARTS[0].2))
            .output()
            .expect("tar"),
        "tar -tvzf",
    );
    assert!(
        listing
            .lines()
            .all(|l| l.contains("2023-11-14 22:13") && l.starts_with("-rw-r--r-- 0/0")),
        "{listing}"
    );
}

#[test]
fn broken_charts_are_not_packaged() {
    let work = tempfile::tempdir().expect("tempdir");
    let chart = work.path().join("broken");
    std::fs::create_dir_all(&chart).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 1.0.0\n",
    )
    .expect("write");
    std::fs::write(chart.join("values.schema.json"), "{\"type\": 3}").expect("write");
    let dest = work.path().join("out");
    let output = support::run(&[
        "package",
        &chart.display().to_string(),
        "-d",
        &dest.display().to_string(),
    ]);
    assert!(!output.status.success());
    assert!(
        support::stderr(&output).contains("invalid values schema"),
        "{}",
        support::stderr(&output)
    );
    assert!(!dest.join("broken-1.0.0.tgz").exists());
    let output = support::run(&[
        "package",
        &chart.display().to_string(),
        "--version",
        "banana",
    ]);
    assert!(!output.status.success());
}

#[test]
fn helm_accepts_our_index_and_digests_match_sha256sum() {
    let repo = tempfile::tempdir().expect("tempdir");
    package_into(repo.path(), None);
    ok(
        support::run(&[
            "repo",
            "index",
            &repo.path().display().to_string(),
            "--url",
            "https://charts.example.com/stable",
        ]),
        "chartsmith repo index",
    );
    let ours_path = repo.path().join("index.yaml");
    let ours: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&ours_path).expect("read index"))
            .expect("parse index");
    assert_eq!(ours["apiVersion"], "v1");
    for (_, _, file) in CHARTS {
        let sum = ok(
            Command::new("sha256sum")
                .arg(repo.path().join(file))
                .output()
                .expect("sha256sum"),
            "sha256sum",
        );
        let sum = sum
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let entry = ours["entries"]
            .as_object()
            .expect("entries")
            .values()
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .find(|v| v["urls"][0] == format!("https://charts.example.com/stable/{file}"))
            .unwrap_or_else(|| panic!("{file} not in the index"));
        assert_eq!(entry["digest"], sum, "{file}");
    }

    let Some(helm_bin) = support::helm() else {
        return;
    };
    // helm merges our index into the index of a directory holding only one of the archives: the
    // other entry can only come from our file, so helm parsed it.
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        repo.path().join(CHARTS[0].2),
        other.path().join(CHARTS[0].2),
    )
    .expect("copy");
    let output = Command::new(&helm_bin)
        .args(["repo", "index", "--merge"])
        .arg(&ours_path)
        .arg(other.path())
        .output()
        .expect("helm");
    ok(output, "helm repo index --merge OUR_INDEX");
    let merged: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(other.path().join("index.yaml")).expect("read"),
    )
    .expect("parse helm's index");
    let pairs = &merged["entries"]["pairs"][0];
    assert_eq!(pairs["version"], "1.2.3-rc.1+build.5");
    assert_eq!(pairs["digest"], ours["entries"]["pairs"][0]["digest"]);
    assert_eq!(
        merged["entries"]["mysql-chart"][0]["digest"], ours["entries"]["mysql-chart"][0]["digest"],
        "helm and chartsmith disagree on the digest"
    );
}

#[test]
fn helm_repo_index_and_ours_agree_on_entries_and_digests() {
    let Some(helm_bin) = support::helm() else {
        return;
    };
    let repo = tempfile::tempdir().expect("tempdir");
    package_into(repo.path(), None);
    // A Helm-made archive in the same directory, and a second version of one chart.
    let out = Command::new(&helm_bin)
        .args(["package", "charts/redis", "-d"])
        .arg(repo.path())
        .current_dir(root())
        .output()
        .expect("helm package");
    ok(out, "helm package");
    let out = support::chartsmith()
        .args(["package", "charts/mysql-chart", "--version", "0.2.0", "-d"])
        .arg(repo.path())
        .current_dir(root())
        .output()
        .expect("chartsmith package");
    ok(out, "chartsmith package --version");
    let copy = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(repo.path()).expect("read_dir").flatten() {
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).expect("copy");
    }
    let url = "https://charts.example.com/stable";
    ok(
        support::chartsmith()
            .args(["repo", "index", "--url", url])
            .arg(repo.path())
            .output()
            .expect("run"),
        "chartsmith repo index",
    );
    ok(
        Command::new(&helm_bin)
            .args(["repo", "index", "--url", url])
            .arg(copy.path())
            .output()
            .expect("helm"),
        "helm repo index",
    );
    // (name, version, digest, urls, appVersion) of every entry, in the file's order.
    let entries = |dir: &Path| -> Vec<(String, String, String, String, String)> {
        let index: serde_json::Value = serde_saphyr::from_str(
            &std::fs::read_to_string(dir.join("index.yaml")).expect("index"),
        )
        .expect("parse index");
        assert_eq!(index["apiVersion"], "v1");
        let mut out = Vec::new();
        for (name, versions) in index["entries"].as_object().expect("entries") {
            for v in versions.as_array().expect("versions") {
                out.push((
                    name.clone(),
                    v["version"].as_str().unwrap_or_default().to_string(),
                    v["digest"].as_str().unwrap_or_default().to_string(),
                    v["urls"].to_string(),
                    v["appVersion"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
        out
    };
    let ours = entries(repo.path());
    let helms = entries(copy.path());
    assert_eq!(ours.len(), 4, "{ours:?}");
    assert_eq!(ours, helms);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(from)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    // Another creation order than the original checkout.
    entries.sort();
    entries.reverse();
    for path in entries {
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in std::fs::read_dir(dir.join(&rel)).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = rel.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn several_charts_are_all_attempted_and_reported_in_order() {
    let dest = tempfile::tempdir().expect("tempdir");
    let output = support::chartsmith()
        .args([
            "package",
            "charts/redis",
            "no-such-chart-a",
            "charts/mongodb",
            "no-such-chart-b",
            "-d",
        ])
        .arg(dest.path())
        .current_dir(root())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = support::stdout(&output);
    let redis = stdout.find("redis-0.1.0.tgz").expect("redis reported");
    let mongodb = stdout.find("mongodb-0.1.0.tgz").expect("mongodb reported");
    assert!(redis < mongodb, "{stdout}");
    assert!(dest.path().join("redis-0.1.0.tgz").is_file());
    assert!(dest.path().join("mongodb-0.1.0.tgz").is_file());
    let stderr = support::stderr(&output);
    let a = stderr.find("no-such-chart-a").expect("first failure");
    let b = stderr.find("no-such-chart-b").expect("second failure");
    assert!(a < b, "{stderr}");
}
