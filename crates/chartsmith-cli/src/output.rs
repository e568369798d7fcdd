//! What the verbs print: standard output, JSON, tables, and exit statuses other than 0 and 1.

use std::io::Write;

use anyhow::Result;

/// Writes `text` to standard output and flushes it.
pub(crate) fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// `value` as pretty JSON with a final line feed.
pub(crate) fn json(value: &serde_json::Value) -> Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(value)?))
}

/// Rows as Helm prints tables: columns padded to their widest cell and tab-separated, the last
/// column unpadded, trailing blanks trimmed.
pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}\t", width = widths[c]));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// An exit status other than 0 or 1, returned as an error so that output is flushed first.
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

impl std::error::Error for Exit {}
