//! Kubernetes resource quantities (`500m`, `1Gi`, `1.5`, `2e3`), parsed as the API server parses
//! them (`k8s.io/apimachinery/pkg/api/resource`): what `lint` needs to refuse `500mb` and `1Gb`
//! and to compare requests with limits.
//!
//! Written here because the Rust quantity crates wrap `k8s_openapi::Quantity`, and this crate
//! does not depend on k8s-openapi (its schemas are generated offline); the grammar is small.

/// A parsed quantity, as an exact multiple of 10^-9 (enough for `m`, `u` and `n` suffixes), or
/// `None` when it overflows: only comparisons use it.
pub(super) fn parse(text: &str) -> Result<Option<i128>, String> {
    let bad = |why: &str| {
        Err(format!(
            "{text:?} is not a quantity ({why}; e.g. 500m, 1Gi, 2)"
        ))
    };
    let text_trim = text.trim();
    if text_trim != text || text.is_empty() {
        return bad("empty or surrounded by spaces");
    }
    let (sign, rest) = match text.as_bytes()[0] {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => (1, text),
    };
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return bad("no number");
    }
    // (base, exponent): 10^exp or 2^exp.
    let (binary, exponent): (bool, i32) = match suffix {
        "" => (false, 0),
        "n" => (false, -9),
        "u" => (false, -6),
        "m" => (false, -3),
        "k" => (false, 3),
        "M" => (false, 6),
        "G" => (false, 9),
        "T" => (false, 12),
        "P" => (false, 15),
        "E" => (false, 18),
        "Ki" => (true, 10),
        "Mi" => (true, 20),
        "Gi" => (true, 30),
        "Ti" => (true, 40),
        "Pi" => (true, 50),
        "Ei" => (true, 60),
        s if s.starts_with(['e', 'E']) => {
            let Ok(e) = s[1..].parse::<i32>() else {
                return bad("unknown suffix");
            };
            (false, e)
        }
        _ => return bad("unknown suffix; units are k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, m"),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    // The value in nano-units: digits × 10^(9 - fraction digits), then the suffix.
    let digits = format!("{whole}{fraction}");
    let Ok(mantissa) = digits.trim_start_matches('0').parse::<i128>().or_else(|e| {
        if digits.trim_start_matches('0').is_empty() {
            Ok(0)
        } else {
            Err(e)
        }
    }) else {
        return Ok(None);
    };
    let scale = 9 - i32::try_from(fraction.len()).unwrap_or(i32::MAX);
    let value = if binary {
        scaled(mantissa, scale).and_then(|v| v.checked_mul(1i128.checked_shl(exponent as u32)?))
    } else {
        scaled(mantissa, scale + exponent)
    };
    Ok(value.map(|v| v * sign))
}

/// `m × 10^exp`, `None` on overflow; digits below 10^-9 are dropped.
fn scaled(m: i128, exp: i32) -> Option<i128> {
    if exp >= 0 {
        10i128
            .checked_pow(exp as u32)
            .and_then(|p| m.checked_mul(p))
    } else {
        Some(10i128.checked_pow(exp.unsigned_abs()).map_or(0, |p| m / p))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_as_the_api_server() {
        let nano = 1_000_000_000i128;
        assert_eq!(parse("500m").unwrap(), Some(nano / 2));
        assert_eq!(parse("0.5").unwrap(), Some(nano / 2));
        assert_eq!(parse("1Gi").unwrap(), Some(nano * (1 << 30)));
        assert_eq!(parse("1G").unwrap(), Some(nano * 1_000_000_000));
        assert_eq!(parse("2e3").unwrap(), Some(nano * 2000));
        assert_eq!(parse("128974848").unwrap(), Some(nano * 128_974_848));
        assert!(parse("1Gb").is_err());
        assert!(parse("500mb").is_err());
        assert!(parse("1 Gi").is_err());
        assert!(parse("").is_err());
        assert!(parse("Gi").is_err());
        assert!(parse("1.2.3").is_err());
        assert!(parse("1024Mi").unwrap() == parse("1Gi").unwrap());
    }
}
