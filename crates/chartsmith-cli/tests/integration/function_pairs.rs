//! Every Helm built-in object and function of `book/src/templates-conventions.md` against its
//! chartsmith (Tera) spelling.
//!
//! `fixtures/function-pairs/go` and `fixtures/function-pairs/tera` are one chart, `pairs` (same
//! `Chart.yaml`, `values.yaml`, `files/`, `README.md` and subchart `charts/sub`), whose templates
//! are written twice: as Go templates, rendered by the real helm, and as Tera templates, rendered
//! by chartsmith; one template file per function or object family, with the same name on both
//! sides. For every configuration of [`CONFIGURATIONS`], the output of each template must be
//! byte-identical, but for the exact substitutions listed in [`KNOWN_DIFFERENCES`].
//!
//! A template that fails to render does not hide the others: the chart is rendered again without
//! it, and the failure is reported against that template.
//!
//! The report lists every mismatching template with a line diff of both texts;
//! `FUNCTION_PAIRS_FULL=1` also prints both whole texts, and they are always written under
//! `$TMPDIR/chartsmith-function-pairs/`.
//!
//! Run: `cargo test -p chartsmith-cli --test integration function_pairs -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, root};

/// The chart name of both fixture charts: `# Source:` lines agree without normalisation.
const CHART_NAME: &str = "pairs";

/// The fixture directory, relative to the workspace root.
const FIXTURE: &str = "fixtures/function-pairs";

/// The release name given to both tools.
const RELEASE: &str = "rel";

/// Each configuration: a name and the flags given to both `helm template` and `chartsmith template`.
const CONFIGURATIONS: &[(&str, &[&str])] = &[
    ("defaults", &[]),
    ("kube-version 1.29.3", &["--kube-version", "1.29.3"]),
    (
        "api-versions monitoring.coreos.com/v1",
        &["--api-versions", "monitoring.coreos.com/v1"],
    ),
    ("namespace prod-ns", &["--namespace", "prod-ns"]),
    (
        "kube-version v1.31.0, two api-versions, namespace",
        &[
            "--kube-version",
            "v1.31.0",
            "--api-versions",
            "monitoring.coreos.com/v1/ServiceMonitor,example.com/v1alpha1",
            "--namespace",
            "prod-ns",
        ],
    ),
];

/// An accepted difference: in the helm output of `template`, the text `helm` (which must occur
/// exactly once) stands for the text `chartsmith`.
struct KnownDifference {
    /// The template path, as in `# Source:` lines.
    template: &'static str,
    /// The exact text helm prints.
    helm: &'static str,
    /// The exact text chartsmith prints instead.
    chartsmith: &'static str,
    /// Why the difference is acceptable, in one line.
    reason: &'static str,
}

/// Go keeps every number of values.yaml as a float64 and prints one with Go's float formatting;
/// chartsmith keeps YAML's integers and floats apart. These differences are spellings of the same
/// number; nothing else may differ.
const BIG_INT: &str = "Go holds numbers from values as float64 and prints large whole ones in exponent form; chartsmith keeps the integer";

const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    // quote / squote of numbers
    KnownDifference {
        template: "pairs/templates/quote.yaml",
        helm: "  quote.any.bigInt: |2-\n    \"1.234567890123e+12\"\n",
        chartsmith: "  quote.any.bigInt: |2-\n    \"1234567890123\"\n",
        reason: BIG_INT,
    },
    KnownDifference {
        template: "pairs/templates/quote.yaml",
        helm: "  squote.any.bigInt: |2-\n    '1.234567890123e+12'\n",
        chartsmith: "  squote.any.bigInt: |2-\n    '1234567890123'\n",
        reason: BIG_INT,
    },
    KnownDifference {
        template: "pairs/templates/tostring.yaml",
        helm: "  toString.bigInt: |2-\n    1.234567890123e+12\n",
        chartsmith: "  toString.bigInt: |2-\n    1234567890123\n",
        reason: BIG_INT,
    },
    KnownDifference {
        template: "pairs/templates/tostring.yaml",
        helm: "  str.bigInt: |2-\n    1.234567890123e+12\n",
        chartsmith: "  str.bigInt: |2-\n    1234567890123\n",
        reason: BIG_INT,
    },
];

