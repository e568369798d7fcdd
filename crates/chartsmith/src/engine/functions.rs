//! Helm's template functions as Tera filters and functions, and the render budget.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, OnceLock, Weak};

use base64::Engine as _;
use serde_json::Value as Json;
use sha2::Digest;
use tera::{Kwargs, State, Tera, TeraResult, Value};

use super::{RenderError, RenderLimits};
use crate::chart::File;

/// Helm functions and their chartsmith spelling, for documentation and `show` output.
pub const HELM_FUNCTIONS: &[(&str, &str)] = &[
    ("include \"name\" .", "<name/>  or  include(name=\"name\")"),
    ("toYaml", "| toYaml"),
    ("toJson", "| toJson"),
    ("toPrettyJson", "| toPrettyJson"),
    ("fromYaml", "| fromYaml"),
    ("fromYamlArray", "| fromYamlArray"),
    ("fromJson", "| fromJson"),
    ("indent N", "| indent(n=N)"),
    ("nindent N", "| nindent(n=N)"),
    ("quote", "| quote"),
    ("squote", "| squote"),
    ("b64enc", "| b64enc"),
    ("b64dec", "| b64dec"),
    ("sha256sum", "| sha256sum"),
    ("trunc N", "| trunc(n=N)"),
    ("trimSuffix S", "| trimSuffix(suffix=S)"),
    ("trimPrefix S", "| trimPrefix(prefix=S)"),
    ("default D", "| default(value=D)"),
    ("required MSG", "| required(msg=MSG)"),
    ("fail MSG", "fail(msg=MSG)"),
    ("tpl S .", "| tpl"),
    ("lookup", "lookup(apiVersion=, kind=, namespace=, name=)"),
    (
        "semverCompare C V",
        "semverCompare(constraint=C, version=V)",
    ),
    ("randAlphaNum N", "randAlphaNum(n=N)"),
    ("toString", "| toString"),
    ("len", "| len"),
    ("regexMatch RE S", "S | regexMatch(regex=RE)"),
    ("regexFind RE S", "S | regexFind(regex=RE)"),
    (
        "regexReplaceAll RE S R",
        "S | regexReplaceAll(regex=RE, replacement=R)",
    ),
    (
        "dig \"a\" \"b\" D .Values",
        "Values | dig(path=\"a.b\", default=D)",
    ),
    ("empty", "is empty"),
    (".Files.Get", "filesGet(path=)"),
    (".Files.Glob", "filesGlob(pattern=)"),
    (".Files.AsConfig", "filesAsConfig(pattern=)"),
    (".Files.AsSecrets", "filesAsSecrets(pattern=)"),
    (".Files.Lines", "filesLines(path=)"),
];

/// Per-render counters, kept per thread: each render runs on its own thread.
struct Budget {
    limits: RenderLimits,
    output: usize,
    range_items: usize,
    /// The stack of `include`/`tpl` calls in progress, for the nesting limit and cycle messages.
    stack: Vec<String>,
}

thread_local! {
    /// The built-in objects of the template being rendered, for `tpl` and `include` called inside
    /// a component that did not declare them (Helm's `tpl` always sees the template's root).
    static CURRENT: RefCell<Option<tera::Context>> = const { RefCell::new(None) };
    static BUDGET: RefCell<Budget> = RefCell::new(Budget {
        limits: RenderLimits::default(), output: 0, range_items: 0, stack: Vec::new(),
    });
}

pub(super) fn reset_budget(limits: RenderLimits) {
    BUDGET.with(|b| {
        *b.borrow_mut() = Budget {
            limits,
            output: 0,
            range_items: 0,
            stack: Vec::new(),
        };
    });
}

/// A writer that fails once the render's total output passes the limit.
struct LimitedWriter<'a> {
    inner: &'a mut Vec<u8>,
}

impl Write for LimitedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let over = BUDGET.with(|b| {
            let mut b = b.borrow_mut();
            b.output += buf.len();
            (b.output > b.limits.max_output_bytes).then_some(b.limits.max_output_bytes)
        });
        if let Some(limit) = over {
            return Err(std::io::Error::other(format!(
                "the rendered output exceeds the limit of {limit} bytes"
            )));
        }
        self.inner.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders one template with the output budget applied.
