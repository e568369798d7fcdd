//! The render budget: the limits on one render ([`RenderLimits`]) and the per-thread state that
//! enforces them (output bytes written, `range()` items produced, the stack of `include`/`tpl`
//! calls), plus the built-in objects of the template being rendered, also kept per thread.
//!
//! May import: the standard library, `tera` and `engine::convert` only (no other `engine` module,
//! so that the engine and every function family can use it without an import cycle).

use std::cell::RefCell;
use std::io::Write;

use tera::{TeraResult, Value};

use super::convert::error;

/// Bounds on what one render may do, so that a hostile template cannot exhaust the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderLimits {
    /// Largest total output of all templates, in bytes (default 64 MiB).
    pub max_output_bytes: usize,
    /// Deepest nesting of `include` and `tpl` calls (default 64).
    pub max_nesting: usize,
    /// Most items produced by `range()` in one render, all calls together (default 1 000 000).
    pub max_range_items: usize,
    /// Longest a render may take (default 60 s). Past it the call returns an error; the worker
    /// thread cannot be interrupted and is left to finish on its own.
    pub max_duration: std::time::Duration,
}

impl Default for RenderLimits {
    fn default() -> Self {
        RenderLimits {
            max_output_bytes: 64 << 20,
            max_nesting: 64,
            max_range_items: 1_000_000,
            max_duration: std::time::Duration::from_secs(60),
        }
    }
}

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

pub(super) fn set_current(ctx: &tera::Context) {
    CURRENT.with(|c| *c.borrow_mut() = Some(ctx.clone()));
}

/// The built-in object `key` of the template being rendered (see [`set_current`]).
pub(super) fn current_builtin(key: &str) -> Option<Value> {
    CURRENT.with(|c| c.borrow().as_ref().and_then(|c| c.get(key).cloned()))
}

/// A writer that fails once the render's total output passes the limit.
pub(super) struct LimitedWriter<'a> {
    pub(super) inner: &'a mut Vec<u8>,
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

/// The output limit, when the render's total output has passed it.
pub(super) fn output_exceeded() -> Option<usize> {
    BUDGET.with(|b| {
        let b = b.borrow();
        (b.output > b.limits.max_output_bytes).then_some(b.limits.max_output_bytes)
    })
}

/// Charges `count` items produced by one `range()` call to the render's loop budget.
pub(super) fn charge_range_items(count: i128) -> TeraResult<()> {
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
    })
}

pub(super) fn push_frame(name: &str) -> TeraResult<()> {
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

pub(super) fn pop_frame() {
    BUDGET.with(|b| {
        b.borrow_mut().stack.pop();
    });
}

/// Tera's message, with the source chain appended where Tera keeps it separately.
pub(super) fn describe(error: &tera::Error) -> String {
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

/// Wraps an error from a nested include/tpl once: a nesting-limit error is passed up as it is, so
/// that a cycle is reported once and not once per level.
pub(super) fn nested_error(e: &tera::Error, context: &str) -> tera::Error {
    let text = describe(e).replace("__tera_one_off", "tpl input");
    if text.contains(NESTING_MARKER) {
        let start = text.find(NESTING_MARKER).unwrap_or(0);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        return error(&text[start..line_end]);
    }
    error(format!("{context}: {text}"))
}

const NESTING_MARKER: &str = "include/tpl nesting deeper than";