fn fixture(side: &str) -> PathBuf {
    root().join(FIXTURE).join(side)
}

// ------------------------------------------------------------------------------ chart structure

/// Every file under `dir`, as paths relative to it, `/`-separated.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.expect("directory entry");
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("path under base");
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(parts.join("/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn is_template(rel: &str) -> bool {
    rel.split('/').any(|part| part == "templates")
}

/// The templates that produce output (not partials), as `# Source:` paths
/// (`pairs/templates/x.yaml`, `pairs/charts/sub/templates/y.yaml`).
fn rendered_templates(chart: &Path) -> Vec<String> {
    files_under(chart)
        .into_iter()
        .filter(|rel| is_template(rel))
        .filter(|rel| {
            let base = rel.rsplit('/').next().unwrap_or(rel);
            !base.starts_with('_') && base != "NOTES.txt"
        })
        .map(|rel| format!("{CHART_NAME}/{rel}"))
        .collect()
}

/// The two charts differ only in their templates, and hold templates of the same names.
#[test]
fn function_pairs_charts_share_everything_but_template_syntax() {
    let (go, tera) = (fixture("go"), fixture("tera"));
    let (go_files, tera_files) = (files_under(&go), files_under(&tera));
    assert_eq!(
        go_files, tera_files,
        "go/ and tera/ must hold files of the same names (one template per pair, on both sides)"
    );
    for rel in go_files.iter().filter(|rel| !is_template(rel)) {
        let a = std::fs::read(go.join(rel)).expect("read go/ file");
        let b = std::fs::read(tera.join(rel)).expect("read tera/ file");
        assert!(
            a == b,
            "{rel} differs between go/ and tera/: the two copies must be identical"
        );
    }
    let chart_yaml = std::fs::read_to_string(go.join("Chart.yaml")).expect("Chart.yaml");
    assert!(
        chart_yaml.contains(&format!("\nname: {CHART_NAME}\n")),
        "both charts must be named {CHART_NAME}"
    );
    assert!(
        rendered_templates(&go).len() >= 30,
        "the pairs cover every row of the conventions table"
    );
}

/// The table of known differences is well-formed.
#[test]
fn function_pairs_known_differences_are_well_formed() {
    let templates = rendered_templates(&fixture("go"));
    let mut seen = BTreeSet::new();
    for known in KNOWN_DIFFERENCES {
        assert!(
            templates.iter().any(|t| t == known.template),
            "known difference for a template that does not exist: {}",
            known.template
        );
        assert!(
            seen.insert((known.template, known.helm)),
            "duplicate known difference: {} {:?}",
            known.template,
            known.helm
        );
        assert_ne!(
            known.helm, known.chartsmith,
            "a known difference must differ"
        );
        assert!(
            !known.reason.is_empty() && !known.reason.contains('\n'),
            "a known difference needs a one-line reason"
        );
    }
}

// ------------------------------------------------------------------------------------ rendering

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    Helm,
    Chartsmith,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Helm => "helm",
            Tool::Chartsmith => "chartsmith",
        }
    }

    /// `<tool> template rel <chart> <flags>`, run in the workspace root: the output, or stderr.
    fn template(self, helm: &Path, chart: &Path, flags: &[&str]) -> Result<String, String> {
        let mut command = match self {
            Tool::Helm => {
                let mut c = Command::new(helm);
                c.current_dir(root());
                c
            }
            Tool::Chartsmith => support::chartsmith(),
        };
        let output = command
            .arg("template")
            .arg(RELEASE)
            .arg(chart)
            .args(flags)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.name()));
        if output.status.success() {
            Ok(support::stdout(&output))
        } else {
            Err(format!(
                "{} exited with {}:\n{}",
                self.name(),
                output.status,
                support::stderr(&output).trim_end()
            ))
        }
    }
}

