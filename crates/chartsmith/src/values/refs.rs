//! Checks of the `$ref`s of a values schema before it is compiled: every reference must resolve
//! inside the document (remote and file references are never fetched), and no chain of references
//! and in-place applicators (`allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
//! `dependentSchemas`) may lead back to where it started, which would apply a schema to the same
//! value forever. Recursion through `properties`, `items` and the like is fine: each step goes one
//! level down into the value, so a tree schema (`children: {items: {$ref: "#"}}`) stays allowed.
//!
//! Problems are reported all at once, in a fixed order (by location: keys sorted), so that the same schema gives the same
//! message every run.
//!
//! May import: `util`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::text::quote;

/// Keywords whose subschemas apply to the same instance as the schema holding them.
const IN_PLACE_LISTS: [&str; 3] = ["allOf", "anyOf", "oneOf"];
const IN_PLACE_SINGLE: [&str; 4] = ["not", "if", "then", "else"];
/// Keywords whose values are data, not schemas: a `$ref` inside is not a reference.
const DATA_KEYWORDS: [&str; 4] = ["enum", "const", "default", "examples"];

/// The problems of `schema`'s references, one message each; empty when there are none.
pub(crate) fn check(schema: &Value) -> Vec<String> {
    let mut walk = Walk::default();
    collect_ids(schema, &mut walk.ids);
    walk.visit(schema, String::new(), String::new(), schema);
    let mut problems = walk.problems;
    problems.extend(cycles(&walk.edges));
    problems
}

#[derive(Default)]
struct Walk {
    /// In-place edges: schema pointer → the schemas applied to the same value.
    edges: BTreeMap<String, Vec<String>>,
    /// `$id`s (and draft 4 `id`s) of the document, without their fragment.
    ids: Vec<String>,
    problems: Vec<String>,
}

impl Walk {
    /// Visits the schema `node` at JSON pointer `pointer`, whose resource (for `#…` references)
    /// starts at `base`.
    fn visit(&mut self, node: &Value, pointer: String, mut base: String, root: &Value) {
        match node {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.visit(item, format!("{pointer}/{i}"), base.clone(), root);
                }
            }
            Value::Object(map) => {
                if id_of(map).is_some() {
                    base = pointer.clone();
                }
                if let Some(Value::String(reference)) = map.get("$ref") {
                    self.reference(reference, &pointer, &base, root);
                }
                for (kw, sub) in map {
                    let child = format!("{pointer}/{}", escape_token(kw));
                    if DATA_KEYWORDS.contains(&kw.as_str()) {
                        continue;
                    }
                    if IN_PLACE_LISTS.contains(&kw.as_str())
                        && let Value::Array(items) = sub
                    {
                        for i in 0..items.len() {
                            self.edge(&pointer, format!("{child}/{i}"));
                        }
                    } else if IN_PLACE_SINGLE.contains(&kw.as_str()) && sub.is_object() {
                        self.edge(&pointer, child.clone());
                    } else if kw == "dependentSchemas"
                        && let Value::Object(deps) = sub
                    {
                        for name in deps.keys() {
                            self.edge(&pointer, format!("{child}/{}", escape_token(name)));
                        }
                    }
                    self.visit(sub, child, base.clone(), root);
                }
            }
            _ => {}
        }
    }

    fn edge(&mut self, from: &str, to: String) {
        self.edges.entry(from.to_string()).or_default().push(to);
    }

    fn reference(&mut self, reference: &str, pointer: &str, base: &str, root: &Value) {
        let at = if pointer.is_empty() { "#" } else { pointer };
        let Some(fragment) = reference.strip_prefix('#') else {
            // Another document: only one embedded here under its `$id` can be had without a fetch.
            let document = reference.split('#').next().unwrap_or_default();
            if !self
                .ids
                .iter()
                .any(|id| id == document || id.ends_with(document))
            {
                self.problems.push(format!(
                    "`$ref` `{}` at {} is not in this file: remote and file references are never \
                     fetched (vendor the schema into values.schema.json)",
                    quote(reference),
                    quote(at)
                ));
            }
            return;
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return; // a plain-name fragment (`#foo`, an `$anchor`): the validator resolves it
        }
        let Some(tokens) = decode_fragment(fragment) else {
            self.problems.push(format!(
                "`$ref` `{}` at {} is not a valid JSON pointer",
                quote(reference),
                quote(at)
            ));
            return;
        };
        let mut target = base.to_string();
        let mut node = resolve_pointer(root, base);
        for token in &tokens {
            node = node.and_then(|n| match n {
                Value::Object(map) => map.get(token),
                Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            });
            target.push('/');
            target.push_str(&escape_token(token));
        }
        if node.is_none() {
            self.problems.push(format!(
                "`$ref` `{}` at {} points at nothing in this file",
                quote(reference),
                quote(at)
            ));
            return;
        }
        self.edge(pointer, target);
    }
}

