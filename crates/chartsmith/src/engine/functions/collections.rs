//! List-building functions: `range()`, whose items are charged to the render's loop budget.
//!
//! May import: `tera`, `engine::convert` and `engine::budget` only.

use tera::{Kwargs, State, Tera, TeraResult};

use crate::engine::budget::charge_range_items;
use crate::engine::convert::error;

pub(super) fn register(tera: &mut Tera) {
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
        charge_range_items(count)?;
        Ok((0..count as i64).map(|i| start + i * step).collect())
    });
}
