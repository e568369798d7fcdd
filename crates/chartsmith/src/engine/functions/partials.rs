//! Nested rendering: `include` (a named partial, a Tera component) and `tpl` (a string rendered
//! as a template), with the built-in objects they pass down and the nesting budget they charge.
//!
//! May import: `tera`, `engine::convert` and `engine::budget` only.

use std::sync::{Arc, OnceLock, Weak};

use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::engine::budget::{current_builtin, nested_error, pop_frame, push_frame};
use crate::engine::convert::error;

pub(super) fn register(tera: &mut Tera, handle: &Arc<OnceLock<Weak<Tera>>>) {
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
}

/// The built-in objects for `include` and `tpl`: the caller's where it has them (a component's
/// implicit parameters), else those of the template being rendered.
fn builtins(state: &State) -> TeraResult<tera::Context> {
    let mut ctx = tera::Context::new();
    for key in ["Values", "Release", "Chart", "Capabilities", "Template"] {
        let value = match state.get::<Value>(key)? {
            Some(v) if !v.is_undefined() => Some(v),
            _ => current_builtin(key),
        };
        if let Some(v) = value {
            ctx.insert_value(key, v);
        }
    }
    Ok(ctx)
}

fn upgrade(handle: &OnceLock<Weak<Tera>>) -> TeraResult<Arc<Tera>> {
    handle
        .get()
        .and_then(Weak::upgrade)
        .ok_or_else(|| error("the template engine is not available here"))
}
