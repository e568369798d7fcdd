//! Registry authentication: `WWW-Authenticate` challenges and the answer to them (HTTP basic,
//! or a bearer token fetched from the realm the registry names).
//!
//! May import: the registry's credentials and error.

use std::collections::BTreeMap;

#[cfg(feature = "http")]
use serde::Deserialize;

#[cfg(feature = "http")]
use super::credentials::Credentials;
#[cfg(feature = "http")]
use super::error::RegistryError;

/// Splits a challenge's `key="value", …` parameters (values may be quoted and hold commas).
fn challenge_params(text: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = stripped.char_indices();
            let mut end = stripped.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            rest = stripped[end.min(stripped.len())..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start_matches(',').trim_start();
        params.insert(key, value);
    }
    params
}

/// A `WWW-Authenticate` challenge: its scheme (lower case) and parameters.
pub fn parse_challenge(header: &str) -> (String, BTreeMap<String, String>) {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    (scheme.to_ascii_lowercase(), challenge_params(params))
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept). Hand-written: three
/// lines, and the HTTP client has no public helper for it.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(super) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The registry a challenge comes from, as [`authorization`] needs to know it.
#[cfg(feature = "http")]
pub(super) struct Challenged<'a> {
    /// The registry host (named in errors).
    pub registry: &'a str,
    /// Whether the registry is reached over HTTPS.
    pub tls: bool,
    /// The credentials saved or given for it.
    pub credentials: Option<&'a Credentials>,
}

/// The `Authorization` header that answers the `WWW-Authenticate` `challenge` of a 401 for
/// `scope`: basic credentials, or a bearer token that `get_token(url, basic)` fetches from the
/// token service (it returns the answer's status and body).
#[cfg(feature = "http")]
pub(super) fn authorization(
    challenge: &str,
    scope: &str,
    from: &Challenged<'_>,
    get_token: impl FnOnce(&str, Option<&str>) -> Result<(u16, Vec<u8>), RegistryError>,
) -> Result<String, RegistryError> {
    let unauthorized = |reason: String| -> RegistryError {
        RegistryError::Unauthorized {
            registry: from.registry.to_string(),
            reason,
        }
    };
    let basic = || from.credentials.map(Credentials::basic_authorization);
    let (scheme, params) = parse_challenge(challenge);
    match scheme.as_str() {
        "basic" => basic().ok_or_else(|| {
            unauthorized(format!(
                "authentication required (run `chartsmith registry login {}`)",
                from.registry
            ))
        }),
        "bearer" => {
            let realm = params.get("realm").cloned().unwrap_or_default();
            if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                return Err(unauthorized(format!(
                    "the bearer challenge names no usable token realm (`{realm}`)"
                )));
            }
            let mut query = Vec::new();
            if let Some(service) = params.get("service") {
                query.push(format!("service={}", query_escape(service)));
            }
            let scope = params.get("scope").map(String::as_str).unwrap_or(scope);
            if !scope.is_empty() {
                query.push(format!("scope={}", query_escape(scope)));
            }
            let sep = if realm.contains('?') { '&' } else { '?' };
            let token_url = if query.is_empty() {
                realm.clone()
            } else {
                format!("{realm}{sep}{}", query.join("&"))
            };
            // The saved credentials go to the token service the registry names (often
            // another host), but never in clear text unless the registry itself is
            // reached over plain HTTP.
            if realm.starts_with("http://") && from.tls {
                return Err(unauthorized(format!(
                    "the token service {realm} is plain HTTP; credentials are not sent in clear text to a TLS registry's token service"
                )));
            }
            let basic = basic();
            let (status, body) = get_token(&token_url, basic.as_deref())?;
            if status != 200 {
                return Err(unauthorized(format!(
                    "the token service {realm} answered {}{}",
                    status,
                    if from.credentials.is_none() {
                        format!(" (run `chartsmith registry login {}`)", from.registry)
                    } else {
                        String::new()
                    }
                )));
            }
            #[derive(Deserialize)]
            struct Token {
                #[serde(default)]
                token: String,
                #[serde(default)]
                access_token: String,
            }
            let token: Token = serde_json::from_slice(&body)
                .map_err(|e| unauthorized(format!("the token service {realm} answered: {e}")))?;
            let token = if token.token.is_empty() {
                token.access_token
            } else {
                token.token
            };
            if token.is_empty() {
                return Err(unauthorized(format!(
                    "the token service {realm} sent no token"
                )));
            }
            Ok(format!("Bearer {token}"))
        }
        _ => Err(unauthorized(format!(
            "unsupported authentication challenge `{}`",
            challenge.split_whitespace().next().unwrap_or("")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_quoted_commas() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "registry.example");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (scheme, p) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!(scheme, "basic");
        assert_eq!(p["realm"], "basic-realm");
        assert_eq!(
            query_escape("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }
}
