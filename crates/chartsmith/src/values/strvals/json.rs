//! A JSON reader that behaves as Go's streaming `json.Decoder` for one value: leading JSON
//! whitespace is skipped and the value ends at the first character that cannot continue it, so
//! `--set-json a=1 b=2` reads `1` and leaves ` b=2`. Iterative, with nesting capped at
//! [`MAX_JSON_DEPTH`]; integers that fit 64 bits stay exact.
//!
//! May import: `serde_json` only.

use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects inside one `--set-json` value.
/// Go's `encoding/json` allows 10000; chartsmith stops earlier so the values
/// tree stays safe for recursive code on small thread stacks.
pub const MAX_JSON_DEPTH: usize = 1_000;

pub(super) fn skip_json_space(chars: &[char], mut pos: usize) -> usize {
    while matches!(chars.get(pos), Some(' ' | '\t' | '\n' | '\r')) {
        pos += 1;
    }
    pos
}

type JsonError = (usize, String);

/// A JSON container under construction.
enum JsonFrame {
    Array(Vec<Value>),
    Object(Map<String, Value>, String),
}

/// Decode one JSON value starting at `start`, the way Go's `json.Decoder`
/// does: leading JSON whitespace is skipped, and the value ends at the first
/// character that cannot continue it, so `1b` yields `1` and leaves `b`.
/// Returns the value and the position just after it. Iterative; nesting is
/// capped at [`MAX_JSON_DEPTH`].
pub(super) fn parse_json(chars: &[char], start: usize) -> Result<(Value, usize), JsonError> {
    let mut pos = start;
    let mut stack: Vec<JsonFrame> = Vec::new();
    loop {
        // Parse a value, or open a container and go round again.
        pos = skip_json_space(chars, pos);
        let mut value = match chars.get(pos) {
            None => return Err((pos, "unexpected end of JSON input".to_owned())),
            Some('{') => {
                if stack.len() >= MAX_JSON_DEPTH {
                    return Err((
                        pos,
                        format!("JSON is nested more than {MAX_JSON_DEPTH} levels deep"),
                    ));
                }
                pos = skip_json_space(chars, pos + 1);
                if chars.get(pos) == Some(&'}') {
                    pos += 1;
                    Value::Object(Map::new())
                } else {
                    let (key, after) = parse_object_key(chars, pos)?;
                    pos = after;
                    stack.push(JsonFrame::Object(Map::new(), key));
                    continue;
                }
            }
            Some('[') => {
                if stack.len() >= MAX_JSON_DEPTH {
                    return Err((
                        pos,
                        format!("JSON is nested more than {MAX_JSON_DEPTH} levels deep"),
                    ));
                }
                pos = skip_json_space(chars, pos + 1);
                if chars.get(pos) == Some(&']') {
                    pos += 1;
                    Value::Array(Vec::new())
                } else {
                    stack.push(JsonFrame::Array(Vec::new()));
                    continue;
                }
            }
            Some('"') => {
                let (text, after) = parse_json_string(chars, pos)?;
                pos = after;
                Value::String(text)
            }
            Some('t') => {
                pos = expect_literal(chars, pos, "true")?;
                Value::Bool(true)
            }
            Some('f') => {
                pos = expect_literal(chars, pos, "false")?;
                Value::Bool(false)
            }
            Some('n') => {
                pos = expect_literal(chars, pos, "null")?;
                Value::Null
            }
            Some('-' | '0'..='9') => {
                let (number, after) = parse_json_number(chars, pos)?;
                pos = after;
                Value::Number(number)
            }
            Some(&c) => {
                return Err((
                    pos,
                    format!("invalid character {c:?} looking for the start of a JSON value"),
                ));
            }
        };
        // Hand the value to its container; close containers as they end.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok((value, pos));
            };
            pos = skip_json_space(chars, pos);
            let next = chars.get(pos).copied();
            match top {
                JsonFrame::Array(items) => {
                    items.push(value);
                    match next {
                        Some(',') => {
                            pos += 1;
                            break;
                        }
                        Some(']') => {
                            pos += 1;
                            let Some(JsonFrame::Array(items)) = stack.pop() else {
                                return Err((pos, "internal JSON parser error".to_owned()));
                            };
                            value = Value::Array(items);
                        }
                        Some(c) => {
                            return Err((
                                pos,
                                format!("invalid character {c:?} after a JSON array element"),
                            ));
                        }
                        None => return Err((pos, "unexpected end of JSON input".to_owned())),
                    }
                }
                JsonFrame::Object(map, key) => {
                    map.insert(std::mem::take(key), value);
                    match next {
                        Some(',') => {
                            let (new_key, after) = parse_object_key(chars, pos + 1)?;
                            *key = new_key;
                            pos = after;
                            break;
                        }
                        Some('}') => {
                            pos += 1;
                            let Some(JsonFrame::Object(map, _)) = stack.pop() else {
                                return Err((pos, "internal JSON parser error".to_owned()));
                            };
                            value = Value::Object(map);
                        }
                        Some(c) => {
                            return Err((
                                pos,
                                format!("invalid character {c:?} after a JSON object value"),
                            ));
                        }
                        None => return Err((pos, "unexpected end of JSON input".to_owned())),
                    }
                }
            }
        }
    }
}

