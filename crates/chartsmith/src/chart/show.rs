//! `chartsmith show`: parts of a chart, printed as `helm show` prints them.
//!
//! May import: the chart model only.

use crate::chart::Chart;

/// Which part of a chart to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `Chart.yaml`, as YAML with sorted keys.
    Chart,
    /// `values.yaml` as written, comments included.
    Values,
    /// The README.
    Readme,
    /// `values.schema.json`.
    Schema,
    /// The CRDs of the chart and its subcharts.
    Crds,
    /// Chart, values, README and CRDs, separated by `---`.
    All,
}

/// The text `helm show PART` prints for `chart`: each part followed by a newline, a missing part
/// printing nothing.
pub fn show(chart: &Chart, part: Part) -> String {
    let line = |text: String| format!("{text}\n");
    let values = || chart.raw_values.clone().map(line);
    let readme = || {
        chart
            .readme()
            .map(|f| line(String::from_utf8_lossy(&f.data).into_owned()))
    };
    let crds = || {
        let mut out = String::new();
        collect_crds(chart, &mut out);
        out
    };
    match part {
        Part::Chart => line(chart.metadata.to_yaml()),
        Part::Values => values().unwrap_or_default(),
        Part::Readme => readme().unwrap_or_default(),
        Part::Schema => chart
            .schema
            .as_ref()
            .map(|s| line(String::from_utf8_lossy(s).into_owned()))
            .unwrap_or_default(),
        Part::Crds => crds(),
        Part::All => {
            let mut out = line(chart.metadata.to_yaml());
            for section in [values(), readme()].into_iter().flatten() {
                out.push_str("---\n");
                out.push_str(&section);
            }
            out.push_str(&crds());
            out
        }
    }
}

fn collect_crds(chart: &Chart, out: &mut String) {
    for crd in chart.crds() {
        out.push_str(&format!("---\n{}\n", String::from_utf8_lossy(&crd.data)));
    }
    for sub in &chart.dependencies {
        collect_crds(sub, out);
    }
}
