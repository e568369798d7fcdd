//! Helm's SemVer constraint language.
//!
//! Helm checks versions with the Go library Masterminds/semver (v3): the
//! `semverCompare` template function, the `kubeVersion` field of `Chart.yaml`
//! and the version ranges of chart dependencies all use its syntax and rules.
//! The [`semver`] crate's `VersionReq` speaks Cargo's dialect instead, so this
//! module parses the constraint text itself and only borrows
//! [`semver::Version`] for storage and precedence ordering.
//!
//! The rules reproduced here (those of Masterminds/semver 3.4):
//!
//! * Comparators: `=` (or none), `!=`, `>`, `<`, `>=` (or `=>`), `<=` (or
//!   `=<`), `~` (or `~>`) and `^`, each followed by a version that may start
//!   with `v` and may be partial (`1`, `1.2`) or use the wildcards `x`, `X` and
//!   `*` in any position.
//! * Comparators are ANDed when separated by whitespace or a comma, and groups
//!   of them are ORed with `||`.
//! * A hyphen range `A - B` (spaces required around the hyphen) means
//!   `>= A, <= B`.
//! * A partial or wildcard version widens the comparator: `1.2` and `=1.2`
//!   mean `1.2.x`, `>1.2` means `>=1.3.0`, `<=1.2` means `<1.3.0`, `!=1.x`
//!   excludes every `1.y.z`.
//! * `~1.2.3` means `>=1.2.3 <1.3.0`, `~1` means `>=1.0.0 <2.0.0`; `^1.2.3`
//!   means `>=1.2.3 <2.0.0`, `^0.2.3` means `>=0.2.3 <0.3.0` and `^0.0.3` means
//!   exactly `0.0.3`.
//! * A version carrying a prerelease (`1.2.3-beta`) only satisfies an AND group
//!   in which at least one comparator carries a prerelease itself; `>=1.19.0-0`
//!   therefore admits `1.29.3-eks-ab12` while `>=1.19.0` does not.
//! * Build metadata never takes part in a comparison.
//!
//! Masterminds parses with regular expressions; the hand-written scanner below
//! follows those expressions closely enough to accept and reject the same
//! strings, oddities included (see the tests for the surprising ones).
//!
//! May import: nothing of the crate.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use semver::{BuildMetadata, Prerelease, Version};

/// Longest constraint or version text accepted, in bytes.
const MAX_INPUT_LEN: usize = 1024;

/// Most comparators accepted in one constraint, over all of its OR groups.
const MAX_COMPARATORS: usize = 256;

/// A parsed constraint such as `>=1.2.0 <2.0.0`, `^1.2 || ^2.0`, `~1.2.3`,
/// `1.2.x`, `1.2 - 1.4.5`, `>=1.19-0`, `*`.
///
/// It is an OR of AND groups of comparators, checked with the rules of
/// Masterminds/semver v3 (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The text the constraint was parsed from, shown by `Display`.
    original: String,
    /// The `||`-separated alternatives; any one of them must hold.
    groups: Vec<Group>,
}

/// Why a constraint or a version could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint `{input}`: {reason}")]
pub struct ConstraintError {
    /// The text that was being parsed (the whole constraint, or the version).
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ConstraintError {
    fn new(input: &str, reason: impl Into<String>) -> Self {
        ConstraintError {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}

/// An AND group: every comparator must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    comparators: Vec<Comparator>,
    /// Whether some comparator of the group names a prerelease, which lets
    /// prerelease versions be considered by the whole group.
    has_prerelease: bool,
}

/// The operation of one comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `=` or no operator: equality, or a tilde range for a partial version.
    Equal,
    /// `!=`
    NotEqual,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `>=` or `=>`
    GreaterEq,
    /// `<=` or `=<`
    LessEq,
    /// `~` or `~>`
    Tilde,
    /// `^`
    Caret,
}

/// One comparator, e.g. `>=1.2` or `~1.x`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparator {
    op: Op,
    /// The version with wildcards and missing parts replaced by 0.
    version: Version,
    /// Some part of the version was a wildcard or missing.
    dirty: bool,
    /// The minor (and so the patch) part was a wildcard or missing.
    minor_dirty: bool,
    /// The patch part (only) was a wildcard or missing.
    patch_dirty: bool,
}