/// The output of each template, keyed by its `# Source:` path: the documents of one template, in
/// output order, each as `---\n<text after the # Source: line>`.
fn split_by_source(output: &str) -> Result<BTreeMap<String, String>, String> {
    const MARKER: &str = "---\n# Source: ";
    let mut docs: BTreeMap<String, String> = BTreeMap::new();
    let Some(start) = output.find(MARKER) else {
        return if output.trim().is_empty() {
            Ok(docs)
        } else {
            Err(format!("output without `# Source:` lines:\n{output}"))
        };
    };
    if !output[..start].trim().is_empty() {
        return Err(format!(
            "text before the first document: {:?}",
            &output[..start]
        ));
    }
    let mut rest = &output[start + MARKER.len()..];
    loop {
        let next = rest.find(&format!("\n{MARKER}")).map(|i| i + 1);
        let (doc, after) = match next {
            Some(i) => (&rest[..i], Some(&rest[i + MARKER.len()..])),
            None => (rest, None),
        };
        let (source, body) = doc.split_once('\n').unwrap_or((doc, ""));
        docs.entry(source.to_string())
            .or_default()
            .push_str(&format!("---\n{body}"));
        match after {
            Some(a) => rest = a,
            None => break,
        }
    }
    Ok(docs)
}

/// What one template rendered to, or why it could not be rendered.
type Rendered = BTreeMap<String, Result<String, String>>;

/// Copies `src` to `dst` recursively.
fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("create directory");
    for entry in std::fs::read_dir(src).expect("list directory") {
        let entry = entry.expect("directory entry");
        let to = dst.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).expect("copy file");
        }
    }
}

/// The file of a `# Source:` path inside a copy of the chart.
fn template_file(chart: &Path, source: &str) -> PathBuf {
    let rel = source
        .strip_prefix(&format!("{CHART_NAME}/"))
        .expect("source path under the chart");
    chart.join(rel)
}