/// The `$id` (draft 4: `id`) of a schema object, without its fragment, when it has one.
fn id_of(map: &serde_json::Map<String, Value>) -> Option<&str> {
    ["$id", "id"].iter().find_map(|key| match map.get(*key) {
        Some(Value::String(id)) => {
            Some(id.split('#').next().unwrap_or_default()).filter(|id| !id.is_empty())
        }
        _ => None,
    })
}

fn collect_ids(node: &Value, ids: &mut Vec<String>) {
    match node {
        Value::Array(items) => items.iter().for_each(|item| collect_ids(item, ids)),
        Value::Object(map) => {
            ids.extend(id_of(map).map(str::to_string));
            for (kw, sub) in map {
                if !DATA_KEYWORDS.contains(&kw.as_str()) {
                    collect_ids(sub, ids);
                }
            }
        }
        _ => {}
    }
}

fn resolve_pointer<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer)
}

/// `~` and `/` escaped as JSON pointers escape them.
fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The tokens of a `#/a/b` fragment (without the `#`): percent-decoded, then `~1` and `~0`.
fn decode_fragment(fragment: &str) -> Option<Vec<String>> {
    let bytes = fragment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = fragment.get(i + 1..i + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(decoded).ok()?;
    Some(
        decoded
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Each cycle of in-place edges that goes through a `$ref`, once, as `#/a → #/b → #/a`.
fn cycles(edges: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Unvisited,
        OnStack,
        Done,
    }
    let mut state: BTreeMap<&str, State> = BTreeMap::new();
    let mut found = Vec::new();
    for start in edges.keys() {
        if state
            .get(start.as_str())
            .copied()
            .unwrap_or(State::Unvisited)
            != State::Unvisited
        {
            continue;
        }
        // Iterative depth-first search: a hostile schema may nest deeply.
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, State::OnStack);
        while let Some(top) = stack.last_mut() {
            let node = top.0;
            let targets = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(target) = targets.get(top.1) {
                top.1 += 1;
                match state
                    .get(target.as_str())
                    .copied()
                    .unwrap_or(State::Unvisited)
                {
                    State::Unvisited => {
                        state.insert(target, State::OnStack);
                        stack.push((target, 0));
                    }
                    State::OnStack => {
                        let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                        let mut path: Vec<String> =
                            stack[from..].iter().map(|(n, _)| format!("#{n}")).collect();
                        path.push(format!("#{target}"));
                        found.push(format!(
                            "`$ref` cycle: {} applies a schema to the same value forever",
                            quote(&path.join(" → "))
                        ));
                    }
                    State::Done => {}
                }
            } else {
                state.insert(node, State::Done);
                stack.pop();
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn local_references_that_resolve_are_fine() {
        let schema = json!({
            "definitions": {"port": {"type": "integer"}, "a/b": {"type": "string"}},
            "properties": {
                "p": {"$ref": "#/definitions/port"},
                "q": {"$ref": "#/definitions/a~1b"},
                "r": {"$ref": "#/definitions/a%7E1b"},
                "anchor": {"$ref": "#named"},
                "data": {"enum": [{"$ref": "https://not.a.reference"}]}
            }
        });
        assert_eq!(check(&schema), Vec::<String>::new());
    }

    #[test]
    fn recursion_through_the_value_is_allowed() {
        let tree = json!({
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}
        });
        assert!(check(&tree).is_empty());
    }

    #[test]
    fn every_unresolvable_reference_is_reported_in_a_fixed_order() {
        let schema = json!({
            "properties": {
                "a": {"$ref": "#/definitions/missing"},
                "b": {"$ref": "https://example.invalid/s.json"},
                "c": {"$ref": "other.json#/x"},
                "d": {"$ref": "#/definitions/%zz"}
            }
        });
        let problems = check(&schema);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("`#/definitions/missing` at /properties/a points at nothing"));
        assert!(problems[1].contains("remote and file references are never fetched"));
        assert!(problems[2].contains("`other.json#/x`"));
        assert!(problems[3].contains("not a valid JSON pointer"));
        assert_eq!(check(&schema), problems, "the same every run");
    }

    #[test]
    fn an_embedded_id_is_not_remote() {
        let schema = json!({
            "$defs": {"x": {"$id": "https://example.com/x.json", "type": "string"}},
            "properties": {"a": {"$ref": "https://example.com/x.json"}}
        });
        assert!(check(&schema).is_empty(), "{:?}", check(&schema));
    }

    #[test]
    fn cycles_of_references_are_named() {
        let schema = json!({
            "definitions": {
                "a": {"$ref": "#/definitions/b"},
                "b": {"allOf": [{"$ref": "#/definitions/a"}]}
            },
            "properties": {"x": {"$ref": "#/definitions/a"}}
        });
        assert_eq!(
            check(&schema),
            [
                "`$ref` cycle: #/definitions/a → #/definitions/b → #/definitions/b/allOf/0 → \
              #/definitions/a applies a schema to the same value forever"
            ]
        );
        let me = json!({"$ref": "#"});
        assert_eq!(
            check(&me),
            ["`$ref` cycle: # → # applies a schema to the same value forever"]
        );
    }
}