/// `"key" :` (with surrounding whitespace); returns the key and the
/// position after the colon.
fn parse_object_key(chars: &[char], pos: usize) -> Result<(String, usize), JsonError> {
    let pos = skip_json_space(chars, pos);
    match chars.get(pos) {
        Some('"') => {}
        Some(c) => {
            return Err((
                pos,
                format!("invalid character {c:?} looking for the start of a JSON object key"),
            ));
        }
        None => return Err((pos, "unexpected end of JSON input".to_owned())),
    }
    let (key, after) = parse_json_string(chars, pos)?;
    let pos = skip_json_space(chars, after);
    match chars.get(pos) {
        Some(':') => Ok((key, pos + 1)),
        Some(c) => Err((
            pos,
            format!("invalid character {c:?} after a JSON object key"),
        )),
        None => Err((pos, "unexpected end of JSON input".to_owned())),
    }
}

fn expect_literal(chars: &[char], pos: usize, word: &str) -> Result<usize, JsonError> {
    for (offset, expected) in word.chars().enumerate() {
        match chars.get(pos + offset) {
            Some(&c) if c == expected => {}
            Some(&c) => {
                return Err((
                    pos + offset,
                    format!("invalid character {c:?} in literal {word} (expecting {expected:?})"),
                ));
            }
            None => return Err((pos + offset, "unexpected end of JSON input".to_owned())),
        }
    }
    Ok(pos + word.chars().count())
}

fn hex4(chars: &[char], pos: usize) -> Option<u32> {
    let digits = chars.get(pos..pos + 4)?;
    digits
        .iter()
        .try_fold(0_u32, |acc, c| c.to_digit(16).map(|d| acc * 16 + d))
}

/// A JSON string starting at the opening quote. Invalid surrogate escapes
/// become U+FFFD, as in Go.
fn parse_json_string(chars: &[char], start: usize) -> Result<(String, usize), JsonError> {
    let mut out = String::new();
    let mut pos = start + 1;
    loop {
        let Some(&c) = chars.get(pos) else {
            return Err((pos, "unexpected end of JSON input".to_owned()));
        };
        match c {
            '"' => return Ok((out, pos + 1)),
            '\\' => {
                let escape = chars.get(pos + 1).copied();
                pos += 2;
                match escape {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('/') => out.push('/'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => {
                        let Some(unit) = hex4(chars, pos) else {
                            return Err((pos, "invalid \\u escape in JSON string".to_owned()));
                        };
                        pos += 4;
                        if (0xD800..0xE000).contains(&unit) {
                            let low = if chars.get(pos) == Some(&'\\')
                                && chars.get(pos + 1) == Some(&'u')
                            {
                                hex4(chars, pos + 2)
                            } else {
                                None
                            };
                            match low {
                                Some(low)
                                    if (0xD800..0xDC00).contains(&unit)
                                        && (0xDC00..0xE000).contains(&low) =>
                                {
                                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                                    pos += 6;
                                }
                                _ => out.push('\u{FFFD}'),
                            }
                        } else {
                            out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
                        }
                    }
                    Some(other) => {
                        return Err((
                            pos - 1,
                            format!("invalid character {other:?} in JSON string escape"),
                        ));
                    }
                    None => return Err((pos - 1, "unexpected end of JSON input".to_owned())),
                }
            }
            c if c < ' ' => {
                return Err((
                    pos,
                    format!("invalid control character {c:?} in JSON string"),
                ));
            }
            c => {
                out.push(c);
                pos += 1;
            }
        }
    }
}

/// A JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
/// Integers that fit in `i64`/`u64` stay exact; others become `f64`.
fn parse_json_number(chars: &[char], start: usize) -> Result<(Number, usize), JsonError> {
    let digit = |pos: usize| chars.get(pos).is_some_and(char::is_ascii_digit);
    let need_digit = |pos: usize, what: &str| -> Result<(), JsonError> {
        match chars.get(pos) {
            Some(c) if c.is_ascii_digit() => Ok(()),
            Some(c) => Err((
                pos,
                format!("invalid character {c:?} {what} in a JSON number"),
            )),
            None => Err((pos, "unexpected end of JSON input".to_owned())),
        }
    };
    let mut pos = start;
    let mut integer = true;
    if chars.get(pos) == Some(&'-') {
        pos += 1;
    }
    need_digit(pos, "after the sign")?;
    if chars.get(pos) == Some(&'0') {
        pos += 1;
    } else {
        while digit(pos) {
            pos += 1;
        }
    }
    if chars.get(pos) == Some(&'.') {
        integer = false;
        pos += 1;
        need_digit(pos, "after the decimal point")?;
        while digit(pos) {
            pos += 1;
        }
    }
    if matches!(chars.get(pos), Some('e' | 'E')) {
        integer = false;
        pos += 1;
        if matches!(chars.get(pos), Some('+' | '-')) {
            pos += 1;
        }
        need_digit(pos, "in the exponent")?;
        while digit(pos) {
            pos += 1;
        }
    }
    let text: String = chars.get(start..pos).unwrap_or_default().iter().collect();
    if integer {
        if let Ok(n) = text.parse::<i64>() {
            return Ok((Number::from(n), pos));
        }
        if let Ok(n) = text.parse::<u64>() {
            return Ok((Number::from(n), pos));
        }
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(|n| (n, pos))
        .ok_or_else(|| (start, format!("JSON number {text} is out of range")))
}