impl Constraint {
    /// Parse a constraint in Helm's (Masterminds/semver v3) syntax.
    ///
    /// Errors name the input and say what is wrong. An empty or blank string
    /// is an error, as it is for Masterminds' `NewConstraint`; write `*` for
    /// "any release".
    pub fn parse(input: &str) -> Result<Constraint, ConstraintError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(ConstraintError::new(
                &truncate(input),
                format!("longer than {MAX_INPUT_LEN} bytes"),
            ));
        }
        let rewritten = rewrite_ranges(input);
        let mut groups = Vec::new();
        let mut count = 0usize;
        for segment in rewritten.split("||") {
            let raws = scan_group(segment).ok_or_else(|| {
                let note = if rewritten == input {
                    ""
                } else {
                    " (after rewriting hyphen ranges)"
                };
                ConstraintError::new(
                    input,
                    format!("improper constraint `{}`{note}", segment.trim()),
                )
            })?;
            count += raws.len();
            if count > MAX_COMPARATORS {
                return Err(ConstraintError::new(
                    input,
                    format!("more than {MAX_COMPARATORS} comparators"),
                ));
            }
            let comparators = raws
                .iter()
                .map(|raw| {
                    raw.build()
                        .map_err(|reason| ConstraintError::new(input, reason))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let has_prerelease = comparators.iter().any(|c| !c.version.pre.is_empty());
            groups.push(Group {
                comparators,
                has_prerelease,
            });
        }
        Ok(Constraint {
            original: input.to_owned(),
            groups,
        })
    }

    /// Whether `version` satisfies the constraint (Masterminds' `Check`).
    ///
    /// Build metadata of `version` is ignored; a prerelease `version` can only
    /// satisfy an AND group that mentions a prerelease.
    pub fn matches(&self, version: &Version) -> bool {
        self.groups.iter().any(|group| {
            group
                .comparators
                .iter()
                .all(|c| c.check(version, group.has_prerelease))
        })
    }

    /// The text the constraint was parsed from.
    pub fn as_str(&self) -> &str {
        &self.original
    }
}

impl FromStr for Constraint {
    type Err = ConstraintError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Constraint::parse(s)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Parse a version leniently as Masterminds' `NewVersion` does: optional `v`
/// prefix, missing minor/patch filled with 0 (`1.2` → 1.2.0, `v1` → 1.0.0),
/// leading zeros in the numbers tolerated (`01.2.3` → 1.2.3), prerelease and
/// build metadata kept. Surrounding whitespace is not allowed. The error names
/// the input.
pub fn parse_version(input: &str) -> Result<Version, ConstraintError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(ConstraintError::new(
            &truncate(input),
            format!("version longer than {MAX_INPUT_LEN} bytes"),
        ));
    }
    coerce_version(input)
        .map_err(|reason| ConstraintError::new(input, format!("bad version: {reason}")))
}

/// Helm's `semverCompare`: parse `constraint` and `version` (leniently, see
/// [`parse_version`]) and return whether the version satisfies the
/// constraint.
pub fn semver_compare(constraint: &str, version: &str) -> Result<bool, ConstraintError> {
    let constraint = Constraint::parse(constraint)?;
    let version = parse_version(version)?;
    Ok(constraint.matches(&version))
}

/// The first bytes of an over-long input, for an error message.
fn truncate(input: &str) -> String {
    let mut end = 64.min(input.len());
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &input[..end])
}

// ---------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------