pub(super) fn render_template(
    tera: &Tera,
    name: &str,
    ctx: &tera::Context,
) -> Result<String, RenderError> {
    let mut buffer = Vec::new();
    tera.render_to(name, ctx, LimitedWriter { inner: &mut buffer })
        .map_err(|e| {
            let over = BUDGET.with(|b| {
                let b = b.borrow();
                (b.output > b.limits.max_output_bytes).then_some(b.limits.max_output_bytes)
            });
            let message = match over {
                Some(limit) => format!("the rendered output exceeds the limit of {limit} bytes"),
                None => describe(&e),
            };
            RenderError::Render {
                template: name.to_string(),
                message,
            }
        })?;
    String::from_utf8(buffer).map_err(|_| RenderError::Render {
        template: name.to_string(),
        message: "the output is not valid UTF-8".into(),
    })
}

/// Tera's message, with the source chain appended where Tera keeps it separately.
fn describe(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(&format!("\ncaused by: {text}"));
        }
        source = s.source();
    }
    if message.contains("Maximum render recursion depth for components exceeded") {
        message
            .push_str("\nhint: components nest deeper than 20 levels; a component probably calls itself, directly or through others, without end");
    }
    message
}

/// Builds the Tera instance holding every template, with Helm's functions registered.
pub(super) fn build_tera(
    sources: &[(String, String)],
    files: BTreeMap<String, Arc<Vec<File>>>,
    lookup: Option<Arc<dyn super::Lookup>>,
) -> Result<Arc<Tera>, RenderError> {
    let mut tera = Tera::new();
    // Manifests are YAML: never HTML-escape.
    tera.autoescape_on(Vec::<&'static str>::new());
    let handle: Arc<OnceLock<Weak<Tera>>> = Arc::new(OnceLock::new());
    register(&mut tera, &handle, Arc::new(files), lookup);
    tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        .map_err(|e| {
            let message = e.to_string();
            let template = sources
                .iter()
                .map(|(n, _)| n)
                .find(|n| message.contains(&format!("--> {n}:")))
                .cloned()
                .unwrap_or_else(|| "templates".to_string());
            RenderError::Parse { template, message }
        })?;
    let tera = Arc::new(tera);
    let _ = handle.set(Arc::downgrade(&tera));
    Ok(tera)
}

fn error(message: impl ToString) -> tera::Error {
    tera::Error::message(message)
}

fn to_json(value: &Value) -> TeraResult<Json> {
    serde_json::to_value(value).map_err(|e| error(format!("cannot convert value to JSON: {e}")))
}

/// JSON as Go's `encoding/json` writes it: floats in fixed notation between 1e-6 and 1e21,
/// exponents without padding (`1e-7`, `1e+21`); `pretty` is `json.MarshalIndent(v, "", "  ")`.
fn go_json(value: &Json, pretty: bool) -> TeraResult<String> {
    use serde::Serialize;
    let mut out = Vec::new();
    let result = if pretty {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            GoFloats(serde_json::ser::PrettyFormatter::new()),
        );
        value.serialize(&mut ser)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            GoFloats(serde_json::ser::CompactFormatter),
        );
        value.serialize(&mut ser)
    };
    result.map_err(error)?;
    String::from_utf8(out).map_err(error)
}

/// Go's float spelling in JSON.
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let sci = format!("{f:e}");
        match sci.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => sci,
        }
    } else {
        format!("{f}")
    }
}

