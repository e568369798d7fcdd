//! Parser for Helm's `--set` family of command-line values.
//!
//! Helm lets users override chart values on the command line with
//! `--set`, `--set-string`, `--set-json`, `--set-file` and `--set-literal`.
//! All five share one small path language; they differ only in how the text
//! after `=` becomes a value. This module reproduces the grammar, the type
//! inference and the corner cases of Helm v4's `pkg/strvals` package, so an
//! expression means the same thing to chartsmith as it does to `helm`.
//!
//! # Grammar
//!
//! ```text
//! expression := assignment { "," assignment } [ "," ]
//! assignment := path "=" value
//! path       := name { "." name | "[" index "]" }
//! name       := any characters up to one of  = [ , .
//! index      := a decimal integer with optional sign, 0 ..= 65536
//! value      := "{" item { "," item } "}"        (a list)
//!             | any characters up to the next unescaped ","
//! ```
//!
//! * A backslash makes the next character literal, in names, indexes and
//!   values alike: `a\.b=c` sets the key `a.b`, `a=x\,y` sets the string
//!   `x,y`. A trailing lone backslash is dropped.
//! * `a.b.c=v` builds nested maps; at most 30 `.` steps after a name are
//!   allowed (steps written right after `]` are not counted, as in Helm).
//! * `a[2]=v` builds lists and pads them with `null`: `a[2]=x` gives
//!   `[null, null, "x"]`. `a[0].b=v` and `a[0][1]=v` nest maps and lists
//!   inside lists. Indexes above 65536 and negative indexes are errors;
//!   `+1` and `007` are valid indexes (1 and 7).
//! * `a={x,y}` sets a list; every item is typed like a scalar value. A
//!   `{` only starts a list as the first character of a value.
//! * `a=` (at the very end) and `a=,b=1` set the empty string.
//! * Whitespace is never trimmed: `a = b` sets the key `"a "` to `" b"`.
//! * An empty name is accepted and silently ignored: `=1` and `.a=1` set
//!   nothing. Two commas in a row (`a=1,,b=2`) are an error.
//!
//! # Values per flag
//!
//! * `--set` ([`SetKind::Set`]): `true`, `false` and `null` in any letter
//!   case become a boolean or `null` (Go's Unicode case folding, so even
//!   `falſe` is `false`). `0`, and decimal integers that fit in an `i64` and
//!   do not start with `0`, become integers (`+5` is 5, `-01` is -1).
//!   Everything else stays a string: `007`, `0x1`, `1.5`, `1e3`,
//!   `9223372036854775808`.
//! * `--set-string` ([`SetKind::String`]): always a string.
//! * `--set-file` ([`SetKind::File`]): the value is a path and the key gets
//!   the file's contents as a string (`{p1,p2}` reads a list of files).
//! * `--set-json` ([`SetKind::Json`]): one JSON document; an empty or blank
//!   value is `null`. The document ends where Go's streaming decoder stops,
//!   so text right after it starts the next assignment even without a comma
//!   (`a=1 b=2` sets both). An argument whose first non-blank character is
//!   `{` is instead one whole JSON object, deep-merged into the values.
//! * `--set-literal` ([`SetKind::Literal`]): everything after the first `=`,
//!   verbatim. There are no escapes and no lists, and `,` is an ordinary
//!   character even in names, so one argument sets exactly one key.
//!
//! `null` is stored as a JSON `null`; removing the key is left to value
//! coalescing, exactly as Helm does.
//!
//! # Conflicts and odd inputs
//!
//! Writing through a key that already holds a value of another kind is an
//! error (`a=1,a.b=2`, `a.b=1,a[0]=2`, also `a=null,a.b=1`), except for list
//! elements: `a[0]=1,a[0].b=2` replaces the element with a map, and a `null`
//! element may be replaced by a nested list. An expression that stops right
//! after `.`, `]` or an unfinished `[` (`a.`, `a[0]`, `a[1`) is not an error;
//! it may leave an empty list behind (`a[0]` sets `a` to `[]`). Like Helm,
//! `x[0].y=` at the very end of an argument leaves `x` as `[]` (the map is
//! dropped) while `x[0].y=,z=1` sets `x` to `[{"y": ""}]`.
//!
//! # Limits
//!
//! Hostile input cannot exhaust memory or the stack. Like Helm, list indexes
//! are capped at [`MAX_INDEX`] and `name.` nesting at
//! [`MAX_NESTED_NAME_LEVEL`]. chartsmith adds two caps of its own so that the
//! values tree stays shallow enough for recursive consumers (serializers,
//! coalescing, `Drop`): at most [`MAX_PATH_DEPTH`] `[`/`.` steps in one path
//! (Helm has no cap) and at most [`MAX_JSON_DEPTH`] levels of arrays and
//! objects in one `--set-json` value (Go's `encoding/json` allows 10000).
//! The parser itself is iterative and never recurses.
//!
//! # Differences from Helm
//!
//! * `--set-json` numbers keep their exact value where possible: integers
//!   that fit in `i64`/`u64` stay integers instead of becoming `float64`
//!   (Helm turns `9007199254740993` into `9007199254740992`). Numbers with a
//!   fraction or exponent, and larger integers, become `f64`.
//! * `parse_into` with [`SetKind::File`] reads plain local paths; Helm also
//!   accepts `-` (stdin) and URLs. Use [`parse_file_into`] to provide those.
//! * Error messages are chartsmith's own and always carry the 0-based
//!   character position of the problem.
//! * If parsing fails, `dest` may already contain part of the expression,
//!   as in Helm; callers are expected to abandon it.