impl Comparator {
    /// Whether `v` satisfies this comparator; `include_pre` says whether the
    /// comparator's group lets prerelease versions through.
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.version;
        let ord = v.cmp_precedence(c);
        match self.op {
            Op::Equal => {
                if self.dirty {
                    self.tilde(v, ord)
                } else {
                    ord == Ordering::Equal
                }
            }
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    }
                    if self.minor_dirty {
                        return false;
                    }
                    if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    }
                    if self.patch_dirty {
                        // Same major.minor: only a differing prerelease makes
                        // the version differ from `x.y.*-pre`.
                        return v.pre != c.pre;
                    }
                    // A wildcard major (`!=*`) ends up comparing with 0.0.0.
                }
                ord != Ordering::Equal
            }
            Op::Greater => {
                if !self.dirty {
                    return ord == Ordering::Greater;
                }
                match v.major.cmp(&c.major) {
                    Ordering::Greater => true,
                    Ordering::Less => false,
                    Ordering::Equal if self.minor_dirty => false,
                    Ordering::Equal if self.patch_dirty => v.minor > c.minor,
                    Ordering::Equal => ord == Ordering::Greater,
                }
            }
            Op::Less => ord == Ordering::Less,
            Op::GreaterEq => ord != Ordering::Less,
            Op::LessEq => {
                if !self.dirty {
                    return ord != Ordering::Greater;
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            Op::Tilde => self.tilde(v, ord),
            Op::Caret => {
                if ord == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                // From here on the constraint's major is 0.
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                v.patch == c.patch
            }
        }
    }

    /// The tilde rule, shared by `~` and by `=` with a partial version.
    fn tilde(&self, v: &Version, ord: Ordering) -> bool {
        let c = &self.version;
        if ord == Ordering::Less {
            return false;
        }
        // `~0.0.0` (and `~*`) admit everything from 0.0.0 on.
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}

// ---------------------------------------------------------------------------
// Scanning
// ---------------------------------------------------------------------------

/// Whitespace as Go's regexp `\s` knows it (ASCII only, no vertical tab).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// A character of a number in a constraint version. Masterminds' class is
/// `[0-9|x|X|\*]`, which (unintentionally) admits `|` as well.
fn is_constraint_num(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'x' | b'X' | b'*' | b'|')
}

/// A character of a prerelease or build identifier.
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn skip_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

fn skip_while(s: &[u8], mut i: usize, class: fn(u8) -> bool) -> usize {
    while i < s.len() && class(s[i]) {
        i += 1;
    }
    i
}

/// Where a version starting at some position ends, and its parts, all as
/// byte ranges into the scanned text.
#[derive(Debug, Clone, Copy)]
struct Shape {
    start: usize,
    end: usize,
    major: (usize, usize),
    minor: Option<(usize, usize)>,
    patch: Option<(usize, usize)>,
    /// The prerelease, without its `-`.
    pre: Option<(usize, usize)>,
    /// The build metadata, without its `+`.
    build: Option<(usize, usize)>,
}

/// Match `v?N(\.N)?(\.N)?(-ID(\.ID)*)?(\+ID(\.ID)*)?` at `start`, greedily,
/// where `N` is a non-empty run of `num` characters. Every part is optional
/// but the major number, and the character classes are disjoint enough that
/// the greedy match is the only one a regular expression engine could use.
fn match_shape(s: &[u8], start: usize, num: fn(u8) -> bool) -> Option<Shape> {
    let mut i = start;
    if s.get(i) == Some(&b'v') {
        i += 1;
    }
    let major_end = skip_while(s, i, num);
    if major_end == i {
        return None;
    }
    let major = (i, major_end);
    i = major_end;

    let dotted = |i: &mut usize| -> Option<(usize, usize)> {
        if s.get(*i) == Some(&b'.') && s.get(*i + 1).is_some_and(|&b| num(b)) {
            let end = skip_while(s, *i + 1, num);
            let part = (*i + 1, end);
            *i = end;
            Some(part)
        } else {
            None
        }
    };
    let minor = dotted(&mut i);
    let patch = dotted(&mut i);

    let idents = |i: &mut usize, lead: u8| -> Option<(usize, usize)> {
        if s.get(*i) != Some(&lead) || !s.get(*i + 1).is_some_and(|&b| is_ident(b)) {
            return None;
        }
        let begin = *i + 1;
        let mut end = skip_while(s, begin, is_ident);
        while s.get(end) == Some(&b'.') && s.get(end + 1).is_some_and(|&b| is_ident(b)) {
            end = skip_while(s, end + 1, is_ident);
        }
        *i = end;
        Some((begin, end))
    };
    let pre = idents(&mut i, b'-');
    let build = idents(&mut i, b'+');

    Some(Shape {
        start,
        end: i,
        major,
        minor,
        patch,
        pre,
        build,
    })
}

