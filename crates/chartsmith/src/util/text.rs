//! Quoting input in messages: [`escape`] makes a string from a chart, an archive or a values file
//! safe to print on a terminal, [`quote`] also shortens it. Every message that quotes input (a chart
//! field, a file or entry name, a key) goes through one of them, so that no escape sequence from a
//! hostile chart (ESC `[2J`, a CR that rewrites the line, a BEL, a bidirectional override that
//! reorders what is shown) reaches the terminal.
//!
//! May import: the standard library only.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as is: C0 and C1 control characters, DEL, and the Unicode
/// bidirectional formatting characters (which make text display in another order than it reads).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character of [`is_unsafe_char`] written as a Rust-style escape (`\n`, `\r`,
/// `\t`, `\u{1b}`, …) and backslashes left alone; borrowed when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] line by line: line breaks are kept (a multi-line report stays readable), every other
/// unsafe character is escaped.
pub fn escape_multiline(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(escape).collect::<Vec<_>>().join("\n"))
}

/// The longest quoted input, in characters, before [`quote`] shortens it.
pub const MAX_QUOTED_CHARS: usize = 120;

/// `s` escaped ([`escape`]) and, when longer than [`MAX_QUOTED_CHARS`], cut in the middle with
/// `…` so that both the start and the end (often the telling part of a path) stay visible.
pub fn quote(s: &str) -> String {
    let escaped = escape(s);
    let count = escaped.chars().count();
    if count <= MAX_QUOTED_CHARS {
        return escaped.into_owned();
    }
    let keep = (MAX_QUOTED_CHARS - 1) / 2;
    let head: String = escaped.chars().take(keep).collect();
    let tail: String = escaped.chars().skip(count - keep).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(escape("café/values.yaml"), Cow::Borrowed(_)));
        assert_eq!(escape(r"a\b"), r"a\b");
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ry\n\t\u{7}"), "x\\ry\\n\\t\\u{7}");
        assert_eq!(escape("\u{7f}\u{9b}"), "\\u{7f}\\u{9b}");
        assert_eq!(escape("evil\u{202e}txt.yaml"), "evil\\u{202e}txt.yaml");
        assert!(!escape("\u{1b}]0;title\u{7}").chars().any(is_unsafe_char));
    }

    #[test]
    fn multiline_reports_keep_their_lines() {
        assert_eq!(escape_multiline("a\nb\r\n\u{1b}c"), "a\nb\\r\n\\u{1b}c");
        assert!(matches!(escape_multiline("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_input_is_shortened_in_the_middle() {
        let long = format!("start{}end", "x".repeat(500));
        let q = quote(&long);
        assert_eq!(q.chars().count(), 2 * ((MAX_QUOTED_CHARS - 1) / 2) + 1);
        assert!(q.starts_with("start") && q.ends_with("end"), "{q}");
        assert_eq!(quote("short"), "short");
    }
}