//!
//! The parser is in `parser.rs` (paths, lists and scalars, iterative); the `--set-json` values are
//! read by `json.rs`, a small JSON reader that stops where Go's streaming decoder stops.
//!
//! May import: `util::merge` (the `{…}` argument form is deep-merged), `yaml` (value kind names).

mod json;
mod parser;

use serde_json::{Map, Value};

pub use json::MAX_JSON_DEPTH;
pub use parser::{MAX_INDEX, MAX_NESTED_NAME_LEVEL, MAX_PATH_DEPTH, ParseError, SetKind};

use json::{parse_json, skip_json_space};
use parser::Parser;

/// Parse one `--set`/`--set-string`/`--set-json`/`--set-literal` argument
/// (`a.b=c,d[0]=e`) into `dest`, overwriting keys that already exist.
///
/// [`SetKind::File`] reads the named files from the local file system; use
/// [`parse_file_into`] to control how paths are resolved.
pub fn parse_into(
    expression: &str,
    kind: SetKind,
    dest: &mut Map<String, Value>,
) -> Result<(), ParseError> {
    if kind == SetKind::File {
        let mut read = |path: &str| -> Result<String, String> {
            std::fs::read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| e.to_string())
        };
        return parse_file_into(expression, dest, &mut read);
    }
    if kind == SetKind::Json {
        let trimmed = expression.trim_start();
        if trimmed.starts_with('{') {
            let offset = expression.chars().count() - trimmed.chars().count();
            return merge_json_object(expression, offset, dest);
        }
    }
    Parser::new(expression, kind, None).run(dest)
}

/// `--set-file key=path,...`: `read` gets each path and returns its contents
/// (or an error message to report). Paths follow the `--set` grammar, so
/// `\,` escapes a comma and `{p1,p2}` reads a list of files. A value that is
/// empty at the very end of the expression (`a=`) is the empty string and is
/// not read.
pub fn parse_file_into(
    expression: &str,
    dest: &mut Map<String, Value>,
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), ParseError> {
    Parser::new(expression, SetKind::File, Some(read)).run(dest)
}

/// Parse a whole `--set` style string into a fresh map (convenience).
pub fn parse(expression: &str, kind: SetKind) -> Result<Map<String, Value>, ParseError> {
    let mut map = Map::new();
    parse_into(expression, kind, &mut map)?;
    Ok(map)
}

