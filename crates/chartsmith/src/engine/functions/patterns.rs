//! Regular-expression filters (`regexMatch`, `regexFind`, `regexReplaceAll`) and the per-thread
//! cache of compiled expressions, which `files` also uses for globs.
//!
//! May import: `tera`, `regex` and `engine::convert` only.

use std::cell::RefCell;

use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::engine::convert::{error, go_string};

pub(super) fn register(tera: &mut Tera) {
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
}

thread_local! {
    static REGEXES: RefCell<std::collections::HashMap<String, regex::Regex>> = RefCell::new(Default::default());
}

/// Compiles (once per thread) a regular expression with bounded size.
pub(super) fn compiled_regex(pattern: &str) -> TeraResult<regex::Regex> {
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