/// Renders `chart` with `tool`: the output of every template. When the chart fails, the template
/// named in the error is set aside (its error recorded) and the rest rendered again; when no
/// template is named, each is rendered on its own.
fn render(tool: Tool, helm: &Path, chart: &Path, flags: &[&str], templates: &[String]) -> Rendered {
    let collect =
        |output: &str, templates: &[String], out: &mut Rendered| match split_by_source(output) {
            Ok(mut docs) => {
                for t in templates {
                    out.insert(t.clone(), Ok(docs.remove(t).unwrap_or_default()));
                }
                for (source, _) in docs {
                    out.insert(
                        source.clone(),
                        Err(format!("{}: output for an unknown template", tool.name())),
                    );
                }
            }
            Err(e) => {
                for t in templates {
                    out.insert(t.clone(), Err(format!("{}: {e}", tool.name())));
                }
            }
        };
    let mut out = Rendered::new();
    let first = tool.template(helm, chart, flags);
    let mut error = match first {
        Ok(output) => {
            collect(&output, templates, &mut out);
            return out;
        }
        Err(e) => e,
    };
    let scratch = tempfile::tempdir().expect("temporary directory");
    let copy = scratch.path().join(CHART_NAME);
    copy_dir(chart, &copy);
    let mut remaining: Vec<String> = templates.to_vec();
    loop {
        let culprit = remaining
            .iter()
            .filter_map(|t| error.find(t.as_str()).map(|i| (i, t.clone())))
            .min()
            .map(|(_, t)| t);
        let Some(culprit) = culprit else { break };
        std::fs::remove_file(template_file(&copy, &culprit)).expect("set a template aside");
        remaining.retain(|t| t != &culprit);
        out.insert(culprit, Err(error.clone()));
        match tool.template(helm, &copy, flags) {
            Ok(output) => {
                collect(&output, &remaining, &mut out);
                return out;
            }
            Err(e) => error = e,
        }
    }
    // The error names no template: render each remaining template alone.
    for t in &remaining {
        let alone = tempfile::tempdir().expect("temporary directory");
        let copy = alone.path().join(CHART_NAME);
        copy_dir(chart, &copy);
        for other in templates.iter().filter(|o| *o != t) {
            let _ = std::fs::remove_file(template_file(&copy, other));
        }
        match tool.template(helm, &copy, flags) {
            Ok(output) => collect(&output, std::slice::from_ref(t), &mut out),
            Err(e) => {
                out.insert(t.clone(), Err(e));
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------ reporting

/// A line diff of `a` (helm) and `b` (chartsmith): changed lines with one line of context, each
/// with its line number.
fn line_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.split('\n').collect();
    let b: Vec<&str> = b.split('\n').collect();
    let mut prefix = 0;
    while prefix < a.len() && prefix < b.len() && a[prefix] == b[prefix] {
        prefix += 1;
    }
    let mut suffix = 0;
    while suffix < a.len() - prefix
        && suffix < b.len() - prefix
        && a[a.len() - 1 - suffix] == b[b.len() - 1 - suffix]
    {
        suffix += 1;
    }
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // (line of a, line of b, op): ' ' same, '-' helm only, '+' chartsmith only.
    let mut ops: Vec<(usize, usize, char)> = Vec::new();
    if am.len().saturating_mul(bm.len()) <= 4_000_000 {
        let mut lcs = vec![vec![0u32; bm.len() + 1]; am.len() + 1];
        for i in (0..am.len()).rev() {
            for j in (0..bm.len()).rev() {
                lcs[i][j] = if am[i] == bm[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < am.len() || j < bm.len() {
            if i < am.len() && j < bm.len() && am[i] == bm[j] {
                ops.push((i, j, ' '));
                i += 1;
                j += 1;
            } else if i < am.len() && (j == bm.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push((i, j, '-'));
                i += 1;
            } else {
                ops.push((i, j, '+'));
                j += 1;
            }
        }
    } else {
        ops.extend((0..am.len()).map(|i| (i, 0, '-')));
        ops.extend((0..bm.len()).map(|j| (am.len(), j, '+')));
    }
    let mut out = String::new();
    let context = |out: &mut String, index: usize| {
        let _ = writeln!(out, "      {:>4} | {}", index + 1, a[index]);
    };
    if prefix > 0 {
        context(&mut out, prefix - 1);
    }
    let mut skipped = false;
    for (k, &(i, j, op)) in ops.iter().enumerate() {
        match op {
            ' ' => {
                let near = (k > 0 && ops[k - 1].2 != ' ')
                    || ops.get(k + 1).is_some_and(|next| next.2 != ' ');
                if near {
                    context(&mut out, prefix + i);
                    skipped = false;
                } else if !skipped {
                    out.push_str("      ...\n");
                    skipped = true;
                }
            }
            '-' => {
                let _ = writeln!(out, "  helm {:>4} | {}", prefix + i + 1, am[i]);
            }
            _ => {
                let _ = writeln!(out, "  cs   {:>4} | {}", prefix + j + 1, bm[j]);
            }
        }
    }
    if suffix > 0 {
        context(&mut out, a.len() - suffix);
    }
    out
}

/// Where the whole texts of mismatching templates are written.
fn report_dir() -> PathBuf {
    std::env::temp_dir().join("chartsmith-function-pairs")
}

fn file_name(configuration: &str, template: &str) -> String {
    format!("{configuration}--{template}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------ test

/// One failed comparison.
struct Failure {
    template: String,
    /// A description of what differs, the same for every configuration it occurs in.
    detail: String,
    configurations: Vec<&'static str>,
}

#[test]
fn function_pairs_render_like_helm() {
    let Some(helm) = support::helm() else { return };
    let (go, tera) = (fixture("go"), fixture("tera"));
    let templates = rendered_templates(&go);
    assert_eq!(
        templates,
        rendered_templates(&tera),
        "go/ and tera/ must hold the same templates"
    );
    let full = std::env::var_os("FUNCTION_PAIRS_FULL").is_some();
    let _ = std::fs::remove_dir_all(report_dir());
    let mut failures: Vec<Failure> = Vec::new();
    let mut stale: Vec<String> = Vec::new();
    let mut passed: BTreeMap<String, usize> = BTreeMap::new();
    let mut record = |template: &str, detail: String, configuration: &'static str| match failures
        .iter_mut()
        .find(|f| f.template == template && f.detail == detail)
    {
        Some(f) => f.configurations.push(configuration),
        None => failures.push(Failure {
            template: template.to_string(),
            detail,
            configurations: vec![configuration],
        }),
    };
    for &(configuration, flags) in CONFIGURATIONS {
        let expected = render(Tool::Helm, &helm, &go, flags, &templates);
        let actual = render(Tool::Chartsmith, &helm, &tera, flags, &templates);
        let sources: BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
        for template in sources {
            let helm_text = match expected.get(template) {
                Some(Ok(text)) => text.clone(),
                Some(Err(e)) => {
                    record(
                        template,
                        format!("helm fails (a fixture bug):\n{e}"),
                        configuration,
                    );
                    continue;
                }
                None => {
                    record(
                        template,
                        "helm renders no such template".into(),
                        configuration,
                    );
                    continue;
                }
            };
            let mut helm_text = helm_text;
            for known in KNOWN_DIFFERENCES.iter().filter(|k| k.template == *template) {
                match helm_text.matches(known.helm).count() {
                    1 => helm_text = helm_text.replacen(known.helm, known.chartsmith, 1),
                    n => stale.push(format!(
                        "[{configuration}] {template}: the known difference {:?} occurs {n} times in helm's output (must be once)",
                        known.helm
                    )),
                }
            }
            let chartsmith_text = match actual.get(template) {
                Some(Ok(text)) => text.clone(),
                Some(Err(e)) => {
                    record(
                        template,
                        format!(
                            "chartsmith fails where helm renders:\n{e}\n--- helm:\n{helm_text}"
                        ),
                        configuration,
                    );
                    continue;
                }
                None => {
                    record(
                        template,
                        "chartsmith renders no such template".into(),
                        configuration,
                    );
                    continue;
                }
            };
            if helm_text == chartsmith_text {
                *passed.entry(template.clone()).or_default() += 1;
                continue;
            }
            let dir = report_dir();
            let _ = std::fs::create_dir_all(&dir);
            let base = file_name(configuration, template);
            let _ = std::fs::write(dir.join(format!("{base}.helm")), &helm_text);
            let _ = std::fs::write(dir.join(format!("{base}.chartsmith")), &chartsmith_text);
            let mut detail = format!(
                "outputs differ (`helm N |`: line N of helm's text after KNOWN_DIFFERENCES; `cs N |`: line N of chartsmith's):\n{}",
                line_diff(&helm_text, &chartsmith_text)
            );
            if full {
                let _ = write!(
                    detail,
                    "--- helm (after KNOWN_DIFFERENCES)\n{helm_text}\n--- chartsmith\n{chartsmith_text}\n"
                );
            }
            record(template, detail, configuration);
        }
    }

    let all_configurations = CONFIGURATIONS.len();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "function pairs: {} templates x {all_configurations} configurations",
        templates.len()
    );
    let fully_passing: Vec<&String> = passed
        .iter()
        .filter(|(_, n)| **n == all_configurations)
        .map(|(t, _)| t)
        .collect();
    let _ = writeln!(
        report,
        "byte-identical in every configuration ({}): {}",
        fully_passing.len(),
        fully_passing
            .iter()
            .map(|t| t.strip_prefix(&format!("{CHART_NAME}/")).unwrap_or(t))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if failures.is_empty() && stale.is_empty() {
        eprintln!("{report}");
        return;
    }
    let failing: BTreeSet<&str> = failures.iter().map(|f| f.template.as_str()).collect();
    let _ = writeln!(report, "\nMISMATCHING PAIRS ({}):", failing.len());
    for t in &failing {
        let _ = writeln!(report, "  - {t}");
    }
    for s in &stale {
        let _ = writeln!(report, "  - stale KNOWN_DIFFERENCES entry: {s}");
    }
    for f in &failures {
        let configurations = if f.configurations.len() == all_configurations {
            "every configuration".to_string()
        } else {
            f.configurations.join("; ")
        };
        let _ = writeln!(
            report,
            "\n=== {} [{configurations}]\n{}",
            f.template, f.detail
        );
    }
    let _ = writeln!(
        report,
        "\nwhole texts of the mismatching templates: {} (FUNCTION_PAIRS_FULL=1 prints them here)",
        report_dir().display()
    );
    eprintln!("{report}");
    panic!(
        "{} function pair(s) render differently in helm and chartsmith: {}",
        failing.len(),
        failing.iter().copied().collect::<Vec<_>>().join(", ")
    );
}
