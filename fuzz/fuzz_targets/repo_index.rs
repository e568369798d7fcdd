//! Any repository `index.yaml`: an index or a clear error, within the YAML budget. A parsed index
//! keeps only valid entries, newest first, and what `to_yaml` writes reads back to the same index.
#![no_main]
use chartsmith::repo::IndexFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let Ok(index) = IndexFile::from_yaml(data, "index.yaml") else {
        return;
    };

    // Only valid entries are kept, under their own name, newest first.
    assert!(!index.api_version.is_empty());
    for (name, versions) in &index.entries {
        assert!(!versions.is_empty(), "empty entry `{name}` kept");
        for v in versions {
            assert_eq!(&v.metadata.name, name);
            assert!(
                v.metadata.validate("index.yaml").is_ok(),
                "invalid entry kept: {v:?}"
            );
            assert!(index.has(name, &v.metadata.version));
        }
        let parsed: Vec<_> = versions
            .iter()
            .map(|v| semver::Version::parse(&v.metadata.version).ok())
            .collect();
        assert!(
            parsed.windows(2).all(|w| w[0] >= w[1]),
            "not newest first: {parsed:?}"
        );
    }

    // Merging an index into itself adds nothing.
    let mut merged = index.clone();
    merged.merge(index.clone());
    assert_eq!(merged, index);

    // What we write (as Helm writes it) reads back to the same index, and writing that again gives
    // the same text. Exact equality holds: every field is a string, a list or a map of strings,
    // except `dependencies[].import-values` (arbitrary values, which the emitter must quote so that
    // they read back with the same type).
    let text = index.to_yaml();
    let again = IndexFile::from_yaml(&text, "index.yaml")
        .unwrap_or_else(|e| panic!("written index does not parse: {e}\n{text}"));
    assert_eq!(again, index, "round trip changed the index:\n{text}");
    assert_eq!(again.to_yaml(), text);
});
