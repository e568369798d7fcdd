//! Any template source rendered with small limits: output or an error, never a panic or a hang.
#![no_main]
use chartsmith::chart::File;
use chartsmith::chart::loader::{LoadOptions, from_files};
use chartsmith::engine::RenderLimits;
use chartsmith::template::{TemplateOptions, template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let files = vec![
        File { name: "Chart.yaml".into(), data: b"apiVersion: v2\nname: f\nversion: 0.1.0\n".to_vec() },
        File { name: "values.yaml".into(), data: b"a: 1\nb: [x, y]\n".to_vec() },
        File { name: "templates/t.yaml".into(), data: data.as_bytes().to_vec() },
    ];
    let Ok(chart) = from_files(files, "fuzz", &LoadOptions::default()) else { return };
    let options = TemplateOptions {
        limits: RenderLimits { max_output_bytes: 1 << 16, max_nesting: 8, max_range_items: 10_000, ..Default::default() },
        ..Default::default()
    };
    let _ = template(&chart, &Default::default(), &options);
});
