//! Any values file: parsed, or a located error; bounded by the YAML budget.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let _ = chartsmith::yaml::map_from_str(data, "values.yaml");
    let _ = chartsmith::manifest::split_documents(data);
});
