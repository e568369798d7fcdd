//! Helm values-conformance suite.
//!
//! Runs the real Helm (v4.1.4) as an oracle and `chartsmith values` on the same inputs, and
//! asserts that both produce the same values, compared as JSON.
//!
//! The cases live in `fixtures/conformance/cases.yaml` (its header documents the format); the
//! fixture charts in `fixtures/conformance/charts/` contain no templates. For Helm, every chart
//! is copied into a temporary directory and each chart and subchart gets a
//! `templates/values.yaml` containing `{{ toJson .Values }}`; the document of the requested
//! (sub)chart is then picked out of `helm template` output by its `# Source:` line.
//!
//! Both tools run with `fixtures/conformance/` as working directory, so the paths in a case's
//! arguments are relative to it.
//!
//! Helm is taken from `HELM_BIN`, or installed by `scripts/install-helm.sh`. If neither works
//! the test is skipped with a message, unless `CI` is set, in which case it fails.
//! `CONFORMANCE_CASE=<substring>` restricts the run to the cases whose name contains it.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::{Number, Value};

/// Minimum number of cases the suite must hold.
const MIN_CASES: usize = 70;

/// At most this many differing paths are listed per case.
const MAX_DIFFERENCES: usize = 20;

/// The template added to every chart and subchart for Helm.
const VALUES_TEMPLATE: &str = "{{ toJson .Values }}\n";

/// `cases.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<Case>,
}

/// One conformance case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Unique name.
    name: String,
    /// Directory under `fixtures/conformance/charts/`.
    chart: String,
    /// Arguments given verbatim to both tools.
    #[serde(default)]
    args: Vec<String>,
    /// Subchart path such as `sub/subsub` (alias names where a dependency has one).
    #[serde(default)]
    subchart: Option<String>,
    /// Both tools must fail.
    #[serde(default)]
    expect_error: bool,
    /// A documented Helm bug: chartsmith is compared with `expected` instead of Helm.
    #[serde(default)]
    known_difference: Option<String>,
    /// chartsmith's expected output (JSON text), with `known_difference`.
    #[serde(default)]
    expected: Option<String>,
}

impl Case {
    fn describe(&self) -> String {
        let mut s = format!("chart={} args={:?}", self.chart, self.args);
        if let Some(sub) = &self.subchart {
            let _ = write!(s, " subchart={sub}");
        }
        s
    }
}

fn workspace_root() -> PathBuf {
    crate::support::root()
}

fn fixture_dir() -> PathBuf {
    let dir = workspace_root().join("fixtures").join("conformance");
    dir.canonicalize()
        .unwrap_or_else(|e| panic!("fixture directory {}: {e}", dir.display()))
}

