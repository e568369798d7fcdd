//! Randomness: `randAlphaNum`.
//!
//! May import: `tera`, `rand` and `engine::convert` only.

use tera::{Kwargs, State, Tera, TeraResult};

use crate::engine::convert::error;

pub(super) fn register(tera: &mut Tera) {
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
}
