//! Any `repositories.yaml`: a list of repositories or a clear error, within the YAML budget. What
//! `save` writes for a parsed file reads back to the same file.
#![no_main]
use chartsmith::repo::RepositoriesFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let Ok(file) = RepositoriesFile::from_yaml(data, "repositories.yaml") else {
        return;
    };

    // `get` finds the first repository of each name.
    for r in &file.repositories {
        let found = file.get(&r.name).expect("listed repository not found");
        assert_eq!(found.name, r.name);
    }

    // The text `RepositoriesFile::save` writes (every field is a string: exact round trip).
    let text = serde_json::to_value(&file)
        .map(|v| chartsmith::yaml::to_string(&v))
        .expect("a repositories file serialises");
    let again = RepositoriesFile::from_yaml(&text, "repositories.yaml")
        .unwrap_or_else(|e| panic!("written repositories file does not parse: {e}\n{text}"));
    assert_eq!(again, file, "round trip changed the file:\n{text}");
});
