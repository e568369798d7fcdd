//! Any `--set` family expression: an error or a value, never a panic.
#![no_main]
use chartsmith::values::strvals::{SetKind, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    for kind in [SetKind::Set, SetKind::String, SetKind::Json, SetKind::Literal] {
        let _ = parse(data, kind);
    }
});
