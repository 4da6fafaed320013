//! Fuzzes the wave markdown parser with arbitrary bytes (lossily decoded, as Node reads files).
//! The parser must never panic; errors are fine. Role prompt reads return a small standing
//! prompt for `.md` paths so composition is exercised too.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use wave_core::wave::{parse_wave, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let read = |path: &Path| -> Option<String> {
        path.to_str()
            .filter(|p| p.ends_with(".md"))
            .map(|p| format!("## Standing prompt\n```\n{p}\n```\n"))
    };
    let options = ParseOptions::new(&read);
    if let Ok(wave) = parse_wave(
        &text,
        "docs/plans/waves/wave-1.md",
        "docs/plans/waves/wave-1.md",
        &options,
    ) {
        let _ = touch_fields(&wave);
    }
});

fn touch_fields(wave: &wave_core::wave::WaveDefinition) -> usize {
    wave.agents
        .iter()
        .map(|agent| agent.slug.len() + agent.owned_paths.len())
        .sum()
}
