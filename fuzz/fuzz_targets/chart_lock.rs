//! Any `Chart.lock`: a lock or a clear error, within the YAML budget. What `dependency update`
//! writes for a parsed lock reads back to the same lock, with the same requirements digest.
#![no_main]
use chartsmith::downloader::dependency::{hash_requirements, parse_lock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let Ok(lock) = parse_lock(data, "Chart.lock") else {
        return;
    };

    // The digest of the pinned dependencies is computable for any lock.
    let digest = hash_requirements(&[], &lock.dependencies);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 7 + 64,
        "{digest}"
    );

    // The text `dependency update` writes (every field is a string: exact round trip).
    let text = serde_json::to_value(&lock)
        .map(|v| chartsmith::yaml::to_string(&v))
        .expect("a lock serialises");
    let again = parse_lock(&text, "Chart.lock")
        .unwrap_or_else(|e| panic!("written Chart.lock does not parse: {e}\n{text}"));
    assert_eq!(again, lock, "round trip changed the lock:\n{text}");
    assert_eq!(hash_requirements(&[], &again.dependencies), digest);
});