fn load_cases() -> Vec<Case> {
    let path = fixture_dir().join("cases.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file: CaseFile =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    file.cases
}

/// Checks the case list itself; returns the problems found.
fn validate_cases(cases: &[Case]) -> Vec<String> {
    let fixtures = fixture_dir();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    if cases.len() < MIN_CASES {
        problems.push(format!(
            "only {} cases, at least {MIN_CASES} required",
            cases.len()
        ));
    }
    for case in cases {
        if !names.insert(case.name.as_str()) {
            problems.push(format!("{}: duplicate case name", case.name));
        }
        if !fixtures
            .join("charts")
            .join(&case.chart)
            .join("Chart.yaml")
            .is_file()
        {
            problems.push(format!(
                "{}: chart {:?} has no Chart.yaml",
                case.name, case.chart
            ));
        }
        match (&case.known_difference, &case.expected) {
            (Some(_), None) => {
                problems.push(format!("{}: known_difference needs `expected`", case.name));
            }
            (None, Some(_)) => {
                problems.push(format!(
                    "{}: `expected` is only used with known_difference",
                    case.name
                ));
            }
            (Some(_), Some(expected)) => {
                if let Err(e) = serde_json::from_str::<Value>(expected) {
                    problems.push(format!("{}: `expected` is not JSON: {e}", case.name));
                }
                if case.expect_error {
                    problems.push(format!(
                        "{}: known_difference and expect_error are exclusive",
                        case.name
                    ));
                }
            }
            (None, None) => {}
        }
    }
    problems
}

// ------------------------------------------------------------------------------------------ helm

/// Copies `src` to `dst` recursively.
fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Adds `templates/values.yaml` to every chart (a directory with a Chart.yaml) under `dir`.
fn add_values_templates(dir: &Path) -> std::io::Result<()> {
    if dir.join("Chart.yaml").is_file() {
        let templates = dir.join("templates");
        std::fs::create_dir_all(&templates)?;
        std::fs::write(templates.join("values.yaml"), VALUES_TEMPLATE)?;
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() && entry.file_name() != "templates" {
            add_values_templates(&entry.path())?;
        }
    }
    Ok(())
}

/// Copies every fixture chart into `tmp`, with the values templates added.
fn prepare_helm_charts(tmp: &Path) -> PathBuf {
    let charts = tmp.join("charts");
    copy_dir(&fixture_dir().join("charts"), &charts).expect("copying fixture charts");
    for entry in std::fs::read_dir(&charts).expect("listing copied charts") {
        let entry = entry.expect("listing copied charts");
        add_values_templates(&entry.path()).expect("adding values templates");
    }
    charts
}

/// `# Source:` path (without the leading chart name) of the document holding the values of
/// `subchart` (or of the chart itself).
fn source_suffix(subchart: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(sub) = subchart {
        for part in sub.split('/').filter(|p| !p.is_empty()) {
            let _ = write!(s, "charts/{part}/");
        }
    }
    s.push_str("templates/values.yaml");
    s
}

/// Splits `helm template` output into (source path without the chart name, body) pairs.
fn helm_documents(stdout: &str) -> Vec<(String, String)> {
    let mut docs: Vec<(Option<String>, String)> = vec![(None, String::new())];
    for line in stdout.lines() {
        if line.trim_end() == "---" {
            docs.push((None, String::new()));
        } else if let Some(src) = line.strip_prefix("# Source: ") {
            if let Some(doc) = docs.last_mut() {
                doc.0 = Some(src.trim().to_owned());
            }
        } else if let Some(doc) = docs.last_mut() {
            doc.1.push_str(line);
            doc.1.push('\n');
        }
    }
    docs.into_iter()
        .filter_map(|(src, body)| {
            let src = src?;
            let rest = src
                .split_once('/')
                .map_or(src.as_str(), |(_, r)| r)
                .to_owned();
            Some((rest, body))
        })
        .collect()
}

fn run_helm(helm: &Path, helm_charts: &Path, case: &Case) -> Result<Value, String> {
    let home = helm_charts
        .parent()
        .unwrap_or(helm_charts)
        .join("helm-home");
    let out = Command::new(helm)
        .arg("template")
        .arg("rel")
        .arg(helm_charts.join(&case.chart))
        .args(&case.args)
        .current_dir(fixture_dir())
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .map_err(|e| format!("running helm: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    if !out.status.success() {
        return Err(format!("helm exited with {}: {stderr}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = source_suffix(case.subchart.as_deref());
    let docs = helm_documents(&stdout);
    let Some((_, body)) = docs.iter().find(|(src, _)| *src == want) else {
        let have: Vec<&str> = docs.iter().map(|(s, _)| s.as_str()).collect();
        return Err(format!(
            "helm rendered no document for {want} (chart or subchart disabled/absent); \
             documents: {have:?}; stderr: {stderr}"
        ));
    };
    serde_json::from_str(body.trim())
        .map_err(|e| format!("helm output for {want} is not JSON ({e}):\n{body}"))
}

// ------------------------------------------------------------------------------------ chartsmith

struct ChartsmithRun {
    output: Output,
}

fn run_chartsmith(case: &Case) -> Result<ChartsmithRun, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chartsmith"));
    cmd.arg("values")
        .arg(Path::new("charts").join(&case.chart))
        .arg("-o")
        .arg("json")
        .args(&case.args)
        .current_dir(fixture_dir());
    if let Some(sub) = &case.subchart {
        cmd.arg("--subchart").arg(sub);
    }
    let output = cmd
        .output()
        .map_err(|e| format!("running chartsmith: {e}"))?;
    Ok(ChartsmithRun { output })
}

impl ChartsmithRun {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr)
            .trim()
            .to_owned()
    }

    fn json(&self) -> Result<Value, String> {
        if !self.output.status.success() {
            return Err(format!(
                "chartsmith exited with {}: {}",
                self.output.status,
                self.stderr()
            ));
        }
        let stdout = String::from_utf8_lossy(&self.output.stdout);
        serde_json::from_str(stdout.trim())
            .map_err(|e| format!("chartsmith output is not JSON ({e}):\n{stdout}"))
    }
}

// ------------------------------------------------------------------------------------ comparison

/// A JSON number as an exact integer when it is one, else a float.
enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Numeric equality: `1e+06` equals `1000000`, but `12345678901234567000` does not equal
/// `12345678901234567890` (no rounding through f64 for integers).
fn numbers_equal(a: &Number, b: &Number) -> bool {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Float(x), Num::Float(y)) => x == y,
        (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => {
            // `as` saturates, so a float beyond the i128 range can never match.
            f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 && f as i128 == i
        }
    }
}

/// Collects the paths where `a` and `b` differ (in `out`, at most `MAX_DIFFERENCES`).
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    if out.len() >= MAX_DIFFERENCES {
        return;
    }
    let here = if path.is_empty() { "<root>" } else { path };
    match (a, b) {
        (Value::Null, Value::Null) => {}
        (Value::Bool(x), Value::Bool(y)) if x == y => {}
        (Value::String(x), Value::String(y)) if x == y => {}
        (Value::Number(x), Value::Number(y)) if numbers_equal(x, y) => {}
        (Value::Array(x), Value::Array(y)) if x.len() != y.len() => {
            out.push(format!(
                "{here}: list of {} vs list of {}",
                x.len(),
                y.len()
            ));
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => differences(p, q, &sub, out),
                    (Some(p), None) => out.push(format!("{sub}: {p} vs <absent>")),
                    (None, Some(q)) => out.push(format!("{sub}: <absent> vs {q}")),
                    (None, None) => {}
                }
                if out.len() >= MAX_DIFFERENCES {
                    return;
                }
            }
        }
        _ => out.push(format!("{here}: {a} vs {b}")),
    }
}

