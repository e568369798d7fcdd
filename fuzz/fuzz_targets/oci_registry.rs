//! What an OCI registry or a user hands chartsmith before any download: `oci://` references,
//! `WWW-Authenticate` challenges and image manifests. Each is a value or a clear error, never a
//! panic; a parsed reference prints back to itself; a manifest's chart layer is always a sha256
//! digest within the size limit.
#![no_main]
use chartsmith::registry::{Manifest, Reference, chart_layer, parse_challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(reference) = Reference::parse(text) {
                let shown = format!("oci://{}", reference.display());
                assert_eq!(shown, text, "a parsed reference prints back to itself");
                assert!(!reference.chart_name().is_empty());
                assert!(!reference.repository.contains(".."));
            }
        }
        1 => {
            let text = String::from_utf8_lossy(rest);
            let (scheme, params) = parse_challenge(&text);
            assert_eq!(scheme, scheme.to_ascii_lowercase());
            assert!(params.keys().all(|k| *k == k.to_ascii_lowercase()));
        }
        _ => {
            let Ok(manifest) = serde_json::from_slice::<Manifest>(rest) else {
                return;
            };
            let limit = 1 << 20;
            if let Ok(layer) = chart_layer(&manifest, "fuzz", limit) {
                assert!(layer.size <= limit);
                let hex = layer.digest.strip_prefix("sha256:").expect("a sha256 digest");
                assert_eq!(hex.len(), 64);
            }
        }
    }
});
