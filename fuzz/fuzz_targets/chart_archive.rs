//! Any bytes as a chart archive: a chart or a clear error, within the limits; an error never
//! carries a raw control character from the archive.
#![no_main]
use chartsmith::chart::loader::{LoadOptions, load_archive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = LoadOptions { max_total_bytes: 1 << 20, max_file_bytes: 1 << 18, max_files: 256 };
    if let Err(e) = load_archive(data, "fuzz.tgz", &options) {
        let text = e.to_string();
        assert!(!text.chars().any(chartsmith::text::is_unsafe_char), "{text:?}");
    }
});