/// Rewrite every hyphen range `A - B` into `>= A, <= B `, as Masterminds does
/// before anything else (and so before splitting on `||`).
///
/// This mirrors its unanchored pattern `\s*(V)\s+-\s+(V)\s*`: matches are
/// found left to right without overlapping, each includes the whitespace
/// around it, and each is then replaced at the first place its text occurs.
/// Swallowing the leading whitespace is why `1.0 2.0 - 3.0` ends up invalid
/// (`1.0>= 2.0, ...`) while `1.0, 2.0 - 3.0` is fine.
fn rewrite_ranges(input: &str) -> String {
    let s = input.as_bytes();
    let mut found: Vec<(usize, usize, Shape, Shape)> = Vec::new();
    let mut p = 0;
    while p < s.len() {
        match match_range_at(s, p) {
            Some((end, low, high)) => {
                found.push((p, end, low, high));
                p = end;
            }
            None => p += 1,
        }
    }
    if found.is_empty() {
        return input.to_owned();
    }
    let mut out = input.to_owned();
    for (start, end, low, high) in found {
        let whole = &input[start..end];
        let replacement = format!(
            ">= {}, <= {} ",
            &input[low.start..low.end],
            &input[high.start..high.end]
        );
        if let Some(at) = out.find(whole) {
            out.replace_range(at..at + whole.len(), &replacement);
        }
    }
    out
}

/// Try the hyphen-range pattern at `p`: the end of the match and the two
/// versions.
fn match_range_at(s: &[u8], p: usize) -> Option<(usize, Shape, Shape)> {
    let i = skip_space(s, p);
    let low = match_shape(s, i, is_constraint_num)?;
    let mut j = skip_space(s, low.end);
    if j == low.end || s.get(j) != Some(&b'-') {
        return None;
    }
    let k = skip_space(s, j + 1);
    if k == j + 1 {
        return None;
    }
    let high = match_shape(s, k, is_constraint_num)?;
    j = skip_space(s, high.end);
    Some((j, low, high))
}

/// A comparator as scanned, before its version is interpreted.
struct RawComparator<'a> {
    op: &'a str,
    text: &'a str,
    shape: Shape,
}

/// Scan one `||`-separated group: comparators (an optional operator, optional
/// whitespace, a version) separated by whitespace or by a comma with optional
/// whitespace around it, with optional whitespace at both ends. `None` if the
/// group does not have that form.
fn scan_group(segment: &str) -> Option<Vec<RawComparator<'_>>> {
    let s = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_space(s, 0);
    loop {
        let op = scan_op(&s[i..]);
        let at = skip_space(s, i + op);
        let shape = match_shape(s, at, is_constraint_num)?;
        out.push(RawComparator {
            op: &segment[i..i + op],
            text: &segment[shape.start..shape.end],
            shape,
        });
        if out.len() > MAX_COMPARATORS {
            // The caller reports the limit; stop scanning early.
            return Some(out);
        }
        let after = skip_space(s, shape.end);
        if after == s.len() {
            return Some(out);
        }
        if s[after] == b',' {
            i = skip_space(s, after + 1);
        } else if after > shape.end {
            i = after;
        } else {
            return None;
        }
    }
}

/// The length of the operator at the start of `s` (0 when there is none).
/// Only the longest operator that is a prefix can be followed by a version,
/// since no version starts with `=`, `<` or `>`.
fn scan_op(s: &[u8]) -> usize {
    const TWO: [&[u8]; 6] = [b"!=", b">=", b"=>", b"<=", b"=<", b"~>"];
    if TWO.iter().any(|op| s.starts_with(op)) {
        2
    } else if matches!(s.first(), Some(b'=' | b'>' | b'<' | b'~' | b'^')) {
        1
    } else {
        0
    }
}

