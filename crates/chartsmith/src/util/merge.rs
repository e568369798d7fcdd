//! The deep merge of two values maps, as Helm merges `-f` files, YAML documents of one values
//! file and a `--set-json '{…}'` object: maps merge key by key, anything else replaces.
//!
//! May import: the standard library and `serde_json` only.

use serde_json::{Map, Value};

/// Deep-merges `b` over `a`: maps merge, anything else (lists included) replaces.
pub fn merge_maps(mut a: Map<String, Value>, b: Map<String, Value>) -> Map<String, Value> {
    merge_into(&mut a, b);
    a
}

/// Deep-merges `src` into `dest` without recursion (the trees may come from hostile input and
/// be deep).
pub(crate) fn merge_into(dest: &mut Map<String, Value>, src: Map<String, Value>) {
    struct Level {
        dest: Map<String, Value>,
        src: serde_json::map::IntoIter,
        key: Option<String>,
    }
    let mut stack = vec![Level {
        dest: std::mem::take(dest),
        src: src.into_iter(),
        key: None,
    }];
    while let Some(top) = stack.last_mut() {
        match top.src.next() {
            Some((key, Value::Object(inner))) => {
                if let Some(Value::Object(existing)) = top.dest.get_mut(&key) {
                    let taken = std::mem::take(existing);
                    stack.push(Level {
                        dest: taken,
                        src: inner.into_iter(),
                        key: Some(key),
                    });
                } else {
                    top.dest.insert(key, Value::Object(inner));
                }
            }
            Some((key, value)) => {
                top.dest.insert(key, value);
            }
            None => {
                let Some(done) = stack.pop() else { break };
                match (done.key, stack.last_mut()) {
                    (Some(key), Some(parent)) => {
                        if let Some(slot) = parent.dest.get_mut(&key) {
                            *slot = Value::Object(done.dest);
                        }
                    }
                    _ => *dest = done.dest,
                }
            }
        }
    }
}
