//! `oci://HOST[:PORT]/PATH[:TAG][@sha256:DIGEST]` references (the distribution spec's grammar)
//! and chart versions as tags.
//!
//! May import: `constraint`, `repo` (the no-matching-version error), the registry's error.

use super::error::RegistryError;

/// A parsed `oci://HOST[:PORT]/PATH[:TAG][@sha256:DIGEST]` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry host (and port).
    pub registry: String,
    /// The repository path inside the registry (`charts/redis`).
    pub repository: String,
    /// The tag, if the reference names one.
    pub tag: Option<String>,
    /// The manifest digest (`sha256:…`), if the reference names one.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses an `oci://` reference. The repository path follows the distribution spec's grammar
    /// (lower-case components separated by `/`), the tag at most 128 characters of
    /// `[A-Za-z0-9_.-]`, the digest `sha256:` and 64 hex digits.
    pub fn parse(reference: &str) -> Result<Reference, RegistryError> {
        let invalid = |reason: &str| -> RegistryError {
            RegistryError::InvalidReference {
                reference: reference.to_string(),
                reason: reason.to_string(),
            }
        };
        let rest = reference
            .strip_prefix("oci://")
            .ok_or_else(|| invalid("it must start with oci://"))?;
        if rest.len() > 1024 {
            return Err(invalid("longer than 1024 characters"));
        }
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (rest, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| invalid("expected oci://HOST/PATH"))?;
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        {
            return Err(invalid("the registry host is not a host name or address"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t.to_string())),
            _ => (path, None),
        };
        if !valid_repository(repository) {
            return Err(invalid(
                "the repository path must be lower-case letters and digits, separated by `.`, `_`, `__`, `-` or `/`",
            ));
        }
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(invalid(
                "a tag is 1 to 128 characters of letters, digits, `_`, `.` and `-`",
            ));
        }
        if let Some(d) = &digest
            && !valid_digest(d)
        {
            return Err(invalid("a digest is sha256: and 64 lower-case hex digits"));
        }
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// The last path component: the chart's name.
    pub fn chart_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// The reference as `HOST/PATH[:TAG][@DIGEST]` (without `oci://`).
    pub fn display(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

pub(super) fn valid_repository(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 255
        && path.split('/').all(|component| {
            let bytes = component.as_bytes();
            let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
                return false;
            }
            // Separators: `.`, `_`, `__` or any run of `-`, always between alphanumerics.
            let mut i = 0;
            while i < bytes.len() {
                let b = bytes[i];
                if alnum(b) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < bytes.len() && !alnum(bytes[i]) {
                    i += 1;
                }
                let sep = &component[start..i];
                let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
                if !ok {
                    return false;
                }
            }
            true
        })
}

fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b))
}

pub(super) fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The tag of a chart version (`+` is not allowed in tags; Helm writes `_`).
pub fn version_to_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// The chart version of a tag.
pub fn tag_to_version(tag: &str) -> String {
    tag.replace('_', "+")
}

/// Picks the tag to pull: the exact tag of `version` if it is a plain version, else the
/// highest tag satisfying the range (`None`: the highest stable version).
pub fn pick_tag(
    tags: &[String],
    range: Option<&str>,
    reference: &str,
) -> Result<String, RegistryError> {
    use crate::constraint::{Constraint, parse_version};
    let constraint = Constraint::parse(range.unwrap_or(">=0.0.0-0"))?;
    let stable_only = range.is_none();
    let mut best: Option<(semver::Version, &String)> = None;
    for tag in tags {
        let Ok(v) = parse_version(&tag_to_version(tag)) else {
            continue;
        };
        if !constraint.matches(&v) || (stable_only && !v.pre.is_empty()) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| v > *b) {
            best = Some((v, tag));
        }
    }
    best.map(|(_, t)| t.clone()).ok_or_else(|| {
        crate::repo::RepoError::NoMatchingVersion {
            chart: reference.to_string(),
            repository: "the registry's tags".into(),
            range: range.unwrap_or("(latest stable)").to_string(),
            seen: crate::repo::seen(tags.iter().map(String::as_str).take(50)),
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_bad_ones_are_refused() {
        let r = Reference::parse("oci://127.0.0.1:5000/charts/redis:1.2.3").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "charts/redis");
        assert_eq!(r.tag.as_deref(), Some("1.2.3"));
        assert_eq!(r.chart_name(), "redis");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("oci://ghcr.io/org/app@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag, None);
        assert_eq!(Reference::parse("oci://h/a/b").unwrap().display(), "h/a/b");
        for bad in [
            "https://h/a",
            "oci://h",
            "oci:///a",
            "oci://h/A",
            "oci://h/a//b",
            "oci://h/a/../b",
            "oci://h/-a",
            "oci://h/a:",
            "oci://h/a:-x",
            "oci://h/a@sha256:zz",
            "oci://h o/a",
            "oci://h/a__-b",
        ] {
            let err = Reference::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert!(Reference::parse("oci://h/a__b/c-d/e---f.g_h").is_ok());
        assert!(Reference::parse(&format!("oci://h/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn versions_and_tags() {
        assert_eq!(version_to_tag("1.0.0+build.1"), "1.0.0_build.1");
        assert_eq!(tag_to_version("1.0.0_build.1"), "1.0.0+build.1");
        let tags: Vec<String> = ["1.0.0", "1.2.0", "2.0.0-rc.1", "latest", "1.10.0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(pick_tag(&tags, None, "r").unwrap(), "1.10.0");
        assert_eq!(pick_tag(&tags, Some("~1.2"), "r").unwrap(), "1.2.0");
        assert_eq!(
            pick_tag(&tags, Some(">=2.0.0-0"), "r").unwrap(),
            "2.0.0-rc.1"
        );
        let err = pick_tag(&tags, Some(">3"), "r").unwrap_err().to_string();
        assert!(err.contains(">3") && err.contains("latest"), "{err}");
    }
}
