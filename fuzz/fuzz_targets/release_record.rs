//! Any text as a stored release record (base64, then gzip or plain JSON): a release or an error,
//! in bounded memory (the codec's size limits) and without deep recursion.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Half the inputs as they are (base64 text), half encoded first, so that the fuzzer reaches
    // the gzip and JSON layers.
    if let Some((&first, rest)) = data.split_first() {
        if first % 2 == 0 {
            let _ = chartsmith::release::codec::decode(&String::from_utf8_lossy(rest));
        } else {
            use base64::Engine as _;
            let text = base64::engine::general_purpose::STANDARD.encode(rest);
            let _ = chartsmith::release::codec::decode(&text);
        }
    }
});