/// The differences between `a` and `b` as a bullet list, or `None` when they are equal.
fn diff_report(a: &Value, b: &Value, a_name: &str, b_name: &str) -> Option<String> {
    let mut out = Vec::new();
    differences(a, b, "", &mut out);
    if out.is_empty() {
        return None;
    }
    let mut report = format!("differences ({a_name} vs {b_name}):\n");
    for d in &out {
        let _ = writeln!(report, "  - {d}");
    }
    if out.len() >= MAX_DIFFERENCES {
        report.push_str("  - ...\n");
    }
    Some(report)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

// ------------------------------------------------------------------------------------------ runs

enum Verdict {
    Pass,
    /// Passes, with a note to print.
    Note(String),
    Fail(String),
}

fn check_case(helm: &Path, helm_charts: &Path, case: &Case) -> Verdict {
    let helm_result = run_helm(helm, helm_charts, case);
    let cs = match run_chartsmith(case) {
        Ok(run) => run,
        Err(e) => return Verdict::Fail(e),
    };

    if case.expect_error {
        let mut problems = Vec::new();
        if let Ok(v) = &helm_result {
            problems.push(format!(
                "helm succeeded although the case expects an error (fixture problem):\n{}",
                pretty(v)
            ));
        }
        match cs.output.status.code() {
            Some(1) if !cs.stderr().is_empty() => {}
            Some(1) => {
                problems.push("chartsmith exited with 1 but printed nothing on stderr".into())
            }
            _ if cs.output.status.success() => problems.push(format!(
                "chartsmith succeeded although helm fails ({}); chartsmith printed:\n{}",
                helm_result.as_ref().err().map_or("", String::as_str),
                String::from_utf8_lossy(&cs.output.stdout).trim()
            )),
            _ => problems.push(format!(
                "chartsmith must exit with 1, got {} (2 is a usage error, 101 a panic): {}",
                cs.output.status,
                cs.stderr()
            )),
        }
        return if problems.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(problems.join("\n"))
        };
    }

    let cs_json = match cs.json() {
        Ok(v) => v,
        Err(e) => {
            let helm_side = match &helm_result {
                Ok(v) => format!("helm:\n{}", pretty(v)),
                Err(he) => format!("helm also failed: {he}"),
            };
            return Verdict::Fail(format!("{e}\n{helm_side}"));
        }
    };

    if let Some(reason) = &case.known_difference {
        let expected: Value = match case.expected.as_deref().map(serde_json::from_str) {
            Some(Ok(v)) => v,
            _ => return Verdict::Fail("known_difference without valid `expected` JSON".into()),
        };
        let mut note = format!("known difference: {reason}");
        match &helm_result {
            Ok(h) if diff_report(h, &expected, "helm", "expected").is_none() => {
                note.push_str(
                    "\n  NOTE: helm now produces the expected output; drop known_difference?",
                );
            }
            Ok(_) => {}
            Err(e) => {
                let _ = write!(note, "\n  NOTE: helm failed: {e}");
            }
        }
        return match diff_report(&expected, &cs_json, "expected", "chartsmith") {
            None => Verdict::Note(note),
            Some(diff) => Verdict::Fail(format!(
                "{note}\n{diff}--- expected (known_difference):\n{}\n--- chartsmith:\n{}",
                pretty(&expected),
                pretty(&cs_json)
            )),
        };
    }

    let helm_json = match helm_result {
        Ok(v) => v,
        Err(e) => {
            return Verdict::Fail(format!(
                "helm failed on a case that should succeed (fixture problem): {e}\nchartsmith:\n{}",
                pretty(&cs_json)
            ));
        }
    };
    match diff_report(&helm_json, &cs_json, "helm", "chartsmith") {
        None => Verdict::Pass,
        Some(diff) => Verdict::Fail(format!(
            "{diff}--- helm:\n{}\n--- chartsmith:\n{}",
            pretty(&helm_json),
            pretty(&cs_json)
        )),
    }
}