impl RawComparator<'_> {
    /// Interpret the scanned comparator as Masterminds' `parseConstraint`
    /// does: a wildcard or missing part zeroes itself and everything after
    /// it (build metadata included) and marks the comparator "dirty"; the
    /// resulting text is then parsed as a lenient version.
    fn build(&self) -> Result<Comparator, String> {
        let op = match self.op {
            "" | "=" => Op::Equal,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterEq,
            "<=" | "=<" => Op::LessEq,
            "~" | "~>" => Op::Tilde,
            "^" => Op::Caret,
            other => return Err(format!("unknown operator `{other}`")),
        };
        let base = self.shape.start;
        let part = |(a, b): (usize, usize)| &self.text[a - base..b - base];
        let is_x = |p: &str| matches!(p, "x" | "X" | "*");
        let pre = match self.shape.pre {
            Some(range) => format!("-{}", part(range)),
            None => String::new(),
        };
        let major = part(self.shape.major);
        let minor = self.shape.minor.map(part);
        let patch = self.shape.patch.map(part);

        let (text, minor_dirty, patch_dirty, dirty) = match (minor, patch) {
            _ if is_x(major) => (format!("0.0.0{pre}"), false, false, true),
            (None, _) => (format!("{major}.0.0{pre}"), true, false, true),
            (Some(minor), _) if is_x(minor) => (format!("{major}.0.0{pre}"), true, false, true),
            (Some(minor), None) => (format!("{major}.{minor}.0{pre}"), false, true, true),
            (Some(minor), Some(patch)) if is_x(patch) => {
                (format!("{major}.{minor}.0{pre}"), false, true, true)
            }
            _ => (self.text.to_owned(), false, false, false),
        };
        let version = coerce_version(&text).map_err(|reason| {
            format!(
                "bad version `{}` in comparator `{}{}`: {reason}",
                self.text, self.op, self.text
            )
        })?;
        Ok(Comparator {
            op,
            version,
            dirty,
            minor_dirty,
            patch_dirty,
        })
    }
}