/// A serde_json formatter that writes floats as Go does and defers everything else.
struct GoFloats<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for GoFloats<F> {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        w.write_all(go_json_float(value).as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Go's `json.Marshal` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; they can only
/// occur inside strings in serialised JSON, so a textual replacement is exact.
fn go_html_escape(json: String) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn from_json(value: &Json) -> Value {
    Value::from_serializable(value)
}

/// Go's `fmt.Sprint` of a value as Helm's string functions see it.
fn go_string(value: &Value) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    match value.as_str() {
        Some(s) => s.to_string(),
        None => to_json(value)
            .map(|j| go_display(&j))
            .unwrap_or_else(|_| value.to_string()),
    }
}

/// Go's `fmt.Sprint` (`%v`) of a value: `map[a:1 b:[x y]]`, `<nil>`, floats as `%g`.
fn go_display(value: &Json) -> String {
    match value {
        Json::Null => "<nil>".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::String(s) => s.clone(),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => crate::goyaml::go_format_g(f),
            _ => n.to_string(),
        },
        Json::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(go_display).collect::<Vec<_>>().join(" ")
            )
        }
        Json::Object(map) => format!(
            "map[{}]",
            map.iter()
                .map(|(k, v)| format!("{k}:{}", go_display(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Sprig's `int`: floats truncate toward zero, strings parse (0 when they do not), booleans are 1/0.
fn go_int(value: &Value) -> i64 {
    if let Some(i) = value.as_i64() {
        return i;
    }
    if let Some(f) = value.as_f64() {
        return f.trunc() as i64;
    }
    if let Some(b) = value.as_bool() {
        return i64::from(b);
    }
    if let Some(s) = value.as_str() {
        let t = s.trim();
        return t
            .parse::<i64>()
            .ok()
            .or_else(|| t.parse::<f64>().ok().map(|f| f.trunc() as i64))
            .unwrap_or(0);
    }
    0
}

/// The byte index at or before `i` that starts a character.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A glob as Helm's `.Files.Glob` reads it (gobwas/glob with `/` separators): `*` and `?` stay
/// within a path segment, `**` crosses them anywhere, `{a,b}` alternates, `[...]` classes.
fn glob_regex(pattern: &str) -> TeraResult<regex::Regex> {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut braces = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                re.push_str(".*");
                i += 1;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                re.push_str(&regex::escape(&chars[i].to_string()));
            }
            '[' => {
                let end = chars[i..].iter().position(|&x| x == ']').map(|p| p + i);
                let Some(end) = end else {
                    return Err(error(format!("invalid glob `{pattern}`: unclosed `[`")));
                };
                let mut class: String = chars[i + 1..end].iter().collect();
                if let Some(rest) = class.strip_prefix('!') {
                    class = format!("^{rest}");
                }
                re.push('[');
                re.push_str(&class.replace('\\', "\\\\").replace('[', "\\["));
                re.push(']');
                i = end;
            }
            '{' => {
                braces += 1;
                re.push_str("(?:");
            }
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            ',' if braces > 0 => re.push('|'),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    if braces > 0 {
        return Err(error(format!("invalid glob `{pattern}`: unclosed `{{`")));
    }
    re.push('$');
    compiled_regex(&re)
}

/// Helm's notion of an empty value (for `default`, `required` and `is empty`).
fn is_empty(value: &Value) -> bool {
    if value.is_undefined() || value.is_none() {
        return true;
    }
    if let Some(b) = value.as_bool() {
        return !b;
    }
    if let Some(s) = value.as_str() {
        return s.is_empty();
    }
    if let Some(n) = value.as_f64() {
        return n == 0.0;
    }
    value.len() == Some(0)
}

thread_local! {
    static REGEXES: RefCell<std::collections::HashMap<String, regex::Regex>> = RefCell::new(Default::default());
}

/// Compiles (once per thread) a regular expression with bounded size.
fn compiled_regex(pattern: &str) -> TeraResult<regex::Regex> {
    if let Some(re) = REGEXES.with(|r| r.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| error(format!("invalid regular expression `{pattern}`: {e}")))?;
    REGEXES.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() < 1024 {
            r.insert(pattern.to_string(), re.clone());
        }
    });
    Ok(re)
}

fn push_frame(name: &str) -> TeraResult<()> {
    BUDGET.with(|b| {
        let mut b = b.borrow_mut();
        if b.stack.len() >= b.limits.max_nesting {
            let start = b.stack.iter().rposition(|n| n == name).unwrap_or(0);
            let mut cycle: Vec<&str> = b.stack[start..].iter().map(String::as_str).collect();
            cycle.push(name);
            return Err(error(format!(
                "{NESTING_MARKER} {} levels: cycle {}",
                b.limits.max_nesting,
                cycle.join(" -> ")
            )));
        }
        b.stack.push(name.to_string());
        Ok(())
    })
}

fn pop_frame() {
    BUDGET.with(|b| {
        b.borrow_mut().stack.pop();
    });
}

pub(super) fn set_current(ctx: &tera::Context) {
    CURRENT.with(|c| *c.borrow_mut() = Some(ctx.clone()));
}

/// The built-in objects for `include` and `tpl`: the caller's where it has them (a component's
/// implicit parameters), else those of the template being rendered.
fn builtins(state: &State) -> TeraResult<tera::Context> {
    let mut ctx = tera::Context::new();
    for key in ["Values", "Release", "Chart", "Capabilities", "Template"] {
        let value = match state.get::<Value>(key)? {
            Some(v) if !v.is_undefined() => Some(v),
            _ => CURRENT.with(|c| c.borrow().as_ref().and_then(|c| c.get(key).cloned())),
        };
        if let Some(v) = value {
            ctx.insert_value(key, v);
        }
    }
    Ok(ctx)
}

/// Wraps an error from a nested include/tpl once: a nesting-limit error is passed up as it is, so
/// that a cycle is reported once and not once per level.
fn nested_error(e: &tera::Error, context: &str) -> tera::Error {
    let text = describe(e).replace("__tera_one_off", "tpl input");
    if text.contains(NESTING_MARKER) {
        let start = text.find(NESTING_MARKER).unwrap_or(0);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        return error(&text[start..line_end]);
    }
    error(format!("{context}: {text}"))
}

const NESTING_MARKER: &str = "include/tpl nesting deeper than";

fn upgrade(handle: &OnceLock<Weak<Tera>>) -> TeraResult<Arc<Tera>> {
    handle
        .get()
        .and_then(Weak::upgrade)
        .ok_or_else(|| error("the template engine is not available here"))
}

fn chart_prefix(state: &State) -> TeraResult<String> {
    let template: Option<Value> = state.get("Template")?;
    let base = template
        .as_ref()
        .and_then(|t| {
            t.get_from_path("BasePath")
                .and_then(|v| v.as_str().map(str::to_string))
        })
        .ok_or_else(|| error("Files functions need the `Template` object"))?;
    Ok(base.trim_end_matches("/templates").to_string())
}

fn indent_text(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

const MAX_INDENT: i64 = 1024;

fn indent_width(kwargs: &Kwargs) -> TeraResult<usize> {
    let n: i64 = kwargs.must_get("n")?;
    if !(0..=MAX_INDENT).contains(&n) {
        return Err(error(format!(
            "indent width {n} is outside 0..={MAX_INDENT}"
        )));
    }
    Ok(n as usize)
}

fn register(
    tera: &mut Tera,
    handle: &Arc<OnceLock<Weak<Tera>>>,
    files: Arc<BTreeMap<String, Arc<Vec<File>>>>,
    lookup: Option<Arc<dyn super::Lookup>>,
) {
    // --- serialisation -------------------------------------------------------------------------
    tera.register_filter(
        "toYaml",
        |v: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            let json = to_json(&v)?;
            // Helm trims exactly one trailing newline.
            let text = crate::yaml::to_string(&json);
            Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
        },
    );
    tera.register_filter(
        "toJson",
        |v: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            go_json(&to_json(&v)?, false).map(go_html_escape)
        },
    );
    tera.register_filter(
        "toPrettyJson",
        |v: Value, _: Kwargs, _: &State| -> TeraResult<String> {
            go_json(&to_json(&v)?, true).map(go_html_escape)
        },
    );
    tera.register_filter(
        "fromYaml",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
            let v = crate::yaml::from_str(s, "fromYaml input").map_err(|e| error(e.to_string()))?;
            match v {
                Json::Object(_) => Ok(from_json(&v)),
                Json::Null => Ok(from_json(&Json::Object(Default::default()))),
                _ => Err(error(
                    "fromYaml: the input is not a YAML mapping (use fromYamlArray for lists)",
                )),
            }
        },
    );
    tera.register_filter(
        "fromYamlArray",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
            let v = crate::yaml::from_str(s, "fromYamlArray input")
                .map_err(|e| error(e.to_string()))?;
            match v {
                Json::Array(_) => Ok(from_json(&v)),
                _ => Err(error("fromYamlArray: the input is not a YAML list")),
            }
        },
    );
    tera.register_filter(
        "fromJson",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
            let v: Json = serde_json::from_str(s).map_err(|e| error(format!("fromJson: {e}")))?;
            Ok(from_json(&v))
        },
    );
    // --- strings -------------------------------------------------------------------------------
    tera.register_filter(
        "indent",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            Ok(indent_text(&go_string(&v), indent_width(&kw)?))
        },
    );
    tera.register_filter(
        "nindent",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            Ok(format!(
                "\n{}",
                indent_text(&go_string(&v), indent_width(&kw)?)
            ))
        },
    );
    tera.register_filter("quote", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            return String::new();
        }
        serde_json::to_string(&go_string(&v)).unwrap_or_default()
    });
    tera.register_filter("squote", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            return String::new();
        }
        format!("'{}'", go_string(&v))
    });
    tera.register_filter("toString", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            "<nil>".to_string()
        } else {
            go_string(&v)
        }
    });
    // Sprig's versions of names Tera also has: `int` truncates, `join` prints Go's way and skips
    // nulls, `title` only upper-cases the first letter of each word.
    tera.register_filter("int", |v: Value, _: Kwargs, _: &State| -> i64 {
        go_int(&v)
    });
    tera.register_filter("str", |v: Value, _: Kwargs, _: &State| -> String {
        if v.is_none() || v.is_undefined() {
            "<nil>".to_string()
        } else {
            go_string(&v)
        }
    });
    // Go's `len`: bytes of a string, items of a list or map (Tera's `length` counts characters).
    tera.register_filter("len", |v: Value, _: Kwargs, _: &State| -> usize {
        match v.as_str() {
            Some(s) => s.len(),
            None => v.len().unwrap_or(0),
        }
    });
    tera.register_filter(
        "join",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let sep: String = kw.get("sep")?.unwrap_or_default();
            let items = match v.as_array() {
                Some(items) => items
                    .iter()
                    .filter(|i| !i.is_none() && !i.is_undefined())
                    .map(go_string)
                    .collect::<Vec<_>>(),
                None => vec![go_string(&v)],
            };
            Ok(items.join(&sep))
        },
    );
    tera.register_filter("title", |v: Value, _: Kwargs, _: &State| -> String {
        let mut out = String::new();
        let mut previous_is_letter = false;
        for c in go_string(&v).chars() {
            if !previous_is_letter && c.is_alphabetic() {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            previous_is_letter = c.is_alphanumeric() || c == '_' || c == '\'';
        }
        out
    });
    tera.register_filter("b64enc", |v: Value, _: Kwargs, _: &State| -> String {
        base64::engine::general_purpose::STANDARD.encode(go_string(&v))
    });
    tera.register_filter(
        "b64dec",
        |s: &str, _: Kwargs, _: &State| -> TeraResult<String> {
            // Go's decoder skips line breaks (PEM-style wrapped data).
            let compact: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| error(format!("b64dec: {e}")))?;
            String::from_utf8(bytes).map_err(|_| error("b64dec: the decoded data is not UTF-8"))
        },
    );
    tera.register_filter("sha256sum", |v: Value, _: Kwargs, _: &State| -> String {
        let digest = sha2::Sha256::digest(go_string(&v).as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    });
    tera.register_filter(
        "trunc",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            // Helm counts bytes; a cut inside a character moves to the character's edge so that
            // the output stays valid UTF-8.
            let s = go_string(&v);
            let n: i64 = kw.must_get("n")?;
            let len = s.len() as i64;
            Ok(if n >= 0 {
                s[..floor_char_boundary(&s, n.min(len) as usize)].to_string()
            } else {
                let mut start = (len + n).max(0) as usize;
                while start < s.len() && !s.is_char_boundary(start) {
                    start += 1;
                }
                s[start..].to_string()
            })
        },
    );
    tera.register_filter(
        "trimSuffix",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let suffix: String = kw.must_get("suffix")?;
            let s = go_string(&v);
            Ok(s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string())
        },
    );
    tera.register_filter(
        "trimPrefix",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let prefix: String = kw.must_get("prefix")?;
            let s = go_string(&v);
            Ok(s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string())
        },
    );
    // --- defaults and failures -----------------------------------------------------------------
    tera.register_filter(
        "default",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<Value> {
            let fallback: Value = kw.must_get("value")?;
            Ok(if is_empty(&v) { fallback } else { v })
        },
    );
    tera.register_filter(
        "required",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<Value> {
            let msg: String = kw
                .get("msg")?
                .unwrap_or_else(|| "a required value is missing".to_string());
            if v.is_undefined() || v.is_none() || v.as_str() == Some("") {
                return Err(error(msg));
            }
            Ok(v)
        },
    );
    tera.register_function("fail", |kw: Kwargs, _: &State| -> TeraResult<String> {
        let msg: String = kw.must_get("msg")?;
        Err(error(msg))
    });
    tera.register_test("empty", |v: Value, _: Kwargs, _: &State| -> bool {
        is_empty(&v)
    });
    tera.register_filter(
        "dig",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<Value> {
            let path: String = kw.must_get("path")?;
            let fallback: Value = kw.get("default")?.unwrap_or_else(Value::none);
            Ok(v.get_from_path(&path)
                .filter(|found| !found.is_undefined())
                .cloned()
                .unwrap_or(fallback))
        },
    );
    // --- regular expressions (RE2 syntax, as Go's; linear time, compiled once per thread) --------
    tera.register_filter(
        "regexMatch",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<bool> {
            let re = compiled_regex(&kw.must_get::<String>("regex")?)?;
            Ok(re.is_match(&go_string(&v)))
        },
    );
    tera.register_filter(
        "regexFind",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let re = compiled_regex(&kw.must_get::<String>("regex")?)?;
            let s = go_string(&v);
            Ok(re
                .find(&s)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default())
        },
    );
    tera.register_filter(
        "regexReplaceAll",
        |v: Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let re = compiled_regex(&kw.must_get::<String>("regex")?)?;
            let replacement: String = kw.must_get("replacement")?;
            Ok(re
                .replace_all(&go_string(&v), replacement.as_str())
                .into_owned())
        },
    );
    // --- include and tpl -----------------------------------------------------------------------
    let h = Arc::clone(handle);
    tera.register_function("include", move |kw: Kwargs, state: &State| -> TeraResult<String> {
        let name: String = kw.must_get("name")?;
        let tera = upgrade(&h)?;
        if !tera.contains_component(&name) {
            return Err(error(format!("include: no partial named `{name}` (define it with {{% component {name}(...) %}})")));
        }
        let mut args = tera::Context::new();
        for (k, v) in kw.iter() {
            if k.as_str() != Some("name") {
                args.insert_value(k.to_string(), v.clone());
            }
        }
        let implicits = builtins(state)?;
        push_frame(&name)?;
        let result = tera.render_component_with_implicits(&name, &args, &implicits, None, false);
        pop_frame();
        result.map_err(|e| nested_error(&e, &format!("in partial `{name}`")))
    });
    let h = Arc::clone(handle);
    tera.register_filter(
        "tpl",
        move |s: &str, _: Kwargs, state: &State| -> TeraResult<String> {
            let tera = upgrade(&h)?;
            let ctx = builtins(state)?;
            push_frame("tpl")?;
            let result = tera.render_str(s, &ctx, false);
            pop_frame();
            result.map_err(|e| nested_error(&e, "in tpl"))
        },
    );
    // --- cluster, versions, randomness -----------------------------------------------------------
    tera.register_function(
        "lookup",
        move |kw: Kwargs, _: &State| -> TeraResult<Value> {
            // Without a cluster `lookup` is empty, as with `helm template`.
            let Some(lookup) = &lookup else {
                return Ok(from_json(&Json::Object(Default::default())));
            };
            let arg = |key: &str| -> TeraResult<String> {
                Ok(kw.get::<String>(key)?.unwrap_or_default())
            };
            let (api_version, kind) = (arg("apiVersion")?, arg("kind")?);
            let (namespace, name) = (arg("namespace")?, arg("name")?);
            lookup
                .lookup(&api_version, &kind, &namespace, &name)
                .map(|v| from_json(&v))
                .map_err(|e| {
                    error(format!(
                        "lookup {api_version} {kind} {namespace}/{name}: {e}"
                    ))
                })
        },
    );
    tera.register_function(
        "semverCompare",
        |kw: Kwargs, _: &State| -> TeraResult<bool> {
            let constraint: String = kw.must_get("constraint")?;
            let version: String = kw.must_get("version")?;
            crate::constraint::semver_compare(&constraint, &version)
                .map_err(|e| error(e.to_string()))
        },
    );
    tera.register_function(
        "randAlphaNum",
        |kw: Kwargs, _: &State| -> TeraResult<String> {
            use rand::Rng;
            let n: i64 = kw.must_get("n")?;
            if !(0..=4096).contains(&n) {
                return Err(error(format!(
                    "randAlphaNum: length {n} is outside 0..=4096"
                )));
            }
            const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            let mut rng = rand::rng();
            Ok((0..n)
                .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
                .collect())
        },
    );
    tera.register_function("range", |kw: Kwargs, _: &State| -> TeraResult<Vec<i64>> {
        let start: i64 = kw.get("start")?.unwrap_or(0);
        let end: i64 = kw.must_get("end")?;
        let step: i64 = kw.get("step_by")?.unwrap_or(1);
        if step == 0 {
            return Err(error("range: `step_by` must not be 0"));
        }
        let count = if (step > 0 && end > start) || (step < 0 && end < start) {
            ((end as i128 - start as i128).abs() + step.unsigned_abs() as i128 - 1)
                / step.unsigned_abs() as i128
        } else {
            0
        };
        BUDGET.with(|b| {
            let mut b = b.borrow_mut();
            b.range_items = b
                .range_items
                .saturating_add(count.min(usize::MAX as i128) as usize);
            if b.range_items > b.limits.max_range_items {
                return Err(error(format!(
                    "loop work exceeds the limit of {} range() items in one render",
                    b.limits.max_range_items
                )));
            }
            Ok(())
        })?;
        Ok((0..count as i64).map(|i| start + i * step).collect())
    });
    // --- files ---------------------------------------------------------------------------------
    let f = Arc::clone(&files);
    tera.register_function(
        "filesGet",
        move |kw: Kwargs, state: &State| -> TeraResult<String> {
            let path: String = kw.must_get("path")?;
            let chart_files = chart_files(&f, state)?;
            Ok(chart_files
                .iter()
                .find(|file| file.name == path)
                .map(|file| String::from_utf8_lossy(&file.data).into_owned())
                .unwrap_or_default())
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesLines",
        move |kw: Kwargs, state: &State| -> TeraResult<Vec<String>> {
            let path: String = kw.must_get("path")?;
            let chart_files = chart_files(&f, state)?;
            Ok(chart_files
                .iter()
                .find(|file| file.name == path)
                .map(|file| {
                    let text = String::from_utf8_lossy(&file.data);
                    if text.is_empty() {
                        return Vec::new();
                    }
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    text.split('\n').map(str::to_string).collect()
                })
                .unwrap_or_default())
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesGlob",
        move |kw: Kwargs, state: &State| -> TeraResult<Value> {
            let matched = glob_files(&f, &kw, state)?;
            let map: serde_json::Map<String, Json> = matched
                .into_iter()
                .map(|(name, text)| (name, Json::String(text)))
                .collect();
            Ok(from_json(&Json::Object(map)))
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesAsConfig",
        move |kw: Kwargs, state: &State| -> TeraResult<String> {
            let matched = glob_files(&f, &kw, state)?;
            let map: serde_json::Map<String, Json> = matched
                .into_iter()
                .map(|(name, text)| (base_name(&name), Json::String(text)))
                .collect();
            Ok(config_yaml(map))
        },
    );
    let f = Arc::clone(&files);
    tera.register_function(
        "filesAsSecrets",
        move |kw: Kwargs, state: &State| -> TeraResult<String> {
            let matched = glob_files(&f, &kw, state)?;
            let map: serde_json::Map<String, Json> = matched
                .into_iter()
                .map(|(name, text)| {
                    (
                        base_name(&name),
                        Json::String(base64::engine::general_purpose::STANDARD.encode(text)),
                    )
                })
                .collect();
            Ok(config_yaml(map))
        },
    );
}

fn config_yaml(map: serde_json::Map<String, Json>) -> String {
    let text = crate::yaml::to_string(&Json::Object(map));
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn chart_files(
    files: &BTreeMap<String, Arc<Vec<File>>>,
    state: &State,
) -> TeraResult<Arc<Vec<File>>> {
    let prefix = chart_prefix(state)?;
    Ok(files.get(&prefix).cloned().unwrap_or_default())
}

fn glob_files(
    files: &BTreeMap<String, Arc<Vec<File>>>,
    kw: &Kwargs,
    state: &State,
) -> TeraResult<Vec<(String, String)>> {
    let pattern: String = kw.must_get("pattern")?;
    let glob = glob_regex(&pattern)?;
    let chart_files = chart_files(files, state)?;
    Ok(chart_files
        .iter()
        .filter(|f| glob.is_match(&f.name))
        .map(|f| {
            (
                f.name.clone(),
                String::from_utf8_lossy(&f.data).into_owned(),
            )
        })
        .collect())
}
