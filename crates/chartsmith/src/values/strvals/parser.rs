//! The `--set` path grammar (see the [module documentation](super)): names, `[index]`, `{a,b}`
//! lists and typed scalars, parsed without recursion into a values map.
//!
//! May import: the [`json`](super::json) reader (`--set-json` values), `yaml` (value kind names).

use serde_json::{Map, Value};

use super::json::parse_json;

/// Largest list index an expression may use (`a[65536]=x` is accepted).
pub const MAX_INDEX: usize = 65_536;

/// Largest number of `name.` steps in one path.
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Largest number of `[index]` and `.name` steps in one path. Helm itself has
/// no limit; this one only exists to keep the values tree shallow enough for
/// recursive consumers.
pub const MAX_PATH_DEPTH: usize = 1_000;

/// Which flag an expression came from; decides type inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: scalars are typed (booleans, null, 64-bit integers).
    Set,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-json`: every value is a JSON document.
    Json,
    /// `--set-file`: every value names a file whose contents become the value.
    File,
    /// `--set-literal`: the text after the first `=` is the value, verbatim.
    Literal,
}

impl SetKind {
    /// The command-line flag this kind corresponds to, e.g. `--set-json`.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Set => "--set",
            SetKind::String => "--set-string",
            SetKind::Json => "--set-json",
            SetKind::File => "--set-file",
            SetKind::Literal => "--set-literal",
        }
    }
}

/// A malformed `--set` style expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {flag} expression `{expression}` at position {position}: {message}", flag = .kind.flag())]
pub struct ParseError {
    /// The whole expression, as given on the command line.
    pub expression: String,
    /// 0-based character (not byte) position where the problem was found.
    pub position: usize,
    /// What is wrong.
    pub message: String,
    /// The flag the expression came from.
    pub kind: SetKind,
}

/// How one assignment ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// A value was assigned; more input may follow.
    Continue,
    /// The input ran out; parsing stops successfully.
    Eof,
}

type Outcome = Result<Flow, ParseError>;

/// The container the parser is currently writing into.
enum Cursor {
    /// Inside a map, about to read a name.
    Map {
        map: Map<String, Value>,
        level: usize,
    },
    /// Inside a list, about to handle element `index` (not yet validated).
    List {
        list: Vec<Value>,
        index: i64,
        index_pos: usize,
        level: usize,
    },
}

/// A finished container on its way back up to its parent.
enum Node {
    Map(Map<String, Value>),
    List(Vec<Value>),
}

impl Cursor {
    fn into_node(self) -> Node {
        match self {
            Cursor::Map { map, .. } => Node::Map(map),
            Cursor::List { list, .. } => Node::List(list),
        }
    }
}

/// A parent container waiting for the child being parsed, and how the
/// child goes back into it. "Existing"/"aliased" children were taken out of
/// the parent and always return (Helm mutates them in place); fresh children
/// are attached only as Helm's rules say.
enum Frame {
    /// `name.` inside a map.
    Field {
        parent: Map<String, Value>,
        name: String,
        name_pos: usize,
        existed: bool,
    },
    /// `name[` inside a map.
    FieldList {
        parent: Map<String, Value>,
        name: String,
        write_back: bool,
    },
    /// `].` inside a list.
    ElementMap {
        parent: Vec<Value>,
        index: usize,
        index_pos: usize,
        aliased: bool,
    },
    /// `][` inside a list.
    ElementList {
        parent: Vec<Value>,
        index: usize,
        index_pos: usize,
        aliased: bool,
    },
}

enum Step {
    Descend(Cursor),
    Stop(Cursor, Outcome),
}

/// Result of looking for a `{...}` list at the start of a value.
enum ListValue {
    /// The input ended right after `=`.
    Eof,
    /// A complete `{...}` list.
    List(Vec<Value>),
    /// The value does not start with `{`.
    NotList,
}

pub(super) struct Parser<'e, 'r> {
    expression: &'e str,
    chars: Vec<char>,
    pos: usize,
    kind: SetKind,
    read: Option<&'r mut FileReader<'r>>,
}

/// The caller-supplied `--set-file` reader: path in, contents or error out.
type FileReader<'r> = dyn FnMut(&str) -> Result<String, String> + 'r;

impl<'e, 'r> Parser<'e, 'r> {
    pub(super) fn new(
        expression: &'e str,
        kind: SetKind,
        read: Option<&'r mut FileReader<'r>>,
    ) -> Self {
        Parser {
            expression,
            chars: expression.chars().collect(),
            pos: 0,
            kind,
            read,
        }
    }

    fn error(&self, position: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            expression: self.expression.to_owned(),
            position,
            message: message.into(),
            kind: self.kind,
        }
    }

    pub(super) fn run(&mut self, dest: &mut Map<String, Value>) -> Result<(), ParseError> {
        loop {
            let before = self.pos;
            match self.assignment(dest)? {
                Flow::Eof => return Ok(()),
                // Every successful assignment consumes input; the guard only
                // protects against a logic error turning into a hang.
                Flow::Continue if self.pos == before => return Ok(()),
                Flow::Continue => {}
            }
        }
    }

    /// One top-level assignment (Helm's `key` call on the root map).
    fn assignment(&mut self, root: &mut Map<String, Value>) -> Outcome {
        let mut stack: Vec<Frame> = Vec::new();
        let mut cursor = Cursor::Map {
            map: std::mem::take(root),
            level: 0,
        };
        let outcome = loop {
            match self.step(cursor, &mut stack) {
                Step::Descend(next) => cursor = next,
                Step::Stop(last, outcome) => {
                    cursor = last;
                    break outcome;
                }
            }
        };
        let (node, outcome) = self.unwind(cursor.into_node(), outcome, stack);
        if let Node::Map(map) = node {
            *root = map;
        }
        outcome
    }

    fn step(&mut self, cursor: Cursor, stack: &mut Vec<Frame>) -> Step {
        match cursor {
            Cursor::Map { map, level } => self.step_map(map, level, stack),
            Cursor::List {
                list,
                index,
                index_pos,
                level,
            } => self.step_list(list, index, index_pos, level, stack),
        }
    }

    /// Read a name inside `map` and act on the character that ends it.
    fn step_map(
        &mut self,
        mut map: Map<String, Value>,
        level: usize,
        stack: &mut Vec<Frame>,
    ) -> Step {
        let name_pos = self.pos;
        let stops: &[char] = if self.kind == SetKind::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (name, stop) = self.token(stops);
        let stop_at = self.pos.saturating_sub(1);
        let outcome = match stop {
            None if name.is_empty() => Ok(Flow::Eof),
            None => Err(self.error(name_pos, format!("key {name:?} has no value"))),
            Some(',') => {
                set(&mut map, &name, Value::String(String::new()));
                Err(self.error(
                    name_pos,
                    format!("key {name:?} has no value (a `,` must follow a value)"),
                ))
            }
            Some('=') => self.assign_field(&mut map, &name),
            Some('.') => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    Err(self.error(
                        stop_at,
                        format!("names are nested more than {MAX_NESTED_NAME_LEVEL} levels deep"),
                    ))
                } else if stack.len() >= MAX_PATH_DEPTH {
                    Err(self.path_too_deep(stop_at))
                } else {
                    let taken = match map.get_mut(&name) {
                        None => Ok((Map::new(), false)),
                        Some(Value::Object(inner)) => Ok((std::mem::take(inner), true)),
                        Some(other) => Err(describe(other)),
                    };
                    match taken {
                        Ok((child, existed)) => {
                            stack.push(Frame::Field {
                                parent: map,
                                name,
                                name_pos,
                                existed,
                            });
                            return Step::Descend(Cursor::Map { map: child, level });
                        }
                        Err(what) => Err(self.error(
                            name_pos,
                            format!("cannot set a field of key {name:?}: it already holds {what}, not a map"),
                        )),
                    }
                }
            }
            Some(_) => {
                // '[': a list index follows.
                let index_pos = self.pos;
                match self.index() {
                    Err(outcome) => outcome,
                    Ok(_) if stack.len() >= MAX_PATH_DEPTH => Err(self.path_too_deep(stop_at)),
                    Ok(index) => {
                        let taken = match map.get_mut(&name) {
                            None => Ok((Vec::new(), !name.is_empty())),
                            Some(Value::Array(items)) => {
                                // Helm never stores under an empty name, but it
                                // does mutate an existing element in place.
                                let in_place =
                                    usize::try_from(index).is_ok_and(|i| i < items.len());
                                if name.is_empty() && !in_place {
                                    Ok((Vec::new(), false))
                                } else {
                                    Ok((std::mem::take(items), true))
                                }
                            }
                            Some(other) => Err(describe(other)),
                        };
                        match taken {
                            Ok((list, write_back)) => {
                                stack.push(Frame::FieldList {
                                    parent: map,
                                    name,
                                    write_back,
                                });
                                return Step::Descend(Cursor::List {
                                    list,
                                    index,
                                    index_pos,
                                    level,
                                });
                            }
                            Err(what) => Err(self.error(
                                name_pos,
                                format!(
                                    "cannot index key {name:?} as a list: it already holds {what}"
                                ),
                            )),
                        }
                    }
                }
            }
        };
        Step::Stop(Cursor::Map { map, level }, outcome)
    }

    /// Handle what follows `[index]` inside `list`.
    fn step_list(
        &mut self,
        mut list: Vec<Value>,
        index: i64,
        index_pos: usize,
        level: usize,
        stack: &mut Vec<Frame>,
    ) -> Step {
        let outcome = 'outcome: {
            let Ok(i) = usize::try_from(index) else {
                break 'outcome Err(self.error(
                    index_pos,
                    format!("negative list index {index} is not allowed"),
                ));
            };
            let token_pos = self.pos;
            let (token, stop) = self.token(&['[', '.', '=']);
            let stop_at = self.pos.saturating_sub(1);
            if !token.is_empty() {
                break 'outcome Err(self.error(
                    token_pos,
                    format!("unexpected {token:?} after a list index"),
                ));
            }
            match stop {
                None => Ok(Flow::Eof),
                Some('=') => self.assign_element(&mut list, i, index_pos),
                Some('[') => {
                    let next_pos = self.pos;
                    let next = match self.index() {
                        Ok(next) => next,
                        Err(outcome) => break 'outcome outcome,
                    };
                    if stack.len() >= MAX_PATH_DEPTH {
                        break 'outcome Err(self.path_too_deep(stop_at));
                    }
                    let taken = match list.get_mut(i) {
                        None | Some(Value::Null) => Ok((Vec::new(), false)),
                        Some(Value::Array(items)) => Ok((std::mem::take(items), true)),
                        Some(other) => Err(describe(other)),
                    };
                    match taken {
                        Ok((child, aliased)) => {
                            stack.push(Frame::ElementList {
                                parent: list,
                                index: i,
                                index_pos,
                                aliased,
                            });
                            return Step::Descend(Cursor::List {
                                list: child,
                                index: next,
                                index_pos: next_pos,
                                level,
                            });
                        }
                        Err(what) => Err(self.error(
                            index_pos,
                            format!(
                                "cannot index list element {i} as a list: it already holds {what}"
                            ),
                        )),
                    }
                }
                Some(_) => {
                    // '.': a map inside the list.
                    if stack.len() >= MAX_PATH_DEPTH {
                        break 'outcome Err(self.path_too_deep(stop_at));
                    }
                    let (child, aliased) = match list.get_mut(i) {
                        None => (Map::new(), false),
                        Some(Value::Object(inner)) => (std::mem::take(inner), true),
                        Some(slot) => {
                            // Helm replaces a non-map element with an empty map
                            // before descending, even if nothing gets set.
                            *slot = Value::Object(Map::new());
                            (Map::new(), true)
                        }
                    };
                    stack.push(Frame::ElementMap {
                        parent: list,
                        index: i,
                        index_pos,
                        aliased,
                    });
                    return Step::Descend(Cursor::Map { map: child, level });
                }
            }
        };
        Step::Stop(
            Cursor::List {
                list,
                index,
                index_pos,
                level,
            },
            outcome,
        )
    }

    /// Put every taken-out container back into its parent, applying Helm's
    /// rules for when a child is attached.
    fn unwind(&self, mut node: Node, mut outcome: Outcome, stack: Vec<Frame>) -> (Node, Outcome) {
        for frame in stack.into_iter().rev() {
            let ok = matches!(outcome, Ok(Flow::Continue));
            node = match (frame, node) {
                (
                    Frame::Field {
                        mut parent,
                        name,
                        name_pos,
                        existed,
                    },
                    Node::Map(child),
                ) => {
                    if ok && child.is_empty() {
                        outcome =
                            Err(self.error(name_pos, format!("key map {name:?} has no value")));
                    }
                    if existed {
                        if let Some(slot) = parent.get_mut(&name) {
                            *slot = Value::Object(child);
                        }
                    } else if !name.is_empty() && !child.is_empty() {
                        parent.insert(name, Value::Object(child));
                    }
                    Node::Map(parent)
                }
                (
                    Frame::FieldList {
                        mut parent,
                        name,
                        write_back,
                    },
                    Node::List(child),
                ) => {
                    if write_back {
                        match parent.get_mut(&name) {
                            Some(slot) => *slot = Value::Array(child),
                            None => {
                                parent.insert(name, Value::Array(child));
                            }
                        }
                    }
                    Node::Map(parent)
                }
                (
                    Frame::ElementMap {
                        mut parent,
                        index,
                        index_pos,
                        aliased,
                    },
                    Node::Map(child),
                ) => {
                    outcome = self.attach(
                        &mut parent,
                        index,
                        index_pos,
                        aliased,
                        Value::Object(child),
                        outcome,
                    );
                    Node::List(parent)
                }
                (
                    Frame::ElementList {
                        mut parent,
                        index,
                        index_pos,
                        aliased,
                    },
                    Node::List(child),
                ) => {
                    outcome = self.attach(
                        &mut parent,
                        index,
                        index_pos,
                        aliased,
                        Value::Array(child),
                        outcome,
                    );
                    Node::List(parent)
                }
                // Frames and children always pair up as above; keep the
                // parent intact if they somehow do not.
                (Frame::Field { parent, .. } | Frame::FieldList { parent, .. }, _) => {
                    Node::Map(parent)
                }
                (Frame::ElementMap { parent, .. } | Frame::ElementList { parent, .. }, _) => {
                    Node::List(parent)
                }
            };
        }
        (node, outcome)
    }

    /// Attach a child container to list element `index`.
    fn attach(
        &self,
        parent: &mut Vec<Value>,
        index: usize,
        index_pos: usize,
        aliased: bool,
        child: Value,
        outcome: Outcome,
    ) -> Outcome {
        let ok = matches!(outcome, Ok(Flow::Continue));
        if aliased {
            if let Some(slot) = parent.get_mut(index) {
                *slot = child;
            }
            if ok && index > MAX_INDEX {
                return Err(self.index_too_large(index_pos, index));
            }
            outcome
        } else if ok {
            self.set_index(parent, index, child, index_pos)
        } else {
            outcome
        }
    }

    fn path_too_deep(&self, position: usize) -> ParseError {
        self.error(
            position,
            format!("the path has more than {MAX_PATH_DEPTH} `.`/`[` steps"),
        )
    }

    fn index_too_large(&self, position: usize, index: usize) -> ParseError {
        self.error(
            position,
            format!("list index {index} is larger than the maximum of {MAX_INDEX}"),
        )
    }

    fn set_index(
        &self,
        list: &mut Vec<Value>,
        index: usize,
        value: Value,
        index_pos: usize,
    ) -> Outcome {
        if index > MAX_INDEX {
            return Err(self.index_too_large(index_pos, index));
        }
        if list.len() <= index {
            list.resize(index + 1, Value::Null);
        }
        list[index] = value;
        Ok(Flow::Continue)
    }

    /// Read a list index up to `]`. An input that ends inside the brackets
    /// stops parsing successfully, as in Helm.
    fn index(&mut self) -> Result<i64, Outcome> {
        let start = self.pos;
        let (text, stop) = self.token(&[']']);
        if stop.is_none() {
            return Err(Ok(Flow::Eof));
        }
        parse_go_int(&text)
            .ok_or_else(|| Err(self.error(start, "list index must be a non-negative integer")))
    }

    /// `name=` inside a map.
    fn assign_field(&mut self, map: &mut Map<String, Value>, name: &str) -> Outcome {
        match self.kind {
            SetKind::Literal => {
                let value = self.rest();
                set(map, name, Value::String(value));
                Ok(Flow::Continue)
            }
            SetKind::Json => {
                let value = self.json_value()?;
                set(map, name, value);
                Ok(Flow::Continue)
            }
            SetKind::Set | SetKind::String | SetKind::File => match self.list_value()? {
                ListValue::Eof => {
                    set(map, name, Value::String(String::new()));
                    Ok(Flow::Eof)
                }
                ListValue::List(items) => {
                    set(map, name, Value::Array(items));
                    Ok(Flow::Continue)
                }
                ListValue::NotList => {
                    let value = self.scalar_value()?;
                    set(map, name, value);
                    Ok(Flow::Continue)
                }
            },
        }
    }

    /// `[index]=` inside a list.
    fn assign_element(&mut self, list: &mut Vec<Value>, index: usize, index_pos: usize) -> Outcome {
        let value = match self.kind {
            SetKind::Literal => Value::String(self.rest()),
            SetKind::Json => self.json_value()?,
            SetKind::Set | SetKind::String | SetKind::File => match self.list_value()? {
                // Unlike a map field, an element assigned at the very end
                // does not stop parsing here; the next name read does.
                ListValue::Eof => Value::String(String::new()),
                ListValue::List(items) => Value::Array(items),
                ListValue::NotList => self.scalar_value()?,
            },
        };
        self.set_index(list, index, value, index_pos)
    }

    /// A plain value up to the next unescaped `,`.
    fn scalar_value(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        let (raw, _) = self.token(&[',']);
        self.convert(raw, start)
    }

    /// Try to read a `{a,b,c}` list value.
    fn list_value(&mut self) -> Result<ListValue, ParseError> {
        let open = self.pos;
        match self.chars.get(self.pos) {
            None => return Ok(ListValue::Eof),
            Some('{') => self.pos += 1,
            Some(_) => return Ok(ListValue::NotList),
        }
        let mut items = Vec::new();
        loop {
            let start = self.pos;
            let (raw, stop) = self.token(&[',', '}']);
            match stop {
                None => return Err(self.error(open, "list must end with `}`")),
                Some('}') => {
                    if self.chars.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    items.push(self.convert(raw, start)?);
                    return Ok(ListValue::List(items));
                }
                Some(_) => items.push(self.convert(raw, start)?),
            }
        }
    }

    /// Turn the raw text of a scalar into a value for this flag.
    fn convert(&mut self, raw: String, start: usize) -> Result<Value, ParseError> {
        match self.kind {
            SetKind::Set => Ok(typed_value(raw)),
            SetKind::File => {
                let result = match self.read.as_mut() {
                    Some(read) => read(&raw),
                    None => Err("no file reader available".to_owned()),
                };
                result
                    .map(Value::String)
                    .map_err(|e| self.error(start, format!("cannot read file {raw:?}: {e}")))
            }
            SetKind::String | SetKind::Json | SetKind::Literal => Ok(Value::String(raw)),
        }
    }

    /// A `--set-json` value: blank means `null`; otherwise exactly one JSON
    /// document, after which blanks and one `,` are skipped.
    fn json_value(&mut self) -> Result<Value, ParseError> {
        if self.skip_blank_and_comma() {
            return Ok(Value::Null);
        }
        let (value, end) = parse_json(&self.chars, self.pos)
            .map_err(|(position, message)| self.error(position, message))?;
        self.pos = end;
        self.skip_blank_and_comma();
        Ok(value)
    }

    /// Skip Unicode whitespace; returns true (after consuming it) if a `,`
    /// or the end of input follows, false if anything else does.
    fn skip_blank_and_comma(&mut self) -> bool {
        while let Some(&c) = self.chars.get(self.pos) {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    /// Everything that is left, verbatim (`--set-literal` values).
    fn rest(&mut self) -> String {
        let rest: String = self
            .chars
            .get(self.pos..)
            .unwrap_or_default()
            .iter()
            .collect();
        self.pos = self.chars.len();
        rest
    }

    /// Read up to (and consume) one of `stops`; `None` means the input ended.
    /// Outside `--set-literal`, a backslash makes the next character literal.
    fn token(&mut self, stops: &[char]) -> (String, Option<char>) {
        let escapes = self.kind != SetKind::Literal;
        let mut out = String::new();
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            if stops.contains(&c) {
                return (out, Some(c));
            }
            if escapes && c == '\\' {
                match self.chars.get(self.pos) {
                    Some(&next) => {
                        self.pos += 1;
                        out.push(next);
                    }
                    None => return (out, None),
                }
            } else {
                out.push(c);
            }
        }
        (out, None)
    }
}

/// Store `value` under `name`; an empty name is ignored, as in Helm.
fn set(map: &mut Map<String, Value>, name: &str, value: Value) {
    if !name.is_empty() {
        map.insert(name.to_owned(), value);
    }
}

fn describe(value: &Value) -> &'static str {
    crate::yaml::kind_name(value)
}

/// Go's `strconv.Atoi`: optional sign, ASCII digits, 64-bit range.
fn parse_go_int(text: &str) -> Option<i64> {
    text.parse::<i64>().ok()
}

/// `--set` type inference (Helm's `typedVal`).
fn typed_value(raw: String) -> Value {
    if fold_equals(&raw, "true") {
        return Value::Bool(true);
    }
    if fold_equals(&raw, "false") {
        return Value::Bool(false);
    }
    if fold_equals(&raw, "null") {
        return Value::Null;
    }
    if raw == "0" {
        return Value::from(0_i64);
    }
    if !raw.is_empty()
        && !raw.starts_with('0')
        && let Some(n) = parse_go_int(&raw)
    {
        return Value::from(n);
    }
    Value::String(raw)
}

/// Go's `strings.EqualFold` against a lowercase ASCII word. Unicode simple
/// case folding adds exactly one extra match for these letters: `ſ` (U+017F
/// LATIN SMALL LETTER LONG S) folds to `s`.
fn fold_equals(text: &str, word: &str) -> bool {
    let mut chars = text.chars();
    for w in word.chars() {
        match chars.next() {
            Some(c) if c.to_ascii_lowercase() == w => {}
            Some('\u{17F}') if w == 's' => {}
            _ => return false,
        }
    }
    chars.next().is_none()
}