/// Masterminds' lenient `NewVersion`: the whole text must be
/// `v?[0-9]+(\.[0-9]+)?(\.[0-9]+)?(-pre)?(\+build)?`, numbers fit in 64 bits
/// (leading zeros allowed), and prerelease numbers have no leading zeros.
fn coerce_version(text: &str) -> Result<Version, String> {
    let s = text.as_bytes();
    if s.is_empty() {
        return Err("empty version".to_owned());
    }
    let shape = match match_shape(s, 0, |b| b.is_ascii_digit()) {
        Some(shape) if shape.end == s.len() => shape,
        _ => return Err("not a semantic version".to_owned()),
    };
    let number = |range: Option<(usize, usize)>, what: &str| -> Result<u64, String> {
        match range {
            None => Ok(0),
            Some((a, b)) => text[a..b]
                .parse::<u64>()
                .map_err(|_| format!("{what} number `{}` is too large", &text[a..b])),
        }
    };
    let major = number(Some(shape.major), "major")?;
    let minor = number(shape.minor, "minor")?;
    let patch = number(shape.patch, "patch")?;
    let pre = match shape.pre {
        None => Prerelease::EMPTY,
        Some((a, b)) => Prerelease::new(&text[a..b])
            .map_err(|e| format!("invalid prerelease `{}`: {e}", &text[a..b]))?,
    };
    let build = match shape.build {
        None => BuildMetadata::EMPTY,
        Some((a, b)) => BuildMetadata::new(&text[a..b])
            .map_err(|e| format!("invalid build metadata `{}`: {e}", &text[a..b]))?,
    };
    Ok(Version {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> Version {
        parse_version(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// (constraint, version, expected) — checked against Masterminds/semver
    /// 3.4.0's `NewConstraint(c).Check(NewVersion(v))`.
    const CASES: &[(&str, &str, bool)] = &[
        // Plain and explicit equality.
        ("1.2.3", "1.2.3", true),
        ("=1.2.3", "1.2.4", false),
        ("= 2.0.0", "2.0.0", true),
        ("v1.2.3", "1.2.3", true),
        ("1.2.3", "v1.2.3", true),
        ("1.2.3+build.5", "1.2.3+other", true),
        ("=1.2.3-beta.1", "1.2.3-beta.1", true),
        // Partial versions and wildcards as x-ranges.
        ("1.2", "1.2.9", true),
        ("1.2", "1.3.0", false),
        ("=2", "2.9.9", true),
        ("2", "3.0.0", false),
        ("1.2.x", "1.2.7", true),
        ("1.2.X", "1.3.0", false),
        ("1.*", "1.9.0", true),
        ("1.x.x", "2.0.0", false),
        ("*", "4.5.6", true),
        ("*", "0.0.0", true),
        ("x", "1.0.0", true),
        ("*", "1.2.3-alpha.1", false),
        ("*-0", "1.2.3-alpha.1", true),
        ("0.x", "1.0.0", false),
        ("0.0.x", "0.0.9", true),
        ("1.x.7", "1.5.0", true),
        // Not equal.
        ("!=4.1.0", "4.1.0", false),
        ("!=4.1.0", "4.1.1", true),
        ("!=4.1", "4.1.7", false),
        ("!=4.1", "4.2.0", true),
        ("!=4.x", "4.9.0", false),
        ("!=4.x", "5.0.0", true),
        ("!=4.1-alpha", "4.1.0", true),
        ("!=4.1-alpha", "4.1.1-alpha", false),
        ("!=4.1-alpha", "4.1.1-beta", true),
        // Greater / less, exact and partial.
        (">1.2.3", "1.2.4", true),
        (">1.2.3", "1.2.3", false),
        (">1.1", "1.1.9", false),
        (">1.1", "1.2.0", true),
        (">11", "11.9.9", false),
        (">11", "12.0.0", true),
        (">0", "0.0.1", false),
        ("<1.2.3", "1.2.2", true),
        ("<1.2.3", "1.2.3", false),
        ("<1.x", "0.9.9", true),
        ("<1.x", "1.0.0", false),
        ("<1.1.x", "1.0.500", true),
        (">=1.2.3", "1.2.3", true),
        (">=1.2.3", "1.2.2", false),
        ("=>1.2.3", "1.3.0", true),
        (">= 1.1", "1.1.0", true),
        ("<=1.2.3", "1.2.3", true),
        ("<=1.2.3", "1.2.4", false),
        ("=<1.2.3", "1.0.0", true),
        ("<=1.1", "1.1.99", true),
        ("<=1.1", "1.2.0", false),
        ("<=2.x", "2.99.0", true),
        ("<=2.x", "3.0.0", false),
        // Tilde.
        ("~1.2.3", "1.2.9", true),
        ("~1.2.3", "1.2.2", false),
        ("~1.2.3", "1.3.0", false),
        ("~>1.2.3", "1.2.5", true),
        ("~1.2", "1.2.0", true),
        ("~1.2", "1.3.0", false),
        ("~1", "1.9.9", true),
        ("~1", "2.0.0", false),
        ("~1.x", "1.4.0", true),
        ("~0.2.3", "0.2.5", true),
        ("~0.2.3", "0.3.0", false),
        ("~0.0.0", "7.8.9", true),
        ("~*", "2.1.1", true),
        ("~1.2.3-beta.2", "1.2.3-beta.4", true),
        ("~1.2.3-beta.2", "1.2.4-beta.1", true),
        ("~1.2.3-beta.2", "1.3.0-beta.3", false),
        // Caret, including the 0.x rules.
        ("^1.2.3", "1.9.0", true),
        ("^1.2.3", "2.0.0", false),
        ("^1.2.3", "1.2.2", false),
        ("^1.2", "1.2.0", true),
        ("^1", "1.99.0", true),
        ("^1.x", "2.0.0", false),
        ("^0.2.3", "0.2.9", true),
        ("^0.2.3", "0.3.0", false),
        ("^0.2", "0.2.0", true),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("^0.0", "0.0.9", true),
        ("^0.0", "0.1.0", false),
        ("^0", "0.9.0", true),
        ("^0", "1.0.0", false),
        ("^0.0.0", "0.0.0", true),
        ("^0.0.0", "0.0.1", false),
        ("^1.2.0-alpha.0", "1.2.1-alpha.1", true),
        ("^1.2.0", "1.2.1-alpha.1", false),
        // AND by space or comma, OR by `||`.
        (">=1.2.0 <2.0.0", "1.5.0", true),
        (">=1.2.0 <2.0.0", "2.0.0", false),
        (">=1.2.0, <2.0.0", "1.2.0", true),
        (">= 1.2.0 , < 2.0.0", "1.9.9", true),
        (">=1.1 <2 !=1.2.3", "1.2.3", false),
        ("^1.2 || ^2.0", "2.5.0", true),
        ("^1.2 || ^2.0", "3.0.0", false),
        (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false),
        (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true),
        ("1.2.3||2.0.0", "2.0.0", true),
        // Hyphen ranges.
        ("1.2 - 1.4.5", "1.3.0", true),
        ("1.2 - 1.4.5", "1.4.6", false),
        ("1.2 - 1.4.5", "1.1.9", false),
        ("1 - 2", "2.9.9", true),
        ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true),
        ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true),
        ("2 - 3, 4.0.0 - 5.1", "3.0.0", false),
        ("1.0 || 2.0 - 3.0", "2.5.0", true),
        ("1.1-3", "1.1.3", true),
        ("1.1-3", "4.3.2", false),
        // Prereleases: only when the AND group mentions one.
        (">=1.19.0-0", "1.29.3-eks-ab12", true),
        (">=1.19-0", "v1.29.3-eks-ab12", true),
        (">=1.19.0", "1.29.3-eks-ab12", false),
        (">=1.19.0", "1.29.3+k3s1", true),
        (">=1.19.0-0 <2.0.0", "1.29.3-gke.100", true),
        (">=1.19.0 <2.0.0-0", "1.29.3-gke.100", true),
        (">=1.19.0-0 || <1.0.0", "0.5.0-rc.1", false),
        (">=1.2.3-alpha.1", "1.2.3-alpha.0", false),
        (">=1.2.3-alpha.1", "1.2.3-alpha.10", true),
        (">=1.2.3-alpha", "1.2.3", true),
        ("<1.2.3-beta", "1.2.3-alpha", true),
        (">0.0.0-0", "0.0.0-alpha", true),
        (">0-0", "0.0.1-alpha", false),
        ("<0-z", "0.0.0-alpha", true),
        ("> 1.2.3", "1.2.3-beta.1", false),
        // Oddities of Masterminds, kept on purpose.
        ("^*", "1.2.3", false),
        ("^*", "0.0.0", true),
        ("!=*", "1.0.0", true),
        ("!=*", "0.0.0", false),
        ("<=*", "0.0.9", true),
        ("<=*", "0.1.0", false),
        (">*", "0.0.1", true),
        ("1||2 - 3", "5.0.0", true),
        ("x.|", "1.2.3", true),
        ("01.2.3", "1.2.3", true),
        ("1.2.3", "01.02.03", true),
    ];

    #[test]
    fn table() {
        assert!(CASES.len() >= 40);
        let mut failures = Vec::new();
        for &(c, ver, want) in CASES {
            match semver_compare(c, ver) {
                Ok(got) if got == want => {}
                other => failures.push(format!("{c:?} vs {ver:?}: want {want}, got {other:?}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn invalid_constraints() {
        for bad in [
            "",
            "   ",
            "foo",
            ">= bar",
            "BAR >= 1.2.3",
            "1.2.3 ||",
            "|| 1.2.3",
            "1.2.3,",
            "1.2.3,,1.2.4",
            ">=1.2.3<2",
            "12.3.4.1234",
            "12.3.34~ 1.2.3",
            "==1.2.3",
            ">>1",
            "!1.2.3",
            "V1.2.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3+",
            "1.2x",
            "1|2",
            "1.0 2.0 - 3.0",
            "^1 - 2",
            "1 - 2 - 3",
            "99999999999999999999",
            ">=1.0.0 - 2.0.0",
        ] {
            let err = Constraint::parse(bad).expect_err(bad);
            assert_eq!(err.input, bad);
            assert!(err.to_string().contains("invalid version constraint"));
        }
    }

    #[test]
    fn valid_but_unusual_constraints() {
        for ok in [
            "12.3.34 ~1.2.3",
            "1.0, 2.0 - 3.0",
            "2 - 3 4.0.0 - 5.1",
            "~> 1.2",
            "v2.3.5-20161202202307-sha.e8fc5e5",
            "\t>=1.0\n",
            "1.x.x",
            "*.5.7",
        ] {
            Constraint::parse(ok).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn limits() {
        let long = "1".repeat(MAX_INPUT_LEN + 1);
        let err = Constraint::parse(&long).expect_err("too long");
        assert!(err.reason.contains("longer than"));
        assert!(err.input.len() < 100);

        let many = vec!["1"; MAX_COMPARATORS + 1].join(" ");
        assert!(many.len() <= MAX_INPUT_LEN);
        let err = Constraint::parse(&many).expect_err("too many");
        assert!(err.reason.contains("comparators"), "{err}");
        let ored = vec!["1"; MAX_COMPARATORS + 1].join("||");
        assert!(Constraint::parse(&ored).is_err());

        let fine = vec!["1"; MAX_COMPARATORS].join(" ");
        assert!(Constraint::parse(&fine).is_ok());

        assert!(parse_version(&"1".repeat(MAX_INPUT_LEN + 1)).is_err());
    }

    #[test]
    fn versions() {
        let cases = [
            ("1.2.3", "1.2.3"),
            ("v1.2.3", "1.2.3"),
            ("1.2", "1.2.0"),
            ("v1", "1.0.0"),
            ("1.2-beta.1", "1.2.0-beta.1"),
            ("1.2.3+build.01", "1.2.3+build.01"),
            ("1.29.3-eks-ab12", "1.29.3-eks-ab12"),
            ("007.08.09", "7.8.9"),
        ];
        for (input, want) in cases {
            assert_eq!(v(input).to_string(), want, "{input}");
        }
        for bad in [
            "",
            " 1.2.3",
            "1.2.3 ",
            "V1.2.3",
            "vv1",
            "1.2.3.4",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "x.1.2",
            "1.x",
            "18446744073709551616.0.0",
        ] {
            let err = parse_version(bad).expect_err(bad);
            assert_eq!(err.input, bad);
        }
        assert_eq!(v("18446744073709551615").major, u64::MAX);
    }

    #[test]
    fn semver_compare_errors_name_the_bad_side() {
        let err = semver_compare(">=1.0", "nope").expect_err("bad version");
        assert_eq!(err.input, "nope");
        let err = semver_compare("nope", "1.0.0").expect_err("bad constraint");
        assert_eq!(err.input, "nope");
    }

    #[test]
    fn display_and_from_str() {
        let text = ">= 1.2, <2 || ^3.x";
        let c: Constraint = text.parse().expect("parses");
        assert_eq!(c.to_string(), text);
        assert_eq!(c.as_str(), text);
        assert_eq!(Constraint::parse(&c.to_string()), Ok(c.clone()));
        assert!(c.matches(&v("3.4.0")));
        assert!(!c.matches(&v("2.0.0")));
    }

    #[test]
    fn range_rewrite_matches_masterminds() {
        assert_eq!(rewrite_ranges("2 - 3"), ">= 2, <= 3 ");
        assert_eq!(rewrite_ranges("2 - 3, 2 - 3"), ">= 2, <= 3 ,>= 2, <= 3 ");
        assert_eq!(
            rewrite_ranges("2 - 3 4.0.0 - 5.1"),
            ">= 2, <= 3 >= 4.0.0, <= 5.1 "
        );
        assert_eq!(
            rewrite_ranges("1.0.0 - 2.0.0 <=2.0.0"),
            ">= 1.0.0, <= 2.0.0 <=2.0.0"
        );
        assert_eq!(rewrite_ranges("1 2 - 3"), "1>= 2, <= 3 ");
        assert_eq!(rewrite_ranges("^1.2"), "^1.2");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Constraint::parse(&s);
            let _ = parse_version(&s);
        }

        #[test]
        fn constraint_like_input_never_panics(
            s in "[0-9xX*|v.+ ,<>=!~^-]{0,60}",
            ver in "v?[0-9]{1,3}(\\.[0-9]{1,3}){0,2}(-[0-9a-z.]{1,6})?(\\+[a-z0-9]{1,4})?",
        ) {
            if let Ok(c) = Constraint::parse(&s) {
                prop_assert_eq!(c.to_string(), s.clone());
                if let Ok(version) = parse_version(&ver) {
                    let _ = c.matches(&version);
                }
            }
        }

        #[test]
        fn long_hostile_input_is_rejected_or_parsed(
            s in "[0-9xX|. ,-]{900,1100}",
        ) {
            let _ = Constraint::parse(&s);
        }
    }
}
