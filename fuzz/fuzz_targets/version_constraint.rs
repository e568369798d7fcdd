//! Any version constraint and version.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: (&str, &str)| {
    let _ = chartsmith::constraint::semver_compare(data.0, data.1);
});
