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

use serde_json::{Map, Number, Value};

/// Largest list index an expression may use (`a[65536]=x` is accepted).
pub const MAX_INDEX: usize = 65_536;

/// Largest number of `name.` steps in one path.
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Deepest nesting of arrays and objects inside one `--set-json` value.
/// Go's `encoding/json` allows 10000; chartsmith stops earlier so the values
/// tree stays safe for recursive code on small thread stacks.
pub const MAX_JSON_DEPTH: usize = 1_000;

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

struct Parser<'e, 'r> {
    expression: &'e str,
    chars: Vec<char>,
    pos: usize,
    kind: SetKind,
    read: Option<&'r mut FileReader<'r>>,
}

/// The caller-supplied `--set-file` reader: path in, contents or error out.
type FileReader<'r> = dyn FnMut(&str) -> Result<String, String> + 'r;

impl<'e, 'r> Parser<'e, 'r> {
    fn new(expression: &'e str, kind: SetKind, read: Option<&'r mut FileReader<'r>>) -> Self {
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

    fn run(&mut self, dest: &mut Map<String, Value>) -> Result<(), ParseError> {
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

fn skip_json_space(chars: &[char], mut pos: usize) -> usize {
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
fn parse_json(chars: &[char], start: usize) -> Result<(Value, usize), JsonError> {
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
