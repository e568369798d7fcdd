//! `search repo`: the charts of the added repositories' cached indexes that match a keyword, as
//! Helm's `helm search repo` finds them. Only the cache is read (no network): a repository
//! without a cached index is reported, not fetched.

use serde::Serialize;

use super::error::RepoError;
use super::file::{RepoSettings, RepositoriesFile};
use super::index::IndexFile;
use crate::constraint::Constraint;

/// What [`search`] looks for.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// The keyword (case-insensitive, in `REPO/CHART`, the description and the keywords); empty:
    /// every chart.
    pub keyword: String,
    /// Read `keyword` as a regular expression instead.
    pub regexp: bool,
    /// Every version of each chart, not only the newest.
    pub versions: bool,
    /// Only versions in this range (`^1.2`, `>=2.0.0 <3`).
    pub version: Option<String>,
    /// Pre-release versions too (`--devel`).
    pub devel: bool,
}

/// One chart version found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchResult {
    /// `REPO/CHART`.
    pub name: String,
    /// The chart version.
    pub version: String,
    /// Its appVersion.
    pub app_version: String,
    /// Its description.
    pub description: String,
}

/// What [`search`] found, and the repositories it could not read.
#[derive(Debug, Clone, Default)]
pub struct SearchReport {
    /// The matches, by name, newest version first.
    pub results: Vec<SearchResult>,
    /// One line per repository without a usable cached index (`repo x has no cached index:
    /// run repo update`).
    pub warnings: Vec<String>,
}

/// Searches the cached indexes of every added repository.
pub fn search(settings: &RepoSettings, options: &SearchOptions) -> Result<SearchReport, RepoError> {
    let matcher: Box<dyn Fn(&str) -> bool> = if options.regexp {
        let re = regex::RegexBuilder::new(&options.keyword)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| RepoError::InvalidSearch {
                keyword: options.keyword.clone(),
                reason: e.to_string(),
            })?;
        Box::new(move |text| re.is_match(text))
    } else {
        let keyword = options.keyword.to_lowercase();
        Box::new(move |text| text.to_lowercase().contains(&keyword))
    };
    let range = match (&options.version, options.devel) {
        (Some(range), _) => Some(Constraint::parse(range)?),
        (None, true) => Some(Constraint::parse(">=0.0.0-0")?),
        (None, false) => None,
    };
    let mut report = SearchReport::default();
    for repo in RepositoriesFile::load(settings)?.repositories {
        let path = settings.index_file(&repo.name);
        let index = match IndexFile::load(&path) {
            Ok(index) => index,
            Err(e) => {
                report.warnings.push(format!(
                    "repo {} has no usable cached index ({e}): run `chartsmith repo update {}`",
                    repo.name, repo.name
                ));
                continue;
            }
        };
        for (chart, versions) in &index.entries {
            let name = format!("{}/{chart}", repo.name);
            let mut shown = 0;
            for v in versions {
                let Ok(version) = crate::constraint::parse_version(&v.metadata.version) else {
                    continue;
                };
                let in_range = match &range {
                    Some(c) => c.matches(&version),
                    None => version.pre.is_empty(),
                };
                if !in_range {
                    continue;
                }
                let description = v.metadata.description.clone().unwrap_or_default();
                let text = format!("{name} {description} {}", v.metadata.keywords.join(" "));
                if !options.keyword.is_empty() && !matcher(&text) {
                    break; // the same chart: the other versions match alike
                }
                report.results.push(SearchResult {
                    name: name.clone(),
                    version: v.metadata.version.clone(),
                    app_version: v.metadata.app_version.clone().unwrap_or_default(),
                    description,
                });
                shown += 1;
                if !options.versions && shown == 1 {
                    break;
                }
            }
        }
    }
    report.results.sort_by(|a, b| {
        a.name.cmp(&b.name).then_with(|| {
            let v = |s: &str| crate::constraint::parse_version(s).ok();
            v(&b.version).cmp(&v(&a.version))
        })
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &std::path::Path) -> RepoSettings {
        RepoSettings {
            repository_config: Some(dir.join("repositories.yaml")),
            repository_cache: Some(dir.join("cache")),
            ..RepoSettings::default()
        }
    }

    #[test]
    fn finds_by_keyword_newest_first_and_reports_missing_caches() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        std::fs::write(
            s.repositories_file(),
            "apiVersion: v1\nrepositories:\n- name: seeds\n  url: https://charts.example.com\n- name: gone\n  url: https://gone.example.com\n",
        )
        .unwrap();
        std::fs::create_dir_all(s.index_dir()).unwrap();
        let entry = |name: &str, version: &str, description: &str, keywords: &str| {
            format!(
                "  - apiVersion: v2\n    name: {name}\n    version: {version}\n    appVersion: \"1.0\"\n    description: {description}\n    keywords: [{keywords}]\n    urls: [https://charts.example.com/{name}-{version}.tgz]\n"
            )
        };
        let index = format!(
            "apiVersion: v1\nentries:\n  mysql-chart:\n{}{}{}  redis:\n{}",
            entry("mysql-chart", "0.2.0", "MySQL for small apps", "database"),
            entry(
                "mysql-chart",
                "0.3.0-rc.1",
                "MySQL for small apps",
                "database"
            ),
            entry("mysql-chart", "0.1.0", "MySQL for small apps", "database"),
            entry("redis", "0.1.0", "A cache", "key-value")
        );
        std::fs::write(s.index_file("seeds"), index).unwrap();
        let found = |o: SearchOptions| -> Vec<(String, String)> {
            search(&s, &o)
                .unwrap()
                .results
                .into_iter()
                .map(|r| (r.name, r.version))
                .collect()
        };
        let all = found(SearchOptions::default());
        assert_eq!(
            all,
            [
                ("seeds/mysql-chart".into(), "0.2.0".into()),
                ("seeds/redis".into(), "0.1.0".into())
            ]
        );
        // By description, keywords and name, case-insensitive.
        let by = |k: &str| {
            found(SearchOptions {
                keyword: k.into(),
                ..SearchOptions::default()
            })
        };
        assert_eq!(by("DATABASE").len(), 1);
        assert_eq!(by("key-value")[0].0, "seeds/redis");
        assert_eq!(by("seeds/red")[0].0, "seeds/redis");
        assert!(by("postgres").is_empty());
        let versions = found(SearchOptions {
            keyword: "mysql".into(),
            versions: true,
            devel: true,
            ..SearchOptions::default()
        });
        assert_eq!(
            versions.iter().map(|v| v.1.as_str()).collect::<Vec<_>>(),
            ["0.3.0-rc.1", "0.2.0", "0.1.0"]
        );
        let ranged = found(SearchOptions {
            keyword: "mysql".into(),
            version: Some("<0.2.0".into()),
            ..SearchOptions::default()
        });
        assert_eq!(ranged, [("seeds/mysql-chart".into(), "0.1.0".into())]);
        let regexp = found(SearchOptions {
            keyword: "^seeds/(redis|mongo)".into(),
            regexp: true,
            ..SearchOptions::default()
        });
        assert_eq!(regexp.len(), 1);
        let report = search(&s, &SearchOptions::default()).unwrap();
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].starts_with("repo gone has no usable cached index"));
        assert!(matches!(
            search(
                &s,
                &SearchOptions {
                    keyword: "(".into(),
                    regexp: true,
                    ..SearchOptions::default()
                }
            ),
            Err(RepoError::InvalidSearch { .. })
        ));
    }
}
