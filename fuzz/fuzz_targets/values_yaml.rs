//! Any values file: parsed, or a located error; bounded by the YAML budget. A duplicate key is
//! refused by the strict reader and kept by the manifest reader; an error never carries a raw
//! control character.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    match chartsmith::yaml::map_from_str(data, "values.yaml") {
        Ok(_) => {}
        Err(e) => {
            let text = e.to_string();
            assert!(!text.chars().any(chartsmith::text::is_unsafe_char), "{text:?}");
        }
    }
    if let Ok(strict) = chartsmith::yaml::from_str(data, "values.yaml") {
        // What the strict reader accepts, the lenient one reads the same.
        assert_eq!(chartsmith::yaml::manifest_from_str(data, "m.yaml").ok(), Some(strict));
    }
    let _ = chartsmith::manifest::split_documents(data);
});