/// `--set-json '{...}'`: the whole argument is one JSON object, deep-merged
/// into `dest` (maps merge key by key, anything else replaces).
fn merge_json_object(
    expression: &str,
    offset: usize,
    dest: &mut Map<String, Value>,
) -> Result<(), ParseError> {
    let error = |position: usize, message: String| ParseError {
        expression: expression.to_owned(),
        position,
        message,
        kind: SetKind::Json,
    };
    let chars: Vec<char> = expression.chars().collect();
    let (value, end) = parse_json(&chars, offset).map_err(|(p, m)| error(p, m))?;
    let end = skip_json_space(&chars, end);
    // Go trims Unicode whitespace around the whole argument first.
    if chars
        .get(end..)
        .unwrap_or_default()
        .iter()
        .any(|c| !c.is_whitespace())
    {
        return Err(error(
            end,
            "unexpected text after the JSON object".to_owned(),
        ));
    }
    if let Value::Object(object) = value {
        crate::util::merge::merge_into(dest, object);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("expected an object, got {other}"),
        }
    }

    /// (flag, expression, expected values or `None` for an error). Every
    /// expectation was checked against `helm template --set ...` (v4.1.4).
    fn cases() -> Vec<(SetKind, &'static str, Option<Value>)> {
        use SetKind::{Json, Literal, Set, String as Str};
        vec![
            // Scalars and type inference.
            (Set, "name1=value1", Some(json!({"name1": "value1"}))),
            (
                Set,
                "a=null,f=false,t=true",
                Some(json!({"a": null, "f": false, "t": true})),
            ),
            (
                Set,
                "a=TRUE,b=False,c=NuLL",
                Some(json!({"a": true, "b": false, "c": null})),
            ),
            (Set, "a=falſe", Some(json!({"a": false}))),
            (
                Set,
                "zero=0,n=1234567890,neg=-42",
                Some(json!({"zero": 0, "n": 1234567890, "neg": -42})),
            ),
            (
                Set,
                "lead=00009,hex=0x1,f=1.5,e=1e3",
                Some(json!({"lead": "00009", "hex": "0x1", "f": "1.5", "e": "1e3"})),
            ),
            (
                Set,
                "plus=+1,m=-01,mz=-0",
                Some(json!({"plus": 1, "m": -1, "mz": 0})),
            ),
            (
                Set,
                "max=9223372036854775807,over=9223372036854775808",
                Some(json!({"max": 9223372036854775807_i64, "over": "9223372036854775808"})),
            ),
            (
                Set,
                "min=-9223372036854775808",
                Some(json!({"min": i64::MIN})),
            ),
            (Set, "a= 1,u=1_000", Some(json!({"a": " 1", "u": "1_000"}))),
            (
                Str,
                "n=1234567890,b=true,z=null,l={1,true}",
                Some(json!({"n": "1234567890", "b": "true", "z": "null", "l": ["1", "true"]})),
            ),
            // Separators, empties and escapes.
            (Set, "a=1,b=2,", Some(json!({"a": 1, "b": 2}))),
            (Set, "a=1,,,,b=2", None),
            (Set, ",", None),
            (Set, "", Some(json!({}))),
            (
                Set,
                "name1=,name2=value2",
                Some(json!({"name1": "", "name2": "value2"})),
            ),
            (Set, "name1=", Some(json!({"name1": ""}))),
            (Set, "name1", None),
            (Set, "name1,name2=v", None),
            (Set, "name1,name2=v\\", None),
            (
                Set,
                "a=one\\,two,b=three\\=four",
                Some(json!({"a": "one,two", "b": "three=four"})),
            ),
            (
                Set,
                "a\\.b=c,d=x\\\\y,e=\\1,f=b\\",
                Some(json!({"a.b": "c", "d": "x\\y", "e": 1, "f": "b"})),
            ),
            (Set, "a = b,c=1=2", Some(json!({"a ": " b", "c": "1=2"}))),
            (Set, "=1,[0]=1,.a=1", Some(json!({}))),
            // Nested maps.
            (
                Set,
                "outer.inner=value",
                Some(json!({"outer": {"inner": "value"}})),
            ),
            (
                Set,
                "o.i1=v,o.m.i=w",
                Some(json!({"o": {"i1": "v", "m": {"i": "w"}}})),
            ),
            (Set, "name1.name2", None),
            (Set, "name1.name2=", Some(json!({"name1": {"name2": ""}}))),
            (Set, "name1.=name2", None),
            (Set, "a..b=1", None),
            (Set, "name1.,name2", None),
            (Set, "a.", Some(json!({}))),
            // List values.
            (
                Set,
                "name1={value1,value2}",
                Some(json!({"name1": ["value1", "value2"]})),
            ),
            (
                Set,
                "a={1021,902},b={x}",
                Some(json!({"a": [1021, 902], "b": ["x"]})),
            ),
            (Set, "a={}", Some(json!({"a": [""]}))),
            (Set, "a={x\\,y,z}", Some(json!({"a": ["x,y", "z"]}))),
            (Set, "a=x{1}", Some(json!({"a": "x{1}"}))),
            (Set, "name1={1021,902", None),
            (Set, "a={1,2}x", None),
            // Indexes.
            (
                Set,
                "list[0]=foo,list[1]=bar",
                Some(json!({"list": ["foo", "bar"]})),
            ),
            (
                Set,
                "list[0]=foo,list[3]=bar",
                Some(json!({"list": ["foo", null, null, "bar"]})),
            ),
            (
                Set,
                "list[0].foo=bar,list[0].hello=world",
                Some(json!({"list": [{"foo": "bar", "hello": "world"}]})),
            ),
            (
                Set,
                "l[1].b=1,l[0].c=2",
                Some(json!({"l": [{"c": 2}, {"b": 1}]})),
            ),
            (Set, "list[0]=foo,list[-20]=bar", None),
            (Set, "a[x]=1", None),
            (Set, "a[]=1", None),
            (Set, "a[99999999999999999999]=1", None),
            (Set, "a[65537]=1", None),
            (
                Set,
                "a[+1]=x,b[-0]=y,c[\\1]=z",
                Some(json!({"a": [null, "x"], "b": ["y"], "c": [null, "z"]})),
            ),
            (Set, "illegal[0]name.foo=bar", None),
            (Set, "noval[0]", Some(json!({"noval": []}))),
            (Set, "noval[0]=", Some(json!({"noval": [""]}))),
            (Set, "a[0", Some(json!({}))),
            (Set, "b=1,a[0][1", Some(json!({"b": 1, "a": []}))),
            (
                Set,
                "nested[1][1]=1",
                Some(json!({"nested": [null, [null, 1]]})),
            ),
            (
                Set,
                "a[0][0]=1,a[0][2]=3,a[1][0]=x",
                Some(json!({"a": [[1, null, 3], ["x"]]})),
            ),
            (
                Set,
                "n1.n2[1].foo=bar,n1.n2[0].foo=bar",
                Some(json!({"n1": {"n2": [{"foo": "bar"}, {"foo": "bar"}]}})),
            ),
            (Set, "a[0]={1,2}", Some(json!({"a": [[1, 2]]}))),
            (
                Set,
                "a[0].b[0].c=1",
                Some(json!({"a": [{"b": [{"c": 1}]}]})),
            ),
            (Set, "x[0].a=", Some(json!({"x": []}))),
            (Set, "x[0].a=,y=1", Some(json!({"x": [{"a": ""}], "y": 1}))),
            (Set, "x[0].y[0]=", Some(json!({"x": [{"y": [""]}]}))),
            (Set, "x.a=", Some(json!({"x": {"a": ""}}))),
            // Overwriting.
            (Set, "a=1,a.b=2", None),
            (Set, "a.b=1,a[0]=2", None),
            (Set, "a=null,a.b=1", None),
            (Set, "a=null,a[0]=1", None),
            (Set, "a[0]=1,a[0][0]=2", None),
            (Set, "a[0]=1,a[0].b=2", Some(json!({"a": [{"b": 2}]}))),
            (Set, "a[0]=null,a[0][1]=1", Some(json!({"a": [[null, 1]]}))),
            (Set, "a.b=1,a=2", Some(json!({"a": 2}))),
            (Set, "]={}].", None),
            // --set-json.
            (
                Json,
                "o.i1=\"1\",o.i3=3,o.i4=true",
                Some(json!({"o": {"i1": "1", "i3": 3, "i4": true}})),
            ),
            (
                Json,
                "a=[1,2],b={\"c\":[1,{\"d\":null}]}",
                Some(json!({"a": [1, 2], "b": {"c": [1, {"d": null}]}})),
            ),
            (
                Json,
                "a=,b= ,c=null",
                Some(json!({"a": null, "b": null, "c": null})),
            ),
            (Json, "a=1 b=2", Some(json!({"a": 1, "b": 2}))),
            (
                Json,
                "a=1b=2,c=truex=1",
                Some(json!({"a": 1, "b": 2, "c": true, "x": 1})),
            ),
            (Json, "a=  1  ,  b=2", Some(json!({"a": 1, "  b": 2}))),
            (
                Json,
                "a=12345678901234567890",
                Some(json!({"a": 12345678901234567890_u64})),
            ),
            (Json, "a=1.5,b=-3", Some(json!({"a": 1.5, "b": -3}))),
            (
                Json,
                "a=\"\\ud800x\",b=\"\\ud83d\\ude00\"",
                Some(json!({"a": "\u{FFFD}x", "b": "😀"})),
            ),
            (Json, "a[1]={\"x\":1}", Some(json!({"a": [null, {"x": 1}]}))),
            (Json, "a=x", None),
            (Json, "a=tru", None),
            (Json, "a=01", None),
            (Json, "a=[1,]", None),
            (Json, "a=1e400", None),
            (Json, "a=1,,b=2", None),
            (Json, " {\"a\":{\"b\":1}}", Some(json!({"a": {"b": 1}}))),
            (Json, "{\"a\":1} x", None),
            (Json, "{bad", None),
            (Json, "[1]", Some(json!({}))),
            // --set-literal.
            (Literal, "a=b,c=d", Some(json!({"a": "b,c=d"}))),
            (Literal, "a,b=c", Some(json!({"a,b": "c"}))),
            (Literal, "a\\.b=c\\,d", Some(json!({"a\\": {"b": "c\\,d"}}))),
            (Literal, "a.b[0]=x=y", Some(json!({"a": {"b": ["x=y"]}}))),
            (Literal, "a=true,n=1", Some(json!({"a": "true,n=1"}))),
            (Literal, "a[1]=", Some(json!({"a": [null, ""]}))),
            (Literal, "a", None),
            (Literal, "a[0][1]=z", Some(json!({"a": [[null, "z"]]}))),
        ]
    }

    #[test]
    fn table() {
        let mut failures = Vec::new();
        for (kind, expression, expected) in cases() {
            let got = parse(expression, kind);
            let ok = match (&got, &expected) {
                (Ok(map), Some(want)) => Value::Object(map.clone()) == *want,
                (Err(_), None) => true,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{kind:?} {expression:?}: expected {expected:?}, got {got:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn table_is_large_enough() {
        assert!(cases().len() >= 40);
    }

    #[test]
    fn parse_into_overwrites_and_keeps() {
        let mut dest = obj(json!({"outer": {"inner1": "overwrite", "inner2": "value2"}}));
        parse_into(
            "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
            SetKind::Set,
            &mut dest,
        )
        .expect("valid");
        assert_eq!(
            Value::Object(dest),
            json!({"outer": {"inner1": "value1", "inner2": "value2", "inner3": "value3", "inner4": 4}})
        );

        let mut dest = Map::new();
        parse_into("listOuter[0][0].type=listValue", SetKind::Set, &mut dest).expect("valid");
        parse_into("listOuter[0][0].status=alive", SetKind::Set, &mut dest).expect("valid");
        assert_eq!(
            Value::Object(dest),
            json!({"listOuter": [[{"type": "listValue", "status": "alive"}]]})
        );

        let mut dest = obj(json!({"listOuter": [[[{"exited": "old"}]]]}));
        parse_into("listOuter[0][1][0].type=listValue", SetKind::Set, &mut dest).expect("valid");
        parse_into("listOuter[0][0][1].status=alive", SetKind::Set, &mut dest).expect("valid");
        assert_eq!(
            Value::Object(dest),
            json!({"listOuter": [[[{"exited": "old"}, {"status": "alive"}], [{"type": "listValue"}]]]})
        );
    }

    #[test]
    fn in_place_quirks_across_flags() {
        // Each pair was checked with `helm template --set A --set B`.
        let pairs = [
            ("a[0]=1", "a[0].", json!({"a": [{}]})),
            ("a[0]=1", "a[1][3]", json!({"a": [1]})),
            ("a.b=1", "a.", json!({"a": {"b": 1}})),
            (
                "q[3]=1",
                "q[1].x=",
                json!({"q": [null, {"x": ""}, null, 1]}),
            ),
            ("q[0].x=1", "q[0].y=", json!({"q": [{"x": 1, "y": ""}]})),
            ("q[0][0]=1", "q[0][5].y=", json!({"q": [[1]]})),
            ("q[0][0]=1", "q[0][0].y=", json!({"q": [[{"y": ""}]]})),
        ];
        for (first, second, want) in pairs {
            let mut dest = Map::new();
            parse_into(first, SetKind::Set, &mut dest).expect("first");
            parse_into(second, SetKind::Set, &mut dest).expect("second");
            assert_eq!(Value::Object(dest), want, "{first} then {second}");
        }
        let mut dest = obj(json!({"a": {}}));
        assert!(parse_into("a.=1", SetKind::Set, &mut dest).is_err());
        // An empty name never stores, but an existing entry is updated in place.
        let mut dest = obj(json!({"": {"x": 1}}));
        parse_into(".y=2", SetKind::Set, &mut dest).expect("valid");
        assert_eq!(Value::Object(dest), json!({"": {"x": 1, "y": 2}}));
    }

    #[test]
    fn json_object_argument_deep_merges() {
        let mut dest = obj(json!({"a": {"x": 1, "y": {"k": 1}}, "b": [1]}));
        parse_into(
            r#"{"a": {"y": {"j": 2}, "z": null}, "b": {"c": 1}}"#,
            SetKind::Json,
            &mut dest,
        )
        .expect("valid");
        assert_eq!(
            Value::Object(dest),
            json!({"a": {"x": 1, "y": {"k": 1, "j": 2}, "z": null}, "b": {"c": 1}})
        );
        let mut dest = obj(json!({"o": {"i1": {"x": "overwrite"}, "i2": "v2"}}));
        parse_into(
            r#"o.i1=,o.i3={"aa":"1","cc":[1,2,3]},o.i3.cc[1]=null"#,
            SetKind::Json,
            &mut dest,
        )
        .expect("valid");
        assert_eq!(
            Value::Object(dest),
            json!({"o": {"i1": null, "i2": "v2", "i3": {"aa": "1", "cc": [1, null, 3]}}})
        );
    }

    #[test]
    fn files_are_read_through_the_callback() {
        let mut seen = Vec::new();
        let mut read = |path: &str| -> Result<String, String> {
            seen.push(path.to_owned());
            match path {
                "missing" | "" => Err("no such file".to_owned()),
                other => Ok(format!("<{other}>")),
            }
        };
        let mut dest = Map::new();
        parse_file_into("a=p1,b={p2,p\\,3},c[1]=p4,d.e=5,f=", &mut dest, &mut read).expect("valid");
        assert_eq!(
            Value::Object(dest),
            json!({"a": "<p1>", "b": ["<p2>", "<p,3>"], "c": [null, "<p4>"], "d": {"e": "<5>"}, "f": ""})
        );

        let mut dest = Map::new();
        let err = parse_file_into("a=1,b=missing", &mut dest, &mut read).expect_err("missing file");
        assert_eq!(err.position, 6);
        assert!(err.message.contains("no such file"), "{err}");
        // A value that is empty but not final is still read, like Helm.
        assert!(parse_file_into("a=,b=x", &mut Map::new(), &mut read).is_err());
        assert_eq!(seen, ["p1", "p2", "p,3", "p4", "5", "1", "missing", ""]);
    }

    #[test]
    fn error_display_names_flag_and_position() {
        let err = parse("a[x]=1", SetKind::Set).expect_err("bad index");
        assert_eq!(
            err.to_string(),
            "invalid --set expression `a[x]=1` at position 2: list index must be a non-negative integer"
        );
        let err = parse("ok=1,a=tru", SetKind::Json).expect_err("bad json");
        assert_eq!(err.kind, SetKind::Json);
        assert_eq!(err.position, 10);
        assert!(err.to_string().starts_with("invalid --set-json expression"));
        let err = parse("b=1,a", SetKind::Set).expect_err("no value");
        assert_eq!(err.position, 4);
        let err = parse("é=1,ü[-1]=2", SetKind::String).expect_err("negative");
        assert_eq!(err.position, 6, "positions count characters, not bytes");
    }

    #[test]
    fn limits_are_errors() {
        let ok_depth = vec!["k"; MAX_NESTED_NAME_LEVEL + 1].join(".") + "=1";
        assert!(parse(&ok_depth, SetKind::Set).is_ok());
        let too_deep = vec!["k"; MAX_NESTED_NAME_LEVEL + 2].join(".") + "=1";
        assert!(parse(&too_deep, SetKind::Set).is_err());
        // Dots after `]` are not counted, as in Helm.
        let after_index = "a[0].".repeat(40) + "z=1";
        assert!(parse(&after_index, SetKind::Set).is_ok());

        let big = parse("a[65536]=1", SetKind::Set).expect("max index");
        assert_eq!(big["a"].as_array().map(Vec::len), Some(65_537));
        assert!(parse("a[999999999]=1", SetKind::Set).is_err());
        assert!(parse("a[0][999999999]=1", SetKind::Set).is_err());
        assert!(parse("a[999999999].b=1", SetKind::Set).is_err());
        assert!(parse("a[999999999][0]=1", SetKind::Set).is_err());

        let deep_path = "a".to_owned() + &"[0]".repeat(MAX_PATH_DEPTH + 1) + "=1";
        assert!(parse(&deep_path, SetKind::Set).is_err());
        let fine_path = "a".to_owned() + &"[0]".repeat(MAX_PATH_DEPTH - 1) + "=1";
        assert!(parse(&fine_path, SetKind::Set).is_ok());

        let deep_json = format!(
            "a={}{}",
            "[".repeat(MAX_JSON_DEPTH + 1),
            "]".repeat(MAX_JSON_DEPTH + 1)
        );
        assert!(parse(&deep_json, SetKind::Json).is_err());
        let unclosed = format!("a={}", "[".repeat(100_000));
        assert!(parse(&unclosed, SetKind::Json).is_err());
    }

    #[test]
    fn deepest_values_are_accepted_and_safe() {
        // The deepest tree one expression can build: a maximal path holding a
        // maximal JSON value. Serializing, cloning and dropping it must fit on
        // the default 2 MiB test-thread stack.
        let text = format!(
            "a{}={}{}",
            "[0]".repeat(MAX_PATH_DEPTH - 1),
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        let values = parse(&text, SetKind::Json).expect("deepest accepted input");
        let copy = values.clone();
        assert!(serde_json::to_string(&copy).is_ok_and(|s| s.len() > 2 * MAX_JSON_DEPTH));
    }

    fn file_reader(path: &str) -> Result<String, String> {
        if path.len().is_multiple_of(2) {
            Ok(path.repeat(2))
        } else {
            Err("nope".to_owned())
        }
    }

    proptest! {
        #[test]
        fn never_panics(input in any::<String>()) {
            for kind in [SetKind::Set, SetKind::String, SetKind::Json, SetKind::Literal] {
                let _ = parse(&input, kind);
                let mut dest = obj(json!({"a": [1, {"b": null}], "b": {"c": "d"}, "": [[]]}));
                let _ = parse_into(&input, kind, &mut dest);
            }
            let _ = parse_file_into(&input, &mut Map::new(), &mut file_reader);
        }

        #[test]
        fn never_panics_on_grammar_soup(input in r"[a-c0-9=,.\[\]{}\\ \x22:-]{0,40}") {
            for kind in [SetKind::Set, SetKind::String, SetKind::Json, SetKind::Literal] {
                let mut dest = obj(json!({"a": [1, {"b": null}], "b": {"c": "d"}}));
                let _ = parse_into(&input, kind, &mut dest);
                let _ = parse(&input, kind);
            }
            let _ = parse_file_into(&input, &mut Map::new(), &mut file_reader);
        }

        #[test]
        fn simple_string_round_trip(k in "[a-zA-Z_][a-zA-Z0-9_-]{0,15}", v in "[a-zA-Z0-9_ :/-]{0,20}") {
            let got = parse(&format!("{k}={v}"), SetKind::String).expect("simple pair parses");
            prop_assert_eq!(Value::Object(got), json!({ k: v }));
        }

        #[test]
        fn escaped_string_round_trip(k in "\\PC{1,12}", v in "\\PC{0,12}") {
            let key: String = k.chars().flat_map(|c| {
                let escape = matches!(c, '=' | '[' | ',' | '.' | '\\');
                escape.then_some('\\').into_iter().chain([c])
            }).collect();
            let mut value: String = v.chars().flat_map(|c| {
                let escape = matches!(c, ',' | '\\');
                escape.then_some('\\').into_iter().chain([c])
            }).collect();
            if value.starts_with('{') {
                value.insert(0, '\\');
            }
            let got = parse(&format!("{key}={value}"), SetKind::String).expect("escaped pair parses");
            prop_assert_eq!(Value::Object(got), json!({ k: v }));
        }
    }
}
