//! `chartsmith lint`: render each chart, run the rules, print rustc-style or JSON findings.

use std::path::Path;

use anyhow::Result;
use chartsmith::lint::{Diagnostic, LintOptions, lint};

use crate::args::{LintArgs, LintFormat};
use crate::output::{Exit, json, out};
use crate::progress::resolve_chart;

pub fn run_lint(args: LintArgs) -> Result<()> {
    let user_values = args.values.to_options().merge()?;
    let options = LintOptions {
        template: args.render.template_options(&args.name)?,
        external: args.external.clone(),
        disabled: args.disable.clone(),
        // The schemas follow --kube-version through the capabilities above.
        kube_version: None,
    };
    let mut all = Vec::new();
    let mut failures = 0;
    let mut text = String::new();
    for path in &args.charts {
        let local = resolve_chart(path, args.source.options())?;
        let chart = chartsmith::chart::loader::load(&local)?;
        let report = lint(&chart, &user_values, &options)?;
        failures += report.failures(args.strict);
        for d in &report.diagnostics {
            text.push_str(&render(d));
        }
        let (errors, warnings) = count(&report.diagnostics);
        text.push_str(&format!(
            "{}: {} error(s), {} warning(s)\n",
            path, errors, warnings
        ));
        all.extend(report.diagnostics);
    }
    match args.output {
        LintFormat::Json => out(&json(&chartsmith::lint::to_json(&all))?)?,
        LintFormat::Text => out(&text)?,
    }
    if failures > 0 {
        return Err(Exit(1).into());
    }
    Ok(())
}

/// `template --validate`: the findings (not the info ones) on standard error, in the format of
/// `lint`, with the summary line when there are any.
pub(crate) fn report_to_stderr(chart: &Path, report: &chartsmith::lint::LintReport) -> Result<()> {
    use std::io::Write;
    let shown: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity != chartsmith::lint::Severity::Info)
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    let mut text: String = shown.iter().map(|d| render(d)).collect();
    let (errors, warnings) = count(&report.diagnostics);
    text.push_str(&format!(
        "{}: {errors} error(s), {warnings} warning(s)\n",
        chart.display()
    ));
    let mut stderr = std::io::stderr().lock();
    stderr.write_all(text.as_bytes())?;
    stderr.flush()?;
    Ok(())
}

fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    use chartsmith::lint::Severity;
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    (errors, warnings)
}

/// One finding, rustc style: the message, the location, the rendered line marked, the hint.
fn render(d: &Diagnostic) -> String {
    let mut s = format!("{}[{}]: {}\n", d.severity, d.rule, d.message);
    let location = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", d.file),
        (Some(l), None) => format!("{}:{l}", d.file),
        _ => d.file.clone(),
    };
    s.push_str(&format!("  --> {location}"));
    if let Some(resource) = &d.resource {
        s.push_str(&format!(" ({resource})"));
    }
    s.push('\n');
    if let (Some(line), Some(snippet)) = (d.line, &d.snippet) {
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        let column = d.column.unwrap_or(1).max(1);
        let width = snippet.trim_end().len().saturating_sub(column - 1).max(1);
        s.push_str(&format!(
            "{pad} |\n{number} | {snippet}\n{pad} | {}{}\n",
            " ".repeat(column - 1),
            "^".repeat(width)
        ));
    }
    s.push_str(&format!("  = help: {}\n\n", d.hint));
    // Messages, file names and rendered lines quote the chart: no raw control character from a
    // chart reaches the terminal.
    chartsmith::text::escape_multiline(&s).into_owned()
}