/// Runs `f` over `items` on a few threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(1, 8);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("conformance worker panicked"))
            .collect()
    })
}

#[test]
fn conformance_cases_are_well_formed() {
    let cases = load_cases();
    let problems = validate_cases(&cases);
    assert!(
        problems.is_empty(),
        "cases.yaml problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn helm_values_conformance() {
    let Some(helm) = crate::support::helm() else {
        return;
    };

    let mut cases = load_cases();
    let problems = validate_cases(&cases);
    assert!(
        problems.is_empty(),
        "cases.yaml problems:\n{}",
        problems.join("\n")
    );
    if let Ok(filter) = std::env::var("CONFORMANCE_CASE") {
        cases.retain(|c| c.name.contains(&filter));
        eprintln!("CONFORMANCE_CASE={filter}: running {} case(s)", cases.len());
    }

    let tmp = tempfile::tempdir().expect("creating a temporary directory");
    let helm_charts = prepare_helm_charts(tmp.path());

    let verdicts = parallel_map(&cases, |case| check_case(&helm, &helm_charts, case));

    let mut failures = Vec::new();
    let mut passed = 0;
    for (case, verdict) in cases.iter().zip(verdicts) {
        match verdict {
            Verdict::Pass => passed += 1,
            Verdict::Note(note) => {
                passed += 1;
                eprintln!("[{}] {note}", case.name);
            }
            Verdict::Fail(msg) => {
                failures.push(format!("=== {} ({})\n{msg}", case.name, case.describe()))
            }
        }
    }
    eprintln!(
        "helm conformance: {passed} passed, {} failed, {} total (helm: {})",
        failures.len(),
        cases.len(),
        helm.display()
    );
    if !failures.is_empty() {
        let names: Vec<&str> = failures
            .iter()
            .filter_map(|f| f.strip_prefix("=== ")?.split(' ').next())
            .collect();
        panic!(
            "{} of {} helm conformance case(s) failed:\n\n{}\n\nfailed: {}",
            failures.len(),
            cases.len(),
            failures.join("\n\n"),
            names.join(", ")
        );
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn numbers_compare_exactly_but_across_representations() {
        let n = |s: &str| -> Number { serde_json::from_str(s).expect("number") };
        assert!(numbers_equal(&n("1e+06"), &n("1000000")));
        assert!(numbers_equal(&n("1.0"), &n("1")));
        assert!(numbers_equal(&n("-0.0"), &n("0")));
        assert!(!numbers_equal(
            &n("12345678901234567000"),
            &n("12345678901234567890")
        ));
        assert!(!numbers_equal(
            &n("1.2345678901234567e19"),
            &n("12345678901234567890")
        ));
        assert!(!numbers_equal(&n("0.5"), &n("0")));
    }

    #[test]
    fn diff_report_lists_every_difference() {
        let a = serde_json::json!({"a": 1, "b": [1, 2], "c": {"d": "x"}, "e": 1e6});
        let b = serde_json::json!({"a": 2, "b": [1], "c": {}, "e": 1_000_000});
        let report = diff_report(&a, &b, "helm", "chartsmith").expect("differences");
        assert!(report.contains("a: 1 vs 2"), "{report}");
        assert!(report.contains("b: list of 2 vs list of 1"), "{report}");
        assert!(report.contains("c.d: \"x\" vs <absent>"), "{report}");
        assert!(!report.contains("e:"), "{report}");
        assert!(diff_report(&a, &a, "x", "y").is_none());
    }

    #[test]
    fn helm_documents_are_split_by_source() {
        let out = "---\n# Source: p/charts/sub/templates/values.yaml\n{\"a\":1}\n---\n# Source: p/templates/values.yaml\n{}\n";
        let docs = helm_documents(out);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].0, source_suffix(Some("sub")));
        assert_eq!(docs[1].0, source_suffix(None));
        assert_eq!(
            source_suffix(Some("a/b")),
            "charts/a/charts/b/templates/values.yaml"
        );
    }
}
